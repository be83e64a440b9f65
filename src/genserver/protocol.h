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
	bool from_thread;	/* started by a foreign thread: its parent */
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

/* What a gen_server tells observers it runs (ot_set_behaviour). */
#define OT__GS_BEHAVIOUR "gen_server"

/* A pending request and its label (an item of an ot_gs_reqids; a lone
 * request is a collection of one). */
struct ot__gs_reqid {
	ot_gs_request req;
	uint64_t label;
};

/* Client side (client.c). Sends tag + {alias} + payload to server as a
 * request that is pending on success (*out is cleared first). */
int ot__gs_send_request(ot_pid server, uint64_t tag, const void *payload,
			size_t size, ot_gs_request *out);
/* Waits up to timeout_ms for the answer (reply or DOWN) of any of the n
 * requests of items; *which gets its index. Messages that answer none
 * stay in the mailbox. */
int ot__gs_await(const struct ot__gs_reqid *items, size_t n, ot_msg **m,
		 size_t *which, int timeout_ms);
/* The index of the request of items that m answers, or n. */
size_t ot__gs_answers(const ot_msg *m, const struct ot__gs_reqid *items,
		      size_t n);
/* m answered req: req is no longer pending; returns 0 with the reply in
 * *reply, or the server's end (OT_ENOPROC, OT_ESERVERDIED, *reason).
 * With reply NULL, m stays the caller's either way; otherwise a DOWN is
 * freed. */
int ot__gs_outcome(ot_gs_request *req, ot_msg *m, ot_msg **reply,
		   ot_reason *reason);
/* opts' timeout as a timeout of ot_receive(), or OT_EINVAL. */
int ot__gs_call_timeout(const ot_gs_call_opts *opts, int *timeout_ms);
/* The pid registered as name, OT_ENOPROC when none is (by_name.c). */
int ot__gs_whereis(const char *name, ot_pid *pid);

/* remote.c. The longest name or node of "name@node" (Erlang's atoms). */
#define OT_GS_NODE_MAX 256
/* What a call by name names: the name to look up here (name itself, or
 * its Name part, in buf, for {Name, node()}), or, with *remote set, the
 * server Name (returned, in buf) of the node *node (a pointer into
 * name), to reach through *remote. */
/* ot_gen_server_call() and ot_gen_server_cast() to a pid of another node:
 * the installed call_pid and cast_pid, or OT_EREMOTE. */
int ot__gs_call_remote_pid(ot_pid server, const void *req, size_t size,
			   void *reply, size_t cap, size_t *reply_size,
			   int timeout_ms, ot_reason *reason);
int ot__gs_cast_remote_pid(ot_pid server, const void *req, size_t size);
const char *ot__gs_name(const char *name, char *buf, size_t size,
			const ot_gs_remote **remote, const char **node);

/* Abandons req if it is pending: its alias and monitor go, and any
 * answer of it with them. */
void ot__gs_forget(ot_gs_request *req);

/* The body of every server process (gen_server.c); it takes its struct
 * start as its first TAG_START message. */
void ot__gs_serve(void *arg);

#endif /* OTTER_GENSERVER_PROTOCOL_H */
