/* SPDX-License-Identifier: MIT */
/*
 * sup_events.h — the event log and event messages of the supervisor
 * suites whose children are gen_servers that report on themselves
 * (test_child, test_restart).
 *
 * A child appends "K:id" to a shared log (K a kind letter: S for start,
 * T for terminate, ...), which keeps the order a test asserts, and sends
 * a struct ev tagged EV_* to the test process, which waits on it.
 * Messages from one process keep their order, DOWN included.
 */
#ifndef OTTER_TESTS_SUP_EVENTS_H
#define OTTER_TESTS_SUP_EVENTS_H

#include "sup_fixture.h"

enum {
	EV_START = 2000, /* init ran (the child started): .pid, .t */
	EV_TERM,	 /* terminate ran: .reason, .t when it started */
	EV_USER,	 /* the first tag a suite may use for its own events */
};

#define ID_LEN 16

struct ev {
	char id[ID_LEN];
	ot_pid pid;
	ot_reason reason;
	double t; /* now_msf() when it was sent */
};

/* Makes the caller the events' receiver and empties the log. Call it from
 * the test's setup. */
void ev_setup(void);

/* Appends "kind:id" to the log (up to its capacity); any thread. */
void log_add(char kind, const char *id);
/* The log's length now, to compare what comes after. */
int log_mark(void);
/* The log entries from mark on that start with kind (all if kind is 0),
 * space-separated, into buf. */
void log_since(int mark, char kind, char *buf, size_t size);

#define assert_log(mark, kind, want, what)                                     \
	do {                                                                   \
		char ck_l_[1024];                                              \
		log_since((mark), (kind), ck_l_, sizeof(ck_l_));               \
		ck_assert_msg(strcmp(ck_l_, (want)) == 0,                      \
			      "%s: log \"%s\", want \"%s\"", (what), ck_l_,    \
			      (want));                                         \
	} while (0)

/* Sends event tag from the calling process (child id, reason r if not
 * NULL) to the receiver. */
void ev_send(uint64_t tag, const char *id, const ot_reason *r);

/* Takes event tag from child id (any if NULL) within ms into *out (may be
 * NULL); false if none came. */
bool try_ev(uint64_t tag, const char *id, int ms, struct ev *out);
/* The same within 5 s (scaled), asserting it came. */
struct ev expect_ev(uint64_t tag, const char *id, const char *what);
/* Asserts that no event tag from id (any if NULL) comes within ms. */
void expect_no_ev(uint64_t tag, const char *id, int ms, const char *what);
/* Takes (and counts) the events tag from id already in the mailbox. */
int count_ev(uint64_t tag, const char *id);

/* The pid of child id's next start. */
ot_pid start_of(const char *id, const char *what);
/* Waits for child id's terminate and asserts its reason. */
void expect_term(const char *id, ot_reason want, const char *what);

#endif /* OTTER_TESTS_SUP_EVENTS_H */
