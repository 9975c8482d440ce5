/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xbdev-blkfront: a userspace blkif frontend (verify / bench / hostile).
 */
#include <argp.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unwind.h>

#include "blkfront.h"
#include "xbdev.h"

/*
 * libxenstore cancels its reader thread in xs_close(); glibc implements
 * cancellation by unwinding, dlopen()s libgcc_s for it and aborts when it
 * cannot (the lab's minimal guest).  Referencing the unwinder makes
 * libgcc_s a real dependency, so anything that installs this binary with
 * the libraries ldd lists brings it along.
 */
void *const xbf_needs_libgcc_s = (void *)_Unwind_Backtrace;

enum { EX_OK = 0, EX_FAIL = 1, EX_USAGE = 2, EX_TIMEOUT = 3, EX_NOTFOUND = 4 };

enum {
	OPT_NO_INDIRECT = 0x100, OPT_NO_PERSISTENT, OPT_UNBIND, OPT_DOMID,
	OPT_TIMEOUT, OPT_START, OPT_LENGTH, OPT_SEED, OPT_PASSES,
	OPT_NO_DISCARD, OPT_NO_FLUSH, OPT_RW, OPT_BS, OPT_RUNTIME, OPT_JSON,
	OPT_RWMIX, OPT_ATTACK, OPT_LIST, OPT_RANGE, OPT_RSP_TIMEOUT,
	OPT_READ_ONLY,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0, "Connection:", 1 },
	{ "ring-order", 'r', "N", 0,
	  "Ring pages 2^N per queue (0-4; clamped to the backend's "
	  "max-ring-page-order)", 1 },
	{ "queues", 'q', "N", 0,
	  "Queues (rings) to use (clamped to multi-queue-max-queues)", 1 },
	{ "no-indirect", OPT_NO_INDIRECT, NULL, 0,
	  "Never send indirect requests", 1 },
	{ "no-persistent", OPT_NO_PERSISTENT, NULL, 0,
	  "Publish feature-persistent=0", 1 },
	{ "unbind", OPT_UNBIND, NULL, 0,
	  "Unbind the guest kernel's xen-blkfront from the device first", 1 },
	{ "domid", OPT_DOMID, "ID", 0,
	  "This domain's id (default: read \"domid\" from xenstore)", 1 },
	{ "timeout", OPT_TIMEOUT, "SECONDS", 0,
	  "Wait at most this long for each state change (default 20)", 1 },
	{ "verbose", 'v', NULL, 0, "Log the handshake (twice: more)", 1 },

	/* What verify and bench share: the region, the seed, the depth. */
	{ NULL, 0, NULL, 0, "verify and bench:", 2 },
	{ "start", OPT_START, "SIZE", 0,
	  "Start of the region (bytes; k/M/G suffixes; s = sectors)", 2 },
	{ "length", OPT_LENGTH, "SIZE", 0,
	  "Length of the region (default: to the end)", 2 },
	{ "seed", OPT_SEED, "N", 0, "Pattern and random seed", 2 },
	{ "iodepth", 'd', "N", 0,
	  "Requests in flight per queue (verify: 4, bench: 1)", 2 },

	{ NULL, 0, NULL, 0, "verify:", 3 },
	{ "passes", OPT_PASSES, "N", 0, "Repeat the whole cycle N times", 3 },
	{ "no-discard", OPT_NO_DISCARD, NULL, 0, "Skip the discard phase", 3 },
	{ "no-flush", OPT_NO_FLUSH, NULL, 0, "Skip flushes", 3 },
	{ "read-only", OPT_READ_ONLY, NULL, 0,
	  "Only read (implied by a read-only device)", 3 },

	{ NULL, 0, NULL, 0, "bench:", 4 },
	{ "rw", OPT_RW, "MODE", 0,
	  "read, write, randread, randwrite, rw, randrw (default randread)",
	  4 },
	{ "bs", OPT_BS, "SIZE", 0, "Block size (default 4k)", 4 },
	{ "runtime", OPT_RUNTIME, "SECONDS", 0, "Duration (default 10)", 4 },
	{ "rwmixread", OPT_RWMIX, "PCT", 0, "Reads in % for rw/randrw (50)",
	  4 },
	{ "json", OPT_JSON, NULL, 0, "Print the result as JSON", 4 },

	{ NULL, 0, NULL, 0, "hostile:", 5 },
	{ "attack", OPT_ATTACK, "NAME[,NAME...]", 0,
	  "Run only these attacks (default all)", 5 },
	{ "list", OPT_LIST, NULL, 0,
	  "List the attacks and their expected outcomes", 5 },
	{ "range", OPT_RANGE, "START:LEN", 0,
	  "The attack range (sizes as for --start; default 1M:1M)", 5 },
	{ "rsp-timeout", OPT_RSP_TIMEOUT, "MS", 0,
	  "Wait this long for each response (default 5000)", 5 },
	{ NULL, 0, NULL, 0, NULL, 0 },
};

