/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xbdev watch's relevance rules (lib/monitor.c): which watch events the
 * sampler keeps, and which of those make the monitor re-read the device
 * list.  A guest owns everything below its /local/domain/<id>; what it
 * writes outside its device directories must never cost a rescan.  And
 * how samples and a rescan combine: an older reading never overrides a
 * newer one.  The
 * library's source is compiled in so that its static rules are tested.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../lib/monitor.c"

#define FE "/local/domain/5/device/vbd/51728"
#define BE "/local/domain/0/backend/xbdev-vbd/5/51728"

/* A monitor that knows guest 5's served xvdb. */
static struct mdev known = {
	.d = { .fe = 5, .be = 0, .devid = 51728, .cls = "vbd",
	       .type = "xbdev-vbd", .fe_dir = FE, .be_dir = BE,
	       .has_front = true, .has_back = true, .has_record = true,
	       .pid = 42, .pid_alive = true },
};
static struct mon mon = { .devs = &known, .n = 1 };

/* An observation as the sampler would make it (xbdev_path_parse(), the
 * state value and the existence read stood in for). */
static enum obs_verdict verdict(const char *path, int value, bool exists)
{
	struct obs o = { .path = (char *)path };
	struct xbdev_path_parts pp;

	xbdev_path_parse(path, &pp);
	o.kind = pp.kind;
	o.value = -1;
	if (pp.kind == XBDEV_PATH_TREE) {
		o.is_dir = true;
	} else if (pp.kind == XBDEV_PATH_FRONTEND ||
		   pp.kind == XBDEV_PATH_BACKEND) {
		o.is_dir = !*pp.rest;
		o.is_state = !strcmp(pp.rest, "/state");
	}
	if (o.is_state)
		o.value = value;
	o.exists = exists;
	return obs_verdict(&mon, &o);
}

static void test_sampler_filter(void **s)
{
	static const char *const dropped[] = {
		"/local/domain/5/data/device/x",
		"/local/domain/5/data/backend/x",
		"/local/domain/5/data/device/vbd/51728/state",
		"/local/domain/5/attr/device/vbd/1",
		"/local/domain/5/control/shutdown",
		"/local/domain/5/memory/target",
		"/local/domain/5/devicex/vbd/1/state",
		"/local/domain/5/device/vbd/junk/state",
		"/local/domain/05/device/vbd/51728/state",
		"/vm/5/device/vbd/1",
		"/xbdevx/1",
	};
	static const char *const kept[] = {
		FE "/state", BE "/state", FE, BE, FE "/ring-ref",
		"/local/domain", "/local/domain/5", "/local/domain/5/device",
		"/xbdev", "/xbdev/5/vbd/51728/info/requests",
		"@releaseDomain", "@introduceDomain",
	};
	unsigned i;

	for (i = 0; i < ARRAY_SIZE(dropped); i++)
		if (monitor_relevant(dropped[i]))
			fail_msg("kept %s", dropped[i]);
	for (i = 0; i < ARRAY_SIZE(kept); i++)
		if (!monitor_relevant(kept[i]))
			fail_msg("dropped %s", kept[i]);
}

static void test_known_device(void **s)
{
	/* Its state nodes are replayed, not rescanned for. */
	assert_int_equal(verdict(FE "/state", 4, true), OBS_KEEP);
	assert_int_equal(verdict(BE "/state", 4, true), OBS_KEEP);
	/* A state node gone: the device is going. */
	assert_int_equal(verdict(FE "/state", -1, true), OBS_RESCAN);
	assert_int_equal(verdict(BE "/state", -1, true), OBS_RESCAN);
	/* Anything else a guest writes inside its frontend directory. */
	assert_int_equal(verdict(FE "/ring-ref", 0, true), OBS_KEEP);
	assert_int_equal(verdict(FE "/x/y/z", 0, true), OBS_KEEP);
	assert_int_equal(verdict(BE "/info", 0, true), OBS_KEEP);
	/* The directory itself: rewritten (still there), or removed. */
	assert_int_equal(verdict(FE, 0, true), OBS_KEEP);
	assert_int_equal(verdict(FE, 0, false), OBS_RESCAN);
	assert_int_equal(verdict(BE, 0, false), OBS_RESCAN);
	/* Its record: the backend's counters, or the record going. */
	assert_int_equal(verdict("/xbdev/5/vbd/51728/info/requests", 0, true),
			 OBS_KEEP);
	assert_int_equal(verdict("/xbdev/5/vbd/51728", 0, true), OBS_RESCAN);
}

