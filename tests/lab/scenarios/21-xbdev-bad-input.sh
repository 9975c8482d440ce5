# Bad input: every rejected command prints one line, exits with the
# documented status and leaves xenstore byte-for-byte unchanged.
# timeout: 240
C=xbbad
# bad RC DESC CMD...: CMD exits RC, prints exactly one line, writes nothing.
bad() {
	local want=$1 desc=$2 out rc; shift 2
	store_snapshot
	out=$("$@" 2>&1); rc=$?
	printf '%s\n' "$out" | sed 's/^/  | /'
	check_eq "$desc: exit $want" "$want" "$rc"
	check_eq "$desc: one line" 1 "$(printf '%s\n' "$out" | grep -c .)"
	check_store_unchanged "$desc: xenstore unchanged"
}
long=$(printf '%065d' 0 | tr 0 a)
huge=$(printf '%03000d' 0)
ctl=$(printf 'a\001b')

bad 4 "unknown domain name" xbdev attach no-such-guest $C
bad 4 "unknown domain id" xbdev attach 4000 $C
bad 2 "domain id out of range" xbdev attach 99999 $C
bad 4 "unknown backend domain" xbdev attach 0 $C --backend-domain nobody
bad 2 "class with /" xbdev attach 0 my/dev
bad 2 "class .." xbdev attach 0 ..
bad 2 "empty class" xbdev attach 0 ""
bad 2 "class with a control character" xbdev attach 0 "$ctl"
bad 2 "class too long" xbdev attach 0 "$long"
bad 2 "backend type with /" xbdev attach 0 $C --backend-type a/b
bad 2 "key with .." xbdev attach 0 $C --front ../evil=1
bad 2 "empty key" xbdev attach 0 $C --front =1
bad 2 "KEY=VALUE without =" xbdev attach 0 $C --back novalue
bad 2 "value with a newline" xbdev attach 0 $C --front "k=a
b"
bad 2 "value with a control character" xbdev attach 0 $C --back "k=$ctl"
bad 2 "value too long" xbdev attach 0 $C --front "k=$huge"
bad 2 "key colliding with state" xbdev attach 0 $C --front state=4
bad 2 "repeated key" xbdev attach 0 $C --back a=1 --back a=2
bad 2 "devid not a number" xbdev attach 0 $C --devid abc
bad 2 "devid negative" xbdev attach 0 $C --devid -1
bad 2 "devid out of range" xbdev attach 0 $C --devid 4294967296
bad 2 "devid with leading zero" xbdev attach 0 $C --devid 07
bad 2 "bad --wait" xbdev attach 0 $C --wait forever
bad 2 "zero --timeout" xbdev attach 0 $C --timeout 0
bad 2 "--timeout with --wait none" xbdev attach 0 $C --wait none --timeout 5
# --dry-run added to a script's real command line only plans.
store_snapshot
check "--dry-run with --wait connected: only plans (exit 0)" \
	xbdev attach 0 $C --dry-run --wait connected --timeout 5
check_store_unchanged "--dry-run with --wait: xenstore unchanged"
bad 2 "--disk with a class other than vbd" xbdev attach 0 $C --disk /etc/hostname
bad 2 "--vdev without --disk" xbdev attach 0 vbd --vdev xvdb
bad 2 "missing disk file" xbdev attach 0 vbd --disk /nonexistent.img
bad 2 "bad vdev" xbdev attach 0 vbd --disk /etc/hostname --readonly --vdev xvd0
bad 2 "unknown option" xbdev attach 0 $C --bogus
bad 2 "unknown command" xbdev attach-all
bad 2 "detach device without id" xbdev detach 0 $C
bad 2 "detach device id not a number" xbdev detach 0 $C/x
bad 4 "detach of a device that does not exist" xbdev detach 0 $C/7
bad 4 "status of an unknown domain" xbdev status no-such-guest
bad 4 "status of a device that does not exist" xbdev status 0 $C/7
bad 2 "watch --until an unknown state" xbdev watch --until Sleeping

# Existing directories: the frontend's, the backend's, the record's.
check "attach $C/0" xbdev attach 0 $C --devid 0 --wait none
bad 2 "attach over an existing device" xbdev attach 0 $C --devid 0 --wait none
xenstore-write /local/domain/0/backend/$C/0/5/x 1
bad 2 "attach over an existing backend directory" xbdev attach 0 $C --devid 5 --wait none
xenstore-rm /local/domain/0/backend/$C
xenstore-write /xbdev/0/$C/6/x 1
bad 2 "attach over an existing record" xbdev attach 0 $C --devid 6 --wait none
xenstore-rm /xbdev/0/$C/6
check "detach $C/0" xbdev detach 0 $C/0
check "nothing left" sh -c "! xenstore-exists /xbdev/0/$C && ! xenstore-exists /local/domain/0/device/$C"
