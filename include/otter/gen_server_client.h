/* SPDX-License-Identifier: MIT */
/*
 * otter/gen_server_client.h — more ways to call a gen_server: calls with
 * options and calls that hand over a reply of any size, asynchronous
 * requests (OTP's send_request / wait_response / receive_response /
 * check_response and request-id collections), calls by registered name,
 * and multi_call / abcast. Included by otter/gen_server.h.
 *
 * Timeouts of the calls here come in an ot_gs_call_opts whose zero value
 * means the default, OT_GS_DEFAULT_TIMEOUT (5000 ms, as OTP's call/2):
 * "don't wait" and "wait for ever" are said explicitly. The waits on an
 * asynchronous request (wait_response, receive_response) take a plain
 * time in ms as ot_receive() does, 0 meaning "only look", as OTP's
 * wait_response(ReqId, 0).
 */
#ifndef OTTER_GEN_SERVER_CLIENT_H
#define OTTER_GEN_SERVER_CLIENT_H

#include <otter/base.h>
#include <otter/error.h>
#include <otter/proc.h>
#include <otter/reason.h>
#include <otter/gen_server.h>

OT_BEGIN_DECLS

/* Wait for ever (OT_INFINITY). */
#define OT_GS_INFINITY OT_INFINITY
/* Do not wait: the request is sent (the server handles it all the same)
 * and the call returns OT_ETIMEDOUT unless the reply is already in the
 * mailbox, which it practically never is. For a call whose reply does not
 * matter, ot_gen_server_cast() or ot_gen_server_send_request() say so
 * better. */
#define OT_GS_NOWAIT (-2)

/* Call options. The zero value (or NULL) means: wait up to
 * OT_GS_DEFAULT_TIMEOUT ms. */
typedef struct ot_gs_call_opts {
	/* 0: OT_GS_DEFAULT_TIMEOUT; OT_GS_INFINITY: wait for ever;
	 * OT_GS_NOWAIT: do not wait; > 0: that many ms. Anything below
	 * OT_GS_NOWAIT is OT_EINVAL. */
	int timeout_ms;
} ot_gs_call_opts;

/*
 * ot_gen_server_call() with options: the same arguments, errors and
 * guarantees (a late reply is dropped, never left in the mailbox), the
 * timeout taken from opts (NULL: the defaults). Errors: as
 * ot_gen_server_call(), and OT_EINVAL for a bad opts->timeout_ms.
 */
OT_API int ot_gen_server_call_opts(ot_pid server, const void *request,
				   size_t size, void *reply, size_t cap,
				   size_t *reply_size,
				   const ot_gs_call_opts *opts,
				   ot_reason *reason);

/*
 * A call whose reply, of whatever size (0 bytes too), is handed to the
 * caller: on success *reply is the reply message, which the caller reads
 * with ot_msg_data() / ot_msg_size() and frees with ot_msg_free(); on
 * failure *reply is NULL. So no reply is ever lost for want of room
 * (OT_ETOOBIG after the server did the work cannot happen).
 * Errors: as ot_gen_server_call_opts() (never OT_ETOOBIG), OT_EINVAL
 * (reply NULL). From: process or foreign.
 */
OT_API int ot_gen_server_call_msg(ot_pid server, const void *request,
				  size_t size, ot_msg **reply,
				  const ot_gs_call_opts *opts,
				  ot_reason *reason);

/* ---------------------------------------------------------------------
 * By registered name. Each is its pid form applied to the process
 * registered as name now, and returns OT_ENOPROC when no process is
 * (OT_EINVAL for a NULL or empty name, OT_ENAMETOOLONG for a long one);
 * cast_name, like a cast, succeeds when there is none (as OTP's
 * gen_server:cast to a name nobody has).
 */
OT_API int ot_gen_server_call_opts_name(const char *name, const void *request,
					size_t size, void *reply, size_t cap,
					size_t *reply_size,
					const ot_gs_call_opts *opts,
					ot_reason *reason);
OT_API int ot_gen_server_call_msg_name(const char *name, const void *request,
				       size_t size, ot_msg **reply,
				       const ot_gs_call_opts *opts,
				       ot_reason *reason);
OT_API int ot_gen_server_cast_name(const char *name, const void *request,
				   size_t size);
OT_API int ot_gen_server_stop_name(const char *name, const ot_reason *reason,
				   int timeout_ms);
