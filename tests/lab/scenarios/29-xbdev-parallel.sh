# Parallel use from scripts: 8 `xbdev attach GUEST vbd --disk IMG` run at
# once without --vdev (attach picks the id in its transaction) give 8
# distinct devices that the guest's xen-blkfront all sees; 8 detaches at
# once remove them all.  The same for a custom class with --wait none.
# Afterwards xenstore is as it was.
# timeout: 480
G=par29
N=8
guest_start $G || exit 0
FE=$(guest_domid $G)
blkbacks() {
	for p in /proc/[0-9]*; do
		tr '\0' ' ' < $p/cmdline 2>/dev/null | grep -q "xbdev-blkback /local/domain/0/backend/xbdev-vbd/$FE/" && echo ${p#/proc/}
	done
}
store() { xenstore-ls -f -p / | grep -v '/data/lab-'; }
guest_disks() { guest_run $G "ls /sys/block | grep -c '^xvd'"; }
disks_are() { [ "$(guest_disks)" = "$1" ]; }
no_blkbacks() { [ -z "$(blkbacks)" ]; }

# run_all WHAT CMD-PREFIX ARG...: CMD-PREFIX ARG for every ARG at once,
# each one's exit status, stdout and stderr in $L/p29-WHAT-<n>.*
run_all() {
	local what=$1 cmd=$2 n=0 a; shift 2
	rm -f $L/p29-$what-*
	for a in "$@"; do
		n=$((n + 1))
		( $cmd $a > $L/p29-$what-$n.out 2> $L/p29-$what-$n.err
		  echo $? > $L/p29-$what-$n.rc ) &
	done
	wait
}
# all_ok WHAT: every run of WHAT exited 0 (each failure shown).
all_ok() {
	local what=$1 f bad=0
	for f in $L/p29-$what-*.rc; do
		[ "$(cat $f)" = 0 ] && continue
		bad=$((bad + 1))
		diag "$f: exit $(cat $f): $(cat ${f%.rc}.err | head -n 2)"
	done
	check_eq "$what: all $N exit 0" 0 "$bad"
}
devids() { cat $L/p29-$1-*.out | sed -n 's/.*"devid": *\([0-9]*\).*/\1/p' | sort -n; }

before=$(store)
disks0=$(guest_disks)

# ---- vbd, served by xbdev-blkback, N at once ----
imgs=
i=1
while [ $i -le $N ]; do
	rm -f /tmp/p29-$i.img
	truncate -s 8M /tmp/p29-$i.img
	imgs="$imgs /tmp/p29-$i.img"
	i=$((i + 1))
done
t0=$(date +%s)
run_all attach "xbdev attach $G vbd --json --timeout 180 --disk" $imgs
diag "$N vbd attaches at once took $(( $(date +%s) - t0 )) s"
all_ok attach
ids=$(devids attach)
diag "vbd ids: $(echo $ids)"
check_eq "vbd: $N ids reported" $N "$(printf '%s\n' $ids | grep -c .)"
check_eq "vbd: $N distinct ids" $N "$(printf '%s\n' $ids | sort -u | grep -c .)"
check_eq "vbd: $N backend processes" $N "$(blkbacks | wc -l)"
check "vbd: the guest sees $N more disks" wait_for 60 disks_are $((disks0 + N)) ||
	diag "guest disks: $(guest_run $G 'ls /sys/block')"
# Every disk is its own 8 MiB image (16384 sectors) in the guest.
sizes=$(guest_run $G 'for d in /sys/block/xvd*; do cat $d/size; done' | sort | uniq -c | awk '{print $1 "x" $2}')
check_eq "vbd: each guest disk has 16384 sectors" "${N}x16384" "$sizes"

t0=$(date +%s)
# --timeout 60: one guest vCPU closes all 8 at once; on a loaded lab host
# one of them took over detach's default 10 s (2026-12-04, two labs).
run_all detach "xbdev detach $G --timeout 60" $(for id in $ids; do echo vbd/$id; done)
diag "$N vbd detaches at once took $(( $(date +%s) - t0 )) s"
all_ok detach
check "vbd: no backend process left" wait_for 20 no_blkbacks
check "vbd: the guest's disks are gone" wait_for 30 disks_are $disks0

# ---- a custom class, no driver on either side, N at once ----
run_all mattach "xbdev attach $G mydevice --json --wait none --back" \
	$(i=1; while [ $i -le $N ]; do echo n=$i; i=$((i + 1)); done)
all_ok mattach
ids=$(devids mattach)
check_eq "mydevice: ids 0..$((N - 1))" "$(seq 0 $((N - 1)) | tr '\n' ' ')" "$(echo $ids) "
run_all mdetach "xbdev detach $G --timeout 20" $(for id in $ids; do echo mydevice/$id; done)
all_ok mdetach

after=$(store)
if [ "$before" = "$after" ]; then ok "xenstore as it was before the attaches"
else
	printf '%s\n' "$before" > $L/p29-before; printf '%s\n' "$after" > $L/p29-after
	not_ok "xenstore as it was before the attaches" "$(diff $L/p29-before $L/p29-after | head -n 8 | tr '\n' ' ')"
fi
rm -f /tmp/p29-*.img
guest_destroy $G
