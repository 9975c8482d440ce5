// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: one blkif ring slot (either x86 ABI, direct or
 * indirect) plus the contents of its indirect page, through the backend's
 * decoder and validator.  Checks the promises the data path relies on:
 * an accepted request never reaches outside the device, never writes to a
 * read-only one, and never carries more segments than we advertised.
 *
 * Input: byte 0 = flags (bit 0 ABI, bit 1 read-only, bit 2 no discard,
 * bit 3 no indirect), bytes 1..8 = device size in sectors (LE), then one
 * 112-byte slot, then up to a page of indirect segment descriptors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xb_seg page[BLK_SEGS_PER_INDIRECT_PAGE];
	static struct blk_seg segs[BLK_MAX_SEGS];
	union xb64_request slot;
	struct blk_limits lim = { .flush = true };
	struct blk_req req;
	enum blk_abi abi;
	uint64_t sectors = 0, n = 0;
	int st;

	if (size < 1 + 8 + sizeof(slot))
		return 0;
	abi = data[0] & 1 ? BLK_ABI_X86_64 : BLK_ABI_X86_32;
	lim.readonly = data[0] & 2;
	lim.discard = !(data[0] & 4);
	lim.max_indirect_segs = data[0] & 8 ? 0 : BLK_MAX_INDIRECT_SEGS;
	lim.sector_size = data[0] & 16 ? 4096 : 512;
	memcpy(&sectors, data + 1, 8);
	lim.sectors = sectors;
	memcpy(&slot, data + 9, sizeof(slot));
	data += 9 + sizeof(slot);
	size -= 9 + sizeof(slot);
	memset(page, 0, sizeof(page));
	memcpy(page, data, size < sizeof(page) ? size : sizeof(page));

	blk_req_decode(abi, &slot, &req);
	st = blk_req_check(&req, &lim);
	CHECK(st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR ||
	      st == BLKIF_RSP_EOPNOTSUPP);
	if (st != BLKIF_RSP_OKAY)
		return 0;

	switch (req.operation) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_FLUSH_DISKCACHE:
		CHECK(req.nr_segments <= BLKIF_MAX_SEGMENTS_PER_REQUEST);
		CHECK(req.nr_sectors <= req.nr_segments * 8u);
		/* a bare flush has no range, its sector is ignored */
		CHECK(!req.nr_segments ||
		      blk_range_ok(req.sector, req.nr_sectors, lim.sectors));
		CHECK(!req.nr_segments ||
		      blk_aligned(req.sector, req.nr_sectors, &lim));
		CHECK(req.operation == BLKIF_OP_READ || !lim.readonly ||
		      req.nr_segments == 0);
		CHECK(req.nr_segments || req.operation ==
						 BLKIF_OP_FLUSH_DISKCACHE);
		for (unsigned i = 0; i < req.nr_segments; i++)
			CHECK(req.seg[i].first_sect <= req.seg[i].last_sect &&
			      req.seg[i].last_sect < 8);
		break;
	case BLKIF_OP_DISCARD:
		CHECK(lim.discard && !lim.readonly);
		CHECK(blk_range_ok(req.sector, req.nr_sectors, lim.sectors));
		CHECK(blk_aligned(req.sector, req.nr_sectors, &lim));
		break;
	case BLKIF_OP_INDIRECT:
		CHECK(lim.max_indirect_segs);
		CHECK(req.op == BLKIF_OP_READ || req.op == BLKIF_OP_WRITE);
		CHECK(req.op == BLKIF_OP_READ || !lim.readonly);
		CHECK(req.nr_segments >= 1 &&
		      req.nr_segments <= BLK_MAX_INDIRECT_SEGS);
		CHECK(req.nr_indirect_pages == 1);
		blk_indirect_decode(page, req.nr_segments, segs);
		if (blk_segs_check(segs, req.nr_segments, req.sector, &lim,
				   &n) == BLKIF_RSP_OKAY) {
			CHECK(n <= req.nr_segments * 8u);
			CHECK(blk_range_ok(req.sector, n, lim.sectors));
			CHECK(blk_aligned(req.sector, n, &lim));
			/* the byte length used for the bounce buffer */
			CHECK((n << BLK_SECTOR_SHIFT) <=
			      (uint64_t)BLK_MAX_INDIRECT_SEGS * BLK_PAGE_SIZE);
		}
		break;
	default:
		CHECK(0);
	}
	return 0;
}
