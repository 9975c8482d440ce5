# xbdev-blkfront's hostile catalogue against the sanitizer (ASan+UBSan)
# build of xbdev-blkback: every attack is its own TAP line with the
# expected and the observed outcome.  Around it: a second device of the
# same guest (another backend process) keeps passing verify, the attacked
# image is unchanged outside the attack range (1 MiB at 1 MiB), the
# backend logs no sanitizer report, and a read-only device refuses writes.
# The backend offers persistent grants and the userspace frontend takes
# them (the guest's grants mapped and kept by the backend); the catalogue
# runs again on a device without them (XBDEV_BLKBACK_PERSISTENT=0, every
# byte by grant copy).
# guest-types: pv pvh
# timeout: 1500
. /lab/guest/frontend-lib.sh
G=fe62
A=/tmp/fe62-a.img      # attacked, xvdb
B=/tmp/fe62-b.img      # bystander, xvdc
R=/tmp/fe62-r.img      # read-only, xvdd
P=/tmp/fe62-p.img      # attacked, grant copy only, xvde
ASAN=/usr/libexec/xbdev-asan
export GUEST_RUN_TIMEOUT=1200
if [ -x $ASAN/xbdev-blkback ]; then
	BEENV="XBDEV_LIBEXECDIR=$ASAN"
	diag "using the sanitizer backend $ASAN/xbdev-blkback"
else
	BEENV=
	skip "sanitizer backend for the hostile suite" "no $ASAN/xbdev-blkback (make SANITIZE=1 before the lab); using the plain build"
fi

mkimg() { rm -f "$1"; dd if=/dev/urandom of="$1" bs=1048576 count="$2" 2>/dev/null; }
mkimg $A 16; mkimg $B 16; mkimg $R 8; mkimg $P 16
RANGE_OFF=1048576 RANGE_LEN=1048576
sumA=$(fe_sum_outside $A $RANGE_OFF $RANGE_LEN)
sumP=$(fe_sum_outside $P $RANGE_OFF $RANGE_LEN)
guest_start $G || exit 0
FEID=$(guest_domid $G)
check "guest ready for the userspace frontend (evtchn, gntalloc, autoprobe off)" fe_prepare_guest $G || { guest_destroy $G; exit 0; }
for d in "xvdb $A" "xvdc $B" "xvdd $R --readonly" "xvde $P gc"; do
	set -- $d
	pers=; [ "${3:-}" = gc ] && { pers=XBDEV_BLKBACK_PERSISTENT=0; set -- $1 $2; }
	check "attach $2 as $1 ${3:-}${pers:+ (grant copy only)}" env $BEENV $pers xbdev attach $G vbd --disk $2 --vdev $1 $3 --wait initwait --timeout 90 || { guest_destroy $G; exit 0; }
done
ID_A=51728 ID_B=51744 ID_R=51760 ID_P=51776
pidA=$(xenstore-read /xbdev/$FEID/vbd/$ID_A/pid)
pidB=$(xenstore-read /xbdev/$FEID/vbd/$ID_B/pid)
check_match "the attacked device's backend is the sanitizer build" "${BEENV:+$ASAN/}xbdev-blkback" "$(tr '\0' ' ' < /proc/$pidA/cmdline)"

check "bystander xvdc verifies before the attacks" guest_run $G "$FE verify xvdc -r 2 -q 2"

# The whole catalogue on xvdb; the bystander keeps being verified in the
# background meanwhile.
guest_run $G "($FE verify xvdc --passes 3 > /tmp/bystander.out 2>&1; echo \$? > /tmp/bystander.rc) &" >/dev/null
out=$(guest_run $G "$FE hostile xvdb --range 1M:1M -r 4 -q 2 2>&1")
printf '%s\n' "$out" | fe_retap "hostile"
check_match "the catalogue ran (plan line)" '^1\.\.[0-9]+' "$out"

check "bystander verify during the attacks passed" guest_run $G 'i=0; while [ ! -f /tmp/bystander.rc ] && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done; cat /tmp/bystander.out; [ "$(cat /tmp/bystander.rc)" = 0 ]'
check "bystander verifies after the attacks" guest_run $G "$FE verify xvdc"
check "attacked device still verifies inside the attack range" guest_run $G "$FE verify xvdb --start 1M --length 1M"
check "attacked device's backend process still alive" kill -0 "$pidA"
check "bystander's backend process still alive" kill -0 "$pidB"

check_match "persistent grants were in use on xvdb" '^[1-9]' "$(xenstore-read /xbdev/$FEID/vbd/$ID_A/info/persistent-requests)"

# The catalogue again, grant copy only.
out=$(guest_run $G "$FE hostile xvde --range 1M:1M -r 4 -q 2 2>&1")
printf '%s\n' "$out" | fe_retap "hostile (grant copy)"
check_match "the catalogue ran on grant copy (plan line)" '^1\.\.[0-9]+' "$out"
check_eq "no persistent grants on xvde" 0 "$(xenstore-read /xbdev/$FEID/vbd/$ID_P/info/persistent-requests)"
check "grant-copy device still verifies inside the attack range" guest_run $G "$FE verify xvde --start 1M --length 1M"

# Read-only device: the write attack, and verify in read-only mode.
out=$(guest_run $G "$FE hostile xvdd --attack write-readonly,sector-past-end,discard-past-end 2>&1")
printf '%s\n' "$out" | fe_retap "hostile (read-only device)"
check "read-only device reads back everything" guest_run $G "$FE verify xvdd"

for id in $ID_A $ID_B $ID_R $ID_P; do
	check "no sanitizer report in the backend log of vbd/$id" fe_sanitizer_clean "$(fe_backend_log $FEID $id)"
done
for id in $ID_A $ID_B $ID_R $ID_P; do
	check "detach vbd/$id" xbdev detach $G vbd/$id --timeout 30 ||
		xbdev detach $G vbd/$id --force --timeout 10 >/dev/null 2>&1
done
check "attacked backend exited cleanly" wait_for 10 sh -c "! kill -0 $pidA"
check_eq "attacked image unchanged outside the attack range" "$sumA" "$(fe_sum_outside $A $RANGE_OFF $RANGE_LEN)"
check_eq "attacked image size unchanged" 16777216 "$(stat -c %s $A)"
check_eq "grant-copy image unchanged outside the attack range" "$sumP" "$(fe_sum_outside $P $RANGE_OFF $RANGE_LEN)"
for id in $ID_A; do
	echo "  backend log vbd/$id:"; tail -n 80 "$(fe_backend_log $FEID $id)" 2>/dev/null | sed 's/^/  | /'
done
guest_destroy $G
rm -f $A $B $R $P
