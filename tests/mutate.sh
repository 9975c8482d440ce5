#!/bin/sh
# Mutation testing of the unit suite: for each mutation in LIST (default
# tests/unit/mutations.txt; format there), apply it to a scratch copy of
# the tree, rebuild, run the unit tests (check-unit without valgrind) and
# say whether they failed ("killed") or passed ("SURVIVED").  The work
# tree is never changed: the copy lives in a temporary directory (kept
# with MUTATE_KEEP=1).  Not part of check-unit or CI: it rebuilds once
# per mutation (about 10-30 s each).  Exit status 1 when a mutation
# survived or could not be applied.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
list=${1:-$here/tests/unit/mutations.txt}
case $list in /*) ;; *) list=$PWD/$list ;; esac
per_run=${MUTATE_TIMEOUT:-600}
tmp=$(mktemp -d /tmp/xbdev-mutate-XXXXXX) || exit 1
[ "${MUTATE_KEEP:-0}" = 1 ] || trap 'rm -rf "$tmp"' EXIT
tree=$tmp/tree
mkdir "$tree"
# The tree as it is now (uncommitted changes included), less build output.
(cd "$here" && git ls-files -co --exclude-standard -z |
	xargs -0 tar cf - 2>/dev/null) | (cd "$tree" && tar xf -) || exit 1

units() {
	(cd "$tree" && B=build UNIT_VALGRIND=0 timeout "$per_run" \
		make -s -j2 check-unit) </dev/null >"$tmp/run.log" 2>&1
}

echo "# baseline (no mutation)"
if ! units; then
	tail -20 "$tmp/run.log"
	echo "the unmutated tree fails its unit tests: nothing to measure"
	exit 1
fi

# apply FILE OLD NEW: replace OLD (a fixed string on exactly one line)
apply() {
	awk -v old="$2" -v new="$3" '
		{ lines[NR] = $0; if (index($0, old)) { hits++; at = NR } }
		END {
			if (hits != 1) exit 1
			l = lines[at]; i = index(l, old)
			lines[at] = substr(l, 1, i - 1) new substr(l, i + length(old))
			for (k = 1; k <= NR; k++) print lines[k]
		}' "$tree/$1" >"$tmp/mutant" && cp "$tmp/mutant" "$tree/$1"
}

killed=0 survived=0 broken=0
run_one() {
	file=$1 what=$2 old=$3 new=$4
	# (the copy's own file: the work tree may change meanwhile)
	[ -f "$tree/$file" ] || {
		echo "not applied: $file: no such file ($what)"
		broken=$((broken + 1)); return; }
	cp -p "$tree/$file" "$tmp/orig"
	if ! apply "$file" "$old" "$new"; then
		echo "not applied: $file: \"$old\" is not on exactly one line ($what)"
		broken=$((broken + 1)); return
	fi
	touch "$tree/$file"
	if units; then
		echo "SURVIVED: $file: $what"
		survived=$((survived + 1))
	elif grep -q 'error:' "$tmp/run.log" &&
	     ! grep -q 'passed, ' "$tmp/run.log"; then
		echo "not applied: $file: the mutant does not build ($what)"
		broken=$((broken + 1))
	else
		echo "killed: $file: $what"
		killed=$((killed + 1))
	fi
	cp -p "$tmp/orig" "$tree/$file"
	touch "$tree/$file"
}

file= what= old=
while IFS= read -r line; do
	case $line in
	"@ "*)	line=${line#@ }; file=${line%% *}; what=${line#* }; old= ;;
	"- "*)	old=${line#- } ;;
	"+ "*)	run_one "$file" "$what" "$old" "${line#+ }" ;;
	esac
done <"$list"
echo "$killed killed, $survived survived, $broken not applied"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
