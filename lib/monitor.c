/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: monitoring devices.  One watch on /local/domain (dom0 sees
 * every domain's device and backend directories) and one on /xbdev.
 *
 * A xenstore watch event names a path, not a value, and kernel drivers
 * pass through some states in milliseconds (a frontend's Initialised, a
 * backend's InitWait or Closed).  So a sampler thread does nothing but
 * take events and read each state node an event names at once (a
 * "sample"), while the monitor does the slow part - a rescan of the device
 * list when devices may have come or gone, and the callbacks - on batches
 * of samples.  The samples are replayed in order, so a short-lived state
 * read in time is reported even when the rescan already shows a later
 * one.  A state that changes twice between an event and its read is
 * still seen once.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xbdev-internal.h"

/* Samples waiting for the monitor: bounds the memory a guest that writes
 * in a loop can cost.  Past it samples are dropped and the next batch
 * rescans (the states then go straight to their latest values). */
#define MON_QUEUE_MAX 4096

const char *xbdev_event_type_name(enum xbdev_event_type t)
{
	switch (t) {
	case XBDEV_EVENT_APPEARED:
		return "appeared";
	case XBDEV_EVENT_STATE:
		return "state";
	case XBDEV_EVENT_REMOVED:
		return "removed";
	case XBDEV_EVENT_BACKEND_DIED:
		return "backend-died";
	}
	return "?";
}

/* How often the backend processes of served devices are looked at: a
 * process's death leaves no trace in xenstore. */
#define DAEMON_CHECK_MS 500

/* An event, and for a state node its value read as soon as the event
 * was taken; for a directory, whether it was there then. */
struct obs {
	char *path;
	enum xbdev_path_kind kind;
	bool is_state;
	bool is_dir;            /* a device directory itself, or one above */
	bool exists;            /* is_dir: the directory was there */
	int value;              /* -1: not a state node, or it is gone */
	int64_t at_ms;
	bool used;
};

/* The sampler thread and the queue it fills. */
struct sampler {
	struct xbdev *x;
	const char *token;
	pthread_t thread;
	pthread_mutex_t lock;
	struct obs *q;          /* under lock */
	unsigned n;
	bool dropped;           /* under lock: samples were lost */
	int err;                /* under lock: the watch failed */
	int wake[2];            /* sampler -> monitor: samples are queued */
	int stop[2];            /* monitor -> sampler: exit */
};

/* A device as last reported, with the time each end's state was read
 * (by the sampler or a rescan): an older reading never overrides it. */
struct mdev {
	struct xbdev_dev_status d;
	int64_t at[2];                  /* frontend, backend */
};

struct mon {
	struct xbdev *x;
	int domid;
	const char *cls;
	long devid;
	xbdev_event_fn fn;
	void *arg;
	struct sampler *s;
	struct mdev *devs;              /* as last reported */
	unsigned n;
	struct obs *obs;                /* the batch being handled */
	unsigned n_obs;
	bool need_rescan;
	int64_t daemons_at;             /* next look at backend processes */
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

static struct xbdev_dev_status *lookup(struct xbdev_dev_status *v, unsigned n,
				       const struct xbdev_dev_status *d)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (same_dev(&v[i], d))
			return &v[i];
	return NULL;
}

static struct mdev *lookup_m(struct mdev *v, unsigned n,
			     const struct xbdev_dev_status *d)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (same_dev(&v[i].d, d))
			return &v[i];
	return NULL;
}

static int emit(struct mon *m, enum xbdev_event_type type,
		const struct xbdev_dev_status *d, enum xbdev_side side,
		int old_state, int new_state, int64_t at_ms)
{
	struct xbdev_event_info ev = { type, d, side, old_state, new_state,
				       at_ms };

	return m->fn(&ev, m->arg);
}

/* Is path the state node of dir? */
static bool is_state_of(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && !strcmp(path + n, "/state");
}

/* The state slot of d that path names, or NULL. */
static int *state_slot(struct xbdev_dev_status *d, const char *path,
		       enum xbdev_side *side)
{
	if (is_state_of(path, d->fe_dir)) {
		*side = XBDEV_SIDE_FRONTEND;
		return &d->fe_state;
	}
	if (is_state_of(path, d->be_dir)) {
		*side = XBDEV_SIDE_BACKEND;
		return &d->be_state;
	}
	return NULL;
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

/* Is path inside one of d's directories or its record (not the directory
 * itself, whose removal means the device is going)? */
static bool inside_known(const struct xbdev_dev_status *d, const char *path)
{
	char rec[XBDEV_PATH_MAX];

	if (under(path, d->fe_dir) == 1 || under(path, d->be_dir) == 1)
		return true;
	return d->has_record &&
	       !xbdev_path_record(rec, sizeof(rec), d->fe, d->cls, d->devid) &&
	       under(path, rec) == 1;
}

/*
 * What a sample means for the device list, from the exact structure of
 * its path (xbdev_path_parse()), never from a substring: a guest writes
 * what it likes below its own /local/domain/<id> (data/device/x, ...),
 * and none of that may cost a rescan of the host.
 */
enum obs_verdict {
	OBS_KEEP,               /* nothing to rescan for */
	OBS_RESCAN,             /* devices may have come or gone */
	OBS_CHECK_BELOW,        /* a directory above known devices was
				 * written: rescan only if one of them is
				 * gone (a removal and re-creation between
				 * the event and its sample) */
};

/* The sampler's filter: everything else is dropped unread. */
static bool monitor_relevant(const char *path)
{
	struct xbdev_path_parts pp;

	xbdev_path_parse(path, &pp);
	return pp.kind != XBDEV_PATH_OTHER;
}

static bool known_state_node(const struct mon *m, const char *path)
{
	enum xbdev_side side;
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (state_slot(&m->devs[i].d, path, &side))
			return true;
	return false;
}

static bool known_dir(const struct mon *m, const char *path)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (under(path, m->devs[i].d.fe_dir) == 0 ||
		    under(path, m->devs[i].d.be_dir) == 0)
			return true;
	return false;
}

static bool known_below(const struct mon *m, const char *path)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (under(m->devs[i].d.fe_dir, path) == 1 ||
		    under(m->devs[i].d.be_dir, path) == 1)
			return true;
	return false;
}

