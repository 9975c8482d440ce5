/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest 5's xvdb (vbd 51728) served by xbdev-vbd from dom0, as attach
 * leaves it in the store once both ends are Connected: record, frontend
 * and backend directories, no daemon.  For tests on fake-xs.h; include it
 * after fake-xs.h.
 */
#define FE "/local/domain/5/device/vbd/51728"
#define BE "/local/domain/0/backend/xbdev-vbd/5/51728"
#define REC "/xbdev/5/vbd/51728"

static struct xbdev *x;

static void put(const char *path, const char *value)
{
	assert_int_equal(xbdev_write(x, XBDEV_TXN_NONE, path, value), 0);
}

/* The value of path (a static buffer), NULL when it cannot be read. */
static inline char *get(const char *path)
{
	static char buf[XBDEV_PATH_MAX];
	char *v = NULL;

	if (xbdev_read(x, XBDEV_TXN_NONE, path, &v))
		return NULL;
	snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

/* An empty store, then the device created at unix time created. */
static void served_vbd_setup(long long created)
{
	char s[32];

	fake_xs_reset();
	assert_int_equal(xbdev_open(&x), 0);
	put("/local/domain/0/name", "Domain-0");
	put("/local/domain/5/name", "guest");
	put(REC "/frontend", FE);
	put(REC "/backend", BE);
	put(REC "/backend-id", "0");
	put(REC "/type", "xbdev-vbd");
	snprintf(s, sizeof(s), "%lld", created);
	put(REC "/created", s);
	put(FE "/backend", BE);
	put(FE "/backend-id", "0");
	put(FE "/state", "4");
	put(BE "/frontend", FE);
	put(BE "/frontend-id", "5");
	put(BE "/online", "1");
	put(BE "/state", "4");
}

/* The grant keys its backend publishes under the record's info/
 * (backend/publish.c), named by their nodes: no copy failure, no map
 * failure. */
static __attribute__((unused)) void served_vbd_grants(const char *mapped,
						      const char *max,
						      const char *peak,
						      const char *ring)
{
	put(REC "/info/persistent-grants", mapped);
	put(REC "/info/persistent-grants-max", max);
	put(REC "/info/persistent-grants-peak", peak);
	put(REC "/info/ring-grants", ring);
	put(REC "/info/grant-errors", "0");
	put(REC "/info/map-failures", "0");
	put(REC "/info/map-last-error", "");
}

static int served_vbd_teardown(void **s)
{
	(void)s;
	xbdev_close(x);
	fake_xs_reset();
	return 0;
}
