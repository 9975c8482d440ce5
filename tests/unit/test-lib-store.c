/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libxbdev code that changes the store, on an in-memory xenstore holding
 * what attach writes for a served vbd: retiring and recreating a frontend
 * directory (renew.c), removing a device and the parents attach made
 * (record.c, what detach runs); the free device ids attach picks;
 * attach itself, and what it leaves when it fails; attaches that race;
 * one writer per image; what the spawned daemon inherits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "xbdev.h"
#include "xbdev-internal.h"
#include "fake-xs.h"

#define FE_DIR "/local/domain/7/device/vbd/51728"
#define BE_DIR "/local/domain/0/backend/xbdev-vbd/7/51728"
#define REC_DIR "/xbdev/7/vbd/51728"

static struct xbdev *x;
static struct xbdev_record rec;
static char *pristine;          /* the whole store before the attach */

static char logdir[] = "/tmp/xbdev-test-store-XXXXXX";

static char *dump(const char *dir);

/* logdir/name, a file of size bytes (made once); a static buffer. */
static const char *image(const char *name, off_t size)
{
	static char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", logdir, name);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
	return path;
}

/* attach for vbd devid of guest 7 (an image of its own), served from dom0
 * by a "daemon" that exits at once (/bin/true): the store gets what a
 * real attach writes. */
static void attach_vbd(unsigned devid)
{
	char name[32];
	struct xbdev_vbd vbd = { 0 };
	struct xbdev_attach_spec spec = {
		.fe = 7, .be = 0, .cls = "vbd", .be_type = "xbdev-vbd",
		.devid = devid, .vbd = &vbd, .daemon = "/bin/true",
		.log_dir = logdir, .created = 1,
	};

	snprintf(name, sizeof(name), "d%u.img", devid);
	vbd.params = image(name, 1 << 20);
	assert_int_equal(xbdev_attach(x, &spec, NULL, NULL), 0);
}

static int group_setup(void **s)
{
	(void)s;
	return mkdtemp(logdir) ? 0 : -1;
}

/* The daemons' logs, then their folder. */
static int group_teardown(void **s)
{
	struct dirent *e;
	char path[PATH_MAX];
	DIR *d = opendir(logdir);

	(void)s;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", logdir,
				 e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	return rmdir(logdir);
}

/* Guest 7 with an attached, served xvdb whose frontend has gone Closed. */
static int setup(void **s)
{
	(void)s;
	fake_xs_reset();
	assert_int_equal(xbdev_open(&x), 0);
	assert_int_equal(xbdev_write(x, XBDEV_TXN_NONE, "/local/domain/7/name",
				     "guest"), 0);
	assert_int_equal(xbdev_write(x, XBDEV_TXN_NONE, "/local/domain/0/name",
				     "Domain-0"), 0);
	pristine = dump("/");
	attach_vbd(51728);
	assert_int_equal(xbdev_state_write(x, XBDEV_TXN_NONE, FE_DIR,
					   XBDEV_STATE_CLOSED), 0);
	assert_int_equal(xbdev_record_read(x, XBDEV_TXN_NONE, 7, "vbd", 51728,
					   &rec), 0);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	xbdev_close(x);
	free(pristine);
	fake_xs_reset();
	return 0;
}

static int retire_txn(struct xbdev *xb, xbdev_txn_t t, void *arg)
{
	return xbdev_frontend_retire(xb, t, arg);
}

static int recreate_txn(struct xbdev *xb, xbdev_txn_t t, void *arg)
{
	return xbdev_frontend_recreate(xb, t, arg);
}

/* Every node below dir as "path = value (acl)" lines, sorted. */
static char *dump(const char *dir)
{
	char *out = NULL, **lines;
	size_t len = 0;
	unsigned i, j, k = 0;
	FILE *f;

	lines = calloc(fake_xs.count, sizeof(*lines));
	for (i = 0; i < fake_xs.count; i++) {
		const struct fake_node *n = &fake_xs.n[i];
		size_t l = 0;

		if (!fake_below(n->path, dir))
			continue;
		f = open_memstream(&lines[k], &l);
		fprintf(f, "%s = \"%s\" (", n->path, n->value);
		for (j = 0; j < n->n_perms; j++)
			fprintf(f, "%s%u:%d", j ? "," : "", n->perms[j].id,
				n->perms[j].perms);
		fprintf(f, ")\n");
		fclose(f);
		k++;
	}
	/* Order by path: the store keeps no order. */
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
			char *tmp = lines[j];

			lines[j] = lines[j - 1];
			lines[j - 1] = tmp;
		}
	f = open_memstream(&out, &len);
	for (i = 0; i < k; i++) {
		fputs(lines[i], f);
		free(lines[i]);
	}
	fclose(f);
	free(lines);
	return out;
}

