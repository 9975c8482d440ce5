# Multi-queue and multi-page rings negotiated with the guest's stock
# xen-blkfront (2 vCPUs, reloaded with max_queues=2 max_ring_page_order=2),
# published under info/; then reconnect: xen-blkfront is unloaded (after an
# unbind) and loaded again, and the disk comes back with its data; an
# unbind alone gives the disk back to the loaded driver by itself.  The
# backend's reconnect on a frontend back to Initialising is exercised by
# xbdev-blkfront in 6x.
# guest-types: pv pvh
# timeout: 900
G=vbd53
IMG=/tmp/vbd53.img
DEV=51728
rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=32 2>/dev/null
GUEST_VCPUS=2 guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
BE=/local/domain/0/backend/xbdev-vbd/$FE/$DEV
FEP=/local/domain/$FE/device/vbd/$DEV
BLKFRONT=$(guest_run $G 'grep blkfront /lib/modules.load')
diag "guest module: $BLKFRONT"
check "reload xen-blkfront with max_queues=2 max_ring_page_order=2" guest_run $G "rmmod xen_blkfront; insmod $BLKFRONT max_queues=2 max_ring_page_order=2"

check "attach" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV; exit 0; }
check_eq "frontend asked for 2 queues" 2 "$(xenstore-read $FEP/multi-queue-num-queues 2>&1)"
check_eq "frontend asked for ring order 2" 2 "$(xenstore-read $FEP/ring-page-order 2>&1)"
sleep 2
check_eq "info/queues" 2 "$(xenstore-read $REC/info/queues)"
check_eq "info/ring-pages" 4 "$(xenstore-read $REC/info/ring-pages)"
check_match "backend log names the negotiation" '2 queue\(s\), 4 ring page\(s\)' "$(cat /var/log/xbdev/vbd-$FE-$DEV.log)"
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/p bs=65536 count=64 2>/dev/null; dd if=/tmp/p of=/dev/xvdb bs=65536 2>/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches; sha256sum < /tmp/p; dd if=/dev/xvdb bs=65536 count=64 2>/dev/null | sha256sum')
printf '%s\n' "$out" | sed 's/^/  | /'
psum=$(printf '%s\n' "$out" | sed -n 1p | cut -d' ' -f1)
check_match "pattern written over 2 queues" '^[0-9a-f]{64}$' "$psum"
check_eq "and read back" "$psum" "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)"

# Reconnect: unload and reload xen-blkfront.  The module cannot be
# unloaded while it has a disk (xenbus holds a module reference per bound
# device: rmmod says EAGAIN), so unbind the device first.  The guest's
# xenbus then keeps that device Closed, and a driver loaded later ignores
# the backend's InitWait on it; xbdev-blkback gives a frontend left Closed
# a fresh directory (Initialising), which the guest takes as a new device.
pid=$(xenstore-read $REC/pid)
check "unbind and unload xen-blkfront" guest_run $G "echo vbd-$DEV > /sys/bus/xen/drivers/vbd/unbind && rmmod xen_blkfront"
check "frontend directory renewed: frontend Initialising, backend InitWait" wait_for 30 ends_in $FEP 1 $BE 2
check_match "backend logged the renewal" 'frontend directory recreated' "$(cat /var/log/xbdev/vbd-$FE-$DEV.log)"
check "no xvdb while the driver is unloaded" guest_run $G '! test -b /dev/xvdb'
check "load xen-blkfront again" guest_run $G "insmod $BLKFRONT max_queues=2 max_ring_page_order=2"
check "both ends Connected again" wait_for 60 ends_in $FEP 4 $BE 4
check "guest has xvdb again" wait_for 30 guest_run $G 'test -b /dev/xvdb'
out=$(guest_run $G 'echo 3 > /proc/sys/vm/drop_caches; dd if=/dev/xvdb bs=65536 count=64 2>/dev/null | sha256sum')
check_eq "data survived the reload" "$psum" "${out%% *}"
check_eq "2 queues negotiated again" 2 "$(xenstore-read $FEP/multi-queue-num-queues 2>&1)"
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/q bs=65536 count=16 2>/dev/null; dd if=/tmp/q of=/dev/xvdb bs=65536 seek=64 oflag=direct 2>/dev/null; sha256sum < /tmp/q; dd if=/dev/xvdb bs=65536 skip=64 count=16 iflag=direct 2>/dev/null | sha256sum')
check_eq "and the disk still takes writes" "$(printf '%s\n' "$out" | sed -n 1p | cut -d' ' -f1)" "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)"
# Unbind alone: the driver is still loaded and takes the new device.
check "unbind xen-blkfront only" guest_run $G "echo vbd-$DEV > /sys/bus/xen/drivers/vbd/unbind"
check "frontend directory renewed again" wait_for 30 sh -c "grep -c 'frontend directory recreated' /var/log/xbdev/vbd-$FE-$DEV.log | grep -qx 2"
check "the loaded driver connects to the renewed device by itself" wait_for 60 ends_in $FEP 4 $BE 4
check "guest has xvdb again after the unbind" wait_for 30 guest_run $G 'test -b /dev/xvdb'
check_eq "one backend process throughout" "$pid" "$(xenstore-read $REC/pid)"
check "detach" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited" wait_for 10 sh -c "! kill -0 $pid"
vbd_logs $FE $DEV
guest_destroy $G
rm -f $IMG
