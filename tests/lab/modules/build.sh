#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# build.sh KDIR OUTDIR
#
# Builds mydevice-back.ko and mydevice-front.ko against the lab kernel's
# headers and copies them into OUTDIR.
#
# KDIR is either the headers directory itself
# (<root>/usr/src/linux-headers-6.1.0-56-amd64) or <root>, the directory into
# which linux-headers-6.1.0-56-amd64, linux-headers-6.1.0-56-common and
# linux-kbuild-6.1 were unpacked with `dpkg-deb -x`.
#
# Fix-up: Debian's <ver>-amd64/Makefile is one line,
#   include /usr/src/linux-headers-<ver>-common/Makefile
# an absolute path that only exists when the package is installed.  Instead
# of editing the (shared, cached) tree, we build against a shadow directory:
# a rewritten Makefile that includes the unpacked -common/Makefile, plus
# symlinks to everything else of the -amd64 directory.  (Kbuild takes its
# source tree from the included Makefile's own location, so the -common
# tree and its relative scripts/ and tools/ links work as unpacked.)  The
# lib/modules/<ver>/{build,source} links are absolute too but unused here.
#
# The sources are copied to a scratch directory, so the source tree (which
# may be read-only, e.g. /lab in the image) stays clean.  The compiler is
# the one the kernel names (gcc-12 on bookworm); override with CC=...
set -eu

usage() { echo "usage: $0 KDIR OUTDIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
kdir=$1 outdir=$2
here=$(cd "$(dirname "$0")" && pwd)

if [ ! -f "$kdir/Module.symvers" ]; then
	found=
	for d in "$kdir"/usr/src/linux-headers-*; do
		[ -f "$d/Module.symvers" ] && found=$d
	done
	[ -n "$found" ] || { echo "$0: no kernel headers in $kdir" >&2; exit 1; }
	kdir=$found
fi
kdir=$(cd "$kdir" && pwd -P)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/mydevice-build.XXXXXX")
trap 'rm -rf "$scratch"' EXIT INT TERM

# Resolve the include of the -amd64 Makefile to the unpacked -common tree.
inc=$(sed -n 's/^include[[:space:]]\{1,\}\(.*\)$/\1/p' "$kdir/Makefile" | head -n 1)
case "$inc" in
/usr/src/*)
	common="$(dirname "$kdir")/$(basename "$(dirname "$inc")")"
	[ -f "$common/Makefile" ] || {
		echo "$0: $kdir/Makefile includes $inc; $common/Makefile is missing (unpack linux-headers-*-common next to it)" >&2
		exit 1
	}
	shadow="$scratch/kdir"
	mkdir "$shadow"
	for f in "$kdir"/* "$kdir"/.[!.]*; do
		[ -e "$f" ] || continue
		[ "$(basename "$f")" = Makefile ] && continue
		ln -s "$(readlink -f "$f")" "$shadow/$(basename "$f")"
	done
	sed "s|^include[[:space:]].*|include $common/Makefile|" \
		"$kdir/Makefile" > "$shadow/Makefile"
	kdir=$shadow
	;;
esac

mkdir "$scratch/src"
cp "$here/Kbuild" "$here/Makefile" "$here"/mydevice-*.[ch] "$scratch/src/"
make -C "$scratch/src" KDIR="$kdir" ${CC:+CC="$CC"} >"$scratch/build.log" 2>&1 || {
	cat "$scratch/build.log" >&2
	echo "$0: module build failed" >&2
	exit 1
}
mkdir -p "$outdir"
cp "$scratch/src/mydevice-back.ko" "$scratch/src/mydevice-front.ko" "$outdir/"
echo "built $outdir/mydevice-back.ko $outdir/mydevice-front.ko"
