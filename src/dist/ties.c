/* SPDX-License-Identifier: MIT */
/*
 * ties.c — links and monitors between otter processes and processes of
 * other nodes, and node monitors.
 *
 * The runtime keeps a remote pid in the link and monitor sets of the
 * local process (otter/remote.h) and calls the functions here for what
 * must cross: they send Erlang's control messages (LINK, UNLINK, EXIT,
 * EXIT2, MONITOR_P, DEMONITOR_P, MONITOR_P_EXIT) and remember each tie
 * with the Erlang pids and reference on both sides, so that
 *  - what comes back (ot__dist_ties_control(), from a connection's
 *    reader) finds its local process and its otter reference, and
 *  - when the last connection to a node goes, every tie across it fires
 *    as Erlang fires it: an EXIT noconnection for each link, a DOWN
 *    noconnection for each monitor, then nodedown for each node monitor
 *    (node_watch.c).
 *
 * The tables are plain arrays under one lock, searched linearly: ties
 * across nodes are few next to messages. Nothing here waits for a
 * process while the lock is held; what is sent is sent after it.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "node.h"
#include "term_check.h"
#include "vec.h"

/* A link between a local process and a remote one. unlinking: 0 while
 * it is up; the Id of the UNLINK_ID that local sent (OTP 23's protocol)
 * until its UNLINK_ID_ACK comes: the local side is unlinked already, and
 * what the other node sends of that link meanwhile (a LINK that crossed
 * the unlink, its EXIT) is ignored, as Erlang ignores it. */
struct tlink {
	ot_pid local, remote;
	erlang_pid le, re;
	uint64_t unlinking;
};

#define ERL_UNLINK_ID	  35
#define ERL_UNLINK_ID_ACK 36

/* A monitor across nodes: out, a local watcher on a remote target; in, a
 * remote watcher on a local target. ref is the runtime's, eref Erlang's. */
struct tmon {
	ot_ref ref;
	ot_pid local, remote;
	erlang_pid le, re;
	erlang_ref eref;
	/* A monitor of {name, re.node} (out only). A call's (ref 0): its
	 * DOWN goes to local as the term {'DOWN', ERef, Reason}; firing
	 * while that term is being sent (the entry stays, so that the call's
	 * demonitor waits for it and flushes it). ot_monitor_name()'s (ref
	 * the runtime's): an ordinary DOWN naming "name@node". */
	bool by_name, firing;
	char name[MAXATOMLEN_UTF8];
};

static struct {
	pthread_mutex_t lock;
	struct vec links, out, in;
} t = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .links = {.elem = sizeof(struct tlink)},
    .out = {.elem = sizeof(struct tmon)},
    .in = {.elem = sizeof(struct tmon)},
};

static bool eref_eq(const erlang_ref *a, const erlang_ref *b)
{
	return a->len == b->len && a->creation == b->creation &&
	       strcmp(a->node, b->node) == 0 &&
	       memcmp(a->n, b->n, sizeof(a->n[0]) * (size_t)a->len) == 0;
}

/* Under t.lock: the index of the link local-remote, or -1. */
static ssize_t find_link(ot_pid local, ot_pid remote)
{
	for (size_t i = 0; i < t.links.n; i++) {
		struct tlink *l = AT(&t.links, struct tlink, i);
		if (ot_pid_equal(l->local, local) &&
		    ot_pid_equal(l->remote, remote))
			return (ssize_t)i;
	}
	return -1;
}

/* Takes the link local-remote out of the table, into *out (may be
 * NULL); false when it was not there or was being unlinked (it goes
 * then too: what would have acknowledged it will not come). */
static bool take_link(ot_pid local, ot_pid remote, struct tlink *out)
{
	pthread_mutex_lock(&t.lock);
	ssize_t i = find_link(local, remote);
	bool up = i >= 0 && !AT(&t.links, struct tlink, i)->unlinking;
	if (i >= 0)
		ot__vec_take(&t.links, (size_t)i, out);
	pthread_mutex_unlock(&t.lock);
	return up;
}

/* Under t.lock: the link local-remote is being unlinked (UNLINK_ID). */
static bool unlinking(ot_pid local, ot_pid remote)
{
	ssize_t i = find_link(local, remote);
	return i >= 0 && AT(&t.links, struct tlink, i)->unlinking;
}

