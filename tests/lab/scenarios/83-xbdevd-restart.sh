# The service restarted while it serves disks: SIGTERM (systemctl restart,
# an upgrade) and kill -9 (a crash).  The backends do not depend on it:
# each disk keeps its backend process and the guest's I/O goes on; the new
# xbdevd finds them (their records) and watches them again, serves a disk
# attached after it started, and still cleans up after a detach.
# timeout: 400
G=xl83
IMG=/tmp/xl83.img IMG2=/tmp/xl83b.img
cleanup() {
	guest_destroy $G
	rm -f $IMG $IMG2
	xbdevd_alive || xbdevd_restart
}
trap cleanup EXIT
for f in $IMG $IMG2; do rm -f $f; dd if=/dev/zero of=$f bs=1048576 count=16 2>/dev/null; done
io() { guest_run $G "dd if=/dev/urandom of=/tmp/p bs=65536 count=8 2>/dev/null && dd if=/tmp/p of=/dev/$1 bs=65536 seek=$2 oflag=direct 2>/dev/null && dd if=/dev/$1 bs=65536 skip=$2 count=8 iflag=direct 2>/dev/null | cmp - /tmp/p"; }

GUEST_DISKS="'$(xl_disk $IMG xvdb)'" GUEST_MEMORY=128 guest_start $G || { xbdevd_logs; exit 0; }
FE=$(guest_domid $G)
pid=$(xl_rec $FE 51728 pid)
check "xbdev-blkback $pid serves xvdb" sh -c "grep -q xbdev-blkback /proc/$pid/cmdline"
check "I/O before" io xvdb 0

for sig in TERM KILL; do
	old=$(xbdevd_pid)
	check "xbdevd restarted after SIG$sig" xbdevd_restart $sig
	check "SIG$sig: the old xbdevd ($old) is gone" sh -c "! kill -0 $old 2>/dev/null"
	check_eq "SIG$sig: the same backend still serves xvdb" "$pid" "$(xl_rec $FE 51728 pid)"
	check "SIG$sig: it is alive" sh -c "grep -q xbdev-blkback /proc/$pid/cmdline"
	check "SIG$sig: I/O goes on" io xvdb 16
	check "SIG$sig: the new xbdevd adopted it" wait_for 10 sh -c "tail -n 5 /var/log/xbdev/xbdevd.log | grep -q 'backend pid $pid already serving it'"
done

# A disk attached after the restart, and its detach.
check "xl block-attach xvdc after the restarts" timeout 60 xl block-attach $G "$(xl_disk $IMG2 xvdc)" || xbdevd_logs
check "xvdc appears" wait_for 30 guest_run $G 'test -b /dev/xvdc'
check "I/O on xvdc" io xvdc 0
check "xl block-detach xvdc" timeout 60 xl block-detach $G xvdc
check "nothing of xvdc left" wait_for 10 sh -c "! xenstore-exists /local/domain/0/backend/vbd/$FE/51744 && ! xenstore-exists /xbdev/$FE/vbd/51744"
# Detached while xbdevd is down: the record is removed once it is back.
check "xl block-attach xvdc again" timeout 60 xl block-attach $G "$(xl_disk $IMG2 xvdc)"
check "xvdc appears again" wait_for 30 guest_run $G 'test -b /dev/xvdc'
old=$(xbdevd_pid)
kill -KILL $old
check "xl block-detach xvdc while xbdevd is down" timeout 60 xl block-detach $G xvdc
check "its record is left while xbdevd is down" xenstore-exists /xbdev/$FE/vbd/51744
check "xbdevd started again" xbdevd_restart KILL
check "the new xbdevd removed the record" wait_for 10 sh -c "! xenstore-exists /xbdev/$FE/vbd/51744"
check "I/O on xvdb at the end" io xvdb 32
xbdevd_logs 30
