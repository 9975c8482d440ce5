// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xbdev status (cli/status.c) run on the in-memory xenstore of fake-xs.h:
 * guest 5's served xvdb with the grant keys its backend publishes under
 * info/.  The grant use and its warnings where status shows them: the
 * device's grants line and warning lines, its JSON "grants" and
 * "warnings", the list's JSON rows and the lines below the table on
 * standard error.
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

#include "xbdev-internal.h"
#include "fake-xs.h"
#include "../../cli/common.c"
#include "../../cli/gone.c"
#include "../../cli/status.c"

#include "capture.h"
#include "served-vbd.h"

#define INFO REC "/info/"
#define CAP_WARNING                                                            \
	"persistent grants at 100% of the cap (8/8 mapped): past it the "      \
	"guest's new grants go through grant copy (slower)"

static int setup(void **s)
{
	(void)s;
	served_vbd_setup(100);
	served_vbd_grants("3", "8", "5", "1");
	setenv("XBDEV_NO_LIBXL", "1", 1);
	cli_cmd_name = "status";
	return 0;
}

/* xbdev status ARGS...: its exit code, stdout in *o and stderr in *e. */
static int status(char **o, char **e, const char *a1, const char *a2,
		  const char *a3)
{
	return run_captured(run, "xbdev status", o, e, a1, a2, a3);
}

/* The output of status --json (of the device, or the list's one row)
 * has the warning of the cap and no other. */
static void expect_cap_warning(const char *text, bool list)
{
	json_object *o = json_tokener_parse(text), *w = NULL;

	assert_non_null(o);
	if (list) {
		assert_int_equal(json_object_array_length(o), 1);
		json_object_object_get_ex(json_object_array_get_idx(o, 0),
					  "warnings", &w);
	} else {
		json_object_object_get_ex(o, "warnings", &w);
	}
	assert_non_null(w);
	assert_int_equal(json_object_array_length(w), 1);
	assert_string_equal(
		json_object_get_string(json_object_array_get_idx(w, 0)),
		CAP_WARNING);
	json_object_put(o);
}

/* Below 90% of the cap: the grants line and numbers, no warning. */
static void test_below_cap(void **s)
{
	json_object *o, *g, *v;
	char *txt, *err;

	(void)s;
	assert_int_equal(status(&txt, &err, "guest", "xvdb", NULL), 0);
	assert_non_null(strstr(txt, "\ngrants          3/8 persistent "
				    "mapped (37%), peak 5, ring 1, copy "
				    "failures 0, map failures 0\n"));
	assert_null(strstr(txt, "\nwarning"));
	assert_string_equal(err, "");
	free(txt);
	free(err);
	assert_int_equal(status(&txt, &err, "guest", "xvdb", "--json"), 0);
	o = json_tokener_parse(txt);
	assert_true(json_object_object_get_ex(o, "grants", &g));
	assert_true(json_object_object_get_ex(g, "persistent-grants", &v));
	assert_int_equal(json_object_get_int64(v), 3);
	assert_true(json_object_object_get_ex(g, "persistent-grants-max", &v));
	assert_int_equal(json_object_get_int64(v), 8);
	assert_true(json_object_object_get_ex(o, "warnings", &v));
	assert_int_equal(json_object_array_length(v), 0);
	json_object_put(o);
	free(txt);
	free(err);
	assert_int_equal(status(&txt, &err, NULL, NULL, NULL), 0);
	assert_string_equal(err, "");
	free(txt);
	free(err);
}

/* At the cap: the warning in each place status shows it. */
static void test_at_cap(void **s)
{
	char *txt, *err;

	(void)s;
	put(INFO "persistent-grants", "8");
	assert_int_equal(status(&txt, &err, "guest", "xvdb", NULL), 0);
	assert_non_null(strstr(txt, "\ngrants          8/8 persistent "
				    "mapped (100%), peak 5, "));
	assert_non_null(strstr(txt, "\nwarning         " CAP_WARNING "\n"));
	free(txt);
	free(err);
	assert_int_equal(status(&txt, &err, "guest", "xvdb", "--json"), 0);
	expect_cap_warning(txt, false);
	free(txt);
	free(err);
	assert_int_equal(status(&txt, &err, "--json", NULL, NULL), 0);
	expect_cap_warning(txt, true);
	free(txt);
	free(err);
	assert_int_equal(status(&txt, &err, NULL, NULL, NULL), 0);
	assert_string_equal(
		err, "xbdev: status: guest xvdb: warning: " CAP_WARNING "\n");
	free(txt);
	free(err);
}

/* A backend that publishes no grant keys: no grants line, no object. */
static void test_no_keys(void **s)
{
	json_object *o;
	char *txt, *err;

	(void)s;
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, INFO "ring-grants"), 0);
	assert_int_equal(status(&txt, &err, "guest", "xvdb", NULL), 0);
	assert_null(strstr(txt, "\ngrants "));
	free(txt);
	free(err);
	assert_int_equal(status(&txt, &err, "guest", "xvdb", "--json"), 0);
	o = json_tokener_parse(txt);
	assert_false(json_object_object_get_ex(o, "grants", NULL));
	json_object_put(o);
	free(txt);
	free(err);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)
	const struct CMUnitTest tests[] = {
		T(test_below_cap),
		T(test_at_cap),
		T(test_no_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