/* Under t.lock: the monitor of v with the runtime's ref, or -1. */
static ssize_t find_ref(struct vec *v, ot_ref ref)
{
	for (size_t i = 0; i < v->n; i++)
		if (AT(v, struct tmon, i)->ref.id == ref.id)
			return (ssize_t)i;
	return -1;
}

/* Under t.lock: the monitor of v with Erlang's eref, or -1. */
static ssize_t find_eref(struct vec *v, const erlang_ref *eref)
{
	for (size_t i = 0; i < v->n; i++)
		if (eref_eq(&AT(v, struct tmon, i)->eref, eref))
			return (ssize_t)i;
	return -1;
}

/* ---- Control messages ------------------------------------------------ */

/* {op, From, To[, Ref][, Reason]} to node. */
static int control(long op, const erlang_pid *from, const erlang_pid *to,
		   const erlang_ref *ref, const ot_reason *reason,
		   const char *node, bool connect)
{
	ei_x_buff x;
	if (ei_x_new_with_version(&x))
		return OT_ENOMEM;
	int arity = 3 + (ref != NULL) + (reason != NULL), rc = OT_ENOMEM;
	ot_term_buf b = {.x = {0}};
	if (reason && (ot_term_buf_init(&b) || ot_term_reason(&b, reason)))
		goto out;
	if (ei_x_encode_tuple_header(&x, arity) || ei_x_encode_long(&x, op) ||
	    ei_x_encode_pid(&x, from) || ei_x_encode_pid(&x, to) ||
	    (ref && ei_x_encode_ref(&x, ref)) ||
	    (reason && ei_x_append_buf(&x, b.x.buff + 1, b.x.index - 1)))
		goto out;
	rc = ot__dist_send_control(node, &x, connect);
out:
	ot_term_buf_free(&b);
	ei_x_free(&x);
	return rc;
}

/* {op, From, Name, Ref} to node: a monitor by name and its end. */
static int control_name(long op, const erlang_pid *from, const char *name,
			const erlang_ref *ref, const char *node, bool connect)
{
	ei_x_buff x;
	if (ei_x_new_with_version(&x))
		return OT_ENOMEM;
	int rc = OT_ENOMEM;
	if (!ei_x_encode_tuple_header(&x, 4) && !ei_x_encode_long(&x, op) &&
	    !ei_x_encode_pid(&x, from) && !ei_x_encode_atom(&x, name) &&
	    !ei_x_encode_ref(&x, ref))
		rc = ot__dist_send_control(node, &x, connect);
	ei_x_free(&x);
	return rc;
}

/* ---- The runtime's side (otter/remote.h) ----------------------------- */

static int op_exit(ot_pid from, ot_pid to, const ot_reason *reason, bool link)
{
	erlang_pid le, re;
	if (link) {
		/* from has ended: its link is known here, or long gone (the
		 * connection dropped and fired it). */
		struct tlink l;
		if (!take_link(from, to, &l))
			return 0;
		return control(ERL_EXIT, &l.le, &l.re, NULL, reason, l.re.node,
			       false);
	}
	int rc = ot__dist_rpid_get(to, &re);
	if (!rc)
		rc = ot_dist_pid(from, &le);
	if (rc)
		return rc == OT_ENOPROC ? OT_ENOMEM : rc;
	return control(ERL_EXIT2, &le, &re, NULL, reason, re.node, true);
}

static int op_link(ot_pid from, ot_pid to)
{
	struct tlink l = {.local = from, .remote = to};
	int rc = ot__dist_rpid_get(to, &l.re);
	if (!rc)
		rc = ot_dist_pid(from, &l.le);
	if (rc)
		return rc == OT_ENOPROC ? OT_ENOMEM : rc;
	pthread_mutex_lock(&t.lock);
	ssize_t at = find_link(from, to);
	if (at < 0)
		rc = ot__vec_push(&t.links, &l);
	else /* linked again while unlinking: up from here */
		AT(&t.links, struct tlink, at)->unlinking = 0;
	pthread_mutex_unlock(&t.lock);
	if (!rc)
		rc = control(ERL_LINK, &l.le, &l.re, NULL, NULL, l.re.node,
			     true);
	if (rc)
		take_link(from, to, NULL);
	return rc;
}

