# Timeouts: an attach whose backend has no driver times out with status 3,
# says which end is stuck and why, and leaves the device in place; a detach
# whose frontend never closes times out without --force and is removed
# with --force (frontend directory first).
# timeout: 300
G=xa
guest_start $G || exit 0
id=$(guest_domid $G)
C=xbstuck
FE=/local/domain/$id/device/$C/0
BE=/local/domain/0/backend/$C/$id/0
REC=/xbdev/$id/$C/0

t0=$(date +%s)
out=$(xbdev attach $G $C --timeout 4 2>&1); rc=$?
t1=$(date +%s)
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "attach with no backend driver: exit 3" 3 "$rc"
check_match "the message names the stuck end and the reason" \
	"backend is still Initialising: no backend driver for type '$C' in domain 0" "$out"
check_match "the message is one line" '^[^
]*$' "$out"
# A hang check, not a speed test: on a loaded host the start-up before the
# wait (domain lookup, libxl) alone can take seconds.
diag "attach --timeout 4 returned after $((t1 - t0)) s"
check "the timeout ended the wait (returned within 60 s)" test $((t1 - t0)) -le 60
check "the device is left in place: frontend" xenstore-exists $FE
check "the device is left in place: backend" xenstore-exists $BE
check "the device is left in place: record" xenstore-exists $REC
st=$(xbdev status $G $C/0 --json 2>&1)
check_match "status: connecting or stuck" '"health":"(connecting|stuck)"' "$(printf '%s' "$st" | tr -d ' \n')"

# The guest's end pretends to be a hung driver: Connected, never closing.
xenstore-write $FE/state 4
xenstore-write $BE/state 4
check_eq "status: ok when both ends say Connected" ok \
	"$(xbdev status $G --json | tr -d ' \n' | sed -n 's/.*"class":"'$C'".*"health":"\([a-z]*\)".*/\1/p')"
out=$(xbdev detach $G $C/0 --timeout 3 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "detach of a hung frontend: exit 3" 3 "$rc"
check_match "detach names the frontend" 'frontend did not close' "$out"
check "nothing removed without --force" sh -c "xenstore-exists $FE && xenstore-exists $BE && xenstore-exists $REC"
check_eq "backend was asked to close (state 5)" 5 "$(xenstore-read $BE/state)"
check_eq "backend offline" 0 "$(xenstore-read $BE/online)"
st=$(xbdev status $G --json | tr -d ' \n')
check_match "status: closing" "\"class\":\"$C\".*\"health\":\"closing\"" "$st"

check "detach --force" xbdev detach $G $C/0 --force --timeout 2
check "frontend removed" gone $FE
check "backend removed" gone $BE
check "record removed" gone $REC
check "no empty parents" sh -c "! xenstore-exists /local/domain/0/backend/$C && ! xenstore-exists /xbdev/$id"

# A frontend with no driver (the guest has no mydevice frontend module):
# with the fixture backend loaded in dom0 the backend reaches InitWait and
# the frontend is the stuck end.
BACK=/lab/modules/mydevice-back.ko
if [ -f $BACK ] && { grep -q '^mydevice_back ' /proc/modules || insmod $BACK; }; then
	out=$(xbdev attach $G mydevice --timeout 5 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	check_eq "attach with no frontend driver: exit 3" 3 "$rc"
	check_match "the frontend is named as the stuck end" \
		"frontend is still Initialising.*no frontend driver for class 'mydevice' in domain $id" "$out"
	check "detach it (no frontend driver: no --force needed)" xbdev detach $G mydevice/0 --timeout 10
	check "mydevice dirs removed" sh -c "! xenstore-exists /local/domain/0/backend/mydevice/$id"
	rmmod mydevice_back 2>/dev/null
else
	skip "stuck frontend" "mydevice-back.ko not available"
fi
