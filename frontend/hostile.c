/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostile: a catalogue of named attacks on a block backend, each with the
 * outcome a safe backend must show, printed as one TAP line per attack.
 *
 * The attacks touch only an "attack range" of the device (default: 1 MiB
 * starting at 1 MiB).  Before the first attack the range is filled with
 * a self-describing pattern; after every attack the device must still
 * serve a write+read in the range and the whole range must still hold
 * the pattern, so a rejected write that lands anyway (or a double-fetched
 * request redirected elsewhere in the range) is caught here, and one that
 * lands outside the range is caught by the lab's image checksum.
 *
 * Expected outcomes:
 *   error   - an error response (BLKIF_RSP_ERROR/EOPNOTSUPP); a backend
 *             that instead closes the device in order also passes;
 *   refuse  - the backend never connects: it goes Closing/Closed;
 *   stop    - the backend closes the device or stops serving that ring,
 *             and never acts on entries beyond the ring;
 *   survive - the backend keeps serving (any response to the attack).
 * In every case the backend must come back for a clean reconnect and the
 * attack range must be intact.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

#include "blkfront.h"
#include "xbdev.h"

enum expect { EX_ERROR, EX_REFUSE, EX_STOP, EX_SURVIVE };
static const char *const expect_name[] = {
	[EX_ERROR] = "error response or orderly close",
	[EX_REFUSE] = "connection refused (Closing/Closed)",
	[EX_STOP] = "ring stopped or device closed",
	[EX_SURVIVE] = "backend keeps serving",
};

enum result { R_PASS, R_FAIL, R_SKIP };

/* what became of one request */
enum outcome { OC_OK, OC_ERROR, OC_CLOSED, OC_NONE, OC_FAILED };

#define GEN_RANGE  1u      /* the attack range's pattern */
#define GEN_HEALTH 2u      /* the health-check sectors */
#define GEN_ATTACK 0xeeu   /* payload of requests that must be refused */
#define SEED       0x686f73u
#define HEALTH_SECTS 8u

struct hctx {
	struct xbf_dev *d;
	const struct xbf_hostile_opts *ho;
	FILE *out;
	struct xbf_opts base;
	uint64_t rs, rl;           /* attack range */
	unsigned tmo;              /* response timeout, ms */
	bool filled;
	bool ro;                   /* read-only device: no patterns */
	bool must_recover;         /* the connection is poisoned */
	char obs[512];
};

struct attack {
	const char *name;
	enum expect ex;
	const char *what;
	enum result (*run)(struct hctx *h);
};

static void obs(struct hctx *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void obs(struct hctx *h, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->obs, sizeof(h->obs), fmt, ap);
	va_end(ap);
}

static void obs_add(struct hctx *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void obs_add(struct hctx *h, const char *fmt, ...)
{
	size_t n = strlen(h->obs);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->obs + n, sizeof(h->obs) - n, fmt, ap);
	va_end(ap);
}

static const char *be_state_name(struct hctx *h)
{
	return xbdev_state_name(h->d->be_state);
}

/* ---- connection management ---------------------------------------------- */

static void recover(struct hctx *h)
{
	struct xbf_dev *d = h->d;
	unsigned saved = d->opts.timeout_ms;

	d->opts.timeout_ms = 10000;
	xbf_disconnect(d);
	d->opts = h->base;
	d->opts.timeout_ms = saved;
	h->must_recover = false;
}

static int sync_io(struct hctx *h, uint8_t op, uint64_t sector,
		   uint64_t nsect, void *buf)
{
	int16_t st = 0;
	int r = xbf_rw_sync(h->d, op, sector, nsect, buf, false, (int)h->tmo,
			    &st);

	if (r)
		return r;
	return st == BLKIF_RSP_OKAY ? 0 : -EIO;
}

