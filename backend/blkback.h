/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xbdev-blkback internals: one process serves one vbd (see main.c for why).
 *
 *   control.c requests from dom0's toolstack (resize, media, limits) on the
 *             record's ctl/ directory (lib/control.c's protocol)
 *   xenbus.c  the XenBus side: probe, feature advertisement, connect
 *             (map rings, bind event channels), disconnect, reconnect,
 *             detach/guest death, the info/ record
 *   io.c      the data path: ring -> validation -> grant copy to/from the
 *             page cache, or through a bounce buffer and io_uring -> response
 *   limit.c   the I/O limits' token buckets (pure; io.c asks them)
 *   persist.c persistent grants: the guest pages a queue keeps mapped
 *   journal.c the journal of a ring: what a replacement process needs to
 *             take it over (pure; journal.h)
 *   crash.c   crash points: XBDEV_CRASH_AT makes the data path SIGKILL
 *             itself at a chosen step (for the journal's tests)
 *   request.c pure decoding/validation (no Xen needed; unit-tested, fuzzed)
 *   publish.c the info/ record (counters for `xbdev status`), from its own
 *             thread and xenstore connection
 *   log.c     timestamped one-line events on stderr (the device's log file):
 *             control characters neutralised, guest-triggered kinds
 *             rate-limited, the file kept under a size cap (rotation)
 *
 * Calls go one way: main.c -> control.c -> xenbus.c -> publish.c -> io.c -> persist.c,
 * request.c, journal.c; every file logs through log.c, and io.c's request
 * path passes through crash.c's points.  Each section below lists what
 * the file it names defines.
 */
#ifndef XBDEV_BLKBACK_H
#define XBDEV_BLKBACK_H

#include <liburing.h>
#include <signal.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <xenevtchn.h>
#include <xengnttab.h>

#include "journal.h"
#include "request.h"
#include "xbdev.h"

#define BLK_BACKEND_TYPE "xbdev-vbd"
#define BLK_FRONTEND_CLASS "vbd"

/* Requests taken from one ring per wake-up before the other fds (xenstore,
 * other queues, completions) get a turn: a guest flooding its event channel
 * or ring cannot starve the rest (XSA-332). */
#define BLK_BUDGET 64u

/* Bounce buffers in flight per device.  Without a bound a hostile guest
 * could make us allocate queues x ring size x 1 MiB (2 GiB); past this we
 * stop taking requests until completions free memory (the requests wait
 * on the ring, the frontend just sees a slower disk). */
#define BLK_MAX_BUF_BYTES (64u << 20)

/* Persistent grants mapped per queue at most (persist.c), as Linux
 * blkback's max_persistent_grants: a 32-slot ring of 32-segment indirect
 * requests, 32 x (32 + 1). */
#define BLK_MAX_PGRANTS 1056u

/* Keys of the info/ record (xenbus.c), and the least time between the end
 * of one publish and the start of the next. */
#define BLK_PUB_NKEYS 41u      /* the KV lines of publish.c's pub_values */
#define BLK_PUB_INTERVAL_MS 1000

/* The log (log.c): its size cap unless XBDEV_BLKBACK_LOG_MAX says
 * otherwise (never below the minimum), and the token bucket of each kind of
 * line a guest can trigger: a burst, then one line per refill period. */
#define BLK_LOG_MAX_DEFAULT (1u << 20)
#define BLK_LOG_MAX_MIN 4096u
#define BLK_RL_BURST 10u
#define BLK_RL_REFILL_MS 6000

/* The least time between two connect attempts: a frontend writing
 * Initialised in a loop costs one attempt a second (xenbus.c). */
#define BLK_CONNECT_GAP_MS 1000

/* Kinds of log lines a guest can cause at will, each with its bucket. */
enum blk_log_kind {
	BLK_LOG_STATE,          /* state changes the frontend drives */
	BLK_LOG_CONNECT,        /* a connect refused: bad rings, protocol */
	BLK_LOG_NODE,           /* a malformed node (libxbdev's warnings) */
	BLK_LOG_KINDS
};

struct blk_rl {
	bool primed;            /* tokens valid (zero-initialised: full) */
	unsigned tokens;
	int64_t refill_ms;      /* when the last token was added */
	unsigned suppressed;    /* lines refused since the last one let by */
};

/* Watch tokens (xenbus.c), as bits of what fired during one wake-up. */
#define BLK_EV_BE 1u            /* our backend directory */
#define BLK_EV_FE 2u            /* the frontend's state node */
#define BLK_EV_REL 4u           /* @releaseDomain */
#define BLK_EV_CTL 8u           /* our record's ctl/request (control.c) */

/* Our backend directory as last read (xenbus.c, read_backend). */
struct blk_be_seen {
	bool valid;
	enum xbdev_state at;            /* our state when it was read */
	unsigned long online;
	int state_err;                  /* reading the state node */
	enum xbdev_state state;         /* the state node */
};

/* The I/O limits (limit.c): a token bucket each for read and write
 * requests and bytes. */
enum { BLK_LIM_RIOPS, BLK_LIM_WIOPS, BLK_LIM_RBPS, BLK_LIM_WBPS,
       BLK_LIM_BUCKETS };
#define BLK_LIM_MIN_BURST_MS 5u
#define BLK_LIM_BATCH_MS 20   /* the longest least wait (limit.c) */

struct blk_bucket {
	double rate;            /* tokens a ms, 0: no limit */
	double cap;             /* rate x burst */
	double tokens;          /* below 0 after an oversize request */
	int64_t at_ms;          /* last refill */
};

struct blk_limiter {
	bool on;                /* any rate set: io.c's one test when off */
	struct xbdev_limit spec;
	struct blk_bucket b[BLK_LIM_BUCKETS];
	int64_t batch_ms;       /* the least wait: a quarter of the burst,
				   at most BLK_LIM_BATCH_MS */
	int64_t due_ms;         /* a held request may go then, 0: none */
	uint64_t held;          /* requests that had to wait */
	uint64_t held_ms;       /* their waits, summed over the queues */
};

struct blk_dev;
struct blk_pcache;
struct iovec;

struct blk_queue {
	struct blk_dev *dev;
	unsigned idx;
	unsigned ring_pages;
	uint32_t ring_ref[BLK_MAX_RING_PAGES];
	void *ring_mem;                 /* mapped shared ring, or NULL */
	struct blk_ring ring;
	uint32_t remote_port;
	int local_port;                 /* -1 when not bound */
	unsigned inflight;              /* taken, not yet answered */
	bool kick;                      /* event or leftover work */
	bool need_push;                 /* responses queued, not pushed */
	bool must_notify;               /* at the next push, whatever
					   rsp_event says: a replacement (the
					   dead process may have published
					   and died before notifying) */
	struct blk_pcache *pc;          /* persistent grants, or NULL */
	/* A request taken from the ring that the limits hold back (limit.c):
	 * its slot still owes a response, the guest sees a slower disk. */
	bool held;
	struct blk_req held_req;
	int held_jent;                  /* its journal entry */
	int64_t held_since;
	/* The ring's journal (journal.h), or NULL: none kept.  Owned by the
	 * caller that opened it; io.c only records in it. */
	struct blk_journal *jn;
};

struct blk_stats {
	uint64_t requests, reads, writes, flushes, discards, indirect;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;                /* error/EOPNOTSUPP responses */
	uint64_t io_errors;             /* of which: backing file errors */
	uint64_t grant_errors;          /* of which: grant copy failures */
	uint64_t map_failures;          /* gntdev maps that failed (rings,
					   persistent grants) */
	uint64_t cached;                /* reads/writes copied straight to or
					   from the page cache */
	uint64_t persistent;            /* reads/writes through persistent
					   grants */
};

struct blk_dev {
	struct xbdev *xs;
	xengnttab_handle *xgt;
	xenevtchn_handle *xce;
	int evtchn_fd;
	struct io_uring uring;
	bool uring_ok;

	unsigned be_domid, fe_domid, devid;
	char be_path[XBDEV_PATH_MAX];
	char fe_path[XBDEV_PATH_MAX];
	char record_path[XBDEV_PATH_MAX];
	char tag[64];                   /* "vbd-<fe>-<devid>" for the log */
	char be_type[XBDEV_NAME_MAX + 1];
	/* A disk of an xl config (backend type vbd or vbd3, xbdevd started
	 * us): libxl owns both directories, waits for our InitWait before it
	 * runs the hotplug script, and learns from us whether we serve it
	 * (XBDEV_BE_STATUS, hotplug-error). */
	bool libxl;
	char why[256];                  /* why we cannot serve it, or "" */

	/* backing store */
	char *params;
	int fd;
	bool readonly, cdrom, removable, direct;
	bool trusted;           /* our directory passed read_config's checks */
	uint64_t sectors;               /* 512-byte units */
	uint64_t size;                  /* bytes */
	unsigned sector_size, phys_sector_size;
	bool discard;
	unsigned discard_granularity;
	uint8_t *map;                   /* the store mapped shared (io.c), or
					   NULL: O_DIRECT, or mmap failed */
	struct blk_limits lim;
	int64_t resized_at;             /* unix time of the last resize, or 0 */
	uint64_t resized_from;          /* d->size before it (bytes) */

	/* negotiated */
	enum xbdev_state state;         /* what we last wrote */
	enum blk_abi abi;
	unsigned nr_queues;             /* 0 when disconnected */
	unsigned max_queues;
	unsigned ring_pages;
	bool fe_persistent;
	bool offer_persistent;          /* unless XBDEV_BLKBACK_PERSISTENT=0 */
	bool persistent;                /* negotiated: q[].pc in use */
	unsigned max_pgrants;           /* per queue, XBDEV_BLKBACK_MAX_PGRANTS
					   (0: BLK_MAX_PGRANTS) */
	unsigned pgrants_peak;          /* most mapped at once, all queues,
					   since we started */
	int map_errno;                  /* the last failed map's, or 0 */
	struct blk_queue q[BLK_MAX_QUEUES];
	unsigned inflight;              /* over all queues */
	size_t buf_bytes;               /* bounce buffers allocated */
	size_t max_buf_bytes;           /* BLK_MAX_BUF_BYTES */
	bool throttled;                 /* hit max_buf_bytes */
	struct blk_limiter limiter;     /* I/O limits (limit.c) */
	bool buf_freed;                 /* since the last blk_io_idle */
	bool closing;                   /* toolstack asked us to close */
	bool failed;                    /* we closed the device on an error
					   (blk_xb_fail) since the last
					   connect: no renew */
	int64_t renew_at;               /* xbdev_now_ms() when to renew the
					   frontend directory, 0: not due */
	int64_t connect_at;             /* no connect attempt before */
	int64_t reeval_at;              /* look at the states again then (a
					   connect put off), 0: not due */
	struct blk_be_seen be_seen;
	bool ctl_due;                   /* ctl/request fired: blk_ctl_run */
	bool exit;                      /* leave the main loop */
	int exit_code;

	struct blk_stats st;
	char *pub[BLK_PUB_NKEYS];       /* info/ values last committed */
	bool info_dirty;
	int64_t info_next_ms;

	struct blk_rl rl[BLK_LOG_KINDS];
};

/* log.c */
void blk_log(struct blk_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* A line the guest can cause: rate-limited per kind; the first line let by
 * after a refusal is preceded by "N similar lines suppressed".  Anything
 * the guest wrote must be passed through xbdev_escape() first. */
void blk_log_guest(struct blk_dev *d, enum blk_log_kind kind,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The suppressed-line counts not yet reported (at exit). */
void blk_log_flush(struct blk_dev *d);
/* libxbdev's lines (warnings about malformed nodes): kind BLK_LOG_NODE. */
void blk_lib_log(void *data, int prio, const char *fmt, va_list ap);
/* Token bucket: true when a line may be logged now; *suppressed: how many
 * were refused since the last one let by (reset). */
bool blk_rl_allow(struct blk_rl *rl, int64_t now_ms, unsigned *suppressed);
/* The cap in bytes: XBDEV_BLKBACK_LOG_MAX (at least BLK_LOG_MAX_MIN), by
 * default BLK_LOG_MAX_DEFAULT. */
size_t blk_log_cap(const char *env);
/* stderr past the cap: rename the file to <name>.1 (replacing it), reopen
 * <name> onto fds 1 and 2; truncate when that cannot be done.  Called after
 * every line; exposed for the unit test. */
void blk_log_bound(size_t cap);

/* io.c */
int blk_io_init(struct blk_dev *d);
void blk_io_fini(struct blk_dev *d);
/* Take and start up to BLK_BUDGET requests from q.  -EPROTO: the frontend
 * broke the ring protocol, the device must go Closed. */
int blk_io_queue_work(struct blk_queue *q);
/* Reap completions (non-blocking), finish requests, queue responses. */
void blk_io_reap(struct blk_dev *d);
/* Submit queued SQEs, publish responses and notify frontends. */
void blk_io_flush(struct blk_dev *d);
/* Wait for every in-flight request to finish (bounded by timeout_ms). */
void blk_io_drain(struct blk_dev *d, int timeout_ms);
/* Nothing in flight: give freed bounce buffers back to the system (called
 * with the once-a-second publish). */
void blk_io_idle(struct blk_dev *d);
const char *blk_data_path(const struct blk_dev *d);
/* Map the open store for the page-cache path (not with O_DIRECT). */
int blk_io_map(struct blk_dev *d);
void blk_io_unmap(struct blk_dev *d);
/* The store is now size bytes (d->size still the old): the mapping follows
 * (an error leaves none: the bounce-buffer path).  Main thread, between
 * wake-ups. */
int blk_io_resize(struct blk_dev *d, uint64_t size);

/* The limits (request `limit` of control.c): arg "" reports them, else
 * a spec (lib/limit.c) replaces them, kept in the record for a restart. */
int blk_io_limit_op(struct blk_dev *d, const char *arg, char *msg, size_t len);
/* d->limiter.due_ms passed: let the held requests try again. */
void blk_io_limit_due(struct blk_dev *d);

/* Take over q's ring from its journal q->jn (just opened with
 * blk_jn_open, the ring attached): the ring's private indices from it, then
 * what the dead process left: answered requests published, completed ones
 * answered with their status, taken ones executed again; q kicked (the
 * dead process's notifications are lost) and due to notify: the caller
 * goes on with its loop (blk_io_queue_work, blk_io_flush publishes).  The
 * dead process's I/O must be finished before (journal.h).  -ESTALE: not
 * this ring's journal. */
int blk_io_resume(struct blk_queue *q);

/* crash.c: crash points (issue 14), in the order a request meets them. */
enum blk_crash_point {
	BLK_CRASH_TAKEN,        /* a request taken and journalled */
	BLK_CRASH_SUBMITTED,    /* SQEs handed to the kernel */
	BLK_CRASH_COMPLETED,    /* a request's status journalled */
	BLK_CRASH_RESPONDED,    /* its response written into the ring */
	BLK_CRASH_PUBLISH,      /* before rsp_prod is published */
	BLK_CRASH_PUBLISHED,    /* rsp_prod stored, not yet journalled */
	BLK_CRASH_GC_BATCH,     /* half of a grant-copy batch's requests
				   gone on, the rest not */
	BLK_CRASH_POINTS
};
extern bool blk_crash_armed;
/* spec: XBDEV_CRASH_AT's value, "POINT[:N]" (die on the Nth pass, N >= 1,
 * default 1); NULL or "" disarms.  -EINVAL (disarmed) when unknown. */
int blk_crash_init(const char *spec);
const char *blk_crash_name(enum blk_crash_point p);
void blk_crash_pass(enum blk_crash_point p);
#define BLK_CRASH(p)                                                          \
	do {                                                                  \
		if (__builtin_expect(blk_crash_armed, 0))                     \
			blk_crash_pass(p);                                    \
	} while (0)

/* limit.c: token buckets on the caller's clock. */
void blk_limiter_set(struct blk_limiter *l, const struct xbdev_limit *spec,
		     int64_t now_ms);
/* 0: a request (write or read, of bytes) may go now and was counted;
 * else the ms until it may (nothing counted), at least l->batch_ms. */
int64_t blk_limiter_admit(struct blk_limiter *l, bool write, uint64_t bytes,
			  int64_t now_ms);
/* What req costs: true for the write direction; *bytes its data. */
bool blk_limit_cost(const struct blk_req *req, uint64_t *bytes);

/* persist.c: the persistent grants of one queue (q->pc). */
int blk_pc_open(struct blk_queue *q);
void blk_pc_close(struct blk_dev *d, struct blk_queue *q);
unsigned blk_pc_count(const struct blk_queue *q);
/* Mapped now over all queues; the cap of one queue (d->max_pgrants). */
unsigned blk_pc_total(const struct blk_dev *d);
unsigned blk_pc_max(const struct blk_dev *d);
/* XBDEV_BLKBACK_MAX_PGRANTS: 1..BLK_MAX_PGRANTS lowers the cap, anything
 * else (unset, 0, higher, not a number) leaves it at BLK_MAX_PGRANTS. */
unsigned blk_pc_cap(const char *env);
/* A gntdev map (ring or persistent grant) failed with errno err: counted
 * for info/map-failures and map-last-error. */
void blk_map_failed(struct blk_dev *d, int err);
/* iov[k] = our mapping of segs[k] (mapping grants not seen yet while the
 * queue has room); -ENOSPC when one cannot be mapped: use grant copy. */
int blk_pc_iov(struct blk_dev *d, struct blk_queue *q,
	       const struct blk_seg *segs, unsigned n, struct iovec *iov);

/* control.c: a request is due (d->ctl_due): take it, run it, answer it. */
void blk_ctl_run(struct blk_dev *d);
/* Run request op (exposed for the unit test): 0 or -errno, msg a line. */
int blk_ctl_dispatch(struct blk_dev *d, const char *op, const char *arg,
		     char *msg, size_t len);

/* xenbus.c */
int blk_xb_init(struct blk_dev *d, const char *be_path);
/* The sector sizes offered (exposed for the unit test; open_backing calls
 * it): from d->size and the image's own d->sector_size, phys_sector_size
 * and the record's sector-size, physical-sector-size (attach --sector-size,
 * --physical-sector-size), d->sector_size, phys_sector_size and
 * discard_granularity as the guest is told them.  0, or -EINVAL (logged,
 * d->why set) when the record asks for what the image cannot be. */
int blk_sector_sizes(struct blk_dev *d);
/* d->lim, what the validator checks every request against, from the
 * device as offered (its size, logical sector size, read-only, discard). */
void blk_limits_set(struct blk_dev *d);
int blk_xb_probe(struct blk_dev *d);
int blk_xb_watch(struct blk_dev *d);
/* Drain the pending watch events (at most max), note which tokens fired,
 * then act once: whatever the number of events, the states are read and
 * evaluated at most once per call. */
void blk_xb_watches(struct blk_dev *d, unsigned max);
/* What the given BLK_EV_* bits call for (one evaluation). */
void blk_xb_events(struct blk_dev *d, unsigned fired);
/* A connect put off by BLK_CONNECT_GAP_MS is due (d->reeval_at). */
void blk_xb_reevaluate(struct blk_dev *d);
/* Orderly close (signal): drain, sync, Closed. */
void blk_xb_shutdown(struct blk_dev *d, const char *why);
/* The frontend broke the protocol: log, disconnect, go Closed. */
void blk_xb_fail(struct blk_dev *d, const char *why);
/* Give a frontend left Closed by its driver a fresh directory (due when
 * d->renew_at passed; see lib/renew.c). */
void blk_xb_renew(struct blk_dev *d);
/* A libxl disk (d->libxl) we could not start serving: InitWait with the
 * reason in hotplug-error and XBDEV_BE_STATUS "error" (the hotplug script
 * fails the device with it), then Closed when libxl closes the device. */
int blk_xb_refuse(struct blk_dev *d);
void blk_xb_fini(struct blk_dev *d);
/* The ctl/ request "resize" (control.c): arg "follow", "N" or "+N" bytes,
 * then " force" to allow a smaller size; see xenbus.c. */
int blk_xb_resize(struct blk_dev *d, const char *arg, char *msg, size_t len);

/* publish.c: the info/ record.  blk_xb_publish(d, false) is the periodic
 * one (handed to the publisher thread once started), force publishes now,
 * in the caller's thread.  Either writes only the keys whose value changed
 * since the last committed publish. */
void blk_xb_publish(struct blk_dev *d, bool force);
int blk_pub_start(struct blk_dev *d);
void blk_pub_stop(struct blk_dev *d);

#endif
