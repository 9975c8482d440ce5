/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev CLI: domains that are gone but whose devices are not.  After a
 * destroy, or a reboot under xl (a new domid), the old domid is what
 * names the devices left behind; detach, status, list-devices and prune
 * accept it, and a guest's name that no longer leads there gets an error
 * that says which domid to use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Whether any device (record or directory) of domid still exists. */
static bool has_devices(struct xbdev *x, unsigned domid)
{
	struct xbdev_dev_status *v = NULL;
	unsigned n = 0;
	bool found;

	found = !xbdev_status_list(x, (int)domid, 0, &v, &n) && n > 0;
	free(v);
	return found;
}

unsigned cli_gone_domids(struct xbdev *x, const char *name, const char *cls,
			 unsigned devid, char *buf, size_t len)
{
	struct xbdev_record *v = NULL;
	unsigned n = 0, i, found = 0, last = 0;
	size_t off = 0;

	buf[0] = '\0';
	if (xbdev_gone_list(x, -1, name, &v, &n))
		return 0;
	/* v is sorted by domid: each one once. */
	for (i = 0; i < n; i++) {
		if (cls && (strcmp(v[i].cls, cls) || v[i].devid != devid))
			continue;
		if (found && v[i].fe == last)
			continue;
		last = v[i].fe;
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%u",
						found ? " or " : "", last);
		found++;
	}
	free(v);
	return found;
}

int cli_domain_or_gone(struct xbdev *x, const char *arg, unsigned *domid)
{
	char ids[64], e[CLI_ESCAPED_LEN];
	unsigned id;
	int err = xbdev_domain_resolve(x, arg, domid);

	if (!err)
		return XBDEV_EXIT_OK;
	if (err != -ENOENT && err != -ESRCH)
		return cli_domain(x, arg, domid);
	if (cli_domain_numeric(arg, &id)) {
		if (!has_devices(x, id))
			return cli_domain(x, arg, domid);
		*domid = id;
		return XBDEV_EXIT_OK;
	}
	if (!cli_gone_domids(x, arg, NULL, 0, ids, sizeof(ids)))
		return cli_domain(x, arg, domid);
	return cli_err(XBDEV_EXIT_NOTFOUND,
		       "%s: %s; its devices are left "
		       "under the domain id it had: use domid %s",
		       cli_esc(e, arg),
		       err == -ESRCH ? "domain is dying" : "unknown domain",
		       ids);
}

int cli_gone_device(struct xbdev *x, const char *dom, const char *cls,
		    unsigned devid, const char *what, const char *why)
{
	char ids[64];

	if (!cli_domain_numeric(dom, &(unsigned){ 0 }) &&
	    cli_gone_domids(x, dom, cls, devid, ids, sizeof(ids)))
		return cli_err(XBDEV_EXIT_NOTFOUND,
			       "%s: %s; the guest's "
			       "earlier domain still holds it: use domid %s",
			       what, why, ids);
	return cli_err(XBDEV_EXIT_NOTFOUND, "%s: %s", what, why);
}
