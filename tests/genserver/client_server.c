/* SPDX-License-Identifier: MIT */
/*
 * client_server.c — the server of client_server.h.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "client_server.h"
#include "expect.h"

struct cs_state {
	int64_t handled;
};

static ot_gs_ret cs_init(void *arg, void **state)
{
	(void)arg;
	struct cs_state *s = calloc(1, sizeof *s);
	if (!s)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "cs_init"));
	*state = s;
	return ot_gs_ok();
}

static ot_gs_ret cs_sized(const struct cs_req *rq)
{
	if (rq->size == 0)
		return ot_gs_reply(NULL, 0);
	unsigned char *p = malloc(rq->size);
	if (!p)
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "cs_sized"));
	cs_fill(p, rq->size, rq->n);
	ot_gs_ret r = ot_gs_reply(p, rq->size);
	free(p);
	return r;
}

static ot_gs_ret cs_call(const void *request, size_t size, ot_gs_from from,
			 void **state)
{
	(void)from;
	struct cs_state *s = *state;
	struct cs_req rq;
	if (size != sizeof rq)
		return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad request"));
	memcpy(&rq, request, sizeof rq);
	s->handled++;
	switch (rq.op) {
	case CS_ALIVE:
		return ot_gs_reply("ok", 2);
	case CS_DELAYED:
		ot_sleep(rq.delay_ms);
		return ot_gs_reply("delayed", 7);
	case CS_SIZED:
		return cs_sized(&rq);
	case CS_STOP_SHUTDOWN:
		return ot_gs_stop(ot_reason_shutdown());
	case CS_COUNT:
		return ot_gs_reply(&s->handled, sizeof s->handled);
	}
	return ot_gs_stop(ot_reason_error(OT_EINVAL, "bad op"));
}

static ot_gs_ret cs_cast(const void *request, size_t size, void **state)
{
	(void)request;
	(void)size;
	struct cs_state *s = *state;
	s->handled++;
	return ot_gs_noreply();
}

static int cs_format(void *state, char *buf, size_t size)
{
	const struct cs_state *s = state;
	return snprintf(buf, size, "handled=%lld", (long long)s->handled);
}

static void cs_terminate(const ot_reason *reason, void *state)
{
	(void)reason;
	free(state);
}

static const ot_gen_server_callbacks cs_callbacks = {
    .init = cs_init,
    .handle_call = cs_call,
    .handle_cast = cs_cast,
    .terminate = cs_terminate,
    .format_status = cs_format,
};

/* What cs_start() started, for cs_stop_all(). */
static ot_pid started[32];
static size_t nstarted;

ot_pid cs_start(const char *name)
{
	ot_gen_server_opts opts = {.name = name};
	ot_pid pid = gs_start_opts(&cs_callbacks, NULL, &opts);
	ck_assert_uint_lt(nstarted, sizeof started / sizeof started[0]);
	started[nstarted++] = pid;
	return pid;
}

void cs_stop_all(void)
{
	/* A stop, not a kill: terminate frees the state (a killed server
	 * leaks it, as LSan would tell). One already gone is OT_ENOPROC. */
	for (size_t i = 0; i < nstarted; i++) {
		int rc = ot_gen_server_stop(started[i], NULL, OT_INFINITY);
		ck_assert_msg(rc == 0 || rc == OT_ENOPROC, "cs_stop_all: %s",
			      ot_err_name(rc));
	}
	nstarted = 0;
}

struct cs_req cs_req(int op, int delay_ms)
{
	return (struct cs_req){.op = op, .delay_ms = delay_ms};
}

void cs_fill(unsigned char *p, size_t size, int64_t n)
{
	for (size_t i = 0; i < size; i++)
		p[i] = (unsigned char)(n * 31 + (int64_t)i * 7 +
				       (int64_t)(i >> 8));
}

bool cs_filled(const unsigned char *p, size_t size, int64_t n)
{
	for (size_t i = 0; i < size; i++)
		if (p[i] != (unsigned char)(n * 31 + (int64_t)i * 7 +
					    (int64_t)(i >> 8)))
			return false;
	return true;
}

bool cs_msg_is(const ot_msg *m, const char *s)
{
	size_t n = strlen(s);
	return ot_msg_size(m) == n && memcmp(ot_msg_data(m), s, n) == 0;
}

int64_t cs_count(ot_pid server)
{
	struct cs_req rq = cs_req(CS_COUNT, 0);
	int64_t n = -1;
	ck_assert_ot_ok(ot_gen_server_call(server, &rq, sizeof rq, &n, sizeof n,
					   NULL, OT_INFINITY, NULL));
	return n;
}

void cs_expect_empty_mailbox(int ms, const char *what)
{
	ot_msg *m = NULL;
	int rc = ot_receive(&m, ms);
	ck_assert_msg(rc == OT_ETIMEDOUT, "%s: a message is left (tag %llx)",
		      what, m ? (unsigned long long)ot_msg_tag(m) : 0ULL);
}

void cs_kill(ot_pid server)
{
	ot_ref ref = ot_test_monitor(server);
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(server, &kill));
	ot_test_expect_down(ref, 3000, "cs_kill");
}
