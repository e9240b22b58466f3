/* Unit tests for src/proto/ntp_packet.c: header codec, extension fields, MAC trailers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/ntp_packet.h"

/* A client request as ntpdig sends it: LI 0, VN 4, mode 3, transmit set. */
static size_t make_request(uint8_t *buf, int version, int mode)
{
    struct ntp_header h = {0};
    h.version = (uint8_t)version;
    h.mode = (uint8_t)mode;
    h.poll = 6;
    h.precision = -20;
    h.transmit_ts = 0xE8F1A2B3C4D5E6F7ULL;
    ntp_header_encode(&h, buf);
    return NTP_HEADER_LEN;
}

static void header_round_trip(void **state)
{
    (void)state;
    uint8_t buf[NTP_HEADER_LEN];
    struct ntp_header h = {.leap = 3,
                           .version = 4,
                           .mode = 4,
                           .stratum = 2,
                           .poll = -3,
                           .precision = -25,
                           .root_delay = 0x00012345,
                           .root_dispersion = 0xfedcba98,
                           .refid = NTP_KISS_RATE,
                           .reference_ts = 1,
                           .origin_ts = 0x0102030405060708ULL,
                           .receive_ts = 0xffffffffffffffffULL,
                           .transmit_ts = 0x8000000000000000ULL};
    ntp_header_encode(&h, buf);
    assert_int_equal(buf[0], 0xe4); /* 11 100 100 */
    assert_int_equal(buf[2], 0xfd);
    assert_memory_equal(buf + 12, "RATE", 4);
    struct ntp_header d;
    assert_int_equal(ntp_header_decode(buf, sizeof(buf), &d), NTP_OK);
    assert_int_equal(d.leap, h.leap);
    assert_int_equal(d.version, h.version);
    assert_int_equal(d.mode, h.mode);
    assert_int_equal(d.stratum, h.stratum);
    assert_int_equal(d.poll, h.poll);
    assert_int_equal(d.precision, h.precision);
    assert_int_equal(d.root_delay, h.root_delay);
    assert_int_equal(d.root_dispersion, h.root_dispersion);
    assert_int_equal(d.refid, h.refid);
    assert_int_equal(d.reference_ts, h.reference_ts);
    assert_int_equal(d.origin_ts, h.origin_ts);
    assert_int_equal(d.receive_ts, h.receive_ts);
    assert_int_equal(d.transmit_ts, h.transmit_ts);
    assert_int_equal(ntp_header_decode(buf, 47, &d), NTP_ERR_SHORT);
}

static void plain_request_parses(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    struct ntp_packet_view v;
    size_t len = make_request(buf, 4, NTP_MODE_CLIENT);
    assert_int_equal(ntp_packet_parse(buf, len, &v), NTP_OK);
    assert_int_equal(v.h.mode, NTP_MODE_CLIENT);
    assert_int_equal(v.h.version, 4);
    assert_int_equal(v.n_ext, 0);
    assert_int_equal(v.auth, NTP_AUTH_NONE);
    assert_int_equal(v.h.transmit_ts, 0xE8F1A2B3C4D5E6F7ULL);
}

static void bad_lengths_and_versions(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN + 8] = {0};
    struct ntp_packet_view v;
    make_request(buf, 4, NTP_MODE_CLIENT);
    for (size_t len = 0; len < NTP_HEADER_LEN; len++)
        assert_int_equal(ntp_packet_parse(buf, len, &v), NTP_ERR_SHORT);
    assert_int_equal(ntp_packet_parse(buf, 49, &v), NTP_ERR_ALIGN);
    assert_int_equal(ntp_packet_parse(buf, 50, &v), NTP_ERR_ALIGN);
    assert_int_equal(ntp_packet_parse(buf, NTP_MAX_PACKET_LEN + 4, &v), NTP_ERR_LONG);
    make_request(buf, 0, NTP_MODE_CLIENT);
    assert_int_equal(ntp_packet_parse(buf, 48, &v), NTP_ERR_VERSION);
    make_request(buf, 5, NTP_MODE_CLIENT);
    assert_int_equal(ntp_packet_parse(buf, 48, &v), NTP_ERR_VERSION);
    for (int ver = 1; ver <= 4; ver++) {
        make_request(buf, ver, NTP_MODE_CLIENT);
        assert_int_equal(ntp_packet_parse(buf, 48, &v), NTP_OK);
    }
    /* Modes are the caller's business: mode 6 and 7 parse, the server drops them. */
    make_request(buf, 2, NTP_MODE_CONTROL);
    assert_int_equal(ntp_packet_parse(buf, 48, &v), NTP_OK);
    assert_int_equal(v.h.mode, 6);
}

