#!/bin/sh
# tests/pkg/build-deb.sh [--with-source] OUTDIR: the Debian package of the
# tree as it is now (what git knows and would add, committed or not),
# built with dpkg-buildpackage -us -uc in OUTDIR/xbdev, a scratch copy, so
# that the work tree is left as it was.  Prints the .deb's path; the
# build's output is in OUTDIR/build.log.  Binary only, unless
# --with-source (the source package too, for lintian).  The package's
# own unit-test run is left out (DEB_BUILD_OPTIONS=nocheck: make check
# runs that suite anyway) unless XBDEV_DEB_CHECK=1.  DPKG_BUILD_ARGS are
# passed on (-d: build without checking Build-Depends, as the lab's
# build root does).
# Used by make check-deb (tests/pkg/deb.sh) and by the lab's image.sh, for
# which the package is how dom0 gets xbdev.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
what=-b
[ "${1:-}" = --with-source ] && { what=; shift; }
[ $# = 1 ] || { echo "usage: $0 [--with-source] OUTDIR" >&2; exit 2; }
out=$1
src=$out/xbdev
rm -rf "$src"
mkdir -p "$src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z -co --exclude-standard |
		xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\n" "$f"; done' sh |
		tar -cf - -T -) | tar -xf - -C "$src"
else
	(cd "$top" && tar -cf - --exclude=./.git --exclude=./build --exclude='./build-*' .) |
		tar -xf - -C "$src"
fi
opts="DEB_BUILD_OPTIONS=nocheck" prof=-Pnocheck
[ "${XBDEV_DEB_CHECK:-0}" = 1 ] && opts="DEB_BUILD_OPTIONS=" prof=
# Not the caller's make: its MAKEFLAGS (-j, -s, B=) are not the package's.
# shellcheck disable=SC2086
(cd "$src" && env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS $opts \
	nice dpkg-buildpackage -us -uc $what $prof ${DPKG_BUILD_ARGS:-}) \
	> "$out/build.log" 2>&1
v=$(cd "$src" && dpkg-parsechangelog -S Version)
deb=$out/xbdev_${v}_$(dpkg --print-architecture).deb
[ -f "$deb" ]
echo "$deb"
