/* SPDX-License-Identifier: MIT */
/*
 * test_remote.c — pids of other nodes in the runtime (src/proc/remote.c
 * and signal.c), against a fake remote side that records what the
 * runtime hands it (otter/remote.h): without one a remote pid is
 * OT_EREMOTE; with one, sends, links, monitors and exit signals go out
 * through it, and what it hands back follows Erlang's rules as local
 * signals do (trap_exit, DOWN once and only for a held monitor, unlink).
 */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

/* A remote pid as a distribution library makes them. */
#define REMOTE(i) ((ot_pid){(UINT64_C(7) << 32) | OT_PID_REMOTE_BIT | (i)})

/* What the fake side saw last, under lock. */
static struct {
	pthread_mutex_t lock;
	int sends, links, unlinks, monitors, demonitors, downs, exits;
	ot_pid from, to;
	uint64_t tag;
	char data[16];
	ot_ref ref;
	ot_reason reason;
	bool link_exit;
	int link_rc, monitor_rc;
	int by_name;   /* monitor_name and send_name calls */
	char name[64]; /* their name and node */
	char node[64];
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int f_send(ot_pid from, ot_pid to, uint64_t tag, const void *data,
		  size_t size)
{
	pthread_mutex_lock(&seen.lock);
	seen.sends++;
	seen.from = from;
	seen.to = to;
	seen.tag = tag;
	memcpy(seen.data, data, size < 15 ? size : 15);
	pthread_mutex_unlock(&seen.lock);
	return 0;
}

static int f_exit(ot_pid from, ot_pid to, const ot_reason *r, bool link)
{
	pthread_mutex_lock(&seen.lock);
	seen.exits++;
	seen.from = from;
	seen.to = to;
	seen.reason = ot_reason_without_data(r);
	seen.link_exit = link;
	pthread_mutex_unlock(&seen.lock);
	return 0;
}

static int f_link(ot_pid from, ot_pid to)
{
	pthread_mutex_lock(&seen.lock);
	seen.links++;
	seen.from = from;
	seen.to = to;
	int rc = seen.link_rc;
	pthread_mutex_unlock(&seen.lock);
	return rc;
}

static int f_unlink(ot_pid from, ot_pid to)
{
	pthread_mutex_lock(&seen.lock);
	seen.unlinks++;
	seen.from = from;
	seen.to = to;
	pthread_mutex_unlock(&seen.lock);
	return 0;
}

static int f_monitor(ot_pid watcher, ot_pid to, ot_ref ref)
{
	pthread_mutex_lock(&seen.lock);
	seen.monitors++;
	seen.from = watcher;
	seen.to = to;
	seen.ref = ref;
	int rc = seen.monitor_rc;
	pthread_mutex_unlock(&seen.lock);
	return rc;
}

static bool f_demonitor(ot_pid watcher, ot_pid to, ot_ref ref)
{
	pthread_mutex_lock(&seen.lock);
	seen.demonitors++;
	seen.from = watcher;
	seen.to = to;
	seen.ref = ref;
	pthread_mutex_unlock(&seen.lock);
	return true;
}

static void f_down(ot_pid target, ot_pid watcher, ot_ref ref,
		   const ot_reason *r)
{
	pthread_mutex_lock(&seen.lock);
	seen.downs++;
	seen.from = target;
	seen.to = watcher;
	seen.ref = ref;
	seen.reason = ot_reason_without_data(r);
	pthread_mutex_unlock(&seen.lock);
}

/* "name@here" is this node's; "name@down@host" cannot be reached. */
static int f_by_name(const char *name, const char *node, ot_ref ref)
{
	pthread_mutex_lock(&seen.lock);
	seen.by_name++;
	snprintf(seen.name, sizeof(seen.name), "%s", name);
	snprintf(seen.node, sizeof(seen.node), "%s", node);
	seen.ref = ref;
	pthread_mutex_unlock(&seen.lock);
	if (strcmp(node, "here@host") == 0)
		return 1;
	return strcmp(node, "down@host") == 0 ? OT_ENOTCONN : 0;
}

static int f_monitor_name(ot_pid watcher, const char *name, const char *node,
			  ot_ref ref)
{
	(void)watcher;
	return f_by_name(name, node, ref);
}

static int f_send_name(ot_pid from, const char *name, const char *node,
		       uint64_t tag, const void *data, size_t size)
{
	(void)from;
	(void)tag;
	(void)data;
	(void)size;
	return f_by_name(name, node, (ot_ref){0});
}

static const ot_remote_ops fake = {
    .monitor_name = f_monitor_name,
    .send_name = f_send_name,
    .send = f_send,
    .exit = f_exit,
    .link = f_link,
    .unlink = f_unlink,
    .monitor = f_monitor,
    .demonitor = f_demonitor,
    .down = f_down,
};

static void setup(void)
{
	pthread_mutex_lock(&seen.lock);
	memset(&seen.sends, 0, sizeof(seen) - offsetof(typeof(seen), sends));
	pthread_mutex_unlock(&seen.lock);
	ot_test_setup();
	ot_set_remote_ops(&fake);
}

static void teardown(void)
{
	ot_set_remote_ops(NULL);
	ot_test_teardown();
}

static int count(const int *field)
{
	pthread_mutex_lock(&seen.lock);
	int n = *field;
	pthread_mutex_unlock(&seen.lock);
	return n;
}

/* Waits (polling) until *field reaches n. */
static void await_count(const int *field, int n)
{
	for (int i = 0; i < 1000 && count(field) < n; i++)
		ot_sleep(5);
	ck_assert_int_eq(count(field), n);
}

START_TEST(test_without_ops)
{
	ot_set_remote_ops(NULL);
	ot_ref ref;
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_err(ot_send(REMOTE(1), 1, "x", 1), OT_EREMOTE);
	ck_assert_ot_err(ot_link(REMOTE(1)), OT_EREMOTE);
	ck_assert_ot_err(ot_monitor(REMOTE(1), &ref), OT_EREMOTE);
	ck_assert_ot_err(ot_exit_pid(REMOTE(1), &kill), OT_EREMOTE);
	ck_assert_ot_ok(ot_unlink(REMOTE(1)));
	ck_assert(!ot_is_alive(REMOTE(1)));
	char text[OT_PID_STRLEN];
	ot_pid_format(REMOTE(1), text, sizeof(text));
	ck_assert_str_eq(text, "<?.1.7>");
	/* The remote bit with no index, or no high word, is no pid. */
	ot_pid bad = {(UINT64_C(7) << 32) | OT_PID_REMOTE_BIT};
	ck_assert_ot_err(ot_send(bad, 1, NULL, 0), OT_EINVAL);
	ck_assert_ot_err(ot_link((ot_pid){OT_PID_REMOTE_BIT | 1}), OT_EINVAL);
	ck_assert_ot_err(ot_remote_link(ot_self(), bad), OT_EINVAL);
	ck_assert_ot_err(ot_remote_link(REMOTE(1), REMOTE(1)), OT_EINVAL);
}
END_TEST

START_TEST(test_send_both_ways)
{
	ck_assert_ot_ok(ot_send(REMOTE(2), 9, "hey", 3));
	ck_assert_int_eq(count(&seen.sends), 1);
	ck_assert(ot_pid_equal(seen.from, ot_self()));
	ck_assert(ot_pid_equal(seen.to, REMOTE(2)));
	ck_assert_uint_eq(seen.tag, 9);
	ck_assert_str_eq(seen.data, "hey");
	/* Handed over: copied out, then released. */
	char *owned = strdup("own");
	ck_assert_ot_ok(ot_send_owned(REMOTE(2), 9, owned, 3, free));
	ck_assert_int_eq(count(&seen.sends), 2);

	ck_assert_ot_ok(ot_remote_send(REMOTE(2), ot_self(), 5, "in", 2));
	ot_msg *m = expect_msg(5, 1000);
	ck_assert(ot_pid_equal(ot_msg_from(m), REMOTE(2)));
	ot_msg_free(m);
	ck_assert_ot_err(
	    ot_remote_send(REMOTE(2), ot_self(), OT_TAG_EXIT, NULL, 0),
	    OT_EINVAL);
}
END_TEST

/* Links the remote pid at arg, then waits to be ended. */
static void linker(void *arg)
{
	ck_assert_ot_ok(ot_link(*(ot_pid *)arg));
	ot_msg *m;
	ot_receive(&m, OT_INFINITY);
}

START_TEST(test_link_out)
{
	/* The main thread traps: the EXIT of its link comes as a message,
	 * from the remote pid. */
	ck_assert_ot_ok(ot_link(REMOTE(3)));
	ck_assert_int_eq(count(&seen.links), 1);
	ck_assert_ot_ok(ot_link(REMOTE(3))); /* twice is once */
	ck_assert_int_eq(count(&seen.links), 1);
	ot_pid links[2];
	size_t total;
	ck_assert_ot_ok(ot_process_links(ot_self(), links, 2, &total));
	ck_assert_uint_eq(total, 1);
	ck_assert(ot_pid_equal(links[0], REMOTE(3)));
	ot_reason boom = ot_reason_error(1, "boom");
	ck_assert_ot_ok(ot_remote_exit(ot_self(), REMOTE(3), &boom, true));
	ot_msg *m = expect_msg(OT_TAG_EXIT, 1000);
	ck_assert(ot_pid_equal(ot_msg_exit(m)->from, REMOTE(3)));
	assert_reason(&ot_msg_exit(m)->reason, &boom, "EXIT");
	ot_msg_free(m);
	/* The link is gone with it: another EXIT of it is ignored. */
	ck_assert_ot_ok(ot_remote_exit(ot_self(), REMOTE(3), &boom, true));
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);

