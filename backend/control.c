// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Requests from dom0's toolstack to this backend (resize, media, limits):
 * lib/control.c's protocol on our record's ctl/ directory.  The record is
 * dom0's alone (no guest can read or write it), so what a request says is
 * the toolstack's word; each handler still checks its argument.
 *
 * One request is taken per watch event of ctl/request (and one at start-up,
 * when the watch fires on registration: a request posted while no backend
 * ran, or while the previous one died, is answered then).  The answer is
 * written once the change is done (published in xenstore where the guest
 * must see it), so a requester that reads it may tell the user it is done.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "blkback.h"

/* What each request runs.  A handler returns 0 or -errno and may leave a
 * one-line message in msg (dom0's text: the log shows it unescaped). */
static const struct blk_ctl_op {
	const char *name;
	int (*fn)(struct blk_dev *d, const char *arg, char *msg, size_t len);
} ctl_ops[] = {
	{ "limit", blk_io_limit_op },
	{ "resize", blk_xb_resize },
	{ NULL, NULL }
};

int blk_ctl_dispatch(struct blk_dev *d, const char *op, const char *arg,
		     char *msg, size_t len)
{
	msg[0] = '\0';
	for (const struct blk_ctl_op *o = ctl_ops; o->name; o++)
		if (!strcmp(o->name, op))
			return o->fn(d, arg, msg, len);
	snprintf(msg, len, "unknown request");
	return -EOPNOTSUPP;
}

void blk_ctl_run(struct blk_dev *d)
{
	struct xbdev_ctl_request req;
	char msg[sizeof(((struct xbdev_ctl_reply *)0)->msg)];
	bool written;
	int err, result;

	d->ctl_due = false;
	err = xbdev_ctl_take(d->xs, XBDEV_TXN_NONE, d->record_path, &req);
	if (err == -ENOENT)
		return;
	if (err && !req.seq) {
		blk_log(d, "cannot read the request in %s/%s: %s",
			d->record_path, XBDEV_CTL_DIR, strerror(-err));
		return;
	}
	if (err) {
		result = err;
		snprintf(msg, sizeof(msg), "malformed request");
	} else {
		result = blk_ctl_dispatch(d, req.op, req.arg, msg, sizeof(msg));
	}
	blk_log(d, "request %lu: %s %s: %s%s%s", req.seq, err ? "?" : req.op,
		err ? "" : req.arg, result ? strerror(-result) : "done",
		msg[0] ? ": " : "", msg);
	err = xbdev_ctl_answer(d->xs, d->record_path, req.seq, result, msg,
			       &written);
	if (err)
		blk_log(d, "cannot answer request %lu: %s", req.seq,
			strerror(-err));
	else if (!written)
		blk_log(d, "request %lu was withdrawn before its answer",
			req.seq);
}
