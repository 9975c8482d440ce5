// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The journal of one ring (see journal.h for the protocol).  Pure code
 * over a shared file mapping: no Xen library calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal.h"

/*
 * Orders two journal stores (or a ring store and a journal store) as
 * program order for whoever reads the file after us.  A SIGKILL lands
 * between two instructions and the replacement reads only after we are
 * reaped, so what must not happen is the compiler moving stores across a
 * commit; the release fence is that compiler barrier (x86: nothing more)
 * and also keeps the order for a reader on another CPU.
 */
#define jn_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)

enum jn_fate {
	FATE_KEEP,
	FATE_FREE,	/* uncommitted take, or published */
	FATE_UNRESPOND, /* uncommitted response: COMPLETED again */
};

static size_t jn_bytes(unsigned nr_ents)
{
	return sizeof(struct blk_jn_head) +
	       (size_t)nr_ents * sizeof(struct blk_jn_entry);
}

static int jn_map(struct blk_journal *j)
{
	void *p = mmap(NULL, j->bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       j->fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	j->h = p;
	j->e = (struct blk_jn_entry *)(j->h + 1);
	return 0;
}

/* The in-memory indexes, from a settled journal. */
static void jn_index(struct blk_journal *j)
{
	j->nfree = 0;
	for (unsigned i = j->nr_ents; i-- > 0;) {
		const struct blk_jn_entry *e = &j->e[i];

		if (e->state == BLK_JN_FREE)
			j->free[j->nfree++] = (uint16_t)i;
		else if (e->state == BLK_JN_RESPONDED)
			j->by_rsp[e->rsp_idx % j->nr_ents] = (uint16_t)i;
	}
}

void blk_jn_close(struct blk_journal *j)
{
	if (j->h)
		munmap(j->h, j->bytes);
	if (j->fd >= 0)
		close(j->fd);
	j->h = NULL;
	j->e = NULL;
	j->fd = -1;
}

void blk_jn_remove(struct blk_journal *j, const char *path)
{
	blk_jn_close(j);
	unlink(path);
}

/*
 * Made whole under PATH.tmp, then renamed over path: a process killed in
 * here leaves either no journal (-ENOENT for blk_jn_open: it never took a
 * request, a replacement starts afresh) or a whole one, never a half-made
 * one that would be refused.
 */
int blk_jn_create(struct blk_journal *j, const char *path, unsigned nr_ents,
		  enum blk_abi abi)
{
	struct blk_jn_head *h;
	char tmp[4096];
	int err;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if (!nr_ents || nr_ents > BLK_JN_MAX_ENTS)
		return -EINVAL;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return -ENAMETOOLONG;
	j->nr_ents = nr_ents;
	j->bytes = jn_bytes(nr_ents);
	j->fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		     0600);
	if (j->fd < 0)
		return -errno;
	/* Truncated, then extended: all zeroes, every entry FREE. */
	err = ftruncate(j->fd, (off_t)j->bytes) ? -errno : 0;
	if (!err)
		err = jn_map(j);
	if (err)
		goto out;
	h = j->h;
	h->version = BLK_JN_VERSION;
	h->entry_size = sizeof(struct blk_jn_entry);
	h->nr_ents = nr_ents;
	h->abi = abi;
	/* The head before the magic that makes the file a journal. */
	jn_wmb();
	h->magic = BLK_JN_MAGIC;
	jn_index(j);
	err = rename(tmp, path) ? -errno : 0;
out:
	if (err) {
		blk_jn_close(j);
		unlink(tmp);
	}
	return err;
}

/* The head, read before anything is mapped: is this our kind of file, for
 * this ring? */
static int jn_check_head(int fd, unsigned nr_ents, enum blk_abi abi)
{
	struct blk_jn_head h;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	/* dom0's own file, or not ours to trust. */
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022))
		return -EPERM;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    h.magic != BLK_JN_MAGIC)
		return -EBADMSG;
	if (h.version != BLK_JN_VERSION ||
	    h.entry_size != sizeof(struct blk_jn_entry))
		return -EPROTONOSUPPORT;
	if (h.nr_ents != nr_ents || h.abi != (uint32_t)abi)
		return -ESTALE;
	if ((uint64_t)st.st_size != jn_bytes(nr_ents))
		return -EBADMSG;
	return 0;
}

