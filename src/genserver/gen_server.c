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
 *   replace_state {alias, fn, arg} fn runs on the state, answered likewise
 *   reply      bytes               server -> caller's alias
 *   ack        {status, reason}    server -> starter's alias, after init
 *
 * A caller monitors the server for the length of a call: a DOWN instead of
 * the reply says the server died (with its reason), or never existed.
 *
 * How a server ends follows OTP's gen_server (try_dispatch, terminate):
 * a callback's stop, a crash in it or an ot_exit() from it all run
 * terminate with the reason, then the process ends with it. Crashes and
 * ot_exit() reach this layer through the crash handler it installs
 * (on_crash), which the runtime runs in the server before it ends; a
 * terminate that fails there gives the server its own reason. A reply
 * returned with a stop goes out after terminate, whatever terminate does.
 *
 * This file is the server's loop; result.c builds what callbacks return,
 * report.c writes the reports, client.c is the callers' side (start, call,
 * cast, stop), protocol.h what the two sides send each other.
 */
#include "config.h"

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server.h>

#include "protocol.h"
#include "server.h"

/* ---------------------------------------------------------------------
 * Stopping
 */
static void ack(struct server *s, int status, const ot_reason *reason)
{
	struct ack a;
	memset(&a, 0, sizeof a);
	a.status = status;
	if (reason) /* the starter keeps it: no payload */
		a.reason = ot_reason_without_data(reason);
	ot_send_alias(s->starter, s->start_alias, TAG_ACK, &a, sizeof a);
}

static void reply_to(ot_gs_from from, const void *data, size_t size)
{
	ot_send_alias(from.caller, from.alias, TAG_REPLY, size ? data : NULL,
		      size);
}

/* Sends the reply due after terminate, once. */
static void send_pending(struct server *s)
{
	if (!s->has_pending)
		return;
	s->has_pending = false;
	reply_to(s->pending_to, s->pending, s->pending_size);
}

/* Frees what the server holds for the message it handles (the message,
 * a large request's copy, a reply's copy). */
static void drop_owned(struct server *s)
{
	if (s->msg) {
		ot_msg_free(s->msg);
		s->msg = NULL;
	}
	if (s->heap) {
		free(s->heap);
		s->heap = NULL;
	}
	if (s->reply_copy && !s->has_pending) {
		free(s->reply_copy);
		s->reply_copy = NULL;
	}
}

/* After a call or a cast: its request's heap copy, if it had one (the
 * message went before the callback, a reply's copy with apply()). */
static void drop_request(struct server *s)
{
	if (s->heap) {
		free(s->heap);
		s->heap = NULL;
	}
}

/* Runs terminate for reason, after the report a reason that is not clean
 * gets (written first: terminate may free what format_status reads). */
static void terminate(struct server *s, const ot_reason *reason)
{
	if (!ot_reason_is_clean(reason))
		ot__gs_report(s, reason);
	if (!s->cb->terminate)
		return;
	s->terminating = true;
	s->cb->terminate(reason, s->state);
	s->terminating = false;
	s->terminated = true; /* returned: release has nothing left to do */
}

/* The crash handler of the server's own exit: ot_exit() has copied the
 * reason's payload by now, so the server's copy can go. */
static void free_reason_copy(const ot_reason *reason, void *copy)
{
	(void)reason;
	free(copy);
}

/* Ends the server with reason; never returns. */
__attribute__((noreturn)) static void end(struct server *s,
					  const ot_reason *reason)
{
	s->has_pending = false;
	drop_owned(s);
	/* This exit is the server's own, not a callback's: no terminate. */
	ot_set_crash_handler(free_reason_copy, s->reason_copy);
	if (ot_exit(reason) == OT_ENOMEM) {
		/* No memory for the payload's copy: the text still goes. */
		ot_reason brief = ot_reason_without_data(reason);
		ot_exit(&brief);
	}
	abort(); /* ot_exit does not return in a process */
}

/* Makes *reason's payload the server's own copy (s->reason_copy), for
 * after what it points into is gone; without memory for it, the reason
 * says so instead. */
static void keep_reason_data(struct server *s, ot_reason *reason)
{
	if (!reason->data_size || reason->data == s->reason_copy)
		return;
	void *copy = malloc(reason->data_size);
	if (!copy) {
		*reason = ot_reason_error(OT_ENOMEM,
					  "out of memory for a stop reason");
		return;
	}
	memcpy(copy, reason->data, reason->data_size);
	free(s->reason_copy);
	s->reason_copy = copy;
	reason->data = copy;
}

/* Ends the server with reason after terminate (and the reply due after
 * it); never returns. */
