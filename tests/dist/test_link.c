/* SPDX-License-Identifier: MIT */
/*
 * test_link.c — pids of other nodes as ot_pids, and links and monitors
 * across nodes, against real Erlang nodes: sends to an Erlang pid, a
 * monitor of an Erlang process that exits (its reason as a term), an
 * Erlang monitor of an otter process that crashes by SIGSEGV (the crash
 * as a term), links both ways with trap_exit, a killed Erlang node
 * (noconnection, nodedown) and one that comes back (nodeup). Skipped
 * when erl is not installed.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "erl_node.h"
#include "faults.h"
#include "fixture.h"

/* The payload of a reason from Erlang matches pattern (a whole term). */
static void assert_reason_term(const ot_reason *r, const char *pattern)
{
	size_t n;
	const void *d = ot_reason_data(r, &n);
	ck_assert_ptr_nonnull(d);
	ck_assert_ot_ok(ot_term_match(d, n, pattern));
}

/* An Erlang pid becomes a remote ot_pid: the same each time, printed as
 * Erlang prints it, and ot_send() reaches it as a binary or a term. */
START_TEST(test_remote_pid)
{
	char e[1024], out[256];
	EXPR(e,
	     "register(box, self()), io:format(\"ready~n\"), "
	     "receive {hello, P} -> P ! {pid, self()}, P ! {pid, self()} "
	     "end, "
	     "receive B when is_binary(B) -> io:format(\"~p~n\", [B]) end, "
	     "receive T -> io:format(\"~p~n\", [T]) end, "
	     "{otter_box, '%s'} ! {from, self()}, timer:sleep(500), halt().",
	     otter_name);
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	ck_assert_ot_ok(ot_register("otter_box", ot_self()));
	send_self("box", "hello");
	ot_pid a = receive_pid("pid"), b = receive_pid("pid");
	ck_assert(ot_pid_equal(a, b));
	char text[OT_PID_STRLEN];
	ck_assert_int_gt(ot_pid_format(a, text, sizeof(text)), 0);
	ck_assert_int_eq(text[0], '<');
	ck_assert_int_ne(text[1], '0'); /* <N.X.Y>, N the node's number */
	erlang_pid ea;
	ck_assert_ot_ok(ot_dist_erlang_pid(a, &ea));
	ck_assert_str_eq(ea.node, erl_name);

	ck_assert_ot_ok(ot_send(a, 7, "abc", 3));
	send_atom(a, "done");
	/* {otter_box, Node} ! Msg comes from the Erlang sender. */
	ot_msg *msg = receive_term();
	ck_assert(ot_pid_equal(ot_msg_from(msg), a));
	ot_msg_free(msg);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "<<\"abc\">>\ndone\n");
	ck_assert_ot_ok(ot_unregister("otter_box"));

	/* Without a node a remote pid is refused, not a crash. */
	ck_assert_ot_ok(ot_node_stop());
	ck_assert_ot_err(ot_send(a, 7, "abc", 3), OT_EREMOTE);
	ot_ref ref;
	ck_assert_ot_err(ot_monitor(a, &ref), OT_EREMOTE);
	ck_assert_ot_err(ot_link(a), OT_EREMOTE);
	ck_assert_int_gt(ot_pid_format(a, text, sizeof(text)), 0);
	ck_assert_int_eq(text[1], '?');
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
	/* A pid of the earlier node names nothing of this one. */
	ck_assert_ot_err(ot_send(a, 7, "abc", 3), OT_ENOTCONN);
	ck_assert_ot_err(ot_dist_erlang_pid(a, &ea), OT_ENOTCONN);
}
END_TEST

/* ot_monitor() of an Erlang process: DOWN with its reason as a term;
 * noproc for one already gone; ot_demonitor() turns it off. */
