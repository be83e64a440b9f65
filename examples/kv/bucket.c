/* SPDX-License-Identifier: MIT */
/*
 * bucket.c — a bucket: a gen_server holding key -> value pairs, the
 * guide's KV.Bucket (an Agent there).
 *
 * The pairs live in a red-black tree from libbsd, ordered by key bytes.
 * The server is the only one to touch its tree, so nothing locks: clients
 * call it, and calls to one server run one at a time.
 *
 * Buckets are started by the registry, under kv.bucket_sup, as temporary
 * children: a bucket that crashes is not restarted, and the registry, which
 * monitors it, forgets its name. A bucket traps exits, so that its
 * supervisor's shutdown runs terminate, which frees the tree; after a stack
 * overflow or a kill (no terminate) the runtime calls release, which frees
 * it too.
 */
#include "config.h"

#include <bsd/sys/tree.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv.h"

struct entry {
	RB_ENTRY(entry) node;
	size_t klen, vlen;
	char bytes[]; /* the key, then the value */
};

static int entry_cmp(const struct entry *a, const struct entry *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->bytes, b->bytes, n);
	if (c)
		return c;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

RB_HEAD(entry_tree, entry);
RB_GENERATE_INTERNAL(entry_tree, entry, node, entry_cmp,
		     static __attribute__((unused)))

/* The server's state. */
struct bucket {
	struct entry_tree entries;
	size_t count;  /* entries in the tree */
	size_t bytes;  /* their keys and values */
	char name[48]; /* for reports; a longer name is cut */
};

/* A request: this header (op: a KV_BUCKET_ op), then klen bytes of key,
 * then vlen of value. */
struct breq {
	uint32_t op;
	int32_t fault;
	uint32_t klen, vlen;
};

/* A request as the client builds it, on its own stack. */
struct breq_buf {
	struct breq h;
	char data[KV_LINE_MAX];
};

/* ---- the server ---------------------------------------------------------- */

static void bucket_free(void *arg)
{
	struct bucket *b = arg;
	struct entry *e, *next;
	RB_FOREACH_SAFE(e, entry_tree, &b->entries, next) {
		RB_REMOVE(entry_tree, &b->entries, e);
		free(e);
	}
	free(b);
}

/* arg: the bucket's name, a struct kv_str (the registry's, only during
 * init). */
static ot_gs_ret bucket_init(void *arg, void **state)
{
	const struct kv_str *name = arg;
	struct bucket *b = calloc(1, sizeof(*b));
	if (!b)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "out of memory"));
	RB_INIT(&b->entries);
	size_t n = name->n < sizeof(b->name) ? name->n : sizeof(b->name) - 1;
	memcpy(b->name, name->p, n);
	/* What an observer shows next to its pid (otterctl tree, ps). */
	char label[OT_LABEL_MAX + 1];
	snprintf(label, sizeof label, "bucket %s", b->name);
	ot_set_label(label);
	/* Trap exits: the supervisor's shutdown then runs terminate. */
	ot_trap_exit(true, NULL);
	*state = b;
	return ot_gs_ok();
}

static struct entry *find(struct bucket *b, const char *key, size_t klen)
{
	/* RB_FIND wants an entry to compare with: a header on the stack
	 * pointing at the key would need the key inline, so search by hand. */
	struct entry *e = RB_ROOT(&b->entries);
	while (e) {
		size_t n = klen < e->klen ? klen : e->klen;
		int c = memcmp(key, e->bytes, n);
		if (!c)
			c = klen < e->klen ? -1 : klen > e->klen;
		if (!c)
			return e;
		e = c < 0 ? RB_LEFT(e, node) : RB_RIGHT(e, node);
	}
	return NULL;
}

static void remove_entry(struct bucket *b, struct entry *e)
{
	RB_REMOVE(entry_tree, &b->entries, e);
	b->count--;
	b->bytes -= e->klen + e->vlen;
	free(e);
}

int kv_bucket_run(void *state, int op, int fault, struct kv_str key,
		  struct kv_str value, struct kv_str *out)
{
	struct bucket *b = state;
	/* No bytes may come as NULL: memcmp and memcpy want a pointer. */
	if (!key.p)
		key.p = "";
	if (!value.p)
		value.p = "";
	struct entry *e = find(b, key.p, key.n);
	*out = (struct kv_str){NULL, 0};
	switch (op) {
	case KV_BUCKET_PUT: {
		struct entry *n = malloc(sizeof(*n) + key.n + value.n);
		if (!n)
			return OT_ENOMEM;
		n->klen = key.n;
		n->vlen = value.n;
		memcpy(n->bytes, key.p, key.n);
		memcpy(n->bytes + key.n, value.p, value.n);
		if (e)
			remove_entry(b, e);
		RB_INSERT(entry_tree, &b->entries, n);
		b->count++;
		b->bytes += n->klen + n->vlen;
		return 0;
	}
	case KV_BUCKET_GET:
		if (e)
			*out = (struct kv_str){e->bytes + e->klen, e->vlen};
		return 0;
	case KV_BUCKET_DELETE:
		if (e)
			remove_entry(b, e);
		return 0;
	case KV_BUCKET_COUNT:
		*out =
		    (struct kv_str){(const char *)&b->count, sizeof(b->count)};
		return 0;
	case KV_BUCKET_CRASH:
		kv_fault_commit(fault); /* does not return */
		return OT_EINVAL;
	}
	return OT_EINVAL;
}

