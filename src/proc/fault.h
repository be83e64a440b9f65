/* SPDX-License-Identifier: MIT */
/*
 * fault.h — crash trapping (fault.c), crash reports (report.c)
 * and their backtraces (backtrace.c).
 */
#ifndef OTTER_PROC_FAULT_H
#define OTTER_PROC_FAULT_H

#include <stdbool.h>

#include "process.h"

struct ot__sched;

/* Crash trapping (fault.c) and reports (report.c). */
int ot__faults_init(void);
void ot__faults_fini(void);
/* Per scheduler thread: its alternate signal stack. */
int ot__fault_thread_init(struct ot__sched *s);
void ot__fault_thread_fini(struct ot__sched *s);
/* Runs fn(arg), user code, on a scheduler outside any process (a logger
 * writing a crash report): a fault in it returns here, its signal number,
 * instead of ending the program. 0 when fn returned. */
int ot__fault_guarded(void (*fn)(void *), void *arg);
/* ot_exit(reason) called by p itself: an ot_catch() it runs, else its
 * crash handler, sees the exit first (neither returns); returns when
 * there is neither. */
void ot__exit_caught(struct ot__proc *p, const ot_reason *reason);
/* Writes the crash report of p (ended by its own code, abnormally), which
 * was registered as name ("" if not). */
void ot__report_crash(struct ot__proc *p, const char *name);
/* Hands line(ctx, i, text) each of the n frames as text (backtrace.c);
 * from_fault: frames[0] is where a fault happened, not a return address. */
void ot__backtrace_write(void *const *frames, int n, bool from_fault,
			 void (*line)(void *ctx, int i, const char *text),
			 void *ctx);
/* The name of the function at addr from the symbol tables, "" if none
 * (backtrace.c; ot_process_details' entry_name). */
void ot__symbol_name(const void *addr, char *buf, size_t size);
/* Frees the symbol tables crash reports loaded (ot_shutdown()). */
void ot__backtrace_fini(void);

#endif /* OTTER_PROC_FAULT_H */
