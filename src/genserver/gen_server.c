/* SPDX-License-Identifier: MIT */
/*
 * gen_server.c — generic servers, built only on the public process API.
 *
 * A server is a process running ot__gs_serve(): it runs init, acknowledges the
 * start, then takes one message at a time and hands it to a callback. The
 * protocol is a handful of tagged messages (tags from OT_GS_TAG_BASE):
 *
 *   call       {alias} + request   caller -> server; the reply goes back
 *                                  through the caller's alias, so a caller
 *                                  that gave up never sees it
 *   cast       request             fire and forget
 *   stop       {reason}            stop now, running terminate
 *   get_state  {alias}             format_status, answered like a call
 *   reply      bytes               server -> caller's alias
 *   ack        {status, reason}    server -> starter's alias, after init
 *
 * A caller monitors the server for the length of a call: a DOWN instead of
 * the reply says the server died (with its reason), or never existed.
 *
 * A crash in a callback is trapped by the runtime; the crash handler this
 * layer installs writes the server's report (last message, state) and runs
 * terminate before the process ends with the crash reason.
 *
 * This file is the server's side; client.c the callers' (start, call,
 * cast, stop), protocol.h what they send each other.
 */
#include "config.h"

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server.h>

#include "protocol.h"

/* A server yields to others after this many messages in a row. */
#define BUDGET 64

/* The server's own record, on its stack for its whole life. */
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
	bool has_continue;
	uint64_t continue_arg;
	bool terminating; /* terminate is running */
	/* ... for this reason (terminate's caller's, alive while it runs) */
	const ot_reason *stop_reason;
	/* The message being handled: freed if the server ends inside it. */
	ot_msg *msg;
	void *heap; /* a large request, copied off its message */
	/* What it was, for the crash report. */
	uint64_t last_tag;
	size_t last_size;
	ot_pid last_from;
	const char *last_kind;
};

/* ---------------------------------------------------------------------
 * Result builders
 */
static ot_gs_ret ret(ot_gs_action action)
{
	ot_gs_ret r;
	memset(&r, 0, sizeof r);
	r.action = action;
	return r;
}

ot_gs_ret ot_gs_ok(void)
{
	return ret(OT_GS_OK);
}

ot_gs_ret ot_gs_ignore(void)
{
	return ret(OT_GS_IGNORE);
}

ot_gs_ret ot_gs_noreply(void)
{
	return ret(OT_GS_NOREPLY);
}

ot_gs_ret ot_gs_reply(const void *reply, size_t size)
{
	ot_gs_ret r = ret(OT_GS_REPLY);
	r.reply = reply;
	r.reply_size = size;
	return r;
}

ot_gs_ret ot_gs_stop(ot_reason reason)
{
	ot_gs_ret r = ret(OT_GS_STOP);
	r.reason = reason;
	return r;
}

ot_gs_ret ot_gs_stop_reply(ot_reason reason, const void *reply, size_t size)
{
	ot_gs_ret r = ot_gs_stop(reason);
	r.has_reply = true;
	r.reply = reply;
	r.reply_size = size;
	return r;
}

/* ---------------------------------------------------------------------
 * Reports and stopping
 */
static void report(struct server *s, const ot_reason *reason)
{
	if (!ot_log_enabled())
		return;
	char who[OT_NAME_MAX + OT_PID_STRLEN + 4], why[OT_REASON_STRLEN];
	char state[512] = "<state>";
	ot_process_info info;
	ot_pid_format(s->self, who, sizeof who);
	if (ot_process_info_get(s->self, &info) == 0 && info.name[0])
		snprintf(who, sizeof who, "%s", info.name);
	ot_reason_format(reason, why, sizeof why);
	if (s->cb->format_status && s->state)
		s->cb->format_status(s->state, state, sizeof state);
	char from[OT_PID_STRLEN] = "-";
	if (!ot_pid_is_none(s->last_from))
		ot_pid_format(s->last_from, from, sizeof from);
	/* The tag says something only for a message to handle_info: the
	 * others are gen_server's own (call, cast, stop...). */
	char tag[40] = "";
	if (s->last_kind && !strcmp(s->last_kind, "info"))
		snprintf(tag, sizeof tag, "tag %#llx, ",
			 (unsigned long long)s->last_tag);
	char text[2048];
	snprintf(text, sizeof text,
		 "=ERROR REPORT==== gen_server ===\n"
		 "** Generic server %s terminating\n"
		 "** Last message in was: %s (%s%zu bytes, from %s)\n"
		 "** When Server state == %s\n"
		 "** Reason for termination ==\n"
		 "** %s",
		 who, s->last_kind ? s->last_kind : "none", tag, s->last_size,
		 from, state, why);
	ot_log_report(text);
}

