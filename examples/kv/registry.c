/* SPDX-License-Identifier: MIT */
/*
 * registry.c — the registry: a gen_server mapping bucket names to bucket
 * pids, the guide's KV.Registry.
 *
 * CREATE starts a bucket under kv.bucket_sup and monitors it; when a
 * bucket dies, for whatever reason, its DOWN message reaches the registry
 * and the name goes with it, so the registry never hands out a dead
 * bucket for long. (Between a bucket's death and its DOWN, a lookup checks
 * ot_is_alive() and answers "not found" already.)
 *
 * The registry and kv.bucket_sup are siblings under kv.sup, one_for_all:
 * if the registry crashes, the bucket supervisor and all its buckets are
 * stopped and both start again, empty. A new registry never meets buckets
 * it does not know.
 *
 * Names are kept in two libbsd red-black trees over the same entries: by
 * name for lookups, by monitor reference for DOWN messages.
 */
#include "config.h"

#include <bsd/sys/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

struct name {
	RB_ENTRY(name) by_name;
	RB_ENTRY(name) by_ref;
	ot_pid bucket;
	ot_ref ref;	   /* our monitor of bucket */
	struct kv_str arg; /* the bucket's init argument: bytes, len */
	size_t len;
	char bytes[]; /* the name, len bytes */
};

static int name_cmp(const struct name *a, const struct name *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->bytes, b->bytes, n);
	if (c)
		return c;
	return a->len < b->len ? -1 : a->len > b->len;
}

static int ref_cmp(const struct name *a, const struct name *b)
{
	return a->ref.id < b->ref.id ? -1 : a->ref.id > b->ref.id;
}

RB_HEAD(name_tree, name);
RB_GENERATE_INTERNAL(name_tree, name, by_name, name_cmp,
		     static __attribute__((unused)))
RB_HEAD(ref_tree, name);
RB_GENERATE_INTERNAL(ref_tree, name, by_ref, ref_cmp,
		     static __attribute__((unused)))

/* What a call gets back. */
struct rreply {
	int32_t rc; /* 0, OT_ENOTFOUND, or why a bucket could not start */
	ot_pid bucket;
	uint64_t count;
};

struct registry {
	struct name_tree names;
	struct ref_tree refs;
	size_t count;
	struct rreply reply; /* replies point here, not at a local */
};

/* A request: this header, then len bytes of name. */
enum { R_CREATE = 1, R_LOOKUP, R_COUNT, R_CRASH };
struct rreq {
	uint32_t op;
	int32_t fault;
	uint32_t len;
};

/* ---- the server ---------------------------------------------------------- */

static void forget(struct registry *r, struct name *e)
{
	RB_REMOVE(name_tree, &r->names, e);
	RB_REMOVE(ref_tree, &r->refs, e);
	r->count--;
	free(e);
}

static void registry_free(void *arg)
{
	struct registry *r = arg;
	struct name *e, *next;
	RB_FOREACH_SAFE(e, name_tree, &r->names, next)
		forget(r, e);
	free(r);
}

static ot_gs_ret registry_init(void *arg, void **state)
{
	struct registry *r = calloc(1, sizeof(*r));
	if (!r)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "out of memory"));
	RB_INIT(&r->names);
	RB_INIT(&r->refs);
	/* Trap exits: kv.sup's shutdown then runs terminate. */
	ot_trap_exit(true, NULL);
	*state = r;
	return ot_gs_ok();
}

static struct name *find(struct registry *r, const char *name, size_t len)
{
	struct name *e = RB_ROOT(&r->names);
	while (e) {
		size_t n = len < e->len ? len : e->len;
		int c = memcmp(name, e->bytes, n);
		if (!c)
			c = len < e->len ? -1 : len > e->len;
		if (!c)
			return e;
		e = c < 0 ? RB_LEFT(e, by_name) : RB_RIGHT(e, by_name);
	}
	return NULL;
}

/* Starts the bucket called name under kv.bucket_sup and monitors it. */
static int create(struct registry *r, const char *bytes, size_t len,
		  ot_pid *out)
{
	ot_pid sup;
	int rc = ot_whereis(KV_BUCKET_SUP_NAME, &sup);
	if (rc)
		return OT_ENOPROC; /* being restarted: the client retries */
	struct name *e = malloc(sizeof(*e) + len);
	if (!e)
		return OT_ENOMEM;
	/* The bucket reads its name in init only, while start_child waits.
	 * Not from our stack: a waiting process's frames may be saved off
	 * its stack (otter/proc.h, "Stacks"). Temporary: never restarted. */
	e->len = len;
	memcpy(e->bytes, bytes, len);
	e->arg = (struct kv_str){e->bytes, len};
	ot_child_spec spec = {.server = &kv_bucket_callbacks,
			      .arg = &e->arg,
			      .restart = OT_TEMPORARY};
	rc = ot_supervisor_start_child(sup, &spec, &e->bucket, NULL);
	if (rc == 0)
		rc = ot_monitor(e->bucket, &e->ref);
	if (rc) {
		free(e);
		return rc;
	}
	RB_INSERT(name_tree, &r->names, e);
	RB_INSERT(ref_tree, &r->refs, e);
	r->count++;
	*out = e->bucket;
	return 0;
}

