/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: what an attach writes.  Pure: no xenstore access, so that
 * --dry-run and the unit tests see exactly what xbdev_attach() writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xbdev-internal.h"

const char *xbdev_side_name(enum xbdev_side side)
{
	switch (side) {
	case XBDEV_SIDE_FRONTEND:
		return "frontend";
	case XBDEV_SIDE_BACKEND:
		return "backend";
	case XBDEV_SIDE_RECORD:
		return "record";
	}
	return "?";
}

struct builder {
	struct xbdev_plan *p;
	unsigned cap;
	/* ACL each side's nodes inherit from its directory. */
	struct xbdev_acl_entry acl[3][2];
	unsigned n_acl[3];
};

static const char *side_dir(const struct xbdev_plan *p, enum xbdev_side s)
{
	if (s == XBDEV_SIDE_FRONTEND)
		return p->fe_dir;
	return s == XBDEV_SIDE_BACKEND ? p->be_dir : p->rec_dir;
}

static int grow(struct builder *b)
{
	struct xbdev_node *n;
	unsigned cap = b->cap ? b->cap * 2 : 32;

	if (b->p->n_nodes < b->cap)
		return 0;
	n = realloc(b->p->nodes, cap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	b->p->nodes = n;
	b->cap = cap;
	return 0;
}

/* key NULL adds the side's directory itself, with its explicit ACL. */
static int add(struct builder *b, enum xbdev_side side, const char *key,
	       const char *value)
{
	struct xbdev_plan *p = b->p;
	char path[XBDEV_PATH_MAX];
	struct xbdev_node *n;
	unsigned i;
	int err;

	if (key)
		err = xbdev_path_join(path, sizeof(path), side_dir(p, side),
				      key);
	else
		err = snprintf(path, sizeof(path), "%s", side_dir(p, side)) < 0;
	if (!err)
		err = xbdev_validate_value(value);
	if (err)
		return err;
	for (i = 0; i < p->n_nodes; i++)
		if (!strcmp(p->nodes[i].path, path))
			return -ENOTUNIQ;
	err = grow(b);
	if (err)
		return err;
	n = &p->nodes[p->n_nodes];
	memset(n, 0, sizeof(*n));
	n->side = side;
	n->explicit_acl = !key;
	n->n_acl = b->n_acl[side];
	memcpy(n->acl, b->acl[side], sizeof(n->acl));
	n->path = strdup(path);
	n->value = strdup(value);
	p->n_nodes++;
	if (!n->path || !n->value)
		return -ENOMEM;
	return 0;
}

static int addf(struct builder *b, enum xbdev_side side, const char *key,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int addf(struct builder *b, enum xbdev_side side, const char *key,
		const char *fmt, ...)
{
	char v[XBDEV_VALUE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(v))
		return -E2BIG;
	return add(b, side, key, v);
}

static int add_extras(struct builder *b, enum xbdev_side side,
		      const struct xbdev_kv *kv, unsigned n)
{
	unsigned i;
	int err = 0;

	if (n && !kv)
		return -EINVAL;
	for (i = 0; i < n && !err; i++) {
		if (!kv[i].key || !kv[i].value)
			return -EINVAL;
		err = xbdev_validate_name(kv[i].key, true);
		if (!err)
			err = add(b, side, kv[i].key, kv[i].value);
	}
	return err;
}

static void set_acl(struct builder *b, enum xbdev_side side, unsigned owner,
		    unsigned reader)
{
	b->acl[side][0] = (struct xbdev_acl_entry){ owner, XBDEV_PERM_NONE };
	b->acl[side][1] = (struct xbdev_acl_entry){ reader, XBDEV_PERM_READ };
	b->n_acl[side] = owner == reader ? 1 : 2;
}

static int vbd_check(const struct xbdev_attach_spec *s)
{
	const struct xbdev_vbd *v = s->vbd;

	if (strcmp(s->cls, "vbd") || !v->params || v->params[0] != '/' ||
	    (unsigned)v->backend > XBDEV_VBD_QDISK)
		return -EINVAL;
	/* The kernel's blkback opens a block device by its number. */
	if (v->backend == XBDEV_VBD_PHY && !v->blockdev)
		return -ENOTBLK;
	/* The disk was checked in domain 0, as its backend sees it there. */
	if (s->be != 0)
		return -EPERM;
	return 0;
}

static int add_frontend(struct builder *b, const struct xbdev_attach_spec *s)
{
	struct xbdev_plan *p = b->p;
	int err;

	err = add(b, XBDEV_SIDE_FRONTEND, NULL, "");
	if (!err)
		err = add(b, XBDEV_SIDE_FRONTEND, "backend", p->be_dir);
	if (!err)
		err = addf(b, XBDEV_SIDE_FRONTEND, "backend-id", "%u", p->be);
	if (!err && s->vbd)
		err = addf(b, XBDEV_SIDE_FRONTEND, "virtual-device", "%u",
			   p->devid);
	if (!err && s->vbd)
		err = add(b, XBDEV_SIDE_FRONTEND, "device-type",
			  s->vbd->cdrom ? "cdrom" : "disk");
	if (!err && s->vbd && s->vbd->trusted_set)
		err = add(b, XBDEV_SIDE_FRONTEND, "trusted",
			  s->vbd->trusted ? "1" : "0");
	if (!err)
		err = add_extras(b, XBDEV_SIDE_FRONTEND, s->front, s->n_front);
	/* The frontend's state goes first: the backend's probe reads it. */
	if (!err)
		err = add(b, XBDEV_SIDE_FRONTEND, "state", "1");
	return err;
}

/* What the backend of each kind is told, as libxl and Xen's block
 * script leave it: type is how the disk is reached ("phy" a block device,
 * "file" an image file; "qdisk" for QEMU, whose params say the format,
 * "aio:" raw); the kernel's blkback opens the block device by its number
 * (physical-device, hex major:minor, which the block script writes with
 * physical-device-path and hotplug-status once the device is ready). */
static int add_vbd_backend(struct builder *b, const struct xbdev_vbd *v)
{
	bool qdisk = v->backend == XBDEV_VBD_QDISK;
	bool phy = v->backend == XBDEV_VBD_PHY;
	const char *type = qdisk ? "qdisk" : v->blockdev ? "phy" : "file";
	char dev[16];
	int err = xbdev_vdev_name(b->p->devid, dev, sizeof(dev));

	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "removable",
			  v->cdrom ? "1" : "0");
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "bootable", "1");
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "dev", dev);
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "type", type);
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "mode",
			  v->readonly ? "r" : "w");
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "device-type",
			  v->cdrom ? "cdrom" : "disk");
	if (!err)
		err = addf(b, XBDEV_SIDE_BACKEND, "params", "%s%s",
			   qdisk ? "aio:" : "", v->params);
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "discard-enable",
			  v->readonly || v->no_discard ? "0" : "1");
	if (!err && v->direct_io_safe)
		err = add(b, XBDEV_SIDE_BACKEND, "direct-io-safe", "1");
	if (!err && phy)
		err = addf(b, XBDEV_SIDE_BACKEND, "physical-device", "%x:%x",
			   v->major, v->minor);
	if (!err && phy)
		err = add(b, XBDEV_SIDE_BACKEND, "physical-device-path",
			  v->params);
	if (!err && phy)
		err = add(b, XBDEV_SIDE_BACKEND, "hotplug-status", "connected");
	return err;
}

