/* SPDX-License-Identifier: MIT */
/*
 * error.c — names and sentences for the error codes, generated from the
 * one list in otter/error.h so that they cannot drift apart, and those of
 * the system errors, which carry an errno (OT_ESYS_ERRNO(e)).
 *
 * A system error's name, "OT_ESYS(ECONNREFUSED)", is built once for every
 * errno below SYS_NAMES into a table that lives as long as the program:
 * ot_err_name() hands out pointers into it, safe from any thread (a
 * buffer per thread would not be: a process may resume on another one).
 * Texts come from strerrordesc_np(), static strings too; strerror() is
 * neither thread-safe nor stable.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <otter/error.h>

/* errnos with a name of their own; Linux's end at 133 (EHWPOISON). */
#define SYS_NAMES 256

static struct {
	pthread_once_t once;
	char name[SYS_NAMES][sizeof "OT_ESYS(ENOTRECOVERABLE)" + 8];
#if !HAVE_STRERRORDESC_NP
	char text[SYS_NAMES][sizeof "system error 255"];
#endif
} sys = {.once = PTHREAD_ONCE_INIT};

static void sys_tables_init(void)
{
	for (int e = 1; e < SYS_NAMES; e++) {
		const char *n = NULL;
#if HAVE_STRERRORNAME_NP
		n = strerrorname_np(e);
#endif
		if (n)
			snprintf(sys.name[e], sizeof sys.name[e], "OT_ESYS(%s)",
				 n);
		else
			snprintf(sys.name[e], sizeof sys.name[e], "OT_ESYS(%d)",
				 e);
#if !HAVE_STRERRORDESC_NP
		snprintf(sys.text[e], sizeof sys.text[e], "system error %d", e);
#endif
	}
}

bool ot_err_is_sys(int err)
{
	return err == OT_ESYS || ot_err_errno(err) != 0;
}

int ot_err_errno(int err)
{
	/* Compared before subtracting: err may be INT_MIN. */
	if (err >= OT_ESYS_BASE || err < OT_ESYS_ERRNO(OT_ESYS_ERRNO_MAX))
		return 0;
	return OT_ESYS_BASE - err;
}

static const char *sys_text(int e)
{
#if HAVE_STRERRORDESC_NP
	const char *t = strerrordesc_np(e);
	return t ? t : "unknown system error";
#else
	if (e >= SYS_NAMES)
		return "unknown system error";
	pthread_once(&sys.once, sys_tables_init);
	return sys.text[e];
#endif
}

static const char *sys_name(int e)
{
	if (e >= SYS_NAMES)
		return "OT_ESYS";
	pthread_once(&sys.once, sys_tables_init);
	return sys.name[e];
}

const char *ot_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
#define OT_ERRNO_TEXT_(name, value, text)                                      \
	case OT_##name:                                                        \
		return text;
		OT_ERRNO_MAP(OT_ERRNO_TEXT_)
#undef OT_ERRNO_TEXT_
	}
	int e = ot_err_errno(err);
	return e ? sys_text(e) : "unknown error";
}

const char *ot_err_name(int err)
{
	switch (err) {
	case 0:
		return "OT_OK";
#define OT_ERRNO_NAME_(name, value, text)                                      \
	case OT_##name:                                                        \
		return "OT_" #name;
		OT_ERRNO_MAP(OT_ERRNO_NAME_)
#undef OT_ERRNO_NAME_
	}
	int e = ot_err_errno(err);
	return e ? sys_name(e) : "OT_UNKNOWN";
}
