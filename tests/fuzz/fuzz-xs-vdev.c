// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbdev_vdev_parse(), for vdev names and the frontend's
 * "virtual-device" node (guest-writable).  Promises: an accepted id is
 * below the reserved range (2 << 28), has a canonical name, and that name
 * parses back to the same id.
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "xbdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[64];
	unsigned id = 0, again = 0;
	char *s = fuzz_str(data, size);
	int r = xbdev_vdev_parse(s, &id);

	if (r == 0) {
		CHECK(id < (2u << 28));
		CHECK(xbdev_vdev_name(id, name, sizeof(name)) == 0);
		CHECK(xbdev_vdev_parse(name, &again) == 0);
		CHECK(again == id);
	} else {
		CHECK(r == -EINVAL || r == -ERANGE);
	}
	/* and every id has a name that fits (or an error, never overflow) */
	if (size >= 4) {
		uint32_t any;

		memcpy(&any, data, 4);
		r = xbdev_vdev_name(any, name, sizeof(name));
		CHECK(r == 0 || r < 0);
		if (r == 0)
			CHECK(strlen(name) < sizeof(name));
		r = xbdev_vdev_name(any, name, 3);
		if (r == 0)
			CHECK(strlen(name) < 3);
	}
	free(s);
	return 0;
}
