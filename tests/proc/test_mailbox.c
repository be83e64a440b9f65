/* SPDX-License-Identifier: MIT */
/*
 * test_mailbox.c — messages: copied payloads, owned payloads and their free
 * function, per-pair order under concurrency, selective receive, the
 * timeout convention of receive, and a busy receiver's yield.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fixture.h"

enum {
	T_READY = 1,
	T_DATA,
	T_GO,
	T_RESULT,
	T_WAKE,
	T_PID,
	T_DONE,
};

static ot_pid g_test; /* the test thread, set before spawning */

/* Expects a T_RESULT carrying an int64 and returns it. */
static int64_t expect_result(int timeout_ms)
{
	ot_msg *m = expect_msg(T_RESULT, timeout_ms);
	int64_t v = msg_i64(m);
	ot_msg_free(m);
	return v;
}

static atomic_int g_freed;
static void count_free(void *p)
{
	atomic_fetch_add(&g_freed, 1);
	free(p);
}

/* Waits until g_freed reaches want; then checks it stays there a while. */
static void expect_freed(int want)
{
	double deadline = now_msf() + 2000 * tmul();
	while (atomic_load(&g_freed) < want && now_msf() < deadline)
		ot_sleep(1);
	ck_assert_int_eq(atomic_load(&g_freed), want);
	ot_sleep(20);
	ck_assert_int_eq(atomic_load(&g_freed), want); /* exactly once each */
}

static void fill(unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed) & 0xff);
}

static bool filled(const unsigned char *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (unsigned char)((i * 131 + seed) & 0xff))
			return false;
	return true;
}

static bool match_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

/* ---- payloads are copied ------------------------------------------------- */

#define BIG (1024 * 1024)
static unsigned char *g_sent_buf;

/* Takes a small and a big message, then GO; only then looks at the
 * payloads, which the sender has overwritten in between. */
static void check_copies(void *arg)
{
	(void)arg;
	ot_msg *small, *big, *go;
	if (ot_receive(&small, 5000) != 0 || ot_receive(&big, 5000) != 0 ||
	    ot_receive(&go, 5000) != 0) {
		send_i64(g_test, T_RESULT, -1);
		return;
	}
	int64_t ok = ot_msg_tag(go) == T_GO && ot_msg_size(small) == 64 &&
		     filled(ot_msg_data(small), 64, 7) &&
		     ot_msg_size(big) == BIG &&
		     filled(ot_msg_data(big), BIG, 9) &&
		     ot_msg_data(big) != (const void *)g_sent_buf;
	ot_msg_free(small);
	ot_msg_free(big);
	ot_msg_free(go);
	send_i64(g_test, T_RESULT, ok);
}

START_TEST(test_send_copies_payload)
{
	g_test = ot_self();
	unsigned char small[64];
	g_sent_buf = malloc(BIG);
	ck_assert_ptr_nonnull(g_sent_buf);
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(check_copies, NULL, NULL, &p));
	fill(small, sizeof(small), 7);
	ck_assert_ot_ok(ot_send(p, T_DATA, small, sizeof(small)));
	memset(small, 0xee, sizeof(small));
	fill(g_sent_buf, BIG, 9);
	ck_assert_ot_ok(ot_send(p, T_DATA, g_sent_buf, BIG));
	memset(g_sent_buf, 0xee, BIG);
	ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
	ck_assert_int_eq(expect_result(5000), 1);
	free(g_sent_buf);
}
END_TEST

static void send_then_overwrite(void *arg)
{
	(void)arg;
	unsigned char buf[256];
	fill(buf, sizeof(buf), 3);
	ot_send(g_test, T_DATA, buf, sizeof(buf));
	memset(buf, 0, sizeof(buf));
	ot_send(g_test, T_GO, buf, 1); /* the stack may be reused after this */
}

START_TEST(test_process_send_copies_payload)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(send_then_overwrite, NULL, NULL, &p));
	ot_msg *data = expect_msg(T_DATA, 2000);
	ot_msg *go = expect_msg(T_GO, 2000);
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul()))); /* stack gone */
	ck_assert_uint_eq(ot_msg_size(data), 256);
	ck_assert(filled(ot_msg_data(data), 256, 3));
	ck_assert(ot_pid_equal(ot_msg_from(data), p));
	ot_msg_free(data);
	ot_msg_free(go);
}
END_TEST

/* ---- accessors, empty messages, bad arguments ---------------------------- */

static void send_tags(void *arg)
{
	(void)arg;
	/* the largest tag a user may send; from OT_TAG_SYSTEM up they are
	 * otter's own (EXIT, DOWN) and cannot be forged */
	ot_send(g_test, OT_TAG_SYSTEM - 1, "abc", 3);
	ot_send(g_test, 0, NULL, 0);
}

