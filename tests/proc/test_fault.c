/* SPDX-License-Identifier: MIT */
/*
 * test_fault.c — real faults inside processes: a NULL write, an integer
 * divide by zero, abort(), a failed assert and a stack overflow each end
 * only the faulting process, with a crash reason that its links and
 * monitors see alike; a thousand of each leak nothing; crash reports go to
 * the logger; and a fault outside any process still kills the program.
 *
 * Every test here faults on purpose: the TCases are named crash_* and
 * tagged "crash", so that a valgrind run can leave them out
 * (CK_EXCLUDE_TAGS=crash).
 */
#undef NDEBUG /* the assert test needs assert() */
#include <assert.h>
#ifdef NDEBUG
#error "test_fault.c must be built without NDEBUG"
#endif

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#include "faults.h"

/* Commands to a helper process (the tag), each with a struct hcmd. */
enum {
	H_TRAP = 1, /* ot_trap_exit(true) */
	H_LINK,	    /* ot_link(pid) */
	H_MONITOR,  /* ot_monitor(pid) */
	H_SPAWN,    /* spawn a crasher, linked, with fault/stack/name */
	H_QUIT,
	/* from helpers to the test thread */
	A_REPLY = 100,
	A_EXIT, /* an ot_exit_info */
	A_DOWN, /* an ot_down_info */
	/* plain messages */
	T_GO = 200,
	T_PING,
	T_PONG,
	T_SURVIVED,
};

struct hcmd {
	ot_pid pid;
	int fault;
	size_t stack_size;
	char name[OT_NAME_MAX + 1];
};

struct hreply {
	int64_t rc;
	ot_pid pid;
	ot_ref ref;
};

static ot_pid g_test; /* the test thread, set before spawning */

/* Waits for T_GO, then faults. Should it survive, it says so. */
static void crasher(void *arg)
{
	int f = (int)(intptr_t)arg;
	ot_msg *m;
	if (ot_receive(&m, scaled_ms(5000)) != 0)
		return;
	ot_msg_free(m);
	do_fault(f);
	ot_send(g_test, T_SURVIVED, &f, sizeof(f));
}

/* ---- helpers: processes that obey the test thread ------------------------ */

static void hreply(struct hreply r)
{
	ot_send(g_test, A_REPLY, &r, sizeof(r));
}

static void helper(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		const ot_exit_info *ei = ot_msg_exit(m);
		const ot_down_info *di = ot_msg_down(m);
		uint64_t op = ot_msg_tag(m);
		struct hcmd c;
		struct hreply r;
		memset(&c, 0, sizeof(c));
		memset(&r, 0, sizeof(r));
		if (ot_msg_size(m) == sizeof(c))
			memcpy(&c, ot_msg_data(m), sizeof(c));
		if (ei)
			ot_send(g_test, A_EXIT, ei, sizeof(*ei));
		else if (di)
			ot_send(g_test, A_DOWN, di, sizeof(*di));
		ot_msg_free(m);
		if (ei || di)
			continue;
		switch (op) {
		case H_TRAP:
			r.rc = ot_trap_exit(true, NULL);
			hreply(r);
			break;
		case H_LINK:
			r.rc = ot_link(c.pid);
			hreply(r);
			break;
		case H_MONITOR:
			r.rc = ot_monitor(c.pid, &r.ref);
			hreply(r);
			break;
		case H_SPAWN: {
			ot_spawn_opts o = {.stack_size = c.stack_size,
					   .name = c.name[0] ? c.name : NULL,
					   .flags = OT_SPAWN_LINK};
			r.rc = ot_spawn(crasher, (void *)(intptr_t)c.fault, &o,
					&r.pid);
			hreply(r);
			break;
		}
		case H_QUIT:
			return;
		default:
			break;
		}
	}
}

struct match_arg {
	ot_pid from;
	uint64_t tag;
};

static bool match_from_tag(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	return ot_msg_tag(m) == a->tag && ot_pid_equal(ot_msg_from(m), a->from);
}

static bool match_tag(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	return ot_msg_tag(m) == a->tag;
}

