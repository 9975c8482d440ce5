/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bench: a fio-like load straight on the ring (no guest block layer in
 * the way), so the numbers are the backend's.  Latency is submit to
 * response, as seen by the frontend, including event-channel delivery.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>

#include "blkfront.h"

struct bctx {
	const struct xbf_bench_opts *bo;
	uint64_t start, len;     /* region, sectors */
	uint64_t nsect;          /* per request */
	uint64_t nblocks;
	uint64_t next;           /* sequential cursor, in blocks */
	uint64_t rng;
	int64_t t_end;
	struct xbf_hist h_read, h_write;
	uint64_t reads, writes, errors;
	bool stop;
};

static uint64_t rnd(struct bctx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

static int gen(struct xbf_dev *d, struct xbf_queue *q, struct xbf_slot *s,
	       void *arg)
{
	struct bctx *c = arg;
	const struct xbf_bench_opts *bo = c->bo;
	uint64_t blk;
	bool write;
	int err;

	if (c->stop || xbf_now_ns() >= c->t_end) {
		c->stop = true;
		return 0;
	}
	if (bo->random) {
		blk = rnd(c) % c->nblocks;
	} else {
		blk = c->next++;
		if (c->next >= c->nblocks)
			c->next = 0;
	}
	if (bo->mixed)
		write = (rnd(c) % 100) >= bo->rwmix_read;
	else
		write = bo->write;
	err = xbf_queue_rw(d, q, s, write ? BLKIF_OP_WRITE : BLKIF_OP_READ,
			   c->start + blk * c->nsect, c->nsect, 0, false);
	if (err)
		return err;
	return 1;       /* one request queued */
}

static void done(struct xbf_dev *d, struct xbf_queue *q, struct xbf_slot *s,
		 void *arg)
{
	struct bctx *c = arg;
	uint64_t ns = (uint64_t)(xbf_now_ns() - s->t_submit_ns);

	if (s->status != BLKIF_RSP_OKAY) {
		c->errors++;
		return;
	}
	if (s->op == BLKIF_OP_WRITE) {
		c->writes++;
		xbf_hist_add(&c->h_write, ns);
	} else {
		c->reads++;
		xbf_hist_add(&c->h_read, ns);
	}
}

static json_object *side(const struct xbf_hist *h, uint64_t ios,
			 uint64_t bs, double secs)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ios", json_object_new_int64((int64_t)ios));
	json_object_object_add(o, "iops",
			       json_object_new_double(ios / secs));
	json_object_object_add(o, "mb_per_s",
			       json_object_new_double(ios * bs / secs / 1e6));
	json_object_object_add(o, "lat_mean_us",
			       json_object_new_double(
				       h->count ? h->sum_ns / h->count / 1e3
						: 0));
	json_object_object_add(o, "lat_p50_us",
			       json_object_new_double(
				       xbf_hist_percentile(h, 50) / 1e3));
	json_object_object_add(o, "lat_p99_us",
			       json_object_new_double(
				       xbf_hist_percentile(h, 99) / 1e3));
	json_object_object_add(o, "lat_max_us",
			       json_object_new_double(
				       h->count ? h->max_ns / 1e3 : 0));
	return o;
}

static const char *rw_name(const struct xbf_bench_opts *bo)
{
	if (bo->mixed)
		return bo->random ? "randrw" : "rw";
	if (bo->write)
		return bo->random ? "randwrite" : "write";
	return bo->random ? "randread" : "read";
}

