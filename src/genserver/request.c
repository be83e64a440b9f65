/* SPDX-License-Identifier: MIT */
/*
 * request.c — asynchronous calls (OTP's send_request, wait_response,
 * receive_response, check_response) and collections of them. A request
 * is a call cut in two: client.c sends it and waits for it; here the two
 * halves are handed to the caller, who may hold several at once.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server.h>

#include "protocol.h"

int ot_gen_server_send_request(ot_pid server, const void *req, size_t size,
			       ot_gs_request *out)
{
	if (!out)
		return OT_EINVAL;
	return ot__gs_send_request(server, TAG_CALL, req, size, out);
}

/* Waits for the answer of one of the n requests of items; the answered
 * one leaves items (the last takes its place) and *label gets its label.
 * On a timeout, abandon says whether every request is abandoned. */
static int wait_any(struct ot__gs_reqid *items, size_t *n, int timeout_ms,
		    bool abandon, ot_msg **reply, uint64_t *label,
		    ot_reason *reason)
{
	if (!reply || timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	*reply = NULL;
	if (*n == 0)
		return OT_ENOREQUEST;
	ot_msg *m = NULL;
	size_t which = 0;
	int rc = ot__gs_await(items, *n, &m, &which, timeout_ms);
	if (rc) {
		if (rc == OT_ETIMEDOUT && abandon) {
			for (size_t i = 0; i < *n; i++)
				ot__gs_forget(&items[i].req);
			*n = 0;
		}
		return rc;
	}
	if (label)
		*label = items[which].label;
	rc = ot__gs_outcome(&items[which].req, m, reply, reason);
	items[which] = items[--*n];
	return rc;
}

/* A lone request: a collection of one that it is copied into and back. */
static int wait_one(ot_gs_request *req, int timeout_ms, bool abandon,
		    ot_msg **reply, ot_reason *reason)
{
	if (!req)
		return OT_EINVAL;
	struct ot__gs_reqid one = {.req = *req};
	size_t n = req->alias != 0;
	int rc = wait_any(&one, &n, timeout_ms, abandon, reply, NULL, reason);
	if (n == 0)
		req->alias = 0; /* answered or abandoned */
	return rc;
}

int ot_gen_server_wait_response(ot_gs_request *req, int timeout_ms,
				ot_msg **reply, ot_reason *reason)
{
	return wait_one(req, timeout_ms, false, reply, reason);
}

int ot_gen_server_receive_response(ot_gs_request *req, int timeout_ms,
				   ot_msg **reply, ot_reason *reason)
{
	return wait_one(req, timeout_ms, true, reply, reason);
}

/* msg against the n requests of items: the answered one leaves items. */
static int check_any(const ot_msg *msg, struct ot__gs_reqid *items, size_t *n,
		     uint64_t *label, ot_reason *reason)
{
	if (!msg)
		return OT_EINVAL;
	if (*n == 0)
		return OT_ENOREQUEST;
	size_t which = ot__gs_answers(msg, items, *n);
	if (which == *n)
		return OT_ENOREPLY;
	if (label)
		*label = items[which].label;
	/* The message stays the caller's: no reply out. */
	int rc = ot__gs_outcome(&items[which].req, (ot_msg *)msg, NULL, reason);
	items[which] = items[--*n];
	return rc;
}

int ot_gen_server_check_response(const ot_msg *msg, ot_gs_request *req,
				 ot_reason *reason)
{
	if (!req)
		return OT_EINVAL;
	struct ot__gs_reqid one = {.req = *req};
	size_t n = req->alias != 0;
	int rc = check_any(msg, &one, &n, NULL, reason);
	if (n == 0)
		req->alias = 0;
	return rc;
}

/* ---------------------------------------------------------------------
 * Collections
 */
int ot_gs_reqids_add(ot_gs_reqids *c, ot_gs_request *req, uint64_t label)
{
	if (!c || !req || (c->count && !c->items))
		return OT_EINVAL;
	if (!req->alias)
		return OT_ENOREQUEST;
	for (size_t i = 0; i < c->count; i++)
		if (c->items[i].req.alias == req->alias)
			return OT_EINVAL;
	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap : 4, bytes;
		if (c->cap && __builtin_mul_overflow(c->cap, 2, &cap))
			return OT_ENOMEM;
		if (__builtin_mul_overflow(cap, sizeof *c->items, &bytes))
			return OT_ENOMEM;
		struct ot__gs_reqid *items = realloc(c->items, bytes);
		if (!items)
			return OT_ENOMEM;
		c->items = items;
		c->cap = cap;
	}
	c->items[c->count++] = (struct ot__gs_reqid){*req, label};
	req->alias = 0; /* the collection's now */
	return 0;
}

int ot_gen_server_send_request_add(ot_pid server, const void *req, size_t size,
				   uint64_t label, ot_gs_reqids *c)
{
	if (!c)
		return OT_EINVAL;
	ot_gs_request r;
	int rc = ot_gen_server_send_request(server, req, size, &r);
	if (rc)
		return rc;
	if ((rc = ot_gs_reqids_add(c, &r, label)) != 0)
		ot__gs_forget(&r);
	return rc;
}

size_t ot_gs_reqids_size(const ot_gs_reqids *c)
{
	return c ? c->count : 0;
}

int ot_gs_reqids_to_list(const ot_gs_reqids *c, ot_gs_request *reqs,
			 uint64_t *labels, size_t cap)
{
	if (!c || (cap && ((!reqs && !labels))) || c->count > INT32_MAX)
		return OT_EINVAL;
	for (size_t i = 0; i < c->count && i < cap; i++) {
		if (reqs)
			reqs[i] = c->items[i].req;
		if (labels)
			labels[i] = c->items[i].label;
	}
	return (int)c->count;
}

void ot_gs_reqids_free(ot_gs_reqids *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->count; i++)
		ot__gs_forget(&c->items[i].req);
	free(c->items);
	*c = (ot_gs_reqids)OT_GS_REQIDS_INIT;
}

int ot_gs_reqids_wait_response(ot_gs_reqids *c, int timeout_ms, ot_msg **reply,
			       uint64_t *label, ot_reason *reason)
{
	if (!c)
		return OT_EINVAL;
	return wait_any(c->items, &c->count, timeout_ms, false, reply, label,
			reason);
}

int ot_gs_reqids_receive_response(ot_gs_reqids *c, int timeout_ms,
				  ot_msg **reply, uint64_t *label,
				  ot_reason *reason)
{
	if (!c)
		return OT_EINVAL;
	return wait_any(c->items, &c->count, timeout_ms, true, reply, label,
			reason);
}

int ot_gs_reqids_check_response(const ot_msg *msg, ot_gs_reqids *c,
				uint64_t *label, ot_reason *reason)
{
	if (!c)
		return OT_EINVAL;
	return check_any(msg, c->items, &c->count, label, reason);
}
