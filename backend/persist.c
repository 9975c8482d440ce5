// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Persistent grants (feature-persistent, offered unless
 * XBDEV_BLKBACK_PERSISTENT=0): each queue keeps the guest pages it has
 * seen mapped, gref -> our address, until the queue is torn down, so a
 * frontend that reuses its grants (Linux blkfront copies every bio into
 * its pool of persistently granted pages) costs one mapping per page for
 * the life of the connection and none per request.  io.c then reads and
 * writes the file straight into and out of those pages (readv/writev via
 * io_uring): one copy on our side, done by the kernel, and no grant-copy
 * hypercall per 4 KiB segment.
 *
 * The guest chooses the grefs, so everything here is bounded: at most
 * BLK_MAX_PGRANTS mappings per queue (Linux blkback's default too, lowered
 * by XBDEV_BLKBACK_MAX_PGRANTS); a
 * request with a page we cannot map (cache full, a bad or read-only
 * grant) takes the grant-copy path instead, which answers an error for a
 * grant that is really bad.  The table is open addressing with a random
 * per-queue seed, so a guest cannot aim grefs at one chain; it is never
 * more than half full, and entries are only removed all at once.
 *
 * The mappings are ours: the guest cannot take a mapped grant back (its
 * gnttab_end_foreign_access fails while we map it), and the page stays
 * valid for us until we unmap it, whatever the guest does with it.  What
 * the guest writes into a page while we write it to the file is its own
 * data: we never read anything from these pages that we act on.
 *
 * What it costs is published (publish.c) for `xbdev status`: mapped now,
 * the cap, the peak, and the maps that failed with the last errno.  A map
 * holds an entry of dom0's maptrack table in Xen and a page of gntdev's;
 * Xen refusing the map (a bad grant, or dom0's maptrack table full:
 * GNTST_no_device_space) reaches us from gntdev's mmap as EINVAL either
 * way, ENOMEM is dom0's kernel out of memory (or, on kernels before 4.19,
 * gntdev's global limit).  The guest's own grant table, which these pages
 * occupy too, cannot be seen from dom0 (only with `xl debug-keys g`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "blkback.h"

#define PC_BITS 12u                     /* 4096 slots >= 2 x BLK_MAX_PGRANTS */
#define PC_SLOTS (1u << PC_BITS)

struct blk_pcache {
	unsigned n;                     /* grants mapped */
	bool full_told;                 /* the cap reached was logged */
	uint32_t seed;
	uint32_t gref[PC_SLOTS];
	uint8_t *page[PC_SLOTS];        /* NULL: a free slot */
};

_Static_assert(PC_SLOTS >= 2 * BLK_MAX_PGRANTS, "table at most half full");

int blk_pc_open(struct blk_queue *q)
{
	struct blk_pcache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (getrandom(&c->seed, sizeof(c->seed), GRND_NONBLOCK) !=
	    sizeof(c->seed))
		c->seed = (uint32_t)(uintptr_t)c ^ (uint32_t)q->idx;
	q->pc = c;
	return 0;
}

void blk_pc_close(struct blk_dev *d, struct blk_queue *q)
{
	struct blk_pcache *c = q->pc;

	if (!c)
		return;
	for (unsigned i = 0; i < PC_SLOTS; i++)
		if (c->page[i])
			xengnttab_unmap(d->xgt, c->page[i], 1);
	free(c);
	q->pc = NULL;
}

unsigned blk_pc_count(const struct blk_queue *q)
{
	return q->pc ? q->pc->n : 0;
}

unsigned blk_pc_total(const struct blk_dev *d)
{
	unsigned n = 0;

	for (unsigned i = 0; i < d->nr_queues; i++)
		n += blk_pc_count(&d->q[i]);
	return n;
}

unsigned blk_pc_max(const struct blk_dev *d)
{
	return d->max_pgrants ? d->max_pgrants : BLK_MAX_PGRANTS;
}

unsigned blk_pc_cap(const char *env)
{
	unsigned long v;

	if (!env || xbdev_parse_uint(env, BLK_MAX_PGRANTS, &v) || !v)
		return BLK_MAX_PGRANTS;
	return (unsigned)v;
}

void blk_map_failed(struct blk_dev *d, int err)
{
	d->st.map_failures++;
	d->map_errno = err ? err : EINVAL;
	d->info_dirty = true;
}

/* The slot holding gref, or the free slot where it would go. */
static unsigned pc_slot(const struct blk_pcache *c, uint32_t gref)
{
	unsigned i = (uint32_t)((gref ^ c->seed) * 2654435761u) >>
		     (32 - PC_BITS);

	while (c->page[i] && c->gref[i] != gref)
		i = (i + 1) & (PC_SLOTS - 1);
	return i;
}

/* Our mapping of gref: from the table, or mapped now while there is room. */
static uint8_t *pc_page(struct blk_dev *d, struct blk_pcache *c,
			uint32_t gref)
{
	unsigned i = pc_slot(c, gref);
	uint8_t *p;

	if (c->page[i])
		return c->page[i];
	if (c->n >= blk_pc_max(d)) {
		if (!c->full_told)
			blk_log_guest(d, BLK_LOG_CONNECT, "persistent grants: a "
				      "queue has its %u mapped, new grants go "
				      "through grant copy", blk_pc_max(d));
		c->full_told = true;
		return NULL;
	}
	p = xengnttab_map_grant_ref(d->xgt, d->fe_domid, gref,
				    PROT_READ | PROT_WRITE);
	if (!p) {
		int err = errno;

		blk_map_failed(d, err);
		blk_log_guest(d, BLK_LOG_CONNECT, "cannot map grant %u: %s "
			      "(grant copy instead)", gref, strerror(err));
		return NULL;
	}
	c->gref[i] = gref;
	c->page[i] = p;
	c->n++;
	if (blk_pc_total(d) > d->pgrants_peak)
		d->pgrants_peak = blk_pc_total(d);
	return p;
}

int blk_pc_iov(struct blk_dev *d, struct blk_queue *q,
	       const struct blk_seg *segs, unsigned n, struct iovec *iov)
{
	for (unsigned k = 0; k < n; k++) {
		uint8_t *p = pc_page(d, q->pc, segs[k].gref);

		if (!p)
			return -ENOSPC;
		/* first_sect <= last_sect < 8 was checked: within the page */
		iov[k].iov_base = p + (segs[k].first_sect << BLK_SECTOR_SHIFT);
		iov[k].iov_len = (segs[k].last_sect - segs[k].first_sect + 1u)
				 << BLK_SECTOR_SHIFT;
	}
	return 0;
}
