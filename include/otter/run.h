/* SPDX-License-Identifier: MIT */
/*
 * otter/run.h — a daemon's main: run a supervision tree until a signal
 * says stop.
 *
 *	int main(void)
 *	{
 *		ot_run_result res;
 *		int rc = ot_run(&root_spec, NULL, &res);
 *		return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
 *	}
 *
 * ot_run() is what an Erlang release's boot does for an application: it
 * starts the runtime, starts the root supervisor, and then waits, without
 * polling, for whichever comes first: a signal, or the root's end.
 *
 *   SIGTERM, SIGINT  stop the tree in order (each child with its own
 *                    shutdown policy) within opts->stop_timeout_ms, shut
 *                    the runtime down and return. As Erlang's init:stop()
 *                    on SIGTERM.
 *   SIGHUP           opts->reload(root, arg) on the calling thread; without
 *                    one, a line to the logger and nothing else.
 *   SIGQUIT          stop now: the root is killed (reason killed, no
 *                    deadline waited for) and the runtime shut down.
 *                    Erlang halts on SIGQUIT; a library does not end the
 *                    program, and children that trap exits still see
 *                    their parent's EXIT (a gen_server's terminate may
 *                    run) before the shutdown ends them.
 *   the root ends    on its own (too many restarts, auto_shutdown): the
 *                    runtime is shut down and ot_run() returns.
 *
 * The four signals are blocked in the calling thread before the scheduler
 * threads start (they inherit the mask) and read from a signalfd by a
 * process of the runtime; call ot_run() from main before the program
 * starts threads of its own, or block the four signals in those threads
 * too, or a signal sent to the program may kill it through one of them.
 * The mask is put back before ot_run() returns.
 */
#ifndef OTTER_RUN_H
#define OTTER_RUN_H

#include <otter/base.h>
#include <otter/proc.h>
#include <otter/supervisor.h>

OT_BEGIN_DECLS

/* How long the tree has to stop after SIGTERM / SIGINT, when
 * ot_run_opts.stop_timeout_ms is 0. systemd waits 90 s before it kills;
 * this leaves it time to see the program end on its own. */
#define OT_RUN_DEFAULT_STOP_MS 30000

/* The zero value (or NULL) means: default runtime, no name, 30 s to stop,
 * SIGHUP logged and ignored. */
typedef struct ot_run_opts {
	const ot_config *config; /* for ot_start(); NULL: the defaults */
	const char *name;	 /* register the root under this name */
	/* SIGTERM / SIGINT: how long the tree may take to stop before it is
	 * killed. 0: OT_RUN_DEFAULT_STOP_MS; OT_INFINITY: as long as it
	 * takes. */
	int stop_timeout_ms;
	/* Runs on the calling thread once the root has started (to say
	 * "ready", print a port, install a logger...). A negative return
	 * stops the tree and becomes ot_run()'s. May be NULL. */
	int (*started)(ot_pid root, void *arg);
	/* Runs on the calling thread at each SIGHUP (reload a
	 * configuration, reopen log files). NULL: the signal is logged and
	 * otherwise ignored. */
	void (*reload)(ot_pid root, void *arg);
	void *arg; /* for started and reload */
} ot_run_opts;

/* What ot_run() saw. */
typedef struct ot_run_result {
	/* The signal that ended the run (SIGTERM, SIGINT, SIGQUIT), or 0
	 * when the root ended on its own or did not start. */
	int signal;
	/* How the root ended (normal when it never started). */
	ot_reason reason;
	/* How many SIGHUPs arrived while it ran. */
	unsigned reloads;
} ot_run_result;

/*
 * Starts the runtime and the supervisor spec, registered as opts->name,
 * and runs until a signal or the root's end, as described above; then
 * stops what is left and shuts the runtime down. *out (may be NULL) gets
 * what happened. Returns:
 *  0 when the tree stopped as asked: SIGTERM or SIGINT came, and the root
 *  ended with a clean reason (normal, shutdown, {shutdown,Text}) within
 *  the deadline;
 *  OT_ESERVERDIED when the root ended without being asked to (out->signal
 *  is 0, out->reason says why: a service that stops on its own has
 *  failed, as a permanent application's end stops an Erlang node), or
 *  ended with a reason that is not clean, or was killed by SIGQUIT;
 *  OT_ETIMEDOUT when the tree did not stop within stop_timeout_ms (it was
 *  killed then);
 *  a negative return of opts->started (the tree was stopped in order);
 *  and before anything ran: OT_EINVAL (spec NULL, stop_timeout_ms
 *  negative and not OT_INFINITY), OT_ESTARTED (the runtime is already
 *  running: the signals must be blocked before it starts),
 *  OT_ENOTFOREIGN, a system error (no signalfd: OT_ESYS_ERRNO(EMFILE),
 *  ...), ot_start()'s errors, and
 *  ot_supervisor_start_link()'s (an invalid spec is OT_EBADSPEC with
 *  out->reason saying why; a child that fails to start is OT_EINITSTOP):
 *  nothing is left running then.
 * A signal that comes while the tree is starting is acted on as soon as
 * the root's start returns: SIGTERM then stops, in order, what started.
 * From: foreign only (main, usually). Blocks until the end.
 */
OT_API int ot_run(const ot_sup_spec *spec, const ot_run_opts *opts,
		  ot_run_result *out);

OT_END_DECLS

#endif /* OTTER_RUN_H */
