/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Latency histogram: log-linear buckets (16 per power of two), so any
 * percentile is reported as an upper bound within 1/16 (6.25 %) of the
 * true value, in constant memory, whatever the run length.
 */
#include <time.h>

#include "blkfront.h"

int64_t xbf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void xbf_hist_init(struct xbf_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min_ns = UINT64_MAX;
}

unsigned xbf_hist_bucket(uint64_t ns)
{
	unsigned msb, sub;

	if (ns < XBF_HIST_SUB)
		return (unsigned)ns;
	msb = 63u - (unsigned)__builtin_clzll(ns);
	/* the 4 bits below the most significant one pick the sub-bucket */
	sub = (unsigned)(ns >> (msb - 4)) & (XBF_HIST_SUB - 1);
	return (msb - 3) * XBF_HIST_SUB + sub;
}

uint64_t xbf_hist_bucket_upper(unsigned b)
{
	unsigned msb, sub;

	if (b < XBF_HIST_SUB)
		return b;
	msb = b / XBF_HIST_SUB + 3;
	sub = b % XBF_HIST_SUB;
	if (msb >= 63 && sub == XBF_HIST_SUB - 1)
		return UINT64_MAX;
	return ((((uint64_t)XBF_HIST_SUB + sub + 1) << (msb - 4))) - 1;
}

void xbf_hist_add(struct xbf_hist *h, uint64_t ns)
{
	h->count++;
	h->sum_ns += (double)ns;
	if (ns < h->min_ns)
		h->min_ns = ns;
	if (ns > h->max_ns)
		h->max_ns = ns;
	h->bucket[xbf_hist_bucket(ns)]++;
}

void xbf_hist_merge(struct xbf_hist *dst, const struct xbf_hist *src)
{
	dst->count += src->count;
	dst->sum_ns += src->sum_ns;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	for (unsigned i = 0; i < XBF_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t xbf_hist_percentile(const struct xbf_hist *h, double p)
{
	uint64_t want, seen = 0;

	if (!h->count)
		return 0;
	if (p <= 0)
		return h->min_ns;
	if (p >= 100)
		return h->max_ns;
	/* the smallest value with at least p % of samples at or below it */
	want = (uint64_t)((p / 100.0) * (double)h->count + 0.999999);
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < XBF_HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= want) {
			uint64_t up = xbf_hist_bucket_upper(b);

			return up > h->max_ns ? h->max_ns : up;
		}
	}
	return h->max_ns;
}
