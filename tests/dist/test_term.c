/* SPDX-License-Identifier: MIT */
/*
 * test_term.c — the term API (otter/term.h): building, reading, matching
 * and printing terms; truncated, lying and malformed terms refused; and
 * one round trip through a real Erlang node (skipped without erl).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "erl_node.h"
#include "fixture.h"

static const erlang_pid a_pid = {
    .node = "erl@127.0.0.1", .num = 42, .serial = 1, .creation = 7};
static const erlang_ref a_ref = {
    .node = "erl@127.0.0.1", .len = 3, .n = {1, 2, 3}, .creation = 7};

/* {ok, <<"shopping">>, [1, 2], #{a => -5}, 'EXIT', 1 bsl 40, Pid, Ref,
 * [], <<1,2>>, [x | y]} */
static void build_sample(ot_term_buf *b)
{
	ck_assert_ot_ok(ot_term_buf_init(b));
	ot_term_tuple(b, 11);
	ot_term_atom(b, "ok");
	ot_term_binary(b, "shopping", 8);
	ot_term_list(b, 2);
	ot_term_int(b, 1);
	ot_term_int(b, 2);
	ot_term_nil(b);
	ot_term_map(b, 1);
	ot_term_atom(b, "a");
	ot_term_int(b, -5);
	ot_term_atom(b, "EXIT");
	ot_term_int(b, (int64_t)1 << 40);
	ot_term_pid(b, &a_pid);
	ot_term_ref(b, &a_ref);
	ot_term_nil(b);
	ot_term_binary(b, "\1\2", 2);
	ot_term_list(b, 1);
	ot_term_atom(b, "x");
	ck_assert_ot_ok(ot_term_atom(b, "y"));
}

