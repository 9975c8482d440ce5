/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the fuzz-xs-* targets: every one of them feeds a xenstore
 * value a guest (or a backend) controls to a parser.  Values reach the
 * parsers as NUL-terminated strings (xbdev_read() refuses embedded NULs),
 * so the input is copied into an exactly-sized heap buffer: ASan then sees
 * any read past the terminator.
 */
#ifndef FUZZ_XS_COMMON_H
#define FUZZ_XS_COMMON_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string: up to the first NUL, bounded like a value. */
static inline char *fuzz_str(const uint8_t *data, size_t size)
{
	size_t n = strnlen((const char *)data, size < 4096 ? size : 4096);
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, data, n);
	s[n] = '\0';
	return s;
}

#endif
