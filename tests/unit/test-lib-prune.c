// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The devices of guests that are gone (lib/prune.c) on the in-memory
 * xenstore of fake-xs.h: guest 5 was destroyed (its /local/domain/5 went
 * with its frontend directory) and left its served xvdb behind, backend
 * directory and record; guest 6 lives; 9 left a record alone; 8 left a
 * disk of its xl config (libxl's).  Also what attach keeps of the guest's
 * name and what status makes of a guest that is gone.
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

#define LIVE_REC "/xbdev/6/mydevice/0"
#define LIVE_FE "/local/domain/6/device/mydevice/0"
#define LIVE_BE "/local/domain/0/backend/mydevice/6/0"
#define OLD_REC "/xbdev/9/mydevice/0"
#define LIBXL_REC "/xbdev/8/vbd/51712"

static void record(const char *rec, unsigned fe, const char *cls,
		   unsigned devid, const char *type, const char *name)
{
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX], k[XBDEV_PATH_MAX];

	assert_int_equal(
		xbdev_path_frontend(fe_dir, sizeof(fe_dir), fe, cls, devid), 0);
	assert_int_equal(
		xbdev_path_backend(be_dir, sizeof(be_dir), 0, type, fe, devid),
		0);
	snprintf(k, sizeof(k), "%s/frontend", rec);
	put(k, fe_dir);
	snprintf(k, sizeof(k), "%s/backend", rec);
	put(k, be_dir);
	snprintf(k, sizeof(k), "%s/backend-id", rec);
	put(k, "0");
	snprintf(k, sizeof(k), "%s/type", rec);
	put(k, type);
	snprintf(k, sizeof(k), "%s/created", rec);
	put(k, "100");
	if (name) {
		snprintf(k, sizeof(k), "%s/frontend-name", rec);
		put(k, name);
	}
}

static int setup(void **s)
{
	(void)s;
	served_vbd_setup(100);
	put(REC "/frontend-name", "guest");
	put(BE "/params", "/srv/disk.img");
	/* Destroyed: the domain's directory goes, the frontend with it. */
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, "/local/domain/5"), 0);
	/* Rebooted as 6 (same name), with a device of its own. */
	put("/local/domain/6/name", "guest");
	record(LIVE_REC, 6, "mydevice", 0, "mydevice", "guest");
	put(LIVE_FE "/state", "4");
	put(LIVE_BE "/state", "4");
	record(OLD_REC, 9, "mydevice", 0, "mydevice", "old");
	record(LIBXL_REC, 8, "vbd", 51712, "vbd", "guest");
	put(LIBXL_REC "/managed-by", "libxl");
	put("/xbdev/parents/5-device", "/local/domain/5/device");
	return 0;
}

static unsigned list(int domid, const char *name, struct xbdev_record **v)
{
	unsigned n = 0;

	assert_int_equal(xbdev_gone_list(x, domid, name, v, &n), 0);
	return n;
}

static bool gone(const char *path)
{
	return xbdev_exists(x, XBDEV_TXN_NONE, path) == 0;
}

static void test_domain_gone(void **s)
{
	(void)s;
	assert_int_equal(xbdev_domain_gone(x, 5), 1);
	assert_int_equal(xbdev_domain_gone(x, 6), 0);
	assert_int_equal(xbdev_domain_gone(x, 0), 0);
	assert_int_equal(xbdev_domain_gone(x, XBDEV_DOMID_MAX + 1), -EINVAL);
}

/* Only the records of gone domains, not libxl's, sorted by domid. */
static void test_gone_list(void **s)
{
	struct xbdev_record *v = NULL;

	(void)s;
	assert_int_equal(list(-1, NULL, &v), 2);
	assert_int_equal(v[0].fe, 5);
	assert_string_equal(v[0].cls, "vbd");
	assert_int_equal(v[0].devid, 51728);
	assert_string_equal(v[0].fe_name, "guest");
	assert_string_equal(v[0].be_dir, BE);
	assert_int_equal(v[1].fe, 9);
	assert_string_equal(v[1].fe_name, "old");
	free(v);
}

static void test_gone_list_filters(void **s)
{
	struct xbdev_record *v = NULL;

	(void)s;
	assert_int_equal(list(9, NULL, &v), 1);
	assert_int_equal(v[0].fe, 9);
	free(v);
	/* A live domain's devices are never debris. */
	assert_int_equal(list(6, NULL, &v), 0);
	assert_null(v);
	/* By the guest's name: the gone domid, not the live one. */
	assert_int_equal(list(-1, "guest", &v), 1);
	assert_int_equal(v[0].fe, 5);
	free(v);
	assert_int_equal(list(-1, "nobody", &v), 0);
	assert_null(v);
	/* Nothing recorded at all. */
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, "/xbdev"), 0);
	assert_int_equal(list(-1, NULL, &v), 0);
}