START_TEST(test_monitor_erlang)
{
	char e[1024], out[256];
	EXPR(e, "register(box, self()), io:format(\"ready~n\"), "
		"receive {hello, P} -> "
		"  Q = spawn(fun() -> receive _ -> ok end end), "
		"  W = spawn(fun() -> receive go -> exit({bad, 42}) end end), "
		"  P ! {pid, W}, P ! {idle, Q} end, "
		"receive {stop, _} -> halt() end.");
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	send_self("box", "hello");
	ot_pid p = receive_pid("pid"), q = receive_pid("idle");

	ot_ref rq, rp;
	ck_assert_ot_ok(ot_monitor(q, &rq));
	ck_assert_int_eq(ot_demonitor(rq, OT_DEMONITOR_INFO), 1);
	ck_assert_ot_ok(ot_monitor(p, &rp));
	send_atom(p, "go");
	ot_msg *msg;
	ck_assert_ot_ok(
	    ot_receive_match(is_down, NULL, &msg, scaled_ms(10000)));
	const ot_down_info *d = ot_msg_down(msg);
	ck_assert_uint_eq(d->ref.id, rp.id);
	ck_assert(ot_pid_equal(d->pid, p));
	ck_assert_int_eq(d->reason.kind, OT_REASON_ERROR);
	ck_assert_int_eq(d->reason.code, OT_EREMOTE);
	ck_assert_str_eq(d->reason.text, "{bad,42}");
	assert_reason_term(&d->reason, "{bad, 42}");
	ot_msg_free(msg);

	/* Gone already: noproc, from the other node. */
	ck_assert_ot_ok(ot_monitor(p, &rp));
	ck_assert_ot_ok(
	    ot_receive_match(is_down, NULL, &msg, scaled_ms(10000)));
	d = ot_msg_down(msg);
	ck_assert_uint_eq(d->ref.id, rp.id);
	ck_assert_int_eq(d->reason.kind, OT_REASON_NOPROC);
	ot_msg_free(msg);
	send_self("box", "stop");
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
}
END_TEST

/* Waits for a message and then dereferences NULL. */
static void crasher(void *arg)
{
	(void)arg;
	ot_msg *msg;
	ck_assert_ot_ok(ot_receive(&msg, OT_INFINITY));
	ot_msg_free(msg);
	do_fault(F_NULL_WRITE);
}

/* An Erlang process monitors an otter process that crashes by SIGSEGV:
 * its DOWN carries the crash as a term. */
START_TEST(test_erlang_monitors_crash)
{
	char e[1024], out[256];
	EXPR(e, "register(box, self()), io:format(\"ready~n\"), "
		"receive {crasher, P} -> M = monitor(process, P), "
		"  P ! crash, "
		"  receive {'DOWN', M, process, P, R} -> "
		"    io:format(\"~p~n\", [R]) end end, halt().");
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	ot_pid c;
	ck_assert_ot_ok(ot_spawn(crasher, NULL, NULL, &c));
	send_pid(OT_PID_NONE, "box", "crasher", c);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{crash,'SIGSEGV','SEGV_MAPERR',0,false}\n");
}
END_TEST

/* Links both ways: an otter process trapping exits gets an Erlang
 * process's EXIT; an Erlang process trapping exits gets an otter
 * process's; an otter process that does not trap exits dies of its
 * linked Erlang process's reason; ot_unlink() undoes a link. */
static void linked_victim(void *arg)
{
	ot_pid *peer = arg;
	ck_assert_ot_ok(ot_link(*peer));
	send_atom(*peer, "linked");
	ot_msg *msg;
	ot_receive(&msg, OT_INFINITY); /* killed by the link's EXIT */
}

static ot_pid erl_box;

/* Waits for Erlang's link (then its "linked"), ends with an error. */
static void linked_victim_2(void *arg)
{
	(void)arg;
	ot_msg *msg;
	ck_assert_ot_ok(ot_receive(&msg, OT_INFINITY));
	ot_msg_free(msg);
	ot_reason r = ot_reason_error(OT_EINVAL, "lost");
	ot_exit(&r);
}

/* Linked to by Erlang, unlinks before it ends with an error. */
static void unlinker(void *arg)
{
	(void)arg;
	ot_msg *msg;
	ck_assert_ot_ok(ot_receive(&msg, OT_INFINITY));
	ot_msg_free(msg);
	ck_assert_ot_ok(ot_unlink(erl_box));
	ot_reason r = ot_reason_error(OT_EINVAL, "unlinked");
	ot_exit(&r);
}