static void set(const char *path, const char *value)
{
	assert_int_equal(xbdev_write(x, XBDEV_TXN_NONE, path, value), 0);
}

static void test_renew_round_trip(void **s)
{
	char *before, *after, *backend, *record;

	(void)s;
	/* What the guest will find again: attach's nodes with state 1. */
	set(FE_DIR "/state", "1");
	before = dump(FE_DIR);
	set(FE_DIR "/state", "6");
	backend = dump(BE_DIR);
	record = dump(REC_DIR);

	assert_int_equal(xbdev_txn(x, retire_txn, &rec), 0);
	assert_null(fake_find(FE_DIR));
	assert_non_null(fake_find("/local/domain/7/device/vbd"));

	assert_int_equal(xbdev_txn(x, recreate_txn, &rec), 0);
	after = dump(FE_DIR);
	assert_string_equal(after, before);
	/* Frontend owned by the guest, the backend domain may read. */
	assert_int_equal(fake_find(FE_DIR)->perms[0].id, 7);
	free(after);
	after = dump(BE_DIR);
	assert_string_equal(after, backend);
	free(after);
	after = dump(REC_DIR);
	assert_string_equal(after, record);
	free(after);
	free(before);
	free(backend);
	free(record);
}

/* A refused retire changes nothing. */
static void assert_retire_refused(int expect)
{
	char *before = dump("/"), *after;

	assert_int_equal(xbdev_txn(x, retire_txn, &rec), expect);
	after = dump("/");
	assert_string_equal(after, before);
	free(before);
	free(after);
}

static void test_retire_only_closed(void **s)
{
	(void)s;
	set(FE_DIR "/state", "4");
	assert_retire_refused(-EBUSY);
	set(FE_DIR "/state", "1");
	assert_retire_refused(-EBUSY);
}

static void test_retire_only_attached(void **s)
{
	(void)s;
	set(BE_DIR "/online", "0");
	assert_retire_refused(-EBUSY);
	set(BE_DIR "/online", "1");
	set(REC_DIR "/detaching", "1700000000");
	assert_retire_refused(-EBUSY);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, REC_DIR), 0);
	assert_retire_refused(-EBUSY);
}

static void test_retire_needs_copy(void **s)
{
	(void)s;
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, REC_DIR "/front"), 0);
	assert_retire_refused(-ENOENT);
}

static void test_recreate_refusals(void **s)
{
	char *before, *after;

	(void)s;
	/* The directory is there: nothing to recreate. */
	assert_int_equal(xbdev_txn(x, recreate_txn, &rec), -EEXIST);
	assert_int_equal(xbdev_txn(x, retire_txn, &rec), 0);
	/* A detach began in between. */
	set(REC_DIR "/detaching", "1700000000");
	assert_int_equal(xbdev_txn(x, recreate_txn, &rec), -EBUSY);
	set(REC_DIR "/detaching", "0");
	/* The guest died: its /local/domain/7 must not come back. */
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, "/local/domain/7"), 0);
	before = dump("/");
	assert_int_equal(xbdev_txn(x, recreate_txn, &rec), -ESRCH);
	after = dump("/");
	assert_string_equal(after, before);
	free(before);
	free(after);
}

static int remove_txn(struct xbdev *xb, xbdev_txn_t t, void *arg)
{
	const struct xbdev_record *r = arg;
	int err = xbdev_remove_device(xb, t, r->fe_dir, r->be_dir, r->rec_dir);

	return err ? err : xbdev_remove_parents(xb, t, r->fe, r->be);
}

/* The last device gone: the store is as it was before the attach,
 * including the device/ and backend/ parents attach had to create. */
static void test_remove_leaves_nothing(void **s)
{
	char *now;

	(void)s;
	assert_int_equal(xbdev_txn(x, remove_txn, &rec), 0);
	now = dump("/");
	assert_string_equal(now, pristine);
	free(now);
}

/* Another device of the guest keeps every node it had, and the parents. */
static void test_remove_keeps_others(void **s)
{
	char *other, *now;

	(void)s;
	attach_vbd(51744);
	other = dump("/local/domain/7/device/vbd/51744");
	assert_int_equal(xbdev_txn(x, remove_txn, &rec), 0);
	assert_null(fake_find(FE_DIR));
	assert_null(fake_find(BE_DIR));
	assert_null(fake_find(REC_DIR));
	now = dump("/local/domain/7/device/vbd/51744");
	assert_string_equal(now, other);
	assert_non_null(fake_find("/local/domain/0/backend/xbdev-vbd/7/51744"));
	assert_non_null(fake_find("/xbdev/7/vbd/51744/front"));
	free(other);
	free(now);
}

