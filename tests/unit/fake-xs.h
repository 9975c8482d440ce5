/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An in-memory xenstore for unit tests of libxbdev code that reads and
 * writes the store (not a model of xenstored: no quotas, no permission
 * checks).  Defining the libxenstore calls libxbdev uses here,
 * in the test executable, makes libxbdev's calls land on them instead of
 * libxenstore.so.  What it keeps of xenstored's semantics, because the
 * code under test depends on them: a write creates missing parents; a new
 * node takes its parent's permissions; rm removes the subtree; a
 * transaction sees its own writes and an abort undoes them all.  A write
 * can be made to fail (fake_xs_writes_left) to test what a failure leaves,
 * and a commit can be made to lose a race (fake_xs_race) to test what a
 * caller running at the same time as another one does.
 * Watches as xenstored keeps them: a watch fires once when it is set, then
 * for every write, rm or permission change of its path or a node below it
 * (an rm also fires the watches below the removed node, with their own
 * path); writes in a transaction fire when it commits, not when it
 * aborts.  The events wait in one queue, read with xs_check_watch(); a
 * test can add its own (fake_xs_queue_event()) and play the peer that
 * answers: fake_xs_idle is called whenever the code under test finds the
 * queue empty, the moment it would sleep.  xs_fileno() is a pipe nobody
 * writes: a wait with nothing queued lasts until its deadline.
 * Single-threaded: the code under test must not read watches from a
 * second thread.
 * Include once, from the test's .c file.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xenstore.h>

#define FAKE_XS_MAX_NODES 512
#define FAKE_XS_MAX_PERMS 4
#define FAKE_XS_MAX_WATCHES 16
#define FAKE_XS_MAX_EVENTS 8192
/* Writes of one transaction, fired at its commit. */
#define FAKE_XS_MAX_TXN_FIRES 256

struct fake_node {
	char *path, *value;
	struct xs_permissions perms[FAKE_XS_MAX_PERMS];
	unsigned n_perms;
};

struct fake_store {
	struct fake_node n[FAKE_XS_MAX_NODES];
	unsigned count;
};

static struct fake_store fake_xs, fake_xs_saved;
static bool fake_xs_in_txn;
static int fake_xs_handle;
/* When > 0, the write that brings it to 0 fails with ENOSPC (xenstored's
 * quota answer), as do the following ones. */
static int fake_xs_writes_left;
/* When set, the next commit loses a race: the store goes back to what the
 * transaction started from, fake_xs_race() changes it as another client
 * committing first would, and the commit fails with EAGAIN - xenstored's
 * answer when a node the transaction read or wrote changed meanwhile. */
static void (*fake_xs_race)(void);
/* When set, called with the path after every directory listing (found or
 * not): a test's moment to commit something "in between" with
 * fake_xs_concurrent_write(). */
static void (*fake_xs_after_ls)(const char *path);
/* When set, called whenever xs_check_watch() finds no event queued: the
 * code under test is about to sleep, the peer's moment to answer (with
 * writes, whose events it then gets). */
static void (*fake_xs_idle)(void);

/* Watches, and events not read yet (a ring; strings malloc'ed). */
static struct fake_watch {
	char *path, *token;
} fake_xs_watches[FAKE_XS_MAX_WATCHES];
static unsigned fake_xs_n_watches;
static struct fake_watch fake_xs_events[FAKE_XS_MAX_EVENTS];
static unsigned fake_xs_ev_head, fake_xs_ev_count;
/* What a running transaction wrote (path, and whether it was an rm). */
static struct {
	char *path;
	bool rm;
} fake_xs_txn_fires[FAKE_XS_MAX_TXN_FIRES];
static unsigned fake_xs_n_txn_fires;
static bool fake_xs_quiet;      /* a write that fires nothing */

static struct fake_node *fake_find(const char *path)
{
	unsigned i;

	for (i = 0; i < fake_xs.count; i++)
		if (!strcmp(fake_xs.n[i].path, path))
			return &fake_xs.n[i];
	return NULL;
}

/* Is path equal to dir or below it? */
static bool fake_below(const char *path, const char *dir)
{
	size_t l = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(path, dir, l) && (path[l] == '/' || !path[l]);
}

static void fake_store_free(struct fake_store *s)
{
	unsigned i;

	for (i = 0; i < s->count; i++) {
		free(s->n[i].path);
		free(s->n[i].value);
	}
	s->count = 0;
}

static void fake_store_copy(struct fake_store *dst,
			    const struct fake_store *src)
{
	unsigned i;

	fake_store_free(dst);
	for (i = 0; i < src->count; i++) {
		dst->n[i] = src->n[i];
		dst->n[i].path = strdup(src->n[i].path);
		dst->n[i].value = strdup(src->n[i].value);
	}
	dst->count = src->count;
}

