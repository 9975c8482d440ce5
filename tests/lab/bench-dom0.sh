#!/bin/sh
# `make bench` / `make bench-quick`, the dom0 side (LAB_MODE=bench; run by
# dom0-init).  Boots one guest, attaches the same tmpfs-backed file through
# each block backend in turn, runs the same fio jobs in the guest through
# the stock xen-blkfront, runs them in dom0 on the file itself (the limit),
# and times the control plane.  Every measurement goes to the console as
# one line "BENCH: {json}" (tests/lab/bench.sh collects them from the serial
# log); progress goes out as "DEMO: bench: ..." (run.sh prints those live).
#
# Settings come in LAB_ONLY (the only free-form value run.sh carries into
# /lab/config; it matches no scenario name): words such as
#   quick  runtime=SECONDS  ramp=SECONDS  repeats=N  size=MIB  skip=STAGE,..
#   jobs=NAME,NAME (only those I/O jobs)  features=NAME,NAME (only those rows)
#   busy (during each guest job, dom0 does what guest_run's wait does:
#         console grep + `xl domid` every 0.2 s; the first full run's load)
#   busy=N (that, and N loops of `xenstore-ls /`: a busy xenstored)
# Stages: io, local, features, pvh, limit, control, scale, memory, xl.
[ -z "$BASH_VERSION" ] && exec bash "$0" "$@"
. /lab/config
. /lab/scenario-lib.sh
SCENARIO=bench
G=bench                         # the guest
IMG=/tmp/bench.img              # the backing file (dom0's /tmp is tmpfs)
CPIMG=/tmp/cp.img               # small file for the control-plane runs
VDEV=xvdb DEVID=51728           # where the file appears in the guest
LIBEXEC=${XBDEV_LIBEXECDIR:-/usr/libexec/xbdev}

MODE=full RUNTIME=5 RAMP=1 REPEATS=3 SIZE=256 SKIP= LIMIT_DIV=10 SHARED_IOPS=0
for w in $LAB_ONLY; do
	case "$w" in
	quick) MODE=quick ;;
	runtime=*) RUNTIME=${w#*=} ;;
	ramp=*) RAMP=${w#*=} ;;
	repeats=*) REPEATS=${w#*=} ;;
	size=*) SIZE=${w#*=} ;;
	skip=*) SKIP=${w#*=} ;;
	jobs=quick) QUICKJOBS=1 ;;
	jobs=*) PICKJOBS=${w#*=} ;;    # jobs=NAME,NAME: those of JOBS_FULL
	features=*) PICKFEAT=${w#*=} ;; # features=NAME,NAME: only those rows
	xl=*) XLPICK=${w#*=} ;;        # xl=NAME,NAME: only those backends (stage xl)
	busy) BUSY=1 ;;
	busy=*) BUSY=1 XSBUSY=${w#*=} ;;
	profile) PROFILE=1 ;;
	limitdiv=*) LIMIT_DIV=${w#*=} ;; # limit stage: A's limit, 1/N of A alone
	shared-iops=*) SHARED_IOPS=${w#*=} ;; # limit stage: the shared disk's capacity
	esac
done
if [ $MODE = quick ]; then
	[ "$LAB_ONLY" = "${LAB_ONLY/runtime=/}" ] && RUNTIME=3
	[ "$LAB_ONLY" = "${LAB_ONLY/repeats=/}" ] && REPEATS=1
	[ "$LAB_ONLY" = "${LAB_ONLY/size=/}" ] && SIZE=64
	SKIP=features,pvh,limit,control,scale,xl,$SKIP
fi
stage() { case ",$SKIP," in *",$1,"*) return 1 ;; esac; return 0; }