static bool status_ok(int16_t st)
{
	return st == BLKIF_RSP_OKAY || st == BLKIF_RSP_ERROR ||
	       st == BLKIF_RSP_EOPNOTSUPP;
}

/* A RESPONDED entry: published (free it), answered and committed (keep;
 * *seen marks its index), uncommitted (COMPLETED again), or impossible. */
static int jn_responded_fate(const struct blk_jn_head *h,
			     const struct blk_jn_entry *e, unsigned n,
			     bool *seen)
{
	uint32_t pvt = h->rsp_prod_pvt - h->rsp_pub;
	uint32_t back = h->rsp_pub - e->rsp_idx;
	uint32_t fwd = e->rsp_idx - h->rsp_pub;

	if (back >= 1 && back <= n)
		return FATE_FREE;
	if (fwd == pvt)
		return FATE_UNRESPOND;
	if (fwd > pvt || seen[fwd])
		return -EBADMSG;
	seen[fwd] = true;
	return FATE_KEEP;
}

/*
 * Check every entry against the head, changing nothing: fate[i] says what
 * settling does with entry i.  The invariants of a journal left at any
 * point: rsp_pub <= rsp_prod_pvt <= req_cons <= rsp_pub + nr_ents
 * (modulo 2^32); every response index in [rsp_pub, rsp_prod_pvt)
 * is held by exactly one RESPONDED entry; at most one take and one
 * response are uncommitted; the entries left live are req_cons - rsp_pub.
 */
static int jn_check(const struct blk_journal *j, uint8_t *fate)
{
	const struct blk_jn_head *h = j->h;
	unsigned n = j->nr_ents, live = 0, unresp = 0;
	uint32_t pvt = h->rsp_prod_pvt - h->rsp_pub;
	uint32_t req = h->req_cons - h->rsp_pub;
	bool seen[BLK_JN_MAX_ENTS] = { false };
	int f;

	if (pvt > req || req > n || h->taking > n)
		return -EBADMSG;
	for (unsigned i = 0; i < n; i++) {
		const struct blk_jn_entry *e = &j->e[i];

		fate[i] = FATE_KEEP;
		if (e->state >= BLK_JN_STATES)
			return -EBADMSG;
		if (e->state == BLK_JN_FREE)
			continue;
		if (e->state >= BLK_JN_COMPLETED && !status_ok(e->status))
			return -EBADMSG;
		if (h->taking == i + 1 && e->take_idx == h->req_cons) {
			if (e->state != BLK_JN_TAKEN)
				return -EBADMSG;
			fate[i] = FATE_FREE;
			continue;
		}
		if (e->state == BLK_JN_RESPONDED) {
			f = jn_responded_fate(h, e, n, seen);
			if (f < 0 || (f == FATE_UNRESPOND && unresp++))
				return -EBADMSG;
			fate[i] = (uint8_t)f;
			if (f == FATE_FREE)
				continue;
		}
		live++;
	}
	for (uint32_t k = 0; k < pvt; k++)
		if (!seen[k])
			return -EBADMSG;
	return live == req ? 0 : -EBADMSG;
}

/* What the crash left half done, finished; each store leaves a journal
 * that checks, so a crash in here too is taken over again. */
static void jn_settle(struct blk_journal *j, const uint8_t *fate)
{
	for (unsigned i = 0; i < j->nr_ents; i++) {
		if (fate[i] == FATE_FREE)
			j->e[i].state = BLK_JN_FREE;
		else if (fate[i] == FATE_UNRESPOND)
			j->e[i].state = BLK_JN_COMPLETED;
	}
	/* The uncommitted take dropped before its hint. */
	jn_wmb();
	j->h->taking = 0;
}

