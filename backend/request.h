/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blkif request decoding and validation, and the backend side of a shared
 * ring.  Pure code: it touches only the memory it is given (a mapped ring
 * in the daemon, a plain buffer in unit tests and fuzzers) and needs no Xen
 * at run time.
 *
 * Everything that comes from the frontend is hostile: a request is copied
 * out of the shared page into private memory before a single field is
 * looked at (XSA-155), and the decoded copy is validated against the
 * device's limits before any I/O is issued.
 */
#ifndef XBDEV_REQUEST_H
#define XBDEV_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "blkif-abi.h"

#define BLK_SECTOR_SHIFT 9                   /* blkif sectors: 512 bytes */
#define BLK_PAGE_SIZE 4096u                  /* XEN_PAGE_SIZE */
#define BLK_SECTORS_PER_PAGE (BLK_PAGE_SIZE >> BLK_SECTOR_SHIFT)
#define BLK_SEGS_PER_INDIRECT_PAGE (BLK_PAGE_SIZE / sizeof(struct xb_seg))

/* What we advertise.  256 indirect segments = 1 MiB per request, one
 * indirect page; ring order 4 = 16 pages, the Linux blkback limit. */
#define BLK_MAX_INDIRECT_SEGS 256u
#define BLK_MAX_RING_ORDER 4u
#define BLK_MAX_RING_PAGES (1u << BLK_MAX_RING_ORDER)
#define BLK_MAX_QUEUES 4u
/* Segments any one request may carry after validation. */
#define BLK_MAX_SEGS BLK_MAX_INDIRECT_SEGS

enum blk_abi {
	BLK_ABI_X86_32,
	BLK_ABI_X86_64,
};

/* "protocol" node -> ABI.  NULL (node absent) means x86_32 on x86: that is
 * what a frontend that predates the node is.  -EINVAL for anything else. */
int blk_abi_parse(const char *protocol, enum blk_abi *out);
const char *blk_abi_name(enum blk_abi abi);

struct blk_seg {
	uint32_t gref;
	uint8_t first_sect;
	uint8_t last_sect;
};

/* A request, decoded from a private copy of a ring slot. */
struct blk_req {
	uint64_t id;            /* echoed in the response */
	uint8_t operation;      /* operation as on the ring */
	uint8_t op;             /* effective op (indirect_op for indirect) */
	bool indirect;
	uint8_t discard_flag;
	uint16_t handle;
	uint16_t nr_segments;
	uint64_t sector;
	uint64_t nr_sectors;    /* discard: as given; r/w: sum of segments */
	unsigned nr_indirect_pages;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	/* direct segments; indirect ones are decoded by blk_indirect_decode */
	struct blk_seg seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

/* The device as the validator sees it. */
struct blk_limits {
	uint64_t sectors;               /* device size in 512-byte sectors */
	/* Logical sector size ("sector-size"): 512 or 4096 (0 means 512).
	 * Every field stays in 512-byte units; offsets and lengths must be
	 * multiples of it (blkif.h as Xen 4.20 has it). */
	unsigned sector_size;
	bool readonly;
	bool discard;                   /* feature-discard advertised */
	bool flush;                     /* feature-flush-cache advertised */
	unsigned max_indirect_segs;     /* 0: indirect not advertised */
};

/*
 * Decode one private copy of a ring slot (a union xb32_request or union
 * xb64_request, by abi) into *out.  Never fails: every bit pattern decodes
 * to something, blk_req_check() decides whether it is acceptable.
 */
void blk_req_decode(enum blk_abi abi, const void *slot, struct blk_req *out);

/*
 * Validate a decoded request.  Returns BLKIF_RSP_OKAY, BLKIF_RSP_EOPNOTSUPP
 * (operation we do not offer) or BLKIF_RSP_ERROR (malformed or out of
 * range).  For an indirect request this checks only the header (op, count,
 * number of indirect pages); its segments are checked by blk_segs_check()
 * once they have been copied in.  For direct requests it checks the
 * segments and the sector range too, and fills in nr_sectors.
 */
int blk_req_check(struct blk_req *req, const struct blk_limits *lim);

/* Decode nr segments from a private copy of the indirect pages (at least
 * nr * 8 bytes long). */
void blk_indirect_decode(const void *pages, unsigned nr, struct blk_seg *out);

/*
 * Check segments (first_sect <= last_sect <= 7, each one's offset in its
 * page and its length multiples of lim->sector_size), that sector is a
 * multiple of it too, and that [sector, sector + sum) lies inside the
 * device with no wrap-around; on success stores the sum in *nr_sectors.
 * Returns BLKIF_RSP_OKAY or BLKIF_RSP_ERROR.
 */
int blk_segs_check(const struct blk_seg *seg, unsigned nr, uint64_t sector,
		   const struct blk_limits *lim, uint64_t *nr_sectors);

/* Are sector and n (512-byte units) multiples of the logical sector
 * size? */
bool blk_aligned(uint64_t sector, uint64_t n, const struct blk_limits *lim);

/* Is [sector, sector + n) inside a device of `sectors` sectors? */
bool blk_range_ok(uint64_t sector, uint64_t n, uint64_t sectors);

/* ---- the backend side of one shared ring ------------------------------- */

struct blk_ring {
	enum blk_abi abi;
	union {
		struct xb32_back_ring r32;
		struct xb64_back_ring r64;
	};
};

/* Attach to an initialised shared ring of `pages` pages at mem.  Returns
 * -EINVAL if pages is not a power of two up to BLK_MAX_RING_PAGES. */
int blk_ring_attach(struct blk_ring *r, void *mem, unsigned pages,
		    enum blk_abi abi);
unsigned blk_ring_size(const struct blk_ring *r);
/* Take over a ring another process served: our private indices as that
 * one left them (its journal's), instead of BACK_RING_INIT's 0. */
void blk_ring_resume(struct blk_ring *r, uint32_t req_cons,
		     uint32_t rsp_prod_pvt);
/* The index the next response goes to (rsp_prod_pvt). */
uint32_t blk_ring_rsp_idx(const struct blk_ring *r);

/*
 * Snapshot the frontend's req_prod: one read, then a read barrier, so the
 * requests up to it may be copied.  Returns how many requests may be taken
 * now (bounded by free response slots), or -EPROTO if the producer claims
 * more requests than the ring can hold: the frontend is broken or hostile
 * and the ring must be shut down.
 */
int blk_ring_avail(struct blk_ring *r);

/* Copy the next request out of the ring (the one and only read of that
 * slot), advance req_cons, and decode the copy.  Only after
 * blk_ring_avail() said there is one. */
void blk_ring_take(struct blk_ring *r, struct blk_req *out);

/* Queue a response, written field by field into the slot (XSA-216: never a
 * struct copy that would leak padding).  Caller guarantees a free slot,
 * which holds because every response answers a request taken earlier. */
void blk_ring_respond(struct blk_ring *r, uint64_t id, uint8_t op,
		      int16_t status);

/* Publish queued responses; true if the frontend wants an event. */
bool blk_ring_push(struct blk_ring *r);

/* Before sleeping: re-arm req_event and look again.  true = more work. */
bool blk_ring_final_check(struct blk_ring *r);

/* Responses taken but not yet answered. */
unsigned blk_ring_outstanding(const struct blk_ring *r);

#endif
