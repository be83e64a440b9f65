/* SPDX-License-Identifier: MIT */
/*
 * test_observe.c — what an observer sees (otter/info.h): every process
 * (ot_processes), every name (ot_registered), what a process holds
 * (ot_process_details_get, its links and monitors), labels and behaviours,
 * and get_state refused at once on a process that runs no gen_server.
 */
#include "config.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server.h>
#include <otter/supervisor.h>

#include "fixture.h"

enum { T_GO = 1, T_JUNK, T_READY };

/* Waits for T_GO, leaving everything else queued, then ends. */
void observe_waiter(void *arg);
void observe_waiter(void *arg)
{
	(void)arg;
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0) {
		bool go = ot_msg_tag(m) == T_GO;
		ot_msg_free(m);
		if (go)
			return;
	}
}

static bool is_go(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_tag(m) == T_GO;
}

/* Waits for T_GO only: other messages stay in its mailbox. */
static void hoarder(void *arg)
{
	(void)arg;
	ot_msg *m;
	if (ot_receive_match(is_go, NULL, &m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

static void stop(ot_pid p)
{
	ot_ref r = ot_test_monitor(p);
	ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
	ot_test_expect_down(r, 5000, "the process told to go");
}

/* Every pid the walk finds, cap at a time. */
static size_t walk_all(ot_pid *all, size_t max, size_t cap)
{
	ot_pid *chunk = calloc(cap, sizeof *chunk);
	ck_assert_ptr_nonnull(chunk);
	size_t total = 0, n;
	ot_pid after = OT_PID_NONE;
	do {
		ck_assert_ot_ok(ot_processes(after, chunk, cap, &n));
		for (size_t i = 0; i < n && total < max; i++)
			all[total++] = chunk[i];
		if (n)
			after = chunk[n - 1];
	} while (n == cap);
	free(chunk);
	return total;
}

static bool listed(const ot_pid *all, size_t n, ot_pid p)
{
	for (size_t i = 0; i < n; i++)
		if (all[i].id == p.id)
			return true;
	return false;
}

/* erlang:processes/0 */
START_TEST(test_processes_walk)
{
	enum { N = 300 };
	ot_pid ps[N];
	for (int i = 0; i < N; i++)
		ps[i] = ot_test_spawn(observe_waiter, NULL);
	ot_pid me = ot_self();
	ot_pid all[N + 64];
	size_t n = walk_all(all, N + 64, 7);
	for (int i = 0; i < N; i++)
		ck_assert_msg(listed(all, n, ps[i]), "process %d not listed",
			      i);
	ck_assert(listed(all, n, me)); /* an attached thread is a process */
	for (size_t i = 1; i < n; i++)
		ck_assert_msg((all[i].id & 0xffffffffu) >
				  (all[i - 1].id & 0xffffffffu),
			      "table order");
	for (int i = 0; i < N; i++)
		stop(ps[i]);
	n = walk_all(all, N + 64, 64);
	for (int i = 0; i < N; i++)
		ck_assert(!listed(all, n, ps[i]));
}
END_TEST

START_TEST(test_processes_bad_arguments)
{
	ot_pid out[4];
	size_t n = 99;
	ck_assert_ot_err(ot_processes(OT_PID_NONE, out, 4, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_processes(OT_PID_NONE, NULL, 4, &n), OT_EINVAL);
	ck_assert_ot_err(ot_processes((ot_pid){7}, out, 4, &n), OT_EINVAL);
	ck_assert_ot_ok(ot_processes(OT_PID_NONE, NULL, 0, &n));
	ck_assert_uint_eq(n, 0);
	/* A pid that ended is a place to go on from. */
	ot_pid p = ot_test_spawn(observe_waiter, NULL);
	stop(p);
	ck_assert_ot_ok(ot_processes(p, out, 4, &n));
}
END_TEST

/* erlang:registered/0 */
START_TEST(test_registered_walk)
{
	enum { N = 20 };
	ot_pid ps[N];
	char name[32];
	for (int i = 0; i < N; i++) {
		ps[i] = ot_test_spawn(observe_waiter, NULL);
		snprintf(name, sizeof name, "obs_%02d", i);
		ck_assert_ot_ok(ot_register(name, ps[i]));
	}
	ot_registered_name chunk[3];
	int seen = 0;
	char after[OT_NAME_MAX + 1] = "";
	size_t n;
	do {
		ck_assert_ot_ok(ot_registered(after, chunk, 3, &n));
		for (size_t i = 0; i < n; i++) {
			ck_assert_msg(strcmp(chunk[i].name, after) > 0,
				      "strcmp order");
			int k;
			if (sscanf(chunk[i].name, "obs_%d", &k) == 1) {
				ck_assert_uint_eq(chunk[i].pid.id, ps[k].id);
				seen++;
			}
			strcpy(after, chunk[i].name);
		}
	} while (n == 3);
	ck_assert_int_eq(seen, N);
	stop(ps[0]);
	ck_assert_ot_ok(ot_registered(NULL, chunk, 3, &n));
	for (size_t i = 0; i < n; i++)
		ck_assert_str_ne(chunk[i].name, "obs_00");
	for (int i = 1; i < N; i++)
		stop(ps[i]);
	char longname[OT_NAME_MAX + 2];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	ck_assert_ot_err(ot_registered(longname, chunk, 3, &n),
			 OT_ENAMETOOLONG);
	ck_assert_ot_err(ot_registered(NULL, NULL, 3, &n), OT_EINVAL);
	ck_assert_ot_err(ot_registered(NULL, chunk, 3, NULL), OT_EINVAL);
}
END_TEST

/* A process linked to `peers` processes and monitoring `watch` others. */
struct tied {
	ot_pid peers[3];
	ot_pid watched[2];
	ot_pid test;
};

static void tied_main(void *arg)
{
	struct tied *t = arg;
	for (int i = 0; i < 3; i++)
		ot_link(t->peers[i]);
	ot_ref r;
	for (int i = 0; i < 2; i++)
		ot_monitor(t->watched[i], &r);
	ot_send(t->test, T_READY, NULL, 0);
	hoarder(NULL);
}

static bool has(const ot_pid *v, size_t n, ot_pid p)
{
	return listed(v, n, p);
}

/* erlang:process_info(P, [links, monitors, monitored_by]) */
START_TEST(test_links_and_monitors)
{
	struct tied *t = calloc(1, sizeof *t);
	for (int i = 0; i < 3; i++)
		t->peers[i] = ot_test_spawn(observe_waiter, NULL);
	for (int i = 0; i < 2; i++)
		t->watched[i] = ot_test_spawn(observe_waiter, NULL);
	t->test = ot_self();
	ot_pid p = ot_test_spawn(tied_main, t);
	ot_msg_free(expect_msg(T_READY, 5000));
	ot_ref mine = ot_test_monitor(p);

	ot_pid out[8];
	size_t total;
	ck_assert_ot_ok(ot_process_links(p, out, 8, &total));
	ck_assert_uint_eq(total, 3);
	for (int i = 0; i < 3; i++)
		ck_assert(has(out, total, t->peers[i]));
	ck_assert_ot_ok(ot_process_links(t->peers[0], out, 8, &total));
	ck_assert_uint_eq(total, 1);
	ck_assert_uint_eq(out[0].id, p.id);
	/* A buffer too small: the count says how many. */
	ck_assert_ot_ok(ot_process_links(p, out, 1, &total));
	ck_assert_uint_eq(total, 3);

	ck_assert_ot_ok(ot_process_monitors(p, out, 8, &total));
	ck_assert_uint_eq(total, 2);
	ck_assert(has(out, 2, t->watched[0]) && has(out, 2, t->watched[1]));
	ck_assert_ot_ok(ot_process_monitored_by(p, out, 8, &total));
	ck_assert_uint_eq(total, 1);
	ck_assert_uint_eq(out[0].id, ot_self().id);
	ck_assert_ot_ok(ot_process_monitored_by(t->watched[0], out, 8, &total));
	ck_assert_uint_eq(total, 1);
	ck_assert_uint_eq(out[0].id, p.id);

	ot_process_details d;
	ck_assert_ot_ok(ot_process_details_get(p, &d, sizeof d));
	ck_assert_uint_eq(d.links, 3);
	ck_assert_uint_eq(d.monitors, 2);
	ck_assert_uint_eq(d.monitored_by, 1);

	/* Once p has gone, so have its ties, and the lists say noproc. */
	ck_assert_ot_ok(ot_exit_pid(p, &(ot_reason){.kind = OT_REASON_KILLED}));
	ot_test_expect_down(mine, 5000, "the tied process");
	ck_assert_ot_err(ot_process_links(p, out, 8, &total), OT_ENOPROC);
	ck_assert_ot_err(ot_process_monitors(p, out, 8, &total), OT_ENOPROC);
	ck_assert_ot_err(ot_process_monitored_by(p, out, 8, &total),
			 OT_ENOPROC);
	ck_assert_ot_ok(ot_process_monitored_by(t->watched[0], out, 8, &total));
	ck_assert_uint_eq(total, 0);
	for (int i = 0; i < 2; i++)
		stop(t->watched[i]);
	free(t);

	ck_assert_ot_err(ot_process_links(OT_PID_NONE, out, 8, &total),
			 OT_EINVAL);
	ck_assert_ot_err(ot_process_links(ot_self(), NULL, 8, &total),
			 OT_EINVAL);
	ck_assert_ot_err(ot_process_monitors(ot_self(), out, 8, NULL),
			 OT_EINVAL);
}
END_TEST

/* erlang:process_info(P, [message_queue_len, memory]) */
START_TEST(test_queue_bytes)
{
	ot_pid p = ot_test_spawn(hoarder, NULL);
	ot_process_details d0, d;
	ck_assert_ot_ok(ot_process_details_get(p, &d0, sizeof d0));
	ck_assert_uint_eq(d0.message_queue_len, 0);
	ck_assert_uint_eq(d0.queue_bytes, 0);
	char payload[1000] = {0};
	for (int i = 0; i < 10; i++)
		ck_assert_ot_ok(ot_send(p, T_JUNK, payload, sizeof payload));
	ck_assert_ot_ok(ot_process_details_get(p, &d, sizeof d));
	ck_assert_uint_eq(d.message_queue_len, 10);
	ck_assert_uint_ge(d.queue_bytes, 10 * sizeof payload);
	ck_assert_uint_lt(d.queue_bytes, 10 * (sizeof payload + 256));
	ck_assert_uint_ge(d.messages_in, d0.messages_in + 10);
	stop(p);
}
END_TEST

/* Waits for T_GO with depth bytes of frames below it (a buffer the
 * compiler must keep: it is read after the wait). */
static void __attribute__((noinline)) deep_wait(size_t depth)
{
	volatile char buf[8 * 1024];
	buf[0] = 1;
	if (depth > sizeof buf) {
		deep_wait(depth - sizeof buf);
		buf[1] = buf[0]; /* after the call: no tail call */
		return;
	}
	ot_msg *m = NULL;
	while (ot_receive(&m, OT_INFINITY) == 0 && ot_msg_tag(m) != T_GO)
		ot_msg_free(m);
	ot_msg_free(m);
	buf[sizeof buf - 1] = buf[0];
}

static void deep_waiter(void *arg)
{
	deep_wait((size_t)(uintptr_t)arg);
}

/* The stack memory a waiting process holds, whether its frames lie on its
 * stack or were copied off it: at least what it put there. */
START_TEST(test_stack_bytes_of_a_waiting_process)
{
	ot_pid shallow = ot_test_spawn(deep_waiter, (void *)(uintptr_t)1);
	ot_pid deep = ot_test_spawn(deep_waiter, (void *)(uintptr_t)(40 << 10));
	ot_process_info a, b;
	int64_t deadline = now_ms() + scaled_ms(2000);
	do {
		ot_sleep(1);
		ck_assert_ot_ok(ot_process_info_get(deep, &a));
		ck_assert_ot_ok(ot_process_info_get(shallow, &b));
	} while ((a.status != OT_PROC_WAITING || b.status != OT_PROC_WAITING) &&
		 now_ms() < deadline);
	ck_assert_int_eq(a.status, OT_PROC_WAITING);
	ck_assert_int_eq(b.status, OT_PROC_WAITING);
	ot_process_details d, s;
	ck_assert_ot_ok(ot_process_details_get(deep, &d, sizeof d));
	ck_assert_ot_ok(ot_process_details_get(shallow, &s, sizeof s));
	ck_assert_uint_ge(d.stack_bytes, 40 << 10);
	ck_assert_uint_lt(d.stack_bytes, OT_DEFAULT_STACK_SIZE);
	ck_assert_uint_gt(s.stack_bytes, 0);
	ck_assert_uint_lt(s.stack_bytes, 24 << 10);
	stop(shallow);
	stop(deep);
}
END_TEST

START_TEST(test_entry_name_and_label)
{
	ot_pid p = ot_test_spawn(observe_waiter, NULL);
	ot_process_details d;
	ck_assert_ot_ok(ot_process_details_get(p, &d, sizeof d));
#ifdef OT_HAVE_LIBDW
	ck_assert_str_eq(d.entry_name, "observe_waiter");
#endif
	ck_assert_str_eq(d.label, "");
	ck_assert_str_eq(d.behaviour, "");
	/* A program compiled against a shorter struct gets that much. */
	memset(&d, 0x5a, sizeof d);
	ck_assert_ot_ok(ot_process_details_get(
	    p, &d, offsetof(ot_process_details, entry_name)));
	ck_assert_uint_eq((unsigned char)d.entry_name[0], 0x5a);
	ck_assert_ot_err(ot_process_details_get(p, &d, 0), OT_EINVAL);
	ck_assert_ot_err(ot_process_details_get(p, &d, sizeof d + 1),
			 OT_EINVAL);
	ck_assert_ot_err(ot_process_details_get(p, NULL, sizeof d), OT_EINVAL);
	stop(p);
	ck_assert_ot_err(ot_process_details_get(p, &d, sizeof d), OT_ENOPROC);

	/* The calling (attached) thread labels itself. */
	ck_assert_ot_ok(ot_set_label("the test thread"));
	ck_assert_ot_ok(ot_process_details_get(ot_self(), &d, sizeof d));
	ck_assert_str_eq(d.label, "the test thread");
	char toolong[OT_LABEL_MAX + 2];
	memset(toolong, 'y', sizeof toolong - 1);
	toolong[sizeof toolong - 1] = '\0';
	ck_assert_ot_err(ot_set_label(toolong), OT_ENAMETOOLONG);
	ck_assert_ot_ok(ot_set_label(NULL));
	ck_assert_ot_ok(ot_process_details_get(ot_self(), &d, sizeof d));
	ck_assert_str_eq(d.label, "");
	ck_assert_ot_ok(ot_set_behaviour("mine"));
	ck_assert_ot_ok(ot_process_details_get(ot_self(), &d, sizeof d));
	ck_assert_str_eq(d.behaviour, "mine");
	ck_assert_ot_ok(ot_set_behaviour(NULL));
	ck_assert_ot_err(ot_set_behaviour(toolong), OT_ENAMETOOLONG);
	ck_assert_ot_ok(ot_set_label("kept until the thread is detached"));
}
END_TEST

static ot_gs_ret echo_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

static const ot_gen_server_callbacks plain_server = {.init = echo_init};

static const ot_sup_spec empty_sup = {
    .flags = {.strategy = OT_ONE_FOR_ONE, .intensity = 1, .period_ms = 1000}};

/* Servers and supervisors say what they run; get_state on a process that
 * runs neither fails at once and leaves nothing in its mailbox. */
START_TEST(test_behaviours_and_get_state)
{
	ot_pid gs, sup;
	ck_assert_ot_ok(
	    ot_gen_server_start(&plain_server, NULL, NULL, &gs, NULL));
	ck_assert_ot_ok(ot_supervisor_start_link(&empty_sup, NULL, &sup, NULL));
	ot_process_details d;
	ck_assert_ot_ok(ot_process_details_get(gs, &d, sizeof d));
	ck_assert_str_eq(d.behaviour, "gen_server");
	ck_assert_ot_ok(ot_process_details_get(sup, &d, sizeof d));
	ck_assert_str_eq(d.behaviour, "supervisor");
	char buf[64];
	ck_assert_ot_ok(ot_gen_server_get_state(sup, buf, sizeof buf, 5000));

	ot_pid p = ot_test_spawn(hoarder, NULL);
	ot_process_details before;
	ck_assert_ot_ok(ot_process_details_get(p, &before, sizeof before));
	int64_t t0 = now_ms();
	ck_assert_ot_err(ot_gen_server_get_state(p, buf, sizeof buf, 10000),
			 OT_ENOTSERVER);
	ck_assert_int_lt(now_ms() - t0, 5000); /* not its timeout */
	ck_assert_ot_ok(ot_process_details_get(p, &d, sizeof d));
	ck_assert_uint_eq(d.messages_in, before.messages_in);
	ck_assert_uint_eq(d.message_queue_len, 0);
	stop(p);
	ck_assert_ot_ok(ot_gen_server_stop(gs, NULL, 5000));
	ck_assert_ot_ok(ot_gen_server_stop(sup, NULL, 5000));
}
END_TEST

/* Spins without waiting until told to stop (through memory: it never
 * looks at its mailbox). */
static _Atomic bool spin_on;
static void spinner(void *arg)
{
	(void)arg;
	while (atomic_load(&spin_on))
		;
}

/* The monitors a process holds are read while it waits: one that runs
 * all along is not waited for long. */
START_TEST(test_monitors_of_a_running_process)
{
	atomic_store(&spin_on, true);
	ot_pid p = ot_test_spawn(spinner, NULL);
	ot_process_info info;
	do
		ck_assert_ot_ok(ot_process_info_get(p, &info));
	while (info.status != OT_PROC_RUNNING);
	ot_pid out[4];
	size_t total;
	ck_assert_ot_err(ot_process_monitors(p, out, 4, &total), OT_ETIMEDOUT);
	ot_process_details d;
	ck_assert_ot_ok(ot_process_details_get(p, &d, sizeof d));
	ck_assert_uint_eq(d.monitors, SIZE_MAX);
	ot_ref r = ot_test_monitor(p);
	atomic_store(&spin_on, false);
	ot_test_expect_down(r, 5000, "the spinner");
}
END_TEST

static Suite *observe_suite(void)
{
	Suite *s = suite_create("observe");
	TCase *tc = ot_test_tcase("walks", 30);
	tcase_add_test(tc, test_processes_walk);
	tcase_add_test(tc, test_processes_bad_arguments);
	tcase_add_test(tc, test_registered_walk);
	tcase_add_test(tc, test_queue_bytes);
	tcase_add_test(tc, test_stack_bytes_of_a_waiting_process);
	tcase_add_test(tc, test_entry_name_and_label);
	tcase_add_test(tc, test_behaviours_and_get_state);
	suite_add_tcase(s, tc);

	/* The fixture runs two schedulers: a spinner leaves one free. */
	tc = ot_test_tcase("ties", 30);
	tcase_add_test(tc, test_links_and_monitors);
	tcase_add_test(tc, test_monitors_of_a_running_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(observe_suite());
}
