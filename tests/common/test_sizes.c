/* SPDX-License-Identifier: MIT */
/*
 * test_sizes.c — every public function that takes a size (or a count, or
 * a struct field that is one) and sizes that would wrap the arithmetic
 * made on them (`sizeof hdr + size`, `n * sizeof *p`): SIZE_MAX,
 * SIZE_MAX - 7 and PTRDIFF_MAX + 1. Each gives its documented error
 * (OT_EINVAL, OT_ETOOBIG, OT_EBADSPEC, ...) and nothing else happens: no
 * crash, no message sent, no process started, no leak (the fixture
 * counts). An output capacity that is larger than the buffer behind it
 * cannot be told from a real one: there the function must only never
 * compute with it, and writes what it has (checked too).
 *
 * Issue 15, item 2: a gen_server call of SIZE_MAX - 7 bytes smashed the
 * caller's stack, ot_supervisor_start_child_extra(sup, x, SIZE_MAX) the
 * heap.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fixture.h"

static const size_t bad_sizes[] = {
    SIZE_MAX,
    SIZE_MAX - 7,
    (size_t)PTRDIFF_MAX + 1,
};
#define NBAD (sizeof bad_sizes / sizeof bad_sizes[0])

/* A few real bytes: the pointer is good, only the size lies. */
static const char bytes[16] = "0123456789abcde";

/* Asserts that the calling process's mailbox is empty. */
static void assert_mailbox_empty(void)
{
	ot_msg *m = NULL;
	int rc = ot_receive(&m, 0);
	ck_assert_msg(rc == OT_ETIMEDOUT, "a message arrived (rc %s)",
		      ot_err_name(rc));
}

/* ---- proc ---------------------------------------------------------------- */

START_TEST(test_send)
{
	ot_pid self = ot_self();
	uint64_t alias;
	ck_assert_ot_ok(ot_alias(&alias));
	for (size_t i = 0; i < NBAD; i++) {
		ck_assert_ot_err(ot_send(self, 1, bytes, bad_sizes[i]),
				 OT_EINVAL);
		ck_assert_ot_err(
		    ot_send_alias(self, alias, 1, bytes, bad_sizes[i]),
		    OT_EINVAL);
		ot_timer t = {0};
		ck_assert_ot_err(
		    ot_send_after(0, self, 1, bytes, bad_sizes[i], &t),
		    OT_EINVAL);
		ck_assert_ot_err(
		    ot_send_after(10, self, 1, bytes, bad_sizes[i], NULL),
		    OT_EINVAL);
	}
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.timers, 0);
	ck_assert_ot_ok(ot_sleep(20));
	assert_mailbox_empty();
	ck_assert_int_eq(ot_unalias(alias), 1);
}
END_TEST

static int g_freed;
static void count_free(void *p)
{
	g_freed++;
	free(p);
}

/* ot_send_owned() takes the buffer even when it refuses it. */
START_TEST(test_send_owned)
{
	g_freed = 0;
	for (size_t i = 0; i < NBAD; i++) {
		void *p = malloc(16);
		ck_assert_ptr_nonnull(p);
		ck_assert_ot_err(
		    ot_send_owned(ot_self(), 1, p, bad_sizes[i], count_free),
		    OT_EINVAL);
		ck_assert_int_eq(g_freed, (int)i + 1);
	}
	assert_mailbox_empty();
}
END_TEST

static void never_runs(void *arg)
{
	(void)arg;
	ck_abort_msg("spawned with a stack size that wraps");
}

START_TEST(test_spawn_stack_size)
{
	for (size_t i = 0; i < NBAD; i++) {
		ot_spawn_opts o = {.stack_size = bad_sizes[i]};
		ot_pid pid = OT_PID_NONE;
		ck_assert_ot_err(ot_spawn(never_runs, NULL, &o, &pid),
				 OT_EINVAL);
		ck_assert(ot_pid_is_none(pid));
	}
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, 0);
}
END_TEST

/* ot_config's sizes (no fixture: ot_start is what is tested). */
START_TEST(test_start_config_sizes)
{
	for (size_t i = 0; i < NBAD; i++) {
		ot_config c[4] = {{.stack_size = bad_sizes[i]},
				  {.max_processes = bad_sizes[i]},
				  {.shared_stacks = bad_sizes[i]},
				  {.stack_guard = bad_sizes[i]}};
		for (size_t j = 0; j < 4; j++) {
			ck_assert_ot_err(ot_start(&c[j]), OT_EINVAL);
			ck_assert(!ot_running());
		}
	}
}
END_TEST

