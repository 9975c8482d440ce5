// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xbdev-blkback's XenBus side (backend/xenbus.c, publish.c) against the
 * in-memory xenstore of fake-xs.h, for what a guest writing its frontend
 * state node in a loop can make the backend do: every pending watch event
 * merged into one evaluation of the states, our own directory re-read only
 * when it changed, connect attempts at least
 * BLK_CONNECT_GAP_MS apart, a malformed state ignored, a forced publish
 * writing only the info/ keys that changed, the guest's protocol value
 * reaching the log escaped, and the sector sizes offered (the record's).
 * The watch events are queued by the test (fake_xs_queue_event());
 * xs_read and xs_write are counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#include <cmocka.h>

/* fake-xs.h's xs_read/xs_write under other names, counted below. */
#define xs_read fake_xs_read
#define xs_write fake_xs_write
#include "fake-xs.h"
#undef xs_read
#undef xs_write

#include "blkback.h"

static unsigned reads, writes;

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
	      unsigned int *len)
{
	reads++;
	return fake_xs_read(h, t, path, len);
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
	      const void *data, unsigned int len)
{
	writes++;
	return fake_xs_write(h, t, path, data, len);
}

/* ---- a device in InitWait, its frontend about to connect ------------------ */

#define FORGED "bogus\n2026-01-01T00:00:00.000Z xbdev-blkback[1] vbd-0-0: " \
	       "FORGED \033[2J"

static void put(const char *path, const char *value)
{
	assert_true(fake_xs_write(NULL, XBT_NULL, path, value, strlen(value)));
}

#include "blk-dev-fix.h"

struct fix {
	struct blk_dev d;
	struct blk_fix_log log;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct blk_dev *d = &f->d;

	assert_non_null(f);
	blk_fix_store();
	put(FE "/state", "1");
	put(FE "/protocol", FORGED);

	blk_fix_dev(d, "/tmp/image");
	d->state = XBDEV_STATE_INITWAIT;
	assert_int_equal(xbdev_open(&d->xs), 0);
	xbdev_set_log_fn(d->xs, blk_lib_log, d);
	blk_fix_log_start(&f->log, "/tmp/test-backend-xenbus.XXXXXX");
	/* The start's publish: every key, once. */
	blk_xb_publish(d, true);
	reads = writes = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	blk_xb_fini(&f->d);
	blk_fix_log_end(&f->log);
	fake_xs_reset();
	free(f);
	return 0;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);

	fflush(stderr);
	assert_non_null(fp);
	assert_non_null(buf);
	if (fread(buf, 1, 65535, fp)) {
	}
	fclose(fp);
	return buf;
}

/* The guest writes its state n times with value v: n events. */
static void flood(const char *v, unsigned n)
{
	put(FE "/state", v);
	for (unsigned i = 0; i < n; i++)
		fake_xs_queue_event(FE "/state", "fe");
}

/* ... and the backend wakes up to them. */
static void wake_up(struct blk_dev *d, const char *v, unsigned n)
{
	flood(v, n);
	blk_xb_watches(d, 4096);
}

/* ---- tests ------------------------------------------------------------------- */

static void events_of_one_wake_up_are_evaluated_once(void **state)
{
	struct fix *f = *state;
	unsigned once;

	/* One event: what a single evaluation with a connect attempt (no
	 * rings: refused, the device goes Closed) costs. */
	wake_up(&f->d, "3", 1);
	assert_int_equal(f->d.state, XBDEV_STATE_CLOSED);
	once = reads;
	assert_true(once > 0);

	/* A second later, 2000 events and a few of our own directory and of
	 * @releaseDomain and one of a token we never set: no more. */
	f->d.connect_at = 0;
	reads = writes = 0;
	flood("3", 2000);
	for (unsigned i = 0; i < 5; i++)
		fake_xs_queue_event(BE, "be");
	fake_xs_queue_event("@releaseDomain", "zz");
	blk_xb_watches(&f->d, 4096);
	assert_int_equal(fake_xs_events_queued(), 0);             /* all drained */
	assert_true(reads <= once);
	assert_false(f->d.exit);
}

