/* SPDX-License-Identifier: MIT */
/*
 * name.c — registered names: register, unregister, whereis.
 *
 * One red-black tree (libbsd) maps names to pids under one mutex. A
 * process points at its own entry, set and cleared under both the names
 * lock and the process's lock, so that a process ending while someone
 * registers it either is seen dead by register (OT_ENOPROC) or has its new
 * name released by its own exit: never a name left behind on a dead pid.
 */
#include "config.h"

#include <bsd/string.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "lock.h"
#include "mailbox.h"
#include "name.h"
#include "process.h"
#include "remote.h"
#include "runtime.h"

struct ot__name {
	RB_ENTRY(ot__name) link;
	struct ot__proc *proc; /* type-stable: see table.c */
	ot_pid pid;
	char text[OT_NAME_MAX + 1];
};

static int cmp_name(const struct ot__name *a, const struct ot__name *b)
{
	return strcmp(a->text, b->text);
}

RB_HEAD(ot__names, ot__name);
RB_GENERATE_INTERNAL(ot__names, ot__name, link, cmp_name,
		     static __attribute__((unused)))

static struct {
	pthread_mutex_t lock;
	struct ot__names tree; /* lock */
} names = {.lock = PTHREAD_MUTEX_INITIALIZER};

int ot__names_init(void)
{
	RB_INIT(&names.tree);
	return 0;
}

void ot__names_fini(void)
{
	/* Every process has ended and released its name. */
	OT__ASSERT(RB_EMPTY(&names.tree));
}

