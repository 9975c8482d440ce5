// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The "resize" request of xbdev-blkback (backend/xenbus.c, blk_xb_resize)
 * on the in-memory xenstore of fake-xs.h, over a real (sparse) image file
 * mapped as io.c maps it: the file grows (to a size, by an amount, or as
 * someone else grew it: follow), the mapping covers the new size, sectors
 * and our Connected state are written again in one transaction (a failed
 * write in it leaves the old sectors), info/ shows the new size; refused
 * with nothing changed: a smaller size without force, a read-only disk's
 * image, a size that is not a whole number of sectors, a device the
 * toolstack is closing.  xs_write is wrapped to see which writes were
 * inside a transaction.
 */
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
#include <xenstore.h>

#include <cmocka.h>

#define xs_write fake_xs_write
#include "fake-xs.h"
#undef xs_write

#include "blkback.h"

static void put(const char *path, const char *value)
{
	assert_true(fake_xs_write(NULL, XBT_NULL, path, value, strlen(value)));
}

#include "blk-dev-fix.h"

#define MiB (1024ull * 1024)

/* Writes of BE/sectors and BE/state: how many, and how many of them
 * outside a transaction. */
static unsigned be_writes, be_writes_bare;

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
	      const void *data, unsigned int len)
{
	if (!strcmp(path, BE "/sectors") || !strcmp(path, BE "/state")) {
		be_writes++;
		if (t == XBT_NULL)
			be_writes_bare++;
	}
	return fake_xs_write(h, t, path, data, len);
}

struct fix {
	struct blk_dev d;
	char img[64];
	struct blk_fix_log log;
	char msg[256];
};

static const char *node(const char *path)
{
	struct fake_node *n = fake_find(path);

	return n ? n->value : NULL;
}

static uint64_t file_size(const struct fix *f)
{
	struct stat sb;

	assert_int_equal(stat(f->img, &sb), 0);
	return (uint64_t)sb.st_size;
}

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct blk_dev *d = &f->d;
	int fd;

	assert_non_null(f);
	blk_fix_store();
	put(BE "/state", "4");
	put(BE "/sectors", "131072");
	put(FE "/state", "4");

	snprintf(f->img, sizeof(f->img), "/tmp/test-backend-resize.XXXXXX");
	fd = mkstemp(f->img);
	assert_true(fd >= 0);
	blk_fix_dev(d, f->img);
	d->fd = fd;
	assert_int_equal(ftruncate(d->fd, (off_t)(64 * MiB)), 0);
	d->size = 64 * MiB;
	d->sectors = d->size >> BLK_SECTOR_SHIFT;
	d->sector_size = 512;
	d->lim.sectors = d->sectors;
	d->state = XBDEV_STATE_CONNECTED;
	assert_int_equal(blk_io_map(d), 0);
	assert_int_equal(xbdev_open(&d->xs), 0);
	xbdev_set_log_fn(d->xs, blk_lib_log, d);
	blk_fix_log_start(&f->log, "/tmp/test-backend-resize.XXXXXX");
	blk_xb_publish(d, true);
	be_writes = be_writes_bare = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	blk_xb_fini(&f->d);
	blk_fix_log_end(&f->log);
	unlink(f->img);
	fake_xs_reset();
	free(f);
	return 0;
}

static int resize(struct fix *f, const char *arg)
{
	return blk_ctl_dispatch(&f->d, "resize", arg, f->msg, sizeof(f->msg));
}

/* Nothing changed: the file, our sizes, the nodes the guest reads. */
static void unchanged(struct fix *f, uint64_t size)
{
	assert_int_equal(file_size(f), size);
	assert_int_equal(f->d.size, size);
	assert_int_equal(f->d.lim.sectors, size >> BLK_SECTOR_SHIFT);
	assert_string_equal(node(BE "/sectors"), "131072");
	assert_int_equal(be_writes, 0);
}

static void grows_the_file_and_tells_the_guest(void **state)
{
	struct fix *f = *state;
	struct blk_dev *d = &f->d;
	char byte = 'x';

	assert_int_equal(resize(f, "134217728"), 0);
	assert_string_equal(f->msg, "67108864 -> 134217728 bytes");
	assert_int_equal(file_size(f), 128 * MiB);
	assert_int_equal(d->size, 128 * MiB);
	assert_int_equal(d->sectors, 262144);
	assert_int_equal(d->lim.sectors, 262144);
	/* What the guest reads: 512-byte units, and our state again. */
	assert_string_equal(node(BE "/sectors"), "262144");
	assert_string_equal(node(BE "/state"), "4");
	assert_int_equal(be_writes, 2);
	assert_int_equal(be_writes_bare, 0);
	/* The mapping covers the new end. */
	assert_int_equal(pwrite(d->fd, &byte, 1, (off_t)(128 * MiB - 1)), 1);
	assert_non_null(d->map);
	assert_int_equal(d->map[128 * MiB - 1], 'x');
	/* status sees it before the answer. */
	assert_string_equal(node(REC "/info/size"), "134217728");
	assert_string_equal(node(REC "/info/sectors"), "262144");
	assert_non_null(strstr(node(REC "/info/last-resize"),
			       "Z 67108864 -> 134217728"));
}