START_TEST(test_links_both_ways)
{
	char e[2048], out[512];
	EXPR(e, "process_flag(trap_exit, true), register(box, self()), "
		"io:format(\"ready~n\"), "
		"receive {hello, P} -> "
		"  A = spawn(fun() -> receive go -> exit(boom) end end), "
		"  B = spawn(fun() -> receive linked -> ok end, "
		"                     receive go -> exit(bang) end end), "
		"  P ! {a, A}, P ! {b, B}, P ! {box, self()} end, "
		"receive {link, O} -> link(O), O ! linked end, "
		"receive {'EXIT', O2, R} -> io:format(\"~p~n\", [R]), "
		"  io:format(\"~p~n\", [O2 =:= O]) end, "
		"receive {unlink, U} -> link(U), U ! ok end, "
		"receive {'EXIT', _, R2} -> io:format(\"~p~n\", [R2]) "
		"after 1000 -> io:format(\"no exit~n\") end, "
		"{links, Ls} = process_info(self(), links), "
		"io:format(\"~p~n\", [lists:member(U, Ls)]), halt().");
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	send_self("box", "hello");
	ot_pid a = receive_pid("a"), b = receive_pid("b"),
	       box = receive_pid("box");
	erl_box = box;

	/* Otter traps, Erlang's A exits with boom. */
	ck_assert_ot_ok(ot_link(a));
	ot_pid links[4];
	size_t total;
	ck_assert_ot_ok(ot_process_links(ot_self(), links, 4, &total));
	ck_assert_uint_eq(total, 1);
	ck_assert(ot_pid_equal(links[0], a));
	send_atom(a, "go");
	ot_msg *msg;
	ck_assert_ot_ok(
	    ot_receive_match(is_exit, NULL, &msg, scaled_ms(10000)));
	const ot_exit_info *x = ot_msg_exit(msg);
	ck_assert(ot_pid_equal(x->from, a));
	ck_assert_str_eq(x->reason.text, "boom");
	assert_reason_term(&x->reason, "boom");
	ot_msg_free(msg);
	ck_assert_ot_ok(ot_process_links(ot_self(), links, 4, &total));
	ck_assert_uint_eq(total, 0);

	/* An otter process that does not trap dies of B's bang. */
	ot_pid v;
	ot_ref mon;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &mon};
	ck_assert_ot_ok(ot_spawn(linked_victim, &b, &so, &v));
	ot_sleep(scaled_ms(200)); /* the link is made before "linked" */
	send_atom(b, "go");
	ck_assert_ot_ok(
	    ot_receive_match(is_down, NULL, &msg, scaled_ms(10000)));
	const ot_down_info *d = ot_msg_down(msg);
	ck_assert(ot_pid_equal(d->pid, v));
	ck_assert_str_eq(d->reason.text, "bang");
	ot_msg_free(msg);

	/* Erlang traps and links to an otter process, which ends with an
	 * error: {'EXIT', O, {error, 42, "lost"}}. */
	ot_pid o;
	ck_assert_ot_ok(ot_spawn(linked_victim_2, NULL, NULL, &o));
	send_pid(box, NULL, "link", o);

	/* An otter process unlinks before it ends: Erlang sees no EXIT. */
	ot_pid u;
	ck_assert_ot_ok(ot_spawn(unlinker, NULL, NULL, &u));
	send_pid(box, NULL, "unlink", u);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	/* ... and its link is gone on the Erlang side too. */
	ck_assert_str_eq(
	    out, "{error,'OT_EINVAL',\"lost\"}\ntrue\nno exit\nfalse\n");
}
END_TEST

/* The term message {What, Node}, what and node into the arrays. */
static bool is_node_msg(const ot_msg *m, void *arg)
{
	const char *what = arg;
	char got[OT_TERM_ATOM_MAX], node[OT_TERM_ATOM_MAX];
	return ot_msg_tag(m) == OT_DIST_TAG &&
	       ot_term_match(ot_msg_data(m), ot_msg_size(m), "{%a, %a}", got,
			     node) == 0 &&
	       strcmp(got, what) == 0 && strcmp(node, erl_name) == 0;
}

static void expect_node_msg(const char *what)
{
	ot_msg *msg;
	ck_assert_ot_ok(ot_receive_match(is_node_msg, (void *)what, &msg,
					 scaled_ms(10000)));
	ot_msg_free(msg);
}

/* kill -9 of the Erlang node: every link and monitor across it fires with
 * noconnection, node monitors say nodedown; the node comes back, a new
 * connection says nodeup, and the tables start afresh. */
