/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The frontend's half of the XenBus handshake for a vbd (xen/io/blkif.h,
 * "STATE DIAGRAMS"), with rings and data pages shared through gntshr
 * (/dev/xen/gntalloc) and event channels from /dev/xen/evtchn.
 *
 * Ownership: the toolstack created the frontend dir (owned by this guest,
 * readable by the backend domain); we only add and remove our transport
 * nodes and the state.  The backend dir is read-only to us.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xen/io/protocols.h>

#include "blkfront.h"
#include "xbdev.h"


#define BE_WATCH_TOKEN "xbf-be-state"
#define XBF_MAX_RING_ORDER_ALLOC 5u   /* one past Linux's max, for attacks */

static void logf_(struct xbf_dev *d, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void logf_(struct xbf_dev *d, int level, const char *fmt, ...)
{
	va_list ap;

	if (!d->opts.log || level > d->opts.verbose)
		return;
	va_start(ap, fmt);
	fprintf(d->opts.log, "# ");
	vfprintf(d->opts.log, fmt, ap);
	fputc('\n', d->opts.log);
	va_end(ap);
}
#define info(d, ...)  logf_(d, 1, __VA_ARGS__)
#define debug(d, ...) logf_(d, 2, __VA_ARGS__)

void xbf_opts_default(struct xbf_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->domid = -1;
	o->ring_order = 0;
	o->queues = 1;
	o->indirect = true;
	o->persistent = true;
	o->timeout_ms = 20000;
}

const char *xbf_strerror(int err)
{
	switch (err) {
	case -ECONNREFUSED: return "the backend closed the device";
	case -ENOTCONN: return "the backend left Connected";
	case -EBUSY: return "a kernel driver owns the device";
	case -ETIMEDOUT: return "timed out";
	case -EPROTO: return "protocol violation by the backend";
	default: return strerror(err < 0 ? -err : err);
	}
}

static int64_t deadline(struct xbf_dev *d)
{
	return xbdev_now_ms() + (d->opts.timeout_ms ? d->opts.timeout_ms
						      : 20000);
}

static int node(struct xbf_dev *d, char *buf, const char *dir,
		const char *key)
{
	return xbdev_path_join(buf, XBDEV_PATH_MAX, dir, key);
}

/* Read a backend node; absent -> *v = NULL and 0. */
static int be_read(struct xbf_dev *d, const char *key, char **v)
{
	char p[XBDEV_PATH_MAX];
	int r = node(d, p, d->be_path, key);

	*v = NULL;
	if (r)
		return r;
	r = xbdev_read(d->xs, XBDEV_TXN_NONE, p, v);
	if (r == -ENOENT)
		return 0;
	return r;
}

static int be_parse(struct xbf_dev *d, const char *key)
{
	char *v = NULL;
	int r = be_read(d, key, &v);

	if (r == 0) {
		r = xbf_parse_backend_node(&d->be, key, v);
		if (r)
			info(d, "backend %s=\"%s\": bad value (%s)", key,
			     v ? v : "", strerror(-r));
	}
	free(v);
	return r;
}

/* ---- opening ------------------------------------------------------------ */

/* A vbd frontend directory itself (lib/path.c says what a path is). */
static int parse_fe_path(const char *p, unsigned *fe, unsigned *devid)
{
	struct xbdev_path_parts pp;

	xbdev_path_parse(p, &pp);
	if (pp.kind != XBDEV_PATH_FRONTEND || pp.rest[0] ||
	    strcmp(pp.name, "vbd"))
		return -EINVAL;
	*fe = pp.fe;
	*devid = pp.devid;
	return 0;
}

/* Does a kernel xenbus driver own device/vbd/<devid> of this domain? */
static int kernel_owner(struct xbf_dev *d, bool unbind)
{
	char p[128];
	struct stat st;
	int fd, r = 0;

	snprintf(p, sizeof(p), "/sys/bus/xen/devices/vbd-%u/driver",
		 d->devid);
	if (lstat(p, &st) < 0)
		return 0;           /* no such device or no driver bound */
	if (!unbind)
		return -EBUSY;
	/*
	 * Unbinding makes the kernel frontend close the device (its remove
	 * path switches the frontend state to Closed), so the backend goes
	 * Closed too; xbf_initialise() then asks for a reconnect.
	 */
	fd = open("/sys/bus/xen/drivers/vbd/unbind", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(p, sizeof(p), "vbd-%u", d->devid);
	if (write(fd, p, strlen(p)) < 0)
		r = -errno;
	close(fd);
	info(d, "unbound vbd-%u from the kernel driver: %s", d->devid,
	     r ? strerror(-r) : "ok");
	return r;
}

int xbf_open_error(int r, enum xbf_open_step step, char *buf, size_t len)
{
	switch (step) {
	case XBF_OPEN_XENSTORE:
		snprintf(buf, len, "cannot reach xenstore: %s",
			 strerror(-r));
		return 1;
	case XBF_OPEN_DOMID:
		snprintf(buf, len, "cannot tell this domain's id: %s (give "
			 "--domid)", strerror(-r));
		return 1;
	case XBF_OPEN_DEVICE:
		if (r == -ENOENT) {
			snprintf(buf, len, "no such vbd device of this domain");
			return 4;
		}
		snprintf(buf, len, "cannot read the device's frontend "
			 "directory: %s", xbf_strerror(r));
		return 1;
	case XBF_OPEN_KERNEL:
		snprintf(buf, len, "%s", r == -EBUSY ?
			 "a kernel driver owns the device (use --unbind, or "
			 "attach with /sys/bus/xen/drivers_autoprobe = 0)" :
			 xbf_strerror(r));
		return 1;
	case XBF_OPEN_XEN:
		snprintf(buf, len, "cannot open /dev/xen/evtchn or "
			 "/dev/xen/gntalloc: %s", xbf_strerror(r));
		return 1;
	}
	snprintf(buf, len, "%s", xbf_strerror(r));
	return 1;
}

int xbf_open(struct xbf_dev **out, const struct xbf_opts *o,
	     enum xbf_open_step *step)
{
	enum xbf_open_step dummy;
	struct xbf_dev *d;
	char p[XBDEV_PATH_MAX];
	char *be = NULL;
	unsigned long bid;
	int r;

	*out = NULL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->opts = *o;
	d->be_state = d->fe_state = d->found_state = -1;
	if (!step)
		step = &dummy;
	*step = XBF_OPEN_XENSTORE;
	r = xbdev_open(&d->xs);
	if (r)
		goto out;
	*step = XBF_OPEN_DEVICE;
	if (o->fe_path) {
		r = parse_fe_path(o->fe_path, &d->self, &d->devid);
		if (r)
			goto out;
	} else {
		d->devid = o->devid;
		if (o->domid >= 0) {
			d->self = (unsigned)o->domid;
		} else {
			*step = XBF_OPEN_DOMID;
			r = xbdev_self_domid(d->xs, &d->self);
			if (r)
				goto out;
			*step = XBF_OPEN_DEVICE;
		}
	}
	r = xbdev_path_frontend(d->fe_path, sizeof(d->fe_path), d->self,
				"vbd", d->devid);
	if (r)
		goto out;
	r = node(d, p, d->fe_path, "backend-id");
	if (!r)
		r = xbdev_read_uint(d->xs, XBDEV_TXN_NONE, p, XBDEV_DOMID_MAX,
				    &bid);
	if (r)
		goto out;
	d->be_domid = (unsigned)bid;
	r = node(d, p, d->fe_path, "backend");
	if (!r)
		r = xbdev_read(d->xs, XBDEV_TXN_NONE, p, &be);
	if (r)
		goto out;
	/* The backend path comes from the toolstack, but check it is what a
	 * backend dir of backend-id looks like before watching it. */
	{
		struct xbdev_path_parts pp;

		xbdev_path_parse(be, &pp);
		if (pp.kind != XBDEV_PATH_BACKEND || pp.rest[0] ||
		    pp.dom != d->be_domid)
			r = -EINVAL;
	}
	if (r || strlen(be) >= sizeof(d->be_path)) {
		r = -EINVAL;
		goto out;
	}
	strcpy(d->be_path, be);
	*step = XBF_OPEN_KERNEL;
	r = kernel_owner(d, o->unbind);
	if (r)
		goto out;
	*step = XBF_OPEN_XEN;
	{
		enum xbdev_state st;

		if (!xbdev_state_read(d->xs, XBDEV_TXN_NONE, d->fe_path, &st))
			d->found_state = (int)st;
	}
	d->xce = xenevtchn_open(NULL, 0);
	if (!d->xce) {
		r = -errno;
		goto out;
	}
	d->xgs = xengntshr_open(NULL, 0);
	if (!d->xgs) {
		r = -errno;
		goto out;
	}
	*out = d;
	d = NULL;
out:
	free(be);
	xbf_free(d);
	return r;
}

void xbf_free(struct xbf_dev *d)
{
	if (!d)
		return;
	xbf_release(d);
	if (d->watching) {
		char p[XBDEV_PATH_MAX];

		if (!node(d, p, d->be_path, "state"))
			xbdev_unwatch(d->xs, p, BE_WATCH_TOKEN);
	}
	if (d->xgs)
		xengntshr_close(d->xgs);
	if (d->xce)
		xenevtchn_close(d->xce);
	xbdev_close(d->xs);
	free(d);
}

/* ---- state helpers ------------------------------------------------------ */

int xbf_backend_state(struct xbf_dev *d)
{
	enum xbdev_state st;
	int r = xbdev_state_read(d->xs, XBDEV_TXN_NONE, d->be_path, &st);

	if (r)
		return r;
	d->be_state = (int)st;
	return (int)st;
}

static int fe_state_write(struct xbf_dev *d, enum xbdev_state st)
{
	int r = xbdev_state_write(d->xs, XBDEV_TXN_NONE, d->fe_path, st);

	if (!r)
		d->fe_state = (int)st;
	debug(d, "frontend -> %s%s", xbdev_state_name((int)st),
	      r ? " (failed)" : "");
	return r;
}

struct be_wait {
	unsigned mask;      /* states we wait for */
	unsigned stop;      /* states that end the wait as a failure */
	int last;
	struct xbf_dev *d;
};

static bool be_pred(enum xbdev_state st, void *arg)
{
	struct be_wait *w = arg;

	return ((w->mask | w->stop) >> st) & 1u;
}

static void be_seen(enum xbdev_state st, void *arg)
{
	struct be_wait *w = arg;

	w->last = (int)st;
	debug(w->d, "backend is %s", xbdev_state_name((int)st));
}

#define BIT(s) (1u << (s))

/* Wait until the backend is in one of mask: 0 and the state, or
 * -ECONNREFUSED when it went to one of stop, or -ETIMEDOUT. */
static int wait_be(struct xbf_dev *d, unsigned mask, unsigned stop)
{
	struct be_wait w = { .mask = mask, .stop = stop, .last = -1, .d = d };
	int r = xbdev_wait_state(d->xs, d->be_path, be_pred, &w, deadline(d),
				 be_seen);

	if (w.last >= 0)
		d->be_state = w.last;
	if (r)
		return r;
	if (w.last >= 0 && (BIT(w.last) & mask))
		return w.last;
	return -ECONNREFUSED;
}

int xbf_reset(struct xbf_dev *d)
{
	int r = fe_state_write(d, XBDEV_STATE_INITIALISING);

	if (r)
		return r;
	r = wait_be(d, BIT(XBDEV_STATE_INITWAIT), 0);
	return r < 0 ? r : 0;
}

/* ---- rings and pools ---------------------------------------------------- */

/* gntalloc caps the pages all its users share (module parameter "limit",
 * 1024 by default); raise it when we know we need more. */
static void gntalloc_room(struct xbf_dev *d, unsigned pages)
{
	const char *p = "/sys/module/xen_gntalloc/parameters/limit";
	char buf[32] = "";
	unsigned long cur = 0;
	FILE *f = fopen(p, "re");

	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f))
		cur = strtoul(buf, NULL, 10);
	fclose(f);
	if (cur >= pages + 1024)
		return;
	f = fopen(p, "we");
	if (!f)
		return;
	fprintf(f, "%u\n", pages + 4096);
	fclose(f);
	debug(d, "gntalloc limit %lu -> %u", cur, pages + 4096);
}

