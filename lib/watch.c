/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: watches, deadlines and waiting for XenBus states. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xenstore.h>

#include "xbdev-internal.h"

int64_t xbdev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int check_watch_args(const char *path, const char *token)
{
	/* Absolute paths, or xenstored's special "@releaseDomain" and
	 * "@introduceDomain" watches. */
	if (!path || !token || !*token ||
	    (path[0] != '/' && strcmp(path, "@releaseDomain") &&
	     strcmp(path, "@introduceDomain")))
		return -EINVAL;
	if (strnlen(path, XBDEV_PATH_MAX) >= XBDEV_PATH_MAX)
		return -ENAMETOOLONG;
	return xbdev_validate_value(token);
}

int xbdev_watch(struct xbdev *x, const char *path, const char *token)
{
	int err = check_watch_args(path, token);

	if (err)
		return err;
	if (!xs_watch(x->xs, path, token))
		return xbdev_errno();
	return 0;
}

int xbdev_unwatch(struct xbdev *x, const char *path, const char *token)
{
	int err = check_watch_args(path, token);

	if (err)
		return err;
	if (!xs_unwatch(x->xs, path, token))
		return xbdev_errno();
	return 0;
}

int xbdev_event_defer(struct xbdev *x, const char *path, const char *token)
{
	struct xbdev_event *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->path = strdup(path);
	e->token = strdup(token);
	if (!e->path || !e->token) {
		free(e->path);
		free(e->token);
		free(e);
		return -ENOMEM;
	}
	*x->pending_tail = e;
	x->pending_tail = &e->next;
	return 0;
}

static bool event_undefer(struct xbdev *x, char **path, char **token)
{
	struct xbdev_event *e = x->pending;

	if (!e)
		return false;
	x->pending = e->next;
	if (!x->pending)
		x->pending_tail = &x->pending;
	*path = e->path;
	*token = e->token;
	free(e);
	return true;
}

/* One event straight from libxenstore, without blocking. */
static int check_watch(struct xbdev *x, char **path, char **token)
{
	char **ev = xs_check_watch(x->xs);
	int err = 0;

	if (!ev)
		return errno == EAGAIN ? -EAGAIN : xbdev_errno();
	*path = strdup(ev[XS_WATCH_PATH]);
	*token = strdup(ev[XS_WATCH_TOKEN]);
	if (!*path || !*token) {
		free(*path);
		free(*token);
		*path = *token = NULL;
		err = -ENOMEM;
	}
	free(ev);
	return err;
}

int xbdev_watch_read(struct xbdev *x, char **path, char **token)
{
	*path = *token = NULL;
	if (event_undefer(x, path, token))
		return 0;
	return check_watch(x, path, token);
}

int xbdev_poll_in(int fd, int cancel_fd, int64_t deadline_ms)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = cancel_fd, .events = POLLIN } };
	int timeout = -1;

	if (deadline_ms >= 0) {
		int64_t left = deadline_ms - xbdev_now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		timeout = left > 60000 ? 60000 : (int)left;
	}
	if (poll(pfd, cancel_fd >= 0 ? 2 : 1, timeout) < 0)
		return -errno;
	return cancel_fd >= 0 && pfd[1].revents ? -ECANCELED : 0;
}

/* Sleep until the xenstore fd is readable or the deadline passes. */
static int poll_fd(struct xbdev *x, int64_t deadline_ms)
{
	int fd = xbdev_fileno(x);

	return fd < 0 ? fd : xbdev_poll_in(fd, x->cancel_fd, deadline_ms);
}

int xbdev_watch_next(struct xbdev *x, int64_t deadline_ms, char **path,
		     char **token)
{
	for (;;) {
		int err = xbdev_watch_read(x, path, token);

		if (err != -EAGAIN)
			return err;
		err = poll_fd(x, deadline_ms);
		if (err)
			return err;
	}
}

struct state_wait {
	struct xbdev *x;
	const char *dir;
	char token[32];
	xbdev_state_pred pred;
	void *arg;
	void (*on_change)(enum xbdev_state st, void *arg);
	int last;                /* last state reported, -1 before any */
};

/* Read the state and report it; 1 when pred holds, 0 to keep waiting. */
static int state_check(struct state_wait *w)
{
	enum xbdev_state st;
	int err = xbdev_state_read(w->x, XBDEV_TXN_NONE, w->dir, &st);

	if (err)
		return err;
	if ((int)st != w->last) {
		w->last = (int)st;
		if (w->on_change)
			w->on_change(st, w->arg);
	}
	return w->pred(st, w->arg) ? 1 : 0;
}

/* Consume events until one for our token arrives; others are deferred. */
static int wait_own_event(struct state_wait *w, int64_t deadline_ms)
{
	for (;;) {
		char *path = NULL, *token = NULL;
		int err, mine;

		err = check_watch(w->x, &path, &token);
		if (err == -EAGAIN) {
			err = poll_fd(w->x, deadline_ms);
			if (err)
				return err;
			continue;
		}
		if (err)
			return err;
		mine = !strcmp(token, w->token);
		if (!mine)
			err = xbdev_event_defer(w->x, path, token);
		free(path);
		free(token);
		if (err || mine)
			return err;
	}
}

int xbdev_wait_state(struct xbdev *x, const char *dir, xbdev_state_pred pred,
		     void *arg, int64_t deadline_ms,
		     void (*on_change)(enum xbdev_state st, void *arg))
{
	struct state_wait w = { .x = x, .dir = dir, .pred = pred, .arg = arg,
				.on_change = on_change, .last = -1 };
	char path[XBDEV_PATH_MAX];
	int err;

	err = xbdev_path_join(path, sizeof(path), dir, "state");
	if (err)
		return err;
	snprintf(w.token, sizeof(w.token), "xbdev-wait-%u", ++x->token_seq);
	/* Watch first, then read: a change between the two cannot be lost.
	 * The watch also fires once on registration, which is harmless. */
	err = xbdev_watch(x, path, w.token);
	if (err)
		return err;
	for (;;) {
		err = state_check(&w);
		if (err != 0)
			break;
		err = wait_own_event(&w, deadline_ms);
		if (err)
			break;
	}
	xbdev_unwatch(x, path, w.token);
	return err > 0 ? 0 : err;
}