	/* A process that does not trap dies of it. */
	ot_pid p, r = REMOTE(4);
	ot_ref mon;
	ot_spawn_opts so = {.flags = OT_SPAWN_MONITOR, .monitor_ref = &mon};
	ck_assert_ot_ok(ot_spawn(linker, &r, &so, &p));
	await_count(&seen.links, 2);
	ck_assert_ot_ok(ot_remote_exit(p, r, &boom, true));
	m = expect_msg(OT_TAG_DOWN, 1000);
	assert_reason(&ot_msg_down(m)->reason, &boom, "DOWN");
	ot_msg_free(m);

	/* ot_unlink tells the other side; a link the other side cannot
	 * make is an EXIT noconnection to a trapping caller. */
	ck_assert_ot_ok(ot_link(REMOTE(5)));
	ck_assert_ot_ok(ot_unlink(REMOTE(5)));
	ck_assert_int_eq(count(&seen.unlinks), 1);
	pthread_mutex_lock(&seen.lock);
	seen.link_rc = OT_ENOTCONN;
	pthread_mutex_unlock(&seen.lock);
	ck_assert_ot_ok(ot_link(REMOTE(6)));
	m = expect_msg(OT_TAG_EXIT, 1000);
	ot_reason nc = ot_reason_noconnection();
	assert_reason(&ot_msg_exit(m)->reason, &nc, "EXIT");
	ot_msg_free(m);
	ck_assert_ot_ok(ot_process_links(ot_self(), links, 2, &total));
	ck_assert_uint_eq(total, 0);
}
END_TEST

