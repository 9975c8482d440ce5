/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The options of a disk served by xbdev-blkback (--disk, --vdev,
 * --readonly, --cdrom, --shared, --sector-size, --physical-sector-size):
 * an argp child, so that every command
 * that takes a disk takes it the same way (attach today). */
#include <errno.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_DISK = 256,
	OPT_VDEV,
	OPT_CDROM,
	OPT_SHARED,
	OPT_LIMIT,
	OPT_SECTOR_SIZE,
	OPT_PHYS_SECTOR_SIZE,
};

static const struct argp_option options[] = {
	{ NULL, 0, NULL, 0,
	  "Block devices (CLASS vbd, served by xbdev-blkback):", 0 },
	{ "disk", OPT_DISK, "PATH", 0, "Disk image to serve", 0 },
	{ "vdev", OPT_VDEV, "NAME", 0,
	  "Virtual device (xvdb, sda, d1p2, 51728; default: lowest free xvd)",
	  0 },
	{ "readonly", 'r', NULL, 0, "Read-only disk", 0 },
	{ "cdrom", OPT_CDROM, NULL, 0, "Removable read-only CD-ROM", 0 },
	{ "shared", OPT_SHARED, NULL, 0,
	  "Let other writers use the image "
	  "too (cluster file systems only; default: one writer per image)",
	  0 },
	{ "limit", OPT_LIMIT, "SPEC", 0,
	  "I/O limits: riops=N,wiops=N,iops=N,rbps=SIZE,wbps=SIZE,bps=SIZE,"
	  "burst=SECONDS (see xbdev limit)",
	  0 },
	{ "sector-size", OPT_SECTOR_SIZE, "BYTES", 0,
	  "Logical sector size the guest sees: 512 or 4096 (default: 512, "
	  "a block device's own)",
	  0 },
	{ "physical-sector-size", OPT_PHYS_SECTOR_SIZE, "BYTES", 0,
	  "Physical sector size the guest sees: a power of two from the "
	  "logical size to 65536 (default: 4096 for a file, a block "
	  "device's own)",
	  0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct cli_disk *d = state->input;

	switch (key) {
	case 'r':
		d->readonly = true;
		break;
	case OPT_CDROM:
		d->cdrom = true;
		break;
	case OPT_SHARED:
		d->shared = true;
		break;
	case OPT_LIMIT:
		d->limit = arg;
		break;
	case OPT_SECTOR_SIZE:
		d->sector_size = arg;
		break;
	case OPT_PHYS_SECTOR_SIZE:
		d->phys_sector_size = arg;
		break;
	case OPT_DISK:
		d->disk = arg;
		break;
	case OPT_VDEV:
		d->vdev = arg;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_disk_argp = {
	.options = options,
	.parser = parse,
};

/* Why xbdev_image_check refused, else NULL (then strerror says). */
static const char *image_refusal(int err)
{
	switch (err) {
	case -ENOTBLK:
		return "not a file or block device";
	case -ENODATA:
		return "empty: nothing to serve";
	}
	return NULL;
}

/* --sector-size and --physical-sector-size into d->vbd: numbers, in
 * the ranges blkif and Linux blkfront allow (xbdev_sector_sizes_check),
 * for a disk xbdev-blkback serves (the kernel's blkback and QEMU choose
 * their own).  The image is checked against them with the rest. */
static int check_sectors(struct cli_disk *d, bool served)
{
	unsigned long lss = 0, pss = 0;

	if (!d->sector_size && !d->phys_sector_size)
		return 0;
	if (!served)
		return cli_err(XBDEV_EXIT_USAGE,
			       "--sector-size and --physical-sector-size "
			       "need --backend xbdev (%s chooses its own)",
			       xbdev_vbd_backend_name(d->vbd.backend));
	if (d->sector_size &&
	    (xbdev_parse_uint(d->sector_size, XBDEV_SECTOR_PHYS_MAX, &lss) ||
	     !lss || xbdev_sector_sizes_check((unsigned)lss, 0)))
		return cli_err(XBDEV_EXIT_USAGE,
			       "--sector-size: '%s' is not 512 or 4096",
			       d->sector_size);
	if (d->phys_sector_size &&
	    (xbdev_parse_uint(d->phys_sector_size, XBDEV_SECTOR_PHYS_MAX,
			      &pss) ||
	     !pss || xbdev_sector_sizes_check((unsigned)lss, (unsigned)pss)))
		return cli_err(XBDEV_EXIT_USAGE,
			       "--physical-sector-size: '%s' is not a power "
			       "of two from %lu to %u",
			       d->phys_sector_size, lss ? lss : 512,
			       XBDEV_SECTOR_PHYS_MAX);
	d->vbd.sector_size = (unsigned)lss;
	d->vbd.phys_sector_size = (unsigned)pss;
	return 0;
}

/* The image's size is not a multiple of a sector size asked for. */
static int size_refusal(const struct xbdev_vbd *v, const char *disk,
			uint64_t size)
{
	unsigned lss = v->sector_size ? v->sector_size : 512;
	unsigned pss = v->phys_sector_size;
	bool by_lss = size % lss != 0;

	return cli_err(XBDEV_EXIT_USAGE,
		       "disk %s: size is not a multiple of %u bytes (%s): %llu",
		       disk, by_lss ? lss : pss,
		       by_lss ? (lss == 512 ? "a sector" : "--sector-size")
			      : "--physical-sector-size",
		       (unsigned long long)size);
}

int cli_image_check(struct xbdev_vbd *v, const char *disk, char *path)
{
	uint64_t size = 0;
	int err = xbdev_image_check(v, disk, path, &size);
	const char *why = image_refusal(err);
	bool hint = path[0] && !v->readonly &&
		    (err == -EACCES || err == -EROFS || err == -EPERM);

	if (err == -EDOM)
		return size_refusal(v, disk, size);
	if (err == -EOPNOTSUPP)
		return cli_err(XBDEV_EXIT_USAGE,
			       "disk %s: a block device of larger logical "
			       "sectors than --sector-size %u (it cannot be "
			       "emulated)",
			       disk, v->sector_size);
	if (err)
		return cli_err(XBDEV_EXIT_USAGE, "disk %s: %s%s", disk,
			       why ? why : strerror(-err),
			       hint ? " (use --readonly for a read-only image)"
				    : "");
	return 0;
}

static int check_image(struct cli_disk *d)
{
	return cli_image_check(&d->vbd, d->disk, d->path);
}

/* --limit: checked, kept in its canonical form (xbdev-blkback only). */
static int check_limit(struct cli_disk *d, bool served)
{
	struct xbdev_limit l;

	if (!d->limit)
		return 0;
	if (!served)
		return cli_err(XBDEV_EXIT_USAGE,
			       "--limit needs the xbdev "
			       "backend (not --backend %s)",
			       xbdev_vbd_backend_name(d->vbd.backend));
	if (xbdev_limit_parse(d->limit, &l) ||
	    xbdev_limit_format(&l, d->limit_spec, sizeof(d->limit_spec)))
		return cli_err(XBDEV_EXIT_USAGE, "invalid --limit '%s' (%s)",
			       d->limit, CLI_LIMIT_SYNTAX);
	d->vbd.limit = xbdev_limit_any(&l) ? d->limit_spec : NULL;
	return 0;
}

int cli_disk_check(struct cli_disk *d, struct xbdev_attach_spec *spec,
		   bool *have_devid)
{
	bool served;
	const char *type;
	int rc = cli_xldisk_apply(d, spec->cls);

	if (rc)
		return rc;
	served = d->vbd.backend == XBDEV_VBD_XBDEV;
	type = xbdev_vbd_backend_type(d->vbd.backend);
	if (!d->disk) {
		if (d->vdev || d->readonly || d->cdrom || d->shared ||
		    d->limit || d->sector_size || d->phys_sector_size ||
		    cli_xldisk_given(d))
			return cli_err(XBDEV_EXIT_USAGE,
				       "--vdev, --readonly, --cdrom, --shared, "
				       "--limit, --sector-size, "
				       "--physical-sector-size, --backend, "
				       "--format and --no-discard need --disk");
		return 0;
	}
	if (strcmp(spec->cls, "vbd"))
		return cli_err(XBDEV_EXIT_USAGE, "--disk needs CLASS vbd");
	if (spec->be_type && strcmp(spec->be_type, type))
		return cli_err(XBDEV_EXIT_USAGE,
			       "--disk is served by backend "
			       "type %s, not '%s'%s",
			       type, spec->be_type,
			       served ? " (--backend phy or qdisk for "
					"the kernel's blkback or QEMU)"
				      : "");
	if (d->vdev && *have_devid)
		return cli_err(
			XBDEV_EXIT_USAGE,
			"--vdev and --devid are the same thing: give one");
	if (d->vdev && xbdev_vdev_parse(d->vdev, &spec->devid))
		return cli_err(XBDEV_EXIT_USAGE, "invalid --vdev '%s'",
			       d->vdev);
	if (d->vdev && cli_vbd_devid(d->vdev == d->xl.vdev ? "vdev" : "--vdev",
				     d->vdev, spec->devid))
		return XBDEV_EXIT_USAGE;
	*have_devid |= d->vdev != NULL;
	d->vbd.cdrom = d->cdrom;
	d->vbd.readonly = d->readonly || d->cdrom;
	d->vbd.shared = d->shared;
	rc = check_limit(d, served);
	if (!rc)
		rc = check_sectors(d, served);
	if (!rc)
		rc = check_image(d);
	if (!rc)
		rc = cli_xldisk_finish(d);
	if (rc)
		return rc;
	if (served && xbdev_blkback_program(d->daemon, sizeof(d->daemon)))
		return cli_err(XBDEV_EXIT_FAIL, "XBDEV_LIBEXECDIR too long");
	spec->vbd = &d->vbd;
	spec->be_type = type;
	spec->daemon = served ? d->daemon : NULL;
	return 0;
}

int cli_disk_busy(struct xbdev *x, const struct cli_disk *d, const char *what)
{
	char by[XBDEV_PATH_MAX + 64];
	int r;

	/* Asked again, outside attach's transaction, to say who. */
	r = xbdev_image_in_use(x, XBDEV_TXN_NONE, d->vbd.params,
			       d->vbd.readonly, by, sizeof(by));
	return cli_err(XBDEV_EXIT_USAGE,
		       "%s: disk %s is in use%s%s (one "
		       "writer per image; --shared only for a cluster file "
		       "system)",
		       what, d->disk, r == -EBUSY ? " by " : "",
		       r == -EBUSY ? by : "");
}

int cli_disk_nodes(const struct cli_disk *d)
{
	const struct xbdev_devnode *m = NULL;
	const char *dir = xbdev_devnode_dir();
	char why[XBDEV_PATH_MAX + 128];
	int err;

	if (!d->disk)
		return 0;
	err = xbdev_blkback_devnodes(dir, &m);
	if (!err)
		return 0;
	if (!m)
		return cli_err(XBDEV_EXIT_FAIL, "%s: %s", dir, strerror(-err));
	xbdev_devnode_why(why, sizeof(why), dir, m->name,
			  err == -ENODEV ? -ENOENT : err);
	return cli_err(XBDEV_EXIT_FAIL,
		       "%s; xbdev-blkback needs it: nothing written", why);
}
