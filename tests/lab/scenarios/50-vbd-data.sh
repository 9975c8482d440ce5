# xbdev-blkback data path with the guest's stock xen-blkfront: attach an
# image with `xbdev attach --disk`, the guest sees /dev/xvdb of the right
# size, writes a pattern (dd + sync), detach, dom0 finds exactly that pattern
# in the image; then the reverse (dom0 writes, guest reads).  The backend
# exits by itself on detach, its counters are published under info/ and
# shown by `xbdev status`.
# guest-types: pv pvh
# timeout: 420
G=vbd50
IMG=/tmp/vbd50.img
DEV=51728
vbd_image() { rm -f "$1"; dd if=/dev/zero of="$1" bs=1048576 count="$2" 2>/dev/null; }
vbd_image $IMG 64
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
BE=/local/domain/0/backend/xbdev-vbd/$FE/$DEV

check "attach --disk $IMG as xvdb" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV 60; exit 0; }
pid=$(xenstore-read $REC/pid 2>/dev/null)
check "backend process $pid alive" kill -0 "$pid"
check_eq "backend Connected" 4 "$(xenstore-read $BE/state)"
check_eq "backend advertises ring order 4" 4 "$(xenstore-read $BE/max-ring-page-order)"
check_eq "backend advertises 256 indirect segments" 256 "$(xenstore-read $BE/feature-max-indirect-segments)"
check_eq "sectors node" 131072 "$(xenstore-read $BE/sectors)"
check_eq "guest sees xvdb of 64 MiB" 131072 "$(guest_run $G cat /sys/block/xvdb/size)"
check_eq "guest sees it writable" 0 "$(guest_run $G cat /sys/block/xvdb/ro)"

