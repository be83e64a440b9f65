/* SPDX-License-Identifier: MIT */
/*
 * otter/supervisor.h — supervisors: Erlang's supervisor, Elixir's
 * Supervisor and DynamicSupervisor, in C.
 *
 * A supervisor is a process (a gen_server that traps exits) that starts
 * its children, watches them through links, and restarts them by the
 * rules below when they end. Children are workers (gen_servers, any
 * process) or supervisors themselves, so supervisors nest into trees. A
 * crash inside a child's callback (SIGSEGV, SIGFPE, abort, a stack
 * overflow) is an exit reason like any other: the child is restarted and
 * the rest of the program runs on.
 *
 * The semantics are OTP's (supervisor.erl, OTP 24+):
 *  - Children start in order. If one fails to start, the ones already
 *    started are stopped in reverse order and the supervisor's start fails.
 *  - Restart types: permanent children are always restarted, transient
 *    ones only after an abnormal exit (normal, shutdown and
 *    {shutdown,Text} are clean), temporary ones never.
 *  - Strategies: one_for_one restarts the child that ended; one_for_all
 *    stops all the others (reverse order) and starts all (in order);
 *    rest_for_one does that for the child and those started after it;
 *    simple_one_for_one has one child template and children added at run
 *    time; OT_SUP_DYNAMIC is Elixir's DynamicSupervisor (each child brings
 *    its own spec). Temporary children stopped because a sibling died are
 *    not restarted.
 *  - Intensity: more than `intensity` restarts within `period_ms` and the
 *    supervisor stops all its children and exits with reason shutdown;
 *    its own supervisor then applies its rules. A restart whose start
 *    fails is retried (after any message already waiting), and every
 *    attempt counts.
 *  - Shutdown (the supervisor stopping, terminate_child, or siblings of a
 *    one_for_all restart): in reverse start order, one child at a time,
 *    the child is monitored (so one that unlinked itself is still
 *    stopped), sent exit reason shutdown, given its shutdown time, then
 *    killed. Dynamic children (simple_one_for_one, OT_SUP_DYNAMIC) are
 *    stopped all at once. Children ending on their own meanwhile are not
 *    restarted.
 *  - auto_shutdown with significant children (temporary or transient):
 *    the supervisor shuts itself down when any / all of them have ended
 *    on their own (not when it stopped them itself).
 *  - Reports, as SASL's supervisor reports, through ot_log_report(),
 *    written after the restart is done, never while one is pending:
 *
 *      =SUPERVISOR REPORT==== otter ===
 *          supervisor: <0.5.0> (or its registered name)
 *          errorContext: child_terminated
 *          reason: {crash,SIGSEGV,SEGV_MAPERR,addr=0x0}
 *          offender: [{pid,<0.7.0>},{id,"db"},{restart_type,permanent},
 *                     {significant,false},{shutdown,5000},{child_type,worker}]
 *
 *    errorContext is child_terminated (a child ended abnormally, or a
 *    permanent one ended at all), start_error (a start or restart failed),
 *    shutdown_error (a child stopped by the supervisor ended with another
 *    reason than expected), or shutdown with reason
 *    reached_max_restart_intensity. Each restarted child gets a
 *    "=PROGRESS REPORT==== otter ===" with "restarted: [{pid,...},...]".
 *
 * Beyond OTP: an optional restart backoff (ot_sup_backoff), so that a
 * child that cannot start does not burn a CPU; the supervisor keeps
 * answering calls while children wait for their restart.
 *
 * Naming a supervisor: every call below takes its pid. OTP also accepts
 * a registered name wherever a pid goes; here ot_supervisor_named(name)
 * turns the name into the pid at the moment of the call (as OTP looks the
 * name up at each call), and gives OT_PID_NONE for a name nobody has,
 * which every call answers with OT_ENOPROC (OTP's calls exit with noproc):
 *
 *     ot_supervisor_start_child(ot_supervisor_named("db_sup"), &spec,
 *                               &pid, &why);
 *
 * Where otter differs from OTP: errors are returned, not raised; child ids
 * are strings (OT_NAME_MAX bytes at most); a dynamic child's extra
 * arguments are bytes the supervisor copies, and a start's extra info
 * ({ok, Pid, Info}) is bytes too (ot_child_start_info()). Calls to a
 * supervisor wait for ever, as OTP's do: a supervisor busy starting a
 * child answers after.
 */
