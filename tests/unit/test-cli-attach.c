// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * attach's error after a timeout (cli/attach.c): why the device did not
 * connect, and the exact command that removes what was left in place, so
 * that a script retries after removing it rather than making a second
 * device.  The disk options (cli/disk.c, cli/xldisk.c) are not needed here: stubs.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../cli/common.c"
#include "../../cli/attach.c"

#include "capture.h"

const struct argp cli_disk_argp = { 0 };
const struct argp cli_xldisk_argp = { 0 };

int cli_disk_required(const struct xbdev_attach_spec *spec, unsigned n_back)
{
	return 0;
}

int cli_vbd_devid(const char *opt, const char *arg, unsigned devid)
{
	return 0;
}

int cli_disk_nodes(const struct cli_disk *d)
{
	return 0;
}

int cli_disk_check(struct cli_disk *d, struct xbdev_attach_spec *spec,
		   bool *have_devid)
{
	return 0;
}

int cli_disk_busy(struct xbdev *x, const struct cli_disk *d, const char *what)
{
	return 0;
}

/* explain()'s line for spec's plan with the ends in st. */
static char *timeout_line(const struct xbdev_attach_spec *spec, int fe, int be)
{
	struct xbdev_plan *p = NULL;
	const int st[2] = { fe, be };

	assert_int_equal(xbdev_attach_plan(spec, &p), 0);
	cli_cmd_name = "attach";
	capture_stderr();
	explain(p, st, "guest1 x");
	xbdev_plan_free(p);
	return captured_stderr();
}

static void test_timeout_names_the_detach(void **s)
{
	const struct xbdev_attach_spec my = {
		.fe = 5,
		.cls = "mydevice",
		.devid = 0,
	};
	const struct xbdev_attach_spec vbd = {
		.fe = 5,
		.cls = "vbd",
		.devid = 51728,
	};
	char *t;

	(void)s;
	t = timeout_line(&my, 1, 1);
	assert_string_equal(t, "xbdev: attach: guest1 x: the backend is still "
			       "Initialising: no backend driver for type "
			       "'mydevice' in domain 0; the device is left in "
			       "place, remove it with: xbdev detach 5 "
			       "mydevice/0\n");
	free(t);
	t = timeout_line(&vbd, 1, 2);
	assert_string_equal(t, "xbdev: attach: guest1 x: the frontend is still "
			       "Initialising (backend InitWait): no frontend "
			       "driver for class 'vbd' in domain 5, or it is "
			       "not loaded; the device is left in place, "
			       "remove it with: xbdev detach 5 vbd/51728\n");
	free(t);
	/* every verdict ends so */
	t = timeout_line(&vbd, 3, 4);
	assert_non_null(strstr(t, "; the device is left in place, remove it "
				  "with: xbdev detach 5 vbd/51728\n"));
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timeout_names_the_detach),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
