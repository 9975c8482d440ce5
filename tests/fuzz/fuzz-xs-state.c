// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbdev_state_parse(), which reads the "state" node the
 * other end of a device writes (a guest for the backend and the CLI).
 * Promises: an accepted state is within 0..XBDEV_STATE_MAX, has a name,
 * and that name and its number both parse back to it.
 */
#include <errno.h>
#include <stdio.h>

#include "fuzz-xs-common.h"
#include "xbdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum xbdev_state st, again;
	char num[8];
	char *s = fuzz_str(data, size);
	int r = xbdev_state_parse(s, &st);

	if (r == 0) {
		CHECK((int)st >= 0 && st <= XBDEV_STATE_MAX);
		CHECK(strcmp(xbdev_state_name((int)st), "?"));
		CHECK(xbdev_state_parse(xbdev_state_name((int)st), &again) == 0);
		CHECK(again == st);
		snprintf(num, sizeof(num), "%d", (int)st);
		CHECK(xbdev_state_parse(num, &again) == 0 && again == st);
	} else {
		CHECK(r == -EINVAL);
	}
	/* names of out-of-range states are safe too */
	CHECK(xbdev_state_name(size > 0 ? (int)data[0] - 64 : -1) != NULL);
	free(s);
	return 0;
}