#ifndef OTTER_SUPERVISOR_H
#define OTTER_SUPERVISOR_H

#include <otter/base.h>
#include <otter/error.h>
#include <otter/gen_server.h>
#include <otter/proc.h>
#include <otter/reason.h>

OT_BEGIN_DECLS

typedef enum ot_sup_strategy {
	OT_ONE_FOR_ONE = 0,
	OT_ONE_FOR_ALL,
	OT_REST_FOR_ONE,
	OT_SIMPLE_ONE_FOR_ONE,
	OT_SUP_DYNAMIC, /* Elixir's DynamicSupervisor */
} ot_sup_strategy;

typedef enum ot_restart {
	OT_PERMANENT = 0,
	OT_TRANSIENT,
	OT_TEMPORARY,
} ot_restart;

typedef enum ot_child_type {
	OT_WORKER = 0, /* (a child with .sup set is always a supervisor) */
	OT_SUPERVISOR,
} ot_child_type;

typedef enum ot_auto_shutdown {
	OT_AUTO_SHUTDOWN_NEVER = 0,
	OT_AUTO_SHUTDOWN_ANY_SIGNIFICANT,
	OT_AUTO_SHUTDOWN_ALL_SIGNIFICANT,
} ot_auto_shutdown;

/* ot_child_spec.shutdown_ms: besides a timeout > 0 in ms and OT_INFINITY,
 * these. */
#define OT_SHUTDOWN_DEFAULT	0    /* 5000 for a worker, infinity for a sup */
#define OT_SHUTDOWN_BRUTAL_KILL (-2) /* kill at once (reason killed) */

/*
 * A child's start function: it runs in the supervisor, starts the child
 * *linked to the caller* (ot_gen_server_start_link(), or ot_spawn() with
 * OT_SPAWN_LINK), stores its pid in *out and returns 0. It returns
 * OT_EIGNORED to start nothing, OT_EALREADY with the pid of the process
 * that has the child's registered name in *out when that name is taken
 * (what ot_gen_server_start_link() does: OTP's {already_started, Pid}),
 * or another negative code for a failure, setting *reason to why (the
 * supervisor fills in {error,Code,Text} if it does not). extra /
 * extra_size are the bytes given to ot_supervisor_start_child_extra()
 * (simple_one_for_one), else NULL / 0. Before it returns 0 it may hand
 * back extra info with ot_child_start_info() (OTP's {ok, Pid, Info}).
 * It must not call the supervisor itself (that would deadlock).
 */
typedef int (*ot_child_start_fn)(void *arg, const void *extra,
				 size_t extra_size, ot_pid *out,
				 ot_reason *reason);

struct ot_sup_spec;

/*
 * How to start and treat one child. The zero value plus an id and one way
 * to start is a permanent worker with 5 s to shut down. Set exactly one of
 * start, server, sup:
 *  - start: your function, called with arg;
 *  - server: a gen_server started with ot_gen_server_start_link(server,
 *    arg), or, for a simple_one_for_one child started with extra bytes,
 *    with a pointer to the supervisor's copy of them (valid while the
 *    child lives); registered as name when name is not empty;
 *  - sup: a supervisor started with this spec (type supervisor), named
 *    name when not empty.
 * What server, sup and arg point to must outlive the supervisor: they are
 * used again at each restart.
 */
typedef struct ot_child_spec {
	char id[OT_NAME_MAX + 1]; /* unique in its supervisor; unused (may
				     be "") for dynamic children */
	ot_child_start_fn start;
	const ot_gen_server_callbacks *server;
	const struct ot_sup_spec *sup;
	void *arg;
	char name[OT_NAME_MAX + 1]; /* server / sup: register as this */
	ot_restart restart;
	int shutdown_ms; /* > 0, OT_INFINITY, OT_SHUTDOWN_BRUTAL_KILL or
			    OT_SHUTDOWN_DEFAULT */
	ot_child_type type;
	/* With auto_shutdown: this child's own end may shut the supervisor
	 * down. Only for transient and temporary children. */
	bool significant;
} ot_child_spec;

