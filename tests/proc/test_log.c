/* SPDX-License-Identifier: MIT */
/*
 * test_log.c — reports as records: what a logger gets, the level, the
 * routes to stderr, syslog and journald, and a logger that crashes.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "faults.h"
#include "fixture.h"

/* ---- a logger that keeps the records it gets ---------------------------- */

#define KEPT_MAX 16

struct kept {
	ot_report r;
	ot_reason reason;
	bool has_reason;
	char name[OT_NAME_MAX + 1];
	char text[8192];
};

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct kept kept[KEPT_MAX];
static atomic_int nkept;

static void keep(const ot_report *r, void *arg)
{
	(void)arg;
	pthread_mutex_lock(&kept_lock);
	int i = atomic_load(&nkept);
	if (i < KEPT_MAX) {
		struct kept *k = &kept[i];
		k->r = *r;
		snprintf(k->name, sizeof k->name, "%s", r->name);
		snprintf(k->text, sizeof k->text, "%s", r->text);
		k->has_reason = r->reason != NULL;
		if (r->reason)
			k->reason = *r->reason;
		atomic_store(&nkept, i + 1);
	}
	pthread_mutex_unlock(&kept_lock);
}

/* Waits until n records were kept. */
static void wait_kept(int n)
{
	for (int i = 0; i < 5000 && atomic_load(&nkept) < n; i++)
		ot_sleep(1);
	ck_assert_int_ge(atomic_load(&nkept), n);
}

/* ---- processes --------------------------------------------------------------
 */

/* A static function: with libdw its name is in the backtrace though it
 * is in no dynamic symbol table. */
NO_UBSAN __attribute__((noinline)) static int
crash_in_a_static_function(int *volatile *where)
{
	**where = 42; /* *where is NULL: SIGSEGV here */
	return **where + 1;
}

static void crasher(void *arg)
{
	(void)arg;
	ck_assert_ot_ok(ot_register("log.crasher", ot_self()));
	g_sink = crash_in_a_static_function(&g_null);
}

/* Spawns fn, monitored, and waits for its DOWN. */
static ot_pid run_to_end(ot_proc_fn fn, void *arg)
{
	ot_ref ref;
	ot_pid pid;
	ot_spawn_opts o = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &ref};
	ck_assert_ot_ok(ot_spawn(fn, arg, &o, &pid));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 5000);
	ot_msg_free(m);
	return pid;
}

/* ---- the cases ------------------------------------------------------------
 */

/* A crash report is a record: kind, severity, pid, name, reason, clocks. */
START_TEST(crash_report_is_a_record)
{
	ck_assert_ot_ok(ot_set_report_logger(keep, NULL));
	struct timespec before;
	clock_gettime(CLOCK_REALTIME, &before);
	int64_t mono_before = ot_monotonic_ms();
	ot_pid pid = run_to_end(crasher, NULL);
	wait_kept(1);
	ot_set_report_logger(NULL, NULL);
	const struct kept *k = &kept[0];
	ck_assert_int_eq(k->r.kind, OT_REPORT_CRASH);
	ck_assert_int_eq(k->r.severity, OT_LOG_ERROR);
	ck_assert(ot_pid_equal(k->r.pid, pid));
	ck_assert_str_eq(k->name, "log.crasher");
	ck_assert(k->has_reason);
	ck_assert_int_eq(k->reason.kind, OT_REASON_CRASH);
	ck_assert_int_eq(k->reason.code, SIGSEGV);
	ck_assert_msg(strstr(k->text, "=CRASH REPORT====") != NULL, "%s",
		      k->text);
	ck_assert_int_ge(k->r.wall.tv_sec, before.tv_sec);
	ck_assert_int_le(k->r.wall.tv_sec, before.tv_sec + 60);
	ck_assert_int_ge(k->r.monotonic_ns / 1000000, mono_before);
	ck_assert_int_le(k->r.monotonic_ns / 1000000, ot_monotonic_ms());
#ifdef OT_HAVE_LIBDW
	/* named, static as it is, with its source line */
	ck_assert_msg(strstr(k->text, " crash_in_a_static_function") &&
			  strstr(k->text, "test_log.c:"),
		      "%s", k->text);
#endif
}
END_TEST

/* ot_log(): a user report about the caller, with the text it makes. */
static void log_from_a_process(void *arg)
{
	(void)arg;
	ck_assert_ot_ok(ot_register("log.writer", ot_self()));
	ck_assert_ot_ok(ot_log(OT_LOG_WARNING, "disk %d%% full", 91));
	ot_unregister("log.writer");
}

