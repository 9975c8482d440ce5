// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CD-ROM media change (lib/media.c) on the in-memory xenstore of
 * fake-xs.h: eject detaches in order and leaves an ejected drive's
 * record, insert attaches again under the same id replacing it, and what
 * detach, status and the plan make of such a drive.  The guest's and the
 * backend's drivers are played by fake_xs_idle, as in test-lib-detach.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"
#include "fake-xs.h"
#include "served-vbd.h"

#define ISO "/srv/a.iso"

static struct xbdev_record rec;
static char image[] = "/tmp/xbdev-test-media-XXXXXX";

static int state_of(const char *dir)
{
	enum xbdev_state st;

	return xbdev_state_read(x, XBDEV_TXN_NONE, dir, &st) ? -1 : (int)st;
}

/* A frontend asked to close closes; then its offline backend. */
static void drivers(void)
{
	if (state_of(BE) == XBDEV_STATE_CLOSING &&
	    state_of(FE) != XBDEV_STATE_CLOSED)
		put(FE "/state", "6");
	else if (state_of(FE) == XBDEV_STATE_CLOSED &&
		 state_of(BE) == XBDEV_STATE_CLOSING)
		put(BE "/state", "6");
}

static bool gone(const char *path)
{
	return xbdev_exists(x, XBDEV_TXN_NONE, path) == 0;
}

static void reread(void)
{
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &rec), 0);
}

/* Guest 5's xvdb, Connected; a CD-ROM with ISO in when cdrom. */
static void device(bool cdrom)
{
	served_vbd_setup(1);
	if (cdrom) {
		put(REC "/" XBDEV_RECORD_CDROM, "1");
		put(REC "/" XBDEV_RECORD_MEDIA, ISO);
	}
	put(REC "/pid", "0");
	put(REC "/log", "/var/log/xbdev/vbd-5-51728.log");
	put(REC "/front/device-type", "cdrom");
	fake_xs_idle = drivers;
	reread();
}

static int setup_cdrom(void **s)
{
	(void)s;
	device(true);
	return 0;
}

static int setup_disk(void **s)
{
	(void)s;
	device(false);
	return 0;
}

static int eject(void)
{
	struct xbdev_detach_opts o = { .deadline_ms = xbdev_now_ms() + 300 };

	return xbdev_media_eject(x, &rec, &o, NULL);
}

static void test_record_read(void **s)
{
	(void)s;
	assert_true(rec.cdrom);
	assert_string_equal(rec.media, ISO);
}

static void test_eject_keeps_drive(void **s)
{
	unsigned n = 0;
	char **kids = NULL;

	(void)s;
	assert_int_equal(eject(), 0);
	assert_true(gone(FE) && gone(BE));
	assert_string_equal(get(REC "/" XBDEV_RECORD_MEDIA),
			    XBDEV_MEDIA_EJECTED);
	assert_string_equal(get(REC "/" XBDEV_RECORD_CDROM), "1");
	assert_string_equal(get(REC "/created"), "1");
	/* Nothing a backend wrote, nor detach's own mark. */
	assert_true(gone(REC "/pid") && gone(REC "/log") &&
		    gone(REC "/front") && gone(REC "/detaching"));
	assert_int_equal(xbdev_ls(x, XBDEV_TXN_NONE, REC, &kids, &n), 0);
	xbdev_strv_free(kids, n);
	assert_int_equal(n, 7); /* the keys a re-plug reads */
	reread();
	assert_true(rec.cdrom);
	assert_string_equal(rec.media, XBDEV_MEDIA_EJECTED);
}

static void test_eject_twice(void **s)
{
	(void)s;
	assert_int_equal(eject(), 0);
	reread();
	assert_int_equal(eject(), -ENOMEDIUM);
}

/* Not a CD-ROM: refused before anything is written. */
static void test_eject_not_cdrom(void **s)
{
	(void)s;
	assert_int_equal(eject(), -EMEDIUMTYPE);
	assert_int_equal(state_of(FE), XBDEV_STATE_CONNECTED);
	assert_int_equal(state_of(BE), XBDEV_STATE_CONNECTED);
	assert_string_equal(get(BE "/online"), "1");
	assert_true(gone(REC "/detaching"));
}

/* detach (and so prune, which detaches with force) takes a drive with no
 * directories and leaves nothing. */
