/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Guest 5's xvdb (vbd 51728) as xbdev-blkback's start leaves its struct
 * blk_dev before any connect: paths, tag, queues bound to no port, no
 * store fd (the test opens one if it wants), and its log (stderr) in a
 * file of the test's own.  For the backend's tests on fake-xs.h; include
 * it after fake-xs.h and blkback.h, define put() before.
 */
#define BE "/local/domain/0/backend/xbdev-vbd/5/51728"
#define FE "/local/domain/5/device/vbd/51728"
#define REC "/xbdev/5/vbd/51728"

/* The device's own nodes in the store: our directory in InitWait (the
 * test writes the state it wants over it), the frontend's, the record's
 * path to us. */
static void blk_fix_store(void)
{
	fake_xs_reset();
	put(BE "/frontend-id", "5");
	put(BE "/online", "1");
	put(BE "/state", "2");
	put(REC "/backend", BE);
}

static void blk_fix_dev(struct blk_dev *d, const char *params)
{
	d->fd = -1;
	d->evtchn_fd = -1;
	for (unsigned i = 0; i < BLK_MAX_QUEUES; i++) {
		d->q[i].dev = d;
		d->q[i].idx = i;
		d->q[i].local_port = -1;
	}
	d->fe_domid = 5;
	d->devid = 51728;
	snprintf(d->be_path, sizeof(d->be_path), BE);
	snprintf(d->fe_path, sizeof(d->fe_path), FE);
	snprintf(d->record_path, sizeof(d->record_path), REC);
	snprintf(d->tag, sizeof(d->tag), "vbd-5-51728");
	d->params = strdup(params);
	assert_non_null(d->params);
	d->max_queues = BLK_MAX_QUEUES;
}

/* The log onto a fresh file named from tmpl ("/tmp/NAME.XXXXXX", at most
 * 63 bytes); blk_fix_log_end() puts stderr back and removes it. */
struct blk_fix_log {
	char path[64];
	int saved_err;
};

static void blk_fix_log_start(struct blk_fix_log *l, const char *tmpl)
{
	int fd;

	snprintf(l->path, sizeof(l->path), "%s", tmpl);
	fd = mkstemp(l->path);
	assert_true(fd >= 0);
	fflush(stderr);
	l->saved_err = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
}

static void blk_fix_log_end(struct blk_fix_log *l)
{
	fflush(stderr);
	dup2(l->saved_err, STDERR_FILENO);
	close(l->saved_err);
	unlink(l->path);
}
