/* Building the server's reply to a client request (mode 3 -> mode 4), field by field as
 * chronyd fills them (inventory 7.2, gotchas 8, 9, 11). Pure: the caller supplies the
 * reference state, the receive time, the random bits and, at the last moment, the
 * transmit time. The transmit timestamp is written separately so the caller can read the
 * clock as late as possible, just before sendmsg(). */
#ifndef TOCK_SERVE_NTP_REPLY_H
#define TOCK_SERVE_NTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto/ntp_packet.h"
#include "serve/reference.h"

struct ntp_reply_input {
    const struct ntp_packet_view *request;
    const struct reference_snapshot *reference;
    struct timespec rx_time; /* when the request arrived (cooked, kernel timestamp) */
    int8_t precision;        /* log2 s of our clock */
    bool ratelimit_enabled;  /* raises the poll field to ratelimit_interval */
    int ratelimit_interval;
    bool kod_rate;    /* answer with a KoD RATE instead */
    uint32_t rx_fuzz; /* random bits for the receive timestamp */
};

/* Server-wide memory of the last timestamps sent, so that a receive timestamp never equals
 * the previous one and a transmit timestamp never repeats (chronyd's rule). */
struct ntp_reply_history {
    ntp_ts last_rx;
    ntp_ts last_tx;
};

/* Writes the 48-byte reply header into out with every field but the transmit timestamp
 * (left zero until ntp_reply_stamp_transmit). */
void ntp_reply_build(const struct ntp_reply_input *in, struct ntp_reply_history *hist,
                     uint8_t out[NTP_HEADER_LEN]);

/* Fills the transmit timestamp of a reply built by ntp_reply_build: tx_time plus random
 * bits below the precision, lowest bit cleared (the receive timestamp's is set, so an
 * interleaved client quoting our RX can be told apart), never equal to the reply's
 * receive or origin timestamps or the previous transmit. `random` supplies fresh 32-bit
 * values (called at least once). */
void ntp_reply_stamp_transmit(uint8_t *out, const struct timespec *tx_time, int8_t precision,
                              struct ntp_reply_history *hist, uint32_t (*random)(void *),
                              void *random_ctx);

/* The receive timestamp with fuzz below the precision and its low bit set; differs from
 * origin and from hist->last_rx (then updated). Exposed for tests. */
ntp_ts ntp_reply_rx_timestamp(const struct timespec *rx_time, int8_t precision, uint32_t fuzz,
                              ntp_ts origin, struct ntp_reply_history *hist);

#endif
