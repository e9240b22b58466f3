/* The NTP server: the sockets on `port` (one per address family, at `bindaddress`), and the
 * serving path socket -> RX timestamp -> parse -> checks -> reply builder -> TX timestamp
 * -> send. No allocation per packet; every silent drop is counted. */
#ifndef TOCK_DAEMON_NTP_SERVER_H
#define TOCK_DAEMON_NTP_SERVER_H

#include <stdint.h>

#include "daemon/daemon.h"

/* Why a request got no reply, one counter each (reported by tockctl and metrics). */
struct ntp_server_counters {
    uint64_t received; /* datagrams read from the server sockets */
    uint64_t replied;
    uint64_t drop_short;     /* < 48 bytes */
    uint64_t drop_align;     /* length not a multiple of 4 */
    uint64_t drop_long;      /* longer than tockd reads */
    uint64_t drop_version;   /* version not 1..4 */
    uint64_t drop_ext_field; /* malformed extension fields or MAC trailer */
    uint64_t drop_mode;      /* not a client request (mode 6/7 control included) */
    uint64_t drop_control;   /* of which mode 6 or 7 */
    uint64_t drop_auth;      /* MAC with no usable key, crypto-NAK */
    uint64_t drop_nts;       /* NTS fields while no NTS server runs */
    uint64_t send_errors;
};

/* Opens the server sockets when the configuration serves anyone (port != 0 and at least
 * one `allow`). Returns 0 (also when there is nothing to open) or -1 after logging a fatal
 * error (e.g. the port is taken). */
int ntp_server_start(struct tockd *d);
void ntp_server_stop(struct tockd *d);
const struct ntp_server_counters *ntp_server_counters(const struct tockd *d);

#endif
