// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's one wait primitive (xbdev_poll_in, under every watch wait
 * and xbdev_monitor): readable fd, deadline, and the cancel fd that
 * xbdev_set_cancel_fd() installs for signal handlers - a byte written
 * before the wait starts still ends it (the race EINTR alone has).  And
 * xbdev_wait_state on the in-memory xenstore of fake-xs.h: it takes its
 * own watch's events only, and keeps the others, in order, for
 * xbdev_watch_read.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"
#include "fake-xs.h"

struct pipes {
	int ev[2], cancel[2];
};

static int setup(void **state)
{
	static struct pipes p;

	assert_int_equal(pipe2(p.ev, O_CLOEXEC | O_NONBLOCK), 0);
	assert_int_equal(pipe2(p.cancel, O_CLOEXEC | O_NONBLOCK), 0);
	*state = &p;
	return 0;
}

static int teardown(void **state)
{
	struct pipes *p = *state;

	for (unsigned i = 0; i < 2; i++) {
		close(p->ev[i]);
		close(p->cancel[i]);
	}
	return 0;
}

static void test_readable(void **state)
{
	struct pipes *p = *state;

	assert_int_equal(write(p->ev[1], "x", 1), 1);
	assert_int_equal(xbdev_poll_in(p->ev[0], p->cancel[0], -1), 0);
	assert_int_equal(xbdev_poll_in(p->ev[0], -1, -1), 0);
}

static void test_deadline(void **state)
{
	struct pipes *p = *state;
	int64_t t0 = xbdev_now_ms();

	/* nothing readable: the deadline ends the wait */
	assert_int_equal(xbdev_poll_in(p->ev[0], p->cancel[0], t0 + 50),
			 0);     /* poll() timed out: caller re-checks */
	assert_true(xbdev_now_ms() - t0 >= 40);
	assert_int_equal(xbdev_poll_in(p->ev[0], p->cancel[0], t0 - 1),
			 -ETIMEDOUT);
}

static void test_cancel_before_wait(void **state)
{
	struct pipes *p = *state;

	/* the "signal" came before the wait started: not lost */
	assert_int_equal(write(p->cancel[1], "", 1), 1);
	assert_int_equal(xbdev_poll_in(p->ev[0], p->cancel[0], -1),
			 -ECANCELED);
	/* and it stays: every later wait ends too */
	assert_int_equal(xbdev_poll_in(p->ev[0], p->cancel[0],
				       xbdev_now_ms() + 5000),
			 -ECANCELED);
}

#define FE "/local/domain/5/device/vbd/51728"
#define BE_DIR "/local/domain/0/backend/xbdev-vbd/5/51728"

static struct xbdev *xw;

/* The peer: the frontend moves on one state each time the waiter would
 * sleep, up to Connected. */
static void frontend_steps(void)
{
	enum xbdev_state st;

	assert_int_equal(xbdev_state_read(xw, XBDEV_TXN_NONE, FE, &st), 0);
	if (st < XBDEV_STATE_CONNECTED)
		assert_int_equal(xbdev_state_write(xw, XBDEV_TXN_NONE, FE,
						   st + 1), 0);
}

static bool is_connected(enum xbdev_state st, void *arg)
{
	(void)arg;
	return st == XBDEV_STATE_CONNECTED;
}

static void next_event(const char *path, const char *token)
{
	char *p = NULL, *t = NULL;

	assert_int_equal(xbdev_watch_read(xw, &p, &t), 0);
	assert_string_equal(p, path);
	assert_string_equal(t, token);
	free(p);
	free(t);
}

static void test_wait_keeps_other_events(void **state)
{
	(void)state;
	fake_xs_reset();
	assert_int_equal(xbdev_open(&xw), 0);
	assert_int_equal(xbdev_state_write(xw, XBDEV_TXN_NONE, FE,
					   XBDEV_STATE_INITIALISING), 0);
	assert_int_equal(xbdev_watch(xw, FE, "mine-too"), 0);
	fake_xs_idle = frontend_steps;
	assert_int_equal(xbdev_wait_state(xw, FE, is_connected, NULL,
					  xbdev_now_ms() + 2000, NULL), 0);
	fake_xs_idle = NULL;
	/* The other watch's events: its first, then the three states. */
	next_event(FE, "mine-too");
	next_event(FE "/state", "mine-too");
	next_event(FE "/state", "mine-too");
	next_event(FE "/state", "mine-too");
	assert_int_equal(fake_xs_events_queued(), 0);
	xbdev_close(xw);
	fake_xs_reset();
}

/* A plan whose backend has gone Closed, its daemon pid (0: none). */
static int wait_on_closed(long pid)
{
	struct xbdev_plan p = { .pid = pid };
	struct xbdev_attach_wait_opts o = {
		.until = XBDEV_UNTIL_CONNECTED,
		.deadline_ms = xbdev_now_ms() + 5000,
	};
	int st[2], err;

	fake_xs_reset();
	assert_int_equal(xbdev_open(&xw), 0);
	strcpy(p.fe_dir, FE);
	strcpy(p.be_dir, BE_DIR);
	assert_int_equal(xbdev_state_write(xw, XBDEV_TXN_NONE, FE,
					   XBDEV_STATE_INITIALISING), 0);
	assert_int_equal(xbdev_state_write(xw, XBDEV_TXN_NONE, BE_DIR,
					   XBDEV_STATE_CLOSED), 0);
	err = xbdev_attach_wait(xw, &p, &o, st);
	assert_int_equal(st[0], XBDEV_STATE_INITIALISING);
	assert_int_equal(st[1], XBDEV_STATE_CLOSED);
	xbdev_close(xw);
	fake_xs_reset();
	return err;
}

static long child(unsigned ms)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		usleep(ms * 1000);
		_exit(0);
	}
	return (long)pid;
}

/* A daemon that wrote its backend's Closed and exits: attach is told it
 * died (and says so, with its log), not that the device closed. */
static void test_attach_wait_daemon_died(void **state)
{
	long pid;

	(void)state;
	assert_int_equal(wait_on_closed(0), -ECONNREFUSED);
	assert_int_equal(wait_on_closed(child(100)), -ECHILD);
	/* One that lives on: the device closed, and that is all. */
	pid = child(3000);
	assert_int_equal(wait_on_closed(pid), -ECONNREFUSED);
	kill((pid_t)pid, SIGKILL);
	waitpid((pid_t)pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_before_wait, setup,
						teardown),
		cmocka_unit_test(test_wait_keeps_other_events),
		cmocka_unit_test(test_attach_wait_daemon_died),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
