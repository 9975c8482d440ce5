#!/bin/sh
# The files that follow .clang-format stay so: one TAP line per file, "not
# ok" with the first differing line when `clang-format` would change it.
# Only the files listed here are covered: the rest of the tree aligns
# comments and breaks lines by hand in ways clang-format cannot describe
# (see .clang-format).  A file joins the list once it conforms.
# Skipped without clang-format.
top=$(cd "$(dirname "$0")/../.." && pwd)
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
files="cli/blocklist.c cli/disk.c cli/list.c cli/xldisk.c frontend/req.c
frontend/stats.c lib/blocklist.c lib/core.c lib/names.c lib/path.c lib/xldisk.c
tests/fuzz/fuzz-xs-size.c tests/fuzz/fuzz-xs-vdev.c tests/fuzz/fuzz-xs-xldisk.c
tests/unit/served-vbd.h tests/unit/test-cli-blocklist.c tests/unit/test-lib-detach.c
tests/unit/test-lib-image.c tests/unit/test-lib-status.c tests/unit/test-lib-xldisk.c
lib/prune.c cli/gone.c cli/prune.c tests/unit/test-lib-prune.c
tests/unit/test-cli-prune.c tests/unit/test-cli-attach.c
lib/log-tail.c lib/devnode.c
tests/unit/test-lib-devnode.c
lib/limit.c backend/limit.c cli/limit.c tests/unit/test-backend-limit.c
tests/fuzz/fuzz-xs-limit.c
cli/resize.c tests/unit/test-cli-resize.c tests/unit/test-backend-resize.c
tests/unit/blk-dev-fix.h lib/grants.c tests/unit/test-lib-grants.c
tests/unit/test-cli-status.c lib/media.c cli/media.c tests/unit/test-lib-media.c
backend/journal.c backend/crash.c tests/unit/test-backend-journal.c
tests/unit/test-backend-crash.c"
n=0
if ! command -v "$CLANG_FORMAT" >/dev/null 2>&1; then
	echo "1..0 # SKIP no $CLANG_FORMAT"
	exit 0
fi
for f in $files; do
	n=$((n + 1))
	if [ ! -f "$top/$f" ]; then
		echo "not ok $n - $f: listed but missing"
		continue
	fi
	first=$(cd "$top" && "$CLANG_FORMAT" --style=file "$f" | diff "$f" - |
		grep -m1 '^[<>]')
	if [ -z "$first" ]; then echo "ok $n - $f follows .clang-format"
	else echo "not ok $n - $f follows .clang-format: $first"; fi
done
echo "1..$n"
