/* SPDX-License-Identifier: MIT */
/*
 * test_report.c — the records behind a server's reports (report.c), as
 * a logger installed with ot_set_report_logger() gets them: the error
 * report of a server that crashed is an OT_REPORT_SERVER error about the
 * server, by its name, with its reason; the warning for a message that
 * no handle_info takes is an OT_REPORT_SERVER warning without a reason.
 * (The texts themselves are test_gen_server.c's and test_callbacks.c's.)
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "faults.h"
#include "gs_test.h"

enum { OP_CRASH = 1 };
enum { T_STRAY = 1000 };

static ot_gs_ret r_init(void *arg, void **state)
{
	(void)arg;
	*state = NULL;
	return ot_gs_ok();
}

static ot_gs_ret r_cast(const void *request, size_t size, void **state)
{
	(void)size;
	(void)state;
	if (*(const int *)request == OP_CRASH)
		do_fault(F_DIV_ZERO);
	return ot_gs_noreply();
}

/* No handle_info: a stray message is logged and dropped. */
static const ot_gen_server_callbacks r_cb = {
    .init = r_init,
    .handle_cast = r_cast,
};

/* ---- a logger of records ------------------------------------------------- */

struct seen {
	ot_severity severity;
	ot_pid pid;
	char name[OT_NAME_MAX + 1];
	bool has_reason;
	ot_reason reason;
};

#define KEEP 16
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static struct seen g_seen[KEEP];
static int g_nseen;

static void keep_record(const ot_report *r, void *arg)
{
	(void)arg;
	if (r->kind != OT_REPORT_SERVER)
		return; /* the crash report of the process is not ours */
	pthread_mutex_lock(&g_mu);
	if (g_nseen < KEEP) {
		struct seen *s = &g_seen[g_nseen++];
		s->severity = r->severity;
		s->pid = r->pid;
		snprintf(s->name, sizeof s->name, "%s", r->name);
		s->has_reason = r->reason != NULL;
		if (r->reason)
			s->reason = *r->reason;
	}
	pthread_mutex_unlock(&g_mu);
}

/* Waits (up to 3 s, scaled) for the first server record. */
static struct seen expect_record(const char *what)
{
	int64_t deadline = ot_monotonic_ms() + scaled_ms(3000);
	for (;;) {
		pthread_mutex_lock(&g_mu);
		int n = g_nseen;
		struct seen s = g_seen[0];
		pthread_mutex_unlock(&g_mu);
		if (n > 0)
			return s;
		ck_assert_msg(ot_monotonic_ms() < deadline,
			      "%s: no OT_REPORT_SERVER record", what);
		ot_sleep(2);
	}
}

static ot_pid start_named(const char *name)
{
	ot_gen_server_opts o = {.name = name};
	g_nseen = 0;
	ck_assert_ot_ok(ot_set_report_logger(keep_record, NULL));
	return gs_start_opts(&r_cb, NULL, &o);
}

/* ---- the tests ----------------------------------------------------------- */

START_TEST(test_crash_is_a_server_error)
{
	ot_pid srv = start_named("rec_server");
	ot_ref ref = ot_test_monitor(srv);
	int op = OP_CRASH;
	ck_assert_ot_ok(ot_gen_server_cast(srv, &op, sizeof op));
	ot_reason down =
	    ot_test_expect_down(ref, 3000, "a crash in handle_cast").reason;
	gs_assert_kind(&down, OT_REASON_CRASH, "the DOWN");
	struct seen s = expect_record("a crash in handle_cast");
	ot_set_report_logger(NULL, NULL);
	ck_assert_int_eq(s.severity, OT_LOG_ERROR);
	ck_assert(ot_pid_equal(s.pid, srv));
	ck_assert_str_eq(s.name, "rec_server");
	ck_assert(s.has_reason);
	ck_assert(ot_reason_equal(&s.reason, &down));
}
END_TEST

/* gen_server's default handle_info logs a warning (OTP: ?LOG_WARNING). */
START_TEST(test_stray_info_is_a_server_warning)
{
	ot_pid srv = start_named("rec_stray");
	ck_assert_ot_ok(ot_send(srv, T_STRAY, "x", 1));
	struct seen s = expect_record("a message without handle_info");
	ot_set_report_logger(NULL, NULL);
	ck_assert_int_eq(s.severity, OT_LOG_WARNING);
	ck_assert(ot_pid_equal(s.pid, srv));
	ck_assert_str_eq(s.name, "rec_stray");
	ck_assert(!s.has_reason);
	ck_assert(ot_is_alive(srv));
	ck_assert_ot_ok(ot_gen_server_stop(srv, NULL, scaled_ms(3000)));
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("gen_server_report");
	TCase *tc = gs_crash_tcase("crash_records", 15);
	tcase_add_test(tc, test_crash_is_a_server_error);
	suite_add_tcase(s, tc);
	tc = gs_tcase("records", 15);
	tcase_add_test(tc, test_stray_info_is_a_server_warning);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(report_suite());
}
