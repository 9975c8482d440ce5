#!/bin/sh
# `make demo`, the dom0 side: xbdev's main job, narrated.  Every line meant
# for the user goes to the console prefixed "DEMO: " (the host prints it).
. /lab/scenario-lib.sh
SCENARIO=demo
say() { echo "DEMO: $*" > /dev/console; }
show() {   # show CMD...: print the command and its output, keep its status
	local out rc
	say "  \$ $*"
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/DEMO:     /' > /dev/console
	return $rc
}
in_guest() {
	local out rc
	say "  guest\$ $*"
	out=$(guest_run demo "$@"); rc=$?
	printf '%s\n' "$out" | sed 's/^/DEMO:     /' > /dev/console
	return $rc
}
fail() { say ""; say "DEMO FAILED: $*"; say "(logs: build/lab/logs/ on the host)"; exit 1; }

say ""
say "== 1. Xen is running: this is dom0 of a real Xen $LAB_XEN, inside QEMU =="
show sh -c "xl info | grep -E '^(xen_version|nr_cpus|total_memory|virt_caps)'"
say ""
say "== 2. Start a PV guest called 'demo' (stock Debian kernel, xen-blkfront) =="
guest_start demo >/dev/null || fail "the guest did not boot"
show xl list
in_guest cat /proc/partitions
say ""
say "== 3. A 64 MiB disk image in dom0, and xbdev attaches it to the guest =="
show dd if=/dev/zero of=/tmp/demo.img bs=1M count=0 seek=64
say "  (a 'xbdev watch' runs beside it and records every state transition)"
xbdev watch demo vbd/51728 --until connected --timeout 120 > /tmp/demo-watch.log 2>&1 &
watcher=$!
sleep 1
show xbdev attach demo vbd --disk /tmp/demo.img --vdev xvdb ||
	fail "xbdev attach failed"
wait $watcher
show cat /tmp/demo-watch.log
say ""
say "== 4. What xbdev knows: both ends Connected, the backend's counters =="
show xbdev status
show xbdev status demo vbd/51728
say ""
say "== 5. The guest sees /dev/xvdb, makes a filesystem and writes a file =="
in_guest cat /proc/partitions
in_guest 'mkfs.ext4 -q -F /dev/xvdb && mkdir -p /mnt && mount /dev/xvdb /mnt && echo "written by the guest through xbdev" > /mnt/hello.txt && cat /mnt/hello.txt && umount /mnt && e2fsck -fn /dev/xvdb >/dev/null && echo "filesystem clean"' ||
	fail "the guest could not use its disk"
in_guest 'printf XBDEV-DEMO-PATTERN | dd of=/dev/xvdb bs=512 seek=131000 conv=fsync 2>/dev/null && echo "pattern written at sector 131000"'
say ""
say "== 6. Detach: the backend flushes and closes, nothing is left behind =="
show xbdev detach demo vbd/51728 || fail "xbdev detach failed"
show sh -c "dd if=/tmp/demo.img bs=512 skip=131000 count=1 2>/dev/null | head -c 18; echo"
show xbdev status demo
in_guest cat /proc/partitions
say ""
say "== Done: a disk image served to an unmodified guest by xbdev's userspace backend =="
