/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * verify: write self-describing patterns across the device and read them
 * back, with request sizes from one sector to 1 MiB, buffers starting at
 * every sector offset within a page (the only alignment freedom blkif
 * gives), direct and indirect requests, flushes and discards.
 *
 * A generation map (one byte per sector) records what each sector must
 * hold; 0 means "unknown" (discarded, or never written).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>

#include "blkfront.h"

/* Request sizes in sectors: around the page (8), the direct limit
 * (11 pages = 88) and the 1 MiB indirect limit (2048). */
static const unsigned sizes[] = {
	1, 8, 3, 16, 88, 9, 89, 64, 2, 128, 255, 256, 7, 512, 1024, 2048,
	24, 15, 2047, 100,
};
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

enum phase { PH_WRITE, PH_READ, PH_RANDOM, PH_DISCARD, PH_REWRITE };

struct vctx {
	const struct xbf_verify_opts *vo;
	FILE *out;
	uint64_t start, len;          /* region, sectors */
	uint8_t *gen;                 /* per sector of the region */
	enum phase ph;
	uint8_t cur_gen;
	uint64_t pos;                 /* next sector (sequential phases) */
	uint64_t n, count;            /* random phase: done / wanted */
	unsigned k;                   /* size rotation */
	uint64_t rng;
	/* discard ranges to rewrite */
	uint64_t dis_start[8], dis_len[8];
	unsigned ndis, dis_i;
	/* results */
	uint64_t mismatches, io_errors, eopnotsupp;
	uint64_t reqs, direct, indirect, bytes_w, bytes_r, flushes, discards;
	unsigned reported;
};

static uint64_t rnd(struct vctx *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return c->rng;
}

/* Size and buffer offset of the next I/O, within what one slot can do. */
static void pick(struct xbf_dev *d, struct xbf_queue *q, struct vctx *c,
		 uint64_t room, uint64_t *nsect, unsigned *off, bool *force)
{
	unsigned slot_pages = q->pool_pages / q->nslots - q->slots[0].n_ind;
	unsigned maxp = slot_pages < d->max_segs ? slot_pages : d->max_segs;
	uint64_t n = sizes[c->k % NSIZES];
	unsigned o = (c->k * 3u) % XBF_SECTS_PER_PAGE;

	/* every third request page-aligned: the common case must be
	 * covered as much as the odd one */
	if (c->k % 3 == 0)
		o = 0;
	if (n > room)
		n = room;
	while (xbf_pages_for(o, n) > maxp) {
		if (o)
			o = 0;
		else
			n = (uint64_t)maxp * XBF_SECTS_PER_PAGE;
	}
	*nsect = n;
	*off = o;
	/* with indirect on, send every other small request indirect too */
	*force = d->use_indirect && (c->k & 1);
	c->k++;
}

