# xbdev disks and kernel-blkback disks side by side on the stock dom0
# (xen-blkback loaded): guest A boots with a `phy` disk (loop device,
# Xen's block script, kernel blkback) as xvdb and an xbdev disk
# (script=xbdev) as xvdc, both verified with data; guest B has a phy disk
# of its own.  Then, to the running guests, `xl block-attach` of an xbdev
# disk to A (xvdd) and to B (xvdc, next to B's blkback disk), data on each,
# `xl block-list`, `xl block-detach` (its backend exits, nothing left);
# B's blkback disk stays bound to xen-blkback and keeps working
# throughout; `xl destroy` leaves nothing of either guest.
# timeout: 600
A=xl81a B=xl81b
D=/tmp/xl81
LA= LB=
cleanup() {
	guest_destroy $A; guest_destroy $B
	[ -n "$LA" ] && losetup -d "$LA" 2>/dev/null
	[ -n "$LB" ] && losetup -d "$LB" 2>/dev/null
	rm -rf $D
}
trap cleanup EXIT
mkdir -p $D
image() { rm -f "$1"; dd if=/dev/zero of="$1" bs=1048576 count=16 2>/dev/null; }
for f in a-phy a-xb a-xb2 b-phy b-xb; do image $D/$f.img; done

# put GUEST DEV IMAGE TAG: the guest writes 1 MiB of its own at 2 MiB of DEV
# (O_DIRECT), dom0 finds it in IMAGE.
put() {
	local out sum
	out=$(guest_run $1 "dd if=/dev/urandom of=/tmp/p bs=65536 count=16 2>/dev/null && dd if=/tmp/p of=/dev/$2 bs=65536 seek=32 oflag=direct 2>/dev/null && sha256sum < /tmp/p")
	sum=${out%% *}
	check_eq "$4: dom0 finds what $1 wrote to $2 in its image" "$sum" \
		"$(dd if=$3 bs=65536 skip=32 count=16 2>/dev/null | sha256sum | cut -d' ' -f1)"
}
bound_to_blkback() { test -e /sys/bus/xen-backend/devices/vbd-$1-$2/driver; }
served_by_xbdev() { grep -q xbdev-blkback /proc/$(xl_rec $1 $2 pid)/cmdline 2>/dev/null; }

LA=$(losetup -f) && losetup $LA $D/a-phy.img || { LA=; not_ok "losetup"; exit 0; }
LB=$(losetup -f) && losetup $LB $D/b-phy.img || { LB=; not_ok "losetup"; exit 0; }

GUEST_DISKS="'format=raw,vdev=xvdb,access=rw,backendtype=phy,target=$LA', '$(xl_disk $D/a-xb.img xvdc)'" \
	GUEST_MEMORY=128 guest_start $A || { xbdevd_logs; exit 0; }
GUEST_DISKS="'format=raw,vdev=xvdb,access=rw,backendtype=phy,target=$LB'" \
	GUEST_MEMORY=128 guest_start $B || exit 0
FA=$(guest_domid $A) FB=$(guest_domid $B)

# ---- boot-time disks: one of each in A, blkback in B ---------------------------
check "A: xvdb (phy) stays with xen-blkback" bound_to_blkback $FA 51728
check "A: xvdc (script=xbdev) taken from xen-blkback" sh -c "! test -e /sys/bus/xen-backend/devices/vbd-$FA-51744/driver"
check "A: xvdc served by xbdev-blkback" served_by_xbdev $FA 51744
check "A: no xbdev record for the phy disk" gone /xbdev/$FA/vbd/51728
check "A: has xvdb and xvdc at boot" guest_run $A 'test -b /dev/xvdb && test -b /dev/xvdc'
put $A xvdb $D/a-phy.img "boot phy"
put $A xvdc $D/a-xb.img "boot xbdev"
check "B: xvdb (phy) bound to xen-blkback" bound_to_blkback $FB 51728
put $B xvdb $D/b-phy.img "B phy"

