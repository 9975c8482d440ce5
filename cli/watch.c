/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev watch [DOMAIN [DEVICE]]: a line per device event. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

struct watch_args {
	struct cli_target t;    /* [DOMAIN [DEVICE]] */
	const char *until, *timeout;
	bool json;
};

static const struct argp_option options[] = {
	{ "until", 'u', "STATE", 0, "Exit when the watched device(s) have "
	  "both ends in STATE (name or number)", 0 },
	{ "timeout", 'T', "SECONDS", 0, "Exit after SECONDS (status 3)", 0 },
	{ "json", 'j', NULL, 0, "One JSON object per line", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct watch_args *a = state->input;

	switch (key) {
	case 'u': a->until = arg; break;
	case 'T': a->timeout = arg; break;
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
	.doc = "Print a line for every device event (appeared, state change, "
	       "removed, backend process died) with the time since the start, "
	       "until --until is "
	       "reached, --timeout passes or the watch is interrupted."
	       "\v" CLI_EXIT_DOC,
	.children = cli_target_children,
};

struct watcher {
	struct xbdev *x;
	bool json;
	int until;              /* -1: run until interrupted */
	int64_t t0;
};

static void print_event(struct watcher *w, const struct xbdev_event_info *e)
{
	const struct xbdev_dev_status *d = e->dev;
	double t = (double)(e->at_ms - w->t0) / 1000.0;
	char *name = cli_domain_name(w->x, d->fe), ts[32], change[64];
	char en[CLI_ESCAPED_LEN], ec[CLI_ESCAPED_LEN];
	json_object *o;

	if (!w->json) {
		printf("+%.3fs %s %s/%u ", t, cli_esc(en, name),
		       cli_esc(ec, d->cls), d->devid);
		if (e->type == XBDEV_EVENT_STATE)
			printf("%s\n", cli_state_change(change,
			       sizeof(change), e->side, e->old_state,
			       e->new_state, false));
		else if (e->type == XBDEV_EVENT_BACKEND_DIED)
			printf("backend process %ld died (frontend %s, "
			       "backend %s)\n", d->pid,
			       xbdev_state_name(d->fe_state),
			       xbdev_state_name(d->be_state));
		else
			printf("%s (frontend %s, backend %s)\n",
			       xbdev_event_type_name(e->type),
			       xbdev_state_name(d->fe_state),
			       xbdev_state_name(d->be_state));
		free(name);
		fflush(stdout);
		return;
	}
	o = json_object_new_object();
	snprintf(ts, sizeof(ts), "%.3f", t);
	json_object_object_add(o, "time", json_object_new_double_s(t, ts));
	json_object_object_add(o, "event", json_object_new_string(
				      xbdev_event_type_name(e->type)));
	json_object_object_add(o, "domain", json_object_new_string(name));
	json_object_object_add(o, "domid", json_object_new_int((int)d->fe));
	json_object_object_add(o, "class", json_object_new_string(d->cls));
	json_object_object_add(o, "devid", json_object_new_int64(d->devid));
	if (e->type == XBDEV_EVENT_STATE) {
		json_object_object_add(o, "side", json_object_new_string(
					      xbdev_side_name(e->side)));
		json_object_object_add(o, "from", json_object_new_string(
					      xbdev_state_name(e->old_state)));
		json_object_object_add(o, "to", json_object_new_string(
					      xbdev_state_name(e->new_state)));
	}
	if (e->type == XBDEV_EVENT_BACKEND_DIED)
		json_object_object_add(o, "pid", json_object_new_int64(d->pid));
	json_object_object_add(o, "frontend-state", json_object_new_string(
				      xbdev_state_name(d->fe_state)));
	json_object_object_add(o, "backend-state", json_object_new_string(
				      xbdev_state_name(d->be_state)));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					     JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
	free(name);
}

static int on_event(const struct xbdev_event_info *e, void *arg)
{
	struct watcher *w = arg;

	print_event(w, e);
	/* --until: this device has both ends in the state. */
	if (w->until >= 0 && e->type != XBDEV_EVENT_REMOVED &&
	    e->dev->fe_state == w->until && e->dev->be_state == w->until)
		return 1;
	return 0;
}

static volatile sig_atomic_t stop;
static int stop_pipe[2] = { -1, -1 };

/* SIGINT/SIGTERM end the watch cleanly: the byte makes the library's wait
 * return -ECANCELED whichever thread took the signal (libxenstore has one
 * of its own) and whenever it came, even between two waits. */
static void on_signal(int sig)
{
	int saved = errno;

	stop = 1;
	if (write(stop_pipe[1], "", 1) < 0) {
		/* full: a byte is already there */
	}
	errno = saved;
}

static int run(int argc, char **argv, const struct cli_global *g)
{
	struct watch_args a = { .t = { .max = 2 } };
	struct watcher w = { .until = -1 };
	struct sigaction sa = { .sa_handler = on_signal };
	enum xbdev_state until;
	char cls[XBDEV_NAME_MAX + 1];
	unsigned domid = 0, devid = 0, timeout = 0;
	int64_t deadline = -1;
	int rc, err;

	cli_parse(&argp, argc, argv, &a);
	rc = a.t.dev ? cli_device(a.t.dev, cls, sizeof(cls), &devid) : 0;
	if (!rc && a.until && xbdev_state_parse(a.until, &until))
		rc = cli_err(XBDEV_EXIT_USAGE, "--until: unknown state '%s'",
			     a.until);
	if (!rc && a.timeout)
		rc = cli_seconds(a.timeout, "--timeout", &timeout);
	if (!rc)
		rc = cli_open(g, &w.x);
	if (!rc && a.t.dom)
		rc = cli_domain(w.x, a.t.dom, &domid);
	if (rc)
		goto out;
	w.json = a.json;
	w.until = a.until ? (int)until : -1;
	w.t0 = xbdev_now_ms();
	if (timeout)
		deadline = w.t0 + (int64_t)timeout * 1000;
	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		rc = cli_fail(-errno, "watch", "pipe");
		goto out;
	}
	xbdev_set_cancel_fd(w.x, stop_pipe[0]);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	err = xbdev_monitor(w.x, a.t.dom ? (int)domid : -1, a.t.dev ? cls : NULL,
			    a.t.dev ? (long)devid : -1, deadline, on_event, &w);
	if (err == -ETIMEDOUT)
		rc = w.until >= 0 ? cli_err(XBDEV_EXIT_TIMEOUT,
					    "%s not reached within %u s",
					    xbdev_state_name(w.until), timeout)
				  : XBDEV_EXIT_OK;
	else if ((err == -ECANCELED || err == -EINTR) && stop)
		rc = XBDEV_EXIT_OK;
	else if (err < 0)
		rc = cli_fail(err, "watch", "failed");
out:
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	for (unsigned i = 0; i < 2; i++)
		if (stop_pipe[i] >= 0)
			close(stop_pipe[i]);
	xbdev_close(w.x);
	return rc;
}

const struct cli_cmd cli_cmd_watch = {
	.name = "watch",
	.summary = "print device events as they happen",
	.argp = &argp,
	.run = run,
};
