/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev block-list (cli/blocklist.c, lib/blocklist.c) on the in-memory
 * xenstore: guest 5's disks served by each kind of backend - xbdev's own,
 * the kernel's blkback, a disk of an xl config that xbdevd serves (before
 * it took it: no record yet), QEMU, tapback - listed by devid with the
 * backend's params and mode; another class and another guest's disk
 * left out.  The table escapes what it shows; the JSON's keys are fixed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "fake-xs.h"
#include "../../cli/common.c"
#include "../../cli/blocklist.c"

#include "served-vbd.h"
#include "capture.h"

/* A device of guest 5: backend dir of type under dom0, both states. */
static void device(const char *type, unsigned devid, const char *params,
		   const char *mode, int fe_state, int be_state)
{
	char fe[128], be[128], p[192], v[16];

	snprintf(fe, sizeof(fe), "/local/domain/5/device/vbd/%u", devid);
	snprintf(be, sizeof(be), "/local/domain/0/backend/%s/5/%u", type,
		 devid);
#define PUT(dir, key, val)                                                     \
	do {                                                                   \
		snprintf(p, sizeof(p), "%s/%s", dir, key);                     \
		put(p, val);                                                   \
	} while (0)
	PUT(fe, "backend", be);
	PUT(fe, "backend-id", "0");
	snprintf(v, sizeof(v), "%d", fe_state);
	PUT(fe, "state", v);
	PUT(be, "frontend", fe);
	PUT(be, "frontend-id", "5");
	PUT(be, "online", "1");
	snprintf(v, sizeof(v), "%d", be_state);
	PUT(be, "state", v);
	if (params)
		PUT(be, "params", params);
	if (mode)
		PUT(be, "mode", mode);
}

static int setup(void **s)
{
	static const char hostile[] = "/dev/loop0\x1b[2J";

	(void)s;
	setenv("XBDEV_NO_LIBXL", "1", 1);
	served_vbd_setup(1);
	put(BE "/params", "/images/a.img");
	put(BE "/mode", "w");
	device("vbd", 51744, NULL, "r", 4, 4);
	/* Raw, as only a toolstack could: xbdev_write refuses it. */
	assert_true(xs_write(NULL, XBT_NULL,
			     "/local/domain/0/backend/vbd/5/51744/params",
			     hostile, strlen(hostile)));
	device("vbd", 51760, "/images/c.img", "w", 1, 2);
	put("/local/domain/0/backend/vbd/5/51760/script",
	    "/etc/xen/scripts/xbdev");
	device("qdisk", 5632, "aio:/images/d.iso", "r", 4, 4);
	device("vbd3", 51776, "aio:/images/e.img", NULL, 3, 4);
	put("/local/domain/5/device/mydevice/0/state", "1");
	put("/local/domain/6/name", "other");
	put("/local/domain/6/device/vbd/51728/state", "1");
	return 0;
}

