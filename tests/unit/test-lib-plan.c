/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev: the attach plan (what --dry-run prints and attach writes). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "xbdev.h"

static const char *acl_str(const struct xbdev_node *n, char *buf, size_t len)
{
	static const char l[] = "nrwb";
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n->n_acl; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%c%u",
					i ? "," : "", l[n->acl[i].perm],
					n->acl[i].domid);
	return buf;
}

/* The plan rendered one node a line, as --dry-run prints it. */
static char *render(const struct xbdev_plan *p)
{
	char *out = NULL, acl[64];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	unsigned i;

	for (i = 0; i < p->n_nodes; i++)
		fprintf(f, "%s%s = \"%s\" (%s)\n",
			p->nodes[i].explicit_acl ? "*" : "", p->nodes[i].path,
			p->nodes[i].value, acl_str(&p->nodes[i], acl,
						   sizeof(acl)));
	fclose(f);
	return out;
}

static const char golden_mydevice[] =
	"*/local/domain/5/device/mydevice/3 = \"\" (n5,r0)\n"
	"/local/domain/5/device/mydevice/3/backend = "
	"\"/local/domain/0/backend/mydevice/5/3\" (n5,r0)\n"
	"/local/domain/5/device/mydevice/3/backend-id = \"0\" (n5,r0)\n"
	"/local/domain/5/device/mydevice/3/ring-pages = \"2\" (n5,r0)\n"
	"/local/domain/5/device/mydevice/3/state = \"1\" (n5,r0)\n"
	"*/local/domain/0/backend/mydevice/5/3 = \"\" (n0,r5)\n"
	"/local/domain/0/backend/mydevice/5/3/frontend = "
	"\"/local/domain/5/device/mydevice/3\" (n0,r5)\n"
	"/local/domain/0/backend/mydevice/5/3/frontend-id = \"5\" (n0,r5)\n"
	"/local/domain/0/backend/mydevice/5/3/online = \"1\" (n0,r5)\n"
	"/local/domain/0/backend/mydevice/5/3/q/0/x = \"a b\" (n0,r5)\n"
	"/local/domain/0/backend/mydevice/5/3/state = \"1\" (n0,r5)\n"
	"*/xbdev/5/mydevice/3 = \"\" (n0)\n"
	"/xbdev/5/mydevice/3/frontend = \"/local/domain/5/device/mydevice/3\" (n0)\n"
	"/xbdev/5/mydevice/3/backend = "
	"\"/local/domain/0/backend/mydevice/5/3\" (n0)\n"
	"/xbdev/5/mydevice/3/backend-id = \"0\" (n0)\n"
	"/xbdev/5/mydevice/3/type = \"mydevice\" (n0)\n"
	"/xbdev/5/mydevice/3/created = \"1700000000\" (n0)\n";

static void test_golden(void **s)
{
	const struct xbdev_kv front[] = { { "ring-pages", "2" } };
	const struct xbdev_kv back[] = { { "q/0/x", "a b" } };
	struct xbdev_attach_spec spec = {
		.fe = 5, .be = 0, .cls = "mydevice", .devid = 3,
		.front = front, .n_front = 1, .back = back, .n_back = 1,
		.created = 1700000000,
	};
	struct xbdev_plan *p = NULL;
	char *text;

	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	text = render(p);
	assert_string_equal(text, golden_mydevice);
	assert_string_equal(p->fe_dir, "/local/domain/5/device/mydevice/3");
	assert_null(p->daemon);
	free(text);
	xbdev_plan_free(p);
}

static const char *value_of(const struct xbdev_plan *p, const char *path)
{
	unsigned i;

	for (i = 0; i < p->n_nodes; i++)
		if (!strcmp(p->nodes[i].path, path))
			return p->nodes[i].value;
	return NULL;
}

static void test_vbd(void **s)
{
	const struct xbdev_vbd vbd = { .params = "/images/d.img",
				       .readonly = true };
	struct xbdev_attach_spec spec = {
		.fe = 7, .be = 0, .cls = "vbd", .be_type = "xbdev-vbd",
		.devid = 51728, .vbd = &vbd,
		.daemon = "/usr/libexec/xbdev/xbdev-blkback", .created = 1,
	};
	const char *be = "/local/domain/0/backend/xbdev-vbd/7/51728";
	const char *fe = "/local/domain/7/device/vbd/51728";
	struct xbdev_plan *p = NULL;
	char path[256];

	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
#define BE(k, v) do { snprintf(path, sizeof(path), "%s/%s", be, k); \
		assert_string_equal(value_of(p, path), v); } while (0)
