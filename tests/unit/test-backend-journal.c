// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ring journal (backend/journal.c) on its own: a journal left at each
 * step of a request, and half-way through each step's stores, is taken
 * over as journal.h says (committed steps kept, uncommitted ones undone,
 * published entries freed); a corrupt or foreign journal is refused with
 * its errno and left byte for byte as it was.  A "crash" here is a second
 * blk_jn_open of the file while the first mapping is simply dropped: the
 * file is MAP_SHARED, so it holds every store the first one made.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "journal.h"

#define NENTS 32u

struct fx {
	char dir[64];
	char path[96];
	struct blk_journal j; /* the "dead" process's */
	struct blk_journal k; /* its replacement's */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-backend-journal.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/q0", f->dir);
	assert_int_equal(blk_jn_create(&f->j, f->path, NENTS, BLK_ABI_X86_64),
			 0);
	f->k.fd = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	blk_jn_close(&f->k);
	blk_jn_remove(&f->j, f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static struct blk_req req_of(uint64_t id, uint8_t op)
{
	struct blk_req r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	r.operation = r.op = op;
	r.sector = id * 8;
	return r;
}

/* Take over the journal as a replacement would. */
static int reopen(struct fx *f)
{
	blk_jn_close(&f->k);
	return blk_jn_open(&f->k, f->path, NENTS, BLK_ABI_X86_64);
}

static unsigned count(const struct blk_journal *j, enum blk_jn_state st)
{
	unsigned n = 0;

	for (unsigned i = 0; i < NENTS; i++)
		n += blk_jn_entry(j, i)->state == (uint32_t)st;
	return n;
}

/* The file's bytes, to show a refused journal was not changed. */
static void snapshot(struct fx *f, uint8_t *buf, size_t len)
{
	int fd = open(f->path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, 0), (ssize_t)len);
	close(fd);
}

static void test_fresh(void **state)
{
	struct fx *f = *state;

	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_room(&f->k), NENTS);
	assert_int_equal(blk_jn_req_cons(&f->k), 0);
	assert_int_equal(blk_jn_rsp_prod_pvt(&f->k), 0);
	assert_int_equal(count(&f->k, BLK_JN_FREE), NENTS);
}

/* A crash after each step of one request. */
static void test_each_step(void **state)
{
	struct fx *f = *state;
	struct blk_req r = req_of(5, BLKIF_OP_WRITE);
	int e = blk_jn_take(&f->j, &r);
	const struct blk_jn_entry *k;

	assert_true(e >= 0);
	assert_int_equal(reopen(f), 0);
	k = blk_jn_entry(&f->k, (unsigned)e);
	assert_int_equal(k->state, BLK_JN_TAKEN);
	assert_memory_equal(&k->req, &r, sizeof(r));
	assert_int_equal(blk_jn_req_cons(&f->k), 1);
	assert_int_equal(blk_jn_room(&f->k), NENTS - 1);

	blk_jn_submitted(&f->j, e);
	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_entry(&f->k, (unsigned)e)->state,
			 BLK_JN_SUBMITTED);

	blk_jn_completed(&f->j, e, BLKIF_RSP_ERROR);
	assert_int_equal(reopen(f), 0);
	k = blk_jn_entry(&f->k, (unsigned)e);
	assert_int_equal(k->state, BLK_JN_COMPLETED);
	assert_int_equal(k->status, BLKIF_RSP_ERROR);
	assert_int_equal(blk_jn_rsp_prod_pvt(&f->k), 0);

	blk_jn_responded(&f->j, e, 0);
	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_entry(&f->k, (unsigned)e)->state,
			 BLK_JN_RESPONDED);
	assert_int_equal(blk_jn_rsp_prod_pvt(&f->k), 1);
	assert_int_equal(blk_jn_room(&f->k), NENTS - 1);

	blk_jn_published(&f->j, 1);
	assert_int_equal(reopen(f), 0);
	assert_int_equal(count(&f->k, BLK_JN_FREE), NENTS);
	assert_int_equal(blk_jn_room(&f->k), NENTS);
	assert_int_equal(blk_jn_req_cons(&f->k), 1);
}

/* Half a take: the hint and the entry, req_cons not yet advanced.  The
 * request is still on the ring; the copy is dropped. */