OT_API int ot_gen_server_get_state_name(const char *name, char *buf,
					size_t size, int timeout_ms);
OT_API int ot_gen_server_replace_state_name(const char *name,
					    ot_gs_replace_fn fn, void *arg,
					    int timeout_ms, ot_reason *reason);

/* ---------------------------------------------------------------------
 * Servers of other nodes: {Name, Node}, written "name@node"
 * ("kv_registry@otter@127.0.0.1": a name with a node after its first
 * '@', the node itself "alive@host").
 *
 * gen_server knows nothing of nodes: a library of distribution
 * (libotter-dist: ot_node_start() installs it, ot_node_stop() removes
 * it) installs these functions, and while it is installed
 * ot_gen_server_call_name(), ot_gen_server_call_opts_name() and
 * ot_gen_server_cast_name() hand such a name to them; a name with a node
 * that is this node's, or with no node, or any name when nothing is
 * installed, is a local registered name as before. To a server of
 * another node the request is a term in the external term format (with
 * its version byte; see otter/term.h) and the reply comes back as one,
 * version byte first; a reply larger than cap is OT_ETOOBIG with
 * *reply_size its size, as a local call's. The call monitors {Name,
 * Node}: a server that is not there gives OT_ENOPROC, one that dies during
 * the call OT_ESERVERDIED (*reason is not set by name).
 *
 * The same functions take ot_gen_server_call() and ot_gen_server_cast()
 * to a pid of another node (otter/base.h's OT_PID_REMOTE_BIT): the call
 * monitors the server, so a server that is gone gives OT_ENOPROC and one
 * that dies during the call OT_ESERVERDIED with its reason, as locally.
 * Without them such a pid gets OT_EREMOTE.
 */
typedef struct ot_gs_remote {
	/* gen_server:call({name, node}, Request, timeout_ms): the result of
	 * a call (0, OT_ETIMEDOUT, OT_ETOOBIG, ...). */
	int (*call)(const char *node, const char *name, const void *request,
		    size_t size, void *reply, size_t cap, size_t *reply_size,
		    int timeout_ms);
	/* gen_server:cast({name, node}, Request). */
	int (*cast)(const char *node, const char *name, const void *request,
		    size_t size);
	/* This node's name, to tell {Name, node()} from a remote one. */
	int (*self_node)(char *buf, size_t size);
	/* gen_server:call(Pid, Request, timeout_ms) and gen_server:cast(Pid,
	 * Request) to a remote pid; call's reason as ot_gen_server_call()'s
	 * (may be NULL). */
	int (*call_pid)(ot_pid server, const void *request, size_t size,
			void *reply, size_t cap, size_t *reply_size,
			int timeout_ms, ot_reason *reason);
	int (*cast_pid)(ot_pid server, const void *request, size_t size);
} ot_gs_remote;

/* Installs remote (NULL: none; the struct must outlive its use).
 * Returns 0. From: anywhere. */
OT_API int ot_gen_server_set_remote(const ot_gs_remote *remote);

/* ---------------------------------------------------------------------
 * Asynchronous calls (OTP 23-25's gen_server:send_request and friends).
 *
 * A request is sent now and answered later: its ot_gs_request holds the
 * alias its reply comes through and a monitor of the server, so a server
 * that dies answers it with its DOWN. It is pending until it is answered
 * (a reply or the server's death, taken by wait_response,
 * receive_response or check_response) or abandoned (receive_response
 * that times out); then its alias and monitor are gone and no late reply
 * or DOWN of it is ever left in the mailbox. A pending request holds one
 * of the caller's aliases (any number, as in OTP). Requests belong to the
 * process (or thread) that sent them: only it may wait for them.
 */
typedef struct ot_gs_request {
	ot_pid server;
	uint64_t alias; /* 0: not pending (answered, abandoned, or none) */
	ot_ref monitor;
	/* The caller's mailbox before the request was made: waits for its
	 * answer skip what was queued before (ot_mailbox_mark()). */
	ot_mark since;
} ot_gs_request;

/*
 * Sends request (size bytes) to server as a call and returns at once;
 * *out gets the pending request. Errors: OT_EINVAL (out NULL, request
 * NULL with a size, a size above PTRDIFF_MAX, pid none), OT_EDEADLK (a
 * server calling itself), OT_ENOMEM, OT_ENOTSTARTED. A server that does not
 * exist is no error here, as in OTP: the request is answered by its DOWN
 * (OT_ENOPROC). On error *out is not pending. From: process or foreign; never
 * blocks.
 */
