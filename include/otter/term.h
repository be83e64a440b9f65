/* SPDX-License-Identifier: MIT */
/*
 * otter/term.h — Erlang terms for C (libotter-dist; <otter/dist.h>
 * includes it): building them, reading and matching them, printing them
 * in Erlang's syntax. The bytes are Erlang's external term format, made
 * and decoded by erl_interface's ei; this API adds the bounds ei does
 * not check (a term from the wire is proven whole before ei reads it),
 * a builder that knows when the term is complete, and a matcher.
 *
 * A message that carries a term is tagged OT_DIST_TAG (otter/dist.h):
 * what Erlang sends arrives so, and ot_send(pid, OT_DIST_TAG, data, size)
 * hands a term to a local process the same way.
 *
 * Building {ok, <<"shopping">>, [1, 2]}:
 *
 *     ot_term_buf b;
 *     ot_term_buf_init(&b);
 *     ot_term_tuple(&b, 3);
 *     ot_term_atom(&b, "ok");
 *     ot_term_binary(&b, "shopping", 8);
 *     ot_term_list(&b, 2);
 *     ot_term_int(&b, 1);
 *     ot_term_int(&b, 2);
 *     ot_term_nil(&b);                 // a list's tail
 *     const void *data; size_t size;
 *     if (ot_term_buf_get(&b, &data, &size) == 0)
 *             ot_dist_send(&to, data, size);
 *     ot_term_buf_free(&b);
 *
 * Errors are sticky: after a failed call the builder refuses the rest
 * with the same code, so a sequence may be checked once, at
 * ot_term_buf_get(), which also refuses a term that is not complete yet
 * (a tuple short of elements) with OT_EINVAL.
 *
 * Matching, as Erlang's `{put, Bucket, Key, Value} = Term`:
 *
 *     const void *bucket, *key, *value; size_t nb, nk, nv;
 *     if (ot_term_match(data, size, "{put, %b, %b, %b}", &bucket, &nb,
 *                       &key, &nk, &value, &nv) == 0) ...
 *
 * and the cursor functions (ot_term_open, ot_term_get_...) walk a term
 * of any shape, one element after the other.
 *
 * Every function checks its arguments and the term: a term that is
 * truncated, has bytes after its end, lengths or arities beyond its
 * size, or tags ei does not know is OT_EBADTERM; a well-formed term of
 * another shape or type than asked for is OT_ENOMATCH. Sizes are bounded
 * by ei's int indexes: at most INT_MAX bytes.
 */
#ifndef OTTER_TERM_H
#define OTTER_TERM_H

#include <stdarg.h>
#include <stdint.h>

#include <ei.h>

#include <otter.h>

OT_BEGIN_DECLS

/* The version byte that starts a term in the external format. */
#define OT_TERM_VERSION 131

/* Room for the longest atom, as UTF-8 with its NUL (255 characters). */
#define OT_TERM_ATOM_MAX MAXATOMLEN_UTF8

/* ---- Building ------------------------------------------------------------
 */

/* A term being built. The bytes (version byte first) are b->x.buff,
 * b->x.index of them; read them with ot_term_buf_get(). */
typedef struct ot_term_buf {
	ei_x_buff x;
	size_t pending; /* terms still to come before it is whole */
	int err;	/* the first error, returned by every later call */
} ot_term_buf;

/* Starts an empty term: the version byte, one term to come.
 * Errors: OT_EINVAL (b NULL), OT_ENOMEM. */
OT_API int ot_term_buf_init(ot_term_buf *b);

/* Frees what b holds; b may then be initialized again. NULL is ignored,
 * and so is a second free. */
OT_API void ot_term_buf_free(ot_term_buf *b);

/* Empties b to build the next term in the same memory.
 * Errors: OT_EINVAL (b NULL or not initialized). */
OT_API int ot_term_buf_reset(ot_term_buf *b);

/* The whole term: *data and *size (with the version byte), valid until b
 * changes. Errors: OT_EINVAL (NULL, or the term is not complete), or the
 * builder's first error. */
OT_API int ot_term_buf_get(const ot_term_buf *b, const void **data,
			   size_t *size);

/*
 * Each appends one term to b. A tuple, list or map is its header: its
 * elements follow (arity of them; a map's pairs key, value, key, ...).
 * ot_term_list(b, n) with n > 0 takes n elements and then the tail:
 * ot_term_nil() for a proper list; ot_term_list(b, 0) is [] itself.
 * Errors (sticky): OT_EINVAL (b NULL; the term was already complete; an
 * arity or length above INT_MAX; an atom NULL, longer than 255
 * characters or not UTF-8; a NULL binary with n > 0),
 * OT_ENOMEM (also when the term would exceed INT_MAX bytes).
 */
