/* SPDX-License-Identifier: MIT */
/*
 * name.h — registered names (name.c).
 */
#ifndef OTTER_PROC_NAME_H
#define OTTER_PROC_NAME_H

#include "process.h"

/* ---------------------------------------------------------------------
 * Names (name.c)
 */
int ot__names_init(void);
void ot__names_fini(void);
/* Registers name for p, which is being spawned (not yet runnable). */
int ot__name_claim(const char *name, struct ot__proc *p);
/* Releases p's name, if any; called when p ends. */
void ot__name_release(struct ot__proc *p);
/* Validates a name: OT_EINVAL or OT_ENAMETOOLONG, else 0. */
int ot__name_check(const char *name);
/* Copies p's registered name into buf (size OT_NAME_MAX + 1), "" if none. */
void ot__name_of(struct ot__proc *p, char *buf);

#endif /* OTTER_PROC_NAME_H */
