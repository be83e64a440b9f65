/* SPDX-License-Identifier: MIT */
/*
 * test_call.c — gen_server:call from Erlang answered by an otter
 * gen_server (handle_info, ot_dist_call_parse, ot_dist_reply), and the
 * parsing of calls with both kinds of tags. Skipped when erl is not
 * installed.
 */
#include <stdio.h>
#include <string.h>

#include "erl_node.h"
#include "fixture.h"

/* ---- ot_dist_call_parse on terms made here ------------------------------ */

static const erlang_pid caller = {
    .node = "erl@127.0.0.1", .num = 42, .serial = 1, .creation = 7};
static const erlang_ref ref = {
    .node = "erl@127.0.0.1", .len = 3, .n = {1, 2, 3}, .creation = 7};

/* {'$gen_call', {caller, Tag}, {lookup, 5}}, Tag a reference or
 * (alias) [alias|Ref]. */
static void encode_call(ei_x_buff *x, bool alias)
{
	ck_assert_int_eq(ei_x_new_with_version(x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(x, 3), 0);
	ck_assert_int_eq(ei_x_encode_atom(x, "$gen_call"), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(x, 2), 0);
	ck_assert_int_eq(ei_x_encode_pid(x, &caller), 0);
	if (alias) {
		ck_assert_int_eq(ei_x_encode_list_header(x, 1), 0);
		ck_assert_int_eq(ei_x_encode_atom(x, "alias"), 0);
	}
	ck_assert_int_eq(ei_x_encode_ref(x, &ref), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(x, 2), 0);
	ck_assert_int_eq(ei_x_encode_atom(x, "lookup"), 0);
	ck_assert_int_eq(ei_x_encode_long(x, 5), 0);
}

START_TEST(test_parse)
{
	bool alias = _i == 1;
	ei_x_buff x;
	encode_call(&x, alias);
	ot_dist_from from;
	size_t req;
	ck_assert_ot_ok(
	    ot_dist_call_parse(x.buff, (size_t)x.index, &from, &req));
	ck_assert_str_eq(from.pid.node, caller.node);
	ck_assert_uint_eq(from.pid.num, caller.num);

	/* The tag is kept as it came: a ref, or [alias|Ref]. */
	int i = 0, type, size, arity;
	erlang_ref got;
	char atom[MAXATOMLEN];
	if (alias) {
		ck_assert_int_eq(ei_decode_list_header(from.tag, &i, &arity),
				 0);
		ck_assert_int_eq(arity, 1);
		ck_assert_int_eq(ei_decode_atom(from.tag, &i, atom), 0);
		ck_assert_str_eq(atom, "alias");
	}
	ck_assert_int_eq(ei_decode_ref(from.tag, &i, &got), 0);
	ck_assert_uint_eq((size_t)i, from.tag_size);
	ck_assert_uint_eq(got.n[2], 3);

	i = (int)req;
	ck_assert_int_eq(ei_get_type(x.buff, &i, &type, &size), 0);
	ck_assert_int_eq(ei_decode_tuple_header(x.buff, &i, &arity), 0);
	ck_assert_int_eq(ei_decode_atom(x.buff, &i, atom), 0);
	ck_assert_str_eq(atom, "lookup");

	/* A term longer than the call, or not a call, is refused. */
	ck_assert_ot_err(
	    ot_dist_call_parse(x.buff, (size_t)x.index + 1, &from, &req),
	    OT_EINVAL);
	ei_x_free(&x);
	encode_tuple(&x, "$gen_cast", 1);
	ck_assert_ot_err(
	    ot_dist_call_parse(x.buff, (size_t)x.index, &from, &req),
	    OT_EINVAL);
	ck_assert_ot_err(ot_dist_call_parse(NULL, 1, &from, &req), OT_EINVAL);
	ck_assert_ot_err(ot_dist_call_parse(x.buff, 0, &from, &req), OT_EINVAL);
	ck_assert_ot_err(
	    ot_dist_call_parse(x.buff, (size_t)x.index, NULL, &req), OT_EINVAL);
	ck_assert_ot_err(
	    ot_dist_call_parse(x.buff, (size_t)x.index, &from, NULL),
	    OT_EINVAL);
	ck_assert_ot_err(ot_dist_reply(NULL, x.buff, (size_t)x.index),
			 OT_EINVAL);
	ei_x_free(&x);
}
END_TEST

/* ---- an otter gen_server called from Erlang ---------------------------- */

static ot_gs_ret kv_init(void *arg, void **state)
{
	return ot_gs_ok();
}

/* The casts the server got (it runs in the test's process). */
static long casts;

/* Calls: {lookup, Key} -> {ok, Key}; casts -> {casts, N}; anything else
 * -> {error, unknown}. Casts are counted. */
static ot_gs_ret kv_info(const ot_msg *msg, void **state)
{
	ot_dist_from from;
	size_t req;
	if (ot_msg_tag(msg) != OT_DIST_TAG)
		return ot_gs_noreply();
	if (ot_dist_cast_parse(ot_msg_data(msg), ot_msg_size(msg), &req) == 0) {
		casts++;
		return ot_gs_noreply();
	}
	if (ot_dist_call_parse(ot_msg_data(msg), ot_msg_size(msg), &from, &req))
		return ot_gs_noreply();
	const char *t = ot_msg_data(msg);
	int i = (int)req, j = (int)req, arity;
	char atom[MAXATOMLEN];
	ei_x_buff x;
	ei_x_new_with_version(&x);
	ei_x_encode_tuple_header(&x, 2);
	if (!ei_decode_tuple_header(t, &i, &arity) && arity == 2 &&
	    !ei_decode_atom(t, &i, atom) && strcmp(atom, "lookup") == 0) {
		int key = i;
		ei_skip_term(t, &i);
		ei_x_encode_atom(&x, "ok");
		ei_x_append_buf(&x, t + key, i - key);
	} else if (!ei_decode_atom(t, &j, atom) && strcmp(atom, "casts") == 0) {
		ei_x_encode_atom(&x, "casts");
		ei_x_encode_long(&x, casts);
	} else {
		ei_x_encode_atom(&x, "error");
		ei_x_encode_atom(&x, "unknown");
	}
	ot_dist_reply(&from, x.buff, (size_t)x.index);
	ei_x_free(&x);
	return ot_gs_noreply();
}

static const ot_gen_server_callbacks kv = {
    .init = kv_init,
    .handle_info = kv_info,
};

/* gen_server_SUITE:call_remote1 — a call to {Name, Node}; the reply
 * matches the caller's OTP 24+ alias tag. */
START_TEST(test_call_from_erlang)
{
	ot_pid server;
	ot_gen_server_opts opts = {.name = "kv_registry"};
	ck_assert_ot_ok(ot_gen_server_start(&kv, NULL, &opts, &server, NULL));
	char e[768], out[256];
	EXPR(e,
	     "N = '%s', "
	     "A = gen_server:call({kv_registry, N}, {lookup, "
	     "<<\"shopping\">>}), "
	     "B = gen_server:call({kv_registry, N}, what), "
	     "io:format(\"~p ~p~n\", [A, B]), halt().",
	     otter_name);
	ck_assert_int_eq(
	    erl_run(erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "{ok,<<\"shopping\">>} {error,unknown}\n");
	ck_assert_ot_ok(ot_gen_server_stop(server, NULL, scaled_ms(5000)));
}
END_TEST

/* ---- otter calling an Erlang gen_server --------------------------------- */

/* Decodes the atom at offset in msg's data. */
static void assert_atom_at(const ot_msg *msg, size_t offset, const char *want)
{
	int i = (int)offset;
	char atom[MAXATOMLEN];
	ck_assert_int_eq(ei_decode_atom(ot_msg_data(msg), &i, atom), 0);
	ck_assert_str_eq(atom, want);
	ck_assert_uint_eq((size_t)i, ot_msg_size(msg));
}

/* gen_server_SUITE:call_remote1, the other way: net_kernel of the Erlang
 * node is a real gen_server; a server by pid answers through
 * gen_server:reply. Messages that come meanwhile stay queued. */
START_TEST(test_call_to_erlang)
{
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	char e[768];
	EXPR(e,
	     "Echo = spawn(fun L() -> receive {'$gen_call', From, R} -> "
	     "gen_server:reply(From, {echo, R}), L() end end), "
	     "{inbox, '%s'} ! {echo, Echo}, io:format(\"ready~n\"), "
	     "timer:sleep(10000), halt().",
	     otter_name);
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	ot_msg *msg = receive_term();
	int i;
	erlang_pid echo;
	open_tagged_tuple(msg, &i, 2, "echo");
	ck_assert_int_eq(ei_decode_pid(ot_msg_data(msg), &i, &echo), 0);
	ot_msg_free(msg);

	ck_assert_ot_ok(ot_send(ot_self(), 7, "queued", 6));
	ei_x_buff x;
	ck_assert_int_eq(ei_x_new_with_version(&x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(&x, 2), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, "is_auth"), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, otter_name), 0);
	size_t offset;
	ck_assert_ot_ok(ot_dist_call_name(erl_name, "net_kernel", x.buff,
					  (size_t)x.index, scaled_ms(5000),
					  &msg, &offset));
	assert_atom_at(msg, offset, "yes");
	ot_msg_free(msg);
	ei_x_free(&x);

	encode_tuple(&x, "ping", 3);
	ck_assert_ot_ok(ot_dist_call(&echo, x.buff, (size_t)x.index,
				     scaled_ms(5000), &msg, &offset));
	const char *t = ot_msg_data(msg);
	i = (int)offset;
	int arity;
	char atom[MAXATOMLEN];
	ck_assert_int_eq(ei_decode_tuple_header(t, &i, &arity), 0);
	ck_assert_int_eq(ei_decode_atom(t, &i, atom), 0);
	ck_assert_str_eq(atom, "echo");
	ot_msg_free(msg);

	/* A name nobody holds: noproc, from the call's monitor of it, well
	 * before the timeout would end it. */
	ck_assert_ot_err(ot_dist_call_name(erl_name, "nobody", x.buff,
					   (size_t)x.index, scaled_ms(20000),
					   &msg, &offset),
			 OT_ENOPROC);

	ck_assert_ot_err(
	    ot_dist_call(&echo, x.buff, (size_t)x.index, -5, &msg, &offset),
	    OT_EINVAL);
	ck_assert_ot_err(
	    ot_dist_call(&echo, x.buff, (size_t)x.index, 100, NULL, &offset),
	    OT_EINVAL);
	ei_x_free(&x);

	ck_assert_ot_ok(ot_receive(&msg, 0));
	ck_assert_uint_eq(ot_msg_tag(msg), 7);
	ot_msg_free(msg);
	erl_kill(&node);
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

/* gen_server:cast both ways: Erlang casts to the otter server (the call
 * after them sees both, a cast and a call from one process keep their
 * order), otter casts to an Erlang process. */
START_TEST(test_cast_both_ways)
{
	ot_pid server;
	ot_gen_server_opts opts = {.name = "kv_registry"};
	ck_assert_ot_ok(ot_gen_server_start(&kv, NULL, &opts, &server, NULL));
	char e[768], out[256];
	EXPR(e,
	     "N = '%s', register(box, self()), "
	     "ok = gen_server:cast({kv_registry, N}, one), "
	     "ok = gen_server:cast({kv_registry, N}, two), "
	     "io:format(\"~p~n\", [gen_server:call({kv_registry, N}, casts)]), "
	     "receive M -> io:format(\"~p~n\", [M]) "
	     "after 10000 -> io:format(\"timeout~n\") end, halt().",
	     otter_name);
	erl_node node;
	erl_start_expecting(&node, e, "{casts,2}");
	ei_x_buff x;
	encode_tuple(&x, "hello", 1);
	ck_assert_ot_ok(
	    ot_dist_cast_name(erl_name, "box", x.buff, (size_t)x.index));
	ck_assert_ot_err(
	    ot_dist_cast_name(erl_name, NULL, x.buff, (size_t)x.index),
	    OT_EINVAL);
	size_t req;
	ck_assert_ot_err(ot_dist_cast_parse(x.buff, (size_t)x.index, &req),
			 OT_EINVAL);
	ei_x_free(&x);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "{'$gen_cast',{hello,1}}\n");
	ck_assert_ot_ok(ot_gen_server_stop(server, NULL, scaled_ms(5000)));
}
END_TEST

/* ot_gen_server_call_name() and ot_gen_server_cast_name() to
 * "name@node", {Name, Node}: a server of an Erlang node, through the
 * functions libotter-dist installs in gen_server while the node runs. */
START_TEST(test_gen_server_to_erlang)
{
	char e[768], out[256], name[128], nobody[128], here[128];
	EXPR(e, "register(kv, self()), io:format(\"ready~n\"), "
		"L = fun L() -> receive "
		"{'$gen_call', From, Req} -> gen:reply(From, {ok, Req}), L(); "
		"{'$gen_cast', M} -> io:format(\"cast ~p~n\", [M]), L(); "
		"stop -> ok "
		"after 10000 -> io:format(\"timeout~n\") end end, "
		"L(), halt().");
	erl_node node;
	erl_start_expecting(&node, e, "ready");
	snprintf(name, sizeof(name), "kv@%s", erl_name);
	snprintf(nobody, sizeof(nobody), "nobody@%s", erl_name);
	snprintf(here, sizeof(here), "nobody@%s", otter_name);

	ot_term_buf b;
	ck_assert_ot_ok(ot_term_buf_init(&b));
	ot_term_tuple(&b, 2);
	ot_term_atom(&b, "lookup");
	ot_term_binary(&b, "shopping", 8);
	const void *t;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));

	char reply[128];
	size_t rsize = 0;
	const void *bin;
	size_t blen;
	ck_assert_ot_ok(ot_gen_server_call_name(
	    name, t, n, reply, sizeof(reply), &rsize, scaled_ms(5000), NULL));
	ck_assert_ot_ok(
	    ot_term_match(reply, rsize, "{ok, {lookup, %b}}", &bin, &blen));
	ck_assert(blen == 8 && memcmp(bin, "shopping", 8) == 0);
	/* Too small a buffer: OT_ETOOBIG and the size, as a local call. */
	size_t want = rsize;
	ck_assert_ot_err(ot_gen_server_call_name(name, t, n, reply, 4, &rsize,
						 scaled_ms(5000), NULL),
			 OT_ETOOBIG);
	ck_assert_uint_eq(rsize, want);
	/* Options; a name nobody holds there is noproc. */
	ot_gs_call_opts opts = {.timeout_ms = scaled_ms(5000)};
	ck_assert_ot_ok(ot_gen_server_call_opts_name(
	    name, t, n, reply, sizeof(reply), &rsize, &opts, NULL));
	ck_assert_ot_err(ot_gen_server_call_opts_name(nobody, t, n, reply,
						      sizeof(reply), &rsize,
						      &opts, NULL),
			 OT_ENOPROC);
	/* {Name, node()} is a local name: nobody here. */
	ck_assert_ot_err(ot_gen_server_call_name(here, t, n, reply,
						 sizeof(reply), &rsize, 100,
						 NULL),
			 OT_ENOPROC);
	ck_assert_ot_ok(ot_gen_server_cast_name(name, t, n));
	ck_assert_ot_ok(ot_gen_server_cast_name(nobody, t, n));

	ot_term_buf_reset(&b);
	ot_term_atom(&b, "stop");
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	ck_assert_ot_ok(ot_dist_send_name(erl_name, "kv", t, n));
	ot_term_buf_free(&b);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "cast {lookup,<<\"shopping\">>}\n");
}
END_TEST

static Suite *call_suite(void)
{
	Suite *s = suite_create("dist_call");
	TCase *tc = ot_test_tcase("parse", 10);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_loop_test(tc, test_parse, 0, 2);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("erlang", 60);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_call_from_erlang);
	tcase_add_test(tc, test_call_to_erlang);
	tcase_add_test(tc, test_cast_both_ways);
	tcase_add_test(tc, test_gen_server_to_erlang);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_call");
	return ot_test_run(call_suite());
}
