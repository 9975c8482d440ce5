/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev: vdev names <-> ids (xen-vbd-interface(7)). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "xbdev.h"

struct vcase {
	const char *name;
	unsigned id;
	const char *canonical;   /* NULL: same as name */
};

static const struct vcase good[] = {
	{ "xvda", 51712, NULL },
	{ "xvdb", 51728, NULL },
	{ "xvda1", 51713, NULL },
	{ "xvdp15", 202 << 8 | 15 << 4 | 15, NULL },
	{ "xvdq", 268439552, NULL },              /* extended: disk 16 */
	{ "xvda16", 1u << 28 | 16, NULL },        /* extended: part 16 */
	{ "xvdaa", 1u << 28 | 26 << 8, NULL },
	{ "xvdzz", 1u << 28 | 701 << 8, NULL },
	{ "xvdaaa", 1u << 28 | 702 << 8, NULL },
	{ "xvdaaaaa", 1u << 28 | 475254u << 8, NULL },
	{ "sda", 2048, NULL },
	{ "sdb3", 8 << 8 | 1 << 4 | 3, NULL },
	{ "hda", 768, NULL },
	{ "hdb2", 3 << 8 | 1 << 6 | 2, NULL },
	{ "hdc", 5632, NULL },
	{ "hdd63", 22 << 8 | 1 << 6 | 63, NULL },
	{ "d0", 51712, "xvda" },
	{ "d1p2", 51730, "xvdb2" },
	{ "d16", 268439552, "xvdq" },
	{ "d0p200", 1u << 28 | 200, "xvda200" },
	{ "51728", 51728, "xvdb" },
	{ "0", 0, "0" },
	{ "12345", 12345, "12345" },
};

static const char *const bad[] = {
	"", "xvd", "xvd0", "xvda0", "xvdA", "xvda-1", "xvda01", "xvda256",
	"sdq", "sda16", "hde", "hda64", "d", "dp1", "d1p", "d1p0", "d01",
	"vda", "xvda ", " xvda", "536870912", "-1", "0x10", "d1048576",
	"xvdzzzzz", "xvdcaaaa",
};

static void test_parse(void **s)
{
	unsigned i, id;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		id = 0xdead;
		assert_int_equal(xbdev_vdev_parse(good[i].name, &id), 0);
		assert_int_equal(id, good[i].id);
	}
}

static void test_reject(void **s)
{
	unsigned i, id = 0;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = xbdev_vdev_parse(bad[i], &id);

		if (err == 0)
			fail_msg("accepted '%s' as %u", bad[i], id);
		assert_true(err == -EINVAL || err == -ERANGE);
	}
	assert_int_equal(xbdev_vdev_parse(NULL, &id), -EINVAL);
}

static void test_name(void **s)
{
	char buf[32];
	unsigned i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *want = good[i].canonical ? good[i].canonical
						     : good[i].name;

		assert_int_equal(xbdev_vdev_name(good[i].id, buf, sizeof(buf)),
				 0);
		assert_string_equal(buf, want);
	}
	assert_int_equal(xbdev_vdev_name(51712, buf, 3), -ENAMETOOLONG);
	assert_int_equal(xbdev_vdev_name(1u << 29, buf, sizeof(buf)), -EINVAL);
}

/* Every extended-range name survives a round trip. */
static void test_roundtrip(void **s)
{
	char buf[32];
	unsigned disk, id, back;

	for (disk = 0; disk < 20000; disk += 7) {
		id = 1u << 28 | disk << 8 | 5;
		assert_int_equal(xbdev_vdev_name(id, buf, sizeof(buf)), 0);
		assert_int_equal(xbdev_vdev_parse(buf, &back), 0);
		if (disk >= 16)
			assert_int_equal(back, id);
	}
}

/* The ids Linux blkfront takes: xvd, IDE (two majors), SCSI, the
 * extended form; any other it refuses. */
static void test_check(void **s)
{
	static const unsigned good_ids[] = {
		51712, 51728, 202 << 8 | 255, 768, 22 << 8 | 127, 2048,
		65 << 8, 71 << 8 | 255, 128 << 8, 135 << 8 | 17,
		1u << 28, (1u << 28) | 701 << 8, (1u << 29) - 1,
	};
	static const unsigned bad_ids[] = {
		0, 3, 5, 255, 1 << 8, 33 << 8, 64 << 8 | 255, 72 << 8,
		127 << 8, 136 << 8, 201 << 8, 203 << 8, 1u << 29, 0xffffffffu,
	};
	unsigned i, id;

	for (i = 0; i < sizeof(good_ids) / sizeof(*good_ids); i++)
		if (xbdev_vdev_check(good_ids[i]))
			fail_msg("%u refused", good_ids[i]);
	for (i = 0; i < sizeof(bad_ids) / sizeof(*bad_ids); i++)
		if (xbdev_vdev_check(bad_ids[i]) != -EINVAL)
			fail_msg("%u taken", bad_ids[i]);
	/* Every name but a bare number gives an id blkfront takes. */
	for (i = 0; i < sizeof(good) / sizeof(*good); i++) {
		if (good[i].name[0] >= '0' && good[i].name[0] <= '9')
			continue;
		assert_int_equal(xbdev_vdev_parse(good[i].name, &id), 0);
		assert_int_equal(xbdev_vdev_check(id), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_reject),
		cmocka_unit_test(test_name),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
