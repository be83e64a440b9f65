/* SPDX-License-Identifier: MIT */
/*
 * test_chaos.c — a chaos soak: a supervision tree of 1,000 gen_servers
 * (10 one_for_one supervisors of 100 under a top supervisor) serves calls
 * from several client processes while chaos processes make random
 * servers crash for real (SIGSEGV, SIGFPE, abort, a stack overflow: a
 * call that makes the server commit the fault) or kills them (ot_exit_pid
 * with kill). (A failed assert is left out: it is abort again, and it
 * would print a line on stderr for each.)
 *
 * What must hold: every call returns a reply or a clear error
 * (OT_ESERVERDIED, OT_ENOPROC, OT_ETIMEDOUT); each injected death is
 * restarted exactly once (restarts are counted as server inits after the
 * first); no sub-supervisor is ever restarted; every client and chaos
 * process finishes (nothing deadlocks); afterwards every server answers,
 * and the fixture finds nothing leaked.
 *
 * It runs about 3 s of chaos by default; OT_SOAK_SECONDS sets another
 * duration (`make soak` runs it for minutes), OT_SOAK_SEED fixes the
 * random choices (the interleaving is the scheduler's). The tree scales
 * down with ot_test_scaled() under TSan. The faults are real, so the
 * TCase is crash_chaos, tagged "crash".
 */
#include "config.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

#include <otter/supervisor.h>

#include "faults.h"

#define NSUPS	       10
#define NCLIENTS       4
#define NCHAOS	       2 /* chaos processes, each on its own share of the servers */
#define DEFAULT_SOAK_S 3.0

/* Message tags to the test thread. */
enum { T_CLIENT_DONE = 3000, T_CHAOS_DONE };

/* ---- the servers ------------------------------------------------------- */

/* One server of the tree, whatever incarnation runs it now. */
struct slot {
	_Atomic uint64_t pid; /* the running incarnation, set in init */
	atomic_long starts;   /* inits */
	int64_t out;	      /* reply buffer; only its server touches it */
};

static struct slot *g_slots;
static size_t g_nslots;
static atomic_long g_restarts; /* inits after a slot's first */
static atomic_int g_stop;      /* clients and chaos: finish now */
static ot_pid g_test;
static uint64_t g_seed;

enum { OP_ECHO = 1, OP_CRASH };

struct req {
	int op;
	int fault;
	int64_t n;
};

/* The NULL write, left uninstrumented by TSan: many servers commit it on
 * different threads, and TSan takes those writes (which never happen:
 * they fault) for a data race on address 0. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#define NO_TSAN __attribute__((no_sanitize("thread")))
#else
#define NO_TSAN
#endif
NO_UBSAN NO_TSAN __attribute__((noinline)) static void null_write(void)
{
	*g_null = 42;
}

/* Commits fault f (enum fault) for real. */
static void commit_fault(int f)
{
	if (f == F_NULL_WRITE)
		null_write();
	else
		do_fault(f);
}

static ot_gs_ret w_init(void *arg, void **state)
{
	struct slot *s = arg;
	if (atomic_fetch_add(&s->starts, 1) > 0)
		atomic_fetch_add(&g_restarts, 1);
	atomic_store(&s->pid, ot_self().id);
	*state = s;
	return ot_gs_ok();
}

static ot_gs_ret w_call(const void *request, size_t size, ot_gs_from from,
			void **state)
{
	(void)from;
	struct slot *s = *state;
	struct req q;
	if (size != sizeof(q))
		return ot_gs_stop(ot_reason_error(-2, "bad request size"));
	memcpy(&q, request, sizeof(q));
	if (q.op == OP_CRASH)
		commit_fault(q.fault);
	s->out = q.n;
	return ot_gs_reply(&s->out, sizeof(s->out));
}

static const ot_gen_server_callbacks w_cb = {
    .init = w_init,
    .handle_call = w_call,
};

/* ---- randomness (replayable from the seed) ---------------------------------
 */

static uint64_t rnd(uint64_t *x)
{
	/* xorshift64* */
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * UINT64_C(2685821657736338717);
}

static uint64_t seed_for(int who)
{
	uint64_t x =
	    g_seed + (uint64_t)(who + 1) * UINT64_C(0x9e3779b97f4a7c15);
	return x ? x : 1;
}

static ot_pid slot_pid(size_t i)
{
	ot_pid p = {atomic_load(&g_slots[i].pid)};
	return p;
}

/* ---- clients ------------------------------------------------------------- */