static void queue_free(struct xbf_dev *d, struct xbf_queue *q)
{
	if (q->pool)
		xengntshr_unshare(d->xgs, q->pool, q->pool_pages);
	if (q->sring)
		xengntshr_unshare(d->xgs, q->sring, q->ring_pages);
	if (q->port)
		xenevtchn_unbind(d->xce, q->port);
	if (q->slots) {
		for (unsigned i = 0; i < q->nslots; i++) {
			free(q->slots[i].refs);
			free(q->slots[i].ind_refs);
		}
		free(q->slots);
	}
	memset(q, 0, sizeof(*q));
}

void xbf_release(struct xbf_dev *d)
{
	if (!d)
		return;
	for (unsigned i = 0; i < XBF_MAX_QUEUES; i++)
		queue_free(d, &d->q[i]);
	d->nqueues = 0;
	d->connected = false;
}

static int queue_alloc(struct xbf_dev *d, struct xbf_queue *q, unsigned idx,
		       unsigned slot_pages, unsigned n_ind, unsigned nslots)
{
	uint32_t refs[1u << XBF_MAX_RING_ORDER_ALLOC];
	uint32_t *prefs = NULL;
	unsigned per;
	int r = 0;
	xenevtchn_port_or_error_t port;

	q->idx = idx;
	q->ring_pages = 1u << d->ring_order;
	q->sring = xengntshr_share_pages(d->xgs, d->be_domid,
					 (int)q->ring_pages, refs, 1);
	if (!q->sring) {
		r = -errno;
		goto out;
	}
	memset(q->sring, 0, (size_t)q->ring_pages * XBF_PAGE_SIZE);
	for (unsigned i = 0; i < q->ring_pages; i++)
		q->ring_refs[i] = refs[i];
	SHARED_RING_INIT((blkif_sring_t *)q->sring);
	FRONT_RING_INIT(&q->ring, (blkif_sring_t *)q->sring,
			(size_t)q->ring_pages * XBF_PAGE_SIZE);

	port = xenevtchn_bind_unbound_port(d->xce, d->be_domid);
	if (port < 0) {
		r = -errno;
		goto out;
	}
	q->port = (uint32_t)port;

	if (nslots > RING_SIZE(&q->ring))
		nslots = RING_SIZE(&q->ring);
	per = slot_pages + n_ind;
	q->nslots = nslots;
	q->pool_pages = nslots * per;
	q->slots = calloc(nslots, sizeof(*q->slots));
	prefs = calloc(q->pool_pages, sizeof(*prefs));
	if (!q->slots || !prefs) {
		r = -ENOMEM;
		goto out;
	}
	/*
	 * One mapping for every slot's data and indirect pages, all granted
	 * writable: with persistent grants the backend may map any of them
	 * for any later request (blkif.h note 8), and reads need it anyway.
	 */
	q->pool = xengntshr_share_pages(d->xgs, d->be_domid,
					(int)q->pool_pages, prefs, 1);
	if (!q->pool) {
		r = -errno;
		q->pool_pages = 0;
		goto out;
	}
	for (unsigned i = 0; i < nslots; i++) {
		struct xbf_slot *s = &q->slots[i];
		char *base = (char *)q->pool + (size_t)i * per * XBF_PAGE_SIZE;

		s->idx = i;
		s->data = base;
		s->refs = calloc(slot_pages, sizeof(*s->refs));
		s->ind = base + (size_t)slot_pages * XBF_PAGE_SIZE;
		s->ind_refs = calloc(n_ind ? n_ind : 1, sizeof(*s->ind_refs));
		s->n_ind = n_ind;
		if (!s->refs || !s->ind_refs) {
			r = -ENOMEM;
			goto out;
		}
		for (unsigned j = 0; j < slot_pages; j++)
			s->refs[j] = prefs[i * per + j];
		for (unsigned j = 0; j < n_ind; j++)
			s->ind_refs[j] = prefs[i * per + slot_pages + j];
	}
out:
	free(prefs);
	return r;
}