/* Largest chunk one slot moves with a direct request. */
static uint64_t chunk(struct hctx *h)
{
	struct xbf_queue *q = &h->d->q[0];
	unsigned pages = q->pool_pages / q->nslots - q->slots[0].n_ind;

	if (pages > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		pages = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	return (uint64_t)pages * XBF_SECTS_PER_PAGE;
}

static int fill_range(struct hctx *h)
{
	uint64_t c = chunk(h);
	char *buf = malloc(c * XBF_SECTOR_SIZE);
	int r = 0;

	if (!buf)
		return -ENOMEM;
	for (uint64_t at = 0; at < h->rl && !r && !h->ro; at += c) {
		uint64_t n = h->rl - at < c ? h->rl - at : c;

		xbf_pattern_fill(buf, h->rs + at, n, GEN_RANGE, SEED);
		r = sync_io(h, BLKIF_OP_WRITE, h->rs + at, n, buf);
	}
	free(buf);
	return r;
}

/* Health: a write and read-back in the range, then the whole range must
 * still hold its pattern.  0, or -errno with h->obs extended. */
static int check_range(struct hctx *h)
{
	uint64_t c = chunk(h), bad = 0, first_bad = 0;
	char *buf = malloc(c * XBF_SECTOR_SIZE);
	struct xbf_mismatch mm[1];
	int r;

	if (!buf)
		return -ENOMEM;
	xbf_pattern_fill(buf, h->rs, HEALTH_SECTS, GEN_HEALTH, SEED);
	r = h->ro ? 0 : sync_io(h, BLKIF_OP_WRITE, h->rs, HEALTH_SECTS, buf);
	if (r) {
		obs_add(h, "; health write failed: %s", xbf_strerror(r));
		goto out;
	}
	for (uint64_t at = 0; at < h->rl && !r; at += c) {
		uint64_t n = h->rl - at < c ? h->rl - at : c;
		uint64_t b;

		r = sync_io(h, BLKIF_OP_READ, h->rs + at, n, buf);
		if (r) {
			obs_add(h, "; health read failed: %s",
				xbf_strerror(r));
			break;
		}
		if (h->ro) {
			b = 0;
		} else if (at == 0) {
			b = xbf_pattern_check(buf, h->rs, HEALTH_SECTS,
					      GEN_HEALTH, SEED, mm, 1);
			b += xbf_pattern_check(buf + HEALTH_SECTS *
						       XBF_SECTOR_SIZE,
					       h->rs + HEALTH_SECTS,
					       n - HEALTH_SECTS, GEN_RANGE,
					       SEED, b ? NULL : mm, b ? 0 : 1);
		} else {
			b = xbf_pattern_check(buf, h->rs + at, n, GEN_RANGE,
					      SEED, mm, 1);
		}
		if (b && !bad)
			first_bad = mm[0].sector;
		bad += b;
	}
	if (!r && bad) {
		obs_add(h, "; attack range CORRUPTED: %" PRIu64 " sector(s), "
			"first %" PRIu64, bad, first_bad);
		r = -EIO;
	}
out:
	free(buf);
	return r;
}

static int ensure_connected(struct hctx *h)
{
	struct xbf_dev *d = h->d;
	int r;

	if (h->must_recover || d->be_gone ||
	    (d->connected && xbf_backend_state(d) != XBDEV_STATE_CONNECTED))
		recover(h);
	if (d->connected)
		return 0;
	d->opts = h->base;
	r = xbf_connect(d);
	if (r)
		return r;
	if (!h->filled) {
		r = fill_range(h);
		if (r)
			return r;
		h->filled = true;
	}
	return 0;
}

/* ---- sending one request ------------------------------------------------ */

static struct xbf_slot *slot(struct hctx *h)
{
	return xbf_slot_get(&h->d->q[0]);
}

/* Wait for slot s's response. */
static enum outcome wait_slot(struct hctx *h, struct xbf_slot *s,
			      int16_t *st)
{
	int r = xbf_wait_slot(h->d, s,
			      xbf_now_ns() + (int64_t)h->tmo * 1000000);

	if (r == -ETIMEDOUT) {
		h->must_recover = true;
		return OC_NONE;
	}
	if (r == -ENOTCONN) {
		h->must_recover = true;
		return OC_CLOSED;
	}
	if (r < 0) {
		h->must_recover = true;
		obs(h, "frontend error %s", xbf_strerror(r));
		return OC_FAILED;
	}
	*st = s->status;
	return s->status == BLKIF_RSP_OKAY ? OC_OK : OC_ERROR;
}

static enum outcome send_raw(struct hctx *h, struct xbf_slot *s,
			     const void *req, size_t len, int16_t *st)
{
	struct xbf_queue *q = &h->d->q[0];
	int r = xbf_queue_raw(q, s, req, len);

	if (!r)
		r = xbf_push(h->d, q);
	if (r) {
		obs(h, "frontend could not queue: %s", xbf_strerror(r));
		return OC_FAILED;
	}
	return wait_slot(h, s, st);
}

static enum result judge_error(struct hctx *h, enum outcome oc, int16_t st)
{
	switch (oc) {
	case OC_ERROR:
		obs(h, "error response (status %d)", st);
		return R_PASS;
	case OC_CLOSED:
		obs(h, "backend closed the device (%s)", be_state_name(h));
		return R_PASS;
	case OC_OK:
		obs(h, "request SUCCEEDED (status 0)");
		return R_FAIL;
	case OC_NONE:
		obs(h, "no response within %u ms", h->tmo);
		return R_FAIL;
	default:
		return R_FAIL;
	}
}

/* A direct read/write request with nseg valid-looking segments of s. */
static void rw_req(struct hctx *h, struct xbf_slot *s,
		   struct blkif_request *req, uint8_t op, uint64_t sector,
		   unsigned nseg)
{
	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->nr_segments = (uint8_t)nseg;
	req->handle = h->d->handle;
	req->sector_number = sector;
	for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST;
	     i++) {
		req->seg[i].gref = s->refs[0];
		req->seg[i].first_sect = 0;
		req->seg[i].last_sect = 7;
	}
	/* a payload that must never land anywhere */
	xbf_pattern_fill(s->data, sector, XBF_SECTS_PER_PAGE, GEN_ATTACK,
			 SEED);
}

static enum result plain_error(struct hctx *h, struct blkif_request *req,
			       struct xbf_slot *s)
{
	int16_t st = 0;
	enum outcome oc = send_raw(h, s, req, sizeof(*req), &st);

	return judge_error(h, oc, st);
}

/* ---- the attacks -------------------------------------------------------- */

#define NEED_SLOT(h, s)                                         \
	do {                                                    \
		(s) = slot(h);                                  \
		if (!(s)) {                                     \
			obs(h, "no free slot");                 \
			return R_FAIL;                          \
		}                                               \
	} while (0)

static enum result a_nseg0(struct hctx *h, uint8_t op)
{
	struct blkif_request req;
	struct xbf_slot *s;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, op, h->rs + 16, 0);
	return plain_error(h, &req, s);
}
static enum result a_nseg0_read(struct hctx *h) { return a_nseg0(h, BLKIF_OP_READ); }
static enum result a_nseg0_write(struct hctx *h) { return a_nseg0(h, BLKIF_OP_WRITE); }