static void test_new_device(void **s)
{
	assert_int_equal(verdict("/local/domain/5/device/vbd/51744/state", 1,
				 true), OBS_RESCAN);
	assert_int_equal(verdict("/local/domain/5/device/vbd/51744/x", 0,
				 true), OBS_RESCAN);
	assert_int_equal(verdict("/local/domain/5/device/vbd/51744", 0, true),
			 OBS_RESCAN);
	assert_int_equal(verdict("/local/domain/0/backend/vbd/5/51744/state",
				 2, true), OBS_RESCAN);
	assert_int_equal(verdict("/xbdev/5/vbd/51744/pid", 0, true),
			 OBS_RESCAN);
	assert_int_equal(verdict("@releaseDomain", 0, true), OBS_RESCAN);
	assert_int_equal(verdict("@introduceDomain", 0, true), OBS_RESCAN);
}

static void test_directories_above(void **s)
{
	/* Above known devices and still there: only they are looked at. */
	assert_int_equal(verdict("/local/domain/5/device", 0, true),
			 OBS_CHECK_BELOW);
	assert_int_equal(verdict("/local/domain/5/device/vbd", 0, true),
			 OBS_CHECK_BELOW);
	assert_int_equal(verdict("/local/domain/5", 0, true),
			 OBS_CHECK_BELOW);
	assert_int_equal(verdict("/local/domain/0/backend/xbdev-vbd/5", 0,
				 true), OBS_CHECK_BELOW);
	assert_int_equal(verdict("/local/domain", 0, true), OBS_CHECK_BELOW);
	/* Above no known device: nothing came or went. */
	assert_int_equal(verdict("/local/domain/6/device", 0, true),
			 OBS_KEEP);
	assert_int_equal(verdict("/local/domain/5/device/vif", 0, true),
			 OBS_KEEP);
	assert_int_equal(verdict("/local/domain/0/backend/vbd", 0, true),
			 OBS_KEEP);
	/* Removed: the devices below went with it. */
	assert_int_equal(verdict("/local/domain/5/device", 0, false),
			 OBS_RESCAN);
	assert_int_equal(verdict("/local/domain/6", 0, false), OBS_RESCAN);
}

static void test_guest_elsewhere(void **s)
{
	/* The audit's case: never a rescan, never even sampled. */
	assert_int_equal(verdict("/local/domain/5/data/device/x", 0, true),
			 OBS_KEEP);
	assert_int_equal(verdict("/local/domain/5/data/device/vbd/51744/state",
				 1, true), OBS_KEEP);
	assert_int_equal(verdict("/local/domain/5/data/backend/vbd/5/1", 0,
				 false), OBS_KEEP);
}

/* ---- replaying samples against a rescan ---- */

struct seen {
	unsigned n;
	int old[8], now[8];
};

static int note_event(const struct xbdev_event_info *ev, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	s->old[s->n] = ev->old_state;
	s->now[s->n++] = ev->new_state;
	return 0;
}

static void test_older_reading_never_wins(void **st)
{
	/* The sampler read the frontend Closing at 200 ms; a rescan begun
	 * at 150 ms still saw it Connected.  The device is Closing: the
	 * rescan's older reading must not take it back. */
	struct seen seen = { 0 };
	struct mdev md = { .d = known.d, .at = { 100, 100 } };
	struct obs o = { .path = FE "/state", .kind = XBDEV_PATH_FRONTEND,
			 .is_state = true, .value = XBDEV_STATE_CLOSING,
			 .at_ms = 200 };
	struct mon m = { .fn = note_event, .arg = &seen, .obs = &o,
			 .n_obs = 1 };
	struct xbdev_dev_status rescan = known.d;

	md.d.fe_state = md.d.be_state = XBDEV_STATE_CONNECTED;
	rescan.fe_state = rescan.be_state = XBDEV_STATE_CONNECTED;
	assert_int_equal(replay(&m, &md, 1), 0);
	assert_int_equal(catch_up(&m, &md, &rescan, 150), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.old[0], XBDEV_STATE_CONNECTED);
	assert_int_equal(seen.now[0], XBDEV_STATE_CLOSING);
	assert_int_equal(md.d.fe_state, XBDEV_STATE_CLOSING);
	/* A rescan read after the sample is newer: it wins. */
	rescan.fe_state = XBDEV_STATE_CLOSED;
	assert_int_equal(catch_up(&m, &md, &rescan, 300), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.old[1], XBDEV_STATE_CLOSING);
	assert_int_equal(seen.now[1], XBDEV_STATE_CLOSED);
	(void)st;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sampler_filter),
		cmocka_unit_test(test_known_device),
		cmocka_unit_test(test_new_device),
		cmocka_unit_test(test_directories_above),
		cmocka_unit_test(test_guest_elsewhere),
		cmocka_unit_test(test_older_reading_never_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
