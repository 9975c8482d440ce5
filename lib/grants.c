/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: the grant use of a vbd served by xbdev-blkback, as its backend
 * publishes it under the record's info/ (backend/publish.c, at most once a
 * second, in one transaction), and what of it an admin should be warned
 * about.  The record is dom0's alone: nothing here comes from a guest.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

static const char *const grant_keys[] = {
	[XBDEV_GRANT_MAPPED] = "persistent-grants",
	[XBDEV_GRANT_MAX] = "persistent-grants-max",
	[XBDEV_GRANT_PEAK] = "persistent-grants-peak",
	[XBDEV_GRANT_RING] = "ring-grants",
	[XBDEV_GRANT_COPY_FAILURES] = "grant-errors",
	[XBDEV_GRANT_MAP_FAILURES] = "map-failures",
};

const char *xbdev_grant_key_name(enum xbdev_grant_key k)
{
	if ((unsigned)k >= ARRAY_SIZE(grant_keys))
		return "?";
	return grant_keys[k];
}

struct grant_read {
	const char *rec;
	struct xbdev_grant_use *g;
};

/* One info/ key; a missing one is -ENOENT. */
static int info_read(struct xbdev *x, xbdev_txn_t t, const char *rec,
		     const char *key, char **v)
{
	char dir[XBDEV_PATH_MAX], p[XBDEV_PATH_MAX];
	int err;

	*v = NULL;
	err = xbdev_path_join(dir, sizeof(dir), rec, "info");
	if (!err)
		err = xbdev_path_join(p, sizeof(p), dir, key);
	if (!err)
		err = xbdev_read(x, t, p, v);
	return err;
}

static int read_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct grant_read *r = arg;
	struct xbdev_grant_use *g = r->g;
	unsigned long n;
	char *v = NULL;
	unsigned i;
	int err = 0;

	/* A retried transaction starts again from nothing. */
	memset(g, 0, sizeof(*g));
	for (i = 0; !err && i < XBDEV_GRANT_NKEYS; i++) {
		err = info_read(x, t, r->rec, grant_keys[i], &v);
		if (!err && xbdev_parse_uint(v, ULONG_MAX, &n))
			err = -EBADMSG;
		if (!err)
			g->n[i] = n;
		free(v);
	}
	if (err)
		return err;
	err = info_read(x, t, r->rec, XBDEV_GRANT_LAST_ERROR, &v);
	if (!err)
		snprintf(g->last_error, sizeof(g->last_error), "%s", v);
	free(v);
	return err == -ENOENT ? 0 : err;
}

/* The share of the cap mapped and the warnings, from the numbers. */
static void judge(struct xbdev_grant_use *g)
{
	unsigned long long mapped = g->n[XBDEV_GRANT_MAPPED];
	unsigned long long cap = g->n[XBDEV_GRANT_MAX];

	g->pct = cap ? (unsigned)(mapped * 100 / cap) : 0;
	g->warn = 0;
	if (cap && mapped * 100 >= cap * XBDEV_GRANT_WARN_PCT)
		g->warn |= XBDEV_GRANT_WARN_CAP;
	if (g->n[XBDEV_GRANT_MAP_FAILURES])
		g->warn |= XBDEV_GRANT_WARN_MAP;
	if (g->n[XBDEV_GRANT_COPY_FAILURES])
		g->warn |= XBDEV_GRANT_WARN_COPY;
	g->map_dom0_limit = !strcmp(g->last_error, "ENOMEM") ||
			    !strcmp(g->last_error, "ENOSPC");
}

int xbdev_grant_use_read(struct xbdev *x, const struct xbdev_dev_status *d,
			 struct xbdev_grant_use *g)
{
	char rec[XBDEV_PATH_MAX];
	struct grant_read r = { rec, g };
	int err;

	memset(g, 0, sizeof(*g));
	if (!d->has_record || strcmp(d->cls, "vbd"))
		return -ENOENT;
	err = xbdev_path_record(rec, sizeof(rec), d->fe, d->cls, d->devid);
	if (!err)
		err = xbdev_txn(x, read_txn, &r);
	if (err) {
		memset(g, 0, sizeof(*g));
		return err;
	}
	judge(g);
	return 0;
}
