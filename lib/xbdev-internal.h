/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev internals: not part of the public contract. */
#ifndef XBDEV_INTERNAL_H
#define XBDEV_INTERNAL_H

#include <errno.h>
#include <syslog.h>
#include "xbdev.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct xbdev_event {
	struct xbdev_event *next;
	char *path;
	char *token;
};

struct xbdev {
	struct xs_handle *xs;
	xbdev_log_fn log_fn;
	void *log_data;
	unsigned token_seq;          /* makes private watch tokens unique */
	/* Events read while waiting for a private token, handed out later by
	 * xbdev_watch_next()/xbdev_watch_read() in arrival order. */
	struct xbdev_event *pending, **pending_tail;
	int cancel_fd;               /* xbdev_set_cancel_fd(), or -1 */
};

void xbdev_log(struct xbdev *x, int prio, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* -errno of the last failed libxenstore call (never 0). */
int xbdev_errno(void);

/* 1 if path exists, 0 if not, -errno when it cannot be told. */
int xbdev_exists(struct xbdev *x, xbdev_txn_t t, const char *path);

/* Sleep until fd is readable, cancel_fd (if >= 0) is readable
 * (-ECANCELED), a signal arrives (-EINTR) or the wait times out.  With a
 * deadline (deadline_ms >= 0) the wait lasts until the deadline but at most
 * 60 s, and its end returns 0 like a readable fd: callers re-check their
 * state and call again; only a call made once the deadline has passed
 * returns -ETIMEDOUT.  Without one (deadline_ms < 0) it waits for ever. */
int xbdev_poll_in(int fd, int cancel_fd, int64_t deadline_ms);

/* Queue an event for a later xbdev_watch_next()/xbdev_watch_read(). */
int xbdev_event_defer(struct xbdev *x, const char *path, const char *token);

/* Append a node at an absolute path to a plan, with the record's ACL. */
int xbdev_plan_add_path(struct xbdev_plan *p, const char *path,
			const char *value);

/* Remove dir and then every parent that became empty, keeping the first
 * `keep` path components. */
int xbdev_remove_tree(struct xbdev *x, xbdev_txn_t t, const char *dir,
		      unsigned keep);
/* 0 while domid's /local/domain/<domid> is there, -ESRCH once the domain
 * is gone (its directory goes with it: writing below it would recreate
 * it, so check in the transaction that writes). */
int xbdev_domain_present(struct xbdev *x, xbdev_txn_t t, unsigned domid);

/* Start `daemon be_dir` in a session of its own, with only fds 0-2
 * (/dev/null, log twice: appended to, never a symlink), an empty signal
 * mask and default dispositions; *pid once exec succeeded (an exec error
 * is returned, the child reaped). */
int xbdev_spawn_daemon(const char *daemon, const char *be_dir,
		       const char *log, long *pid);

#define XBDEV_ROOT "/xbdev"
#define XBDEV_PARENTS_DIR XBDEV_ROOT "/parents"
/* Below a served device's record: a copy of its frontend directory. */
#define XBDEV_RECORD_FRONT "front"
/*
 * xbdev leaves xenstore as it found it: when an attach has to create
 * /local/domain/<fe>/device or /local/domain/<be>/backend (dom0 has
 * neither until it hosts a device), it leaves a dom0-only marker
 * /xbdev/parents/<fe>-device or <be>-backend, and the detach that finds
 * such a directory empty removes it with its marker.
 * xbdev_parent_dirs() gives both directories and their markers;
 * xbdev_remove_parents() removes those that are empty and marked.
 */
int xbdev_parent_dirs(unsigned fe, unsigned be, char dirs[2][64],
		      char markers[2][64]);
int xbdev_remove_parents(struct xbdev *x, xbdev_txn_t t, unsigned fe,
			 unsigned be);

/* Remove dir if it exists and has no children ("" is ignored). */
int xbdev_rm_if_empty(struct xbdev *x, xbdev_txn_t t, const char *dir);
/* Remove whichever of the three directories is non-NULL (and empty
 * parents), frontend first. */
int xbdev_remove_device(struct xbdev *x, xbdev_txn_t t, const char *fe_dir,
			const char *be_dir, const char *rec_dir);
#endif
