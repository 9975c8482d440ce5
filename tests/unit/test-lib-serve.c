/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev serve.c: which of libxl's disks xbdevd serves, the record it
 * keeps of them, and taking a device from the kernel's blkback (on an
 * in-memory xenstore and a fake sysfs). */
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
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"
#include "fake-xs.h"

#define BE "/local/domain/0/backend/vbd/5/51728"
#define BE3 "/local/domain/0/backend/vbd3/5/51728"
#define FE "/local/domain/5/device/vbd/51728"
#define REC "/xbdev/5/vbd/51728"

static void put(const char *path, const char *value, unsigned owner,
		unsigned reader)
{
	struct xs_permissions p[2] = { { owner, XS_PERM_NONE },
				       { reader, XS_PERM_READ } };

	assert_true(xs_write(NULL, XBT_NULL, path, value,
			     (unsigned)strlen(value)));
	assert_true(xs_set_permissions(NULL, XBT_NULL, path, p, 2));
}

/* What libxl writes for a phy disk with script=xbdev (the part we read). */
static void libxl_disk(const char *be, const char *script)
{
	char p[256];

	put(be, "", 0, 5);
	snprintf(p, sizeof(p), "%s/frontend", be);
	put(p, FE, 0, 5);
	snprintf(p, sizeof(p), "%s/online", be);
	put(p, "1", 0, 5);
	if (script) {
		snprintf(p, sizeof(p), "%s/script", be);
		put(p, script, 0, 5);
	}
}

static char *get(const char *path)
{
	unsigned len;

	return xs_read(NULL, XBT_NULL, path, &len);
}

static int ours(const char *type, const char *be)
{
	static struct xbdev *x;
	int r;

	assert_int_equal(xbdev_open(&x), 0);
	r = xbdev_libxl_device_ours(x, XBDEV_TXN_NONE, type, be, 0);
	xbdev_close(x);
	return r;
}

static void test_ours(void **s)
{
	fake_xs_reset();
	libxl_disk(BE, "/etc/xen/scripts/xbdev");
	assert_int_equal(ours("vbd", BE), 1);
	put(BE "/script", "/etc/xen/scripts/block", 0, 5);
	assert_int_equal(ours("vbd", BE), 0);
	put(BE "/script", "/etc/xen/scripts/xbdev-other", 0, 5);
	assert_int_equal(ours("vbd", BE), 0);
	put(BE "/script", "xbdev", 0, 5);
	assert_int_equal(ours("vbd", BE), 1);
	/* The guest may not decide it. */
	put(BE "/script", "/etc/xen/scripts/xbdev", 5, 0);
	assert_int_equal(ours("vbd", BE), -EPERM);
	/* A kernel-blkback disk made by hand has no script node. */
	fake_xs_reset();
	libxl_disk(BE, NULL);
	assert_int_equal(ours("vbd", BE), 0);
	/* vbd3 with our script; blktap3's (block-tap) are tapback's;
	 * nothing of other types. */
	libxl_disk(BE3, "/etc/xen/scripts/block-tap");
	assert_int_equal(ours("vbd3", BE3), 0);
	put(BE3 "/script", "/etc/xen/scripts/xbdev", 0, 5);
	assert_int_equal(ours("vbd3", BE3), 1);
	assert_int_equal(ours("xbdev-vbd", BE), 0);
	assert_int_equal(ours("vbd3", "/local/domain/0/backend/vbd3/5/1"),
			 -ENOENT);
	put(BE3, "", 5, 0);
	assert_int_equal(ours("vbd3", BE3), -EPERM);
}

static char logdir[64];

static void make_logdir(void)
{
	snprintf(logdir, sizeof(logdir), "/tmp/xbdev-serve-XXXXXX");
	assert_non_null(mkdtemp(logdir));
}

