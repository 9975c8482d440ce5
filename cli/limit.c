/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev limit DOMAIN DEVICE [SPEC]: the I/O limits of a disk served by
 * xbdev-blkback, changed live (request "limit" to its backend, which keeps
 * them in the record for a restart), or shown without SPEC.  Either way
 * the limits in force are printed, in lib/limit.c's canonical form.
 */
#include <stdio.h>

#include "cli.h"

struct limit_args {
	struct cli_target t; /* DOMAIN DEVICE [SPEC] */
	const char *timeout;
};

static const struct argp_option options[] = {
	CLI_REQUEST_TIMEOUT_OPTION,
	{ 0 },
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct limit_args *a = state->input;

	switch (key) {
	case 'T':
		a->timeout = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "DOMAIN CLASS/DEVID [SPEC]",
	.doc = "Set the I/O limits of a disk served by xbdev-blkback while "
	       "it runs, or show them (without SPEC).  SPEC: "
	       "riops=N,wiops=N,iops=N (requests a second), "
	       "rbps=SIZE,wbps=SIZE,bps=SIZE (bytes a second, K/M/G/T), "
	       "burst=SECONDS (default 0.1); 0 or max: no limit; none: no "
	       "limits.  SPEC replaces the limits in force.  Prints the "
	       "limits in force.  A bad SPEC exits 2 before the backend is "
	       "asked."
	       "\v" CLI_EXIT_DOC,
	.children = cli_target_children,
};

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct limit_args a = { .t = { .max = 3, .min = 2 } };
	struct xbdev_limit l;
	struct xbdev_ctl_reply reply;
	char spec[XBDEV_LIMIT_SPEC_MAX] = "", what[256], ed[CLI_ESCAPED_LEN];
	struct cli_request q = { .op = "limit",
				 .arg = spec,
				 .what = what,
				 .what_len = sizeof(what) };
	int rc;

	cli_parse(&argp, argc, argv, &a);
	if (a.t.extra && (xbdev_limit_parse(a.t.extra, &l) ||
			  xbdev_limit_format(&l, spec, sizeof(spec))))
		return cli_err(XBDEV_EXIT_USAGE, "invalid limit '%s' (%s)",
			       cli_esc(ed, a.t.extra), CLI_LIMIT_SYNTAX);
	q.dom = a.t.dom;
	q.dev = a.t.dev;
	q.timeout = a.timeout;
	rc = cli_request(g, &q, &reply);
	if (!rc)
		printf("%s\n", cli_esc(ed, reply.msg));
	return rc;
}

const struct cli_cmd cli_cmd_limit = {
	.name = "limit",
	.summary = "set or show the I/O limits of a served disk",
	.argp = &argp,
	.run = run,
};
