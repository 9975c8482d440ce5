/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: the xbdev control-plane library.
 *
 * Every function returns 0 (or a non-negative value where documented) on
 * success and a negative errno on failure.  The library never prints; it
 * reports details through an optional log callback.
 *
 * All xenstore access of cli/, backend/ and frontend/ goes through this
 * header: paths are built by xbdev_path_*(), permissions are applied by
 * xbdev_set_perms(), and every multi-node write goes through xbdev_txn().
 *
 * This is the contract other parts build on; extend it, but keep existing
 * signatures stable (or update every caller in the same commit).
 */
#ifndef XBDEV_H
#define XBDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xbdev;          /* library context: one xenstore connection */
struct xs_handle;

/* ---- context ----------------------------------------------------------- */

/* Open a connection to xenstore (honours XENSTORED_PATH). */
int xbdev_open(struct xbdev **out);
void xbdev_close(struct xbdev *x);

typedef void (*xbdev_log_fn)(void *data, int priority, const char *fmt,
			     va_list ap);
void xbdev_set_log_fn(struct xbdev *x, xbdev_log_fn fn, void *data);
/* Once fd (>= 0; -1: none) is readable, the library's waits on x
 * (xbdev_watch_next, xbdev_wait_state, xbdev_monitor) return -ECANCELED.
 * For a signal handler that writes a byte to a pipe whose read end is fd:
 * unlike EINTR, a signal that arrives between two waits is not lost. */
void xbdev_set_cancel_fd(struct xbdev *x, int fd);

/* File descriptor to poll() for watch events. */
int xbdev_fileno(struct xbdev *x);

/* ---- names and limits -------------------------------------------------- */

#define XBDEV_NAME_MAX   64     /* class / key path component */
#define XBDEV_VALUE_MAX  2048   /* xenstored's value limit */
#define XBDEV_PATH_MAX   3072   /* XENSTORE_ABS_PATH_MAX */
#define XBDEV_DEVID_MAX  ((1u << 31) - 1)
/* Highest domain id (DOMID_FIRST_RESERVED - 1); XBDEV_DOMID_ANY: "any
 * domain" where a function names one. */
#define XBDEV_DOMID_MAX  0x7fefu
#define XBDEV_DOMID_ANY  0x7ff5  /* DOMID_ANY */

/* A class or key: [A-Za-z0-9_-][A-Za-z0-9_.-]*, not "." or "..", no '/'.
 * Keys may contain '/' separated components when allow_slash is set
 * (each component then obeys the same rule). */
int xbdev_validate_name(const char *name, bool allow_slash);
/* A value: printable, no control characters, at most XBDEV_VALUE_MAX-1. */
int xbdev_validate_value(const char *value);

/* Untrusted text made safe for a log line or a terminal: a backslash as
 * "\\", every byte below 0x20 or from 0x7f up as "\xNN" (so no escape
 * sequence, newline or UTF-8 a terminal could misread gets through).
 * Truncated to len - 1 bytes, ending in "..." when cut.  Returns buf. */
#define XBDEV_ESCAPED_MAX(n) (4 * (n) + 1)
const char *xbdev_escape(char *buf, size_t len, const char *s);

/* Strict unsigned decimal parse, no sign, no spaces, no leading '+'. */
int xbdev_parse_uint(const char *s, unsigned long max, unsigned long *out);

/* ---- XenBus states ----------------------------------------------------- */

enum xbdev_state {
	XBDEV_STATE_UNKNOWN = 0,
	XBDEV_STATE_INITIALISING = 1,
	XBDEV_STATE_INITWAIT = 2,
	XBDEV_STATE_INITIALISED = 3,
	XBDEV_STATE_CONNECTED = 4,
	XBDEV_STATE_CLOSING = 5,
	XBDEV_STATE_CLOSED = 6,
	XBDEV_STATE_RECONFIGURING = 7,
	XBDEV_STATE_RECONFIGURED = 8,
};
#define XBDEV_STATE_MAX XBDEV_STATE_RECONFIGURED

const char *xbdev_state_name(int state);     /* "Connected"; "none" if < 0
						 (no state node); "?" if bad */
/* Accepts a number 0..8 or a name (case-insensitive). */
int xbdev_state_parse(const char *s, enum xbdev_state *out);

/* ---- paths (the one place they are built) ------------------------------ */

/* Each writes into buf (XBDEV_PATH_MAX) and returns -ENAMETOOLONG on
 * truncation, -EINVAL on an invalid name. */
/* /local/domain/<dom>, or /local/domain/<dom>/<sub> (sub: a key, '/'
 * allowed between components, e.g. "device", "name"). */
int xbdev_path_domain(char *buf, size_t len, unsigned dom, const char *sub);
int xbdev_path_frontend(char *buf, size_t len, unsigned fe,
			const char *cls, unsigned devid);
int xbdev_path_backend(char *buf, size_t len, unsigned be,
		       const char *type, unsigned fe, unsigned devid);
int xbdev_path_record(char *buf, size_t len, unsigned fe,
		      const char *cls, unsigned devid);
/* dir + "/" + key, validated. */
int xbdev_path_join(char *buf, size_t len, const char *dir, const char *key);

/* What a xenstore path (a watch event's) is, by its exact structure:
 * ids as xbdev_parse_uint() takes them (within the domid and devid
 * limits), classes and types as xbdev_validate_name() does. */
enum xbdev_path_kind {
	XBDEV_PATH_OTHER,       /* none of these (e.g. a guest's data/) */
	/* /local/domain, /local/domain/<dom>, <dom>/device,
	 * <dom>/device/<class>, <dom>/backend, <dom>/backend/<type>,
	 * <dom>/backend/<type>/<fe>: a directory that holds devices */
	XBDEV_PATH_TREE,
	XBDEV_PATH_FRONTEND,    /* /local/domain/<dom>/device/<class>/<devid>[/...] */
	XBDEV_PATH_BACKEND,     /* /local/domain/<dom>/backend/<type>/<fe>/<devid>[/...] */
	XBDEV_PATH_RECORD,      /* /xbdev[/...] */
	XBDEV_PATH_DOMAINS,     /* @releaseDomain, @introduceDomain */
};

struct xbdev_path_parts {
	enum xbdev_path_kind kind;
	unsigned dom;           /* the <dom> of /local/domain/<dom> */
	unsigned fe, devid;     /* FRONTEND (fe = dom) and BACKEND */
	char name[XBDEV_NAME_MAX + 1];  /* class or type, once reached */
	size_t dir_len;         /* FRONTEND/BACKEND: the device directory's
				 * length in the path */
	const char *rest;       /* what follows it in the path: "" (the
				 * directory itself) or "/<key>..." */
};

void xbdev_path_parse(const char *path, struct xbdev_path_parts *out);

/* ---- raw node access (for backend/ and frontend/) ---------------------- */

/* Transaction handle: 0 (XBT_NULL) means "no transaction". */
typedef uint32_t xbdev_txn_t;
#define XBDEV_TXN_NONE ((xbdev_txn_t)0)

/* Read a node into a private, NUL-terminated, malloc'd copy. */
int xbdev_read(struct xbdev *x, xbdev_txn_t t, const char *path, char **out);
/* Read a bounded unsigned integer (strict parse, see xbdev_parse_uint). */
int xbdev_read_uint(struct xbdev *x, xbdev_txn_t t, const char *path,
		    unsigned long max, unsigned long *out);
int xbdev_write(struct xbdev *x, xbdev_txn_t t, const char *path,
		const char *value);
