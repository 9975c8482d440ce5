#!/bin/bash
# `make check-lab-selftest`: proves the lab turns a hanging scenario and a
# panicking guest into "not ok" lines with a reason, within their timeouts,
# retries a guest without disks that died during boot (twice at most), ends a
# guest_run on a guest that rebooted at once,
# and still ends the run.  Prints TAP about the lab itself.
. "$(dirname "$0")/common.sh"
out=$(LAB_ONLY=selftest LAB_SELFTEST=1 "$LAB_DIR/run.sh" 2>/dev/null)
printf '%s\n' "$out" | sed 's/^/# /'
expect() {
	if grep -Eq -- "$2" <<<"$out"; then echo "ok - lab-selftest: $1"
	else echo "not ok - lab-selftest: $1 (no line matching /$2/)"; fi
}
expect "a hanging scenario is reported as timed out" '^not ok - 90-selftest-hang: timed out after 15s'
expect "a panicking guest is reported with the panic" '^not ok - 91-selftest-panic: .*kernel panicked'
expect "an early death without disks is retried" '^ok - 92-selftest-early-death: a guest that died before its first console line was booted again'
expect "the retry is said, with Xen's log kept" '^# 92-selftest-early-death: guest early1 \(pv\) died during boot: .*xl-dmesg-early1-early-death-1.log; retry 1 of 2'
expect "a second early death is retried again" '^ok - 92-selftest-early-death: a guest that died twice before its first console line was booted a third time'
expect "the second retry is said" '^# 92-selftest-early-death: guest early2 \(pv\) died during boot: .*xl-dmesg-early2-early-death-2.log; retry 2 of 2'
expect "a third early death is not ok" '^not ok - 92-selftest-early-death: guest early3 boots .guest died during boot'
expect "a guest that reboots is destroyed, not restarted" '^ok - 93-selftest-reboot: the rebooted guest is gone'
expect "guest_run on it returns at once" '^ok - 93-selftest-reboot: guest_run returns 125 within 10 s'
expect "the run still ends with its timing line" '^# timing: download'
