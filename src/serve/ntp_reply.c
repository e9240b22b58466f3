#include "serve/ntp_reply.h"

#include <string.h>

/* Random bits below the clock precision: a precision of 2^p s leaves 32 + p fraction bits
 * that carry no information, so they are filled with noise (as chronyd does) instead of
 * revealing the clock's internals. */
static uint32_t fuzz_mask(int8_t precision)
{
    int bits = 32 + precision;
    if (bits <= 0)
        return 0;
    if (bits >= 32)
        return 0xffffffffU;
    return (1U << bits) - 1;
}

ntp_ts ntp_reply_rx_timestamp(const struct timespec *rx_time, int8_t precision, uint32_t fuzz,
                              ntp_ts origin, struct ntp_reply_history *hist)
{
    ntp_ts rx = ntp_ts_from_timespec(rx_time) + (fuzz & fuzz_mask(precision));
    rx |= 1; /* marks "this is my receive timestamp" for interleaved detection */
    while (rx == origin || rx == hist->last_rx)
        rx += 2;
    hist->last_rx = rx;
    return rx;
}

void ntp_reply_build(const struct ntp_reply_input *in, struct ntp_reply_history *hist,
                     uint8_t out[NTP_HEADER_LEN])
{
    const struct ntp_header *req = &in->request->h;
    struct reference_params ref;
    struct ntp_header h;

    reference_params_at(in->reference, &in->rx_time, &ref);
    memset(&h, 0, sizeof(h));
    h.version = req->version;
    h.mode = NTP_MODE_SERVER;
    h.poll = req->poll;
    if (in->ratelimit_enabled && h.poll < in->ratelimit_interval)
        h.poll = (int8_t)in->ratelimit_interval;
    h.precision = in->precision;
    if (in->kod_rate) {
        h.leap = NTP_LEAP_UNSYNC;
        h.stratum = 0;
        h.refid = NTP_KISS_RATE;
    } else {
        h.leap = ref.leap;
        h.stratum = ref.stratum;
        h.refid = ref.refid;
    }
    h.root_delay = ntp_short_from_double(ref.root_delay);
    h.root_dispersion = ntp_short_from_double(ref.root_dispersion);
    if (ref.ref_time.tv_sec != 0 || ref.ref_time.tv_nsec != 0)
        h.reference_ts = ntp_ts_from_timespec(&ref.ref_time);
    h.origin_ts = req->transmit_ts;
    h.receive_ts =
        ntp_reply_rx_timestamp(&in->rx_time, in->precision, in->rx_fuzz, h.origin_ts, hist);
    h.transmit_ts = 0;
    ntp_header_encode(&h, out);
}

void ntp_reply_stamp_transmit(uint8_t *out, const struct timespec *tx_time, int8_t precision,
                              struct ntp_reply_history *hist, uint32_t (*random)(void *),
                              void *random_ctx)
{
    ntp_ts base = ntp_ts_from_timespec(tx_time);
    ntp_ts origin = rd64(out + 24);
    ntp_ts rx = rd64(out + 32);
    uint32_t mask = fuzz_mask(precision);
    ntp_ts tx = (base + (random(random_ctx) & mask)) & ~(ntp_ts)1;
    /* Regenerate on a collision; with no fuzz bits to vary, step by 2 units instead. */
    for (int tries = 0; tx == rx || tx == origin || tx == hist->last_tx; tries++) {
        if (mask > 1 && tries < 4)
            tx = (base + (random(random_ctx) & mask)) & ~(ntp_ts)1;
        else
            tx += 2;
    }
    hist->last_tx = tx;
    wr64(out + 40, tx);
}
