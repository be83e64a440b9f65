/* SPDX-License-Identifier: MIT */
/*
 * call.c — gen_server calls (and casts) that come from another node. gen:call
 * sends
 * {'$gen_call', {From, Tag}, Request} and waits for {Tag, Reply}; Tag is
 * a reference, or [alias|Ref] since OTP 24 (gen:reply then sends to the
 * alias; the caller's receive matches {Tag, _} whichever way the reply
 * comes, so it is sent to From here). The tag is kept as the bytes that
 * came, so that any tag a later OTP makes is answered as well.
 */
#include <limits.h>
#include <string.h>

#include "node.h"

OT_API int ot_dist_call_parse(const void *term, size_t size, ot_dist_from *from,
			      size_t *request)
{
	if (!term || !from || !request || size == 0 || size > INT_MAX)
		return OT_EINVAL;
	const char *b = term;
	int i = 0, version, arity;
	char atom[MAXATOMLEN];
	/* ei's decoders take no bound: the term must be whole (the node
	 * delivers whole terms); size checks that Request ends it. */
	if (ei_decode_version(b, &i, &version) ||
	    ei_decode_tuple_header(b, &i, &arity) || arity != 3 ||
	    ei_decode_atom(b, &i, atom) || strcmp(atom, "$gen_call") != 0 ||
	    ei_decode_tuple_header(b, &i, &arity) || arity != 2)
		return OT_EINVAL;
	erlang_pid pid;
	if (ei_decode_pid(b, &i, &pid))
		return OT_EINVAL;
	int tag = i;
	if (ei_skip_term(b, &i) || (size_t)i > size)
		return OT_EINVAL;
	size_t tag_size = (size_t)(i - tag);
	int req = i;
	if (ei_skip_term(b, &i) || (size_t)i != size)
		return OT_EINVAL;
	if (tag_size > OT_DIST_CALL_TAG_MAX)
		return OT_ETOOBIG;
	from->pid = pid;
	from->tag_size = tag_size;
	memcpy(from->tag, b + tag, tag_size);
	*request = (size_t)req;
	return 0;
}

OT_API int ot_dist_reply(const ot_dist_from *from, const void *reply,
			 size_t size)
{
	if (!from || !reply || size < 2 || size > INT_MAX ||
	    from->tag_size == 0 || from->tag_size > OT_DIST_CALL_TAG_MAX)
		return OT_EINVAL;
	const char *r = reply;
	int i = 0, version;
	if (ei_decode_version(r, &i, &version))
		return OT_EINVAL;
	ei_x_buff x;
	if (ei_x_new_with_version(&x))
		return OT_ENOMEM;
	int rc = OT_ENOMEM;
	if (!ei_x_encode_tuple_header(&x, 2) &&
	    !ei_x_append_buf(&x, from->tag, (int)from->tag_size) &&
	    !ei_x_append_buf(&x, r + i, (int)(size - (size_t)i)))
		rc = ot_dist_send(&from->pid, x.buff, (size_t)x.index);
	ei_x_free(&x);
	return rc;
}

OT_API int ot_dist_cast_parse(const void *term, size_t size, size_t *request)
{
	if (!term || !request || size == 0 || size > INT_MAX)
		return OT_EINVAL;
	const char *b = term;
	int i = 0, version, arity;
	char atom[MAXATOMLEN];
	if (ei_decode_version(b, &i, &version) ||
	    ei_decode_tuple_header(b, &i, &arity) || arity != 2 ||
	    ei_decode_atom(b, &i, atom) || strcmp(atom, "$gen_cast") != 0)
		return OT_EINVAL;
	int req = i;
	if (ei_skip_term(b, &i) || (size_t)i != size)
		return OT_EINVAL;
	*request = (size_t)req;
	return 0;
}
