/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: waiting for an attached device's two ends to connect. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xbdev-internal.h"

#define ATTACH_TOKEN "xbdev-attach"
/* How often a served device's daemon is checked while waiting. */
#define DAEMON_CHECK_MS 500
/* A daemon that dies writes its backend's Closed first: how long an end
 * seen closing is given to turn out to be the daemon's exit. */
#define DAEMON_EXIT_GRACE_MS 500

struct attach_wait {
	struct xbdev *x;
	const struct xbdev_plan *p;
	const struct xbdev_attach_wait_opts *o;
	int *st;                /* frontend, backend; -1 = missing */
};

static bool reached(const struct attach_wait *w)
{
	if (w->o->until == XBDEV_UNTIL_INITWAIT)
		return w->st[1] >= XBDEV_STATE_INITWAIT &&
		       w->st[1] <= XBDEV_STATE_CONNECTED;
	return w->st[0] == XBDEV_STATE_CONNECTED &&
	       w->st[1] == XBDEV_STATE_CONNECTED;
}

/* An end gone or closing will not connect any more. */
static bool given_up(const struct attach_wait *w)
{
	return w->st[0] >= XBDEV_STATE_CLOSING ||
	       w->st[1] >= XBDEV_STATE_CLOSING || w->st[0] < 0 || w->st[1] < 0;
}

static void read_states(struct attach_wait *w)
{
	const char *dirs[2] = { w->p->fe_dir, w->p->be_dir };
	const enum xbdev_side sides[2] = { XBDEV_SIDE_FRONTEND,
					   XBDEV_SIDE_BACKEND };
	enum xbdev_state s;
	unsigned i;
	int now;

	for (i = 0; i < 2; i++) {
		now = xbdev_state_read(w->x, XBDEV_TXN_NONE, dirs[i], &s) ?
			      -1 : (int)s;
		if (now != w->st[i] && w->o->on_state)
			w->o->on_state(sides[i], w->st[i], now, w->o->arg);
		w->st[i] = now;
	}
}

/* The next watch event; for a served device, also notice the daemon (our
 * child) dying, which xenstore would not tell. */
static int next_event(struct attach_wait *w, int64_t deadline)
{
	char *ev = NULL, *tok = NULL;
	int64_t step;
	int err, status;

	for (;;) {
		step = xbdev_now_ms() + DAEMON_CHECK_MS;
		if (w->p->pid <= 0 || (deadline >= 0 && step >= deadline))
			step = deadline;
		err = xbdev_watch_next(w->x, step, &ev, &tok);
		free(ev);
		free(tok);
		if (err != -ETIMEDOUT || step == deadline)
			return err;
		if (waitpid((pid_t)w->p->pid, &status, WNOHANG) ==
		    (pid_t)w->p->pid)
			return -ECHILD;
	}
}

/* Whether the served device's daemon (our child) exits within ms. */
static bool daemon_exited(const struct attach_wait *w, int64_t ms)
{
	int64_t end = xbdev_now_ms() + ms;
	int status;

	if (w->p->pid <= 0)
		return false;
	for (;;) {
		if (waitpid((pid_t)w->p->pid, &status, WNOHANG) ==
		    (pid_t)w->p->pid)
			return true;
		if (xbdev_now_ms() >= end)
			return false;
		usleep(20 * 1000);
	}
}

int xbdev_attach_until_parse(const char *name, enum xbdev_attach_until *until)
{
	static const char *const names[] = {
		[XBDEV_UNTIL_NOW] = "none",
		[XBDEV_UNTIL_INITWAIT] = "initwait",
		[XBDEV_UNTIL_CONNECTED] = "connected",
	};
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (name && !strcmp(name, names[i])) {
			*until = (enum xbdev_attach_until)i;
			return 0;
		}
	return -EINVAL;
}

/* The XenBus handshake goes backend InitWait, frontend Initialised (its
 * rings published), backend Connected, frontend Connected: the first step
 * not taken names who is holding it up. */
enum xbdev_attach_stuck xbdev_attach_stuck(const struct xbdev_plan *p,
					   const int st[2])
{
	int fe = st[0], be = st[1];

	if (be <= XBDEV_STATE_INITIALISING)
		return p->daemon ? XBDEV_STUCK_DAEMON : XBDEV_STUCK_NO_BACKEND;
	if (fe <= XBDEV_STATE_INITIALISING)
		return XBDEV_STUCK_NO_FRONTEND;
	if (be < XBDEV_STATE_CONNECTED)
		return XBDEV_STUCK_RINGS;
	return XBDEV_STUCK_FRONTEND;
}

int xbdev_attach_wait(struct xbdev *x, const struct xbdev_plan *p,
		      const struct xbdev_attach_wait_opts *opts, int st[2])
{
	struct attach_wait w = { x, p, opts, st };
	const char *dirs[2] = { p->fe_dir, p->be_dir };
	char path[2][XBDEV_PATH_MAX];
	unsigned i, n = 0;
	int err = 0;

	st[0] = st[1] = -1;
	if (opts->until == XBDEV_UNTIL_NOW) {
		read_states(&w);
		return 0;
	}
	/* Watch first, then read: a change between the two is not lost. */
	for (; n < 2 && !err; n += !err) {
		err = xbdev_path_join(path[n], sizeof(path[n]), dirs[n],
				      "state");
		if (!err)
			err = xbdev_watch(x, path[n], ATTACH_TOKEN);
	}
	/* Each event re-reads both ends. */
	while (!err) {
		read_states(&w);
		if (reached(&w))
			break;
		if (given_up(&w)) {
			/* A dying daemon's last act is often its Closed: say
			 * that it died rather than that the device closed. */
			err = daemon_exited(&w, DAEMON_EXIT_GRACE_MS) ?
				      -ECHILD : -ECONNREFUSED;
			break;
		}
		err = next_event(&w, opts->deadline_ms);
	}
	for (i = 0; i < n; i++)
		xbdev_unwatch(x, path[i], ATTACH_TOKEN);
	return err;
}
