#!/bin/sh
# One dialect for error codes (HACKING.md, Conventions): a chain of steps is
#	err = a();
#	if (!err)
#		err = b();
# and a single call is `err = f(); if (err) return err;` (or goto out).
# Two other spellings are refused in lib/ backend/ frontend/ daemon/ cli/:
#  - GNU elvis chains: `err = err ?: b();` (err, r, rc or ret), or a line
#    ending in `?:` after a call or an assignment to one of those (a chain
#    continued on the next line); `s ?: "none"` as a value default stays
#    allowed;
#  - assignments in a condition: `if ((VAR = ...` / `if (!(VAR = ...`
#    (any VAR), and an error code (err or r) assigned inside an if/while
#    condition elsewhere: `while ((err = ...`, `x && (r = ...`, or a
#    condition's continuation line starting with `(r = ...`.
# Comment lines are not looked at.  One TAP line per offending line, naming
# file:line; "ok" when there is none.
top=$(cd "$(dirname "$0")/../.." && pwd)
dirs="lib backend frontend daemon cli"
E='(err|r|rc|ret)'
ELVIS="\\<$E = $E \\?:|\\<$E = .*\\?:[[:space:]]*\$|\\) \\?:[[:space:]]*\$"
ASSIGN="\\<if \\(!?\\([A-Za-z_][A-Za-z0-9_]*(->|\\.)?[A-Za-z0-9_]* = |\\<while \\(!?\\((err|r|rc) = |(&&|\\|\\|) *!?\\((err|r|rc) = |^[[:space:]]*!?\\((err|r|rc) = "

n=0 bad=0
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT INT TERM
# check DESC REGEX HINT: one "not ok" per matching line, else one "ok".
check() {
	(cd "$top" && find $dirs -name '*.[ch]' | LC_ALL=C sort |
		xargs grep -nE "$2" /dev/null |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(/?\*|//)') >"$tmp"
	if [ ! -s "$tmp" ]; then
		n=$((n + 1))
		echo "ok $n - no $1 in $dirs"
		return
	fi
	while IFS= read -r h; do
		where=${h%%:[!0-9]*}    # file:line
		text=$(printf '%s' "${h#"$where":}" | sed 's/^[[:space:]]*//')
		n=$((n + 1)) bad=$((bad + 1))
		echo "not ok $n - $1 at $where: $text ($3)"
	done <"$tmp"
}

check "elvis error chain" "$ELVIS" "write err = a(); if (!err) err = b();"
check "assignment in a condition" "$ASSIGN" \
	"assign first: err = f(); if (err) ..."
echo "1..$n"
[ "$bad" -eq 0 ]
