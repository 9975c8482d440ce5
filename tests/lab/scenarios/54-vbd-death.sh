# Guest death and backend death.
#  - The guest is destroyed (xl destroy) in the middle of I/O: the backend
#    notices (@releaseDomain / frontend gone) and exits by itself, having
#    unmapped the rings (else the domain would linger as a zombie); xbdev
#    status / detach clean up what is left.
#  - kill -9 of a backend: xbdev status says it is dead, detach --force
#    cleans up.
# timeout: 600
IMG=/tmp/vbd54.img
DEV=51728
FEA= FEB=
# Whatever way the scenario ends: no guest, no device, no image.
cleanup() {
	guest_destroy vbd54a
	guest_destroy vbd54b
	for fe in $FEA $FEB; do
		xbdev detach $fe vbd/$DEV --force --timeout 10 >/dev/null 2>&1
	done
	rm -f $IMG
}
trap cleanup EXIT
# The backend's request counter (info/requests, published about once a
# second) has grown past $1.
requests_above() { [ "$(xenstore-read $REC/info/requests 2>/dev/null || echo 0)" -gt "$1" ]; }

rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=64 2>/dev/null

G=vbd54a
guest_start $G || exit 0
FE=$(guest_domid $G) FEA=$FE
REC=/xbdev/$FE/vbd/$DEV
check "attach" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV; exit 0; }
pid=$(xenstore-read $REC/pid)
# Endless I/O in the background of the guest.
GUEST_RUN_TIMEOUT=10 guest_run $G '(while :; do dd if=/dev/urandom of=/dev/xvdb bs=65536 count=256 2>/dev/null; dd if=/dev/xvdb of=/dev/null bs=65536 count=256 2>/dev/null; done) > /dev/null 2>&1 &
echo started'
# The guest kernel's partition probe alone makes the counter non-zero:
# the guest's own I/O must make it grow, 3 s into the loop, within 10 s.
sleep 3
r1=$(xenstore-read $REC/info/requests)
check "I/O running: requests grow past $r1 while the guest reads and writes" \
	wait_for 10 requests_above "${r1:-0}"
diag "requests $r1 -> $(xenstore-read $REC/info/requests)"
check "xl destroy in the middle of I/O" xl destroy $G
check "backend exits by itself" wait_for 30 sh -c "! kill -0 $pid"
check_match "backend logged why" 'frontend domain died|frontend gone|device detached' "$(cat /var/log/xbdev/vbd-$FE-$DEV.log)"
check "domain $FE is gone (no zombie held by mapped grants)" wait_for 20 sh -c "! xl list $FE"
st=$(xbdev status 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
check "detach by domid cleans up" xbdev detach $FE vbd/$DEV --timeout 10 --force
check "no backend dir left" sh -c "! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FE/$DEV"
check "no record left" sh -c "! xenstore-exists $REC"
vbd_logs $FE $DEV

G=vbd54b
guest_start $G || exit 0
FE=$(guest_domid $G) FEB=$FE
REC=/xbdev/$FE/vbd/$DEV
check "attach" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90
pid=$(xenstore-read $REC/pid)
check "kill -9 the backend" kill -9 $pid
sleep 1
st=$(xbdev status $G vbd/$DEV 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
check_match "status says the backend is dead (pid-alive false)" 'pid-alive[^a-z]*false' "$st"
check "detach --force cleans up" xbdev detach $G vbd/$DEV --timeout 5 --force
check "no backend dir left" sh -c "! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FE/$DEV"
check "no record left" sh -c "! xenstore-exists $REC"
