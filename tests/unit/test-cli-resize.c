/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev resize's SIZE (cli/resize.c, compiled in for its static parser):
 * bytes or K/M/G/T (1024-based), "+" to add, a multiple of 512, nothing
 * that overflows; and the request's argument built from it (what the
 * backend's resize_parse takes).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../cli/common.c"
#include "../../cli/control.c"
#include "../../cli/resize.c"

#include "capture.h"

static void size_ok(const char *s, bool rel, uint64_t want)
{
	bool r = !rel;
	uint64_t v = 0;

	if (resize_size(s, &r, &v))
		fail_msg("'%s' refused", s);
	assert_int_equal(r, rel);
	assert_int_equal(v, want);
}

static void size_err(const char *s, int want)
{
	bool r;
	uint64_t v;
	int err = resize_size(s, &r, &v);

	if (err != want)
		fail_msg("'%s': %d, not %d", s, err, want);
}

static void test_suffixes(void **s)
{
	(void)s;
	size_ok("512", false, 512);
	size_ok("134217728", false, 134217728);
	size_ok("1K", false, 1024);
	size_ok("128M", false, 128ull << 20);
	size_ok("128m", false, 128ull << 20);
	size_ok("2G", false, 2ull << 30);
	size_ok("3T", false, 3ull << 40);
	size_ok("+16M", true, 16ull << 20);
	size_ok("+512", true, 512);
	size_ok("8388607T", false, 8388607ull << 40);
}

static void test_refused(void **s)
{
	(void)s;
	size_err("", -EINVAL);
	size_err("+", -EINVAL);
	size_err("M", -EINVAL);
	size_err("0", -EINVAL);
	size_err("+0", -EINVAL);
	size_err("0K", -EINVAL);
	size_err("-512", -EINVAL);
	size_err("1.5G", -EINVAL);
	size_err("1GB", -EINVAL);
	size_err("1P", -EINVAL);
	size_err("1 G", -EINVAL);
	size_err("012", -EINVAL);
	size_err("++1M", -EINVAL);
	size_err("1000", -EDOM);
	size_err("+100", -EDOM);
	size_err("8388608T", -ERANGE);
	size_err("9223372036854775808", -ERANGE);
	size_err("99999999999999999999999999", -ERANGE);
	/* the largest multiple of 512 below 2^63 */
	size_ok("9223372036854775296", false, 9223372036854775296ull);
}

static void test_request_arg(void **s)
{
	struct resize_args a = { .size = "+16M" };
	char buf[64], *err;

	(void)s;
	assert_int_equal(resize_arg(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "+16777216");
	a.size = "128M";
	a.force = true;
	assert_int_equal(resize_arg(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "134217728 force");
	a.size = NULL;
	a.follow = true;
	assert_int_equal(resize_arg(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "follow force");
	a.force = false;
	assert_int_equal(resize_arg(&a, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "follow");
	a.follow = false;
	a.size = "1000";
	capture_stderr();
	assert_int_equal(resize_arg(&a, buf, sizeof(buf)), XBDEV_EXIT_USAGE);
	err = captured_stderr();
	assert_string_equal(err, "xbdev: SIZE '1000' is not a multiple of 512 "
				 "bytes\n");
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suffixes),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_request_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
