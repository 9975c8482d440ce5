/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: xl disk specs (xl-disk-configuration(5)), the string
 * `xl block-attach` and an xl config's disk = [ ... ] take, read into what
 * xbdev attach can serve.  Rules, as xl's own parser has them:
 *   - parameters are separated by commas; whitespace before one is
 *     ignored (here also after one, but for target=);
 *   - KEY=VALUE, a flag (cdrom, discard, ...), or a positional parameter:
 *     target, format, vdev, access, in that order, each slot taken by
 *     the next parameter that is neither (an empty one too: its default);
 *   - target=VALUE takes everything after it, commas included: it comes
 *     last;
 *   - deprecated: prefixes before a positional parameter (raw: qcow:
 *     qcow2: vhd: set the format, iscsi: nbd: enbd: drbd: a script,
 *     tapdisk: tap: tap2: aio: ioemu: file: phy: are dropped; with one the
 *     format slot is skipped), and vdev:devtype;
 *   - a relative target is below /dev;
 *   - each parameter at most once.
 * xbdev serves raw images from domain 0 only; a parameter it cannot
 * honour is refused with its name, never ignored.
 */
#include <stdio.h>
#include <string.h>

#include "xbdev-internal.h"

static const char *const backend_names[] = {
	[XBDEV_VBD_XBDEV] = "xbdev",
	[XBDEV_VBD_PHY] = "phy",
	[XBDEV_VBD_QDISK] = "qdisk",
};
static const char *const backend_types[] = {
	[XBDEV_VBD_XBDEV] = "xbdev-vbd",
	[XBDEV_VBD_PHY] = "vbd",
	[XBDEV_VBD_QDISK] = "qdisk",
};

int xbdev_vbd_backend_parse(const char *name, enum xbdev_vbd_backend *out)
{
	unsigned i;

	for (i = 0; name && i < ARRAY_SIZE(backend_names); i++)
		if (!strcmp(name, backend_names[i])) {
			*out = (enum xbdev_vbd_backend)i;
			return 0;
		}
	return -EINVAL;
}

const char *xbdev_vbd_backend_name(enum xbdev_vbd_backend b)
{
	return (unsigned)b < ARRAY_SIZE(backend_names) ? backend_names[b] : "?";
}

const char *xbdev_vbd_backend_type(enum xbdev_vbd_backend b)
{
	return (unsigned)b < ARRAY_SIZE(backend_types) ? backend_types[b] : "?";
}

struct ctx {
	struct xbdev_xldisk *d;
	size_t used;	 /* of d->buf */
	bool target_set; /* a target was given, "" included */
	bool format_set; /* the format slot is taken */
	bool access_pos; /* the access slot is taken */
	bool had_prefix; /* a deprecated prefix: no format slot */
	bool backend_set;
};

static int refuse(struct ctx *c, enum xbdev_xldisk_why why, const char *key,
		  const char *token, size_t n)
{
	struct xbdev_xldisk *d = c->d;

	if (d->why != XBDEV_XLDISK_OK)
		return -EINVAL;
	d->why = why;
	snprintf(d->key, sizeof(d->key), "%s", key);
	if (n >= sizeof(d->token))
		n = sizeof(d->token) - 1;
	memcpy(d->token, token, n);
	d->token[n] = '\0';
	return -EINVAL;
}

static int refuse_str(struct ctx *c, enum xbdev_xldisk_why why, const char *key,
		      const char *token)
{
	return refuse(c, why, key, token, strlen(token));
}

/* A copy of prefix + s into d->buf, which holds every string of the spec
 * (each no longer than its part of the input) and the target once more,
 * with "/dev/" before it. */
static const char *save(struct ctx *c, const char *prefix, const char *s)
{
	size_t p = strlen(prefix), n = strlen(s);
	char *out = c->d->buf + c->used;

	if (c->used + p + n + 1 > sizeof(c->d->buf))
		return NULL;
	memcpy(out, prefix, p);
	memcpy(out + p, s, n + 1);
	c->used += p + n + 1;
	return out;
}

/* A 0/1 parameter: -1 (not given) takes v, the same v again is fine, the
 * other one is the parameter given twice. */
