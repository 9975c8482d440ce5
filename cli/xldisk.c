/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A disk as xl says it: attach's xl disk spec argument
 * ('format=raw, vdev=xvdb, access=ro, target=/srv/x.img', parsed by
 * lib/xldisk.c) and the options that say what xl's keys say (--backend
 * for backendtype=, --format, --no-discard): an argp child next to
 * cli/disk.c's, on the same struct cli_disk.  The spec fills in the same
 * fields as --disk, --vdev, --readonly and --cdrom; a field given both
 * ways is refused, whichever the values.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_BACKEND = 288,
	OPT_FORMAT,
	OPT_NO_DISCARD,
};

static const struct argp_option options[] = {
	{ "backend", OPT_BACKEND, "KIND", 0,
	  "Who serves the disk: xbdev (xbdev-blkback, the default), phy (the "
	  "dom0 kernel's blkback: a block device) or qdisk (QEMU)",
	  0 },
	{ "format", OPT_FORMAT, "FORMAT", 0,
	  "The image's format: raw (the only one; says a disk whose first "
	  "sector looks like a qcow2, vmdk, ... header is raw all the same)",
	  0 },
	{ "no-discard", OPT_NO_DISCARD, NULL, 0,
	  "Offer the guest no discard (discard-enable = 0)", 0 },
	{ 0 }
};