static ot_gs_ret registry_call(const void *request, size_t size,
			       ot_gs_from from, void **state)
{
	struct registry *r = *state;
	struct rreq h;
	if (size < sizeof(h))
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	memcpy(&h, request, sizeof(h));
	const char *bytes = (const char *)request + sizeof(h);
	if (h.len != size - sizeof(h))
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	struct name *e = find(r, bytes, h.len);
	/* Dead, but its DOWN is still on the way. */
	if (e && !ot_is_alive(e->bucket)) {
		ot_demonitor(e->ref, OT_DEMONITOR_FLUSH);
		forget(r, e);
		e = NULL;
	}
	r->reply = (struct rreply){0};

	switch (h.op) {
	case R_CREATE:
		if (e)
			r->reply.bucket = e->bucket;
		else
			r->reply.rc = create(r, bytes, h.len, &r->reply.bucket);
		break;
	case R_LOOKUP:
		if (e)
			r->reply.bucket = e->bucket;
		else
			r->reply.rc = OT_ENOTFOUND;
		break;
	case R_COUNT:
		r->reply.count = r->count;
		break;
	case R_CRASH:
		kv_fault_commit(h.fault); /* does not return */
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "unknown fault"));
	default:
		return ot_gs_stop(
		    ot_reason_error(OT_EINVAL, "unknown request"));
	}
	return ot_gs_reply(&r->reply, sizeof(r->reply));
}

/* A bucket went DOWN: forget its name (its tree went with it: release). */
static ot_gs_ret registry_info(const ot_msg *msg, void **state)
{
	struct registry *r = *state;
	const ot_down_info *down = ot_msg_down(msg);
	if (down) {
		struct name key = {.ref = down->ref};
		struct name *e = RB_FIND(ref_tree, &r->refs, &key);
		if (e)
			forget(r, e);
	}
	return ot_gs_noreply();
}

/* terminate, and release when no terminate ran (a stack overflow, a
 * kill): the trees go either way. */
static void registry_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	registry_free(state);
}

static int registry_status(void *state, char *buf, size_t size)
{
	const struct registry *r = state;
	return snprintf(buf, size, "registry: %zu names", r->count);
}

const ot_gen_server_callbacks kv_registry_callbacks = {
    .init = registry_init,
    .handle_call = registry_call,
    .handle_info = registry_info,
    .terminate = registry_terminate,
    .release = registry_terminate,
    .format_status = registry_status,
};

/* ---- the client side ----------------------------------------------------- */

/* How long a client waits for a registry that is being restarted. */
#define RESTART_WAIT_MS 5000

/* Calls the registry, waiting for a new one while it restarts. */
static int request(uint32_t op, struct kv_str name, struct rreply *out)
{
	struct {
		struct rreq h;
		char name[KV_LINE_MAX];
	} rq;
	if (name.n > sizeof(rq.name))
		return OT_EINVAL;
	rq.h = (struct rreq){.op = op, .len = (uint32_t)name.n};
	if (name.n)
		memcpy(rq.name, name.p, name.n);
	int64_t deadline = ot_monotonic_ms() + RESTART_WAIT_MS;
	for (;;) {
		int rc = ot_gen_server_call_name(
		    KV_REGISTRY_NAME, &rq, sizeof(rq.h) + name.n, out,
		    sizeof(*out), NULL, OT_GS_DEFAULT_TIMEOUT, NULL);
		if (rc == 0)
			rc = out->rc;
		/* No registry, it died during the call, or it found no
		 * bucket supervisor: kv.sup is restarting them. */
		bool restarting = rc == OT_ENOPROC || rc == OT_ESERVERDIED;
		if (!restarting || ot_monotonic_ms() > deadline)
			return rc;
		ot_sleep(5);
	}
}

int kv_registry_create(struct kv_str name, ot_pid *bucket)
{
	struct rreply rep;
	int rc = request(R_CREATE, name, &rep);
	if (rc == 0)
		*bucket = rep.bucket;
	return rc;
}

int kv_registry_lookup(struct kv_str name, ot_pid *bucket)
{
	struct rreply rep;
	int rc = request(R_LOOKUP, name, &rep);
	if (rc == 0)
		*bucket = rep.bucket;
	return rc;
}

int kv_registry_count(size_t *n)
{
	struct rreply rep;
	int rc = request(R_COUNT, (struct kv_str){"", 0}, &rep);
	if (rc == 0)
		*n = (size_t)rep.count;
	return rc;
}

int kv_registry_crash(int fault, ot_reason *why)
{
	struct rreq h = {.op = R_CRASH, .fault = fault};
	struct rreply rep;
	int rc = ot_gen_server_call_name(KV_REGISTRY_NAME, &h, sizeof(h), &rep,
					 sizeof(rep), NULL,
					 OT_GS_DEFAULT_TIMEOUT, why);
	return rc == OT_ESERVERDIED ? 0 : rc == 0 ? OT_EINVAL : rc;
}

int kv_bucket_sup_count(size_t *n)
{
	ot_pid sup;
	ot_child_counts c;
	int rc = ot_whereis(KV_BUCKET_SUP_NAME, &sup);
	if (rc == 0)
		rc = ot_supervisor_count_children(sup, &c);
	if (rc == 0)
		*n = c.active;
	return rc;
}
