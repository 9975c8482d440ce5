# One writer per image: a second writable attach of the same image - by
# its path, a symlink, a hard link, a bind mount, to the same guest or
# another - is refused with xenstore unchanged, and so is a read-only one
# while a writer has it; readers share; a loop device counts as a user;
# --shared waives the rule.  xbdev-blkback itself holds a lock, so one
# started by hand on an image another serves refuses.  Empty and odd-sized
# images are refused.  The spawned backend inherits no fd of the caller;
# an unsafe log directory or a symlinked log is refused.
# timeout: 600
G=ow65
G2=ow65b
guest_start $G || exit 0
guest_start $G2 || { guest_destroy $G; exit 0; }
FE=$(guest_domid $G)
FE2=$(guest_domid $G2)
# xenstore but for what changes by itself (the agents, published counters).
store() { xenstore-ls -f / | grep -v -e '/data/lab-' -e '/info/' -e '/info = '; }

# refused DESC ARGS...: xbdev attach ARGS exits 2 saying who uses the
# disk, and writes nothing.
refused() {
	local desc=$1 before out rc; shift
	before=$(store)
	out=$(xbdev attach "$@" --timeout 60 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	check_eq "$desc: exit 2" 2 "$rc"
	check_match "$desc: says by whom" 'is in use by ' "$out"
	check_eq "$desc: xenstore unchanged" "$before" "$(store)"
}

IMG=/tmp/ow65.img
rm -f $IMG /tmp/ow65-*
truncate -s 16M $IMG
check "writer: attach $G xvdb read-write" \
	xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90
refused "same path, same guest" $G vbd --disk $IMG --vdev xvdc
ln -s $IMG /tmp/ow65-symlink.img
refused "symlink" $G vbd --disk /tmp/ow65-symlink.img
ln $IMG /tmp/ow65-hardlink.img
refused "hard link, other guest" $G2 vbd --disk /tmp/ow65-hardlink.img
mkdir -p /tmp/ow65-bind
if mount -o bind /tmp /tmp/ow65-bind; then
	refused "bind-mounted path" $G2 vbd --disk /tmp/ow65-bind/ow65.img
	umount /tmp/ow65-bind
else
	skip "bind-mounted path" "mount -o bind failed"
fi
refused "read-only while a writer has it" $G2 vbd --disk $IMG --readonly

# A backend started by hand on the same image (here for a device of G2
# attached --shared to a stand-in, whose record then loses "shared"):
# the serving backend's lock makes it refuse; G's disk goes on working.
FAKE=/tmp/ow65-fake
mkdir -p $FAKE
printf '#!/bin/sh\ntrap "exit 0" TERM\nwhile :; do sleep 1; done\n' > $FAKE/xbdev-blkback
chmod +x $FAKE/xbdev-blkback
check "stand-in device of $G2 on the same image (--shared)" env XBDEV_LIBEXECDIR=$FAKE \
	xbdev attach $G2 vbd --disk $IMG --vdev xvdb --shared --wait none
check_eq "its record says shared" 1 "$(xenstore-read /xbdev/$FE2/vbd/51728/shared)"
xenstore-rm /xbdev/$FE2/vbd/51728/shared
out=$(timeout 30 /usr/libexec/xbdev/xbdev-blkback /local/domain/0/backend/xbdev-vbd/$FE2/51728 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "second backend by hand: exit 1" 1 "$rc"
check_match "second backend by hand: refuses, image in use" 'in use by another process holding a conflicting lock' "$out"
check "detach the stand-in device" xbdev detach $G2 vbd/51728 --timeout 10 --force
out=$(guest_run $G "echo ow65-marker | dd of=/dev/xvdb bs=512 conv=sync 2>/dev/null && sync && dd if=/dev/xvdb bs=512 count=1 2>/dev/null | head -n1")
check_eq "the writer's disk still works" ow65-marker "$out"

# --shared: a second writer on purpose (a cluster file system).
check "--shared: a second writer, $G2" \
	xbdev attach $G2 vbd --disk /tmp/ow65-symlink.img --vdev xvdc --shared --timeout 90
check_match "--shared: its backend took no lock" 'attached --shared: no lock taken' "$(vbd_logs $FE2 51744)"
check "detach $G2 xvdc" xbdev detach $G2 vbd/51744 --timeout 30
check "detach $G xvdb" xbdev detach $G vbd/51728 --timeout 30
check "after the writer: the image is free again" \
	xbdev attach $G2 vbd --disk /tmp/ow65-hardlink.img --vdev xvdb --timeout 90
check "detach it" xbdev detach $G2 vbd/51728 --timeout 30

# Readers share; a writer then has to wait.
RO=/tmp/ow65-ro.img
truncate -s 8M $RO
check "reader 1 ($G)" xbdev attach $G vbd --disk $RO --vdev xvdd --readonly --timeout 90
check "reader 2 ($G2)" xbdev attach $G2 vbd --disk $RO --vdev xvdd --readonly --timeout 90
refused "a writer while two read" $G2 vbd --disk $RO --vdev xvde
check "detach reader 1" xbdev detach $G vbd/51760 --timeout 30
check "detach reader 2" xbdev detach $G2 vbd/51760 --timeout 30

# A loop device on the image is a user: writable, it keeps everyone out;
# read-only, it lets readers in.
LIMG=/tmp/ow65-loop.img
truncate -s 8M $LIMG
if LOOP=$(losetup -f) && losetup "$LOOP" $LIMG; then
	refused "a writable loop device has it" $G vbd --disk $LIMG --readonly
	losetup -d "$LOOP"
	if losetup -r "$LOOP" $LIMG; then
		refused "a read-only loop device has it: no writer" $G vbd --disk $LIMG
		check "a read-only loop device has it: a reader may" \
			xbdev attach $G vbd --disk $LIMG --readonly --vdev xvde --timeout 90
		check "detach it" xbdev detach $G vbd/51776 --timeout 30
		losetup -d "$LOOP"
	else
		not_ok "losetup -r $LOOP $LIMG"
	fi
else
	not_ok "losetup $LIMG"
fi

# Images no sector can be served from.
: > /tmp/ow65-empty.img
out=$(xbdev attach $G vbd --disk /tmp/ow65-empty.img 2>&1); rc=$?
check_eq "empty image: exit 2" 2 "$rc"
check_match "empty image: said so" 'empty: nothing to serve' "$out"
printf 'twelve bytes' > /tmp/ow65-12.img
out=$(xbdev attach $G vbd --disk /tmp/ow65-12.img 2>&1); rc=$?
check_eq "12-byte image: exit 2" 2 "$rc"
check_match "12-byte image: said so" 'not a multiple of 512 bytes \(a sector\): 12' "$out"

# The spawned backend keeps nothing of its caller but 0-2.
truncate -s 8M /tmp/ow65-fd.img
echo secret > /tmp/ow65-secret
check "attach with fd 7 open in the caller" sh -c \
	"exec 7< /tmp/ow65-secret; xbdev attach $G vbd --disk /tmp/ow65-fd.img --vdev xvdf --timeout 90"
pid=$(xenstore-read /xbdev/$FE/vbd/51792/pid)
fds=$(ls -l /proc/$pid/fd 2>&1)
printf '%s\n' "$fds" | sed 's/^/  | /'
check "the backend does not have the caller's fd 7" sh -c "! printf '%s\n' \"\$1\" | grep -q ow65-secret" x "$fds"
check_match "the backend has its image open" 'ow65-fd.img' "$fds"
check "detach it" xbdev detach $G vbd/51792 --timeout 30

# The log directory others could write, a symlink at the log's name.
chmod 777 /var/log/xbdev
before=$(store)
out=$(xbdev attach $G vbd --disk /tmp/ow65-fd.img --vdev xvdg --timeout 30 2>&1); rc=$?
chmod 755 /var/log/xbdev
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "world-writable log dir: exit 1" 1 "$rc"
check_match "world-writable log dir: said so" 'log directory /var/log/xbdev .*group or others may write' "$out"
check_eq "world-writable log dir: xenstore unchanged" "$before" "$(store)"
rm -f /var/log/xbdev/vbd-$FE-51808.log
ln -s /tmp/ow65-log-target /var/log/xbdev/vbd-$FE-51808.log
out=$(xbdev attach $G vbd --disk /tmp/ow65-fd.img --vdev xvdg --timeout 30 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "symlinked log: exit 1" 1 "$rc"
check_match "symlinked log: said so" 'log is a symlink' "$out"
check "symlinked log: not followed" test ! -e /tmp/ow65-log-target
check_eq "symlinked log: xenstore unchanged" "$before" "$(store)"
rm -f /var/log/xbdev/vbd-$FE-51808.log

guest_destroy $G
guest_destroy $G2
rm -rf /tmp/ow65*
