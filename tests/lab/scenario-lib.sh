# Library of the lab's dom0-side scenarios (sourced by runner.sh before each
# scenario; see HACKING.md).  TAP lines go to the console ("TAP: " prefix,
# stripped by the host) and to the scenario's log.
L=/tmp/lab
SCENARIO=${SCENARIO:-adhoc}
CONSOLE_DIR=/var/log/xen/console
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
# The lab's flavour (image.sh writes it into /lab/config): 4.17 is Debian
# 12 (Linux 6.1), 4.20 Debian 13 (Linux 6.12).  A scenario whose truth
# differs by version checks each version's own and says which it saw.
LAB_XEN=$(sed -n "s/^LAB_XEN='\(.*\)'$/\1/p" /lab/config 2>/dev/null)
LAB_XEN=${LAB_XEN:-4.17}
# xen_at_least MAJOR.MINOR: the lab's Xen is that version or newer.
xen_at_least() {
	awk -v have="$LAB_XEN" -v want="$1" 'BEGIN {
		split(have, h, "."); split(want, w, ".")
		exit !(h[1] > w[1] || (h[1] == w[1] && h[2] >= w[2])) }'
}

_tap() {
	echo "$*"
	echo "TAP: $*" > /dev/console
	echo x >> "$L/count.$SCENARIO"
}
ok() { _tap "ok - $SCENARIO: $*"; }
not_ok() {
	local desc=$1; shift
	_tap "not ok - $SCENARIO: $desc${*:+ ($*)}"
	echo x >> "$L/fails.$SCENARIO"
}
skip() { _tap "ok - $SCENARIO: $1 # SKIP ${2:-}"; }
diag() { echo "# $*"; echo "TAP: # $SCENARIO: $*" > /dev/console; }

# check DESC CMD...: ok when CMD exits 0; its output is kept in the log.
check() {
	local desc=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	if [ $rc -eq 0 ]; then ok "$desc"
	else not_ok "$desc" "exit $rc: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ' | cut -c1-160)"; fi
	return $rc
}
check_fails() {
	local desc=$1 out rc; shift
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	if [ $rc -ne 0 ]; then ok "$desc"; return 0; fi
	not_ok "$desc" "succeeded but should have failed"
	return 1
}
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; return 0; fi
	not_ok "$1" "expected '$2', got '$3'"
	return 1
}
check_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; return 0; fi
	not_ok "$1" "'$(printf '%s' "$3" | head -c 160)' does not match /$2/"
	return 1
}

# wait_for TIMEOUT CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
	local limit=$1 i=0; shift
	while ! "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -ge $((limit * 5)) ] && return 1
		sleep 0.2
	done
}

# ---- guests -----------------------------------------------------------------
guest_domid() { xl domid "$1" 2>/dev/null; }
guest_console() { echo "$CONSOLE_DIR/guest-$1.log"; }
guest_alive() { xl domid "$1" >/dev/null 2>&1; }
_console_has() { tr -d '\r' < "$(guest_console "$1")" 2>/dev/null | grep -Eq -- "$2"; }
_guest_tail() {
	local log; log=$(guest_console "$1")
	if grep -q 'Kernel panic' "$log" 2>/dev/null; then
		echo "kernel panicked: $(tr -d '\r' < "$log" | grep -m1 'Kernel panic' | cut -c1-160)"
		return
	fi
	tr -d '\r' < "$log" 2>/dev/null | grep -v '^LABOUT' | tail -n "${2:-3}" | tr '\n' '|' | cut -c1-240
}