struct client_res {
	int who;
	long calls, ok, died, noproc, timedout;
	long bad;	  /* another error code */
	long wrong_reply; /* a reply that is not the echo */
	int first_bad;	  /* the first bad code */
};

/* Calls random servers (echo) until told to stop. */
static void client(void *arg)
{
	struct client_res r;
	memset(&r, 0, sizeof(r));
	r.who = (int)(intptr_t)arg;
	uint64_t x = seed_for(r.who);
	while (!atomic_load(&g_stop)) {
		size_t i = rnd(&x) % g_nslots;
		struct req q = {.op = OP_ECHO, .n = (int64_t)(rnd(&x) >> 2)};
		int64_t out = -1;
		size_t got = 0;
		ot_reason why;
		int rc = ot_gen_server_call(slot_pid(i), &q, sizeof(q), &out,
					    sizeof(out), &got, scaled_ms(2000),
					    &why);
		r.calls++;
		switch (rc) {
		case 0:
			r.ok++;
			if (got != sizeof(out) || out != q.n)
				r.wrong_reply++;
			break;
		case OT_ESERVERDIED:
			r.died++;
			break;
		case OT_ENOPROC:
			r.noproc++;
			ot_yield(); /* its restart may not have run yet */
			break;
		case OT_ETIMEDOUT:
			r.timedout++;
			break;
		default:
			if (r.bad++ == 0)
				r.first_bad = rc;
			break;
		}
	}
	ot_send(g_test, T_CLIENT_DONE, &r, sizeof(r));
}

/* ---- chaos ------------------------------------------------------------- */

#define A_KILL	  F_COUNT /* the action after the faults */
#define N_ACTIONS (F_COUNT + 1)

static const int actions[] = {F_NULL_WRITE, F_DIV_ZERO, F_ABORT, F_OVERFLOW,
			      A_KILL};
#define N_CHAOS_ACTIONS (sizeof(actions) / sizeof(actions[0]))

struct chaos_res {
	long injected[N_ACTIONS]; /* deaths caused, by fault / kill */
	long stale;		  /* target already dead: nothing done */
	long wrong_reason;	  /* died of another reason than injected */
	long bad;		  /* an unexpected return code */
	int first_bad;
	char first_wrong[OT_REASON_STRLEN];
};