/* An id is taken by any of the three: frontend, backend or record. */
static void test_devid_free(void **s)
{
	unsigned id = 99;

	(void)s;
	set("/local/domain/7/device/mydevice/0/state", "1");
	set("/local/domain/0/backend/mydevice/7/1/state", "1");
	set("/xbdev/7/mydevice/2/frontend", "x");
	set("/local/domain/7/device/mydevice/junk", "");
	set("/local/domain/7/device/mydevice/4/state", "1");
	assert_int_equal(xbdev_devid_free(x, XBDEV_TXN_NONE, 7, "mydevice", 0,
					  "mydevice", &id), 0);
	assert_int_equal(id, 3);
	/* Another backend domain's directory does not count. */
	set("/local/domain/0/backend/mydevice/7/3/state", "1");
	set("/local/domain/9/backend/mydevice/7/5/state", "1");
	assert_int_equal(xbdev_devid_free(x, XBDEV_TXN_NONE, 7, "mydevice", 0,
					  "mydevice", &id), 0);
	assert_int_equal(id, 5);
}

/* The lowest free xvd name: xvdb (51728) is the fixture's. */
static void test_vdev_free(void **s)
{
	unsigned id = 0;

	(void)s;
	assert_int_equal(xbdev_vdev_free(x, XBDEV_TXN_NONE, 7, 0, "xbdev-vbd",
					 &id), 0);
	assert_int_equal(id, 51712);
	set("/local/domain/7/device/vbd/51712/state", "1");
	/* A backend directory left behind takes its id too. */
	set("/local/domain/0/backend/xbdev-vbd/7/51744/state", "1");
	assert_int_equal(xbdev_vdev_free(x, XBDEV_TXN_NONE, 7, 0, "xbdev-vbd",
					 &id), 0);
	assert_int_equal(id, 51760);
}

static const struct xbdev_attach_spec mydevice = {
	.fe = 7, .be = 0, .cls = "mydevice", .devid_auto = true, .created = 1,
};

/* attach writes its plan: every node with its value and ACL. */
static void test_attach_writes_plan(void **s)
{
	struct xbdev_plan *p = NULL;
	enum xbdev_side side;
	unsigned i, j;

	(void)s;
	assert_int_equal(xbdev_attach(x, &mydevice, &p, &side), 0);
	assert_string_equal(p->fe_dir, "/local/domain/7/device/mydevice/0");
	for (i = 0; i < p->n_nodes; i++) {
		const struct xbdev_node *n = &p->nodes[i];
		const struct fake_node *f = fake_find(n->path);

		assert_non_null(f);
		assert_string_equal(f->value, n->value);
		assert_int_equal(f->n_perms, n->n_acl);
		for (j = 0; j < n->n_acl; j++)
			assert_int_equal(f->perms[j].id, n->acl[j].domid);
	}
	/* The record keeps the guest's name as it was at attach time. */
	assert_non_null(fake_find("/xbdev/7/mydevice/0/frontend-name"));
	assert_string_equal(fake_find("/xbdev/7/mydevice/0/frontend-name")->value,
			    "guest");
	xbdev_plan_free(p);
	/* The next one takes the next id. */
	assert_int_equal(xbdev_attach(x, &mydevice, &p, &side), 0);
	assert_string_equal(p->fe_dir, "/local/domain/7/device/mydevice/1");
	xbdev_plan_free(p);
}

/* A refused or failed attach leaves the store exactly as it was. */
static void assert_attach_fails(const struct xbdev_attach_spec *spec,
				int expect)
{
	char *before = dump("/"), *after;
	struct xbdev_plan *p = NULL;
	enum xbdev_side side;

	assert_int_equal(xbdev_attach(x, spec, &p, &side), expect);
	assert_null(p);
	fake_xs_writes_left = 0;
	after = dump("/");
	assert_string_equal(after, before);
	free(before);
	free(after);
}