START_TEST(test_node_killed)
{
	char e[1024], out[256];
	EXPR(e, "register(box, self()), io:format(\"ready~n\"), "
		"receive {hello, P} -> "
		"  A = spawn(fun() -> receive _ -> ok end end), "
		"  P ! {a, A} end, "
		"receive _ -> ok end.");
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	send_self("box", "hello");
	ot_pid a = receive_pid("a");
	ck_assert_ot_ok(ot_link(a));
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(a, &ref));
	ck_assert_ot_ok(ot_monitor_node(erl_name, true));
	ck_assert_ot_ok(ot_monitor_nodes(true));
	ck_assert_ot_ok(ot_monitor_nodes(true));	    /* twice is once */
	ck_assert_ot_ok(ot_monitor_node(otter_name, true)); /* nothing */
	ck_assert_ot_err(ot_monitor_node("nohost", true), OT_EINVAL);
	ck_assert_ot_err(ot_monitor_node(NULL, true), OT_EINVAL);

	erl_kill(&node);
	ot_msg *msg;
	ck_assert_ot_ok(
	    ot_receive_match(is_exit, NULL, &msg, scaled_ms(10000)));
	const ot_exit_info *x = ot_msg_exit(msg);
	ck_assert(ot_pid_equal(x->from, a));
	ot_reason nc = ot_reason_noconnection();
	ck_assert(ot_reason_equal(&x->reason, &nc));
	ot_msg_free(msg);
	ck_assert_ot_ok(
	    ot_receive_match(is_down, NULL, &msg, scaled_ms(10000)));
	const ot_down_info *d = ot_msg_down(msg);
	ck_assert_uint_eq(d->ref.id, ref.id);
	ck_assert(ot_reason_equal(&d->reason, &nc));
	ot_msg_free(msg);
	expect_node_msg("nodedown"); /* ot_monitor_node */
	expect_node_msg("nodedown"); /* ot_monitor_nodes */
	ck_assert_ot_err(ot_receive_match(is_node_msg, "nodedown", &msg, 200),
			 OT_ETIMEDOUT);
	char peers[4][MAXNODELEN + 1];
	ck_assert_int_eq(ot_node_peers(peers, 4), 0);

	/* Linking a pid of a node that is gone: noconnection at once. */
	ck_assert_ot_ok(ot_link(a));
	ck_assert_ot_ok(
	    ot_receive_match(is_exit, NULL, &msg, scaled_ms(10000)));
	ck_assert(ot_reason_equal(&ot_msg_exit(msg)->reason, &nc));
	ot_msg_free(msg);

	/* The node comes back (same name) and connects: nodeup. */
	EXPR(e,
	     "pong = net_adm:ping('%s'), io:format(\"up~n\"), "
	     "receive _ -> ok after 2000 -> ok end, halt().",
	     otter_name);
	erl_start_expecting(&node, e, "up");
	expect_node_msg("nodeup");
	ck_assert_ot_ok(ot_monitor_nodes(false));
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_ot_err(ot_receive_match(is_node_msg, "nodedown", &msg, 500),
			 OT_ETIMEDOUT);
}
END_TEST

/* gen_server:call from Erlang to a name nobody holds here: noproc at
 * once (the call's monitor of {Name, Node}), not a timeout. */
START_TEST(test_call_missing_name)
{
	char e[1024], out[256];
	EXPR(e,
	     "R = (catch gen_server:call({nosuch, '%s'}, hi, 15000)), "
	     "{'EXIT', {Why, _}} = R, io:format(\"~p~n\", [Why]), halt().",
	     otter_name);
	ck_assert_int_eq(
	    erl_run(erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "noproc\n"); /* a timeout says timeout */
}
END_TEST

/* An atom as a term, into a builder the caller frees. */
static void atom_term(ot_term_buf *b, const char *atom, const void **d,
		      size_t *n)
{
	ck_assert_ot_ok(ot_term_buf_init(b));
	ot_term_atom(b, atom);
	ck_assert_ot_ok(ot_term_buf_get(b, d, n));
}

/* ot_gen_server_call() and ot_gen_server_cast() to the remote pid of an
 * Erlang gen_server: its reply; its death during a call (OT_ESERVERDIED
 * with its reason); then noproc. */
START_TEST(test_gen_server_call_pid)
{
	char e[2048], out[256];
	EXPR(e, "register(box, self()), io:format(\"ready~n\"), "
		"L = fun L() -> receive "
		"{'$gen_call', _, die} -> exit(dying); "
		"{'$gen_call', From, Req} -> gen:reply(From, {ok, Req}), L(); "
		"{'$gen_cast', M} -> io:format(\"cast ~p~n\", [M]), L() "
		"end end, "
		"receive {hello, P} -> S = spawn(L), P ! {server, S}, "
		"  register(named, spawn(L)) end, "
		"receive {stop, _} -> halt() end.");
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	send_self("box", "hello");
	ot_pid server = receive_pid("server");
	ot_term_buf b;
	const void *d;
	size_t n, rsize;
	char reply[64];
	ot_reason why;
	atom_term(&b, "hi", &d, &n);
	ck_assert_ot_ok(ot_gen_server_call(server, d, n, reply, sizeof(reply),
					   &rsize, scaled_ms(10000), &why));
	ck_assert_ot_ok(ot_term_match(reply, rsize, "{ok, hi}"));
	ck_assert_ot_ok(ot_gen_server_cast(server, d, n));
	ot_term_buf_free(&b);

	atom_term(&b, "die", &d, &n);
	ck_assert_ot_err(ot_gen_server_call(server, d, n, reply, sizeof(reply),
					    &rsize, scaled_ms(10000), &why),
			 OT_ESERVERDIED);
	ck_assert_str_eq(why.text, "dying");
	ck_assert_ot_err(ot_gen_server_call(server, d, n, reply, sizeof(reply),
					    &rsize, scaled_ms(10000), &why),
			 OT_ENOPROC);
	ot_term_buf_free(&b);

	/* By name, "named@node": monitored too (the monitor of {named,
	 * Node}), and nothing of it is left behind after a reply. */
	char name[128];
	snprintf(name, sizeof(name), "named@%s", erl_name);
	atom_term(&b, "hi", &d, &n);
	ck_assert_ot_ok(ot_gen_server_call_name(
	    name, d, n, reply, sizeof(reply), &rsize, scaled_ms(10000), NULL));
	ck_assert_ot_ok(ot_term_match(reply, rsize, "{ok, hi}"));
	ot_term_buf_free(&b);
	atom_term(&b, "die", &d, &n);
	ck_assert_ot_err(ot_gen_server_call_name(name, d, n, reply,
						 sizeof(reply), &rsize,
						 scaled_ms(10000), NULL),
			 OT_ESERVERDIED);
	ck_assert_ot_err(ot_gen_server_call_name(name, d, n, reply,
						 sizeof(reply), &rsize,
						 scaled_ms(10000), NULL),
			 OT_ENOPROC);
	ot_term_buf_free(&b);
	/* No DOWN or reply is left behind. */
	ot_msg *msg;
	ck_assert_ot_err(ot_receive(&msg, 100), OT_ETIMEDOUT);
	send_self("box", "stop");
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "cast hi\n");
}
END_TEST

