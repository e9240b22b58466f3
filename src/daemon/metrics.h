/* The Prometheus metrics endpoint (`metricsport PORT`, `bindmetricsaddress ADDRESS`;
 * 127.0.0.1 and ::1 by default; off unless metricsport is set): plain HTTP/1.0
 * `GET /metrics` over TCP, handled in the event loop.
 *
 * Access: the peer must pass cmdallow/cmddeny (loopback always may), as for the UDP
 * command port; others are disconnected at once. Bounds: METRICS_MAX_CONNECTIONS at a
 * time (more are disconnected at once), METRICS_MAX_REQUEST bytes of request, and
 * METRICS_TIMEOUT seconds per connection; each connection slot has a response buffer
 * allocated at start (grown only if `reload sources` adds sources), so a scrape allocates
 * nothing. The values come from the same callbacks that answer chronyc (cmd_backend.c),
 * so they agree with `tockctl -j`.
 *
 * In -d mode it keeps to doc/simulation.md: socket() without type flags, then fcntl;
 * accept() then fcntl (no accept4); data through recv()/send().
 */
#ifndef TOCK_DAEMON_METRICS_H
#define TOCK_DAEMON_METRICS_H

#include "daemon/daemon.h"

#define METRICS_MAX_CONNECTIONS 4
#define METRICS_MAX_REQUEST     2048
#define METRICS_TIMEOUT         10.0

/* Opens the listening sockets. Returns -1 only when the port is taken (fatal, as for the
 * command port); an address family that cannot be opened is a warning. */
int tockd_metrics_start(struct tockd *d);
void tockd_metrics_stop(struct tockd *d);

#endif