int blk_jn_open(struct blk_journal *j, const char *path, unsigned nr_ents,
		enum blk_abi abi)
{
	uint8_t fate[BLK_JN_MAX_ENTS];
	int err;

	memset(j, 0, sizeof(*j));
	j->fd = -1;
	if (!nr_ents || nr_ents > BLK_JN_MAX_ENTS)
		return -EINVAL;
	j->nr_ents = nr_ents;
	j->bytes = jn_bytes(nr_ents);
	j->fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (j->fd < 0)
		return -errno;
	err = jn_check_head(j->fd, nr_ents, abi);
	if (!err)
		err = jn_map(j);
	if (!err)
		err = jn_check(j, fate);
	if (err)
		goto out;
	jn_settle(j, fate);
	jn_index(j);
out:
	if (err)
		blk_jn_close(j);
	return err;
}

unsigned blk_jn_room(const struct blk_journal *j)
{
	return j->nfree;
}

int blk_jn_take(struct blk_journal *j, const struct blk_req *req)
{
	struct blk_jn_head *h = j->h;
	struct blk_jn_entry *e;
	unsigned i;

	if (!j->nfree)
		return -ENOSPC;
	i = j->free[--j->nfree];
	e = &j->e[i];
	h->taking = i + 1;
	/* The hint before the entry it names changes. */
	jn_wmb();
	e->req = *req;
	e->take_idx = h->req_cons;
	e->status = 0;
	/* The copy before the state that makes it an entry. */
	jn_wmb();
	e->state = BLK_JN_TAKEN;
	/* The entry before req_cons commits it. */
	jn_wmb();
	h->req_cons++;
	/* Committed before the hint goes. */
	jn_wmb();
	h->taking = 0;
	return (int)i;
}

void blk_jn_submitted(struct blk_journal *j, int ent)
{
	/* For the record only: TAKEN and SUBMITTED are both executed again
	 * (a submitted write may or may not have reached the file). */
	j->e[ent].state = BLK_JN_SUBMITTED;
}

void blk_jn_completed(struct blk_journal *j, int ent, int16_t status)
{
	struct blk_jn_entry *e = &j->e[ent];

	e->status = status;
	/* The status before the state that says it is known. */
	jn_wmb();
	e->state = BLK_JN_COMPLETED;
}

void blk_jn_responded(struct blk_journal *j, int ent, uint32_t rsp_idx)
{
	struct blk_jn_entry *e = &j->e[ent];

	/* The response's fields in the ring slot before the entry says it
	 * is there. */
	jn_wmb();
	e->rsp_idx = rsp_idx;
	jn_wmb();
	e->state = BLK_JN_RESPONDED;
	/* The entry before rsp_prod_pvt commits it. */
	jn_wmb();
	j->h->rsp_prod_pvt = rsp_idx + 1;
	j->by_rsp[rsp_idx % j->nr_ents] = (uint16_t)ent;
}

void blk_jn_published(struct blk_journal *j, uint32_t rsp_prod)
{
	struct blk_jn_head *h = j->h;
	uint32_t from = h->rsp_pub;

	/* The shared rsp_prod store (RING_PUSH_RESPONSES) before the
	 * journal says it is done. */
	jn_wmb();
	h->rsp_pub = rsp_prod;
	/* rsp_pub before the entries it frees: an entry freed early would
	 * leave a response index without its entry. */
	jn_wmb();
	for (uint32_t k = from; k != rsp_prod; k++) {
		unsigned i = j->by_rsp[k % j->nr_ents];

		j->e[i].state = BLK_JN_FREE;
		j->free[j->nfree++] = (uint16_t)i;
	}
}

uint32_t blk_jn_req_cons(const struct blk_journal *j)
{
	return j->h->req_cons;
}

uint32_t blk_jn_rsp_prod_pvt(const struct blk_journal *j)
{
	return j->h->rsp_prod_pvt;
}

const struct blk_jn_entry *blk_jn_entry(const struct blk_journal *j, unsigned i)
{
	return &j->e[i];
}
