/* SPDX-License-Identifier: MIT */
/*
 * test_signal.c — links, monitors and exit signals, rule by rule as Erlang
 * has them: atomic spawn_link/spawn_monitor, link and unlink, trap_exit,
 * exit/2 with normal, kill and other reasons, demonitor and its flags,
 * the order of messages before signals, names released before signals go
 * out, forged system messages refused, bad input, and many processes.
 *
 * Most tests drive "agents": processes that obey commands from the test
 * thread (link, trap exits, monitor, exit, ...), reply with the result,
 * and forward every EXIT and DOWN they receive. The test thread asserts.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

/* Commands to an agent (the tag), each with a struct cmd. */
enum {
	C_PING = 1,
	C_TRAP,		/* ot_trap_exit(on) */
	C_LINK,		/* ot_link(pid) */
	C_UNLINK,	/* ot_unlink(pid) */
	C_MONITOR,	/* ot_monitor(pid) */
	C_MONITOR_NAME, /* ot_monitor_name(name) */
	C_DEMONITOR,	/* ot_demonitor(ref, flags) */
	C_EXIT,		/* ot_exit(reason); replies only if it returns */
	C_EXIT_NULL,	/* ot_exit(NULL) */
	C_EXIT_PID,	/* ot_exit_pid(pid, reason); replies if it returns */
	C_SPAWN,	/* ot_spawn(kind, n, flags, name) */
	C_WATCH,	/* look name up each time an EXIT/DOWN comes in */
	C_SPIN,		/* reply, spin without yielding until released */
	C_SEND_N,	/* send n T_DATA to pid, then ot_exit(reason) */
	C_WAIT,		/* wait n ms in the way given by flags, reply */
	C_QUIT,		/* return (reason normal) */
	/* from agents to the test thread */
	A_REPLY = 100,
	A_EXIT,	 /* a struct fwd, exit filled */
	A_DOWN,	 /* a struct fwd, down filled */
	A_OTHER, /* any other message, payload copied */
	/* plain messages */
	T_DATA = 200,
	T_READY,
};

/* What C_SPAWN and the test thread start. */
enum { K_AGENT, K_DIE, K_RETURN };

/* C_SPIN flags: after the spin, ot_trap_exit(on); or reply with
 * ot_demonitor(ref, OT_DEMONITOR_FLUSH). */
#define SPIN_SET_TRAP	     1u
#define SPIN_DEMONITOR_FLUSH 2u
#define SPIN_UNLINK	     4u /* reply with ot_unlink(g_spin_pid) */

/* C_WAIT flags: how to wait. */
enum { WAIT_SLEEP, WAIT_RECEIVE_MATCH, WAIT_YIELD };

struct cmd {
	ot_pid pid;
	ot_reason reason;
	ot_ref ref;
	unsigned flags;
	bool on;
	int kind;
	int64_t n;
	char name[OT_NAME_MAX + 1];
};

struct reply {
	int64_t rc;
	bool old;
	ot_pid pid;
	ot_ref ref;
};

struct fwd {
	ot_exit_info exit;
	ot_down_info down;
	int whereis_rc; /* ot_whereis(watched name) when it came in */
};

static ot_pid g_test;	     /* the test thread, set before spawning */
static atomic_int g_release; /* ends a C_SPIN */
static ot_pid g_spin_pid;    /* for SPIN_UNLINK; set before g_release */

static ot_reason mk(ot_reason_kind kind)
{
	ot_reason r;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	return r;
}

#define assert_pid(got, want, what)                                            \
	ck_assert_msg(ot_pid_equal((got), (want)), "%s: pid %llx, want %llx",  \
		      (what), (unsigned long long)(got).id,                    \
		      (unsigned long long)(want).id)

/* ---- the processes ------------------------------------------------------- */

static void die_at_once(void *arg)
{
	ot_reason r = ot_reason_error((int)(intptr_t)arg, "at once");
	ot_exit(&r);
}

static void return_at_once(void *arg)
{
	(void)arg;
}

static void agent(void *arg);

static ot_proc_fn kind_fn(int kind)
{
	return kind == K_DIE	  ? die_at_once
	       : kind == K_RETURN ? return_at_once
				  : agent;
}

static void reply(struct reply r)
{
	ot_send(g_test, A_REPLY, &r, sizeof(r));
}

static void reply_rc(int64_t rc)
{
	struct reply r = {.rc = rc};
	reply(r);
}

static void spin(void)
{
	int64_t deadline = now_ms() + scaled_ms(5000);
	while (!atomic_load(&g_release) && now_ms() < deadline)
		;
}

static bool match_nothing(const ot_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return false;
}

static void agent_wait(unsigned how, int ms)
{
	ot_msg *m;
	int64_t deadline = now_ms() + ms;
	switch (how) {
	case WAIT_SLEEP:
		ot_sleep(ms);
		break;
	case WAIT_RECEIVE_MATCH:
		if (ot_receive_match(match_nothing, NULL, &m, ms) == 0)
			ot_msg_free(m);
		break;
	case WAIT_YIELD:
		while (now_ms() < deadline)
			ot_yield();
		break;
	default:
		break;
	}
}

static void agent_cmd(uint64_t op, const struct cmd *c)
{
	struct reply r;
	memset(&r, 0, sizeof(r));
	switch (op) {
	case C_PING:
		r.pid = ot_self();
		reply(r);
		break;
	case C_TRAP:
		r.rc = ot_trap_exit(c->on, &r.old);
		reply(r);
		break;
	case C_LINK:
		reply_rc(ot_link(c->pid));
		break;
	case C_UNLINK:
		reply_rc(ot_unlink(c->pid));
		break;
	case C_MONITOR:
		r.rc = ot_monitor(c->pid, &r.ref);
		reply(r);
		break;
	case C_MONITOR_NAME:
		r.rc = ot_monitor_name(c->name, &r.ref);
		reply(r);
		break;
	case C_DEMONITOR:
		reply_rc(ot_demonitor(c->ref, c->flags));
		break;
	case C_EXIT:
		reply_rc(ot_exit(&c->reason));
		break;
	case C_EXIT_NULL:
		reply_rc(ot_exit(NULL));
		break;
	case C_EXIT_PID:
		reply_rc(ot_exit_pid(
		    ot_pid_is_none(c->pid) ? ot_self() : c->pid, &c->reason));
		break;
	case C_SPAWN: {
		ot_spawn_opts o = {.flags = c->flags,
				   .name = c->name[0] ? c->name : NULL,
				   .monitor_ref = &r.ref};
		r.rc = ot_spawn(kind_fn(c->kind), (void *)(intptr_t)c->n, &o,
				&r.pid);
		reply(r);
		break;
	}
	case C_SPIN:
		reply_rc(0);
		spin();
		if (c->flags & SPIN_SET_TRAP)
			ot_trap_exit(c->on, NULL);
		if (c->flags & SPIN_DEMONITOR_FLUSH)
			reply_rc(ot_demonitor(c->ref, OT_DEMONITOR_FLUSH));
		if (c->flags & SPIN_UNLINK)
			reply_rc(ot_unlink(g_spin_pid));
		break;
	case C_WAIT:
		agent_wait(c->flags, (int)c->n);
		reply_rc(0);
		break;
	case C_SEND_N:
		for (int64_t i = 0; i < c->n; i++)
			ot_send(c->pid, T_DATA, &i, sizeof(i));
		ot_exit(&c->reason);
		break;
	default:
		break;
	}
}

/* Obeys commands until C_QUIT; forwards EXIT, DOWN and anything else. */
static void agent(void *arg)
{
	(void)arg;
	char watch[OT_NAME_MAX + 1] = "";
	for (;;) {
		ot_msg *m;
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		const ot_exit_info *ei = ot_msg_exit(m);
		const ot_down_info *di = ot_msg_down(m);
		uint64_t op = ot_msg_tag(m);
		if (ei || di) {
			struct fwd f;
			memset(&f, 0, sizeof(f));
			if (watch[0]) {
				ot_pid p;
				f.whereis_rc = ot_whereis(watch, &p);
			}
			if (ei)
				f.exit = *ei;
			if (di)
				f.down = *di;
			ot_send(g_test, ei ? A_EXIT : A_DOWN, &f, sizeof(f));
		} else if (op >= C_PING && op <= C_QUIT &&
			   ot_msg_size(m) == sizeof(struct cmd)) {
			struct cmd c;
			memcpy(&c, ot_msg_data(m), sizeof(c));
			ot_msg_free(m);
			if (op == C_QUIT)
				return;
			if (op == C_WATCH) {
				memcpy(watch, c.name, sizeof(watch));
				reply_rc(0);
			} else {
				agent_cmd(op, &c);
			}
			continue;
		} else {
			ot_send(g_test, A_OTHER, ot_msg_data(m),
				ot_msg_size(m));
		}
		ot_msg_free(m);
	}
}

/* ---- the test thread's side ---------------------------------------------- */

struct match_arg {
	ot_pid from;
	uint64_t tag;
	ot_ref ref;
};

static bool match_from_tag(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	return ot_msg_tag(m) == a->tag && ot_pid_equal(ot_msg_from(m), a->from);
}

static bool match_tag_only(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	return ot_msg_tag(m) == a->tag;
}

static ot_pid spawn_kind(int kind, intptr_t n, unsigned flags, ot_ref *ref,
			 const char *name)
{
	ot_spawn_opts o = {.flags = flags, .name = name, .monitor_ref = ref};
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(kind_fn(kind), (void *)n, &o, &p));
	return p;
}

static ot_pid spawn_agent(void)
{
	return spawn_kind(K_AGENT, 0, 0, NULL, NULL);
}

static void cast(ot_pid a, uint64_t op, const struct cmd *c)
{
	struct cmd none;
	if (!c) {
		memset(&none, 0, sizeof(none));
		c = &none;
	}
	ck_assert_ot_ok(ot_send(a, op, c, sizeof(*c)));
}

/* Sends a command and waits for the agent's reply. */
static struct reply call(ot_pid a, uint64_t op, const struct cmd *c)
{
	cast(a, op, c);
	struct match_arg ma = {.from = a, .tag = A_REPLY};
	ot_msg *m;
	int rc = ot_receive_match(match_from_tag, &ma, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "no reply from agent %llx to command %llu: %s",
		      (unsigned long long)a.id, (unsigned long long)op,
		      ot_err_name(rc));
	struct reply r;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(r));
	memcpy(&r, ot_msg_data(m), sizeof(r));
	ot_msg_free(m);
	return r;
}

static int call_pid(ot_pid a, uint64_t op, ot_pid pid)
{
	struct cmd c = {.pid = pid};
	return (int)call(a, op, &c).rc;
}

static void set_trap(ot_pid a, bool on)
{
	struct cmd c = {.on = on};
	ck_assert_ot_ok((int)call(a, C_TRAP, &c).rc);
}

static void agent_exit(ot_pid a, ot_reason reason)
{
	struct cmd c = {.reason = reason};
	cast(a, C_EXIT, &c);
}

static void ping(ot_pid a)
{
	struct reply r = call(a, C_PING, NULL);
	assert_pid(r.pid, a, "ping");
}

static struct fwd expect_fwd(ot_pid a, uint64_t tag, int timeout_ms)
{
	struct match_arg ma = {.from = a, .tag = tag};
	ot_msg *m;
	int rc =
	    ot_receive_match(match_from_tag, &ma, &m, scaled_ms(timeout_ms));
	ck_assert_msg(rc == 0, "agent %llx forwarded no %s: %s",
		      (unsigned long long)a.id, tag == A_EXIT ? "EXIT" : "DOWN",
		      ot_err_name(rc));
	struct fwd f;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(f));
	memcpy(&f, ot_msg_data(m), sizeof(f));
	ot_msg_free(m);
	return f;
}

