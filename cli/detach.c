/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev detach DOMAIN CLASS/DEVID: close both ends and remove the device. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_TIMEOUT_S 10    /* libxl's LIBXL_DESTROY_TIMEOUT */

struct detach_args {
	struct cli_target t;    /* DOMAIN DEVICE */
	const char *timeout;
	bool force;
};

static const struct argp_option options[] = {
	{ "force", 'f', NULL, 0, "Remove the device even if its ends do not "
	  "close (the frontend directory first)", 0 },
	{ "timeout", 'T', "SECONDS", 0,
	  "Wait this long for each end to close (default 10)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct detach_args *a = state->input;

	switch (key) {
	case 'f': a->force = true; break;
	case 'T': a->timeout = arg; break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "DOMAIN CLASS/DEVID",
	.doc = "Detach a device created by xbdev attach: ask the backend to "
	       "close, wait for the frontend and then the backend to reach "
	       "Closed, remove both directories and xbdev's record.  A vbd "
	       "may be named by its vdev alone (xvdb = vbd/51728).  A "
	       "destroyed or rebooted guest's devices are cleaned up too "
	       "(by the domain id they were attached to; see also xbdev "
	       "prune), and so is a device whose backend process is gone "
	       "(without waiting for its backend to close)."
	       "\v" CLI_EXIT_DOC,
	.children = cli_target_children,
};

struct progress {
	struct cli_ends ends;   /* t0 -1: standard error is no terminal */
	const char *what;
};

static void on_state(enum xbdev_side side, enum xbdev_state st, void *arg)
{
	struct progress *p = arg;

	cli_progress_state(&p->ends, side, (int)st);
}

/* Said whether or not standard error is a terminal: the device is not
 * detached the usual way. */
static void on_daemon_gone(long pid, void *arg)
{
	const struct progress *p = arg;

	cli_err(XBDEV_EXIT_OK, "%s: backend process %ld is gone: closing the "
		"frontend and removing the device without it", p->what, pid);
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct detach_args a = { .t = { .max = 2, .min = 2 } };
	struct xbdev_record rec;
	struct xbdev_detach_opts o = { 0 };
	enum xbdev_side stuck = XBDEV_SIDE_FRONTEND;
	struct xbdev *x = NULL;
	char cls[XBDEV_NAME_MAX + 1], what[256], ed[CLI_ESCAPED_LEN];
	unsigned devid, fe, timeout = DEFAULT_TIMEOUT_S;
	struct progress p;
	int rc, err;

	cli_parse(&argp, argc, argv, &a);
	rc = cli_device(a.t.dev, cls, sizeof(cls), &devid);
	if (!rc && a.timeout)
		rc = cli_seconds(a.timeout, "--timeout", &timeout);
	if (!rc)
		rc = cli_open(g, &x);
	if (!rc)
		rc = cli_domain_or_gone(x, a.t.dom, &fe);
	if (rc)
		goto out;
	snprintf(what, sizeof(what), "%s %s/%u", cli_esc(ed, a.t.dom), cls,
		 devid);
	err = xbdev_record_read(x, XBDEV_TXN_NONE, fe, cls, devid, &rec);
	if (err == -ENOENT) {
		rc = cli_gone_device(x, a.t.dom, cls, devid, what,
				     "no such device created by xbdev");
		goto out;
	}
	if (err) {
		rc = cli_fail(err, what, "unreadable record");
		goto out;
	}
	cli_ends_init(&p.ends, isatty(2) ? xbdev_now_ms() : -1);
	p.what = what;
	o.force = a.force;
	o.deadline_ms = xbdev_now_ms() + (int64_t)timeout * 1000;
	o.on_state = on_state;
	o.on_daemon_gone = on_daemon_gone;
	o.arg = &p;
	err = xbdev_detach(x, &rec, &o, &stuck);
	if (err == -EPERM)
		rc = cli_err(XBDEV_EXIT_USAGE, "%s: a disk of the guest's xl "
			     "config (libxl manages it): use xl block-detach",
			     what);
	else if (err == -ETIMEDOUT)
		rc = cli_err(XBDEV_EXIT_TIMEOUT, "%s: the %s did not close "
			     "within %u s; device left in place (use --force)",
			     what, xbdev_side_name(stuck), timeout);
	else if (err)
		rc = cli_fail(err, what, "detach failed");
	else if (isatty(1))
		printf("detached %s\n", what);
out:
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_detach = {
	.name = "detach",
	.summary = "close both ends of a device and remove it",
	.argp = &argp,
	.run = run,
};
