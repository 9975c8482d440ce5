# attach as xl says it (issue 19, points 4-6), against the real xenstored,
# blkfront and the dom0 kernel's blkback: an xl disk spec served by
# xbdev-blkback; the same spec with --backend phy on a loop device, served
# by kernel blkback (the nodes xbdev writes for it are all blkback needs:
# no hotplug script); `xbdev block-list` (text and JSON) shows both with
# their backend, mode and target; status shows VDEV and DISK; detach takes
# the vdev name.  Refused with exit 2 and nothing written: a qcow2 header
# without format=raw, a vbd device id blkfront refuses, --backend phy on an
# image file, a vbd without a disk.
# timeout: 300
G=xlspec30
IMG=/tmp/xlspec30.img
IMG2=/tmp/xlspec30b.img
QCOW=/tmp/xlspec30.qcow2
DEV=51728	# xvdb
DEV2=51744	# xvdc
LOOP=
cleanup() {
	guest_destroy $G
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	rm -f $IMG $IMG2 $QCOW
}
trap cleanup EXIT
image() { rm -f "$1"; dd if=/dev/zero of="$1" bs=1048576 count="$2" 2>/dev/null; }
sum_of() { sha256sum | cut -d' ' -f1; }
# guest_writes DEV SEEK: 1 MiB of random data at SEEK*64 KiB of /dev/DEV,
# O_DIRECT (in the image when dd returns); prints its sha256.
guest_writes() {
	local out
	out=$(guest_run $G "dd if=/dev/urandom of=/tmp/p bs=65536 count=16 2>/dev/null && dd if=/tmp/p of=/dev/$1 bs=65536 seek=$2 oflag=direct 2>/dev/null && sha256sum < /tmp/p")
	echo "${out%% *}"
}
image $IMG 32; image $IMG2 16
# A qcow2 header (magic, version 3) on an otherwise empty file.
image $QCOW 1
printf 'QFI\373\000\000\000\003' | dd of=$QCOW conv=notrunc 2>/dev/null
guest_start $G || exit 0
FE=$(guest_domid $G)

# ---- refusals: exit 2, nothing written ------------------------------------------
store_snapshot
out=$(xbdev attach $G vbd "vdev=xvdd, target=$QCOW" 2>&1); rc=$?
check_eq "a qcow2 image without format=raw: exit 2" 2 "$rc"
check_match "the error names the format" 'a qcow2 image: xbdev serves raw disks only' "$out"
out=$(xbdev attach $G vbd --disk $IMG -d 3 2>&1); rc=$?
check_eq "--devid 3 on a vbd (blkfront refuses it): exit 2" 2 "$rc"
out=$(xbdev attach $G vbd "target=$IMG" --backend phy 2>&1); rc=$?
check_eq "--backend phy on an image file: exit 2" 2 "$rc"
check_match "the error says how to make a block device" 'losetup' "$out"
out=$(xbdev attach $G vbd -d $DEV 2>&1); rc=$?
check_eq "a vbd without a disk: exit 2" 2 "$rc"
check_store_unchanged "nothing written by the refusals"

# ---- an xl disk spec, served by xbdev-blkback -----------------------------------
dd if=/dev/urandom of=/tmp/xlspec30.p bs=65536 count=16 2>/dev/null
dsum=$(sum_of < /tmp/xlspec30.p)
dd if=/tmp/xlspec30.p of=$IMG bs=65536 seek=32 conv=notrunc 2>/dev/null
rm -f /tmp/xlspec30.p
check "attach '$G vbd format=raw, vdev=xvdb, access=rw, target=$IMG'" \
	xbdev attach $G vbd "format=raw, vdev=xvdb, access=rw, target=$IMG" --timeout 90 ||
	{ vbd_logs $FE $DEV 40; exit 0; }
