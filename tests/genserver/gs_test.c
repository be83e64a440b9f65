/* SPDX-License-Identifier: MIT */
/*
 * gs_test.c — the helpers of gs_test.h.
 */
#include "config.h"

#include <sys/mman.h>

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "gs_test.h"

ot_pid gs_test_pid;

/* ---- events -------------------------------------------------------------- */

void gs_event(uint64_t tag, int64_t n, const ot_reason *reason)
{
	struct gs_ev e;
	memset(&e, 0, sizeof e);
	e.from = ot_self();
	e.n = n;
	if (reason)
		e.reason = *reason;
	ot_send(gs_test_pid, tag, &e, sizeof e);
}

static bool is_tag(const ot_msg *m, void *arg)
{
	return ot_msg_tag(m) == *(const uint64_t *)arg;
}

struct gs_ev gs_expect_event(uint64_t tag, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(is_tag, &tag, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "%s: no event %llu: %s", what,
		      (unsigned long long)tag, ot_err_name(rc));
	struct gs_ev e;
	ck_assert_uint_eq(ot_msg_size(m), sizeof e);
	memcpy(&e, ot_msg_data(m), sizeof e);
	ot_msg_free(m);
	return e;
}

void gs_expect_no_event(uint64_t tag, int ms, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(is_tag, &tag, &m, ms);
	if (rc == 0) {
		ot_msg_free(m);
		ck_abort_msg("%s: unexpected event %llu", what,
			     (unsigned long long)tag);
	}
}

/* ---- servers ------------------------------------------------------------- */

ot_pid gs_start_opts(const ot_gen_server_callbacks *cb, void *arg,
		     const ot_gen_server_opts *opts)
{
	ot_pid pid = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof why);
	int rc = ot_gen_server_start(cb, arg, opts, &pid, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof text);
	ck_assert_msg(rc == 0, "start: %s (%s)", ot_err_name(rc), text);
	return pid;
}

ot_pid gs_start(const ot_gen_server_callbacks *cb, void *arg)
{
	return gs_start_opts(cb, arg, NULL);
}

ot_ref gs_monitor(ot_pid pid)
{
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(pid, &ref));
	return ref;
}

static bool is_down(const ot_msg *m, void *arg)
{
	const ot_down_info *d = ot_msg_down(m);
	return d && d->ref.id == ((const ot_ref *)arg)->id;
}

ot_reason gs_expect_down(ot_ref ref, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(is_down, &ref, &m, scaled_ms(3000));
	ck_assert_msg(rc == 0, "%s: no DOWN: %s", what, ot_err_name(rc));
	ot_reason r = ot_msg_down(m)->reason;
	ot_msg_free(m);
	return r;
}

long gs_resident(uintptr_t lo, uintptr_t hi)
{
	long page = sysconf(_SC_PAGESIZE);
	lo = (lo + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
	hi &= ~((uintptr_t)page - 1);
	if (hi <= lo)
		return 0;
	size_t pages = (hi - lo) / (size_t)page;
	unsigned char *vec = malloc(pages);
	ck_assert(vec);
	ck_assert_int_eq(mincore((void *)lo, hi - lo, vec), 0);
	long n = 0;
	for (size_t i = 0; i < pages; i++)
		n += vec[i] & 1;
	free(vec);
	return n * page;
}

/* ---- reports ------------------------------------------------------------- */

#define KEEP 16
#define SIZE 8192

static pthread_mutex_t reports_mu = PTHREAD_MUTEX_INITIALIZER;
static int nreports;
static char reports[KEEP][SIZE];

static void keep_report(const char *report, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&reports_mu);
	snprintf(reports[nreports % KEEP], SIZE, "%s", report);
	nreports++;
	pthread_mutex_unlock(&reports_mu);
}

int gs_nreports(void)
{
	pthread_mutex_lock(&reports_mu);
	int n = nreports;
	pthread_mutex_unlock(&reports_mu);
	return n;
}

bool gs_reports_contain(const char *text)
{
	bool found = false;
	pthread_mutex_lock(&reports_mu);
	int n = nreports < KEEP ? nreports : KEEP;
	for (int i = 0; i < n && !found; i++)
		found = strstr(reports[i], text) != NULL;
	pthread_mutex_unlock(&reports_mu);
	return found;
}

bool gs_wait_report(const char *text)
{
	int64_t deadline = now_ms() + scaled_ms(2000);
	while (!gs_reports_contain(text) && now_ms() < deadline)
		ot_sleep(2);
	return gs_reports_contain(text);
}

static void gs_setup(void)
{
	pthread_mutex_lock(&reports_mu);
	nreports = 0;
	pthread_mutex_unlock(&reports_mu);
	ck_assert_ot_ok(ot_set_logger(keep_report, NULL));
	gs_test_pid = ot_self();
}

TCase *gs_tcase(const char *name, double timeout_s)
{
	TCase *tc = ot_test_tcase(name, timeout_s);
	tcase_add_checked_fixture(tc, gs_setup, NULL);
	return tc;
}

TCase *gs_tcase_one(const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, ot_test_setup_one, ot_test_teardown);
	tcase_add_checked_fixture(tc, gs_setup, NULL);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

TCase *gs_crash_tcase(const char *name, double timeout_s)
{
	TCase *tc = gs_tcase(name, timeout_s);
	tcase_set_tags(tc, "crash");
	return tc;
}
