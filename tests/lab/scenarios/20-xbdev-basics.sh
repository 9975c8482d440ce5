# xbdev attach/status/detach on dom0 alone (frontend and backend in domain
# 0, a class no driver knows): the nodes, values and permissions written,
# the record, --dry-run, the JSON shapes, and a clean detach.
# timeout: 180
C=xbtest
FE=/local/domain/0/device/$C/0
BE=/local/domain/0/backend/$C/0/0
REC=/xbdev/0/$C/0

check "xbdev --version" xbdev --version
check "xbdev --help lists attach" sh -c 'xbdev --help | grep -q "^  attach"'
for c in $(xbdev help-commands); do
	check "xbdev $c --help" xbdev "$c" --help
done

store_snapshot
dry=$(xbdev attach 0 $C --dry-run 2>&1)
printf '%s\n' "$dry" | sed 's/^/  | /'
check_store_unchanged "--dry-run writes nothing"
check_match "--dry-run shows the frontend state node" "^$FE/state = \"1\" \\(n0\\)\$" "$dry"
check_match "--dry-run shows the record" "^$REC/backend = \"$BE\" \\(n0\\)\$" "$dry"

check "attach --wait none" xbdev attach 0 $C --wait none
check_eq "frontend state 1" 1 "$(xenstore-read $FE/state)"
check_eq "backend state 1" 1 "$(xenstore-read $BE/state)"
check_eq "frontend points at the backend" "$BE" "$(xenstore-read $FE/backend)"
check_eq "backend points at the frontend" "$FE" "$(xenstore-read $BE/frontend)"
check_eq "backend online" 1 "$(xenstore-read $BE/online)"
check_eq "record type" "$C" "$(xenstore-read $REC/type)"
check_match "record ACL is dom0 only" '\(n0\)$' "$(xenstore-ls -p /xbdev/0/$C | grep '^0 =')"

check "second attach picks devid 1" xbdev attach 0 $C --wait none
check "devid 1 exists" xenstore-exists /local/domain/0/device/$C/1

st=$(xbdev status 2>&1)
printf '%s\n' "$st" | sed 's/^/  | /'
check_match "status lists $C/0" "$C +0 " "$st"
js=$(xbdev status --json 0 2>&1)
check_match "status --json has health" '"health":"(connecting|stuck)"' "$(printf '%s' "$js" | tr -d ' \n')"
one=$(xbdev status 0 $C/0 2>&1)
printf '%s\n' "$one" | sed 's/^/  | /'
check_match "device view shows backend nodes with perms" "$BE/online = \"1\" \\(n0\\)" "$one"
check_eq "list-devices" "$C/0 $C/1" "$(xbdev list-devices 0 | grep "^$C/" | tr '\n' ' ' | sed 's/ $//')"
check_match "list-domains has Domain-0" '^Domain-0$' "$(xbdev list-domains)"

check "detach $C/0" xbdev detach 0 $C/0 --timeout 10
check "frontend dir gone" gone $FE
check "backend dir gone" gone $BE
check "record gone" gone $REC
check "detach $C/1" xbdev detach 0 $C/1 --timeout 10
check "no empty parents left" sh -c "! xenstore-exists /local/domain/0/backend/$C && ! xenstore-exists /local/domain/0/device/$C && ! xenstore-exists /xbdev/0"

js=$(xbdev attach 0 $C --wait none --json 2>&1)
printf '%s\n' "$js" | sed 's/^/  | /'
check_match "attach --json has the backend path" "\"backend\":\"$BE\"" "$(printf '%s' "$js" | tr -d ' \n')"
check "cleanup" xbdev detach 0 $C/0
check_store_unchanged "xenstore as before"
