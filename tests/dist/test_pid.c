/* SPDX-License-Identifier: MIT */
/*
 * test_pid.c — otter processes as Erlang pids of the node: the same pid
 * each time, back to the process, and Pid ! Term from Erlang reaching
 * it. Skipped when erl is not installed.
 */
#include <stdio.h>
#include <string.h>

#include "erl_node.h"
#include "fixture.h"

static void idle(void *arg)
{
	ot_msg *msg;
	if (ot_receive(&msg, OT_INFINITY) == 0)
		ot_msg_free(msg);
}

START_TEST(test_pid_both_ways)
{
	erlang_pid a, b;
	ot_pid back;
	ck_assert_ot_ok(ot_dist_pid(ot_self(), &a));
	ck_assert_ot_ok(ot_dist_pid(ot_self(), &b));
	ck_assert_str_eq(a.node, otter_name);
	ck_assert_uint_eq(a.num, b.num);
	ck_assert_uint_eq(a.serial, b.serial);
	ck_assert_ot_ok(ot_dist_local_pid(&a, &back));
	ck_assert(ot_pid_equal(back, ot_self()));

	/* Another process gets another pid. */
	ot_pid other;
	ot_ref mon;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &mon};
	ck_assert_ot_ok(ot_spawn(idle, NULL, &so, &other));
	ck_assert_ot_ok(ot_dist_pid(other, &b));
	ck_assert(a.num != b.num || a.serial != b.serial);
	ck_assert_ot_ok(ot_dist_local_pid(&b, &back));
	ck_assert(ot_pid_equal(back, other));
	ck_assert_ot_ok(ot_send(other, 1, NULL, 0));
	ot_msg *down;
	ck_assert_ot_ok(ot_receive(&down, scaled_ms(5000)));
	ck_assert_ptr_nonnull(ot_msg_down(down));
	ot_msg_free(down);
	ck_assert_ot_err(ot_dist_pid(other, &b), OT_ENOPROC);

	/* A pid of another node is none of ours. */
	erlang_pid elsewhere = a;
	snprintf(elsewhere.node, sizeof(elsewhere.node), "%s", erl_name);
	ck_assert_ot_err(ot_dist_local_pid(&elsewhere, &back), OT_ENOPROC);
	ck_assert_ot_err(ot_dist_pid(OT_PID_NONE, &b), OT_EINVAL);
	ck_assert_ot_err(ot_dist_pid(ot_self(), NULL), OT_EINVAL);
	ck_assert_ot_err(ot_dist_local_pid(NULL, &back), OT_EINVAL);
	ck_assert_ot_err(ot_dist_local_pid(&a, NULL), OT_EINVAL);
}
END_TEST

/* The pids die with the node. */
START_TEST(test_pid_needs_node)
{
	erlang_pid a;
	ot_pid back;
	ck_assert_ot_ok(ot_dist_pid(ot_self(), &a));
	ck_assert_ot_ok(ot_node_stop());
	ck_assert_ot_err(ot_dist_pid(ot_self(), &a), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_dist_local_pid(&a, &back), OT_ENOTSTARTED);
	/* Without a node gen_server reaches no other: "kv@node" is only a
	 * name, and nobody has it. */
	char name[128], reply[16];
	snprintf(name, sizeof(name), "kv@%s", erl_name);
	ck_assert_ot_err(ot_gen_server_call_name(name, "\x83\x6a", 2, reply,
						 sizeof(reply), NULL, 100,
						 NULL),
			 OT_ENOPROC);
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
}
END_TEST

/* An Erlang process answers the pid it got in a term: Pid ! Term. */
START_TEST(test_erlang_sends_to_pid)
{
	char e[512], out[256];
	EXPR(e, "register(box, self()), io:format(\"ready~n\"), "
		"receive {hello, P} -> P ! {pong, 1}, timer:sleep(500) "
		"after 10000 -> io:format(\"timeout~n\") end, halt().");
	erl_node node;
	erl_start_expecting(&node, e, "ready");

	erlang_pid me;
	ck_assert_ot_ok(ot_dist_pid(ot_self(), &me));
	ei_x_buff x;
	ck_assert_int_eq(ei_x_new_with_version(&x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(&x, 2), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, "hello"), 0);
	ck_assert_int_eq(ei_x_encode_pid(&x, &me), 0);
	ck_assert_ot_ok(
	    ot_dist_send_name(erl_name, "box", x.buff, (size_t)x.index));
	ei_x_free(&x);

	ot_msg *msg = receive_term();
	int i;
	long n;
	open_tagged_tuple(msg, &i, 2, "pong");
	ck_assert_int_eq(ei_decode_long(ot_msg_data(msg), &i, &n), 0);
	ck_assert_int_eq(n, 1);
	ot_msg_free(msg);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *pid_suite(void)
{
	Suite *s = suite_create("dist_pid");
	TCase *tc = ot_test_tcase("pid", 60);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_pid_both_ways);
	tcase_add_test(tc, test_pid_needs_node);
	tcase_add_test(tc, test_erlang_sends_to_pid);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_pid");
	return ot_test_run(pid_suite());
}
