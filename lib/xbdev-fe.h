/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev additions for frontends running inside a guest (owned by the
 * frontend/ work; kept apart from xbdev.h so the contract stays small).
 */
#ifndef XBDEV_FE_H
#define XBDEV_FE_H

#include "xbdev.h"

/*
 * The id of the domain this process runs in.  Reads the relative node
 * "domid" (xenstored resolves it under the caller's /local/domain/<id>/,
 * where the toolstack writes it); a domain whose domid node is missing but
 * which is the control domain (/proc/xen/capabilities says control_d) is
 * domain 0.  -ENOENT when neither works.
 */
int xbdev_fe_self_domid(struct xbdev *x, unsigned *domid);

#endif
