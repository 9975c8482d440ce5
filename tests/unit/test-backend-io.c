// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The backend's data path (backend/io.c) end to end without Xen: a shared
 * ring in plain memory played by the test as the frontend, a fake grant
 * table (xengnttab_grant_copy and xenevtchn_notify are defined here and
 * take precedence over the libraries' at link time), and a real io_uring
 * on a temporary backing file.  For both ABIs: direct and indirect writes
 * land at the right offsets, reads come back through grant copy, flush and
 * discard (a punched hole) are acknowledged, bad requests and bad grants
 * get error responses, and a producer beyond the ring is -EPROTO.  The
 * same again through the page cache, and through persistent grants (the
 * fake gntdev maps a grant as the page itself).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

/* Reads land in our buffers through io_uring, behind valgrind's back: say
 * so when the fake hypervisor copies them out (check-unit runs the tests
 * under valgrind too). */
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#include "blkback.h"
#include "blkif-slot.h"

/* ---- fakes ----------------------------------------------------------------- */

#define NGREFS 64
static uint8_t gpage[NGREFS][4096] __attribute__((aligned(4096)));
static bool gread_only[NGREFS];
static unsigned notifies;

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
			 xengnttab_grant_copy_segment_t *segs)
{
	for (uint32_t i = 0; i < count; i++) {
		xengnttab_grant_copy_segment_t *s = &segs[i];
		bool from = s->flags & GNTCOPY_source_gref;
		uint32_t ref = from ? s->source.foreign.ref : s->dest.foreign.ref;
		uint16_t off = from ? s->source.foreign.offset
				    : s->dest.foreign.offset;

		assert_true(from != !!(s->flags & GNTCOPY_dest_gref));
		if (ref >= NGREFS) {
			s->status = GNTST_bad_gntref;
			continue;
		}
		/* the hypervisor's rule: within one page of the grant */
		if (off + s->len > 4096) {
			s->status = GNTST_bad_copy_arg;
			continue;
		}
		if (from) {
			memcpy(s->dest.virt, gpage[ref] + off, s->len);
		} else {
			if (gread_only[ref]) {
				s->status = GNTST_permission_denied;
				continue;
			}
			VALGRIND_MAKE_MEM_DEFINED(s->source.virt, s->len);
			memcpy(gpage[ref] + off, s->source.virt, s->len);
		}
		s->status = GNTST_okay;
	}
	return 0;
}

/* Grants CAP_REF.. map to one scratch page: only for filling the
 * persistent-grant table (never used in a request). */
#define CAP_REF 10000u
static uint8_t scratch[4096] __attribute__((aligned(4096)));
static unsigned maps, unmaps;

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid,
			      uint32_t ref, int prot)
{
	if (ref >= CAP_REF && ref < CAP_REF + 4096) {
		maps++;
		return scratch;
	}
	if (domid != 7 || ref >= NGREFS ||
	    ((prot & PROT_WRITE) && gread_only[ref])) {
		errno = EINVAL;
		return NULL;
	}
	maps++;
	return gpage[ref];
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address,
		    uint32_t count)
{
	unmaps += count;
	return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	notifies++;
	return 0;
}

/* ---- fixture ---------------------------------------------------------------- */

struct fx {
	struct blk_dev d;
	void *ring;
	enum blk_abi abi;
	unsigned prod;
	char path[64];
};

static int setup(void **state, enum blk_abi abi)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->path, sizeof(f->path), "/tmp/test-backend-io.XXXXXX");
	f->d.fd = mkstemp(f->path);
	assert_true(f->d.fd >= 0);
	assert_int_equal(ftruncate(f->d.fd, 1 << 20), 0);
	f->d.size = 1 << 20;
	f->d.sectors = f->d.size >> 9;
	f->d.fe_domid = 7;
	f->d.lim = (struct blk_limits){ .sectors = f->d.sectors,
					 .discard = true, .flush = true,
					 .max_indirect_segs = 256 };
	snprintf(f->d.tag, sizeof(f->d.tag), "unit");
	assert_int_equal(blk_io_init(&f->d), 0);
	f->ring = aligned_alloc(4096, 4096);
	assert_non_null(f->ring);
	memset(f->ring, 0, 4096);
	f->abi = abi;
	if (abi == BLK_ABI_X86_32)
		SHARED_RING_INIT((struct xb32_sring *)f->ring);
	else
		SHARED_RING_INIT((struct xb64_sring *)f->ring);
	f->d.q[0].dev = &f->d;
	f->d.q[0].local_port = 5;
	assert_int_equal(blk_ring_attach(&f->d.q[0].ring, f->ring, 1, abi), 0);
	f->d.nr_queues = 1;
	memset(gpage, 0, sizeof(gpage));
	memset(gread_only, 0, sizeof(gread_only));
	*state = f;
	return 0;
}
static int setup32(void **state) { return setup(state, BLK_ABI_X86_32); }
static int setup64(void **state) { return setup(state, BLK_ABI_X86_64); }

