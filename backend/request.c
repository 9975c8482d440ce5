// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * blkif request decoding/validation and the backend half of a shared ring.
 * See request.h.  No Xen library calls: unit tests and fuzzers run this
 * against plain memory.
 */
#include <errno.h>
#include <string.h>

#include <xen/io/protocols.h>

#include "request.h"

int blk_abi_parse(const char *protocol, enum blk_abi *out)
{
	if (!protocol || !strcmp(protocol, XEN_IO_PROTO_ABI_X86_32)) {
		*out = BLK_ABI_X86_32;
		return 0;
	}
	if (!strcmp(protocol, XEN_IO_PROTO_ABI_X86_64)) {
		*out = BLK_ABI_X86_64;
		return 0;
	}
#if defined(__x86_64__) || defined(__aarch64__)
	/* The 64-bit layout is also arm's, and our own native one. */
	if (!strcmp(protocol, "native") || !strcmp(protocol, XEN_IO_PROTO_ABI_ARM)) {
		*out = BLK_ABI_X86_64;
		return 0;
	}
#elif defined(__i386__)
	if (!strcmp(protocol, "native")) {
		*out = BLK_ABI_X86_32;
		return 0;
	}
#endif
	return -EINVAL;
}

const char *blk_abi_name(enum blk_abi abi)
{
	return abi == BLK_ABI_X86_32 ? XEN_IO_PROTO_ABI_X86_32
				     : XEN_IO_PROTO_ABI_X86_64;
}

static void decode_segs(const struct xb_seg *in, unsigned nr,
			struct blk_seg *out)
{
	for (unsigned i = 0; i < nr; i++) {
		out[i].gref = in[i].gref;
		out[i].first_sect = in[i].first_sect;
		out[i].last_sect = in[i].last_sect;
	}
}

/* One macro body for both layouts: the field names are the same, only the
 * offsets differ, and the compiler knows those from the types. */
#define DECODE(u, out)                                                        \
	do {                                                                  \
		(out)->operation = (u)->rw.operation;                         \
		(out)->op = (out)->operation;                                 \
		switch ((out)->operation) {                                   \
		case BLKIF_OP_DISCARD:                                        \
			(out)->id = (u)->discard.id;                          \
			(out)->sector = (u)->discard.sector_number;           \
			(out)->handle = (u)->discard.handle;                  \
			(out)->discard_flag = (u)->discard.flag;              \
			(out)->nr_sectors = (u)->discard.nr_sectors;          \
			break;                                                \
		case BLKIF_OP_INDIRECT:                                       \
			(out)->indirect = true;                               \
			(out)->op = (u)->indirect.indirect_op;                \
			(out)->id = (u)->indirect.id;                         \
			(out)->sector = (u)->indirect.sector_number;          \
			(out)->handle = (u)->indirect.handle;                 \
			(out)->nr_segments = (u)->indirect.nr_segments;       \
			memcpy((out)->indirect_grefs,                         \
			       (u)->indirect.indirect_grefs,                  \
			       sizeof((out)->indirect_grefs));                \
			break;                                                \
		default:                                                      \
			(out)->id = (u)->rw.id;                               \
			(out)->sector = (u)->rw.sector_number;                \
			(out)->handle = (u)->rw.handle;                       \
			(out)->nr_segments = (u)->rw.nr_segments;             \
			decode_segs((u)->rw.seg,                              \
				    (out)->nr_segments <                      \
						    BLKIF_MAX_SEGMENTS_PER_REQUEST \
					    ? (out)->nr_segments              \
					    : BLKIF_MAX_SEGMENTS_PER_REQUEST, \
				    (out)->seg);                              \
			break;                                                \
		}                                                             \
	} while (0)

void blk_req_decode(enum blk_abi abi, const void *slot, struct blk_req *out)
{
	memset(out, 0, sizeof(*out));
	if (abi == BLK_ABI_X86_32) {
		const union xb32_request *u = slot;
		DECODE(u, out);
	} else {
		const union xb64_request *u = slot;
		DECODE(u, out);
	}
}

