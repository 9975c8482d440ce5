# xl save + xl restore of a guest whose xl config has an xbdev disk: libxl
# takes the disk down with the saved domain (its backend exits, nothing is
# left) and makes it again for the restored one (a new backend, served
# before the guest resumes); data written before the save reads back after
# the restore, and writes go on.
# (xl migrate to localhost is not covered: both domains would exist at once
# and the new backend finds the image locked by the old one; see
# xbdevd(8).)
# timeout: 400
G=xl82
IMG=/tmp/xl82.img SAVE=/tmp/xl82.save
cleanup() { guest_destroy $G; rm -f $IMG $SAVE; }
trap cleanup EXIT
rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=16 2>/dev/null
GUEST_DISKS="'$(xl_disk $IMG xvdb)'" GUEST_MEMORY=128 guest_start $G || { xbdevd_logs; exit 0; }
FE=$(guest_domid $G)
pid=$(xl_rec $FE 51728 pid)
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/p bs=65536 count=16 2>/dev/null && dd if=/tmp/p of=/dev/xvdb bs=65536 seek=16 oflag=direct 2>/dev/null && sha256sum < /tmp/p')
sum=${out%% *}
check_match "the guest wrote 1 MiB before the save" '^[0-9a-f]{64}$' "$sum"

check "xl save" timeout 120 xl save $G $SAVE
check "the domain is gone" wait_for 20 sh -c "! xl domid $G"
check "its backend process exited" wait_for 20 sh -c "! grep -q xbdev-blkback /proc/$pid/cmdline 2>/dev/null"
check "nothing of it left in xenstore" wait_for 10 sh -c "! xenstore-exists /local/domain/0/backend/vbd/$FE && ! xenstore-exists /xbdev/$FE && ! xenstore-exists /libxl/$FE"
check_eq "the data is in the image" "$sum" "$(dd if=$IMG bs=65536 skip=16 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)"

check "xl restore" timeout 120 xl restore $SAVE
FE2=$(guest_domid $G)
check "restored as a new domain ($FE2)" test -n "$FE2"
pid2=$(xl_rec $FE2 51728 pid)
check "a new backend serves it" sh -c "grep -q xbdev-blkback /proc/$pid2/cmdline 2>/dev/null"
check "both ends Connected" wait_for 30 ends_in /local/domain/$FE2/device/vbd/51728 4 /local/domain/0/backend/vbd/$FE2/51728 4
out=$(guest_run $G 'dd if=/dev/xvdb bs=65536 skip=16 count=16 iflag=direct 2>/dev/null | sha256sum')
check_eq "the restored guest reads what it wrote before the save" "$sum" "${out%% *}"
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/q bs=65536 count=16 2>/dev/null && dd if=/tmp/q of=/dev/xvdb bs=65536 seek=64 oflag=direct 2>/dev/null && sha256sum < /tmp/q')
check_eq "writes go on after the restore" "${out%% *}" "$(dd if=$IMG bs=65536 skip=64 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)"
vbd_logs $FE2 51728 15
