/* SPDX-License-Identifier: MIT */
/*
 * otter/error.h — the one list of error codes.
 *
 * Every public function that can fail returns 0 (or a count) on success and
 * one of these negative codes on failure. errno is never the API: a process
 * may resume on another thread, where errno is a different variable. A
 * system error carries its errno inside the code instead (see "System
 * errors" below).
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
	X(ECRASHED, -33, "the function crashed or exited")                     \
	X(ENOREQUEST, -34, "no such request")                                  \
	X(ENOREPLY, -35, "no reply yet")                                       \
	X(EBADTERM, -36,                                                       \
	  "malformed term (truncated, or not the external format)")            \
	X(ENOMATCH, -37, "the term does not have the expected shape")          \
	X(ENOTSERVER, -38, "the process is not a gen_server")                  \
	X(EREMOTE, -39, "a pid of another node, and no node is running here")  \
	X(ENOTCONN, -40, "no connection to the pid's node")

enum ot_errno {
#define OT_ERRNO_ENUM_(name, value, text) OT_##name = (value),
	OT_ERRNO_MAP(OT_ERRNO_ENUM_)
#undef OT_ERRNO_ENUM_
};

/*
 * System errors. A function that fails because a system call did returns
 * OT_ESYS_ERRNO(errno), that is OT_ESYS_BASE - errno: ECONNREFUSED (111
 * on Linux) comes back as -1111. The errno travels in the code, so it
 * stays right when the process resumes on another thread, and nothing
 * has to be read "before the next call" (libuv's UV_E* are negative
 * errnos in the same way; otter's own codes keep -1, -2, ... and these
 * live apart, from -1001 down). OT_ESYS itself remains, for a system error
 * whose errno is not known. ot_err_is_sys() is true for both.
 */
#define OT_ESYS_BASE (-1000)
/* The largest errno a code carries (Linux's MAX_ERRNO). */
#define OT_ESYS_ERRNO_MAX 4095
/* The code of errno e, for 1 <= e <= OT_ESYS_ERRNO_MAX (a program that
 * reports a system error of its own the otter way may use it too). */
#define OT_ESYS_ERRNO(e) (OT_ESYS_BASE - (e))

/*
 * True when err is a system error: OT_ESYS_ERRNO(e) for an errno e in
 * 1..OT_ESYS_ERRNO_MAX, or OT_ESYS. Never blocks.
 */
OT_API bool ot_err_is_sys(int err);

/*
 * The errno that the system error err carries (ECONNREFUSED for
 * OT_ESYS_ERRNO(ECONNREFUSED)); 0 for OT_ESYS, for any other code and for
 * 0. Never blocks.
 */
OT_API int ot_err_errno(int err);

/*
 * A sentence describing err ("timed out"); 0 gives "success"; a system
 * error gives the system's text for its errno ("Connection refused", as
 * strerror(3), but from a table: safe from any thread, and the text never
 * changes under the caller). Unknown codes (including positive values)
 * give "unknown error". Never NULL, never blocks.
 */
OT_API const char *ot_strerror(int err);

/* The code's name ("OT_ETIMEDOUT"; "OT_OK" for 0; for a system error
 * "OT_ESYS(ECONNREFUSED)", or "OT_ESYS(200)" for an errno the C library
 * has no name for, and plain "OT_ESYS" from errno 256 up), or
 * "OT_UNKNOWN". Never NULL, never blocks; the text
 * stays valid for the life of the program. */
OT_API const char *ot_err_name(int err);

OT_END_DECLS

#endif /* OTTER_ERROR_H */