static enum result a_nseg_n(struct hctx *h, unsigned n)
{
	struct blkif_request req;
	struct xbf_slot *s;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, BLKIF_OP_WRITE, h->rs + 16, n);
	return plain_error(h, &req, s);
}
static enum result a_nseg12(struct hctx *h) { return a_nseg_n(h, 12); }
static enum result a_nseg255(struct hctx *h) { return a_nseg_n(h, 255); }

static enum result a_op(struct hctx *h, uint8_t op)
{
	struct blkif_request req;
	struct xbf_slot *s;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, op, h->rs + 16, 1);
	return plain_error(h, &req, s);
}
static enum result a_op_unknown(struct hctx *h) { return a_op(h, 42); }
static enum result a_op_reserved(struct hctx *h) { return a_op(h, BLKIF_OP_RESERVED_1); }

static enum result a_sect(struct hctx *h, uint8_t first, uint8_t last)
{
	struct blkif_request req;
	struct xbf_slot *s;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, BLKIF_OP_WRITE, h->rs + 16, 1);
	req.seg[0].first_sect = first;
	req.seg[0].last_sect = last;
	return plain_error(h, &req, s);
}
static enum result a_first_gt_last(struct hctx *h) { return a_sect(h, 5, 2); }
static enum result a_last_sect_8(struct hctx *h) { return a_sect(h, 0, 8); }
static enum result a_last_sect_255(struct hctx *h) { return a_sect(h, 7, 255); }

static enum result a_at(struct hctx *h, uint64_t sector)
{
	struct blkif_request req;
	struct xbf_slot *s;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, BLKIF_OP_WRITE, sector, 1);
	return plain_error(h, &req, s);
}
static enum result a_past_end(struct hctx *h) { return a_at(h, h->d->be.sectors); }
static enum result a_straddle_end(struct hctx *h) { return a_at(h, h->d->be.sectors - 4); }
static enum result a_wrap(struct hctx *h) { return a_at(h, UINT64_MAX - 3); }
/* sector * 512 wraps to a sector inside the attack range */
static enum result a_shift_wrap(struct hctx *h)
{
	return a_at(h, (1ULL << 55) + h->rs + 32);
}

static enum result a_write_ro(struct hctx *h)
{
	if (!(h->d->be.info & VDISK_READONLY)) {
		obs(h, "device is writable (attach one with mode r)");
		return R_SKIP;
	}
	return a_at(h, h->rs + 16);
}

static enum result a_discard(struct hctx *h, uint64_t sector, uint64_t n)
{
	struct blkif_request_discard req;
	struct xbf_slot *s;
	int16_t st = 0;

	NEED_SLOT(h, s);
	enum outcome oc;

	xbf_build_discard(&req, h->d->handle, 0, sector, n, false);
	oc = send_raw(h, s, &req, sizeof(req), &st);
	return judge_error(h, oc, st);
}
static enum result a_discard_past_end(struct hctx *h)
{
	return a_discard(h, h->d->be.sectors - 8, 16);
}
static enum result a_discard_wrap(struct hctx *h)
{
	return a_discard(h, UINT64_MAX - 7, 16);
}

static enum result a_gref(struct hctx *h, grant_ref_t g, uint8_t op)
{
	struct blkif_request req;
	struct xbf_slot *s;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, op, h->rs + 16, 1);
	req.seg[0].gref = g;
	return plain_error(h, &req, s);
}
static enum result a_bad_gref(struct hctx *h)
{
	return a_gref(h, 0xfffffff0u, BLKIF_OP_WRITE);
}

static enum result a_revoked_gref(struct hctx *h)
{
	uint32_t ref = 0;
	void *p = xengntshr_share_pages(h->d->xgs, h->d->be_domid, 1, &ref, 1);

	if (!p) {
		obs(h, "cannot share a page: %s", strerror(errno));
		return R_FAIL;
	}
	xbf_pattern_fill(p, h->rs + 16, XBF_SECTS_PER_PAGE, GEN_ATTACK, SEED);
	/* ending the share revokes the grant: the ref is dead now */
	xengntshr_unshare(h->d->xgs, p, 1);
	return a_gref(h, ref, BLKIF_OP_WRITE);
}

static enum result a_ro_grant(struct hctx *h)
{
	uint32_t ref = 0;
	unsigned char *p = xengntshr_share_pages(h->d->xgs, h->d->be_domid,
						 1, &ref, 0);
	enum result res;
	bool clean = true;

	if (!p) {
		obs(h, "cannot share a page: %s", strerror(errno));
		return R_FAIL;
	}
	memset(p, 0x5a, XBF_PAGE_SIZE);
	/* a read must write into the page: the backend may not */
	res = a_gref(h, ref, BLKIF_OP_READ);
	for (unsigned i = 0; i < XBF_PAGE_SIZE; i++)
		if (p[i] != 0x5a)
			clean = false;
	if (!clean) {
		obs_add(h, "; the read-only page was MODIFIED");
		res = R_FAIL;
	}
	/* If the backend still maps it, gntalloc frees it on unmap. */
	xengntshr_unshare(h->d->xgs, p, 1);
	return res;
}

/* ---- indirect ----------------------------------------------------------- */