static void test_attach_refusals(void **s)
{
	struct xbdev_attach_spec spec = mydevice;
	struct xbdev_plan *p = NULL;
	enum xbdev_side side = XBDEV_SIDE_RECORD;

	(void)s;
	spec.devid_auto = false;
	spec.devid = 3;
	set("/local/domain/7/device/mydevice/3/state", "1");
	assert_attach_fails(&spec, -EEXIST);
	assert_int_equal(xbdev_attach(x, &spec, &p, &side), -EEXIST);
	assert_int_equal(side, XBDEV_SIDE_FRONTEND);
	spec.devid = 4;
	set("/xbdev/7/mydevice/4/frontend", "x");
	assert_int_equal(xbdev_attach(x, &spec, &p, &side), -EEXIST);
	assert_int_equal(side, XBDEV_SIDE_RECORD);
	/* A guest that is gone. */
	spec.fe = 9;
	assert_attach_fails(&spec, -ESRCH);
	/* A daemon that is not there. */
	spec = mydevice;
	spec.daemon = "/nonexistent/xbdev-blkback";
	assert_attach_fails(&spec, -ENOENT);
}

/* xenstored refusing any one write (its quota) aborts the whole attach. */
static void test_attach_write_failure(void **s)
{
	struct xbdev_plan *p = NULL;
	enum xbdev_side side;
	unsigned n_nodes;
	int k;

	(void)s;
	assert_int_equal(xbdev_attach_plan(&mydevice, &p), 0);
	/* and the record's frontend-name, which attach adds from the
	 * store */
	n_nodes = p->n_nodes + 1;
	xbdev_plan_free(p);
	/* Each of the writes in turn; the one after the last is not made. */
	for (k = 1; k <= (int)n_nodes; k++) {
		fake_xs_writes_left = k;
		assert_attach_fails(&mydevice, -ENOSPC);
	}
	fake_xs_writes_left = k;
	assert_int_equal(xbdev_attach(x, &mydevice, NULL, &side), 0);
}

/* A daemon that cannot be executed: the committed attach is rolled back
 * and nothing is left, not even the parents it created. */
static void test_attach_daemon_exec_fails(void **s)
{
	char dir[] = "/tmp/xbdev-test-XXXXXX", daemon[64];
	struct xbdev_attach_spec spec = mydevice;
	FILE *f;

	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(daemon, sizeof(daemon), "%s/daemon", dir);
	f = fopen(daemon, "w");
	fputs("not a program\n", f);
	fclose(f);
	assert_int_equal(chmod(daemon, 0755), 0);
	spec.daemon = daemon;
	spec.log_dir = dir;
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, REC_DIR), 0);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, FE_DIR), 0);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, BE_DIR), 0);
	assert_int_equal(xbdev_remove_parents(x, XBDEV_TXN_NONE, 7, 0), 0);
	assert_attach_fails(&spec, -ENOEXEC);
	unlink(daemon);
	snprintf(daemon, sizeof(daemon), "%s/mydevice-7-0.log", dir);
	unlink(daemon);
	assert_int_equal(rmdir(dir), 0);
}


/* ---- attaches that run at once ---- */

static void take_xvda(void)
{
	set("/local/domain/7/device/vbd/51712/state", "1");
}

static void take_mydevice_0(void)
{
	set("/local/domain/7/device/mydevice/0/state", "1");
}

/* Another attach commits the id this one chose first: the retry picks the
 * next free one instead of failing "frontend directory already exists". */
static void test_attach_vbd_race(void **s)
{
	struct xbdev_vbd vbd = { 0 };
	struct xbdev_attach_spec spec = {
		.fe = 7, .be = 0, .cls = "vbd", .be_type = "xbdev-vbd",
		.devid_auto = true, .vbd = &vbd, .daemon = "/bin/true",
		.log_dir = logdir, .created = 1,
	};
	struct xbdev_plan *p = NULL;

	(void)s;
	vbd.params = image("race.img", 1 << 20);
	fake_xs_race = take_xvda;
	assert_int_equal(xbdev_attach(x, &spec, &p, NULL), 0);
	assert_null(fake_xs_race);
	/* xvda went to the other attach, xvdb is the fixture's. */
	assert_int_equal(p->devid, 51744);
	assert_string_equal(fake_find("/local/domain/7/device/vbd/51712/state")
				    ->value, "1");
	assert_null(fake_find("/local/domain/7/device/vbd/51712/backend"));
	assert_non_null(fake_find("/xbdev/7/vbd/51744/front"));
	xbdev_plan_free(p);
}

static void test_attach_custom_race(void **s)
{
	struct xbdev_plan *p = NULL;

	(void)s;
	fake_xs_race = take_mydevice_0;
	assert_int_equal(xbdev_attach(x, &mydevice, &p, NULL), 0);
	assert_null(fake_xs_race);
	assert_int_equal(p->devid, 1);
	assert_null(fake_find("/local/domain/7/device/mydevice/0/backend"));
	xbdev_plan_free(p);
}