static ot_gs_ret bucket_call(const void *request, size_t size, ot_gs_from from,
			     void **state)
{
	struct breq h;
	if (size < sizeof(h))
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	memcpy(&h, request, sizeof(h));
	const char *key = (const char *)request + sizeof(h);
	if ((size_t)h.klen + h.vlen != size - sizeof(h))
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	struct kv_str out;
	int rc = kv_bucket_run(*state, (int)h.op, h.fault,
			       (struct kv_str){key, h.klen},
			       (struct kv_str){key + h.klen, h.vlen}, &out);
	if (rc == OT_ENOMEM) /* the caller learns it from the exit reason */
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "out of memory"));
	if (rc)
		return ot_gs_stop(ot_reason_error(
		    OT_EINVAL, h.op == KV_BUCKET_CRASH ? "unknown fault"
						       : "unknown request"));
	/* The reply is copied when the callback returns: pointing into the
	 * tree is fine. */
	return ot_gs_reply(out.p, out.n);
}

kv_bucket_hook_fn *kv_bucket_hook;

/* Messages that are not calls: handed to kv_bucket_hook (kv-server
 * --node sets it to answer calls from Erlang). */
static ot_gs_ret bucket_info(const ot_msg *msg, void **state)
{
	if (kv_bucket_hook)
		kv_bucket_hook(msg, *state);
	return ot_gs_noreply();
}

/* terminate, and release when no terminate ran: the tree goes either way. */
static void bucket_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	bucket_free(state);
}

static int bucket_status(void *state, char *buf, size_t size)
{
	const struct bucket *b = state;
	return snprintf(buf, size, "bucket \"%s\": %zu keys, %zu bytes",
			b->name, b->count, b->bytes);
}

const ot_gen_server_callbacks kv_bucket_callbacks = {
    .init = bucket_init,
    .handle_call = bucket_call,
    .handle_info = bucket_info,
    .terminate = bucket_terminate,
    .release = bucket_terminate,
    .format_status = bucket_status,
};

/* ---- the client side ----------------------------------------------------- */

/* Sends a request and waits for the reply (into reply, cap bytes). */
static int bucket_request(ot_pid bucket, struct breq_buf *rq, void *reply,
			  size_t cap, size_t *reply_size, ot_reason *why)
{
	size_t size = sizeof(rq->h) + rq->h.klen + rq->h.vlen;
	return ot_gen_server_call(bucket, rq, size, reply, cap, reply_size,
				  OT_GS_DEFAULT_TIMEOUT, why);
}

/* Fills rq with op, key and value; false when they do not fit. */
static bool build(struct breq_buf *rq, uint32_t op, struct kv_str key,
		  struct kv_str value)
{
	if (key.n + value.n > sizeof(rq->data))
		return false;
	rq->h = (struct breq){
	    .op = op, .klen = (uint32_t)key.n, .vlen = (uint32_t)value.n};
	if (key.n)
		memcpy(rq->data, key.p, key.n);
	if (value.n)
		memcpy(rq->data + key.n, value.p, value.n);
	return true;
}

static const struct kv_str nothing = {"", 0};

int kv_bucket_put(ot_pid bucket, struct kv_str key, struct kv_str value)
{
	struct breq_buf rq;
	if (!build(&rq, KV_BUCKET_PUT, key, value))
		return OT_EINVAL;
	return bucket_request(bucket, &rq, NULL, 0, NULL, NULL);
}

int kv_bucket_delete(ot_pid bucket, struct kv_str key)
{
	struct breq_buf rq;
	if (!build(&rq, KV_BUCKET_DELETE, key, nothing))
		return OT_EINVAL;
	return bucket_request(bucket, &rq, NULL, 0, NULL, NULL);
}

int kv_bucket_get(ot_pid bucket, struct kv_str key, char *buf, size_t cap,
		  size_t *len)
{
	struct breq_buf rq;
	*len = 0;
	if (!build(&rq, KV_BUCKET_GET, key, nothing))
		return OT_EINVAL;
	return bucket_request(bucket, &rq, buf, cap, len, NULL);
}

int kv_bucket_count(ot_pid bucket, size_t *n)
{
	struct breq_buf rq;
	build(&rq, KV_BUCKET_COUNT, nothing, nothing);
	return bucket_request(bucket, &rq, n, sizeof(*n), NULL, NULL);
}

int kv_bucket_crash(ot_pid bucket, int fault, ot_reason *why)
{
	struct breq_buf rq;
	build(&rq, KV_BUCKET_CRASH, nothing, nothing);
	rq.h.fault = fault;
	int rc = bucket_request(bucket, &rq, NULL, 0, NULL, why);
	return rc == OT_ESERVERDIED ? 0 : rc == 0 ? OT_EINVAL : rc;
}
