/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON shape of `xbdev status` is an interface: its keys are fixed
 * (and equal to xenstore node names where there is one).  The command's
 * own sources are compiled in so that its static builders are tested.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../cli/common.c"
#include "../../cli/gone.c"
#include "../../cli/status.c"

#include "capture.h"

static void expect_keys(json_object *o, const char *const *keys, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++) {
		if (!json_object_object_get_ex(o, keys[i], NULL))
			fail_msg("missing key %s", keys[i]);
	}
	json_object_object_foreach(o, k, v) {
		(void)k;
		(void)v;
		count++;
	}
	assert_int_equal(count, n);
}

static void test_device_shape(void **s)
{
	static const char *const keys[] = {
		"domain", "domid", "class", "devid", "backend-id", "type",
		"frontend", "backend", "frontend-state", "backend-state",
		"health", "since", "record", "managed-by", "pid", "pid-alive",
		"gone", "frontend-name", "vdev", "params",
	};
	struct xbdev_dev_status d = {
		.fe = 3, .be = 0, .devid = 51728, .cls = "vbd",
		.type = "xbdev-vbd", .fe_dir = "/local/domain/3/device/vbd/51728",
		.be_dir = "/local/domain/0/backend/xbdev-vbd/3/51728",
		.has_front = true, .has_back = true, .has_record = true,
		.fe_state = 4, .be_state = 2, .health = XBDEV_HEALTH_STUCK,
		.since = 1700000000, .pid = 42, .pid_alive = true,
		.managed_by = "libxl", .fe_gone = true, .fe_name = "guest1",
		.params = "/srv/disk.img",
	};
	json_object *o = dev_json(NULL, &d), *v;

	expect_keys(o, keys, sizeof(keys) / sizeof(keys[0]));
	assert_true(json_object_object_get_ex(o, "frontend-state", &v));
	assert_string_equal(json_object_get_string(v), "Connected");
	assert_true(json_object_object_get_ex(o, "backend-state", &v));
	assert_string_equal(json_object_get_string(v), "InitWait");
	assert_true(json_object_object_get_ex(o, "health", &v));
	assert_string_equal(json_object_get_string(v), "stuck");
	assert_true(json_object_object_get_ex(o, "devid", &v));
	assert_int_equal(json_object_get_int64(v), 51728);
	assert_true(json_object_object_get_ex(o, "domain", &v));
	assert_string_equal(json_object_get_string(v), "?");
	assert_true(json_object_object_get_ex(o, "pid-alive", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "managed-by", &v));
	assert_string_equal(json_object_get_string(v), "libxl");
	/* What a guest that is gone is known by, and a vbd's disk. */
	assert_true(json_object_object_get_ex(o, "gone", &v));
	assert_true(json_object_get_boolean(v));
	assert_true(json_object_object_get_ex(o, "frontend-name", &v));
	assert_string_equal(json_object_get_string(v), "guest1");
	assert_true(json_object_object_get_ex(o, "vdev", &v));
	assert_string_equal(json_object_get_string(v), "xvdb");
	assert_true(json_object_object_get_ex(o, "params", &v));
	assert_string_equal(json_object_get_string(v), "/srv/disk.img");
	json_object_put(o);
	/* A record without the name, a vbd without params: null. */
	d.fe_name[0] = d.params[0] = '\0';
	o = dev_json(NULL, &d);
	assert_true(json_object_object_get_ex(o, "frontend-name", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "params", &v));
	assert_null(v);
	json_object_put(o);
}

static void test_missing_side(void **s)
{
	struct xbdev_dev_status d = {
		.fe = 3, .cls = "c", .type = "c", .fe_state = -1,
		.be_state = 1, .health = XBDEV_HEALTH_ORPHANED,
	};
	json_object *o = dev_json(NULL, &d), *v = (json_object *)1;

	/* A missing end is null, not a made-up state; no daemon, no pid. */
	assert_true(json_object_object_get_ex(o, "frontend-state", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "since", &v));
	assert_null(v);
	assert_false(json_object_object_get_ex(o, "pid", NULL));
	assert_true(json_object_object_get_ex(o, "health", &v));
	assert_string_equal(json_object_get_string(v), "orphaned");
	/* Not a vbd, no record: no vdev, no params, no frontend-name. */
	assert_false(json_object_object_get_ex(o, "vdev", NULL));
	assert_false(json_object_object_get_ex(o, "params", NULL));
	assert_false(json_object_object_get_ex(o, "frontend-name", NULL));
	assert_true(json_object_object_get_ex(o, "gone", &v));
	assert_false(json_object_get_boolean(v));
	json_object_put(o);
}

