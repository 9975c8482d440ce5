// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbdev_xldisk_parse(), the xl disk spec attach takes
 * from its command line (and a script may build from what others
 * wrote).  Promises: an accepted spec has an absolute target that fits a
 * value and, when it names a vdev, one that parses; a refused one says
 * why, with a key and token that fit; the parse never reads or writes
 * outside the input and the result.
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "xbdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct xbdev_xldisk d;
	char *s = fuzz_str(data, size);
	unsigned id;
	int r = xbdev_xldisk_parse(s, &d);

	if (r == 0) {
		CHECK(d.why == XBDEV_XLDISK_OK);
		CHECK(d.target && d.target[0] == '/');
		CHECK(strlen(d.target) < XBDEV_VALUE_MAX + 5);
		CHECK(!d.vdev || xbdev_vdev_parse(d.vdev, &id) == 0);
		CHECK(d.readonly >= -1 && d.readonly <= 1);
		CHECK(d.backendtype >= -1 && d.backendtype <= XBDEV_VBD_QDISK);
	} else {
		CHECK(r == -EINVAL);
		CHECK(d.why != XBDEV_XLDISK_OK);
		CHECK(strlen(d.key) < sizeof(d.key));
		CHECK(strlen(d.token) < sizeof(d.token));
	}
	free(s);
	return 0;
}