/* Takes the message from `from` with `tag` into buf (size bytes). */
static void expect_from(ot_pid from, uint64_t tag, void *buf, size_t size,
			const char *what)
{
	struct match_arg ma = {.from = from, .tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_from_tag, &ma, &m, scaled_ms(5000));
	if (rc != 0) {
		/* a crasher that survived says so: name that instead */
		struct match_arg sv = {.tag = T_SURVIVED};
		if (ot_receive_match(match_tag, &sv, &m, 0) == 0) {
			int f;
			memcpy(&f, ot_msg_data(m), sizeof(f));
			ot_msg_free(m);
			ck_abort_msg("%s: the %s did not end the process", what,
				     fault_names[f]);
		}
		ck_abort_msg("%s: nothing came: %s", what, ot_err_name(rc));
	}
	ck_assert_uint_eq(ot_msg_size(m), size);
	memcpy(buf, ot_msg_data(m), size);
	ot_msg_free(m);
}

static struct hreply hcall(ot_pid h, uint64_t op, const struct hcmd *c)
{
	struct hcmd none;
	if (!c) {
		memset(&none, 0, sizeof(none));
		c = &none;
	}
	ck_assert_ot_ok(ot_send(h, op, c, sizeof(*c)));
	struct hreply r;
	expect_from(h, A_REPLY, &r, sizeof(r), "helper reply");
	return r;
}

static ot_pid spawn_helper(bool trap)
{
	ot_pid h;
	ck_assert_ot_ok(ot_spawn(helper, NULL, NULL, &h));
	if (trap)
		ck_assert_ot_ok((int)hcall(h, H_TRAP, NULL).rc);
	return h;
}

static void stop_helper(ot_pid h)
{
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(h, &ref));
	ck_assert_ot_ok(ot_send(h, H_QUIT, NULL, 0));
	ot_down_info d = ot_test_expect_down(ref, 5000, "stopping a helper");
	ot_reason normal = ot_reason_normal();
	assert_reason(&d.reason, &normal, "stopped helper");
}

/* ---- the crash report logger --------------------------------------------- */

#define LOG_SIZE 16384

/* Copies report number i (counting from 0) into buf (LOG_SIZE bytes). */
static void report_copy(int i, char *buf)
{
	ck_assert_msg(ot_test_log_copy(i, buf, LOG_SIZE),
		      "report %d not kept (%d so far)", i, ot_test_log_count());
}

/* Waits until want reports came, then a little more to see no extra. */
static void expect_reports(int want, const char *what)
{
	int64_t deadline = now_ms() + scaled_ms(3000);
	while (ot_test_log_count() < want && now_ms() < deadline)
		ot_sleep(2);
	ot_sleep(30);
	int n = ot_test_log_count();
	ck_assert_msg(n == want, "%s: %d crash reports, want %d", what, n,
		      want);
}

static void setup_small_table(void)
{
	/* a small process table: leaked slots soon show as OT_ELIMIT */
	ot_config cfg = {.schedulers = 2, .max_processes = 64};
	ot_test_setup_with(&cfg);
	ot_test_log_capture();
}

/* ---- one fault, seen from a link and a monitor --------------------------- */

struct crash_seen {
	ot_pid pid;
	ot_exit_info exit; /* what the trapping parent got */
	ot_down_info down; /* what the watcher got */
};

/* The parent (trapping) spawns a crasher linked to it, the watcher
 * monitors it, then it is let go. */
static struct crash_seen run_fault(ot_pid parent, ot_pid watcher, int fault,
				   const char *name)
{
	struct crash_seen s;
	struct hcmd c;
	memset(&c, 0, sizeof(c));
	c.fault = fault;
	c.stack_size = fault == F_OVERFLOW ? 64 * 1024 : 0;
	if (name)
		snprintf(c.name, sizeof(c.name), "%s", name);
	struct hreply r = hcall(parent, H_SPAWN, &c);
	ck_assert_msg(r.rc == 0, "spawning a crasher: %s",
		      ot_err_name((int)r.rc));
	s.pid = r.pid;
	c.pid = r.pid;
	r = hcall(watcher, H_MONITOR, &c);
	ck_assert_ot_ok((int)r.rc);
	ck_assert_ot_ok(ot_send(s.pid, T_GO, NULL, 0));
	expect_from(parent, A_EXIT, &s.exit, sizeof(s.exit),
		    fault_names[fault]);
	expect_from(watcher, A_DOWN, &s.down, sizeof(s.down),
		    fault_names[fault]);
	ck_assert_uint_eq(s.down.ref.id, r.ref.id);
	return s;
}

