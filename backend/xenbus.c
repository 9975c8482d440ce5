// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The XenBus side of xbdev-blkback: everything it reads and writes in
 * xenstore, all through lib/xbdev.h.
 *
 * Trust: what to open and how comes from our backend directory, and only
 * from nodes that no domain but ours and dom0 can write (read_config); the
 * frontend directory is the guest's.  From the latter we read only bounded
 * integers and one short string ("protocol"), each parsed strictly, and we
 * watch only its "state" node (XSA-349).
 *
 * Amplification: the guest can write its state node as fast as xenstored
 * lets it.  Whatever the number of watch events pending, one wake-up reads
 * the states once (blk_xb_watches), our own directory only when it changed
 * (read_backend); a malformed frontend state is ignored
 * (libxbdev logs it, rate-limited); connect attempts are at least
 * BLK_CONNECT_GAP_MS apart (one put off is retried by a timer); every line
 * the guest can cause goes through blk_log_guest, its text escaped; and
 * info/ gets only the keys that changed (publish.c).
 *
 * Backend state machine (what we write), driven by the frontend's state:
 *   probe                       -> InitWait
 *   fe Initialised/Connected    -> map rings, bind, write size -> Connected
 *   fe Closing                  -> drain, fdatasync, unmap    -> Closing
 *   fe Closed / gone            -> same                       -> Closed
 *   fe Initialising after Closed (guest reboot, driver reload) -> InitWait
 *   (also after Closing: the frontend passed Closed before we read it)
 *   fe left Closed RENEW_AFTER_MS while attached -> a fresh frontend
 *   directory (Initialising) and InitWait: a Linux driver unbound or
 *   unloaded never leaves Closed by itself, one bound or loaded later only
 *   takes a new directory (lib/renew.c)
 * The toolstack detaches by writing online = 0 and state = Closing (libxl's
 * protocol, used by `xbdev detach`); we then wait for the frontend to close
 * and exit once it has.  A removed backend directory or a dead frontend
 * domain (@releaseDomain) ends the process too.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blkback.h"

#define TOKEN_BE "be"
#define TOKEN_FE "fe"
#define TOKEN_REL "rel"
#define TOKEN_CTL "ctl"

#define DRAIN_LOG_MS 10000
/* How long a frontend stays Closed before we renew its directory (a
 * frontend resetting itself goes on to Initialising well within this),
 * and how long the guest gets to see the directory gone. */
#define RENEW_AFTER_MS 3000
#define RENEW_GAP_MS 1000

/* ---- small helpers ------------------------------------------------------ */

static int rd(struct blk_dev *d, const char *dir, const char *key, char **out)
{
	char p[XBDEV_PATH_MAX];
	int err = xbdev_path_join(p, sizeof(p), dir, key);

	*out = NULL;
	return err ? err : xbdev_read(d->xs, XBDEV_TXN_NONE, p, out);
}

static int rd_txn(struct xbdev *x, xbdev_txn_t t, const char *dir,
		  const char *key, char **out)
{
	char p[XBDEV_PATH_MAX];
	int err = xbdev_path_join(p, sizeof(p), dir, key);

	*out = NULL;
	return err ? err : xbdev_read(x, t, p, out);
}

static int rd_uint(struct blk_dev *d, const char *dir, const char *key,
		   unsigned long max, unsigned long *out)
{
	char p[XBDEV_PATH_MAX];
	int err = xbdev_path_join(p, sizeof(p), dir, key);

	return err ? err : xbdev_read_uint(d->xs, XBDEV_TXN_NONE, p, max, out);
}

/* Optional unsigned node: def when absent, error when malformed. */
static int rd_uint_def(struct blk_dev *d, const char *dir, const char *key,
		       unsigned long max, unsigned long def, unsigned long *out)
{
	int err = rd_uint(d, dir, key, max, out);

	if (err == -ENOENT) {
		*out = def;
		return 0;
	}
	return err;
}

static int wr(struct blk_dev *d, xbdev_txn_t t, const char *dir,
	      const char *key, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int wr(struct blk_dev *d, xbdev_txn_t t, const char *dir,
	      const char *key, const char *fmt, ...)
{
	char p[XBDEV_PATH_MAX], v[XBDEV_VALUE_MAX];
	va_list ap;
	int err = xbdev_path_join(p, sizeof(p), dir, key);

	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	return xbdev_write(d->xs, t, p, v);
}

/* In a transaction that writes under our directory: 0 while the directory
 * exists (its frontend-id node is there), else an error.  A plain write after
 * the toolstack removed the directory would recreate (and leak) it. */
static int be_dir_present(struct xbdev *x, xbdev_txn_t t, struct blk_dev *d)
{
	char *v = NULL;
	int err = rd_txn(x, t, d->be_path, "frontend-id", &v);

	free(v);
	return err;
}

struct state_arg {
	struct blk_dev *d;
	enum xbdev_state st;
};

/* Write our state only while our directory exists. */
static int state_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	const struct state_arg *a = arg;
	int err = be_dir_present(x, t, a->d);

	if (!err)
		err = xbdev_state_write(x, t, a->d->be_path, a->st);
	return err;
}

static bool node_has_state(struct blk_dev *d, enum xbdev_state st)
{
	enum xbdev_state cur;

	return xbdev_state_read(d->xs, XBDEV_TXN_NONE, d->be_path, &cur) == 0 &&
	       cur == st;
}

static void set_state(struct blk_dev *d, enum xbdev_state st)
{
	struct state_arg a = { d, st };
	int err;

	/* On detach the toolstack writes Closing over our state node; when we
	 * are already Closed, the node (not our copy) must get Closed again or
	 * the toolstack waits for it in vain. */
	if (d->state == st && !(st == XBDEV_STATE_CLOSED && !node_has_state(d, st)))
		return;
	err = xbdev_txn(d->xs, state_txn, &a);
	if (err && err != -ENOENT)
		blk_log(d, "cannot write state %s: %s", xbdev_state_name(st),
			strerror(-err));
	blk_log_guest(d, BLK_LOG_STATE, "state %s -> %s%s",
		      xbdev_state_name(d->state), xbdev_state_name(st),
		      err == -ENOENT ? " (backend directory gone)" : "");
	d->state = st;
	d->info_dirty = true;
}

/* ---- backing store -------------------------------------------------------- */

/*
 * One writer per image (lib/image.c): we hold an OFD lock on it while we
 * serve it, write for a writable device, read for a read-only one, so a
 * second backend on the same inode - attached by another path, or started
 * by hand - refuses to serve (and QEMU refuses to open what we write).
 * The lock lasts as long as our open file description: a backend that
 * died has let go of it, one still alive (even hung) has not.  A device
 * attached --shared (its record, dom0's alone, says so) takes none.
 */