START_TEST(test_build_and_read)
{
	ot_term_buf b;
	build_sample(&b);
	const void *t;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	ck_assert_uint_eq(((const unsigned char *)t)[0], OT_TERM_VERSION);

	/* The cursor, element by element. */
	ot_term_cursor c;
	size_t arity, len;
	char atom[OT_TERM_ATOM_MAX];
	const void *bin;
	int64_t v;
	ck_assert_ot_ok(ot_term_open(&c, t, n));
	ck_assert_int_eq(ot_term_type(&c), OT_TERM_TUPLE);
	ck_assert_ot_err(ot_term_get_atom(&c, atom, sizeof(atom)), OT_ENOMATCH);
	ck_assert_ot_ok(ot_term_get_tuple(&c, &arity));
	ck_assert_uint_eq(arity, 11);
	ck_assert_ot_err(ot_term_get_atom(&c, atom, 2), OT_ETOOBIG);
	ck_assert_ot_ok(ot_term_get_atom(&c, atom, sizeof(atom)));
	ck_assert_str_eq(atom, "ok");
	ck_assert_ot_ok(ot_term_get_binary(&c, &bin, &len));
	ck_assert_uint_eq(len, 8);
	ck_assert(memcmp(bin, "shopping", 8) == 0);
	/* [1,2] was built as a list: it stays one (ei writes LIST_EXT). */
	ck_assert_int_eq(ot_term_type(&c), OT_TERM_LIST);
	ck_assert_ot_ok(ot_term_get_list(&c, &len));
	ck_assert_uint_eq(len, 2);
	ck_assert_ot_ok(ot_term_get_int(&c, &v));
	ck_assert_int_eq(v, 1);
	ck_assert_ot_ok(ot_term_skip(&c));
	ck_assert_ot_ok(ot_term_get_nil(&c));
	ck_assert_ot_ok(ot_term_get_map(&c, &len));
	ck_assert_uint_eq(len, 1);
	ck_assert_ot_ok(ot_term_get_atom_eq(&c, "a"));
	ck_assert_ot_ok(ot_term_get_int(&c, &v));
	ck_assert_int_eq(v, -5);
	ck_assert_ot_err(ot_term_get_atom_eq(&c, "exit"), OT_ENOMATCH);
	ck_assert_ot_ok(ot_term_get_atom_eq(&c, "EXIT"));
	ck_assert_ot_ok(ot_term_get_int(&c, &v));
	ck_assert_int_eq(v, (int64_t)1 << 40);
	erlang_pid pid;
	erlang_ref ref;
	ck_assert_ot_err(ot_term_get_ref(&c, &ref), OT_ENOMATCH);
	ck_assert_ot_ok(ot_term_get_pid(&c, &pid));
	ck_assert_str_eq(pid.node, a_pid.node);
	ck_assert_uint_eq(pid.num, 42);
	ck_assert_ot_ok(ot_term_get_ref(&c, &ref));
	ck_assert_uint_eq(ref.n[2], 3);
	ck_assert_ot_ok(ot_term_get_list(&c, &len)); /* [] is a list of 0 */
	ck_assert_uint_eq(len, 0);
	const void *raw;
	size_t rawlen;
	ck_assert_ot_ok(ot_term_get_raw(&c, &raw, &rawlen)); /* <<1,2>> */
	ck_assert_uint_eq(rawlen, 7);
	ck_assert_ot_ok(ot_term_get_list(&c, &len));
	ck_assert_ot_ok(ot_term_skip(&c));
	ck_assert_ot_err(ot_term_get_nil(&c), OT_ENOMATCH); /* [x | y] */
	ck_assert_ot_ok(ot_term_get_atom_eq(&c, "y"));
	ck_assert(ot_term_at_end(&c));
	ck_assert_int_eq(ot_term_type(&c), OT_ENOMATCH);
	ck_assert_ot_err(ot_term_skip(&c), OT_ENOMATCH);

	/* A raw term copied into another one. */
	ot_term_buf b2;
	ck_assert_ot_ok(ot_term_buf_init(&b2));
	ck_assert_ot_ok(ot_term_raw(&b2, raw, rawlen));
	const void *t2;
	size_t n2;
	ck_assert_ot_ok(ot_term_buf_get(&b2, &t2, &n2));
	ck_assert_ot_err(ot_term_match(t2, n2, "<<>>"), OT_EINVAL);
	ck_assert_ot_ok(ot_term_match(t2, n2, "%b", &bin, &len));
	ck_assert_uint_eq(len, 2);
	ck_assert_ot_ok(ot_term_buf_reset(&b2));
	ck_assert_ot_ok(ot_term_raw(&b2, t, n)); /* with its version byte */
	ck_assert_ot_ok(ot_term_buf_get(&b2, &t2, &n2));
	ck_assert_uint_eq(n2, n);
	ck_assert(memcmp(t, t2, n) == 0);
	ot_term_buf_free(&b2);
	ot_term_buf_free(&b2); /* a second free is nothing */
	ot_term_buf_free(&b);
}
END_TEST

