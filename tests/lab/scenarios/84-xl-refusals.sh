# A disk of an xl config that xbdev cannot serve fails at once with a clear
# reason in libxl's own error (the backend's hotplug-error, passed on by
# the hotplug script), and leaves nothing behind: a missing image, an
# image another backend serves (one writer per image), a read-only image
# given access=rw.  `xl create` of a guest with a missing disk fails the
# same way and leaves no domain.
# timeout: 400
G=xl84
D=/tmp/xl84
cleanup() { guest_destroy $G; guest_destroy xl84b; chattr -i $D/ro.img 2>/dev/null; rm -rf $D; }
trap cleanup EXIT
mkdir -p $D
for f in busy ro; do dd if=/dev/zero of=$D/$f.img bs=1048576 count=8 2>/dev/null; done
guest_start $G || exit 0
FE=$(guest_domid $G)
left_nothing() {
	! xenstore-exists /local/domain/0/backend/vbd/$FE/51744 &&
	! xenstore-exists /local/domain/$FE/device/vbd/51744 &&
	! xenstore-exists /xbdev/$FE/vbd/51744 &&
	! xenstore-exists /libxl/$FE/device/vbd/51744 &&
	! ps | grep -v grep | grep -q "backend/vbd/$FE/51744"
}
BE=/local/domain/0/backend/vbd/$FE/51744
# refused DESC SPEC REGEX: xl block-attach fails within libxl's limits and
# its output names the reason.  libxl leaves a failed device's directories
# in place (for every backend: it cleans up only on removal); the backend
# holds nothing meanwhile, and xl block-detach removes everything.
refused() {
	local out rc t0 t1
	t0=$(date +%s)
	out=$(timeout 90 xl block-attach $G "$2" 2>&1); rc=$?
	t1=$(date +%s)
	printf '%s\n' "$out" | sed 's/^/  xl: /'
	check "$1: xl block-attach fails (exit $rc)" test $rc -ne 0 -a $rc -ne 124
	check_match "$1: libxl's error says why" "$3" "$out"
	check "$1: within 30 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 30
	check_eq "$1: the backend said error" error "$(xenstore-read $BE/xbdev-status 2>/dev/null)"
	check "$1: the guest never got a disk" guest_run $G '! test -b /dev/xvdc'
	check "$1: xl block-detach of the failed disk" timeout 60 xl block-detach $G xvdc
	check "$1: nothing left behind" wait_for 15 left_nothing
}

refused "missing image" "$(xl_disk $D/missing.img xvdc)" 'missing.img: No such file or directory'
guest_start xl84b || exit 0
check "another guest's xbdev disk serves busy.img" xbdev attach xl84b vbd --disk $D/busy.img
refused "image in use" "$(xl_disk $D/busy.img xvdc)" 'busy.img: in use by'
xbdev detach xl84b xvda >/dev/null 2>&1
chmod 0444 $D/ro.img
if chattr +i $D/ro.img 2>/dev/null; then
	refused "read-only image, access=rw" "$(xl_disk $D/ro.img xvdc)" 'ro.img: cannot be opened for writing'
	chattr -i $D/ro.img
else
	diag "no chattr +i on /tmp (root ignores 0444): the read-only case is tested with a read-only bind"
	# (a read-only bind takes a remount: "bind,ro" at once is a plain bind)
	mkdir -p $D/romnt && mount -o bind $D $D/romnt && mount -o remount,bind,ro $D/romnt &&
		refused "read-only image, access=rw" "$(xl_disk $D/romnt/ro.img xvdc)" 'ro.img: cannot be opened for writing'
	umount $D/romnt 2>/dev/null
fi
check "read-only image with access=ro is served" timeout 60 xl block-attach $G "$(xl_disk $D/ro.img xvdc ro)"
check "the guest has xvdc read-only" wait_for 30 guest_run $G 'test -b /dev/xvdc && test "$(cat /sys/block/xvdc/ro)" = 1'
check "xl block-detach xvdc" timeout 60 xl block-detach $G xvdc
check "nothing left after it" wait_for 15 left_nothing

# xl create with a missing disk: no domain, nothing in xenstore.
guest_destroy $G
sed -e 's/^name=.*/name="xl84c"/' $L/guest-$G.cfg > $D/xl84c.cfg
echo "disk=[ '$(xl_disk $D/missing.img xvdb)' ]" >> $D/xl84c.cfg
out=$(timeout 120 xl create -q $D/xl84c.cfg 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  xl: /'
check "xl create of a guest with a missing xbdev disk fails (exit $rc)" test $rc -ne 0 -a $rc -ne 124
check "no domain xl84c is left" wait_for 20 sh -c "! xl domid xl84c"
check_match "its error names the image and why" 'missing.img: No such file or directory' "$out"
check "nothing of it is left" sh -c "! xenstore-ls -f / 2>/dev/null | grep -q missing.img && ! ps | grep -v grep | grep -q 'xbdev-blkback.*backend/vbd/'"
rm -f "$L/script.xl84c"
xbdevd_logs 20
