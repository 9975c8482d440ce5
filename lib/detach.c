/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: detach.  The protocol (as libxl does it): the toolstack writes
 * the backend's online=0 and state=Closing in one transaction; the
 * frontend flushes and goes to Closed; the backend, seeing Closed while
 * offline, disconnects and goes to Closed; then the toolstack removes both
 * directories.  Every path used here comes from the dom0-only record.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xbdev-internal.h"

/* An end still in Initialising/Unknown may have no driver at all; give it
 * this long to answer Closing before treating it as absent. */
#define NO_DRIVER_GRACE_MS 2000
/* How long a backend daemon gets to exit by itself, then after SIGTERM. */
#define DAEMON_EXIT_MS 5000
#define DAEMON_TERM_MS 3000
/* How long a frontend gets to answer Closing when the backend process is
 * gone: no request can complete any more, so there is nothing to flush. */
#define DEAD_BACKEND_GRACE_MS 5000

static int close_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct xbdev_record *r = arg;
	char path[XBDEV_PATH_MAX];
	enum xbdev_state st = XBDEV_STATE_UNKNOWN;
	int err;

	err = xbdev_state_read(x, t, r->be_dir, &st);
	if (err == -ENOENT)
		goto record;    /* backend already gone */
	err = xbdev_path_join(path, sizeof(path), r->be_dir, "online");
	if (!err)
		err = xbdev_write(x, t, path, "0");
	/* A backend already Closed (its guest died, or its frontend closed
	 * first) is left so: Closing over it would ask it to close again. */
	if (!err && st != XBDEV_STATE_CLOSED)
		err = xbdev_state_write(x, t, r->be_dir, XBDEV_STATE_CLOSING);
	if (err)
		return err;
record:
	err = xbdev_path_join(path, sizeof(path), r->rec_dir, "detaching");
	if (!err)
		err = xbdev_writef(x, t, path, "%lld", (long long)time(NULL));
	return err;
}

static bool is_closed(enum xbdev_state st, void *arg)
{
	return st == XBDEV_STATE_CLOSED;
}

struct side_arg {
	const struct xbdev_detach_opts *opts;
	enum xbdev_side side;
};

static void report(enum xbdev_state st, void *arg)
{
	struct side_arg *a = arg;

	if (a->opts->on_state)
		a->opts->on_state(a->side, st, a->opts->arg);
}


/* State of dir's end, -1 when it is missing or unreadable. */
static int state_now(struct xbdev *x, const char *dir)
{
	enum xbdev_state st;

	return xbdev_state_read(x, XBDEV_TXN_NONE, dir, &st) ? -1 : (int)st;
}

/* Wait for dir's end to close; 0 also when it is gone (before < 0).
 * With no_driver the end has nobody to close with (its own driver, or its
 * peer's, never left Initialising): it gets a short grace, then counts as
 * closed. */
static int wait_closed(struct xbdev *x, const char *dir, enum xbdev_side side,
		       const struct xbdev_detach_opts *opts, int before,
		       bool no_driver)
{
	struct side_arg a = { opts, side };
	int64_t deadline = opts->deadline_ms;
	int err;

	if (before < 0)
		return 0;
	if (no_driver) {
		int64_t grace = xbdev_now_ms() + NO_DRIVER_GRACE_MS;

		if (deadline < 0 || grace < deadline)
			deadline = grace;
	}
	err = xbdev_wait_state(x, dir, is_closed, &a, deadline, report);
	if (err == -ENOENT || (err == -ETIMEDOUT && no_driver))
		return 0;
	return err;
}

static void wait_daemon(const struct xbdev_record *r, int64_t ms)
{
	int64_t end = xbdev_now_ms() + ms;

	/* A pid cannot be watched through xenstore; poll it gently. */
	while (xbdev_record_daemon_alive(r) && xbdev_now_ms() < end)
		usleep(100 * 1000);
}

static void stop_daemon(struct xbdev *x, const struct xbdev_record *r)
{
	if (!xbdev_record_daemon_alive(r))
		return;
	wait_daemon(r, DAEMON_EXIT_MS);
	if (!xbdev_record_daemon_alive(r))
		return;
	xbdev_log(x, LOG_WARNING, "%s: daemon %ld did not exit, SIGTERM",
		  r->be_dir, r->pid);
	kill((pid_t)r->pid, SIGTERM);
	wait_daemon(r, DAEMON_TERM_MS);
	if (xbdev_record_daemon_alive(r)) {
		xbdev_log(x, LOG_WARNING, "%s: daemon %ld ignored SIGTERM",
			  r->be_dir, r->pid);
		kill((pid_t)r->pid, SIGKILL);
	}
}

static int rm_front_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct xbdev_record *r = arg;

	return xbdev_remove_device(x, t, r->fe_dir, NULL, NULL);
}

static int rm_both_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct xbdev_record *r = arg;
	int err = xbdev_remove_device(x, t, r->fe_dir, r->be_dir, NULL);

	/* Leave xenstore as attach found it. */
	if (!err)
		err = xbdev_remove_parents(x, t, r->fe, r->be);
	return err;
}