static bool match_down(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

/* Whether r is the crash fault f gives. */
static bool is_fault_reason(const ot_reason *r, int f)
{
	if (r->kind != OT_REASON_CRASH)
		return false;
	switch (f) {
	case F_NULL_WRITE:
		return r->code == SIGSEGV && !r->stack_overflow;
	case F_DIV_ZERO:
		return r->code == SIGFPE;
	case F_ABORT:
	case F_ASSERT:
		return r->code == SIGABRT;
	case F_OVERFLOW:
		return r->code == SIGSEGV && r->stack_overflow;
	default:
		return false;
	}
}

static void note_wrong(struct chaos_res *r, const ot_reason *why)
{
	if (r->wrong_reason++ == 0)
		ot_reason_format(why, r->first_wrong, sizeof(r->first_wrong));
}

static void note_bad(struct chaos_res *r, int rc)
{
	if (r->bad++ == 0)
		r->first_bad = rc;
}

/* Kills p, counting it when it was alive and died of it. */
static void inject_kill(struct chaos_res *r, ot_pid p)
{
	ot_ref ref;
	int rc = ot_monitor(p, &ref);
	if (rc != 0) {
		note_bad(r, rc);
		return;
	}
	ot_reason kill = ot_reason_kill();
	rc = ot_exit_pid(p, &kill);
	if (rc != 0)
		note_bad(r, rc);
	ot_msg *m;
	rc = ot_receive_match(match_down, &ref, &m, scaled_ms(20000));
	if (rc != 0) {
		note_bad(r, rc);
		return;
	}
	ot_reason why = ot_msg_down(m)->reason;
	ot_msg_free(m);
	if (why.kind == OT_REASON_KILLED) {
		r->injected[A_KILL]++;
	} else if (why.kind == OT_REASON_NOPROC) {
		r->stale++;
	} else {
		r->injected[A_KILL]++; /* it died: it is restarted */
		note_wrong(r, &why);
	}
}

/* Makes p commit fault f inside a call. */
static void inject_fault(struct chaos_res *r, ot_pid p, int f)
{
	struct req q = {.op = OP_CRASH, .fault = f};
	int64_t out;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_gen_server_call(p, &q, sizeof(q), &out, sizeof(out), NULL,
				    scaled_ms(20000), &why);
	if (rc == OT_ENOPROC ||
	    (rc == OT_ESERVERDIED && why.kind == OT_REASON_NOPROC)) {
		r->stale++;
	} else if (rc == OT_ESERVERDIED) {
		r->injected[f]++;
		if (!is_fault_reason(&why, f))
			note_wrong(r, &why);
	} else {
		note_bad(r, rc); /* a timeout would leave the count unknown */
	}
}

/* Crashes or kills random servers of its share (index % NCHAOS == k),
 * one at a time, each waited for, until told to stop. The shares are
 * disjoint: two chaos processes that killed the same server at once
 * would both count it. */
static void chaos(void *arg)
{
	int k = (int)(intptr_t)arg;
	struct chaos_res r;
	memset(&r, 0, sizeof(r));
	uint64_t x = seed_for(100 + k);
	size_t share = (g_nslots - (size_t)k + NCHAOS - 1) / NCHAOS;
	while (!atomic_load(&g_stop) && share > 0) {
		size_t i = (rnd(&x) % share) * NCHAOS + (size_t)k;
		int a = actions[rnd(&x) % N_CHAOS_ACTIONS];
		if (a == A_KILL)
			inject_kill(&r, slot_pid(i));
		else
			inject_fault(&r, slot_pid(i), a);
		ot_sleep(1);
	}
	ot_send(g_test, T_CHAOS_DONE, &r, sizeof(r));
}

/* ---- the tree ---------------------------------------------------------- */

static ot_child_spec *g_worker_specs;
static ot_sup_spec g_sub_specs[NSUPS];
static ot_child_spec g_top_children[NSUPS];

static ot_pid start_tree(size_t per_sup)
{
	g_nslots = per_sup * NSUPS;
	g_slots = calloc(g_nslots, sizeof(*g_slots));
	g_worker_specs = calloc(g_nslots, sizeof(*g_worker_specs));
	ck_assert(g_slots && g_worker_specs);
	for (size_t i = 0; i < g_nslots; i++) {
		ot_child_spec *c = &g_worker_specs[i];
		snprintf(c->id, sizeof(c->id), "w%zu", i % per_sup);
		c->server = &w_cb;
		c->arg = &g_slots[i];
		c->restart = OT_PERMANENT;
		c->shutdown_ms = OT_SHUTDOWN_BRUTAL_KILL;
	}
	for (int k = 0; k < NSUPS; k++) {
		ot_sup_spec *s = &g_sub_specs[k];
		memset(s, 0, sizeof(*s));
		s->flags.strategy = OT_ONE_FOR_ONE;
		s->flags.intensity = OT_SUP_MAX_INTENSITY;
		s->flags.period_ms = 1000;
		s->children = &g_worker_specs[(size_t)k * per_sup];
		s->nchildren = per_sup;
		ot_child_spec *c = &g_top_children[k];
		memset(c, 0, sizeof(*c));
		snprintf(c->id, sizeof(c->id), "sup%d", k);
		c->sup = s;
		c->type = OT_SUPERVISOR;
		c->restart = OT_PERMANENT;
	}
	ot_sup_spec top;
	memset(&top, 0, sizeof(top));
	top.flags.strategy = OT_ONE_FOR_ONE;
	top.flags.intensity = OT_SUP_MAX_INTENSITY;
	top.flags.period_ms = 1000;
	top.children = g_top_children;
	top.nchildren = NSUPS;
	ot_pid sup = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&top, "chaos_top", &sup, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "tree start: %s (%s)", ot_err_name(rc), text);
	return sup;
}

/* The top supervisor's children (the sub-supervisors), in order. */
static void sub_sups(ot_pid top, ot_pid out[NSUPS])
{
	ot_child_info ci[NSUPS];
	size_t total = 0;
	int n = ot_supervisor_which_children(top, ci, NSUPS, &total);
	ck_assert_msg(n == NSUPS && total == NSUPS,
		      "which_children(top): %d of %zu (%s)", n, total,
		      n < 0 ? ot_err_name(n) : "ok");
	for (int k = 0; k < NSUPS; k++) {
		ck_assert_msg(ci[k].status == OT_CHILD_RUNNING &&
				  ci[k].type == OT_SUPERVISOR,
			      "sub-supervisor %s does not run", ci[k].id);
		out[k] = ci[k].pid;
	}
}