static enum result indirect(struct hctx *h, uint8_t op, unsigned nseg,
			    bool bad_gref)
{
	struct blkif_request_indirect req;
	struct blkif_request_segment *segs;
	struct xbf_slot *s;
	int16_t st = 0;
	enum outcome oc;
	unsigned slot_pages, room;

	if (!h->d->be.max_indirect_segs) {
		obs(h, "backend offers no indirect requests");
		return R_SKIP;
	}
	if (!h->d->use_indirect) {
		obs(h, "indirect disabled (--no-indirect)");
		return R_SKIP;
	}
	NEED_SLOT(h, s);
	slot_pages = h->d->q[0].pool_pages / h->d->q[0].nslots - s->n_ind;
	room = s->n_ind * (unsigned)XBF_SEGS_PER_INDIRECT_PAGE;
	segs = s->ind;
	memset(s->ind, 0, (size_t)s->n_ind * XBF_PAGE_SIZE);
	for (unsigned i = 0; i < nseg && i < room; i++) {
		segs[i].gref = s->refs[i % slot_pages];
		segs[i].first_sect = 0;
		segs[i].last_sect = 7;
	}
	xbf_pattern_fill(s->data, h->rs + 16, XBF_SECTS_PER_PAGE, GEN_ATTACK,
			 SEED);
	memset(&req, 0, sizeof(req));
	req.operation = BLKIF_OP_INDIRECT;
	req.indirect_op = op;
	req.nr_segments = (uint16_t)nseg;
	req.sector_number = h->rs + 16;
	req.handle = h->d->handle;
	for (unsigned i = 0; i < s->n_ind &&
			     i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
		req.indirect_grefs[i] = s->ind_refs[i];
	if (bad_gref)
		req.indirect_grefs[0] = 0xfffffff0u;
	oc = send_raw(h, s, &req, sizeof(req), &st);
	return judge_error(h, oc, st);
}

static enum result a_ind_over_max(struct hctx *h)
{
	return indirect(h, BLKIF_OP_WRITE, h->d->be.max_indirect_segs + 1,
			false);
}
static enum result a_ind_65535(struct hctx *h)
{
	return indirect(h, BLKIF_OP_WRITE, 0xffff, false);
}
static enum result a_ind_zero(struct hctx *h)
{
	return indirect(h, BLKIF_OP_WRITE, 0, false);
}
static enum result a_ind_flush(struct hctx *h)
{
	return indirect(h, BLKIF_OP_FLUSH_DISKCACHE, 1, false);
}
static enum result a_ind_discard(struct hctx *h)
{
	return indirect(h, BLKIF_OP_DISCARD, 1, false);
}
static enum result a_ind_nested(struct hctx *h)
{
	return indirect(h, BLKIF_OP_INDIRECT, 1, false);
}
static enum result a_ind_bad_gref(struct hctx *h)
{
	return indirect(h, BLKIF_OP_WRITE, 8, true);
}

/* ---- ring-level attacks ------------------------------------------------- */

/*
 * XSA-155: rewrite the request in the shared ring right after req_prod
 * moved, until the backend answers.  The valid form writes the range
 * pattern of its own sectors (so executing it changes nothing); the
 * rewritten forms wrap around the sector space, point past the end, at a
 * bad grant, or claim 255 segments.  A backend that validates one fetch and
 * uses another writes somewhere it must not: check_range() sees it.
 */
static enum result a_double_fetch(struct hctx *h)
{
	struct xbf_queue *q = &h->d->q[0];
	volatile struct blkif_request *e;
	struct blkif_request req;
	struct xbf_slot *s;
	RING_IDX idx, rp0;
	uint64_t valid = h->rs + 64;
	unsigned long flips = 0;
	int64_t end;
	int16_t st = 0;
	int r;

	NEED_SLOT(h, s);
	rw_req(h, s, &req, BLKIF_OP_WRITE, valid, 1);
	xbf_pattern_fill(s->data, valid, XBF_SECTS_PER_PAGE, GEN_RANGE, SEED);
	idx = q->ring.req_prod_pvt;
	rp0 = q->ring.sring->rsp_prod;
	r = xbf_queue_raw(q, s, &req, sizeof(req));
	if (r) {
		obs(h, "frontend could not queue: %s", xbf_strerror(r));
		return R_FAIL;
	}
	/* publish without a notification: the backend is kicked from
	 * inside the rewrite loop, so it reads while we rewrite */
	RING_PUSH_REQUESTS(&q->ring);
	e = (volatile struct blkif_request *)RING_GET_REQUEST(&q->ring, idx);
	end = xbf_now_ns() + 2000000000LL;
	/*
	 * Only fields outside the response's first 16 bytes are rewritten
	 * once the response may be there (sector, segment); nr_segments
	 * (byte 1) overlaps the response id, so it is flipped only while
	 * no response has been published.
	 */
	while (q->ring.sring->rsp_prod == rp0 && xbf_now_ns() < end) {
		switch (flips++ & 3) {
		case 0:
			/* A sector that wraps: every rewritten form is one a
			 * backend must refuse.  (A valid form pointing elsewhere
			 * would be a legitimate write if fetched once, and would
			 * prove nothing.) */
			e->sector_number = ~0ULL - 3;
			break;
		case 1:
			e->sector_number = h->d->be.sectors + 1000;
			e->seg[0].gref = 0xfffffff0u;
			e->seg[0].last_sect = 200;
			break;
		case 2:
			if (q->ring.sring->rsp_prod == rp0)
				e->nr_segments = 255;
			break;
		default:
			e->sector_number = valid;
			e->seg[0].gref = s->refs[0];
			e->seg[0].last_sect = 7;
			if (q->ring.sring->rsp_prod == rp0)
				e->nr_segments = 1;
			break;
		}
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if ((flips & 1023) == 64)
			xbf_notify(h->d, q);
	}
	switch (wait_slot(h, s, &st)) {
	case OC_OK:
	case OC_ERROR:
		obs(h, "response status %d after %lu rewrites", st, flips);
		return R_PASS;
	case OC_CLOSED:
		obs(h, "backend closed the device after %lu rewrites", flips);
		return R_PASS;
	case OC_NONE:
		/* our rewrite may have clobbered the response id */
		if (q->bogus) {
			obs(h, "response (id clobbered by our rewriting) after "
			    "%lu rewrites", flips);
			h->must_recover = true;
			return R_PASS;
		}
		obs(h, "no response within %u ms after %lu rewrites", h->tmo,
		    flips);
		return R_FAIL;
	default:
		return R_FAIL;
	}
}

static enum result a_prod_overflow(struct hctx *h)
{
	struct xbf_queue *q = &h->d->q[0];
	RING_IDX bogus = q->ring.req_prod_pvt + RING_SIZE(&q->ring) + 7;
	uint64_t bogus0 = q->bogus, done0 = q->completed;
	int64_t end = xbf_now_ns() + (int64_t)h->tmo * 1000000;
	int r = 0;

	xen_wmb(); /* nothing new to publish; keep the usual order anyway */
	q->ring.sring->req_prod = bogus;
	xen_mb();
	xbf_notify(h->d, q);
	h->must_recover = true;
	while (xbf_now_ns() < end) {
		r = xbf_poll(h->d, 200, NULL, NULL);
		if (r < 0)
			break;
	}
	if (r == -ENOTCONN) {
		obs(h, "backend closed the device (%s)", be_state_name(h));
		return R_PASS;
	}
	if (r == -EPROTO) {
		obs(h, "backend published more responses than the ring "
		    "holds");
		return R_FAIL;
	}
	if (q->bogus != bogus0 || q->completed != done0) {
		obs(h, "backend ACTED on %" PRIu64 " entries beyond the ring",
		    q->bogus - bogus0 + q->completed - done0);
		return R_FAIL;
	}
	obs(h, "backend stopped serving the ring (no responses in %u ms, "
	    "state %s)", h->tmo, be_state_name(h));
	return R_PASS;
}

static enum result a_evtchn_storm(struct hctx *h)
{
	const unsigned n = 50000;
	int64_t t0 = xbf_now_ns();
	unsigned fails = 0;

	for (unsigned i = 0; i < n; i++)
		if (xbf_notify(h->d, &h->d->q[0]))
			fails++;
	obs(h, "%u notifications in %.0f ms (%u failed)", n,
	    (double)(xbf_now_ns() - t0) / 1e6, fails);
	return R_PASS;  /* the verdict is the health check that follows */
}

static enum result a_close_inflight(struct hctx *h)
{
	struct xbf_dev *d = h->d;
	struct xbf_queue *q = &d->q[0];
	unsigned n = 0;
	int r;

	for (struct xbf_slot *s; (s = xbf_slot_get(q)) && n < 32; n++) {
		uint64_t at = h->rs + 64 + (uint64_t)n * XBF_SECTS_PER_PAGE;

		if (at + XBF_SECTS_PER_PAGE > h->rs + h->rl)
			break;
		xbf_pattern_fill(s->data, at, XBF_SECTS_PER_PAGE, GEN_RANGE,
				 SEED);
		if (xbf_queue_rw(d, q, s, BLKIF_OP_WRITE, at,
				 XBF_SECTS_PER_PAGE, 0, false))
			break;
	}
	xbf_push(d, q);
	r = xbf_disconnect(d);
	d->opts = h->base;
	if (r) {
		obs(h, "%u writes in flight; closing failed: %s (backend %s)",
		    n, xbf_strerror(r), be_state_name(h));
		return R_FAIL;
	}
	obs(h, "%u writes in flight; backend reached Closed", n);
	return R_PASS;
}

static enum result a_toggle(struct hctx *h)
{
	struct xbf_dev *d = h->d;
	const unsigned cycles = 25;
	int r;

	recover(h);
	r = xbf_initialise(d);
	if (r) {
		obs(h, "could not initialise: %s", xbf_strerror(r));
		return R_FAIL;
	}
	for (unsigned i = 0; i < cycles; i++) {
		xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path,
				  XBDEV_STATE_CLOSED);
		xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path,
				  XBDEV_STATE_INITIALISING);
		xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path,
				  XBDEV_STATE_INITIALISED);
	}
	r = xbf_disconnect(d);
	xbf_backend_state(d);
	obs(h, "%u Initialised/Closed cycles; backend then %s%s%s", cycles,
	    be_state_name(h), r ? ", close: " : "",
	    r ? xbf_strerror(r) : "");
	return r ? R_FAIL : R_PASS;
}