static bool inside_any_known(const struct mon *m, const char *path)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (inside_known(&m->devs[i].d, path))
			return true;
	return false;
}

static enum obs_verdict obs_verdict(const struct mon *m, const struct obs *o)
{
	switch (o->kind) {
	case XBDEV_PATH_OTHER:
		return OBS_KEEP;
	case XBDEV_PATH_DOMAINS:
		return OBS_RESCAN;
	case XBDEV_PATH_RECORD:
		/* The counters a backend publishes below its record. */
		return inside_any_known(m, o->path) ? OBS_KEEP : OBS_RESCAN;
	case XBDEV_PATH_TREE:
		if (!o->exists)
			return OBS_RESCAN;
		return known_below(m, o->path) ? OBS_CHECK_BELOW : OBS_KEEP;
	case XBDEV_PATH_FRONTEND:
	case XBDEV_PATH_BACKEND:
		break;
	}
	if (o->is_state)
		/* A vanished state node: the device is going. */
		return o->value >= 0 && known_state_node(m, o->path) ?
			       OBS_KEEP : OBS_RESCAN;
	if (o->is_dir)
		return o->exists && known_dir(m, o->path) ? OBS_KEEP :
							    OBS_RESCAN;
	return inside_any_known(m, o->path) ? OBS_KEEP : OBS_RESCAN;
}

/* Sampler thread: read the state node an event names, now; for a
 * directory, whether it is there. */
static void sample(struct xbdev *x, struct obs *o)
{
	char dir[XBDEV_PATH_MAX];
	struct xbdev_path_parts pp;
	enum xbdev_state st;

	xbdev_path_parse(o->path, &pp);
	o->kind = pp.kind;
	o->value = -1;
	o->at_ms = xbdev_now_ms();
	if (pp.kind == XBDEV_PATH_TREE) {
		o->is_dir = true;
	} else if (pp.kind == XBDEV_PATH_FRONTEND ||
		   pp.kind == XBDEV_PATH_BACKEND) {
		o->is_dir = !*pp.rest;
		o->is_state = !strcmp(pp.rest, "/state");
	}
	if (o->is_dir)
		o->exists = xbdev_exists(x, XBDEV_TXN_NONE, o->path) > 0;
	if (!o->is_state)
		return;
	memcpy(dir, o->path, pp.dir_len);
	dir[pp.dir_len] = '\0';
	if (!xbdev_state_read(x, XBDEV_TXN_NONE, dir, &st))
		o->value = (int)st;
	xbdev_log(x, LOG_DEBUG, "%lld ms: %s = %s", (long long)o->at_ms,
		  o->path, xbdev_state_name(o->value));
}
/* A byte down a pipe to wake its reader; a full pipe has woken it
 * already. */
