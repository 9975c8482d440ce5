/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev prune [DOMAIN] [--yes]: remove the devices of guests that are gone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DEFAULT_TIMEOUT_S 10 /* detach's */

struct prune_args {
	struct cli_target t; /* [DOMAIN] */
	const char *timeout;
	bool yes, json;
};

static const struct argp_option options[] = {
	{ "yes", 'y', NULL, 0,
	  "Remove them (without it, only list what would be removed)", 0 },
	{ "timeout", 'T', "SECONDS", 0,
	  "Give each end of a device this long to close before it is "
	  "removed anyway (default 10)",
	  0 },
	{ "json", 'j', NULL, 0, "Print JSON", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct prune_args *a = state->input;

	switch (key) {
	case 'y':
		a->yes = true;
		break;
	case 'T':
		a->timeout = arg;
		break;
	case 'j':
		a->json = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "[DOMAIN]",
	.doc = "List the devices xbdev attached to guests that are gone "
	       "(destroyed, or rebooted by xl under a new domain id) and, "
	       "with --yes, remove them as detach --force does: backend "
	       "directory, backend process and record.  DOMAIN limits it to "
	       "one domain id that is gone, or to the gone domains whose "
	       "devices were attached to a guest of that name.  Disks of xl "
	       "configs (libxl's) are left to libxl.  Here the exit status "
	       "is 0 on success (the list printed, or every device "
	       "removed), 1 when a device could not be removed, 2 for a "
	       "usage error or a DOMAIN that is a running domain id, 4 when "
	       "DOMAIN has no device left."
	       "\v" CLI_EXIT_DOC,
	.children = cli_target_children,
};

/* "5 mydevice/0 (guest1)": escaped, into buf (a device line). */
static const char *describe(char *buf, size_t len, const struct xbdev_record *r)
{
	char e[CLI_ESCAPED_LEN];

	if (r->fe_name[0])
		snprintf(buf, len, "%u %s/%u (%s)", r->fe, r->cls, r->devid,
			 cli_esc(e, r->fe_name));
	else
		snprintf(buf, len, "%u %s/%u", r->fe, r->cls, r->devid);
	return buf;
}

static json_object *record_json(const struct xbdev_record *r)
{
	json_object *o = json_object_new_object();

	cli_json_int(o, "domid", r->fe);
	json_object_object_add(
		o, XBDEV_RECORD_FE_NAME,
		r->fe_name[0] ? json_object_new_string(r->fe_name) : NULL);
	cli_json_str(o, "class", r->cls);
	cli_json_int(o, "devid", r->devid);
	cli_json_int(o, "backend-id", r->be);
	cli_json_str(o, "type", r->type);
	cli_json_str(o, "frontend", r->fe_dir);
	cli_json_str(o, "backend", r->be_dir);
	if (r->pid)
		cli_json_int(o, "pid", r->pid);
	return o;
}

/* The devices DOMAIN names: exit code, with *v and *n set on success. */
static int select_devices(struct xbdev *x, const char *dom,
			  struct xbdev_record **v, unsigned *n)
{
	char e[CLI_ESCAPED_LEN];
	unsigned id;
	int err, gone;

	if (!dom)
		err = xbdev_gone_list(x, -1, NULL, v, n);
	else if (cli_domain_numeric(dom, &id)) {
		gone = xbdev_domain_gone(x, id);
		if (gone == 0)
			return cli_err(XBDEV_EXIT_USAGE,
				       "%u: the domain is "
				       "running: prune removes only devices "
				       "of guests that are gone (use xbdev "
				       "detach)",
				       id);
		err = gone < 0 ? gone : xbdev_gone_list(x, (int)id, NULL, v, n);
	} else if (xbdev_validate_value(dom)) {
		return cli_err(XBDEV_EXIT_USAGE, "invalid domain name");
	} else {
		err = xbdev_gone_list(x, -1, dom, v, n);
	}
	if (err)
		return cli_fail(err, "/xbdev", "cannot list");
	if (dom && !*n)
		return cli_err(XBDEV_EXIT_NOTFOUND,
			       "%s: no device left of a "
			       "guest that is gone",
			       cli_esc(e, dom));
	return XBDEV_EXIT_OK;
}

/* Remove one; its line or its error.  Returns an exit code. */
static int prune_one(struct xbdev *x, const struct xbdev_record *r,
		     unsigned timeout, json_object *o)
{
	struct xbdev_detach_opts opts = { 0 };
	char what[CLI_ESCAPED_LEN + 128];
	int err;

	describe(what, sizeof(what), r);
	opts.deadline_ms = xbdev_now_ms() + (int64_t)timeout * 1000;
	err = xbdev_prune(x, r, &opts);
	/* Removed meanwhile (a detach at the same time): nothing left. */
	if (err == -ENOENT)
		err = 0;
	json_object_object_add(o, "removed", json_object_new_boolean(!err));
	if (!err)
		return XBDEV_EXIT_OK;
	if (err == -EBUSY)
		return cli_err(XBDEV_EXIT_FAIL,
			       "%s: domain %u is back: not "
			       "removed",
			       what, r->fe);
	if (err == -ESTALE)
		return cli_err(XBDEV_EXIT_FAIL,
			       "%s: attached again meanwhile: "
			       "not removed",
			       what);
	return cli_fail(err, what, "cannot remove");
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct prune_args a = { .t = { .max = 1 } };
	struct xbdev_record *v = NULL;
	struct xbdev *x = NULL;
	unsigned n = 0, i, timeout = DEFAULT_TIMEOUT_S;
	char line[CLI_ESCAPED_LEN + 128];
	json_object *out = NULL, *arr = NULL, *o;
	int rc, r;

	cli_parse(&argp, argc, argv, &a);
	rc = a.timeout ? cli_seconds(a.timeout, "--timeout", &timeout) : 0;
	if (!rc)
		rc = cli_open(g, &x);
	if (!rc)
		rc = select_devices(x, a.t.dom, &v, &n);
	if (rc)
		goto out;
	if (a.json) {
		out = json_object_new_object();
		arr = json_object_new_array();
		json_object_object_add(out, "dry-run",
				       json_object_new_boolean(!a.yes));
		json_object_object_add(out, "devices", arr);
	}
	for (i = 0; i < n; i++) {
		o = record_json(&v[i]);
		if (arr)
			json_object_array_add(arr, o);
		describe(line, sizeof(line), &v[i]);
		if (!a.yes) {
			if (!a.json)
				printf("would remove %s\n", line);
			if (!arr)
				json_object_put(o);
			continue;
		}
		r = prune_one(x, &v[i], timeout, o);
		if (r && !rc)
			rc = r;
		if (!r && !a.json)
			printf("removed %s\n", line);
		if (!arr)
			json_object_put(o);
	}
	if (a.json)
		cli_print_json(out);
	else if (!a.yes && n && isatty(1))
		printf("(nothing removed: run 'xbdev prune%s%s --yes' to "
		       "remove %s)\n",
		       a.t.dom ? " " : "",
		       a.t.dom ? cli_esc(line, a.t.dom) : "",
		       n == 1 ? "it" : "them");
	else if (!n && isatty(1))
		printf("no device of a guest that is gone\n");
out:
	json_object_put(out);
	free(v);
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_prune = {
	.name = "prune",
	.summary = "remove the devices of guests that are gone",
	.argp = &argp,
	.run = run,
};
