// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbdev_limit_parse(), the I/O limit spec (attach
 * --limit, xbdev limit, the record's limit node that the backend reads at
 * start).  Promises: a refused spec leaves *out untouched; an accepted one
 * is within the documented bounds, formats, and its canonical form parses
 * back to the same limits and formats to itself.
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "xbdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xbdev_limit l, m, u = { .riops = 7 };
	char buf[XBDEV_LIMIT_SPEC_MAX], again[XBDEV_LIMIT_SPEC_MAX];
	char *s = fuzz_str(data, size);
	int r;

	l = u;
	r = xbdev_limit_parse(s, &l);
	if (r) {
		CHECK(r == -EINVAL);
		CHECK(!memcmp(&l, &u, sizeof(l)));
	} else {
		CHECK(l.riops <= XBDEV_LIMIT_IOPS_MAX);
		CHECK(l.wiops <= XBDEV_LIMIT_IOPS_MAX);
		CHECK(l.rbps <= XBDEV_LIMIT_BPS_MAX);
		CHECK(l.wbps <= XBDEV_LIMIT_BPS_MAX);
		CHECK(l.burst_ms <= XBDEV_LIMIT_BURST_MS_MAX);
		CHECK(xbdev_limit_format(&l, buf, sizeof(buf)) == 0);
		CHECK(xbdev_limit_parse(buf, &m) == 0);
		CHECK(xbdev_limit_format(&m, again, sizeof(again)) == 0);
		CHECK(!strcmp(buf, again));
		if (xbdev_limit_any(&l))
			CHECK(!memcmp(&l, &m, sizeof(l)));
	}
	free(s);
	return 0;
}
