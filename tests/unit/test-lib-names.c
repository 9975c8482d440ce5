/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev: names, values, numbers, states and paths (no Xen needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "xbdev.h"

static void test_names(void **s)
{
	char long_name[XBDEV_NAME_MAX + 2];

	assert_int_equal(xbdev_validate_name("vbd", false), 0);
	assert_int_equal(xbdev_validate_name("my_dev-1.x", false), 0);
	assert_int_equal(xbdev_validate_name("queue-0/ring-ref", true), 0);
	assert_int_equal(xbdev_validate_name("a/b", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("", false), -EINVAL);
	assert_int_equal(xbdev_validate_name(".", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("..", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("../x", true), -EINVAL);
	assert_int_equal(xbdev_validate_name("a//b", true), -EINVAL);
	assert_int_equal(xbdev_validate_name("a/", true), -EINVAL);
	assert_int_equal(xbdev_validate_name("/a", true), -EINVAL);
	assert_int_equal(xbdev_validate_name(".hidden", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("a b", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("a\001", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("a\n", false), -EINVAL);
	assert_int_equal(xbdev_validate_name("caf\xc3\xa9", false), -EINVAL);
	assert_int_equal(xbdev_validate_name(NULL, false), -EINVAL);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(xbdev_validate_name(long_name, false), -ENAMETOOLONG);
	long_name[XBDEV_NAME_MAX] = '\0';
	assert_int_equal(xbdev_validate_name(long_name, false), 0);
}

static void test_values(void **s)
{
	static char big[XBDEV_VALUE_MAX + 1];

	assert_int_equal(xbdev_validate_value(""), 0);
	assert_int_equal(xbdev_validate_value("/local/domain/0 x=y"), 0);
	assert_int_equal(xbdev_validate_value("caf\xc3\xa9"), 0);
	assert_int_equal(xbdev_validate_value("a\nb"), -EINVAL);
	assert_int_equal(xbdev_validate_value("a\tb"), -EINVAL);
	assert_int_equal(xbdev_validate_value("\x7f"), -EINVAL);
	assert_int_equal(xbdev_validate_value(NULL), -EINVAL);
	memset(big, 'v', XBDEV_VALUE_MAX - 1);
	assert_int_equal(xbdev_validate_value(big), 0);
	big[XBDEV_VALUE_MAX - 1] = 'v';
	assert_int_equal(xbdev_validate_value(big), -E2BIG);
}

static void test_uint(void **s)
{
	unsigned long v = 99;

	assert_int_equal(xbdev_parse_uint("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(xbdev_parse_uint("51728", XBDEV_DEVID_MAX, &v), 0);
	assert_int_equal(v, 51728);
	assert_int_equal(xbdev_parse_uint("2147483647", XBDEV_DEVID_MAX, &v),
			 0);
	assert_int_equal(xbdev_parse_uint("2147483648", XBDEV_DEVID_MAX, &v),
			 -ERANGE);
	assert_int_equal(xbdev_parse_uint("18446744073709551616", ~0UL, &v),
			 -ERANGE);
	assert_int_equal(xbdev_parse_uint("18446744073709551615", ~0UL, &v),
			 0);
	assert_true(v == ~0UL);
	assert_int_equal(xbdev_parse_uint("11", 10, &v), -ERANGE);
	assert_int_equal(xbdev_parse_uint("", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint("-1", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint("+1", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint(" 1", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint("1 ", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint("07", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint("0x1", 10, &v), -EINVAL);
	assert_int_equal(xbdev_parse_uint(NULL, 10, &v), -EINVAL);
}

static void test_states(void **s)
{
	enum xbdev_state st;

	assert_string_equal(xbdev_state_name(XBDEV_STATE_UNKNOWN), "Unknown");
	assert_string_equal(xbdev_state_name(2), "InitWait");
	assert_string_equal(xbdev_state_name(4), "Connected");
	assert_string_equal(xbdev_state_name(8), "Reconfigured");
	assert_string_equal(xbdev_state_name(9), "?");
	assert_string_equal(xbdev_state_name(-1), "none");
	assert_int_equal(xbdev_state_parse("connected", &st), 0);
	assert_int_equal(st, XBDEV_STATE_CONNECTED);
	assert_int_equal(xbdev_state_parse("InitWait", &st), 0);
	assert_int_equal(st, XBDEV_STATE_INITWAIT);
	assert_int_equal(xbdev_state_parse("6", &st), 0);
	assert_int_equal(st, XBDEV_STATE_CLOSED);
	assert_int_equal(xbdev_state_parse("9", &st), -EINVAL);
	assert_int_equal(xbdev_state_parse("Connect", &st), -EINVAL);
	assert_int_equal(xbdev_state_parse("", &st), -EINVAL);
	assert_int_equal(xbdev_state_parse("04", &st), -EINVAL);
}

static void test_paths(void **s)
{
	char b[XBDEV_PATH_MAX];
	char small[20];

	assert_int_equal(xbdev_path_frontend(b, sizeof(b), 5, "vbd", 51728),
			 0);
	assert_string_equal(b, "/local/domain/5/device/vbd/51728");
	assert_int_equal(xbdev_path_backend(b, sizeof(b), 0, "xbdev-vbd", 5,
					    51728), 0);
	assert_string_equal(b, "/local/domain/0/backend/xbdev-vbd/5/51728");
	assert_int_equal(xbdev_path_record(b, sizeof(b), 5, "mydevice", 0), 0);
	assert_string_equal(b, "/xbdev/5/mydevice/0");
	assert_int_equal(xbdev_path_join(b, sizeof(b), "/a/b", "c/d"), 0);
	assert_string_equal(b, "/a/b/c/d");
	assert_int_equal(xbdev_path_join(b, sizeof(b), "/a", "../etc"),
			 -EINVAL);
	assert_int_equal(xbdev_path_join(b, sizeof(b), "rel", "x"), -EINVAL);
	assert_int_equal(xbdev_path_frontend(b, sizeof(b), 5, "a/b", 0),
			 -EINVAL);
	assert_int_equal(xbdev_path_frontend(b, sizeof(b), 0x7ff0, "vbd", 0),
			 -EINVAL);
	assert_int_equal(xbdev_path_frontend(b, sizeof(b), 1, "vbd",
					     XBDEV_DEVID_MAX + 1u), -EINVAL);
	assert_int_equal(xbdev_path_frontend(small, sizeof(small), 5, "vbd",
					     1), -ENAMETOOLONG);
}

static void test_escape(void **s)
{
	char b[XBDEV_ESCAPED_MAX(16)], small[8];

	assert_string_equal(xbdev_escape(b, sizeof(b), "x86_64-abi"),
			    "x86_64-abi");
	assert_string_equal(xbdev_escape(b, sizeof(b), "a\nINFO: forged"),
			    "a\\x0aINFO: forged");
	assert_string_equal(xbdev_escape(b, sizeof(b), "a\nb"), "a\\x0ab");
	assert_string_equal(xbdev_escape(b, sizeof(b), "a\nb\x1b[2J"),
			    "a\\x0ab\\x1b[2J");
	assert_string_equal(xbdev_escape(b, sizeof(b), "\n\x1b[2J\x7f\xc3\xa9"),
			    "\\x0a\\x1b[2J\\x7f\\xc3\\xa9");
	assert_string_equal(xbdev_escape(b, sizeof(b), "\\"), "\\\\");
	assert_string_equal(xbdev_escape(b, sizeof(b), ""), "");
	/* Cut to the buffer, never in the middle of an escape. */
	assert_string_equal(xbdev_escape(small, sizeof(small), "abcdefgh"),
			    "abcd...");
	assert_string_equal(xbdev_escape(small, sizeof(small), "abcdefg"),
			    "abcdefg");
	assert_string_equal(xbdev_escape(small, sizeof(small), "ab\ncdef"),
			    "ab...");
	assert_string_equal(xbdev_escape(small, 1, "abc"), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
