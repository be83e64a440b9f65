/* SPDX-License-Identifier: MIT */
/*
 * protocol.h — what the supervisor's API (client.c) and the supervisor
 * process (supervisor.c, init.c) exchange: the start record a new
 * supervisor's init reads, and the request and reply of each call.
 */
#ifndef OTTER_SUPERVISOR_PROTOCOL_H
#define OTTER_SUPERVISOR_PROTOCOL_H

#include <stdint.h>

#include <otter/supervisor.h>

/* Requests and replies carry this, so that calling something that is not
 * a supervisor is an error, not a misread reply. */
#define SUP_MAGIC UINT32_C(0x6f747370) /* "otsp" */

enum sup_op {
	OP_START_CHILD = 1,
	OP_START_EXTRA,
	OP_TERMINATE,
	OP_TERMINATE_PID,
	OP_RESTART,
	OP_DELETE,
	OP_WHICH,
	OP_COUNT,
	OP_SPEC,
	OP_SPEC_PID,
	OP_WHICH_CHILD,
	OP_WHICH_CHILD_PID,
};

struct req {
	uint32_t magic;
	enum sup_op op;
	char id[OT_NAME_MAX + 1];
	ot_pid pid;
	size_t cap; /* OP_WHICH: entries wanted */
	ot_child_spec spec;
	size_t extra_size;
	unsigned char extra[]; /* OP_START_EXTRA */
};

struct rep {
	uint32_t magic;
	int rc;
	ot_pid pid; /* a start: the child, or the holder of its name */
	ot_reason reason;
	ot_child_spec spec;
	ot_child_counts counts;
	ot_child_info child; /* OP_WHICH_CHILD(_PID) */
	ot_start_info info;  /* a start: what it gave */
	size_t total, n;
	ot_child_info list[]; /* OP_WHICH */
};

/*
 * What a new supervisor's init reads: a spec (checked by the starter) or
 * an init callback that makes one. The starter copies the spec off its
 * own stack first: it waits while init runs, and a waiting process's
 * frames may be saved off its stack then (otter/proc.h, "Stacks").
 */
struct start_arg {
	ot_sup_init_fn init; /* NULL: spec and flags below */
	void *init_arg;
	ot_sup_spec spec; /* .children points into children[] */
	ot_sup_flags flags;
	char name[OT_NAME_MAX + 1]; /* "" for none */
	ot_child_spec children[];
};

#endif /* OTTER_SUPERVISOR_PROTOCOL_H */