bool blk_range_ok(uint64_t sector, uint64_t n, uint64_t sectors)
{
	/* Written so that no sum can wrap: sector <= sectors first. */
	return sector <= sectors && n <= sectors - sector;
}

bool blk_aligned(uint64_t sector, uint64_t n, const struct blk_limits *lim)
{
	/* A power of two (512 or 4096), in 512-byte units. */
	uint64_t mask = lim->sector_size > (1u << BLK_SECTOR_SHIFT) ?
				(lim->sector_size >> BLK_SECTOR_SHIFT) - 1 : 0;

	return !(sector & mask) && !(n & mask);
}

int blk_segs_check(const struct blk_seg *seg, unsigned nr, uint64_t sector,
		   const struct blk_limits *lim, uint64_t *nr_sectors)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < nr; i++) {
		unsigned n = seg[i].last_sect - seg[i].first_sect + 1u;

		if (seg[i].first_sect > seg[i].last_sect ||
		    seg[i].last_sect >= BLK_SECTORS_PER_PAGE ||
		    !blk_aligned(seg[i].first_sect, n, lim))
			return BLKIF_RSP_ERROR;
		total += n;
	}
	if (!blk_aligned(sector, 0, lim) ||
	    !blk_range_ok(sector, total, lim->sectors))
		return BLKIF_RSP_ERROR;
	*nr_sectors = total;
	return BLKIF_RSP_OKAY;
}

void blk_indirect_decode(const void *pages, unsigned nr, struct blk_seg *out)
{
	decode_segs(pages, nr, out);
}

