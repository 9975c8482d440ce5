#!/bin/sh
# Runs every unit test (no Xen needed) and prints one TAP stream:
#  - $B/tests/test-* : cmocka binaries, run with TAP output;
#  - tests/unit/*.sh : shell tests that print TAP themselves.
# A binary that crashes or exits non-zero without a "not ok" line is
# reported as "not ok" here, so nothing fails silently.
B=${B:-build}
here=$(cd "$(dirname "$0")" && pwd)
export B CMOCKA_MESSAGE_OUTPUT=TAP
for t in "$B"/tests/test-* "$here"/unit/*.sh; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	echo "# unit: $name"
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^(ok|not ok)' | sed "s/^\(ok\|not ok\) \([0-9]* \)\{0,1\}\(- \)\{0,1\}/\1 - $name: /"
	printf '%s\n' "$out" | grep -vE '^(ok|not ok|1\.\.)' | sed 's/^/# /'
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		echo "not ok - $name: exited with status $rc"
	fi
done
# The same cmocka binaries under valgrind: no invalid access, no leak
# (UNIT_VALGRIND=0 skips it: tests/mutate.sh, which only wants verdicts).
if [ "${UNIT_VALGRIND:-1}" != 0 ] && command -v valgrind >/dev/null 2>&1; then
	for t in "$B"/tests/test-*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		if valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite "$t" >/dev/null 2>"$B/tests/$name.valgrind"; then
			echo "ok - valgrind: $name"
		elif [ $? -eq 99 ]; then
			echo "not ok - valgrind: $name (see $B/tests/$name.valgrind)"
		else
			echo "ok - valgrind: $name # SKIP the test itself failed"
		fi
	done
fi