int ot__name_check(const char *name)
{
	if (!name || !name[0])
		return OT_EINVAL;
	if (strnlen(name, OT_NAME_MAX + 1) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	return 0;
}

static struct ot__name *find(const char *name)
{
	struct ot__name key;
	strlcpy(key.text, name, sizeof key.text);
	return RB_FIND(ot__names, &names.tree, &key);
}

static void unbind(struct ot__name *n);

/*
 * With the names lock held and no process lock: OT_ENAMETAKEN when a live
 * process holds name. A name still held by a process that is dead but has
 * not released it yet is freed (whereis already says so); that exit then
 * finds the name gone, under its lock, and leaves it alone.
 */
static int claimable(const char *name)
{
	struct ot__name *old = find(name);
	if (!old)
		return 0;
	if (ot__proc_lock_alive(old->proc, old->pid)) {
		ot__spin_unlock(&old->proc->lock);
		return OT_ENAMETAKEN;
	}
	ot__spin_lock(&old->proc->lock);
	if (old->proc->name == old)
		old->proc->name = NULL;
	ot__spin_unlock(&old->proc->lock);
	unbind(old);
	return 0;
}

/* Binds name to p, which the caller has checked alive; names lock held,
 * claimable(name) said yes. */
static int bind_name(const char *name, struct ot__proc *p, ot_pid pid)
{
	if (find(name))
		return OT_ENAMETAKEN;
	if (p->name)
		return OT_EHASNAME;
	struct ot__name *n = malloc(sizeof *n);
	if (!n)
		return OT_ENOMEM;
	strlcpy(n->text, name, sizeof n->text);
	n->proc = p;
	n->pid = pid;
	RB_INSERT(ot__names, &names.tree, n);
	p->name = n;
	atomic_fetch_add_explicit(&ot__rt.nnames, 1, memory_order_relaxed);
	return 0;
}

int ot__name_claim(const char *name, struct ot__proc *p)
{
	ot__mutex_lock(&names.lock);
	int rc = claimable(name);
	if (!rc) {
		ot__spin_lock(&p->lock);
		rc = bind_name(name, p, ot__pid_of(p));
		ot__spin_unlock(&p->lock);
	}
	ot__mutex_unlock(&names.lock);
	return rc;
}

static void unbind(struct ot__name *n)
{
	RB_REMOVE(ot__names, &names.tree, n);
	free(n);
	atomic_fetch_sub_explicit(&ot__rt.nnames, 1, memory_order_relaxed);
}

void ot__name_release(struct ot__proc *p)
{
	ot__mutex_lock(&names.lock);
	ot__spin_lock(&p->lock);
	struct ot__name *n = p->name;
	p->name = NULL;
	ot__spin_unlock(&p->lock);
	if (n)
		unbind(n);
	ot__mutex_unlock(&names.lock);
}

void ot__name_of(struct ot__proc *p, char *buf)
{
	ot__mutex_lock(&names.lock);
	strlcpy(buf, p->name ? p->name->text : "", OT_NAME_MAX + 1);
	ot__mutex_unlock(&names.lock);
}

int ot__register(const char *name, ot_pid pid)
{
	int rc = ot__name_check(name);
	if (rc)
		return rc;
	if (!ot__pid_well_formed(pid))
		return OT_EINVAL;
	if ((rc = ot__running_check()) != 0)
		return rc;
	ot__mutex_lock(&names.lock);
	/* A taken name is the clearer error when both apply. */
	rc = claimable(name);
	struct ot__proc *p = rc ? NULL : ot__table_lookup(pid);
	if (rc) {
		/* taken */
	} else if (!p || !ot__proc_lock_alive(p, pid)) {
		rc = OT_ENOPROC;
	} else {
		rc = bind_name(name, p, pid);
		ot__spin_unlock(&p->lock);
	}
	ot__mutex_unlock(&names.lock);
	return rc;
}

int ot__unregister(const char *name)
{
	int rc = ot__name_check(name);
	if (rc)
		return rc;
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return rc;
	ot__mutex_lock(&names.lock);
	struct ot__name *n = find(name);
	if (n) {
		ot__spin_lock(&n->proc->lock);
		if (n->proc->name == n)
			n->proc->name = NULL;
		ot__spin_unlock(&n->proc->lock);
		unbind(n);
	}
	ot__mutex_unlock(&names.lock);
	return n ? 0 : OT_ENOTREG;
}

int ot__whereis(const char *name, ot_pid *out)
{
	int rc = ot__name_check(name);
	if (rc)
		return rc;
	if (!out)
		return OT_EINVAL;
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return rc;
	ot__mutex_lock(&names.lock);
	struct ot__name *n = find(name);
	/* A process marked dead releases its name a moment later: it is
	 * already gone for whereis, as it is for ot_is_alive. */
	bool alive = n && ot__proc_lock_alive(n->proc, n->pid);
	if (alive) {
		ot__spin_unlock(&n->proc->lock);
		*out = n->pid;
	}
	ot__mutex_unlock(&names.lock);
	return alive ? 0 : OT_ENOTREG;
}

int ot__send_name(const char *name, uint64_t tag, const void *data, size_t size)
{
	/* The checks of ot_send() come first, so that a bad message is
	 * OT_EINVAL whether or not the name is registered. */
	int rc = ot__check_payload(data, size);
	if (rc)
		return rc;
	if (tag >= OT_TAG_SYSTEM)
		return OT_EINVAL;
	/* {Name, Node} ! Msg, "name@node", while a node runs. */
	char local[OT_NAME_MAX + 1];
	if (OT__UNLIKELY(name && strchr(name, '@')) &&
	    (rc = ot__send_name_remote(&name, local, tag, data, size)) != 1)
		return rc;
	ot_pid pid;
	rc = ot__whereis(name, &pid);
	if (rc)
		return rc;
	/* A process that ends right after the lookup gets it as a pid
	 * that has ended does: dropped, as in Erlang. */
	return ot__send(pid, tag, data, size);
}

/*
 * ot_registered(): names after `after`, in the tree's (strcmp) order, cap
 * at a time, so that the names lock is held for one chunk only.
 */
int ot__registered(const char *after, ot_registered_name *out, size_t cap,
		   size_t *n)
{
	if (!n)
		return OT_EINVAL;
	*n = 0;
	if (cap && !out)
		return OT_EINVAL;
	if (after && strnlen(after, OT_NAME_MAX + 1) > OT_NAME_MAX)
		return OT_ENAMETOOLONG;
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__name key;
	strlcpy(key.text, after ? after : "", sizeof key.text);
	size_t got = 0;
	pthread_mutex_lock(&names.lock);
	struct ot__name *e = RB_NFIND(ot__names, &names.tree, &key);
	if (e && key.text[0] && strcmp(e->text, key.text) == 0)
		e = RB_NEXT(ot__names, &names.tree, e);
	for (; e && got < cap; e = RB_NEXT(ot__names, &names.tree, e)) {
		/* Held by a process that ended and has not let go of it yet:
		 * gone already, as whereis says. */
		if (atomic_load_explicit(&e->proc->state,
					 memory_order_relaxed) == OT__P_DEAD)
			continue;
		memcpy(out[got].name, e->text, sizeof out[got].name);
		out[got].pid = e->pid;
		got++;
	}
	pthread_mutex_unlock(&names.lock);
	*n = got;
	return 0;
}