/* Every server of sub-supervisor k runs, with the pid its slot has. */
static void check_subtree(ot_pid sub, int k, size_t per_sup)
{
	ot_child_info *ci = calloc(per_sup, sizeof(*ci));
	ck_assert(ci);
	size_t total = 0;
	int n = ot_supervisor_which_children(sub, ci, per_sup, &total);
	ck_assert_msg(n >= 0 && (size_t)n == per_sup && total == per_sup,
		      "sup%d: %d children of %zu", k, n, total);
	for (size_t j = 0; j < per_sup; j++) {
		struct slot *s = &g_slots[(size_t)k * per_sup + j];
		ck_assert_msg(ci[j].status == OT_CHILD_RUNNING,
			      "sup%d: child %s does not run (status %d)", k,
			      ci[j].id, (int)ci[j].status);
		ck_assert_msg(ci[j].pid.id == atomic_load(&s->pid),
			      "sup%d: child %s runs as another pid than its "
			      "last init",
			      k, ci[j].id);
	}
	ot_child_counts cc;
	ck_assert_ot_ok(ot_supervisor_count_children(sub, &cc));
	ck_assert_uint_eq(cc.active, per_sup);
	ck_assert_uint_eq(cc.specs, per_sup);
	free(ci);
}

static atomic_long g_nreports;

static void count_report(const char *report, void *arg)
{
	(void)report;
	(void)arg;
	atomic_fetch_add(&g_nreports, 1);
}

static double soak_seconds(void)
{
	const char *s = getenv("OT_SOAK_SECONDS");
	double v = s ? atof(s) : 0;
	return v > 0 ? v : DEFAULT_SOAK_S;
}

static bool match_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

static ot_msg *wait_done(uint64_t tag, int timeout_ms, const char *who)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(match_tag, &tag, &m, timeout_ms);
	ck_assert_msg(rc == 0, "%s did not finish within %d ms (deadlock?): %s",
		      who, timeout_ms, ot_err_name(rc));
	return m;
}

