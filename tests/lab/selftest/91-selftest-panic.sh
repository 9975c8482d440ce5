# Lab self-test: a guest whose kernel panics must become "not ok" with the
# reason, not a hang.
# timeout: 120
guest_start crasher panic.sh || exit 1
if guest_verdict crasher 60; then ok "crasher survived (unexpected)"
else not_ok "guest crasher runs its script" "$(guest_wait crasher '^NEVER' 1 2>&1)"; fi
