// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The I/O limits' token buckets (backend/limit.c) on a fake clock: over
 * simulated seconds each rate holds within 1%, a full bucket lets a burst
 * of rate x burst through at once, a request larger than the bucket still
 * goes (and the ones after it wait out the debt), the directions are
 * independent, no limit means no wait, and a wait is never 0 ms.  Also
 * what a request costs (blk_limit_cost).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "blkback.h"

static struct blk_limiter lim;

static void set(const char *spec, int64_t now)
{
	struct xbdev_limit l;

	assert_int_equal(xbdev_limit_parse(spec, &l), 0);
	blk_limiter_set(&lim, &l, now);
}

/* A guest that always has a request ready (deep queue): from *now for ms
 * milliseconds, how many go; *now is where it stopped. */
static unsigned flood(bool write, uint64_t bytes, int64_t *now, int64_t ms)
{
	int64_t end = *now + ms;
	unsigned n = 0;

	while (*now < end) {
		int64_t w = blk_limiter_admit(&lim, write, bytes, *now);

		if (!w) {
			n++;
			continue;
		}
		assert_true(w >= 1);
		*now += w;
	}
	return n;
}

static void within(double got, double want, double pct)
{
	if (got < want * (1 - pct / 100) || got > want * (1 + pct / 100))
		fail_msg("%.0f not within %.1f%% of %.0f", got, pct, want);
}

static void test_rates_hold(void **s)
{
	int64_t t = 1000;
	unsigned n;

	(void)s;
	/* riops=200 for 10 s: 2000, plus the full bucket it started with */
	set("riops=200", t);
	n = flood(false, 4096, &t, 10000);
	within(n - 20, 2000, 1);
	/* the next 10 s, bucket empty: 2000 */
	n = flood(false, 4096, &t, 10000);
	within(n, 2000, 1);
	/* rbps=1M in 64 KiB reads: 16 a second */
	set("rbps=1M", t);
	flood(false, 65536, &t, 1000); /* the first burst */
	n = flood(false, 65536, &t, 20000);
	within((double)n * 65536, 20.0 * (1 << 20), 1);
	/* both limits: the lower wins (wiops=1000 vs wbps=400K at 4K: 100) */
	set("wiops=1000,wbps=400K", t);
	flood(true, 4096, &t, 1000);
	n = flood(true, 4096, &t, 10000);
	within(n, 1000, 1);
	/* a high rate against the 1 ms timer steps: iops=50000 */
	set("iops=50000", t);
	flood(true, 512, &t, 1000);
	n = flood(true, 512, &t, 5000);
	within(n, 250000, 1);
	/* burst=0 (counts as 5 ms) holds the rate too */
	set("riops=300,burst=0", t);
	flood(false, 4096, &t, 1000);
	n = flood(false, 4096, &t, 10000);
	within(n, 3000, 1);
}

static void test_burst(void **s)
{
	int64_t t = 0;
	unsigned n = 0;

	(void)s;
	set("riops=100,burst=2", t);
	t = 60000; /* idle for a minute: full, not more */
	while (!blk_limiter_admit(&lim, false, 4096, t))
		n++;
	assert_int_equal(n, 200);
	/* then one per 10 ms, in batches: the wait is 20 ms (a quarter of
	 * the burst, at most BLK_LIM_BATCH_MS), and then two go */
	assert_int_equal(blk_limiter_admit(&lim, false, 4096, t), 20);
	assert_int_equal(blk_limiter_admit(&lim, false, 4096, t + 20), 0);
	assert_int_equal(blk_limiter_admit(&lim, false, 4096, t + 20), 0);
	assert_int_not_equal(blk_limiter_admit(&lim, false, 4096, t + 20), 0);
	/* the default burst: 0.1 s */
	set("wiops=1000", t);
	n = 0;
	while (!blk_limiter_admit(&lim, true, 0, t))
		n++;
	assert_int_equal(n, 100);
}

/* A deep queue under riops=150 (default burst): the rate holds and the
 * main loop wakes about every 20 ms (a quarter of the burst), not once a
 * request (every 7 ms). */
static void test_held_requests_go_in_batches(void **s)
{
	int64_t t = 1000, end;
	unsigned n = 0, wakeups = 0;

	(void)s;
	set("riops=150", t);
	flood(false, 4096, &t, 1000);
	for (end = t + 10000; t < end;) {
		int64_t w = blk_limiter_admit(&lim, false, 4096, t);

		if (!w) {
			n++;
			continue;
		}
		assert_true(w >= 20);
		wakeups++;
		t += w;
	}
	within(n, 1500, 1);
	assert_true(wakeups <= 10000 / 20 + 1);
}

