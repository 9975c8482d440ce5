// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The data path: shared ring -> private copy -> validation -> then either
 * grant copy straight to/from the page cache (data cached), or grant copy
 * and io_uring through a bounce buffer -> response.
 *
 * Concurrency: one thread (the info/ record has its own, publish.c), one
 * io_uring for all queues of the device.  Every
 * request taken from a ring becomes one struct blk_io and (usually) one SQE;
 * many are in flight at once, none has a thread.  In-flight work is bounded
 * by the rings themselves (a frontend can have at most RING_SIZE requests
 * without responses per queue, blk_ring_avail() enforces it), so memory is
 * bounded by queues x ring size x 1 MiB in the worst case.
 *
 * Data movement: persistent grants when the frontend takes them (offered
 * unless XBDEV_BLKBACK_PERSISTENT=0, persist.c), otherwise grant copy
 * (xengnttab_grant_copy), which is also the fallback for a grant that
 * cannot be mapped.
 *  - Both designs copy each byte once on our side.  With
 *    feature-persistent, Linux blkfront also memcpy()s every bio page
 *    into/out of its pool of persistently granted pages (in the guest's
 *    vCPU); with grant copy, blkfront grants the bio pages themselves and
 *    Xen copies into/out of our side in the hypercall.
 *  - Grant copy costs no map/unmap and no long-lived mapping of guest
 *    memory in dom0.  Copies are batched: one ioctl for the data of every
 *    write taken in a wake-up, one for every read completed in a reap
 *    (see struct gc_batch), not one per request - in a PV dom0 each system
 *    call is a trip through Xen and a page-table switch.  But gntdev pins
 *    our side and Xen checks the grant for every 4 KiB segment, which is
 *    what the dom0 CPU spends its time on with 1 MiB requests.
 *  - Persistent grants map each of the guest's pages once, then the file
 *    is read and written straight into and out of them (readv/writev via
 *    io_uring, the kernel's copy): no per-segment hypercall.  The mapping
 *    table is bounded and the fallback is grant copy (persist.c).
 *  - A grant that the guest revokes or grants read-only when we need to
 *    write it just fails that copy: we answer BLKIF_RSP_ERROR.
 * Persistent grants measured faster than grant copy on large requests and
 * equal on small ones (figures in tests/bench/README.md).  Hence the
 * default.
 *
 * Where the bytes go on our side: the page cache, directly.  Unless the
 * device uses O_DIRECT, the backing store is also mapped shared
 * (blk_io_map), and a read or write whose pages are all in the page cache
 * skips io_uring and the bounce buffer: Xen copies between the guest's
 * granted pages and the file's page cache in the grant-copy hypercall.
 * gntdev pins our side of each copy for the length of the ioctl and marks
 * the pages it wrote dirty, so writeback and fdatasync see them as they see
 * write(2).  That is one copy per byte, as blkback over a loop device
 * (whose loop thread copies between the page cache and the granted pages);
 * with a bounce buffer it was two, and a 1 MiB sequential job was CPU-bound
 * in this single thread.
 *  - We never touch the mapping ourselves, only the kernel does inside the
 *    ioctl: a file truncated behind our back makes the copy fail (EFAULT,
 *    an error response), never a SIGBUS here.  Sector bounds were checked
 *    against the size at open, as for pread/pwrite.
 *  - Pages not in the cache (mincore) take the io_uring path: pinning a
 *    missing page would read it from the disk synchronously and stall
 *    every queue; that read or write brings them in for next time.
 *  - O_DIRECT (and a store that cannot be mapped) uses a bounce buffer per
 *    request, which also gives O_DIRECT the alignment it needs.
 *
 * Bounce buffers come from the heap and stay there while the device is
 * busy (blk_io_init's mallopt): by default glibc serves a 1 MiB buffer
 * with mmap and frees it with munmap (or trims the heap under it), so
 * every request faulted in and zeroed 256 fresh pages - in a PV dom0 each
 * fault is a trip through Xen.  blk_io_idle gives the memory back once the
 * device has nothing in flight.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>

#include "blkback.h"

enum blk_stage {
	STAGE_DATA,         /* read/write of the data */
	STAGE_SYNC,         /* fdatasync (flush, or flush after data) */
	STAGE_DISCARD,      /* fallocate(PUNCH_HOLE) */
};

struct blk_io {
	struct blk_queue *q;
	struct blk_req req;
	int jent;                   /* its journal entry (q->jn) */
	enum blk_stage stage;
	struct blk_seg *segs;       /* req.seg, or iseg for indirect */
	unsigned nsegs;
	uint8_t *buf;               /* bounce buffer, or into d->map */
	bool cached;                /* buf is the page cache (d->map) */
	struct iovec *iov;          /* persistent grants: the guest's pages */
	unsigned iovcnt, iov_at;    /* iov[iov_at..] still to transfer */
	size_t len, done;
	uint64_t off;
	struct blk_seg iseg[];
};

/* Scratch space for fetching one indirect segment list (single-threaded). */
static xengnttab_grant_copy_segment_t indirect_segs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
static struct xb_seg indirect_copy[BLK_MAX_SEGS];

/*
 * A batch of grant copies for several requests, issued as one
 * xengnttab_grant_copy() (one ioctl; gntdev makes one hypercall per 16
 * segments).  Each request's segments are contiguous in segs[]; a failed
 * segment fails only its own request.  Two batches, so that filling one
 * (writes: guest -> buffer, before the SQE) never mixes with the other
 * (reads: buffer -> guest, after the CQE).  Bounded: a request that does
 * not fit flushes the batch first (at most BLK_MAX_SEGS segments each).
 */
#define GC_BATCH_SEGS (4 * BLK_MAX_SEGS)
#define GC_BATCH_REQS 128u

struct gc_batch {
	bool to_guest;
	unsigned nsegs, nreqs;
	xengnttab_grant_copy_segment_t segs[GC_BATCH_SEGS];
	struct blk_io *io[GC_BATCH_REQS];
	unsigned first[GC_BATCH_REQS];  /* index of io[i]'s first segment */
};

static struct gc_batch gc_in = { .to_guest = false };   /* writes */
static struct gc_batch gc_out = { .to_guest = true };   /* reads */

int blk_io_init(struct blk_dev *d)
{
	struct io_uring_params p = { 0 };
	int err;

	/* The CQ must hold every request that can be in flight: queues x
	 * ring entries (at most 4 x 512). */
	p.flags = IORING_SETUP_CQSIZE;
	p.cq_entries = BLK_MAX_QUEUES * 512 * 2;
	err = io_uring_queue_init_params(256, &d->uring, &p);
	if (err)
		return err;
	/* Bounce buffers (at most 1 MiB each) from the heap, and no trimming
	 * behind our back while they are bounded by max_buf_bytes anyway. */
	mallopt(M_MMAP_THRESHOLD, 2 * BLK_MAX_SEGS * BLK_PAGE_SIZE);
	mallopt(M_TRIM_THRESHOLD, BLK_MAX_BUF_BYTES);
	d->uring_ok = true;
	if (!d->max_buf_bytes)
		d->max_buf_bytes = BLK_MAX_BUF_BYTES;
	return 0;
}

void blk_io_fini(struct blk_dev *d)
{
	if (d->uring_ok)
		io_uring_queue_exit(&d->uring);
	d->uring_ok = false;
}

/*
 * Queue the copy between the guest's segments and io->buf (contiguous, in
 * segment order) into b.  The guest side of each copy is within one page
 * (first_sect <= last_sect <= 7 was checked); our side may cross pages.
 * The caller must have made room (gc_room).
 */
static void gc_add(struct blk_dev *d, struct gc_batch *b, struct blk_io *io)
{
	size_t off = 0;

	b->io[b->nreqs] = io;
	b->first[b->nreqs] = b->nsegs;
	b->nreqs++;
	for (unsigned i = 0; i < io->nsegs; i++) {
		const struct blk_seg *sg = &io->segs[i];
		xengnttab_grant_copy_segment_t *c = &b->segs[b->nsegs++];
		unsigned len = (sg->last_sect - sg->first_sect + 1u)
			       << BLK_SECTOR_SHIFT;

		memset(c, 0, sizeof(*c));
		if (b->to_guest) {
			c->source.virt = io->buf + off;
			c->dest.foreign.ref = sg->gref;
			c->dest.foreign.offset = sg->first_sect
						 << BLK_SECTOR_SHIFT;
			c->dest.foreign.domid = d->fe_domid;
			c->flags = GNTCOPY_dest_gref;
		} else {
			c->source.foreign.ref = sg->gref;
			c->source.foreign.offset = sg->first_sect
						   << BLK_SECTOR_SHIFT;
			c->source.foreign.domid = d->fe_domid;
			c->dest.virt = io->buf + off;
			c->flags = GNTCOPY_source_gref;
		}
		c->len = len;
		off += len;
	}
}

static void gc_flush(struct blk_dev *d, struct gc_batch *b);

static void gc_room(struct blk_dev *d, struct gc_batch *b, unsigned nsegs)
{
	if (b->nreqs == GC_BATCH_REQS || b->nsegs + nsegs > GC_BATCH_SEGS)
		gc_flush(d, b);
}

/* Fetch the segment list of an indirect request into private memory. */
static int fetch_indirect(struct blk_dev *d, struct blk_io *io)
{
	size_t bytes = (size_t)io->req.nr_segments * sizeof(struct xb_seg);
	unsigned pages = io->req.nr_indirect_pages;

	for (unsigned i = 0; i < pages; i++) {
		xengnttab_grant_copy_segment_t *c = &indirect_segs[i];
		size_t chunk = bytes - (size_t)i * BLK_PAGE_SIZE;

		memset(c, 0, sizeof(*c));
		c->source.foreign.ref = io->req.indirect_grefs[i];
		c->source.foreign.offset = 0;
		c->source.foreign.domid = d->fe_domid;
		c->dest.virt = (uint8_t *)indirect_copy + i * BLK_PAGE_SIZE;
		c->len = chunk > BLK_PAGE_SIZE ? BLK_PAGE_SIZE : chunk;
		c->flags = GNTCOPY_source_gref;
	}
	if (xengnttab_grant_copy(d->xgt, pages, indirect_segs))
		return -errno;
	for (unsigned i = 0; i < pages; i++)
		if (indirect_segs[i].status != GNTST_okay)
			return -EFAULT;
	/* indirect_copy is private now: decode it once, then validate. */
	blk_indirect_decode(indirect_copy, io->req.nr_segments, io->iseg);
	io->segs = io->iseg;
	io->nsegs = io->req.nr_segments;
	return 0;
}

static void io_free(struct blk_io *io)
{
	free(io->iov);
	if (io->buf && !io->cached) {
		io->q->dev->buf_bytes -= io->len;
		io->q->dev->buf_freed = true;
		free(io->buf);
	}
	free(io);
}

int blk_io_map(struct blk_dev *d)
{
	void *p;

	if (d->direct || !d->size || d->size > SIZE_MAX)
		return -EINVAL;
	p = mmap(NULL, (size_t)d->size,
		 PROT_READ | (d->readonly ? 0 : PROT_WRITE), MAP_SHARED, d->fd,
		 0);
	if (p == MAP_FAILED)
		return -errno;
	d->map = p;
	return 0;
}

void blk_io_unmap(struct blk_dev *d)
{
	if (d->map)
		munmap(d->map, (size_t)d->size);
	d->map = NULL;
}

/*
 * The mapping follows a resized store.  Nothing else may hold a pointer
 * into d->map across the swap: a request points into it (io->cached) only
 * from attach_buffer to the grant copy of its batch, and every batch is
 * issued before the main loop goes on (queue_work, reap, flush), so between
 * wake-ups - where control requests run - what is left of a cached request
 * is at most its fdatasync.  Flushed here once more so that this holds
 * whoever calls.  The bound checks use d->lim.sectors, which the caller
 * changes after this, before the next request is taken.  mremap may move
 * the mapping; on failure the store is left unmapped (bounce buffers).
 */
int blk_io_resize(struct blk_dev *d, uint64_t size)
{
	void *p;
	int err;

	gc_flush(d, &gc_in);
	gc_flush(d, &gc_out);
	if (!d->map)
		return 0;
	if (!size || size > SIZE_MAX) {
		blk_io_unmap(d);
		return -EINVAL;
	}
	p = mremap(d->map, (size_t)d->size, (size_t)size, MREMAP_MAYMOVE);
	if (p == MAP_FAILED) {
		err = -errno;
		blk_io_unmap(d);
		return err;
	}
	d->map = p;
	return 0;
}

/* Are all pages of [off, off + len) in the page cache?  (For a shared file
 * mapping mincore reports the page cache, not our page tables.) */
static bool in_page_cache(struct blk_dev *d, uint64_t off, size_t len)
{
	unsigned char vec[BLK_MAX_SEGS + 1];
	uint64_t first = off & ~(uint64_t)(BLK_PAGE_SIZE - 1);
	size_t pages = (size_t)(off + len - first + BLK_PAGE_SIZE - 1) /
		       BLK_PAGE_SIZE;

	if (pages > sizeof(vec) ||
	    mincore(d->map + first, pages * BLK_PAGE_SIZE, vec))
		return false;
	for (size_t i = 0; i < pages; i++)
		if (!(vec[i] & 1))
			return false;
	return true;
}

/* Persistent grants: io->iov = the guest's own pages, mapped (persist.c),
 * for readv/writev straight between them and the file. */
static int attach_persistent(struct blk_dev *d, struct blk_io *io)
{
	int err;

	io->iov = malloc(io->nsegs * sizeof(*io->iov));
	if (!io->iov)
		return -ENOMEM;
	err = blk_pc_iov(d, io->q, io->segs, io->nsegs, io->iov);
	if (err) {
		free(io->iov);
		io->iov = NULL;
		return err;
	}
	io->iovcnt = io->nsegs;
	d->st.persistent++;
	return 0;
}

/* After a short readv/writev: skip the n bytes done in io->iov. */
static void iov_advance(struct blk_io *io, size_t n)
{
	while (n && io->iov_at < io->iovcnt) {
		struct iovec *v = &io->iov[io->iov_at];
		size_t k = n < v->iov_len ? n : v->iov_len;

		v->iov_base = (uint8_t *)v->iov_base + k;
		v->iov_len -= k;
		n -= k;
		if (!v->iov_len)
			io->iov_at++;
	}
}

/* Where the data of io goes through: the guest's pages themselves when
 * they are persistently mapped; else the page cache when it is all there
 * (grant copy into it); otherwise a bounce buffer (counted against
 * max_buf_bytes). */
static int attach_buffer(struct blk_dev *d, struct blk_io *io)
{
	if (io->q->pc && !d->direct && !attach_persistent(d, io))
		return 0;
	if (d->map && in_page_cache(d, io->off, io->len)) {
		io->buf = d->map + io->off;
		io->cached = true;
		d->st.cached++;
		return 0;
	}
	if (posix_memalign((void **)&io->buf, BLK_PAGE_SIZE, io->len)) {
		io->buf = NULL;
		return -ENOMEM;
	}
	d->buf_bytes += io->len;
	return 0;
}

/*
 * Answer request (id, op) of journal entry jent.  The slot is free: this
 * request occupied one and rsp_prod_pvt trails req_cons.  With a journal:
 * its status first, then the response into the ring, then the journal's
 * record of it (journal.h: a crash between two of them leaves an answer
 * given at most once).
 */
static void respond(struct blk_queue *q, int jent, uint64_t id, uint8_t op,
		    int16_t status)
{
	uint32_t at = blk_ring_rsp_idx(&q->ring);

	if (q->jn)
		blk_jn_completed(q->jn, jent, status);
	BLK_CRASH(BLK_CRASH_COMPLETED);
	blk_ring_respond(&q->ring, id, op, status);
	if (q->jn)
		blk_jn_responded(q->jn, jent, at);
	BLK_CRASH(BLK_CRASH_RESPONDED);
	q->need_push = true;
}

/* Queue the response and account for it. */
static void finish(struct blk_io *io, int16_t status)
{
	struct blk_queue *q = io->q;
	struct blk_dev *d = q->dev;

	respond(q, io->jent, io->req.id, io->req.op, status);
	q->inflight--;
	d->inflight--;
	d->info_dirty = true;
	if (status != BLKIF_RSP_OKAY) {
		d->st.errors++;
	} else if (io->req.op == BLKIF_OP_READ) {
		d->st.bytes_read += io->len;
	} else if (io->req.op == BLKIF_OP_WRITE ||
		   (io->req.op == BLKIF_OP_FLUSH_DISKCACHE && io->len)) {
		d->st.bytes_written += io->len;
	}
	io_free(io);
}

static struct io_uring_sqe *get_sqe(struct blk_dev *d)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&d->uring);

	if (!sqe) {
		/* SQ full: hand what we have to the kernel and retry. */
		io_uring_submit(&d->uring);
		sqe = io_uring_get_sqe(&d->uring);
	}
	return sqe;
}

