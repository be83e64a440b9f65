/* SPDX-License-Identifier: MIT */
/*
 * panic.c — the end of the road for a broken invariant inside otter. It
 * writes one line with write(2) (no stdio, no allocation: it may run with
 * otter's locks held) and aborts, so that a core dump shows where.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "assert.h"

static void put(const char *s)
{
	ssize_t rc = write(STDERR_FILENO, s, strlen(s));
	(void)rc;
}

void ot__panic(const char *file, int line, const char *what)
{
	char num[16];
	int n = sizeof num - 1;
	num[n] = '\0';
	unsigned v = line > 0 ? (unsigned)line : 0;
	do {
		num[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v && n > 0);
	put("otter: internal error at ");
	put(file);
	put(":");
	put(num + n);
	put(": ");
	put(what);
	put("\n");
	abort();
}
