# A guest floods xbdev-blkback through its own frontend directory: a
# shell loop in the guest writes its frontend state node thousands of
# times (Initialised without rings, Initialising, malformed values, an
# out-of-range state), with a protocol value that holds a newline and an
# ESC sequence (a forged log line).  Measured around the flood: the growth
# of the backend's log, and the xenstore requests the backend made
# (xenstored's trace when it has one, else the backend's read/write system
# calls).  Checked: the log grows by a bounded amount, holds no control
# character and no forged line, a device whose log cap is small
# (XBDEV_BLKBACK_LOG_MAX) rotates its log and stays under the cap, the
# backend made far fewer xenstore requests than the guest made writes, and
# the device still serves I/O afterwards (the userspace frontend's verify
# in the same guest).
# timeout: 900
. /lab/guest/frontend-lib.sh
G=fe64
A=/tmp/fe64-a.img      # flooded, xvdb, default log cap
C=/tmp/fe64-c.img      # flooded, xvdc, 4 KiB log cap
FLOOD_S=60              # how long the guest floods
export GUEST_RUN_TIMEOUT=300
mkimg() { rm -f "$1"; dd if=/dev/zero of="$1" bs=1048576 count="$2" 2>/dev/null; }
mkimg $A 16; mkimg $C 16
guest_start $G || exit 0
FEID=$(guest_domid $G)
check "guest ready for the userspace frontend (evtchn, gntalloc, autoprobe off)" fe_prepare_guest $G || { guest_destroy $G; exit 0; }
ID_A=51728 ID_C=51744
check "attach $A as xvdb" xbdev attach $G vbd --disk $A --vdev xvdb --wait initwait --timeout 90 || { guest_destroy $G; exit 0; }
check "attach $C as xvdc with a 4 KiB log cap" env XBDEV_BLKBACK_LOG_MAX=4096 xbdev attach $G vbd --disk $C --vdev xvdc --wait initwait --timeout 90 || { guest_destroy $G; exit 0; }
LOG_A=$(fe_backend_log $FEID $ID_A)
LOG_C=$(fe_backend_log $FEID $ID_C)
pidA=$(xenstore-read /xbdev/$FEID/vbd/$ID_A/pid)
pidC=$(xenstore-read /xbdev/$FEID/vbd/$ID_C/pid)

# The backend's system calls (each xenstore request is at least one write
# and one read on xenstored's socket; nothing else runs during the flood).
syscalls() { awk '/^sysc[rw]:/ { n += $2 } END { print n + 0 }' /proc/$1/io 2>/dev/null; }
# Its CPU time in clock ticks (utime + stime).
cputicks() { sed 's/.*) //' /proc/$1/stat 2>/dev/null | awk '{ print $12 + $13 }'; }
# xenstored's request trace, when this xenstored has one.
TRACE=/tmp/fe64-xs.trace
rm -f $TRACE
if xenstore-control logfile $TRACE >/dev/null 2>&1 && xenstore-control log on >/dev/null 2>&1; then
	have_trace=1
else
	have_trace=
	diag "xenstored has no request trace here: counting the backend's system calls only"
fi
# backend_requests TRACE: requests ("IN" lines) of every connection but the
# guest's (the one that wrote the state node), by type.
backend_requests() {
	awk '$1 == "IN" && / WRITE \(device\/vbd\// { guest[$2] = 1 }
	     $1 == "IN" { conn[NR] = $2; type[NR] = $5 }
	     END { for (i in conn) if (!(conn[i] in guest)) { n[type[i]]++; all++ }
		   printf "%d", all; for (t in n) printf " %s=%d", t, n[t]; print "" }' "$1"
}

sizeA0=$(stat -c %s $LOG_A) sys0=$(syscalls $pidA) cpu0=$(cputicks $pidA)
# The flood, FLOOD_S seconds in the background of the guest: rounds of
# five values, one xenstore-write each (one process, one transaction per
# value: every write is a watch event of each device); the count at the
# end in /tmp/flood.out.
FLOOD='P=$(printf "bogus\n2026-01-01T00:00:00.000Z xbdev-blkback[1] vbd-0-0: FORGED \033[2J"); N=$(printf "3\n4"); for d in '"$ID_A $ID_C"'; do xenstore-write device/vbd/$d/protocol "$P" || exit 1; done; ( i=0; t0=$(cut -d. -f1 /proc/uptime); end=$((t0 + '$FLOOD_S')); while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do for v in 3 x 1 99 "$N"; do xenstore-write device/vbd/'$ID_A'/state "$v" device/vbd/'$ID_C'/state "$v"; done; i=$((i+5)); done; echo "writes $i seconds $(( $(cut -d. -f1 /proc/uptime) - t0 ))" > /tmp/flood.out ) > /dev/null 2>&1 &'
check "the guest starts flooding its state nodes for ${FLOOD_S}s" guest_run $G "$FLOOD"
sleep $FLOOD_S
check "the flood ended" wait_for 120 guest_run $G 'test -f /tmp/flood.out'
# Right at the end of the flood, and once the backend has worked off its
# backlog: its system calls stop moving for 2 s (at most 120 s).
sizeA_end=$(stat -c %s $LOG_A) sys_end=$(syscalls $pidA)
i=0 prev=-1 cur=$(syscalls $pidA)
while [ "$cur" != "$prev" ] && [ $i -lt 60 ]; do
	sleep 2; prev=$cur; cur=$(syscalls $pidA); i=$((i + 1))
