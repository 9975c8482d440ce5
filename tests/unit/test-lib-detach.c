// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * detach's protocol (lib/detach.c) on the in-memory xenstore of
 * fake-xs.h, with its watch events: the toolstack writes online=0 and
 * Closing, the frontend answers Closed, then the backend; then the device
 * is removed.  The two drivers are played by fake_xs_idle (called when
 * detach is about to sleep on its watch), each answering only what it has
 * been asked.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"
#include "fake-xs.h"
#include "served-vbd.h"

static struct xbdev_record rec;
static bool fe_answers, be_answers;

/* What detach saw, in order: 'f'/'b' and the state. */
static char seen[64];
static unsigned n_seen;

static int state_of(const char *dir)
{
	enum xbdev_state st;

	return xbdev_state_read(x, XBDEV_TXN_NONE, dir, &st) ? -1 : (int)st;
}

/* The drivers: a frontend asked to close (its backend Closing) closes; a
 * backend closes once offline with its frontend Closed.  One step per
 * call, as each would answer its own watch. */
static void drivers(void)
{
	char *online = NULL;
	bool offline;

	if (fe_answers && state_of(BE) == XBDEV_STATE_CLOSING &&
	    state_of(FE) != XBDEV_STATE_CLOSED) {
		put(FE "/state", "6");
		return;
	}
	offline = !xbdev_read(x, XBDEV_TXN_NONE, BE "/online", &online) &&
		  !strcmp(online, "0");
	free(online);
	if (be_answers && offline && state_of(FE) == XBDEV_STATE_CLOSED &&
	    state_of(BE) == XBDEV_STATE_CLOSING)
		put(BE "/state", "6");
}

static void on_state(enum xbdev_side side, enum xbdev_state st, void *arg)
{
	(void)arg;
	if (n_seen + 2 < sizeof(seen)) {
		seen[n_seen++] = side == XBDEV_SIDE_FRONTEND ? 'f' : 'b';
		seen[n_seen++] = (char)('0' + st);
	}
}

/* Guest 5's xvdb, both ends Connected; both drivers answer. */
static int setup(void **s)
{
	(void)s;
	served_vbd_setup(1);
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &rec), 0);
	fake_xs_idle = drivers;
	fe_answers = be_answers = true;
	memset(seen, 0, sizeof(seen));
	n_seen = 0;
	return 0;
}

static int detach(bool force, enum xbdev_side *stuck)
{
	struct xbdev_detach_opts o = {
		.force = force,
		.deadline_ms = xbdev_now_ms() + 300,
		.on_state = on_state,
	};

	return xbdev_detach(x, &rec, &o, stuck);
}

static bool gone(const char *path)
{
	return xbdev_exists(x, XBDEV_TXN_NONE, path) == 0;
}

static void test_both_ends_close(void **s)
{
	(void)s;
	assert_int_equal(detach(false, NULL), 0);
	/* the frontend seen Connected then Closed, then the backend
	 * Closing then Closed */
	assert_string_equal(seen, "f4f6b5b6");
	assert_true(gone(FE) && gone(BE) && gone(REC));
	assert_true(gone("/xbdev"));
}

/* A backend already Closed (its guest's driver closed first) is not asked
 * to close again: Closing over Closed would be a request nobody answers. */
static void test_closed_backend_left_closed(void **s)
{
	(void)s;
	put(FE "/state", "6");
	put(BE "/state", "6");
	be_answers = false;
	assert_int_equal(detach(false, NULL), 0);
	assert_null(strstr(seen, "b5"));
	assert_true(gone(FE) && gone(BE) && gone(REC));
}

static void test_frontend_never_answers(void **s)
{
	enum xbdev_side stuck = XBDEV_SIDE_BACKEND;
	char *v = NULL;

	(void)s;
	fe_answers = false;
	assert_int_equal(detach(false, &stuck), -ETIMEDOUT);
	assert_int_equal(stuck, XBDEV_SIDE_FRONTEND);
	/* Nothing removed; the backend asked to close, the record says
	 * since when. */
	assert_int_equal(state_of(BE), XBDEV_STATE_CLOSING);
	assert_int_equal(xbdev_read(x, XBDEV_TXN_NONE, BE "/online", &v), 0);
	assert_string_equal(v, "0");
	free(v);
	assert_int_equal(xbdev_exists(x, XBDEV_TXN_NONE, REC "/detaching"), 1);
	assert_int_equal(state_of(FE), XBDEV_STATE_CONNECTED);
}

static void test_force(void **s)
{
	enum xbdev_side stuck = XBDEV_SIDE_FRONTEND;

	(void)s;
	be_answers = false;
	assert_int_equal(detach(true, &stuck), 0);
	assert_int_equal(stuck, XBDEV_SIDE_BACKEND);
	assert_true(gone(FE) && gone(BE) && gone(REC));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_both_ends_close),
		T(test_closed_backend_left_closed),
		T(test_frontend_never_answers),
		T(test_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
