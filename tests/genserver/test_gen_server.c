/* SPDX-License-Identifier: MIT */
/*
 * test_gen_server.c — generic servers, rule by rule as Erlang's gen_server
 * has them: synchronous start (ok, ignore, stop and crash in init, start
 * timeout, taken names), calls (by pid and by name, timeouts whose late
 * replies never reach the caller's mailbox, deferred replies from other
 * processes and threads, a server that dies mid-call, dead pids, a server
 * calling itself, replies too big for the buffer), casts, handle_info,
 * handle_continue before queued messages, idle timeouts, hibernation that
 * gives memory back, stop, an EXIT from the parent, get_state, process
 * info, foreign threads, bad input, bad callback results, and a thousand
 * servers started and stopped. (Newer rules have suites of their own:
 * test_terminate.c, test_reply.c, test_callbacks.c, test_state.c.)
 *
 * Crashes in callbacks (SIGSEGV, SIGFPE, abort, stack overflow, a crash in
 * terminate) are in TCases named crash_* and tagged "crash", so that a
 * valgrind run can leave them out (CK_EXCLUDE_TAGS=crash).
 *
 * The servers under test run one callback table (ts_cb) driven by struct
 * req requests; unless configured quiet, they report what they do (init,
 * terminate, info, cast, continue) to the test thread as events. All
 * assertions are made on the test thread.
 */
#include "config.h"

#include <sys/mman.h>

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

#include <otter/gen_server.h>

#include "faults.h"

/* ---- tags ---------------------------------------------------------------- */

enum {
	/* plain messages to a server: they go to handle_info */
	T_INFO = 1000,
	T_INFO2,
	T_CRASH, /* payload: an int fault; handle_info faults */
	T_BAD,	 /* handle_info returns OT_GS_OK (not allowed there) */
	/* commands to a starter process */
	S_QUIT = 1100, /* return (reason normal) */
	S_EXIT,	       /* payload: ot_reason; ot_exit() with it */
	S_GO,	       /* to an exiter: payload ot_reason, ot_exit() */
	/* events to the test thread */
	EV_BASE = 2000,
	EV_INIT = EV_BASE, /* init ran */
	EV_TERMINATE,	   /* terminate ran: .reason */
	EV_INFO,	 /* handle_info got a message: .tag .from .size .data */
	EV_CAST,	 /* handle_cast OP_EVENT: .n */
	EV_CONTINUE,	 /* handle_continue: .n */
	EV_SAVED,	 /* handle_call OP_SAVE kept .gsfrom */
	EV_BLOCKED,	 /* handle_cast OP_BLOCK is waiting for g_release */
	EV_REPLIED,	 /* handle_cast OP_REPLY_SAVED: .n = reply()'s rc */
	EV_START_RESULT, /* a starter's struct start_res */
	EV_LATE_RESULT,	 /* a late_caller's struct late_res */
	EV_END,
};

/* Requests (struct req) for handle_call and handle_cast. */
enum {
	OP_ECHO = 1,	   /* call: reply n */
	OP_INCR,	   /* counter += n; call: reply counter */
	OP_SLEEP,	   /* call: sleep n ms, reply n */
	OP_STOP_REPLY,	   /* call: stop with reason, reply "goodbye" */
	OP_STOP,	   /* stop with reason, no reply */
	OP_EXIT,	   /* call: ot_exit(reason) */
	OP_CRASH,	   /* do_fault(fault) */
	OP_DEFER_PROC,	   /* call: noreply; another process replies n */
	OP_SAVE,	   /* call: noreply, keep from (EV_SAVED) */
	OP_REPLY_SAVED,	   /* cast: reply n to the kept from */
	OP_SELF,	   /* call: call/stop/get_state/call_name itself */
	OP_BIG,		   /* call: reply n bytes from the state */
	OP_TOUCH,	   /* call: touch TOUCH_BYTES of stack, reply */
	OP_HIBERNATE,	   /* call: reply, then hibernate */
	OP_TIMEOUT,	   /* call: reply with idle timeout n ms */
	OP_CONTINUE,	   /* call: queue an info and a cast, reply, continue */
	OP_CONTINUE_CRASH, /* cast: noreply, continue that faults */
	OP_CONTINUE_BAD,   /* cast: noreply, continue returns OT_GS_REPLY */
	OP_BAD,		   /* return action n (not allowed there) */
	OP_NOREPLY,	   /* call: never answered */
	OP_LINK,	   /* call: reply ot_link(pid) */
	OP_MONITOR,	   /* call: reply ot_monitor(pid) */
	OP_EVENT,	   /* cast: EV_CAST with n */
	OP_BLOCK,	   /* cast: EV_BLOCKED, wait for g_release; with n,
			      continue with n */
};

/* What init does (struct cfg.init). */
enum {
	I_OK,
	I_IGNORE,
	I_STOP,	    /* ot_gs_stop(cfg.reason) */
	I_CRASH,    /* do_fault(cfg.fault) */
	I_SLEEP,    /* sleep cfg.n ms, then ok */
	I_CONTINUE, /* queue an info and a cast, ok with a continue */
	I_TIMEOUT,  /* ok with idle timeout cfg.n */
	I_BAD,	    /* return action cfg.n */
};

/* handle_continue's argument: kind << 32 | value. */
enum { C_EVENT = 1, C_CRASH, C_BAD };
#define CONT(kind, v) (((uint64_t)(kind) << 32) | (uint32_t)(v))

/* The init argument. Zero: init returns ok, events on. */
struct cfg {
	int init;
	int fault;
	int64_t n;
	ot_reason reason;
	bool trap;		 /* trap exits in init */
	bool quiet;		 /* send no events */
	bool crash_in_terminate; /* terminate faults after its event */
};

struct req {
	int op;
	int fault;
	int64_t n;
	ot_reason reason;
	ot_pid pid;
	char name[OT_NAME_MAX + 1];
};

/* An event, from a server (or helper) to the test thread. */
struct ev {
	ot_pid server;
	int64_t n;
	uint64_t tag;
	ot_pid from;
	size_t size;
	int64_t data;
	ot_reason reason;
	ot_gs_from gsfrom;
	bool is_exit, is_down;
	ot_exit_info exit;
	ot_down_info down;
};

/* A server's state, from a static pool: a server that dies without
 * terminate (overflow, kill) leaks nothing a leak checker would see. */
#define BIG_SIZE 4096
struct st {
	struct cfg cfg;
	int64_t counter;
	int64_t out;
	int rcs[4];
	ot_gs_from saved;
	unsigned char big[BIG_SIZE];
};

#define POOL_SIZE 256
static struct st g_pool[POOL_SIZE];
static atomic_int g_pool_n;

static ot_pid g_test;		     /* the test thread */
static atomic_int g_release;	     /* ends an OP_BLOCK */
static atomic_int g_inits;	     /* init calls */
static atomic_int g_terminates;	     /* terminate calls */
static _Atomic uint64_t g_last_init; /* pid of the last init that ran */
static ot_gs_from g_saved_from;	     /* the last OP_SAVE's from ... */
static atomic_int g_saved;	     /* ... set once it is there */

/* ---- time (tmul and now_ms come from the fixture) ------------------------ */

/* ---- assertions ---------------------------------------------------------- */

#define assert_reason_kind(got, want_kind, what)                               \
	do {                                                                   \
		char ck_g_[OT_REASON_STRLEN];                                  \
		ot_reason_format((got), ck_g_, sizeof(ck_g_));                 \
		ck_assert_msg((got)->kind == (want_kind),                      \
			      "%s: reason %s, want kind %s", (what), ck_g_,    \
			      ot_reason_kind_name(want_kind));                 \
	} while (0)

#define assert_pid(got, want, what)                                            \
	ck_assert_msg(ot_pid_equal((got), (want)), "%s: pid %llx, want %llx",  \
		      (what), (unsigned long long)(got).id,                    \
		      (unsigned long long)(want).id)

#define assert_rc(expr, want, what)                                            \
	do {                                                                   \
		int ck_r_ = (expr);                                            \
		ck_assert_msg(ck_r_ == (want), "%s: %s, want %s", (what),      \
			      ot_err_name(ck_r_), ot_err_name(want));          \
	} while (0)

/* ---- the server under test ----------------------------------------------- */

#define TOUCH_BYTES (200 * 1024)

/* Writes one byte in each 256 of n bytes of stack. */
/* Where touch_stack's buffer lay: the stack pages hibernate should free. */
static _Atomic uintptr_t g_touch_lo, g_touch_hi;

__attribute__((noinline)) static void touch_stack(size_t n)
{
	volatile char buf[TOUCH_BYTES];
	for (size_t i = 0; i < n && i < sizeof(buf); i += 256)
		buf[i] = (char)i;
	g_sink = buf[0];
	atomic_store(&g_touch_lo, (uintptr_t)buf);
	atomic_store(&g_touch_hi, (uintptr_t)buf + sizeof(buf));
}

static struct st *st_new(void)
{
	int i = atomic_fetch_add(&g_pool_n, 1);
	if (i >= POOL_SIZE)
		return NULL;
	memset(&g_pool[i], 0, sizeof(g_pool[i]));
	return &g_pool[i];
}

static void ev_send(const struct st *s, uint64_t tag, struct ev *e)
{
	if (s && s->cfg.quiet)
		return;
	e->server = ot_self();
	ot_send(g_test, tag, e, sizeof(*e));
}

static struct ev ev_zero(void)
{
	struct ev e;
	memset(&e, 0, sizeof(e));
	return e;
}

/* Queues, behind whatever is already there, an info (T_INFO, 1) and a
 * cast (OP_EVENT, 2) to the calling server. */
static void queue_info_and_cast(void)
{
	int64_t one = 1;
	ot_send(ot_self(), T_INFO, &one, sizeof(one));
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = OP_EVENT;
	q.n = 2;
	ot_gen_server_cast(ot_self(), &q, sizeof(q));
}

static ot_gs_ret ts_init(void *arg, void **state)
{
	atomic_fetch_add(&g_inits, 1);
	atomic_store(&g_last_init, ot_self().id);
	struct st *s = st_new();
	if (!s)
		return ot_gs_stop(ot_reason_error(-1, "state pool exhausted"));
	s->cfg = *(const struct cfg *)arg;
	*state = s;
	struct ev e = ev_zero();
	ev_send(s, EV_INIT, &e);
	if (s->cfg.trap)
		ot_trap_exit(true, NULL);
	ot_gs_ret r = ot_gs_ok();
	switch (s->cfg.init) {
	case I_IGNORE:
		return ot_gs_ignore();
	case I_STOP:
		return ot_gs_stop(s->cfg.reason);
	case I_CRASH:
		do_fault(s->cfg.fault);
		break;
	case I_SLEEP:
		ot_sleep((int)s->cfg.n);
		break;
	case I_CONTINUE:
		queue_info_and_cast();
		r.has_continue = true;
		r.continue_arg = CONT(C_EVENT, 3);
		break;
	case I_TIMEOUT:
		r.timeout_ms = (int)s->cfg.n;
		r.has_timeout = true;
		break;
	case I_BAD:
		r.action = (ot_gs_action)s->cfg.n;
		r.reply = &s->out;
		r.reply_size = sizeof(s->out);
		break;
	default:
		break;
	}
	return r;
}

struct deferred {
	ot_gs_from from;
	int64_t value;
};

/* Replies for a server, from another process, a little later. */
static void replier(void *arg)
{
	struct deferred *d = arg;
	ot_sleep(10);
	ot_gen_server_reply(d->from, &d->value, sizeof(d->value));
	free(d);
}

static ot_gs_ret reply_out(struct st *s, int64_t v)
{
	s->out = v;
	return ot_gs_reply(&s->out, sizeof(s->out));
}