check_eq "its backend is xbdev's (xbdev-vbd), type file" file \
	"$(xenstore-read /local/domain/0/backend/xbdev-vbd/$FE/$DEV/type 2>/dev/null)"
check_eq "guest sees xvdb of 32 MiB" 65536 "$(guest_run $G cat /sys/block/xvdb/size)"
out=$(guest_run $G 'dd if=/dev/xvdb bs=65536 skip=32 count=16 2>/dev/null | sha256sum')
check_eq "guest reads what dom0 wrote" "$dsum" "${out%% *}"

# ---- the same spec with --backend phy: kernel blkback on a loop device ------------
LOOP=$(losetup -f) && losetup "$LOOP" $IMG2 || { LOOP=; not_ok "losetup $IMG2"; exit 0; }
BE2=/local/domain/0/backend/vbd/$FE/$DEV2
check "attach '$G vbd vdev=xvdc, target=$LOOP' --backend phy" \
	xbdev attach $G vbd "vdev=xvdc, target=$LOOP" --backend phy --timeout 90 ||
	{ xenstore-ls -f $BE2 2>/dev/null | sed 's/^/  | /'; dmesg | tail -n 10 | sed 's/^/  dmesg: /'; exit 0; }
check_eq "its backend is kernel blkback's (vbd), type phy" phy "$(xenstore-read $BE2/type 2>/dev/null)"
check_eq "physical-device is $LOOP's number" "$(stat -L -c '%t:%T' "$LOOP")" "$(xenstore-read $BE2/physical-device 2>/dev/null)"
check "no xbdev-blkback for it (no pid in the record)" gone /xbdev/$FE/vbd/$DEV2/pid
check_eq "guest sees xvdc of 16 MiB" 32768 "$(guest_run $G cat /sys/block/xvdc/size)"
gsum=$(guest_writes xvdc 64)
check_match "guest wrote a pattern to xvdc" '^[0-9a-f]{64}$' "$gsum"
check_eq "dom0 finds it in the loop device's image" "$gsum" "$(dd if=$IMG2 bs=65536 skip=64 count=16 2>/dev/null | sum_of)"

# ---- block-list and status --------------------------------------------------------
bl=$(xbdev block-list $G 2>&1)
printf '%s\n' "$bl" | sed 's/^/  | /'
check_match "block-list: header" '^VDEV +DEVID +BE +BACKEND +MODE +FE-STATE +BE-STATE +TARGET$' "$bl"
check_match "block-list: xvdb served by xbdev, w, Connected, its image" "^xvdb +$DEV +0 +xbdev +w +Connected +Connected +$IMG$" "$bl"
check_match "block-list: xvdc served by phy, w, Connected, the loop device" "^xvdc +$DEV2 +0 +phy +w +Connected +Connected +$LOOP$" "$bl"
js=$(xbdev block-list $G --json 2>&1 | tr -d ' \n')
check_match "block-list --json: xvdc's backend-kind (phy), backend type (vbd) and params" "\"vdev\":\"xvdc\",\"devid\":$DEV2,\"backend-id\":0,\"backend-kind\":\"phy\",\"type\":\"vbd\",\"mode\":\"w\",\"params\":\"$LOOP\"" "$js"
st=$(xbdev status $G 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
check_match "status: VDEV and DISK are its last columns" 'VDEV +DISK$' "$(printf '%s\n' "$st" | head -n 1)"
check_match "status: xvdb's line ends with its image" "xvdb +$IMG$" "$st"

# ---- detach by the vdev name -------------------------------------------------------
check "detach $G xvdc (kernel blkback's)" xbdev detach $G xvdc --timeout 30
check "its backend directory is gone" gone $BE2
check "guest lost xvdc" wait_for 20 guest_run $G '! test -b /dev/xvdc'
check "detach $G xvdb (xbdev's)" xbdev detach $G xvdb --timeout 30
check "nothing of the guest's disks is left" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$FE && ! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FE && ! xenstore-exists /xbdev/$FE"
