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
[ "$("$X" help-commands | tr '\n' ' ')" = "attach detach resize prune status watch limit media block-list " ] &&
	t ok "help-commands lists the public commands" || t fail "help-commands"
"$X" help-commands attach | grep -qx -- "--disk=" && t ok "help-commands attach lists --disk=" ||
	t fail "help-commands attach"

rc 2 "no command" "$X"
rc 2 "media without an action" "$X" media 1 xvdc
rc 2 "media: unknown action" "$X" media 1 xvdc open
rc 2 "media insert without IMAGE" "$X" media 1 xvdc insert
rc 2 "media eject with an IMAGE" "$X" media 1 xvdc eject /a.iso
rc 2 "media: too many arguments" "$X" media 1 xvdc insert /a.iso b
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
rc 2 "--vdev and --devid" "$X" attach 1 vbd --disk /etc/hostname -r --vdev xvdb --devid 51744
rc 2 "missing disk" "$X" attach 1 vbd --disk /nonexistent/disk.img
rc 2 "key collides with state" "$X" attach -n 1 c -d 0 --front state=4
rc 2 "detach: no devid" "$X" detach 1 c
rc 2 "detach: bad devid" "$X" detach 1 c/-1
rc 2 "detach: bad timeout" "$X" detach 1 c/0 --timeout x
rc 2 "status: bad device" "$X" status 1 c/x
rc 2 "detach: neither CLASS/DEVID nor a vdev" "$X" detach 1 frob
rc 2 "detach: a bare number is no vdev" "$X" detach 1 51728
rc 1 "detach by vdev name: parsed, then no xenstore" "$X" detach 1 xvdb
rc 2 "resize: no SIZE and no --follow" "$X" resize 1 xvdb
rc 2 "resize: SIZE and --follow" "$X" resize 1 xvdb 1G --follow
rc 2 "resize: SIZE not a multiple of 512" "$X" resize 1 xvdb 1000
rc 2 "resize: SIZE with an unknown suffix" "$X" resize 1 xvdb 1X
rc 2 "resize: SIZE too large" "$X" resize 1 xvdb 9000000000T
rc 2 "resize: neither CLASS/DEVID nor a vdev" "$X" resize 1 frob 1G
rc 2 "resize: bad --timeout" "$X" resize 1 xvdb 1G --timeout 0
rc 1 "resize: parsed, then no xenstore" "$X" resize 1 xvdb +16M
rc 2 "prune: too many arguments" "$X" prune 1 2
rc 2 "prune: bad --timeout" "$X" prune --timeout 0
rc 1 "prune without xenstore" "$X" prune
rc 2 "watch: bad --until" "$X" watch --until Nowhere
rc 2 "a vbd without a disk (kernel blkback, nothing to serve)" "$X" attach -n 1 vbd -d 51728
rc 2 "--backend-type vbd without a disk or --back" "$X" attach -n 1 vbd -t vbd -d 51728
rc 2 "--devid 3 on a vbd (blkfront refuses it)" "$X" attach -n 1 vbd -d 3 --back x=1
rc 2 "--vdev 3 (blkfront refuses it)" "$X" attach -n 1 vbd --disk /etc/hostname -r --vdev 3
rc 2 "--no-discard without --disk" "$X" attach -n 1 vbd --no-discard -d 51728
rc 2 "--backend without --disk" "$X" attach -n 1 vbd --backend phy -d 51728
rc 2 "--backend bogus" "$X" attach -n 1 vbd --backend blktap --disk /etc/hostname -r
rc 2 "--format qcow2" "$X" attach -n 1 vbd --format qcow2 --disk /etc/hostname -r
rc 2 "xl spec on a class other than vbd" "$X" attach -n 1 c "target=/etc/hostname"
rc 2 "xl spec: unknown key" "$X" attach -n 1 vbd "foo=1, target=/etc/hostname"
rc 2 "xl spec: format qcow2" "$X" attach -n 1 vbd "format=qcow2, target=/etc/hostname"
rc 2 "xl spec: backendtype tap" "$X" attach -n 1 vbd "backendtype=tap, target=/etc/hostname"
rc 2 "xl spec: no target" "$X" attach -n 1 vbd "vdev=xvdb"
rc 2 "xl spec and --disk" "$X" attach -n 1 vbd "target=/etc/hostname" --disk /etc/hostname
rc 2 "xl spec access and --readonly" "$X" attach -n 1 vbd "access=ro,target=/etc/hostname" -r
rc 2 "xl spec: too many arguments after it" "$X" attach -n 1 vbd "target=/etc/hostname" x
rc 2 "block-list: no DOMAIN" "$X" block-list
rc 1 "block-list without xenstore" "$X" block-list 1
rc 1 "status without xenstore" "$X" status
rc 1 "dry-run without xenstore needs --devid" "$X" attach -n 1 c
rc 1 "dry-run without xenstore needs numeric domains" "$X" attach -n guest1 c -d 0
rc 2 "dry-run: a domain id above 32751 is out of range" "$X" attach -n 99999 c -d 0
rc 2 "dry-run: a backend domain id above 32751 is out of range" "$X" attach -n 1 c -d 0 -b 32752
err=$("$X" attach -n 99999 c -d 0 2>&1)
[ "$err" = "xbdev: attach: domain id 99999 out of range (0-32751)" ] &&
	t ok "out-of-range domain id: the message says so" || t fail "out-of-range message" "$err"
