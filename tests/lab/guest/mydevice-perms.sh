#!/bin/sh
# mydevice-perms.sh own|other BE FE REC: run inside a guest (guest_run) by
# the seed scenario; tries to read and write a device's xenstore directories
# with the guest's own permissions and prints one line per attempt,
# "PROBE <name> <exit status>", so that one round trip answers them all.
# "own" is the device's guest (it must not break its own device, so it
# never writes its frontend); "other" is a bystander.
mode=$1 be=$2 fe=$3 rec=$4
probe() {
	name=$1
	shift
	"$@" > /dev/null 2>&1
	echo "PROBE $name $?"
}
probe read-be-state xenstore-read "$be/state"
probe list-be xenstore-ls "$be"
probe write-be-state xenstore-write "$be/state" 6
probe add-be-node xenstore-write "$be/evil" 1
probe rm-be xenstore-rm "$be"
probe read-record xenstore-read "$rec/backend"
probe list-record xenstore-ls "$rec"
if [ "$mode" = other ]; then
	probe read-fe-state xenstore-read "$fe/state"
	probe list-fe xenstore-ls "$fe"
	probe write-fe-state xenstore-write "$fe/state" 6
	probe add-fe-node xenstore-write "$fe/evil" 1
	probe rm-fe xenstore-rm "$fe"
fi
