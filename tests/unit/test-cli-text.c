/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev watch's text and JSON lines (cli/watch.c), on an in-memory
 * xenstore: the domain name shown comes from xenstore and is escaped on
 * its way to the terminal; a backend process's death is its own line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>
#include <cmocka.h>

#include "fake-xs.h"
#include "../../cli/common.c"
#include "../../cli/watch.c"

#include "capture.h"

static struct xbdev_dev_status dev = {
	.fe = 5, .be = 0, .devid = 51728, .cls = "vbd", .type = "xbdev-vbd",
	.fe_state = 4, .be_state = 4, .pid = 4242,
};

static char *line(bool json, enum xbdev_event_type type)
{
	struct watcher w = { .json = json, .until = -1, .t0 = 1000 };
	struct xbdev_event_info e = { type, &dev, XBDEV_SIDE_BACKEND, 2, 4,
				      2500 };
	static const char name[] = "g\x1b]0;owned\x07\x1b[2J";

	fake_xs_reset();
	assert_int_equal(xbdev_open(&w.x), 0);
	/* Raw, as a guest's own write would land (xbdev_write() refuses
	 * control characters). */
	assert_true(xs_write(NULL, XBT_NULL, "/local/domain/5/name", name,
			     strlen(name)));
	capture();
	print_event(&w, &e);
	xbdev_close(w.x);
	fake_xs_reset();
	return captured();
}

static void test_state_line_escaped(void **s)
{
	char *t = line(false, XBDEV_EVENT_STATE);

	assert_string_equal(t, "+1.500s g\\x1b]0;owned\\x07\\x1b[2J vbd/51728 "
			       "backend InitWait -> Connected\n");
	free(t);
}

static void test_backend_died_line(void **s)
{
	char *t = line(false, XBDEV_EVENT_BACKEND_DIED);

	assert_string_equal(t, "+1.500s g\\x1b]0;owned\\x07\\x1b[2J vbd/51728 "
			       "backend process 4242 died (frontend Connected, "
			       "backend Connected)\n");
	free(t);
}

static void test_backend_died_json(void **s)
{
	char *t = line(true, XBDEV_EVENT_BACKEND_DIED);

	assert_non_null(strstr(t, "\"event\":\"backend-died\""));
	assert_non_null(strstr(t, "\"pid\":4242"));
	/* json-c escapes the name itself. */
	assert_non_null(strstr(t, "\"domain\":\"g\\u001b]0;owned\\u0007"));
	assert_null(strchr(t, '\x1b'));
	free(t);
}

/* What a CLI function prints to stderr. */
static char *err_buf;
static size_t err_len;
static FILE *saved_stderr;

static void capture_err(void)
{
	fflush(stderr);
	saved_stderr = stderr;
	stderr = open_memstream(&err_buf, &err_len);
}

static char *captured_err(void)
{
	fclose(stderr);
	stderr = saved_stderr;
	return err_buf;
}

/* "[  0.01s] ..." lines with their digits as T (valgrind is slow). */
static void untimed(char *t)
{
	for (char *l = t; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "")
		for (unsigned i = 1; i < 8 && l[i]; i++)
			if (l[i] >= '0' && l[i] <= '9')
				l[i] = 'T';
}

/* Attach's and detach's progress say what watch says: the first state of
 * an end alone, then each change as "side Old -> New"; a state seen again
 * is no line. */
static void test_progress_words(void **s)
{
	struct cli_ends e;
	char buf[64], *t;

	assert_string_equal(cli_state_change(buf, sizeof(buf),
					     XBDEV_SIDE_BACKEND, 2, 4, false),
			    "backend InitWait -> Connected");
	assert_string_equal(cli_state_change(buf, sizeof(buf),
					     XBDEV_SIDE_FRONTEND, -1, 1, true),
			    "frontend Initialising");
	cli_ends_init(&e, xbdev_now_ms());
	capture_err();
	cli_progress_state(&e, XBDEV_SIDE_FRONTEND, 4);
	cli_progress_state(&e, XBDEV_SIDE_BACKEND, 5);
	cli_progress_state(&e, XBDEV_SIDE_FRONTEND, 4);
	cli_progress_state(&e, XBDEV_SIDE_FRONTEND, 6);
	cli_progress_state(&e, XBDEV_SIDE_BACKEND, -1);
	t = captured_err();
	untimed(t);
	assert_string_equal(t, "[  T.TTs] frontend Connected\n"
			       "[  T.TTs] backend Closing\n"
			       "[  T.TTs] frontend Connected -> Closed\n"
			       "[  T.TTs] backend Closing -> none\n");
	free(t);
	/* No terminal: nothing. */
	cli_ends_init(&e, -1);
	capture_err();
	cli_progress_state(&e, XBDEV_SIDE_FRONTEND, 4);
	t = captured_err();
	assert_string_equal(t, "");
	free(t);
}

