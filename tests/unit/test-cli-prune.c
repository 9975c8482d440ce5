// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xbdev prune (cli/prune.c) and the domain ids of guests that are gone
 * (cli/gone.c), run on the in-memory xenstore of fake-xs.h: guest
 * "guest" was domain 5, destroyed, leaving its served xvdb (backend
 * directory and record); it runs again as domain 6 with a device of its
 * own; domain 9 ("old") left a record alone.  What the command prints,
 * exactly, and what it leaves in the store.
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
#include "../../cli/prune.c"

#include "capture.h"
#include "served-vbd.h"

#define OLD_REC "/xbdev/9/mydevice/0"
#define LIVE_REC "/xbdev/6/mydevice/0"

static void put_record(const char *rec, const char *fe_dir, const char *be_dir,
		       const char *name)
{
	char k[XBDEV_PATH_MAX];

	snprintf(k, sizeof(k), "%s/frontend", rec);
	put(k, fe_dir);
	snprintf(k, sizeof(k), "%s/backend", rec);
	put(k, be_dir);
	snprintf(k, sizeof(k), "%s/backend-id", rec);
	put(k, "0");
	snprintf(k, sizeof(k), "%s/type", rec);
	put(k, "mydevice");
	snprintf(k, sizeof(k), "%s/created", rec);
	put(k, "100");
	snprintf(k, sizeof(k), "%s/frontend-name", rec);
	put(k, name);
}

static int setup(void **s)
{
	(void)s;
	served_vbd_setup(100);
	put(REC "/frontend-name", "guest");
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, "/local/domain/5"), 0);
	put("/local/domain/6/name", "guest");
	put_record(LIVE_REC, "/local/domain/6/device/mydevice/0",
		   "/local/domain/0/backend/mydevice/6/0", "guest");
	put("/local/domain/6/device/mydevice/0/state", "4");
	put_record(OLD_REC, "/local/domain/9/device/mydevice/0",
		   "/local/domain/0/backend/mydevice/9/0", "old");
	cli_cmd_name = "prune";
	return 0;
}

static bool gone(const char *path)
{
	return xbdev_exists(x, XBDEV_TXN_NONE, path) == 0;
}

/* xbdev prune ARGS...: its exit code, stdout in *o and stderr in *e. */
static int prune(char **o, char **e, const char *a1, const char *a2,
		 const char *a3)
{
	return run_captured(run, "xbdev prune", o, e, a1, a2, a3);
}

/* Without --yes: a list, nothing changed. */
static void test_dry_run(void **s)
{
	char *o, *e;

	(void)s;
	assert_int_equal(prune(&o, &e, NULL, NULL, NULL), 0);
	assert_string_equal(o, "would remove 5 vbd/51728 (guest)\n"
			       "would remove 9 mydevice/0 (old)\n");
	assert_string_equal(e, "");
	assert_false(gone(BE) || gone(REC) || gone(OLD_REC));
	free(o);
	free(e);
}

static void test_yes(void **s)
{
	char *o, *e;

	(void)s;
	assert_int_equal(prune(&o, &e, "--yes", "--timeout", "1"), 0);
	assert_string_equal(o, "removed 5 vbd/51728 (guest)\n"
			       "removed 9 mydevice/0 (old)\n");
	assert_string_equal(e, "");
	assert_true(gone(BE) && gone(REC) && gone(OLD_REC));
	/* The running guest's device is not debris. */
	assert_false(gone(LIVE_REC));
	free(o);
	free(e);
	/* Nothing left: still success, nothing printed. */
	assert_int_equal(prune(&o, &e, "--yes", NULL, NULL), 0);
	assert_string_equal(o, "");
	free(o);
	free(e);
}

/* DOMAIN: a gone id, or the name the records kept. */
static void test_domain_arg(void **s)
{
	char *o, *e;

	(void)s;
	assert_int_equal(prune(&o, &e, "9", NULL, NULL), 0);
	assert_string_equal(o, "would remove 9 mydevice/0 (old)\n");
	free(o);
	free(e);
	/* guest runs as 6, but its old domain 5 is what is gone */
	assert_int_equal(prune(&o, &e, "guest", "--yes", "--timeout=1"), 0);
	assert_string_equal(o, "removed 5 vbd/51728 (guest)\n");
	assert_true(gone(REC));
	assert_false(gone(OLD_REC) || gone(LIVE_REC));
	free(o);
	free(e);
	/* A running domain id: bad input, nothing done. */
	assert_int_equal(prune(&o, &e, "6", "--yes", NULL), XBDEV_EXIT_USAGE);
	assert_string_equal(o, "");
	assert_non_null(strstr(e, "xbdev: prune: 6: the domain is running"));
	assert_false(gone(LIVE_REC));
	free(o);
	free(e);
	/* Nothing of that domain or name left. */
	assert_int_equal(prune(&o, &e, "7", NULL, NULL), XBDEV_EXIT_NOTFOUND);
	assert_string_equal(e, "xbdev: prune: 7: no device left of a guest "
			       "that is gone\n");
	free(o);
	free(e);
	assert_int_equal(prune(&o, &e, "guest", NULL, NULL),
			 XBDEV_EXIT_NOTFOUND);
	free(o);
	free(e);
}

