/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: finding every device on the host and judging its health.
 * Devices are found from three places: xbdev's records (trusted), the
 * backend directories (written by the toolstack, readable by the guest)
 * and the frontend directories (owned by the guest: used for display and
 * verdicts only, never to decide what to remove).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

const char *xbdev_health_name(enum xbdev_health h)
{
	static const char *const names[] = {
		[XBDEV_HEALTH_OK] = "ok",
		[XBDEV_HEALTH_CONNECTING] = "connecting",
		[XBDEV_HEALTH_STUCK] = "stuck",
		[XBDEV_HEALTH_CLOSING] = "closing",
		[XBDEV_HEALTH_ORPHANED] = "orphaned",
		[XBDEV_HEALTH_INCONSISTENT] = "inconsistent",
		[XBDEV_HEALTH_BACKEND_DEAD] = "backend-dead",
		[XBDEV_HEALTH_CONSOLE] = "console",
		[XBDEV_HEALTH_EJECTED] = "ejected",
	};

	if ((unsigned)h >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[h];
}

struct scan {
	struct xbdev *x;
	struct xbdev_dev_status *v;
	unsigned n, cap;
	int64_t *created, *detaching;   /* per entry, from the record */
};

static struct xbdev_dev_status *scan_add(struct scan *s)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 16;
		void *v = realloc(s->v, cap * sizeof(*s->v));
		void *c, *d;

		if (!v)
			return NULL;
		s->v = v;
		c = realloc(s->created, cap * sizeof(*s->created));
		if (c)
			s->created = c;
		d = realloc(s->detaching, cap * sizeof(*s->detaching));
		if (d)
			s->detaching = d;
		if (!c || !d)
			return NULL;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	s->v[s->n].fe_state = s->v[s->n].be_state = -1;
	s->created[s->n] = s->detaching[s->n] = 0;
	return &s->v[s->n++];
}

static struct xbdev_dev_status *find(struct scan *s, const char *fe_dir,
				     const char *be_dir)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		if ((fe_dir && !strcmp(s->v[i].fe_dir, fe_dir)) ||
		    (be_dir && !strcmp(s->v[i].be_dir, be_dir)))
			return &s->v[i];
	return NULL;
}

/* Calls fn(s, parent, child) for every child of dir. */
typedef int (*child_fn)(struct scan *s, const char *dir, const char *name,
			const void *ctx);

static int each_child(struct scan *s, const char *dir, child_fn fn,
		      const void *ctx)
{
	char **kids = NULL;
	unsigned n = 0, i;
	int err = xbdev_ls(s->x, XBDEV_TXN_NONE, dir, &kids, &n);

	if (err == -ENOENT || err == -EACCES)
		err = 0;
	for (i = 0; !err && i < n; i++)
		err = fn(s, dir, kids[i], ctx);
	xbdev_strv_free(kids, n);
	return err;
}

static int ids3(const char *a, const char *b, unsigned long *x, unsigned long *y)
{
	if (xbdev_parse_uint(a, XBDEV_DOMID_MAX, x) || xbdev_parse_uint(b,
							      XBDEV_DEVID_MAX, y))
		return -EINVAL;
	return 0;
}

/* ---- records ---- */

struct rec_ctx { const char *fe, *cls; };

