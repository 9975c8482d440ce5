/* SPDX-License-Identifier: GPL-2.0-or-later */
/* xbdev CLI: shared declarations of the command files. */
#ifndef XBDEV_CLI_H
#define XBDEV_CLI_H

#include <argp.h>
#include <limits.h>
#include <stdbool.h>
#include <json-c/json.h>
#include "xbdev.h"

/* Exit codes of every command (documented in --help and xbdev(1)). */
enum {
	XBDEV_EXIT_OK = 0,
	XBDEV_EXIT_FAIL = 1,
	XBDEV_EXIT_USAGE = 2,
	XBDEV_EXIT_TIMEOUT = 3,
	XBDEV_EXIT_NOTFOUND = 4,
};

#define CLI_EXIT_DOC \
	"Exit status: 0 success, 1 failure, 2 usage or bad input, " \
	"3 timeout, 4 unknown domain or device."

struct cli_global {
	bool verbose;
};

struct cli_cmd {
	const char *name;
	const char *summary;
	const struct argp *argp;
	/* argv[0] is "xbdev NAME"; returns an exit code. */
	int (*run)(int argc, char **argv, const struct cli_global *g);
	bool hidden;            /* internal helper, not listed in --help */
};

extern const struct cli_cmd *const cli_cmds[];
extern const struct cli_cmd cli_cmd_attach, cli_cmd_detach, cli_cmd_prune,
	cli_cmd_status, cli_cmd_watch, cli_cmd_block_list, cli_cmd_list_domains,
	cli_cmd_list_devices, cli_cmd_help_commands, cli_cmd_limit,
	cli_cmd_media, cli_cmd_resize;

/* The command being run, for error messages ("attach"); NULL in main. */
extern const char *cli_cmd_name;

/* "xbdev: CMD: message\n" on stderr; returns code. */
int cli_err(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Exit code for a negative errno (ENOENT -> 4, ETIMEDOUT -> 3, ...). */
int cli_exit_code(int err);
/* Print the error for err about what, and return its exit code. */
int cli_fail(int err, const char *what, const char *action);

/* Parse argv with argp; a usage error prints one line and exits 2. */
void cli_parse(const struct argp *argp, int argc, char **argv, void *input);
void cli_parse_flags(const struct argp *argp, int argc, char **argv,
		     unsigned flags, void *input);
/* From a parser: print a one-line usage error and exit 2. */
void cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						    noreturn));
/* From a parser, on ARGP_KEY_ARG: store positional argument number
 * state->arg_num in *slots[state->arg_num]; past the n slots it is the
 * usage error "too many arguments". */
void cli_arg(const struct argp_state *state, char *arg,
	     const char **const slots[], unsigned n);

/* The DOMAIN and DEVICE positional arguments of detach, limit, status,
 * watch, prune and block-list: an argp child (the command's .children =
 * cli_target_children) that cli_parse gives the command's input, whose
 * first member is a struct cli_target.  The command sets max and min; the arguments are DOMAIN, DEVICE and one more
 * (limit's SPEC), in turn.  More than max is "too many arguments", fewer
 * than min "DOMAIN is required" (min 1) or "DOMAIN and DEVICE are
 * required" (min 2): usage errors (exit 2). */
struct cli_target {
	unsigned max, min;
	const char *dom, *dev, *extra;  /* as given, or NULL */
};
extern const struct argp_child cli_target_children[];

/* Open xenstore (logging to stderr when verbose); prints the error. */
int cli_open(const struct cli_global *g, struct xbdev **x);

/* Like cli_open, but silently leaves *x NULL without xenstore. */
void cli_try_open(const struct cli_global *g, struct xbdev **x);

/* Resolve DOMAIN; prints "unknown domain" etc.  Returns an exit code. */
int cli_domain(struct xbdev *x, const char *arg, unsigned *domid);
/* DOMAIN for detach, status and list-devices (cli/gone.c): a live domain,
 * or the id of one that is gone while a device of it still exists.  A
 * name that no live domain has, but that the record of a gone domain's
 * device keeps, is the error "... use domid N".  Returns an exit code. */
int cli_domain_or_gone(struct xbdev *x, const char *arg, unsigned *domid);
/* The gone domains whose records keep name (and hold cls/devid when cls
 * is not NULL), as "5" or "5 or 7" in buf; how many. */
unsigned cli_gone_domids(struct xbdev *x, const char *name, const char *cls,
			 unsigned devid, char *buf, size_t len);
