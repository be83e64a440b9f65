/* SPDX-License-Identifier: MIT */
/*
 * poll.c — waiting for file descriptors without holding a scheduler.
 *
 * One epoll instance serves the runtime, and the schedulers poll it
 * themselves: there is no poller thread, so a socket that becomes readable
 * wakes the thread that runs its process, not a thread that then wakes
 * another. A scheduler with nothing to run blocks in epoll_wait() instead
 * of on its condition variable, if no other is doing so already: that one
 * is the poll's owner (one at a time, so that a kick meant for it cannot
 * go to another), and it is kicked through an eventfd. The others park as
 * before. A scheduler that is busy polls without blocking every few
 * rounds and while it spins before parking, whenever waits are registered
 * and nobody owns the poll. While one is awake, an idle one does not claim
 * the poll (the awake one's looks find an event sooner than a blocked
 * owner that the event must wake, ~28 us on a virtual machine) unless it
 * finds the awake one stuck in a process at its watch (park.c); an owner
 * that leaves with work wakes a scheduler parked for good to watch, so
 * that an idle core keeps the descriptors while the others run processes
 * that may not yield soon.
 *
 * A process that waits for a descriptor registers it (EPOLLONESHOT) under
 * an identity rather than a pointer: its table slot and a sequence number
 * that is new for each wait. It then parks with OT__WAKE_FD and gives its
 * scheduler thread to others. Whoever polls the event looks the slot up
 * (process structures are type-stable, table.c), locks what it finds
 * there, and fires the wait only if that structure still carries the same
 * number in fd_seq; the process goes to the run queue of the scheduler
 * that polled. An event for a wait that has ended — it timed out, its
 * process died, the structure went to another process — finds another
 * number, or none, and is dropped.
 *
 * Ending a wait races with the poll only under the process's lock: firing
 * clears fd_seq and sets fd_revents; a wait that ends otherwise clears
 * fd_seq. Whoever comes second sees what the first did, so nothing of a
 * finished wait is left behind (no message, no flag) and a late event
 * cannot wake a later wait. The process then takes its registration out
 * of epoll itself; if it was killed in the wait and never came back from
 * ot__park(), the scheduler does it while it reclaims the process
 * (ot__poll_abandon()), before its links and monitors learn that it is
 * gone.
 *
 * A registration whose wait fired stays in the set (EPOLLONESHOT has
 * disabled it), kept for the next wait on that descriptor number, which
 * re-arms it with one EPOLL_CTL_MOD instead of an ADD now and a DEL after:
 * a socket read in a loop costs one epoll_ctl a wait, not two. Which
 * numbers have one, and whether a wait is using it, is in `kept` (an
 * atomic state per number), so that two waiters never share one. A
 * program that closes the descriptor takes the registration out with it
 * (the kernel drops an open file's entries when its last descriptor
 * closes); a new file under the same number is not in the set, the MOD
 * says ENOENT, and it is added. If a dup() elsewhere keeps the old file
 * open, its entry stays, disabled, until that file closes: it can never
 * fire again. A wait that ends without firing (a timeout, a kill) still
 * takes its registration out, since it is armed.
 *
 * Several processes may wait on one descriptor. epoll refuses to register
 * a descriptor twice (EEXIST), so a second waiter registers a dup() of its
 * own: another entry for the same open file.
 *
 * A foreign thread has no scheduler to give back: it blocks in poll(2) on
 * its descriptor and on an eventfd that shutdown makes readable as it
 * begins, which sends every foreign waiter away (OT_ESHUTDOWN) while
 * processes go on waiting as usual. Once the runtime is ending
 * (ot__poll_stop()) no scheduler polls any more, and a process that
 * starts a wait from then on gets OT_ESHUTDOWN, after a yield where the
 * shutdown's kill reaches it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "gate.h"
#include "lock.h"
#include "poller.h"
#include "process.h"
#include "runtime.h"
#include "scheduler.h"
#include "timer.h"

/* epoll_data of a wait: the table slot (pid & 0xffffffff, at most
 * OT_MAX_PROCESSES, 27 bits) over a 37-bit wait number that is never 0.
 * 0 itself is the kick eventfd, which no slot can be. */