# guest_start NAME [SCRIPT]: boots NAME (or reuses it when it is already
# running with the same script, type and disks) and waits for its agent.
# GUEST_TYPE=pvh boots it as a PVH guest (same kernel and initramfs; needs
# Xen's HAP, which the lab's QEMU gives with +npt), default pv.
# GUEST_DISKS: xl disk specs for the config's disk = [ ... ], each quoted
# as xl wants it, e.g. "'format=raw,vdev=xvdb,access=rw,target=/dev/loop0'".
# A guest that reboots is destroyed (GUEST_ON_REBOOT=restart for a
# scenario that reboots it on purpose): a vCPU's triple fault under TCG
# resets the guest, and a guest that xl restarted silently would leave the
# scenario waiting on an agent that starts again from scratch.
guest_start() {
	local name=$1 script=${2:-} cfg=$L/guest-$1.cfg extra type=${GUEST_TYPE:-pv}
	local on_reboot=${GUEST_ON_REBOOT:-destroy}
	local key="$type $script${GUEST_DISKS:+ disks: $GUEST_DISKS}${GUEST_CFG_EXTRA:+ $GUEST_CFG_EXTRA} on_reboot=$on_reboot"
	if guest_alive "$name" && [ "$(cat "$L/script.$name" 2>/dev/null)" = "$key" ]; then
		diag "reusing running guest $name"
		return 0
	fi
	guest_alive "$name" && xl destroy "$name" >/dev/null 2>&1
	rm -f "$L/seq.$name"
	extra="console=hvc0 quiet loglevel=3${script:+ lab.script=$script}${GUEST_EXTRA:+ $GUEST_EXTRA}"
	cat > "$cfg" <<CFG
name="$name"
type="$type"
kernel="/lab/img/vmlinuz"
ramdisk="/lab/img/guest.cpio.gz"
extra="$extra"
memory=${GUEST_MEMORY:-256}
vcpus=${GUEST_VCPUS:-1}
on_crash="destroy"
on_poweroff="destroy"
on_reboot="$on_reboot"
CFG
	[ -n "${GUEST_DISKS:-}" ] && echo "disk=[ $GUEST_DISKS ]" >> "$cfg"
	[ -n "${GUEST_CFG_EXTRA:-}" ] && echo "$GUEST_CFG_EXTRA" >> "$cfg"
	echo "$key" > "$L/script.$name"
	local t0; t0=$(cut -d' ' -f1 /proc/uptime)
	_guest_create "$name" "$cfg" || return 1
	local i=0 attempt=1 id; id=$(guest_domid "$name")
	while ! _console_has "$name" '^LAB-AGENT-READY'; do
		if ! guest_alive "$name"; then
			# Guests were seen dying during boot under TCG's nested paging
			# (PVH: a triple fault before the kernel's first line, or a
			# panic in early boot, twice in a row once for a 2-vCPU PVH
			# guest on 4.20; PV on 4.17 too).  A guest with no disk at
			# boot cannot be harmed by xbdev then: its console and Xen's
			# log are kept, up to two retries.  A death with disks fails.
			if [ $attempt -le 2 ] && [ -z "${GUEST_DISKS:-}" ]; then
				xl dmesg > "$L/logs/xl-dmesg-$name-early-death-$attempt.log" 2>&1
				cp "$(guest_console "$name")" "$L/logs/guest-$name-early-death-$attempt.log" 2>/dev/null
				diag "guest $name ($type) died during boot: $(_guest_tail "$name" 2)$(_xen_fault "$id"); logs/guest-$name-early-death-$attempt.log, logs/xl-dmesg-$name-early-death-$attempt.log; retry $attempt of 2"
				attempt=$((attempt + 1)) i=0
				_guest_create "$name" "$cfg" || return 1
				id=$(guest_domid "$name")
				continue
			fi
			not_ok "guest $name boots" "guest died during boot: $(_guest_tail "$name" 4)$(_xen_fault "$id")"
			return 1
		fi
		i=$((i + 1))
		if [ $i -ge $((${GUEST_BOOT_TIMEOUT:-90} * 5)) ]; then
			not_ok "guest $name boots" "no agent after ${GUEST_BOOT_TIMEOUT:-90}s: $(_guest_tail "$name" 4)"
			return 1
		fi
		sleep 0.2
	done
	diag "$type guest $name (domid $(guest_domid "$name")) booted in $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN{printf "%.1f", b-a}')s"
	echo "$name $(awk -v a="$t0" -v b="$(cut -d' ' -f1 /proc/uptime)" 'BEGIN{printf "%.1f", b-a}')" >> "$L/guest-boot-times"
}

# _xen_fault DOMID: " (Xen: dNv0 Triple fault)" when Xen's log says so.
_xen_fault() {
	local f
	[ -n "$1" ] || return 0
	f=$(xl dmesg 2>/dev/null | grep -o "d$1v[0-9]* Triple fault" | tail -n 1)
	[ -z "$f" ] || echo " (Xen: $f)"
}

