# Sector sizes of a disk served by xbdev-blkback (attach --sector-size,
# --physical-sector-size) with the guest's stock xen-blkfront, for
# (512,512), (512,4096) and (4096,4096): the backend nodes, the guest's
# queue/logical_block_size, queue/physical_block_size and size (always
# 512-byte units: Xen 4.20's blkif.h, "the 'sectors' node will still be
# calculated using 512 byte units", as are sector_number and
# first_sect/last_sect); a pattern the guest writes with O_DIRECT at byte
# offset OFF (bs = the logical size) is at byte OFF of the image and
# nowhere else, and one dom0 wrote at OFF2 is what the guest reads there;
# status (text and JSON) shows both sizes; detach leaves nothing.  Bad sizes
# (1024, a physical one below the logical one, an image not a multiple of
# 4096) exit 2 and write nothing, in xenstore or in the image.
# timeout: 480
G=vbd67
IMG=/tmp/vbd67.img
DEV=51728
MIB=32
# Byte offsets, multiples of 4096 and not of 8192 (a unit mix-up, 4096-byte
# sectors counted as 512 or the reverse, lands elsewhere).
OFF=$((3 * 1048576 + 12288))
OFF2=$((5 * 1048576 + 20480))

cleanup() {
	xbdev detach $G vbd/$DEV --timeout 20 >/dev/null 2>&1
	guest_destroy $G
	rm -f $IMG $IMG.odd /tmp/vbd67.q
}
trap cleanup EXIT

fresh_image() { rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=$MIB 2>/dev/null; }
img_sum() { sha256sum < $IMG | cut -d' ' -f1; }
# bytes_at OFFSET LEN: the sha256 of LEN bytes of the image at byte OFFSET
# (read in 512-byte blocks: the byte offset, whatever the sector size).
bytes_at() { dd if=$IMG bs=512 skip=$(($1 / 512)) count=$(($2 / 512)) 2>/dev/null | sha256sum | cut -d' ' -f1; }
zeros() { head -c "$1" /dev/zero | sha256sum | cut -d' ' -f1; }

guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
BE=/local/domain/0/backend/xbdev-vbd/$FE/$DEV
FED=/local/domain/$FE/device/vbd/$DEV

# ---- refused: exit 2, nothing written ----------------------------------------
fresh_image
before=$(img_sum)
# refused DESC ARGS...: attach with ARGS exits 2, the store and the image
# are as they were.
refused() {
	local desc=$1 rc; shift
	store_snapshot
	xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 30 "$@" >/dev/null 2>&1
	rc=$?
	check_eq "$desc: exit 2" 2 "$rc"
	check_store_unchanged "$desc: nothing written in xenstore"
	check_eq "$desc: the image unchanged" "$before" "$(img_sum)"
	[ "$rc" = 0 ] && xbdev detach $G vbd/$DEV --timeout 20 >/dev/null 2>&1
}
refused "--sector-size 1024" --sector-size 1024
refused "--sector-size 4096 --physical-sector-size 512" --sector-size 4096 --physical-sector-size 512
refused "--physical-sector-size 3000" --physical-sector-size 3000
rm -f $IMG.odd; dd if=/dev/zero of=$IMG.odd bs=512 count=$((MIB * 2048 + 1)) 2>/dev/null
store_snapshot
xbdev attach $G vbd --disk $IMG.odd --vdev xvdb --sector-size 4096 --timeout 30 >/dev/null 2>&1
check_eq "--sector-size 4096 on an image of 32 MiB + 512: exit 2" 2 "$?"
check_store_unchanged "an image not a multiple of 4096: nothing written in xenstore"
rm -f $IMG.odd

