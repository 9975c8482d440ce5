# Lab self-test: a guest that reboots (as a vCPU's triple fault makes
# it) is destroyed, not restarted by xl, and a guest_run waiting on it
# returns at once instead of waiting out its timeout.
# timeout: 180
guest_start rebooter || exit 1
t0=$(date +%s)
# The guest's own kernel reboots it (sysrq b: at once, as a reset): `xl
# reboot` asks the guest's init, which the lab's init does not answer.
GUEST_RUN_TIMEOUT=100 guest_run rebooter 'sleep 3; echo b > /proc/sysrq-trigger; sleep 90'; rc=$?
t=$(( $(date +%s) - t0 ))
check "the rebooted guest is gone" wait_for 20 sh -c '! xl domid rebooter'
if [ $rc = 125 ] && [ $t -le 13 ]; then ok "guest_run returns 125 within 10 s"
else not_ok "guest_run returns 125 within 10 s" "returned $rc after ${t}s"; fi
guest_destroy rebooter
