/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the frontend's request building, patterns and parsers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "blkfront.h"

static const grant_ref_t refs[300] = {
	[0] = 100, [1] = 101, [2] = 102, [3] = 103, [4] = 104, [5] = 105,
	[6] = 106, [7] = 107, [8] = 108, [9] = 109, [10] = 110, [11] = 111,
	[12] = 112,
};

/* ---- segments ----------------------------------------------------------- */

static void test_segments_aligned_page(void **state)
{
	struct blkif_request_segment s[11];

	assert_int_equal(xbf_build_segments(refs, 11, 0, 8, s, 11), 1);
	assert_int_equal(s[0].gref, 100);
	assert_int_equal(s[0].first_sect, 0);
	assert_int_equal(s[0].last_sect, 7);
}

static void test_segments_one_sector_inside(void **state)
{
	struct blkif_request_segment s[11];

	assert_int_equal(xbf_build_segments(refs, 11, 3, 1, s, 11), 1);
	assert_int_equal(s[0].first_sect, 3);
	assert_int_equal(s[0].last_sect, 3);
}

static void test_segments_unaligned_span(void **state)
{
	struct blkif_request_segment s[11];

	/* 16 sectors starting 4 sectors into a page: 4..7, 0..7, 0..3 */
	assert_int_equal(xbf_build_segments(refs, 11, 4, 16, s, 11), 3);
	assert_int_equal(s[0].first_sect, 4);
	assert_int_equal(s[0].last_sect, 7);
	assert_int_equal(s[1].gref, 101);
	assert_int_equal(s[1].first_sect, 0);
	assert_int_equal(s[1].last_sect, 7);
	assert_int_equal(s[2].gref, 102);
	assert_int_equal(s[2].first_sect, 0);
	assert_int_equal(s[2].last_sect, 3);
	assert_int_equal(xbf_segments_sectors(s, 3), 16);
}

static void test_segments_limits(void **state)
{
	struct blkif_request_segment s[12];

	/* 11 full pages is the direct maximum, one sector more is not */
	assert_int_equal(xbf_build_segments(refs, 12, 0, 88, s, 11), 11);
	assert_int_equal(xbf_build_segments(refs, 12, 0, 89, s, 11), -EINVAL);
	assert_int_equal(xbf_build_segments(refs, 12, 1, 88, s, 11), -EINVAL);
	assert_int_equal(xbf_build_segments(refs, 12, 0, 0, s, 11), -EINVAL);
	assert_int_equal(xbf_build_segments(refs, 12, 8, 1, s, 11), -EINVAL);
	/* not more segments than grant references */
	assert_int_equal(xbf_build_segments(refs, 2, 0, 24, s, 11), -EINVAL);
}

static void test_pages_for(void **state)
{
	assert_int_equal(xbf_pages_for(0, 0), 0);
	assert_int_equal(xbf_pages_for(0, 1), 1);
	assert_int_equal(xbf_pages_for(7, 1), 1);
	assert_int_equal(xbf_pages_for(7, 2), 2);
	assert_int_equal(xbf_pages_for(0, 2048), 256);
	assert_int_equal(xbf_pages_for(1, 2048), 257);
	assert_int_equal(xbf_indirect_pages_for(0), 0);
	assert_int_equal(xbf_indirect_pages_for(1), 1);
	assert_int_equal(xbf_indirect_pages_for(512), 1);
	assert_int_equal(xbf_indirect_pages_for(513), 2);
}

/* ---- requests ----------------------------------------------------------- */

