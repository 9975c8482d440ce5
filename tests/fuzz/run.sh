#!/bin/sh
# Builds every tests/fuzz/fuzz-*.c as a libFuzzer target and runs each one
# for FUZZ_SECONDS (default 60), printing one TAP line per target:
#   ok N - fuzz: NAME (R runs in S s)
#   not ok N - fuzz: NAME: crash|leak|timeout ... see ARTIFACT
#
# Each target is compiled from its .c on every run (so whatever it
# includes is current); the archives' objects are rebuilt when their .c or
# any header of lib/, backend/ or frontend/ is newer.
#
# Targets link against lib/*.c, backend/*.c and frontend/*.c (each minus
# main.c), built with clang -fsanitize=fuzzer-no-link,address,undefined; a
# target links only the objects it needs (static archives).
#
# Seeds come from tests/fuzz/corpus/NAME/ (read only); new inputs go to
# $B/fuzz/corpus/NAME/, crash/leak/timeout artifacts to $B/fuzz/artifacts/.
#
# Environment: B (build dir, default build), FUZZ_SECONDS, FUZZ_ONLY (a
# regex matched against target names), CLANG (default clang), FUZZ_JOBS
# is not used: targets run one after the other (2 cores are shared).
set -u
B=${B:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_ONLY=${FUZZ_ONLY:-}
CLANG=${CLANG:-clang}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="$B/fuzz"
mkdir -p "$out/obj" "$out/corpus" "$out/artifacts" || exit 1
out=$(cd "$out" && pwd)

VERSION=$(cat "$top/VERSION" 2>/dev/null || echo 0.1.0)
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS="-std=gnu11 -O1 -g -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
 -DXBDEV_VERSION=\"$VERSION\" -DXBDEV_LIBEXECDIR=\"/usr/libexec/xbdev\" \
 -I$top/lib -I$top/backend -I$top/frontend $SAN"
# Libraries from their pkg-config files where there is one, as the Makefile.
LIBS=""
for p in xenstore:xenstore xenlight:xenlight xentoollog:xentoollog json-c:json-c \
	 xenevtchn:xenevtchn xengnttab:xengnttab liburing:uring; do
	l=$(pkg-config --libs "${p%%:*}" 2>/dev/null) || l=-l${p#*:}
	CFLAGS="$CFLAGS $(pkg-config --cflags "${p%%:*}" 2>/dev/null)"
	LIBS="$LIBS $l"
done
LIBS="$LIBS -lpthread"

n=0
tap() { n=$((n + 1)); echo "$1 $n - fuzz: $2"; }

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "1..1"
	tap "not ok" "clang not found (set CLANG)"
	exit 1
fi

# Build the project sources once, as archives.
build_lib() { # name files...
	name=$1; shift
	objs=""
	for src in "$@"; do
		[ -f "$src" ] || continue
		o="$out/obj/$name-$(basename "$src" .c).o"
		if [ ! -f "$o" ] || [ "$src" -nt "$o" ] || \
		   [ -n "$(find "$top/lib" "$top/backend" "$top/frontend" \
			-name '*.h' -newer "$o" 2>/dev/null | head -n 1)" ]; then
			# shellcheck disable=SC2086
			$CLANG $CFLAGS -fsanitize=fuzzer-no-link -c -o "$o" "$src" \
				2>"$o.log" || { echo "# build failed: $src"; \
				sed 's/^/#   /' "$o.log" | head -n 20; return 1; }
		fi
		objs="$objs $o"
	done
	rm -f "$out/lib$name.a"
	[ -n "$objs" ] || return 0
	# shellcheck disable=SC2086
	ar rcs "$out/lib$name.a" $objs
}

libs_ok=1
build_lib xbdev "$top"/lib/*.c || libs_ok=0
# shellcheck disable=SC2046
build_lib backend $(ls "$top"/backend/*.c 2>/dev/null | grep -v '/main\.c$') || libs_ok=0
# shellcheck disable=SC2046
build_lib frontend $(ls "$top"/frontend/*.c 2>/dev/null | grep -v '/main\.c$') || libs_ok=0

targets=""
for f in "$here"/fuzz-*.c; do
	[ -f "$f" ] || continue
	t=$(basename "$f" .c)
	if [ -n "$FUZZ_ONLY" ] && ! echo "$t" | grep -Eq "$FUZZ_ONLY"; then
		continue
	fi
	targets="$targets $t"
done
count=$(echo $targets | wc -w)
echo "1..$count"

archives=""
for a in frontend backend xbdev; do
	[ -f "$out/lib$a.a" ] && archives="$archives $out/lib$a.a"
done

for t in $targets; do
	bin="$out/$t"
	if [ "$libs_ok" != 1 ]; then
		tap "not ok" "$t: project sources did not build with clang"
		continue
	fi
	# shellcheck disable=SC2086
	if ! $CLANG $CFLAGS -fsanitize=fuzzer -o "$bin" "$here/$t.c" \
		$archives $LIBS >"$bin.build.log" 2>&1; then
		tap "not ok" "$t: build failed (see $bin.build.log)"
		sed 's/^/#   /' "$bin.build.log" | head -n 20
		continue
	fi
	seeds="$here/corpus/$t"
	work="$out/corpus/$t"
	mkdir -p "$work"
	[ -d "$seeds" ] || seeds=""
	log="$out/$t.log"
	rm -f "$out/artifacts/$t-"*
	# -detect_leaks: LeakSanitizer at the end of each input;
	# -timeout: one input running 10 s is a hang, reported as such.
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-detect_leaks=1 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/$t-" \
		"$work" $seeds >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	art=$(ls "$out/artifacts/$t-"* 2>/dev/null | head -n 1)
	if [ $rc -eq 0 ] && [ -z "$art" ]; then
		tap "ok" "$t (${runs:-?} runs, ${secs:-?}/s, ${FUZZ_SECONDS} s)"
	else
		what=$(grep -Eo 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer): [a-zA-Z-]+' "$log" | head -n 1)
		[ -n "$what" ] || what=$(grep -m1 -E 'runtime error|deadly signal|timeout' "$log")
		tap "not ok" "$t: ${what:-exit status $rc} (artifact: ${art:-none}, log: $log)"
		grep -E 'ERROR|runtime error|#[0-9]+ 0x' "$log" | head -n 15 | sed 's/^/#   /'
	fi
done
