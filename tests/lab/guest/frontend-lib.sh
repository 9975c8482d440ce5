# Helpers of the userspace-frontend scenarios (tests/lab/scenarios/6x-*),
# sourced in dom0 after scenario-lib.sh: . /lab/guest/frontend-lib.sh
#
# How the guest's own xen-blkfront is kept off a device xbdev-blkfront is
# to drive: the xen bus's drivers_autoprobe is switched off in the guest
# before the device is attached, so the kernel creates the xenbus device
# but binds no driver to it (the frontend state stays Initialising, the
# backend waits in InitWait).  `xbdev-blkfront --unbind` is the other way
# (for a device the kernel already took), but it needs a backend that
# reconnects after the kernel frontend closed it.
FE=/usr/libexec/xbdev/xbdev-blkfront

# fe_ship_module GUEST MODULE: copy dom0's MODULE.ko into GUEST over
# xenstore (base64, ~1.4 KB per node, readable by GUEST only) and insmod it
# there.  For modules the guest image lacks; dom0 runs the same kernel.
fe_ship_module() {
	local g=$1 m=$2 id dir f n rc
	id=$(guest_domid "$g") || return 1
	f=/lib/modules/$m.ko
	[ -f "$f" ] || { echo "dom0 has no $f"; return 1; }
	dir=/local/domain/0/xbf-mod
	xenstore-rm $dir 2>/dev/null
	xenstore-write $dir "" && xenstore-chmod $dir n0 "r$id" || return 1
	base64 < "$f" | awk -v d="$dir/$m" '
		{ s = s $0 } NR % 18 == 0 { print d "/" i++ " " s; s = "" }
		END { if (s != "") print d "/" i++ " " s }' > /tmp/xbf-mod.list
	n=$(wc -l < /tmp/xbf-mod.list)
	while read -r k v; do xenstore-write "$k" "$v" || return 1; done < /tmp/xbf-mod.list
	guest_run "$g" "i=0; while [ \$i -lt $n ]; do xenstore-read $dir/$m/\$i || exit 1; i=\$((i+1)); done | base64 -d > /tmp/$m.ko && insmod /tmp/$m.ko"
	rc=$?
	xenstore-rm $dir 2>/dev/null
	rm -f /tmp/xbf-mod.list
	return $rc
}

# fe_prepare_guest GUEST: /dev/xen/evtchn and /dev/xen/gntalloc present,
# autoprobe off.  Prints what it did; returns non-zero when not ready.
fe_prepare_guest() {
	local g=$1 m
	guest_run "$g" 'echo 0 > /sys/bus/xen/drivers_autoprobe' || return 1
	for m in xen-evtchn xen-gntalloc; do
		guest_run "$g" "test -c /dev/xen/${m#xen-}" >/dev/null && continue
		guest_run "$g" "test -f /lib/modules/$m.ko && insmod /lib/modules/$m.ko" >/dev/null && continue
		echo "guest image has no $m.ko: shipping dom0's copy"
		fe_ship_module "$g" "$m" || return 1
	done
	guest_run "$g" 'test -c /dev/xen/evtchn && test -c /dev/xen/gntalloc && test -x '"$FE"
}

# fe_sum_outside IMG START LEN: sha256 of IMG without bytes [START, START+LEN).
fe_sum_outside() {
	{ head -c "$2" "$1"; tail -c +$(($2 + $3 + 1)) "$1"; } | sha256sum | cut -d' ' -f1
}

# fe_backend_log FE_DOMID DEVID: the xbdev backend daemon's log file.
fe_backend_log() { echo "/var/log/xbdev/vbd-$1-$2.log"; }

# fe_sanitizer_clean LOG: no ASan/UBSan/LSan report in LOG.
fe_sanitizer_clean() {
	! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer' "$1" 2>/dev/null
}

# fe_retap PREFIX: turn the frontend's "ok N - NAME: ..." lines on stdin
# into this scenario's TAP lines.
fe_retap() {
	local line rest name
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*)
			rest=${line#ok * - }; name=${rest%% *}
			skip "$1 $name" "${rest#*# SKIP }" ;;
		"ok "*)
			rest=${line#ok * - }
			ok "$1 $rest" ;;
		"not ok "*)
			rest=${line#not ok * - }; name=${rest%%:*}
			not_ok "$1 $name" "${rest#*: }" ;;
		*) echo "  | $line" ;;
		esac
	done
}