static ot_gs_ret ts_call(const void *request, size_t size, ot_gs_from from,
			 void **state)
{
	struct st *s = *state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_stop(ot_reason_error(-2, "bad request size"));
	memcpy(&q, request, sizeof(q));
	ot_gs_ret r;
	switch (q.op) {
	case OP_ECHO:
		return reply_out(s, q.n);
	case OP_INCR:
		s->counter += q.n;
		return reply_out(s, s->counter);
	case OP_SLEEP:
		ot_sleep((int)q.n);
		return reply_out(s, q.n);
	case OP_STOP_REPLY:
		/* from the state, which terminate scribbles over: the reply
		 * must have been copied before terminate ran */
		memcpy(s->big, "goodbye", 8);
		return ot_gs_stop_reply(q.reason, s->big, 8);
	case OP_STOP:
		return ot_gs_stop(q.reason);
	case OP_EXIT:
		ot_exit(&q.reason);
		return reply_out(s, -1);
	case OP_CRASH:
		do_fault(q.fault);
		return reply_out(s, -1);
	case OP_DEFER_PROC: {
		struct deferred *d = malloc(sizeof(*d));
		if (!d)
			return ot_gs_stop(ot_reason_error(-3, "malloc"));
		d->from = from;
		d->value = q.n;
		if (ot_spawn(replier, d, NULL, NULL) != 0) {
			free(d);
			return ot_gs_stop(ot_reason_error(-4, "spawn"));
		}
		return ot_gs_noreply();
	}
	case OP_SAVE: {
		s->saved = from;
		g_saved_from = from;
		atomic_store(&g_saved, 1);
		struct ev e = ev_zero();
		e.gsfrom = from;
		ev_send(s, EV_SAVED, &e);
		return ot_gs_noreply();
	}
	case OP_SELF: {
		struct req echo;
		memset(&echo, 0, sizeof(echo));
		echo.op = OP_ECHO;
		int64_t out;
		char buf[64];
		s->rcs[0] =
		    ot_gen_server_call(ot_self(), &echo, sizeof(echo), &out,
				       sizeof(out), NULL, 1000, NULL);
		s->rcs[1] = ot_gen_server_stop(ot_self(), NULL, 1000);
		s->rcs[2] =
		    ot_gen_server_get_state(ot_self(), buf, sizeof(buf), 1000);
		s->rcs[3] =
		    ot_gen_server_call_name(q.name, &echo, sizeof(echo), &out,
					    sizeof(out), NULL, 1000, NULL);
		return ot_gs_reply(s->rcs, sizeof(s->rcs));
	}
	case OP_BIG: {
		size_t n = (size_t)q.n;
		if (n > sizeof(s->big))
			n = sizeof(s->big);
		for (size_t i = 0; i < n; i++)
			s->big[i] = (unsigned char)(i * 7 + 3);
		return ot_gs_reply(n ? s->big : NULL, n);
	}
	case OP_TOUCH:
		touch_stack(TOUCH_BYTES);
		return reply_out(s, q.n);
	case OP_HIBERNATE:
		r = reply_out(s, q.n);
		r.hibernate = true;
		return r;
	case OP_TIMEOUT:
		r = reply_out(s, q.n);
		r.timeout_ms = (int)q.n;
		r.has_timeout = true;
		return r;
	case OP_CONTINUE:
		queue_info_and_cast();
		r = reply_out(s, q.n);
		r.has_continue = true;
		r.continue_arg = CONT(C_EVENT, 3);
		return r;
	case OP_BAD:
		r = reply_out(s, q.n);
		r.action = (ot_gs_action)q.n;
		return r;
	case OP_NOREPLY:
		return ot_gs_noreply();
	case OP_LINK:
		return reply_out(s, ot_link(q.pid));
	case OP_MONITOR: {
		ot_ref ref;
		return reply_out(s, ot_monitor(q.pid, &ref));
	}
	default:
		return ot_gs_stop(ot_reason_error(-5, "unknown call"));
	}
}

static ot_gs_ret ts_cast(const void *request, size_t size, void **state)
{
	struct st *s = *state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_stop(ot_reason_error(-2, "bad request size"));
	memcpy(&q, request, sizeof(q));
	struct ev e = ev_zero();
	ot_gs_ret r = ot_gs_noreply();
	switch (q.op) {
	case OP_EVENT:
		e.n = q.n;
		ev_send(s, EV_CAST, &e);
		break;
	case OP_INCR:
		s->counter += q.n;
		break;
	case OP_CRASH:
		do_fault(q.fault);
		break;
	case OP_STOP:
		return ot_gs_stop(q.reason);
	case OP_BAD:
		r.action = (ot_gs_action)q.n;
		r.reply = &s->out;
		r.reply_size = sizeof(s->out);
		break;
	case OP_REPLY_SAVED:
		s->out = q.n;
		e.n = ot_gen_server_reply(s->saved, &s->out, sizeof(s->out));
		ev_send(s, EV_REPLIED, &e);
		break;
	case OP_BLOCK: {
		ev_send(s, EV_BLOCKED, &e);
		int64_t deadline = now_ms() + scaled_ms(5000);
		while (!atomic_load(&g_release) && now_ms() < deadline)
			ot_sleep(1);
		if (q.n) {
			r.has_continue = true;
			r.continue_arg = CONT(C_EVENT, q.n);
		}
		break;
	}
	case OP_CONTINUE_CRASH:
		r.has_continue = true;
		r.continue_arg = CONT(C_CRASH, q.fault);
		break;
	case OP_CONTINUE_BAD:
		r.has_continue = true;
		r.continue_arg = CONT(C_BAD, OT_GS_REPLY);
		break;
	default:
		break;
	}
	return r;
}

static ot_gs_ret ts_info(const ot_msg *msg, void **state)
{
	struct st *s = *state;
	uint64_t tag = ot_msg_tag(msg);
	if (tag == T_CRASH && ot_msg_size(msg) == sizeof(int)) {
		int f;
		memcpy(&f, ot_msg_data(msg), sizeof(f));
		do_fault(f);
	}
	struct ev e = ev_zero();
	e.tag = tag;
	e.from = ot_msg_from(msg);
	e.size = ot_msg_size(msg);
	if (e.size >= sizeof(e.data))
		memcpy(&e.data, ot_msg_data(msg), sizeof(e.data));
	const ot_exit_info *ei = ot_msg_exit(msg);
	const ot_down_info *di = ot_msg_down(msg);
	if (ei) {
		e.is_exit = true;
		e.exit = *ei;
	}
	if (di) {
		e.is_down = true;
		e.down = *di;
	}
	ev_send(s, EV_INFO, &e);
	ot_gs_ret r = ot_gs_noreply();
	if (tag == T_BAD)
		r.action = OT_GS_OK;
	return r;
}

static ot_gs_ret ts_continue(uint64_t arg, void **state)
{
	struct st *s = *state;
	uint32_t v = (uint32_t)arg;
	struct ev e = ev_zero();
	ot_gs_ret r = ot_gs_noreply();
	switch (arg >> 32) {
	case C_EVENT:
		e.n = v;
		ev_send(s, EV_CONTINUE, &e);
		break;
	case C_CRASH:
		do_fault((int)v);
		break;
	case C_BAD:
		r.action = (ot_gs_action)v;
		r.reply = &s->out;
		r.reply_size = sizeof(s->out);
		break;
	default:
		break;
	}
	return r;
}

static void ts_terminate(const ot_reason *reason, void *state)
{
	struct st *s = state;
	atomic_fetch_add(&g_terminates, 1);
	struct ev e = ev_zero();
	if (reason)
		e.reason = *reason;
	ev_send(s, EV_TERMINATE, &e);
	if (s) {
		memset(s->big, 0xEE, sizeof(s->big));
		if (s->cfg.crash_in_terminate)
			do_fault(F_NULL_WRITE);
	}
}

static int ts_format(void *state, char *buf, size_t size)
{
	struct st *s = state;
	return snprintf(buf, size, "counter=%lld",
			(long long)(s ? s->counter : -1));
}

static const ot_gen_server_callbacks ts_cb = {
    .init = ts_init,
    .handle_call = ts_call,
    .handle_cast = ts_cast,
    .handle_info = ts_info,
    .handle_continue = ts_continue,
    .terminate = ts_terminate,
    .format_status = ts_format,
};

/* ---- the test thread's side ---------------------------------------------- */

struct match_arg {
	ot_pid from;
	uint64_t tag;
	ot_ref ref;
};

static bool match_from_tag(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	return ot_msg_tag(m) == a->tag &&
	       (ot_pid_is_none(a->from) ||
		ot_pid_equal(ot_msg_from(m), a->from));
}

static bool match_any_event_from(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	uint64_t t = ot_msg_tag(m);
	return t >= EV_BASE && t < EV_END &&
	       ot_pid_equal(ot_msg_from(m), a->from);
}

static bool match_exit(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_exit(m) != NULL;
}

static bool match_info_tag(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	struct ev e;
	if (ot_msg_tag(m) != EV_INFO || ot_msg_size(m) != sizeof(e))
		return false;
	memcpy(&e, ot_msg_data(m), sizeof(e));
	return e.tag == a->tag &&
	       (ot_pid_is_none(a->from) || ot_pid_equal(e.server, a->from));
}

static struct ev take_ev(ot_msg *m)
{
	struct ev e;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(e));
	memcpy(&e, ot_msg_data(m), sizeof(e));
	ot_msg_free(m);
	return e;
}

/* Takes the event tag from server (any server if none), waiting up to
 * timeout_ms. */
static struct ev expect_ev_within(uint64_t tag, ot_pid server, int timeout_ms,
				  const char *what)
{
	struct match_arg ma = {.from = server, .tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_from_tag, &ma, &m, timeout_ms);
	ck_assert_msg(rc == 0, "%s: no event %d: %s", what, (int)tag,
		      ot_err_name(rc));
	return take_ev(m);
}

static struct ev expect_ev(uint64_t tag, ot_pid server, const char *what)
{
	return expect_ev_within(tag, server, scaled_ms(3000), what);
}

static void expect_no_ev(uint64_t tag, ot_pid server, int ms, const char *what)
{
	struct match_arg ma = {.from = server, .tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_from_tag, &ma, &m, ms);
	if (rc == 0) {
		ot_msg_free(m);
		ck_abort_msg("%s: unexpected event %d", what, (int)tag);
	}
	ck_assert_ot_err(rc, OT_ETIMEDOUT);
}

/* The next event server sent, whatever its tag. */
static struct ev next_ev(ot_pid server, uint64_t *tag, const char *what)
{
	struct match_arg ma = {.from = server};
	ot_msg *m;
	int rc =
	    ot_receive_match(match_any_event_from, &ma, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "%s: no event: %s", what, ot_err_name(rc));
	*tag = ot_msg_tag(m);
	return take_ev(m);
}

static struct ev expect_info(uint64_t tag, ot_pid server, int timeout_ms,
			     const char *what)
{
	struct match_arg ma = {.from = server, .tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_info_tag, &ma, &m, timeout_ms);
	ck_assert_msg(rc == 0, "%s: handle_info did not get tag %#llx: %s",
		      what, (unsigned long long)tag, ot_err_name(rc));
	return take_ev(m);
}

static void expect_no_info(uint64_t tag, ot_pid server, int ms,
			   const char *what)
{
	struct match_arg ma = {.from = server, .tag = tag};
	ot_msg *m;
	int rc = ot_receive_match(match_info_tag, &ma, &m, ms);
	if (rc == 0) {
		ot_msg_free(m);
		ck_abort_msg("%s: handle_info got tag %#llx", what,
			     (unsigned long long)tag);
	}
}

/* Nothing at all is (or arrives within a moment) in the caller's
 * mailbox. */
static void assert_mailbox_empty(const char *what)
{
	ot_msg *m;
	int rc = ot_receive(&m, 20);
	if (rc == 0) {
		unsigned long long tag = ot_msg_tag(m);
		unsigned long long alias = ot_msg_alias(m);
		size_t size = ot_msg_size(m);
		ot_msg_free(m);
		ck_abort_msg("%s: a message is left in the mailbox: tag %#llx, "
			     "alias %llu, %zu bytes",
			     what, tag, alias, size);
	}
	ck_assert_ot_err(rc, OT_ETIMEDOUT);
	ot_process_info pi;
	ck_assert_ot_ok(ot_process_info_get(ot_self(), &pi));
	ck_assert_msg(pi.message_queue_len == 0, "%s: message_queue_len %zu",
		      what, pi.message_queue_len);
}

static struct req mkreq(int op, int64_t n)
{
	struct req q;
	memset(&q, 0, sizeof(q));
	q.op = op;
	q.n = n;
	return q;
}

static struct cfg mkcfg(int init)
{
	struct cfg c;
	memset(&c, 0, sizeof(c));
	c.init = init;
	return c;
}

static ot_gen_server_opts mkopts(const char *name)
{
	ot_gen_server_opts o;
	memset(&o, 0, sizeof(o));
	o.name = name;
	return o;
}

static ot_pid start_with(const ot_gen_server_callbacks *cb, const struct cfg *c,
			 const ot_gen_server_opts *o)
{
	ot_pid p = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_gen_server_start(cb, (void *)c, o, &p, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "start: %s (%s)", ot_err_name(rc), text);
	ck_assert(!ot_pid_is_none(p));
	return p;
}

static ot_pid start_cfg(const struct cfg *c, const char *name)
{
	ot_gen_server_opts o = mkopts(name);
	return start_with(&ts_cb, c, &o);
}

static ot_pid start_plain(void)
{
	struct cfg c = mkcfg(I_OK);
	return start_cfg(&c, NULL);
}

static ot_pid start_quiet(void)
{
	struct cfg c = mkcfg(I_OK);
	c.quiet = true;
	return start_cfg(&c, NULL);
}

/* Calls with a request, expecting success and an int64 reply. */
static int64_t call_ok(ot_pid srv, struct req q, const char *what)
{
	int64_t out = -12345;
	size_t rs = 0;
	ot_reason why;
	int rc = ot_gen_server_call(srv, &q, sizeof(q), &out, sizeof(out), &rs,
				    scaled_ms(3000), &why);
	ck_assert_msg(rc == 0, "%s: call op %d: %s", what, q.op,
		      ot_err_name(rc));
	ck_assert_msg(rs == sizeof(out), "%s: reply_size %zu", what, rs);
	return out;
}

static int64_t call_n(ot_pid srv, int op, int64_t n)
{
	return call_ok(srv, mkreq(op, n), "call");
}

/* Calls expecting an error; *why gets the reason. */
static int call_err(ot_pid srv, struct req q, int timeout_ms, ot_reason *why)
{
	int64_t out;
	size_t rs = 0;
	memset(why, 0, sizeof(*why));
	return ot_gen_server_call(srv, &q, sizeof(q), &out, sizeof(out), &rs,
				  timeout_ms, why);
}

