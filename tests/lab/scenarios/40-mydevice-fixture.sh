# timeout: 240
# The fixture of the seed scenario on its own, without xbdev: the
# mydevice-back (dom0) and mydevice-front (guest) modules of
# tests/lab/modules, driven by hand with the stock xenstore tools in the
# order a toolstack must use.  When this passes and 41-mydevice-seed fails,
# the fault is xbdev's, not the fixture's.  Leaves guest seed1 running and
# mydevice-back loaded for 41-mydevice-seed (which cleans up).
G=seed1
BACK=/lab/modules/mydevice-back.ko

state_of() { xenstore-read "$1/state" 2>/dev/null || echo gone; }
state_is() { [ "$(state_of "$1")" = "$2" ]; }

if [ ! -f "$BACK" ]; then
	not_ok "fixture modules are in the image" "$BACK missing (see build/lab/modules-build.log)"
	exit 0
fi
if ! grep -q '^mydevice_back ' /proc/modules; then
	check "dom0 loads mydevice-back.ko" insmod "$BACK" || exit 0
fi
check "mydevice-back is bound to xenbus-backend" \
	test -e /sys/bus/xen-backend/drivers/mydevice
guest_start "$G" mydevice.sh || exit 0
check "guest $G loads mydevice-front.ko" guest_verdict "$G" 60 || exit 0
check "mydevice-front is bound to xen (frontend bus) in the guest" \
	guest_run "$G" test -e /sys/bus/xen/drivers/mydevice
ga=$(guest_domid "$G")
BE=/local/domain/0/backend/mydevice/$ga/7
FE=/local/domain/$ga/device/mydevice/7
guest_run "$G" dmesg -c > /dev/null
d0=$(dmesg | wc -l)

# 1. Both directories with their links, but no state yet: neither bus probes
#    a device without state Initialising.  (xenstore-write runs all its
#    pairs in one transaction.)  2. The split-driver ACLs on both dirs.
#    3. Both states in one transaction: both probes may fire.
check "write both directories (no state yet)" xenstore-write \
	"$FE/backend" "$BE" "$FE/backend-id" 0 \
	"$BE/frontend" "$FE" "$BE/frontend-id" "$ga" "$BE/online" 1
check "ACL frontend [{$ga,none},{0,read}]" xenstore-chmod -r "$FE" "n$ga" r0
check "ACL backend [{0,none},{$ga,read}]" xenstore-chmod -r "$BE" n0 "r$ga"
check "write both states Initialising" xenstore-write "$FE/state" 1 "$BE/state" 1

if wait_for 30 state_is "$BE" 4 && wait_for 30 state_is "$FE" 4; then
	ok "both ends reach Connected"
else
	not_ok "both ends reach Connected" "backend $(state_of "$BE"), frontend $(state_of "$FE")"
fi
new=$(dmesg | tail -n +"$((d0 + 1))")
printf '%s\n' "$new" | grep mydevice | sed 's/^/  dom0 | /'
check_match "dom0: backend probe fired" "mydevice-back: probe backend/mydevice/$ga/7" "$new"
check_match "dom0: backend Initialising -> InitWait" \
	"backend/mydevice/$ga/7: Initialising -> InitWait" "$new"
check_match "dom0: backend InitWait -> Connected" \
	"backend/mydevice/$ga/7: InitWait -> Connected" "$new"
g=$(guest_run "$G" dmesg)
printf '%s\n' "$g" | grep mydevice | sed 's/^/  guest | /'
check_match "guest: frontend probe fired" 'mydevice-front: probe device/mydevice/7' "$g"
check_match "guest: frontend Initialising -> Initialised" \
	'device/mydevice/7: Initialising -> Initialised' "$g"
check_match "guest: frontend Initialised -> Connected" \
	'device/mydevice/7: Initialised -> Connected' "$g"

# Close as libxl does: online=0 and state=Closing in one transaction; the
# frontend closes, then the backend; then the toolstack removes the dirs.
guest_run "$G" dmesg -c > /dev/null
d0=$(dmesg | wc -l)
check "backend online=0, state=Closing" xenstore-write "$BE/online" 0 "$BE/state" 5
if wait_for 30 state_is "$FE" 6 && wait_for 30 state_is "$BE" 6; then
	ok "both ends reach Closed"
else
	not_ok "both ends reach Closed" "backend $(state_of "$BE"), frontend $(state_of "$FE")"
fi
check "remove the frontend dir" xenstore-rm "$FE"
check "remove the backend dir" xenstore-rm "/local/domain/0/backend/mydevice/$ga"
check "dom0: the backend device is removed" wait_for 10 \
	sh -c "dmesg | tail -n +$((d0 + 1)) | grep -q 'mydevice-back: remove backend/mydevice/$ga/7'"
check "dom0: the backend device left sysfs" wait_for 10 \
	sh -c "! test -e /sys/bus/xen-backend/devices/mydevice-$ga-7"
fe_removed() { guest_run "$G" dmesg | grep -q 'mydevice-front: remove device/mydevice/7'; }
check "guest: the frontend device is removed" wait_for 20 fe_removed
g=$(guest_run "$G" dmesg)
printf '%s\n' "$g" | grep mydevice | sed 's/^/  guest | /'
check_match "guest: frontend Connected -> Closed" 'device/mydevice/7: Connected -> Closed' "$g"
xenstore-rm "/local/domain/$ga/device/mydevice" 2>/dev/null