START_TEST(test_accessors)
{
	g_test = ot_self();
	const uint64_t tag = 0xdeadbeefcafef00dULL;
	ck_assert_ot_ok(ot_send(g_test, tag, "hello", 6));
	ot_msg *m;
	ck_assert_ot_ok(ot_receive(&m, 1000));
	ck_assert_uint_eq(ot_msg_tag(m), tag);
	ck_assert(ot_pid_equal(ot_msg_from(m), g_test));
	ck_assert_uint_eq(ot_msg_size(m), 6);
	ck_assert_str_eq(ot_msg_data(m), "hello");
	ot_msg_free(m);
	ot_msg_free(NULL);

	ot_pid p;
	ck_assert_ot_ok(ot_spawn(send_tags, NULL, NULL, &p));
	ck_assert_ot_ok(ot_receive(&m, 2000));
	ck_assert_uint_eq(ot_msg_tag(m), OT_TAG_SYSTEM - 1);
	ck_assert_ot_err(ot_send(g_test, OT_TAG_SYSTEM, "abc", 3), OT_EINVAL);
	ck_assert_ot_err(ot_send(g_test, UINT64_MAX, NULL, 0), OT_EINVAL);
	ck_assert(ot_pid_equal(ot_msg_from(m), p));
	ck_assert_uint_eq(ot_msg_size(m), 3);
	ck_assert_mem_eq(ot_msg_data(m), "abc", 3);
	ot_msg_free(m);
	ck_assert_ot_ok(ot_receive(&m, 2000));
	ck_assert_uint_eq(ot_msg_tag(m), 0);
	ck_assert(ot_pid_equal(ot_msg_from(m), p));
	ck_assert_uint_eq(ot_msg_size(m), 0);
	ck_assert_ptr_null(ot_msg_data(m));
	ot_msg_free(m);
}
END_TEST

START_TEST(test_zero_size_message)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_send(g_test, 42, NULL, 0));
	ot_msg *m;
	ck_assert_ot_ok(ot_receive(&m, 0));
	ck_assert_uint_eq(ot_msg_tag(m), 42);
	ck_assert_uint_eq(ot_msg_size(m), 0);
	ck_assert_ptr_null(ot_msg_data(m));
	ot_msg_free(m);
}
END_TEST

/* Every payload size around the block size classes arrives whole, from a
 * process (its scheduler's block cache) and from this thread, aligned for
 * any type. */
static const size_t class_sizes[] = {0,	  1,   8,   15,	 16,  17,  31,
				     32,  33,  63,  64,	 65,  127, 128,
				     129, 191, 192, 193, 255, 256, 4096};
#define NSIZES (sizeof class_sizes / sizeof class_sizes[0])

static void send_sizes(void *arg)
{
	(void)arg;
	unsigned char buf[4096];
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < NSIZES; i++) {
			fill(buf, class_sizes[i], (unsigned)i);
			ot_send(g_test, T_DATA, class_sizes[i] ? buf : NULL,
				class_sizes[i]);
		}
	}
}

START_TEST(test_payload_sizes)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(send_sizes, NULL, NULL, NULL));
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < NSIZES; i++) {
			ot_msg *m = expect_msg(T_DATA, 5000);
			ck_assert_uint_eq(ot_msg_size(m), class_sizes[i]);
			const unsigned char *d = ot_msg_data(m);
			ck_assert(class_sizes[i] ? d != NULL : d == NULL);
			ck_assert_uint_eq((uintptr_t)d % _Alignof(max_align_t),
					  0);
			ck_assert(filled(d, class_sizes[i], (unsigned)i));
			ot_msg_free(m);
		}
	}
	/* Through an alias, which the block keeps after the payload. */
	uint64_t a;
	ck_assert_ot_ok(ot_alias(&a));
	unsigned char buf[4096];
	for (size_t i = 0; i < NSIZES; i++) {
		fill(buf, class_sizes[i], (unsigned)i);
		ck_assert_ot_ok(ot_send_alias(g_test, a, T_DATA,
					      class_sizes[i] ? buf : NULL,
					      class_sizes[i]));
		ot_msg *m = expect_msg(T_DATA, 5000);
		ck_assert_uint_eq(ot_msg_alias(m), a);
		ck_assert_uint_eq(ot_msg_size(m), class_sizes[i]);
		ck_assert(filled(ot_msg_data(m), class_sizes[i], (unsigned)i));
		ot_msg_free(m);
	}
	ck_assert_int_eq(ot_unalias(a), 1);
}
END_TEST