/* The page-cache path: the file written (so its pages are cached) and
 * mapped, as xenbus.c does without O_DIRECT. */
static int setup_cached(void **state, enum blk_abi abi)
{
	static uint8_t zero[1 << 20];
	struct fx *f;

	setup(state, abi);
	f = *state;
	assert_int_equal(pwrite(f->d.fd, zero, sizeof(zero), 0),
			 (ssize_t)sizeof(zero));
	assert_int_equal(blk_io_map(&f->d), 0);
	return 0;
}
static int setup32c(void **state) { return setup_cached(state, BLK_ABI_X86_32); }
static int setup64c(void **state) { return setup_cached(state, BLK_ABI_X86_64); }

/* Persistent grants negotiated (xenbus.c's do_connect). */
static int setup_persistent(void **state, enum blk_abi abi)
{
	struct fx *f;

	setup(state, abi);
	f = *state;
	f->d.persistent = true;
	maps = unmaps = 0;
	assert_int_equal(blk_pc_open(&f->d.q[0]), 0);
	return 0;
}
static int setup32p(void **state) { return setup_persistent(state, BLK_ABI_X86_32); }
static int setup64p(void **state) { return setup_persistent(state, BLK_ABI_X86_64); }

static int teardown(void **state)
{
	struct fx *f = *state;

	blk_io_fini(&f->d);
	if (f->d.q[0].pc) {
		unsigned n = blk_pc_count(&f->d.q[0]);

		blk_pc_close(&f->d, &f->d.q[0]);
		assert_int_equal(unmaps, n);    /* every mapping undone */
		assert_null(f->d.q[0].pc);
	}
	blk_io_unmap(&f->d);
	close(f->d.fd);
	unlink(f->path);
	free(f->ring);
	free(f);
	return 0;
}

static void *slot(struct fx *f, unsigned i)
{
	size_t esz = f->abi == BLK_ABI_X86_32 ? 108 : 112;

	return (uint8_t *)f->ring + 64 + (size_t)(i & 31) * esz;
}

/* Frontend: queue a request in the next slot (PUT_SLOT: blkif-slot.h). */
static void *next_slot(struct fx *f)
{
	void *s = slot(f, f->prod++);

	memset(s, 0, f->abi == BLK_ABI_X86_32 ? 108 : 112);
	return s;
}

static void put(struct fx *f, uint8_t op, uint64_t id, uint64_t sector,
		unsigned nseg, const struct xb_seg *seg)
{
#define FILL(r)                                                              \
	do {                                                                 \
		(r)->operation = op;                                         \
		(r)->nr_segments = (uint8_t)nseg;                            \
		(r)->id = id;                                                \
		(r)->sector_number = sector;                                 \
		memcpy((r)->seg, seg,                                        \
		       sizeof(*seg) * (nseg > 11 ? 11 : nseg));              \
	} while (0)
	PUT_SLOT(f->abi, next_slot(f), rw, FILL);
#undef FILL
}

static void put_indirect(struct fx *f, uint8_t iop, uint64_t id,
			 uint64_t sector, unsigned nseg, uint32_t page_gref)
{
#define FILL(r)                                                              \
	do {                                                                 \
		(r)->operation = BLKIF_OP_INDIRECT;                          \
		(r)->indirect_op = iop;                                      \
		(r)->nr_segments = (uint16_t)nseg;                           \
		(r)->id = id;                                                \
		(r)->sector_number = sector;                                 \
		(r)->indirect_grefs[0] = page_gref;                          \
	} while (0)
	PUT_SLOT(f->abi, next_slot(f), indirect, FILL);
#undef FILL
}

static void put_discard(struct fx *f, uint64_t id, uint64_t sector,
			uint64_t n)
{
#define FILL(r)                                                              \
	do {                                                                 \
		(r)->operation = BLKIF_OP_DISCARD;                           \
		(r)->id = id;                                                \
		(r)->sector_number = sector;                                 \
		(r)->nr_sectors = n;                                         \
	} while (0)
	PUT_SLOT(f->abi, next_slot(f), discard, FILL);
#undef FILL
}

/* Publish req_prod, let the backend run until everything is answered. */
static int run(struct fx *f)
{
	int r;

	__atomic_store_n((uint32_t *)f->ring, f->prod, __ATOMIC_RELEASE);
	r = blk_io_queue_work(&f->d.q[0]);
	if (r)
		return r;
	blk_io_flush(&f->d);
	blk_io_drain(&f->d, 5000);
	assert_int_equal(f->d.inflight, 0);
	return 0;
}

/* The response in slot i (responses are written in completion order). */
static void rsp(struct fx *f, unsigned i, uint64_t *id, uint8_t *op,
		int16_t *st)
{
	uint8_t *s = slot(f, i);

	memcpy(id, s, 8);
	*op = s[8];
	memcpy(st, s + 10, 2);
}

