/* SPDX-License-Identifier: MIT */
/*
 * test_error.c — the error list (names and sentences generated from one
 * X-macro) and the printed form of pids.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"

/* The list as the header defines it, turned into tables the test walks. */
static const struct {
	int code;
	const char *name;
	const char *text;
} codes[] = {
#define ROW_(name, value, text) {OT_##name, "OT_" #name, text},
    OT_ERRNO_MAP(ROW_)
#undef ROW_
};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

START_TEST(test_every_code_has_its_name_and_text)
{
	ck_assert_uint_ge(NCODES, 17);
	for (size_t i = 0; i < NCODES; i++) {
		ck_assert_int_lt(codes[i].code, 0);
		ck_assert_str_eq(ot_err_name(codes[i].code), codes[i].name);
		ck_assert_str_eq(ot_strerror(codes[i].code), codes[i].text);
		ck_assert_str_ne(ot_strerror(codes[i].code), "unknown error");
		ck_assert_str_ne(ot_err_name(codes[i].code), "OT_UNKNOWN");
		ck_assert_uint_gt(strlen(codes[i].text), 0);
	}
}
END_TEST

START_TEST(test_codes_names_and_texts_are_distinct)
{
	for (size_t i = 0; i < NCODES; i++) {
		for (size_t j = i + 1; j < NCODES; j++) {
			ck_assert_int_ne(codes[i].code, codes[j].code);
			ck_assert_str_ne(ot_err_name(codes[i].code),
					 ot_err_name(codes[j].code));
			ck_assert_str_ne(ot_strerror(codes[i].code),
					 ot_strerror(codes[j].code));
		}
	}
}
END_TEST

/* Values are ABI: the first ones are pinned, and the list has no holes. */
START_TEST(test_values_are_stable)
{
	ck_assert_int_eq(OT_EINVAL, -1);
	ck_assert_int_eq(OT_ENOMEM, -2);
	ck_assert_int_eq(OT_ETIMEDOUT, -6);
	ck_assert_int_eq(OT_ELIMIT, -15);
	ck_assert_int_eq(OT_EKILLED, -17);
	/* the asynchronous calls' codes (otter/gen_server_client.h) */
	ck_assert_int_eq(OT_ENOREQUEST, -34);
	ck_assert_int_eq(OT_ENOREPLY, -35);
	ck_assert_str_eq(ot_err_name(OT_ENOREQUEST), "OT_ENOREQUEST");
	ck_assert_str_eq(ot_strerror(OT_ENOREQUEST), "no such request");
	ck_assert_str_eq(ot_err_name(OT_ENOREPLY), "OT_ENOREPLY");
	ck_assert_str_eq(ot_strerror(OT_ENOREPLY), "no reply yet");
	/* the term API's codes (otter/term.h) */
	ck_assert_int_eq(OT_EBADTERM, -36);
	ck_assert_int_eq(OT_ENOMATCH, -37);
	ck_assert_str_eq(ot_err_name(OT_EBADTERM), "OT_EBADTERM");
	ck_assert_str_eq(ot_err_name(OT_ENOMATCH), "OT_ENOMATCH");
	/* get_state on a process that runs no behaviour (otter/info.h) */
	ck_assert_int_eq(OT_ENOTSERVER, -38);
	ck_assert_str_eq(ot_err_name(OT_ENOTSERVER), "OT_ENOTSERVER");
	for (size_t i = 0; i < NCODES; i++)
		ck_assert_int_eq(codes[i].code, -(int)(i + 1));
}
END_TEST

START_TEST(test_unknown_codes)
{
	/* 0 is not an error, and says so (it was "OT_UNKNOWN") */
	ck_assert_str_eq(ot_err_name(0), "OT_OK");
	ck_assert_str_eq(ot_strerror(0), "success");
	const int unknown[] = {
	    1, 2, 17, 100, INT_MAX, -100, -1000, INT_MIN, -(int)NCODES - 1,
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		const char *t = ot_strerror(unknown[i]);
		const char *n = ot_err_name(unknown[i]);
		ck_assert_ptr_nonnull(t);
		ck_assert_ptr_nonnull(n);
		ck_assert_msg(strcmp(t, "unknown error") == 0,
			      "ot_strerror(%d) = \"%s\"", unknown[i], t);
		ck_assert_msg(strcmp(n, "OT_UNKNOWN") == 0,
			      "ot_err_name(%d) = \"%s\"", unknown[i], n);
	}
}
END_TEST

