# Resizing a disk served by xbdev-blkback while its PV guest runs (xbdev
# resize): a 64 MiB image as xvdb with ext4 mounted in the guest; `xbdev
# resize ... 128M` makes the image 128 MiB, writes sectors (and state
# Connected again) in the backend directory, and the guest's
# /sys/block/xvdb/size follows within 20 s; resize2fs grows the mounted
# file system online, the file written before reads back the same; +32M
# adds 32 MiB; a shrink without --force exits 2 and changes neither the
# image nor sectors; status (text and JSON) shows the size and the
# last-resize.  A loop device as xvdc: SIZE is refused for a block device
# (exit 2), --follow takes its size after `losetup -c`.  Bad SIZEs exit 2
# and write nothing; an unknown device exits 4.  With the file system
# shrunk offline in the guest, --force shrinks the disk; detach leaves
# nothing and e2fsck in dom0 finds the file system clean.
# timeout: 420
G=vbd66
IMG=/tmp/vbd66.img
LIMG=/tmp/vbd66-loop.img
DEV=51728   # xvdb
DEV2=51744  # xvdc
LOOP=

cleanup() {
	xbdev detach $G vbd/$DEV --timeout 20 >/dev/null 2>&1
	xbdev detach $G vbd/$DEV2 --timeout 20 >/dev/null 2>&1
	guest_destroy $G
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -f $IMG $LIMG
}
trap cleanup EXIT

rm -f $IMG $LIMG
dd if=/dev/zero of=$IMG bs=1048576 count=64 2>/dev/null
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
BE=/local/domain/0/backend/xbdev-vbd/$FE/$DEV
FEDIR=/local/domain/$FE/device/vbd/$DEV
REC2=/xbdev/$FE/vbd/$DEV2
BE2=/local/domain/0/backend/xbdev-vbd/$FE/$DEV2

# guest_size DEV SECTORS: the guest's /sys/block/DEV/size becomes SECTORS
# within 20 s (timed in the guest); prints the last size seen.
guest_size() {
	guest_run $G "end=\$((\$(cut -d. -f1 /proc/uptime) + 20)); while s=\$(cat /sys/block/$1/size); [ \"\$s\" != $2 ]; do [ \$(cut -d. -f1 /proc/uptime) -ge \$end ] && { echo \"size \$s\"; exit 1; }; sleep 0.2; done; echo \"size \$s\""
}
# fs_kb: the size of the guest's mounted file system in KiB (df).
fs_kb() { guest_run $G "df -k /mnt/t | awk 'NR == 2 { print \$2 }'"; }
# quiet: no request reached either backend for 3 s (their info/ is then
# left as it is: the backend publishes only what changed).
quiet() {
	local a b
	a="$(xenstore-read $REC/info/requests) $(xenstore-read $REC2/info/requests)"
	sleep 3
	b="$(xenstore-read $REC/info/requests) $(xenstore-read $REC2/info/requests)"
	[ "$a" = "$b" ]
}

check "attach --disk (64 MiB) as xvdb" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV 60; exit 0; }
check "guest sees xvdb of 64 MiB" guest_size xvdb 131072

# ---- ext4, mounted, a file on it --------------------------------------------
check "ext4 in the guest kernel" guest_run $G 'grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null; grep -qw ext4 /proc/filesystems' || exit 0
check "resize2fs in the guest image" guest_run $G 'command -v resize2fs' || exit 0
# No lazy init: no inode table zeroed behind our back while we look.
check "mkfs.ext4 in the guest" guest_run $G 'mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 /dev/xvdb'
check "mount in the guest" guest_run $G 'mkdir -p /mnt/t && mount -t ext4 /dev/xvdb /mnt/t' || exit 0
check "write a file in the guest" guest_run $G 'dd if=/dev/urandom of=/mnt/t/data bs=65536 count=64 2>/dev/null && sync && sha256sum /mnt/t/data > /tmp/data.sum'
kb0=$(fs_kb)
diag "ext4 of $kb0 KiB"