START_TEST(test_chaos_soak)
{
	const char *seed_env = getenv("OT_SOAK_SEED");
	g_seed = seed_env ? strtoull(seed_env, NULL, 0)
			  : (uint64_t)time(NULL) ^ (uint64_t)now_ms() << 20;
	double secs = soak_seconds();
	size_t per_sup = ot_test_scaled(1000) / NSUPS;
	if (per_sup == 0)
		per_sup = 1;
	g_test = ot_self();
	atomic_store(&g_stop, 0);
	atomic_store(&g_restarts, 0);
	ck_assert_ot_ok(ot_set_logger(count_report, NULL));

	ot_pid top = start_tree(per_sup);
	for (size_t i = 0; i < g_nslots; i++)
		ck_assert_int_eq(atomic_load(&g_slots[i].starts), 1);
	ot_pid subs[NSUPS];
	sub_sups(top, subs);

	for (int c = 0; c < NCLIENTS; c++)
		ck_assert_ot_ok(
		    ot_spawn(client, (void *)(intptr_t)c, NULL, NULL));
	for (int k = 0; k < NCHAOS; k++)
		ck_assert_ot_ok(
		    ot_spawn(chaos, (void *)(intptr_t)k, NULL, NULL));
	double t0 = now_msf();
	ot_sleep((int)(secs * 1000));
	atomic_store(&g_stop, 1);

	/* nothing deadlocks: chaos and every client come back */
	int wait = scaled_ms(30000);
	struct chaos_res cr;
	memset(&cr, 0, sizeof(cr));
	ot_msg *m;
	for (int k = 0; k < NCHAOS; k++) {
		struct chaos_res r;
		m = wait_done(T_CHAOS_DONE, wait, "a chaos process");
		ck_assert_uint_eq(ot_msg_size(m), sizeof(r));
		memcpy(&r, ot_msg_data(m), sizeof(r));
		ot_msg_free(m);
		for (int a = 0; a < N_ACTIONS; a++)
			cr.injected[a] += r.injected[a];
		cr.stale += r.stale;
		if (r.bad && !cr.bad)
			cr.first_bad = r.first_bad;
		cr.bad += r.bad;
		if (r.wrong_reason && !cr.wrong_reason)
			memcpy(cr.first_wrong, r.first_wrong,
			       sizeof(cr.first_wrong));
		cr.wrong_reason += r.wrong_reason;
	}
	struct client_res tot;
	memset(&tot, 0, sizeof(tot));
	for (int c = 0; c < NCLIENTS; c++) {
		struct client_res r;
		m = wait_done(T_CLIENT_DONE, wait, "a client");
		ck_assert_uint_eq(ot_msg_size(m), sizeof(r));
		memcpy(&r, ot_msg_data(m), sizeof(r));
		ot_msg_free(m);
		tot.calls += r.calls;
		tot.ok += r.ok;
		tot.died += r.died;
		tot.noproc += r.noproc;
		tot.timedout += r.timedout;
		tot.wrong_reply += r.wrong_reply;
		if (r.bad && !tot.bad)
			tot.first_bad = r.first_bad;
		tot.bad += r.bad;
	}
	double elapsed = now_msf() - t0;

	long injected = 0;
	for (int a = 0; a < N_ACTIONS; a++)
		injected += cr.injected[a];

	/* the last restarts may still be under way */
	int64_t deadline = now_ms() + scaled_ms(10000);
	while (atomic_load(&g_restarts) < injected && now_ms() < deadline)
		ot_sleep(5);
	ot_sleep(scaled_ms(50));
	long restarts = atomic_load(&g_restarts);

	printf("chaos: %zu servers (%d sups), %.1f s (seed %#llx): injected "
	       "%ld (SIGSEGV %ld, SIGFPE %ld, abort %ld, overflow %ld, kill "
	       "%ld), stale targets %ld; restarts %ld; calls %ld (ok "
	       "%ld, server died %ld, noproc %ld, timed out %ld); reports "
	       "%ld\n",
	       g_nslots, NSUPS, elapsed / 1000.0, (unsigned long long)g_seed,
	       injected, cr.injected[F_NULL_WRITE], cr.injected[F_DIV_ZERO],
	       cr.injected[F_ABORT], cr.injected[F_OVERFLOW],
	       cr.injected[A_KILL], cr.stale, restarts, tot.calls, tot.ok,
	       tot.died, tot.noproc, tot.timedout, atomic_load(&g_nreports));
	fflush(stdout);

	ck_assert_msg(cr.bad == 0,
		      "chaos: %ld injections returned an unexpected code, the "
		      "first %s",
		      cr.bad, ot_err_name(cr.first_bad));
	ck_assert_msg(cr.wrong_reason == 0,
		      "chaos: %ld servers died of another reason than the "
		      "fault injected, the first %s",
		      cr.wrong_reason, cr.first_wrong);
	ck_assert_msg(tot.bad == 0,
		      "clients: %ld calls returned an unexpected error, the "
		      "first %s",
		      tot.bad, ot_err_name(tot.first_bad));
	ck_assert_msg(tot.wrong_reply == 0, "clients: %ld wrong replies",
		      tot.wrong_reply);
	ck_assert_msg(injected > 0, "no fault was injected");
	ck_assert_msg(tot.ok > 0, "no call succeeded");
	ck_assert_msg(restarts == injected,
		      "%ld restarts for %ld crashes and kills injected",
		      restarts, injected);

	/* the tree is whole: same sub-supervisors, every server runs and
	 * answers */
	ot_pid subs_after[NSUPS];
	sub_sups(top, subs_after);
	for (int k = 0; k < NSUPS; k++) {
		ck_assert_msg(ot_pid_equal(subs[k], subs_after[k]),
			      "sub-supervisor sup%d was restarted", k);
		check_subtree(subs[k], k, per_sup);
	}
	for (size_t i = 0; i < g_nslots; i++) {
		struct req q = {.op = OP_ECHO, .n = (int64_t)i};
		int64_t out = -1;
		int rc = ot_gen_server_call(slot_pid(i), &q, sizeof(q), &out,
					    sizeof(out), NULL, scaled_ms(5000),
					    NULL);
		ck_assert_msg(rc == 0 && out == (int64_t)i,
			      "server %zu after the chaos: %s", i,
			      ot_err_name(rc));
	}
	ck_assert_int_eq(atomic_load(&g_restarts), restarts);

	ck_assert_ot_ok(ot_supervisor_stop(top, scaled_ms(30000)));
	for (size_t i = 0; i < g_nslots; i++)
		ck_assert_msg(!ot_is_alive(slot_pid(i)),
			      "server %zu outlived its supervisor", i);
	free(g_worker_specs);
	free(g_slots);
}
END_TEST

static Suite *chaos_suite(void)
{
	Suite *s = suite_create("supervisor_chaos");
	TCase *tc = ot_test_tcase("crash_chaos", soak_seconds() + 60.0);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, test_chaos_soak);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(chaos_suite());
}
