/* Unit tests for the server reply builder: every header field as chronyd fills it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "serve/ntp_reply.h"

static uint32_t counter_random(void *ctx)
{
    uint32_t *c = ctx;
    return (*c)++ * 2654435761U;
}

static uint32_t zero_random(void *ctx)
{
    (void)ctx;
    return 0;
}

static struct ntp_packet_view request(int version, int poll, ntp_ts transmit)
{
    struct ntp_packet_view v;
    memset(&v, 0, sizeof(v));
    v.h.version = (uint8_t)version;
    v.h.mode = NTP_MODE_CLIENT;
    v.h.poll = (int8_t)poll;
    v.h.transmit_ts = transmit;
    v.length = 48;
    return v;
}

static void decode(const uint8_t *buf, struct ntp_header *h)
{
    assert_int_equal(ntp_header_decode(buf, NTP_HEADER_LEN, h), NTP_OK);
}

static void local_reference_reply(void **state)
{
    (void)state;
    struct ntp_packet_view req = request(4, 6, 0x1122334455667788ULL);
    struct reference_snapshot ref = {
        .mode = REFERENCE_LOCAL, .stratum = 10, .ref_time = {1795685770, 0}};
    struct ntp_reply_input in = {.request = &req,
                                 .reference = &ref,
                                 .rx_time = {1795685771, 123456789},
                                 .precision = -25,
                                 .rx_fuzz = 0};
    struct ntp_reply_history hist = {0};
    uint8_t out[NTP_HEADER_LEN];
    uint32_t c = 1;
    struct ntp_header h;

    ntp_reply_build(&in, &hist, out);
    struct timespec tx = {1795685771, 123500000};
    ntp_reply_stamp_transmit(out, &tx, -25, &hist, counter_random, &c);
    decode(out, &h);
    assert_int_equal(h.leap, NTP_LEAP_NONE);
    assert_int_equal(h.version, 4);
    assert_int_equal(h.mode, NTP_MODE_SERVER);
    assert_int_equal(h.stratum, 10);
    assert_int_equal(h.poll, 6);
    assert_int_equal(h.precision, -25);
    assert_int_equal(h.root_delay, 0);
    assert_int_equal(h.root_dispersion, 0);
    assert_int_equal(h.refid, 0x7F7F0101U);
    assert_int_equal(h.reference_ts, ntp_ts_from_timespec(&ref.ref_time));
    assert_int_equal(h.origin_ts, 0x1122334455667788ULL);
    /* RX low bit set, TX low bit clear (chronyd's interleaved marker). */
    assert_int_equal(h.receive_ts & 1, 1);
    assert_int_equal(h.transmit_ts & 1, 0);
    /* Within the precision (2^-25 s = 128 fraction units) of the true times. */
    double rx_err = ntp_ts_diff(h.receive_ts, ntp_ts_from_timespec(&in.rx_time));
    double tx_err = ntp_ts_diff(h.transmit_ts, ntp_ts_from_timespec(&tx));
    assert_true(rx_err >= 0 && rx_err < ldexp(1, -25) + ldexp(1, -32));
    assert_true(tx_err >= -ldexp(1, -32) && tx_err < ldexp(1, -25));
}

static void unsynchronised_reply(void **state)
{
    (void)state;
    struct ntp_packet_view req = request(3, -3, 42);
    struct reference_snapshot ref = {.mode = REFERENCE_UNSYNC};
    struct ntp_reply_input in = {
        .request = &req, .reference = &ref, .rx_time = {1800000000, 0}, .precision = -20};
    struct ntp_reply_history hist = {0};
    uint8_t out[NTP_HEADER_LEN];
    struct ntp_header h;

    ntp_reply_build(&in, &hist, out);
    decode(out, &h);
    assert_int_equal(h.leap, NTP_LEAP_UNSYNC);
    assert_int_equal(h.version, 3); /* echoed */
    assert_int_equal(h.stratum, 0);
    assert_int_equal(h.refid, 0);
    assert_int_equal(h.root_delay, 0x00010000);
    assert_int_equal(h.root_dispersion, 0x00010000);
    assert_int_equal(h.reference_ts, 0);
    assert_int_equal(h.poll, -3);
}

