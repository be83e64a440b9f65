/* SPDX-License-Identifier: MIT */
/*
 * test_remote.c — calls and casts by "name@node" (remote.c): with the
 * functions a distribution library installs (ot_gen_server_set_remote),
 * {Name, Node} of another node goes to them, {Name, node()} and plain
 * names stay local; with none installed, every name is local. The
 * remote side here is a fake that records what it was handed.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "gs_test.h"

static struct {
	char node[128], name[128];
	size_t size;
	int timeout_ms, calls, casts;
} seen;

static int fake_call(const char *node, const char *name, const void *request,
		     size_t size, void *reply, size_t cap, size_t *reply_size,
		     int timeout_ms)
{
	snprintf(seen.node, sizeof(seen.node), "%s", node);
	snprintf(seen.name, sizeof(seen.name), "%s", name);
	seen.size = size;
	seen.timeout_ms = timeout_ms;
	seen.calls++;
	if (reply_size)
		*reply_size = 2;
	if (cap < 2)
		return OT_ETOOBIG;
	memcpy(reply, "ok", 2);
	return 0;
}

static int fake_cast(const char *node, const char *name, const void *request,
		     size_t size)
{
	snprintf(seen.node, sizeof(seen.node), "%s", node);
	snprintf(seen.name, sizeof(seen.name), "%s", name);
	seen.casts++;
	return 0;
}

static int fake_self(char *buf, size_t size)
{
	return snprintf(buf, size, "me@host");
}

static const ot_gs_remote fake = {fake_call, fake_cast, fake_self};

/* A local server that answers a call with its request. */
static ot_gs_ret echo_init(void *arg, void **state)
{
	return ot_gs_ok();
}

static ot_gs_ret echo_call(const void *request, size_t size, ot_gs_from from,
			   void **state)
{
	return ot_gs_reply(request, size);
}

static const ot_gen_server_callbacks echo = {.init = echo_init,
					     .handle_call = echo_call};

START_TEST(test_remote_names)
{
	char reply[8];
	size_t n = 0;
	memset(&seen, 0, sizeof(seen));
	/* Nothing installed: a name with a node is only a name. */
	ck_assert_ot_err(ot_gen_server_call_name("kv@other@host", "x", 1, reply,
						 sizeof(reply), &n, 100, NULL),
			 OT_ENOPROC);
	ck_assert_ot_ok(ot_gen_server_set_remote(&fake));
	ck_assert_ot_ok(ot_gen_server_call_name(
	    "kv@other@host", "req", 3, reply, sizeof(reply), &n, 100, NULL));
	ck_assert_str_eq(seen.node, "other@host");
	ck_assert_str_eq(seen.name, "kv");
	ck_assert_uint_eq(seen.size, 3);
	ck_assert_int_eq(seen.timeout_ms, 100);
	ck_assert_uint_eq(n, 2);
	/* Options: the default timeout, and OT_GS_NOWAIT as 0. */
	ck_assert_ot_ok(ot_gen_server_call_opts_name(
	    "kv@other@host", "r", 1, reply, sizeof(reply), &n, NULL, NULL));
	ck_assert_int_eq(seen.timeout_ms, OT_GS_DEFAULT_TIMEOUT);
	ot_gs_call_opts now = {.timeout_ms = OT_GS_NOWAIT};
	ck_assert_ot_ok(ot_gen_server_call_opts_name(
	    "kv@other@host", "r", 1, reply, sizeof(reply), &n, &now, NULL));
	ck_assert_int_eq(seen.timeout_ms, 0);
	ot_gs_call_opts bad = {.timeout_ms = -7};
	ck_assert_ot_err(ot_gen_server_call_opts_name("kv@other@host", "r", 1,
						      reply, sizeof(reply), &n,
						      &bad, NULL),
			 OT_EINVAL);
	ck_assert_ot_ok(ot_gen_server_cast_name("box@other@host", "c", 1));
	ck_assert_str_eq(seen.name, "box");
	ck_assert_int_eq(seen.casts, 1);

	/* {Name, node()}: Name, here; a name with one '@' is local. */
	int calls = seen.calls;
	ot_pid server;
	ot_gen_server_opts so = {.name = "kv"};
	server = gs_start_opts(&echo, NULL, &so);
	int64_t five = 5, got = 0;
	ck_assert_ot_ok(ot_gen_server_call_name("kv@me@host", &five,
						sizeof(five), &got, sizeof(got),
						NULL, scaled_ms(5000), NULL));
	ck_assert_int_eq(got, 5);
	ck_assert_ot_err(ot_gen_server_call_name("a@b", "x", 1, reply,
						 sizeof(reply), &n, 100, NULL),
			 OT_ENOPROC);
	ck_assert_int_eq(seen.calls, calls);
	ck_assert_ot_ok(ot_gen_server_stop(server, NULL, scaled_ms(5000)));
	ck_assert_ot_ok(ot_gen_server_set_remote(NULL));
}
END_TEST

static Suite *remote_suite(void)
{
	Suite *s = suite_create("gen_server_remote");
	TCase *tc = gs_tcase("remote", 10);
	tcase_add_test(tc, test_remote_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(remote_suite());
}
