/* SPDX-License-Identifier: MIT */
/*
 * client.c — gen_server's callers' side: starting a server (and waiting
 * for its init), calls, casts, replies, get_state and stop. Each waits for
 * its answer through an alias and watches the server with a monitor, so
 * that a server that dies says why and a late answer is never left behind.
 * A request's monitor is its alias (ot_monitor_alias(), reply_demonitor,
 * as OTP 24's gen:call): the reply, or the DOWN, ends both as it arrives,
 * so an answered call has nothing left to undo.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server.h>

#include "protocol.h"

/* ---------------------------------------------------------------------
 * Starting
 */
struct down_match {
	uint64_t alias;
	ot_ref ref;
	uint64_t tag;
};

/* The answer through our alias, or the DOWN of the server we watch. */
static bool is_answer(const ot_msg *m, void *arg)
{
	const struct down_match *dm = arg;
	if (dm->alias && ot_msg_alias(m) == dm->alias &&
	    ot_msg_tag(m) == dm->tag)
		return true;
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == dm->ref.id;
}

static int start(const ot_gen_server_callbacks *cb, void *arg,
		 const ot_gen_server_opts *opts, bool link, ot_pid *out,
		 ot_reason *reason)
{
	static const ot_gen_server_opts defaults;
	if (!opts)
		opts = &defaults;
	if (!cb || !cb->init || opts->start_timeout_ms < OT_INFINITY ||
	    opts->hibernate_after_ms < OT_INFINITY ||
	    (opts->monitor && !opts->monitor_ref))
		return OT_EINVAL;
	if (opts->name) {
		ot_pid holder;
		if (!opts->name[0])
			return OT_EINVAL;
		if (strlen(opts->name) > OT_NAME_MAX)
			return OT_ENAMETOOLONG;
		if (ot_whereis(opts->name, &holder) == 0) {
			if (out)
				*out = holder;
			return OT_EALREADY;
		}
	}
	int timeout = opts->start_timeout_ms ? opts->start_timeout_ms
					     : OT_GS_DEFAULT_TIMEOUT;
	struct start st = {.cb = cb,
			   .arg = arg,
			   .parent = ot_self(),
			   .linked = link,
			   .from_thread = !ot_in_process(),
			   .hibernate_after_ms = opts->hibernate_after_ms};
	int rc = ot_alias(&st.alias);
	if (rc)
		return rc;
	/* The starter watches the server while init runs, whether or not
	 * it is linked: a server killed before its ack is noticed. */
	ot_ref watch;
	/* No link yet: the server links itself to us once init has
	 * succeeded, so that a start that fails in any way (init returning
	 * stop, a crash, an overflow, a kill) never sends us an EXIT. */
	ot_spawn_opts so = {.stack_size = opts->stack_size,
			    .name = opts->name,
			    .flags = OT_SPAWN_MONITOR,
			    .monitor_ref = &watch,
			    .max_messages = opts->max_messages,
			    .max_bytes = opts->max_bytes,
			    .mailbox_policy = opts->mailbox_policy};
	ot_pid pid;
	rc = ot_spawn(ot__gs_serve, NULL, &so, &pid);
	if (rc) {
		ot_unalias(st.alias);
		if (rc == OT_ENAMETAKEN) {
			if (out && opts->name)
				ot_whereis(opts->name, out);
			return OT_EALREADY;
		}
		return rc;
	}
	struct down_match dm = {st.alias, watch, TAG_ACK};
	ot_msg *m = NULL;
	int sent = ot_send(pid, TAG_START, &st, sizeof st);
	rc = sent ? sent : ot_receive_match(is_answer, &dm, &m, timeout);
	if (rc == OT_ETIMEDOUT || sent) {
		/* Too slow: kill it without a trace in our mailbox. */
		ot_unalias(st.alias);
		if (link)
			ot_unlink(pid);
		ot_reason kill = ot_reason_kill();
		ot_exit_pid(pid, &kill);
		/* Wait for it to be gone, and its name with it. */
		ot_msg *down = NULL;
		struct down_match only_down = {0, watch, 0};
		ot_receive_match(is_answer, &only_down, &down, OT_INFINITY);
		ot_msg_free(down);
		return rc;
	}
	ot_unalias(st.alias);
	if (rc)
		return rc;
	const ot_down_info *d = ot_msg_down(m);
	if (d) {
		/* Died before answering (killed during init, say). */
		if (link)
			ot_unlink(pid);
		if (reason)
			*reason = ot_reason_without_data(&d->reason);
		ot_msg_free(m);
		return OT_EINITSTOP;
	}
	struct ack a;
	memcpy(&a, ot_msg_data(m), sizeof a);
	ot_msg_free(m);
	if (a.status != 0) {
		/* It never linked and is ending now: wait for its DOWN, so
		 * that when start returns neither the process nor its name is
		 * left. */
		ot_msg *down = NULL;
		struct down_match only_down = {0, watch, 0};
		ot_receive_match(is_answer, &only_down, &down, OT_INFINITY);
		ot_msg_free(down);
		if (reason)
			*reason = a.reason;
		return a.status;
	}
	if (opts->monitor)
		*opts->monitor_ref = watch;
	else
		ot_demonitor(watch, OT_DEMONITOR_FLUSH);
	if (out)
		*out = pid;
	return 0;
}