static void grows_by_an_amount(void **state)
{
	struct fix *f = *state;

	assert_int_equal(resize(f, "+16777216"), 0);
	assert_int_equal(file_size(f), 80 * MiB);
	assert_string_equal(node(BE "/sectors"), "163840");
	/* the same size again: nothing to do, nothing written */
	be_writes = 0;
	assert_int_equal(resize(f, "83886080"), 0);
	assert_string_equal(f->msg, "already 83886080 bytes");
	assert_int_equal(be_writes, 0);
}

static void a_smaller_size_needs_force(void **state)
{
	struct fix *f = *state;

	assert_int_equal(resize(f, "33554432"), -EINVAL);
	assert_non_null(strstr(f->msg, "--force"));
	unchanged(f, 64 * MiB);
	assert_int_equal(resize(f, "33554432 force"), 0);
	assert_int_equal(file_size(f), 32 * MiB);
	assert_string_equal(node(BE "/sectors"), "65536");
	assert_int_equal(f->d.lim.sectors, 65536);
}

static void a_readonly_image_is_not_changed(void **state)
{
	struct fix *f = *state;
	int fd;

	f->d.readonly = true;
	assert_int_equal(resize(f, "134217728"), -EROFS);
	unchanged(f, 64 * MiB);
	assert_int_equal(resize(f, "+512"), -EROFS);
	unchanged(f, 64 * MiB);
	/* grown by hand: follow takes it */
	fd = open(f->img, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(96 * MiB)), 0);
	close(fd);
	assert_int_equal(resize(f, "follow"), 0);
	assert_int_equal(f->d.size, 96 * MiB);
	assert_string_equal(node(BE "/sectors"), "196608");
}

static void follow_a_smaller_store_needs_force(void **state)
{
	struct fix *f = *state;

	assert_int_equal(ftruncate(f->d.fd, (off_t)(32 * MiB)), 0);
	assert_int_equal(resize(f, "follow"), -EINVAL);
	assert_int_equal(f->d.size, 64 * MiB);
	assert_string_equal(node(BE "/sectors"), "131072");
	assert_int_equal(resize(f, "follow force"), 0);
	assert_int_equal(f->d.size, 32 * MiB);
}

static void whole_sectors_only(void **state)
{
	struct fix *f = *state;

	assert_int_equal(resize(f, "67109000"), -EINVAL);
	unchanged(f, 64 * MiB);
	f->d.sector_size = 4096;
	assert_int_equal(resize(f, "+512"), -EINVAL);
	assert_non_null(strstr(f->msg, "4096-byte sectors"));
	unchanged(f, 64 * MiB);
	assert_int_equal(resize(f, "+4096"), 0);
	assert_int_equal(file_size(f), 64 * MiB + 4096);
}

static void malformed_requests(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = {
		"",
		"+",
		"12 frob",
		"force",
		"-512",
		"0x200",
		"012",
		"99999999999999999999",
		"+9223372036854775807",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = resize(f, bad[i]);

		if (err != -EINVAL && err != -ERANGE)
			fail_msg("'%s': %d", bad[i], err);
		unchanged(f, 64 * MiB);
	}
	assert_int_equal(resize(f, "0 force"), -EINVAL);
	unchanged(f, 64 * MiB);
}

/* Both writes in one transaction: one that fails takes the other back. */
static void sectors_and_state_commit_together(void **state)
{
	struct fix *f = *state;

	fake_xs_writes_left = 2; /* sectors written, state fails */
	assert_true(resize(f, "134217728") < 0);
	fake_xs_writes_left = 0;
	assert_non_null(strstr(f->msg, "the guest was not told"));
	assert_string_equal(node(BE "/sectors"), "131072");
	assert_string_equal(node(BE "/state"), "4");
}

static void before_connect_the_size_waits(void **state)
{
	struct fix *f = *state;

	f->d.state = XBDEV_STATE_INITWAIT;
	put(BE "/state", "2");
	be_writes = 0;
	assert_int_equal(resize(f, "134217728"), 0);
	assert_non_null(strstr(f->msg, "when it connects"));
	assert_int_equal(f->d.sectors, 262144);
	assert_int_equal(be_writes, 0);
	assert_string_equal(node(BE "/state"), "2");
}

/* The toolstack wrote Closing over our state (a detach): not written
 * back to Connected. */
static void a_closing_device_is_not_reopened(void **state)
{
	struct fix *f = *state;

	put(BE "/state", "5");
	assert_int_equal(resize(f, "134217728"), -EBUSY);
	assert_string_equal(node(BE "/state"), "5");
	assert_string_equal(node(BE "/sectors"), "131072");
	f->d.closing = true;
	assert_int_equal(resize(f, "+1048576"), -EBUSY);
	assert_int_equal(file_size(f), 128 * MiB);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(grows_the_file_and_tells_the_guest),
		T(grows_by_an_amount),
		T(a_smaller_size_needs_force),
		T(a_readonly_image_is_not_changed),
		T(follow_a_smaller_store_needs_force),
		T(whole_sectors_only),
		T(malformed_requests),
		T(sectors_and_state_commit_together),
		T(before_connect_the_size_waits),
		T(a_closing_device_is_not_reopened),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
