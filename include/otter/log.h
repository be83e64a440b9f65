/* SPDX-License-Identifier: MIT */
/*
 * otter/log.h — reports: what the runtime and its layers tell about
 * processes that crash, servers that terminate, supervisors that restart,
 * and what the program adds (ot_log()).
 *
 * A report is a record (ot_report): a severity, two clocks, what kind of
 * report it is, the process it is about, that process's registered name,
 * the exit reason when there is one, and the formatted text that Erlang's
 * SASL reports would show. One logger receives each report at a time:
 *
 *   ot_set_report_logger(fn, arg)  fn gets the whole record; the routes
 *                                  below are such functions;
 *   ot_set_logger(fn, arg)         fn gets the text only (kept from
 *                                  before records, still fine);
 *   neither                        ot_log_stderr: a line with the time,
 *                                  severity, kind and pid, then the text.
 *
 * Severities are syslog's (and Erlang logger's levels): otter's crash,
 * server and supervisor reports are errors (a message that no handle_info
 * takes is a warning), progress reports are info. A server's reports are
 * about the server, a supervisor's about the supervisor (the child is in
 * the text, and its reason in ot_report.reason).
 * Reports less severe than the level (ot_log_set_level(), default
 * OT_LOG_INFO: everything otter writes) are not even built.
 *
 * A logger runs on the thread that writes the report: in the process the
 * report is about (a gen_server's last words, a supervisor's report), on
 * a scheduler outside any process (the crash report of a process that is
 * gone), or on a foreign thread calling ot_log(). It must not block for
 * long. A logger that crashes inside a process is a crash of that process
 * (the report is lost, as any work of a process that crashes); one that
 * crashes on a scheduler is caught there: that report goes to stderr with
 * a line saying the logger crashed, and the scheduler runs on.
 */
#ifndef OTTER_LOG_H
#define OTTER_LOG_H

#include <time.h>

#include <otter/base.h>
#include <otter/reason.h>

OT_BEGIN_DECLS

/* syslog(3)'s priorities, with the same numbers (LOG_ERR is 3). */
typedef enum ot_severity {
	OT_LOG_EMERGENCY = 0,
	OT_LOG_ALERT = 1,
	OT_LOG_CRITICAL = 2,
	OT_LOG_ERROR = 3,
	OT_LOG_WARNING = 4,
	OT_LOG_NOTICE = 5,
	OT_LOG_INFO = 6,
	OT_LOG_DEBUG = 7,
} ot_severity;

/* What a report is about. Values are stable ABI: append, never renumber. */
typedef enum ot_report_kind {
	OT_REPORT_USER = 0,   /* the program's own: ot_log(), ot_log_report() */
	OT_REPORT_CRASH,      /* a process's own code ended it abnormally
				 (proc_lib's crash report) */
	OT_REPORT_SERVER,     /* a gen_server terminating (its error report) */
	OT_REPORT_SUPERVISOR, /* a supervisor's report: a child ended,
				 failed to start, or restarts gave up */
	OT_REPORT_PROGRESS,   /* a child started or restarted */
} ot_report_kind;

typedef struct ot_report {
	ot_severity severity;
	ot_report_kind kind;
	/* When it was written: the monotonic clock (ot_monotonic_ms()'s,
	 * in nanoseconds) and the wall clock (CLOCK_REALTIME). */
	int64_t monotonic_ns;
	struct timespec wall;
	/* The process it is about (OT_PID_NONE when none), and its
	 * registered name ("" when it has none; never NULL). */
	ot_pid pid;
	const char *name;
	/* The exit reason it reports, or NULL. */
	const ot_reason *reason;
	/* The report as text: one or more lines, no trailing newline. */
	const char *text;
} ot_report;

/* A logger of records. The record and what it points to are valid during
 * the call only. */
typedef void (*ot_report_fn)(const ot_report *report, void *arg);

/* A logger of text: each report's text (ot_report.text). */
typedef void (*ot_log_fn)(const char *report, void *arg);

/*
 * Where reports go: fn(report, arg) for each; NULL puts back the default
 * (ot_log_stderr). Replaces a logger set with ot_set_logger().
 * Returns 0. From: anywhere; takes effect for the next report: one
 * already being written may still be in the previous logger, on another
 * thread, when this returns, so what that logger uses stays valid (or
 * behind its own lock) until it is done.
 */
OT_API int ot_set_report_logger(ot_report_fn fn, void *arg);

/*
 * The same for a logger of text: fn(text, arg); NULL puts back the
 * default. A crash report is written each time a process's own code ends
 * it abnormally (a crash, or ot_exit with a reason that is not clean): its
 * pid, name, reason and, for crashes, a backtrace (with function names,
 * static ones too, and source lines where the program has debug
 * information and otter was built with libdw; otherwise the names
 * dladdr() finds: link with -rdynamic for the program's own). Returns 0.
 * From: anywhere; takes effect for the next report.
 */