static void test_detach_ejected(void **s)
{
	struct xbdev_detach_opts o = { .deadline_ms = xbdev_now_ms() + 300 };

	(void)s;
	assert_int_equal(eject(), 0);
	reread();
	assert_int_equal(xbdev_detach(x, &rec, &o, NULL), 0);
	assert_true(gone(REC) && gone("/xbdev"));
}

/* The guest destroyed with its drive ejected: prune finds the record
 * and removes it. */
static void test_prune_ejected(void **s)
{
	struct xbdev_detach_opts o = { .deadline_ms = xbdev_now_ms() + 300 };
	struct xbdev_record *v = NULL;
	unsigned n = 0;

	(void)s;
	assert_int_equal(eject(), 0);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, "/local/domain/5"), 0);
	assert_int_equal(xbdev_gone_list(x, 5, NULL, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(xbdev_prune(x, &v[0], &o), 0);
	free(v);
	assert_true(gone(REC) && gone("/xbdev"));
}

static void test_spec(void **s)
{
	struct xbdev_attach_spec spec;
	struct xbdev_vbd vbd = { 0 };

	(void)s;
	assert_int_equal(xbdev_media_spec(&rec, "/b.iso", &vbd, &spec), -EBUSY);
	assert_int_equal(eject(), 0);
	reread();
	assert_int_equal(xbdev_media_spec(&rec, "/b.iso", &vbd, &spec), 0);
	assert_int_equal(spec.fe, 5);
	assert_int_equal(spec.be, 0);
	assert_int_equal(spec.devid, 51728);
	assert_string_equal(spec.cls, "vbd");
	assert_string_equal(spec.be_type, "xbdev-vbd");
	assert_true(spec.insert_media);
	assert_true(spec.created > 1);
	assert_ptr_equal(spec.vbd, &vbd);
	assert_string_equal(vbd.params, "/b.iso");
	assert_true(vbd.readonly && vbd.cdrom);
	assert_int_equal(vbd.backend, XBDEV_VBD_XBDEV);
	snprintf(rec.type, sizeof(rec.type), "qdisk");
	assert_int_equal(xbdev_media_spec(&rec, "/b.iso", &vbd, &spec), 0);
	assert_int_equal(vbd.backend, XBDEV_VBD_QDISK);
	snprintf(rec.type, sizeof(rec.type), "vbd3");
	assert_int_equal(xbdev_media_spec(&rec, "/b.iso", &vbd, &spec),
			 -EINVAL);
	snprintf(rec.managed_by, sizeof(rec.managed_by), "libxl");
	assert_int_equal(xbdev_media_spec(&rec, "/b.iso", &vbd, &spec), -EPERM);
}

static void test_spec_not_cdrom(void **s)
{
	struct xbdev_attach_spec spec;
	struct xbdev_vbd vbd = { 0 };

	(void)s;
	assert_int_equal(xbdev_media_spec(&rec, "/b.iso", &vbd, &spec),
			 -EMEDIUMTYPE);
}

static int insert(void)
{
	struct xbdev_attach_spec spec;
	struct xbdev_vbd vbd = { 0 };
	int err = xbdev_media_spec(&rec, image, &vbd, &spec);

	if (!err)
		err = xbdev_attach(x, &spec, NULL, NULL);
	return err;
}

/* insert after eject: the same ids, a read-only CD-ROM, the record
 * rewritten with the new medium. */
static void test_insert(void **s)
{
	(void)s;
	assert_int_equal(eject(), 0);
	reread();
	assert_int_equal(insert(), 0);
	assert_string_equal(get(FE "/device-type"), "cdrom");
	assert_string_equal(get(FE "/virtual-device"), "51728");
	assert_string_equal(get(BE "/mode"), "r");
	assert_string_equal(get(BE "/params"), image);
	assert_string_equal(get(REC "/" XBDEV_RECORD_MEDIA), image);
	reread();
	assert_true(rec.cdrom);
	assert_string_equal(rec.media, image);
	/* A medium in: a second insert is refused. */
	assert_int_equal(insert(), -EBUSY);
}

/* The record changed under the insert (a medium put in meanwhile): the
 * attach's transaction refuses and writes nothing. */
static void test_insert_raced(void **s)
{
	struct xbdev_attach_spec spec;
	struct xbdev_vbd vbd = { 0 };

	(void)s;
	assert_int_equal(eject(), 0);
	reread();
	assert_int_equal(xbdev_media_spec(&rec, image, &vbd, &spec), 0);
	put(REC "/" XBDEV_RECORD_MEDIA, ISO);
	assert_int_equal(xbdev_attach(x, &spec, NULL, NULL), -EBUSY);
	assert_true(gone(FE) && gone(BE));
	assert_string_equal(get(REC "/" XBDEV_RECORD_MEDIA), ISO);
	/* A directory in the way. */
	put(REC "/" XBDEV_RECORD_MEDIA, XBDEV_MEDIA_EJECTED);
	put(BE "/state", "1");
	assert_int_equal(xbdev_attach(x, &spec, NULL, NULL), -EEXIST);
	assert_true(gone(FE));
	assert_string_equal(get(REC "/" XBDEV_RECORD_MEDIA),
			    XBDEV_MEDIA_EJECTED);
}

static enum xbdev_health health(const char **media)
{
	static char m[XBDEV_PATH_MAX];
	struct xbdev_dev_status *v = NULL;
	enum xbdev_health h;
	unsigned n = 0;

	assert_int_equal(xbdev_status_list(x, 5, 2, &v, &n), 0);
	assert_int_equal(n, 1);
	h = v[0].health;
	snprintf(m, sizeof(m), "%s", v[0].media);
	*media = m;
	free(v);
	return h;
}

static void test_status(void **s)
{
	const char *media;

	(void)s;
	assert_int_equal(health(&media), XBDEV_HEALTH_OK);
	assert_string_equal(media, ISO);
	assert_int_equal(eject(), 0);
	assert_int_equal(health(&media), XBDEV_HEALTH_EJECTED);
	assert_string_equal(media, XBDEV_MEDIA_EJECTED);
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_EJECTED), "ejected");
	/* A drive whose directories are left is no ejected drive. */
	put(FE "/state", "4");
	assert_int_equal(health(&media), XBDEV_HEALTH_ORPHANED);
}

