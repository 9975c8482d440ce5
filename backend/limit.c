// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The I/O limits of the device (lib/limit.c's spec): token buckets, pure
 * arithmetic on a clock the caller passes (unit-tested with a fake one).
 *
 * Four buckets: requests and bytes, read and write.  A bucket holds at
 * most rate x burst tokens and is refilled by the time elapsed.  A request
 * goes when every limited bucket of its direction holds its cost (1, its
 * bytes) or is full: a request larger than a full bucket still goes and
 * leaves the bucket in debt, which the following requests wait out, so
 * the rate holds over time and no request waits for ever.  Reads count
 * against riops/rbps; writes, flushes and discards against wiops, and the
 * bytes a write (or a flush with data) carries against wbps (a discard and
 * a bare flush move no data).  A burst below BLK_LIM_MIN_BURST_MS counts
 * as that much: the main loop's timer has 1 ms steps.
 *
 * The data path (io.c) asks before it starts a request it took from the
 * ring; a request that must wait is kept (one per queue) and the main loop
 * sleeps until blk_limiter_admit said it may go.
 */
#include <string.h>

#include "blkback.h"

void blk_limiter_set(struct blk_limiter *l, const struct xbdev_limit *spec,
		     int64_t now_ms)
{
	const uint64_t rate[BLK_LIM_BUCKETS] = {
		[BLK_LIM_RIOPS] = spec->riops,
		[BLK_LIM_WIOPS] = spec->wiops,
		[BLK_LIM_RBPS] = spec->rbps,
		[BLK_LIM_WBPS] = spec->wbps,
	};
	const unsigned burst_ms = spec->burst_ms > BLK_LIM_MIN_BURST_MS
					  ? spec->burst_ms
					  : BLK_LIM_MIN_BURST_MS;

	l->spec = *spec;
	l->on = xbdev_limit_any(spec);
	/* Held requests go in batches: a wait is never shorter than a
	 * quarter of the burst, so that each wake-up of the main loop (a
	 * timer and a trip through Xen in a PV dom0) lets what the buckets
	 * gathered meanwhile go, not one request (at most BLK_LIM_BATCH_MS,
	 * what a request may wait more).  The buckets hold the whole burst,
	 * so no token is lost and the rates still hold. */
	l->batch_ms = burst_ms / 4;
	if (l->batch_ms > BLK_LIM_BATCH_MS)
		l->batch_ms = BLK_LIM_BATCH_MS;
	if (l->batch_ms < 1)
		l->batch_ms = 1;
	/* A new limit starts with full buckets. */
	for (unsigned i = 0; i < BLK_LIM_BUCKETS; i++) {
		struct blk_bucket *b = &l->b[i];

		b->rate = (double)rate[i] / 1000.0;
		/* Never less than the timer's resolution refills: else a
		 * wait of 1 ms would overflow a bucket refilled faster. */
		b->cap = b->rate * burst_ms;
		b->tokens = b->cap;
		b->at_ms = now_ms;
	}
}

static void refill(struct blk_bucket *b, int64_t now_ms)
{
	if (now_ms > b->at_ms) {
		b->tokens += b->rate * (double)(now_ms - b->at_ms);
		if (b->tokens > b->cap)
			b->tokens = b->cap;
	}
	b->at_ms = now_ms;
}

/* 0 when b lets cost through now, else ms until it will. */
static int64_t wait_ms(const struct blk_bucket *b, double cost)
{
	double need = cost < b->cap ? cost : b->cap;
	double ms;

	if (b->tokens >= need)
		return 0;
	ms = (need - b->tokens) / b->rate;
	/* Rounded up, at least 1 ms: never a busy loop of 0 ms waits. */
	return ms <= 1.0 ? 1 : (int64_t)ms + ((double)(int64_t)ms < ms);
}

int64_t blk_limiter_admit(struct blk_limiter *l, bool write, uint64_t bytes,
			  int64_t now_ms)
{
	struct blk_bucket *ops = &l->b[write ? BLK_LIM_WIOPS : BLK_LIM_RIOPS];
	struct blk_bucket *by = &l->b[write ? BLK_LIM_WBPS : BLK_LIM_RBPS];
	int64_t w = 0, wb = 0;

	if (ops->rate > 0) {
		refill(ops, now_ms);
		w = wait_ms(ops, 1.0);
	}
	if (by->rate > 0 && bytes) {
		refill(by, now_ms);
		wb = wait_ms(by, (double)bytes);
	}
	if (wb > w)
		w = wb;
	if (w)
		return w > l->batch_ms ? w : l->batch_ms;
	if (ops->rate > 0)
		ops->tokens -= 1.0;
	if (by->rate > 0)
		by->tokens -= (double)bytes;
	return 0;
}

/* The direction and bytes of a request as taken from the ring (decoded,
 * not yet validated: a bad one is answered with an error after it was
 * counted).  An indirect request counts its segments as whole pages: its
 * segment list is read only once it starts. */
bool blk_limit_cost(const struct blk_req *req, uint64_t *bytes)
{
	bool write = req->op != BLKIF_OP_READ;
	unsigned n = req->nr_segments;

	*bytes = 0;
	if (req->op != BLKIF_OP_READ && req->op != BLKIF_OP_WRITE &&
	    req->op != BLKIF_OP_FLUSH_DISKCACHE)
		return write;
	if (req->indirect) {
		*bytes = (uint64_t)(n < BLK_MAX_SEGS ? n : BLK_MAX_SEGS) *
			 BLK_PAGE_SIZE;
		return write;
	}
	if (n > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		n = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	for (unsigned i = 0; i < n; i++)
		if (req->seg[i].last_sect >= req->seg[i].first_sect)
			*bytes += (uint64_t)(req->seg[i].last_sect -
					     req->seg[i].first_sect + 1u)
				  << BLK_SECTOR_SHIFT;
	return write;
}
