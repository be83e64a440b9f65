/* SPDX-License-Identifier: MIT */
/*
 * fault.c — crash trapping: a fault inside a process ends that process.
 *
 * SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT are caught on an alternate
 * signal stack (one per scheduler thread, so a process that ran off its
 * own stack can still be handled). When the fault happened while a
 * process ran its own code, the handler records what happened (signal,
 * si_code, address, stack overflow or not, a backtrace) and returns — into
 * a landing function on a spare stack instead of the faulting code. From
 * there the process ends like any other (its own stack is abandoned), and
 * the scheduler reclaims it with a crash reason that its links and
 * monitors receive.
 *
 * A process may also take a fault back: inside ot_catch() the landing
 * function jumps back to it (Erlang's catch), and the process goes on.
 * ot_exit() goes to an ot_catch(), or to the crash handler, the same way.
 *
 * A fault anywhere else — on a thread that runs no process, while otter
 * holds one of its locks, or in otter's own code — is not swallowed: it is
 * reported on stderr and handed to the handler that was installed before
 * otter's, or to the default action (a core dump).
 *
 * Nothing here costs anything while nothing faults: no system call per
 * message or per switch.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "fault.h"
#include "gate.h"
#include "lifecycle.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "stack.h"

/* One mapping per scheduler: the lower half is where a crashed process
 * lands after the handler returns, the upper half the signal stack. */
#define ALTSTACK_SIZE (64 * 1024)
#define LANDING_SIZE  (64 * 1024)

static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
#define NFAULTS (sizeof fault_signals / sizeof fault_signals[0])

/* An ot_catch() running, on its frame: a fault or an ot_exit() inside it
 * jumps back here. */
struct ot__catch {
	jmp_buf back;
	struct ot__catch *up; /* the one it runs inside, if any */
	bool in_crash_fn;     /* as it was when the catch began */
	ot_reason reason;     /* why fn did not return */
};

static struct sigaction previous[NFAULTS];
static bool installed;
/* Where otter's own machine code lies. */
static uintptr_t text_lo, text_hi;

static int find_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	uintptr_t self = (uintptr_t)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		uintptr_t hi = lo + ph->p_memsz;
		if (self >= lo && self < hi) {
			/* Linked statically, otter shares its segment with the
			 * program, whose faults must still be trapped: then
			 * only a fault under one of otter's locks counts as
			 * otter's own. */
			if (info->dlpi_name && info->dlpi_name[0]) {
				text_lo = lo;
				text_hi = hi;
			}
			return 1;
		}
	}
	return 0;
}

static void put(const char *s)
{
	ssize_t rc = write(STDERR_FILENO, s, strlen(s));
	(void)rc;
}

static void put_hex(uintptr_t v)
{
	char buf[2 + 16 + 1];
	int n = sizeof buf - 1;
	buf[n] = '\0';
	do {
		buf[--n] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v && n > 2);
	buf[--n] = 'x';
	buf[--n] = '0';
	put(buf + n);
}

static uintptr_t fault_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

/* Not a process's crash: say so, then let the previous handler or the
 * default action have it. Async-signal-safe: write(2) only. */
