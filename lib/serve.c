// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libxbdev: disks that libxl made, served by xbdev (xbdevd's side).
 *
 * For a disk written in a guest's xl config with `script=xbdev` (backend
 * type vbd, or vbd3 with `backendtype=tap` on Xen 4.19+), libxl writes both
 * directories itself, keeps its own copy under /libxl, waits for the
 * backend's InitWait, runs the hotplug script, and on removal writes
 * online = 0 and Closing, waits for Closed and deletes the directories.
 * xbdev adds only its dom0-only record (managed-by = libxl, the backend
 * process and its log) and the process; it never removes what libxl
 * wrote.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xbdev-internal.h"

static int read_node(struct xbdev *x, xbdev_txn_t t, const char *dir,
		     const char *key, char **out)
{
	char p[XBDEV_PATH_MAX];
	int err = xbdev_path_join(p, sizeof(p), dir, key);

	*out = NULL;
	return err ? err : xbdev_read(x, t, p, out);
}

static bool script_is_ours(const char *script)
{
	const char *base = strrchr(script, '/');

	return !strcmp(base ? base + 1 : script, XBDEV_HOTPLUG_SCRIPT);
}

int xbdev_libxl_device_ours(struct xbdev *x, xbdev_txn_t t, const char *type,
			    const char *be_dir, unsigned self)
{
	char p[XBDEV_PATH_MAX], *script = NULL;
	int err;

	if (strcmp(type, XBDEV_LIBXL_TYPE_VBD) &&
	    strcmp(type, XBDEV_LIBXL_TYPE_VBD3))
		return 0;
	/* What decides it must be the toolstack's word, not the guest's.
	 * vbd3 too needs our script: libxl's default for it, block-tap, is
	 * blktap3's (tapback serves those). */
	err = xbdev_node_trusted(x, t, be_dir, self);
	if (err)
		return err;     /* -ENOENT: gone */
	err = xbdev_path_join(p, sizeof(p), be_dir, "script");
	if (!err)
		err = xbdev_read(x, t, p, &script);
	if (err == -ENOENT)
		return 0;       /* kernel blkback's own disk (or not yet) */
	if (!err)
		err = xbdev_node_trusted(x, t, p, self);
	if (!err)
		err = script_is_ours(script);
	free(script);
	return err;
}

struct serve_ctx {
	unsigned be, fe, devid;
	const char *type;
	char be_dir[XBDEV_PATH_MAX], fe_dir[XBDEV_PATH_MAX];
	char rec_dir[XBDEV_PATH_MAX], log[XBDEV_PATH_MAX];
	int64_t created;
};

static int rec_put(struct xbdev *x, xbdev_txn_t t, const struct serve_ctx *c,
		   const char *key, const char *value)
{
	char p[XBDEV_PATH_MAX];
	int err = xbdev_path_join(p, sizeof(p), c->rec_dir, key);

	return err ? err : xbdev_write(x, t, p, value);
}

/* A record for the device while libxl's backend directory is there and
 * online: the frontend path is the one libxl names, checked to be the
 * guest's device directory (the backend validates it again). */
static int serve_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct serve_ctx *c = arg;
	const struct xbdev_acl_entry dom0_only = { 0, XBDEV_PERM_NONE };
	char *fe = NULL, *online = NULL, num[32];
	enum xbdev_state st;
	int err;

	err = read_node(x, t, c->be_dir, "online", &online);
	if (!err && strcmp(online, "1"))
		err = -ENOENT;          /* being removed */
	/* A backend that closed the device (detached, or refused it) is not
	 * started again: only one that died serving it. */
	if (!err && !xbdev_state_read(x, t, c->be_dir, &st) &&
	    st >= XBDEV_STATE_CLOSING)
		err = -ENOENT;
	if (!err)
		err = read_node(x, t, c->be_dir, "frontend", &fe);
	if (!err && strcmp(fe, c->fe_dir))
		err = -EINVAL;
	if (!err && xbdev_exists(x, t, c->rec_dir) == 1)
		err = xbdev_rm(x, t, c->rec_dir);       /* a dead one's */
	if (!err)
		err = xbdev_write(x, t, c->rec_dir, "");
	if (!err)
		err = xbdev_set_perms(x, t, c->rec_dir, &dom0_only, 1);
	if (!err)
		err = rec_put(x, t, c, "frontend", c->fe_dir);
	if (!err)
		err = rec_put(x, t, c, "backend", c->be_dir);
	snprintf(num, sizeof(num), "%u", c->be);
	if (!err)
		err = rec_put(x, t, c, "backend-id", num);
	if (!err)
		err = rec_put(x, t, c, "type", c->type);
	snprintf(num, sizeof(num), "%lld", (long long)c->created);
	if (!err)
		err = rec_put(x, t, c, "created", num);
	if (!err)
		err = rec_put(x, t, c, "log", c->log);
	if (!err)
		err = rec_put(x, t, c, XBDEV_RECORD_MANAGED_BY,
			      XBDEV_MANAGED_BY_LIBXL);
	free(fe);
	free(online);
	return err;
}