static void v4_mac_and_crypto_nak(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    struct ntp_packet_view v;
    make_request(buf, 4, NTP_MODE_CLIENT);
    /* key id 7 + 16-byte digest (MD5/AES-CMAC) and + 20-byte digest (SHA1 truncated). */
    wr32(buf + 48, 7);
    assert_int_equal(ntp_packet_parse(buf, 68, &v), NTP_OK);
    assert_int_equal(v.auth, NTP_AUTH_MAC);
    assert_int_equal(v.key_id, 7);
    assert_int_equal(v.mac_offset, 48);
    assert_int_equal(v.mac_len, 20);
    assert_int_equal(ntp_packet_parse(buf, 72, &v), NTP_OK);
    assert_int_equal(v.mac_len, 24);
    /* A lone zero key id is a crypto-NAK. */
    wr32(buf + 48, 0);
    assert_int_equal(ntp_packet_parse(buf, 52, &v), NTP_OK);
    assert_int_equal(v.auth, NTP_AUTH_CRYPTO_NAK);
    /* 4 non-zero bytes, 8, 12 or 16 bytes: neither a MAC nor an extension field. */
    wr32(buf + 48, 1);
    assert_int_equal(ntp_packet_parse(buf, 52, &v), NTP_ERR_MAC);
    assert_int_equal(ntp_packet_parse(buf, 56, &v), NTP_ERR_MAC);
    assert_int_equal(ntp_packet_parse(buf, 60, &v), NTP_ERR_MAC);
}

static void v4_16_byte_field_rejected_28_accepted(void **state)
{
    (void)state;
    /* chrony: a 16-byte extension field alone gets no reply; an unknown 28-byte one is
     * accepted and ignored (inventory 7.1). */
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    struct ntp_packet_view v;
    make_request(buf, 4, NTP_MODE_CLIENT);
    wr16(buf + 48, 0x1234);
    wr16(buf + 50, 16);
    assert_int_equal(ntp_packet_parse(buf, 64, &v), NTP_ERR_MAC);
    wr16(buf + 50, 28);
    assert_int_equal(ntp_packet_parse(buf, 76, &v), NTP_OK);
    assert_int_equal(v.n_ext, 1);
    assert_int_equal(v.ext[0].type, 0x1234);
    assert_int_equal(v.ext[0].length, 28);
    assert_int_equal(v.ext[0].offset, 48);
    assert_int_equal(v.auth, NTP_AUTH_NONE);
    /* A 16-byte field is fine when it is not the last one. */
    wr16(buf + 50, 16);
    wr16(buf + 64, 0x1235);
    wr16(buf + 66, 28);
    assert_int_equal(ntp_packet_parse(buf, 92, &v), NTP_OK);
    assert_int_equal(v.n_ext, 2);
    assert_int_equal(v.ext[1].offset, 64);
}

