/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xbdev-blkback internals: one process serves one vbd (see main.c for why).
 *
 *   xenbus.c  the XenBus side: probe, feature advertisement, connect
 *             (map rings, bind event channels), disconnect, reconnect,
 *             detach/guest death, the info/ record
 *   io.c      the data path: ring -> validation -> grant copy to/from the
 *             page cache, or through a bounce buffer and io_uring -> response
 *   persist.c persistent grants: the guest pages a queue keeps mapped
 *   request.c pure decoding/validation (no Xen needed; unit-tested, fuzzed)
 *   publish.c the info/ record (counters for `xbdev status`), from its own
 *             thread and xenstore connection
 *   log.c     timestamped one-line events on stderr (the device's log file)
 */
#ifndef XBDEV_BLKBACK_H
#define XBDEV_BLKBACK_H

#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <xenevtchn.h>
#include <xengnttab.h>

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
#define BLK_PUB_NKEYS 30u
#define BLK_PUB_INTERVAL_MS 1000

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
	struct blk_pcache *pc;          /* persistent grants, or NULL */
};

struct blk_stats {
	uint64_t requests, reads, writes, flushes, discards, indirect;
	uint64_t bytes_read, bytes_written;
	uint64_t errors;                /* error/EOPNOTSUPP responses */
	uint64_t io_errors;             /* of which: backing file errors */
	uint64_t grant_errors;          /* of which: grant copy failures */
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

	/* backing store */
	char *params;
	int fd;
	bool readonly, cdrom, removable, direct;
	uint64_t sectors;               /* 512-byte units */
	uint64_t size;                  /* bytes */
	unsigned sector_size, phys_sector_size;
	bool discard;
	unsigned discard_granularity;
	uint8_t *map;                   /* the store mapped shared (io.c), or
					   NULL: O_DIRECT, or mmap failed */
	struct blk_limits lim;

	/* negotiated */
	enum xbdev_state state;         /* what we last wrote */
	enum blk_abi abi;
	unsigned nr_queues;             /* 0 when disconnected */
	unsigned max_queues;
	unsigned ring_pages;
	bool fe_persistent;
	bool offer_persistent;          /* unless XBDEV_BLKBACK_PERSISTENT=0 */
	bool persistent;                /* negotiated: q[].pc in use */
	struct blk_queue q[BLK_MAX_QUEUES];
	unsigned inflight;              /* over all queues */
	size_t buf_bytes;               /* bounce buffers allocated */
	size_t max_buf_bytes;           /* BLK_MAX_BUF_BYTES */
	bool throttled;                 /* hit max_buf_bytes */
	bool buf_freed;                 /* since the last blk_io_idle */
	bool closing;                   /* toolstack asked us to close */
	bool failed;                    /* we closed the device on an error
					   (blk_xb_fail) since the last
					   connect: no renew */
	int64_t renew_at;               /* xbdev_now_ms() when to renew the
					   frontend directory, 0: not due */
	bool exit;                      /* leave the main loop */
	int exit_code;

	struct blk_stats st;
	char *pub[BLK_PUB_NKEYS];       /* info/ values last committed */
	bool info_dirty;
	int64_t info_next_ms;
};

/* log.c */
void blk_log(struct blk_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void blk_lib_log(void *data, int prio, const char *fmt, va_list ap);

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
/* Map the open store for the page-cache path (not with O_DIRECT). */
int blk_io_map(struct blk_dev *d);
void blk_io_unmap(struct blk_dev *d);

/* persist.c: the persistent grants of one queue (q->pc). */
int blk_pc_open(struct blk_queue *q);
void blk_pc_close(struct blk_dev *d, struct blk_queue *q);
unsigned blk_pc_count(const struct blk_queue *q);
/* iov[k] = our mapping of segs[k] (mapping grants not seen yet while the
 * queue has room); -ENOSPC when one cannot be mapped: use grant copy. */
int blk_pc_iov(struct blk_dev *d, struct blk_queue *q,
	       const struct blk_seg *segs, unsigned n, struct iovec *iov);

/* xenbus.c */
int blk_xb_init(struct blk_dev *d, const char *be_path);
int blk_xb_probe(struct blk_dev *d);
int blk_xb_watch(struct blk_dev *d);
void blk_xb_event(struct blk_dev *d, const char *path, const char *token);
/* Orderly close (signal): drain, sync, Closed. */
void blk_xb_shutdown(struct blk_dev *d, const char *why);
/* The frontend broke the protocol: log, disconnect, go Closed. */
void blk_xb_fail(struct blk_dev *d, const char *why);
/* Give a frontend left Closed by its driver a fresh directory (due when
 * d->renew_at passed; see lib/renew.c). */
void blk_xb_renew(struct blk_dev *d);
const char *blk_data_path(const struct blk_dev *d);

/* publish.c: the info/ record.  blk_xb_publish(d, false) is the periodic
 * one (handed to the publisher thread once started), force writes every
 * key now, in the caller's thread. */
void blk_xb_publish(struct blk_dev *d, bool force);
int blk_pub_start(struct blk_dev *d);
void blk_pub_stop(struct blk_dev *d);
void blk_xb_fini(struct blk_dev *d);

#endif
