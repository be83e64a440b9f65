/* SPDX-License-Identifier: MIT */
/*
 * otter.h — the umbrella header: everything otter offers.
 *
 *   otter/base.h    pids, timeouts, the export macro
 *   otter/version.h the version: OTTER_VERSION_*, ot_version()
 *   otter/error.h   error codes, ot_strerror(), ot_err_name()
 *   otter/reason.h  exit reasons
 *   otter/log.h     reports (crash, server, supervisor, progress) and the
 *                   loggers they go to: stderr, syslog, journald, yours
 *   otter/proc.h    the runtime, processes, messages, links, monitors,
 *                   crash trapping, timers, names
 *   otter/io.h      waiting for fds; read, write, accept, connect that
 *                   park a process instead of its scheduler thread
 *   otter/gen_server.h  generic servers (gen_server / GenServer)
 *   otter/supervisor.h  supervisors (supervisor / Supervisor,
 *                       DynamicSupervisor)
 *   otter/run.h     a daemon's main: ot_run() runs a tree until SIGTERM
 *   otter/observer.h    the observer: a control socket (otterctl) and a
 *                       live dashboard over HTTP
 */
#ifndef OTTER_H
#define OTTER_H

#include <otter/base.h>
#include <otter/version.h>
#include <otter/error.h>
#include <otter/reason.h>
#include <otter/log.h>
#include <otter/proc.h>
#include <otter/info.h>
#include <otter/timer.h>
#include <otter/io.h>
#include <otter/remote.h>
#include <otter/gen_server.h>
#include <otter/gen_server_client.h>
#include <otter/supervisor.h>
#include <otter/run.h>
#include <otter/observer.h>

#endif /* OTTER_H */
