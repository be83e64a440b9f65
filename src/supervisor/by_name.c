/* SPDX-License-Identifier: MIT */
/*
 * by_name.c — the supervisor calls by registered name: the name is looked
 * up once, now, and the call is its pid form; a name nobody has is
 * OT_ENOPROC, as for ot_gen_server_call_name().
 */
#include "config.h"

#include <otter/supervisor.h>

/* The pid registered as name, or OT_ENOPROC (OT_EINVAL, OT_ENAMETOOLONG
 * for a bad name). */
static int named(const char *name, ot_pid *pid)
{
	int rc = ot_whereis(name, pid);
	return rc == OT_ENOTREG ? OT_ENOPROC : rc;
}

int ot_supervisor_start_child_name(const char *name, const ot_child_spec *spec,
				   ot_pid *out, ot_reason *reason)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc : ot_supervisor_start_child(sup, spec, out, reason);
}

int ot_supervisor_start_child_extra_name(const char *name, const void *extra,
					 size_t size, ot_pid *out,
					 ot_reason *reason)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc
		  : ot_supervisor_start_child_extra(sup, extra, size, out,
						    reason);
}

int ot_supervisor_terminate_child_name(const char *name, const char *id)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc : ot_supervisor_terminate_child(sup, id);
}

int ot_supervisor_restart_child_name(const char *name, const char *id,
				     ot_pid *out, ot_reason *reason)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc : ot_supervisor_restart_child(sup, id, out, reason);
}

int ot_supervisor_delete_child_name(const char *name, const char *id)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc : ot_supervisor_delete_child(sup, id);
}

int ot_supervisor_which_children_name(const char *name, ot_child_info *out,
				      size_t cap, size_t *total)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc : ot_supervisor_which_children(sup, out, cap, total);
}

int ot_supervisor_count_children_name(const char *name, ot_child_counts *out)
{
	ot_pid sup;
	int rc = named(name, &sup);
	return rc ? rc : ot_supervisor_count_children(sup, out);
}
