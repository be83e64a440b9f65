/* SPDX-License-Identifier: MIT */
/*
 * test_kv_node.c — kv-server --node driven from a real Erlang node, as
 * the Mix/OTP guide's distributed chapter drives KV from iex: create a
 * bucket through {kv_registry, Node}, put and get through the bucket's
 * pid, a bucket that crashes by {crash, segv} forgotten by the registry
 * and created anew, the registry crashing and coming back empty, an
 * unknown request answered. Then SIGTERM stops the server in order.
 * Skipped when erl is not installed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "erl_node.h"
#include "fixture.h"

/* kv-server --node name --cookie DIST_COOKIE --port 0 --allow-crash,
 * its stdout in s->out; returns once it says it listens. */
static void kv_server_start(erl_node *s, const char *name)
{
	int out[2];
	ck_assert_int_eq(pipe(out), 0);
	const char *top = getenv("top_builddir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/examples/kv/kv-server",
		 top ? top : ".");
	s->pid = fork();
	ck_assert_int_ge(s->pid, 0);
	if (s->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		execl(path, "kv-server", "--node", name, "--cookie",
		      DIST_COOKIE, "--port", "0", "--allow-crash",
		      (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	s->out = out[0];
	char line[256], want[256];
	snprintf(want, sizeof(want),
		 "kv-server: Erlang node %s: gen_server:call({kv_registry, "
		 "'%s'}, ...)",
		 name, name);
	ck_assert(erl_read_line(s, line, sizeof(line)));
	ck_assert_str_eq(line, want);
	ck_assert(erl_read_line(s, line, sizeof(line)));
	ck_assert_ptr_nonnull(strstr(line, "kv-server: listening on"));
}

START_TEST(test_kv_from_erlang)
{
	char kv_name[64], e[2048], out[1024];
	erl_node_name(kv_name, sizeof(kv_name), "kv");
	erl_node_name(erl_name, sizeof(erl_name), "erl");
	erl_node server;
	kv_server_start(&server, kv_name);

	EXPR(e,
	     "R = {kv_registry, '%s'}, "
	     "P = fun(T) -> io:format(\"~p~n\", [T]) end, "
	     "P(gen_server:call(R, {lookup, <<\"shopping\">>})), "
	     "{ok, B} = gen_server:call(R, {create, <<\"shopping\">>}), "
	     "P(is_pid(B)), "
	     "P(gen_server:call(B, {put, <<\"milk\">>, <<\"3\">>})), "
	     "P(gen_server:call(B, {get, <<\"milk\">>})), "
	     "P(gen_server:call(B, {get, <<\"eggs\">>})), "
	     "P(gen_server:call(B, count)), "
	     "P(gen_server:call(R, {lookup, <<\"shopping\">>}) =:= {ok, B}), "
	     "{'EXIT', {Why, _}} = "
	     "(catch gen_server:call(B, {crash, segv}, 1000)), P(Why), "
	     "P(gen_server:call(R, {lookup, <<\"shopping\">>})), "
	     "{ok, B2} = gen_server:call(R, {create, <<\"shopping\">>}), "
	     "P(B2 =/= B), "
	     "P(gen_server:call(B2, {get, <<\"milk\">>})), "
	     "{crashed, Reason} = gen_server:call(R, {crash, abort}), "
	     "P(Reason), "
	     "P(gen_server:call(R, count)), "
	     "P(gen_server:call(R, {lookup, <<\"shopping\">>})), "
	     "P(gen_server:call(R, frobnicate)), "
	     "P(gen_server:call(R, {crash, nonsense})), "
	     "halt().",
	     kv_name);
	ck_assert_int_eq(
	    erl_run(erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "error\n"
			      "true\n"
			      "ok\n"
			      "{ok,<<\"3\">>}\n"
			      "error\n"
			      "1\n"
			      "true\n"
			      /* the bucket's crash, through the call's
			       * monitor */
			      "{crash,'SIGSEGV','SEGV_MAPERR',0,false}\n"
			      "error\n"
			      "true\n"
			      "error\n"
			      "<<\"{crash,SIGABRT,SI_TKILL,addr=0x0}\">>\n"
			      "0\n"
			      "error\n"
			      "{error,unknown_request}\n"
			      "{error,unknown_fault}\n");

	/* SIGTERM stops the tree, the node with it. */
	kill(server.pid, SIGTERM);
	char rest[256];
	ck_assert_int_eq(erl_finish(&server, rest, sizeof(rest)), 0);
	ck_assert_ptr_nonnull(strstr(rest, "stopped"));
}
END_TEST

static Suite *kv_node_suite(void)
{
	Suite *s = suite_create("dist_kv_node");
	TCase *tc = ot_test_tcase("kv_node", 60);
	tcase_add_test(tc, test_kv_from_erlang);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_kv_node");
	return ot_test_run(kv_node_suite());
}