static void expect_no_fwd(ot_pid a, uint64_t tag, int ms)
{
	struct match_arg ma = {.from = a, .tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_from_tag, &ma, &m, ms);
	if (rc == 0) {
		struct fwd f;
		memcpy(&f, ot_msg_data(m), sizeof(f));
		ot_msg_free(m);
		char b[OT_REASON_STRLEN];
		ot_reason_format(tag == A_EXIT ? &f.exit.reason
					       : &f.down.reason,
				 b, sizeof(b));
		ck_abort_msg("agent %llx got an unexpected %s (reason %s)",
			     (unsigned long long)a.id,
			     tag == A_EXIT ? "EXIT" : "DOWN", b);
	}
	ck_assert_ot_err(rc, OT_ETIMEDOUT);
}

static ot_ref mon(ot_pid p)
{
	ot_ref r;
	ck_assert_ot_ok(ot_monitor(p, &r));
	ck_assert_uint_ne(r.id, 0);
	return r;
}

/* Waits for the DOWN of ref and checks its reason. */
static void expect_died(ot_ref ref, ot_pid pid, ot_reason want,
			const char *what)
{
	ot_down_info d = ot_test_expect_down(ref, 3000, __func__);
	assert_pid(d.pid, pid, what);
	assert_reason(&d.reason, &want, what);
}

/* Ends an agent (normally) and waits until it is gone. */
static void stop_agent(ot_pid a)
{
	ot_ref r = mon(a);
	cast(a, C_QUIT, NULL);
	ot_reason normal = ot_reason_normal();
	expect_died(r, a, normal, "stopped agent");
}

/* A pid that was alive and is not any more. */
static ot_pid dead_pid(void)
{
	ot_ref r;
	ot_pid p = spawn_kind(K_RETURN, 0, OT_SPAWN_MONITOR, &r, NULL);
	ot_test_expect_down(r, 3000, __func__);
	ck_assert(!ot_is_alive(p));
	return p;
}

/* A predicate that never takes anything: it only notes whether an EXIT
 * from a pid, or a DOWN with a ref, is in the mailbox. */
struct peek {
	ot_ref ref;  /* a DOWN with this ref, or */
	ot_pid from; /* an EXIT from this pid */
	bool seen;
};

static bool peek_signal(const ot_msg *m, void *arg)
{
	struct peek *p = arg;
	const ot_down_info *d = ot_msg_down(m);
	const ot_exit_info *e = ot_msg_exit(m);
	if (p->ref.id && d && d->ref.id == p->ref.id)
		p->seen = true;
	if (!p->ref.id && e && ot_pid_equal(e->from, p->from))
		p->seen = true;
	return false;
}

static void wait_queued(struct peek *pk)
{
	int64_t deadline = now_ms() + scaled_ms(3000);
	ot_msg *m;
	while (!pk->seen && now_ms() < deadline)
		ot_receive_match(peek_signal, pk, &m, 5);
}

/* Waits until a DOWN for ref is queued, without taking it. */
static void wait_queued_down(ot_ref ref)
{
	struct peek pk = {.ref = ref};
	wait_queued(&pk);
	ck_assert_msg(pk.seen, "the DOWN for ref %llu never arrived",
		      (unsigned long long)ref.id);
}

/* Waits until an EXIT from pid is queued, without taking it. */
static void wait_queued_exit(ot_pid from)
{
	struct peek pk = {.from = from};
	wait_queued(&pk);
	ck_assert_msg(pk.seen, "the EXIT from %llx never arrived",
		      (unsigned long long)from.id);
}

/* ---- spawn_link / spawn_monitor are atomic --------------------------------
 */

#define ATOMIC_ROUNDS 200

START_TEST(test_spawn_link_atomic)
{
	g_test = ot_self();
	/* the foreign test thread: it always traps, so it gets EXIT */
	for (int i = 0; i < ATOMIC_ROUNDS; i++) {
		ot_pid c =
		    spawn_kind(K_DIE, 1000 + i, OT_SPAWN_LINK, NULL, NULL);
		ot_exit_info e = ot_test_expect_exit(c, 3000, __func__);
		ot_reason want = ot_reason_error(1000 + i, "at once");
		assert_reason(&e.reason, &want, "EXIT to the spawning thread");
	}

	/* a process that traps exits */
	ot_pid a = spawn_agent();
	set_trap(a, true);
	for (int i = 0; i < ATOMIC_ROUNDS; i++) {
		struct cmd c = {.kind = K_DIE, .n = i, .flags = OT_SPAWN_LINK};
		struct reply r = call(a, C_SPAWN, &c);
		ck_assert_ot_ok((int)r.rc);
		struct fwd f = expect_fwd(a, A_EXIT, 3000);
		assert_pid(f.exit.from, r.pid, "EXIT to a trapping parent");
		ot_reason want = ot_reason_error(i, "at once");
		assert_reason(&f.exit.reason, &want,
			      "EXIT to a trapping parent");
	}
	stop_agent(a);

	/* a process that does not trap dies with the child's reason */
	for (int i = 0; i < 20; i++) {
		ot_pid b = spawn_agent();
		ot_ref mb = mon(b);
		struct cmd c = {.kind = K_DIE, .n = 77, .flags = OT_SPAWN_LINK};
		cast(b, C_SPAWN, &c);
		expect_died(mb, b, ot_reason_error(77, "at once"),
			    "non-trapping parent");
	}
}
END_TEST

START_TEST(test_spawn_monitor_atomic)
{
	g_test = ot_self();
	for (int i = 0; i < ATOMIC_ROUNDS; i++) {
		ot_ref ref = {0};
		ot_pid c =
		    spawn_kind(K_DIE, 2000 + i, OT_SPAWN_MONITOR, &ref, NULL);
		ck_assert_uint_ne(ref.id, 0);
		ot_down_info d = ot_test_expect_down(ref, 3000, __func__);
		assert_pid(d.pid, c, "DOWN of a spawn_monitor child");
		ck_assert_str_eq(d.name, "");
		ot_reason want = ot_reason_error(2000 + i, "at once");
		assert_reason(&d.reason, &want,
			      "DOWN of a spawn_monitor child");
	}

	/* both at once */
	for (int i = 0; i < ATOMIC_ROUNDS; i++) {
		ot_ref ref = {0};
		ot_pid c = spawn_kind(
		    K_DIE, i, OT_SPAWN_LINK | OT_SPAWN_MONITOR, &ref, NULL);
		ot_reason want = ot_reason_error(i, "at once");
		ot_down_info d = ot_test_expect_down(ref, 3000, __func__);
		assert_reason(&d.reason, &want, "DOWN (link+monitor)");
		ot_exit_info e = ot_test_expect_exit(c, 3000, __func__);
		assert_reason(&e.reason, &want, "EXIT (link+monitor)");
	}

	/* from a process */
	ot_pid a = spawn_agent();
	for (int i = 0; i < ATOMIC_ROUNDS; i++) {
		struct cmd c = {
		    .kind = K_DIE, .n = i, .flags = OT_SPAWN_MONITOR};
		struct reply r = call(a, C_SPAWN, &c);
		ck_assert_ot_ok((int)r.rc);
		ck_assert_uint_ne(r.ref.id, 0);
		struct fwd f = expect_fwd(a, A_DOWN, 3000);
		ck_assert_uint_eq(f.down.ref.id, r.ref.id);
		assert_pid(f.down.pid, r.pid, "DOWN in a process");
		ot_reason want = ot_reason_error(i, "at once");
		assert_reason(&f.down.reason, &want, "DOWN in a process");
	}
	stop_agent(a);
}
END_TEST

START_TEST(test_spawn_bad_flags)
{
	g_test = ot_self();
	ot_stats before;
	ck_assert_ot_ok(ot_runtime_stats(&before));
	ot_ref ref;
	ot_pid p;
	ot_spawn_opts o = {.flags = 4};
	ck_assert_ot_err(ot_spawn(return_at_once, NULL, &o, &p), OT_EINVAL);
	o.flags = 0x80000000u | OT_SPAWN_LINK;
	ck_assert_ot_err(ot_spawn(return_at_once, NULL, &o, &p), OT_EINVAL);
	o.flags = OT_SPAWN_MONITOR; /* without monitor_ref */
	ck_assert_ot_err(ot_spawn(return_at_once, NULL, &o, &p), OT_EINVAL);
	o.flags = OT_SPAWN_MONITOR | OT_SPAWN_LINK;
	ck_assert_ot_err(ot_spawn(return_at_once, NULL, &o, &p), OT_EINVAL);
	o.flags = OT_SPAWN_LINK | OT_SPAWN_MONITOR;
	o.monitor_ref = &ref;
	ck_assert_ot_err(ot_spawn(NULL, NULL, &o, &p), OT_EINVAL);
	ot_stats after;
	ck_assert_ot_ok(ot_runtime_stats(&after));
	ck_assert_uint_eq(after.spawned, before.spawned);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 20), OT_ETIMEDOUT); /* no signals */
}
END_TEST

/* ---- links --------------------------------------------------------------- */

START_TEST(test_link_twice_is_one_link)
{
	g_test = ot_self();
	ot_pid a = spawn_agent(), b = spawn_agent();
	set_trap(a, true);
	ck_assert_ot_ok(call_pid(a, C_LINK, b));
	ck_assert_ot_ok(call_pid(a, C_LINK, b));
	ck_assert_ot_ok(call_pid(b, C_LINK, a)); /* from the other side too */
	ot_reason why = ot_reason_error(3, "once");
	agent_exit(b, why);
	struct fwd f = expect_fwd(a, A_EXIT, 3000);
	assert_pid(f.exit.from, b, "EXIT");
	assert_reason(&f.exit.reason, &why, "EXIT");
	expect_no_fwd(a, A_EXIT, 100); /* one link, one EXIT */
	ping(a);
	stop_agent(a);
}
END_TEST

START_TEST(test_unlink_removes_the_link)
{
	g_test = ot_self();
	/* linked twice, unlinked once: no link left */
	ot_pid c = spawn_agent(), d = spawn_agent();
	set_trap(c, true);
	ck_assert_ot_ok(call_pid(c, C_LINK, d));
	ck_assert_ot_ok(call_pid(c, C_LINK, d));
	ck_assert_ot_ok(call_pid(c, C_UNLINK, d));
	ck_assert_ot_ok(call_pid(c, C_UNLINK, d)); /* no link: still 0 */
	ot_ref md = mon(d);
	agent_exit(d, ot_reason_error(4, "unlinked"));
	expect_died(md, d, ot_reason_error(4, "unlinked"), "d");
	expect_no_fwd(c, A_EXIT, 100);

	/* unlink from the other side: made by c, removed by e */
	ot_pid e = spawn_agent();
	ck_assert_ot_ok(call_pid(c, C_LINK, e));
	ck_assert_ot_ok(call_pid(e, C_UNLINK, c));
	ot_ref me = mon(e);
	agent_exit(e, ot_reason_error(5, "unlinked"));
	expect_died(me, e, ot_reason_error(5, "unlinked"), "e");
	expect_no_fwd(c, A_EXIT, 100);

	/* and the unlinked side is not killed either */
	ot_pid f = spawn_agent(), g = spawn_agent();
	ck_assert_ot_ok(call_pid(f, C_LINK, g));
	ck_assert_ot_ok(call_pid(f, C_UNLINK, g));
	ot_ref mf = mon(f), mg = mon(g);
	agent_exit(f, ot_reason_error(6, "alone"));
	expect_died(mf, f, ot_reason_error(6, "alone"), "f");
	ot_test_expect_no_down(mg, 100, __func__);
	ping(g);

	/* the thread's own links likewise */
	ot_pid h = spawn_agent();
	ck_assert_ot_ok(ot_link(h));
	ck_assert_ot_ok(ot_unlink(h));
	ot_ref mh = mon(h);
	agent_exit(h, ot_reason_error(7, "unlinked from the thread"));
	expect_died(mh, h, ot_reason_error(7, "unlinked from the thread"), "h");
	ot_test_expect_no_exit(h, 100, __func__);

	/* unlinking what was never linked, or a dead pid, is fine */
	ck_assert_ot_ok(call_pid(g, C_UNLINK, c));
	ck_assert_ot_ok(call_pid(g, C_UNLINK, dead_pid()));
	ck_assert_ot_ok(ot_unlink(c));
	ck_assert_ot_ok(ot_unlink(dead_pid()));
	ping(g);
	ping(c);
	stop_agent(c);
	stop_agent(g);
}
END_TEST

