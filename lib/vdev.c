/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: virtual block device names <-> device ids, as specified by
 * Xen's xen-vbd-interface(7):
 *   xvd, disk < 16, partition < 16:      202 << 8 | disk << 4 | part
 *   xvd, disk < 2^20, partition < 256:   1 << 28 | disk << 8 | part
 *   sd,  disk < 16, partition < 16:        8 << 8 | disk << 4 | part
 *   hd,  disk 0-1, partition < 64:         3 << 8 | disk << 6 | part
 *   hd,  disk 2-3, partition < 64:        22 << 8 | (disk-2) << 6 | part
 *   d<disk>p<part>: as xvd;  a bare number is the id itself.
 * Disk letters are bijective base 26: a..z, aa..az, ba.., zz, aaa...
 */
#include <stdio.h>
#include <string.h>

#include "xbdev-internal.h"

#define XVD_MAJOR 202
#define SD_MAJOR 8
#define HD0_MAJOR 3
#define HD2_MAJOR 22
#define EXT_FLAG (1u << 28)
#define EXT_DISK_MAX ((1u << 20) - 1)
#define EXT_PART_MAX 255u
/* Ids at or above 1 << 29 are reserved by the specification. */
#define VDEV_ID_LIMIT (1u << 29)

/* Disk letters: returns the number of letters consumed (0 on error). */
static size_t parse_letters(const char *s, unsigned long *disk)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; s[i] >= 'a' && s[i] <= 'z'; i++) {
		v = v * 26 + (unsigned long)(s[i] - 'a' + 1);
		if (v - 1 > EXT_DISK_MAX)
			return 0;
	}
	if (i)
		*disk = v - 1;
	return i;
}

/* Optional partition suffix: "" is 0, otherwise 1..max without zeros. */
static int parse_part(const char *s, unsigned long max, unsigned long *part)
{
	int err;

	*part = 0;
	if (!*s)
		return 0;
	err = xbdev_parse_uint(s, max, part);
	if (!err && *part == 0)
		err = -EINVAL;
	return err;
}

static int encode_xvd(unsigned long disk, unsigned long part, unsigned *id)
{
	if (disk < 16 && part < 16)
		*id = XVD_MAJOR << 8 | (unsigned)(disk << 4 | part);
	else if (disk <= EXT_DISK_MAX && part <= EXT_PART_MAX)
		*id = EXT_FLAG | (unsigned)(disk << 8 | part);
	else
		return -ERANGE;
	return 0;
}

static int parse_xvd(const char *s, unsigned *id)
{
	unsigned long disk, part;
	size_t n = parse_letters(s, &disk);

	if (!n || parse_part(s + n, EXT_PART_MAX, &part))
		return -EINVAL;
	return encode_xvd(disk, part, id);
}

static int parse_sd(const char *s, unsigned *id)
{
	unsigned long disk, part;
	size_t n = parse_letters(s, &disk);

	if (!n || parse_part(s + n, 15, &part))
		return -EINVAL;
	if (disk >= 16)
		return -ERANGE;
	*id = SD_MAJOR << 8 | (unsigned)(disk << 4 | part);
	return 0;
}

static int parse_hd(const char *s, unsigned *id)
{
	unsigned long disk, part;
	size_t n = parse_letters(s, &disk);

	if (!n || parse_part(s + n, 63, &part))
		return -EINVAL;
	if (disk >= 4)
		return -ERANGE;
	if (disk < 2)
		*id = HD0_MAJOR << 8 | (unsigned)(disk << 6 | part);
	else
		*id = HD2_MAJOR << 8 | (unsigned)((disk - 2) << 6 | part);
	return 0;
}