static void test_take_uncommitted(void **state)
{
	struct fx *f = *state;
	struct blk_req r = req_of(9, BLKIF_OP_READ);
	int e = blk_jn_take(&f->j, &r);

	f->j.h->req_cons--;
	f->j.h->taking = (uint32_t)e + 1;
	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_req_cons(&f->k), 0);
	assert_int_equal(count(&f->k, BLK_JN_FREE), NENTS);
	assert_int_equal(f->k.h->taking, 0);
	/* Committed, only the hint left: kept. */
	f->j.h->req_cons++;
	f->j.h->taking = (uint32_t)e + 1;
	f->j.e[e].state = BLK_JN_TAKEN;
	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_entry(&f->k, (unsigned)e)->state, BLK_JN_TAKEN);
	assert_int_equal(blk_jn_req_cons(&f->k), 1);
}

/* Half a response: in the slot and the entry, rsp_prod_pvt not advanced:
 * answered again (COMPLETED), at the same index. */
static void test_respond_uncommitted(void **state)
{
	struct fx *f = *state;
	struct blk_req r = req_of(3, BLKIF_OP_WRITE);
	int e = blk_jn_take(&f->j, &r);

	blk_jn_completed(&f->j, e, BLKIF_RSP_OKAY);
	blk_jn_responded(&f->j, e, 0);
	f->j.h->rsp_prod_pvt = 0;
	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_entry(&f->k, (unsigned)e)->state,
			 BLK_JN_COMPLETED);
	assert_int_equal(blk_jn_rsp_prod_pvt(&f->k), 0);
}

/* Published, crashed before the entries were freed: freed now. */
static void test_publish_half_freed(void **state)
{
	struct fx *f = *state;
	int e[3];

	for (unsigned i = 0; i < 3; i++) {
		struct blk_req r = req_of(i, BLKIF_OP_READ);

		e[i] = blk_jn_take(&f->j, &r);
		blk_jn_completed(&f->j, e[i], BLKIF_RSP_OKAY);
		blk_jn_responded(&f->j, e[i], i);
	}
	blk_jn_published(&f->j, 3);
	/* as if killed after the first one was freed */
	f->j.e[e[1]].state = BLK_JN_RESPONDED;
	f->j.e[e[2]].state = BLK_JN_RESPONDED;
	assert_int_equal(reopen(f), 0);
	assert_int_equal(count(&f->k, BLK_JN_FREE), NENTS);
	assert_int_equal(blk_jn_room(&f->k), NENTS);
}

/* Responses out of order, some published: the replacement sees exactly
 * the unpublished ones and what is still running, and frees the rest when
 * it publishes. */
static void test_out_of_order(void **state)
{
	struct fx *f = *state;
	int e[6];

	for (unsigned i = 0; i < 6; i++) {
		struct blk_req r = req_of(i, BLKIF_OP_WRITE);

		e[i] = blk_jn_take(&f->j, &r);
	}
	blk_jn_completed(&f->j, e[4], BLKIF_RSP_OKAY);
	blk_jn_responded(&f->j, e[4], 0);
	blk_jn_completed(&f->j, e[1], BLKIF_RSP_OKAY);
	blk_jn_responded(&f->j, e[1], 1);
	blk_jn_published(&f->j, 2);
	blk_jn_completed(&f->j, e[0], BLKIF_RSP_OKAY);
	blk_jn_responded(&f->j, e[0], 2);
	blk_jn_completed(&f->j, e[5], BLKIF_RSP_EOPNOTSUPP);
	assert_int_equal(reopen(f), 0);
	assert_int_equal(count(&f->k, BLK_JN_RESPONDED), 1);
	assert_int_equal(count(&f->k, BLK_JN_COMPLETED), 1);
	assert_int_equal(count(&f->k, BLK_JN_TAKEN), 2);
	assert_int_equal(blk_jn_room(&f->k), NENTS - 4);
	blk_jn_published(&f->k, 3);
	assert_int_equal(blk_jn_room(&f->k), NENTS - 3);
	assert_int_equal(blk_jn_entry(&f->k, (unsigned)e[0])->state,
			 BLK_JN_FREE);
}

static void test_full(void **state)
{
	struct fx *f = *state;
	struct blk_req r = req_of(1, BLKIF_OP_READ);

	for (unsigned i = 0; i < NENTS; i++)
		assert_true(blk_jn_take(&f->j, &r) >= 0);
	assert_int_equal(blk_jn_room(&f->j), 0);
	assert_int_equal(blk_jn_take(&f->j, &r), -ENOSPC);
	assert_int_equal(reopen(f), 0);
	assert_int_equal(blk_jn_room(&f->k), 0);
}