/* ---- publishing --------------------------------------------------------- */

static const char *const stale_nodes[] = {
	"ring-ref", "ring-page-order", "num-ring-pages",
	"multi-queue-num-queues", "event-channel", "protocol",
	"feature-persistent",
};

/* Write value at dir/key unless ov says otherwise ("" = skip, else raw). */
static int put(struct xbf_dev *d, xbdev_txn_t t, const char *dir,
	       const char *key, const char *ov, unsigned v)
{
	char p[XBDEV_PATH_MAX];
	int r = node(d, p, dir, key);

	if (r)
		return r;
	if (ov)
		return ov[0] ? xbdev_write(d->xs, t, p, ov) : 0;
	return xbdev_writef(d->xs, t, p, "%u", v);
}

static int publish_queue(struct xbf_dev *d, xbdev_txn_t t, const char *dir,
			 struct xbf_queue *q)
{
	const struct xbf_opts *o = &d->opts;
	char key[32];
	int r;

	if (q->ring_pages == 1 && d->ring_order == 0) {
		r = put(d, t, dir, "ring-ref", o->ov_ring_ref,
			q->ring_refs[0]);
	} else {
		r = 0;
		for (unsigned i = 0; i < q->ring_pages && !r; i++) {
			snprintf(key, sizeof(key), "ring-ref%u", i);
			r = put(d, t, dir, key, o->ov_ring_ref,
				q->ring_refs[i]);
		}
	}
	if (!r)
		r = put(d, t, dir, "event-channel", o->ov_event_channel,
			q->port);
	return r;
}

