#!/bin/sh
# make check-deb: the Debian package (debian/), built in a scratch copy of
# the tree (the work tree is left as it was), checked by lintian, unpacked
# into a scratch root and compared with what `make install PREFIX=/usr`
# installs.  Prints TAP.
#
# As root, installs the packaging tools it lacks (dpkg-dev, debhelper,
# lintian) with apt-get, as tests/lab/host-deps.sh does; otherwise names
# them in one "not ok".  The package's own unit-test run (debian/rules'
# dh_auto_test, make check-unit) is left out (DEB_BUILD_OPTIONS=nocheck)
# since make check runs that suite anyway; XBDEV_DEB_CHECK=1 keeps it.
top=$(cd "$(dirname "$0")/../.." && pwd)
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { desc=$1; shift; if "$@"; then ok "$desc"; else not_ok "$desc"; fi; }
diag() { [ -z "$*" ] || printf '%s\n' "$@" | sed 's/^/# /'; }
finish() { echo "1..$n"; exit 0; }
t0=$(date +%s)

# ---- tools ---------------------------------------------------------------
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
need=""
for p in dpkg-dev debhelper lintian; do
	have "$p" || need="$need $p"
done
if [ -n "$need" ] && [ "$(id -u)" = 0 ]; then
	echo "# deb: installing:$need" >&2
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $need >/dev/null 2>&1 ||
		{ apt-get update -qq >/dev/null 2>&1 &&
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $need >/dev/null 2>&1; }
	need=""
	for p in dpkg-dev debhelper lintian; do
		have "$p" || need="$need $p"
	done
fi
if [ -n "$need" ]; then
	not_ok "packaging tools: missing$need (run: sudo apt-get install$need)"
	finish
fi
ok "packaging tools: dpkg-dev, debhelper, lintian"
if ! (cd "$top" && dpkg-checkbuilddeps -Pnocheck) > /dev/null 2>&1; then
	not_ok "Build-Depends: $(cd "$top" && dpkg-checkbuilddeps -Pnocheck 2>&1 | sed -n 's/.*Unmet build dependencies: //p') (make deps installs them)"
	finish
fi
ok "Build-Depends of debian/control are installed"