/* The first reason we cannot serve the device, for libxl's log. */
static void refusal(struct blk_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void refusal(struct blk_dev *d, const char *fmt, ...)
{
	va_list ap;

	if (d->why[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
}

/* Our lock on the image.  A libxl disk was checked by nobody before us
 * (xbdev attach checks in its transaction): first what the kernel shows,
 * a loop device on it (kernel blkback's phy disks) or a mount. */
static int image_claim(struct blk_dev *d)
{
	char by[256] = "";
	int err = 0;

	if (d->libxl)
		err = xbdev_image_in_use(NULL, XBDEV_TXN_NONE, d->params,
					 d->readonly, by, sizeof(by));
	if (!err)
		err = xbdev_image_lock(d->fd, d->readonly);
	if (err == -EBUSY) {
		if (!by[0])
			snprintf(by, sizeof(by), "another process holding a "
				 "conflicting lock on it (another "
				 "xbdev-blkback, QEMU)");
		blk_log(d, "%s: in use by %s; refusing to serve it",
			d->params, by);
		refusal(d, "%s: in use by %s", d->params, by);
	}
	return err;
}

/* A sector size the record asks for (0 when it asks for none). */
static int record_sector_size(struct blk_dev *d, const char *key,
			      unsigned *out)
{
	unsigned long n = 0;
	char p[XBDEV_PATH_MAX];
	int err = xbdev_path_join(p, sizeof(p), d->record_path, key);

	if (!err)
		err = xbdev_read_uint(d->xs, XBDEV_TXN_NONE, p,
				      XBDEV_SECTOR_PHYS_MAX, &n);
	if (err == -ENOENT) {
		n = 0;
		err = 0;
	}
	*out = (unsigned)n;
	return err;
}

/*
 * The sector sizes the guest is told, once the image's own are known
 * (d->sector_size, d->phys_sector_size: 512 and 4096 for a file, a block
 * device's).  Asked for at attach (xbdev_vbd.sector_size and
 * phys_sector_size), they come from the record: dom0's alone, a guest or
 * a driver domain cannot choose them.  A disk of an xl config has none
 * there (xl's disk spec has no such key): the image's own.
 *
 * Units (Xen 4.20's blkif.h, after the commit "blkif: reconcile protocol
 * specification with in-use implementations" and the xen-devel thread
 * "Block protocol incompatibilities with 4K logical sector size disks";
 * 4.17's header, the host's, predates it):
 *   - "sector-size" is the logical block size, "only used for request
 *     segment length and alignment": every request's offset
 *     (sector_number * 512) and every segment's offset and length
 *     (first_sect, last_sect, in 512-byte units within the page) must be
 *     multiples of it (blk_segs_check refuses the rest with an error
 *     response, request.c);
 *   - "sectors", sector_number, first_sect/last_sect and a discard's
 *     nr_sectors are 512-byte units whatever "sector-size" says;
 *   - "physical-sector-size" is a multiple of the logical size, and
 *     sectors * 512 a multiple of it;
 *   - "feature-large-sector-size" is deprecated (note 12): "[neither]
 *     should backends make any decisions based on it being exposed by the
 *     frontend".  A frontend that writes it is served exactly as one that
 *     does not: its units are the same 512-byte ones.  (4.17's blkif.h
 *     still said that it switched sectors and the request fields to
 *     sector-size units; QEMU's qdisk and the Windows PV drivers are the
 *     only ones known to have done so, and neither Linux nor we follow
 *     it.)
 * Linux blkfront (6.1 and 6.12 alike): reads sector-size, sectors and
 * physical-sector-size (defaulting to sector-size) once at connect;
 * logical_block_size = sector-size, physical_block_size =
 * physical-sector-size, capacity = sectors (512-byte units); it writes
 * sector_number = blk_rq_pos() and first_sect = offset >> 9, both
 * 512-byte units, and never writes feature-large-sector-size.  Linux
 * blkback writes sectors = bdev_nr_sectors() (512-byte units) and the
 * device's logical and physical block sizes.  So a 4096-byte disk
 * served to Linux 6.1 or 6.12 has sector-size 4096, sectors = bytes /
 * 512, and every request aligned to 4096 bytes.
 */
int blk_sector_sizes(struct blk_dev *d)
{
	unsigned lss = 0, pss = 0;
	int err = record_sector_size(d, XBDEV_RECORD_SECTOR_SIZE, &lss);

	if (!err)
		err = record_sector_size(d, XBDEV_RECORD_PHYS_SECTOR_SIZE, &pss);
	if (!err)
		err = xbdev_sector_fit(d->size, d->sector_size, lss, pss);
	if (err) {
		const char *why = err == -EOPNOTSUPP ?
			"its larger logical sector cannot be emulated" :
			err == -EDOM ? "its size is not a multiple of them" :
			"sizes not allowed";

		blk_log(d, "%s: size %llu, logical sector %u bytes: cannot "
			"serve it with sector-size %u, physical-sector-size "
			"%u (%s); refusing to serve it", d->params,
			(unsigned long long)d->size, d->sector_size, lss, pss,
			why);
		refusal(d, "%s: sector-size %u, physical-sector-size %u: %s",
			d->params, lss, pss, why);
		return -EINVAL;
	}
	if (lss)
		d->sector_size = lss;
	if (pss)
		d->phys_sector_size = pss;
	/* A default physical size (4096 for a file, a block device's own)
	 * that does not divide the size: the largest power of two that
	 * does, as blkif wants sectors * 512 a multiple of it.  The size is
	 * a multiple of the logical one (xbdev_sector_fit), so this ends
	 * there at the least. */
	while (!pss && d->phys_sector_size > d->sector_size &&
	       d->size % d->phys_sector_size)
		d->phys_sector_size >>= 1;
	/* blkif: a multiple of the logical size.  Only a default can be
	 * below it (a 512-byte block device given --sector-size 4096);
	 * xbdev_sector_fit refused a pss asked for below it. */
	if (d->phys_sector_size < d->sector_size)
		d->phys_sector_size = d->sector_size;
	/* discard-granularity defaults to sector-size: never a finer one. */
	if (d->discard_granularity < d->sector_size)
		d->discard_granularity = d->sector_size;
	return 0;
}

static int open_backing(struct blk_dev *d)
{
	int flags = (d->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct stat sb;
	char *shared = NULL;
	int err;

	d->fd = open(d->params, flags | (d->direct ? O_DIRECT : 0));
	if (d->fd < 0 && d->direct && errno == EINVAL) {
		blk_log(d, "%s: O_DIRECT not supported, using the page cache",
			d->params);
		d->direct = false;
		d->fd = open(d->params, flags);
	}
	if (d->fd < 0)
		return -errno;
	if (fstat(d->fd, &sb))
		return -errno;
	if (!rd(d, d->record_path, XBDEV_RECORD_SHARED, &shared) &&
	    !strcmp(shared, "1")) {
		blk_log(d, "%s: attached --shared: no lock taken", d->params);
	} else {
		err = image_claim(d);
		if (err) {
			free(shared);
			return err;
		}
	}
	free(shared);
	d->sector_size = 512;
	d->phys_sector_size = 512;
	if (S_ISREG(sb.st_mode)) {
		d->size = (uint64_t)sb.st_size;
		/* Punching holes works at the file system's block size. */
		d->discard_granularity = sb.st_blksize >= 512 ? sb.st_blksize
							      : 4096;
		d->phys_sector_size = 4096;
	} else if (S_ISBLK(sb.st_mode)) {
		uint64_t bytes;
		int lss = 512;
		unsigned pss = 512;

		if (ioctl(d->fd, BLKGETSIZE64, &bytes))
			return -errno;
		if (ioctl(d->fd, BLKSSZGET, &lss) || lss < 512)
			lss = 512;
		if (ioctl(d->fd, BLKPBSZGET, &pss) || pss < (unsigned)lss)
			pss = (unsigned)lss;
		d->size = bytes;
		d->sector_size = (unsigned)lss;
		d->phys_sector_size = pss;
		d->discard_granularity = pss;
	} else {
		return -ENOTBLK;
	}
	/* A tail shorter than a sector could never be read or written. */
	if (d->size == 0 || d->size % 512) {
		blk_log(d, "%s: size %llu is %s; refusing to serve it",
			d->params, (unsigned long long)d->size, d->size ?
			"not a multiple of 512 bytes" : "0 (empty)");
		return -EINVAL;
	}
	err = blk_sector_sizes(d);
	if (err)
		return err;
	d->sectors = d->size >> BLK_SECTOR_SHIFT;
	return 0;
}

/* ---- setup ------------------------------------------------------------------ */

/* The backend types we serve: our own (xbdev attach), and those of disks
 * libxl made for xbdevd (lib/serve.c). */
static bool served_type(const char *type, bool *libxl)
{
	*libxl = !strcmp(type, XBDEV_LIBXL_TYPE_VBD) ||
		 !strcmp(type, XBDEV_LIBXL_TYPE_VBD3);
	return *libxl || !strcmp(type, BLK_BACKEND_TYPE);
}

static int parse_be_path(struct blk_dev *d, const char *be_path)
{
	struct xbdev_path_parts pp;
	char canon[XBDEV_PATH_MAX];
	int err;

	xbdev_path_parse(be_path, &pp);
	if (pp.kind != XBDEV_PATH_BACKEND || pp.rest[0] ||
	    !served_type(pp.name, &d->libxl))
		return -EINVAL;
	/* Only the canonical spelling (no leading zeros, no "+"). */
	err = xbdev_path_backend(canon, sizeof(canon), pp.dom, pp.name, pp.fe,
				 pp.devid);
	if (err)
		return err;
	if (strcmp(canon, be_path))
		return -EINVAL;
	d->be_domid = pp.dom;
	d->fe_domid = pp.fe;
	d->devid = pp.devid;
	snprintf(d->be_type, sizeof(d->be_type), "%s", pp.name);
	snprintf(d->be_path, sizeof(d->be_path), "%s", canon);
	snprintf(d->tag, sizeof(d->tag), "vbd-%u-%u", pp.fe, pp.devid);
	return xbdev_path_record(d->record_path, sizeof(d->record_path), pp.fe,
				 BLK_FRONTEND_CLASS, pp.devid);
}

/* What the toolstack told us to serve: the nodes of our directory that say
 * what to open and how.  They are read in one transaction, each only if no
 * domain but ours and dom0 can write it, and the directory too (the absence
 * of an optional node such as "mode" is an order as well). */
enum cfg_key { CFG_FRONTEND_ID, CFG_FRONTEND, CFG_PARAMS, CFG_MODE,
	       CFG_DEVICE_TYPE, CFG_REMOVABLE, CFG_DISCARD, CFG_DIRECT,
	       CFG_N };
static const char *const cfg_names[CFG_N] = {
	"frontend-id", "frontend", "params", "mode", "device-type",
	"removable", "discard-enable", "direct-io-safe",
};

struct cfg {
	struct blk_dev *d;
	unsigned self;
	char *v[CFG_N];         /* NULL: absent */
};

static void cfg_free(struct cfg *c)
{
	for (unsigned i = 0; i < CFG_N; i++) {
		free(c->v[i]);
		c->v[i] = NULL;
	}
}

static int cfg_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct cfg *c = arg;
	char p[XBDEV_PATH_MAX];
	int err = xbdev_node_trusted(x, t, c->d->be_path, c->self);

	cfg_free(c);
	for (unsigned i = 0; !err && i < CFG_N; i++) {
		err = xbdev_path_join(p, sizeof(p), c->d->be_path,
				      cfg_names[i]);
		if (!err)
			err = xbdev_node_trusted(x, t, p, c->self);
		if (!err)
			err = xbdev_read(x, t, p, &c->v[i]);
		if (err == -ENOENT && i > CFG_PARAMS)
			err = 0;
	}
	return err;
}

/* Optional 0/1 node: keeps *flag when absent; a malformed one is ignored
 * with a log line, as before. */
static void cfg_flag(struct blk_dev *d, const struct cfg *c, enum cfg_key k,
		     bool *flag)
{
	unsigned long u;

	if (!c->v[k])
		return;
	if (xbdev_parse_uint(c->v[k], 1, &u))
		blk_log(d, "%s: not 0 or 1, ignored", cfg_names[k]);
	else
		*flag = u;
}

/* libxl's params for backendtype=tap is "aio:PATH" (raw; other formats
 * would name another driver), for a phy disk the path itself. */
static const char *raw_params_path(const char *params)
{
	return strncmp(params, "aio:", 4) ? params : params + 4;
}

static int cfg_apply(struct blk_dev *d, const struct cfg *c)
{
	char prefix[64];
	unsigned long u;

	if (xbdev_parse_uint(c->v[CFG_FRONTEND_ID], XBDEV_DOMID_MAX, &u) ||
	    u != d->fe_domid) {
		blk_log(d, "frontend-id is not %u", d->fe_domid);
		return -EINVAL;
	}
	if (xbdev_path_domain(prefix, sizeof(prefix) - 1, d->fe_domid, NULL))
		return -EINVAL;
	strcat(prefix, "/");
	if (strncmp(c->v[CFG_FRONTEND], prefix, strlen(prefix)) ||
	    strlen(c->v[CFG_FRONTEND]) >= sizeof(d->fe_path)) {
		blk_log(d, "frontend node not under %s", prefix);
		return -EINVAL;
	}
	snprintf(d->fe_path, sizeof(d->fe_path), "%s", c->v[CFG_FRONTEND]);
	if (!c->v[CFG_PARAMS][0]) {
		blk_log(d, "no params (backing file) in %s", d->be_path);
		return -EINVAL;
	}
	d->params = strdup(raw_params_path(c->v[CFG_PARAMS]));
	if (!d->params)
		return -ENOMEM;
	if (d->params[0] != '/') {
		blk_log(d, "params is not an absolute path of a raw image "
			"(only format raw is served)");
		return -EINVAL;
	}
	if (c->v[CFG_MODE])
		d->readonly = strchr(c->v[CFG_MODE], 'w') == NULL;
	d->cdrom = c->v[CFG_DEVICE_TYPE] &&
		   !strcmp(c->v[CFG_DEVICE_TYPE], "cdrom");
	if (d->cdrom)
		d->readonly = true;
	cfg_flag(d, c, CFG_REMOVABLE, &d->removable);
	d->discard = true;
	cfg_flag(d, c, CFG_DISCARD, &d->discard);
	cfg_flag(d, c, CFG_DIRECT, &d->direct);
	return 0;
}

static int read_config(struct blk_dev *d)
{
	struct cfg c = { .d = d };
	int err = xbdev_self_domid(d->xs, &c.self);

	if (err) {
		blk_log(d, "cannot tell which domain this is: %s",
			strerror(-err));
		return err;
	}
	/* Checked first for a clear message; the ACL checks below would
	 * refuse a directory another domain owns anyway. */
	if (d->be_domid != c.self) {
		blk_log(d, "refusing %s: it belongs to domain %u, not to this "
			"domain (%u), and would tell this process what to open",
			d->be_path, d->be_domid, c.self);
		return -EPERM;
	}
	err = xbdev_txn(d->xs, cfg_txn, &c);
	if (err == -EPERM)
		blk_log(d, "refusing %s: another domain can write what it "
			"says to open", d->be_path);
	else if (err)
		blk_log(d, "%s: cannot read frontend-id, frontend or params: %s",
			d->be_path, strerror(-err));
	if (!err)
		err = cfg_apply(d, &c);
	d->trusted = !err;
	cfg_free(&c);
	return err;
}

/* The I/O limits kept in our record (attach --limit, xbdev limit): dom0's
 * word, checked again all the same.  One we cannot use is said in the log
 * and the device served without limits. */
static void read_limit(struct blk_dev *d)
{
	struct xbdev_limit l;
	char *v = NULL;
	int err = xbdev_limit_parse("none", &l);

	if (!rd(d, d->record_path, XBDEV_RECORD_LIMIT, &v)) {
		err = xbdev_limit_parse(v, &l);
		if (err) {
			blk_log(d, "%s/%s: not a limit, serving without",
				d->record_path, XBDEV_RECORD_LIMIT);
			xbdev_limit_parse("none", &l);
		}
	}
	free(v);
	blk_limiter_set(&d->limiter, &l, xbdev_now_ms());
	if (xbdev_limit_any(&l)) {
		char spec[XBDEV_LIMIT_SPEC_MAX];

		if (!xbdev_limit_format(&l, spec, sizeof(spec)))
			blk_log(d, "I/O limits: %s", spec);
	}
}

/* How long the dom0 kernel gets to create its device for a backend/vbd
 * directory that appeared with the one we serve (its watch fires with
 * xbdevd's), when xen-blkback is loaded. */
#define KERNEL_DEVICE_WAIT_MS 3000

/* Before we write anything: xen-blkback, which bound the directory when
 * it appeared, must let go of it, or it would map the ring with us and
 * race our writes (lib/serve.c). */
static int take_from_kernel(struct blk_dev *d)
{
	int r = xbdev_kernel_release(d->be_type, d->fe_domid, d->devid,
				     xbdev_now_ms() + KERNEL_DEVICE_WAIT_MS);

	if (r == 1)
		blk_log(d, "took %s-%u-%u from the kernel's xen-blkback",
			d->be_type, d->fe_domid, d->devid);
	if (r < 0) {
		blk_log(d, "cannot unbind the kernel's xen-blkback from "
			"%s-%u-%u: %s", d->be_type, d->fe_domid, d->devid,
			strerror(-r));
		refusal(d, "xen-blkback holds the device and would not let "
			"go of it: %s", strerror(-r));
	}
	return r < 0 ? r : 0;
}

/* A Xen device node we cannot open (libxengnttab's /dev/xen/gntdev,
 * libxenevtchn's /dev/xen/evtchn): the log and libxl's hotplug-error say
 * which, and which dom0 module makes it when it is absent. */
void blk_limits_set(struct blk_dev *d)
{
	d->lim = (struct blk_limits){
		.sectors = d->sectors,
		.sector_size = d->sector_size,
		.readonly = d->readonly,
		.discard = d->discard,
		.flush = true,
		.max_indirect_segs = BLK_MAX_INDIRECT_SEGS,
	};
}

static int open_failed(struct blk_dev *d, const char *node, int err)
{
	char why[160];

	xbdev_devnode_why(why, sizeof(why), XBDEV_XEN_DEVDIR, node, err);
	blk_log(d, "cannot open %s", why);
	refusal(d, "cannot open %s", why);
	return err;
}

int blk_xb_init(struct blk_dev *d, const char *be_path)
{
	char *v = NULL;
	int err;

	d->fd = -1;
	d->evtchn_fd = -1;
	d->state = XBDEV_STATE_UNKNOWN;
	for (unsigned i = 0; i < BLK_MAX_QUEUES; i++) {
		d->q[i].dev = d;
		d->q[i].idx = i;
		d->q[i].local_port = -1;
	}
	err = parse_be_path(d, be_path);
	if (err) {
		blk_log(d, "%s: not a backend path of the form "
			"/local/domain/<be>/backend/" BLK_BACKEND_TYPE
			"/<fe>/<devid>", be_path);
		return err;
	}
	err = xbdev_open(&d->xs);
	if (err) {
		blk_log(d, "cannot connect to xenstore: %s", strerror(-err));
		return err;
	}
	xbdev_set_log_fn(d->xs, blk_lib_log, d);

	err = read_config(d);
	if (err)
		return err;
	if (d->libxl) {
		err = take_from_kernel(d);
		if (err)
			return err;
	}
	v = getenv("XBDEV_BLKBACK_DIRECT");
	if (v && *v)
		d->direct = !strcmp(v, "1");
	v = NULL;

	err = open_backing(d);
	if (err) {
		blk_log(d, "%s: %s", d->params, strerror(-err));
		if (!d->readonly && (err == -EACCES || err == -EROFS ||
				     err == -EPERM))
			refusal(d, "%s: cannot be opened for writing (%s); a "
				"read-only disk is access=ro", d->params,
				strerror(-err));
		refusal(d, "%s: %s", d->params, err == -EINVAL ?
			"not a disk image (size 0 or not a multiple of 512 "
			"bytes)" : strerror(-err));
		return err;
	}
	read_limit(d);
	v = getenv("XBDEV_BLKBACK_PERSISTENT");
	d->offer_persistent = !(v && !strcmp(v, "0"));
	d->max_pgrants = blk_pc_cap(getenv("XBDEV_BLKBACK_MAX_PGRANTS"));
	v = getenv("XBDEV_BLKBACK_PAGE_CACHE");
	if (!d->direct && !(v && !strcmp(v, "0"))) {
		err = blk_io_map(d);
		if (err)
			blk_log(d, "%s: cannot map (%s), every request goes "
				"through a bounce buffer", d->params,
				strerror(-err));
	}
	v = NULL;
	if (d->readonly)
		d->discard = false;
	blk_limits_set(d);
	d->max_queues = BLK_MAX_QUEUES;

	d->xgt = xengnttab_open(NULL, 0);
	if (!d->xgt)
		return open_failed(d, "gntdev", -errno);
	d->xce = xenevtchn_open(NULL, 0);
	if (!d->xce)
		return open_failed(d, "evtchn", -errno);
	d->evtchn_fd = xenevtchn_fd(d->xce);
	/* Non-blocking, so that reading pending ports can never stall the
	 * loop; poll() says when there are some. */
	fcntl(d->evtchn_fd, F_SETFL, fcntl(d->evtchn_fd, F_GETFL) | O_NONBLOCK);
	err = blk_io_init(d);
	if (err) {
		blk_log(d, "io_uring: %s", strerror(-err));
		return err;
	}

	blk_log(d, "serving %s (%llu sectors, sector-size %u, "
		"physical-sector-size %u, %s%s, %s) to domain %u as %s",
		d->params, (unsigned long long)d->sectors, d->sector_size,
		d->phys_sector_size,
		d->readonly ? "read-only" : "read-write",
		d->cdrom ? ", cdrom" : "", blk_data_path(d), d->fe_domid,
		d->fe_path);
	return 0;
}

static int probe_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct blk_dev *d = arg;
	int err = be_dir_present(x, t, d);

	if (!err)
		err = wr(d, t, d->be_path, "max-ring-page-order", "%u",
			 BLK_MAX_RING_ORDER);
	if (!err)
		err = wr(d, t, d->be_path, "multi-queue-max-queues", "%u",
			 d->max_queues);
	if (!err)
		err = wr(d, t, d->be_path, "feature-max-indirect-segments",
			 "%u", BLK_MAX_INDIRECT_SEGS);
	/* Persistent grants unless told not to: see io.c. */
	if (!err)
		err = wr(d, t, d->be_path, "feature-persistent", "%d",
			 d->offer_persistent);
	if (!err)
		err = wr(d, t, d->be_path, "feature-flush-cache", "1");
	if (!err)
		err = wr(d, t, d->be_path, "feature-barrier", "0");
	if (!err)
		err = wr(d, t, d->be_path, "feature-discard", "%d", d->discard);
	if (d->discard) {
		if (!err)
			err = wr(d, t, d->be_path, "discard-granularity", "%u",
				 d->discard_granularity);
		if (!err)
			err = wr(d, t, d->be_path, "discard-alignment", "0");
		if (!err)
			err = wr(d, t, d->be_path, "discard-secure", "0");
	}
	/* Told with InitWait, after which libxl runs the hotplug script. */
	if (!err && d->libxl)
		err = wr(d, t, d->be_path, XBDEV_BE_STATUS, "serving");
	if (!err)
		err = xbdev_state_write(x, t, d->be_path,
					XBDEV_STATE_INITWAIT);
	return err;
}

int blk_xb_probe(struct blk_dev *d)
{
	int err = xbdev_txn(d->xs, probe_txn, d);

	if (err) {
		blk_log(d, "cannot advertise features: %s", strerror(-err));
		return err;
	}
	blk_log_guest(d, BLK_LOG_STATE, "state %s -> InitWait "
		      "(max-ring-page-order %u, max-queues %u, indirect %u, "
		      "flush, %s, %s)", xbdev_state_name(d->state),
		      BLK_MAX_RING_ORDER, d->max_queues, BLK_MAX_INDIRECT_SEGS,
		      d->discard ? "discard" : "no discard",
		      d->offer_persistent ? "persistent grants"
					  : "grant copy only");
	d->state = XBDEV_STATE_INITWAIT;
	d->info_dirty = true;
	return 0;
}

int blk_xb_watch(struct blk_dev *d)
{
	char p[XBDEV_PATH_MAX];
	int err;

	err = xbdev_watch(d->xs, d->be_path, TOKEN_BE);
	if (!err)
		err = xbdev_path_join(p, sizeof(p), d->fe_path, "state");
	if (!err)
		err = xbdev_watch(d->xs, p, TOKEN_FE);
	if (!err)
		err = xbdev_watch(d->xs, "@releaseDomain", TOKEN_REL);
	if (!err)
		err = xbdev_path_join(p, sizeof(p), d->record_path,
				      XBDEV_CTL_DIR "/" XBDEV_CTL_REQUEST);
	if (!err)
		err = xbdev_watch(d->xs, p, TOKEN_CTL);
	if (err)
		blk_log(d, "cannot set watches: %s", strerror(-err));
	return err;
}

/* ---- connect / disconnect ---------------------------------------------- */

static void unmap_queues(struct blk_dev *d)
{
	for (unsigned i = 0; i < BLK_MAX_QUEUES; i++) {
		struct blk_queue *q = &d->q[i];

		if (q->local_port >= 0)
			xenevtchn_unbind(d->xce, (evtchn_port_t)q->local_port);
		q->local_port = -1;
		blk_pc_close(d, q);
		if (q->ring_mem)
			xengnttab_unmap(d->xgt, q->ring_mem, q->ring_pages);
		q->ring_mem = NULL;
		q->kick = q->need_push = false;
		q->held = false;        /* the ring it came from is gone */
	}
	d->nr_queues = 0;
	d->persistent = false;
}

static void disconnect(struct blk_dev *d, const char *why)
{
	struct rusage ru;

	if (!d->nr_queues)
		return;
	/* Answer everything taken from the rings before they go away;
	 * a write the guest saw acknowledged must be on disk before Closed
	 * (detach flushes). */
	blk_io_drain(d, DRAIN_LOG_MS);
	if (!d->readonly && fdatasync(d->fd))
		blk_log(d, "fdatasync: %s", strerror(errno));
	unmap_queues(d);
	getrusage(RUSAGE_SELF, &ru);
	/* The process's costs so far, for profiling under emulation where
	 * page faults and context switches dominate. */
	blk_log_guest(d, BLK_LOG_STATE, "disconnected (%s): %llu requests, "
		"%llu bytes read, %llu bytes written, %llu errors; cpu user "
		"%ld.%03lds sys %ld.%03lds, %ld minor faults, %ld/%ld context "
		"switches", why, (unsigned long long)d->st.requests,
		(unsigned long long)d->st.bytes_read,
		(unsigned long long)d->st.bytes_written,
		(unsigned long long)d->st.errors, (long)ru.ru_utime.tv_sec,
		(long)ru.ru_utime.tv_usec / 1000, (long)ru.ru_stime.tv_sec,
		(long)ru.ru_stime.tv_usec / 1000, ru.ru_minflt, ru.ru_nvcsw,
		ru.ru_nivcsw);
	d->info_dirty = true;
}

static int map_queue(struct blk_dev *d, struct blk_queue *q, const char *dir,
		     bool legacy, unsigned pages)
{
	unsigned long v;
	int err, port;

	q->ring_pages = pages;
	for (unsigned j = 0; j < pages; j++) {
		char key[32];

		if (legacy)
			snprintf(key, sizeof(key), "ring-ref");
		else
			snprintf(key, sizeof(key), "ring-ref%u", j);
		err = rd_uint(d, dir, key, UINT32_MAX, &v);
		if (err == -ENOENT && !legacy && pages == 1)
			err = rd_uint(d, dir, "ring-ref", UINT32_MAX, &v);
		if (err) {
			blk_log_guest(d, BLK_LOG_CONNECT, "queue %u: %s/%s: %s",
				      q->idx, dir, key, strerror(-err));
			return err;
		}
		q->ring_ref[j] = (uint32_t)v;
	}
	err = rd_uint(d, dir, "event-channel", UINT32_MAX, &v);
	if (err) {
		blk_log_guest(d, BLK_LOG_CONNECT, "queue %u: %s/event-channel: "
			      "%s", q->idx, dir, strerror(-err));
		return err;
	}
	q->remote_port = (uint32_t)v;

	q->ring_mem = xengnttab_map_domain_grant_refs(
		d->xgt, pages, d->fe_domid, q->ring_ref,
		PROT_READ | PROT_WRITE);
	if (!q->ring_mem) {
		err = -errno;
		blk_map_failed(d, errno);
		blk_log_guest(d, BLK_LOG_CONNECT, "queue %u: cannot map %u "
			      "ring page(s) (first gref %u): %s", q->idx, pages,
			      q->ring_ref[0], strerror(errno));
		return err ? err : -EFAULT;
	}
	err = blk_ring_attach(&q->ring, q->ring_mem, pages, d->abi);
	if (err)
		return err;
	port = xenevtchn_bind_interdomain(d->xce, d->fe_domid,
					  q->remote_port);
	if (port < 0) {
		err = -errno;
		blk_log_guest(d, BLK_LOG_CONNECT, "queue %u: cannot bind event "
			      "channel %u: %s", q->idx, q->remote_port,
			      strerror(errno));
		return err ? err : -EINVAL;
	}
	q->local_port = port;
	q->inflight = 0;
	/* The frontend may have queued requests before we bound. */
	q->kick = true;
	return 0;
}

static unsigned info_bits(const struct blk_dev *d)
{
	return (d->cdrom ? VDISK_CDROM : 0) |
	       (d->removable ? VDISK_REMOVABLE : 0) |
	       (d->readonly ? VDISK_READONLY : 0);
}

static int connect_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct blk_dev *d = arg;
	int err = be_dir_present(x, t, d);

	/* sectors are always 512-byte units, whatever sector-size says
	 * (blk_sector_sizes() has the sources) */
	if (!err)
		err = wr(d, t, d->be_path, "sectors", "%llu",
			 (unsigned long long)d->sectors);
	if (!err)
		err = wr(d, t, d->be_path, "info", "%u", info_bits(d));
	if (!err)
		err = wr(d, t, d->be_path, "sector-size", "%u", d->sector_size);
	if (!err)
		err = wr(d, t, d->be_path, "physical-sector-size", "%u",
			 d->phys_sector_size);
	if (!err)
		err = wr(d, t, d->be_path, "feature-flush-cache", "1");
	if (!err)
		err = wr(d, t, d->be_path, "feature-discard", "%d", d->discard);
	if (!err)
		err = xbdev_state_write(x, t, d->be_path,
					XBDEV_STATE_CONNECTED);
	return err;
}

static int do_connect(struct blk_dev *d)
{
	unsigned long nq, order, pers = 0;
	bool legacy = false;
	char *proto = NULL;
	int err;

	err = rd_uint_def(d, d->fe_path, "multi-queue-num-queues",
			  d->max_queues, 1, &nq);
	if (err || nq == 0) {
		blk_log_guest(d, BLK_LOG_CONNECT, "frontend "
			      "multi-queue-num-queues invalid (max %u)",
			      d->max_queues);
		return err ? err : -EINVAL;
	}
	err = rd_uint(d, d->fe_path, "ring-page-order", BLK_MAX_RING_ORDER,
		      &order);
	if (err == -ENOENT) {
		legacy = true;
		order = 0;
	} else if (err) {
		blk_log_guest(d, BLK_LOG_CONNECT, "frontend ring-page-order "
			      "invalid (max %u)", BLK_MAX_RING_ORDER);
		return err;
	}
	err = rd(d, d->fe_path, "protocol", &proto);
	if (err && err != -ENOENT) {
		blk_log_guest(d, BLK_LOG_CONNECT, "frontend protocol "
			      "unreadable: %s", strerror(-err));
		return err;
	}
	err = blk_abi_parse(proto, &d->abi);
	if (err) {
		char esc[XBDEV_ESCAPED_MAX(32)];

		/* The guest's own text: escaped, never raw (a newline in it
		 * would forge a log line). */
		blk_log_guest(d, BLK_LOG_CONNECT, "frontend protocol \"%s\" "
			      "not supported",
			      xbdev_escape(esc, sizeof(esc), proto));
		free(proto);
		return err;
	}
	free(proto);
	rd_uint_def(d, d->fe_path, "feature-persistent", 1, 0, &pers);
	d->fe_persistent = pers;
	d->persistent = d->offer_persistent && d->fe_persistent;

	d->ring_pages = 1u << order;
	d->nr_queues = (unsigned)nq;
	for (unsigned i = 0; i < d->nr_queues; i++) {
		char dir[XBDEV_PATH_MAX], key[32];

		if (nq == 1) {
			snprintf(dir, sizeof(dir), "%s", d->fe_path);
		} else {
			snprintf(key, sizeof(key), "queue-%u", i);
			err = xbdev_path_join(dir, sizeof(dir), d->fe_path,
					      key);
			if (err)
				goto fail;
		}
		err = map_queue(d, &d->q[i], dir, legacy, d->ring_pages);
		if (!err && d->persistent)
			err = blk_pc_open(&d->q[i]);
		if (err)
			goto fail;
	}
	err = xbdev_txn(d->xs, connect_txn, d);
	if (err) {
		blk_log(d, "cannot write connect nodes: %s", strerror(-err));
		goto fail;
	}
	blk_log_guest(d, BLK_LOG_STATE, "state %s -> Connected: protocol %s, "
		"%u queue(s), %u ring page(s) (%u requests each), indirect up "
		"to %u segments, frontend %s persistent grants (data path %s), "
		"%llu sectors%s",
		xbdev_state_name(d->state), blk_abi_name(d->abi), d->nr_queues,
		d->ring_pages, blk_ring_size(&d->q[0].ring),
		BLK_MAX_INDIRECT_SEGS, d->fe_persistent ? "offers" : "without",
		blk_data_path(d),
		(unsigned long long)d->sectors,
		d->readonly ? ", read-only" : "");
	d->state = XBDEV_STATE_CONNECTED;
	d->failed = false;
	d->info_dirty = true;
	return 0;
fail:
	unmap_queues(d);
	return err;
}

/* Our last Closed: the image let go of before it, so that whoever comes
 * next (libxl's new domain after a reboot or a restore, the next attach)
 * can take it as soon as it sees Closed.  Our mapping of it stays until
 * exit, but the lock is on the open file description, not the mapping. */
static void close_for_good(struct blk_dev *d, const char *why)
{
	disconnect(d, why);
	if (d->fd >= 0 && xbdev_image_unlock(d->fd))
		blk_log(d, "%s: unlock: %s", d->params, strerror(errno));
	set_state(d, XBDEV_STATE_CLOSED);
}

void blk_xb_fail(struct blk_dev *d, const char *why)
{
	blk_log_guest(d, BLK_LOG_CONNECT, "frontend error: %s; closing the "
		      "device", why);
	d->failed = true;
	disconnect(d, why);
	set_state(d, XBDEV_STATE_CLOSED);
	blk_xb_publish(d, true);
}

/* ---- events ----------------------------------------------------------------- */

static void leave(struct blk_dev *d, const char *why, int code)
{
	blk_log(d, "exiting: %s", why);
	d->exit = true;
	d->exit_code = code;
}

static bool frontend_alive(struct blk_dev *d)
{
	char id[16];
	unsigned domid;
	int err;

	snprintf(id, sizeof(id), "%u", d->fe_domid);
	err = xbdev_domain_resolve(d->xs, id, &domid);
	return !(err == -ENOENT || err == -ESRCH);
}

/* Connect attempts at least BLK_CONNECT_GAP_MS apart: true when this one
 * must wait (d->reeval_at says when to look again). */
static bool connect_put_off(struct blk_dev *d)
{
	int64_t now = xbdev_now_ms();

	if (now < d->connect_at) {
		d->reeval_at = d->connect_at;
		return true;
	}
	d->connect_at = now + BLK_CONNECT_GAP_MS;
	return false;
}

static void frontend_changed(struct blk_dev *d, enum xbdev_state fe,
			     bool online)
{
	const char *why;
	int err;

	if (fe != XBDEV_STATE_CLOSED)
		d->renew_at = 0;
	switch (fe) {
	case XBDEV_STATE_INITIALISING:
	case XBDEV_STATE_INITWAIT:
		if (d->state == XBDEV_STATE_CLOSING && online && !d->closing) {
			/* Closing -> Closed -> Initialising faster than we
			 * read it: the Closed we missed. */
			disconnect(d, "frontend closed");
			set_state(d, XBDEV_STATE_CLOSED);
		}
		if (d->state == XBDEV_STATE_CLOSED && online && !d->closing) {
			/* Guest reboot or driver reload: offer again. */
			blk_log_guest(d, BLK_LOG_STATE, "frontend back to %s: "
				      "reconnecting", xbdev_state_name(fe));
			blk_xb_probe(d);
		}
		break;
	case XBDEV_STATE_INITIALISED:
	case XBDEV_STATE_CONNECTED:
		/* From InitWait, but also from Closing/Closed: a frontend
		 * that went Closed -> Initialising -> Initialised faster than
		 * we read its state looks like Closed -> Initialised. */
		if (d->state == XBDEV_STATE_CONNECTED || d->closing)
			break;
		if (connect_put_off(d))
			break;
		disconnect(d, "frontend re-initialised");
		err = do_connect(d);
		if (err)
			blk_xb_fail(d, "cannot connect to the frontend's rings");
		break;
	case XBDEV_STATE_CLOSING:
		disconnect(d, "frontend closing");
		set_state(d, XBDEV_STATE_CLOSING);
		break;
	case XBDEV_STATE_CLOSED:
	case XBDEV_STATE_UNKNOWN:
		why = fe == XBDEV_STATE_CLOSED ? "frontend closed"
					       : "frontend gone";
		if (!online || d->closing) {
			close_for_good(d, why);
			leave(d, "device detached", 0);
			break;
		}
		disconnect(d, why);
		set_state(d, XBDEV_STATE_CLOSED);
		if (fe == XBDEV_STATE_CLOSED && !d->failed && !d->renew_at)
			d->renew_at = xbdev_now_ms() + RENEW_AFTER_MS;
		break;
	default:
		break;
	}
}

/* What our directory says: whether it still exists, online, the state
 * node.  Only the toolstack and we write there, and the directory is
 * watched: what was read stays true until an event of ours (BLK_EV_BE)
 * or until we change our state (our own write, whose event may still be on
 * its way).  So a frontend writing its state in a loop costs one read per
 * evaluation, not four.  false: the directory is gone. */
static bool read_backend(struct blk_dev *d, bool changed)
{
	struct blk_be_seen *b = &d->be_seen;
	unsigned long u;

	if (!changed && b->valid && b->at == d->state)
		return true;
	b->valid = false;
	/* Our directory removed (forced detach, toolstack cleanup). */
	if (rd_uint(d, d->be_path, "frontend-id", XBDEV_DOMID_MAX, &u) ==
	    -ENOENT) {
		disconnect(d, "backend directory removed");
		leave(d, "backend directory removed", 0);
		return false;
	}
	b->online = 0;
	rd_uint_def(d, d->be_path, "online", 1, 0, &b->online);
	b->state_err = xbdev_state_read(d->xs, XBDEV_TXN_NONE, d->be_path,
					&b->state);
	b->at = d->state;
	b->valid = true;
	return true;
}

static void reevaluate(struct blk_dev *d, bool be_changed)
{
	const struct blk_be_seen *b = &d->be_seen;
	enum xbdev_state fe = XBDEV_STATE_UNKNOWN;
	unsigned long online;
	int err;

	if (!read_backend(d, be_changed))
		return;
	online = b->online;
	/* The toolstack's close request: online = 0 and/or our state node
	 * rewritten to Closing behind our back. */
	if (!d->closing &&
	    (!online || (!b->state_err && b->state == XBDEV_STATE_CLOSING &&
			 d->state != XBDEV_STATE_CLOSING))) {
		blk_log(d, "toolstack requested close (online=%lu, state=%s)",
			online, b->state_err ? "?" : xbdev_state_name(b->state));
		d->closing = true;
		if (d->state == XBDEV_STATE_CONNECTED) {
			/* Let the frontend finish and close first; it sees
			 * our Closing and flushes. */
			set_state(d, XBDEV_STATE_CLOSING);
		}
	}
	err = xbdev_state_read(d->xs, XBDEV_TXN_NONE, d->fe_path, &fe);
	if ((err == -EINVAL || err == -ERANGE) && !d->closing) {
		/* Malformed (not a state number up to 8; libxbdev logged
		 * it): nothing the frontend told us, nothing to act on.  A
		 * frontend gone has no state node (-ENOENT). */
		return;
	}
	if (err)
		fe = XBDEV_STATE_UNKNOWN;
	if (d->closing && fe != XBDEV_STATE_CONNECTED &&
	    fe != XBDEV_STATE_CLOSING) {
		/* Nobody to wait for. */
		fe = XBDEV_STATE_CLOSED;
	}
	frontend_changed(d, fe, online);
}

void blk_xb_reevaluate(struct blk_dev *d)
{
	d->reeval_at = 0;
	reevaluate(d, false);
}

void blk_xb_events(struct blk_dev *d, unsigned fired)
{
	if (d->exit)
		return;
	if ((fired & BLK_EV_REL) && !frontend_alive(d)) {
		blk_log(d, "frontend domain %u is gone", d->fe_domid);
		close_for_good(d, "frontend domain died");
		leave(d, "frontend domain died", 0);
		return;
	}
	/* The states now, not as each event found them: one evaluation
	 * stands for every event of the batch. */
	if (fired & (BLK_EV_BE | BLK_EV_FE)) {
		d->reeval_at = 0;
		reevaluate(d, fired & BLK_EV_BE);
	}
}

static unsigned token_bit(const char *token)
{
	if (!strcmp(token, TOKEN_BE))
		return BLK_EV_BE;
	if (!strcmp(token, TOKEN_FE))
		return BLK_EV_FE;
	if (!strcmp(token, TOKEN_REL))
		return BLK_EV_REL;
	if (!strcmp(token, TOKEN_CTL))
		return BLK_EV_CTL;
	return 0;
}

void blk_xb_watches(struct blk_dev *d, unsigned max)
{
	unsigned fired = 0;

	for (unsigned i = 0; i < max; i++) {
		char *path = NULL, *token = NULL;
		int err = xbdev_watch_read(d->xs, &path, &token);

		if (err) {
			if (err != -EAGAIN) {
				blk_log(d, "xenstore connection: %s",
					strerror(-err));
				leave(d, "no more watch events", 1);
			}
			break;
		}
		fired |= token_bit(token);
		free(path);
		free(token);
	}
	if (fired & BLK_EV_CTL)
		d->ctl_due = true;
	blk_xb_events(d, fired);
}

struct renew_ctx {
	struct blk_dev *d;
	const struct xbdev_record *rec;
};

static int retire_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	return xbdev_frontend_retire(x, t, arg);
}