#define FE(k, v) do { snprintf(path, sizeof(path), "%s/%s", fe, k); \
		assert_string_equal(value_of(p, path), v); } while (0)
	FE("backend", be);
	FE("backend-id", "0");
	FE("virtual-device", "51728");
	FE("device-type", "disk");
	FE("state", "1");
	BE("frontend", fe);
	BE("frontend-id", "7");
	BE("online", "1");
	BE("dev", "xvdb");
	BE("type", "file");
	BE("mode", "r");
	BE("params", "/images/d.img");
	BE("device-type", "disk");
	BE("removable", "0");
	BE("bootable", "1");
	BE("discard-enable", "0");
	BE("state", "1");
	assert_string_equal(value_of(p, "/xbdev/7/vbd/51728/log"),
			    "/var/log/xbdev/vbd-7-51728.log");
	assert_string_equal(value_of(p, "/xbdev/7/vbd/51728/type"),
			    "xbdev-vbd");
	assert_string_equal(p->log, "/var/log/xbdev/vbd-7-51728.log");
	/* The record keeps a copy of the frontend directory (but its state)
	 * for the backend daemon to write again (renew.c). */
	assert_string_equal(value_of(p, "/xbdev/7/vbd/51728/front/backend"),
			    be);
	assert_string_equal(value_of(p,
			    "/xbdev/7/vbd/51728/front/virtual-device"),
			    "51728");
	assert_string_equal(value_of(p,
			    "/xbdev/7/vbd/51728/front/device-type"), "disk");
	assert_null(value_of(p, "/xbdev/7/vbd/51728/front/state"));
	/* The backend's state is the last node of the backend side. */
	assert_string_equal(p->nodes[p->n_nodes - 12].path,
			    "/local/domain/0/backend/xbdev-vbd/7/51728/state");
	xbdev_plan_free(p);
}

/* A block device served by xbdev-blkback: type phy; discard off on
 * request; direct-io-safe and trusted when asked. */
static void test_vbd_options(void **s)
{
	const struct xbdev_vbd vbd = {
		.params = "/dev/loop3", .blockdev = true, .major = 7,
		.minor = 3, .no_discard = true, .direct_io_safe = true,
		.trusted_set = true, .trusted = false,
	};
	struct xbdev_attach_spec spec = {
		.fe = 7, .cls = "vbd", .be_type = "xbdev-vbd", .devid = 51728,
		.vbd = &vbd, .daemon = "/usr/libexec/xbdev/xbdev-blkback",
	};
	const char *be = "/local/domain/0/backend/xbdev-vbd/7/51728";
	const char *fe = "/local/domain/7/device/vbd/51728";
	struct xbdev_plan *p = NULL;
	char path[256];

	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	BE("type", "phy");
	BE("mode", "w");
	BE("discard-enable", "0");
	BE("direct-io-safe", "1");
	FE("trusted", "0");
	assert_string_equal(value_of(p, "/xbdev/7/vbd/51728/front/trusted"),
			    "0");
	/* blkback's nodes are for the kernel's blkback only. */
	snprintf(path, sizeof(path), "%s/physical-device", be);
	assert_null(value_of(p, path));
	xbdev_plan_free(p);
}

/* The kernel's blkback: type vbd, the device by number, nothing spawned,
 * no copy of the frontend kept (no backend of ours renews it). */
static void test_vbd_phy(void **s)
{
	const struct xbdev_vbd vbd = {
		.params = "/dev/loop3", .blockdev = true, .major = 7,
		.minor = 0x1c, .backend = XBDEV_VBD_PHY,
	};
	struct xbdev_attach_spec spec = {
		.fe = 7, .cls = "vbd", .be_type = "vbd", .devid = 51744,
		.vbd = &vbd,
	};
	const char *be = "/local/domain/0/backend/vbd/7/51744";
	const char *fe = "/local/domain/7/device/vbd/51744";
	struct xbdev_plan *p = NULL;
	char path[256];

	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	FE("virtual-device", "51744");
	FE("device-type", "disk");
	snprintf(path, sizeof(path), "%s/trusted", fe);
	assert_null(value_of(p, path));
	BE("type", "phy");
	BE("dev", "xvdc");
	BE("params", "/dev/loop3");
	BE("physical-device", "7:1c");
	BE("physical-device-path", "/dev/loop3");
	BE("hotplug-status", "connected");
	BE("discard-enable", "1");
	snprintf(path, sizeof(path), "%s/direct-io-safe", be);
	assert_null(value_of(p, path));
	assert_string_equal(value_of(p, "/xbdev/7/vbd/51744/type"), "vbd");
	assert_null(value_of(p, "/xbdev/7/vbd/51744/log"));
	assert_null(value_of(p, "/xbdev/7/vbd/51744/front/backend"));
	assert_null(p->daemon);
	xbdev_plan_free(p);
}