static void cast_req(ot_pid srv, struct req q)
{
	ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof(q)));
}

static void stop_ok(ot_pid srv)
{
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}

/* Waits up to ms for pid to be gone. */
static bool wait_dead(ot_pid pid, int ms)
{
	int64_t deadline = now_ms() + ms;
	while (ot_is_alive(pid)) {
		if (now_ms() > deadline)
			return false;
		ot_sleep(1);
	}
	return true;
}

static void assert_no_name(const char *name, const char *what)
{
	ot_pid p;
	int rc = ot_whereis(name, &p);
	ck_assert_msg(rc == OT_ENOTREG, "%s: name %s still registered (%s)",
		      what, name, ot_err_name(rc));
}

static void gs_setup(void)
{
	ot_test_log_capture();
	g_test = ot_self();
	ck_assert(!ot_pid_is_none(g_test));
	atomic_store(&g_release, 0);
	atomic_store(&g_inits, 0);
	atomic_store(&g_terminates, 0);
	atomic_store(&g_pool_n, 0);
	atomic_store(&g_last_init, 0);
	atomic_store(&g_saved, 0);
}

/* ---- starters: processes that start a server and report ------------------ */

struct starter {
	struct cfg cfg;
	char name[OT_NAME_MAX + 1];
	int timeout_ms;
	bool link, trap;
};

struct start_res {
	int rc;
	ot_pid pid;
	ot_reason reason;
	bool alive_at_return; /* the server init ran in, when start returned */
	bool gone_later;      /* ... and within a second */
	int whereis_rc;	      /* the name, then (0 when no name) */
	int nmsgs;	      /* what reached the starter's mailbox */
	uint64_t tags[4];
	int64_t elapsed_ms;
};

static void starter_proc(void *arg)
{
	/* init reads cfg while we wait in start: it must not be on our own
	 * stack (otter/proc.h, "Stacks"); arg is the test thread's. */
	const struct starter *shared = arg;
	struct starter a = *shared;
	if (a.trap)
		ot_trap_exit(true, NULL);
	struct start_res r;
	memset(&r, 0, sizeof(r));
	ot_gen_server_opts o = mkopts(a.name[0] ? a.name : NULL);
	o.start_timeout_ms = a.timeout_ms;
	int64_t t0 = now_ms();
	void *cfg = (void *)&shared->cfg;
	r.rc = a.link ? ot_gen_server_start_link(&ts_cb, cfg, &o, &r.pid,
						 &r.reason)
		      : ot_gen_server_start(&ts_cb, cfg, &o, &r.pid, &r.reason);
	r.elapsed_ms = now_ms() - t0;
	ot_pid srv = {atomic_load(&g_last_init)};
	r.alive_at_return = !ot_pid_is_none(srv) && ot_is_alive(srv);
	r.gone_later = ot_pid_is_none(srv) ||
		       (r.rc != 0 && wait_dead(srv, scaled_ms(1000)));
	if (a.name[0]) {
		ot_pid p;
		r.whereis_rc = ot_whereis(a.name, &p);
	}
	ot_msg *m;
	while (r.nmsgs < 4 && ot_receive(&m, 30) == 0) {
		r.tags[r.nmsgs++] = ot_msg_tag(m);
		ot_msg_free(m);
	}
	ot_send(g_test, EV_START_RESULT, &r, sizeof(r));
	for (;;) {
		if (ot_receive(&m, OT_INFINITY) != 0)
			return;
		uint64_t tag = ot_msg_tag(m);
		ot_reason why;
		memset(&why, 0, sizeof(why));
		if (ot_msg_size(m) == sizeof(why))
			memcpy(&why, ot_msg_data(m), sizeof(why));
		ot_msg_free(m);
		if (tag == S_QUIT)
			return;
		if (tag == S_EXIT)
			ot_exit(&why);
	}
}

static bool match_result_or_down(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	return ot_test_is_down_of(m, (void *)&a->ref) ||
	       (ot_msg_tag(m) == EV_START_RESULT &&
		ot_pid_equal(ot_msg_from(m), a->from));
}

/* Spawns a starter (monitored: *ref) and takes its result. */
static struct start_res run_starter(const struct starter *a, ot_pid *pid,
				    ot_ref *ref)
{
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = ref};
	ck_assert_ot_ok(ot_spawn(starter_proc, (void *)a, &so, pid));
	struct match_arg ma = {.from = *pid, .ref = *ref};
	ot_msg *m;
	int rc =
	    ot_receive_match(match_result_or_down, &ma, &m, scaled_ms(5000));
	ck_assert_msg(rc == 0, "no result from the starter: %s",
		      ot_err_name(rc));
	const ot_down_info *d = ot_msg_down(m);
	if (d) {
		char text[OT_REASON_STRLEN];
		ot_reason_format(&d->reason, text, sizeof(text));
		ot_msg_free(m);
		ck_abort_msg("the starting process died (%s) before start "
			     "returned",
			     text);
	}
	struct start_res r;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(r));
	memcpy(&r, ot_msg_data(m), sizeof(r));
	ot_msg_free(m);
	return r;
}

/* The starter is alive and well: it ends normally when told to. */
static void quit_starter(ot_pid pid, ot_ref ref, const char *what)
{
	ck_assert_ot_ok(ot_send(pid, S_QUIT, NULL, 0));
	ot_down_info d = ot_test_expect_down(ref, 3000, what);
	ot_reason normal = ot_reason_normal();
	assert_reason(&d.reason, &normal, what);
}

/* ---- start --------------------------------------------------------------- */

START_TEST(test_start_and_call)
{
	ot_pid srv = start_plain();
	struct ev e = expect_ev(EV_INIT, srv, "init");
	assert_pid(e.server, srv, "init ran in the server");
	ck_assert(ot_is_alive(srv));
	ck_assert_int_eq(atomic_load(&g_inits), 1);
	ck_assert_int_eq(call_n(srv, OP_ECHO, 42), 42);
	ck_assert_int_eq(call_n(srv, OP_INCR, 5), 5);
	ck_assert_int_eq(call_n(srv, OP_INCR, 6), 11);
	stop_ok(srv);
	ck_assert(!ot_is_alive(srv));
}
END_TEST

/* start with opts.monitor: the reference sees the server end. */
START_TEST(test_start_monitor_option)
{
	struct cfg c = mkcfg(I_OK);
	ot_ref ref = {0};
	ot_gen_server_opts o = mkopts(NULL);
	o.monitor = true;
	o.monitor_ref = &ref;
	ot_pid srv = start_with(&ts_cb, &c, &o);
	ck_assert_uint_ne(ref.id, 0);
	ot_reason why = ot_reason_shutdown_detail("monitored");
	ck_assert_ot_ok(ot_gen_server_stop(srv, &why, scaled_ms(3000)));
	ot_down_info d = ot_test_expect_down(ref, 3000, "start's monitor");
	assert_pid(d.pid, srv, "start's monitor");
	assert_reason(&d.reason, &why, "start's monitor");
}
END_TEST

/*
 * Loop: init fails in one of three ways (ignore, stop with a reason, a
 * result init may not return), started by one of four callers (a trapping
 * process with start_link, a non-trapping one with start_link, a process
 * with start, the test thread with start_link). No process, no name and
 * no EXIT message are left, and the caller lives on.
 */
enum { SF_IGNORE, SF_STOP, SF_BAD, SF_MODES };
enum { SC_TRAP_LINK, SC_LINK, SC_NOLINK, SC_FOREIGN_LINK, SC_CALLERS };

START_TEST(test_start_failure)
{
	int mode = _i / SC_CALLERS, caller = _i % SC_CALLERS;
	static const char *const mode_names[] = {"ignore", "stop",
						 "bad result"};
	static const char *const caller_names[] = {
	    "trapping start_link", "start_link", "start", "foreign start_link"};
	char what[96];
	snprintf(what, sizeof(what), "%s, %s", mode_names[mode],
		 caller_names[caller]);
	const char *name = "gs_failing";

	struct starter a;
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "%s", name);
	a.link = caller != SC_NOLINK;
	a.trap = caller == SC_TRAP_LINK;
	ot_reason want = ot_reason_error(17, "no config");
	int want_rc = OT_EINITSTOP;
	switch (mode) {
	case SF_IGNORE:
		a.cfg.init = I_IGNORE;
		want_rc = OT_EIGNORED;
		break;
	case SF_STOP:
		a.cfg.init = I_STOP;
		a.cfg.reason = want;
		break;
	default:
		a.cfg.init = I_BAD;
		a.cfg.n = OT_GS_REPLY; /* not something init may return */
		break;
	}

	struct start_res r;
	ot_pid starter = OT_PID_NONE;
	ot_ref sref = {0};
	if (caller == SC_FOREIGN_LINK) {
		memset(&r, 0, sizeof(r));
		ot_gen_server_opts o = mkopts(name);
		r.rc = ot_gen_server_start_link(&ts_cb, &a.cfg, &o, &r.pid,
						&r.reason);
		ot_pid srv = {atomic_load(&g_last_init)};
		r.alive_at_return = ot_is_alive(srv);
		ot_pid p;
		r.whereis_rc = ot_whereis(name, &p);
		/* no EXIT from the server, now or a moment later */
		ot_msg *m;
		if (ot_receive_match(match_exit, NULL, &m, 30) == 0) {
			r.tags[r.nmsgs++] = ot_msg_tag(m);
			ot_msg_free(m);
		}
		r.gone_later = wait_dead(srv, 1000);
	} else {
		r = run_starter(&a, &starter, &sref);
	}

	assert_rc(r.rc, want_rc, what);
	if (mode == SF_STOP)
		assert_reason(&r.reason, &want, what);
	if (mode == SF_BAD)
		assert_reason_kind(&r.reason, OT_REASON_ERROR, what);
	struct ev e = expect_ev(EV_INIT, OT_PID_NONE, what);
	ck_assert_msg(!r.alive_at_return,
		      "%s: the server is still alive when start returns", what);
	ck_assert_msg(r.gone_later, "%s: the server is still alive", what);
	ck_assert(!ot_is_alive(e.server));
	ck_assert_msg(r.whereis_rc == OT_ENOTREG,
		      "%s: whereis after start: %s, want OT_ENOTREG", what,
		      ot_err_name(r.whereis_rc));
	ck_assert_msg(
	    r.nmsgs == 0,
	    "%s: the caller got a message (tag %#llx) from the failed "
	    "start",
	    what, (unsigned long long)r.tags[0]);
	/* init failed: terminate has nothing to run on (as in OTP) */
	ck_assert_msg(atomic_load(&g_terminates) == 0,
		      "%s: terminate ran after init failed", what);
	if (caller != SC_FOREIGN_LINK)
		quit_starter(starter, sref, what);
}
END_TEST

/* init takes longer than the start timeout: ETIMEDOUT, and the half
 * started server is killed (with its name), no EXIT left behind. Loop:
 * the start_link caller traps exits (0) or not (1): it lives on. */
START_TEST(test_start_timeout)
{
	struct starter a;
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "gs_slow");
	a.cfg.init = I_SLEEP;
	a.cfg.n = scaled_ms(5000);
	a.timeout_ms = 100;
	a.link = true;
	a.trap = _i == 0;
	ot_pid starter;
	ot_ref sref;
	struct start_res r = run_starter(&a, &starter, &sref);
	assert_rc(r.rc, OT_ETIMEDOUT, "start timeout");
	ck_assert_msg(r.elapsed_ms >= 90, "start returned after %lld ms",
		      (long long)r.elapsed_ms);
	struct ev e = expect_ev(EV_INIT, OT_PID_NONE, "slow init");
	ck_assert_msg(r.gone_later, "the half-started server is still alive");
	ck_assert(!ot_is_alive(e.server));
	ck_assert_msg(r.whereis_rc == OT_ENOTREG, "whereis: %s",
		      ot_err_name(r.whereis_rc));
	ck_assert_msg(r.nmsgs == 0, "the trapping caller got tag %#llx",
		      (unsigned long long)r.tags[0]);
	ck_assert_int_eq(atomic_load(&g_terminates), 0);
	quit_starter(starter, sref, "start timeout");
	if (_i != 0)
		return;

	/* the test thread, with start: the same */
	struct cfg c = mkcfg(I_SLEEP);
	c.n = scaled_ms(5000);
	ot_gen_server_opts o = mkopts("gs_slow");
	o.start_timeout_ms = 50;
	ot_pid p;
	ck_assert_ot_err(ot_gen_server_start(&ts_cb, &c, &o, &p, NULL),
			 OT_ETIMEDOUT);
	e = expect_ev(EV_INIT, OT_PID_NONE, "slow init");
	ck_assert_msg(wait_dead(e.server, 1000),
		      "the half-started server is still alive");
	assert_no_name("gs_slow", "start timeout");
}
END_TEST