int xbdev_writef(struct xbdev *x, xbdev_txn_t t, const char *path,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int xbdev_rm(struct xbdev *x, xbdev_txn_t t, const char *path);
/* List children; *out is a malloc'd array of *n malloc'd strings. */
int xbdev_ls(struct xbdev *x, xbdev_txn_t t, const char *path,
	     char ***out, unsigned *n);
void xbdev_strv_free(char **v, unsigned n);

/* Read/write a device's "state" node under dir. */
int xbdev_state_read(struct xbdev *x, xbdev_txn_t t, const char *dir,
		     enum xbdev_state *out);
int xbdev_state_write(struct xbdev *x, xbdev_txn_t t, const char *dir,
		      enum xbdev_state st);

/* ---- permissions (the one place they are applied) ---------------------- */

enum xbdev_perm { XBDEV_PERM_NONE, XBDEV_PERM_READ, XBDEV_PERM_WRITE,
		  XBDEV_PERM_BOTH };
struct xbdev_acl_entry { unsigned domid; enum xbdev_perm perm; };

/* Entry 0 is the owner and the default for everyone else. */
int xbdev_set_perms(struct xbdev *x, xbdev_txn_t t, const char *path,
		    const struct xbdev_acl_entry *acl, unsigned n);
/* [{owner,NONE},{reader,READ}]: the split-driver directory ACL.
 * When owner == reader only the owner entry is written. */
int xbdev_set_perms_owner_reader(struct xbdev *x, xbdev_txn_t t,
				 const char *path, unsigned owner,
				 unsigned reader);
/* Read a node's ACL (entry 0 = owner and default); *acl is malloc'd. */
int xbdev_get_perms(struct xbdev *x, xbdev_txn_t t, const char *path,
		    struct xbdev_acl_entry **acl, unsigned *n);

/* ---- trust (lib/trust.c) -------------------------------------------------
 *
 * A process in domain self takes what to open, or how, only from nodes no
 * domain but self and dom0 (the toolstack) can write.
 */

/* The id of the domain this process runs in: the relative node "domid"
 * (xenstored resolves it under the caller's /local/domain/<id>/, where the
 * toolstack writes it); without it, 0 in the control domain
 * (/proc/xen/capabilities says control_d).  -ENOENT when neither works. */
int xbdev_self_domid(struct xbdev *x, unsigned *domid);
/* A domain other than self and 0 that acl lets write the node (the owner,
 * an entry with write, or XBDEV_DOMID_ANY when the default grants write),
 * -1 when there is none, -EINVAL for an empty acl. */
int xbdev_acl_foreign_writer(const struct xbdev_acl_entry *acl, unsigned n,
			     unsigned self);
/* 0 when no domain but self and 0 can write path, -EPERM (logged) when
 * one can, -ENOENT when path does not exist. */
int xbdev_node_trusted(struct xbdev *x, xbdev_txn_t t, const char *path,
		       unsigned self);

/* ---- transactions ------------------------------------------------------ */

/* Run fn inside a transaction; retried from scratch on EAGAIN (up to a
 * bound).  fn must be idempotent and must not keep results of a failed
 * attempt. Returns fn's error, or the commit error. */
typedef int (*xbdev_txn_fn)(struct xbdev *x, xbdev_txn_t t, void *arg);
int xbdev_txn(struct xbdev *x, xbdev_txn_fn fn, void *arg);

/* ---- watches -----------------------------------------------------------
 *
 * xenstored fires every watch once when it is registered.  Events that
 * xbdev_wait_state() reads for other tokens are queued inside the context
 * and handed out first by xbdev_watch_next()/xbdev_watch_read(); a poll()
 * loop should therefore drain xbdev_watch_read() until -EAGAIN after a
 * wait, since the fd may not signal queued events.
 */

/* path: absolute, or "@releaseDomain" / "@introduceDomain". */
int xbdev_watch(struct xbdev *x, const char *path, const char *token);
int xbdev_unwatch(struct xbdev *x, const char *path, const char *token);
/* Wait for one watch event until deadline (CLOCK_MONOTONIC ms; -1 = none).
 * Returns 0 with malloc'd *path and *token, -ETIMEDOUT, -EINTR. */
int xbdev_watch_next(struct xbdev *x, int64_t deadline_ms, char **path,
		     char **token);
/* Non-blocking variant for poll() loops: -EAGAIN when nothing pending. */
int xbdev_watch_read(struct xbdev *x, char **path, char **token);

/* Wait until the state node under dir satisfies pred (or deadline).
 * on_change (optional) is called for every distinct state seen, first with
 * the current one.  Returns 0 when pred held, -ETIMEDOUT, -EINTR, -ENOENT
 * when the state node (or its directory) is gone, -EINVAL/-ERANGE when the
 * node does not hold a state number. */
typedef bool (*xbdev_state_pred)(enum xbdev_state st, void *arg);
int xbdev_wait_state(struct xbdev *x, const char *dir, xbdev_state_pred pred,
		     void *arg, int64_t deadline_ms,
		     void (*on_change)(enum xbdev_state st, void *arg));

int64_t xbdev_now_ms(void);    /* CLOCK_MONOTONIC in ms */

/* ---- domains ----------------------------------------------------------- */

/* Resolve a name or numeric id to a live domid (libxenlight when it works,
 * else /local/domain/<id>/name in xenstore).  -ENOENT if unknown,
 * -ESRCH if dying, -ERANGE for a number above XBDEV_DOMID_MAX. */
int xbdev_domain_resolve(struct xbdev *x, const char *name_or_id,
			 unsigned *domid);
/* malloc'd name of domid (from /local/domain/<id>/name; "Domain-0" for a
 * nameless dom0). */
int xbdev_domain_name(struct xbdev *x, unsigned domid, char **name);
/* Ids of every domain that has a /local/domain/<id> directory, ascending;
 * *domids is malloc'd. */
int xbdev_domain_list(struct xbdev *x, unsigned **domids, unsigned *n);
/* 1 when domain domid is gone: unknown (libxenlight, else no
 * /local/domain/<id>) or dying; 0 while it lives; -errno when it cannot
 * be told. */
int xbdev_domain_gone(struct xbdev *x, unsigned domid);

/* ---- virtual block device names (xen-vbd-interface(7)) ---------------- */

/* "xvdb" -> 51728; also xvdq (extended encoding), sda1, hdc, d1p2 and a
 * bare number below 1 << 29.  -EINVAL for a malformed name, -ERANGE for a
 * disk or partition the encoding cannot express. */
int xbdev_vdev_parse(const char *s, unsigned *devid);
/* Canonical name of devid ("xvdb", "sda1", "hdc"); the decimal number for
 * ids that no name encodes. */
int xbdev_vdev_name(unsigned devid, char *buf, size_t len);
/* 0 when Linux blkfront takes devid as a disk: the extended xvd form, or
 * a major it translates (xvd 202, IDE 3 and 22, SCSI 8, 65-71, 128-135);
 * -EINVAL for any other id (such as 3: blkfront refuses the device). */
int xbdev_vdev_check(unsigned devid);

/* ---- xl disk specs (lib/xldisk.c) --------------------------------------
 *
 * The DISKSPEC of xl-disk-configuration(5), as `xl block-attach` takes it:
 * comma-separated parameters, whitespace before each ignored (and, here,
 * after each but target), key=value pairs, flags and the positional
 * target, format, vdev, access; `target=` takes the rest of the string
 * (commas too) and so comes last; the deprecated prefixes (raw:, phy:,
 * file:, aio:, tap:, ...) and vdev:devtype.  Each parameter at most once.
 * What xbdev cannot honour is refused, never ignored.
 */
enum xbdev_xldisk_why {
	XBDEV_XLDISK_OK,
	XBDEV_XLDISK_SYNTAX,            /* token: not a parameter */
	XBDEV_XLDISK_UNKNOWN_KEY,       /* key: not an xl disk parameter */
	XBDEV_XLDISK_BAD_VALUE,         /* key's value token is not one xl knows */
	XBDEV_XLDISK_UNSUPPORTED,       /* key (=token): valid for xl, not here */
	XBDEV_XLDISK_NOT_RAW,           /* format token: xbdev serves raw only */
	XBDEV_XLDISK_TWICE,             /* key given twice (different values) */
	XBDEV_XLDISK_TOO_MANY,          /* token: a fifth positional parameter */
	XBDEV_XLDISK_NO_TARGET,         /* no target (xl: an empty CD-ROM) */
	XBDEV_XLDISK_TOO_LONG,          /* the spec is longer than a value */
};

struct xbdev_xldisk {
	/* Into buf; NULL when not given (vdev, backend empty: not given). */
	const char *target;     /* "/dev/" prepended to a relative path */
	const char *vdev;       /* valid for xbdev_vdev_parse */
	/* -1: not given, else 0/1 (backendtype: enum xbdev_vbd_backend). */
	int readonly, cdrom, discard, trusted, backendtype;
	bool format_raw;        /* "raw" given: format=, positional, raw: */
	bool direct_io_safe;
	/* Why -EINVAL: the parameter's name, and the text refused (both
	 * from the caller's string: escape them before a terminal). */
	enum xbdev_xldisk_why why;
	char key[32], token[64];
	char buf[2 * XBDEV_VALUE_MAX + 8];
};
/* 0, or -EINVAL with out->why, key and token saying what was refused. */
int xbdev_xldisk_parse(const char *spec, struct xbdev_xldisk *out);

/* ---- device lifecycle -------------------------------------------------
 *
 * A device is identified by its frontend domain, frontend class and device
 * id.  xbdev keeps a dom0-only record of every device it created at
 * /xbdev/<fe>/<class>/<devid> (see HACKING.md); detach and status act on
 * the paths found in that record, never on nodes a guest could rewrite.
 */

struct xbdev_kv {
	const char *key;        /* relative to the device directory */
	const char *value;
};

/* Who serves a disk (what xl calls backendtype). */
enum xbdev_vbd_backend {
	XBDEV_VBD_XBDEV,        /* xbdev-blkback, backend type xbdev-vbd */
	XBDEV_VBD_PHY,          /* the dom0 kernel's blkback, type vbd: a
				 * block device, by its physical-device */
	XBDEV_VBD_QDISK,        /* QEMU's xen-block, type qdisk, params
				 * "aio:PATH" (a raw image) */
};
/* "xbdev", "phy", "qdisk" (-EINVAL for anything else); the name, and the
 * backend type its directories are written under ("xbdev-vbd", "vbd",
 * "qdisk"); "?" for a value out of range. */
int xbdev_vbd_backend_parse(const char *name, enum xbdev_vbd_backend *out);
const char *xbdev_vbd_backend_name(enum xbdev_vbd_backend b);
const char *xbdev_vbd_backend_type(enum xbdev_vbd_backend b);

/* A block device (class vbd) with a disk: served by xbdev's own backend
 * (type xbdev-vbd), or written for the kernel's blkback or QEMU. */
struct xbdev_vbd {
	const char *params;     /* absolute path of the disk image */
	bool readonly;          /* mode "r" instead of "w" */
	bool cdrom;             /* device-type "cdrom", removable */
	/* Skip the one-writer rule (xbdev_image_in_use) for this device, and
	 * its backend takes no lock on the image: for a cluster file system
	 * whose guests coordinate their writes themselves.  Kept in the
	 * record as "shared" = "1". */
	bool shared;
	/* I/O limits (lib/limit.c's canonical spec), kept in the record as
	 * XBDEV_RECORD_LIMIT for its backend; NULL: none. */
	const char *limit;
	enum xbdev_vbd_backend backend;
	bool no_discard;        /* discard-enable = 0 (also when readonly) */
	bool direct_io_safe;    /* backend node direct-io-safe = 1 */
	/* Frontend node "trusted" (Linux blkfront bounces every request of
	 * an untrusted backend): written when trusted_set. */
	bool trusted_set, trusted;
	/* params is a block device (set by xbdev_image_check): backend node
	 * type "phy" (else "file"), and its device number for blkback's
	 * physical-device. */
	bool blockdev;
	unsigned major, minor;
	/* The sector sizes the guest is told (backend nodes sector-size and
	 * physical-sector-size), 0 = the backend's default; checked by
	 * xbdev_image_check (xbdev_sector_fit) and kept in the record as
	 * XBDEV_RECORD_SECTOR_SIZE / _PHYS_SECTOR_SIZE. */
	unsigned sector_size, phys_sector_size;
};

struct xbdev_attach_spec {
	unsigned fe;            /* frontend domid */
	unsigned be;            /* backend domid */
	const char *cls;        /* frontend class, e.g. "vbd", "mydevice" */
	const char *be_type;    /* backend type; NULL = cls */
	unsigned devid;
	/* Pick the id inside attach's transaction, so that attaches running
	 * at once each get another one: for a vbd the lowest free xvda..xvdz
	 * (xbdev_vdev_free), else the lowest id free on both sides
	 * (xbdev_devid_free). */
	bool devid_auto;
	const struct xbdev_kv *front, *back;    /* extra nodes */
	unsigned n_front, n_back;
	const struct xbdev_vbd *vbd;    /* NULL unless a vbd with a disk */
	/* Backend daemon started as "daemon <backend-path>" after the commit
	 * (only for be 0, the domain it runs in: else -EPERM),
	 * or NULL.  Its output is appended to log_dir/<class>-<fe>-<devid>.log
	 * (log_dir NULL: /var/log/xbdev). */
	const char *daemon;
	const char *log_dir;
	int64_t created;        /* unix time stored in the record */
	/* Re-plug of a CD-ROM (xbdev_media_spec): the record of the device
	 * must be an ejected drive (-EBUSY when a medium is in, -ENOENT when
	 * there is no record, -EEXIST when a directory exists), replaced by
	 * the new one in attach's transaction. */
	bool insert_media;
};

enum xbdev_side {
	XBDEV_SIDE_FRONTEND,
	XBDEV_SIDE_BACKEND,
	XBDEV_SIDE_RECORD,
};
const char *xbdev_side_name(enum xbdev_side side); /* "frontend", ... */

/* One node an attach writes, with the ACL it ends up with. */
struct xbdev_node {
	enum xbdev_side side;
	char *path;
	char *value;            /* "" for the directories themselves */
	bool explicit_acl;      /* set by xbdev_set_perms(), not inherited */
	struct xbdev_acl_entry acl[2];
	unsigned n_acl;
};

/* Everything an attach writes, in write order: each directory (with its
 * ACL) before its nodes, the frontend's state first and the backend's
 * state last (the backend's probe reads the frontend's state). */
struct xbdev_plan {
	unsigned fe, be, devid;
	char cls[XBDEV_NAME_MAX + 1], type[XBDEV_NAME_MAX + 1];
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX];
	char rec_dir[XBDEV_PATH_MAX];
	struct xbdev_node *nodes;
	unsigned n_nodes;
	char *daemon, *log;     /* served devices only */
	long pid;               /* daemon pid after xbdev_attach(), else 0 */
};

