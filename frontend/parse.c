/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for command-line sizes and for the backend's xenstore nodes.
 *
 * The backend is not trusted either (blkif.h's "trusted" node exists for a
 * reason, and hostile mode deliberately provokes backends): every value is
 * parsed strictly with xbdev_parse_uint() and bounded before use.
 */
#include <errno.h>
#include <limits.h>

#include "blkfront.h"
#include "xbdev.h"
#include <xen/io/protocols.h>

int xbf_parse_size(const char *s, uint64_t max, uint64_t *out)
{
	char num[32];
	size_t len;
	unsigned shift = 0;
	unsigned long v;
	int r;

	if (!s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case 't': case 'T': shift = 40; break;
	case 's': case 'S': shift = 9; break;     /* sectors */
	default: break;
	}
	if (shift) {
		num[--len] = '\0';
		if (len == 0)
			return -EINVAL;
	}
	r = xbdev_parse_uint(num, ULONG_MAX >> shift, &v);
	if (r < 0)
		return r;
	if (((uint64_t)v << shift) > max)
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int xbf_parse_bool(const char *s, bool *out)
{
	if (!s || !s[0] || s[1] || (s[0] != '0' && s[0] != '1'))
		return -EINVAL;
	*out = s[0] == '1';
	return 0;
}

int xbf_parse_protocol(const char *s)
{
	if (!s)
		return -EINVAL;
	if (!strcmp(s, "native") || !strcmp(s, XEN_IO_PROTO_ABI_NATIVE))
		return 0;
	if (!strcmp(s, XEN_IO_PROTO_ABI_X86_32) ||
	    !strcmp(s, XEN_IO_PROTO_ABI_X86_64) ||
	    !strcmp(s, XEN_IO_PROTO_ABI_ARM))
		return -EPROTONOSUPPORT;
	return -EINVAL;
}

static int parse_u(const char *v, unsigned long max, unsigned *out)
{
	unsigned long x;
	int r = xbdev_parse_uint(v, max, &x);

	if (r < 0)
		return r;
	*out = (unsigned)x;
	return 0;
}

int xbf_parse_backend_node(struct xbf_backend_info *in, const char *key,
			   const char *v)
{
	unsigned long x;
	int r;

	if (!key)
		return -EINVAL;
	if (!strcmp(key, "max-ring-page-order")) {
		if (!v) {
			in->max_ring_order = 0;
			return 0;
		}
		/* Any order is parsed; the caller clamps to what it can
		 * allocate.  32 and more cannot be a page count. */
		return parse_u(v, 31, &in->max_ring_order);
	}
	if (!strcmp(key, "max-ring-pages")) {   /* deprecated form */
		unsigned n, o = 0;

		if (!v)
			return 0;
		r = parse_u(v, 1u << 30, &n);
		if (r < 0)
			return r;
		if (n == 0 || (n & (n - 1)))
			return -EINVAL;
		while ((1u << o) < n)
			o++;
		if (o > in->max_ring_order)
			in->max_ring_order = o;
		return 0;
	}
	if (!strcmp(key, "multi-queue-max-queues")) {
		if (!v) {
			in->max_queues = 1;
			return 0;
		}
		r = parse_u(v, UINT_MAX, &in->max_queues);
		if (r == 0 && in->max_queues == 0)
			in->max_queues = 1;
		return r;
	}
	if (!strcmp(key, "feature-max-indirect-segments")) {
		if (!v) {
			in->max_indirect_segs = 0;
			return 0;
		}
		return parse_u(v, UINT_MAX, &in->max_indirect_segs);
	}
	if (!strcmp(key, "sectors")) {
		if (!v)
			return -ENOENT;   /* mandatory at Connected */
		r = xbdev_parse_uint(v, ULONG_MAX, &x);
		if (r < 0)
			return r;
		in->sectors = x;
		return 0;
	}
	if (!strcmp(key, "sector-size") ||
	    !strcmp(key, "physical-sector-size")) {
		unsigned n;
		bool phys = key[0] == 'p';

		if (!v) {
			if (phys)
				in->physical_sector_size = in->sector_size;
			else
				in->sector_size = 512;
			return 0;
		}
		r = parse_u(v, 1u << 20, &n);
		if (r < 0)
			return r;
		if (n < 512 || (n & (n - 1)))
			return -EINVAL;
		if (phys)
			in->physical_sector_size = n;
		else
			in->sector_size = n;
		return 0;
	}
	if (!strcmp(key, "info")) {
		if (!v) {
			in->info = 0;
			return 0;
		}
		return parse_u(v, UINT_MAX, &in->info);
	}
	if (!strcmp(key, "discard-granularity") ||
	    !strcmp(key, "discard-alignment")) {
		unsigned *dst = key[8] == 'g' ? &in->discard_granularity
					      : &in->discard_alignment;

		if (!v) {
			*dst = 0;
			return 0;
		}
		return parse_u(v, UINT_MAX, dst);
	}
	{
		static const struct {
			const char *key;
			size_t off;
		} bools[] = {
			{ "feature-flush-cache",
			  offsetof(struct xbf_backend_info, flush) },
			{ "feature-barrier",
			  offsetof(struct xbf_backend_info, barrier) },
			{ "feature-discard",
			  offsetof(struct xbf_backend_info, discard) },
			{ "discard-secure",
			  offsetof(struct xbf_backend_info, discard_secure) },
			{ "feature-persistent",
			  offsetof(struct xbf_backend_info, persistent) },
		};

		for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
			bool *dst;

			if (strcmp(key, bools[i].key))
				continue;
			dst = (bool *)((char *)in + bools[i].off);
			if (!v) {
				*dst = false;
				return 0;
			}
			return xbf_parse_bool(v, dst);
		}
	}
	return 0;   /* unknown keys are not ours to judge */
}