done
settle=$((i * 2))
out=$(guest_run $G cat /tmp/flood.out)
printf '%s\n' "$out" | sed 's/^/  | /'
check_match "the guest flooded its state node" '^writes [0-9]+ ' "$out"
writes=$(printf '%s\n' "$out" | sed -n 's/^writes \([0-9]*\) .*/\1/p')
secs=$(printf '%s\n' "$out" | sed -n 's/.* seconds \([0-9]*\)$/\1/p')
sizeA1=$(stat -c %s $LOG_A) sys1=$(syscalls $pidA) cpu1=$(cputicks $pidA)
[ -n "$have_trace" ] && xenstore-control log off >/dev/null 2>&1
grown=$((sizeA1 - sizeA0)) sys=$((sys1 - sys0)) cpu=$((cpu1 - cpu0))
lines=$(wc -l < $LOG_A)
reqs=; [ -n "$have_trace" ] && reqs=$(backend_requests $TRACE)
diag "figures: guest state writes $writes per device in ${secs}s; backend of xvdb busy ${settle}s after; its log grew $grown bytes ($sizeA0 -> $sizeA_end at the end of the flood -> $sizeA1, $lines lines); its system calls $sys ($((sys_end - sys0)) by the end of the flood), CPU $cpu ticks${reqs:+; xenstore requests of both backends (and dom0 tools) $reqs}"
diag "FIGURES writes=$writes seconds=$secs settle=$settle log_grown=$grown log_lines=$lines syscalls=$sys cpu_ticks=$cpu requests=${reqs%% *}"

check "backend of xvdb survived the flood" kill -0 "$pidA"
check "backend of xvdc survived the flood" kill -0 "$pidC"
check_match "log of xvdb grew by less than 32 KiB during the flood" '^([0-9]{1,4}|[0-2][0-9]{4}|3[01][0-9]{3}|32[0-6][0-9]{2}|327[0-5][0-9])$' "$grown"
check_match "log of xvdb says how many similar lines it suppressed" 'similar lines suppressed' "$(cat $LOG_A)"
check "no control character in the logs (only line ends)" sh -c "! cat $LOG_A $LOG_C ${LOG_C}.1 2>/dev/null | tr -d '\n' | LC_ALL=C grep -q '[[:cntrl:]]'"
check "no forged line in the logs" sh -c "! cat $LOG_A $LOG_C ${LOG_C}.1 2>/dev/null | grep -q '^2026-01-01T00:00:00.000Z'"
check_match "the protocol value is logged escaped" 'bogus\\x0a2026-01-01' "$(cat $LOG_A)"
check "log of xvdc rotated (${LOG_C}.1 exists)" test -f ${LOG_C}.1
check_match "log of xvdc at most its 4 KiB cap" '^([0-9]{1,3}|[0-3][0-9]{3}|40[0-8][0-9]|409[0-6])$' "$(stat -c %s $LOG_C)"
# .1 ends with the line that took it past the cap (a line is at most ~1.1 KB).
check "its previous part at most the cap and one line" test "$(stat -c %s ${LOG_C}.1 2>/dev/null || echo 99999)" -le $((4096 + 1200))
# Amplification: without merging every event costs several requests.
# The backend keeps up with a guest that spawns a process per write, so it
# may well see each event on its own: ~4 reads (frontend-id, online, both
# states), ~5 system calls each.  Before, each event also cost a connect
# attempt or a re-probe, a state transaction, the whole info/ record and
# log lines: the lab did not even finish the flood.
check "the backend made under 100 system calls per guest write ($sys for $writes)" test "$sys" -lt "$((100 * writes))"
if [ -n "$reqs" ]; then
	check "xenstore requests of the backends fewer than the guest's writes (${reqs%% *} for $((2 * writes)))" test "${reqs%% *}" -lt "$((2 * writes))"
fi

# The device still works: the userspace frontend resets it and verifies.
check "xvdb verifies after the flood" guest_run $G "$FE verify xvdb -r 2 -q 2"
check "xvdc verifies after the flood" guest_run $G "$FE verify xvdc"
for id in $ID_A $ID_C; do
	check "detach vbd/$id" xbdev detach $G vbd/$id --timeout 30 ||
		xbdev detach $G vbd/$id --force --timeout 10 >/dev/null 2>&1
done
check "backend of xvdb exited" wait_for 10 sh -c "! kill -0 $pidA"
echo "  backend log of xvdb (last 40 lines):"
tail -n 40 $LOG_A | sed 's/^/  | /'
guest_destroy $G
rm -f $A $C $TRACE
