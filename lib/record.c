/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: the dom0-only record of a device, and removing devices. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

static int read_str(struct xbdev *x, xbdev_txn_t t, const char *dir,
		    const char *key, char *buf, size_t len, bool optional)
{
	char path[XBDEV_PATH_MAX], *v = NULL;
	int err;

	err = xbdev_path_join(path, sizeof(path), dir, key);
	if (!err)
		err = xbdev_read(x, t, path, &v);
	if (err == -ENOENT && optional) {
		buf[0] = '\0';
		return 0;
	}
	if (!err && strlen(v) >= len)
		err = -ENAMETOOLONG;
	if (!err)
		memcpy(buf, v, strlen(v) + 1);
	free(v);
	return err;
}

static int read_num(struct xbdev *x, xbdev_txn_t t, const char *dir,
		    const char *key, unsigned long max, unsigned long *out)
{
	char path[XBDEV_PATH_MAX];
	int err;

	*out = 0;
	err = xbdev_path_join(path, sizeof(path), dir, key);
	if (!err)
		err = xbdev_read_uint(x, t, path, max, out);
	return err == -ENOENT ? 0 : err;
}

/* The record's paths must be the ones xbdev would build for it. */
static int record_check(struct xbdev_record *r)
{
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX];
	int err;

	err = xbdev_path_frontend(fe_dir, sizeof(fe_dir), r->fe, r->cls,
				  r->devid);
	if (!err)
		err = xbdev_path_backend(be_dir, sizeof(be_dir), r->be, r->type,
					 r->fe, r->devid);
	if (err)
		return err;
	if (strcmp(fe_dir, r->fe_dir) || strcmp(be_dir, r->be_dir))
		return -EBADMSG;
	return 0;
}

int xbdev_record_read(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		      const char *cls, unsigned devid, struct xbdev_record *r)
{
	unsigned long v;
	int err;

	memset(r, 0, sizeof(*r));
	r->fe = fe;
	r->devid = devid;
	snprintf(r->cls, sizeof(r->cls), "%s", cls ? cls : "");
	err = xbdev_path_record(r->rec_dir, sizeof(r->rec_dir), fe, cls, devid);
	if (err)
		return err;
	err = read_str(x, t, r->rec_dir, "frontend", r->fe_dir,
		       sizeof(r->fe_dir), false);
	if (!err)
		err = read_str(x, t, r->rec_dir, "backend", r->be_dir,
			       sizeof(r->be_dir), false);
	if (!err)
		err = read_str(x, t, r->rec_dir, "type", r->type,
			       sizeof(r->type), false);
	if (!err)
		err = read_num(x, t, r->rec_dir, "backend-id", XBDEV_DOMID_MAX, &v);
	r->be = (unsigned)v;
	if (!err)
		err = read_num(x, t, r->rec_dir, "created", INT64_MAX, &v);
	r->created = (int64_t)v;
	if (!err)
		err = read_num(x, t, r->rec_dir, "detaching", INT64_MAX, &v);
	r->detaching = (int64_t)v;
	if (!err)
		err = read_num(x, t, r->rec_dir, "pid", INT32_MAX, &v);
	r->pid = (long)v;
	if (!err)
		err = read_str(x, t, r->rec_dir, "log", r->log, sizeof(r->log),
			       true);
	if (!err)
		err = read_str(x, t, r->rec_dir, XBDEV_RECORD_MANAGED_BY,
			       r->managed_by, sizeof(r->managed_by), true);
	if (!err)
		err = read_str(x, t, r->rec_dir, XBDEV_RECORD_FE_NAME,
			       r->fe_name, sizeof(r->fe_name), true);
	if (!err)
		err = read_num(x, t, r->rec_dir, XBDEV_RECORD_CDROM, 1, &v);
	r->cdrom = v == 1;
	if (!err && r->cdrom)
		err = read_str(x, t, r->rec_dir, XBDEV_RECORD_MEDIA, r->media,
			       sizeof(r->media), true);
	if (!err)
		err = record_check(r);
	return err;
}

bool xbdev_record_daemon_alive(const struct xbdev_record *r)
{
	return xbdev_daemon_alive(r->pid, r->be_dir);
}