START_TEST(test_unlink_keeps_arrived_exit)
{
	g_test = ot_self();
	ot_pid c = spawn_agent();
	ck_assert_ot_ok(ot_link(c));
	agent_exit(c, ot_reason_error(8, "gone"));
	wait_queued_exit(c);
	/* the EXIT is in the mailbox; unlink leaves it there */
	ck_assert_ot_ok(ot_unlink(c));
	ot_exit_info e = ot_test_expect_exit(c, 1000, __func__);
	ot_reason want = ot_reason_error(8, "gone");
	assert_reason(&e.reason, &want, "EXIT after unlink");
}
END_TEST

/* A ping with a short timeout: false if no answer came. */
static bool answers(ot_pid a, int ms)
{
	cast(a, C_PING, NULL);
	struct match_arg ma = {.from = a, .tag = A_REPLY};
	ot_msg *m;
	if (ot_receive_match(match_from_tag, &ma, &m, ms) != 0)
		return false;
	ot_msg_free(m);
	return true;
}

/* The same with several EXITs waiting in the inbox: unlink drops the one
 * of its peer, found through the link (no search of the inbox: issue 14's
 * kill scaling), and no other. The test thread traps (a foreign thread),
 * and looks at no message until it has unlinked. */
START_TEST(test_unlink_drops_only_its_exit)
{
	g_test = ot_self();
	ot_pid p[3];
	for (int i = 0; i < 3; i++) {
		p[i] = spawn_agent();
		ck_assert_ot_ok(ot_link(p[i]));
	}
	ot_reason kill = ot_reason_kill();
	for (int i = 0; i < 3; i++)
		ck_assert_ot_ok(ot_exit_pid(p[i], &kill));
	int64_t until = now_ms() + scaled_ms(3000);
	for (int i = 0; i < 3; i++)
		while (ot_is_alive(p[i]) && now_ms() < until)
			sched_yield();
	ck_assert_ot_ok(ot_unlink(p[1]));
	bool seen[3] = {false, false, false};
	ot_msg *m;
	while (ot_receive(&m, scaled_ms(200)) == 0) {
		const ot_exit_info *e = ot_msg_exit(m);
		for (int i = 0; e && i < 3; i++)
			if (ot_pid_equal(e->from, p[i]))
				seen[i] = true;
		ot_msg_free(m);
	}
	ck_assert(seen[0] && !seen[1] && seen[2]);
}
END_TEST

/* Erlang's unlink/1: once it returns, the link has no effect on the
 * caller any more, even if the peer's exit signal is already on its way
 * (only an EXIT already turned into a message stays). Here b dies while a
 * spins, so b's signal waits in a's inbox when a unlinks. */
START_TEST(test_unlink_cancels_pending_exit)
{
	g_test = ot_self();
	for (int round = 0; round < 5; round++) {
		ot_pid a = spawn_agent(); /* does not trap */
		ot_ref ma = mon(a);
		atomic_store(&g_release, 0);
		g_spin_pid = OT_PID_NONE;
		struct cmd sc = {.flags = SPIN_UNLINK};
		ck_assert_ot_ok((int)call(a, C_SPIN, &sc).rc);

		/* b must run on the other scheduler while a spins: take the
		 * first of a few new processes that answers */
		ot_pid cand[4], b = OT_PID_NONE;
		int ncand = 0;
		while (ncand < 4 && ot_pid_is_none(b)) {
			cand[ncand] = spawn_agent();
			if (answers(cand[ncand], scaled_ms(200)))
				b = cand[ncand];
			ncand++;
		}
		if (ot_pid_is_none(b))
			atomic_store(&g_release, 1);
		ck_assert_msg(!ot_pid_is_none(b),
			      "no new process ran while a held a scheduler");
		ck_assert_ot_ok(call_pid(b, C_LINK, a));
		ot_ref mb = mon(b);
		ot_reason why = ot_reason_error(13, "dies before the unlink");
		ck_assert_ot_ok(ot_exit_pid(b, &why));
		expect_died(mb, b, why, "b");

		g_spin_pid = b;
		atomic_store(&g_release, 1);
		struct match_arg mr = {.from = a, .tag = A_REPLY};
		ot_msg *m;
		int rc =
		    ot_receive_match(match_from_tag, &mr, &m, scaled_ms(3000));
		ck_assert_msg(rc == 0, "no reply to the unlink: %s",
			      ot_err_name(rc));
		struct reply ur;
		memcpy(&ur, ot_msg_data(m), sizeof(ur));
		ot_msg_free(m);
		ck_assert_ot_ok((int)ur.rc);

		/* a waits again (acting on its signals): it must live on */
		if (!answers(a, scaled_ms(1000))) {
			ot_down_info d =
			    ot_test_expect_down(ma, 1000, __func__);
			char t[OT_REASON_STRLEN];
			ot_reason_format(&d.reason, t, sizeof(t));
			ck_abort_msg("round %d: a died with %s through a link "
				     "it had removed (its unlink returned "
				     "before it acted on b's exit signal)",
				     round, t);
		}
		ot_test_expect_no_down(ma, 20, __func__);
		stop_agent(a);
		for (int i = 0; i < ncand; i++)
			if (!ot_pid_equal(cand[i], b))
				stop_agent(cand[i]);
	}
}
END_TEST

START_TEST(test_link_self_does_nothing)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_link(g_test));
	ck_assert_ot_ok(ot_unlink(g_test));
	ck_assert_ot_ok(ot_link(g_test));
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);

	ot_pid a = spawn_agent();
	set_trap(a, true);
	ck_assert_ot_ok(call_pid(a, C_LINK, a));
	expect_no_fwd(a, A_EXIT, 50);
	ping(a);
	ck_assert_ot_ok(call_pid(a, C_UNLINK, a));
	ot_ref ma = mon(a);
	agent_exit(a, ot_reason_error(1, "self linked"));
	expect_died(ma, a, ot_reason_error(1, "self linked"), "a");

	ot_pid b = spawn_agent(); /* not trapping */
	ck_assert_ot_ok(call_pid(b, C_LINK, b));
	ping(b);
	stop_agent(b);
}
END_TEST

START_TEST(test_link_dead_pid_trapping)
{
	g_test = ot_self();
	ot_pid dead = dead_pid();
	ot_reason noproc = mk(OT_REASON_NOPROC);

	/* a foreign thread always traps */
	ck_assert_ot_ok(ot_link(dead));
	ot_exit_info e = ot_test_expect_exit(dead, 1000, __func__);
	assert_reason(&e.reason, &noproc, "link to a dead pid (thread)");

	/* a well-formed pid that never lived */
	ot_pid never = {((uint64_t)77 << 32) | 4242};
	ck_assert(!ot_is_alive(never));
	ck_assert_ot_ok(ot_link(never));
	e = ot_test_expect_exit(never, 1000, __func__);
	assert_reason(&e.reason, &noproc, "link to a pid never used");

	/* a process that traps */
	ot_pid a = spawn_agent();
	set_trap(a, true);
	ck_assert_ot_ok(call_pid(a, C_LINK, dead));
	struct fwd f = expect_fwd(a, A_EXIT, 1000);
	assert_pid(f.exit.from, dead, "EXIT noproc");
	assert_reason(&f.exit.reason, &noproc, "link to a dead pid (process)");
	ping(a);
	stop_agent(a);
}
END_TEST

START_TEST(test_link_dead_pid_not_trapping)
{
	g_test = ot_self();
	ot_pid dead = dead_pid();
	ot_pid a = spawn_agent();
	ot_ref ma = mon(a);
	ck_assert_ot_err(call_pid(a, C_LINK, dead), OT_ENOPROC);
	ot_pid never = {((uint64_t)77 << 32) | 4243};
	ck_assert_ot_err(call_pid(a, C_LINK, never), OT_ENOPROC);
	/* it goes on: no death, no message */
	ot_test_expect_no_down(ma, 50, __func__);
	expect_no_fwd(a, A_EXIT, 10);
	ping(a);
	stop_agent(a);
}
END_TEST

START_TEST(test_normal_exit_spares_links)
{
	g_test = ot_self();
	ot_pid p = spawn_agent(), q = spawn_agent(), r = spawn_agent();
	set_trap(r, true);
	ck_assert_ot_ok(call_pid(p, C_LINK, q));
	ck_assert_ot_ok(call_pid(r, C_LINK, q));
	ck_assert_ot_ok(ot_link(q));
	ot_ref mp = mon(p), mq = mon(q);

	ot_reason normal = ot_reason_normal();
	agent_exit(q, normal);
	expect_died(mq, q, normal, "q");
	/* the trapping one is told, the other one lives on */
	struct fwd f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, q, "EXIT normal");
	assert_reason(&f.exit.reason, &normal, "EXIT normal");
	ot_exit_info e =
	    ot_test_expect_exit(q, 3000, __func__); /* the thread traps */
	assert_reason(&e.reason, &normal, "EXIT normal to the thread");
	ot_test_expect_no_down(mp, 100, __func__);
	ping(p);

	/* returning from the function is a normal exit too */
	struct cmd c = {.kind = K_RETURN, .flags = OT_SPAWN_LINK};
	struct reply rp = call(p, C_SPAWN, &c);
	ck_assert_ot_ok((int)rp.rc);
	c.flags = OT_SPAWN_LINK;
	struct reply rr = call(r, C_SPAWN, &c);
	f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, rr.pid, "EXIT after return");
	assert_reason(&f.exit.reason, &normal, "EXIT after return");
	ot_test_expect_no_down(mp, 50, __func__);
	ping(p);
	stop_agent(p);
	stop_agent(r);
}
END_TEST

START_TEST(test_abnormal_exit_kills_links)
{
	g_test = ot_self();
	ot_reason reasons[] = {ot_reason_error(5, "boom"), ot_reason_shutdown(),
			       ot_reason_shutdown_detail("disk full"),
			       mk(OT_REASON_TIMEOUT)};
	ot_pid r = spawn_agent();
	set_trap(r, true);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		ot_pid p = spawn_agent(), q = spawn_agent();
		ck_assert_ot_ok(call_pid(p, C_LINK, q));
		ck_assert_ot_ok(call_pid(r, C_LINK, q));
		ot_ref mp = mon(p), mq = mon(q);
		agent_exit(q, reasons[i]);
		expect_died(mq, q, reasons[i], "the process that exits");
		expect_died(mp, p, reasons[i], "its non-trapping link");
		struct fwd f = expect_fwd(r, A_EXIT, 3000);
		assert_pid(f.exit.from, q, "EXIT to the trapping link");
		assert_reason(&f.exit.reason, &reasons[i],
			      "EXIT to the trapping link");
	}
	ping(r); /* it survived all of it */
	stop_agent(r);
}
END_TEST

