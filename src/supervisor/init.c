/* SPDX-License-Identifier: MIT */
/*
 * init.c — a supervisor's start, in its own process: OTP's init/1. The
 * flags and child specs come from the spec given to start_link, or from
 * an init callback that computes them (and may answer ignore, or fail);
 * then the static children start in order, and if one fails the started
 * ones stop in reverse order and the start fails.
 */
#include "config.h"

#include <bsd/stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "sup.h"

/* ---------------------------------------------------------------------
 * The state
 */

void ot__sup_free(struct sup *s)
{
	struct child *c;
	while ((c = TAILQ_FIRST(&s->children)))
		ot__child_free(s, c);
	ot__sup_drop_reports(s);
	ot__itable_fini(&s->by_pid);
	ot__itable_fini(&s->by_id);
	free(s->restarts);
	free(s->reply);
	free(s);
}

static struct sup *sup_new(const ot_sup_flags *flags, const char *name,
			   const ot_sup_spec *spec)
{
	struct sup *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->flags = *flags;
	s->self = ot_self();
	snprintf(s->name, sizeof s->name, "%s", name);
	TAILQ_INIT(&s->children);
	ot__itable_init(&s->by_pid);
	ot__itable_init(&s->by_id);
	STAILQ_INIT(&s->events);
	s->rng =
	    (s->self.id ^ (uint64_t)ot_monotonic_ms() << 20) | 1; /* never 0 */
	if (s->flags.strategy == OT_SIMPLE_ONE_FOR_ONE)
		s->template = ot__sup_child_normalized(&spec->children[0]);
	return s;
}

/* Starts the static children in order. On a failure the started ones
 * are stopped (reverse order) and *why is what start_link reports. */
static int start_children(struct sup *s, const ot_sup_spec *spec,
			  ot_reason *why)
{
	for (size_t i = 0; i < spec->nchildren; i++) {
		struct child *c = ot__child_new(s, &spec->children[i], NULL, 0);
		if (!c) {
			*why =
			    ot_reason_error(OT_ENOMEM, "no memory for a child");
			ot__children_stop_all(s);
			return OT_ENOMEM;
		}
		ot_reason cause;
		int rc = ot__child_start(s, c, NULL, &cause);
		if (rc == OT_EIGNORED) {
			if (c->spec->restart == OT_TEMPORARY)
				ot__child_free(s, c);
			continue;
		}
		if (rc) {
			ot__sup_report(s, REPORT_START_ERROR, c, OT_PID_NONE,
				       &cause, 1);
			char text[OT_REASON_STRLEN];
			char detail[OT_REASON_STRLEN + OT_NAME_MAX + 32];
			ot_reason_format(&cause, text, sizeof text);
			snprintf(detail, sizeof detail,
				 "failed_to_start_child,%s,%s", c->spec->id,
				 text);
			*why = ot_reason_shutdown_detail(detail);
			ot__children_stop_all(s);
			return rc;
		}
	}
	return 0;
}

/* ---------------------------------------------------------------------
 * The init callback's side: what it hands over, through the handle it is
 * given (valid while it runs).
 */

#define INIT_MAGIC UINT32_C(0x6f74696e) /* "otin" */

struct ot_sup_init {
	uint32_t magic;
	ot_sup_flags flags;
	ot_child_spec *children;
	size_t n, cap;
	int error; /* the first call that failed (init failing with it) */
};

static bool valid(const ot_sup_init *in)
{
	return in && in->magic == INIT_MAGIC;
}

int ot_sup_init_flags(ot_sup_init *in, const ot_sup_flags *flags)
{
	if (!valid(in) || !flags)
		return OT_EINVAL;
	in->flags = *flags; /* checked with the children, after init */
	return 0;
}

int ot_sup_init_children(ot_sup_init *in, const ot_child_spec *children,
			 size_t n)
{
	if (!valid(in) || (n && !children))
		return OT_EINVAL;
	if (n > SIZE_MAX / sizeof *children - in->n) {
		in->error = in->error ? in->error : OT_EINVAL;
		return OT_EINVAL;
	}
	size_t need = in->n + n; /* need * sizeof fits: checked above */
	if (need > in->cap) {
		size_t cap = in->cap ? in->cap : 8;
		while (cap < need)
			cap = cap <= need / 2 ? cap * 2 : need;
		ot_child_spec *p = reallocarray(in->children, cap, sizeof *p);
		if (!p) {
			in->error = in->error ? in->error : OT_ENOMEM;
			return OT_ENOMEM;
		}
		in->children = p;
		in->cap = cap;
	}
	if (n)
		memcpy(in->children + in->n, children, n * sizeof *children);
	in->n += n;
	return 0;
}

/* Runs the init callback: 0 and the spec it made in *in (checked, the
 * defaults filled in *flags), OT_EIGNORED, or the failure (*why). */
static int run_init(const struct start_arg *a, ot_sup_init *in,
		    ot_sup_flags *flags, ot_reason *why)
{
	ot_reason unset = ot_reason_error(0, NULL);
	*why = unset;
	int rc = a->init(a->init_arg, in, why);
	if (rc == OT_EIGNORED)
		return OT_EIGNORED;
	if (rc == 0 && in->error)
		rc = in->error; /* it went on after a call failed */
	if (rc != 0) {
		if (ot_reason_equal(why, &unset) || rc > 0)
			*why = ot_reason_error(rc, ot_strerror(rc));
		return rc;
	}
	ot_sup_spec spec = {
	    .flags = in->flags, .children = in->children, .nchildren = in->n};
	return ot__sup_check_spec(&spec, flags, why);
}

/* ---------------------------------------------------------------------
 * The supervisor's gen_server init
 */

ot_gs_ret ot__sup_init(void *arg, void **state)
{
	const struct start_arg *a = arg;
	ot_trap_exit(true, NULL);
	/* Observers show it as a supervisor (it still answers as a
	 * gen_server: get_state, replace_state). */
	ot_set_behaviour("supervisor");
	ot_sup_init in = {.magic = INIT_MAGIC};
	ot_sup_spec spec = a->spec;
	ot_sup_flags flags = a->flags;
	ot_reason why;
	if (a->init) {
		int rc = run_init(a, &in, &flags, &why);
		if (rc) {
			free(in.children);
			return rc == OT_EIGNORED ? ot_gs_ignore()
						 : ot_gs_stop(why);
		}
		spec = (ot_sup_spec){.flags = in.flags,
				     .children = in.children,
				     .nchildren = in.n};
	}
	struct sup *s = sup_new(&flags, a->name, &spec);
	if (!s) {
		free(in.children);
		return ot_gs_stop(
		    ot_reason_error(OT_ENOMEM, "no memory for a supervisor"));
	}
	int rc = sup_is_dynamic(s) ? 0 : start_children(s, &spec, &why);
	free(in.children); /* each child has its own copy */
	ot__sup_flush_reports(s);
	if (rc) {
		ot__sup_free(s);
		return ot_gs_stop(why);
	}
	*state = s;
	return ot_gs_ok();
}
