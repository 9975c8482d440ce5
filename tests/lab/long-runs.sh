# Long runs (hostile-input issue, item 7), sourced by scenarios 70/71 (the
# short variant, in make check) and by soak/70-71 (the long one: make soak).
#   cycles N: N attach/detach cycles of a served vbd (xbdev-blkback, the
#     guest's xen-blkfront) and N of a custom class (the mydevice fixture
#     drivers), then nothing may be left: xenstore nodes, backend
#     processes, file descriptors (xenstored's and every xbdev process's),
#     grant mappings of the guest's grants, dom0 event channels to the
#     guest - each counted before and after;
#   soak S: S seconds of guest I/O with verify on one disk while other
#     disks are attached and detached in a loop and `xbdev watch` runs
#     (the guest writes random 4 MiB chunks through xen-blkfront and reads
#     them back past a dropped page cache);
#     0 verify errors, and the RSS of every xbdev process flat.

# What could leak, one count each: "nodes procs fds grants evtchns".
xs_nodes() { _store | wc -l; }
pids_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(cat $p/comm 2>/dev/null)" = "$1" ] && echo ${p#/proc/}
	done
}
blkback_procs() { pids_of xbdev-blkback | wc -l; }
fd_count() {
	local n=0 p
	for p in $(pids_of xenstored) $(pids_of xbdev-blkback) $(pids_of xbdev); do
		n=$((n + $(ls /proc/$p/fd 2>/dev/null | wc -l)))
	done
	echo $n
}
# Active entries of domain $1's grant table (grants someone has mapped),
# from Xen's 'g' debug key.
grant_maps() {
	xl dmesg -c >/dev/null; xl debug-keys g
	xl dmesg -c | awk -v d="remote d$1 " '
		/grant-table for remote/ { on = index($0 " ", d) > 0; next }
		/gnttab_usage_print_all \]/ { on = 0 }
		on && /\[0x[0-9a-f]+\]/ { n++ } END { print n + 0 }'
}
# Dom0's interdomain event channels to domain $1 ('e' debug key).
evtchns_to() {
	xl dmesg -c >/dev/null; xl debug-keys e
	xl dmesg -c | awk -v d="d=$1 " '
		/Event channel information for domain/ { on = ($NF == "0:") ; next }
		on && / s=3 / && index($0 " ", d) { n++ } END { print n + 0 }'
}
leak_counts() {
	echo "nodes=$(xs_nodes) procs=$(blkback_procs) fds=$(fd_count) grants=$(grant_maps $1) evtchns=$(evtchns_to $1)"
}

# cycle_loop WHAT N ATTACH... -- DETACH...: N rounds, stops at the first failure.
cycle_loop() {
	local what=$1 n=$2 i=0 a d t0 t1; shift 2
	a=$(printf '%s\n' "$@" | sed '/^--$/,$d' | tr '\n' ' ')
	d=$(printf '%s\n' "$@" | sed '1,/^--$/d' | tr '\n' ' ')
	t0=$(date +%s)
	while [ $i -lt $n ]; do
		if ! out=$(eval "$a" 2>&1); then
			not_ok "$what: cycle $((i + 1)) attach" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"; return 1
		fi
		if ! out=$(eval "$d" 2>&1); then
			not_ok "$what: cycle $((i + 1)) detach" "$(echo "$out" | tail -n 2 | tr '\n' ' ')"; return 1
		fi
		i=$((i + 1))
	done
	t1=$(date +%s)
	ok "$what: $n attach/detach cycles"
	diag "$what: $n cycles in $((t1 - t0)) s"
}

cycles() {
	local n=$1 G=lc id before after
	guest_start $G mydevice.sh || return 0
	id=$(guest_domid $G)
	check "guest loads mydevice-front.ko" guest_verdict $G 60 || return 0
	grep -q '^mydevice_back ' /proc/modules ||
		check "dom0 loads mydevice-back.ko" insmod /lab/modules/mydevice-back.ko
	truncate -s 32M /tmp/lc.img
	# One warm-up cycle each, so that lazily made parents and caches
	# (/local/domain/0/backend, the fixture's module state) count as before.
	xbdev attach $G vbd --disk /tmp/lc.img --vdev xvdb >/dev/null && xbdev detach $G vbd/xvdb >/dev/null
	xbdev attach $G mydevice --devid 0 >/dev/null && xbdev detach $G mydevice/0 >/dev/null
	before=$(leak_counts $id)
	_store > /tmp/lc.before
	diag "before: $before"
	cycle_loop "vbd" $n xbdev attach $G vbd --disk /tmp/lc.img --vdev xvdb -- xbdev detach $G vbd/xvdb
	check "vbd: one more attach" xbdev attach $G vbd --disk /tmp/lc.img --vdev xvdb
	check "vbd: the guest gets the disk" wait_for 20 guest_run $G 'test -b /dev/xvdb'
	check "vbd: one more detach" xbdev detach $G vbd/xvdb
	cycle_loop "mydevice" $n xbdev attach $G mydevice --devid 0 -- xbdev detach $G mydevice/0
	after=$(leak_counts $id)
	_store > /tmp/lc.after
	diag "after $n + $n cycles: $after"
	diff /tmp/lc.before /tmp/lc.after | sed 's/^/  | /' | head -n 20
	for k in nodes procs fds grants evtchns; do
		check_eq "0 leaked $k" "$(echo "$before" | tr ' ' '\n' | grep "^$k=")" \
			"$(echo "$after" | tr ' ' '\n' | grep "^$k=")"
	done
	rmmod mydevice_back 2>/dev/null
	guest_destroy $G
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/$1/status 2>/dev/null || echo 0; }

