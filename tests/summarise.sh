#!/bin/sh
# Reads TAP on stdin, echoes it, and ends with the one closing line
# "N passed, N failed[, N skipped]".  Exits 1 when anything failed or
# when no test ran at all.
pass=0 fail=0 skip=0
while IFS= read -r line; do
	printf '%s\n' "$line"
	case "$line" in
	"not ok"*"# TODO"*|"not ok"*"# todo"*) skip=$((skip + 1)) ;;
	"not ok"*) fail=$((fail + 1)) ;;
	"ok"*"# SKIP"*|"ok"*"# skip"*) skip=$((skip + 1)) ;;
	"ok"*) pass=$((pass + 1)) ;;
	esac
done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ] && [ $((pass + skip)) -gt 0 ]
