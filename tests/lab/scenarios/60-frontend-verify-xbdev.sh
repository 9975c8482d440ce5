# xbdev-blkfront (the userspace blkif frontend) against xbdev's own backend:
# `verify` writes and reads back self-describing patterns over the whole
# device (512 B .. 1 MiB requests, every in-page buffer offset, direct and
# indirect, flush, discard) with 1- and 16-page rings, 1 and 2 queues,
# with and without indirect requests and persistent grants; each
# combination is a fresh connection (Closed -> Initialising -> Connected)
# and its own TAP line.  Then a short `bench` (text and JSON).  The guest's
# xen-blkfront is kept off the device with drivers_autoprobe=0.
# timeout: 900
. /lab/guest/frontend-lib.sh
G=fe60
IMG=/tmp/fe60.img
DEV=51728
export GUEST_RUN_TIMEOUT=300

IMG2=/tmp/fe60-2.img
# Whatever way the scenario ends: no guest (its devices' backends exit with
# it; detach --force removes what is left) and no image.
cleanup() {
	FEID=$(guest_domid $G) && for d in $DEV 51744; do
		xbdev detach $FEID vbd/$d --force --timeout 10 >/dev/null 2>&1
	done
	guest_destroy $G
	rm -f $IMG $IMG2
}
trap cleanup EXIT

rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=16 2>/dev/null
guest_start $G || exit 0
FEID=$(guest_domid $G)
LOG=$(fe_backend_log $FEID $DEV)
check "guest ready for the userspace frontend (evtchn, gntalloc, autoprobe off)" fe_prepare_guest $G || exit 0
check "attach --disk $IMG as xvdb, waiting for InitWait only" \
	xbdev attach $G vbd --disk $IMG --vdev xvdb --wait initwait --timeout 60 || exit 0
check "the guest kernel's xen-blkfront did not bind xvdb" \
	guest_run $G "! test -e /sys/bus/xen/devices/vbd-$DEV/driver"

run_verify $G xvdb "1-page ring, 1 queue, indirect, persistent" -r 0 -q 1
run_verify $G xvdb "16-page ring, 1 queue, indirect, persistent" -r 4 -q 1
run_verify $G xvdb "1-page ring, 2 queues, indirect, persistent" -r 0 -q 2
run_verify $G xvdb "16-page ring, 2 queues, indirect, persistent" -r 4 -q 2
run_verify $G xvdb "1-page ring, 1 queue, direct only, no persistent" -r 0 -q 1 --no-indirect --no-persistent
run_verify $G xvdb "16-page ring, 2 queues, direct only, no persistent" -r 4 -q 2 --no-indirect --no-persistent
run_verify $G xvdb "16-page ring, 2 queues, indirect, no persistent, iodepth 16" -r 4 -q 2 --no-persistent -d 16
check_eq "device left as found between runs (backend InitWait)" 2 "$(xenstore-read /local/domain/0/backend/xbdev-vbd/$FEID/$DEV/state)"

out=$(guest_run $G "$FE bench xvdb --rw randread --bs 4k -d 8 -q 2 -r 4 --runtime 3")
printf '%s\n' "$out" | sed 's/^/  | /'
check_match "bench randread prints IOPS and latency" 'IOPS [0-9]+.*' "$out"
out=$(guest_run $G "$FE bench xvdb --rw randwrite --bs 64k -d 4 --runtime 3 --json")
printf '%s\n' "$out" | sed 's/^/  | /'
check_match "bench --json has total IOPS" '"iops": *[0-9.]+' "$out"
check_match "bench --json has p99 latency" '"lat_p99_us": *[0-9.]+' "$out"
check_match "bench --json: no errors" '"errors": *0' "$out"

# The other way to take a device from the kernel: a second disk bound by
# the guest's xen-blkfront, then `verify --unbind` (the kernel frontend
# closes it, the backend goes Closed, xbdev-blkfront reconnects; it leaves
# the device Closed, xbdev-blkback renews the frontend directory and the
# guest's xen-blkfront takes the disk back).
rm -f $IMG2; dd if=/dev/zero of=$IMG2 bs=1048576 count=8 2>/dev/null
guest_run $G 'echo 1 > /sys/bus/xen/drivers_autoprobe' >/dev/null
if check "attach a second disk as xvdc, bound by the kernel's xen-blkfront" \
	xbdev attach $G vbd --disk $IMG2 --vdev xvdc --timeout 90; then
	check "the kernel frontend owns xvdc" guest_run $G 'test -e /sys/bus/xen/devices/vbd-51744/driver'
	check_fails "the userspace frontend refuses a kernel-owned device" guest_run $G "$FE verify xvdc"
	check "verify --unbind takes it over" guest_run $G "$FE verify xvdc --unbind"
	check "and gives it back: the kernel's xen-blkfront has xvdc again" \
		wait_for 30 guest_run $G 'test -b /dev/xvdc && test -e /sys/bus/xen/devices/vbd-51744/driver'
	check "backend Connected to it" wait_for 30 sh -c \
		"[ \"\$(xenstore-read /local/domain/0/backend/xbdev-vbd/$FEID/51744/state)\" = 4 ]"
	check "detach xvdc" xbdev detach $G vbd/51744 --timeout 30 ||
		xbdev detach $G vbd/51744 --force --timeout 10 >/dev/null 2>&1
fi
guest_run $G 'echo 0 > /sys/bus/xen/drivers_autoprobe' >/dev/null

check "backend log has no sanitizer report" fe_sanitizer_clean "$LOG"
check "detach" xbdev detach $G vbd/$DEV --timeout 30 ||
	xbdev detach $G vbd/$DEV --force --timeout 10 >/dev/null 2>&1
check "no backend dir left" sh -c "! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FEID/$DEV"
tail -n 40 "$LOG" 2>/dev/null | sed 's/^/  | /'