# The extra disk attached and detached until the deadline $1, in the
# background: "cycles failures" in /tmp/ls-cycles after each round.
cycle_extra() {
	local end=$1 cyc=0 fail=0
	while [ $(date +%s) -lt $end ]; do
		if xbdev attach $G vbd --disk /tmp/ls-extra.img --vdev xvdc >/dev/null 2>&1 &&
		   xbdev detach $G vbd/xvdc >/dev/null 2>&1; then
			cyc=$((cyc + 1))
		else
			fail=$((fail + 1))
			xbdev detach $G vbd/xvdc --force >/dev/null 2>&1
		fi
		echo "$cyc $fail" > /tmp/ls-cycles
	done
}

soak() {
	local secs=$1 G=ls id end wpid bpid cpid pass=0 fail=0 cyc cyc_fail
	local r0b r0w r1b r1w warm off
	guest_start $G || return 0
	id=$(guest_domid $G)
	truncate -s 64M /tmp/ls-main.img
	truncate -s 16M /tmp/ls-extra.img
	check "attach the verify disk" xbdev attach $G vbd --disk /tmp/ls-main.img --vdev xvdb || return 0
	bpid=$(xenstore-read /xbdev/$id/vbd/51728/pid)
	xbdev watch > /tmp/ls-watch.log 2>&1 &
	wpid=$!
	end=$(( $(date +%s) + secs ))
	echo "0 0" > /tmp/ls-cycles
	cycle_extra $end &
	cpid=$!
	# In the guest, write + verify passes until the deadline: 4 MiB of
	# random data to a different place of xvdb each time, page cache
	# dropped, read back and compared (each pass one guest_run, bounded
	# by its timeout).
	warm=$((secs / 4)); [ $warm -gt 60 ] && warm=60
	warm=$(( $(date +%s) + warm ))
	while [ $(date +%s) -lt $end ]; do
		off=$(( (pass + fail) % 16 * 4 ))
		if GUEST_RUN_TIMEOUT=120 guest_run $G "dd if=/dev/urandom of=/tmp/w bs=1M count=4 2>/dev/null && dd if=/tmp/w of=/dev/xvdb bs=1M seek=$off conv=fsync 2>/dev/null && echo 3 > /proc/sys/vm/drop_caches && dd if=/dev/xvdb of=/tmp/r bs=1M skip=$off count=4 2>/dev/null && cmp /tmp/w /tmp/r" > /tmp/ls-verify.out 2>&1; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			sed 's/^/  verify | /' /tmp/ls-verify.out | tail -n 5
		fi
		# RSS once warmed up, then at the end.
		if [ -z "$r0b" ] && [ $(date +%s) -ge $warm ]; then
			r0b=$(rss_kb $bpid); r0w=$(rss_kb $wpid)
		fi
	done
	[ -z "$r0b" ] && { r0b=$(rss_kb $bpid); r0w=$(rss_kb $wpid); }
	r1b=$(rss_kb $bpid); r1w=$(rss_kb $wpid)
	wait $cpid
	read cyc cyc_fail < /tmp/ls-cycles
	diag "soak ${secs} s: $pass verify passes, $fail failed; $cyc attach/detach cycles of xvdc ($cyc_fail failed); $(grep -c . /tmp/ls-watch.log) watch lines"
	diag "RSS kB: verify disk's xbdev-blkback $r0b -> $r1b, xbdev watch $r0w -> $r1w"
	check_eq "0 verify errors" 0 "$fail"
	check "at least one verify pass" test $pass -ge 1
	check_eq "every extra attach/detach cycle worked" 0 "$cyc_fail"
	check "extra disk cycled" test "$cyc" -ge 1
	check "xbdev watch still running" kill -0 $wpid
	check_match "xbdev watch saw the cycles" "xvdc|51744" "$(cat /tmp/ls-watch.log)"
	# Flat: no more than 256 kB growth after the warm-up (a quarter of the
	# run, at most a minute).
	check "blkback RSS flat ($r0b -> $r1b kB)" test $((r1b - r0b)) -le 256
	check "watch RSS flat ($r0w -> $r1w kB)" test $((r1w - r0w)) -le 256
	kill $wpid 2>/dev/null
	check "detach the verify disk" xbdev detach $G vbd/xvdb
	guest_destroy $G
}
