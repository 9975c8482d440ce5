/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: monitoring devices.  One watch on /local/domain (dom0 sees
 * every domain's device and backend directories) and one on /xbdev; each
 * event re-reads the device list and reports what changed since the last
 * look.  A state that changes twice before the event is handled is seen
 * once, with the value current at that time, as with any xenstore watch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xbdev-internal.h"

const char *xbdev_event_type_name(enum xbdev_event_type t)
{
	switch (t) {
	case XBDEV_EVENT_APPEARED:
		return "appeared";
	case XBDEV_EVENT_STATE:
		return "state";
	case XBDEV_EVENT_REMOVED:
		return "removed";
	}
	return "?";
}

struct mon {
	struct xbdev *x;
	int domid;
	const char *cls;
	long devid;
	xbdev_event_fn fn;
	void *arg;
	struct xbdev_dev_status *devs;
	unsigned n;
};

static bool wanted(const struct mon *m, const struct xbdev_dev_status *d)
{
	return (!m->cls || !strcmp(d->cls, m->cls)) &&
	       (m->devid < 0 || d->devid == (unsigned long)m->devid);
}

static bool same_dev(const struct xbdev_dev_status *a,
		     const struct xbdev_dev_status *b)
{
	return !strcmp(a->fe_dir, b->fe_dir) && !strcmp(a->be_dir, b->be_dir);
}

static const struct xbdev_dev_status *
lookup(const struct xbdev_dev_status *v, unsigned n,
       const struct xbdev_dev_status *d)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (same_dev(&v[i], d))
			return &v[i];
	return NULL;
}

static int emit(struct mon *m, enum xbdev_event_type type,
		const struct xbdev_dev_status *d, enum xbdev_side side,
		int old_state, int new_state)
{
	struct xbdev_event_info ev = { type, d, side, old_state, new_state };

	return m->fn(&ev, m->arg);
}

static int diff_one(struct mon *m, const struct xbdev_dev_status *old,
		    const struct xbdev_dev_status *d)
{
	int r = 0;

	if (!old)
		return emit(m, XBDEV_EVENT_APPEARED, d, XBDEV_SIDE_FRONTEND, -1,
			    d->fe_state);
	if (old->fe_state != d->fe_state)
		r = emit(m, XBDEV_EVENT_STATE, d, XBDEV_SIDE_FRONTEND,
			 old->fe_state, d->fe_state);
	if (!r && old->be_state != d->be_state)
		r = emit(m, XBDEV_EVENT_STATE, d, XBDEV_SIDE_BACKEND,
			 old->be_state, d->be_state);
	return r;
}

/* Re-read the device list and report the differences. */
static int rescan(struct mon *m)
{
	struct xbdev_dev_status *v = NULL;
	unsigned n = 0, i, k = 0;
	int r;

	r = xbdev_status_list(m->x, m->domid, time(NULL), &v, &n);
	if (r)
		return r;
	for (i = 0; i < n; i++)
		if (wanted(m, &v[i]))
			v[k++] = v[i];
	n = k;
	for (i = 0; !r && i < n; i++)
		r = diff_one(m, lookup(m->devs, m->n, &v[i]), &v[i]);
	for (i = 0; !r && i < m->n; i++)
		if (!lookup(v, n, &m->devs[i]))
			r = emit(m, XBDEV_EVENT_REMOVED, &m->devs[i],
				 XBDEV_SIDE_FRONTEND, m->devs[i].fe_state, -1);
	free(m->devs);
	m->devs = v;
	m->n = n;
	return r;
}

/* Only events below a device or backend directory or the records matter;
 * everything else a guest writes under /local/domain is skipped. */
static bool relevant(const char *path)
{
	return strstr(path, "/device/") || strstr(path, "/backend/") ||
	       !strncmp(path, "/xbdev", 6) || !strcmp(path, "/local/domain");
}

/* Is path dir itself (0), a node below dir (1), or neither (-1)? */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n))
		return -1;
	if (path[n] == '\0')
		return 0;
	return path[n] == '/' ? 1 : -1;
}

/* A state node of a known device changed: read it now, so that quick
 * successive states are seen as they happen rather than at the next
 * rescan.  Returns -ENOENT when path belongs to no known device. */
static int state_event(struct mon *m, const char *path)
{
	struct xbdev_dev_status *d;
	enum xbdev_state st;
	unsigned i, side;
	int now, *cur, r = 0;

	for (i = 0; i < m->n; i++) {
		d = &m->devs[i];
		for (side = 0; side < 2; side++) {
			const char *dir = side ? d->be_dir : d->fe_dir;
			size_t n = strlen(dir);

			if (strncmp(path, dir, n) || strcmp(path + n, "/state"))
				continue;
			cur = side ? &d->be_state : &d->fe_state;
			/* A vanished state node: the device is going away,
			 * which a rescan reports. */
			if (xbdev_state_read(m->x, XBDEV_TXN_NONE, dir, &st))
				return rescan(m);
			now = (int)st;
			if (now != *cur) {
				int old = *cur;

				*cur = now;
				r = emit(m, XBDEV_EVENT_STATE, d,
					 side ? XBDEV_SIDE_BACKEND :
						XBDEV_SIDE_FRONTEND, old, now);
			}
			return r;
		}
	}
	return -ENOENT;
}

/* Nodes inside a known device's directories other than its state do not
 * change what is reported; anything else may add or remove a device. */
static bool needs_rescan(const struct mon *m, const char *path)
{
	unsigned i;

	if (!relevant(path))
		return false;
	for (i = 0; i < m->n; i++)
		if (under(path, m->devs[i].fe_dir) == 1 ||
		    under(path, m->devs[i].be_dir) == 1)
			return false;
	return true;
}

static int handle(struct mon *m, const char *path)
{
	size_t n = strlen(path);
	int r;

	if (n > 6 && !strcmp(path + n - 6, "/state")) {
		r = state_event(m, path);
		if (r != -ENOENT)
			return r;
	}
	return needs_rescan(m, path) ? rescan(m) : 0;
}

int xbdev_monitor(struct xbdev *x, int domid, const char *cls, long devid,
		  int64_t deadline_ms, xbdev_event_fn fn, void *arg)
{
	struct mon m = { x, domid, cls, devid, fn, arg, NULL, 0 };
	char token[32], *path = NULL, *tok = NULL;
	int r;

	snprintf(token, sizeof(token), "xbdev-monitor-%u", ++x->token_seq);
	r = xbdev_watch(x, "/local/domain", token);
	if (r)
		return r;
	r = xbdev_watch(x, "/xbdev", token);
	if (!r)
		r = rescan(&m);
	while (!r) {
		r = xbdev_watch_next(x, deadline_ms, &path, &tok);
		if (!r && !strcmp(tok, token))
			r = handle(&m, path);
		free(path);
		free(tok);
		path = tok = NULL;
	}
	xbdev_unwatch(x, "/xbdev", token);
	xbdev_unwatch(x, "/local/domain", token);
	free(m.devs);
	return r;
}