static void ack(struct server *s, int status, const ot_reason *reason)
{
	struct ack a;
	memset(&a, 0, sizeof a);
	a.status = status;
	if (reason)
		a.reason = *reason;
	ot_send_alias(s->starter, s->start_alias, TAG_ACK, &a, sizeof a);
}

/* Runs terminate for reason (a crash inside it keeps this reason). */
static void terminate(struct server *s, const ot_reason *reason)
{
	if (!ot_reason_is_clean(reason))
		report(s, reason);
	if (!s->cb->terminate)
		return;
	s->terminating = true;
	s->stop_reason = reason;
	s->cb->terminate(reason, s->state);
	s->terminating = false;
}

static void drop_payload(struct server *s)
{
	free(s->heap);
	s->heap = NULL;
}

/* Ends the server with reason; never returns. The message being handled
 * is the server's to free (it was taken from the mailbox). */
__attribute__((noreturn)) static void end(struct server *s,
					  const ot_reason *reason)
{
	ot_msg_free(s->msg);
	s->msg = NULL;
	drop_payload(s);
	ot_exit(reason);
	abort(); /* ot_exit does not return in a process */
}

/* Ends the server with reason after terminate; never returns. */
__attribute__((noreturn)) static void stop_now(struct server *s,
					       ot_reason reason)
{
	terminate(s, &reason);
	end(s, &reason);
}

/* The runtime calls this after a crash in a callback, in the server. */
static void on_crash(const ot_reason *reason, void *arg)
{
	struct server *s = arg;
	/* Not needed by terminate; freed now in case terminate crashes too
	 * (then nothing here runs again). */
	ot_msg_free(s->msg);
	s->msg = NULL;
	drop_payload(s);
	if (!s->started) {
		/* Crashed in init: the starter learns why (not linked yet, it
		 * gets no EXIT); no terminate, as in OTP. */
		ack(s, OT_EINITSTOP, reason);
		return;
	}
	if (s->terminating) {
		/* terminate itself crashed: say so, and end with the reason
		 * the server was stopping for (OTP keeps it too). */
		char why[OT_REASON_STRLEN], text[OT_REASON_STRLEN + 64];
		ot_reason_format(reason, why, sizeof why);
		snprintf(
		    text, sizeof text,
		    "** terminate crashed with %s; keeping the stop reason",
		    why);
		ot_log_report(text);
		end(s, s->stop_reason);
	}
	terminate(s, reason);
}

static ot_reason bad_return(const char *callback)
{
	char text[64];
	snprintf(text, sizeof text, "bad return value from %s", callback);
	return ot_reason_error(OT_EINVAL, text);
}

/* ---------------------------------------------------------------------
 * The server loop
 */
static void reply_to(ot_gs_from from, const void *data, size_t size)
{
	ot_send_alias(from.caller, from.alias, TAG_REPLY, size ? data : NULL,
		      size);
}

/* Acts on what a callback returned. from is the caller for a call. */
static void apply(struct server *s, const ot_gs_ret *r, const ot_gs_from *from,
		  const char *callback)
{
	if ((r->reply_size && !r->reply) || r->timeout_ms < OT_INFINITY)
		stop_now(s, bad_return(callback));
	switch (r->action) {
	case OT_GS_REPLY:
		if (!from)
			stop_now(s, bad_return(callback));
		reply_to(*from, r->reply, r->reply_size);
		break;
	case OT_GS_NOREPLY:
		break;
	case OT_GS_STOP: {
		if (r->has_reply && !from)
			stop_now(s, bad_return(callback));
		/* OTP sends the reply after terminate, which may free what it
		 * points into: copy it first. */
		void *copy = NULL;
		if (r->has_reply && r->reply_size &&
		    !(copy = malloc(r->reply_size)))
			stop_now(s,
				 ot_reason_error(OT_ENOMEM, "out of memory"));
		if (copy)
			memcpy(copy, r->reply, r->reply_size);
		terminate(s, &r->reason);
		if (r->has_reply)
			reply_to(*from, copy, r->reply_size);
		free(copy);
		end(s, &r->reason);
	}
	default:
		stop_now(s, bad_return(callback));
	}
	s->has_timeout = r->has_timeout || r->timeout_ms > 0;
	s->timeout_ms =
	    r->has_timeout || r->timeout_ms > 0 ? r->timeout_ms : OT_INFINITY;
	s->hibernate = r->hibernate;
	s->has_continue = r->has_continue;
	s->continue_arg = r->continue_arg;
}