/* -v shows what the library does: its log, a line each. */
static char txn_log[4096];

static void keep_log(void *data, int prio, const char *fmt, va_list ap)
{
	size_t n = strlen(txn_log);

	vsnprintf(txn_log + n, sizeof(txn_log) - n, fmt, ap);
	n = strlen(txn_log);
	if (n + 1 < sizeof(txn_log))
		strcpy(txn_log + n, "\n");
}

/* The attach of test_attach_custom_race, as its log tells it: the lost
 * commit, the retry that committed, what was written. */
static void test_txn_logged(void **s)
{
	struct xbdev_attach_spec again = mydevice;
	struct xbdev_plan *p = NULL;

	(void)s;
	txn_log[0] = '\0';
	xbdev_set_log_fn(x, keep_log, NULL);
	fake_xs_race = take_mydevice_0;
	assert_int_equal(xbdev_attach(x, &mydevice, &p, NULL), 0);
	assert_non_null(strstr(txn_log, "transaction conflict, retry 1\n"
					"transaction committed (attempt 2)\n"
					"wrote "));
	assert_non_null(strstr(txn_log, " nodes: /local/domain/7/device/"
					"mydevice/1, /local/domain/0/backend/"
					"mydevice/7/1, /xbdev/7/mydevice/1\n"));
	/* A refusal aborts: it says nothing was written. */
	again.devid_auto = false;
	again.devid = 1;
	txn_log[0] = '\0';
	assert_int_equal(xbdev_attach(x, &again, NULL, NULL), -EEXIST);
	assert_string_equal(txn_log, "transaction aborted: "
				     "File exists\n");
	xbdev_set_log_fn(x, NULL, NULL);
	xbdev_plan_free(p);
}

static void record_0_in_between(const char *path)
{
	if (strcmp(path, "/xbdev/7/mydevice"))
		return;
	fake_xs_after_ls = NULL;
	fake_xs_concurrent_write("/xbdev/7/mydevice/0/frontend", "x");
}

/* Another attach commits after this one listed the ids but before it
 * looked its choice up: an id taken meanwhile means start over, not
 * "record directory already exists". */
static void test_attach_taken_in_between(void **s)
{
	struct xbdev_plan *p = NULL;

	(void)s;
	fake_xs_after_ls = record_0_in_between;
	assert_int_equal(xbdev_attach(x, &mydevice, &p, NULL), 0);
	assert_null(fake_xs_after_ls);
	assert_int_equal(p->devid, 1);
	assert_string_equal(fake_find("/xbdev/7/mydevice/0/frontend")->value,
			    "x");
	xbdev_plan_free(p);
}

/* ---- one writer per image ---- */

static struct xbdev_vbd disk;
static struct xbdev_attach_spec disk_spec = {
	.fe = 7, .be = 0, .cls = "vbd", .be_type = "xbdev-vbd",
	.devid_auto = true, .vbd = &disk, .daemon = "/bin/true",
	.created = 1,
};

/* The fixture serves logdir/d51728.img read-write. */
static const char *fixture_image(void)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/d51728.img", logdir);
	return path;
}

static void attach_disk(const char *path, bool readonly, int expect)
{
	disk = (struct xbdev_vbd){ .params = path, .readonly = readonly };
	disk_spec.log_dir = logdir;
	if (expect)
		assert_attach_fails(&disk_spec, expect);
	else
		assert_int_equal(xbdev_attach(x, &disk_spec, NULL, NULL), 0);
}

/* The same inode by any name: symlink, hard link. */
static void test_image_one_writer(void **s)
{
	char link1[PATH_MAX], link2[PATH_MAX];

	(void)s;
	snprintf(link1, sizeof(link1), "%s/symlink.img", logdir);
	snprintf(link2, sizeof(link2), "%s/hardlink.img", logdir);
	unlink(link1);
	unlink(link2);
	assert_int_equal(symlink(fixture_image(), link1), 0);
	assert_int_equal(link(fixture_image(), link2), 0);
	attach_disk(fixture_image(), false, -EBUSY);
	attach_disk(link1, false, -EBUSY);
	attach_disk(link2, false, -EBUSY);
	/* Not even read-only while a writer has it. */
	attach_disk(link2, true, -EBUSY);
	/* Another guest: the same. */
	set("/local/domain/8/name", "other");
	disk_spec.fe = 8;
	attach_disk(link1, false, -EBUSY);
	disk_spec.fe = 7;
	/* --shared lets a second writer in, and its record says so. */
	disk = (struct xbdev_vbd){ .params = link1, .shared = true };
	assert_int_equal(xbdev_attach(x, &disk_spec, NULL, NULL), 0);
	assert_string_equal(fake_find("/xbdev/7/vbd/51712/shared")->value,
			    "1");
	assert_null(fake_find("/xbdev/7/vbd/51728/shared"));
	unlink(link1);
	unlink(link2);
}