/* Both saw the same crash, the one the fault should give. */
static void check_crash(const struct crash_seen *s, int fault, size_t round)
{
	char what[96];
	snprintf(what, sizeof(what), "%s, round %zu", fault_names[fault],
		 round);
	const ot_reason *r = &s->exit.reason;
	ck_assert_msg(ot_pid_equal(s->exit.from, s->pid), "%s: EXIT from %llx",
		      what, (unsigned long long)s->exit.from.id);
	ck_assert_msg(ot_pid_equal(s->down.pid, s->pid), "%s: DOWN of %llx",
		      what, (unsigned long long)s->down.pid.id);
	assert_reason(&s->down.reason, r, what); /* link and monitor agree */
	ot_test_check_crash(r, fault, what);
}

/* Answers one T_PING with T_PONG. */
static void echo_once(void *arg)
{
	(void)arg;
	ot_msg *m;
	if (ot_receive(&m, scaled_ms(5000)) == 0) {
		ot_send(ot_msg_from(m), T_PONG, NULL, 0);
		ot_msg_free(m);
	}
}

static void expect_runtime_serves(void)
{
	ot_pid e;
	ck_assert_ot_ok(ot_spawn(echo_once, NULL, NULL, &e));
	ck_assert_ot_ok(ot_send(e, T_PING, NULL, 0));
	struct match_arg ma = {.from = e, .tag = T_PONG};
	ot_msg *m;
	ck_assert_ot_ok(
	    ot_receive_match(match_from_tag, &ma, &m, scaled_ms(3000)));
	ot_msg_free(m);
}

/* Silences stderr (assert() writes there) until restore_stderr(). */
static int quiet_stderr(void)
{
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int devnull = open("/dev/null", O_WRONLY);
	if (saved >= 0 && devnull >= 0)
		dup2(devnull, STDERR_FILENO);
	if (devnull >= 0)
		close(devnull);
	return saved;
}

static void restore_stderr(int saved)
{
	if (saved < 0)
		return;
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
}

/* The loop test: _i is the fault. Each of ot_test_scaled(1000) rounds
 * crashes one process; the runtime must give everything back. */
START_TEST(test_fault_repeated)
{
	int fault = _i;
	g_test = ot_self();
	ot_pid parent = spawn_helper(true), watcher = spawn_helper(false);
	size_t rounds = ot_test_scaled(1000);
	const size_t warm = 10;
	ot_stats st0;
	memset(&st0, 0, sizeof(st0));
	int saved = fault == F_ASSERT ? quiet_stderr() : -1;

	for (size_t i = 0; i < rounds; i++) {
		struct crash_seen s = run_fault(parent, watcher, fault, NULL);
		check_crash(&s, fault, i);
		if (i + 1 == warm) {
			ck_assert(ot_is_alive(parent) && ot_is_alive(watcher));
			ck_assert_ot_ok(ot_runtime_stats(&st0));
		}
	}
	restore_stderr(saved);

	/* the crashed processes are gone, and so are their stacks */
	int64_t deadline = now_ms() + scaled_ms(3000);
	ot_stats st;
	do {
		ck_assert_ot_ok(ot_runtime_stats(&st));
		if (st.processes <= 2)
			break;
		ot_sleep(2);
	} while (now_ms() < deadline);
	ck_assert_msg(st.processes == 2, "%zu processes alive, want 2",
		      st.processes);
	/* stacks holding frames: at most one for each live process */
	ck_assert_msg(st.stacks_in_use <= 2, "%zu stacks in use, want <= 2",
		      st.stacks_in_use);
	/* crashed processes leave no saved frames, and no more stacks are
	 * mapped than the class shares */
	ck_assert_msg(st.stacks_pooled <= OT_DEFAULT_SHARED_STACKS,
		      "%zu stacks mapped (%zu before)", st.stacks_pooled,
		      st0.stacks_pooled);
	ck_assert_uint_eq(st.stacks_guarded, st.stacks_pooled);
	ck_assert_uint_ge(st.spawned, rounds + 2);

	/* one crash report each */
	expect_reports((int)rounds, fault_names[fault]);

	/* and the runtime goes on serving */
	ck_assert(ot_is_alive(parent) && ot_is_alive(watcher));
	expect_runtime_serves();
	stop_helper(parent);
	stop_helper(watcher);
}
END_TEST

/* ---- a named crasher with a trapping and a non-trapping link --------------
 */

static bool line_is_frame(const char *line, size_t len, const char *reason)
{
	char buf[1024];
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (strstr(buf, reason))
		return false;
	return strstr(buf, "0x") != NULL || strstr(buf, "test_fault") != NULL;
}