/* Which extra node of spec (spec->front[*index] or spec->back[*index],
 * *side saying which) repeats an earlier one or names a node xbdev
 * writes itself: 0, or -ENOENT when none does (what -ENOTUNIQ of
 * xbdev_attach_plan was about). */
int xbdev_attach_collision(const struct xbdev_attach_spec *spec,
			   enum xbdev_side *side, unsigned *index);

/* Build the plan of spec without touching xenstore (spec->devid_auto is
 * ignored: spec->devid is used).  -EINVAL for a bad name, key or value,
 * -ENOTUNIQ when an extra node collides with one xbdev writes or repeats,
 * -ENAMETOOLONG past xenstore's limits.  Used by --dry-run. */
int xbdev_attach_plan(const struct xbdev_attach_spec *spec,
		      struct xbdev_plan **out);
void xbdev_plan_free(struct xbdev_plan *p);

/* When this attach is about to create /local/domain/<fe>/device or
 * /local/domain/<be>/backend, add the dom0-only marker
 * /xbdev/parents/<fe>-device or /xbdev/parents/<be>-backend to p, so that
 * the detach that leaves such a directory empty removes it again (xenstore
 * is left as xbdev found it).  attach calls it inside its transaction;
 * --dry-run calls it to print the same plan. */
int xbdev_plan_parents(struct xbdev *x, xbdev_txn_t t, struct xbdev_plan *p);

