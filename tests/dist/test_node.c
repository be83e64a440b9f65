/* SPDX-License-Identifier: MIT */
/*
 * test_node.c — an otter node among real Erlang nodes: start and stop,
 * net_adm:ping, a wrong cookie refused, terms both ways (by name, by
 * pid, connecting on demand). Skipped when erl is not installed.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <otter/dist.h>

#include "erl_node.h"
#include "fixture.h"

/* ---- the node itself ----------------------------------------------------- */

START_TEST(test_start_stop)
{
	char buf[128];
	ck_assert_int_eq(ot_node_name(buf, sizeof(buf)),
			 (int)strlen(otter_name));
	ck_assert_str_eq(buf, otter_name);
	ck_assert_ot_err(ot_node_start(otter_name, DIST_COOKIE, NULL),
			 OT_EALREADY);
	ck_assert_ot_ok(ot_node_stop());
	ck_assert_ot_err(ot_node_stop(), OT_ENOTSTARTED);
	ck_assert_ot_err(ot_node_name(buf, sizeof(buf)), OT_ENOTSTARTED);
	/* The name is free again in epmd: the node starts again. */
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
}
END_TEST

START_TEST(test_bad_arguments)
{
	ot_node_opts bad_addr = {.listen_addr = "not an address"};
	ot_node_opts bad_port = {.port = 70000};
	ck_assert_ot_err(ot_node_start(NULL, DIST_COOKIE, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_node_start("noat", DIST_COOKIE, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_node_start("@host", DIST_COOKIE, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_node_start("alive@", DIST_COOKIE, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_node_start("a@b", "", NULL), OT_EINVAL);
	ck_assert_ot_err(ot_node_start("a@b", DIST_COOKIE, &bad_addr),
			 OT_EINVAL);
	ck_assert_ot_err(ot_node_start("a@b", DIST_COOKIE, &bad_port),
			 OT_EINVAL);
	char byte = 131;
	erlang_pid pid = {.node = ""};
	ck_assert_ot_err(ot_dist_send_name(NULL, "x", &byte, 1), OT_EINVAL);
	ck_assert_ot_err(ot_dist_send_name(erl_name, NULL, &byte, 1),
			 OT_EINVAL);
	ck_assert_ot_err(ot_dist_send_name(erl_name, "x", NULL, 1), OT_EINVAL);
	ck_assert_ot_err(ot_dist_send_name(erl_name, "x", &byte, 0), OT_EINVAL);
	ck_assert_ot_err(ot_dist_send(NULL, &byte, 1), OT_EINVAL);
	ck_assert_ot_err(ot_dist_send(&pid, &byte, 1), OT_EINVAL);
	ck_assert_ot_err(ot_node_name(NULL, 1), OT_EINVAL);
}
END_TEST

/* Sizes that would wrap (as tests/common/test_sizes for libotter): each
 * function refuses them and sends nothing. */
START_TEST(test_sizes_that_wrap)
{
	static const size_t bad[] = {SIZE_MAX, SIZE_MAX - 7,
				     (size_t)PTRDIFF_MAX + 1};
	char term[] = {(char)131, 'j'}; /* [] */
	erlang_pid pid = {.num = 1};
	snprintf(pid.node, sizeof(pid.node), "%s", erl_name);
	ot_dist_from from = {.pid = pid, .tag_size = 1};
	ot_msg *msg;
	size_t at;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		size_t n = bad[k];
		ck_assert_ot_err(ot_dist_send_name(erl_name, "x", term, n),
				 OT_EINVAL);
		ck_assert_ot_err(ot_dist_send(&pid, term, n), OT_EINVAL);
		ck_assert_ot_err(ot_dist_cast_name(erl_name, "x", term, n),
				 OT_EINVAL);
		ck_assert_ot_err(
		    ot_dist_call_name(erl_name, "x", term, n, 10, &msg, &at),
		    OT_EINVAL);
		ck_assert_ot_err(ot_dist_call(&pid, term, n, 10, &msg, &at),
				 OT_EINVAL);
		ck_assert_ot_err(ot_dist_call_parse(term, n, &from, &at),
				 OT_EINVAL);
		ck_assert_ot_err(ot_dist_cast_parse(term, n, &at), OT_EINVAL);
		ck_assert_ot_err(ot_dist_reply(&from, term, n), OT_EINVAL);
		from.tag_size = n;
		ck_assert_ot_err(ot_dist_reply(&from, term, sizeof(term)),
				 OT_EINVAL);
		from.tag_size = 1;
	}
	/* An output capacity above the buffer: only the name is written. */
	char name[128];
	ck_assert_int_eq(ot_node_name(name, SIZE_MAX), (int)strlen(otter_name));
	ck_assert_str_eq(name, otter_name);
	/* Nothing was sent: no connection was made to the node (there is
	 * none to make: it does not run). */
	ck_assert_ot_err(ot_dist_send_name(erl_name, "x", term, sizeof(term)),
			 OT_ESYS);
}
END_TEST

/* The cookie, when not given, is $HOME/.erlang.cookie's (as erl's). */
START_TEST(test_cookie_file)
{
	char home[] = "/tmp/otter_dist_home.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(home));
	char path[128];
	snprintf(path, sizeof(path), "%s/.erlang.cookie", home);
	setenv("HOME", home, 1);
	ck_assert_ot_ok(ot_node_stop());
	ck_assert_ot_err(ot_node_start(otter_name, NULL, NULL), OT_EINVAL);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(DIST_COOKIE "\n", f);
	fclose(f);
	ck_assert_ot_ok(ot_node_start(otter_name, NULL, NULL));
	unlink(path);
	rmdir(home);

	char e[512], out[256];
	EXPR(e, "io:format(\"~p~n\", [net_adm:ping('%s')]), halt().",
	     otter_name);
	ck_assert_int_eq(
	    erl_run(erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "pong\n");
}
END_TEST

/* ---- Erlang nodes connecting --------------------------------------------- */

/* net_adm:ping is answered, and the otter node is a hidden node. */
START_TEST(test_ping)
{
	char e[512], out[256];
	EXPR(e,
	     "io:format(\"~p ~p~n\", [net_adm:ping('%s'),"
	     " lists:member('%s', nodes(hidden))]), halt().",
	     otter_name, otter_name);
	ck_assert_int_eq(
	    erl_run(erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "pong true\n");
}
END_TEST

static atomic_int refusals;

static void count_refusals(const ot_report *r, void *arg)
{
	if (strstr(r->text, "refused a connection") &&
	    r->severity == OT_LOG_WARNING)
		atomic_fetch_add(&refusals, 1);
}

/* A node with another cookie is refused and the refusal logged. */
START_TEST(test_wrong_cookie)
{
	ck_assert_ot_ok(ot_set_report_logger(count_refusals, NULL));
	char e[512], out[256];
	EXPR(e, "io:format(\"~p~n\", [net_adm:ping('%s')]), halt().",
	     otter_name);
	ck_assert_int_eq(erl_run(erl_name, "not_the_cookie", e, ERL_TIMEOUT_S,
				 out, sizeof(out)),
			 0);
	ck_assert_str_eq(out, "pang\n");
	for (int i = 0; i < 100 && atomic_load(&refusals) == 0; i++)
		ot_sleep(20);
	ck_assert_int_ge(atomic_load(&refusals), 1);
	ck_assert_ot_ok(ot_set_report_logger(NULL, NULL));
}
END_TEST

/* {Name, Node} ! Term reaches the otter process registered as Name, as
 * the term's external format. */
START_TEST(test_erlang_sends_to_name)
{
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	char e[512], out[256];
	EXPR(e,
	     "{inbox, '%s'} ! {hello, 42, <<\"bin\">>}, "
	     "{nobody_here, '%s'} ! dropped, "
	     "{inbox, '%s'} ! second, timer:sleep(500), halt().",
	     otter_name, otter_name, otter_name);
	erl_node node;
	ck_assert_int_eq(
	    erl_start(&node, erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S), 0);

	ot_msg *msg = receive_term();
	const char *t = ot_msg_data(msg);
	int i, version;
	char atom[MAXATOMLEN];
	long n;
	char bin[8];
	long bin_len;
	open_tagged_tuple(msg, &i, 3, "hello");
	ck_assert_int_eq(ei_decode_long(t, &i, &n), 0);
	ck_assert_int_eq(n, 42);
	ck_assert_int_eq(ei_decode_binary(t, &i, bin, &bin_len), 0);
	ck_assert_int_eq(bin_len, 3);
	ck_assert_mem_eq(bin, "bin", 3);
	ck_assert_uint_eq((size_t)i, ot_msg_size(msg));
	ot_msg_free(msg);

	/* The message to a name nobody has was dropped; the next came. */
	msg = receive_term();
	t = ot_msg_data(msg);
	i = 0;
	ck_assert_int_eq(ei_decode_version(t, &i, &version), 0);
	ck_assert_int_eq(ei_decode_atom(t, &i, atom), 0);
	ck_assert_str_eq(atom, "second");
	ot_msg_free(msg);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

/* ---- otter sending ------------------------------------------------------- */

/* The first send to a node that never connected connects to it; the
 * Erlang side replies over the same connection, by name. */
START_TEST(test_otter_sends_to_name)
{
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	char e[512], line[256], out[256];
	EXPR(e,
	     "register(box, self()), io:format(\"ready~n\"), "
	     "receive M -> io:format(\"~p~n\", [M]), {inbox, '%s'} ! {got, M}, "
	     "timer:sleep(500) "
	     "after 10000 -> io:format(\"timeout~n\") end, halt().",
	     otter_name);
	erl_node node;
	erl_start_expecting(&node, e, "ready");

	ei_x_buff x;
	encode_tuple(&x, "from_otter", 7);
	ck_assert_ot_ok(
	    ot_dist_send_name(erl_name, "box", x.buff, (size_t)x.index));
	ei_x_free(&x);
	ck_assert(erl_read_line(&node, line, sizeof(line)));
	ck_assert_str_eq(line, "{from_otter,7}");

	ot_msg *msg = receive_term();
	int i;
	open_tagged_tuple(msg, &i, 2, "got");
	ot_msg_free(msg);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

/* A pid that came in a term is a destination: Pid ! Term. */
START_TEST(test_otter_sends_to_pid)
{
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	char e[512], out[256];
	EXPR(e,
	     "{inbox, '%s'} ! {ready, self()}, "
	     "receive M -> io:format(\"~p~n\", [M]) "
	     "after 10000 -> io:format(\"timeout~n\") end, halt().",
	     otter_name);
	erl_node node;
	ck_assert_int_eq(
	    erl_start(&node, erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S), 0);

	ot_msg *msg = receive_term();
	int i;
	erlang_pid pid;
	open_tagged_tuple(msg, &i, 2, "ready");
	ck_assert_int_eq(ei_decode_pid(ot_msg_data(msg), &i, &pid), 0);
	ck_assert_str_eq(pid.node, erl_name);
	ot_msg_free(msg);

	ei_x_buff x;
	encode_tuple(&x, "to_pid", 99);
	ck_assert_ot_ok(ot_dist_send(&pid, x.buff, (size_t)x.index));
	ei_x_free(&x);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{to_pid,99}\n");
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

static ot_pid g_main; /* who send_big tells it is done */

/* How long the Erlang node of test_many_in_order may live (s); its
 * tcase's timeout is a little longer. */
#define MANY_S 110

/* 10,000 terms each way arrive, in the order sent. The Erlang side's wait
 * for its first term starts when it has sent its own, while this side
 * still takes them in (slowly under OTTER_STACK_CHECK, which copies the
 * frames at each wait, on a loaded machine): no tight bound there. */
START_TEST(test_many_in_order)
{
	enum { N = 10000 };
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	char e[1024], line[256], out[256];
	EXPR(e,
	     "register(box, self()), "
	     "[{inbox, '%s'} ! {n, I} || I <- lists:seq(1, %d)], "
	     "io:format(\"sent~n\"), "
	     "L = fun L(I) when I > %d -> ok; "
	     "L(I) -> receive {n, I} -> L(I + 1); {n, J} -> {bad, I, J} "
	     "after %d -> {timeout, I} end end, "
	     "io:format(\"~p~n\", [L(1)]), halt().",
	     otter_name, N, N, scaled_ms(10000) * 3);
	erl_node node;
	/* The Erlang node lives for MANY_S, not ERL_TIMEOUT_S: 20 s were
	 * not enough under OTTER_STACK_CHECK in a loaded make check. */
	ck_assert_int_eq(erl_start(&node, erl_name, DIST_COOKIE, e,
				   scaled_ms(MANY_S * 1000) / 1000),
			 0);
	for (long want = 1; want <= N; want++) {
		ot_msg *msg = receive_term();
		int i;
		long n;
		open_tagged_tuple(msg, &i, 2, "n");
		ck_assert_int_eq(ei_decode_long(ot_msg_data(msg), &i, &n), 0);
		ck_assert_int_eq(n, want);
		ot_msg_free(msg);
	}
	ck_assert(erl_read_line(&node, line, sizeof(line)));
	ck_assert_str_eq(line, "sent");
	for (long n = 1; n <= N; n++) {
		ei_x_buff x;
		encode_tuple(&x, "n", n);
		ck_assert_ot_ok(ot_dist_send_name(erl_name, "box", x.buff,
						  (size_t)x.index));
		ei_x_free(&x);
	}
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ok\n");
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

/* Terms far past what a connection queues (1.2 MB of 4 KiB binaries,
 * the queue writes itself out past 256 KiB): every one arrives, whole and
 * in order, from a process and from a foreign thread alike. */
static void send_big(void *arg)
{
	(void)arg;
	static unsigned char blob[4096];
	for (long n = 1; n <= 300; n++) {
		ei_x_buff x;
		ei_x_new_with_version(&x);
		ei_x_encode_tuple_header(&x, 3);
		ei_x_encode_atom(&x, "n");
		ei_x_encode_long(&x, n);
		ei_x_encode_binary(&x, blob, sizeof(blob));
		int rc =
		    ot_dist_send_name(erl_name, "box", x.buff, (size_t)x.index);
		ei_x_free(&x);
		if (rc)
			break;
	}
	ot_send(g_main, 1, NULL, 0);
}

START_TEST(test_big_terms_in_order)
{
	char e[1024], out[256];
	EXPR(e,
	     "register(box, self()), io:format(\"up~n\"), "
	     "L = fun L(I) when I > 600 -> ok; "
	     "L(I) -> K = (I - 1) rem 300 + 1, "
	     "receive {n, K, B} when byte_size(B) =:= 4096 -> L(I + 1); "
	     "{n, J, _} -> {bad, I, J} after %d -> {timeout, I} end end, "
	     "io:format(\"~p~n\", [L(1)]), halt().",
	     scaled_ms(10000) * 3);
	erl_node node;
	erl_start_expecting(&node, e, "up");
	g_main = ot_self();
	ck_assert_ot_ok(ot_spawn(send_big, NULL, NULL, NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive(&m, scaled_ms(60000)));
	ot_msg_free(m);
	send_big(NULL); /* the test thread: a foreign sender */
	ck_assert_ot_ok(ot_receive(&m, scaled_ms(60000)));
	ot_msg_free(m);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "ok\n");
}
END_TEST

/* A node that does not exist: an error, not a hang. */
START_TEST(test_send_to_missing_node)
{
	char byte[] = {(char)131, 'j'}; /* [] */
	ck_assert_ot_err(ot_dist_send_name("nobody_at_all@127.0.0.1", "x", byte,
					   sizeof(byte)),
			 OT_ESYS);
}
END_TEST

/* ---- the suite ----------------------------------------------------------- */

static Suite *node_suite(void)
{
	Suite *s = suite_create("dist_node");
	TCase *tc = ot_test_tcase("node", 30);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_start_stop);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_sizes_that_wrap);
	tcase_add_test(tc, test_cookie_file);
	tcase_add_test(tc, test_send_to_missing_node);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("erlang", 60);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_ping);
	tcase_add_test(tc, test_wrong_cookie);
	tcase_add_test(tc, test_erlang_sends_to_name);
	tcase_add_test(tc, test_otter_sends_to_name);
	tcase_add_test(tc, test_otter_sends_to_pid);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("many", MANY_S + 10);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_many_in_order);
	tcase_add_test(tc, test_big_terms_in_order);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_node");
	return ot_test_run(node_suite());
}