static const char doc[] =
	"A userspace blkif frontend: connects as the frontend of an existing "
	"vbd device of this domain and verifies, benchmarks or attacks its "
	"backend.\v"
	"MODE is verify, bench or hostile.  DEVICE is a vdev name (xvdb), a "
	"device id (51728) or a frontend path "
	"(/local/domain/<id>/device/vbd/<devid>).\n\n"
	"The guest kernel's xen-blkfront must not own the device: attach it "
	"after `echo 0 > /sys/bus/xen/drivers_autoprobe`, or pass --unbind "
	"(the backend must then support reconnecting).\n\n"
	"Exit status: 0 success, 1 failure (mismatch, I/O error, failed "
	"attack), 2 usage, 3 timeout, 4 device not found.";

struct args {
	const char *mode;
	const char *device;
	struct xbf_opts o;
	struct xbf_verify_opts v;
	struct xbf_bench_opts b;
	struct xbf_hostile_opts h;
	bool depth_set;
	unsigned depth;
};

static int size_arg(struct argp_state *st, const char *arg, uint64_t *out)
{
	int r = xbf_parse_size(arg, UINT64_MAX >> 1, out);

	if (r)
		argp_error(st, "bad size '%s'", arg);
	return r;
}

static unsigned uint_arg(struct argp_state *st, const char *arg,
			 unsigned long max)
{
	unsigned long v;

	if (xbdev_parse_uint(arg, max, &v))
		argp_error(st, "bad number '%s' (0..%lu)", arg, max);
	return (unsigned)v;
}

