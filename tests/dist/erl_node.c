/* SPDX-License-Identifier: MIT */
/*
 * erl_node.c — starting real Erlang nodes for the tests (erl_node.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "erl_node.h"
#include "fixture.h"

bool erl_available(void)
{
	return system("command -v erl >/dev/null 2>&1") == 0;
}

void erl_require_or_skip(const char *suite)
{
	if (erl_available())
		return;
	printf("1..0 # SKIP %s: erl not found (install erlang-base to run the "
	       "tests of the Erlang distribution)\n",
	       suite);
	exit(0);
}

void erl_node_name(char *buf, size_t size, const char *prefix)
{
	snprintf(buf, size, "%s%ld@127.0.0.1", prefix, (long)getpid());
}

int erl_start(erl_node *e, const char *name, const char *cookie,
	      const char *expr, int timeout_s)
{
	int p[2];
	if (pipe(p))
		return -1;
	char tmo[16];
	snprintf(tmo, sizeof(tmo), "%d", timeout_s);
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0); /* erl_kill() ends erl and beam with it */
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		execlp("timeout", "timeout", "-s", "KILL", tmo, "erl",
		       "-noshell", "-name", name, "-setcookie", cookie, "-eval",
		       expr, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	e->pid = pid;
	e->out = p[0];
	return 0;
}

bool erl_read_line(erl_node *e, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		char ch;
		ssize_t r = read(e->out, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			buf[n] = '\0';
			return n > 0;
		}
		if (ch == '\n')
			break;
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return true;
}

int erl_finish(erl_node *e, char *buf, size_t size)
{
	size_t n = 0;
	for (;;) {
		char scratch[256];
		char *to = n + 1 < size ? buf + n : scratch;
		size_t room = n + 1 < size ? size - 1 - n : sizeof(scratch);
		ssize_t r = read(e->out, to, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (to != scratch)
			n += (size_t)r;
	}
	if (size)
		buf[n] = '\0';
	close(e->out);
	int status;
	while (waitpid(e->pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int erl_kill(erl_node *e)
{
	kill(-e->pid, SIGKILL);
	char rest[256];
	return erl_finish(e, rest, sizeof(rest));
}

int erl_run(const char *name, const char *cookie, const char *expr,
	    int timeout_s, char *buf, size_t size)
{
	erl_node e;
	if (erl_start(&e, name, cookie, expr, timeout_s))
		return -1;
	return erl_finish(&e, buf, size);
}

/* ---- The fixture --------------------------------------------------------- */

char otter_name[64], erl_name[64];

void dist_setup(void)
{
	erl_node_name(otter_name, sizeof(otter_name), "otter");
	erl_node_name(erl_name, sizeof(erl_name), "erl");
	ck_assert_ot_ok(ot_node_start(otter_name, DIST_COOKIE, NULL));
}

void dist_teardown(void)
{
	ck_assert_ot_ok(ot_node_stop());
}

void erl_start_expecting(erl_node *node, const char *expr,
			 const char *first_line)
{
	char line[256];
	ck_assert_int_eq(
	    erl_start(node, erl_name, DIST_COOKIE, expr, ERL_TIMEOUT_S), 0);
	ck_assert(erl_read_line(node, line, sizeof(line)));
	ck_assert_str_eq(line, first_line);
}

ot_msg *receive_term(void)
{
	ot_msg *msg = NULL;
	ck_assert_ot_ok(ot_receive(&msg, scaled_ms(10000)));
	ck_assert_uint_eq(ot_msg_tag(msg), OT_DIST_TAG);
	return msg;
}

void open_tagged_tuple(const ot_msg *msg, int *i, int arity, const char *tag)
{
	const char *t = ot_msg_data(msg);
	int version, got_arity;
	char atom[MAXATOMLEN];
	*i = 0;
	ck_assert_int_eq(ei_decode_version(t, i, &version), 0);
	ck_assert_int_eq(ei_decode_tuple_header(t, i, &got_arity), 0);
	ck_assert_int_eq(got_arity, arity);
	ck_assert_int_eq(ei_decode_atom(t, i, atom), 0);
	ck_assert_str_eq(atom, tag);
}

void encode_tuple(ei_x_buff *x, const char *atom, long n)
{
	ck_assert_int_eq(ei_x_new_with_version(x), 0);
	ck_assert_int_eq(ei_x_encode_tuple_header(x, 2), 0);
	ck_assert_int_eq(ei_x_encode_atom(x, atom), 0);
	ck_assert_int_eq(ei_x_encode_long(x, n), 0);
}

/* {Tag, Pid} ! to (remote), or to the name `name` of the Erlang node. */
void send_pid(ot_pid to, const char *name, const char *tag, ot_pid pid)
{
	ot_term_buf b;
	const void *d;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_init(&b));
	ot_term_tuple(&b, 2);
	ot_term_atom(&b, tag);
	ot_term_local_pid(&b, pid);
	ck_assert_ot_ok(ot_term_buf_get(&b, &d, &n));
	if (name)
		ck_assert_ot_ok(ot_dist_send_name(erl_name, name, d, n));
	else
		ck_assert_ot_ok(ot_send(to, OT_DIST_TAG, d, n));
	ot_term_buf_free(&b);
}

/* {Name, Node} ! {Tag, self()} from this process; Erlang code that
 * registered Name answers to the pid. */
void send_self(const char *name, const char *tag)
{
	send_pid(OT_PID_NONE, name, tag, ot_self());
}

/* Receives {Tag, Pid} from Erlang: the pid as an ot_pid. */
ot_pid receive_pid(const char *tag)
{
	ot_msg *msg = receive_term();
	char got[OT_TERM_ATOM_MAX];
	ot_pid pid;
	ck_assert_ot_ok(ot_term_match(ot_msg_data(msg), ot_msg_size(msg),
				      "{%a, %P}", got, &pid));
	ck_assert_str_eq(got, tag);
	ck_assert(ot_pid_is_remote(pid));
	ot_msg_free(msg);
	return pid;
}

/* to ! Atom, or (name not NULL) ot_send_name(name, Atom). */
static void send_atom_to(ot_pid to, const char *name, const char *atom)
{
	ot_term_buf b;
	const void *d;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_init(&b));
	ot_term_atom(&b, atom);
	ck_assert_ot_ok(ot_term_buf_get(&b, &d, &n));
	if (name)
		ck_assert_ot_ok(ot_send_name(name, OT_DIST_TAG, d, n));
	else
		ck_assert_ot_ok(ot_send(to, OT_DIST_TAG, d, n));
	ot_term_buf_free(&b);
}

void send_atom(ot_pid to, const char *atom)
{
	send_atom_to(to, NULL, atom);
}

void send_atom_name(const char *name, const char *atom)
{
	send_atom_to(OT_PID_NONE, name, atom);
}

bool is_down(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_down(m) != NULL;
}

bool is_exit(const ot_msg *m, void *arg)
{
	(void)arg;
	return ot_msg_exit(m) != NULL;
}
