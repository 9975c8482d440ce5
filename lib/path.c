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

int xbdev_path_domain(char *buf, size_t len, unsigned dom, const char *sub)
{
	int err = check_ids(dom, 0, 0);

	if (!err && sub)
		err = xbdev_validate_name(sub, true);
	if (err)
		return err;
	return sub ? fmt_path(buf, len, "/local/domain/%u/%s", dom, sub)
		   : fmt_path(buf, len, "/local/domain/%u", dom);
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

/* One path component of p, up to the next '/' or the end: its length. */
static size_t component(const char *p)
{
	const char *slash = strchr(p, '/');

	return slash ? (size_t)(slash - p) : strlen(p);
}

/*
 * Take the component at *p as a number (xbdev_parse_uint's rules) or a
 * name (xbdev_validate_name's), and step *p past it and its '/'.  *more
 * says whether a '/' followed.
 */
static bool take_uint(const char **p, unsigned long max, unsigned *out,
		      bool *more)
{
	char buf[16];
	size_t n = component(*p);
	unsigned long v;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, *p, n);
	buf[n] = '\0';
	if (xbdev_parse_uint(buf, max, &v))
		return false;
	*out = (unsigned)v;
	*more = (*p)[n] == '/';
	*p += n + *more;
	return true;
}

static bool take_name(const char **p, char *out, bool *more)
{
	size_t n = component(*p);

	if (!n || n > XBDEV_NAME_MAX)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	if (xbdev_validate_name(out, false))
		return false;
	*more = (*p)[n] == '/';
	*p += n + *more;
	return true;
}

/* The device directory ends at q (the id just taken): what follows is
 * "" or "/...". */
static void device_found(struct xbdev_path_parts *out, const char *path,
			 const char *q, bool more, enum xbdev_path_kind kind)
{
	out->kind = kind;
	out->dir_len = (size_t)(q - path) - more;
	out->rest = path + out->dir_len;
}

/* After "/local/domain/<dom>/device/": <class>/<devid>[/...] (kind
 * FRONTEND), or after ".../backend/": <type>/<fe>/<devid>[/...] (BACKEND). */
static void parse_devices(const char *path, const char *q,
			  struct xbdev_path_parts *out,
			  enum xbdev_path_kind kind)
{
	bool more = true;

	out->kind = XBDEV_PATH_TREE;
	if (!*q)
		return;
	if (!take_name(&q, out->name, &more))
		goto other;
	if (!more)
		return;
	if (kind == XBDEV_PATH_FRONTEND) {
		out->fe = out->dom;
	} else {
		if (!take_uint(&q, XBDEV_DOMID_MAX, &out->fe, &more))
			goto other;
		if (!more)
			return;
	}
	if (take_uint(&q, XBDEV_DEVID_MAX, &out->devid, &more)) {
		device_found(out, path, q, more, kind);
		return;
	}
other:
	out->kind = XBDEV_PATH_OTHER;
}

/* Is p exactly word, or word followed by '/'?  Then step past it. */
static bool take_word(const char **p, const char *word, bool *more)
{
	size_t n = strlen(word);

	if (strncmp(*p, word, n) || ((*p)[n] && (*p)[n] != '/'))
		return false;
	*more = (*p)[n] == '/';
	*p += n + *more;
	return true;
}

void xbdev_path_parse(const char *path, struct xbdev_path_parts *out)
{
	static const char local[] = "/local/domain";
	const char *q = path;
	bool more = false;

	memset(out, 0, sizeof(*out));
	out->kind = XBDEV_PATH_OTHER;
	out->rest = "";
	if (!strcmp(path, "@releaseDomain") ||
	    !strcmp(path, "@introduceDomain")) {
		out->kind = XBDEV_PATH_DOMAINS;
		return;
	}
	if (take_word(&q, XBDEV_ROOT, &more)) {
		out->kind = XBDEV_PATH_RECORD;
		return;
	}
	if (!take_word(&q, local, &more))
		return;
	out->kind = XBDEV_PATH_TREE;
	if (!more)
		return;
	if (!take_uint(&q, XBDEV_DOMID_MAX, &out->dom, &more)) {
		out->kind = XBDEV_PATH_OTHER;
		return;
	}
	if (!more)
		return;
	out->kind = XBDEV_PATH_OTHER;
	if (take_word(&q, "device", &more))
		parse_devices(path, q, out, XBDEV_PATH_FRONTEND);
	else if (take_word(&q, "backend", &more))
		parse_devices(path, q, out, XBDEV_PATH_BACKEND);
}
