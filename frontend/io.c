/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Request submission and completion on the shared rings.
 *
 * The frontend never trusts the response ring either: rsp_prod is read
 * once per batch, each response is copied out before use, and a response
 * id must name a busy slot of the current generation or it is counted as
 * bogus and dropped.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <xenevtchn.h>

#include "blkfront.h"
#include "xbdev.h"

#define SLOT_BITS 16u

uint64_t xbf_slot_id(const struct xbf_queue *q, const struct xbf_slot *s)
{
	return ((uint64_t)s->gen << SLOT_BITS) | s->idx |
	       ((uint64_t)q->idx << 48);
}

struct xbf_slot *xbf_slot_get(struct xbf_queue *q)
{
	if (RING_FULL(&q->ring))
		return NULL;
	for (unsigned i = 0; i < q->nslots; i++)
		if (!q->slots[i].busy)
			return &q->slots[i];
	return NULL;
}

static void *next_entry(struct xbf_queue *q)
{
	return RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt);
}

static void slot_take(struct xbf_queue *q, struct xbf_slot *s, uint8_t op,
		      uint64_t sector, uint64_t nsect)
{
	s->gen = (s->gen + 1) & 0xffffffu;
	s->busy = true;
	s->op = op;
	s->sector = sector;
	s->nsect = nsect;
	s->status = 0;
	s->t_submit_ns = xbf_now_ns();
	q->nbusy++;
	q->submitted++;
}

