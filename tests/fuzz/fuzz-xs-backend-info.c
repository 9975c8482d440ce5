// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer target: xbf_parse_backend_node(), the frontend's parser of the
 * backend's nodes (limits at InitWait, properties at Connected).  A
 * backend can be hostile too (blkif.h's "trusted" node), so the promises
 * are the same as for guest values: whatever the value, the parsed limits
 * stay within what the frontend can size buffers for.
 *
 * Input: byte 0 picks the key, the rest is the value; an empty rest with
 * byte 1 absent means "node absent".
 */
#include <errno.h>

#include "fuzz-xs-common.h"
#include "blkfront.h"

static const char *const keys[] = {
	"max-ring-page-order", "max-ring-pages", "multi-queue-max-queues",
	"feature-max-indirect-segments", "sectors", "sector-size",
	"physical-sector-size", "info", "feature-flush-cache",
	"feature-barrier", "feature-discard", "discard-granularity",
	"discard-alignment", "discard-secure", "feature-persistent",
	"unknown-key",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xbf_backend_info in = {
		.sector_size = 512, .physical_sector_size = 512,
		.max_queues = 1,
	};
	const char *key;
	char *s = NULL;
	int r;

	if (size < 1)
		return 0;
	key = keys[data[0] % (sizeof(keys) / sizeof(keys[0]))];
	if (size > 1)
		s = fuzz_str(data + 1, size - 1);
	r = xbf_parse_backend_node(&in, key, s);
	CHECK(r == 0 || r == -EINVAL || r == -ERANGE || r == -ENOENT);
	CHECK(in.max_ring_order <= 31);
	CHECK(in.max_queues >= 1);
	CHECK(in.sector_size >= 512 && !(in.sector_size & (in.sector_size - 1)));
	CHECK(in.physical_sector_size >= 512 &&
	      !(in.physical_sector_size & (in.physical_sector_size - 1)));
	free(s);
	return 0;
}