static int publish_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct xbf_dev *d = arg;
	const struct xbf_opts *o = &d->opts;
	char p[XBDEV_PATH_MAX], key[32];
	char **kids = NULL;
	unsigned nkids = 0;
	int r;

	/* Drop transport nodes of an earlier connection first. */
	for (size_t i = 0; i < sizeof(stale_nodes) / sizeof(*stale_nodes);
	     i++) {
		r = node(d, p, d->fe_path, stale_nodes[i]);
		if (r)
			return r;
		r = xbdev_rm(x, t, p);
		if (r && r != -ENOENT)
			return r;
	}
	r = xbdev_ls(x, t, d->fe_path, &kids, &nkids);
	if (r)
		return r;
	for (unsigned i = 0; i < nkids && !r; i++) {
		if (strncmp(kids[i], "queue-", 6) &&
		    strncmp(kids[i], "ring-ref", 8))
			continue;
		r = node(d, p, d->fe_path, kids[i]);
		if (!r) {
			r = xbdev_rm(x, t, p);
			if (r == -ENOENT)
				r = 0;
		}
	}
	xbdev_strv_free(kids, nkids);
	if (r)
		return r;

	if (d->ring_order || o->ov_ring_order)
		r = put(d, t, d->fe_path, "ring-page-order", o->ov_ring_order,
			d->ring_order);
	if (!r && (d->nqueues > 1 || o->ov_num_queues))
		r = put(d, t, d->fe_path, "multi-queue-num-queues",
			o->ov_num_queues, d->nqueues);
	if (!r && d->nqueues == 1) {
		r = publish_queue(d, t, d->fe_path, &d->q[0]);
	} else {
		for (unsigned i = 0; i < d->nqueues && !r; i++) {
			snprintf(key, sizeof(key), "queue-%u", i);
			r = node(d, p, d->fe_path, key);
			if (!r)
				r = publish_queue(d, t, p, &d->q[i]);
		}
	}
	if (!r) {
		if (o->ov_protocol) {
			r = o->ov_protocol[0]
				? put(d, t, d->fe_path, "protocol",
				      o->ov_protocol, 0)
				: 0;
		} else {
			r = node(d, p, d->fe_path, "protocol");
			if (!r)
				r = xbdev_write(x, t, p,
						XEN_IO_PROTO_ABI_NATIVE);
		}
	}
	if (!r)
		r = put(d, t, d->fe_path, "feature-persistent", NULL,
			o->persistent ? 1u : 0u);
	/* The state goes in the same transaction: the backend, watching it,
	 * can never see Initialised without the transport nodes. */
	if (!r && !o->ov_no_state)
		r = xbdev_state_write(x, t, d->fe_path,
				      XBDEV_STATE_INITIALISED);
	return r;
}

