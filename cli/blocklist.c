/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev block-list DOMAIN: the guest's block devices, as `xl block-list`
 * lists them but whoever serves them (xbdev, the kernel, QEMU, tapback). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct blocklist_args {
	struct cli_target t; /* DOMAIN */
	bool json;
};

static const struct argp_option options[] = {
	{ "json", 'j', NULL, 0, "Print JSON (keys are xenstore node names)",
	  0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct blocklist_args *a = state->input;

	switch (key) {
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
	.args_doc = "DOMAIN",
	.doc = "List the block devices (class vbd) of DOMAIN, like xl "
	       "block-list: the guest's name for each (vdev), its id, the "
	       "backend domain, who serves it (xbdev, phy: the kernel's "
	       "blkback, qdisk, tap), its mode and target (the backend's "
	       "params), and both states.\v" CLI_EXIT_DOC,
	.children = cli_target_children,
};

static const struct cli_column cols[] = {
	{ "vdev", "VDEV" },
	{ "devid", "DEVID" },
	{ "backend-id", "BE" },
	{ "backend-kind", "BACKEND" },
	{ "mode", "MODE" },
	{ "frontend-state", "FE-STATE" },
	{ "backend-state", "BE-STATE" },
	{ "params", "TARGET" },
};

/* A node's value, or null when the backend has none. */
static void str_or_null(json_object *o, const char *key, const char *v)
{
	if (v[0])
		cli_json_str(o, key, v);
	else
		json_object_object_add(o, key, NULL);
}

static json_object *block_json(const struct xbdev_block *b)
{
	json_object *o = json_object_new_object();

	cli_json_str(o, "vdev", b->vdev);
	cli_json_int(o, "devid", b->devid);
	cli_json_int(o, "backend-id", b->be);
	cli_json_str(o, "backend-kind", b->kind);
	cli_json_str(o, "type", b->type);
	str_or_null(o, "mode", b->mode);
	str_or_null(o, "params", b->params);
	cli_json_str(o, "frontend", b->fe_dir);
	cli_json_str(o, "backend", b->be_dir);
	cli_json_state(o, "frontend-state", b->fe_state);
	cli_json_state(o, "backend-state", b->be_state);
	return o;
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct blocklist_args a = { .t = { .max = 1, .min = 1 } };
	struct xbdev_block *v = NULL;
	struct xbdev *x = NULL;
	unsigned n = 0, i, domid = 0;
	json_object *rows;
	int rc, err;

	cli_parse(&argp, argc, argv, &a);
	rc = cli_open(g, &x);
	if (!rc)
		rc = cli_domain(x, a.t.dom, &domid);
	if (rc)
		goto out;
	err = xbdev_block_list(x, domid, &v, &n);
	if (err) {
		rc = cli_fail(err, "devices", "cannot list");
		goto out;
	}
	rows = json_object_new_array();
	for (i = 0; i < n; i++)
		json_object_array_add(rows, block_json(&v[i]));
	if (a.json)
		cli_print_json(rows);
	else
		cli_print_table(rows, cols, sizeof(cols) / sizeof(cols[0]));
	json_object_put(rows);
out:
	free(v);
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_block_list = {
	.name = "block-list",
	.summary =
		"list a guest's block devices: vdev, target, backend, states",
	.argp = &argp,
	.run = run,
};
