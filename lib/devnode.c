/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dom0's Xen device nodes that xbdev-blkback opens, and the kernel
 * module that makes each: without xen-gntdev, libxengnttab's open of
 * /dev/xen/gntdev fails and the backend can never map a grant, so attach
 * would only time out.  Checked before anything is written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xbdev.h"

/* In the order the backend opens them (backend/xenbus.c). */
static const struct xbdev_devnode blkback_nodes[] = {
	{ "gntdev", "xen-gntdev" },
	{ "evtchn", "xen-evtchn" },
};

static const struct xbdev_devnode other_nodes[] = {
	{ "gntalloc", "xen-gntalloc" },
	{ "privcmd", "xen-privcmd" },
};

const char *xbdev_devnode_dir(void)
{
	const char *d = getenv("XBDEV_XEN_DEVDIR"); /* for tests */

	return d && *d ? d : XBDEV_XEN_DEVDIR;
}

const char *xbdev_devnode_module(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(blkback_nodes) / sizeof(blkback_nodes[0]); i++)
		if (!strcmp(name, blkback_nodes[i].name))
			return blkback_nodes[i].module;
	for (i = 0; i < sizeof(other_nodes) / sizeof(other_nodes[0]); i++)
		if (!strcmp(name, other_nodes[i].name))
			return other_nodes[i].module;
	return NULL;
}

int xbdev_blkback_devnodes(const char *dir,
			   const struct xbdev_devnode **missing)
{
	char path[XBDEV_PATH_MAX];
	struct stat st;
	size_t i;
	int n;

	if (!dir)
		dir = xbdev_devnode_dir();
	for (i = 0; i < sizeof(blkback_nodes) / sizeof(blkback_nodes[0]); i++) {
		n = snprintf(path, sizeof(path), "%s/%s", dir,
			     blkback_nodes[i].name);
		if (n < 0 || (size_t)n >= sizeof(path))
			return -ENAMETOOLONG;
		if (!stat(path, &st))
			continue;
		if (missing)
			*missing = &blkback_nodes[i];
		return errno == ENOENT || errno == ENOTDIR ? -ENODEV : -errno;
	}
	return 0;
}

int xbdev_devnode_why(char *buf, size_t len, const char *dir, const char *name,
		      int err)
{
	const char *mod = xbdev_devnode_module(name);
	bool absent = err == -ENOENT || err == -ENODEV || err == -ENXIO ||
		      err == -ENOTDIR;
	char hint[XBDEV_NAME_MAX + 32] = "";
	int n;

	if (absent && mod)
		snprintf(hint, sizeof(hint), " (load the %s module)", mod);
	n = snprintf(buf, len, "%s/%s: %s%s", dir ? dir : XBDEV_XEN_DEVDIR,
		     name, strerror(-err), hint);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
