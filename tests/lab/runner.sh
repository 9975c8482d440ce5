#!/bin/sh
# Runs the lab scenarios inside dom0, one after another, each in its own
# session under a watchdog.  TAP goes to the console prefixed "TAP: " (the
# host strips it); each scenario's full output goes to its log.  A scenario
# that outlives its timeout is killed and reported "not ok ... timed out".
. /lab/config
L=/tmp/lab
mkdir -p $L/logs
console=/dev/console
tap() { echo "TAP: $*" > $console; }

# run_one NAME FILE [VAR=VALUE...]: FILE as the scenario NAME, with the
# given variables in its environment, under its timeout.
run_one() {
	local name=$1 s=$2 limit log pid waited rc start end last; shift 2
	limit=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$s" | head -n1)
	limit=${limit:-300}
	log=$L/logs/scenario-$name.log
	: > "$L/fails.$name"; : > "$L/count.$name"
	tap "# scenario $name (timeout ${limit}s)"
	start=$(cut -d' ' -f1 /proc/uptime)
	{ echo "#"; xen_faults; } > "$L/faults-before"   # never empty: awk below
	env SCENARIO="$name" "$@" setsid sh -c ". /lab/scenario-lib.sh; . '$s'" \
		> "$log" 2>&1 < /dev/null &
	pid=$!
	waited=0
	while kill -0 $pid 2>/dev/null && [ $waited -lt $limit ]; do
		sleep 1; waited=$((waited + 1))
	done
	if kill -0 $pid 2>/dev/null; then
		kill -KILL -$pid 2>/dev/null; kill -KILL $pid 2>/dev/null
		wait $pid 2>/dev/null
		last=$(grep -v '^TAP' "$log" | tail -n 3 | tr '\n' '|' | cut -c1-200)
		tap "not ok - $name: timed out after ${limit}s (last output: $last)"
	else
		wait $pid; rc=$?
		if [ $rc -ne 0 ] && [ ! -s "$L/fails.$name" ]; then
			tap "not ok - $name: scenario exited with status $rc (see scenario-$name.log)"
		elif [ ! -s "$L/count.$name" ]; then
			tap "not ok - $name: scenario ran no check"
		fi
	fi
	# A guest vCPU that triple-faulted meanwhile (Xen resets the guest, so
	# a scenario sees it gone or rebooted): named, since under QEMU TCG's
	# emulated nested SVM it was seen with no console line of the guest's
	# kernel (a CPU-level fault, not a panic).
	xen_faults | awk 'NR == FNR { seen[$0]; next } !($0 in seen)' "$L/faults-before" - |
	while read -r f; do
		tap "# $name: Xen: $f (a guest vCPU's triple fault: see README, \"Supported versions\")"
	done
	end=$(cut -d' ' -f1 /proc/uptime)
	tap "# scenario-done $name $(awk -v a=$start -v b=$end 'BEGIN{printf "%.1f", b-a}')s"
}
# Xen's "dNvM Triple fault" lines (xl dmesg's ring), without their prefix.
xen_faults() { xl dmesg 2>/dev/null | sed -n 's/^.*\(d[0-9]*v[0-9]* Triple fault\).*$/\1/p'; }
selected() { [ -z "$LAB_ONLY" ] || echo "$1" | grep -Eq "$LAB_ONLY"; }

t0=$(cut -d' ' -f1 /proc/uptime)
scenarios=$(ls /lab/scenarios/*.sh 2>/dev/null)
[ "$LAB_SELFTEST" = 1 ] && scenarios="$scenarios $(ls /lab/selftest/*.sh)"
# make soak: the long runs alone.
[ "$LAB_SOAK" = 1 ] && scenarios=$(ls /lab/soak/*.sh)
for s in $scenarios; do
	name=$(basename "$s" .sh)
	selected "$name" && run_one "$name" "$s"
	# "# guest-types: pv pvh": the scenario runs once more as NAME-pvh,
	# its guests PVH (guest_start reads GUEST_TYPE).
	if { [ "$LAB_XEN" != 4.17 ] || [ "$LAB_PVH" = 1 ]; } &&
	   grep -Eq '^# guest-types:.* pvh( |$)' "$s" && selected "$name-pvh"; then
		run_one "$name-pvh" "$s" GUEST_TYPE=pvh
	fi
done
t1=$(cut -d' ' -f1 /proc/uptime)
tap "# timing scenarios_s=$(awk -v a=$t0 -v b=$t1 'BEGIN{printf "%.1f", b-a}')"
. /lab/scenario-lib.sh
guest_destroy_all
lab_dump_logs
