/* SPDX-License-Identifier: MIT */
/*
 * sup_events.c — the shared event log and event messages (sup_events.h).
 * The log is guarded by a mutex: children on any scheduler append to it.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "sup_events.h"

#define LOG_MAX 1024
static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static char g_log[LOG_MAX][ID_LEN + 4]; /* guarded by g_log_mu */
static int g_nlog;			/* guarded by g_log_mu */
static ot_pid g_receiver;		/* set by ev_setup before spawning */

void ev_setup(void)
{
	g_receiver = ot_self();
	ck_assert(!ot_pid_is_none(g_receiver));
	pthread_mutex_lock(&g_log_mu);
	g_nlog = 0;
	pthread_mutex_unlock(&g_log_mu);
}

void log_add(char kind, const char *id)
{
	pthread_mutex_lock(&g_log_mu);
	if (g_nlog < LOG_MAX)
		snprintf(g_log[g_nlog++], sizeof(g_log[0]), "%c:%s", kind, id);
	pthread_mutex_unlock(&g_log_mu);
}

int log_mark(void)
{
	pthread_mutex_lock(&g_log_mu);
	int n = g_nlog;
	pthread_mutex_unlock(&g_log_mu);
	return n;
}

void log_since(int mark, char kind, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	pthread_mutex_lock(&g_log_mu);
	for (int i = mark; i < g_nlog && len + 1 < size; i++) {
		if (kind && g_log[i][0] != kind)
			continue;
		int w = snprintf(buf + len, size - len, "%s%s", len ? " " : "",
				 g_log[i]);
		if (w > 0)
			len += (size_t)w;
	}
	pthread_mutex_unlock(&g_log_mu);
}

void ev_send(uint64_t tag, const char *id, const ot_reason *r)
{
	struct ev e;
	memset(&e, 0, sizeof(e));
	snprintf(e.id, sizeof(e.id), "%s", id);
	e.pid = ot_self();
	if (r)
		e.reason = *r;
	e.t = now_msf();
	ot_send(g_receiver, tag, &e, sizeof(e));
}

struct match_arg {
	uint64_t tag;
	const char *id;
};

static bool match_ev(const ot_msg *m, void *arg)
{
	const struct match_arg *a = arg;
	struct ev e;
	if (ot_msg_tag(m) != a->tag || ot_msg_size(m) != sizeof(e))
		return false;
	if (!a->id)
		return true;
	memcpy(&e, ot_msg_data(m), sizeof(e));
	return strcmp(e.id, a->id) == 0;
}

bool try_ev(uint64_t tag, const char *id, int ms, struct ev *out)
{
	struct match_arg ma = {.tag = tag, .id = id};
	ot_msg *m;
	if (ot_receive_match(match_ev, &ma, &m, ms) != 0)
		return false;
	if (out)
		memcpy(out, ot_msg_data(m), sizeof(*out));
	ot_msg_free(m);
	return true;
}

struct ev expect_ev(uint64_t tag, const char *id, const char *what)
{
	struct ev e;
	ck_assert_msg(try_ev(tag, id, scaled_ms(5000), &e),
		      "%s: no event %d from %s", what, (int)tag,
		      id ? id : "any child");
	return e;
}

void expect_no_ev(uint64_t tag, const char *id, int ms, const char *what)
{
	struct ev e;
	ck_assert_msg(!try_ev(tag, id, ms, &e),
		      "%s: unexpected event %d from %s", what, (int)tag, e.id);
}

int count_ev(uint64_t tag, const char *id)
{
	int n = 0;
	while (try_ev(tag, id, 0, NULL))
		n++;
	return n;
}

ot_pid start_of(const char *id, const char *what)
{
	return expect_ev(EV_START, id, what).pid;
}

void expect_term(const char *id, ot_reason want, const char *what)
{
	struct ev e = expect_ev(EV_TERM, id, what);
	assert_reason(&e.reason, &want, what);
}
