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

/* erl_start + erl_finish. */
int erl_run(const char *name, const char *cookie, const char *expr,
	    int timeout_s, char *buf, size_t size);

#endif /* OTTER_TESTS_DIST_ERL_NODE_H */