/* ---- io ------------------------------------------------------------------ */

START_TEST(test_read_write)
{
	int p[2];
	ck_assert_int_eq(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	char buf[16];
	for (size_t i = 0; i < NBAD; i++) {
		ck_assert_ot_err((int)ot_read(p[0], buf, bad_sizes[i], 10),
				 OT_EINVAL);
		size_t w = 77;
		ck_assert_ot_err(
		    (int)ot_write(p[1], bytes, bad_sizes[i], 10, &w),
		    OT_EINVAL);
		ck_assert_uint_eq(w, 0);
	}
	/* nothing was written */
	ck_assert_ot_err((int)ot_read(p[0], buf, sizeof buf, 0), OT_ETIMEDOUT);
	close(p[0]);
	close(p[1]);
}
END_TEST

/* ---- common: output buffers ------------------------------------------------
 */

/* A capacity beyond the buffer: the text is what it is, written whole
 * (it fits), never an error nor a wrap. */
START_TEST(test_format_capacities)
{
	ot_pid self = ot_self();
	char want[OT_PID_STRLEN], got[OT_PID_STRLEN + 8];
	ck_assert_int_gt(ot_pid_format(self, want, sizeof want), 0);
	ot_reason r = ot_reason_error(OT_EINVAL, "bad size");
	char rwant[OT_REASON_STRLEN], rgot[OT_REASON_STRLEN + 8];
	ck_assert_int_gt(ot_reason_format(&r, rwant, sizeof rwant), 0);
	for (size_t i = 0; i < NBAD; i++) {
		memset(got, 'x', sizeof got);
		ck_assert_int_eq(ot_pid_format(self, got, bad_sizes[i]),
				 (int)strlen(want));
		ck_assert_str_eq(got, want);
		memset(rgot, 'x', sizeof rgot);
		ck_assert_int_eq(ot_reason_format(&r, rgot, bad_sizes[i]),
				 (int)strlen(rwant));
		ck_assert_str_eq(rgot, rwant);
	}
}
END_TEST

/* A reason whose payload size lies: refused where it enters (ot_exit_pid,
 * ot_gen_server_stop: OT_EINVAL), a stop with {error,OT_EINVAL,...} from
 * a builder, dropped by ot_exit's repair (issue 14's payloads). */
START_TEST(test_reason_payload_sizes)
{
	ot_pid pid;
	ck_assert_ot_ok(ot_spawn(ot_test_idle, NULL, NULL, &pid));
	for (size_t i = 0; i < NBAD; i++) {
		ot_reason r = ot_reason_error_data(1, "x", bytes, bad_sizes[i]);
		ck_assert_ot_err(ot_reason_check(&r), OT_EINVAL);
		ck_assert_ot_err(ot_exit_pid(pid, &r), OT_EINVAL);
		ck_assert_ot_err(ot_gen_server_stop(pid, &r, 100), OT_EINVAL);
		r = ot_reason_shutdown_data("x", bytes, bad_sizes[i]);
		ck_assert_ot_err(ot_exit_pid(pid, &r), OT_EINVAL);
		ot_gs_ret ret = ot_gs_stop(r);
		ck_assert_int_eq(ret.reason.code, OT_EINVAL);
		ck_assert_ptr_null(ret.reason_copy);
	}
	ck_assert(ot_is_alive(pid));
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(pid, &kill));
}
END_TEST

/* ---- gen_server ------------------------------------------------------------
 */

enum {
	REQ_ECHO = 1,
	REQ_LATE_REPLY,
	REQ_BAD_REPLY,
	REQ_BAD_STOP_REPLY,
	REQ_HAND_MADE_REPLY,
};

static ot_gs_ret sz_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

/* The request's first byte says what to do; the size to try comes after. */
static ot_gs_ret sz_call(const void *request, size_t size, ot_gs_from from,
			 void **state)
{
	(void)state;
	unsigned char op = 0;
	size_t bad = 0;
	if (size == 1 + sizeof bad) {
		memcpy(&op, request, 1);
		memcpy(&bad, (const char *)request + 1, sizeof bad);
	}
	int rc;
	switch (op) {
	case REQ_LATE_REPLY:
		/* a reply of a size that wraps: refused, then a real one */
		rc = ot_gen_server_reply(from, bytes, bad);
		return ot_gs_reply(&rc, sizeof rc);
	case REQ_BAD_REPLY:
		return ot_gs_reply(bytes, bad);
	case REQ_BAD_STOP_REPLY:
		return ot_gs_stop_reply(ot_reason_normal(), bytes, bad);
	case REQ_HAND_MADE_REPLY: {
		/* bytes that outlive the callback, set by hand */
		ot_gs_ret r = ot_gs_noreply();
		r.action = OT_GS_REPLY;
		r.reply = bytes;
		r.reply_size = bad;
		return r;
	}
	default:
		return ot_gs_reply(request, size);
	}
}

