/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev media DOMAIN DEVICE eject | insert IMAGE: change the medium of a
 * CD-ROM attached with --cdrom.  Linux blkfront takes no medium change in
 * place, so eject detaches the device in order (its record stays, as an
 * ejected drive) and insert attaches it again under the same vdev and
 * device id (lib/media.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_TIMEOUT_S 10

struct media_args {
	const char *dom, *dev, *action, *image, *timeout;
};

static const struct argp_option options[] = {
	{ "timeout", 'T', "SECONDS", 0,
	  "Wait this long for each end to close (eject) or for both to "
	  "connect (insert) (default 10)",
	  0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct media_args *a = state->input;

	switch (key) {
	case 'T':
		a->timeout = arg;
		break;
	case ARGP_KEY_ARG:
		cli_arg(state, arg,
			(const char **[]){ &a->dom, &a->dev, &a->action,
					   &a->image },
			4);
		break;
	case ARGP_KEY_END:
		if (state->arg_num < 3)
			cli_usage("DOMAIN, DEVICE and eject or insert are "
				  "required");
		if (!strcmp(a->action, "insert") && !a->image)
			cli_usage("insert needs an IMAGE");
		if (!strcmp(a->action, "eject") && a->image)
			cli_usage("eject takes no IMAGE");
		if (strcmp(a->action, "insert") && strcmp(a->action, "eject"))
			cli_usage("unknown action '%s' (eject or insert)",
				  a->action);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "DOMAIN CLASS/DEVID eject\n"
		    "DOMAIN CLASS/DEVID insert IMAGE",
	.doc = "Change the medium of a CD-ROM attached with --cdrom.  Linux "
	       "blkfront cannot change a medium in place: eject detaches the "
	       "device in order (it is gone from the guest; xbdev keeps the "
	       "drive, status shows it ejected), insert attaches it again "
	       "with IMAGE under the same vdev and device id, read-only, and "
	       "waits until both ends are connected.  insert into a drive "
	       "with a medium is refused (eject first).  detach removes an "
	       "ejected drive."
	       "\v" CLI_EXIT_DOC,
};

static void on_close(enum xbdev_side side, enum xbdev_state st, void *arg)
{
	cli_progress_state(arg, side, (int)st);
}

static void on_connect(enum xbdev_side side, int old, int now, void *arg)
{
	cli_progress_state(arg, side, now);
}

static int eject(struct xbdev *x, const struct xbdev_record *rec,
		 unsigned timeout, const char *what)
{
	struct cli_ends ends;
	struct xbdev_detach_opts o = {
		.deadline_ms = xbdev_now_ms() + (int64_t)timeout * 1000,
		.on_state = on_close,
		.arg = &ends,
	};
	enum xbdev_side stuck = XBDEV_SIDE_FRONTEND;
	int err;

	cli_ends_init(&ends, isatty(2) ? xbdev_now_ms() : -1);
	err = xbdev_media_eject(x, rec, &o, &stuck);
	if (err == -ENOMEDIUM)
		return cli_err(XBDEV_EXIT_FAIL,
			       "%s: no medium in it "
			       "(ejected already)",
			       what);
	if (err == -EPERM)
		return cli_err(XBDEV_EXIT_USAGE,
			       "%s: a disk of the guest's "
			       "xl config (libxl manages it)",
			       what);
	if (err == -ETIMEDOUT)
		return cli_err(XBDEV_EXIT_TIMEOUT,
			       "%s: the %s did not close "
			       "within %u s; medium left in",
			       what, xbdev_side_name(stuck), timeout);
	if (err)
		return cli_fail(err, what, "eject failed");
	if (isatty(1))
		printf("ejected %s\n", what);
	return XBDEV_EXIT_OK;
}

static int insert(struct xbdev *x, const struct xbdev_record *rec,
		  const char *image, unsigned timeout, const char *what)
{
	char path[PATH_MAX] = "", daemon[PATH_MAX], ed[CLI_ESCAPED_LEN];
	struct xbdev_attach_spec spec;
	struct xbdev_vbd vbd = { 0 };
	enum xbdev_side conflict = XBDEV_SIDE_FRONTEND;
	struct xbdev_plan *p = NULL;
	struct cli_ends ends;
	struct xbdev_attach_wait_opts o = {
		.until = XBDEV_UNTIL_CONNECTED,
		.on_state = on_connect,
		.arg = &ends,
	};
	int st[2], err, rc;

	err = xbdev_media_spec(rec, image, &vbd, &spec);
	if (err == -EBUSY)
		return cli_err(XBDEV_EXIT_FAIL,
			       "%s: a medium is in (%s): "
			       "eject it first",
			       what, cli_esc(ed, rec->media));
	if (err)
		return cli_fail(err, what, "insert refused");
	rc = cli_image_check(&vbd, image, path);
	if (!rc && vbd.backend == XBDEV_VBD_XBDEV) {
		err = xbdev_blkback_program(daemon, sizeof(daemon));
		spec.daemon = daemon;
		rc = err ? cli_fail(err, what, "backend program") : 0;
	}
	if (rc)
		return rc;
	err = xbdev_attach(x, &spec, &p, &conflict);
	if (err == -EEXIST)
		return cli_err(XBDEV_EXIT_FAIL,
			       "%s: its %s directory exists: "
			       "not an ejected drive",
			       what, xbdev_side_name(conflict));
	if (err == -EBUSY)
		return cli_err(XBDEV_EXIT_FAIL,
			       "%s: a medium is in, or %s is "
			       "in use for writing; nothing changed",
			       what, path);
	if (err)
		return cli_fail(err, what, "insert failed, nothing changed");
	cli_ends_init(&ends, isatty(2) ? xbdev_now_ms() : -1);
	o.deadline_ms = xbdev_now_ms() + (int64_t)timeout * 1000;
	err = xbdev_attach_wait(x, p, &o, st);
	if (err == -ETIMEDOUT)
		rc = cli_err(XBDEV_EXIT_TIMEOUT,
			     "%s: not connected within "
			     "%u s (frontend %s, backend %s); the medium is "
			     "in, remove it with: xbdev media %u %s/%u eject",
			     what, timeout, xbdev_state_name(st[0]),
			     xbdev_state_name(st[1]), p->fe, p->cls, p->devid);
	else if (err == -ECHILD)
		rc = cli_daemon_died(what, xbdev_state_name(st[1]), p->log);
	else if (err)
		rc = cli_fail(err, what, "waiting failed");
	else if (isatty(1))
		printf("inserted %s into %s\n", path, what);
	xbdev_plan_free(p);
	return rc;
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct media_args a = { 0 };
	struct xbdev_record rec;
	struct xbdev *x = NULL;
	char what[256];
	unsigned timeout = DEFAULT_TIMEOUT_S;
	int rc = 0;

	cli_parse(&argp, argc, argv, &a);
	if (a.timeout)
		rc = cli_seconds(a.timeout, "--timeout", &timeout);
	if (!rc)
		rc = cli_open(g, &x);
	if (!rc)
		rc = cli_record(x, a.dom, a.dev, &rec, what, sizeof(what));
	if (!rc && !rec.cdrom)
		rc = cli_err(XBDEV_EXIT_USAGE,
			     "%s: not a CD-ROM (attached "
			     "without --cdrom): nothing changed",
			     what);
	else if (!rc)
		rc = strcmp(a.action, "eject")
			     ? insert(x, &rec, a.image, timeout, what)
			     : eject(x, &rec, timeout, what);
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_media = {
	.name = "media",
	.summary = "eject or insert the medium of a CD-ROM",
	.argp = &argp,
	.run = run,
};
