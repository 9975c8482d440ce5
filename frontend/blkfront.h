/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xbdev-blkfront: a userspace blkif frontend.
 *
 * The library half of frontend/: negotiation with a block backend over
 * xenstore (through lib/xbdev.h only), rings and data pages shared with
 * libxengnttab's gntshr API, event channels from libxenevtchn, and the
 * request building, pattern and statistics helpers the three modes
 * (verify, bench, hostile) are made of.
 *
 * The pure helpers (xbf_build_*, xbf_pattern_*, xbf_hist_*, xbf_parse_*)
 * touch no Xen interface and are unit-tested and fuzzed without Xen.
 *
 * Functions return 0 / -errno like libxbdev.  Only the mode drivers print,
 * and only to the FILE they are given.
 */
#ifndef XBDEV_BLKFRONT_H
#define XBDEV_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/*
 * ring.h leaves the barriers to its includer.  The frontend is the
 * producer of requests and the consumer of responses:
 *  - xen_wmb: request contents are visible before req_prod moves;
 *  - xen_rmb: rsp_prod is read before the responses it covers;
 *  - xen_mb:  req_prod/rsp_event are visible before we read
 *             req_event/rsp_prod again (notification hold-off).
 * The acquire/release fences are at least as strong as rmb/wmb.
 */
#include <xen/xen-compat.h>
#if __XEN_INTERFACE_VERSION__ < 0x00030208
/* ring.h maps xen_*mb() onto these */
#define mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#else
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include <xen/io/blkif.h>

#define XBF_PAGE_SIZE      4096u
#define XBF_SECTOR_SIZE    512u
#define XBF_SECTS_PER_PAGE (XBF_PAGE_SIZE / XBF_SECTOR_SIZE)
/* Segments one indirect page holds (4096 / 8). */
#define XBF_SEGS_PER_INDIRECT_PAGE \
	(XBF_PAGE_SIZE / sizeof(struct blkif_request_segment))
/* The largest request this frontend builds: 1 MiB = 256 pages. */
#define XBF_MAX_REQ_PAGES  256u
#define XBF_MAX_RING_ORDER 4u       /* 16 pages, Linux blkback's limit */
#define XBF_MAX_QUEUES     16u

/* ---- pure helpers: request building (req.c) ----------------------------- */

/*
 * Describe a transfer of nsect 512-byte sectors whose data starts
 * first_off sectors into the first of the pages whose grant references
 * are refs[].  Fills segs[] (one per page touched, first_sect/last_sect
 * inclusive) and returns the number of segments, or -EINVAL when nsect is
 * 0, first_off >= 8, or more than max_segs segments would be needed.
 */
int xbf_build_segments(const grant_ref_t *refs, unsigned nrefs,
		       unsigned first_off, uint64_t nsect,
		       struct blkif_request_segment *segs, unsigned max_segs);

/* Pages needed for a transfer of nsect sectors starting first_off sectors
 * into a page; indirect pages needed for nseg segments. */
unsigned xbf_pages_for(unsigned first_off, uint64_t nsect);
unsigned xbf_indirect_pages_for(unsigned nseg);

/* A direct read/write request (nseg <= 11). */
int xbf_build_rw(struct blkif_request *req, uint8_t op, uint16_t handle,
		 uint64_t id, uint64_t sector,
		 const struct blkif_request_segment *segs, unsigned nseg);
/* An indirect read/write: segs are written into the indirect pages
 * (ind_pages[i] is the mapping of the page granted as ind_refs[i]). */
int xbf_build_indirect(struct blkif_request_indirect *req, uint8_t op,
		       uint16_t handle, uint64_t id, uint64_t sector,
		       const struct blkif_request_segment *segs, unsigned nseg,
		       void *const *ind_pages, const grant_ref_t *ind_refs,
		       unsigned n_ind);
void xbf_build_discard(struct blkif_request_discard *req, uint16_t handle,
		       uint64_t id, uint64_t sector, uint64_t nsect,
		       bool secure);
void xbf_build_flush(struct blkif_request *req, uint8_t op, uint16_t handle,
		     uint64_t id);

/* Sum of the sectors the segments describe. */
uint64_t xbf_segments_sectors(const struct blkif_request_segment *segs,
			      unsigned nseg);

/* ---- pure helpers: data patterns (pattern.c) ----------------------------- */

/*
 * Every 512-byte sector written by verify carries a header naming itself:
 * magic, the device sector it was written to, a generation, a seed; the
 * rest is a xorshift stream of (sector, generation, seed).  A misdirected
 * write, a stale sector and a torn sector can be told apart.
 */
#define XBF_PATTERN_MAGIC 0x78626466726f6e74ULL  /* "xbdfront" */