/* ---- watch events ---- */

static __attribute__((unused)) unsigned fake_xs_events_queued(void)
{
	return fake_xs_ev_count;
}

static void fake_xs_queue_event(const char *path, const char *token)
{
	struct fake_watch *e;

	if (fake_xs_ev_count == FAKE_XS_MAX_EVENTS) {
		fprintf(stderr, "fake-xs: event queue full\n");
		abort();
	}
	e = &fake_xs_events[(fake_xs_ev_head + fake_xs_ev_count++) %
			    FAKE_XS_MAX_EVENTS];
	e->path = strdup(path);
	e->token = strdup(token);
}

/* The events a change of path makes: watches on it or above it get path;
 * for an rm, watches below it too, with their own path. */
static void fake_fire_now(const char *path, bool rm)
{
	unsigned i;

	for (i = 0; i < fake_xs_n_watches; i++) {
		const struct fake_watch *w = &fake_xs_watches[i];

		if (w->path[0] != '/')
			continue;       /* @releaseDomain, @introduceDomain */
		if (fake_below(path, w->path))
			fake_xs_queue_event(path, w->token);
		else if (rm && fake_below(w->path, path))
			fake_xs_queue_event(w->path, w->token);
	}
}

static void fake_txn_fires_drop(void)
{
	while (fake_xs_n_txn_fires)
		free(fake_xs_txn_fires[--fake_xs_n_txn_fires].path);
}

static void fake_fire(xs_transaction_t t, const char *path, bool rm)
{
	if (fake_xs_quiet)
		return;
	if (t == XBT_NULL) {
		fake_fire_now(path, rm);
		return;
	}
	if (fake_xs_n_txn_fires == FAKE_XS_MAX_TXN_FIRES) {
		fprintf(stderr, "fake-xs: too many writes in a transaction\n");
		abort();
	}
	fake_xs_txn_fires[fake_xs_n_txn_fires].path = strdup(path);
	fake_xs_txn_fires[fake_xs_n_txn_fires++].rm = rm;
}

static void fake_txn_fires_commit(void)
{
	unsigned i;

	for (i = 0; i < fake_xs_n_txn_fires; i++)
		fake_fire_now(fake_xs_txn_fires[i].path,
			      fake_xs_txn_fires[i].rm);
	fake_txn_fires_drop();
}

/* A special watch's event (xenstored's "@releaseDomain" when a domain
 * dies, "@introduceDomain" when one is introduced). */
static __attribute__((unused)) void fake_xs_fire_special(const char *name)
{
	unsigned i;

	for (i = 0; i < fake_xs_n_watches; i++)
		if (!strcmp(fake_xs_watches[i].path, name))
			fake_xs_queue_event(name, fake_xs_watches[i].token);
}

static void fake_watches_free(void)
{
	while (fake_xs_n_watches) {
		struct fake_watch *w = &fake_xs_watches[--fake_xs_n_watches];

		free(w->path);
		free(w->token);
	}
	while (fake_xs_ev_count) {
		struct fake_watch *e = &fake_xs_events[fake_xs_ev_head];

		free(e->path);
		free(e->token);
		fake_xs_ev_head = (fake_xs_ev_head + 1) % FAKE_XS_MAX_EVENTS;
		fake_xs_ev_count--;
	}
	fake_xs_ev_head = 0;
	fake_txn_fires_drop();
}

/* Empty the store; "/" is owned by dom0, nobody else may read it. */
static void fake_xs_reset(void)
{
	fake_store_free(&fake_xs);
	fake_store_free(&fake_xs_saved);
	fake_watches_free();
	fake_xs_in_txn = false;
	fake_xs_writes_left = 0;
	fake_xs_race = NULL;
	fake_xs_after_ls = NULL;
	fake_xs_idle = NULL;
	fake_xs.n[0] = (struct fake_node){ strdup("/"), strdup(""),
					   { { 0, XS_PERM_NONE } }, 1 };
	fake_xs.count = 1;
}

static struct fake_node *fake_create(const char *path)
{
	char parent[XENSTORE_ABS_PATH_MAX + 1], *slash;
	struct fake_node *p, *n;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else
		*slash = '\0';
	p = fake_find(parent);
	if (!p)
		p = fake_create(parent);
	if (!p || fake_xs.count == FAKE_XS_MAX_NODES)
		return NULL;
	n = &fake_xs.n[fake_xs.count++];
	*n = *p;
	n->path = strdup(path);
	n->value = strdup("");
	return n;
}

struct xs_handle *xs_open(unsigned long flags)
{
	(void)flags;
	return (struct xs_handle *)&fake_xs_handle;
}

