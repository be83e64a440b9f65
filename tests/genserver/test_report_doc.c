/* SPDX-License-Identifier: MIT */
/*
 * test_report_doc.c — the sample error report in man/ot_gen_server.3 is
 * the report a server really writes (issue 15, item 8): a server named
 * "counter" whose format_status prints #{value => 42} crashes (SIGSEGV at
 * address 0) on an 11-byte call; its report must equal the man page's
 * sample byte for byte, pids aside.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults.h"
#include "gs_test.h"

static char g_report[8192];

static void keep(const char *report, void *arg)
{
	(void)arg;
	if (strstr(report, "=ERROR REPORT==== gen_server ==="))
		snprintf(g_report, sizeof g_report, "%s", report);
}

static ot_gs_ret init_counter(void *arg, void **state)
{
	(void)arg;
	static int value = 42;
	*state = &value;
	return ot_gs_ok();
}

static ot_gs_ret call_crash(const void *req, size_t size, ot_gs_from from,
			    void **state)
{
	(void)req, (void)size, (void)from, (void)state;
	do_fault(F_NULL_WRITE); /* SIGSEGV at address 0, for real */
	return ot_gs_noreply();
}

static int status(void *state, char *buf, size_t size)
{
	return snprintf(buf, size, "#{value => %d}", *(int *)state);
}

static const ot_gen_server_callbacks counter = {
    .init = init_counter,
    .handle_call = call_crash,
    .format_status = status,
};

/* Every pid (<a.b.c>) in s becomes <PID>, in place. */
static void blank_pids(char *s)
{
	char *out = s;
	for (const char *p = s; *p;) {
		size_t n = *p == '<' ? strspn(p + 1, "0123456789.") : 0;
		if (n && p[1 + n] == '>') {
			memcpy(out, "<PID>", 5);
			out += 5;
			p += n + 2;
		} else {
			*out++ = *p++;
		}
	}
	*out = '\0';
}

/* The man page's sample report: the lines from "=ERROR REPORT" to .EE,
 * with the roff escapes the page uses turned back into their bytes. */
static void man_sample(char *buf, size_t size)
{
	const char *srcdir = getenv("srcdir");
	char path[4096];
	snprintf(path, sizeof path, "%s/man/ot_gen_server.3",
		 srcdir ? srcdir : ".");
	FILE *f = fopen(path, "r");
	ck_assert_msg(f, "cannot open %s", path);
	char line[1024];
	bool in = false;
	size_t n = 0;
	buf[0] = '\0';
	while (fgets(line, sizeof line, f)) {
		if (!in && strstr(line, "=ERROR REPORT==== gen_server ==="))
			in = true;
		if (!in)
			continue;
		if (!strncmp(line, ".EE", 3))
			break;
		for (const char *p = line; *p && n + 1 < size; p++) {
			if (p[0] == '\\' && p[1] == 'e')
				buf[n++] = '\\', p++;
			else if (p[0] == '\\' && p[1] == '-')
				buf[n++] = '-', p++;
			else
				buf[n++] = *p;
		}
	}
	fclose(f);
	ck_assert_msg(in, "no sample report in %s", path);
	if (n && buf[n - 1] == '\n')
		n--; /* a report has no trailing newline */
	buf[n] = '\0';
}

/* gen_server_SUITE:error_format_status (the report's state is
 * format_status's) */
START_TEST(test_man_sample_is_the_real_report)
{
	ck_assert_ot_ok(ot_set_logger(keep, NULL));
	ot_gen_server_opts o = {.name = "counter"};
	ot_pid s = gs_start_opts(&counter, NULL, &o);
	ot_ref ref = ot_test_monitor(s);
	char reply[8];
	ot_reason why;
	ck_assert_ot_err(ot_gen_server_call(s, "hello world", 11, reply,
					    sizeof reply, NULL, 2000, &why),
			 OT_ESERVERDIED);
	ot_test_expect_down(ref, 3000, "the counter's DOWN");
	ck_assert_msg(g_report[0], "no report written");
	char want[8192];
	man_sample(want, sizeof want);
	blank_pids(want);
	blank_pids(g_report);
	ck_assert_str_eq(g_report, want);
}
END_TEST

static Suite *report_doc_suite(void)
{
	Suite *s = suite_create("report_doc");
	TCase *tc = gs_crash_tcase("sample", 10);
	tcase_add_test(tc, test_man_sample_is_the_real_report);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(report_doc_suite());
}