START_TEST(user_reports)
{
	ck_assert_ot_ok(ot_set_report_logger(keep, NULL));
	ot_pid pid = run_to_end(log_from_a_process, NULL);
	wait_kept(1);
	ck_assert_int_eq(kept[0].r.kind, OT_REPORT_USER);
	ck_assert_int_eq(kept[0].r.severity, OT_LOG_WARNING);
	ck_assert(ot_pid_equal(kept[0].r.pid, pid));
	ck_assert_str_eq(kept[0].name, "log.writer");
	ck_assert_str_eq(kept[0].text, "disk 91% full");
	ck_assert(!kept[0].has_reason);

	/* from a foreign thread: about no process */
	ck_assert_ot_ok(ot_log_report("from main"));
	wait_kept(2);
	ck_assert(ot_pid_equal(kept[1].r.pid, OT_PID_NONE));
	ck_assert_str_eq(kept[1].name, "");
	ck_assert_int_eq(kept[1].r.severity, OT_LOG_ERROR);
	ck_assert_str_eq(kept[1].text, "from main");
	ot_set_report_logger(NULL, NULL);
}
END_TEST

/* The level drops what is less severe, before it is built. */
START_TEST(level)
{
	ck_assert_ot_ok(ot_set_report_logger(keep, NULL));
	ck_assert_int_eq(ot_log_set_level(OT_LOG_WARNING), OT_LOG_INFO);
	ck_assert(!ot_log_would(OT_LOG_INFO));
	ck_assert(ot_log_would(OT_LOG_WARNING));
	ck_assert_ot_ok(ot_log(OT_LOG_INFO, "dropped"));
	ck_assert_ot_ok(ot_log(OT_LOG_ERROR, "kept"));
	wait_kept(1);
	/* below error, crash reports go too */
	ck_assert_int_eq(ot_log_set_level(OT_LOG_CRITICAL), OT_LOG_WARNING);
	run_to_end(crasher, NULL);
	ck_assert_ot_ok(ot_log(OT_LOG_ALERT, "also kept"));
	wait_kept(2);
	ck_assert_int_eq(atomic_load(&nkept), 2);
	ck_assert_str_eq(kept[0].text, "kept");
	ck_assert_str_eq(kept[1].text, "also kept");
	ck_assert_int_eq(ot_log_set_level(OT_LOG_INFO), OT_LOG_CRITICAL);
	ck_assert_int_eq(ot_log_set_level((ot_severity)8), OT_EINVAL);
	ck_assert_int_eq(ot_log_set_level((ot_severity)-1), OT_EINVAL);
	ot_set_report_logger(NULL, NULL);

	/* the text logger ot_log_discard turns all off */
	ck_assert(ot_log_enabled());
	ot_set_logger(ot_log_discard, NULL);
	ck_assert(!ot_log_enabled());
	ck_assert(!ot_log_would(OT_LOG_EMERGENCY));
	ot_set_logger(NULL, NULL);
	ck_assert(ot_log_enabled());
}
END_TEST

/* A tap gets the reports besides the logger, even one that discards
 * them (which then still builds them); untapped, it gets none. */
START_TEST(tap)
{
	static int tapped;
	ck_assert_ot_err(ot_log_tap(NULL, NULL), OT_EINVAL);
	ot_set_logger(ot_log_discard, NULL);
	ck_assert(!ot_log_would(OT_LOG_ERROR));
	ck_assert_ot_ok(ot_log_tap(keep, &tapped));
	ck_assert_ot_err(ot_log_tap(keep, &tapped), OT_EALREADY);
	ck_assert(ot_log_would(OT_LOG_ERROR));
	run_to_end(crasher, NULL);
	wait_kept(1);
	ck_assert_int_eq(kept[0].r.kind, OT_REPORT_CRASH);
	ck_assert_str_eq(kept[0].name, "log.crasher");
	ck_assert_ot_ok(ot_log(OT_LOG_INFO, "tapped"));
	wait_kept(2);
	ck_assert_str_eq(kept[1].text, "tapped");
	/* the limit */
	static int more[OT_LOG_TAPS_MAX];
	for (int i = 1; i < OT_LOG_TAPS_MAX; i++)
		ck_assert_ot_ok(ot_log_tap(keep, &more[i]));
	ck_assert_ot_err(ot_log_tap(keep, &more[0]), OT_ELIMIT);
	for (int i = 1; i < OT_LOG_TAPS_MAX; i++)
		ck_assert_ot_ok(ot_log_untap(keep, &more[i]));
	ck_assert_ot_ok(ot_log_untap(keep, &tapped));
	ck_assert_ot_err(ot_log_untap(keep, &tapped), OT_ENOTFOUND);
	ck_assert(!ot_log_would(OT_LOG_ERROR));
	ck_assert_ot_ok(ot_log(OT_LOG_ERROR, "not tapped"));
	ck_assert_int_eq(atomic_load(&nkept), 2);
	ot_set_logger(NULL, NULL);
}
END_TEST

