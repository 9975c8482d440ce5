#!/bin/sh
# Downloads Debian's Xen 4.17 hypervisor and tools, the dom0-capable kernel
# linux-image-amd64 depends on, and its headers, and unpacks them into
# $LAB_CACHE/root.  Nothing is installed on the host.  A complete cache is
# reused without any download; a cache without its stamp (an interrupted
# run) is wiped and redone.
set -e
. "$(dirname "$0")/common.sh"

if [ -f "$LAB_STAMP" ]; then
	lab_log "cache complete ($LAB_CACHE, kernel $(lab_kver)): no download"
	exit 0
fi
start=$(now_s)
kver=$(lab_kver)
if [ -z "$kver" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	kver=$(lab_kver)
fi
[ -n "$kver" ] || lab_die "cannot tell which kernel linux-image-amd64 depends on"
kabi=${kver%-amd64}
kbuild=$(apt-cache depends "linux-headers-$kver" |
	 sed -n 's/.*Depends: \(linux-kbuild-.*\)/\1/p' | head -n1)

XEN_PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common
	libxenmisc4.17 libxenstore4 xenstore-utils libyajl2 libxencall1
	libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
	libxenhypfs1 libxentoolcore1 libxentoollog1"
KERNEL_PKGS="linux-image-$kver linux-headers-$kver linux-headers-$kabi-common $kbuild"

lab_log "cache incomplete: fetching Xen 4.17 and kernel $kver into $LAB_CACHE"
rm -rf "$LAB_CACHE"
mkdir -p "$LAB_CACHE/debs" "$LAB_ROOT"
# apt-get download drops privileges to _apt; a root-owned cache dir is
# fine (apt falls back, with a warning we silence).
# shellcheck disable=SC2086
(cd "$LAB_CACHE/debs" && apt-get download $XEN_PKGS $KERNEL_PKGS 2>&1 |
	grep -v '^W: Download is performed unsandboxed' >&2) ||
	lab_die "download failed (is 'apt-get update' done?)"
for deb in "$LAB_CACHE"/debs/*.deb; do
	dpkg-deb -x "$deb" "$LAB_ROOT"
done
# QEMU's multiboot loader wants the hypervisor uncompressed.
zcat "$LAB_ROOT/boot/xen-4.17-amd64.gz" > "$LAB_CACHE/xen"
# Headers: the -amd64 tree includes the -common Makefile by an absolute
# path under /usr/src; point it into the cache (its symlinks are relative).
sed -i "s|/usr/src/|$LAB_ROOT/usr/src/|" \
	"$LAB_ROOT/usr/src/linux-headers-$kver/Makefile"
printf 'kver=%s\nfetched=%s\n' "$kver" "$(date -u +%FT%TZ)" > "$LAB_STAMP.tmp"
mv "$LAB_STAMP.tmp" "$LAB_STAMP"
lab_log "fetched in $(elapsed "$start" "$(now_s)") s"
echo "download_s=$(elapsed "$start" "$(now_s)")" > "$LAB_CACHE/last-download"
