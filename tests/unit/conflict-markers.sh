#!/bin/sh
# No tracked file keeps a merge's conflict markers (a merge once left them
# in clang-format.sh, which broke it while it reported a skip).  wip/ holds
# patch files, whose text may quote anything, so it is left out.
top=$(cd "$(dirname "$0")/../.." && pwd)
if ! git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "1..0 # SKIP not a git work tree (tests/mutate.sh's copy)"
	exit 0
fi
echo "1..1"
hits=$(cd "$top" && git ls-files -z -- . ':!wip' |
	xargs -0 grep -nE '^(<<<<<<<|>>>>>>>) |^=======$' 2>/dev/null | head -3)
if [ -z "$hits" ]; then
	echo "ok 1 - no conflict markers in tracked files"
else
	echo "not ok 1 - conflict markers: $(echo "$hits" | tr '\n' ' ')"
fi
