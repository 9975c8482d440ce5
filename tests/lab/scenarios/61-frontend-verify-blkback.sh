# xbdev-blkfront against the dom0 kernel's blkback (backend type vbd, a
# loop device): the baseline that proves the frontend speaks the standard
# protocol.  verify with 1- and 16-page rings, 1 and 2 queues, with and
# without indirect and persistent grants, each its own TAP line; a bench.
# timeout: 900
. /lab/guest/frontend-lib.sh
G=fe61
IMG=/tmp/fe61.img
DEV=51728
export GUEST_RUN_TIMEOUT=300

LOOP=
# Whatever way the scenario ends: no device, no guest, no loop device.
cleanup() {
	FEID=$(guest_domid $G) &&
		xbdev detach $FEID vbd/$DEV --force --timeout 10 >/dev/null 2>&1
	guest_destroy $G
	[ -n "$LOOP" ] && losetup -d $LOOP
	rm -f $IMG
}
trap cleanup EXIT

rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=16 2>/dev/null
LOOP=$(losetup -f) && losetup "$LOOP" $IMG || { LOOP=; not_ok "losetup $IMG"; exit 0; }
MM=$(stat -L -c '%t:%T' "$LOOP")
guest_start $G || exit 0
FEID=$(guest_domid $G)
BE=/local/domain/0/backend/vbd/$FEID/$DEV
check "guest ready for the userspace frontend (evtchn, gntalloc, autoprobe off)" fe_prepare_guest $G || exit 0
echo 2 > /sys/module/xen_blkback/parameters/max_queues 2>/dev/null && diag "blkback max_queues set to 2 (dom0 has 1 vCPU)"
check "attach $LOOP through kernel blkback (type vbd)" \
	xbdev attach $G vbd --backend-type vbd --devid $DEV \
	--front virtual-device=$DEV --front device-type=disk \
	--back dev=xvdb --back type=phy --back params=$LOOP --back mode=w \
	--back device-type=disk --back removable=0 --back bootable=1 \
	--back discard-enable=1 --back physical-device=$MM \
	--back hotplug-status=connected --wait initwait --timeout 60 || exit 0
diag "blkback offers: order $(xenstore-read $BE/max-ring-page-order 2>/dev/null), queues $(xenstore-read $BE/multi-queue-max-queues 2>/dev/null), indirect $(xenstore-read $BE/feature-max-indirect-segments 2>/dev/null)"

run_verify $G xvdb "against blkback: 1-page ring, 1 queue, indirect, persistent" -r 0 -q 1
run_verify $G xvdb "against blkback: 16-page ring, 1 queue, indirect, persistent" -r 4 -q 1
run_verify $G xvdb "against blkback: 1-page ring, 2 queues, indirect, persistent" -r 0 -q 2
run_verify $G xvdb "against blkback: 16-page ring, 2 queues, indirect, persistent" -r 4 -q 2
run_verify $G xvdb "against blkback: 1-page ring, 1 queue, direct only, no persistent" -r 0 -q 1 --no-indirect --no-persistent
run_verify $G xvdb "against blkback: 16-page ring, 2 queues, direct only, no persistent" -r 4 -q 2 --no-indirect --no-persistent
out=$(guest_run $G "$FE bench xvdb --rw randread --bs 4k -d 8 -r 4 --runtime 3 --json")
printf '%s\n' "$out" | sed 's/^/  | /'
check_match "bench against blkback: --json has IOPS" '"iops": *[0-9.]+' "$out"
check "detach" xbdev detach $G vbd/$DEV --timeout 30 ||
	xbdev detach $G vbd/$DEV --force --timeout 10 >/dev/null 2>&1
check "no blkback dir left" sh -c "! xenstore-exists $BE"
dmesg | grep -i 'blkback\|blkif' | tail -n 20 | sed 's/^/  | /'