/* Linked to by a remote process, ends with an error when told. */
static void linked(void *arg)
{
	(void)arg;
	ot_msg *m;
	ck_assert_ot_ok(ot_receive(&m, OT_INFINITY));
	ot_msg_free(m);
	ot_reason r = ot_reason_error(2, "gone");
	ot_exit(&r);
}

START_TEST(test_link_in)
{
	ot_pid p;
	ck_assert_ot_ok(ot_spawn(linked, NULL, NULL, &p));
	ck_assert_ot_ok(ot_remote_link(p, REMOTE(7)));
	ot_ref ref;
	ck_assert_ot_ok(ot_remote_monitor(p, REMOTE(8), &ref));
	ck_assert_ot_ok(ot_send(p, 1, NULL, 0));
	await_count(&seen.exits, 1);
	await_count(&seen.downs, 1);
	ot_reason gone = ot_reason_error(2, "gone");
	pthread_mutex_lock(&seen.lock);
	ck_assert(seen.link_exit);
	assert_reason(&seen.reason, &gone, "to the remote side");
	ck_assert_uint_eq(seen.ref.id, ref.id);
	ck_assert(ot_pid_equal(seen.to, REMOTE(8)));
	pthread_mutex_unlock(&seen.lock);
	/* Not alive any more. */
	ck_assert_ot_err(ot_remote_link(p, REMOTE(7)), OT_ENOPROC);
	ck_assert_ot_err(ot_remote_monitor(p, REMOTE(8), &ref), OT_ENOPROC);

	/* A demonitored or unlinked remote tie is not told anything. */
	ck_assert_ot_ok(ot_spawn(linked, NULL, NULL, &p));
	ck_assert_ot_ok(ot_remote_link(p, REMOTE(7)));
	ck_assert_ot_ok(ot_remote_monitor(p, REMOTE(8), &ref));
	ck_assert_ot_ok(ot_remote_unlink(p, REMOTE(7)));
	ck_assert_ot_ok(ot_remote_demonitor(p, ref));
	ot_ref mine;
	ck_assert_ot_ok(ot_monitor(p, &mine));
	ck_assert_ot_ok(ot_send(p, 1, NULL, 0));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 1000);
	ot_msg_free(m);
	ck_assert_int_eq(count(&seen.exits), 1);
	ck_assert_int_eq(count(&seen.downs), 1);
}
END_TEST

