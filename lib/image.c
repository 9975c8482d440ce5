/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libxbdev: one writer per disk image.
 *
 * An image is named by its inode (st_dev, st_ino; a block device by its
 * st_rdev), so a symlink, a hard link or a bind-mounted path to it is the
 * same image.  Rule, as Xen's block hotplug script has it: a writer is
 * alone; readers share.  Users it can see:
 *   - a dom0 backend directory of type xbdev-vbd or vbd (the kernel's
 *     blkback) whose params names the image, with its mode;
 *   - a bound loop device whose backing file is the image (/sys/block);
 *   - a process holding an open-file-description lock on it: every
 *     xbdev-blkback holds one (xbdev_image_lock), and QEMU locks the
 *     images it opens (read locks on bytes 100-..., so a writer's lock here
 *     conflicts with any QEMU user, a reader's with none);
 *   - for a writable block device, an exclusive holder in the kernel
 *     (mounted, LVM, MD: O_EXCL fails with EBUSY).
 * The xenstore part runs in attach's transaction: two attaches of one
 * image cannot both pass (each reads the directories the other creates).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "xbdev-internal.h"

#define SECTOR_BYTES 512u

struct image_id {
	bool blk;
	dev_t dev;      /* st_rdev of a block device, else st_dev */
	ino_t ino;      /* 0 for a block device */
};

static int image_id(const char *path, struct image_id *id)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (S_ISBLK(st.st_mode))
		*id = (struct image_id){ true, st.st_rdev, 0 };
	else if (S_ISREG(st.st_mode))
		*id = (struct image_id){ false, st.st_dev, st.st_ino };
	else
		return -ENOTBLK;
	return 0;
}

static bool same_image(const struct image_id *a, const struct image_id *b)
{
	return a->blk == b->blk && a->dev == b->dev && a->ino == b->ino;
}

int xbdev_image_size(const char *path, uint64_t *size)
{
	struct stat st;
	uint64_t bytes = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		err = -errno;
	else if (S_ISREG(st.st_mode))
		bytes = (uint64_t)st.st_size;
	else if (!S_ISBLK(st.st_mode))
		err = -ENOTBLK;
	else if (ioctl(fd, BLKGETSIZE64, &bytes))
		err = -errno;
	close(fd);
	if (!err && bytes == 0)
		err = -ENODATA;
	if (!err && bytes % SECTOR_BYTES)
		err = -EDOM;
	if (size)
		*size = bytes;
	return err;
}

int xbdev_sector_sizes_check(unsigned lss, unsigned pss)
{
	if (lss && lss != 512 && lss != 4096)
		return -EINVAL;
	if (pss && (pss & (pss - 1) || pss < (lss ? lss : 512) ||
		    pss > XBDEV_SECTOR_PHYS_MAX))
		return -ERANGE;
	return 0;
}

int xbdev_sector_fit(uint64_t size, unsigned dev_lss, unsigned lss,
		     unsigned pss)
{
	int err = xbdev_sector_sizes_check(lss, pss);

	if (err)
		return err;
	if (lss && lss < dev_lss)
		return -EOPNOTSUPP;
	/* The logical size the guest gets: asked for, or the image's. */
	if (!lss)
		lss = dev_lss;
	if (pss && pss < lss)
		return -ERANGE;
	if (size % lss || (pss && size % pss))
		return -EDOM;
	return 0;
}

/* The sector sizes asked for in v, against the image at path: its size,
 * and a block device's own logical block size. */
static int image_sectors_fit(const struct xbdev_vbd *v, const char *path)
{
	uint64_t size = 0;
	int lss = SECTOR_BYTES, fd, err;

	if (!v->sector_size && !v->phys_sector_size)
		return 0;
	err = xbdev_image_size(path, &size);
	if (err)
		return err;
	if (v->blockdev) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return -errno;
		if (ioctl(fd, BLKSSZGET, &lss) || lss < (int)SECTOR_BYTES)
			lss = SECTOR_BYTES;
		close(fd);
	}
	return xbdev_sector_fit(size, (unsigned)lss, v->sector_size,
				v->phys_sector_size);
}

int xbdev_image_check(struct xbdev_vbd *v, const char *path, char *resolved,
		      uint64_t *size)
{
	struct stat st;
	int err;

	if (!realpath(path, resolved)) {
		resolved[0] = '\0';
		return -errno;
	}
	err = xbdev_image_size(resolved, size);
	/* Unreadable is for access() to say, with the access wanted. */
	if (err && err != -EACCES)
		return err;
	if (access(resolved, v->readonly ? R_OK : R_OK | W_OK))
		return -errno;
	if (stat(resolved, &st))
		return -errno;
	v->blockdev = S_ISBLK(st.st_mode);
	v->major = v->blockdev ? major(st.st_rdev) : 0;
	v->minor = v->blockdev ? minor(st.st_rdev) : 0;
	err = image_sectors_fit(v, resolved);
	if (err)
		return err;
	v->params = resolved;
	return 0;
}