__attribute__((noreturn)) static void stop_now(struct server *s,
					       ot_reason reason)
{
	keep_reason_data(s, &reason);
	/* What it was handling goes first: terminate may block, and a
	 * server killed in there frees nothing its stack held. */
	ot_msg_free(s->msg);
	s->msg = NULL;
	terminate(s, &reason);
	send_pending(s);
	end(s, &reason);
}

/* A stop that did not happen (the runtime ends the server with another
 * reason, which it holds itself): the copy of its payload goes. */
static void drop_reason_copy(struct server *s)
{
	free(s->reason_copy);
	s->reason_copy = NULL;
}

/*
 * The runtime runs this in the server when a callback (or terminate)
 * crashed or called ot_exit(); the process then ends with reason, unless
 * something in here ends it first. As OTP's gen_server: terminate runs
 * with the reason; a terminate that itself crashes or exits gives the
 * server that reason (here, or by the runtime when it happens inside the
 * terminate this runs), and a reply due after terminate still goes out.
 */
static void on_crash(const ot_reason *reason, void *arg)
{
	struct server *s = arg;
	/* Not needed by terminate; freed now in case terminate fails too. */
	ot_msg_free(s->msg);
	s->msg = NULL;
	free(s->heap);
	s->heap = NULL;
	if (!s->started) {
		/* In init: the starter learns why (not linked yet, it gets no
		 * EXIT); no terminate, as in OTP. */
		ack(s, OT_EINITSTOP, reason);
		return;
	}
	if (s->terminating) {
		s->terminating = false;
		send_pending(s);
		if (!ot_reason_is_clean(reason))
			ot__gs_report_terminate(s, reason);
		drop_reason_copy(s);
		drop_owned(s);
		return;
	}
	terminate(s, reason);
	drop_reason_copy(s);
	drop_owned(s);
}

static ot_reason bad_return(const char *callback)
{
	char text[64];
	snprintf(text, sizeof text, "bad return value from %s", callback);
	return ot_reason_error(OT_EINVAL, text);
}

static ot_reason no_callback(const char *callback)
{
	char text[64];
	snprintf(text, sizeof text, "no %s callback", callback);
	return ot_reason_error(OT_EINVAL, text);
}

/* ---------------------------------------------------------------------
 * The server loop
 */

/* The bytes of r's reply: set by hand, or a builder's copy. */
static const void *reply_bytes(const ot_gs_ret *r)
{
	if (r->reply)
		return r->reply;
	if (r->reply_copy)
		return r->reply_copy;
	return r->reply_size <= sizeof r->reply_bytes ? r->reply_bytes : NULL;
}

/* Keeps r's reply for after terminate. Bytes set by hand are copied now:
 * terminate may free what they point into. */
static void hold_reply(struct server *s, const ot_gs_ret *r,
		       const ot_gs_from *from)
{
	const void *bytes = reply_bytes(r);
	if (r->reply && r->reply_size) {
		free(s->reply_copy);
		if (!(s->reply_copy = malloc(r->reply_size)))
			stop_now(s,
				 ot_reason_error(OT_ENOMEM, "out of memory"));
		memcpy(s->reply_copy, r->reply, r->reply_size);
		bytes = s->reply_copy;
	}
	s->pending_to = *from;
	s->pending = bytes;
	s->pending_size = r->reply_size;
	s->has_pending = true;
}

/* Acts on what a callback returned. from is the caller for a call. r
 * lives in the caller's frame until the server ends or the next message. */