# ---- xl block-attach of xbdev disks to running guests --------------------------
# xbdev watch sees libxl's device like any other.
xbdev watch $A vbd/51760 --json --until Connected --timeout 90 > $D/watch.json 2>&1 &
wpid=$!
sleep 1
check "A: xl block-attach xvdd (script=xbdev)" timeout 60 xl block-attach $A "$(xl_disk $D/a-xb2.img xvdd)" || xbdevd_logs
wait $wpid; wrc=$?
sed 's/^/  watch: /' $D/watch.json | tail -n 5
check_eq "A: xbdev watch saw xvdd reach Connected (exit 0)" 0 $wrc
check_match "A: ... as vbd/51760 of domain $FA" "\"domid\": *$FA.*\"devid\": *51760|\"devid\": *51760.*\"domid\": *$FA" "$(tr -d '\n' < $D/watch.json)"
check "A: xvdd appears" wait_for 30 guest_run $A 'test -b /dev/xvdd'
check "A: xvdd served by xbdev-blkback" served_by_xbdev $FA 51760
put $A xvdd $D/a-xb2.img "attached xbdev"
bl=$(xl block-list $A); printf '%s\n' "$bl" | sed 's/^/  | /'
check_eq "A: xl block-list lists three disks" 3 "$(printf '%s\n' "$bl" | grep -cE '^5[0-9]+ ')"
check "B: xl block-attach xvdc (script=xbdev) next to its blkback disk" timeout 60 xl block-attach $B "$(xl_disk $D/b-xb.img xvdc)" || xbdevd_logs
check "B: xvdc appears" wait_for 30 guest_run $B 'test -b /dev/xvdc'
check "B: xvdc served by xbdev-blkback" served_by_xbdev $FB 51744
put $B xvdc $D/b-xb.img "B attached xbdev"
check "B: xvdb still bound to xen-blkback" bound_to_blkback $FB 51728
put $B xvdb $D/b-phy.img "B phy after the attach"

# ---- xl block-detach ----------------------------------------------------------------
pid=$(xl_rec $FA 51760 pid)
check "A: xl block-detach xvdd" timeout 60 xl block-detach $A xvdd
check "A: its backend process exited" wait_for 20 sh -c "! grep -q xbdev-blkback /proc/$pid/cmdline 2>/dev/null"
check "A: nothing of xvdd left in xenstore" wait_for 10 sh -c "! xenstore-exists /local/domain/0/backend/vbd/$FA/51760 && ! xenstore-exists /xbdev/$FA/vbd/51760 && ! xenstore-exists /libxl/$FA/device/vbd/51760 && ! xenstore-exists /local/domain/$FA/device/vbd/51760"
check "A: the guest lost xvdd" wait_for 20 guest_run $A '! test -b /dev/xvdd'
put $A xvdc $D/a-xb.img "xbdev after the detach"
put $A xvdb $D/a-phy.img "phy after the detach"

# ---- xl destroy -------------------------------------------------------------------------
pids="$(xl_rec $FA 51744 pid) $(xl_rec $FB 51744 pid)"
check "xl destroy A and B" sh -c "xl destroy $A && xl destroy $B"
rm -f "$L/script.$A" "$L/script.$B"
for p in $pids; do
	check "backend $p exited" wait_for 20 sh -c "! grep -q xbdev-blkback /proc/$p/cmdline 2>/dev/null"
done
check "nothing of A or B left in xenstore" wait_for 20 sh -c "! xenstore-exists /local/domain/0/backend/vbd/$FA && ! xenstore-exists /local/domain/0/backend/vbd/$FB && ! xenstore-exists /xbdev/$FA && ! xenstore-exists /xbdev/$FB && ! xenstore-exists /libxl/$FA && ! xenstore-exists /libxl/$FB"
check "no xbdev-blkback left" sh -c "! ps | grep -v grep | grep -q 'backend/vbd/'"
xbdevd_logs 20
