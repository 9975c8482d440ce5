/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The two x86 wire layouts of the blkif ring (xen/io/blkif.h), written out
 * with explicit offsets so that one backend binary serves both 32-bit
 * ("x86_32-abi", and any frontend that writes no "protocol" node) and
 * 64-bit ("x86_64-abi" / "native" on x86_64) guests.
 *
 * The public header defines the ring entry with the compiler's natural
 * alignment of the build host; a 32-bit guest aligns uint64_t on 4 bytes, so
 * its requests are 108 bytes and the id sits at offset 4, not 8.  Only the
 * shared ring header (req_prod, req_event, rsp_prod, rsp_event, 64 bytes)
 * is the same for both, which is what lets the generic ring.h macros drive
 * either ring type.
 *
 * Nothing here is ever read in place: a request is copied out of the shared
 * page first (RING_COPY_REQUEST) and only the private copy is decoded.
 */
#ifndef XBDEV_BLKIF_ABI_H
#define XBDEV_BLKIF_ABI_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/*
 * ring.h expands xen_mb()/xen_rmb()/xen_wmb() (with __XEN_TOOLS__ set the
 * interface version is recent enough for those names).  Userspace has no
 * definition unless it includes xenctrl.h, so give them here.  The orders
 * they provide are documented at each use in ring.h: wmb orders our
 * response writes before the rsp_prod update; mb orders the rsp_prod/
 * req_event stores before re-reading the other end's index; rmb orders
 * reading req_prod before reading the requests it covers.
 */
#ifndef __XEN_TOOLS__
#define __XEN_TOOLS__ 1
#endif
#ifndef xen_mb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#include <xen/io/blkif.h>
#include <xen/io/ring.h>

/* One segment descriptor: 8 bytes in both ABIs (2 bytes of tail padding),
 * also the element type of an indirect page. */
struct xb_seg {
	uint32_t gref;
	uint8_t first_sect;
	uint8_t last_sect;
	uint16_t _pad;
};

/* ---- x86_32: uint64_t aligned on 4 ------------------------------------ */
struct xb32_rw {
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	struct xb_seg seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
} __attribute__((packed, aligned(4)));

struct xb32_discard {
	uint8_t operation;
	uint8_t flag;
	uint16_t handle;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
} __attribute__((packed, aligned(4)));

struct xb32_indirect {
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint16_t _pad1;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint64_t _pad2;
} __attribute__((packed, aligned(4)));

union xb32_request {
	struct xb32_rw rw;
	struct xb32_discard discard;
	struct xb32_indirect indirect;
};

struct xb32_response {
	uint64_t id;
	uint8_t operation;
	uint8_t _pad;
	int16_t status;
} __attribute__((packed, aligned(4)));

/* ---- x86_64 (and arm): uint64_t aligned on 8 -------------------------- */
struct xb64_rw {
	uint8_t operation;
	uint8_t nr_segments;
	uint16_t handle;
	uint32_t _pad1;
	uint64_t id;
	uint64_t sector_number;
	struct xb_seg seg[BLKIF_MAX_SEGMENTS_PER_REQUEST];
} __attribute__((aligned(8)));

struct xb64_discard {
	uint8_t operation;
	uint8_t flag;
	uint16_t handle;
	uint32_t _pad1;
	uint64_t id;
	uint64_t sector_number;
	uint64_t nr_sectors;
} __attribute__((aligned(8)));

struct xb64_indirect {
	uint8_t operation;
	uint8_t indirect_op;
	uint16_t nr_segments;
	uint32_t _pad1;
	uint64_t id;
	uint64_t sector_number;
	uint16_t handle;
	uint16_t _pad2;
	uint32_t indirect_grefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	uint32_t _pad3;
} __attribute__((aligned(8)));

union xb64_request {
	struct xb64_rw rw;
	struct xb64_discard discard;
	struct xb64_indirect indirect;
};

struct xb64_response {
	uint64_t id;
	uint8_t operation;
	uint8_t _pad;
	int16_t status;
	uint32_t _pad2;
} __attribute__((aligned(8)));

DEFINE_RING_TYPES(xb32, union xb32_request, struct xb32_response);
DEFINE_RING_TYPES(xb64, union xb64_request, struct xb64_response);

/* The wire layouts, checked against what blkif.h says about each ABI. */
static_assert(sizeof(struct xb_seg) == 8, "segment");
static_assert(sizeof(struct xb32_rw) == 108, "x86_32 request");
static_assert(offsetof(struct xb32_rw, id) == 4, "x86_32 id");
static_assert(offsetof(struct xb32_rw, seg) == 20, "x86_32 seg");
static_assert(offsetof(struct xb32_discard, nr_sectors) == 20, "x86_32 disc");
static_assert(offsetof(struct xb32_indirect, indirect_grefs) == 24, "x86_32 ind");
static_assert(sizeof(struct xb32_indirect) == 64, "x86_32 indirect");
static_assert(sizeof(union xb32_sring_entry) == 108, "x86_32 entry");
static_assert(sizeof(struct xb32_response) == 12, "x86_32 response");
static_assert(offsetof(struct xb32_response, status) == 10, "x86_32 status");
static_assert(sizeof(struct xb64_rw) == 112, "x86_64 request");
static_assert(offsetof(struct xb64_rw, id) == 8, "x86_64 id");
static_assert(offsetof(struct xb64_rw, seg) == 24, "x86_64 seg");
static_assert(offsetof(struct xb64_discard, nr_sectors) == 24, "x86_64 disc");
static_assert(offsetof(struct xb64_indirect, indirect_grefs) == 28, "x86_64 ind");
static_assert(sizeof(struct xb64_indirect) == 64, "x86_64 indirect");
static_assert(sizeof(union xb64_sring_entry) == 112, "x86_64 entry");
static_assert(sizeof(struct xb64_response) == 16, "x86_64 response");
static_assert(offsetof(struct xb64_response, status) == 10, "x86_64 status");
static_assert(offsetof(struct xb32_sring, ring) == 64, "x86_32 ring header");
static_assert(offsetof(struct xb64_sring, ring) == 64, "x86_64 ring header");

#endif
