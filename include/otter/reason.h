/* SPDX-License-Identifier: MIT */
/*
 * otter/reason.h — exit reasons: why a process ended.
 *
 * A reason is a small value (copy it, compare it with ot_reason_equal(),
 * print it with ot_reason_format()). It travels in EXIT and DOWN messages
 * and, in later layers, in call errors and supervisor reports.
 *
 * The kinds and how they print (Erlang's spelling where Erlang has one):
 *   normal                 the process returned, or called ot_exit(normal)
 *   shutdown               asked to stop (by a supervisor, usually)
 *   {shutdown,Text}        shutdown with a detail
 *   kill                   a process ended itself with reason kill; its
 *                          links receive `kill` and may trap it
 *   killed                 the process was sent an untrappable kill
 *   noproc                 the process did not exist (monitor, link)
 *   timeout                something waited too long
 *   {error,Code,Text}      a user error: any int code and a short text;
 *                          an otter error code prints as its name
 *                          ({error,OT_EALREADY,"..."}, a system error's
 *                          as OT_ESYS(ECONNREFUSED)), any other as a
 *                          number: a program's own codes print apart
 *                          when they are positive (otter's are negative)
 *   {crash,Signal,...}     a hardware fault or abort inside the process:
 *                          signal, si_code, fault address, and whether it
 *                          was a stack overflow
 * normal, shutdown and {shutdown,Text} are "clean": see ot_reason_is_clean().
 *
 * A reason is a plain struct: one built by hand (or read from bad memory)
 * may be malformed — a kind not listed above, a text without its NUL, a
 * text on a kind that has none. ot_reason_check() tells. The readers
 * (ot_reason_equal, ot_reason_is_clean, ot_reason_format) accept any bytes
 * and never read past the struct. Where a reason enters the runtime it is
 * checked: ot_exit_pid(), ot_gen_server_stop() return OT_EINVAL for a
 * malformed one; the result builders (ot_gs_stop, ot_gs_stop_reply,
 * ot_gs_error) turn it into a stop with {error,OT_EINVAL,...}; ot_exit(),
 * which ends the caller whatever it is given, repairs it instead (see
 * there). So no malformed reason is ever delivered to a link, a monitor
 * or a report.
 */
#ifndef OTTER_REASON_H
#define OTTER_REASON_H

#include <otter/base.h>

OT_BEGIN_DECLS

/* X(name, printed name). Values are stable ABI: append, never renumber. */
#define OT_REASON_KIND_MAP(X)                                                  \
	X(NORMAL, "normal")                                                    \
	X(SHUTDOWN, "shutdown")                                                \
	X(SHUTDOWN_DETAIL, "shutdown")                                         \
	X(KILL, "kill")                                                        \
	X(KILLED, "killed")                                                    \
	X(NOPROC, "noproc")                                                    \
	X(TIMEOUT, "timeout")                                                  \
	X(ERROR, "error")                                                      \
	X(CRASH, "crash")

typedef enum ot_reason_kind {
#define OT_REASON_KIND_ENUM_(name, text) OT_REASON_##name,
	OT_REASON_KIND_MAP(OT_REASON_KIND_ENUM_)
#undef OT_REASON_KIND_ENUM_
} ot_reason_kind;

/* Longest text a reason keeps, in bytes, excluding the NUL; longer texts
 * are truncated (at a byte boundary). */
#define OT_REASON_TEXT_MAX 127