int xbf_bench(struct xbf_dev *d, const struct xbf_bench_opts *bo, FILE *out)
{
	struct bctx c = { .bo = bo };
	struct xbf_hist all;
	json_object *j = NULL;
	int64_t t0;
	double secs;
	int r;

	if (bo->bs == 0 || bo->bs % XBF_SECTOR_SIZE ||
	    xbf_pages_for(0, bo->bs / XBF_SECTOR_SIZE) > d->max_segs)
		return -EINVAL;
	if ((bo->write || bo->mixed) && (d->be.info & VDISK_READONLY))
		return -EROFS;
	c.nsect = bo->bs / XBF_SECTOR_SIZE;
	c.start = bo->start;
	if (c.start >= d->be.sectors)
		return -EINVAL;
	c.len = d->be.sectors - c.start;
	if (bo->length && bo->length < c.len)
		c.len = bo->length;
	c.nblocks = c.len / c.nsect;
	if (c.nblocks == 0)
		return -EINVAL;
	c.rng = 0x9e3779b97f4a7c15ULL ^ bo->seed;
	xbf_hist_init(&c.h_read);
	xbf_hist_init(&c.h_write);
	/* fill slots once: writes carry whatever is there, reads overwrite */
	for (unsigned i = 0; i < d->nqueues; i++)
		memset(d->q[i].pool, 0xa5,
		       (size_t)d->q[i].pool_pages * XBF_PAGE_SIZE);
	t0 = xbf_now_ns();
	c.t_end = t0 + (int64_t)(bo->runtime_s ? bo->runtime_s : 10) *
			       1000000000;
	r = xbf_run(d, bo->iodepth ? bo->iodepth : 1, gen, done, &c, 30000);
	secs = (double)(xbf_now_ns() - t0) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	xbf_hist_init(&all);
	xbf_hist_merge(&all, &c.h_read);
	xbf_hist_merge(&all, &c.h_write);

	if (bo->json) {
		j = json_object_new_object();
		json_object_object_add(j, "rw", json_object_new_string(rw_name(bo)));
		json_object_object_add(j, "bs",
				       json_object_new_int64((int64_t)bo->bs));
		json_object_object_add(j, "iodepth",
				       json_object_new_int((int)(bo->iodepth ?: 1)));
		json_object_object_add(j, "queues",
				       json_object_new_int((int)d->nqueues));
		json_object_object_add(j, "ring-page-order",
				       json_object_new_int((int)d->ring_order));
		json_object_object_add(j, "indirect",
				       json_object_new_boolean(d->use_indirect));
		json_object_object_add(j, "persistent",
				       json_object_new_boolean(d->use_persistent));
		json_object_object_add(j, "backend",
				       json_object_new_string(d->be_path));
		json_object_object_add(j, "runtime_s",
				       json_object_new_double(secs));
		json_object_object_add(j, "errors",
				       json_object_new_int64((int64_t)c.errors));
		json_object_object_add(j, "read",
				       side(&c.h_read, c.reads, bo->bs, secs));
		json_object_object_add(j, "write",
				       side(&c.h_write, c.writes, bo->bs, secs));
		json_object_object_add(j, "total",
				       side(&all, c.reads + c.writes, bo->bs,
					    secs));
		if (r)
			json_object_object_add(j, "error",
					       json_object_new_string(
						       xbf_strerror(r)));
		fprintf(out, "%s\n", json_object_to_json_string_ext(
					     j, JSON_C_TO_STRING_PRETTY |
							JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		uint64_t ios = c.reads + c.writes;

		fprintf(out, "bench: %s bs=%" PRIu64 " iodepth=%u queues=%u "
			"ring-page-order=%u indirect=%s persistent=%s\n",
			rw_name(bo), bo->bs, bo->iodepth ?: 1, d->nqueues,
			d->ring_order, d->use_indirect ? "on" : "off",
			d->use_persistent ? "on" : "off");
		fprintf(out, "  %.1f s: %" PRIu64 " I/Os (%" PRIu64 " read, %"
			PRIu64 " write), %" PRIu64 " errors\n", secs, ios,
			c.reads, c.writes, c.errors);
		fprintf(out, "  IOPS %.0f, %.2f MB/s\n", ios / secs,
			ios * bo->bs / secs / 1e6);
		fprintf(out, "  latency us: mean %.1f p50 %.1f p99 %.1f max "
			"%.1f\n", all.count ? all.sum_ns / all.count / 1e3 : 0,
			xbf_hist_percentile(&all, 50) / 1e3,
			xbf_hist_percentile(&all, 99) / 1e3,
			all.count ? all.max_ns / 1e3 : 0);
		if (r)
			fprintf(out, "  aborted: %s\n", xbf_strerror(r));
	}
	if (r)
		return r;
	return c.errors ? -EIO : 0;
}