/* ---- System errors: codes that carry their errno ------------------------- */

START_TEST(test_sys_codes_carry_errno)
{
	ck_assert_int_eq(OT_ESYS_ERRNO(ECONNREFUSED), -1000 - ECONNREFUSED);
	const int errs[] = {
	    1, EBADF, EPIPE, ECONNREFUSED, EMFILE, 133, OT_ESYS_ERRNO_MAX};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		int code = OT_ESYS_ERRNO(errs[i]);
		ck_assert(ot_err_is_sys(code));
		ck_assert_int_eq(ot_err_errno(code), errs[i]);
		/* apart from otter's own codes */
		for (size_t j = 0; j < NCODES; j++)
			ck_assert_int_ne(code, codes[j].code);
	}
	/* the plain OT_ESYS: a system error without its errno */
	ck_assert(ot_err_is_sys(OT_ESYS));
	ck_assert_int_eq(ot_err_errno(OT_ESYS), 0);
	/* nothing else is one */
	const int not_sys[] = {0,
			       1,
			       OT_EINVAL,
			       OT_ETIMEDOUT,
			       OT_ESYS_BASE,
			       OT_ESYS_BASE + 1,
			       OT_ESYS_ERRNO(OT_ESYS_ERRNO_MAX + 1),
			       INT_MIN,
			       INT_MAX,
			       -(int)NCODES - 1};
	for (size_t i = 0; i < sizeof not_sys / sizeof not_sys[0]; i++) {
		ck_assert_msg(!ot_err_is_sys(not_sys[i]), "%d", not_sys[i]);
		ck_assert_int_eq(ot_err_errno(not_sys[i]), 0);
	}
}
END_TEST

START_TEST(test_sys_names_and_texts)
{
	ck_assert_str_eq(ot_err_name(OT_ESYS_ERRNO(ECONNREFUSED)),
			 "OT_ESYS(ECONNREFUSED)");
	ck_assert_str_eq(ot_err_name(OT_ESYS_ERRNO(EPIPE)), "OT_ESYS(EPIPE)");
	ck_assert_str_eq(ot_err_name(OT_ESYS), "OT_ESYS");
	/* the system's text, as strerror() gives it */
	ck_assert_str_eq(ot_strerror(OT_ESYS_ERRNO(ECONNREFUSED)),
			 strerror(ECONNREFUSED));
	ck_assert_str_eq(ot_strerror(OT_ESYS_ERRNO(ENOENT)), strerror(ENOENT));
	ck_assert_str_eq(ot_strerror(OT_ESYS), "a system call failed");
	/* an errno without a name: a number, or plain OT_ESYS above 255 */
	ck_assert_str_eq(ot_err_name(OT_ESYS_ERRNO(200)), "OT_ESYS(200)");
	ck_assert_str_eq(ot_err_name(OT_ESYS_ERRNO(OT_ESYS_ERRNO_MAX)),
			 "OT_ESYS");
	ck_assert_str_eq(ot_strerror(OT_ESYS_ERRNO(OT_ESYS_ERRNO_MAX)),
			 "unknown system error");
	/* every errno has a name and a text, the names distinct */
	for (int e = 1; e <= 300; e++) {
		const char *n = ot_err_name(OT_ESYS_ERRNO(e));
		const char *t = ot_strerror(OT_ESYS_ERRNO(e));
		ck_assert_ptr_nonnull(n);
		ck_assert_ptr_nonnull(t);
		ck_assert_uint_gt(strlen(t), 0);
		ck_assert(strncmp(n, "OT_ESYS", 7) == 0);
		if (e < 256 && e > 1)
			ck_assert_str_ne(n, ot_err_name(OT_ESYS_ERRNO(e - 1)));
	}
}
END_TEST

/* Names are built once and never move: a pointer stays good, from any
 * thread, however many threads ask at once. */
static void *names_from_a_thread(void *arg)
{
	const char **seen = arg;
	for (int e = 1; e < 256; e++)
		seen[e] = ot_err_name(OT_ESYS_ERRNO(e));
	return NULL;
}

