# Who may tell the dom0 backend what to open (issue: hostile input, item 1).
# A backend domain other than dom0 owns its backend directory and can
# rewrite params and mode after the attach: attach refuses --disk with
# --backend-domain, and xbdev-blkback itself refuses any directory, or any
# node it takes orders from, that a domain other than its own (and dom0)
# can write - before it opens anything.  The same directory with the
# right permissions is served (the control).
# timeout: 200
G=xt
guest_start $G || exit 0
id=$(guest_domid $G)
BLKBACK=/usr/libexec/xbdev/xbdev-blkback
# (a whole sector: the control below must be servable)
{ printf 'dom0 secret\n'; head -c 500 /dev/zero; } > /tmp/secret
sum0=$(md5sum < /tmp/secret)
truncate -s 8M /tmp/t.img

# 1. attach: --disk served for another backend domain is refused, nothing written.
store_snapshot
out=$(xbdev attach $G vbd --backend-domain $G --disk /tmp/t.img --wait none 2>&1); rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "attach --backend-domain guest --disk: exit 2" 2 "$rc"
check_match "attach: says why in one line" "^xbdev: attach: .*--disk with --backend-domain $id: .*domain $id can rewrite" "$out"
check_eq "attach: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
check_store_unchanged "attach: xenstore unchanged"
out=$(xbdev attach $G vbd --backend-domain $G --disk /tmp/t.img --dry-run 2>&1); rc=$?
check_eq "attach --dry-run: refused too (exit 2)" 2 "$rc"
check "attach --backend-domain 0 --disk is still fine (dry run)" \
	xbdev attach $G vbd --backend-domain 0 --disk /tmp/t.img --dry-run

# 2. xbdev-blkback on directories written by hand (and the type directory
# they need removed afterwards if it was not there).
had_type_dir=no
xenstore-exists /local/domain/0/backend/xbdev-vbd && had_type_dir=yes
# mkdir_be DIR FE_DEVID OWNER: the nodes attach would write, ACL n<owner> r<id>.
mkdir_be() {
	local be=$1 dev=$2 owner=$3
	xenstore-write $be/frontend /local/domain/$id/device/vbd/$dev \
		$be/frontend-id $id $be/params /tmp/secret $be/mode r \
		$be/online 1 $be/state 1
	xenstore-chmod -r $be n$owner r$id
}
# refused WHAT BE REGEX: blkback exits 1 at once with REGEX in its log.
refused() {
	local what=$1 be=$2 re=$3 out rc
	out=$(timeout 20 $BLKBACK $be 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	check_eq "$what: exit 1" 1 "$rc"
	check_match "$what: refused, says why" "$re" "$out"
	check "$what: nothing opened" sh -c "! printf '%s' \"\$1\" | grep -q serving" _ "$out"
	check_eq "$what: its state left as it was (not ours to write)" 1 "$(xenstore-read $be/state)"
}
GBE=/local/domain/$id/backend/xbdev-vbd/$id/77
mkdir_be $GBE 77 $id
check "guest owns its backend directory" xenstore-ls -p $GBE
guest_run $G "xenstore-write $GBE/params /tmp/secret-of-dom0 && xenstore-write $GBE/mode w" >/dev/null
check_eq "guest rewrote params (it can)" /tmp/secret-of-dom0 "$(xenstore-read $GBE/params)"
refused "directory of the guest" $GBE "refusing $GBE: it belongs to domain $id"
xenstore-rm /local/domain/$id/backend

BE=/local/domain/0/backend/xbdev-vbd/$id/78
mkdir_be $BE 78 0
xenstore-chmod $BE/mode n0 b$id
refused "mode writable by the guest" $BE "$BE/mode: domain $id can write it"
xenstore-chmod $BE/mode n0 r$id
xenstore-chmod $BE/params b0
refused "params writable by every domain" $BE "$BE/params: every domain can write it"
xenstore-chmod $BE/params n0 r$id
xenstore-rm $BE/mode
xenstore-chmod $BE n0 w$id
refused "directory writable by the guest (mode absent)" $BE "$BE: domain $id can write it"
xenstore-chmod $BE n0 r$id
xenstore-write $BE/mode r
xenstore-chmod $BE/mode n0 r$id
xenstore-chmod $BE/frontend n$id
refused "frontend owned by the guest" $BE "$BE/frontend: domain $id can write it"

# The control: the same directory, permissions as attach writes them.
xenstore-rm $BE
mkdir_be $BE 78 0
$BLKBACK $BE > /tmp/x27.log 2>&1 &
pid=$!
# (no frontend directory: it goes on to Closed at once, hence the log)
check "right permissions: served (InitWait)" wait_for 10 grep -q -- '-> InitWait' /tmp/x27.log
check_match "right permissions: log says serving, read-only" "serving /tmp/secret .*read-only" "$(cat /tmp/x27.log)"
xenstore-rm $BE
check "backend exits when its directory goes" wait_for 10 grep -q 'exit status' /tmp/x27.log
wait $pid; rc=$?
check_eq "exit 0" 0 "$rc"
xenstore-rm /local/domain/0/backend/xbdev-vbd/$id 2>/dev/null
[ $had_type_dir = no ] && xenstore-rm /local/domain/0/backend/xbdev-vbd 2>/dev/null
check_eq "secret untouched" "$sum0" "$(md5sum < /tmp/secret)"
guest_destroy $G
