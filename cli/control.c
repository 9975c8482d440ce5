// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What the commands that change a served device live share (resize,
 * media, limit): find the device's record, ask its backend process through
 * lib/control.c, and turn every way that can go wrong into one line and
 * an exit code.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_record(struct xbdev *x, const char *dom, const char *dev,
	       struct xbdev_record *rec, char *what, size_t len)
{
	char cls[XBDEV_NAME_MAX + 1], ed[CLI_ESCAPED_LEN];
	unsigned devid, fe;
	int rc, err;

	rc = cli_device(dev, cls, sizeof(cls), &devid);
	if (!rc)
		rc = cli_domain(x, dom, &fe);
	if (rc)
		return rc;
	snprintf(what, len, "%s %s/%u", cli_esc(ed, dom), cls, devid);
	err = xbdev_record_read(x, XBDEV_TXN_NONE, fe, cls, devid, rec);
	if (err == -ENOENT)
		return cli_err(XBDEV_EXIT_NOTFOUND, "%s: no such device "
			       "created by xbdev", what);
	if (err)
		return cli_fail(err, what, "unreadable record");
	return XBDEV_EXIT_OK;
}

static int request(struct xbdev *x, const struct cli_request *q,
		   unsigned timeout_s, struct xbdev_record *rec,
		   struct xbdev_ctl_reply *reply)
{
	char ed[CLI_ESCAPED_LEN];
	int rc, err;

	rc = cli_record(x, q->dom, q->dev, rec, q->what, q->what_len);
	if (rc)
		return rc;
	err = xbdev_control(x, rec, q->op, q->arg,
			    xbdev_now_ms() + (int64_t)timeout_s * 1000,
			    reply);
	switch (-err) {
	case 0:
		break;
	case ESRCH:
		return cli_err(XBDEV_EXIT_FAIL, "%s: no backend process of "
			       "xbdev serves it", q->what);
	case EBUSY:
		return cli_err(XBDEV_EXIT_FAIL, "%s: another request to its "
			       "backend is pending; try again", q->what);
	case ETIMEDOUT:
		return cli_err(XBDEV_EXIT_TIMEOUT, "%s: the backend did not "
			       "answer within %u s (it may still do it: see "
			       "%s)", q->what, timeout_s,
			       rec->log[0] ? rec->log : "its log");
	default:
		return cli_fail(err, q->what, q->op);
	}
	if (reply->result)
		return cli_err(cli_exit_code(reply->result), "%s: %s: %s",
			       q->what, q->op,
			       reply->msg[0] ? cli_esc(ed, reply->msg)
					     : strerror(-reply->result));
	return XBDEV_EXIT_OK;
}

int cli_request(const struct cli_global *g, const struct cli_request *q,
		struct xbdev_ctl_reply *reply)
{
	struct xbdev_record rec;
	struct xbdev *x = NULL;
	unsigned timeout_s = CLI_REQUEST_TIMEOUT_S;
	int rc = 0;

	if (q->timeout)
		rc = cli_seconds(q->timeout, "--timeout", &timeout_s);
	if (!rc)
		rc = cli_open(g, &x);
	if (!rc)
		rc = request(x, q, timeout_s, &rec, reply);
	xbdev_close(x);
	return rc;
}