static error_t parse_opt(int key, char *arg, struct argp_state *st)
{
	struct args *a = st->input;
	uint64_t sz;

	switch (key) {
	case 'r': a->o.ring_order = uint_arg(st, arg, 4); break;
	case 'q': a->o.queues = uint_arg(st, arg, XBF_MAX_QUEUES); break;
	case 'v': a->o.verbose++; break;
	case 'd':
		a->depth = uint_arg(st, arg, 512);
		a->depth_set = true;
		break;
	case OPT_NO_INDIRECT: a->o.indirect = false; break;
	case OPT_NO_PERSISTENT: a->o.persistent = false; break;
	case OPT_UNBIND: a->o.unbind = true; break;
	case OPT_DOMID: a->o.domid = (int)uint_arg(st, arg, XBDEV_DOMID_MAX); break;
	case OPT_TIMEOUT:
		a->o.timeout_ms = uint_arg(st, arg, 3600) * 1000u;
		break;
	case OPT_START:
		if (!size_arg(st, arg, &sz))
			a->v.start = a->b.start = sz / XBF_SECTOR_SIZE;
		break;
	case OPT_LENGTH:
		if (!size_arg(st, arg, &sz))
			a->v.length = a->b.length = sz / XBF_SECTOR_SIZE;
		break;
	case OPT_SEED:
		a->v.seed = a->b.seed = uint_arg(st, arg, UINT32_MAX);
		break;
	case OPT_PASSES: a->v.passes = uint_arg(st, arg, 1000); break;
	case OPT_NO_DISCARD: a->v.no_discard = true; break;
	case OPT_NO_FLUSH: a->v.no_flush = true; break;
	case OPT_READ_ONLY: a->v.read_only = true; break;
	case OPT_RW:
		a->b.random = !strncmp(arg, "rand", 4);
		if (a->b.random)
			arg += 4;
		a->b.write = !strcmp(arg, "write");
		a->b.mixed = !strcmp(arg, "rw");
		if (strcmp(arg, "read") && !a->b.write && !a->b.mixed)
			argp_error(st, "bad --rw mode");
		break;
	case OPT_BS:
		if (!size_arg(st, arg, &a->b.bs) &&
		    (a->b.bs == 0 || a->b.bs % XBF_SECTOR_SIZE ||
		     a->b.bs > (uint64_t)XBF_MAX_REQ_PAGES * XBF_PAGE_SIZE))
			argp_error(st, "--bs must be a multiple of 512 up to 1M");
		break;
	case OPT_RUNTIME: a->b.runtime_s = uint_arg(st, arg, 86400); break;
	case OPT_RWMIX: a->b.rwmix_read = uint_arg(st, arg, 100); break;
	case OPT_JSON: a->b.json = true; break;
	case OPT_ATTACK: {
		size_t bad, len;

		/* A misspelt name is a usage error, found before anything
		 * is opened. */
		if (xbf_hostile_check(arg, &bad, &len))
			argp_error(st, "--attack: no attack named '%.*s' (see "
				   "hostile --list)", (int)len, arg + bad);
		a->h.only = arg;
		break;
	}
	case OPT_LIST: a->h.list = true; break;
	case OPT_RANGE: {
		char *c = strchr(arg, ':');
		uint64_t s0, l0;

		if (!c)
			argp_error(st, "--range wants START:LEN");
		*c = '\0';
		if (!size_arg(st, arg, &s0) && !size_arg(st, c + 1, &l0)) {
			a->h.range_start = s0 / XBF_SECTOR_SIZE;
			a->h.range_len = l0 / XBF_SECTOR_SIZE;
		}
		break;
	}
	case OPT_RSP_TIMEOUT:
		a->h.timeout_ms = uint_arg(st, arg, 600000);
		break;
	case ARGP_KEY_ARG:
		if (!a->mode)
			a->mode = arg;
		else if (!a->device)
			a->device = arg;
		else
			argp_error(st, "too many arguments");
		break;
	case ARGP_KEY_END:
		if (!a->mode)
			argp_error(st, "no MODE given");
		if (strcmp(a->mode, "verify") && strcmp(a->mode, "bench") &&
		    strcmp(a->mode, "hostile"))
			argp_error(st, "unknown mode '%s'", a->mode);
		if (!a->device && !(a->h.list && !strcmp(a->mode, "hostile")))
			argp_error(st, "no DEVICE given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {
	options, parse_opt, "MODE DEVICE", doc, NULL, NULL, NULL,
};

static void xs_log(void *data, int prio, const char *fmt, va_list ap)
{
	(void)data;
	(void)prio;
	(void)fmt;
	(void)ap;
}

/*
 * A device attached for us sits in Initialising (backend InitWait) until a
 * frontend comes.  Leave it that way rather than Closed: the next run, or
 * a kernel frontend bound later, finds it as the toolstack left it, and a
 * detach sees a frontend that never connected.  A device taken from the
 * kernel with --unbind is left Closed, as the kernel's driver left it:
 * xbdev-blkback then gives it a fresh frontend directory, which the guest's
 * xen-blkfront takes again (it cannot take the old one: the guest's xenbus
 * keeps that device Closed).
 */
static void leave_as_found(struct xbf_dev *d)
{
	int r;

	if (d->connected || d->found_state != XBDEV_STATE_INITIALISING)
		return;
	r = xbf_reset(d);
	if (r)
		fprintf(stderr, "xbdev-blkfront: %s: back to Initialising: %s "
			"(backend %s)\n", d->fe_path, xbf_strerror(r),
			xbdev_state_name(d->be_state));
}

static int exit_code(int r)
{
	switch (r) {
	case 0: return EX_OK;
	case -ETIMEDOUT: return EX_TIMEOUT;
	case -ENOENT: return EX_NOTFOUND;
	case -EINVAL: return EX_USAGE;
	default: return EX_FAIL;
	}
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct xbf_dev *d = NULL;
	enum xbf_open_step step;
	char why[256];
	int r;

	xbf_opts_default(&a.o);
	a.b.bs = 4096;
	a.b.rwmix_read = 50;
	a.b.runtime_s = 10;
	a.v.seed = a.b.seed = 1;
	a.o.log = stderr;
	argp_program_version = "xbdev-blkfront " XBDEV_VERSION;
	argp_err_exit_status = EX_USAGE;
	if (argp_parse(&argp, argc, argv, 0, NULL, &a))
		return EX_USAGE;
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (!strcmp(a.mode, "hostile") && a.h.list)
		return exit_code(xbf_hostile(NULL, &a.h, stdout));

	if (a.device[0] == '/') {
		a.o.fe_path = a.device;
	} else if (xbdev_vdev_parse(a.device, &a.o.devid)) {
		fprintf(stderr, "xbdev-blkfront: %s: not a vbd name, number or "
			"frontend path\n", a.device);
		return EX_USAGE;
	}
	if (!strcmp(a.mode, "verify")) {
		a.o.slots = a.depth_set ? a.depth : 4;
	} else if (!strcmp(a.mode, "bench")) {
		a.b.iodepth = a.depth_set ? a.depth : 1;
		a.o.slots = a.b.iodepth;
		a.o.slot_pages = xbf_pages_for(0, a.b.bs / XBF_SECTOR_SIZE);
	} else {
		a.o.slots = 8;
		a.o.slot_pages = 16;
		if (!a.o.timeout_ms || a.o.timeout_ms == 20000)
			a.o.timeout_ms = 10000;
	}

	r = xbf_open(&d, &a.o, &step);
	if (r) {
		int code = xbf_open_error(r, step, why, sizeof(why));

		fprintf(stderr, "xbdev-blkfront: %s: %s\n", a.device, why);
		return code;
	}
	xbdev_set_log_fn(d->xs, xs_log, NULL);

	if (!strcmp(a.mode, "hostile")) {
		r = xbf_hostile(d, &a.h, stdout);
		leave_as_found(d);
		xbf_free(d);
		return exit_code(r == -EIO ? -EIO : r);
	}
	r = xbf_connect(d);
	if (r) {
		fprintf(stderr, "xbdev-blkfront: %s: cannot connect: %s "
			"(backend %s)\n", d->fe_path, xbf_strerror(r),
			xbdev_state_name(d->be_state));
		xbf_disconnect(d);
		xbf_free(d);
		return r == -ETIMEDOUT ? EX_TIMEOUT : EX_FAIL;
	}
	if (!strcmp(a.mode, "verify"))
		r = xbf_verify(d, &a.v, stdout);
	else
		r = xbf_bench(d, &a.b, stdout);
	if (r && r != -EIO)
		fprintf(stderr, "xbdev-blkfront: %s: %s\n", a.mode,
			xbf_strerror(r));
	{
		int r2;

		xbf_drain(d, 10000);
		r2 = xbf_disconnect(d);
		if (r2)
			fprintf(stderr, "xbdev-blkfront: %s: disconnect: %s "
				"(backend %s)\n", d->fe_path,
				xbf_strerror(r2),
				xbdev_state_name(d->be_state));
		if (!r)
			r = r2;
	}
	leave_as_found(d);
	xbf_free(d);
	return r == -EIO ? EX_FAIL : exit_code(r);
}