/* Poll the backend's state until it is in mask (bit per state) or h->tmo
 * passed; returns whether it got there. */
static bool be_reaches(struct hctx *h, unsigned mask)
{
	int64_t end = xbf_now_ns() + (int64_t)h->tmo * 1000000;

	for (;;) {
		int st = xbf_backend_state(h->d);

		if (st >= 0 && st < 32 && (mask & (1u << st)))
			return true;
		if (xbf_now_ns() >= end)
			return false;
		usleep(10000);
	}
}

/*
 * A frontend that resets (guest reboot, kexec, driver reload) faster than
 * the backend reads its state: Closing, then straight to Initialising, so
 * the backend never sees the Closed in between.  It must still offer the
 * device again (InitWait), not stay Closing for ever.
 */
static enum result a_reset_unseen(struct hctx *h)
{
	struct xbf_dev *d = h->d;
	int r;

	recover(h);
	r = xbf_connect(d);
	if (r) {
		obs(h, "could not connect: %s", xbf_strerror(r));
		return R_FAIL;
	}
	xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path,
			  XBDEV_STATE_CLOSING);
	if (!be_reaches(h, 1u << XBDEV_STATE_CLOSING | 1u << XBDEV_STATE_CLOSED)) {
		obs(h, "backend did not answer Closing (%s)", be_state_name(h));
		h->must_recover = true;
		return R_FAIL;
	}
	xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path,
			  XBDEV_STATE_INITIALISING);
	if (!be_reaches(h, 1u << XBDEV_STATE_INITWAIT)) {
		obs(h, "backend stayed %s after Closing -> Initialising",
		    be_state_name(h));
		h->must_recover = true;
		return R_FAIL;
	}
	r = xbf_disconnect(d);
	obs(h, "backend offered the device again (InitWait)%s%s",
	    r ? "; close: " : "", r ? xbf_strerror(r) : "");
	return r ? R_FAIL : R_PASS;
}

