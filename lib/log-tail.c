/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxbdev: the last line of a backend's log, for an error message. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xbdev-internal.h"

/* Only the end of the file is read: a line longer than this is cut. */
#define TAIL_BYTES 4096

int xbdev_file_last_line(const char *path, char *buf, size_t len)
{
	char tail[TAIL_BYTES + 1];
	struct stat st;
	off_t off;
	ssize_t n;
	size_t end, start;
	int fd, err = 0;

	if (!len)
		return -EINVAL;
	buf[0] = '\0';
	/* The log's directory is checked by attach; do not follow a
	 * symlink planted in it all the same. */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	off = st.st_size > TAIL_BYTES ? st.st_size - TAIL_BYTES : 0;
	do
		n = pread(fd, tail, TAIL_BYTES, off);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		err = -errno;
		goto out;
	}
	/* Past trailing newlines and blanks, back to the line's start. */
	end = (size_t)n;
	while (end && strchr("\n\r \t", tail[end - 1]))
		end--;
	start = end;
	while (start && tail[start - 1] != '\n')
		start--;
	if (start == end) {
		err = -ENODATA;
		goto out;
	}
	if (end - start >= len)
		end = start + len - 1;
	memcpy(buf, tail + start, end - start);
	buf[end - start] = '\0';
out:
	close(fd);
	return err;
}
