/* SPDX-License-Identifier: MIT */
/*
 * term_check.h — proving a term whole before ei reads it. ei's decoders
 * take no bound: they trust the lengths inside the term, so a truncated
 * term, or one whose lengths lie, would make them read past its end.
 * ot__term_check() walks the term's structure within its bound (tags and
 * lengths only; ei decodes the values) and iteratively, so that a term
 * nested a million deep costs no stack.
 */
#ifndef OTTER_DIST_TERM_CHECK_H
#define OTTER_DIST_TERM_CHECK_H

#include <stddef.h>

/* The length of the one whole term that starts at buf (no version byte),
 * within size bytes, into *len: 0, or OT_EBADTERM. */
int ot__term_check(const char *buf, size_t size, size_t *len);

/* Checks a term as ot_term_open() takes it (with or without its version
 * byte, nothing after it): *start gets where the term begins.
 * 0, OT_EINVAL (buf NULL), OT_EBADTERM. */
int ot__term_check_whole(const void *buf, size_t size, size_t *start);

#endif /* OTTER_DIST_TERM_CHECK_H */
