/* SPDX-License-Identifier: MIT */
/*
 * spec.c — what a valid supervisor is: its flags and its child specs,
 * checked before anything starts (and again for each start_child), so a
 * bad spec is an error that names the child and the problem, never a
 * surprise at the first restart.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sup.h"

/* Fills *why (may be NULL) with {error,OT_EBADSPEC,Text}; returns
 * OT_EBADSPEC. */
static int bad(ot_reason *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int bad(ot_reason *why, const char *fmt, ...)
{
	if (why) {
		char text[OT_REASON_TEXT_MAX + 1];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(text, sizeof text, fmt, ap);
		va_end(ap);
		*why = ot_reason_error(OT_EBADSPEC, text);
	}
	return OT_EBADSPEC;
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int check_flags(const ot_sup_flags *in, ot_sup_flags *out,
		       ot_reason *why)
{
	ot_sup_flags f = *in;
	if ((unsigned)f.strategy > OT_SUP_DYNAMIC)
		return bad(why, "invalid strategy %d", (int)f.strategy);
	if (f.intensity < 0 || f.intensity > OT_SUP_MAX_INTENSITY)
		return bad(why, "invalid intensity %d (0..%d)", f.intensity,
			   OT_SUP_MAX_INTENSITY);
	if (f.period_ms < 0)
		return bad(why, "invalid period_ms %d", f.period_ms);
	if (f.period_ms == 0) {
		f.period_ms = OT_SUP_DEFAULT_PERIOD_MS;
		if (f.intensity == 0)
			f.intensity = OT_SUP_DEFAULT_INTENSITY;
	}
	if ((unsigned)f.auto_shutdown > OT_AUTO_SHUTDOWN_ALL_SIGNIFICANT)
		return bad(why, "invalid auto_shutdown %d",
			   (int)f.auto_shutdown);
	/* OTP rejects auto_shutdown for simple_one_for_one; Elixir's
	 * DynamicSupervisor has none: children that come and go are not
	 * what a supervisor's life hangs on. */
	if (f.auto_shutdown != OT_AUTO_SHUTDOWN_NEVER &&
	    (f.strategy == OT_SIMPLE_ONE_FOR_ONE ||
	     f.strategy == OT_SUP_DYNAMIC))
		return bad(why,
			   "auto_shutdown must be never for a %s "
			   "supervisor",
			   f.strategy == OT_SIMPLE_ONE_FOR_ONE
			       ? "simple_one_for_one"
			       : "dynamic");
	if (f.max_children && f.strategy != OT_SIMPLE_ONE_FOR_ONE &&
	    f.strategy != OT_SUP_DYNAMIC)
		return bad(why, "max_children is only for simple_one_for_one "
				"and dynamic supervisors");
	ot_sup_backoff *b = &f.backoff;
	if (b->min_ms < 0 || b->max_ms < 0 || b->reset_ms < 0)
		return bad(why, "invalid backoff: negative delay");
	if (b->jitter_pct > 100)
		return bad(why, "invalid backoff: jitter_pct %u > 100",
			   b->jitter_pct);
	if (b->min_ms > 0) {
		if (b->max_ms == 0)
			b->max_ms = b->min_ms > INT32_MAX / 32 ? INT32_MAX
							       : b->min_ms * 32;
		if (b->max_ms < b->min_ms)
			return bad(why,
				   "invalid backoff: max_ms %d < min_ms %d",
				   b->max_ms, b->min_ms);
		if (b->reset_ms == 0)
			b->reset_ms = b->max_ms > INT32_MAX / 2 ? INT32_MAX
								: b->max_ms * 2;
	} else if (b->max_ms || b->jitter_pct || b->reset_ms) {
		return bad(why, "invalid backoff: min_ms must be > 0");
	}
	*out = f;
	return 0;
}

int ot__sup_check_child(const ot_child_spec *c, const ot_sup_flags *flags,
			bool need_id, ot_reason *why)
{
	if (!terminated(c->id, sizeof c->id))
		return bad(why, "child id is not NUL-terminated");
	if (!terminated(c->name, sizeof c->name))
		return bad(why, "child \"%s\": name is not NUL-terminated",
			   c->id);
	if (need_id && !c->id[0])
		return bad(why, "child with an empty id");
	int ways = !!c->start + !!c->server + !!c->sup;
	if (ways != 1)
		return bad(
		    why, "child \"%s\": set exactly one of start, server, sup",
		    c->id);
	if (c->start && c->name[0])
		return bad(why,
			   "child \"%s\": name is for server and sup children",
			   c->id);
	if (c->server && !c->server->init)
		return bad(why, "child \"%s\": server has no init", c->id);
	if ((unsigned)c->restart > OT_TEMPORARY)
		return bad(why, "child \"%s\": invalid restart type %d", c->id,
			   (int)c->restart);
	if ((unsigned)c->type > OT_SUPERVISOR)
		return bad(why, "child \"%s\": invalid child type %d", c->id,
			   (int)c->type);
	if (c->shutdown_ms < 0 && c->shutdown_ms != OT_INFINITY &&
	    c->shutdown_ms != OT_SHUTDOWN_BRUTAL_KILL)
		return bad(why, "child \"%s\": invalid shutdown %d", c->id,
			   c->shutdown_ms);
	if (c->significant && c->restart == OT_PERMANENT)
		return bad(why,
			   "child \"%s\": a significant child cannot be "
			   "permanent",
			   c->id);
	if (c->significant && flags &&
	    flags->auto_shutdown == OT_AUTO_SHUTDOWN_NEVER)
		return bad(why, "child \"%s\": significant needs auto_shutdown",
			   c->id);
	return 0;
}

int ot_child_spec_check(const ot_child_spec *spec, ot_reason *why)
{
	if (!spec)
		return bad(why, "child spec is NULL");
	return ot__sup_check_child(spec, NULL, false, why);
}

int ot__sup_check_spec(const ot_sup_spec *spec, ot_sup_flags *flags,
		       ot_reason *why)
{
	int rc = check_flags(&spec->flags, flags, why);
	if (rc)
		return rc;
	if (spec->nchildren && !spec->children)
		return bad(why, "children is NULL");
	/* Before a child is read: no array holds that many (a count that
	 * wrapped, SIZE_MAX for -1), and reading it would run off the end. */
	if (spec->nchildren > SIZE_MAX / sizeof(ot_child_spec))
		return bad(why, "nchildren %zu is more than an array can hold",
			   spec->nchildren);
	switch (flags->strategy) {
	case OT_SIMPLE_ONE_FOR_ONE:
		if (spec->nchildren != 1)
			return bad(why,
				   "simple_one_for_one needs exactly one child "
				   "spec, not %zu",
				   spec->nchildren);
		return ot__sup_check_child(&spec->children[0], flags, false,
					   why);
	case OT_SUP_DYNAMIC:
		if (spec->nchildren)
			return bad(why, "a dynamic supervisor starts with no "
					"children");
		return 0;
	default:
		break;
	}
	for (size_t i = 0; i < spec->nchildren; i++) {
		rc = ot__sup_check_child(&spec->children[i], flags, true, why);
		if (rc)
			return rc;
	}
	/* In one pass (a hash of the ids): a spec may have 100,000. */
	size_t dup = ot__first_duplicate_id(spec->children, spec->nchildren);
	if (dup < spec->nchildren)
		return bad(why, "duplicate child id \"%s\"",
			   spec->children[dup].id);
	return 0;
}

int ot__sup_child_shutdown_ms(const ot_child_spec *spec)
{
	if (spec->shutdown_ms != OT_SHUTDOWN_DEFAULT)
		return spec->shutdown_ms;
	return ot__sup_child_type(spec) == OT_SUPERVISOR ? OT_INFINITY : 5000;
}

/* The spec as the supervisor keeps it: the defaults it stands for
 * spelled out (get_childspec shows those, as OTP's does). */
ot_child_spec ot__sup_child_normalized(const ot_child_spec *spec)
{
	ot_child_spec c = *spec;
	c.shutdown_ms = ot__sup_child_shutdown_ms(spec);
	c.type = ot__sup_child_type(spec);
	return c;
}

ot_child_type ot__sup_child_type(const ot_child_spec *spec)
{
	return spec->sup ? OT_SUPERVISOR : spec->type;
}