struct xbf_sector_hdr {
	uint64_t magic;
	uint64_t sector;
	uint32_t gen;
	uint32_t seed;
};

void xbf_pattern_fill(void *buf, uint64_t sector, uint64_t nsect,
		      uint32_t gen, uint32_t seed);

/* What a mismatching sector holds instead. */
struct xbf_mismatch {
	uint64_t sector;       /* device sector checked */
	unsigned offset;       /* first differing byte within the sector */
	bool has_hdr;          /* the sector holds some pattern header */
	uint64_t found_sector; /* ... written for this sector */
	uint32_t found_gen;    /* ... in this generation */
};

/* Returns the number of mismatching sectors (0 = all good) and describes
 * up to max of them in mm[]. */
uint64_t xbf_pattern_check(const void *buf, uint64_t sector, uint64_t nsect,
			   uint32_t gen, uint32_t seed,
			   struct xbf_mismatch *mm, unsigned max);

/* ---- pure helpers: parsing (parse.c) ------------------------------------ */

/* "4096", "4k", "1M", "2G" (powers of 1024); strict, max bounded. */
int xbf_parse_size(const char *s, uint64_t max, uint64_t *out);
/* A boolean feature node: "0" or "1" (anything else -EINVAL). */
int xbf_parse_bool(const char *s, bool *out);
/* "native", "x86_32-abi", "x86_64-abi", "arm-abi": 0 = matches this
 * build's native ABI, -EPROTONOSUPPORT = a known other ABI, -EINVAL. */
int xbf_parse_protocol(const char *s);

/* The backend's properties, from its xenstore nodes. */
struct xbf_backend_info {
	/* at InitWait */
	unsigned max_ring_order;
	unsigned max_queues;
	unsigned max_indirect_segs;  /* 0 = no indirect */
	/* at Connected */
	uint64_t sectors;            /* 512-byte units */
	unsigned sector_size;
	unsigned physical_sector_size;
	unsigned info;               /* VDISK_* */
	bool flush, barrier, discard, discard_secure, persistent;
	unsigned discard_granularity, discard_alignment;
};

/*
 * Parse one backend node into info.  The backend may be hostile too, so
 * every value is strictly parsed and bounded; unknown keys are ignored.
 * A NULL value means "absent" and sets the protocol default.
 */
int xbf_parse_backend_node(struct xbf_backend_info *info, const char *key,
			   const char *value);

/* ---- pure helpers: latency histogram (stats.c) -------------------------- */

/* Log-linear buckets: 16 sub-buckets per power of two of nanoseconds. */
#define XBF_HIST_SUB     16u
#define XBF_HIST_BUCKETS (64u * XBF_HIST_SUB)
struct xbf_hist {
	uint64_t count;
	uint64_t min_ns, max_ns;
	double sum_ns;
	uint64_t bucket[XBF_HIST_BUCKETS];
};
void xbf_hist_init(struct xbf_hist *h);
void xbf_hist_add(struct xbf_hist *h, uint64_t ns);
void xbf_hist_merge(struct xbf_hist *dst, const struct xbf_hist *src);
/* Value at percentile p (0..100); an upper bound within 1/16 of it. */
uint64_t xbf_hist_percentile(const struct xbf_hist *h, double p);
unsigned xbf_hist_bucket(uint64_t ns);
uint64_t xbf_hist_bucket_upper(unsigned b);
/* CLOCK_MONOTONIC in nanoseconds. */
int64_t xbf_now_ns(void);

/* ---- the connection (conn.c) -------------------------------------------- */

struct xbdev;
struct xbf_dev;

struct xbf_opts {
	const char *fe_path;     /* frontend dir, or NULL: from domid+devid */
	unsigned devid;
	int domid;               /* -1: find out */
	unsigned ring_order;     /* wanted; clamped to the backend's max */
	unsigned queues;         /* wanted; clamped to the backend's max */
	bool indirect;           /* use indirect requests when offered */
	bool persistent;         /* publish feature-persistent=1 */
	bool unbind;             /* unbind a kernel driver bound to the vbd */
	bool exact;              /* no clamping: publish what was asked */
	unsigned slots;          /* in-flight requests per queue (0: auto) */
	unsigned slot_pages;     /* data pages per slot (0: auto) */
	unsigned timeout_ms;     /* per state change (default 20000) */
	/*
	 * Raw values to publish instead of the real ones (hostile mode).
	 * NULL = the real value; "" = do not write the node.
	 */
	const char *ov_ring_order, *ov_num_queues, *ov_protocol,
		   *ov_ring_ref, *ov_event_channel;
	bool ov_no_state;        /* publish the nodes but not state=3 */
	FILE *log;               /* progress/diagnostics, or NULL */
	int verbose;
};
void xbf_opts_default(struct xbf_opts *o);

