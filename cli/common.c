/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev CLI: errors, argument parsing and output shared by the commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const char *cli_cmd_name;

int cli_err(int code, const char *fmt, ...)
{
	va_list ap;

	if (cli_cmd_name)
		fprintf(stderr, "xbdev: %s: ", cli_cmd_name);
	else
		fputs("xbdev: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

int cli_exit_code(int err)
{
	switch (-err) {
	case 0:
		return XBDEV_EXIT_OK;
	case ENOENT:
	case ESRCH:
		return XBDEV_EXIT_NOTFOUND;
	case ETIMEDOUT:
		return XBDEV_EXIT_TIMEOUT;
	case EINVAL:
	case ERANGE:
	case ENAMETOOLONG:
	case E2BIG:
	case EEXIST:
	case ENOTUNIQ:
		return XBDEV_EXIT_USAGE;
	default:
		return XBDEV_EXIT_FAIL;
	}
}

int cli_fail(int err, const char *what, const char *action)
{
	return cli_err(cli_exit_code(err), "%s: %s: %s", what, action,
		       strerror(-err));
}

/*
 * argp's own error output is two lines ("prog: msg" from getopt, then
 * "Try ..."); xbdev's errors are one line "xbdev: CMD: msg".  While argp
 * runs, stdout and stderr point at memory streams (getopt and argp print
 * through them); ARGP_NO_EXIT lets xbdev exit with its documented status.
 * --help/--version text is printed as soon as argp has produced it.
 */
struct mem {
	FILE *f;
	char *buf;
	size_t len;
};

static const struct argp *cli_argp_orig;
static struct mem cli_out, cli_errs;
static FILE *real_stdout, *real_stderr;

static const char *mem_text(struct mem *m)
{
	if (!m->f || fflush(m->f) || !m->len)
		return NULL;
	return m->buf;
}

static void mem_close(struct mem *m)
{
	if (m->f)
		fclose(m->f);
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

static void restore_streams(void)
{
	if (real_stdout)
		stdout = real_stdout;
	if (real_stderr)
		stderr = real_stderr;
	real_stdout = real_stderr = NULL;
}

static void help_done(void)
{
	const char *t = mem_text(&cli_out);

	if (!t)
		return;
	restore_streams();
	fputs(t, stdout);
	exit(XBDEV_EXIT_OK);
}

static error_t wrap_parser(int key, char *arg, struct argp_state *state)
{
	const struct argp_child *c = cli_argp_orig->children;
	error_t err;
	unsigned i;

	if (key != ARGP_KEY_INIT)
		help_done();
	err = cli_argp_orig->parser(key, arg, state);
	/* A child the command's parser gave no input parses into the
	 * command's own (cli_target_children: its struct cli_target first). */
	for (i = 0; key == ARGP_KEY_INIT && c && c[i].argp; i++)
		if (!state->child_inputs[i])
			state->child_inputs[i] = state->input;
	return err;
}

static void parse_failed(void)
{
	const char *t = mem_text(&cli_errs), *colon, *nl;

	restore_streams();
	if (!t)
		exit(cli_err(XBDEV_EXIT_USAGE, "invalid arguments"));
	/* "xbdev attach: unrecognized option '--x'" -> our format */
	colon = strstr(t, ": ");
	t = colon ? colon + 2 : t;
	nl = strchr(t, '\n');
	exit(cli_err(XBDEV_EXIT_USAGE, "%.*s",
		     nl ? (int)(nl - t) : (int)strlen(t), t));
}

void cli_parse(const struct argp *argp, int argc, char **argv, void *input)
{
	cli_parse_flags(argp, argc, argv, 0, input);
}

void cli_parse_flags(const struct argp *argp, int argc, char **argv,
		     unsigned flags, void *input)
{
	struct argp wrapped = *argp;
	error_t err;

	cli_argp_orig = argp;
	wrapped.parser = wrap_parser;
	cli_out.f = open_memstream(&cli_out.buf, &cli_out.len);
	cli_errs.f = open_memstream(&cli_errs.buf, &cli_errs.len);
	if (cli_out.f && cli_errs.f) {
		real_stdout = stdout;
		real_stderr = stderr;
		stdout = cli_out.f;
		stderr = cli_errs.f;
	}
	err = argp_parse(&wrapped, argc, argv, flags | ARGP_NO_EXIT, NULL,
			 input);
	help_done();
	if (err)
		parse_failed();
	restore_streams();
	mem_close(&cli_out);
	mem_close(&cli_errs);
}

void cli_usage(const char *fmt, ...)
{
	va_list ap;

	restore_streams();
	fprintf(stderr, "xbdev: %s%s", cli_cmd_name ? cli_cmd_name : "",
		cli_cmd_name ? ": " : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see xbdev %s%s--help)\n",
		cli_cmd_name ? cli_cmd_name : "", cli_cmd_name ? " " : "");
	exit(XBDEV_EXIT_USAGE);
}

void cli_arg(const struct argp_state *state, char *arg,
	     const char **const slots[], unsigned n)
{
	if (state->arg_num >= n)
		cli_usage("too many arguments");
	*slots[state->arg_num] = arg;
}

/* (argp gives a child its own count of the arguments it took in arg_num) */
static error_t target_parse(int key, char *arg, struct argp_state *state)
{
	struct cli_target *t = state->input;

	switch (key) {
	case ARGP_KEY_ARG:
		cli_arg(state, arg,
			(const char **[]){ &t->dom, &t->dev, &t->extra },
			t->max < 3 ? t->max : 3);
		return 0;
	case ARGP_KEY_END:
		if (state->arg_num < t->min)
			cli_usage(t->min == 1 ? "DOMAIN is required"
					      : "DOMAIN and DEVICE are required");
		return 0;
	}
	return ARGP_ERR_UNKNOWN;
}

static const struct argp target_argp = { .parser = target_parse };

const struct argp_child cli_target_children[] = {
	{ &target_argp, 0, NULL, 0 },
	{ 0 },
};

/* -v: the library's log, a line each; its messages name paths and
 * domain names a guest may have chosen, so they are escaped. */
static void log_stderr(void *data, int prio, const char *fmt, va_list ap)
{
	char msg[XBDEV_PATH_MAX * 2], esc[XBDEV_ESCAPED_MAX(sizeof(msg))];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "xbdev: %s: %s\n", cli_cmd_name ? cli_cmd_name : "-",
		xbdev_escape(esc, sizeof(esc), msg));
}

int cli_open(const struct cli_global *g, struct xbdev **x)
{
	int err = xbdev_open(x);

	if (err)
		return cli_err(XBDEV_EXIT_FAIL, "cannot connect to xenstore: %s",
			       strerror(-err));
	if (g->verbose)
		xbdev_set_log_fn(*x, log_stderr, NULL);
	return XBDEV_EXIT_OK;
}

void cli_try_open(const struct cli_global *g, struct xbdev **x)
{
	int err = xbdev_open(x);

	if (err) {
		*x = NULL;
		if (g->verbose)
			cli_err(XBDEV_EXIT_OK, "no xenstore (%s): nothing is "
				"read, the plan is made offline",
				strerror(-err));
		return;
	}
	if (g->verbose)
		xbdev_set_log_fn(*x, log_stderr, NULL);
}

bool cli_domain_numeric(const char *arg, unsigned *domid)
{
	unsigned long v;

	if (xbdev_parse_uint(arg, XBDEV_DOMID_MAX, &v))
		return false;
	*domid = (unsigned)v;
	return true;
}

static int out_of_range(const char *arg)
{
	char buf[CLI_ESCAPED_LEN];

	return cli_err(XBDEV_EXIT_USAGE, "domain id %s out of range (0-%u)",
		       cli_esc(buf, arg), XBDEV_DOMID_MAX);
}

int cli_domain_offline(const char *arg, unsigned *domid)
{
	unsigned long v;
	int err = xbdev_parse_uint(arg, XBDEV_DOMID_MAX, &v);

	if (err == -ERANGE)
		return out_of_range(arg);
	if (err)
		return cli_err(XBDEV_EXIT_FAIL, "xenstore unavailable: "
			       "--dry-run needs numeric domains");
	*domid = (unsigned)v;
	return XBDEV_EXIT_OK;
}

int cli_domain(struct xbdev *x, const char *arg, unsigned *domid)
{
	int err = xbdev_domain_resolve(x, arg, domid);
	char buf[CLI_ESCAPED_LEN];

	switch (err) {
	case 0:
		return XBDEV_EXIT_OK;
	case -ENOENT:
		return cli_err(XBDEV_EXIT_NOTFOUND, "%s: unknown domain",
			       cli_esc(buf, arg));
	case -ESRCH:
		return cli_err(XBDEV_EXIT_NOTFOUND, "%s: domain is dying",
			       cli_esc(buf, arg));
	case -ERANGE:
		return out_of_range(arg);
	case -EINVAL:
		return cli_err(XBDEV_EXIT_USAGE, "invalid domain name");
	default:
		return cli_err(XBDEV_EXIT_FAIL, "%s: cannot look up domain: %s",
			       cli_esc(buf, arg), strerror(-err));
	}
}

int cli_device(const char *arg, char *cls, size_t len, unsigned *devid)
{
	const char *slash = strrchr(arg, '/');
	char buf[CLI_ESCAPED_LEN];
	unsigned long id;
	size_t n;

	/* A vdev name alone ("xvdb", not a bare number) is a vbd. */
	if (!slash && len > 3 && strspn(arg, "0123456789") != strlen(arg) &&
	    !xbdev_vdev_parse(arg, devid)) {
		strcpy(cls, "vbd");
		return XBDEV_EXIT_OK;
	}
	if (!slash)
		return cli_err(XBDEV_EXIT_USAGE,
			       "device must be CLASS/DEVID or a vdev name "
			       "(xvdb), not '%s'", cli_esc(buf, arg));
	n = (size_t)(slash - arg);
	if (n >= len || n > XBDEV_NAME_MAX)
		return cli_err(XBDEV_EXIT_USAGE, "device class too long");
	memcpy(cls, arg, n);
	cls[n] = '\0';
	if (xbdev_validate_name(cls, false))
		return cli_err(XBDEV_EXIT_USAGE, "invalid device class '%s'",
			       cli_esc(buf, cls));
	/* vbd devices may also be named by their vdev ("xvdb"). */
	if (!xbdev_parse_uint(slash + 1, XBDEV_DEVID_MAX, &id))
		*devid = (unsigned)id;
	else if (strcmp(cls, "vbd") || xbdev_vdev_parse(slash + 1, devid))
		return cli_err(XBDEV_EXIT_USAGE, "invalid device id '%s'",
			       cli_esc(buf, slash + 1));
	return XBDEV_EXIT_OK;
}

int cli_seconds(const char *arg, const char *opt, unsigned *out)
{
	char buf[CLI_ESCAPED_LEN];
	unsigned long v;

	if (xbdev_parse_uint(arg, 86400, &v) || v == 0)
		return cli_err(XBDEV_EXIT_USAGE,
			       "%s: '%s' is not a number of seconds (1-86400)",
			       opt, cli_esc(buf, arg));
	*out = (unsigned)v;
	return XBDEV_EXIT_OK;
}

const char *cli_esc(char *buf, const char *s)
{
	return xbdev_escape(buf, CLI_ESCAPED_LEN, s);
}

char *cli_domain_name(struct xbdev *x, unsigned domid)
{
	char *name = NULL;

	if (!x || xbdev_domain_name(x, domid, &name))
		name = strdup("?");
	if (!name)
		abort();
	return name;
}

int cli_daemon_died(const char *what, const char *be_state, const char *log)
{
	char line[512], el[XBDEV_ESCAPED_MAX(sizeof(line))];
	char ep[CLI_ESCAPED_LEN];
	int err = xbdev_file_last_line(log, line, sizeof(line));

	/* The log holds what the guest made the backend say. */
	cli_esc(ep, log);
	if (err == -ENODATA)
		return cli_err(XBDEV_EXIT_FAIL, "%s: the backend daemon exited "
			       "(backend %s); its log %s is empty (the device "
			       "is left in place)", what, be_state, ep);
	if (err)
		return cli_err(XBDEV_EXIT_FAIL, "%s: the backend daemon exited "
			       "(backend %s); see %s (the device is left in "
			       "place)", what, be_state, ep);
	return cli_err(XBDEV_EXIT_FAIL, "%s: the backend daemon exited "
		       "(backend %s); its log %s ends: %s (the device is left "
		       "in place)", what, be_state, ep,
		       xbdev_escape(el, sizeof(el), line));
}

/* ---- output ---- */

/* A table cell: the value, escaped (buf: CLI_ESCAPED_LEN), "-" if none. */
static const char *cell(json_object *row, const char *key, char *buf)
{
	json_object *v;

	if (!json_object_object_get_ex(row, key, &v) || !v)
		return "-";
	return cli_esc(buf, json_object_get_string(v));
}

void cli_print_table(json_object *rows, const struct cli_column *cols,
		     unsigned n)
{
	size_t w[16] = { 0 }, i, r, nrows = json_object_array_length(rows);
	char buf[CLI_ESCAPED_LEN];

	if (n > 16)
		n = 16;
	for (i = 0; i < n; i++)
		w[i] = strlen(cols[i].title);
	for (r = 0; r < nrows; r++)
		for (i = 0; i < n; i++) {
			size_t l = strlen(cell(json_object_array_get_idx(rows,
						r), cols[i].key, buf));

			if (l > w[i])
				w[i] = l;
		}
	/* The last column unpadded, in the heading too: no line ends in
	 * blanks. */
	for (i = 0; i < n; i++)
		printf("%-*s%s", i + 1 < n ? (int)w[i] : 0, cols[i].title,
		       i + 1 < n ? "  " : "\n");
	for (r = 0; r < nrows; r++)
		for (i = 0; i < n; i++)
			printf("%-*s%s", i + 1 < n ? (int)w[i] : 0,
			       cell(json_object_array_get_idx(rows, r),
				    cols[i].key, buf),
			       i + 1 < n ? "  " : "\n");
}

void cli_print_json(json_object *obj)
{
	puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						 JSON_C_TO_STRING_NOSLASHESCAPE));
}

