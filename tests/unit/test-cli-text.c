/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev watch's text and JSON lines (cli/watch.c), on an in-memory
 * xenstore: the domain name shown comes from xenstore and is escaped on
 * its way to the terminal; a backend process's death is its own line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "fake-xs.h"
#include "../../cli/common.c"
#include "../../cli/watch.c"

#include "capture.h"

static struct xbdev_dev_status dev = {
	.fe = 5, .be = 0, .devid = 51728, .cls = "vbd", .type = "xbdev-vbd",
	.fe_state = 4, .be_state = 4, .pid = 4242,
};

static char *line(bool json, enum xbdev_event_type type)
{
	struct watcher w = { .json = json, .until = -1, .t0 = 1000 };
	struct xbdev_event_info e = { type, &dev, XBDEV_SIDE_BACKEND, 2, 4,
				      2500 };
	static const char name[] = "g\x1b]0;owned\x07\x1b[2J";

	fake_xs_reset();
	assert_int_equal(xbdev_open(&w.x), 0);
	/* Raw, as a guest's own write would land (xbdev_write() refuses
	 * control characters). */
	assert_true(xs_write(NULL, XBT_NULL, "/local/domain/5/name", name,
			     strlen(name)));
	capture();
	print_event(&w, &e);
	xbdev_close(w.x);
	fake_xs_reset();
	return captured();
}

static void test_state_line_escaped(void **s)
{
	char *t = line(false, XBDEV_EVENT_STATE);

	assert_string_equal(t, "+1.500s g\\x1b]0;owned\\x07\\x1b[2J vbd/51728 "
			       "backend InitWait -> Connected\n");
	free(t);
}

static void test_backend_died_line(void **s)
{
	char *t = line(false, XBDEV_EVENT_BACKEND_DIED);

	assert_string_equal(t, "+1.500s g\\x1b]0;owned\\x07\\x1b[2J vbd/51728 "
			       "backend process 4242 died (frontend Connected, "
			       "backend Connected)\n");
	free(t);
}

static void test_backend_died_json(void **s)
{
	char *t = line(true, XBDEV_EVENT_BACKEND_DIED);

	assert_non_null(strstr(t, "\"event\":\"backend-died\""));
	assert_non_null(strstr(t, "\"pid\":4242"));
	/* json-c escapes the name itself. */
	assert_non_null(strstr(t, "\"domain\":\"g\\u001b]0;owned\\u0007"));
	assert_null(strchr(t, '\x1b'));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_line_escaped),
		cmocka_unit_test(test_backend_died_line),
		cmocka_unit_test(test_backend_died_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
