/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: the block devices of one guest, with what serves each (for
 * `xbdev block-list`, like `xl block-list` but for every backend).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

/* A backend node into buf ("" when missing or unreadable). */
static void read_node(struct xbdev *x, const char *dir, const char *key,
		      char *buf, size_t len)
{
	char p[XBDEV_PATH_MAX], *v = NULL;

	buf[0] = '\0';
	if (!xbdev_path_join(p, sizeof(p), dir, key) &&
	    !xbdev_read(x, XBDEV_TXN_NONE, p, &v))
		snprintf(buf, len, "%s", v);
	free(v);
}

static void block_kind(struct xbdev *x, const struct xbdev_dev_status *d,
		       char *kind, size_t len)
{
	const char *k = d->type;
	bool ours = !strcmp(d->managed_by, XBDEV_MANAGED_BY_LIBXL);

	/* A disk of an xl config that names xbdev's script is ours even
	 * while xbdevd has not taken it (no record yet). */
	if (!ours && d->has_back && d->be == 0)
		ours = xbdev_libxl_device_ours(x, XBDEV_TXN_NONE, d->type,
					       d->be_dir, 0) == 1;
	if (!strcmp(d->type, xbdev_vbd_backend_type(XBDEV_VBD_XBDEV)) || ours)
		k = "xbdev";
	else if (!strcmp(d->type, XBDEV_LIBXL_TYPE_VBD))
		k = "phy";
	else if (!strcmp(d->type, XBDEV_LIBXL_TYPE_VBD3))
		k = "tap";
	snprintf(kind, len, "%s", k);
}

int xbdev_block_list(struct xbdev *x, unsigned fe, struct xbdev_block **out,
		     unsigned *n)
{
	struct xbdev_dev_status *v = NULL;
	struct xbdev_block *b = NULL;
	unsigned nv = 0, i, k = 0;
	int err;

	*out = NULL;
	*n = 0;
	err = xbdev_status_list(x, (int)fe, 0, &v, &nv);
	if (!err && nv) {
		b = calloc(nv, sizeof(*b));
		if (!b)
			err = -ENOMEM;
	}
	/* The status list is sorted by (fe, class, devid). */
	for (i = 0; !err && i < nv; i++) {
		const struct xbdev_dev_status *d = &v[i];
		struct xbdev_block *e = &b[k];

		if (d->fe != fe || strcmp(d->cls, XBDEV_LIBXL_CLASS))
			continue;
		e->fe = d->fe;
		e->be = d->be;
		e->devid = d->devid;
		if (xbdev_vdev_name(d->devid, e->vdev, sizeof(e->vdev)))
			snprintf(e->vdev, sizeof(e->vdev), "%u", d->devid);
		snprintf(e->type, sizeof(e->type), "%s", d->type);
		block_kind(x, d, e->kind, sizeof(e->kind));
		if (d->has_back) {
			read_node(x, d->be_dir, "params", e->params,
				  sizeof(e->params));
			read_node(x, d->be_dir, "mode", e->mode,
				  sizeof(e->mode));
		}
		memcpy(e->fe_dir, d->fe_dir, sizeof(e->fe_dir));
		memcpy(e->be_dir, d->be_dir, sizeof(e->be_dir));
		e->fe_state = d->fe_state;
		e->be_state = d->be_state;
		k++;
	}
	free(v);
	if (err) {
		free(b);
		return err;
	}
	*out = b;
	*n = k;
	return 0;
}