static void test_build_rw(void **state)
{
	/* Zeroed so that the struct padding compares equal (valgrind). */
	struct blkif_request_segment s[11] = { 0 };
	struct blkif_request req;
	int n = xbf_build_segments(refs, 11, 2, 20, s, 11);

	assert_int_equal(n, 3);
	assert_int_equal(xbf_build_rw(&req, BLKIF_OP_WRITE, 7, 0x1234, 99, s,
				      (unsigned)n), 0);
	assert_int_equal(req.operation, BLKIF_OP_WRITE);
	assert_int_equal(req.nr_segments, 3);
	assert_int_equal(req.handle, 7);
	assert_int_equal(req.id, 0x1234);
	assert_int_equal(req.sector_number, 99);
	assert_memory_equal(req.seg, s, 3 * sizeof(*s));
	assert_int_equal(req.seg[3].gref, 0);   /* the rest is zeroed */
	assert_int_equal(xbf_build_rw(&req, BLKIF_OP_READ, 0, 0, 0, s, 12),
			 -EINVAL);
}

static void test_build_indirect(void **state)
{
	static struct blkif_request_segment pages[2][XBF_SEGS_PER_INDIRECT_PAGE];
	struct blkif_request_segment s[600];
	void *ind[2] = { pages[0], pages[1] };
	grant_ref_t irefs[2] = { 500, 501 };
	struct blkif_request_indirect req;

	for (unsigned i = 0; i < 600; i++) {
		s[i].gref = 1000 + i;
		s[i].first_sect = 0;
		s[i].last_sect = 7;
	}
	assert_int_equal(xbf_build_indirect(&req, BLKIF_OP_READ, 3, 42, 8, s,
					    600, ind, irefs, 2), 0);
	assert_int_equal(req.operation, BLKIF_OP_INDIRECT);
	assert_int_equal(req.indirect_op, BLKIF_OP_READ);
	assert_int_equal(req.nr_segments, 600);
	assert_int_equal(req.id, 42);
	assert_int_equal(req.sector_number, 8);
	assert_int_equal(req.handle, 3);
	assert_int_equal(req.indirect_grefs[0], 500);
	assert_int_equal(req.indirect_grefs[1], 501);
	assert_int_equal(req.indirect_grefs[2], 0);
	assert_int_equal(pages[0][0].gref, 1000);
	assert_int_equal(pages[0][511].gref, 1511);
	assert_int_equal(pages[1][0].gref, 1512);
	assert_int_equal(pages[1][87].gref, 1599);
	/* 600 segments need 2 pages: 1 is not enough */
	assert_int_equal(xbf_build_indirect(&req, BLKIF_OP_READ, 0, 0, 0, s,
					    600, ind, irefs, 1), -EINVAL);
	/* and the indirect request must fit a ring slot */
	assert_true(sizeof(req) <= sizeof(struct blkif_request));
}

static void test_build_discard_flush(void **state)
{
	struct blkif_request_discard dreq;
	struct blkif_request freq;

	xbf_build_discard(&dreq, 1, 77, 4096, 128, true);
	assert_int_equal(dreq.operation, BLKIF_OP_DISCARD);
	assert_int_equal(dreq.flag, BLKIF_DISCARD_SECURE);
	assert_int_equal(dreq.id, 77);
	assert_int_equal(dreq.sector_number, 4096);
	assert_int_equal(dreq.nr_sectors, 128);
	xbf_build_flush(&freq, BLKIF_OP_FLUSH_DISKCACHE, 1, 78);
	assert_int_equal(freq.operation, BLKIF_OP_FLUSH_DISKCACHE);
	assert_int_equal(freq.nr_segments, 0);
	assert_int_equal(freq.id, 78);
}

