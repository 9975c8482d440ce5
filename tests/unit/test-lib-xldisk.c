/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libxbdev: xl disk specs (lib/xldisk.c).  The examples of
 * xl-disk-configuration(5) that say the same disk in each syntax, then
 * every way a spec is refused, each with the parameter it names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "xbdev.h"

static struct xbdev_xldisk d;

static void ok(const char *spec)
{
	int err = xbdev_xldisk_parse(spec, &d);

	if (err)
		fail_msg("'%s' refused: why %d key '%s' token '%s'", spec,
			 d.why, d.key, d.token);
}

static void refused(const char *spec, enum xbdev_xldisk_why why,
		    const char *key, const char *token)
{
	int err = xbdev_xldisk_parse(spec, &d);

	if (err != -EINVAL || d.why != why || strcmp(d.key, key) ||
	    strcmp(d.token, token))
		fail_msg("'%s': %d why %d key '%s' token '%s', wanted why %d "
			 "key '%s' token '%s'",
			 spec, err, d.why, d.key, d.token, why, key, token);
}

/* The guest volume of the man page, four ways. */
static void test_equivalent_specs(void **s)
{
	static const char *const specs[] = {
		"/dev/vg/guest-volume,,hda",
		"/dev/vg/guest-volume,raw,hda,rw",
		"format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
		"raw:/dev/vg/guest-volume,hda,w",
	};
	unsigned i;

	for (i = 0; i < 4; i++) {
		ok(specs[i]);
		assert_string_equal(d.target, "/dev/vg/guest-volume");
		assert_string_equal(d.vdev, "hda");
		assert_true(d.readonly <= 0);
		assert_int_equal(d.cdrom, -1);
		assert_int_equal(d.backendtype, -1);
		/* "raw" said, or left to the default. */
		assert_int_equal(d.format_raw, i > 0);
	}
	assert_int_equal(d.readonly, 0);
}

/* The CD-ROM of the man page, five ways. */
static void test_cdrom_specs(void **s)
{
	static const char *const specs[] = {
		"/root/image.iso,,hdc,cdrom",
		"/root/image.iso,,hdc,,cdrom",
		"/root/image.iso,raw,hdc,devtype=cdrom",
		"format=raw, vdev=hdc, access=ro, devtype=cdrom, "
		"target=/root/image.iso",
		"raw:/root/image.iso,hdc:cdrom,ro",
	};
	unsigned i;

	for (i = 0; i < 5; i++) {
		ok(specs[i]);
		assert_string_equal(d.target, "/root/image.iso");
		assert_string_equal(d.vdev, "hdc");
		assert_int_equal(d.cdrom, 1);
	}
	assert_int_equal(d.readonly, 1);
}

static void test_target_takes_the_rest(void **s)
{
	ok("vdev=xvdb, target=/srv/a,b c ,");
	assert_string_equal(d.target, "/srv/a,b c ");
	/* after an empty positional target */
	ok(",,xvdb,target=/srv/x");
	assert_string_equal(d.target, "/srv/x");
	assert_string_equal(d.vdev, "xvdb");
	ok("  vdev=xvdb ,\taccess=ro\t,\n target=/x");
	assert_string_equal(d.vdev, "xvdb");
	assert_int_equal(d.readonly, 1);
	/* relative: a device, as xl has it */
	ok("vg/lv,,xvdb");
	assert_string_equal(d.target, "/dev/vg/lv");
	ok("vdev=xvdc,target=loop0");
	assert_string_equal(d.target, "/dev/loop0");
}

static void test_prefixes(void **s)
{
	ok("tap:aio:/x.img,xvdb,w");
	assert_string_equal(d.target, "/x.img");
	assert_string_equal(d.vdev, "xvdb");
	assert_int_equal(d.readonly, 0);
	assert_false(d.format_raw);
	ok("phy:/dev/loop0,xvdb,r");
	assert_string_equal(d.target, "/dev/loop0");
	assert_int_equal(d.readonly, 1);
	ok("file:/x.img,xvdb");
	assert_string_equal(d.target, "/x.img");
}