/* The new directory and our InitWait in one commit: a driver probing the
 * new device must not find us Closed (xen-blkfront would close it). */
static int recreate_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct renew_ctx *c = arg;
	int err = xbdev_frontend_recreate(x, t, c->rec);

	return err ? err : probe_txn(x, t, c->d);
}

void blk_xb_renew(struct blk_dev *d)
{
	struct xbdev_record rec;
	struct renew_ctx c = { d, &rec };
	struct timespec gap = { RENEW_GAP_MS / 1000,
				(RENEW_GAP_MS % 1000) * 1000000L };
	int err;

	d->renew_at = 0;
	err = xbdev_record_read(d->xs, XBDEV_TXN_NONE, d->fe_domid,
				BLK_FRONTEND_CLASS, d->devid, &rec);
	if (!err)
		err = xbdev_txn(d->xs, retire_txn, &rec);
	if (err) {
		if (err != -EBUSY)
			blk_log(d, "frontend left Closed; cannot renew its "
				"directory: %s", err == -ENOENT ?
				"the record keeps no copy of it (attached by "
				"an older xbdev)" : strerror(-err));
		return;
	}
	blk_log(d, "frontend left Closed (driver unbound or unloaded): "
		"removed its directory, recreating it in %d ms", RENEW_GAP_MS);
	/* The guest drops its old device when it reads that watch event and
	 * finds the directory gone; it must not find the new one yet. */
	nanosleep(&gap, NULL);
	err = xbdev_txn(d->xs, recreate_txn, &c);
	if (err) {
		blk_log(d, "frontend directory not recreated: %s",
			err == -EBUSY ? "the device is being detached"
				      : strerror(-err));
		return;
	}
	blk_log(d, "frontend directory recreated (Initialising); state %s -> "
		"InitWait", xbdev_state_name(d->state));
	d->state = XBDEV_STATE_INITWAIT;
	d->info_dirty = true;
}

