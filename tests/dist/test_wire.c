/* SPDX-License-Identifier: MIT */
/*
 * test_wire.c — the node against what comes over the wire: malformed
 * and truncated frames from a node that passed the handshake are
 * rejected (the connection is closed) and the node goes on serving; a
 * whole frame whose term is malformed is dropped, the connection stays;
 * frames cut anywhere, or many in one segment with a tick, all arrive;
 * ot_node_stop() with an Erlang node connected hangs up on it (the
 * Erlang side sees nodedown). Skipped when erl is not installed.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/socket.h>
#include <string.h>
#include <unistd.h>

#include "erl_node.h"
#include "fixture.h"

/* A second C node in the test itself (plain ei, blocking), connected to
 * the otter node: it can write whatever it likes after the handshake. */
static ei_cnode probe;

static int connect_probe(void)
{
	char name[64], alive[64];
	erl_node_name(name, sizeof(name), "probe");
	snprintf(alive, sizeof(alive), "%.*s", (int)strcspn(name, "@"), name);
	struct in_addr loopback = {htonl(INADDR_LOOPBACK)};
	ck_assert_int_eq(ei_init(), 0);
	ck_assert_int_ge(ei_connect_xinit(&probe, "127.0.0.1", alive, name,
					  &loopback, DIST_COOKIE, 0),
			 0);
	int fd = ei_connect_tmo(&probe, otter_name, 5000);
	ck_assert_msg(fd >= 0, "ei_connect to %s: erl_errno %d", otter_name,
		      erl_errno);
	return fd;
}

/* Waits until the otter node has closed fd (read sees the end). */
static void wait_closed(int fd)
{
	char buf[256];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		;
	ck_assert_int_eq(r, 0);
	close(fd);
}

static void ping_still_answered(void)
{
	char e[512], out[256];
	EXPR(e, "io:format(\"~p~n\", [net_adm:ping('%s')]), halt().",
	     otter_name);
	ck_assert_int_eq(
	    erl_run(erl_name, DIST_COOKIE, e, ERL_TIMEOUT_S, out, sizeof(out)),
	    0);
	ck_assert_str_eq(out, "pong\n");
}

/* The warnings seen whose text holds `text`. */
struct warnings {
	const char *text;
	atomic_int seen;
};

static void count_warnings(const ot_report *r, void *arg)
{
	struct warnings *w = arg;
	if (r->severity == OT_LOG_WARNING && strstr(r->text, w->text))
		atomic_fetch_add(&w->seen, 1);
}

static struct warnings unreadable = {.text = "a frame ei could not read"};
static struct warnings malformed = {.text = "dropped a malformed term"};

/* A frame whose control message is not a term; then one that says it is
 * longer than what comes before the end. */
START_TEST(test_bad_frame)
{
	static const unsigned char garbage[] = {0,    0,    0,	  6,	'p',
						0xff, 0xfe, 0xfd, 0xfc, 0xfb};
	static const unsigned char truncated[] = {0, 0, 1, 0, 'p', 131, 104};
	ck_assert_ot_ok(ot_set_report_logger(count_warnings, &unreadable));
	int fd = connect_probe();
	if (_i == 0)
		ck_assert_int_eq(write(fd, garbage, sizeof(garbage)),
				 (ssize_t)sizeof(garbage));
	else {
		ck_assert_int_eq(write(fd, truncated, sizeof(truncated)),
				 (ssize_t)sizeof(truncated));
		shutdown(fd, SHUT_WR);
	}
	wait_closed(fd);
	/* The refusal is reported (the truncated one reads as a close). */
	for (int i = 0; _i == 0 && i < 100 && !atomic_load(&unreadable.seen);
	     i++)
		ot_sleep(20);
	ck_assert_int_eq(atomic_load(&unreadable.seen), _i == 0 ? 1 : 0);
	ck_assert_ot_ok(ot_set_report_logger(NULL, NULL));
	ping_still_answered();
}
END_TEST

/* A whole frame whose term lies (a binary of 4 GB in 2 bytes, which ei
 * would read past): dropped and reported, the connection goes on and
 * the next, good term arrives. */
START_TEST(test_bad_term)
{
	static const char lying[] = {(char)131, 'm', 0x7f, 0, 0, 0, 'x', 'x'};
	static const char good[] = {(char)131, 'j'}; /* [] */
	ck_assert_ot_ok(ot_set_report_logger(count_warnings, &malformed));
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	int fd = connect_probe();
	ck_assert_int_eq(
	    ei_reg_send(&probe, fd, "inbox", (char *)lying, sizeof(lying)), 0);
	ck_assert_int_eq(
	    ei_reg_send(&probe, fd, "inbox", (char *)good, sizeof(good)), 0);
	ot_msg *msg = receive_term();
	ck_assert_uint_eq(ot_msg_size(msg), sizeof(good));
	ck_assert_ot_ok(
	    ot_term_match(ot_msg_data(msg), ot_msg_size(msg), "[]"));
	ot_msg_free(msg);
	ck_assert_int_eq(atomic_load(&malformed.seen), 1);
	ck_assert_ot_ok(ot_set_report_logger(NULL, NULL));
	close(fd);
	ck_assert_ot_ok(ot_unregister("inbox"));
}
END_TEST