static bool is_timeout(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == OT_GS_TAG_TIMEOUT &&
	       ot_pid_equal(ot_msg_from(m), ot_self());
}

/* The next message, or the idle-timeout message if none came in time. */
static ot_msg *next_message(struct server *s)
{
	ot_msg *m = NULL;
	int rc = ot_receive(&m, s->has_timeout ? s->timeout_ms : OT_INFINITY);
	if (rc == 0)
		return m;
	/* Timed out: handle_info gets a timeout message, sent to ourselves
	 * so that it is an ordinary message. */
	s->has_timeout = false;
	if (ot_send(s->self, OT_GS_TAG_TIMEOUT, NULL, 0) != 0 ||
	    ot_receive_match(is_timeout, NULL, &m, OT_INFINITY) != 0)
		return NULL;
	return m;
}

/*
 * Copies the payload of the current message (past skip bytes) to buf, or
 * to the heap when it does not fit, and frees the message: a callback may
 * end the process in ways no code here sees (ot_exit, a stack overflow),
 * and a request that lives on the server's stack goes with it.
 */
static const void *take_payload(struct server *s, size_t skip, char *buf,
				size_t cap)
{
	size_t n = ot_msg_size(s->msg) - skip;
	char *copy = buf;
	if (n > cap && !(copy = s->heap = malloc(n)))
		stop_now(s, ot_reason_error(OT_ENOMEM, "out of memory"));
	if (n)
		memcpy(copy, (const char *)ot_msg_data(s->msg) + skip, n);
	ot_msg_free(s->msg);
	s->msg = NULL;
	return copy;
}

/* Answers ot_gen_server_get_state(). Not inlined into the loop: its
 * buffer would make every server's frame, and so its resident stack,
 * bigger. */
static __attribute__((noinline)) void get_state(struct server *s,
						const ot_msg *m)
{
	const ot_gen_server_callbacks *cb = s->cb;
	const char *data = ot_msg_data(m);
	size_t size = ot_msg_size(m);
	struct call_hdr h;
	if (size < sizeof h)
		return;
	memcpy(&h, data, sizeof h);
	char text[4096] = "<state>";
	int n = (int)strlen(text);
	if (cb->format_status)
		n = cb->format_status(s->state, text, sizeof text);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof text)
		n = sizeof text - 1;
	reply_to((ot_gs_from){ot_msg_from(m), h.alias}, text, (size_t)n + 1);
}

/* noinline: its locals (a callback's result, a reason) must not sit in
 * the loop's frame, which a waiting server keeps. */
__attribute__((noinline)) static void handle(struct server *s, ot_msg *m)
{
	const ot_gen_server_callbacks *cb = s->cb;
	uint64_t tag = ot_msg_tag(m);
	const char *data = ot_msg_data(m);
	size_t size = ot_msg_size(m);
	s->last_tag = tag;
	s->last_size = size;
	s->last_from = ot_msg_from(m);
	switch (tag) {
	case TAG_CALL: {
		struct call_hdr h;
		if (size < sizeof h)
			return; /* not from ot_gen_server_call: ignore */
		memcpy(&h, data, sizeof h);
		ot_gs_from from = {ot_msg_from(m), h.alias};
		s->last_kind = "call";
		s->last_size = size - sizeof h; /* the request's own bytes */
		if (!cb->handle_call)
			stop_now(s, ot_reason_error(OT_EINVAL,
						    "no handle_call callback"));
		size_t n = size - sizeof h;
		char small[SMALL_FRAME];
		const void *req =
		    take_payload(s, sizeof h, small, sizeof small);
		ot_gs_ret r =
		    cb->handle_call(n ? req : NULL, n, from, &s->state);
		apply(s, &r, &from, "handle_call");
		drop_payload(s);
		return;
	}
	case TAG_CAST:
		s->last_kind = "cast";
		if (cb->handle_cast) {
			char small[SMALL_FRAME];
			const void *req =
			    take_payload(s, 0, small, sizeof small);
			ot_gs_ret r =
			    cb->handle_cast(size ? req : NULL, size, &s->state);
			apply(s, &r, NULL, "handle_cast");
			drop_payload(s);
		}
		return;
	case TAG_STOP: {
		ot_reason reason = ot_reason_normal();
		if (size == sizeof reason)
			memcpy(&reason, data, sizeof reason);
		s->last_kind = "stop";
		stop_now(s, reason);
	}
	case TAG_GET_STATE:
		get_state(s, m);
		return;
	}
	const ot_exit_info *e = ot_msg_exit(m);
	if (e && ot_pid_equal(e->from, s->parent)) {
		/* A trapping server whose parent ends goes with it. */
		s->last_kind = "EXIT from parent";
		/* The message goes before terminate runs: a supervisor may
		 * kill the server in there (its shutdown time ran out), and
		 * a killed process frees nothing its stack held. */
		ot_reason why = e->reason;
		ot_msg_free(s->msg);
		s->msg = NULL;
		stop_now(s, why);
	}
	s->last_kind = "info";
	if (cb->handle_info) {
		ot_gs_ret r = cb->handle_info(m, &s->state);
		apply(s, &r, NULL, "handle_info");
	}
}

