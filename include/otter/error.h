/* SPDX-License-Identifier: MIT */
/*
 * otter/error.h — the one list of error codes.
 *
 * Every public function that can fail returns 0 (or a count) on success and
 * one of these negative codes on failure. errno is never the API: a process
 * may resume on another thread, where errno is a different variable.
 */
#ifndef OTTER_ERROR_H
#define OTTER_ERROR_H

#include <otter/base.h>

OT_BEGIN_DECLS

/* X(name, value, description). Values are stable ABI: append, never renumber.
 */
#define OT_ERRNO_MAP(X)                                                        \
	X(EINVAL, -1, "invalid argument")                                      \
	X(ENOMEM, -2, "out of memory")                                         \
	X(ENOTSTARTED, -3, "the otter runtime is not running")                 \
	X(ESTARTED, -4, "the otter runtime is already running")                \
	X(ESHUTDOWN, -5, "the otter runtime is shutting down")                 \
	X(ETIMEDOUT, -6, "timed out")                                          \
	X(ENOPROC, -7, "no such process")                                      \
	X(ENOTPROC, -8, "must be called from an otter process")                \
	X(ENOTFOREIGN, -9, "must not be called from an otter process")         \
	X(ENAMETOOLONG, -10, "name too long")                                  \
	X(ENAMETAKEN, -11, "name already registered")                          \
	X(EHASNAME, -12, "process already has a registered name")              \
	X(ENOTREG, -13, "name not registered")                                 \
	X(ENOTIMER, -14, "no such timer (fired, cancelled or never started)")  \
	X(ELIMIT, -15, "process limit reached")                                \
	X(ESYS, -16, "a system call failed")                                   \
	X(EKILLED, -17, "the calling thread's process was killed")             \
	X(EALREADY, -18, "already started")                                    \
	X(EIGNORED, -19, "the server's init returned ignore")                  \
	X(EINITSTOP, -20, "the server stopped or crashed in init")             \
	X(ESERVERDIED, -21, "the server ended during the call")                \
	X(EDEADLK, -22, "a server cannot call itself")                         \
	X(ETOOBIG, -23, "the reply does not fit in the buffer")                \
	X(EPRESENT, -24, "a child with that id is already present")            \
	X(ENOTFOUND, -25, "no such child")                                     \
	X(ERUNNING, -26, "the child is running")                               \
	X(ERESTARTING, -27, "the child is being restarted")                    \
	X(ESIMPLE, -28, "not allowed for this kind of supervisor")             \
	X(EMAXCHILDREN, -29,                                                   \
	  "the supervisor has its maximum number of children")                 \
	X(EBADSPEC, -30, "invalid child spec or supervisor flags")             \
	X(ECHILDSTART, -31, "the child failed to start")                       \
	X(EINITERROR, -32, "the server's init returned an error")              \
	X(ECRASHED, -33, "the function crashed or exited")                    \
	X(ENOREQUEST, -34, "no such request")                                  \
	X(ENOREPLY, -35, "no reply yet")

enum ot_errno {
#define OT_ERRNO_ENUM_(name, value, text) OT_##name = (value),
	OT_ERRNO_MAP(OT_ERRNO_ENUM_)
#undef OT_ERRNO_ENUM_
};

/*
 * A sentence describing err ("timed out"); 0 gives "success". Unknown codes
 * (including positive values) give "unknown error". Never NULL, never
 * blocks.
 */
OT_API const char *ot_strerror(int err);

/* The code's name ("OT_ETIMEDOUT"; "OT_OK" for 0), or "OT_UNKNOWN". Never
 * NULL. */
OT_API const char *ot_err_name(int err);

OT_END_DECLS

#endif /* OTTER_ERROR_H */
