# Shared settings of the lab's host-side scripts (sourced, not run).
# The cache lives outside the work tree so every clone shares one download.
LAB_CACHE=${XBDEV_LAB_CACHE:-/var/tmp/xbdev-lab}
LAB_ROOT=$LAB_CACHE/root            # every fetched .deb unpacked here
LAB_STAMP=$LAB_CACHE/complete       # written last: the cache is whole
B=${B:-build}
LAB_OUT=${LAB_OUT:-$B/lab}          # images, logs and TAP of one run
LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)

lab_log() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# The kernel version linux-image-amd64 depends on today, remembered in the
# cache so that later runs (and offline runs) agree with the download.
lab_kver() {
	if [ -f "$LAB_STAMP" ]; then
		sed -n 's/^kver=//p' "$LAB_STAMP"
		return
	fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*\)-amd64$/\1-amd64/p' | head -n1
}

now_s() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
