/* SPDX-License-Identifier: MIT */
/*
 * test_version.c — the version: the macros of otter/version.h agree with
 * each other and with AC_INIT (PACKAGE_VERSION in config.h), and
 * ot_version() / ot_version_number() return them from anywhere — without
 * a runtime, inside a process, on a foreign thread — at any time.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

/* The version number is usable in #if, as the header promises. */
#if !defined(OTTER_VERSION_NUMBER) || OTTER_VERSION_NUMBER < 0
#error "OTTER_VERSION_NUMBER does not work in #if"
#endif

START_TEST(test_macros_agree_with_ac_init)
{
	char parts[32];
	snprintf(parts, sizeof(parts), "%d.%d.%d", OTTER_VERSION_MAJOR,
		 OTTER_VERSION_MINOR, OTTER_VERSION_PATCH);
	ck_assert_str_eq(parts, OTTER_VERSION_STRING);
	ck_assert_str_eq(OTTER_VERSION_STRING, PACKAGE_VERSION);
	ck_assert_int_ge(OTTER_VERSION_MINOR, 0);
	ck_assert_int_lt(OTTER_VERSION_MINOR, 256);
	ck_assert_int_ge(OTTER_VERSION_PATCH, 0);
	ck_assert_int_lt(OTTER_VERSION_PATCH, 256);
	/* (major << 16) | (minor << 8) | patch, so it orders releases */
	ck_assert_uint_eq(OTTER_VERSION_NUMBER >> 16, OTTER_VERSION_MAJOR);
	ck_assert_uint_eq((OTTER_VERSION_NUMBER >> 8) & 0xff,
			  OTTER_VERSION_MINOR);
	ck_assert_uint_eq(OTTER_VERSION_NUMBER & 0xff, OTTER_VERSION_PATCH);
}
END_TEST

/* Without a runtime: a static string, the same every time. */
START_TEST(test_version_without_runtime)
{
	ck_assert(!ot_running());
	const char *v = ot_version();
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, OTTER_VERSION_STRING);
	ck_assert_ptr_eq(ot_version(), v);
	ck_assert_uint_eq(ot_version_number(), OTTER_VERSION_NUMBER);
}
END_TEST

/* Inside a process: it reports what it got to the test's thread. */
enum { TAG_VERSION = 1 };

static void ask_version(void *arg)
{
	ot_pid parent = *(const ot_pid *)arg;
	const char *v = ot_version();
	int ok = v != NULL && strcmp(v, OTTER_VERSION_STRING) == 0 &&
		 ot_version_number() == OTTER_VERSION_NUMBER;
	ot_send(parent, TAG_VERSION, &ok, sizeof(ok));
}

START_TEST(test_version_in_a_process)
{
	ot_pid me = ot_self();
	ck_assert_ot_ok(ot_spawn(ask_version, &me, NULL, NULL));
	ot_msg *m = expect_msg(TAG_VERSION, 2000);
	ck_assert_uint_eq(ot_msg_size(m), sizeof(int));
	ck_assert_int_eq(*(const int *)ot_msg_data(m), 1);
	ot_msg_free(m);
}
END_TEST

/* On threads of the program's own, while the runtime runs, all at once. */
static void *version_thread(void *arg)
{
	int *ok = arg;
	*ok = 1;
	for (int i = 0; i < 10000; i++)
		if (strcmp(ot_version(), OTTER_VERSION_STRING) != 0 ||
		    ot_version_number() != OTTER_VERSION_NUMBER)
			*ok = 0;
	return NULL;
}

START_TEST(test_version_on_foreign_threads)
{
	pthread_t th[4];
	int ok[4] = {0};
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(
		    pthread_create(&th[i], NULL, version_thread, &ok[i]), 0);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
		ck_assert_msg(ok[i], "thread %d saw another version", i);
	}
}
END_TEST

static Suite *version_suite(void)
{
	Suite *s = suite_create("version");

	TCase *tc = tcase_create("macros");
	tcase_set_timeout(tc, 5);
	tcase_add_test(tc, test_macros_agree_with_ac_init);
	tcase_add_test(tc, test_version_without_runtime);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("running", 10);
	tcase_add_test(tc, test_version_in_a_process);
	tcase_add_test(tc, test_version_on_foreign_threads);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(version_suite());
}