static void the_drain_is_bounded_per_call(void **state)
{
	struct fix *f = *state;

	flood("1", 100);
	blk_xb_watches(&f->d, 30);
	assert_int_equal(fake_xs_events_queued(), 70);
	blk_xb_watches(&f->d, 4096);
	assert_int_equal(fake_xs_events_queued(), 0);
}

static void connect_attempts_are_a_second_apart(void **state)
{
	struct fix *f = *state;
	unsigned w;

	wake_up(&f->d, "3", 1);
	assert_int_equal(f->d.state, XBDEV_STATE_CLOSED);
	w = writes;
	assert_true(w > 0);

	/* Initialised again at once: the states are read, nothing else. */
	reads = writes = 0;
	wake_up(&f->d, "3", 50);
	assert_int_equal(writes, 0);
	assert_true(reads <= 4);        /* frontend-id, online, both states */
	assert_true(f->d.reeval_at > 0);
	assert_true(f->d.reeval_at <= xbdev_now_ms() + BLK_CONNECT_GAP_MS);

	/* When the timer fires (time passed): one attempt, which reads the
	 * frontend's nodes again, and writes nothing that did not change. */
	f->d.connect_at = 0;
	reads = writes = 0;
	blk_xb_reevaluate(&f->d);
	assert_int_equal(f->d.reeval_at, 0);
	assert_true(reads > 4);
	assert_int_equal(writes, 0);
}

static void malformed_state_is_ignored(void **state)
{
	struct fix *f = *state;
	static const char *const bad[] = { "x", "99", "3\n4", "", " 3", "-1" };

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		writes = 0;
		wake_up(&f->d, bad[i], 10);
		assert_int_equal(f->d.state, XBDEV_STATE_INITWAIT);
		assert_int_equal(writes, 0);
		assert_false(f->d.exit);
	}
}

static void forced_publish_writes_only_what_changed(void **state)
{
	struct fix *f = *state;

	/* Nothing changed since the start's publish. */
	blk_xb_publish(&f->d, true);
	assert_int_equal(writes, 0);
	/* A connect refused: the state key, not the ~30 of the record. */
	wake_up(&f->d, "3", 1);
	assert_int_equal(f->d.state, XBDEV_STATE_CLOSED);
	assert_true(writes <= 3);       /* our state node, info/state */
	assert_string_equal(fake_find(REC "/info/state")->value, "Closed");
}

/* The grant keys of info/ (for xbdev status): the persistent grants' cap
 * is queues x the cap of one, the rings' grants queues x pages, a failed
 * map's errno by name; nothing before a connect. */
static void info_has_the_grant_keys(void **state)
{
	struct fix *f = *state;
	struct blk_dev *d = &f->d;

	assert_string_equal(fake_find(REC "/info/persistent-grants")->value, "0");
	assert_string_equal(fake_find(REC "/info/persistent-grants-max")->value,
			    "0");
	assert_string_equal(fake_find(REC "/info/ring-grants")->value, "0");
	assert_string_equal(fake_find(REC "/info/map-failures")->value, "0");
	assert_string_equal(fake_find(REC "/info/map-last-error")->value, "");
	d->persistent = true;
	d->nr_queues = 2;
	d->ring_pages = 4;
	d->max_pgrants = 100;
	d->pgrants_peak = 7;
	blk_map_failed(d, ENOMEM);
	blk_map_failed(d, ENOSPC);
	blk_xb_publish(d, true);
	assert_string_equal(fake_find(REC "/info/persistent-grants-max")->value,
			    "200");
	assert_string_equal(fake_find(REC "/info/persistent-grants-peak")->value,
			    "7");
	assert_string_equal(fake_find(REC "/info/ring-grants")->value, "8");
	assert_string_equal(fake_find(REC "/info/map-failures")->value, "2");
	assert_string_equal(fake_find(REC "/info/map-last-error")->value,
			    "ENOSPC");
	d->max_pgrants = 0;             /* the default */
	d->nr_queues = 1;
	blk_xb_publish(d, true);
	assert_string_equal(fake_find(REC "/info/persistent-grants-max")->value,
			    "1056");
	d->nr_queues = 0;
	d->persistent = false;
}

