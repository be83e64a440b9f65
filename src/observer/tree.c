/* SPDX-License-Identifier: MIT */
/*
 * tree.c — the observer's supervision trees.
 *
 * Where the trees start: otter keeps no list of supervisors, so the walk
 * finds them. Every process whose behaviour is "supervisor"
 * (ot_set_behaviour(), which supervisors set) is asked for its children
 * (which_children); a supervisor that another one lists among its
 * children is inside a tree, and the rest are the roots. So a supervisor
 * started by a plain process, or by a gen_server, is a root of its own
 * tree, as Erlang's observer shows each application's top supervisor. The
 * children are then drawn from the roots down, from the lists already
 * fetched (each supervisor is asked once).
 */
#include "config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <otter/supervisor.h>

#include "observer.h"

#define KIDS_MAX 1000 /* children listed per supervisor */
/* Levels drawn (each is two levels of JSON, which the writer keeps below
 * its 64): a supervisor deeper down says "deeper": true instead. */
#define DEPTH_MAX 20

struct sup {
	ot_pid pid;
	ot_child_info *kids; /* which_children: n of total */
	size_t n, total;
	int rc;	    /* which_children's error, or 0 */
	bool child; /* some supervisor lists it: not a root */
};

struct forest {
	struct sup *s;
	size_t n, cap;
};

static int by_pid(const void *a, const void *b)
{
	const struct sup *x = a, *y = b;
	return x->pid.id < y->pid.id ? -1 : x->pid.id > y->pid.id;
}

static struct sup *find(struct forest *f, ot_pid pid)
{
	struct sup key = {.pid = pid};
	return bsearch(&key, f->s, f->n, sizeof *f->s, by_pid);
}

/* A process that says it is a supervisor joins the forest. */
static int consider(ot_pid pid, const ot_process_details *d, void *arg)
{
	struct forest *f = arg;
	if (strcmp(d->behaviour, "supervisor"))
		return 0;
	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		struct sup *s = reallocarray(f->s, cap, sizeof *s);
		if (!s)
			return OT_ENOMEM;
		f->s = s;
		f->cap = cap;
	}
	f->s[f->n++] = (struct sup){.pid = pid};
	return 0;
}

/* Every process that says it is a supervisor, in pid order. */
static int collect(struct forest *f)
{
	int rc = ot__obs_walk(offsetof(ot_process_details, label), consider, f);
	if (rc == 0)
		qsort(f->s, f->n, sizeof *f->s, by_pid);
	return rc;
}

/* Asks each supervisor for its children, and marks those that are
 * supervisors of the forest. */
static int ask(struct forest *f)
{
	ot_child_info *scratch = malloc(KIDS_MAX * sizeof *scratch);
	if (!scratch)
		return OT_ENOMEM;
	for (size_t i = 0; i < f->n; i++) {
		struct sup *s = &f->s[i];
		int n = ot_supervisor_which_children(s->pid, scratch, KIDS_MAX,
						     &s->total);
		if (n < 0) {
			s->rc = n;
			continue;
		}
		s->n = (size_t)n;
		s->kids = malloc((s->n ? s->n : 1) * sizeof *s->kids);
		if (!s->kids) {
			free(scratch);
			return OT_ENOMEM;
		}
		memcpy(s->kids, scratch, s->n * sizeof *s->kids);
	}
	free(scratch);
	for (size_t i = 0; i < f->n; i++)
		for (size_t k = 0; k < f->s[i].n; k++) {
			struct sup *c = find(f, f->s[i].kids[k].pid);
			if (c && c != &f->s[i])
				c->child = true;
		}
	return 0;
}

static void names(struct ot__json *j, ot_pid pid)
{
	ot_process_info info;
	ot_process_details d;
	bool alive =
	    !ot_pid_is_none(pid) && ot_process_info_get(pid, &info) == 0;
	ot__json_kstr(j, "name", alive ? info.name : "");
	if (alive &&
	    ot_process_details_get(
		pid, &d, offsetof(ot_process_details, entry_name)) == 0)
		ot__json_kstr(j, "label", d.label);
	else
		ot__json_kstr(j, "label", "");
}

static void node_children(struct ot__json *j, struct forest *f, struct sup *s,
			  unsigned depth);

static const char *status_name(ot_child_status st)
{
	return st == OT_CHILD_RUNNING	   ? "running"
	       : st == OT_CHILD_RESTARTING ? "restarting"
					   : "undefined";
}

static void child_node(struct ot__json *j, struct forest *f,
		       const ot_child_info *k, unsigned depth)
{
	ot__json_open(j, '{');
	ot__json_kstr(j, "id", k->id);
	ot__json_kpid(j, "pid", k->pid);
	ot__json_kstr(j, "type",
		      k->type == OT_SUPERVISOR ? "supervisor" : "worker");
	ot__json_kstr(j, "status", status_name(k->status));
	ot__json_kuint(j, "restarts", k->restarts);
	names(j, k->pid);
	struct sup *c = ot_pid_is_none(k->pid) ? NULL : find(f, k->pid);
	if (c && depth < DEPTH_MAX)
		node_children(j, f, c, depth + 1);
	else if (c)
		ot__json_kbool(j, "deeper", true);
	ot__json_close(j, '}');
}

/* "children": [...] (and "more": how many were left out). */
static void node_children(struct ot__json *j, struct forest *f, struct sup *s,
			  unsigned depth)
{
	if (s->rc) {
		ot__json_kstr(j, "error", ot_strerror(s->rc));
		return;
	}
	ot__json_key(j, "children");
	ot__json_open(j, '[');
	for (size_t k = 0; k < s->n && !j->full; k++)
		child_node(j, f, &s->kids[k], depth);
	ot__json_close(j, ']');
	if (s->total > s->n)
		ot__json_kuint(j, "more", s->total - s->n);
}

void ot__obs_tree(struct ot__json *j)
{
	struct forest f = {0};
	int rc = collect(&f);
	if (rc == 0)
		rc = ask(&f);
	if (rc) {
		ot__json_error(j, rc, "tree: %s", ot_strerror(rc));
	} else {
		ot__json_open(j, '{');
		ot__json_kuint(j, "supervisors", f.n);
		ot__json_key(j, "roots");
		ot__json_open(j, '[');
		for (size_t i = 0; i < f.n && !j->full; i++) {
			struct sup *s = &f.s[i];
			if (s->child)
				continue;
			ot__json_open(j, '{');
			ot__json_kpid(j, "pid", s->pid);
			ot__json_kstr(j, "type", "supervisor");
			ot__json_kstr(j, "status", "running");
			names(j, s->pid);
			node_children(j, &f, s, 0);
			ot__json_close(j, '}');
		}
		ot__json_close(j, ']');
		ot__json_close(j, '}');
	}
	for (size_t i = 0; i < f.n; i++)
		free(f.s[i].kids);
	free(f.s);
}