/* t without the blanks at the end of its lines (the table pads its
 * header's last title; that is not what these tests are about). */
static void trim_lines(char *t)
{
	char *r = t, *w = t, *blank = NULL;

	for (; *r; r++) {
		if (*r == '\n' && blank)
			w = blank;
		if (*r == ' ') {
			if (!blank)
				blank = w;
		} else {
			blank = NULL;
		}
		*w++ = *r;
	}
	*w = '\0';
}

/* The status table: a guest that is gone by the name its record kept,
 * in parentheses; the vbd's vdev and disk in the last two columns. */
static void test_table_gone_and_disk(void **s)
{
	struct xbdev_dev_status v[2] = {
		{ .fe = 5, .devid = 51728, .cls = "vbd", .type = "xbdev-vbd",
		  .fe_state = -1, .be_state = 4, .has_record = true,
		  .fe_gone = true, .fe_name = "guest1",
		  .params = "/srv/a.img" },
		{ .fe = 6, .devid = 0, .cls = "mydevice", .type = "mydevice",
		  .fe_state = 4, .be_state = 4, .has_record = true,
		  .fe_name = "alive" },
	};
	json_object *rows = json_object_new_array();
	char *t;

	json_object_array_add(rows, dev_json(NULL, &v[0]));
	json_object_array_add(rows, dev_json(NULL, &v[1]));
	table_names(rows, v);
	capture();
	cli_print_table(rows, list_cols, sizeof(list_cols) /
					 sizeof(list_cols[0]));
	t = captured();
	trim_lines(t);
	assert_string_equal(t,
		"DOMAIN    ID  CLASS     DEVID  BE  FRONTEND   BACKEND    "
		"HEALTH  SINCE  VDEV  DISK\n"
		"(guest1)  5   vbd       51728  0   -          Connected  "
		"ok      -      xvdb  /srv/a.img\n"
		"?         6   mydevice  0      0   Connected  Connected  "
		"ok      -      -     -\n");
	free(t);
	json_object_put(rows);
}

/* A vbd named by its vdev alone, as attach's --vdev takes it. */
static void test_device_arg(void **s)
{
	char cls[XBDEV_NAME_MAX + 1];
	unsigned devid = 0;

	assert_int_equal(cli_device("xvdb", cls, sizeof(cls), &devid), 0);
	assert_string_equal(cls, "vbd");
	assert_int_equal(devid, 51728);
	assert_int_equal(cli_device("vbd/xvdc", cls, sizeof(cls), &devid), 0);
	assert_int_equal(devid, 51744);
	assert_int_equal(cli_device("mydevice/3", cls, sizeof(cls), &devid),
			 0);
	assert_string_equal(cls, "mydevice");
	assert_int_equal(devid, 3);
	/* A bare number is no vdev here: it names no class. */
	assert_int_equal(cli_device("51728", cls, sizeof(cls), &devid),
			 XBDEV_EXIT_USAGE);
	assert_int_equal(cli_device("frob", cls, sizeof(cls), &devid),
			 XBDEV_EXIT_USAGE);
}

static void test_acl(void **s)
{
	const struct xbdev_acl_entry acl[] = {
		{ 5, XBDEV_PERM_NONE }, { 0, XBDEV_PERM_READ },
		{ 7, XBDEV_PERM_BOTH }, { 9, XBDEV_PERM_WRITE },
	};
	json_object *a = cli_acl_json(acl, 4);
	char buf[64];

	cli_format_acl(buf, sizeof(buf), acl, 4);
	assert_string_equal(buf, "n5,r0,b7,w9");
	assert_string_equal(json_object_to_json_string_ext(
				    a, JSON_C_TO_STRING_PLAIN),
			    "[\"n5\",\"r0\",\"b7\",\"w9\"]");
	json_object_put(a);
}