static int rec_devid(struct scan *s, const char *dir, const char *name,
		     const void *ctx)
{
	const struct rec_ctx *c = ctx;
	struct xbdev_dev_status *d;
	struct xbdev_record r;
	unsigned long fe, devid;

	if (ids3(c->fe, name, &fe, &devid) ||
	    xbdev_record_read(s->x, XBDEV_TXN_NONE, (unsigned)fe, c->cls,
			      (unsigned)devid, &r))
		return 0;   /* not a record of ours: ignore */
	d = scan_add(s);
	if (!d)
		return -ENOMEM;
	d->fe = r.fe;
	d->be = r.be;
	d->devid = r.devid;
	snprintf(d->cls, sizeof(d->cls), "%s", r.cls);
	snprintf(d->type, sizeof(d->type), "%s", r.type);
	snprintf(d->fe_dir, sizeof(d->fe_dir), "%s", r.fe_dir);
	snprintf(d->be_dir, sizeof(d->be_dir), "%s", r.be_dir);
	d->has_record = true;
	snprintf(d->managed_by, sizeof(d->managed_by), "%s",
		 r.managed_by[0] ? r.managed_by : "xbdev");
	snprintf(d->fe_name, sizeof(d->fe_name), "%s", r.fe_name);
	snprintf(d->media, sizeof(d->media), "%s", r.media);
	d->pid = r.pid;
	d->pid_alive = xbdev_record_daemon_alive(&r);
	s->created[s->n - 1] = r.created;
	s->detaching[s->n - 1] = r.detaching;
	return 0;
}

static int rec_cls(struct scan *s, const char *dir, const char *name,
		   const void *ctx)
{
	struct rec_ctx c = { ctx, name };
	char path[XBDEV_PATH_MAX];

	if (xbdev_path_join(path, sizeof(path), dir, name))
		return 0;
	return each_child(s, path, rec_devid, &c);
}

static int rec_fe(struct scan *s, const char *dir, const char *name,
		  const void *ctx)
{
	char path[XBDEV_PATH_MAX];

	if (xbdev_path_join(path, sizeof(path), dir, name))
		return 0;
	return each_child(s, path, rec_cls, name);
}

/* ---- backends: /local/domain/<be>/backend/<type>/<fe>/<devid> ---- */

struct be_ctx { unsigned be; const char *type, *fe; };

/* Is v exactly the frontend directory /local/domain/<fe>/device/<class>/<devid>
 * of d's frontend domain and id?  Then *pp has its class. */
static bool is_front_dir_of(const char *v, const struct xbdev_dev_status *d,
			    struct xbdev_path_parts *pp)
{
	xbdev_path_parse(v, pp);
	return pp->kind == XBDEV_PATH_FRONTEND && !*pp->rest &&
	       pp->fe == d->fe && pp->devid == d->devid;
}

static void front_from_backend(struct scan *s, struct xbdev_dev_status *d)
{
	char path[XBDEV_PATH_MAX], *v = NULL, prefix[32];
	struct xbdev_path_parts pp;

	/* Where the backend says its frontend is.  Most frontends live in
	 * device/<class>/<devid>; some (the PV console) elsewhere in the
	 * frontend's domain; otherwise the path is built from the type. */
	snprintf(d->cls, sizeof(d->cls), "%s", d->type);
	/* (fe is a parsed domid: this cannot fail; if it did, no prefix) */
	if (!xbdev_path_domain(prefix, sizeof(prefix) - 1, d->fe, NULL))
		strcat(prefix, "/");
	else
		prefix[0] = '\0';
	if (xbdev_path_join(path, sizeof(path), d->be_dir, "frontend") ||
	    xbdev_read(s->x, XBDEV_TXN_NONE, path, &v)) {
		xbdev_path_frontend(d->fe_dir, sizeof(d->fe_dir), d->fe,
				    d->cls, d->devid);
	} else if (is_front_dir_of(v, d, &pp)) {
		snprintf(d->cls, sizeof(d->cls), "%s", pp.name);
		xbdev_path_frontend(d->fe_dir, sizeof(d->fe_dir), d->fe,
				    d->cls, d->devid);
	} else if (prefix[0] && !strncmp(v, prefix, strlen(prefix)) &&
		   !strstr(v, "/..") &&
		   strlen(v) < sizeof(d->fe_dir)) {
		snprintf(d->fe_dir, sizeof(d->fe_dir), "%s", v);
	} else {
		xbdev_path_frontend(d->fe_dir, sizeof(d->fe_dir), d->fe,
				    d->cls, d->devid);
	}
	free(v);
}