/* A-B-C linked in a chain: C's reason travels to A, and on to the test
 * thread, which is linked to A. */
START_TEST(test_chain_keeps_reason)
{
	g_test = ot_self();
	ot_pid a = spawn_kind(K_AGENT, 0, OT_SPAWN_LINK, NULL, NULL);
	struct cmd c = {.kind = K_AGENT, .flags = OT_SPAWN_LINK};
	struct reply rb = call(a, C_SPAWN, &c);
	ck_assert_ot_ok((int)rb.rc);
	struct reply rcc = call(rb.pid, C_SPAWN, &c);
	ck_assert_ot_ok((int)rcc.rc);
	ot_pid b = rb.pid, cc = rcc.pid;
	ot_ref ma = mon(a), mb = mon(b), mc = mon(cc);
	ot_reason why = ot_reason_error(9, "chain");
	agent_exit(cc, why);
	expect_died(mc, cc, why, "C");
	expect_died(mb, b, why, "B");
	expect_died(ma, a, why, "A");
	ot_exit_info e = ot_test_expect_exit(a, 3000, __func__);
	assert_reason(&e.reason, &why, "EXIT from A to the thread");
}
END_TEST

/* ---- trap_exit ----------------------------------------------------------- */

START_TEST(test_trap_exit_toggle)
{
	g_test = ot_self();
	ot_pid p = spawn_agent();
	struct cmd c = {.on = true};
	struct reply r = call(p, C_TRAP, &c);
	ck_assert_ot_ok((int)r.rc);
	ck_assert(!r.old); /* off by default */
	r = call(p, C_TRAP, &c);
	ck_assert(r.old);
	c.on = false;
	r = call(p, C_TRAP, &c);
	ck_assert(r.old);
	r = call(p, C_TRAP, &c);
	ck_assert(!r.old);

	/* on: an abnormal exit of a link is a message */
	set_trap(p, true);
	ot_pid q = spawn_agent();
	ck_assert_ot_ok(call_pid(p, C_LINK, q));
	agent_exit(q, ot_reason_error(1, "first"));
	struct fwd f = expect_fwd(p, A_EXIT, 3000);
	ot_reason want = ot_reason_error(1, "first");
	assert_reason(&f.exit.reason, &want, "EXIT while trapping");

	/* off again: the next one kills */
	set_trap(p, false);
	ot_pid q2 = spawn_agent();
	ck_assert_ot_ok(call_pid(p, C_LINK, q2));
	ot_ref mp = mon(p);
	agent_exit(q2, ot_reason_error(2, "second"));
	expect_died(mp, p, ot_reason_error(2, "second"), "no longer trapping");
	expect_no_fwd(p, A_EXIT, 20);
}
END_TEST

/* trap_exit is read when the signal is acted on, not when it arrives: the
 * agent spins (it cannot act on signals), the signal arrives, the agent
 * changes its flag, then waits. */
START_TEST(test_trap_exit_read_when_processed)
{
	g_test = ot_self();

	/* arrives while not trapping, acted on while trapping: a message */
	ot_pid p = spawn_agent();
	ot_ref mp = mon(p);
	atomic_store(&g_release, 0);
	struct cmd c = {.flags = SPIN_SET_TRAP, .on = true};
	ck_assert_ot_ok((int)call(p, C_SPIN, &c).rc);
	ot_reason why = ot_reason_error(11, "while spinning");
	ck_assert_ot_ok(ot_exit_pid(p, &why));
	atomic_store(&g_release, 1);
	struct fwd f = expect_fwd(p, A_EXIT, 3000);
	assert_pid(f.exit.from, g_test, "EXIT from exit_pid");
	assert_reason(&f.exit.reason, &why, "EXIT read while trapping");
	ot_test_expect_no_down(mp, 20, __func__);
	ping(p);

	/* arrives while trapping, acted on while not trapping: death */
	atomic_store(&g_release, 0);
	c.on = false;
	ck_assert_ot_ok((int)call(p, C_SPIN, &c).rc);
	ot_reason why2 = ot_reason_error(12, "trap turned off");
	ck_assert_ot_ok(ot_exit_pid(p, &why2));
	atomic_store(&g_release, 1);
	expect_died(mp, p, why2, "acted on after trap_exit(false)");
	expect_no_fwd(p, A_EXIT, 20);
}
END_TEST

/* ---- signals end a process that waits ------------------------------------ */

/* An exit signal is acted on whenever the process waits: in a sleep, in a
 * selective receive that takes nothing, between yields. It does not wait
 * for the sleep or the receive to time out. */
START_TEST(test_signal_ends_a_waiting_process)
{
	g_test = ot_self();
	static const char *const how[] = {"ot_sleep", "ot_receive_match",
					  "ot_yield"};
	ot_reason reasons[] = {ot_reason_error(14, "wake up"),
			       ot_reason_kill()};
	ot_reason killed = mk(OT_REASON_KILLED);
	for (unsigned w = WAIT_SLEEP; w <= WAIT_YIELD; w++) {
		for (int k = 0; k < 2; k++) {
			ot_pid p = spawn_agent();
			ot_ref mp = mon(p);
			ping(p);
			struct cmd c = {.flags = w, .n = scaled_ms(5000)};
			cast(p, C_WAIT, &c);
			ot_sleep(20); /* it is waiting now */
			int64_t t0 = now_ms();
			ck_assert_ot_ok(ot_exit_pid(p, &reasons[k]));
			ot_down_info d =
			    ot_test_expect_down(mp, 2000, __func__);
			int64_t took = now_ms() - t0;
			char what[64];
			snprintf(what, sizeof(what), "exit signal during %s",
				 how[w]);
			assert_reason(&d.reason, k ? &killed : &reasons[k],
				      what);
			ck_assert_msg(took < scaled_ms(1000),
				      "%s: the signal took %lld ms", what,
				      (long long)took);
		}
	}
}
END_TEST

/* ---- exit_pid ------------------------------------------------------------ */

START_TEST(test_exit_pid_normal)
{
	g_test = ot_self();
	ot_reason normal = ot_reason_normal();
	ot_pid p = spawn_agent(), r = spawn_agent(), s = spawn_agent();
	set_trap(r, true);
	ot_ref mp = mon(p);

	/* to one that does not trap: ignored, from a thread or a process */
	ck_assert_ot_ok(ot_exit_pid(p, &normal));
	struct cmd c = {.pid = p, .reason = normal};
	ck_assert_ot_ok((int)call(s, C_EXIT_PID, &c).rc);
	ping(p);
	ot_test_expect_no_down(mp, 50, __func__);

	/* to one that traps: a message, from whoever sent it */
	ck_assert_ot_ok(ot_exit_pid(r, &normal));
	struct fwd f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, g_test, "EXIT normal from the thread");
	assert_reason(&f.exit.reason, &normal, "EXIT normal");
	c.pid = r;
	ck_assert_ot_ok((int)call(s, C_EXIT_PID, &c).rc);
	f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, s, "EXIT normal from a process");
	assert_reason(&f.exit.reason, &normal, "EXIT normal");

	/* to oneself: the caller ends, normally, and does not go on */
	ot_ref ms = mon(s);
	c.pid = s;
	cast(s, C_EXIT_PID, &c);
	expect_died(ms, s, normal, "exit_pid(self, normal)");
	struct match_arg ma = {.from = s, .tag = A_REPLY};
	ot_msg *m;
	ck_assert_msg(ot_receive_match(match_from_tag, &ma, &m, 20) ==
			  OT_ETIMEDOUT,
		      "ot_exit_pid(self, normal) returned");

	stop_agent(p);
	stop_agent(r);
}
END_TEST

START_TEST(test_exit_pid_other_reasons)
{
	g_test = ot_self();
	ot_reason reasons[] = {ot_reason_error(21, "go away"),
			       ot_reason_shutdown(),
			       ot_reason_shutdown_detail("maintenance")};
	ot_pid r = spawn_agent();
	set_trap(r, true);
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		/* does not trap: ends with that reason */
		ot_pid p = spawn_agent();
		ot_ref mp = mon(p);
		ck_assert_ot_ok(ot_exit_pid(p, &reasons[i]));
		expect_died(mp, p, reasons[i], "exit_pid to a non-trapping");
		/* traps: a message */
		ck_assert_ot_ok(ot_exit_pid(r, &reasons[i]));
		struct fwd f = expect_fwd(r, A_EXIT, 3000);
		assert_pid(f.exit.from, g_test, "EXIT from exit_pid");
		assert_reason(&f.exit.reason, &reasons[i],
			      "exit_pid to trapping");
	}
	ping(r);

	/* to a dead pid: nothing, and no error */
	ck_assert_ot_ok(ot_exit_pid(dead_pid(), &reasons[0]));

	/* to oneself, not trapping: the caller ends at once */
	ot_pid s = spawn_agent();
	ot_ref ms = mon(s);
	struct cmd c = {.reason = ot_reason_error(22, "myself")};
	cast(s, C_EXIT_PID, &c); /* pid none: the agent's own */
	expect_died(ms, s, c.reason, "exit_pid(self, error)");
	struct match_arg ma = {.from = s, .tag = A_REPLY};
	ot_msg *m;
	ck_assert_msg(ot_receive_match(match_from_tag, &ma, &m, 20) ==
			  OT_ETIMEDOUT,
		      "ot_exit_pid(self, error) returned in a non-trapping "
		      "process");

	/* to oneself, trapping: a message to oneself */
	c.reason = ot_reason_error(23, "note to self");
	ck_assert_ot_ok((int)call(r, C_EXIT_PID, &c).rc);
	struct fwd f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, r, "EXIT to oneself");
	assert_reason(&f.exit.reason, &c.reason, "EXIT to oneself");
	stop_agent(r);
}
END_TEST

START_TEST(test_exit_signals_to_foreign_thread)
{
	g_test = ot_self();
	bool old;
	ck_assert_ot_err(ot_trap_exit(true, &old), OT_ENOTPROC);
	ot_reason why = ot_reason_error(31, "to a thread");
	ck_assert_ot_err(ot_exit(&why), OT_ENOTPROC);

	ot_pid s = spawn_agent();
	struct cmd c = {.pid = g_test, .reason = why};
	ck_assert_ot_ok((int)call(s, C_EXIT_PID, &c).rc);
	ot_exit_info e = ot_test_expect_exit(s, 3000, __func__);
	assert_reason(&e.reason, &why, "EXIT to the thread");
	c.reason = ot_reason_normal();
	ck_assert_ot_ok((int)call(s, C_EXIT_PID, &c).rc);
	e = ot_test_expect_exit(s, 3000, __func__);
	assert_reason(&e.reason, &c.reason, "EXIT normal to the thread");
	/* the thread goes on */
	ck_assert(ot_pid_equal(ot_self(), g_test));
	ping(s);
	stop_agent(s);

	/* a linked process dying does not end the thread either */
	ot_pid d = spawn_kind(K_DIE, 32, OT_SPAWN_LINK, NULL, NULL);
	e = ot_test_expect_exit(d, 3000, __func__);
	ot_reason want = ot_reason_error(32, "at once");
	assert_reason(&e.reason, &want, "EXIT from a linked process");
	ck_assert(ot_pid_equal(ot_self(), g_test));
	ck_assert(ot_is_alive(g_test));
}
END_TEST

/* ---- kill ---------------------------------------------------------------- */