# A script's real command line with --dry-run added only plans: any --wait
# (and --timeout) is taken and nothing changes in the output.
plain=$("$X" attach -n 3 mydevice -d 2 2>&1 | grep -v created)
for w in "--wait connected" "--wait initwait" "--wait none" "-w connected --timeout 5"; do
	# shellcheck disable=SC2086
	out=$("$X" attach -n 3 mydevice -d 2 $w 2>&1); r=$?
	[ $r = 0 ] && [ "$(printf '%s\n' "$out" | grep -v created)" = "$plain" ] &&
		t ok "--dry-run $w: accepted, the same plan" || t fail "--dry-run $w" "exit $r: $out"
done
rc 2 "--dry-run --wait none --timeout: still contradictory" "$X" attach -n 3 mydevice -d 2 --wait none --timeout 5
# -v: what is being done, here that there is no xenstore to read.
err=$("$X" -v attach -n 3 mydevice -d 2 2>&1 >/dev/null)
printf '%s\n' "$err" | grep -q '^xbdev: attach: no xenstore (.*): nothing is read, the plan is made offline$' &&
	t ok "-v attach --dry-run offline says so" || t fail "-v offline" "$err"
[ -z "$("$X" attach -n 3 mydevice -d 2 2>&1 >/dev/null)" ] &&
	t ok "without -v: nothing on stderr" || t fail "quiet without -v"