# ---- grow to 128M --------------------------------------------------------------
out=$(xbdev resize $G xvdb 128M 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "resize xvdb 128M: exit 0" 0 "$rc"
check_eq "the image is 128 MiB" 134217728 "$(stat -c %s $IMG)"
check_eq "backend sectors 262144 when the command returns" 262144 "$(xenstore-read $BE/sectors)"
check "both ends still Connected" ends_in $FEDIR 4 $BE 4
check "guest's /sys/block/xvdb/size becomes 262144 within 20 s" guest_size xvdb 262144
# xen-blkfront writes nothing back; its kernel log says what it took.
diag "guest's log: $(guest_run $G 'dmesg | grep -i capacity | tail -n 2' | tr '\n' ' ')"
check "resize2fs online in the guest" guest_run $G 'resize2fs /dev/xvdb 2>&1'
kb1=$(fs_kb)
diag "ext4 of $kb1 KiB after resize2fs"
check "df shows the bigger file system ($kb0 -> $kb1 KiB)" [ "${kb1:-0}" -gt $((${kb0:-0} * 3 / 2)) ]
check "the file reads back the same (caches dropped)" guest_run $G 'sync && echo 3 > /proc/sys/vm/drop_caches && sha256sum -c /tmp/data.sum'
check "a file written into the grown file system" guest_run $G 'dd if=/dev/urandom of=/mnt/t/more bs=65536 count=256 2>/dev/null && sync && sha256sum /mnt/t/more > /tmp/more.sum && echo 3 > /proc/sys/vm/drop_caches && sha256sum -c /tmp/more.sum'
check_eq "no I/O errors" 0 "$(xenstore-read $REC/info/errors)"

# ---- +32M ----------------------------------------------------------------------
check "resize xvdb +32M" xbdev resize $G xvdb +32M
check_eq "the image is 160 MiB" 167772160 "$(stat -c %s $IMG)"
check_eq "backend sectors 327680" 327680 "$(xenstore-read $BE/sectors)"
check "guest's size becomes 327680 within 20 s" guest_size xvdb 327680

# ---- a shrink without --force: refused, nothing changed -------------------------
out=$(xbdev resize $G vbd/$DEV 100M 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "resize to 100M without --force: exit 2" 2 "$rc"
check_match "the refusal names --force" '--force' "$out"
check_eq "refused shrink: the image still 160 MiB" 167772160 "$(stat -c %s $IMG)"
check_eq "refused shrink: backend sectors unchanged" 327680 "$(xenstore-read $BE/sectors)"
check_eq "refused shrink: the guest's size unchanged" "size 327680" "$(guest_run $G 'echo size $(cat /sys/block/xvdb/size)')"

# ---- status -----------------------------------------------------------------------
out=$(xbdev status $G xvdb)
printf '%s\n' "$out" | sed 's/^/  | /'
check_match "status shows the size" '^  size +167772160$' "$out"
check_match "status shows the sectors" '^  sectors +327680$' "$out"
check_match "status shows the last resize" '^  last-resize +[0-9-]+T[0-9:]+Z 134217728 -> 167772160$' "$out"
out=$(xbdev status $G xvdb --json)
check_match "status --json has info.size" '"size": *"167772160"' "$out"
check_match "status --json has info.last-resize" '"last-resize": *"[0-9-]+T[0-9:]+Z 134217728 -> 167772160"' "$out"

# ---- a loop device: --follow ----------------------------------------------------
dd if=/dev/zero of=$LIMG bs=1048576 count=16 2>/dev/null
LOOP=$(losetup -f) && losetup "$LOOP" $LIMG || { LOOP=; not_ok "losetup $LIMG"; exit 0; }
check "attach the loop device as xvdc" xbdev attach $G vbd --disk "$LOOP" --vdev xvdc --timeout 90 || { vbd_logs $FE $DEV2 60; exit 0; }
check "guest sees xvdc of 16 MiB" guest_size xvdc 32768
out=$(xbdev resize $G xvdc 32M 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "SIZE for a block device: exit 2" 2 "$rc"
check_match "the refusal says --follow" '--follow' "$out"
check_eq "refused: xvdc's sectors unchanged" 32768 "$(xenstore-read $BE2/sectors)"
truncate -s 32M $LIMG
check "losetup -c after the file grew" losetup -c "$LOOP"
check "resize xvdc --follow" xbdev resize $G xvdc --follow
check_eq "xvdc's backend sectors 65536" 65536 "$(xenstore-read $BE2/sectors)"
check "guest's xvdc size becomes 65536 within 20 s" guest_size xvdc 65536
check "the guest reads xvdc's new end" guest_run $G 'dd if=/dev/xvdc of=/dev/null bs=65536 skip=496 count=16 iflag=direct 2>&1'

# ---- bad input: exit 2, nothing written; an unknown device: exit 4 --------------
check "umount in the guest" guest_run $G 'umount /mnt/t'
i=0
until quiet || [ $i -ge 10 ]; do i=$((i + 1)); done
[ $i -ge 10 ] && diag "the backends' request counters never held still for 3 s"
store_snapshot
for s in 12Q 1000 + 0 +0 1.5G 9000000000T; do
	xbdev resize $G xvdb "$s" >/dev/null 2>&1
	check_eq "resize xvdb '$s': exit 2" 2 "$?"
done
xbdev resize $G xvdb -- -1M >/dev/null 2>&1
check_eq "resize xvdb -- -1M: exit 2" 2 "$?"
xbdev resize $G vbd/51760 1G >/dev/null 2>&1
check_eq "resize of a device that does not exist: exit 4" 4 "$?"
check_store_unchanged "bad sizes and an unknown device wrote nothing"
check_eq "after bad sizes: the image still 160 MiB" 167772160 "$(stat -c %s $IMG)"

# ---- --force: the file system shrunk first, then the disk ---------------------
export GUEST_RUN_TIMEOUT=120
check "e2fsck -f -y in the guest: clean after the online grow" guest_run $G 'e2fsck -f -y /dev/xvdb 2>&1'
check "resize2fs /dev/xvdb 100M (offline) in the guest" guest_run $G 'resize2fs /dev/xvdb 100M 2>&1'
unset GUEST_RUN_TIMEOUT
check "resize xvdb 100M --force" xbdev resize $G xvdb 100M --force
check_eq "forced: the image is 100 MiB" 104857600 "$(stat -c %s $IMG)"
check_eq "forced: backend sectors 204800" 204800 "$(xenstore-read $BE/sectors)"
check "guest's size becomes 204800 within 20 s" guest_size xvdb 204800
check "mount again" guest_run $G 'mount -t ext4 /dev/xvdb /mnt/t'
check "both files read back the same" guest_run $G 'sha256sum -c /tmp/data.sum && sha256sum -c /tmp/more.sum'
check "umount" guest_run $G 'umount /mnt/t'
check_eq "no I/O errors at the end" 0 "$(xenstore-read $REC/info/errors)"

# ---- detach leaves nothing ----------------------------------------------------
pid=$(xenstore-read $REC/pid)
pid2=$(xenstore-read $REC2/pid)
check "detach xvdb" xbdev detach $G vbd/$DEV --timeout 30
check "detach xvdc" xbdev detach $G vbd/$DEV2 --timeout 30
check_match "both records had a backend pid" '^[0-9]+ [0-9]+$' "$pid $pid2"
check "the backend processes are gone" wait_for 10 sh -c "! kill -0 $pid && ! kill -0 $pid2"
check "nothing left in xenstore" sh -c "! xenstore-exists $REC && ! xenstore-exists $BE && ! xenstore-exists $FEDIR && ! xenstore-exists $REC2 && ! xenstore-exists $BE2 && ! xenstore-exists /local/domain/$FE/device/vbd/$DEV2"
check "e2fsck -f -n in dom0: clean" e2fsck -f -n $IMG
vbd_logs $FE $DEV 30
vbd_logs $FE $DEV2 10