START_TEST(bad_input)
{
	ck_assert_ot_err(ot_log_emit(NULL), OT_EINVAL);
	ot_report r = {.severity = OT_LOG_ERROR};
	ck_assert_ot_err(ot_log_emit(&r), OT_EINVAL); /* no text */
	r.text = "x";
	r.severity = (ot_severity)99;
	ck_assert_ot_err(ot_log_emit(&r), OT_EINVAL);
	r.severity = OT_LOG_ERROR;
	r.kind = (ot_report_kind)42;
	ck_assert_ot_err(ot_log_emit(&r), OT_EINVAL);
	ck_assert_ot_err(ot_log(OT_LOG_ERROR, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_log((ot_severity)8, "x"), OT_EINVAL);
	ck_assert_ot_err(ot_log_report(NULL), OT_EINVAL);

	/* a NULL name is "", zero clocks are filled in, a set one kept */
	ck_assert_ot_ok(ot_set_report_logger(keep, NULL));
	r.kind = OT_REPORT_SUPERVISOR;
	r.monotonic_ns = 42;
	ck_assert_ot_ok(ot_log_emit(&r));
	r.monotonic_ns = 0;
	ck_assert_ot_ok(ot_log_emit(&r));
	wait_kept(2);
	ot_set_report_logger(NULL, NULL);
	ck_assert_str_eq(kept[0].name, "");
	ck_assert_int_eq(kept[0].r.monotonic_ns, 42);
	ck_assert_int_gt(kept[1].r.monotonic_ns, 42);
	ck_assert_int_gt(kept[1].r.wall.tv_sec, 0);

	/* the routes take NULL without crashing */
	ot_log_stderr(NULL, NULL);
	ot_log_syslog(NULL, NULL);
	ot_log_journald(NULL, NULL);
}
END_TEST

START_TEST(names)
{
	ck_assert_str_eq(ot_severity_name(OT_LOG_ERROR), "error");
	ck_assert_str_eq(ot_severity_name(OT_LOG_DEBUG), "debug");
	ck_assert_str_eq(ot_severity_name(OT_LOG_EMERGENCY), "emergency");
	ck_assert_str_eq(ot_severity_name((ot_severity)8), "unknown");
	ck_assert_str_eq(ot_report_kind_name(OT_REPORT_CRASH), "crash");
	ck_assert_str_eq(ot_report_kind_name(OT_REPORT_PROGRESS), "progress");
	ck_assert_str_eq(ot_report_kind_name((ot_report_kind)-1), "unknown");
}
END_TEST

/* ---- stderr ------------------------------------------------------------- */

/* Runs fn with stderr going into a buffer, returned NUL-terminated. */
static char captured[16384];

static void capture_stderr(void (*fn)(void))
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	int saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	size_t len = 0;
	ssize_t n;
	while (len + 1 < sizeof captured &&
	       (n = read(p[0], captured + len, sizeof captured - 1 - len)) > 0)
		len += (size_t)n;
	captured[len] = '\0';
	close(p[0]);
}

static void two_user_reports(void)
{
	ot_log(OT_LOG_NOTICE, "first line\nsecond line");
	ot_log(OT_LOG_ERROR, "another");
}

static void assert_matches(const char *text, const char *pattern)
{
	regex_t re;
	ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NEWLINE), 0);
	int rc = regexec(&re, text, 0, NULL, 0);
	regfree(&re);
	ck_assert_msg(rc == 0, "no line matches %s in:\n%s", pattern, text);
}

#define STAMP                                                                  \
	"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z"

/* The default route: a line with time, severity and kind, then the text. */
START_TEST(stderr_route)
{
	capture_stderr(two_user_reports);
	assert_matches(captured,
		       "^" STAMP " notice user\nfirst line\n"
		       "second line\n" STAMP " error user\nanother\n$");
}
END_TEST

/* ---- a logger that crashes ---------------------------------------------- */

static atomic_int crashing_calls;

static void crashing_logger(const ot_report *r, void *arg)
{
	(void)arg;
	atomic_fetch_add(&crashing_calls, 1);
	if (r->kind == OT_REPORT_CRASH)
		do_fault(F_NULL_WRITE);
	keep(r, NULL);
}