static int serve(const char *type, long *pid)
{
	struct xbdev *x;
	int r;

	assert_int_equal(xbdev_open(&x), 0);
	r = xbdev_libxl_serve(x, 0, type, 5, 51728, "/bin/true", logdir, pid);
	xbdev_close(x);
	if (*pid > 0)
		waitpid((pid_t)*pid, NULL, 0);
	return r;
}

static void test_serve(void **s)
{
	struct xbdev_record rec;
	struct xbdev *x;
	char *v;
	long pid = 0;

	make_logdir();
	fake_xs_reset();
	libxl_disk(BE, "/etc/xen/scripts/xbdev");
	assert_int_equal(serve("vbd", &pid), 0);
	assert_true(pid > 0);
	assert_int_equal(xbdev_open(&x), 0);
	assert_int_equal(xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728,
					   &rec), 0);
	assert_string_equal(rec.managed_by, "libxl");
	assert_string_equal(rec.type, "vbd");
	assert_string_equal(rec.be_dir, BE);
	assert_string_equal(rec.fe_dir, FE);
	assert_int_equal(rec.pid, pid);
	assert_non_null(strstr(rec.log, "/vbd-5-51728.log"));
	xbdev_close(x);
	/* dom0's alone: nobody else may even read it. */
	{
		struct xs_permissions *p;
		unsigned n;

		p = xs_get_permissions(NULL, XBT_NULL, REC, &n);
		assert_non_null(p);
		assert_int_equal(n, 1);
		assert_int_equal(p[0].id, 0);
		assert_int_equal(p[0].perms, XS_PERM_NONE);
		free(p);
	}
	/* Nothing for a disk libxl is taking down, or one whose frontend
	 * node names another directory than the guest's vbd. */
	fake_xs_reset();
	libxl_disk(BE, "/etc/xen/scripts/xbdev");
	put(BE "/online", "0", 0, 5);
	assert_int_equal(serve("vbd", &pid), -ENOENT);
	assert_int_equal(pid, 0);
	assert_null(get(REC));
	put(BE "/online", "1", 0, 5);
	put(BE "/frontend", "/local/domain/6/device/vbd/51728", 0, 5);
	assert_int_equal(serve("vbd", &pid), -EINVAL);
	assert_null(get(REC));
	/* A daemon that cannot run leaves no record, nor its parents. */
	put(BE "/frontend", FE, 0, 5);
	assert_int_equal(xbdev_open(&x), 0);
	assert_int_equal(xbdev_libxl_serve(x, 0, "vbd", 5, 51728,
					   "/nonexistent/xbdev-blkback",
					   logdir, &pid), -ENOENT);
	xbdev_close(x);
	assert_null(get(REC));
	assert_null(get("/xbdev"));
	/* Nor one that is executable but does not exec (found after the
	 * record was written). */
	{
		char bad[128];
		FILE *f;

		snprintf(bad, sizeof(bad), "%s/not-a-program", logdir);
		f = fopen(bad, "w");
		assert_non_null(f);
		fputs("\x7f\x01 not an executable\n", f);
		fclose(f);
		assert_int_equal(chmod(bad, 0755), 0);
		assert_int_equal(xbdev_open(&x), 0);
		assert_int_not_equal(xbdev_libxl_serve(x, 0, "vbd", 5, 51728,
						       bad, logdir, &pid), 0);
		xbdev_close(x);
		assert_int_equal(pid, 0);
		assert_null(get(REC));
		assert_null(get("/xbdev"));
		unlink(bad);
	}
	/* Not again once a backend closed it (refused, detached). */
	put(BE "/state", "6", 0, 5);
	assert_int_equal(serve("vbd", &pid), -ENOENT);
	put(BE "/state", "5", 0, 5);
	assert_int_equal(serve("vbd", &pid), -ENOENT);
	put(BE "/state", "4", 0, 5);
	/* The record of a backend that exited while libxl takes the disk
	 * down stays for xbdev_libxl_forget (with its parents). */
	assert_int_equal(serve("vbd", &pid), 0);
	put(BE "/online", "0", 0, 5);
	assert_int_equal(serve("vbd", &pid), -ENOENT);
	assert_non_null(v = get(REC "/managed-by"));
	free(v);
	rmdir(logdir);
}

