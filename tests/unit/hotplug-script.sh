#!/bin/sh
# hotplug/xbdev, the script libxl runs for script=xbdev disks, against a
# fake xenstore: xenstore-read/-write/-exists on files under a temporary
# directory (a relative path is dom0's, /local/domain/0/...).  Run under
# every POSIX shell found (dash, busybox sh): add (serving, error, timeout,
# directory removed meanwhile, vbd3), remove (no backend, the record's
# backend process, a reused pid, a process found without record, timeout)
# and bad input.  The backend processes are real ones (sh -c 'sleep'
# naming the backend path in their arguments).  Prints TAP.
top=$(cd "$(dirname "$0")/../.." && pwd)
script=$top/hotplug/xbdev
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
check_eq() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi; }

tmp=$(mktemp -d)
bgs=
trap 'for p in $bgs; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/bin"
cat > "$tmp/bin/fake-xs" <<'EOF'
#!/bin/sh
# A node is a directory; its value is the file .v in it.
f() { case $1 in /*) echo "$FAKE_XS$1" ;; *) echo "$FAKE_XS/local/domain/0/$1" ;; esac; }
case ${0##*/} in
xenstore-read)
	[ -f "$(f "$1")/.v" ] || { echo "xenstore-read: couldn't read path $1" >&2; exit 1; }
	cat "$(f "$1")/.v"; echo ;;