static void test_oversize_passes(void **s)
{
	int64_t t = 0, w;

	(void)s;
	/* a bucket of 409.6 bytes and a 1 MiB write: it goes when full */
	set("wbps=4K", t);
	assert_int_equal(blk_limiter_admit(&lim, true, 1 << 20, t), 0);
	/* and the debt is waited out: 1 MiB at 4 KiB/s, 256 s */
	w = blk_limiter_admit(&lim, true, 4096, t);
	assert_true(w > 255000 && w < 258000);
	assert_true(blk_limiter_admit(&lim, true, 4096, t + 250000) > 0);
	/* once full again the next oversize one goes: no deadlock */
	assert_int_equal(blk_limiter_admit(&lim, true, 1 << 20, t + 300000), 0);
	/* and reads are another bucket */
	assert_int_equal(blk_limiter_admit(&lim, false, 1 << 20, t + 300000),
			 0);
}

static void test_directions(void **s)
{
	int64_t t = 0, tw = 0;
	unsigned r = 0;

	(void)s;
	set("wiops=10", t);
	assert_true(lim.on);
	/* writes held, reads never */
	for (unsigned i = 0; i < 5000; i++)
		r += !blk_limiter_admit(&lim, false, 1 << 20, t);
	assert_int_equal(r, 5000);
	assert_int_equal(flood(true, 4096, &tw, 10000), 100);
	/* a flush or discard (0 bytes) counts against wbps not at all */
	set("wbps=1", t);
	for (unsigned i = 0; i < 100; i++)
		assert_int_equal(blk_limiter_admit(&lim, true, 0, t), 0);
}

static void test_off(void **s)
{
	(void)s;
	set("none", 5);
	assert_false(lim.on);
	for (int64_t t = 0; t < 100000; t++)
		assert_int_equal(blk_limiter_admit(&lim, t & 1, 1 << 20, 5), 0);
	set("riops=max,wbps=0", 5);
	assert_false(lim.on);
	/* a new limit starts full, whatever the old one had left */
	set("riops=10,burst=1", 0);
	assert_int_equal(flood(false, 0, &(int64_t){ 0 }, 1), 10);
	set("riops=10,burst=1", 0);
	assert_int_equal(blk_limiter_admit(&lim, false, 0, 0), 0);
}

static void test_cost(void **s)
{
	struct blk_req r = { 0 };
	uint64_t b = 99;

	(void)s;
	r.op = BLKIF_OP_READ;
	r.nr_segments = 2;
	r.seg[0] = (struct blk_seg){ .first_sect = 0, .last_sect = 7 };
	r.seg[1] = (struct blk_seg){ .first_sect = 2, .last_sect = 3 };
	assert_false(blk_limit_cost(&r, &b));
	assert_int_equal(b, 4096 + 1024);
	r.op = BLKIF_OP_WRITE;
	assert_true(blk_limit_cost(&r, &b));
	assert_int_equal(b, 5120);
	/* a bad segment (first > last) counts nothing; it fails anyway */
	r.seg[1] = (struct blk_seg){ .first_sect = 5, .last_sect = 3 };
	blk_limit_cost(&r, &b);
	assert_int_equal(b, 4096);
	/* more segments than a direct request has: bounded */
	r.nr_segments = 200;
	blk_limit_cost(&r, &b);
	assert_true(b <= BLKIF_MAX_SEGMENTS_PER_REQUEST * 4096);
	/* indirect: whole pages, at most BLK_MAX_SEGS */
	r.indirect = true;
	r.nr_segments = 32;
	blk_limit_cost(&r, &b);
	assert_int_equal(b, 32 * 4096);
	r.nr_segments = 60000;
	blk_limit_cost(&r, &b);
	assert_int_equal(b, (uint64_t)BLK_MAX_SEGS * 4096);
	/* flush: a write with its data; discard: a write, no bytes */
	r.indirect = false;
	r.nr_segments = 0;
	r.op = BLKIF_OP_FLUSH_DISKCACHE;
	assert_true(blk_limit_cost(&r, &b));
	assert_int_equal(b, 0);
	r.op = BLKIF_OP_DISCARD;
	r.nr_sectors = 1 << 20;
	assert_true(blk_limit_cost(&r, &b));
	assert_int_equal(b, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rates_hold),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_held_requests_go_in_batches),
		cmocka_unit_test(test_oversize_passes),
		cmocka_unit_test(test_directions),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
