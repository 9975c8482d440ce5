/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: validation of names, values and numbers; XenBus state names. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xbdev-internal.h"

static bool name_char(char c, bool first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-')
		return true;
	return !first && c == '.';
}

/* One component of len bytes at s. */
static int validate_component(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return -EINVAL;
	if (len > XBDEV_NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++)
		if (!name_char(s[i], i == 0))
			return -EINVAL;
	/* "." and ".." cannot pass the first-character rule; kept explicit
	 * because that is the property callers rely on. */
	if ((len == 1 && s[0] == '.') || (len == 2 && !strncmp(s, "..", 2)))
		return -EINVAL;
	return 0;
}

int xbdev_validate_name(const char *name, bool allow_slash)
{
	const char *p, *slash;
	int err;

	if (!name)
		return -EINVAL;
	if (strnlen(name, XBDEV_PATH_MAX) >= XBDEV_PATH_MAX)
		return -ENAMETOOLONG;
	for (p = name;; p = slash + 1) {
		slash = strchr(p, '/');
		if (slash && !allow_slash)
			return -EINVAL;
		err = validate_component(p, slash ? (size_t)(slash - p)
						  : strlen(p));
		if (err || !slash)
			return err;
	}
}

int xbdev_validate_value(const char *value)
{
	const unsigned char *p;

	if (!value)
		return -EINVAL;
	if (strnlen(value, XBDEV_VALUE_MAX) >= XBDEV_VALUE_MAX)
		return -E2BIG;
	/* Bytes >= 0x80 pass: UTF-8 is allowed, control characters are not. */
	for (p = (const unsigned char *)value; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return -EINVAL;
	return 0;
}

int xbdev_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	if (!s || !*s)
		return -EINVAL;
	/* "0" is zero; "007" is refused so that nothing looks octal. */
	if (s[0] == '0' && s[1] != '\0')
		return -EINVAL;
	for (p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		if (v > (max - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static const char *const state_names[] = {
	[XBDEV_STATE_UNKNOWN] = "Unknown",
	[XBDEV_STATE_INITIALISING] = "Initialising",
	[XBDEV_STATE_INITWAIT] = "InitWait",
	[XBDEV_STATE_INITIALISED] = "Initialised",
	[XBDEV_STATE_CONNECTED] = "Connected",
	[XBDEV_STATE_CLOSING] = "Closing",
	[XBDEV_STATE_CLOSED] = "Closed",
	[XBDEV_STATE_RECONFIGURING] = "Reconfiguring",
	[XBDEV_STATE_RECONFIGURED] = "Reconfigured",
};

const char *xbdev_state_name(int state)
{
	if (state < 0)
		return "none";
	if (state > XBDEV_STATE_MAX)
		return "?";
	return state_names[state];
}

int xbdev_state_parse(const char *s, enum xbdev_state *out)
{
	unsigned long v;
	int i;

	if (!s)
		return -EINVAL;
	if (xbdev_parse_uint(s, XBDEV_STATE_MAX, &v) == 0) {
		*out = (enum xbdev_state)v;
		return 0;
	}
	for (i = 0; i <= XBDEV_STATE_MAX; i++) {
		if (!strcasecmp(s, state_names[i])) {
			*out = (enum xbdev_state)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Untrusted text (a guest's node, a path it chose) on its way to a log or
 * a terminal: every byte a terminal could act on becomes visible. */
static size_t escape_one(unsigned char c, char e[5])
{
	if (c == '\\')
		return (size_t)snprintf(e, 5, "\\\\");
	if (c < 0x20 || c >= 0x7f)
		return (size_t)snprintf(e, 5, "\\x%02x", c);
	e[0] = (char)c;
	e[1] = '\0';
	return 1;
}

const char *xbdev_escape(char *buf, size_t len, const char *s)
{
	static const char cut[] = "...";
	const unsigned char *p;
	size_t o = 0, all = 0, room;
	char e[5];

	if (!len)
		return buf;
	for (p = (const unsigned char *)s; *p; p++)
		all += escape_one(*p, e);
	/* When it does not all fit, stop early enough for the "...". */
	room = all < len ? len - 1 : len > sizeof(cut) ? len - sizeof(cut) : 0;
	for (p = (const unsigned char *)s; *p; p++) {
		size_t n = escape_one(*p, e);

		if (o + n > room)
			break;
		memcpy(buf + o, e, n);
		o += n;
	}
	if (all >= len && len >= sizeof(cut)) {
		memcpy(buf + o, cut, sizeof(cut) - 1);
		o += sizeof(cut) - 1;
	}
	buf[o] = '\0';
	return buf;
}