START_TEST(test_kill_cannot_be_trapped)
{
	g_test = ot_self();
	ot_reason kill = ot_reason_kill(), killed = mk(OT_REASON_KILLED);
	ot_pid p = spawn_agent(), r = spawn_agent(), n = spawn_agent();
	set_trap(p, true);
	set_trap(r, true);
	ck_assert_ot_ok(call_pid(r, C_LINK, p));
	ck_assert_ot_ok(call_pid(n, C_LINK, p));
	ot_ref mp = mon(p), mn = mon(n);
	ck_assert_ot_ok(ot_exit_pid(p, &kill));
	expect_died(mp, p, killed, "killed while trapping");
	expect_no_fwd(p, A_EXIT, 20); /* it was not turned into a message */
	/* its links see killed */
	struct fwd f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, p, "EXIT killed");
	assert_reason(&f.exit.reason, &killed, "trapping link of a killed");
	expect_died(mn, n, killed, "non-trapping link of a killed");

	/* from a process, to one that does not trap */
	ot_pid q = spawn_agent();
	ot_ref mq = mon(q);
	struct cmd c = {.pid = q, .reason = kill};
	ck_assert_ot_ok((int)call(r, C_EXIT_PID, &c).rc);
	expect_died(mq, q, killed, "killed by a process");
	ping(r);
	stop_agent(r);
}
END_TEST

/* ot_exit(kill): the process ends with kill, and its links get a plain,
 * trappable `kill` (Erlang's exit(kill)). */
START_TEST(test_exit_kill_is_trappable_by_links)
{
	g_test = ot_self();
	ot_reason kill = ot_reason_kill();
	ot_pid k = spawn_agent(), r = spawn_agent(), n = spawn_agent();
	set_trap(r, true);
	ck_assert_ot_ok(call_pid(r, C_LINK, k));
	ck_assert_ot_ok(call_pid(n, C_LINK, k));
	ot_ref mk_ = mon(k), mn = mon(n);
	agent_exit(k, kill);
	expect_died(mk_, k, kill, "ot_exit(kill)");
	struct fwd f = expect_fwd(r, A_EXIT, 3000);
	assert_pid(f.exit.from, k, "EXIT kill");
	ck_assert_int_eq(f.exit.reason.kind, OT_REASON_KILL);
	assert_reason(&f.exit.reason, &kill, "trapping link of exit(kill)");
	expect_died(mn, n, kill, "non-trapping link of exit(kill)");
	ping(r); /* trapped, alive */
	stop_agent(r);
}
END_TEST

/* A process that is already ending ignores further exit signals: the
 * first reason is the one everyone sees. */
START_TEST(test_first_exit_signal_wins)
{
	g_test = ot_self();
	ot_reason first = ot_reason_error(41, "first"),
		  second = ot_reason_error(42, "second"),
		  kill = ot_reason_kill();

	/* all three are queued while it spins, then acted on in order */
	ot_pid p = spawn_agent(), r = spawn_agent();
	set_trap(r, true);
	ck_assert_ot_ok(call_pid(r, C_LINK, p));
	ot_ref mp = mon(p);
	atomic_store(&g_release, 0);
	struct cmd c = {0};
	ck_assert_ot_ok((int)call(p, C_SPIN, &c).rc);
	ck_assert_ot_ok(ot_exit_pid(p, &first));
	ck_assert_ot_ok(ot_exit_pid(p, &second));
	ck_assert_ot_ok(ot_exit_pid(p, &kill));
	atomic_store(&g_release, 1);
	expect_died(mp, p, first, "three exit signals");
	struct fwd f = expect_fwd(r, A_EXIT, 3000);
	assert_reason(&f.exit.reason, &first, "its link");
	expect_no_fwd(r, A_EXIT, 50);

	/* the same while it waits in receive */
	for (int i = 0; i < 50; i++) {
		ot_pid q = spawn_agent();
		ot_ref mq = mon(q);
		ping(q);
		ck_assert_ot_ok(ot_exit_pid(q, &first));
		ck_assert_ot_ok(ot_exit_pid(q, &second));
		expect_died(mq, q, first, "two exit signals");
	}
	stop_agent(r);
}
END_TEST

/* ---- monitors ------------------------------------------------------------ */

START_TEST(test_monitor_down_fields)
{
	g_test = ot_self();
	ot_pid q = spawn_agent();
	ot_ref ref = mon(q);
	ot_reason why = ot_reason_error(51, "down");
	agent_exit(q, why);
	ot_down_info d = ot_test_expect_down(ref, 3000, __func__);
	ck_assert_uint_eq(d.ref.id, ref.id);
	assert_pid(d.pid, q, "DOWN");
	ck_assert_str_eq(d.name, "");
	assert_reason(&d.reason, &why, "DOWN");

	/* a process that monitors gets the same, and is not harmed */
	ot_pid a = spawn_agent(), q2 = spawn_agent();
	struct reply r = call(a, C_MONITOR, &(struct cmd){.pid = q2});
	ck_assert_ot_ok((int)r.rc);
	ck_assert_uint_ne(r.ref.id, 0);
	agent_exit(q2, why);
	struct fwd f = expect_fwd(a, A_DOWN, 3000);
	ck_assert_uint_eq(f.down.ref.id, r.ref.id);
	assert_pid(f.down.pid, q2, "DOWN in a process");
	ck_assert_str_eq(f.down.name, "");
	assert_reason(&f.down.reason, &why, "DOWN in a process");
	ping(a);
	stop_agent(a);
}
END_TEST

START_TEST(test_monitor_by_name)
{
	g_test = ot_self();
	ot_pid q = spawn_kind(K_AGENT, 0, 0, NULL, "sig_monitored");
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor_name("sig_monitored", &ref));
	ck_assert_uint_ne(ref.id, 0);
	ot_reason why = ot_reason_shutdown_detail("by name");
	agent_exit(q, why);
	ot_down_info d = ot_test_expect_down(ref, 3000, __func__);
	ck_assert_str_eq(d.name, "sig_monitored");
	assert_pid(d.pid, q, "DOWN by name");
	assert_reason(&d.reason, &why, "DOWN by name");

	/* from a process */
	ot_pid a = spawn_agent();
	ot_pid q2 = spawn_kind(K_AGENT, 0, 0, NULL, "sig_monitored2");
	struct cmd c = {0};
	strcpy(c.name, "sig_monitored2");
	struct reply r = call(a, C_MONITOR_NAME, &c);
	ck_assert_ot_ok((int)r.rc);
	stop_agent(q2);
	struct fwd f = expect_fwd(a, A_DOWN, 3000);
	ck_assert_uint_eq(f.down.ref.id, r.ref.id);
	ck_assert_str_eq(f.down.name, "sig_monitored2");
	assert_pid(f.down.pid, q2, "DOWN by name in a process");
	ot_reason normal = ot_reason_normal();
	assert_reason(&f.down.reason, &normal, "DOWN by name in a process");
	stop_agent(a);
}
END_TEST

START_TEST(test_monitor_dead_or_unknown)
{
	g_test = ot_self();
	ot_reason noproc = mk(OT_REASON_NOPROC);
	ot_pid dead = dead_pid();
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(dead, &ref));
	ot_down_info d = ot_test_expect_down(ref, 500, __func__);
	assert_pid(d.pid, dead, "DOWN of a dead pid");
	ck_assert_str_eq(d.name, "");
	assert_reason(&d.reason, &noproc, "DOWN of a dead pid");

	ck_assert_ot_ok(ot_monitor_name("sig_nobody", &ref));
	d = ot_test_expect_down(ref, 500, __func__);
	ck_assert_str_eq(d.name, "sig_nobody");
	ck_assert(ot_pid_is_none(d.pid));
	assert_reason(&d.reason, &noproc, "DOWN of an unknown name");

	/* in a process */
	ot_pid a = spawn_agent();
	struct reply r = call(a, C_MONITOR, &(struct cmd){.pid = dead});
	ck_assert_ot_ok((int)r.rc);
	struct fwd f = expect_fwd(a, A_DOWN, 500);
	ck_assert_uint_eq(f.down.ref.id, r.ref.id);
	assert_pid(f.down.pid, dead, "DOWN of a dead pid in a process");
	assert_reason(&f.down.reason, &noproc, "DOWN of a dead pid");
	struct cmd c = {0};
	strcpy(c.name, "sig_nobody");
	r = call(a, C_MONITOR_NAME, &c);
	ck_assert_ot_ok((int)r.rc);
	f = expect_fwd(a, A_DOWN, 500);
	ck_assert_uint_eq(f.down.ref.id, r.ref.id);
	ck_assert_str_eq(f.down.name, "sig_nobody");
	assert_reason(&f.down.reason, &noproc, "DOWN of an unknown name");
	stop_agent(a);
}
END_TEST

START_TEST(test_two_monitors_two_downs)
{
	g_test = ot_self();
	ot_pid q = spawn_agent();
	ot_ref r1 = mon(q), r2 = mon(q);
	ck_assert_uint_ne(r1.id, r2.id);
	ot_reason why = ot_reason_error(61, "twice");
	agent_exit(q, why);
	ot_down_info d2 = ot_test_expect_down(r2, 3000, __func__);
	ot_down_info d1 = ot_test_expect_down(r1, 3000, __func__);
	assert_reason(&d1.reason, &why, "first monitor");
	assert_reason(&d2.reason, &why, "second monitor");
	assert_pid(d1.pid, q, "first monitor");
	assert_pid(d2.pid, q, "second monitor");
	ot_test_expect_no_down(r1, 50, __func__);
	ot_test_expect_no_down(r2, 1, __func__);

	/* independent: turning one off leaves the other */
	ot_pid q2 = spawn_agent();
	r1 = mon(q2);
	r2 = mon(q2);
	ck_assert_int_eq(ot_demonitor(r1, OT_DEMONITOR_INFO), 1);
	agent_exit(q2, why);
	d2 = ot_test_expect_down(r2, 3000, __func__);
	assert_reason(&d2.reason, &why, "remaining monitor");
	ot_test_expect_no_down(r1, 50, __func__);
}
END_TEST

START_TEST(test_monitors_are_one_way)
{
	g_test = ot_self();
	/* the monitoring process dies: the monitored one is not touched */
	ot_pid p = spawn_agent(), q = spawn_agent();
	set_trap(q, true); /* it would even see an EXIT, if one came */
	struct reply r = call(p, C_MONITOR, &(struct cmd){.pid = q});
	ck_assert_ot_ok((int)r.rc);
	ot_ref mp = mon(p), mq = mon(q);
	agent_exit(p, ot_reason_error(71, "monitor owner dies"));
	expect_died(mp, p, ot_reason_error(71, "monitor owner dies"), "p");
	expect_no_fwd(q, A_EXIT, 100);
	expect_no_fwd(q, A_DOWN, 1);
	ot_test_expect_no_down(mq, 1, __func__);
	ping(q);

	/* the monitored process dies abnormally: the monitoring one, not
	 * trapping, only gets a message */
	ot_pid a = spawn_agent(), b = spawn_agent();
	r = call(a, C_MONITOR, &(struct cmd){.pid = b});
	ot_ref ma = mon(a);
	agent_exit(b, ot_reason_error(72, "monitored dies"));
	struct fwd f = expect_fwd(a, A_DOWN, 3000);
	ck_assert_uint_eq(f.down.ref.id, r.ref.id);
	ot_test_expect_no_down(ma, 50, __func__);
	ping(a);
	stop_agent(a);
	stop_agent(q);
}
END_TEST

/* A thread that attaches, says T_READY, and detaches (its pid dies) when
 * a message arrives. */
static void *short_lived_thread(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	if (ot_receive(&m, scaled_ms(5000)) == 0)
		ot_msg_free(m);
	ot_thread_detach();
	return NULL;
}

static ot_msg *expect_tag(uint64_t tag)
{
	struct match_arg ma = {.tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_tag_only, &ma, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "no message with tag %llu: %s",
		      (unsigned long long)tag, ot_err_name(rc));
	return m;
}