static int be_devid(struct scan *s, const char *dir, const char *name,
		    const void *ctx)
{
	const struct be_ctx *c = ctx;
	struct xbdev_dev_status *d;
	char be_dir[XBDEV_PATH_MAX];
	unsigned long fe, devid;

	if (ids3(c->fe, name, &fe, &devid) ||
	    xbdev_path_backend(be_dir, sizeof(be_dir), c->be, c->type,
			       (unsigned)fe, (unsigned)devid))
		return 0;
	d = find(s, NULL, be_dir);
	if (d) {
		d->has_back = true;
		return 0;
	}
	d = scan_add(s);
	if (!d)
		return -ENOMEM;
	d->fe = (unsigned)fe;
	d->be = c->be;
	d->devid = (unsigned)devid;
	d->has_back = true;
	snprintf(d->type, sizeof(d->type), "%s", c->type);
	snprintf(d->be_dir, sizeof(d->be_dir), "%s", be_dir);
	front_from_backend(s, d);
	return 0;
}

static int be_fe(struct scan *s, const char *dir, const char *name,
		 const void *ctx)
{
	const struct be_ctx *c = ctx;
	struct be_ctx cc = { c->be, c->type, name };
	char path[XBDEV_PATH_MAX];

	if (xbdev_path_join(path, sizeof(path), dir, name))
		return 0;
	return each_child(s, path, be_devid, &cc);
}

static int be_type(struct scan *s, const char *dir, const char *name,
		   const void *ctx)
{
	struct be_ctx c = { *(const unsigned *)ctx, name, NULL };
	char path[XBDEV_PATH_MAX];

	if (xbdev_validate_name(name, false) ||
	    xbdev_path_join(path, sizeof(path), dir, name))
		return 0;
	return each_child(s, path, be_fe, &c);
}

/* ---- frontends: /local/domain/<fe>/device/<class>/<devid> ---- */

struct fe_ctx { unsigned fe; const char *cls; };

static int fe_devid(struct scan *s, const char *dir, const char *name,
		    const void *ctx)
{
	const struct fe_ctx *c = ctx;
	struct xbdev_dev_status *d;
	char fe_dir[XBDEV_PATH_MAX], path[XBDEV_PATH_MAX];
	unsigned long devid, be = 0;

	if (xbdev_parse_uint(name, XBDEV_DEVID_MAX, &devid) ||
	    xbdev_path_frontend(fe_dir, sizeof(fe_dir), c->fe, c->cls,
				(unsigned)devid))
		return 0;
	d = find(s, fe_dir, NULL);
	if (d) {
		d->has_front = true;
		return 0;
	}
	/* No backend points here: an orphan, whatever its nodes claim. */
	d = scan_add(s);
	if (!d)
		return -ENOMEM;
	d->fe = c->fe;
	d->devid = (unsigned)devid;
	d->has_front = true;
	snprintf(d->cls, sizeof(d->cls), "%s", c->cls);
	snprintf(d->type, sizeof(d->type), "%s", c->cls);
	snprintf(d->fe_dir, sizeof(d->fe_dir), "%s", fe_dir);
	if (!xbdev_path_join(path, sizeof(path), fe_dir, "backend-id"))
		xbdev_read_uint(s->x, XBDEV_TXN_NONE, path, XBDEV_DOMID_MAX, &be);
	d->be = (unsigned)be;
	return 0;
}

static int fe_cls(struct scan *s, const char *dir, const char *name,
		  const void *ctx)
{
	struct fe_ctx c = { *(const unsigned *)ctx, name };
	char path[XBDEV_PATH_MAX];

	if (xbdev_validate_name(name, false) ||
	    xbdev_path_join(path, sizeof(path), dir, name))
		return 0;
	return each_child(s, path, fe_devid, &c);
}

/* ---- verdicts ---- */

