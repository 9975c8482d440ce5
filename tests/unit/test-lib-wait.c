// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's one wait primitive (xbdev_poll_in, under every watch wait
 * and xbdev_monitor): readable fd, deadline, and the cancel fd that
 * xbdev_set_cancel_fd() installs for signal handlers - a byte written
 * before the wait starts still ends it (the race EINTR alone has).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_readable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_before_wait, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
