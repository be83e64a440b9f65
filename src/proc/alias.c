/* SPDX-License-Identifier: MIT */
/*
 * alias.c — aliases: addresses for replies that can be switched off.
 *
 * A process holds up to OT_ALIAS_MAX active aliases, in a small array
 * under its lock; a message sent through an alias is checked against it
 * as it is delivered, under the same lock, and dropped if the alias is no
 * longer active. Each slot also counts what came through it and was not
 * taken yet, so that ot_unalias() can drop those too, and looks at the
 * mailbox only when there are some. So once ot_unalias() returns, nothing
 * sent through that alias is in the mailbox or can arrive: a call that
 * timed out never finds its late reply, a call answered twice never finds
 * the second.
 */
#include "config.h"

#include "gate.h"
#include "lock.h"
#include "mailbox.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"

static _Atomic uint64_t next_alias = 1;

bool ot__alias_deliver(struct ot__proc *p, uint64_t alias)
{
	for (int i = 0; i < OT_ALIAS_MAX; i++) {
		if (p->aliases[i] == alias) {
			p->alias_delivered[i]++;
			return true;
		}
	}
	return false;
}

void ot__alias_taken(struct ot__proc *p, uint64_t alias)
{
	/* The owner reads its own aliases without the lock: only it writes
	 * them. */
	for (int i = 0; i < OT_ALIAS_MAX; i++) {
		if (p->aliases[i] == alias) {
			p->alias_taken[i]++;
			return;
		}
	}
}

int ot__alias(uint64_t *out)
{
	if (!out)
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc)
		return rc;
	struct ot__proc *p = ot__caller();
	if (!p)
		return OT_ENOMEM;
	uint64_t alias =
	    atomic_fetch_add_explicit(&next_alias, 1, memory_order_relaxed);
	rc = OT_ELIMIT;
	ot__spin_lock(&p->lock);
	for (int i = 0; i < OT_ALIAS_MAX; i++) {
		if (p->aliases[i] == 0) {
			p->aliases[i] = alias;
			p->alias_delivered[i] = 0;
			p->alias_taken[i] = 0;
			rc = 0;
			break;
		}
	}
	ot__spin_unlock(&p->lock);
	if (rc == 0)
		*out = alias;
	return rc;
}

int ot__unalias(uint64_t alias)
{
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	struct ot__proc *p = ot__current();
	if (!p || alias == 0)
		return 0;
	int was = 0;
	bool unread = false;
	struct ot__msgq dropped = TAILQ_HEAD_INITIALIZER(dropped);
	ot__spin_lock(&p->lock);
	for (int i = 0; i < OT_ALIAS_MAX; i++) {
		if (p->aliases[i] == alias) {
			p->aliases[i] = 0;
			unread = p->alias_delivered[i] != p->alias_taken[i];
			was = 1;
			break;
		}
	}
	/* What came through it and was not taken is dropped too (a second
	 * reply to one call, a reply racing a timeout): rare, so the scan
	 * of the mailbox costs nothing in the common case. */
	if (unread)
		ot__inbox_drop_alias_locked(p, alias, &dropped);
	ot__spin_unlock(&p->lock);
	/* The queue is the owner's, and the owner is the caller (it is not
	 * waiting, so no sender appends to it meanwhile). */
	if (unread) {
		ot__queue_drop_alias(p, alias, &dropped);
		ot__msgq_free(&dropped);
	}
	return was;
}

int ot__send_alias(ot_pid to, uint64_t alias, uint64_t tag, const void *data,
		   size_t size)
{
	int rc = ot__check_payload(data, size);
	if (rc)
		return rc;
	if (!ot__pid_well_formed(to) || tag >= OT_TAG_SYSTEM || alias == 0)
		return OT_EINVAL;
	if ((rc = ot__running_check()) == OT_ENOTSTARTED)
		return rc;
	struct ot__proc *self = ot__caller();
	struct ot_msg *m = ot__msg_new_copy(
	    self ? ot__pid_of(self) : OT_PID_NONE, tag, data, size, alias);
	if (!m)
		return OT_ENOMEM;
	ot__send_msg(to, m);
	return 0;
}
