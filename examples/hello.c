/* SPDX-License-Identifier: MIT */
/*
 * hello.c — a first tour of otter's processes.
 *
 *   1. start the runtime (a pool of scheduler threads);
 *   2. spawn a "greeter" registered by name, find it with ot_whereis() and
 *      talk to it from main();
 *   3. spawn a ring of 5 processes and pass a counter twice around it;
 *   4. let a linked process divide by zero: the crash ends that process
 *      only, and main gets its exit reason as an EXIT message;
 *   5. stop every process and shut the runtime down.
 *
 * Only the public API is used: #include <otter.h>, link with
 * `pkg-config --cflags --libs otter`.
 */
#include <otter.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A message is a tag and some bytes; the tag says what the bytes mean. */
enum { TAG_GREET = 1, TAG_REPLY, TAG_NEXT, TAG_TOKEN, TAG_DONE, TAG_STOP };

#define RING_SIZE 5
#define RING_LAPS 2

/* What travels round the ring. Messages are copied, so a struct on the
 * sender's stack is fine. */
struct token {
	int counter;   /* +1 at every hop */
	int hops_left; /* at 0 the token goes back to report */
	ot_pid report; /* who wants the final count (main) */
};

/* A process with a bug: an integer division by zero (a real SIGFPE). */
static void divider(void *arg)
{
	volatile int zero = 0;
	volatile int n = (int)(intptr_t)arg;
	printf("divider: computing %d / %d...\n", n, zero);
	n = n / zero;
	printf("divider: never printed (%d)\n", n);
}

/* Every otter call returns 0 (or a count) or a negative OT_E... code. */
static void check(int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "hello: %s: %s (%s)\n", what, ot_err_name(rc),
			ot_strerror(rc));
		exit(1);
	}
}

/* Pids print as in Erlang: "<0.Index.Generation>". */
static const char *fmt(ot_pid pid, char buf[OT_PID_STRLEN])
{
	ot_pid_format(pid, buf, OT_PID_STRLEN);
	return buf;
}

/* The greeter answers each TAG_GREET (a name) with a TAG_REPLY to its
 * sender, until TAG_STOP. Returning ends the process normally. */
static void greeter(void *arg)
{
	char me[OT_PID_STRLEN], from[OT_PID_STRLEN], reply[128];
	ot_msg *msg;

	for (;;) {
		check(ot_receive(&msg, OT_INFINITY), "greeter: receive");
		if (ot_msg_tag(msg) == TAG_STOP)
			break;
		int len = (int)ot_msg_size(msg); /* the name has no NUL */
		const char *name = ot_msg_data(msg);
		snprintf(reply, sizeof reply, "Hello, %.*s!", len, name);
		printf("greeter %s: got \"%.*s\" from %s, replying \"%s\"\n",
		       fmt(ot_self(), me), len, name,
		       fmt(ot_msg_from(msg), from), reply);
		/* Every message carries its sender's pid: reply to it. */
		check(ot_send(ot_msg_from(msg), TAG_REPLY, reply,
			      strlen(reply) + 1),
		      "greeter: send");
		ot_msg_free(msg);
	}
	ot_msg_free(msg);
	printf("greeter %s: stopping\n", fmt(ot_self(), me));
}

/* For selective receive: take only messages whose tag is *arg. */
static bool tag_is(const ot_msg *msg, void *arg)
{
	return ot_msg_tag(msg) == *(const uint64_t *)arg;
}

/* A ring member: learns its neighbour (TAG_NEXT), then passes the token
 * on, one more each hop, until TAG_STOP. */
static void ring_node(void *arg)
{
	int index = (int)(intptr_t)arg;
	char me[OT_PID_STRLEN], to[OT_PID_STRLEN];
	uint64_t want = TAG_NEXT;
	ot_msg *msg;

	/* Wait for TAG_NEXT only: a token that came early stays queued. */
	check(ot_receive_match(tag_is, &want, &msg, OT_INFINITY),
	      "ring: receive");
	ot_pid next = *(const ot_pid *)ot_msg_data(msg);
	ot_msg_free(msg);

	for (;;) {
		check(ot_receive(&msg, OT_INFINITY), "ring: receive");
		if (ot_msg_tag(msg) == TAG_STOP)
			break;
		struct token t = *(const struct token *)ot_msg_data(msg);
		ot_msg_free(msg);
		t.counter++;
		/* After the last hop the token goes home instead. */
		bool last = --t.hops_left == 0;
		ot_pid dest = last ? t.report : next;
		printf("ring[%d] %s: counter=%d, %s %s\n", index,
		       fmt(ot_self(), me), t.counter,
		       last ? "last hop, reporting to" : "passing it to",
		       fmt(dest, to));
		check(ot_send(dest, last ? TAG_DONE : TAG_TOKEN, &t, sizeof t),
		      "ring: send");
	}
	ot_msg_free(msg);
}