#define SEQ_BITS 37
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)
#define KICK_TAG UINT64_C(0)
_Static_assert(OT_MAX_PROCESSES < (UINT64_C(1) << (64 - SEQ_BITS)),
	       "a slot fits above the wait number");

/* The registrations kept between waits, by descriptor number (see the
 * file comment); past KEPT_MAX numbers, none is kept. */
#define KEPT_MAX 65536
enum { KEPT_NONE, KEPT_IDLE, KEPT_BUSY };
static _Atomic unsigned char kept[KEPT_MAX];

/* What a process's fd_reg is (process.h). */
enum { REG_OWN, REG_DUP, REG_KEPT };

/* Events handled per epoll_wait(). */
#define EVENTS_MAX 128

/* The bits of poll(2) and epoll are the same on Linux: one translation. */
_Static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT &&
		   EPOLLPRI == POLLPRI && EPOLLERR == POLLERR &&
		   EPOLLHUP == POLLHUP && EPOLLRDHUP == POLLRDHUP,
	       "poll and epoll agree");

static struct {
	int epfd;    /* the epoll instance; -1 when the runtime is stopped */
	int kick_fd; /* eventfd that wakes the owner from epoll_wait() */
	/* eventfd that foreign waiters poll, made readable once, by
	 * ot__poll_release_foreign(). */
	int foreign_fd;
	/* The scheduler blocked in epoll_wait(), if any (ot__poll_claim). */
	_Atomic(struct ot__sched *) owner;
	/* Set while a scheduler polls without blocking: one at a time. */
	atomic_bool peeking;
	/* The runtime is ending: nobody polls any more. */
	atomic_bool stopped;
	/* Registrations in the epoll set: whether anyone need poll, and the
	 * check at shutdown. */
	_Atomic size_t armed;
} poller = {.epfd = -1, .kick_fd = -1, .foreign_fd = -1};

/* errno, read and set afresh. glibc declares __errno_location() const,
 * so the compiler may compute errno's address once in a function and
 * still use it after a call that moved the process to another thread;
 * these are never inlined, so they compute it on the thread they run on. */
int ot_errno(void)
{
	return ot__errno();
}

__attribute__((noinline)) int ot__errno(void)
{
	return errno;
}

__attribute__((noinline)) int ot__sys_error(int e)
{
	errno = e; /* for ot_errno(), deprecated */
	if (e <= 0 || e > OT_ESYS_ERRNO_MAX)
		return OT_ESYS;
	return OT_ESYS_ERRNO(e);
}

/* Wait numbers; only their uniqueness matters (relaxed). */
static _Atomic uint64_t wait_seq = 1;

static uint64_t next_seq(void)
{
	uint64_t s;
	do
		s = atomic_fetch_add_explicit(&wait_seq, 1,
					      memory_order_relaxed) &
		    SEQ_MASK;
	while (s == 0);
	return s;
}

/* OT_FD_* as poll(2)/epoll event bits. */
static short poll_bits(unsigned events)
{
	short b = 0;
	if (events & OT_FD_READ)
		b |= POLLIN | POLLRDHUP;
	if (events & OT_FD_WRITE)
		b |= POLLOUT;
	return b;
}

/* What poll(2) or epoll reported, as OT_FD_* of a wait for events. An
 * error or a hang-up makes every awaited direction "ready": a read or a
 * write would not block, it would report the condition. */
static unsigned ready_of(uint32_t rev, unsigned events)
{
	unsigned r = 0;
	if (rev & (POLLIN | POLLPRI | POLLRDHUP))
		r |= OT_FD_READ;
	if (rev & POLLOUT)
		r |= OT_FD_WRITE;
	if (rev & (POLLERR | POLLHUP))
		r |= OT_FD_ERROR | OT_FD_READ | OT_FD_WRITE;
	return r & (events | OT_FD_ERROR);
}

/* ---------------------------------------------------------------------
 * Polling, by the schedulers
 */

/* An event for the wait `tag`, polled by s: fire it if it is still the
 * one waiting. True when it woke a process (now on s's run queue). */