OT_API int ot_gen_server_send_request(ot_pid server, const void *request,
				      size_t size, ot_gs_request *out);
/* The same to the server registered as name: OT_ENOPROC when none is. */
OT_API int ot_gen_server_send_request_name(const char *name,
					   const void *request, size_t size,
					   ot_gs_request *out);

/*
 * Waits up to timeout_ms (0: only look; OT_INFINITY) for the answer of
 * req. A reply: returns 0, *reply (required) gets the reply message
 * (ot_msg_free() it), req is no longer pending. The server died:
 * OT_ESERVERDIED (OT_ENOPROC if it did not exist), *reason (may be NULL)
 * gets why, req is no longer pending. OT_ETIMEDOUT: no answer yet, req is
 * still pending (OTP's wait_response). OT_ENOREQUEST: req is not pending.
 * OT_EINVAL: req or reply NULL, bad timeout. *reply is NULL on error.
 */
OT_API int ot_gen_server_wait_response(ot_gs_request *req, int timeout_ms,
				       ot_msg **reply, ot_reason *reason);

/*
 * ot_gen_server_wait_response(), except that on OT_ETIMEDOUT the request
 * is abandoned (OTP's receive_response): a reply that comes later is
 * dropped, never left in the mailbox. receive_response(req, 0, ...) takes
 * an answer that is already there, else abandons req.
 */
OT_API int ot_gen_server_receive_response(ot_gs_request *req, int timeout_ms,
					  ot_msg **reply, ot_reason *reason);

/*
 * Is msg, a message the caller received itself (ot_receive()), the answer
 * of req? Its reply: returns 0 and req is no longer pending (msg is the
 * reply: read it, then free it as any message). The DOWN of its server:
 * OT_ESERVERDIED or OT_ENOPROC with *reason, and req is no longer pending.
 * Anything else: OT_ENOREPLY (req stays pending; msg is untouched).
 * OT_ENOREQUEST: req is not pending. OT_EINVAL: msg or req NULL.
 * Never blocks (OTP's check_response/2).
 */
OT_API int ot_gen_server_check_response(const ot_msg *msg, ot_gs_request *req,
					ot_reason *reason);

/*
 * A collection of pending requests, each with a label (OTP 25's request-id
 * collections): answers are taken as they come, whichever comes first.
 * A zeroed ot_gs_reqids (OT_GS_REQIDS_INIT) is an empty collection
 * (reqids_new); ot_gs_reqids_free() abandons what it still holds and
 * frees it. Unlike OTP, whose Delete argument may keep an answered id in
 * the collection, a request leaves its collection when it is answered
 * (it could never be answered again) or abandoned.
 */
struct ot__gs_reqid;
typedef struct ot_gs_reqids {
	struct ot__gs_reqid *items;
	size_t count;
	size_t cap;
} ot_gs_reqids;
#define OT_GS_REQIDS_INIT                                                      \
	{                                                                      \
		NULL, 0, 0                                                     \
	}

/* Adds the pending request req with label (reqids_add): the collection
 * owns it from now on, and req is marked not pending. Errors: OT_EINVAL
 * (c or req NULL, a copy of req already in c), OT_ENOREQUEST (req not
 * pending), OT_ENOMEM. */
OT_API int ot_gs_reqids_add(ot_gs_reqids *c, ot_gs_request *req,
			    uint64_t label);

/* send_request/4: sends request to server and adds it to c with label.
 * Errors: as ot_gen_server_send_request() and ot_gs_reqids_add(); on
 * error nothing is pending and c is unchanged. */
OT_API int ot_gen_server_send_request_add(ot_pid server, const void *request,
					  size_t size, uint64_t label,
					  ot_gs_reqids *c);

/* How many requests c holds (reqids_size); 0 for NULL. */
OT_API size_t ot_gs_reqids_size(const ot_gs_reqids *c);

/* The requests of c and their labels, oldest first, up to cap of each
 * (reqs or labels may be NULL); returns how many c holds (reqids_to_list;
 * the copies are for looking at: the requests stay c's). Errors: OT_EINVAL
 * (c NULL, both arrays NULL with a cap). */
