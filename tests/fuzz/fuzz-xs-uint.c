// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbdev_parse_uint(), the parser behind every number the
 * backend and the CLI read from a guest-writable node (ring-ref*,
 * event-channel, ring-page-order, multi-queue-num-queues, feature-*,
 * virtual-device, state...).  Promises checked: an accepted value is at
 * most max, its canonical decimal form is exactly the input (no sign,
 * spaces, leading zeros or suffix slip through), and a rejected input
 * leaves *out alone.
 *
 * Input: byte 0 picks max, the rest is the value.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "fuzz-xs-common.h"
#include "xbdev.h"

static const unsigned long maxes[] = {
	0, 1, 4, 8, 255, 0x7fef, UINT_MAX, (1ul << 31) - 1, ULONG_MAX,
	ULONG_MAX - 1, 1000000,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long max, v = 0xdeadbeef;
	char buf[32];
	char *s;
	int r;

	if (size < 1)
		return 0;
	max = maxes[data[0] % (sizeof(maxes) / sizeof(maxes[0]))];
	s = fuzz_str(data + 1, size - 1);
	r = xbdev_parse_uint(s, max, &v);
	if (r == 0) {
		CHECK(v <= max);
		snprintf(buf, sizeof(buf), "%lu", v);
		CHECK(!strcmp(buf, s));
	} else {
		CHECK(r == -EINVAL || r == -ERANGE);
		CHECK(v == 0xdeadbeef);
	}
	free(s);
	return 0;
}
