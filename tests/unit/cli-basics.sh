#!/bin/sh
# xbdev CLI without Xen: --help of every command, exit codes of bad input,
# the exact --dry-run output (golden) and its JSON shape.  Prints TAP.
B=${B:-build}
X=$(cd "$(dirname "$0")/../.." && pwd)/$B/xbdev
# No xenstore: --dry-run works offline with numeric domains.
export XENSTORED_PATH=/nonexistent/xenstored
n=0
t() { n=$((n + 1)); if [ "$1" = ok ]; then echo "ok $n - $2"; else echo "not ok $n - $2${3:+: $3}"; fi; }
# rc WANT DESC CMD...: CMD exits WANT and prints exactly one stderr line.
rc() {
	want=$1 desc=$2; shift 2
	err=$("$@" 2>&1 >/dev/null); got=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$got" = "$want" ] && [ "$lines" = 1 ]; then t ok "$desc (exit $want)"
	else t fail "$desc" "exit $got, $lines lines: $err"; fi
}

[ -x "$X" ] || { echo "1..0 # SKIP $X not built"; exit 0; }

for c in "" $("$X" help-commands) list-domains list-devices help-commands; do
	if "$X" $c --help >/dev/null 2>&1 &&
	   "$X" $c --help | grep -q "Exit status: 0 success, 1 failure, 2 usage"; then
		t ok "xbdev $c --help documents the exit codes"
	else t fail "xbdev $c --help"; fi
done
"$X" --version | grep -q "^xbdev [0-9]" && t ok "--version" || t fail "--version"
[ "$("$X" help-commands | tr '\n' ' ')" = "attach detach prune status watch " ] &&
	t ok "help-commands lists the public commands" || t fail "help-commands"
"$X" help-commands attach | grep -qx -- "--disk=" && t ok "help-commands attach lists --disk=" ||
	t fail "help-commands attach"

rc 2 "no command" "$X"
rc 2 "unknown command" "$X" frobnicate
rc 2 "prefix of a command is not a command" "$X" att 1 c
rc 2 "unknown global option" "$X" --frob
rc 2 "unknown option" "$X" attach 1 c --frob
rc 2 "missing CLASS" "$X" attach 1
rc 2 "too many arguments" "$X" attach 1 c d
rc 2 "class with /" "$X" attach 1 a/b
rc 2 "class .." "$X" attach 1 ..
rc 2 "empty class" "$X" attach 1 ""
rc 2 "class with control char" "$X" attach 1 "$(printf 'a\001')"
rc 2 "class too long" "$X" attach 1 "$(printf '%065d' 0)"
rc 2 "key with .." "$X" attach 1 c --front ../k=1
rc 2 "KEY=VALUE without =" "$X" attach 1 c --back k
rc 2 "value with newline" "$X" attach 1 c --back "k=a
b"
rc 2 "value too long" "$X" attach 1 c --back "k=$(printf '%03000d' 0)"
rc 2 "devid not a number" "$X" attach 1 c --devid x
rc 2 "devid out of range" "$X" attach 1 c --devid 2147483648
rc 2 "bad --wait" "$X" attach 1 c --wait soon
rc 2 "bad --timeout" "$X" attach 1 c --timeout -3
rc 2 "--timeout with --wait none" "$X" attach 1 c --wait none --timeout 3
rc 2 "--disk on a class other than vbd" "$X" attach 1 c --disk /etc/hostname
rc 2 "--readonly without --disk" "$X" attach 1 vbd --readonly
rc 2 "--shared without --disk" "$X" attach 1 vbd --shared
rc 2 "--vdev and --devid" "$X" attach 1 vbd --disk /etc/hostname -r --vdev xvdb --devid 5
rc 2 "missing disk" "$X" attach 1 vbd --disk /nonexistent/disk.img
rc 2 "key collides with state" "$X" attach -n 1 c -d 0 --front state=4
rc 2 "detach: no devid" "$X" detach 1 c
rc 2 "detach: bad devid" "$X" detach 1 c/-1
rc 2 "detach: bad timeout" "$X" detach 1 c/0 --timeout x
rc 2 "status: bad device" "$X" status 1 c/x
rc 2 "detach: neither CLASS/DEVID nor a vdev" "$X" detach 1 frob
rc 2 "detach: a bare number is no vdev" "$X" detach 1 51728
rc 1 "detach by vdev name: parsed, then no xenstore" "$X" detach 1 xvdb
rc 2 "prune: too many arguments" "$X" prune 1 2
rc 2 "prune: bad --timeout" "$X" prune --timeout 0
rc 1 "prune without xenstore" "$X" prune
rc 2 "watch: bad --until" "$X" watch --until Nowhere
rc 1 "status without xenstore" "$X" status
rc 1 "dry-run without xenstore needs --devid" "$X" attach -n 1 c

