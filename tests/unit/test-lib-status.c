// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xbdev status's verdicts (lib/status.c) on the in-memory xenstore of
 * fake-xs.h: a served vbd of guest 5 as attach leaves it, then one thing
 * changed at a time - states, a directory pointing elsewhere, the age of
 * a device that never connected or of a detach that never ended.  And the
 * record (lib/record.c): one whose paths are not the ones xbdev would
 * build for it is refused.
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

#define NOW 1000000
#define STUCK XBDEV_STUCK_AFTER_S

static void put_num(const char *path, long long v)
{
	char s[32];

	snprintf(s, sizeof(s), "%lld", v);
	put(path, s);
}

/* Guest 5's xvdb, both ends Connected, created at NOW - 1. */
static int setup(void **s)
{
	(void)s;
	served_vbd_setup(NOW - 1);
	return 0;
}

/* The one device status finds, at time now. */
static struct xbdev_dev_status status_at(int64_t now)
{
	struct xbdev_dev_status *v = NULL, d;
	unsigned n = 0;

	assert_int_equal(xbdev_status_list(x, -1, now, &v, &n), 0);
	assert_int_equal(n, 1);
	d = v[0];
	free(v);
	return d;
}

static enum xbdev_health health_at(int64_t now)
{
	return status_at(now).health;
}

static void test_connected(void **s)
{
	struct xbdev_dev_status d = status_at(NOW);

	(void)s;
	assert_int_equal(d.health, XBDEV_HEALTH_OK);
	assert_string_equal(d.cls, "vbd");
	assert_string_equal(d.type, "xbdev-vbd");
	assert_true(d.has_record && d.has_front && d.has_back);
	assert_int_equal(d.fe_state, XBDEV_STATE_CONNECTED);
	assert_int_equal(d.be_state, XBDEV_STATE_CONNECTED);
}

static void test_inconsistent(void **s)
{
	(void)s;
	/* The guest's frontend names another backend... */
	put(FE "/backend", "/local/domain/0/backend/vbd/5/51728");
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_INCONSISTENT);
	/* ... or the backend another frontend, both still Connected. */
	put(FE "/backend", BE);
	put(BE "/frontend", "/local/domain/5/device/vbd/51744");
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_INCONSISTENT);
	put(BE "/frontend", FE);
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_OK);
}

static void test_one_end_connected(void **s)
{
	(void)s;
	put(BE "/state", "2");
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_CONNECTING);
	put(BE "/state", "4");
	put(FE "/state", "3");
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_CONNECTING);
}

/* A backend xbdev has no record of (libxl's, say) whose frontend node
 * names another device's frontend directory: judged by the directory it
 * names, which does not name it back. */
static void test_backend_names_another_frontend(void **s)
{
	struct xbdev_dev_status *v = NULL;
	unsigned n = 0;

	(void)s;
	put("/local/domain/0/backend/vbd/5/51744/frontend", FE);
	put("/local/domain/0/backend/vbd/5/51744/state", "4");
	assert_int_equal(xbdev_status_list(x, -1, NOW, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].devid, 51728);
	assert_int_equal(v[0].health, XBDEV_HEALTH_OK);
	assert_int_equal(v[1].devid, 51744);
	assert_string_equal(v[1].fe_dir, FE);
	assert_int_equal(v[1].health, XBDEV_HEALTH_INCONSISTENT);
	free(v);
}

/* libxl's console 0: the backend's frontend node names the domain's
 * console directory, which has no state; the backend stays Initialising.
 * A console the guest does handshake for (device/console/1) is judged
 * as any device. */
static void test_primary_console(void **s)
{
	struct xbdev_dev_status *v = NULL;
	unsigned n = 0;

	(void)s;
	put("/local/domain/0/backend/console/5/0/frontend",
	    "/local/domain/5/console");
	put("/local/domain/0/backend/console/5/0/frontend-id", "5");
	put("/local/domain/0/backend/console/5/0/state", "1");
	put("/local/domain/5/console/backend-id", "0");
	put("/local/domain/5/console/ring-ref", "1234");
	put("/local/domain/0/backend/console/5/1/frontend",
	    "/local/domain/5/device/console/1");
	put("/local/domain/0/backend/console/5/1/state", "1");
	put("/local/domain/5/device/console/1/backend",
	    "/local/domain/0/backend/console/5/1");
	put("/local/domain/5/device/console/1/state", "1");
	assert_int_equal(xbdev_status_list(x, 5, NOW, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[0].cls, "console");
	assert_int_equal(v[0].devid, 0);
	assert_string_equal(v[0].fe_dir, "/local/domain/5/console");
	assert_int_equal(v[0].health, XBDEV_HEALTH_CONSOLE);
	assert_string_equal(xbdev_health_name(v[0].health), "console");
	assert_int_equal(v[1].devid, 1);
	assert_int_equal(v[1].health, XBDEV_HEALTH_CONNECTING);
	assert_int_equal(v[2].devid, 51728);
	free(v);
}

static void test_orphaned(void **s)
{
	(void)s;
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, FE), 0);
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_ORPHANED);
}