/* Status of the response carrying id among the first n responses. */
static int16_t status_of(struct fx *f, unsigned n, uint64_t want)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t id;
		uint8_t op;
		int16_t st;

		rsp(f, i, &id, &op, &st);
		if (id == want)
			return st;
	}
	fail_msg("no response for id %llu", (unsigned long long)want);
	return 99;
}

static void fill(unsigned gref, uint8_t v)
{
	memset(gpage[gref], v, 4096);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_write_read(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[2] = { { .gref = 1, .first_sect = 0, .last_sect = 7 },
				 { .gref = 2, .first_sect = 2, .last_sect = 5 } };
	uint8_t buf[6144], want[6144];
	uint64_t id;
	uint8_t op;
	int16_t st;

	fill(1, 0x11);
	fill(2, 0x22);
	put(f, BLKIF_OP_WRITE, 100, 8, 2, seg);
	assert_int_equal(run(f), 0);
	rsp(f, 0, &id, &op, &st);
	assert_int_equal(id, 100);
	assert_int_equal(op, BLKIF_OP_WRITE);
	assert_int_equal(st, BLKIF_RSP_OKAY);
	assert_int_equal(((uint32_t *)f->ring)[2], 1);   /* rsp_prod */
	assert_true(notifies > 0);
	/* 8 + 4 sectors at sector 8: page 1 whole, then page 2's 2..5 */
	memset(want, 0x11, 4096);
	memset(want + 4096, 0x22, 2048);
	assert_int_equal(pread(f->d.fd, buf, sizeof(buf), 8 * 512),
			 (ssize_t)sizeof(buf));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(f->d.st.bytes_written, 6144);

	/* read it back into two other grants, at an offset in the page */
	struct xb_seg rseg[2] = { { .gref = 3, .first_sect = 0, .last_sect = 7 },
				  { .gref = 4, .first_sect = 4, .last_sect = 7 } };

	put(f, BLKIF_OP_READ, 101, 8, 2, rseg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 2, 101), BLKIF_RSP_OKAY);
	assert_memory_equal(gpage[3], want, 4096);
	assert_memory_equal(gpage[4] + 2048, want + 4096, 2048);
	assert_int_equal(f->d.st.bytes_read, 6144);
}

static void test_indirect(void **state)
{
	struct fx *f = *state;
	struct xb_seg *ip = (struct xb_seg *)gpage[10];
	uint8_t buf[4096];

	/* 20 segments of one sector each, from grefs 20..39 */
	for (unsigned i = 0; i < 20; i++) {
		ip[i] = (struct xb_seg){ .gref = 20 + i, .first_sect = 3,
					 .last_sect = 3 };
		fill(20 + i, (uint8_t)(0x40 + i));
	}
	put_indirect(f, BLKIF_OP_WRITE, 7, 100, 20, 10);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 1, 7), BLKIF_RSP_OKAY);
	for (unsigned i = 0; i < 20; i++) {
		assert_int_equal(pread(f->d.fd, buf, 512, (100 + i) * 512), 512);
		assert_int_equal(buf[0], 0x40 + i);
		assert_int_equal(buf[511], 0x40 + i);
	}
	assert_int_equal(f->d.st.indirect, 1);
	/* the response names the indirect_op, as blkfront checks */
	uint64_t id;
	uint8_t op;
	int16_t st;

	rsp(f, 0, &id, &op, &st);
	assert_int_equal(op, BLKIF_OP_WRITE);

	/* an indirect page the guest never granted */
	put_indirect(f, BLKIF_OP_READ, 8, 100, 20, 999);
	/* an indirect page with a bad segment */
	ip[5].last_sect = 9;
	put_indirect(f, BLKIF_OP_READ, 9, 100, 20, 10);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 3, 8), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 3, 9), BLKIF_RSP_ERROR);
}

static void test_bad_requests(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };
	struct xb_seg bad[1] = { { .gref = 5000, .first_sect = 0,
				   .last_sect = 7 } };
	uint8_t before[4096], after[4096];

	assert_int_equal(pread(f->d.fd, before, 4096, 2040 * 512), 4096);
	put(f, BLKIF_OP_WRITE, 1, 2045, 1, seg);        /* past the end */
	put(f, BLKIF_OP_WRITE, 2, 0, 1, bad);           /* bad grant */
	put(f, 42, 3, 0, 1, seg);                       /* unknown op */
	put(f, BLKIF_OP_WRITE_BARRIER, 4, 0, 1, seg);   /* not offered */
	put(f, BLKIF_OP_READ, 5, 0, 0, seg);            /* no segments */
	gread_only[6] = true;
	struct xb_seg ro[1] = { { .gref = 6, .first_sect = 0, .last_sect = 0 } };

	put(f, BLKIF_OP_READ, 6, 0, 1, ro);             /* read into r/o */
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 6, 1), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 6, 2), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 6, 3), BLKIF_RSP_EOPNOTSUPP);
	assert_int_equal(status_of(f, 6, 4), BLKIF_RSP_EOPNOTSUPP);
	assert_int_equal(status_of(f, 6, 5), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 6, 6), BLKIF_RSP_ERROR);
	assert_int_equal(f->d.st.errors, 6);
	assert_int_equal(f->d.st.bytes_written, 0);
	assert_int_equal(pread(f->d.fd, after, 4096, 2040 * 512), 4096);
	assert_memory_equal(before, after, 4096);
}

