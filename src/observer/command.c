/* SPDX-License-Identifier: MIT */
/*
 * command.c — the observer's requests (otter/observer.h): a line split
 * into words, the command found, its reply written as one JSON object.
 * The socket and HTTP endpoints both come here; HTTP only reads.
 */
#include "config.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <otter/gen_server_client.h>
#include <otter/proc.h>
#include <otter/supervisor.h>

#include "observer.h"

#define MAX_WORDS 8

struct words {
	size_t n;
	char *w[MAX_WORDS];
};

/* Splits line (modified in place) on blanks. False: too many words. */
static bool split(char *line, struct words *out)
{
	out->n = 0;
	for (char *p = line;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return true;
		if (out->n == MAX_WORDS)
			return false;
		out->w[out->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
}

/* "<0.I.G>" as ot_pid_format() writes it. */
static bool parse_pid(const char *s, ot_pid *out)
{
	unsigned long long idx, gen;
	int end = 0;
	if (sscanf(s, "<0.%llu.%llu>%n", &idx, &gen, &end) != 2 ||
	    s[end] != '\0' || idx > UINT32_MAX || gen > UINT32_MAX ||
	    !isdigit((unsigned char)s[3]))
		return false;
	out->id = (uint64_t)gen << 32 | idx;
	return !ot_pid_is_none(*out);
}

int ot__obs_resolve(const char *what, ot_pid *out)
{
	if (what[0] == '<')
		return parse_pid(what, out) ? 0 : OT_ENOPROC;
	if (strlen(what) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	return ot_whereis(what, out) == 0 ? 0 : OT_ENOPROC;
}

/* Resolves w, or writes the error and returns false. */
static bool target(struct ot__json *j, const char *w, ot_pid *pid)
{
	int rc = ot__obs_resolve(w, pid);
	if (rc == OT_ENAMETOOLONG)
		ot__json_error(j, rc, "name too long (over %d bytes)",
			       OT_NAME_MAX);
	else if (rc)
		ot__json_error(j, rc,
			       w[0] == '<' ? "no such process: %s (not a pid "
					     "as <0.12.3>, or gone)"
					   : "no process is registered as %s",
			       w);
	return rc == 0;
}

static void cmd_info(struct ot__json *j, const char *w)
{
	ot_pid pid;
	if (!target(j, w, &pid))
		return;
	ot__json_open(j, '{');
	int rc = ot__obs_process(j, pid, true);
	ot__json_close(j, '}');
	if (rc)
		ot__json_error(j, rc, "no such process: %s (it has ended)", w);
}

static void cmd_state(struct ot__json *j, const char *w)
{
	ot_pid pid;
	if (!target(j, w, &pid))
		return;
	char *buf = malloc(65536);
	if (!buf) {
		ot__json_error(j, OT_ENOMEM, "out of memory");
		return;
	}
	int rc = ot_gen_server_get_state(pid, buf, 65536, 2000);
	if (rc < 0) {
		ot__json_error(j, rc, "%s: %s", w,
			       rc == OT_ENOTSERVER ? "not a gen_server"
						   : ot_strerror(rc));
	} else {
		ot__json_open(j, '{');
		ot__json_kpid(j, "pid", pid);
		ot__json_kstr(j, "state", buf);
		ot__json_close(j, '}');
	}
	free(buf);
}

static void cmd_kill(struct ot__json *j, const char *w)
{
	ot_pid pid;
	if (!target(j, w, &pid))
		return;
	if (!ot_is_alive(pid)) {
		ot__json_error(j, OT_ENOPROC, "no such process: %s", w);
		return;
	}
	ot_reason kill = ot_reason_kill();
	int rc = ot_exit_pid(pid, &kill);
	if (rc) {
		ot__json_error(j, rc, "kill %s: %s", w, ot_strerror(rc));
		return;
	}
	ot__json_open(j, '{');
	ot__json_kbool(j, "ok", true);
	ot__json_kpid(j, "killed", pid);
	ot__json_close(j, '}');
}

/* OTP's way to restart a running child by hand: terminate, then
 * restart (a child that is not running is only restarted). */
static void cmd_restart(struct ot__json *j, const char *sw, const char *id)
{
	ot_pid sup, pid;
	if (!target(j, sw, &sup))
		return;
	if (strlen(id) > OT_NAME_MAX) {
		ot__json_error(j, OT_ENAMETOOLONG, "child id too long");
		return;
	}
	ot_child_info before;
	int rc = ot_supervisor_which_child(sup, id, &before);
	if (rc == 0 && before.status == OT_CHILD_RUNNING)
		rc = ot_supervisor_terminate_child(sup, id);
	ot_reason why = ot_reason_normal();
	if (rc == 0)
		rc = ot_supervisor_restart_child(sup, id, &pid, &why);
	if (rc) {
		char r[OT_REASON_STRLEN] = "";
		if (rc == OT_ECHILDSTART)
			ot_reason_format(&why, r, sizeof r);
		ot__json_error(j, rc, "restart %s %s: %s%s%s", sw, id,
			       rc == OT_EINVAL ? "not a supervisor"
					       : ot_strerror(rc),
			       r[0] ? ": " : "", r);
		return;
	}
	ot__json_open(j, '{');
	ot__json_kbool(j, "ok", true);
	ot__json_kstr(j, "id", id);
	ot__json_kpid(j, "old", before.pid);
	ot__json_kpid(j, "pid", pid);
	ot__json_close(j, '}');
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return false;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

static void cmd_ps(struct ot__json *j, const struct words *w)
{
	enum ot__ps_sort sort = OT__PS_MEMORY;
	size_t limit = 20;
	for (size_t i = 1; i < w->n; i++) {
		const char *a = w->w[i];
		if (!strcmp(a, "sort=memory"))
			sort = OT__PS_MEMORY;
		else if (!strcmp(a, "sort=mailbox"))
			sort = OT__PS_MAILBOX;
		else if (!strcmp(a, "sort=activity"))
			sort = OT__PS_ACTIVITY;
		else if (!strncmp(a, "limit=", 6) && parse_size(a + 6, &limit))
			;
		else {
			ot__json_error(j, OT_EINVAL,
				       "ps: unknown argument %s (sort=memory|"
				       "mailbox|activity, limit=N)",
				       a);
			return;
		}
	}
	if (limit > OT_OBSERVER_PS_MAX)
		limit = OT_OBSERVER_PS_MAX;
	ot__obs_ps(j, sort, limit);
}

static const struct command {
	const char *name;
	size_t args; /* words after the name: exactly these, but ps */
	bool writes;
	const char *usage;
} commands[] = {
    {"tree", 0, false, "tree"},
    {"ps", 0, false, "ps [sort=memory|mailbox|activity] [limit=N]"},
    {"info", 1, false, "info PID|NAME"},
    {"state", 1, false, "state NAME|PID"},
    {"history", 0, false, "history"},
    {"restart", 2, true, "restart SUP ID"},
    {"kill", 1, true, "kill PID|NAME"},
    {"help", 0, false, "help"},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void cmd_help(struct ot__json *j)
{
	ot__json_open(j, '{');
	ot__json_key(j, "commands");
	ot__json_open(j, '[');
	for (size_t i = 0; i < NCOMMANDS; i++)
		ot__json_str(j, commands[i].usage);
	ot__json_close(j, ']');
	ot__json_close(j, '}');
}

static void dispatch(const struct command *c, const struct words *w,
		     struct ot__json *j)
{
	const char *n = c->name;
	if (!strcmp(n, "tree"))
		ot__obs_tree(j);
	else if (!strcmp(n, "ps"))
		cmd_ps(j, w);
	else if (!strcmp(n, "info"))
		cmd_info(j, w->w[1]);
	else if (!strcmp(n, "state"))
		cmd_state(j, w->w[1]);
	else if (!strcmp(n, "history"))
		ot__history_json(j);
	else if (!strcmp(n, "restart"))
		cmd_restart(j, w->w[1], w->w[2]);
	else if (!strcmp(n, "kill"))
		cmd_kill(j, w->w[1]);
	else
		cmd_help(j);
}

void ot__obs_run(const char *line, size_t len, unsigned flags,
		 struct ot__json *j)
{
	ot__json_reset(j);
	if (memchr(line, '\0', len)) {
		ot__json_error(j, OT_EINVAL, "not a text line (a NUL byte)");
		return;
	}
	char copy[OT_OBSERVER_LINE_MAX + 1];
	if (len >= sizeof copy) {
		ot__json_error(j, OT_EINVAL, "request line too long");
		return;
	}
	memcpy(copy, line, len);
	copy[len] = '\0';
	struct words w;
	if (!split(copy, &w)) {
		ot__json_error(j, OT_EINVAL, "too many words");
		return;
	}
	if (w.n == 0) {
		ot__json_error(j, OT_EINVAL, "empty request (try help)");
		return;
	}
	const struct command *c = NULL;
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(w.w[0], commands[i].name))
			c = &commands[i];
	if (!c) {
		ot__json_error(j, OT_EINVAL, "unknown command %s (try help)",
			       w.w[0]);
		return;
	}
	if (c->writes && (flags & OT__OBS_READ_ONLY)) {
		ot__json_error(j, OT_EINVAL, "%s: read-only here", c->name);
		return;
	}
	if (strcmp(c->name, "ps") && w.n - 1 != c->args) {
		ot__json_error(j, OT_EINVAL, "usage: %s", c->usage);
		return;
	}
	dispatch(c, &w, j);
	if (j->full)
		ot__json_error(j, OT_ETOOBIG,
			       "the reply is larger than %zu bytes", j->limit);
}
