# Eight devices on one guest at once (xvdb..xvdi), one backend process
# each, all usable; detach them all: no backend process, xenstore node or
# grant mapping left behind.
# timeout: 480
G=vbd55
guest_start $G || exit 0
FE=$(guest_domid $G)
LETTERS="b c d e f g h i"
blkbacks() {
	for p in /proc/[0-9]*; do
		tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q "xbdev-blkback /local/domain/0/backend/xbdev-vbd/$FE/" && echo ${p#/proc/}
	done
}

for l in $LETTERS; do
	rm -f /tmp/vbd55-$l.img
	dd if=/dev/zero of=/tmp/vbd55-$l.img bs=1048576 count=8 2>/dev/null
	check "attach xvd$l" xbdev attach $G vbd --disk /tmp/vbd55-$l.img --vdev xvd$l --timeout 90
done
check_eq "eight backend processes" 8 "$(blkbacks | wc -l)"
for l in $LETTERS; do
	out=$(guest_run $G "echo xvd$l-marker | dd of=/dev/xvd$l bs=512 conv=sync 2>/dev/null && sync && dd if=/dev/xvd$l bs=512 count=1 2>/dev/null | head -n1")
	check_eq "xvd$l usable" "xvd$l-marker" "$out"
done
st=$(xbdev status $G 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
check_eq "status lists eight vbds ok" 8 "$(printf '%s\n' "$st" | grep -c ' vbd .* ok')"
n=1
for l in $LETTERS; do
	check "detach xvd$l (vbd/$((51712 + 16 * n)))" xbdev detach $G vbd/$((51712 + 16 * n)) --timeout 30
	n=$((n + 1))
done
i=0
while [ "$(blkbacks | wc -l)" != 0 ] && [ $i -lt 30 ]; do sleep 0.5; i=$((i + 1)); done
check_eq "no backend process left" 0 "$(blkbacks | wc -l)"
check "no backend dirs left" sh -c "! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FE"
check "no frontend dirs left" sh -c "[ -z \"\$(xenstore-list /local/domain/$FE/device/vbd 2>/dev/null)\" ]"
check "no records left" sh -c "! xenstore-exists /xbdev/$FE/vbd"
for l in $LETTERS; do
	check_eq "xvd$l marker in its image" "xvd$l-marker" "$(head -n1 /tmp/vbd55-$l.img | tr -d '\0')"
done
# Grant mappings: gntdev holds none once the backends are gone; the guest
# can be destroyed without lingering as a zombie.
guest_destroy $G
check "guest fully gone (no grant mapping kept it)" wait_for 20 sh -c "! xl list $FE"
rm -f /tmp/vbd55-*.img