/*
 * Restart backoff (beyond OTP). With min_ms > 0, a child that has to be
 * restarted waits first: min_ms the first time, then twice as long each
 * consecutive time up to max_ms, each delay moved up or down by a random
 * amount of at most jitter_pct percent. A child that ran reset_ms without
 * needing a restart starts again from min_ms. With one_for_all and
 * rest_for_one the siblings are stopped at once and the group starts
 * after the delay. Restarts count toward intensity when they are
 * attempted, not when they are scheduled.
 */
typedef struct ot_sup_backoff {
	int min_ms;	     /* 0: no backoff (restart at once, as OTP) */
	int max_ms;	     /* 0: 32 * min_ms */
	unsigned jitter_pct; /* 0..100 */
	int reset_ms;	     /* 0: 2 * max_ms */
} ot_sup_backoff;

/*
 * The supervisor's flags. The zero value is one_for_one, 3 restarts in
 * 5 s (Elixir's defaults), no auto_shutdown, no limit, no backoff.
 * period_ms 0 means 5000, and then intensity 0 means 3; to allow no
 * restart at all, set period_ms (> 0) and leave intensity 0. OTP counts
 * the period in seconds; otter in milliseconds.
 */
typedef struct ot_sup_flags {
	ot_sup_strategy strategy;
	int intensity; /* 0 .. OT_SUP_MAX_INTENSITY */
	int period_ms; /* > 0, or 0 for the default */
	/* Only with one_for_one, one_for_all, rest_for_one: OTP rejects it
	 * for simple_one_for_one (OT_EBADSPEC), and Elixir's
	 * DynamicSupervisor has none. */
	ot_auto_shutdown auto_shutdown;
	/* simple_one_for_one and OT_SUP_DYNAMIC: at most this many children
	 * (start_child then fails with OT_EMAXCHILDREN); 0: no limit. */
	size_t max_children;
	ot_sup_backoff backoff;
} ot_sup_flags;

#define OT_SUP_MAX_INTENSITY	 1000000
#define OT_SUP_DEFAULT_INTENSITY 3
#define OT_SUP_DEFAULT_PERIOD_MS 5000

/*
 * A supervisor: its flags and its children, started in array order.
 * simple_one_for_one: exactly one child, the template (id and name are
 * ignored for the children made from it). OT_SUP_DYNAMIC: no children.
 * The spec is copied at start; nested .sup specs are not (see above).
 */
typedef struct ot_sup_spec {
	ot_sup_flags flags;
	const ot_child_spec *children;
	size_t nchildren;
} ot_sup_spec;

/*
 * Starts a supervisor linked to the caller, registered as name (NULL: no
 * name), and its children, and returns once they have all started (*out,
 * may be NULL, gets its pid). A child whose start answers OT_EALREADY
 * (its name taken) fails the start like any other failure. Errors:
 *  OT_EBADSPEC (a flag or child spec is invalid: *reason says which and
 *  why, as {error,OT_EBADSPEC,"child \"db\": significant needs
 *  auto_shutdown"}; also nchildren above SIZE_MAX / sizeof(ot_child_spec),
 *  a count that wrapped, refused before a child is read), OT_EINITSTOP (a child
 * failed to start: the started ones were stopped; *reason is
 * {shutdown,"failed_to_start_child,Id, Reason"}), OT_EALREADY (name taken; *out
 * gets its holder), OT_ENAMETOOLONG, OT_EINVAL (spec NULL), and ot_spawn()'s
 * errors. reason may be NULL. From: process or foreign; blocks until started.
 */
OT_API int ot_supervisor_start_link(const ot_sup_spec *spec, const char *name,
				    ot_pid *out, ot_reason *reason);

