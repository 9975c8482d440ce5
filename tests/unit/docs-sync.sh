#!/bin/sh
# The man page and the bash completion must not drift from the code.
# Everything is derived from the built binary, $B/xbdev:
#   - its public commands ("Commands:" of `xbdev --help`) and global options;
#   - each command's long options and arguments (`xbdev CMD --help`);
#   - every exit status its --help texts name.
# Checked: each command has its section in man/xbdev.1 whose heading names
# the command's arguments; each option is documented in its command's
# section (or, for --help/--usage/--version, under GLOBAL OPTIONS); each exit
# status is in EXIT STATUS; and the completion, sourced in bash and run
# against the same binary, offers each command and each option.  The other
# programs ($B/xbdev-*, $B/xbdevd) are held to their own man page the same way
# (options and exit statuses), when they have one.
# Prints TAP.
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
case $B in /*) bin=$B/xbdev ;; *) bin=$top/$B/xbdev ;; esac
man=$top/man/xbdev.1
comp=$top/completions/xbdev.bash
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
# t DESC CMD...: ok when CMD succeeds.
t() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }

if [ ! -x "$bin" ]; then
	echo "ok 1 - docs-sync # SKIP $bin not built"
	echo "1..1"
	exit 0
fi
if [ ! -f "$man" ] || [ ! -f "$comp" ]; then
	echo "not ok 1 - man/xbdev.1 and completions/xbdev.bash exist"
	echo "1..1"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# The man page as plain words: roff escapes and fonts removed.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$man" > "$tmp/man"

# section NAME: the lines of ".SH NAME" up to the next .SH.
section() {
	awk -v s="$1" '/^\.SH / { on = (substr($0, 5) == s || substr($0, 5) == "\"" s "\"") ; next } on' "$tmp/man"
}
# subsection CMD: the lines of ".SS xbdev CMD ..." up to the next .SS/.SH.
subsection() {
	awk -v c="$1" '/^\.S[SH] / { on = ($1 == ".SS" && $2 == "xbdev" && $3 == c); if (on) print; next } on' "$tmp/man"
}
# long_opts: the long options of an argp --help text on stdin.
long_opts() {
	sed -n 's/^ \{1,\}\(-[^-], \)\{0,1\}\(--[A-Za-z0-9][A-Za-z0-9-]*\).*/\2/p' | sort -u
}
# exit_codes: the numbers of an "Exit status: 0 success, 1 ..." text.
exit_codes() {
	tr '\n' ' ' | sed -n 's/.*Exit status:\(.*\)/\1/p' |
		grep -o '\(^\|[ ,:]\)[0-9]\{1,3\} [a-z]' | grep -o '[0-9]\{1,3\}' | sort -u
}
# completes WORD... : the completion's candidates for the line
# "xbdev WORD..." with the cursor in the last word.
completes() {
	bash -c '
		comp=$1 bin=$2; shift 2
		. "$comp" || exit 1
		COMP_WORDS=("$bin" "$@")
		COMP_CWORD=$(($# ))
		COMP_LINE="$bin $*"; COMP_POINT=${#COMP_LINE}
		_xbdev "$bin" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' completes "$comp" "$bin" "$@" 2>/dev/null
}
has_line() { grep -qxF -- "$1" "$2"; }
# mentions FILE OPT: OPT appears in FILE as a whole option name.
mentions() { grep -q -- "$2\\([^A-Za-z0-9-]\\|\$\\)" "$1"; }
# defined_opts: the options a section defines (".TP" items), e.g.
# ".BR \-d \", \" \-\-devid =ID" -> --devid.
defined_opts() {
	awk 'prev == ".TP" { print } { prev = $0 }' |
		grep -o -- '--[A-Za-z0-9][A-Za-z0-9-]*' | sort -u
}

"$bin" --help > "$tmp/help" 2>&1
t "xbdev --help exits 0" test $? -eq 0
sed -n '/^Commands:/,/^$/p' "$tmp/help" | sed -n 's/^  \([a-z][a-z0-9-]*\) .*/\1/p' > "$tmp/cmds"
t "xbdev --help lists commands" test -s "$tmp/cmds"

# ---- global options -----------------------------------------------------------
section "GLOBAL OPTIONS" > "$tmp/global"
completes - > "$tmp/c-global"
long_opts < "$tmp/help" > "$tmp/gopts"
for o in $(defined_opts < "$tmp/global"); do
	t "man: global option $o exists in xbdev --help" has_line "$o" "$tmp/gopts"
done
for o in $(cat "$tmp/gopts"); do
	t "man: global option $o under GLOBAL OPTIONS" mentions "$tmp/global" "$o"
	case $o in
	--help | --usage) ;;	# argp's own; the helper lists what xbdev defines
	*) t "completion offers global option $o" \
		grep -qx -- "$o=\\{0,1\\}" "$tmp/c-global" ;;
	esac
done

# ---- commands -----------------------------------------------------------------
completes "" > "$tmp/c-cmds"
for c in $(cat "$tmp/cmds"); do
	subsection "$c" > "$tmp/sec"
	t "man: command $c has a section (.SS xbdev $c)" test -s "$tmp/sec"
	t "completion offers command $c" has_line "$c" "$tmp/c-cmds"
	if ! "$bin" "$c" --help > "$tmp/chelp" 2>&1; then
		not_ok "xbdev $c --help exits 0"
		continue
	fi
	# Arguments: "Usage: xbdev attach [OPTION...] DOMAIN CLASS".
	args=$(head -n 1 "$tmp/chelp" | sed -e "s/^Usage: xbdev $c//" \
		-e 's/\[OPTION\.\.\.\]//' -e 's/^ *//' -e 's/ *$//')
	head=$(head -n 1 "$tmp/sec" | sed -e 's/[][]//g' -e 's/  */ /g')
	for a in $(printf '%s\n' "$args" | tr -d '[]'); do
		t "man: section of $c names its argument $a" \
			sh -c 'printf "%s\n" "$1" | grep -qw -- "$2"' - "$head" "$a"
	done
	completes "$c" -- > "$tmp/c-opts"
	for o in $(long_opts < "$tmp/chelp"); do
		case $o in
		--help | --usage | --version)
			t "man: $c $o (under GLOBAL OPTIONS)" mentions "$tmp/global" "$o"
			;;
		*)
			t "man: $c $o documented in its section" \
				mentions "$tmp/sec" "$o"
			;;
		esac
		case $o in
		--usage | --version) ;;	# argp's own, not xbdev's
		*) t "completion offers $c $o" \
			grep -qx -- "$o=\\{0,1\\}" "$tmp/c-opts" ;;
		esac
	done
	# The other way round: no option documented that the code lacks.
	long_opts < "$tmp/chelp" > "$tmp/copts"
	for o in $(defined_opts < "$tmp/sec"); do
		t "man: $c $o exists in xbdev $c --help" has_line "$o" "$tmp/copts"
	done
	exit_codes < "$tmp/chelp" >> "$tmp/codes"
