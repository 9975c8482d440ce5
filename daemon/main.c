// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xbdevd: the resident service that serves the disks of xl configs.
 *
 * libxl writes a disk's backend directory in the backend domain (here)
 * and waits 10 s for its InitWait before it runs the hotplug script.  For
 * `script=xbdev` (backend type vbd, or vbd3 with `backendtype=tap` on Xen
 * 4.19+) no kernel driver is meant to answer, so xbdevd watches this
 * domain's backend/vbd and backend/vbd3 and starts one xbdev-blkback per
 * device it owns (lib/serve.c decides which), the same backend that
 * `xbdev attach --disk` starts.  The backend takes the device from the
 * kernel's xen-blkback, reaches InitWait by itself, follows libxl's close
 * protocol and exits; libxl removes the directories, xbdevd the record.
 *
 * The backends are not tied to this process: each runs in a session of
 * its own, so a crash, stop or upgrade of xbdevd leaves every device
 * served; a restarted xbdevd finds them through their records (pid,
 * checked against the process's command line) and watches them again.
 * A backend that dies while its device is still online is started again,
 * at most RESTART_BURST times in RESTART_WINDOW_MS.
 *
 * Nothing here reads what a guest writes: backend directories are
 * libxl's (trust checked in lib/serve.c and again by the backend), the
 * records are dom0's.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xbdev.h"

/* Devices served at once (the table and the poll set are this big). */
#define MAX_DEVICES 1024
#define RESTART_BURST 3
#define RESTART_WINDOW_MS 60000
#define WATCH_DRAIN 4096u

static const char *const types[] = { XBDEV_LIBXL_TYPE_VBD,
				     XBDEV_LIBXL_TYPE_VBD3 };

struct served {
	bool used;
	char type[8];
	unsigned fe, devid;
	long pid;
	int pidfd;
	int64_t starts[RESTART_BURST];  /* when it was last started */
	bool gave_up;                   /* restart budget spent: logged */
};

struct service {
	struct xbdev *xs;
	unsigned self;
	char daemon[XBDEV_PATH_MAX];
	const char *log_dir;
	struct served dev[MAX_DEVICES];
	bool rescan;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char when[32];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;

	strftime(when, sizeof(when), "%F %T", localtime_r(&now, &tm));
	fprintf(stderr, "%s xbdevd: ", when);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void lib_log(void *data, int prio, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	say("%s", line);
}

static struct served *find(struct service *s, const char *type, unsigned fe,
			   unsigned devid)
{
	for (unsigned i = 0; i < MAX_DEVICES; i++) {
		struct served *e = &s->dev[i];

		if (e->used && e->fe == fe && e->devid == devid &&
		    !strcmp(e->type, type))
			return e;
	}
	return NULL;
}

static struct served *slot(struct service *s, const char *type, unsigned fe,
			   unsigned devid)
{
	struct served *e = find(s, type, fe, devid);

	for (unsigned i = 0; !e && i < MAX_DEVICES; i++)
		if (!s->dev[i].used) {
			e = &s->dev[i];
			memset(e, 0, sizeof(*e));
			e->used = true;
			e->pidfd = -1;
			snprintf(e->type, sizeof(e->type), "%s", type);
			e->fe = fe;
			e->devid = devid;
		}
	return e;
}

static void drop(struct served *e)
{
	if (e->pidfd >= 0)
		close(e->pidfd);
	e->used = false;
}

static int watch_pid(struct served *e, long pid)
{
	int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);

	if (fd < 0)
		return -errno;
	e->pid = pid;
	e->pidfd = fd;
	return 0;
}

/* Starts allowed now: fewer than RESTART_BURST in the window. */
static bool may_start(struct served *e)
{
	int64_t now = xbdev_now_ms();
	unsigned oldest = 0;

	for (unsigned i = 1; i < RESTART_BURST; i++)
		if (e->starts[i] < e->starts[oldest])
			oldest = i;
	if (e->starts[oldest] && now - e->starts[oldest] < RESTART_WINDOW_MS)
		return false;
	e->starts[oldest] = now;
	return true;
}

static void start(struct service *s, struct served *e)
{
	long pid = 0;
	int err;

	if (!may_start(e)) {
		if (!e->gave_up)
			say("%s %u/%u: backend died %d times in %d s; not "
			    "starting it again", e->type, e->fe, e->devid,
			    RESTART_BURST, RESTART_WINDOW_MS / 1000);
		e->gave_up = true;
		return;
	}
	err = xbdev_libxl_serve(s->xs, s->self, e->type, e->fe, e->devid,
				s->daemon, s->log_dir, &pid);
	if (err == -ENOENT)
		return;         /* not online (being removed) or gone */
	if (!err)
		err = watch_pid(e, pid);
	if (err) {
		say("%s %u/%u: cannot serve it: %s", e->type, e->fe, e->devid,
		    strerror(-err));
		return;
	}
	say("%s %u/%u: serving (xbdev-blkback pid %ld)", e->type, e->fe,
	    e->devid, pid);
}

/* A directory we may not take orders from (-EPERM: another domain can
 * write it) fires our watch whenever that domain writes it: one line per
 * REFUSAL_GAP_MS at most, with the count of those left out. */
#define REFUSAL_GAP_MS 10000

static void refusal_line(const char *type, unsigned fe, unsigned devid,
			 int err)
{
	static int64_t last;
	static unsigned left_out;
	int64_t now = xbdev_now_ms();

	if (last && now - last < REFUSAL_GAP_MS) {
		left_out++;
		return;
	}
	say("%s %u/%u: cannot tell whether it is ours: %s (%u such lines "
	    "left out)", type, fe, devid, strerror(-err), left_out);
	last = now;
	left_out = 0;
}

/* Bring one device to what it should be: served while libxl's directory
 * is there and ours, its record gone once the directory is. */
static void consider(struct service *s, const char *type, unsigned fe,
		     unsigned devid)
{
	char be_dir[XBDEV_PATH_MAX];
	struct xbdev_record rec;
	struct served *e = find(s, type, fe, devid);
	bool have_rec, libxl_rec;
	int ours;

	if (e && e->pidfd >= 0)
		return;         /* its backend is running */
	if (xbdev_path_backend(be_dir, sizeof(be_dir), s->self, type, fe,
			       devid))
		return;
	have_rec = !xbdev_record_read(s->xs, XBDEV_TXN_NONE, fe,
				      XBDEV_LIBXL_CLASS, devid, &rec);
	libxl_rec = have_rec && !strcmp(rec.managed_by, XBDEV_MANAGED_BY_LIBXL)
		    && !strcmp(rec.type, type);
	if (libxl_rec && xbdev_record_daemon_alive(&rec)) {
		e = slot(s, type, fe, devid);
		if (e && !watch_pid(e, rec.pid))
			say("%s %u/%u: backend pid %ld already serving it",
			    type, fe, devid, rec.pid);
		return;
	}
	ours = xbdev_libxl_device_ours(s->xs, XBDEV_TXN_NONE, type, be_dir,
				       s->self);
	if (ours == -ENOENT) {
		int err = libxl_rec ? xbdev_libxl_forget(s->xs, s->self, type,
							 fe, devid) : 0;

		if (libxl_rec)
			say("%s %u/%u: removed by libxl; %s%s", type, fe, devid,
			    err ? "cannot remove its record: " : "record removed",
			    err ? strerror(-err) : "");
		if (e)
			drop(e);
		return;
	}
	if (ours < 0)
		refusal_line(type, fe, devid, ours);
	if (ours <= 0)
		return;
	if (have_rec && !libxl_rec) {
		say("%s %u/%u: a record of another device (%s) is in the way; "
		    "not serving it", type, fe, devid, rec.type);
		return;
	}
	e = slot(s, type, fe, devid);
	if (!e) {
		say("%s %u/%u: already serving %d devices; not this one", type,
		    fe, devid, MAX_DEVICES);
		return;
	}
	start(s, e);
}

static int list(struct service *s, const char *dir, char ***kids,
		unsigned *n)
{
	int err = xbdev_ls(s->xs, XBDEV_TXN_NONE, dir, kids, n);

	if (err == -ENOENT) {
		*kids = NULL;
		*n = 0;
		return 0;
	}
	return err;
}

static void scan_type(struct service *s, const char *type)
{
	char top[XBDEV_PATH_MAX], dir[XBDEV_PATH_MAX], **fes, **ids;
	unsigned n_fe, n_id;
	unsigned long fe, devid;

	if (xbdev_path_domain(dir, sizeof(dir), s->self, "backend") ||
	    xbdev_path_join(top, sizeof(top), dir, type) ||
	    list(s, top, &fes, &n_fe))
		return;
	for (unsigned i = 0; i < n_fe; i++) {
		if (xbdev_parse_uint(fes[i], XBDEV_DOMID_MAX, &fe) ||
		    xbdev_path_join(dir, sizeof(dir), top, fes[i]) ||
		    list(s, dir, &ids, &n_id))
			continue;
		for (unsigned j = 0; j < n_id; j++)
			if (!xbdev_parse_uint(ids[j], UINT32_MAX, &devid))
				consider(s, type, (unsigned)fe,
					 (unsigned)devid);
		xbdev_strv_free(ids, n_id);
	}
	xbdev_strv_free(fes, n_fe);
}

/* Everything: the backend directories, what the table holds, and (for a
 * service restarted after libxl removed devices) libxl records left. */
static void scan(struct service *s)
{
	for (unsigned i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		scan_type(s, types[i]);
	for (unsigned i = 0; i < MAX_DEVICES; i++)
		if (s->dev[i].used)
			consider(s, s->dev[i].type, s->dev[i].fe,
				 s->dev[i].devid);
	s->rescan = false;
}

static void forget_stale_records(struct service *s)
{
	char **fes, **ids, dir[64];
	unsigned n_fe, n_id;
	unsigned long fe, devid;
	struct xbdev_record rec;

	if (list(s, "/xbdev", &fes, &n_fe))
		return;
	for (unsigned i = 0; i < n_fe; i++) {
		if (xbdev_parse_uint(fes[i], XBDEV_DOMID_MAX, &fe))
			continue;
		snprintf(dir, sizeof(dir), "/xbdev/%lu/" XBDEV_LIBXL_CLASS, fe);
		if (list(s, dir, &ids, &n_id))
			continue;
		for (unsigned j = 0; j < n_id; j++)
			if (!xbdev_parse_uint(ids[j], UINT32_MAX, &devid) &&
			    !xbdev_record_read(s->xs, XBDEV_TXN_NONE,
					       (unsigned)fe, XBDEV_LIBXL_CLASS,
					       (unsigned)devid, &rec) &&
			    !strcmp(rec.managed_by, XBDEV_MANAGED_BY_LIBXL) &&
			    rec.be == s->self)
				consider(s, rec.type, (unsigned)fe,
					 (unsigned)devid);
		xbdev_strv_free(ids, n_id);
	}
	xbdev_strv_free(fes, n_fe);
}

/* One watch event: the device it belongs to, or a full scan. */
static void on_event(struct service *s, const char *path)
{
	struct xbdev_path_parts pp;

	xbdev_path_parse(path, &pp);
	if (pp.kind == XBDEV_PATH_BACKEND && pp.dom == s->self)
		consider(s, pp.name, pp.fe, pp.devid);
	else
		s->rescan = true;
}

static int drain_watches(struct service *s)
{
	for (unsigned i = 0; i < WATCH_DRAIN; i++) {
		char *path = NULL, *token = NULL;
		int err = xbdev_watch_read(s->xs, &path, &token);

		if (err)
			return err == -EAGAIN ? 0 : err;
		on_event(s, path);
		free(path);
		free(token);
	}
	return 0;
}

static void reap(struct service *s, struct served *e)
{
	int status = 0;
	pid_t r = waitpid((pid_t)e->pid, &status, WNOHANG);

	if (r == (pid_t)e->pid && WIFSIGNALED(status))
		say("%s %u/%u: backend pid %ld killed by signal %d", e->type,
		    e->fe, e->devid, e->pid, WTERMSIG(status));
	else if (r == (pid_t)e->pid)
		say("%s %u/%u: backend pid %ld exited (status %d)", e->type,
		    e->fe, e->devid, e->pid, WEXITSTATUS(status));
	else
		say("%s %u/%u: backend pid %ld exited", e->type, e->fe,
		    e->devid, e->pid);
	close(e->pidfd);
	e->pidfd = -1;
	e->pid = 0;
	/* Started again while its directory is online, else kept (with its
	 * restart history) until libxl removes the directory. */
	consider(s, e->type, e->fe, e->devid);
}

static int watch_backends(struct service *s)
{
	char dom[XBDEV_PATH_MAX], p[XBDEV_PATH_MAX];
	int err = xbdev_path_domain(dom, sizeof(dom), s->self, "backend");

	for (unsigned i = 0; !err && i < sizeof(types) / sizeof(types[0]);
	     i++) {
		err = xbdev_path_join(p, sizeof(p), dom, types[i]);
		if (!err)
			err = xbdev_watch(s->xs, p, types[i]);
	}
	return err;
}

static int serve(struct service *s, const sigset_t *waitmask)
{
	static struct pollfd pfd[MAX_DEVICES + 1];
	static struct served *owner[MAX_DEVICES + 1];
	int err;

	forget_stale_records(s);
	scan(s);
	while (!got_signal) {
		unsigned n = 1;

		pfd[0] = (struct pollfd){ .fd = xbdev_fileno(s->xs),
					  .events = POLLIN };
		for (unsigned i = 0; i < MAX_DEVICES; i++)
			if (s->dev[i].used && s->dev[i].pidfd >= 0) {
				owner[n] = &s->dev[i];
				pfd[n++] = (struct pollfd){
					.fd = s->dev[i].pidfd,
					.events = POLLIN };
			}
		if (ppoll(pfd, n, NULL, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			say("ppoll: %s", strerror(errno));
			return 1;
		}
		for (unsigned i = 1; i < n; i++)
			if (pfd[i].revents)
				reap(s, owner[i]);
		if (pfd[0].revents) {
			err = drain_watches(s);
			if (err) {
				say("xenstore connection: %s", strerror(-err));
				return 1;
			}
		}
		if (s->rescan)
			scan(s);
	}
	say("%s: stopping; the backends go on serving their devices",
	    strsignal(got_signal));
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xbdevd [--log-dir DIR]\n"
		"Serve the disks of xl configs that name xbdev (script=xbdev,\n"
		"or backendtype=tap on Xen 4.19+) with one xbdev-blkback each.\n"
		"Runs in the foreground and logs to standard error.\n"
		"\n"
		"  --log-dir DIR  backend logs in DIR (default "
		XBDEV_LOG_DIR ")\n"
		"  --help, --version\n"
		"\n"
		"Exit status: 0 stopped by a signal, 1 failure, 2 usage.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "log-dir", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct service s;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	int c, err, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			s.log_dir = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xbdevd %s\n", XBDEV_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (xbdev_blkback_program(s.daemon, sizeof(s.daemon))) {
		fprintf(stderr, "xbdevd: XBDEV_LIBEXECDIR is too long\n");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);

	err = xbdev_open(&s.xs);
	if (err) {
		say("cannot connect to xenstore: %s", strerror(-err));
		return 1;
	}
	xbdev_set_log_fn(s.xs, lib_log, &s);
	err = xbdev_self_domid(s.xs, &s.self);
	if (!err)
		err = xbdev_log_dir_check(s.log_dir);
	if (!err)
		err = watch_backends(&s);
	if (err) {
		say("cannot start: %s", strerror(-err));
		xbdev_close(s.xs);
		return 1;
	}
	say("serving the xl disks of domain %u (backend/vbd with script=%s, "
	    "backend/vbd3) with %s", s.self, XBDEV_HOTPLUG_SCRIPT, s.daemon);
	rc = serve(&s, &orig);
	xbdev_close(s.xs);
	return rc;
}
