/* SPDX-License-Identifier: MIT */
/*
 * sup.h — the supervisor's state, shared by its files:
 *   supervisor.c  the gen_server callbacks: init, the calls, the EXITs
 *   client.c      the API: each function a call to the supervisor
 *   protocol.h    what the two exchange
 *   init.c        a supervisor's start: from a spec or an init callback
 *   spec.c        checking flags and child specs (what is a valid spec)
 *   index.c       finding a child by pid or by id in O(1)
 *   child.c       starting one child, stopping one child or many
 *   restart.c     what happens when a child ends: restart types,
 *                 strategies, intensity, backoff, auto_shutdown
 *   report.c      supervisor and progress reports
 *
 * A supervisor is a gen_server that traps exits; all of this state is
 * touched only by the supervisor's own process, so nothing here locks.
 * Built on the public proc and gen_server APIs only.
 */
#ifndef OTTER_SUPERVISOR_SUP_H
#define OTTER_SUPERVISOR_SUP_H

#include <bsd/sys/queue.h>
#include <stdint.h>

#include <otter/supervisor.h>

enum child_state {
	CHILD_UNDEFINED,  /* not running: never started, ignored, stopped */
	CHILD_RUNNING,	  /* pid is the live child */
	CHILD_RESTARTING, /* waiting for (or retrying) a restart */
};

/* A link of an index (index.c): a chained hash table's entry, doubly
 * linked so that it leaves its chain without a walk. */
struct ilink {
	struct ilink *next, **pprev;
	uint64_t hash;
};

/* An index: buckets (a power of two of them, small[] while few). */
struct itable {
	struct ilink **b;
	size_t cap, n;
	struct ilink *small[16];
};

struct child {
	TAILQ_ENTRY(child) order; /* start order */
	struct ilink pid_link;	  /* in by_pid while pid is set */
	struct ilink id_link;	  /* in by_id: static children */
	/* Our own copy (static and OT_SUP_DYNAMIC children) or the
	 * template (simple_one_for_one). */
	ot_child_spec *spec;
	/* Running: the child. Restarting: the pid it had, which keys it in
	 * by_pid (pids are never reused), or none. */
	ot_pid pid;
	enum child_state state;
	bool in_pid_index;
	/* A pending restart: its generation (a stale retry message carries
	 * an older one) and its timer when it waits for a backoff delay. */
	uint64_t retry_gen;
	ot_timer timer;
	/* Backoff: restarts in a row, and when the child last started. */
	unsigned streak;
	int64_t started_ms;
	/* Restarts that started it again (ot_child_info.restarts). */
	uint64_t restarts;
	/* Shutdown of many children at once. */
	ot_ref mon;
	int64_t kill_at;
	/* simple_one_for_one: the bytes given to start_child_extra. */
	size_t extra_size;
	unsigned char extra[];
};

TAILQ_HEAD(child_list, child);

/* A report waiting to be written (after the restart work is done). */
struct sup_event;
STAILQ_HEAD(sup_events, sup_event);

struct sup {
	ot_sup_flags flags; /* checked, defaults filled in */
	ot_pid self;
	char name[OT_NAME_MAX + 1]; /* registered name, or "" */
	struct child_list children;
	struct itable by_pid, by_id;
	size_t nchildren, nrunning, nsupervisors, nworkers;
	/* Significant children running or waiting for a restart (OTP's
	 * all_significant asks whether any is left). */
	size_t nsignificant;
	ot_child_spec template; /* simple_one_for_one */
	/* Intensity: the times (ms) of the last restarts, a ring of at most
	 * intensity+1 (see add_restart in restart.c). */
	int64_t *restarts;
	size_t ring_cap, ring_head, ring_len;
	uint64_t next_gen;
	uint64_t rng; /* backoff jitter */
	struct sup_events events;
	/* The reply of the call being handled (gen_server copies it). */
	void *reply;
	size_t reply_cap;
	/* What the last start function gave with ot_child_start_info(). */
	ot_start_info info;
};

/* The supervisor's private message tags (below gen_server's range). */
#define SUP_TAG_RETRY (OT_GS_TAG_BASE - 1) /* payload: struct sup_retry */

struct sup_retry {
	ot_pid pid;   /* the child's last pid, or none */
	uint64_t gen; /* its retry_gen */
	/* A static child without a pid (a group restart): its id. */
	char id[OT_NAME_MAX + 1];
};

static inline bool sup_is_dynamic(const struct sup *s)
{
	return s->flags.strategy == OT_SIMPLE_ONE_FOR_ONE ||
	       s->flags.strategy == OT_SUP_DYNAMIC;
}

/* init.c and supervisor.c: the gen_server a supervisor is. */
ot_gs_ret ot__sup_init(void *arg, void **state);
void ot__sup_free(struct sup *s);
extern const ot_gen_server_callbacks ot__sup_callbacks;

/* spec.c */
int ot__sup_check_spec(const ot_sup_spec *spec, ot_sup_flags *flags,
		       ot_reason *why);
int ot__sup_check_child(const ot_child_spec *spec, const ot_sup_flags *flags,
			bool need_id, ot_reason *why);
int ot__sup_child_shutdown_ms(const ot_child_spec *spec);
ot_child_type ot__sup_child_type(const ot_child_spec *spec);
ot_child_spec ot__sup_child_normalized(const ot_child_spec *spec);

/* index.c */
void ot__itable_init(struct itable *t);
void ot__itable_fini(struct itable *t);
void ot__index_pid_add(struct sup *s, struct child *c);
void ot__index_pid_remove(struct sup *s, struct child *c);
void ot__index_id_add(struct sup *s, struct child *c);
void ot__index_id_remove(struct sup *s, struct child *c);
struct child *ot__child_by_pid(struct sup *s, ot_pid pid);
struct child *ot__child_by_id(struct sup *s, const char *id);
size_t ot__first_duplicate_id(const ot_child_spec *children, size_t n);

/* child.c */
struct child *ot__child_new(struct sup *s, const ot_child_spec *spec,
			    const void *extra, size_t extra_size);
void ot__child_free(struct sup *s, struct child *c);
void ot__child_set_pid(struct sup *s, struct child *c, ot_pid pid,
		       enum child_state state);
int ot__child_start(struct sup *s, struct child *c, ot_pid *holder,
		    ot_reason *why);
void ot__child_stop(struct sup *s, struct child *c);
void ot__children_stop_all(struct sup *s);
void ot__child_cancel_retry(struct child *c);

/* restart.c */
bool ot__sup_child_exited(struct sup *s, struct child *c,
			  const ot_reason *reason);
bool ot__sup_retry(struct sup *s, const struct sup_retry *r);
void ot__sup_forget(struct sup *s, struct child *c);

/* report.c */
enum sup_report {
	REPORT_CHILD_TERMINATED,
	REPORT_START_ERROR,
	REPORT_SHUTDOWN_ERROR,
	REPORT_SHUTDOWN, /* reached_max_restart_intensity */
	REPORT_RESTARTED,
};
void ot__sup_report(struct sup *s, enum sup_report what, const struct child *c,
		    ot_pid pid, const ot_reason *reason, size_t count);
void ot__sup_report_unexpected(struct sup *s, const ot_msg *msg);
void ot__sup_flush_reports(struct sup *s);
void ot__sup_drop_reports(struct sup *s);

#endif /* OTTER_SUPERVISOR_SUP_H */
