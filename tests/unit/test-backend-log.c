// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xbdev-blkback's log (backend/log.c) without Xen: the token bucket of
 * guest-triggered lines, the "N similar lines suppressed" summary, control
 * characters neutralised, and the size cap (rotation to .1, truncation when
 * the file cannot be renamed).  stderr is pointed at a temporary file for
 * each test, as `xbdev attach` points it at the device's log.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cmocka.h>

#include "blkback.h"

struct fix {
	char dir[64], path[96];
	int saved_err;
	struct blk_dev d;
};

/* stderr onto a fresh file in a fresh directory. */
static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	int fd;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-backend-log.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/vbd-5-51728.log", f->dir);
	fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND, 0640);
	assert_true(fd >= 0);
	fflush(stderr);
	f->saved_err = dup(STDERR_FILENO);
	assert_true(dup2(fd, STDERR_FILENO) == STDERR_FILENO);
	close(fd);
	snprintf(f->d.tag, sizeof(f->d.tag), "vbd-5-51728");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;
	char p[128];

	fflush(stderr);
	dup2(f->saved_err, STDERR_FILENO);
	close(f->saved_err);
	unlink(f->path);
	snprintf(p, sizeof(p), "%s.1", f->path);
	unlink(p);
	rmdir(f->dir);
	free(f);
	return 0;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0;

	fflush(stderr);
	if (!fp)
		return NULL;
	buf = calloc(1, 1 << 20);
	assert_non_null(buf);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	fclose(fp);
	if (len)
		*len = n;
	return buf;
}

static unsigned count(const char *s, const char *needle)
{
	unsigned n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static off_t size_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) ? -1 : sb.st_size;
}

/* ---- the token bucket ------------------------------------------------------ */

static void rl_burst_then_one_per_period(void **state)
{
	struct blk_rl rl = { 0 };
	unsigned sup = 99;

	(void)state;
	for (unsigned i = 0; i < BLK_RL_BURST; i++) {
		assert_true(blk_rl_allow(&rl, 1000, &sup));
		assert_int_equal(sup, 0);
	}
	for (unsigned i = 0; i < 500; i++)
		assert_false(blk_rl_allow(&rl, 1000 + i, &sup));
	/* Not yet a whole period. */
	assert_false(blk_rl_allow(&rl, 1000 + BLK_RL_REFILL_MS - 1, &sup));
	/* One token: the line let by learns what was dropped. */
	assert_true(blk_rl_allow(&rl, 1000 + BLK_RL_REFILL_MS, &sup));
	assert_int_equal(sup, 501);
	assert_false(blk_rl_allow(&rl, 1000 + BLK_RL_REFILL_MS, &sup));
	assert_true(blk_rl_allow(&rl, 1000 + 2 * BLK_RL_REFILL_MS, &sup));
	assert_int_equal(sup, 1);
	/* A long quiet spell refills to the burst, never beyond. */
	for (unsigned i = 0; i < BLK_RL_BURST; i++)
		assert_true(blk_rl_allow(&rl, 1000000, &sup));
	assert_false(blk_rl_allow(&rl, 1000000, &sup));
}

static void rl_clock_going_back_refills(void **state)
{
	struct blk_rl rl = { 0 };
	unsigned sup;

	(void)state;
	for (unsigned i = 0; i < BLK_RL_BURST; i++)
		assert_true(blk_rl_allow(&rl, 50000, &sup));
	assert_false(blk_rl_allow(&rl, 50000, &sup));
	/* Not stuck forever when the clock moved back. */
	assert_true(blk_rl_allow(&rl, 10, &sup));
}

/* ---- guest lines in the log ------------------------------------------------ */

static void guest_lines_rate_limited_and_summarised(void **state)
{
	struct fix *f = *state;
	char *log;

	for (unsigned i = 0; i < 2000; i++)
		blk_log_guest(&f->d, BLK_LOG_STATE, "state InitWait -> Closed %u",
			      i);
	/* Another kind has its own bucket. */
	blk_log_guest(&f->d, BLK_LOG_CONNECT, "a refused connect");
	log = slurp(f->path, NULL);
	assert_non_null(log);
	assert_int_equal(count(log, "state InitWait -> Closed"), BLK_RL_BURST);
	assert_int_equal(count(log, "a refused connect"), 1);
	free(log);
	/* A period later (the bucket's clock moved back a period): one
	 * line, with the summary before it. */
	f->d.rl[BLK_LOG_STATE].refill_ms -= BLK_RL_REFILL_MS;
	blk_log_guest(&f->d, BLK_LOG_STATE, "state InitWait -> Closed again");
	log = slurp(f->path, NULL);
	assert_non_null(strstr(log, "1990 similar lines suppressed (frontend "
				    "state changes)"));
	assert_non_null(strstr(log, "Closed again"));
	free(log);
	/* What is still suppressed is told at exit. */
	blk_log_guest(&f->d, BLK_LOG_STATE, "dropped");
	blk_log_flush(&f->d);
	log = slurp(f->path, NULL);
	assert_non_null(strstr(log, "1 similar lines suppressed"));
	assert_null(strstr(log, "dropped"));
	free(log);
}