static void test_flags_and_keys(void **s)
{
	ok("/x,,xvdb,backendtype=phy,no-discard,direct-io-safe,untrusted");
	assert_int_equal(d.backendtype, XBDEV_VBD_PHY);
	assert_int_equal(d.discard, 0);
	assert_true(d.direct_io_safe);
	assert_int_equal(d.trusted, 0);
	ok("/x,,xvdb,backendtype=qdisk,discard,trusted");
	assert_int_equal(d.backendtype, XBDEV_VBD_QDISK);
	assert_int_equal(d.discard, 1);
	assert_int_equal(d.trusted, 1);
	assert_false(d.direct_io_safe);
	ok("/x,,xvdb,script=xbdev");
	assert_int_equal(d.backendtype, XBDEV_VBD_XBDEV);
	ok("script=/etc/xen/scripts/xbdev,backendtype=xbdev,target=/x");
	assert_int_equal(d.backendtype, XBDEV_VBD_XBDEV);
	ok("backend=0,specification=xen,no-colo,discard,discard,/x,,xvdb");
	assert_int_equal(d.discard, 1);
	ok("backend=Domain-0,target=/x");
	assert_null(d.vdev); /* not given: attach picks one */
	ok("/x,,,rw");
	assert_null(d.vdev);
	assert_int_equal(d.readonly, 0);
	ok("devtype=disk,/x,,xvdb");
	assert_int_equal(d.cdrom, 0);
}

static void test_refused(void **s)
{
	refused("format=qcow2,target=/x", XBDEV_XLDISK_NOT_RAW, "format",
		"qcow2");
	refused("qcow2:/x,xvdb", XBDEV_XLDISK_NOT_RAW, "format", "qcow2");
	refused("/x,vhd,xvdb", XBDEV_XLDISK_NOT_RAW, "format", "vhd");
	refused("format=empty,vdev=hdc", XBDEV_XLDISK_UNSUPPORTED, "format",
		"empty");
	refused("foo=1,target=/x", XBDEV_XLDISK_UNKNOWN_KEY, "foo", "1");
	refused("format=raw2,target=/x", XBDEV_XLDISK_BAD_VALUE, "format",
		"raw2");
	refused("access=rx,target=/x", XBDEV_XLDISK_BAD_VALUE, "access", "rx");
	refused("devtype=floppy,target=/x", XBDEV_XLDISK_BAD_VALUE, "devtype",
		"floppy");
	refused("vdev=xvd0,target=/x", XBDEV_XLDISK_BAD_VALUE, "vdev", "xvd0");
	refused("/x,,hdc:floppy", XBDEV_XLDISK_BAD_VALUE, "devtype", "floppy");
	refused("vdev=xvdb,vdev=xvdc,target=/x", XBDEV_XLDISK_TWICE, "vdev",
		"xvdc");
	refused("/x,,xvdb,ro,rw", XBDEV_XLDISK_TOO_MANY, "", "rw");
	refused("access=ro,/x,,xvdb,rw", XBDEV_XLDISK_TWICE, "access", "rw");
	refused("discard,no-discard,target=/x", XBDEV_XLDISK_TWICE, "discard",
		"no-discard");
	refused("cdrom,devtype=disk,target=/x", XBDEV_XLDISK_TWICE, "devtype",
		"disk");
	refused("/x,,xvdb,target=/y", XBDEV_XLDISK_TWICE, "target", "/y");
	refused("backendtype=tap,target=/x", XBDEV_XLDISK_UNSUPPORTED,
		"backendtype", "tap");
	refused("backendtype=blktap,target=/x", XBDEV_XLDISK_BAD_VALUE,
		"backendtype", "blktap");
	refused("backendtype=phy,backendtype=qdisk,target=/x",
		XBDEV_XLDISK_TWICE, "backendtype", "qdisk");
	refused("script=xbdev,backendtype=phy,target=/x", XBDEV_XLDISK_TWICE,
		"backendtype", "phy");
	refused("backendtype=phy,script=xbdev,target=/x",
		XBDEV_XLDISK_UNSUPPORTED, "script", "xbdev");
	refused("backend=web,target=/x", XBDEV_XLDISK_UNSUPPORTED, "backend",
		"web");
	refused("backend=0,backend=0,target=/x", XBDEV_XLDISK_TWICE, "backend",
		"0");
	refused("script=block-iscsi,target=/x", XBDEV_XLDISK_UNSUPPORTED,
		"script", "block-iscsi");
	refused("iscsi:iqn.x,xvdb", XBDEV_XLDISK_UNSUPPORTED, "script",
		"iscsi");
	refused("colo,target=/x", XBDEV_XLDISK_UNSUPPORTED, "colo", "");
	refused("colo-host=h,target=/x", XBDEV_XLDISK_UNSUPPORTED, "colo-host",
		"h");
	refused("grant_usage=1,target=/x", XBDEV_XLDISK_UNSUPPORTED,
		"grant_usage", "1");
	refused("specification=virtio,target=/x", XBDEV_XLDISK_UNSUPPORTED,
		"specification", "virtio");
	refused("specification=vmbus,target=/x", XBDEV_XLDISK_BAD_VALUE,
		"specification", "vmbus");
	refused("vdev=xvdb", XBDEV_XLDISK_NO_TARGET, "target", "");
	refused("", XBDEV_XLDISK_NO_TARGET, "target", "");
	refused(" , ", XBDEV_XLDISK_NO_TARGET, "target", "");
	refused(",hdc:cdrom,r", XBDEV_XLDISK_NO_TARGET, "target", "");
	refused("foo:/x,xvdb", XBDEV_XLDISK_SYNTAX, "", "foo:");
	refused("/x=y,xvdb", XBDEV_XLDISK_SYNTAX, "", "/x=y");
	refused("Format=raw,target=/x", XBDEV_XLDISK_SYNTAX, "", "Format=raw");
	assert_int_equal(xbdev_xldisk_parse(NULL, &d), -EINVAL);
}