static void test_readonly(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };

	f->d.lim.readonly = true;
	fill(1, 0x77);
	put(f, BLKIF_OP_WRITE, 1, 0, 1, seg);
	put_discard(f, 2, 0, 8);
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 3, 0, 1, seg);  /* write + flush */
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 4, 0, 0, seg);  /* bare flush ok */
	put(f, BLKIF_OP_READ, 5, 0, 1, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 5, 1), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 5, 2), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 5, 3), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 5, 4), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 5, 5), BLKIF_RSP_OKAY);
	assert_int_equal(gpage[1][0], 0);   /* the file's zeros were read */
}

static void test_flush_discard(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };
	uint8_t buf[4096], zero[4096] = { 0 };

	fill(1, 0x5a);
	/* flush with data: written, then fdatasync, then acknowledged */
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 1, 64, 1, seg);
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 2, 0, 0, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 2, 1), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 2, 2), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->d.fd, buf, 4096, 64 * 512), 4096);
	assert_int_equal(buf[100], 0x5a);
	assert_int_equal(f->d.st.flushes, 2);
	/* discard punches a hole: reads back as zeros */
	put_discard(f, 3, 64, 8);
	put_discard(f, 4, 2040, 9);      /* crosses the end */
	put_discard(f, 5, 0, 0);         /* empty: fine */
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 5, 3), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 5, 4), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 5, 5), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->d.fd, buf, 4096, 64 * 512), 4096);
	assert_memory_equal(buf, zero, 4096);
}

/* sector-size 4096 (xenbus.c's blk_sector_sizes put it in lim): sector
 * numbers stay 512-byte units, so a write at sector 16 lands at byte 8192;
 * a request off the 4096-byte grid is answered with an error and writes
 * nothing (direct, indirect, discard). */
static void test_sector_4k(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[2] = { { .gref = 1, .first_sect = 0, .last_sect = 7 },
				 { .gref = 2, .first_sect = 0, .last_sect = 7 } };
	struct xb_seg half[1] = { { .gref = 1, .first_sect = 0,
				    .last_sect = 3 } };
	struct xb_seg off[1] = { { .gref = 1, .first_sect = 1,
				   .last_sect = 7 } };
	struct xb_seg back[2] = { { .gref = 3, .first_sect = 0, .last_sect = 7 },
				  { .gref = 4, .first_sect = 0, .last_sect = 7 } };
	struct xb_seg *ip = (struct xb_seg *)gpage[10];
	uint8_t buf[8192], want[8192], zero[8192] = { 0 };

	f->d.lim.sector_size = 4096;
	fill(1, 0x41);
	fill(2, 0x42);
	put(f, BLKIF_OP_WRITE, 1, 16, 2, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 1, 1), BLKIF_RSP_OKAY);
	memset(want, 0x41, 4096);
	memset(want + 4096, 0x42, 4096);
	assert_int_equal(pread(f->d.fd, buf, 8192, 8192), 8192);
	assert_memory_equal(buf, want, 8192);
	assert_int_equal(pread(f->d.fd, buf, 4096, 4096), 4096);
	assert_memory_equal(buf, zero, 4096);
	put(f, BLKIF_OP_READ, 2, 16, 2, back);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 2, 2), BLKIF_RSP_OKAY);
	assert_memory_equal(gpage[3], want, 4096);
	assert_memory_equal(gpage[4], want + 4096, 4096);

	/* off the grid: each an error, nothing written from byte 32768 */
	put(f, BLKIF_OP_WRITE, 3, 65, 1, seg);          /* byte 33280 */
	put(f, BLKIF_OP_WRITE, 4, 64, 1, half);         /* 2048 bytes */
	put(f, BLKIF_OP_WRITE, 5, 64, 1, off);          /* page offset 512 */
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 6, 68, 1, seg);
	for (unsigned i = 0; i < 3; i++)
		ip[i] = (struct xb_seg){ .gref = 1, .first_sect = 0,
					 .last_sect = 7 };
	ip[1].last_sect = 6;                            /* 3584 bytes */
	put_indirect(f, BLKIF_OP_WRITE, 7, 64, 3, 10);
	put_indirect(f, BLKIF_OP_WRITE, 8, 66, 1, 10);  /* byte 33792 */
	put_discard(f, 9, 65, 8);
	put_discard(f, 10, 64, 7);
	assert_int_equal(run(f), 0);
	for (unsigned id = 3; id <= 10; id++)
		assert_int_equal(status_of(f, 10, id), BLKIF_RSP_ERROR);
	assert_int_equal(pread(f->d.fd, buf, 8192, 32768), 8192);
	assert_memory_equal(buf, zero, 8192);
	/* the same grid, aligned: served */
	put_indirect(f, BLKIF_OP_WRITE, 11, 64, 1, 10);
	put_discard(f, 12, 64, 8);
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 13, 72, 0, seg); /* bare flush */
	assert_int_equal(run(f), 0);
	for (unsigned id = 11; id <= 13; id++)
		assert_int_equal(status_of(f, 13, id), BLKIF_RSP_OKAY);
	assert_int_equal(f->d.st.errors, 8);
}

