# A guest that goes away under xbdev's devices (issue 19, points 2 and 3),
# with the real xenstored and xl: an attach that times out on a paused
# guest says the device was left and the exact command that removes it
# (which does); a guest destroyed and started again under the same name
# gets a new domid, and what xbdev attached to the old one is found by the
# guest's name ("use domid N"), by the old id (status, list-domains --gone
# for completion), listed by `xbdev prune` (a dry run: nothing changed),
# refused for a running domain, and removed by `xbdev prune NAME --yes`
# (backend process stopped, nothing left).
# timeout: 300
G=prune31
IMG=/tmp/prune31.img
C=prunec
DEV=51728	# xvdb
cleanup() { guest_destroy $G; rm -f $IMG; }
trap cleanup EXIT
rm -f $IMG; dd if=/dev/zero of=$IMG bs=1048576 count=16 2>/dev/null
guest_start $G || exit 0
FE1=$(guest_domid $G)

# ---- a timeout says what was left and how to remove it ----------------------------
xl pause $G
out=$(xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 3 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "attach to a paused guest times out: exit 3" 3 "$rc"
check_match "the error ends with the detach command" "the device is left in place, remove it with: xbdev detach $FE1 vbd/$DEV\$" "$out"
cmd=${out##*remove it with: }
# shellcheck disable=SC2086
check "that command ($cmd) removes it" $cmd --timeout 10
check "nothing of it is left" sh -c "! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FE1/$DEV && ! xenstore-exists /xbdev/$FE1/vbd/$DEV && ! xenstore-exists /local/domain/$FE1/device/vbd/$DEV"
xl unpause $G

# ---- the guest goes, and comes back under a new domid -----------------------------
check "attach --disk as xvdb" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE1 $DEV 40; exit 0; }
pid=$(xenstore-read /xbdev/$FE1/vbd/$DEV/pid 2>/dev/null)
check "attach a $C device (--wait none)" xbdev attach $G $C --wait none
check_eq "the record keeps the guest's name" $G "$(xenstore-read /xbdev/$FE1/vbd/$DEV/frontend-name 2>/dev/null)"
guest_destroy $G
guest_start $G || exit 0
FE2=$(guest_domid $G)
check "the guest came back under a new domid ($FE1 -> $FE2)" test "$FE1" != "$FE2"

out=$(xbdev detach $G xvdb 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "detach by the guest's name: exit 4" 4 "$rc"
check_match "... with the id to use" "use domid $FE1\$" "$out"
check "status $FE1 (a gone domain's id) is accepted" xbdev status $FE1
st=$(xbdev status $FE1 --json | tr -d ' \n')
check_match "status $FE1 --json: gone, with the recorded name" "\"gone\":true,\"frontend-name\":\"$G\"" "$st"
check_match "list-domains --gone (for completion) has $FE1" "^$FE1\$" "$(xbdev list-domains --gone 2>&1)"

# ---- prune: a dry run first ---------------------------------------------------------
store_snapshot
out=$(xbdev prune 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "prune (dry run): exit 0" 0 "$rc"
check_match "it would remove the disk" "^would remove $FE1 vbd/$DEV \\($G\\)\$" "$out"
check_match "it would remove the $C device" "^would remove $FE1 $C/0 \\($G\\)\$" "$out"
check_store_unchanged "the dry run changed nothing"
out=$(xbdev prune $FE2 2>&1); rc=$?
check_eq "prune of the running domain $FE2: exit 2" 2 "$rc"
check_store_unchanged "nor did the refusal"

out=$(xbdev prune $G --yes 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "prune $G --yes: exit 0" 0 "$rc"
check_match "it removed the disk" "^removed $FE1 vbd/$DEV \\($G\\)\$" "$out"
check_match "and the $C device" "^removed $FE1 $C/0 \\($G\\)\$" "$out"
[ -n "$pid" ] && check "the disk's backend process $pid is gone" wait_for 10 sh -c "! kill -0 $pid"
check "nothing of domain $FE1 is left" sh -c "! xenstore-exists /xbdev/$FE1 && ! xenstore-exists /local/domain/0/backend/xbdev-vbd/$FE1 && ! xenstore-exists /local/domain/0/backend/$C/$FE1"
# (Its "no device of a guest that is gone" is for a terminal only.)
out=$(xbdev prune 2>&1); rc=$?
check_eq "prune again: exit 0, nothing printed (not a terminal)" "0 " "$rc $out"
check_match "prune --json: an empty list" '^\{"dry-run":true,"devices":\[\]\}$' "$(xbdev prune --json | tr -d ' \n')"