OT_API int ot_gs_reqids_to_list(const ot_gs_reqids *c, ot_gs_request *reqs,
				uint64_t *labels, size_t cap);

/* Abandons every request c holds (late replies are dropped) and frees its
 * memory; c is then empty and may be used again. NULL does nothing. */
OT_API void ot_gs_reqids_free(ot_gs_reqids *c);

/*
 * Waits up to timeout_ms, one deadline for all, for the first answer to
 * any request of c (wait_response/3): as ot_gen_server_wait_response(),
 * and *label (may be NULL) gets the answered request's label, which
 * leaves c. OT_ETIMEDOUT: every request stays pending. OT_ENOREQUEST: c is
 * empty (OTP's no_request).
 */
OT_API int ot_gs_reqids_wait_response(ot_gs_reqids *c, int timeout_ms,
				      ot_msg **reply, uint64_t *label,
				      ot_reason *reason);

/* The same, but on OT_ETIMEDOUT every request of c is abandoned and c is
 * empty (receive_response/3). */
OT_API int ot_gs_reqids_receive_response(ot_gs_reqids *c, int timeout_ms,
					 ot_msg **reply, uint64_t *label,
					 ot_reason *reason);

/* ot_gen_server_check_response() against every request of c
 * (check_response/3): *label gets the label of the one msg answers, which
 * leaves c. OT_ENOREPLY: msg answers none; OT_ENOREQUEST: c is empty. */
OT_API int ot_gs_reqids_check_response(const ot_msg *msg, ot_gs_reqids *c,
				       uint64_t *label, ot_reason *reason);

/* ---------------------------------------------------------------------
 * multi_call and abcast: a call or a cast to the server registered as
 * name on each of a set of nodes. otter has one node today, this one, so
 * they reach the one local server of that name; the node fields are
 * there so that the distributed form fits the same calls later.
 */
typedef struct ot_gs_multi_opts {
	/* 0: OT_GS_INFINITY, as OTP's multi_call/2,3 (the default there);
	 * OT_GS_NOWAIT, > 0 ms as in ot_gs_call_opts. */
	int timeout_ms;
	/* The nodes to call: NULL (and 0) for every known node, which is
	 * this node alone today. Reserved: any other value is OT_EINVAL
	 * until otter has distribution. */
	const char *const *nodes;
	size_t node_count;
} ot_gs_multi_opts;

/* What one node answered. */
typedef struct ot_gs_multi_result {
	/* The node: NULL for this node (the only one today). */
	const char *node;
	/* 0: it replied, *reply is the reply (ot_msg_free() it). Otherwise
	 * the node is one of OTP's BadNodes: OT_ENOPROC (no server of that
	 * name there), OT_ESERVERDIED (it died during the call: reason
	 * says why), OT_ETIMEDOUT; reply is NULL then. */
	int status;
	ot_msg *reply;
	ot_reason reason;
} ot_gs_multi_result;

/*
 * Calls the server registered as name on each node of opts (NULL: the
 * defaults) with request, all at once, and waits up to the timeout for
 * them all; results[0..cap) get what each node answered. Returns the
 * number of nodes called (1 today), which may exceed cap: results past
 * cap are dropped, their replies freed. Errors (nothing is called):
 * OT_EINVAL (name NULL or empty, results NULL with a cap, request NULL
 * with a size, a size above PTRDIFF_MAX, bad opts), OT_ENAMETOOLONG,
 * OT_ENOTSTARTED. From: process or foreign (not a server multi-calling
 * itself: its own entry is OT_EDEADLK).
 */
OT_API int ot_gen_server_multi_call(const char *name, const void *request,
				    size_t size, const ot_gs_multi_opts *opts,
				    ot_gs_multi_result *results, size_t cap);

/*
 * Casts request to the server registered as name on every known node
 * (this node alone today): fire and forget, no error when none is
 * registered, as OTP's abcast. Errors: OT_EINVAL (name NULL or empty,
 * request NULL with a size, size above PTRDIFF_MAX), OT_ENAMETOOLONG,
 * OT_ENOMEM, OT_ENOTSTARTED. Never blocks.
 */
OT_API int ot_gen_server_abcast(const char *name, const void *request,
				size_t size);

OT_END_DECLS

#endif /* OTTER_GEN_SERVER_CLIENT_H */
