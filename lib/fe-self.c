/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: what a frontend needs to know about its own domain. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include "xbdev-internal.h"
#include "xbdev-fe.h"

#define XBDEV_DOMID_MAX 0x7fefu   /* DOMID_FIRST_RESERVED - 1 */

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

int xbdev_fe_self_domid(struct xbdev *x, unsigned *domid)
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
