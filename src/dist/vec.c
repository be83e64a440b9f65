/* SPDX-License-Identifier: MIT */
/* vec.c — the growable array of vec.h. */
#include <stdlib.h>
#include <string.h>

#include <otter/error.h>

#include "vec.h"

int ot__vec_push(struct vec *v, const void *x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void *p = reallocarray(v->v, cap, v->elem);
		if (!p)
			return OT_ENOMEM;
		v->v = p;
		v->cap = cap;
	}
	memcpy((char *)v->v + v->n++ * v->elem, x, v->elem);
	return 0;
}

void ot__vec_take(struct vec *v, size_t i, void *x)
{
	char *base = v->v;
	if (x)
		memcpy(x, base + i * v->elem, v->elem);
	if (i != --v->n)
		memcpy(base + i * v->elem, base + v->n * v->elem, v->elem);
}

void ot__vec_free(struct vec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}
