/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the tests that play the frontend: fill a request in a ring slot of
 * either ABI.  PUT_SLOT evaluates SLOT once and hands FILL, a macro, a
 * pointer to it as the ABI's struct xb32_TYPE or xb64_TYPE.  One FILL body
 * serves both layouts, as DECODE does in backend/request.c: the field names
 * are the same, only the offsets differ, and the compiler knows those from
 * the types.
 */
#ifndef XBDEV_TEST_BLKIF_SLOT_H
#define XBDEV_TEST_BLKIF_SLOT_H

#include "request.h"

#define PUT_SLOT(abi, slot, type, fill)                                      \
	do {                                                                 \
		void *slot_ = (slot);                                        \
                                                                             \
		if ((abi) == BLK_ABI_X86_32) {                               \
			struct xb32_##type *r32_ = slot_;                    \
                                                                             \
			fill(r32_);                                          \
		} else {                                                     \
			struct xb64_##type *r64_ = slot_;                    \
                                                                             \
			fill(r64_);                                          \
		}                                                            \
	} while (0)

#endif