START_TEST(test_name_taken)
{
	struct cfg c = mkcfg(I_OK);
	ot_pid a = start_cfg(&c, "gs_named");
	ot_pid w;
	ck_assert_ot_ok(ot_whereis("gs_named", &w));
	assert_pid(w, a, "whereis");
	ck_assert_int_eq(atomic_load(&g_inits), 1);

	ot_gen_server_opts o = mkopts("gs_named");
	ot_pid b = OT_PID_NONE;
	ck_assert_ot_err(ot_gen_server_start(&ts_cb, &c, &o, &b, NULL),
			 OT_EALREADY);
	assert_pid(b, a, "start: the pid that has the name");
	b = OT_PID_NONE;
	ck_assert_ot_err(ot_gen_server_start_link(&ts_cb, &c, &o, &b, NULL),
			 OT_EALREADY);
	assert_pid(b, a, "start_link: the pid that has the name");
	/* OTP registers before init: the second init never ran */
	ck_assert_int_eq(atomic_load(&g_inits), 1);
	ck_assert(ot_is_alive(a));

	/* call by name */
	struct req q = mkreq(OP_ECHO, 99);
	int64_t out = 0;
	size_t rs = 0;
	ck_assert_ot_ok(ot_gen_server_call_name("gs_named", &q, sizeof(q), &out,
						sizeof(out), &rs,
						scaled_ms(3000), NULL));
	ck_assert_int_eq(out, 99);
	ck_assert_uint_eq(rs, sizeof(out));

	stop_ok(a);
	assert_no_name("gs_named", "after stop");
	/* the name is free again */
	ot_pid again = start_cfg(&c, "gs_named");
	stop_ok(again);
}
END_TEST

START_TEST(test_name_too_long)
{
	char name[OT_NAME_MAX + 2];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	struct cfg c = mkcfg(I_OK);
	ot_gen_server_opts o = mkopts(name);
	ck_assert_ot_err(ot_gen_server_start(&ts_cb, &c, &o, NULL, NULL),
			 OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_gen_server_start_link(&ts_cb, &c, &o, NULL, NULL),
			 OT_ENAMETOOLONG);
	ck_assert_int_eq(atomic_load(&g_inits), 0);
	/* OT_NAME_MAX bytes is fine */
	name[OT_NAME_MAX] = '\0';
	ot_pid p = start_cfg(&c, name);
	ot_process_info pi;
	ck_assert_ot_ok(ot_process_info_get(p, &pi));
	ck_assert_str_eq(pi.name, name);
	stop_ok(p);
}
END_TEST

/* ---- calls --------------------------------------------------------------- */

/* {stop, Reason, Reply, State}: terminate runs first, then the reply
 * (copied before terminate) goes out. */
START_TEST(test_stop_reply_after_terminate)
{
	ot_pid srv = start_plain();
	ot_ref ref = ot_test_monitor(srv);
	struct req q = mkreq(OP_STOP_REPLY, 0);
	q.reason = ot_reason_shutdown_detail("done");
	char out[16] = "";
	size_t rs = 0;
	ot_reason why;
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof(q), out, sizeof(out),
					   &rs, scaled_ms(3000), &why));
	ck_assert_uint_eq(rs, 8);
	ck_assert_str_eq(out, "goodbye");
	/* terminate's event was sent before the reply: it is here already */
	ck_assert_int_eq(atomic_load(&g_terminates), 1);
	struct ev e = expect_ev_within(EV_TERMINATE, srv, 0,
				       "terminate before the reply");
	assert_reason(&e.reason, &q.reason, "terminate");
	ot_down_info d = ot_test_expect_down(ref, 3000, "stop_reply");
	assert_reason(&d.reason, &q.reason, "stop_reply");
}
END_TEST

/* A call that times out returns OT_ETIMEDOUT; the reply that comes later
 * never shows up in the caller's mailbox. The test thread is the caller. */
START_TEST(test_call_timeout_late_reply_foreign)
{
	ot_pid srv = start_quiet();
	ot_reason why;
	int64_t t0 = now_ms();
	int rc = call_err(srv, mkreq(OP_SLEEP, 150), 30, &why);
	int64_t dt = now_ms() - t0;
	assert_rc(rc, OT_ETIMEDOUT, "slow call");
	ck_assert_msg(dt >= 25, "the call timed out after %lld ms",
		      (long long)dt);
	/* this one is answered after the slow one was, to a caller gone */
	ck_assert_int_eq(call_n(srv, OP_ECHO, 5), 5);
	assert_mailbox_empty("after a late reply");

	/* a deferred reply to a caller that gave up is dropped too */
	rc = call_err(srv, mkreq(OP_SAVE, 0), 30, &why);
	assert_rc(rc, OT_ETIMEDOUT, "saved call");
	cast_req(srv, mkreq(OP_REPLY_SAVED, 9));
	ck_assert_int_eq(call_n(srv, OP_ECHO, 6), 6);
	assert_mailbox_empty("after a late deferred reply");
	stop_ok(srv);
}
END_TEST

struct late_res {
	int rc1, rc2;
	int64_t v;
	size_t qlen;
	bool stray;
	uint64_t stray_tag;
};

static ot_pid g_srv; /* for helper processes */

static void late_caller(void *arg)
{
	(void)arg;
	struct late_res r;
	memset(&r, 0, sizeof(r));
	struct req q = mkreq(OP_SLEEP, 150);
	int64_t out = 0;
	r.rc1 = ot_gen_server_call(g_srv, &q, sizeof(q), &out, sizeof(out),
				   NULL, 30, NULL);
	q = mkreq(OP_ECHO, 7);
	r.rc2 = ot_gen_server_call(g_srv, &q, sizeof(q), &out, sizeof(out),
				   NULL, scaled_ms(3000), NULL);
	r.v = out;
	ot_sleep(20);
	ot_process_info pi;
	if (ot_process_info_get(ot_self(), &pi) == 0)
		r.qlen = pi.message_queue_len;
	ot_msg *m;
	if (ot_receive(&m, 0) == 0) {
		r.stray = true;
		r.stray_tag = ot_msg_tag(m);
		ot_msg_free(m);
	}
	ot_send(g_test, EV_LATE_RESULT, &r, sizeof(r));
}

/* The same from a process. */
START_TEST(test_call_timeout_late_reply_process)
{
	g_srv = start_quiet();
	ot_pid c;
	ck_assert_ot_ok(ot_spawn(late_caller, NULL, NULL, &c));
	struct match_arg ma = {.from = c, .tag = EV_LATE_RESULT};
	ot_msg *m;
	ck_assert_ot_ok(
	    ot_receive_match(match_from_tag, &ma, &m, scaled_ms(3000)));
	struct late_res r;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(r));
	memcpy(&r, ot_msg_data(m), sizeof(r));
	ot_msg_free(m);
	assert_rc(r.rc1, OT_ETIMEDOUT, "slow call from a process");
	assert_rc(r.rc2, 0, "next call from a process");
	ck_assert_int_eq(r.v, 7);
	ck_assert_msg(!r.stray && r.qlen == 0,
		      "a late reply reached the process's mailbox (tag %#llx, "
		      "queue %zu)",
		      (unsigned long long)r.stray_tag, r.qlen);
	stop_ok(g_srv);
}
END_TEST

/* handle_call keeps from; another process replies. */
START_TEST(test_deferred_reply_from_process)
{
	ot_pid srv = start_plain();
	ck_assert_int_eq(call_n(srv, OP_DEFER_PROC, 1234), 1234);
	ck_assert_int_eq(call_n(srv, OP_DEFER_PROC, -8), -8);
	stop_ok(srv);
}
END_TEST

struct thr_call {
	ot_pid srv;
	struct req q;
	int rc;
	int64_t out;
	size_t rs;
	ot_reason why;
};

static void *thr_one_call(void *arg)
{
	struct thr_call *t = arg;
	t->rc = ot_gen_server_call(t->srv, &t->q, sizeof(t->q), &t->out,
				   sizeof(t->out), &t->rs, scaled_ms(5000),
				   &t->why);
	ot_thread_detach();
	return NULL;
}

/* A pthread calls; the server keeps from and goes on serving; the test
 * thread (a foreign thread) replies for it. Then the server itself replies
 * later to a second kept call. */
START_TEST(test_deferred_reply_from_thread_and_later)
{
	ot_pid srv = start_plain();
	struct thr_call t;
	memset(&t, 0, sizeof(t));
	t.srv = srv;
	t.q = mkreq(OP_SAVE, 0);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, thr_one_call, &t), 0);
	struct ev e = expect_ev(EV_SAVED, srv, "saved from");
	/* the server is not blocked by the pending call */
	ck_assert_int_eq(call_n(srv, OP_ECHO, 3), 3);
	int64_t v = 77;
	ck_assert_ot_ok(ot_gen_server_reply(e.gsfrom, &v, sizeof(v)));
	pthread_join(th, NULL);
	ck_assert_msg(t.rc == 0, "deferred call: %s", ot_err_name(t.rc));
	ck_assert_int_eq(t.out, 77);
	ck_assert_uint_eq(t.rs, sizeof(v));
	/* a second reply to the same call is dropped, without error */
	ck_assert_ot_ok(ot_gen_server_reply(e.gsfrom, &v, sizeof(v)));

	/* the server answers from a later callback */
	memset(&t, 0, sizeof(t));
	t.srv = srv;
	t.q = mkreq(OP_SAVE, 0);
	ck_assert_int_eq(pthread_create(&th, NULL, thr_one_call, &t), 0);
	expect_ev(EV_SAVED, srv, "saved from");
	cast_req(srv, mkreq(OP_REPLY_SAVED, 88));
	e = expect_ev(EV_REPLIED, srv, "replied");
	ck_assert_msg(e.n == 0, "ot_gen_server_reply in the server: %s",
		      ot_err_name((int)e.n));
	pthread_join(th, NULL);
	ck_assert_msg(t.rc == 0, "later reply: %s", ot_err_name(t.rc));
	ck_assert_int_eq(t.out, 88);
	stop_ok(srv);
}
END_TEST

/* The server ends during the call: OT_ESERVERDIED with its reason, and
 * nothing of the call left in the caller's mailbox. */
START_TEST(test_call_server_exits)
{
	ot_pid srv = start_quiet();
	struct req q = mkreq(OP_EXIT, 0);
	q.reason = ot_reason_error(3, "gone");
	ot_reason why;
	assert_rc(call_err(srv, q, scaled_ms(3000), &why), OT_ESERVERDIED,
		  "ot_exit in handle_call");
	assert_reason(&why, &q.reason, "ot_exit in handle_call");
	ck_assert(wait_dead(srv, 1000));
	assert_mailbox_empty("after ESERVERDIED");

	/* even a normal exit during a call is the server dying */
	srv = start_quiet();
	q.reason = ot_reason_normal();
	assert_rc(call_err(srv, q, scaled_ms(3000), &why), OT_ESERVERDIED,
		  "normal exit in handle_call");
	assert_reason(&why, &q.reason, "normal exit in handle_call");
	assert_mailbox_empty("after ESERVERDIED (normal)");
}
END_TEST

/* handle_call returns stop without a reply: terminate runs, the caller
 * gets the reason. */
START_TEST(test_call_server_stops_without_reply)
{
	ot_pid srv = start_plain();
	struct req q = mkreq(OP_STOP, 0);
	q.reason = ot_reason_shutdown_detail("no answer");
	ot_reason why;
	assert_rc(call_err(srv, q, scaled_ms(3000), &why), OT_ESERVERDIED,
		  "stop from handle_call");
	assert_reason(&why, &q.reason, "stop from handle_call");
	struct ev e = expect_ev(EV_TERMINATE, srv, "terminate");
	assert_reason(&e.reason, &q.reason, "terminate");
}
END_TEST

static void killer(void *arg)
{
	(void)arg;
	ot_sleep(30);
	ot_reason k = ot_reason_kill();
	ot_exit_pid(g_srv, &k);
}

/* Killed by someone else while the call waits. */
START_TEST(test_call_server_killed)
{
	g_srv = start_quiet();
	ck_assert_ot_ok(ot_spawn(killer, NULL, NULL, NULL));
	ot_reason why;
	int64_t t0 = now_ms();
	assert_rc(call_err(g_srv, mkreq(OP_NOREPLY, 0), scaled_ms(5000), &why),
		  OT_ESERVERDIED, "killed mid-call");
	ck_assert_msg(now_ms() - t0 < scaled_ms(3000),
		      "the call waited for its timeout");
	ot_reason killed;
	memset(&killed, 0, sizeof(killed));
	killed.kind = OT_REASON_KILLED;
	assert_reason(&why, &killed, "killed mid-call");
	ck_assert_int_eq(atomic_load(&g_terminates), 0);
	assert_mailbox_empty("after a killed server");
}
END_TEST

/* A dead pid: call, stop, get_state say OT_ENOPROC at once; a cast
 * succeeds. An unregistered name: OT_ENOPROC. */
START_TEST(test_call_dead_pid_and_unknown_name)
{
	struct cfg c = mkcfg(I_OK);
	c.quiet = true;
	ot_pid srv = start_cfg(&c, "gs_dead");
	stop_ok(srv);
	ck_assert(!ot_is_alive(srv));
	ot_reason why;
	int64_t t0 = now_ms();
	assert_rc(call_err(srv, mkreq(OP_ECHO, 1), scaled_ms(10000), &why),
		  OT_ENOPROC, "call to a dead pid");
	ck_assert_msg(now_ms() - t0 < scaled_ms(2000),
		      "call to a dead pid waited");
	ck_assert_ot_err(ot_gen_server_stop(srv, NULL, scaled_ms(3000)),
			 OT_ENOPROC);
	char buf[32];
	ck_assert_ot_err(
	    ot_gen_server_get_state(srv, buf, sizeof(buf), scaled_ms(3000)),
	    OT_ENOPROC);
	struct req q = mkreq(OP_EVENT, 1);
	ck_assert_ot_ok(ot_gen_server_cast(srv, &q, sizeof(q)));

	int64_t out;
	ck_assert_ot_err(ot_gen_server_call_name("gs_dead", &q, sizeof(q), &out,
						 sizeof(out), NULL,
						 scaled_ms(3000), NULL),
			 OT_ENOPROC);
	ck_assert_ot_err(ot_gen_server_call_name("gs_nobody", &q, sizeof(q),
						 &out, sizeof(out), NULL,
						 scaled_ms(3000), NULL),
			 OT_ENOPROC);
	assert_mailbox_empty("after calls to nobody");
}
END_TEST