static void test_limits(void **s)
{
	char big[XBDEV_VALUE_MAX + 1];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused(big, XBDEV_XLDISK_TOO_LONG, "", "");
	/* The longest spec fits, "/dev/" prepended. */
	big[XBDEV_VALUE_MAX - 1] = '\0';
	ok(big);
	assert_int_equal(strlen(d.target), XBDEV_VALUE_MAX - 1 + 5);
	/* A refused value is cut to what the error line shows. */
	memcpy(big, "format=", 7);
	assert_int_equal(xbdev_xldisk_parse(big, &d), -EINVAL);
	assert_int_equal(d.why, XBDEV_XLDISK_BAD_VALUE);
	assert_int_equal(strlen(d.token), sizeof(d.token) - 1);
}

static void test_backend_names(void **s)
{
	enum xbdev_vbd_backend b = XBDEV_VBD_XBDEV;
	static const char *const names[] = { "xbdev", "phy", "qdisk" };
	static const char *const types[] = { "xbdev-vbd", "vbd", "qdisk" };
	unsigned i;

	for (i = 0; i < 3; i++) {
		assert_int_equal(xbdev_vbd_backend_parse(names[i], &b), 0);
		assert_int_equal(b, i);
		assert_string_equal(xbdev_vbd_backend_name(b), names[i]);
		assert_string_equal(xbdev_vbd_backend_type(b), types[i]);
	}
	assert_int_equal(xbdev_vbd_backend_parse("tap", &b), -EINVAL);
	assert_int_equal(xbdev_vbd_backend_parse(NULL, &b), -EINVAL);
	assert_string_equal(xbdev_vbd_backend_name(3), "?");
	assert_string_equal(xbdev_vbd_backend_type(3), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equivalent_specs),
		cmocka_unit_test(test_cdrom_specs),
		cmocka_unit_test(test_target_takes_the_rest),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_flags_and_keys),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_backend_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