/* {UNLINK_ID, Id, From, To} to node. */
static int control_unlink_id(uint64_t id, const erlang_pid *from,
			     const erlang_pid *to)
{
	ei_x_buff x;
	if (ei_x_new_with_version(&x))
		return OT_ENOMEM;
	int rc = OT_ENOMEM;
	if (!ei_x_encode_tuple_header(&x, 4) &&
	    !ei_x_encode_long(&x, ERL_UNLINK_ID) &&
	    !ei_x_encode_ulonglong(&x, id) && !ei_x_encode_pid(&x, from) &&
	    !ei_x_encode_pid(&x, to))
		rc = ot__dist_send_control(to->node, &x, false);
	ei_x_free(&x);
	return rc;
}

/* ot_unlink(): UNLINK_ID when the other node takes it (the entry stays,
 * unlinking, until its acknowledgement), else the old UNLINK. */
static int op_unlink(ot_pid from, ot_pid to)
{
	static _Atomic uint64_t ids;
	erlang_pid re;
	if (ot__dist_rpid_get(to, &re))
		return 0;
	bool by_id = ot__dist_conn_unlink_id(re.node);
	uint64_t id = by_id ? atomic_fetch_add(&ids, 1) + 1 : 0;
	struct tlink l;
	pthread_mutex_lock(&t.lock);
	ssize_t i = find_link(from, to);
	struct tlink *e = i >= 0 ? AT(&t.links, struct tlink, i) : NULL;
	if (e && e->unlinking)
		e = NULL; /* unlinking already */
	if (e)
		l = *e;
	if (e && by_id)
		e->unlinking = id;
	else if (e)
		ot__vec_take(&t.links, (size_t)i, NULL);
	pthread_mutex_unlock(&t.lock);
	if (!e)
		return 0;
	/* Without the connection, its end forgets the entry. */
	return by_id ? control_unlink_id(id, &l.le, &l.re)
		     : control(ERL_UNLINK, &l.le, &l.re, NULL, NULL, l.re.node,
			       false);
}

static int op_monitor(ot_pid watcher, ot_pid to, ot_ref ref)
{
	struct tmon m = {.ref = ref, .local = watcher, .remote = to};
	int rc = ot__dist_rpid_get(to, &m.re);
	if (!rc)
		rc = ot_dist_pid(watcher, &m.le);
	if (!rc)
		rc = ot__dist_make_ref(&m.eref);
	if (rc)
		return rc == OT_ENOPROC ? OT_ENOMEM : rc;
	pthread_mutex_lock(&t.lock);
	rc = ot__vec_push(&t.out, &m);
	pthread_mutex_unlock(&t.lock);
	if (!rc)
		rc = control(ERL_MONITOR_P, &m.le, &m.re, &m.eref, NULL,
			     m.re.node, true);
	if (rc) {
		pthread_mutex_lock(&t.lock);
		ssize_t i = find_ref(&t.out, ref);
		if (i >= 0)
			ot__vec_take(&t.out, (size_t)i, NULL);
		pthread_mutex_unlock(&t.lock);
	}
	return rc;
}

static bool op_demonitor(ot_pid watcher, ot_pid to, ot_ref ref)
{
	(void)to;
	struct tmon m;
	pthread_mutex_lock(&t.lock);
	ssize_t i = find_ref(&t.out, ref);
	if (i >= 0 && ot_pid_equal(AT(&t.out, struct tmon, i)->local, watcher))
		ot__vec_take(&t.out, (size_t)i, &m);
	else
		i = -1;
	pthread_mutex_unlock(&t.lock);
	if (i < 0)
		return false; /* its DOWN is on its way, or delivered */
	if (m.by_name)
		control_name(ERL_DEMONITOR_P, &m.le, m.name, &m.eref, m.re.node,
			     false);
	else
		control(ERL_DEMONITOR_P, &m.le, &m.re, &m.eref, NULL, m.re.node,
			false);
	return true;
}

/* watcher monitors {name, node}: ref the runtime's (ot_monitor_name()),
 * or 0 for a call's (ot__dist_call_monitor()); *eref (may be NULL) gets
 * Erlang's reference. */
