#!/bin/bash
# `make demo`: boots the lab once in demo mode and prints the narration.
. "$(dirname "$0")/common.sh"
echo "xbdev demo: booting a real Xen $LAB_XEN ($LAB_SUITE) with a PV dom0 under QEMU (about a minute)..."
LAB_MODE=demo "$LAB_DIR/run.sh" 2>&1 | grep -v "^# timing"
if grep -q '^DEMO FAILED' "$LAB_OUT/serial.log" 2>/dev/null ||
   ! grep -q '^DEMO: == Done' "$LAB_OUT/serial.log" 2>/dev/null; then
	echo "xbdev demo: did not complete; see $LAB_OUT/serial.log and $LAB_OUT/logs/" >&2
	exit 1
fi