/* A REG_SEND frame to "inbox" from the probe carrying the integer k, as
 * ei_reg_send() writes it: [length:4] 'p' {6, From, '', inbox} k. */
static size_t reg_send_frame(unsigned char *out, size_t cap, long k)
{
	ei_x_buff x;
	ck_assert_int_eq(ei_x_new(&x), 0);
	x.index = 5; /* the length and 'p' come first */
	ck_assert_int_eq(ei_x_encode_version(&x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(&x, 4), 0);
	ck_assert_int_eq(ei_x_encode_long(&x, 6), 0);
	ck_assert_int_eq(ei_x_encode_pid(&x, ei_self(&probe)), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, ""), 0);
	ck_assert_int_eq(ei_x_encode_atom(&x, "inbox"), 0);
	ck_assert_int_eq(ei_x_encode_version(&x), 0);
	ck_assert_int_eq(ei_x_encode_long(&x, k), 0);
	size_t n = (size_t)x.index;
	ck_assert_uint_le(n, cap);
	memcpy(out, x.buff, n);
	ei_x_free(&x);
	uint32_t len = htonl((uint32_t)(n - 4));
	memcpy(out, &len, 4);
	out[4] = 'p';
	return n;
}

/* Frames reach the node as TCP cuts them: several and a tick in one
 * segment (the node reads them in one read and answers the tick), or one
 * byte at a time (each frame waits for its rest). Every term arrives, in
 * order, and the connection stays. */
START_TEST(test_frames_as_tcp_cuts_them)
{
	enum { FRAMES = 3 };
	ck_assert_ot_ok(ot_register("inbox", ot_self()));
	int fd = connect_probe(); /* the frames say the probe's pid */
	unsigned char wire[4096];
	size_t n = 0;
	for (long k = 0; k < FRAMES; k++) {
		n += reg_send_frame(wire + n, sizeof(wire) - n, k);
		if (k == 0) {
			memset(wire + n, 0, 4); /* a tick between two frames */
			n += 4;
		}
	}
	if (_i == 0) {
		ck_assert_int_eq(write(fd, wire, n), (ssize_t)n);
	} else {
		for (size_t i = 0; i < n; i++) {
			ck_assert_int_eq(write(fd, wire + i, 1), 1);
			ot_sleep(1);
		}
	}
	for (long k = 0; k < FRAMES; k++) {
		ot_msg *msg = receive_term();
		int64_t got = -1;
		ck_assert_ot_ok(ot_term_match(ot_msg_data(msg),
					      ot_msg_size(msg), "%i", &got));
		ck_assert_int_eq(got, k);
		ot_msg_free(msg);
	}
	/* The tick was answered: 4 zero bytes came back. */
	unsigned char tock[4] = {1, 1, 1, 1};
	ck_assert_int_eq(recv(fd, tock, 4, MSG_WAITALL), 4);
	ck_assert_int_eq(tock[0] | tock[1] | tock[2] | tock[3], 0);
	close(fd);
	ck_assert_ot_ok(ot_unregister("inbox"));
	ping_still_answered();
}
END_TEST

/* Stopping the node hangs up on a connected Erlang node. */
START_TEST(test_stop_while_connected)
{
	char e[768], out[256];
	EXPR(e,
	     "net_kernel:monitor_nodes(true, [{node_type, all}]), "
	     "pong = net_adm:ping('%s'), io:format(\"up~n\"), "
	     "receive {nodedown, N, _} -> io:format(\"down ~p~n\", [N]) "
	     "after 10000 -> io:format(\"still up~n\") end, halt().",
	     otter_name);
	erl_node node;
	erl_start_expecting(&node, e, "up");
	ck_assert_ot_ok(ot_node_stop());
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	char want[128];
	snprintf(want, sizeof(want), "down '%s'\n", otter_name);
	ck_assert_str_eq(out, want);
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("dist_wire");
	TCase *tc = ot_test_tcase("wire", 60);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_loop_test(tc, test_bad_frame, 0, 2);
	tcase_add_test(tc, test_bad_term);
	tcase_add_loop_test(tc, test_frames_as_tcp_cuts_them, 0, 2);
	tcase_add_test(tc, test_stop_while_connected);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_wire");
	return ot_test_run(wire_suite());
}