int ot_gen_server_start(const ot_gen_server_callbacks *cb, void *arg,
			const ot_gen_server_opts *opts, ot_pid *out,
			ot_reason *reason)
{
	return start(cb, arg, opts, false, out, reason);
}

int ot_gen_server_start_link(const ot_gen_server_callbacks *cb, void *arg,
			     const ot_gen_server_opts *opts, ot_pid *out,
			     ot_reason *reason)
{
	return start(cb, arg, opts, true, out, reason);
}

/* ---------------------------------------------------------------------
 * Requests: what a call is made of
 */

/* What a call and a stop check first; then they monitor the server (a
 * call's monitor is its reply's alias too: alias_mode, 0 for none). */
static int watch_server(ot_pid server, int timeout_ms, ot_alias_mode alias_mode,
			ot_ref *watch)
{
	if (timeout_ms < OT_INFINITY || ot_pid_is_none(server))
		return OT_EINVAL;
	if (!ot_running())
		return OT_ENOTSTARTED;
	if (ot_pid_equal(server, ot_self()))
		return OT_EDEADLK;
	return alias_mode ? ot_monitor_alias(server, alias_mode, watch)
			  : ot_monitor(server, watch);
}

int ot__gs_send_request(ot_pid server, uint64_t tag, const void *payload,
			size_t size, ot_gs_request *out)
{
	*out = (ot_gs_request){.server = OT_PID_NONE};
	/* A size no buffer can have: the frame's length would wrap. */
	if ((size && !payload) || size > (size_t)PTRDIFF_MAX)
		return OT_EINVAL;
	/* The reply and the DOWN come after this mark (made before the
	 * monitor, which may deliver a DOWN at once): the wait for them
	 * (ot__gs_await) skips the caller's backlog, as OTP's receive
	 * marker does. */
	ot_mark since;
	int rc = ot_mailbox_mark(&since);
	if (rc)
		return rc;
	ot_ref watch;
	rc = watch_server(server, 0, OT_ALIAS_REPLY_DEMONITOR, &watch);
	if (rc)
		return rc;
	uint64_t alias = watch.id;
	/* Frame: the alias, then the request. */
	char small[SMALL_FRAME];
	size_t len = sizeof(struct call_hdr) + size;
	char *frame = len <= sizeof small ? small : malloc(len);
	if (!frame) {
		ot_demonitor(watch, OT_DEMONITOR_FLUSH);
		return OT_ENOMEM;
	}
	struct call_hdr h = {alias};
	memcpy(frame, &h, sizeof h);
	if (size)
		memcpy(frame + sizeof h, payload, size);
	rc = ot_send(server, tag, frame, len);
	if (frame != small)
		free(frame);
	if (rc) {
		ot_demonitor(watch, OT_DEMONITOR_FLUSH);
		return rc;
	}
	*out = (ot_gs_request){server, alias, watch, since};
	return 0;
}

void ot__gs_forget(ot_gs_request *req)
{
	if (!req->alias)
		return;
	/* Its monitor ends its alias: from here no reply can arrive, and one
	 * that came but was not taken is dropped with it, so none is ever
	 * left behind; the flush does the same for the DOWN. */
	ot_demonitor(req->monitor, OT_DEMONITOR_FLUSH);
	req->alias = 0;
}

size_t ot__gs_answers(const ot_msg *m, const struct ot__gs_reqid *items,
		      size_t n)
{
	uint64_t alias = ot_msg_alias(m);
	if (alias) {
		if (ot_msg_tag(m) != TAG_REPLY)
			return n;
		for (size_t i = 0; i < n; i++)
			if (items[i].req.alias == alias)
				return i;
		return n;
	}
	const ot_down_info *d = ot_msg_down(m);
	if (d)
		for (size_t i = 0; i < n; i++)
			if (items[i].req.alias &&
			    items[i].req.monitor.id == d->ref.id)
				return i;
	return n;
}

struct await_match {
	const struct ot__gs_reqid *items;
	size_t n;
	size_t which;
};

static bool answers_one(const ot_msg *m, void *arg)
{
	struct await_match *am = arg;
	am->which = ot__gs_answers(m, am->items, am->n);
	return am->which < am->n;
}

