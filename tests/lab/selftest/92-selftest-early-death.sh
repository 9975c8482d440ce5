# Lab self-test: a guest without disks that dies during boot (here: before
# its first console line) is booted again, up to twice (guest_start's
# retries for the nested-paging boot flakes); dying three times is "not ok"
# with the reason.
# timeout: 300
# destroy_early NAME TIMES: destroys NAME once it runs (libxl has unpaused
# it: xl create is done) while its console is still empty.
_unpaused() { xl list "$1" 2>/dev/null | awk 'NR == 2 && $5 !~ /p/ { f = 1 } END { exit !f }'; }
destroy_early() {
	local n=0 t=0
	while [ $n -lt "$2" ] && [ $t -lt 600 ]; do
		if _unpaused "$1" && ! _console_has "$1" .; then
			xl destroy "$1" >/dev/null 2>&1 && n=$((n + 1))
		fi
		t=$((t + 1)); sleep 0.1
	done
}
destroy_early early1 1 &
guest_start early1 && ok "a guest that died before its first console line was booted again"
wait
guest_destroy early1
destroy_early early2 2 &
guest_start early2 && ok "a guest that died twice before its first console line was booted a third time"
wait
guest_destroy early2
destroy_early early3 3 &
guest_start early3 && ok "early3 booted (unexpected)"
wait
guest_destroy early3
