/* SPDX-License-Identifier: MIT */
/*
 * error.c — names and sentences for the error codes, generated from the
 * one list in otter/error.h so that they cannot drift apart.
 */
#include "config.h"

#include <otter/error.h>

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
	return "unknown error";
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
	return "OT_UNKNOWN";
}
