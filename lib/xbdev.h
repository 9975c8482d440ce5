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

/* File descriptor to poll() for watch events. */
int xbdev_fileno(struct xbdev *x);

/* ---- names and limits -------------------------------------------------- */

#define XBDEV_NAME_MAX   64     /* class / key path component */
#define XBDEV_VALUE_MAX  2048   /* xenstored's value limit */
#define XBDEV_PATH_MAX   3072   /* XENSTORE_ABS_PATH_MAX */
#define XBDEV_DEVID_MAX  ((1u << 31) - 1)

/* A class or key: [A-Za-z0-9_-][A-Za-z0-9_.-]*, not "." or "..", no '/'.
 * Keys may contain '/' separated components when allow_slash is set
 * (each component then obeys the same rule). */
int xbdev_validate_name(const char *name, bool allow_slash);
/* A value: printable, no control characters, at most XBDEV_VALUE_MAX-1. */
int xbdev_validate_value(const char *value);

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

const char *xbdev_state_name(int state);     /* "Connected"; "?" if bad */
/* Accepts a number 0..8 or a name (case-insensitive). */
int xbdev_state_parse(const char *s, enum xbdev_state *out);

/* ---- paths (the one place they are built) ------------------------------ */

/* Each writes into buf (XBDEV_PATH_MAX) and returns -ENAMETOOLONG on
 * truncation, -EINVAL on an invalid name. */
int xbdev_path_frontend(char *buf, size_t len, unsigned fe,
			const char *cls, unsigned devid);
int xbdev_path_backend(char *buf, size_t len, unsigned be,
		       const char *type, unsigned fe, unsigned devid);
int xbdev_path_record(char *buf, size_t len, unsigned fe,
		      const char *cls, unsigned devid);
/* dir + "/" + key, validated. */
int xbdev_path_join(char *buf, size_t len, const char *dir, const char *key);

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
 * -ESRCH if dying. */
int xbdev_domain_resolve(struct xbdev *x, const char *name_or_id,
			 unsigned *domid);
/* malloc'd name of domid (from /local/domain/<id>/name; "Domain-0" for a
 * nameless dom0). */
int xbdev_domain_name(struct xbdev *x, unsigned domid, char **name);
/* Ids of every domain that has a /local/domain/<id> directory, ascending;
 * *domids is malloc'd. */
int xbdev_domain_list(struct xbdev *x, unsigned **domids, unsigned *n);

#ifdef __cplusplus
}
#endif
#endif