OT_API int ot_term_tuple(ot_term_buf *b, size_t arity);
OT_API int ot_term_list(ot_term_buf *b, size_t n);
OT_API int ot_term_nil(ot_term_buf *b);
OT_API int ot_term_map(ot_term_buf *b, size_t pairs);
OT_API int ot_term_atom(ot_term_buf *b, const char *atom);
OT_API int ot_term_int(ot_term_buf *b, int64_t v);
OT_API int ot_term_binary(ot_term_buf *b, const void *p, size_t n);
OT_API int ot_term_pid(ot_term_buf *b, const erlang_pid *pid);
OT_API int ot_term_ref(ot_term_buf *b, const erlang_ref *ref);
/* The Erlang pid of an ot_pid (ot_dist_erlang_pid()): a local process's
 * (ot_dist_pid()), or the Erlang pid a remote one stands for; also
 * OT_ENOPROC, OT_ENOTCONN (a remote pid of an earlier node), OT_ENOTSTARTED
 * (no node), as that function. */
OT_API int ot_term_local_pid(ot_term_buf *b, ot_pid pid);
/* A string as Erlang writes "text": a list of its bytes ([] when empty);
 * s NUL terminated. */
OT_API int ot_term_string(ot_term_buf *b, const char *s);
/* An exit reason as the Erlang term a link or monitor of another node
 * receives (see ot_term_get_reason()); OT_EINVAL for a malformed reason. */
OT_API int ot_term_reason(ot_term_buf *b, const ot_reason *reason);
/* A term that is already encoded (size bytes, with or without its
 * version byte; e.g. what %t or ot_term_get_raw() gave), copied as it
 * is. Also OT_EBADTERM when it is not one whole term. */
OT_API int ot_term_raw(ot_term_buf *b, const void *term, size_t size);

/* ---- Reading --------------------------------------------------------- */

/* What the next term is (ot_term_type() returns it). A list of small integers
 * (0..255) comes as OT_TERM_STRING (Erlang encodes [1,2,3] so). */
typedef enum ot_term_kind {
	OT_TERM_INT = 1, /* fits int64_t */
	OT_TERM_BIGINT,	 /* an integer that does not */
	OT_TERM_FLOAT,
	OT_TERM_ATOM,
	OT_TERM_BINARY,
	OT_TERM_BITSTRING, /* bits that are not whole bytes */
	OT_TERM_TUPLE,
	OT_TERM_NIL,
	OT_TERM_LIST,
	OT_TERM_STRING,
	OT_TERM_MAP,
	OT_TERM_PID,
	OT_TERM_REF,
	OT_TERM_PORT,
	OT_TERM_FUN
} ot_term_kind;

/* A position in a term. Its fields are private. */
typedef struct ot_term_cursor {
	const char *buf;
	int at, end;
} ot_term_cursor;

/*
 * Opens term (size bytes: one whole term, with its version byte or —
 * as %t and ot_term_get_raw() give them — without) for reading: the
 * cursor is before it. The bytes must stay valid while c is used.
 * Errors: OT_EINVAL (NULL), OT_EBADTERM (size 0 or above INT_MAX,
 * truncated, bytes after the term, unknown tags). Never blocks.
 */
OT_API int ot_term_open(ot_term_cursor *c, const void *term, size_t size);

/* The type of the next term: an ot_term_kind, or OT_EINVAL (c NULL),
 * OT_ENOMATCH (nothing left). */
OT_API int ot_term_type(const ot_term_cursor *c);

/* True when the whole term has been read. */
OT_API bool ot_term_at_end(const ot_term_cursor *c);

/*
 * Each reads the next term and moves past it, when it is of its type;
 * else returns OT_ENOMATCH and does not move. A tuple, list or map gives
 * its arity (length, pairs) and moves to its first element; after a
 * list's n elements comes its tail (ot_term_get_nil() for a proper one).
 * Errors: OT_EINVAL (NULL), OT_ENOMATCH (another type, nothing left, an
 * integer outside int64_t), OT_ETOOBIG (an atom or string longer than
 * cap - 1 bytes: cap OT_TERM_ATOM_MAX takes any atom).
 */
OT_API int ot_term_get_tuple(ot_term_cursor *c, size_t *arity);
OT_API int ot_term_get_list(ot_term_cursor *c, size_t *n);
OT_API int ot_term_get_nil(ot_term_cursor *c);
OT_API int ot_term_get_map(ot_term_cursor *c, size_t *pairs);
OT_API int ot_term_get_atom(ot_term_cursor *c, char *buf, size_t cap);
OT_API int ot_term_get_int(ot_term_cursor *c, int64_t *v);
/* The binary's bytes, in place: *p points into the term. */
OT_API int ot_term_get_binary(ot_term_cursor *c, const void **p, size_t *n);
/* A list of small integers (OT_TERM_STRING), into buf, NUL terminated. */
OT_API int ot_term_get_string(ot_term_cursor *c, char *buf, size_t cap,
			      size_t *len);