static ot_gs_ret sz_cast(const void *request, size_t size, void **state)
{
	(void)request;
	(void)size;
	(void)state;
	ck_abort_msg("a cast of a size that wraps arrived");
	return ot_gs_noreply();
}

static int sz_format(void *state, char *buf, size_t size)
{
	(void)state;
	return snprintf(buf, size, "sizes");
}

static const ot_gen_server_callbacks sz_server = {
    .init = sz_init,
    .handle_call = sz_call,
    .handle_cast = sz_cast,
    .format_status = sz_format,
};

static ot_pid start_sz_server(const char *name)
{
	ot_gen_server_opts o = {.name = name};
	ot_pid pid;
	ck_assert_ot_ok(ot_gen_server_start(&sz_server, NULL, &o, &pid, NULL));
	return pid;
}

static int op_call(ot_pid server, unsigned char op, size_t bad, int *out,
		   ot_reason *why)
{
	char req[1 + sizeof bad];
	req[0] = (char)op;
	memcpy(req + 1, &bad, sizeof bad);
	size_t got = 0;
	int rc = ot_gen_server_call(server, req, sizeof req, out, sizeof *out,
				    &got, scaled_ms(5000), why);
	if (rc == 0)
		ck_assert_uint_eq(got, sizeof *out);
	return rc;
}

START_TEST(test_call_cast_sizes)
{
	ot_pid server = start_sz_server("sizes");
	char reply[16];
	size_t got = 99;
	for (size_t i = 0; i < NBAD; i++) {
		size_t bad = bad_sizes[i];
		ck_assert_ot_err(ot_gen_server_call(server, bytes, bad, reply,
						    sizeof reply, &got, 1000,
						    NULL),
				 OT_EINVAL);
		ck_assert_ot_err(ot_gen_server_call_name("sizes", bytes, bad,
							 reply, sizeof reply,
							 &got, 1000, NULL),
				 OT_EINVAL);
		ck_assert_ot_err(ot_gen_server_cast(server, bytes, bad),
				 OT_EINVAL);
		/* a capacity beyond the buffer: the reply (4 bytes) fits */
		memset(reply, 0, sizeof reply);
		ck_assert_ot_ok(ot_gen_server_call(server, "abcd", 4, reply,
						   bad, &got, scaled_ms(5000),
						   NULL));
		ck_assert_uint_eq(got, 4);
		ck_assert_mem_eq(reply, "abcd", 4);
	}
	ck_assert(ot_is_alive(server));
	assert_mailbox_empty();
	ck_assert_ot_ok(ot_gen_server_stop(server, NULL, scaled_ms(5000)));
}
END_TEST

START_TEST(test_reply_sizes)
{
	ot_pid server = start_sz_server(NULL);
	for (size_t i = 0; i < NBAD; i++) {
		int rc = 12345;
		ck_assert_ot_ok(
		    op_call(server, REQ_LATE_REPLY, bad_sizes[i], &rc, NULL));
		ck_assert_ot_err(rc, OT_EINVAL);
	}
	assert_mailbox_empty();
	ck_assert_ot_ok(ot_gen_server_stop(server, NULL, scaled_ms(5000)));
}
END_TEST

/* ot_gs_reply() / ot_gs_stop_reply() of a size that wraps, or a result
 * whose reply_size was set so by hand: the server stops with
 * {error, OT_EINVAL, ...}, the caller sees OT_ESERVERDIED. */
START_TEST(test_result_builder_sizes)
{
	const unsigned char ops[] = {REQ_BAD_REPLY, REQ_BAD_STOP_REPLY,
				     REQ_HAND_MADE_REPLY};
	for (size_t k = 0; k < sizeof ops; k++) {
		for (size_t i = 0; i < NBAD; i++) {
			ot_pid server = start_sz_server(NULL);
			ot_ref mon;
			ck_assert_ot_ok(ot_monitor(server, &mon));
			int out = 0;
			ot_reason why = {0};
			ck_assert_ot_err(
			    op_call(server, ops[k], bad_sizes[i], &out, &why),
			    OT_ESERVERDIED);
			ck_assert_int_eq(why.kind, OT_REASON_ERROR);
			ck_assert_ot_err(why.code, OT_EINVAL);
			ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
			ot_msg_free(m);
		}
	}
	assert_mailbox_empty();
}
END_TEST