/* The one place a caller waits for a reply (or its server's DOWN). */
int ot__gs_await(const struct ot__gs_reqid *items, size_t n, ot_msg **m,
		 size_t *which, int timeout_ms)
{
	struct await_match am = {items, n, n};
	/* From the oldest of their marks: every answer came after it. */
	ot_mark since = {0};
	for (size_t i = 0; i < n; i++) {
		const ot_mark *k = &items[i].req.since;
		if (items[i].req.alias && k->pid &&
		    (!since.pid || k->seq < since.seq))
			since = *k;
	}
	int rc = ot_receive_match_since(since, answers_one, &am, m, timeout_ms);
	if (rc == 0)
		*which = am.which;
	return rc;
}

int ot__gs_outcome(ot_gs_request *req, ot_msg *m, ot_msg **reply,
		   ot_reason *reason)
{
	const ot_down_info *d = ot_msg_down(m);
	int err = 0;
	if (d) {
		err = d->reason.kind == OT_REASON_NOPROC ? OT_ENOPROC
							 : OT_ESERVERDIED;
		if (reason) /* kept past m: no payload */
			*reason = ot_reason_without_data(&d->reason);
	}
	/* Answered: the reply or the DOWN ended its alias and monitor as it
	 * arrived (reply_demonitor). */
	req->alias = 0;
	if (err) {
		if (reply)
			ot_msg_free(m);
		return err;
	}
	if (reply)
		*reply = m;
	return 0;
}

/* A whole call: sends tag + (alias, payload) to server and waits for the
 * reply through the alias, or for the server's DOWN. On success *m is
 * the reply. */