static bool fire(struct ot__sched *s, uint64_t tag, uint32_t events)
{
	struct ot__proc *p = ot__table_slot((uint32_t)(tag >> SEQ_BITS));
	if (!p)
		return false; /* the process has gone, its slot is empty */
	bool wake = false;
	ot__spin_lock(&p->lock);
	if (p->fd_seq == (tag & SEQ_MASK)) {
		p->fd_seq = 0;
		p->fd_revents = events ? events : POLLERR;
		wake = ot__wake_locked(p, OT__WAKE_FD);
	}
	ot__spin_unlock(&p->lock);
	if (wake)
		ot__ready_polled(s, p);
	return wake;
}

/* Fires what epoll_wait() gave; true when it woke a process. The kick
 * is drained only by the owner: a peek that took it would leave the
 * owner asleep. */
static bool fire_all(struct ot__sched *s, const struct epoll_event *evs, int n,
		     bool owner)
{
	bool woke = false;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.u64 != KICK_TAG) {
			woke |= fire(s, evs[i].data.u64, evs[i].events);
		} else if (owner) {
			uint64_t v;
			while (read(poller.kick_fd, &v, sizeof v) < 0 &&
			       errno == EINTR)
				;
		}
	}
	return woke;
}

bool ot__poll_claim(struct ot__sched *s)
{
	if (atomic_load_explicit(&poller.stopped, memory_order_relaxed))
		return false;
	struct ot__sched *none = NULL;
	return atomic_compare_exchange_strong(&poller.owner, &none, s);
}

void ot__poll_release(struct ot__sched *s)
{
	OT__DEBUG_ASSERT(atomic_load(&poller.owner) == s);
	(void)s;
	atomic_store(&poller.owner, NULL);
}

bool ot__poll_armed(void)
{
	return atomic_load_explicit(&poller.armed, memory_order_relaxed) != 0;
}

bool ot__poll_wanted(void)
{
	return atomic_load_explicit(&poller.armed, memory_order_relaxed) != 0 &&
	       !atomic_load_explicit(&poller.stopped, memory_order_relaxed) &&
	       atomic_load_explicit(&poller.owner, memory_order_relaxed) ==
		   NULL;
}

/* epoll_wait() until `deadline` (OT__NO_DEADLINE: none), to the
 * nanosecond where the system can. */
static int wait_until(struct epoll_event *evs, int64_t deadline)
{
	if (deadline == OT__NO_DEADLINE)
		return epoll_wait(poller.epfd, evs, EVENTS_MAX, -1);
	int64_t left = deadline - ot__now_ns();
	if (left < 0)
		left = 0;
#ifdef HAVE_EPOLL_PWAIT2
	static atomic_bool no_pwait2;
	if (!atomic_load_explicit(&no_pwait2, memory_order_relaxed)) {
		struct timespec ts = {.tv_sec = left / 1000000000,
				      .tv_nsec = left % 1000000000};
		int n = epoll_pwait2(poller.epfd, evs, EVENTS_MAX, &ts, NULL);
		if (n >= 0 || errno != ENOSYS)
			return n;
		atomic_store_explicit(&no_pwait2, true, memory_order_relaxed);
	}
#endif
	/* Milliseconds, rounded up: a timer is never early. */
	int64_t ms = (left + OT__NS_PER_MS - 1) / OT__NS_PER_MS;
	return epoll_wait(poller.epfd, evs, EVENTS_MAX,
			  ms > INT32_MAX ? INT32_MAX : (int)ms);
}

bool ot__poll_wait(struct ot__sched *s, int64_t deadline)
{
	OT__DEBUG_ASSERT(atomic_load(&poller.owner) == s);
	struct epoll_event evs[EVENTS_MAX];
	int n = wait_until(evs, deadline);
	if (n < 0) {
		OT__ASSERT(errno == EINTR);
		return false;
	}
	return fire_all(s, evs, n, true);
}

bool ot__poll_peek(struct ot__sched *s)
{
	if (!ot__poll_wanted() ||
	    atomic_exchange_explicit(&poller.peeking, true,
				     memory_order_acquire))
		return false;
	struct epoll_event evs[EVENTS_MAX];
	int n = epoll_wait(poller.epfd, evs, EVENTS_MAX, 0);
	bool woke = n > 0 && fire_all(s, evs, n, false);
	atomic_store_explicit(&poller.peeking, false, memory_order_release);
	return woke;
}