static unsigned min_u(unsigned a, unsigned b)
{
	return a < b ? a : b;
}

int xbf_initialise(struct xbf_dev *d)
{
	const struct xbf_opts *o = &d->opts;
	enum xbdev_state fe;
	unsigned slot_pages, n_ind, nslots, total;
	int r, be;

	xbf_release(d);
	d->be_gone = false;
	r = xbdev_state_read(d->xs, XBDEV_TXN_NONE, d->fe_path, &fe);
	if (r)
		return r;
	d->fe_state = (int)fe;
	be = xbf_backend_state(d);
	if (be < 0)
		return be;
	debug(d, "frontend %s, backend %s", xbdev_state_name((int)fe),
	      xbdev_state_name(be));
	/*
	 * A device left behind by an earlier connection (ours or a kernel
	 * frontend's): going back to Initialising asks the backend to
	 * re-probe and return to InitWait.
	 */
	if (fe != XBDEV_STATE_INITIALISING || be >= XBDEV_STATE_CONNECTED) {
		if (be == XBDEV_STATE_CONNECTED || be == XBDEV_STATE_INITIALISED) {
			/* the other end still thinks it is connected */
			r = fe_state_write(d, XBDEV_STATE_CLOSING);
			if (r)
				return r;
			r = wait_be(d, BIT(XBDEV_STATE_CLOSING) |
					       BIT(XBDEV_STATE_CLOSED), 0);
			if (r < 0)
				return r;
			be = r;
		}
		if (be == XBDEV_STATE_CLOSING) {
			/*
			 * Mid-close (e.g. the kernel frontend just unbound:
			 * it wrote Closing, then Closed).  A backend only
			 * re-probes from Closed, and it may not have read
			 * our Closed yet: writing Initialising now could
			 * overwrite it unseen and leave the backend Closing.
			 */
			r = fe_state_write(d, XBDEV_STATE_CLOSED);
			if (r)
				return r;
			r = wait_be(d, BIT(XBDEV_STATE_CLOSED), 0);
			if (r < 0)
				return r;
		}
		r = xbf_reset(d);
		if (r)
			return r;
	}
	r = wait_be(d, BIT(XBDEV_STATE_INITWAIT) | BIT(XBDEV_STATE_INITIALISED),
		    BIT(XBDEV_STATE_CLOSING) | BIT(XBDEV_STATE_CLOSED));
	if (r < 0)
		return r;

	memset(&d->be, 0, sizeof(d->be));
	r = be_parse(d, "max-ring-page-order");
	if (!r)
		r = be_parse(d, "max-ring-pages");
	if (!r)
		r = be_parse(d, "multi-queue-max-queues");
	if (!r)
		r = be_parse(d, "feature-max-indirect-segments");
	if (r)
		return r == -ENOENT ? -EPROTO : r;

	if (o->exact) {
		d->ring_order = min_u(o->ring_order, XBF_MAX_RING_ORDER_ALLOC);
		d->nqueues = min_u(o->queues ? o->queues : 1, XBF_MAX_QUEUES);
	} else {
		d->ring_order = min_u(min_u(o->ring_order, d->be.max_ring_order),
				      XBF_MAX_RING_ORDER);
		d->nqueues = min_u(min_u(o->queues ? o->queues : 1,
					 d->be.max_queues), XBF_MAX_QUEUES);
	}
	if (d->nqueues == 0)
		d->nqueues = 1;
	d->use_indirect = o->indirect && d->be.max_indirect_segs > 0;
	d->max_segs = d->use_indirect
		? min_u(d->be.max_indirect_segs, XBF_MAX_REQ_PAGES + 1)
		: BLKIF_MAX_SEGMENTS_PER_REQUEST;
	if (d->max_segs < BLKIF_MAX_SEGMENTS_PER_REQUEST)
		d->max_segs = BLKIF_MAX_SEGMENTS_PER_REQUEST;
	slot_pages = o->slot_pages ? min_u(o->slot_pages, d->max_segs)
				   : d->max_segs;
	n_ind = d->use_indirect ? xbf_indirect_pages_for(d->max_segs) : 0;
	nslots = o->slots ? o->slots : 4;
	total = d->nqueues * ((1u << d->ring_order) +
			      nslots * (slot_pages + n_ind));
	gntalloc_room(d, total);
	d->handle = 0;
	info(d, "backend %s (dom%u): max-ring-page-order %u, max-queues %u, "
	     "max-indirect %u; using order %u, %u queue(s), %s, %u slot(s) "
	     "of %u page(s)", d->be_path, d->be_domid, d->be.max_ring_order,
	     d->be.max_queues, d->be.max_indirect_segs, d->ring_order,
	     d->nqueues, d->use_indirect ? "indirect" : "direct only",
	     nslots, slot_pages);

	for (unsigned i = 0; i < d->nqueues; i++) {
		r = queue_alloc(d, &d->q[i], i, slot_pages, n_ind, nslots);
		if (r) {
			info(d, "queue %u: cannot share pages or bind a port: "
			     "%s", i, strerror(-r));
			xbf_release(d);
			return r;
		}
	}
	r = xbdev_txn(d->xs, publish_txn, d);
	if (r) {
		xbf_release(d);
		return r;
	}
	if (!o->ov_no_state)
		d->fe_state = XBDEV_STATE_INITIALISED;
	return 0;
}

