/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: attach - one transaction for both ends and the record. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xbdev-internal.h"

/* Mark the ids of dir's children in used[] (ids >= n are ignored). */
static int mark_used(struct xbdev *x, xbdev_txn_t t, const char *dir,
		     bool *used, unsigned n)
{
	char **kids = NULL;
	unsigned k = 0, i;
	unsigned long id;
	int err = xbdev_ls(x, t, dir, &kids, &k);

	if (err == -ENOENT)
		return 0;
	for (i = 0; !err && i < k; i++)
		if (!xbdev_parse_uint(kids[i], n - 1, &id))
			used[id] = true;
	xbdev_strv_free(kids, k);
	return err;
}

/* Beyond this many devices of one class, give up looking for a gap. */
#define DEVID_SCAN 4096

int xbdev_devid_free(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		     const char *cls, unsigned be, const char *type,
		     unsigned *devid)
{
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX];
	char rec_dir[XBDEV_PATH_MAX], *slash;
	bool *used;
	unsigned i;
	int err;

	/* Build the paths of device 0 and cut off the id. */
	err = xbdev_path_frontend(fe_dir, sizeof(fe_dir), fe, cls, 0);
	if (!err)
		err = xbdev_path_backend(be_dir, sizeof(be_dir), be, type, fe,
					 0);
	if (!err)
		err = xbdev_path_record(rec_dir, sizeof(rec_dir), fe, cls, 0);
	if (err)
		return err;
	*strrchr(fe_dir, '/') = '\0';
	*strrchr(be_dir, '/') = '\0';
	slash = strrchr(rec_dir, '/');
	*slash = '\0';
	used = calloc(DEVID_SCAN, sizeof(*used));
	if (!used)
		return -ENOMEM;
	err = mark_used(x, t, fe_dir, used, DEVID_SCAN);
	if (!err)
		err = mark_used(x, t, be_dir, used, DEVID_SCAN);
	if (!err)
		err = mark_used(x, t, rec_dir, used, DEVID_SCAN);
	for (i = 0; !err && i < DEVID_SCAN && used[i]; i++)
		;
	if (!err && i == DEVID_SCAN)
		err = -ENOSPC;
	if (!err)
		*devid = i;
	free(used);
	return err;
}

struct attach_ctx {
	const struct xbdev_attach_spec *spec;
	struct xbdev_plan *plan;
	enum xbdev_side conflict;
};

int xbdev_plan_conflict(struct xbdev *x, xbdev_txn_t t,
			const struct xbdev_plan *p, enum xbdev_side *side)
{
	const char *dirs[] = { p->fe_dir, p->be_dir, p->rec_dir };
	const enum xbdev_side sides[] = { XBDEV_SIDE_FRONTEND,
					  XBDEV_SIDE_BACKEND,
					  XBDEV_SIDE_RECORD };
	unsigned i;
	int r;

	for (i = 0; i < 3; i++) {
		r = xbdev_exists(x, t, dirs[i]);
		if (r < 0)
			return r;
		if (r) {
			if (side)
				*side = sides[i];
			return -EEXIST;
		}
	}
	return 0;
}

/* The record of the ejected drive a re-plug replaces (lib/media.c): read
 * and removed in attach's transaction, so nothing else can take its id
 * in between. */
static int take_drive(struct xbdev *x, xbdev_txn_t t, struct attach_ctx *c)
{
	const struct xbdev_plan *p = c->plan;
	const char *dirs[] = { p->fe_dir, p->be_dir };
	struct xbdev_record r;
	unsigned i;
	int err;

	err = xbdev_record_read(x, t, p->fe, p->cls, p->devid, &r);
	if (!err && (!r.cdrom || strcmp(r.media, XBDEV_MEDIA_EJECTED)))
		err = -EBUSY;
	for (i = 0; i < 2 && !err; i++) {
		err = xbdev_exists(x, t, dirs[i]);
		if (err > 0) {
			c->conflict = i ? XBDEV_SIDE_BACKEND
					: XBDEV_SIDE_FRONTEND;
			err = -EEXIST;
		}
	}
	if (!err)
		err = xbdev_rm(x, t, p->rec_dir);
	return err;
}

