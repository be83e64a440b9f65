/* SPDX-License-Identifier: MIT */
/*
 * mailbox.h — messages and mailboxes (mailbox.c), with the aliases
 * (alias.c) and the mailbox limits (limit.c) a delivery checks. Included by
 * process.h, whose struct ot__proc holds a mailbox; only mailbox.c changes
 * its fields.
 */
#ifndef OTTER_PROC_MAILBOX_H
#define OTTER_PROC_MAILBOX_H

#include <bsd/sys/queue.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <otter/proc.h>

struct ot__proc;

/* What an inbox entry is: a message, or a signal the receiver acts on
 * when it takes its inbox (signal.c). Signals keep their place among the
 * sender's messages, which is how Erlang orders them. */
enum ot__mkind {
	OT__M_MSG,	   /* an ordinary message (EXIT/DOWN once converted) */
	OT__M_EXIT_LINK,   /* a linked process ended; payload ot_exit_info */
	OT__M_EXIT_SIGNAL, /* ot_exit_pid(); payload ot_exit_info */
	OT__M_DOWN,	   /* a monitored process ended; payload ot_down_info */
};

/* A message is one block: this 48-byte header, then the payload inline
 * (ot_send()'s copy) or, for a handed-over buffer (ot_send_owned()), a
 * struct ot__owned; then, for a message sent through an alias, the alias
 * (at the next multiple of 8). A queued 64-byte message takes a block of
 * 112 bytes. */
struct ot_msg {
	TAILQ_ENTRY(ot_msg) link; /* in a mailbox; owner or proc lock */
	/* Its place among the arrivals in the receiver's mailbox (counted
	 * by ot__enqueue_locked, modulo 2^56): rises along the queue
	 * (ot_mark). */
	uint64_t seq : 56;
	uint64_t kind : 2;	  /* enum ot__mkind */
	uint64_t block_class : 3; /* size class (block.c) or OT__BLOCK_MALLOC */
	uint64_t limit_counted : 1; /* counts against a mailbox limit */
	uint64_t owned : 1;	    /* inline_data holds a struct ot__owned */
	uint64_t has_alias : 1;	    /* the alias follows the payload */
	ot_pid from;
	uint64_t tag;
	size_t size;
	_Alignas(max_align_t) unsigned char inline_data[];
};
TAILQ_HEAD(ot__msgq, ot_msg);

/* What a message in a mailbox holds, as ot_process_details reports it:
 * its header and its payload. */
static inline size_t ot__msg_bytes(const struct ot_msg *m)
{
	return sizeof *m + m->size;
}
#define OT__SEQ_MASK ((UINT64_C(1) << 56) - 1)

/* The payload of an ot_send_owned() message. */
struct ot__owned {
	void *data;
	void (*free_fn)(void *);
};

/* Bytes of inline_data before the alias of a message of that payload. */
static inline size_t ot__msg_body(size_t size, bool owned)
{
	size_t n = owned ? sizeof(struct ot__owned) : size;
	return (n + 7) & ~(size_t)7;
}

/* The alias m was sent through, 0 if none. */
static inline uint64_t ot__msg_alias(const struct ot_msg *m)
{
	uint64_t a = 0;
	if (m->has_alias)
		memcpy(&a, m->inline_data + ot__msg_body(m->size, m->owned),
		       sizeof a);
	return a;
}

/* The payload of m: inline, handed over, or NULL when empty. */
static inline void *ot__msg_data(const struct ot_msg *m)
{
	if (m->owned) {
		struct ot__owned o;
		memcpy(&o, m->inline_data, sizeof o);
		return o.data;
	}
	return m->size ? (void *)m->inline_data : NULL;
}

/* Builds a message with room for size bytes of its own (ot__msg_data(m),
 * NULL when size is 0), left for the caller to fill. NULL when out of
 * memory. */
struct ot_msg *ot__msg_new(ot_pid from, uint64_t tag, size_t size);
/* Builds a message holding a copy of data, sent through alias (0: none).
 * NULL when out of memory. */
struct ot_msg *ot__msg_new_copy(ot_pid from, uint64_t tag, const void *data,
				size_t size, uint64_t alias);
/* Puts msg into the mailbox of pid, or frees it if pid is not alive.
 * A signal (kind != OT__M_MSG) wakes the receiver whatever it waits for. */
void ot__deliver(ot_pid to, struct ot_msg *msg);
/* Appends msg to p's mailbox; caller holds p->lock and p is alive. True
 * when p must be woken: call ot__ready(p) after unlocking. */
bool ot__enqueue_locked(struct ot__proc *p, struct ot_msg *msg);
/* Delivery through alias (alias.c): false when it is not one of p's
 * active aliases, else counts the message as unread on it. Caller holds
 * p->lock. */
bool ot__alias_deliver(struct ot__proc *p, uint64_t alias);
/* p, the owner, took a message sent through alias off its queue: the
 * reply of a reply_demonitor alias ends alias and monitor there. */
