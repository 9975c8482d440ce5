// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Unit tests of backend/request.c: blkif decoding for both x86 ABIs,
 * direct and indirect, validation limits (sector-size alignment too), and
 * the backend ring (producer overflow, responses written field by field,
 * batching).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blkif-slot.h"
#include "request.h"

static const struct blk_limits lim_rw = {
	.sectors = 2048, .readonly = false, .discard = true, .flush = true,
	.max_indirect_segs = BLK_MAX_INDIRECT_SEGS,
};
static const struct blk_limits lim_ro = {
	.sectors = 2048, .readonly = true, .discard = true, .flush = true,
	.max_indirect_segs = BLK_MAX_INDIRECT_SEGS,
};

/* Build a ring slot for either ABI (PUT_SLOT: blkif-slot.h). */
static void put_rw(enum blk_abi abi, void *slot, uint8_t op, uint8_t nseg,
		   uint64_t id, uint64_t sector, const struct xb_seg *seg)
{
#define FILL(r)                                                              \
	do {                                                                 \
		(r)->operation = op;                                         \
		(r)->nr_segments = nseg;                                     \
		(r)->handle = 51728;                                         \
		(r)->id = id;                                                \
		(r)->sector_number = sector;                                 \
		memcpy((r)->seg, seg, sizeof((r)->seg));                     \
	} while (0)
	PUT_SLOT(abi, slot, rw, FILL);
#undef FILL
}

static void put_indirect(enum blk_abi abi, void *slot, uint8_t iop,
			 uint16_t nseg, uint64_t id, uint64_t sector)
{
#define FILL(r)                                                              \
	do {                                                                 \
		(r)->operation = BLKIF_OP_INDIRECT;                          \
		(r)->indirect_op = iop;                                      \
		(r)->nr_segments = nseg;                                     \
		(r)->id = id;                                                \
		(r)->sector_number = sector;                                 \
		(r)->handle = 7;                                             \
		for (unsigned i = 0; i < 8; i++)                             \
			(r)->indirect_grefs[i] = 100 + i;                    \
	} while (0)
	PUT_SLOT(abi, slot, indirect, FILL);
#undef FILL
}

static void put_discard(enum blk_abi abi, void *slot, uint64_t id,
			uint64_t sector, uint64_t n)
{
#define FILL(r)                                                              \
	do {                                                                 \
		(r)->operation = BLKIF_OP_DISCARD;                           \
		(r)->flag = BLKIF_DISCARD_SECURE;                            \
		(r)->id = id;                                                \
		(r)->sector_number = sector;                                 \
		(r)->nr_sectors = n;                                         \
	} while (0)
	PUT_SLOT(abi, slot, discard, FILL);
#undef FILL
}

static const enum blk_abi abis[] = { BLK_ABI_X86_32, BLK_ABI_X86_64 };

/* What blk_req_check() answers to the request in a ring slot. */
static int slot_status(enum blk_abi abi, const void *slot,
		       const struct blk_limits *lim)
{
	struct blk_req r;

	blk_req_decode(abi, slot, &r);
	return blk_req_check(&r, lim);
}

/* slot_status() of a direct request (id 1) on a read-write device. */
static int rw_status(enum blk_abi abi, uint8_t op, uint8_t nseg,
		     uint64_t sector, const struct xb_seg *seg)
{
	uint8_t slot[128] = { 0 };

	put_rw(abi, slot, op, nseg, 1, sector, seg);
	return slot_status(abi, slot, &lim_rw);
}

/* slot_status() of an indirect request (id 77, sector 10), read-write. */
static int indirect_status(enum blk_abi abi, uint8_t iop, uint16_t nseg)
{
	uint8_t slot[128] = { 0 };

	put_indirect(abi, slot, iop, nseg, 77, 10);
	return slot_status(abi, slot, &lim_rw);
}

/* slot_status() of a discard (id 5) on a read-write device. */
static int discard_status(enum blk_abi abi, uint64_t sector, uint64_t n)
{
	uint8_t slot[128] = { 0 };

	put_discard(abi, slot, 5, sector, n);
	return slot_status(abi, slot, &lim_rw);
}

