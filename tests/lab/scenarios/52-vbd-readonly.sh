# Read-only attach: the backend advertises info READONLY, the guest's
# device is read-only, its writes fail (also when forced past the block
# layer's check with blockdev --setrw), and the image is unchanged.
# timeout: 300
G=vbd52
IMG=/tmp/vbd52.img
DEV=51744
rm -f $IMG
dd if=/dev/urandom of=$IMG bs=1048576 count=8 2>/dev/null
before=$(sha256sum < $IMG | cut -d' ' -f1)
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
BE=/local/domain/0/backend/xbdev-vbd/$FE/$DEV

check "attach --readonly as xvdc" xbdev attach $G vbd --disk $IMG --vdev xvdc --readonly --timeout 90 || { vbd_logs $FE $DEV; exit 0; }
check_eq "backend mode r" r "$(xenstore-read $BE/mode)"
check_eq "info has VDISK_READONLY" 4 "$(( $(xenstore-read $BE/info) & 4 ))"
check_eq "no discard offered on a read-only disk" 0 "$(xenstore-read $BE/feature-discard)"
check_eq "guest sees it read-only" 1 "$(guest_run $G cat /sys/block/xvdc/ro)"
out=$(guest_run $G 'dd if=/dev/xvdc bs=65536 count=128 2>/dev/null | sha256sum')
check_eq "guest reads the image" "$before" "${out%% *}"
check_fails "guest write fails" guest_run $G 'dd if=/dev/zero of=/dev/xvdc bs=4096 count=16 conv=fsync'
# Past the guest's own block-layer check: the backend must refuse.
guest_run $G 'blockdev --setrw /dev/xvdc 2>&1; cat /sys/block/xvdc/ro'
guest_run $G 'dd if=/dev/zero of=/dev/xvdc bs=4096 count=16 oflag=direct 2>&1; dd if=/dev/zero of=/dev/xvdc bs=4096 count=16 2>&1; sync; echo done'
sleep 2
errs=$(xenstore-read $REC/info/errors)
writes=$(xenstore-read $REC/info/bytes-written)
check_eq "backend wrote nothing" 0 "$writes"
diag "write requests refused by the backend: $errs"
check_eq "read-only published" 1 "$(xenstore-read $REC/info/read-only)"
check "detach" xbdev detach $G vbd/$DEV --timeout 30
check_eq "image unchanged" "$before" "$(sha256sum < $IMG | cut -d' ' -f1)"
vbd_logs $FE $DEV
guest_destroy $G
rm -f $IMG