static int add_backend(struct builder *b, const struct xbdev_attach_spec *s)
{
	struct xbdev_plan *p = b->p;
	int err;

	err = add(b, XBDEV_SIDE_BACKEND, NULL, "");
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "frontend", p->fe_dir);
	if (!err)
		err = addf(b, XBDEV_SIDE_BACKEND, "frontend-id", "%u", p->fe);
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "online", "1");
	if (!err && s->vbd)
		err = add_vbd_backend(b, s->vbd);
	if (!err)
		err = add_extras(b, XBDEV_SIDE_BACKEND, s->back, s->n_back);
	if (!err)
		err = add(b, XBDEV_SIDE_BACKEND, "state", "1");
	return err;
}

/*
 * A served device's record keeps what the frontend directory was given
 * (all but "state") under front/, for xbdev_frontend_recreate(): its
 * backend daemon gives the guest a fresh directory when the guest's driver
 * let go of the device (see renew.c).  Nodes are only appended, so the
 * paths and values read here stay where they are.
 */
static int add_front_copy(struct builder *b)
{
	struct xbdev_plan *p = b->p;
	size_t dir_len = strlen(p->fe_dir);
	unsigned i, n = p->n_nodes;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		const char *path = p->nodes[i].path;
		const char *value = p->nodes[i].value;
		char key[XBDEV_PATH_MAX];

		if (p->nodes[i].side != XBDEV_SIDE_FRONTEND ||
		    p->nodes[i].explicit_acl ||
		    !strcmp(path + dir_len, "/state"))
			continue;
		if (snprintf(key, sizeof(key), "%s%s", XBDEV_RECORD_FRONT,
			     path + dir_len) >= (int)sizeof(key))
			return -ENAMETOOLONG;
		err = add(b, XBDEV_SIDE_RECORD, key, value);
	}
	return err;
}