START_TEST(test_get_state_capacity)
{
	ot_pid server = start_sz_server(NULL);
	for (size_t i = 0; i < NBAD; i++) {
		char buf[32];
		memset(buf, 'x', sizeof buf);
		int rc = ot_gen_server_get_state(server, buf, bad_sizes[i],
						 scaled_ms(5000));
		ck_assert_int_ge(rc, 0);
		ck_assert_str_eq(buf, "sizes");
	}
	ck_assert_ot_ok(ot_gen_server_stop(server, NULL, scaled_ms(5000)));
}
END_TEST

START_TEST(test_gen_server_stack_size)
{
	for (size_t i = 0; i < NBAD; i++) {
		ot_gen_server_opts o = {.stack_size = bad_sizes[i]};
		ot_pid pid = OT_PID_NONE;
		ck_assert_ot_err(
		    ot_gen_server_start(&sz_server, NULL, &o, &pid, NULL),
		    OT_EINVAL);
	}
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, 0);
}
END_TEST

/* ---- supervisor ------------------------------------------------------------
 */

static int g_info_rc[NBAD];

/* A simple_one_for_one child: tries ot_child_start_info() with each bad
 * size, then starts a plain server. */
static int sz_child_start(void *arg, const void *extra, size_t extra_size,
			  ot_pid *out, ot_reason *reason)
{
	(void)arg;
	(void)extra;
	(void)extra_size;
	(void)reason;
	for (size_t i = 0; i < NBAD; i++)
		g_info_rc[i] = ot_child_start_info(bytes, bad_sizes[i]);
	return ot_gen_server_start_link(&sz_server, NULL, NULL, out, NULL);
}

static const ot_child_spec sz_template = {
    .id = "t", .start = sz_child_start, .restart = OT_TEMPORARY};

static ot_pid start_simple_sup(void)
{
	ot_sup_spec spec = {.flags = {.strategy = OT_SIMPLE_ONE_FOR_ONE},
			    .children = &sz_template,
			    .nchildren = 1};
	ot_pid sup;
	ck_assert_ot_ok(ot_supervisor_start_link(&spec, NULL, &sup, NULL));
	return sup;
}

static void stop_sup(ot_pid sup)
{
	/* (a foreign thread traps exits: the link's EXIT comes) */
	ck_assert_ot_ok(ot_supervisor_stop(sup, scaled_ms(5000)));
	ot_msg *m = expect_msg(OT_TAG_EXIT, 5000);
	ot_msg_free(m);
}

START_TEST(test_start_child_extra_sizes)
{
	ot_pid sup = start_simple_sup();
	for (size_t i = 0; i < NBAD; i++) {
		ot_pid child = OT_PID_NONE;
		ck_assert_ot_err(ot_supervisor_start_child_extra(
				     sup, bytes, bad_sizes[i], &child, NULL),
				 OT_EINVAL);
		ot_start_info info;
		ck_assert_ot_err(
		    ot_supervisor_start_child_extra_info(
			sup, bytes, bad_sizes[i], &child, &info, NULL),
		    OT_EINVAL);
	}
	size_t total = 99;
	ck_assert_int_eq(ot_supervisor_which_children(sup, NULL, 0, &total), 0);
	ck_assert_uint_eq(total, 0);
	stop_sup(sup);
}
END_TEST

START_TEST(test_child_start_info_sizes)
{
	ot_pid sup = start_simple_sup();
	ot_pid child;
	ot_start_info info;
	ck_assert_ot_ok(ot_supervisor_start_child_extra_info(
	    sup, NULL, 0, &child, &info, NULL));
	for (size_t i = 0; i < NBAD; i++)
		ck_assert_ot_err(g_info_rc[i], OT_ETOOBIG);
	ck_assert_uint_eq(info.size, 0);
	/* and outside a start function */
	ck_assert_ot_err(ot_child_start_info(bytes, SIZE_MAX), OT_ETOOBIG);
	stop_sup(sup);
}
END_TEST

