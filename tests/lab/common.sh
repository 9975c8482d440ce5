# Shared settings of the lab's host-side scripts (sourced, not run).
# The cache lives outside the work tree so every clone shares one download.
#
# LAB_XEN picks the lab's flavour:
#   4.17 (default)  Debian 12 (bookworm): Xen 4.17, Linux 6.1; xbdev is the
#                   host's own build (the host is bookworm too).
#   4.20            Debian 13 (trixie): Xen 4.20, Linux 6.12; the cache root
#                   is a trixie build root (debootstrap) in which xbdev is
#                   built, and from which dom0's userland comes.
LAB_XEN=${LAB_XEN:-4.17}
LAB_CACHE_BASE=${XBDEV_LAB_CACHE:-/var/tmp/xbdev-lab}
case "$LAB_XEN" in
4.17) LAB_SUITE=bookworm; LAB_CACHE=$LAB_CACHE_BASE ;;
4.20) LAB_SUITE=trixie;   LAB_CACHE=$LAB_CACHE_BASE/4.20 ;;
*) printf 'lab: error: LAB_XEN=%s: supported are 4.17 and 4.20\n' "$LAB_XEN" >&2; exit 2 ;;
esac
LAB_ROOT=$LAB_CACHE/root            # every fetched .deb unpacked here
LAB_STAMP=$LAB_CACHE/complete       # written last: the cache is whole
B=${B:-build}
# Images, logs and TAP of one run (one directory per flavour).
if [ "$LAB_XEN" = 4.17 ]; then LAB_OUT=${LAB_OUT:-$B/lab}; else LAB_OUT=${LAB_OUT:-$B/lab-$LAB_XEN}; fi
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
LAB_MIRROR=${LAB_MIRROR:-http://deb.debian.org/debian}

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# lab_apt apt-get|apt-cache ARGS...: the host's apt for the 4.17 flavour;
# for 4.20 the same client on a private source list, package lists and
# cache under $LAB_CACHE/apt (the host's own apt configuration, lists and
# dpkg status are never touched).
lab_apt() {
	local tool=$1; shift
	if [ "$LAB_XEN" = 4.17 ]; then "$tool" "$@"; return; fi
	local a=$LAB_CACHE/apt
	mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
	[ -f "$a/sources.list" ] ||
		echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $LAB_MIRROR $LAB_SUITE main" > "$a/sources.list"
	"$tool" -o Dir::Etc::SourceList="$a/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$a/lists" \
		-o Dir::Cache="$a/cache" -o Dir::State::Status=/dev/null "$@"
}

# root_packages NAME PKG...: for the 4.20 flavour, trixie's PKG and the
# libraries the build root lacks (apt resolves them against the root's own
# dpkg status, on the private lists), downloaded once into
# $LAB_CACHE/NAME and unpacked into the build root, where its ldd then
# finds them.  A stamp marks it complete: an interrupted fill is redone.
root_packages() {
	local name=$1 dir=$LAB_CACHE/$1 deb; shift
	[ -f "$dir/complete" ] && return 0
	rm -rf "$dir"; mkdir -p "$dir/debs/partial"
	lab_apt apt-get install -d -y -qq --no-install-recommends \
		-o Dir::State::Status="$LAB_ROOT/var/lib/dpkg/status" \
		-o Dir::Cache::Archives="$dir/debs/" "$@" >/dev/null 2>&1 || return 1
	for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$LAB_ROOT" || return 1; done
	chroot "$LAB_ROOT" ldconfig && touch "$dir/complete"
}

# The kernel version linux-image-amd64 depends on today, remembered in the
# cache so that later runs (and offline runs) agree with the download.
lab_kver() {
	if [ -f "$LAB_STAMP" ]; then
		sed -n 's/^kver=//p' "$LAB_STAMP"
		return
	fi
	lab_apt apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1-amd64/p' | head -n1
}

now_s() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
