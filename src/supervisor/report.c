/* SPDX-License-Identifier: MIT */
/*
 * report.c — supervisor reports, as SASL writes them: what happened
 * (errorContext), why (the reason), and to which child (the offender).
 *
 * A report is noted as a small record while the supervisor works and
 * written (formatted, handed to the logger) only once the work of the
 * message at hand is done, so a slow logger never delays a restart.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sup.h"

struct sup_event {
	STAILQ_ENTRY(sup_event) link;
	enum sup_report what;
	ot_pid pid;
	bool has_reason;
	ot_reason reason;
	size_t count; /* shutdown_error: children that ended this way */
	/* The offender, as it was then. */
	char id[OT_NAME_MAX + 1];
	ot_restart restart;
	bool significant;
	int shutdown_ms;
	ot_child_type type;
};

void ot__sup_report(struct sup *s, enum sup_report what, const struct child *c,
		    ot_pid pid, const ot_reason *reason, size_t count)
{
	if (!ot_log_enabled())
		return; /* nobody reads reports: do not even note them */
	struct sup_event *e = malloc(sizeof *e);
	if (!e)
		return; /* a report lost to want of memory; the work is done */
	e->what = what;
	e->pid = pid;
	e->has_reason = reason != NULL;
	if (reason) /* written later: the payload (the EXIT's) is not kept */
		e->reason = ot_reason_without_data(reason);
	e->count = count;
	memcpy(e->id, c->spec->id, sizeof e->id);
	e->restart = c->spec->restart;
	e->significant = c->spec->significant;
	e->shutdown_ms = ot__sup_child_shutdown_ms(c->spec);
	e->type = ot__sup_child_type(c->spec);
	STAILQ_INSERT_TAIL(&s->events, e, link);
}

static const char *const contexts[] = {
    [REPORT_CHILD_TERMINATED] = "child_terminated",
    [REPORT_START_ERROR] = "start_error",
    [REPORT_SHUTDOWN_ERROR] = "shutdown_error",
    [REPORT_SHUTDOWN] = "shutdown",
};

static const char *restart_name(ot_restart r)
{
	return r == OT_PERMANENT   ? "permanent"
	       : r == OT_TRANSIENT ? "transient"
				   : "temporary";
}

static void shutdown_text(int ms, char *buf, size_t size)
{
	if (ms == OT_INFINITY)
		snprintf(buf, size, "infinity");
	else if (ms == OT_SHUTDOWN_BRUTAL_KILL)
		snprintf(buf, size, "brutal_kill");
	else
		snprintf(buf, size, "%d", ms);
}

/* "<0.5.0>" or the registered name. */
static void sup_name(const struct sup *s, char *buf, size_t size)
{
	if (s->name[0])
		snprintf(buf, size, "%s", s->name);
	else
		ot_pid_format(s->self, buf, size);
}

static void format(const struct sup *s, const struct sup_event *e, char *buf,
		   size_t size)
{
	char who[OT_NAME_MAX + OT_PID_STRLEN], pid[OT_PID_STRLEN];
	char why[OT_REASON_STRLEN], shut[16], id[OT_NAME_MAX + 3];
	sup_name(s, who, sizeof who);
	if (ot_pid_is_none(e->pid))
		snprintf(pid, sizeof pid, "undefined");
	else
		ot_pid_format(e->pid, pid, sizeof pid);
	if (e->id[0])
		snprintf(id, sizeof id, "\"%s\"", e->id);
	else
		snprintf(id, sizeof id, "undefined");
	shutdown_text(e->shutdown_ms, shut, sizeof shut);
	char offender[512];
	snprintf(offender, sizeof offender,
		 "[{pid,%s},{id,%s},{restart_type,%s},{significant,%s},"
		 "{shutdown,%s},{child_type,%s}]",
		 pid, id, restart_name(e->restart),
		 e->significant ? "true" : "false", shut,
		 e->type == OT_SUPERVISOR ? "supervisor" : "worker");
	if (e->what == REPORT_RESTARTED) {
		snprintf(buf, size,
			 "=PROGRESS REPORT==== otter ===\n"
			 "    supervisor: %s\n"
			 "    restarted: %s",
			 who, offender);
		return;
	}
	if (e->what == REPORT_SHUTDOWN)
		snprintf(why, sizeof why, "reached_max_restart_intensity");
	else
		ot_reason_format(&e->reason, why, sizeof why);
	char more[64] = "";
	if (e->count > 1)
		snprintf(more, sizeof more, "\n    children: %zu", e->count);
	snprintf(buf, size,
		 "=SUPERVISOR REPORT==== otter ===\n"
		 "    supervisor: %s\n"
		 "    errorContext: %s\n"
		 "    reason: %s\n"
		 "    offender: %s%s",
		 who, contexts[e->what], why, offender, more);
}

/* Hands text to the logger as the supervisor's report, about the
 * supervisor itself (the offender is in the text): a restart is a
 * progress report (info, as SASL's), the rest are errors. */
static void emit(const struct sup *s, ot_report_kind kind,
		 const ot_reason *reason, const char *text)
{
	ot_report r = {.severity = kind == OT_REPORT_PROGRESS ? OT_LOG_INFO
							      : OT_LOG_ERROR,
		       .kind = kind,
		       .pid = s->self,
		       .name = s->name,
		       .reason = reason,
		       .text = text};
	ot_log_emit(&r);
}

void ot__sup_flush_reports(struct sup *s)
{
	struct sup_event *e;
	while ((e = STAILQ_FIRST(&s->events))) {
		STAILQ_REMOVE_HEAD(&s->events, link);
		char text[1536];
		format(s, e, text, sizeof text);
		emit(s,
		     e->what == REPORT_RESTARTED ? OT_REPORT_PROGRESS
						 : OT_REPORT_SUPERVISOR,
		     e->has_reason ? &e->reason : NULL, text);
		free(e);
	}
}

void ot__sup_drop_reports(struct sup *s)
{
	struct sup_event *e;
	while ((e = STAILQ_FIRST(&s->events))) {
		STAILQ_REMOVE_HEAD(&s->events, link);
		free(e);
	}
}

void ot__sup_report_unexpected(struct sup *s, const ot_msg *msg)
{
	char who[OT_NAME_MAX + OT_PID_STRLEN], from[OT_PID_STRLEN];
	char text[512];
	if (!ot_log_enabled())
		return;
	sup_name(s, who, sizeof who);
	ot_pid_format(ot_msg_from(msg), from, sizeof from);
	snprintf(text, sizeof text,
		 "=ERROR REPORT==== otter ===\n"
		 "Supervisor %s received unexpected message: tag %llu, "
		 "%zu bytes, from %s",
		 who, (unsigned long long)ot_msg_tag(msg), ot_msg_size(msg),
		 from);
	emit(s, OT_REPORT_SUPERVISOR, NULL, text);
}
