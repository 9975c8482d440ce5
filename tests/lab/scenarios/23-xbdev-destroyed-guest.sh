# Detach after the guest was destroyed: the record (dom0's) still knows the
# backend directory; detach by domain id removes everything left.
# timeout: 240
G=xgone
guest_start $G || exit 0
id=$(guest_domid $G)
C=xbgone
BE=/local/domain/0/backend/$C/$id/0
check "attach --wait none" xbdev attach $G $C --wait none
check "attach a second device" xbdev attach $G $C --wait none
guest_destroy $G
check "guest is gone" sh -c "! xl domid $G"
check "its backend dir is still there" xenstore-exists $BE
st=$(xbdev status --json | tr -d ' \n')
check_match "status: orphaned" "\"domid\":$id,\"class\":\"$C\".*\"health\":\"orphaned\"" "$st"
out=$(xbdev detach $G $C/0 2>&1); rc=$?
check_eq "detach by the dead guest's name: exit 4 (unknown domain)" 4 "$rc"
check "detach by domain id" xbdev detach $id $C/0 --timeout 10
check "backend dir removed" sh -c "! xenstore-exists $BE"
check "record removed" sh -c "! xenstore-exists /xbdev/$id/$C/0"
check "detach the second one" xbdev detach $id $C/1 --timeout 10
check "nothing of the guest left" sh -c "! xenstore-exists /local/domain/0/backend/$C && ! xenstore-exists /xbdev/$id"
