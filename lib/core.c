/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: context, raw node access, transactions, permissions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xbdev-internal.h"

/* How often a transaction is restarted after EAGAIN before giving up;
 * EAGAIN means another writer touched what we read, so a handful of
 * retries is plenty unless something is churning the store. */
#define XBDEV_TXN_RETRIES 16

int xbdev_errno(void)
{
	return errno > 0 ? -errno : -EIO;
}

void xbdev_log(struct xbdev *x, int prio, const char *fmt, ...)
{
	va_list ap;

	if (!x || !x->log_fn)
		return;
	va_start(ap, fmt);
	x->log_fn(x->log_data, prio, fmt, ap);
	va_end(ap);
}

int xbdev_open(struct xbdev **out)
{
	struct xbdev *x;

	*out = NULL;
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->pending_tail = &x->pending;
	x->cancel_fd = -1;
	x->xs = xs_open(0);
	if (!x->xs) {
		int err = xbdev_errno();

		free(x);
		return err;
	}
	*out = x;
	return 0;
}

void xbdev_close(struct xbdev *x)
{
	struct xbdev_event *e, *next;

	if (!x)
		return;
	for (e = x->pending; e; e = next) {
		next = e->next;
		free(e->path);
		free(e->token);
		free(e);
	}
	xs_close(x->xs);
	free(x);
}

void xbdev_set_log_fn(struct xbdev *x, xbdev_log_fn fn, void *data)
{
	x->log_fn = fn;
	x->log_data = data;
}

void xbdev_set_cancel_fd(struct xbdev *x, int fd)
{
	x->cancel_fd = fd;
}

int xbdev_fileno(struct xbdev *x)
{
	int fd = xs_fileno(x->xs);

	return fd < 0 ? xbdev_errno() : fd;
}

/* Paths handed to the raw accessors must be absolute and bounded; the
 * components themselves were validated when the path was built. */