static void crash_with_a_crashing_logger(void)
{
	ck_assert_ot_ok(ot_set_report_logger(crashing_logger, NULL));
	run_to_end(crasher, NULL);
	for (int i = 0; i < 5000 && atomic_load(&crashing_calls) < 1; i++)
		ot_sleep(1);
	/* the runtime goes on, and so does the logger */
	run_to_end(log_from_a_process, NULL);
	wait_kept(1);
	/* the scheduler that wrote the report has written it to stderr
	 * before it runs anything else: give it the time to */
	ot_sleep(50);
	ot_set_report_logger(NULL, NULL);
}

START_TEST(logger_crash_on_a_scheduler)
{
	capture_stderr(crash_with_a_crashing_logger);
	ck_assert_str_eq(kept[0].text, "disk 91% full");
	ck_assert_msg(strstr(captured, "=CRASH REPORT====") &&
			  strstr(captured, "the logger crashed (SEGV)"),
		      "stderr:\n%s", captured);
}
END_TEST

/* Twice on one scheduler thread: the jump out of the first fault leaves the
 * fault signal unblocked, or the second would end the program. */
static void crash_twice_with_a_crashing_logger(void)
{
	ck_assert_ot_ok(ot_set_report_logger(crashing_logger, NULL));
	for (int round = 1; round <= 2; round++) {
		run_to_end(crasher, NULL);
		for (int i = 0;
		     i < 5000 && atomic_load(&crashing_calls) < round; i++)
			ot_sleep(1);
	}
	ot_sleep(50); /* the reports go to stderr (see above) */
	ot_set_report_logger(NULL, NULL);
}

START_TEST(logger_crashes_twice_on_one_scheduler)
{
	atomic_store(&crashing_calls, 0);
	capture_stderr(crash_twice_with_a_crashing_logger);
	ck_assert_int_eq(atomic_load(&crashing_calls), 2);
	const char *first = strstr(captured, "the logger crashed (SEGV)");
	ck_assert_msg(first && strstr(first + 1, "the logger crashed (SEGV)"),
		      "stderr:\n%s", captured);
}
END_TEST

/* ---- syslog and journald --------------------------------------------------
 */

/* Binds a datagram socket at path when nothing is there and we may: the
 * test then plays the daemon. -1 when it cannot. */