static int forget(void)
{
	struct xbdev *x;
	int r;

	assert_int_equal(xbdev_open(&x), 0);
	r = xbdev_libxl_forget(x, 0, "vbd", 5, 51728);
	xbdev_close(x);
	return r;
}

static void test_forget(void **s)
{
	long pid = 0;
	char *v;

	make_logdir();
	fake_xs_reset();
	libxl_disk(BE, "/etc/xen/scripts/xbdev");
	assert_int_equal(serve("vbd", &pid), 0);
	/* Not while libxl's directory is there. */
	assert_int_equal(forget(), -EBUSY);
	assert_non_null(v = get(REC "/pid"));
	free(v);
	xs_rm(NULL, XBT_NULL, "/local/domain/0/backend/vbd");
	assert_int_equal(forget(), 0);
	assert_null(get(REC));
	assert_null(get("/xbdev"));
	assert_int_equal(forget(), -ENOENT);
	/* Never a record xbdev attach made (no managed-by). */
	put(REC, "", 0, 0);
	put(REC "/frontend", FE, 0, 0);
	assert_int_equal(forget(), -EPERM);
	assert_non_null(v = get(REC "/frontend"));
	free(v);
	rmdir(logdir);
}

static char sysfs[64];

static void sys_mkdir(const char *rel)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/%s", sysfs, rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void test_kernel_release(void **s)
{
	char p[256], q[256], buf[64] = "";
	int fd;
	ssize_t n;

	snprintf(sysfs, sizeof(sysfs), "/tmp/xbdev-sysfs-XXXXXX");
	assert_non_null(mkdtemp(sysfs));
	setenv("XBDEV_SYSFS_ROOT", sysfs, 1);
	/* No xen-blkback loaded: nothing to take it from. */
	assert_int_equal(xbdev_kernel_release("vbd", 5, 51728,
					      xbdev_now_ms()), 0);
	sys_mkdir("bus");
	sys_mkdir("bus/xen-backend");
	sys_mkdir("bus/xen-backend/drivers");
	sys_mkdir("bus/xen-backend/drivers/vbd");
	sys_mkdir("bus/xen-backend/devices");
	/* Loaded, but the device never appears: give up at the deadline. */
	assert_int_equal(xbdev_kernel_release("vbd", 5, 51728,
					      xbdev_now_ms() + 60), 0);
	sys_mkdir("bus/xen-backend/devices/vbd-5-51728");
	snprintf(p, sizeof(p), "%s/bus/xen-backend/drivers/vbd/unbind", sysfs);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	close(fd);
	/* Present and unbound. */
	assert_int_equal(xbdev_kernel_release("vbd", 5, 51728,
					      xbdev_now_ms()), 0);
	/* Bound: the device's name goes to the driver's unbind file; a
	 * driver that keeps it is reported (this fake sysfs never lets go). */
	snprintf(q, sizeof(q), "%s/bus/xen-backend/devices/vbd-5-51728/driver",
		 sysfs);
	assert_int_equal(symlink("../../drivers/vbd", q), 0);
	assert_int_equal(xbdev_kernel_release("vbd", 5, 51728,
					      xbdev_now_ms()), -EBUSY);
	fd = open(p, O_RDONLY);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	assert_string_equal(buf, "vbd-5-51728");
	/* No kernel driver serves vbd3. */
	assert_int_equal(xbdev_kernel_release("vbd3", 5, 51728,
					      xbdev_now_ms()), 0);
	unlink(q);
	unlink(p);
	snprintf(p, sizeof(p), "rm -r %s", sysfs);
	assert_int_equal(system(p), 0);
	unsetenv("XBDEV_SYSFS_ROOT");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours),
		cmocka_unit_test(test_serve),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_kernel_release),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