/* The not-found error "WHAT: WHY" for a device asked for by the guest's
 * name dom, with "use domid N" when a gone domain's record of that name
 * holds cls/devid.  Returns XBDEV_EXIT_NOTFOUND. */
int cli_gone_device(struct xbdev *x, const char *dom, const char *cls,
		    unsigned devid, const char *what, const char *why);
/* Domain id from a bare number without xenstore (for --dry-run). */
bool cli_domain_numeric(const char *arg, unsigned *domid);
/* The same, printing the error: a number above XBDEV_DOMID_MAX is out of
 * range (exit 2), a name cannot be looked up offline (exit 1). */
int cli_domain_offline(const char *arg, unsigned *domid);
/* "CLASS/DEVID" (or a vdev name, "xvdb": vbd/51728) -> validated class
 * and id; returns an exit code. */
int cli_device(const char *arg, char *cls, size_t len, unsigned *devid);
/* Strict seconds (1..86400) for --timeout. */
int cli_seconds(const char *arg, const char *opt, unsigned *out);

/* cli/control.c: a request to the backend process serving DOMAIN's DEVICE
 * (the command line's words), for the commands that change a device live.
 * timeout is their --timeout argument (NULL: CLI_REQUEST_TIMEOUT_S).  what
 * (of what_len bytes) gets "DOMAIN class/devid" for messages. */
struct cli_request {
	const char *dom, *dev, *op, *arg, *timeout;
	char *what;
	size_t what_len;
};
#define CLI_REQUEST_TIMEOUT_S 10
/* The --timeout option of those commands. */
#define CLI_REQUEST_TIMEOUT_OPTION \
	{ "timeout", 'T', "SECONDS", 0, \
	  "Wait this long for the backend's answer (default 10)", 0 }
/* Opens xenstore, asks, closes it.  Exit code; every failure is said in
 * one line (the backend's refusal with its message).  On XBDEV_EXIT_OK
 * *reply is set. */
int cli_request(const struct cli_global *g, const struct cli_request *q,
		struct xbdev_ctl_reply *reply);

/* The record of DOMAIN's DEVICE (the command line's words; a live
 * domain), what (of len bytes) set to "DOMAIN class/devid": exit code,
 * XBDEV_EXIT_NOTFOUND for a device xbdev did not create. */
int cli_record(struct xbdev *x, const char *dom, const char *dev,
	       struct xbdev_record *rec, char *what, size_t len);

/* The I/O limit syntax (lib/limit.c), for error messages. */
#define CLI_LIMIT_SYNTAX \
	"riops=N,wiops=N,iops=N,rbps=SIZE,wbps=SIZE,bps=SIZE," \
	"burst=SECONDS, or none"

/* Text output of anything a guest (or the command line) may have written -
 * a node's value or path, a domain name - goes through xbdev_escape(), so
 * that no control character or escape sequence reaches the terminal.
 * buf holds CLI_ESCAPED_LEN bytes; returns buf.  (JSON output needs
 * none: json-c escapes every control character.) */
#define CLI_ESCAPED_LEN XBDEV_ESCAPED_MAX(XBDEV_PATH_MAX)
const char *cli_esc(char *buf, const char *s);
/* A node's value in double quotes, as status and --dry-run show it: a
 * quote as \", the rest as cli_esc() has it, never truncated. */
void cli_print_quoted(const char *v);

/* attach's error for a backend daemon that exited while it waited: the
 * log's path and its last line (escaped).  Returns exit code 1. */
int cli_daemon_died(const char *what, const char *be_state, const char *log);

/* Domain name or "?"; never NULL, caller frees. */
char *cli_domain_name(struct xbdev *x, unsigned domid);

/* Output: commands build json objects; --json prints them, otherwise a
 * table is rendered from the same objects (one path for both). */
struct cli_column {
	const char *key;        /* JSON key (= xenstore node name) */
	const char *title;
};
void cli_print_table(json_object *rows, const struct cli_column *cols,
		     unsigned n);
void cli_print_json(json_object *obj);

/* Permission list "n5,r0" of an ACL, as xenstore-ls -p prints it. */
void cli_format_acl(char *buf, size_t len, const struct xbdev_acl_entry *acl,
		    unsigned n);
json_object *cli_acl_json(const struct xbdev_acl_entry *acl, unsigned n);

/* The options of a disk served by xbdev-blkback (cli/disk.c), an argp
 * child: --disk, --vdev, --readonly, --cdrom, --shared. */