static int request(ot_pid server, uint64_t tag, const void *payload,
		   size_t size, int timeout_ms, ot_msg **m, ot_reason *reason)
{
	*m = NULL;
	if (timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	struct ot__gs_reqid one;
	int rc = ot__gs_send_request(server, tag, payload, size, &one.req);
	if (rc)
		return rc;
	ot_msg *got = NULL;
	size_t which;
	rc = ot__gs_await(&one, 1, &got, &which, timeout_ms);
	if (rc) {
		ot__gs_forget(&one.req);
		return rc;
	}
	return ot__gs_outcome(&one.req, got, m, reason);
}

/* ---------------------------------------------------------------------
 * Calls
 */

int ot_gen_server_call(ot_pid server, const void *req, size_t size, void *reply,
		       size_t cap, size_t *reply_size, int timeout_ms,
		       ot_reason *reason)
{
	if (!reply && cap)
		return OT_EINVAL;
	if (ot_pid_is_remote(server))
		return ot__gs_call_remote_pid(server, req, size, reply, cap,
					      reply_size, timeout_ms, reason);
	ot_msg *m = NULL;
	int rc = request(server, TAG_CALL, req, size, timeout_ms, &m, reason);
	if (rc)
		return rc;
	size_t n = ot_msg_size(m);
	if (reply_size)
		*reply_size = n;
	if (n > cap) {
		ot_msg_free(m);
		return OT_ETOOBIG;
	}
	if (n)
		memcpy(reply, ot_msg_data(m), n);
	ot_msg_free(m);
	return 0;
}

/* A timeout of ot_gs_call_opts as a timeout of ot_receive(), or
 * OT_EINVAL. */
int ot__gs_call_timeout(const ot_gs_call_opts *opts, int *timeout_ms)
{
	int t = opts ? opts->timeout_ms : 0;
	if (t < OT_GS_NOWAIT)
		return OT_EINVAL;
	*timeout_ms = t == 0		  ? OT_GS_DEFAULT_TIMEOUT
		      : t == OT_GS_NOWAIT ? 0
					  : t;
	return 0;
}

int ot_gen_server_call_opts(ot_pid server, const void *req, size_t size,
			    void *reply, size_t cap, size_t *reply_size,
			    const ot_gs_call_opts *opts, ot_reason *reason)
{
	int timeout_ms;
	int rc = ot__gs_call_timeout(opts, &timeout_ms);
	if (rc)
		return rc;
	return ot_gen_server_call(server, req, size, reply, cap, reply_size,
				  timeout_ms, reason);
}

int ot_gen_server_call_msg(ot_pid server, const void *req, size_t size,
			   ot_msg **reply, const ot_gs_call_opts *opts,
			   ot_reason *reason)
{
	if (!reply)
		return OT_EINVAL;
	*reply = NULL;
	int timeout_ms;
	int rc = ot__gs_call_timeout(opts, &timeout_ms);
	if (rc)
		return rc;
	return request(server, TAG_CALL, req, size, timeout_ms, reply, reason);
}

int ot_gen_server_cast(ot_pid server, const void *req, size_t size)
{
	if (ot_pid_is_remote(server))
		return ot__gs_cast_remote_pid(server, req, size);
	return ot_send(server, TAG_CAST, size ? req : NULL, size);
}

int ot_gen_server_reply(ot_gs_from from, const void *reply, size_t size)
{
	if ((size && !reply) || ot_pid_is_none(from.caller) || !from.alias)
		return OT_EINVAL;
	return ot_send_alias(from.caller, from.alias, TAG_REPLY,
			     size ? reply : NULL, size);
}

/*
 * A system request (get_state, replace_state) goes only to a process that
 * runs a gen_server (a supervisor is one): sent to a plain process it would
 * wait out its timeout and stay in that mailbox (Erlang's sys:get_state
 * times out there). Local processes say what they run (ot_set_behaviour);
 * the lookup stops short of the entry function's name, which costs.
 */
static int check_runs_server(ot_pid server)
{
	ot_process_details d;
	int rc = ot_process_details_get(
	    server, &d, offsetof(ot_process_details, entry_name));
	if (rc)
		return rc;
	if (strcmp(d.behaviour, OT__GS_BEHAVIOUR) != 0 &&
	    strcmp(d.behaviour, "supervisor") != 0)
		return OT_ENOTSERVER;
	return 0;
}

int ot_gen_server_get_state(ot_pid server, char *buf, size_t size,
			    int timeout_ms)
{
	if (!buf && size)
		return OT_EINVAL;
	ot_msg *m = NULL;
	int rc = check_runs_server(server);
	if (rc)
		return rc;
	rc = request(server, TAG_GET_STATE, NULL, 0, timeout_ms, &m, NULL);
	if (rc)
		return rc;
	if (size) {
		size_t n = ot_msg_size(m);
		if (n > size)
			n = size;
		if (n) {
			memcpy(buf, ot_msg_data(m), n);
			buf[n - 1] = '\0';
		} else {
			buf[0] = '\0'; /* an empty reply: an empty text */
		}
	}
	ot_msg_free(m);
	return 0;
}

int ot_gen_server_replace_state(ot_pid server, ot_gs_replace_fn fn, void *arg,
				int timeout_ms, ot_reason *reason)
{
	if (!fn)
		return OT_EINVAL;
	struct replace_req rq = {fn, arg};
	ot_msg *m = NULL;
	int rc = check_runs_server(server);
	if (rc)
		return rc;
	rc = request(server, TAG_REPLACE_STATE, &rq, sizeof rq, timeout_ms, &m,
		     reason);
	if (rc)
		return rc;
	struct replace_ack a;
	rc = OT_EINVAL; /* not a server's answer */
	if (ot_msg_size(m) == sizeof a) {
		memcpy(&a, ot_msg_data(m), sizeof a);
		rc = a.status;
		if (rc && reason)
			*reason = a.reason;
	}
	ot_msg_free(m);
	return rc;
}

/* The stop request: the reason, then its payload (the caller may give up
 * waiting and free it before the server has read it). */
static int send_stop(ot_pid server, const ot_reason *why)
{
	if (!why->data_size)
		return ot_send(server, TAG_STOP, why, sizeof *why);
	size_t size;
	if (__builtin_add_overflow(sizeof *why, why->data_size, &size))
		return OT_EINVAL;
	unsigned char *req = malloc(size);
	if (!req)
		return OT_ENOMEM;
	memcpy(req, why, sizeof *why);
	memcpy(req + sizeof *why, why->data, why->data_size);
	return ot_send_owned(server, TAG_STOP, req, size, free);
}

int ot_gen_server_stop(ot_pid server, const ot_reason *reason, int timeout_ms)
{
	if (reason && ot_reason_check(reason) != 0)
		return OT_EINVAL;
	ot_reason why = reason ? *reason : ot_reason_normal();
	/* The DOWN comes after this mark: its wait skips the backlog. */
	ot_mark since;
	int rc = ot_mailbox_mark(&since);
	if (rc)
		return rc;
	ot_ref watch;
	if ((rc = watch_server(server, timeout_ms, 0, &watch)) != 0)
		return rc;
	if ((rc = send_stop(server, &why)) != 0) {
		ot_demonitor(watch, OT_DEMONITOR_FLUSH);
		return rc;
	}
	struct down_match dm = {0, watch, 0};
	ot_msg *m = NULL;
	rc = ot_receive_match_since(since, is_answer, &dm, &m, timeout_ms);
	if (rc) {
		ot_demonitor(watch, OT_DEMONITOR_FLUSH);
		return rc;
	}
	const ot_down_info *d = ot_msg_down(m);
	if (d->reason.kind == OT_REASON_NOPROC)
		rc = OT_ENOPROC;
	else if (!ot_reason_equal(&d->reason, &why))
		rc = OT_ESERVERDIED;
	ot_msg_free(m);
	return rc;
}