static int monitor_by_name(ot_pid watcher, ot_ref ref, const char *name,
			   const char *node, erlang_ref *eref)
{
	struct tmon m = {.ref = ref, .local = watcher, .by_name = true};
	if (strlen(name) >= sizeof(m.name) ||
	    strlen(node) >= sizeof(m.re.node) || !strchr(node, '@'))
		return OT_EINVAL;
	int rc = ot_dist_pid(watcher, &m.le);
	if (!rc)
		rc = ot__dist_make_ref(&m.eref);
	if (rc)
		return rc == OT_ENOPROC ? OT_ENOMEM : rc;
	snprintf(m.name, sizeof(m.name), "%s", name);
	snprintf(m.re.node, sizeof(m.re.node), "%s", node);
	pthread_mutex_lock(&t.lock);
	rc = ot__vec_push(&t.out, &m);
	pthread_mutex_unlock(&t.lock);
	if (!rc)
		rc = control_name(ERL_MONITOR_P, &m.le, name, &m.eref, node,
				  true);
	if (rc) {
		pthread_mutex_lock(&t.lock);
		ssize_t at = find_eref(&t.out, &m.eref);
		if (at >= 0)
			ot__vec_take(&t.out, (size_t)at, NULL);
		pthread_mutex_unlock(&t.lock);
		return rc;
	}
	if (eref)
		*eref = m.eref;
	return 0;
}

/* ot_monitor_name("name@node"): monitor(process, {Name, Node}). */
static int op_monitor_name(ot_pid watcher, const char *name, const char *node,
			   ot_ref ref)
{
	return ot__dist_this_node(node)
		   ? 1
		   : monitor_by_name(watcher, ref, name, node, NULL);
}

/* The DOWN of an ot_monitor_name() monitor of {m->name, node}. */
static void name_down(const struct tmon *m, const ot_reason *reason)
{
	/* At most OT_NAME_MAX: ot_monitor_name() took it so. */
	char full[sizeof(m->name) + sizeof(m->re.node) + 1];
	snprintf(full, sizeof(full), "%s@%s", m->name, m->re.node);
	ot_remote_down_name(m->local, m->ref, full, reason);
}

static void op_down(ot_pid target, ot_pid watcher, ot_ref ref,
		    const ot_reason *reason)
{
	(void)target;
	(void)watcher;
	struct tmon m;
	pthread_mutex_lock(&t.lock);
	ssize_t i = find_ref(&t.in, ref);
	if (i >= 0)
		ot__vec_take(&t.in, (size_t)i, &m);
	pthread_mutex_unlock(&t.lock);
	if (i >= 0)
		control(ERL_MONITOR_P_EXIT, &m.le, &m.re, &m.eref, reason,
			m.re.node, false);
}

static const ot_remote_ops ops = {
    .send = ot__dist_op_send,
    .exit = op_exit,
    .link = op_link,
    .unlink = op_unlink,
    .monitor = op_monitor,
    .demonitor = op_demonitor,
    .down = op_down,
    .format = ot__dist_rpid_format,
    .monitor_name = op_monitor_name,
    .send_name = ot__dist_op_send_name,
    .timer_relay = ot__dist_op_timer_relay,
};

void ot__dist_ties_install(bool on)
{
	ot_set_remote_ops(on ? &ops : NULL);
}

/* ---- What other nodes send ------------------------------------------- */

/* The n terms (no version byte, no tuple around them) that make all of
 * buf: each proven whole first, as ei's decoders trust lengths. */
static bool whole_terms(const char *buf, size_t size, int n)
{
	size_t at = 0, len;
	for (int k = 0; k < n; k++) {
		if (at >= size || ot__term_check(buf + at, size - at, &len))
			return false;
		at += len;
	}
	return at == size;
}

/* The reason term at buf + *i, to its end (size), into *r (pointing
 * into buf). */
static int reason_at(const char *buf, int i, size_t size, ot_reason *r)
{
	ot_term_cursor c;
	if (ot_term_open(&c, buf + i, size - (size_t)i))
		return OT_EBADTERM;
	return ot_term_get_reason(&c, r);
}

static const ot_reason noproc_reason = {.kind = OT_REASON_NOPROC};

/* The DOWN of a call's monitor by name: {'DOWN', ERef, Reason} (reason:
 * n bytes of a term, no version byte) to the caller, then the entry goes
 * (the call's demonitor waits for that). */
