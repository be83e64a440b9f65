/* SPDX-License-Identifier: MIT */
/*
 * bench_dist.c — the otter side of bench/run dist: an otter node whose
 * gen_server `bench_echo` answers every gen_server:call from Erlang with
 * its request, as bench/erlang/dist_bench.erl's echo server does on an
 * Erlang node. The Erlang client (dist_bench:client) times the calls.
 *
 *   bench_dist --name NAME --cookie COOKIE [--schedulers N]
 *
 * prints "ready" once the node serves, and runs until SIGTERM or SIGINT.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <otter/dist.h>

/* The reply is the request, with a version byte before it: built in the
 * server's state, which lives as long as the server. */
static ot_gs_ret echo_init(void *arg, void **state)
{
	ot_term_buf *b = malloc(sizeof(*b));
	if (!b || ot_term_buf_init(b)) {
		free(b);
		return ot_gs_stop(ot_reason_error(OT_ENOMEM, "out of memory"));
	}
	*state = b;
	return ot_gs_ok();
}

static ot_gs_ret echo_info(const ot_msg *msg, void **state)
{
	ot_term_buf *b = *state;
	ot_dist_from from;
	size_t at;
	const void *reply;
	size_t size;
	if (ot_msg_tag(msg) != OT_DIST_TAG ||
	    ot_dist_call_parse(ot_msg_data(msg), ot_msg_size(msg), &from, &at))
		return ot_gs_noreply();
	ot_term_buf_reset(b);
	ot_term_raw(b, (const char *)ot_msg_data(msg) + at,
		    ot_msg_size(msg) - at);
	if (ot_term_buf_get(b, &reply, &size) == 0)
		ot_dist_reply(&from, reply, size);
	return ot_gs_noreply();
}

static void echo_free(const ot_reason *reason, void *state)
{
	ot_term_buf_free(state);
	free(state);
}

static const ot_gen_server_callbacks echo = {
    .init = echo_init,
    .handle_info = echo_info,
    .terminate = echo_free,
    .release = echo_free,
};

int main(int argc, char **argv)
{
	const char *name = NULL, *cookie = NULL;
	unsigned schedulers = 0;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--cookie") == 0)
			cookie = argv[i + 1];
		else if (strcmp(argv[i], "--schedulers") == 0)
			schedulers = (unsigned)atoi(argv[i + 1]);
	}
	if (!name || !cookie) {
		fprintf(stderr, "usage: bench_dist --name NAME --cookie COOKIE "
				"[--schedulers N]\n");
		return 2;
	}
	/* SIGTERM and SIGINT are waited for below: blocked before the
	 * runtime's threads start, so that they inherit the mask. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);

	ot_config cfg = {.schedulers = schedulers};
	int rc = ot_start(&cfg);
	if (!rc)
		rc = ot_node_start(name, cookie, NULL);
	ot_gen_server_opts so = {.name = "bench_echo"};
	ot_pid server;
	if (!rc)
		rc = ot_gen_server_start(&echo, NULL, &so, &server, NULL);
	if (rc) {
		fprintf(stderr, "bench_dist: %s\n", ot_strerror(rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	int sig;
	sigwait(&stop, &sig);
	ot_gen_server_stop(server, NULL, OT_INFINITY);
	ot_node_stop();
	ot_thread_detach();
	ot_shutdown();
	return 0;
}
