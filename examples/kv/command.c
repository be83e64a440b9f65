/* SPDX-License-Identifier: MIT */
/*
 * command.c — the line protocol, the guide's KVServer.Command: parse a
 * line into words, run it against the registry and the buckets, and say
 * what to answer.
 *
 *   CREATE <bucket>              OK
 *   PUT <bucket> <key> <value>   OK
 *   GET <bucket> <key>           <value> OK (an empty line when no value)
 *   DELETE <bucket> <key>        OK
 *   CRASH <bucket|registry|connection> <segv|fpe|abort|overflow>
 *                                OK (with --allow-crash only)
 *
 * Words are separated by white space, as Elixir's String.split/1 does; a
 * wrong number of words, an unknown verb (verbs are upper case) or an
 * empty line is UNKNOWN COMMAND; a bucket the registry does not know —
 * or one that dies while we talk to it — is NOT FOUND. Every reply line
 * ends with \r\n.
 *
 * This runs in the connection's process: "CRASH connection" faults here.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kv.h"

#define MAX_WORDS 4

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits line into at most MAX_WORDS words; returns how many there are
 * (MAX_WORDS + 1 when there are more). */
static size_t split(const char *line, size_t len, struct kv_str *w)
{
	size_t n = 0, i = 0;
	for (;;) {
		while (i < len && is_space(line[i]))
			i++;
		if (i == len)
			return n;
		if (n == MAX_WORDS)
			return n + 1;
		size_t b = i;
		while (i < len && !is_space(line[i]))
			i++;
		w[n++] = (struct kv_str){line + b, i - b};
	}
}

static bool is(struct kv_str w, const char *word)
{
	return w.n == strlen(word) && memcmp(w.p, word, w.n) == 0;
}

/* Writes text and \r\n to out; returns the length. */
static size_t say(char *out, size_t cap, const char *text)
{
	int n = snprintf(out, cap, "%s\r\n", text);
	return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* The reply to an error of the registry or a bucket. */
static size_t failed(char *out, size_t cap, int rc)
{
	/* A bucket that died (or never was) is a bucket that is not there. */
	if (rc == OT_ENOTFOUND || rc == OT_ENOPROC || rc == OT_ESERVERDIED)
		return say(out, cap, "NOT FOUND");
	char text[128];
	snprintf(text, sizeof(text), "ERROR %s", ot_strerror(rc));
	return say(out, cap, text);
}

static size_t crash(const struct kv_str *w, char *out, size_t cap)
{
	int fault = kv_fault_parse(w[2]);
	if (fault < 0)
		return say(out, cap, "UNKNOWN COMMAND");
	if (is(w[1], "connection")) {
		kv_fault_commit(fault); /* this very process: no reply */
		return say(out, cap, "ERROR fault did not happen");
	}
	int rc;
	if (is(w[1], "registry")) {
		rc = kv_registry_crash(fault, NULL);
	} else {
		ot_pid bucket;
		rc = kv_registry_lookup(w[1], &bucket);
		if (rc == 0)
			rc = kv_bucket_crash(bucket, fault, NULL);
	}
	return rc ? failed(out, cap, rc) : say(out, cap, "OK");
}

size_t kv_command_run(const char *line, size_t len, char *out, size_t cap)
{
	struct kv_str w[MAX_WORDS];
	size_t n = split(line, len, w);
	ot_pid bucket;
	int rc;

	if (n == 2 && is(w[0], "CREATE")) {
		rc = kv_registry_create(w[1], &bucket);
		return rc ? failed(out, cap, rc) : say(out, cap, "OK");
	}
	if (n == 3 && kv_crash_allowed() && is(w[0], "CRASH"))
		return crash(w, out, cap);

	bool put = n == 4 && is(w[0], "PUT");
	bool get = n == 3 && is(w[0], "GET");
	bool del = n == 3 && is(w[0], "DELETE");
	if (!put && !get && !del)
		return say(out, cap, "UNKNOWN COMMAND");

	rc = kv_registry_lookup(w[1], &bucket);
	if (rc)
		return failed(out, cap, rc);
	if (put) {
		rc = kv_bucket_put(bucket, w[2], w[3]);
	} else if (del) {
		rc = kv_bucket_delete(bucket, w[2]);
	} else {
		/* The value goes straight into out, then "\r\nOK\r\n". */
		size_t vlen;
		rc = kv_bucket_get(bucket, w[2], out, cap - 8, &vlen);
		if (rc == 0) {
			memcpy(out + vlen, "\r\nOK\r\n", 6);
			return vlen + 6;
		}
	}
	return rc ? failed(out, cap, rc) : say(out, cap, "OK");
}
