// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Device events, one line each, on stderr: `xbdev attach` points stderr at
 * /var/log/xbdev/vbd-<fe>-<devid>.log.  UTC timestamps with milliseconds so
 * the log lines up with the lab's serial log.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "blkback.h"

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

static void vlog(struct blk_dev *d, const char *prefix, const char *fmt,
		 va_list ap)
{
	char ts[64], msg[1024];

	stamp(ts, sizeof(ts));
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One fprintf per line: lines from a dying process stay whole. */
	fprintf(stderr, "%s xbdev-blkback[%d] %s: %s%s\n", ts, (int)getpid(),
		d && d->tag[0] ? d->tag : "-", prefix, msg);
}

void blk_log(struct blk_dev *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(d, "", fmt, ap);
	va_end(ap);
}

void blk_lib_log(void *data, int prio, const char *fmt, va_list ap)
{
	if (prio >= LOG_DEBUG)
		return;
	vlog(data, "libxbdev: ", fmt, ap);
}