static void not_ours(int sig, siginfo_t *si, void *uc, const char *why)
{
	size_t i = 0;
	while (i < NFAULTS && fault_signals[i] != sig)
		i++;
	static const char *const names[NFAULTS] = {
	    "SIGSEGV", "SIGBUS", "SIGFPE", "SIGILL", "SIGABRT"};
	put("otter: fatal ");
	put(i < NFAULTS ? names[i] : "signal");
	put(" ");
	put(why);
	if (si->si_code > 0) { /* raise()/kill() carry no address */
		put(", fault address ");
		put_hex((uintptr_t)si->si_addr);
	}
	put(", pc ");
	put_hex(fault_pc(uc));
	put("\n");
	const struct sigaction *old = i < NFAULTS ? &previous[i] : NULL;
	if (old && (old->sa_flags & SA_SIGINFO) && old->sa_sigaction) {
		old->sa_sigaction(sig, si, uc);
		return;
	}
	if (old && !(old->sa_flags & SA_SIGINFO) &&
	    old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN) {
		old->sa_handler(sig);
		return;
	}
	/* The default action, now: a core dump where the fault was. */
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Where the handler "returns" to: a fresh stack, from which the process
 * is ended like any other. The handler returns normally (sigreturn puts
 * the signal mask back, and the sanitizers see a handler that finished);
 * only the context it returns into has been swapped. */
#ifdef OT__ASAN
/* ASan would check this stack (one it does not know) before the
 * no-return call below, and warn for nothing. */
__attribute__((no_sanitize_address))
#endif
static void
crash_landing(struct ot__proc *p)
{
	ot__proc_exit(p, &p->exit_reason);
}

/* The process's crash handler runs here, on the process's own stack just
 * below where it faulted: it is the process still, and may block. */
static void crash_handler_landing(struct ot__proc *p)
{
	/* The backtrace lives in the scheduler's slot, which the next crash
	 * on this scheduler reuses while this process may have moved on. */
	struct ot__crash *copy = NULL;
	if (p->crash->nframes > 0 && (copy = malloc(sizeof *copy))) {
		*copy = *p->crash;
		p->crash_owned = true;
	}
	p->crash = copy; /* (none: no backtrace was taken, reports are off) */
	p->crash_fn(&p->exit_reason, p->crash_arg);
	ot__proc_exit(p, &p->exit_reason);
}

/* A fault inside ot_catch(): back to it, on the process's own stack just
 * below the fault (the frames in between are abandoned). */
static void catch_landing(struct ot__proc *p)
{
	longjmp(p->catching->back, 1);
}

/* Makes the handler return into fn(p) on the stack whose top is top. */
static void land_at(ucontext_t *uc, uintptr_t top,
		    void (*fn)(struct ot__proc *), struct ot__proc *p)
{
	/* At a function's entry the stack pointer is 8 past 16-byte
	 * alignment on x86-64 (the return address), 16-aligned on AArch64. */
	top &= ~(uintptr_t)15;
#if defined(__x86_64__)
	/* A return address of 0: fn is where the stack's frames begin, and
	 * an unwinder stops there (a backtrace taken by a crash inside fn
	 * would otherwise walk on into whatever lay below the fault). */
	*(uintptr_t *)(top - 8) = 0;
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)(top - 8);
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)fn;
	uc->uc_mcontext.gregs[REG_RDI] = (greg_t)(uintptr_t)p;
	uc->uc_mcontext.gregs[REG_RBP] = 0;
#elif defined(__aarch64__)
	uc->uc_mcontext.sp = top;
	uc->uc_mcontext.pc = (uintptr_t)fn;
	uc->uc_mcontext.regs[0] = (uintptr_t)p;
	uc->uc_mcontext.regs[29] = 0;
	uc->uc_mcontext.regs[30] = 0;
#else
	(void)uc;
	(void)top;
	fn(p);
#endif
}

static uintptr_t fault_sp(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.sp;
#else
	(void)uc;
	return 0;
#endif
}

/* The red zone of the faulting frame, which code landed below it skips;
 * the room a crash handler gets below that (the two make proc.h's
 * OT_CRASH_HANDLER_STACK_MIN); and what the jump back to an ot_catch()
 * needs. */
#define RED_ZONE	   1024
#define CRASH_HANDLER_ROOM (OT_CRASH_HANDLER_STACK_MIN - RED_ZONE)
#define CATCH_ROOM	   (4 * 1024)

/* True when the process's stack has room below the faulting frame (sp)
 * for code that needs room bytes (beyond the red zone). */
static bool room_below(const struct ot__proc *p, uintptr_t sp, uintptr_t room)
{
	uintptr_t lo = (uintptr_t)p->stack->lo;
	return sp > lo + room + RED_ZONE && sp <= (uintptr_t)p->stack->top;
}