OT_API int ot_set_logger(ot_log_fn fn, void *arg);

/*
 * Taps: functions that get every report the level lets through, besides
 * the logger and whatever it is (an observer's history of crashes and
 * restarts: otter/observer.h). At most OT_LOG_TAPS_MAX at once. A tap
 * runs where the report is written, as a logger does (its record is valid
 * during the call only), before the logger; it must be quick, must not
 * block, must not crash, and must not write reports itself. While a tap
 * is installed reports are built even when the logger is ot_log_discard.
 * ot_log_tap: Errors: OT_EINVAL (fn NULL), OT_EALREADY (that fn and arg
 * already tap), OT_ELIMIT (OT_LOG_TAPS_MAX taps). ot_log_untap removes
 * it; a report being written at that moment may still reach it, so fn
 * and arg must stay valid (a static function and static data).
 * Errors: OT_ENOTFOUND (not installed). From: anywhere.
 */
#define OT_LOG_TAPS_MAX 4
OT_API int ot_log_tap(ot_report_fn fn, void *arg);
OT_API int ot_log_untap(ot_report_fn fn, void *arg);

/* Reports less severe than level are dropped before they are built
 * (OT_LOG_DEBUG: all). The default is OT_LOG_INFO. Returns the previous
 * level, or OT_EINVAL for a level out of range. From: anywhere. */
OT_API int ot_log_set_level(ot_severity level);

/* True when a report of this severity would reach a logger (the level
 * lets it through and the logger is not ot_log_discard): a layer that
 * builds reports checks first. Never blocks. */
OT_API bool ot_log_would(ot_severity severity);

/* True when reports reach a logger at all (ot_log_discard is not it).
 * Never blocks. */
OT_API bool ot_log_enabled(void);

/*
 * Hands a report to the logger, for the layers above the process runtime
 * (gen_server's and the supervisor's reports) and for programs with
 * reports of their own. r->text is required; r->name may be NULL (""); a
 * zero monotonic_ns and wall are filled in with the time now. Dropped
 * (returning 0) when less severe than the level.
 * Errors: OT_EINVAL (r or r->text NULL, severity or kind out of range).
 * From: anywhere.
 */
OT_API int ot_log_emit(const ot_report *r);

/* ot_log_emit() of a user report with this severity, about the calling
 * process (OT_PID_NONE on a foreign thread), of the text that fmt and
 * the arguments make (as printf; cut at 4,095 bytes).
 * Errors: OT_EINVAL (fmt NULL, severity out of range). From: anywhere. */
OT_API int ot_log(ot_severity severity, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ot_log(OT_LOG_ERROR, "%s", report): a user report, as Erlang's
 * error_logger:error_report/1. Errors: OT_EINVAL for NULL. */
OT_API int ot_log_report(const char *report);

/* A logger of text that drops every report. With it installed otter does
 * not even build them (no backtrace is taken at a crash, no text is
 * formatted), as Erlang's logger at level none:
 * ot_set_logger(ot_log_discard, NULL). A process that crashed while it
 * was installed is never reported. */
OT_API void ot_log_discard(const char *report, void *arg);

/* ---- Ready-made routes (ot_report_fn: pass to ot_set_report_logger) ----
 *
 * ot_log_stderr   one write(2) per report: a first line
 *                 "2026-12-02T13:51:38.123456Z error crash <0.5.0> name",
 *                 then the text. arg is unused.
 * ot_log_syslog   syslog(3) with the report's severity as priority (the
 *                 facility is what openlog(3) set, LOG_USER by default);
 *                 the text's lines joined by " | ", since a syslog
 *                 message is one line. arg is unused.
 * ot_log_journald sd_journal_send(3): MESSAGE (the text), PRIORITY, and
 *                 OTTER_KIND, OTTER_PID, OTTER_NAME, OTTER_REASON fields
 *                 for journalctl's filters (`journalctl OTTER_KIND=crash`).
 *                 Needs otter built with libsystemd (ot_log_journald_
 *                 available() says so). arg is unused.
 * A route that cannot reach its destination (no /dev/log, no journald
 * socket, otter built without libsystemd) writes the report to stderr
 * instead, as ot_log_stderr does, and says so once, in the first report
 * that goes there.
 */
OT_API void ot_log_stderr(const ot_report *report, void *arg);
OT_API void ot_log_syslog(const ot_report *report, void *arg);
OT_API void ot_log_journald(const ot_report *report, void *arg);
OT_API bool ot_log_journald_available(void);

/* Names: "error", "warning", ... ("unknown" out of range), and "crash",
 * "server", "supervisor", "progress", "user". Never NULL. */
OT_API const char *ot_severity_name(ot_severity severity);
OT_API const char *ot_report_kind_name(ot_report_kind kind);

OT_END_DECLS

#endif /* OTTER_LOG_H */
