/* SPDX-License-Identifier: MIT */
/*
 * erlang.c — kv-server --node: the KV service as a node of an Erlang
 * cluster, the Mix/OTP guide's distributed chapter from an Erlang shell:
 *
 *   {ok, B} = gen_server:call({kv_registry, 'otter@127.0.0.1'},
 *                             {create, <<"shopping">>}),
 *   ok = gen_server:call(B, {put, <<"milk">>, <<"3">>}),
 *   {ok, <<"3">>} = gen_server:call(B, {get, <<"milk">>}).
 *
 * The registry (to Erlang, `kv_registry`):
 *   {create, Name}  -> {ok, Bucket}      (started if there is none)
 *   {lookup, Name}  -> {ok, Bucket} | error
 *   count           -> N
 *   {crash, Fault}  -> {crashed, Reason} (with --allow-crash; Fault: segv,
 *                      fpe, abort, overflow; kv.sup restarts it, empty)
 * A bucket (the pid that create and lookup give):
 *   {put, Key, Value} -> ok;  {get, Key} -> {ok, Value} | error;
 *   {delete, Key} -> ok;  count -> N;
 *   {crash, Fault} -> no reply: the bucket dies of it (with
 *                     --allow-crash), the registry forgets it
 * Anything else: {error, unknown_request}; a crash without --allow-crash:
 * {error, crash_not_allowed}. Names, keys and values are binaries.
 *
 * The gateway is a gen_server registered as kv_registry (the Erlang
 * name; the KV registry itself is kv.registry, which an atom could name
 * but the guide does not) that starts the node in its init and stops it
 * in its terminate, so that the node lives and dies with the tree. It
 * turns Erlang's calls into the KV client calls. A bucket answers
 * Erlang itself, through kv_bucket_hook: Erlang gets the bucket's own pid.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <otter/dist.h>

#include "kv.h"

/* Sends the term b holds to the caller from, and frees b. */
static void answer(const ot_dist_from *from, ot_term_buf *b)
{
	const void *t;
	size_t n;
	if (ot_term_buf_get(b, &t, &n) == 0)
		ot_dist_reply(from, t, n);
	else
		ot_log(OT_LOG_WARNING, "kv: could not build a reply to Erlang");
	ot_term_buf_free(b);
}

static void error_reply(ot_term_buf *b, const char *why)
{
	ot_term_tuple(b, 2);
	ot_term_atom(b, "error");
	ot_term_atom(b, why);
}

/* {crash, Fault} (else -1): the fault's number, or -1 with why not. */
static int crash_fault(const void *req, size_t n, const char **why)
{
	char atom[OT_TERM_ATOM_MAX];
	*why = "unknown_request";
	if (ot_term_match(req, n, "{crash, %a}", atom))
		return -1;
	*why = "crash_not_allowed";
	if (!kv_crash_allowed())
		return -1;
	*why = "unknown_fault";
	return kv_fault_parse((struct kv_str){atom, strlen(atom)});
}

/* A call's request: the bytes after ot_dist_call_parse()'s offset. */
static bool parse_call(const ot_msg *msg, ot_dist_from *from, const void **req,
		       size_t *n)
{
	size_t at;
	if (ot_msg_tag(msg) != OT_DIST_TAG ||
	    ot_dist_call_parse(ot_msg_data(msg), ot_msg_size(msg), from, &at))
		return false;
	*req = (const char *)ot_msg_data(msg) + at;
	*n = ot_msg_size(msg) - at;
	return true;
}

/* ---- a bucket, called from Erlang (kv_bucket_hook) ----------------------- */

static void bucket_request(const ot_msg *msg, void *bucket)
{
	ot_dist_from from;
	const void *req, *k, *v;
	size_t n, kn, vn;
	if (!parse_call(msg, &from, &req, &n))
		return;
	struct kv_str out;
	const char *why;
	int fault = crash_fault(req, n, &why);
	if (fault >= 0) /* does not return: before anything is allocated */
		kv_bucket_run(bucket, KV_BUCKET_CRASH, fault,
			      (struct kv_str){0}, (struct kv_str){0}, &out);
	ot_term_buf b;
	if (ot_term_buf_init(&b))
		return;
	int rc = 0;
	if (ot_term_match(req, n, "{get, %b}", &k, &kn) == 0) {
		rc = kv_bucket_run(bucket, KV_BUCKET_GET, 0,
				   (struct kv_str){k, kn}, (struct kv_str){0},
				   &out);
		if (out.p) {
			ot_term_tuple(&b, 2);
			ot_term_atom(&b, "ok");
			ot_term_binary(&b, out.p, out.n);
		} else
			ot_term_atom(&b, "error");
	} else if (ot_term_match(req, n, "{put, %b, %b}", &k, &kn, &v, &vn) ==
		   0) {
		rc = kv_bucket_run(bucket, KV_BUCKET_PUT, 0,
				   (struct kv_str){k, kn},
				   (struct kv_str){v, vn}, &out);
		ot_term_atom(&b, "ok");
	} else if (ot_term_match(req, n, "{delete, %b}", &k, &kn) == 0) {
		rc = kv_bucket_run(bucket, KV_BUCKET_DELETE, 0,
				   (struct kv_str){k, kn}, (struct kv_str){0},
				   &out);
		ot_term_atom(&b, "ok");
	} else if (ot_term_match(req, n, "count") == 0) {
		size_t count;
		kv_bucket_run(bucket, KV_BUCKET_COUNT, 0, (struct kv_str){0},
			      (struct kv_str){0}, &out);
		memcpy(&count, out.p, sizeof(count));
		ot_term_int(&b, (int64_t)count);
	} else
		error_reply(&b, why);
	if (rc) { /* out of memory: the answer says so */
		ot_term_buf_reset(&b);
		error_reply(&b, "enomem");
	}
	answer(&from, &b);
}