int xbf_wait_connected(struct xbf_dev *d)
{
	static const char *const keys[] = {
		"sectors", "info", "sector-size", "physical-sector-size",
		"feature-flush-cache", "feature-barrier", "feature-discard",
		"discard-granularity", "discard-alignment", "discard-secure",
		"feature-persistent",
	};
	char p[XBDEV_PATH_MAX];
	int r;

	r = wait_be(d, BIT(XBDEV_STATE_CONNECTED),
		    BIT(XBDEV_STATE_CLOSING) | BIT(XBDEV_STATE_CLOSED));
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		r = be_parse(d, keys[i]);
		if (r)
			return r == -ENOENT ? -EPROTO : r;
	}
	if (d->be.sector_size != XBF_SECTOR_SIZE) {
		/* we do not advertise feature-large-sector-size */
		info(d, "backend sector-size %u: only 512 is supported",
		     d->be.sector_size);
		return -EPROTO;
	}
	d->use_persistent = d->opts.persistent && d->be.persistent;
	/* Watch the backend's state from now on so that I/O waits notice a
	 * backend that closes under us. */
	if (!d->watching) {
		r = node(d, p, d->be_path, "state");
		if (!r)
			r = xbdev_watch(d->xs, p, BE_WATCH_TOKEN);
		if (r)
			return r;
		d->watching = true;
	}
	r = fe_state_write(d, XBDEV_STATE_CONNECTED);
	if (r)
		return r;
	d->connected = true;
	info(d, "connected: %llu sectors, info 0x%x, flush %d, barrier %d, "
	     "discard %d, persistent %d", (unsigned long long)d->be.sectors,
	     d->be.info, d->be.flush, d->be.barrier, d->be.discard,
	     d->use_persistent);
	return 0;
}

int xbf_connect(struct xbf_dev *d)
{
	int r = xbf_initialise(d);

	if (!r)
		r = xbf_wait_connected(d);
	return r;
}

int xbf_disconnect(struct xbf_dev *d)
{
	int r = 0, r2;

	/*
	 * Closing, then Closed, each acknowledged by the backend: the rings
	 * and pages are released only once the backend is Closed, i.e. has
	 * unmapped them (if it never does, gntalloc keeps them until then).
	 */
	r = fe_state_write(d, XBDEV_STATE_CLOSING);
	if (!r) {
		r2 = wait_be(d, BIT(XBDEV_STATE_CLOSING) | BIT(XBDEV_STATE_CLOSED),
			     0);
		if (r2 < 0)
			r = r2;
	}
	r2 = fe_state_write(d, XBDEV_STATE_CLOSED);
	if (!r)
		r = r2;
	r2 = wait_be(d, BIT(XBDEV_STATE_CLOSED), 0);
	if (r2 < 0 && !r)
		r = r2;
	xbf_release(d);
	return r;
}