START_TEST(test_data_size_mismatch)
{
	g_test = ot_self();
	char buf[8] = "payload";
	ck_assert_ot_err(ot_send(g_test, 1, NULL, 5), OT_EINVAL);
	ck_assert_ot_err(ot_send(g_test, 2, buf, 0), OT_EINVAL);
	/* sizes no buffer can have (a header added would wrap them) */
	ck_assert_ot_err(ot_send(g_test, 2, buf, SIZE_MAX), OT_EINVAL);
	ck_assert_ot_err(ot_send(g_test, 2, buf, SIZE_MAX - 7), OT_EINVAL);
	ck_assert_ot_err(ot_send_after(5, g_test, 3, buf, SIZE_MAX, NULL),
			 OT_EINVAL);
	ck_assert_ot_err(ot_send_after(5, g_test, 3, NULL, 5, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_send_after(5, g_test, 4, buf, 0, NULL), OT_EINVAL);
	atomic_store(&g_freed, 0);
	ck_assert_ot_err(ot_send_owned(g_test, 5, malloc(8), 0, count_free),
			 OT_EINVAL);
	ck_assert_int_eq(atomic_load(&g_freed), 1); /* released on error */
	ck_assert_ot_err(
	    ot_send_owned(OT_PID_NONE, 6, malloc(8), 8, count_free), OT_EINVAL);
	ck_assert_int_eq(atomic_load(&g_freed), 2);
	/* nothing was queued, now or later */
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 30), OT_ETIMEDOUT);
	ck_assert_ot_err(ot_receive(NULL, 0), OT_EINVAL);
	uint64_t t = 1;
	ck_assert_ot_err(ot_receive_match(match_tag, &t, NULL, 0), OT_EINVAL);
	ck_assert_ot_err(ot_receive_match(NULL, &t, &m, 0), OT_EINVAL);
	ck_assert_ot_err(ot_receive_match(NULL, NULL, &m, OT_INFINITY),
			 OT_EINVAL);
}
END_TEST

/* ---- owned payloads ------------------------------------------------------ */

static void *g_owned;

/* Receives one owned message: reports whether it is the very buffer sent,
 * and the free count before and after ot_msg_free(). */
static void take_owned(void *arg)
{
	(void)arg;
	ot_msg *m;
	if (ot_receive(&m, 5000) != 0) {
		send_i64(g_test, T_RESULT, -1);
		return;
	}
	send_i64(g_test, T_RESULT,
		 ot_msg_data(m) == g_owned && ot_msg_size(m) == 32);
	send_i64(g_test, T_RESULT, atomic_load(&g_freed));
	ot_msg_free(m);
	send_i64(g_test, T_RESULT, atomic_load(&g_freed));
}

START_TEST(test_owned_freed_once_when_received)
{
	g_test = ot_self();
	atomic_store(&g_freed, 0);
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(take_owned, NULL, NULL, &p));
	g_owned = malloc(32);
	fill(g_owned, 32, 1);
	ck_assert_ot_ok(ot_send_owned(p, T_DATA, g_owned, 32, count_free));
	ck_assert_int_eq(expect_result(2000), 1); /* not copied */
	ck_assert_int_eq(expect_result(2000), 0);
	ck_assert_int_eq(expect_result(2000), 1);
	expect_freed(1);

	/* to the foreign test thread itself */
	void *buf = malloc(16);
	ck_assert_ot_ok(ot_send_owned(g_test, T_DATA, buf, 16, count_free));
	ot_msg *m;
	ck_assert_ot_ok(ot_receive(&m, 1000));
	ck_assert_ptr_eq(ot_msg_data(m), buf);
	ck_assert_int_eq(atomic_load(&g_freed), 1);
	ot_msg_free(m);
	expect_freed(2);

	/* a NULL free function: nothing to release */
	static char fixed[4] = "abc";
	ck_assert_ot_ok(ot_send_owned(g_test, T_DATA, fixed, 4, NULL));
	ck_assert_ot_ok(ot_receive(&m, 1000));
	ck_assert_ptr_eq(ot_msg_data(m), fixed);
	ck_assert_str_eq(ot_msg_data(m), "abc");
	ot_msg_free(m);
}
END_TEST

static void idle(void *arg)
{
	(void)arg;
}

START_TEST(test_owned_to_dead_pid_freed)
{
	atomic_store(&g_freed, 0);
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &p));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	ck_assert(!ot_is_alive(p));
	ck_assert_ot_ok(ot_send_owned(p, T_DATA, malloc(64), 64, count_free));
	expect_freed(1);
}
END_TEST

/* Waits for GO, leaving everything else queued, and ends. */
static void wait_go_only(void *arg)
{
	(void)arg;
	uint64_t go = T_GO;
	ot_msg *m;
	if (ot_receive_match(match_tag, &go, &m, 5000) == 0)
		ot_msg_free(m);
}

