# Grant use of a disk served by xbdev-blkback in `xbdev status`: after a PV
# guest's stock blkfront has read its xbdev disk (64 KiB O_DIRECT reads at
# queue depth 1, which reuse a few of blkfront's persistent grants), the
# device's text and JSON show the persistent grants mapped (nonzero), their
# cap (queues x 1056), peak and ring grants, and no warning; attached again
# with the cap lowered to 8 a queue (XBDEV_BLKBACK_MAX_PGRANTS=8 in attach's
# environment, which the backend it starts inherits), the same reads fill
# it: mapped = cap, and the warning of 90% of the cap is in the device's
# text and JSON, on the table's standard error and in the list's JSON,
# while the data past the cap (grant copy) is still right.
# timeout: 300
G=vbd85
IMG=/tmp/vbd85.img
DEV=51728
PAT=/tmp/vbd85.pat

cleanup() {
	xbdev detach $G vbd/$DEV --timeout 20 >/dev/null 2>&1
	guest_destroy $G
	rm -f $IMG $PAT
}
trap cleanup EXIT

# A pattern dom0 knows at 1 MiB into the image: 2 MiB of random data.
rm -f $IMG
dd if=/dev/zero of=$IMG bs=1048576 count=64 2>/dev/null
dd if=/dev/urandom of=$PAT bs=65536 count=32 2>/dev/null
dd if=$PAT of=$IMG bs=65536 seek=16 conv=notrunc 2>/dev/null
sum=$(sha256sum < $PAT | cut -d' ' -f1)
guest_start $G || exit 0
FE=$(guest_domid $G)
REC=/xbdev/$FE/vbd/$DEV

# read_pattern: the guest reads the pattern back with O_DIRECT (no page
# cache: every block is a request), and prints its sha256.
read_pattern() {
	guest_run $G 'dd if=/dev/xvdb bs=65536 skip=16 count=32 iflag=direct 2>/dev/null | sha256sum' | cut -d' ' -f1
}
# nonzero KEY: info/KEY published and > 0 (for wait_for).
nonzero() { [ "$(xenstore-read $REC/info/$1 2>/dev/null)" -gt 0 ] 2>/dev/null; }
# one_line TEXT: TEXT with its newlines as blanks (JSON matched in one line).
one_line() { printf '%s' "$1" | tr '\n' ' '; }

# ---- the default cap ----
check "attach --disk $IMG as xvdb" xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV 60; exit 0; }
check "guest sees xvdb" wait_for 20 guest_run $G test -b /dev/xvdb
check_eq "guest reads the pattern" "$sum" "$(read_pattern)"
check "info/persistent-grants published and > 0" wait_for 10 nonzero persistent-grants
q=$(xenstore-read $REC/info/queues)
mapped=$(xenstore-read $REC/info/persistent-grants)
max=$(xenstore-read $REC/info/persistent-grants-max)
diag "default cap: $mapped of $max mapped, $q queue(s)"
check_match "info/queues is a count" '^[1-9][0-9]*$' "$q"
check_eq "info/persistent-grants-max: queues x 1056" "$((q * 1056))" "$max"
check "fewer than 90% of the cap mapped ($mapped/$max)" [ "$((mapped * 100))" -lt "$((max * 90))" ]

out=$(xbdev status $G xvdb 2>&1)
printf '%s\n' "$out" | sed 's/^/  | /'
check_match "status: the grants line (mapped/cap, share, peak)" \
	"^grants +[1-9][0-9]*/$max persistent mapped \\([0-9]+%\\), peak [1-9][0-9]*, ring [1-9][0-9]*, copy failures 0, map failures 0\$" "$out"
check_fails "status: no warning below 90% of the cap" \
	sh -c 'printf "%s\n" "$1" | grep -q "^warning"' - "$out"
