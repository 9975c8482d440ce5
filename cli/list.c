/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev list-domains, list-devices, help-commands: internal helpers for
 * the bash completion and for tests that keep the man page and the
 * completion in sync with the code.  Plain output, one item per line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static error_t no_opts(int key, char *arg, struct argp_state *state)
{
	const char **want = state->input;

	if (key != ARGP_KEY_ARG)
		return ARGP_ERR_UNKNOWN;
	cli_arg(state, arg, (const char **[]){ want }, 1);
	return 0;
}

/* ---- list-domains ---- */

struct domains_args {
	const char *unused;
	bool gone;
};

static const struct argp_option domains_options[] = {
	{ "gone", 'g', NULL, 0,
	  "Print instead the id of every domain that is gone while "
	  "devices xbdev attached to it are not",
	  0 },
	{ 0 }
};

static error_t domains_parse(int key, char *arg, struct argp_state *state)
{
	struct domains_args *a = state->input;

	switch (key) {
	case 'g':
		a->gone = true;
		return 0;
	case ARGP_KEY_ARG:
		cli_arg(state, arg, (const char **[]){ &a->unused }, 1);
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp domains_argp = {
	.options = domains_options,
	.parser = domains_parse,
	.doc = "Print the name of every domain, one a line "
	       "(used by the bash completion).\v" CLI_EXIT_DOC,
};

/* The domain ids of xbdev_gone_list, each once. */
static int print_gone(struct xbdev *x)
{
	struct xbdev_record *v = NULL;
	unsigned n = 0, i;
	int err = xbdev_gone_list(x, -1, NULL, &v, &n);

	if (err)
		return cli_fail(err, "/xbdev", "cannot list");
	for (i = 0; i < n; i++)
		if (!i || v[i].fe != v[i - 1].fe)
			printf("%u\n", v[i].fe);
	free(v);
	return XBDEV_EXIT_OK;
}

static int run_domains(int argc, char **argv, const struct cli_global *g)
{
	struct domains_args a = { 0 };
	struct xbdev *x = NULL;
	unsigned *ids = NULL, n = 0, i;
	int rc, err;

	cli_parse(&domains_argp, argc, argv, &a);
	if (a.unused)
		return cli_err(XBDEV_EXIT_USAGE, "no arguments expected");
	rc = cli_open(g, &x);
	if (rc)
		return rc;
	if (a.gone) {
		rc = print_gone(x);
		xbdev_close(x);
		return rc;
	}
	err = xbdev_domain_list(x, &ids, &n);
	if (err)
		rc = cli_fail(err, "/local/domain", "cannot list");
	for (i = 0; !err && i < n; i++) {
		char *name = cli_domain_name(x, ids[i]);

		printf("%s\n", name);
		free(name);
	}
	free(ids);
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_list_domains = {
	.name = "list-domains",
	.summary = "print domain names (for completion)",
	.argp = &domains_argp,
	.run = run_domains,
	.hidden = true,
};

/* ---- list-devices ---- */

static const struct argp devices_argp = {
	.parser = no_opts,
	.args_doc = "[DOMAIN]",
	.doc = "Print CLASS/DEVID of every device (of DOMAIN), one a line "
	       "(used by the bash completion).\v" CLI_EXIT_DOC,
};

static int run_devices(int argc, char **argv, const struct cli_global *g)
{
	struct xbdev_dev_status *v = NULL;
	struct xbdev *x = NULL;
	const char *dom = NULL;
	unsigned n = 0, i, domid;
	int rc, err;

	cli_parse(&devices_argp, argc, argv, &dom);
	rc = cli_open(g, &x);
	if (!rc && dom)
		rc = cli_domain_or_gone(x, dom, &domid);
	if (rc)
		goto out;
	err = xbdev_status_list(x, dom ? (int)domid : -1, 0, &v, &n);
	if (err)
		rc = cli_fail(err, "devices", "cannot list");
	for (i = 0; !err && i < n; i++)
		if (!dom || v[i].fe == domid)
			printf("%s/%u\n", v[i].cls, v[i].devid);
out:
	free(v);
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_list_devices = {
	.name = "list-devices",
	.summary = "print devices as CLASS/DEVID (for completion)",
	.argp = &devices_argp,
	.run = run_devices,
	.hidden = true,
};

/* ---- help-commands ---- */

static const struct argp help_argp = {
	.parser = no_opts,
	.args_doc = "[COMMAND]",
	.doc = "Without COMMAND: print every public command, one a line. "
	       "With COMMAND: print its long options (--name, '=' when it "
	       "takes a value), one a line.  'global' names the global "
	       "options.\v" CLI_EXIT_DOC,
};

/* An argp's long options and its children's, in --help's order. */
static void print_long_options(const struct argp *argp)
{
	const struct argp_option *o = argp->options;
	const struct argp_child *c;

	for (; o && (o->name || o->key || o->doc); o++)
		if (o->name && !(o->flags & OPTION_HIDDEN))
			printf("--%s%s\n", o->name, o->arg ? "=" : "");
	for (c = argp->children; c && c->argp; c++)
		print_long_options(c->argp);
}

static void print_options(const struct argp *argp)
{
	print_long_options(argp);
	printf("--help\n--usage\n--version\n");
}

static int run_help(int argc, char **argv, const struct cli_global *g)
{
	/* --version (and --help, --usage) come with print_options. */
	static const struct argp_option global[] = {
		{ "verbose", 'v', NULL, 0, NULL, 0 }, { 0 }
	};
	const char *want = NULL;
	unsigned i;

	cli_parse(&help_argp, argc, argv, &want);
	if (want && !strcmp(want, "global")) {
		print_options(&(const struct argp){ .options = global });
		return XBDEV_EXIT_OK;
	}
	for (i = 0; cli_cmds[i]; i++) {
		if (!want && !cli_cmds[i]->hidden)
			printf("%s\n", cli_cmds[i]->name);
		else if (want && !strcmp(want, cli_cmds[i]->name)) {
			print_options(cli_cmds[i]->argp);
			return XBDEV_EXIT_OK;
		}
	}
	if (want)
		return cli_err(XBDEV_EXIT_USAGE, "unknown command '%s'", want);
	return XBDEV_EXIT_OK;
}

const struct cli_cmd cli_cmd_help_commands = {
	.name = "help-commands",
	.summary = "list commands and their options (for completion/tests)",
	.argp = &help_argp,
	.run = run_help,
	.hidden = true,
};