/* A server calling (or stopping, or asking the state of) itself gets
 * OT_EDEADLK at once, and keeps serving. */
START_TEST(test_call_self_deadlock)
{
	struct cfg c = mkcfg(I_OK);
	ot_pid srv = start_cfg(&c, "gs_self");
	struct req q = mkreq(OP_SELF, 0);
	snprintf(q.name, sizeof(q.name), "gs_self");
	int rcs[4] = {0, 0, 0, 0};
	size_t rs = 0;
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof(q), rcs, sizeof(rcs),
					   &rs, scaled_ms(10000), NULL));
	ck_assert_uint_eq(rs, sizeof(rcs));
	assert_rc(rcs[0], OT_EDEADLK, "call to itself");
	assert_rc(rcs[1], OT_EDEADLK, "stop of itself");
	assert_rc(rcs[2], OT_EDEADLK, "get_state of itself");
	assert_rc(rcs[3], OT_EDEADLK, "call_name to itself");
	ck_assert_int_eq(call_n(srv, OP_ECHO, 8), 8);
	stop_ok(srv);
}
END_TEST

/* A reply bigger than the buffer: OT_ETOOBIG with its size; the reply
 * does not stay in the mailbox. Exact fits and empty replies work. */
START_TEST(test_reply_too_big)
{
	ot_pid srv = start_quiet();
	struct req q = mkreq(OP_BIG, 100);
	unsigned char buf[128];
	size_t rs = 0;
	ck_assert_ot_err(ot_gen_server_call(srv, &q, sizeof(q), buf, 10, &rs,
					    scaled_ms(3000), NULL),
			 OT_ETOOBIG);
	ck_assert_uint_eq(rs, 100);
	assert_mailbox_empty("after ETOOBIG");

	rs = 0;
	memset(buf, 0, sizeof(buf));
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof(q), buf, 100, &rs,
					   scaled_ms(3000), NULL));
	ck_assert_uint_eq(rs, 100);
	for (size_t i = 0; i < 100; i++)
		ck_assert_uint_eq(buf[i], (unsigned char)(i * 7 + 3));

	q = mkreq(OP_BIG, BIG_SIZE);
	static unsigned char big[BIG_SIZE];
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof(q), big, sizeof(big),
					   &rs, scaled_ms(3000), NULL));
	ck_assert_uint_eq(rs, BIG_SIZE);
	for (size_t i = 0; i < BIG_SIZE; i++)
		ck_assert_uint_eq(big[i], (unsigned char)(i * 7 + 3));

	q = mkreq(OP_BIG, 0);
	rs = 99;
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof(q), NULL, 0, &rs,
					   scaled_ms(3000), NULL));
	ck_assert_uint_eq(rs, 0);
	assert_mailbox_empty("after the replies");
	stop_ok(srv);
}
END_TEST

/* Replies that come just as the call times out: whichever wins, none is
 * left in the caller's mailbox. The test thread alone, then with two
 * pthreads. */
#define RACE_ROUNDS 150

struct racer {
	ot_pid srv;
	int rounds;
	int replies, timeouts, errors, first_rc;
	bool stray;
	uint64_t stray_tag, stray_alias;
	size_t qlen;
};

static void race_calls(struct racer *r)
{
	for (int i = 0; i < r->rounds; i++) {
		struct req q = mkreq(OP_SLEEP, i % 3);
		int64_t out;
		int rc = ot_gen_server_call(r->srv, &q, sizeof(q), &out,
					    sizeof(out), NULL, 1, NULL);
		if (rc == 0) {
			r->replies++;
		} else if (rc == OT_ETIMEDOUT) {
			r->timeouts++;
		} else {
			if (!r->errors++)
				r->first_rc = rc;
		}
	}
	/* every late reply to this caller has been sent once this one is
	 * answered (a server answers in order) */
	struct req q = mkreq(OP_ECHO, 1);
	int64_t out;
	int rc = ot_gen_server_call(r->srv, &q, sizeof(q), &out, sizeof(out),
				    NULL, scaled_ms(5000), NULL);
	if (rc != 0 && !r->errors++)
		r->first_rc = rc;
	ot_msg *m;
	if (ot_receive(&m, 20) == 0) {
		r->stray = true;
		r->stray_tag = ot_msg_tag(m);
		r->stray_alias = ot_msg_alias(m);
		ot_msg_free(m);
	}
	ot_process_info pi;
	if (ot_process_info_get(ot_self(), &pi) == 0)
		r->qlen = pi.message_queue_len;
}

static void *race_thread(void *arg)
{
	race_calls(arg);
	ot_thread_detach();
	return NULL;
}

static void check_racer(const struct racer *r, const char *who)
{
	ck_assert_msg(r->errors == 0, "%s: %d calls failed (first: %s)", who,
		      r->errors, ot_err_name(r->first_rc));
	ck_assert_msg(!r->stray && r->qlen == 0,
		      "%s: after %d replies and %d timeouts a message is left "
		      "in the mailbox (tag %#llx, alias %llu; queue %zu)",
		      who, r->replies, r->timeouts,
		      (unsigned long long)r->stray_tag,
		      (unsigned long long)r->stray_alias, r->qlen);
}

START_TEST(test_call_timeout_race)
{
	ot_pid srv = start_quiet();
	/* the test thread alone: replies come just about at the timeout */
	struct racer r;
	memset(&r, 0, sizeof(r));
	r.srv = srv;
	r.rounds = RACE_ROUNDS;
	race_calls(&r);
	check_racer(&r, "test thread");

	/* then three callers at once */
	struct racer rs[3];
	pthread_t th[2];
	for (int i = 0; i < 3; i++) {
		memset(&rs[i], 0, sizeof(rs[i]));
		rs[i].srv = srv;
		rs[i].rounds = RACE_ROUNDS / 2;
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, race_thread, &rs[i + 1]), 0);
	race_calls(&rs[0]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	check_racer(&rs[0], "test thread, with two pthreads");
	check_racer(&rs[1], "pthread 1");
	check_racer(&rs[2], "pthread 2");
	stop_ok(srv);
}
END_TEST

/* A pthread that answers kept calls at the worst moment: as soon as the
 * caller wakes up from its timed-out wait, before the call has returned. */
struct sniper {
	ot_pid caller;
	int rounds;
	atomic_int done;     /* rounds answered */
	atomic_int returned; /* calls returned */
	atomic_int stop;
};

static void *sniper_thread(void *arg)
{
	struct sniper *sn = arg;
	for (int i = 0; i < sn->rounds && !atomic_load(&sn->stop); i++) {
		int64_t deadline = now_ms() + scaled_ms(3000);
		while (!atomic_load(&g_saved) && now_ms() < deadline)
			sched_yield();
		ot_gs_from from = g_saved_from;
		atomic_store(&g_saved, 0);
		ot_process_info pi;
		/* until the caller waits, then until it wakes (or, if that
		 * was missed, until the call returned) */
		while (ot_process_info_get(sn->caller, &pi) == 0 &&
		       pi.status != OT_PROC_WAITING &&
		       atomic_load(&sn->returned) <= i && now_ms() < deadline)
			;
		while (ot_process_info_get(sn->caller, &pi) == 0 &&
		       pi.status == OT_PROC_WAITING &&
		       atomic_load(&sn->returned) <= i && now_ms() < deadline)
			;
		int64_t v = i;
		ot_gen_server_reply(from, &v, sizeof(v));
		atomic_fetch_add(&sn->done, 1);
	}
	ot_thread_detach();
	return NULL;
}

START_TEST(test_call_timeout_reply_at_wakeup)
{
	ot_pid srv = start_quiet();
	struct sniper sn;
	memset(&sn, 0, sizeof(sn));
	sn.caller = g_test;
	sn.rounds = ot_test_under_valgrind() ? 30 : 300;
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, sniper_thread, &sn), 0);
	int timeouts = 0, replies = 0, strays = 0;
	uint64_t stray_alias = 0;
	for (int i = 0; i < sn.rounds; i++) {
		ot_reason why;
		int rc = call_err(srv, mkreq(OP_SAVE, 0), 1, &why);
		if (rc != 0 && rc != OT_ETIMEDOUT) {
			atomic_store(&sn.stop, 1);
			pthread_join(th, NULL);
			ck_abort_msg("call %d: %s", i, ot_err_name(rc));
		}
		atomic_store(&sn.returned, i + 1);
		if (rc == 0)
			replies++;
		else
			timeouts++;
		int64_t deadline = now_ms() + scaled_ms(3000);
		while (atomic_load(&sn.done) <= i && now_ms() < deadline)
			sched_yield();
		ot_msg *m;
		while (ot_receive(&m, 0) == 0) {
			strays++;
			stray_alias = ot_msg_alias(m);
			ot_msg_free(m);
		}
	}
	pthread_join(th, NULL);
	ck_assert_msg(strays == 0,
		      "%d of %d late replies (%d calls timed out, %d answered) "
		      "were left in the caller's mailbox (alias %llu)",
		      strays, sn.rounds, timeouts, replies,
		      (unsigned long long)stray_alias);
	stop_ok(srv);
}
END_TEST

/* ---- foreign threads ----------------------------------------------------- */

#define THREADS 4

struct thr {
	ot_pid srv;
	int n;
	int errors;
	int first_rc;
};

static void *thr_calls(void *arg)
{
	struct thr *t = arg;
	int64_t prev = 0;
	for (int i = 0; i < t->n; i++) {
		struct req q = mkreq(OP_INCR, 1);
		int64_t out = 0;
		size_t rs = 0;
		int rc =
		    ot_gen_server_call(t->srv, &q, sizeof(q), &out, sizeof(out),
				       &rs, scaled_ms(5000), NULL);
		if (rc != 0) {
			if (!t->first_rc)
				t->first_rc = rc;
			t->errors++;
			continue;
		}
		if (rs != sizeof(out) || out <= prev)
			t->errors++;
		prev = out;
	}
	struct req q = mkreq(OP_INCR, 1000);
	if (ot_gen_server_cast(t->srv, &q, sizeof(q)) != 0)
		t->errors++;
	ot_thread_detach();
	return NULL;
}

START_TEST(test_calls_from_foreign_threads)
{
	ot_pid srv = start_quiet();
	struct thr t[THREADS];
	pthread_t th[THREADS];
	int n = 250;
	for (int i = 0; i < THREADS; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].srv = srv;
		t[i].n = n;
		ck_assert_int_eq(pthread_create(&th[i], NULL, thr_calls, &t[i]),
				 0);
	}
	int64_t prev = 0;
	for (int i = 0; i < n; i++) {
		int64_t v = call_n(srv, OP_INCR, 1);
		ck_assert_int_gt(v, prev);
		prev = v;
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		ck_assert_msg(t[i].errors == 0,
			      "thread %d: %d errors (first rc %s)", i,
			      t[i].errors, ot_err_name(t[i].first_rc));
	}
	ck_assert_int_eq(call_n(srv, OP_INCR, 0),
			 (int64_t)(THREADS + 1) * n + THREADS * 1000);
	stop_ok(srv);
}
END_TEST

/* ---- casts and infos ----------------------------------------------------- */

static void exiter(void *arg)
{
	(void)arg;
	ot_msg *m;
	if (ot_receive(&m, scaled_ms(5000)) != 0)
		return;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	if (ot_msg_size(m) == sizeof(why))
		memcpy(&why, ot_msg_data(m), sizeof(why));
	ot_msg_free(m);
	ot_exit(&why);
}

/* Any other message goes to handle_info: plain ones (with their sender
 * and payload), EXIT from a linked process that is not the parent (when
 * trapping), DOWN of a monitor. Casts go to handle_cast. */
