/* SPDX-License-Identifier: MIT */
/*
 * sup_fixture.c — the supervisor suites' shared helpers (sup_fixture.h):
 * thin asserting wrappers over the supervisor API and over monitors.
 */
#include "config.h"

#include <string.h>

#include "sup_fixture.h"

ot_pid sup_start(const ot_sup_flags *f, const ot_child_spec *ch, size_t n)
{
	ot_sup_spec spec = {.flags = *f, .children = ch, .nchildren = n};
	ot_pid p = OT_PID_NONE;
	ot_reason why;
	memset(&why, 0, sizeof(why));
	int rc = ot_supervisor_start_link(&spec, NULL, &p, &why);
	char text[OT_REASON_STRLEN];
	ot_reason_format(&why, text, sizeof(text));
	ck_assert_msg(rc == 0, "supervisor start: %s (%s)", ot_err_name(rc),
		      text);
	ck_assert(!ot_pid_is_none(p));
	return p;
}

int kids(ot_pid sup, ot_child_info *out, size_t cap)
{
	size_t total = 0;
	int n = ot_supervisor_which_children(sup, out, cap, &total);
	ck_assert_msg(n >= 0, "which_children: %s", ot_err_name(n));
	ck_assert_msg((size_t)n == total || (size_t)n == cap,
		      "which_children wrote %d of %zu", n, total);
	return n;
}

ot_child_info find_kid(ot_pid sup, const char *id)
{
	ot_child_info info[16], none;
	memset(&none, 0, sizeof(none));
	int n = kids(sup, info, 16);
	for (int i = 0; i < n; i++)
		if (strcmp(info[i].id, id) == 0)
			return info[i];
	return none;
}

ot_child_counts counts(ot_pid sup)
{
	ot_child_counts c;
	memset(&c, 0xff, sizeof(c)); /* a field left unset shows */
	ck_assert_ot_ok(ot_supervisor_count_children(sup, &c));
	return c;
}

ot_down_info expect_down_at(ot_ref ref, int ms, const char *what, double *at)
{
	ot_msg *m = NULL;
	int rc = ot_receive_match(ot_test_is_down_of, &ref, &m, scaled_ms(ms));
	ck_assert_msg(rc == 0, "%s: no DOWN: %s", what, ot_err_name(rc));
	if (at)
		*at = now_msf();
	ot_down_info d = *ot_msg_down(m);
	ot_msg_free(m);
	return d;
}