# _guest_same NAME DOMID: NAME still runs as that domain (not destroyed,
# not restarted under a new domid).
_guest_same() { [ -n "$2" ] && [ "$(guest_domid "$1")" = "$2" ]; }

_guest_create() {
	rm -f "$(guest_console "$1")"
	xl create -q "$2" > "$L/logs/xl-create-$1.log" 2>&1 && return 0
	not_ok "guest $1 starts" "xl create failed: $(tail -n 2 "$L/logs/xl-create-$1.log" | tr '\n' ' ')"
	return 1
}

# guest_wait NAME REGEX [TIMEOUT]: a console line matching REGEX.
guest_wait() {
	local name=$1 re=$2 limit=${3:-60} i=0 id
	id=$(guest_domid "$name")
	while ! _console_has "$name" "$re"; do
		_guest_same "$name" "$id" || { echo "guest $name died: $(_guest_tail "$name")$(_xen_fault "$id")" >&2; return 2; }
		i=$((i + 1)); [ $i -ge $((limit * 5)) ] && { echo "no /$re/ on $name's console after ${limit}s" >&2; return 1; }
		sleep 0.2
	done
}

# guest_verdict NAME [TIMEOUT]: the "VERDICT ok|fail REASON" of its script.
guest_verdict() {
	local name=$1 limit=${2:-120} v
	guest_wait "$name" '^VERDICT ' "$limit" || return 1
	v=$(tr -d '\r' < "$(guest_console "$name")" | grep '^VERDICT ' | tail -n1)
	echo "$v"
	[ "${v#VERDICT ok}" != "$v" ]
}

# guest_run NAME CMD...: runs CMD in the guest, prints its output, returns
# its status (124 when it did not answer within GUEST_RUN_TIMEOUT).
guest_run() {
	local name=$1 id seq limit=${GUEST_RUN_TIMEOUT:-60} i=0 log rc; shift
	id=$(guest_domid "$name") || { echo "no guest $name" >&2; return 125; }
	seq=$(( $(cat "$L/seq.$name" 2>/dev/null || echo 0) + 1 ))
	echo $seq > "$L/seq.$name"
	xenstore-write "/local/domain/$id/data/lab-cmd" "$*" &&
	xenstore-write "/local/domain/$id/data/lab-seq" "$seq" || return 125
	log=$(guest_console "$name")
	while ! tr -d '\r' < "$log" | grep -q "^LABEND $seq "; do
		_guest_same "$name" "$id" || { echo "guest $name died: $(_guest_tail "$name")$(_xen_fault "$id")" >&2; return 125; }
		i=$((i + 1)); [ $i -ge $((limit * 5)) ] && { echo "guest $name: no answer in ${limit}s" >&2; return 124; }
		sleep 0.2
	done
	tr -d '\r' < "$log" | sed -n "s/^LABOUT $seq //p"
	rc=$(tr -d '\r' < "$log" | sed -n "s/^LABEND $seq //p" | head -n1)
	return "$rc"
}

guest_destroy() {
	guest_alive "$1" && xl destroy "$1" >/dev/null 2>&1
	rm -f "$L/script.$1"
	wait_for 20 sh -c "! xl domid '$1'"
}
guest_destroy_all() {
	local n
	for n in $(xl list 2>/dev/null | awk 'NR > 2 { print $1 }'); do
		xl destroy "$n" >/dev/null 2>&1
	done
}

# ---- xenstore ----------------------------------------------------------------
# gone PATH: the node does not exist (dom0 sees everything).
gone() { ! xenstore-exists "$1" 2>/dev/null; }

# store_snapshot: keep the whole store (full paths, permissions) for a later
# check_store_unchanged, less the lab agent's own /local/domain/N/data/lab-*
# nodes (guest_run writes them).
_store() { xenstore-ls -f -p / | grep -v '/data/lab-'; }
store_snapshot() { _store > "$L/store.$SCENARIO"; }
# check_store_unchanged DESC: ok when the store is byte for byte what
# store_snapshot kept; else not ok with the first lines of the difference.
# Two failed listings would compare equal: a snapshot without dom0's own
# directory is not ok.
check_store_unchanged() {
	_store > "$L/store-now.$SCENARIO"
	if ! grep -q '^/local/domain/0/' "$L/store.$SCENARIO" ||
	   ! grep -q '^/local/domain/0/' "$L/store-now.$SCENARIO"; then
		not_ok "$1" "xenstore-ls -f -p / listed no /local/domain/0/"
		return 1
	fi
	if diff "$L/store.$SCENARIO" "$L/store-now.$SCENARIO" > "$L/store-diff.$SCENARIO"; then
		ok "$1"; return 0
	fi
	sed 's/^/  | /' "$L/store-diff.$SCENARIO"
	not_ok "$1" "$(grep '^[-+<>]' "$L/store-diff.$SCENARIO" | head -n 6 | tr '\n' ' ' | cut -c1-300)"
	return 1
}