static int set_flag(struct ctx *c, int *field, int v, const char *key,
		    const char *token)
{
	if (*field >= 0 && *field != v)
		return refuse_str(c, XBDEV_XLDISK_TWICE, key, token);
	*field = v;
	return 0;
}

/* A string parameter: once (an empty value is no value, as in xl). */
static int set_str(struct ctx *c, const char **field, const char *v,
		   const char *key)
{
	if (*field && **field)
		return refuse_str(c, XBDEV_XLDISK_TWICE, key, v);
	*field = save(c, "", v);
	return *field ? 0 : refuse_str(c, XBDEV_XLDISK_TOO_LONG, key, v);
}

static int set_format(struct ctx *c, const char *v)
{
	static const char *const not_raw[] = { "qcow", "qcow2", "vhd", "qed" };
	unsigned i;

	c->format_set = true;
	if (!*v)
		return 0; /* the default: raw */
	if (!strcmp(v, "raw")) {
		c->d->format_raw = true;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(not_raw); i++)
		if (!strcmp(v, not_raw[i]))
			return refuse_str(c, XBDEV_XLDISK_NOT_RAW, "format", v);
	if (!strcmp(v, "empty"))
		return refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, "format", v);
	return refuse_str(c, XBDEV_XLDISK_BAD_VALUE, "format", v);
}

static int set_access(struct ctx *c, const char *v)
{
	if (!strcmp(v, "r") || !strcmp(v, "ro"))
		return set_flag(c, &c->d->readonly, 1, "access", v);
	if (!strcmp(v, "rw") || !strcmp(v, "w"))
		return set_flag(c, &c->d->readonly, 0, "access", v);
	if (!*v)
		return 0; /* the default */
	return refuse_str(c, XBDEV_XLDISK_BAD_VALUE, "access", v);
}

static int set_devtype(struct ctx *c, const char *v)
{
	if (!strcmp(v, "cdrom"))
		return set_flag(c, &c->d->cdrom, 1, "devtype", v);
	if (!strcmp(v, "disk"))
		return set_flag(c, &c->d->cdrom, 0, "devtype", v);
	return refuse_str(c, XBDEV_XLDISK_BAD_VALUE, "devtype", v);
}

static int set_backendtype(struct ctx *c, const char *key, const char *v)
{
	enum xbdev_vbd_backend b;

	if (!xbdev_vbd_backend_parse(v, &b))
		return set_flag(c, &c->d->backendtype, (int)b, key, v);
	if (!strcmp(v, "tap") || !strcmp(v, "standalone"))
		return refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, key, v);
	return refuse_str(c, XBDEV_XLDISK_BAD_VALUE, key, v);
}

/* "vdev:devtype" in the vdev slot (deprecated): 1 when it was one. */
static int vdev_devtype(struct ctx *c, char *tok)
{
	char *colon = strrchr(tok, ':');
	int err;

	if (!colon)
		return 0;
	*colon = '\0';
	err = set_str(c, &c->d->vdev, tok, "vdev");
	if (!err)
		err = set_devtype(c, colon + 1);
	return err ? err : 1;
}

static int positional(struct ctx *c, char *tok)
{
	struct xbdev_xldisk *d = c->d;
	int r;

	if (!c->target_set) {
		c->target_set = true;
		return set_str(c, &d->target, tok, "target");
	}
	if (!c->had_prefix && !c->format_set) {
		/* xend's empty CD-ROM: ",hdc:cdrom,r" (no format slot). */
		if (!*d->target && strchr(tok, ':')) {
			c->format_set = true;
			r = vdev_devtype(c, tok);
			return r < 0 ? r : 0;
		}
		return set_format(c, tok);
	}
	if (!d->vdev) {
		r = vdev_devtype(c, tok);
		if (r)
			return r < 0 ? r : 0;
		return set_str(c, &d->vdev, tok, "vdev");
	}
	if (!c->access_pos) {
		c->access_pos = true;
		return set_access(c, tok);
	}
	return refuse_str(c, XBDEV_XLDISK_TOO_MANY, "", tok);
}

