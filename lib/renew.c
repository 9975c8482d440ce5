/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: a fresh frontend directory for a device still attached.
 *
 * Linux keeps a frontend's XenBus state in the guest's struct
 * xenbus_device.  Unbinding the driver (needed before it can be unloaded:
 * xenbus holds a module reference per bound device) switches it to Closed
 * and leaves it so; a driver bound to it again answers a backend's InitWait
 * only from Initialising, so it never connects.  The guest only makes a
 * new xenbus_device, starting from Initialising, when the directory goes
 * away (xenbus_dev_changed unregisters the old one) and appears again in
 * state Initialising (xenbus_probe_node).  The record's front/ copy of what
 * attach wrote there (plan.c) is what is written back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

/* The device is still wanted: its record has no detach begun and the
 * toolstack has not taken the backend offline. */
static int still_attached(struct xbdev *x, xbdev_txn_t t,
			  const struct xbdev_record *rec)
{
	struct xbdev_record cur;
	char path[XBDEV_PATH_MAX];
	unsigned long online = 0;
	int err;

	err = xbdev_record_read(x, t, rec->fe, rec->cls, rec->devid, &cur);
	if (err == -ENOENT)
		return -EBUSY;
	if (err)
		return err;
	if (cur.detaching || strcmp(cur.be_dir, rec->be_dir))
		return -EBUSY;
	err = xbdev_path_join(path, sizeof(path), rec->be_dir, "online");
	if (!err)
		err = xbdev_read_uint(x, t, path, 1, &online);
	if (err == -ENOENT)
		return -EBUSY;
	return err ? err : online ? 0 : -EBUSY;
}

static int front_copy_dir(const struct xbdev_record *rec, char *buf,
			  size_t len)
{
	return xbdev_path_join(buf, len, rec->rec_dir, XBDEV_RECORD_FRONT);
}

int xbdev_frontend_retire(struct xbdev *x, xbdev_txn_t t,
			  const struct xbdev_record *rec)
{
	char copy[XBDEV_PATH_MAX];
	enum xbdev_state st;
	int err = still_attached(x, t, rec);

	if (!err)
		err = xbdev_state_read(x, t, rec->fe_dir, &st);
	if (!err && st != XBDEV_STATE_CLOSED)
		err = -EBUSY;
	if (!err)
		err = front_copy_dir(rec, copy, sizeof(copy));
	if (!err)
		err = xbdev_exists(x, t, copy);
	if (err <= 0)
		return err ? err : -ENOENT;
	return xbdev_rm(x, t, rec->fe_dir);
}

/* Copy every node below src to the same place below dst. */
static int copy_tree(struct xbdev *x, xbdev_txn_t t, const char *src,
		     const char *dst, unsigned depth)
{
	char **kids = NULL, s[XBDEV_PATH_MAX], d[XBDEV_PATH_MAX], *v;
	unsigned n = 0, i;
	int err;

	if (depth > 8)
		return -ELOOP;
	err = xbdev_ls(x, t, src, &kids, &n);
	for (i = 0; i < n && !err; i++) {
		v = NULL;
		err = xbdev_path_join(s, sizeof(s), src, kids[i]);
		if (!err)
			err = xbdev_path_join(d, sizeof(d), dst, kids[i]);
		if (!err)
			err = xbdev_read(x, t, s, &v);
		if (!err)
			err = xbdev_write(x, t, d, v);
		free(v);
		if (!err)
			err = copy_tree(x, t, s, d, depth + 1);
	}
	xbdev_strv_free(kids, n);
	return err;
}

int xbdev_frontend_recreate(struct xbdev *x, xbdev_txn_t t,
			    const struct xbdev_record *rec)
{
	char copy[XBDEV_PATH_MAX];
	int err = still_attached(x, t, rec);

	if (!err)
		err = xbdev_exists(x, t, rec->fe_dir);
	if (err > 0)
		return -EEXIST;
	if (!err)
		err = xbdev_domain_present(x, t, rec->fe);
	if (!err)
		err = front_copy_dir(rec, copy, sizeof(copy));
	/* The directory's ACL before anything below it: nodes inherit it. */
	if (!err)
		err = xbdev_write(x, t, rec->fe_dir, "");
	if (!err)
		err = xbdev_set_perms_owner_reader(x, t, rec->fe_dir, rec->fe,
						   rec->be);
	if (!err)
		err = copy_tree(x, t, copy, rec->fe_dir, 0);
	if (!err)
		err = xbdev_state_write(x, t, rec->fe_dir,
					XBDEV_STATE_INITIALISING);
	return err;
}
