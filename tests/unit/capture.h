/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a CLI function prints to stdout, captured in memory for a test.
 * Include once, from the test's .c file. */
#include <stdio.h>

static char *out;
static size_t out_len;
static FILE *saved_stdout;

static void capture(void)
{
	fflush(stdout);
	saved_stdout = stdout;
	stdout = open_memstream(&out, &out_len);
}

/* What was printed since capture(); the caller frees it. */
static char *captured(void)
{
	fclose(stdout);
	stdout = saved_stdout;
	return out;
}