static void test_json(void **s)
{
	json_object *j, *d, *v;
	char *o, *e;

	(void)s;
	assert_int_equal(prune(&o, &e, "--json", "5", NULL), 0);
	j = json_tokener_parse(o);
	assert_non_null(j);
	assert_true(json_object_object_get_ex(j, "dry-run", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(j, "devices", &d));
	assert_int_equal(json_object_array_length(d), 1);
	v = json_object_array_get_idx(d, 0);
	assert_string_equal(json_object_to_json_string_ext(
				    v, JSON_C_TO_STRING_PLAIN |
					       JSON_C_TO_STRING_NOSLASHESCAPE),
			    "{\"domid\":5,\"frontend-name\":\"guest\","
			    "\"class\":\"vbd\",\"devid\":51728,"
			    "\"backend-id\":0,\"type\":\"xbdev-vbd\","
			    "\"frontend\":\"" FE "\",\"backend\":\"" BE "\"}");
	json_object_put(j);
	free(o);
	free(e);
	assert_int_equal(prune(&o, &e, "--json", "--yes", "--timeout=1"), 0);
	j = json_tokener_parse(o);
	assert_true(json_object_object_get_ex(j, "dry-run", &v));
	assert_false(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(j, "devices", &d));
	assert_int_equal(json_object_array_length(d), 2);
	assert_true(json_object_object_get_ex(json_object_array_get_idx(d, 1),
					      "removed", &v));
	assert_true(json_object_get_boolean(v));
	json_object_put(j);
	free(o);
	free(e);
}

/* The old domid where a device of it exists; the name that moved on
 * says which one to use. */
static void test_domain_or_gone(void **s)
{
	unsigned id = 99;
	char ids[64], *e;

	(void)s;
	cli_cmd_name = "detach";
	assert_int_equal(cli_domain_or_gone(x, "5", &id), 0);
	assert_int_equal(id, 5);
	assert_int_equal(cli_domain_or_gone(x, "guest", &id), 0);
	assert_int_equal(id, 6);
	capture_stderr();
	assert_int_equal(cli_domain_or_gone(x, "7", &id), XBDEV_EXIT_NOTFOUND);
	assert_int_equal(cli_domain_or_gone(x, "old", &id),
			 XBDEV_EXIT_NOTFOUND);
	assert_int_equal(cli_gone_device(x, "guest", "vbd", 51728,
					 "guest vbd/51728", "no such device"),
			 XBDEV_EXIT_NOTFOUND);
	/* by id: no hint, it is the id already */
	assert_int_equal(cli_gone_device(x, "6", "vbd", 51728, "6 vbd/51728",
					 "no such device"),
			 XBDEV_EXIT_NOTFOUND);
	/* the name's old domain does not hold that one */
	assert_int_equal(cli_gone_device(x, "guest", "vbd", 51712,
					 "guest vbd/51712", "no such device"),
			 XBDEV_EXIT_NOTFOUND);
	e = captured_stderr();
	assert_string_equal(
		e, "xbdev: detach: 7: unknown domain\n"
		   "xbdev: detach: old: unknown domain; its devices are left "
		   "under the domain id it had: use domid 9\n"
		   "xbdev: detach: guest vbd/51728: no such device; the "
		   "guest's earlier domain still holds it: use domid 5\n"
		   "xbdev: detach: 6 vbd/51728: no such device\n"
		   "xbdev: detach: guest vbd/51712: no such device\n");
	free(e);
	/* Two gone domains of one name. */
	put_record("/xbdev/11/mydevice/0", "/local/domain/11/device/mydevice/0",
		   "/local/domain/0/backend/mydevice/11/0", "guest");
	assert_int_equal(cli_gone_domids(x, "guest", NULL, 0, ids, sizeof(ids)),
			 2);
	assert_string_equal(ids, "5 or 11");
	/* each domain once, however many devices it left */
	put_record("/xbdev/11/mydevice/1", "/local/domain/11/device/mydevice/1",
		   "/local/domain/0/backend/mydevice/11/1", "guest");
	assert_int_equal(cli_gone_domids(x, "guest", NULL, 0, ids, sizeof(ids)),
			 2);
	assert_string_equal(ids, "5 or 11");
	assert_int_equal(
		cli_gone_domids(x, "guest", "mydevice", 0, ids, sizeof(ids)),
		1);
	assert_string_equal(ids, "11");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_dry_run),	T(test_yes),
		T(test_domain_arg),	T(test_json),
		T(test_domain_or_gone),
	};

	setenv("XBDEV_NO_LIBXL", "1", 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