static error_t parse(int key, char *arg, struct argp_state *state)
{
	struct cli_disk *d = state->input;

	switch (key) {
	case OPT_BACKEND:
		d->backend = arg;
		break;
	case OPT_FORMAT:
		d->format = arg;
		break;
	case OPT_NO_DISCARD:
		d->no_discard = true;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

const struct argp cli_xldisk_argp = {
	.options = options,
	.parser = parse,
};

bool cli_xldisk_given(const struct cli_disk *d)
{
	return d->backend || d->format || d->no_discard;
}

/* Why the spec was refused: one line naming the parameter. */
static int spec_refusal(const struct xbdev_xldisk *x)
{
	char k[CLI_ESCAPED_LEN], v[CLI_ESCAPED_LEN];
	const char *hint = "";

	cli_esc(k, x->key);
	cli_esc(v, x->token);
	switch (x->why) {
	case XBDEV_XLDISK_SYNTAX:
		return cli_err(XBDEV_EXIT_USAGE,
			       "xl disk spec: '%s': not a "
			       "parameter (KEY=VALUE, a flag, or target, "
			       "format, vdev, access in that order)",
			       v);
	case XBDEV_XLDISK_UNKNOWN_KEY:
		return cli_err(XBDEV_EXIT_USAGE,
			       "xl disk spec: unknown key '%s'", k);
	case XBDEV_XLDISK_BAD_VALUE:
		return cli_err(XBDEV_EXIT_USAGE,
			       "xl disk spec: %s=%s: not a "
			       "value of %s",
			       k, v, k);
	case XBDEV_XLDISK_NOT_RAW:
		return cli_err(XBDEV_EXIT_USAGE,
			       "xl disk spec: %s=%s: xbdev "
			       "serves raw images only",
			       k, v);
	case XBDEV_XLDISK_TWICE:
		return cli_err(XBDEV_EXIT_USAGE, "xl disk spec: %s given twice",
			       k);
	case XBDEV_XLDISK_TOO_MANY:
		return cli_err(XBDEV_EXIT_USAGE,
			       "xl disk spec: '%s': more "
			       "than four positional parameters (target, "
			       "format, vdev, access)",
			       v);
	case XBDEV_XLDISK_NO_TARGET:
		return cli_err(XBDEV_EXIT_USAGE,
			       "xl disk spec: no target "
			       "(an empty CD-ROM drive is not supported)");
	case XBDEV_XLDISK_TOO_LONG:
		return cli_err(XBDEV_EXIT_USAGE, "xl disk spec: too long");
	case XBDEV_XLDISK_UNSUPPORTED:
	case XBDEV_XLDISK_OK:
		break;
	}
	if (!strcmp(x->key, "backend"))
		hint = " (disks are served from domain 0)";
	else if (!strcmp(x->key, "script"))
		hint = " (attach runs no hotplug script; script=xbdev means "
		       "backendtype xbdev)";
	else if (!strcmp(x->key, "backendtype"))
		hint = " (xbdev, phy or qdisk)";
	return cli_err(XBDEV_EXIT_USAGE,
		       "xl disk spec: %s%s%s: not supported "
		       "by xbdev attach%s",
		       k, v[0] ? "=" : "", v, hint);
}

/* A field the spec and an option both give. */
static int twice(const char *key, const char *opt)
{
	return cli_err(XBDEV_EXIT_USAGE,
		       "%s in the xl disk spec and %s: "
		       "give one",
		       key, opt);
}

static int take_spec(struct cli_disk *d)
{
	const struct xbdev_xldisk *x = &d->xl;

	if (d->disk)
		return twice("target", "--disk");
	d->disk = x->target;
	if (x->vdev && d->vdev)
		return twice("vdev", "--vdev");
	if (x->vdev)
		d->vdev = x->vdev;
	if (x->readonly >= 0 && d->readonly)
		return twice("access", "--readonly");
	d->readonly |= x->readonly == 1;
	if (x->cdrom >= 0 && d->cdrom)
		return twice("devtype", "--cdrom");
	d->cdrom |= x->cdrom == 1;
	if (x->discard >= 0 && d->no_discard)
		return twice("discard", "--no-discard");
	d->no_discard |= x->discard == 0;
	if (x->backendtype >= 0 && d->backend)
		return twice("backendtype", "--backend");
	if (x->backendtype >= 0)
		d->vbd.backend = (enum xbdev_vbd_backend)x->backendtype;
	d->format_raw |= x->format_raw;
	d->vbd.direct_io_safe = x->direct_io_safe;
	d->vbd.trusted_set = x->trusted >= 0;
	d->vbd.trusted = x->trusted == 1;
	return 0;
}

int cli_xldisk_apply(struct cli_disk *d, const char *cls)
{
	char e[CLI_ESCAPED_LEN];

	if (d->format && strcmp(d->format, "raw"))
		return cli_err(XBDEV_EXIT_USAGE,
			       "--format %s: xbdev serves "
			       "raw images only",
			       cli_esc(e, d->format));
	d->format_raw = d->format != NULL;
	if (d->backend && xbdev_vbd_backend_parse(d->backend, &d->vbd.backend))
		return cli_err(XBDEV_EXIT_USAGE,
			       "--backend '%s': not xbdev, "
			       "phy or qdisk",
			       cli_esc(e, d->backend));
	if (!d->spec)
		return 0;
	if (strcmp(cls, "vbd"))
		return cli_err(XBDEV_EXIT_USAGE,
			       "an xl disk spec needs CLASS vbd");
	if (xbdev_xldisk_parse(d->spec, &d->xl))
		return spec_refusal(&d->xl);
	return take_spec(d);
}

int cli_xldisk_finish(struct cli_disk *d)
{
	const char *name = NULL;
	int err = 0;

	d->vbd.no_discard = d->no_discard;
	if (!d->format_raw)
		err = xbdev_image_format(d->vbd.params, &name);
	if (err == -EMEDIUMTYPE)
		return cli_err(XBDEV_EXIT_USAGE,
			       "disk %s: a %s image: xbdev "
			       "serves raw disks only (format=raw or --format "
			       "raw if it is raw all the same)",
			       d->disk, name);
	if (err)
		return cli_err(XBDEV_EXIT_USAGE, "disk %s: %s", d->disk,
			       strerror(-err));
	if (d->vbd.backend == XBDEV_VBD_PHY && !d->vbd.blockdev)
		return cli_err(XBDEV_EXIT_USAGE,
			       "disk %s: --backend phy needs "
			       "a block device (the kernel's blkback opens it "
			       "by its number), e.g. a loop device: losetup "
			       "--find --show %s",
			       d->disk, d->disk);
	return 0;
}

int cli_disk_required(const struct xbdev_attach_spec *spec, unsigned n_back)
{
	const char *type = spec->be_type ? spec->be_type : spec->cls;

	if (spec->vbd || strcmp(spec->cls, "vbd") || n_back ||
	    strcmp(type, "vbd"))
		return 0;
	return cli_err(XBDEV_EXIT_USAGE,
		       "a vbd needs a disk: --disk PATH or "
		       "an xl disk spec ('vdev=xvdb, target=PATH'); without "
		       "one the kernel's blkback gets a device it cannot "
		       "serve (--back nodes for one made by hand)");
}

int cli_vbd_devid(const char *opt, const char *arg, unsigned devid)
{
	char e[CLI_ESCAPED_LEN];

	if (!xbdev_vdev_check(devid))
		return 0;
	return cli_err(XBDEV_EXIT_USAGE,
		       "%s %s: not a device id Linux "
		       "blkfront takes (an xvd, hd or sd disk: --vdev xvdb, "
		       "--vdev 51728, ...)",
		       opt, cli_esc(e, arg));
}