typedef struct ot_reason {
	ot_reason_kind kind;
	/* ERROR: the user's code. CRASH: the signal number. Otherwise 0. */
	int code;
	/* CRASH: the siginfo si_code (e.g. SEGV_MAPERR, FPE_INTDIV). */
	int si_code;
	/* CRASH: true when the fault was the process running off its stack. */
	bool stack_overflow;
	/* CRASH: the faulting address (si_addr), 0 when it has none. */
	uintptr_t addr;
	/* ERROR and SHUTDOWN_DETAIL: the text, NUL-terminated. Else "". */
	char text[OT_REASON_TEXT_MAX + 1];
	/* ERROR and SHUTDOWN_DETAIL: a payload of any size next to the text
	 * (an Erlang reason is a term of any size), NULL and 0 when none;
	 * read it with ot_reason_data(). The pointer is borrowed, never
	 * owned: the struct copies by value and the copy points at the same
	 * bytes. Whoever takes a reason (ot_exit, ot_exit_pid, ot_gs_stop,
	 * ot_gen_server_stop, ...) copies the bytes before it returns; the
	 * reason of an EXIT or DOWN message points into the message (valid
	 * until ot_msg_free). A reason kept past that must drop its payload:
	 * ot_reason_without_data(). Reasons handed back through an out
	 * parameter (a call's or a start's *reason, ot_run_result, a
	 * supervisor's) and the reasons in reports carry no payload. */
	const void *data;
	size_t data_size;
} ot_reason;

/* Constructors. Texts are copied (and truncated); NULL means "". */
OT_API ot_reason ot_reason_normal(void);
OT_API ot_reason ot_reason_shutdown(void);
OT_API ot_reason ot_reason_shutdown_detail(const char *text);
OT_API ot_reason ot_reason_kill(void);
OT_API ot_reason ot_reason_error(int code, const char *text);
/* {error,Code,Text} with a payload of size bytes at data, borrowed (not
 * copied: see ot_reason.data). The call that takes the reason copies it. */
OT_API ot_reason ot_reason_error_data(int code, const char *text,
				      const void *data, size_t size);
/* {shutdown,Text} with a payload, the same way. */
OT_API ot_reason ot_reason_shutdown_data(const char *text, const void *data,
					 size_t size);

/* r's payload (NULL when it has none, or r is NULL); *size (may be NULL)
 * gets its size in bytes. Never blocks. */
OT_API const void *ot_reason_data(const ot_reason *r, size_t *size);

/* *r without its payload: what to keep of a reason after the message it
 * came in is freed. A NULL r gives normal. */
OT_API ot_reason ot_reason_without_data(const ot_reason *r);

/* 0 when r is well formed: a kind listed above; a text NUL-terminated
 * within OT_REASON_TEXT_MAX + 1 bytes; an empty text and no payload on
 * every kind but ERROR and SHUTDOWN_DETAIL; a payload that is NULL only
 * when its size is 0, and at most PTRDIFF_MAX bytes. OT_EINVAL otherwise
 * (and for NULL). Never blocks. */
OT_API int ot_reason_check(const ot_reason *r);

/* True when both describe the same reason (every field compared, the
 * payloads by their bytes, not their addresses). A NULL argument compares
 * unequal to everything. Never blocks. */
OT_API bool ot_reason_equal(const ot_reason *a, const ot_reason *b);

/* True for the reasons a supervisor counts as a clean exit: normal,
 * shutdown and {shutdown,Text}. False for NULL. */
OT_API bool ot_reason_is_clean(const ot_reason *r);

/* "normal", "killed", ...: the kind's printed name ("unknown" if bad). */
OT_API const char *ot_reason_kind_name(ot_reason_kind kind);

/*
 * Renders r as text into buf (NUL-terminated, truncated to size), e.g.
 * `normal`, `{shutdown,"disk full"}`, `{error,42,"bad input"}`,
 * `{error,OT_EALREADY,"already started"}` (see the kinds above),
 * `{crash,SIGSEGV,SEGV_MAPERR,addr=0x0}`,
 * `{crash,SIGSEGV,SEGV_ACCERR,addr=0x7f..,stack_overflow}`.
 * Returns the length the whole text needs (as snprintf does), or
 * OT_EINVAL (r NULL, or buf NULL with size > 0). A malformed reason
 * prints too, as far as it can be read: an unknown kind as `unknown`, a
 * text without its NUL up to OT_REASON_TEXT_MAX bytes. Never blocks.
 */
OT_API int ot_reason_format(const ot_reason *r, char *buf, size_t size);

/* Longest text ot_reason_format() can produce, plus the NUL. */
#define OT_REASON_STRLEN (OT_REASON_TEXT_MAX * 4 + 96)

OT_END_DECLS

#endif /* OTTER_REASON_H */
