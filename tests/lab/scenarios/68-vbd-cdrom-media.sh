# CD-ROM media change (xbdev media): a PV guest reads medium A of a
# drive attached with --cdrom; eject takes the device away from the guest
# in order (gone within 20 s) and leaves an ejected drive (status: health
# and media "ejected"); insert B brings the same vdev back with B's
# content.  Refusals change nothing: insert with a medium in (exit 1),
# eject of an ejected drive (1), a missing image (2, as attach), a disk
# that is not a CD-ROM (2), an unknown device (4).  detach removes an
# ejected drive too, and the store ends as it began.  PV only: Linux's
# blkfront_probe() refuses device-type cdrom in an HVM or PVH guest.
# timeout: 300
G=vbd68
A=/tmp/vbd68-a.iso
B=/tmp/vbd68-b.iso
D=/tmp/vbd68-disk.img
CD=51744        # xvdc
DISK=51728      # xvdb

cleanup() {
	xbdev detach $G vbd/$CD --timeout 20 >/dev/null 2>&1
	xbdev detach $G vbd/$DISK --timeout 20 >/dev/null 2>&1
	guest_destroy $G
	rm -f $A $B $D
}
trap cleanup EXIT

# medium FILE MARK: 1 MiB of zeros that begins with MARK (16 bytes).
medium() {
	rm -f "$1"
	dd if=/dev/zero of="$1" bs=1048576 count=1 2>/dev/null
	printf '%s' "$2" | dd of="$1" conv=notrunc 2>/dev/null
}
medium $A MEDIUM-A-68-xbdev
medium $B MEDIUM-B-68-xbdev
dd if=/dev/zero of=$D bs=1048576 count=8 2>/dev/null

guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$CD
FED=/local/domain/$FE/device/vbd/$CD
BED=/local/domain/0/backend/xbdev-vbd/$FE/$CD
store_snapshot
cp "$L/store.$SCENARIO" "$L/store.$SCENARIO.start"

# The first 16 bytes of the guest's xvdc, read past its page cache, on a
# line of their own (guest_run returns whole lines only).
label() {
	guest_run $G "dd if=/dev/xvdc bs=512 count=1 iflag=direct 2>/dev/null | head -c 16; echo"
}

check "attach --cdrom A as xvdc" xbdev attach $G vbd --disk $A --cdrom --vdev xvdc --timeout 90 || { vbd_logs $FE $CD 60; exit 0; }
check "guest sees xvdc" wait_for 20 guest_run $G test -b /dev/xvdc
check_eq "guest reads A" "MEDIUM-A-68-xbde" "$(label)"
check_eq "the record: cdrom" 1 "$(xenstore-read $REC/cdrom)"
check_eq "the record: media is A" "$A" "$(xenstore-read $REC/media)"
check_match "status --json: media A" "\"media\": *\"$A\"" "$(xbdev status $G xvdc --json)"
PID=$(xenstore-read $REC/pid)

# A medium is in: insert refused, A still served.
xbdev media $G xvdc insert $B >/dev/null 2>&1
check_eq "insert with a medium in: exit 1" 1 "$?"
check_eq "after the refused insert: media still A" "$A" "$(xenstore-read $REC/media)"
check_eq "after the refused insert: guest reads A" "MEDIUM-A-68-xbde" "$(label)"

check "eject" xbdev media $G xvdc eject --timeout 30
check "xvdc gone from the guest within 20 s" wait_for 20 guest_run $G "! test -e /sys/block/xvdc"
check "frontend directory gone" gone $FED
check "backend directory gone" gone $BED
check "backend process $PID gone" wait_for 10 sh -c "! kill -0 $PID 2>/dev/null"
check_eq "the record: media ejected" ejected "$(xenstore-read $REC/media)"
check "the record keeps no pid" gone $REC/pid
out=$(xbdev status $G xvdc --json)
check_match "status --json: health ejected" '"health": *"ejected"' "$out"
check_match "status --json: media ejected" '"media": *"ejected"' "$out"
check_match "status: xvdc ejected" "ejected" "$(xbdev status $G)"

# Refusals on the ejected drive: nothing changed.
store_snapshot
xbdev media $G xvdc eject >/dev/null 2>&1
check_eq "eject of an ejected drive: exit 1" 1 "$?"
xbdev media $G xvdc insert /tmp/vbd68-missing.iso >/dev/null 2>&1
check_eq "insert of a missing image: exit 2" 2 "$?"
check_store_unchanged "the refusals wrote nothing"

check "insert B" xbdev media $G xvdc insert $B --timeout 90 || { vbd_logs $FE $CD 60; exit 0; }
check "guest sees xvdc again" wait_for 20 guest_run $G test -b /dev/xvdc
check_eq "guest reads B under the same name" "MEDIUM-B-68-xbde" "$(label)"
check_eq "the record: media is B" "$B" "$(xenstore-read $REC/media)"
check_eq "same vdev: virtual-device" "$CD" "$(xenstore-read $FED/virtual-device)"
check_eq "still a CD-ROM: device-type" cdrom "$(xenstore-read $FED/device-type)"
check_eq "read-only: mode" r "$(xenstore-read $BED/mode)"
check_match "status --json: health ok, media B" "\"media\": *\"$B\"" "$(xbdev status $G xvdc --json)"

# Not a CD-ROM: refused, the disk left as it was.
check "attach a disk as xvdb" xbdev attach $G vbd --disk $D --vdev xvdb --timeout 90
xbdev media $G xvdb eject >/dev/null 2>&1
check_eq "eject of a disk: exit 2" 2 "$?"
xbdev media $G xvdb insert $B >/dev/null 2>&1
check_eq "insert into a disk: exit 2" 2 "$?"
check_eq "the disk still Connected" 4 "$(xenstore-read /local/domain/$FE/device/vbd/$DISK/state)"
check "the guest still has xvdb" guest_run $G test -b /dev/xvdb
check "detach xvdb" xbdev detach $G xvdb --timeout 30
xbdev media $G vbd/51760 eject >/dev/null 2>&1
check_eq "media of an unknown device: exit 4" 4 "$?"

# detach of a drive with a medium, then of an ejected one.
check "detach xvdc (B in)" xbdev detach $G xvdc --timeout 30
check "record gone" gone $REC
check "attach --cdrom A again" xbdev attach $G vbd --disk $A --cdrom --vdev xvdc --timeout 90
check "eject again" xbdev media $G xvdc eject --timeout 30
check "detach the ejected drive" xbdev detach $G xvdc --timeout 30
check "its record gone" gone $REC
cp "$L/store.$SCENARIO.start" "$L/store.$SCENARIO"
check_store_unchanged "the store as it was before the first attach"
vbd_logs $FE $CD 20