/* One in-flight request's private resources. */
struct xbf_slot {
	unsigned idx;
	bool busy;
	uint32_t gen;            /* bumped each use; part of the request id */
	uint8_t op;
	uint64_t sector, nsect;
	unsigned first_off;
	int64_t t_submit_ns;
	int16_t status;
	void *data;              /* slot_pages mapped pages */
	grant_ref_t *refs;
	void *ind;               /* indirect pages */
	grant_ref_t *ind_refs;
	unsigned n_ind;
	void *user;
};

struct xbf_queue {
	unsigned idx;
	blkif_front_ring_t ring;
	void *sring;             /* the shared pages */
	unsigned ring_pages;
	grant_ref_t ring_refs[1u << XBF_MAX_RING_ORDER];
	uint32_t port;           /* local event channel port */
	struct xbf_slot *slots;
	unsigned nslots, nbusy;
	void *pool;              /* one gntshr mapping: data + indirect pages */
	unsigned pool_pages;
	uint64_t submitted, completed, errors, bogus;
};

enum xbf_event {
	XBF_EV_RESPONSE = 1,     /* a slot completed */
	XBF_EV_TIMEOUT,
	XBF_EV_BACKEND_STATE,    /* the backend left Connected */
};

struct xbf_dev {
	struct xbdev *xs;
	void *xce;               /* xenevtchn_handle */
	void *xgs;               /* xengntshr_handle */
	unsigned self, be_domid, devid;
	char fe_path[256];
	char be_path[256];
	struct xbf_opts opts;
	struct xbf_backend_info be;
	unsigned ring_order, nqueues;
	unsigned max_segs;       /* per request: 11 or indirect max */
	bool use_indirect, use_persistent;
	uint16_t handle;
	struct xbf_queue q[XBF_MAX_QUEUES];
	int be_state, fe_state;
	int found_state;         /* the frontend state xbf_open() found */
	bool connected;
	bool be_gone;            /* the backend closed under us */
	bool watching;
};

/* What xbf_open was doing when it failed, for the caller's message. */
enum xbf_open_step {
	XBF_OPEN_XENSTORE,       /* connecting to xenstore */
	XBF_OPEN_DOMID,          /* finding this domain's id */
	XBF_OPEN_DEVICE,         /* reading the device's frontend nodes */
	XBF_OPEN_KERNEL,         /* a kernel driver owns it (or --unbind) */
	XBF_OPEN_XEN,            /* opening the event channel and grant
				  * devices */
};
/* Open the handles, find the device, check no kernel driver owns it.  On
 * failure *step (may be NULL) says where. */
int xbf_open(struct xbf_dev **out, const struct xbf_opts *o,
	     enum xbf_open_step *step);
/* For xbf_open's error r at step: its one-line reason into buf, and the
 * exit status (4 only for a device that is not there: without xenstore,
 * or without this domain's id, nothing was looked for; 1 otherwise). */
int xbf_open_error(int r, enum xbf_open_step step, char *buf, size_t len);
void xbf_free(struct xbf_dev *d);
/* Wait for InitWait, read limits, allocate rings and pools, publish, go to
 * Initialised.  Does not wait for Connected. */
int xbf_initialise(struct xbf_dev *d);
/* Wait for the backend's Connected, read its properties, go Connected. */
int xbf_wait_connected(struct xbf_dev *d);
/* xbf_initialise + xbf_wait_connected. */
int xbf_connect(struct xbf_dev *d);
/* Closing -> Closed handshake, then free rings/pools/ports (requests
 * still in flight are lost: xbf_drain() first to complete them). */
int xbf_disconnect(struct xbf_dev *d);
/* Free rings, pools and ports without any handshake (after a failed or
 * hostile connect, when the backend is already Closed). */
void xbf_release(struct xbf_dev *d);
/* Make a Closed device Initialising again so the backend re-probes. */
int xbf_reset(struct xbf_dev *d);
/* Read the backend's state (and note it in d->be_state). */
int xbf_backend_state(struct xbf_dev *d);
const char *xbf_strerror(int err);

/* ---- I/O (io.c) --------------------------------------------------------- */

/* A free slot on queue q, or NULL. */
struct xbf_slot *xbf_slot_get(struct xbf_queue *q);
/*
 * Queue a read/write of nsect sectors at sector, data at slot->data +
 * first_off sectors (direct when it fits in 11 segments and indirect is
 * not forced, else indirect).  Not pushed until xbf_push().
 */
int xbf_queue_rw(struct xbf_dev *d, struct xbf_queue *q,
		 struct xbf_slot *s, uint8_t op, uint64_t sector,
		 uint64_t nsect, unsigned first_off, bool force_indirect);
int xbf_queue_flush(struct xbf_dev *d, struct xbf_queue *q,
		    struct xbf_slot *s, uint8_t op);