START_TEST(test_monitor_out)
{
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor(REMOTE(9), &ref));
	ck_assert_int_eq(count(&seen.monitors), 1);
	ck_assert_uint_eq(seen.ref.id, ref.id);
	ot_reason r = ot_reason_shutdown();
	ck_assert_ot_ok(ot_remote_down(ot_self(), ref, REMOTE(9), &r));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 1000);
	ck_assert_uint_eq(ot_msg_down(m)->ref.id, ref.id);
	ck_assert(ot_pid_equal(ot_msg_down(m)->pid, REMOTE(9)));
	ot_msg_free(m);
	/* Once: a second DOWN of it is dropped. */
	ck_assert_ot_ok(ot_remote_down(ot_self(), ref, REMOTE(9), &r));
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);

	/* ot_demonitor tells the other side, and a DOWN after it is
	 * dropped. */
	ck_assert_ot_ok(ot_monitor(REMOTE(9), &ref));
	ck_assert_int_eq(ot_demonitor(ref, OT_DEMONITOR_INFO), 1);
	ck_assert_int_eq(count(&seen.demonitors), 1);
	ck_assert_ot_ok(ot_remote_down(ot_self(), ref, REMOTE(9), &r));
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);

	/* A node that cannot be reached: DOWN noconnection at once. */
	pthread_mutex_lock(&seen.lock);
	seen.monitor_rc = OT_ENOTCONN;
	pthread_mutex_unlock(&seen.lock);
	ck_assert_ot_ok(ot_monitor(REMOTE(10), &ref));
	m = expect_msg(OT_TAG_DOWN, 1000);
	ot_reason nc = ot_reason_noconnection();
	assert_reason(&ot_msg_down(m)->reason, &nc, "DOWN");
	ot_msg_free(m);

	/* exit/2 to a remote pid goes out as such. */
	ot_reason kill = ot_reason_kill();
	ck_assert_ot_ok(ot_exit_pid(REMOTE(11), &kill));
	ck_assert_int_eq(count(&seen.exits), 1);
	ck_assert(!seen.link_exit);
}
END_TEST