int main(void)
{
	char a[OT_PID_STRLEN], b[OT_PID_STRLEN];
	ot_msg *msg;
	ot_pid g, ring[RING_SIZE];

	setvbuf(stdout, NULL, _IOLBF, 0); /* whole lines, even into a pipe */

	/* 1. Two scheduler threads; a zero field means "the default". */
	check(ot_start(&(ot_config){.schedulers = 2}), "ot_start");

	/* 2. Spawn the greeter under a name, and look the name up. main() is
	 * no otter process, but sending gives it a pid and a mailbox. */
	check(
	    ot_spawn(greeter, NULL, &(ot_spawn_opts){.name = "greeter"}, NULL),
	    "spawn greeter");
	check(ot_whereis("greeter", &g), "whereis greeter");
	const char *names[] = {"world", "otter"};
	for (int i = 0; i < 2; i++) {
		printf("main %s: sending \"%s\" to greeter %s\n",
		       fmt(ot_self(), a), names[i], fmt(g, b));
		check(ot_send(g, TAG_GREET, names[i], strlen(names[i])),
		      "send");
		check(ot_receive(&msg, 1000),
		      "receive reply"); /* wait <= 1 s */
		printf("main %s: reply from %s: \"%s\"\n", fmt(ot_self(), a),
		       fmt(ot_msg_from(msg), b),
		       (const char *)ot_msg_data(msg));
		ot_msg_free(msg);
	}

	/* 3. The ring: spawn the nodes, then tell each one who comes next. */
	for (int i = 0; i < RING_SIZE; i++)
		check(ot_spawn(ring_node, (void *)(intptr_t)i, NULL, &ring[i]),
		      "spawn ring node");
	for (int i = 0; i < RING_SIZE; i++) {
		ot_pid next = ring[(i + 1) % RING_SIZE];
		check(ot_send(ring[i], TAG_NEXT, &next, sizeof next),
		      "send next");
	}
	struct token t = {0, RING_SIZE * RING_LAPS, ot_self()};
	printf("main %s: sending counter=0 to ring[0] %s for %d laps\n",
	       fmt(ot_self(), a), fmt(ring[0], b), RING_LAPS);
	check(ot_send(ring[0], TAG_TOKEN, &t, sizeof t), "send token");
	check(ot_receive(&msg, 5000), "receive ring result");
	printf("main %s: the ring counted to %d\n", fmt(ot_self(), a),
	       ((const struct token *)ot_msg_data(msg))->counter);
	ot_msg_free(msg);

	/* 4. A crash. The divider is linked to main; main is a thread, not a
	 * process, so it always traps exits: the crash arrives as an EXIT
	 * message carrying the exit reason, and everything else goes on.
	 * (The crash report with a backtrace goes to stderr.) */
	ot_pid d;
	ot_spawn_opts linked = {.flags = OT_SPAWN_LINK};
	check(ot_spawn(divider, (void *)(intptr_t)42, &linked, &d),
	      "spawn divider");
	check(ot_receive(&msg, 5000), "receive EXIT");
	const ot_exit_info *ex = ot_msg_exit(msg);
	if (ex) {
		char why[OT_REASON_STRLEN];
		ot_reason_format(&ex->reason, why, sizeof why);
		printf("main %s: %s ended: %s\n", fmt(ot_self(), a),
		       fmt(ex->from, b), why);
	}
	ot_msg_free(msg);
	check(ot_send(g, TAG_GREET, "again", 5), "send");
	check(ot_receive(&msg, 1000), "receive reply");
	printf("main %s: the greeter still answers: \"%s\"\n",
	       fmt(ot_self(), a), (const char *)ot_msg_data(msg));
	ot_msg_free(msg);

	/* 5. Stop everyone, then the runtime (it joins its threads). */
	for (int i = 0; i < RING_SIZE; i++)
		check(ot_send(ring[i], TAG_STOP, NULL, 0), "send stop");
	check(ot_send(g, TAG_STOP, NULL, 0), "send stop");
	while (ot_is_alive(g)) /* let the greeter say goodbye */
		ot_sleep(1);
	check(ot_thread_detach(), "ot_thread_detach");
	check(ot_shutdown(), "ot_shutdown");
	printf("main: runtime stopped, bye\n");
	return 0;
}