/* d<disk>[p<part>] */
static int parse_dp(const char *s, unsigned *id)
{
	char num[16];
	const char *p = strchr(s, 'p');
	unsigned long disk, part = 0;
	size_t len = p ? (size_t)(p - s) : strlen(s);

	if (len == 0 || len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len);
	num[len] = '\0';
	if (xbdev_parse_uint(num, EXT_DISK_MAX, &disk))
		return -EINVAL;
	if (p && (!p[1] || parse_part(p + 1, EXT_PART_MAX, &part)))
		return -EINVAL;
	return encode_xvd(disk, part, id);
}

int xbdev_vdev_parse(const char *s, unsigned *devid)
{
	unsigned long v;
	int err;

	if (!s || !*s || strlen(s) > 32)
		return -EINVAL;
	if (s[0] >= '0' && s[0] <= '9') {
		err = xbdev_parse_uint(s, VDEV_ID_LIMIT - 1, &v);
		if (!err)
			*devid = (unsigned)v;
		return err;
	}
	if (!strncmp(s, "xvd", 3))
		return parse_xvd(s + 3, devid);
	if (!strncmp(s, "sd", 2))
		return parse_sd(s + 2, devid);
	if (!strncmp(s, "hd", 2))
		return parse_hd(s + 2, devid);
	if (s[0] == 'd')
		return parse_dp(s + 1, devid);
	return -EINVAL;
}

static int fmt_letters(char *buf, size_t len, unsigned disk)
{
	char tmp[8];
	size_t n = 0, i;

	/* Bijective base 26, least significant letter first. */
	for (;;) {
		tmp[n++] = (char)('a' + disk % 26);
		if (disk < 26)
			break;
		disk = disk / 26 - 1;
	}
	if (n + 1 > len)
		return -ENAMETOOLONG;
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return 0;
}

static int fmt_disk(char *buf, size_t len, const char *prefix, unsigned disk,
		    unsigned part)
{
	char letters[8];
	int n, err = fmt_letters(letters, sizeof(letters), disk);

	if (err)
		return err;
	n = part ? snprintf(buf, len, "%s%s%u", prefix, letters, part)
		 : snprintf(buf, len, "%s%s", prefix, letters);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int xbdev_vdev_name(unsigned devid, char *buf, size_t len)
{
	unsigned major = devid >> 8, minor = devid & 0xff;
	int n;

	if (devid >= VDEV_ID_LIMIT)
		return -EINVAL;
	/* The extended form of a disk and partition that the short form
	 * can hold is not canonical: show it as the bare number, so that
	 * every name parses back to the id it came from. */
	if ((devid & EXT_FLAG) &&
	    ((devid & ~EXT_FLAG) >> 8 >= 16 || minor >= 16))
		return fmt_disk(buf, len, "xvd", (devid & ~EXT_FLAG) >> 8,
				minor);
	switch (major) {
	case XVD_MAJOR:
		return fmt_disk(buf, len, "xvd", minor >> 4, minor & 15);
	case SD_MAJOR:
		return fmt_disk(buf, len, "sd", minor >> 4, minor & 15);
	/* Each IDE major holds two disks (minors 0-127); a number above
	 * that has no hd name and is shown as the bare number. */
	case HD0_MAJOR:
		if (minor < 128)
			return fmt_disk(buf, len, "hd", minor >> 6, minor & 63);
		break;
	case HD2_MAJOR:
		if (minor < 128)
			return fmt_disk(buf, len, "hd", 2 + (minor >> 6),
					minor & 63);
		break;
	}
	n = snprintf(buf, len, "%u", devid);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* The majors Linux xen-blkfront translates (xen_translate_vdev): every
 * other one it refuses ("please use an xvd device instead"). */
int xbdev_vdev_check(unsigned devid)
{
	unsigned major = devid >> 8;

	if (devid >= VDEV_ID_LIMIT)
		return -EINVAL;
	if (devid & EXT_FLAG)
		return 0;
	if (major == XVD_MAJOR || major == HD0_MAJOR || major == HD2_MAJOR ||
	    major == SD_MAJOR || (major >= 65 && major <= 71) ||
	    (major >= 128 && major <= 135))
		return 0;
	return -EINVAL;
}