/* Never connected: connecting for XBDEV_STUCK_AFTER_S seconds, then
 * stuck since its creation. */
static void test_stuck_connecting(void **s)
{
	struct xbdev_dev_status d;

	(void)s;
	put(FE "/state", "1");
	put(BE "/state", "2");
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_CONNECTING);
	assert_int_equal(health_at(NOW - 1 + STUCK), XBDEV_HEALTH_CONNECTING);
	d = status_at(NOW + STUCK);
	assert_int_equal(d.health, XBDEV_HEALTH_STUCK);
	assert_int_equal(d.since, NOW - 1);
}

/* A detach begun: closing for XBDEV_STUCK_AFTER_S seconds, then stuck. */
static void test_stuck_closing(void **s)
{
	struct xbdev_dev_status d;

	(void)s;
	put_num(REC "/detaching", NOW);
	put(BE "/state", "5");
	d = status_at(NOW + STUCK);
	assert_int_equal(d.health, XBDEV_HEALTH_CLOSING);
	assert_int_equal(d.since, NOW);
	assert_int_equal(health_at(NOW + STUCK + 1), XBDEV_HEALTH_STUCK);
	/* Both ends Connected do not make a detaching device ok. */
	put(BE "/state", "4");
	assert_int_equal(health_at(NOW), XBDEV_HEALTH_CLOSING);
}

static void test_record_paths_checked(void **s)
{
	struct xbdev_record r;

	(void)s;
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &r), 0);
	assert_string_equal(r.fe_dir, FE);
	assert_string_equal(r.be_dir, BE);
	/* A record naming another guest's frontend, or a backend of
	 * another type, is not one xbdev wrote. */
	put(REC "/frontend", "/local/domain/6/device/vbd/51728");
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &r),
		-EBADMSG);
	put(REC "/frontend", FE);
	put(REC "/backend", "/local/domain/0/backend/vbd/5/51728");
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &r),
		-EBADMSG);
	put(REC "/backend", BE);
	put(REC "/type", "vbd");
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &r),
		-EBADMSG);
}

/* A number above the highest domain id is bad input, not an unknown
 * domain; a name, an id in range and digits that are no number are
 * looked up. */
static void test_domain_resolve_range(void **s)
{
	unsigned id = 77;

	(void)s;
	setenv("XBDEV_NO_LIBXL", "1", 1);
	assert_int_equal(xbdev_domain_resolve(x, "99999", &id), -ERANGE);
	assert_int_equal(xbdev_domain_resolve(x, "32752", &id), -ERANGE);
	assert_int_equal(xbdev_domain_resolve(x, "18446744073709551616", &id),
			 -ERANGE);
	assert_int_equal(id, 77);
	assert_int_equal(xbdev_domain_resolve(x, "32751", &id), -ENOENT);
	assert_int_equal(xbdev_domain_resolve(x, "005", &id), -ENOENT);
	assert_int_equal(xbdev_domain_resolve(x, "5", &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(xbdev_domain_resolve(x, "guest", &id), 0);
	assert_int_equal(id, 5);
	unsetenv("XBDEV_NO_LIBXL");
}

static char seen[512];

static void keep(void *data, int prio, const char *fmt, va_list ap)
{
	size_t n = strlen(seen);

	vsnprintf(seen + n, sizeof(seen) - n, fmt, ap);
	n = strlen(seen);
	if (n + 1 < sizeof(seen))
		strcpy(seen + n, "\n");
}

/* -v: what status and the completion's helpers found, in the log. */
static void test_found_logged(void **s)
{
	unsigned id, *ids = NULL, n = 0;

	(void)s;
	seen[0] = '\0';
	xbdev_set_log_fn(x, keep, NULL);
	setenv("XBDEV_NO_LIBXL", "1", 1);
	assert_int_equal(xbdev_domain_resolve(x, "guest", &id), 0);
	unsetenv("XBDEV_NO_LIBXL");
	status_at(NOW);
	assert_int_equal(xbdev_domain_list(x, &ids, &n), 0);
	free(ids);
	/* status scans the domains' directories first */
	assert_string_equal(seen, "domain guest is domid 5\n"
				  "found 2 domains under /local/domain\n"
				  "found 1 device, 1 of them with xbdev's "
				  "record\n"
				  "found 2 domains under /local/domain\n");
	xbdev_set_log_fn(x, NULL, NULL);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_connected),
		T(test_inconsistent),
		T(test_one_end_connected),
		T(test_backend_names_another_frontend),
		T(test_primary_console),
		T(test_orphaned),
		T(test_stuck_connecting),
		T(test_stuck_closing),
		T(test_record_paths_checked),
		T(test_domain_resolve_range),
		T(test_found_logged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
