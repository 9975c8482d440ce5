// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device events, one line each, on stderr: `xbdev attach` points stdout and
 * stderr at /var/log/xbdev/vbd-<fe>-<devid>.log (O_APPEND).  UTC timestamps
 * with milliseconds so the log lines up with the lab's serial log.
 *
 * A guest must not be able to grow this file without bound or write into
 * it what it likes (XSA-style log flooding and forged lines):
 *  - every byte of a message below 0x20 or from 0x7f up becomes '?', the
 *    last line of defence behind xbdev_escape() of anything the guest wrote
 *    (which keeps it readable: "\x0a");
 *  - the lines a guest can trigger at will (blk_log_guest) go through a
 *    token bucket per kind, BLK_RL_BURST lines then one every
 *    BLK_RL_REFILL_MS; the next line let by says how many were dropped;
 *  - past the size cap the file is renamed to <name>.1 (the previous .1 is
 *    replaced) and a new <name> is opened onto fds 1 and 2: at most twice
 *    the cap on disk, the latest lines always kept.  When the rename or
 *    the new file cannot be had, the file is truncated instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "blkback.h"

static const char *const kind_names[BLK_LOG_KINDS] = {
	[BLK_LOG_STATE] = "frontend state changes",
	[BLK_LOG_CONNECT] = "refused connects",
	[BLK_LOG_NODE] = "malformed frontend nodes",
};

/* The publisher thread logs too: one line written and bounded at a time. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static size_t log_cap;          /* 0: not read from the environment yet */

static void stamp(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(tv.tv_usec / 1000) % 1000);
}

static void neutralise(char *s)
{
	for (unsigned char *p = (unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			*p = '?';
}

size_t blk_log_cap(const char *env)
{
	unsigned long v;

	if (!env || xbdev_parse_uint(env, SIZE_MAX, &v))
		return BLK_LOG_MAX_DEFAULT;
	return v < BLK_LOG_MAX_MIN ? BLK_LOG_MAX_MIN : (size_t)v;
}

/* The file behind stderr, by name, if that name still leads to it. */
static int log_name(char *buf, size_t len, const struct stat *cur)
{
	struct stat sb;
	ssize_t n = readlink("/proc/self/fd/2", buf, len - 1);

	if (n <= 0 || buf[0] != '/')
		return -ENOENT;
	buf[n] = '\0';
	if (lstat(buf, &sb) || !S_ISREG(sb.st_mode) ||
	    sb.st_dev != cur->st_dev || sb.st_ino != cur->st_ino)
		return -ENOENT;
	return 0;
}

/* Rename the log to .1 and open a fresh one in its place; -errno when the
 * log stays where it was (the caller truncates it). */
static int rotate(const struct stat *cur)
{
	char name[PATH_MAX], old[PATH_MAX + 2];
	int fd, err = log_name(name, sizeof(name), cur);

	if (err)
		return err;
	if ((size_t)snprintf(old, sizeof(old), "%s.1", name) >= sizeof(old))
		return -ENAMETOOLONG;
	if (rename(name, old))
		return -errno;
	/* O_EXCL: nobody's file or symlink put there meanwhile is followed. */
	fd = open(name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW |
			O_CLOEXEC, cur->st_mode & 0666);
	if (fd < 0)
		return -errno;
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

void blk_log_bound(size_t cap)
{
	struct stat sb;

	fflush(stdout);
	fflush(stderr);
	if (fstat(STDERR_FILENO, &sb) || !S_ISREG(sb.st_mode) ||
	    (uint64_t)sb.st_size < cap)
		return;
	if (rotate(&sb) == 0) {
		fprintf(stderr, "(log rotated at %zu bytes: earlier lines in the "
			".1 file)\n", cap);
		return;
	}
	/* Whatever the file is now: keep writing into it, from empty. */
	if (ftruncate(STDERR_FILENO, 0) == 0)
		fprintf(stderr, "(log truncated at %zu bytes)\n", cap);
}

static void vlog(struct blk_dev *d, const char *prefix, const char *fmt,
		 va_list ap)
{
	char ts[64], msg[1024];

	stamp(ts, sizeof(ts));
	vsnprintf(msg, sizeof(msg), fmt, ap);
	neutralise(msg);
	pthread_mutex_lock(&log_lock);
	if (!log_cap)
		log_cap = blk_log_cap(getenv("XBDEV_BLKBACK_LOG_MAX"));
	/* One fprintf per line: lines from a dying process stay whole. */
	fprintf(stderr, "%s xbdev-blkback[%d] %s: %s%s\n", ts, (int)getpid(),
		d && d->tag[0] ? d->tag : "-", prefix, msg);
	blk_log_bound(log_cap);
	pthread_mutex_unlock(&log_lock);
}

void blk_log(struct blk_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(d, "", fmt, ap);
	va_end(ap);
}

bool blk_rl_allow(struct blk_rl *rl, int64_t now_ms, unsigned *suppressed)
{
	if (!rl->primed || now_ms < rl->refill_ms) {
		rl->primed = true;
		rl->tokens = BLK_RL_BURST;
		rl->refill_ms = now_ms;
	}
	if (rl->tokens < BLK_RL_BURST) {
		int64_t n = (now_ms - rl->refill_ms) / BLK_RL_REFILL_MS;

		if (n >= BLK_RL_BURST - rl->tokens) {
			rl->tokens = BLK_RL_BURST;
			rl->refill_ms = now_ms;
		} else {
			rl->tokens += (unsigned)n;
			rl->refill_ms += n * BLK_RL_REFILL_MS;
		}
	} else {
		rl->refill_ms = now_ms;
	}
	*suppressed = 0;
	if (!rl->tokens) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return true;
}

static void log_suppressed(struct blk_dev *d, enum blk_log_kind kind,
			   unsigned n)
{
	if (n)
		blk_log(d, "%u similar lines suppressed (%s)", n,
			kind_names[kind]);
}

static void vlog_guest(struct blk_dev *d, enum blk_log_kind kind,
		       const char *prefix, const char *fmt, va_list ap)
{
	unsigned n;

	/* Without a device (early libxbdev lines) there is no bucket; those
	 * come before any guest input. */
	if (d && !blk_rl_allow(&d->rl[kind], xbdev_now_ms(), &n))
		return;
	if (d)
		log_suppressed(d, kind, n);
	vlog(d, prefix, fmt, ap);
}

void blk_log_guest(struct blk_dev *d, enum blk_log_kind kind,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog_guest(d, kind, "", fmt, ap);
	va_end(ap);
}

void blk_log_flush(struct blk_dev *d)
{
	for (unsigned k = 0; k < BLK_LOG_KINDS; k++) {
		log_suppressed(d, k, d->rl[k].suppressed);
		d->rl[k].suppressed = 0;
	}
}

void blk_lib_log(void *data, int prio, const char *fmt, va_list ap)
{
	if (prio >= LOG_DEBUG)
		return;
	vlog_guest(data, BLK_LOG_NODE, "libxbdev: ", fmt, ap);
}