START_TEST(test_match)
{
	ot_term_buf b;
	build_sample(&b);
	const void *t, *bin, *raw;
	size_t n, len, rawlen;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	char atom[OT_TERM_ATOM_MAX];
	int64_t big;
	erlang_pid pid;
	erlang_ref ref;
	ck_assert_ot_ok(ot_term_match(t, n,
				      "{%a, %b, _ , %t, 'EXIT', %i, %p, "
				      "%r, [], _, _}",
				      atom, &bin, &len, &raw, &rawlen, &big,
				      &pid, &ref));
	ck_assert_str_eq(atom, "ok");
	ck_assert_uint_eq(len, 8);
	ck_assert_int_eq(big, (int64_t)1 << 40);
	ck_assert_uint_eq(pid.num, 42);
	ck_assert_uint_eq(ref.len, 3);
	ot_term_cursor m;
	size_t pairs;
	ck_assert_ot_ok(ot_term_open(&m, raw, rawlen)); /* #{a => -5} */
	ck_assert_ot_ok(ot_term_get_map(&m, &pairs));
	ck_assert_ot_ok(ot_term_scan(&m, "a"));
	ck_assert_ot_ok(ot_term_scan(&m, "-5"));
	ck_assert(ot_term_at_end(&m));

	/* Shapes that do not match: the cursor stays where it was. */
	ot_term_cursor c;
	ck_assert_ot_ok(ot_term_open(&c, t, n));
	ck_assert_ot_err(ot_term_scan(&c, "{ok, _}"), OT_ENOMATCH);
	ck_assert_ot_err(
	    ot_term_scan(&c, "{error, _, _, _, _, _, _, _, _, _, _}"),
	    OT_ENOMATCH);
	ck_assert_ot_err(
	    ot_term_scan(&c, "{ok, %i, _, _, _, _, _, _, _, _, _}", &big),
	    OT_ENOMATCH);
	ck_assert_ot_ok(ot_term_scan(&c, "{ok, _, _, _, _, _, _, _, _, _, _}"));
	ck_assert(ot_term_at_end(&c));

	/* Malformed patterns are refused before the term is looked at. */
	const char *bad[] = {"{ok,",  "{ok _}", "%z",  "Ok", "'open",
			     "{ok}}", "[1]",	"- 1", "",   "{,}"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_ot_ok(ot_term_open(&c, t, n));
		ck_assert_msg(ot_term_scan(&c, bad[i]) == OT_EINVAL, "%s",
			      bad[i]);
	}
	ck_assert_ot_err(ot_term_scan(NULL, "_"), OT_EINVAL);
	ck_assert_ot_err(ot_term_scan(&c, NULL), OT_EINVAL);
	ck_assert_ot_err(ot_term_match(NULL, n, "_"), OT_EINVAL);
	/* The whole term must match: a pattern for its first element does
	 * not. */
	ot_term_buf_reset(&b);
	ot_term_atom(&b, "$gen_cast");
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	ck_assert_ot_ok(ot_term_match(t, n, "'$gen_cast'"));
	ck_assert_ot_err(ot_term_match(t, n, "gen_cast"), OT_ENOMATCH);
	ot_term_buf_free(&b);
}
END_TEST

START_TEST(test_build_errors)
{
	ot_term_buf b;
	const void *t;
	size_t n;
	ck_assert_ot_err(ot_term_buf_init(NULL), OT_EINVAL);
	ck_assert_ot_err(ot_term_atom(NULL, "a"), OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_init(&b));
	/* Not complete: nothing yet, then a tuple short of an element. */
	ck_assert_ot_err(ot_term_buf_get(&b, &t, &n), OT_EINVAL);
	ck_assert_ot_ok(ot_term_tuple(&b, 2));
	ck_assert_ot_ok(ot_term_atom(&b, "ok"));
	ck_assert_ot_err(ot_term_buf_get(&b, &t, &n), OT_EINVAL);
	ck_assert_ot_ok(ot_term_int(&b, 1));
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	/* One term more than the term holds: refused, and sticky. */
	ck_assert_ot_err(ot_term_int(&b, 2), OT_EINVAL);
	ck_assert_ot_err(ot_term_buf_get(&b, &t, &n), OT_EINVAL);
	ck_assert_ot_err(ot_term_nil(&b), OT_EINVAL);

	/* Atoms: 255 characters, UTF-8; more or broken is refused. */
	char a[OT_TERM_ATOM_MAX + 8];
	memset(a, 'x', 255);
	a[255] = '\0';
	struct {
		size_t arity;
		const char *atom;
		int want;
	} cases[] = {
	    {1, a, 0},
	    {1, "\xc3\xa9t\xc3\xa9", 0}, /* été */
	    {1, "\xc3", OT_EINVAL},	 /* cut */
	    {1, "\xff", OT_EINVAL},
	    {1, NULL, OT_EINVAL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_ot_ok(ot_term_buf_reset(&b));
		ck_assert_int_eq(ot_term_atom(&b, cases[i].atom),
				 cases[i].want);
	}
	a[255] = 'x';
	a[256] = '\0';
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_atom(&b, a), OT_EINVAL);
	ck_assert_ot_err(ot_term_buf_get(&b, &t, &n), OT_EINVAL);

	/* Arities and lengths beyond ei's int. */
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_tuple(&b, (size_t)INT_MAX + 1), OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_list(&b, SIZE_MAX), OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_map(&b, SIZE_MAX / 2 + 1), OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_binary(&b, "x", (size_t)INT_MAX + 1),
			 OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_binary(&b, NULL, 1), OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_ok(ot_term_binary(&b, NULL, 0));
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	ck_assert_ot_err(ot_term_raw(&b, "\x83\x6a\x6a", 3), OT_EBADTERM);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	erlang_ref bad_ref = a_ref;
	bad_ref.len = 9;
	ck_assert_ot_err(ot_term_ref(&b, &bad_ref), OT_EINVAL);
	ck_assert_ot_ok(ot_term_buf_reset(&b));
	/* A local pid needs a node. */
	ck_assert_ot_err(ot_term_local_pid(&b, ot_self()), OT_ENOTSTARTED);
	ot_term_buf_free(&b);
	ck_assert_ot_err(ot_term_int(&b, 1), OT_EINVAL);
	ck_assert_ot_err(ot_term_buf_reset(&b), OT_EINVAL);
}
END_TEST