/* Answers every gen_server call with its request, until told "stop". */
static void echo(void *arg)
{
	(void)arg;
	for (;;) {
		ot_msg *msg;
		ck_assert_ot_ok(ot_receive(&msg, OT_INFINITY));
		ot_dist_from from;
		size_t req;
		if (ot_dist_call_parse(ot_msg_data(msg), ot_msg_size(msg),
				       &from, &req) != 0) {
			ot_msg_free(msg);
			return;
		}
		ot_term_buf b;
		const void *d;
		size_t n;
		ck_assert_ot_ok(ot_term_buf_init(&b));
		ot_term_raw(&b, (const char *)ot_msg_data(msg) + req,
			    ot_msg_size(msg) - req);
		ck_assert_ot_ok(ot_term_buf_get(&b, &d, &n));
		ck_assert_ot_ok(ot_dist_reply(&from, d, n));
		ot_term_buf_free(&b);
		ot_msg_free(msg);
	}
}

/* gen_server:call({echo, Node}) monitors echo by name and demonitors it
 * after the reply: no monitor is left on the server. */
START_TEST(test_call_by_name_leaves_no_monitor)
{
	char e[1024], out[256];
	ot_pid srv;
	ot_spawn_opts so = {.name = "echo"};
	ck_assert_ot_ok(ot_spawn(echo, NULL, &so, &srv));
	EXPR(e,
	     "[hi = gen_server:call({echo, '%s'}, hi) || _ <- "
	     "lists:seq(1, 20)], io:format(\"done~n\"), "
	     "receive _ -> ok after 10000 -> ok end, halt().",
	     otter_name);
	erl_node node;
	erl_start_expecting(&node, e, "done");
	size_t total = 1;
	for (int i = 0; i < 500 && total; i++) {
		ck_assert_ot_ok(ot_process_monitored_by(srv, NULL, 0, &total));
		if (total)
			ot_sleep(10);
	}
	ck_assert_uint_eq(total, 0);
	erl_kill(&node);
	ck_assert_ot_ok(ot_send(srv, 1, NULL, 0));
	(void)out;
}
END_TEST

static Suite *link_suite(void)
{
	Suite *s = suite_create("dist_link");
	TCase *tc = ot_test_tcase("link", 60);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_remote_pid);
	tcase_add_test(tc, test_monitor_erlang);
	tcase_add_test(tc, test_erlang_monitors_crash);
	tcase_add_test(tc, test_links_both_ways);
	tcase_add_test(tc, test_node_killed);
	tcase_add_test(tc, test_call_missing_name);
	tcase_add_test(tc, test_gen_server_call_pid);
	tcase_add_test(tc, test_call_by_name_leaves_no_monitor);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_link");
	return ot_test_run(link_suite());
}
