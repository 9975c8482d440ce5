# attach vbd --disk: the nodes of a block device, the backend daemon spawned
# detached with its log and pid in the record, status showing what the
# daemon publishes under <record>/info/, detach stopping the daemon, and a
# full rollback when the daemon cannot be started.  A stand-in daemon is
# used (XBDEV_LIBEXECDIR) so that this tests xbdev, not xbdev-blkback.
# timeout: 240
G=xa
guest_start $G || exit 0
id=$(guest_domid $G)
FAKE=/tmp/fake-libexec
mkdir -p $FAKE
cat > $FAKE/xbdev-blkback <<'SH'
#!/bin/sh
# Stand-in backend: logs, publishes one info key, ignores the protocol.
echo "fake blkback $* pid $$"
trap 'echo "got TERM"; exit 0' TERM
while :; do sleep 1; done
SH
chmod +x $FAKE/xbdev-blkback
truncate -s 16M /tmp/x.img
DEV=51744   # xvdc
BE=/local/domain/0/backend/xbdev-vbd/$id/$DEV
FE=/local/domain/$id/device/vbd/$DEV
REC=/xbdev/$id/vbd/$DEV
export XBDEV_LIBEXECDIR=$FAKE
check "attach vbd --disk --vdev xvdc --wait none" \
	xbdev attach $G vbd --disk /tmp/x.img --vdev xvdc --readonly --wait none
check_eq "params" /tmp/x.img "$(xenstore-read $BE/params)"
check_eq "mode" r "$(xenstore-read $BE/mode)"
check_eq "dev" xvdc "$(xenstore-read $BE/dev)"
check_eq "type" file "$(xenstore-read $BE/type)"
check_eq "virtual-device" $DEV "$(xenstore-read $FE/virtual-device)"
check_eq "device-type" disk "$(xenstore-read $FE/device-type)"
pid=$(xenstore-read $REC/pid)
check "record has a live pid" kill -0 "$pid"
check_eq "record log" /var/log/xbdev/vbd-$id-$DEV.log "$(xenstore-read $REC/log)"
sleep 1
check_match "daemon got the backend path" "fake blkback $BE" "$(cat /var/log/xbdev/vbd-$id-$DEV.log)"
check_eq "daemon runs in its own session" "$pid" "$(cut -d' ' -f6 /proc/$pid/stat)"
xenstore-write $REC/info/ring-page-order 2
xenstore-write $REC/info/requests 17
one=$(xbdev status $G vbd/$DEV)
printf '%s\n' "$one" | sed 's/^/  | /'
check_match "status shows info keys" 'requests +17' "$one"
check_match "status shows the pid alive" "pid-alive +true" "$one"
check "detach (daemon ignores Closing: SIGTERM)" xbdev detach $G vbd/$DEV --timeout 3
check "daemon stopped" sh -c "! kill -0 $pid 2>/dev/null"
check_match "daemon saw SIGTERM" 'got TERM' "$(cat /var/log/xbdev/vbd-$id-$DEV.log)"
check "everything removed" sh -c "! xenstore-exists $BE && ! xenstore-exists $FE && ! xenstore-exists $REC"

# A daemon that dies at once: attach notices instead of waiting it out.
mkdir -p /tmp/fake-dying
printf '#!/bin/sh\necho "dying $*"\nexit 3\n' > /tmp/fake-dying/xbdev-blkback
chmod +x /tmp/fake-dying/xbdev-blkback
t0=$(date +%s)
out=$(XBDEV_LIBEXECDIR=/tmp/fake-dying xbdev attach $G vbd --disk /tmp/x.img --vdev xvdd --timeout 60 2>&1); rc=$?
t1=$(date +%s)
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "dying daemon: exit 1" 1 "$rc"
check_match "dying daemon: named, with its log" 'backend daemon exited.*vbd-'$id'-51760.log' "$out"
diag "dying daemon noticed after $((t1 - t0)) s"
check "dying daemon: noticed before the 60 s timeout" test $((t1 - t0)) -lt 60
check_match "status: pid not alive" 'pid-alive +false' "$(xbdev status $G vbd/xvdd)"
check "detach the dead daemon's device" xbdev detach $G vbd/xvdd --timeout 5

# An attach whose daemon cannot be started leaves xenstore byte for byte
# as it was: refused before the commit (no such daemon), or rolled back
# after it (exec fails: not a program).
unstartable() {
	local what=$1 dir=$2 out rc
	store_snapshot
	out=$(XBDEV_LIBEXECDIR=$dir xbdev attach $G vbd --disk /tmp/x.img --wait none 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	check_eq "$what: exit 1" 1 "$rc"
	check_store_unchanged "$what: xenstore unchanged"
}
unstartable "no daemon" /nonexistent
mkdir -p /tmp/fake-noexec
printf 'not a program\n' > /tmp/fake-noexec/xbdev-blkback
chmod +x /tmp/fake-noexec/xbdev-blkback
unstartable "daemon exec fails, rolled back" /tmp/fake-noexec
check_eq "default vdev is the lowest free xvd" xvda \
	"$(xbdev attach $G vbd --disk /tmp/x.img --dry-run | sed -n 's/.*\/dev = "\(.*\)".*/\1/p')"
