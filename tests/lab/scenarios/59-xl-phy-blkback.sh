# An ordinary `phy` disk of the guest's own xl configuration, served by the
# dom0 kernel's blkback through libxl and Xen's `block` hotplug script
# (/etc/xen/scripts/block, from the Xen package): the kernel-blkback half
# of "coexistence" (xbdevd must leave such disks alone).  The guest boots
# with a loop device as xvdb (GUEST_DISKS), reads what dom0 wrote and
# writes a pattern dom0 finds in the image; `xl block-list` shows it;
# `xl block-attach` / `xl block-detach` of a second one to the running
# guest, with data; after the guest is destroyed nothing of it is left
# under backend/vbd, and the loop devices are gone with the scenario.
# timeout: 300
G=phy59
IMG=/tmp/phy59.img
IMG2=/tmp/phy59b.img
DEV=51728	# xvdb
DEV2=51744	# xvdc
LOOP= LOOP2=
cleanup() {
	guest_destroy $G
	[ -n "$LOOP" ] && losetup -d "$LOOP" 2>/dev/null
	[ -n "$LOOP2" ] && losetup -d "$LOOP2" 2>/dev/null
	rm -f $IMG $IMG2 /tmp/phy59.p
}
trap cleanup EXIT
# image FILE: 16 MiB of zeros.
image() { rm -f "$1"; dd if=/dev/zero of="$1" bs=1048576 count=16 2>/dev/null; }
sum_of() { sha256sum | cut -d' ' -f1; }
no_xvdc() { guest_run $G '! test -b /dev/xvdc'; }
state_is() { [ "$(xenstore-read "$1/state" 2>/dev/null)" = "$2" ]; }

image $IMG; image $IMG2
# dom0 -> guest: 1 MiB of random data at 4 MiB, there before the guest boots.
dd if=/dev/urandom of=/tmp/phy59.p bs=65536 count=16 2>/dev/null
dsum=$(sum_of < /tmp/phy59.p)
dd if=/tmp/phy59.p of=$IMG bs=65536 seek=64 conv=notrunc 2>/dev/null
LOOP=$(losetup -f) && losetup "$LOOP" $IMG || { LOOP=; not_ok "losetup $IMG"; exit 0; }
MM=$(stat -L -c '%t:%T' "$LOOP")
check "dom0 has Xen's block hotplug script" test -x /etc/xen/scripts/block

GUEST_DISKS="'format=raw,vdev=xvdb,access=rw,backendtype=phy,target=$LOOP'" \
	guest_start $G || { sed 's/^/  xl: /' $L/logs/xl-create-$G.log; tail -n 20 /var/log/xen/xen-hotplug.log 2>/dev/null | sed 's/^/  hotplug: /'; exit 0; }
FE=$(guest_domid $G)
BE=/local/domain/0/backend/vbd/$FE/$DEV
BE2=/local/domain/0/backend/vbd/$FE/$DEV2
xenstore-ls -f $BE 2>/dev/null | sed 's/^/  | /'

# ---- the boot-time disk -------------------------------------------------------
check_eq "libxl made a kernel-blkback (vbd) backend, type phy" phy "$(xenstore-read $BE/type 2>/dev/null)"
check_eq "its script is Xen's block" /etc/xen/scripts/block "$(xenstore-read $BE/script 2>/dev/null)"
check_eq "block wrote hotplug-status connected" connected "$(xenstore-read $BE/hotplug-status 2>/dev/null)"
check_eq "block wrote physical-device of $LOOP" "$MM" "$(xenstore-read $BE/physical-device 2>/dev/null)"
check "backend Connected" wait_for 30 state_is $BE 4
check "no xbdev record for it" gone /xbdev/$FE/vbd/$DEV
check_eq "guest sees xvdb of 16 MiB at boot" 32768 "$(guest_run $G cat /sys/block/xvdb/size)"
out=$(guest_run $G 'dd if=/dev/xvdb bs=65536 skip=64 count=16 2>/dev/null | sha256sum')
check_eq "guest reads what dom0 wrote before boot" "$dsum" "${out%% *}"
# guest -> dom0: 1 MiB at 8 MiB, O_DIRECT so that it is in the image when
# dd returns.
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/p bs=65536 count=16 2>/dev/null && dd if=/tmp/p of=/dev/xvdb bs=65536 seek=128 oflag=direct 2>/dev/null && sync && sha256sum < /tmp/p')
gsum=${out%% *}
check_match "guest wrote a pattern" '^[0-9a-f]{64}$' "$gsum"
check_eq "dom0 finds the guest's pattern in the image" "$gsum" "$(dd if=$IMG bs=65536 skip=128 count=16 2>/dev/null | sum_of)"
bl=$(xl block-list $G 2>&1)
printf '%s\n' "$bl" | sed 's/^/  | /'
check_match "xl block-list shows xvdb ($DEV) Connected" "^$DEV +0 +$FE +4 " "$bl"

# ---- xl block-attach / block-detach to the running guest ------------------------
LOOP2=$(losetup -f) && losetup "$LOOP2" $IMG2 || { LOOP2=; not_ok "losetup $IMG2"; exit 0; }
if ! check "xl block-attach of a second phy disk (xvdc)" \
	timeout 60 xl block-attach $G "format=raw,vdev=xvdc,access=rw,backendtype=phy,target=$LOOP2"; then
	tail -n 20 /var/log/xen/xen-hotplug.log 2>/dev/null | sed 's/^/  hotplug: /'
	exit 0
fi
check_eq "its backend is kernel blkback's (vbd), hotplug-status connected" connected "$(xenstore-read $BE2/hotplug-status 2>/dev/null)"
check "second backend Connected" wait_for 30 state_is $BE2 4
check "guest has xvdc" wait_for 30 guest_run $G 'test -b /dev/xvdc'
out=$(guest_run $G 'dd if=/dev/urandom of=/tmp/q bs=65536 count=16 2>/dev/null && dd if=/tmp/q of=/dev/xvdc bs=65536 seek=32 oflag=direct 2>/dev/null && sync && sha256sum < /tmp/q')
qsum=${out%% *}
check_eq "dom0 finds the guest's pattern in the second image" "$qsum" "$(dd if=$IMG2 bs=65536 skip=32 count=16 2>/dev/null | sum_of)"
bl=$(xl block-list $G 2>&1)
printf '%s\n' "$bl" | sed 's/^/  | /'
check_match "xl block-list shows xvdb" "^$DEV +0 +$FE +4 " "$bl"
check_match "xl block-list shows xvdc" "^$DEV2 +0 +$FE +4 " "$bl"
check "xl block-detach xvdc" timeout 60 xl block-detach $G xvdc
check "second backend directory removed by libxl" wait_for 20 gone $BE2
check "guest lost xvdc" wait_for 30 no_xvdc
check "xvdb still served" guest_run $G 'dd if=/dev/xvdb bs=65536 skip=64 count=1 of=/dev/null 2>/dev/null'
check "losetup -d of the detached disk's loop device" losetup -d "$LOOP2" && LOOP2=

# ---- destroy --------------------------------------------------------------------
guest_destroy $G
check "guest gone" sh -c "! xl domid $G >/dev/null 2>&1"
check "nothing of the guest left under backend/vbd" wait_for 20 gone /local/domain/0/backend/vbd/$FE
check "no libxl record of the guest left" gone /libxl/$FE
check "losetup -d of the first loop device" losetup -d "$LOOP" && LOOP=
left=$(losetup -a 2>/dev/null | grep -F /tmp/phy59)
check_eq "no loop device of this scenario left" "" "$left"