static void test_prod_overflow(void **state)
{
	struct fx *f = *state;

	f->prod = 33;       /* one more than the 32-slot ring holds */
	assert_int_equal(run(f), -EPROTO);
	assert_int_equal(f->d.inflight, 0);
	assert_int_equal(f->d.st.requests, 0);
}

static void test_many_in_flight(void **state)
{
	struct fx *f = *state;
	uint8_t buf[512];

	/* a full ring of one-sector writes, each its own grant */
	for (unsigned i = 0; i < 32; i++) {
		struct xb_seg seg[1] = { { .gref = 20 + (i % 40),
					   .first_sect = 0, .last_sect = 0 } };

		fill(20 + (i % 40), (uint8_t)i);
		put(f, BLKIF_OP_WRITE, 1000 + i, 512 + i, 1, seg);
	}
	assert_int_equal(run(f), 0);
	for (unsigned i = 0; i < 32; i++) {
		assert_int_equal(status_of(f, 32, 1000 + i), BLKIF_RSP_OKAY);
		assert_int_equal(pread(f->d.fd, buf, 512, (512 + i) * 512), 512);
		assert_int_equal(buf[0], i);
	}
	/* the ring wrapped: the next batch reuses the slots */
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0,
				   .last_sect = 0 } };

	put(f, BLKIF_OP_READ, 77, 512 + 5, 1, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 1, 77), BLKIF_RSP_OKAY);
	assert_int_equal(gpage[1][0], 5);
}

/* A device's bounce buffers are bounded: past max_buf_bytes requests stay
 * on the ring until completions free memory. */
static void test_throttle(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };
	unsigned rounds = 0;

	f->d.max_buf_bytes = 8192;
	fill(1, 0x33);
	for (unsigned i = 0; i < 6; i++)
		put(f, BLKIF_OP_WRITE, 200 + i, i * 8, 1, seg);
	__atomic_store_n((uint32_t *)f->ring, f->prod, __ATOMIC_RELEASE);
	assert_int_equal(blk_io_queue_work(&f->d.q[0]), 0);
	assert_int_equal(f->d.st.requests, 2);
	assert_true(f->d.throttled);
	assert_true(f->d.q[0].kick);
	while (f->d.st.requests < 6 && rounds++ < 10) {
		blk_io_flush(&f->d);
		blk_io_drain(&f->d, 5000);
		assert_false(f->d.throttled);
		assert_int_equal(f->d.buf_bytes, 0);
		assert_int_equal(blk_io_queue_work(&f->d.q[0]), 0);
	}
	blk_io_flush(&f->d);
	blk_io_drain(&f->d, 5000);
	assert_int_equal(f->d.st.requests, 6);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(status_of(f, 6, 200 + i), BLKIF_RSP_OKAY);
	assert_int_equal(f->d.st.bytes_written, 6 * 4096);
}

/* The I/O limits (limit.c): a request past them is held - taken, not
 * started, the queue not kicked again, a wake-up due - and the requests
 * behind it stay on the ring; once the limits let it go it starts first
 * and the rest follow.  Off, nothing is held. */
