// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the name and value validators and xbdev_path_join(),
 * which stand between guest-supplied strings (node names listed in a
 * guest-owned directory, values read back from it) and the paths and
 * values xbdev writes.  Promises: a valid name joins into a path that is
 * NUL-terminated within the buffer, never contains "//", "." or ".."
 * components, and a valid value has no control characters.
 *
 * Input: byte 0 = flags (bit 0 allow '/', bits 1-3 buffer size choice),
 * the rest the string.
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "xbdev.h"

static const size_t sizes[] = { 1, 2, 16, 40, 64, 256, 3072, 3072 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[XBDEV_PATH_MAX];
	bool slash;
	size_t blen;
	char *s;
	int r;

	if (size < 1)
		return 0;
	slash = data[0] & 1;
	blen = sizes[(data[0] >> 1) & 7];
	s = fuzz_str(data + 1, size - 1);

	r = xbdev_validate_name(s, slash);
	if (r == 0) {
		CHECK(s[0] != '\0');
		CHECK(strcmp(s, ".") && strcmp(s, ".."));
		CHECK(!strstr(s, "//"));
		CHECK(!strstr(s, "/./") && !strstr(s, "/../"));
		if (!slash)
			CHECK(!strchr(s, '/'));
		memset(path, 'X', sizeof(path));
		r = xbdev_path_join(path, blen, "/local/domain/7/device/vbd/51728",
				    s);
		if (r == 0) {
			CHECK(strnlen(path, blen) < blen);
			CHECK(!strncmp(path, "/local/domain/7/device/vbd/51728/",
				       33));
		} else {
			CHECK(r == -ENAMETOOLONG || r == -EINVAL);
		}
		CHECK(blen >= sizeof(path) || path[blen] == 'X');
	}
	r = xbdev_validate_value(s);
	if (r == 0) {
		for (const unsigned char *p = (const unsigned char *)s; *p; p++)
			CHECK(*p >= 0x20 && *p != 0x7f);
		CHECK(strlen(s) < XBDEV_VALUE_MAX);
	}
	free(s);
	return 0;
}