static void poke(int fd)
{
	ssize_t r = write(fd, "", 1);

	(void)r;
}

static void sampler_push(struct sampler *s, char *path)
{
	struct obs o = { .path = path };
	bool was_empty;

	sample(s->x, &o);
	pthread_mutex_lock(&s->lock);
	was_empty = !s->n && !s->dropped;
	if (s->n < MON_QUEUE_MAX) {
		s->q[s->n++] = o;
		path = NULL;
	} else {
		s->dropped = true;
	}
	pthread_mutex_unlock(&s->lock);
	free(path);
	if (was_empty)
		poke(s->wake[1]);
}

/*
 * The first event of a run inside one device directory also samples that
 * directory's state: the writes of a transaction (an attach) arrive as a
 * burst of events, and a driver may have moved the state on before the
 * event for the state node itself comes up.
 */
static void sample_dir_first(struct sampler *s, const char *path,
			     char *last_dir, size_t size)
{
	struct xbdev_path_parts pp;
	size_t n;
	char *state;

	xbdev_path_parse(path, &pp);
	n = pp.kind == XBDEV_PATH_FRONTEND || pp.kind == XBDEV_PATH_BACKEND ?
		    pp.dir_len : 0;
	if (!n || n >= size ||
	    (!strncmp(path, last_dir, n) && last_dir[n] == '\0'))
		return;
	memcpy(last_dir, path, n);
	last_dir[n] = '\0';
	if (!strcmp(path + n, "/state") ||
	    asprintf(&state, "%s/state", last_dir) < 0)
		return;
	sampler_push(s, state);
}

static void sampler_fail(struct sampler *s, int err)
{
	pthread_mutex_lock(&s->lock);
	s->err = err;
	pthread_mutex_unlock(&s->lock);
	poke(s->wake[1]);
}

/* Wait for an event or the stop pipe; false when told to stop. */
static bool sampler_wait(struct sampler *s)
{
	struct pollfd p[2] = { { .fd = xbdev_fileno(s->x), .events = POLLIN },
			       { .fd = s->stop[0], .events = POLLIN } };

	if (poll(p, 2, -1) < 0 && errno != EINTR)
		return false;
	return !p[1].revents;
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	char *path, *tok, last_dir[XBDEV_PATH_MAX] = "";
	sigset_t all;
	int r;

	/* Signals are for the monitor's thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		r = xbdev_watch_read(s->x, &path, &tok);
		if (r == -EAGAIN) {
			if (!sampler_wait(s))
				break;
			continue;
		}
		if (r) {
			sampler_fail(s, r);
			break;
		}
		if (!strcmp(tok, s->token) && monitor_relevant(path)) {
			sample_dir_first(s, path, last_dir, sizeof(last_dir));
			sampler_push(s, path);
		} else {
			free(path);
		}
		free(tok);
	}
	return NULL;
}

/* The watches: everything below /local/domain (dom0 sees every domain's
 * device and backend directories), xbdev's records, and domains coming
 * and going. */
static const char *const watched[] = { "/local/domain", XBDEV_ROOT,
				       "@introduceDomain", "@releaseDomain" };

static void sampler_unwatch(struct sampler *s, unsigned n)
{
	while (n--)
		xbdev_unwatch(s->x, watched[n], s->token);
}

/* The sampler has a xenstore connection of its own, which carries the
 * watches: its reads never queue behind the monitor's rescans. */
static int sampler_start(struct sampler *s, struct xbdev *x,
			 const char *token)
{
	unsigned i, n = 0;
	int err;

	*s = (struct sampler){ .token = token,
			       .wake = { -1, -1 }, .stop = { -1, -1 } };
	err = xbdev_open(&s->x);
	if (err)
		return err;
	xbdev_set_log_fn(s->x, x->log_fn, x->log_data);
	for (; !err && n < ARRAY_SIZE(watched); n++)
		err = xbdev_watch(s->x, watched[n], token);
	if (err) {
		n--;
		goto fail;
	}
	s->q = calloc(MON_QUEUE_MAX, sizeof(*s->q));
	err = -ENOMEM;
	if (!s->q)
		goto fail;
	if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) ||
	    pipe2(s->stop, O_CLOEXEC)) {
		err = -errno;
		goto fail;
	}
	pthread_mutex_init(&s->lock, NULL);
	err = -pthread_create(&s->thread, NULL, sampler_main, s);
	if (!err)
		return 0;
	pthread_mutex_destroy(&s->lock);
