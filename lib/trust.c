/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: who this process is, and which nodes it may take orders from.
 *
 * The rule (README "Security model"): a process in domain D takes what to
 * open, or how, only from nodes that no domain other than D and dom0 (the
 * toolstack) can write.  xenstored lets a domain write a node when it owns
 * it, when the node's default permission (entry 0) grants write to
 * everyone not listed, or when an entry names it with write.  Removing a
 * node takes write on the node; creating one takes write on its parent,
 * so a caller that relies on an optional node being absent checks the
 * directory too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xbdev-internal.h"

static bool is_control_domain(void)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/xen/capabilities", "re");
	bool yes;

	if (!f)
		return false;
	yes = fgets(buf, sizeof(buf), f) && strstr(buf, "control_d");
	fclose(f);
	return yes;
}

int xbdev_self_domid(struct xbdev *x, unsigned *domid)
{
	unsigned len = 0;
	unsigned long v;
	char *s;
	int err;

	/* The one relative path in xbdev: it is what names "self". */
	s = xs_read(x->xs, XBT_NULL, "domid", &len);
	if (s) {
		err = strlen(s) == len ? xbdev_parse_uint(s, XBDEV_DOMID_MAX, &v)
				       : -EINVAL;
		free(s);
		if (!err) {
			*domid = (unsigned)v;
			return 0;
		}
		xbdev_log(x, LOG_WARNING, "domid: not a domain id");
	}
	if (is_control_domain()) {
		*domid = 0;
		return 0;
	}
	return -ENOENT;
}

static bool trusted_writer(unsigned domid, unsigned self)
{
	return domid == self || domid == 0;
}

static bool grants_write(enum xbdev_perm p)
{
	return p == XBDEV_PERM_WRITE || p == XBDEV_PERM_BOTH;
}

int xbdev_acl_foreign_writer(const struct xbdev_acl_entry *acl, unsigned n,
			     unsigned self)
{
	unsigned i;

	if (!n)
		return -EINVAL;
	if (!trusted_writer(acl[0].domid, self))
		return (int)acl[0].domid;
	/* The default covers every domain not listed, some of them foreign. */
	if (grants_write(acl[0].perm))
		return XBDEV_DOMID_ANY;
	for (i = 1; i < n; i++)
		if (grants_write(acl[i].perm) &&
		    !trusted_writer(acl[i].domid, self))
			return (int)acl[i].domid;
	return -1;
}

int xbdev_node_trusted(struct xbdev *x, xbdev_txn_t t, const char *path,
		       unsigned self)
{
	struct xbdev_acl_entry *acl = NULL;
	unsigned n = 0;
	int err = xbdev_get_perms(x, t, path, &acl, &n), who;

	if (err)
		return err;
	who = xbdev_acl_foreign_writer(acl, n, self);
	free(acl);
	if (who == -EINVAL)
		return -EINVAL;
	if (who == XBDEV_DOMID_ANY) {
		xbdev_log(x, LOG_ERR, "%s: every domain can write it", path);
		return -EPERM;
	}
	if (who >= 0) {
		xbdev_log(x, LOG_ERR, "%s: domain %d can write it", path, who);
		return -EPERM;
	}
	return 0;
}