/* The first bytes of the formats a hypervisor's image is most often in;
 * a fixed VHD is raw data with a footer at the end (served as it is). */
struct magic {
	size_t off;
	const char *bytes;
	size_t len;
	const char *name;
};
static const struct magic magics[] = {
	{ 0, "QFI\xfb", 4, NULL },      /* qcow or qcow2: by version */
	{ 0, "QED\0", 4, "qed" },
	{ 0, "KDMV", 4, "vmdk" },        /* a sparse extent */
	{ 0, "# Disk DescriptorFile", 21, "vmdk" },
	{ 0, "vhdxfile", 8, "vhdx" },
	{ 0, "conectix", 8, "vhd" },     /* a dynamic VHD's footer copy */
	{ 0x40, "\x7f\x10\xda\xbe", 4, "vdi" },
};

int xbdev_image_format(const char *path, const char **name)
{
	unsigned char b[512];
	unsigned i;
	ssize_t n;
	int fd;

	*name = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	n = pread(fd, b, sizeof(b), 0);
	close(fd);
	if (n < 0)
		return -errno;
	for (i = 0; i < ARRAY_SIZE(magics); i++) {
		const struct magic *m = &magics[i];

		if ((size_t)n < m->off + m->len ||
		    memcmp(b + m->off, m->bytes, m->len))
			continue;
		/* qcow's version, big-endian after the magic: 1, else 2/3. */
		*name = m->name ? m->name : b[7] == 1 && !b[4] && !b[5] &&
					    !b[6] ? "qcow" : "qcow2";
		return -EMEDIUMTYPE;
	}
	return 0;
}

static void describe(char *by, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void describe(char *by, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!by || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(by, len, fmt, ap);
	va_end(ap);
}

/* A writer conflicts with every other user, a reader with writers. */
static bool conflicts(bool readonly, bool other_readonly)
{
	return !(readonly && other_readonly);
}

/* params as the backend opens it: an absolute path, or "kind:path"
 * (blktap, qdisk).  NULL when it names no file. */
static const char *params_path(const char *params)
{
	const char *colon;

	if (params[0] == '/')
		return params;
	colon = strrchr(params, ':');
	return colon && colon[1] == '/' ? colon + 1 : NULL;
}

/* One backend directory: -EBUSY when it serves the image in a mode that
 * conflicts with ours.  Nodes that are missing or name nothing we can
 * stat do not count: they serve no image we could compare. */
static int check_backend(struct xbdev *x, xbdev_txn_t t, const char *dir,
			 const struct image_id *img, bool readonly, char *by,
			 size_t len)
{
	char path[XBDEV_PATH_MAX], *params = NULL, *mode = NULL;
	struct image_id other;
	const char *file;
	int err;

	err = xbdev_path_join(path, sizeof(path), dir, "params");
	if (!err)
		err = xbdev_read(x, t, path, &params);
	if (err == -ENOENT)
		return 0;
	if (!err)
		err = xbdev_path_join(path, sizeof(path), dir, "mode");
	if (!err && xbdev_read(x, t, path, &mode))
		mode = NULL;
	if (err)
		goto out;
	file = params_path(params);
	if (file && !image_id(file, &other) && same_image(img, &other) &&
	    conflicts(readonly, mode && mode[0] == 'r')) {
		describe(by, len, "%s (mode %s)", dir, mode ? mode : "w");
		err = -EBUSY;
	}
out:
	free(params);
	free(mode);
	return err;
}

/* Every device directory below /local/domain/0/backend/<type>. */
static int check_backend_type(struct xbdev *x, xbdev_txn_t t,
			      const char *type, const struct image_id *img,
			      bool readonly, char *by, size_t len)
{
	char top[XBDEV_PATH_MAX], fe_dir[XBDEV_PATH_MAX], dir[XBDEV_PATH_MAX];
	char **fes = NULL, **ids = NULL;
	unsigned n_fe = 0, n_id = 0, i, j;
	int err;

	err = xbdev_path_domain(dir, sizeof(dir), 0, "backend");
	if (!err)
		err = xbdev_path_join(top, sizeof(top), dir, type);
	if (!err)
		err = xbdev_ls(x, t, top, &fes, &n_fe);
	if (err == -ENOENT)
		return 0;
	for (i = 0; !err && i < n_fe; i++) {
		err = xbdev_path_join(fe_dir, sizeof(fe_dir), top, fes[i]);
		if (!err)
			err = xbdev_ls(x, t, fe_dir, &ids, &n_id);
		if (err == -ENOENT) {
			err = 0;
			continue;
		}
		for (j = 0; !err && j < n_id; j++) {
			err = xbdev_path_join(dir, sizeof(dir), fe_dir, ids[j]);
			if (!err)
				err = check_backend(x, t, dir, img, readonly,
						    by, len);
		}
		xbdev_strv_free(ids, n_id);
		ids = NULL;
		n_id = 0;
	}
	xbdev_strv_free(fes, n_fe);
	return err;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)len, f);

	if (f)
		fclose(f);
	if (!ok)
		return -ENOENT;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* A bound loop device whose backing file is the image. */