/* ---- a disk of libxl's that we cannot serve -------------------------------- */

static int refuse_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct blk_dev *d = arg;
	int err = be_dir_present(x, t, d);

	if (!err)
		err = wr(d, t, d->be_path, "hotplug-error", "%s", d->why[0] ?
			 d->why : "xbdev-blkback cannot serve this disk");
	if (!err)
		err = wr(d, t, d->be_path, XBDEV_BE_STATUS, "error");
	if (!err)
		err = xbdev_state_write(x, t, d->be_path,
					XBDEV_STATE_INITWAIT);
	return err;
}

/* libxl runs the hotplug script only after our InitWait, and the script
 * passes our reason on (hotplug-error): so InitWait with the reason, then
 * Closed when libxl closes the device (online 0, Closing) - a plain Closed
 * now would leave libxl waiting 10 s for an InitWait and say only that.
 * A failed xl create destroys the domain, which closes it at once; a
 * failed xl block-attach leaves libxl's directories in place, as it does
 * for any backend, until xl block-detach, whose close we answer: till
 * then this process waits, holding nothing (no image, no ring). */
int blk_xb_refuse(struct blk_dev *d)
{
	int err = xbdev_txn(d->xs, refuse_txn, d);

	if (err)
		return err;
	blk_log(d, "cannot serve the disk; told libxl: %s", d->why);
	d->state = XBDEV_STATE_INITWAIT;
	err = xbdev_watch(d->xs, d->be_path, TOKEN_BE);
	while (!err) {
		struct blk_be_seen *b = &d->be_seen;
		char *path = NULL, *token = NULL;

		if (!read_backend(d, true))
			return 0;       /* libxl removed it */
		if (!b->online || (!b->state_err &&
				   b->state == XBDEV_STATE_CLOSING))
			break;
		err = xbdev_watch_next(d->xs, -1, &path, &token);
		free(path);
		free(token);
		if (err == -EINTR)
			err = 0;
	}
	set_state(d, XBDEV_STATE_CLOSED);
	return err;
}

