# The reconnect of 53-vbd-multi, run against the dom0 kernel's blkback (a
# loop device) instead of xbdev-blkback: the guest's stock xen-blkfront
# lets go of its disk (sysfs unbind), the frontend announces Initialising
# again, the backend offers the device again (InitWait), and xen-blkfront
# is bound again.  With the lab's guest kernels (6.1 on the 4.17 lab, 6.12
# on the 4.20 lab: checked, the same) the rebound driver keeps
# the Closed state of its xenbus device from the unbind and ignores
# InitWait, so no backend gets a new handshake from it; this scenario
# shows that the in-kernel reference does not get the disk back to the
# guest that way (xbdev-blkback gives a frontend left Closed a fresh
# directory instead, see 53-vbd-multi; blkback and libxl do not).
# If blkback ever reconnects here, xbdev-blkback must too: not ok.
# timeout: 600
G=vbd57
IMG=/tmp/vbd57.img
DEV=51728
state_is() { [ "$(xenstore-read "$1/state" 2>/dev/null)" = "$2" ]; }

rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=16 2>/dev/null
LOOP=$(losetup -f) && losetup "$LOOP" $IMG || { not_ok "losetup $IMG"; exit 0; }
MM=$(stat -L -c '%t:%T' "$LOOP")
cleanup() { guest_destroy $G; losetup -d "$LOOP" 2>/dev/null; rm -f $IMG; }
guest_start $G || { cleanup; exit 0; }
FE=$(guest_domid $G)
BE=/local/domain/0/backend/vbd/$FE/$DEV
FEP=/local/domain/$FE/device/vbd/$DEV
check "attach $LOOP through kernel blkback (type vbd)" \
	xbdev attach $G vbd --backend-type vbd --devid $DEV \
	--front virtual-device=$DEV --front device-type=disk \
	--back dev=xvdb --back type=phy --back params=$LOOP --back mode=w \
	--back device-type=disk --back removable=0 --back bootable=1 \
	--back physical-device=$MM --back hotplug-status=connected \
	--timeout 90 || { cleanup; exit 0; }
check "guest has xvdb" wait_for 30 guest_run $G 'test -b /dev/xvdb'

check "unbind xen-blkfront from the device" guest_run $G "echo vbd-$DEV > /sys/bus/xen/drivers/vbd/unbind"
check "frontend Closed" wait_for 30 state_is $FEP 6
check "blkback goes Closed" wait_for 30 state_is $BE 6
check "frontend back to Initialising" guest_run $G "xenstore-write device/vbd/$DEV/state 1"
check "blkback offers the device again (InitWait)" wait_for 30 state_is $BE 2
check "bind xen-blkfront again" guest_run $G "echo vbd-$DEV > /sys/bus/xen/drivers/vbd/bind"
if wait_for 60 state_is $BE 4; then
	not_ok "stock xen-blkfront does not reconnect to blkback after unbind/bind" \
		"it did: then xbdev-blkback must too (see 53-vbd-multi)"
else
	ok "stock xen-blkfront does not reconnect to blkback after unbind/bind either (frontend $(xenstore-read $FEP/state), backend $(xenstore-read $BE/state))"
fi
guest_run $G 'dmesg | grep -i blkfront | tail -n 5' | sed 's/^/  guest | /'
check "detach" xbdev detach $G vbd/$DEV --timeout 30 ||
	xbdev detach $G vbd/$DEV --force --timeout 10 > /dev/null 2>&1
check "no blkback dir left" sh -c "! xenstore-exists $BE"
cleanup