START_TEST(test_info_gets_other_messages)
{
	struct cfg c = mkcfg(I_OK);
	c.trap = true;
	ot_pid srv = start_cfg(&c, NULL);

	cast_req(srv, mkreq(OP_EVENT, 31));
	struct ev e = expect_ev(EV_CAST, srv, "cast");
	ck_assert_int_eq(e.n, 31);

	int64_t v = 42;
	ck_assert_ot_ok(ot_send(srv, T_INFO, &v, sizeof(v)));
	e = expect_info(T_INFO, srv, scaled_ms(3000), "plain message");
	assert_pid(e.from, g_test, "sender");
	ck_assert_uint_eq(e.size, sizeof(v));
	ck_assert_int_eq(e.data, 42);

	ck_assert_ot_ok(ot_send(srv, T_INFO2, NULL, 0));
	e = expect_info(T_INFO2, srv, scaled_ms(3000), "empty message");
	ck_assert_uint_eq(e.size, 0);

	/* the last tag below gen_server's protocol is still the user's */
	uint64_t edge = OT_GS_TAG_BASE - 1;
	ck_assert_ot_ok(ot_send(srv, edge, &v, sizeof(v)));
	e = expect_info(edge, srv, scaled_ms(3000), "tag below the protocol");

	/* EXIT from a linked process that is not the parent */
	ot_pid x;
	ck_assert_ot_ok(ot_spawn(exiter, NULL, NULL, &x));
	struct req q = mkreq(OP_LINK, 0);
	q.pid = x;
	ck_assert_int_eq(call_ok(srv, q, "link"), 0);
	ot_reason why = ot_reason_error(21, "linked peer");
	ck_assert_ot_ok(ot_send(x, S_GO, &why, sizeof(why)));
	e = expect_info(OT_TAG_EXIT, srv, scaled_ms(3000), "EXIT");
	ck_assert(e.is_exit);
	assert_pid(e.exit.from, x, "EXIT from");
	assert_reason(&e.exit.reason, &why, "EXIT");

	/* DOWN of a monitor the server holds */
	ck_assert_ot_ok(ot_spawn(exiter, NULL, NULL, &x));
	q = mkreq(OP_MONITOR, 0);
	q.pid = x;
	ck_assert_int_eq(call_ok(srv, q, "monitor"), 0);
	why = ot_reason_error(22, "monitored peer");
	ck_assert_ot_ok(ot_send(x, S_GO, &why, sizeof(why)));
	e = expect_info(OT_TAG_DOWN, srv, scaled_ms(3000), "DOWN");
	ck_assert(e.is_down);
	assert_pid(e.down.pid, x, "DOWN pid");
	assert_reason(&e.down.reason, &why, "DOWN");

	ck_assert(ot_is_alive(srv));
	ck_assert_int_eq(call_n(srv, OP_ECHO, 4), 4);
	stop_ok(srv);
}
END_TEST

static ot_gs_ret min_init(void *arg, void **state)
{
	*state = arg;
	return ot_gs_ok();
}

static int64_t g_min_reply = 5;

static ot_gs_ret min_call(const void *request, size_t size, ot_gs_from from,
			  void **state)
{
	(void)request;
	(void)size;
	(void)from;
	(void)state;
	return ot_gs_reply(&g_min_reply, sizeof(g_min_reply));
}

/* Without handle_info, infos are logged and dropped; without
 * format_status, get_state says "<state>". (A cast without handle_cast
 * stops the server: test_callbacks.c.) */
START_TEST(test_missing_optional_callbacks)
{
	ot_gen_server_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.init = min_init;
	cb.handle_call = min_call;
	struct cfg c = mkcfg(I_OK);
	ot_gen_server_opts o = mkopts(NULL);
	ot_pid srv = start_with(&cb, &c, &o);
	ck_assert_ot_ok(ot_send(srv, T_INFO, NULL, 0));
	int64_t out = 0;
	struct req q = mkreq(OP_ECHO, 0);
	ck_assert_ot_ok(ot_gen_server_call(srv, &q, sizeof(q), &out,
					   sizeof(out), NULL, scaled_ms(3000),
					   NULL));
	ck_assert_int_eq(out, 5);
	char buf[64];
	ck_assert_ot_ok(
	    ot_gen_server_get_state(srv, buf, sizeof(buf), scaled_ms(3000)));
	ck_assert_str_eq(buf, "<state>");
	ck_assert(ot_is_alive(srv));
	stop_ok(srv);
}
END_TEST

/* ---- continue ------------------------------------------------------------ */

static void expect_order(ot_pid srv, const uint64_t *tags, const int64_t *ns,
			 const uint64_t *infotags, int count, const char *what)
{
	for (int i = 0; i < count; i++) {
		uint64_t tag;
		struct ev e = next_ev(srv, &tag, what);
		if (tag == EV_INIT) {
			i--;
			continue;
		}
		ck_assert_msg(tag == tags[i],
			      "%s: event %d is %d, want %d (continue must run "
			      "before queued messages)",
			      what, i, (int)tag, (int)tags[i]);
		if (tag == EV_INFO)
			ck_assert_uint_eq(e.tag, infotags[i]);
		else
			ck_assert_int_eq(e.n, ns[i]);
	}
}

/* init returns a continue after queueing an info and a cast to itself:
 * handle_continue comes first. */
START_TEST(test_continue_from_init)
{
	struct cfg c = mkcfg(I_CONTINUE);
	ot_pid srv = start_cfg(&c, NULL);
	const uint64_t tags[] = {EV_CONTINUE, EV_INFO, EV_CAST};
	const int64_t ns[] = {3, 0, 2};
	const uint64_t infos[] = {0, T_INFO, 0};
	expect_order(srv, tags, ns, infos, 3, "continue from init");
	stop_ok(srv);
}
END_TEST

/* The same from handle_call (after the reply). */
START_TEST(test_continue_from_call)
{
	ot_pid srv = start_plain();
	ck_assert_int_eq(call_n(srv, OP_CONTINUE, 12), 12);
	const uint64_t tags[] = {EV_CONTINUE, EV_INFO, EV_CAST};
	const int64_t ns[] = {3, 0, 2};
	const uint64_t infos[] = {0, T_INFO, 0};
	expect_order(srv, tags, ns, infos, 3, "continue from handle_call");
	stop_ok(srv);
}
END_TEST

/* Messages from others, queued while a callback ran, wait for the
 * continue that callback asked for. */
START_TEST(test_continue_before_queued_from_others)
{
	ot_pid srv = start_plain();
	cast_req(srv, mkreq(OP_BLOCK, 9));
	expect_ev(EV_BLOCKED, srv, "blocked");
	int64_t v = 5;
	ck_assert_ot_ok(ot_send(srv, T_INFO, &v, sizeof(v)));
	cast_req(srv, mkreq(OP_EVENT, 6));
	atomic_store(&g_release, 1);
	const uint64_t tags[] = {EV_CONTINUE, EV_INFO, EV_CAST};
	const int64_t ns[] = {9, 0, 6};
	const uint64_t infos[] = {0, T_INFO, 0};
	expect_order(srv, tags, ns, infos, 3,
		     "continue before others' messages");
	stop_ok(srv);
}
END_TEST

/* ---- idle timeout -------------------------------------------------------- */

START_TEST(test_idle_timeout)
{
	ot_pid srv = start_plain();
	int64_t t0 = now_ms();
	ck_assert_int_eq(call_n(srv, OP_TIMEOUT, 30), 30);
	struct ev e = expect_info(OT_GS_TAG_TIMEOUT, srv, scaled_ms(3000),
				  "idle timeout");
	int64_t dt = now_ms() - t0;
	ck_assert_msg(dt >= 25, "the timeout came after %lld ms",
		      (long long)dt);
	assert_pid(e.from, srv, "timeout sender");
	ck_assert_uint_eq(e.size, 0);
	/* once only */
	expect_no_info(OT_GS_TAG_TIMEOUT, srv, 80, "second timeout");

	/* has_timeout with 0 ms: at once, when nothing is queued */
	ck_assert_int_eq(call_n(srv, OP_TIMEOUT, 0), 0);
	expect_info(OT_GS_TAG_TIMEOUT, srv, scaled_ms(3000), "0 ms timeout");
	stop_ok(srv);

	/* from init */
	struct cfg c = mkcfg(I_TIMEOUT);
	c.n = 20;
	srv = start_cfg(&c, NULL);
	expect_info(OT_GS_TAG_TIMEOUT, srv, scaled_ms(3000), "init timeout");
	stop_ok(srv);
}
END_TEST

/* A message that comes first cancels the idle timeout. */
START_TEST(test_idle_timeout_cancelled_by_message)
{
	ot_pid srv = start_plain();
	ck_assert_int_eq(call_n(srv, OP_TIMEOUT, 200), 200);
	int64_t v = 1;
	ck_assert_ot_ok(ot_send(srv, T_INFO, &v, sizeof(v)));
	expect_info(T_INFO, srv, scaled_ms(3000), "message");
	expect_no_info(OT_GS_TAG_TIMEOUT, srv, 350, "cancelled timeout");
	stop_ok(srv);
}
END_TEST

/* ---- hibernate ----------------------------------------------------------- */

/* Resident bytes of the stack range touch_stack used (mincore: the
 * server's own pages, whatever the rest of the program does). */
static long touched_resident(void)
{
	long page = sysconf(_SC_PAGESIZE);
	uintptr_t lo = atomic_load(&g_touch_lo) & ~(uintptr_t)(page - 1);
	uintptr_t hi = atomic_load(&g_touch_hi);
	ck_assert_msg(lo && hi > lo, "touch_stack did not run");
	size_t pages = (hi - lo + (size_t)page - 1) / (size_t)page;
	unsigned char vec[(TOUCH_BYTES + 2 * 65536) / 4096];
	ck_assert_uint_le(pages, sizeof vec);
	ck_assert_int_eq(mincore((void *)lo, hi - lo, vec), 0);
	long n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n * page;
}

/* A callback touches 200 KiB of a 512 KiB stack; hibernating gives at
 * least 100 KiB back, and the server serves on with its state. */
START_TEST(test_hibernate_lowers_rss)
{
	struct cfg c = mkcfg(I_OK);
	ot_gen_server_opts o = mkopts(NULL);
	o.stack_size = 512 * 1024;
	ot_pid srv = start_with(&ts_cb, &c, &o);
	ck_assert_int_eq(call_n(srv, OP_INCR, 7), 7);
	ck_assert_int_eq(call_n(srv, OP_TOUCH, 1), 1);
	long before = touched_resident();
	ck_assert_int_eq(call_n(srv, OP_HIBERNATE, 2), 2);
	long after = before, drop = 0;
	int64_t deadline = now_ms() + scaled_ms(1000);
	do {
		ot_sleep(5);
		after = touched_resident();
		drop = before - after;
	} while (drop < 100 * 1024 && now_ms() < deadline);
	ck_assert_msg(
	    drop >= 100 * 1024 || ot_test_under_valgrind(),
	    "hibernate: resident stack %ld KiB -> %ld KiB, dropped %ld "
	    "KiB, want >= 100 KiB",
	    before / 1024, after / 1024, drop / 1024);
	/* it wakes up with its state */
	ck_assert_int_eq(call_n(srv, OP_INCR, 1), 8);
	ck_assert_int_eq(call_n(srv, OP_TOUCH, 3), 3);
	stop_ok(srv);
}
END_TEST

/* ---- stop ---------------------------------------------------------------- */

START_TEST(test_stop_runs_terminate)
{
	struct cfg c = mkcfg(I_OK);
	ot_pid srv = start_cfg(&c, "gs_stop");
	ot_ref ref = ot_test_monitor(srv);
	ot_reason sd = ot_reason_shutdown();
	ck_assert_ot_ok(ot_gen_server_stop(srv, &sd, scaled_ms(3000)));
	ck_assert_msg(!ot_is_alive(srv), "alive after stop returned");
	assert_no_name("gs_stop", "after stop");
	struct ev e = expect_ev_within(EV_TERMINATE, srv, 0,
				       "terminate before stop returned");
	assert_reason(&e.reason, &sd, "terminate");
	ot_down_info d = ot_test_expect_down(ref, 3000, "stop");
	assert_reason(&d.reason, &sd, "stop");
	ck_assert_int_eq(atomic_load(&g_terminates), 1);

	/* NULL: normal */
	srv = start_plain();
	ref = ot_test_monitor(srv);
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
	ck_assert(!ot_is_alive(srv));
	ot_reason normal = ot_reason_normal();
	e = expect_ev_within(EV_TERMINATE, srv, 0, "terminate (NULL reason)");
	assert_reason(&e.reason, &normal, "terminate (NULL reason)");
	d = ot_test_expect_down(ref, 3000, "stop (NULL reason)");
	assert_reason(&d.reason, &normal, "stop (NULL reason)");

	/* a dead pid */
	ck_assert_ot_err(ot_gen_server_stop(srv, NULL, scaled_ms(3000)),
			 OT_ENOPROC);
}
END_TEST

/* A server too busy to stop in time: OT_ETIMEDOUT. */
START_TEST(test_stop_timeout)
{
	ot_pid srv = start_plain();
	cast_req(srv, mkreq(OP_BLOCK, 0));
	expect_ev(EV_BLOCKED, srv, "blocked");
	ck_assert_ot_err(ot_gen_server_stop(srv, NULL, 50), OT_ETIMEDOUT);
	atomic_store(&g_release, 1);
	int rc = ot_gen_server_stop(srv, NULL, scaled_ms(3000));
	ck_assert_msg(rc == 0 || rc == OT_ENOPROC, "stop after release: %s",
		      ot_err_name(rc));
	ck_assert(wait_dead(srv, 1000));
	ck_assert_int_eq(atomic_load(&g_terminates), 1);
}
END_TEST

/* A server that traps exits stops, running terminate, when its parent
 * (the process that start_link'ed it) ends — abnormally or normally. */
