/* SPDX-License-Identifier: MIT */
/*
 * run.c — ot_run(): a daemon's main loop (otter/run.h).
 *
 * The calling thread blocks the signals, starts the runtime and the root
 * (linked to itself, so the root's end arrives as an EXIT message), and
 * spawns a watcher process that waits on a signalfd and forwards each
 * signal as a message. The calling thread then has one thing to wait on,
 * its mailbox, and never polls.
 *
 * Stopping is an exit signal `shutdown` from the root's parent (this
 * thread), which a supervisor answers by stopping its children in reverse
 * order, each with its own shutdown policy, as OTP's supervisor does when
 * its application master stops it. The wait for the root's EXIT goes on
 * in the same loop, so a SIGQUIT while the tree stops still kills it.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <otter/io.h>
#include <otter/run.h>

/* The watcher's message: the signal number, as an int. Any tag below
 * OT_TAG_SYSTEM would do; only the watcher's messages are matched. */
#define RUN_TAG_SIGNAL UINT64_C(0x6f7472756e736967) /* "otrunsig" */

/* The watcher's argument, on the runner's (a foreign thread's) stack. */
struct watch {
	int fd; /* the signalfd */
	ot_pid runner;
};

/* Forwards each signal read from the signalfd; the runner kills it. */
static void watch_signals(void *arg)
{
	const struct watch *w = arg;
	for (;;) {
		struct signalfd_siginfo si;
		ssize_t n = ot_read(w->fd, &si, sizeof(si), OT_INFINITY);
		if (n != (ssize_t)sizeof(si))
			return; /* the runner sees the EXIT */
		int sig = (int)si.ssi_signo;
		ot_send(w->runner, RUN_TAG_SIGNAL, &sig, sizeof(sig));
	}
}

/* What the runner waits for. */
struct run {
	ot_pid root, watcher;
	int deadline_ms; /* OT_INFINITY while no stop was asked for */
	int64_t stop_at; /* when the tree is killed if still there */
	bool stopping;
	bool killed; /* SIGQUIT, or the deadline passed */
	ot_run_result res;
};

static bool run_message(const ot_msg *m, void *arg)
{
	const struct run *r = arg;
	if (ot_pid_equal(ot_msg_from(m), r->watcher) &&
	    ot_msg_tag(m) == RUN_TAG_SIGNAL)
		return true;
	const ot_exit_info *e = ot_msg_exit(m);
	return e && (ot_pid_equal(e->from, r->root) ||
		     ot_pid_equal(e->from, r->watcher));
}

/* The stop asked for by SIGTERM / SIGINT: an exit signal from the parent. */
static void begin_stop(struct run *r, int sig, int stop_timeout_ms)
{
	if (r->stopping)
		return;
	r->stopping = true;
	r->res.signal = sig;
	ot_reason shutdown = ot_reason_shutdown();
	ot_exit_pid(r->root, &shutdown);
	if (stop_timeout_ms != OT_INFINITY)
		r->stop_at = ot_monotonic_ms() + stop_timeout_ms;
}

static void kill_root(struct run *r)
{
	r->killed = true;
	ot_reason kill = ot_reason_kill();
	ot_exit_pid(r->root, &kill);
}

/* Waits for signals and the root's end; returns once the root is gone. */
static void run_loop(struct run *r, const ot_run_opts *o, int stop_ms)
{
	for (;;) {
		int wait_ms = OT_INFINITY;
		if (r->stopping && !r->killed && stop_ms != OT_INFINITY) {
			int64_t left = r->stop_at - ot_monotonic_ms();
			wait_ms = left > 0 ? (int)left : 0;
		}
		ot_msg *m;
		int rc = ot_receive_match(run_message, r, &m, wait_ms);
		if (rc == OT_ETIMEDOUT) {
			ot_log(OT_LOG_WARNING, "ot_run: the tree did not stop "
					       "in time; killing it");
			kill_root(r);
			continue;
		}
		if (rc != 0)
			return; /* the runtime is going away under us */
		const ot_exit_info *e = ot_msg_exit(m);
		if (e && ot_pid_equal(e->from, r->root)) {
			r->res.reason = ot_reason_without_data(&e->reason);
			ot_msg_free(m);
			return;
		}
		if (e) { /* the watcher died: no more signals */
			ot_msg_free(m);
			r->watcher = OT_PID_NONE;
			continue;
		}
		int sig;
		memcpy(&sig, ot_msg_data(m), sizeof(sig));
		ot_msg_free(m);
		if (sig == SIGHUP) {
			r->res.reloads++;
			if (o->reload)
				o->reload(r->root, o->arg);
			else
				ot_log(OT_LOG_NOTICE,
				       "ot_run: %s (signal %d) ignored: no "
				       "reload callback",
				       strsignal(sig), sig);
		} else if (sig == SIGQUIT) {
			r->res.signal = sig;
			kill_root(r);
		} else {
			begin_stop(r, sig, stop_ms);
		}
	}
}

