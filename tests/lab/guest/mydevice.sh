#!/bin/sh
# Guest script of the seed scenario (tests/lab/scenarios/4x-*): loads the
# fixture frontend driver for device class "mydevice" and reports on the
# console.  Quick and non-blocking: the device itself is attached later from
# dom0 with `xbdev attach`, and the scenario reads the guest's dmesg and
# xenstore through guest_run.
mod=/lab/modules/mydevice-front.ko
if [ ! -f "$mod" ]; then
	echo "VERDICT fail $mod is missing from the guest image"
elif out=$(insmod "$mod" 2>&1); then
	echo "mydevice-guest: mydevice-front loaded"
	echo "VERDICT ok"
else
	echo "VERDICT fail insmod mydevice-front.ko: $out"
fi