static int check_path(const char *path)
{
	if (!path || path[0] != '/')
		return -EINVAL;
	if (strnlen(path, XBDEV_PATH_MAX) >= XBDEV_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int xbdev_read(struct xbdev *x, xbdev_txn_t t, const char *path, char **out)
{
	unsigned len = 0;
	char *v;
	int err;

	*out = NULL;
	err = check_path(path);
	if (err)
		return err;
	v = xs_read(x->xs, t, path, &len);
	if (!v)
		return xbdev_errno();
	/* Values are written by other domains: an embedded NUL would make
	 * the C string disagree with what xenstored stores. */
	if (strlen(v) != len) {
		xbdev_log(x, LOG_WARNING, "%s: value contains NUL bytes", path);
		free(v);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int xbdev_read_uint(struct xbdev *x, xbdev_txn_t t, const char *path,
		    unsigned long max, unsigned long *out)
{
	char *v = NULL;
	int err;

	err = xbdev_read(x, t, path, &v);
	if (err)
		goto out;
	err = xbdev_parse_uint(v, max, out);
	if (err)
		xbdev_log(x, LOG_WARNING, "%s: not a number up to %lu", path,
			  max);
out:
	free(v);
	return err;
}

int xbdev_write(struct xbdev *x, xbdev_txn_t t, const char *path,
		const char *value)
{
	int err = check_path(path);

	if (!err)
		err = xbdev_validate_value(value);
	if (err)
		return err;
	if (!xs_write(x->xs, t, path, value, strlen(value)))
		return xbdev_errno();
	return 0;
}

int xbdev_writef(struct xbdev *x, xbdev_txn_t t, const char *path,
		 const char *fmt, ...)
{
	char buf[XBDEV_VALUE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(buf))
		return -E2BIG;
	return xbdev_write(x, t, path, buf);
}

int xbdev_rm(struct xbdev *x, xbdev_txn_t t, const char *path)
{
	int err = check_path(path);

	if (err)
		return err;
	if (!xs_rm(x->xs, t, path))
		return xbdev_errno();
	return 0;
}

int xbdev_exists(struct xbdev *x, xbdev_txn_t t, const char *path)
{
	char *v = NULL;
	int err = xbdev_read(x, t, path, &v);

	free(v);
	if (err == -ENOENT)
		return 0;
	return err ? err : 1;
}

void xbdev_strv_free(char **v, unsigned n)
{
	unsigned i;

	if (!v)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int xbdev_ls(struct xbdev *x, xbdev_txn_t t, const char *path, char ***out,
	     unsigned *n)
{
	char **raw, **v = NULL;
	unsigned num = 0, i;
	int err;

	*out = NULL;
	*n = 0;
	err = check_path(path);
	if (err)
		return err;
	/* libxenstore returns one allocation (pointers + strings); hand out
	 * individually allocated strings so callers can keep some. */
	raw = xs_directory(x->xs, t, path, &num);
	if (!raw)
		return xbdev_errno();
	v = calloc(num ? num : 1, sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < num; i++) {
		v[i] = strdup(raw[i]);
		if (!v[i]) {
			xbdev_strv_free(v, i);
			v = NULL;
			err = -ENOMEM;
			goto out;
		}
	}
	qsort(v, num, sizeof(*v), cmp_str);
	*out = v;
	*n = num;
out:
	free(raw);
	return err;
}

int xbdev_state_read(struct xbdev *x, xbdev_txn_t t, const char *dir,
		     enum xbdev_state *out)
{
	char path[XBDEV_PATH_MAX];
	unsigned long v;
	int err;

	err = xbdev_path_join(path, sizeof(path), dir, "state");
	if (!err)
		err = xbdev_read_uint(x, t, path, XBDEV_STATE_MAX, &v);
	if (err)
		return err;
	*out = (enum xbdev_state)v;
	return 0;
}

int xbdev_state_write(struct xbdev *x, xbdev_txn_t t, const char *dir,
		      enum xbdev_state st)
{
	char path[XBDEV_PATH_MAX];
	int err;

	if ((unsigned)st > XBDEV_STATE_MAX)
		return -EINVAL;
	err = xbdev_path_join(path, sizeof(path), dir, "state");
	if (err)
		return err;
	return xbdev_writef(x, t, path, "%u", (unsigned)st);
}

/* ---- permissions ------------------------------------------------------- */

/* xenstored's default limit of permission entries per node. */
#define XBDEV_ACL_MAX 5

static unsigned perm_to_xs(enum xbdev_perm p)
{
	switch (p) {
	case XBDEV_PERM_READ:
		return XS_PERM_READ;
	case XBDEV_PERM_WRITE:
		return XS_PERM_WRITE;
	case XBDEV_PERM_BOTH:
		return XS_PERM_READ | XS_PERM_WRITE;
	default:
		return XS_PERM_NONE;
	}
}

int xbdev_set_perms(struct xbdev *x, xbdev_txn_t t, const char *path,
		    const struct xbdev_acl_entry *acl, unsigned n)
{
	struct xs_permissions p[XBDEV_ACL_MAX];
	unsigned i;
	int err;

	err = check_path(path);
	if (err)
		return err;
	if (n == 0 || n > XBDEV_ACL_MAX)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		if (acl[i].domid > 0xffff || acl[i].perm > XBDEV_PERM_BOTH)
			return -EINVAL;
		p[i].id = acl[i].domid;
		p[i].perms = perm_to_xs(acl[i].perm);
	}
	if (!xs_set_permissions(x->xs, t, path, p, n))
		return xbdev_errno();
	return 0;
}

int xbdev_set_perms_owner_reader(struct xbdev *x, xbdev_txn_t t,
				 const char *path, unsigned owner,
				 unsigned reader)
{
	const struct xbdev_acl_entry acl[2] = {
		{ owner, XBDEV_PERM_NONE },
		{ reader, XBDEV_PERM_READ },
	};

	/* A device whose two ends live in one domain needs no second entry. */
	return xbdev_set_perms(x, t, path, acl, owner == reader ? 1 : 2);
}

static enum xbdev_perm perm_from_xs(unsigned p)
{
	p &= XS_PERM_READ | XS_PERM_WRITE;
	if (p == (XS_PERM_READ | XS_PERM_WRITE))
		return XBDEV_PERM_BOTH;
	if (p == XS_PERM_READ)
		return XBDEV_PERM_READ;
	if (p == XS_PERM_WRITE)
		return XBDEV_PERM_WRITE;
	return XBDEV_PERM_NONE;
}

int xbdev_get_perms(struct xbdev *x, xbdev_txn_t t, const char *path,
		    struct xbdev_acl_entry **acl, unsigned *n)
{
	struct xs_permissions *p;
	unsigned num = 0, i;
	int err = check_path(path);

	*acl = NULL;
	*n = 0;
	if (err)
		return err;
	p = xs_get_permissions(x->xs, t, path, &num);
	if (!p)
		return xbdev_errno();
	*acl = calloc(num ? num : 1, sizeof(**acl));
	if (!*acl) {
		free(p);
		return -ENOMEM;
	}
	for (i = 0; i < num; i++) {
		(*acl)[i].domid = p[i].id;
		(*acl)[i].perm = perm_from_xs(p[i].perms);
	}
	*n = num;
	free(p);
	return 0;
}

/* ---- transactions ------------------------------------------------------ */

int xbdev_txn(struct xbdev *x, xbdev_txn_fn fn, void *arg)
{
	unsigned attempt;
	int err = -EAGAIN;

	for (attempt = 0; attempt < XBDEV_TXN_RETRIES; attempt++) {
		xs_transaction_t t = xs_transaction_start(x->xs);

		if (t == XBT_NULL)
			return xbdev_errno();
		err = fn(x, t, arg);
		if (err) {
			/* Abort discards every write fn made; the error that
			 * matters is fn's, not the abort's. */
			xs_transaction_end(x->xs, t, true);
			if (err != -EAGAIN) {
				xbdev_log(x, LOG_DEBUG,
					  "transaction aborted: %s",
					  strerror(-err));
				return err;
			}
			xbdev_log(x, LOG_DEBUG,
				  "transaction restarted, retry %u",
				  attempt + 1);
			continue;
		}
		if (xs_transaction_end(x->xs, t, false)) {
			xbdev_log(x, LOG_DEBUG,
				  "transaction committed (attempt %u)",
				  attempt + 1);
			return 0;
		}
		err = xbdev_errno();
		if (err != -EAGAIN) {
			xbdev_log(x, LOG_DEBUG, "transaction commit failed: %s",
				  strerror(-err));
			return err;
		}
		xbdev_log(x, LOG_DEBUG, "transaction conflict, retry %u",
			  attempt + 1);
	}
	xbdev_log(x, LOG_DEBUG, "transaction gave up after %u attempts",
		  attempt);
	return err;
}
