/* SPDX-License-Identifier: MIT */
/*
 * runtime.c — starting and stopping the runtime, and its counters.
 *
 * Subsystems come up in order (table, stacks, names, foreign threads,
 * fault trapping, the poller, schedulers) and go down in reverse. The
 * runtime is running only once all are up, so no call gets in half-way.
 * Shutdown first closes the gate to foreign threads and waits until none
 * is inside (gate.c), then ends the processes (shutdown.c) and only once
 * the last one has been reclaimed stops the poller and the schedulers:
 * nothing is freed under a running process or a foreign thread's call.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "block.h"
#include "fault.h"
#include "foreign.h"
#include "gate.h"
#include "name.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "stack.h"

struct ot__runtime ot__rt = {
    .exit_lock = PTHREAD_MUTEX_INITIALIZER,
    .exit_cond = PTHREAD_COND_INITIALIZER,
};

/* One start or shutdown at a time. */
static pthread_mutex_t lifecycle = PTHREAD_MUTEX_INITIALIZER;

struct stack_cfg {
	size_t shared, guard;
};

static int apply_config(const ot_config *cfg, struct stack_cfg *sc)
{
	static const ot_config defaults;
	if (!cfg)
		cfg = &defaults;
	unsigned n = cfg->schedulers;
	if (n == 0) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cpus > 0 ? (unsigned)cpus : 1;
		if (n > OT__MAX_SCHEDULERS)
			n = OT__MAX_SCHEDULERS;
	}
	if (n > OT__MAX_SCHEDULERS)
		return OT_EINVAL;
	size_t stack =
	    cfg->stack_size ? cfg->stack_size : OT_DEFAULT_STACK_SIZE;
	if (stack < OT_MIN_STACK_SIZE || stack > OT_MAX_STACK_SIZE)
		return OT_EINVAL;
	size_t page = ot__page_size();
	size_t procs =
	    cfg->max_processes ? cfg->max_processes : OT_DEFAULT_MAX_PROCESSES;
	if (procs > OT_MAX_PROCESSES)
		return OT_EINVAL;
	sc->shared =
	    cfg->shared_stacks ? cfg->shared_stacks : OT_DEFAULT_SHARED_STACKS;
	sc->guard =
	    cfg->stack_guard ? cfg->stack_guard : OT_DEFAULT_STACK_GUARD;
	if (sc->shared > OT_MAX_SHARED_STACKS || sc->guard > OT_MAX_STACK_GUARD)
		return OT_EINVAL;
	if (cfg->shutdown_timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	ot__rt.shutdown_ms = cfg->shutdown_timeout_ms
				 ? cfg->shutdown_timeout_ms
				 : OT_DEFAULT_SHUTDOWN_TIMEOUT;
	/* read without a lock by foreign threads (attached()) */
	__atomic_store_n(&ot__rt.nsched, 0, __ATOMIC_RELAXED);
	ot__rt.stack_size = (stack + page - 1) & ~(page - 1);
	ot__rt.max_procs = procs;
	return (int)n;
}

static void reset_counters(void)
{
	atomic_store(&ot__rt.nprocs, 0);
	atomic_store(&ot__rt.nlive, 0);
	atomic_store(&ot__rt.nthreads, 0);
	atomic_store(&ot__rt.nspawned, 0);
	atomic_store(&ot__rt.ntimers, 0);
	atomic_store(&ot__rt.nnames, 0);
	atomic_store(&ot__rt.nparked, 0);
	atomic_store(&ot__rt.nspinning, 0);
}

