/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Data patterns for verify: each sector names itself (see blkfront.h).
 */
#include "blkfront.h"

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser: a cheap, well-spread seed for xorshift */
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void fill_sector(uint8_t *p, uint64_t sector, uint32_t gen,
			uint32_t seed)
{
	struct xbf_sector_hdr h = {
		.magic = XBF_PATTERN_MAGIC, .sector = sector,
		.gen = gen, .seed = seed,
	};
	uint64_t s = mix64(sector ^ ((uint64_t)gen << 32) ^ seed);

	memcpy(p, &h, sizeof(h));
	for (unsigned off = sizeof(h); off < XBF_SECTOR_SIZE; off += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		memcpy(p + off, &s, 8);
	}
}

void xbf_pattern_fill(void *buf, uint64_t sector, uint64_t nsect,
		      uint32_t gen, uint32_t seed)
{
	uint8_t *p = buf;

	for (uint64_t i = 0; i < nsect; i++)
		fill_sector(p + i * XBF_SECTOR_SIZE, sector + i, gen, seed);
}

uint64_t xbf_pattern_check(const void *buf, uint64_t sector, uint64_t nsect,
			   uint32_t gen, uint32_t seed,
			   struct xbf_mismatch *mm, unsigned max)
{
	const uint8_t *p = buf;
	uint8_t want[XBF_SECTOR_SIZE];
	uint64_t bad = 0;

	for (uint64_t i = 0; i < nsect; i++) {
		const uint8_t *got = p + i * XBF_SECTOR_SIZE;
		struct xbf_sector_hdr h;
		unsigned off;

		fill_sector(want, sector + i, gen, seed);
		if (!memcmp(want, got, XBF_SECTOR_SIZE))
			continue;
		if (bad < max) {
			struct xbf_mismatch *m = &mm[bad];

			for (off = 0; off < XBF_SECTOR_SIZE; off++)
				if (want[off] != got[off])
					break;
			memcpy(&h, got, sizeof(h));
			m->sector = sector + i;
			m->offset = off;
			m->has_hdr = h.magic == XBF_PATTERN_MAGIC;
			m->found_sector = m->has_hdr ? h.sector : 0;
			m->found_gen = m->has_hdr ? h.gen : 0;
		}
		bad++;
	}
	return bad;
}