static void test_limit_holds(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };
	struct xbdev_limit l = { .riops = 1, .burst_ms = 1000 };

	blk_limiter_set(&f->d.limiter, &l, xbdev_now_ms());
	fill(1, 0x44);
	for (unsigned i = 0; i < 4; i++)
		put(f, BLKIF_OP_READ, 300 + i, i * 8, 1, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->d.st.requests, 1);
	assert_int_equal(status_of(f, 1, 300), BLKIF_RSP_OKAY);
	assert_true(f->d.q[0].held);
	assert_int_equal(f->d.q[0].held_req.id, 301);
	assert_false(f->d.q[0].kick);
	assert_true(f->d.limiter.due_ms > xbdev_now_ms() + 500);
	assert_int_equal(f->d.limiter.held, 1);
	assert_int_equal(blk_ring_outstanding(&f->d.q[0].ring), 1);
	/* Woken before it is due: still held, counted once. */
	assert_int_equal(blk_io_queue_work(&f->d.q[0]), 0);
	assert_int_equal(f->d.st.requests, 1);
	assert_int_equal(f->d.limiter.held, 1);
	assert_false(f->d.q[0].kick);
	/* Limits off (as `xbdev limit ... none` does): the held one, then
	 * the rest, all answered. */
	l = (struct xbdev_limit){ .burst_ms = 100 };
	blk_limiter_set(&f->d.limiter, &l, xbdev_now_ms());
	blk_io_limit_due(&f->d);
	assert_true(f->d.q[0].kick);
	assert_int_equal(run(f), 0);
	assert_int_equal(f->d.st.requests, 4);
	assert_false(f->d.q[0].held);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(status_of(f, 4, 300 + i), BLKIF_RSP_OKAY);
	assert_int_equal(f->d.limiter.held, 1);
	assert_int_equal(blk_ring_outstanding(&f->d.q[0].ring), 0);
}

/* Grant copies are batched over requests (one ioctl per wake-up / reap):
 * a bad grant fails its own request only, its neighbours in the batch go
 * through with the right data. */
static void test_batch_partial_failure(void **state)
{
	struct fx *f = *state;
	struct xb_seg w1[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };
	struct xb_seg wbad[1] = { { .gref = 5000, .first_sect = 0,
				    .last_sect = 7 } };
	struct xb_seg w3[1] = { { .gref = 3, .first_sect = 0, .last_sect = 7 } };
	uint8_t buf[4096], zero[4096] = { 0 };

	fill(1, 0xa1);
	fill(3, 0xa3);
	put(f, BLKIF_OP_WRITE, 1, 0, 1, w1);
	put(f, BLKIF_OP_WRITE, 2, 8, 1, wbad);
	put(f, BLKIF_OP_WRITE, 3, 16, 1, w3);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 3, 1), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 3, 2), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 3, 3), BLKIF_RSP_OKAY);
	assert_int_equal(pread(f->d.fd, buf, 4096, 8 * 512), 4096);
	assert_memory_equal(buf, zero, 4096);           /* nothing written */
	assert_int_equal(pread(f->d.fd, buf, 4096, 16 * 512), 4096);
	assert_memory_equal(buf, gpage[3], 4096);
	assert_int_equal(f->d.st.grant_errors, 1);

	/* reads: the middle one into a read-only grant */
	struct xb_seg r1[1] = { { .gref = 10, .first_sect = 0, .last_sect = 7 } };
	struct xb_seg rro[1] = { { .gref = 11, .first_sect = 0, .last_sect = 7 } };
	struct xb_seg r3[1] = { { .gref = 12, .first_sect = 0, .last_sect = 7 } };

	gread_only[11] = true;
	put(f, BLKIF_OP_READ, 4, 0, 1, r1);
	put(f, BLKIF_OP_READ, 5, 0, 1, rro);
	put(f, BLKIF_OP_READ, 6, 16, 1, r3);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 6, 4), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 6, 5), BLKIF_RSP_ERROR);
	assert_int_equal(status_of(f, 6, 6), BLKIF_RSP_OKAY);
	assert_memory_equal(gpage[10], gpage[1], 4096);
	assert_memory_equal(gpage[11], zero, 4096);
	assert_memory_equal(gpage[12], gpage[3], 4096);
	assert_int_equal(f->d.st.grant_errors, 2);
	assert_int_equal(f->d.inflight, 0);
}

/* The page-cache path is taken exactly when every page of a request is
 * cached: a hole never written since truncation is not (punching one is
 * not enough everywhere: ext4 may keep the zeroed large folio), so a read
 * of it goes through a bounce buffer; written pages go straight through. */