START_TEST(test_sys_names_are_shared_and_stable)
{
	enum { NTHREADS = 4 };
	static const char *seen[NTHREADS][256];
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(
		    pthread_create(&t[i], NULL, names_from_a_thread, seen[i]),
		    0);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	for (int e = 1; e < 256; e++)
		for (int i = 0; i < NTHREADS; i++)
			ck_assert_ptr_eq(seen[i][e], seen[0][e]);
	ck_assert_str_eq(seen[2][EBADF], "OT_ESYS(EBADF)");
}
END_TEST

/* ---- ot_pid_format ------------------------------------------------------- */

/* Parses "<0.A.B>" exactly (nothing before or after), or "<?.A.B>" (a
 * pid with OT_PID_REMOTE_BIT, and no node to name it); true on success. */
static bool parse_pid_text(const char *s, unsigned long long *a,
			   unsigned long long *b)
{
	int end = -1;
	if (sscanf(s, "<0.%llu.%llu>%n", a, b, &end) != 2 &&
	    sscanf(s, "<?.%llu.%llu>%n", a, b, &end) != 2)
		return false;
	if (end < 0)
		return false;
	if ((size_t)end != strlen(s))
		return false;
	/* sscanf accepts "+1" and " 1": the text must be plain digits */
	for (const char *p = s + 3; *p != '>'; p++)
		if (!(*p == '.' || (*p >= '0' && *p <= '9')))
			return false;
	return *a <= UINT32_MAX && *b <= UINT32_MAX;
}

static const uint64_t sample_ids[] = {
    0,
    1,
    2,
    0xffffffffULL,
    0x100000000ULL,
    0x100000001ULL,
    ((uint64_t)7 << 32) | 123456789u,
    ((uint64_t)123456789 << 32) | 7u,
    0x8000000000000000ULL,
    UINT64_MAX - 1,
    UINT64_MAX,
};
#define NSAMPLES (sizeof(sample_ids) / sizeof(sample_ids[0]))

START_TEST(test_pid_format_shape)
{
	ck_assert(!ot_running()); /* works without a runtime */
	char texts[NSAMPLES][64];
	for (size_t i = 0; i < NSAMPLES; i++) {
		ot_pid pid = {sample_ids[i]};
		char buf[64];
		memset(buf, 'X', sizeof(buf));
		int n = ot_pid_format(pid, buf, sizeof(buf));
		ck_assert_int_gt(n, 0);
		ck_assert_int_eq((size_t)n, strlen(buf));
		ck_assert_int_lt(n, OT_PID_STRLEN);
		unsigned long long a, b;
		ck_assert_msg(parse_pid_text(buf, &a, &b),
			      "pid %#llx printed as \"%s\"",
			      (unsigned long long)sample_ids[i], buf);
		strcpy(texts[i], buf);
	}
	/* Distinct pids print distinctly. */
	for (size_t i = 0; i < NSAMPLES; i++)
		for (size_t j = i + 1; j < NSAMPLES; j++)
			ck_assert_msg(strcmp(texts[i], texts[j]) != 0,
				      "%#llx and %#llx both print as %s",
				      (unsigned long long)sample_ids[i],
				      (unsigned long long)sample_ids[j],
				      texts[i]);
}
END_TEST

/* The longest text fits OT_PID_STRLEN. */
START_TEST(test_pid_format_longest)
{
	char buf[OT_PID_STRLEN];
	int n = ot_pid_format((ot_pid){UINT64_MAX}, buf, sizeof(buf));
	ck_assert_int_le(n, OT_PID_STRLEN - 1);
	ck_assert_int_eq((size_t)n, strlen(buf));
	/* index and generation are 32 bits each: both all ones, and the
	 * index's top bit makes it a remote pid (no node: "?") */
	ck_assert_str_eq(buf, "<?.2147483647.4294967295>");
	ck_assert_int_eq(
	    ot_pid_format((ot_pid){UINT64_MAX >> 1}, buf, sizeof(buf)),
	    (int)strlen("<0.4294967295.2147483647>"));
}
END_TEST

START_TEST(test_pid_format_halves)
{
	/* index and generation are the two 32-bit halves, in some order */
	char buf[OT_PID_STRLEN];
	ot_pid_format((ot_pid){((uint64_t)7 << 32) | 123456789u}, buf,
		      sizeof(buf));
	ck_assert_msg(strcmp(buf, "<0.7.123456789>") == 0 ||
			  strcmp(buf, "<0.123456789.7>") == 0,
		      "got %s", buf);
}
END_TEST