done
[ "$(wc -l < "$tmp/cmds")" -gt 0 ] || not_ok "no command found in xbdev --help"

# ---- exit status --------------------------------------------------------------
exit_codes < "$tmp/help" >> "$tmp/codes"
section "EXIT STATUS" > "$tmp/exit"
t "xbdev --help documents exit statuses" test -s "$tmp/codes"
for code in $(sort -u "$tmp/codes"); do
	t "man: exit status $code under EXIT STATUS" grep -qx "\\.B $code" "$tmp/exit"
done
# A bad limit SPEC (exit 2) where limit is described: its --help, its
# section, and under EXIT STATUS.
"$bin" limit --help 2>&1 | tr '\n' ' ' > "$tmp/lhelp"
t "xbdev limit --help: a bad SPEC exits 2" grep -q "bad SPEC exits 2" "$tmp/lhelp"
subsection limit | tr '\n' ' ' > "$tmp/lsec"
t "man: limit's section: a bad SPEC exits with status 2" \
	grep -q "bad \.I SPEC exits with status 2" "$tmp/lsec"
tr '\n' ' ' < "$tmp/exit" > "$tmp/lexit"
t "man: EXIT STATUS 2 names an invalid limit SPEC" \
	grep -q "\.B 2 .*invalid limit \.I SPEC.*\.B 3" "$tmp/lexit"
# ---- the other programs: their own man pages ---------------------------------
# Each $B/xbdev-* with a man/<name>.1, and $B/xbdevd with man/xbdevd.8,
# must document its long options and exit
# statuses there (anywhere in the page: these have no subcommands).
for b in "$(dirname "$bin")"/xbdev-* "$(dirname "$bin")"/xbdevd; do
	[ -x "$b" ] && [ -f "$b" ] || continue
	name=$(basename "$b")
	page=$top/man/$name.1
	[ -f "$page" ] || page=$top/man/$name.8      # the service: section 8
	pname=$(basename "$page")
	if [ ! -f "$page" ]; then
		echo "ok $((n += 1)) - man/$name.1 # SKIP no man page for $name yet"
		continue
	fi
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$page" > "$tmp/page"
	"$b" --help > "$tmp/bhelp" 2>&1 < /dev/null
	for o in $(long_opts < "$tmp/bhelp"); do
		case $o in --usage | --version | --help) continue ;; esac
		t "man/$pname: option $o documented" mentions "$tmp/page" "$o"
	done
	awk '/^\.SH / { on = ($2 == "EXIT" && $3 == "STATUS"); next } on' \
		"$tmp/page" > "$tmp/pexit"
	for code in $(exit_codes < "$tmp/bhelp"); do
		t "man/$pname: exit status $code under EXIT STATUS" \
			grep -qw "$code" "$tmp/pexit"
	done
	# xbdev-blkfront's hostile catalogue: each attack has its entry.
	[ "$name" = xbdev-blkfront ] || continue
	for a in $("$b" hostile --list 2>/dev/null < /dev/null | awk '{ print $1 }'); do
		t "man/$pname: attack $a documented" grep -qx "\.B $a" "$tmp/page"
	done
done
echo "1..$n"
