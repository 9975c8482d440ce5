/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Request building: turns (sector, length, buffer pages) into blkif
 * requests.  Pure functions, no Xen interface: unit-tested directly.
 *
 * Protocol rules honoured here (xen/io/blkif.h):
 *  - a segment is one granted page; first_sect..last_sect (inclusive, in
 *    512-byte units, 0..7) is the part of it transferred;
 *  - consecutive segments are consecutive on the disk, so only the first
 *    segment may start inside a page and only the last may end inside one;
 *  - a direct request has 1..11 segments; an indirect one puts its
 *    segments in up to 8 granted pages of 512 segments each.
 */
#include <errno.h>

#include "blkfront.h"

unsigned xbf_pages_for(unsigned first_off, uint64_t nsect)
{
	if (nsect == 0)
		return 0;
	return (unsigned)((first_off + nsect + XBF_SECTS_PER_PAGE - 1) /
			  XBF_SECTS_PER_PAGE);
}

unsigned xbf_indirect_pages_for(unsigned nseg)
{
	return (nseg + XBF_SEGS_PER_INDIRECT_PAGE - 1) /
	       XBF_SEGS_PER_INDIRECT_PAGE;
}

int xbf_build_segments(const grant_ref_t *refs, unsigned nrefs,
		       unsigned first_off, uint64_t nsect,
		       struct blkif_request_segment *segs, unsigned max_segs)
{
	unsigned n = 0;
	uint64_t left = nsect;
	unsigned off = first_off;

	if (nsect == 0 || first_off >= XBF_SECTS_PER_PAGE)
		return -EINVAL;
	if (xbf_pages_for(first_off, nsect) > max_segs ||
	    xbf_pages_for(first_off, nsect) > nrefs)
		return -EINVAL;
	while (left) {
		unsigned room = XBF_SECTS_PER_PAGE - off;
		unsigned take = left < room ? (unsigned)left : room;

		segs[n].gref = refs[n];
		segs[n].first_sect = (uint8_t)off;
		segs[n].last_sect = (uint8_t)(off + take - 1);
		left -= take;
		off = 0;
		n++;
	}
	return (int)n;
}

uint64_t xbf_segments_sectors(const struct blkif_request_segment *segs,
			      unsigned nseg)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < nseg; i++)
		if (segs[i].last_sect >= segs[i].first_sect)
			n += segs[i].last_sect - segs[i].first_sect + 1u;
	return n;
}

int xbf_build_rw(struct blkif_request *req, uint8_t op, uint16_t handle,
		 uint64_t id, uint64_t sector,
		 const struct blkif_request_segment *segs, unsigned nseg)
{
	if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->nr_segments = (uint8_t)nseg;
	req->handle = handle;
	req->id = id;
	req->sector_number = sector;
	if (nseg)
		memcpy(req->seg, segs, nseg * sizeof(*segs));
	return 0;
}

int xbf_build_indirect(struct blkif_request_indirect *req, uint8_t op,
		       uint16_t handle, uint64_t id, uint64_t sector,
		       const struct blkif_request_segment *segs, unsigned nseg,
		       void *const *ind_pages, const grant_ref_t *ind_refs,
		       unsigned n_ind)
{
	unsigned need = xbf_indirect_pages_for(nseg);

	if (need > n_ind || need > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST ||
	    nseg > 0xffffu)
		return -EINVAL;
	for (unsigned i = 0; i < nseg; i++) {
		struct blkif_request_segment *page =
			ind_pages[i / XBF_SEGS_PER_INDIRECT_PAGE];

		page[i % XBF_SEGS_PER_INDIRECT_PAGE] = segs[i];
	}
	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_INDIRECT;
	req->indirect_op = op;
	req->nr_segments = (uint16_t)nseg;
	req->id = id;
	req->sector_number = sector;
	req->handle = handle;
	for (unsigned i = 0; i < need; i++)
		req->indirect_grefs[i] = ind_refs[i];
	return 0;
}

void xbf_build_discard(struct blkif_request_discard *req, uint16_t handle,
		       uint64_t id, uint64_t sector, uint64_t nsect,
		       bool secure)
{
	memset(req, 0, sizeof(*req));
	req->operation = BLKIF_OP_DISCARD;
	req->flag = secure ? BLKIF_DISCARD_SECURE : 0;
	req->handle = handle;
	req->id = id;
	req->sector_number = sector;
	req->nr_sectors = nsect;
}

void xbf_build_flush(struct blkif_request *req, uint8_t op, uint16_t handle,
		     uint64_t id)
{
	memset(req, 0, sizeof(*req));
	req->operation = op;
	req->nr_segments = 0;
	req->handle = handle;
	req->id = id;
	req->sector_number = 0;
}
