// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Requests to a backend daemon through its record's ctl/ directory
 * (lib/control.c) on the in-memory xenstore of fake-xs.h: the daemon is
 * played by fake_xs_idle (it takes the request and answers it), and its
 * process by a child whose arguments name the backend directory (what
 * xbdev_record_daemon_alive looks for).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"
#include "fake-xs.h"
#include "served-vbd.h"

#define CTL REC "/" XBDEV_CTL_DIR "/"

static struct xbdev_record rec;
static pid_t daemon_pid;
static struct xbdev_ctl_request taken;
static int answer_with;
static unsigned takes;

static void daemon_answers(void)
{
	if (xbdev_ctl_take(x, XBDEV_TXN_NONE, REC, &taken))
		return;
	takes++;
	assert_int_equal(xbdev_ctl_answer(x, REC, taken.seq, answer_with,
					  "no room", NULL),
			 0);
}

static int setup(void **s)
{
	char pid[16];

	(void)s;
	served_vbd_setup(1);
	daemon_pid = fork();
	assert_true(daemon_pid >= 0);
	if (!daemon_pid) {
		execl("/bin/sh", "sh", "-c", "sleep 60; :", BE, (char *)NULL);
		_exit(127);
	}
	/* until the child has exec'd, its command line is ours */
	for (int i = 0; i < 500 && !xbdev_daemon_alive(daemon_pid, BE); i++)
		usleep(2000);
	snprintf(pid, sizeof(pid), "%d", (int)daemon_pid);
	put(REC "/pid", pid);
	assert_int_equal(
		xbdev_record_read(x, XBDEV_TXN_NONE, 5, "vbd", 51728, &rec), 0);
	assert_true(xbdev_record_daemon_alive(&rec));
	fake_xs_idle = daemon_answers;
	answer_with = -ENOSPC;
	takes = 0;
	memset(&taken, 0, sizeof(taken));
	return 0;
}

static int teardown(void **s)
{
	kill(daemon_pid, SIGKILL);
	waitpid(daemon_pid, NULL, 0);
	return served_vbd_teardown(s);
}

static int ask(const char *op, const char *arg, int ms,
	       struct xbdev_ctl_reply *r)
{
	return xbdev_control(x, &rec, op, arg, xbdev_now_ms() + ms, r);
}

static void test_answered(void **s)
{
	struct xbdev_ctl_reply r;

	(void)s;
	assert_int_equal(ask("resize", "1073741824", 1000, &r), 0);
	assert_int_equal(takes, 1);
	assert_string_equal(taken.op, "resize");
	assert_string_equal(taken.arg, "1073741824");
	assert_int_equal(taken.seq, 1);
	assert_int_equal(r.result, -ENOSPC);
	assert_string_equal(r.msg, "no room");
	assert_string_equal(get(CTL "request"), "1");
	assert_string_equal(get(CTL "done"), "1");

	/* the next one gets the next number, a NULL arg is "" */
	answer_with = 0;
	assert_int_equal(ask("eject", NULL, 1000, &r), 0);
	assert_int_equal(taken.seq, 2);
	assert_string_equal(taken.arg, "");
	assert_int_equal(r.result, 0);
}

/* Another request pending: refused, nothing of it overwritten. */
static void test_pending_refused(void **s)
{
	struct xbdev_ctl_reply r;

	(void)s;
	put(CTL "request", "3");
	put(CTL "done", "2");
	put(CTL "op", "media");
	assert_int_equal(ask("resize", "1", 1000, &r), -EBUSY);
	assert_string_equal(get(CTL "op"), "media");
	assert_string_equal(get(CTL "request"), "3");
	assert_int_equal(takes, 0);
}

static void test_no_daemon(void **s)
{
	struct xbdev_ctl_reply r;

	(void)s;
	rec.pid = 0;
	assert_int_equal(ask("resize", "1", 1000, &r), -ESRCH);
	assert_null(get(CTL "request"));
}

static void test_bad_op_or_arg(void **s)
{
	struct xbdev_ctl_reply r;
	char big[XBDEV_CTL_ARG_MAX + 2];

	(void)s;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(ask("", "1", 1000, &r), -EINVAL);
	assert_int_equal(ask("resize", big, 1000, &r), -EINVAL);
	big[XBDEV_CTL_ARG_MAX] = '\0';
	assert_int_equal(ask("resize", big, 1000, &r), 0);
	assert_int_equal(strlen(taken.arg), XBDEV_CTL_ARG_MAX);
}

/* A daemon that never answers: the requester withdraws the request, so
 * the next one is taken; the late answer is not written over it. */
static void test_timeout_withdraws(void **s)
{
	struct xbdev_ctl_reply r;
	bool written = true;

	(void)s;
	fake_xs_idle = NULL;
	assert_int_equal(ask("resize", "1", 50, &r), -ETIMEDOUT);
	assert_string_equal(get(CTL "done"), "1");
	assert_string_equal(get(CTL "result"), "-110");
	assert_int_equal(xbdev_ctl_answer(x, REC, 1, 0, "late", &written), 0);
	assert_false(written);
	assert_string_equal(get(CTL "result"), "-110");
	fake_xs_idle = daemon_answers;
	assert_int_equal(ask("resize", "2", 1000, &r), 0);
	assert_int_equal(taken.seq, 2);
}

static void test_take(void **s)
{
	struct xbdev_ctl_request q;
	char big[XBDEV_CTL_ARG_MAX + 2];

	(void)s;
	assert_int_equal(xbdev_ctl_take(x, XBDEV_TXN_NONE, REC, &q), -ENOENT);
	put(CTL "request", "7");
	put(CTL "done", "7");
	assert_int_equal(xbdev_ctl_take(x, XBDEV_TXN_NONE, REC, &q), -ENOENT);
	/* an argument longer than any requester writes: the number is
	 * still given, so the daemon can answer it */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put(CTL "request", "8");
	put(CTL "op", "resize");
	put(CTL "arg", big);
	assert_int_equal(xbdev_ctl_take(x, XBDEV_TXN_NONE, REC, &q),
			 -ENAMETOOLONG);
	assert_int_equal(q.seq, 8);
	/* a request number that is not one */
	put(CTL "request", "x");
	assert_int_equal(xbdev_ctl_take(x, XBDEV_TXN_NONE, REC, &q), -EINVAL);
	assert_int_equal(q.seq, 0);
}

/* Numbers wrap before XBDEV_CTL_SEQ_MAX; the answer must carry the right
 * result back whatever its sign or text. */
static void test_wrap_and_result(void **s)
{
	struct xbdev_ctl_reply r;
	char v[24];

	(void)s;
	snprintf(v, sizeof(v), "%lu", XBDEV_CTL_SEQ_MAX);
	put(CTL "request", v);
	put(CTL "done", v);
	answer_with = -EPERM;
	assert_int_equal(ask("limit", "iops=1", 1000, &r), 0);
	assert_int_equal(taken.seq, 1);
	assert_int_equal(r.result, -EPERM);
}

static void bad_result(void)
{
	if (xbdev_ctl_take(x, XBDEV_TXN_NONE, REC, &taken))
		return;
	put(CTL "result", "12");
	put(CTL "done", "1");
}

static void test_bad_result(void **s)
{
	struct xbdev_ctl_reply r;

	(void)s;
	fake_xs_idle = bad_result;
	assert_int_equal(ask("resize", "1", 1000, &r), -EBADMSG);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_answered),         T(test_pending_refused),
		T(test_no_daemon),        T(test_bad_op_or_arg),
		T(test_timeout_withdraws), T(test_take),
		T(test_wrap_and_result),  T(test_bad_result),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