static void test_lib_list(void **s)
{
	static const struct {
		unsigned devid;
		const char *vdev, *kind, *type, *params, *mode;
		int fe, be;
	} want[] = {
		{ 5632, "hdc", "qdisk", "qdisk", "aio:/images/d.iso", "r", 4,
		  4 },
		{ 51728, "xvdb", "xbdev", "xbdev-vbd", "/images/a.img", "w", 4,
		  4 },
		{ 51744, "xvdc", "phy", "vbd", "/dev/loop0\x1b[2J", "r", 4, 4 },
		{ 51760, "xvdd", "xbdev", "vbd", "/images/c.img", "w", 1, 2 },
		{ 51776, "xvde", "tap", "vbd3", "aio:/images/e.img", "", 3, 4 },
	};
	struct xbdev_block *v = NULL;
	unsigned n = 0, i;

	(void)s;
	assert_int_equal(xbdev_block_list(x, 5, &v, &n), 0);
	assert_int_equal(n, 5);
	for (i = 0; i < n; i++) {
		assert_int_equal(v[i].devid, want[i].devid);
		assert_int_equal(v[i].fe, 5);
		assert_int_equal(v[i].be, 0);
		assert_string_equal(v[i].vdev, want[i].vdev);
		assert_string_equal(v[i].kind, want[i].kind);
		assert_string_equal(v[i].type, want[i].type);
		assert_string_equal(v[i].params, want[i].params);
		assert_string_equal(v[i].mode, want[i].mode);
		assert_int_equal(v[i].fe_state, want[i].fe);
		assert_int_equal(v[i].be_state, want[i].be);
	}
	assert_string_equal(v[1].be_dir, BE);
	assert_string_equal(v[1].fe_dir, FE);
	free(v);
	/* A guest with none: an empty list. */
	assert_int_equal(xbdev_block_list(x, 7, &v, &n), 0);
	assert_int_equal(n, 0);
	assert_null(v);
	/* Once xbdevd keeps its record, the same disk is still xbdev's. */
	put("/local/domain/0/backend/vbd/5/51760/script", "/bin/other");
	assert_int_equal(xbdev_block_list(x, 5, &v, &n), 0);
	assert_string_equal(v[3].kind, "phy");
	free(v);
	put("/xbdev/5/vbd/51760/frontend", "/local/domain/5/device/vbd/51760");
	put("/xbdev/5/vbd/51760/backend",
	    "/local/domain/0/backend/vbd/5/51760");
	put("/xbdev/5/vbd/51760/backend-id", "0");
	put("/xbdev/5/vbd/51760/type", "vbd");
	put("/xbdev/5/vbd/51760/created", "1");
	put("/xbdev/5/vbd/51760/managed-by", "libxl");
	assert_int_equal(xbdev_block_list(x, 5, &v, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(v[3].kind, "xbdev");
	free(v);
}

static char *run_cmd(const char *const *args, int want_rc)
{
	char *argv[8];
	int argc = 0;

	argv[argc++] = "xbdev block-list";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	capture();
	assert_int_equal(run(argc, argv, &(struct cli_global){ 0 }), want_rc);
	return captured();
}

static void test_table(void **s)
{
	char *t;

	(void)s;
	t = run_cmd((const char *[]){ "guest", NULL }, 0);
	assert_null(strchr(t, '\x1b'));
	assert_string_equal(
		t, "VDEV  DEVID  BE  BACKEND  MODE  FE-STATE      BE-STATE   "
		   "TARGET\n"
		   "hdc   5632   0   qdisk    r     Connected     Connected  "
		   "aio:/images/d.iso\n"
		   "xvdb  51728  0   xbdev    w     Connected     Connected  "
		   "/images/a.img\n"
		   "xvdc  51744  0   phy      r     Connected     Connected  "
		   "/dev/loop0\\x1b[2J\n"
		   "xvdd  51760  0   xbdev    w     Initialising  InitWait   "
		   "/images/c.img\n"
		   "xvde  51776  0   tap      -     Initialised   Connected  "
		   "aio:/images/e.img\n");
	free(t);
	t = run_cmd((const char *[]){ "nobody", NULL }, XBDEV_EXIT_NOTFOUND);
	assert_string_equal(t, "");
	free(t);
}

static void test_json(void **s)
{
	static const char *const keys[] = {
		"vdev",	   "devid",	     "backend-id",    "backend-kind",
		"type",	   "mode",	     "params",	      "frontend",
		"backend", "frontend-state", "backend-state",
	};
	json_object *rows, *o, *v;
	size_t i, count = 0;
	char *t;

	(void)s;
	t = run_cmd((const char *[]){ "5", "--json", NULL }, 0);
	rows = json_tokener_parse(t);
	assert_non_null(rows);
	assert_int_equal(json_object_array_length(rows), 5);
	o = json_object_array_get_idx(rows, 4);
	for (i = 0; i < sizeof(keys) / sizeof(*keys); i++)
		if (!json_object_object_get_ex(o, keys[i], NULL))
			fail_msg("missing key %s", keys[i]);
	json_object_object_foreach(o, k, val)
	{
		(void)k;
		(void)val;
		count++;
	}
	assert_int_equal(count, sizeof(keys) / sizeof(*keys));
	/* No mode node: null, not a made-up one. */
	assert_true(json_object_object_get_ex(o, "mode", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "backend-kind", &v));
	assert_string_equal(json_object_get_string(v), "tap");
	assert_true(json_object_object_get_ex(o, "frontend-state", &v));
	assert_string_equal(json_object_get_string(v), "Initialised");
	o = json_object_array_get_idx(rows, 2);
	assert_true(json_object_object_get_ex(o, "params", &v));
	assert_string_equal(json_object_get_string(v), "/dev/loop0\x1b[2J");
	assert_null(strchr(t, '\x1b')); /* json-c escapes it */
	json_object_put(rows);
	free(t);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, served_vbd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_lib_list),
		T(test_table),
		T(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
