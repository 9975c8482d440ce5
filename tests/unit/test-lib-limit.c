// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The I/O limit spec (lib/limit.c): what is accepted and what it means,
 * what is refused (with *out untouched), and that the canonical form
 * parses back to the same limits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "xbdev.h"

static struct xbdev_limit parse_ok(const char *spec)
{
	struct xbdev_limit l;

	memset(&l, 0xee, sizeof(l));
	if (xbdev_limit_parse(spec, &l))
		fail_msg("refused: '%s'", spec);
	return l;
}

static bool any(const char *spec)
{
	struct xbdev_limit l = parse_ok(spec);

	return xbdev_limit_any(&l);
}

static const char *fmt(const char *spec)
{
	static char buf[XBDEV_LIMIT_SPEC_MAX];
	struct xbdev_limit l = parse_ok(spec);

	assert_int_equal(xbdev_limit_format(&l, buf, sizeof(buf)), 0);
	return buf;
}

static void test_keys(void **s)
{
	struct xbdev_limit l;

	(void)s;
	l = parse_ok("riops=200");
	assert_int_equal(l.riops, 200);
	assert_int_equal(l.wiops, 0);
	assert_int_equal(l.rbps, 0);
	assert_int_equal(l.wbps, 0);
	assert_int_equal(l.burst_ms, XBDEV_LIMIT_BURST_MS_DEFAULT);
	l = parse_ok("wiops=7,rbps=1k,wbps=3M,burst=2");
	assert_int_equal(l.riops, 0);
	assert_int_equal(l.wiops, 7);
	assert_int_equal(l.rbps, 1024);
	assert_int_equal(l.wbps, 3u << 20);
	assert_int_equal(l.burst_ms, 2000);
	l = parse_ok("iops=5,bps=1G");
	assert_int_equal(l.riops, 5);
	assert_int_equal(l.wiops, 5);
	assert_int_equal(l.rbps, 1u << 30);
	assert_int_equal(l.wbps, 1u << 30);
	l = parse_ok("rbps=1T");
	assert_int_equal(l.rbps, 1ull << 40);
}

static void test_order_and_clearing(void **s)
{
	struct xbdev_limit l;

	(void)s;
	/* left to right */
	l = parse_ok("iops=100,riops=300");
	assert_int_equal(l.riops, 300);
	assert_int_equal(l.wiops, 100);
	l = parse_ok("riops=300,iops=100");
	assert_int_equal(l.riops, 100);
	/* 0 and max: no limit on that key */
	l = parse_ok("iops=100,wiops=max,rbps=0");
	assert_int_equal(l.riops, 100);
	assert_int_equal(l.wiops, 0);
	assert_false(any("none"));
	assert_false(any("riops=0"));
	assert_false(any("burst=3"));
	assert_true(any("wbps=1"));
	assert_true(any("riops=0,wiops=1"));
}

static void test_burst(void **s)
{
	(void)s;
	assert_int_equal(parse_ok("riops=1,burst=0.5").burst_ms, 500);
	assert_int_equal(parse_ok("riops=1,burst=0.25").burst_ms, 250);
	assert_int_equal(parse_ok("riops=1,burst=1.005").burst_ms, 1005);
	assert_int_equal(parse_ok("riops=1,burst=0").burst_ms, 0);
	assert_int_equal(parse_ok("riops=1,burst=60").burst_ms, 60000);
	assert_int_equal(parse_ok("riops=1,burst=60.000").burst_ms, 60000);
}

static void test_refused(void **s)
{
	static const char *const bad[] = {
		"", ",", "riops", "riops=", "=5", "riops=-1", "riops=+1",
		"riops= 1", "riops=1 ", "riops=1,", ",riops=1", "riops=1,,wiops=1",
		"riops=1x", "riops=1k", "iops=100000001", "rbps=1P", "rbps=k",
		"rbps=1.5M", "rbps=2T", "burst=60.001", "burst=61", "burst=.5",
		"burst=1.", "burst=0.0001", "burst=1,5", "burst=-1", "Riops=1",
		"reads=1", "none,riops=1", "riops=1,none", "NONE", "max",
		"riops=max1", "riops=99999999999999999999999",
		"riops=1=2",
	};
	struct xbdev_limit l = { .riops = 42 };

	(void)s;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (xbdev_limit_parse(bad[i], &l) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
		assert_int_equal(l.riops, 42);
	}
	assert_int_equal(xbdev_limit_parse(NULL, &l), -EINVAL);
}

static void test_long_spec(void **s)
{
	char spec[XBDEV_LIMIT_SPEC_MAX + 16];
	struct xbdev_limit l;
	size_t at = 0;

	(void)s;
	while (at + 10 < sizeof(spec))
		at += (size_t)snprintf(spec + at, sizeof(spec) - at, "%sriops=1",
				       at ? "," : "");
	assert_int_equal(xbdev_limit_parse(spec, &l), -EINVAL);
}

static void test_canonical(void **s)
{
	static const char *const round[] = {
		"riops=200", "riops=1,wiops=2,rbps=3,wbps=4",
		"rbps=1K", "wbps=1536", "rbps=3M,wbps=1G", "wbps=1T",
		"riops=1,burst=0.5", "riops=1,burst=2", "riops=1,burst=0.005",
		"riops=1,burst=0", "riops=1,burst=1.25", "none",
	};
	char buf[XBDEV_LIMIT_SPEC_MAX];

	(void)s;
	assert_string_equal(fmt("iops=200,rbps=1m,burst=0.50"),
			    "riops=200,wiops=200,rbps=1M,burst=0.5");
	assert_string_equal(fmt("riops=5,burst=0.1"), "riops=5");
	assert_string_equal(fmt("burst=4"), "none");
	assert_string_equal(fmt("rbps=1048576"), "rbps=1M");
	assert_string_equal(fmt("rbps=1025"), "rbps=1025");
	assert_string_equal(fmt("wiops=max"), "none");
	for (size_t i = 0; i < sizeof(round) / sizeof(round[0]); i++) {
		struct xbdev_limit a = parse_ok(round[i]), b;

		assert_string_equal(fmt(round[i]), round[i]);
		assert_int_equal(xbdev_limit_format(&a, buf, sizeof(buf)), 0);
		b = parse_ok(buf);
		assert_memory_equal(&a, &b, sizeof(a));
	}
	/* too short a buffer: an error, never a cut spec taken as whole */
	assert_int_equal(xbdev_limit_format(&(struct xbdev_limit){ .riops = 200 },
					    buf, 8),
			 -ENAMETOOLONG);
	assert_int_equal(xbdev_limit_format(&(struct xbdev_limit){ 0 }, buf, 4),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_order_and_clearing),
		cmocka_unit_test(test_burst),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_long_spec),
		cmocka_unit_test(test_canonical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