/*
 * A guest writing its frontend state node as fast as xenstored takes it,
 * with values that each used to cost the backend work and log lines:
 * Initialised without new rings (a connect attempt), Initialising (a
 * re-probe), malformed and out-of-range values, and a protocol value with
 * a newline and an escape sequence in it (a forged log line).  Raw writes
 * on a connection of our own: libxbdev refuses to write such values.  The
 * backend must then still offer the device and serve a read.
 */
static enum result a_state_flood(struct hctx *h)
{
	static const char *const values[] = { "3", "x", "1", "99", "3\n4" };
	static const char proto[] = "bogus\n2026-01-01T00:00:00.000Z "
				    "xbdev-blkback[1] vbd-0-0: FORGED \033[2J";
	const unsigned writes = 5000;
	struct xbf_dev *d = h->d;
	char st[XBDEV_PATH_MAX], pr[XBDEV_PATH_MAX];
	struct xs_handle *xs;
	uint8_t *buf;
	unsigned taken = 0;
	int r;

	recover(h);
	if (xbdev_path_join(st, sizeof(st), d->fe_path, "state") ||
	    xbdev_path_join(pr, sizeof(pr), d->fe_path, "protocol")) {
		obs(h, "frontend path too long");
		return R_FAIL;
	}
	xs = xs_open(0);
	if (!xs) {
		obs(h, "no xenstore connection: %s", xbf_strerror(-errno));
		return R_FAIL;
	}
	xs_write(xs, XBT_NULL, pr, proto, sizeof(proto) - 1);
	for (unsigned i = 0; i < writes; i++) {
		const char *v = values[i % (sizeof(values) / sizeof(values[0]))];

		taken += xs_write(xs, XBT_NULL, st, v, strlen(v));
	}
	xs_close(xs);
	/* As a driver loaded again would: from Initialising. */
	xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path,
			  XBDEV_STATE_INITIALISING);
	r = xbf_connect(d);
	if (r) {
		obs(h, "%u of %u state writes taken; then no connection: %s",
		    taken, writes, xbf_strerror(r));
		h->must_recover = true;
		return R_FAIL;
	}
	buf = malloc(8 * XBF_SECTOR_SIZE);
	r = buf ? sync_io(h, BLKIF_OP_READ, h->rs, 8, buf) : -ENOMEM;
	free(buf);
	obs(h, "%u of %u state writes taken; then connected, read %s", taken,
	    writes, r ? xbf_strerror(r) : "ok");
	xbf_disconnect(d);
	return r ? R_FAIL : R_PASS;
}

/* ---- negotiation attacks ------------------------------------------------ */

static enum result refuse(struct hctx *h)
{
	struct xbf_dev *d = h->d;
	int r;

	d->opts.timeout_ms = 10000;
	r = xbf_initialise(d);
	if (r) {
		if (r == -ECONNREFUSED) {
			obs(h, "backend closed before Initialised");
			h->must_recover = true;
			return R_PASS;
		}
		obs(h, "frontend could not publish: %s", xbf_strerror(r));
		h->must_recover = true;
		return R_FAIL;
	}
	r = xbf_wait_connected(d);
	h->must_recover = true;
	xbf_backend_state(d);
	if (r == -ECONNREFUSED) {
		obs(h, "backend refused (%s)", be_state_name(h));
		return R_PASS;
	}
	if (r == 0) {
		obs(h, "backend CONNECTED");
		return R_FAIL;
	}
	obs(h, "backend stayed %s (%s)", be_state_name(h), xbf_strerror(r));
	return R_FAIL;
}

static char numbuf[32];

static enum result a_order_over(struct hctx *h)
{
	unsigned m = h->d->be.max_ring_order;

	recover(h);
	if (m + 1 <= 5) {
		h->d->opts.exact = true;
		h->d->opts.ring_order = m + 1;
		h->d->opts.queues = 1;
	} else {
		snprintf(numbuf, sizeof(numbuf), "%u", m + 1);
		h->d->opts.ov_ring_order = numbuf;
	}
	return refuse(h);
}

static enum result a_queues_zero(struct hctx *h)
{
	recover(h);
	h->d->opts.queues = 1;
	h->d->opts.ov_num_queues = "0";
	return refuse(h);
}

static enum result a_queues_over(struct hctx *h)
{
	unsigned m = h->d->be.max_queues ? h->d->be.max_queues : 1;

	recover(h);
	if (m + 1 <= XBF_MAX_QUEUES) {
		h->d->opts.exact = true;
		h->d->opts.queues = m + 1;
		h->d->opts.ring_order = 0;
	} else {
		snprintf(numbuf, sizeof(numbuf), "%u", m + 1);
		h->d->opts.ov_num_queues = numbuf;
	}
	return refuse(h);
}