/* Lowest id of class cls (backend type type) of frontend fe that has no
 * frontend directory, backend directory (under domain be) or record. */
int xbdev_devid_free(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		     const char *cls, unsigned be, const char *type,
		     unsigned *devid);

/* Lowest xvda..xvdz id with neither a frontend vbd directory, a backend
 * directory of type be_type under domain be, nor a record in domain fe
 * (-ENOSPC when all are taken). */
int xbdev_vdev_free(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		    unsigned be, const char *be_type, unsigned *devid);

/* -EEXIST when a directory p would create (frontend, backend, record)
 * exists already, *side (optional) saying which; 0 when none does, or the
 * error of a read.  What attach checks in its transaction; --dry-run
 * asks it outside one. */
int xbdev_plan_conflict(struct xbdev *x, xbdev_txn_t t,
			const struct xbdev_plan *p, enum xbdev_side *side);

/* Set spec->devid to the lowest free id for spec (xbdev_vdev_free for a
 * vbd, else xbdev_devid_free): what attach does inside its transaction
 * with spec->devid_auto; --dry-run calls it outside one. */
int xbdev_attach_pick_devid(struct xbdev *x, xbdev_txn_t t,
			    struct xbdev_attach_spec *spec);

/* What --dry-run shows: spec's plan as xbdev_attach would write it now,
 * outside a transaction (with spec->devid_auto, spec->devid is picked
 * first; x NULL: the plan alone, nothing read).  -EEXIST with *conflict
 * when a directory exists already; a directory that cannot be read is
 * left to attach's transaction to report.  *out is NULL on error. */
int xbdev_attach_preview(struct xbdev *x, struct xbdev_attach_spec *spec,
			 struct xbdev_plan **out, enum xbdev_side *conflict);

/* Path of xbdev-blkback into buf: $XBDEV_LIBEXECDIR (tests) when set and
 * not empty, else the installed XBDEV_LIBEXECDIR.  -ENAMETOOLONG. */
int xbdev_blkback_program(char *buf, size_t len);

/* Write both directories and the record in one transaction, then start the
 * daemon if any.  On -EEXIST *conflict says which directory exists.  A
 * daemon that is not executable, an unsafe log directory
 * (xbdev_log_dir_check) and, for a vbd, a disk that xbdev_image_size or
 * (unless shared) xbdev_image_in_use refuses (-EBUSY, checked in the
 * transaction) fail the attach before anything is written; when the
 * daemon cannot be started after all (fork/exec, a log that is a
 * symlink: -ELOOP), everything written is removed again.  The daemon gets
 * only fds 0-2 (/dev/null, the log twice), an empty signal mask and every
 * signal at its default.  On success *out (optional) receives the plan
 * that was written. */
int xbdev_attach(struct xbdev *x, const struct xbdev_attach_spec *spec,
		 struct xbdev_plan **out, enum xbdev_side *conflict);

/* The directory backend daemons log to (log_dir NULL: /var/log/xbdev),
 * created (0755) when missing.  -ENOTDIR when it is not a directory (or
 * a symlink to one), -EPERM when it is not owned by the caller's
 * effective user (root for a real attach) or group or others may write
 * it: someone else could then plant a symlink or file in it. */
int xbdev_log_dir_check(const char *log_dir);
#define XBDEV_LOG_DIR "/var/log/xbdev"

/* The last line of the regular file path (a backend's log, for the error
 * that says its daemon died) into buf: the final line that is not blank,
 * without its newline, cut to len - 1 bytes; only the file's last 4 KiB
 * are read.  Raw bytes (a log holds guest text): escape before printing.
 * -ENODATA when there is no such line, -EINVAL when path is not a
 * regular file, -ELOOP for a symlink (not followed), else -errno. */
int xbdev_file_last_line(const char *path, char *buf, size_t len);

/* ---- disk images (lib/image.c) -------------------------------------------
 *
 * One writer per image, as Xen's block script has it: a writable user is
 * alone, read-only users share.  An image is its inode (a block device its
 * device number), whatever path names it.
 */

/* The disk image PATH that attach --disk would serve for v: its real path
 * into resolved (PATH_MAX bytes; "" when PATH cannot be resolved, the
 * error then realpath's), then what xbdev_image_size refuses (-ENOTBLK,
 * -ENODATA, -EDOM; *size set), then the access v needs (read, and write
 * unless v->readonly), then v's sector sizes against the image
 * (xbdev_sector_fit's errors).  On success v->params = resolved, and
 * v->blockdev, major and minor say whether it is a block device, which. */
int xbdev_image_check(struct xbdev_vbd *v, const char *path, char *resolved,
		      uint64_t *size);

/* A disk image format other than raw, by its header: 0 when none is seen
 * (*name NULL), -EMEDIUMTYPE with *name "qcow", "qcow2", "qed", "vmdk",
 * "vhdx", "vhd" or "vdi" when the first sector is one's, -errno when it
 * cannot be read.  A raw disk whose guest wrote such a header looks the
 * same: only the caller can say it is raw. */
int xbdev_image_format(const char *path, const char **name);

/* Size in bytes of a file or block device: -ENODATA when empty, -EDOM when
 * not a multiple of 512 (a sector: the rest could never be read),
 * -ENOTBLK when path is neither.  size may be NULL. */
int xbdev_image_size(const char *path, uint64_t *size);
/* -EBUSY when a use of path that a (readonly or writable) user would
 * conflict with is seen, with a one-line description of that user in by
 * (may be NULL): a dom0 backend directory of type xbdev-vbd, vbd or vbd3 whose
 * params names it (read in t: run it in the transaction that writes, so
 * that of two attaches at once one sees the other), a loop device backed
 * by it, a lock as xbdev_image_lock takes (another xbdev-blkback; QEMU's
 * locks), or for a writable block device an exclusive holder in the
 * kernel (mounted, LVM, MD).  x NULL: what the kernel shows only (loop
 * devices, locks, holders), for a backend whose own directory names the
 * image. */
int xbdev_image_in_use(struct xbdev *x, xbdev_txn_t t, const char *path,
		       bool readonly, char *by, size_t len);
/* The lock a backend holds on an image while it serves it: an OFD lock on
 * the whole file, read for readonly, write otherwise; it lasts as long as
 * the open file description.  -EBUSY when a conflicting lock is held. */
int xbdev_image_lock(int fd, bool readonly);
/* Let go of it before the file is closed (other references to the open
 * file description, a mapping, would keep it). */
int xbdev_image_unlock(int fd);

/* In a served vbd's record: "1" when attached with xbdev_vbd.shared (its
 * backend then takes no lock on the image). */
