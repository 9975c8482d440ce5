#!/bin/bash
# The seeds' way of attaching a split-driver device, kept as the baseline of
# the control-plane benchmark (`make bench`): seven xenstore-write calls and
# xenstore-chmod, then a loop polling both states until Connected.  This
# is a faithful copy of what such scripts do, including their mistakes (both
# directories readable, the frontend writable, by every domain; no transaction, no record, a
# fixed device id); do not use it for anything but comparison.
#
#   seed-attach.sh DOMID CLASS DEVID [TIMEOUT]
#
# Exit 0 when both ends are Connected, 1 on timeout.
# tests/lab/image.sh puts this file in dom0 at /lab/bench/seed-attach.sh,
# where tests/lab/bench-dom0.sh runs it.
DOMID=$1
CLASS=${2:-mydevice}
DEVID=${3:-0}
TIMEOUT=${4:-30}

FE=/local/domain/$DOMID/device/$CLASS/$DEVID
BE=/local/domain/0/backend/$CLASS/$DOMID/$DEVID

xenstore-write $FE/backend $BE
xenstore-write $FE/backend-id 0
xenstore-write $BE/frontend $FE
xenstore-write $BE/frontend-id $DOMID
xenstore-write $BE/online 1
# let the guest write its frontend and read its backend (before the
# frontend probes: it reads the backend directory)
xenstore-chmod -r $FE b0
xenstore-chmod -r $BE r
# frontend first: a backend probed before it sees "Unknown" and closes
xenstore-write $FE/state 1
xenstore-write $BE/state 1

# wait for both ends
end=$((SECONDS + TIMEOUT))
while [ $SECONDS -lt $end ]; do
	if [ "$(xenstore-read $BE/state 2>/dev/null)" = 4 ] &&
	   [ "$(xenstore-read $FE/state 2>/dev/null)" = 4 ]; then
		exit 0
	fi
	sleep 0.01
done
echo "seed-attach: $CLASS/$DEVID of domain $DOMID not connected after ${TIMEOUT}s" >&2
exit 1
