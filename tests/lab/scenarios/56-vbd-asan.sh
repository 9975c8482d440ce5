# The sanitizer (ASan + UBSan) build of xbdev-blkback serves the vbd data
# path (both directions, flush, discard, indirect requests), renews the
# frontend directory after xen-blkfront is unbound (the reconnect path),
# and detaches, with no report in its log.
# timeout: 420
G=vbd56
IMG=/tmp/vbd56.img
DEV=51728
ASAN=/usr/libexec/xbdev-asan
if [ ! -x $ASAN/xbdev-blkback ]; then
	skip "sanitizer backend" "no $ASAN/xbdev-blkback (make SANITIZE=1 before the lab)"
	exit 0
fi
rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=64 2>/dev/null
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
LOG=/var/log/xbdev/vbd-$FE-$DEV.log
rm -f $LOG

check "attach with the sanitizer backend" env XBDEV_LIBEXECDIR=$ASAN xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 120
pid=$(xenstore-read $REC/pid)
check_match "it is the sanitizer build" "$ASAN/xbdev-blkback" "$(tr '\0' ' ' < /proc/$pid/cmdline)"
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/p bs=65536 count=64 2>/dev/null; dd if=/tmp/p of=/dev/xvdb bs=65536 2>/dev/null; dd if=/tmp/p of=/dev/xvdb bs=4096 seek=4096 count=100 2>/dev/null; sync; blkdiscard -o 8388608 -l 4194304 /dev/xvdb 2>&1; echo 3 > /proc/sys/vm/drop_caches; sha256sum < /tmp/p; dd if=/dev/xvdb bs=65536 count=64 2>/dev/null | sha256sum')
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "data read back" 1 "$(printf '%s\n' "$out" | grep -E '^[0-9a-f]{64}' | cut -d' ' -f1 | sort -u | wc -l)"
sleep 2
check_eq "no errors" 0 "$(xenstore-read $REC/info/errors)"
# The renewal path (lib/renew.c) under the sanitizers: the loaded driver
# takes the fresh directory back and the data is still there.
FEP=/local/domain/$FE/device/vbd/$DEV
BE=/local/domain/0/backend/xbdev-vbd/$FE/$DEV
check "unbind xen-blkfront" guest_run $G "echo vbd-$DEV > /sys/bus/xen/drivers/vbd/unbind"
check "frontend directory renewed" wait_for 30 grep -q 'frontend directory recreated' $LOG
check "xen-blkfront connects again" wait_for 60 ends_in $FEP 4 $BE 4
out=$(guest_run $G 'for i in 1 2 3 4 5 6 7 8 9 10; do test -b /dev/xvdb && break; sleep 1; done; sha256sum < /tmp/p; dd if=/dev/xvdb bs=65536 count=64 iflag=direct 2>/dev/null | sha256sum')
check_eq "data read back after the renewal" 1 "$(printf '%s\n' "$out" | grep -E '^[0-9a-f]{64}' | cut -d' ' -f1 | sort -u | wc -l)"
check "detach" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited by itself" wait_for 10 sh -c "! kill -0 $pid"
check_fails "no sanitizer report in the backend log" grep -E 'AddressSanitizer|runtime error|LeakSanitizer' $LOG
check_match "clean exit logged" 'exit status 0' "$(cat $LOG)"
tail -n 20 $LOG | sed 's/^/  | /'
guest_destroy $G
rm -f $IMG
