# xbdev watch against a guest that writes its own xenstore directory in a
# loop (issue 20, item 3), and guest-written text in xbdev status (item 4).
#  - Paths that only look like device paths (data/device/x,
#    data/backend/...) and nodes inside a known device make no
#    "xbdev -v watch" re-read the device list ("rescanning the device
#    list" lines), and print no event; a real change of the device's
#    state is still shown.  (The guest cannot write its device/ directory
#    itself: libxl makes it read-only to the guest.)
#  - An escape sequence and a newline the guest writes into its frontend
#    directory come out of "xbdev status" escaped, never raw; JSON has
#    them escaped by json-c.
# timeout: 300
G=xw28
C=xbw28
guest_start $G || exit 0
FE=$(guest_domid $G)
FED=/local/domain/$FE/device/$C/0
export GUEST_RUN_TIMEOUT=240
# A device of a class no guest driver takes: its states are the guest's
# own xenstore-write calls.
check "attach $C/0 (no driver)" xbdev attach $G $C --wait none
xbdev -v watch > $L/w28.out 2> $L/w28.err &
w=$!
xbdev -v watch $G $C/0 > $L/w28-dev.out 2> $L/w28-dev.err &
wd=$!
check "watch started (device appeared)" wait_for 20 grep -q "$C/0 appeared" $L/w28.out
sleep 2
rescans() { grep -c 'rescanning the device list' "$1"; }
r0=$(rescans $L/w28.err) rd0=$(rescans $L/w28-dev.err)
lines0=$(wc -l < $L/w28.out)
diag "before the loop: $r0 and $rd0 re-reads, $lines0 lines"
N=100
# Relative paths resolve below the guest's own /local/domain/<id>.
check "guest writes data/device/x, data/backend/..., and inside its device, $N times each" \
	guest_run $G "i=0; while [ \$i -lt $N ]; do xenstore-write data/device/x \$i data/backend/vbd/$FE/1/state 4 device/$C/0/junk \$i || exit 1; i=\$((i + 1)); done"
check_eq "the guest's writes landed" $((N - 1)) "$(xenstore-read /local/domain/$FE/data/device/x)"
sleep 2
r1=$(rescans $L/w28.err) rd1=$(rescans $L/w28-dev.err)
diag "after $((N * 3)) guest writes: $r1 and $rd1 re-reads, $(wc -l < $L/w28.out) lines"
check_eq "no re-read of the device list for the guest's writes (xbdev watch)" "$r0" "$r1"
check_eq "none either for xbdev watch $G $C/0" "$rd0" "$rd1"
check_eq "no event printed for them" "$lines0" "$(wc -l < $L/w28.out)"
# A real change is still shown.
check "guest moves its frontend to Initialised" guest_run $G "xenstore-write device/$C/0/state 3"
check "watch shows frontend Initialising -> Initialised" \
	wait_for 10 grep -q "$C/0 frontend Initialising -> Initialised" $L/w28.out
check "so does the device's own watch" \
	wait_for 10 grep -q "$C/0 frontend Initialising -> Initialised" $L/w28-dev.out
check_eq "still no re-read for a known device's state" "$r1" "$(rescans $L/w28.err)"

# Guest-written text in status (item 4).
# (awk makes the bytes: no backslash has to survive the way to the guest)
check "guest writes an escape sequence and a newline into its frontend node" \
	guest_run $G "v=\$(awk 'BEGIN { printf \"a%c[2Jb%chealth          ok\", 27, 10 }'); xenstore-write device/$C/0/evil \"\$v\""
st=$(xbdev status $G $C/0 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
esc=$(printf '\033')
check "status text has no ESC byte" sh -c "! printf '%s' \"\$1\" | grep -q '$esc'" sh "$st"
check_match "status text shows it escaped, on one line" \
	"^  $FED/evil = \"a\\\\x1b\\[2Jb\\\\x0ahealth          ok\"" "$st"
check "no forged health line" sh -c "! printf '%s\n' \"\$1\" | grep -q '^health          ok'" sh "$st"
js=$(xbdev status $G $C/0 --json)
check_match "JSON escapes it (json-c)" 'a\\u001b\[2Jb\\nhealth' "$js"
check "status table has no ESC byte" sh -c "! xbdev status | grep -q '$esc'"

kill $w $wd
wait $w $wd 2>/dev/null
check "detach" xbdev detach $G $C/0 --force --timeout 2
check "nothing left of $C/0" sh -c "! xenstore-exists $FED && ! xenstore-exists /xbdev/$FE/$C/0"
guest_destroy $G