# help-commands global: each option once.
g=$("$X" help-commands global)
[ "$(printf '%s\n' "$g" | sort | uniq -d)" = "" ] && [ "$(printf '%s\n' "$g" | grep -c -- --version)" = 1 ] &&
	t ok "help-commands global lists each option once" || t fail "help-commands global" "$g"

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
err=$("$X" attach 1 vbd --disk "$small" -r -n -d 51728 2>&1)
[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'empty: nothing to serve' &&
	t ok "vbd: an empty disk is refused (exit 2)" || t fail "empty disk" "$err"
printf 'twelve bytes' > "$small"
err=$("$X" attach 1 vbd --disk "$small" -r -n -d 51728 2>&1)
[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'not a multiple of 512 bytes (a sector): 12' &&
	t ok "vbd: a 12-byte disk is refused (exit 2)" || t fail "12-byte disk" "$err"
# A disk the caller may read but not write: the hint names --readonly;
# one that cannot be served at all gets no hint.  (As a user who is not
# root: root's access() is never refused.)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	ro=$(mktemp /tmp/xbdev-ro-XXXXXX.img); truncate -s 4096 "$ro"; chmod 0444 "$ro"
	err=$(nobody "$X" attach 1 vbd --disk "$ro" -n -d 51728 2>&1)
	[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'Permission denied (use --readonly for a read-only image)$' &&
		t ok "vbd: an unwritable disk is refused with the --readonly hint (exit 2)" ||
		t fail "unwritable disk" "$err"
	nobody "$X" attach 1 vbd --disk "$ro" -r -n -d 51728 >/dev/null 2>&1 &&
		t ok "vbd: the same disk --readonly is taken" || t fail "unwritable disk --readonly"
	chmod 0000 "$ro"
	err=$(nobody "$X" attach 1 vbd --disk "$ro" -r -n -d 51728 2>&1)
	[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'Permission denied$' &&
		t ok "vbd: an unreadable disk --readonly: no hint (exit 2)" ||
		t fail "unreadable disk" "$err"
	: > "$small"; chmod 0666 "$small"
	err=$(nobody "$X" attach 1 vbd --disk "$small" -n -d 51728 2>&1)
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
# --limit: the record keeps its canonical form; a bad one changes nothing.
out=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -r -n --limit iops=200,rbps=1m,burst=0.50 2>&1)
printf '%s\n' "$out" | grep -qx '/xbdev/4/vbd/51744/limit = "riops=200,wiops=200,rbps=1M,burst=0.5" (n0)' &&
	t ok "vbd dry-run --limit: the record keeps the canonical spec" || t fail "vbd --limit record" "$out"
out=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -r -n --limit none 2>&1)
printf '%s\n' "$out" | grep -q '/limit = ' && t fail "--limit none writes no limit" "$out" ||
	t ok "vbd dry-run --limit none: no limit node"
rc 2 "attach: bad --limit" "$X" attach 4 vbd --disk "$img" -r -n --limit riops=fast
rc 2 "attach: --limit without --disk" "$X" attach -n 1 vbd --limit riops=1 -d 51728
rc 2 "attach: --limit for the kernel's blkback" "$X" attach 4 vbd --disk "$img" -r -n --backend phy --limit riops=1
# --sector-size, --physical-sector-size: kept in the record for the backend
# (none when not given); refused in one line, exit 2, before xenstore is
# even opened (no -n here: nothing could have been written).
out=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -r -n --sector-size 4096 --physical-sector-size 8192 2>&1)
printf '%s\n' "$out" | grep -qx '/xbdev/4/vbd/51744/sector-size = "4096" (n0)' &&
	t ok "vbd dry-run --sector-size: in the record" || t fail "vbd --sector-size record" "$out"
printf '%s\n' "$out" | grep -qx '/xbdev/4/vbd/51744/physical-sector-size = "8192" (n0)' &&
	t ok "vbd dry-run --physical-sector-size: in the record" || t fail "vbd --physical-sector-size record" "$out"
out=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -r -n 2>&1)
printf '%s\n' "$out" | grep -q 'sector-size' && t fail "no sector sizes asked: none in the record" "$out" ||
	t ok "vbd dry-run: no sector sizes asked, none in the record"
# sectors: exit 2 and exactly this line
sectors() {
	desc=$1 line=$2; shift 2
	err=$("$X" attach 4 vbd -r "$@" 2>&1); got=$?
	[ "$got" = 2 ] && [ "$err" = "xbdev: attach: $line" ] && t ok "$desc (exit 2)" ||
		t fail "$desc" "exit $got: $err"
}
sectors "--sector-size 1024 refused" "--sector-size: '1024' is not 512 or 4096" --disk "$img" --sector-size 1024
sectors "--sector-size 4k refused" "--sector-size: '4k' is not 512 or 4096" --disk "$img" --sector-size 4k
sectors "--sector-size 0 refused" "--sector-size: '0' is not 512 or 4096" --disk "$img" --sector-size 0
sectors "--physical-sector-size 256 refused" "--physical-sector-size: '256' is not a power of two from 512 to 65536" --disk "$img" --physical-sector-size 256
sectors "--physical-sector-size 3000 refused" "--physical-sector-size: '3000' is not a power of two from 512 to 65536" --disk "$img" --physical-sector-size 3000
sectors "--physical-sector-size 131072 refused" "--physical-sector-size: '131072' is not a power of two from 512 to 65536" --disk "$img" --physical-sector-size 131072
sectors "--physical-sector-size below --sector-size refused" "--physical-sector-size: '2048' is not a power of two from 4096 to 65536" --disk "$img" --sector-size 4096 --physical-sector-size 2048
sectors "--sector-size for the kernel's blkback refused" "--sector-size and --physical-sector-size need --backend xbdev (phy chooses its own)" --disk "$img" --backend phy --sector-size 4096
sectors "--physical-sector-size for QEMU refused" "--sector-size and --physical-sector-size need --backend xbdev (qdisk chooses its own)" --disk "$img" --backend qdisk --physical-sector-size 4096
odd=$(mktemp); truncate -s 1049088 "$odd"
sectors "--sector-size 4096 on a disk of 1 MiB + 512 refused" "disk $odd: size is not a multiple of 4096 bytes (--sector-size): 1049088" --disk "$odd" --sector-size 4096
sectors "--physical-sector-size 4096 on a disk of 1 MiB + 512 refused" "disk $odd: size is not a multiple of 4096 bytes (--physical-sector-size): 1049088" --disk "$odd" --physical-sector-size 4096
rm -f "$odd"
rc 2 "attach: --sector-size without --disk" "$X" attach -n 1 vbd --sector-size 4096 -d 51728
# An xl disk spec has no key for them (xl's parser has none either), but
# attach's options go with one.
out=$("$X" attach 4 vbd "vdev=xvdc,access=ro,target=$img" -n --sector-size 4096 2>&1)
printf '%s\n' "$out" | grep -qx '/xbdev/4/vbd/51744/sector-size = "4096" (n0)' &&
	t ok "xl disk spec with --sector-size: in the record" || t fail "xl disk spec with --sector-size" "$out"
