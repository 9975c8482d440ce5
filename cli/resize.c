/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev resize DOMAIN DEVICE SIZE | --follow: a served disk grown (or,
 * with --force, shrunk) while its guest runs.  The backend process serving
 * it does the work (backend/xenbus.c, blk_xb_resize) on a request through
 * the record (cli_request): it truncates the image file, or re-reads the
 * size of a block device grown by hand, and tells the guest as Linux
 * blkback does.  The answer comes once the guest was told.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define OPT_FOLLOW 256

struct resize_args {
	const char *dom, *dev, *size, *timeout;
	bool force, follow;
};

static const struct argp_option options[] = {
	{ "follow", OPT_FOLLOW, NULL, 0,
	  "Instead of SIZE: take the size the "
	  "disk's block device or file has now (grown by hand: lvextend, "
	  "losetup -c, truncate)",
	  0 },
	{ "force", 'f', NULL, 0,
	  "Allow a size smaller than the disk's (the "
	  "data past the new end is lost)",
	  0 },
	CLI_REQUEST_TIMEOUT_OPTION,
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct resize_args *a = state->input;

	switch (key) {
	case 'f':
		a->force = true;
		break;
	case 'T':
		a->timeout = arg;
		break;
	case OPT_FOLLOW:
		a->follow = true;
		break;
	case ARGP_KEY_ARG:
		cli_arg(state, arg,
			(const char **[]){ &a->dom, &a->dev, &a->size }, 3);
		break;
	case ARGP_KEY_END:
		if (state->arg_num < 2)
			cli_usage("DOMAIN and DEVICE are required");
		if (!a->size && !a->follow)
			cli_usage("SIZE (or --follow) is required");
		if (a->size && a->follow)
			cli_usage("SIZE and --follow exclude each other");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "DOMAIN CLASS/DEVID SIZE\nDOMAIN CLASS/DEVID --follow",
	.doc = "Resize a disk served by xbdev-blkback while its guest runs: "
	       "the image file is grown to SIZE (bytes, or with a suffix K, "
	       "M, G or T, 1024-based; +SIZE: that much more than now), or "
	       "with --follow the size its block device or file has now is "
	       "taken; the guest is told as Linux blkback tells it (its "
	       "/sys/block/xvdX/size follows; grow its file system online).  "
	       "A size smaller than the disk's is refused unless --force.  "
	       "A vbd may be named by its vdev alone (xvdb = vbd/51728); the "
	       "disks of xl configs that xbdevd serves are resized the same "
	       "way."
	       "\v" CLI_EXIT_DOC,
};

/* SIZE as the command line gives it: digits, then K, M, G or T (1024-based,
 * either case), "+" first for a size to add; not 0, at most 2^63 - 1, a
 * multiple of 512.  0, -EINVAL (not a size), -ERANGE (too large) or -EDOM
 * (not a multiple of 512). */
static int resize_size(const char *arg, bool *relative, uint64_t *bytes)
{
	static const char units[] = "KMGT";
	char digits[24];
	const char *u;
	unsigned long v;
	uint64_t mult = 1;
	size_t n;
	int err;

	*relative = arg[0] == '+';
	if (*relative)
		arg++;
	n = strspn(arg, "0123456789");
	if (!n || n >= sizeof(digits))
		return n ? -ERANGE : -EINVAL;
	if (arg[n]) {
		u = arg[n + 1] ? NULL : strchr(units, arg[n] & ~0x20);
		if (!u || !*u)
			return -EINVAL;
		mult <<= 10 * (unsigned)(u - units + 1);
	}
	memcpy(digits, arg, n);
	digits[n] = '\0';
	err = xbdev_parse_uint(digits, INT64_MAX, &v);
	if (err)
		return err;
	if (v > INT64_MAX / mult)
		return -ERANGE;
	*bytes = v * mult;
	if (!*bytes)
		return -EINVAL;
	return *bytes % 512 ? -EDOM : 0;
}

/* The request's argument (backend/xenbus.c, resize_parse). */
static int resize_arg(const struct resize_args *a, char *buf, size_t len)
{
	char ed[CLI_ESCAPED_LEN];
	uint64_t bytes = 0;
	bool rel = false;
	int err = a->follow ? 0 : resize_size(a->size, &rel, &bytes);

	if (err == -EDOM)
		return cli_err(XBDEV_EXIT_USAGE,
			       "SIZE '%s' is not a multiple "
			       "of 512 bytes",
			       cli_esc(ed, a->size));
	if (err)
		return cli_err(XBDEV_EXIT_USAGE, "SIZE '%s' is %s",
			       cli_esc(ed, a->size),
			       err == -ERANGE
				       ? "too large"
				       : "not a size (bytes, or a number "
					 "with K, M, G or T; +SIZE to add)");
	if (a->follow)
		snprintf(buf, len, "follow%s", a->force ? " force" : "");
	else
		snprintf(buf, len, "%s%llu%s", rel ? "+" : "",
			 (unsigned long long)bytes, a->force ? " force" : "");
	return XBDEV_EXIT_OK;
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct resize_args a = { 0 };
	struct xbdev_ctl_reply reply;
	char what[256], arg[64], ed[CLI_ESCAPED_LEN], cls[XBDEV_NAME_MAX + 1];
	unsigned devid;
	struct cli_request q = { .op = "resize",
				 .arg = arg,
				 .what = what,
				 .what_len = sizeof(what) };
	int rc;

	cli_parse(&argp, argc, argv, &a);
	q.dom = a.dom;
	q.dev = a.dev;
	q.timeout = a.timeout;
	/* Bad input is exit 2 before xenstore is asked anything. */
	rc = cli_device(a.dev, cls, sizeof(cls), &devid);
	if (!rc)
		rc = resize_arg(&a, arg, sizeof(arg));
	if (!rc)
		rc = cli_request(g, &q, &reply);
	if (!rc && isatty(1))
		printf("resized %s: %s\n", what, cli_esc(ed, reply.msg));
	return rc;
}

const struct cli_cmd cli_cmd_resize = {
	.name = "resize",
	.summary = "grow a served disk while its guest runs",
	.argp = &argp,
	.run = run,
};
