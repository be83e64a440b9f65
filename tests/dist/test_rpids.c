/* SPDX-License-Identifier: MIT */
/*
 * test_rpids.c — Erlang pids of other nodes as ot_pids (src/dist/rpids.c):
 * no memory kept per pid that fits an ot_pid, the same ot_pid for the
 * same Erlang pid, the way back, and forged or stale ones refused. Linked
 * with libotter-dist statically to see ot__dist_rpids_entries(). Skipped
 * when erl is not installed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erl_node.h"
#include "fixture.h"

/* src/dist/node.h: the pids the table holds (those that do not fit). */
size_t ot__dist_rpids_entries(void);

/* The layout of rpids.c, for forging: the epoch is the top 10 bits, the
 * compact form has bit 30 and the incarnation index in bits 43-53. */
#define EPOCH_SHIFT 54
#define COMPACT	    (UINT64_C(1) << 30)
#define INC_MASK    (UINT64_C(0x7ff) << 43)

#define GHOST "ghost@127.0.0.1"

static erlang_pid epid(const char *node, unsigned num, unsigned serial,
		       unsigned creation)
{
	erlang_pid p;
	memset(&p, 0, sizeof(p));
	snprintf(p.node, sizeof(p.node), "%s", node);
	p.num = num;
	p.serial = serial;
	p.creation = creation;
	return p;
}

static ot_pid otter_pid(const erlang_pid *e)
{
	ot_pid p;
	ck_assert_ot_ok(ot_dist_otter_pid(e, &p));
	ck_assert(ot_pid_is_remote(p));
	return p;
}

/* ot_dist_erlang_pid(p) is e. */
static void assert_back(ot_pid p, const erlang_pid *e)
{
	erlang_pid back;
	ck_assert_ot_ok(ot_dist_erlang_pid(p, &back));
	ck_assert_str_eq(back.node, e->node);
	ck_assert_uint_eq(back.num, e->num);
	ck_assert_uint_eq(back.serial, e->serial);
	ck_assert_uint_eq(back.creation, e->creation);
}

static int cmp_pid(const void *a, const void *b)
{
	uint64_t x = ((const ot_pid *)a)->id, y = ((const ot_pid *)b)->id;
	return x < y ? -1 : x > y;
}

/* ---- Erlang's processes -------------------------------------------------- */

/* How many talkers, and how long their Erlang node may live (s). */
#define TALKERS 20000
#define MANY_S	110

/* {Tag, I} to p. */
static void send_tagged(ot_pid p, const char *tag, int64_t i)
{
	ei_x_buff x;
	encode_tuple(&x, tag, (long)i);
	ck_assert_ot_ok(ot_send(p, OT_DIST_TAG, x.buff, (size_t)x.index));
	ei_x_free(&x);
}

/* 20,000 Erlang processes, each of its own pid (after 40,000 others, so
 * that num has wrapped past 2^15 and serial is 1 or more), send twice to
 * an otter process and wait for its answers: the table holds no entry for
 * any, the two ot_pids of a process are equal, those of different ones
 * differ, and the answers reach them. */