/* A disk's record alone is orphaned, not ejected. */
static void test_status_disk(void **s)
{
	const char *media;
	struct xbdev_detach_opts o = { .deadline_ms = xbdev_now_ms() + 300 };

	(void)s;
	o.keep_drive = true;
	assert_int_equal(xbdev_detach(x, &rec, &o, NULL), 0);
	assert_int_equal(health(&media), XBDEV_HEALTH_ORPHANED);
	assert_string_equal(media, "");
}

static bool plan_has(const struct xbdev_plan *p, const char *path,
		     const char *value)
{
	unsigned i;

	for (i = 0; i < p->n_nodes; i++)
		if (!strcmp(p->nodes[i].path, path))
			return !strcmp(p->nodes[i].value, value);
	return false;
}

/* attach --cdrom keeps the drive and its medium in the record. */
static void test_plan(void **s)
{
	struct xbdev_vbd vbd = { .params = ISO,
				 .readonly = true,
				 .cdrom = true };
	struct xbdev_attach_spec spec = {
		.fe = 5,
		.cls = "vbd",
		.be_type = "xbdev-vbd",
		.devid = 51728,
		.vbd = &vbd,
	};
	struct xbdev_plan *p = NULL;

	(void)s;
	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	assert_true(plan_has(p, REC "/" XBDEV_RECORD_CDROM, "1"));
	assert_true(plan_has(p, REC "/" XBDEV_RECORD_MEDIA, ISO));
	xbdev_plan_free(p);
	vbd.cdrom = false;
	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	assert_false(plan_has(p, REC "/" XBDEV_RECORD_CDROM, "1"));
	assert_false(plan_has(p, REC "/" XBDEV_RECORD_MEDIA, ISO));
	xbdev_plan_free(p);
}

static int group_setup(void **s)
{
	int fd = mkstemp(image);

	(void)s;
	if (fd < 0 || ftruncate(fd, 1 << 20))
		return -1;
	close(fd);
	return 0;
}

static int group_teardown(void **s)
{
	(void)s;
	return unlink(image);
}

#define C(f)                                                                   \
	cmocka_unit_test_setup_teardown(f, setup_cdrom, served_vbd_teardown)
#define D(f) cmocka_unit_test_setup_teardown(f, setup_disk, served_vbd_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		C(test_record_read),	C(test_eject_keeps_drive),
		C(test_eject_twice),	D(test_eject_not_cdrom),
		C(test_detach_ejected), C(test_prune_ejected),
		C(test_spec),		D(test_spec_not_cdrom),
		C(test_insert),		C(test_insert_raced),
		C(test_status),		D(test_status_disk),
		C(test_plan),
	};

	/* Domains as xenstore has them (prune), never a hypervisor's. */
	setenv("XBDEV_NO_LIBXL", "1", 1);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
