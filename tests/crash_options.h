/*
 * crash_options.h — for the suites that crash on purpose (include it in
 * exactly one file of the test program). Under ASan or TSan a fault goes
 * to the sanitizer's own handler before otter's, and a fault outside a
 * process then ends the program with an exit status (1, 66) instead of the
 * signal the tests expect: these options leave the fault signals to otter
 * and to the default action.
 */
#ifndef OTTER_TESTS_CRASH_OPTIONS_H
#define OTTER_TESTS_CRASH_OPTIONS_H

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OT_TEST_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define OT_TEST_TSAN 1
#endif
#endif
#define OT_TEST_SAN_OPTIONS                                                    \
	"handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0"
#if defined(__SANITIZE_ADDRESS__) || defined(OT_TEST_ASAN)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return OT_TEST_SAN_OPTIONS;
}
#endif
#if defined(__SANITIZE_THREAD__) || defined(OT_TEST_TSAN)
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return OT_TEST_SAN_OPTIONS;
}
#endif

#endif /* OTTER_TESTS_CRASH_OPTIONS_H */