START_TEST(test_owned_dropped_at_exit)
{
	atomic_store(&g_freed, 0);
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(wait_go_only, NULL, NULL, &p));
	for (int i = 0; i < 3; i++)
		ck_assert_ot_ok(
		    ot_send_owned(p, T_DATA, malloc(100), 100, count_free));
	ck_assert_ot_ok(ot_send(p, T_DATA, "copied", 6));
	ot_sleep(10);
	ck_assert_int_eq(atomic_load(&g_freed), 0);
	ck_assert_ot_ok(ot_send(p, T_GO, NULL, 0));
	ck_assert(ot_test_wait_quiet((int)(2000 * tmul())));
	expect_freed(3);
}
END_TEST

START_TEST(test_owned_dropped_at_detach)
{
	atomic_store(&g_freed, 0);
	ot_pid me = ot_self();
	ck_assert_ot_ok(ot_send_owned(me, T_DATA, malloc(8), 8, count_free));
	ck_assert_ot_ok(ot_send_owned(me, T_DATA, malloc(8), 8, count_free));
	ck_assert_int_eq(atomic_load(&g_freed), 0);
	ck_assert_ot_ok(ot_thread_detach());
	ck_assert_int_eq(atomic_load(&g_freed), 2);
	ot_msg *m;
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT); /* a new mailbox */
	ck_assert_int_eq(atomic_load(&g_freed), 2);
}
END_TEST

/* ---- order per sender, many senders at once ------------------------------ */

#define SENDERS	   5 /* 3 processes, a pthread, the test thread */
#define PER_SENDER 10000

struct order_report {
	int64_t received;
	int64_t out_of_order;
	int64_t bad;
	uint64_t from[SENDERS];
};

static ot_pid g_receiver;

static void orderly_receiver(void *arg)
{
	(void)arg;
	struct order_report r;
	memset(&r, 0, sizeof(r));
	uint64_t next[SENDERS] = {0};
	for (int64_t i = 0; i < (int64_t)SENDERS * PER_SENDER; i++) {
		ot_msg *m;
		if (ot_receive(&m, 10000) != 0)
			break;
		uint64_t who = ot_msg_tag(m), seq;
		if (who >= SENDERS || ot_msg_size(m) != sizeof(seq)) {
			r.bad++;
		} else {
			memcpy(&seq, ot_msg_data(m), sizeof(seq));
			if (seq != next[who])
				r.out_of_order++;
			next[who] = seq + 1;
			uint64_t from = ot_msg_from(m).id;
			if (r.from[who] == 0)
				r.from[who] = from;
			else if (r.from[who] != from)
				r.bad++;
		}
		r.received++;
		ot_msg_free(m);
	}
	ot_send(g_test, T_RESULT, &r, sizeof(r));
}

static void send_numbered(uint64_t who)
{
	for (uint64_t seq = 0; seq < PER_SENDER; seq++) {
		ot_send(g_receiver, who, &seq, sizeof(seq));
		if (seq % 64 == 0 && ot_in_process())
			ot_yield(); /* let the senders interleave */
	}
}

static void sender_proc(void *arg)
{
	send_numbered((uint64_t)(intptr_t)arg);
}

static void *sender_thread(void *arg)
{
	send_numbered((uint64_t)(intptr_t)arg);
	ot_pid me = ot_self();
	return (void *)(uintptr_t)me.id;
}

START_TEST(test_order_per_sender_under_concurrency)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(orderly_receiver, NULL, NULL, &g_receiver));
	ot_pid procs[3];
	for (int i = 0; i < 3; i++)
		ck_assert_ot_ok(ot_spawn(sender_proc, (void *)(intptr_t)i, NULL,
					 &procs[i]));
	pthread_t th;
	ck_assert_int_eq(
	    pthread_create(&th, NULL, sender_thread, (void *)(intptr_t)3), 0);
	send_numbered(4);
	void *th_pid;
	ck_assert_int_eq(pthread_join(th, &th_pid), 0);

	ot_msg *m = expect_msg(T_RESULT, 30000);
	struct order_report r;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(r));
	memcpy(&r, ot_msg_data(m), sizeof(r));
	ot_msg_free(m);
	ck_assert_int_eq(r.received, (int64_t)SENDERS * PER_SENDER);
	ck_assert_msg(r.out_of_order == 0, "%lld messages out of order",
		      (long long)r.out_of_order);
	ck_assert_int_eq(r.bad, 0);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(r.from[i], procs[i].id);
	ck_assert_uint_eq(r.from[3], (uint64_t)(uintptr_t)th_pid);
	ck_assert_uint_eq(r.from[4], g_test.id);
}
END_TEST

/* ---- selective receive --------------------------------------------------- */

struct counted_match {
	uint64_t want;
	int calls;
};

static bool match_counted(const ot_msg *m, void *arg)
{
	struct counted_match *c = arg;
	c->calls++;
	return ot_msg_tag(m) == c->want;
}

