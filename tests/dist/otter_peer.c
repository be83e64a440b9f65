/* SPDX-License-Identifier: MIT */
/*
 * otter_peer.c — a second otter node for tests/dist/test_peer: started as
 * `otter_peer NAME COOKIE`, it runs a process registered as echo that
 * answers {Pid, Term} with Pid ! Term, prints "ready", and stops when its
 * standard input ends. Commands, one a line on its standard input:
 *   send NODE   {inbox, NODE} ! hello (connecting to NODE if need be)
 *   peers       prints how many nodes it is connected to (ot_node_peers)
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <otter/dist.h>

static void echo(void *arg)
{
	ot_msg *msg;
	while (ot_receive(&msg, OT_INFINITY) == 0) {
		const char *t = ot_msg_data(msg);
		int i = 0, version, arity;
		erlang_pid from;
		if (ot_msg_tag(msg) == OT_DIST_TAG &&
		    !ei_decode_version(t, &i, &version) &&
		    !ei_decode_tuple_header(t, &i, &arity) && arity == 2 &&
		    !ei_decode_pid(t, &i, &from)) {
			int start = i;
			ei_x_buff x;
			ei_skip_term(t, &i);
			ei_x_new_with_version(&x);
			ei_x_append_buf(&x, t + start, i - start);
			ot_dist_send(&from, x.buff, (size_t)x.index);
			ei_x_free(&x);
		}
		ot_msg_free(msg);
	}
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: otter_peer NAME COOKIE\n");
		return 2;
	}
	ot_spawn_opts opts = {.name = "echo"};
	ot_pid pid;
	if (ot_start(NULL) || ot_node_start(argv[1], argv[2], NULL) ||
	    ot_spawn(echo, NULL, &opts, &pid))
		return 1;
	printf("ready\n");
	fflush(stdout);
	char line[256];
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "send ", 5) == 0) {
			static const char hello[] = {
			    (char)131, 'd', 0, 5, 'h', 'e', 'l', 'l', 'o'};
			int rc = ot_dist_send_name(line + 5, "inbox", hello,
						   sizeof(hello));
			printf("sent %d\n", rc);
		} else if (strcmp(line, "peers") == 0)
			printf("peers %d\n", ot_node_peers(NULL, 0));
		fflush(stdout);
	}
	ot_node_stop();
	ot_reason r = ot_reason_kill();
	ot_exit_pid(pid, &r);
	return ot_shutdown() ? 1 : 0;
}
