/* SPDX-License-Identifier: MIT */
/*
 * ps.c — the observer's process list and one process's fields.
 *
 * ps walks every process, a chunk of pids at a time (ot_processes(): no
 * lock held across a call), reads the few counters it sorts by
 * (ot_process_details_get() without the entry's name, so no symbol is
 * looked up), keeps the top N in a heap, and yields between chunks so
 * that the walk of a million processes never keeps a scheduler from the
 * others. Only the N it shows are read in full.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <otter/proc.h>

#include "observer.h"

#define CHUNK 256

/* What ps sorts by: the details up to (not including) the entry's name. */
#define SORT_SIZE offsetof(ot_process_details, entry_name)

struct entry {
	uint64_t key;
	ot_pid pid;
};

static uint64_t key_of(const ot_process_details *d, enum ot__ps_sort sort)
{
	switch (sort) {
	case OT__PS_MAILBOX:
		return d->message_queue_len;
	case OT__PS_ACTIVITY:
		return d->messages_in;
	default:
		return (uint64_t)d->stack_bytes + d->queue_bytes;
	}
}

/* A min-heap of the n best: the root is the one to drop first. */
static bool before(const struct entry *a, const struct entry *b)
{
	return a->key < b->key || (a->key == b->key && a->pid.id > b->pid.id);
}

static void sift_down(struct entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && before(&h[l], &h[m]))
			m = l;
		if (r < n && before(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct entry t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct entry *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		if (!before(&h[i], &h[p]))
			return;
		struct entry t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

static int by_key_desc(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	return before(x, y) ? 1 : before(y, x) ? -1 : 0;
}

static const char *status_name(ot_proc_status s)
{
	return s == OT_PROC_RUNNABLE  ? "runnable"
	       : s == OT_PROC_RUNNING ? "running"
				      : "waiting";
}

/* A list of pids: links, monitors, monitored_by. */
static void pid_list(struct ot__json *j, const char *key,
		     int (*list)(ot_pid, ot_pid *, size_t, size_t *),
		     ot_pid pid)
{
	ot_pid some[64];
	size_t total = 0;
	int rc = list(pid, some, 64, &total);
	ot__json_key(j, key);
	if (rc) {
		ot__json_null(j);
		return;
	}
	ot__json_open(j, '[');
	for (size_t i = 0; i < total && i < 64; i++)
		ot__json_pid(j, some[i]);
	ot__json_close(j, ']');
	if (total > 64) { /* "linked_more": how many are left out */
		char more[48];
		snprintf(more, sizeof more, "%s_more", key);
		ot__json_kuint(j, more, total - 64);
	}
}

int ot__obs_process(struct ot__json *j, ot_pid pid, bool all)
{
	ot_process_info info;
	ot_process_details d;
	if (ot_process_info_get(pid, &info) ||
	    ot_process_details_get(pid, &d, sizeof d))
		return OT_ENOPROC;
	ot__json_kpid(j, "pid", pid);
	ot__json_kstr(j, "name", info.name);
	ot__json_kstr(j, "label", d.label);
	ot__json_kstr(j, "behaviour", d.behaviour);
	ot__json_kstr(j, "entry", d.entry_name);
	ot__json_kstr(j, "status", status_name(info.status));
	ot__json_kuint(j, "mailbox", d.message_queue_len);
	ot__json_kuint(j, "memory", (uint64_t)d.stack_bytes + d.queue_bytes);
	ot__json_kuint(j, "stack_bytes", d.stack_bytes);
	ot__json_kuint(j, "queue_bytes", d.queue_bytes);
	ot__json_kuint(j, "messages_in", d.messages_in);
	ot__json_kuint(j, "links", d.links);
	ot__json_kuint(j, "monitored_by", d.monitored_by);
	if (!all)
		return 0;
	ot__json_kbool(j, "trap_exit", info.trap_exit);
	ot__json_kbool(j, "foreign", info.foreign);
	ot__json_kuint(j, "mailbox_dropped", info.mailbox_dropped);
	pid_list(j, "linked", ot_process_links, pid);
	pid_list(j, "monitoring", ot_process_monitors, pid);
	pid_list(j, "monitored_by_pids", ot_process_monitored_by, pid);
	return 0;
}

int ot__obs_walk(size_t size,
		 int (*fn)(ot_pid, const ot_process_details *, void *),
		 void *arg)
{
	size_t got;
	ot_pid chunk[CHUNK], after = OT_PID_NONE;
	do {
		int rc = ot_processes(after, chunk, CHUNK, &got);
		if (rc)
			return rc;
		for (size_t i = 0; i < got; i++) {
			ot_process_details d;
			if (ot_process_details_get(chunk[i], &d, size))
				continue; /* ended since */
			if ((rc = fn(chunk[i], &d, arg)))
				return rc;
		}
		if (got)
			after = chunk[got - 1];
		ot_yield();
	} while (got == CHUNK);
	return 0;
}

/* The top n of those seen so far, in a heap. */
struct top {
	struct entry *heap;
	size_t n, limit, total;
	enum ot__ps_sort sort;
};

static int consider(ot_pid pid, const ot_process_details *d, void *arg)
{
	struct top *t = arg;
	t->total++;
	struct entry e = {key_of(d, t->sort), pid};
	if (t->n < t->limit) {
		t->heap[t->n] = e;
		sift_up(t->heap, t->n++);
	} else if (t->limit && before(&t->heap[0], &e)) {
		t->heap[0] = e;
		sift_down(t->heap, t->n, 0);
	}
	return 0;
}

void ot__obs_ps(struct ot__json *j, enum ot__ps_sort sort, size_t limit)
{
	struct entry *heap = limit ? malloc(limit * sizeof *heap) : NULL;
	if (limit && !heap) {
		ot__json_error(j, OT_ENOMEM, "out of memory");
		return;
	}
	struct top t = {heap, 0, limit, 0, sort};
	ot__obs_walk(SORT_SIZE, consider, &t);
	size_t n = t.n, total = t.total;
	if (n)
		qsort(heap, n, sizeof *heap, by_key_desc);
	static const char *const sorts[] = {"memory", "mailbox", "activity"};
	ot__json_open(j, '{');
	ot__json_kuint(j, "total", total);
	ot__json_kstr(j, "sort", sorts[sort]);
	ot__json_key(j, "processes");
	ot__json_open(j, '[');
	for (size_t i = 0; i < n && !j->full; i++) {
		/* Full details look the entry function's symbol up (once per
		 * function, but that once may take a while): one at a time. */
		if (i % 8 == 7)
			ot_yield();
		ot__json_open(j, '{');
		if (ot__obs_process(j, heap[i].pid, false)) {
			ot__json_kpid(j, "pid", heap[i].pid);
			ot__json_kbool(j, "gone", true);
		}
		ot__json_close(j, '}');
	}
	ot__json_close(j, ']');
	ot__json_close(j, '}');
	free(heap);
}
