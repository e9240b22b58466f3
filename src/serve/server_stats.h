/* Server statistics: every counter of `chronyc serverstats` (the 4.4+ RPY_SERVER_STATS4
 * set, inventory 2.9 and 3.8) as 64-bit counters, plus tock's own counts of what the
 * server path drops silently. Plain data: the socket path and the client log increment it,
 * the command server and the metrics endpoint read it.
 *
 * Who counts what:
 *   - clientlog_access() (serve/clientlog.h): ntp_hits, nke_hits, cmd_hits, ntp_drops,
 *     nke_drops, cmd_drops, log_drops. Nobody else touches those.
 *   - the daemon: everything else, at the point the event happens.
 *
 * chronyd's counting rules, which the daemon follows:
 *   - "NTP packets received" (ntp_hits) counts requests that passed parsing, the access
 *     check and the mode check, including those then dropped by rate limiting;
 *   - "Command packets received" includes Unix-socket requests;
 *   - ntp_auth_hits: requests with a valid MAC or NTS;
 *   - ntp_interleaved_hits: replies actually sent in interleaved mode;
 *   - ntp_timestamps / ntp_span_seconds: current size and RX-time span of the interleaved
 *     RX->TX map (gauges, set rather than incremented);
 *   - the six timestamp counters count the source of the RX and TX timestamp used in each
 *     reply (a basic-mode reply counts one daemon TX timestamp).
 */
#ifndef TOCK_SERVE_SERVER_STATS_H
#define TOCK_SERVE_SERVER_STATS_H

#include <stdint.h>

/* Why the server path dropped a packet without replying (tock's own counters; chronyd
 * keeps none of these). */
enum server_drop_reason {
    SERVER_DROP_BAD_LENGTH,  /* < 48 bytes, not a multiple of 4, or too long */
    SERVER_DROP_BAD_VERSION, /* version 0 or 5..7 */
    SERVER_DROP_BAD_MODE,    /* modes 0 (unless v1 from port != 123), 2, 4, 5 */
    SERVER_DROP_CONTROL,     /* mode 6 (ntpq) and 7 (ntpdc): never answered */
    SERVER_DROP_BAD_EXT,     /* malformed extension field or trailer */
    SERVER_DROP_DENIED,      /* refused by allow/deny */
    SERVER_DROP_BAD_AUTH,    /* unknown key, wrong MAC, crypto-NAK */
    SERVER_DROP_N
};

struct server_stats {
    /* chronyc serverstats, in RPY_SERVER_STATS4 wire order. */
    uint64_t ntp_hits;             /* NTP packets received */
    uint64_t nke_hits;             /* NTS-KE connections accepted */
    uint64_t cmd_hits;             /* Command packets received */
    uint64_t ntp_drops;            /* NTP packets dropped (rate limiting) */
    uint64_t nke_drops;            /* NTS-KE connections dropped */
    uint64_t cmd_drops;            /* Command packets dropped */
    uint64_t log_drops;            /* Client log records dropped */
    uint64_t ntp_auth_hits;        /* Authenticated NTP packets */
    uint64_t ntp_interleaved_hits; /* Interleaved NTP packets */
    uint64_t ntp_timestamps;       /* NTP timestamps held (gauge) */
    uint64_t ntp_span_seconds;     /* NTP timestamp span (gauge) */
    uint64_t ntp_daemon_rx_timestamps;
    uint64_t ntp_daemon_tx_timestamps;
    uint64_t ntp_kernel_rx_timestamps;
    uint64_t ntp_kernel_tx_timestamps;
    uint64_t ntp_hw_rx_timestamps;
    uint64_t ntp_hw_tx_timestamps;

    /* tock: NTP packets dropped silently before the rate limiter, by reason. */
    uint64_t dropped[SERVER_DROP_N];
    /* tock: command packets from UDP senders that cmdallow/cmddeny refuse (dropped
     * silently and, as in chronyd, not in cmd_hits). */
    uint64_t cmd_denied;
};

/* The source of a packet timestamp, as chronyd's 'D', 'K', 'H'. */
enum server_ts_source { SERVER_TS_DAEMON, SERVER_TS_KERNEL, SERVER_TS_HARDWARE };

/* Counts the timestamp sources of one reply. */
static inline void server_stats_count_timestamps(struct server_stats *s, enum server_ts_source rx,
                                                 enum server_ts_source tx)
{
    switch (rx) {
    case SERVER_TS_DAEMON:
        s->ntp_daemon_rx_timestamps++;
        break;
    case SERVER_TS_KERNEL:
        s->ntp_kernel_rx_timestamps++;
        break;
    case SERVER_TS_HARDWARE:
        s->ntp_hw_rx_timestamps++;
        break;
    }
    switch (tx) {
    case SERVER_TS_DAEMON:
        s->ntp_daemon_tx_timestamps++;
        break;
    case SERVER_TS_KERNEL:
        s->ntp_kernel_tx_timestamps++;
        break;
    case SERVER_TS_HARDWARE:
        s->ntp_hw_tx_timestamps++;
        break;
    }
}

/* A stable lower-case name for a drop reason (metrics labels, logs). */
static inline const char *server_drop_reason_name(enum server_drop_reason r)
{
    switch (r) {
    case SERVER_DROP_BAD_LENGTH:
        return "bad_length";
    case SERVER_DROP_BAD_VERSION:
        return "bad_version";
    case SERVER_DROP_BAD_MODE:
        return "bad_mode";
    case SERVER_DROP_CONTROL:
        return "mode_6_7";
    case SERVER_DROP_BAD_EXT:
        return "bad_extension_field";
    case SERVER_DROP_DENIED:
        return "denied";
    case SERVER_DROP_BAD_AUTH:
        return "bad_auth";
    case SERVER_DROP_N:
        break;
    }
    return "unknown";
}

#endif