#define OVERRIDE(fn, field, value)                      \
	static enum result fn(struct hctx *h)           \
	{                                               \
		recover(h);                             \
		h->d->opts.queues = 1;                  \
		h->d->opts.field = value;               \
		return refuse(h);                       \
	}
OVERRIDE(a_protocol, ov_protocol, "garbage-abi")
OVERRIDE(a_ref_nonnum, ov_ring_ref, "x12")
OVERRIDE(a_ref_huge, ov_ring_ref, "99999999999999999999")
OVERRIDE(a_ref_missing, ov_ring_ref, "")
OVERRIDE(a_evt_nonnum, ov_event_channel, "one")
OVERRIDE(a_evt_huge, ov_event_channel, "4294967297")
OVERRIDE(a_evt_missing, ov_event_channel, "")

/* ---- the catalogue ------------------------------------------------------ */

static const struct attack attacks[] = {
	{ "rw-nseg-zero-read", EX_ERROR, "read with nr_segments 0",
	  a_nseg0_read },
	{ "rw-nseg-zero-write", EX_ERROR, "write with nr_segments 0",
	  a_nseg0_write },
	{ "direct-nseg-12", EX_ERROR, "direct write with 12 segments (max 11)",
	  a_nseg12 },
	{ "direct-nseg-255", EX_ERROR, "direct write claiming 255 segments",
	  a_nseg255 },
	{ "indirect-nseg-over-max", EX_ERROR,
	  "indirect write with one segment more than advertised",
	  a_ind_over_max },
	{ "indirect-nseg-65535", EX_ERROR,
	  "indirect write claiming 65535 segments", a_ind_65535 },
	{ "indirect-nseg-zero", EX_ERROR, "indirect write with 0 segments",
	  a_ind_zero },
	{ "indirect-op-flush", EX_ERROR, "indirect with indirect_op flush",
	  a_ind_flush },
	{ "indirect-op-discard", EX_ERROR, "indirect with indirect_op discard",
	  a_ind_discard },
	{ "indirect-op-indirect", EX_ERROR, "indirect nested in indirect",
	  a_ind_nested },
	{ "indirect-bad-page-gref", EX_ERROR,
	  "indirect whose segment page grant is bogus", a_ind_bad_gref },
	{ "op-unknown", EX_ERROR, "operation 42", a_op_unknown },
	{ "op-reserved", EX_ERROR, "operation BLKIF_OP_RESERVED_1",
	  a_op_reserved },
	{ "first-sect-gt-last", EX_ERROR, "segment first_sect 5 > last_sect 2",
	  a_first_gt_last },
	{ "last-sect-8", EX_ERROR, "segment last_sect 8 (> 7)",
	  a_last_sect_8 },
	{ "last-sect-255", EX_ERROR, "segment 7..255", a_last_sect_255 },
	{ "sector-past-end", EX_ERROR, "write starting at the device end",
	  a_past_end },
	{ "sector-straddle-end", EX_ERROR, "write crossing the device end",
	  a_straddle_end },
	{ "sector-wrap", EX_ERROR, "write at sector 2^64-4 (wraps to 4)",
	  a_wrap },
	{ "sector-shift-wrap", EX_ERROR,
	  "write at 2^55+N (byte offset wraps into the range)",
	  a_shift_wrap },
	{ "write-readonly", EX_ERROR, "write to a read-only device",
	  a_write_ro },
	{ "discard-past-end", EX_ERROR, "discard crossing the device end",
	  a_discard_past_end },
	{ "discard-wrap", EX_ERROR, "discard at 2^64-8, 16 sectors",
	  a_discard_wrap },
	{ "bad-gref", EX_ERROR, "write from grant ref 0xfffffff0",
	  a_bad_gref },
	{ "revoked-gref", EX_ERROR, "write from a grant already revoked",
	  a_revoked_gref },
	{ "readonly-grant", EX_ERROR,
	  "read into a page granted read-only", a_ro_grant },
	{ "double-fetch", EX_SURVIVE,
	  "request rewritten in the ring after req_prod moved",
	  a_double_fetch },
	{ "evtchn-storm", EX_SURVIVE, "50000 notifications, no requests",
	  a_evtchn_storm },
	{ "prod-overflow", EX_STOP, "req_prod moved a ring size ahead",
	  a_prod_overflow },
	{ "ring-order-over-max", EX_REFUSE,
	  "ring-page-order one above max-ring-page-order", a_order_over },
	{ "queues-zero", EX_REFUSE, "multi-queue-num-queues 0",
	  a_queues_zero },
	{ "queues-over-max", EX_REFUSE,
	  "multi-queue-num-queues one above the maximum", a_queues_over },
	{ "protocol-garbage", EX_REFUSE, "protocol \"garbage-abi\"",
	  a_protocol },
	{ "ring-ref-nonnumeric", EX_REFUSE, "ring-ref \"x12\"",
	  a_ref_nonnum },
	{ "ring-ref-huge", EX_REFUSE, "ring-ref 99999999999999999999",
	  a_ref_huge },
	{ "ring-ref-missing", EX_REFUSE, "no ring-ref node", a_ref_missing },
	{ "event-channel-nonnumeric", EX_REFUSE, "event-channel \"one\"",
	  a_evt_nonnum },
	{ "event-channel-huge", EX_REFUSE, "event-channel 4294967297",
	  a_evt_huge },
	{ "event-channel-missing", EX_REFUSE, "no event-channel node",
	  a_evt_missing },
	{ "toggle-initialised-closed", EX_SURVIVE,
	  "25 rapid Initialised/Closed cycles", a_toggle },
	{ "close-inflight", EX_SURVIVE, "close with writes in flight",
	  a_close_inflight },
	{ "reset-unseen-closed", EX_SURVIVE,
	  "Closing then Initialising, Closed never seen", a_reset_unseen },
	{ "state-flood", EX_SURVIVE,
	  "5000 state writes: Initialised without rings, malformed values, "
	  "a protocol with a newline and ESC", a_state_flood },
};
#define NATTACKS (sizeof(attacks) / sizeof(attacks[0]))

