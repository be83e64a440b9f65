/* SPDX-License-Identifier: MIT */
/*
 * test_peer.c — two otter nodes talking to each other (the second one is
 * tests/dist/otter_peer, a program of its own): a term there and back by
 * name and pid, and a gen_server call to the other node's net_kernel
 * (net_adm:ping between otter nodes). Skipped when erl is not installed
 * (epmd comes with it).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "erl_node.h"
#include "fixture.h"

typedef struct peer {
	pid_t pid;
	int in, out; /* its stdin (write end), its stdout (read end) */
	char name[64];
} peer;

static void peer_start(peer *p)
{
	int in[2], out[2];
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	erl_node_name(p->name, sizeof(p->name), "peer");
	/* make check runs the tests from the build tree's top. */
	const char *top = getenv("top_builddir");
	char path[4096];
	snprintf(path, sizeof(path), "%s/tests/dist/otter_peer",
		 top ? top : ".");
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, "otter_peer", p->name, DIST_COOKIE, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	p->in = in[1];
	p->out = out[0];
	erl_node e = {.pid = p->pid, .out = p->out};
	char line[64];
	ck_assert(erl_read_line(&e, line, sizeof(line)));
	ck_assert_str_eq(line, "ready");
}

/* Closes its stdin (it stops) and waits for it; returns its status. */
static int peer_stop(peer *p)
{
	close(p->in);
	erl_node e = {.pid = p->pid, .out = p->out};
	char rest[64];
	return erl_finish(&e, rest, sizeof(rest));
}

START_TEST(test_two_otter_nodes)
{
	peer p;
	peer_start(&p);

	/* net_adm:ping's call, to the other otter node's net_kernel. */
	ei_x_buff x;
	ck_assert_int_eq(ei_x_new_with_version(&x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(&x, 2), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, "is_auth"), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, otter_name), 0);
	ot_msg *msg;
	size_t offset;
	ck_assert_ot_ok(ot_dist_call_name(p.name, "net_kernel", x.buff,
					  (size_t)x.index, scaled_ms(5000),
					  &msg, &offset));
	int i = (int)offset;
	char atom[MAXATOMLEN];
	ck_assert_int_eq(ei_decode_atom(ot_msg_data(msg), &i, atom), 0);
	ck_assert_str_eq(atom, "yes");
	ot_msg_free(msg);
	ei_x_free(&x);

	/* {echo, Peer} ! {Self, {hello, 5}} comes back as {hello, 5}. */
	erlang_pid self;
	ck_assert_ot_ok(ot_dist_pid(ot_self(), &self));
	ck_assert_int_eq(ei_x_new_with_version(&x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(&x, 2), 0);
	ck_assert_int_eq(ei_x_encode_pid(&x, &self), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(&x, 2), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, "hello"), 0);
	ck_assert_int_eq(ei_x_encode_long(&x, 5), 0);
	ck_assert_ot_ok(
	    ot_dist_send_name(p.name, "echo", x.buff, (size_t)x.index));
	ei_x_free(&x);
	msg = receive_term();
	long n;
	open_tagged_tuple(msg, &i, 2, "hello");
	ck_assert_int_eq(ei_decode_long(ot_msg_data(msg), &i, &n), 0);
	ck_assert_int_eq(n, 5);
	ot_msg_free(msg);

	ck_assert_int_eq(peer_stop(&p), 0);
}
END_TEST

static Suite *peer_suite(void)
{
	Suite *s = suite_create("dist_peer");
	TCase *tc = ot_test_tcase("peer", 30);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_two_otter_nodes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_peer");
	return ot_test_run(peer_suite());
}