int ot_start(const ot_config *cfg)
{
	if (ot__gate_held())
		return OT_EDEADLK; /* from inside a call: it would wait for it
				    */
	pthread_mutex_lock(&lifecycle);
	int rc;
	if (atomic_load(&ot__rt.state) != OT__R_STOPPED) {
		rc = OT_ESTARTED;
		goto out;
	}
	struct stack_cfg sc;
	int n = apply_config(cfg, &sc);
	if (n < 0) {
		rc = n;
		goto out;
	}
	/* Threads calling in meanwhile are turned away, and those that got
	 * in while it was stopped are waited for (gate.c). */
	atomic_store(&ot__rt.state, OT__R_STARTING);
	ot__gate_wait_empty();
	reset_counters();
	if ((rc = ot__table_init(ot__rt.max_procs, (unsigned)n)) != 0)
		goto stopped;
	if ((rc = ot__stacks_init(ot__rt.stack_size, sc.shared, sc.guard)) != 0)
		goto undo_table;
	if ((rc = ot__names_init()) != 0)
		goto undo_stacks;
	if ((rc = ot__foreign_init()) != 0)
		goto undo_names;
	if ((rc = ot__faults_init()) != 0)
		goto undo_foreign;
	if ((rc = ot__poll_init()) != 0)
		goto undo_faults;
	if ((rc = ot__scheds_start((unsigned)n)) != 0) {
		ot__poll_stop();
		ot__poll_fini();
		goto undo_faults;
	}
	/* Running once everything is up: a call from another thread that
	 * gets in (gate.c) finds the schedulers there. seq_cst: pairs with
	 * the gate. */
	atomic_store(&ot__rt.state, OT__R_RUNNING);
	goto out;
undo_faults:
	ot__faults_fini();
undo_foreign:
	ot__foreign_fini();
undo_names:
	ot__names_fini();
undo_stacks:
	ot__stacks_fini();
undo_table:
	ot__table_fini();
stopped:
	atomic_store(&ot__rt.state, OT__R_STOPPED);
out:
	pthread_mutex_unlock(&lifecycle);
	return rc;
}

bool ot_running(void)
{
	int s = atomic_load(&ot__rt.state);
	return s == OT__R_RUNNING || s == OT__R_STOPPING || s == OT__R_ENDING;
}

void ot__note_exit(void)
{
	int s = atomic_load(&ot__rt.state);
	if (s != OT__R_STOPPING && s != OT__R_ENDING)
		return;
	pthread_mutex_lock(&ot__rt.exit_lock);
	pthread_cond_broadcast(&ot__rt.exit_cond);
	pthread_mutex_unlock(&ot__rt.exit_lock);
}

int ot_shutdown(void)
{
	if (ot_in_process())
		return OT_ENOTFOREIGN;
	if (ot__gate_held())
		return OT_EDEADLK; /* it would wait for its own call */
	int s = atomic_load(&ot__rt.state);
	if (s == OT__R_STOPPING || s == OT__R_ENDING)
		return OT_ESHUTDOWN;
	pthread_mutex_lock(&lifecycle);
	if (atomic_load(&ot__rt.state) != OT__R_RUNNING) {
		pthread_mutex_unlock(&lifecycle);
		return OT_ENOTSTARTED;
	}
	/* Closes the gate (seq_cst: pairs with ot__gate_enter_foreign()),
	 * and waits for the foreign threads inside to come out. */
	atomic_store(&ot__rt.state, OT__R_STOPPING);
	ot__gate_drain();
	ot__shutdown_processes();
	ot__foreign_shutdown();
	ot__scheds_stop();
	/* After the schedulers, which poll it. */
	ot__poll_fini();
	ot__faults_fini();
	ot__backtrace_fini(); /* the symbol tables of crash reports */
	ot__foreign_fini();
	ot__names_fini();
	ot__stacks_fini();
	ot__table_fini();
	atomic_store(&ot__rt.state, OT__R_STOPPED);
	pthread_mutex_unlock(&lifecycle);
	return 0;
}

int ot__runtime_stats(ot_stats *out)
{
	if (!out)
		return OT_EINVAL;
	if (ot__running_check() == OT_ENOTSTARTED)
		return OT_ENOTSTARTED;
	memset(out, 0, sizeof *out);
	out->processes = atomic_load(&ot__rt.nlive);
	out->threads = atomic_load(&ot__rt.nthreads);
	out->spawned = atomic_load(&ot__rt.nspawned);
	out->timers = atomic_load(&ot__rt.ntimers);
	out->names = atomic_load(&ot__rt.nnames);
	out->schedulers = ot__rt.nsched;
	out->message_cache_bytes = ot__block_cache_bytes();
	ot__stacks_stats(out);
	return 0;
}