static char perm_letter(enum xbdev_perm p)
{
	static const char letters[] = { 'n', 'r', 'w', 'b' };

	return (unsigned)p < sizeof(letters) ? letters[p] : '?';
}

void cli_format_acl(char *buf, size_t len, const struct xbdev_acl_entry *acl,
		    unsigned n)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%c%u",
					i ? "," : "", perm_letter(acl[i].perm),
					acl[i].domid);
}

json_object *cli_acl_json(const struct xbdev_acl_entry *acl, unsigned n)
{
	json_object *a = json_object_new_array();
	char one[32];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(one, sizeof(one), "%c%u", perm_letter(acl[i].perm),
			 acl[i].domid);
		json_object_array_add(a, json_object_new_string(one));
	}
	return a;
}

const char *cli_state_change(char *buf, size_t len, enum xbdev_side side,
			     int old, int now, bool first)
{
	if (first)
		snprintf(buf, len, "%s %s", xbdev_side_name(side),
			 xbdev_state_name(now));
	else
		snprintf(buf, len, "%s %s -> %s", xbdev_side_name(side),
			 xbdev_state_name(old), xbdev_state_name(now));
	return buf;
}

void cli_ends_init(struct cli_ends *e, int64_t t0)
{
	memset(e, 0, sizeof(*e));
	e->t0 = t0;
	e->last[0] = e->last[1] = -1;
}