/* The queue path against a ring in ordinary memory (no Xen). */
static void test_queue_rw_on_ring(void **state)
{
	struct xbf_dev *d = calloc(1, sizeof(*d));
	struct xbf_queue *q = &d->q[0];
	void *sring = aligned_alloc(4096, 4096);
	char *pool = aligned_alloc(4096, 4 * 4096);
	grant_ref_t drefs[3] = { 11, 12, 13 };
	grant_ref_t irefs[1] = { 14 };
	struct xbf_slot slots[1] = { { 0 } };
	struct blkif_request *req;
	struct blkif_request_indirect *ireq;

	assert_non_null(d);
	memset(sring, 0, 4096);
	SHARED_RING_INIT((blkif_sring_t *)sring);
	FRONT_RING_INIT(&q->ring, (blkif_sring_t *)sring, 4096);
	assert_int_equal(RING_SIZE(&q->ring), 32);
	d->nqueues = 1;
	d->max_segs = 24;
	d->use_indirect = true;
	q->sring = sring;
	q->pool = pool;
	q->nslots = 1;
	q->pool_pages = 4;
	q->slots = slots;
	slots[0].data = pool;
	slots[0].refs = drefs;
	slots[0].ind = pool + 3 * 4096;
	slots[0].ind_refs = irefs;
	slots[0].n_ind = 1;

	assert_ptr_equal(xbf_slot_get(q), &slots[0]);
	assert_int_equal(xbf_queue_rw(d, q, &slots[0], BLKIF_OP_WRITE, 5, 12,
				      6, false), 0);
	assert_true(slots[0].busy);
	assert_null(xbf_slot_get(q));
	req = RING_GET_REQUEST(&q->ring, 0);
	assert_int_equal(req->operation, BLKIF_OP_WRITE);
	assert_int_equal(req->nr_segments, 3);   /* 6..7, 0..7, 0..1 */
	assert_int_equal(req->seg[0].gref, 11);
	assert_int_equal(req->seg[0].first_sect, 6);
	assert_int_equal(req->seg[2].last_sect, 1);
	assert_int_equal(req->id, xbf_slot_id(q, &slots[0]));
	assert_int_equal(q->ring.req_prod_pvt, 1);
	/* busy slots refuse a second request */
	assert_int_equal(xbf_queue_rw(d, q, &slots[0], BLKIF_OP_READ, 0, 1, 0,
				      false), -EBUSY);

	/* forced indirect: segments go to the indirect page */
	slots[0].busy = false;
	q->nbusy = 0;
	assert_int_equal(xbf_queue_rw(d, q, &slots[0], BLKIF_OP_READ, 9, 8, 0,
				      true), 0);
	ireq = (void *)RING_GET_REQUEST(&q->ring, 1);
	assert_int_equal(ireq->operation, BLKIF_OP_INDIRECT);
	assert_int_equal(ireq->indirect_op, BLKIF_OP_READ);
	assert_int_equal(ireq->nr_segments, 1);
	assert_int_equal(ireq->indirect_grefs[0], 14);
	assert_int_equal(((struct blkif_request_segment *)slots[0].ind)[0].gref,
			 11);
	/* more pages than the slot owns */
	slots[0].busy = false;
	q->nbusy = 0;
	assert_int_equal(xbf_queue_rw(d, q, &slots[0], BLKIF_OP_READ, 0, 25, 0,
				      false), -EINVAL);
	/* a slot's id changes with every use */
	{
		uint64_t id1 = xbf_slot_id(q, &slots[0]);

		assert_int_equal(xbf_queue_rw(d, q, &slots[0], BLKIF_OP_READ,
					      0, 1, 0, false), 0);
		assert_int_not_equal(id1, xbf_slot_id(q, &slots[0]));
	}
	free(sring);
	free(pool);
	free(d);
}

/* ---- patterns ----------------------------------------------------------- */

static void test_pattern_roundtrip(void **state)
{
	char *buf = malloc(16 * 512);
	struct xbf_mismatch mm[4];

	xbf_pattern_fill(buf, 1000, 16, 3, 9);
	assert_int_equal(xbf_pattern_check(buf, 1000, 16, 3, 9, mm, 4), 0);
	/* one flipped byte: one sector, the right offset */
	buf[5 * 512 + 100] ^= 1;
	assert_int_equal(xbf_pattern_check(buf, 1000, 16, 3, 9, mm, 4), 1);
	assert_int_equal(mm[0].sector, 1005);
	assert_int_equal(mm[0].offset, 100);
	assert_true(mm[0].has_hdr);
	free(buf);
}