static int play_daemon(const char *path)
{
	struct stat st;
	if (geteuid() != 0 || lstat(path, &st) == 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void stop_daemon(int fd, const char *path)
{
	close(fd);
	unlink(path);
}

/* One datagram, NUL-terminated, waiting up to a few seconds. */
static ssize_t read_datagram(int fd, char *buf, size_t size)
{
	for (int i = 0; i < 500; i++) {
		ssize_t n = recv(fd, buf, size - 1, MSG_DONTWAIT);
		if (n >= 0) {
			buf[n] = '\0';
			return n;
		}
		ot_sleep(10);
	}
	return -1;
}

static void syslog_twice(void)
{
	ot_set_report_logger(ot_log_syslog, NULL);
	ot_log(OT_LOG_ERROR, "to syslog\n  indented");
	ot_log(OT_LOG_ERROR, "to syslog again");
	ot_set_report_logger(NULL, NULL);
}

START_TEST(syslog_route)
{
	int fd = play_daemon("/dev/log");
	struct stat st;
	if (fd < 0 && lstat("/dev/log", &st) == 0) {
		/* a real syslog daemon: the messages go there */
		capture_stderr(syslog_twice);
		ck_assert_str_eq(captured, "");
		return;
	}
	if (fd < 0) {
		/* nobody listens, and we may not: both to stderr, the note
		 * once */
		capture_stderr(syslog_twice);
		char *note = strstr(captured, "no syslog daemon");
		ck_assert_msg(note && !strstr(note + 1, "no syslog daemon") &&
				  strstr(captured, "to syslog again"),
			      "stderr:\n%s", captured);
		return;
	}
	capture_stderr(syslog_twice);
	char msg[4096];
	ck_assert_int_gt(read_datagram(fd, msg, sizeof msg), 0);
	/* LOG_USER | LOG_ERR, our head line's severity, kind, the text */
	ck_assert_msg(strncmp(msg, "<11>", 4) == 0 &&
			  strstr(msg, "error user: to syslog | indented"),
		      "syslog got: %s", msg);
	stop_daemon(fd, "/dev/log");
	ck_assert_str_eq(captured, "");
}
END_TEST

#define JOURNAL "/run/systemd/journal/socket"

static void journald_once(void)
{
	ot_set_report_logger(ot_log_journald, NULL);
	ot_log(OT_LOG_WARNING, "to the journal\nline two");
	ot_log(OT_LOG_WARNING, "and again");
	ot_set_report_logger(NULL, NULL);
}

/* The value of field in a journal datagram, whose entries are
 * "NAME=value\n", or, for a value with a newline, "NAME\n", its length
 * (64-bit little-endian), the bytes, "\n". */
static bool journal_field(const char *buf, size_t len, const char *field,
			  char *out, size_t size)
{
	const char *p = buf, *end = buf + len;
	while (p < end) {
		size_t nlen = strcspn(p, "=\n");
		const char *sep = p + nlen, *value;
		uint64_t vlen;
		if (sep >= end)
			return false;
		if (*sep == '=') {
			value = sep + 1;
			const char *nl =
			    memchr(value, '\n', (size_t)(end - value));
			vlen = (uint64_t)((nl ? nl : end) - value);
		} else {
			if (end - sep < 9)
				return false;
			vlen = 0;
			for (int b = 7; b >= 0; b--)
				vlen = vlen << 8 | (unsigned char)sep[1 + b];
			value = sep + 9;
			if (vlen > (uint64_t)(end - value))
				return false;
		}
		if (nlen == strlen(field) && !memcmp(p, field, nlen)) {
			snprintf(out, size, "%.*s", (int)vlen, value);
			return true;
		}
		p = value + vlen + 1;
	}
	return false;
}

START_TEST(journald_route)
{
	if (!ot_log_journald_available()) {
		capture_stderr(journald_once);
		char *note = strstr(captured, "without libsystemd");
		ck_assert_msg(note && !strstr(note + 1, "without libsystemd"),
			      "stderr:\n%s", captured);
		return;
	}
	mkdir("/run/systemd", 0755);
	mkdir("/run/systemd/journal", 0755);
	int fd = play_daemon(JOURNAL);
	if (fd < 0) {
		struct stat st;
		if (lstat(JOURNAL, &st) == 0) {
			capture_stderr(journald_once); /* a real journald */
			return;
		}
		capture_stderr(journald_once);
		ck_assert_msg(strstr(captured, "journald cannot be reached"),
			      "stderr:\n%s", captured);
		return;
	}
	capture_stderr(journald_once);
	char msg[8192], v[1024];
	ssize_t n = read_datagram(fd, msg, sizeof msg);
	stop_daemon(fd, JOURNAL);
	ck_assert_int_gt(n, 0);
	ck_assert((journal_field(msg, (size_t)n, "MESSAGE", v, sizeof v)));
	ck_assert_str_eq(v, "to the journal\nline two");
	ck_assert((journal_field(msg, (size_t)n, "PRIORITY", v, sizeof v)));
	ck_assert_str_eq(v, "4");
	ck_assert((journal_field(msg, (size_t)n, "OTTER_KIND", v, sizeof v)));
	ck_assert_str_eq(v, "user");
	ck_assert((journal_field(msg, (size_t)n, "OTTER_PID", v, sizeof v)));
	ck_assert_str_eq(v, "");
	ck_assert_str_eq(captured, "");
}
END_TEST

static void reset(void)
{
	ot_test_setup();
	atomic_store(&nkept, 0);
	memset(kept, 0, sizeof kept);
}

static void reset_one(void)
{
	ot_test_setup_one();
	atomic_store(&nkept, 0);
	memset(kept, 0, sizeof kept);
}

static Suite *log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("log");
	tcase_add_checked_fixture(tc, reset, ot_test_teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, user_reports);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, names);
	tcase_add_test(tc, stderr_route);
	tcase_add_test(tc, syslog_route);
	tcase_add_test(tc, journald_route);
	suite_add_tcase(s, tc);
	/* Those that fault on purpose, left out of a valgrind run. */
	tc = tcase_create("crash_log");
	tcase_add_checked_fixture(tc, reset, ot_test_teardown);
	tcase_set_timeout(tc, 20);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, crash_report_is_a_record);
	tcase_add_test(tc, level);
	tcase_add_test(tc, tap);
	tcase_add_test(tc, logger_crash_on_a_scheduler);
	suite_add_tcase(s, tc);
	tc = tcase_create("crash_logger_one_scheduler");
	tcase_add_checked_fixture(tc, reset_one, ot_test_teardown);
	tcase_set_timeout(tc, 20);
	tcase_set_tags(tc, "crash");
	tcase_add_test(tc, logger_crashes_twice_on_one_scheduler);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(log_suite());
}