static int submit_stage(struct blk_io *io)
{
	struct blk_dev *d = io->q->dev;
	struct io_uring_sqe *sqe = get_sqe(d);

	if (!sqe)
		return -EBUSY;
	switch (io->stage) {
	case STAGE_DATA:
		if (io->iov && io->req.op == BLKIF_OP_READ)
			io_uring_prep_readv(sqe, d->fd, io->iov + io->iov_at,
					    io->iovcnt - io->iov_at,
					    io->off + io->done);
		else if (io->iov)
			io_uring_prep_writev(sqe, d->fd, io->iov + io->iov_at,
					     io->iovcnt - io->iov_at,
					     io->off + io->done);
		else if (io->req.op == BLKIF_OP_READ)
			io_uring_prep_read(sqe, d->fd, io->buf + io->done,
					   io->len - io->done,
					   io->off + io->done);
		else
			io_uring_prep_write(sqe, d->fd, io->buf + io->done,
					    io->len - io->done,
					    io->off + io->done);
		break;
	case STAGE_SYNC:
		io_uring_prep_fsync(sqe, d->fd, IORING_FSYNC_DATASYNC);
		break;
	case STAGE_DISCARD:
		io_uring_prep_fallocate(sqe, d->fd,
					FALLOC_FL_PUNCH_HOLE |
						FALLOC_FL_KEEP_SIZE,
					io->off, io->len);
		break;
	}
	io_uring_sqe_set_data(sqe, io);
	return 0;
}

