/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: the one place xenstore paths are built. */
#include <stdio.h>
#include <string.h>

#include "xbdev-internal.h"

static int fmt_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fmt_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= len || n >= XBDEV_PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static int check_ids(unsigned a, unsigned b, unsigned devid)
{
	if (a > XBDEV_DOMID_MAX || b > XBDEV_DOMID_MAX ||
	    devid > XBDEV_DEVID_MAX)
		return -EINVAL;
	return 0;
}

int xbdev_path_frontend(char *buf, size_t len, unsigned fe, const char *cls,
			unsigned devid)
{
	int err = check_ids(fe, 0, devid);

	if (!err)
		err = xbdev_validate_name(cls, false);
	if (err)
		return err;
	return fmt_path(buf, len, "/local/domain/%u/device/%s/%u", fe, cls,
			devid);
}

int xbdev_path_backend(char *buf, size_t len, unsigned be, const char *type,
		       unsigned fe, unsigned devid)
{
	int err = check_ids(be, fe, devid);

	if (!err)
		err = xbdev_validate_name(type, false);
	if (err)
		return err;
	return fmt_path(buf, len, "/local/domain/%u/backend/%s/%u/%u", be, type,
			fe, devid);
}

int xbdev_path_record(char *buf, size_t len, unsigned fe, const char *cls,
		      unsigned devid)
{
	int err = check_ids(fe, 0, devid);

	if (!err)
		err = xbdev_validate_name(cls, false);
	if (err)
		return err;
	return fmt_path(buf, len, "/xbdev/%u/%s/%u", fe, cls, devid);
}

int xbdev_path_join(char *buf, size_t len, const char *dir, const char *key)
{
	int err;

	if (!dir || dir[0] != '/')
		return -EINVAL;
	err = xbdev_validate_name(key, true);
	if (err)
		return err;
	return fmt_path(buf, len, "%s/%s", dir, key);
}
