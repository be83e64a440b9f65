/* SPDX-License-Identifier: MIT */
/*
 * runtime.c — starting and stopping the runtime, and its counters.
 *
 * Subsystems come up in order (table, stacks, names, foreign threads,
 * fault trapping, the poller, schedulers) and go down in reverse, except
 * the poller, which is told to stop first (foreign threads waiting on a
 * descriptor return) and joined once the last process has ended. Shutdown
 * kills every process, waits until the last one has been reclaimed, and
 * only then stops the schedulers, so nothing is freed under a running
 * process.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runtime.h"

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
	size_t stack = cfg->stack_size ? cfg->stack_size : OT_DEFAULT_STACK_SIZE;
	if (stack < OT_MIN_STACK_SIZE || stack > OT_MAX_STACK_SIZE)
		return OT_EINVAL;
	size_t page = ot__page_size();
	size_t procs = cfg->max_processes ? cfg->max_processes
					  : OT_DEFAULT_MAX_PROCESSES;
	if (procs > OT_MAX_PROCESSES)
		return OT_EINVAL;
	sc->shared = cfg->shared_stacks ? cfg->shared_stacks
					: OT_DEFAULT_SHARED_STACKS;
	sc->guard = cfg->stack_guard ? cfg->stack_guard : OT_DEFAULT_STACK_GUARD;
	if (sc->shared > OT_MAX_SHARED_STACKS || sc->guard > OT_MAX_STACK_GUARD)
		return OT_EINVAL;
	ot__rt.nsched = 0;
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
	reset_counters();
	if ((rc = ot__table_init(ot__rt.max_procs)) != 0)
		goto out;
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
	/* Running before the threads start: they may be asked to run
	 * processes as soon as they exist. */
	atomic_store(&ot__rt.state, OT__R_RUNNING);
	if ((rc = ot__scheds_start((unsigned)n)) != 0) {
		atomic_store(&ot__rt.state, OT__R_STOPPED);
		ot__poll_stop();
		ot__poll_fini();
		goto undo_faults;
	}
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
out:
	pthread_mutex_unlock(&lifecycle);
	return rc;
}

bool ot_running(void)
{
	return atomic_load(&ot__rt.state) == OT__R_RUNNING;
}

void ot__note_exit(void)
{
	if (atomic_load(&ot__rt.state) != OT__R_STOPPING)
		return;
	pthread_mutex_lock(&ot__rt.exit_lock);
	pthread_cond_broadcast(&ot__rt.exit_cond);
	pthread_mutex_unlock(&ot__rt.exit_lock);
}

static void kill_one(struct ot__proc *p, void *arg)
{
	(void)arg;
	ot__proc_kill(p, ot__pid_of(p));
}

int ot_shutdown(void)
{
	if (ot_in_process())
		return OT_ENOTFOREIGN;
	pthread_mutex_lock(&lifecycle);
	if (atomic_load(&ot__rt.state) != OT__R_RUNNING) {
		pthread_mutex_unlock(&lifecycle);
		return OT_ENOTSTARTED;
	}
	atomic_store(&ot__rt.state, OT__R_STOPPING);
	ot__poll_stop();
	/* Kill everything, again and again: a spawn that passed its check
	 * just before STOPPING may still add a process. */
	pthread_mutex_lock(&ot__rt.exit_lock);
	while (atomic_load(&ot__rt.nprocs) > 0) {
		pthread_mutex_unlock(&ot__rt.exit_lock);
		ot__table_foreach(kill_one, NULL);
		pthread_mutex_lock(&ot__rt.exit_lock);
		if (atomic_load(&ot__rt.nprocs) == 0)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 10 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&ot__rt.exit_cond, &ot__rt.exit_lock, &ts);
	}
	pthread_mutex_unlock(&ot__rt.exit_lock);
	/* The poller thread may still be waking a process it fired just
	 * before that one was killed: joined before the schedulers go. */
	ot__poll_fini();
	ot__foreign_shutdown();
	ot__scheds_stop();
	ot__faults_fini();
	ot__foreign_fini();
	ot__names_fini();
	ot__stacks_fini();
	ot__table_fini();
	atomic_store(&ot__rt.state, OT__R_STOPPED);
	pthread_mutex_unlock(&lifecycle);
	return 0;
}

int ot_runtime_stats(ot_stats *out)
{
	if (!out)
		return OT_EINVAL;
	if (atomic_load(&ot__rt.state) == OT__R_STOPPED)
		return OT_ENOTSTARTED;
	memset(out, 0, sizeof *out);
	out->processes = atomic_load(&ot__rt.nlive);
	out->threads = atomic_load(&ot__rt.nthreads);
	out->spawned = atomic_load(&ot__rt.nspawned);
	out->timers = atomic_load(&ot__rt.ntimers);
	out->names = atomic_load(&ot__rt.nnames);
	out->schedulers = ot__rt.nsched;
	ot__stacks_stats(out);
	return 0;
}