OT_API int ot_term_get_pid(ot_term_cursor *c, erlang_pid *pid);
OT_API int ot_term_get_ref(ot_term_cursor *c, erlang_ref *ref);
/* Any term, as its encoded bytes (no version byte), in place: for
 * ot_term_raw() or ot_term_open(). */
OT_API int ot_term_get_raw(ot_term_cursor *c, const void **p, size_t *n);
/* Skips the next term, whatever it is. */
OT_API int ot_term_skip(ot_term_cursor *c);
/* Reads the atom `atom` (OT_ENOMATCH for any other term). */
OT_API int ot_term_get_atom_eq(ot_term_cursor *c, const char *atom);
/* A pid as an ot_pid (ot_dist_otter_pid()): one of this node gives its
 * local process (OT_ENOPROC when none has it), one of another node a
 * remote pid. Also OT_ENOTSTARTED (no node). */
OT_API int ot_term_get_otter_pid(ot_term_cursor *c, ot_pid *pid);
/*
 * Reads any term as an exit reason, as an otter process tied to an
 * Erlang one receives it: normal, shutdown, kill, killed, noproc and
 * timeout as those kinds; {shutdown, T} as {shutdown,Text}; noconnection
 * as {error,OT_ENOTCONN,"noconnection"}; any other term as
 * {error,OT_EREMOTE,Text}, Text the term as ot_term_format() prints it
 * (cut to OT_REASON_TEXT_MAX bytes). All but the first kinds carry the
 * term as their payload (ot_reason_data(), pointing into the term, no
 * version byte), and ot_term_reason() writes it back as it came. The other
 * way, a crash is {crash, 'SIGSEGV', 'SEGV_MAPERR', Addr, StackOverflow},
 * an error {error, 'OT_E...' or Code, "Text"}, {shutdown,Text}
 * {shutdown, "Text"}.
 */
OT_API int ot_term_get_reason(ot_term_cursor *c, ot_reason *reason);

/*
 * Matches the next term against pattern, Erlang-like, and moves past it:
 *
 *   {P1, P2, ...}   a tuple of exactly that arity, each element matching
 *   []              the empty list
 *   ok, 'EXIT'      that atom (quoted for any other atom)
 *   42, -1          that integer
 *   _               any term
 *   %a              an atom, copied to a char[OT_TERM_ATOM_MAX]
 *   %i              an integer that fits, to an int64_t *
 *   %b              a binary, in place: const void **, size_t *
 *   %p  %r          a pid, a reference: erlang_pid *, erlang_ref *
 *   %P              a pid as an ot_pid: ot_pid * (ot_term_get_otter_pid)
 *   %t              any term, in place: const void **, size_t *
 *                   (open it with ot_term_open() to read it further)
 *
 * Spaces are ignored. On OT_ENOMATCH the cursor does not move, and
 * outputs before the mismatch may have been written.
 * Errors: OT_EINVAL (NULL, a malformed pattern), OT_ENOMATCH, OT_ETOOBIG
 * (none for %a into OT_TERM_ATOM_MAX).
 */
OT_API int ot_term_scan(ot_term_cursor *c, const char *pattern, ...);
OT_API int ot_term_vscan(ot_term_cursor *c, const char *pattern, va_list ap);

/* ot_term_open() and ot_term_scan() on a whole term, which the pattern
 * must match to its end: e.g. a message's data.
 * Errors: those of both. */
OT_API int ot_term_match(const void *term, size_t size, const char *pattern,
			 ...);

/* ---- Printing -------------------------------------------------------- */

/*
 * Prints term (size bytes, as ot_term_open() takes it) in Erlang's
 * syntax into out (NUL terminated, truncated to outsize bytes):
 * {ok,<<"shopping">>,[1,2]}, 'EXIT', #{a => 1}, "abc", as Erlang's ~p
 * prints a term that fits a line. Pids, references, ports, funs, big
 * integers and bit strings print as ei prints them (<node.num.serial>,
 * #Ref<a.b.c>, ...: no node has a local number here); terms nested deeper than
 * 64 print as '...'. Returns the length of the whole text, like snprintf (a
 * result >= outsize means it was cut). Errors: OT_EINVAL (term NULL, out NULL
 * with outsize > 0), OT_EBADTERM, OT_ENOMEM, OT_ETOOBIG (the text would exceed
 * INT_MAX bytes). From: anywhere; never blocks.
 */
OT_API int ot_term_format(const void *term, size_t size, char *out,
			  size_t outsize);

OT_END_DECLS

#endif /* OTTER_TERM_H */
