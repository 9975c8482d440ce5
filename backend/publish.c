// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The info/ record: what the backend negotiated and its counters, under
 * xbdev's dom0-only record (/xbdev/<fe>/vbd/<devid>/info/), at most once a
 * second, for `xbdev status`.
 *
 * Every xenstore operation is a synchronous round trip to xenstored, which
 * competes with us for dom0's CPUs: on a busy xenstored a publish took
 * long enough that, done from the data path, it left the rings alone for
 * most of each second (figures in tests/bench/README.md).  So the
 * periodic publish runs in its own thread with its
 * own xenstore connection: the data path only formats the values (a
 * snapshot, no lock held across I/O) and hands them over; when the thread
 * is still busy with the previous one, that second is skipped.  Forced
 * publishes (start, state changes, exit) are synchronous, in the caller's
 * thread, after any hand-over in progress.  Under load only a few counters
 * change, so only keys whose value differs from the last committed publish
 * are written (a handful of operations a second instead of ~30); forced
 * ones too, so that a frontend cycling through connect failures costs the
 * state key, not the whole record (everything is written again only after
 * a failed publish, or when the record came back).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "blkback.h"

/* One publish: the info/ keys, in the order written, with their values. */
struct pub_arg {
	bool gone;                      /* the record does not exist */
	const char *key[BLK_PUB_NKEYS];
	char val[BLK_PUB_NKEYS][XBDEV_VALUE_MAX];
};

/*
 * The publisher.  lock protects snap/pending/busy/stop; cache_lock is held by
 * whoever runs a publish (the thread, or a forced one) and protects the
 * values last committed (d->pub) and the record path's use.
 */
static struct {
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool pending, busy, stop;
	struct pub_arg snap;            /* 58 KiB: not on a stack */
	pthread_mutex_t cache_lock;
	struct pub_arg work;
	struct xbdev *xs;               /* the thread's own connection */
} pub = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.cache_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* The last failed map's errno by name ("ENOMEM"), "" when none failed. */
static const char *map_error(const struct blk_dev *d)
{
	const char *name = d->map_errno ? strerrorname_np(d->map_errno) : "";

	return name ? name : "?";
}

/* The limits in force (lib/limit.c's form, "none" without). */
static const char *limit_spec(const struct blk_dev *d, char *buf, size_t len)
{
	if (xbdev_limit_format(&d->limiter.spec, buf, len))
		snprintf(buf, len, "?");
	return buf;
}

/* "2026-12-02T18:52:18Z 67108864 -> 134217728" (bytes), "" before any. */
static const char *last_resize(const struct blk_dev *d, char *buf, size_t len)
{
	time_t t = (time_t)d->resized_at;
	struct tm tm;
	char at[32];

	if (!d->resized_at || !gmtime_r(&t, &tm) ||
	    !strftime(at, sizeof(at), "%Y-%m-%dT%H:%M:%SZ", &tm))
		return "";
	snprintf(buf, len, "%s %llu -> %llu", at,
		 (unsigned long long)d->resized_from,
		 (unsigned long long)d->size);
	return buf;
}

/* Each key beside its value: the table of what info/ holds. */
static void pub_values(const struct blk_dev *d, struct pub_arg *a)
{
	const struct blk_stats *s = &d->st;
	char lim[XBDEV_LIMIT_SPEC_MAX];
	char when[96];
	unsigned i = 0;

#define KV(k, fmt, ...) (a->key[i] = (k), \
			 snprintf(a->val[i++], XBDEV_VALUE_MAX, fmt, __VA_ARGS__))
#define KU(k, v) KV(k, "%llu", (unsigned long long)(v))
	KV("state", "%s", d->exit ? "exited" : xbdev_state_name(d->state));
	KV("backend-pid", "%d", (int)getpid());
	KV("backing-file", "%s", d->params);
	KU("size", d->size);
	KU("sectors", d->sectors);
	KU("sector-size", d->sector_size);
	KU("physical-sector-size", d->phys_sector_size);
	KV("read-only", "%d", d->readonly);
	KV("direct-io", "%d", d->direct);
	KV("discard", "%d", d->discard);
	KV("protocol", "%s", d->nr_queues ? blk_abi_name(d->abi) : "");
	KU("queues", d->nr_queues);
	KU("max-queues", d->max_queues);
	KU("ring-pages", d->nr_queues ? d->ring_pages : 0);
	KU("max-ring-pages", BLK_MAX_RING_PAGES);
	KU("indirect-segments", BLK_MAX_INDIRECT_SEGS);
	/* Grants: persistent ones mapped now, their cap (queues x the cap of
	 * one) and the most mapped at once since we started; the rings'. */
	KU("persistent-grants", blk_pc_total(d));
	KU("persistent-grants-max",
	   d->persistent ? d->nr_queues * blk_pc_max(d) : 0);
	KU("persistent-grants-peak", d->pgrants_peak);
	KU("ring-grants", d->nr_queues * d->ring_pages);
	KV("data-path", "%s", blk_data_path(d));
	KU("requests", s->requests);
	KU("reads", s->reads);
	KU("writes", s->writes);
	KU("flushes", s->flushes);
	KU("discards", s->discards);
	KU("indirect-requests", s->indirect);
	KU("bytes-read", s->bytes_read);
	KU("bytes-written", s->bytes_written);
	KU("errors", s->errors);
	KU("io-errors", s->io_errors);
	KU("grant-errors", s->grant_errors);
	KU("map-failures", s->map_failures);
	KV("map-last-error", "%s", map_error(d));
	KU("inflight", d->inflight);
	KU("page-cache-requests", s->cached);
	KU("persistent-requests", s->persistent);
	KV("limit", "%s", limit_spec(d, lim, sizeof(lim)));
	KU("limit-held-requests", d->limiter.held);
	KU("limit-held-ms", d->limiter.held_ms);
	KV("last-resize", "%s", last_resize(d, when, sizeof(when)));