fail:
	for (i = 0; i < 2; i++) {
		if (s->wake[i] >= 0)
			close(s->wake[i]);
		if (s->stop[i] >= 0)
			close(s->stop[i]);
	}
	free(s->q);
	sampler_unwatch(s, n);
	xbdev_close(s->x);
	return err;
}

static void sampler_stop(struct sampler *s)
{
	unsigned i;

	poke(s->stop[1]);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	for (i = 0; i < s->n; i++)
		free(s->q[i].path);
	free(s->q);
	for (i = 0; i < 2; i++) {
		close(s->wake[i]);
		close(s->stop[i]);
	}
	sampler_unwatch(s, ARRAY_SIZE(watched));
	xbdev_close(s->x);
}

/* Sleep until samples are queued or the deadline passes. */
static int sampler_wait_wake(struct sampler *s, int cancel_fd,
			     int64_t deadline_ms)
{
	char buf[64];
	int err = xbdev_poll_in(s->wake[0], cancel_fd, deadline_ms);

	while (!err && read(s->wake[0], buf, sizeof(buf)) > 0)
		;
	return err;
}

/* Append the samples queued so far to the batch; the sampler gets a
 * fresh queue.  Lost samples make the batch rescan. */
static int sampler_grab(struct mon *m)
{
	struct sampler *s = m->s;
	struct obs *fresh = calloc(MON_QUEUE_MAX, sizeof(*fresh)), *q, *all;
	unsigned n;
	int err;

	if (!fresh)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	err = s->err;
	q = s->q;
	n = s->n;
	m->need_rescan |= s->dropped;
	s->q = fresh;
	s->n = 0;
	s->dropped = false;
	pthread_mutex_unlock(&s->lock);
	all = n ? realloc(m->obs, (m->n_obs + n) * sizeof(*all)) : m->obs;
	if (n && !all) {
		while (n--)
			free(q[n].path);
		free(q);
		return -ENOMEM;
	}
	if (n) {
		memcpy(all + m->n_obs, q, n * sizeof(*q));
		m->obs = all;
		m->n_obs += n;
	}
	free(q);
	return err;
}

/* Whether every known device with a directory below path still has
 * it. */
static bool known_below_intact(struct mon *m, const char *path)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		const struct xbdev_dev_status *d = &m->devs[i].d;

		if ((under(d->fe_dir, path) == 1 &&
		     xbdev_exists(m->x, XBDEV_TXN_NONE, d->fe_dir) <= 0) ||
		    (under(d->be_dir, path) == 1 &&
		     xbdev_exists(m->x, XBDEV_TXN_NONE, d->be_dir) <= 0))
			return false;
	}
	return true;
}

static void want_rescan(struct mon *m, const char *why)
{
	if (!m->need_rescan)
		xbdev_log(m->x, LOG_DEBUG, "rescan wanted: %s", why);
	m->need_rescan = true;
}

/* Classify samples from the first-th on: which belong to known devices,
 * and whether the device list must be read again. */
static void classify(struct mon *m, unsigned first)
{
	const char *checked = NULL;     /* last path found intact below */
	unsigned i;

	for (i = first; i < m->n_obs && !m->need_rescan; i++) {
		struct obs *o = &m->obs[i];

		/* What is still to be replayed: the known state nodes. */
		o->used = !o->is_state || o->value < 0;
		switch (obs_verdict(m, o)) {
		case OBS_KEEP:
			break;
		case OBS_RESCAN:
			want_rescan(m, o->path);
			break;
		case OBS_CHECK_BELOW:
			/* A guest rewriting its device/ in a loop costs
			 * one look per batch, not a rescan each time. */
			if (checked && !strcmp(checked, o->path))
				break;
			if (known_below_intact(m, o->path))
				checked = o->path;
			else
				want_rescan(m, o->path);
			break;
		}
	}
	for (; i < m->n_obs; i++)
		m->obs[i].used = !m->obs[i].is_state || m->obs[i].value < 0;
}

static void drop_obs(struct mon *m)
{
	unsigned i;

	for (i = 0; i < m->n_obs; i++)
		free(m->obs[i].path);
	free(m->obs);
	m->obs = NULL;
	m->n_obs = 0;
}

/* A sample still to be reported: a state node that was there. */
static bool pending_state(const struct obs *o)
{
	return !o->used && o->is_state && o->value >= 0;
}

static unsigned side_index(enum xbdev_side side)
{
	return side == XBDEV_SIDE_BACKEND;
}