START_TEST(test_parent_exit_stops_trapping_server)
{
	bool normal_exit = _i == 1;
	struct starter a;
	memset(&a, 0, sizeof(a));
	a.cfg.trap = true;
	a.link = true;
	ot_pid parent;
	ot_ref pref;
	struct start_res r = run_starter(&a, &parent, &pref);
	assert_rc(r.rc, 0, "start_link from the parent");
	ot_pid srv = r.pid;
	ot_ref ref = ot_test_monitor(srv);
	ot_reason why = normal_exit ? ot_reason_normal()
				    : ot_reason_error(11, "parent gone");
	if (normal_exit)
		ck_assert_ot_ok(ot_send(parent, S_QUIT, NULL, 0));
	else
		ck_assert_ot_ok(ot_send(parent, S_EXIT, &why, sizeof(why)));
	ot_down_info d = ot_test_expect_down(pref, 3000, "parent");
	assert_reason(&d.reason, &why, "parent");
	struct ev e = expect_ev(EV_TERMINATE, srv, "terminate");
	assert_reason(&e.reason, &why, "terminate after the parent's EXIT");
	d = ot_test_expect_down(ref, 3000, "server");
	assert_reason(&d.reason, &why, "server after the parent's EXIT");
	/* the parent's EXIT was not handed to handle_info */
	expect_no_info(OT_TAG_EXIT, srv, 0, "parent's EXIT");
}
END_TEST

/* Started without a link, a server has no parent (OTP: it is its own): a
 * trapping server that linked to its starter gets the starter's EXIT in
 * handle_info, and lives on. */
START_TEST(test_starter_exit_without_link_goes_to_info)
{
	struct starter a;
	memset(&a, 0, sizeof(a));
	a.cfg.trap = true;
	a.link = false;
	ot_pid starter;
	ot_ref sref;
	struct start_res r = run_starter(&a, &starter, &sref);
	assert_rc(r.rc, 0, "start from the starter");
	ot_pid srv = r.pid;
	struct req q = mkreq(OP_LINK, 0);
	q.pid = starter;
	ck_assert_int_eq(call_ok(srv, q, "link to the starter"), 0);
	ot_reason why = ot_reason_error(12, "starter gone");
	ck_assert_ot_ok(ot_send(starter, S_EXIT, &why, sizeof(why)));
	ot_test_expect_down(sref, 3000, "starter");
	struct ev e = expect_info(OT_TAG_EXIT, srv, scaled_ms(3000),
				  "the starter's EXIT");
	assert_pid(e.exit.from, starter, "EXIT from");
	assert_reason(&e.exit.reason, &why, "the starter's EXIT");
	ck_assert(ot_is_alive(srv));
	ck_assert_int_eq(atomic_load(&g_terminates), 0);
	stop_ok(srv);
}
END_TEST

/* ---- state and process info ---------------------------------------------- */

START_TEST(test_get_state)
{
	ot_pid srv = start_plain();
	ck_assert_int_eq(call_n(srv, OP_INCR, 42), 42);
	char buf[64];
	ck_assert_ot_ok(
	    ot_gen_server_get_state(srv, buf, sizeof(buf), scaled_ms(3000)));
	ck_assert_str_eq(buf, "counter=42");
	cast_req(srv, mkreq(OP_INCR, 8));
	ck_assert_ot_ok(
	    ot_gen_server_get_state(srv, buf, sizeof(buf), scaled_ms(3000)));
	ck_assert_str_eq(buf, "counter=50");
	stop_ok(srv);
}
END_TEST

START_TEST(test_process_info)
{
	struct cfg c = mkcfg(I_OK);
	ot_pid srv = start_cfg(&c, "gs_info");
	ot_process_info pi;
	int64_t deadline = now_ms() + scaled_ms(1000);
	do {
		ck_assert_ot_ok(ot_process_info_get(srv, &pi));
		if (pi.status == OT_PROC_WAITING)
			break;
		ot_sleep(1);
	} while (now_ms() < deadline);
	ck_assert_int_eq(pi.status, OT_PROC_WAITING);
	ck_assert_str_eq(pi.name, "gs_info");
	ck_assert_uint_eq(pi.message_queue_len, 0);
	ck_assert(!pi.foreign);

	/* three messages wait while a callback runs */
	cast_req(srv, mkreq(OP_BLOCK, 0));
	expect_ev(EV_BLOCKED, srv, "blocked");
	for (int i = 0; i < 3; i++)
		ck_assert_ot_ok(ot_send(srv, T_INFO2, NULL, 0));
	ck_assert_ot_ok(ot_process_info_get(srv, &pi));
	ck_assert_uint_eq(pi.message_queue_len, 3);
	atomic_store(&g_release, 1);
	for (int i = 0; i < 3; i++)
		expect_info(T_INFO2, srv, scaled_ms(3000), "queued message");
	deadline = now_ms() + scaled_ms(1000);
	do {
		ck_assert_ot_ok(ot_process_info_get(srv, &pi));
		if (pi.status == OT_PROC_WAITING && pi.message_queue_len == 0)
			break;
		ot_sleep(1);
	} while (now_ms() < deadline);
	ck_assert_int_eq(pi.status, OT_PROC_WAITING);
	ck_assert_uint_eq(pi.message_queue_len, 0);
	stop_ok(srv);
}
END_TEST

/* ---- bad input ----------------------------------------------------------- */