#define XBDEV_RECORD_SHARED "shared"

/* ---- I/O limits of a served vbd (lib/limit.c) -------------------------
 *
 * "riops=N,wiops=N,rbps=SIZE,wbps=SIZE,burst=SECONDS" (cgroup io.max's
 * names; iops= and bps= set both directions; 0 or "max": no limit; SIZE
 * takes K, M, G, T, powers of 1024; "none" alone: no limits at all; keys
 * apply left to right).  Each direction has a bucket of requests and one
 * of bytes, of rate x burst (default 0.1 s).  The record keeps the
 * canonical form (xbdev_limit_format) as "limit" while a limit is set. */
struct xbdev_limit {
	uint64_t riops, wiops;  /* requests a second, 0: no limit */
	uint64_t rbps, wbps;    /* bytes a second, 0: no limit */
	unsigned burst_ms;
};
#define XBDEV_RECORD_LIMIT "limit"
#define XBDEV_LIMIT_SPEC_MAX 256u       /* an accepted spec is shorter */
#define XBDEV_LIMIT_BURST_MS_DEFAULT 100u
#define XBDEV_LIMIT_BURST_MS_MAX 60000u
#define XBDEV_LIMIT_IOPS_MAX 100000000ul        /* 10^8 a second */
#define XBDEV_LIMIT_BPS_MAX (1ul << 40)         /* 1 TiB a second */
/* 0 or -EINVAL (*out untouched). */
int xbdev_limit_parse(const char *spec, struct xbdev_limit *out);
/* The canonical spec ("none" without limits; burst only when not the
 * default): 0 or -ENAMETOOLONG. */
int xbdev_limit_format(const struct xbdev_limit *l, char *buf, size_t len);
/* Is any rate limited? */
bool xbdev_limit_any(const struct xbdev_limit *l);

/* In a served vbd's record, when attach was given them: the logical and
 * physical sector size its backend must offer (xbdev_vbd.sector_size,
 * phys_sector_size).  The backend reads them from the record (dom0's
 * alone), never from a node another domain can write. */
#define XBDEV_RECORD_SECTOR_SIZE "sector-size"
#define XBDEV_RECORD_PHYS_SECTOR_SIZE "physical-sector-size"

/*
 * Sector sizes of a served vbd (blkif.h as Xen 4.20 has it:
 * "sector-size" is the logical block size, only for the length and
 * alignment of requests; "sectors" and every sector field of a request
 * stay in 512-byte units).  Logical: 512 or 4096 (Linux blkfront takes
 * up to its page size); physical: a power of two from the logical size
 * up to XBDEV_SECTOR_PHYS_MAX.  0 = not asked for.
 * xbdev_sector_sizes_check: -EINVAL for a logical size, -ERANGE for a
 * physical one that is not allowed.
 * xbdev_sector_fit: that, then whether an image of size bytes whose own
 * logical block size is dev_lss (512 for a file) can be served so:
 * -EOPNOTSUPP when lss is below dev_lss (a 4096-byte device cannot do
 * 512-byte writes), -ERANGE when pss is below the logical size the guest
 * gets (lss, else dev_lss), -EDOM when size is not a multiple of that
 * logical size, or of pss when that is given (blkif: sectors * 512 a
 * multiple of physical-sector-size).
 */
#define XBDEV_SECTOR_PHYS_MAX 65536u
int xbdev_sector_sizes_check(unsigned lss, unsigned pss);
int xbdev_sector_fit(uint64_t size, unsigned dev_lss, unsigned lss,
		     unsigned pss);

/* In a record: the frontend domain's name when attach wrote it (from
 * /local/domain/<fe>/name; missing when it had none, or one longer than
 * XBDEV_DOMAIN_NAME_MAX - 1 bytes). */
#define XBDEV_RECORD_FE_NAME "frontend-name"
#define XBDEV_DOMAIN_NAME_MAX 256

/* The dom0-only record of a device, as read back. */
struct xbdev_record {
	unsigned fe, be, devid;
	char cls[XBDEV_NAME_MAX + 1], type[XBDEV_NAME_MAX + 1];
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX];
	char rec_dir[XBDEV_PATH_MAX];
	int64_t created;        /* unix time */
	int64_t detaching;      /* unix time a detach began, 0 if none */
	long pid;               /* backend daemon, 0 if none */
	char log[XBDEV_PATH_MAX];
	/* "libxl" for a disk of an xl config that xbdevd serves (its
	 * directories are libxl's), "" for one xbdev attach made. */
	char managed_by[16];
	char fe_name[XBDEV_DOMAIN_NAME_MAX];    /* "" when not recorded */
	/* A vbd attached as a CD-ROM (record "cdrom" = "1"), and its medium
	 * (record "media": the image's path, or XBDEV_MEDIA_EJECTED); ""
	 * when not a CD-ROM. */
	bool cdrom;
	char media[XBDEV_PATH_MAX];
};

/* -ENOENT when xbdev has no record of the device.  The record is trusted
 * (owner dom0, nobody else may read or write) but still validated. */
int xbdev_record_read(struct xbdev *x, xbdev_txn_t t, unsigned fe,
		      const char *cls, unsigned devid,
		      struct xbdev_record *rec);

/* Whether the daemon of rec is still running (pid alive and its command
 * line names rec's backend directory, so a recycled pid does not count). */
bool xbdev_record_daemon_alive(const struct xbdev_record *rec);
/* The same for a pid and the backend directory it serves. */
bool xbdev_daemon_alive(long pid, const char *be_dir);

/* ---- requests to a running backend daemon (lib/control.c) ---------------
 *
 * Live changes (resize, media, limits) reach the daemon serving a device
 * through its record's ctl/ directory (dom0-only), one at a time: the
 * requester writes op, arg and request = done + 1; the daemon answers with
 * result (0 or -errno), message and done = request.
 */
#define XBDEV_CTL_DIR "ctl"
#define XBDEV_CTL_REQUEST "request"
#define XBDEV_CTL_DONE "done"
#define XBDEV_CTL_OP "op"
#define XBDEV_CTL_ARG "arg"
#define XBDEV_CTL_RESULT "result"
#define XBDEV_CTL_MESSAGE "message"
#define XBDEV_CTL_SEQ_MAX 4000000000ul
#define XBDEV_CTL_ARG_MAX 1024u

struct xbdev_ctl_reply {
	int result;             /* the daemon's: 0 or -errno */
	char msg[256];          /* its one line (dom0's text, not a guest's) */
};

/* Ask rec's daemon to do op (with arg, "" if NULL) and wait for its
 * answer until deadline_ms (CLOCK_MONOTONIC, -1: none).  0 when it
 * answered (reply->result says how it went); -ESRCH when no daemon serves
 * rec; -EBUSY when another request to it is pending; -EINVAL for an empty
 * or over-long op or arg; -ETIMEDOUT / -EINTR when it did not answer in
 * time (the request is then withdrawn, though the daemon may still carry it
 * out). */
int xbdev_control(struct xbdev *x, const struct xbdev_record *rec,
		  const char *op, const char *arg, int64_t deadline_ms,
		  struct xbdev_ctl_reply *reply);

/* The daemon's side. */
struct xbdev_ctl_request {
	unsigned long seq;
	char op[XBDEV_NAME_MAX + 1];
	char arg[XBDEV_CTL_ARG_MAX + 1];
};
/* The request pending under rec_dir: 0, -ENOENT when none is, another
 * -errno when it cannot be read (req->seq is then set if one is pending:
 * answer it with the error). */
int xbdev_ctl_take(struct xbdev *x, xbdev_txn_t t, const char *rec_dir,
		   struct xbdev_ctl_request *req);
