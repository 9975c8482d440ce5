/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: domain lookup.
 *
 * libxenlight knows which domains exist and whether they are dying; it
 * needs privcmd (dom0, root).  When it cannot be used (no hypervisor
 * interface, a de-privileged caller, a xenstore-only test setup), the
 * fallback reads /local/domain/<id>/name, which the toolstack writes at
 * domain creation and removes at destruction.  The fallback cannot see
 * that a domain is dying; setting XBDEV_NO_LIBXL=1 forces it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <xentoollog.h>

#include "xbdev-internal.h"

#define DOMID_LIMIT (XBDEV_DOMID_MAX + 1)     /* DOMID_FIRST_RESERVED */

/* libxl logs through xentoollog; the library never prints, so its
 * messages go to our log callback at debug priority. */
struct quiet_logger {
	struct xentoollog_logger lg;
	struct xbdev *x;
};

static void quiet_vmessage(struct xentoollog_logger *lg,
			   xentoollog_level level, int errnoval,
			   const char *context, const char *format,
			   va_list al)
{
	struct quiet_logger *q = (struct quiet_logger *)lg;
	char msg[256];

	if (!q->x->log_fn)
		return;
	vsnprintf(msg, sizeof(msg), format, al);
	xbdev_log(q->x, LOG_DEBUG, "libxl: %s", msg);
}

static void quiet_destroy(struct xentoollog_logger *lg)
{
}

struct lxl {
	struct quiet_logger log;
	libxl_ctx *ctx;
};

static bool lxl_open(struct xbdev *x, struct lxl *l)
{
	const char *no = getenv("XBDEV_NO_LIBXL");

	memset(l, 0, sizeof(*l));
	if (no && *no && strcmp(no, "0"))
		return false;
	l->log.lg.vmessage = quiet_vmessage;
	l->log.lg.destroy = quiet_destroy;
	l->log.x = x;
	if (libxl_ctx_alloc(&l->ctx, LIBXL_VERSION, 0, &l->log.lg)) {
		xbdev_log(x, LOG_DEBUG, "libxl unavailable, using xenstore");
		l->ctx = NULL;
		return false;
	}
	return true;
}

static void lxl_close(struct lxl *l)
{
	libxl_ctx_free(l->ctx);
}

/* 0 if domid is alive, -ENOENT if unknown, -ESRCH if dying. */
static int lxl_check(struct lxl *l, uint32_t domid)
{
	libxl_dominfo info;
	int rc, err = 0;

	libxl_dominfo_init(&info);
	rc = libxl_domain_info(l->ctx, &info, domid);
	if (rc == ERROR_DOMAIN_NOTFOUND)
		err = -ENOENT;
	else if (rc)
		err = -EIO;
	else if (info.dying)
		err = -ESRCH;
	libxl_dominfo_dispose(&info);
	return err;
}

static int lxl_resolve(struct lxl *l, const char *s, unsigned long id,
		       bool numeric, unsigned *domid)
{
	uint32_t d = (uint32_t)id;
	int err;

	if (!numeric && libxl_name_to_domid(l->ctx, s, &d))
		return -ENOENT;
	err = lxl_check(l, d);
	if (!err)
		*domid = d;
	return err;
}

static int xs_name_matches(struct xbdev *x, const char *id, const char *name,
			   unsigned *domid)
{
	char path[XBDEV_PATH_MAX], *v = NULL;
	unsigned long d;
	int err;

	if (xbdev_parse_uint(id, DOMID_LIMIT - 1, &d))
		return -ENOENT;
	err = xbdev_path_domain(path, sizeof(path), (unsigned)d, "name");
	if (!err)
		err = xbdev_read(x, XBDEV_TXN_NONE, path, &v);
	if (!err && strcmp(v, name))
		err = -ENOENT;
	if (!err)
		*domid = (unsigned)d;
	free(v);
	return err;
}

