#!/bin/sh
# tests/pkg/install-deb.sh ROOT DPKG-ARGS...: dpkg acting on the scratch
# root ROOT (its own package database, made when missing), e.g.
# `install-deb.sh ROOT -i xbdev_0.1.0_amd64.deb` or `... ROOT --purge
# xbdev`.  The maintainer scripts run outside a chroot with DPKG_ROOT set,
# as debhelper's scripts expect (the enabled unit's link lands in ROOT);
# ROOT has no libc or libxen package, hence --force-depends.  Used by make
# check-deb and by the lab's image.sh (dom0 gets xbdev from the package).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 ROOT DPKG-ARGS..." >&2; exit 2; }
root=$1; shift
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
root=$(cd "$root" && pwd)       # dpkg runs the scripts by ROOT's path
[ -f "$root/var/lib/dpkg/status" ] || : > "$root/var/lib/dpkg/status"
exec dpkg --root="$root" --log=/dev/null --force-script-chrootless \
	--force-depends --force-not-root "$@"