START_TEST(test_demonitor_flush)
{
	g_test = ot_self();
	ot_pid q = spawn_agent();
	ot_ref r1 = mon(q), r2 = mon(q);
	agent_exit(q, ot_reason_error(81, "flushed"));
	wait_queued_down(r1);
	wait_queued_down(r2);
	ck_assert_ot_ok(ot_demonitor(r1, OT_DEMONITOR_FLUSH));
	ot_test_expect_no_down(r1, 50, __func__);
	ot_test_expect_down(r2, 100,
			    __func__); /* the other one is left alone */

	/* FLUSH on an active monitor: no DOWN later either */
	ot_pid q2 = spawn_agent();
	ot_ref r3 = mon(q2);
	ck_assert_ot_ok(ot_demonitor(r3, OT_DEMONITOR_FLUSH));
	stop_agent(q2);
	ot_test_expect_no_down(r3, 50, __func__);

	/* FLUSH|INFO after it fired: 0, and the DOWN is gone */
	ot_pid q3 = spawn_agent();
	ot_ref r4 = mon(q3);
	stop_agent(q3);
	wait_queued_down(r4);
	ck_assert_int_eq(
	    ot_demonitor(r4, OT_DEMONITOR_FLUSH | OT_DEMONITOR_INFO), 0);
	ot_test_expect_no_down(r4, 20, __func__);

	/* in a process: b dies while a spins (a cannot take the DOWN), then
	 * a demonitors with FLUSH before it waits again. b is a thread, so
	 * that it can end while a holds a scheduler. */
	ot_pid a = spawn_agent();
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, short_lived_thread, NULL),
			 0);
	ot_msg *m = expect_tag(T_READY);
	ot_pid b = ot_msg_from(m);
	ot_msg_free(m);
	struct reply r = call(a, C_MONITOR, &(struct cmd){.pid = b});
	ck_assert_ot_ok((int)r.rc);
	ot_ref mb = mon(b); /* proves that b's end sends DOWNs at all */
	atomic_store(&g_release, 0);
	struct cmd c = {.ref = r.ref, .flags = SPIN_DEMONITOR_FLUSH};
	ck_assert_ot_ok((int)call(a, C_SPIN, &c).rc);
	ck_assert_ot_ok(ot_send(b, T_DATA, NULL, 0)); /* detach now */
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert(!ot_is_alive(b));
	ot_test_expect_down(mb, 3000, __func__);
	ot_sleep(10);
	atomic_store(&g_release, 1);
	struct match_arg ma = {.from = a, .tag = A_REPLY};
	ck_assert_ot_ok(
	    ot_receive_match(match_from_tag, &ma, &m, scaled_ms(3000)));
	struct reply dr;
	memcpy(&dr, ot_msg_data(m), sizeof(dr));
	ot_msg_free(m);
	ck_assert_ot_ok((int)dr.rc);
	expect_no_fwd(a, A_DOWN, 50);
	stop_agent(a);
}
END_TEST

START_TEST(test_demonitor_info)
{
	g_test = ot_self();
	/* active: 1, and no DOWN after */
	ot_pid q = spawn_agent();
	ot_ref r1 = mon(q), witness = mon(q);
	ck_assert_int_eq(ot_demonitor(r1, OT_DEMONITOR_INFO), 1);
	ck_assert_int_eq(ot_demonitor(r1, OT_DEMONITOR_INFO), 0); /* gone */
	ck_assert_int_eq(ot_demonitor(r1, 0), 0);
	stop_agent(q);
	ot_test_expect_down(witness, 3000, __func__);
	ot_test_expect_no_down(r1, 50, __func__);

	/* fired: 0, and the DOWN stays in the mailbox (no FLUSH) */
	ot_pid q2 = spawn_agent();
	ot_ref r2 = mon(q2);
	agent_exit(q2, ot_reason_error(91, "fired"));
	wait_queued_down(r2);
	ck_assert_int_eq(ot_demonitor(r2, OT_DEMONITOR_INFO), 0);
	ot_down_info d = ot_test_expect_down(r2, 100, __func__);
	ot_reason want = ot_reason_error(91, "fired");
	assert_reason(&d.reason, &want, "DOWN left by demonitor");

	/* plain demonitor of an active monitor: 0, and no DOWN */
	ot_pid q3 = spawn_agent();
	ot_ref r3 = mon(q3), w3 = mon(q3);
	ck_assert_int_eq(ot_demonitor(r3, 0), 0);
	stop_agent(q3);
	ot_test_expect_down(w3, 3000, __func__);
	ot_test_expect_no_down(r3, 50, __func__);

	/* in a process */
	ot_pid a = spawn_agent(), b = spawn_agent();
	struct reply r = call(a, C_MONITOR, &(struct cmd){.pid = b});
	struct cmd c = {.ref = r.ref, .flags = OT_DEMONITOR_INFO};
	ck_assert_int_eq((int)call(a, C_DEMONITOR, &c).rc, 1);
	ck_assert_int_eq((int)call(a, C_DEMONITOR, &c).rc, 0);
	stop_agent(b);
	expect_no_fwd(a, A_DOWN, 50);
	stop_agent(a);
}
END_TEST

START_TEST(test_demonitor_not_owner)
{
	g_test = ot_self();
	ot_pid a = spawn_agent(), q = spawn_agent();
	struct reply r = call(a, C_MONITOR, &(struct cmd){.pid = q});
	ck_assert_ot_ok((int)r.rc);

	/* the test thread does not own a's monitor: nothing happens */
	ck_assert_int_eq(ot_demonitor(r.ref, OT_DEMONITOR_INFO), 0);
	ck_assert_int_eq(ot_demonitor(r.ref, 0), 0);
	ck_assert_int_eq(
	    ot_demonitor(r.ref, OT_DEMONITOR_FLUSH | OT_DEMONITOR_INFO), 0);
	/* nor does another process */
	ot_pid b = spawn_agent();
	struct cmd c = {.ref = r.ref, .flags = OT_DEMONITOR_INFO};
	ck_assert_int_eq((int)call(b, C_DEMONITOR, &c).rc, 0);
	c.flags = OT_DEMONITOR_FLUSH;
	ck_assert_int_eq((int)call(b, C_DEMONITOR, &c).rc, 0);

	/* zero and never-issued refs */
	ck_assert_int_eq(ot_demonitor((ot_ref){0}, OT_DEMONITOR_INFO), 0);
	ck_assert_int_eq(ot_demonitor((ot_ref){0}, 0), 0);
	ck_assert_int_eq(ot_demonitor((ot_ref){UINT64_C(0x123456789abcdef)},
				      OT_DEMONITOR_INFO),
			 0);

	/* a's monitor still works */
	ot_reason why = ot_reason_error(101, "still watched");
	agent_exit(q, why);
	struct fwd f = expect_fwd(a, A_DOWN, 3000);
	ck_assert_uint_eq(f.down.ref.id, r.ref.id);
	assert_reason(&f.down.reason, &why, "the owner's DOWN");
	expect_no_fwd(b, A_DOWN, 20);
	stop_agent(a);
	stop_agent(b);
}
END_TEST

/* ---- demonitor(info) racing the target's end (issue 14) ------------------ */

/* The target links to this many trapping sinks: its end sends as many
 * EXITs before its DOWN, which widens the time between the moment the DOWN
 * is decided (it is dead) and the moment the DOWN is in the mailbox. */
enum { RACE_SINKS = 16 };

struct race {
	ot_pid sinks[RACE_SINKS];
	int rounds;
	int fired;	   /* demonitor said "already delivered" */
	int lost;	   /* ... and no DOWN came */
	int extra;	   /* demonitor said "active", and a DOWN came anyway */
	atomic_int ending; /* the round whose target is about to return */
};

static void race_sink(void *arg)
{
	(void)arg;
	ot_trap_exit(true, NULL);
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

static void race_target(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < RACE_SINKS; i++)
		ot_link(r->sinks[i]);
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) != 0)
		return;
	atomic_store(&r->ending, (int)msg_i64(m));
	ot_msg_free(m);
}

/* Runs on the test thread: truly in parallel with the targets. */
static void race(struct race *r)
{
	for (int i = 0; i < r->rounds && r->lost < 3; i++) {
		ot_ref ref;
		ot_pid t;
		ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR,
				   .monitor_ref = &ref};
		if (ot_spawn(race_target, r, &o, &t) != 0)
			break;
		ot_process_info pi;
		while (ot_process_info_get(t, &pi) == 0 &&
		       pi.status != OT_PROC_WAITING)
			sched_yield();
		send_i64(t, T_DATA, i + 1);
		/* Once it is about to end, a varying delay: demonitor lands
		 * anywhere in the target's end, sooner or later. */
		while (atomic_load(&r->ending) != i + 1)
			;
		for (volatile int k = 0; k < (i % 64) * 10; k++)
			;
		ot_msg *m;
		if (ot_demonitor(ref, OT_DEMONITOR_INFO) == 0) {
			r->fired++;
			if (ot_receive_match(ot_test_is_down_of, &ref, &m,
					     scaled_ms(1000)) != 0)
				r->lost++;
			else
				ot_msg_free(m);
		} else if (ot_receive_match(ot_test_is_down_of, &ref, &m, 0) ==
			   0) {
			r->extra++;
			ot_msg_free(m);
		}
	}
}

/* monitor_SUITE:demon_2 and erlang:demonitor/2's [info]: when it returns
 * false, the DOWN is in the caller's queue (it was already delivered); when
 * true, none comes. Thousands of rounds race demonitor (from a thread,
 * in parallel) against the target's end on two schedulers; each wait for
 * the DOWN has a timeout. */
START_TEST(test_demonitor_info_races_exit)
{
	g_test = ot_self();
	struct race r = {.rounds = (int)ot_test_scaled(5000)};
	for (int i = 0; i < RACE_SINKS; i++)
		ck_assert_ot_ok(ot_spawn(race_sink, NULL, NULL, &r.sinks[i]));
	race(&r);
	ot_reason kill = ot_reason_kill();
	for (int i = 0; i < RACE_SINKS; i++)
		ot_exit_pid(r.sinks[i], &kill);
	ck_assert_msg(r.lost == 0,
		      "%d of %d \"already delivered\" answers had no DOWN "
		      "(%d rounds)",
		      r.lost, r.fired, r.rounds);
	ck_assert_int_eq(r.extra, 0);
	ck_assert_int_gt(r.fired, 0); /* the race was run */
}
END_TEST

/* ---- order: messages before signals; names before signals --------------- */

#define ORDER_N 1000