static void call_down(const struct tmon *m, const char *reason, size_t n)
{
	ot_term_buf b;
	const void *d;
	size_t size;
	if (!ot_term_buf_init(&b) && !ot_term_tuple(&b, 3) &&
	    !ot_term_atom(&b, "DOWN") && !ot_term_ref(&b, &m->eref) &&
	    !ot_term_raw(&b, reason, n) && !ot_term_buf_get(&b, &d, &size))
		ot_send(m->local, OT_DIST_TAG, d, size);
	ot_term_buf_free(&b);
	pthread_mutex_lock(&t.lock);
	ssize_t at = find_eref(&t.out, &m->eref);
	if (at >= 0)
		ot__vec_take(&t.out, (size_t)at, NULL);
	pthread_mutex_unlock(&t.lock);
}

int ot__dist_call_monitor(const char *node, const char *name, erlang_ref *eref)
{
	return monitor_by_name(ot_self(), (ot_ref){0}, name, node, eref);
}

void ot__dist_call_demonitor(const erlang_ref *eref)
{
	for (;;) {
		struct tmon m;
		pthread_mutex_lock(&t.lock);
		ssize_t at = find_eref(&t.out, eref);
		bool firing = at >= 0 && AT(&t.out, struct tmon, at)->firing;
		if (at >= 0 && !firing)
			ot__vec_take(&t.out, (size_t)at, &m);
		pthread_mutex_unlock(&t.lock);
		if (at < 0)
			return; /* its DOWN, if any, is in the mailbox */
		if (!firing) {
			control_name(ERL_DEMONITOR_P, &m.le, m.name, &m.eref,
				     m.re.node, false);
			return;
		}
		ot_sleep(1); /* its DOWN is being sent: wait for it */
	}
}

static void got_link(const erlang_msg *msg)
{
	ot_pid local, remote;
	int rc = ot_dist_local_pid(&msg->to, &local);
	if (!rc)
		rc = ot__dist_rpid_of(&msg->from, &remote);
	if (!rc) {
		/* OTP 23's rule: a LINK received while an entry exists is
		 * ignored, up or unlinking. One that crossed local's unlink
		 * loses on both sides: the other node drops its own link as
		 * our UNLINK_ID reaches it. The entry and the process's
		 * record are made under the table's lock, so that local's
		 * ot_unlink() (record out, then entry marked) cannot fall
		 * between the look and the link: a look that came between
		 * its two steps would have linked again a process that had
		 * just unlinked, the other node unlinked. */
		struct tlink l = {local, remote, msg->to, msg->from, 0};
		pthread_mutex_lock(&t.lock);
		bool known = find_link(local, remote) >= 0;
		if (!known && !(rc = ot__vec_push(&t.links, &l)) &&
		    (rc = ot_remote_link(local, remote)))
			ot__vec_take(&t.links, t.links.n - 1, NULL);
		pthread_mutex_unlock(&t.lock);
		if (known || !rc)
			return;
	}
	/* Not alive (or no memory to remember it): as Erlang, an EXIT with
	 * noproc goes back at once. */
	control(ERL_EXIT, &msg->to, &msg->from, NULL, &noproc_reason,
		msg->from.node, false);
}

/* UNLINK, EXIT (the link's) and EXIT2 from remote to local. */
static void got_unlink_or_exit(const erlang_msg *msg, const char *buf,
			       size_t size)
{
	ot_pid local, remote;
	if (ot_dist_local_pid(&msg->to, &local) ||
	    ot__dist_rpid_of(&msg->from, &remote))
		return;
	if (msg->msgtype == ERL_UNLINK) {
		/* Also an UNLINK_ID, which ei acknowledged: while local is
		 * unlinking, its own acknowledgement ends the entry. */
		pthread_mutex_lock(&t.lock);
		bool mine = unlinking(local, remote);
		pthread_mutex_unlock(&t.lock);
		if (!mine && take_link(local, remote, NULL))
			ot_remote_unlink(local, remote);
		return;
	}
	if (msg->msgtype == ERL_EXIT && !take_link(local, remote, NULL))
		return; /* no link, or local is unlinking it: ignored */
	ot_reason r;
	if (!whole_terms(buf, size, 1) || reason_at(buf, 0, size, &r))
		return;
	ot_remote_exit(local, remote, &r, msg->msgtype == ERL_EXIT);
}

/* {MONITOR_P_EXIT, Name, Watcher, Ref, noproc}: a monitor by a name
 * nobody holds here. */
