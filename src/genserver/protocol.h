/* SPDX-License-Identifier: MIT */
/*
 * protocol.h — what gen_server's two sides send each other: the server's
 * loop (gen_server.c) and its callers (client.c). The messages are listed
 * at the top of gen_server.c.
 */
#ifndef OTTER_GENSERVER_PROTOCOL_H
#define OTTER_GENSERVER_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

#include <otter/gen_server.h>

enum {
	TAG_CALL = OT_GS_TAG_BASE + 1,
	TAG_CAST,
	TAG_STOP,
	TAG_GET_STATE,
	TAG_REPLY,
	TAG_ACK,
	TAG_START, /* starter -> server: struct start, its first message */
	TAG_REPLACE_STATE, /* {alias} + struct replace_req, answered by a
			      struct replace_ack as a reply */
};

struct call_hdr {
	uint64_t alias;
};

struct ack {
	int status; /* 0, OT_EIGNORED or OT_EINITSTOP */
	ot_reason reason;
};

/* What the starter passes to the new process (copied before init runs:
 * a starter that times out returns and takes this with it). */
struct start {
	const ot_gen_server_callbacks *cb;
	void *arg;
	ot_pid parent;
	uint64_t alias;
	bool linked;
	bool from_thread; /* started by a foreign thread: its parent */
	int hibernate_after_ms; /* 0: never */
};

/* ot_gen_server_replace_state(): what to run, and how it went. */
struct replace_req {
	ot_gs_replace_fn fn;
	void *arg;
};

struct replace_ack {
	int status; /* 0 or OT_ECRASHED */
	ot_reason reason;
};

/* Requests and replies up to this size are framed on the stack. */
#define SMALL_FRAME 256

/* The body of every server process (gen_server.c); it takes its struct
 * start as its first TAG_START message. */
void ot__gs_serve(void *arg);

#endif /* OTTER_GENSERVER_PROTOCOL_H */