sectors "xl disk spec: sector-size= refused" "xl disk spec: unknown key 'sector-size'" "vdev=xvdc,sector-size=4096,target=$img"
rc 2 "limit: bad spec (nothing asked)" "$X" limit 1 xvdb riops=1,,
rc 2 "limit: missing DEVICE" "$X" limit 1
rc 2 "limit: too many arguments" "$X" limit 1 xvdb riops=1 x
rc 1 "limit: without xenstore" "$X" limit 1 xvdb riops=1

# ---- disks as xl says them ---------------------------------------------------
# want DESC LINE OUTPUT: OUTPUT has LINE.
want() { printf '%s\n' "$3" | grep -qxF -- "$2" && t ok "$1" || t fail "$1" "$(printf '%s\n' "$3" | head -3 | tr '\n' ' ')"; }
out=$("$X" attach 4 vbd "format=raw, vdev=xvdc, access=ro, target=$img" -n 2>&1)
want "xl spec: params is the target" "/local/domain/0/backend/xbdev-vbd/4/51744/params = \"$img\" (n0,r4)" "$out"
want "xl spec: access=ro is mode r" '/local/domain/0/backend/xbdev-vbd/4/51744/mode = "r" (n0,r4)' "$out"
want "xl spec: vdev=xvdc is the device" '/local/domain/4/device/vbd/51744/virtual-device = "51744" (n4,r0)' "$out"
want "xl spec: a file is type file" '/local/domain/0/backend/xbdev-vbd/4/51744/type = "file" (n0,r4)' "$out"
# The same disk, positional and with a deprecated prefix: the same plan.
old=$(printf '%s\n' "$out" | grep -v created)
new=$("$X" attach 4 vbd "raw:$img,xvdc,r" -n 2>&1 | grep -v created)
[ "$old" = "$new" ] && t ok "xl spec: 'raw:PATH,xvdc,r' says the same" || t fail "xl spec: positional" "$new"
new=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -r -n 2>&1 | grep -v created)
[ "$old" = "$new" ] && t ok "xl spec: --disk --vdev -r say the same" || t fail "xl spec: options" "$new"
out=$("$X" attach 4 vbd "$img,,xvdc,backendtype=qdisk,no-discard,direct-io-safe,untrusted" -n 2>&1)
want "backendtype=qdisk: params aio:PATH" "/local/domain/0/backend/qdisk/4/51744/params = \"aio:$img\" (n0,r4)" "$out"
want "no-discard: discard-enable 0" '/local/domain/0/backend/qdisk/4/51744/discard-enable = "0" (n0,r4)' "$out"
want "direct-io-safe" '/local/domain/0/backend/qdisk/4/51744/direct-io-safe = "1" (n0,r4)' "$out"
want "untrusted: the frontend's trusted 0" '/local/domain/4/device/vbd/51744/trusted = "0" (n4,r0)' "$out"
printf '%s\n' "$out" | grep -q '^spawn' && t fail "qdisk: no xbdev-blkback spawned" || t ok "qdisk: no xbdev-blkback spawned"
out=$("$X" attach 4 vbd --disk "$img" --vdev xvdc --no-discard -n 2>&1)
want "--no-discard: discard-enable 0" '/local/domain/0/backend/xbdev-vbd/4/51744/discard-enable = "0" (n0,r4)' "$out"
err=$("$X" attach 4 vbd --disk "$img" --vdev xvdc --back discard-enable=0 -n 2>&1)
[ $? = 2 ] && [ "$err" = "xbdev: attach: 4 vbd/51744: --back discard-enable: a node xbdev writes itself (use --no-discard)" ] &&
	t ok "--back discard-enable names the key and the option (exit 2)" || t fail "--back discard-enable" "$err"