START_TEST(test_bad_input)
{
	struct cfg c = mkcfg(I_OK);
	ot_gen_server_opts o = mkopts(NULL);
	ot_gen_server_callbacks no_init = ts_cb;
	no_init.init = NULL;
	ot_pid p;
	ck_assert_ot_err(ot_gen_server_start(NULL, &c, &o, &p, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_start_link(NULL, &c, &o, &p, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_start(&no_init, &c, &o, &p, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_start_link(&no_init, &c, &o, &p, NULL),
			 OT_EINVAL);
	o.start_timeout_ms = -5;
	ck_assert_ot_err(ot_gen_server_start(&ts_cb, &c, &o, &p, NULL),
			 OT_EINVAL);
	o = mkopts(NULL);
	o.monitor = true; /* without monitor_ref */
	ck_assert_ot_err(ot_gen_server_start(&ts_cb, &c, &o, &p, NULL),
			 OT_EINVAL);
	o = mkopts("");
	ck_assert_ot_err(ot_gen_server_start(&ts_cb, &c, &o, &p, NULL),
			 OT_EINVAL);
	ck_assert_int_eq(atomic_load(&g_inits), 0);

	ot_pid srv = start_quiet();
	struct req q = mkreq(OP_ECHO, 1);
	int64_t out;
	ck_assert_ot_err(ot_gen_server_call(srv, &q, sizeof(q), &out,
					    sizeof(out), NULL, -5, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_call(srv, NULL, 8, &out, sizeof(out),
					    NULL, scaled_ms(3000), NULL),
			 OT_EINVAL);
	/* sizes whose frame length would wrap (the caller's stack was
	 * smashed before) */
	ck_assert_ot_err(ot_gen_server_call(srv, &q, SIZE_MAX - 7, &out,
					    sizeof(out), NULL, scaled_ms(3000),
					    NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_call(srv, &q, SIZE_MAX, &out,
					    sizeof(out), NULL, scaled_ms(3000),
					    NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_cast(srv, &q, SIZE_MAX), OT_EINVAL);
	int rc = ot_gen_server_call(OT_PID_NONE, &q, sizeof(q), &out,
				    sizeof(out), NULL, scaled_ms(3000), NULL);
	ck_assert_msg(rc == OT_EINVAL || rc == OT_ENOPROC,
		      "call to OT_PID_NONE: %s", ot_err_name(rc));
	ck_assert_ot_err(ot_gen_server_cast(srv, NULL, 8), OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_cast(OT_PID_NONE, &q, sizeof(q)),
			 OT_EINVAL);
	ck_assert_ot_err(ot_gen_server_stop(srv, NULL, -5), OT_EINVAL);
	char buf[32];
	ck_assert_ot_err(ot_gen_server_get_state(srv, buf, sizeof(buf), -5),
			 OT_EINVAL);
	ot_gs_from none;
	memset(&none, 0, sizeof(none));
	ck_assert_ot_err(ot_gen_server_reply(none, &out, sizeof(out)),
			 OT_EINVAL);
	/* still serving */
	ck_assert(ot_is_alive(srv));
	ck_assert_int_eq(call_n(srv, OP_ECHO, 2), 2);
	assert_mailbox_empty("after bad input");
	stop_ok(srv);
}
END_TEST

/* A result a callback may not return stops the server with an error
 * reason. Loop: where. */
enum {
	BR_CAST_REPLY,
	BR_CALL_ZERO,
	BR_CALL_IGNORE,
	BR_INFO_OK,
	BR_CONTINUE_REPLY,
	BR_COUNT
};

START_TEST(test_bad_callback_result)
{
	static const char *const names[] = {
	    "OT_GS_REPLY from handle_cast", "action 0 from handle_call",
	    "OT_GS_IGNORE from handle_call", "OT_GS_OK from handle_info",
	    "OT_GS_REPLY from handle_continue"};
	const char *what = names[_i];
	ot_pid srv = start_quiet();
	ot_ref ref = ot_test_monitor(srv);
	ot_reason why;
	switch (_i) {
	case BR_CAST_REPLY:
		cast_req(srv, mkreq(OP_BAD, OT_GS_REPLY));
		break;
	case BR_CALL_ZERO:
	case BR_CALL_IGNORE:
		assert_rc(call_err(srv,
				   mkreq(OP_BAD,
					 _i == BR_CALL_ZERO ? 0 : OT_GS_IGNORE),
				   scaled_ms(3000), &why),
			  OT_ESERVERDIED, what);
		assert_reason_kind(&why, OT_REASON_ERROR, what);
		break;
	case BR_INFO_OK:
		ck_assert_ot_ok(ot_send(srv, T_BAD, NULL, 0));
		break;
	default:
		cast_req(srv, mkreq(OP_CONTINUE_BAD, 0));
		break;
	}
	ot_down_info d = ot_test_expect_down(ref, 3000, what);
	assert_reason_kind(&d.reason, OT_REASON_ERROR, what);
	if (_i == BR_CALL_ZERO || _i == BR_CALL_IGNORE)
		assert_reason(&d.reason, &why, what);
}
END_TEST

/* A call to a server without handle_call stops it, as an undefined
 * callback does in OTP. */
START_TEST(test_call_without_handle_call)
{
	ot_gen_server_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.init = min_init;
	struct cfg c = mkcfg(I_OK);
	ot_gen_server_opts o = mkopts(NULL);
	ot_pid srv = start_with(&cb, &c, &o);
	ot_ref ref = ot_test_monitor(srv);
	ot_reason why;
	assert_rc(call_err(srv, mkreq(OP_ECHO, 1), scaled_ms(3000), &why),
		  OT_ESERVERDIED, "call without handle_call");
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(!ot_reason_is_clean(&why),
		      "call without handle_call: reason %s", text);
	ot_down_info d =
	    ot_test_expect_down(ref, 3000, "call without handle_call");
	assert_reason(&d.reason, &why, "call without handle_call");
}
END_TEST

/* ---- many ---------------------------------------------------------------- */

START_TEST(test_many_servers)
{
	size_t n = ot_test_scaled(1000);
	ot_pid *pids = calloc(n, sizeof(*pids));
	ck_assert_ptr_nonnull(pids);
	ot_gen_server_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.init = min_init;
	cb.handle_call = min_call;
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "gs_many_%zu", i);
		ot_gen_server_opts o = mkopts(i % 2 ? NULL : name);
		ot_reason why;
		int rc = ot_gen_server_start(&cb, NULL, &o, &pids[i], &why);
		ck_assert_msg(rc == 0, "server %zu: %s", i, ot_err_name(rc));
	}
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_ge(st.processes, n);
	ck_assert_uint_eq(st.names, (n + 1) / 2);
	int64_t out = 0;
	struct req q = mkreq(OP_ECHO, 0);
	ck_assert_ot_ok(ot_gen_server_call(pids[n / 2], &q, sizeof(q), &out,
					   sizeof(out), NULL, scaled_ms(3000),
					   NULL));
	for (size_t i = 0; i < n; i++) {
		int rc = ot_gen_server_stop(pids[i], NULL, scaled_ms(3000));
		ck_assert_msg(rc == 0, "stop %zu: %s", i, ot_err_name(rc));
	}
	ck_assert(ot_test_wait_quiet(scaled_ms(3000)));
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.processes, 0);
	ck_assert_uint_eq(st.names, 0);
	ck_assert_uint_eq(st.stacks_in_use, 0);
	free(pids);
}
END_TEST

/* ---- crashes ------------------------------------------------------------- */

enum { W_INIT, W_CALL, W_CAST, W_INFO, W_CONTINUE, W_COUNT };
static const char *const where_names[] = {"init", "handle_call", "handle_cast",
					  "handle_info", "handle_continue"};
static const int crash_faults[] = {F_NULL_WRITE, F_DIV_ZERO, F_ABORT};
#define N_CRASH_FAULTS 3

/*
 * Loop over fault x callback. init: OT_EINITSTOP with the crash reason,
 * no terminate. handle_call: the caller gets OT_ESERVERDIED with it.
 * Others: a monitor sees it. terminate runs with the crash reason.
 */
START_TEST(test_crash_in_callback)
{
	int fault = crash_faults[_i / W_COUNT];
	int where = _i % W_COUNT;
	char what[96];
	snprintf(what, sizeof(what), "%s in %s", fault_names[fault],
		 where_names[where]);
	const char *name = "gs_crash";

	if (where == W_INIT) {
		struct cfg c = mkcfg(I_CRASH);
		c.fault = fault;
		ot_gen_server_opts o = mkopts(name);
		ot_pid p = OT_PID_NONE;
		ot_reason why;
		memset(&why, 0, sizeof(why));
		assert_rc(ot_gen_server_start(&ts_cb, &c, &o, &p, &why),
			  OT_EINITSTOP, what);
		ot_pid srv = {atomic_load(&g_last_init)};
		bool alive = ot_is_alive(srv);
		ot_pid holder;
		int wrc = ot_whereis(name, &holder);
		ot_test_check_crash(&why, fault, what);
		struct ev e = expect_ev(EV_INIT, OT_PID_NONE, what);
		assert_pid(e.server, srv, what);
		ck_assert_msg(
		    !alive, "%s: the server is still alive when start returns",
		    what);
		ck_assert_msg(wrc == OT_ENOTREG,
			      "%s: its name is still registered when start "
			      "returns",
			      what);
		ck_assert_msg(wait_dead(e.server, 1000), "%s: still alive",
			      what);
		ck_assert_msg(atomic_load(&g_terminates) == 0,
			      "%s: terminate ran after init failed", what);
		return;
	}

	struct cfg c = mkcfg(I_OK);
	ot_pid srv = start_cfg(&c, name);
	ot_ref ref = ot_test_monitor(srv);
	ot_reason why;
	memset(&why, 0, sizeof(why));
	struct req q = mkreq(OP_CRASH, 0);
	q.fault = fault;
	switch (where) {
	case W_CALL:
		assert_rc(call_err(srv, q, scaled_ms(3000), &why),
			  OT_ESERVERDIED, what);
		ot_test_check_crash(&why, fault, what);
		break;
	case W_CAST:
		cast_req(srv, q);
		break;
	case W_INFO:
		ck_assert_ot_ok(ot_send(srv, T_CRASH, &fault, sizeof(fault)));
		break;
	default:
		q.op = OP_CONTINUE_CRASH;
		cast_req(srv, q);
		break;
	}
	ot_down_info d = ot_test_expect_down(ref, 3000, what);
	ot_test_check_crash(&d.reason, fault, what);
	if (where == W_CALL)
		assert_reason(&d.reason, &why, what);
	struct ev e = expect_ev(EV_TERMINATE, srv, what);
	assert_reason(&e.reason, &d.reason, what);
	ck_assert_int_eq(atomic_load(&g_terminates), 1);
	assert_no_name(name, what);
}
END_TEST

/* A crash in init, started with start_link by a process that traps exits
 * (0) or not (1): OT_EINITSTOP with the crash reason, the caller neither
 * dies nor finds an EXIT, and no server or name is left. */
/* Loop: a NULL write (0, 1) or a stack overflow (2, 3) in init, under a
 * trapping (even) or non-trapping (odd) start_link caller. An overflow
 * runs no crash handler, so nothing in the server can unlink it: the
 * caller must survive because the link comes only after init. */
START_TEST(test_crash_in_init_start_link)
{
	static const char *const whats[] = {
	    "NULL write in init, trapping start_link",
	    "NULL write in init, start_link",
	    "overflow in init, trapping start_link",
	    "overflow in init, start_link"};
	const char *what = whats[_i];
	enum fault fault = _i < 2 ? F_NULL_WRITE : F_OVERFLOW;
	struct starter a;
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "gs_crash_init");
	a.cfg.init = I_CRASH;
	a.cfg.fault = fault;
	a.link = true;
	a.trap = _i % 2 == 0;
	ot_pid starter;
	ot_ref sref;
	struct start_res r = run_starter(&a, &starter, &sref);
	assert_rc(r.rc, OT_EINITSTOP, what);
	ot_test_check_crash(&r.reason, fault, what);
	ck_assert_msg(!r.alive_at_return,
		      "%s: the server is still alive when start returns", what);
	ck_assert_msg(r.whereis_rc == OT_ENOTREG, "%s: whereis: %s", what,
		      ot_err_name(r.whereis_rc));
	ck_assert_msg(r.nmsgs == 0, "%s: the caller got tag %#llx", what,
		      (unsigned long long)r.tags[0]);
	ck_assert_int_eq(atomic_load(&g_terminates), 0);
	quit_starter(starter, sref, what);
}
END_TEST

/* A stack overflow in handle_call: the caller gets the overflow reason,
 * and terminate does not run (there is no stack to run it on). */
START_TEST(test_crash_overflow_no_terminate)
{
	struct cfg c = mkcfg(I_OK);
	ot_gen_server_opts o = mkopts(NULL);
	o.stack_size = 64 * 1024;
	ot_pid srv = start_with(&ts_cb, &c, &o);
	ot_ref ref = ot_test_monitor(srv);
	struct req q = mkreq(OP_CRASH, 0);
	q.fault = F_OVERFLOW;
	ot_reason why;
	assert_rc(call_err(srv, q, scaled_ms(3000), &why), OT_ESERVERDIED,
		  "overflow in handle_call");
	ot_test_check_crash(&why, F_OVERFLOW, "overflow in handle_call");
	ot_down_info d = ot_test_expect_down(ref, 3000, "overflow");
	assert_reason(&d.reason, &why, "overflow");
	expect_no_ev(EV_TERMINATE, srv, 50, "terminate after an overflow");
	ck_assert_int_eq(atomic_load(&g_terminates), 0);
}
END_TEST

/* A crash inside terminate gives the server terminate's reason, as in
 * OTP (gen_server_SUITE:terminate_crash_format): after a stop, and after a
 * first crash; the caller of a call that crashed sees it too. */
START_TEST(test_crash_in_terminate_gives_its_reason)
{
	struct cfg c = mkcfg(I_OK);
	c.crash_in_terminate = true;

	/* stop from handle_cast */
	ot_pid srv = start_cfg(&c, NULL);
	ot_ref ref = ot_test_monitor(srv);
	struct req q = mkreq(OP_STOP, 0);
	q.reason = ot_reason_error(5, "stopping");
	cast_req(srv, q);
	struct ev e = expect_ev(EV_TERMINATE, srv, "terminate (stop)");
	assert_reason(&e.reason, &q.reason, "terminate (stop)");
	ot_down_info d =
	    ot_test_expect_down(ref, 3000, "crash in terminate after stop");
	ck_assert_msg(atomic_load(&g_terminates) == 1,
		      "crash in terminate after stop: terminate ran %d times",
		      atomic_load(&g_terminates));
	ot_test_check_crash(&d.reason, F_NULL_WRITE,
			    "crash in terminate after stop");

	/* a crash in handle_info, then in terminate */
	srv = start_cfg(&c, NULL);
	ref = ot_test_monitor(srv);
	int fault = F_DIV_ZERO;
	ck_assert_ot_ok(ot_send(srv, T_CRASH, &fault, sizeof(fault)));
	e = expect_ev(EV_TERMINATE, srv, "terminate (crash)");
	ot_test_check_crash(&e.reason, F_DIV_ZERO, "terminate (crash)");
	d = ot_test_expect_down(ref, 3000, "crash in terminate after a crash");
	ck_assert_msg(
	    atomic_load(&g_terminates) == 2,
	    "crash in terminate after a crash: terminate ran %d times",
	    atomic_load(&g_terminates) - 1);
	ot_test_check_crash(&d.reason, F_NULL_WRITE,
			    "crash in terminate after a crash");

	/* a crash in handle_call, then in terminate: the caller sees the
	 * second, the one the server ended with */
	srv = start_cfg(&c, NULL);
	q = mkreq(OP_CRASH, 0);
	q.fault = F_ABORT;
	ot_reason why;
	assert_rc(call_err(srv, q, scaled_ms(3000), &why), OT_ESERVERDIED,
		  "abort in handle_call, crash in terminate");
	ot_test_check_crash(&why, F_NULL_WRITE,
			    "abort in handle_call, crash in terminate");
}
END_TEST

/* The crash report of a named server carries its name and its state as
 * format_status renders it. */
START_TEST(test_crash_report)
{
	struct cfg c = mkcfg(I_OK);
	ot_pid srv = start_cfg(&c, "gs_reporter");
	ot_ref ref = ot_test_monitor(srv);
	cast_req(srv, mkreq(OP_INCR, 7));
	struct req q = mkreq(OP_CRASH, 0);
	q.fault = F_NULL_WRITE;
	cast_req(srv, q);
	ot_down_info d = ot_test_expect_down(ref, 3000, "crash for a report");
	ot_test_check_crash(&d.reason, F_NULL_WRITE, "crash for a report");
	int64_t deadline = now_ms() + scaled_ms(2000);
	while (!(ot_test_log_contains("gs_reporter") &&
		 ot_test_log_contains("counter=7")) &&
	       now_ms() < deadline)
		ot_sleep(2);
	ck_assert_msg(ot_test_log_contains("gs_reporter"),
		      "no report names the server (%d reports)",
		      ot_test_log_count());
	ck_assert_msg(ot_test_log_contains("counter=7"),
		      "no report has the state from format_status (%d reports)",
		      ot_test_log_count());
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static TCase *gs_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, gs_setup, NULL);
	return tc;
}

static TCase *crash_tcase(const char *name, double timeout_s)
{
	TCase *tc = gs_tcase(name, timeout_s);
	tcase_set_tags(tc, "crash");
	return tc;
}

static Suite *gen_server_suite(void)
{
	Suite *s = suite_create("gen_server");

	TCase *tc = gs_tcase("start", 20);
	tcase_add_test(tc, test_start_and_call);
	tcase_add_test(tc, test_start_monitor_option);
	tcase_add_loop_test(tc, test_start_failure, 0, SF_MODES * SC_CALLERS);
	tcase_add_loop_test(tc, test_start_timeout, 0, 2);
	tcase_add_test(tc, test_name_taken);
	tcase_add_test(tc, test_name_too_long);
	suite_add_tcase(s, tc);

	tc = gs_tcase("call", 20);
	tcase_add_test(tc, test_stop_reply_after_terminate);
	tcase_add_test(tc, test_call_timeout_late_reply_foreign);
	tcase_add_test(tc, test_call_timeout_late_reply_process);
	tcase_add_test(tc, test_deferred_reply_from_process);
	tcase_add_test(tc, test_deferred_reply_from_thread_and_later);
	tcase_add_test(tc, test_call_server_exits);
	tcase_add_test(tc, test_call_server_stops_without_reply);
	tcase_add_test(tc, test_call_server_killed);
	tcase_add_test(tc, test_call_dead_pid_and_unknown_name);
	tcase_add_test(tc, test_call_self_deadlock);
	tcase_add_test(tc, test_reply_too_big);
	tcase_add_test(tc, test_call_timeout_race);
	tcase_add_test(tc, test_call_timeout_reply_at_wakeup);
	tcase_add_test(tc, test_calls_from_foreign_threads);
	suite_add_tcase(s, tc);

	tc = gs_tcase("cast_info", 10);
	tcase_add_test(tc, test_info_gets_other_messages);
	tcase_add_test(tc, test_missing_optional_callbacks);
	suite_add_tcase(s, tc);

	tc = gs_tcase("continue", 10);
	tcase_add_test(tc, test_continue_from_init);
	tcase_add_test(tc, test_continue_from_call);
	tcase_add_test(tc, test_continue_before_queued_from_others);
	suite_add_tcase(s, tc);

	tc = gs_tcase("timeout", 10);
	tcase_add_test(tc, test_idle_timeout);
	tcase_add_test(tc, test_idle_timeout_cancelled_by_message);
	suite_add_tcase(s, tc);

	tc = gs_tcase("hibernate", 10);
	tcase_add_test(tc, test_hibernate_lowers_rss);
	suite_add_tcase(s, tc);

	tc = gs_tcase("stop", 10);
	tcase_add_test(tc, test_stop_runs_terminate);
	tcase_add_test(tc, test_stop_timeout);
	tcase_add_loop_test(tc, test_parent_exit_stops_trapping_server, 0, 2);
	tcase_add_test(tc, test_starter_exit_without_link_goes_to_info);
	suite_add_tcase(s, tc);

	tc = gs_tcase("state", 10);
	tcase_add_test(tc, test_get_state);
	tcase_add_test(tc, test_process_info);
	suite_add_tcase(s, tc);

	tc = gs_tcase("bad_input", 10);
	tcase_add_test(tc, test_bad_input);
	tcase_add_loop_test(tc, test_bad_callback_result, 0, BR_COUNT);
	tcase_add_test(tc, test_call_without_handle_call);
	suite_add_tcase(s, tc);

	tc = gs_tcase("many", 30);
	tcase_add_test(tc, test_many_servers);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_callbacks", 20);
	tcase_add_loop_test(tc, test_crash_in_callback, 0,
			    N_CRASH_FAULTS * W_COUNT);
	tcase_add_loop_test(tc, test_crash_in_init_start_link, 0, 4);
	tcase_add_test(tc, test_crash_overflow_no_terminate);
	tcase_add_test(tc, test_crash_in_terminate_gives_its_reason);
	suite_add_tcase(s, tc);

	tc = crash_tcase("crash_report", 10);
	tcase_add_test(tc, test_crash_report);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(gen_server_suite());
}