START_TEST(test_many_pids_keep_no_entry)
{
	char e[2048], out[256];
	ck_assert_ot_ok(ot_register("box", ot_self()));
	EXPR(e,
	     "B = {box, '%s'}, N = %d, Me = self(), "
	     "[spawn(fun() -> ok end) || _ <- lists:seq(1, 40000)], "
	     "T = fun(I) -> spawn(fun() -> B ! {hi, self(), I}, "
	     "  receive {pong, I} -> ok end, B ! {again, self(), I}, "
	     "  receive {pong, I} -> Me ! done end end) end, "
	     "W = fun W(_, 0) -> ok; W(Next, Live) -> "
	     "  receive done -> if Next =< N -> T(Next), W(Next + 1, Live); "
	     "    true -> W(Next, Live - 1) end "
	     "  after %d -> io:format(\"stuck at ~p~n\", [Next]), halt(1) "
	     "  end end, "
	     "[T(I) || I <- lists:seq(1, 100)], W(101, 100), "
	     "io:format(\"done~n\"), halt().",
	     otter_name, TALKERS, scaled_ms(10000) * 3);
	erl_node node;
	ck_assert_int_eq(erl_start(&node, erl_name, DIST_COOKIE, e,
				   scaled_ms(MANY_S * 1000) / 1000),
			 0);
	size_t before = ot__dist_rpids_entries();
	ot_pid *pids = calloc(TALKERS + 1, sizeof(*pids));
	ck_assert_ptr_nonnull(pids);
	unsigned max_serial = 0;
	for (int k = 0; k < 2 * TALKERS; k++) {
		ot_msg *msg = receive_term();
		char tag[OT_TERM_ATOM_MAX];
		ot_pid p;
		int64_t i;
		ck_assert_ot_ok(ot_term_match(ot_msg_data(msg),
					      ot_msg_size(msg), "{%a, %P, %i}",
					      tag, &p, &i));
		ck_assert(i >= 1 && i <= TALKERS);
		/* {box, Node} ! Msg comes from its sender. */
		ck_assert(ot_pid_equal(ot_msg_from(msg), p));
		ot_msg_free(msg);
		if (strcmp(tag, "hi") == 0) {
			ck_assert(ot_pid_is_none(pids[i]));
			pids[i] = p;
			erlang_pid ep;
			ck_assert_ot_ok(ot_dist_erlang_pid(p, &ep));
			ck_assert_str_eq(ep.node, erl_name);
			if (ep.serial > max_serial)
				max_serial = ep.serial;
		} else {
			ck_assert_str_eq(tag, "again");
			ck_assert(ot_pid_equal(pids[i], p));
		}
		send_tagged(p, "pong", i);
	}
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "done\n");
	ck_assert_uint_gt(max_serial, 0);
	ck_assert_uint_eq(ot__dist_rpids_entries(), before);
	qsort(pids + 1, TALKERS, sizeof(*pids), cmp_pid);
	for (int i = 2; i <= TALKERS; i++)
		ck_assert(!ot_pid_equal(pids[i - 1], pids[i]));
	free(pids);
	ck_assert_ot_ok(ot_unregister("box"));
}
END_TEST

/* ---- Hand-made pids ------------------------------------------------------ */

/* ot_dist_erlang_pid(ot_dist_otter_pid(p)) is p: in the compact form
 * (num below 2^28, serial below 2^13: no entry), and in the table's (one
 * entry each, once). Same pid, same ot_pid; another node, creation, num
 * or serial, another. */
