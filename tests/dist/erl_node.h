/* SPDX-License-Identifier: MIT */
/*
 * erl_node.h — real Erlang nodes for the tests of tests/dist: started
 * with erl -noshell -name NAME -setcookie COOKIE -eval EXPR, on
 * 127.0.0.1 only, each under a hard timeout; their standard output is
 * what the test reads back.
 */
#ifndef OTTER_TESTS_DIST_ERL_NODE_H
#define OTTER_TESTS_DIST_ERL_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* True when erl is on PATH. */
bool erl_available(void);

/* Skips the whole suite (TAP "1..0 # SKIP") unless erl is on PATH;
 * returns only when it is. */
void erl_require_or_skip(const char *suite);

/* A name unique to this test process: "<prefix><pid>@127.0.0.1". */
void erl_node_name(char *buf, size_t size, const char *prefix);

typedef struct erl_node {
	pid_t pid;
	int out; /* its standard output, read end */
} erl_node;

/* Starts erl -noshell -name name -setcookie cookie -eval expr, killed
 * after timeout_s seconds. Returns 0 or -1. */
int erl_start(erl_node *e, const char *name, const char *cookie,
	      const char *expr, int timeout_s);

/* Reads one line of its output (without the newline) into buf; false at
 * the end of its output. */
bool erl_read_line(erl_node *e, char *buf, size_t size);

/* Reads the rest of its output into buf, waits for it to end, and
 * returns its exit status (-1 when killed). */
int erl_finish(erl_node *e, char *buf, size_t size);

/* Kills the node (erl, its beam and epmd's registration with them) and
 * waits for it; returns as erl_finish(). */
int erl_kill(erl_node *e);

/* erl_start + erl_finish. */
int erl_run(const char *name, const char *cookie, const char *expr,
	    int timeout_s, char *buf, size_t size);

/* ---- The fixture of the tests of tests/dist -------------------------- */

#include <otter/dist.h>

#define DIST_COOKIE   "otter_test_cookie"
#define ERL_TIMEOUT_S 20

/* This test's otter node and the name of its Erlang node, unique to the
 * test process (dist_setup() sets them). */
extern char otter_name[64], erl_name[64];

/* Checked fixture (with ot_test_setup): starts the otter node; stops it. */
void dist_setup(void);
void dist_teardown(void);

/* An -eval expression, printf-like, into the array buf. */
#define EXPR(buf, ...) snprintf(buf, sizeof(buf), __VA_ARGS__)

/* Starts the Erlang node erl_name (cookie DIST_COOKIE) running expr and
 * asserts that the first line it prints is first_line. */
void erl_start_expecting(erl_node *node, const char *expr,
			 const char *first_line);

/* Receives one OT_DIST_TAG message within a few seconds. */
ot_msg *receive_term(void);

/* Decodes the start of {Tag, ...} in msg: checks the version, the arity
 * and that the tag is the atom tag; *i is then at the second element. */
void open_tagged_tuple(const ot_msg *msg, int *i, int arity, const char *tag);

/* Encodes {atom, n} into a new x (ei_x_free it). */
void encode_tuple(ei_x_buff *x, const char *atom, long n);

/* {Tag, Pid} ! to (a remote pid), or to the name `name` of the Erlang
 * node when name is not NULL. */
void send_pid(ot_pid to, const char *name, const char *tag, ot_pid pid);
/* {Name, ErlNode} ! {Tag, self()}. */
void send_self(const char *name, const char *tag);
/* Receives {Tag, Pid} from Erlang: the pid as a remote ot_pid. */
ot_pid receive_pid(const char *tag);
/* to ! Atom; ot_send_name(name, Atom) ("name@node": {Name, Node} !). */
void send_atom(ot_pid to, const char *atom);
void send_atom_name(const char *name, const char *atom);
/* Matchers for ot_receive_match(): a DOWN, an EXIT. */
bool is_down(const ot_msg *m, void *arg);
bool is_exit(const ot_msg *m, void *arg);

#endif /* OTTER_TESTS_DIST_ERL_NODE_H */