void xs_close(struct xs_handle *h)
{
	(void)h;
}

void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path,
	      unsigned int *len)
{
	struct fake_node *n = fake_find(path);

	(void)h, (void)t;
	if (!n) {
		errno = ENOENT;
		return NULL;
	}
	if (len)
		*len = (unsigned)strlen(n->value);
	return strdup(n->value);
}

bool xs_write(struct xs_handle *h, xs_transaction_t t, const char *path,
	      const void *data, unsigned int len)
{
	struct fake_node *n = fake_find(path);

	(void)h, (void)t;
	if (fake_xs_writes_left > 0 && --fake_xs_writes_left == 0)
		fake_xs_writes_left = -1;
	if (fake_xs_writes_left < 0) {
		errno = ENOSPC;
		return false;
	}
	if (!n)
		n = fake_create(path);
	if (!n) {
		errno = ENOSPC;
		return false;
	}
	free(n->value);
	n->value = strndup(data, len);
	fake_fire(t, path, false);
	return true;
}

bool xs_rm(struct xs_handle *h, xs_transaction_t t, const char *path)
{
	unsigned i = 0;

	(void)h;
	if (!fake_find(path)) {
		errno = ENOENT;
		return false;
	}
	fake_fire(t, path, true);
	while (i < fake_xs.count) {
		if (fake_below(fake_xs.n[i].path, path)) {
			free(fake_xs.n[i].path);
			free(fake_xs.n[i].value);
			fake_xs.n[i] = fake_xs.n[--fake_xs.count];
		} else {
			i++;
		}
	}
	return true;
}

/* The name of p below dir (of length l, 0 for "/") if p is a child of
 * dir, else NULL. */
static const char *fake_child(const char *p, const char *dir, size_t l)
{
	if (strncmp(p, dir, l) || p[l] != '/' || !p[l + 1] ||
	    strchr(p + l + 1, '/'))
		return NULL;
	return p + l + 1;
}

/* One allocation, pointers then strings, as libxenstore returns it. */
char **xs_directory(struct xs_handle *h, xs_transaction_t t,
		    const char *path, unsigned int *num)
{
	size_t l = strcmp(path, "/") ? strlen(path) : 0, bytes = 0;
	unsigned i, k = 0;
	const char *c;
	char **v, *s;

	(void)h, (void)t;
	if (!fake_find(path)) {
		if (fake_xs_after_ls)
			fake_xs_after_ls(path);
		errno = ENOENT;
		return NULL;
	}
	for (i = 0; i < fake_xs.count; i++)
		if ((c = fake_child(fake_xs.n[i].path, path, l))) {
			bytes += sizeof(char *) + strlen(c) + 1;
			k++;
		}
	v = malloc(bytes + 1);
	s = (char *)(v + k);
	k = 0;
	for (i = 0; i < fake_xs.count; i++)
		if ((c = fake_child(fake_xs.n[i].path, path, l))) {
			v[k++] = strcpy(s, c);
			s += strlen(c) + 1;
		}
	*num = k;
	if (fake_xs_after_ls)
		fake_xs_after_ls(path);
	return v;
}

bool xs_set_permissions(struct xs_handle *h, xs_transaction_t t,
			const char *path, struct xs_permissions *perms,
			unsigned int num)
{
	struct fake_node *n = fake_find(path);

	(void)h;
	if (!n) {
		errno = ENOENT;
		return false;
	}
	if (!num || num > FAKE_XS_MAX_PERMS) {
		errno = EINVAL;
		return false;
	}
	memcpy(n->perms, perms, num * sizeof(*perms));
	n->n_perms = num;
	fake_fire(t, path, false);
	return true;
}

struct xs_permissions *xs_get_permissions(struct xs_handle *h,
					  xs_transaction_t t,
					  const char *path, unsigned int *num)
{
	struct fake_node *n = fake_find(path);
	struct xs_permissions *p;

	(void)h, (void)t;
	if (!n) {
		errno = ENOENT;
		return NULL;
	}
	p = malloc(n->n_perms * sizeof(*p));
	memcpy(p, n->perms, n->n_perms * sizeof(*p));
	*num = n->n_perms;
	return p;
}

/* One transaction at a time: the store as it was is kept to undo. */
xs_transaction_t xs_transaction_start(struct xs_handle *h)
{
	(void)h;
	if (fake_xs_in_txn) {
		errno = EBUSY;
		return XBT_NULL;
	}
	fake_store_copy(&fake_xs_saved, &fake_xs);
	fake_xs_in_txn = true;
	return 1;
}