START_TEST(test_pid_format_truncates)
{
	ot_pid pid = {UINT64_MAX - 1};
	char full[64];
	int len = ot_pid_format(pid, full, sizeof(full));
	ck_assert_int_gt(len, 6);
	for (size_t size = 1; size <= (size_t)len + 2; size++) {
		char buf[64];
		memset(buf, 'X', sizeof(buf));
		ck_assert_int_eq(ot_pid_format(pid, buf, size), len);
		size_t want = size - 1 < (size_t)len ? size - 1 : (size_t)len;
		ck_assert_msg(buf[want] == '\0', "size %zu: no NUL at %zu",
			      size, want);
		ck_assert_msg(memcmp(buf, full, want) == 0,
			      "size %zu: prefix differs", size);
		for (size_t k = want + 1; k < sizeof(buf); k++)
			ck_assert_msg(buf[k] == 'X',
				      "size %zu: byte %zu written", size, k);
	}
}
END_TEST

START_TEST(test_pid_format_null_and_zero)
{
	ot_pid pid = {0x100000001ULL};
	char full[64];
	int len = ot_pid_format(pid, full, sizeof(full));
	ck_assert_int_gt(len, 0);
	/* size 0: nothing written, length still reported */
	ck_assert_int_eq(ot_pid_format(pid, NULL, 0), len);
	char buf[8] = "XXXXXXX";
	ck_assert_int_eq(ot_pid_format(pid, buf, 0), len);
	ck_assert_str_eq(buf, "XXXXXXX");
	/* NULL with a size is an error */
	ck_assert_ot_err(ot_pid_format(pid, NULL, 1), OT_EINVAL);
	ck_assert_ot_err(ot_pid_format(pid, NULL, 64), OT_EINVAL);
}
END_TEST

/* Pids of real processes print as <0.N.M>, each differently. */
static void idle(void *arg)
{
	(void)arg;
}

START_TEST(test_pid_format_live_pids)
{
	char texts[8][OT_PID_STRLEN];
	for (int i = 0; i < 8; i++) {
		ot_pid pid;
		ck_assert_ot_ok(ot_spawn(idle, NULL, NULL, &pid));
		int n = ot_pid_format(pid, texts[i], sizeof(texts[i]));
		ck_assert_int_eq((size_t)n, strlen(texts[i]));
		unsigned long long a, b;
		ck_assert_msg(parse_pid_text(texts[i], &a, &b), "got \"%s\"",
			      texts[i]);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(texts[i], texts[j]);
	}
	char self[OT_PID_STRLEN];
	ot_pid_format(ot_self(), self, sizeof(self));
	unsigned long long a, b;
	ck_assert_msg(parse_pid_text(self, &a, &b), "got \"%s\"", self);
}
END_TEST

static Suite *error_suite(void)
{
	Suite *s = suite_create("error");

	TCase *tc = tcase_create("codes");
	tcase_set_timeout(tc, 5);
	tcase_add_test(tc, test_every_code_has_its_name_and_text);
	tcase_add_test(tc, test_codes_names_and_texts_are_distinct);
	tcase_add_test(tc, test_values_are_stable);
	tcase_add_test(tc, test_unknown_codes);
	suite_add_tcase(s, tc);

	tc = tcase_create("sys");
	tcase_set_timeout(tc, 5);
	tcase_add_test(tc, test_sys_codes_carry_errno);
	tcase_add_test(tc, test_sys_names_and_texts);
	tcase_add_test(tc, test_sys_names_are_shared_and_stable);
	suite_add_tcase(s, tc);

	tc = tcase_create("pid_format");
	tcase_set_timeout(tc, 5);
	tcase_add_test(tc, test_pid_format_shape);
	tcase_add_test(tc, test_pid_format_longest);
	tcase_add_test(tc, test_pid_format_halves);
	tcase_add_test(tc, test_pid_format_truncates);
	tcase_add_test(tc, test_pid_format_null_and_zero);
	suite_add_tcase(s, tc);

	tc = ot_test_tcase("pid_format_live", 10);
	tcase_add_test(tc, test_pid_format_live_pids);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(error_suite());
}