START_TEST(test_round_trip)
{
	const erlang_pid compact[] = {
	    epid(GHOST, 0, 0, 7),
	    epid(GHOST, 5, 1, 7),
	    epid(GHOST, 32767, 8191, 7),
	    epid(GHOST, (1u << 28) - 1, 0, 7),
	    epid(GHOST, 0, (1u << 13) - 1, 7),
	    epid(GHOST, 5, 1, 8),
	    epid("other@127.0.0.1", 5, 1, 7),
	};
	const erlang_pid table[] = {
	    epid(GHOST, 1u << 28, 0, 7),
	    epid(GHOST, 1, 1u << 13, 7),
	    epid(GHOST, UINT32_MAX, UINT32_MAX, 7),
	    epid(GHOST, UINT32_MAX, UINT32_MAX, 8),
	};
	enum { NC = sizeof(compact) / sizeof(compact[0]) };
	enum { NT = sizeof(table) / sizeof(table[0]) };
	ot_pid all[NC + NT];
	size_t entries = ot__dist_rpids_entries();
	for (size_t i = 0; i < NC; i++) {
		all[i] = otter_pid(&compact[i]);
		ck_assert(ot_pid_equal(otter_pid(&compact[i]), all[i]));
		assert_back(all[i], &compact[i]);
		ck_assert_uint_eq(ot__dist_rpids_entries(), entries);
	}
	for (size_t i = 0; i < NT; i++) {
		all[NC + i] = otter_pid(&table[i]);
		ck_assert_uint_eq(ot__dist_rpids_entries(), entries + i + 1);
		ck_assert(ot_pid_equal(otter_pid(&table[i]), all[NC + i]));
		ck_assert_uint_eq(ot__dist_rpids_entries(), entries + i + 1);
		assert_back(all[NC + i], &table[i]);
	}
	qsort(all, NC + NT, sizeof(all[0]), cmp_pid);
	for (size_t i = 1; i < NC + NT; i++)
		ck_assert(!ot_pid_equal(all[i - 1], all[i]));

	/* Printed as Erlang prints them: <N.Num.Serial>. */
	char text[OT_PID_STRLEN], want[OT_PID_STRLEN];
	ot_pid p = otter_pid(&compact[1]);
	ck_assert_int_gt(ot_pid_format(p, text, sizeof(text)), 0);
	int n = atoi(text + 1);
	ck_assert_int_ge(n, 1);
	snprintf(want, sizeof(want), "<%d.5.1>", n);
	ck_assert_str_eq(text, want);
	ot_pid_format(otter_pid(&table[2]), text, sizeof(text));
	snprintf(want, sizeof(want), "<%d.4294967295.4294967295>", n);
	ck_assert_str_eq(text, want);
	/* Another creation of the same node: the same N. */
	ot_pid_format(otter_pid(&compact[5]), text, sizeof(text));
	snprintf(want, sizeof(want), "<%d.5.1>", n);
	ck_assert_str_eq(text, want);
	ot_pid_format(otter_pid(&compact[6]), text, sizeof(text));
	ck_assert_str_ne(text, want);
}
END_TEST

/* Past the first 2^11 incarnations of this node's life (restarts of other
 * nodes) a pid takes an entry; it still goes back. */
START_TEST(test_many_incarnations)
{
	enum { N = 2100, FIT = 2048 };
	ot_pid *pids = calloc(N, sizeof(*pids));
	ck_assert_ptr_nonnull(pids);
	ck_assert_uint_eq(ot__dist_rpids_entries(), 0);
	for (unsigned c = 0; c < N; c++) {
		erlang_pid e = epid(GHOST, 3, 4, c + 1);
		pids[c] = otter_pid(&e);
		assert_back(pids[c], &e);
		ck_assert_uint_eq(ot__dist_rpids_entries(),
				  c < FIT ? 0 : c - FIT + 1);
	}
	for (unsigned c = 0; c < N; c++) {
		erlang_pid e = epid(GHOST, 3, 4, c + 1);
		ck_assert(ot_pid_equal(otter_pid(&e), pids[c]));
	}
	ck_assert_uint_eq(ot__dist_rpids_entries(), N - FIT);
	qsort(pids, N, sizeof(*pids), cmp_pid);
	for (unsigned c = 1; c < N; c++)
		ck_assert(!ot_pid_equal(pids[c - 1], pids[c]));
	free(pids);
}
END_TEST

/* p names nothing here: every call that takes it says so. */
static void assert_refused(ot_pid p)
{
	erlang_pid e;
	char text[OT_PID_STRLEN];
	ck_assert_ot_err(ot_dist_erlang_pid(p, &e), OT_ENOTCONN);
	ck_assert_int_gt(ot_pid_format(p, text, sizeof(text)), 0);
	ck_assert_int_eq(text[1], '?');
	if (!ot_pid_is_remote(p) || !(p.id >> 32) || !(p.id & 0x7fffffff))
		return; /* not even of a remote pid's form: the runtime's */
	ck_assert_ot_err(ot_send(p, 7, "abc", 3), OT_ENOTCONN);
	/* As of a node that cannot be reached: the test's thread, which
	 * traps exits as every foreign thread, gets EXIT noconnection. */
	ot_reason nc = ot_reason_noconnection();
	ck_assert_ot_ok(ot_link(p));
	ot_msg *msg;
	ck_assert_ot_ok(ot_receive_match(is_exit, NULL, &msg, scaled_ms(5000)));
	ck_assert(ot_pid_equal(ot_msg_exit(msg)->from, p));
	ck_assert(ot_reason_equal(&ot_msg_exit(msg)->reason, &nc));
	ot_msg_free(msg);
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(p, &ref));
	ck_assert_ot_ok(ot_receive_match(is_down, NULL, &msg, scaled_ms(5000)));
	ck_assert(ot_reason_equal(&ot_msg_down(msg)->reason, &nc));
	ot_msg_free(msg);
}