err=$("$X" attach -n 1 c -d 0 --back a=1 --back a=2 2>&1)
[ "$err" = "xbdev: attach: 1 c/0: --back a: given twice" ] && t ok "a repeated --back key is named" || t fail "repeated key" "$err"
err=$("$X" attach 4 vbd "$img,,xvdc,backendtype=phy" -n 2>&1)
[ $? = 2 ] && printf '%s\n' "$err" | grep -q 'backend phy needs a block device' &&
	t ok "backendtype=phy with a file: refused, needs a block device (exit 2)" || t fail "phy file" "$err"
err=$("$X" attach 4 vbd "foo=1,target=$img" -n 2>&1)
[ "$err" = "xbdev: attach: xl disk spec: unknown key 'foo'" ] && t ok "xl spec: the unknown key named" || t fail "unknown key" "$err"
err=$("$X" attach 4 vbd "$img,,xvdc,colo" -n 2>&1)
[ "$err" = "xbdev: attach: xl disk spec: colo: not supported by xbdev attach" ] && t ok "xl spec: colo not supported, named" || t fail "colo" "$err"
# A phy disk needs a block device this user may open; dry-run only.
blk=
for b in /dev/loop0 /dev/vda /dev/sda /dev/nvme0n1; do
	[ -b "$b" ] && [ -r "$b" ] && [ "$(cat /sys/block/${b#/dev/}/size 2>/dev/null)" != 0 ] && { blk=$b; break; }
done
if [ -n "$blk" ] && out=$("$X" attach 4 vbd "$blk,,xvdc,r,backendtype=phy" -n 2>&1); then
	mm=$(stat -L -c '%t:%T' "$blk")
	want "phy: physical-device major:minor" "/local/domain/0/backend/vbd/4/51744/physical-device = \"$mm\" (n0,r4)" "$out"
	want "phy: a block device is type phy" '/local/domain/0/backend/vbd/4/51744/type = "phy" (n0,r4)' "$out"
else
	t ok "phy: physical-device # SKIP no readable block device"
fi
# A qcow2 image is not served as raw, unless the caller says it is raw.
printf 'QFI\373\0\0\0\3' | dd of="$img" conv=notrunc 2>/dev/null
err=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -n 2>&1)
[ $? = 2 ] && printf '%s\n' "$err" | grep -q ": a qcow2 image: xbdev serves raw disks only" &&
	t ok "a qcow2 image is refused (exit 2)" || t fail "qcow2 image" "$err"
rc 2 "a qcow2 image through an xl spec" "$X" attach 4 vbd "target=$img" -n
"$X" attach 4 vbd --disk "$img" --vdev xvdc --format raw -n >/dev/null 2>&1 &&
	t ok "a qcow2 header with --format raw is served" || t fail "--format raw"
"$X" attach 4 vbd "format=raw,vdev=xvdc,target=$img" -n >/dev/null 2>&1 &&
	t ok "a qcow2 header with format=raw is served" || t fail "format=raw"
dd if=/dev/zero of="$img" bs=512 count=1 conv=notrunc 2>/dev/null

# ---- --dry-run --json: shape ------------------------------------------------
# The Xen device nodes xbdev-blkback opens: a missing one is named with
# its module before xenstore is asked (nothing can be written); --dry-run
# and a class without --disk do not need them.
dev=$(mktemp -d)
err=$(XBDEV_XEN_DEVDIR=$dev "$X" attach 1 vbd --disk "$img" --vdev xvdb 2>&1); got=$?
[ $got = 1 ] && [ "$err" = "xbdev: attach: $dev/gntdev: No such file or directory (load the xen-gntdev module); xbdev-blkback needs it: nothing written" ] &&
	t ok "vbd: no gntdev node: exit 1 naming xen-gntdev" || t fail "no gntdev" "exit $got: $err"
