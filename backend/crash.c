// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Crash points (issue 14): XBDEV_CRASH_AT=POINT[:N] makes the backend
 * raise SIGKILL on the Nth pass (default the first) through the named
 * point of the data path, so that a replacement process's takeover from
 * the journal can be tested at every step of a request.  Read once at
 * start (main.c); unset, each point costs one test of blk_crash_armed, a
 * branch predicted not taken (BLK_CRASH).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "blkback.h"

bool blk_crash_armed;
static enum blk_crash_point crash_at;
static unsigned long crash_left;

static const char *const crash_names[BLK_CRASH_POINTS] = {
	[BLK_CRASH_TAKEN] = "taken",
	[BLK_CRASH_SUBMITTED] = "submitted",
	[BLK_CRASH_COMPLETED] = "completed",
	[BLK_CRASH_RESPONDED] = "responded",
	[BLK_CRASH_PUBLISH] = "publish",
	[BLK_CRASH_PUBLISHED] = "published",
	[BLK_CRASH_GC_BATCH] = "gc-batch",
};

const char *blk_crash_name(enum blk_crash_point p)
{
	return (unsigned)p < BLK_CRASH_POINTS ? crash_names[p] : NULL;
}

int blk_crash_init(const char *spec)
{
	const char *colon;
	size_t len;
	unsigned long n = 1;
	char *end;

	blk_crash_armed = false;
	if (!spec || !spec[0])
		return 0;
	colon = strchr(spec, ':');
	len = colon ? (size_t)(colon - spec) : strlen(spec);
	if (colon) {
		errno = 0;
		n = strtoul(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || !n ||
		    colon[1] == '-' || n > UINT_MAX)
			return -EINVAL;
	}
	for (unsigned p = 0; p < BLK_CRASH_POINTS; p++) {
		if (strlen(crash_names[p]) != len ||
		    strncmp(crash_names[p], spec, len))
			continue;
		crash_at = (enum blk_crash_point)p;
		crash_left = n;
		blk_crash_armed = true;
		return 0;
	}
	return -EINVAL;
}

void blk_crash_pass(enum blk_crash_point p)
{
	if (p != crash_at || --crash_left)
		return;
	/* Not abort(): no handler, no core, no flush; what a kill -9 or the
	 * OOM killer leaves. */
	raise(SIGKILL);
}