bool xs_transaction_end(struct xs_handle *h, xs_transaction_t t, bool abort)
{
	void (*race)(void) = abort ? NULL : fake_xs_race;

	(void)h, (void)t;
	if (!fake_xs_in_txn) {
		errno = EINVAL;
		return false;
	}
	if (abort || race)
		fake_store_copy(&fake_xs, &fake_xs_saved);
	fake_store_free(&fake_xs_saved);
	fake_xs_in_txn = false;
	if (abort || race)
		fake_txn_fires_drop();
	else
		fake_txn_fires_commit();
	if (race) {
		fake_xs_race = NULL;
		race();
		errno = EAGAIN;
		return false;
	}
	return true;
}

/* Another client's write, committed while a transaction of ours runs:
 * xenstored gives a transaction no snapshot, so our later reads see it,
 * and our abort does not undo it. */
static __attribute__((unused)) void
fake_xs_concurrent_write(const char *path, const char *value)
{
	static struct fake_store tmp;

	xs_write(NULL, XBT_NULL, path, value, (unsigned)strlen(value));
	if (!fake_xs_in_txn)
		return;
	tmp = fake_xs;
	fake_xs = fake_xs_saved;
	/* The same write again in the copy an abort restores: one event
	 * is enough. */
	fake_xs_quiet = true;
	xs_write(NULL, XBT_NULL, path, value, (unsigned)strlen(value));
	fake_xs_quiet = false;
	fake_xs_saved = fake_xs;
	fake_xs = tmp;
}

/* ---- the watch calls ---- */

bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
	struct fake_watch *w;

	(void)h;
	if (fake_xs_n_watches == FAKE_XS_MAX_WATCHES) {
		errno = E2BIG;
		return false;
	}
	w = &fake_xs_watches[fake_xs_n_watches++];
	w->path = strdup(path);
	w->token = strdup(token);
	/* xenstored fires a new watch once, at once. */
	fake_xs_queue_event(path, token);
	return true;
}

/* Forgets the watch and, as libxenstore does, the events of it not read
 * yet. */
bool xs_unwatch(struct xs_handle *h, const char *path, const char *token)
{
	unsigned i, n;

	(void)h;
	for (i = 0; i < fake_xs_n_watches; i++)
		if (!strcmp(fake_xs_watches[i].path, path) &&
		    !strcmp(fake_xs_watches[i].token, token))
			break;
	if (i == fake_xs_n_watches) {
		errno = ENOENT;
		return false;
	}
	free(fake_xs_watches[i].path);
	free(fake_xs_watches[i].token);
	fake_xs_watches[i] = fake_xs_watches[--fake_xs_n_watches];
	for (n = fake_xs_ev_count; n--;) {
		struct fake_watch e = fake_xs_events[fake_xs_ev_head];

		fake_xs_ev_head = (fake_xs_ev_head + 1) % FAKE_XS_MAX_EVENTS;
		fake_xs_ev_count--;
		if (!strcmp(e.token, token) && fake_below(e.path, path)) {
			free(e.path);
			free(e.token);
			continue;
		}
		fake_xs_events[(fake_xs_ev_head + fake_xs_ev_count++) %
			       FAKE_XS_MAX_EVENTS] = e;
	}
	return true;
}

/* As libxenstore's: one allocation, the strings after the vector. */
char **xs_check_watch(struct xs_handle *h)
{
	struct fake_watch *e;
	size_t lp, lt;
	char **v;

	(void)h;
	if (!fake_xs_ev_count && fake_xs_idle)
		fake_xs_idle();
	if (!fake_xs_ev_count) {
		errno = EAGAIN;
		return NULL;
	}
	e = &fake_xs_events[fake_xs_ev_head];
	lp = strlen(e->path) + 1;
	lt = strlen(e->token) + 1;
	v = malloc(2 * sizeof(char *) + lp + lt);
	if (!v) {
		errno = ENOMEM;
		return NULL;
	}
	v[XS_WATCH_PATH] = (char *)(v + 2);
	v[XS_WATCH_TOKEN] = v[XS_WATCH_PATH] + lp;
	memcpy(v[XS_WATCH_PATH], e->path, lp);
	memcpy(v[XS_WATCH_TOKEN], e->token, lt);
	free(e->path);
	free(e->token);
	fake_xs_ev_head = (fake_xs_ev_head + 1) % FAKE_XS_MAX_EVENTS;
	fake_xs_ev_count--;
	return v;
}

/* A pipe nobody writes to: poll() on it sleeps until its timeout, as a
 * xenstore connection with no event does (events are queued only while
 * the code under test runs, and xs_check_watch() hands them out first). */
int xs_fileno(struct xs_handle *h)
{
	static int fds[2] = { -1, -1 };

	(void)h;
	if (fds[0] < 0 && pipe(fds))
		return -1;
	return fds[0];
}
