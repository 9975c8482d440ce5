#!/bin/sh
# Fills the lab's cache for the flavour LAB_XEN names (see common.sh).
# Nothing is installed on the host.  A complete cache is reused without any
# download; a cache without its stamp (an interrupted run) is wiped and
# redone.
#   4.17: Debian 12's Xen 4.17 hypervisor and tools, the kernel
#         linux-image-amd64 depends on and its headers, unpacked into
#         $LAB_CACHE/root.
#   4.20: a Debian 13 build root made with debootstrap (compiler, libxen-dev,
#         liburing-dev, libjson-c-dev, the kernel and its headers), with
#         Xen 4.20's hypervisor and tools unpacked into it.  Apt reads
#         trixie only from the private lists of lab_apt.
set -e
. "$(dirname "$0")/common.sh"

if [ -f "$LAB_STAMP" ]; then
	lab_log "cache complete ($LAB_CACHE, Xen $LAB_XEN, kernel $(lab_kver)): no download"
	exit 0
fi
start=$(now_s)
if [ "$LAB_XEN" != 4.17 ]; then
	lab_apt apt-get update -qq >/dev/null 2>&1 ||
		lab_die "apt-get update of the private $LAB_SUITE lists failed"
fi
kver=$(lab_kver)
if [ -z "$kver" ]; then
	apt-get update -qq >/dev/null 2>&1 || true
	kver=$(lab_kver)
fi
[ -n "$kver" ] || lab_die "cannot tell which kernel linux-image-amd64 depends on"
kabi=${kver%-amd64}
kbuild=$(lab_apt apt-cache depends "linux-headers-$kver" |
	 sed -n 's/.*Depends: \(linux-kbuild-.*\)/\1/p' | head -n1)

V=$LAB_XEN
XEN_PKGS="xen-hypervisor-$V-amd64 xen-utils-$V xen-utils-common
	libxenmisc$V libxenstore4 xenstore-utils libyajl2 libxencall1
	libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 libxengnttab1
	libxenhypfs1 libxentoolcore1 libxentoollog1"
KERNEL_PKGS="linux-image-$kver linux-headers-$kver linux-headers-$kabi-common $kbuild"
# What xbdev and the fixture modules build with, in the 4.20 build root.
# libelf, libssl, pahole: the kernel's kbuild (objtool, sign-file, BTF of
# modules) needs them.
BUILD_PKGS="make,gcc,libc6-dev,pkg-config,libxen-dev,liburing-dev,libjson-c-dev,e2fsprogs,diffutils,libelf1t64,libssl3t64,pahole"

lab_log "cache incomplete: fetching Xen $V and kernel $kver into $LAB_CACHE"
# Only this flavour's own pieces: the 4.17 cache directory also holds the
# 4.20 one (and the bench's qdisk download).
rm -rf "$LAB_ROOT" "$LAB_CACHE/debs" "$LAB_CACHE/xen" "$LAB_CACHE/last-download"
mkdir -p "$LAB_CACHE/debs" "$LAB_ROOT"
if [ "$V" != 4.17 ]; then
	lab_log "debootstrap $LAB_SUITE into $LAB_ROOT (build root, a few minutes)"
	debootstrap --variant=minbase --include="$BUILD_PKGS" "$LAB_SUITE" \
		"$LAB_ROOT" "$LAB_MIRROR" > "$LAB_CACHE/debootstrap.log" 2>&1 ||
		lab_die "debootstrap failed: see $LAB_CACHE/debootstrap.log"
	lab_log "build root done in $(elapsed "$start" "$(now_s)") s"
fi
# apt-get download drops privileges to _apt; a root-owned cache dir is
# fine (apt falls back, with a warning we silence).
# shellcheck disable=SC2086
(cd "$LAB_CACHE/debs" && lab_apt apt-get download $XEN_PKGS $KERNEL_PKGS 2>&1 |
	grep -v '^W: Download is performed unsandboxed' >&2) ||
	lab_die "download failed (is 'apt-get update' done?)"
for deb in "$LAB_CACHE"/debs/*.deb; do
	dpkg-deb -x "$deb" "$LAB_ROOT"
done
# QEMU's multiboot loader wants the hypervisor uncompressed.
zcat "$LAB_ROOT/boot/xen-$V-amd64.gz" > "$LAB_CACHE/xen"
if [ "$V" = 4.17 ]; then
	# Headers: the -amd64 tree includes the -common Makefile by an
	# absolute path under /usr/src; point it into the cache (its symlinks
	# are relative).
	sed -i "s|/usr/src/|$LAB_ROOT/usr/src/|" \
		"$LAB_ROOT/usr/src/linux-headers-$kver/Makefile"
else
	# Inside the build root /usr/src is where the headers are; the
	# unpacked libraries and modules get their caches.
	chroot "$LAB_ROOT" ldconfig
	depmod -b "$LAB_ROOT" "$kver"
fi
printf 'kver=%s\nfetched=%s\n' "$kver" "$(date -u +%FT%TZ)" > "$LAB_STAMP.tmp"
mv "$LAB_STAMP.tmp" "$LAB_STAMP"
lab_log "fetched in $(elapsed "$start" "$(now_s)") s"
echo "download_s=$(elapsed "$start" "$(now_s)")" > "$LAB_CACHE/last-download"
