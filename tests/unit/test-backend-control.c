// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xbdev-blkback's side of the ctl/ requests (backend/control.c) on the
 * in-memory xenstore of fake-xs.h: a pending request is taken once and
 * answered (an unknown one with EOPNOTSUPP, a malformed one with its
 * error), nothing is written when none is pending, and an answer never
 * lands on a request the requester withdrew.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

#include <cmocka.h>

#include "fake-xs.h"
#include "blkback.h"

#define REC "/xbdev/5/vbd/51728"
#define CTL REC "/" XBDEV_CTL_DIR "/"

static struct blk_dev d;

static void put(const char *path, const char *value)
{
	assert_int_equal(xbdev_write(d.xs, XBDEV_TXN_NONE, path, value), 0);
}

static char *get(const char *path)
{
	static char buf[256];
	char *v = NULL;

	if (xbdev_read(d.xs, XBDEV_TXN_NONE, path, &v))
		return NULL;
	snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

static int setup(void **s)
{
	(void)s;
	fake_xs_reset();
	memset(&d, 0, sizeof(d));
	assert_int_equal(xbdev_open(&d.xs), 0);
	snprintf(d.record_path, sizeof(d.record_path), "%s", REC);
	snprintf(d.tag, sizeof(d.tag), "vbd-5-51728");
	put(REC "/type", "xbdev-vbd");
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	xbdev_close(d.xs);
	fake_xs_reset();
	return 0;
}

static void test_nothing_pending(void **s)
{
	(void)s;
	d.ctl_due = true;
	blk_ctl_run(&d);
	assert_false(d.ctl_due);
	assert_null(get(CTL "done"));
	assert_null(get(CTL "result"));
}

static void test_unknown_answered_once(void **s)
{
	(void)s;
	put(CTL "op", "frobnicate");
	put(CTL "arg", "1");
	put(CTL "request", "4");
	put(CTL "done", "3");
	d.ctl_due = true;
	blk_ctl_run(&d);
	assert_false(d.ctl_due);
	assert_string_equal(get(CTL "done"), "4");
	assert_string_equal(get(CTL "result"), "-95");
	assert_string_equal(get(CTL "message"), "unknown request");
	/* taken once: a second run finds nothing to answer */
	put(CTL "message", "seen");
	blk_ctl_run(&d);
	assert_string_equal(get(CTL "message"), "seen");
}

static void test_malformed_answered(void **s)
{
	char big[XBDEV_CTL_ARG_MAX + 2];

	(void)s;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(CTL "op", "resize");
	put(CTL "arg", big);
	put(CTL "request", "1");
	blk_ctl_run(&d);
	assert_string_equal(get(CTL "done"), "1");
	assert_string_equal(get(CTL "result"), "-36");
	assert_string_equal(get(CTL "message"), "malformed request");
}

/* The requester withdrew (done = request, its own answer): ours is not
 * written over it. */
static void test_withdrawn(void **s)
{
	struct xbdev_ctl_request q;
	bool written = true;

	(void)s;
	put(CTL "op", "frobnicate");
	put(CTL "arg", "");
	put(CTL "request", "2");
	put(CTL "done", "1");
	assert_int_equal(xbdev_ctl_take(d.xs, XBDEV_TXN_NONE, REC, &q), 0);
	put(CTL "result", "-110");
	put(CTL "done", "2");
	assert_int_equal(xbdev_ctl_answer(d.xs, REC, q.seq, -95, "x", &written),
			 0);
	assert_false(written);
	assert_string_equal(get(CTL "result"), "-110");
}

/* Request limit (backend/io.c): the new limits are kept in the record,
 * then in force, and answered with their canonical form; "" reports
 * them; a bad spec changes nothing; none removes the record's node. */
static void test_limit(void **s)
{
	char msg[256];

	(void)s;
	put(CTL "op", "limit");
	put(CTL "arg", "iops=100,burst=1");
	put(CTL "request", "1");
	blk_ctl_run(&d);
	assert_string_equal(get(CTL "result"), "0");
	assert_string_equal(get(CTL "message"), "riops=100,wiops=100,burst=1");
	assert_string_equal(get(REC "/" XBDEV_RECORD_LIMIT),
			    "riops=100,wiops=100,burst=1");
	assert_true(d.limiter.on);
	assert_int_equal(d.limiter.spec.riops, 100);
	assert_int_equal(blk_ctl_dispatch(&d, "limit", "", msg, sizeof(msg)), 0);
	assert_string_equal(msg, "riops=100,wiops=100,burst=1");
	assert_int_equal(blk_ctl_dispatch(&d, "limit", "riops=x", msg,
					  sizeof(msg)), -EINVAL);
	assert_string_equal(get(REC "/" XBDEV_RECORD_LIMIT),
			    "riops=100,wiops=100,burst=1");
	assert_int_equal(d.limiter.spec.riops, 100);
	assert_int_equal(blk_ctl_dispatch(&d, "limit", "none", msg,
					  sizeof(msg)), 0);
	assert_string_equal(msg, "none");
	assert_null(get(REC "/" XBDEV_RECORD_LIMIT));
	assert_false(d.limiter.on);
	assert_int_equal(blk_ctl_dispatch(&d, "limit", "none", msg,
					  sizeof(msg)), 0);
	assert_int_equal(blk_ctl_dispatch(&d, "limit", "", msg, sizeof(msg)), 0);
	assert_string_equal(msg, "none");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_nothing_pending),
		T(test_unknown_answered_once),
		T(test_malformed_answered),
		T(test_withdrawn),
		T(test_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