static int add_record(struct builder *b, const struct xbdev_attach_spec *s)
{
	struct xbdev_plan *p = b->p;
	int err;

	err = add(b, XBDEV_SIDE_RECORD, NULL, "");
	if (!err)
		err = add(b, XBDEV_SIDE_RECORD, "frontend", p->fe_dir);
	if (!err)
		err = add(b, XBDEV_SIDE_RECORD, "backend", p->be_dir);
	if (!err)
		err = addf(b, XBDEV_SIDE_RECORD, "backend-id", "%u", p->be);
	if (!err)
		err = add(b, XBDEV_SIDE_RECORD, "type", p->type);
	if (!err)
		err = addf(b, XBDEV_SIDE_RECORD, "created", "%lld",
			   (long long)s->created);
	if (!err && p->log)
		err = add(b, XBDEV_SIDE_RECORD, "log", p->log);
	/* Read by the backend (open_backing): no lock on the image. */
	if (!err && s->vbd && s->vbd->shared)
		err = add(b, XBDEV_SIDE_RECORD, XBDEV_RECORD_SHARED, "1");
	/* Read by the backend at start (read_limit), rewritten by it when
	 * `xbdev limit` changes it. */
	if (!err && s->vbd && s->vbd->limit)
		err = add(b, XBDEV_SIDE_RECORD, XBDEV_RECORD_LIMIT,
			  s->vbd->limit);
	/* What a re-plug needs (lib/media.c): which drive, which medium. */
	if (!err && s->vbd && s->vbd->cdrom)
		err = add(b, XBDEV_SIDE_RECORD, XBDEV_RECORD_CDROM, "1");
	if (!err && s->vbd && s->vbd->cdrom)
		err = add(b, XBDEV_SIDE_RECORD, XBDEV_RECORD_MEDIA,
			  s->vbd->params);
	/* Read by the backend too: what it offers the guest. */
	if (!err && s->vbd && s->vbd->sector_size)
		err = addf(b, XBDEV_SIDE_RECORD, XBDEV_RECORD_SECTOR_SIZE, "%u",
			   s->vbd->sector_size);
	if (!err && s->vbd && s->vbd->phys_sector_size)
		err = addf(b, XBDEV_SIDE_RECORD, XBDEV_RECORD_PHYS_SECTOR_SIZE,
			   "%u", s->vbd->phys_sector_size);
	if (!err && p->daemon)
		err = add_front_copy(b);
	return err;
}

static int plan_daemon(struct xbdev_plan *p, const struct xbdev_attach_spec *s)
{
	const char *dir = s->log_dir ? s->log_dir : XBDEV_LOG_DIR;

	if (s->daemon[0] != '/' || dir[0] != '/')
		return -EINVAL;
	/* The daemon runs here, in dom0: it must not take what to open from
	 * a directory that another domain owns and can rewrite. */
	if (s->be != 0)
		return -EPERM;
	p->daemon = strdup(s->daemon);
	if (asprintf(&p->log, "%s/%s-%u-%u.log", dir, p->cls, p->fe,
		     p->devid) < 0)
		p->log = NULL;
	return p->daemon && p->log ? 0 : -ENOMEM;
}

static int plan_names(struct xbdev_plan *p, const struct xbdev_attach_spec *s)
{
	const char *type = s->be_type ? s->be_type : s->cls;
	int err;

	if (xbdev_validate_name(s->cls, false) ||
	    xbdev_validate_name(type, false))
		return -EINVAL;
	snprintf(p->cls, sizeof(p->cls), "%s", s->cls);
	snprintf(p->type, sizeof(p->type), "%s", type);
	p->fe = s->fe;
	p->be = s->be;
	p->devid = s->devid;
	err = xbdev_path_frontend(p->fe_dir, sizeof(p->fe_dir), s->fe, s->cls,
				  s->devid);
	if (!err)
		err = xbdev_path_backend(p->be_dir, sizeof(p->be_dir), s->be,
					 type, s->fe, s->devid);
	if (!err)
		err = xbdev_path_record(p->rec_dir, sizeof(p->rec_dir), s->fe,
					s->cls, s->devid);
	return err;
}

