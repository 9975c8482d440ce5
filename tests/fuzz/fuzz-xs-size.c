// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbf_parse_size(), the size syntax of xbdev-blkfront's
 * options (scripts pass it values they read from elsewhere).  Promises:
 * an accepted size is within max and is the number times its suffix's
 * power of two, with no overflow.
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "blkfront.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t v = 7, max;
	char *s;
	int r;

	if (size < 1)
		return 0;
	max = data[0] & 1 ? UINT64_MAX : (uint64_t)1 << (data[0] >> 2);
	s = fuzz_str(data + 1, size - 1);
	r = xbf_parse_size(s, max, &v);
	if (r == 0) {
		size_t n = strlen(s);
		char last = s[n - 1];

		CHECK(v <= max);
		if (last == 'k' || last == 'K')
			CHECK(v % 1024 == 0);
		if (last == 'm' || last == 'M')
			CHECK(v % (1024 * 1024) == 0);
	} else {
		CHECK(r == -EINVAL || r == -ERANGE);
		CHECK(v == 7);
	}
	free(s);
	return 0;
}