static void test_exit_codes(void **s)
{
	assert_int_equal(cli_exit_code(0), XBDEV_EXIT_OK);
	assert_int_equal(cli_exit_code(-ENOENT), XBDEV_EXIT_NOTFOUND);
	assert_int_equal(cli_exit_code(-ESRCH), XBDEV_EXIT_NOTFOUND);
	assert_int_equal(cli_exit_code(-ETIMEDOUT), XBDEV_EXIT_TIMEOUT);
	assert_int_equal(cli_exit_code(-EINVAL), XBDEV_EXIT_USAGE);
	assert_int_equal(cli_exit_code(-EEXIST), XBDEV_EXIT_USAGE);
	assert_int_equal(cli_exit_code(-EIO), XBDEV_EXIT_FAIL);
}

/* What a guest wrote into its frontend directory: an escape sequence
 * that clears the screen, a forged line. */
#define HOSTILE "x\x1b[2J\nhealth          ok"
#define HOSTILE_SHOWN "x\\x1b[2J\\x0ahealth          ok"

static const struct xbdev_grant_use no_grants;

static void test_device_text_escaped(void **s)
{
	json_object *o = json_object_new_object(), *nodes, *node, *info;
	char *t;

	cli_json_str(o, "domain", "g\x07");
	cli_json_str(o, "frontend", "/local/domain/5/" HOSTILE);
	nodes = json_object_new_array();
	node = json_object_new_object();
	cli_json_str(node, "path", "/local/domain/5/device/vbd/51728/" HOSTILE);
	cli_json_str(node, "value", HOSTILE);
	json_object_object_add(node, "perms", json_object_new_array());
	json_object_array_add(nodes, node);
	json_object_object_add(o, "frontend-nodes", nodes);
	info = json_object_new_object();
	cli_json_str(info, "protocol", HOSTILE);
	json_object_object_add(o, "info", info);
	capture();
	print_device(o, &no_grants);
	t = captured();
	assert_null(strchr(t, '\x1b'));
	assert_null(strchr(t, '\x07'));
	assert_string_equal(t,
		"domain          g\\x07\n"
		"frontend        /local/domain/5/" HOSTILE_SHOWN "\n"
		"info:\n"
		"  protocol                     " HOSTILE_SHOWN "\n"
		"Frontend:\n"
		"  /local/domain/5/device/vbd/51728/" HOSTILE_SHOWN " = \""
		HOSTILE_SHOWN "\" ()\n");
	free(t);
	/* A value is quoted as --dry-run quotes it: a quote inside as \". */
	json_object_object_add(node, "value",
			       json_object_new_string("say \"hi\" \\ \x1b"));
	capture();
	cli_print_nodes(nodes, "  ");
	t = captured();
	assert_non_null(strstr(t, " = \"say \\\"hi\\\" \\\\ \\x1b\" ()\n"));
	free(t);
	json_object_put(o);
}

static void test_table_escaped(void **s)
{
	static const struct cli_column cols[] = { { "domain", "DOMAIN" },
						  { "health", "HEALTH" } };
	json_object *rows = json_object_new_array(), *r = json_object_new_object();
	char *t;

	cli_json_str(r, "domain", "g\x1b[2J");
	cli_json_str(r, "health", "backend-dead");
	json_object_array_add(rows, r);
	r = json_object_new_object();
	cli_json_str(r, "domain", "web");
	json_object_object_add(r, "health", NULL);
	json_object_array_add(rows, r);
	capture();
	cli_print_table(rows, cols, 2);
	t = captured();
	/* No line ends in blanks, the heading neither (the last column is
	 * not padded). */
	assert_string_equal(t, "DOMAIN    HEALTH\n"
			       "g\\x1b[2J  backend-dead\n"
			       "web       -\n");
	free(t);
	json_object_put(rows);
}

/* Grant use as lib/grants.c judges it (test-lib-grants.c tests that): the
 * warning of each kind in words, a map failure worded by its cause, the
 * text line and the JSON numbers. */