static void test_pattern_misdirected_and_stale(void **state)
{
	char *buf = malloc(4 * 512);
	struct xbf_mismatch mm[4];

	/* data written for sector 50 found at sector 51: the header says so */
	xbf_pattern_fill(buf, 50, 4, 2, 9);
	assert_int_equal(xbf_pattern_check(buf, 51, 4, 2, 9, mm, 4), 4);
	assert_int_equal(mm[0].sector, 51);
	assert_int_equal(mm[0].found_sector, 50);
	assert_int_equal(mm[0].found_gen, 2);
	/* an older generation: stale data */
	xbf_pattern_fill(buf, 51, 4, 1, 9);
	assert_int_equal(xbf_pattern_check(buf, 51, 4, 2, 9, mm, 1), 4);
	assert_int_equal(mm[0].found_gen, 1);
	/* zeros: no header */
	memset(buf, 0, 4 * 512);
	assert_int_equal(xbf_pattern_check(buf, 51, 4, 2, 9, mm, 4), 4);
	assert_false(mm[0].has_hdr);
	assert_int_equal(mm[0].offset, 0);
	/* different seeds differ beyond the header */
	{
		char a[512], b[512];

		xbf_pattern_fill(a, 7, 1, 1, 1);
		xbf_pattern_fill(b, 7, 1, 1, 2);
		assert_memory_not_equal(a + 24, b + 24, 512 - 24);
	}
	free(buf);
}

/* ---- parsers ------------------------------------------------------------ */