/*
 * A supervisor with an init callback, as OTP's start_link(Mod, Args) and
 * Mod:init(Args): the supervisor process (trapping exits already) calls
 * init(arg, handle, reason), which says what the supervisor is with
 *   ot_sup_init_flags(handle, &flags)          (zero flags if not called)
 *   ot_sup_init_children(handle, specs, n)     (appended, in start order)
 * (both copy what they are given, so the specs may be computed on
 * init's own stack) and returns 0; the spec is then checked and the
 * children started as ot_supervisor_start_link() does. init runs again
 * each time the supervisor is started again (restarted by its own
 * supervisor, through a start function that calls this). Returning
 * OT_EIGNORED is OTP's ignore: nothing is started, the supervisor ends
 * (reason normal) and this returns OT_EIGNORED. Returning any other
 * nonzero code fails the start: this returns OT_EINITSTOP with init's
 * *reason (or {error,Code,Text} when it set none), as does a crash in
 * init (with the crash's reason). The handle is valid only while init
 * runs, and only in the supervisor's process.
 * Errors: OT_EINVAL (init NULL), OT_EIGNORED, OT_EINITSTOP, OT_EBADSPEC
 * (the flags or children init gave are invalid: *reason says why), and
 * ot_supervisor_start_link()'s other errors. What arg points to is init's
 * to read (from a process: not a local of the caller, which waits while
 * init runs: otter/proc.h, "Stacks"). reason may be NULL.
 * From: process or foreign; blocks until started.
 */
typedef struct ot_sup_init ot_sup_init;
typedef int (*ot_sup_init_fn)(void *arg, ot_sup_init *init, ot_reason *reason);
OT_API int ot_supervisor_start_link_init(ot_sup_init_fn init, void *arg,
					 const char *name, ot_pid *out,
					 ot_reason *reason);

/* From an init callback: the supervisor's flags (copied; checked after
 * init returns). Errors: OT_EINVAL (init or flags NULL). Never blocks. */
OT_API int ot_sup_init_flags(ot_sup_init *init, const ot_sup_flags *flags);

/* From an init callback: appends n child specs (copied) to the
 * supervisor's children. Errors: OT_EINVAL (init NULL, children NULL
 * with n > 0, n too large), OT_ENOMEM; init returning 0 after one of
 * these fails the start with it. Never blocks. */
OT_API int ot_sup_init_children(ot_sup_init *init,
				const ot_child_spec *children, size_t n);

/* Stops sup (reason normal), its children first, and waits until it has
 * ended: when this returns 0, sup and every process of its tree have
 * ended, and ot_runtime_stats() counts none of them. Errors: as
 * ot_gen_server_stop(), and OT_ENOPROC for OT_PID_NONE. */
OT_API int ot_supervisor_stop(ot_pid sup, int timeout_ms);

/*
 * The pid of the supervisor registered as name, for the calls of this
 * header (see "Naming a supervisor" above), or OT_PID_NONE when no
 * process has that name, or name is NULL, empty or longer than
 * OT_NAME_MAX. The name is looked up now: a supervisor restarted under
 * the same name afterwards has another pid. From: anywhere; never blocks.
 */
OT_API ot_pid ot_supervisor_named(const char *name);

/*
 * Adds a child and starts it (one_for_one, one_for_all, rest_for_one:
 * appended to the start order; OT_SUP_DYNAMIC: its id is not used).
 * 0 and *out (may be NULL) = its pid. Errors:
 *  OT_EBADSPEC (*reason says why), OT_EPRESENT (a child with that id
 *  exists but does not run), OT_EALREADY (it runs: *out gets its pid; or
 *  its start found its registered name taken: *out gets the pid holding
 *  it, and nothing was added: OTP's {already_started, Pid}),
 *  OT_EIGNORED (its start returned ignore: the spec is kept without a pid,
 *  but not for a dynamic or temporary child), OT_ECHILDSTART (its start
 *  failed: *reason says why; nothing was added), OT_EMAXCHILDREN,
 *  OT_ESIMPLE (a simple_one_for_one supervisor: use
 *  ot_supervisor_start_child_extra()), and the call errors: OT_ENOPROC
 *  (no such process; sup OT_PID_NONE, as ot_supervisor_named() gives for
 *  a name nobody has), OT_ESERVERDIED, OT_EDEADLK (the supervisor calling
 *  itself), OT_EINVAL (also: sup is not a supervisor).
 * reason may be NULL. From: process or foreign; blocks while the child
 * starts.
 */
OT_API int ot_supervisor_start_child(ot_pid sup, const ot_child_spec *spec,
				     ot_pid *out, ot_reason *reason);

/*
 * simple_one_for_one: starts a child from the template, passing a copy of
 * size bytes at extra (may be NULL / 0) to its start (and to each restart).
 * Errors: as ot_supervisor_start_child(), OT_ESIMPLE when sup is not
 * simple_one_for_one, OT_EINVAL (extra NULL with a size, or a size above
 * PTRDIFF_MAX).
 */