# ---- build, in a scratch copy (tests/pkg/build-deb.sh) --------------------
tmp=$(mktemp -d /tmp/xbdev-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
chmod 755 "$tmp"        # lintian runs as nobody (it will not run as root)
src=$tmp/xbdev
status_before=$(git -C "$top" status --porcelain 2>/dev/null)
version=$(cat "$top/VERSION")
arch=$(dpkg --print-architecture)
tb=$(date +%s)
# Source and binary (the source package is lintian's too).
if deb=$("$top/tests/pkg/build-deb.sh" --with-source "$tmp"); then
	ok "dpkg-buildpackage -us -uc builds $(basename "$deb") ($(($(date +%s) - tb)) s)"
else
	not_ok "dpkg-buildpackage -us -uc: $(grep -m1 -iE 'error|failed' "$tmp/build.log")"
	diag "$(tail -20 "$tmp/build.log")"
	finish
fi
check "the scratch copy of the tree has debian/" test -x "$src/debian/rules"
dv=$(cd "$src" && dpkg-parsechangelog -S Version)
check "debian/changelog's version $dv is VERSION's ($version)" test "$dv" = "$version"
check "xbdev_${dv}_$arch.deb exists" test -f "$deb"
[ -f "$deb" ] || finish

# ---- lintian -------------------------------------------------------------
# Every tag at every level fails, unless debian/*lintian-overrides explains
# it (then shown as O: below).  Judged by the tags printed, not lintian's
# exit status: with --show-overrides an overridden tag fails --fail-on.
if [ "$(id -u)" = 0 ]; then
	lint() { setpriv --reuid=nobody --regid=nogroup --clear-groups \
		env HOME="$tmp" lintian "$@"; }
else
	lint() { lintian "$@"; }
fi
lint -I --pedantic --show-overrides "$tmp/xbdev_${dv}_$arch.changes" \
	> "$tmp/lintian.log" 2>&1
rc=$?
tags=$(grep -cE '^[EWIPX]:' "$tmp/lintian.log")
if [ "$tags" = 0 ] && { [ $rc = 0 ] || [ $rc = 2 ]; } &&
   ! grep -q 'internal error' "$tmp/lintian.log"; then
	ok "lintian (source and binary, every level, pedantic too): no tag left unexplained"
else
	not_ok "lintian (exit $rc): $tags tags: $(grep -m3 -E '^[EWIPX]:' "$tmp/lintian.log" | tr '\n' ' ')"
	diag "$(grep -v '^N:' "$tmp/lintian.log" | head -30)"
fi
diag "$(grep -E '^O:' "$tmp/lintian.log")"

# ---- contents against make install ---------------------------------------
root=$tmp/root mk=$tmp/make-install
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$tmp/control"
# The unit's directory as debian/rules chose it (pkg-config), so both
# installs put it in the same place; the rest as the package's build had
# it: nothing is rebuilt.
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
: "${unitdir:=/lib/systemd/system}"
check "make install DESTDIR=... PREFIX=/usr SYSTEMD_UNITDIR=$unitdir" \
	sh -c 'env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$1" install \
		DESTDIR="$2" PREFIX=/usr SYSTEMD_UNITDIR="$3" WERROR= > "$4" 2>&1' \
	sh "$src" "$mk" "$unitdir" "$tmp/make.log"
nf=0
for f in $(cd "$mk" && find . -type f | sed 's|^\./|/|' | sort); do
	nf=$((nf + 1))
	p=$f
	case $f in /usr/share/man/*) p=$f.gz ;; esac     # dh_compress
	if [ ! -f "$root$p" ]; then
		not_ok "the package has $p (make install installs $f)"
		continue
	fi
	want=$(stat -c %a "$mk$f") got=$(stat -c %a "$root$p")
	check "the package has $p, mode $want" test "$got" = "$want"
done
check "make install installed something ($nf files)" test "$nf" -gt 10
extra=$(cd "$root" && find . -type f | sed 's|^\./|/|' | sort | while read -r p; do
	f=${p%.gz}
	case $p in /usr/share/doc/xbdev/copyright|/usr/share/doc/xbdev/changelog.gz|\
		/usr/share/lintian/overrides/xbdev) continue ;; esac
	[ -f "$mk$f" ] || [ -f "$mk$p" ] || echo "$p"
done)
check "nothing in the package that make install does not install (but its copyright, changelog and lintian overrides)${extra:+: $extra}" test -z "$extra"

# ---- what dpkg does with it ------------------------------------------------
u=$root$unitdir/xbdevd.service
check "the unit starts /usr/sbin/xbdevd" grep -qx 'ExecStart=/usr/sbin/xbdevd' "$u"
check "the unit leaves the backends running (KillMode=process)" grep -qx 'KillMode=process' "$u"
check "postinst enables xbdevd.service (dh_installsystemd)" \
	grep -q "deb-systemd-helper enable 'xbdevd.service'" "$tmp/control/postinst"
check "an upgrade restarts xbdevd (the backends stay: KillMode=process)" \
	grep -q '_dh_action=restart' "$tmp/control/postinst"
check "/etc/xen/scripts/xbdev is a conffile" grep -qx /etc/xen/scripts/xbdev "$tmp/control/conffiles"
dep=$(dpkg-deb -f "$deb" Depends)
for l in libxenstore libjson-c liburing libxengnttab libxenevtchn; do
	check "Depends (shlibs) names $l" sh -c 'case "$1" in *"$2"*) ;; *) exit 1 ;; esac' sh "$dep" "$l"
done
diag "Depends: $dep"
out=$("$root/usr/bin/xbdev" --version 2>&1)
check "xbdev --version from the unpacked package says $version" test "$out" = "xbdev $version"
[ "$out" = "xbdev $version" ] || diag "$out"
out=$("$root/usr/sbin/xbdevd" --version 2>&1)
check "xbdevd --version from the unpacked package runs" sh -c 'case "$1" in *"$2"*) ;; *) exit 1 ;; esac' sh "$out" "$version"
check "the binaries look for xbdev-blkback in /usr/libexec/xbdev" \
	grep -q /usr/libexec/xbdev "$root/usr/bin/xbdev"
# ---- installed with dpkg into a scratch root, then purged ------------------
# tests/pkg/install-deb.sh: dpkg --root, maintainer scripts run outside a
# chroot with DPKG_ROOT set.
sr=$tmp/sroot
sdpkg() { "$top/tests/pkg/install-deb.sh" "$sr" "$@" > "$tmp/dpkg.log" 2>&1; }
check "dpkg --root=SCRATCH -i installs it" sdpkg -i "$deb"
check "dpkg knows it as installed (ii)" sh -c 'dpkg --root="$1" -l xbdev 2>/dev/null | grep -q "^ii  xbdev "' sh "$sr"
check "its files are there (/usr/bin/xbdev, the hotplug script)" \
	test -x "$sr/usr/bin/xbdev" -a -x "$sr/etc/xen/scripts/xbdev"
check "postinst enabled xbdevd.service in that root" \
	test -L "$sr/etc/systemd/system/multi-user.target.wants/xbdevd.service"
check "dpkg --root=SCRATCH --purge removes it" sdpkg --purge xbdev
left=$(cd "$sr" && find . ! -type d | grep -v '^\./var/lib/dpkg/' | head -n 5 | tr '\n' ' ')
check "no file of it is left after the purge${left:+: $left}" test -z "$left"
check "the work tree is as it was" test "$(git -C "$top" status --porcelain 2>/dev/null)" = "$status_before"
diag "check-deb: $(($(date +%s) - t0)) s"
finish