/* The request is on its way (an SQE, or a grant-copy batch). */
static void started(struct blk_io *io)
{
	if (io->q->jn)
		blk_jn_submitted(io->q->jn, io->jent);
}

/* Start req, journal entry jent (whatever it is without a journal). */
static void start(struct blk_queue *q, const struct blk_req *req, int jent)
{
	struct blk_dev *d = q->dev;
	struct blk_io *io;
	int status;
	size_t extra = req->operation == BLKIF_OP_INDIRECT
			       ? BLK_MAX_SEGS * sizeof(struct blk_seg)
			       : 0;

	d->st.requests++;
	q->inflight++;
	d->inflight++;
	io = calloc(1, sizeof(*io) + extra);
	if (!io) {
		respond(q, jent, req->id, req->op, BLKIF_RSP_ERROR);
		q->inflight--;
		d->inflight--;
		d->st.errors++;
		return;
	}
	io->q = q;
	io->req = *req;
	io->jent = jent;
	io->segs = io->req.seg;
	io->nsegs = io->req.nr_segments;

	status = blk_req_check(&io->req, &d->lim);
	if (status != BLKIF_RSP_OKAY)
		goto fail;
	if (io->req.indirect) {
		d->st.indirect++;
		if (fetch_indirect(d, io)) {
			d->st.grant_errors++;
			status = BLKIF_RSP_ERROR;
			goto fail;
		}
		status = blk_segs_check(io->segs, io->nsegs, io->req.sector,
					&d->lim, &io->req.nr_sectors);
		if (status != BLKIF_RSP_OKAY)
			goto fail;
	}

	io->off = io->req.sector << BLK_SECTOR_SHIFT;
	switch (io->req.op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (io->req.op == BLKIF_OP_READ)
			d->st.reads++;
		else if (io->req.op == BLKIF_OP_WRITE)
			d->st.writes++;
		else
			d->st.flushes++;
		io->len = io->req.nr_sectors << BLK_SECTOR_SHIFT;
		if (!io->len) {         /* bare flush */
			io->stage = STAGE_SYNC;
			break;
		}
		if (attach_buffer(d, io)) {
			status = BLKIF_RSP_ERROR;
			goto fail;
		}
		io->stage = STAGE_DATA;
		if (io->iov)            /* no copy here: readv/writev */
			break;
		if (io->req.op != BLKIF_OP_READ) {
			/* The SQE (if any) follows once the batch copied the
			 * data in (gc_flush). */
			gc_room(d, &gc_in, io->nsegs);
			gc_add(d, &gc_in, io);
			started(io);
			return;
		}
		if (io->cached) {
			/* Answered when the batch copied the data out. */
			io->done = io->len;
			gc_room(d, &gc_out, io->nsegs);
			gc_add(d, &gc_out, io);
			started(io);
			return;
		}
		break;
	case BLKIF_OP_DISCARD:
		d->st.discards++;
		if (!io->req.nr_sectors) {
			finish(io, BLKIF_RSP_OKAY);
			return;
		}
		io->len = io->req.nr_sectors << BLK_SECTOR_SHIFT;
		io->stage = STAGE_DISCARD;
		break;
	default:
		status = BLKIF_RSP_EOPNOTSUPP;
		goto fail;
	}
	if (submit_stage(io)) {
		status = BLKIF_RSP_ERROR;
		goto fail;
	}
	started(io);
	return;
fail:
	finish(io, (int16_t)status);
}