static bool is_start(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == TAG_START && ot_msg_size(m) == sizeof(struct start);
}

/* Takes the start record and runs init; false when the server must end.
 * noinline: what it needs (the record, init's result) is gone from the
 * stack by the time the server waits for its first message. */
__attribute__((noinline)) static bool server_init(struct server *s)
{
	/* The start record comes as a message, not as a pointer to the
	 * starter's memory: the starter waits while init runs, and a waiting
	 * process's frames may be saved off its stack then. */
	ot_msg *sm;
	if (ot_receive_match(is_start, NULL, &sm, OT_INFINITY) != 0)
		return false; /* the runtime is stopping */
	struct start start_rec;
	memcpy(&start_rec, ot_msg_data(sm), sizeof start_rec);
	ot_msg_free(sm);
	const struct start *st = &start_rec;
	s->cb = st->cb;
	s->self = ot_self();
	/* As in OTP: the parent is the starter for a linked server; a
	 * server started without a link is its own parent, and an EXIT
	 * from its starter is just another message for handle_info. But a
	 * foreign thread that starts a server is its parent either way:
	 * ot_shutdown() stops such a root with exit(shutdown) from that
	 * thread, as OTP's application master stops its top supervisor. */
	s->starter = st->parent;
	s->parent = st->linked || st->from_thread ? st->parent : s->self;
	s->start_alias = st->alias;
	void *init_arg = st->arg;
	bool linked = st->linked;
	s->timeout_ms = OT_INFINITY;
	ot_set_crash_handler(on_crash, s);

	ot_gs_ret r = s->cb->init(init_arg, &s->state);
	if (r.action != OT_GS_OK) {
		ot_reason why = r.reason;
		int status = OT_EINITSTOP;
		if (r.action == OT_GS_IGNORE) {
			status = OT_EIGNORED;
			why = ot_reason_normal();
		} else if (r.action != OT_GS_STOP) {
			why = bad_return("init");
		}
		ack(s, status, &why);
		ot_exit(&why);
		return false;
	}
	s->started = true;
	/* start_link: the link comes now, before the ack. A starter that died
	 * meanwhile (nobody waits for the ack) makes a trapping server get
	 * EXIT noproc from its parent, and any other one end. */
	if (linked && ot_link(s->starter) == OT_ENOPROC) {
		ot_reason noproc = ot_reason_normal();
		noproc.kind = OT_REASON_NOPROC;
		stop_now(s, noproc);
	}
	ack(s, 0, NULL);
	/* init's timeout, hibernate and continue apply as after a callback. */
	r.action = OT_GS_NOREPLY;
	apply(s, &r, NULL, "init");
	return true;
}

/* Runs a continue; noinline for the same reason as handle(). */
__attribute__((noinline)) static void run_continue(struct server *s)
{
	ot_gs_ret rc = s->cb->handle_continue(s->continue_arg, &s->state);
	apply(s, &rc, NULL, "handle_continue");
}

void ot__gs_serve(void *arg)
{
	(void)arg;
	struct server s;
	memset(&s, 0, sizeof s);
	if (!server_init(&s))
		return;
	for (unsigned n = 1;; n++) {
		if (s.has_continue) {
			s.has_continue = false;
			s.last_kind = "continue";
			if (s.cb->handle_continue)
				run_continue(&s);
			continue;
		}
		if (s.hibernate) {
			s.hibernate = false;
			ot_stack_trim();
		}
		if (n % BUDGET == 0)
			ot_yield(); /* a busy server lets others run */
		ot_msg *m = next_message(&s);
		if (!m)
			continue;
		s.msg = m;
		handle(&s, m);
		ot_msg_free(s.msg); /* unless handle took it */
		s.msg = NULL;
	}
}

