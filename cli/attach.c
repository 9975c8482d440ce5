/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev attach DOMAIN CLASS: create a device and wait for it to connect. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define KV_MAX 64
#define DEFAULT_TIMEOUT_S 30

enum {
	OPT_FRONT = 'f',
	OPT_BACK = 'k',
};

struct attach_args {
	const char *dom, *cls;
	const char *devid, *be_dom, *be_type, *wait, *timeout;
	bool dry_run, json;
	struct cli_disk disk;
	const char *front[KV_MAX], *back[KV_MAX];
	unsigned n_front, n_back;
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Device:", 1 },
	{ "devid", 'd', "ID", 0, "Device id (default: lowest free id)", 1 },
	{ "backend-domain", 'b', "DOMAIN", 0,
	  "Domain of the backend (default 0)", 1 },
	{ "backend-type", 't', "TYPE", 0,
	  "Backend directory type (default: CLASS)", 1 },
	{ "front", OPT_FRONT, "KEY=VALUE", 0,
	  "Extra frontend node (repeatable)", 1 },
	{ "back", OPT_BACK, "KEY=VALUE", 0,
	  "Extra backend node (repeatable)", 1 },
	{ NULL, 0, NULL, 0, "Waiting and output:", 3 },
	{ "wait", 'w', "WHAT", 0,
	  "none, initwait (backend ready) or connected (default)", 3 },
	{ "timeout", 'T', "SECONDS", 0, "Give up waiting after SECONDS "
	  "(default 30); the device is left in place", 3 },
	{ "dry-run", 'n', NULL, 0,
	  "Print the nodes, values and permissions; write nothing", 3 },
	{ "json", 'j', NULL, 0, "Print the result as JSON", 3 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct attach_args *a = state->input;

	switch (key) {
	case 'd': a->devid = arg; break;
	case 'b': a->be_dom = arg; break;
	case 't': a->be_type = arg; break;
	case 'w': a->wait = arg; break;
	case 'T': a->timeout = arg; break;
	case 'n': a->dry_run = true; break;
	case 'j': a->json = true; break;
	case ARGP_KEY_INIT:
		state->child_inputs[0] = &a->disk;
		state->child_inputs[1] = &a->disk;
		break;
	case OPT_FRONT:
	case OPT_BACK: {
		const char **v = key == OPT_FRONT ? a->front : a->back;
		unsigned *n = key == OPT_FRONT ? &a->n_front : &a->n_back;

		if (*n == KV_MAX)
			cli_usage("too many --front/--back options");
		v[(*n)++] = arg;
		break;
	}
	case ARGP_KEY_ARG:
		cli_arg(state, arg,
			(const char **[]){ &a->dom, &a->cls, &a->disk.spec },
			3);
		break;
	case ARGP_KEY_END:
		if (state->arg_num < 2)
			cli_usage("DOMAIN and CLASS are required");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp_child children[] = {
	{ &cli_disk_argp, 0, NULL, 2 },
	{ &cli_xldisk_argp, 0, NULL, 2 },
	{ 0 }
};

static const struct argp argp = {
	.options = options,
	.children = children,
	.parser = parse,
	.args_doc = "DOMAIN CLASS [SPEC]",
	.doc = "Create device CLASS for DOMAIN: both XenBus directories and "
	       "xbdev's record in one transaction, then wait for both ends.  "
	       "SPEC, for CLASS vbd: a disk as xl takes it, e.g. "
	       "'format=raw, vdev=xvdb, access=ro, target=/srv/x.img'."
	       "\v" CLI_EXIT_DOC,
};

/* Everything validated, ready for the library. */
struct attach {
	struct attach_args a;
	struct xbdev_attach_spec spec;
	struct xbdev_kv front[KV_MAX], back[KV_MAX];
	char keys[2][KV_MAX][XBDEV_NAME_MAX * 4];
	enum xbdev_attach_until wait;
	unsigned timeout;
	bool have_devid;
};

static int parse_kv(const char *arg, struct xbdev_kv *kv, char *key,
		    size_t len)
{
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : 0;
	int err;

	if (!eq)
		return cli_err(XBDEV_EXIT_USAGE, "'%s': expected KEY=VALUE",
			       arg);
	if (n >= len)
		return cli_err(XBDEV_EXIT_USAGE, "key too long in '%s'", arg);
	memcpy(key, arg, n);
	key[n] = '\0';
	if (xbdev_validate_name(key, true))
		return cli_err(XBDEV_EXIT_USAGE, "invalid key '%s'", key);
	err = xbdev_validate_value(eq + 1);
	if (err)
		return cli_err(XBDEV_EXIT_USAGE, "invalid value for '%s': %s",
			       key, err == -E2BIG ? "too long" :
			       "control characters");
	kv->key = key;
	kv->value = eq + 1;
	return 0;
}

static int check_kvs(struct attach *t)
{
	unsigned i;
	int rc = 0;

	for (i = 0; !rc && i < t->a.n_front; i++)
		rc = parse_kv(t->a.front[i], &t->front[i], t->keys[0][i],
			      sizeof(t->keys[0][i]));
	for (i = 0; !rc && i < t->a.n_back; i++)
		rc = parse_kv(t->a.back[i], &t->back[i], t->keys[1][i],
			      sizeof(t->keys[1][i]));
	return rc;
}

static int check_wait(struct attach *t)
{
	int rc = 0;

	t->wait = XBDEV_UNTIL_CONNECTED;
	t->timeout = DEFAULT_TIMEOUT_S;
	if (t->a.wait && xbdev_attach_until_parse(t->a.wait, &t->wait))
		return cli_err(XBDEV_EXIT_USAGE, "--wait: '%s' is not none, "
			       "initwait or connected", t->a.wait);
	if (t->a.timeout)
		rc = cli_seconds(t->a.timeout, "--timeout", &t->timeout);
	if (!rc && t->a.timeout && t->wait == XBDEV_UNTIL_NOW)
		rc = cli_err(XBDEV_EXIT_USAGE,
			     "--timeout makes no sense with --wait none");
	return rc;
}

/* All checks that need no xenstore: nothing is read or written before
 * the whole command line is known to be valid. */
static int check_args(struct attach *t)
{
	unsigned long id;
	int rc;

	if (xbdev_validate_name(t->a.cls, false))
		return cli_err(XBDEV_EXIT_USAGE, "invalid class '%s'",
			       t->a.cls);
	if (t->a.be_type && xbdev_validate_name(t->a.be_type, false))
		return cli_err(XBDEV_EXIT_USAGE, "invalid backend type '%s'",
			       t->a.be_type);
	if (t->a.devid) {
		if (xbdev_parse_uint(t->a.devid, XBDEV_DEVID_MAX, &id))
			return cli_err(XBDEV_EXIT_USAGE,
				       "invalid device id '%s'", t->a.devid);
		t->spec.devid = (unsigned)id;
		t->have_devid = true;
		if (!strcmp(t->a.cls, "vbd") &&
		    cli_vbd_devid("--devid", t->a.devid, t->spec.devid))
			return XBDEV_EXIT_USAGE;
	}
	t->spec.cls = t->a.cls;
	t->spec.be_type = t->a.be_type;
	rc = check_kvs(t);
	if (!rc)
		rc = cli_disk_check(&t->a.disk, &t->spec, &t->have_devid);
	if (!rc)
		rc = cli_disk_required(&t->spec, t->a.n_back);
	if (!rc)
		rc = check_wait(t);
	t->spec.front = t->front;
	t->spec.n_front = t->a.n_front;
	t->spec.back = t->back;
	t->spec.n_back = t->a.n_back;
	t->spec.created = (int64_t)time(NULL);
	return rc;
}

/* ---- output ---- */

static void print_plan(const struct xbdev_plan *p, bool json)
{
	json_object *o = json_object_new_object(), *s, *nodes;
	unsigned i;

	nodes = json_object_new_array();
	for (i = 0; i < p->n_nodes; i++)
		json_object_array_add(nodes, cli_node_json(p->nodes[i].path,
				      p->nodes[i].value, p->nodes[i].acl,
				      p->nodes[i].n_acl));
	/* What a script would otherwise parse out of the paths. */
	cli_json_int(o, "domid", p->fe);
	cli_json_str(o, "class", p->cls);
	cli_json_int(o, "devid", p->devid);
	json_object_object_add(o, "nodes", nodes);
	if (!json)
		cli_print_nodes(nodes, "");
	if (!json && p->daemon)
		printf("spawn %s %s >> %s\n", p->daemon, p->be_dir, p->log);
	if (json && p->daemon) {
		s = json_object_new_object();
		cli_json_str(s, "program", p->daemon);
		cli_json_str(s, "backend", p->be_dir);
		cli_json_str(s, "log", p->log);
		json_object_object_add(o, "spawn", s);
	}
	if (json)
		cli_print_json(o);
	json_object_put(o);
}

static void print_result(struct xbdev *x, const struct xbdev_plan *p,
			 const int st[2], bool json)
{
	struct xbdev_dev_status d = {
		.fe = p->fe, .be = p->be, .devid = p->devid,
		.fe_state = st[0], .be_state = st[1],
	};
	json_object *o;

	if (!json)
		return;
	memcpy(d.cls, p->cls, sizeof(d.cls));
	memcpy(d.type, p->type, sizeof(d.type));
	memcpy(d.fe_dir, p->fe_dir, sizeof(d.fe_dir));
	memcpy(d.be_dir, p->be_dir, sizeof(d.be_dir));
	o = cli_device_json(x, &d);
	if (p->pid) {
		cli_json_int(o, "pid", p->pid);
		cli_json_str(o, "log", p->log);
	}
	cli_print_json(o);
	json_object_put(o);
}

/* ---- waiting ---- */

/* Each state seen, on a terminal. */
static void on_state(enum xbdev_side side, int old, int now, void *arg)
{
	cli_progress_state(arg, side, now);
}

/* What a stuck end usually means, and the command that removes what the
 * attach left in place (by domain id, which outlives a reboot's new
 * domain): a retry without it would make a second device. */
static void explain(const struct xbdev_plan *p, const int st[2],
		    const char *what)
{
	const char *fe = xbdev_state_name(st[0]), *be = xbdev_state_name(st[1]);
	char why[XBDEV_PATH_MAX + 256];

	switch (xbdev_attach_stuck(p, st)) {
	case XBDEV_STUCK_DAEMON:
		snprintf(why, sizeof(why), "the backend is still %s: the "
			 "backend daemon did not take the device; see %s", be,
			 p->log);
		break;
	case XBDEV_STUCK_NO_BACKEND:
		snprintf(why, sizeof(why), "the backend is still %s: no "
			 "backend driver for type '%s' in domain %u", be,
			 p->type, p->be);
		break;
	case XBDEV_STUCK_NO_FRONTEND:
		snprintf(why, sizeof(why), "the frontend is still %s "
			 "(backend %s): no frontend driver for class '%s' in "
			 "domain %u, or it is not loaded", fe, be, p->cls,
			 p->fe);
		break;
	case XBDEV_STUCK_RINGS:
		snprintf(why, sizeof(why), "the backend is still %s "
			 "(frontend %s): it did not accept the frontend's "
			 "rings; see the backend's log", be, fe);
		break;
	case XBDEV_STUCK_FRONTEND:
	default:
		snprintf(why, sizeof(why), "the frontend is still %s "
			 "(backend Connected): it did not finish connecting",
			 fe);
	}
	cli_err(XBDEV_EXIT_TIMEOUT, "%s: %s; the device is left in place, "
		"remove it with: xbdev detach %u %s/%u", what, why, p->fe,
		p->cls, p->devid);
}

static int wait_result(struct xbdev *x, const struct attach *t,
		       const struct xbdev_plan *p, const char *what)
{
	int64_t now = xbdev_now_ms();
	struct cli_ends ends;
	struct xbdev_attach_wait_opts o = {
		.until = t->wait, .deadline_ms = now + (int64_t)t->timeout * 1000,
		.on_state = on_state, .arg = &ends,
	};
	int st[2], err;

	cli_ends_init(&ends, isatty(2) && !t->a.json ? now : -1);

	err = xbdev_attach_wait(x, p, &o, st);
	print_result(x, p, st, t->a.json);
	if (err == -ETIMEDOUT) {
		explain(p, st, what);
		return XBDEV_EXIT_TIMEOUT;
	}
	if (err == -ECHILD)
		return cli_daemon_died(what, xbdev_state_name(st[1]), p->log);
	if (err == -ECONNREFUSED)
		return cli_err(XBDEV_EXIT_FAIL, "%s: gave up: frontend %s, "
			       "backend %s (the device is left in place)",
			       what, xbdev_state_name(st[0]),
			       xbdev_state_name(st[1]));
	if (err)
		return cli_fail(err, what, "waiting failed");
	return XBDEV_EXIT_OK;
}

/* ---- the command ---- */

static int resolve(struct xbdev *x, struct attach *t)
{
	int rc;

	if (!x) {
		/* --dry-run without xenstore: numbers only, nothing checked */
		rc = cli_domain_offline(t->a.dom, &t->spec.fe);
		if (!rc && t->a.be_dom)
			rc = cli_domain_offline(t->a.be_dom, &t->spec.be);
		if (rc)
			return rc;
		if (!t->have_devid)
			return cli_err(XBDEV_EXIT_FAIL, "xenstore unavailable: "
				       "--dry-run needs --devid or --vdev");
		return 0;
	}
	rc = cli_domain(x, t->a.dom, &t->spec.fe);
	if (!rc && t->a.be_dom)
		rc = cli_domain(x, t->a.be_dom, &t->spec.be);
	return rc;
}

/* A --front/--back key that repeats or names a node xbdev writes, by
 * name; for a disk's nodes, the option that sets it. */
static int collision(const struct attach *t, const char *what)
{
	static const char *const hints[][2] = {
		{ "discard-enable", "--no-discard" },
		{ "mode", "--readonly" },
		{ "device-type", "--cdrom" },
		{ "params", "--disk" },
		{ "virtual-device", "--vdev" },
	};
	enum xbdev_side side = XBDEV_SIDE_FRONTEND;
	const struct xbdev_kv *kv;
	const char *hint = NULL;
	unsigned i = 0, j;

	if (xbdev_attach_collision(&t->spec, &side, &i))
		return cli_err(XBDEV_EXIT_USAGE, "%s: a --front/--back key "
			       "repeats or collides with a node xbdev writes",
			       what);
	kv = side == XBDEV_SIDE_BACKEND ? t->back : t->front;
	for (j = 0; j < i; j++)
		if (!strcmp(kv[j].key, kv[i].key))
			return cli_err(XBDEV_EXIT_USAGE, "%s: %s %s: given "
				       "twice", what, side == XBDEV_SIDE_BACKEND
				       ? "--back" : "--front", kv[i].key);
	for (j = 0; t->spec.vbd && j < sizeof(hints) / sizeof(hints[0]); j++)
		if (!strcmp(kv[i].key, hints[j][0]))
			hint = hints[j][1];
	return cli_err(XBDEV_EXIT_USAGE, "%s: %s %s: a node xbdev writes "
		       "itself%s%s%s", what,
		       side == XBDEV_SIDE_BACKEND ? "--back" : "--front",
		       kv[i].key, hint ? " (use " : "", hint ? hint : "",
		       hint ? ")" : "");
}

/* The plan's refusals that are the caller's mistake (else 0). */
static int plan_refusal(int err, const struct attach *t, const char *what)
{
	if (err == -ENOTUNIQ)
		return collision(t, what);
	if (err == -EPERM && t->spec.vbd && !t->spec.daemon && t->spec.be != 0)
		return cli_err(XBDEV_EXIT_USAGE, "%s: --disk with "
			       "--backend-domain %u: the disk is checked in "
			       "domain 0, not where its backend would open it; "
			       "--back nodes for a driver domain's disk", what,
			       t->spec.be);
	if (err == -EPERM && t->spec.daemon && t->spec.be != 0)
		return cli_err(XBDEV_EXIT_USAGE, "%s: --disk with "
			       "--backend-domain %u: xbdev-blkback runs in "
			       "domain 0 and would take what to open from a "
			       "directory domain %u can rewrite; serve disks "
			       "from domain 0", what, t->spec.be, t->spec.be);
	return 0;
}

/* What attach found wrong before writing anything (else 0): the disk in
 * use, the log directory unsafe. */
static int attach_refusal(struct xbdev *x, int err, const struct attach *t,
			  const char *what)
{
	const char *why = NULL;
	int r;

	if (err == -EBUSY && t->spec.vbd)
		return cli_disk_busy(x, &t->a.disk, what);
	if (t->spec.daemon) {
		r = xbdev_log_dir_check(NULL);
		if (r == -ENOTDIR)
			why = "is not a directory (or is a symlink)";
		else if (r == -EPERM)
			why = "is not owned by root, or group or others may "
			      "write it";
		if (why)
			return cli_err(XBDEV_EXIT_FAIL, "%s: log directory %s "
				       "%s; nothing written", what,
				       XBDEV_LOG_DIR, why);
	}
	if (err == -ELOOP)
		return cli_err(XBDEV_EXIT_FAIL, "%s: the backend's log is a "
			       "symlink: not followed; nothing left behind",
			       what);
	return 0;
}

static int exists(const char *what, enum xbdev_side side)
{
	return cli_err(XBDEV_EXIT_USAGE, "%s: %s directory already exists",
		       what, xbdev_side_name(side));
}

static int dry_run(struct xbdev *x, struct attach *t, const char *what)
{
	enum xbdev_side conflict = XBDEV_SIDE_FRONTEND;
	struct xbdev_plan *p;
	int err, rc;

	err = xbdev_attach_preview(x, &t->spec, &p, &conflict);
	rc = err ? plan_refusal(err, t, what) : 0;
	if (rc)
		return rc;
	if (err == -EEXIST)
		return exists(what, conflict);
	if (err == -ENOSPC)
		return cli_fail(err, t->a.dom, "no free device id");
	if (err)
		return cli_fail(err, what, "invalid device");
	print_plan(p, t->a.json);
	xbdev_plan_free(p);
	return XBDEV_EXIT_OK;
}

static int attach(struct xbdev *x, struct attach *t, char *what, size_t len)
{
	enum xbdev_side conflict = XBDEV_SIDE_FRONTEND;
	struct xbdev_plan *p = NULL;
	int err, rc;

	err = xbdev_attach(x, &t->spec, &p, &conflict);
	rc = err ? plan_refusal(err, t, what) : 0;
	if (!rc && err)
		rc = attach_refusal(x, err, t, what);
	if (rc)
		return rc;
	switch (err) {
	case 0:
		break;
	case -EEXIST:
		return exists(what, conflict);
	case -ESRCH:
		return cli_err(XBDEV_EXIT_NOTFOUND, "%s: domain went away",
			       what);
	default:
		if (t->spec.daemon && access(t->spec.daemon, X_OK))
			return cli_err(XBDEV_EXIT_FAIL, "%s: cannot start %s: %s; "
				       "nothing left behind", what,
				       t->spec.daemon, strerror(errno));
		return cli_err(XBDEV_EXIT_FAIL, "%s: attach failed, nothing "
			       "left behind: %s", what, strerror(-err));
	}
	snprintf(what, len, "%s %s/%u", t->a.dom, p->cls, p->devid);
	rc = wait_result(x, t, p, what);
	if (!rc && isatty(1) && !t->a.json)
		printf("attached %s\n", what);
	xbdev_plan_free(p);
	return rc;
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct attach *t = calloc(1, sizeof(*t));
	struct xbdev *x = NULL;
	char what[256];
	int rc;

	if (!t)
		return cli_err(XBDEV_EXIT_FAIL, "out of memory");
	cli_parse(&argp, argc, argv, &t->a);
	rc = check_args(t);
	if (!rc && !t->a.dry_run)
		rc = cli_disk_nodes(&t->a.disk);
	if (!rc && t->a.dry_run)
		cli_try_open(g, &x);    /* offline when there is no xenstore */
	else if (!rc)
		rc = cli_open(g, &x);
	if (!rc)
		rc = resolve(x, t);
	/* A free id is chosen by the attach's transaction (attaches run at
	 * once by a script each get their own), or by --dry-run's preview. */
	t->spec.devid_auto = !t->have_devid;
	if (t->have_devid)
		snprintf(what, sizeof(what), "%s %s/%u", t->a.dom, t->a.cls,
			 t->spec.devid);
	else
		snprintf(what, sizeof(what), "%s %s", t->a.dom, t->a.cls);
	if (!rc)
		rc = t->a.dry_run ? dry_run(x, t, what)
				  : attach(x, t, what, sizeof(what));
	xbdev_close(x);
	free(t);
	return rc;
}

const struct cli_cmd cli_cmd_attach = {
	.name = "attach",
	.summary = "create a device and wait until both ends connect",
	.argp = &argp,
	.run = run,
};