/* The deprecated prefixes; NULL when name is none of them. */
static const char *const dropped_prefixes[] = {
	"tapdisk", "tap", "tap2", "aio", "ioemu", "file", "phy",
};
static const char *const script_prefixes[] = { "iscsi", "nbd", "enbd", "drbd" };

static bool in(const char *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(s, v[i]))
			return true;
	return false;
}

static bool is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* Strip the deprecated prefixes of a positional parameter: *tok moves
 * past them.  "hdc:cdrom" is none (a letter or digit after the colon,
 * where a prefix has a path or nothing). */
static int prefixes(struct ctx *c, char **tok)
{
	char *s = *tok, *colon;
	size_t n;
	int err = 0;

	while (!err && *s >= 'a' && *s <= 'z') {
		for (n = 1; is_lower_alnum(s[n]); n++)
			;
		if (s[n] != ':')
			break;
		colon = s + n;
		*colon = '\0';
		if (in(s, dropped_prefixes, ARRAY_SIZE(dropped_prefixes))) {
			c->had_prefix = true;
		} else if (!strcmp(s, "raw") || !strcmp(s, "qcow") ||
			   !strcmp(s, "qcow2") || !strcmp(s, "vhd")) {
			c->had_prefix = true;
			err = set_format(c, s);
		} else if (in(s, script_prefixes,
			      ARRAY_SIZE(script_prefixes))) {
			err = refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, "script",
					 s);
		} else if (!is_lower_alnum(colon[1])) {
			*colon = ':';
			err = refuse(c, XBDEV_XLDISK_SYNTAX, "", s, n + 1);
		} else {
			*colon = ':';
			break;
		}
		s = colon + 1;
	}
	*tok = s;
	return err;
}

static int flag(struct ctx *c, const char *tok, bool *found)
{
	struct xbdev_xldisk *d = c->d;

	*found = true;
	if (!strcmp(tok, "cdrom"))
		return set_flag(c, &d->cdrom, 1, "devtype", tok);
	if (!strcmp(tok, "discard"))
		return set_flag(c, &d->discard, 1, "discard", tok);
	if (!strcmp(tok, "no-discard"))
		return set_flag(c, &d->discard, 0, "discard", tok);
	if (!strcmp(tok, "trusted"))
		return set_flag(c, &d->trusted, 1, "trusted", tok);
	if (!strcmp(tok, "untrusted"))
		return set_flag(c, &d->trusted, 0, "trusted", tok);
	if (!strcmp(tok, "direct-io-safe")) {
		d->direct_io_safe = true;
		return 0;
	}
	if (!strcmp(tok, "no-colo"))
		return 0; /* the default */
	if (!strcmp(tok, "colo"))
		return refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, tok, "");
	*found = false;
	return 0;
}

/* script=: only xbdev's own hotplug script means anything to attach, and
 * it means xbdev-blkback. */
static int set_script(struct ctx *c, const char *v)
{
	const char *base = strrchr(v, '/');

	base = base ? base + 1 : v;
	if (!*v)
		return 0;
	/* Another script, or xbdev's with another backendtype. */
	if (strcmp(base, "xbdev") ||
	    (c->d->backendtype >= 0 && c->d->backendtype != XBDEV_VBD_XBDEV))
		return refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, "script", v);
	c->d->backendtype = XBDEV_VBD_XBDEV;
	return 0;
}

static int set_backend(struct ctx *c, const char *v)
{
	if (!*v)
		return 0;
	if (c->backend_set)
		return refuse_str(c, XBDEV_XLDISK_TWICE, "backend", v);
	c->backend_set = true;
	/* Every disk attach takes is checked and opened in domain 0. */
	if (strcmp(v, "0") && strcmp(v, "Domain-0"))
		return refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, "backend", v);
	return 0;
}

static bool valid_key(const char *k)
{
	if (!(*k >= 'a' && *k <= 'z'))
		return false;
	for (k++; *k; k++)
		if (!is_lower_alnum(*k) && *k != '-' && *k != '_')
			return false;
	return true;
}