/* Forged remote pids: an incarnation or an index this node never gave, an
 * epoch of another life, garbage in the bits the table form leaves 0. And
 * any value at all is refused or names the pid that gives it back (so
 * that two ot_pids never name one Erlang pid); ASan checks the reads. */
START_TEST(test_forged_pids)
{
	erlang_pid ec = epid(GHOST, 5, 1, 7), et = epid(GHOST, 1u << 30, 1, 7);
	ot_pid c = otter_pid(&ec), t = otter_pid(&et);
	ck_assert(c.id & COMPACT);
	ck_assert(!(t.id & COMPACT));
	assert_refused((ot_pid){c.id | INC_MASK});
	assert_refused((ot_pid){t.id + 1000});
	assert_refused((ot_pid){t.id & ~UINT64_C(0x3fffffff)}); /* index 0 */
	assert_refused((ot_pid){t.id | UINT64_C(1) << 40});
	assert_refused((ot_pid){c.id ^ UINT64_C(1) << 63});
	assert_refused((ot_pid){t.id ^ UINT64_C(1) << EPOCH_SHIFT});
	assert_refused((ot_pid){OT_PID_REMOTE_BIT});
	assert_refused((ot_pid){OT_PID_REMOTE_BIT | 1});

	srandom(13);
	for (int k = 0; k < 200000; k++) {
		uint64_t r = (uint64_t)random() << 33 ^
			     (uint64_t)random() << 2 ^ (uint64_t)random();
		r &= (UINT64_C(1) << EPOCH_SHIFT) - 1;
		ot_pid p = {((k & 1 ? c.id : t.id) ^ r) | OT_PID_REMOTE_BIT};
		erlang_pid e;
		int rc = ot_dist_erlang_pid(p, &e);
		if (rc) {
			ck_assert_ot_err(rc, OT_ENOTCONN);
			continue;
		}
		ck_assert(ot_pid_equal(otter_pid(&e), p));
	}
}
END_TEST

/* A remote pid of the node's earlier life names nothing of this one,
 * compact or not. */
START_TEST(test_stale_after_restart)
{
	erlang_pid ec = epid(GHOST, 5, 1, 7), et = epid(GHOST, 1u << 30, 1, 7);
	ot_pid c = otter_pid(&ec), t = otter_pid(&et);
	ck_assert_ot_ok(ot_node_stop());
	erlang_pid e;
	ck_assert_ot_err(ot_dist_erlang_pid(c, &e), OT_ENOTSTARTED);
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
	assert_refused(c);
	assert_refused(t);
	/* Made again, it is a pid of this life. */
	assert_back(otter_pid(&ec), &ec);
	assert_back(otter_pid(&et), &et);
}
END_TEST

static Suite *rpids_suite(void)
{
	Suite *s = suite_create("dist_rpids");
	TCase *tc = ot_test_tcase("rpids", 60);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_many_incarnations);
	tcase_add_test(tc, test_forged_pids);
	tcase_add_test(tc, test_stale_after_restart);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("many", MANY_S + 10);
	tcase_add_checked_fixture(tc, dist_setup, dist_teardown);
	tcase_add_test(tc, test_many_pids_keep_no_entry);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	erl_require_or_skip("tests/dist/test_rpids");
	return ot_test_run(rpids_suite());
}