static int rm_record_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct xbdev_record *r = arg;

	return xbdev_remove_device(x, t, NULL, NULL, r->rec_dir);
}

static bool kept(const char *key)
{
	unsigned i;

	for (i = 0; XBDEV_MEDIA_KEEP[i]; i++)
		if (!strcmp(key, XBDEV_MEDIA_KEEP[i]))
			return true;
	return false;
}

/* The record of an ejected drive: the keys a re-plug reads, nothing a
 * backend wrote (pid, log, info/, ctl/, front/), media "ejected".  The
 * nodes left keep the record directory's dom0-only ACL. */
static int eject_record_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct xbdev_record *r = arg;
	char path[XBDEV_PATH_MAX], **kids = NULL;
	unsigned i, n = 0;
	int err;

	err = xbdev_ls(x, t, r->rec_dir, &kids, &n);
	for (i = 0; i < n && !err; i++) {
		if (kept(kids[i]))
			continue;
		err = xbdev_path_join(path, sizeof(path), r->rec_dir, kids[i]);
		if (!err)
			err = xbdev_rm(x, t, path);
	}
	xbdev_strv_free(kids, n);
	if (!err)
		err = xbdev_path_join(path, sizeof(path), r->rec_dir,
				      XBDEV_RECORD_MEDIA);
	if (!err)
		err = xbdev_write(x, t, path, XBDEV_MEDIA_EJECTED);
	return err;
}

static int finish_record(struct xbdev *x, const struct xbdev_record *r,
			 const struct xbdev_detach_opts *opts)
{
	return xbdev_txn(x, opts->keep_drive ? eject_record_txn
					     : rm_record_txn, (void *)r);
}

/* The device's backend process was started by attach and is gone (killed,
 * crashed): its end will never close by itself. */
static bool daemon_gone(const struct xbdev_record *r)
{
	return r->pid > 0 && !xbdev_record_daemon_alive(r);
}

/* With the backend process gone, the frontend closes against a backend
 * that is closing in name only: a short wait, then the device goes as
 * with force. */
static int close_without_daemon(struct xbdev *x, const struct xbdev_record *r,
				const struct xbdev_detach_opts *opts,
				int fe_before)
{
	struct xbdev_detach_opts o = *opts;
	int64_t grace = xbdev_now_ms() + DEAD_BACKEND_GRACE_MS;
	int err;

	if (o.deadline_ms < 0 || grace < o.deadline_ms)
		o.deadline_ms = grace;
	if (opts->on_daemon_gone)
		opts->on_daemon_gone(r->pid, opts->arg);
	if (wait_closed(x, r->fe_dir, XBDEV_SIDE_FRONTEND, &o, fe_before,
			false)) {
		err = xbdev_txn(x, rm_front_txn, (void *)r);
		if (err)
			return err;
	}
	return xbdev_txn(x, rm_both_txn, (void *)r);
}

int xbdev_detach(struct xbdev *x, const struct xbdev_record *r,
		 const struct xbdev_detach_opts *opts, enum xbdev_side *stuck)
{
	int fe_before = state_now(x, r->fe_dir);
	int be_before = state_now(x, r->be_dir);
	bool gone = daemon_gone(r);
	int err, werr;

	/* libxl's directories are libxl's to remove (xl block-detach). */
	if (!strcmp(r->managed_by, XBDEV_MANAGED_BY_LIBXL))
		return -EPERM;
	/* A backend that never left Initialising has no driver: the Closing
	 * about to be written is ours and nobody will answer it. */
	if (be_before <= XBDEV_STATE_INITIALISING)
		be_before = -1;
	err = xbdev_txn(x, close_txn, (void *)r);
	if (err)
		return err;
	xbdev_log(x, LOG_DEBUG, "%s: asked to close (online = 0, state "
		  "Closing)", r->be_dir);
	if (gone) {
		err = close_without_daemon(x, r, opts, fe_before);
		if (err)
			return err;
		return finish_record(x, r, opts);
	}
	werr = wait_closed(x, r->fe_dir, XBDEV_SIDE_FRONTEND, opts, fe_before,
			   fe_before <= XBDEV_STATE_INITIALISING);
	if (stuck)
		*stuck = XBDEV_SIDE_FRONTEND;
	if (!werr) {
		/* A backend closes when its frontend does; a frontend that
		 * never connected gives it nothing to wait for. */
		werr = wait_closed(x, r->be_dir, XBDEV_SIDE_BACKEND, opts,
				   be_before,
				   fe_before <= XBDEV_STATE_INITIALISING);
		if (stuck)
			*stuck = XBDEV_SIDE_BACKEND;
	}
	if (werr && !opts->force)
		return werr;
	/* Forced: the guest loses the device first, as libxl does, so it
	 * stops using a backend that is about to vanish. */
	if (werr)
		err = xbdev_txn(x, rm_front_txn, (void *)r);
	if (!err)
		err = xbdev_txn(x, rm_both_txn, (void *)r);
	if (err)
		return err;
	/* The daemon publishes under the record: stop it before removing
	 * the record, or it could recreate part of it. */
	stop_daemon(x, r);
	return finish_record(x, r, opts);
}