say() { echo "DEMO: bench: $*" > /dev/console; }
now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.4f", b - a }'; }
# emit JSON: one result line on the console and in the bench log.
emit() {
	echo "BENCH: $1" > /dev/console
	echo "$1" >> "$L/logs/bench-results.log"
}
jstr() { printf '"%s"' "$(printf '%s' "$1" | tr -d '"\\' | tr '\n' ' ')"; }
fatal() { say "FAILED: $*"; emit "{\"kind\":\"error\",\"what\":$(jstr "$*")}"; finish 1; }
finish() {
	say "cleaning up"
	detach_any >/dev/null 2>&1
	guest_destroy_all
	[ -n "$QEMU_PID" ] && kill "$QEMU_PID" 2>/dev/null
	for l in $(losetup -a 2>/dev/null | cut -d: -f1); do losetup -d "$l"; done
	emit "{\"kind\":\"done\",\"mode\":\"$MODE\",\"status\":${1:-0}}"
	lab_dump_logs
	exit "${1:-0}"
}
T() { timeout -s KILL "$@"; }   # T SECONDS CMD...: every call is bounded

# ---- guest helpers ---------------------------------------------------------
gq() { GUEST_RUN_TIMEOUT=${GRT:-60} guest_run "$G" "$@"; }
# gq_after SECONDS CMD: guest_run for a long job: the same protocol (see
# tests/lab/guest-init), but no polling of the console (forks in dom0,
# competing with the backend for dom0's one vCPU) before SECONDS passed.
gq_after() {
	local secs=$1 id seq log end; shift
	id=$(guest_domid "$G") || return 125
	seq=$(( $(cat "$L/seq.$G" 2>/dev/null || echo 0) + 1 ))
	echo $seq > "$L/seq.$G"
	xenstore-write "/local/domain/$id/data/lab-cmd" "$*" &&
	xenstore-write "/local/domain/$id/data/lab-seq" "$seq" || return 125
	sleep "$secs"
	log=$(guest_console "$G")
	end=$((SECONDS + 90))
	until tr -d '\r' < "$log" | grep -q "^LABEND $seq "; do
		[ $SECONDS -ge $end ] && { echo "guest $G: no answer" >&2; return 124; }
		sleep 0.5
	done
	tr -d '\r' < "$log" | sed -n "s/^LABOUT $seq //p"
}
guest_has_dev() {  # guest_has_dev yes|no NAME: wait for /dev/NAME (not) to exist
	local want=$1 dev=$2
	if [ "$want" = yes ]; then
		gq "for i in \$(seq 100); do [ -b /dev/$dev ] && exit 0; sleep 0.1; done; exit 1" >/dev/null
	else
		gq "for i in \$(seq 100); do [ -b /dev/$dev ] || exit 0; sleep 0.1; done; exit 1" >/dev/null
	fi
}
# blkfront_reload [PARAM=V...]: reload the guest's xen-blkfront with
# module parameters (no disk attached: the guest runs from its initramfs).
blkfront_reload() {
	gq "rmmod xen_blkfront 2>/dev/null; insmod /lib/modules/xen-blkfront.ko $*" >/dev/null
}

# ---- attaching the file through each backend --------------------------------
# Every backend gets the same file at the same guest vdev (xvdb), one at a
# time.  ATTACHED names the live one for detach_any.
ATTACHED=
LOOP=
loop_setup() {
	[ -n "$LOOP" ] && return 0
	LOOP=$(losetup -f) && losetup "$LOOP" "$IMG"
}
# The loop device goes with blkback's device: xbdev attach refuses an
# image a loop device holds writable (one writer per image), so the other
# backends' turns need it gone.
loop_teardown() {
	[ -n "$LOOP" ] || return 0
	losetup -d "$LOOP" 2>/dev/null
	wait_for 10 sh -c "! test -e /sys/block/${LOOP#/dev/}/loop/backing_file"
	LOOP=
}
# The same xl disk spec for every backend; --backend says who serves it:
# xbdev-blkback, the kernel's blkback on a loop device (xbdev writes the
# nodes Xen's block script would: physical-device, hotplug-status), or
# QEMU's qdisk (params "aio:" = raw file).
spec() { echo "format=raw, vdev=$VDEV, access=rw, target=$1"; }
attach() {  # attach BACKEND: the file at xvdb through BACKEND
	local b=$1 out rc
	case $b in
	xbdev)
		# XBDEV_ENV: a backend setting for a before/after row
		# (features stage), e.g. XBDEV_BLKBACK_PAGE_CACHE=0.
		out=$(T 90 env $XBDEV_ENV xbdev attach "$G" vbd --disk "$IMG" --vdev $VDEV --timeout 60 2>&1) ;;
	qdisk)
		out=$(T 90 xbdev attach "$G" vbd "$(spec "$IMG")" --backend qdisk --timeout 60 2>&1) ;;
	blkback)
		loop_setup || { echo "losetup failed"; return 1; }
		out=$(T 90 xbdev attach "$G" vbd "$(spec "$LOOP")" --backend phy --timeout 60 2>&1) ;;
	esac
	rc=$?
	[ $rc -ne 0 ] && { echo "xbdev attach ($b) exit $rc: $out"; return 1; }
	ATTACHED=$b
	guest_has_dev yes $VDEV || { echo "guest has no /dev/$VDEV after attach"; return 1; }
}
detach_any() {
	[ -z "$ATTACHED" ] && return 0
	T 60 xbdev detach "$G" vbd/$DEVID --timeout 30 ||
		T 60 xbdev detach "$G" vbd/$DEVID --force --timeout 5
	[ "$ATTACHED" = blkback ] && loop_teardown
	ATTACHED=
	guest_has_dev no $VDEV
}
backend_pid() {  # the xbdev-blkback serving DOMID's device DEVID
	xenstore-read "/xbdev/$(guest_domid "$G")/vbd/${1:-$DEVID}/pid" 2>/dev/null
}
# CPU used while a job runs: dom0's whole vCPU (from /proc/stat, percent
# busy) and the backend's own threads (xbdev-blkback's process, or the
# kernel's blkback.* threads), in seconds.
cpu_ticks() {  # cpu_ticks PID...: utime+stime of those processes, in ticks
	local p t=0 v
	for p in "$@"; do
		v=$(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null) && t=$((t + ${v:-0}))
	done
	echo $t
}
backend_pids() {  # the processes doing the backend's work
	case $1 in
	xbdev) backend_pid ;;
	qdisk) echo "$QEMU_PID" ;;
	blkback) for p in /proc/[0-9]*; do
			case "$(cat "$p/comm" 2>/dev/null)" in blkback.*|loop[0-9]*) echo "${p#/proc/}" ;; esac
		done ;;
	esac
}
dom0_stat() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
# What xbdev-blkback negotiated with the guest's blkfront (record/info/).
negotiated() {  # negotiated CONFIG
	local info
	sleep 1.5   # the backend publishes at most once a second
	info=$(xenstore-ls "/xbdev/$(guest_domid "$G")/vbd/$DEVID/info" 2>/dev/null | tr -d '"' |
		awk '{ printf "%s%s=%s", (NR > 1 ? " " : ""), $1, $3 }')
	emit "{\"kind\":\"negotiated\",\"backend\":\"xbdev\",\"config\":\"$1\",\"info\":$(jstr "$info")}"
	say "  xbdev negotiated ($1): $info"
}
kb_of() {  # kb_of FIELD PID: VmRSS/VmHWM of PID in kB, or null
	local v
	v=$(sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$2/status" 2>/dev/null)
	echo "${v:-null}"
}
# image_kb PID: how much of VmRSS is the backing file itself mapped (the
# page-cache path of xbdev-blkback maps the image: those pages are the
# file's page cache, there with or without the mapping, not memory the
# backend allocated).
image_kb() {
	awk -v img="$IMG" '/^[0-9a-f]+-[0-9a-f]+ / { m = ($NF == img) } m && /^Rss:/ { s += $2 } END { print s + 0 }' \
		"/proc/$1/smaps" 2>/dev/null || echo 0
}
# Memory under load: sampled half-way through each job, the largest kept
# (reset by load_reset).  LOAD_OWN: VmRSS less the image mapped.
load_reset() { LOAD_OWN=0 LOAD_IMG=0; }
load_sample_start() {  # load_sample_start PID SECONDS: in the background
	( sleep "$2"; echo "$(kb_of VmRSS "$1") $(image_kb "$1")" > "$L/load.sample" ) &
	LOAD_SAMPLER=$!
}
load_sample_end() {
	local rss img
	wait "$LOAD_SAMPLER" 2>/dev/null
	read -r rss img < "$L/load.sample" 2>/dev/null || return 0
	rm -f "$L/load.sample"
	[ "$rss" = null ] && return 0
	[ $((rss - img)) -gt "$LOAD_OWN" ] && LOAD_OWN=$((rss - img))
	[ "$img" -gt "$LOAD_IMG" ] && LOAD_IMG=$img
	return 0
}

# ---- fio ---------------------------------------------------------------------
# The jobs: NAME RW BS IODEPTH [EXTRA].  The plot uses the randread QD series.
JOBS_FULL="randread-4k-qd1:randread:4k:1
randread-4k-qd8:randread:4k:8
randread-4k-qd32:randread:4k:32
randwrite-4k-qd1:randwrite:4k:1
randwrite-4k-qd32:randwrite:4k:32
read-1m-qd8:read:1m:8
write-1m-qd8:write:1m:8
randrw70-4k-qd32:randrw:4k:32:--rwmixread=70"
JOBS_QUICK="randread-4k-qd32:randread:4k:32"
[ $MODE = quick ] || [ -n "$QUICKJOBS" ] && JOBS=$JOBS_QUICK || JOBS=$JOBS_FULL
if [ -n "$PICKJOBS" ]; then
	JOBS=$(printf '%s\n' "$JOBS_FULL" | grep -E "^(${PICKJOBS//,/|}):")
fi

fio_args() {  # fio_args RW BS QD EXTRA: the common part of every job
	echo "--rw=$1 --bs=$2 --iodepth=$3 $4 --time_based --runtime=$RUNTIME" \
	     "--ramp_time=$RAMP --norandommap --randrepeat=0 --size=${SIZE}m" \
	     "--output-format=terse --terse-version=3"
}
# terse v3: 7 read KiB/s, 8 read IOPS, 16 read clat mean (us),
# 48 write KiB/s, 49 write IOPS, 57 write clat mean (us); 88 and 89 the
# job's user and system CPU (% of its runtime; in the guest, fio's own
# share of its vCPU), 90 its context switches.
terse_json() {
	awk -F';' '/^3;/ { sub(/%$/, "", $88); sub(/%$/, "", $89)
		printf "\"read_kbs\":%s,\"read_iops\":%s,\"read_clat_us\":%s,\"write_kbs\":%s,\"write_iops\":%s,\"write_clat_us\":%s,\"fio_usr_pct\":%s,\"fio_sys_pct\":%s,\"fio_ctx\":%s", $7, $8, $16, $48, $49, $57, $88 + 0, $89 + 0, $90 + 0; found = 1; exit }
		END { if (!found) exit 1 }'
}
summary() {  # one result line, for the progress output
	tr ',' '\n' | tr -d '{}"' | awk -F: '{ v[$1] = $2 }
		END { printf "read %d IOPS %.1f MB/s, write %d IOPS %.1f MB/s, clat %.1f/%.1f ms, dom0 busy %s%%, backend cpu %ss, fio usr/sys %.0f/%.0f%%",
			v["read_iops"], v["read_kbs"] / 1024, v["write_iops"], v["write_kbs"] / 1024,
			v["read_clat_us"] / 1000, v["write_clat_us"] / 1000, v["dom0_busy_pct"], v["backend_cpu_s"],
			v["fio_usr_pct"], v["fio_sys_pct"] }'
}
# profile PID SECONDS: what the backend process does while a job runs (no
# perf in dom0): user vs system time per thread, and a histogram of the
# system call each thread sits in (/proc/PID/task/TID/syscall, 5 samples a
# second).  Runs in the background; prints one JSON fragment at the end.
profile() {
	local pid=$1 secs=$2 t i=0 before after
	before=$(for t in /proc/$pid/task/*; do echo "$(cat $t/comm) $(awk '{ print $14, $15 }' $t/stat)"; done)
	while [ $i -lt $((secs * 5)) ] && kill -0 "$pid" 2>/dev/null; do
		for t in /proc/$pid/task/*; do
			echo "S $(cat $t/comm 2>/dev/null | tr ' ' _) $(cut -d' ' -f1 $t/syscall 2>/dev/null) $(cat $t/wchan 2>/dev/null)"
		done
		i=$((i + 1)); sleep 0.2
	done > "$L/prof.samples"
	after=$(for t in /proc/$pid/task/*; do echo "$(cat $t/comm) $(awk '{ print $14, $15 }' $t/stat)"; done)
	{ echo "$before" | sed 's/^/B /'; echo "$after" | sed 's/^/A /'; cat "$L/prof.samples"; } |
	awk '$1 == "B" { bu[$2] += $3; bs[$2] += $4 } $1 == "A" { au[$2] += $3; as[$2] += $4 }
		$1 == "S" { h[$2 ":" $3 (NF > 3 ? "/" $4 : "")]++; n++ }
		END { printf "\"threads\":\""; for (t in au) printf "%s user %.2fs sys %.2fs; ", t, (au[t] - bu[t]) / 100, (as[t] - bs[t]) / 100
		      printf "\",\"syscalls\":\""; for (k in h) printf "%s %d%%; ", k, 100 * h[k] / n; printf "\"" }'
}
# run_job WHERE BACKEND SPEC REP [CONFIG]: WHERE is guest (fio in the guest on
# /dev/xvdb, O_DIRECT, libaio) or local (fio in dom0 on the file: tmpfs has
# no O_DIRECT, so buffered io_uring).
run_job() {
	local where=$1 b=$2 spec=$3 rep=$4 cfg=${5:-default} name rw bs qd extra out j
	IFS=: read -r name rw bs qd extra <<<"$spec"
	local pids s0 s1 c0 c1 hz=100
	pids=$(backend_pids "$b")
	# shellcheck disable=SC2086
	c0=$(cpu_ticks $pids); s0=$(dom0_stat)
	local prof=
	if [ -n "$PROFILE" ] && [ "$b" != blkback ] && [ -n "$pids" ]; then
		profile "$pids" $((RUNTIME + RAMP)) > "$L/prof.out" 2>/dev/null &
		prof=$!
	fi
	local busy=
	if [ -n "$BUSY" ] && [ "$where" = guest ]; then
		( while :; do tr -d '\r' < "$(guest_console "$G")" | grep -q "^NEVER-MATCHES "
			guest_alive "$G"; sleep 0.2; done ) > /dev/null 2>&1 &
		busy=$!
		for _ in $(seq 1 "${XSBUSY:-0}"); do
			( while :; do xenstore-ls / > /dev/null 2>&1; done ) &
			busy="$busy $!"
		done
	fi
	local sampler=
	# NO_LOAD_SAMPLE: two jobs at once (limit stage) would share the file.
	case $b in xbdev|qdisk) [ -z "$NO_LOAD_SAMPLE" ] && [ -n "$pids" ] && load_sample_start "$pids" $(((RUNTIME + 2 * RAMP) / 2)) && sampler=1 ;; esac
	if [ "$where" = guest ]; then
		out=$(gq_after $((RUNTIME + RAMP)) "fio --name=$name --filename=/dev/$VDEV --direct=1 --ioengine=libaio $(fio_args "$rw" "$bs" "$qd" "$extra") 2>&1")
	else
		out=$(T $((RUNTIME + RAMP + 90)) $LFIO --name=$name --filename=$IMG --direct=0 --ioengine=io_uring $(fio_args "$rw" "$bs" "$qd" "$extra") 2>&1)
	fi
	# shellcheck disable=SC2086
	[ -n "$busy" ] && { kill $busy; wait $busy; } 2>/dev/null
	# shellcheck disable=SC2086
	c1=$(cpu_ticks $pids); s1=$(dom0_stat)
	[ -n "$sampler" ] && load_sample_end
	local cpu
	cpu=$(echo "$s0 $s1" | awk -v c=$((c1 - c0)) -v hz=$hz '{ t = $4 - $2; b = 0; if (t > 0) b = 100 * ($3 - $1) / t; printf "\"dom0_busy_pct\":%.1f,\"backend_cpu_s\":%.2f", b, c / hz }')
	if [ -n "$prof" ]; then
		wait $prof
		emit "{\"kind\":\"profile\",\"backend\":\"$b\",\"job\":\"$name\",\"rep\":$rep,$(cat "$L/prof.out")}"
		say "  profile $b $name: $(cat "$L/prof.out")"
	fi
	if j=$(printf '%s\n' "$out" | terse_json); then
		emit "{\"kind\":\"io\",\"backend\":\"$b\",\"job\":\"$name\",\"rw\":\"$rw\",\"bs\":\"$bs\",\"qd\":$qd,\"config\":\"$cfg\",\"rep\":$rep,\"runtime_s\":$RUNTIME,$j,$cpu}"
		return 0
	fi
	emit "{\"kind\":\"io-error\",\"backend\":\"$b\",\"job\":\"$name\",\"config\":\"$cfg\",\"rep\":$rep,\"output\":$(jstr "$(printf '%s' "$out" | tail -n 3 | cut -c1-300)")}"
	return 1
}

# ---- set-up -------------------------------------------------------------------
mkdir -p "$L/logs"
: > "$L/logs/bench-results.log"
say "mode $MODE: runtime ${RUNTIME}s (+${RAMP}s ramp), $REPEATS repeat(s), file ${SIZE} MiB on tmpfs"
emit "{\"kind\":\"setup\",\"mode\":\"$MODE\",\"runtime_s\":$RUNTIME,\"ramp_s\":$RAMP,\"repeats\":$REPEATS,\"size_mib\":$SIZE,\"xen\":$(jstr "$(xl info 2>/dev/null | sed -n 's/^xen_version *: //p')"),\"dom0_kernel\":$(jstr "$(uname -r)"),\"dom0_mem_mib\":$(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo),\"dom0_vcpus\":$(grep -c ^processor /proc/cpuinfo)}"
dd if=/dev/zero of=$IMG bs=1M count="$SIZE" status=none || fatal "cannot create $IMG"
dd if=/dev/zero of=$CPIMG bs=1M count=16 status=none

# fio for the dom0-local limit: dom0's image has none, the guest's has one.
# Unpack the guest image's fio and its libraries (same glibc as dom0).
LFIO=
if stage local; then
	mkdir -p /tmp/groot && (cd /tmp/groot && zcat /lab/img/guest.cpio.gz | cpio -id) > "$L/logs/bench-groot.log" 2>&1
	if [ -x /tmp/groot/usr/bin/fio ]; then
		# every directory holding a library (fio's plugins have RUNPATHs)
		libs=$(find /tmp/groot -name '*.so*' -type f | sed 's|/[^/]*$||' | sort -u | tr '\n' ':')
		LFIO="env LD_LIBRARY_PATH=${libs%:} /tmp/groot/usr/bin/fio"
		$LFIO --version >> "$L/logs/bench-groot.log" 2>&1 || LFIO=
	fi
	[ -z "$LFIO" ] && say "no fio for dom0 (from the guest image): no local limit: $(tail -n 3 "$L/logs/bench-groot.log" | tr '\n' ' ')"
fi

say "starting guest $G (${GUEST_MEMORY:-1024} MiB)"
GUEST_MEMORY=${GUEST_MEMORY:-1024} guest_start "$G" > "$L/logs/bench-guest-start.log" 2>&1 ||
	fatal "guest $G did not boot: $(tail -n 3 "$L/logs/bench-guest-start.log" | tr '\n' ' ')"
gq "command -v fio" >/dev/null || fatal "no fio in the guest image (build it with LAB_WITH_FIO=1)"
emit "{\"kind\":\"guest\",\"domid\":$(guest_domid "$G"),\"memory_mib\":${GUEST_MEMORY:-1024},\"vcpus\":${GUEST_VCPUS:-1},\"fio\":$(jstr "$(gq fio --version)")}"

# ---- QEMU qdisk -----------------------------------------------------------------
# qdisk needs a QEMU built with Xen support in dom0: Debian's qemu-system-xen
# (/usr/libexec/xen-qemu-system-i386).  The lab's dom0 image has none;
# bench.sh stages one (binary + libraries) where image.sh picks up extra
# files, $LAB_OUT/modules, so it arrives at /lab/modules/qemu/.  Started as
# libxl starts a PV guest's device model: -machine xenpv -xen-attach; its
# xen-bus then serves every backend/qdisk/<domid>/* directory.
QDIR=/lab/modules/qemu
QEMU_XEN=$QDIR/xen-qemu-system-i386
QEMU_PID=
BACKENDS="xbdev blkback"
QDISK_WHY=
if [ ! -x "$QEMU_XEN" ]; then
	QDISK_WHY="no Xen-enabled QEMU in dom0: the lab's dom0 image has no qemu-system-xen and bench.sh staged none (BENCH_QDISK=0, or apt-get download qemu-system-xen failed)"
elif ! LD_LIBRARY_PATH=$QDIR/lib "$QEMU_XEN" -machine help 2>&1 | grep -q xenpv; then
	QDISK_WHY="$QEMU_XEN does not run or has no xenpv machine: $(LD_LIBRARY_PATH=$QDIR/lib "$QEMU_XEN" -machine help 2>&1 | tail -n 2 | tr '\n' ' ')"
fi
# The device model of guest $G (a new one for each start of the guest).
qdisk_start() {
	local dom
	dom=$(guest_domid "$G")
	mkdir -p /var/run/xen
	LD_LIBRARY_PATH=$QDIR/lib setsid "$QEMU_XEN" -xen-domid "$dom" -xen-attach -name "$G" \
		-nodefaults -no-user-config -display none -nographic -machine xenpv \
		-m "${GUEST_MEMORY:-1024}" >> "$L/logs/qemu-qdisk.log" 2>&1 < /dev/null &
	QEMU_PID=$!
	if wait_for 60 sh -c "[ \"\$(xenstore-read /local/domain/0/device-model/$dom/state 2>/dev/null)\" = running ]" &&
	   kill -0 $QEMU_PID 2>/dev/null; then
		return 0
	fi
	QDISK_WHY="QEMU (xenpv, -xen-attach) did not come up: $(tail -n 3 "$L/logs/qemu-qdisk.log" | tr '\n' ' ')"
	kill $QEMU_PID 2>/dev/null; QEMU_PID=
	return 1
}
if [ -z "$QDISK_WHY" ] && qdisk_start; then
	BACKENDS="xbdev blkback qdisk"
	emit "{\"kind\":\"qdisk\",\"qemu\":$(jstr "$(LD_LIBRARY_PATH=$QDIR/lib "$QEMU_XEN" --version | head -n1)"),\"pid\":$QEMU_PID,\"rss_kb\":$(kb_of VmRSS $QEMU_PID)}"
fi
if [ -n "$QDISK_WHY" ]; then
	emit "{\"kind\":\"skip\",\"backend\":\"qdisk\",\"why\":$(jstr "$QDISK_WHY")}"
	say "qdisk: skipped: $QDISK_WHY"
fi

# ---- I/O: each backend, the same jobs, repeats interleaved ----------------------
# Repeats go round the backends (xbdev, blkback, xbdev, ...) so that a slow
# spell of the shared host hits every backend alike.
if stage io; then
	for rep in $(seq 1 "$REPEATS"); do
		for b in $BACKENDS; do
			say "repeat $rep/$REPEATS: $b"
			if ! attach $b > "$L/logs/bench-attach.log" 2>&1; then
				err=$(cat "$L/logs/bench-attach.log")
				emit "{\"kind\":\"attach-error\",\"backend\":\"$b\",\"rep\":$rep,\"error\":$(jstr "$err")}"
				say "  $b: attach failed: $err"
				detach_any >/dev/null 2>&1
				continue
			fi
			pid=
			case $b in
			xbdev) pid=$(backend_pid) ;;
			qdisk) pid=$QEMU_PID ;;
			esac
			idle=$(kb_of VmRSS "$pid")
			load_reset
			[ $b = xbdev ] && [ $rep = 1 ] && negotiated default
			while read -r spec; do
				run_job guest $b "$spec" $rep && say "  $b ${spec%%:*}: $(tail -n1 "$L/logs/bench-results.log" | summary)"
			done <<<"$JOBS"
			if [ -n "$pid" ]; then
				emit "{\"kind\":\"rss\",\"backend\":\"$b\",\"devices\":1,\"rep\":$rep,\"idle_kb\":$idle,\"after_load_kb\":$(kb_of VmRSS "$pid"),\"peak_kb\":$(kb_of VmHWM "$pid"),\"load_own_kb\":$LOAD_OWN,\"load_image_kb\":$LOAD_IMG}"
			fi
			detach_any > "$L/logs/bench-detach.log" 2>&1 ||
				say "  $b: detach failed: $(tail -n 2 "$L/logs/bench-detach.log" | tr '\n' ' ')"
		done
		if stage local && [ -n "$LFIO" ]; then
			say "repeat $rep/$REPEATS: dom0-local (fio on the tmpfs file)"
			while read -r spec; do
				run_job local local "$spec" $rep && say "  local ${spec%%:*}: $(tail -n1 "$L/logs/bench-results.log" | summary)"
			done <<<"$JOBS"
		fi
	done
fi

# ---- control plane ------------------------------------------------------------------
# Attach-to-Connected and detach times, median of REPEATS (x3 at least).
# The seeds' script, tests/bench/seed-attach.sh (image.sh puts it here).
SEED=/lab/bench/seed-attach.sh
# The seeds' detach: state Closing, wait for Closed, remove both dirs.
seed_detach() {  # seed_detach DOMID CLASS DEVID
	local fe=/local/domain/$1/device/$2/$3 be=/local/domain/0/backend/$2/$1/$3
	local end=$((SECONDS + 20))
	xenstore-write $be/online 0 $be/state 5
	until [ "$(xenstore-read $fe/state 2>/dev/null)" = 6 ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
	until [ "$(xenstore-read $be/state 2>/dev/null)" = 6 ] || [ $SECONDS -ge $end ]; do sleep 0.05; done
	xenstore-rm $fe; xenstore-rm $be
}
emit_cp() {  # emit_cp WHAT CLASS N ATTACH_S DETACH_S OK
	emit "{\"kind\":\"control\",\"what\":\"$1\",\"class\":\"$2\",\"devices\":$3,\"rep\":$rep,\"attach_s\":$4,\"detach_s\":$5,\"ok\":$6}"
}
mydevice_ready=
mydevice_setup() {
	[ -n "$mydevice_ready" ] && return 0
	[ -f /lab/modules/mydevice-back.ko ] || return 1
	grep -q '^mydevice_back ' /proc/modules || insmod /lab/modules/mydevice-back.ko || return 1
	gq "grep -q '^mydevice_front ' /proc/modules || insmod /lab/modules/mydevice-front.ko" >/dev/null || return 1
	mydevice_ready=1
}
vdev_name() {  # 0 -> xvdc, 23 -> xvdz, 24 -> xvdaa ...
	local i=$(($1 + 2)) l=abcdefghijklmnopqrstuvwxyz
	if [ $i -lt 26 ]; then echo "xvd${l:$i:1}"
	else echo "xvd${l:$((i / 26 - 1)):1}${l:$((i % 26)):1}"; fi
}
vdev_num() { local n=$(($1 + 2)); [ $n -lt 16 ] && echo $((202 << 8 | n << 4)) || echo $((1 << 28 | n << 8)); }
# cp_run WHAT N: attach N devices of one kind one after another (timed),
# then detach them (timed).  The N disks share one image, so they are
# read-only: one writer per image, which xbdev attach enforces.
cp_run() {
	local what=$1 n=$2 i t0 ta td ok=true dom
	dom=$(guest_domid "$G")
	t0=$(now)
	for i in $(seq 0 $((n - 1))); do
		case $what in
		xbdev-mydevice) T 60 xbdev attach "$G" mydevice --devid $((100 + i)) --timeout 30 ;;
		seed-mydevice) T 60 bash "$SEED" "$dom" mydevice $((100 + i)) 30 ;;
		xbdev-vbd) T 60 xbdev attach "$G" vbd --disk $CPIMG --readonly --vdev "$(vdev_name $i)" --timeout 30 ;;
		blkback-vbd) T 60 xbdev attach "$G" vbd "vdev=$(vdev_name $i), access=ro, target=$CPLOOP" --backend phy --timeout 30 ;;
		esac > "$L/logs/bench-cp.log" 2>&1 || { ok=false; say "  $what #$i: attach failed: $(tail -n 2 "$L/logs/bench-cp.log" | tr '\n' ' ')"; break; }
	done
	ta=$(since "$t0")
	if [ "$what" = xbdev-vbd ] && stage memory; then
		local tot=0 k c=0
		for i in $(seq 0 $((n - 1))); do
			k=$(kb_of VmRSS "$(backend_pid "$(vdev_num $i)")")
			[ "$k" != null ] && { tot=$((tot + k)); c=$((c + 1)); }
		done
		[ $c -gt 0 ] && emit "{\"kind\":\"rss\",\"backend\":\"xbdev\",\"devices\":$n,\"rep\":$rep,\"idle_kb\":$((tot / c)),\"total_kb\":$tot}"
	fi
	t0=$(now)
	for i in $(seq 0 $((n - 1))); do
		case $what in
		xbdev-mydevice) T 60 xbdev detach "$G" mydevice/$((100 + i)) --timeout 20 ;;
		seed-mydevice) seed_detach "$dom" mydevice $((100 + i)) ;;
		xbdev-vbd|blkback-vbd) T 60 xbdev detach "$G" vbd/"$(vdev_num $i)" --timeout 20 ;;
		esac > "$L/logs/bench-cp.log" 2>&1 || { ok=false; say "  $what #$i: detach failed: $(tail -n 2 "$L/logs/bench-cp.log" | tr '\n' ' ')"; }
	done
	td=$(since "$t0")
	emit_cp "$what" "${what#*-}" "$n" "$ta" "$td" $ok
	say "  $what x$n: attach ${ta}s, detach ${td}s"
}
if stage control; then
	CPLOOP=$(losetup -f) && losetup -r "$CPLOOP" $CPIMG   # read-only, as the disks on it
	kinds="xbdev-vbd blkback-vbd"
	if mydevice_setup; then kinds="xbdev-mydevice seed-mydevice $kinds"
	else emit "{\"kind\":\"skip\",\"what\":\"mydevice\",\"why\":\"fixture modules missing or failed to load\"}"; fi
	say "control plane: attach-to-Connected and detach, $kinds"
	for rep in $(seq 1 "$REPEATS"); do
		for k in $kinds; do cp_run $k 1; done
	done
fi

# ---- performance features: before/after rows --------------------------------------
# ab_rows CONFIG JOBS: REPEATS rounds of xbdev then blkback, each attached
# afresh, running JOBS (lines as in JOBS_FULL); results tagged CONFIG.
ab_rows() {
	local cfg=$1 jobs=$2 rep b spec
	for rep in $(seq 1 "$REPEATS"); do
		for b in xbdev blkback; do
			attach $b > "$L/logs/bench-attach.log" 2>&1 || {
				emit "{\"kind\":\"attach-error\",\"backend\":\"$b\",\"config\":\"$cfg\",\"error\":$(jstr "$(cat "$L/logs/bench-attach.log")")}"
				detach_any >/dev/null 2>&1; continue; }
			[ $b = xbdev ] && [ $rep = 1 ] && negotiated "$cfg"
			while read -r spec; do
				run_job guest $b "$spec" $rep "$cfg" &&
					say "  $b $cfg ${spec%%:*}: $(tail -n1 "$L/logs/bench-results.log" | summary)"
			done <<<"$jobs"
			detach_any >/dev/null 2>&1
		done
	done
}
# Multi-queue needs a guest with more than one vCPU (blkfront opens
# min(max_queues, vCPUs, backend's offer) rings) and I/O from more than one
# of them: a 2-vCPU guest, two fio jobs, blkfront max_queues=1 (before) and
# 2.  Linux blkback offers min(its max_queues parameter, dom0's vCPUs)
# queues, so 1 in this 1-vCPU dom0 unless raised.  The guest is started
# again afterwards as it was (one vCPU) for the stages that follow.
MQ_JOB="randread-4k-qd32x2:randread:4k:32:--numjobs=2 --group_reporting"
mq_rows() {
	local q
	say "multi-queue: 2-vCPU guest, blkfront max_queues=1 then 2"
	if ! guest_with GUEST_VCPUS=2; then
		emit "{\"kind\":\"skip\",\"what\":\"multi-queue\",\"why\":$(jstr "2-vCPU guest did not boot: $(tail -n 2 "$L/logs/bench-guest-start.log")")}"
	else
		echo 2 > /sys/module/xen_blkback/parameters/max_queues 2>/dev/null ||
			say "  cannot raise blkback's max_queues: it offers 1 queue"
		for q in 1 2; do
			blkfront_reload max_queues=$q
			ab_rows "$q-queue$([ $q = 1 ] || echo s)" "$MQ_JOB"
		done
	fi
	guest_as_first
}
# A PVH guest (the type Xen recommends; the same kernel, initramfs and
# blkfront): the jobs of the I/O table where the guest's side of the ring
# is busiest, xbdev and blkback, tagged "pvh" (the I/O table is the PV
# guest's).  Needs nested paging in the lab's QEMU (run.sh: +npt).
PVH_JOBS="randread-4k-qd1|randread-4k-qd32|randwrite-4k-qd32|read-1m-qd8|write-1m-qd8"
pvh_rows() {
	say "PVH guest: the same disk and jobs, guest type pvh"
	if ! guest_with GUEST_TYPE=pvh; then
		emit "{\"kind\":\"skip\",\"what\":\"pvh\",\"why\":$(jstr "PVH guest did not boot: $(tail -n 2 "$L/logs/bench-guest-start.log")")}"
	else
		ab_rows pvh "$(printf '%s\n' "$JOBS_FULL" | grep -E "^($PVH_JOBS):")"
	fi
	guest_as_first
}
# guest_with [VAR=VALUE...]: guest $G started again with those settings
# (GUEST_VCPUS, GUEST_TYPE: guest_start's), for xbdev and blkback rows.
guest_with() {
	[ -n "$QEMU_PID" ] && { kill "$QEMU_PID" 2>/dev/null; QEMU_PID=; }
	guest_destroy "$G"
	eval "$* GUEST_MEMORY=\${GUEST_MEMORY:-1024} guest_start \"\$G\"" > "$L/logs/bench-guest-start.log" 2>&1
}
# The guest as the first start made it (one vCPU, PV), with what that
# start set up for the later stages: qdisk's device model and the
# mydevice fixture's frontend module.
guest_as_first() {
	guest_with ||
		fatal "guest $G did not boot again: $(tail -n 3 "$L/logs/bench-guest-start.log" | tr '\n' ' ')"
	case " $BACKENDS " in
	*" qdisk "*) qdisk_start || fatal "qdisk: $QDISK_WHY" ;;
	esac
	if [ -n "$mydevice_ready" ]; then
		mydevice_ready=
		mydevice_setup || fatal "mydevice-front.ko did not load in the restarted guest"
	fi
}
# The guest's blkfront caps what it negotiates: reloading it with a module
# parameter switches one feature off for every backend alike.
if stage features; then
	# Each blkfront setting with the job where it should matter: deep
	# queues for the ring size, big requests for indirect descriptors.
	# Linux 6.1 blkfront defaults: ring order 0 (one page), 32 indirect
	# segments, persistent grants on, queues = min(backend, vCPUs) = 1
	# here (the guest has one vCPU: multi-queue is mq_rows' own run).
	# A setting "xbdev:VAR=VALUE ..." is xbdev-blkback's own (environment
	# variables; blkfront keeps its defaults): grant-copy is its data path
	# without persistent grants (grant copy, to/from the page cache),
	# bounce-buffers that without the page cache (every byte copied
	# twice), see io.c.
	# JOB may be several, NAME|NAME.
	for cfg in ring-16-pages:max_ring_page_order=4:randread-4k-qd32 \
		   no-indirect:max_indirect_segments=0:read-1m-qd8 \
		   indirect-256:max_indirect_segments=256:read-1m-qd8 \
		   'no-persistent:feature_persistent=0:randread-4k-qd32|read-1m-qd8' \
		   'grant-copy:xbdev:XBDEV_BLKBACK_PERSISTENT=0:read-1m-qd8|write-1m-qd8|randread-4k-qd32|randwrite-4k-qd32' \
		   'bounce-buffers:xbdev:XBDEV_BLKBACK_PERSISTENT=0 XBDEV_BLKBACK_PAGE_CACHE=0:read-1m-qd8|write-1m-qd8|randread-4k-qd32|randwrite-4k-qd32'; do
		IFS=: read -r name param job <<<"$cfg"
		[ -n "$PICKFEAT" ] && case ",$PICKFEAT," in *",$name,"*) ;; *) continue ;; esac
		XBDEV_ENV=
		if [ "$param" = xbdev ]; then
			XBDEV_ENV=${job%%:*} job=${job#*:} param=
		fi
		FEAT_JOBS=$(printf '%s\n' "$JOBS_FULL" | grep -E "^($job):")
		say "feature off: $name (${param:-xbdev-blkback $XBDEV_ENV})"
		blkfront_reload $param
		ab_rows "$name" "$FEAT_JOBS"
	done
	XBDEV_ENV=
	blkfront_reload
	if [ -z "$PICKFEAT" ] || [[ ",$PICKFEAT," == *,multi-queue,* ]]; then mq_rows; fi
fi
# On 4.17 only with LAB_PVH=1, as the lab's PVH scenarios (run.sh: a 4.17
# PVH guest under TCG's nested paging was seen to triple-fault at boot).
if stage pvh && { [ "$LAB_XEN" != 4.17 ] || [ "$LAB_PVH" = 1 ]; }; then
	pvh_rows
elif stage pvh; then
	emit "{\"kind\":\"skip\",\"what\":\"pvh\",\"why\":\"PVH guests on Xen 4.17 only with LAB_PVH=1 (make bench LAB_XEN=4.20 has the row)\"}"
fi


# ---- I/O limits: a limited noisy guest beside an unlimited one -------------------
# First, guest A ($G) alone on the bench file, attached with a limit
# (--limit riops=LIMIT_ATTACH): the cost of the limiter when off, the job
# with no limit (`xbdev limit ... none`) and with one far above reach,
# repeats interleaved.  Every change of the limit after the attach is live
# (`xbdev limit`).
# Then A beside guest B ($GB, 512 MiB, no limit), the same pair with A
# limited and unlimited, and B alone.  Where the lab has the shared disk
# (run.sh's LAB_SHARED_IOPS: two virtio disks that QEMU throttles together
# to SHARED_IOPS requests a second, serving the two in turn), A reads
# /dev/vda and B /dev/vdb, both O_DIRECT so that every request reaches the
# shared disk: the resource a noisy guest takes from its neighbours.  A's
# limit is a sixth of the disk; B asks for two thirds of it (fio
# --rate_iops), so that B and the limited A fit the disk together, and B
# unharmed means B gets all it asks beside the limited A, where an
# unlimited A (QD32) takes every other turn of the disk.  The first row
# of A alone on the shared disk shows what the disk gives one guest.
# Without the shared disk (BENCH_SHARED_IOPS=0), each reads its own tmpfs
# file, the same job in both; A's limit is 1/LIMIT_DIV of what A alone
# reached (the lab's speed varies with the host's load, a fixed limit may
# be out of reach); there the host's 2 CPUs are what the two share.
GB=benchb
IMGB=/tmp/bench-b.img
LIMIT_ATTACH=1000
LIMIT_IOPS=
LIMIT_FAR=100000000     # the most a spec takes: never reached
LIMIT_JOB="randread-4k-qd32:randread:4k:32"
LIMIT_JOB_B=$LIMIT_JOB          # B's job (on the shared disk: at a rate)
DISK_A= DISK_B=$IMGB ENV_SHARED=
limit_on_shared_disk() { [ "$SHARED_IOPS" -gt 0 ] && [ -b /dev/vda ] && [ -b /dev/vdb ]; }
limit_set() {  # limit_set SPEC: guest A's limit, live
	T 30 xbdev limit "$G" $VDEV "$1" >> "$L/logs/bench-limit.log" 2>&1 ||
		{ say "  xbdev limit $G $VDEV $1 failed: $(tail -n 1 "$L/logs/bench-limit.log")"; return 1; }
}
# Each domain's CPU time (all its vCPUs, xl list's Time(s)) since a mark:
# where the host's CPUs go while the pair runs, and what the guests take
# when idle (the lab's guests share the host's 2 CPUs with dom0 under TCG).
cpu_mark() { xl list 2>/dev/null | awk 'NR > 1 { print $1, $NF }' > "$L/cpu-mark"; }
cpu_since() {
	xl list 2>/dev/null | awk 'NR == FNR { t[$1] = $2; next }
		FNR > 1 && ($1 in t) { printf "%s%s +%.1fs", sep, $1, $NF - t[$1]; sep = ", " }' "$L/cpu-mark" -
}
cpu_note() {  # cpu_note REP WHAT: each domain's CPU time since cpu_mark
	local out
	out=$(cpu_since)
	emit "{\"kind\":\"domain-cpu\",\"what\":$(jstr "$2"),\"rep\":$1,\"cpu\":$(jstr "$out")}"
	say "  CPU time per domain, $2: $out"
}
# limit_pair REP SUFFIX HOW: the job in B and A at once (configs
# limit-b-beside$SUFFIX and limit-a$SUFFIX), A's limit as it is (HOW).
limit_pair() {
	local bpid
	cpu_mark
	( G=$GB NO_LOAD_SAMPLE=1 run_job guest xbdev "$LIMIT_JOB_B" "$1" "limit-b-beside$2" ) &
	bpid=$!
	NO_LOAD_SAMPLE=1 run_job guest xbdev "$LIMIT_JOB" "$1" "limit-a$2"
	wait $bpid
	cpu_note "$1" "B beside A $3"
}
limit_info() {  # limit_info WHO GUEST: what its backend says of the limits
	local rec info
	rec=/xbdev/$(guest_domid "$2")/vbd/$DEVID/info
	sleep 1.5   # published at most once a second
	info="limit=$(xenstore-read $rec/limit 2>/dev/null) held-requests=$(xenstore-read $rec/limit-held-requests 2>/dev/null) held-ms=$(xenstore-read $rec/limit-held-ms 2>/dev/null)"
	emit "{\"kind\":\"limit-info\",\"who\":\"$1\",\"info\":$(jstr "$info")}"
	say "  $1: $info"
}
# limit_share: 1/LIMIT_DIV of the median read IOPS of A's runs without a
# limit (limit-unset), in tens, at least 20.
limit_share() {
	grep '"config":"limit-unset"' "$L/logs/bench-results.log" |
		sed -n 's/.*"read_iops":\([0-9]*\).*/\1/p' | sort -n |
		awk -v div="$LIMIT_DIV" '{ v[NR] = $1 } END { m = NR ? v[int((NR + 1) / 2)] : 0; q = int(m / div / 10) * 10; print (q < 20 ? 20 : q) }'
}
# limit_shared_setup: A leaves the bench file for /dev/vda, limited to a
# sixth of the shared disk; B will read /dev/vdb at two thirds of it.
limit_shared_setup() {
	local out
	detach_any
	DISK_A=/dev/vda DISK_B=/dev/vdb ENV_SHARED=XBDEV_BLKBACK_DIRECT=1
	LIMIT_IOPS=$((SHARED_IOPS / 6))
	LIMIT_JOB_B="randread-4k-qd32-rate$((SHARED_IOPS * 2 / 3)):randread:4k:32:--rate_iops=$((SHARED_IOPS * 2 / 3))"
	say "  the shared disk: $SHARED_IOPS requests a second for $DISK_A and $DISK_B; A's limit riops=$LIMIT_IOPS, B's job ${LIMIT_JOB_B%%:*}"
	if ! out=$(T 90 env $ENV_SHARED xbdev attach "$G" vbd --disk "$DISK_A" --vdev $VDEV --limit riops=$LIMIT_IOPS --timeout 60 2>&1) ||
	   ! guest_has_dev yes $VDEV; then
		emit "{\"kind\":\"attach-error\",\"backend\":\"xbdev\",\"config\":\"limit-shared\",\"error\":$(jstr "$out")}"
		return 1
	fi
	ATTACHED=xbdev
}
limit_rows() {
	local rep cfg out
	say "I/O limits: guest $G limited beside guest $GB without a limit (${LIMIT_JOB%%:*})"
	if ! out=$(T 90 xbdev attach "$G" vbd --disk "$IMG" --vdev $VDEV --limit riops=$LIMIT_ATTACH --timeout 60 2>&1); then
		emit "{\"kind\":\"attach-error\",\"backend\":\"xbdev\",\"config\":\"limit\",\"error\":$(jstr "$out")}"
		return 1
	fi
	ATTACHED=xbdev
	guest_has_dev yes $VDEV || { emit "{\"kind\":\"error\",\"what\":\"limit: guest $G has no /dev/$VDEV\"}"; detach_any; return 1; }
	for rep in $(seq 1 "$REPEATS"); do
		for cfg in unset far; do
			if [ $cfg = unset ]; then limit_set none; else limit_set "iops=$LIMIT_FAR"; fi || continue
			run_job guest xbdev "$LIMIT_JOB" $rep limit-$cfg &&
				say "  limiter off ($cfg): $(tail -n1 "$L/logs/bench-results.log" | summary)"
		done
	done
	if limit_on_shared_disk; then
		limit_shared_setup || return 1
	else
		LIMIT_IOPS=$(limit_share)
		say "  A's limit: riops=$LIMIT_IOPS (1/$LIMIT_DIV of A alone without a limit)"
		limit_set riops=$LIMIT_IOPS || { detach_any; return 1; }
		dd if=/dev/zero of=$IMGB bs=1M count="$SIZE" status=none
	fi
	emit "{\"kind\":\"limit-setup\",\"riops\":$LIMIT_IOPS,\"far\":$LIMIT_FAR,\"job\":\"${LIMIT_JOB%%:*}\",\"job_b\":\"${LIMIT_JOB_B%%:*}\",\"shared_iops\":$(limit_on_shared_disk && echo "$SHARED_IOPS" || echo 0)}"
	if ! GUEST_MEMORY=512 guest_start "$GB" > "$L/logs/bench-guest-b.log" 2>&1; then
		emit "{\"kind\":\"skip\",\"what\":\"limit\",\"why\":$(jstr "guest $GB did not boot: $(tail -n 2 "$L/logs/bench-guest-b.log")")}"
		detach_any; rm -f $IMGB; return 1
	fi
	if ! out=$(T 90 env $ENV_SHARED xbdev attach "$GB" vbd --disk "$DISK_B" --vdev $VDEV --timeout 60 2>&1) ||
	   ! G=$GB guest_has_dev yes $VDEV; then
		emit "{\"kind\":\"attach-error\",\"backend\":\"xbdev\",\"config\":\"limit-b\",\"error\":$(jstr "$out")}"
		guest_destroy "$GB"; detach_any; rm -f $IMGB; return 1
	fi
	cpu_mark; sleep 10; cpu_note 0 "both guests idle for 10 s"
	for rep in $(seq 1 "$REPEATS"); do
		if [ -n "$DISK_A" ]; then
			limit_set none || break
			run_job guest xbdev "$LIMIT_JOB" $rep limit-a-alone &&
				say "  A alone on the shared disk, no limit: $(tail -n1 "$L/logs/bench-results.log" | summary)"
			limit_set riops=$LIMIT_IOPS || break
		fi
		cpu_mark
		G=$GB run_job guest xbdev "$LIMIT_JOB_B" $rep limit-b-alone &&
			say "  B alone: $(tail -n1 "$L/logs/bench-results.log" | summary)"
		cpu_note $rep "B alone"
		limit_pair $rep "" limited
		# the same pair with A unlimited: what the limit spares B
		limit_set none || break
		limit_pair $rep -unlimited unlimited
		limit_set riops=$LIMIT_IOPS || break
		for cfg in limit-a limit-b-beside limit-a-unlimited limit-b-beside-unlimited; do
			say "  $cfg: $(grep "\"config\":\"$cfg\",\"rep\":$rep," "$L/logs/bench-results.log" | tail -n1 | summary)"
		done
	done
	limit_info A "$G"
	limit_info B "$GB"
	T 60 xbdev detach "$GB" vbd/$DEVID --timeout 30 > "$L/logs/bench-detach.log" 2>&1 ||
		say "  $GB: detach failed: $(tail -n 2 "$L/logs/bench-detach.log" | tr '\n' ' ')"
	guest_destroy "$GB"
	rm -f $IMGB
	detach_any
}
if stage limit; then
	limit_rows