START_TEST(test_messages_arrive_before_exit)
{
	g_test = ot_self();
	ot_reason why = ot_reason_error(111, "after the messages");

	/* to a trapping process that links and monitors the sender */
	ot_pid r = spawn_agent();
	set_trap(r, true);
	struct cmd c = {.kind = K_AGENT,
			.flags = OT_SPAWN_LINK | OT_SPAWN_MONITOR};
	struct reply sr = call(r, C_SPAWN, &c);
	ck_assert_ot_ok((int)sr.rc);
	struct cmd send = {.pid = r, .n = ORDER_N, .reason = why};
	cast(sr.pid, C_SEND_N, &send);

	int64_t next = 0;
	int exit_at = -1, down_at = -1;
	int64_t deadline = now_ms() + scaled_ms(10000);
	while ((exit_at < 0 || down_at < 0) && now_ms() < deadline) {
		ot_msg *m;
		if (ot_receive(&m, 100) != 0)
			continue;
		ck_assert(ot_pid_equal(ot_msg_from(m), r));
		if (ot_msg_tag(m) == A_OTHER) {
			int64_t seq;
			ck_assert_uint_eq(ot_msg_size(m), sizeof(seq));
			memcpy(&seq, ot_msg_data(m), sizeof(seq));
			ck_assert_int_eq(seq, next);
			next++;
		} else if (ot_msg_tag(m) == A_EXIT) {
			struct fwd f;
			memcpy(&f, ot_msg_data(m), sizeof(f));
			assert_reason(&f.exit.reason, &why, "EXIT");
			exit_at = (int)next;
		} else if (ot_msg_tag(m) == A_DOWN) {
			struct fwd f;
			memcpy(&f, ot_msg_data(m), sizeof(f));
			assert_reason(&f.down.reason, &why, "DOWN");
			down_at = (int)next;
		}
		ot_msg_free(m);
	}
	ck_assert_msg(exit_at == ORDER_N,
		      "EXIT after %d of %d messages (-1: never)", exit_at,
		      ORDER_N);
	ck_assert_msg(down_at == ORDER_N,
		      "DOWN after %d of %d messages (-1: never)", down_at,
		      ORDER_N);
	stop_agent(r);

	/* to the test thread itself */
	ot_ref ref;
	ot_pid s = spawn_kind(K_AGENT, 0, OT_SPAWN_LINK | OT_SPAWN_MONITOR,
			      &ref, NULL);
	send.pid = g_test;
	cast(s, C_SEND_N, &send);
	next = 0;
	exit_at = down_at = -1;
	deadline = now_ms() + scaled_ms(10000);
	while ((exit_at < 0 || down_at < 0) && now_ms() < deadline) {
		ot_msg *m;
		if (ot_receive(&m, 100) != 0)
			continue;
		const ot_exit_info *e = ot_msg_exit(m);
		const ot_down_info *d = ot_msg_down(m);
		if (e) {
			assert_pid(e->from, s, "EXIT");
			assert_reason(&e->reason, &why, "EXIT");
			exit_at = (int)next;
		} else if (d) {
			ck_assert_uint_eq(d->ref.id, ref.id);
			assert_reason(&d->reason, &why, "DOWN");
			down_at = (int)next;
		} else {
			ck_assert_uint_eq(ot_msg_tag(m), T_DATA);
			int64_t seq;
			memcpy(&seq, ot_msg_data(m), sizeof(seq));
			ck_assert_int_eq(seq, next);
			next++;
		}
		ot_msg_free(m);
	}
	ck_assert_msg(exit_at == ORDER_N,
		      "EXIT to the thread after %d of %d messages", exit_at,
		      ORDER_N);
	ck_assert_msg(down_at == ORDER_N,
		      "DOWN to the thread after %d of %d messages", down_at,
		      ORDER_N);
}
END_TEST

START_TEST(test_name_released_before_signals)
{
	g_test = ot_self();
	const char *name = "sig_named_victim";
	ot_pid r = spawn_agent();
	set_trap(r, true);
	struct cmd w = {0};
	strcpy(w.name, name);
	ck_assert_ot_ok((int)call(r, C_WATCH, &w).rc);

	for (int i = 0; i < 50; i++) {
		ot_pid q = spawn_kind(K_AGENT, 0, 0, NULL, name);
		ck_assert_ot_ok(call_pid(r, C_LINK, q));
		ot_ref ref;
		ck_assert_ot_ok(ot_monitor_name(name, &ref));
		ot_reason why = ot_reason_error(i, "named");
		agent_exit(q, why);
		ot_down_info d = ot_test_expect_down(ref, 3000, __func__);
		ot_pid found;
		int rc = ot_whereis(name, &found);
		ck_assert_msg(rc == OT_ENOTREG,
			      "round %d: whereis after DOWN returned %s", i,
			      ot_err_name(rc));
		assert_reason(&d.reason, &why, "DOWN of the named");
		struct fwd f = expect_fwd(r, A_EXIT, 3000);
		ck_assert_msg(
		    f.whereis_rc == OT_ENOTREG,
		    "round %d: whereis at EXIT returned %d (%s), want "
		    "OT_ENOTREG",
		    i, f.whereis_rc,
		    f.whereis_rc == 0 ? "still registered"
				      : ot_err_name(f.whereis_rc));
		assert_reason(&f.exit.reason, &why, "EXIT of the named");
	}

	/* and the name can be taken again at once */
	ot_pid again = spawn_kind(K_AGENT, 0, 0, NULL, name);
	ot_pid found;
	ck_assert_ot_ok(ot_whereis(name, &found));
	assert_pid(found, again, "the name's new owner");
	stop_agent(again);
	stop_agent(r);
}
END_TEST

/* ---- system messages cannot be forged ------------------------------------ */

START_TEST(test_system_tags_refused)
{
	g_test = ot_self();
	ot_exit_info fake;
	memset(&fake, 0, sizeof(fake));
	fake.from = g_test;
	fake.reason = ot_reason_error(1, "forged");
	const uint64_t tags[] = {OT_TAG_SYSTEM, OT_TAG_EXIT, OT_TAG_DOWN,
				 OT_TAG_SYSTEM + 1000, UINT64_MAX};
	for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		ck_assert_ot_err(ot_send(g_test, tags[i], &fake, sizeof(fake)),
				 OT_EINVAL);
		ck_assert_ot_err(ot_send(g_test, tags[i], NULL, 0), OT_EINVAL);
		void *buf = malloc(sizeof(fake));
		memcpy(buf, &fake, sizeof(fake));
		ck_assert_ot_err(
		    ot_send_owned(g_test, tags[i], buf, sizeof(fake), free),
		    OT_EINVAL); /* buf released on error */
		/* nor later, by timer */
		ck_assert_ot_err(ot_send_after(1, g_test, tags[i], &fake,
					       sizeof(fake), NULL),
				 OT_EINVAL);
	}
	/* from a process too */
	ot_pid a = spawn_agent();
	ck_assert_ot_err(ot_send(a, OT_TAG_EXIT, &fake, sizeof(fake)),
			 OT_EINVAL);
	expect_no_fwd(a, A_EXIT, 20);
	stop_agent(a);

	/* nothing was queued; the tag just below is an ordinary one */
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 20), OT_ETIMEDOUT);
	ck_assert_ot_ok(
	    ot_send(g_test, OT_TAG_SYSTEM - 1, &fake, sizeof(fake)));
	ck_assert_ot_ok(ot_receive(&m, 1000));
	ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_SYSTEM - 1);
	ck_assert_ptr_null(ot_msg_exit(m));
	ck_assert_ptr_null(ot_msg_down(m));
	ot_msg_free(m);
}
END_TEST

START_TEST(test_msg_exit_down_accessors)
{
	g_test = ot_self();
	ot_exit_info fake;
	memset(&fake, 0, sizeof(fake));
	/* ordinary messages, whatever their payload */
	ck_assert_ot_ok(ot_send(g_test, T_DATA, &fake, sizeof(fake)));
	ck_assert_ot_ok(ot_send(g_test, 0, NULL, 0));
	ot_msg *m;
	for (int i = 0; i < 2; i++) {
		ck_assert_ot_ok(ot_receive(&m, 1000));
		ck_assert_ptr_null(ot_msg_exit(m));
		ck_assert_ptr_null(ot_msg_down(m));
		ot_msg_free(m);
	}

	/* a real EXIT and a real DOWN */
	ot_ref ref;
	ot_pid c =
	    spawn_kind(K_DIE, 5, OT_SPAWN_LINK | OT_SPAWN_MONITOR, &ref, NULL);
	ot_reason want = ot_reason_error(5, "at once");
	bool seen_exit = false, seen_down = false;
	for (int i = 0; i < 2; i++) {
		ck_assert_ot_ok(ot_receive(&m, scaled_ms(3000)));
		const ot_exit_info *e = ot_msg_exit(m);
		const ot_down_info *d = ot_msg_down(m);
		ck_assert_msg((e == NULL) != (d == NULL),
			      "a message is an EXIT or a DOWN, not both");
		if (e) {
			ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_EXIT);
			assert_pid(e->from, c, "EXIT");
			assert_reason(&e->reason, &want, "EXIT");
			seen_exit = true;
		} else {
			ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_DOWN);
			ck_assert_uint_eq(d->ref.id, ref.id);
			assert_pid(d->pid, c, "DOWN");
			assert_reason(&d->reason, &want, "DOWN");
			seen_down = true;
		}
		ot_msg_free(m);
	}
	ck_assert(seen_exit && seen_down);
}
END_TEST

/* ---- bad input ----------------------------------------------------------- */

START_TEST(test_bad_input)
{
	g_test = ot_self();
	ot_reason why = ot_reason_error(1, "x");
	ot_ref ref;
	const ot_pid bad[] = {
	    OT_PID_NONE,
	    {1},		 /* generation 0 */
	    {(uint64_t)1 << 32}, /* index 0 */
	    {((uint64_t)1 << 32) | ((uint64_t)OT_MAX_PROCESSES + 1)},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ot_err(ot_exit_pid(bad[i], &why), OT_EINVAL);
		ck_assert_ot_err(ot_link(bad[i]), OT_EINVAL);
		ck_assert_ot_err(ot_unlink(bad[i]), OT_EINVAL);
		ck_assert_ot_err(ot_monitor(bad[i], &ref), OT_EINVAL);
	}
	ot_pid a = spawn_agent();
	ck_assert_ot_err(ot_exit_pid(a, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_monitor(a, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_monitor_name("sig_x", NULL), OT_EINVAL);
	ck_assert_ot_err(ot_monitor_name(NULL, &ref), OT_EINVAL);
	char long_name[OT_NAME_MAX + 2];
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_ot_err(ot_monitor_name(long_name, &ref), OT_ENAMETOOLONG);

	/* unknown demonitor flags; the monitor stays */
	ot_ref ma = mon(a);
	ck_assert_ot_err(ot_demonitor(ma, 4), OT_EINVAL);
	ck_assert_ot_err(ot_demonitor(ma, ~0u), OT_EINVAL);
	ck_assert_ot_err(ot_demonitor(ma, OT_DEMONITOR_INFO | 8), OT_EINVAL);

	/* ot_exit: NULL in a process returns, and the process goes on */
	ck_assert_ot_err((int)call(a, C_EXIT_NULL, NULL).rc, OT_EINVAL);
	ping(a);
	/* in a thread: it cannot end a thread */
	ck_assert_ot_err(ot_exit(&why), OT_ENOTPROC);
	int rc = ot_exit(NULL);
	ck_assert_msg(rc == OT_EINVAL || rc == OT_ENOTPROC,
		      "ot_exit(NULL) in a thread returned %s", ot_err_name(rc));
	ck_assert_ot_err(ot_trap_exit(true, NULL), OT_ENOTPROC);

	/* processes get the same answers */
	struct cmd c = {.pid = {1}, .reason = why};
	ck_assert_ot_err((int)call(a, C_LINK, &c).rc, OT_EINVAL);
	ck_assert_ot_err((int)call(a, C_UNLINK, &c).rc, OT_EINVAL);
	ck_assert_ot_err((int)call(a, C_MONITOR, &c).rc, OT_EINVAL);
	ck_assert_ot_err((int)call(a, C_EXIT_PID, &c).rc, OT_EINVAL);
	c.ref = ma;
	c.flags = 16;
	ck_assert_ot_err((int)call(a, C_DEMONITOR, &c).rc, OT_EINVAL);
	ping(a);

	/* none of it sent a signal or a message */
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 20), OT_ETIMEDOUT);
	ck_assert_int_eq(ot_demonitor(ma, OT_DEMONITOR_INFO), 1);
	stop_agent(a);
}
END_TEST

