#!/bin/bash
# `make bench` / `make bench-quick`, the host side: boots the lab once in
# bench mode (LAB_MODE=bench, fio in the guest image), then turns the
# "BENCH: {json}" lines that tests/lab/bench-dom0.sh printed on the console
# into: the raw results (JSON lines + one JSON document), a table with the
# ratios against Linux blkback in every row, and a plot of IOPS versus queue
# depth per backend (gnuplot, PNG).  Everything goes to $B/bench/.
#
#   tests/lab/bench.sh            the full benchmark (about 40 minutes)
#   tests/lab/bench.sh --quick    one short job per backend; prints TAP and
#                                 fails unless every backend gave a number
#   BENCH_OPTS='runtime=10 repeats=5 size=512 skip=features,scale'
#                                 passed to the dom0 side (see bench-dom0.sh)
#   BENCH_REPORT_ONLY=1           rebuild table/JSON/plot from the last run
set -o pipefail
. "$(dirname "$0")/common.sh"
quick=0
[ "$1" = --quick ] && quick=1
OUT=${BENCH_OUT:-$B/bench}
export LAB_OUT=$OUT/lab LAB_WITH_FIO=1 LAB_MODE=bench
# The settings ride in LAB_ONLY (see bench-dom0.sh); "bench-mode" keeps the
# value from ever matching a scenario's file name.
# The limit stage's shared disk (run.sh): its capacity, BENCH_SHARED_IOPS
# requests a second (0: none, the stage's pair runs on tmpfs files).
shared_iops=${BENCH_SHARED_IOPS:-600}
[ $quick = 1 ] && shared_iops=0
[ "$shared_iops" -gt 0 ] && export LAB_SHARED_IOPS=$shared_iops
export LAB_ONLY="bench-mode$([ $quick = 1 ] && echo " quick") shared-iops=$shared_iops ${BENCH_OPTS:-}"
export GUEST_MEMORY=${GUEST_MEMORY:-1024}
if [ $quick = 1 ]; then
	export LAB_TIMEOUT=${LAB_TIMEOUT:-900}
else
	export LAB_TIMEOUT=${LAB_TIMEOUT:-5400}
fi
mkdir -p "$OUT"
say() { if [ $quick = 1 ]; then printf '%s\n' "$*" >&2; else printf '%s\n' "$*"; fi; }