/* QEMU's qdisk: params says the format (aio: raw), type qdisk. */
static void test_vbd_qdisk(void **s)
{
	const struct xbdev_vbd vbd = {
		.params = "/images/d.img", .backend = XBDEV_VBD_QDISK,
		.cdrom = true, .readonly = true,
	};
	struct xbdev_attach_spec spec = {
		.fe = 7, .cls = "vbd", .be_type = "qdisk", .devid = 5632,
		.vbd = &vbd,
	};
	const char *be = "/local/domain/0/backend/qdisk/7/5632";
	const char *fe = "/local/domain/7/device/vbd/5632";
	struct xbdev_plan *p = NULL;
	char path[256];

	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	FE("device-type", "cdrom");
	BE("type", "qdisk");
	BE("dev", "hdc");
	BE("params", "aio:/images/d.img");
	BE("mode", "r");
	BE("removable", "1");
	BE("discard-enable", "0");
	snprintf(path, sizeof(path), "%s/physical-device", be);
	assert_null(value_of(p, path));
	xbdev_plan_free(p);
}

static int plan_err(const struct xbdev_attach_spec *spec)
{
	struct xbdev_plan *p = NULL;
	int err = xbdev_attach_plan(spec, &p);

	xbdev_plan_free(p);
	return err;
}

static void test_rejects(void **s)
{
	struct xbdev_kv kv[2] = { { "state", "4" }, { "x", "1" } };
	const struct xbdev_vbd vbd = { .params = "relative.img" };
	struct xbdev_attach_spec spec = { .fe = 1, .cls = "c" };

	spec.front = kv;
	spec.n_front = 1;
	assert_int_equal(plan_err(&spec), -ENOTUNIQ);
	kv[0].key = "x";
	spec.n_front = 2;
	assert_int_equal(plan_err(&spec), -ENOTUNIQ);
	kv[0].key = "../x";
	spec.n_front = 1;
	assert_int_equal(plan_err(&spec), -EINVAL);
	kv[0].key = "k";
	kv[0].value = "a\nb";
	assert_int_equal(plan_err(&spec), -EINVAL);
	spec.n_front = 0;
	spec.cls = "a/b";
	assert_int_equal(plan_err(&spec), -EINVAL);
	spec.cls = "c";
	spec.be_type = "..";
	assert_int_equal(plan_err(&spec), -EINVAL);
	spec.be_type = NULL;
	spec.vbd = &vbd;
	assert_int_equal(plan_err(&spec), -EINVAL);   /* class is not vbd */
	spec.cls = "vbd";
	assert_int_equal(plan_err(&spec), -EINVAL);   /* relative params */
	spec.vbd = NULL;
	spec.daemon = "relative";
	assert_int_equal(plan_err(&spec), -EINVAL);
	/* A dom0 daemon serving a directory another domain owns. */
	spec.daemon = "/usr/libexec/xbdev/xbdev-blkback";
	spec.be = 3;
	assert_int_equal(plan_err(&spec), -EPERM);
	spec.be = 0;
	assert_int_equal(plan_err(&spec), 0);
	spec.daemon = NULL;
	spec.fe = 0x7ff0;
	assert_int_equal(plan_err(&spec), -EINVAL);
}

/* What no backend kind takes: blkback a file, a disk whose backend is
 * not in domain 0 (the disk was checked here), a kind that is none. */
static void test_vbd_rejects(void **s)
{
	struct xbdev_vbd vbd = { .params = "/images/d.img",
				 .backend = XBDEV_VBD_PHY };
	struct xbdev_attach_spec spec = {
		.fe = 7, .cls = "vbd", .be_type = "vbd", .devid = 51728,
		.vbd = &vbd,
	};

	assert_int_equal(plan_err(&spec), -ENOTBLK);
	vbd.blockdev = true;
	assert_int_equal(plan_err(&spec), 0);
	spec.be = 3;
	assert_int_equal(plan_err(&spec), -EPERM);
	vbd.backend = XBDEV_VBD_QDISK;
	assert_int_equal(plan_err(&spec), -EPERM);
	spec.be = 0;
	assert_int_equal(plan_err(&spec), 0);
	vbd.backend = (enum xbdev_vbd_backend)3;
	assert_int_equal(plan_err(&spec), -EINVAL);
}