static int check_free(struct xbdev *x, xbdev_txn_t t, struct attach_ctx *c)
{
	int err = c->spec->insert_media ? take_drive(x, t, c) : 0;

	if (!err)
		err = xbdev_plan_conflict(x, t, c->plan, &c->conflict);

	/* The frontend domain may have died since it was resolved. */
	return err ? err : xbdev_domain_present(x, t, c->plan->fe);
}

int xbdev_plan_parents(struct xbdev *x, xbdev_txn_t t, struct xbdev_plan *p)
{
	char dirs[2][64], markers[2][64];
	unsigned i;
	int r;

	xbdev_parent_dirs(p->fe, p->be, dirs, markers);
	for (i = 0; i < 2; i++) {
		r = xbdev_exists(x, t, dirs[i]);
		if (r == 0)
			r = xbdev_plan_add_path(p, markers[i], dirs[i]);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The guest's name as the toolstack wrote it, kept in the record
 * (frontend-name): after a reboot under a new domid, or a destroy, the
 * old domid is all that names the device, and this says whose it was.
 * A name missing, unprintable or too long for the record is left out. */
static int plan_frontend_name(struct xbdev *x, xbdev_txn_t t,
			      struct xbdev_plan *p)
{
	char path[XBDEV_PATH_MAX], *name = NULL;
	int err;

	err = xbdev_path_domain(path, sizeof(path), p->fe, "name");
	if (!err)
		err = xbdev_read(x, t, path, &name);
	if (err == -ENOENT) {
		err = 0;
	} else if (!err && !xbdev_validate_value(name) &&
		   strlen(name) < XBDEV_DOMAIN_NAME_MAX) {
		err = xbdev_path_join(path, sizeof(path), p->rec_dir,
				      XBDEV_RECORD_FE_NAME);
		if (!err)
			err = xbdev_plan_add_path(p, path, name);
	}
	free(name);
	return err;
}

static int write_plan(struct xbdev *x, xbdev_txn_t t,
		      const struct xbdev_plan *p)
{
	unsigned i;
	int err = 0;

	/* Each directory gets its ACL before any node is written below it:
	 * new nodes inherit their parent's permissions. */
	for (i = 0; i < p->n_nodes && !err; i++) {
		const struct xbdev_node *n = &p->nodes[i];

		err = xbdev_write(x, t, n->path, n->value);
		if (!err && n->explicit_acl)
			err = xbdev_set_perms(x, t, n->path, n->acl, n->n_acl);
	}
	return err;
}

int xbdev_attach_pick_devid(struct xbdev *x, xbdev_txn_t t,
			    struct xbdev_attach_spec *s)
{
	const char *type = s->be_type ? s->be_type : s->cls;

	if (s->vbd)
		return xbdev_vdev_free(x, t, s->fe, s->be, type, &s->devid);
	return xbdev_devid_free(x, t, s->fe, s->cls, s->be, type, &s->devid);
}

int xbdev_attach_preview(struct xbdev *x, struct xbdev_attach_spec *spec,
			 struct xbdev_plan **out, enum xbdev_side *conflict)
{
	struct xbdev_plan *p = NULL;
	int err = 0;

	if (x && spec->devid_auto)
		err = xbdev_attach_pick_devid(x, XBDEV_TXN_NONE, spec);
	if (!err)
		err = xbdev_attach_plan(spec, &p);
	if (!err && x)
		err = xbdev_plan_parents(x, XBDEV_TXN_NONE, p);
	if (!err && x)
		err = plan_frontend_name(x, XBDEV_TXN_NONE, p);
	if (!err && x &&
	    xbdev_plan_conflict(x, XBDEV_TXN_NONE, p, conflict) == -EEXIST)
		err = -EEXIST;
	if (err) {
		xbdev_plan_free(p);
		p = NULL;
	}
	*out = p;
	return err;
}

int xbdev_blkback_program(char *buf, size_t len)
{
	const char *dir = getenv("XBDEV_LIBEXECDIR");
	int n = snprintf(buf, len, "%s/xbdev-blkback",
			 dir && *dir ? dir : XBDEV_LIBEXECDIR);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int attach_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct attach_ctx *c = arg;
	struct xbdev_attach_spec s = *c->spec;
	int err = 0;

	/* Nothing of a failed attempt survives into the next one. */
	xbdev_plan_free(c->plan);
	c->plan = NULL;
	/* Chosen from what this transaction reads: when another attach
	 * takes the same id first, the commit fails with EAGAIN and the next
	 * attempt sees that id taken. */
	if (s.devid_auto)
		err = xbdev_attach_pick_devid(x, t, &s);
	if (!err)
		err = xbdev_attach_plan(&s, &c->plan);
	if (!err)
		err = check_free(x, t, c);
	/* xenstored gives a transaction no snapshot: a node it reads for the
	 * first time is read as it is now, and a conflict is only reported
	 * at commit.  An id free in the listings that exists when looked up
	 * was taken by an attach that committed in between: start over. */
	if (err == -EEXIST && s.devid_auto)
		err = -EAGAIN;
	if (!err && s.vbd && !s.vbd->shared)
		err = xbdev_image_in_use(x, t, s.vbd->params, s.vbd->readonly,
					 NULL, 0);
	if (!err)
		err = xbdev_plan_parents(x, t, c->plan);
	if (!err)
		err = plan_frontend_name(x, t, c->plan);
	if (!err)
		err = write_plan(x, t, c->plan);
	return err;
}

/* Child side of spawn, before exec: only 0-2 survive it (whatever else the
 * caller of attach had open, the daemon must not hold: a lock, a pipe
 * someone waits on to close, a file it may not read).  The error pipe,
 * itself close-on-exec, stays usable until then. */
static void cloexec_from_3(void)
{
	struct dirent *e;
	unsigned long fd;
	DIR *d;

	if (!close_range(3, ~0U, CLOSE_RANGE_CLOEXEC))
		return;
	/* Kernels before 5.11: walk what is open. */
	d = opendir("/proc/self/fd");
	while (d && (e = readdir(d)))
		if (!xbdev_parse_uint(e->d_name, INT_MAX, &fd) && fd >= 3 &&
		    (int)fd != dirfd(d))
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	if (d)
		closedir(d);
}

/* A caller that blocked or ignored SIGTERM must not pass that on: detach
 * stops the daemon with SIGTERM, and one that cannot receive it is killed
 * without closing its device in order.  (exec resets handlers, not the
 * mask nor SIG_IGN.) */
static void default_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);      /* EINVAL for KILL, STOP */
}