void ot__poll_kick(void)
{
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(poller.kick_fd, &one, sizeof one);
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is already far from 0, readable: enough. */
}

int ot__poll_init(void)
{
	int err;
	poller.epfd = epoll_create1(EPOLL_CLOEXEC);
	poller.kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	poller.foreign_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	err = errno;
	if (poller.epfd < 0 || poller.kick_fd < 0 || poller.foreign_fd < 0)
		goto fail;
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = KICK_TAG};
	if (epoll_ctl(poller.epfd, EPOLL_CTL_ADD, poller.kick_fd, &ev) != 0) {
		err = errno;
		goto fail;
	}
	atomic_store(&poller.owner, NULL);
	atomic_store(&poller.peeking, false);
	atomic_store(&poller.stopped, false);
	/* A new set: nothing of the last runtime's is kept in it. */
	for (size_t i = 0; i < KEPT_MAX; i++)
		atomic_store_explicit(&kept[i], KEPT_NONE,
				      memory_order_relaxed);
	return 0;
fail:
	if (poller.epfd >= 0)
		close(poller.epfd);
	if (poller.kick_fd >= 0)
		close(poller.kick_fd);
	if (poller.foreign_fd >= 0)
		close(poller.foreign_fd);
	poller.epfd = poller.kick_fd = poller.foreign_fd = -1;
	return ot__sys_error(err);
}

/* Makes the eventfd fd readable for good. */
static void make_readable(int fd)
{
	uint64_t one = 1;
	ssize_t n;
	do
		n = write(fd, &one, sizeof one);
	while (n < 0 && errno == EINTR);
	/* EAGAIN: the counter is already far from 0, which is what counts. */
}

void ot__poll_release_foreign(void)
{
	make_readable(poller.foreign_fd);
}

void ot__poll_stop(void)
{
	atomic_store(&poller.stopped, true);
	/* The owner, if one is in epoll_wait(), leaves it and parks. */
	ot__poll_kick();
}

void ot__poll_fini(void)
{
	/* The schedulers have stopped: nobody polls. Every process has
	 * ended, and each took its registration out; no foreign thread is
	 * inside a wait (the gate is drained). */
	OT__ASSERT(atomic_load_explicit(&poller.armed, memory_order_relaxed) ==
		   0);
	close(poller.epfd);
	close(poller.kick_fd);
	close(poller.foreign_fd);
	poller.epfd = poller.kick_fd = poller.foreign_fd = -1;
}

/* ---------------------------------------------------------------------
 * A process's wait
 */

/* Registers fd for p's wait through its kept registration: re-armed if
 * one is idle, made (and kept) if there is none. 0; EBUSY when another
 * wait uses it, or when fd is in the set some other way; else the errno
 * of the refusal. */
static int arm_kept(struct ot__proc *p, int fd, struct epoll_event *ev)
{
	if (fd >= KEPT_MAX)
		return EBUSY;
	unsigned char was = KEPT_IDLE;
	if (!atomic_compare_exchange_strong(&kept[fd], &was, KEPT_BUSY) &&
	    (was != KEPT_NONE ||
	     !atomic_compare_exchange_strong(&kept[fd], &was, KEPT_BUSY)))
		return EBUSY; /* another process waits on fd now */
	int e = 0;
	if (was == KEPT_IDLE &&
	    epoll_ctl(poller.epfd, EPOLL_CTL_MOD, fd, ev) == 0)
		goto kept_now;
	/* None, or the file it was for is closed (ENOENT): a new one. */
	if (was == KEPT_NONE || (e = ot__errno()) == ENOENT) {
		if (epoll_ctl(poller.epfd, EPOLL_CTL_ADD, fd, ev) == 0)
			goto kept_now;
		e = ot__errno();
	}
	atomic_store(&kept[fd], KEPT_NONE);
	return e == EEXIST ? EBUSY : e;
kept_now:
	p->fd_reg = fd;
	p->fd_reg_is = REG_KEPT;
	return 0;
}