struct cli_disk {
	const char *disk, *vdev;        /* as given, or NULL */
	bool readonly, cdrom, shared;
	const char *limit;              /* --limit as given */
	char limit_spec[XBDEV_LIMIT_SPEC_MAX];  /* its canonical form */
	/* --sector-size, --physical-sector-size as given (into vbd by
	 * cli_disk_check) */
	const char *sector_size, *phys_sector_size;
	struct xbdev_vbd vbd;
	char path[PATH_MAX], daemon[PATH_MAX];
	/* cli/xldisk.c: attach's xl disk spec argument, --backend, --format
	 * and --no-discard as given, and what they say. */
	const char *spec, *backend, *format;
	bool no_discard, format_raw;
	struct xbdev_xldisk xl;
};
extern const struct argp cli_disk_argp;
/* The options of cli/xldisk.c, a second argp child on the same input. */
extern const struct argp cli_xldisk_argp;
/* The xl disk spec (d->spec, when given) into d's --disk, --vdev, ...
 * fields, each given once; --backend and --format checked.  cls: the
 * command's class.  0, or the exit code of the one-line error printed. */
int cli_xldisk_apply(struct cli_disk *d, const char *cls);
/* Whether an option of cli/xldisk.c was given (they need a disk). */
bool cli_xldisk_given(const struct cli_disk *d);
/* For the checked image: refuse a format other than raw (unless raw was
 * said), phy without a block device; fill in d->vbd's backend, discard,
 * direct-io-safe and trusted.  0, or an exit code (error printed). */
int cli_xldisk_finish(struct cli_disk *d);
/* A vbd without a disk and without --back nodes: the kernel's blkback
 * (type vbd) would get a directory it can never serve.  0, or exit 2. */
/* xbdev_image_check(v, disk, path) with attach's one-line refusal
 * (exit 2); path: PATH_MAX bytes. */
int cli_image_check(struct xbdev_vbd *v, const char *disk, char *path);
int cli_disk_required(const struct xbdev_attach_spec *spec, unsigned n_back);
/* --devid ID (or a numeric --vdev) of a vbd that Linux blkfront takes. */
int cli_vbd_devid(const char *opt, const char *arg, unsigned devid);
/* Check them for spec (cls and be_type as given; *have_devid when --devid
 * was) and fill in spec's vbd, backend type, daemon and, from --vdev, its
 * devid.  0, or the exit code of the one-line error printed. */
int cli_disk_check(struct cli_disk *d, struct xbdev_attach_spec *spec,
		   bool *have_devid);
/* With --disk: whether the Xen device nodes xbdev-blkback opens exist
 * (xbdev_blkback_devnodes), checked before anything is written.  0, or
 * exit 1 with the one-line error naming the node and its module. */
int cli_disk_nodes(const struct cli_disk *d);
/* attach's -EBUSY for d: the error naming who uses the image. */
int cli_disk_busy(struct xbdev *x, const struct cli_disk *d,
		  const char *what);

/* A line of progress on standard error, "[  1.23s] " and the message,
 * seconds since t0 (xbdev_now_ms); nothing when t0 < 0 (no terminal). */
void cli_progress(int64_t t0, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* One end's state change as attach's and detach's progress and watch's
 * lines show it: "backend InitWait -> Connected"; the first state seen of
 * an end alone ("frontend Connected").  Returns buf. */
const char *cli_state_change(char *buf, size_t len, enum xbdev_side side,
			     int old, int now, bool first);
/* The two ends as a progress display follows them: a line for the first
 * state of each end and for each change (cli_state_change's words). */
struct cli_ends {
	int64_t t0;             /* cli_progress's: -1, silent */
	int last[2];            /* frontend, backend; -1 missing */
	bool seen[2];
};
void cli_ends_init(struct cli_ends *e, int64_t t0);
void cli_progress_state(struct cli_ends *e, enum xbdev_side side, int now);

/* o[key] = v; a state's name, or null for -1 (missing). */
void cli_json_str(json_object *o, const char *key, const char *v);
void cli_json_int(json_object *o, const char *key, int64_t v);
void cli_json_state(json_object *o, const char *key, int st);
/* A device as status and attach --json show it: domain (name), domid,
 * class, devid, backend-id, type, frontend, backend and both states. */
json_object *cli_device_json(struct xbdev *x,
			     const struct xbdev_dev_status *d);
/* One node {path, value, perms} as status and --dry-run show it; the
 * text form: INDENT path = "value" (perms), a line each, escaped. */
json_object *cli_node_json(const char *path, const char *value,
			   const struct xbdev_acl_entry *acl, unsigned n_acl);
void cli_print_nodes(json_object *nodes, const char *indent);

#endif