/* Checks a crash report: pid, name, reason, and a backtrace. */
static void check_report(const char *rep, ot_pid pid, const char *name,
			 const ot_reason *reason)
{
	char pidtext[OT_PID_STRLEN], rtext[OT_REASON_STRLEN];
	ot_pid_format(pid, pidtext, sizeof(pidtext));
	ot_reason_format(reason, rtext, sizeof(rtext));
	ck_assert_msg(strstr(rep, pidtext) != NULL,
		      "the report does not name %s:\n%s", pidtext, rep);
	if (name)
		ck_assert_msg(strstr(rep, name) != NULL,
			      "the report does not name %s:\n%s", name, rep);
	ck_assert_msg(strstr(rep, rtext) != NULL,
		      "the report does not give the reason %s:\n%s", rtext,
		      rep);
	if (reason->kind != OT_REASON_CRASH)
		return;
	int lines = 1, frames = 0;
	const char *p = rep;
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (line_is_frame(p, len, rtext))
			frames++;
		if (!nl)
			break;
		lines++;
		p = nl + 1;
	}
	ck_assert_msg(lines >= 2 && frames >= 1,
		      "no backtrace in the report (%d lines):\n%s", lines, rep);
	ck_assert_msg(rep[strlen(rep) - 1] != '\n',
		      "the report ends with a newline");
}

START_TEST(test_named_crasher_with_links)
{
	g_test = ot_self();
	const char *name = "fault_victim";
	ot_pid parent = spawn_helper(true), watcher = spawn_helper(false),
	       peer = spawn_helper(false);
	struct hcmd c;
	memset(&c, 0, sizeof(c));
	c.fault = F_NULL_WRITE;
	strcpy(c.name, name);
	struct hreply r = hcall(parent, H_SPAWN, &c);
	ck_assert_ot_ok((int)r.rc);
	ot_pid victim = r.pid;
	ot_pid found;
	ck_assert_ot_ok(ot_whereis(name, &found));
	ck_assert(ot_pid_equal(found, victim));

	c.pid = victim;
	ck_assert_ot_ok((int)hcall(peer, H_LINK, &c).rc);
	struct hreply wr = hcall(watcher, H_MONITOR, &c);
	ck_assert_ot_ok((int)wr.rc);
	ot_ref mv, mp;
	ck_assert_ot_ok(ot_monitor(victim, &mv));
	ck_assert_ot_ok(ot_monitor(peer, &mp));

	ck_assert_ot_ok(ot_send(victim, T_GO, NULL, 0));
	ot_down_info dv = ot_test_expect_down(mv, 5000, "the crasher");
	/* the name is released before the DOWN */
	ck_assert_ot_err(ot_whereis(name, &found), OT_ENOTREG);
	struct crash_seen s = {.pid = victim};
	expect_from(parent, A_EXIT, &s.exit, sizeof(s.exit), "parent");
	expect_from(watcher, A_DOWN, &s.down, sizeof(s.down), "watcher");
	check_crash(&s, F_NULL_WRITE, 0);
	assert_reason(&dv.reason, &s.exit.reason, "the test's monitor");

	/* the non-trapping link died of the same crash */
	ot_down_info dp =
	    ot_test_expect_down(mp, 5000, "the non-trapping link");
	assert_reason(&dp.reason, &s.exit.reason, "the non-trapping link");

	/* one report, for the crasher: not for the link it took along */
	expect_reports(1, "named crash");
	char rep[LOG_SIZE];
	report_copy(0, rep);
	check_report(rep, victim, name, &s.exit.reason);
	char peertext[OT_PID_STRLEN];
	ot_pid_format(peer, peertext, sizeof(peertext));
	ck_assert_msg(strstr(rep, peertext) == NULL,
		      "the report names the link %s:\n%s", peertext, rep);

	ck_assert(ot_is_alive(parent) && ot_is_alive(watcher));
	expect_runtime_serves();
	stop_helper(parent);
	stop_helper(watcher);
}
END_TEST

/* ---- crash reports ------------------------------------------------------- */

static void exit_with(void *arg)
{
	ot_exit((const ot_reason *)arg);
}

static void wait_forever(void *arg)
{
	(void)arg;
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

static void just_return(void *arg)
{
	(void)arg;
}

/* Spawns fn(arg) monitored (named if name); returns its pid. */
static ot_pid spawn_mon(ot_proc_fn fn, void *arg, const char *name, ot_ref *ref)
{
	ot_spawn_opts o = {
	    .flags = OT_SPAWN_MONITOR, .monitor_ref = ref, .name = name};
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(fn, arg, &o, &p));
	return p;
}