void blk_xb_shutdown(struct blk_dev *d, const char *why)
{
	blk_log(d, "%s: orderly close", why);
	close_for_good(d, why);
	leave(d, why, 0);
}

void blk_xb_fini(struct blk_dev *d)
{
	blk_pub_stop(d);
	if (d->xs && d->nr_queues)
		disconnect(d, "exit");
	unmap_queues(d);
	if (d->xs && d->be_path[0] && d->state != XBDEV_STATE_UNKNOWN)
		blk_xb_publish(d, true);
	blk_io_fini(d);
	blk_io_unmap(d);
	if (d->xce)
		xenevtchn_close(d->xce);
	if (d->xgt)
		xengnttab_close(d->xgt);
	if (d->fd >= 0)
		close(d->fd);
	if (d->xs)
		xbdev_close(d->xs);
	free(d->params);
	for (unsigned i = 0; i < BLK_PUB_NKEYS; i++) {
		free(d->pub[i]);
		d->pub[i] = NULL;
	}
	d->xce = NULL;
	d->xgt = NULL;
	d->xs = NULL;
}

/* ---- resize (the ctl/ request, control.c) ---------------------------------- */

/*
 * What `xbdev resize` asks (cli/resize.c writes the argument): "follow"
 * (the store was resized by someone else - lvextend, losetup -c, truncate:
 * take its size as the kernel has it now), "N" (make the image file N
 * bytes) or "+N" (N bytes more than the disk has), then " force" to allow
 * a smaller size.
 */