int xbf_queue_discard(struct xbf_dev *d, struct xbf_queue *q,
		      struct xbf_slot *s, uint64_t sector, uint64_t nsect);
/* Queue a raw request (hostile): copied as is into the next ring entry;
 * with a slot, the slot's id is patched in (offset 8 in every type). */
int xbf_queue_raw(struct xbf_queue *q, struct xbf_slot *s,
		  const void *req, size_t len);
/*
 * The request id carried by slot s of queue q: bits 0-15 the slot index,
 * 16-47 the slot's generation, 48-63 the queue index.  A response is taken
 * only when all three match a busy slot of the queue it arrived on.
 */
uint64_t xbf_slot_id(const struct xbf_queue *q, const struct xbf_slot *s);
/* Publish queued requests; notify the backend when it asked to be. */
int xbf_push(struct xbf_dev *d, struct xbf_queue *q);
int xbf_notify(struct xbf_dev *d, struct xbf_queue *q);
/*
 * Wait (up to timeout_ms; -1 forever, 0 poll) for completions on any
 * queue; for each completed slot call done(d, q, slot, arg) after marking
 * it free.  Returns the number of completions, 0 on timeout, or -errno
 * (-ENOTCONN when the backend left Connected).
 */
typedef void (*xbf_done_fn)(struct xbf_dev *d, struct xbf_queue *q,
			    struct xbf_slot *s, void *arg);
int xbf_poll(struct xbf_dev *d, int timeout_ms, xbf_done_fn done, void *arg);
/*
 * Keep up to depth requests in flight on every queue: gen() queues one
 * request into slot s of q and returns 1, or 0 when there is no more work,
 * or -errno.  Returns when all work is done, -ETIMEDOUT when nothing
 * completed for stall_ms, or the first error.
 */
typedef int (*xbf_gen_fn)(struct xbf_dev *d, struct xbf_queue *q,
			  struct xbf_slot *s, void *arg);
int xbf_run(struct xbf_dev *d, unsigned depth, xbf_gen_fn gen,
	    xbf_done_fn done, void *arg, int stall_ms);
/*
 * Poll until slot s (pushed) has its response, or until end_ns
 * (xbf_now_ns() time).  Returns 0 (s->status holds the response's
 * status), -ETIMEDOUT, or xbf_poll()'s error (-ENOTCONN when the backend
 * left Connected).
 */
int xbf_wait_slot(struct xbf_dev *d, const struct xbf_slot *s, int64_t end_ns);
/* Synchronous helper: submit one rw on queue 0 and wait for it. */
int xbf_rw_sync(struct xbf_dev *d, uint8_t op, uint64_t sector,
		uint64_t nsect, void *buf, bool force_indirect,
		int timeout_ms, int16_t *status);
/* Poll until no request is in flight on any queue (up to timeout_ms, or
 * until polling fails): before xbf_disconnect(), so that what was
 * submitted completes. */
void xbf_drain(struct xbf_dev *d, int timeout_ms);

/* ---- modes -------------------------------------------------------------- */

struct xbf_verify_opts {
	uint64_t start, length;  /* sectors; length 0 = to the end */
	uint32_t seed;
	unsigned passes;
	bool no_discard, no_flush;
	bool read_only;          /* only read (for read-only devices) */
	unsigned max_report;
};
int xbf_verify(struct xbf_dev *d, const struct xbf_verify_opts *vo, FILE *out);

struct xbf_bench_opts {
	bool write, random, mixed;   /* mixed: 50/50 read/write */
	unsigned rwmix_read;         /* % reads when mixed */
	uint64_t bs;                 /* bytes, multiple of 512 */
	unsigned iodepth;            /* per queue */
	unsigned runtime_s;
	uint64_t start, length;      /* region, sectors (0 = whole device) */
	bool json;
	uint32_t seed;
};
int xbf_bench(struct xbf_dev *d, const struct xbf_bench_opts *bo, FILE *out);

struct xbf_hostile_opts {
	const char *only;            /* comma-separated attack names or NULL */
	uint64_t range_start, range_len;  /* the sectors attacks may touch */
	bool list;
	unsigned timeout_ms;         /* per response (default 5000) */
};
/* Runs against a device that is NOT yet connected (xbf_open'ed only). */
int xbf_hostile(struct xbf_dev *d, const struct xbf_hostile_opts *ho,
		FILE *out);
/* Names of all attacks, NULL-terminated. */
const char *const *xbf_hostile_names(void);
/* 0 when only (--attack) names known attacks only ("all", empty or NULL:
 * every attack); -ENOENT with the first unknown name at only[*bad],
 * *bad_len bytes long (an empty one between two commas too). */
int xbf_hostile_check(const char *only, size_t *bad, size_t *bad_len);

#endif