START_TEST(test_which_children_capacity)
{
	ot_pid sup = start_simple_sup();
	ot_pid child;
	ck_assert_ot_ok(
	    ot_supervisor_start_child_extra(sup, NULL, 0, &child, NULL));
	for (size_t i = 0; i < NBAD; i++) {
		ot_child_info out[4];
		size_t total = 0;
		ck_assert_int_eq(ot_supervisor_which_children(
				     sup, out, bad_sizes[i], &total),
				 1);
		ck_assert_uint_eq(total, 1);
		ck_assert(ot_pid_equal(out[0].pid, child));
	}
	stop_sup(sup);
}
END_TEST

/* ot_sup_spec.nchildren: a count no array can have is refused before a
 * child is read. The one real child lies at the end of a page followed by
 * an inaccessible one, so reading past it faults. */
START_TEST(test_spec_nchildren)
{
	long page = sysconf(_SC_PAGESIZE);
	char *map = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	ck_assert_int_eq(mprotect(map + page, (size_t)page, PROT_NONE), 0);
	ot_child_spec *one =
	    (ot_child_spec *)(map + page - sizeof(ot_child_spec));
	*one = (ot_child_spec){.id = "a", .start = sz_child_start};
	const ot_sup_strategy strategies[] = {
	    OT_ONE_FOR_ONE, OT_ONE_FOR_ALL, OT_REST_FOR_ONE,
	    OT_SIMPLE_ONE_FOR_ONE, OT_SUP_DYNAMIC};
	for (size_t s = 0; s < sizeof strategies / sizeof strategies[0]; s++) {
		for (size_t i = 0; i < NBAD; i++) {
			ot_sup_spec spec = {
			    .flags = {.strategy = strategies[s]},
			    .children = one,
			    .nchildren = bad_sizes[i]};
			ot_pid sup = OT_PID_NONE;
			ot_reason why;
			int rc =
			    ot_supervisor_start_link(&spec, NULL, &sup, &why);
			ck_assert_msg(rc == OT_EBADSPEC || rc == OT_EINVAL,
				      "start_link returned %s",
				      ot_err_name(rc));
		}
	}
	munmap(map, 2 * (size_t)page);
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_uint_eq(st.spawned, 0);
}
END_TEST

static int init_children_bad(void *arg, ot_sup_init *init, ot_reason *reason)
{
	(void)reason;
	int *rc = arg;
	ot_child_spec one = {.id = "a", .start = sz_child_start};
	for (size_t i = 0; i < NBAD; i++)
		rc[i] = ot_sup_init_children(init, &one, bad_sizes[i]);
	return 0;
}

START_TEST(test_init_children_count)
{
	static int rc[NBAD];
	ot_pid sup = OT_PID_NONE;
	int start = ot_supervisor_start_link_init(init_children_bad, rc, NULL,
						  &sup, NULL);
	for (size_t i = 0; i < NBAD; i++)
		ck_assert_ot_err(rc[i], OT_EINVAL);
	/* the init saw its children refused: the start fails */
	ck_assert_msg(start == OT_EBADSPEC || start == OT_EINVAL ||
			  start == OT_EINITSTOP,
		      "start returned %s", ot_err_name(start));
	ck_assert(!ot_is_alive(sup));
}
END_TEST

static Suite *sizes_suite(void)
{
	Suite *s = suite_create("sizes");

	TCase *tc = ot_test_tcase("proc", 20);
	tcase_add_test(tc, test_send);
	tcase_add_test(tc, test_send_owned);
	tcase_add_test(tc, test_spawn_stack_size);
	tcase_add_test(tc, test_reason_payload_sizes);
	suite_add_tcase(s, tc);

	tc = tcase_create("start");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_start_config_sizes);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("io", 20);
	tcase_add_test(tc, test_read_write);
	tcase_add_test(tc, test_format_capacities);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("gen_server", 30);
	tcase_add_test(tc, test_call_cast_sizes);
	tcase_add_test(tc, test_reply_sizes);
	tcase_add_test(tc, test_result_builder_sizes);
	tcase_add_test(tc, test_get_state_capacity);
	tcase_add_test(tc, test_gen_server_stack_size);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("supervisor", 30);
	tcase_add_test(tc, test_start_child_extra_sizes);
	tcase_add_test(tc, test_child_start_info_sizes);
	tcase_add_test(tc, test_which_children_capacity);
	tcase_add_test(tc, test_spec_nchildren);
	tcase_add_test(tc, test_init_children_count);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(sizes_suite());
}
