#!/bin/sh
# Installs the host packages the build, the lab and the Debian package
# (make check-deb: dpkg-dev, debhelper, lintian) and the unit suite's
# style check (clang-format) need (as root), or names
# them in one error.  Xen itself is never installed on the host: fetch.sh
# only downloads and unpacks it (debootstrap makes the 4.20 flavour's
# build root in the lab cache).
set -e
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for p in build-essential pkg-config libxen-dev liburing-dev libjson-c-dev \
	 libcmocka-dev qemu-system-x86 busybox-static cpio gzip kmod \
	 clang libclang-rt-14-dev e2fsprogs fio bc valgrind gnuplot-nox \
	 debootstrap xz-utils dpkg-dev debhelper lintian clang-format; do
	have "$p" || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "lab: error: missing host packages:$need (run: sudo apt-get install$need)" >&2
	exit 1
fi
echo "lab: installing host packages:$need" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null