/* ---- the registry, called from Erlang (the gateway) ---------------------- */

/* {ok, Bucket}, or error, or {error, Why}. */
static void bucket_reply(ot_term_buf *b, int rc, ot_pid bucket)
{
	if (rc == 0) {
		ot_term_tuple(b, 2);
		ot_term_atom(b, "ok");
		ot_term_local_pid(b, bucket);
	} else if (rc == OT_ENOTFOUND)
		ot_term_atom(b, "error");
	else
		error_reply(b, ot_err_name(rc));
}

static void registry_request(const ot_dist_from *from, const void *req,
			     size_t n)
{
	ot_term_buf b;
	if (ot_term_buf_init(&b))
		return;
	const void *name;
	size_t len;
	ot_pid bucket = OT_PID_NONE;
	if (ot_term_match(req, n, "{create, %b}", &name, &len) == 0) {
		int rc =
		    kv_registry_create((struct kv_str){name, len}, &bucket);
		bucket_reply(&b, rc, bucket);
	} else if (ot_term_match(req, n, "{lookup, %b}", &name, &len) == 0) {
		int rc =
		    kv_registry_lookup((struct kv_str){name, len}, &bucket);
		bucket_reply(&b, rc, bucket);
	} else if (ot_term_match(req, n, "count") == 0) {
		size_t count = 0;
		int rc = kv_registry_count(&count);
		if (rc)
			error_reply(&b, ot_err_name(rc));
		else
			ot_term_int(&b, (int64_t)count);
	} else {
		const char *why_not;
		int fault = crash_fault(req, n, &why_not);
		ot_reason why;
		char text[OT_REASON_STRLEN];
		if (fault < 0)
			error_reply(&b, why_not);
		else if (kv_registry_crash(fault, &why) == 0) {
			ot_reason_format(&why, text, sizeof(text));
			ot_term_tuple(&b, 2);
			ot_term_atom(&b, "crashed");
			ot_term_binary(&b, text, strlen(text));
		} else
			error_reply(&b, "did_not_crash");
	}
	answer(from, &b);
}

static ot_gs_ret gateway_init(void *arg, void **state)
{
	const struct kv_erlang_opts *o = arg;
	int rc = ot_node_start(o->node, o->cookie, NULL);
	/* A gateway killed before its terminate ran left the node up (its
	 * stop waits, which release may not): the new one serves it. */
	if (rc == OT_EALREADY)
		rc = 0;
	if (rc)
		return ot_gs_stop(
		    ot_reason_error(rc, "kv: the Erlang node did not start"));
	/* Trap exits: the tree's shutdown runs terminate, which stops the
	 * node before the runtime goes. */
	ot_trap_exit(true, NULL);
	return ot_gs_ok();
}

static ot_gs_ret gateway_info(const ot_msg *msg, void **state)
{
	ot_dist_from from;
	const void *req;
	size_t n;
	if (parse_call(msg, &from, &req, &n))
		registry_request(&from, req, n);
	return ot_gs_noreply();
}

static void gateway_terminate(const ot_reason *reason, void *state)
{
	ot_node_stop();
}

static const ot_gen_server_callbacks gateway = {
    .init = gateway_init,
    .handle_info = gateway_info,
    .terminate = gateway_terminate,
};

/* The registry's client calls build their request on the caller's stack
 * (kv.h): the gateway has a connection's stack. */
static int gateway_start(void *arg, const void *extra, size_t extra_size,
			 ot_pid *out, ot_reason *why)
{
	ot_gen_server_opts so = {.name = KV_ERLANG_NAME,
				 .stack_size = KV_CONN_STACK};
	return ot_gen_server_start_link(&gateway, arg, &so, out, why);
}

static struct kv_erlang_opts node_opts;

static ot_child_spec top_children[] = {
    {.id = "kv", .name = KV_ROOT_NAME, .type = OT_SUPERVISOR},
    {.id = "erlang", .start = gateway_start, .arg = &node_opts},
};

static const ot_sup_spec top = {
    .flags = {.strategy = OT_ONE_FOR_ONE, .intensity = 10, .period_ms = 5000},
    .children = top_children,
    .nchildren = 2,
};

const ot_sup_spec *kv_erlang_spec(const struct kv_erlang_opts *opts)
{
	node_opts = *opts;
	top_children[0].sup = kv_root_spec();
	kv_bucket_hook = bucket_request;
	return &top;
}
