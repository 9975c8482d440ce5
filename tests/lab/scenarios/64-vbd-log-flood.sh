# A guest floods xbdev-blkback through its own frontend directory: the
# userspace frontend's state-flood attack writes its frontend state node
# 5000 times as fast as xenstored takes it (Initialised without rings,
# Initialising, malformed values, an out-of-range state), after a protocol
# value that holds a newline and an ESC sequence (a forged log line).
# Measured around the flood: the growth of the backend's log, the
# backend's read/write system calls (its xenstore traffic: nothing else
# runs meanwhile) and CPU time.  Checked: the log grows by a bounded
# amount, holds no control character and no forged line, a device whose
# log cap is small (XBDEV_BLKBACK_LOG_MAX) rotates its log and stays under
# the cap, the backend made few system calls per guest write, and the
# device still serves I/O afterwards (the attack's own connect and read,
# then the userspace frontend's verify in the same guest).
# timeout: 900
. /lab/guest/frontend-lib.sh
G=fe64
A=/tmp/fe64-a.img      # flooded, xvdb, default log cap
C=/tmp/fe64-c.img      # flooded, xvdc, 4 KiB log cap
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
sizeA0=$(stat -c %s $LOG_A) sys0=$(syscalls $pidA) cpu0=$(cputicks $pidA)
# The flood: xbdev-blkfront's state-flood attack, 5000 raw writes of the
# state node (Initialised without rings, "x", Initialising, 99, "3\n4")
# after a protocol with a newline and ESC, then a connect and a read.  The
# same on xvdc, for its log cap.
t0=$(cut -d' ' -f1 /proc/uptime)
out=$(guest_run $G "$FE hostile xvdb --attack state-flood 2>&1")
t1=$(cut -d' ' -f1 /proc/uptime)
printf '%s\n' "$out" | fe_retap "hostile xvdb"
sizeA_end=$(stat -c %s $LOG_A) sys_end=$(syscalls $pidA)
# Until the backend has worked off any backlog: its system calls stop
# moving for 2 s (at most 120 s).
i=0 prev=-1 cur=$(syscalls $pidA)
while [ "$cur" != "$prev" ] && [ $i -lt 60 ]; do
	sleep 2; prev=$cur; cur=$(syscalls $pidA); i=$((i + 1))
done
settle=$((i * 2))
writes=$(printf '%s\n' "$out" | sed -n 's/.* \([0-9]*\) of [0-9]* state writes taken.*/\1/p' | head -n1)
check_match "the guest's state writes were taken" '^[0-9]+$' "$writes" || writes=1
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
out=$(guest_run $G "$FE hostile xvdc --attack state-flood 2>&1")
printf '%s\n' "$out" | fe_retap "hostile xvdc"
sizeA1=$(stat -c %s $LOG_A) sys1=$(syscalls $pidA) cpu1=$(cputicks $pidA)
grown=$((sizeA1 - sizeA0)) sys=$((sys1 - sys0)) cpu=$((cpu1 - cpu0))
lines=$(wc -l < $LOG_A)
diag "figures: guest state writes $writes to xvdb in ${secs}s; backend of xvdb busy ${settle}s after; its log grew $grown bytes ($sizeA0 -> $sizeA_end at the end of the flood -> $sizeA1, $lines lines); its system calls $sys ($((sys_end - sys0)) by the end of the flood), CPU $cpu ticks"
diag "FIGURES writes=$writes seconds=$secs settle=$settle log_grown=$grown log_lines=$lines syscalls=$sys cpu_ticks=$cpu"

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
# Amplification: every event of a batch is merged into one evaluation,
# which reads the frontend's state alone (one request, ~5 system calls);
# before, each event cost ~6 reads and ~8 writes (a connect attempt or a
# re-probe, a state transaction, the whole info/ record) and log lines.
check "the backend made under 20 system calls per guest write ($sys for $writes)" test "$sys" -lt "$((20 * writes))"

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
rm -f $A $C