START_TEST(test_report_for_each_kind_of_crash)
{
	g_test = ot_self();
	ot_pid parent = spawn_helper(true), watcher = spawn_helper(false);
	int saved = quiet_stderr(); /* assert() prints */
	for (int f = 0; f < F_COUNT; f++) {
		struct crash_seen s = run_fault(parent, watcher, f, NULL);
		check_crash(&s, f, 0);
		expect_reports(f + 1, fault_names[f]);
		char rep[LOG_SIZE];
		report_copy(f, rep);
		check_report(rep, s.pid, NULL, &s.exit.reason);
	}
	restore_stderr(saved);

	/* ot_exit with an unclean reason is reported too (no backtrace
	 * needed), with the name */
	ot_reason err = ot_reason_error(7, "plain error");
	ot_ref ref;
	ot_pid p = spawn_mon(exit_with, &err, "fault_reporter", &ref);
	ot_down_info d = ot_test_expect_down(ref, 5000, "ot_exit(error)");
	assert_reason(&d.reason, &err, "ot_exit(error)");
	expect_reports(F_COUNT + 1, "ot_exit(error)");
	char rep[LOG_SIZE];
	report_copy(F_COUNT, rep);
	check_report(rep, p, "fault_reporter", &err);

	stop_helper(parent);
	stop_helper(watcher);
}
END_TEST

/* Waits until only `alive` processes are left (a crashed one is fully
 * gone, its report written or skipped, once it no longer counts). */
static void wait_processes(size_t alive)
{
	int64_t deadline = now_ms() + scaled_ms(3000);
	ot_stats st;
	do {
		ck_assert_ot_ok(ot_runtime_stats(&st));
		if (st.processes == alive)
			return;
		ot_sleep(1);
	} while (now_ms() < deadline);
	ck_abort_msg("%zu processes alive, want %zu", st.processes, alive);
}

/* With ot_log_discard the crash is still an exit reason, but no report is
 * built; with a real logger back, the next crash is reported again. */
START_TEST(test_reports_discarded)
{
	g_test = ot_self();
	ot_pid parent = spawn_helper(true), watcher = spawn_helper(false);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert(ot_log_enabled());
	ck_assert_ot_ok(ot_set_logger(ot_log_discard, NULL));
	ck_assert(!ot_log_enabled());
	struct crash_seen s = run_fault(parent, watcher, F_NULL_WRITE, NULL);
	check_crash(&s, F_NULL_WRITE, 0);
	wait_processes(st.processes);
	ot_test_log_capture();
	ck_assert(ot_log_enabled());
	ck_assert_int_eq(ot_test_log_count(), 0);
	s = run_fault(parent, watcher, F_DIV_ZERO, NULL);
	check_crash(&s, F_DIV_ZERO, 1);
	expect_reports(1, "after discarding");
	stop_helper(parent);
	stop_helper(watcher);
}
END_TEST

START_TEST(test_no_report_when_clean_or_killed)
{
	g_test = ot_self();
	ot_ref ref;
	ot_pid quiet[6];
	int nq = 0;

	/* returns */
	quiet[nq++] = spawn_mon(just_return, NULL, "fault_quiet", &ref);
	ot_test_expect_down(ref, 5000, "return");
	/* clean reasons */
	ot_reason normal = ot_reason_normal(), shut = ot_reason_shutdown(),
		  detail = ot_reason_shutdown_detail("done");
	quiet[nq++] = spawn_mon(exit_with, &normal, NULL, &ref);
	ot_test_expect_down(ref, 5000, "ot_exit(normal)");
	quiet[nq++] = spawn_mon(exit_with, &shut, NULL, &ref);
	ot_test_expect_down(ref, 5000, "ot_exit(shutdown)");
	quiet[nq++] = spawn_mon(exit_with, &detail, NULL, &ref);
	ot_test_expect_down(ref, 5000, "ot_exit({shutdown,done})");
	/* killed */
	ot_reason kill = ot_reason_kill();
	quiet[nq++] = spawn_mon(wait_forever, NULL, NULL, &ref);
	ck_assert_ot_ok(ot_exit_pid(quiet[nq - 1], &kill));
	ot_down_info d = ot_test_expect_down(ref, 5000, "killed");
	ck_assert_int_eq(d.reason.kind, OT_REASON_KILLED);
	/* ended by someone else's exit signal: not its own code */
	ot_reason err = ot_reason_error(3, "from outside");
	quiet[nq++] = spawn_mon(wait_forever, NULL, NULL, &ref);
	ck_assert_ot_ok(ot_exit_pid(quiet[nq - 1], &err));
	d = ot_test_expect_down(ref, 5000, "exit signal");
	assert_reason(&d.reason, &err, "exit signal");

	/* then one crash, whose report must be the only one */
	ot_pid parent = spawn_helper(true), watcher = spawn_helper(false);
	struct crash_seen s = run_fault(parent, watcher, F_NULL_WRITE, NULL);
	check_crash(&s, F_NULL_WRITE, 0);
	expect_reports(1, "after clean exits and kills");
	char rep[LOG_SIZE];
	report_copy(0, rep);
	check_report(rep, s.pid, NULL, &s.exit.reason);
	for (int i = 0; i < nq; i++) {
		char t[OT_PID_STRLEN];
		ot_pid_format(quiet[i], t, sizeof(t));
		ck_assert_msg(strstr(rep, t) == NULL,
			      "process %d (%s) was reported:\n%s", i, t, rep);
	}
	stop_helper(parent);
	stop_helper(watcher);
}
END_TEST

