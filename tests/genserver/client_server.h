/* SPDX-License-Identifier: MIT */
/*
 * client_server.h — the server the client-side suites call (test_request,
 * test_call_opts): OTP gen_server_SUITE's own test server, in short —
 * started_p, delayed_answer, stop_shutdown — plus replies of a chosen
 * size and a count of what it handled.
 */
#ifndef OTTER_TESTS_CLIENT_SERVER_H
#define OTTER_TESTS_CLIENT_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "gs_test.h"

enum cs_op {
	CS_ALIVE = 1, /* replies "ok" (started_p) */
	CS_DELAYED,   /* sleeps delay_ms, replies "delayed" (delayed_answer) */
	CS_SIZED,     /* replies size bytes of cs_fill(n) */
	CS_STOP_SHUTDOWN, /* stops with reason shutdown, no reply */
	CS_COUNT,	  /* replies the int64_t count of requests and casts */
};

struct cs_req {
	int op;
	int delay_ms;
	size_t size;
	int64_t n;
};

/* The server, started (and registered as name, if not NULL). */
ot_pid cs_start(const char *name);
/* A request; the server's reply into an owned message. */
struct cs_req cs_req(int op, int delay_ms);
/* The bytes a CS_SIZED reply carries; true if p holds them. */
void cs_fill(unsigned char *p, size_t size, int64_t n);
bool cs_filled(const unsigned char *p, size_t size, int64_t n);
/* True if the message's bytes are the text s (without its NUL). */
bool cs_msg_is(const ot_msg *m, const char *s);
/* The count of what the server handled (a call: counts itself). */
int64_t cs_count(ot_pid server);
/* Nothing is in the caller's mailbox within ms. */
void cs_expect_empty_mailbox(int ms, const char *what);
/* Kills server and waits for it to be gone (it may be gone already). */
void cs_kill(ot_pid server);
/* Stops every server cs_start() started that still runs: each test
 * ends with it. */
void cs_stop_all(void);

#endif /* OTTER_TESTS_CLIENT_SERVER_H */
