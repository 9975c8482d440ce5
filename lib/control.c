/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: requests to a device's running backend daemon (resize, media,
 * limits), through the ctl/ directory of its dom0-only record.
 *
 * Protocol (one request at a time per device):
 *   the requester, in one transaction, finds ctl/request == ctl/done (no
 *   request pending; both missing counts as 0) and writes ctl/op, ctl/arg
 *   and ctl/request = done + 1;
 *   the daemon, which watches ctl/request, takes op and arg when request
 *   != done, acts, and then in one transaction (still request != done)
 *   writes ctl/result (0 or -errno), ctl/message and ctl/done = request;
 *   a requester that gives up first writes the answer itself (result
 *   -ETIMEDOUT), so the next request is not refused for ever - the
 *   daemon may still carry the abandoned one out.
 * Only dom0 can read or write the record: nothing here comes from a guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

#define CTL_WATCH_TOKEN "xbdev-ctl"

static int ctl_path(char *buf, size_t len, const char *rec_dir,
		    const char *key)
{
	char dir[XBDEV_PATH_MAX];
	int err;

	err = xbdev_path_join(dir, sizeof(dir), rec_dir, XBDEV_CTL_DIR);
	if (!err)
		err = xbdev_path_join(buf, len, dir, key);
	return err;
}

/* A ctl/ counter; a missing node is 0. */
static int ctl_read_seq(struct xbdev *x, xbdev_txn_t t, const char *rec_dir,
			const char *key, unsigned long *out)
{
	char p[XBDEV_PATH_MAX];
	int err;

	*out = 0;
	err = ctl_path(p, sizeof(p), rec_dir, key);
	if (!err)
		err = xbdev_read_uint(x, t, p, XBDEV_CTL_SEQ_MAX, out);
	return err == -ENOENT ? 0 : err;
}

static int ctl_write(struct xbdev *x, xbdev_txn_t t, const char *rec_dir,
		     const char *key, const char *value)
{
	char p[XBDEV_PATH_MAX];
	int err;

	err = ctl_path(p, sizeof(p), rec_dir, key);
	if (!err)
		err = xbdev_write(x, t, p, value);
	return err;
}

static int ctl_write_seq(struct xbdev *x, xbdev_txn_t t, const char *rec_dir,
			 const char *key, unsigned long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%lu", v);
	return ctl_write(x, t, rec_dir, key, s);
}

/* Next request number after done (wraps before XBDEV_CTL_SEQ_MAX). */
static unsigned long ctl_next(unsigned long done)
{
	return done >= XBDEV_CTL_SEQ_MAX ? 1 : done + 1;
}

struct post {
	const char *rec_dir, *op, *arg;
	unsigned long seq;              /* out: the request's number */
};

static int post_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct post *p = arg;
	unsigned long req, done;
	int err;

	err = ctl_read_seq(x, t, p->rec_dir, XBDEV_CTL_REQUEST, &req);
	if (!err)
		err = ctl_read_seq(x, t, p->rec_dir, XBDEV_CTL_DONE, &done);
	if (!err && req != done)
		err = -EBUSY;
	if (!err) {
		p->seq = ctl_next(done);
		err = ctl_write(x, t, p->rec_dir, XBDEV_CTL_OP, p->op);
	}
	if (!err)
		err = ctl_write(x, t, p->rec_dir, XBDEV_CTL_ARG, p->arg);
	if (!err)
		err = ctl_write_seq(x, t, p->rec_dir, XBDEV_CTL_REQUEST, p->seq);
	return err;
}

struct answer {
	const char *rec_dir;
	unsigned long seq;
	int result;
	const char *msg;
	bool written;                   /* out: false when already answered */
};

static int answer_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct answer *a = arg;
	unsigned long req, done;
	char r[16];
	int err;

	a->written = false;
	err = ctl_read_seq(x, t, a->rec_dir, XBDEV_CTL_REQUEST, &req);
	if (!err)
		err = ctl_read_seq(x, t, a->rec_dir, XBDEV_CTL_DONE, &done);
	if (err || req != a->seq || done == a->seq)
		return err;
	snprintf(r, sizeof(r), "%d", a->result);
	err = ctl_write(x, t, a->rec_dir, XBDEV_CTL_RESULT, r);
	if (!err)
		err = ctl_write(x, t, a->rec_dir, XBDEV_CTL_MESSAGE, a->msg);
	if (!err)
		err = ctl_write_seq(x, t, a->rec_dir, XBDEV_CTL_DONE, a->seq);
	a->written = !err;
	return err;
}

int xbdev_ctl_answer(struct xbdev *x, const char *rec_dir, unsigned long seq,
		     int result, const char *msg, bool *written)
{
	struct answer a = { rec_dir, seq, result, msg ? msg : "", false };
	int err = xbdev_txn(x, answer_txn, &a);

	if (written)
		*written = a.written;
	return err;
}

/* The answer to request seq, once ctl/done says it is there: 0, -EAGAIN
 * while it is not. */