static bool points_to(struct xbdev *x, const char *dir, const char *key,
		      const char *want)
{
	char path[XBDEV_PATH_MAX], *v = NULL;
	bool ok;

	ok = !xbdev_path_join(path, sizeof(path), dir, key) &&
	     !xbdev_read(x, XBDEV_TXN_NONE, path, &v) && !strcmp(v, want);
	free(v);
	return ok;
}

static void read_state(struct xbdev *x, const char *dir, bool present,
		       int *out)
{
	enum xbdev_state st;

	*out = present && !xbdev_state_read(x, XBDEV_TXN_NONE, dir, &st) ?
		       (int)st : -1;
}

/* The disk a vbd's backend serves, for display (a backend domain's
 * node: never used to open anything). */
static void read_params(struct xbdev *x, struct xbdev_dev_status *d)
{
	char path[XBDEV_PATH_MAX], *v = NULL;

	if (!xbdev_path_join(path, sizeof(path), d->be_dir, "params") &&
	    !xbdev_read(x, XBDEV_TXN_NONE, path, &v))
		snprintf(d->params, sizeof(d->params), "%s", v);
	free(v);
}

/* libxl's console 0 of a domain: backend type console, device 0, its
 * frontend the domain's own console directory, not device/console/0. */
static bool primary_console(const struct xbdev_dev_status *d)
{
	char dir[XBDEV_PATH_MAX];

	return !strcmp(d->type, "console") && d->devid == 0 &&
	       !xbdev_path_domain(dir, sizeof(dir), d->fe, "console") &&
	       !strcmp(d->fe_dir, dir);
}

static void judge(struct scan *s, unsigned i, int64_t now)
{
	struct xbdev_dev_status *d = &s->v[i];
	int64_t created = s->created[i], detaching = s->detaching[i];
	bool closing;

	if (d->has_record || !d->has_front)
		d->has_front = xbdev_exists(s->x, XBDEV_TXN_NONE, d->fe_dir) > 0;
	if (d->has_record)
		d->has_back = xbdev_exists(s->x, XBDEV_TXN_NONE, d->be_dir) > 0;
	read_state(s->x, d->fe_dir, d->has_front, &d->fe_state);
	read_state(s->x, d->be_dir, d->has_back, &d->be_state);
	d->fe_gone = xbdev_domain_present(s->x, XBDEV_TXN_NONE, d->fe) ==
		     -ESRCH;
	if (d->has_back && !strcmp(d->cls, "vbd"))
		read_params(s->x, d);
	closing = detaching || d->fe_state == XBDEV_STATE_CLOSING ||
		  d->fe_state == XBDEV_STATE_CLOSED ||
		  d->be_state == XBDEV_STATE_CLOSING ||
		  d->be_state == XBDEV_STATE_CLOSED;
	if (!d->has_front && !d->has_back &&
	    !strcmp(d->media, XBDEV_MEDIA_EJECTED)) {
		d->health = XBDEV_HEALTH_EJECTED;
	} else if (!d->has_front || !d->has_back) {
		d->health = XBDEV_HEALTH_ORPHANED;
	} else if (primary_console(d)) {
		d->health = XBDEV_HEALTH_CONSOLE;
	} else if (!points_to(s->x, d->fe_dir, "backend", d->be_dir) ||
		   !points_to(s->x, d->be_dir, "frontend", d->fe_dir)) {
		d->health = XBDEV_HEALTH_INCONSISTENT;
	} else if (d->pid && !d->pid_alive && !detaching) {
		/* Both ends may still say Connected: a killed process
		 * writes nothing. */
		d->health = XBDEV_HEALTH_BACKEND_DEAD;
	} else if (d->fe_state == XBDEV_STATE_CONNECTED &&
		   d->be_state == XBDEV_STATE_CONNECTED && !detaching) {
		d->health = XBDEV_HEALTH_OK;
	} else if (closing) {
		d->health = XBDEV_HEALTH_CLOSING;
		d->since = detaching;
		if (detaching && now - detaching > XBDEV_STUCK_AFTER_S)
			d->health = XBDEV_HEALTH_STUCK;
	} else if (created && now - created > XBDEV_STUCK_AFTER_S) {
		d->health = XBDEV_HEALTH_STUCK;
		d->since = created;
	} else {
		d->health = XBDEV_HEALTH_CONNECTING;
	}
}