START_TEST(test_not_started)
{
	ck_assert(!ot_running());
	ot_pid p = {((uint64_t)1 << 32) | 1};
	ot_reason why = ot_reason_error(1, "x");
	ot_ref ref;
	ck_assert_ot_err(ot_link(p), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_unlink(p), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_monitor(p, &ref), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_monitor_name("x", &ref), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_demonitor((ot_ref){1}, 0), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_exit_pid(p, &why), OT_ENOTSTARTED);
	int rc = ot_exit(&why);
	ck_assert_msg(rc == OT_ENOTSTARTED || rc == OT_ENOTPROC,
		      "ot_exit without a runtime returned %s", ot_err_name(rc));
	rc = ot_trap_exit(true, NULL);
	ck_assert_msg(rc == OT_ENOTSTARTED || rc == OT_ENOTPROC,
		      "ot_trap_exit without a runtime returned %s",
		      ot_err_name(rc));
}
END_TEST

/* ---- many ---------------------------------------------------------------- */

static ot_pid g_leader;

/* Links to the leader, says so, and waits for ever. */
static void member(void *arg)
{
	(void)arg;
	int rc = ot_link(g_leader);
	ot_send(g_test, T_READY, &rc, sizeof(rc));
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

/* Ends with error(arg) after its first message. */
static void fail_after_a_message(void *arg)
{
	ot_msg *m;
	if (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
	ot_reason r = ot_reason_error((int)(intptr_t)arg, "after a message");
	ot_exit(&r);
}

/* Thousands of links on one process, so that its set is a table that
 * grows past what it keeps and is cut back as they go: every link is
 * found by ot_process_links, by ot_unlink and by the EXIT that takes it,
 * and none is lost or left. */
START_TEST(test_many_links_of_one_process)
{
	size_t n = ot_test_scaled(5000);
	ot_pid *pids = calloc(n, sizeof(*pids));
	bool *exited = calloc(n, sizeof(bool));
	ck_assert(pids && exited);
	ot_spawn_opts o = {.flags = OT_SPAWN_LINK};
	for (size_t i = 0; i < n; i++)
		ck_assert_ot_ok(ot_spawn(fail_after_a_message,
					 (void *)(intptr_t)i, &o, &pids[i]));
	size_t total = 0, linked = n;
	ck_assert_ot_ok(ot_process_links(ot_self(), NULL, 0, &total));
	ck_assert_uint_eq(total, n);
	/* A child's one link is to us. */
	ot_pid peer;
	ck_assert_ot_ok(ot_process_links(pids[n - 1], &peer, 1, &total));
	ck_assert_uint_eq(total, 1);
	assert_pid(peer, ot_self(), "a child's link");
	for (size_t i = 0; i < n; i += 3) {
		ck_assert_ot_ok(ot_unlink(pids[i]));
		linked--;
	}
	ck_assert_ot_ok(ot_process_links(ot_self(), NULL, 0, &total));
	ck_assert_uint_eq(total, linked);
	ck_assert_ot_ok(ot_process_links(pids[0], NULL, 0, &total));
	ck_assert_uint_eq(total, 0);

	for (size_t i = 0; i < n; i++)
		ck_assert_ot_ok(ot_send(pids[i], T_DATA, NULL, 0));
	for (size_t got = 0; got < linked; got++) {
		ot_msg *m;
		int rc = ot_receive(&m, scaled_ms(5000));
		ck_assert_msg(rc == 0, "%zu of %zu EXITs: %s", got, linked,
			      ot_err_name(rc));
		const ot_exit_info *e = ot_msg_exit(m);
		ck_assert(e);
		size_t i = 0;
		while (i < n && !ot_pid_equal(pids[i], e->from))
			i++;
		ck_assert_msg(i < n && i % 3 != 0 && !exited[i],
			      "an EXIT from %zu", i);
		exited[i] = true;
		ot_reason want = ot_reason_error((int)i, "after a message");
		assert_reason(&e->reason, &want, "EXIT of one of many");
		ot_msg_free(m);
	}
	ck_assert(ot_test_wait_quiet(scaled_ms(5000)));
	/* The unlinked ones sent nothing, and nothing is left linked. */
	ot_msg *m;
	ck_assert_int_eq(ot_receive(&m, 0), OT_ETIMEDOUT);
	ck_assert_ot_ok(ot_process_links(ot_self(), NULL, 0, &total));
	ck_assert_uint_eq(total, 0);
	free(pids);
	free(exited);
}
END_TEST

START_TEST(test_many_linked_and_monitored)
{
	g_test = ot_self();
	size_t n = ot_test_scaled(1000);
	ot_pid *pids = calloc(n, sizeof(*pids));
	ot_ref *refs = calloc(n, sizeof(*refs));
	bool *exited = calloc(n, sizeof(bool)),
	     *downed = calloc(n, sizeof(bool));
	ck_assert(pids && refs && exited && downed);

	/* n children, linked to and monitored by the thread; odd ones fail */
	for (size_t i = 0; i < n; i++) {
		ot_spawn_opts o = {.flags = OT_SPAWN_LINK | OT_SPAWN_MONITOR,
				   .monitor_ref = &refs[i]};
		ck_assert_ot_ok(ot_spawn(i % 2 ? die_at_once : return_at_once,
					 (void *)(intptr_t)i, &o, &pids[i]));
	}
	size_t got = 0;
	while (got < 2 * n) {
		ot_msg *m;
		int rc = ot_receive(&m, scaled_ms(5000));
		ck_assert_msg(rc == 0, "%zu of %zu EXIT/DOWN: %s", got, 2 * n,
			      ot_err_name(rc));
		const ot_exit_info *e = ot_msg_exit(m);
		const ot_down_info *d = ot_msg_down(m);
		ck_assert(e || d);
		ot_pid who = e ? e->from : d->pid;
		size_t i = 0;
		while (i < n && !ot_pid_equal(pids[i], who))
			i++;
		ck_assert_msg(i < n, "a signal from an unknown pid");
		ot_reason want = i % 2 ? ot_reason_error((int)i, "at once")
				       : ot_reason_normal();
		if (e) {
			ck_assert(!exited[i]);
			exited[i] = true;
			assert_reason(&e->reason, &want, "EXIT of many");
		} else {
			ck_assert(!downed[i]);
			downed[i] = true;
			ck_assert_uint_eq(d->ref.id, refs[i].id);
			assert_reason(&d->reason, &want, "DOWN of many");
		}
		ot_msg_free(m);
		got++;
	}

	/* n members linked to one leader: when it fails, they all do */
	g_leader = spawn_agent();
	for (size_t i = 0; i < n; i++) {
		ck_assert_ot_ok(
		    ot_spawn(member, NULL,
			     &(ot_spawn_opts){.flags = OT_SPAWN_MONITOR,
					      .monitor_ref = &refs[i]},
			     &pids[i]));
	}
	for (size_t i = 0; i < n; i++) {
		ot_msg *m;
		ck_assert_ot_ok(ot_receive(&m, scaled_ms(5000)));
		ck_assert_uint_eq(ot_msg_tag(m), T_READY);
		int rc;
		memcpy(&rc, ot_msg_data(m), sizeof(rc));
		ck_assert_ot_ok(rc);
		ot_msg_free(m);
	}
	ot_reason why = ot_reason_error(121, "leader failed");
	ot_ref ml = mon(g_leader);
	agent_exit(g_leader, why);
	expect_died(ml, g_leader, why, "leader");
	for (size_t i = 0; i < n; i++) {
		ot_down_info d = ot_test_expect_down(refs[i], 5000, __func__);
		assert_pid(d.pid, pids[i], "member");
		assert_reason(&d.reason, &why, "member");
	}

	ck_assert(ot_test_wait_quiet(scaled_ms(5000)));
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	free(pids);
	free(refs);
	free(exited);
	free(downed);
}
END_TEST

/* Reports of processes ending with an error go here, not to stderr. */
static atomic_int g_reports;

static void count_report(const char *report, void *arg)
{
	(void)report;
	(void)arg;
	atomic_fetch_add(&g_reports, 1);
}

static void quiet_reports(void)
{
	ck_assert_ot_ok(ot_set_logger(count_report, NULL));
}

static TCase *signal_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, quiet_reports, NULL);
	return tc;
}

static Suite *signal_suite(void)
{
	Suite *s = suite_create("signal");

	TCase *tc = signal_tcase("spawn", 20);
	tcase_add_test(tc, test_spawn_link_atomic);
	tcase_add_test(tc, test_spawn_monitor_atomic);
	tcase_add_test(tc, test_spawn_bad_flags);
	suite_add_tcase(s, tc);

	tc = signal_tcase("link", 10);
	tcase_add_test(tc, test_link_twice_is_one_link);
	tcase_add_test(tc, test_unlink_removes_the_link);
	tcase_add_test(tc, test_unlink_keeps_arrived_exit);
	tcase_add_test(tc, test_unlink_cancels_pending_exit);
	tcase_add_test(tc, test_unlink_drops_only_its_exit);
	tcase_add_test(tc, test_link_self_does_nothing);
	tcase_add_test(tc, test_link_dead_pid_trapping);
	tcase_add_test(tc, test_link_dead_pid_not_trapping);
	tcase_add_test(tc, test_normal_exit_spares_links);
	tcase_add_test(tc, test_abnormal_exit_kills_links);
	tcase_add_test(tc, test_chain_keeps_reason);
	suite_add_tcase(s, tc);

	tc = signal_tcase("trap_exit", 10);
	tcase_add_test(tc, test_trap_exit_toggle);
	tcase_add_test(tc, test_trap_exit_read_when_processed);
	suite_add_tcase(s, tc);

	tc = signal_tcase("exit", 10);
	tcase_add_test(tc, test_signal_ends_a_waiting_process);
	tcase_add_test(tc, test_exit_pid_normal);
	tcase_add_test(tc, test_exit_pid_other_reasons);
	tcase_add_test(tc, test_exit_signals_to_foreign_thread);
	tcase_add_test(tc, test_kill_cannot_be_trapped);
	tcase_add_test(tc, test_exit_kill_is_trappable_by_links);
	tcase_add_test(tc, test_first_exit_signal_wins);
	suite_add_tcase(s, tc);

	tc = signal_tcase("monitor", 10);
	tcase_add_test(tc, test_monitor_down_fields);
	tcase_add_test(tc, test_monitor_by_name);
	tcase_add_test(tc, test_monitor_dead_or_unknown);
	tcase_add_test(tc, test_two_monitors_two_downs);
	tcase_add_test(tc, test_monitors_are_one_way);
	tcase_add_test(tc, test_demonitor_flush);
	tcase_add_test(tc, test_demonitor_info);
	tcase_add_test(tc, test_demonitor_not_owner);
	suite_add_tcase(s, tc);

	tc = signal_tcase("demonitor_race", 90);
	tcase_add_test(tc, test_demonitor_info_races_exit);
	suite_add_tcase(s, tc);

	tc = signal_tcase("order", 20);
	tcase_add_test(tc, test_messages_arrive_before_exit);
	tcase_add_test(tc, test_name_released_before_signals);
	suite_add_tcase(s, tc);

	tc = signal_tcase("messages", 10);
	tcase_add_test(tc, test_system_tags_refused);
	tcase_add_test(tc, test_msg_exit_down_accessors);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_runtime");
	tcase_set_timeout(tc, 5);
	tcase_add_test(tc, test_not_started);
	suite_add_tcase(s, tc);

	tc = signal_tcase("many", 30);
	tcase_add_test(tc, test_many_linked_and_monitored);
	tcase_add_test(tc, test_many_links_of_one_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(signal_suite());
}