void ot__alias_taken(struct ot__proc *p, uint64_t alias);
/* A new id, never 0, unique among references and aliases: a monitor's
 * reference may be an alias too. */
uint64_t ot__unique_id(void);
/* Makes id an active alias of p, the caller, in mode (enum ot_alias_mode,
 * or 0 for a plain alias): 0 or OT_ENOMEM. */
int ot__alias_add(struct ot__proc *p, uint64_t id, int mode);
/* The mode of p's active alias id (0 for a plain one), or -1 when it is
 * not active; p is the owner (no lock). */
int ot__alias_mode(struct ot__proc *p, uint64_t id);
/* True when id is p's reply_demonitor alias and its reply was delivered
 * (it is in the mailbox, not received yet); p is the owner. */
bool ot__alias_replied(struct ot__proc *p, uint64_t id);
/* Deactivates p's alias id, the owner's, as the DOWN of its monitor is
 * taken: what came through it before stays where it is, what is still in
 * the inbox (it came after) is dropped. */
void ot__alias_remove(struct ot__proc *p, uint64_t id);
/* Frees p's alias table, for a process being reclaimed (no sender can
 * reach it any more). */
void ot__aliases_free(struct ot__proc *p);
/* Sends and receives that may wait (not a look, timeout 0) a process may
 * make in a row, without waiting, before it yields (Erlang's reduction
 * budget, counted in messages): a loop of casts does not pile up a
 * receiver's mailbox while the receiver cannot run, and a server flooded
 * with requests lets the others on its scheduler run, and its timers and
 * descriptors be served. */
#define OT__BUDGET 64
/* Delivers a message the caller sent, then spends one of its budget. */
void ot__send_msg(ot_pid to, struct ot_msg *msg);
/* Moves p's inbox into its queue, acting on signals on the way; a signal
 * may end p (never returns then). True if a message was added. Called by
 * p itself. */
bool ot__mailbox_take(struct ot__proc *p);
/* A message block with room for size bytes inline (owned: for a struct
 * ot__owned instead), and for alias if it is not 0; or NULL. */
struct ot_msg *ot__msg_alloc(size_t size, bool owned, uint64_t alias);
/* Mailbox limits (limit.c). Validates opts' limit fields. */
int ot__limit_check(const ot_spawn_opts *opts);
/* Gives p, being spawned, the limit of opts: 0, or OT_ENOMEM. */
int ot__limit_set(struct ot__proc *p, const ot_spawn_opts *opts);
/* True when p's limit killed it (its kill_pending says why). */
bool ot__limit_killed(const struct ot__proc *p);
/* Messages p's limit dropped (OT_MAILBOX_DROP), for process info. */
size_t ot__limit_dropped(const struct ot__proc *p);
/* Frees p's limit, for a process being reclaimed. */
void ot__limit_free(struct ot__proc *p);
/* What a message to a limited process does; ot__limit_admit_locked()
 * decides under p->lock, and counts it when admitted. */
enum ot__admit { OT__ADMIT, OT__ADMIT_DROP, OT__ADMIT_DROP_WAKE };
enum ot__admit ot__limit_admit_locked(struct ot__proc *p, struct ot_msg *m);
/* p, the owner, took m (limit_counted) out of its mailbox. */
void ot__limit_taken(struct ot__proc *p, struct ot_msg *m);
/* The reason of a process its limit killed (and it is reported). */
ot_reason ot__limit_reason(struct ot__proc *p);
/* Frees every message in q. */
void ot__msgq_free(struct ot__msgq *q);
/* The mailbox's fields (inbox, queue and their counts) are changed only
 * in mailbox.c, through these and the functions above. */
/* Makes p's mailbox empty, for a process being spawned; under p->lock. */
void ot__mailbox_init(struct ot__proc *p);
/* p is being marked dead (caller holds p->lock): moves its inbox into
 * left and counts its mailbox empty. */
void ot__mailbox_close_locked(struct ot__proc *p, struct ot__msgq *left);
/* Frees left (from ot__mailbox_close_locked) and p's queue, unlocked. */
void ot__mailbox_free(struct ot__proc *p, struct ot__msgq *left);
/* Takes the signal m back out of p's inbox (ot_unlink); under p->lock. */
void ot__inbox_remove_signal_locked(struct ot__proc *p, struct ot_msg *m);
/* Moves the messages sent through alias into dropped: out of p's inbox
 * (caller holds p->lock), or out of its queue (called by p itself). */
void ot__inbox_drop_alias_locked(struct ot__proc *p, uint64_t alias,
				 struct ot__msgq *dropped);
void ot__queue_drop_alias(struct ot__proc *p, uint64_t alias,
			  struct ot__msgq *dropped);
/* Validates a (data, size) pair as the API defines it. */
int ot__check_payload(const void *data, size_t size);

#endif /* OTTER_PROC_MAILBOX_H */