static int gen_io(struct xbf_dev *d, struct xbf_queue *q, struct xbf_slot *s,
		  void *arg)
{
	struct vctx *c = arg;
	uint64_t sector, nsect;
	unsigned off;
	bool force, write;
	int r;

	switch (c->ph) {
	case PH_WRITE:
	case PH_READ:
		if (c->pos >= c->len)
			return 0;
		pick(d, q, c, c->len - c->pos, &nsect, &off, &force);
		sector = c->pos;
		c->pos += nsect;
		write = c->ph == PH_WRITE;
		break;
	case PH_RANDOM:
		if (c->n >= c->count)
			return 0;
		pick(d, q, c, c->len, &nsect, &off, &force);
		sector = rnd(c) % c->len;
		if (sector + nsect > c->len)
			sector = c->len - nsect;
		c->n++;
		write = true;
		break;
	case PH_REWRITE:
		while (c->dis_i < c->ndis && c->pos >= c->dis_len[c->dis_i]) {
			c->dis_i++;
			c->pos = 0;
		}
		if (c->dis_i >= c->ndis)
			return 0;
		pick(d, q, c, c->dis_len[c->dis_i] - c->pos, &nsect, &off,
		     &force);
		sector = c->dis_start[c->dis_i] + c->pos;
		c->pos += nsect;
		write = true;
		break;
	default:
		return 0;
	}
	if (write)
		xbf_pattern_fill((char *)s->data + off * XBF_SECTOR_SIZE,
				 c->start + sector, nsect, c->cur_gen,
				 c->vo->seed);
	r = xbf_queue_rw(d, q, s, write ? BLKIF_OP_WRITE : BLKIF_OP_READ,
			 c->start + sector, nsect, off, force);
	if (r)
		return r;
	c->reqs++;
	if (force || xbf_pages_for(off, nsect) > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		c->indirect++;
	else
		c->direct++;
	return 1;
}

static void report(struct vctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void report(struct vctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->reported++ >= (c->vo->max_report ? c->vo->max_report : 20))
		return;
	va_start(ap, fmt);
	fputs("verify: ", c->out);
	vfprintf(c->out, fmt, ap);
	fputc('\n', c->out);
	va_end(ap);
}

static void check_read(struct vctx *c, struct xbf_slot *s)
{
	const char *buf = (const char *)s->data +
			  s->first_off * XBF_SECTOR_SIZE;
	uint64_t rel = s->sector - c->start;
	uint64_t i = 0;

	/* runs of sectors with the same expected generation */
	while (i < s->nsect) {
		uint64_t j = i;
		uint8_t g = c->gen[rel + i];
		struct xbf_mismatch mm[4];
		uint64_t bad;

		while (j < s->nsect && c->gen[rel + j] == g)
			j++;
		if (g) {
			bad = xbf_pattern_check(buf + i * XBF_SECTOR_SIZE,
						s->sector + i, j - i, g,
						c->vo->seed, mm, 4);
			for (unsigned m = 0; m < bad && m < 4; m++) {
				if (mm[m].has_hdr)
					report(c, "mismatch at sector %" PRIu64
					       " byte %u: expected sector "
					       "%" PRIu64 " gen %u, found "
					       "sector %" PRIu64 " gen %u",
					       mm[m].sector, mm[m].offset,
					       mm[m].sector, g,
					       mm[m].found_sector,
					       mm[m].found_gen);
				else
					report(c, "mismatch at sector %" PRIu64
					       " byte %u: expected sector "
					       "%" PRIu64 " gen %u, found no "
					       "pattern", mm[m].sector,
					       mm[m].offset, mm[m].sector, g);
			}
			c->mismatches += bad;
		}
		i = j;
	}
}

static void done_io(struct xbf_dev *d, struct xbf_queue *q,
		    struct xbf_slot *s, void *arg)
{
	struct vctx *c = arg;
	uint64_t rel = s->sector - c->start;

	if (s->op == BLKIF_OP_FLUSH_DISKCACHE ||
	    s->op == BLKIF_OP_WRITE_BARRIER || s->op == BLKIF_OP_DISCARD) {
		if (s->status == BLKIF_RSP_EOPNOTSUPP) {
			c->eopnotsupp++;
			report(c, "%s: not supported by the backend",
			       s->op == BLKIF_OP_DISCARD ? "discard" : "flush");
		} else if (s->status != BLKIF_RSP_OKAY) {
			c->io_errors++;
			report(c, "%s: status %d",
			       s->op == BLKIF_OP_DISCARD ? "discard" : "flush",
			       s->status);
		}
		return;
	}
	if (s->status != BLKIF_RSP_OKAY) {
		c->io_errors++;
		report(c, "%s of %" PRIu64 " sector(s) at %" PRIu64
		       " (buffer offset %u): status %d",
		       s->op == BLKIF_OP_WRITE ? "write" : "read", s->nsect,
		       s->sector, s->first_off, s->status);
		if (s->op == BLKIF_OP_WRITE)
			memset(c->gen + rel, 0, s->nsect);
		return;
	}
	if (s->op == BLKIF_OP_WRITE) {
		memset(c->gen + rel, c->cur_gen, s->nsect);
		c->bytes_w += s->nsect * XBF_SECTOR_SIZE;
	} else {
		c->bytes_r += s->nsect * XBF_SECTOR_SIZE;
		check_read(c, s);
	}
}

static int run_phase(struct xbf_dev *d, struct vctx *c, enum phase ph,
		     const char *name)
{
	int64_t t0 = xbf_now_ns();
	uint64_t req0 = c->reqs;
	int r;

	c->ph = ph;
	c->pos = 0;
	c->n = 0;
	c->dis_i = 0;
	r = xbf_run(d, d->q[0].nslots, gen_io, done_io, c, 30000);
	fprintf(c->out, "# verify: %-8s %6" PRIu64 " requests in %.2f s%s%s\n",
		name, c->reqs - req0, (double)(xbf_now_ns() - t0) / 1e9,
		r ? ": " : "", r ? xbf_strerror(r) : "");
	return r;
}

static int one_sync(struct xbf_dev *d, struct vctx *c, uint8_t op,
		    uint64_t sector, uint64_t nsect)
{
	struct xbf_queue *q = &d->q[0];
	struct xbf_slot *s;
	int r;

	for (;;) {
		s = xbf_slot_get(q);
		if (s)
			break;
		r = xbf_poll(d, 30000, done_io, c);
		if (r <= 0)
			return r ? r : -ETIMEDOUT;
	}
	if (op == BLKIF_OP_DISCARD)
		r = xbf_queue_discard(d, q, s, sector, nsect);
	else
		r = xbf_queue_flush(d, q, s, op);
	if (!r)
		r = xbf_push(d, q);
	while (!r && q->nbusy) {
		r = xbf_poll(d, 30000, done_io, c);
		if (r == 0)
			r = -ETIMEDOUT;
		else if (r > 0)
			r = 0;
	}
	return r;
}

static int do_flush(struct xbf_dev *d, struct vctx *c)
{
	if (c->vo->no_flush)
		return 0;
	if (d->be.flush) {
		c->flushes++;
		return one_sync(d, c, BLKIF_OP_FLUSH_DISKCACHE, 0, 0);
	}
	if (d->be.barrier) {
		c->flushes++;
		return one_sync(d, c, BLKIF_OP_WRITE_BARRIER, 0, 0);
	}
	return 0;
}

static int do_discards(struct xbf_dev *d, struct vctx *c)
{
	uint64_t gran = d->be.discard_granularity / XBF_SECTOR_SIZE;
	int r = 0;

	if (gran == 0)
		gran = 1;
	c->ndis = 0;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t len = gran * (1 + rnd(c) % 64);
		uint64_t at;

		if (len > c->len)
			len = c->len;
		at = rnd(c) % (c->len - len + 1);
		at -= at % gran;
		c->dis_start[c->ndis] = at;
		c->dis_len[c->ndis] = len;
		c->ndis++;
		/* whatever discarded sectors read back as is fine */
		memset(c->gen + at, 0, len);
		c->discards++;
		r = one_sync(d, c, BLKIF_OP_DISCARD, c->start + at, len);
		if (r)
			break;
	}
	fprintf(c->out, "# verify: discard  %6u ranges%s%s\n", c->ndis,
		r ? ": " : "", r ? xbf_strerror(r) : "");
	return r;
}