static void noproc_by_name(const char *name, const erlang_pid *watcher,
			   const erlang_ref *eref)
{
	ei_x_buff x;
	if (ei_x_new_with_version(&x))
		return;
	if (!ei_x_encode_tuple_header(&x, 5) &&
	    !ei_x_encode_long(&x, ERL_MONITOR_P_EXIT) &&
	    !ei_x_encode_atom(&x, name) && !ei_x_encode_pid(&x, watcher) &&
	    !ei_x_encode_ref(&x, eref) && !ei_x_encode_atom(&x, "noproc"))
		ot__dist_send_control(watcher->node, &x, false);
	ei_x_free(&x);
}

/* The three monitor messages; buf holds the control tuple's elements
 * after the first: From, To, Ref[, Reason]. ei hands them over with the
 * message type less 10. */
static void got_monitor(long type, const char *buf, size_t size)
{
	int k = type == ERL_MONITOR_P_EXIT ? 4 : 3, i = 0;
	erlang_pid from, to;
	erlang_ref eref;
	char name[MAXATOMLEN_UTF8];
	bool by_name = false;
	if (!whole_terms(buf, size, k))
		return;
	/* The monitored process: a name in the DOWN of a monitor by name. */
	if (ei_decode_pid(buf, &i, &from) &&
	    (type != ERL_MONITOR_P_EXIT || ei_skip_term(buf, &i)))
		return;
	if (ei_decode_pid(buf, &i, &to)) {
		/* By name (a node that monitors {Name, Node}: gen:call does,
		 * and demonitors it after the reply). */
		if (type == ERL_MONITOR_P_EXIT ||
		    ei_decode_atom_as(buf, &i, name, sizeof(name), ERLANG_UTF8,
				      NULL, NULL))
			return;
		by_name = true;
	}
	if (ei_decode_ref(buf, &i, &eref))
		return;
	struct tmon m;
	if (type == ERL_MONITOR_P) {
		/* net_adm:ping's gen:call monitors net_kernel, which the
		 * reader answers itself: a monitor that fires on nodedown
		 * alone, as a C node's did. */
		if (by_name && strcmp(name, "net_kernel") == 0)
			return;
		ot_pid local = OT_PID_NONE, watcher;
		int rc = by_name ? ot_whereis(name, &local)
				 : ot_dist_local_pid(&to, &local);
		if (!rc)
			rc = ot__dist_rpid_of(&from, &watcher);
		if (!rc && by_name)
			rc = ot_dist_pid(local, &to);
		ot_ref ref;
		if (!rc)
			rc = ot_remote_monitor(local, watcher, &ref);
		if (!rc) {
			m = (struct tmon){.ref = ref,
					  .local = local,
					  .remote = watcher,
					  .le = to,
					  .re = from,
					  .eref = eref};
			pthread_mutex_lock(&t.lock);
			rc = ot__vec_push(&t.in, &m);
			pthread_mutex_unlock(&t.lock);
			if (!rc)
				return;
			ot_remote_demonitor(local, ref);
		}
		/* Gone already: DOWN with noproc at once. */
		if (by_name)
			noproc_by_name(name, &from, &eref);
		else
			control(ERL_MONITOR_P_EXIT, &to, &from, &eref,
				&noproc_reason, from.node, false);
		return;
	}
	struct vec *v = type == ERL_DEMONITOR_P ? &t.in : &t.out;
	pthread_mutex_lock(&t.lock);
	ssize_t at = find_eref(v, &eref);
	bool call = false;
	if (at >= 0 && type == ERL_MONITOR_P_EXIT &&
	    AT(v, struct tmon, at)->by_name &&
	    !AT(v, struct tmon, at)->ref.id) {
		call = !AT(v, struct tmon, at)->firing;
		AT(v, struct tmon, at)->firing = true;
		m = *AT(v, struct tmon, at);
	} else if (at >= 0) {
		ot__vec_take(v, (size_t)at, &m);
	}
	pthread_mutex_unlock(&t.lock);
	if (at < 0)
		return;
	if (type == ERL_MONITOR_P_EXIT && m.by_name && !m.ref.id) {
		if (call)
			call_down(&m, buf + i, size - (size_t)i);
		return;
	}
	if (type == ERL_DEMONITOR_P) {
		ot_remote_demonitor(m.local, m.ref);
		return;
	}
	ot_reason r;
	if (reason_at(buf, i, size, &r))
		r = ot_reason_noconnection(); /* cannot be: checked whole */
	if (m.by_name)
		name_down(&m, &r);
	else
		ot_remote_down(m.local, m.ref, m.remote, &r);
}