START_TEST(test_selective_receive_takes_first_match)
{
	ot_pid me = ot_self();
	for (uint64_t t = 1; t <= 5; t++)
		ck_assert_ot_ok(ot_send(me, t, &t, sizeof(t)));
	ck_assert_ot_ok(ot_send(me, 3, NULL, 0)); /* a second tag 3 */

	struct counted_match c = {.want = 3};
	ot_msg *m;
	ck_assert_ot_ok(ot_receive_match(match_counted, &c, &m, 0));
	ck_assert_uint_eq(ot_msg_tag(m), 3);
	ck_assert_uint_eq(ot_msg_size(m), sizeof(uint64_t)); /* the first 3 */
	ot_msg_free(m);
	ck_assert_msg(c.calls >= 3 && c.calls <= 6, "match called %d times",
		      c.calls);

	/* the others stay, in their order */
	const uint64_t rest[] = {1, 2, 4, 5, 3};
	for (int i = 0; i < 5; i++) {
		ck_assert_ot_ok(ot_receive(&m, 0));
		ck_assert_uint_eq(ot_msg_tag(m), rest[i]);
		ot_msg_free(m);
	}
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
}
END_TEST

START_TEST(test_selective_receive_no_match)
{
	ot_pid me = ot_self();
	for (uint64_t t = 1; t <= 5; t++)
		ck_assert_ot_ok(ot_send(me, t, NULL, 0));
	struct counted_match c = {.want = 99};
	ot_msg *m;
	ck_assert_ot_err(ot_receive_match(match_counted, &c, &m, 0),
			 OT_ETIMEDOUT);
	ck_assert_int_eq(c.calls, 5); /* each offered exactly once */
	/* waiting does not offer the same messages again */
	c.calls = 0;
	double t0 = now_msf();
	ck_assert_ot_err(ot_receive_match(match_counted, &c, &m, 40),
			 OT_ETIMEDOUT);
	double took = now_msf() - t0;
	ck_assert_int_eq(c.calls, 5);
	ck_assert_msg(took >= 35, "a 40 ms selective receive took %.1f ms",
		      took);
	for (uint64_t t = 1; t <= 5; t++) {
		ck_assert_ot_ok(ot_receive(&m, 0));
		ck_assert_uint_eq(ot_msg_tag(m), t);
		ot_msg_free(m);
	}
}
END_TEST

/* Waits for tag 99 while others arrive one by one; reports the tag it got,
 * the predicate calls, and then the tags left, in order. */
static void wait_for_99(void *arg)
{
	(void)arg;
	struct counted_match c = {.want = 99};
	ot_send(g_test, T_READY, NULL, 0);
	ot_msg *m;
	int rc = ot_receive_match(match_counted, &c, &m, OT_INFINITY);
	if (rc != 0) {
		send_i64(g_test, T_RESULT, rc);
		return;
	}
	send_i64(g_test, T_RESULT, (int64_t)ot_msg_tag(m));
	ot_msg_free(m);
	send_i64(g_test, T_RESULT, c.calls);
	while (ot_receive(&m, 0) == 0) {
		send_i64(g_test, T_RESULT, (int64_t)ot_msg_tag(m));
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, -1);
}

START_TEST(test_selective_receive_while_blocked)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(wait_for_99, NULL, NULL, &p));
	ot_msg_free(expect_msg(T_READY, 2000));
	for (uint64_t t = 11; t <= 13; t++) {
		ck_assert_ot_ok(ot_send(p, t, NULL, 0));
		ot_sleep(5); /* the process wakes up for each */
	}
	ck_assert_ot_ok(ot_send(p, 14, NULL, 0));
	ck_assert_ot_ok(ot_send(p, 99, NULL, 0));
	ck_assert_int_eq(expect_result(2000), 99);
	int64_t calls = expect_result(2000);
	ck_assert_msg(calls == 5,
		      "predicate called %lld times for 5 messages (each must "
		      "be offered once)",
		      (long long)calls);
	const int64_t rest[] = {11, 12, 13, 14, -1};
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(expect_result(2000), rest[i]);
}
END_TEST

/* ---- timeouts ------------------------------------------------------------ */

START_TEST(test_receive_poll)
{
	ot_msg *m;
	ot_self();
	double t0 = now_msf();
	ck_assert_ot_err(ot_receive(&m, 0), OT_ETIMEDOUT);
	uint64_t any = 1;
	ck_assert_ot_err(ot_receive_match(match_tag, &any, &m, 0),
			 OT_ETIMEDOUT);
	double took = now_msf() - t0;
	ck_assert_msg(took < 100 * tmul(), "polls took %.1f ms", took);
	ck_assert_ot_ok(ot_send(ot_self(), 1, NULL, 0));
	ck_assert_ot_ok(ot_receive(&m, 0));
	ot_msg_free(m);
}
END_TEST

