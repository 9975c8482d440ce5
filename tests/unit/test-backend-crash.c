// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A backend that dies and is replaced while the guest goes on (issue 14),
 * without Xen.  The test process plays the guest: a blkif ring, its grant
 * pages and a control word in memory shared with its children, and a
 * frontend that applies Linux xen-blkfront's checks to every response
 * (blkif_interrupt() of 6.1: an rsp_prod more than a ring ahead, or beyond
 * what was requested, "illegal number of responses"; an id out of range or
 * not in flight, "response references no pending request"; a wrong
 * operation; any of them is "disabled for further use"), and that, as
 * blkfront, looks at responses only when notified (rsp_event re-armed as
 * RING_FINAL_CHECK_FOR_RESPONSES does; it has no timeout, so a lost event
 * is a hung disk).  blkfront's id
 * is the shadow index alone; ours carries a generation above it, so that
 * an answer given twice is caught even once the index went to a new
 * request (blkfront would silently complete the wrong one).
 *
 * Each child is a backend: io.c's real request path (validation, grant
 * copy batches, io_uring, responses, publish) with the ring journal, on an
 * in-memory disk (a memfd: the file is the parent's, so what the backend
 * wrote outlives it, as a page cache does), the grant table and event
 * channel faked here (these definitions win over the libraries' at link
 * time).  A child dies with SIGKILL at a crash point (XBDEV_CRASH_AT's
 * syntax, blk_crash_init) or at a random moment (the parent's kill); the
 * guest runs on meanwhile (it may consume what was published and reuse
 * those slots), then a replacement takes over from the journal
 * (blk_jn_open, blk_io_resume).  At the end: no check ever failed, every
 * request was answered exactly once, nothing was answered after the last
 * request, every read saw the last acknowledged write, and the disk holds
 * every acknowledged write.
 *
 * The frontend never puts two writes (or a write and a read) over one
 * block in flight at once, as a filesystem would not: which of two
 * unordered writes wins is no block device's promise.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/memcheck.h>
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_MAKE_MEM_DEFINED(p, n) ((void)(p), (void)(n))
#endif

#include "blkback.h"
#include "blkif-slot.h"

#define RING 32u	     /* one page, either ABI */
#define SEGS 2u		     /* blocks (4 KiB pages) a request spans */
#define NGREFS (RING * SEGS) /* shadow i owns grants i*SEGS.. */
#define BLOCKS 48u	     /* the disk: 48 x 4 KiB */
#define MAX_REQS 4096u

/* What the guest shares with its backends. */
struct shm {
	uint8_t ring[4096];
	uint8_t gpage[NGREFS][4096];
	int stop; /* parent: go once nothing is left to do */
	unsigned notifies;
};

static struct shm *shm;

/* ---- fakes (the child's hypervisor) ----------------------------------- */

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
			 xengnttab_grant_copy_segment_t *segs)
{
	for (uint32_t i = 0; i < count; i++) {
		xengnttab_grant_copy_segment_t *s = &segs[i];
		bool from = s->flags & GNTCOPY_source_gref;
		uint32_t ref =
			from ? s->source.foreign.ref : s->dest.foreign.ref;
		uint16_t off = from ? s->source.foreign.offset
				    : s->dest.foreign.offset;

		if (ref >= NGREFS || off + s->len > 4096) {
			s->status = GNTST_bad_gntref;
			continue;
		}
		if (from) {
			memcpy(s->dest.virt, shm->gpage[ref] + off, s->len);
		} else {
			VALGRIND_MAKE_MEM_DEFINED(s->source.virt, s->len);
			memcpy(shm->gpage[ref] + off, s->source.virt, s->len);
		}
		s->status = GNTST_okay;
	}
	return 0;
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
	__atomic_fetch_add(&shm->notifies, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ---- the backend (a child) -------------------------------------------- */

struct world {
	enum blk_abi abi;
	bool cached; /* the page-cache path (blk_io_map), not bounce buffers */
	int disk;    /* memfd */
	char dir[64];
	char jpath[96];
};

/* Exit codes of a child that failed (not killed): which step. */
enum {
	CHILD_OK,
	CHILD_SPEC = 10,
	CHILD_IO,
	CHILD_RING,
	CHILD_JOURNAL,
	CHILD_RESUME,
	CHILD_PROTO
};

/* Serve the ring until told to stop with nothing in flight.  Never
 * returns into cmocka: a child leaves by _exit or SIGKILL. */
static void __attribute__((noreturn))
backend(const struct world *w, bool resume, const char *crash)
{
	static struct blk_dev d;
	static struct blk_journal j;
	struct blk_queue *q = &d.q[0];
	int err;

	if (blk_crash_init(crash))
		_exit(CHILD_SPEC);
	d.fd = w->disk;
	d.size = (uint64_t)BLOCKS * 4096;
	d.sectors = d.size >> 9;
	d.fe_domid = 7;
	d.lim = (struct blk_limits){ .sectors = d.sectors,
				     .discard = true,
				     .flush = true };
	snprintf(d.tag, sizeof(d.tag), "crash-unit");
	if (blk_io_init(&d) || (w->cached && blk_io_map(&d)))
		_exit(CHILD_IO);
	q->dev = &d;
	q->local_port = 5;
	d.nr_queues = 1;
	if (blk_ring_attach(&q->ring, shm->ring, 1, w->abi) ||
	    blk_ring_size(&q->ring) != RING)
		_exit(CHILD_RING);
	err = resume ? blk_jn_open(&j, w->jpath, RING, w->abi) : -ENOENT;
	/* None: the one before died before it made one, so before it took a
	 * request. */
	if (err == -ENOENT) {
		resume = false;
		err = blk_jn_create(&j, w->jpath, RING, w->abi);
	}
	if (err) {
		fprintf(stderr, "journal: %s\n", strerror(-err));
		_exit(CHILD_JOURNAL);
	}
	q->jn = &j;
	if (resume && blk_io_resume(q))
		_exit(CHILD_RESUME);
	for (;;) {
		/* No event channel: look at the ring every round. */
		blk_io_reap(&d);
		if (blk_io_queue_work(q))
			_exit(CHILD_PROTO);
		blk_io_flush(&d);
		if (d.inflight) {
			struct __kernel_timespec ts = { .tv_nsec = 1000000 };
			struct io_uring_cqe *cqe;

			io_uring_wait_cqe_timeout(&d.uring, &cqe, &ts);
		} else if (__atomic_load_n(&shm->stop, __ATOMIC_ACQUIRE) &&
			   !q->kick) {
			_exit(CHILD_OK);
		} else {
			usleep(100);
		}
	}
}

/* ---- the guest (the parent) ------------------------------------------- */

struct shadow {
	bool busy;
	uint64_t id;
	uint32_t serial;
	uint8_t op;
	unsigned block, nblk;
};

struct fe {
	enum blk_abi abi;
	uint32_t req_prod_pvt, rsp_cons;
	struct shadow sh[RING];
	uint32_t gen[RING];
	unsigned inflight, issued, answered;
	unsigned events;	     /* notifications seen */
	uint8_t times[MAX_REQS + 1]; /* answers per serial */
	uint32_t model[BLOCKS];	     /* serial whose data it holds, 0:
					   zeroes */
	uint8_t wbusy[BLOCKS], rbusy[BLOCKS];
	unsigned seed;
	char err[160]; /* the first check that failed */
};

static uint64_t word(uint32_t serial, unsigned block, unsigned i)
{
	return serial ? ((uint64_t)serial << 32) ^ ((uint64_t)block << 16) ^ i
		      : 0;
}

static void fill_block(uint8_t *page, uint32_t serial, unsigned block)
{
	for (unsigned i = 0; i < 4096 / 8; i++) {
		uint64_t v = word(serial, block, i);

		memcpy(page + 8 * i, &v, 8);
	}
}

static bool block_is(const uint8_t *page, uint32_t serial, unsigned block)
{
	for (unsigned i = 0; i < 4096 / 8; i++) {
		uint64_t v;

		memcpy(&v, page + 8 * i, 8);
		if (v != word(serial, block, i))
			return false;
	}
	return true;
}

static void *slot(const struct fe *fe, uint32_t idx)
{
	size_t esz = fe->abi == BLK_ABI_X86_32 ? 108 : 112;

	return shm->ring + 64 + (size_t)(idx % RING) * esz;
}

static void fe_fail(struct fe *fe, const char *fmt, ...)
{
	va_list ap;

	if (fe->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(fe->err, sizeof(fe->err), fmt, ap);
	va_end(ap);
}

static bool span_free(const struct fe *fe, unsigned b, unsigned n, bool write)
{
	for (unsigned k = b; k < b + n; k++)
		if (fe->wbusy[k] || (write && fe->rbusy[k]))
			return false;
	return true;
}

static void put_rw(struct fe *fe, struct shadow *s, unsigned i)
{
	struct xb_seg seg[SEGS];
	unsigned nseg = s->op == BLKIF_OP_FLUSH_DISKCACHE ? 0 : s->nblk;
	uint64_t sector = (uint64_t)s->block * 8;

	for (unsigned k = 0; k < nseg; k++) {
		uint8_t *page = shm->gpage[i * SEGS + k];

		seg[k] = (struct xb_seg){ .gref = i * SEGS + k,
					  .first_sect = 0,
					  .last_sect = 7 };
		if (s->op == BLKIF_OP_WRITE)
			fill_block(page, s->serial, s->block + k);
		else
			memset(page, 0xa5, 4096);
	}
#define FILL(r)                                                                \
	do {                                                                   \
		(r)->operation = s->op;                                        \
		(r)->nr_segments = (uint8_t)nseg;                              \
		(r)->id = s->id;                                               \
		(r)->sector_number = sector;                                   \
		memcpy((r)->seg, seg, sizeof(*seg) * nseg);                    \
	} while (0)
	PUT_SLOT(fe->abi, slot(fe, fe->req_prod_pvt), rw, FILL);
#undef FILL
}

static void put_discard(struct fe *fe, struct shadow *s)
{
#define FILL(r)                                                                \
	do {                                                                   \
		(r)->operation = BLKIF_OP_DISCARD;                             \
		(r)->id = s->id;                                               \
		(r)->sector_number = (uint64_t)s->block * 8;                   \
		(r)->nr_sectors = (uint64_t)s->nblk * 8;                       \
	} while (0)
	PUT_SLOT(fe->abi, slot(fe, fe->req_prod_pvt), discard, FILL);
#undef FILL
}

/* What the next request is: mostly writes, then reads, a few flushes and
 * discards; a flush when no span is free for what was drawn. */
static void choose(struct fe *fe, struct shadow *s)
{
	unsigned r = (unsigned)rand_r(&fe->seed) % 100;
	bool write = r < 60 || r >= 93;

	s->op = r < 60	 ? BLKIF_OP_WRITE
		: r < 85 ? BLKIF_OP_READ
		: r < 93 ? BLKIF_OP_FLUSH_DISKCACHE
			 : BLKIF_OP_DISCARD;
	s->nblk = s->op == BLKIF_OP_DISCARD
			  ? 1
			  : 1 + (unsigned)rand_r(&fe->seed) % SEGS;
	s->block = 0;
	if (s->op == BLKIF_OP_FLUSH_DISKCACHE)
		return;
	for (unsigned t = 0; t < 8; t++) {
		unsigned b = (unsigned)rand_r(&fe->seed) % (BLOCKS - SEGS + 1);

		if (span_free(fe, b, s->nblk, write)) {
			s->block = b;
			return;
		}
	}
	s->op = BLKIF_OP_FLUSH_DISKCACHE;
}

static void issue(struct fe *fe)
{
	unsigned i = 0;
	struct shadow *s;

	while (fe->sh[i].busy)
		i++;
	s = &fe->sh[i];
	choose(fe, s);
	s->busy = true;
	s->serial = ++fe->issued;
	s->id = ((uint64_t)++fe->gen[i] << 8) | i;
	for (unsigned k = s->block; k < s->block + s->nblk; k++) {
		if (s->op == BLKIF_OP_READ)
			fe->rbusy[k]++;
		else if (s->op != BLKIF_OP_FLUSH_DISKCACHE)
			fe->wbusy[k]++;
	}
	if (s->op == BLKIF_OP_DISCARD)
		put_discard(fe, s);
	else
		put_rw(fe, s, i);
	fe->req_prod_pvt++;
	fe->inflight++;
}

static void publish_requests(struct fe *fe)
{
	/* The requests before the index that gives them (RING_PUSH_REQUESTS;
	 * the backends poll, so no event). */
	__atomic_store_n((uint32_t *)shm->ring, fe->req_prod_pvt,
			 __ATOMIC_RELEASE);
}

/* A request is answered: what it did is now what the guest may count on. */
static void complete(struct fe *fe, struct shadow *s, unsigned i)
{
	for (unsigned k = 0; k < s->nblk && s->op != BLKIF_OP_FLUSH_DISKCACHE;
	     k++) {
		unsigned b = s->block + k;

		if (s->op == BLKIF_OP_READ) {
			if (!block_is(shm->gpage[i * SEGS + k], fe->model[b],
				      b))
				fe_fail(fe,
					"request %u read block %u: not the "
					"last acknowledged write (%u)",
					s->serial, b, fe->model[b]);
			fe->rbusy[b]--;
		} else {
			fe->model[b] = s->op == BLKIF_OP_WRITE ? s->serial : 0;
			fe->wbusy[b]--;
		}
	}
	fe->times[s->serial]++;
	fe->answered++;
	fe->inflight--;
	s->busy = false;
}

/* blkif_interrupt(): every response published so far, with its checks. */
static void consume(struct fe *fe)
{
	uint32_t rp =
		__atomic_load_n((uint32_t *)(shm->ring + 8), __ATOMIC_ACQUIRE);

	if (rp - fe->rsp_cons > RING)
		fe_fail(fe,
			"illegal number of responses (rsp_prod %u, "
			"consumed %u)",
			rp, fe->rsp_cons);
	else if ((int32_t)(rp - fe->req_prod_pvt) > 0)
		fe_fail(fe, "rsp_prod %u past the %u requests made", rp,
			fe->req_prod_pvt);
	while (!fe->err[0] && fe->rsp_cons != rp) {
		const uint8_t *r = slot(fe, fe->rsp_cons++);
		uint64_t id;
		uint8_t op = r[8];
		int16_t st;
		struct shadow *s;

		memcpy(&id, r, 8);
		memcpy(&st, r + 10, 2);
		s = &fe->sh[id & 0xff];
		if ((id & 0xff) >= RING || !s->busy)
			fe_fail(fe,
				"response references no pending request "
				"(id %#llx)",
				(unsigned long long)id);
		else if (s->id != id)
			fe_fail(fe,
				"id %#llx answered again after its index "
				"went to %#llx",
				(unsigned long long)id,
				(unsigned long long)s->id);
		else if (op != s->op)
			fe_fail(fe,
				"response has wrong operation (%u instead "
				"of %u)",
				op, s->op);
		else if (st != BLKIF_RSP_OKAY)
			fe_fail(fe, "request %u (op %u) failed: status %d",
				s->serial, s->op, st);
		else
			complete(fe, s, (unsigned)(id & 0xff));
	}
}

/* The event channel: blkfront looks at the ring only when notified (it
 * has no timer), so a backend that publishes without notifying hangs it. */
static bool event_pending(struct fe *fe)
{
	unsigned n = __atomic_load_n(&shm->notifies, __ATOMIC_ACQUIRE);

	if (n == fe->events)
		return false;
	fe->events = n;
	return true;
}

/* blkif_interrupt()'s loop: consume, re-arm rsp_event
 * (RING_FINAL_CHECK_FOR_RESPONSES), look again. */
static void interrupt(struct fe *fe)
{
	uint32_t *rsp_prod = (uint32_t *)(shm->ring + 8);
	uint32_t *rsp_event = (uint32_t *)(shm->ring + 12);

	do {
		consume(fe);
		__atomic_store_n(rsp_event, fe->rsp_cons + 1, __ATOMIC_RELAXED);
		/* rsp_event before the second look at rsp_prod (the
		 * backend stores rsp_prod before it reads rsp_event). */
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	} while (!fe->err[0] &&
		 __atomic_load_n(rsp_prod, __ATOMIC_ACQUIRE) != fe->rsp_cons);
}

/* ---- one run ----------------------------------------------------------- */

struct plan {
	const char *const *crash; /* each child's XBDEV_CRASH_AT, NULL: no
				       more crashes */
	unsigned kills;		  /* random-moment SIGKILLs */
	unsigned total;		  /* requests */
	unsigned batch;		  /* 0: keep the ring full; else issue
				       that many, wait for all answers */
	enum blk_abi abi;
	bool cached;
	unsigned seed;
};

struct run {
	struct world w;
	struct fe fe;
	pid_t child;
	unsigned spawned, crashed, killed;
	unsigned found[BLK_JN_STATES]; /* entries the replacements found */
};

/* What a dead backend left in its journal (read before the replacement
 * settles it): shows each crash point leaves what it is meant to. */
static void count_left(struct run *r)
{
	static union {
		struct blk_jn_head h;
		uint8_t b[sizeof(struct blk_jn_head) +
			  RING * sizeof(struct blk_jn_entry)];
	} file;
	const struct blk_jn_entry *e = (const void *)(&file.h + 1);
	int fd = open(r->w.jpath, O_RDONLY);

	if (fd < 0)
		return;
	if (pread(fd, file.b, sizeof(file.b), 0) == (ssize_t)sizeof(file.b))
		for (unsigned i = 0; i < RING; i++)
			if (e[i].state < BLK_JN_STATES)
				r->found[e[i].state]++;
	close(fd);
}

static void spawn(struct run *r, const struct plan *p)
{
	const char *spec = NULL;

	if (p->crash && p->crash[0]) {
		spec = p->crash[0];
		for (unsigned i = 1; i <= r->spawned && spec; i++)
			spec = p->crash[i];
	}
	fflush(stdout);
	fflush(stderr);
	r->child = fork();
	assert_true(r->child >= 0);
	if (!r->child)
		backend(&r->w, r->spawned > 0, spec);
	r->spawned++;
}

/* The child is gone: by SIGKILL (ours or a crash point), nothing else. */
static void reaped(struct run *r, int status)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		r->crashed++;
		return;
	}
	fe_fail(&r->fe, "backend %u ended with %s %d", r->spawned,
		WIFEXITED(status) ? "exit status" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guest's turn: take answers, make requests (batch: only when all of
 * the last batch were answered). */
static void guest_step(struct run *r, const struct plan *p)
{
	struct fe *fe = &r->fe;
	unsigned want = p->batch && fe->inflight ? 0
			: p->batch		 ? p->batch
						 : RING;

	if (event_pending(fe))
		interrupt(fe);
	while (!fe->err[0] && fe->inflight < want && fe->issued < p->total)
		issue(fe);
	publish_requests(fe);
}

/* A child died (or was killed): the guest runs on alone a moment, then
 * the replacement. */
static void replace(struct run *r, const struct plan *p, int status)
{
	reaped(r, status);
	count_left(r);
	guest_step(r, p);
	if (!r->fe.err[0])
		spawn(r, p);
}

static void setup_world(struct run *r, const struct plan *p)
{
	memset(r, 0, sizeof(*r));
	memset(shm, 0, sizeof(*shm));
	r->w.abi = p->abi;
	r->w.cached = p->cached;
	r->fe.abi = p->abi;
	r->fe.seed = p->seed;
	r->w.disk = memfd_create("test-backend-crash", MFD_CLOEXEC);
	assert_true(r->w.disk >= 0);
	assert_int_equal(ftruncate(r->w.disk, (off_t)BLOCKS * 4096), 0);
	snprintf(r->w.dir, sizeof(r->w.dir), "/tmp/test-backend-crash.XXXXXX");
	assert_non_null(mkdtemp(r->w.dir));
	snprintf(r->w.jpath, sizeof(r->w.jpath), "%s/vbd-7-51728.q0", r->w.dir);
	if (p->abi == BLK_ABI_X86_32)
		SHARED_RING_INIT((struct xb32_sring *)shm->ring);
	else
		SHARED_RING_INIT((struct xb64_sring *)shm->ring);
}

/* Until every request is answered, a check fails, or nothing moves for
 * the stall limit (a request that is never answered: blkfront has no
 * timeout, its disk would hang).  Generous: the host may be busy. */
static void drive(struct run *r, const struct plan *p)
{
	int64_t stall = RUNNING_ON_VALGRIND ? 60000 : 10000;
	int64_t moved = now_ms();
	unsigned last = 0, seed = p->seed ^ 0x5eed, kill_after = 0;
	int status;

	spawn(r, p);
	while (!r->fe.err[0] && r->fe.answered < p->total) {
		guest_step(r, p);
		if (waitpid(r->child, &status, WNOHANG) == r->child) {
			replace(r, p, status);
			continue;
		}
		/* Random moments: after a random number of answers (every
		 * fourth at once: a replacement killed while it takes over),
		 * a random fraction of a millisecond into the next. */
		if (r->killed < p->kills && !kill_after)
			kill_after = r->fe.answered + 1 +
				     (r->killed % 4 ? rand_r(&seed) % 64 : 0);
		if (kill_after && r->fe.answered >= kill_after) {
			guest_step(r, p);
			usleep((unsigned)rand_r(&seed) % 300);
			kill(r->child, SIGKILL);
			assert_int_equal(waitpid(r->child, &status, 0),
					 r->child);
			r->killed++;
			kill_after = 0;
			replace(r, p, status);
			continue;
		}
		if (r->fe.answered != last) {
			last = r->fe.answered;
			moved = now_ms();
		} else if (now_ms() - moved > stall) {
			fe_fail(&r->fe, "%u request(s) never answered",
				r->fe.inflight);
		}
		usleep(50);
	}
}

/* The last backend leaves once idle; then nothing more may come. */
static void finish_run(struct run *r)
{
	int status = 0;

	__atomic_store_n(&shm->stop, 1, __ATOMIC_RELEASE);
	if (r->fe.err[0]) {
		kill(r->child, SIGKILL);
		waitpid(r->child, &status, 0);
		return;
	}
	assert_int_equal(waitpid(r->child, &status, 0), r->child);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		r->crashed++; /* a crash point on the way out */
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		fe_fail(&r->fe, "last backend ended with status %#x", status);
	consume(&r->fe);
	if (!r->fe.err[0] && r->fe.rsp_cons != r->fe.req_prod_pvt)
		fe_fail(&r->fe, "%u responses for %u requests", r->fe.rsp_cons,
			r->fe.req_prod_pvt);
}

static void check_disk(struct run *r)
{
	static uint8_t page[4096];

	for (unsigned b = 0; b < BLOCKS && !r->fe.err[0]; b++) {
		assert_int_equal(pread(r->w.disk, page, 4096, (off_t)b * 4096),
				 4096);
		if (!block_is(page, r->fe.model[b], b))
			fe_fail(&r->fe, "block %u lost acknowledged write %u",
				b, r->fe.model[b]);
	}
	for (unsigned s = 1; s <= r->fe.issued && !r->fe.err[0]; s++)
		if (r->fe.times[s] != 1)
			fe_fail(&r->fe, "request %u answered %u times", s,
				r->fe.times[s]);
}

static void cleanup(struct run *r)
{
	char tmp[128];

	snprintf(tmp, sizeof(tmp), "%s.tmp", r->w.jpath);
	unlink(tmp);
	unlink(r->w.jpath);
	rmdir(r->w.dir);
	close(r->w.disk);
}

/* One whole run; returns the number of backends that died, *left what
 * their replacements found (per state). */
static unsigned run_plan(const struct plan *p, unsigned *left)
{
	static struct run r;

	setup_world(&r, p);
	drive(&r, p);
	finish_run(&r);
	if (!r.fe.err[0])
		check_disk(&r);
	cleanup(&r);
	if (r.fe.err[0])
		fail_msg("after %u backend(s), %u died: %s", r.spawned,
			 r.crashed, r.fe.err);
	printf("# %u requests, %u backends, %u died, %u notifies; left "
	       "taken %u, submitted %u, completed %u, responded %u\n",
	       r.fe.issued, r.spawned, r.crashed, shm->notifies,
	       r.found[BLK_JN_TAKEN], r.found[BLK_JN_SUBMITTED],
	       r.found[BLK_JN_COMPLETED], r.found[BLK_JN_RESPONDED]);
	if (left)
		memcpy(left, r.found, sizeof(r.found));
	return r.crashed;
}

/* ---- tests ------------------------------------------------------------- */

static int setup_shm(void **state)
{
	shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shm != MAP_FAILED);
	return 0;
}

static int teardown_shm(void **state)
{
	munmap(shm, sizeof(*shm));
	return 0;
}

/* Die at point, on several passes, in the stream (ring kept full) and in
 * batches (a batch all answered before the next: nothing else would ever
 * publish what a dead backend answered but did not publish). */
static void crash_at(const char *point, enum blk_jn_state left, unsigned batch)
{
	unsigned found[BLK_JN_STATES];
	char spec[4][32];
	const char *crash[5];
	unsigned passes[4] = { 1, 2, 5, 9 };
	struct plan p = { .crash = crash,
			  .total = 1000,
			  .batch = batch,
			  .abi = BLK_ABI_X86_64,
			  .seed = 14 + batch };

	for (unsigned i = 0; i < 4; i++) {
		snprintf(spec[i], sizeof(spec[i]), "%s:%u", point, passes[i]);
		crash[i] = spec[i];
	}
	crash[4] = NULL;
	unsigned died = run_plan(&p, found);

	/* Each child dies once: the point was reached every time, and left
	 * the journal in the state it is there to test. */
	if (died < 4)
		fail_msg("%s: %u backends died, not 4", point, died);
	if (!found[left])
		fail_msg("%s: no entry left in state %u", point, left);
}

#define CRASH_TEST(name, point, left)                                          \
	static void test_##name(void **state)                                  \
	{                                                                      \
		crash_at(point, left, 0);                                      \
	}                                                                      \
	static void test_##name##_batch(void **state)                          \
	{                                                                      \
		crash_at(point, left, 8);                                      \
	}
CRASH_TEST(taken, "taken", BLK_JN_TAKEN)
CRASH_TEST(submitted, "submitted", BLK_JN_SUBMITTED)
CRASH_TEST(completed, "completed", BLK_JN_COMPLETED)
CRASH_TEST(responded, "responded", BLK_JN_RESPONDED)
CRASH_TEST(publish, "publish", BLK_JN_RESPONDED)
CRASH_TEST(published, "published", BLK_JN_RESPONDED)
CRASH_TEST(gc_batch, "gc-batch", BLK_JN_SUBMITTED)

/* SIGKILL at random moments, both ABIs. */
static void test_random_kills(void **state)
{
	struct plan p = {
		.kills = 40, .total = MAX_REQS, .abi = BLK_ABI_X86_64, .seed = 1
	};
	unsigned died = run_plan(&p, NULL);

	if (died < 40)
		fail_msg("x86_64: %u backends died, not 40", died);
	p.abi = BLK_ABI_X86_32;
	p.seed = 2;
	p.batch = 5;
	died = run_plan(&p, NULL);
	if (died < 40)
		fail_msg("x86_32: %u backends died, not 40", died);
}

/* The page-cache path (writes copied straight into the file's pages and
 * acknowledged from the grant-copy batch): random kills, and half-way
 * through a batch. */
static void test_page_cache(void **state)
{
	const char *const crash[] = { "gc-batch:1", "gc-batch:2", "gc-batch:5",
				      NULL };
	struct plan p = { .kills = 40,
			  .total = MAX_REQS,
			  .abi = BLK_ABI_X86_64,
			  .cached = true,
			  .seed = 4 };
	unsigned found[BLK_JN_STATES], died = run_plan(&p, NULL);

	if (died < 40)
		fail_msg("random: %u backends died, not 40", died);
	p = (struct plan){ .crash = crash,
			   .total = 1000,
			   .batch = 8,
			   .abi = BLK_ABI_X86_64,
			   .cached = true,
			   .seed = 5 };
	died = run_plan(&p, found);
	if (died < 3 || !found[BLK_JN_RESPONDED])
		fail_msg("gc-batch: %u backends died, %u responded left", died,
			 found[BLK_JN_RESPONDED]);
}

/* The harness can tell: without a backend dying it passes, and the spec
 * parser is XBDEV_CRASH_AT's. */
static void test_no_crash(void **state)
{
	struct plan p = { .total = 300, .abi = BLK_ABI_X86_64, .seed = 3 };

	assert_int_equal(run_plan(&p, NULL), 0);
	assert_int_equal(blk_crash_init("taken:2"), 0);
	assert_true(blk_crash_armed);
	assert_int_equal(blk_crash_init(""), 0);
	assert_false(blk_crash_armed);
	assert_int_equal(blk_crash_init(NULL), 0);
	assert_int_equal(blk_crash_init("taken:0"), -EINVAL);
	assert_int_equal(blk_crash_init("taken:"), -EINVAL);
	assert_int_equal(blk_crash_init("taken:-1"), -EINVAL);
	assert_int_equal(blk_crash_init("taken:1x"), -EINVAL);
	assert_int_equal(blk_crash_init("take"), -EINVAL);
	assert_int_equal(blk_crash_init("takenn"), -EINVAL);
	assert_false(blk_crash_armed);
	for (unsigned i = 0; i < BLK_CRASH_POINTS; i++) {
		assert_non_null(blk_crash_name(i));
		assert_int_equal(blk_crash_init(blk_crash_name(i)), 0);
	}
	assert_int_equal(blk_crash_init(NULL), 0);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup_shm, teardown_shm)

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		T(test_no_crash),
		T(test_taken),
		T(test_taken_batch),
		T(test_submitted),
		T(test_submitted_batch),
		T(test_completed),
		T(test_completed_batch),
		T(test_responded),
		T(test_responded_batch),
		T(test_publish),
		T(test_publish_batch),
		T(test_published),
		T(test_published_batch),
		T(test_gc_batch),
		T(test_gc_batch_batch),
		T(test_random_kills),
		T(test_page_cache),
	};
	/* clang-format on */

	return cmocka_run_group_tests(tests, NULL, NULL);
}
