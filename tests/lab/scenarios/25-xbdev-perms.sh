# Permissions seen from inside guests: the device's guest reads its backend
# directory but cannot write it; a second guest reads neither directory;
# no guest reads xbdev's record.
# timeout: 480
G=xa
O=xb
guest_start $G || exit 0
guest_start $O || exit 0
id=$(guest_domid $G)
C=xbperm
FE=/local/domain/$id/device/$C/0
BE=/local/domain/0/backend/$C/$id/0
REC=/xbdev/$id/$C/0
check "attach $G $C" xbdev attach $G $C --wait none --back secret=42 --front hello=1
check_match "frontend ACL n$id,r0" "\\(n$id,r0\\)\$" "$(xenstore-ls -p /local/domain/$id/device/$C | grep '^0 =')"
check_match "backend ACL n0,r$id" "\\(n0,r$id\\)\$" "$(xenstore-ls -p /local/domain/0/backend/$C/$id | grep '^0 =')"
check_eq "$G reads its backend's node" 42 "$(guest_run $G xenstore-read $BE/secret)"
check_eq "$G reads its frontend node" 1 "$(guest_run $G xenstore-read $FE/hello)"
check "$G may write its own frontend state" guest_run $G xenstore-write $FE/state 1
check_fails "$G cannot write its backend" guest_run $G xenstore-write $BE/state 4
check_fails "$G cannot add a backend node" guest_run $G xenstore-write $BE/evil 1
check_fails "$G cannot remove its backend" guest_run $G xenstore-rm $BE
check_fails "$G cannot read the record" guest_run $G xenstore-read $REC/backend
check_fails "$O cannot read the frontend" guest_run $O xenstore-read $FE/hello
check_fails "$O cannot read the backend" guest_run $O xenstore-read $BE/secret
check_fails "$O cannot list the backend" guest_run $O xenstore-ls $BE
check_fails "$O cannot write the frontend" guest_run $O xenstore-write $FE/state 6
check_fails "$O cannot read the record" guest_run $O xenstore-read $REC/type
check_eq "backend state untouched" 1 "$(xenstore-read $BE/state)"
check "nothing added by guests" sh -c "! xenstore-exists $BE/evil"
one=$(xbdev status $G $C/0)
printf '%s\n' "$one" | sed 's/^/  | /'
check_match "status shows the frontend node with its ACL" "$FE/hello = \"1\" \\(n$id,r0\\)" "$one"
check_match "status shows the record node with its ACL" "$REC/type = \"$C\" \\(n0\\)" "$one"
# A guest rewriting its frontend to point elsewhere makes the device
# inconsistent, and detach still removes exactly what xbdev created.
guest_run $G xenstore-write $FE/backend /local/domain/0/backend/other/1/1
check_match "status: inconsistent" "\"class\":\"$C\".*\"health\":\"inconsistent\"" "$(xbdev status $G --json | tr -d ' \n')"
check "detach" xbdev detach $G $C/0 --timeout 5
check "all removed" sh -c "! xenstore-exists $FE && ! xenstore-exists $BE && ! xenstore-exists $REC"
