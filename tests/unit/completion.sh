#!/bin/sh
# The bash completion (completions/xbdev.bash), sourced in bash and run
# against the built $B/xbdev: COMPREPLY for typical lines.  The live values
# (domains, devices) come from xbdev's list-domains / list-devices helpers,
# which need xenstore; here a wrapper answers those two with canned values
# and hands everything else to the real binary.  (The lab scenario
# 41-mydevice-seed checks the live values against a real xenstored.)
# Prints TAP.
B=${B:-build}
top=$(cd "$(dirname "$0")/../.." && pwd)
case $B in /*) real=$B/xbdev ;; *) real=$top/$B/xbdev ;; esac
comp=$top/completions/xbdev.bash
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }

if [ ! -x "$real" ]; then
	echo "ok 1 - completion # SKIP $real not built"
	echo "1..1"
	exit 0
fi
if ! command -v bash > /dev/null; then
	echo "ok 1 - completion # SKIP no bash"
	echo "1..1"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/bin" "$tmp/files"
bin=$tmp/bin/xbdev
cat > "$bin" <<EOF
#!/bin/sh
case \$1 in
list-domains)
	case \$2 in
	--gone) printf '%s\n' 5 7 ;;
	*) printf '%s\n' Domain-0 guest1 guest2 web ;;
	esac ;;
list-devices)
	case \$2 in
	'') printf '%s\n' mydevice/0 mydevice/1 vbd/51728 vif/0 ;;
	guest1) printf '%s\n' mydevice/0 mydevice/1 vbd/51728 ;;
	5) printf '%s\n' mydevice/0 ;;
	*) ;;
	esac ;;
*) exec "$real" "\$@" ;;
esac
EOF
chmod +x "$bin"
: > "$tmp/files/disk.img"
: > "$tmp/files/disk2.img"

# complete EXPECTED LINE: the candidates for LINE (cursor at its end; a
# trailing space starts a new word), sorted, space separated, must equal
# EXPECTED.  "~WORD" in EXPECTED means "contains WORD" instead.
complete_line() {
	bash -c '
		comp=$1 bin=$2 line=$3
		. "$comp" || exit 1
		COMP_LINE="xbdev $line"
		COMP_POINT=${#COMP_LINE}
		# Split as readline does: words at blanks, and "=" on its own.
		read -r -a COMP_WORDS <<<"${line//=/ = }"
		COMP_WORDS=("$bin" "${COMP_WORDS[@]}")
		[[ $line == *" " || -z $line ]] && COMP_WORDS+=("")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		_xbdev xbdev "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"
	' complete "$comp" "$bin" "$1" 2>&1
}

expect() {
	want=$1 line=$2
	got=$(complete_line "$line")
	case $want in
	"~"*)
		for w in ${want#"~"}; do
			case " $got " in
			*" $w "*) ;;
			*) not_ok "'xbdev $line<TAB>' offers $w (got: $got)"; return ;;
			esac
		done
		ok "'xbdev $line<TAB>' offers ${want#"~"}"
		;;
	*)
		if [ "$got" = "$want" ]; then ok "'xbdev $line<TAB>' -> $want"
		else not_ok "'xbdev $line<TAB>' -> '$want' (got: '$got')"; fi
		;;
	esac
}

# Minimal systems (the lab's dom0) have no /dev/fd: no process substitution.
if grep -v '^[[:space:]]*#' "$comp" | grep -q '<('; then
	not_ok "the completion uses no process substitution (needs /dev/fd)"
else
	ok "the completion uses no process substitution (needs /dev/fd)"
fi

# Commands: the public ones, never the internal helpers.
expect "~attach detach" ""
expect "attach" "at"
expect "detach" "det"
got=$(complete_line "")
case " $got " in
*" list-domains "* | *" help-commands "*) not_ok "internal helpers are not offered as commands (got: $got)" ;;
*) ok "internal helpers are not offered as commands" ;;
esac
expect "~--verbose --version" "-"
got=$(complete_line "--")
if [ "$(printf '%s\n' $got | sort | uniq -d)" = "" ]; then ok "global options offered once each ($got)"
else not_ok "global options offered once each (got: $got)"; fi

# Positional arguments, by the names the command gives them.
expect "Domain-0 guest1 guest2 web" "attach "
expect "guest1 guest2" "attach gu"
# Each class once (vbd is both xbdev's own and in use).
expect "mydevice vbd vif" "attach guest1 "
# A guest that is gone is named by its old domain id: detach and status
# offer those ids too, prune only them; attach never.
expect "5 7 Domain-0 guest1 guest2 web" "detach "
expect "mydevice/0" "detach 5 "
expect "5 7" "prune "
expect "" "prune 5 "
expect "--yes" "prune --y"
expect "Domain-0 guest1 guest2 web" "attach "
expect "mydevice/0 mydevice/1 vbd/51728" "detach guest1 "
expect "mydevice/0 mydevice/1" "detach guest1 my"
expect "" "detach guest1 mydevice/0 "

# Options of a command and their values.
expect "--dry-run" "attach guest1 mydevice --dr"
expect "~--devid= --timeout= --wait= --json --help" "attach guest1 mydevice --"
expect "--force" "detach guest1 mydevice/0 --fo"
expect "connected initwait none" "attach guest1 mydevice --wait "
expect "connected" "attach guest1 mydevice --wait=con"
expect "Domain-0 guest1 guest2 web" "attach guest1 mydevice --backend-domain "
expect "web" "attach guest1 mydevice --backend-domain=w"
# Short options take the long ones' values (from --help's "-b, --backend-domain=").
expect "Domain-0 guest1 guest2 web" "attach guest1 mydevice -b "
expect "guest1 guest2" "attach guest1 mydevice -b gu"
expect "connected initwait none" "attach guest1 mydevice -w "
expect "initwait" "attach guest1 mydevice -w i"
expect "mydevice vbd vif" "attach -w none guest1 "
expect "mydevice vbd vif" "attach -b web guest1 "
expect "$tmp/files/disk.img $tmp/files/disk2.img" "attach guest1 vbd --disk $tmp/files/di"
expect "" "attach guest1 mydevice --timeout "
expect "phy qdisk xbdev" "attach guest1 vbd --backend "
expect "qdisk" "attach guest1 vbd --backend=q"
expect "raw" "attach guest1 vbd --format "
expect "4096 512" "attach guest1 vbd --sector-size "
expect "4096" "attach guest1 vbd --sector-size=4"
expect "1024 16384" "attach guest1 vbd --physical-sector-size 1"
expect "~--backend= --format= --no-discard --disk=" "attach guest1 vbd --"
# After DOMAIN CLASS comes an xl disk spec: nothing to offer.
expect "" "attach guest1 vbd "
expect "Domain-0 guest1 guest2 web" "block-list "
# limit: a device, then the first key of a spec.
expect "mydevice/0 mydevice/1 vbd/51728" "limit guest1 "
expect "rbps= riops=" "limit guest1 xvdb r"
expect "bps= burst=" "attach guest1 vbd --limit b"
# media: a device, the action, then for insert a file.
expect "mydevice/0 mydevice/1 vbd/51728" "media guest1 "
expect "eject insert" "media guest1 xvdc "
expect "insert" "media guest1 xvdc i"
expect "" "media guest1 xvdc eject "
expect "/dev/null" "media guest1 xvdc insert /dev/nul"
# resize: a device, then SIZE (nothing to offer), and its options.
expect "mydevice/0 mydevice/1 vbd/51728" "resize guest1 "
expect "" "resize guest1 xvdb "
expect "--follow --force" "resize guest1 xvdb --f"
expect "" "resize guest1 xvdb --timeout "
# An option's separate value does not count as a positional argument.
expect "~vbd mydevice" "attach --timeout 5 guest1 "
expect "~vbd mydevice" "attach --wait=none guest1 "
# Commands that exist only in newer binaries are asked for, not assumed.
for c in status watch; do
	if "$real" help-commands 2>/dev/null | grep -qx "$c"; then
		expect "~guest1 web" "$c "
		expect "mydevice/0 mydevice/1 vbd/51728" "$c guest1 "
	fi
done
expect "~5 7 guest1" "status "
case " $(complete_line "watch ") " in
*" 5 "*) not_ok "watch does not offer gone domain ids" ;;
*) ok "watch does not offer gone domain ids" ;;
esac
if "$real" help-commands watch 2>/dev/null | grep -qx -- "--until="; then
	expect "Connected" "watch guest1 mydevice/0 --until Con"
	expect "Closed Closing" "watch guest1 mydevice/0 --until=Clo"
fi
echo "1..$n"