/* 0 only for a stop that was asked for and went as asked: a root that
 * ended on its own stopped the service, whatever its reason. */
static int result_code(const struct run *r)
{
	if (r->killed && r->res.signal != SIGQUIT)
		return OT_ETIMEDOUT;
	if (!r->stopping || r->killed)
		return OT_ESERVERDIED;
	return ot_reason_is_clean(&r->res.reason) ? 0 : OT_ESERVERDIED;
}

/* The watcher blocks in ot_read(): only a kill ends it. */
static void stop_watcher(ot_pid watcher)
{
	ot_ref ref;
	ot_unlink(watcher);
	if (ot_monitor(watcher, &ref) != 0)
		return;
	ot_reason kill = ot_reason_kill();
	ot_exit_pid(watcher, &kill);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		const ot_down_info *d = ot_msg_down(m);
		bool done = d && d->ref.id == ref.id;
		ot_msg_free(m);
		if (done)
			return;
	}
}

static int run_tree(const ot_sup_spec *spec, const ot_run_opts *o, int stop_ms,
		    int sfd, ot_run_result *res)
{
	struct run r = {.res = {.reason = ot_reason_normal()}};
	struct watch w = {.fd = sfd, .runner = ot_self()};
	ot_spawn_opts link = {.flags = OT_SPAWN_LINK};
	int rc = ot_spawn(watch_signals, &w, &link, &r.watcher);
	if (rc)
		return rc;
	/* Signals that come while the tree starts wait in the mailbox. */
	rc = ot_supervisor_start_link(spec, o->name, &r.root, &res->reason);
	if (rc == 0) {
		int urc = o->started ? o->started(r.root, o->arg) : 0;
		if (urc < 0)
			begin_stop(&r, 0, stop_ms);
		run_loop(&r, o, stop_ms);
		rc = urc < 0 ? urc : result_code(&r);
		*res = r.res;
	}
	if (!ot_pid_equal(r.watcher, OT_PID_NONE))
		stop_watcher(r.watcher);
	return rc;
}

/* Signals that came after the watcher stopped would be delivered, with
 * their default action, when the mask is put back: take them here. */
static void drain_signals(int sfd)
{
	struct signalfd_siginfo si;
	while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
}

int ot_run(const ot_sup_spec *spec, const ot_run_opts *opts, ot_run_result *out)
{
	static const ot_run_opts defaults = {0};
	const ot_run_opts *o = opts ? opts : &defaults;
	ot_run_result res = {.reason = ot_reason_normal()};
	if (out)
		*out = res;
	if (!spec ||
	    (o->stop_timeout_ms < 0 && o->stop_timeout_ms != OT_INFINITY))
		return OT_EINVAL;
	if (ot_in_process())
		return OT_ENOTFOREIGN;
	if (ot_running())
		return OT_ESTARTED;
	int stop_ms =
	    o->stop_timeout_ms ? o->stop_timeout_ms : OT_RUN_DEFAULT_STOP_MS;

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	int rc;
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		rc = OT_ESYS_ERRNO(errno);
		goto restore;
	}
	rc = ot_start(o->config);
	if (rc == 0) {
		rc = run_tree(spec, o, stop_ms, sfd, &res);
		ot_thread_detach();
		ot_shutdown();
	}
	drain_signals(sfd);
	close(sfd);
restore:
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (out)
		*out = res;
	return rc;
}