/* Appended to, never followed: a symlink at the log's name fails with
 * ELOOP, and anything but a regular file of ours is refused. */
static int open_log(const char *path)
{
	struct stat st;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				    O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0640);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    st.st_nlink != 1) {
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/* Child side of spawn: never returns.  Reports exec errors on fd. */
static void exec_daemon(const char *daemon, const char *be_dir,
			const char *log, int fd)
{
	char *const argv[] = { (char *)daemon, (char *)be_dir, NULL };
	int in, out, err;

	setsid();
	default_signals();
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out = open_log(log);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    dup2(out, 2) < 0)
		goto fail;
	/* O_NONBLOCK was for opening only (a FIFO must not hang us). */
	fcntl(1, F_SETFL, O_APPEND);
	cloexec_from_3();
	execv(daemon, argv);
fail:
	err = errno;
	if (write(fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int xbdev_log_dir_check(const char *log_dir)
{
	const char *dir = log_dir ? log_dir : XBDEV_LOG_DIR;
	struct stat st;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return -EPERM;
	return 0;
}

int xbdev_spawn_daemon(const char *daemon, const char *be_dir,
		       const char *log, long *out)
{
	int fds[2], child_err = 0, err = 0;
	ssize_t n;
	pid_t pid;

	*out = 0;
	if (access(daemon, X_OK))
		return -errno;
	if (pipe2(fds, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto out;
	}
	if (pid == 0) {
		close(fds[0]);
		exec_daemon(daemon, be_dir, log, fds[1]);
	}
	close(fds[1]);
	fds[1] = -1;
	/* EOF without data: the close-on-exec pipe closed, exec succeeded. */
	do
		n = read(fds[0], &child_err, sizeof(child_err));
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		waitpid(pid, NULL, 0);
		err = child_err ? -child_err : -EIO;
		goto out;
	}
	*out = pid;
out:
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return err;
}

static int rollback_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct xbdev_plan *p = arg;
	int err;

	err = xbdev_remove_device(x, t, p->fe_dir, p->be_dir, p->rec_dir);
	if (!err)
		err = xbdev_remove_parents(x, t, p->fe, p->be);
	return err;
}

static int start_daemon(struct xbdev *x, struct xbdev_plan *p)
{
	char path[XBDEV_PATH_MAX];
	int err;

	err = xbdev_spawn_daemon(p->daemon, p->be_dir, p->log, &p->pid);
	if (!err)
		err = xbdev_path_join(path, sizeof(path), p->rec_dir, "pid");
	if (!err)
		err = xbdev_writef(x, XBDEV_TXN_NONE, path, "%ld", p->pid);
	if (!err) {
		xbdev_log(x, LOG_DEBUG, "%s: started %s, pid %ld, log %s",
			  p->be_dir, p->daemon, p->pid, p->log);
		return 0;
	}
	xbdev_log(x, LOG_ERR, "%s: cannot start %s: %s", p->be_dir, p->daemon,
		  strerror(-err));
	if (p->pid > 0)
		kill((pid_t)p->pid, SIGTERM);
	p->pid = 0;
	if (xbdev_txn(x, rollback_txn, p))
		xbdev_log(x, LOG_ERR, "%s: rollback failed", p->be_dir);
	return err;
}

int xbdev_attach(struct xbdev *x, const struct xbdev_attach_spec *spec,
		 struct xbdev_plan **out, enum xbdev_side *conflict)
{
	struct attach_ctx c = { .spec = spec };
	int err;

	if (out)
		*out = NULL;
	/* A daemon that cannot run is found before anything is written: a
	 * rollback after the commit would still have shown the guest a
	 * device for a moment (its kernel may react, e.g. under error/). */
	if (spec->daemon && access(spec->daemon, X_OK))
		return -errno;
	err = spec->daemon ? xbdev_log_dir_check(spec->log_dir) : 0;
	if (!err && spec->vbd)
		err = xbdev_image_size(spec->vbd->params, NULL);
	if (err)
		return err;
	/* A failed write aborts the transaction: nothing becomes visible. */
	err = xbdev_txn(x, attach_txn, &c);
	if (err == -EEXIST && conflict)
		*conflict = c.conflict;
	if (!err)
		xbdev_log(x, LOG_DEBUG, "wrote %u nodes: %s, %s, %s",
			  c.plan->n_nodes, c.plan->fe_dir, c.plan->be_dir,
			  c.plan->rec_dir);
	if (!err && c.plan->daemon)
		err = start_daemon(x, c.plan);
	if (!err && out) {
		*out = c.plan;
		c.plan = NULL;
	}
	xbdev_plan_free(c.plan);
	return err;
}

/* 1 when device id of class cls has a frontend directory, a backend
 * directory (type, under domain be) or a record, 0 when it has none. */
static int devid_taken(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		       const char *cls, unsigned be, const char *type,
		       unsigned id)
{
	char dirs[3][XBDEV_PATH_MAX];
	unsigned i;
	int err, r = 0;

	err = xbdev_path_frontend(dirs[0], sizeof(dirs[0]), fe, cls, id);
	if (!err)
		err = xbdev_path_backend(dirs[1], sizeof(dirs[1]), be, type, fe,
					 id);
	if (!err)
		err = xbdev_path_record(dirs[2], sizeof(dirs[2]), fe, cls, id);
	for (i = 0; !err && !r && i < 3; i++)
		r = xbdev_exists(x, t, dirs[i]);
	return err ? err : r;
}

int xbdev_vdev_free(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		    unsigned be, const char *be_type, unsigned *devid)
{
	char name[8];
	unsigned disk, id;
	int err, r;

	for (disk = 0; disk < 26; disk++) {
		snprintf(name, sizeof(name), "xvd%c", 'a' + disk);
		err = xbdev_vdev_parse(name, &id);
		if (err)
			return err;
		r = devid_taken(x, t, fe, "vbd", be, be_type, id);
		if (r < 0)
			return r;
		if (r == 0) {
			*devid = id;
			return 0;
		}
	}
	return -ENOSPC;
}
