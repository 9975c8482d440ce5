# A hostile guest against xbdev-blkback: xbdev's own userspace frontend
# (xbdev-blkfront, in the guest, the kernel's xen-blkfront kept off the
# device) runs its catalogue of attacks (bad segments, sector wrap,
# indirect abuse, bad/revoked/read-only grants, double fetch, event
# channel storm, producer overflow, garbage ring-ref/event-channel/
# protocol nodes, toggling, close with I/O in flight).  Each must end as a
# safe backend ends it, the backend process must survive all of them and
# reconnect, and nothing outside the attack range (1 MiB at 1 MiB) may
# change in the image.  Then a clean verify pass over 4 queues x 16 ring
# pages (multi-queue and multi-page rings from the backend's side).
# timeout: 900
G=vbd57
IMG=/tmp/vbd57.img
DEV=51728
FB=/usr/libexec/xbdev/xbdev-blkfront
vbd_logs() {
	[ -f /var/log/xbdev/vbd-$1-$2.log ] || return 0
	echo "  backend log /var/log/xbdev/vbd-$1-$2.log:"
	tail -n 80 /var/log/xbdev/vbd-$1-$2.log | sed 's/^/  | /'
}
outside() {
	{ head -c 1048576 $IMG; tail -c +2097153 $IMG; } | sha256sum | cut -d' ' -f1
}

rm -f $IMG
dd if=/dev/urandom of=$IMG bs=1048576 count=16 2>/dev/null
before=$(outside)
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
check "keep the guest kernel's blkfront off new devices" guest_run $G 'echo 0 > /sys/bus/xen/drivers_autoprobe'
check "attach (wait for the backend only)" xbdev attach $G vbd --disk $IMG --vdev xvdb --wait initwait --timeout 60 || { vbd_logs $FE $DEV; exit 0; }
pid=$(xenstore-read $REC/pid)

out=$(GUEST_RUN_TIMEOUT=600 guest_run $G "$FB hostile xvdb 2>&1"); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
n_ok=$(printf '%s\n' "$out" | grep -c '^ok')
n_bad=$(printf '%s\n' "$out" | grep -c '^not ok')
diag "hostile: $n_ok attacks handled safely, $n_bad not"
printf '%s\n' "$out" | grep '^not ok' | while read -r l; do not_ok "attack: ${l#not ok }"; done
check_eq "every attack handled safely (exit status)" 0 "$rc"
check "backend survived every attack" kill -0 $pid
check_eq "nothing outside the attack range changed" "$before" "$(outside)"

out=$(GUEST_RUN_TIMEOUT=300 guest_run $G "$FB verify xvdb --queues 4 --ring-order 4 --length 4M 2>&1"); rc=$?
printf '%s\n' "$out" | tail -n 15 | sed 's/^/  | /'
check_eq "verify over 4 queues x 16 pages passes" 0 "$rc"
check_match "backend negotiated 4 queues x 16 pages" '4 queue\(s\), 16 ring page\(s\)' "$(cat /var/log/xbdev/vbd-$FE-$DEV.log)"
check "backend still alive" kill -0 $pid
check "detach" xbdev detach $G vbd/$DEV --timeout 30 --force
check "backend exited" wait_for 10 sh -c "! kill -0 $pid"
vbd_logs $FE $DEV
guest_destroy $G
rm -f $IMG