OT_API int ot_supervisor_start_child_extra(ot_pid sup, const void *extra,
					   size_t size, ot_pid *out,
					   ot_reason *reason);

/*
 * A start's extra info, OTP's Info in {ok, Pid, Info}: bytes a start
 * function hands back with ot_child_start_info(), which the _info
 * variants below give to their caller (a restart the supervisor makes on
 * its own drops them, as OTP does).
 */
#define OT_CHILD_INFO_MAX 256
typedef struct ot_start_info {
	size_t size; /* 0: the start gave none */
	unsigned char data[OT_CHILD_INFO_MAX];
} ot_start_info;

/*
 * Called by a child's start function (in the supervisor's process, while
 * it starts that child): size bytes at info (copied) go back with the
 * pid to whoever asked for the start. A later call replaces an earlier
 * one; size 0 (info NULL) takes it back. Errors: OT_EINVAL (info and
 * size disagree), OT_ETOOBIG (size > OT_CHILD_INFO_MAX), OT_ENOTFOUND
 * (not called from a start function the supervisor is running).
 * Never blocks.
 */
OT_API int ot_child_start_info(const void *info, size_t size);

/* ot_supervisor_start_child(), ot_supervisor_start_child_extra() and
 * ot_supervisor_restart_child(), and on success *info (may be NULL) gets
 * what the start gave (size 0 when it gave nothing, and on any error).
 * Errors: as theirs. */
OT_API int ot_supervisor_start_child_info(ot_pid sup, const ot_child_spec *spec,
					  ot_pid *out, ot_start_info *info,
					  ot_reason *reason);
OT_API int ot_supervisor_start_child_extra_info(ot_pid sup, const void *extra,
						size_t size, ot_pid *out,
						ot_start_info *info,
						ot_reason *reason);
OT_API int ot_supervisor_restart_child_info(ot_pid sup, const char *id,
					    ot_pid *out, ot_start_info *info,
					    ot_reason *reason);

/*
 * Stops the child id (as at shutdown). Its spec stays (not for a temporary
 * child), so it can be restarted; a child waiting for a restart stops
 * waiting. Errors: OT_ENOTFOUND, OT_ESIMPLE (dynamic supervisors: by pid),
 * call errors.
 */
OT_API int ot_supervisor_terminate_child(ot_pid sup, const char *id);

/*
 * Stops the child pid of a dynamic supervisor (simple_one_for_one,
 * OT_SUP_DYNAMIC) and forgets it, as OTP's terminate_child(Sup, Pid).
 * Returns 0 also when child has already ended (a child that ended just
 * before, and was forgotten: there is nothing left to stop). Errors:
 * OT_ENOTFOUND (child is alive and not a child of sup, or sup is not a
 * dynamic supervisor: OTP names a static child by id only, and the child
 * is left running), OT_EINVAL (child OT_PID_NONE), call errors.
 */
OT_API int ot_supervisor_terminate_child_pid(ot_pid sup, ot_pid child);

/*
 * Starts again the child id, whose spec was kept after it was terminated
 * (or ignored). 0 and *out = its pid. Errors: OT_ENOTFOUND, OT_ERUNNING,
 * OT_ERESTARTING, OT_EIGNORED, OT_ECHILDSTART (*reason), OT_EALREADY (its
 * start found its registered name taken: *out gets the pid holding it;
 * the child stays undefined), OT_ESIMPLE, call errors.
 */
OT_API int ot_supervisor_restart_child(ot_pid sup, const char *id, ot_pid *out,
				       ot_reason *reason);

/* Forgets the spec of the child id, which must not run. Errors:
 * OT_ENOTFOUND, OT_ERUNNING, OT_ERESTARTING, OT_ESIMPLE, call errors. */
OT_API int ot_supervisor_delete_child(ot_pid sup, const char *id);

typedef enum ot_child_status {
	OT_CHILD_RUNNING = 1,
	OT_CHILD_RESTARTING, /* waiting for (or retrying) its restart */
	OT_CHILD_UNDEFINED,  /* not running: terminated, or start ignored */
} ot_child_status;

