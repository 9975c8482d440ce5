# What libxl itself writes for an xl disk with backendtype=tap, the slot
# for a userspace disk backend in xl configs (the xl-integration work
# builds on it).  Each Xen version's own truth:
#  - Xen 4.19+ (the 4.20 lab): `xl block-attach` writes the backend under
#    backend/vbd3/FE/DEVID (type vbd3, params aio:PATH, script
#    /etc/xen/scripts/block-tap) and the guest's frontend under
#    device/vbd/DEVID pointing at it, and no kernel-blkback (vbd) backend.
#    Nothing serves vbd3 in this lab, so the attach does not complete; the
#    nodes are read while libxl waits for a backend.
#  - Xen 4.17: libxl has no tap backend and refuses the disk, writing
#    nothing.
# timeout: 240
G=tap58
IMG=/tmp/tap58.img
DEV=51728
rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=16 2>/dev/null
guest_start $G || exit 0
FE=$(guest_domid $G)
BE=/local/domain/0/backend/vbd3/$FE/$DEV
FED=/local/domain/$FE/device/vbd/$DEV
SNAP=$L/tap58.snap
SPEC="format=raw,vdev=xvdb,access=rw,backendtype=tap,target=$IMG"
rm -f $SNAP

# Snapshot both directories as soon as libxl has written them (the params
# node is written in the same transaction as the rest).
(
	i=0
	while [ $i -lt 300 ]; do
		if xenstore-exists $BE/params 2>/dev/null; then
			{ xenstore-ls -f $BE; xenstore-ls -f $FED; } > $SNAP.tmp 2>&1
			mv $SNAP.tmp $SNAP
			exit 0
		fi
		sleep 0.1; i=$((i + 1))
	done
) &
poller=$!
timeout 60 xl block-attach $G "$SPEC" > $L/logs/xl-tap58.log 2>&1
rc=$?
# Once xl has returned there is nothing more to see (4.17 writes nothing).
kill $poller 2>/dev/null
wait $poller 2>/dev/null
sed 's/^/  xl: /' $L/logs/xl-tap58.log
[ -f $SNAP ] && sed 's/^/  | /' $SNAP
node() { sed -n "s|^$1 = \"\\(.*\\)\"\$|\\1|p" $SNAP 2>/dev/null; }

if xen_at_least 4.19; then
	diag "Xen $LAB_XEN: libxl has backendtype=tap (backend type vbd3)"
	check "libxl wrote backend/vbd3/$FE/$DEV" test -s $SNAP || { xl block-detach $G $DEV >/dev/null 2>&1; guest_destroy $G; exit 0; }
	check_eq "backend type node vbd3" vbd3 "$(node $BE/type)"
	check_eq "backend params aio:PATH" "aio:$IMG" "$(node $BE/params)"
	check_eq "backend names the guest as frontend" "$FED" "$(node $BE/frontend)"
	check_eq "backend frontend-id" "$FE" "$(node $BE/frontend-id)"
	check_eq "frontend under device/vbd points at the vbd3 backend" "$BE" "$(node $FED/backend)"
	check_eq "frontend state Initialising" 1 "$(node $FED/state)"
	check "no kernel-blkback (vbd) backend written" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$FE/$DEV"
	diag "xl block-attach exit $rc (no vbd3 backend runs in this lab)"
else
	diag "Xen $LAB_XEN: libxl has no tap backend (expected to refuse)"
	check "xl refuses backendtype=tap (exit $rc)" test $rc -ne 0
	check "nothing written under backend/vbd3" sh -c "! xenstore-exists /local/domain/0/backend/vbd3/$FE"
	check "no frontend written" sh -c "! xenstore-exists $FED"
fi
# Leave nothing for the next scenario.
xl block-detach $G $DEV >/dev/null 2>&1
xenstore-rm /local/domain/0/backend/vbd3/$FE 2>/dev/null
guest_destroy $G
rm -f $IMG $SNAP
