/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev status [DOMAIN [DEVICE]]: every device and its health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

struct status_args {
	struct cli_target t;    /* [DOMAIN [DEVICE]] */
	bool json;
};

static const struct argp_option options[] = {
	{ "json", 'j', NULL, 0, "Print JSON (keys are xenstore node names)",
	  0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct status_args *a = state->input;

	switch (key) {
	case 'j': a->json = true; break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	.options = options,
	.parser = parse,
	.args_doc = "[DOMAIN [CLASS/DEVID]]",
	.doc = "Show every device on the host (or of DOMAIN), found from both "
	       "the backend and the frontend side, with both states and a "
	       "health verdict: ok, connecting, stuck (since), closing, "
	       "orphaned (a side is missing), inconsistent (the sides do "
	       "not point at each other), backend-dead (the device's "
	       "backend process is gone) or console (libxl's primary "
	       "console, which has no XenBus handshake) or ejected (a "
	       "CD-ROM drive whose medium xbdev media ejected: the record "
	       "alone), and for vbd devices the vdev name, the disk (params) "
	       "and a CD-ROM's media (--json).  DOMAIN may also be the "
	       "id of a domain that is gone while its devices are not.  With "
	       "a DEVICE (CLASS/DEVID, or a vbd's vdev name): all its nodes "
	       "and their permissions, and what its backend daemon publishes."
	       "\v" CLI_EXIT_DOC,
	.children = cli_target_children,
};

static json_object *dev_json(struct xbdev *x, const struct xbdev_dev_status *d)
{
	json_object *o = cli_device_json(x, d);
	char since[32];
	struct tm tm;
	time_t t = (time_t)d->since;

	cli_json_str(o, "health", xbdev_health_name(d->health));
	if (d->since && localtime_r(&t, &tm) &&
	    strftime(since, sizeof(since), "%Y-%m-%dT%H:%M:%S", &tm))
		cli_json_str(o, "since", since);
	else
		json_object_object_add(o, "since", NULL);
	json_object_object_add(o, "record", json_object_new_boolean(
						    d->has_record));
	if (d->has_record)
		cli_json_str(o, "managed-by", d->managed_by);
	if (d->pid) {
		cli_json_int(o, "pid", d->pid);
		json_object_object_add(o, "pid-alive",
				       json_object_new_boolean(d->pid_alive));
	}
	json_object_object_add(o, "gone", json_object_new_boolean(d->fe_gone));
	if (d->has_record)
		json_object_object_add(o, XBDEV_RECORD_FE_NAME, d->fe_name[0] ?
				       json_object_new_string(d->fe_name) :
				       NULL);
	if (!strcmp(d->cls, "vbd")) {
		char vdev[32];

		xbdev_vdev_name(d->devid, vdev, sizeof(vdev));
		cli_json_str(o, "vdev", vdev);
		json_object_object_add(o, "params", d->params[0] ?
				       json_object_new_string(d->params) :
				       NULL);
		/* A CD-ROM's medium: its image, or "ejected". */
		if (d->media[0])
			cli_json_str(o, XBDEV_RECORD_MEDIA, d->media);
	}
	return o;
}

/* ---- grant use (a served vbd's info/, lib/grants.c) ---- */

/* What an admin should know of g, one line each: the persistent grants
 * near their cap, a gntdev map that failed, a grant copy that failed. */
static json_object *grant_warnings(const struct xbdev_grant_use *g)
{
	json_object *w = json_object_new_array();
	const char *e = g->last_error[0] ? g->last_error : "?";
	char *line;

	if ((g->warn & XBDEV_GRANT_WARN_CAP) &&
	    asprintf(&line, "persistent grants at %u%% of the cap (%llu/%llu "
		     "mapped): past it the guest's new grants go through "
		     "grant copy (slower)", g->pct, g->n[XBDEV_GRANT_MAPPED],
		     g->n[XBDEV_GRANT_MAX]) >= 0) {
		json_object_array_add(w, json_object_new_string(line));
		free(line);
	}
	if ((g->warn & XBDEV_GRANT_WARN_MAP) &&
	    asprintf(&line, "grant mapping failed %llu times (last: %s): %s",
		     g->n[XBDEV_GRANT_MAP_FAILURES], e, g->map_dom0_limit
			     ? "gntdev/maptrack limit reached?"
			     : "a bad grant from the guest, or dom0's maptrack "
			       "table full? (xl debug-keys g)") >= 0) {
		json_object_array_add(w, json_object_new_string(line));
		free(line);
	}
	if ((g->warn & XBDEV_GRANT_WARN_COPY) &&
	    asprintf(&line, "grant copy failed for %llu requests: the guest "
		     "got I/O errors (a bad or revoked grant)",
		     g->n[XBDEV_GRANT_COPY_FAILURES]) >= 0) {
		json_object_array_add(w, json_object_new_string(line));
		free(line);
	}
	return w;
}

/* The JSON "grants" object: numbers, and the last error or null. */
static json_object *grant_json(const struct xbdev_grant_use *g)
{
	json_object *o = json_object_new_object();
	unsigned i;

	for (i = 0; i < XBDEV_GRANT_NKEYS; i++)
		json_object_object_add(o, xbdev_grant_key_name(i),
				       json_object_new_int64((int64_t)g->n[i]));
	json_object_object_add(o, XBDEV_GRANT_LAST_ERROR, g->last_error[0] ?
			       json_object_new_string(g->last_error) : NULL);
	return o;
}

/* The text line: "812/2112 persistent mapped (38%), peak 900, ...". */
static void grant_line(const struct xbdev_grant_use *g, char *buf, size_t len)
{
	int k = 0;

	if (g->n[XBDEV_GRANT_MAX])
		k = snprintf(buf, len, "%llu/%llu persistent mapped (%u%%), "
			     "peak %llu, ", g->n[XBDEV_GRANT_MAPPED],
			     g->n[XBDEV_GRANT_MAX], g->pct,
			     g->n[XBDEV_GRANT_PEAK]);
	else
		k = snprintf(buf, len, "no persistent grants mapped (peak "
			     "%llu), ", g->n[XBDEV_GRANT_PEAK]);
	if (k < 0 || (size_t)k >= len)
		return;
	snprintf(buf + k, len - k, "ring %llu, copy failures %llu, map "
		 "failures %llu", g->n[XBDEV_GRANT_RING],
		 g->n[XBDEV_GRANT_COPY_FAILURES],
		 g->n[XBDEV_GRANT_MAP_FAILURES]);
}

/* In the table, a guest that is gone is shown by the name its record
 * kept, in parentheses (its domain name is "?" now). */
static void table_names(json_object *rows, const struct xbdev_dev_status *v)
{
	size_t i, n = json_object_array_length(rows);
	char *name;

	for (i = 0; i < n; i++) {
		if (!v[i].fe_gone || !v[i].fe_name[0])
			continue;
		if (asprintf(&name, "(%s)", v[i].fe_name) < 0)
			continue;
		cli_json_str(json_object_array_get_idx(rows, i), "domain",
			     name);
		free(name);
	}
}

/* Below the table, on stderr (the table stays what scripts parse): each
 * device's warnings, a line each, named as the table names it. */
static void table_warnings(json_object *rows)
{
	char dom[CLI_ESCAPED_LEN], dev[CLI_ESCAPED_LEN], ew[CLI_ESCAPED_LEN];
	size_t i, k, n = json_object_array_length(rows);
	json_object *row, *w, *v;

	for (i = 0; i < n; i++) {
		row = json_object_array_get_idx(rows, i);
		if (!json_object_object_get_ex(row, "warnings", &w))
			continue;
		for (k = 0; k < json_object_array_length(w); k++) {
			json_object_object_get_ex(row, "domain", &v);
			cli_esc(dom, v ? json_object_get_string(v) : "?");
			json_object_object_get_ex(row, "vdev", &v);
			cli_esc(dev, v ? json_object_get_string(v) : "?");
			fprintf(stderr, "xbdev: status: %s %s: warning: %s\n",
				dom, dev, cli_esc(ew, json_object_get_string(
					json_object_array_get_idx(w, k))));
		}
	}
}

static const struct cli_column list_cols[] = {
	{ "domain", "DOMAIN" },
	{ "domid", "ID" },
	{ "class", "CLASS" },
	{ "devid", "DEVID" },
	{ "backend-id", "BE" },
	{ "frontend-state", "FRONTEND" },
	{ "backend-state", "BACKEND" },
	{ "health", "HEALTH" },
	{ "since", "SINCE" },
	/* Added last, so that scripts matching the columns before keep
	 * working. */
	{ "vdev", "VDEV" },
	{ "params", "DISK" },
};

/* ---- one device ---- */

struct nodes_ctx {
	json_object *arr;
	json_object *info;       /* record only: info/<key> -> value */
	char info_dir[XBDEV_PATH_MAX];
};

static int add_node(const char *path, const char *value,
		    const struct xbdev_acl_entry *acl, unsigned n_acl,
		    void *arg)
{
	struct nodes_ctx *c = arg;
	size_t len = strlen(c->info_dir);

	json_object_array_add(c->arr, cli_node_json(path, value, acl, n_acl));
	/* What the backend daemon publishes under <record>/info/ is also
	 * shown by key. */
	if (c->info && !strncmp(path, c->info_dir, len) && path[len])
		cli_json_str(c->info, path + len, value);
	return 0;
}

static json_object *walk_json(struct xbdev *x, const char *dir,
			      json_object *info)
{
	struct nodes_ctx c = { json_object_new_array(), info, "" };

	if (info)
		if (xbdev_path_join(c.info_dir, sizeof(c.info_dir) - 1, dir,
				    "info") == 0)
			strcat(c.info_dir, "/");
	xbdev_walk(x, dir, add_node, &c);
	return c.arr;
}

/* The grants line (when the backend publishes them) and the warnings of
 * a device's JSON, as text. */
static void print_grants(json_object *o, const struct xbdev_grant_use *g)
{
	char line[256], ev[CLI_ESCAPED_LEN];
	json_object *v;
	size_t i;

	if (json_object_object_get_ex(o, "grants", NULL)) {
		grant_line(g, line, sizeof(line));
		printf("%-15s %s\n", "grants", line);
	}
	if (json_object_object_get_ex(o, "warnings", &v))
		for (i = 0; i < json_object_array_length(v); i++)
			printf("%-15s %s\n", "warning",
			       cli_esc(ev, json_object_get_string(
					       json_object_array_get_idx(v, i))));
}

static void print_device(json_object *o, const struct xbdev_grant_use *g)
{
	static const char *const sections[][2] = {
		{ "frontend-nodes", "Frontend" },
		{ "backend-nodes", "Backend" },
		{ "record-nodes", "Record (dom0 only)" },
	};
	char ek[CLI_ESCAPED_LEN], ev[CLI_ESCAPED_LEN];
	json_object *v;
	unsigned i;

	json_object_object_foreach(o, key, val) {
		if (json_object_is_type(val, json_type_array) ||
		    json_object_is_type(val, json_type_object))
			continue;
		printf("%-15s %s\n", key,
		       val ? cli_esc(ev, json_object_get_string(val)) : "-");
	}
	print_grants(o, g);
	if (json_object_object_get_ex(o, "info", &v) &&
	    json_object_object_length(v)) {
		printf("info:\n");
		json_object_object_foreach(v, k, iv)
			printf("  %-28s %s\n", cli_esc(ek, k),
			       cli_esc(ev, json_object_get_string(iv)));
	}
	/* Every path and value comes from xenstore, much of it written by
	 * the guest: cli_print_nodes escapes them. */
	for (i = 0; i < 3; i++)
		if (json_object_object_get_ex(o, sections[i][0], &v)) {
			printf("%s:\n", sections[i][1]);
			cli_print_nodes(v, "  ");
		}
}

static int show_device(struct xbdev *x, const struct xbdev_dev_status *d,
		       bool json)
{
	json_object *o = dev_json(x, d), *info = json_object_new_object();
	char rec[XBDEV_PATH_MAX];
	struct xbdev_grant_use g;
	bool grants = !xbdev_grant_use_read(x, d, &g);

	if (d->has_front)
		json_object_object_add(o, "frontend-nodes",
				       walk_json(x, d->fe_dir, NULL));
	if (d->has_back)
		json_object_object_add(o, "backend-nodes",
				       walk_json(x, d->be_dir, NULL));
	if (d->has_record &&
	    !xbdev_path_record(rec, sizeof(rec), d->fe, d->cls, d->devid))
		json_object_object_add(o, "record-nodes",
				       walk_json(x, rec, info));
	json_object_object_add(o, "info", info);
	if (grants)
		json_object_object_add(o, "grants", grant_json(&g));
	json_object_object_add(o, "warnings", grant_warnings(&g));
	if (json)
		cli_print_json(o);
	else
		print_device(o, &g);
	json_object_put(o);
	return XBDEV_EXIT_OK;
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct status_args a = { .t = { .max = 2 } };
	struct xbdev_dev_status *v = NULL;
	struct xbdev *x = NULL;
	char cls[XBDEV_NAME_MAX + 1], ed[CLI_ESCAPED_LEN], ev[CLI_ESCAPED_LEN];
	char what[2 * CLI_ESCAPED_LEN + 2];
	unsigned n = 0, i, domid = 0, devid = 0;
	json_object *rows;
	int rc, err;

	cli_parse(&argp, argc, argv, &a);
	rc = a.t.dev ? cli_device(a.t.dev, cls, sizeof(cls), &devid) : 0;
	if (!rc)
		rc = cli_open(g, &x);
	if (!rc && a.t.dom)
		rc = cli_domain_or_gone(x, a.t.dom, &domid);
	if (rc)
		goto out;
	err = xbdev_status_list(x, a.t.dom ? (int)domid : -1, time(NULL), &v,
				&n);
	if (err) {
		rc = cli_fail(err, "devices", "cannot list");
		goto out;
	}
	if (a.t.dev) {
		for (i = 0; i < n; i++)
			if (v[i].fe == domid && !strcmp(v[i].cls, cls) &&
			    v[i].devid == devid)
				break;
		if (i < n) {
			rc = show_device(x, &v[i], a.json);
			goto out;
		}
		snprintf(what, sizeof(what), "%s %s", cli_esc(ed, a.t.dom),
			 cli_esc(ev, a.t.dev));
		rc = cli_gone_device(x, a.t.dom, cls, devid, what,
				     "no such device");
		goto out;
	}
	rows = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *row = dev_json(x, &v[i]);
		struct xbdev_grant_use gu;

		/* (what is unreadable is left unsaid: gu is all 0 then) */
		xbdev_grant_use_read(x, &v[i], &gu);
		json_object_object_add(row, "warnings", grant_warnings(&gu));
		json_object_array_add(rows, row);
	}
	if (a.json) {
		cli_print_json(rows);
	} else {
		table_names(rows, v);
		cli_print_table(rows, list_cols,
				sizeof(list_cols) / sizeof(list_cols[0]));
		table_warnings(rows);
	}
	json_object_put(rows);
out:
	free(v);
	xbdev_close(x);
	return rc;
}

const struct cli_cmd cli_cmd_status = {
	.name = "status",
	.summary = "list devices with both states and a health verdict",
	.argp = &argp,
	.run = run,
};