static void measure_receive(void *arg)
{
	int timeout = (int)(intptr_t)arg;
	ot_msg *m;
	double t0 = now_msf();
	int rc = ot_receive(&m, timeout);
	double took = now_msf() - t0;
	if (rc == 0)
		ot_msg_free(m);
	send_i64(g_test, T_RESULT, rc);
	send_i64(g_test, T_RESULT, (int64_t)(took * 1000)); /* microseconds */
}

START_TEST(test_receive_timeout_window)
{
	g_test = ot_self();
	ot_msg *m;
	double t0 = now_msf();
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);
	double took = now_msf() - t0;
	ck_assert_msg(took >= 45 && took < 500 * tmul(),
		      "a 50 ms receive in a foreign thread took %.1f ms", took);

	ck_assert_ot_ok(
	    ot_spawn(measure_receive, (void *)(intptr_t)50, NULL, NULL));
	ck_assert_ot_err((int)expect_result(2000), OT_ETIMEDOUT);
	took = (double)expect_result(2000) / 1000.0;
	ck_assert_msg(took >= 45 && took < 500 * tmul(),
		      "a 50 ms receive in a process took %.1f ms", took);

	ck_assert_ot_ok(
	    ot_spawn(measure_receive, (void *)(intptr_t)0, NULL, NULL));
	ck_assert_ot_err((int)expect_result(2000), OT_ETIMEDOUT);
	took = (double)expect_result(2000) / 1000.0;
	ck_assert_msg(took < 100 * tmul(), "a polling receive took %.1f ms",
		      took);
}
END_TEST

static void bad_timeouts_in_process(void *arg)
{
	(void)arg;
	ot_msg *m;
	uint64_t any = 1;
	send_i64(g_test, T_RESULT, ot_receive(&m, -2));
	send_i64(g_test, T_RESULT, ot_receive(&m, INT_MIN));
	send_i64(g_test, T_RESULT, ot_receive_match(match_tag, &any, &m, -5));
}

START_TEST(test_negative_timeouts)
{
	g_test = ot_self();
	ot_msg *m;
	uint64_t any = 1;
	const int bad[] = {-2, -3, -1000, INT_MIN};
	for (int i = 0; i < 4; i++) {
		ck_assert_ot_err(ot_receive(&m, bad[i]), OT_EINVAL);
		ck_assert_ot_err(ot_receive_match(match_tag, &any, &m, bad[i]),
				 OT_EINVAL);
	}
	ck_assert_ot_ok(ot_spawn(bad_timeouts_in_process, NULL, NULL, NULL));
	for (int i = 0; i < 3; i++)
		ck_assert_ot_err((int)expect_result(2000), OT_EINVAL);
}
END_TEST

/* Says ready, waits for ever, reports the tag and how long it waited. */
static void wait_forever(void *arg)
{
	(void)arg;
	ot_send(g_test, T_READY, NULL, 0);
	double t0 = now_msf();
	ot_msg *m;
	int rc = ot_receive(&m, OT_INFINITY);
	double took = now_msf() - t0;
	if (rc != 0) {
		send_i64(g_test, T_RESULT, rc);
		return;
	}
	send_i64(g_test, T_RESULT, (int64_t)ot_msg_tag(m));
	ot_msg_free(m);
	send_i64(g_test, T_RESULT, (int64_t)took);
}

static void *thread_wait_forever(void *arg)
{
	(void)arg;
	ot_pid me = ot_self();
	ot_send(g_test, T_PID, &me, sizeof(me));
	ot_msg *m;
	int rc = ot_receive(&m, OT_INFINITY);
	if (rc != 0)
		return (void *)(intptr_t)rc;
	intptr_t tag = (intptr_t)ot_msg_tag(m);
	ot_msg_free(m);
	return (void *)tag;
}

START_TEST(test_infinite_receive_woken_by_send)
{
	g_test = ot_self();
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(wait_forever, NULL, NULL, &p));
	ot_msg_free(expect_msg(T_READY, 2000));
	ot_sleep(50);
	ck_assert_ot_ok(ot_send(p, T_WAKE, NULL, 0));
	ck_assert_int_eq(expect_result(2000), T_WAKE);
	ck_assert_int_ge(expect_result(2000), 45);

	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, thread_wait_forever, NULL),
			 0);
	ot_msg *m = expect_msg(T_PID, 2000);
	ot_pid tp;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(tp));
	memcpy(&tp, ot_msg_data(m), sizeof(tp));
	ot_msg_free(m);
	ot_sleep(50);
	ck_assert_ot_ok(ot_send(tp, T_WAKE, NULL, 0));
	void *ret;
	ck_assert_int_eq(pthread_join(th, &ret), 0);
	ck_assert_int_eq((intptr_t)ret, T_WAKE);
}
END_TEST

