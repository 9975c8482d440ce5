/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev: names, values, numbers, states and paths (no Xen needed). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
	assert_int_equal(xbdev_path_domain(b, sizeof(b), 7, NULL), 0);
	assert_string_equal(b, "/local/domain/7");
	assert_int_equal(xbdev_path_domain(b, sizeof(b), 0, "backend"), 0);
	assert_string_equal(b, "/local/domain/0/backend");
	assert_int_equal(xbdev_path_domain(b, sizeof(b), 3, "data/x"), 0);
	assert_string_equal(b, "/local/domain/3/data/x");
	assert_int_equal(xbdev_path_domain(b, sizeof(b), 0x7ff0, NULL), -EINVAL);
	assert_int_equal(xbdev_path_domain(b, sizeof(b), 1, "../x"), -EINVAL);
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

/* path -> kind, and for a device its ids, class/type and directory. */
static void expect_kind(const char *path, enum xbdev_path_kind kind)
{
	struct xbdev_path_parts pp;

	xbdev_path_parse(path, &pp);
	if (pp.kind != kind)
		fail_msg("%s: kind %d, expected %d", path, pp.kind, kind);
}

static void expect_device(const char *path, enum xbdev_path_kind kind,
			  unsigned dom, const char *name, unsigned fe,
			  unsigned devid, const char *rest)
{
	struct xbdev_path_parts pp;

	xbdev_path_parse(path, &pp);
	assert_int_equal(pp.kind, kind);
	assert_int_equal(pp.dom, dom);
	assert_string_equal(pp.name, name);
	assert_int_equal(pp.fe, fe);
	assert_int_equal(pp.devid, devid);
	assert_string_equal(pp.rest, rest);
	assert_int_equal(pp.dir_len, strlen(path) - strlen(rest));
	assert_ptr_equal(pp.rest, path + pp.dir_len);
}

static void test_path_parse(void **s)
{
	expect_device("/local/domain/5/device/vbd/51728",
		      XBDEV_PATH_FRONTEND, 5, "vbd", 5, 51728, "");
	expect_device("/local/domain/5/device/vbd/51728/state",
		      XBDEV_PATH_FRONTEND, 5, "vbd", 5, 51728, "/state");
	expect_device("/local/domain/5/device/my_dev-1.x/0/queue-0/ring-ref",
		      XBDEV_PATH_FRONTEND, 5, "my_dev-1.x", 5, 0,
		      "/queue-0/ring-ref");
	expect_device("/local/domain/0/backend/xbdev-vbd/5/51728",
		      XBDEV_PATH_BACKEND, 0, "xbdev-vbd", 5, 51728, "");
	expect_device("/local/domain/3/backend/vif/32751/7/state",
		      XBDEV_PATH_BACKEND, 3, "vif", 32751, 7, "/state");
	expect_device("/local/domain/0/device/c/2147483647/x",
		      XBDEV_PATH_FRONTEND, 0, "c", 0, XBDEV_DEVID_MAX, "/x");

	/* Directories that hold devices: their coming and going counts. */
	expect_kind("/local/domain", XBDEV_PATH_TREE);
	expect_kind("/local/domain/5", XBDEV_PATH_TREE);
	expect_kind("/local/domain/5/device", XBDEV_PATH_TREE);
	expect_kind("/local/domain/5/device/vbd", XBDEV_PATH_TREE);
	expect_kind("/local/domain/0/backend", XBDEV_PATH_TREE);
	expect_kind("/local/domain/0/backend/vbd", XBDEV_PATH_TREE);
	expect_kind("/local/domain/0/backend/vbd/5", XBDEV_PATH_TREE);
	expect_kind("/xbdev", XBDEV_PATH_RECORD);
	expect_kind("/xbdev/5/vbd/51728/info/requests", XBDEV_PATH_RECORD);
	expect_kind("@releaseDomain", XBDEV_PATH_DOMAINS);
	expect_kind("@introduceDomain", XBDEV_PATH_DOMAINS);

	/* What a guest writes elsewhere in its own directory: nothing,
	 * however much it looks like a device path. */
	expect_kind("/local/domain/5/data/device/x", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/data/backend/vbd/5/1/state",
		    XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/data/device/vbd/51728/state",
		    XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/memory/target", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/name", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/devices/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/backends", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device-misc/vif/0", XBDEV_PATH_OTHER);
	expect_kind("/local/domainx/5/device/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domains", XBDEV_PATH_OTHER);
	expect_kind("/local", XBDEV_PATH_OTHER);
	expect_kind("/tool/xenstored/device/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/vm/x/device/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/xbdevx", XBDEV_PATH_OTHER);
	expect_kind("/xbdev-other/5", XBDEV_PATH_OTHER);
	expect_kind("@releaseDomainX", XBDEV_PATH_OTHER);
	expect_kind("@introduce", XBDEV_PATH_OTHER);
	expect_kind("", XBDEV_PATH_OTHER);
	/* Ids the status scan would not take either. */
	expect_kind("/local/domain/05/device/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/x/device/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/32752/device/vbd/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device/vbd/abc", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device/vbd/abc/state", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device/vbd/01/state", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device/vbd/2147483648", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device/vbd/-1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/5/device/.x/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/0/backend/vbd/x/1", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/0/backend/vbd/5/x", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/0/backend/vbd/5/x/state", XBDEV_PATH_OTHER);
	expect_kind("/local/domain/0/backend/vbd/32752/1", XBDEV_PATH_OTHER);
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

static void write_file(const char *path, const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The last line of a backend's log, for attach's error. */
static void test_file_last_line(void **s)
{
	char dir[] = "/tmp/xbdev-tail-XXXXXX", path[64], link[64];
	char buf[16], big[5000];

	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/log", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	write_file(path, "first\nsecond line\n\n  \n", 22);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "second line");
	/* No newline at the end; cut to the buffer. */
	write_file(path, "a\nthe last line is long", 23);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "the last line i");
	/* A line that is the whole file. */
	write_file(path, "only", 4);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "only");
	/* Only the end of a big file is read: a line longer than that is
	 * its tail. */
	memset(big, 'x', sizeof(big));
	big[0] = 'A';
	big[sizeof(big) - 3] = 'Z';
	big[sizeof(big) - 2] = '\n';
	write_file(path, big, sizeof(big) - 1);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "xxxxxxxxxxxxxxx");
	write_file(path, "\n\n \n", 4);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), -ENODATA);
	assert_string_equal(buf, "");
	write_file(path, "", 0);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), -ENODATA);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(xbdev_file_last_line(link, buf, sizeof(buf)), -ELOOP);
	assert_int_equal(xbdev_file_last_line(dir, buf, sizeof(buf)), -EINVAL);
	unlink(link);
	unlink(path);
	assert_int_equal(xbdev_file_last_line(path, buf, sizeof(buf)), -ENOENT);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_states),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_path_parse),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_file_last_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
