/* SPDX-License-Identifier: MIT */
/*
 * server.h — a server's own record, shared by its loop (gen_server.c) and
 * its reports (report.c). Only the server's process touches it.
 */
#ifndef OTTER_GENSERVER_SERVER_H
#define OTTER_GENSERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <otter/gen_server.h>

/* On the heap, for the server's whole life and a little more: the
 * runtime's exit hook (server_ended in gen_server.c) frees it after the
 * process ended, however it ended, with what it still holds. */
struct server {
	const ot_gen_server_callbacks *cb;
	void *state;
	ot_pid self;
	ot_pid parent; /* the starter if linked, else itself */
	ot_pid starter;
	uint64_t start_alias; /* while init runs: where the ack goes */
	bool started;
	bool has_timeout;
	int timeout_ms;
	bool hibernate;
	int hibernate_after_ms; /* 0: never */
	bool has_continue;
	uint64_t continue_arg;
	bool terminating; /* terminate is running */
	bool terminated;  /* terminate returned: release does not run */
	/* The message being handled: freed if the server ends inside it. */
	ot_msg *msg;
	void *heap; /* a large request, copied off its message */
	/* A reply that goes out after terminate (ot_gs_stop_reply()), sent
	 * whatever terminate does; its bytes are the callback's result's
	 * (alive below terminate's frame) or reply_copy. */
	bool has_pending;
	ot_gs_from pending_to;
	const void *pending;
	size_t pending_size;
	void *reply_copy; /* a reply's heap copy, the server's to free */
	/* The payload of the reason it stops with, copied (stop_now): what
	 * it came in (a message, a callback's result) may be gone by the
	 * time the process ends. Freed by the exit's crash handler (end). */
	void *reason_copy;
	/* What it was, for the crash report. */
	uint64_t last_tag;
	size_t last_size;
	ot_pid last_from;
	const char *last_kind;
};

/* The server's error report for reason (the last message, the state). */
void ot__gs_report(struct server *s, const ot_reason *reason);
/* terminate itself failed with reason: a report without the state, which
 * terminate may have freed. */
void ot__gs_report_terminate(struct server *s, const ot_reason *reason);
/* A message nobody handles (no handle_info): logged, as OTP does. */
void ot__gs_report_unhandled(struct server *s, const ot_msg *m);
/* The state as format_status renders it into buf (NUL-terminated, never
 * more than size - 1 bytes), "<state>" without one, or a placeholder when
 * it crashes; returns the length. */
size_t ot__gs_render_state(struct server *s, char *buf, size_t size);

#endif /* OTTER_GENSERVER_SERVER_H */