void cli_progress_state(struct cli_ends *e, enum xbdev_side side, int now)
{
	unsigned i = side == XBDEV_SIDE_BACKEND;
	char line[64];

	if (e->seen[i] && e->last[i] == now)
		return;
	cli_progress(e->t0, "%s", cli_state_change(line, sizeof(line), side,
						   e->last[i], now,
						   !e->seen[i]));
	e->seen[i] = true;
	e->last[i] = now;
}

void cli_progress(int64_t t0, const char *fmt, ...)
{
	va_list ap;

	if (t0 < 0)
		return;
	fprintf(stderr, "[%6.2fs] ", (double)(xbdev_now_ms() - t0) / 1000.0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_json_str(json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v));
}

void cli_json_int(json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void cli_json_state(json_object *o, const char *key, int st)
{
	json_object_object_add(o, key, st < 0 ? NULL :
				       json_object_new_string(
					       xbdev_state_name(st)));
}

json_object *cli_device_json(struct xbdev *x,
			     const struct xbdev_dev_status *d)
{
	json_object *o = json_object_new_object();
	char *name = cli_domain_name(x, d->fe);

	cli_json_str(o, "domain", name);
	cli_json_int(o, "domid", d->fe);
	cli_json_str(o, "class", d->cls);
	cli_json_int(o, "devid", d->devid);
	cli_json_int(o, "backend-id", d->be);
	cli_json_str(o, "type", d->type);
	cli_json_str(o, "frontend", d->fe_dir);
	cli_json_str(o, "backend", d->be_dir);
	cli_json_state(o, "frontend-state", d->fe_state);
	cli_json_state(o, "backend-state", d->be_state);
	free(name);
	return o;
}

json_object *cli_node_json(const char *path, const char *value,
			   const struct xbdev_acl_entry *acl, unsigned n_acl)
{
	json_object *o = json_object_new_object();

	cli_json_str(o, "path", path);
	cli_json_str(o, "value", value);
	json_object_object_add(o, "perms", cli_acl_json(acl, n_acl));
	return o;
}

void cli_print_nodes(json_object *nodes, const char *indent)
{
	size_t i, k, n = json_object_array_length(nodes);
	char ep[CLI_ESCAPED_LEN];

	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(nodes, i), *p, *v, *a;

		json_object_object_get_ex(o, "path", &p);
		json_object_object_get_ex(o, "value", &v);
		json_object_object_get_ex(o, "perms", &a);
		printf("%s%s = ", indent, cli_esc(ep, json_object_get_string(p)));
		cli_print_quoted(json_object_get_string(v));
		putchar(' ');
		for (k = 0; k < json_object_array_length(a); k++)
			printf("%c%s", k ? ',' : '(', json_object_get_string(
					 json_object_array_get_idx(a, k)));
		puts(k ? ")" : "()");
	}
}

void cli_print_quoted(const char *v)
{
	char one[2] = "", e[8];

	putchar('"');
	for (; *v; v++) {
		if (*v == '"') {
			fputs("\\\"", stdout);
			continue;
		}
		one[0] = *v;
		fputs(xbdev_escape(e, sizeof(e), one), stdout);
	}
	putchar('"');
}
