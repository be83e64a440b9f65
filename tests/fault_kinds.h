/* SPDX-License-Identifier: MIT */
/*
 * fault_kinds.h — the faults the suites commit (faults.h commits them;
 * expect.h checks the reasons they give), with their names.
 */
#ifndef OTTER_TESTS_FAULT_KINDS_H
#define OTTER_TESTS_FAULT_KINDS_H

enum fault { F_NULL_WRITE, F_DIV_ZERO, F_ABORT, F_ASSERT, F_OVERFLOW, F_COUNT };

__attribute__((unused)) static const char *const fault_names[] = {
    "NULL write", "divide by zero", "abort", "assert", "stack overflow"};

#endif /* OTTER_TESTS_FAULT_KINDS_H */
