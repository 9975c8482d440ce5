// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: the parsers of the frontend's "protocol" node, which
 * the guest writes: the backend's blk_abi_parse() and the frontend's own
 * xbf_parse_protocol().  Promises: only the names blkif.h defines are
 * accepted, the two parsers agree on what the native ABI is, and the
 * backend maps anything it accepts to a known ABI.
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "blkfront.h"
#include "request.h"
#include <xen/io/protocols.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum blk_abi abi = (enum blk_abi)-1;
	char *s = fuzz_str(data, size);
	int rb = blk_abi_parse(s, &abi), rf = xbf_parse_protocol(s);
	bool known = !strcmp(s, XEN_IO_PROTO_ABI_X86_32) ||
		     !strcmp(s, XEN_IO_PROTO_ABI_X86_64) ||
		     !strcmp(s, XEN_IO_PROTO_ABI_ARM) || !strcmp(s, "native");

	if (rb == 0)
		CHECK(abi == BLK_ABI_X86_32 || abi == BLK_ABI_X86_64);
	else
		CHECK(rb == -EINVAL);
	CHECK(rf == 0 || rf == -EPROTONOSUPPORT || rf == -EINVAL);
	/* nothing outside the defined names gets through either parser */
	if (!known) {
		CHECK(rb != 0);
		CHECK(rf == -EINVAL);
	}
	/* what the frontend calls native, the backend takes as x86_64 here */
	if (rf == 0)
		CHECK(rb == 0 && abi == BLK_ABI_X86_64);
	free(s);
	return 0;
}