static void apply(struct server *s, ot_gs_ret *r, const ot_gs_from *from,
		  const char *callback)
{
	/* A builder's copy is the server's to free from now on (r, which
	 * still points at it, is not used after this). */
	s->reply_copy = r->reply_copy;
	if (r->reason_copy) {
		free(s->reason_copy);
		s->reason_copy = r->reason_copy;
	}
	const void *bytes = reply_bytes(r);
	if ((r->reply_size && !bytes) || r->reply_size > (size_t)PTRDIFF_MAX ||
	    r->timeout_ms < OT_INFINITY)
		stop_now(s, bad_return(callback));
	switch (r->action) {
	case OT_GS_REPLY:
		if (!from)
			stop_now(s, bad_return(callback));
		reply_to(*from, bytes, r->reply_size);
		break;
	case OT_GS_NOREPLY:
		break;
	case OT_GS_STOP:
		if (r->has_reply && !from)
			stop_now(s, bad_return(callback));
		if (r->has_reply)
			hold_reply(s, r, from);
		stop_now(s, r->reason);
	default:
		stop_now(s, bad_return(callback));
	}
	if (s->reply_copy) {
		free(s->reply_copy);
		s->reply_copy = NULL;
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
	int wait = s->has_timeout ? s->timeout_ms : OT_INFINITY;
	if (wait == OT_INFINITY && s->hibernate_after_ms > 0) {
		/* OTP's hibernate_after: idle that long, it hibernates. */
		if (ot_receive(&m, s->hibernate_after_ms) == 0)
			return m;
		ot_stack_trim();
	}
	int rc = ot_receive(&m, wait);
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
 * end the process in ways no code here sees (a kill, a stack overflow),
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

/* The caller of a call-like request (call, get_state, replace_state), and
 * the bytes after its header; false when it is not one. */
static bool caller_of(const ot_msg *m, ot_gs_from *from)
{
	struct call_hdr h;
	if (ot_msg_size(m) < sizeof h)
		return false;
	memcpy(&h, ot_msg_data(m), sizeof h);
	*from = (ot_gs_from){ot_msg_from(m), h.alias};
	return true;
}

/* Answers ot_gen_server_get_state(). Not inlined into the loop: its
 * buffer would make every server's frame, and so its resident stack,
 * bigger. */
static __attribute__((noinline)) void get_state(struct server *s)
{
	ot_gs_from from;
	if (!caller_of(s->msg, &from))
		return;
	ot_msg_free(s->msg);
	s->msg = NULL;
	char text[4096];
	size_t n = ot__gs_render_state(s, text, sizeof text);
	reply_to(from, text, n + 1);
}

struct replace_run {
	struct replace_req rq;
	void *state;
};

static void run_replace(void *arg)
{
	struct replace_run *run = arg;
	run->state = run->rq.fn(run->state, run->rq.arg);
}

/* Runs ot_gen_server_replace_state()'s function on the state; a crash in
 * it is caught and leaves the state as it was (OTP's
 * system_replace_state). */
static __attribute__((noinline)) void replace_state(struct server *s)
{
	ot_gs_from from;
	struct replace_run run;
	if (!caller_of(s->msg, &from) ||
	    ot_msg_size(s->msg) != sizeof(struct call_hdr) + sizeof run.rq)
		return;
	memcpy(&run.rq,
	       (const char *)ot_msg_data(s->msg) + sizeof(struct call_hdr),
	       sizeof run.rq);
	ot_msg_free(s->msg);
	s->msg = NULL;
	run.state = s->state;
	struct replace_ack a;
	memset(&a, 0, sizeof a);
	a.status =
	    run.rq.fn ? ot_catch(run_replace, &run, &a.reason) : OT_EINVAL;
	if (a.status == 0)
		s->state = run.state;
	a.reason = ot_reason_without_data(&a.reason); /* the caller keeps it */
	reply_to(from, &a, sizeof a);
}

/* noinline: its locals (a callback's result, a reason) must not sit in
 * the loop's frame, which a waiting server keeps. */
__attribute__((noinline)) static void handle(struct server *s, ot_msg *m)
{
	const ot_gen_server_callbacks *cb = s->cb;
	uint64_t tag = ot_msg_tag(m);
	size_t size = ot_msg_size(m);
	s->last_tag = tag;
	s->last_size = size;
	s->last_from = ot_msg_from(m);
	switch (tag) {
	case TAG_CALL: {
		ot_gs_from from;
		if (!caller_of(m, &from))
			return; /* not from ot_gen_server_call: ignore */
		s->last_kind = "call";
		size_t n = size - sizeof(struct call_hdr);
		s->last_size = n; /* the request's own bytes */
		if (!cb->handle_call)
			stop_now(s, no_callback("handle_call"));
		char small[SMALL_FRAME];
		const void *req = take_payload(s, sizeof(struct call_hdr),
					       small, sizeof small);
		ot_gs_ret r =
		    cb->handle_call(n ? req : NULL, n, from, &s->state);
		apply(s, &r, &from, "handle_call");
		drop_request(s);
		return;
	}
	case TAG_CAST: {
		s->last_kind = "cast";
		if (!cb->handle_cast)
			stop_now(s, no_callback("handle_cast"));
		char small[SMALL_FRAME];
		const void *req = take_payload(s, 0, small, sizeof small);
		ot_gs_ret r =
		    cb->handle_cast(size ? req : NULL, size, &s->state);
		apply(s, &r, NULL, "handle_cast");
		drop_request(s);
		return;
	}
	case TAG_STOP: {
		/* The reason, then its payload (client.c). */
		ot_reason reason = ot_reason_normal();
		if (size >= sizeof reason)
			memcpy(&reason, ot_msg_data(m), sizeof reason);
		if (size < sizeof reason ||
		    size - sizeof reason != reason.data_size)
			reason = ot_reason_without_data(&reason);
		else if (reason.data_size)
			reason.data =
			    (const char *)ot_msg_data(m) + sizeof reason;
		s->last_kind = "stop";
		stop_now(s, reason); /* which frees the stop request first */
	}
	case TAG_GET_STATE:
		get_state(s);
		return;
	case TAG_REPLACE_STATE:
		s->last_kind = "replace_state";
		replace_state(s);
		return;
	}
	const ot_exit_info *e = ot_msg_exit(m);
	if (e && ot_pid_equal(e->from, s->parent)) {
		/* A trapping server whose parent ends goes with it. */
		s->last_kind = "EXIT from parent";
		stop_now(s, e->reason); /* (a copy: the message goes first) */
	}
	s->last_kind = "info";
	if (!cb->handle_info) {
		/* OTP's default handle_info: say so, drop it. */
		ot__gs_report_unhandled(s, m);
		return;
	}
	ot_gs_ret r = cb->handle_info(m, &s->state);
	apply(s, &r, NULL, "handle_info");
}

/*
 * The exit hook: runs after the server's process ended, whatever ended it,
 * on a scheduler thread. A server killed (or dead of a stack overflow, or
 * of an exit signal it did not trap) ran no terminate and no code of its
 * own to free anything: as in OTP no terminate runs now either, but the
 * state goes to release, and what the server held for the message it was
 * handling, and its record, are freed here.
 */
static void server_ended(const ot_reason *reason, void *arg)
{
	struct server *s = arg;
	if (s->started && !s->terminated && s->cb->release)
		s->cb->release(reason, s->state);
	ot_msg_free(s->msg);
	free(s->heap);
	free(s->reply_copy);
	free(s);
}

static bool is_start(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == TAG_START &&
	       ot_msg_size(m) == sizeof(struct start);
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
	s->hibernate_after_ms =
	    st->hibernate_after_ms == OT_INFINITY ? 0 : st->hibernate_after_ms;
	void *init_arg = st->arg;
	bool linked = st->linked;
	s->timeout_ms = OT_INFINITY;
	ot_set_crash_handler(on_crash, s);

	ot_gs_ret r = s->cb->init(init_arg, &s->state);
	if (r.action != OT_GS_OK) {
		free(r.reply_copy); /* (a reply has no place in init) */
		s->reason_copy = r.reason_copy; /* end() frees it */
		ot_reason why = r.reason;
		int status = OT_EINITSTOP;
		if (r.action == OT_GS_IGNORE) {
			status = OT_EIGNORED;
			why = ot_reason_normal();
		} else if (r.action == OT_GS_ERROR) {
			/* OTP 26's {error, R}: the starter gets R, and the
			 * server ends normally, without a report. */
			status = OT_EINITERROR;
		} else if (r.action != OT_GS_STOP) {
			why = bad_return("init");
		}
		ack(s, status, &why);
		ot_reason normal = ot_reason_normal();
		end(s, status == OT_EINITERROR ? &normal : &why);
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
	if (!s->cb->handle_continue)
		stop_now(s, no_callback("handle_continue"));
	ot_gs_ret rc = s->cb->handle_continue(s->continue_arg, &s->state);
	apply(s, &rc, NULL, "handle_continue");
}

void ot__gs_serve(void *arg)
{
	(void)arg;
	struct server *s = calloc(1, sizeof *s);
	if (!s) {
		ot_reason nomem = ot_reason_error(OT_ENOMEM, "out of memory");
		ot_exit(&nomem);
		return;
	}
	/* Nothing can end the process between the two (a kill is acted on
	 * at a wait): the record is freed however the server ends. */
	ot_set_exit_hook(server_ended, s);
	/* Before init: a get_state queued meanwhile is answered after it. */
	ot_set_behaviour(OT__GS_BEHAVIOUR);
	if (!server_init(s))
		return;
	/* A server flooded with messages lets others run: its receives
	 * spend the budget that makes a process yield (mailbox.c). */
	for (;;) {
		if (s->has_continue) {
			s->has_continue = false;
			s->last_kind = "continue";
			run_continue(s);
			continue;
		}
		if (s->hibernate) {
			s->hibernate = false;
			ot_stack_trim();
		}
		ot_msg *m = next_message(s);
		if (!m)
			continue;
		s->msg = m;
		handle(s, m);
		ot_msg_free(s->msg); /* unless handle took it */
		s->msg = NULL;
	}
}
