// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xbdev-blkback BACKEND_PATH
 *
 * The userspace blkif backend for one vbd, started (detached, stdout and
 * stderr on /var/log/xbdev/vbd-<fe>-<devid>.log, kept under a size cap by
 * log.c) by `xbdev attach DOMAIN vbd --disk PATH` (BACKEND_PATH is
 * /local/domain/<be>/backend/xbdev-vbd/<fe>/<devid>), or by xbdevd for a
 * disk of an xl config (backend type vbd with script=xbdev, or vbd3).  Runs in the foreground until the device is detached, its
 * backend directory disappears, the guest dies, or SIGTERM/SIGINT.
 *
 * One process per device, not one supervisor for all:
 *  - fault isolation: a guest that finds a bug in the data path can at
 *    worst crash the backend of its own disk, never another guest's; and
 *    `kill -9` of one backend is one device to clean up (`xbdev detach
 *    --force`), not every disk on the host;
 *  - accounting: RSS, CPU time and open files of each device show up per
 *    process (ps, top, cgroups), its log is its own file;
 *  - no locking: the device's state is owned by a single thread.
 * The cost is one xenstore connection, gntdev/evtchn handle and io_uring per
 * device (a few hundred KiB), which is fine for the tens of disks a host
 * serves.  All queues of the device share the thread and one io_uring:
 * the disk, not the CPU, is the bottleneck of a file-backed vbd, and
 * multi-queue still spares the guest's vCPUs from contending on one ring.
 *
 * Main loop: ppoll() on the xenstore fd (watch events), the event channel
 * fd (one handle for all queues) and the io_uring fd (completions).  Signal
 * handlers only set a flag; the signals are blocked except inside ppoll(),
 * so a signal can never be lost between the check and the sleep.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "blkback.h"

/* Watch events taken per wake-up, all merged into one evaluation of the
 * states (xenbus.c): only a bound on one pass, the rest is taken at once
 * by the next. */
#define WATCH_DRAIN 4096u
#define EVTCHN_BUDGET 64u       /* event channel reads per wake-up */

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xbdev-blkback BACKEND_PATH\n"
		"Serve one Xen virtual block device (blkif) from the file or\n"
		"block device named by BACKEND_PATH/params.  BACKEND_PATH is\n"
		"/local/domain/<be>/backend/TYPE/<fe>/<devid>, TYPE "
		BLK_BACKEND_TYPE "\n"
		"(started by `xbdev attach DOMAIN vbd --disk PATH`), or vbd or\n"
		"vbd3 (a disk of an xl config, started by xbdevd).\n"
		"\n"
		"Environment: XBDEV_BLKBACK_DIRECT=1 opens the backing file\n"
		"with O_DIRECT (also: backend node direct-io-safe = 1);\n"
		"XBDEV_BLKBACK_PAGE_CACHE=0 turns off the page-cache path\n"
		"(every request through a bounce buffer and io_uring);\n"
		"XBDEV_BLKBACK_PERSISTENT=0 offers no persistent grants\n"
		"(every byte moved by grant copy);\n"
		"XBDEV_BLKBACK_MAX_PGRANTS=N maps at most N persistent grants\n"
		"per queue (1 to 1056, the default; only lower);\n"
		"XBDEV_BLKBACK_LOG_MAX=BYTES caps the log (stderr) at BYTES\n"
		"(default 1 MiB, at least 4096): past it the file is renamed\n"
		"to NAME.1 and a new one begun;\n"
		"XBDEV_CRASH_AT=POINT[:N] (tests only) kills the process with\n"
		"SIGKILL on the Nth pass through POINT: taken, submitted,\n"
		"completed, responded, publish, published, gc-batch.\n"
		"\n"
		"Exit status: 0 device closed, 1 failure, 2 usage.\n");
}

static void handle_events(struct blk_dev *d)
{
	for (unsigned i = 0; i < EVTCHN_BUDGET; i++) {
		xenevtchn_port_or_error_t port = xenevtchn_pending(d->xce);

		if (port < 0)
			break;
		xenevtchn_unmask(d->xce, (evtchn_port_t)port);
		for (unsigned k = 0; k < d->nr_queues; k++)
			if (d->q[k].local_port == port)
				d->q[k].kick = true;
	}
}

static bool have_work(const struct blk_dev *d)
{
	if (d->throttled)       /* wait for completions, do not spin */
		return false;
	for (unsigned k = 0; k < d->nr_queues; k++)
		if (d->q[k].kick)
			return true;
	return false;
}

/* ms until the next timed job (publishing info/, renewing the frontend
 * directory, a connect put off, a request the I/O limits hold), 0 if one is due, -1 if none is pending. */