int blk_req_check(struct blk_req *req, const struct blk_limits *lim)
{
	switch (req->operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (req->operation == BLKIF_OP_FLUSH_DISKCACHE) {
			if (!lim->flush)
				return BLKIF_RSP_EOPNOTSUPP;
			/* A bare flush; with data it is write-then-flush. */
			if (req->nr_segments == 0) {
				req->nr_sectors = 0;
				return BLKIF_RSP_OKAY;
			}
		}
		if (req->nr_segments == 0 ||
		    req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return BLKIF_RSP_ERROR;
		if (req->operation != BLKIF_OP_READ && lim->readonly)
			return BLKIF_RSP_ERROR;
		return blk_segs_check(req->seg, req->nr_segments, req->sector,
				      lim, &req->nr_sectors);
	case BLKIF_OP_INDIRECT:
		if (!lim->max_indirect_segs)
			return BLKIF_RSP_EOPNOTSUPP;
		if (req->op != BLKIF_OP_READ && req->op != BLKIF_OP_WRITE)
			return BLKIF_RSP_ERROR;
		if (req->nr_segments == 0 ||
		    req->nr_segments > lim->max_indirect_segs ||
		    req->nr_segments > BLK_MAX_SEGS)
			return BLKIF_RSP_ERROR;
		if (req->op == BLKIF_OP_WRITE && lim->readonly)
			return BLKIF_RSP_ERROR;
		req->nr_indirect_pages =
			(req->nr_segments + BLK_SEGS_PER_INDIRECT_PAGE - 1) /
			BLK_SEGS_PER_INDIRECT_PAGE;
		if (req->nr_indirect_pages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST)
			return BLKIF_RSP_ERROR;
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_DISCARD:
		if (!lim->discard)
			return BLKIF_RSP_EOPNOTSUPP;
		if (lim->readonly)
			return BLKIF_RSP_ERROR;
		/* blkif asks discard-granularity alignment of the guest; a
		 * hint (Linux splits by it), so only the logical size is a
		 * must here, as for reads and writes. */
		if (!blk_aligned(req->sector, req->nr_sectors, lim) ||
		    !blk_range_ok(req->sector, req->nr_sectors, lim->sectors))
			return BLKIF_RSP_ERROR;
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_WRITE_BARRIER:   /* not advertised */
	default:
		return BLKIF_RSP_EOPNOTSUPP;
	}
}

/* ---- ring --------------------------------------------------------------- */

#define RING_DO(r, stmt_with_R)                                               \
	do {                                                                  \
		if ((r)->abi == BLK_ABI_X86_32) {                             \
			struct xb32_back_ring *R = &(r)->r32;                 \
			stmt_with_R;                                          \
		} else {                                                      \
			struct xb64_back_ring *R = &(r)->r64;                 \
			stmt_with_R;                                          \
		}                                                             \
	} while (0)

int blk_ring_attach(struct blk_ring *r, void *mem, unsigned pages,
		    enum blk_abi abi)
{
	if (!mem || pages == 0 || pages > BLK_MAX_RING_PAGES ||
	    (pages & (pages - 1)))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->abi = abi;
	/* The frontend initialised the shared page; our private indices
	 * start at 0 as in BACK_RING_INIT (the shared ones may be anything:
	 * they are only ever compared against ours). */
	RING_DO(r, {
		__typeof__(R->sring) s = mem;

		BACK_RING_INIT(R, s, (size_t)pages * BLK_PAGE_SIZE);
	});
	return 0;
}

unsigned blk_ring_size(const struct blk_ring *r)
{
	return r->abi == BLK_ABI_X86_32 ? r->r32.nr_ents : r->r64.nr_ents;
}

void blk_ring_resume(struct blk_ring *r, uint32_t req_cons,
		     uint32_t rsp_prod_pvt)
{
	RING_DO(r, {
		R->req_cons = req_cons;
		R->rsp_prod_pvt = rsp_prod_pvt;
	});
}

uint32_t blk_ring_rsp_idx(const struct blk_ring *r)
{
	return r->abi == BLK_ABI_X86_32 ? r->r32.rsp_prod_pvt
					: r->r64.rsp_prod_pvt;
}

unsigned blk_ring_outstanding(const struct blk_ring *r)
{
	if (r->abi == BLK_ABI_X86_32)
		return r->r32.req_cons - r->r32.rsp_prod_pvt;
	return r->r64.req_cons - r->r64.rsp_prod_pvt;
}

int blk_ring_avail(struct blk_ring *r)
{
	int ret;

	RING_DO(r, {
		/* One read of the frontend-writable index. */
		RING_IDX prod = __atomic_load_n(&R->sring->req_prod,
						__ATOMIC_RELAXED);
		/* Order the req_prod read before reading the requests. */
		xen_rmb();
		if (RING_REQUEST_PROD_OVERFLOW(R, prod)) {
			ret = -EPROTO;
		} else {
			/* Cannot be more than a ring ahead now; also bound
			 * by slots whose responses are still owed. */
			unsigned n = prod - R->req_cons;
			unsigned room = RING_SIZE(R) -
					(R->req_cons - R->rsp_prod_pvt);
			ret = (int)(n < room ? n : room);
		}
	});
	return ret;
}

void blk_ring_take(struct blk_ring *r, struct blk_req *out)
{
	if (r->abi == BLK_ABI_X86_32) {
		union xb32_request copy;

		RING_COPY_REQUEST(&r->r32, r->r32.req_cons, &copy);
		r->r32.req_cons++;
		/* The copy is all we look at from now on. */
		__asm__ __volatile__("" ::: "memory");
		blk_req_decode(BLK_ABI_X86_32, &copy, out);
	} else {
		union xb64_request copy;

		RING_COPY_REQUEST(&r->r64, r->r64.req_cons, &copy);
		r->r64.req_cons++;
		__asm__ __volatile__("" ::: "memory");
		blk_req_decode(BLK_ABI_X86_64, &copy, out);
	}
}

void blk_ring_respond(struct blk_ring *r, uint64_t id, uint8_t op,
		      int16_t status)
{
	RING_DO(r, {
		__typeof__(RING_GET_RESPONSE(R, 0)) rsp =
			RING_GET_RESPONSE(R, R->rsp_prod_pvt);
		/* Field by field: the padding of the slot keeps whatever the
		 * frontend put there, we never write our stack into it. */
		rsp->id = id;
		rsp->operation = op;
		rsp->status = status;
		R->rsp_prod_pvt++;
	});
}

bool blk_ring_push(struct blk_ring *r)
{
	int notify;

	RING_DO(r, RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(R, notify));
	return notify;
}

bool blk_ring_final_check(struct blk_ring *r)
{
	int more;

	RING_DO(r, RING_FINAL_CHECK_FOR_REQUESTS(R, more));
	return more;
}