static void test_abi_parse(void **state)
{
	enum blk_abi a;

	assert_int_equal(blk_abi_parse(NULL, &a), 0);
	assert_int_equal(a, BLK_ABI_X86_32);
	assert_int_equal(blk_abi_parse("x86_32-abi", &a), 0);
	assert_int_equal(a, BLK_ABI_X86_32);
	assert_int_equal(blk_abi_parse("x86_64-abi", &a), 0);
	assert_int_equal(a, BLK_ABI_X86_64);
#ifdef __x86_64__
	assert_int_equal(blk_abi_parse("native", &a), 0);
	assert_int_equal(a, BLK_ABI_X86_64);
#endif
	assert_int_equal(blk_abi_parse("", &a), -EINVAL);
	assert_int_equal(blk_abi_parse("x86_64-abi ", &a), -EINVAL);
	assert_int_equal(blk_abi_parse("sparc", &a), -EINVAL);
}

static void test_decode_rw(void **state)
{
	for (unsigned k = 0; k < 2; k++) {
		uint8_t slot[128] = { 0 };
		struct xb_seg seg[11] = { { .gref = 42, .first_sect = 1,
					    .last_sect = 7 },
					  { .gref = 43, .first_sect = 0,
					    .last_sect = 3 } };
		struct blk_req r;

		put_rw(abis[k], slot, BLKIF_OP_WRITE, 2, 0x1122334455667788ull,
		       100, seg);
		blk_req_decode(abis[k], slot, &r);
		assert_int_equal(r.operation, BLKIF_OP_WRITE);
		assert_int_equal(r.op, BLKIF_OP_WRITE);
		assert_false(r.indirect);
		assert_int_equal(r.id, 0x1122334455667788ull);
		assert_int_equal(r.sector, 100);
		assert_int_equal(r.nr_segments, 2);
		assert_int_equal(r.handle, 51728);
		assert_int_equal(r.seg[0].gref, 42);
		assert_int_equal(r.seg[0].first_sect, 1);
		assert_int_equal(r.seg[1].last_sect, 3);
		assert_int_equal(blk_req_check(&r, &lim_rw), BLKIF_RSP_OKAY);
		assert_int_equal(r.nr_sectors, 7 + 4);
		/* read-only device refuses the write but serves a read */
		assert_int_equal(blk_req_check(&r, &lim_ro), BLKIF_RSP_ERROR);
		r.operation = r.op = BLKIF_OP_READ;
		assert_int_equal(blk_req_check(&r, &lim_ro), BLKIF_RSP_OKAY);
	}
}

/* The id of an x86_32 request is at offset 4: reading it with the 64-bit
 * layout gives garbage, which is why the ABI matters. */
static void test_abi_layout_differs(void **state)
{
	uint8_t slot[128] = { 0 };
	struct xb_seg seg[11] = { { 0 } };
	struct blk_req r;

	put_rw(BLK_ABI_X86_32, slot, BLKIF_OP_READ, 1, 0xabcdef, 9, seg);
	blk_req_decode(BLK_ABI_X86_64, slot, &r);
	assert_true(r.id != 0xabcdef || r.sector != 9);
	blk_req_decode(BLK_ABI_X86_32, slot, &r);
	assert_int_equal(r.id, 0xabcdef);
	assert_int_equal(r.sector, 9);
}

static void test_check_segments(void **state)
{
	struct blk_req r;
	struct xb_seg seg[11];
	uint8_t slot[128];

	for (unsigned k = 0; k < 2; k++) {
		enum blk_abi abi = abis[k];

		for (unsigned i = 0; i < 11; i++)
			seg[i] = (struct xb_seg){ .gref = i, .first_sect = 0,
						  .last_sect = 7 };
		memset(slot, 0, sizeof(slot));
		/* 11 full segments = 88 sectors, fits exactly at the end */
		put_rw(abi, slot, BLKIF_OP_READ, 11, 1, 2048 - 88, seg);
		blk_req_decode(abi, slot, &r);
		assert_int_equal(blk_req_check(&r, &lim_rw), BLKIF_RSP_OKAY);
		assert_int_equal(r.nr_sectors, 88);
		/* one sector past the end */
		assert_int_equal(rw_status(abi, BLKIF_OP_READ, 11, 2048 - 87,
					   seg),
				 BLKIF_RSP_ERROR);
		/* wrap-around of sector + length */
		assert_int_equal(rw_status(abi, BLKIF_OP_READ, 1,
					   UINT64_MAX - 3, seg),
				 BLKIF_RSP_ERROR);
		/* too many segments for a direct request */
		assert_int_equal(rw_status(abi, BLKIF_OP_READ, 12, 0, seg),
				 BLKIF_RSP_ERROR);
		/* zero segments: only for flush */
		assert_int_equal(rw_status(abi, BLKIF_OP_WRITE, 0, 0, seg),
				 BLKIF_RSP_ERROR);
		assert_int_equal(rw_status(abi, BLKIF_OP_FLUSH_DISKCACHE, 0, 0,
					   seg),
				 BLKIF_RSP_OKAY);
		/* first > last, last > 7 */
		seg[3].first_sect = 5;
		seg[3].last_sect = 4;
		assert_int_equal(rw_status(abi, BLKIF_OP_READ, 4, 0, seg),
				 BLKIF_RSP_ERROR);
		seg[3].first_sect = 0;
		seg[3].last_sect = 8;
		assert_int_equal(rw_status(abi, BLKIF_OP_READ, 4, 0, seg),
				 BLKIF_RSP_ERROR);
		/* barrier and unknown ops: not offered */
		assert_int_equal(rw_status(abi, BLKIF_OP_WRITE_BARRIER, 1, 0,
					   seg),
				 BLKIF_RSP_EOPNOTSUPP);
		assert_int_equal(rw_status(abi, 200, 1, 0, seg),
				 BLKIF_RSP_EOPNOTSUPP);
	}
}

