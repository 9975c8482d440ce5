/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: the devices of guests that are gone.  xl's reboot is a new
 * domain with a new domid, and a destroy removes /local/domain/<id> but
 * not what xbdev attached: the backend directory, the backend process and
 * the record stay under the old domid.  They are found from the records
 * alone (dom0's, trusted) and removed by detach's own teardown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

struct gone_scan {
	struct xbdev *x;
	const char *name;
	struct xbdev_record *v;
	unsigned n, cap;
};

static int gone_add(struct gone_scan *s, const struct xbdev_record *r)
{
	if (s->n == s->cap) {
		unsigned cap = s->cap ? s->cap * 2 : 8;
		struct xbdev_record *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *r;
	return 0;
}

/* ls dir; a directory that is gone (or that dom0 cannot read) has no
 * children. */
static int children(struct xbdev *x, const char *dir, char ***kids, unsigned *n)
{
	int err = xbdev_ls(x, XBDEV_TXN_NONE, dir, kids, n);

	if (err == -ENOENT) {
		*kids = NULL;
		*n = 0;
		err = 0;
	}
	return err;
}

/* Every record of frontend domain fe (/xbdev/<fe>/<class>/<devid>). */
static int scan_domain(struct gone_scan *s, unsigned fe, const char *fe_dir)
{
	char cls_dir[XBDEV_PATH_MAX], **cls = NULL, **ids = NULL;
	unsigned n_cls = 0, n_ids = 0, i, k;
	struct xbdev_record r;
	unsigned long devid;
	int err;

	err = children(s->x, fe_dir, &cls, &n_cls);
	for (i = 0; !err && i < n_cls; i++) {
		if (xbdev_validate_name(cls[i], false) ||
		    xbdev_path_join(cls_dir, sizeof(cls_dir), fe_dir, cls[i]))
			continue;
		err = children(s->x, cls_dir, &ids, &n_ids);
		for (k = 0; !err && k < n_ids; k++) {
			/* What does not read as a record is not ours to
			 * remove (status shows it). */
			if (xbdev_parse_uint(ids[k], XBDEV_DEVID_MAX, &devid) ||
			    xbdev_record_read(s->x, XBDEV_TXN_NONE, fe, cls[i],
					      (unsigned)devid, &r))
				continue;
			if (!strcmp(r.managed_by, XBDEV_MANAGED_BY_LIBXL))
				continue;
			if (s->name && strcmp(r.fe_name, s->name))
				continue;
			err = gone_add(s, &r);
		}
		xbdev_strv_free(ids, n_ids);
		ids = NULL;
		n_ids = 0;
	}
	xbdev_strv_free(cls, n_cls);
	return err;
}

static int cmp_record(const void *a, const void *b)
{
	const struct xbdev_record *x = a, *y = b;
	int c;

	if (x->fe != y->fe)
		return x->fe < y->fe ? -1 : 1;
	c = strcmp(x->cls, y->cls);
	if (c)
		return c;
	return x->devid < y->devid ? -1 : x->devid > y->devid;
}

int xbdev_gone_list(struct xbdev *x, int domid, const char *name,
		    struct xbdev_record **out, unsigned *n)
{
	struct gone_scan s = { .x = x, .name = name };
	char dir[XBDEV_PATH_MAX], **fes = NULL;
	unsigned n_fes = 0, i;
	unsigned long fe;
	int err, gone;

	*out = NULL;
	*n = 0;
	err = children(x, XBDEV_ROOT, &fes, &n_fes);
	for (i = 0; !err && i < n_fes; i++) {
		/* Also skips /xbdev/parents. */
		if (xbdev_parse_uint(fes[i], XBDEV_DOMID_MAX, &fe) ||
		    (domid >= 0 && fe != (unsigned long)domid) ||
		    xbdev_path_join(dir, sizeof(dir), XBDEV_ROOT, fes[i]))
			continue;
		/* One look-up per domain, not per device. */
		gone = xbdev_domain_gone(x, (unsigned)fe);
		if (gone < 0)
			err = gone;
		else if (gone)
			err = scan_domain(&s, (unsigned)fe, dir);
	}
	xbdev_strv_free(fes, n_fes);
	if (err) {
		free(s.v);
		return err;
	}
	if (s.n)
		qsort(s.v, s.n, sizeof(*s.v), cmp_record);
	*out = s.v;
	*n = s.n;
	return 0;
}

int xbdev_prune(struct xbdev *x, const struct xbdev_record *rec,
		const struct xbdev_detach_opts *opts)
{
	struct xbdev_detach_opts o = *opts;
	struct xbdev_record now;
	int err, gone;

	/* The list may be old: act only on the same record, of a domain
	 * that is still gone (a domid comes back only as another domain,
	 * whose devices are not debris). */
	err = xbdev_record_read(x, XBDEV_TXN_NONE, rec->fe, rec->cls,
				rec->devid, &now);
	if (err)
		return err;
	if (now.created != rec->created || strcmp(now.be_dir, rec->be_dir))
		return -ESTALE;
	gone = xbdev_domain_gone(x, rec->fe);
	if (gone < 0)
		return gone;
	if (!gone)
		return -EBUSY;
	/* Nobody is left to close the frontend: what does not close in
	 * time is removed anyway. */
	o.force = true;
	return xbdev_detach(x, &now, &o, NULL);
}