static int read_answer(struct xbdev *x, const char *rec_dir,
		       unsigned long seq, struct xbdev_ctl_reply *reply)
{
	char p[XBDEV_PATH_MAX], *msg = NULL;
	unsigned long done;
	long result;
	char *end;
	int err;

	err = ctl_read_seq(x, XBDEV_TXN_NONE, rec_dir, XBDEV_CTL_DONE, &done);
	if (err)
		return err;
	if (done != seq)
		return -EAGAIN;
	err = ctl_path(p, sizeof(p), rec_dir, XBDEV_CTL_RESULT);
	if (!err)
		err = xbdev_read(x, XBDEV_TXN_NONE, p, &msg);
	if (err)
		return err;
	errno = 0;
	result = strtol(msg, &end, 10);
	if (errno || end == msg || *end || result > 0 || result < -4095)
		err = -EBADMSG;
	free(msg);
	msg = NULL;
	if (err)
		return err;
	reply->result = (int)result;
	err = ctl_path(p, sizeof(p), rec_dir, XBDEV_CTL_MESSAGE);
	if (!err)
		err = xbdev_read(x, XBDEV_TXN_NONE, p, &msg);
	if (err == -ENOENT)
		err = 0;
	snprintf(reply->msg, sizeof(reply->msg), "%s", msg ? msg : "");
	free(msg);
	return err;
}

static int wait_answer(struct xbdev *x, const char *rec_dir,
		       unsigned long seq, int64_t deadline_ms,
		       struct xbdev_ctl_reply *reply)
{
	char p[XBDEV_PATH_MAX];
	int err;

	err = ctl_path(p, sizeof(p), rec_dir, XBDEV_CTL_DONE);
	if (!err)
		err = xbdev_watch(x, p, CTL_WATCH_TOKEN);
	if (err)
		return err;
	for (;;) {
		char *path = NULL, *token = NULL;

		err = read_answer(x, rec_dir, seq, reply);
		if (err != -EAGAIN)
			break;
		err = xbdev_watch_next(x, deadline_ms, &path, &token);
		free(path);
		free(token);
		if (err)
			break;
	}
	xbdev_unwatch(x, p, CTL_WATCH_TOKEN);
	return err;
}

int xbdev_control(struct xbdev *x, const struct xbdev_record *rec,
		  const char *op, const char *arg, int64_t deadline_ms,
		  struct xbdev_ctl_reply *reply)
{
	struct post p = { rec->rec_dir, op, arg ? arg : "", 0 };
	int err;

	memset(reply, 0, sizeof(*reply));
	if (!op[0] || strlen(op) > XBDEV_NAME_MAX ||
	    strlen(p.arg) > XBDEV_CTL_ARG_MAX)
		return -EINVAL;
	if (!xbdev_record_daemon_alive(rec))
		return -ESRCH;
	xbdev_log(x, LOG_INFO, "%s: request %s %s", rec->rec_dir, op, p.arg);
	err = xbdev_txn(x, post_txn, &p);
	if (err)
		return err;
	err = wait_answer(x, rec->rec_dir, p.seq, deadline_ms, reply);
	if (err == -ETIMEDOUT || err == -EINTR) {
		/* Give up on it, so the next request is not refused as
		 * pending; the daemon may still carry this one out. */
		xbdev_ctl_answer(x, rec->rec_dir, p.seq, -ETIMEDOUT,
				 "the requester gave up waiting", NULL);
		return err;
	}
	if (!err)
		xbdev_log(x, LOG_INFO, "%s: request %lu answered %d %s",
			  rec->rec_dir, p.seq, reply->result, reply->msg);
	return err;
}

int xbdev_ctl_take(struct xbdev *x, xbdev_txn_t t, const char *rec_dir,
		   struct xbdev_ctl_request *req)
{
	char p[XBDEV_PATH_MAX], *op = NULL, *arg = NULL;
	unsigned long done;
	int err;

	memset(req, 0, sizeof(*req));
	err = ctl_read_seq(x, t, rec_dir, XBDEV_CTL_REQUEST, &req->seq);
	if (!err)
		err = ctl_read_seq(x, t, rec_dir, XBDEV_CTL_DONE, &done);
	if (err)
		return err;
	if (req->seq == done)
		return -ENOENT;
	err = ctl_path(p, sizeof(p), rec_dir, XBDEV_CTL_OP);
	if (!err)
		err = xbdev_read(x, t, p, &op);
	if (!err)
		err = ctl_path(p, sizeof(p), rec_dir, XBDEV_CTL_ARG);
	if (!err)
		err = xbdev_read(x, t, p, &arg);
	if (!err && (strlen(op) >= sizeof(req->op) ||
		     strlen(arg) >= sizeof(req->arg)))
		err = -ENAMETOOLONG;
	if (!err) {
		memcpy(req->op, op, strlen(op) + 1);
		memcpy(req->arg, arg, strlen(arg) + 1);
	}
	free(op);
	free(arg);
	return err;
}
