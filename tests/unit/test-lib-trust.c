/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev trust.c: which nodes a process may take orders from (the rule
 * the backend applies to what it opens), on ACLs alone and on an
 * in-memory xenstore. */
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
#include "xbdev-internal.h"
#include "fake-xs.h"

#define N XBDEV_PERM_NONE
#define R XBDEV_PERM_READ
#define W XBDEV_PERM_WRITE
#define B XBDEV_PERM_BOTH

static int foreign(unsigned self, unsigned n,
		   const struct xbdev_acl_entry *acl)
{
	return xbdev_acl_foreign_writer(acl, n, self);
}

#define ACL(...) (const struct xbdev_acl_entry[]){ __VA_ARGS__ }
#define NACL(...) (sizeof(ACL(__VA_ARGS__)) / sizeof(struct xbdev_acl_entry))
#define FOREIGN(self, ...) foreign(self, NACL(__VA_ARGS__), ACL(__VA_ARGS__))

static void test_acl(void **s)
{
	/* What attach writes for a dom0 backend: owner 0, the guest reads. */
	assert_int_equal(FOREIGN(0, { 0, N }, { 5, R }), -1);
	assert_int_equal(FOREIGN(0, { 0, N }), -1);
	/* A driver domain's own directory, and one dom0 owns for it. */
	assert_int_equal(FOREIGN(9, { 9, N }, { 5, R }), -1);
	assert_int_equal(FOREIGN(9, { 0, N }, { 9, R }), -1);
	assert_int_equal(FOREIGN(9, { 0, N }, { 9, B }), -1);
	/* Owned by another domain: the audit's --backend-domain case. */
	assert_int_equal(FOREIGN(0, { 5, N }, { 0, R }), 5);
	assert_int_equal(FOREIGN(9, { 5, N }), 5);
	/* The default grants write to every domain not listed. */
	assert_int_equal(FOREIGN(0, { 0, W }), XBDEV_DOMID_ANY);
	assert_int_equal(FOREIGN(0, { 0, B }, { 5, R }), XBDEV_DOMID_ANY);
	assert_int_equal(FOREIGN(0, { 0, R }, { 5, R }), -1);
	/* An entry that lets a foreign domain write; read is harmless. */
	assert_int_equal(FOREIGN(0, { 0, N }, { 5, R }, { 6, W }), 6);
	assert_int_equal(FOREIGN(0, { 0, N }, { 5, B }), 5);
	assert_int_equal(FOREIGN(9, { 9, N }, { 0, W }, { 5, R }), -1);
	assert_int_equal(xbdev_acl_foreign_writer(NULL, 0, 0), -EINVAL);
}

static void set(const char *path, unsigned n,
		const struct xbdev_acl_entry *acl)
{
	struct xs_permissions p[FAKE_XS_MAX_PERMS];
	static const unsigned xs[] = { XS_PERM_NONE, XS_PERM_READ,
				       XS_PERM_WRITE,
				       XS_PERM_READ | XS_PERM_WRITE };

	assert_true(xs_write(NULL, XBT_NULL, path, "v", 1));
	for (unsigned i = 0; i < n; i++)
		p[i] = (struct xs_permissions){ acl[i].domid, xs[acl[i].perm] };
	assert_true(xs_set_permissions(NULL, XBT_NULL, path, p, n));
}
#define SET(path, ...) set(path, NACL(__VA_ARGS__), ACL(__VA_ARGS__))

static void test_node(void **s)
{
	struct xbdev *x = NULL;

	fake_xs_reset();
	assert_int_equal(xbdev_open(&x), 0);
	SET("/be/params", { 0, N }, { 5, R });
	assert_int_equal(xbdev_node_trusted(x, XBDEV_TXN_NONE, "/be/params",
					    0), 0);
	SET("/be/mode", { 5, N }, { 0, R });
	assert_int_equal(xbdev_node_trusted(x, XBDEV_TXN_NONE, "/be/mode", 0),
			 -EPERM);
	/* What domain 5 may write is its own to use in domain 5. */
	assert_int_equal(xbdev_node_trusted(x, XBDEV_TXN_NONE, "/be/mode", 5),
			 0);
	SET("/be/mode", { 0, N }, { 5, W });
	assert_int_equal(xbdev_node_trusted(x, XBDEV_TXN_NONE, "/be/mode", 0),
			 -EPERM);
	assert_int_equal(xbdev_node_trusted(x, XBDEV_TXN_NONE, "/be/gone", 0),
			 -ENOENT);
	xbdev_close(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl),
		cmocka_unit_test(test_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
