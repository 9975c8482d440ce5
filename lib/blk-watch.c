/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: watches on xenstored's special "@" paths (see xbdev-blk.h). */
#include <string.h>
#include <xenstore.h>

#include "xbdev-blk.h"
#include "xbdev-internal.h"

static int check_special(const char *special, const char *token)
{
	if (!special || (strcmp(special, "@releaseDomain") &&
			 strcmp(special, "@introduceDomain")))
		return -EINVAL;
	if (!token || !*token)
		return -EINVAL;
	return xbdev_validate_value(token);
}

int xbdev_watch_special(struct xbdev *x, const char *special,
			const char *token)
{
	int err = check_special(special, token);

	if (err)
		return err;
	if (!xs_watch(x->xs, special, token))
		return xbdev_errno();
	return 0;
}

int xbdev_unwatch_special(struct xbdev *x, const char *special,
			  const char *token)
{
	int err = check_special(special, token);

	if (err)
		return err;
	if (!xs_unwatch(x->xs, special, token))
		return xbdev_errno();
	return 0;
}