static void test_page_cache_path(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[2] = { { .gref = 1, .first_sect = 0, .last_sect = 7 },
				 { .gref = 2, .first_sect = 0, .last_sect = 7 } };
	uint8_t buf[8192];

	memset(buf, 0, sizeof(buf));
	assert_int_equal(ftruncate(f->d.fd, 0), 0);
	assert_int_equal(ftruncate(f->d.fd, 1 << 20), 0);
	for (unsigned s = 256; s < 1024; s += 16)
		assert_int_equal(pwrite(f->d.fd, buf, sizeof(buf), s * 512),
				 (ssize_t)sizeof(buf));
	fill(1, 0xee);
	put(f, BLKIF_OP_READ, 1, 128, 2, seg);         /* the hole */
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 1, 1), BLKIF_RSP_OKAY);
	assert_int_equal(gpage[1][0], 0);
	assert_int_equal(f->d.st.cached, 0);
	assert_int_equal(f->d.buf_bytes, 0);           /* bounce freed */

	fill(1, 0x31);
	fill(2, 0x32);
	put(f, BLKIF_OP_WRITE, 2, 256, 2, seg);        /* cached pages */
	put(f, BLKIF_OP_FLUSH_DISKCACHE, 3, 512, 2, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 3, 2), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 3, 3), BLKIF_RSP_OKAY);
	assert_int_equal(f->d.st.cached, 2);
	assert_int_equal(pread(f->d.fd, buf, sizeof(buf), 512 * 512),
			 (ssize_t)sizeof(buf));
	assert_int_equal(buf[0], 0x31);
	assert_int_equal(buf[4096], 0x32);
	memset(gpage[3], 0, 4096);
	seg[0].gref = 3;
	put(f, BLKIF_OP_READ, 4, 256, 2, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 4, 4), BLKIF_RSP_OKAY);
	assert_int_equal(gpage[3][4095], 0x31);
	assert_int_equal(f->d.st.cached, 3);
	assert_int_equal(f->d.st.bytes_read, 2 * 8192);
	assert_int_equal(f->d.st.bytes_written, 2 * 8192);
}

/* Persistent grants: each grant mapped once, data moved by readv/writev
 * straight between the file and the guest's pages; a grant that cannot be
 * mapped (read-only for a read, or the table full) takes grant copy. */
static void test_persistent_path(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[2] = { { .gref = 1, .first_sect = 0, .last_sect = 7 },
				 { .gref = 2, .first_sect = 1, .last_sect = 6 } };
	struct iovec iov[1];
	uint8_t buf[8192];

	fill(1, 0x51);
	fill(2, 0x52);
	put(f, BLKIF_OP_WRITE, 1, 64, 2, seg);
	put(f, BLKIF_OP_WRITE, 2, 128, 2, seg);        /* the same grants */
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 2, 1), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 2, 2), BLKIF_RSP_OKAY);
	assert_int_equal(f->d.st.persistent, 2);
	assert_int_equal(maps, 2);                      /* once per grant */
	assert_int_equal(blk_pc_count(&f->d.q[0]), 2);
	assert_int_equal(pread(f->d.fd, buf, 7168, 128 * 512), 7168);
	assert_int_equal(buf[0], 0x51);
	assert_int_equal(buf[4095], 0x51);
	assert_int_equal(buf[4096], 0x52);
	assert_int_equal(buf[7167], 0x52);

	/* read back into grant 3 at sector 1 of its page */
	struct xb_seg r[1] = { { .gref = 3, .first_sect = 1, .last_sect = 7 } };

	put(f, BLKIF_OP_READ, 3, 128, 1, r);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 3, 3), BLKIF_RSP_OKAY);
	assert_int_equal(gpage[3][0], 0);               /* untouched */
	assert_memory_equal(gpage[3] + 512, buf, 3584);
	assert_int_equal(f->d.st.persistent, 3);
	assert_int_equal(f->d.buf_bytes, 0);            /* no bounce buffer */

	/* a read-only grant cannot be mapped for a read: grant copy, which
	 * refuses it too */
	gread_only[4] = true;
	r[0].gref = 4;
	put(f, BLKIF_OP_READ, 4, 128, 1, r);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 4, 4), BLKIF_RSP_ERROR);
	assert_int_equal(f->d.st.persistent, 3);
	/* the failed map is counted with its errno, for xbdev status */
	assert_int_equal(f->d.st.map_failures, 1);
	assert_int_equal(f->d.map_errno, EINVAL);
	assert_int_equal(f->d.pgrants_peak, 3);

	/* fill the table: BLK_MAX_PGRANTS mappings, then no more */
	for (unsigned i = blk_pc_count(&f->d.q[0]); i < BLK_MAX_PGRANTS; i++) {
		struct blk_seg sg = { .gref = CAP_REF + i, .first_sect = 0,
				      .last_sect = 7 };

		assert_int_equal(blk_pc_iov(&f->d, &f->d.q[0], &sg, 1, iov), 0);
	}
	assert_int_equal(blk_pc_count(&f->d.q[0]), BLK_MAX_PGRANTS);
	struct blk_seg more = { .gref = CAP_REF + 4000, .first_sect = 0,
				.last_sect = 7 };
	assert_int_equal(blk_pc_iov(&f->d, &f->d.q[0], &more, 1, iov),
			 -ENOSPC);
	/* a new grant in a request now goes through grant copy, correctly */
	fill(5, 0x55);
	seg[0].gref = 5;
	put(f, BLKIF_OP_WRITE, 5, 256, 1, seg);
	seg[0].gref = 1;                                /* mapped: persistent */
	put(f, BLKIF_OP_WRITE, 6, 264, 1, seg);
	assert_int_equal(run(f), 0);
	assert_int_equal(status_of(f, 6, 5), BLKIF_RSP_OKAY);
	assert_int_equal(status_of(f, 6, 6), BLKIF_RSP_OKAY);
	assert_int_equal(f->d.st.persistent, 4);
	assert_int_equal(pread(f->d.fd, buf, 8192, 256 * 512), 8192);
	assert_int_equal(buf[0], 0x55);
	assert_int_equal(buf[4096], 0x51);
	assert_int_equal(blk_pc_count(&f->d.q[0]), BLK_MAX_PGRANTS);
	/* the cap is no map failure; the peak is the cap */
	assert_int_equal(f->d.st.map_failures, 1);
	assert_int_equal(f->d.pgrants_peak, BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_total(&f->d), BLK_MAX_PGRANTS);
}