static int xs_resolve(struct xbdev *x, const char *s, unsigned long id,
		      bool numeric, unsigned *domid)
{
	char path[XBDEV_PATH_MAX], **ids = NULL;
	unsigned n = 0, i;
	int err;

	if (numeric) {
		/* dom0 may lack a name node on minimal setups, but its
		 * directory always exists. */
		err = xbdev_path_domain(path, sizeof(path), (unsigned)id, NULL);
		if (!err)
			err = xbdev_ls(x, XBDEV_TXN_NONE, path, &ids, &n);
		xbdev_strv_free(ids, n);
		if (err)
			return err == -EACCES ? err : -ENOENT;
		*domid = (unsigned)id;
		return 0;
	}
	err = xbdev_ls(x, XBDEV_TXN_NONE, "/local/domain", &ids, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (i = 0; i < n && err; i++)
		err = xs_name_matches(x, ids[i], s, domid);
	/* Some setups name dom0 only implicitly. */
	if (err == -ENOENT && !strcmp(s, "Domain-0")) {
		*domid = 0;
		err = 0;
	}
	xbdev_strv_free(ids, n);
	return err;
}

int xbdev_domain_resolve(struct xbdev *x, const char *name_or_id,
			 unsigned *domid)
{
	unsigned long id = 0;
	bool numeric;
	struct lxl l;
	int err;

	if (!name_or_id || !*name_or_id)
		return -EINVAL;
	err = xbdev_parse_uint(name_or_id, DOMID_LIMIT - 1, &id);
	/* A number, but above the highest domain id: bad input, not a
	 * domain that happens to be missing. */
	if (err == -ERANGE)
		return -ERANGE;
	numeric = err == 0;
	if (!numeric && xbdev_validate_value(name_or_id))
		return -EINVAL;
	if (!numeric && strspn(name_or_id, "0123456789") ==
				strlen(name_or_id))
		return -ENOENT;   /* digits, but not a number ("007") */
	err = -EIO;
	if (lxl_open(x, &l)) {
		err = lxl_resolve(&l, name_or_id, id, numeric, domid);
		lxl_close(&l);
	}
	if (err == -EIO)
		err = xs_resolve(x, name_or_id, id, numeric, domid);
	if (!err)
		xbdev_log(x, LOG_DEBUG, "domain %s is domid %u", name_or_id,
			  *domid);
	return err;
}

int xbdev_domain_gone(struct xbdev *x, unsigned domid)
{
	char id[16];
	unsigned d;
	int err;

	if (domid >= DOMID_LIMIT)
		return -EINVAL;
	snprintf(id, sizeof(id), "%u", domid);
	err = xbdev_domain_resolve(x, id, &d);
	if (err == -ENOENT || err == -ESRCH)
		return 1;
	return err;
}

int xbdev_domain_name(struct xbdev *x, unsigned domid, char **name)
{
	char path[XBDEV_PATH_MAX];
	int err;

	*name = NULL;
	if (domid >= DOMID_LIMIT)
		return -EINVAL;
	err = xbdev_path_domain(path, sizeof(path), domid, "name");
	if (!err)
		err = xbdev_read(x, XBDEV_TXN_NONE, path, name);
	if (err == -ENOENT && domid == 0) {
		*name = strdup("Domain-0");
		err = *name ? 0 : -ENOMEM;
	}
	return err;
}

int xbdev_domain_list(struct xbdev *x, unsigned **domids, unsigned *n)
{
	char **ids = NULL;
	unsigned num = 0, i, k = 0;
	unsigned long d;
	int err;

	*domids = NULL;
	*n = 0;
	err = xbdev_ls(x, XBDEV_TXN_NONE, "/local/domain", &ids, &num);
	if (err)
		return err;
	*domids = calloc(num ? num : 1, sizeof(**domids));
	if (!*domids) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < num; i++)
		if (!xbdev_parse_uint(ids[i], DOMID_LIMIT - 1, &d))
			(*domids)[k++] = (unsigned)d;
	/* ids were sorted as strings; domids read better numerically. */
	for (i = 1; i < k; i++) {
		unsigned v = (*domids)[i], j = i;

		for (; j > 0 && (*domids)[j - 1] > v; j--)
			(*domids)[j] = (*domids)[j - 1];
		(*domids)[j] = v;
	}
	*n = k;
	xbdev_log(x, LOG_DEBUG, "found %u domain%s under /local/domain", k,
		  k == 1 ? "" : "s");
out:
	xbdev_strv_free(ids, num);
	return err;
}

int xbdev_domain_present(struct xbdev *x, xbdev_txn_t t, unsigned domid)
{
	char dom[32];
	int r = xbdev_path_domain(dom, sizeof(dom), domid, NULL);

	if (r)
		return r;
	r = xbdev_exists(x, t, dom);
	return r < 0 ? r : r ? 0 : -ESRCH;
}