static void land(ucontext_t *uc, struct ot__sched *s, struct ot__proc *p)
{
	uintptr_t sp = fault_sp(uc);
	/* Below the red zone of the faulting frame, on the process's own
	 * stack, if a handler wants to run and there is room for it. */
	if (p->crash_fn && !p->exit_reason.stack_overflow &&
	    room_below(p, sp, CRASH_HANDLER_ROOM)) {
		p->in_crash_fn = true;
		land_at(uc, sp - RED_ZONE, crash_handler_landing, p);
		return;
	}
	land_at(uc, (uintptr_t)s->altstack + LANDING_SIZE, crash_landing, p);
}

/* The crash reason of a fault. */
static ot_reason fault_reason(int sig, const siginfo_t *si, bool overflow)
{
	ot_reason r = ot__reason(OT_REASON_CRASH);
	r.code = sig;
	r.si_code = si->si_code;
	/* raise() and kill() carry no address */
	r.addr = si->si_code > 0 ? (uintptr_t)si->si_addr : 0;
	r.stack_overflow = overflow;
	return r;
}

static void on_fault(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct ot__sched *s = ot__sched_self();
	struct ot__proc *p = s ? s->current : NULL;
	if (!p && s && s->guard && !ot__locks_held) {
		/* ot__fault_guarded(), whose jump does not restore the mask
		 * (that costs a system call at each guarded call): the mask
		 * from before this signal is put back here. */
		pthread_sigmask(SIG_SETMASK, &uc->uc_sigmask, NULL);
		siglongjmp(*s->guard, sig);
	}
	if (!p) {
		not_ours(sig, si, uc, "outside any otter process");
		return;
	}
	bool overflow = (sig == SIGSEGV || sig == SIGBUS) &&
			ot__stack_in_guard(p, si->si_addr);
	uintptr_t pc = fault_pc(uc);
	bool in_otter = pc >= text_lo && pc < text_hi;
	if (ot__locks_held || (in_otter && !overflow)) {
		not_ours(sig, si, uc, "inside the otter runtime");
		return;
	}
	if (p->catching && !overflow &&
	    room_below(p, fault_sp(uc), CATCH_ROOM)) {
		/* Inside ot_catch(): back to it, with the reason. */
		p->catching->reason = fault_reason(sig, si, overflow);
		land_at(uc, fault_sp(uc) - RED_ZONE, catch_landing, p);
		return;
	}
	if (p->in_crash_fn) {
		/* A crash in the crash handler: the process ends with this
		 * one (the handler does not run again). */
		p->in_crash_fn = false;
		p->crash_fn = NULL;
	}
	/* The backtrace is for the crash report: none when nobody reads
	 * reports. Whether it is reported is decided now too (the report
	 * is written after the process stopped counting as alive). It goes
	 * into the scheduler's slot, or into the copy the crash handler of
	 * an earlier crash holds. */
	bool reports =
	    !atomic_load_explicit(&ot__log_off, memory_order_relaxed);
	struct ot__crash *c = p->crash_owned ? p->crash : &s->crash;
	c->nframes = reports ? backtrace(c->frames, OT__BACKTRACE_MAX) : 0;
	/* The report starts at the fault, not in this handler. */
	c->first = 0;
	for (int i = 0; i < c->nframes; i++) {
		if ((uintptr_t)c->frames[i] == pc) {
			c->first = i;
			break;
		}
	}
	p->exit_reason = fault_reason(sig, si, overflow);
	p->crash = c;
	p->report = reports;
	land(uc, s, p);
}
int ot__fault_guarded(void (*fn)(void *), void *arg)
{
	struct ot__sched *s = ot__sched_self();
	if (!s || s->current || s->guard) {
		fn(arg);
		return 0;
	}
	sigjmp_buf here;
	/* s is not changed between here and the jump: it needs no
	 * volatile. The mask is not saved here but restored by the handler
	 * before it jumps (on_fault()): the fault signal is unblocked. */
	int sig = sigsetjmp(here, 0);
	if (sig == 0) {
		s->guard = &here;
		fn(arg);
	}
	s->guard = NULL;
	return sig;
}