static void complete(struct blk_io *io, int res)
{
	struct blk_dev *d = io->q->dev;

	switch (io->stage) {
	case STAGE_DATA:
		if (res <= 0) {
			/* 0: EOF inside the device, the image shrank. */
			blk_log(d, "%s of %zu bytes at %llu failed: %s",
				io->req.op == BLKIF_OP_READ ? "read" : "write",
				io->len, (unsigned long long)io->off,
				strerror(res ? -res : EIO));
			d->st.io_errors++;
			finish(io, BLKIF_RSP_ERROR);
			return;
		}
		io->done += (size_t)res;
		if (io->done < io->len) {       /* short: go on */
			if (io->iov)
				iov_advance(io, (size_t)res);
			if (submit_stage(io))
				finish(io, BLKIF_RSP_ERROR);
			return;
		}
		if (io->req.op == BLKIF_OP_READ && io->iov) {
			/* read straight into the guest's pages */
			finish(io, BLKIF_RSP_OKAY);
			return;
		}
		if (io->req.op == BLKIF_OP_READ) {
			/* Answered when the batch copied the data out, at
			 * the end of this reap (gc_flush). */
			gc_room(d, &gc_out, io->nsegs);
			gc_add(d, &gc_out, io);
			return;
		}
		if (io->req.op == BLKIF_OP_FLUSH_DISKCACHE) {
			/* write-then-flush: data is written, now durable */
			io->stage = STAGE_SYNC;
			if (submit_stage(io))
				finish(io, BLKIF_RSP_ERROR);
			return;
		}
		/* A write is acknowledged only now that it completed. */
		finish(io, BLKIF_RSP_OKAY);
		return;
	case STAGE_SYNC:
		if (res < 0) {
			blk_log(d, "fdatasync failed: %s", strerror(-res));
			d->st.io_errors++;
		}
		finish(io, res < 0 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
		return;
	case STAGE_DISCARD:
		if (res == -EOPNOTSUPP) {
			/* blkfront turns discard off on EOPNOTSUPP */
			finish(io, BLKIF_RSP_EOPNOTSUPP);
			return;
		}
		if (res < 0) {
			blk_log(d, "discard at %llu+%zu failed: %s",
				(unsigned long long)io->off, io->len,
				strerror(-res));
			d->st.io_errors++;
		}
		finish(io, res < 0 ? BLKIF_RSP_ERROR : BLKIF_RSP_OKAY);
		return;
	}
}

/* A write that went straight into the page cache is where a completed
 * pwrite would have put it: acknowledge it, or make it durable first. */
static void written_to_cache(struct blk_io *io)
{
	io->done = io->len;
	if (io->req.op != BLKIF_OP_FLUSH_DISKCACHE) {
		finish(io, BLKIF_RSP_OKAY);
		return;
	}
	io->stage = STAGE_SYNC;
	if (submit_stage(io))
		finish(io, BLKIF_RSP_ERROR);
}

/*
 * Issue the batch: one ioctl for all its requests.  Then each request goes
 * on according to its own segments' status: a guest that revoked, never
 * granted, or granted read-only a page we must write fails that request
 * only.  A failed ioctl (our side: should not happen) fails them all.
 */
static void gc_flush(struct blk_dev *d, struct gc_batch *b)
{
	unsigned nreqs = b->nreqs;
	bool all_failed;

	if (!nreqs)
		return;
	all_failed = xengnttab_grant_copy(d->xgt, b->nsegs, b->segs) != 0;
	/* Nothing below adds to b: finish() and submit_stage() only. */
	for (unsigned i = 0; i < nreqs; i++) {
		struct blk_io *io = b->io[i];
		unsigned end = i + 1 < nreqs ? b->first[i + 1] : b->nsegs;
		bool ok = !all_failed;

		if (__builtin_expect(blk_crash_armed, 0) && i && i == nreqs / 2)
			blk_crash_pass(BLK_CRASH_GC_BATCH);

		for (unsigned k = b->first[i]; ok && k < end; k++)
			if (b->segs[k].status != GNTST_okay)
				ok = false;
		if (!ok) {
			d->st.grant_errors++;
			finish(io, BLKIF_RSP_ERROR);
		} else if (b->to_guest) {
			finish(io, BLKIF_RSP_OKAY);
		} else if (io->cached) {
			written_to_cache(io);
		} else if (submit_stage(io)) {
			finish(io, BLKIF_RSP_ERROR);
		}
	}
	b->nreqs = 0;
	b->nsegs = 0;
}

/*
 * The limits (limit.c) on a request taken from q: true when it may start
 * now.  Otherwise it stays q's held request (its ring slot owes a
 * response, so the guest just sees a slower disk), the queue is not kicked
 * again and the main loop's timer (d->limiter.due_ms) wakes it: it sleeps,
 * it never spins.  The held request keeps its place: q takes no other
 * before it.
 */
static bool limit_admit(struct blk_queue *q, const struct blk_req *req)
{
	struct blk_dev *d = q->dev;
	struct blk_limiter *l = &d->limiter;
	int64_t now = xbdev_now_ms(), wait;
	uint64_t bytes;
	bool write = blk_limit_cost(req, &bytes);

	wait = blk_limiter_admit(l, write, bytes, now);
	if (!wait) {
		if (q->held)
			l->held_ms += (uint64_t)(now - q->held_since);
		q->held = false;
		return true;
	}
	if (!q->held) {
		q->held = true;
		q->held_req = *req;
		q->held_since = now;
		l->held++;
		d->info_dirty = true;
	}
	if (!l->due_ms || now + wait < l->due_ms)
		l->due_ms = now + wait;
	q->kick = false;
	return false;
}

int blk_io_queue_work(struct blk_queue *q)
{
	struct blk_dev *d = q->dev;
	int n = blk_ring_avail(&q->ring);
	int taken = 0;
	bool no_room = false;

	if (n < 0)
		return n;
	if (q->held) {
		/* Its slot is taken already: it counts in the budget, not in
		 * what the ring has left. */
		if (d->buf_bytes >= d->max_buf_bytes) {
			d->throttled = true;
			q->kick = true;
			return 0;
		}
		if (!limit_admit(q, &q->held_req))
			return 0;
		start(q, &q->held_req, q->held_jent);
		taken++;
	}
	if ((unsigned)n > BLK_BUDGET - taken)
		n = (int)BLK_BUDGET - taken;
	/* A journal entry for each: short only while answers wait for the
	 * push at the end of this round (blk_io_flush frees their entries). */
	if (q->jn && (unsigned)n > blk_jn_room(q->jn)) {
		n = (int)blk_jn_room(q->jn);
		no_room = true;
	}
	for (int i = 0; i < n; i++) {
		struct blk_req req;
		int jent = -1;

		if (d->buf_bytes >= d->max_buf_bytes) {
			/* Leave the rest on the ring; completions wake us. */
			d->throttled = true;
			q->kick = true;
			gc_flush(d, &gc_in);
			return 0;
		}
		blk_ring_take(&q->ring, &req);
		if (q->jn)
			jent = blk_jn_take(q->jn, &req);
		BLK_CRASH(BLK_CRASH_TAKEN);
		/* Off (no limit set): this one test per request. */
		if (d->limiter.on && !limit_admit(q, &req)) {
			q->held_jent = jent;
			gc_flush(d, &gc_in);
			return 0;
		}
		start(q, &req, jent);
	}
	gc_flush(d, &gc_in);
	/* Out of budget: come back after the other fds had their turn.
	 * Otherwise re-arm req_event and look once more. */
	if ((unsigned)(n + taken) == BLK_BUDGET || no_room)
		q->kick = true;
	else
		q->kick = blk_ring_final_check(&q->ring);
	return 0;
}

int blk_io_resume(struct blk_queue *q)
{
	struct blk_journal *j = q->jn;

	if (!j || j->nr_ents != blk_ring_size(&q->ring))
		return -ESTALE;
	blk_ring_resume(&q->ring, blk_jn_req_cons(j), blk_jn_rsp_prod_pvt(j));
	for (unsigned i = 0; i < j->nr_ents; i++) {
		const struct blk_jn_entry *e = blk_jn_entry(j, i);

		switch (e->state) {
		case BLK_JN_TAKEN:
		case BLK_JN_SUBMITTED:
			/* Never answered: run again from the journalled
			 * copy (validated again as any request is). */
			start(q, &e->req, (int)i);
			break;
		case BLK_JN_COMPLETED:
			/* Its outcome is known: answer it as it was (to run
			 * it again would be allowed, unanswered, but costs
			 * the I/O and may not give the same status). */
			respond(q, (int)i, e->req.id, e->req.op, e->status);
			break;
		default:
			break;
		}
	}
	/* The RESPONDED ones are in their slots, perhaps never published:
	 * the next blk_io_flush publishes them (and what was answered just
	 * now) and notifies. */
	q->need_push = q->must_notify = true;
	q->kick = true;
	return 0;
}

void blk_io_limit_due(struct blk_dev *d)
{
	d->limiter.due_ms = 0;
	for (unsigned i = 0; i < d->nr_queues; i++)
		if (d->q[i].held)
			d->q[i].kick = true;
}

int blk_io_limit_op(struct blk_dev *d, const char *arg, char *msg, size_t len)
{
	struct xbdev_limit l;
	char p[XBDEV_PATH_MAX];
	int err;

	if (!arg[0])
		return xbdev_limit_format(&d->limiter.spec, msg, len);
	err = xbdev_limit_parse(arg, &l);
	if (err) {
		snprintf(msg, len, "invalid limit (see xbdev(1))");
		return err;
	}
	/* The record first: a backend started again (or by xbdevd after a
	 * restart) reads its limit from there. */
	err = xbdev_path_join(p, sizeof(p), d->record_path, XBDEV_RECORD_LIMIT);
	if (!err)
		err = xbdev_limit_format(&l, msg, len);
	if (!err && xbdev_limit_any(&l))
		err = xbdev_write(d->xs, XBDEV_TXN_NONE, p, msg);
	else if (!err)
		err = xbdev_rm(d->xs, XBDEV_TXN_NONE, p);
	if (err == -ENOENT && !xbdev_limit_any(&l))
		err = 0;
	if (err) {
		snprintf(msg, len, "cannot keep it in the record");
		return err;
	}
	blk_limiter_set(&d->limiter, &l, xbdev_now_ms());
	/* Requests held under the old limits try the new ones. */
	blk_io_limit_due(d);
	d->info_dirty = true;
	return 0;
}

void blk_io_reap(struct blk_dev *d)
{
	struct io_uring_cqe *cqe;

	while (io_uring_peek_cqe(&d->uring, &cqe) == 0) {
		struct blk_io *io = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&d->uring, cqe);
		if (io)
			complete(io, res);
	}
	gc_flush(d, &gc_out);
	if (d->buf_bytes < d->max_buf_bytes)
		d->throttled = false;
}