#undef KU
#undef KV
}

struct txn_arg {
	struct blk_dev *d;
	struct pub_arg *a;
};

static int publish_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct txn_arg *ta = arg;
	struct blk_dev *d = ta->d;
	struct pub_arg *a = ta->a;
	char dir[XBDEV_PATH_MAX], p[XBDEV_PATH_MAX], *v = NULL;
	int err = xbdev_path_join(dir, sizeof(dir), d->record_path, "info");

	/* Only into a record that still exists: detach removes it, and a
	 * late publish must not bring it back. */
	a->gone = false;
	if (!err)
		err = xbdev_path_join(p, sizeof(p), d->record_path, "backend");
	if (!err)
		err = xbdev_read(x, t, p, &v);
	free(v);
	if (err == -ENOENT) {
		a->gone = true;
		return 0;
	}
	/* Compared with what the last committed transaction wrote: this
	 * function may run again after a conflict, d->pub is only updated
	 * after the commit. */
	for (unsigned i = 0; i < BLK_PUB_NKEYS && !err; i++) {
		if (d->pub[i] && !strcmp(d->pub[i], a->val[i]))
			continue;
		err = xbdev_path_join(p, sizeof(p), dir, a->key[i]);
		if (!err)
			err = xbdev_write(x, t, p, a->val[i]);
	}
	return err;
}

/* Write a's values over connection x (cache_lock held). */
static void publish(struct blk_dev *d, struct xbdev *x, struct pub_arg *a)
{
	static bool warned;
	struct txn_arg ta = { .d = d, .a = a };
	int err = xbdev_txn(x, publish_txn, &ta);

	for (unsigned i = 0; i < BLK_PUB_NKEYS; i++) {
		/* Forget what we know after a failure or while the record
		 * is gone: the next publish writes everything again. */
		if (err || a->gone) {
			free(d->pub[i]);
			d->pub[i] = NULL;
		} else if (!d->pub[i] || strcmp(d->pub[i], a->val[i])) {
			free(d->pub[i]);
			d->pub[i] = strdup(a->val[i]);
		}
	}
	if (err && !warned) {
		blk_log(d, "cannot publish %s/info: %s", d->record_path,
			strerror(-err));
		warned = true;
	}
}

static void *publisher(void *arg)
{
	struct blk_dev *d = arg;

	pthread_mutex_lock(&pub.lock);
	for (;;) {
		while (!pub.pending && !pub.stop)
			pthread_cond_wait(&pub.cond, &pub.lock);
		if (pub.stop)
			break;
		pthread_mutex_lock(&pub.cache_lock);
		pub.work = pub.snap;
		pub.pending = false;
		pub.busy = true;
		pthread_mutex_unlock(&pub.lock);
		publish(d, pub.xs, &pub.work);
		pthread_mutex_unlock(&pub.cache_lock);
		pthread_mutex_lock(&pub.lock);
		pub.busy = false;
	}
	pthread_mutex_unlock(&pub.lock);
	return NULL;
}

int blk_pub_start(struct blk_dev *d)
{
	int err = xbdev_open(&pub.xs);

	if (err)
		return err;
	err = -pthread_create(&pub.thread, NULL, publisher, d);
	if (err) {
		xbdev_close(pub.xs);
		pub.xs = NULL;
		return err;
	}
	pub.running = true;
	return 0;
}

void blk_pub_stop(struct blk_dev *d)
{
	if (!pub.running)
		return;
	pthread_mutex_lock(&pub.lock);
	pub.stop = true;
	pthread_cond_signal(&pub.cond);
	pthread_mutex_unlock(&pub.lock);
	pthread_join(pub.thread, NULL);
	pub.running = false;
	xbdev_close(pub.xs);
	pub.xs = NULL;
}

void blk_xb_publish(struct blk_dev *d, bool force)
{
	static struct pub_arg a;        /* forced publishes */
	int64_t now = xbdev_now_ms();

	if (force || !pub.running) {
		if (!force && (!d->info_dirty || now < d->info_next_ms))
			return;
		d->info_dirty = false;
		pub_values(d, &a);
		/* A snapshot handed over but not yet taken is older than
		 * these values: drop it (one being written finishes first,
		 * cache_lock). */
		pthread_mutex_lock(&pub.lock);
		pub.pending = false;
		pthread_mutex_unlock(&pub.lock);
		pthread_mutex_lock(&pub.cache_lock);
		publish(d, d->xs, &a);
		pthread_mutex_unlock(&pub.cache_lock);
		d->info_next_ms = xbdev_now_ms() + BLK_PUB_INTERVAL_MS;
		blk_io_idle(d);
		return;
	}
	if (!d->info_dirty || now < d->info_next_ms)
		return;
	/* The next hand-over a second from now, whether or not the thread
	 * takes this one: a slow xenstored costs counters' freshness, never
	 * the data path's time. */
	d->info_next_ms = now + BLK_PUB_INTERVAL_MS;
	pthread_mutex_lock(&pub.lock);
	if (!pub.pending && !pub.busy) {
		d->info_dirty = false;
		pub_values(d, &pub.snap);
		pub.pending = true;
		pthread_cond_signal(&pub.cond);
	}
	pthread_mutex_unlock(&pub.lock);
	blk_io_idle(d);
}