const char *const *xbf_hostile_names(void)
{
	static const char *names[NATTACKS + 1];

	for (size_t i = 0; i < NATTACKS; i++)
		names[i] = attacks[i].name;
	return names;
}

int xbf_hostile_check(const char *only, size_t *bad, size_t *bad_len)
{
	const char *p = only, *end;
	size_t n, i;

	if (!only || !*only || !strcmp(only, "all"))
		return 0;
	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		for (i = 0; i < NATTACKS; i++)
			if (strlen(attacks[i].name) == n &&
			    !strncmp(attacks[i].name, p, n))
				break;
		if (i == NATTACKS) {
			*bad = (size_t)(p - only);
			*bad_len = n;
			return -ENOENT;
		}
		if (!end)
			return 0;
		p = end + 1;
	}
}

static bool selected(const char *only, const char *name)
{
	size_t n = strlen(name);
	const char *p = only;

	if (!only || !*only || !strcmp(only, "all"))
		return true;
	while ((p = strstr(p, name))) {
		bool start = p == only || p[-1] == ',';
		bool end = p[n] == '\0' || p[n] == ',';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

int xbf_hostile(struct xbf_dev *d, const struct xbf_hostile_opts *ho,
		FILE *out)
{
	struct hctx h = { .d = d, .ho = ho, .out = out };
	unsigned n = 0, failed = 0, num = 0;
	int r;

	if (ho->list) {
		for (size_t i = 0; i < NATTACKS; i++)
			fprintf(out, "%-26s expect: %-36s %s\n",
				attacks[i].name, expect_name[attacks[i].ex],
				attacks[i].what);
		return 0;
	}
	for (size_t i = 0; i < NATTACKS; i++)
		if (selected(ho->only, attacks[i].name))
			n++;
	if (!n) {
		fprintf(out, "hostile: no attack named %s\n", ho->only);
		return -ENOENT;
	}
	h.base = d->opts;
	h.rs = ho->range_len ? ho->range_start : 2048;
	h.rl = ho->range_len ? ho->range_len : 2048;
	h.tmo = ho->timeout_ms ? ho->timeout_ms : 5000;
	fprintf(out, "1..%u\n", n);
	h.filled = true;   /* filled below, once the range is known */
	r = ensure_connected(&h);
	if (r) {
		fprintf(out, "# hostile: cannot connect: %s\n",
			xbf_strerror(r));
		for (size_t i = 0; i < NATTACKS; i++)
			if (selected(ho->only, attacks[i].name))
				fprintf(out, "not ok %u - %s: no connection\n",
					++num, attacks[i].name);
		return r;
	}
	h.ro = d->be.info & VDISK_READONLY;
	if (h.rs + h.rl > d->be.sectors || h.rl < 1024) {
		if (d->be.sectors < 4096) {
			fprintf(out, "# hostile: device too small\n");
			return -ENOSPC;
		}
		h.rs = 0;
		h.rl = 2048;
	}
	r = fill_range(&h);
	if (r) {
		fprintf(out, "# hostile: cannot fill the attack range: %s\n",
			xbf_strerror(r));
		return r;
	}
	fprintf(out, "# hostile: %s, attack range sectors %" PRIu64
		"..%" PRIu64 ", %llu sectors, max-indirect %u\n", d->be_path,
		h.rs, h.rs + h.rl - 1, (unsigned long long)d->be.sectors,
		d->be.max_indirect_segs);
	fflush(out);

	for (size_t i = 0; i < NATTACKS; i++) {
		const struct attack *a = &attacks[i];
		enum result res;

		if (!selected(ho->only, a->name))
			continue;
		num++;
		h.obs[0] = '\0';
		r = ensure_connected(&h);
		if (r) {
			fprintf(out, "not ok %u - %s: expected %s; cannot "
				"connect before the attack: %s (backend %s)\n",
				num, a->name, expect_name[a->ex],
				xbf_strerror(r), be_state_name(&h));
			failed++;
			fflush(out);
			continue;
		}
		res = a->run(&h);
		if (res != R_SKIP) {
			/* afterwards: the device must serve, the range be
			 * intact, after a reconnect if needed */
			int rr = ensure_connected(&h);

			if (rr) {
				obs_add(&h, "; backend did NOT come back: %s "
					"(%s)", xbf_strerror(rr),
					be_state_name(&h));
				res = R_FAIL;
			} else if (check_range(&h)) {
				res = R_FAIL;
			} else {
				obs_add(&h, "; then served I/O, range intact");
			}
		}
		if (res == R_SKIP)
			fprintf(out, "ok %u - %s # SKIP %s\n", num, a->name,
				h.obs);
		else
			fprintf(out, "%sok %u - %s: expected %s; observed %s\n",
				res == R_PASS ? "" : "not ", num, a->name,
				expect_name[a->ex], h.obs);
		if (res == R_FAIL)
			failed++;
		fflush(out);
	}
	if (d->connected) {
		xbf_drain(d, 10000);
		xbf_disconnect(d);
	}
	fprintf(out, "# hostile: %u attack(s), %u failed\n", n, failed);
	return failed ? -EIO : 0;
}
