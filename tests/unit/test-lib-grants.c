// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Grant use of a served vbd (lib/grants.c) on the in-memory xenstore of
 * fake-xs.h: the info/ keys as backend/publish.c writes them (named here
 * by their node names, not by the library's table), the warning at 90% of
 * the cap and not below it, map and copy failures, the map failure's
 * cause by its errno, and what is not a served vbd's grant use.
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

#define INFO REC "/info/"

/* Guest 5's xvdb with every grant key published: a different number in
 * each, so that a key read into the wrong place shows. */
static int setup(void **s)
{
	(void)s;
	served_vbd_setup(1);
	served_vbd_grants("11", "1056", "13", "14");
	return 0;
}

static struct xbdev_dev_status the_vbd(void)
{
	struct xbdev_dev_status d = { .fe = 5,
				      .devid = 51728,
				      .has_record = true };

	strcpy(d.cls, "vbd");
	return d;
}

/* The grant use read back; the read must succeed. */
static struct xbdev_grant_use use(void)
{
	struct xbdev_dev_status d = the_vbd();
	struct xbdev_grant_use g;

	assert_int_equal(xbdev_grant_use_read(x, &d, &g), 0);
	return g;
}

static void set_mapped(const char *mapped, const char *max)
{
	put(INFO "persistent-grants", mapped);
	put(INFO "persistent-grants-max", max);
}

static void test_keys(void **s)
{
	struct xbdev_grant_use g = use();

	(void)s;
	assert_int_equal(g.n[XBDEV_GRANT_MAPPED], 11);
	assert_int_equal(g.n[XBDEV_GRANT_MAX], 1056);
	assert_int_equal(g.n[XBDEV_GRANT_PEAK], 13);
	assert_int_equal(g.n[XBDEV_GRANT_RING], 14);
	assert_int_equal(g.n[XBDEV_GRANT_COPY_FAILURES], 0);
	assert_int_equal(g.n[XBDEV_GRANT_MAP_FAILURES], 0);
	assert_string_equal(g.last_error, "");
	assert_int_equal(g.pct, 1);
	assert_int_equal(g.warn, 0);
	assert_false(g.map_dom0_limit);
	/* and the names status's JSON uses are the node names */
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_MAPPED),
			    "persistent-grants");
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_MAX),
			    "persistent-grants-max");
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_PEAK),
			    "persistent-grants-peak");
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_RING),
			    "ring-grants");
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_COPY_FAILURES),
			    "grant-errors");
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_MAP_FAILURES),
			    "map-failures");
	assert_string_equal(xbdev_grant_key_name(XBDEV_GRANT_NKEYS), "?");
}

/* 90% of the cap and above is warned about, 89% and 89.96% are not. */
static void test_cap_threshold(void **s)
{
	struct xbdev_grant_use g;

	(void)s;
	set_mapped("89", "100");
	g = use();
	assert_int_equal(g.pct, 89);
	assert_int_equal(g.warn, 0);
	set_mapped("90", "100");
	g = use();
	assert_int_equal(g.pct, 90);
	assert_int_equal(g.warn, XBDEV_GRANT_WARN_CAP);
	set_mapped("950", "1056"); /* 89.96% */
	g = use();
	assert_int_equal(g.pct, 89);
	assert_int_equal(g.warn, 0);
	set_mapped("951", "1056"); /* 90.06% */
	g = use();
	assert_int_equal(g.pct, 90);
	assert_int_equal(g.warn, XBDEV_GRANT_WARN_CAP);
	set_mapped("1056", "1056");
	g = use();
	assert_int_equal(g.pct, 100);
	assert_int_equal(g.warn, XBDEV_GRANT_WARN_CAP);
	/* the default cap of a backend with persistent grants off */
	set_mapped("0", "0");
	g = use();
	assert_int_equal(g.pct, 0);
	assert_int_equal(g.warn, 0);
}

/* Any refused map or failed copy is warned about; a map refused with
 * ENOMEM or ENOSPC is a limit of dom0's own, EINVAL is not. */
static void test_failures(void **s)
{
	struct xbdev_grant_use g;

	(void)s;
	put(INFO "map-failures", "3");
	put(INFO "map-last-error", "EINVAL");
	g = use();
	assert_int_equal(g.n[XBDEV_GRANT_MAP_FAILURES], 3);
	assert_string_equal(g.last_error, "EINVAL");
	assert_int_equal(g.warn, XBDEV_GRANT_WARN_MAP);
	assert_false(g.map_dom0_limit);
	put(INFO "map-last-error", "ENOMEM");
	assert_true(use().map_dom0_limit);
	put(INFO "map-last-error", "ENOSPC");
	assert_true(use().map_dom0_limit);
	put(INFO "map-failures", "0");
	put(INFO "grant-errors", "2");
	g = use();
	assert_int_equal(g.n[XBDEV_GRANT_COPY_FAILURES], 2);
	assert_int_equal(g.warn, XBDEV_GRANT_WARN_COPY);
	set_mapped("100", "100");
	put(INFO "map-failures", "1");
	assert_int_equal(use().warn, XBDEV_GRANT_WARN_CAP |
					     XBDEV_GRANT_WARN_MAP |
					     XBDEV_GRANT_WARN_COPY);
	/* a backend that never wrote the last error: none */
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, INFO "map-last-error"), 0);
	g = use();
	assert_string_equal(g.last_error, "");
	assert_int_equal(g.n[XBDEV_GRANT_MAP_FAILURES], 1);
}

/* Each key is needed: a backend that publishes one less (older, or not
 * started yet) has no grant use, nor does a value that is no number. */
static void test_missing_or_bad(void **s)
{
	static const char *const keys[] = {
		"persistent-grants",	  "persistent-grants-max",
		"persistent-grants-peak", "ring-grants",
		"grant-errors",		  "map-failures",
	};
	struct xbdev_dev_status d = the_vbd();
	struct xbdev_grant_use g;
	char p[XBDEV_PATH_MAX];
	unsigned i;

	(void)s;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(p, sizeof(p), INFO "%s", keys[i]);
		put(p, "7x");
		memset(&g, 0xff, sizeof(g));
		assert_int_equal(xbdev_grant_use_read(x, &d, &g), -EBADMSG);
		assert_int_equal(g.warn, 0);
		assert_int_equal(g.n[XBDEV_GRANT_MAPPED], 0);
		assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, p), 0);
		assert_int_equal(xbdev_grant_use_read(x, &d, &g), -ENOENT);
		put(p, "1");
		assert_int_equal(xbdev_grant_use_read(x, &d, &g), 0);
	}
}

/* Only a vbd with xbdev's record has a grant use. */
static void test_not_a_served_vbd(void **s)
{
	struct xbdev_dev_status d = the_vbd();
	struct xbdev_grant_use g;

	(void)s;
	d.has_record = false;
	assert_int_equal(xbdev_grant_use_read(x, &d, &g), -ENOENT);
	d = the_vbd();
	strcpy(d.cls, "vif");
	assert_int_equal(xbdev_grant_use_read(x, &d, &g), -ENOENT);
	d = the_vbd();
	d.devid = 51712;
	assert_int_equal(xbdev_grant_use_read(x, &d, &g), -ENOENT);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)
	const struct CMUnitTest tests[] = {
		T(test_keys),
		T(test_cap_threshold),
		T(test_failures),
		T(test_missing_or_bad),
		T(test_not_a_served_vbd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
