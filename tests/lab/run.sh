#!/bin/bash
# Host side of `make check-lab`: fetch (cached), build the images, boot
# Xen + dom0 in QEMU once, stream the scenarios' TAP to stdout, and bring
# back the logs into $LAB_OUT.  Everything is bounded: QEMU is killed after
# LAB_TIMEOUT seconds (default: the sum of the scenario timeouts + 120), and
# every scenario that did not report its end becomes "not ok" with the
# reason.  Diagnostics go to stderr.
#   LAB_ONLY=REGEX      run only scenarios whose file name matches
#   LAB_SELFTEST=1      also run the lab's own self-tests (tests/lab/selftest)
#   LAB_SOAK=1          run the long runs (tests/lab/soak) instead of the scenarios
#   LAB_MODE=demo       run the demo instead of the scenarios
#   LAB_TIMEOUT=S       bound on the whole boot (default: the scenarios' sum, at most 4200)
#   LAB_SHARED_IOPS=N   (bench) two virtio disks in one QEMU throttle group of
#                       N requests a second: dom0's /dev/vda and /dev/vdb
set -o pipefail
. "$(dirname "$0")/common.sh"
export B LAB_ONLY LAB_SELFTEST LAB_MODE LAB_SOAK LAB_PVH
tap() { printf '%s\n' "$*"; }

t_start=$(now_s)
if ! "$LAB_DIR/host-deps.sh" >&2; then
	tap "not ok - lab: host packages missing"; exit 0
fi
dl=no
if [ ! -f "$LAB_STAMP" ]; then
	dl=yes
	if ! "$LAB_DIR/fetch.sh" >&2; then
		tap "not ok - lab: fetching Xen and the kernel failed"; exit 0
	fi
fi
t_fetched=$(now_s)
mkdir -p "$LAB_OUT"
rm -rf "$LAB_OUT"/logs "$LAB_OUT"/serial.log
if ! "$LAB_DIR/image.sh" >&2; then
	tap "not ok - lab: building the images failed"; exit 0
fi
t_image=$(now_s)

