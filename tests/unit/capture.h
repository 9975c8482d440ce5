/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What a CLI function prints to stdout, captured in memory for a test.
 * Include once, from the test's .c file. */
#include <stdio.h>

static char *out;
static size_t out_len;
static FILE *saved_stdout;

static __attribute__((unused)) void capture(void)
{
	fflush(stdout);
	saved_stdout = stdout;
	stdout = open_memstream(&out, &out_len);
}

/* What was printed since capture(); the caller frees it. */
static __attribute__((unused)) char *captured(void)
{
	fclose(stdout);
	stdout = saved_stdout;
	return out;
}

/* The same for stderr (the one-line errors). */
static char *err_out;
static size_t err_len;
static FILE *saved_stderr;

static __attribute__((unused)) void capture_stderr(void)
{
	fflush(stderr);
	saved_stderr = stderr;
	stderr = open_memstream(&err_out, &err_len);
}

static __attribute__((unused)) char *captured_stderr(void)
{
	fclose(stderr);
	stderr = saved_stderr;
	return err_out;
}