xenstore-exists) [ -d "$(f "$1")" ] ;;
xenstore-write)
	while [ $# -ge 2 ]; do
		mkdir -p "$(f "$1")" && printf '%s' "$2" > "$(f "$1")/.v" || exit 1
		echo "$1" >> "$FAKE_XS.writes"
		shift 2
	done ;;
esac
EOF
chmod +x "$tmp/bin/fake-xs"
for t in xenstore-read xenstore-write xenstore-exists; do ln -s fake-xs "$tmp/bin/$t"; done
export FAKE_XS="$tmp/store"
PATH=$tmp/bin:$PATH

# A device of a frontend id of our own, so that the /proc scan never meets
# another run's fake backends.
FE=$(($$ % 30000 + 1))
DEV=51712
BE=backend/vbd/$FE/$DEV
ABS=/local/domain/0/$BE

reset() { rm -rf "$FAKE_XS" "$FAKE_XS.writes"; mkdir -p "$FAKE_XS"; }
put() { xenstore-write "$1" "$2"; }
get() { xenstore-read "$1" 2>/dev/null; }
ms() { date +%s%3N; }
# run SH ACTION [VAR=VALUE...]: the script under shell SH, its exit status
# in $rc, stderr in $tmp/err, the time it took in $took (ms).
run() {
	sh=$1 action=$2
	shift 2
	t0=$(ms)
	env XENBUS_TYPE=vbd XENBUS_PATH="$BE" XENBUS_BASE_PATH=backend "$@" \
		$sh "$script" "$action" > "$tmp/out" 2> "$tmp/err" < /dev/null
	rc=$?
	took=$(($(ms) - t0))
}
# backend SECONDS [PATH]: a process naming PATH (default the device's
# absolute backend path) in its arguments, as xbdevd starts xbdev-blkback,
# living SECONDS; its pid in $bg.
backend() {
	# Its sleep dies with it, and keeps no descriptor of the test's open.
	sh -c 'sleep "$1" & c=$!; trap "kill \$c; exit 0" TERM; wait $c' \
		xbdev-blkback "$1" "${2:-$ABS}" > /dev/null 2>&1 < /dev/null &
	bg=$!
	bgs="$bgs $bg"
}
# fakeproc PID ARG...: $tmp/proc/PID/cmdline with ARG... NUL-separated.
fakeproc() {
	mkdir -p "$tmp/proc/$1"
	p=$1
	shift
	printf '%s\0' "$@" > "$tmp/proc/$p/cmdline"
}
gone_proc() { ! grep -q . "/proc/$1/cmdline" 2>/dev/null; }

shells=
command -v dash > /dev/null && shells="$shells dash"
command -v busybox > /dev/null && busybox sh -c : 2>/dev/null && shells="$shells busybox_sh"
[ -n "$shells" ] || shells="sh"

for s in $shells; do
	sh=$(echo "$s" | tr _ ' ')

	# ---- add ----------------------------------------------------------------
	reset; put $BE/state 2; put $BE/xbdev-status serving
	run "$sh" add
	check_eq "$s: add, backend serving: exit 0" 0 "$rc"
	check_eq "$s: add, backend serving: hotplug-status connected" connected "$(get $BE/hotplug-status)"
	check "$s: add, backend serving: no hotplug-error" test -z "$(get $BE/hotplug-error)"

	reset; put $BE/state 2
	(sleep 0.5; put $BE/xbdev-status serving) &
	run "$sh" add
	wait
	check_eq "$s: add, backend serving after 0.5 s: exit 0" 0 "$rc"
	check_eq "$s: add, backend serving later: hotplug-status connected" connected "$(get $BE/hotplug-status)"
	check "$s: add waited for the backend ($took ms)" test "$took" -ge 400

	reset; put $BE/state 2
	put $BE/hotplug-error "xbdev: /img/a.img: No such file or directory"
	put $BE/xbdev-status error
	run "$sh" add
	check_eq "$s: add, backend error: exit 1" 1 "$rc"
	check_eq "$s: add, backend error: hotplug-status error" error "$(get $BE/hotplug-status)"
	check_eq "$s: add, backend error: the backend's hotplug-error kept" \
		"xbdev: /img/a.img: No such file or directory" "$(get $BE/hotplug-error)"

	reset; put $BE/state 2; put $BE/xbdev-status error
	run "$sh" add
	check_eq "$s: add, backend error without hotplug-error: exit 1" 1 "$rc"
	check_eq "$s: add, backend error without hotplug-error: one written" \
		"xbdev: the xbdev backend of $BE failed (see its log in /var/log/xbdev/)" "$(get $BE/hotplug-error)"

	reset; put $BE/state 2
	run "$sh" add XBDEV_HOTPLUG_TIMEOUT=1
	check_eq "$s: add, no backend: exit 3 (timeout)" 3 "$rc"
	check_eq "$s: add, no backend: hotplug-error" \
		"xbdev: no xbdev backend answered for $BE within 1 s: is xbdevd running?" "$(get $BE/hotplug-error)"
	check_eq "$s: add, no backend: hotplug-status error" error "$(get $BE/hotplug-status)"
	check "$s: add, no backend: the same line on stderr" \
		grep -qx "xbdev: no xbdev backend answered for $BE within 1 s: is xbdevd running?" "$tmp/err"
	check "$s: add, no backend: gave up after its 1 s, far before the default 20 ($took ms)" test "$took" -lt 6000

	reset; put $BE/state 2
	(sleep 0.5; rm -rf "$FAKE_XS/local/domain/0/backend") &
	run "$sh" add XBDEV_HOTPLUG_TIMEOUT=5
	wait
	check_eq "$s: add, directory removed while waiting: exit 1" 1 "$rc"
	check "$s: add, directory removed: not written again" \
		test ! -e "$FAKE_XS/local/domain/0/backend"
	check "$s: add, directory removed: did not wait for the timeout ($took ms)" test "$took" -lt 3000

	reset
	BE3=backend/vbd3/$FE/$DEV
	put $BE3/state 2; put $BE3/xbdev-status serving
	BE_SAVED=$BE BE=$BE3
	run "$sh" add XENBUS_TYPE=vbd3
	BE=$BE_SAVED
	check_eq "$s: add, vbd3 backend serving: exit 0" 0 "$rc"
	check_eq "$s: add, vbd3: hotplug-status connected" connected "$(get $BE3/hotplug-status)"

	# ---- remove ---------------------------------------------------------------
	reset; put $BE/state 6
	run "$sh" remove
	check_eq "$s: remove, no record and no backend process: exit 0" 0 "$rc"
	check "$s: remove, nothing to wait for: at once, not its 10 s wait ($took ms)" test "$took" -lt 5000

	reset; put $BE/state 6
	backend 1
	put /xbdev/$FE/vbd/$DEV/pid $bg
	put /xbdev/$FE/vbd/$DEV/managed-by libxl
	run "$sh" remove
	check_eq "$s: remove, the record's backend exits after 1 s: exit 0" 0 "$rc"
	check "$s: remove waited for it ($took ms)" test "$took" -ge 600
	check "$s: remove returned once it had exited" gone_proc $bg
	wait

	reset; put $BE/state 6
	backend 5 /local/domain/0/backend/vbd/$FE/$((DEV + 16))
	put /xbdev/$FE/vbd/$DEV/pid $bg
	run "$sh" remove
	check_eq "$s: remove, the record's pid is another device's process: exit 0" 0 "$rc"
	check "$s: remove, another device's process: not waited for, it runs 5 s ($took ms)" test "$took" -lt 4000
	kill $bg; wait

	# Without a record the script looks for xbdev-blkback processes: a
	# /proc of our own, whose "process" exits when its directory goes.
	reset; put $BE/state 6
	fakeproc 4242 /usr/libexec/xbdev/xbdev-blkback "$ABS"
	fakeproc 4243 /usr/libexec/xbdev/xbdev-blkback "$ABS/x"
	fakeproc 4244 /bin/sleep "$ABS"
	(sleep 1; rm -rf "$tmp/proc/4242") &
	run "$sh" remove XBDEV_HOTPLUG_PROC="$tmp/proc"
	wait
	check_eq "$s: remove, no record, an xbdev-blkback of the device exits after 1 s: exit 0" 0 "$rc"
	check "$s: remove, no record: waited for the process ($took ms)" test "$took" -ge 600
	rm -rf "$tmp/proc/4242"
	run "$sh" remove XBDEV_HOTPLUG_PROC="$tmp/proc"
	check_eq "$s: remove, no record, only other processes: exit 0" 0 "$rc"
	check "$s: remove, no record, other processes: not waited for (the default wait is 10 s; $took ms)" test "$took" -lt 5000
	rm -rf "$tmp/proc"

	reset; put $BE/state 6
	backend 30
	put /xbdev/$FE/vbd/$DEV/pid $bg
	run "$sh" remove XBDEV_HOTPLUG_REMOVE_TIMEOUT=1
	check_eq "$s: remove, backend still running: exit 3 (timeout)" 3 "$rc"
	check_eq "$s: remove timeout: hotplug-error" \
		"xbdev: the xbdev backend of $BE (pid $bg) is still running after 1 s: its image may still be in use" \
		"$(get $BE/hotplug-error)"
	check "$s: remove timeout: gave up after its 1 s, far before the default 10 ($took ms)" test "$took" -lt 6000
	kill $bg; wait

	# ---- bad input ----------------------------------------------------------------
	reset; put $BE/state 2; put $BE/xbdev-status serving
	: > "$FAKE_XS.writes"
	run "$sh" frobnicate
	check_eq "$s: unknown action: exit 2" 2 "$rc"
	check "$s: unknown action: usage on stderr" grep -q '^usage: ' "$tmp/err"
	run "$sh" ""
	check_eq "$s: empty action: exit 2" 2 "$rc"
	env XENBUS_PATH="$BE" $sh "$script" > /dev/null 2>&1; rc=$?
	check_eq "$s: no action: exit 2" 2 "$rc"
	env XENBUS_PATH="$BE" $sh "$script" add remove > /dev/null 2>&1; rc=$?
	check_eq "$s: two actions: exit 2" 2 "$rc"
	for p in "" backend/vif/$FE/0 "backend/vbd/$FE/../x" "backend/vbd/$FE/$DEV/x" \
		"/local/domain/0/$BE" "backend/vbd/-1/$DEV" "backend/vbd/$FE/"; do
		env XENBUS_PATH="$p" $sh "$script" add > /dev/null 2>&1; rc=$?
		check_eq "$s: XENBUS_PATH '$p': exit 2" 2 "$rc"
	done
	run "$sh" add XBDEV_HOTPLUG_TIMEOUT=soon
	check_eq "$s: bad XBDEV_HOTPLUG_TIMEOUT: exit 2" 2 "$rc"
	check "$s: bad input wrote nothing" test ! -s "$FAKE_XS.writes"
done
echo "1..$n"