int xbf_verify(struct xbf_dev *d, const struct xbf_verify_opts *vo,
	       FILE *out)
{
	struct vctx c = { .vo = vo, .out = out };
	bool ro = vo->read_only || (d->be.info & VDISK_READONLY);
	unsigned passes = vo->passes ? vo->passes : 1;
	int r = 0;

	if (vo->start >= d->be.sectors) {
		fprintf(out, "verify: start %" PRIu64 " is past the end (%"
			PRIu64 " sectors)\n", vo->start, d->be.sectors);
		return -EINVAL;
	}
	c.start = vo->start;
	c.len = d->be.sectors - vo->start;
	if (vo->length && vo->length < c.len)
		c.len = vo->length;
	c.rng = 0x2545f4914f6cdd1dULL ^ vo->seed;
	c.gen = calloc(c.len, 1);
	if (!c.gen)
		return -ENOMEM;
	fprintf(out, "# verify: %s sectors %" PRIu64 "..%" PRIu64 " (%" PRIu64
		" MiB), %u queue(s), ring order %u, %s, persistent grants "
		"%s by us, %s by the backend, max %u segments\n", d->be_path,
		c.start, c.start + c.len - 1, c.len / 2048, d->nqueues,
		d->ring_order, d->use_indirect ? "indirect" : "direct only",
		d->opts.persistent ? "offered" : "not offered",
		d->be.persistent ? "offered" : "not offered", d->max_segs);

	if (ro) {
		/* read-only: all reads must succeed; contents are unknown */
		r = run_phase(d, &c, PH_READ, "read");
		goto out;
	}
	for (unsigned p = 0; p < passes && !r; p++) {
		c.cur_gen = (uint8_t)(1 + (p * 3) % 250);
		r = run_phase(d, &c, PH_WRITE, "write");
		if (!r)
			r = do_flush(d, &c);
		if (!r)
			r = run_phase(d, &c, PH_READ, "read");
		if (r)
			break;
		c.cur_gen++;
		c.count = c.len / 512 + 16;
		r = run_phase(d, &c, PH_RANDOM, "random");
		if (!r)
			r = do_flush(d, &c);
		if (r)
			break;
		if (d->be.discard && !vo->no_discard) {
			c.cur_gen++;
			r = do_discards(d, &c);
			if (!r)
				r = run_phase(d, &c, PH_REWRITE, "rewrite");
			if (r)
				break;
		}
		r = run_phase(d, &c, PH_READ, "readback");
	}
out:
	fprintf(out, "verify: %" PRIu64 " requests (%" PRIu64 " direct, %"
		PRIu64 " indirect), %" PRIu64 " MiB written, %" PRIu64
		" MiB read, %" PRIu64 " flushes, %" PRIu64 " discards, %"
		PRIu64 " mismatching sectors, %" PRIu64 " I/O errors%s%s\n",
		c.reqs, c.direct, c.indirect, c.bytes_w >> 20, c.bytes_r >> 20,
		c.flushes, c.discards, c.mismatches, c.io_errors,
		r ? ", aborted: " : "", r ? xbf_strerror(r) : "");
	free(c.gen);
	if (r)
		return r;
	return (c.mismatches || c.io_errors) ? -EIO : 0;
}