/* XBDEV_BLKBACK_MAX_PGRANTS lowers the cap (never raises it): at the cap
 * a new grant takes grant copy, and the mapped count never passes it; the
 * peak stays after the queue is closed. */
static void test_persistent_cap_lowered(void **state)
{
	struct fx *f = *state;
	struct xb_seg seg[1] = { { .gref = 1, .first_sect = 0, .last_sect = 7 } };
	uint8_t buf[4096];

	f->d.max_pgrants = blk_pc_cap("3");
	assert_int_equal(blk_pc_max(&f->d), 3);
	for (unsigned g = 1; g <= 5; g++) {
		fill(g, 0x60 + g);
		seg[0].gref = g;
		put(f, BLKIF_OP_WRITE, g, 8 * g, 1, seg);
	}
	assert_int_equal(run(f), 0);
	for (unsigned g = 1; g <= 5; g++)
		assert_int_equal(status_of(f, 5, g), BLKIF_RSP_OKAY);
	assert_int_equal(blk_pc_count(&f->d.q[0]), 3);
	assert_int_equal(f->d.st.persistent, 3);
	assert_int_equal(f->d.pgrants_peak, 3);
	assert_int_equal(f->d.st.map_failures, 0);
	assert_int_equal(pread(f->d.fd, buf, 4096, 8 * 5 * 512), 4096);
	assert_int_equal(buf[0], 0x65);                 /* by grant copy */
	blk_pc_close(&f->d, &f->d.q[0]);
	assert_int_equal(blk_pc_total(&f->d), 0);
	assert_int_equal(f->d.pgrants_peak, 3);
	assert_int_equal(blk_pc_open(&f->d.q[0]), 0);
	unmaps = 0;
}

/* The cap from the environment: 1..BLK_MAX_PGRANTS, else the default. */
static void test_pc_cap_env(void **state)
{
	assert_int_equal(blk_pc_cap(NULL), BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_cap("1"), 1);
	assert_int_equal(blk_pc_cap("64"), 64);
	assert_int_equal(blk_pc_cap("1056"), BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_cap("1057"), BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_cap("0"), BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_cap("-1"), BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_cap("12x"), BLK_MAX_PGRANTS);
	assert_int_equal(blk_pc_cap(""), BLK_MAX_PGRANTS);
}

#define BOTH(t)                                                              \
	cmocka_unit_test_setup_teardown(t, setup32, teardown),               \
	cmocka_unit_test_setup_teardown(t, setup64, teardown)
/* and through persistent grants */
#define PERSISTENT(t)                                                        \
	cmocka_unit_test_setup_teardown(t, setup32p, teardown),              \
	cmocka_unit_test_setup_teardown(t, setup64p, teardown)
/* and through the page cache */
#define CACHED(t)                                                            \
	cmocka_unit_test_setup_teardown(t, setup32c, teardown),              \
	cmocka_unit_test_setup_teardown(t, setup64c, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		BOTH(test_write_read),
		BOTH(test_indirect),
		BOTH(test_bad_requests),
		BOTH(test_readonly),
		BOTH(test_flush_discard),
		BOTH(test_sector_4k),
		BOTH(test_prod_overflow),
		BOTH(test_many_in_flight),
		BOTH(test_throttle),
		BOTH(test_limit_holds),
		BOTH(test_batch_partial_failure),
		CACHED(test_write_read),
		CACHED(test_indirect),
		CACHED(test_bad_requests),
		CACHED(test_readonly),
		CACHED(test_flush_discard),
		CACHED(test_sector_4k),
		CACHED(test_many_in_flight),
		CACHED(test_batch_partial_failure),
		CACHED(test_page_cache_path),
		PERSISTENT(test_write_read),
		PERSISTENT(test_indirect),
		PERSISTENT(test_bad_requests),
		PERSISTENT(test_readonly),
		PERSISTENT(test_flush_discard),
		PERSISTENT(test_sector_4k),
		PERSISTENT(test_many_in_flight),
		PERSISTENT(test_batch_partial_failure),
		PERSISTENT(test_persistent_path),
		PERSISTENT(test_persistent_cap_lowered),
		cmocka_unit_test(test_pc_cap_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