/* Which --front/--back key -ENOTUNIQ was about. */
static void test_collision(void **s)
{
	struct xbdev_kv front[2] = { { "a", "1" }, { "b", "2" } };
	struct xbdev_kv back[3] = { { "x", "1" }, { "y", "2" }, { "x", "3" } };
	const struct xbdev_vbd vbd = { .params = "/images/d.img" };
	struct xbdev_attach_spec spec = {
		.fe = 1, .cls = "c", .front = front, .n_front = 2,
		.back = back, .n_back = 2,
	};
	enum xbdev_side side = XBDEV_SIDE_RECORD;
	unsigned i = 99;

	assert_int_equal(xbdev_attach_collision(&spec, &side, &i), -ENOENT);
	spec.n_back = 3;        /* x given twice */
	assert_int_equal(xbdev_attach_collision(&spec, &side, &i), 0);
	assert_int_equal(side, XBDEV_SIDE_BACKEND);
	assert_int_equal(i, 2);
	front[1].key = "backend-id";    /* a node xbdev writes */
	assert_int_equal(xbdev_attach_collision(&spec, &side, &i), 0);
	assert_int_equal(side, XBDEV_SIDE_FRONTEND);
	assert_int_equal(i, 1);
	/* A disk's own node. */
	spec.n_front = 0;
	spec.n_back = 1;
	back[0].key = "discard-enable";
	spec.cls = "vbd";
	spec.devid = 51728;
	spec.vbd = &vbd;
	assert_int_equal(xbdev_attach_collision(&spec, &side, &i), 0);
	assert_int_equal(side, XBDEV_SIDE_BACKEND);
	assert_int_equal(i, 0);
	back[0].key = "feature-x";
	assert_int_equal(xbdev_attach_collision(&spec, &side, &i), -ENOENT);
	spec.cls = "a/b";       /* no plan at all */
	assert_int_equal(xbdev_attach_collision(&spec, &side, &i), -EINVAL);
}

static void test_same_domain(void **s)
{
	struct xbdev_attach_spec spec = { .fe = 0, .be = 0, .cls = "t" };
	struct xbdev_plan *p = NULL;

	assert_int_equal(xbdev_attach_plan(&spec, &p), 0);
	/* One ACL entry: the owner is also the reader. */
	assert_int_equal(p->nodes[0].n_acl, 1);
	assert_int_equal(p->nodes[0].acl[0].domid, 0);
	assert_int_equal(p->nodes[0].acl[0].perm, XBDEV_PERM_NONE);
	xbdev_plan_free(p);
}

/* --wait's words, and who holds up a handshake at each step. */
static void test_attach_wait_words(void **s)
{
	static const struct {
		int fe, be;
		bool daemon;
		enum xbdev_attach_stuck stuck;
	} cases[] = {
		{ 1, -1, true, XBDEV_STUCK_DAEMON },
		{ 1, 1, true, XBDEV_STUCK_DAEMON },
		{ 1, 1, false, XBDEV_STUCK_NO_BACKEND },
		{ 1, 2, false, XBDEV_STUCK_NO_FRONTEND },
		{ -1, 2, true, XBDEV_STUCK_NO_FRONTEND },
		{ 3, 2, true, XBDEV_STUCK_RINGS },
		{ 4, 3, true, XBDEV_STUCK_RINGS },
		{ 3, 4, true, XBDEV_STUCK_FRONTEND },
	};
	struct xbdev_plan p = { 0 };
	enum xbdev_attach_until u;
	unsigned i;

	(void)s;
	assert_int_equal(xbdev_attach_until_parse("none", &u), 0);
	assert_int_equal(u, XBDEV_UNTIL_NOW);
	assert_int_equal(xbdev_attach_until_parse("initwait", &u), 0);
	assert_int_equal(u, XBDEV_UNTIL_INITWAIT);
	assert_int_equal(xbdev_attach_until_parse("connected", &u), 0);
	assert_int_equal(u, XBDEV_UNTIL_CONNECTED);
	assert_int_equal(xbdev_attach_until_parse("Connected", &u), -EINVAL);
	assert_int_equal(xbdev_attach_until_parse("", &u), -EINVAL);
	assert_int_equal(xbdev_attach_until_parse(NULL, &u), -EINVAL);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		int st[2] = { cases[i].fe, cases[i].be };

		p.daemon = cases[i].daemon ? "xbdev-blkback" : NULL;
		assert_int_equal(xbdev_attach_stuck(&p, st), cases[i].stuck);
	}
}

static void test_names(void **s)
{
	assert_string_equal(xbdev_side_name(XBDEV_SIDE_BACKEND), "backend");
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_STUCK), "stuck");
	assert_string_equal(xbdev_health_name(XBDEV_HEALTH_INCONSISTENT),
			    "inconsistent");
	assert_string_equal(xbdev_event_type_name(XBDEV_EVENT_REMOVED),
			    "removed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_vbd),
		cmocka_unit_test(test_vbd_options),
		cmocka_unit_test(test_vbd_phy),
		cmocka_unit_test(test_vbd_qdisk),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_vbd_rejects),
		cmocka_unit_test(test_collision),
		cmocka_unit_test(test_same_domain),
		cmocka_unit_test(test_attach_wait_words),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
