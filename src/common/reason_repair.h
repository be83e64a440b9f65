/* SPDX-License-Identifier: MIT */
/*
 * reason_repair.h — the runtime's side of reason checking: a reason that
 * must be taken whatever it is (ot_exit ends the caller) is repaired.
 */
#ifndef OTTER_COMMON_REASON_REPAIR_H
#define OTTER_COMMON_REASON_REPAIR_H

#include <otter/reason.h>

/* A well-formed copy of r (see ot_reason_check): its text cut to
 * OT_REASON_TEXT_MAX bytes, emptied on a kind that has none; an unknown
 * kind becomes {error,OT_EINVAL,"bad reason kind N"}. */
ot_reason ot__reason_repaired(const ot_reason *r);

#endif /* OTTER_COMMON_REASON_REPAIR_H */