static int64_t next_timer_ms(const struct blk_dev *d)
{
	int64_t now = xbdev_now_ms(), at = INT64_MAX;

	if (d->info_dirty)
		at = d->info_next_ms;
	if (d->renew_at && d->renew_at < at)
		at = d->renew_at;
	if (d->reeval_at && d->reeval_at < at)
		at = d->reeval_at;
	if (d->limiter.due_ms && d->limiter.due_ms < at)
		at = d->limiter.due_ms;
	if (at == INT64_MAX)
		return -1;
	return at > now ? at - now : 0;
}

static int run(struct blk_dev *d, const sigset_t *waitmask)
{
	while (!d->exit) {
		struct pollfd pfd[3] = {
			{ .fd = xbdev_fileno(d->xs), .events = POLLIN },
			{ .fd = d->evtchn_fd, .events = POLLIN },
			{ .fd = d->uring.ring_fd, .events = POLLIN },
		};
		struct timespec ts = { 0 }, *tsp = &ts;

		if (got_signal) {
			blk_xb_shutdown(d, strsignal(got_signal));
			break;
		}
		if (!have_work(d)) {
			int64_t left = next_timer_ms(d);

			if (left >= 0) {
				ts.tv_sec = left / 1000;
				ts.tv_nsec = (left % 1000) * 1000000;
			} else {
				tsp = NULL;
			}
		}
		if (ppoll(pfd, 3, tsp, waitmask) < 0) {
			if (errno == EINTR)
				continue;
			blk_log(d, "ppoll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents)
			blk_xb_watches(d, WATCH_DRAIN);
		if (d->ctl_due && !d->exit)
			blk_ctl_run(d);
		if (d->reeval_at && !d->exit && xbdev_now_ms() >= d->reeval_at)
			blk_xb_reevaluate(d);
		if (d->renew_at && !d->exit && xbdev_now_ms() >= d->renew_at)
			blk_xb_renew(d);
		if (d->exit)
			break;
		if (pfd[1].revents)
			handle_events(d);
		if (d->limiter.due_ms && xbdev_now_ms() >= d->limiter.due_ms)
			blk_io_limit_due(d);
		blk_io_reap(d);
		for (unsigned k = 0; k < d->nr_queues; k++) {
			struct blk_queue *q = &d->q[k];

			if (!q->kick)
				continue;
			if (blk_io_queue_work(q) == -EPROTO) {
				blk_xb_fail(d, "ring producer index beyond the "
					       "ring (broken or hostile "
					       "frontend)");
				break;
			}
		}
		blk_io_flush(d);
		blk_xb_publish(d, false);
	}
	return d->exit_code;
}

int main(int argc, char **argv)
{
	static struct blk_dev dev;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block, orig;
	int rc = 1;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("xbdev-blkback %s\n", XBDEV_VERSION);
		return 0;
	}
	if (argc != 2 || argv[1][0] != '/') {
		usage(stderr);
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	/* Once, before any request: the crash points test a takeover. */
	if (blk_crash_init(getenv("XBDEV_CRASH_AT")))
		blk_log(NULL, "XBDEV_CRASH_AT=%s: no such crash point, ignored",
			getenv("XBDEV_CRASH_AT"));

	/* No SA_RESTART: the handler only sets a flag, ppoll returns. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &orig);

	if (blk_xb_init(&dev, argv[1]) || blk_xb_probe(&dev) ||
	    blk_xb_watch(&dev)) {
		/* Tell the toolstack and the guest at once instead of
		 * letting them time out: the device will not come.  Not in a
		 * directory we refused to trust: it is not ours to write. */
		if (dev.xs && dev.be_path[0] && dev.trusted && dev.libxl) {
			/* Holding nothing, it may die of any signal. */
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			signal(SIGHUP, SIG_DFL);
			sigprocmask(SIG_SETMASK, &orig, NULL);
			blk_xb_refuse(&dev);
		}
		else if (dev.xs && dev.be_path[0] && dev.trusted)
			xbdev_state_write(dev.xs, XBDEV_TXN_NONE, dev.be_path,
					  XBDEV_STATE_CLOSED);
		goto out;
	}
	blk_xb_publish(&dev, true);
	/* Created with SIGTERM/SIGINT/SIGHUP blocked: they stay the main
	 * thread's (its ppoll). */
	if (blk_pub_start(&dev))
		blk_log(&dev, "no publisher thread: counters are published "
			"from the data path");
	rc = run(&dev, &orig);
out:
	blk_xb_fini(&dev);
	blk_log_flush(&dev);
	blk_log(&dev, "exit status %d", rc);
	return rc;
}
