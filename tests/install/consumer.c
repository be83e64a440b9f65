/* SPDX-License-Identifier: MIT */
/*
 * consumer.c — a program outside otter's tree, built against an installed
 * otter by tests/install/test_consumers.sh: once with CMake
 * (find_package(otter)), once with a plain Makefile and pkg-config. It
 * starts the runtime, spawns a process, trades a message with it, checks
 * that the library it runs with is the one whose headers it was built
 * with, and shuts down. Prints one line and exits 0 when all went well.
 */
#include <otter.h>
#include <stdio.h>
#include <string.h>

enum { TAG_PING = 1, TAG_PONG = 2 };

/* Answers one ping with a pong carrying the same bytes. */
static void ponger(void *arg)
{
	ot_msg *msg;

	(void)arg;
	if (ot_receive(&msg, 10000) != 0)
		return;
	if (ot_msg_tag(msg) == TAG_PING)
		ot_send(ot_msg_from(msg), TAG_PONG, ot_msg_data(msg),
			ot_msg_size(msg));
	ot_msg_free(msg);
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "consumer: %s: %s (%s)\n", what, ot_err_name(rc),
		ot_strerror(rc));
	return 1;
}

int main(void)
{
	const char ping[] = "ping";
	ot_pid pid;
	ot_msg *msg;
	int rc, ok;

	if (strcmp(ot_version(), OTTER_VERSION_STRING) != 0 ||
	    ot_version_number() != OTTER_VERSION_NUMBER) {
		fprintf(stderr, "consumer: headers %s, library %s\n",
			OTTER_VERSION_STRING, ot_version());
		return 1;
	}
	if ((rc = ot_start(NULL)) != 0)
		return fail("ot_start", rc);
	if ((rc = ot_spawn(ponger, NULL, NULL, &pid)) != 0)
		return fail("ot_spawn", rc);
	if ((rc = ot_send(pid, TAG_PING, ping, sizeof ping)) != 0)
		return fail("ot_send", rc);
	if ((rc = ot_receive(&msg, 10000)) != 0)
		return fail("ot_receive", rc);
	ok = ot_msg_tag(msg) == TAG_PONG && ot_msg_size(msg) == sizeof ping &&
	     memcmp(ot_msg_data(msg), ping, sizeof ping) == 0;
	ot_msg_free(msg);
	if (!ok) {
		fprintf(stderr, "consumer: the answer is not the pong\n");
		return 1;
	}
	if ((rc = ot_shutdown()) != 0)
		return fail("ot_shutdown", rc);
	printf("otter %s: spawned, sent, received, shut down\n", ot_version());
	return 0;
}
