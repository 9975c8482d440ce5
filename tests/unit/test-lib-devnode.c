/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev: the Xen device nodes xbdev-blkback needs (lib/devnode.c),
 * checked in a directory of this test's own. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "xbdev.h"

static char dir[] = "/tmp/xbdev-devnode-XXXXXX";

static void node(const char *name, bool present)
{
	char p[256];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (!present) {
		unlink(p);
		return;
	}
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static int setup(void **s)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
	node("gntdev", false);
	node("evtchn", false);
	return rmdir(dir);
}

static void test_modules(void **s)
{
	assert_string_equal(xbdev_devnode_module("gntdev"), "xen-gntdev");
	assert_string_equal(xbdev_devnode_module("evtchn"), "xen-evtchn");
	assert_string_equal(xbdev_devnode_module("gntalloc"), "xen-gntalloc");
	assert_string_equal(xbdev_devnode_module("privcmd"), "xen-privcmd");
	assert_null(xbdev_devnode_module("xenbus"));
	assert_null(xbdev_devnode_module(""));
}

static void test_dir(void **s)
{
	unsetenv("XBDEV_XEN_DEVDIR");
	assert_string_equal(xbdev_devnode_dir(), "/dev/xen");
	setenv("XBDEV_XEN_DEVDIR", "", 1);
	assert_string_equal(xbdev_devnode_dir(), "/dev/xen");
	setenv("XBDEV_XEN_DEVDIR", dir, 1);
	assert_string_equal(xbdev_devnode_dir(), dir);
	unsetenv("XBDEV_XEN_DEVDIR");
}

/* Each node missing alone is named; both there is 0. */
static void test_check(void **s)
{
	const struct xbdev_devnode *m = NULL;
	char sub[300];

	node("gntdev", false);
	node("evtchn", false);
	assert_int_equal(xbdev_blkback_devnodes(dir, &m), -ENODEV);
	assert_non_null(m);
	assert_string_equal(m->name, "gntdev");
	assert_string_equal(m->module, "xen-gntdev");

	node("gntdev", true);
	m = NULL;
	assert_int_equal(xbdev_blkback_devnodes(dir, &m), -ENODEV);
	assert_non_null(m);
	assert_string_equal(m->name, "evtchn");
	assert_string_equal(m->module, "xen-evtchn");

	node("evtchn", true);
	node("gntdev", false);
	m = NULL;
	assert_int_equal(xbdev_blkback_devnodes(dir, &m), -ENODEV);
	assert_string_equal(m->name, "gntdev");

	node("gntdev", true);
	m = NULL;
	assert_int_equal(xbdev_blkback_devnodes(dir, &m), 0);
	assert_null(m);
	assert_int_equal(xbdev_blkback_devnodes(dir, NULL), 0);

	/* NULL: $XBDEV_XEN_DEVDIR. */
	setenv("XBDEV_XEN_DEVDIR", dir, 1);
	assert_int_equal(xbdev_blkback_devnodes(NULL, NULL), 0);
	snprintf(sub, sizeof(sub), "%s/none", dir);
	setenv("XBDEV_XEN_DEVDIR", sub, 1);
	assert_int_equal(xbdev_blkback_devnodes(NULL, &m), -ENODEV);
	assert_string_equal(m->name, "gntdev");
	unsetenv("XBDEV_XEN_DEVDIR");

	/* A regular file where the directory should be: ENOTDIR, absent. */
	snprintf(sub, sizeof(sub), "%s/gntdev", dir);
	assert_int_equal(xbdev_blkback_devnodes(sub, NULL), -ENODEV);
}

static void test_why(void **s)
{
	char buf[256], small[16];

	assert_int_equal(
		xbdev_devnode_why(buf, sizeof(buf), NULL, "gntdev", -ENOENT),
		0);
	assert_string_equal(buf, "/dev/xen/gntdev: No such file or directory "
				 "(load the xen-gntdev module)");
	assert_int_equal(
		xbdev_devnode_why(buf, sizeof(buf), "/d", "evtchn", -ENODEV),
		0);
	assert_string_equal(buf, "/d/evtchn: No such device "
				 "(load the xen-evtchn module)");
	xbdev_devnode_why(buf, sizeof(buf), "/d", "evtchn", -ENXIO);
	assert_string_equal(buf, "/d/evtchn: No such device or address "
				 "(load the xen-evtchn module)");
	xbdev_devnode_why(buf, sizeof(buf), "/d", "gntdev", -ENOTDIR);
	assert_string_equal(buf, "/d/gntdev: Not a directory "
				 "(load the xen-gntdev module)");
	/* Present but refused: no module to load. */
	xbdev_devnode_why(buf, sizeof(buf), "/d", "gntdev", -EACCES);
	assert_string_equal(buf, "/d/gntdev: Permission denied");
	/* A node of no known module: no hint. */
	xbdev_devnode_why(buf, sizeof(buf), "/d", "xenbus", -ENOENT);
	assert_string_equal(buf, "/d/xenbus: No such file or directory");
	assert_int_equal(xbdev_devnode_why(small, sizeof(small), NULL, "gntdev",
					   -ENOENT),
			 -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modules),
		cmocka_unit_test(test_dir),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_why),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