/* Answer request seq (if it is still the pending one: *written says). */
int xbdev_ctl_answer(struct xbdev *x, const char *rec_dir, unsigned long seq,
		     int result, const char *msg, bool *written);

/* What xbdev_attach_wait waits for. */
enum xbdev_attach_until {
	XBDEV_UNTIL_NOW,        /* nothing: read both states once */
	XBDEV_UNTIL_INITWAIT,   /* the backend ready (InitWait..Connected) */
	XBDEV_UNTIL_CONNECTED,  /* both ends Connected */
};

/* "none", "initwait", "connected" (what `attach --wait` takes): 0, or
 * -EINVAL for anything else. */
int xbdev_attach_until_parse(const char *name, enum xbdev_attach_until *until);

struct xbdev_attach_wait_opts {
	enum xbdev_attach_until until;
	int64_t deadline_ms;    /* xbdev_now_ms() based; -1 = none */
	/* Called when an end's state is first read and whenever it changes
	 * (optional); -1 = missing. */
	void (*on_state)(enum xbdev_side side, int old, int now, void *arg);
	void *arg;
};

/* Wait for the device attach wrote (plan p) to reach opts->until,
 * watching both state nodes; st[] gets the last states read (frontend,
 * backend; -1 missing).  0 when reached, -ETIMEDOUT past the deadline,
 * -ECONNREFUSED when an end is gone or went Closing/Closed, -ECHILD when
 * p's backend daemon (a child of this process since xbdev_attach) exited
 * (looked at every half second, and when an end closes: a daemon that
 * closes its backend and exits within half a second is -ECHILD too). */
int xbdev_attach_wait(struct xbdev *x, const struct xbdev_plan *p,
		      const struct xbdev_attach_wait_opts *opts, int st[2]);

/* Who holds up an attach that did not connect (st[] as xbdev_attach_wait
 * left it). */
enum xbdev_attach_stuck {
	XBDEV_STUCK_DAEMON,      /* backend not past Initialising: p's daemon
				  * did not take the device */
	XBDEV_STUCK_NO_BACKEND,  /* the same with no daemon: no backend driver
				  * for p's type in the backend domain */
	XBDEV_STUCK_NO_FRONTEND, /* frontend not past Initialising: no driver
				  * for the class in the guest, or not loaded */
	XBDEV_STUCK_RINGS,       /* backend not Connected: it did not accept
				  * the frontend's rings */
	XBDEV_STUCK_FRONTEND,    /* backend Connected, the frontend did not
				  * finish connecting */
};
enum xbdev_attach_stuck xbdev_attach_stuck(const struct xbdev_plan *p,
					   const int st[2]);

struct xbdev_detach_opts {
	bool force;             /* remove even if the ends do not close */
	int64_t deadline_ms;    /* xbdev_now_ms() based; -1 = none */
	/* Called for every state seen while waiting (optional). */
	void (*on_state)(enum xbdev_side side, enum xbdev_state st,
			 void *arg);
	/* Called once when the device's backend process is found gone at
	 * the start (optional; see xbdev_detach). */
	void (*on_daemon_gone)(long pid, void *arg);
	void *arg;
	/* Keep the record as an ejected drive (xbdev_media_eject): every
	 * key but those XBDEV_MEDIA_KEEP names is removed and media becomes
	 * XBDEV_MEDIA_EJECTED, in the transaction that would have removed
	 * the record. */
	bool keep_drive;
};

/* Ask the backend to close (online=0, state=Closing in one transaction),
 * wait for the frontend and then the backend to reach Closed, remove the
 * frontend directory, the backend directory, empty parents and the
 * record, then stop the daemon (SIGTERM if it does not exit by itself).
 * An end that is gone (a destroyed guest) or never left Initialising is
 * not waited for.  On -ETIMEDOUT without force nothing is removed and
 * *stuck says which end did not close; with force the frontend directory
 * is removed first and then the rest, and 0 is returned.
 * A served device whose backend process is already gone has nobody to
 * write the backend's Closed: the frontend gets its Closing and a short
 * while (at most the deadline) to close, then the device is removed as
 * with force (the frontend directory first), and 0 is returned.
 * -EPERM for a disk of an xl config (managed by libxl): nothing is done. */
int xbdev_detach(struct xbdev *x, const struct xbdev_record *rec,
		 const struct xbdev_detach_opts *opts,
		 enum xbdev_side *stuck);

/* ---- CD-ROM media (lib/media.c) -----------------------------------------
 *
 * Linux blkfront cannot change a medium in place: a backend that goes
 * Connected again only has its "sectors" re-read (blkfront_connect), the
 * block layer is never told of a new medium (no check_events) and
 * VDISK_CDROM/REMOVABLE are read once.  So eject detaches the device (in
 * order) and keeps its record as an ejected drive; insert attaches it
 * again under the same vdev and device id, read-only, as a CD-ROM.
 */
#define XBDEV_RECORD_CDROM "cdrom"
#define XBDEV_RECORD_MEDIA "media"
#define XBDEV_MEDIA_EJECTED "ejected"
/* The keys an ejected drive's record keeps (NULL-terminated). */
extern const char *const XBDEV_MEDIA_KEEP[];

/* Detach rec's device in order (xbdev_detach with opts->keep_drive set
 * here) and leave its record as an ejected drive.  -EMEDIUMTYPE when
 * rec is not a CD-ROM, -ENOMEDIUM when it is ejected already (nothing is
 * done either way); else what xbdev_detach returns. */
int xbdev_media_eject(struct xbdev *x, const struct xbdev_record *rec,
		      const struct xbdev_detach_opts *opts,
		      enum xbdev_side *stuck);
/* The attach that puts image (checked by the caller: xbdev_image_check
 * on vbd with readonly and cdrom set) into the ejected drive rec: spec
 * and vbd filled from the record (same domains, backend type, device id;
 * read-only CD-ROM; insert_media; created now; the daemon is the
 * caller's to set for type xbdev-vbd).  -EMEDIUMTYPE when rec is not a
 * CD-ROM, -EBUSY when a medium is in, -EPERM for a libxl disk, -EINVAL
 * for an unknown type. */
int xbdev_media_spec(const struct xbdev_record *rec, const char *image,
		     struct xbdev_vbd *vbd, struct xbdev_attach_spec *spec);

/* ---- devices of guests that are gone (lib/prune.c) ----------------------
 *
 * A guest destroyed, or rebooted by xl (a new domain with a new domid),
 * leaves the devices xbdev attached to it behind: their backend
 * directories, backend processes and records, under the old domid.  Only
 * records are looked at (what xbdev created, never a guest's nodes), and
 * libxl's disks (managed-by libxl) are left to libxl and xbdevd.
 */

/* The records of devices xbdev attach made whose frontend domain is gone
 * (xbdev_domain_gone), sorted by (fe, class, devid).  domid >= 0 keeps
 * those of that domain id; name (non-NULL) those whose record keeps that
 * frontend-name.  *out is malloc'd (NULL when *n is 0). */
int xbdev_gone_list(struct xbdev *x, int domid, const char *name,
		    struct xbdev_record **out, unsigned *n);
/* Remove one device that xbdev_gone_list gave: its record is read again
 * (-ENOENT when it went meanwhile, -ESTALE when it is another device now:
 * another creation time), its domain must still be gone (-EBUSY if not:
 * nothing is done), then xbdev_detach with force (so 0 once removed,
 * whether or not the ends closed within opts' deadline). */
int xbdev_prune(struct xbdev *x, const struct xbdev_record *rec,
		const struct xbdev_detach_opts *opts);