# ---- --dry-run: exact output ------------------------------------------------
golden='/local/domain/3/device/mydevice/2 = "" (n3,r0)
/local/domain/3/device/mydevice/2/backend = "/local/domain/0/backend/mydevice/3/2" (n3,r0)
/local/domain/3/device/mydevice/2/backend-id = "0" (n3,r0)
/local/domain/3/device/mydevice/2/feature-x = "1" (n3,r0)
/local/domain/3/device/mydevice/2/state = "1" (n3,r0)
/local/domain/0/backend/mydevice/3/2 = "" (n0,r3)
/local/domain/0/backend/mydevice/3/2/frontend = "/local/domain/3/device/mydevice/2" (n0,r3)
/local/domain/0/backend/mydevice/3/2/frontend-id = "3" (n0,r3)
/local/domain/0/backend/mydevice/3/2/online = "1" (n0,r3)
/local/domain/0/backend/mydevice/3/2/label = "say \"hi\"" (n0,r3)
/local/domain/0/backend/mydevice/3/2/state = "1" (n0,r3)
/xbdev/3/mydevice/2 = "" (n0)
/xbdev/3/mydevice/2/frontend = "/local/domain/3/device/mydevice/2" (n0)
/xbdev/3/mydevice/2/backend = "/local/domain/0/backend/mydevice/3/2" (n0)
/xbdev/3/mydevice/2/backend-id = "0" (n0)
/xbdev/3/mydevice/2/type = "mydevice" (n0)
/xbdev/3/mydevice/2/created = "T" (n0)'
out=$("$X" attach 3 mydevice --dry-run --devid 2 --front feature-x=1 \
	--back 'label=say "hi"' 2>/dev/null | sed 's/created = "[0-9]*"/created = "T"/')
img=$(mktemp); want=$(mktemp); small=$(mktemp)
trap 'rm -f "$img" "$want" "$small"' EXIT
# On a difference, say which lines differ from the golden output.
printf '%s\n' "$golden" > "$want"
[ "$out" = "$golden" ] && t ok "--dry-run output is exact" ||
	t fail "--dry-run output" "$(printf '%s\n' "$out" | diff "$want" - | grep '^[<>]' | head -4 | tr '\n' ' ')"

truncate -s 1M "$img"
# Nothing to serve, or a tail no sector reaches: refused before xenstore.
err=$("$X" attach 1 vbd --disk "$small" -r -n -d 5 2>&1)
[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'empty: nothing to serve' &&
	t ok "vbd: an empty disk is refused (exit 2)" || t fail "empty disk" "$err"
printf 'twelve bytes' > "$small"
err=$("$X" attach 1 vbd --disk "$small" -r -n -d 5 2>&1)
[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'not a multiple of 512 bytes (a sector): 12' &&
	t ok "vbd: a 12-byte disk is refused (exit 2)" || t fail "12-byte disk" "$err"
# A disk the caller may read but not write: the hint names --readonly;
# one that cannot be served at all gets no hint.  (As a user who is not
# root: root's access() is never refused.)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	ro=$(mktemp /tmp/xbdev-ro-XXXXXX.img); truncate -s 4096 "$ro"; chmod 0444 "$ro"
	err=$(nobody "$X" attach 1 vbd --disk "$ro" -n -d 5 2>&1)
	[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'Permission denied (use --readonly for a read-only image)$' &&
		t ok "vbd: an unwritable disk is refused with the --readonly hint (exit 2)" ||
		t fail "unwritable disk" "$err"
	nobody "$X" attach 1 vbd --disk "$ro" -r -n -d 5 >/dev/null 2>&1 &&
		t ok "vbd: the same disk --readonly is taken" || t fail "unwritable disk --readonly"
	chmod 0000 "$ro"
	err=$(nobody "$X" attach 1 vbd --disk "$ro" -r -n -d 5 2>&1)
	[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'Permission denied$' &&
		t ok "vbd: an unreadable disk --readonly: no hint (exit 2)" ||
		t fail "unreadable disk" "$err"
	: > "$small"; chmod 0666 "$small"
	err=$(nobody "$X" attach 1 vbd --disk "$small" -n -d 5 2>&1)
	[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'empty: nothing to serve$' &&
		t ok "vbd: an empty disk: no hint (exit 2)" || t fail "empty disk hint" "$err"
	rm -f "$ro"
else
	t ok "vbd: --readonly hint # SKIP needs root and setpriv to test as another user"
fi
out=$(XBDEV_LIBEXECDIR=/opt/x "$X" attach 4 vbd --disk "$img" --vdev xvdc \
	--readonly --dry-run 2>&1)
printf '%s\n' "$out" | grep -qx "/local/domain/0/backend/xbdev-vbd/4/51744/params = \"$img\" (n0,r4)" &&
	t ok "vbd dry-run: params is the absolute disk path" || t fail "vbd params" "$out"
printf '%s\n' "$out" | grep -qx '/local/domain/0/backend/xbdev-vbd/4/51744/mode = "r" (n0,r4)' &&
	t ok "vbd dry-run: mode r" || t fail "vbd mode"
printf '%s\n' "$out" | grep -qx '/local/domain/4/device/vbd/51744/virtual-device = "51744" (n4,r0)' &&
	t ok "vbd dry-run: virtual-device" || t fail "vbd virtual-device"
printf '%s\n' "$out" | grep -qx "spawn /opt/x/xbdev-blkback /local/domain/0/backend/xbdev-vbd/4/51744 >> /var/log/xbdev/vbd-4-51744.log" &&
	t ok "vbd dry-run: spawns \$XBDEV_LIBEXECDIR/xbdev-blkback" || t fail "vbd spawn" "$out"

# ---- --dry-run --json: shape ------------------------------------------------
js=$("$X" attach 3 mydevice -n -d 2 --json 2>/dev/null)
if command -v python3 >/dev/null; then
	if printf '%s' "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert set(d) == {"nodes"}, d.keys()
for n in d["nodes"]:
    assert set(n) == {"path", "value", "perms"}, n
    assert all(p[0] in "nrwb" and p[1:].isdigit() for p in n["perms"])
assert d["nodes"][0] == {"path": "/local/domain/3/device/mydevice/2", "value": "", "perms": ["n3", "r0"]}
'; then t ok "--dry-run --json shape"; else t fail "--dry-run --json shape"; fi
else
	echo "ok $((n = n + 1)) - --dry-run --json shape # SKIP no python3"
fi
echo "1..$n"
