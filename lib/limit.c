// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The I/O limits of a served vbd as one line (`attach --limit`, `xbdev
 * limit`, the record's "limit" node): pure parsing and formatting, no
 * xenstore.  The names are cgroup v2 io.max's (riops, wiops, rbps, wbps;
 * "max" for no limit), plus iops= and bps= for both directions at once and
 * burst= for how long a full bucket lasts.  The formatted form is
 * canonical: parse(format(l)) == l, and it is what the record keeps.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "xbdev.h"

/* A rate: "max" or "0" (no limit) or a number; with size, K/M/G/T
 * suffixes (powers of 1024). */
static int parse_rate(const char *s, bool size, uint64_t max, uint64_t *out)
{
	char num[32];
	size_t len = strlen(s);
	unsigned shift = 0;
	unsigned long v;
	int err;

	if (!strcmp(s, "max")) {
		*out = 0;
		return 0;
	}
	if (!len || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	if (size && len > 1) {
		const char *suf =
			strchr("KMGT", toupper((unsigned char)num[len - 1]));

		if (suf) {
			shift = 10 * (unsigned)(suf - "KMGT" + 1);
			num[--len] = '\0';
		}
	}
	err = xbdev_parse_uint(num, max >> shift, &v);
	if (!err)
		*out = (uint64_t)v << shift;
	return err;
}

/* Seconds with at most three decimals, 0 to XBDEV_LIMIT_BURST_MS_MAX. */
static int parse_burst(const char *s, unsigned *ms)
{
	char whole[16];
	const char *dot = strchr(s, '.');
	size_t n = dot ? (size_t)(dot - s) : strlen(s);
	unsigned long sec, frac = 0;
	size_t fn = dot ? strlen(dot + 1) : 0;
	int err;

	if (!n || n >= sizeof(whole) || (dot && (!fn || fn > 3)))
		return -EINVAL;
	memcpy(whole, s, n);
	whole[n] = '\0';
	err = xbdev_parse_uint(whole, XBDEV_LIMIT_BURST_MS_MAX / 1000, &sec);
	if (err)
		return -EINVAL;
	/* The decimals by hand: "005" is no number xbdev_parse_uint takes. */
	for (size_t i = 0; i < 3; i++) {
		char c = i < fn ? dot[1 + i] : '0';

		if (c < '0' || c > '9')
			return -EINVAL;
		frac = frac * 10 + (unsigned long)(c - '0');
	}
	if (sec * 1000 + frac > XBDEV_LIMIT_BURST_MS_MAX)
		return -EINVAL;
	*ms = (unsigned)(sec * 1000 + frac);
	return 0;
}

/* One key=value onto l. */
static int parse_pair(char *kv, struct xbdev_limit *l)
{
	char *v = strchr(kv, '=');
	uint64_t r;
	int err;

	if (!v)
		return -EINVAL;
	*v++ = '\0';
	if (!strcmp(kv, "burst"))
		return parse_burst(v, &l->burst_ms);
	if (!strcmp(kv, "riops") || !strcmp(kv, "wiops") ||
	    !strcmp(kv, "iops")) {
		err = parse_rate(v, false, XBDEV_LIMIT_IOPS_MAX, &r);
		if (!err && kv[0] != 'w')
			l->riops = r;
		if (!err && kv[0] != 'r')
			l->wiops = r;
		return err;
	}
	if (!strcmp(kv, "rbps") || !strcmp(kv, "wbps") || !strcmp(kv, "bps")) {
		err = parse_rate(v, true, XBDEV_LIMIT_BPS_MAX, &r);
		if (!err && kv[0] != 'w')
			l->rbps = r;
		if (!err && kv[0] != 'r')
			l->wbps = r;
		return err;
	}
	return -EINVAL;
}

int xbdev_limit_parse(const char *spec, struct xbdev_limit *out)
{
	struct xbdev_limit l = { .burst_ms = XBDEV_LIMIT_BURST_MS_DEFAULT };
	char buf[XBDEV_LIMIT_SPEC_MAX];
	char *save = NULL, *kv;
	size_t len = spec ? strlen(spec) : 0;
	int err = 0;

	if (!len || len >= sizeof(buf) || spec[0] == ',' ||
	    spec[len - 1] == ',' || strstr(spec, ",,"))
		return -EINVAL;
	if (!strcmp(spec, "none")) {
		*out = l;
		return 0;
	}
	memcpy(buf, spec, len + 1);
	for (kv = strtok_r(buf, ",", &save); kv && !err;
	     kv = strtok_r(NULL, ",", &save))
		err = parse_pair(kv, &l);
	if (err)
		return -EINVAL;
	*out = l;
	return 0;
}

bool xbdev_limit_any(const struct xbdev_limit *l)
{
	return l->riops || l->wiops || l->rbps || l->wbps;
}

/* Appends to a buffer of len bytes at *at; *at past len once it overflowed. */
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *at, len - *at, fmt, ap);
	va_end(ap);
	*at = n < 0 ? len : *at + (size_t)n;
}

/* A byte rate with the largest suffix that keeps it exact. */
static void put_size(char *buf, size_t len, size_t *at, uint64_t v)
{
	int i = -1;

	while (i < 3 && !(v & 1023)) {
		v >>= 10;
		i++;
	}
	if (i < 0)
		put(buf, len, at, "%llu", (unsigned long long)v);
	else
		put(buf, len, at, "%llu%c", (unsigned long long)v, "KMGT"[i]);
}

int xbdev_limit_format(const struct xbdev_limit *l, char *buf, size_t len)
{
	const struct {
		const char *name;
		uint64_t v;
		bool size;
	} f[] = {
		{ "riops", l->riops, false },
		{ "wiops", l->wiops, false },
		{ "rbps", l->rbps, true },
		{ "wbps", l->wbps, true },
	};
	size_t at = 0;

	if (!len)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	if (!xbdev_limit_any(l))
		put(buf, len, &at, "none");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!f[i].v)
			continue;
		put(buf, len, &at, "%s%s=", at ? "," : "", f[i].name);
		if (f[i].size)
			put_size(buf, len, &at, f[i].v);
		else
			put(buf, len, &at, "%llu", (unsigned long long)f[i].v);
	}
	/* Seconds, the decimals it needs (0.1, 2, 0.25). */
	if (xbdev_limit_any(l) && l->burst_ms != XBDEV_LIMIT_BURST_MS_DEFAULT) {
		unsigned frac = l->burst_ms % 1000, digits = 3;

		while (frac && !(frac % 10)) {
			frac /= 10;
			digits--;
		}
		put(buf, len, &at, ",burst=%u", l->burst_ms / 1000);
		if (frac)
			put(buf, len, &at, ".%0*u", (int)digits, frac);
	}
	return at < len ? 0 : -ENAMETOOLONG;
}