static void test_parse_size(void **state)
{
	uint64_t v;

	assert_int_equal(xbf_parse_size("4096", UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(xbf_parse_size("4k", UINT64_MAX, &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(xbf_parse_size("1M", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1 << 20);
	assert_int_equal(xbf_parse_size("3s", UINT64_MAX, &v), 0);
	assert_int_equal(v, 1536);
	assert_int_equal(xbf_parse_size("2G", UINT64_MAX, &v), 0);
	assert_int_equal(v, 2ULL << 30);
	assert_int_equal(xbf_parse_size("", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(xbf_parse_size("k", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(xbf_parse_size("-1", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(xbf_parse_size("1.5M", UINT64_MAX, &v), -EINVAL);
	assert_int_equal(xbf_parse_size("2M", 1 << 20, &v), -ERANGE);
	assert_int_equal(xbf_parse_size("99999999999999999999", UINT64_MAX,
					&v), -ERANGE);
	assert_int_equal(xbf_parse_size("16777216T", UINT64_MAX, &v),
			 -ERANGE);
}

static void test_parse_bool_protocol(void **state)
{
	bool b;

	assert_int_equal(xbf_parse_bool("1", &b), 0);
	assert_true(b);
	assert_int_equal(xbf_parse_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(xbf_parse_bool("2", &b), -EINVAL);
	assert_int_equal(xbf_parse_bool("10", &b), -EINVAL);
	assert_int_equal(xbf_parse_bool("", &b), -EINVAL);
	assert_int_equal(xbf_parse_protocol("x86_64-abi"), 0);
	assert_int_equal(xbf_parse_protocol("native"), 0);
	assert_int_equal(xbf_parse_protocol("x86_32-abi"), -EPROTONOSUPPORT);
	assert_int_equal(xbf_parse_protocol("garbage"), -EINVAL);
}

static void test_parse_backend_nodes(void **state)
{
	struct xbf_backend_info in;

	memset(&in, 0, sizeof(in));
	assert_int_equal(xbf_parse_backend_node(&in, "max-ring-page-order",
						"4"), 0);
	assert_int_equal(in.max_ring_order, 4);
	assert_int_equal(xbf_parse_backend_node(&in, "max-ring-page-order",
						"32"), -ERANGE);
	assert_int_equal(xbf_parse_backend_node(&in, "max-ring-page-order",
						NULL), 0);
	assert_int_equal(in.max_ring_order, 0);
	assert_int_equal(xbf_parse_backend_node(&in, "max-ring-pages", "16"),
			 0);
	assert_int_equal(in.max_ring_order, 4);
	assert_int_equal(xbf_parse_backend_node(&in, "max-ring-pages", "3"),
			 -EINVAL);
	assert_int_equal(xbf_parse_backend_node(&in, "multi-queue-max-queues",
						"0"), 0);
	assert_int_equal(in.max_queues, 1);
	assert_int_equal(xbf_parse_backend_node(&in, "sectors",
						"123456789012"), 0);
	assert_int_equal(in.sectors, 123456789012ULL);
	assert_int_equal(xbf_parse_backend_node(&in, "sectors", NULL),
			 -ENOENT);
	assert_int_equal(xbf_parse_backend_node(&in, "sectors", "12a"),
			 -EINVAL);
	assert_int_equal(xbf_parse_backend_node(&in, "sector-size", "4096"),
			 0);
	assert_int_equal(in.sector_size, 4096);
	assert_int_equal(xbf_parse_backend_node(&in, "sector-size", "1000"),
			 -EINVAL);
	assert_int_equal(xbf_parse_backend_node(&in, "sector-size", "256"),
			 -EINVAL);
	assert_int_equal(xbf_parse_backend_node(&in, "physical-sector-size",
						NULL), 0);
	assert_int_equal(in.physical_sector_size, 4096);
	assert_int_equal(xbf_parse_backend_node(&in, "feature-persistent",
						"1"), 0);
	assert_true(in.persistent);
	assert_int_equal(xbf_parse_backend_node(&in, "feature-discard", "2"),
			 -EINVAL);
	assert_int_equal(xbf_parse_backend_node(&in, "discard-granularity",
						"4096"), 0);
	assert_int_equal(in.discard_granularity, 4096);
	assert_int_equal(xbf_parse_backend_node(&in, "discard-alignment",
						"512"), 0);
	assert_int_equal(in.discard_alignment, 512);
	assert_int_equal(xbf_parse_backend_node(&in, "something-else",
						"whatever"), 0);
	assert_int_equal(xbf_parse_backend_node(&in, NULL, "1"), -EINVAL);
}

/* ---- histogram ---------------------------------------------------------- */

static void test_hist_buckets(void **state)
{
	unsigned prev = 0;

	for (uint64_t ns = 0; ns < 100000; ns += 7) {
		unsigned b = xbf_hist_bucket(ns);
		uint64_t up = xbf_hist_bucket_upper(b);

		assert_true(b >= prev);
		assert_true(up >= ns);
		/* within 1/16 of the value */
		assert_true(up - ns <= ns / 16 + 1);
		prev = b;
	}
	assert_true(xbf_hist_bucket(UINT64_MAX) < XBF_HIST_BUCKETS);
	assert_int_equal(xbf_hist_bucket_upper(xbf_hist_bucket(UINT64_MAX)),
			 UINT64_MAX);
}

static void test_hist_percentiles(void **state)
{
	struct xbf_hist *h = malloc(sizeof(*h)), *h2 = malloc(sizeof(*h2));
	uint64_t p50, p99;

	xbf_hist_init(h);
	assert_int_equal(xbf_hist_percentile(h, 50), 0);
	for (uint64_t i = 1; i <= 1000; i++)
		xbf_hist_add(h, i * 1000);
	p50 = xbf_hist_percentile(h, 50);
	p99 = xbf_hist_percentile(h, 99);
	assert_true(p50 >= 500000 && p50 <= 500000 + 500000 / 16);
	assert_true(p99 >= 990000 && p99 <= 1000000);
	assert_int_equal(xbf_hist_percentile(h, 100), 1000000);
	assert_int_equal(xbf_hist_percentile(h, 0), 1000);
	xbf_hist_init(h2);
	xbf_hist_add(h2, 5);
	xbf_hist_merge(h2, h);
	assert_int_equal(h2->count, 1001);
	assert_int_equal(h2->min_ns, 5);
	assert_int_equal(h2->max_ns, 1000000);
	free(h);
	free(h2);
}

/* --attack: every name must be an attack; the first that is not is
 * pointed at. */
static void test_hostile_check(void **s)
{
	size_t bad = 99, len = 99;

	(void)s;
	assert_int_equal(xbf_hostile_check(NULL, &bad, &len), 0);
	assert_int_equal(xbf_hostile_check("", &bad, &len), 0);
	assert_int_equal(xbf_hostile_check("all", &bad, &len), 0);
	assert_int_equal(xbf_hostile_check("op-unknown", &bad, &len), 0);
	assert_int_equal(xbf_hostile_check("op-unknown,state-flood", &bad,
					   &len), 0);
	assert_int_equal(bad, 99);
	assert_int_equal(xbf_hostile_check("op-unknown,nope,x", &bad, &len),
			 -ENOENT);
	assert_int_equal(bad, 11);
	assert_int_equal(len, 4);
	/* A prefix or a longer name is no name. */
	assert_int_equal(xbf_hostile_check("op-unknow", &bad, &len), -ENOENT);
	assert_int_equal(xbf_hostile_check("op-unknownx", &bad, &len),
			 -ENOENT);
	assert_int_equal(xbf_hostile_check("op-unknown,", &bad, &len),
			 -ENOENT);
	assert_int_equal(bad, 11);
	assert_int_equal(len, 0);
}

/* xbf_open's failures: only a device that is not there is "not found";
 * without xenstore nothing was looked for. */
static void test_open_error(void **s)
{
	char why[128];

	(void)s;
	assert_int_equal(xbf_open_error(-ENOENT, XBF_OPEN_XENSTORE, why,
					sizeof(why)), 1);
	assert_string_equal(why, "cannot reach xenstore: No such file or "
				 "directory");
	assert_int_equal(xbf_open_error(-ENOENT, XBF_OPEN_DOMID, why,
					sizeof(why)), 1);
	assert_non_null(strstr(why, "--domid"));
	assert_int_equal(xbf_open_error(-ENOENT, XBF_OPEN_DEVICE, why,
					sizeof(why)), 4);
	assert_string_equal(why, "no such vbd device of this domain");
	assert_int_equal(xbf_open_error(-EACCES, XBF_OPEN_DEVICE, why,
					sizeof(why)), 1);
	assert_int_equal(xbf_open_error(-EBUSY, XBF_OPEN_KERNEL, why,
					sizeof(why)), 1);
	assert_non_null(strstr(why, "--unbind"));
	assert_int_equal(xbf_open_error(-ENOENT, XBF_OPEN_XEN, why,
					sizeof(why)), 1);
	assert_non_null(strstr(why, "/dev/xen/evtchn"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segments_aligned_page),
		cmocka_unit_test(test_segments_one_sector_inside),
		cmocka_unit_test(test_segments_unaligned_span),
		cmocka_unit_test(test_segments_limits),
		cmocka_unit_test(test_pages_for),
		cmocka_unit_test(test_build_rw),
		cmocka_unit_test(test_build_indirect),
		cmocka_unit_test(test_build_discard_flush),
		cmocka_unit_test(test_queue_rw_on_ring),
		cmocka_unit_test(test_pattern_roundtrip),
		cmocka_unit_test(test_pattern_misdirected_and_stale),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_parse_bool_protocol),
		cmocka_unit_test(test_parse_backend_nodes),
		cmocka_unit_test(test_hist_buckets),
		cmocka_unit_test(test_hist_percentiles),
		cmocka_unit_test(test_hostile_check),
		cmocka_unit_test(test_open_error),
	};

	return cmocka_run_group_tests_name("frontend", tests, NULL, NULL);
}
