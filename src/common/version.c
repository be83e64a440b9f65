/* SPDX-License-Identifier: MIT */
/*
 * version.c — the version libotter was built with, for programs that run
 * with a library other than the one whose headers they were compiled
 * against. Both come from the generated otter/version.h, so they cannot
 * disagree with the macros; they touch no state, so any thread may call
 * them at any time.
 */
#include "config.h"

#include <otter/version.h>

const char *ot_version(void)
{
	return OTTER_VERSION_STRING;
}

unsigned ot_version_number(void)
{
	return OTTER_VERSION_NUMBER;
}