static struct xbdev_grant_use grants_of(unsigned long long mapped,
					unsigned long long max, unsigned pct,
					unsigned warn)
{
	struct xbdev_grant_use g = { .pct = pct, .warn = warn };

	g.n[XBDEV_GRANT_MAPPED] = g.n[XBDEV_GRANT_PEAK] = mapped;
	g.n[XBDEV_GRANT_MAX] = max;
	g.n[XBDEV_GRANT_RING] = 2;
	return g;
}

static const char *warning(json_object *w, size_t i)
{
	return json_object_get_string(json_object_array_get_idx(w, i));
}

static void test_grant_warnings(void **s)
{
	struct xbdev_grant_use g = grants_of(89, 100, 89, 0);
	json_object *w = grant_warnings(&g), *o, *v;
	char line[256];

	assert_int_equal(json_object_array_length(w), 0);
	json_object_put(w);
	g = grants_of(90, 100, 90, XBDEV_GRANT_WARN_CAP);
	w = grant_warnings(&g);
	assert_int_equal(json_object_array_length(w), 1);
	assert_string_equal(warning(w, 0), "persistent grants at 90% of the "
			    "cap (90/100 mapped): past it the guest's new "
			    "grants go through grant copy (slower)");
	json_object_put(w);
	g = grants_of(0, 0, 0, XBDEV_GRANT_WARN_MAP | XBDEV_GRANT_WARN_COPY);
	g.n[XBDEV_GRANT_MAP_FAILURES] = 3;
	g.n[XBDEV_GRANT_COPY_FAILURES] = 4;
	g.map_dom0_limit = true;
	strcpy(g.last_error, "ENOMEM");
	w = grant_warnings(&g);
	assert_int_equal(json_object_array_length(w), 2);
	assert_string_equal(warning(w, 0), "grant mapping failed 3 times "
			    "(last: ENOMEM): gntdev/maptrack limit reached?");
	assert_string_equal(warning(w, 1), "grant copy failed for 4 "
			    "requests: the guest got I/O errors (a bad or "
			    "revoked grant)");
	json_object_put(w);
	g.map_dom0_limit = false;
	g.last_error[0] = '\0';
	g.warn = XBDEV_GRANT_WARN_MAP;
	w = grant_warnings(&g);
	assert_int_equal(json_object_array_length(w), 1);
	assert_string_equal(warning(w, 0), "grant mapping failed 3 times "
			    "(last: ?): a bad grant from the guest, or dom0's "
			    "maptrack table full? (xl debug-keys g)");
	json_object_put(w);
	g = grants_of(812, 2112, 38, 0);
	grant_line(&g, line, sizeof(line));
	assert_string_equal(line, "812/2112 persistent mapped (38%), peak "
			    "812, ring 2, copy failures 0, map failures 0");
	g = grants_of(0, 0, 0, 0);
	grant_line(&g, line, sizeof(line));
	assert_string_equal(line, "no persistent grants mapped (peak 0), "
			    "ring 2, copy failures 0, map failures 0");
	g = grants_of(812, 2112, 38, 0);
	o = grant_json(&g);
	assert_true(json_object_object_get_ex(o, "persistent-grants-max", &v));
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int64(v), 2112);
	assert_true(json_object_object_get_ex(o, "persistent-grants", &v));
	assert_int_equal(json_object_get_int64(v), 812);
	assert_true(json_object_object_get_ex(o, "map-last-error", &v));
	assert_null(v);
	assert_int_equal(json_object_object_length(o), XBDEV_GRANT_NKEYS + 1);
	json_object_put(o);
}

static void test_health_names(void **s)
{
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_BACKEND_DEAD),
			    "backend-dead");
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_INCONSISTENT),
			    "inconsistent");
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_CONSOLE),
			    "console");
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_EJECTED),
			    "ejected");
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_EJECTED + 1), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_device_shape),
		cmocka_unit_test(test_missing_side),
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_device_text_escaped),
		cmocka_unit_test(test_table_escaped),
		cmocka_unit_test(test_health_names),
		cmocka_unit_test(test_grant_warnings),
		cmocka_unit_test(test_table_gone_and_disk),
		cmocka_unit_test(test_device_arg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