static void guest_text_reaches_the_log_escaped(void **state)
{
	struct fix *f = *state;
	char *log;

	wake_up(&f->d, "3", 1);
	log = slurp(f->log.path);
	assert_non_null(strstr(log, "frontend protocol \"bogus\\x0a2026-01-01T"
				    "00:00:00.000Z xbdev-blkback[1] vbd-0-0: "
				    "FORGED \\x1b[2J\" not supported"));
	assert_null(strstr(log, "\n2026-01-01"));
	assert_null(strchr(log, '\033'));
	free(log);
}

static void flood_log_stays_small(void **state)
{
	struct fix *f = *state;
	static const char *const cycle[] = { "3", "x", "1", "99", "6", "5" };
	char *log;

	/* 600 wake-ups of a guest cycling through states, each a second
	 * after the last connect attempt (the worst case). */
	for (unsigned i = 0; i < 600; i++) {
		f->d.connect_at = 0;
		wake_up(&f->d, cycle[i % 6], 3);
		f->d.renew_at = 0;
	}
	log = slurp(f->log.path);
	/* Three kinds of BLK_RL_BURST lines each, and a summary or so. */
	assert_true(strlen(log) < 3 * (BLK_RL_BURST + 2) * 300);
	free(log);
}

static void frontend_events_read_only_its_state(void **state)
{
	struct fix *f = *state;

	/* The first evaluation reads our directory too. */
	wake_up(&f->d, "1", 1);
	assert_int_equal(reads, 4);
	/* Then, while only the frontend's node changes: that node alone. */
	for (unsigned i = 0; i < 20; i++) {
		reads = 0;
		wake_up(&f->d, i % 2 ? "1" : "x", 1);
		assert_int_equal(reads, 1);
	}
	/* An event of our directory: read again. */
	reads = 0;
	fake_xs_queue_event(BE "/online", "be");
	blk_xb_watches(&f->d, 4096);
	assert_int_equal(reads, 4);
}

static void our_own_state_change_rereads_our_directory(void **state)
{
	struct fix *f = *state;

	wake_up(&f->d, "1", 1);
	/* A refused connect: we wrote Closed ourselves, its event not read
	 * yet; the next evaluation must not trust what it read before. */
	wake_up(&f->d, "3", 1);
	assert_int_equal(f->d.state, XBDEV_STATE_CLOSED);
	reads = 0;
	wake_up(&f->d, "3", 1);
	assert_int_equal(reads, 4);
}

static void toolstack_close_is_still_seen(void **state)
{
	struct fix *f = *state;

	wake_up(&f->d, "1", 1);
	/* `xbdev detach`: online = 0, our state Closing; the frontend is
	 * Closed already. */
	put(BE "/online", "0");
	put(BE "/state", "5");
	fake_xs_queue_event(BE "/online", "be");
	fake_xs_queue_event(BE "/state", "be");
	wake_up(&f->d, "6", 3);
	assert_true(f->d.closing);
	assert_true(f->d.exit);
	assert_int_equal(f->d.exit_code, 0);
	assert_string_equal(fake_find(BE "/state")->value, "6");
}

/* An image as open_backing found it: its size, its own sector sizes. */
static void image_is(struct blk_dev *d, uint64_t size, unsigned lss,
		     unsigned pss, unsigned granularity)
{
	d->size = size;
	d->sector_size = lss;
	d->phys_sector_size = pss;
	d->discard_granularity = granularity;
	d->why[0] = '\0';
}

/* That image, offered with sector sizes lss and pss. */
static void offered(struct blk_dev *d, uint64_t size, unsigned img_lss,
		    unsigned img_pss, unsigned lss, unsigned pss)
{
	image_is(d, size, img_lss, img_pss, img_pss);
	assert_int_equal(blk_sector_sizes(d), 0);
	assert_int_equal(d->sector_size, lss);
	assert_int_equal(d->phys_sector_size, pss);
}

/* The sector sizes offered: the image's own unless the record (attach
 * --sector-size, --physical-sector-size; dom0's alone) asks for others;
 * what the image cannot be is refused, with the reason in d->why. */