static struct xbdev_record first_gone(void)
{
	struct xbdev_record *v = NULL, r;

	assert_true(list(5, NULL, &v) == 1);
	r = v[0];
	free(v);
	return r;
}

static int prune(const struct xbdev_record *r)
{
	struct xbdev_detach_opts o = { .deadline_ms = xbdev_now_ms() + 200 };

	return xbdev_prune(x, r, &o);
}

/* Backend directory and record go, even with nobody to answer Closing;
 * the others stay. */
static void test_prune_removes(void **s)
{
	struct xbdev_record r = first_gone();

	(void)s;
	assert_int_equal(prune(&r), 0);
	assert_true(gone(BE) && gone(REC));
	assert_true(gone("/local/domain/0/backend/xbdev-vbd"));
	assert_false(gone(LIVE_REC) || gone(LIVE_BE) || gone(OLD_REC) ||
		     gone(LIBXL_REC));
	assert_int_equal(prune(&r), -ENOENT);
}

/* The domid came back (a new domain): nothing is done. */
static void test_prune_domain_back(void **s)
{
	struct xbdev_record r = first_gone();

	(void)s;
	put("/local/domain/5/name", "newcomer");
	assert_int_equal(prune(&r), -EBUSY);
	assert_false(gone(BE) || gone(REC));
}

/* Attached again since it was listed: another device, left alone. */
static void test_prune_stale(void **s)
{
	struct xbdev_record r = first_gone();

	(void)s;
	put(REC "/created", "200");
	assert_int_equal(prune(&r), -ESTALE);
	assert_false(gone(BE) || gone(REC));
}

/* status: a guest that is gone, by the name its record kept; a vbd's
 * disk. */
static void test_status_gone(void **s)
{
	struct xbdev_dev_status *v = NULL;
	unsigned n = 0, i;
	bool seen5 = false, seen6 = false;

	(void)s;
	assert_int_equal(xbdev_status_list(x, -1, 100, &v, &n), 0);
	for (i = 0; i < n; i++) {
		if (v[i].fe == 5) {
			seen5 = true;
			assert_true(v[i].fe_gone);
			assert_string_equal(v[i].fe_name, "guest");
			assert_string_equal(v[i].params, "/srv/disk.img");
		} else if (v[i].fe == 6) {
			seen6 = true;
			assert_false(v[i].fe_gone);
			assert_string_equal(v[i].params, "");
		}
	}
	assert_true(seen5 && seen6);
	free(v);
}

/* attach keeps the guest's name, when it has a usable one. */
static void test_attach_keeps_name(void **s)
{
	struct xbdev_attach_spec spec = {
		.fe = 6,
		.be = 0,
		.cls = "other",
		.devid = 0,
		.created = 1,
	};
	struct xbdev_plan *p = NULL;
	char longname[XBDEV_DOMAIN_NAME_MAX + 1];
	unsigned i, found;

	(void)s;
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	for (int round = 0; round < 3; round++) {
		if (round == 1)
			put("/local/domain/6/name", longname);
		if (round == 2)
			assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE,
						  "/local/domain/6/name"),
					 0);
		assert_int_equal(xbdev_attach_preview(x, &spec, &p, NULL), 0);
		for (i = found = 0; i < p->n_nodes; i++)
			if (!strcmp(p->nodes[i].path,
				    "/xbdev/6/other/0/frontend-name")) {
				found++;
				assert_string_equal(p->nodes[i].value, "guest");
				assert_int_equal(p->nodes[i].acl[0].domid, 0);
				assert_int_equal(p->nodes[i].acl[0].perm,
						 XBDEV_PERM_NONE);
			}
		/* too long, or none: not recorded */
		assert_int_equal(found, round == 0);
		xbdev_plan_free(p);
	}
}

/* A record without the name reads as "". */
static void test_record_without_name(void **s)
{
	struct xbdev_record r;

	(void)s;
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, REC "/frontend-name"), 0);
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &r), 0);
	assert_string_equal(r.fe_name, "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_domain_gone),	     T(test_gone_list),
		T(test_gone_list_filters),   T(test_prune_removes),
		T(test_prune_domain_back),   T(test_prune_stale),
		T(test_status_gone),	     T(test_attach_keeps_name),
		T(test_record_without_name),
	};

	/* Domains as xenstore has them, never a hypervisor's. */
	setenv("XBDEV_NO_LIBXL", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