static int key_value(struct ctx *c, char *tok, char *eq)
{
	static const char *const unsupported[] = {
		"colo-host",   "colo-port",   "colo-export",
		"active-disk", "hidden-disk", "grant_usage",
	};
	struct xbdev_xldisk *d = c->d;
	const char *v = eq + 1;

	*eq = '\0';
	if (!valid_key(tok)) {
		*eq = '=';
		return refuse_str(c, XBDEV_XLDISK_SYNTAX, "", tok);
	}
	if (!strcmp(tok, "format"))
		return set_format(c, v);
	if (!strcmp(tok, "vdev"))
		return set_str(c, &d->vdev, v, "vdev");
	if (!strcmp(tok, "access"))
		return set_access(c, v);
	if (!strcmp(tok, "devtype"))
		return set_devtype(c, v);
	if (!strcmp(tok, "backendtype"))
		return set_backendtype(c, "backendtype", v);
	if (!strcmp(tok, "backend"))
		return set_backend(c, v);
	if (!strcmp(tok, "script"))
		return set_script(c, v);
	if (!strcmp(tok, "specification")) {
		if (!strcmp(v, "xen"))
			return 0;
		return refuse_str(c,
				  strcmp(v, "virtio")
					  ? XBDEV_XLDISK_BAD_VALUE
					  : XBDEV_XLDISK_UNSUPPORTED,
				  tok, v);
	}
	if (in(tok, unsupported, ARRAY_SIZE(unsupported)))
		return refuse_str(c, XBDEV_XLDISK_UNSUPPORTED, tok, v);
	return refuse_str(c, XBDEV_XLDISK_UNKNOWN_KEY, tok, v);
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n';
}

static int parameter(struct ctx *c, char *tok)
{
	char *eq = strchr(tok, '=');
	bool found;
	int err;

	if (eq)
		return key_value(c, tok, eq);
	err = flag(c, tok, &found);
	if (err || found)
		return err;
	err = prefixes(c, &tok);
	if (!err)
		err = positional(c, tok);
	return err;
}

/* target=: the rest of the spec, less one trailing comma. */
static int named_target(struct ctx *c, char *v)
{
	size_t n = strlen(v);

	if (n && v[n - 1] == ',')
		v[n - 1] = '\0';
	c->target_set = true;
	return set_str(c, &c->d->target, v, "target");
}

static int finish(struct ctx *c)
{
	struct xbdev_xldisk *d = c->d;
	unsigned devid;

	if (d->vdev && !*d->vdev)
		d->vdev = NULL;
	if (d->vdev && xbdev_vdev_parse(d->vdev, &devid))
		return refuse_str(c, XBDEV_XLDISK_BAD_VALUE, "vdev", d->vdev);
	if (!d->target || !*d->target)
		return refuse_str(c, XBDEV_XLDISK_NO_TARGET, "target", "");
	/* As xl has it: a target that is not a path names a device. */
	if (d->target[0] != '/')
		d->target = save(c, "/dev/", d->target);
	return d->target ? 0 : refuse_str(c, XBDEV_XLDISK_TOO_LONG, "", "");
}

int xbdev_xldisk_parse(const char *spec, struct xbdev_xldisk *out)
{
	struct ctx c = { .d = out };
	char work[XBDEV_VALUE_MAX], *s, *end, *tok;
	size_t n;
	int err = 0;

	memset(out, 0, sizeof(*out));
	out->readonly = out->cdrom = out->discard = out->trusted = -1;
	out->backendtype = -1;
	if (!spec)
		return -EINVAL;
	if (strlen(spec) >= sizeof(work))
		return refuse_str(&c, XBDEV_XLDISK_TOO_LONG, "", "");
	strcpy(work, spec);
	for (s = work; !err;) {
		while (blank(*s))
			s++;
		if (!*s)
			break;
		if (!strncmp(s, "target=", 7)) {
			err = named_target(&c, s + 7);
			break;
		}
		tok = s;
		end = strchr(s, ',');
		s = end ? end + 1 : s + strlen(s);
		if (end)
			*end = '\0';
		for (n = strlen(tok); n && blank(tok[n - 1]); n--)
			tok[n - 1] = '\0';
		err = parameter(&c, tok);
	}
	if (!err)
		err = finish(&c);
	return err;
}
