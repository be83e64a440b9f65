/* SPDX-License-Identifier: MIT */
/*
 * client.c — the supervisor's API: starting one (from a spec or an init
 * callback), and every other function as one call to the supervisor
 * process, whose answer (protocol.h) says what happened.
 *
 * A supervisor is named by its pid; ot_supervisor_named() turns a
 * registered name into that pid, or into OT_PID_NONE, which every call
 * answers with OT_ENOPROC as OTP's calls to a name nobody has exit with
 * noproc.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "sup.h"

/* ---------------------------------------------------------------------
 * Starting
 */

/* Starts the supervisor process with the start record a (the caller's:
 * it is read before this returns). */
static int start(struct start_arg *a, const char *name, ot_pid *out,
		 ot_reason *reason)
{
	snprintf(a->name, sizeof a->name, "%s", name ? name : "");
	/* As OTP: a supervisor takes the time its children take. */
	ot_gen_server_opts opts = {.name = name,
				   .start_timeout_ms = OT_INFINITY};
	return ot_gen_server_start_link(&ot__sup_callbacks, a, &opts, out,
					reason);
}

int ot_supervisor_start_link(const ot_sup_spec *spec, const char *name,
			     ot_pid *out, ot_reason *reason)
{
	if (!spec)
		return OT_EINVAL;
	ot_sup_flags flags;
	ot_reason why;
	int rc = ot__sup_check_spec(spec, &flags, &why);
	if (rc) {
		if (reason)
			*reason = why;
		return rc;
	}
	if (name && strlen(name) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	size_t n = spec->nchildren;
	if (n > (SIZE_MAX - sizeof(struct start_arg)) / sizeof(ot_child_spec))
		return OT_EINVAL;
	struct start_arg *a = malloc(sizeof *a + n * sizeof(ot_child_spec));
	if (!a)
		return OT_ENOMEM;
	memset(a, 0, sizeof *a);
	a->flags = flags;
	if (n)
		memcpy(a->children, spec->children, n * sizeof(ot_child_spec));
	a->spec = (ot_sup_spec){
	    .flags = spec->flags, .children = a->children, .nchildren = n};
	rc = start(a, name, out, reason);
	free(a);
	return rc;
}

int ot_supervisor_start_link_init(ot_sup_init_fn init, void *arg,
				  const char *name, ot_pid *out,
				  ot_reason *reason)
{
	if (!init)
		return OT_EINVAL;
	if (name && strlen(name) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	struct start_arg *a = calloc(1, sizeof *a);
	if (!a)
		return OT_ENOMEM;
	a->init = init;
	a->init_arg = arg;
	ot_reason why;
	int rc = start(a, name, out, &why);
	free(a);
	/* A spec the callback made that is not valid: as start_link says
	 * of a spec it is given. */
	if (rc == OT_EINITSTOP && why.kind == OT_REASON_ERROR &&
	    why.code == OT_EBADSPEC)
		rc = OT_EBADSPEC;
	if ((rc == OT_EINITSTOP || rc == OT_EBADSPEC) && reason)
		*reason = why;
	return rc;
}

int ot_supervisor_stop(ot_pid sup, int timeout_ms)
{
	if (ot_pid_is_none(sup))
		return OT_ENOPROC;
	return ot_gen_server_stop(sup, NULL, timeout_ms);
}

ot_pid ot_supervisor_named(const char *name)
{
	ot_pid pid = OT_PID_NONE;
	if (name && name[0] && strnlen(name, OT_NAME_MAX + 1) <= OT_NAME_MAX &&
	    ot_whereis(name, &pid) != 0)
		pid = OT_PID_NONE;
	return pid;
}

/* ---------------------------------------------------------------------
 * Calls
 */

/* One call: the reply's rc, or the call's own error. */
static int call(ot_pid sup, struct req *rq, size_t rq_size, struct rep *rp,
		size_t rp_size)
{
	if (ot_pid_is_none(sup))
		return OT_ENOPROC; /* a name nobody has (ot_supervisor_named) */
	rq->magic = SUP_MAGIC;
	size_t got = 0;
	ot_reason why;
	int rc = ot_gen_server_call(sup, rq, rq_size, rp, rp_size, &got,
				    OT_INFINITY, &why);
	if (rc)
		return rc;
	if (got < sizeof *rp || rp->magic != SUP_MAGIC)
		return OT_EINVAL; /* not a supervisor */
	return rp->rc;
}

static int call_simple(ot_pid sup, struct req *rq, struct rep *rp)
{
	return call(sup, rq, sizeof *rq, rp, sizeof *rp);
}

static int set_id(struct req *rq, const char *id)
{
	if (!id)
		return OT_EINVAL;
	if (strnlen(id, OT_NAME_MAX + 1) > OT_NAME_MAX)
		return OT_ENOTFOUND; /* no child can have it */
	strcpy(rq->id, id);
	return 0;
}

/* What a start returns: the pid (of the child, or of the process that
 * holds its name), what the start gave, or the reason it failed. */
static int started(int rc, const struct rep *rp, ot_pid *out,
		   ot_start_info *info, ot_reason *reason)
{
	if ((rc == 0 || rc == OT_EALREADY) && out)
		*out = rp->pid;
	if (info) {
		info->size = rc == 0 ? rp->info.size : 0;
		if (info->size)
			memcpy(info->data, rp->info.data, info->size);
	}
	if ((rc == OT_ECHILDSTART || rc == OT_EBADSPEC) && reason)
		*reason = rp->reason;
	return rc;
}

int ot_supervisor_start_child_info(ot_pid sup, const ot_child_spec *spec,
				   ot_pid *out, ot_start_info *info,
				   ot_reason *reason)
{
	if (!spec)
		return OT_EINVAL;
	struct req rq = {.op = OP_START_CHILD, .spec = *spec};
	struct rep rp;
	return started(call_simple(sup, &rq, &rp), &rp, out, info, reason);
}

int ot_supervisor_start_child(ot_pid sup, const ot_child_spec *spec,
			      ot_pid *out, ot_reason *reason)
{
	return ot_supervisor_start_child_info(sup, spec, out, NULL, reason);
}

int ot_supervisor_start_child_extra_info(ot_pid sup, const void *extra,
					 size_t size, ot_pid *out,
					 ot_start_info *info, ot_reason *reason)
{
	/* A size no buffer can have: the request's length would wrap. */
	if ((size && !extra) || size > (size_t)PTRDIFF_MAX - sizeof(struct req))
		return OT_EINVAL;
	struct req *rq = calloc(1, sizeof *rq + size);
	if (!rq)
		return OT_ENOMEM;
	rq->op = OP_START_EXTRA;
	rq->extra_size = size;
	if (size)
		memcpy(rq->extra, extra, size);
	struct rep rp;
	int rc = call(sup, rq, sizeof *rq + size, &rp, sizeof rp);
	free(rq);
	return started(rc, &rp, out, info, reason);
}

int ot_supervisor_start_child_extra(ot_pid sup, const void *extra, size_t size,
				    ot_pid *out, ot_reason *reason)
{
	return ot_supervisor_start_child_extra_info(sup, extra, size, out, NULL,
						    reason);
}

static int by_id(ot_pid sup, enum sup_op op, const char *id, struct rep *rp)
{
	struct req rq = {.op = op};
	int rc = set_id(&rq, id);
	return rc ? rc : call_simple(sup, &rq, rp);
}

static int by_pid(ot_pid sup, enum sup_op op, ot_pid child, struct rep *rp)
{
	if (ot_pid_is_none(child))
		return OT_EINVAL;
	struct req rq = {.op = op, .pid = child};
	return call_simple(sup, &rq, rp);
}

int ot_supervisor_terminate_child(ot_pid sup, const char *id)
{
	struct rep rp;
	return by_id(sup, OP_TERMINATE, id, &rp);
}

int ot_supervisor_terminate_child_pid(ot_pid sup, ot_pid child)
{
	struct rep rp;
	return by_pid(sup, OP_TERMINATE_PID, child, &rp);
}

int ot_supervisor_restart_child_info(ot_pid sup, const char *id, ot_pid *out,
				     ot_start_info *info, ot_reason *reason)
{
	struct rep rp;
	return started(by_id(sup, OP_RESTART, id, &rp), &rp, out, info, reason);
}

int ot_supervisor_restart_child(ot_pid sup, const char *id, ot_pid *out,
				ot_reason *reason)
{
	return ot_supervisor_restart_child_info(sup, id, out, NULL, reason);
}

int ot_supervisor_delete_child(ot_pid sup, const char *id)
{
	struct rep rp;
	return by_id(sup, OP_DELETE, id, &rp);
}

int ot_supervisor_which_children(ot_pid sup, ot_child_info *out, size_t cap,
				 size_t *total)
{
	if (cap && !out)
		return OT_EINVAL;
	/* Ask for a modest number first; more only if there are more and
	 * the caller has room, so a large cap costs nothing up front. */
	size_t want = cap < 256 ? cap : 256;
	for (;;) {
		if (want >
		    (SIZE_MAX - sizeof(struct rep)) / sizeof(ot_child_info))
			want = (SIZE_MAX - sizeof(struct rep)) /
			       sizeof(ot_child_info);
		size_t size = sizeof(struct rep) + want * sizeof(ot_child_info);
		struct rep *rp = malloc(size);
		if (!rp)
			return OT_ENOMEM;
		struct req rq = {.op = OP_WHICH, .cap = want};
		int rc = call(sup, &rq, sizeof rq, rp, size);
		if (rc == 0 && rp->n == want && rp->total > want &&
		    want < cap) {
			want = rp->total < cap ? rp->total : cap;
			free(rp);
			continue;
		}
		if (rc == 0) {
			if (rp->n) /* (out may be NULL with cap 0) */
				memcpy(out, rp->list, rp->n * sizeof *out);
			if (total)
				*total = rp->total;
			rc = rp->n > INT32_MAX ? INT32_MAX : (int)rp->n;
		}
		free(rp);
		return rc;
	}
}

int ot_supervisor_which_child(ot_pid sup, const char *id, ot_child_info *out)
{
	if (!out)
		return OT_EINVAL;
	struct rep rp;
	int rc = by_id(sup, OP_WHICH_CHILD, id, &rp);
	if (rc == 0)
		*out = rp.child;
	return rc;
}

int ot_supervisor_which_child_pid(ot_pid sup, ot_pid child, ot_child_info *out)
{
	if (!out)
		return OT_EINVAL;
	struct rep rp;
	int rc = by_pid(sup, OP_WHICH_CHILD_PID, child, &rp);
	if (rc == 0)
		*out = rp.child;
	return rc;
}

int ot_supervisor_count_children(ot_pid sup, ot_child_counts *out)
{
	if (!out)
		return OT_EINVAL;
	struct req rq = {.op = OP_COUNT};
	struct rep rp;
	int rc = call_simple(sup, &rq, &rp);
	if (rc == 0)
		*out = rp.counts;
	return rc;
}

int ot_supervisor_get_childspec(ot_pid sup, const char *id, ot_child_spec *out)
{
	if (!out)
		return OT_EINVAL;
	struct rep rp;
	int rc = by_id(sup, OP_SPEC, id, &rp);
	if (rc == 0)
		*out = rp.spec;
	return rc;
}

int ot_supervisor_get_childspec_pid(ot_pid sup, ot_pid child,
				    ot_child_spec *out)
{
	if (!out)
		return OT_EINVAL;
	struct rep rp;
	int rc = by_pid(sup, OP_SPEC_PID, child, &rp);
	if (rc == 0)
		*out = rp.spec;
	return rc;
}