/* Readers share; a writer is alone. */
static void test_image_readers_share(void **s)
{
	const char *ro = image("ro.img", 1 << 20);
	char path[PATH_MAX];

	(void)s;
	snprintf(path, sizeof(path), "%s", ro);
	attach_disk(path, true, 0);
	attach_disk(path, true, 0);
	attach_disk(path, false, -EBUSY);
}

/* A process holding a lock as xbdev-blkback takes (another backend started
 * by hand, QEMU): a write lock keeps everyone out, a read lock writers. */
static void test_image_lock(void **s)
{
	char path[PATH_MAX];
	int fd, fd2;

	(void)s;
	snprintf(path, sizeof(path), "%s", image("locked.img", 1 << 20));
	fd = open(path, O_RDONLY);
	assert_int_equal(xbdev_image_lock(fd, true), 0);
	attach_disk(path, false, -EBUSY);
	attach_disk(path, true, 0);
	close(fd);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE, "/xbdev/7/vbd/51712"), 0);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE,
				  "/local/domain/7/device/vbd/51712"), 0);
	assert_int_equal(xbdev_rm(x, XBDEV_TXN_NONE,
			"/local/domain/0/backend/xbdev-vbd/7/51712"), 0);
	fd = open(path, O_RDWR);
	assert_int_equal(xbdev_image_lock(fd, false), 0);
	/* A second lock of the same kind on another open of the file. */
	fd2 = open(path, O_RDONLY);
	assert_int_equal(xbdev_image_lock(fd2, true), -EBUSY);
	close(fd2);
	attach_disk(path, true, -EBUSY);
	close(fd);
	attach_disk(path, false, 0);
}

/* Nothing to serve, or a tail no sector can reach: refused up front. */
static void test_image_size(void **s)
{
	char path[PATH_MAX];
	uint64_t size = 1;

	(void)s;
	snprintf(path, sizeof(path), "%s", image("empty.img", 0));
	assert_int_equal(xbdev_image_size(path, &size), -ENODATA);
	attach_disk(path, false, -ENODATA);
	snprintf(path, sizeof(path), "%s", image("twelve.img", 12));
	assert_int_equal(xbdev_image_size(path, &size), -EDOM);
	assert_int_equal(size, 12);
	attach_disk(path, true, -EDOM);
	snprintf(path, sizeof(path), "%s", image("sector.img", 512));
	assert_int_equal(xbdev_image_size(path, &size), 0);
	assert_int_equal(xbdev_image_size("/dev/null", NULL), -ENOTBLK);
}

/* attach --disk's checks of the image: the refusals of xbdev_image_size,
 * a path that does not resolve, and the real path kept as params. */
static void test_image_check(void **s)
{
	char path[PATH_MAX], link[PATH_MAX + 8], resolved[PATH_MAX];
	struct xbdev_vbd v = { .readonly = true };
	uint64_t size = 0;

	(void)s;
	assert_int_equal(xbdev_image_check(&v, "/nonexistent/x.img", resolved,
					   &size), -ENOENT);
	assert_string_equal(resolved, "");
	assert_null(v.params);
	assert_int_equal(xbdev_image_check(&v, "/dev/null", resolved, &size),
			 -ENOTBLK);
	snprintf(path, sizeof(path), "%s", image("empty.img", 0));
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size),
			 -ENODATA);
	snprintf(path, sizeof(path), "%s", image("twelve.img", 12));
	assert_int_equal(xbdev_image_check(&v, path, resolved, &size), -EDOM);
	assert_int_equal(size, 12);
	assert_null(v.params);
	snprintf(path, sizeof(path), "%s", image("sector.img", 512));
	snprintf(link, sizeof(link), "%s.lnk", path);
	unlink(link);
	assert_int_equal(symlink(path, link), 0);
	v.readonly = false;
	assert_int_equal(xbdev_image_check(&v, link, resolved, &size), 0);
	assert_string_equal(resolved, path);
	assert_ptr_equal(v.params, resolved);
	unlink(link);
}

/* --dry-run's preview: the plan attach would write, the id it would pick,
 * the conflict it would report; the store untouched. */
