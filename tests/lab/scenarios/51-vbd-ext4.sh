# A file system through xbdev-blkback: mkfs.ext4 on /dev/xvdb in the guest,
# mount, copy files, fstrim (discard -> hole punched in the image), unmount,
# detach (which flushes), then e2fsck -f -n on the image in dom0 reports it
# clean and the files' checksums match (read back in a second attach).
# guest-types: pv pvh
# timeout: 420
G=vbd51
IMG=/tmp/vbd51.img
DEV=51728
rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=128 2>/dev/null
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV

check "attach --disk" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV; exit 0; }
check "mkfs.ext4 in the guest" guest_run $G 'mkfs.ext4 -q -F /dev/xvdb'
mounted=0
if guest_run $G 'grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null; grep -qw ext4 /proc/filesystems' >/dev/null; then
	mounted=1
	check "mount in the guest" guest_run $G 'mkdir -p /mnt/t && mount -t ext4 /dev/xvdb /mnt/t'
	check "copy files in the guest" guest_run $G 'i=1; while [ $i -le 8 ]; do dd if=/dev/urandom of=/mnt/t/f$i bs=65536 count=$((i * 8)) 2>/dev/null || exit 1; i=$((i + 1)); done; cp -r /lab /mnt/t/lab && cd /mnt/t && sha256sum f1 f2 f3 f4 f5 f6 f7 f8 > /tmp/sums && cp /tmp/sums /mnt/t/SUMS'
	guest_run $G 'rm /mnt/t/f8; sync; fstrim -v /mnt/t 2>&1 || true'
	check "unmount in the guest" guest_run $G 'umount /mnt/t'
else
	skip "mount ext4 in the guest" "the guest kernel has no ext4 (module not in the guest image)"
fi
sleep 2
check_eq "no I/O errors" 0 "$(xenstore-read $REC/info/errors)"
[ $mounted = 1 ] && check_match "discard reached the backend" '^[1-9]' "$(xenstore-read $REC/info/discards)"
check "detach" xbdev detach $G vbd/$DEV --timeout 30
check "e2fsck -f -n in dom0: clean" e2fsck -f -n $IMG

if [ $mounted = 1 ]; then
	check "re-attach" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90
	check "mount again" guest_run $G 'mount -t ext4 -o ro /dev/xvdb /mnt/t'
	# Compared inside the guest against the SUMS file the disk itself
	# carries, so no checksum has to cross the console.
	check "files read back with the same checksums" guest_run $G 'cd /mnt/t && grep -v " f8$" SUMS | sha256sum -c >/dev/null && [ $(grep -vc " f8$" SUMS) = 7 ]'
	check "umount" guest_run $G 'umount /mnt/t'
	check "detach" xbdev detach $G vbd/$DEV --timeout 30
fi
vbd_logs $FE $DEV
guest_destroy $G
rm -f $IMG