static int cmp_dev(const void *a, const void *b)
{
	const struct xbdev_dev_status *x = a, *y = b;
	int c;

	if (x->fe != y->fe)
		return x->fe < y->fe ? -1 : 1;
	c = strcmp(x->cls, y->cls);
	if (c)
		return c;
	if (x->devid != y->devid)
		return x->devid < y->devid ? -1 : 1;
	return strcmp(x->be_dir, y->be_dir);
}

static int scan_domains(struct scan *s)
{
	char path[XBDEV_PATH_MAX];
	unsigned *doms = NULL, n = 0, i;
	int err = xbdev_domain_list(s->x, &doms, &n);

	for (i = 0; !err && i < n; i++) {
		err = xbdev_path_domain(path, sizeof(path), doms[i], "backend");
		if (!err)
			err = each_child(s, path, be_type, &doms[i]);
	}
	for (i = 0; !err && i < n; i++) {
		err = xbdev_path_domain(path, sizeof(path), doms[i], "device");
		if (!err)
			err = each_child(s, path, fe_cls, &doms[i]);
	}
	free(doms);
	return err;
}

int xbdev_status_list(struct xbdev *x, int domid, int64_t now,
		      struct xbdev_dev_status **out, unsigned *n)
{
	struct scan s = { .x = x };
	unsigned i, k = 0, r;
	int err;

	*out = NULL;
	*n = 0;
	err = each_child(&s, "/xbdev", rec_fe, NULL);
	if (!err)
		err = scan_domains(&s);
	for (i = 0; !err && i < s.n; i++) {
		if (domid >= 0 && s.v[i].fe != (unsigned)domid &&
		    s.v[i].be != (unsigned)domid)
			continue;
		judge(&s, i, now);
		s.v[k++] = s.v[i];
	}
	free(s.created);
	free(s.detaching);
	if (err) {
		free(s.v);
		return err;
	}
	if (k)
		qsort(s.v, k, sizeof(*s.v), cmp_dev);
	for (i = 0, r = 0; i < k; i++)
		r += s.v[i].has_record;
	xbdev_log(x, LOG_DEBUG, "found %u device%s, %u of them with xbdev's "
		  "record", k, k == 1 ? "" : "s", r);
	*out = s.v;
	*n = k;
	return 0;
}

#define WALK_DEPTH_MAX 16

static int walk(struct xbdev *x, const char *path, unsigned depth,
		xbdev_node_fn fn, void *arg)
{
	struct xbdev_acl_entry *acl = NULL;
	char **kids = NULL, *v = NULL, child[XBDEV_PATH_MAX];
	unsigned n_acl = 0, n = 0, i;
	int err;

	if (depth > WALK_DEPTH_MAX)
		return -ELOOP;
	err = xbdev_read(x, XBDEV_TXN_NONE, path, &v);
	if (!err)
		err = xbdev_get_perms(x, XBDEV_TXN_NONE, path, &acl, &n_acl);
	if (!err)
		err = fn(path, v, acl, n_acl, arg);
	if (!err)
		err = xbdev_ls(x, XBDEV_TXN_NONE, path, &kids, &n);
	for (i = 0; !err && i < n; i++) {
		if (snprintf(child, sizeof(child), "%s/%s", path, kids[i]) >=
		    (int)sizeof(child))
			err = -ENAMETOOLONG;
		else
			err = walk(x, child, depth + 1, fn, arg);
	}
	xbdev_strv_free(kids, n);
	free(acl);
	free(v);
	return err;
}

int xbdev_walk(struct xbdev *x, const char *dir, xbdev_node_fn fn, void *arg)
{
	return walk(x, dir, 0, fn, arg);
}