/* ---- faults outside processes still kill the program ----------------------
 */

static void *null_write_thread(void *arg)
{
	if (arg)
		ot_self(); /* attached */
	do_fault(F_NULL_WRITE);
	return NULL;
}

static void *div_zero_thread(void *arg)
{
	(void)arg;
	ot_self();
	do_fault(F_DIV_ZERO);
	return NULL;
}

/* The runtime is running and busy when the thread faults. */
static void start_work(void)
{
	g_test = ot_self();
	expect_runtime_serves();
	ck_assert_ot_ok(ot_spawn(wait_forever, NULL, NULL, NULL));
}

START_TEST(test_fault_in_test_thread)
{
	start_work();
	do_fault(F_NULL_WRITE);
	ck_abort_msg("a NULL write in the test thread did not kill it");
}
END_TEST

START_TEST(test_abort_in_test_thread)
{
	start_work();
	do_fault(F_ABORT);
}
END_TEST

START_TEST(test_fault_in_plain_pthread)
{
	start_work();
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, null_write_thread, NULL), 0);
	pthread_join(th, NULL);
	ck_abort_msg("a NULL write in a pthread did not kill the program");
}
END_TEST

START_TEST(test_fault_in_attached_pthread)
{
	start_work();
	pthread_t th;
	ck_assert_int_eq(
	    pthread_create(&th, NULL, null_write_thread, (void *)1), 0);
	pthread_join(th, NULL);
	ck_abort_msg("a NULL write in an attached pthread did not kill it");
}
END_TEST

START_TEST(test_div_zero_in_attached_pthread)
{
	start_work();
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, div_zero_thread, NULL), 0);
	pthread_join(th, NULL);
	ck_abort_msg("a divide by zero in a pthread did not kill the program");
}
END_TEST

static TCase *crash_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, ot_test_log_capture, NULL);
	tcase_set_tags(tc, "crash");
	return tc;
}

static Suite *fault_suite(void)
{
	Suite *s = suite_create("fault");

	TCase *tc = tcase_create("crash_repeated");
	tcase_add_checked_fixture(tc, setup_small_table, ot_test_teardown);
	tcase_set_timeout(tc, 30);
	tcase_set_tags(tc, "crash");
	tcase_add_loop_test(tc, test_fault_repeated, 0, F_COUNT);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_links", 10);
	tcase_add_test(tc, test_named_crasher_with_links);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_report", 10);
	tcase_add_test(tc, test_report_for_each_kind_of_crash);
	tcase_add_test(tc, test_no_report_when_clean_or_killed);
	tcase_add_test(tc, test_reports_discarded);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_outside", 10);
	tcase_add_test_raise_signal(tc, test_fault_in_test_thread, SIGSEGV);
	tcase_add_test_raise_signal(tc, test_abort_in_test_thread, SIGABRT);
	tcase_add_test_raise_signal(tc, test_fault_in_plain_pthread, SIGSEGV);
	tcase_add_test_raise_signal(tc, test_fault_in_attached_pthread,
				    SIGSEGV);
	tcase_add_test_raise_signal(tc, test_div_zero_in_attached_pthread,
				    SIGFPE);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(fault_suite());
}