# The scenarios this run expects to see finish.
expected=()
scenario_dir=scenarios
[ "$LAB_SOAK" = 1 ] && scenario_dir=soak
selected() { [ -z "$LAB_ONLY" ] || grep -Eq "$LAB_ONLY" <<<"$1"; }
# PVH runs: on 4.20; on 4.17 only with LAB_PVH=1 (a PVH guest under 4.17's
# nested paging in TCG was seen to triple-fault while booting, 1 boot in a
# few, under load: not xbdev's to fail CI on).
pvh_runs() { [ "$LAB_XEN" != 4.17 ] || [ "${LAB_PVH:-0}" = 1 ]; }
for s in "$LAB_DIR"/$scenario_dir/*.sh; do
	[ -e "$s" ] || continue
	n=$(basename "$s" .sh)
	selected "$n" && expected+=("$n")
	# Its PVH run (see runner.sh).
	pvh_runs && grep -Eq '^# guest-types:.* pvh( |$)' "$s" && selected "$n-pvh" && expected+=("$n-pvh")
done
if [ "$LAB_SELFTEST" = 1 ]; then
	for s in "$LAB_DIR"/selftest/*.sh; do
		n=$(basename "$s" .sh)
		[ -n "$LAB_ONLY" ] && ! grep -Eq "$LAB_ONLY" <<<"$n" && continue
		expected+=("$n")
	done
fi
budget=120
for n in "${expected[@]}"; do
	f=$(ls "$LAB_DIR"/$scenario_dir/$n.sh "$LAB_DIR"/selftest/$n.sh "$LAB_DIR"/$scenario_dir/${n%-pvh}.sh 2>/dev/null | head -n1)
	t=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$f" | head -n1)
	budget=$((budget + ${t:-300}))
done
[ "$LAB_MODE" = demo ] && budget=900
# Never more than 70 minutes in all, so that CI (90 min; the unit suite,
# check-deb and the fuzzers take about 10 before the lab) always gets its
# report: scenarios cut off by this become "not ok ... did not finish".
# (4.17's whole lab takes about 55 minutes since the I/O-limit scenario,
# too close to the hour this was.)
[ $budget -gt 4200 ] && budget=4200
timeout_s=${LAB_TIMEOUT:-$budget}

serial=$LAB_OUT/serial.log
qemu=(qemu-system-x86_64 -machine q35 -accel tcg,thread=multi
	-cpu qemu64,+svm,+npt -smp 2 -m "${LAB_MEM:-4096}" -nographic -no-reboot
	-kernel "$LAB_CACHE/xen"
	-append "console=com1 com1=115200 dom0_mem=1536M,max:1536M dom0_max_vcpus=1 noreboot loglvl=warning guest_loglvl=warning"
	-initrd "$LAB_ROOT/boot/vmlinuz-$(lab_kver) console=hvc0 quiet loglevel=1,$LAB_OUT/dom0.cpio.gz")
# The bench's limit stage wants a disk that two guests share, of a known
# capacity, as a noisy guest's neighbours share a real one: two sparse
# images, one virtio disk each for dom0, throttled together by QEMU (its
# throttle group serves the two in turn up to N requests a second).
if [ "$LAB_MODE" = bench ] && [ -n "${LAB_SHARED_IOPS:-}" ]; then
	for n in a b; do
		rm -f "$LAB_OUT/shared-$n.img"
		truncate -s 320M "$LAB_OUT/shared-$n.img"
		qemu+=(-drive "file=$LAB_OUT/shared-$n.img,if=none,id=shared$n,format=raw,throttling.iops-total=$LAB_SHARED_IOPS,throttling.group=shared"
		       -device "virtio-blk-pci,drive=shared$n")
	done
fi
lab_log "booting Xen + dom0 (timeout ${timeout_s}s); serial log: $serial"
t_boot=$(now_s)
t_ready=
# Stream the serial console: TAP lines to stdout (live), the demo's
# narration to stdout, everything to the serial log.
while IFS= read -r line; do
	# The console may end a line with more than one CR.
	while [[ $line == *$'\r' ]]; do line=${line%$'\r'}; done
	printf '%s\n' "$line" >> "$serial"
	case "$line" in
	"TAP: "*) tap "${line#TAP: }" ;;
	"LAB: dom0 ready"*) t_ready=$(now_s); lab_log "dom0 ready after $(elapsed "$t_boot" "$t_ready") s" ;;
	"DEMO: "*) printf '%s\n' "${line#DEMO: }" ;;
	"LABFILE"*) ;;
	*"Panic on CPU"*|*"Kernel panic"*) lab_log "$line" ;;
	esac
done < <(timeout -s KILL "$timeout_s" "${qemu[@]}" < /dev/null 2>&1; echo "LAB-QEMU-EXIT $?")
t_end=$(now_s)
qemu_rc=$(sed -n 's/^LAB-QEMU-EXIT //p' "$serial" | tail -n1)

# Split the logs dumped by dom0 into files.
mkdir -p "$LAB_OUT/logs"
awk -v dir="$LAB_OUT/logs" '
	{ sub(/\r+$/, "") }
	/^LABFILE-BEGIN / { f = dir "/" $2; printf "" > f; next }
	/^LABFILE-END/ { close(f); f = ""; next }
	/^LABFILE: / && f != "" { print substr($0, 10) >> f }
' "$serial"

# Every expected scenario that did not report its end becomes "not ok".
why="the lab ended early"
[ "$qemu_rc" = 137 ] && why="the lab hit its ${timeout_s}s timeout"
# Xen's and dom0's own lines only: a scenario's TAP lines and the logs
# dumped as LABFILE lines may quote a guest's panic.
console_says() { grep -v -e '^TAP: ' -e '^LABFILE' "$serial" | grep -q "$1"; }
console_says "Panic on CPU" && why="Xen panicked"
console_says "Kernel panic" && why="dom0's kernel panicked"
[ -z "$t_ready" ] && why="dom0 never became ready ($why)"
if [ "$LAB_MODE" != demo ]; then
	for n in "${expected[@]}"; do
		grep -q "^TAP: # scenario-done $n " "$serial" ||
			tap "not ok - $n: did not finish: $why (see $serial)"
	done
	[ ${#expected[@]} -eq 0 ] && tap "not ok - lab: no scenario selected"
fi

dl_s=0; [ $dl = yes ] && dl_s=$(elapsed "$t_start" "$t_fetched")
tap "# timing: download ${dl_s}s (cached: $([ $dl = yes ] && echo no || echo yes)), image $(elapsed "$t_fetched" "$t_image")s, boot to dom0 ready ${t_ready:+$(elapsed "$t_boot" "$t_ready")}s, whole lab run $(elapsed "$t_boot" "$t_end")s"
grep -h '^TAP: # timing' "$serial" | sed 's/^TAP: //' | tail -n 0
lab_log "logs: $LAB_OUT/logs/ (scenario-*.log, guest-*.log, dom0-dmesg.log), serial: $serial"
exit 0