/* The first sample of d's state on side, marked used, or NULL. */
static const struct obs *first_obs(struct mon *m, struct xbdev_dev_status *d,
				   enum xbdev_side want)
{
	enum xbdev_side side;
	unsigned i;

	for (i = 0; i < m->n_obs; i++)
		if (pending_state(&m->obs[i]) &&
		    state_slot(d, m->obs[i].path, &side) && side == want) {
			m->obs[i].used = true;
			return &m->obs[i];
		}
	return NULL;
}

/* A device new in this batch starts from its first sampled states, so
 * that the states it passes through afterwards are reported too; an end
 * without a sample starts from the rescan, read after t0. */
static int appeared(struct mon *m, struct mdev *md, int64_t t0)
{
	const struct obs *fe = first_obs(m, &md->d, XBDEV_SIDE_FRONTEND);
	const struct obs *be = first_obs(m, &md->d, XBDEV_SIDE_BACKEND);

	md->at[0] = md->at[1] = t0;
	if (fe) {
		md->d.fe_state = fe->value;
		md->at[0] = fe->at_ms;
	}
	if (be) {
		md->d.be_state = be->value;
		md->at[1] = be->at_ms;
	}
	return emit(m, XBDEV_EVENT_APPEARED, &md->d, XBDEV_SIDE_FRONTEND, -1,
		    md->d.fe_state, md->at[0] < md->at[1] ? md->at[0] :
							    md->at[1]);
}

/* Report an end moving to state now, read at at_ms, unless what is known
 * was read later. */
static int move(struct mon *m, struct mdev *md, enum xbdev_side side,
		int now, int64_t at_ms)
{
	int *cur = side == XBDEV_SIDE_FRONTEND ? &md->d.fe_state :
						 &md->d.be_state;
	int64_t *at = &md->at[side_index(side)];
	int old = *cur;

	if (at_ms < *at)
		return 0;
	*at = at_ms;
	if (old == now)
		return 0;
	*cur = now;
	return emit(m, XBDEV_EVENT_STATE, &md->d, side, old, now, at_ms);
}

/* Replay the samples in the order they were read. */
static int replay(struct mon *m, struct mdev *v, unsigned n)
{
	enum xbdev_side side;
	unsigned i, k;
	int r = 0;

	for (i = 0; !r && i < m->n_obs; i++) {
		if (!pending_state(&m->obs[i]))
			continue;
		for (k = 0; k < n; k++)
			if (state_slot(&v[k].d, m->obs[i].path, &side))
				break;
		if (k < n) {
			m->obs[i].used = true;
			r = move(m, &v[k], side, m->obs[i].value,
				 m->obs[i].at_ms);
		}
	}
	return r;
}

static int read_list(struct mon *m, struct xbdev_dev_status **out,
		     unsigned *out_n)
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
	*out = v;
	*out_n = k;
	return 0;
}

/* Bring a device up to the rescan (read after t0), or report it gone. */
static int catch_up(struct mon *m, struct mdev *md,
		    const struct xbdev_dev_status *now, int64_t t0)
{
	int r;

	if (!now)
		return emit(m, XBDEV_EVENT_REMOVED, &md->d,
			    XBDEV_SIDE_FRONTEND, md->d.fe_state, -1,
			    xbdev_now_ms());
	r = move(m, md, XBDEV_SIDE_FRONTEND, now->fe_state, t0);
	if (!r)
		r = move(m, md, XBDEV_SIDE_BACKEND, now->be_state, t0);
	/* The rescan judged the death (a detach stopping the process is
	 * not one). */
	if (!r && md->d.pid_alive && !now->pid_alive &&
	    now->health == XBDEV_HEALTH_BACKEND_DEAD) {
		md->d.pid_alive = false;
		md->d.health = now->health;
		r = emit(m, XBDEV_EVENT_BACKEND_DIED, &md->d,
			 XBDEV_SIDE_BACKEND, md->d.be_state, md->d.be_state,
			 xbdev_now_ms());
	}
	return r;
}

/* The new list of known devices: the rescan's, with the states as
 * reported (which may be newer than the rescan's). */
static int adopt(struct mon *m, struct mdev *w, unsigned nw,
		 struct xbdev_dev_status *v, unsigned n)
{
	struct mdev *nd = calloc(n + 1, sizeof(*nd)), *old;
	unsigned i;