fi

if stage control && stage scale; then
	for n in 8 32; do
		say "control plane: $n devices"
		rep=1
		for k in $kinds; do cp_run $k $n; done
	done
fi

# ---- disks of xl configs: the same guest, the disk in its config ------------------
# For each backend: `xl create` of a guest whose config has the disk (xvdb)
# until the guest sees it (boot included: the same guest every time, so
# the differences are the backend's), then `xl block-attach` of a second
# disk (xvdc) of the same backend until the guest sees it, and `xl
# block-detach`.  xbdev: script=xbdev (xbdevd, started by dom0's init);
# blkback: phy on a loop device (Xen's block script, kernel blkback);
# qdisk: backendtype=qdisk, the QEMU that libxl starts for the guest.
# 512 MiB: the bench's initramfs (with fio) does not unpack in 256.
XLG=xlbench
xl_spec() {  # xl_spec BACKEND VDEV FILE LOOP
	case $1 in
	xbdev) echo "format=raw,vdev=$2,access=rw,script=xbdev,target=$3" ;;
	blkback) echo "format=raw,vdev=$2,access=rw,backendtype=phy,target=$4" ;;
	qdisk) echo "format=raw,vdev=$2,access=rw,backendtype=qdisk,target=$3" ;;
	esac
}
xl_guest_sees() {  # xl_guest_sees DEV: wait (30 s) for /dev/DEV in guest $XLG
	GUEST_RUN_TIMEOUT=40 guest_run $XLG "for i in \$(seq 300); do [ -b /dev/$1 ] && exit 0; sleep 0.1; done; exit 1" >/dev/null
}
xl_run() {  # xl_run BACKEND
	local b=$1 t0 tc ta tas td ok=true f1=/tmp/xl-$1-b.img f2=/tmp/xl-$1-c.img l1= l2=
	for f in $f1 $f2; do rm -f $f; dd if=/dev/zero of=$f bs=1048576 count=16 2>/dev/null; done
	if [ $b = blkback ]; then
		l1=$(losetup -f) && losetup $l1 $f1 && l2=$(losetup -f) && losetup $l2 $f2 ||
			{ say "  xl $b: losetup failed"; return 1; }
	fi
	t0=$(now)
	if [ $b = qdisk ]; then
		# libxl starts the guest's QEMU itself, from device_model_override,
		# with an environment of its own: a wrapper gives the lab's QEMU
		# its libraries, and drops libxl's "-vnc none" (QEMU would read a
		# keymap, which the staged QEMU does not carry).
		printf '#!/bin/bash\na=()\nwhile [ $# -gt 0 ]; do [ "$1" = -vnc ] && { shift 2; continue; }; a+=("$1"); shift; done\nLD_LIBRARY_PATH=%s exec %s "${a[@]}"\n' "$QDIR/lib" "$QEMU_XEN" > /tmp/xl-qemu
		chmod 755 /tmp/xl-qemu
		GUEST_DISKS="'$(xl_spec $b xvdb $f1 $l1)'" \
			GUEST_CFG_EXTRA="device_model_version=\"qemu-xen\"
device_model_override=\"/tmp/xl-qemu\"" GUEST_MEMORY=${XL_GUEST_MEMORY:-512} guest_start $XLG
	else
		GUEST_DISKS="'$(xl_spec $b xvdb $f1 $l1)'" GUEST_MEMORY=${XL_GUEST_MEMORY:-512} guest_start $XLG
	fi > "$L/logs/bench-xl.log" 2>&1 && xl_guest_sees xvdb || ok=false
	tc=$(since "$t0")
	if $ok; then
		t0=$(now)
		T 60 xl block-attach $XLG "$(xl_spec $b xvdc $f2 $l2)" >> "$L/logs/bench-xl.log" 2>&1 || ok=false
		ta=$(since "$t0")
		$ok && xl_guest_sees xvdc || ok=false
		tas=$(since "$t0")
		t0=$(now)
		T 60 xl block-detach $XLG xvdc >> "$L/logs/bench-xl.log" 2>&1 || ok=false
		td=$(since "$t0")
	fi
	$ok || say "  xl $b: failed: $(tail -n 3 "$L/logs/bench-xl.log" | tr '\n' ' ')"
	cp /var/log/xen/qemu-dm-$XLG.log "$L/logs/qemu-dm-$XLG-$b.log" 2>/dev/null
	emit "{\"kind\":\"xl\",\"backend\":\"$b\",\"rep\":$rep,\"create_to_disk_s\":$tc,\"block_attach_s\":${ta:-null},\"attach_to_disk_s\":${tas:-null},\"block_detach_s\":${td:-null},\"ok\":$ok}"
	$ok && say "  xl $b: create to disk ${tc}s, block-attach ${ta}s (seen ${tas}s), block-detach ${td}s"
	guest_destroy $XLG
	for l in $l1 $l2; do losetup -d $l 2>/dev/null; done
	rm -f $f1 $f2
}
if stage xl; then
	xlb="xbdev blkback"
	[ -z "$QDISK_WHY" ] && xlb="$xlb qdisk"
	[ -n "${XLPICK:-}" ] && xlb=$(echo "$XLPICK" | tr , ' ')
	say "disks of xl configs: xl create to the disk in the guest, xl block-attach/detach; $xlb"
	[ -n "$QEMU_PID" ] && { kill "$QEMU_PID" 2>/dev/null; QEMU_PID=; }
	guest_destroy "$G"      # memory for the xl guests
	for rep in $(seq 1 "$REPEATS"); do
		for b in $xlb; do xl_run $b; done
	done
fi

say "done"
finish 0