static void test_attach_preview(void **s)
{
	struct xbdev_attach_spec spec = mydevice;
	enum xbdev_side side = XBDEV_SIDE_RECORD;
	struct xbdev_plan *p = NULL, *w = NULL;
	char *before = dump("/"), *after;
	unsigned i;

	(void)s;
	assert_int_equal(xbdev_attach_preview(x, &spec, &p, &side), 0);
	after = dump("/");
	assert_string_equal(after, before);
	free(after);
	assert_int_equal(xbdev_attach(x, &mydevice, &w, NULL), 0);
	assert_int_equal(p->devid, w->devid);
	assert_int_equal(p->n_nodes, w->n_nodes);
	for (i = 0; i < p->n_nodes; i++) {
		assert_string_equal(p->nodes[i].path, w->nodes[i].path);
		assert_string_equal(p->nodes[i].value, w->nodes[i].value);
	}
	xbdev_plan_free(p);
	/* Now the next id; and the one attach took is a conflict. */
	spec = mydevice;
	assert_int_equal(xbdev_attach_preview(x, &spec, &p, &side), 0);
	assert_int_equal(p->devid, w->devid + 1);
	xbdev_plan_free(p);
	spec.devid_auto = false;
	spec.devid = w->devid;
	assert_int_equal(xbdev_attach_preview(x, &spec, &p, &side), -EEXIST);
	assert_int_equal(side, XBDEV_SIDE_FRONTEND);
	assert_null(p);
	/* Without xenstore: the plan alone, of the id given. */
	assert_int_equal(xbdev_attach_preview(NULL, &spec, &p, &side), 0);
	assert_int_equal(p->devid, w->devid);
	xbdev_plan_free(p);
	xbdev_plan_free(w);
	free(before);
}

/* ---- what the spawned daemon gets ---- */

/* The stand-in daemon: this program again (main() sees a backend path as
 * its argument), reporting into its log what it inherited.  Not a shell
 * script: a shell sets its own signal mask at startup. */
static int stand_in_daemon(void)
{
	char line[256];
	unsigned long long set;
	FILE *f = fopen("/proc/self/status", "r");

	printf("fd42=%s\n", fcntl(42, F_GETFD) < 0 ? "closed" : "open");
	/* Signals 32 and 33 are glibc's own (thread cancellation, setxid):
	 * no program can set them, make leaves them ignored. */
	while (f && fgets(line, sizeof(line), f))
		if ((!strncmp(line, "SigBlk:", 7) ||
		     !strncmp(line, "SigIgn:", 7)) &&
		    sscanf(line + 7, "%llx", &set) == 1)
			printf("%.7s %016llx\n", line,
			       set & ~(3ULL << 31));
	if (f)
		fclose(f);
	printf("done\n");
	return 0;
}

static char *read_log_when_done(const char *path)
{
	char *text = NULL;
	size_t len = 0;
	int i;

	for (i = 0; i < 100; i++) {
		FILE *f = fopen(path, "r");

		free(text);
		text = NULL;
		if (f) {
			len = 0;
			if (getdelim(&text, &len, '\0', f) < 0) {
				free(text);
				text = NULL;
			}
			fclose(f);
		}
		if (text && strstr(text, "done\n"))
			return text;
		usleep(50 * 1000);
	}
	return text;
}

static void stand_in_path(char *path, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", path, len - 1);

	assert_true(n > 0);
	path[n] = '\0';
}

static void rm_dir(const char *dir)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A caller with an fd open, SIGTERM blocked and SIGUSR1 ignored: the
 * daemon has only 0-2, an empty mask, nothing ignored. */