static void test_indirect(void **state)
{
	for (unsigned k = 0; k < 2; k++) {
		enum blk_abi abi = abis[k];
		uint8_t slot[128] = { 0 };
		struct blk_req r;
		struct xb_seg page[512];
		struct blk_seg segs[BLK_MAX_SEGS];
		uint64_t n;

		put_indirect(abi, slot, BLKIF_OP_WRITE, 256, 77, 10);
		blk_req_decode(abi, slot, &r);
		assert_true(r.indirect);
		assert_int_equal(r.operation, BLKIF_OP_INDIRECT);
		assert_int_equal(r.op, BLKIF_OP_WRITE);
		assert_int_equal(r.id, 77);
		assert_int_equal(r.sector, 10);
		assert_int_equal(r.nr_segments, 256);
		assert_int_equal(r.indirect_grefs[0], 100);
		assert_int_equal(r.indirect_grefs[7], 107);
		assert_int_equal(blk_req_check(&r, &lim_rw), BLKIF_RSP_OKAY);
		assert_int_equal(r.nr_indirect_pages, 1);
		assert_int_equal(blk_req_check(&r, &lim_ro), BLKIF_RSP_ERROR);

		for (unsigned i = 0; i < 512; i++)
			page[i] = (struct xb_seg){ .gref = 1000 + i,
						   .first_sect = 0,
						   .last_sect = 7 };
		blk_indirect_decode(page, r.nr_segments, segs);
		assert_int_equal(segs[255].gref, 1255);
		/* 256 * 8 sectors from 10: past a 2048-sector device */
		assert_int_equal(blk_segs_check(segs, 256, 10, &lim_rw, &n),
				 BLKIF_RSP_ERROR);
		assert_int_equal(blk_segs_check(segs, 255, 0, &lim_rw, &n),
				 BLKIF_RSP_OKAY);
		assert_int_equal(n, 255 * 8);

		/* more than advertised */
		assert_int_equal(indirect_status(abi, BLKIF_OP_READ, 257),
				 BLKIF_RSP_ERROR);
		assert_int_equal(indirect_status(abi, BLKIF_OP_READ, 0),
				 BLKIF_RSP_ERROR);
		/* indirect only for read/write */
		assert_int_equal(indirect_status(abi, BLKIF_OP_DISCARD, 1),
				 BLKIF_RSP_ERROR);
		assert_int_equal(indirect_status(abi, BLKIF_OP_INDIRECT, 1),
				 BLKIF_RSP_ERROR);
		assert_int_equal(indirect_status(abi, BLKIF_OP_FLUSH_DISKCACHE,
						 1),
				 BLKIF_RSP_ERROR);
		/* not advertised at all */
		struct blk_limits none = lim_rw;

		none.max_indirect_segs = 0;
		put_indirect(abi, slot, BLKIF_OP_READ, 1, 77, 10);
		assert_int_equal(slot_status(abi, slot, &none),
				 BLKIF_RSP_EOPNOTSUPP);
	}
}