: > "$dev/gntdev"
err=$(XBDEV_XEN_DEVDIR=$dev "$X" attach 1 vbd --disk "$img" --vdev xvdb 2>&1); got=$?
[ $got = 1 ] && [ "$err" = "xbdev: attach: $dev/evtchn: No such file or directory (load the xen-evtchn module); xbdev-blkback needs it: nothing written" ] &&
	t ok "vbd: no evtchn node: exit 1 naming xen-evtchn" || t fail "no evtchn" "exit $got: $err"
: > "$dev/evtchn"
err=$(XBDEV_XEN_DEVDIR=$dev "$X" attach 1 vbd --disk "$img" --vdev xvdb 2>&1)
printf '%s\n' "$err" | grep -q xenstore && ! printf '%s\n' "$err" | grep -q module &&
	t ok "vbd: both nodes there: on to xenstore" || t fail "both nodes" "$err"
rm -f "$dev/gntdev" "$dev/evtchn"
XBDEV_XEN_DEVDIR=$dev "$X" attach 1 vbd --disk "$img" --vdev xvdb -n >/dev/null 2>&1 &&
	t ok "vbd: --dry-run needs no device node" || t fail "dry-run device nodes"
err=$(XBDEV_XEN_DEVDIR=$dev "$X" attach 3 mydevice -d 2 2>&1)
printf '%s\n' "$err" | grep -q xenstore && ! printf '%s\n' "$err" | grep -q module &&
	t ok "mydevice: no device node checked without --disk" || t fail "mydevice device nodes" "$err"
rmdir "$dev"

js=$("$X" attach 3 mydevice -n -d 2 --json 2>/dev/null)
if command -v python3 >/dev/null; then
	if printf '%s' "$js" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert set(d) == {"nodes", "domid", "class", "devid"}, d.keys()
assert (d["domid"], d["class"], d["devid"]) == (3, "mydevice", 2), d
for n in d["nodes"]:
    assert set(n) == {"path", "value", "perms"}, n
    assert all(p[0] in "nrwb" and p[1:].isdigit() for p in n["perms"])
assert d["nodes"][0] == {"path": "/local/domain/3/device/mydevice/2", "value": "", "perms": ["n3", "r0"]}
'; then t ok "--dry-run --json shape"; else t fail "--dry-run --json shape"; fi
else
	echo "ok $((n = n + 1)) - --dry-run --json shape # SKIP no python3"
fi
# A vbd picked by --vdev: its devid in the JSON too.
js=$("$X" attach 4 vbd --disk "$img" --vdev xvdc -r -n --json 2>/dev/null)
printf '%s' "$js" | tr -d ' \n' | grep -q '"domid":4,"class":"vbd","devid":51744,' &&
	t ok "vbd --dry-run --json: domid, class and the --vdev's devid" || t fail "vbd dry-run json" "$js"

# ---- xbdev-blkfront: errors that name their cause --------------------------
F=$(dirname "$X")/xbdev-blkfront
if [ -x "$F" ]; then
	err=$("$F" verify xvdb 2>&1); r=$?
	[ $r = 1 ] && [ "$err" = "xbdev-blkfront: xvdb: cannot reach xenstore: No such file or directory" ] &&
		t ok "blkfront verify without xenstore: cannot reach xenstore (exit 1)" ||
		t fail "blkfront without xenstore" "exit $r: $err"
	err=$("$F" hostile xvdb --attack op-unknown,nope 2>&1); r=$?
	[ $r = 2 ] && printf '%s\n' "$err" | grep -q "^xbdev-blkfront: --attack: no attack named 'nope' (see hostile --list)$" &&
		t ok "blkfront: an unknown --attack is a usage error (exit 2)" ||
		t fail "blkfront unknown attack" "exit $r: $err"
	"$F" hostile --list --attack op-unknown >/dev/null 2>&1 &&
		t ok "blkfront: a known --attack is taken" || t fail "blkfront known attack"
	grp=$("$F" --help | awk '/^ [a-z].*:$/ { g = $0 } /--iodepth/ { print g }')
	[ "$grp" = " verify and bench:" ] && t ok "blkfront --help: --iodepth under 'verify and bench:'" ||
		t fail "blkfront --iodepth group" "$grp"
fi
echo "1..$n"
