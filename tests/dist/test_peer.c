/* SPDX-License-Identifier: MIT */
/*
 * test_peer.c — two otter nodes talking to each other (the second one is
 * tests/dist/otter_peer, a program of its own): a term there and back by
 * name and pid, and a gen_server call to the other node's net_kernel
 * (net_adm:ping between otter nodes). Skipped when erl is not installed
 * (epmd comes with it).
 */
#include <arpa/inet.h>
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

/* src/dist/node.h (this program is linked with the libraries statically). */
struct conn;
int ot__dist_conn_start(int fd, const char *node, struct conn **out);
void ot__dist_conn_put(struct conn *c);
ei_socket_callbacks *ot__dist_socket_callbacks(void);

/* {Pid, Atom} to the peer's echo, which sends Atom to Pid. */
static int send_echo(const char *node, const erlang_pid *to, const char *atom)
{
	ei_x_buff x;
	if (ei_x_new_with_version(&x) || ei_x_encode_tuple_header(&x, 2) ||
	    ei_x_encode_pid(&x, to) || ei_x_encode_atom(&x, atom))
		return OT_ENOMEM;
	int rc = ot_dist_send_name(node, "echo", x.buff, (size_t)x.index);
	ei_x_free(&x);
	return rc;
}

struct lost_race {
	char peer[64];
	int rc;
	const char *step;
	bool one, two; /* the echoes that came back */
};

static ot_pid g_test;

/* A connection to the peer made here as the peer's own would come in at
 * the same moment: its handshake is ei's, through this node's callbacks. */
static int second_connection(const char *node, const erlang_pid *self)
{
	ei_cnode ec;
	struct in_addr addr = {.s_addr = htonl(INADDR_LOOPBACK)};
	char alive[64];
	snprintf(alive, sizeof(alive), "%s", otter_name);
	*strchr(alive, '@') = '\0';
	ei_socket_callbacks *cbs = ot__dist_socket_callbacks();
	if (ei_connect_xinit_ussi(&ec, "127.0.0.1", alive, otter_name, &addr,
				  DIST_COOKIE, self->creation, cbs,
				  (int)sizeof(*cbs), NULL) < 0)
		return -1;
	return ei_connect_tmo(&ec, (char *)node, (unsigned)scaled_ms(5000));
}

/*
 * On one scheduler, so that nothing runs between its steps: the first
 * term connects to the peer and is written at once; after a yield the
 * connection's writer exists. A second connection to the peer is made
 * (its handshake only), the second term waits in the first one's queue,
 * and the second connection comes into the table and wins (both were
 * opened here, and this node's name is the greater: the newer wins,
 * conn.c's resolve_race(), as it does on the peer), before the writer has
 * run. Both terms must reach the peer.
 */
static void lose_a_race_with_a_term_queued(void *arg)
{
	struct lost_race *r = arg;
	erlang_pid self;
	r->step = "pid";
	r->rc = ot_dist_pid(ot_self(), &self);
	if (!r->rc) {
		r->step = "first term";
		r->rc = send_echo(r->peer, &self, "one");
	}
	int fd = -1;
	if (!r->rc) {
		ot_yield(); /* the reader starts, and starts the writer */
		r->step = "second connection";
		fd = second_connection(r->peer, &self);
		r->rc = fd < 0 ? OT_ESYS : 0;
	}
	if (!r->rc) {
		r->step = "second term";
		r->rc = send_echo(r->peer, &self, "two");
	}
	if (!r->rc) {
		struct conn *c = NULL;
		r->step = "second connection's start";
		r->rc = ot__dist_conn_start(fd, r->peer, &c);
		if (c)
			ot__dist_conn_put(c);
	}
	for (int k = 0; !r->rc && k < 2; k++) {
		ot_msg *m = NULL;
		r->step = "an echo";
		r->rc = ot_receive(&m, scaled_ms(5000));
		if (r->rc)
			break;
		r->one |=
		    ot_term_match(ot_msg_data(m), ot_msg_size(m), "one") == 0;
		r->two |=
		    ot_term_match(ot_msg_data(m), ot_msg_size(m), "two") == 0;
		ot_msg_free(m);
	}
	ot_send(g_test, 1, NULL, 0);
}

START_TEST(test_queued_term_survives_a_lost_race)
{
	g_test = ot_self();
	peer p;
	peer_start(&p);
	static struct lost_race r;
	r = (struct lost_race){.rc = -1, .step = "start"};
	snprintf(r.peer, sizeof(r.peer), "%s", p.name);
	ck_assert_ot_ok(
	    ot_spawn(lose_a_race_with_a_term_queued, &r, NULL, NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive(&m, scaled_ms(20000)));
	ot_msg_free(m);
	ck_assert_msg(r.one, "the first term's echo did not come (%s: %s)",
		      r.step, ot_strerror(r.rc));
	ck_assert_msg(r.two,
		      "the term queued on the connection that lost the race "
		      "never reached the peer (%s: %s)",
		      r.step, ot_strerror(r.rc));
	ck_assert_ot_ok(r.rc);
	ck_assert_int_eq(peer_stop(&p), 0);
	ck_assert_int_eq(settled_peers(), 0);
}
END_TEST

/* This node under a name greater than the peer's ("zzz..." > "peer..."). */
static void zzz_setup(void)
{
	erl_node_name(otter_name, sizeof(otter_name), "zzz");
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
}

static Suite *peer_suite(void)
{
	Suite *s = suite_create("dist_peer");
	TCase *tc = ot_test_tcase("peer", 90);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_two_otter_nodes);
	tcase_add_test(tc, test_simultaneous_connect);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_scheduler");
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_add_checked_fixture(tc, zzz_setup, dist_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_queued_term_survives_a_lost_race);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_peer");
	return ot_test_run(peer_suite());
}