# Guest -> dom0: 4 MiB of random data at 1 MiB, 64 KiB writes (indirect
# requests with Linux's default of 32 indirect segments), then sync.
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/p bs=65536 count=64 2>/dev/null && dd if=/tmp/p of=/dev/xvdb bs=65536 seek=16 2>/dev/null && sync && sha256sum < /tmp/p')
gsum=${out%% *}
check_match "guest wrote the pattern" '^[0-9a-f]{64}$' "$gsum"
sleep 2
check_match "info/bytes-written counts the pattern" '^([4-9][0-9]{6}|[0-9]{8,})$' "$(xenstore-read $REC/info/bytes-written)"
check_match "info/requests > 0" '^[1-9]' "$(xenstore-read $REC/info/requests)"
check_eq "info/errors 0" 0 "$(xenstore-read $REC/info/errors)"
check_match "info/indirect-requests > 0 (indirect descriptors used)" '^[1-9]' "$(xenstore-read $REC/info/indirect-requests)"
check_eq "info/queues" 1 "$(xenstore-read $REC/info/queues)"
check_eq "info/ring-pages" 1 "$(xenstore-read $REC/info/ring-pages)"
check_eq "info/backing-file" "$IMG" "$(xenstore-read $REC/info/backing-file)"
# Persistent grants (the default, and blkfront takes them): blkfront
# copies into its pool of granted pages, the backend maps each once and
# moves the data by readv/writev between them and the file.
check_eq "backend advertises feature-persistent" 1 "$(xenstore-read $BE/feature-persistent)"
check_eq "blkfront asks for it" 1 "$(xenstore-read /local/domain/$FE/device/vbd/$DEV/feature-persistent)"
check_eq "info/data-path" persistent-grants "$(xenstore-read $REC/info/data-path)"
check_match "info/persistent-grants: grants mapped" '^[1-9]' "$(xenstore-read $REC/info/persistent-grants)"
check_match "info/persistent-requests > 0" '^[1-9]' "$(xenstore-read $REC/info/persistent-requests)"
st=$(xbdev status $G vbd/$DEV 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
check_match "xbdev status shows the counters" 'bytes-written' "$st"

check "detach" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited by itself" wait_for 10 sh -c "! kill -0 $pid"
check_match "backend logged the detach" 'exiting: device detached' "$(cat /var/log/xbdev/vbd-$FE-$DEV.log 2>/dev/null)"
check_eq "dom0 finds the pattern in the image" "$gsum" "$(dd if=$IMG bs=65536 skip=16 count=64 2>/dev/null | sha256sum | cut -d' ' -f1)"
check_eq "nothing else written (before the pattern)" "$(head -c 1048576 /dev/zero | sha256sum)" "$(head -c 1048576 $IMG | sha256sum)"

# dom0 -> guest.
dd if=/dev/urandom of=/tmp/vbd50.q bs=65536 count=32 2>/dev/null
dsum=$(sha256sum < /tmp/vbd50.q | cut -d' ' -f1)
dd if=/tmp/vbd50.q of=$IMG bs=65536 seek=200 conv=notrunc 2>/dev/null
check "re-attach" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90
out=$(guest_run $G 'dd if=/dev/xvdb bs=65536 skip=200 count=32 2>/dev/null | sha256sum')
check_eq "guest reads what dom0 wrote" "$dsum" "${out%% *}"
check_match "info/bytes-read counts it" '^([2-9][0-9]{6}|[0-9]{8,})$' "$(sleep 2; xenstore-read $REC/info/bytes-read)"
pid=$(xenstore-read $REC/pid 2>/dev/null)
check "detach again" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited" wait_for 10 sh -c "! kill -0 $pid"
check "no backend dir left" sh -c "! xenstore-exists $BE"
check "no record left" sh -c "! xenstore-exists $REC"

# Grant copy (XBDEV_BLKBACK_PERSISTENT=0): blkfront grants its own pages;
# the image lives on dom0's tmpfs, written pages are in the page cache, so
# the page-cache path (grant copy straight to/from it) serves requests.
check "attach without persistent grants" env XBDEV_BLKBACK_PERSISTENT=0 xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90
check_eq "backend advertises no feature-persistent" 0 "$(xenstore-read $BE/feature-persistent)"
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/p bs=65536 count=64 2>/dev/null && dd if=/tmp/p of=/dev/xvdb bs=65536 seek=300 2>/dev/null && sync && echo 3 > /proc/sys/vm/drop_caches && sha256sum < /tmp/p && dd if=/dev/xvdb bs=65536 skip=300 count=64 2>/dev/null | sha256sum')
printf '%s\n' "$out" | sed 's/^/  | /'
psum=$(printf '%s\n' "$out" | sed -n 1p | cut -d' ' -f1)
check_match "guest wrote a pattern through grant copy" '^[0-9a-f]{64}$' "$psum"
check_eq "and read it back" "$psum" "$(printf '%s\n' "$out" | sed -n 2p | cut -d' ' -f1)"
sleep 2
check_eq "info/data-path" grant-copy/page-cache "$(xenstore-read $REC/info/data-path)"
check_match "info/page-cache-requests > 0" '^[1-9]' "$(xenstore-read $REC/info/page-cache-requests)"
check_eq "info/persistent-grants 0" 0 "$(xenstore-read $REC/info/persistent-grants)"
check_eq "info/errors 0" 0 "$(xenstore-read $REC/info/errors)"
pid=$(xenstore-read $REC/pid 2>/dev/null)
check "detach (grant copy)" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited" wait_for 10 sh -c "! kill -0 $pid"
check_match "backend logged the data path" 'data path grant-copy/page-cache' "$(cat /var/log/xbdev/vbd-$FE-$DEV.log 2>/dev/null)"
check_eq "dom0 finds the pattern in the image" "$psum" "$(dd if=$IMG bs=65536 skip=300 count=64 2>/dev/null | sha256sum | cut -d' ' -f1)"
check_eq "dom0's earlier data untouched" "$dsum" "$(dd if=$IMG bs=65536 skip=200 count=32 2>/dev/null | sha256sum | cut -d' ' -f1)"
vbd_logs $FE $DEV 60
guest_destroy $G
rm -f $IMG /tmp/vbd50.q
