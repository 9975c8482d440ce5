/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The journal of one ring: what a replacement backend process needs to
 * take the ring over after this one died (SIGKILL, OOM, upgrade) and that
 * the shared page cannot give back.  The blkif page holds only req_prod,
 * req_event, rsp_prod and rsp_event; req_cons and rsp_prod_pvt live in the
 * backend alone, and since responses come back out of order and overwrite
 * the slots of requests taken earlier, which requests are in flight cannot
 * be rebuilt from the ring.  So every request taken is kept here, as the
 * private copy the backend decoded (the one and only read of its slot,
 * XSA-155), with its state:
 *
 *   FREE -> TAKEN -> SUBMITTED -> COMPLETED -> RESPONDED -> (published) FREE
 *
 * The file (a path the caller gives, e.g. under /run/xbdev/) is mapped
 * MAP_SHARED: every store is in the page cache as soon as it is made, so it
 * survives the process (not dom0: /run is a tmpfs, and a dom0 crash takes
 * the guest's grants with it anyway).  Only the order of the stores
 * matters, and each step ends in one aligned 32-bit store that commits it:
 *
 *  - take: head.taking names the entry, the entry is filled (copy,
 *    take_idx = req_cons, state TAKEN last), head.req_cons + 1 commits
 *    it, head.taking goes back to 0.  The entry head.taking names, if its
 *    take_idx still equals req_cons, was never committed: its request is
 *    still in its slot (the frontend cannot reuse a slot before its
 *    response), the next process takes it again and this copy, never
 *    used for anything, is dropped.
 *  - respond: the response written field by field into its ring slot, then
 *    the entry (rsp_idx = rsp_prod_pvt, state RESPONDED), then
 *    head.rsp_prod_pvt + 1 commits it.  Uncommitted, the entry counts as
 *    COMPLETED: answered again into the same slot, which the frontend
 *    cannot have seen (rsp_prod never went past it).
 *  - publish: the shared rsp_prod = P, then head.rsp_pub = P, then the
 *    entries below P are freed.  Between the two the frontend may have
 *    seen P, consumed those responses and reused their slots for new
 *    requests: so a replacement never writes a slot of a committed
 *    response again (it needs no rewrite: the slot was whole before the
 *    commit); it only stores rsp_prod again, a value at least P (nothing
 *    seen twice by the frontend).  Publishing needs no intent record.
 *
 * A replacement (blk_jn_open) therefore finds: RESPONDED entries
 * (answered, perhaps not published: publish them), COMPLETED ones (answer
 * with the recorded status: io.c does not run them again) and
 * TAKEN/SUBMITTED ones (run again: a write's data is still in the guest's
 * pages, which stay the guest's own until the answer; a submitted write
 * may have reached the file once already, which the guest, unanswered,
 * cannot tell from a write not yet done).  Nothing is answered twice: an
 * answer is either committed (kept, at most published) or not (given once,
 * later).
 *
 * The journal is dom0's file; the guest cannot write it.  It is still
 * checked whole on open (magic, version, this build's entry layout, the
 * ring's geometry, every index and state, the file's owner and mode): a
 * corrupt or foreign journal is refused, never trusted.  Library style:
 * 0 or -errno, no printing.  Single-threaded, as the data path (io.c).
 *
 * What the journal cannot do: fence the dead process's I/O.  Its io_uring
 * requests can reach the file after it is gone; the caller must not run
 * anything again before they are finished (the tests wait for the child
 * to be reaped; a live takeover needs a lock on the backing file that
 * goes only with the old file's last reference).
 */
#ifndef XBDEV_JOURNAL_H
#define XBDEV_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "request.h"

#define BLK_JN_MAGIC 0x6e6a6278u        /* "xbjn" */
#define BLK_JN_VERSION 1u
#define BLK_JN_MAX_ENTS 1024u           /* above any ring we accept */

enum blk_jn_state {
	BLK_JN_FREE,
	BLK_JN_TAKEN,           /* copied from the ring, committed */
	BLK_JN_SUBMITTED,       /* its I/O started */
	BLK_JN_COMPLETED,       /* its status is known (entry.status) */
	BLK_JN_RESPONDED,       /* its response is in slot rsp_idx */
	BLK_JN_STATES
};

/* On-file layout: the head, then nr_ents entries.  Native layout of this
 * build (entry_size and the version tell a foreign one). */
struct blk_jn_head {
	uint32_t magic;         /* written last at creation */
	uint32_t version;
	uint32_t entry_size;
	uint32_t nr_ents;       /* the ring's RING_SIZE */
	uint32_t abi;           /* enum blk_abi */
	uint32_t req_cons;      /* commit of a take */
	uint32_t rsp_prod_pvt;  /* commit of a response */
	uint32_t rsp_pub;       /* rsp_prod published */
	uint32_t taking;        /* entry + 1 while a take is being
				   committed, else 0 */
	uint32_t _pad[7];
};

struct blk_jn_entry {
	uint32_t state;         /* enum blk_jn_state */
	uint32_t take_idx;      /* req_cons when it was taken */
	uint32_t rsp_idx;       /* its response's ring index (RESPONDED) */
	int16_t status;         /* BLKIF_RSP_* (COMPLETED, RESPONDED) */
	uint16_t _pad;
	struct blk_req req;     /* the private copy, as decoded */
};

struct blk_journal {
	int fd;
	struct blk_jn_head *h;          /* the mapping */
	struct blk_jn_entry *e;         /* h's entries */
	size_t bytes;
	unsigned nr_ents;
	/* In memory only, rebuilt on open: free entries (a stack) and which
	 * entry answered each response index not yet published. */
	unsigned nfree;
	uint16_t free[BLK_JN_MAX_ENTS];
	uint16_t by_rsp[BLK_JN_MAX_ENTS];
};

/* A fresh journal for a ring of nr_ents slots (a new connect, before the
 * first request is taken): made whole as PATH.tmp (mode 0600, no symlink
 * followed), then renamed to path, replacing any journal there. */
int blk_jn_create(struct blk_journal *j, const char *path, unsigned nr_ents,
		  enum blk_abi abi);
/*
 * Take over the journal a dead process left at path, for the same ring
 * (nr_ents, abi).  Checks it whole and settles what the crash left half
 * done (uncommitted takes dropped, uncommitted responses back to
 * COMPLETED, published entries freed).  -ENOENT none; -EBADMSG not a
 * journal or inconsistent; -EPROTONOSUPPORT another version or layout;
 * -ESTALE the journal of another ring geometry.  Nothing is changed in the
 * file when it is refused.
 */
int blk_jn_open(struct blk_journal *j, const char *path, unsigned nr_ents,
		enum blk_abi abi);
void blk_jn_close(struct blk_journal *j);
/* Remove the file too (the ring is gone for good: orderly disconnect). */
void blk_jn_remove(struct blk_journal *j, const char *path);

/* Entries free for takes now. */
unsigned blk_jn_room(const struct blk_journal *j);
/* req (just copied out of slot req_cons) is taken: its entry index, or
 * -ENOSPC (no room: leave the request on the ring). */
int blk_jn_take(struct blk_journal *j, const struct blk_req *req);
void blk_jn_submitted(struct blk_journal *j, int ent);
void blk_jn_completed(struct blk_journal *j, int ent, int16_t status);
/* The response of ent is in ring slot rsp_idx (== head.rsp_prod_pvt). */
void blk_jn_responded(struct blk_journal *j, int ent, uint32_t rsp_idx);
/* The shared rsp_prod = rsp_prod is stored: free what it published. */
void blk_jn_published(struct blk_journal *j, uint32_t rsp_prod);

/* After blk_jn_open: the indices to resume the ring from. */
uint32_t blk_jn_req_cons(const struct blk_journal *j);
uint32_t blk_jn_rsp_prod_pvt(const struct blk_journal *j);
/* Entry i (0 <= i < nr_ents), for the replay. */
const struct blk_jn_entry *blk_jn_entry(const struct blk_journal *j,
					unsigned i);

#endif
