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

/* Reads the peer's next line. */
static void peer_line(peer *p, char *line, size_t size)
{
	erl_node e = {.pid = p->pid, .out = p->out};
	ck_assert(erl_read_line(&e, line, size));
}

/* How many nodes this node is connected to, once the count settles
 * (the loser of a race ends when the other node closes it too). */
static int settled_peers(void)
{
	int n = -1, last = -2;
	for (int i = 0; i < 100 && n != last; i++) {
		last = n;
		ot_sleep(20);
		n = ot_node_peers(NULL, 0);
	}
	return n;
}

/* Two nodes connecting to each other at the same moment keep one
 * connection, as Erlang does (dist_util's simultaneous connect, which
 * keeps the one that the node with the greater name opened): each side
 * sends to the other at once, then each counts one peer and one socket
 * to it; both messages arrive. Done a few times, with a fresh peer each
 * time, to catch the moment. */
START_TEST(test_simultaneous_connect)
{
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	int fds = ot_test_count_fds();
	for (int round = 0; round < 8; round++) {
		peer p;
		peer_start(&p);
		char cmd[128], line[64];
		snprintf(cmd, sizeof(cmd), "send %s\n", otter_name);
		ck_assert_int_eq(write(p.in, cmd, strlen(cmd)),
				 (ssize_t)strlen(cmd));
		ei_x_buff x;
		erlang_pid self;
		ck_assert_ot_ok(ot_dist_pid(ot_self(), &self));
		ck_assert_int_eq(ei_x_new_with_version(&x), 0);
		ck_assert_int_eq(ei_x_encode_tuple_header(&x, 2), 0);
		ck_assert_int_eq(ei_x_encode_pid(&x, &self), 0);
		ck_assert_int_eq(ei_x_encode_atom(&x, "back"), 0);
		ck_assert_ot_ok(
		    ot_dist_send_name(p.name, "echo", x.buff, (size_t)x.index));
		ei_x_free(&x);
		peer_line(&p, line, sizeof(line));
		ck_assert_str_eq(line, "sent 0");
		/* Both terms came, whichever connection took them. */
		for (int k = 0; k < 2; k++) {
			ot_msg *msg = receive_term();
			ck_assert(ot_term_match(ot_msg_data(msg),
						ot_msg_size(msg),
						"hello") == 0 ||
				  ot_term_match(ot_msg_data(msg),
						ot_msg_size(msg), "back") == 0);
			ot_msg_free(msg);
		}
		ck_assert_int_eq(settled_peers(), 1);
		ck_assert_int_eq(write(p.in, "peers\n", 6), 6);
		peer_line(&p, line, sizeof(line));
		ck_assert_str_eq(line, "peers 1");
		/* The peer's two pipes and one socket: the loser's is closed
		 * once both sides have ended it. */
		int now = 0;
		for (int i = 0;
		     i < 200 && (now = ot_test_count_fds()) != fds + 3; i++)
			ot_sleep(10);
		ck_assert_int_eq(now, fds + 3);
		ck_assert_int_eq(peer_stop(&p), 0);
		ck_assert_int_eq(settled_peers(), 0);
	}
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

static Suite *peer_suite(void)
{
	Suite *s = suite_create("dist_peer");
	TCase *tc = ot_test_tcase("peer", 90);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_two_otter_nodes);
	tcase_add_test(tc, test_simultaneous_connect);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_peer");
	return ot_test_run(peer_suite());
}