static void no_control_character_reaches_the_log(void **state)
{
	struct fix *f = *state;
	char esc[XBDEV_ESCAPED_MAX(64)], *log;
	const char *forged = "bogus\n2026-01-01T00:00:00.000Z xbdev-blkback[1] "
			     "vbd-0-0: FORGED \033[2J\r\x7f\xc2\x9b";
	size_t len;

	/* The guest's text, escaped as the backend does. */
	blk_log_guest(&f->d, BLK_LOG_CONNECT, "frontend protocol \"%s\"",
		      xbdev_escape(esc, sizeof(esc), forged));
	/* And raw, had anyone forgotten to: still one line, no control. */
	blk_log(&f->d, "raw %s", forged);
	log = slurp(f->path, &len);
	assert_int_equal(count(log, "\n"), 2);
	for (size_t i = 0; i < len; i++)
		if (log[i] != '\n')
			assert_true((unsigned char)log[i] >= 0x20 &&
				    (unsigned char)log[i] < 0x7f);
	assert_non_null(strstr(log, "\"bogus\\x0a2026-01-01T00:00:00.000Z"));
	assert_null(strstr(log, "\n2026-01-01"));
	free(log);
}

/* libxbdev's log function as it calls it (xbdev_set_log_fn). */
static void lib_log(struct blk_dev *d, int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	blk_lib_log(d, prio, fmt, ap);
	va_end(ap);
}

static void lib_warnings_are_rate_limited(void **state)
{
	struct fix *f = *state;
	char *log;

	for (unsigned i = 0; i < 300; i++)
		lib_log(&f->d, LOG_WARNING, "%s: not a number up to %lu",
			"/local/domain/5/device/vbd/51728/state", 8ul);
	lib_log(&f->d, LOG_DEBUG, "debug lines are never logged");
	log = slurp(f->path, NULL);
	assert_int_equal(count(log, "libxbdev: /local/domain/5/device/vbd/"
				    "51728/state: not a number up to 8"),
			 BLK_RL_BURST);
	assert_null(strstr(log, "debug lines"));
	free(log);
}

/* ---- the size cap ---------------------------------------------------------- */

static void cap_from_the_environment(void **state)
{
	(void)state;
	assert_int_equal(blk_log_cap(NULL), BLK_LOG_MAX_DEFAULT);
	assert_int_equal(blk_log_cap(""), BLK_LOG_MAX_DEFAULT);
	assert_int_equal(blk_log_cap("1M"), BLK_LOG_MAX_DEFAULT);
	assert_int_equal(blk_log_cap("-5"), BLK_LOG_MAX_DEFAULT);
	assert_int_equal(blk_log_cap("100"), BLK_LOG_MAX_MIN);
	assert_int_equal(blk_log_cap("65536"), 65536);
}

static void write_bytes(size_t n)
{
	static const char line[] = "0123456789abcdef0123456789abcdef0123456789"
				   "abcdef0123456789abcdef012345678\n";

	for (size_t i = 0; i < n / (sizeof(line) - 1); i++)
		fputs(line, stderr);
	fflush(stderr);
}

static void past_the_cap_the_log_rotates(void **state)
{
	struct fix *f = *state;
	char old[128], *log;
	struct stat a, b;
	off_t full;

	snprintf(old, sizeof(old), "%s.1", f->path);
	write_bytes(4000);
	full = size_of(f->path);
	assert_true(full > 3900 && full < 4096);
	blk_log_bound(4096);
	assert_int_equal(size_of(f->path), full);       /* under: untouched */
	assert_int_equal(size_of(old), -1);
	write_bytes(1000);
	full = size_of(f->path);
	blk_log_bound(4096);
	assert_int_equal(size_of(old), full);
	assert_true(size_of(f->path) < 100);
	/* fd 2 is the new file now, by name. */
	assert_int_equal(fstat(STDERR_FILENO, &a), 0);
	assert_int_equal(stat(f->path, &b), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	assert_int_equal(b.st_mode & 0777, 0640);
	blk_log(&f->d, "after the rotation");
	log = slurp(f->path, NULL);
	assert_non_null(strstr(log, "log rotated at 4096 bytes"));
	assert_non_null(strstr(log, "after the rotation"));
	free(log);
	/* Again: .1 replaced, never a .2. */
	write_bytes(5000);
	blk_log_bound(4096);
	assert_true(size_of(old) >= 4096 && size_of(old) < 6000);
	assert_true(size_of(f->path) < 100);
}

static void a_log_without_a_name_is_truncated(void **state)
{
	struct fix *f = *state;
	struct stat sb;

	/* Removed behind our back: nothing to rename, nothing to reopen. */
	unlink(f->path);
	write_bytes(5000);
	blk_log_bound(4096);
	assert_int_equal(fstat(STDERR_FILENO, &sb), 0);
	assert_true(sb.st_size < 100);
	assert_int_equal(size_of(f->path), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rl_burst_then_one_per_period),
		cmocka_unit_test(rl_clock_going_back_refills),
		cmocka_unit_test_setup_teardown(
			guest_lines_rate_limited_and_summarised, setup, teardown),
		cmocka_unit_test_setup_teardown(
			no_control_character_reaches_the_log, setup, teardown),
		cmocka_unit_test_setup_teardown(lib_warnings_are_rate_limited,
						setup, teardown),
		cmocka_unit_test(cap_from_the_environment),
		cmocka_unit_test_setup_teardown(past_the_cap_the_log_rotates,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			a_log_without_a_name_is_truncated, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