/*
 * A served device whose frontend was let go of by the guest's driver
 * (unbound or unloaded: state Closed while the device is still attached)
 * cannot be taken again by a Linux frontend driver: the guest's xenbus
 * keeps that device Closed.  The guest starts a new one when the frontend
 * directory disappears and comes back in state Initialising.  Both steps
 * run in the caller's transaction t and act only while the device is
 * attached (backend online = 1, no detach begun: else -EBUSY):
 * retire removes the frontend directory when it is Closed (-EBUSY if not,
 * -ENOENT when the record keeps no copy of it); recreate writes it again
 * from the record's copy with the attach's ACL and state Initialising
 * (-EEXIST if it exists, -ESRCH when the guest is gone).  Leave the guest
 * time to see the removal between the two (it compares what it finds
 * when it reads the watch event, so a removal read late is not seen).
 */
int xbdev_frontend_retire(struct xbdev *x, xbdev_txn_t t,
			  const struct xbdev_record *rec);
int xbdev_frontend_recreate(struct xbdev *x, xbdev_txn_t t,
			    const struct xbdev_record *rec);

/* ---- disks libxl made (lib/serve.c) -------------------------------------
 *
 * A disk of an xl config with `script=xbdev`: backend type vbd, or on Xen
 * 4.19+ with `backendtype=tap` vbd3.  libxl writes and removes both
 * directories and runs the hotplug script (hotplug/xbdev); xbdevd starts
 * one xbdev-blkback per device and keeps a record of it (managed-by =
 * libxl, pid, log) that nothing but the record's own nodes add to
 * xenstore.
 */
#define XBDEV_LIBXL_CLASS "vbd"
#define XBDEV_LIBXL_TYPE_VBD "vbd"
#define XBDEV_LIBXL_TYPE_VBD3 "vbd3"
#define XBDEV_HOTPLUG_SCRIPT "xbdev"    /* basename of the script node */
#define XBDEV_RECORD_MANAGED_BY "managed-by"
#define XBDEV_MANAGED_BY_LIBXL "libxl"
/* What the backend tells the hotplug script, in the backend directory:
 * "serving" (image open and locked, InitWait written) or "error" (then
 * hotplug-error says why). */
#define XBDEV_BE_STATUS "xbdev-status"

/* 1 when the backend directory be_dir of type type in this domain (self)
 * is one xbdev serves: a vbd or vbd3 device whose script node names the
 * xbdev hotplug script; 0 when not (no script node: a kernel blkback disk;
 * block-tap: blktap3's); -ENOENT when gone; -EPERM when a domain other
 * than self and dom0 can write the directory or its script node. */
int xbdev_libxl_device_ours(struct xbdev *x, xbdev_txn_t t, const char *type,
			    const char *be_dir, unsigned self);
/* Write the record of libxl's device (type, fe, devid, under backend
 * domain be), replacing a dead one's, and start daemon for it (argv[1]
 * the backend directory, output to log_dir/vbd-<fe>-<devid>.log); *pid
 * then.  -ENOENT when the backend directory is gone, not online, or its
 * state is Closing or Closed (a backend closed it: detached, refused),
 * -EINVAL when its frontend node is not the guest's vbd directory; the
 * record is removed again when the daemon cannot be started. */
int xbdev_libxl_serve(struct xbdev *x, unsigned be, const char *type,
		      unsigned fe, unsigned devid, const char *daemon,
		      const char *log_dir, long *pid);
/* Remove the record of a libxl device whose backend directory libxl has
 * removed (-EBUSY while it exists, -EPERM for a record attach made,
 * -ENOENT when there is none), with its empty parents. */
int xbdev_libxl_forget(struct xbdev *x, unsigned be, const char *type,
		       unsigned fe, unsigned devid);
/* Take device vbd-<fe>-<devid> from the dom0 kernel's xen-blkback, which
 * binds every backend/vbd device when it appears: waits until
 * deadline_ms (xbdev_now_ms) for the kernel to create the device when
 * the driver is loaded, then unbinds it (sysfs; the device keeps its
 * state).  1 when it was unbound, 0 when nothing had it (or type is not
 * vbd), -EBUSY when it is still bound after, -errno. */
int xbdev_kernel_release(const char *type, unsigned fe, unsigned devid,
			 int64_t deadline_ms);

/* ---- status -------------------------------------------------------------- */

enum xbdev_health {
	XBDEV_HEALTH_OK,            /* both ends Connected */
	XBDEV_HEALTH_CONNECTING,    /* on the way, within the stuck limit */
	XBDEV_HEALTH_STUCK,         /* not connected for too long (since) */
	XBDEV_HEALTH_CLOSING,       /* an end is Closing/Closed, or detaching */
	XBDEV_HEALTH_ORPHANED,      /* one side (or both) missing */
	XBDEV_HEALTH_INCONSISTENT,  /* the sides do not point at each other */
	/* The backend process xbdev attach started for the device is gone,
	 * and no detach is under way: nobody serves the device, whatever
	 * its states say. */
	XBDEV_HEALTH_BACKEND_DEAD,
	/* libxl's primary console (backend/console/N/0, its frontend
	 * /local/domain/N/console): xenconsoled serves it from the ring the
	 * domain builder set up, with no XenBus handshake to judge. */
	XBDEV_HEALTH_CONSOLE,
	/* A CD-ROM drive whose medium was ejected: the record alone, no
	 * directories (xbdev_media_eject). */
	XBDEV_HEALTH_EJECTED,
};
const char *xbdev_health_name(enum xbdev_health h);   /* "ok", ... */

/* A device is "stuck" when it is not connected this long after creation. */
#define XBDEV_STUCK_AFTER_S 30

struct xbdev_dev_status {
	unsigned fe, be, devid;
	char cls[XBDEV_NAME_MAX + 1], type[XBDEV_NAME_MAX + 1];
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX];
	bool has_front, has_back, has_record;
	int fe_state, be_state;     /* -1 when missing or unreadable */
	enum xbdev_health health;
	int64_t since;              /* unix time: stuck/closing since, or 0 */
	long pid;                   /* daemon from the record, 0 if none */
	bool pid_alive;
	/* With a record: "libxl" for a disk of an xl config (xbdevd serves
	 * it, libxl owns its directories), else "xbdev" (xbdev attach). */
	char managed_by[16];
	/* The frontend domain has no /local/domain/<fe> any more (destroyed,
	 * or rebooted by xl under a new domid). */
	bool fe_gone;
	/* With a record: its frontend-name ("" when none). */
	char fe_name[XBDEV_DOMAIN_NAME_MAX];
	/* Class vbd: the backend directory's params node (the disk: a path,
	 * or "aio:PATH" for libxl's vbd3), "" when it has none. */
	char params[XBDEV_VALUE_MAX];
	/* With a record of a CD-ROM: its media (a path or "ejected"). */
	char media[XBDEV_PATH_MAX];
};

/* Every device on the host found from the backend dirs, the frontend dirs
 * and xbdev's records, sorted by (fe, class, devid).  domid >= 0 keeps the
 * devices whose frontend or backend is in that domain.  now is the unix
 * time used for the stuck verdict. */
int xbdev_status_list(struct xbdev *x, int domid, int64_t now,
		      struct xbdev_dev_status **out, unsigned *n);

/* ---- grant use of a served vbd (lib/grants.c) ---------------------------- */

/* The grant keys a vbd's xbdev-blkback publishes under its record's info/
 * (backend/publish.c); status's JSON "grants" object has the same names. */