/* ot_monitor_name() and ot_send_name() of "name@node": out through the
 * installed functions; the DOWN comes back by ot_remote_down_name(),
 * naming "name@node"; "name@thisnode" is the local name. */
START_TEST(test_by_name_out)
{
	ot_ref ref;
	ck_assert_ot_ok(ot_monitor_name("srv@far@host", &ref));
	ck_assert_int_eq(count(&seen.by_name), 1);
	ck_assert_str_eq(seen.name, "srv");
	ck_assert_str_eq(seen.node, "far@host");
	ck_assert_uint_eq(seen.ref.id, ref.id);
	ot_pid watched[2];
	size_t total;
	ck_assert_ot_ok(ot_process_monitors(ot_self(), watched, 2, &total));
	ck_assert_uint_eq(total, 1);
	ot_reason r = ot_reason_shutdown();
	ck_assert_ot_err(ot_remote_down_name(ot_self(), ref, NULL, &r),
			 OT_EINVAL);
	ck_assert_ot_err(ot_remote_down_name(REMOTE(3), ref, "x", &r),
			 OT_EINVAL);
	ck_assert_ot_ok(
	    ot_remote_down_name(ot_self(), ref, "srv@far@host", &r));
	ot_msg *m = expect_msg(OT_TAG_DOWN, 1000);
	const ot_down_info *d = ot_msg_down(m);
	ck_assert_uint_eq(d->ref.id, ref.id);
	ck_assert_str_eq(d->name, "srv@far@host");
	ck_assert(ot_pid_is_none(d->pid));
	assert_reason(&d->reason, &r, "DOWN");
	ot_msg_free(m);

	/* Turned off: the other side hears of it, a late DOWN is dropped. */
	ck_assert_ot_ok(ot_monitor_name("srv@far@host", &ref));
	ck_assert_int_eq(ot_demonitor(ref, OT_DEMONITOR_INFO), 1);
	ck_assert_int_eq(count(&seen.demonitors), 1);
	ck_assert_ot_ok(
	    ot_remote_down_name(ot_self(), ref, "srv@far@host", &r));
	ck_assert_ot_err(ot_receive(&m, 50), OT_ETIMEDOUT);

	/* Not reachable: noconnection at once. */
	ck_assert_ot_ok(ot_monitor_name("srv@down@host", &ref));
	m = expect_msg(OT_TAG_DOWN, 1000);
	ot_reason nc = ot_reason_noconnection();
	assert_reason(&ot_msg_down(m)->reason, &nc, "DOWN");
	ck_assert_str_eq(ot_msg_down(m)->name, "srv@down@host");
	ot_msg_free(m);

	/* This node's: the local name. */
	ck_assert_ot_ok(ot_register("me", ot_self()));
	ck_assert_ot_ok(ot_monitor_name("me@here@host", &ref));
	ck_assert_int_eq(ot_demonitor(ref, OT_DEMONITOR_INFO), 1);
	ck_assert_ot_ok(ot_send_name("me@here@host", 3, "hi", 2));
	m = expect_msg(3, 1000);
	ot_msg_free(m);
	ck_assert_ot_ok(ot_unregister("me"));
	/* One '@' is a local name, as before. */
	ck_assert_ot_err(ot_send_name("me@here", 3, "hi", 2), OT_ENOTREG);
	ck_assert_ot_ok(ot_send_name("srv@far@host", 3, "hi", 2));
	ck_assert_str_eq(seen.node, "far@host");
}
END_TEST

static Suite *remote_suite(void)
{
	Suite *s = suite_create("remote");
	TCase *tc = tcase_create("remote");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_without_ops);
	tcase_add_test(tc, test_send_both_ways);
	tcase_add_test(tc, test_link_out);
	tcase_add_test(tc, test_link_in);
	tcase_add_test(tc, test_monitor_out);
	tcase_add_test(tc, test_by_name_out);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return ot_test_run(remote_suite());
}
