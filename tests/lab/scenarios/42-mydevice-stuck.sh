# timeout: 420
# The seed's drivers when something is missing, with real kernel drivers
# (tests/lab/modules):
#   - no frontend driver in the guest: attach times out (status 3), says the
#     frontend is stuck and why, and leaves the device in place; loading the
#     driver later connects it (`xbdev watch --until Connected`);
#   - no backend driver in dom0: attach times out naming the backend;
#     loading mydevice-back later binds the waiting device and connects it;
#   - the guest is destroyed while the device is Connected: `xbdev detach`
#     by domain id removes what is left, and the backend driver lets go.
G=seed2          # a guest without the mydevice-front driver at boot
BACK=/lab/modules/mydevice-back.ko
FRONT=/lab/modules/mydevice-front.ko

state_of() { xenstore-read "$1/state" 2>/dev/null || echo gone; }
# run_rc CMD...: runs CMD, keeps its output in $out, returns nothing; $rc.
run_rc() { out=$("$@" 2>&1); rc=$?; printf '%s\n' "$out" | sed 's/^/  | /'; }
back_loaded() { grep -q '^mydevice_back ' /proc/modules; }

if [ ! -f "$BACK" ]; then
	not_ok "fixture modules are in the image" "$BACK missing"
	exit 0
fi
back_loaded || check "dom0 loads mydevice-back.ko" insmod "$BACK" || exit 0
guest_start "$G" || exit 0
if guest_run "$G" grep -q '^mydevice_front ' /proc/modules; then
	check "unload mydevice-front left in $G" guest_run "$G" rmmod mydevice_front
fi
ga=$(guest_domid "$G")
BE=/local/domain/0/backend/mydevice/$ga/0
FE=/local/domain/$ga/device/mydevice/0
REC=/xbdev/$ga/mydevice/0

# ---- no frontend driver ---------------------------------------------------------
t0=$(date +%s)
run_rc xbdev attach "$G" mydevice --timeout 15
attach_took=$(($(date +%s) - t0))
check_eq "attach without a frontend driver times out (status 3)" 3 "$rc"
check_match "the message names the stuck frontend and the missing driver" \
	"frontend is still Initialising.*no frontend driver for class 'mydevice'" "$out"
check_eq "the backend driver took it: InitWait" 2 "$(state_of "$BE")"
check_eq "the frontend is still Initialising" 1 "$(state_of "$FE")"
check "the device is left in place (record too)" xenstore-exists "$REC"
run_rc xbdev status "$G" mydevice/0
check_match "status: health connecting or stuck" '^health +(connecting|stuck)$' "$out"
# Past 30 s (XBDEV_STUCK_AFTER_S) since the attach the verdict is "stuck",
# with the time it started.
sleep $((31 - attach_took > 0 ? 31 - attach_took : 0))
run_rc xbdev status "$G" --json
check_match "status --json after 30 s: health stuck" \
	'"health":"stuck"' "$(printf '%s' "$out" | tr -d ' \n')"
check_match "status --json: stuck since the attach" \
	'"since":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}"' "$(printf '%s' "$out" | tr -d ' \n')"
run_rc xbdev status
check_match "status table: the device is stuck" "^$G +.*mydevice +0 .*stuck" "$out"
check "the guest loads mydevice-front.ko late" guest_run "$G" insmod "$FRONT"
check "the waiting device connects: watch --until Connected" \
	xbdev watch "$G" mydevice/0 --until Connected --timeout 60
check_eq "backend Connected" 4 "$(state_of "$BE")"
check_eq "frontend Connected" 4 "$(state_of "$FE")"
check "detach" xbdev detach "$G" mydevice/0 --timeout 30
check "nothing left" sh -c "! xenstore-exists '$BE' && ! xenstore-exists '$FE' && ! xenstore-exists '$REC'"

# ---- no backend driver ----------------------------------------------------------
check "dom0 unloads mydevice-back" rmmod mydevice_back
run_rc xbdev attach "$G" mydevice --timeout 5
check_eq "attach without a backend driver times out (status 3)" 3 "$rc"
check_match "the message names the stuck backend and the missing driver" \
	"backend is still Initialising: no backend driver for type 'mydevice' in domain 0" "$out"
check_eq "the backend is still Initialising" 1 "$(state_of "$BE")"
d0=$(dmesg | wc -l)
check "dom0 loads mydevice-back.ko late" insmod "$BACK"
check "the waiting device connects: watch --until Connected" \
	xbdev watch "$G" mydevice/0 --until Connected --timeout 60
check_match "dom0: the late driver probed the waiting device" \
	"mydevice-back: probe backend/mydevice/$ga/0" "$(dmesg | tail -n +"$((d0 + 1))")"

# ---- the guest is destroyed under a Connected device ----------------------------
d0=$(dmesg | wc -l)
check "destroy guest $G" guest_destroy "$G"
check "detach by domain id cleans up after the destroyed guest" \
	xbdev detach "$ga" mydevice/0 --timeout 10
check "backend directory removed" gone "$BE"
check "xbdev's record removed" gone "$REC"
check "no /xbdev/$ga left" gone "/xbdev/$ga/mydevice"
removed() { dmesg | tail -n +"$((d0 + 1))" | grep -q "mydevice-back: remove backend/mydevice/$ga/0"; }
check "dom0: the backend driver let the device go" wait_for 10 removed
check "dom0 unloads mydevice-back (nothing left bound)" rmmod mydevice_back