/* With one scheduler, a process waiting in receive must let the sender
 * run: it yields, it does not block the thread. */
static ot_pid g_waiter;

static void send_to_waiter(void *arg)
{
	(void)arg;
	ot_send(g_waiter, T_WAKE, NULL, 0);
}

static void wait_then_report(void *arg)
{
	(void)arg;
	ot_msg *m;
	int rc = ot_receive(&m, 5000);
	if (rc == 0) {
		rc = (int)ot_msg_tag(m);
		ot_msg_free(m);
	}
	send_i64(g_test, T_RESULT, rc);
}

static void waiter_and_sender(void *arg)
{
	(void)arg;
	ot_spawn(wait_then_report, NULL, NULL, &g_waiter);
	ot_sleep(20); /* the waiter blocks first */
	ot_spawn(send_to_waiter, NULL, NULL, NULL);
}

START_TEST(test_receive_yields_on_one_scheduler)
{
	g_test = ot_self();
	double t0 = now_msf();
	ck_assert_ot_ok(ot_spawn(waiter_and_sender, NULL, NULL, NULL));
	ck_assert_int_eq(expect_result(6000), T_WAKE);
	ck_assert_msg(now_msf() - t0 < 2000 * tmul(), "took %.0f ms",
		      now_msf() - t0);
}
END_TEST

/* A process that takes message after message without ever waiting lets the
 * others on its scheduler run (the budget of mailbox.c), as a busy
 * gen_server does; it need not send anything for that. */
enum { FLOOD = 1000 };
static atomic_int g_taken;

static void note_taken(void *arg)
{
	(void)arg;
	send_i64(g_test, T_RESULT, atomic_load(&g_taken));
}

static void take_flood(void *arg)
{
	(void)arg;
	ot_msg *m;
	uint64_t go = T_GO;
	/* The flood is queued before the GO: from here no receive waits. */
	if (ot_receive_match(ot_test_is_tag, &go, &m, 5000) != 0)
		return;
	ot_msg_free(m);
	ot_spawn(note_taken, NULL, NULL, NULL); /* queued behind us */
	for (int i = 0; i < FLOOD; i++) {
		/* A receive that may wait, as a server's: a look would not
		 * yield (test_look_never_switches). */
		if (ot_receive(&m, 5000) != 0)
			break;
		ot_msg_free(m);
		atomic_fetch_add(&g_taken, 1);
	}
	send_i64(g_test, T_DATA, atomic_load(&g_taken));
}

START_TEST(test_busy_receiver_lets_others_run)
{
	g_test = ot_self();
	atomic_store(&g_taken, 0);
	ot_pid r;
	ck_assert_ot_ok(ot_spawn(take_flood, NULL, NULL, &r));
	for (int i = 0; i < FLOOD; i++)
		ck_assert_ot_ok(ot_send(r, T_DATA, &i, sizeof i));
	ck_assert_ot_ok(ot_send(r, T_GO, NULL, 0));
	int64_t at = expect_result(5000);
	ot_msg *m = expect_msg(T_DATA, 5000);
	int64_t all;
	memcpy(&all, ot_msg_data(m), sizeof all);
	ot_msg_free(m);
	ck_assert_int_eq(all, FLOOD);
	ck_assert_msg(at < FLOOD,
		      "a process queued behind one taking %d messages without "
		      "waiting ran only after all of them",
		      FLOOD);
}
END_TEST

/* The budget makes a flooded process yield even when nobody else is
 * runnable: the scheduler's loop is where its timers fire. A sleeper's
 * 5 ms timer fires while a process still has tens of milliseconds of
 * queued work, not after it. */
enum { BACKLOG = 20000 };

static void sleep_then_report(void *arg)
{
	(void)arg;
	ot_sleep(5);
	send_i64(g_test, T_WAKE, 0);
}

static void burn_us(int us)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do
		clock_gettime(CLOCK_MONOTONIC, &t);
	while ((t.tv_sec - t0.tv_sec) * 1000000 +
		   (t.tv_nsec - t0.tv_nsec) / 1000 <
	       us);
}

static void work_through_backlog(void *arg)
{
	(void)arg;
	for (int i = 0; i < BACKLOG; i++)
		ot_send(ot_self(), T_DATA, NULL, 0);
	ot_msg *m;
	for (int i = 0; i < BACKLOG; i++) {
		if (ot_receive(&m, 5000) != 0)
			break;
		ot_msg_free(m);
		burn_us(2);
	}
	send_i64(g_test, T_DONE, 0);
}