static void synchronised_reply_grows_dispersion(void **state)
{
    (void)state;
    struct ntp_packet_view req = request(4, 10, 7);
    struct reference_snapshot ref = {.mode = REFERENCE_SYNCED,
                                     .leap = NTP_LEAP_INSERT,
                                     .stratum = 3,
                                     .refid = 0xC0A80101,
                                     .ref_time = {1800000000, 0},
                                     .root_delay = 0.010,
                                     .root_dispersion = 0.001,
                                     .dispersion_rate = 1e-5};
    struct ntp_reply_input in = {
        .request = &req, .reference = &ref, .rx_time = {1800000100, 0}, .precision = -20};
    struct ntp_reply_history hist = {0};
    uint8_t out[NTP_HEADER_LEN];
    struct ntp_header h;

    ntp_reply_build(&in, &hist, out);
    decode(out, &h);
    assert_int_equal(h.leap, NTP_LEAP_INSERT);
    assert_int_equal(h.stratum, 3);
    assert_int_equal(h.refid, 0xC0A80101);
    /* 0.001 + 100 s * 1e-5 = 0.002 s -> ceil(0.002 * 65536) = 132 */
    assert_int_equal(h.root_dispersion, 132);
    assert_int_equal(h.root_delay, 656); /* ceil(0.01 * 65536) */
}

static void kod_rate_and_ratelimit_poll(void **state)
{
    (void)state;
    struct ntp_packet_view req = request(4, -2, 99);
    struct reference_snapshot ref = {.mode = REFERENCE_LOCAL, .stratum = 8};
    struct ntp_reply_input in = {.request = &req,
                                 .reference = &ref,
                                 .rx_time = {1800000000, 0},
                                 .precision = -20,
                                 .ratelimit_enabled = true,
                                 .ratelimit_interval = 1,
                                 .kod_rate = true};
    struct ntp_reply_history hist = {0};
    uint8_t out[NTP_HEADER_LEN];
    struct ntp_header h;

    ntp_reply_build(&in, &hist, out);
    decode(out, &h);
    assert_int_equal(h.leap, NTP_LEAP_UNSYNC);
    assert_int_equal(h.stratum, 0);
    assert_int_equal(h.refid, NTP_KISS_RATE);
    assert_int_equal(h.poll, 1); /* raised to the rate-limit interval */
    assert_int_equal(h.origin_ts, 99);
    /* Without rate limiting the poll is echoed as is. */
    in.ratelimit_enabled = false;
    in.kod_rate = false;
    ntp_reply_build(&in, &hist, out);
    decode(out, &h);
    assert_int_equal(h.poll, -2);
    assert_int_equal(h.stratum, 8);
}

static void timestamps_never_repeat(void **state)
{
    (void)state;
    /* Two requests in the same nanosecond, no fuzz bits (precision -32): RX and TX still
     * differ from each other, from the origin and from the previous reply's. */
    struct timespec t = {1800000000, 5};
    ntp_ts same = ntp_ts_from_timespec(&t) | 1;
    struct ntp_packet_view req = request(4, 0, same);
    struct reference_snapshot ref = {.mode = REFERENCE_LOCAL, .stratum = 8};
    struct ntp_reply_input in = {
        .request = &req, .reference = &ref, .rx_time = t, .precision = -32};
    struct ntp_reply_history hist = {0};
    uint8_t a[NTP_HEADER_LEN], b[NTP_HEADER_LEN];
    struct ntp_header ha, hb;

    ntp_reply_build(&in, &hist, a);
    ntp_reply_stamp_transmit(a, &t, -32, &hist, zero_random, NULL);
    ntp_reply_build(&in, &hist, b);
    ntp_reply_stamp_transmit(b, &t, -32, &hist, zero_random, NULL);
    decode(a, &ha);
    decode(b, &hb);
    assert_true(ha.receive_ts != ha.origin_ts);
    assert_true(ha.transmit_ts != ha.receive_ts);
    assert_true(hb.receive_ts != ha.receive_ts);
    assert_true(hb.transmit_ts != ha.transmit_ts);
    assert_true(hb.transmit_ts != hb.receive_ts && hb.transmit_ts != hb.origin_ts);
    assert_int_equal(hb.receive_ts & 1, 1);
    assert_int_equal(hb.transmit_ts & 1, 0);
}

static void era1_reference_time(void **state)
{
    (void)state;
    /* After the 2036 rollover the wire seconds restart from 0. */
    struct ntp_packet_view req = request(4, 6, 1);
    struct reference_snapshot ref = {
        .mode = REFERENCE_LOCAL, .stratum = 10, .ref_time = {2085978496LL + 100, 0}};
    struct ntp_reply_input in = {
        .request = &req, .reference = &ref, .rx_time = {2085978496LL + 101, 0}, .precision = -20};
    struct ntp_reply_history hist = {0};
    uint8_t out[NTP_HEADER_LEN];
    struct ntp_header h;
    ntp_reply_build(&in, &hist, out);
    decode(out, &h);
    assert_int_equal(h.reference_ts >> 32, 100);
    assert_int_equal(h.receive_ts >> 32, 101);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(local_reference_reply),
        cmocka_unit_test(unsynchronised_reply),
        cmocka_unit_test(synchronised_reply_grows_dispersion),
        cmocka_unit_test(kod_rate_and_ratelimit_poll),
        cmocka_unit_test(timestamps_never_repeat),
        cmocka_unit_test(era1_reference_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