/* Every prefix of a term is truncated; a lying length, an arity beyond
 * the bytes, bytes after the end and unknown tags are malformed: each is
 * refused by every entry point, and nothing reads past the bytes (ASan
 * would see it: each prefix is a fresh allocation of its exact size). */
START_TEST(test_malformed)
{
	ot_term_buf b;
	build_sample(&b);
	const void *t;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	ot_term_cursor c;
	char out[64];
	for (size_t len = 0; len < n; len++) {
		char *cut = malloc(len ? len : 1);
		memcpy(cut, t, len);
		ck_assert_ot_err(ot_term_open(&c, cut, len), OT_EBADTERM);
		ck_assert_ot_err(ot_term_match(cut, len, "_"), OT_EBADTERM);
		ck_assert_ot_err(ot_term_format(cut, len, out, sizeof(out)),
				 OT_EBADTERM);
		free(cut);
	}
	ot_term_buf_free(&b);

	static const struct {
		const char *bytes;
		size_t n;
		const char *what;
	} bad[] = {
	    {"\x83\x69\x7f\xff\xff\xff\x6a", 7, "an arity of 2^31 in 7 bytes"},
	    {"\x83\x74\xff\xff\xff\xff", 6, "a map of 2^32 pairs"},
	    {"\x83\x6c\xff\xff\xff\xff\x6a", 7, "a list of 2^32 elements"},
	    {"\x83\x6d\xff\xff\xff\xf0xx", 8, "a binary of 4 GB in 2 bytes"},
	    {"\x83\x6b\x00\x09"
	     "abc",
	     7, "a string longer than the term"},
	    {"\x83\x64\x00\x05"
	     "ab",
	     6, "an atom longer than the term"},
	    {"\x83\x6a\x6a", 3, "a byte after the term"},
	    {"\x83\x01", 2, "an unknown tag"},
	    {"\x83\x50\x00\x00\x00\x01\x78", 7, "a compressed term"},
	    {"\x83\x58\x61\x01", 4, "a pid whose node is not an atom"},
	    {"\x83\x5a\x00\x09\x77\x01x", 7, "a reference of 9 words"},
	    {"\x83\x68\x02\x6a", 4, "a tuple short of an element"},
	    {"\x83", 1, "a version byte alone"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *copy = malloc(bad[i].n);
		memcpy(copy, bad[i].bytes, bad[i].n);
		ck_assert_msg(ot_term_open(&c, copy, bad[i].n) == OT_EBADTERM,
			      "%s", bad[i].what);
		ck_assert_msg(ot_term_format(copy, bad[i].n, out,
					     sizeof(out)) == OT_EBADTERM,
			      "%s", bad[i].what);
		free(copy);
	}
	ck_assert_ot_err(ot_term_open(NULL, "\x83\x6a", 2), OT_EINVAL);
	ck_assert_ot_err(ot_term_open(&c, NULL, 2), OT_EINVAL);
	ck_assert_ot_err(ot_term_open(&c, "\x83\x6a", (size_t)INT_MAX + 1),
			 OT_EBADTERM);
	ck_assert_ot_ok(ot_term_open(&c, "\x6a", 1)); /* no version byte */
}
END_TEST

/* A term nested 100,000 deep is read without recursion, and printed to
 * a bounded depth. */
START_TEST(test_deep)
{
	enum { DEPTH = 100000 };
	ot_term_buf b;
	ck_assert_ot_ok(ot_term_buf_init(&b));
	for (int i = 0; i < DEPTH; i++)
		ot_term_tuple(&b, 1);
	ck_assert_ot_ok(ot_term_nil(&b));
	const void *t;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	ot_term_cursor c;
	ck_assert_ot_ok(ot_term_open(&c, t, n));
	ck_assert_ot_ok(ot_term_skip(&c));
	char out[512];
	int len = ot_term_format(t, n, out, sizeof(out));
	ck_assert_int_gt(len, 0);
	ck_assert_ptr_nonnull(strstr(out, "{'...'}"));
	ot_term_buf_free(&b);
}
END_TEST

static void check_format(const char *want, ot_term_buf *b)
{
	const void *t;
	size_t n;
	char out[256];
	ck_assert_ot_ok(ot_term_buf_get(b, &t, &n));
	ck_assert_int_eq(ot_term_format(t, n, out, sizeof(out)),
			 (int)strlen(want));
	ck_assert_str_eq(out, want);
	ot_term_buf_free(b);
}

START_TEST(test_format)
{
	ot_term_buf b;
	build_sample(&b);
	check_format(
	    "{ok,<<\"shopping\">>,[1,2],#{a => -5},'EXIT',"
	    "1099511627776,<erl@127.0.0.1.42.1>,#Ref<1.2.3>,[],<<1,2>>,"
	    "[x|y]}",
	    &b);

	ot_term_buf_init(&b);
	ot_term_tuple(&b, 6);
	ot_term_atom(&b, "it's");
	ot_term_atom(&b, "case");
	ot_term_atom(&b, "a@b_C1");
	ot_term_atom(&b, "");
	ot_term_binary(&b, "say \"hi\"", 8);
	ot_term_binary(&b, NULL, 0);
	check_format("{'it\\'s','case',a@b_C1,'',<<\"say \\\"hi\\\"\">>,<<>>}",
		     &b);

	/* Truncated like snprintf: the whole length comes back. */
	ot_term_buf_init(&b);
	ot_term_atom(&b, "shopping");
	const void *t;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	char out[5];
	ck_assert_int_eq(ot_term_format(t, n, out, sizeof(out)), 8);
	ck_assert_str_eq(out, "shop");
	ck_assert_int_eq(ot_term_format(t, n, NULL, 0), 8);
	ck_assert_ot_err(ot_term_format(t, n, NULL, 1), OT_EINVAL);
	ot_term_buf_free(&b);

	/* Terms as Erlang encodes them: a string, a float, a big integer. */
	static const char str[] = "\x83\x6b\x00\x03"
				  "abc";
	ck_assert_int_eq(ot_term_format(str, sizeof(str) - 1, out, 5), 5);
	ck_assert_str_eq(out, "\"abc");
	static const char fl[] = "\x83\x46\x3f\xf8\0\0\0\0\0\0"; /* 1.5 */
	char longer[64];
	ck_assert_int_gt(
	    ot_term_format(fl, sizeof(fl) - 1, longer, sizeof(longer)), 0);
	ck_assert_str_eq(longer, "1.5");
}
END_TEST

/* ---- Through a real Erlang node ----------------------------------------- */

/* A term built here goes to Erlang and comes back with the way Erlang
 * prints it (~p), which ot_term_format() matches. */
START_TEST(test_erlang_round_trip)
{
	char e[1024], line[256], out[256];
	EXPR(e, "register(box, self()), io:format(\"ready~n\"), "
		"receive {echo, P, T} -> P ! {echoed, T, "
		"unicode:characters_to_binary(io_lib:format(\"~tp\", [T]))}, "
		"timer:sleep(500) "
		"after 10000 -> io:format(\"timeout~n\") end, halt().");
	erl_node node;
	erl_start_expecting(&node, e, "ready");

	ot_term_buf b;
	ck_assert_ot_ok(ot_term_buf_init(&b));
	ot_term_tuple(&b, 3);
	ot_term_atom(&b, "echo");
	ot_term_local_pid(&b, ot_self());
	ot_term_tuple(&b, 6);
	ot_term_atom(&b, "ok");
	ot_term_binary(&b, "shopping", 8);
	ot_term_list(&b, 2);
	ot_term_int(&b, 1);
	ot_term_int(&b, -((int64_t)1 << 40));
	ot_term_nil(&b);
	ot_term_map(&b, 1);
	ot_term_atom(&b, "a");
	ot_term_int(&b, 5);
	ot_term_atom(&b, "EXIT");
	ot_term_atom(&b, "\xc3\xa9t\xc3\xa9");
	const void *t;
	size_t n;
	ck_assert_ot_ok(ot_term_buf_get(&b, &t, &n));
	ck_assert_ot_ok(ot_dist_send_name(erl_name, "box", t, n));
	ot_term_buf_free(&b);

	ot_msg *msg = receive_term();
	const void *echoed, *printed;
	size_t elen, plen;
	ck_assert_ot_ok(ot_term_match(ot_msg_data(msg), ot_msg_size(msg),
				      "{echoed, %t, %b}", &echoed, &elen,
				      &printed, &plen));
	const void *bin;
	size_t blen;
	int64_t big;
	ot_term_cursor c;
	size_t len;
	ck_assert_ot_ok(ot_term_match(echoed, elen, "{ok, %b, _, _, 'EXIT', _}",
				      &bin, &blen));
	ck_assert(blen == 8 && memcmp(bin, "shopping", 8) == 0);
	ck_assert_ot_ok(ot_term_open(&c, echoed, elen));
	size_t arity;
	ck_assert_ot_ok(ot_term_get_tuple(&c, &arity));
	ck_assert_ot_ok(ot_term_skip(&c));
	ck_assert_ot_ok(ot_term_skip(&c));
	ck_assert_ot_ok(ot_term_get_list(&c, &len));
	ck_assert_ot_ok(ot_term_scan(&c, "1"));
	ck_assert_ot_ok(ot_term_get_int(&c, &big));
	ck_assert_int_eq(big, -((int64_t)1 << 40));

	char mine[256];
	ck_assert_int_gt(ot_term_format(echoed, elen, mine, sizeof(mine)), 0);
	ck_assert_uint_lt(plen, sizeof(line));
	memcpy(line, printed, plen);
	line[plen] = '\0';
	ck_assert_str_eq(mine, line);
	ot_msg_free(msg);
	ck_assert_int_eq(erl_finish(&node, out, sizeof(out)), 0);
}
END_TEST

static Suite *term_suite(void)
{
	Suite *s = suite_create("dist_term");
	TCase *tc = ot_test_tcase("term", 30);
	tcase_add_test(tc, test_build_and_read);
	tcase_add_test(tc, test_match);
	tcase_add_test(tc, test_build_errors);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_deep);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	if (erl_available()) {
		TCase *erl = ot_test_tcase("erlang", 60);
		tcase_add_checked_fixture(erl, dist_setup, dist_teardown);
		tcase_add_test(erl, test_erlang_round_trip);
		suite_add_tcase(s, erl);
	}
	return s;
}

int main(void)
{
	return ot_test_run(term_suite());
}