static void sector_sizes_come_from_the_record(void **state)
{
	struct fix *f = *state;
	struct blk_dev *d = &f->d;

	/* a file: 512, 4096; 1 MiB + 1 KiB only takes a 1024 physical */
	offered(d, 1 << 20, 512, 4096, 512, 4096);
	offered(d, (1 << 20) + 1024, 512, 4096, 512, 1024);
	/* logical 4096 on a 512-byte block device: physical follows, and
	 * so does a finer discard granularity */
	put(REC "/sector-size", "4096");
	offered(d, 1 << 20, 512, 512, 4096, 4096);
	assert_int_equal(d->discard_granularity, 4096);
	/* physical asked: taken as it is, never lowered */
	put(REC "/physical-sector-size", "16384");
	offered(d, 1 << 20, 512, 4096, 4096, 16384);
	blk_xb_publish(d, true);
	assert_string_equal(fake_find(REC "/info/sector-size")->value, "4096");
	assert_string_equal(fake_find(REC "/info/physical-sector-size")->value,
			    "16384");
	/* refused: a size not a multiple of them, a 4096-byte device asked
	 * for 512, a value no attach writes */
	image_is(d, (1 << 20) + 4096, 512, 4096, 4096);
	assert_int_equal(blk_sector_sizes(d), -EINVAL);
	assert_non_null(strstr(d->why, "sector-size 4096, physical-sector-size "
				       "16384: its size is not a multiple"));
	assert_true(xs_rm(NULL, XBT_NULL, REC "/physical-sector-size"));
	put(REC "/sector-size", "512");
	image_is(d, 1 << 20, 4096, 4096, 4096);
	assert_int_equal(blk_sector_sizes(d), -EINVAL);
	assert_non_null(strstr(d->why, "cannot be emulated"));
	put(REC "/sector-size", "2048");
	image_is(d, 1 << 20, 512, 4096, 4096);
	assert_int_equal(blk_sector_sizes(d), -EINVAL);
	put(REC "/sector-size", "4k");
	image_is(d, 1 << 20, 512, 4096, 4096);
	assert_int_equal(blk_sector_sizes(d), -EINVAL);
	assert_int_equal(d->sector_size, 512);  /* untouched when refused */
}

/* One read of one segment [first, last] at sector, checked as the ring
 * loop checks it: against d->lim. */
static int read_checked(struct blk_dev *d, uint64_t sector, uint8_t first,
			uint8_t last)
{
	struct blk_req req = {
		.operation = BLKIF_OP_READ,
		.op = BLKIF_OP_READ,
		.nr_segments = 1,
		.sector = sector,
		.seg = { { .gref = 8, .first_sect = first, .last_sect = last } },
	};

	return blk_req_check(&req, &d->lim);
}

/* The validator is told what the guest is: a disk offered with 4096-byte
 * logical sectors takes only whole 4096-byte sectors (blkif.h: fields in
 * 512-byte units, offsets and lengths multiples of sector-size); one
 * offered with 512 takes a single 512-byte sector. */
static void requests_are_checked_in_the_offered_sector_size(void **state)
{
	struct blk_dev *d = &((struct fix *)*state)->d;

	put(REC "/sector-size", "4096");
	offered(d, 1 << 20, 512, 512, 4096, 4096);
	d->sectors = d->size >> 9;
	blk_limits_set(d);
	assert_int_equal(read_checked(d, 0, 0, 7), BLKIF_RSP_OKAY);
	assert_int_equal(read_checked(d, 0, 0, 0), BLKIF_RSP_ERROR);
	assert_int_equal(read_checked(d, 1, 0, 7), BLKIF_RSP_ERROR);
	assert_int_equal(read_checked(d, 2040, 0, 7), BLKIF_RSP_OKAY);
	assert_int_equal(read_checked(d, 2048, 0, 7), BLKIF_RSP_ERROR);

	put(REC "/sector-size", "512");
	offered(d, 1 << 20, 512, 4096, 512, 4096);
	blk_limits_set(d);
	assert_int_equal(read_checked(d, 1, 3, 3), BLKIF_RSP_OKAY);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(events_of_one_wake_up_are_evaluated_once),
		T(the_drain_is_bounded_per_call),
		T(connect_attempts_are_a_second_apart),
		T(malformed_state_is_ignored),
		T(forced_publish_writes_only_what_changed),
		T(info_has_the_grant_keys),
		T(guest_text_reaches_the_log_escaped),
		T(flood_log_stays_small),
		T(frontend_events_read_only_its_state),
		T(our_own_state_change_rereads_our_directory),
		T(toolstack_close_is_still_seen),
		T(sector_sizes_come_from_the_record),
		T(requests_are_checked_in_the_offered_sector_size),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
