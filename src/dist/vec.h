/* SPDX-License-Identifier: MIT */
/*
 * vec.h — a growable array of fixed-size elements, for libotter-dist's
 * small tables (links, monitors and node monitors across nodes). The
 * caller provides the locking.
 */
#ifndef OTTER_DIST_VEC_H
#define OTTER_DIST_VEC_H

#include <stddef.h>

struct vec {
	void *v;
	size_t n, cap, elem; /* elem: the size of one element */
};

/* Element i of vec, as a type *. */
#define AT(vec, type, i) (&((type *)(vec)->v)[i])

/* Appends a copy of *x: 0, or OT_ENOMEM. */
int ot__vec_push(struct vec *v, const void *x);
/* Takes element i out, into *x unless x is NULL (order is not kept). */
void ot__vec_take(struct vec *v, size_t i, void *x);
/* Frees the elements; v is empty and may be used again. */
void ot__vec_free(struct vec *v);

#endif /* OTTER_DIST_VEC_H */