	if (!nd)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		nd[i].d = v[i];
		old = lookup_m(w, nw, &v[i]);
		if (old) {
			nd[i].d.fe_state = old->d.fe_state;
			nd[i].d.be_state = old->d.be_state;
			memcpy(nd[i].at, old->at, sizeof(nd[i].at));
		}
	}
	free(m->devs);
	m->devs = nd;
	m->n = n;
	return 0;
}

/*
 * The slow half of a batch.  Rescan; the samples taken meanwhile join the
 * batch.  Work on the devices known before plus the new ones (starting
 * from their first sampled states), replay the samples, then bring each
 * device up to the rescan where the rescan is newer, and report the
 * devices gone.  Samples of a device that appeared after the rescan make
 * the next batch rescan again.
 */
static int settle(struct mon *m)
{
	struct xbdev_dev_status *v = NULL;
	struct mdev *w;
	unsigned n = 0, nw = m->n, first = m->n_obs, i;
	int64_t t0 = xbdev_now_ms();
	int r;

	if (!m->need_rescan)
		return replay(m, m->devs, m->n);
	m->need_rescan = false;
	xbdev_log(m->x, LOG_DEBUG, "rescanning the device list");
	r = read_list(m, &v, &n);
	if (!r)
		r = sampler_grab(m);
	if (!r)
		r = (w = realloc(m->devs, (m->n + n + 1) * sizeof(*w))) ?
			    0 : -ENOMEM;
	if (r) {
		free(v);
		return r;
	}
	m->devs = w;
	for (i = 0; !r && i < n; i++)
		if (!lookup_m(w, m->n, &v[i])) {
			w[nw].d = v[i];
			r = appeared(m, &w[nw++], t0);
		}
	if (!r)
		r = replay(m, w, nw);
	for (i = 0; !r && i < nw; i++)
		r = catch_up(m, &w[i], lookup(v, n, &w[i].d), t0);
	if (!r)
		r = adopt(m, w, nw, v, n);
	free(v);
	if (!r)
		classify(m, first);
	return r;
}

/* A killed backend process writes nothing to xenstore: look at each
 * known one now and then, and rescan when one is gone. */
static void check_daemons(struct mon *m)
{
	int64_t now = xbdev_now_ms();
	unsigned i;

	if (now < m->daemons_at)
		return;
	m->daemons_at = now + DAEMON_CHECK_MS;
	for (i = 0; i < m->n; i++) {
		const struct xbdev_dev_status *d = &m->devs[i].d;

		if (d->pid_alive && !xbdev_daemon_alive(d->pid, d->be_dir))
			want_rescan(m, d->be_dir);
	}
}

static bool any_daemon(const struct mon *m)
{
	unsigned i;

	for (i = 0; i < m->n; i++)
		if (m->devs[i].d.pid_alive)
			return true;
	return false;
}

/* Sleep until samples are queued, the deadline passes, or the backend
 * processes are due to be looked at; take the samples. */
static int wait_batch(struct mon *m, int64_t deadline_ms)
{
	int64_t until = deadline_ms;
	bool tick = false;
	int r;

	if (any_daemon(m) && (until < 0 || m->daemons_at < until)) {
		until = m->daemons_at;
		tick = true;
	}
	r = sampler_wait_wake(m->s, m->x->cancel_fd, until);
	if (r == -ETIMEDOUT && tick)
		r = 0;
	if (!r)
		r = sampler_grab(m);
	if (!r)
		classify(m, 0);
	/* Also while events keep coming (a busy device's counters). */
	if (!r && any_daemon(m))
		check_daemons(m);
	return r;
}

int xbdev_monitor(struct xbdev *x, int domid, const char *cls, long devid,
		  int64_t deadline_ms, xbdev_event_fn fn, void *arg)
{
	struct mon *m = calloc(1, sizeof(*m));
	struct sampler s;
	char token[32];
	int r;

	if (!m)
		return -ENOMEM;
	*m = (struct mon){ .x = x, .domid = domid, .cls = cls,
			   .devid = devid, .fn = fn, .arg = arg, .s = &s,
			   .need_rescan = true };
	snprintf(token, sizeof(token), "xbdev-monitor-%u", ++x->token_seq);
	r = sampler_start(&s, x, token);
	if (!r) {
		r = settle(m);
		while (!r) {
			drop_obs(m);
			/* A device seen only in samples taken during the
			 * last rescan: rescan again at once. */
			if (!m->need_rescan)
				r = wait_batch(m, deadline_ms);
			if (!r)
				r = settle(m);
		}
		drop_obs(m);
		sampler_stop(&s);
	}
	free(m->devs);
	free(m);
	return r;
}
