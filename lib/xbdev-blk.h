/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev additions needed by the block backend (xbdev-blkback).
 * Same conventions as xbdev.h: 0 / -errno, no printing.
 */
#ifndef XBDEV_BLK_H
#define XBDEV_BLK_H

#include "xbdev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Watch one of xenstored's special paths, "@releaseDomain" (a domain died
 * or was destroyed) or "@introduceDomain"; xbdev_watch() takes absolute
 * paths only.  Events arrive through xbdev_watch_read()/_next() as usual,
 * with path equal to the special name.  -EINVAL for any other path. */
int xbdev_watch_special(struct xbdev *x, const char *special,
			const char *token);
int xbdev_unwatch_special(struct xbdev *x, const char *special,
			  const char *token);

#ifdef __cplusplus
}
#endif
#endif