/* Registers fd for p's wait: its kept registration; a dup of it when
 * another wait uses that (a dup is another entry for the same open file);
 * past KEPT_MAX, fd itself for this wait alone, or a dup if it is in the
 * set already. 0, or the errno of the refusal. */
static int arm(struct ot__proc *p, int fd, unsigned events, uint64_t tag)
{
	struct epoll_event ev = {.events =
				     EPOLLONESHOT | (uint32_t)poll_bits(events),
				 .data.u64 = tag};
	int reg = fd;
	bool dup = false;
	int e = arm_kept(p, fd, &ev);
	if (e != 0 && e != EBUSY)
		return e;
	if (e == EBUSY) {
		if (fd < KEPT_MAX ||
		    epoll_ctl(poller.epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			if (fd >= KEPT_MAX && (e = ot__errno()) != EEXIST)
				return e;
			if ((reg = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
				return ot__errno();
			if (epoll_ctl(poller.epfd, EPOLL_CTL_ADD, reg, &ev) !=
			    0) {
				e = ot__errno();
				close(reg);
				return e;
			}
			dup = true;
		}
		p->fd_reg = reg;
		p->fd_reg_is = dup ? REG_DUP : REG_OWN;
	}
	p->fd_armed = true;
	atomic_fetch_add_explicit(&poller.armed, 1, memory_order_relaxed);
	return 0;
}

/* Ends p's registration: a kept one whose wait fired (epoll disabled it)
 * stays for the next wait; any other is taken out of epoll. */
static void disarm(struct ot__proc *p, bool fired_by_epoll)
{
	bool kept_reg = p->fd_reg_is == REG_KEPT;
	if (!kept_reg || !fired_by_epoll)
		/* Fails only if the caller closed fd meanwhile, which took
		 * it out. */
		epoll_ctl(poller.epfd, EPOLL_CTL_DEL, p->fd_reg, NULL);
	if (kept_reg)
		atomic_store(&kept[p->fd_reg],
			     fired_by_epoll ? KEPT_IDLE : KEPT_NONE);
	if (p->fd_reg_is == REG_DUP)
		close(p->fd_reg);
	p->fd_armed = false;
	atomic_fetch_sub_explicit(&poller.armed, 1, memory_order_relaxed);
}

/*
 * p's side of the wait state. These take p's lock and are never inlined:
 * the lock count is thread-local (lock.h), and a function that parks in
 * between may go on using the count's address it computed before, on the
 * thread it ran on then.
 */

/* The wait seq begins: the poller may fire it from now on. */
static __attribute__((noinline)) void begin_wait(struct ot__proc *p,
						 uint64_t seq)
{
	ot__spin_lock(&p->lock);
	p->fd_seq = seq;
	p->fd_revents = 0;
	ot__spin_unlock(&p->lock);
}

/* The events the poller fired p's wait with, 0 if it has not. */
static __attribute__((noinline)) uint32_t fired(struct ot__proc *p)
{
	ot__spin_lock(&p->lock);
	uint32_t rev = p->fd_revents;
	ot__spin_unlock(&p->lock);
	return rev;
}

/* Ends p's wait as the poller sees it: an event from now on is dropped.
 * Returns the events if the poller fired it first, else 0. */
static __attribute__((noinline)) uint32_t end_wait(struct ot__proc *p)
{
	ot__spin_lock(&p->lock);
	p->fd_seq = 0;
	uint32_t rev = p->fd_revents;
	ot__spin_unlock(&p->lock);
	return rev;
}

void ot__poll_abandon(struct ot__proc *p)
{
	disarm(p, end_wait(p) != 0);
}

/* The wait of process p. OT_ESYS comes with *err. */
static int proc_wait(struct ot__proc *p, int fd, unsigned events,
		     int timeout_ms, unsigned *ready, int *err)
{
	uint64_t seq = next_seq();
	uint64_t tag = ((ot__pid_of(p).id & 0xffffffffu) << SEQ_BITS) | seq;
	/* Before it is registered: the event may come at once. */
	begin_wait(p, seq);
	if ((*err = arm(p, fd, events, tag)) != 0) {
		end_wait(p);
		return OT_ESYS;
	}
	int rc;
	uint32_t rev = 0, by_epoll = 0; /* by_epoll: what the poller fired */
	if (timeout_ms == 0) {
		/* The poller fires asynchronously: ask the descriptor now.
		 * (Registering first gives the same errors as a real wait.) */
		struct pollfd pf = {.fd = fd, .events = poll_bits(events)};
		int n;
		while ((n = poll(&pf, 1, 0)) < 0 &&
		       (*err = ot__errno()) == EINTR)
			;
		rc = n < 0 ? OT_ESYS : 0;
		rev = by_epoll = end_wait(p);
		if (n > 0)
			rev |= (uint32_t)pf.revents;
	} else {
		int64_t deadline = ot__deadline_after(timeout_ms);
		for (;;) {
			/* Never returns if the process is killed meanwhile. */
			rc = ot__park(p, OT__WAKE_FD, deadline);
			if ((rev = by_epoll = fired(p)) != 0)
				break; /* the poller cleared fd_seq */
			if (rc) {
				/* it may have fired since */
				rev = by_epoll = end_wait(p);
				break;
			}
			/* Woken by an exit signal it traps (now an EXIT
			 * message): the wait goes on. */
		}
	}
	disarm(p, by_epoll != 0);
	unsigned got = ready_of(rev, events);
	if (rc == 0 && !got)
		rc = OT_ETIMEDOUT; /* timeout 0, not ready */
	else if (got)
		rc = 0; /* ready as the deadline came: ready wins */
	if (ready)
		*ready = rc == 0 ? got : 0;
	return rc;
}

/* ---------------------------------------------------------------------
 * A foreign thread's wait: poll(2) on fd and the shutdown eventfd
 */
static int foreign_wait(int fd, unsigned events, int timeout_ms,
			unsigned *ready)
{
	/* Inside the gate: foreign_fd stays open until the thread is out. A
	 * shutdown that began before makes it readable at once. */
	int rc = 0;
	struct pollfd pf[2] = {{.fd = fd, .events = poll_bits(events)},
			       {.fd = poller.foreign_fd, .events = POLLIN}};
	int64_t deadline = ot__deadline_after(timeout_ms);
	unsigned got = 0;
	int err = 0;
	for (;;) {
		int ms = ot__deadline_ms_left(deadline);
		int n = poll(pf, 2, ms);
		if (n < 0) {
			if ((err = ot__errno()) == EINTR)
				continue;
			rc = OT_ESYS;
			break;
		}
		if (pf[0].revents & POLLNVAL) {
			err = EBADF;
			rc = OT_ESYS;
			break;
		}
		if ((got = ready_of((uint32_t)pf[0].revents, events)) != 0) {
			rc = 0;
			break;
		}
		if (pf[1].revents) {
			rc = OT_ESHUTDOWN;
			break;
		}
		if (ms == 0) {
			rc = OT_ETIMEDOUT;
			break;
		}
	}
	if (ready)
		*ready = got;
	return rc == OT_ESYS ? ot__sys_error(err) : rc;
}

int ot__fd_wait(int fd, unsigned events, int timeout_ms, unsigned *ready)
{
	if (ready)
		*ready = 0;
	if (fd < 0 || events == 0 || (events & ~(OT_FD_READ | OT_FD_WRITE)) ||
	    timeout_ms < OT_INFINITY)
		return OT_EINVAL;
	int rc = ot__running_check();
	if (rc == OT_ENOTSTARTED)
		return rc;
	struct ot__sched *s = ot__sched_self();
	struct ot__proc *p = s ? s->current : NULL;
	if (!p)
		return foreign_wait(fd, events, timeout_ms, ready);
	if (rc) {
		/* Stopping (the poller has gone): a wait point all the same,
		 * where a kill from the shutdown takes effect. */
		ot_yield();
		return rc;
	}
	int err = 0;
	rc = proc_wait(p, fd, events, timeout_ms, ready, &err);
	/* errno of the thread the process is on now. */
	return rc == OT_ESYS ? ot__sys_error(err) : rc;
}