void ot__exit_caught(struct ot__proc *p, const ot_reason *reason)
{
	if (p->catching) {
		p->catching->reason = *reason;
		longjmp(p->catching->back, 1);
	}
	if (!p->crash_fn || p->in_crash_fn)
		return;
	/* The crash handler runs first, as after a crash (gen_server runs
	 * terminate there): with the reason where a crash's would be. */
	p->exit_reason = *reason;
	p->report = !ot_reason_is_clean(reason);
	p->in_crash_fn = true;
	p->crash_fn(&p->exit_reason, p->crash_arg);
	ot__proc_exit(p, &p->exit_reason);
}

/* Runs fn(arg) under c; noinline so that what setjmp saves is this frame
 * alone. */
__attribute__((noinline)) static int run_caught(struct ot__proc *p,
						struct ot__catch *c,
						void (*fn)(void *), void *arg)
{
	c->up = p->catching;
	c->in_crash_fn = p->in_crash_fn;
	p->catching = c;
	if (_setjmp(c->back) == 0) {
		fn(arg);
		p->catching = c->up;
		return 0;
	}
	/* Back from a fault or an ot_exit() inside fn. */
	__asm__ volatile("" ::: "memory"); /* c was written meanwhile */
	p->catching = c->up;
	p->in_crash_fn = c->in_crash_fn;
	return OT_ECRASHED;
}

int ot_catch(void (*fn)(void *), void *arg, ot_reason *reason)
{
	if (!fn)
		return OT_EINVAL;
	struct ot__proc *self;
	int rc = ot__calling_process(&self);
	if (rc)
		return rc;
	struct ot__catch c;
	memset(&c, 0, sizeof c);
	rc = run_caught(self, &c, fn, arg);
	if (rc && reason)
		*reason = c.reason;
	return rc;
}

int ot__set_crash_handler(ot_crash_fn fn, void *arg)
{
	struct ot__proc *self;
	int rc = ot__calling_process(&self);
	if (rc)
		return rc;
	self->crash_fn = fn;
	self->crash_arg = fn ? arg : NULL;
	return 0;
}

int ot__faults_init(void)
{
	static bool text_found;
	if (!text_found)
		text_found = dl_iterate_phdr(
		    find_text, (void *)(uintptr_t)ot__faults_init);
	/* backtrace() loads libgcc on its first call: do it now, not in a
	 * signal handler. */
	void *warm[2];
	backtrace(warm, 2);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFAULTS; i++) {
		if (sigaction(fault_signals[i], &sa, &previous[i]) != 0) {
			int err = errno;
			while (i--)
				sigaction(fault_signals[i], &previous[i], NULL);
			return ot__sys_error(err);
		}
	}
	installed = true;
	return 0;
}

void ot__faults_fini(void)
{
	if (!installed)
		return;
	for (size_t i = 0; i < NFAULTS; i++)
		sigaction(fault_signals[i], &previous[i], NULL);
	installed = false;
}

int ot__fault_thread_init(struct ot__sched *s)
{
	s->altstack =
	    mmap(NULL, LANDING_SIZE + ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (s->altstack == MAP_FAILED) {
		s->altstack = NULL;
		return OT_ENOMEM;
	}
	stack_t ss = {.ss_sp = (char *)s->altstack + LANDING_SIZE,
		      .ss_size = ALTSTACK_SIZE};
	if (sigaltstack(&ss, &s->old_altstack) != 0) {
		int err = errno;
		munmap(s->altstack, LANDING_SIZE + ALTSTACK_SIZE);
		s->altstack = NULL;
		return ot__sys_error(err);
	}
	return 0;
}

void ot__fault_thread_fini(struct ot__sched *s)
{
	if (!s->altstack)
		return;
	/* Put back the previous one: ASan checks it at thread exit. */
	sigaltstack(&s->old_altstack, NULL);
	munmap(s->altstack, LANDING_SIZE + ALTSTACK_SIZE);
	s->altstack = NULL;
}