int xbdev_attach_plan(const struct xbdev_attach_spec *s,
		      struct xbdev_plan **out)
{
	struct builder b = { 0 };
	int err;

	*out = NULL;
	if (!s || !s->cls)
		return -EINVAL;
	b.p = calloc(1, sizeof(*b.p));
	if (!b.p)
		return -ENOMEM;
	err = plan_names(b.p, s);
	if (!err && s->vbd)
		err = vbd_check(s);
	if (!err && s->daemon)
		err = plan_daemon(b.p, s);
	set_acl(&b, XBDEV_SIDE_FRONTEND, s->fe, s->be);
	set_acl(&b, XBDEV_SIDE_BACKEND, s->be, s->fe);
	/* The record is dom0's alone: owner 0, nobody else may read. */
	set_acl(&b, XBDEV_SIDE_RECORD, 0, 0);
	if (!err)
		err = add_frontend(&b, s);
	if (!err)
		err = add_backend(&b, s);
	if (!err)
		err = add_record(&b, s);
	if (err) {
		xbdev_plan_free(b.p);
		return err;
	}
	*out = b.p;
	return 0;
}

/* Whether path is among the plan's nodes or the extras before it. */
static bool taken(const struct xbdev_plan *p, const char *dir,
		  const struct xbdev_kv *kv, unsigned i, const char *path)
{
	char other[XBDEV_PATH_MAX];
	unsigned j;

	for (j = 0; j < p->n_nodes; j++)
		if (!strcmp(p->nodes[j].path, path))
			return true;
	for (j = 0; j < i; j++)
		if (!xbdev_path_join(other, sizeof(other), dir, kv[j].key) &&
		    !strcmp(other, path))
			return true;
	return false;
}

int xbdev_attach_collision(const struct xbdev_attach_spec *spec,
			   enum xbdev_side *side, unsigned *index)
{
	struct xbdev_attach_spec bare = *spec;
	char path[XBDEV_PATH_MAX];
	struct xbdev_plan *p;
	unsigned i, s;
	int err;

	bare.n_front = bare.n_back = 0;
	err = xbdev_attach_plan(&bare, &p);
	if (err)
		return err;
	err = -ENOENT;
	for (s = 0; s < 2 && err == -ENOENT; s++) {
		const struct xbdev_kv *kv = s ? spec->back : spec->front;
		const char *dir = s ? p->be_dir : p->fe_dir;
		unsigned n = s ? spec->n_back : spec->n_front;

		for (i = 0; i < n && err == -ENOENT; i++) {
			if (xbdev_path_join(path, sizeof(path), dir, kv[i].key) ||
			    !taken(p, dir, kv, i, path))
				continue;
			*side = s ? XBDEV_SIDE_BACKEND : XBDEV_SIDE_FRONTEND;
			*index = i;
			err = 0;
		}
	}
	xbdev_plan_free(p);
	return err;
}

int xbdev_plan_add_path(struct xbdev_plan *p, const char *path,
			const char *value)
{
	struct builder b = { .p = p, .cap = p->n_nodes };
	struct xbdev_node *n;
	int err;

	if (path[0] != '/' || xbdev_validate_value(value))
		return -EINVAL;
	err = grow(&b);
	if (err)
		return err;
	n = &p->nodes[p->n_nodes];
	memset(n, 0, sizeof(*n));
	n->side = XBDEV_SIDE_RECORD;
	/* Below /xbdev, whose nodes are dom0's alone. */
	n->acl[0] = (struct xbdev_acl_entry){ 0, XBDEV_PERM_NONE };
	n->n_acl = 1;
	n->path = strdup(path);
	n->value = strdup(value);
	p->n_nodes++;
	return n->path && n->value ? 0 : -ENOMEM;
}

void xbdev_plan_free(struct xbdev_plan *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->n_nodes; i++) {
		free(p->nodes[i].path);
		free(p->nodes[i].value);
	}
	free(p->nodes);
	free(p->daemon);
	free(p->log);
	free(p);
}