static void v4_fields_then_mac(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    uint8_t body[36] = {1, 2, 3};
    struct ntp_packet_view v;
    size_t pos = make_request(buf, 4, NTP_MODE_CLIENT);
    assert_int_equal(ntp_ext_field_append(buf, sizeof(buf), &pos, 0x0104, body, 32), 0);
    assert_int_equal(ntp_ext_field_append(buf, sizeof(buf), &pos, 0x0204, body, 33), 0);
    assert_int_equal(pos, 48 + 36 + 40); /* 33 -> padded to 36 + 4 header */
    wr32(buf + pos, 42);
    pos += 24;
    assert_int_equal(ntp_packet_parse(buf, pos, &v), NTP_OK);
    assert_int_equal(v.n_ext, 2);
    assert_int_equal(v.ext[1].type, 0x0204);
    assert_int_equal(v.ext[1].length, 40);
    assert_int_equal(v.auth, NTP_AUTH_MAC);
    assert_int_equal(v.key_id, 42);
    assert_int_equal(v.mac_offset, 48 + 76);
}

static void v4_malformed_fields(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    struct ntp_packet_view v;
    make_request(buf, 4, NTP_MODE_CLIENT);
    /* Length not a multiple of 4, shorter than 16, longer than the packet, zero. */
    const uint16_t bad[] = {30, 12, 0, 200, 4};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        wr16(buf + 48, 0x0104);
        wr16(buf + 50, bad[i]);
        assert_int_equal(ntp_packet_parse(buf, 48 + 32, &v), NTP_ERR_EXT_FIELD);
    }
    /* A second field that runs past the end. */
    wr16(buf + 50, 28);
    wr16(buf + 76, 0x0204);
    wr16(buf + 78, 64);
    assert_int_equal(ntp_packet_parse(buf, 48 + 28 + 32, &v), NTP_ERR_EXT_FIELD);
}

static void too_many_fields(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    uint8_t body[24] = {0};
    struct ntp_packet_view v;
    size_t pos = make_request(buf, 4, NTP_MODE_CLIENT);
    for (int i = 0; i < NTP_MAX_EFS; i++)
        assert_int_equal(ntp_ext_field_append(buf, sizeof(buf), &pos, 0x9000, body, 24), 0);
    assert_int_equal(ntp_packet_parse(buf, pos, &v), NTP_OK);
    assert_int_equal(v.n_ext, NTP_MAX_EFS);
    assert_int_equal(ntp_ext_field_append(buf, sizeof(buf), &pos, 0x9000, body, 24), 0);
    assert_int_equal(ntp_packet_parse(buf, pos, &v), NTP_ERR_TOO_MANY_EF);
}

static void v3_full_digest_mac(void **state)
{
    (void)state;
    uint8_t buf[NTP_MAX_PACKET_LEN] = {0};
    struct ntp_packet_view v;
    make_request(buf, 3, NTP_MODE_CLIENT);
    wr32(buf + 48, 9);
    /* SHA-512 full digest: 4 + 64 bytes. */
    assert_int_equal(ntp_packet_parse(buf, 48 + 68, &v), NTP_OK);
    assert_int_equal(v.auth, NTP_AUTH_MAC);
    assert_int_equal(v.mac_len, 68);
    assert_int_equal(ntp_packet_parse(buf, 48 + 72, &v), NTP_ERR_MAC);
    assert_int_equal(ntp_packet_parse(buf, 48 + 16, &v), NTP_ERR_MAC);
}

static void append_bounds(void **state)
{
    (void)state;
    uint8_t buf[64];
    uint8_t body[64] = {0};
    size_t pos = 48;
    assert_int_equal(ntp_ext_field_append(buf, sizeof(buf), &pos, 1, body, 12), 0);
    assert_int_equal(pos, 64);
    assert_int_equal(ntp_ext_field_append(buf, sizeof(buf), &pos, 1, body, 0), -1);
    assert_int_equal(pos, 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_round_trip),
        cmocka_unit_test(plain_request_parses),
        cmocka_unit_test(bad_lengths_and_versions),
        cmocka_unit_test(v4_mac_and_crypto_nak),
        cmocka_unit_test(v4_16_byte_field_rejected_28_accepted),
        cmocka_unit_test(v4_fields_then_mac),
        cmocka_unit_test(v4_malformed_fields),
        cmocka_unit_test(too_many_fields),
        cmocka_unit_test(v3_full_digest_mac),
        cmocka_unit_test(append_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