static void test_spawn_clean(void **s)
{
	char dir[] = "/tmp/xbdev-test-spawn-XXXXXX", daemon[PATH_MAX], log[64];
	struct xbdev_attach_spec spec = mydevice;
	sigset_t term, old;
	char *text;

	(void)s;
	assert_non_null(mkdtemp(dir));
	stand_in_path(daemon, sizeof(daemon));
	spec.daemon = daemon;
	spec.log_dir = dir;
	assert_int_equal(dup2(open("/dev/null", O_RDONLY), 42), 42);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	signal(SIGUSR1, SIG_IGN);
	assert_int_equal(xbdev_attach(x, &spec, NULL, NULL), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	close(42);
	snprintf(log, sizeof(log), "%s/mydevice-7-0.log", dir);
	text = read_log_when_done(log);
	assert_non_null(text);
	print_message("daemon log:\n%s", text);
	assert_non_null(strstr(text, "fd42=closed\n"));
	assert_non_null(strstr(text, "SigBlk: 0000000000000000\n"));
	assert_non_null(strstr(text, "SigIgn: 0000000000000000\n"));
	free(text);
	rm_dir(dir);
}

/* A log directory others could plant files in, or a symlink at the log's
 * name: refused, nothing left in the store. */
static void test_spawn_log_refusals(void **s)
{
	char dir[] = "/tmp/xbdev-test-spawn-XXXXXX", daemon[PATH_MAX], log[64];
	char link[80];
	struct xbdev_attach_spec spec = mydevice;

	(void)s;
	assert_non_null(mkdtemp(dir));
	stand_in_path(daemon, sizeof(daemon));
	spec.daemon = daemon;
	spec.log_dir = dir;
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(xbdev_log_dir_check(dir), -EPERM);
	assert_attach_fails(&spec, -EPERM);
	assert_int_equal(chmod(dir, 0775), 0);
	assert_attach_fails(&spec, -EPERM);
	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(xbdev_log_dir_check(dir), 0);
	/* The directory itself a symlink. */
	snprintf(link, sizeof(link), "%s.link", dir);
	assert_int_equal(symlink(dir, link), 0);
	spec.log_dir = link;
	assert_attach_fails(&spec, -ENOTDIR);
	unlink(link);
	/* The log a symlink: not followed, the attach rolled back. */
	spec.log_dir = dir;
	snprintf(log, sizeof(log), "%s/mydevice-7-0.log", dir);
	snprintf(link, sizeof(link), "%s/target", dir);
	assert_int_equal(symlink(link, log), 0);
	assert_attach_fails(&spec, -ELOOP);
	assert_int_equal(access(link, F_OK), -1);
	rm_dir(dir);
}

/* The health status gives guest 7's xvdb, both ends Connected. */
static enum xbdev_health health_now(bool *pid_alive)
{
	struct xbdev_dev_status *v = NULL;
	enum xbdev_health h;
	unsigned n = 0;

	set(FE_DIR "/state", "4");
	set(BE_DIR "/state", "4");
	assert_int_equal(xbdev_status_list(x, 7, 100, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].devid, 51728);
	h = v[0].health;
	*pid_alive = v[0].pid_alive;
	free(v);
	return h;
}

/* Processes come and go in their own time: the verdict, once it is
 * want (or after a second). */
static enum xbdev_health health_soon(enum xbdev_health want, bool *alive)
{
	enum xbdev_health h;
	int i;

	for (i = 0; i < 100 && (h = health_now(alive)) != want; i++)
		usleep(10000);
	return h;
}

static void test_status_backend_dead(void **s)
{
	char pid[16];
	bool alive;
	pid_t child;
	int st;

	(void)s;
	/* attach's daemon (/bin/true) exits at once: both ends still say
	 * Connected, but nobody serves the device. */
	assert_int_equal(health_soon(XBDEV_HEALTH_BACKEND_DEAD, &alive),
			 XBDEV_HEALTH_BACKEND_DEAD);
	assert_false(alive);
	/* A process that serves the backend directory (its command line
	 * names it, as xbdev-blkback's does). */
	child = fork();
	assert_true(child >= 0);
	if (!child) {
		/* Its own group, so that the kill takes its sleep too. */
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", "sleep 30 & wait", "sh", BE_DIR,
		      (char *)NULL);
		_exit(127);
	}
	snprintf(pid, sizeof(pid), "%d", (int)child);
	set(REC_DIR "/pid", pid);
	assert_int_equal(health_soon(XBDEV_HEALTH_OK, &alive),
			 XBDEV_HEALTH_OK);
	assert_true(alive);
	kill(-child, SIGKILL);
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_int_equal(health_now(&alive), XBDEV_HEALTH_BACKEND_DEAD);
	assert_false(alive);
	/* A detach under way stops the process itself. */
	set(REC_DIR "/detaching", "90");
	assert_int_equal(health_now(&alive), XBDEV_HEALTH_CLOSING);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_renew_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retire_only_closed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_retire_only_attached,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_retire_needs_copy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_recreate_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_leaves_nothing,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_keeps_others, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_devid_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_vdev_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_writes_plan, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_write_failure,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_daemon_exec_fails,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_vbd_race, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_custom_race, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_taken_in_between,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_image_one_writer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_readers_share, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_lock, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_check, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_preview, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_image_size, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spawn_clean, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_spawn_log_refusals, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_txn_logged, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_backend_dead, setup,
						teardown),
	};

	if (argc == 2 && !strncmp(argv[1], "/local/domain/", 14))
		return stand_in_daemon();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