# ---- the userspace frontend ---------------------------------------------------
# run_verify GUEST DEVICE DESC ARGS...: `xbdev-blkfront verify DEVICE ARGS`
# in GUEST, one check "verify DESC".
run_verify() {
	local g=$1 dev=$2 desc=$3; shift 3
	check "verify $desc" guest_run "$g" "/usr/libexec/xbdev/xbdev-blkfront verify $dev $*"
}

# ---- served vbds ---------------------------------------------------------------
# The tail of xbdev-blkback's log for vbd DEVID of domain FE: vbd_logs FE DEVID [LINES]
vbd_logs() {
	[ -f /var/log/xbdev/vbd-$1-$2.log ] || return 0
	echo "  backend log /var/log/xbdev/vbd-$1-$2.log:"
	tail -n "${3:-40}" /var/log/xbdev/vbd-$1-$2.log | sed 's/^/  | /'
}
# Both ends in the given XenBus states: ends_in FE_DIR FE_STATE BE_DIR BE_STATE
ends_in() {
	[ "$(xenstore-read "$1/state" 2>/dev/null)" = "$2" ] &&
		[ "$(xenstore-read "$3/state" 2>/dev/null)" = "$4" ]
}

# ---- disks of xl configs (xbdevd) ----------------------------------------------
# xbdevd runs from dom0's init (as xbdevd.service would); its pid is in
# /run/xbdevd.pid and its log in /var/log/xbdev/xbdevd.log.
xbdevd_pid() { cat /run/xbdevd.pid 2>/dev/null; }
xbdevd_alive() { kill -0 "$(xbdevd_pid)" 2>/dev/null; }
# xbdevd_restart [SIGNAL]: stop it (SIGTERM, or SIGNAL) and start a new one.
xbdevd_restart() {
	local pid; pid=$(xbdevd_pid)
	kill -"${1:-TERM}" "$pid" 2>/dev/null
	wait_for 10 sh -c "! kill -0 $pid" || return 1
	setsid xbdevd >> /var/log/xbdev/xbdevd.log 2>&1 < /dev/null &
	echo $! > /run/xbdevd.pid
	wait_for 10 xbdevd_alive
}
# The record xbdevd keeps of a libxl disk: xl_rec FE DEVID KEY
xl_rec() { xenstore-read "/xbdev/$1/vbd/$2/$3" 2>/dev/null; }
# xl_disk IMAGE VDEV [ACCESS]: the xl disk spec of an xbdev disk
# (backend vbd with script=xbdev; XL_TAP=1: backendtype=tap, Xen 4.19+).
xl_disk() {
	echo "format=raw,vdev=$2,access=${3:-rw},${XL_TAP:+backendtype=tap,}script=xbdev,target=$1"
}
xbdevd_logs() {
	echo "  xbdevd log:"
	tail -n "${1:-30}" /var/log/xbdev/xbdevd.log 2>/dev/null | sed 's/^/  | /'
}

# The host splits these sections out of the serial log into files.
lab_dump_logs() {
	local f
	dmesg > "$L/logs/dom0-dmesg.log" 2>/dev/null
	cat /var/log/xbdev/*.log > "$L/logs/xbdev-daemons.log" 2>/dev/null
	for f in "$L"/logs/*.log "$CONSOLE_DIR"/*.log; do
		[ -f "$f" ] || continue
		echo "LABFILE-BEGIN $(basename "$f")" > /dev/console
		tr -d '\r' < "$f" | sed 's/^/LABFILE: /' > /dev/console
		echo "LABFILE-END" > /dev/console
	done
	[ -f "$L/guest-boot-times" ] &&
		echo "TAP: # timing guest_boot_s $(awk '{ printf "%s=%s ", $1, $2 }' "$L/guest-boot-times")" > /dev/console
}