enum xbdev_grant_key {
	XBDEV_GRANT_MAPPED,         /* persistent-grants: mapped now */
	XBDEV_GRANT_MAX,            /* persistent-grants-max: the cap, 0 none */
	XBDEV_GRANT_PEAK,           /* persistent-grants-peak */
	XBDEV_GRANT_RING,           /* ring-grants: the shared rings' pages */
	XBDEV_GRANT_COPY_FAILURES,  /* grant-errors: requests whose grant
				     * copy failed (the guest got EIO) */
	XBDEV_GRANT_MAP_FAILURES,   /* map-failures: gntdev maps refused */
	XBDEV_GRANT_NKEYS
};
/* Its node name ("persistent-grants", ...), "?" for no key. */
const char *xbdev_grant_key_name(enum xbdev_grant_key k);
/* The errno name of the last refused map ("EINVAL"), or "". */
#define XBDEV_GRANT_LAST_ERROR "map-last-error"

/* Mapped persistent grants at or above this share of their cap (percent)
 * are warned about: past the cap a guest's new grants take grant copy. */
#define XBDEV_GRANT_WARN_PCT 90

/* What an admin should be told of (struct xbdev_grant_use's warn). */
enum {
	XBDEV_GRANT_WARN_CAP = 1 << 0,  /* XBDEV_GRANT_WARN_PCT of the cap */
	XBDEV_GRANT_WARN_MAP = 1 << 1,  /* a gntdev map failed */
	XBDEV_GRANT_WARN_COPY = 1 << 2, /* a grant copy failed */
};

struct xbdev_grant_use {
	unsigned long long n[XBDEV_GRANT_NKEYS];    /* by enum xbdev_grant_key */
	char last_error[32];        /* XBDEV_GRANT_LAST_ERROR, or "" */
	unsigned pct;               /* of the cap mapped, rounded down; 0
				     * without a cap */
	unsigned warn;              /* XBDEV_GRANT_WARN_* */
	/* gntdev's mmap says EINVAL for any map Xen refused (a bad grant, or
	 * dom0's maptrack table full), ENOMEM or ENOSPC for a limit of dom0's
	 * own (memory; gntdev's global limit before Linux 4.19): true for
	 * the latter. */
	bool map_dom0_limit;
};

/* The grant use of d (a vbd with xbdev's record) from the record's info/,
 * read in one transaction as the backend writes them, and the warnings it
 * calls for.  0; -ENOENT when d has no record, is no vbd, or its backend
 * publishes no grant keys (not started yet, or older); -EBADMSG when one
 * is not a number; -errno. */
int xbdev_grant_use_read(struct xbdev *x, const struct xbdev_dev_status *d,
			 struct xbdev_grant_use *g);

/* ---- block devices of a domain (lib/blocklist.c) -------------------------- */

/* A vbd of a guest, as `xbdev block-list` shows it (and `xl block-list`). */
struct xbdev_block {
	unsigned fe, be, devid;
	char vdev[32];                  /* xbdev_vdev_name of devid */
	char type[XBDEV_NAME_MAX + 1];  /* backend directory type */
	/* Who serves it: "xbdev" (xbdev-vbd, or a disk of an xl config that
	 * xbdevd serves), "phy" (vbd: the kernel's blkback), "tap" (vbd3:
	 * tapback), "qdisk", else the backend type itself. */
	char kind[XBDEV_NAME_MAX + 1];
	/* The backend's params and mode nodes ("" when missing): written by
	 * the toolstack, not the guest, but shown escaped all the same. */
	char params[XBDEV_VALUE_MAX], mode[8];
	char fe_dir[XBDEV_PATH_MAX], be_dir[XBDEV_PATH_MAX];
	int fe_state, be_state;         /* -1 when missing */
};

/* The vbd devices whose frontend is in domain fe, sorted by devid, from
 * xbdev_status_list (so a device with only one side is listed too). */
int xbdev_block_list(struct xbdev *x, unsigned fe, struct xbdev_block **out,
		     unsigned *n);

/* Recursively list dir: calls fn for dir and every node below it (depth
 * first, children sorted) with its value and ACL. */
typedef int (*xbdev_node_fn)(const char *path, const char *value,
			     const struct xbdev_acl_entry *acl, unsigned n_acl,
			     void *arg);
int xbdev_walk(struct xbdev *x, const char *dir, xbdev_node_fn fn, void *arg);

/* ---- monitoring ---------------------------------------------------------- */

enum xbdev_event_type {
	XBDEV_EVENT_APPEARED,
	XBDEV_EVENT_STATE,          /* side's state went from old to new */
	XBDEV_EVENT_REMOVED,
	/* The device's backend process is gone (health backend-dead);
	 * dev->pid names it.  Not reported for a detach's own stop. */
	XBDEV_EVENT_BACKEND_DIED,
};
const char *xbdev_event_type_name(enum xbdev_event_type t);

struct xbdev_event_info {
	enum xbdev_event_type type;
	const struct xbdev_dev_status *dev;     /* current view of the device */
	enum xbdev_side side;                   /* XBDEV_EVENT_STATE only */
	int old_state, new_state;               /* -1 = missing */
	int64_t at_ms;                          /* xbdev_now_ms() when seen */
};

/* Returns > 0 to stop monitoring (xbdev_monitor then returns it), 0 to go
 * on, < 0 for an error. */
typedef int (*xbdev_event_fn)(const struct xbdev_event_info *ev, void *arg);

/* Watch devices (domid < 0: all; cls NULL: every class; devid < 0: every
 * device) and report appearances, state changes, removals and deaths of
 * backend processes (looked at every half second) until fn
 * returns non-zero or deadline_ms passes (-ETIMEDOUT).  Devices present at
 * the start are reported as APPEARED first.  Each state node is read as
 * soon as its watch event is taken, before anything slower, so that
 * states lasting milliseconds are reported; one that changes twice
 * between an event and that read is seen once. */
int xbdev_monitor(struct xbdev *x, int domid, const char *cls, long devid,
		  int64_t deadline_ms, xbdev_event_fn fn, void *arg);

/* ---- dom0's Xen device nodes (lib/devnode.c) -----------------------------
 *
 * xbdev-blkback opens /dev/xen/gntdev (libxengnttab) and /dev/xen/evtchn
 * (libxenevtchn); each exists once its dom0 kernel module is loaded.
 */

#define XBDEV_XEN_DEVDIR "/dev/xen"

struct xbdev_devnode {
	const char *name;       /* in the device directory: "gntdev" */
	const char *module;     /* the dom0 module that makes it: "xen-gntdev" */
};

/* The directory of Xen's device nodes: $XBDEV_XEN_DEVDIR (tests) when set
 * and not empty, else XBDEV_XEN_DEVDIR. */
const char *xbdev_devnode_dir(void);

/* The module that makes node NAME ("evtchn": "xen-evtchn"; also gntalloc
 * and privcmd), NULL for a name not known. */
const char *xbdev_devnode_module(const char *name);

/* Whether every node xbdev-blkback opens exists in dir (NULL:
 * xbdev_devnode_dir()): 0, or -ENODEV when one is absent, or the -errno
 * of another failure to stat it; *missing (optional) then names the first
 * such node.  Only its existence is checked: the backend opens it. */
int xbdev_blkback_devnodes(const char *dir,
			   const struct xbdev_devnode **missing);

/* "DIR/NAME: strerror(err) (load the MODULE module)" into buf, the hint
 * only when err (-ENOENT, -ENOTDIR, -ENODEV, -ENXIO: an open's, or a
 * stat's) says the node or its driver is absent and NAME's module is
 * known; dir NULL: XBDEV_XEN_DEVDIR.  -ENAMETOOLONG when buf is too short
 * (buf then holds a cut line). */
int xbdev_devnode_why(char *buf, size_t len, const char *dir,
		      const char *name, int err);

#ifdef __cplusplus
}
#endif
#endif
