/* SPDX-License-Identifier: MIT */
/*
 * fixture.c — the shared Check fixture: every test starts the runtime in
 * its own forked process, and ends by proving that what it spawned has
 * ended and what it held was given back.
 */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif
#include <time.h>

#include "fixture.h"

void ot_test_setup_with(const ot_config *cfg)
{
	ck_assert_ot_ok(ot_start(cfg));
}

void ot_test_setup(void)
{
	ot_config cfg = {.schedulers = 2};
	ot_test_setup_with(&cfg);
}

void ot_test_setup_one(void)
{
	ot_config cfg = {.schedulers = 1};
	ot_test_setup_with(&cfg);
}

bool ot_test_wait_quiet(int timeout_ms)
{
	int64_t deadline = ot_monotonic_ms() + timeout_ms;
	for (;;) {
		ot_stats st;
		if (ot_runtime_stats(&st) != 0)
			return true;
		if (st.processes == 0)
			return true;
		if (ot_monotonic_ms() > deadline)
			return false;
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

void ot_test_teardown(void)
{
	if (!ot_running())
		return; /* the test shut the runtime down itself */
	ck_assert_msg(ot_test_wait_quiet(5000),
		      "processes still alive 5 s after the test");
	ot_stats st;
	ck_assert_ot_ok(ot_runtime_stats(&st));
	ck_assert_msg(st.stacks_in_use == 0, "%zu stacks leaked",
		      st.stacks_in_use);
	ck_assert_msg(st.timers == 0, "%zu timers leaked", st.timers);
	ck_assert_msg(st.names == 0, "%zu names leaked", st.names);
	ck_assert_ot_ok(ot_thread_detach());
	ck_assert_ot_ok(ot_shutdown());
	ck_assert(!ot_running());
}

size_t ot_test_scaled(size_t n)
{
#ifdef OT__TSAN
	return n > 2000 ? 2000 : n;
#endif
#ifdef RUNNING_ON_VALGRIND
	/* valgrind tracks at most a few tens of thousands of mappings. */
	if (RUNNING_ON_VALGRIND && n > 10000)
		return 10000;
#endif
	return n;
}

bool ot_test_under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	return RUNNING_ON_VALGRIND != 0;
#else
	return false;
#endif
}

TCase *ot_test_tcase(const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);
	tcase_add_checked_fixture(tc, ot_test_setup, ot_test_teardown);
	tcase_set_timeout(tc, timeout_s);
	return tc;
}

int ot_test_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

double tmul(void)
{
	const char *s = getenv("CK_TIMEOUT_MULTIPLIER");
	double m = s ? atof(s) : 1.0;
	return m >= 1.0 ? m : 1.0;
}

int scaled_ms(int ms)
{
	return (int)(ms * tmul());
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double now_msf(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

ot_msg *expect_msg(uint64_t want, int timeout_ms)
{
	ot_msg *m = NULL;
	int rc = ot_receive(&m, (int)(timeout_ms * tmul()));
	ck_assert_msg(rc == 0, "waiting for tag %llu: %s",
		      (unsigned long long)want, ot_err_name(rc));
	ck_assert_msg(ot_msg_tag(m) == want, "got tag %llu, want %llu",
		      (unsigned long long)ot_msg_tag(m),
		      (unsigned long long)want);
	return m;
}

int64_t msg_i64(const ot_msg *m)
{
	int64_t v;
	ck_assert_uint_eq(ot_msg_size(m), sizeof(v));
	memcpy(&v, ot_msg_data(m), sizeof(v));
	return v;
}

void send_i64(ot_pid to, uint64_t tag, int64_t v)
{
	ot_send(to, tag, &v, sizeof(v));
}

ot_pid ot_test_spawn(ot_proc_fn fn, void *arg)
{
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(fn, arg, NULL, &p));
	return p;
}

void ot_test_idle(void *arg)
{
	(void)arg;
	ot_msg *m;
	while (ot_receive(&m, OT_INFINITY) == 0)
		ot_msg_free(m);
}

int ot_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the DIR's own */
}
