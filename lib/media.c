/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: CD-ROM media change.  Linux blkfront (6.1, 6.12) takes no
 * medium change in place (see xbdev.h), so eject is a detach in order
 * that keeps the record as an ejected drive, and insert an attach under
 * the same device id that replaces that record.
 */
#include <string.h>
#include <time.h>

#include "xbdev-internal.h"

const char *const XBDEV_MEDIA_KEEP[] = {
	"frontend",
	"backend",
	"backend-id",
	"type",
	"created",
	XBDEV_RECORD_FE_NAME,
	XBDEV_RECORD_CDROM,
	XBDEV_RECORD_MEDIA,
	NULL,
};

/* A CD-ROM drive, with a medium in (eject) or ejected (insert). */
static int drive_check(const struct xbdev_record *rec, bool medium)
{
	bool ejected = !strcmp(rec->media, XBDEV_MEDIA_EJECTED);

	if (!rec->cdrom)
		return -EMEDIUMTYPE;
	if (medium && ejected)
		return -ENOMEDIUM;
	if (!medium && !ejected)
		return -EBUSY;
	return 0;
}

int xbdev_media_eject(struct xbdev *x, const struct xbdev_record *rec,
		      const struct xbdev_detach_opts *opts,
		      enum xbdev_side *stuck)
{
	struct xbdev_detach_opts o = *opts;
	int err = drive_check(rec, true);

	if (err)
		return err;
	o.keep_drive = true;
	return xbdev_detach(x, rec, &o, stuck);
}

int xbdev_media_spec(const struct xbdev_record *rec, const char *image,
		     struct xbdev_vbd *vbd, struct xbdev_attach_spec *spec)
{
	static const enum xbdev_vbd_backend kinds[] = {
		XBDEV_VBD_XBDEV,
		XBDEV_VBD_PHY,
		XBDEV_VBD_QDISK,
	};
	unsigned i;
	int err;

	if (!strcmp(rec->managed_by, XBDEV_MANAGED_BY_LIBXL))
		return -EPERM;
	err = drive_check(rec, false);
	if (err)
		return err;
	memset(spec, 0, sizeof(*spec));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(rec->type, xbdev_vbd_backend_type(kinds[i])))
			break;
	if (i == sizeof(kinds) / sizeof(kinds[0]))
		return -EINVAL;
	vbd->params = image;
	vbd->readonly = true;
	vbd->cdrom = true;
	vbd->backend = kinds[i];
	spec->fe = rec->fe;
	spec->be = rec->be;
	spec->cls = "vbd";
	spec->be_type = xbdev_vbd_backend_type(kinds[i]);
	spec->devid = rec->devid;
	spec->vbd = vbd;
	/* A new device for the stuck verdict (and prune's -ESTALE). */
	spec->created = time(NULL);
	spec->insert_media = true;
	return 0;
}
