/* The NTP server: the sockets on `port` (one per address family, at `bindaddress`), and the
 * serving path socket -> RX timestamp -> parse -> access check -> client log and rate
 * limit -> MAC check -> reply builder -> TX timestamp -> MAC -> send. No allocation per
 * packet; every silent drop is counted in d->stats (serve/server_stats.h). */
#ifndef TOCK_DAEMON_NTP_SERVER_H
#define TOCK_DAEMON_NTP_SERVER_H

#include <stdint.h>

#include "daemon/daemon.h"

/* Opens the server sockets when the configuration serves anyone (port != 0 and at least
 * one `allow`). Returns 0 (also when there is nothing to open) or -1 after logging a fatal
 * error (e.g. the port is taken). */
int ntp_server_start(struct tockd *d);
void ntp_server_stop(struct tockd *d);

#endif