out=$(xbdev status $G xvdb --json)
j=$(one_line "$out")
check_match "status --json: grants.persistent-grants a number > 0" '"grants": *\{[^}]*"persistent-grants": *[1-9][0-9]*[,} ]' "$j"
check_match "status --json: grants.persistent-grants-max is the cap" "\"grants\": *\\{[^}]*\"persistent-grants-max\": *$max[,} ]" "$j"
check_match "status --json: grants.ring-grants > 0" '"grants": *\{[^}]*"ring-grants": *[1-9]' "$j"
check_match "status --json: no warnings" '"warnings": *\[ *\]' "$j"
err=$(xbdev status $G 2>&1 >/dev/null)
check_eq "status (table): nothing on standard error" "" "$err"
pid=$(xenstore-read $REC/pid 2>/dev/null)
check "detach" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited" wait_for 10 sh -c "! kill -0 $pid"

# ---- the cap lowered to 8 a queue, in attach's environment ----
check "attach with XBDEV_BLKBACK_MAX_PGRANTS=8" env XBDEV_BLKBACK_MAX_PGRANTS=8 xbdev attach $G vbd --disk $IMG --vdev xvdb --timeout 90 || { vbd_logs $FE $DEV 60; exit 0; }
pid=$(xenstore-read $REC/pid 2>/dev/null)
check_match "the backend has it in its environment" '^XBDEV_BLKBACK_MAX_PGRANTS=8$' "$(tr '\0' '\n' < /proc/$pid/environ 2>/dev/null)"
check "guest sees xvdb again" wait_for 20 guest_run $G test -b /dev/xvdb
check_eq "guest reads the pattern past the cap (grant copy)" "$sum" "$(read_pattern)"
check "info/persistent-grants published and > 0" wait_for 10 nonzero persistent-grants
q=$(xenstore-read $REC/info/queues)
max=$(xenstore-read $REC/info/persistent-grants-max)
check_eq "info/persistent-grants-max: queues x 8" "$((q * 8))" "$max"
check "info/persistent-grants reaches the cap" wait_for 10 sh -c "[ \"\$(xenstore-read $REC/info/persistent-grants)\" = $max ]"
check_eq "info/persistent-grants-peak is the cap" "$max" "$(xenstore-read $REC/info/persistent-grants-peak)"
check_eq "info/map-failures 0 (the cap is no map failure)" 0 "$(xenstore-read $REC/info/map-failures)"

warn="persistent grants at 100% of the cap \\($max/$max mapped\\): past it the guest's new grants go through grant copy \\(slower\\)"
out=$(xbdev status $G xvdb 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/  | /'
check_eq "status with a warning exits 0" 0 "$rc"
check_match "status: the grants line at the cap" "^grants +$max/$max persistent mapped \\(100%\\), peak $max," "$out"
check_match "status: the warning of the cap" "^warning +$warn\$" "$out"
out=$(xbdev status $G xvdb --json)
j=$(one_line "$out")
check_match "status --json: grants.persistent-grants is the cap" "\"grants\": *\\{[^}]*\"persistent-grants\": *$max[,} ]" "$j"
check_match "status --json: grants.persistent-grants-max is the lowered cap" "\"grants\": *\\{[^}]*\"persistent-grants-max\": *$max[,} ]" "$j"
check_match "status --json: the warning" "\"warnings\": *\\[ *\"$warn\" *\\]" "$j"
err=$(xbdev status $G 2>&1 >/dev/null)
printf '%s\n' "$err" | sed 's/^/  | /'
check_match "status (table): the warning on standard error" "^xbdev: status: $G xvdb: warning: $warn\$" "$err"
check_match "status --json (list): the device's warning" "\"warnings\": *\\[ *\"$warn\" *\\]" "$(one_line "$(xbdev status $G --json)")"

check "detach" xbdev detach $G vbd/$DEV --timeout 30
check "backend exited" wait_for 10 sh -c "! kill -0 $pid"
vbd_logs $FE $DEV 20