typedef struct ot_child_info {
	char id[OT_NAME_MAX + 1]; /* "" for dynamic children */
	ot_pid pid;		  /* OT_PID_NONE unless running */
	ot_child_status status;
	ot_child_type type;
	/* Times the supervisor started it again after it ended (each
	 * restart that succeeded, a sibling's group restart in one_for_all
	 * and rest_for_one included; restart_child() is not counted): what
	 * an observer shows. Dynamic children: of this child only. */
	uint64_t restarts;
} ot_child_info;

/*
 * Lists the children, in start order (dynamic: in no set order), into
 * out[0..cap). Returns how many were written (>= 0); *total (may be NULL)
 * gets how many there are. Errors: OT_EINVAL (out NULL with cap > 0),
 * call errors.
 */
OT_API int ot_supervisor_which_children(ot_pid sup, ot_child_info *out,
					size_t cap, size_t *total);

typedef struct ot_child_counts {
	size_t specs;	    /* children, running or not (simple_one_for_one:
			       1, its template, as OTP) */
	size_t active;	    /* running */
	size_t supervisors; /* of type supervisor, running or not */
	size_t workers;	    /* of type worker, running or not */
} ot_child_counts;

/*
 * One child, as which_children describes it: OTP 28's which_child(Sup,
 * Id). Errors: OT_ENOTFOUND, OT_ESIMPLE (a dynamic supervisor: by pid),
 * OT_EINVAL (id or out NULL), call errors.
 */
OT_API int ot_supervisor_which_child(ot_pid sup, const char *id,
				     ot_child_info *out);

/* The same for the child with that pid (any supervisor; a child waiting
 * for its restart is found by the pid it had). Errors: OT_ENOTFOUND,
 * OT_EINVAL (child OT_PID_NONE, out NULL), call errors. */
OT_API int ot_supervisor_which_child_pid(ot_pid sup, ot_pid child,
					 ot_child_info *out);

/* Counts the children, as OTP's count_children. Errors: OT_EINVAL, call
 * errors. */
OT_API int ot_supervisor_count_children(ot_pid sup, ot_child_counts *out);

/* Copies the spec of the child id into *out. Errors: OT_ENOTFOUND,
 * OT_ESIMPLE (a dynamic supervisor: by pid), OT_EINVAL, call errors. */
OT_API int ot_supervisor_get_childspec(ot_pid sup, const char *id,
				       ot_child_spec *out);

/* The same for the child with that pid (any supervisor, where OTP finds
 * a static child by id only; the template for simple_one_for_one).
 * Errors: OT_ENOTFOUND, OT_EINVAL (child OT_PID_NONE, out NULL), call
 * errors. */
OT_API int ot_supervisor_get_childspec_pid(ot_pid sup, ot_pid child,
					   ot_child_spec *out);

/*
 * Checks a child spec as start_child would (without a supervisor: id
 * uniqueness and auto_shutdown are not checked). 0, or OT_EBADSPEC with
 * *reason (may be NULL) saying why. Never blocks.
 */
OT_API int ot_child_spec_check(const ot_child_spec *spec, ot_reason *reason);

/*
 * The calls by registered name (OTP's Sup argument as a name): each is its
 * pid form applied to the process registered as name now, looked up once.
 * A name nobody has is OT_ENOPROC, as ot_supervisor_named() makes it;
 * unlike that function, a NULL or empty name is OT_EINVAL and a name
 * longer than OT_NAME_MAX is OT_ENAMETOOLONG.
 */
OT_API int ot_supervisor_start_child_name(const char *name,
					  const ot_child_spec *spec,
					  ot_pid *out, ot_reason *reason);
OT_API int ot_supervisor_start_child_extra_name(const char *name,
						const void *extra, size_t size,
						ot_pid *out, ot_reason *reason);
OT_API int ot_supervisor_terminate_child_name(const char *name, const char *id);
OT_API int ot_supervisor_restart_child_name(const char *name, const char *id,
					    ot_pid *out, ot_reason *reason);
OT_API int ot_supervisor_delete_child_name(const char *name, const char *id);
OT_API int ot_supervisor_which_children_name(const char *name,
					     ot_child_info *out, size_t cap,
					     size_t *total);
OT_API int ot_supervisor_count_children_name(const char *name,
					     ot_child_counts *out);

OT_END_DECLS

#endif /* OTTER_SUPERVISOR_H */