/* The backend died during attach: the error names its log and the log's
 * last line, escaped (the log holds what a guest made it say). */
static void test_daemon_died(void **s)
{
	char dir[] = "/tmp/xbdev-died-XXXXXX", log[64], *t;
	FILE *f;

	cli_cmd_name = "attach";
	assert_non_null(mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/vbd-5-51728.log", dir);
	f = fopen(log, "w");
	assert_non_null(f);
	fputs("started\nguest said \x1b[2Jhi\n", f);
	fclose(f);
	capture_err();
	assert_int_equal(cli_daemon_died("g vbd/51728", "Closed", log), 1);
	t = captured_err();
	assert_true(strstr(t, "xbdev: attach: g vbd/51728: the backend daemon "
			      "exited (backend Closed); its log ") == t);
	assert_non_null(strstr(t, "/vbd-5-51728.log ends: guest said "
				  "\\x1b[2Jhi (the device is left in "
				  "place)\n"));
	assert_null(strchr(t, '\x1b'));
	free(t);
	f = fopen(log, "w");
	fclose(f);
	capture_err();
	cli_daemon_died("g vbd/51728", "Closed", log);
	t = captured_err();
	assert_non_null(strstr(t, "/vbd-5-51728.log is empty (the device"));
	free(t);
	unlink(log);
	capture_err();
	cli_daemon_died("g vbd/51728", "Closed", log);
	t = captured_err();
	assert_non_null(strstr(t, "); see /tmp/xbdev-died-"));
	free(t);
	rmdir(dir);
	cli_cmd_name = NULL;
}

static void log_line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_stderr(NULL, LOG_DEBUG, fmt, ap);
	va_end(ap);
}

/* -v: the library's messages, one line each, escaped: they name domains
 * and paths. */
static void test_verbose_escaped(void **s)
{
	char *t;

	cli_cmd_name = "status";
	capture_err();
	log_line("domain %s is domid %u", "g\x1b]0;x\x07", 5);
	t = captured_err();
	assert_string_equal(t, "xbdev: status: domain g\\x1b]0;x\\x07 is "
			       "domid 5\n");
	free(t);
	cli_cmd_name = NULL;
}

/* Offline --dry-run: ids only, and one out of range is bad input. */
static void test_domain_offline(void **s)
{
	unsigned id = 0;
	char *t;

	assert_int_equal(cli_domain_offline("32751", &id), 0);
	assert_int_equal(id, 32751);
	capture_err();
	assert_int_equal(cli_domain_offline("32752", &id), 2);
	assert_int_equal(cli_domain_offline("guest1", &id), 1);
	t = captured_err();
	assert_string_equal(t, "xbdev: domain id 32752 out of range "
			       "(0-32751)\n"
			       "xbdev: xenstore unavailable: --dry-run needs "
			       "numeric domains\n");
	free(t);
	assert_int_equal(id, 32751);
}

/* With xenstore too: a number above the highest id is bad input. */
static void test_domain_out_of_range(void **s)
{
	struct xbdev *x = NULL;
	unsigned id = 7;
	char *t;

	fake_xs_reset();
	assert_int_equal(xbdev_open(&x), 0);
	capture_err();
	assert_int_equal(cli_domain(x, "99999", &id), 2);
	t = captured_err();
	assert_string_equal(t, "xbdev: domain id 99999 out of range "
			       "(0-32751)\n");
	free(t);
	assert_int_equal(id, 7);
	xbdev_close(x);
	fake_xs_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_line_escaped),
		cmocka_unit_test(test_backend_died_line),
		cmocka_unit_test(test_backend_died_json),
		cmocka_unit_test(test_progress_words),
		cmocka_unit_test(test_daemon_died),
		cmocka_unit_test(test_verbose_escaped),
		cmocka_unit_test(test_domain_offline),
		cmocka_unit_test(test_domain_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