START_TEST(test_flooded_process_lets_timers_fire)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(sleep_then_report, NULL, NULL, NULL));
	ck_assert_ot_ok(ot_spawn(work_through_backlog, NULL, NULL, NULL));
	ot_msg *m = NULL;
	ck_assert_ot_ok(ot_receive(&m, scaled_ms(20000)));
	uint64_t first = ot_msg_tag(m);
	ot_msg_free(m);
	ck_assert_ot_ok(ot_receive(&m, scaled_ms(20000)));
	ot_msg_free(m);
	ck_assert_msg(first == T_WAKE,
		      "a 5 ms sleep fired only after %d messages were handled "
		      "without a wait",
		      BACKLOG);
}
END_TEST

/* A look at the mailbox (timeout 0) never switches, however many come in
 * a row: a process may poll holding what a kill there would leak. */
static atomic_int g_other_ran;

static void note_ran(void *arg)
{
	(void)arg;
	atomic_store(&g_other_ran, 1);
}

static void poll_many(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++)
		ot_send(ot_self(), T_DATA, NULL, 0);
	ot_spawn(note_ran, NULL, NULL, NULL); /* queued behind us */
	int before = atomic_load(&g_other_ran), taken = 0;
	ot_msg *m;
	while (ot_receive(&m, 0) == 0) {
		ot_msg_free(m);
		taken++;
	}
	int after = atomic_load(&g_other_ran);
	send_i64(g_test, T_RESULT, taken);
	send_i64(g_test, T_RESULT, before == 0 && after == 0);
}

START_TEST(test_look_never_switches)
{
	g_test = ot_self();
	atomic_store(&g_other_ran, 0);
	ck_assert_ot_ok(ot_spawn(poll_many, NULL, NULL, NULL));
	ck_assert_int_eq(expect_result(5000), 200);
	ck_assert_msg(expect_result(5000) == 1,
		      "a process ran while another looked at its mailbox "
		      "200 times with timeout 0");
}
END_TEST

/* Messages a process took and freed go to its scheduler's cache of free
 * blocks, up to a bound: ot_runtime_stats() counts what it holds. */
enum { CACHE_BURST = 5000 };

static void burst_to_self(void *arg)
{
	(void)arg;
	unsigned char buf[64] = {0};
	for (int i = 0; i < CACHE_BURST; i++)
		ot_send(ot_self(), T_DATA, buf, sizeof buf);
	ot_msg *m;
	for (int i = 0; i < CACHE_BURST; i++)
		if (ot_receive(&m, 0) == 0)
			ot_msg_free(m);
	ot_send(g_test, T_GO, NULL, 0);
}

START_TEST(test_message_cache_is_counted_and_bounded)
{
	g_test = ot_self();
	ck_assert_ot_ok(ot_spawn(burst_to_self, NULL, NULL, NULL));
	ot_msg *m = expect_msg(T_GO, 5000);
	ot_msg_free(m);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_msg(st.message_cache_bytes > 0,
		      "the blocks freed on a scheduler are not counted");
	ck_assert_msg(st.message_cache_bytes < (size_t)CACHE_BURST * 64,
		      "%zu bytes cached: every freed block was kept",
		      st.message_cache_bytes);
}
END_TEST

static Suite *mailbox_suite(void)
{
	Suite *s = suite_create("mailbox");

	TCase *tc = ot_test_tcase("payload", 10);
	tcase_add_test(tc, test_send_copies_payload);
	tcase_add_test(tc, test_process_send_copies_payload);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_zero_size_message);
	tcase_add_test(tc, test_message_cache_is_counted_and_bounded);
	tcase_add_test(tc, test_payload_sizes);
	tcase_add_test(tc, test_data_size_mismatch);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("owned", 10);
	tcase_add_test(tc, test_owned_freed_once_when_received);
	tcase_add_test(tc, test_owned_to_dead_pid_freed);
	tcase_add_test(tc, test_owned_dropped_at_exit);
	tcase_add_test(tc, test_owned_dropped_at_detach);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("order", 60);
	tcase_add_test(tc, test_order_per_sender_under_concurrency);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("selective", 10);
	tcase_add_test(tc, test_selective_receive_takes_first_match);
	tcase_add_test(tc, test_selective_receive_no_match);
	tcase_add_test(tc, test_selective_receive_while_blocked);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("timeout", 10);
	tcase_add_test(tc, test_receive_poll);
	tcase_add_test(tc, test_receive_timeout_window);
	tcase_add_test(tc, test_negative_timeouts);
	tcase_add_test(tc, test_infinite_receive_woken_by_send);
	suite_add_tcase(s, tc);

	tc = tcase_create("one_scheduler");
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_receive_yields_on_one_scheduler);
	tcase_add_test(tc, test_busy_receiver_lets_others_run);
	tcase_add_test(tc, test_flooded_process_lets_timers_fire);
	tcase_add_test(tc, test_look_never_switches);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(mailbox_suite());
}