int xbf_queue_rw(struct xbf_dev *d, struct xbf_queue *q, struct xbf_slot *s,
		 uint8_t op, uint64_t sector, uint64_t nsect,
		 unsigned first_off, bool force_indirect)
{
	struct blkif_request_segment segs[XBF_MAX_REQ_PAGES + 8];
	unsigned slot_pages = q->pool_pages / q->nslots - s->n_ind;
	unsigned npages = xbf_pages_for(first_off, nsect);
	int n;

	if (s->busy || RING_FULL(&q->ring))
		return -EBUSY;
	if (npages == 0 || npages > slot_pages || npages > d->max_segs)
		return -EINVAL;
	n = xbf_build_segments(s->refs, slot_pages, first_off, nsect, segs,
			       d->max_segs);
	if (n < 0)
		return n;
	s->first_off = first_off;
	slot_take(q, s, op, sector, nsect);
	if ((unsigned)n <= BLKIF_MAX_SEGMENTS_PER_REQUEST && !force_indirect) {
		struct blkif_request req;

		xbf_build_rw(&req, op, d->handle, xbf_slot_id(q, s), sector,
			     segs, (unsigned)n);
		memcpy(next_entry(q), &req, sizeof(req));
	} else {
		struct blkif_request_indirect req;
		void *pages[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
		int r;

		if (!d->use_indirect) {
			s->busy = false;
			q->nbusy--;
			q->submitted--;
			return -EOPNOTSUPP;
		}
		for (unsigned i = 0; i < s->n_ind &&
				     i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
			pages[i] = (char *)s->ind + (size_t)i * XBF_PAGE_SIZE;
		r = xbf_build_indirect(&req, op, d->handle, xbf_slot_id(q, s),
				       sector, segs, (unsigned)n, pages,
				       s->ind_refs, s->n_ind);
		if (r) {
			s->busy = false;
			q->nbusy--;
			q->submitted--;
			return r;
		}
		memset(next_entry(q), 0, sizeof(struct blkif_request));
		memcpy(next_entry(q), &req, sizeof(req));
	}
	q->ring.req_prod_pvt++;
	return 0;
}

int xbf_queue_flush(struct xbf_dev *d, struct xbf_queue *q,
		    struct xbf_slot *s, uint8_t op)
{
	struct blkif_request req;

	if (s->busy || RING_FULL(&q->ring))
		return -EBUSY;
	slot_take(q, s, op, 0, 0);
	xbf_build_flush(&req, op, d->handle, xbf_slot_id(q, s));
	memcpy(next_entry(q), &req, sizeof(req));
	q->ring.req_prod_pvt++;
	return 0;
}

int xbf_queue_discard(struct xbf_dev *d, struct xbf_queue *q,
		      struct xbf_slot *s, uint64_t sector, uint64_t nsect)
{
	struct blkif_request_discard req;

	if (s->busy || RING_FULL(&q->ring))
		return -EBUSY;
	slot_take(q, s, BLKIF_OP_DISCARD, sector, nsect);
	xbf_build_discard(&req, d->handle, xbf_slot_id(q, s), sector, nsect,
			  false);
	memset(next_entry(q), 0, sizeof(struct blkif_request));
	memcpy(next_entry(q), &req, sizeof(req));
	q->ring.req_prod_pvt++;
	return 0;
}

int xbf_queue_raw(struct xbf_queue *q, struct xbf_slot *s, const void *req,
		  size_t len)
{
	if (len > sizeof(struct blkif_request))
		return -EINVAL;
	if (RING_FULL(&q->ring))
		return -EBUSY;
	memset(next_entry(q), 0, sizeof(struct blkif_request));
	memcpy(next_entry(q), req, len);
	if (s) {
		uint64_t id;

		slot_take(q, s, ((const uint8_t *)req)[0], 0, 0);
		/* every blkif request type carries its id at offset 8 */
		id = xbf_slot_id(q, s);
		memcpy((char *)next_entry(q) + 8, &id, sizeof(id));
	}
	q->ring.req_prod_pvt++;
	return 0;
}

int xbf_notify(struct xbf_dev *d, struct xbf_queue *q)
{
	return xenevtchn_notify(d->xce, q->port) < 0 ? -errno : 0;
}

int xbf_push(struct xbf_dev *d, struct xbf_queue *q)
{
	int notify;

	/* wmb inside: request bodies before req_prod; mb: req_prod before
	 * reading req_event */
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
	return notify ? xbf_notify(d, q) : 0;
}

/* Consume responses of one queue.  Returns completions or -EPROTO. */
static int reap(struct xbf_dev *d, struct xbf_queue *q, xbf_done_fn done,
		void *arg)
{
	int n = 0, more;

	if (!q->sring)
		return 0;
	do {
		RING_IDX rp = q->ring.sring->rsp_prod;

		xen_rmb(); /* rsp_prod before the responses it publishes */
		if (RING_RESPONSE_PROD_OVERFLOW(&q->ring, rp))
			return -EPROTO;
		for (RING_IDX i = q->ring.rsp_cons; i != rp; i++) {
			struct blkif_response rsp;
			struct xbf_slot *s;
			unsigned idx;

			RING_COPY_RESPONSE(&q->ring, i, &rsp);
			idx = (unsigned)(rsp.id & ((1u << SLOT_BITS) - 1));
			if (idx >= q->nslots ||
			    (rsp.id >> 48) != q->idx ||
			    !q->slots[idx].busy ||
			    ((rsp.id >> SLOT_BITS) & 0xffffffffu) !=
				    q->slots[idx].gen) {
				q->bogus++;
				continue;
			}
			s = &q->slots[idx];
			s->status = rsp.status;
			s->busy = false;
			q->nbusy--;
			q->completed++;
			if (rsp.status != BLKIF_RSP_OKAY)
				q->errors++;
			n++;
			if (done)
				done(d, q, s, arg);
		}
		q->ring.rsp_cons = rp;
		/* re-arms rsp_event, with a full barrier, then re-checks */
		RING_FINAL_CHECK_FOR_RESPONSES(&q->ring, more);
	} while (more);
	return n;
}

/* Drain watch events; -ENOTCONN when the backend left Connected. */
static int check_backend(struct xbf_dev *d)
{
	char *path, *token;
	bool seen = false;
	int st;

	while (xbdev_watch_read(d->xs, &path, &token) == 0) {
		seen = true;
		free(path);
		free(token);
	}
	if (!seen)
		return 0;
	st = xbf_backend_state(d);
	if (st >= 0 && st != XBDEV_STATE_CONNECTED) {
		d->be_gone = true;
		return -ENOTCONN;
	}
	return 0;
}

int xbf_poll(struct xbf_dev *d, int timeout_ms, xbf_done_fn done, void *arg)
{
	int64_t end = timeout_ms < 0 ? -1 : xbf_now_ns() +
					   (int64_t)timeout_ms * 1000000;

	for (;;) {
		struct pollfd pfd[2];
		int total = 0, r, wait_ms;

		for (unsigned i = 0; i < d->nqueues; i++) {
			r = reap(d, &d->q[i], done, arg);
			if (r < 0)
				return r;
			total += r;
		}
		if (total)
			return total;
		r = check_backend(d);
		if (r)
			return r;
		if (timeout_ms == 0)
			return 0;
		if (end < 0) {
			wait_ms = 1000;
		} else {
			int64_t left = end - xbf_now_ns();

			if (left <= 0)
				return 0;
			wait_ms = (int)((left + 999999) / 1000000);
		}
		pfd[0].fd = xenevtchn_fd(d->xce);
		pfd[0].events = POLLIN;
		pfd[1].fd = xbdev_fileno(d->xs);
		pfd[1].events = POLLIN;
		r = poll(pfd, 2, wait_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (pfd[0].revents & POLLIN)) {
			xenevtchn_port_or_error_t port;

			/* one pending port per read; unmask to re-arm it */
			port = xenevtchn_pending(d->xce);
			if (port >= 0)
				xenevtchn_unmask(d->xce, (evtchn_port_t)port);
		}
	}
}

struct slot_wait {
	const struct xbf_slot *s;
	bool done;
};

static void slot_done(struct xbf_dev *d, struct xbf_queue *q,
		      struct xbf_slot *s, void *arg)
{
	struct slot_wait *w = arg;

	if (s == w->s)
		w->done = true;
}

int xbf_wait_slot(struct xbf_dev *d, const struct xbf_slot *s, int64_t end_ns)
{
	struct slot_wait w = { .s = s };

	while (!w.done) {
		int64_t left = end_ns - xbf_now_ns();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = xbf_poll(d, (int)(left / 1000000) + 1, slot_done, &w);
		if (r < 0)
			return r;
	}
	return 0;
}

int xbf_rw_sync(struct xbf_dev *d, uint8_t op, uint64_t sector,
		uint64_t nsect, void *buf, bool force_indirect, int timeout_ms,
		int16_t *status)
{
	struct xbf_queue *q = &d->q[0];
	struct xbf_slot *s = xbf_slot_get(q);
	int64_t end = xbf_now_ns() + (int64_t)timeout_ms * 1000000;
	int r;

	if (!s)
		return -EBUSY;
	if (op == BLKIF_OP_WRITE && buf)
		memcpy(s->data, buf, nsect * XBF_SECTOR_SIZE);
	r = xbf_queue_rw(d, q, s, op, sector, nsect, 0, force_indirect);
	if (r)
		return r;
	r = xbf_push(d, q);
	if (r)
		return r;
	r = xbf_wait_slot(d, s, end);
	if (r)
		return r;
	*status = s->status;
	if (op == BLKIF_OP_READ && buf && s->status == BLKIF_RSP_OKAY)
		memcpy(buf, s->data, nsect * XBF_SECTOR_SIZE);
	return 0;
}

int xbf_run(struct xbf_dev *d, unsigned depth, xbf_gen_fn gen,
	    xbf_done_fn done, void *arg, int stall_ms)
{
	bool more = true;

	for (;;) {
		unsigned busy = 0;
		int r;

		for (unsigned i = 0; i < d->nqueues && more; i++) {
			struct xbf_queue *q = &d->q[i];
			unsigned queued = 0;

			while (q->nbusy < depth) {
				struct xbf_slot *s = xbf_slot_get(q);

				if (!s)
					break;
				r = gen(d, q, s, arg);
				if (r < 0)
					return r;
				if (r == 0) {
					more = false;
					break;
				}
				queued++;
			}
			if (queued) {
				r = xbf_push(d, q);
				if (r < 0)
					return r;
			}
		}
		for (unsigned i = 0; i < d->nqueues; i++)
			busy += d->q[i].nbusy;
		if (!busy && !more)
			return 0;
		r = xbf_poll(d, stall_ms, done, arg);
		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
	}
}

void xbf_drain(struct xbf_dev *d, int timeout_ms)
{
	int64_t end = xbdev_now_ms() + timeout_ms;

	while (d->connected) {
		unsigned busy = 0;

		for (unsigned i = 0; i < d->nqueues; i++)
			busy += d->q[i].nbusy;
		if (!busy || xbdev_now_ms() > end)
			break;
		if (xbf_poll(d, 500, NULL, NULL) < 0)
			break;
	}
}