void blk_io_flush(struct blk_dev *d)
{
	/* Normally empty here: queue_work and reap flush their batches. */
	gc_flush(d, &gc_in);
	gc_flush(d, &gc_out);
	/* Page-cache hits complete inside io_uring_submit(): answer them in
	 * this round (one push, at most one event) rather than after another
	 * trip through ppoll.  Completions may queue follow-up SQEs (short
	 * transfer, flush after write), hence the loop; bounded, whatever is
	 * left is submitted below and reaped when the ring fd says so. */
	for (unsigned i = 0; i < 2 && io_uring_sq_ready(&d->uring); i++) {
		io_uring_submit(&d->uring);
		BLK_CRASH(BLK_CRASH_SUBMITTED);
		blk_io_reap(d);
	}
	if (io_uring_sq_ready(&d->uring))
		io_uring_submit(&d->uring);
	for (unsigned i = 0; i < d->nr_queues; i++) {
		struct blk_queue *q = &d->q[i];

		bool notify;

		if (!q->need_push)
			continue;
		q->need_push = false;
		BLK_CRASH(BLK_CRASH_PUBLISH);
		/* Batching: one rsp_prod update and at most one event for
		 * everything completed in this round. */
		notify = blk_ring_push(&q->ring) || q->must_notify;
		BLK_CRASH(BLK_CRASH_PUBLISHED);
		if (q->jn)
			blk_jn_published(q->jn, blk_ring_rsp_idx(&q->ring));
		q->must_notify = false;
		if (notify && q->local_port >= 0)
			xenevtchn_notify(d->xce, q->local_port);
	}
}

