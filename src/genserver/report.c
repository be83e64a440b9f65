/* SPDX-License-Identifier: MIT */
/*
 * report.c — what a server writes to the logger: its error report when it
 * ends with a reason that is not clean (OTP's gen_server:format_log), the
 * report of a terminate that failed, and the warning for a message that
 * no handle_info takes.
 *
 * The state in a report is format_status's rendering, run under
 * ot_catch(): a format_status that crashes costs the report its state
 * text, never the server its reason (OTP's gen:format_status catches it
 * too).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "server.h"

/* Hands text to the logger as the server's report of this severity,
 * about the server, with the reason it ends with (or NULL). */
static void emit(const struct server *s, ot_severity severity,
		 const ot_reason *reason, const char *text)
{
	ot_process_info info;
	ot_report r = {.severity = severity,
		       .kind = OT_REPORT_SERVER,
		       .pid = s->self,
		       .name = "",
		       .reason = reason,
		       .text = text};
	if (ot_process_info_get(s->self, &info) == 0)
		r.name = info.name;
	ot_log_emit(&r);
}

/* Who the server is: its name, else its pid. */
static void who(const struct server *s, char *buf, size_t size)
{
	ot_process_info info;
	ot_pid_format(s->self, buf, size);
	if (ot_process_info_get(s->self, &info) == 0 && info.name[0])
		snprintf(buf, size, "%s", info.name);
}

struct render {
	struct server *s;
	char *buf;
	size_t size;
	int n;
};

static void render(void *arg)
{
	struct render *r = arg;
	r->n = r->s->cb->format_status(r->s->state, r->buf, r->size);
}

size_t ot__gs_render_state(struct server *s, char *buf, size_t size)
{
	if (!size)
		return 0;
	if (!s->cb->format_status) {
		snprintf(buf, size, "<state>");
		return strlen(buf);
	}
	struct render r = {s, buf, size, 0};
	ot_reason why;
	buf[0] = '\0';
	if (ot_catch(render, &r, &why) != 0) {
		char text[OT_REASON_STRLEN];
		ot_reason_format(&why, text, sizeof text);
		r.n = snprintf(buf, size, "<format_status crashed: %s>", text);
	}
	if (r.n < 0)
		r.n = 0;
	size_t n = (size_t)r.n < size ? (size_t)r.n : size - 1;
	buf[n] = '\0'; /* whatever format_status left there */
	return n;
}

void ot__gs_report(struct server *s, const ot_reason *reason)
{
	if (!ot_log_enabled())
		return;
	char name[OT_NAME_MAX + OT_PID_STRLEN + 4], why[OT_REASON_STRLEN];
	char state[512];
	who(s, name, sizeof name);
	ot_reason_format(reason, why, sizeof why);
	snprintf(state, sizeof state, "<state>");
	if (s->state)
		ot__gs_render_state(s, state, sizeof state);
	char from[OT_PID_STRLEN] = "-";
	if (!ot_pid_is_none(s->last_from))
		ot_pid_format(s->last_from, from, sizeof from);
	/* The tag says something only for a message to handle_info: the
	 * others are gen_server's own (call, cast, stop...). */
	char tag[40] = "";
	if (s->last_kind && !strcmp(s->last_kind, "info"))
		snprintf(tag, sizeof tag, "tag %#llx, ",
			 (unsigned long long)s->last_tag);
	char text[2048];
	snprintf(text, sizeof text,
		 "=ERROR REPORT==== gen_server ===\n"
		 "** Generic server %s terminating\n"
		 "** Last message in was: %s (%s%zu bytes, from %s)\n"
		 "** When Server state == %s\n"
		 "** Reason for termination ==\n"
		 "** %s",
		 name, s->last_kind ? s->last_kind : "none", tag, s->last_size,
		 from, state, why);
	emit(s, OT_LOG_ERROR, reason, text);
}

void ot__gs_report_terminate(struct server *s, const ot_reason *reason)
{
	if (!ot_log_enabled())
		return;
	char name[OT_NAME_MAX + OT_PID_STRLEN + 4], why[OT_REASON_STRLEN];
	who(s, name, sizeof name);
	ot_reason_format(reason, why, sizeof why);
	char text[OT_REASON_STRLEN + 256];
	snprintf(text, sizeof text,
		 "=ERROR REPORT==== gen_server ===\n"
		 "** Generic server %s terminating\n"
		 "** terminate failed; reason for termination ==\n"
		 "** %s",
		 name, why);
	emit(s, OT_LOG_ERROR, reason, text);
}

void ot__gs_report_unhandled(struct server *s, const ot_msg *m)
{
	if (!ot_log_enabled())
		return;
	char name[OT_NAME_MAX + OT_PID_STRLEN + 4], from[OT_PID_STRLEN] = "-";
	who(s, name, sizeof name);
	if (!ot_pid_is_none(ot_msg_from(m)))
		ot_pid_format(ot_msg_from(m), from, sizeof from);
	char text[256];
	snprintf(text, sizeof text,
		 "=WARNING REPORT==== gen_server ===\n"
		 "** Undefined handle_info in generic server %s\n"
		 "** Unhandled message: tag %#llx, %zu bytes, from %s",
		 name, (unsigned long long)ot_msg_tag(m), ot_msg_size(m), from);
	emit(s, OT_LOG_WARNING, NULL, text);
}
