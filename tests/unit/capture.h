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

/* A command's run() (cli/NAME.c, included by the test) on "xbdev NAME"
 * and up to three arguments (a NULL ends them): its exit code, what it
 * printed on stdout in *o and on stderr in *e (the caller frees both).
 * Needs cli.h. */
static __attribute__((unused)) int
run_captured(int (*run_fn)(int, char **, const struct cli_global *),
	     const char *name, char **o, char **e, const char *a1,
	     const char *a2, const char *a3)
{
	char *argv[] = { (char *)name, (char *)a1, (char *)a2, (char *)a3,
			 NULL };
	struct cli_global g = { 0 };
	int argc = 1, rc;

	while (argc < 4 && argv[argc])
		argc++;
	capture();
	capture_stderr();
	rc = run_fn(argc, argv, &g);
	*e = captured_stderr();
	*o = captured();
	return rc;
}