# QEMU's qdisk backend needs a Xen-enabled QEMU in dom0, which the lab's
# image does not carry.  image.sh copies $LAB_OUT/modules (where the fixture
# modules are built) into dom0's /lab/modules: Debian's qemu-system-xen
# (downloaded once into the lab cache, never installed) and the libraries it
# needs are staged there, under qemu/.  BENCH_QDISK=0 leaves it out.
stage_qemu() {
	local qd=$LAB_CACHE/qdisk dst=$LAB_OUT/modules/qemu bin lib
	if [ "$LAB_XEN" != 4.17 ]; then stage_qemu_from_root; return; fi
	bin=$qd/root/usr/libexec/xen-qemu-system-i386
	if [ ! -x "$bin" ]; then
		mkdir -p "$qd" && rm -rf "$qd/root" "$qd"/*.deb &&
		(cd "$qd" && apt-get download qemu-system-xen >/dev/null 2>&1) &&
		dpkg-deb -x "$qd"/qemu-system-xen_*.deb "$qd/root" || return 1
	fi
	rm -rf "$dst"; mkdir -p "$dst/lib"
	cp "$bin" "$dst/" || return 1
	LD_LIBRARY_PATH=$LAB_ROOT/usr/lib/x86_64-linux-gnu:$LAB_ROOT/lib/x86_64-linux-gnu:$LAB_ROOT/usr/lib/xen-$LAB_XEN/lib/x86_64-linux-gnu \
		ldd "$bin" | awk '/=> \// { print $3 }' | while read -r lib; do
		# libc and the loader are in every dom0 image; libm only when
		# another binary there needs it (the ASan build does).
		case "$(basename "$lib")" in libc.so.*|ld-linux*) continue ;; esac
		cp -L "$lib" "$dst/lib/"
	done
}
# The 4.20 flavour: trixie's qemu-system-xen and the libraries its build
# root lacks (apt resolves them against the root's own dpkg status, on the
# private lists), unpacked once into the root, where its ldd finds them.
stage_qemu_from_root() {
	local dst=$LAB_OUT/modules/qemu lib r=$LAB_ROOT
	root_packages qdisk qemu-system-xen || return 1
	rm -rf "$dst"; mkdir -p "$dst/lib"
	cp "$r/usr/libexec/xen-qemu-system-i386" "$dst/" || return 1
	chroot "$r" ldd /usr/libexec/xen-qemu-system-i386 | awk '/=> \// { print $3 }' |
	while read -r lib; do
		case "$(basename "$lib")" in libc.so.*|ld-linux*) continue ;; esac
		cp "$r$(chroot "$r" readlink -f "$lib")" "$dst/lib/$(basename "$lib")"
	done
}
rm -rf "$LAB_OUT/modules/qemu"
if [ "${BENCH_QDISK:-1}" = 1 ] && [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
	stage_qemu || say "bench: could not stage qemu-system-xen for qdisk (apt-get download failed?)"
fi

lab_problem=
if [ "${BENCH_REPORT_ONLY:-0}" != 1 ]; then
	# The code measured is the code when the lab image is built, not when
	# the report is written (the tree may move on during a long run).
	git -C "$TOP" describe --always --dirty > "$OUT/commit" 2>/dev/null ||
		echo unknown > "$OUT/commit"
	say "bench: booting the lab in bench mode (timeout ${LAB_TIMEOUT}s; serial log $LAB_OUT/serial.log)"
	t0=$(now_s)
	# run.sh: "DEMO: " lines are the progress, TAP lines its own verdicts.
	while IFS= read -r line; do
		case "$line" in
		"not ok - lab: no scenario selected"*|"# timing"*) ;;
		"not ok - lab:"*) lab_problem=${line#not ok - lab: }; say "bench: $line" ;;
		"bench: "*) say "  ${line#bench: }" ;;
		*) say "$line" ;;
		esac
	done < <(B="$B" "$LAB_DIR/run.sh")
	say "bench: lab run took $(elapsed "$t0" "$(now_s)") s"
fi
serial=$LAB_OUT/serial.log
raw=$OUT/raw.jsonl
sed -n 's/\r$//; s/,}$/}/; s/^BENCH: //p' "$serial" 2>/dev/null > "$raw"

# ---- the host, for the record ------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)
commit=$(cat "$OUT/commit" 2>/dev/null || echo unknown)
host_json=$(printf '{"date":"%s","commit":"'"$commit"'","host_cpu":"%s","host_cores":%s,"host_mem_gib":%s,"host_kernel":"%s","qemu":"%s","lab":"QEMU TCG -smp 2 -m %s, Xen dom0 1 vCPU 1536 MiB, guest 1 vCPU %s MiB"}' \
	"$(date -u +%Y-%m-%dT%H:%MZ)" "$cpu" "$(nproc)" \
	"$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)" "$(uname -r)" \
	"$(qemu-system-x86_64 --version | head -n1 | sed 's/QEMU emulator version //')" \
	"${LAB_MEM:-4096}" "$GUEST_MEMORY")

# ---- medians -------------------------------------------------------------------
# Flat JSON objects written by bench-dom0.sh: a field is "key":value.
AWKLIB='
function get(k,   m) {
	if (match($0, "\"" k "\":(\"[^\"]*\"|[-0-9.eE+]+|true|false|null)")) {
		m = substr($0, RSTART + length(k) + 3, RLENGTH - length(k) - 3)
		gsub(/"/, "", m); return m
	}
	return ""
}
function median(list,   a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	if (n == 0) return ""
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'
# medians.tsv: kind backend/what config job-or-class devices metric median n
awk "$AWKLIB"'
/"kind":"io"/ {
	k = get("backend") SUBSEP get("config") SUBSEP get("job")
	bs = get("bs")
	if (bs == "1m") v = (get("read_kbs") + get("write_kbs")) / 1024
	else v = get("read_iops") + get("write_iops")
	io[k] = io[k] " " v; n[k]++
	lat[k] = lat[k] " " (get("rw") ~ /write/ ? get("write_clat_us") : get("read_clat_us"))
	busy[k] = busy[k] " " get("dom0_busy_pct")
	unit[k] = bs == "1m" ? "MB/s" : "IOPS"
}
/"kind":"limit-setup"/ { lim = get("riops"); lsh = get("shared_iops") }
/"kind":"control"/ && get("ok") == "true" {
	k = get("what") SUBSEP get("devices")
	ca[k] = ca[k] " " get("attach_s"); cd[k] = cd[k] " " get("detach_s"); cn[k]++
}
/"kind":"xl"/ && get("ok") == "true" {
	k = get("backend")
	xc[k] = xc[k] " " get("create_to_disk_s"); xa[k] = xa[k] " " get("block_attach_s")
	xs[k] = xs[k] " " get("attach_to_disk_s"); xd[k] = xd[k] " " get("block_detach_s"); xn[k]++
}
/"kind":"rss"/ {
	k = get("backend") SUBSEP get("devices")
	ri[k] = ri[k] " " get("idle_kb")
	if (get("peak_kb") != "" && get("peak_kb") != "null") rp[k] = rp[k] " " get("peak_kb")
	if (get("load_own_kb") != "") { rl[k] = rl[k] " " get("load_own_kb"); rm[k] = rm[k] " " get("load_image_kb") }
}
END {
	OFS = "\t"
	for (k in io) { split(k, p, SUBSEP); print "io", p[1], p[2], p[3], 1, unit[k], median(io[k]), n[k], median(lat[k]), median(busy[k]) }
	for (k in ca) { split(k, p, SUBSEP); print "control", p[1], "-", "-", p[2], "s", median(ca[k]), cn[k], median(cd[k]) }
	if (lim != "") print "limit", "xbdev", "-", "-", 1, "IOPS", lim, 1, lsh + 0
	for (k in xc) print "xl", k, "-", "-", 1, "s", median(xc[k]), xn[k], median(xa[k]), median(xs[k]), median(xd[k])
	for (k in ri) { split(k, p, SUBSEP); print "rss", p[1], "-", "-", p[2], "kB", median(ri[k]), split(ri[k], x, " "), (k in rp ? median(rp[k]) : ""), (k in rl ? median(rl[k]) : ""), (k in rm ? median(rm[k]) : "") }
}' "$raw" | sort > "$OUT/medians.tsv"

# ---- the table -------------------------------------------------------------------
table=$OUT/table.txt
awk -F'\t' -v quick=$quick '
function fmt(v, u) { if (v == "") return "-"; return u == "MB/s" ? sprintf("%.1f", v) : sprintf("%.0f", v) }
function ratio(a, b) { return (a == "" || b == "" || b + 0 == 0) ? "" : sprintf(" (%.2fx)", a / b) }
$1 == "io" { v[$2, $3, $4] = $7; u[$4] = $6; cpu[$2, $3, $4] = $10; if (!($4 in seen)) { seen[$4] = 1; jobs[++nj] = $4 } if ($3 != "default" && $3 !~ /^limit-/) cfgs[$3] = 1; if ($3 ~ /^limit-/) { lv[$3] = $7; lj[$3] = $4 } }
$1 == "limit" { lim = $7; lsh = $9 }
$1 == "control" { ca[$2, $5] = $7; cd[$2, $5] = $9; cn[$2, $5] = 1 }
$1 == "xl" { xc[$2] = $7; xa[$2] = $9; xs[$2] = $10; xd[$2] = $11; xn[$2] = $8 }
$1 == "rss" { ri[$2 " " $5] = $7; rp[$2 " " $5] = $9; rl[$2 " " $5] = $10; rm[$2 " " $5] = $11 }
END {
	printf "I/O through the stock xen-blkfront (fio in the guest, O_DIRECT, libaio); median of the repeats\n"
	printf "ratios are against Linux blkback (kernel, loop device on the same tmpfs file)\n\n"
	printf "%-20s %-5s %18s %12s %18s %20s\n", "job", "unit", "xbdev", "blkback", "qdisk", "dom0-local (limit)"
	for (i = 1; i <= nj; i++) {
		j = jobs[i]; b = v["blkback", "default", j]
		if (b == "" && v["xbdev", "default", j] == "") continue      # a features-only job
		printf "%-20s %-5s %18s %12s %18s %20s\n", j, u[j], \
			fmt(v["xbdev", "default", j], u[j]) ratio(v["xbdev", "default", j], b), fmt(b, u[j]), \
			(("qdisk", "default", j) in v ? fmt(v["qdisk", "default", j], u[j]) ratio(v["qdisk", "default", j], b) : "n/a"), \
			fmt(v["local", "default", j], u[j]) ratio(v["local", "default", j], b)
	}
	printf "\ndom0 CPU busy during each job, %% of its one vCPU (median; the backend'"'"'s work and everything else\nin dom0; the guest has its own vCPU), and the throughput it bought: units per 1%% busy\n"
	printf "%-20s %18s %18s %18s\n", "job", "xbdev", "blkback", "qdisk"
	for (i = 1; i <= nj; i++) {
		j = jobs[i]
		if (v["blkback", "default", j] == "" && v["xbdev", "default", j] == "") continue
		printf "%-20s", j
		split("xbdev blkback qdisk", bk, " ")
		for (x = 1; x <= 3; x++) {
			c = cpu[bk[x], "default", j]
			printf " %18s", (c == "" ? "n/a" : sprintf("%5.1f%% (%s)", c, c > 0 ? sprintf(u[j] == "MB/s" ? "%.1f" : "%.0f", v[bk[x], "default", j] / c) : "-"))
		}
		printf "\n"
	}
	nc = 0; for (c in cfgs) nc++
	if (nc) {
		printf "\nPerformance features: one setting changed (before = the I/O table above): the guest'"'"'s blkfront\nreloaded with a module parameter, or (grant-copy, bounce-buffers) xbdev-blkback without persistent\ngrants, and also without its page-cache path;\nrandread-4k-qd32x2: a 2-vCPU guest, two fio jobs, blkfront max_queues=1 (before) or 2;\npvh: the same guest started as a PVH guest (before: as PV)\n"
		printf "%-20s %-18s %18s %18s %16s\n", "job", "setting", "xbdev", "blkback", "xbdev this/before"
		for (i = 1; i <= nj; i++) {
			j = jobs[i]
			for (c in cfgs) {
				if (!(("xbdev", c, j) in v) && !(("blkback", c, j) in v)) continue
				# before: the I/O table, or for the multi-queue row
				# (its own job) the 1-queue setting
				bx = v["xbdev", "default", j] ? v["xbdev", "default", j] : (c != "1-queue" ? v["xbdev", "1-queue", j] : "")
				printf "%-20s %-18s %18s %18s %16s\n", j, c, \
					fmt(v["xbdev", c, j], u[j]) ratio(v["xbdev", c, j], v["blkback", c, j]), \
					fmt(v["blkback", c, j], u[j]), \
					(bx ? sprintf("%.2fx", v["xbdev", c, j] / bx) : "-")
			}
		}
	}
	if (length(lv)) {
		if (lsh > 0)
			printf "\nI/O limits (xbdev-blkback) on a shared disk: guest A on /dev/vda, guest B on /dev/vdb, two virtio\ndisks that QEMU throttles together to %s requests a second (both O_DIRECT); A %s at riops=%s,\nB %s (two thirds of the disk) without a limit; the limiter off: A alone on a tmpfs file, no\nlimit and one far above reach (xbdev limit, live); IOPS, median\n", lsh, lj["limit-a"], lim, lj["limit-b-alone"]
		else
			printf "\nI/O limits (xbdev-blkback): guest A at riops=%s (attach --limit) and guest B without a limit, each on\nits own tmpfs image, %s in both at once; the limiter off: A alone with no limit and with one far\nabove reach (xbdev limit, live); IOPS, median\n", lim, lj["limit-a"]
		printf "%-32s %10s %22s\n", "row", "IOPS", "against"
		if ("limit-a-alone" in lv)
			printf "%-32s %10s %22s\n", "A alone, no limit", fmt(lv["limit-a-alone"]), \
				(lsh > 0 ? sprintf("%.3f of the disk", lv["limit-a-alone"] / lsh) : "")
		printf "%-32s %10s %22s\n", "A limited, beside B", fmt(lv["limit-a"]), \
			(lv["limit-a"] != "" && lim ? sprintf("%.3f of its limit", lv["limit-a"] / lim) : "-")
		printf "%-32s %10s %22s\n", "B alone", fmt(lv["limit-b-alone"]), ""
		printf "%-32s %10s %22s\n", "B beside A", fmt(lv["limit-b-beside"]), \
			(lv["limit-b-alone"] ? sprintf("%.3fx B alone", lv["limit-b-beside"] / lv["limit-b-alone"]) : "-")
		printf "%-32s %10s %22s\n", "A+B, A limited", fmt(lv["limit-a"] + lv["limit-b-beside"]), \
			(lsh > 0 ? sprintf("%.3f of the disk", (lv["limit-a"] + lv["limit-b-beside"]) / lsh) : \
			 lv["limit-b-alone"] ? sprintf("%.3fx B alone", (lv["limit-a"] + lv["limit-b-beside"]) / lv["limit-b-alone"]) : "-")
		printf "%-32s %10s %22s\n", "A unlimited, beside B", fmt(lv["limit-a-unlimited"]), ""
		printf "%-32s %10s %22s\n", "B beside A unlimited", fmt(lv["limit-b-beside-unlimited"]), \
			(lv["limit-b-alone"] ? sprintf("%.3fx B alone", lv["limit-b-beside-unlimited"] / lv["limit-b-alone"]) : "-")
		printf "%-32s %10s %22s\n", "B beside A: limited/unlimited", "", \
			(lv["limit-b-beside-unlimited"] ? sprintf("%.3fx", lv["limit-b-beside"] / lv["limit-b-beside-unlimited"]) : "-")
		printf "%-32s %10s %22s\n", "limiter off: no limit", fmt(lv["limit-unset"]), ""
		printf "%-32s %10s %22s\n", "limiter on, far above reach", fmt(lv["limit-far"]), \
			(lv["limit-unset"] ? sprintf("%.3fx no limit", lv["limit-far"] / lv["limit-unset"]) : "-")
	}
	if (length(cn)) {
		printf "\nControl plane: attach (to both ends Connected) and detach, seconds, median\n"
		printf "%-16s %4s %16s %10s %14s %10s\n", "what", "devs", "attach", "per dev", "detach", "per dev"
		split("xbdev-vbd blkback-vbd xbdev-mydevice seed-mydevice", order, " ")
		split("1 8 32", ns, " ")
		for (x = 1; x <= 3; x++) for (o = 1; o <= 4; o++) {
			w = order[o]; n = ns[x]
			if (!((w, n) in cn)) continue
			ref = w ~ /mydevice/ ? "seed-mydevice" : "blkback-vbd"
			r = w == ref ? "" : ratio(ca[w, n], ca[ref, n])
			printf "%-16s %4s %16s %10.3f %14s %10.3f\n", w, n, sprintf("%.3f", ca[w, n]) r, ca[w, n] / n, \
				sprintf("%.3f", cd[w, n]) (w == ref ? "" : ratio(cd[w, n], cd[ref, n])), cd[w, n] / n
		}
		printf "(ratios: xbdev-vbd against blkback-vbd, xbdev-mydevice against the seeds'"'"' bash script)\n"
	}
	if (length(xc)) {
		printf "\nDisks of xl configs (the same 1-vCPU guest, the disk in its config): xl create to the guest\nseeing xvdb (its boot included), xl block-attach of xvdc (xl returns / the guest sees it), xl block-detach;\nseconds, median (ratios against blkback: phy on a loop device, Xen'"'"'s block script)\n"
		printf "%-10s %16s %16s %16s %16s %3s\n", "backend", "create->disk", "block-attach", "attach->disk", "block-detach", "n"
		split("xbdev blkback qdisk", xo, " ")
		for (o = 1; o <= 3; o++) {
			w = xo[o]
			if (!(w in xc)) { if (w == "qdisk") printf "%-10s %16s\n", w, "n/a"; continue }
			r = w == "blkback" || !("blkback" in xc)
			printf "%-10s %16s %16s %16s %16s %3s\n", w, \
				sprintf("%.2f", xc[w]) (r ? "" : ratio(xc[w], xc["blkback"])), \
				sprintf("%.3f", xa[w]) (r ? "" : ratio(xa[w], xa["blkback"])), \
				sprintf("%.3f", xs[w]) (r ? "" : ratio(xs[w], xs["blkback"])), \
				sprintf("%.3f", xd[w]) (r ? "" : ratio(xd[w], xd["blkback"])), xn[w]
		}
	}
	if (length(ri)) {
		printf "\nMemory: VmRSS of the backend process per served device (xbdev-blkback: one process per device;\nqdisk: the whole QEMU).  Under load: half-way through each job, the largest, less the pages of the\nimage file mapped (the file'"'"'s page cache, there with or without the mapping: shown apart).\n"
		for (n in ri) { split(n, p, " "); printf "  %-8s %2s device(s): idle %6.0f kB%s%s\n", p[1], p[2], ri[n], \
			(rl[n] != "" ? sprintf(", under load %6.0f kB (+ %.0f kB of the image mapped)", rl[n], rm[n]) : ""), \
			(rp[n] != "" ? sprintf(", VmHWM %6.0f kB", rp[n]) : "") }
	}
}' "$OUT/medians.tsv" > "$table"
# The limit stage's CPU time per domain (xl list), each sample as it came:
# the lab's domains share the host's 2 CPUs, so what B loses beside A is
# read against what each domain took.
awk "$AWKLIB"'/"kind":"domain-cpu"/ {
	if (!n++) printf "\nI/O limits: CPU time each domain used (xl list'"'"'s Time, all its vCPUs; the lab'"'"'s domains share\nthe host'"'"'s 2 CPUs)\n"
	printf "  %-34s %s\n", get("what") (get("rep") + 0 > 0 ? ", repeat " get("rep") : ""), get("cpu")
}' "$raw" >> "$table"
skips=$(awk "$AWKLIB"'/"kind":"skip"/ { print "  skipped: " (get("backend") ? get("backend") : get("what")) ": " get("why") }' "$raw")
errors=$(awk "$AWKLIB"'/"kind":"(io-error|attach-error|error)"/ { print "  error: " $0 }' "$raw" | cut -c1-300)
{ [ -n "$skips" ] && printf '\n%s\n' "$skips"; [ -n "$errors" ] && printf '\n%s\n' "$errors"; } >> "$table"
printf '\nhost: %s\n' "$host_json" >> "$table"

# ---- JSON: everything in one document --------------------------------------------
{
	printf '{"host":%s,\n"medians":[' "$host_json"
	awk -F'\t' 'BEGIN { s = "" } { printf "%s\n{\"kind\":\"%s\",\"who\":\"%s\",\"config\":\"%s\",\"job\":\"%s\",\"devices\":%s,\"unit\":\"%s\",\"median\":%s,\"samples\":%s,\"extra\":%s}", s, $1, $2, $3, $4, $5, $6, ($7 == "" ? "null" : $7), $8, ($9 == "" ? "null" : $9); s = "," }' "$OUT/medians.tsv"
	printf '],\n"raw":['
	awk 'NR > 1 { printf "," } { printf "\n%s", $0 }' "$raw"
	printf ']}\n'
} > "$OUT/results.json"
cp "$OUT/results.json" "$OUT/results-$(date -u +%Y%m%dT%H%M).json"

# ---- plot: IOPS versus queue depth ------------------------------------------------
dat=$OUT/iops-vs-qd.dat
awk -F'\t' '$1 == "io" && $3 == "default" && $4 ~ /^randread-4k-qd[0-9]+$/ {
	q = $4; sub(/.*qd/, "", q); v[q, $2] = $7; qs[q] = 1 }
	END { print "# qd xbdev blkback dom0-local qdisk (4k randread IOPS, median)"
	      for (q in qs) printf "%s %s %s %s %s\n", q, ((q, "xbdev") in v ? v[q, "xbdev"] : "NaN"),
		((q, "blkback") in v ? v[q, "blkback"] : "NaN"), ((q, "local") in v ? v[q, "local"] : "NaN"),
		((q, "qdisk") in v ? v[q, "qdisk"] : "NaN") }' \
	"$OUT/medians.tsv" | sort -n > "$dat"
if command -v gnuplot >/dev/null && [ "$(wc -l < "$dat")" -gt 1 ]; then
	gnuplot <<GP 2> "$OUT/gnuplot.log" || say "bench: gnuplot failed (see $OUT/gnuplot.log)"
set terminal pngcairo size 900,560 noenhanced
set output "$OUT/iops-vs-qd.png"
set title "4 KiB random read through xen-blkfront, IOPS vs queue depth (Xen lab under QEMU TCG)"
set xlabel "queue depth (fio iodepth)"
set ylabel "IOPS (median)"
set logscale x 2
set key top left
set grid
set datafile missing "NaN"
plot "$dat" using 1:2 with linespoints lw 2 title "xbdev-blkback (userspace)", \
     "$dat" using 1:3 with linespoints lw 2 title "Linux blkback + loop", \
     "$dat" using 1:5 with linespoints lw 2 title "QEMU qdisk (xen-block)", \
     "$dat" using 1:4 with linespoints lw 2 dt 2 title "dom0-local fio on the tmpfs file (limit)"
GP
fi

# ---- report ---------------------------------------------------------------------------
if [ $quick = 1 ]; then
	# TAP: one line per backend: did it produce a number?
	fails=0
	echo "1..4"
	i=0
	for b in xbdev blkback local; do
		i=$((i + 1))
		v=$(awk -F'\t' -v b=$b '$1 == "io" && $2 == b && $3 == "default" { print $7; exit }' "$OUT/medians.tsv")
		if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; then
			echo "ok $i - bench-quick: $b: randread-4k-qd32 $(printf '%.0f' "$v") IOPS"
		else
			why=${lab_problem:-$(awk -v b=$b "$AWKLIB"'/"kind":"(io-error|attach-error|error)"/ && (get("backend") == b || get("kind") == "error") { print get("error") get("output") get("what"); exit }' "$raw" | cut -c1-200)}
			echo "not ok $i - bench-quick: $b: no number (${why:-no result line; see $serial})"
			fails=$((fails + 1))
		fi
	done
	v=$(awk -F'\t' '$1 == "io" && $2 == "qdisk" && $3 == "default" { print $7; exit }' "$OUT/medians.tsv")
	why=$(awk "$AWKLIB"'/"kind":"skip"/ && get("backend") == "qdisk" { print get("why") }' "$raw")
	if [ -n "$v" ] && awk -v v="$v" 'BEGIN { exit !(v > 0) }'; then
		echo "ok 4 - bench-quick: qdisk: randread-4k-qd32 $(printf '%.0f' "$v") IOPS"
	elif [ -n "$why" ]; then
		echo "ok 4 - bench-quick: qdisk # SKIP $why"
	else
		echo "not ok 4 - bench-quick: qdisk: no number"
		fails=$((fails + 1))
	fi
	cat "$table" >&2
	say "bench: results in $OUT/ (table.txt, results.json, raw.jsonl)"
	exit $((fails > 0))
fi
cat "$table"
echo
echo "bench: results in $OUT/: table.txt, results.json (medians + raw), raw.jsonl, iops-vs-qd.png"
[ -s "$raw" ] && grep -q '"kind":"done"' "$raw" || { echo "bench: the run did not complete (see $serial)" >&2; exit 1; }