static int unserve_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct serve_ctx *c = arg;
	char *by = NULL;
	int err = xbdev_exists(x, t, c->rec_dir);

	if (err <= 0)
		return err ? err : -ENOENT;
	/* Only a record of ours for a libxl device, never attach's. */
	err = read_node(x, t, c->rec_dir, XBDEV_RECORD_MANAGED_BY, &by);
	if (err == -ENOENT || (!err && strcmp(by, XBDEV_MANAGED_BY_LIBXL)))
		err = -EPERM;
	free(by);
	if (!err && xbdev_exists(x, t, c->be_dir) == 1)
		err = -EBUSY;
	return err ? err : xbdev_remove_tree(x, t, c->rec_dir, 0);
}

static int serve_ctx_init(struct serve_ctx *c, unsigned be, const char *type,
			  unsigned fe, unsigned devid, const char *log_dir)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->be = be;
	c->fe = fe;
	c->devid = devid;
	c->type = type;
	c->created = (int64_t)time(NULL);
	err = xbdev_path_backend(c->be_dir, sizeof(c->be_dir), be, type, fe,
				 devid);
	if (!err)
		err = xbdev_path_frontend(c->fe_dir, sizeof(c->fe_dir), fe,
					  XBDEV_LIBXL_CLASS, devid);
	if (!err)
		err = xbdev_path_record(c->rec_dir, sizeof(c->rec_dir), fe,
					XBDEV_LIBXL_CLASS, devid);
	if (!err && snprintf(c->log, sizeof(c->log), "%s/%s-%u-%u.log",
			     log_dir ? log_dir : XBDEV_LOG_DIR,
			     XBDEV_LIBXL_CLASS, fe, devid) >= (int)sizeof(c->log))
		err = -ENAMETOOLONG;
	return err;
}

int xbdev_libxl_serve(struct xbdev *x, unsigned be, const char *type,
		      unsigned fe, unsigned devid, const char *daemon,
		      const char *log_dir, long *pid)
{
	char p[XBDEV_PATH_MAX];
	struct serve_ctx c;
	int err;

	*pid = 0;
	err = serve_ctx_init(&c, be, type, fe, devid, log_dir);
	if (!err)
		err = xbdev_log_dir_check(log_dir);
	if (!err && access(daemon, X_OK))
		err = -errno;
	/* The record first: the backend reads it (shared, where to publish
	 * its counters). */
	if (!err)
		err = xbdev_txn(x, serve_txn, &c);
	if (err)
		return err;     /* nothing written (a record left as it was) */
	err = xbdev_spawn_daemon(daemon, c.be_dir, c.log, pid);
	if (!err)
		err = xbdev_path_join(p, sizeof(p), c.rec_dir, "pid");
	if (!err)
		err = xbdev_writef(x, XBDEV_TXN_NONE, p, "%ld", *pid);
	if (err && !*pid)
		xbdev_remove_tree(x, XBDEV_TXN_NONE, c.rec_dir, 0);
	return err;
}

int xbdev_libxl_forget(struct xbdev *x, unsigned be, const char *type,
		       unsigned fe, unsigned devid)
{
	struct serve_ctx c;
	int err = serve_ctx_init(&c, be, type, fe, devid, NULL);

	return err ? err : xbdev_txn(x, unserve_txn, &c);
}

/* ---- the dom0 kernel's blkback ------------------------------------------
 *
 * Linux's xenbus creates a device "vbd-<fe>-<devid>" on its xen-backend bus
 * for every backend/vbd directory of the domain it runs in, and
 * xen-blkback (driver "vbd") binds it at once: it writes its feature keys
 * and InitWait, and maps the ring when the frontend initialises (without
 * a physical-device it never connects).  Unbinding it through sysfs
 * leaves the device and its state as they are (the driver has
 * allow_rebind), so another backend can take the directory over; a
 * driver loaded again later binds every unbound device anew.
 */
static const char *sysfs_root(void)
{
	const char *r = getenv("XBDEV_SYSFS_ROOT");     /* for tests */

	return r && *r ? r : "/sys";
}

int xbdev_kernel_release(const char *type, unsigned fe, unsigned devid,
			 int64_t deadline_ms)
{
	char dev[XBDEV_PATH_MAX], drv[XBDEV_PATH_MAX], name[64];
	struct timespec tick = { 0, 20 * 1000000L };
	struct stat st;
	int fd, err = 0;
	ssize_t n;

	if (strcmp(type, XBDEV_LIBXL_TYPE_VBD))
		return 0;       /* no kernel driver serves vbd3 */
	snprintf(name, sizeof(name), "%s-%u-%u", type, fe, devid);
	snprintf(drv, sizeof(drv), "%s/bus/xen-backend/drivers/%s", sysfs_root(),
		 type);
	if (stat(drv, &st))
		return 0;       /* xen-blkback not loaded */
	/* The kernel's watch on the backend directory fires with ours: give
	 * it until the deadline to create the device. */
	snprintf(dev, sizeof(dev), "%s/bus/xen-backend/devices/%s/driver",
		 sysfs_root(), name);
	while (lstat(dev, &st) && xbdev_now_ms() < deadline_ms)
		nanosleep(&tick, NULL);
	if (lstat(dev, &st))
		return 0;       /* not bound (or never created) */
	snprintf(drv + strlen(drv), sizeof(drv) - strlen(drv), "/unbind");
	fd = open(drv, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, name, strlen(name));
	if (n < 0)
		err = -errno;
	close(fd);
	if (!err && !lstat(dev, &st))
		err = -EBUSY;   /* still bound */
	return err ? err : 1;
}
