# The lab itself: xenstored answers, two PV guests boot, each guest can read
# its own /local/domain/<id> but not the other's, dom0 writes what a guest
# reads.
# timeout: 240
check "xenstored answers" xenstore-read /local/domain/0/name
check "xl lists dom0" sh -c 'xl list | grep -q Domain-0'
guest_start g1 && ok "guest g1 booted"
guest_start g2 && ok "guest g2 booted"
id1=$(guest_domid g1); id2=$(guest_domid g2)
check "g1 reads its own /local/domain/$id1" guest_run g1 xenstore-read /local/domain/$id1/name
check_fails "g1 cannot read g2's /local/domain/$id2" guest_run g1 xenstore-read /local/domain/$id2/name
check "g2 reads its own /local/domain/$id2" guest_run g2 xenstore-ls /local/domain/$id2
check_fails "g2 cannot list g1's /local/domain/$id1" guest_run g2 xenstore-ls /local/domain/$id1
xenstore-write /local/domain/$id1/data/lab-note "hello from dom0"
check_eq "dom0 writes a node g1 reads" "hello from dom0" "$(guest_run g1 xenstore-read data/lab-note)"
check_fails "g1 cannot write dom0's nodes" guest_run g1 xenstore-write /local/domain/0/lab-x 1
