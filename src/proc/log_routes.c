/* SPDX-License-Identifier: MIT */
/*
 * log_routes.c — where reports can go: stderr with a time and a severity,
 * syslog(3), journald (otter/log.h). Each is an ot_report_fn.
 *
 * A route that cannot reach its destination writes to stderr instead and
 * says so in the first report it diverts (and again if the destination
 * came back and went away again), never once per report.
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#ifdef OT_HAVE_JOURNALD
#include <systemd/sd-journal.h>
#endif

#include <otter/log.h>
#include <otter/proc.h>

/* "2026-12-02T13:51:38.123456Z error crash <0.5.0> name" */
static void headline(const ot_report *r, char *buf, size_t size)
{
	struct tm tm;
	char when[32] = "";
	if (gmtime_r(&r->wall.tv_sec, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	char pid[OT_PID_STRLEN] = "";
	if (!ot_pid_equal(r->pid, OT_PID_NONE))
		ot_pid_format(r->pid, pid, sizeof pid);
	const char *name = r->name ? r->name : "";
	snprintf(buf, size, "%s.%06ldZ %s %s%s%s%s%s", when,
		 r->wall.tv_nsec / 1000, ot_severity_name(r->severity),
		 ot_report_kind_name(r->kind), pid[0] ? " " : "", pid,
		 name[0] ? " " : "", name);
}

/* Writes all of buf (len bytes) to stderr, retrying short writes. */
static void write_stderr(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* The head line, a note (or NULL), the text: one write(2), so that
 * reports from two schedulers do not interleave. */
static void to_stderr(const ot_report *r, const char *note)
{
	char head[160];
	headline(r, head, sizeof head);
	const char *text = r->text ? r->text : "";
	size_t need =
	    strlen(head) + strlen(text) + 3 + (note ? strlen(note) + 1 : 0);
	char *buf = malloc(need);
	if (!buf) { /* no memory: in pieces, rather than not at all */
		write_stderr(head, strlen(head));
		write_stderr("\n", 1);
		write_stderr(text, strlen(text));
		write_stderr("\n", 1);
		return;
	}
	int n = snprintf(buf, need, "%s\n%s%s%s\n", head, note ? note : "",
			 note ? "\n" : "", text);
	if (n > 0)
		write_stderr(buf, (size_t)n < need ? (size_t)n : need - 1);
	free(buf);
}

void ot_log_stderr(const ot_report *report, void *arg)
{
	(void)arg;
	if (report)
		to_stderr(report, NULL);
}

/* Diverts r to stderr, with note the first time since the route last
 * worked (*diverted remembers). */
static void divert(const ot_report *r, atomic_bool *diverted, const char *note)
{
	bool first = !atomic_exchange(diverted, true);
	to_stderr(r, first ? note : NULL);
}

/* ---- syslog ---------------------------------------------------------------
 */

static atomic_bool syslog_diverted;

/* Whether a syslog daemon listens on /dev/log: syslog(3) itself drops a
 * message silently when nobody does. */
static bool syslog_listening(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, "/dev/log");
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

/* The text on one line: each line break, with the indentation after it,
 * becomes " | ". */
static char *one_line(const char *text)
{
	size_t len = strlen(text);
	char *out = malloc(len * 3 + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (const char *t = text; *t; t++) {
		if (*t != '\n') {
			*o++ = *t;
			continue;
		}
		while (t[1] == ' ' || t[1] == '\t')
			t++;
		memcpy(o, " | ", 3);
		o += 3;
	}
	*o = '\0';
	return out;
}

void ot_log_syslog(const ot_report *report, void *arg)
{
	(void)arg;
	if (!report)
		return;
	if (!syslog_listening()) {
		divert(report, &syslog_diverted,
		       "otter: no syslog daemon listens on /dev/log; reports "
		       "go to stderr");
		return;
	}
	atomic_store(&syslog_diverted, false);
	char head[160];
	headline(report, head, sizeof head);
	/* the time is syslog's own: skip ours, keep severity, kind, pid */
	const char *what = strchr(head, ' ');
	char *text = one_line(report->text ? report->text : "");
	syslog((int)report->severity, "%s: %s", what ? what + 1 : head,
	       text ? text : report->text);
	free(text);
}

/* ---- journald -------------------------------------------------------------
 */

static atomic_bool journald_diverted;

bool ot_log_journald_available(void)
{
#ifdef OT_HAVE_JOURNALD
	return true;
#else
	return false;
#endif
}

void ot_log_journald(const ot_report *report, void *arg)
{
	(void)arg;
	if (!report)
		return;
#ifdef OT_HAVE_JOURNALD
	char pid[OT_PID_STRLEN] = "";
	if (!ot_pid_equal(report->pid, OT_PID_NONE))
		ot_pid_format(report->pid, pid, sizeof pid);
	char reason[OT_REASON_STRLEN] = "";
	if (report->reason)
		ot_reason_format(report->reason, reason, sizeof reason);
	int rc = sd_journal_send(
	    "MESSAGE=%s", report->text ? report->text : "", "PRIORITY=%d",
	    (int)report->severity, "OTTER_KIND=%s",
	    ot_report_kind_name(report->kind), "OTTER_PID=%s", pid,
	    "OTTER_NAME=%s", report->name ? report->name : "",
	    "OTTER_REASON=%s", reason, NULL);
	if (rc >= 0) {
		atomic_store(&journald_diverted, false);
		return;
	}
	divert(report, &journald_diverted,
	       "otter: journald cannot be reached; reports go to stderr");
#else
	divert(report, &journald_diverted,
	       "otter: built without libsystemd, no journald route; reports "
	       "go to stderr");
#endif
}
