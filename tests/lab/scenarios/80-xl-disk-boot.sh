# A disk in the guest's own xl config, served by xbdev from boot: `xl
# create` with disk = [ '...,script=xbdev,target=IMAGE' ] (xbdevd, started
# by dom0's init, serves it; nobody acts after xl create), the guest's data
# in the image, xl block-list, xbdev status, `xl reboot` (the new domain
# gets the disk, data intact), `xl shutdown` (every backend process exits,
# nothing of the guest is left in xenstore).
# On Xen 4.19+ the same again with backendtype=tap (backend vbd3).
# guest-types: pv pvh
# timeout: 600
IMG=/tmp/xl80.img
BOOT_TIMEOUT=${GUEST_BOOT_TIMEOUT:-90}

cleanup() {
	guest_destroy xl80 >/dev/null 2>&1
	rm -f $IMG
}
trap cleanup EXIT

# agent_ready_count NAME: how many times the guest's agent came up.
agent_ready_count() { tr -d '\r' < "$(guest_console "$1")" 2>/dev/null | grep -c '^LAB-AGENT-READY'; }

# none_of FE [PATH]: no backend directory, record or libxl copy of domain
# FE is left (nor PATH); prints what is.
none_of() {
	local p left=
	for p in /local/domain/0/backend/$BE_TYPE/$1 /xbdev/$1 /libxl/$1 ${2:-}; do
		xenstore-exists $p 2>/dev/null && left="$left $p"
	done
	[ -z "$left" ] && return 0
	for p in $left; do xenstore-ls -f $p 2>/dev/null | head -n 20; done
	return 1
}

# The pattern at sector 2048 of the image, as dom0 reads it.
image_has() { dd if=$IMG bs=512 skip=2048 count=1 2>/dev/null | grep -q "$1"; }

one_backend() {
	local kind=$1 G=xl80 FE BE FED pid pat
	BE_TYPE=vbd; [ -n "${XL_TAP:-}" ] && BE_TYPE=vbd3
	rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=32 2>/dev/null
	GUEST_DISKS="'$(xl_disk $IMG xvdb)'" GUEST_MEMORY=128 GUEST_ON_REBOOT=restart guest_start $G || { xbdevd_logs; return 1; }
	FE=$(guest_domid $G)
	BE=/local/domain/0/backend/$BE_TYPE/$FE/51728
	FED=/local/domain/$FE/device/vbd/51728
	# Nobody acted since xl create: the disk must be there already.
	check "$kind: the guest has xvdb at boot" guest_run $G 'test -b /dev/xvdb' || { xbdevd_logs; vbd_logs $FE 51728; return 1; }
	check_eq "$kind: both ends Connected" "4 4" "$(xenstore-read $FED/state) $(xenstore-read $BE/state)"
	check_eq "$kind: libxl's backend type" "$BE_TYPE" "$(basename $(dirname $(dirname $BE)))"
	check_eq "$kind: record: managed by libxl" libxl "$(xl_rec $FE 51728 managed-by)"
	pid=$(xl_rec $FE 51728 pid)
	check "$kind: xbdev-blkback $pid serves it" sh -c "grep -q xbdev-blkback /proc/$pid/cmdline 2>/dev/null"
	check_eq "$kind: the hotplug script reported connected" connected "$(xenstore-read $BE/hotplug-status)"
	check_match "$kind: xl block-list shows it" "^51728 .*4 .*$BE\$" "$(xl block-list $G | tr -s ' ')"
	check_match "$kind: xbdev status shows it, managed by libxl, backend alive" \
		'"managed-by": *"libxl"' "$(xbdev status --json $G vbd/51728)"
	check_match "$kind: its health is ok" '"health": *"ok"' "$(xbdev status --json $G vbd/51728)"
	pat="xl80-$kind-$(date +%s)"
	check "$kind: the guest writes a pattern" guest_run $G "echo $pat | dd of=/dev/xvdb bs=512 seek=2048 conv=sync,fsync 2>/dev/null"
	check "$kind: the pattern is in the image" image_has "$pat"

	# xl reboot: libxl tears the devices down and makes them again for the
	# new domain; the disk comes back at its boot with the data.
	local before; before=$(agent_ready_count $G)
	check "$kind: xl reboot" xl reboot $G
	if wait_for $BOOT_TIMEOUT sh -c "[ \$(tr -d '\r' < $(guest_console $G) | grep -c '^LAB-AGENT-READY') -gt $before ]"; then
		ok "$kind: the guest came back after xl reboot"
	else
		not_ok "$kind: the guest came back after xl reboot" "$(_guest_tail $G 4)"
		xbdevd_logs; return 1
	fi
	local FE2; FE2=$(guest_domid $G)
	check "$kind: new domain id ($FE -> $FE2)" test "$FE2" != "$FE"
	check "$kind: the old domain's backend process exited" sh -c "! grep -q xbdev-blkback /proc/$pid/cmdline 2>/dev/null"
	wait_for 10 none_of $FE
	check "$kind: nothing of the old domain in xenstore" none_of $FE
	check "$kind: the new domain has xvdb at boot" guest_run $G 'test -b /dev/xvdb'
	check "$kind: the data survived the reboot" guest_run $G "dd if=/dev/xvdb bs=512 skip=2048 count=1 2>/dev/null | grep -q $pat"
	pid=$(xl_rec $FE2 51728 pid)
	check "$kind: a new backend process serves it" sh -c "grep -q xbdev-blkback /proc/$pid/cmdline 2>/dev/null"

	# xl shutdown: the guest powers off (on_poweroff destroy); libxl
	# removes the devices; every backend exits, xenstore keeps nothing.
	check "$kind: xl shutdown -w" timeout 90 xl shutdown -w $G
	check "$kind: the backend process exited" wait_for 20 sh -c "! grep -q xbdev-blkback /proc/$pid/cmdline 2>/dev/null"
	check "$kind: no xbdev-blkback left for the guest" sh -c "! ps | grep -v grep | grep -q 'backend/$BE_TYPE/$FE2/'"
	wait_for 10 none_of $FE2 /local/domain/$FE2
	check "$kind: nothing of the guest in xenstore" none_of $FE2 /local/domain/$FE2
	rm -f "$L/script.$G"
	return 0
}

check "xbdevd is running" xbdevd_alive || exit 0
one_backend phy
if xen_at_least 4.19; then
	XL_TAP=1 one_backend tap
else
	diag "Xen $LAB_XEN: no backendtype=tap in libxl (4.19+); the vbd3 run is on 4.20"
fi
xbdevd_logs 40
