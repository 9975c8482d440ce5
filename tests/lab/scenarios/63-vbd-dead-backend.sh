# A served vbd whose backend process dies (issue 20, item 9), with the
# guest's xen-blkfront and the real xbdev-blkback: after kill -9 of the
# backend, xbdev status gives the verdict backend-dead (table, device
# view, JSON), xbdev watch reports the process's death as an event, and
# xbdev detach without --force closes the frontend and removes the device
# at once instead of waiting for a backend Closed nobody writes, leaving
# nothing in xenstore.
# timeout: 300
IMG=/tmp/vbd63.img
DEV=51728
rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=32 2>/dev/null
G=vbd63
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV
FED=/local/domain/$FE/device/vbd/$DEV
BED=/local/domain/0/backend/xbdev-vbd/$FE/$DEV
check "attach --disk (xen-blkfront connects)" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV; guest_destroy $G; exit 0; }
check "guest sees xvdb" guest_run $G "dd if=/dev/xvdb of=/dev/null bs=65536 count=16"
pid=$(xenstore-read $REC/pid)
check_match "status before: ok" "^health +ok$" "$(xbdev status $G vbd/$DEV)"
xbdev watch $G > $L/w63.txt 2>&1 &
w=$!
xbdev watch $G --json > $L/w63j.txt 2>&1 &
wj=$!
check "watch started" wait_for 20 grep -q "vbd/$DEV appeared" $L/w63.txt
check "kill -9 the backend process $pid" kill -9 $pid
check "the process is gone" wait_for 5 sh -c "! kill -0 $pid 2>/dev/null"
check "watch reports its death" wait_for 5 grep -q "vbd/$DEV backend process $pid died (frontend Connected, backend Connected)" $L/w63.txt
check "watch --json too, with the pid" wait_for 5 grep -q "\"event\":\"backend-died\".*\"class\":\"vbd\",\"devid\":$DEV.*\"pid\":$pid" $L/w63j.txt
one=$(xbdev status $G vbd/$DEV 2>&1)
printf '%s\n' "$one" | sed 's/^/  | /'
check_match "status (device): health backend-dead" "^health +backend-dead$" "$one"
check_match "status (device): pid-alive false" "^pid-alive +false$" "$one"
check_match "status (table): backend-dead" "^$G +$FE +vbd +$DEV +0 +Connected +Connected +backend-dead" "$(xbdev status $G)"
check_match "status --json: backend-dead" "\"devid\":$DEV,.*\"health\":\"backend-dead\"" "$(xbdev status $G --json | tr -d ' \n')"
t0=$(date +%s)
out=$(xbdev detach $G vbd/$DEV 2>&1); rc=$?
t1=$(date +%s)
printf '%s\n' "$out" | sed 's/^/  | /'
diag "detach took $((t1 - t0)) s"
check_eq "detach without --force: exit 0" 0 "$rc"
check_match "detach says the backend process is gone" "backend process $pid is gone: closing the frontend and removing the device without it" "$out"
check "detach took less than its 10 s timeout" test $((t1 - t0)) -lt 8
check "no frontend dir left" sh -c "! xenstore-exists $FED"
check "no backend dir left" sh -c "! xenstore-exists $BED"
check "no record left" sh -c "! xenstore-exists $REC"
check_eq "nothing of the guest's left in xenstore" "" \
	"$(xenstore-ls -f /local/domain/0/backend 2>/dev/null | grep "/$FE/$DEV" ; xenstore-ls -f /xbdev 2>/dev/null | grep "^/xbdev/$FE/")"
check "the guest's xvdb is gone" guest_run $G 'i=0; while [ -e /sys/block/xvdb ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done; [ ! -e /sys/block/xvdb ]'
check "watch reports the removal" wait_for 5 grep -q "vbd/$DEV removed" $L/w63.txt
sed 's/^/  | /' $L/w63.txt
kill $w $wj
wait $w $wj 2>/dev/null
vbd_logs $FE $DEV
guest_destroy $G
rm -f $IMG