struct resize_req {
	bool follow, relative, force;
	uint64_t bytes;
};

static int resize_parse(const char *arg, struct resize_req *r)
{
	char buf[64], *sp;
	const char *num = buf;
	unsigned long v;
	int err;

	memset(r, 0, sizeof(*r));
	if (strlen(arg) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", arg);
	sp = strchr(buf, ' ');
	if (sp) {
		if (strcmp(sp + 1, "force"))
			return -EINVAL;
		*sp = '\0';
		r->force = true;
	}
	if (!strcmp(buf, "follow")) {
		r->follow = true;
		return 0;
	}
	if (buf[0] == '+') {
		r->relative = true;
		num++;
	}
	err = xbdev_parse_uint(num, INT64_MAX, &v);
	if (err)
		return err;
	r->bytes = v;
	return 0;
}

/* The store's size as the kernel has it now. */
static int store_size(struct blk_dev *d, bool *is_file, uint64_t *out)
{
	struct stat sb;

	if (fstat(d->fd, &sb))
		return -errno;
	*is_file = S_ISREG(sb.st_mode);
	if (*is_file)
		*out = (uint64_t)sb.st_size;
	else if (ioctl(d->fd, BLKGETSIZE64, out))
		return -errno;
	return 0;
}

/* The size r asks for (*to), and whether the image file must be truncated
 * to it (*set).  0, or -errno with the reason in msg; nothing changed. */
static int resize_target(struct blk_dev *d, const struct resize_req *r,
			 uint64_t *to, bool *set, char *msg, size_t len)
{
	unsigned ss = d->sector_size ? d->sector_size : 512;
	uint64_t now = 0, floor;
	bool is_file = false;
	int err = store_size(d, &is_file, &now);

	if (err) {
		snprintf(msg, len, "cannot read the size of %s: %s", d->params,
			 strerror(-err));
		return err;
	}
	*set = false;
	*to = now;
	if (!r->follow) {
		if (!is_file) {
			snprintf(msg, len, "%s is a block device: grow it "
				 "(lvextend, losetup -c) and use --follow",
				 d->params);
			return -EINVAL;
		}
		/* A read-only attach never modifies its image. */
		if (d->readonly) {
			snprintf(msg, len, "a read-only disk: its image is not "
				 "changed (--follow takes a size set by hand)");
			return -EROFS;
		}
		if (r->relative && r->bytes > (uint64_t)INT64_MAX - d->size) {
			snprintf(msg, len, "%llu + %llu bytes is too large",
				 (unsigned long long)d->size,
				 (unsigned long long)r->bytes);
			return -ERANGE;
		}
		*to = r->relative ? d->size + r->bytes : r->bytes;
		*set = *to != now;
	}
	if (!*to || *to % ss) {
		snprintf(msg, len, "%llu bytes%s is not a whole number of the "
			 "disk's %u-byte sectors", (unsigned long long)*to,
			 r->follow ? " (the size of the store now)" : "", ss);
		return -EINVAL;
	}
	/* Smaller than the guest's disk, or than the file (data written
	 * beyond the disk by hand): what lies past the new end is lost. */
	floor = d->size;
	if (*set && now > floor)
		floor = now;
	if (*to < floor && !r->force) {
		snprintf(msg, len, "%llu bytes is smaller than the %llu the "
			 "%s has; the data past it would be lost (--force)",
			 (unsigned long long)*to, (unsigned long long)floor,
			 floor == d->size ? "disk" : "image");
		return -EINVAL;
	}
	return 0;
}

/*
 * The guest learns it as from Linux blkback's xen_vbd_resize: the new
 * sectors (512-byte units, as at connect) and our state again, Connected,
 * in one transaction; xen-blkfront's watch on our state fires, it finds us
 * still Connected, reads sectors and sets the disk's capacity.  Only over
 * a Connected state node: one the toolstack rewrote to Closing (a detach
 * under way) is not written back.
 */
static int resize_txn(struct xbdev *x, xbdev_txn_t t, void *arg)
{
	struct blk_dev *d = arg;
	enum xbdev_state st;
	int err = be_dir_present(x, t, d);

	if (!err)
		err = xbdev_state_read(x, t, d->be_path, &st);
	if (!err && st != XBDEV_STATE_CONNECTED)
		err = -EBUSY;
	if (!err)
		err = wr(d, t, d->be_path, "sectors", "%llu",
			 (unsigned long long)d->sectors);
	if (!err)
		err = xbdev_state_write(x, t, d->be_path,
					XBDEV_STATE_CONNECTED);
	return err;
}

/* The store is now to bytes: our mapping, bounds and record follow it. */
static void resize_apply(struct blk_dev *d, uint64_t to)
{
	int err = blk_io_resize(d, to);

	if (err)
		blk_log(d, "%s: cannot map %llu bytes (%s), every request goes "
			"through a bounce buffer", d->params,
			(unsigned long long)to, strerror(-err));
	d->resized_from = d->size;
	d->resized_at = (int64_t)time(NULL);
	d->size = to;
	d->sectors = to >> BLK_SECTOR_SHIFT;
	d->lim.sectors = d->sectors;
	d->info_dirty = true;
}

/*
 * Runs in the main loop between wake-ups (control.c), so no request is
 * half taken.  Growing needs no drain: what is in flight lies within the
 * old size.  Shrinking (--force) first waits for everything in flight: a
 * write past the new end completing later would grow the file again.  The
 * answer follows the commit, and the info/ record is published first, so
 * `xbdev status` shows the new size as soon as the command returns.
 */
int blk_xb_resize(struct blk_dev *d, const char *arg, char *msg, size_t len)
{
	struct resize_req r;
	uint64_t from = d->size, to;
	bool set, connected = d->state == XBDEV_STATE_CONNECTED;
	int err = resize_parse(arg, &r);

	if (err) {
		snprintf(msg, len, "malformed resize request");
		return -EINVAL;
	}
	if (d->closing) {
		snprintf(msg, len, "the device is being detached");
		return -EBUSY;
	}
	err = resize_target(d, &r, &to, &set, msg, len);
	if (err)
		return err;
	if (to == from && !set) {
		snprintf(msg, len, "already %llu bytes",
			 (unsigned long long)to);
		return 0;
	}
	if (to < from)
		blk_io_drain(d, DRAIN_LOG_MS);
	if (set && ftruncate(d->fd, (off_t)to)) {
		err = -errno;
		snprintf(msg, len, "cannot resize %s: %s", d->params,
			 strerror(-err));
		return err;
	}
	resize_apply(d, to);
	err = connected ? xbdev_txn(d->xs, resize_txn, d) : 0;
	blk_xb_publish(d, true);
	if (err) {
		snprintf(msg, len, "%llu -> %llu bytes, but the guest was not "
			 "told: %s", (unsigned long long)from,
			 (unsigned long long)to, err == -EBUSY ?
			 "the device is closing" : strerror(-err));
		return err;
	}
	snprintf(msg, len, "%llu -> %llu bytes%s", (unsigned long long)from,
		 (unsigned long long)to, connected ? "" :
		 " (the guest sees it when it connects)");
	return 0;
}