static int check_loops(const struct image_id *img, bool readonly, char *by,
		       size_t len)
{
	char path[PATH_MAX], file[PATH_MAX], ro[8];
	struct image_id other;
	struct dirent *e;
	DIR *d;
	int err = 0;

	if (img->blk)
		return 0;
	d = opendir("/sys/block");
	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		if (strncmp(e->d_name, "loop", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file",
			 e->d_name);
		if (read_line(path, file, sizeof(file)) ||
		    image_id(file, &other) || !same_image(img, &other))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/ro", e->d_name);
		if (read_line(path, ro, sizeof(ro)))
			ro[0] = '0';
		if (conflicts(readonly, ro[0] == '1')) {
			describe(by, len, "loop device /dev/%s (%s)", e->d_name,
				 ro[0] == '1' ? "read-only" : "writable");
			err = -EBUSY;
		}
	}
	closedir(d);
	return err;
}

static void lock_range(struct flock *fl, bool readonly)
{
	/* The whole file: l_start 0, l_len 0 (to the end, however it grows). */
	memset(fl, 0, sizeof(*fl));
	fl->l_type = readonly ? F_RDLCK : F_WRLCK;
	fl->l_whence = SEEK_SET;
}

int xbdev_image_unlock(int fd)
{
	struct flock fl;

	lock_range(&fl, true);
	fl.l_type = F_UNLCK;
	return fcntl(fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

int xbdev_image_lock(int fd, bool readonly)
{
	struct flock fl;

	lock_range(&fl, readonly);
	if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? -EBUSY : -errno;
}

/* A lock that xbdev_image_lock(readonly) would conflict with; for a
 * writable block device also an exclusive holder in the kernel. */
static int check_locks(const char *path, const struct image_id *img,
		       bool readonly, char *by, size_t len)
{
	struct flock fl;
	int fd, err = 0;

	if (img->blk && !readonly) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_EXCL | O_NONBLOCK);
		if (fd < 0 && errno == EBUSY) {
			describe(by, len, "the kernel (mounted, or held by a "
				 "driver such as LVM or MD)");
			return -EBUSY;
		}
		if (fd >= 0)
			close(fd);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	lock_range(&fl, readonly);
	if (fcntl(fd, F_OFD_GETLK, &fl))
		err = -errno;
	else if (fl.l_type != F_UNLCK) {
		/* OFD locks have no owner pid (-1); POSIX locks have one. */
		if (fl.l_pid > 0)
			describe(by, len, "process %d (holds a %s lock on it)",
				 (int)fl.l_pid,
				 fl.l_type == F_WRLCK ? "write" : "read");
		else
			describe(by, len, "a process holding a %s lock on it "
				 "(another xbdev-blkback, QEMU)",
				 fl.l_type == F_WRLCK ? "write" : "read");
		err = -EBUSY;
	}
	close(fd);
	return err;
}

/* Backend types of dom0 whose params name an image. */
static const char *const image_backends[] = { "xbdev-vbd", "vbd", "vbd3",
					      "qdisk" };

int xbdev_image_in_use(struct xbdev *x, xbdev_txn_t t, const char *path,
		       bool readonly, char *by, size_t len)
{
	struct image_id img;
	unsigned i;
	int err;

	describe(by, len, "%s", "");
	err = image_id(path, &img);
	for (i = 0; !err && x && i < ARRAY_SIZE(image_backends); i++)
		err = check_backend_type(x, t, image_backends[i], &img,
					 readonly, by, len);
	if (!err)
		err = check_loops(&img, readonly, by, len);
	if (!err)
		err = check_locks(path, &img, readonly, by, len);
	return err;
}