# ---- each pair of sizes ------------------------------------------------------
# one LSS PSS: attach with those sizes, what the guest sees, data both
# ways at known byte offsets, status, detach.
one() {
	local lss=$1 pss=$2 k="($1,$2)" pid out gsum dsum st
	fresh_image
	# dom0's pattern, for the guest to read.
	head -c $lss /dev/urandom > /tmp/vbd67.q
	dsum=$(sha256sum < /tmp/vbd67.q | cut -d' ' -f1)
	dd if=/tmp/vbd67.q of=$IMG bs=512 seek=$((OFF2 / 512)) conv=notrunc,fsync 2>/dev/null

	check "$k: attach --sector-size $lss --physical-sector-size $pss" \
		xbdev attach $G vbd --disk $IMG --vdev xvdb --sector-size $lss \
		--physical-sector-size $pss --timeout 90 || { vbd_logs $FE $DEV 40; return 1; }
	pid=$(xenstore-read $REC/pid 2>/dev/null)
	check_eq "$k: the record keeps sector-size" $lss "$(xenstore-read $REC/sector-size)"
	check_eq "$k: the record keeps physical-sector-size" $pss "$(xenstore-read $REC/physical-sector-size)"
	check_eq "$k: backend node sector-size" $lss "$(xenstore-read $BE/sector-size)"
	check_eq "$k: backend node physical-sector-size" $pss "$(xenstore-read $BE/physical-sector-size)"
	check_eq "$k: backend node sectors in 512-byte units" $((MIB * 2048)) "$(xenstore-read $BE/sectors)"
	check "$k: guest sees xvdb" wait_for 20 guest_run $G test -b /dev/xvdb
	check_eq "$k: guest's logical_block_size" $lss "$(guest_run $G cat /sys/block/xvdb/queue/logical_block_size)"
	check_eq "$k: guest's physical_block_size" $pss "$(guest_run $G cat /sys/block/xvdb/queue/physical_block_size)"
	check_eq "$k: guest's size in 512-byte units" $((MIB * 2048)) "$(guest_run $G cat /sys/block/xvdb/size)"

	# Guest -> dom0: one logical sector at byte OFF, O_DIRECT.
	out=$(guest_run $G "head -c $lss /dev/urandom > /tmp/p && dd if=/tmp/p of=/dev/xvdb bs=$lss seek=$((OFF / lss)) count=1 oflag=direct 2>/dev/null && sha256sum < /tmp/p")
	gsum=${out%% *}
	check_match "$k: guest wrote $lss bytes at byte $OFF with O_DIRECT" '^[0-9a-f]{64}$' "$gsum"
	check_eq "$k: dom0 finds them at byte $OFF of the image" "$gsum" "$(bytes_at $OFF $lss)"
	check_eq "$k: the 4096 bytes before them untouched" "$(zeros 4096)" "$(bytes_at $((OFF - 4096)) 4096)"
	check_eq "$k: the 4096 bytes after them untouched" "$(zeros 4096)" "$(bytes_at $((OFF + lss)) 4096)"
	# At byte OFF * 8 and OFF / 8 would be a sector counted in the wrong
	# unit: still zeros.
	check_eq "$k: nothing at byte OFF / 8" "$(zeros $lss)" "$(bytes_at $((OFF / 8 / 4096 * 4096)) $lss)"
	check_eq "$k: nothing at byte OFF * 8" "$(zeros $lss)" "$(bytes_at $((OFF * 8)) $lss)"

	# dom0 -> guest: the pattern at byte OFF2, read with O_DIRECT.
	out=$(guest_run $G "dd if=/dev/xvdb bs=$lss skip=$((OFF2 / lss)) count=1 iflag=direct 2>/dev/null | sha256sum")
	check_eq "$k: guest reads at byte $OFF2 what dom0 wrote there" "$dsum" "${out%% *}"

	# (No check that the guest's kernel refuses a 512-byte direct write on
	# 4096: busybox dd retries such a write without O_DIRECT, buffered,
	# and the kernel's read-modify-write of the 4096-byte block is
	# legitimate.  The backend's refusal of off-grid segments is
	# test-backend-io's.)

	check "$k: info/sector-size published" wait_for 10 sh -c "[ \"\$(xenstore-read $REC/info/sector-size)\" = $lss ]"
	check_eq "$k: info/physical-sector-size" $pss "$(xenstore-read $REC/info/physical-sector-size)"
	check_eq "$k: info/errors 0" 0 "$(xenstore-read $REC/info/errors)"
	st=$(xbdev status $G xvdb 2>&1)
	check_match "$k: status shows sector-size" "^  sector-size +$lss\$" "$st"
	check_match "$k: status shows physical-sector-size" "^  physical-sector-size +$pss\$" "$st"
	st=$(xbdev status $G xvdb --json 2>&1)
	check_match "$k: status --json has info sector-size" "\"sector-size\": *\"$lss\"" "$st"
	check_match "$k: status --json has info physical-sector-size" "\"physical-sector-size\": *\"$pss\"" "$st"
	check_match "$k: the backend logged both sizes" "sector-size $lss, physical-sector-size $pss" \
		"$(cat /var/log/xbdev/vbd-$FE-$DEV.log 2>/dev/null)"

	check "$k: detach" xbdev detach $G vbd/$DEV --timeout 30
	check "$k: backend exited" wait_for 10 sh -c "! kill -0 $pid"
	check "$k: no backend directory left" gone $BE
	check "$k: no frontend directory left" gone $FED
	check "$k: no record left" gone $REC
	check "$k: the guest's xvdb is gone" wait_for 20 guest_run $G '! test -b /dev/xvdb'
}

one 512 512
one 512 4096
one 4096 4096
vbd_logs $FE $DEV 40
