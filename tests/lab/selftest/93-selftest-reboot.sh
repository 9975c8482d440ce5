# Lab self-test: a guest that reboots (as a vCPU's triple fault makes
# it) is destroyed, not restarted by xl, and a guest_run waiting on it
# returns at once instead of waiting out its timeout.
# timeout: 180
guest_start rebooter || exit 1
t0=$(date +%s)
( sleep 3; xl reboot rebooter >/dev/null 2>&1 || xl destroy rebooter ) &
GUEST_RUN_TIMEOUT=100 guest_run rebooter 'sleep 90'; rc=$?
wait
t=$(( $(date +%s) - t0 ))
check "the rebooted guest is gone" wait_for 20 sh -c '! xl domid rebooter'
if [ $rc = 125 ] && [ $t -le 13 ]; then ok "guest_run returns 125 within 10 s"
else not_ok "guest_run returns 125 within 10 s" "returned $rc after ${t}s"; fi
guest_destroy rebooter