bool xbdev_daemon_alive(long pid, const char *be_dir)
{
	char path[64], cmd[XBDEV_PATH_MAX * 2];
	size_t n, i;
	FILE *f;

	if (pid <= 0 || (kill((pid_t)pid, 0) && errno != EPERM))
		return false;
	/* A recycled pid would not carry the backend directory among its
	 * NUL-separated arguments (argv[1] of the daemon, or a later one
	 * when it runs under an interpreter). */
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(cmd, 1, sizeof(cmd) - 1, f);
	fclose(f);
	cmd[n] = '\0';
	for (i = strlen(cmd) + 1; i < n; i += strlen(cmd + i) + 1)
		if (!strcmp(cmd + i, be_dir))
			return true;
	return false;
}

/* Remove dir, then each parent that became empty, up to (not including)
 * the first `keep` components of dir ("/local/domain/<id>/device" = 4). */
int xbdev_remove_tree(struct xbdev *x, xbdev_txn_t t, const char *dir,
		      unsigned keep)
{
	char path[XBDEV_PATH_MAX], **kids = NULL, *slash;
	unsigned n = 0, depth = 0;
	const char *p;
	int err;

	err = xbdev_rm(x, t, dir);
	if (err && err != -ENOENT)
		return err;
	snprintf(path, sizeof(path), "%s", dir);
	for (p = path; *p; p++)
		depth += *p == '/';
	while (depth-- > keep + 1) {
		slash = strrchr(path, '/');
		*slash = '\0';
		err = xbdev_ls(x, t, path, &kids, &n);
		xbdev_strv_free(kids, n);
		if (err == -ENOENT)
			continue;
		if (err || n)
			return err;
		err = xbdev_rm(x, t, path);
		if (err)
			return err;
	}
	return 0;
}

int xbdev_rm_if_empty(struct xbdev *x, xbdev_txn_t t, const char *dir)
{
	char **kids = NULL;
	unsigned n = 0;
	int err;

	if (!*dir)
		return 0;
	err = xbdev_ls(x, t, dir, &kids, &n);
	xbdev_strv_free(kids, n);
	if (err == -ENOENT)
		return 0;
	if (!err && n == 0)
		err = xbdev_rm(x, t, dir);
	return err;
}

int xbdev_parent_dirs(unsigned fe, unsigned be, char dirs[2][64],
		      char markers[2][64])
{
	int err = xbdev_path_domain(dirs[0], 64, fe, "device");

	if (!err)
		err = xbdev_path_domain(dirs[1], 64, be, "backend");
	snprintf(markers[0], 64, XBDEV_PARENTS_DIR "/%u-device", fe);
	snprintf(markers[1], 64, XBDEV_PARENTS_DIR "/%u-backend", be);
	return err;
}

int xbdev_remove_parents(struct xbdev *x, xbdev_txn_t t, unsigned fe,
			 unsigned be)
{
	char dirs[2][64], markers[2][64], **kids = NULL;
	unsigned i, n = 0;
	int err = 0, r;

	xbdev_parent_dirs(fe, be, dirs, markers);
	for (i = 0; i < 2 && !err; i++) {
		r = xbdev_exists(x, t, markers[i]);
		if (r <= 0) {
			err = r;
			continue;
		}
		err = xbdev_ls(x, t, dirs[i], &kids, &n);
		xbdev_strv_free(kids, n);
		if (err == -ENOENT || (!err && n == 0)) {
			/* Ours and empty: the last device of ours is gone. */
			err = xbdev_rm(x, t, dirs[i]);
			if (!err || err == -ENOENT)
				err = xbdev_rm(x, t, markers[i]);
		}
	}
	if (!err)
		err = xbdev_rm_if_empty(x, t, XBDEV_PARENTS_DIR);
	/* Records go before their parents: the last detach empties it. */
	if (!err)
		err = xbdev_rm_if_empty(x, t, XBDEV_ROOT);
	return err;
}

/* Components kept when removing: /local/domain/<id>/{device,backend}. */
#define KEEP_DOMAIN_DIR 4

int xbdev_remove_device(struct xbdev *x, xbdev_txn_t t, const char *fe_dir,
			const char *be_dir, const char *rec_dir)
{
	int err = 0;

	if (fe_dir)
		err = xbdev_remove_tree(x, t, fe_dir, KEEP_DOMAIN_DIR);
	if (!err && be_dir)
		err = xbdev_remove_tree(x, t, be_dir, KEEP_DOMAIN_DIR);
	if (!err && rec_dir)
		err = xbdev_remove_tree(x, t, rec_dir, 0);
	return err;
}