static void test_discard(void **state)
{
	for (unsigned k = 0; k < 2; k++) {
		uint8_t slot[128] = { 0 };
		struct blk_req r;
		struct blk_limits nodisc = lim_rw;

		put_discard(abis[k], slot, 5, 8, 2040);
		blk_req_decode(abis[k], slot, &r);
		assert_int_equal(r.operation, BLKIF_OP_DISCARD);
		assert_int_equal(r.id, 5);
		assert_int_equal(r.sector, 8);
		assert_int_equal(r.nr_sectors, 2040);
		assert_int_equal(r.discard_flag, BLKIF_DISCARD_SECURE);
		assert_int_equal(blk_req_check(&r, &lim_rw), BLKIF_RSP_OKAY);
		assert_int_equal(blk_req_check(&r, &lim_ro), BLKIF_RSP_ERROR);
		nodisc.discard = false;
		assert_int_equal(blk_req_check(&r, &nodisc),
				 BLKIF_RSP_EOPNOTSUPP);
		assert_int_equal(discard_status(abis[k], 9, 2040),
				 BLKIF_RSP_ERROR);
		assert_int_equal(discard_status(abis[k], 1, UINT64_MAX),
				 BLKIF_RSP_ERROR);
	}
}

/* sector-size 4096 (blkif as Xen 4.20 has it): every field stays in
 * 512-byte units, and a request whose byte offset (sector * 512) or any
 * segment's offset or length in its page is not a multiple of 4096 is an
 * error; 512 and 0 (not set) take any. */
