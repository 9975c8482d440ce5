// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: a hostile frontend driving the backend side of a
 * shared ring.  The input is a script of frontend moves (write a slot,
 * move req_prod anywhere, scribble on rsp_event) interleaved with backend
 * rounds (avail / take / respond / push / final check), as the daemon does
 * them.  The backend must never take more requests than fit the ring,
 * never answer more than it took, and must report -EPROTO instead of
 * running past a producer index it cannot trust.
 *
 * Input: byte 0 = flags (bit 0 ABI, bits 1-2 ring order 0..3), then
 * opcodes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define MAX_PAGES 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t mem[MAX_PAGES * BLK_PAGE_SIZE]
		__attribute__((aligned(4096)));
	static const struct blk_limits lim = {
		.sectors = 1 << 20, .discard = true, .flush = true,
		.max_indirect_segs = BLK_MAX_INDIRECT_SEGS,
	};
	struct blk_ring r;
	enum blk_abi abi;
	unsigned pages, owed = 0, taken = 0;
	size_t i = 1;
	uint32_t *hdr = (uint32_t *)mem;
	uint64_t ids[512 * 2];

	if (size < 1)
		return 0;
	abi = data[0] & 1 ? BLK_ABI_X86_64 : BLK_ABI_X86_32;
	pages = 1u << ((data[0] >> 1) & 3);
	memset(mem, 0, pages * BLK_PAGE_SIZE);
	hdr[1] = hdr[3] = 1;    /* SHARED_RING_INIT */
	CHECK(blk_ring_attach(&r, mem, pages, abi) == 0);

	while (i < size) {
		uint8_t op = data[i++];
		uint32_t v = 0;

		if (i + 4 <= size)
			memcpy(&v, data + i, 4);
		switch (op % 6) {
		case 0: /* frontend: write bytes into the ring area */
			if (i + 4 <= size) {
				size_t off = 64 + v % (pages * BLK_PAGE_SIZE - 64);
				size_t n = size - i - 4 < 16 ? size - i - 4 : 16;

				if (off + n > pages * BLK_PAGE_SIZE)
					n = pages * BLK_PAGE_SIZE - off;
				memcpy(mem + off, data + i + 4, n);
				i += 4 + n;
			}
			break;
		case 1: /* frontend: req_prod anywhere */
			__atomic_store_n(&hdr[0], v, __ATOMIC_RELAXED);
			i += 4;
			break;
		case 2: { /* backend: a round of taking */
			int n = blk_ring_avail(&r);

			if (n == -EPROTO)
				return 0;       /* daemon closes the device */
			CHECK(n >= 0);
			CHECK(owed + (unsigned)n <= blk_ring_size(&r));
			for (int k = 0; k < n && k < 64; k++) {
				struct blk_req q;

				blk_ring_take(&r, &q);
				(void)blk_req_check(&q, &lim);
				ids[owed++] = q.id;
				taken++;
			}
			CHECK(blk_ring_outstanding(&r) == owed);
			break;
		}
		case 3: /* backend: answer some */
			for (unsigned k = v % 8; k && owed; k--)
				blk_ring_respond(&r, ids[--owed], 0, 0);
			i += 4;
			break;
		case 4:
			(void)blk_ring_push(&r);
			break;
		case 5:
			(void)blk_ring_final_check(&r);
			/* frontend: scribble on rsp_event */
			hdr[3] = v;
			i += 4;
			break;
		}
	}
	CHECK(taken >= owed);
	return 0;
}