void blk_io_idle(struct blk_dev *d)
{
	if (d->inflight || !d->buf_freed)
		return;
	malloc_trim(0);
	d->buf_freed = false;
}

void blk_io_drain(struct blk_dev *d, int timeout_ms)
{
	int64_t deadline = xbdev_now_ms() + timeout_ms;

	while (d->inflight) {
		struct __kernel_timespec ts = { .tv_sec = 0,
						.tv_nsec = 100 * 1000000 };
		struct io_uring_cqe *cqe;

		io_uring_submit(&d->uring);
		io_uring_wait_cqe_timeout(&d->uring, &cqe, &ts);
		blk_io_reap(d);
		blk_io_flush(d);
		if (deadline && xbdev_now_ms() > deadline) {
			/* The rings must stay mapped while the kernel may
			 * still complete into them: keep waiting, but say so. */
			blk_log(d, "drain: %u request(s) still in flight after "
				"%d ms, waiting for the backing store",
				d->inflight, timeout_ms);
			deadline = 0;
		}
	}
}

/* How the bytes move on our side: for the log and info/data-path. */
const char *blk_data_path(const struct blk_dev *d)
{
	if (d->persistent)
		return "persistent-grants";
	if (d->direct)
		return "grant-copy/o-direct";
	return d->map ? "grant-copy/page-cache" : "grant-copy/bounce";
}