static void test_sector_size(void **state)
{
	struct blk_limits k4 = lim_rw, k512 = lim_rw;
	struct xb_seg seg[11];
	struct blk_seg segs[3];
	uint8_t slot[128];
	uint64_t n;

	k4.sector_size = 4096;
	k512.sector_size = 512;
	assert_true(blk_aligned(0, 0, &k4));
	assert_true(blk_aligned(8, 16, &k4));
	assert_false(blk_aligned(1, 8, &k4));
	assert_false(blk_aligned(7, 8, &k4));
	assert_false(blk_aligned(8, 4, &k4));
	assert_false(blk_aligned(8, 9, &k4));
	assert_true(blk_aligned(3, 5, &k512));
	assert_true(blk_aligned(3, 5, &lim_rw));        /* 0: 512 */
	for (unsigned k = 0; k < 2; k++) {
		enum blk_abi abi = abis[k];
		struct blk_req r;

		for (unsigned i = 0; i < 11; i++)
			seg[i] = (struct xb_seg){ .gref = i, .first_sect = 0,
						  .last_sect = 7 };
		/* two whole pages at byte 8192, the last 8 sectors too */
		memset(slot, 0, sizeof(slot));
		put_rw(abi, slot, BLKIF_OP_WRITE, 2, 1, 16, seg);
		blk_req_decode(abi, slot, &r);
		assert_int_equal(blk_req_check(&r, &k4), BLKIF_RSP_OKAY);
		assert_int_equal(r.nr_sectors, 16);
		assert_int_equal(r.sector, 16);         /* still 512-byte units */
		put_rw(abi, slot, BLKIF_OP_READ, 1, 1, 2048 - 8, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_OKAY);
		/* byte offset 512 * 12: not a multiple of 4096 */
		put_rw(abi, slot, BLKIF_OP_WRITE, 1, 1, 12, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		assert_int_equal(slot_status(abi, slot, &k512), BLKIF_RSP_OKAY);
		put_rw(abi, slot, BLKIF_OP_READ, 1, 1, 1, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		/* a segment of half a page, then one at offset 512 */
		seg[1].last_sect = 3;
		put_rw(abi, slot, BLKIF_OP_READ, 2, 1, 0, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		assert_int_equal(slot_status(abi, slot, &k512), BLKIF_RSP_OKAY);
		seg[1] = (struct xb_seg){ .gref = 1, .first_sect = 1,
					  .last_sect = 7 };
		put_rw(abi, slot, BLKIF_OP_WRITE, 2, 1, 0, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		/* write + flush is a write; a bare flush has no offset */
		seg[1].first_sect = 0;
		put_rw(abi, slot, BLKIF_OP_FLUSH_DISKCACHE, 1, 1, 4, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		put_rw(abi, slot, BLKIF_OP_FLUSH_DISKCACHE, 0, 1, 4, seg);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_OKAY);
		/* discard: offset and length */
		put_discard(abi, slot, 5, 8, 2040);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_OKAY);
		put_discard(abi, slot, 5, 9, 2032);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		put_discard(abi, slot, 5, 8, 2039);
		assert_int_equal(slot_status(abi, slot, &k4), BLKIF_RSP_ERROR);
		assert_int_equal(slot_status(abi, slot, &k512), BLKIF_RSP_OKAY);
	}
	/* indirect segments: checked as direct ones */
	segs[0] = (struct blk_seg){ .gref = 1, .first_sect = 0, .last_sect = 7 };
	segs[1] = segs[0];
	segs[2] = segs[0];
	assert_int_equal(blk_segs_check(segs, 3, 8, &k4, &n), BLKIF_RSP_OKAY);
	assert_int_equal(n, 24);
	assert_int_equal(blk_segs_check(segs, 3, 4, &k4, &n), BLKIF_RSP_ERROR);
	segs[2].last_sect = 6;
	assert_int_equal(blk_segs_check(segs, 3, 8, &k4, &n), BLKIF_RSP_ERROR);
	assert_int_equal(blk_segs_check(segs, 3, 8, &k512, &n), BLKIF_RSP_OKAY);
	segs[2] = (struct blk_seg){ .gref = 1, .first_sect = 4, .last_sect = 7 };
	assert_int_equal(blk_segs_check(segs, 3, 8, &k4, &n), BLKIF_RSP_ERROR);
	/* a bad segment is refused before its length is looked at */
	segs[2] = (struct blk_seg){ .gref = 1, .first_sect = 7, .last_sect = 0 };
	assert_int_equal(blk_segs_check(segs, 3, 8, &k4, &n), BLKIF_RSP_ERROR);
}

static void test_range(void **state)
{
	assert_true(blk_range_ok(0, 0, 0));
	assert_true(blk_range_ok(0, 10, 10));
	assert_false(blk_range_ok(0, 11, 10));
	assert_false(blk_range_ok(11, 0, 10));
	assert_false(blk_range_ok(UINT64_MAX, 2, UINT64_MAX));
	assert_true(blk_range_ok(UINT64_MAX - 2, 2, UINT64_MAX));
}

/* ---- ring ---------------------------------------------------------------- */

struct ringbuf {
	enum blk_abi abi;
	unsigned pages;
	void *mem;
};

static void *ring_new(enum blk_abi abi, unsigned pages)
{
	void *mem = aligned_alloc(4096, pages * 4096);

	assert_non_null(mem);
	memset(mem, 0xa5, pages * 4096);
	/* The frontend's SHARED_RING_INIT. */
	if (abi == BLK_ABI_X86_32)
		SHARED_RING_INIT((struct xb32_sring *)mem);
	else
		SHARED_RING_INIT((struct xb64_sring *)mem);
	return mem;
}

static void *slot_at(enum blk_abi abi, void *mem, unsigned nents, unsigned i)
{
	size_t esz = abi == BLK_ABI_X86_32 ? 108 : 112;

	return (uint8_t *)mem + 64 + (size_t)(i & (nents - 1)) * esz;
}

static void set_req_prod(void *mem, uint32_t prod)
{
	((uint32_t *)mem)[0] = prod;
}

static void test_ring_sizes(void **state)
{
	struct blk_ring r;

	for (unsigned k = 0; k < 2; k++) {
		void *mem = ring_new(abis[k], 16);

		assert_int_equal(blk_ring_attach(&r, mem, 1, abis[k]), 0);
		assert_int_equal(blk_ring_size(&r), 32);
		assert_int_equal(blk_ring_attach(&r, mem, 2, abis[k]), 0);
		assert_int_equal(blk_ring_size(&r), 64);
		assert_int_equal(blk_ring_attach(&r, mem, 16, abis[k]), 0);
		assert_int_equal(blk_ring_size(&r), 512);
		assert_int_equal(blk_ring_attach(&r, mem, 3, abis[k]), -EINVAL);
		assert_int_equal(blk_ring_attach(&r, mem, 32, abis[k]),
				 -EINVAL);
		assert_int_equal(blk_ring_attach(&r, mem, 0, abis[k]), -EINVAL);
		free(mem);
	}
}

static void test_ring_roundtrip(void **state)
{
	for (unsigned k = 0; k < 2; k++) {
		enum blk_abi abi = abis[k];
		void *mem = ring_new(abi, 1);
		struct blk_ring r;
		struct xb_seg seg[11] = { { .gref = 9, .first_sect = 0,
					    .last_sect = 7 } };
		struct blk_req q;

		assert_int_equal(blk_ring_attach(&r, mem, 1, abi), 0);
		assert_int_equal(blk_ring_avail(&r), 0);
		for (unsigned i = 0; i < 5; i++)
			put_rw(abi, slot_at(abi, mem, 32, i), BLKIF_OP_READ, 1,
			       1000 + i, i * 8, seg);
		set_req_prod(mem, 5);
		assert_int_equal(blk_ring_avail(&r), 5);
		for (unsigned i = 0; i < 5; i++) {
			blk_ring_take(&r, &q);
			assert_int_equal(q.id, 1000 + i);
			assert_int_equal(blk_req_check(&q, &lim_rw), 0);
		}
		assert_int_equal(blk_ring_avail(&r), 0);
		assert_int_equal(blk_ring_outstanding(&r), 5);

		/* Responses out of order, fields at the ABI's offsets and the
		 * padding bytes left alone. */
		blk_ring_respond(&r, 1003, BLKIF_OP_READ, BLKIF_RSP_OKAY);
		blk_ring_respond(&r, 1001, BLKIF_OP_READ, BLKIF_RSP_ERROR);
		uint8_t *s0 = slot_at(abi, mem, 32, 0);

		assert_int_equal(*(uint64_t *)s0, 1003);
		assert_int_equal(s0[8], BLKIF_OP_READ);
		assert_int_equal(*(int16_t *)(s0 + 10), 0);
		uint8_t *s1 = slot_at(abi, mem, 32, 1);

		assert_int_equal(*(int16_t *)(s1 + 10), -1);
		/* rsp_event is 1 after init: the first push must notify */
		assert_true(blk_ring_push(&r));
		assert_int_equal(((uint32_t *)mem)[2], 2);
		/* frontend has not moved rsp_event: no second event */
		blk_ring_respond(&r, 1000, BLKIF_OP_READ, 0);
		assert_false(blk_ring_push(&r));
		assert_int_equal(blk_ring_outstanding(&r), 2);

		/* final check arms req_event = req_cons + 1 */
		assert_false(blk_ring_final_check(&r));
		assert_int_equal(((uint32_t *)mem)[1], 6);
		set_req_prod(mem, 6);
		put_rw(abi, slot_at(abi, mem, 32, 5), BLKIF_OP_READ, 1, 7, 0,
		       seg);
		assert_true(blk_ring_final_check(&r));
		free(mem);
	}
}

static void test_ring_overflow(void **state)
{
	for (unsigned k = 0; k < 2; k++) {
		enum blk_abi abi = abis[k];
		void *mem = ring_new(abi, 1);
		struct blk_ring r;
		struct blk_req q;

		assert_int_equal(blk_ring_attach(&r, mem, 1, abi), 0);
		/* a full ring is fine */
		set_req_prod(mem, 32);
		assert_int_equal(blk_ring_avail(&r), 32);
		/* one more than the ring holds is a broken frontend */
		set_req_prod(mem, 33);
		assert_int_equal(blk_ring_avail(&r), -EPROTO);
		/* an index behind us (wraps to huge) is too */
		set_req_prod(mem, 0xffffffffu);
		assert_int_equal(blk_ring_avail(&r), -EPROTO);
		/* while responses are owed, avail is bounded by free slots */
		set_req_prod(mem, 32);
		for (unsigned i = 0; i < 32; i++)
			blk_ring_take(&r, &q);
		assert_int_equal(blk_ring_avail(&r), 0);
		set_req_prod(mem, 40);
		assert_int_equal(blk_ring_avail(&r), -EPROTO);
		for (unsigned i = 0; i < 4; i++)
			blk_ring_respond(&r, i, 0, 0);
		blk_ring_push(&r);
		set_req_prod(mem, 36);
		assert_int_equal(blk_ring_avail(&r), 4);
		free(mem);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_abi_parse),
		cmocka_unit_test(test_decode_rw),
		cmocka_unit_test(test_abi_layout_differs),
		cmocka_unit_test(test_check_segments),
		cmocka_unit_test(test_indirect),
		cmocka_unit_test(test_discard),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_sector_size),
		cmocka_unit_test(test_ring_sizes),
		cmocka_unit_test(test_ring_roundtrip),
		cmocka_unit_test(test_ring_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
