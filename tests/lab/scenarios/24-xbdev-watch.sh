# xbdev watch: a line per event with a relative timestamp, JSON lines,
# --until and --timeout.  The device lives in dom0 alone; its "drivers"
# are xenstore-write calls, so every transition is known.
# timeout: 180
# Guests left running by earlier scenarios bring their own devices
# (console/0 with dom0 as backend) into "xbdev watch 0": start clean.
guest_destroy_all
C=xbw
FE=/local/domain/0/device/$C/0
BE=/local/domain/0/backend/$C/0/0
xbdev watch 0 > $L/w.txt 2>&1 &
w1=$!
xbdev watch 0 --json > $L/wj.txt 2>&1 &
w2=$!
sleep 2
check "attach" xbdev attach 0 $C --wait none
step() { xenstore-write "$1/state" "$2"; sleep 0.5; }
step $BE 2; step $FE 3; step $BE 4; step $FE 4
check "watch --until Connected returns at once for a connected device" \
	xbdev watch 0 $C/0 --until Connected --timeout 10
out=$(xbdev watch 0 $C/0 --until Closed --timeout 2 2>&1); rc=$?
check_eq "watch --until not reached: exit 3" 3 "$rc"
check_match "watch --until timeout message" 'Closed not reached' "$out"
out=$(xbdev watch 0 --timeout 1 2>&1); rc=$?
check_eq "watch --timeout without --until: exit 0" 0 "$rc"
# The "drivers" answer Closing: the frontend closes, then the backend.
( i=0; while [ "$(xenstore-read $BE/state 2>/dev/null)" != 5 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1)); done
  step $FE 6; step $BE 6 ) &
check "detach" xbdev detach 0 $C/0 --timeout 10
sleep 1
kill $w1 $w2
if wait_for 5 sh -c "! kill -0 $w1 2>/dev/null && ! kill -0 $w2 2>/dev/null"; then
	ok "watch exits on SIGTERM"
else
	not_ok "watch exits on SIGTERM"; kill -9 $w1 $w2 2>/dev/null
fi
wait $w1 $w2 2>/dev/null
# A signal that lands while watch is busy (starting, scanning, printing)
# rather than waiting must end it too, not wait for the next event.
# (SIGTERM early: a background job of a script starts with SIGINT
# ignored, until watch installs its handler.)
late=
for s in TERM:0.05 TERM:0.1 TERM:0.2 TERM:0.3 TERM:0.5 INT:1 INT:1.5; do
	xbdev watch > /dev/null 2>&1 &
	p=$!
	sleep ${s#*:}; kill -${s%:*} $p
	wait_for 5 sh -c "! kill -0 $p 2>/dev/null" || { late="$late $s"; kill -9 $p; }
	wait $p 2>/dev/null
done
check_eq "watch ends on SIGTERM/SIGINT whenever it lands (signal:delay after which it hung:${late:- none})" "" "$late"
w=$(cat $L/w.txt)
printf '%s\n' "$w" | sed 's/^/  | /'
check_match "appeared" "^\+[0-9]+\.[0-9]{3}s Domain-0 $C/0 appeared \(frontend Initialising, backend Initialising\)" "$w"
check_match "backend Initialising -> InitWait" "$C/0 backend Initialising -> InitWait$" "$w"
check_match "frontend Initialising -> Initialised" "$C/0 frontend Initialising -> Initialised$" "$w"
check_match "backend InitWait -> Connected" "$C/0 backend InitWait -> Connected$" "$w"
check_match "frontend Initialised -> Connected" "$C/0 frontend Initialised -> Connected$" "$w"
check_match "backend Connected -> Closing" "$C/0 backend Connected -> Closing$" "$w"
check_match "frontend Connected -> Closed" "$C/0 frontend Connected -> Closed$" "$w"
check_match "backend Closing -> Closed" "$C/0 backend Closing -> Closed$" "$w"
check_match "removed" "$C/0 removed" "$w"
check "events in order" sh -c "grep -n '$C/0' $L/w.txt | cut -d' ' -f4- | tr '\n' '|' | grep -q 'appeared.*backend Initialising -> InitWait.*frontend Initialising -> Initialised.*backend InitWait -> Connected.*frontend Initialised -> Connected.*backend Connected -> Closing.*frontend Connected -> Closed.*backend Closing -> Closed.*removed'"
check_eq "JSON: one object per line" "$(grep -c . $L/wj.txt)" "$(grep -c '^{.*}$' $L/wj.txt)"
check_match "JSON: state event shape" '"event":"state","domain":"Domain-0","domid":0,"class":"xbw","devid":0,"side":"backend","from":"Initialising","to":"InitWait"' "$(tr -d ' ' < $L/wj.txt)"