void ot__dist_ties_unlink_ack(const char *buf, size_t size)
{
	int i = 0;
	unsigned long long id;
	erlang_pid from, to;
	ot_pid local, remote;
	if (!whole_terms(buf, size, 3) || ei_decode_ulonglong(buf, &i, &id) ||
	    ei_decode_pid(buf, &i, &from) || ei_decode_pid(buf, &i, &to) ||
	    ot_dist_local_pid(&to, &local) || ot__dist_rpid_of(&from, &remote))
		return;
	pthread_mutex_lock(&t.lock);
	ssize_t at = find_link(local, remote);
	if (at >= 0 && AT(&t.links, struct tlink, at)->unlinking == id)
		ot__vec_take(&t.links, (size_t)at, NULL);
	pthread_mutex_unlock(&t.lock);
}

void ot__dist_ties_control(struct conn *c, const erlang_msg *msg,
			   const char *buf, size_t size)
{
	(void)c;
	switch (msg->msgtype) {
	case ERL_LINK:
		got_link(msg);
		break;
	case ERL_UNLINK:
	case ERL_EXIT:
	case ERL_EXIT2:
		got_unlink_or_exit(msg, buf, size);
		break;
	case ERL_MONITOR_P - 10:
	case ERL_DEMONITOR_P - 10:
	case ERL_MONITOR_P_EXIT - 10:
		got_monitor(msg->msgtype + 10, buf, size);
		break;
	default:
		break; /* group leaders and the like: nothing to do */
	}
}

/* ---- The end of a connection ------------------------------------------ */

void ot__dist_ties_nodeup(const char *node)
{
	ot__dist_node_watch_up(node);
}

/* Under t.lock: moves the entries of v tied to node (their remote pid's)
 * into out. */
static void take_node(struct vec *v, const char *node, struct vec *out)
{
	for (size_t i = 0; i < v->n;) {
		const erlang_pid *re = v == &t.links
					   ? &AT(v, struct tlink, i)->re
					   : &AT(v, struct tmon, i)->re;
		if (strcmp(re->node, node) != 0) {
			i++;
			continue;
		}
		if (ot__vec_push(out, (char *)v->v + i * v->elem))
			break; /* no memory: the rest fire at the next drop */
		ot__vec_take(v, i, NULL);
	}
}

void ot__dist_ties_nodedown(const char *node)
{
	struct vec links = {.elem = sizeof(struct tlink)};
	struct vec out = {.elem = sizeof(struct tmon)};
	struct vec in = {.elem = sizeof(struct tmon)};
	pthread_mutex_lock(&t.lock);
	take_node(&t.links, node, &links);
	take_node(&t.out, node, &out);
	take_node(&t.in, node, &in);
	pthread_mutex_unlock(&t.lock);

	ot_reason nc = ot_reason_noconnection();
	for (size_t i = 0; i < links.n; i++) {
		struct tlink *l = AT(&links, struct tlink, i);
		if (!l->unlinking) /* else: unlinked already */
			ot_remote_exit(l->local, l->remote, &nc, true);
	}
	for (size_t i = 0; i < out.n; i++) {
		struct tmon *m = AT(&out, struct tmon, i);
		if (m->by_name && m->ref.id)
			name_down(m, &nc);
		else if (m->by_name) /* a call's: {'DOWN', ERef, noconnection}
				      */
			call_down(m, "\x77\x0cnoconnection", 14);
		else
			ot_remote_down(m->local, m->ref, m->remote, &nc);
	}
	for (size_t i = 0; i < in.n; i++) {
		struct tmon *m = AT(&in, struct tmon, i);
		ot_remote_demonitor(m->local, m->ref);
	}
	ot__vec_free(&links);
	ot__vec_free(&out);
	ot__vec_free(&in);
	/* Last, as before the split: the node monitors hear of it after
	 * every link and monitor across it fired. */
	ot__dist_node_watch_down(node);
}

void ot__dist_ties_clear(void)
{
	pthread_mutex_lock(&t.lock);
	ot__vec_free(&t.links);
	ot__vec_free(&t.out);
	ot__vec_free(&t.in);
	pthread_mutex_unlock(&t.lock);
	ot__dist_node_watch_clear();
}