/* Each corruption refused with its errno, the file left as it was. */
static void refused(struct fx *f, int want)
{
	static uint8_t before[1 << 16], after[1 << 16];
	struct stat st;

	assert_int_equal(stat(f->path, &st), 0);
	assert_true((size_t)st.st_size <= sizeof(before));
	snapshot(f, before, (size_t)st.st_size);
	assert_int_equal(reopen(f), want);
	assert_null(f->k.h);
	snapshot(f, after, (size_t)st.st_size);
	assert_memory_equal(before, after, (size_t)st.st_size);
}

static void test_refused_head(void **state)
{
	struct fx *f = *state;
	struct blk_jn_head *h = f->j.h;

	h->magic ^= 1;
	refused(f, -EBADMSG);
	h->magic ^= 1;
	h->version++;
	refused(f, -EPROTONOSUPPORT);
	h->version--;
	h->entry_size += 8;
	refused(f, -EPROTONOSUPPORT);
	h->entry_size -= 8;
	assert_int_equal(blk_jn_open(&f->k, f->path, NENTS * 2, BLK_ABI_X86_64),
			 -ESTALE);
	assert_int_equal(blk_jn_open(&f->k, f->path, NENTS, BLK_ABI_X86_32),
			 -ESTALE);
	assert_int_equal(reopen(f), 0);
}

static void test_refused_file(void **state)
{
	struct fx *f = *state;
	char link[128];

	assert_int_equal(truncate(f->path, 100), 0);
	assert_int_equal(reopen(f), -EBADMSG);
	assert_int_equal(truncate(f->path, 4), 0);
	assert_int_equal(reopen(f), -EBADMSG);
	assert_int_equal(chmod(f->path, 0622), 0);
	assert_int_equal(reopen(f), -EPERM);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(blk_jn_open(&f->k, link, NENTS, BLK_ABI_X86_64),
			 -ELOOP);
	unlink(link);
	snprintf(link, sizeof(link), "%s/none", f->dir);
	assert_int_equal(blk_jn_open(&f->k, link, NENTS, BLK_ABI_X86_64),
			 -ENOENT);
}

static void test_refused_indices(void **state)
{
	struct fx *f = *state;
	struct blk_jn_head *h = f->j.h;
	struct blk_req r = req_of(1, BLKIF_OP_WRITE);
	int e = blk_jn_take(&f->j, &r), e2, e3;

	h->req_cons += NENTS; /* more taken than the ring holds */
	refused(f, -EBADMSG);
	h->req_cons -= NENTS;
	h->req_cons++; /* a take without its entry */
	refused(f, -EBADMSG);
	h->req_cons--;
	h->rsp_prod_pvt = 2; /* answers beyond the takes */
	refused(f, -EBADMSG);
	h->rsp_prod_pvt = 0;
	h->taking = NENTS + 1;
	refused(f, -EBADMSG);
	h->taking = 0;
	f->j.e[e].state = BLK_JN_STATES;
	refused(f, -EBADMSG);
	f->j.e[e].state = BLK_JN_COMPLETED;
	f->j.e[e].status = 7; /* no such BLKIF_RSP_ */
	refused(f, -EBADMSG);
	f->j.e[e].state = BLK_JN_TAKEN;
	/* A response index held twice, and one held by no entry. */
	e2 = blk_jn_take(&f->j, &r);
	blk_jn_completed(&f->j, e, BLKIF_RSP_OKAY);
	blk_jn_responded(&f->j, e, 0);
	blk_jn_completed(&f->j, e2, BLKIF_RSP_OKAY);
	blk_jn_responded(&f->j, e2, 1);
	f->j.e[e2].rsp_idx = 0;
	refused(f, -EBADMSG);
	f->j.e[e2].rsp_idx = 1;
	f->j.e[e2].state = BLK_JN_FREE;
	refused(f, -EBADMSG);
	f->j.e[e2].state = BLK_JN_RESPONDED;
	assert_int_equal(reopen(f), 0);
	/* Every index held, one of them twice. */
	e3 = blk_jn_take(&f->j, &r);
	f->j.e[e3].status = BLKIF_RSP_OKAY;
	f->j.e[e3].rsp_idx = 0;
	f->j.e[e3].state = BLK_JN_RESPONDED;
	refused(f, -EBADMSG);
	f->j.e[e3].state = BLK_JN_TAKEN;
	assert_int_equal(reopen(f), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_step, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_take_uncommitted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_respond_uncommitted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_publish_half_freed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_head, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_indices, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
