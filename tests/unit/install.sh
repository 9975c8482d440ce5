#!/bin/sh
# make install as the lab and a distribution use it (DESTDIR, PREFIX=/usr):
# every program, the hotplug script in /etc/xen/scripts (not under
# PREFIX), the man pages of sections 1 and 8, and, when xbdevd is built,
# xbdevd in SBINDIR and its systemd unit naming it.  The unit is made again
# when SBINDIR changes (make, then make install PREFIX=/usr).  Prints TAP.
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
case $B in /*) b=$B ;; *) b=$top/$B ;; esac
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }

if [ ! -x "$b/xbdev" ]; then
	echo "ok 1 - install # SKIP $b/xbdev not built"
	echo "1..1"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# Not a sub-make of check-unit's make: its own, quiet, no jobserver.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$top" "$@" > "$tmp/make.log" 2>&1; }

d=$tmp/root
check "make install DESTDIR=... PREFIX=/usr" mk B="$b" install DESTDIR="$d" PREFIX=/usr
check "xbdev in /usr/bin" test -x "$d/usr/bin/xbdev"
for p in "$b"/xbdev-*; do
	[ -x "$p" ] || continue
	check "$(basename "$p") in /usr/libexec/xbdev" test -x "$d/usr/libexec/xbdev/$(basename "$p")"
done
check "hotplug script in /etc/xen/scripts/xbdev, executable" test -x "$d/etc/xen/scripts/xbdev"
check "nothing of Xen's script directory under PREFIX" test ! -e "$d/usr/etc"
for m in "$top"/man/*.1 "$top"/man/*.8; do
	s=${m##*.}
	check "man page $(basename "$m") in man$s" test -f "$d/usr/share/man/man$s/$(basename "$m")"
done
if [ -x "$b/xbdevd" ]; then
	u=$d/usr/lib/systemd/system/xbdevd.service
	check "xbdevd in /usr/sbin" test -x "$d/usr/sbin/xbdevd"
	check "xbdevd.service in /usr/lib/systemd/system" test -f "$u"
	check "the unit starts /usr/sbin/xbdevd" grep -qx 'ExecStart=/usr/sbin/xbdevd' "$u"
	check "the unit leaves the backends running (KillMode=process)" grep -qx 'KillMode=process' "$u"
else
	echo "ok $((n += 1)) - xbdevd installed # SKIP xbdevd not built (no daemon/main.c)"
fi

# The unit alone, in a build directory of its own: SBINDIR goes in, and a
# new SBINDIR remakes it.
ub=$tmp/b
check "unit made with SBINDIR=/opt/a/sbin" mk B="$ub" "$ub/xbdevd.service" SBINDIR=/opt/a/sbin
check "unit names /opt/a/sbin/xbdevd" grep -qx 'ExecStart=/opt/a/sbin/xbdevd' "$ub/xbdevd.service"
check "unit made again with SBINDIR=/opt/b/sbin" mk B="$ub" "$ub/xbdevd.service" SBINDIR=/opt/b/sbin
check "unit names /opt/b/sbin/xbdevd" grep -qx 'ExecStart=/opt/b/sbin/xbdevd' "$ub/xbdevd.service"
check "no @SBINDIR@ left" test -z "$(grep @ "$ub/xbdevd.service")"
echo "1..$n"
