/* Unit tests for src/crypto/mac.c: known-answer MACs on NTP packets in chronyd's NTPv4 and
 * NTPv3 forms, every wrong MAC length, unknown keys and key ID 0, crypto-NAKs, malformed
 * trailers, replies, the client side, and a differential check against OpenSSL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/mac.h"

/* The keys of the known-answer tests. Expected digests were computed when the test was
 * written, over key bytes || packet for hashes and over the packet for CMAC:
 *   python3 -c "open('p4','wb').write(bytes([0x23])+bytes(range(1,48)))"   (and p3: 0x1b)
 *   printf 'tulip-tulip-2024' | cat - p4 | openssl dgst -md5 -r
 *   cat k20 p4 | openssl dgst -sha1 -r          (k20 = bytes 01..14)
 *   cat k30 p4 | openssl dgst -sha256 -r; cat k30 p3 | openssl dgst -sha256 -r
 *                                               (k30 = bytes a0..bf)
 *   printf 'a-sixty-four-byte-digest-key' | cat - p3 | openssl dgst -sha512 -r
 *   openssl mac -cipher AES-128-CBC -macopt hexkey:2b7e151628aed2a6abf7158809cf4f3c -in p4 CMAC
 *   openssl mac -cipher AES-256-CBC -macopt hexkey:603deb...4dff4 -in p4 CMAC */
static const char keyfile[] =
    "10 MD5 ASCII:tulip-tulip-2024\n"
    "20 SHA1 HEX:0102030405060708090A0B0C0D0E0F1011121314\n"
    "30 SHA256 HEX:A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBF\n"
    "40 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
    "50 AES256 HEX:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n"
    "60 SHA512 ASCII:a-sixty-four-byte-digest-key\n";

#define MD5_V4    "04600831f6ce02599bc9c213624a312f"
#define SHA1_V4   "405ccf1e6a09de6adecb30ec451aa620c94a2ff3"
#define SHA256_V4 "8ca5567d9510267d8d03a798ac54517233b07c8d12288ec0f8e07c15a4d5a97b"
#define SHA256_V3 "b0ce5d4bd4fa5c461b2a4e07158af6e5d698c2968471de4f96669aca28121b56"
#define SHA512_V3                                                                                  \
    "3bebde321e77f8722cc6d82ad447dc5b9126a9abfcbdceda074372a29ccc585062e2948eaed1e6ad07708a4d5ea7" \
    "ee919a042588b6e6b52c39e553eb1d20d851"
#define AES128_V4 "1bd2840a9e13c1805bc675ffed40fa86"
#define AES256_V4 "717355ba35f0b23021048333c67b32d9"

static struct keys_table *load(void)
{
    struct keys_diags d;
    struct keys_table *t = keys_parse("test.keys", keyfile, sizeof(keyfile) - 1, &d);
    assert_non_null(t);
    assert_int_equal(d.n, 0);
    assert_int_equal(keys_count(t), 6);
    return t;
}

static void header(uint8_t *pkt, int version)
{
    pkt[0] = (uint8_t)(version << 3 | 3); /* LI 0, mode 3: 0x23 (v4), 0x1b (v3) */
    for (int i = 1; i < NTP_HEADER_LEN; i++)
        pkt[i] = (uint8_t)i;
}

static size_t hex_to_bytes(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* header + key ID + digest_hex truncated to digest_len bytes. */
static size_t with_mac(uint8_t *pkt, int version, uint32_t key_id, const char *digest_hex,
                       size_t digest_len)
{
    uint8_t digest[64];
    header(pkt, version);
    size_t n = hex_to_bytes(digest_hex, digest);
    assert_true(digest_len <= n);
    wr32(pkt + NTP_HEADER_LEN, key_id);
    memcpy(pkt + NTP_HEADER_LEN + 4, digest, digest_len);
    return NTP_HEADER_LEN + 4 + digest_len;
}

static enum mac_result check(const struct keys_table *t, const uint8_t *pkt, size_t len,
                             uint32_t *key_id)
{
    struct ntp_packet_view v;
    int err = ntp_packet_parse(pkt, len, &v);
    if (err != NTP_OK)
        fail_msg("parse of %zu bytes: %s", len, ntp_parse_error_name(err));
    return mac_check(t, pkt, &v, key_id);
}

static void known_answers(void **state)
{
    (void)state;
    struct keys_table *t = load();
    static const struct {
        uint32_t key;
        int version;
        const char *digest;
        size_t len;
    } kat[] = {
        {10, 4, MD5_V4, 16},    {20, 4, SHA1_V4, 20},   {30, 4, SHA256_V4, 20},
        {30, 3, SHA256_V3, 32}, {60, 3, SHA512_V3, 64}, {40, 4, AES128_V4, 16},
        {50, 4, AES256_V4, 16},
    };
    for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
        uint8_t pkt[NTP_MAX_PACKET_LEN], built[NTP_MAX_PACKET_LEN];
        size_t len = with_mac(pkt, kat[i].version, kat[i].key, kat[i].digest, kat[i].len);
        uint32_t key_id = 0;
        assert_int_equal(check(t, pkt, len, &key_id), MAC_VALID);
        assert_int_equal(key_id, kat[i].key);
        assert_int_equal(mac_field_len(t, kat[i].key, kat[i].version), 4 + kat[i].len);
        /* mac_append writes exactly the same bytes. */
        header(built, kat[i].version);
        assert_int_equal(
            mac_append(t, kat[i].key, kat[i].version, built, NTP_HEADER_LEN, sizeof(built)), len);
        assert_memory_equal(built, pkt, len);
        /* One flipped bit anywhere - header, key ID or digest - and it fails. */
        for (size_t bit = 0; bit < len * 8; bit += 7) {
            pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            struct ntp_packet_view v;
            if (ntp_packet_parse(pkt, len, &v) == NTP_OK)
                assert_int_not_equal(mac_check(t, pkt, &v, NULL), MAC_VALID);
            pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    /* chronyd's packet sizes: 68 bytes for MD5 and AES, 72 for longer hashes in NTPv4. */
    assert_int_equal(NTP_HEADER_LEN + mac_field_len(t, 10, 4), 68);
    assert_int_equal(NTP_HEADER_LEN + mac_field_len(t, 40, 4), 68);
    assert_int_equal(NTP_HEADER_LEN + mac_field_len(t, 20, 4), 72);
    assert_int_equal(NTP_HEADER_LEN + mac_field_len(t, 60, 4), 72);
    assert_int_equal(NTP_HEADER_LEN + mac_field_len(t, 60, 3), 116);
    assert_int_equal(mac_field_len(t, 99, 4), 0);
    keys_free(t);
}

/* Only the exact length a key gives in a version is accepted: every other MAC field
 * length the parser lets through (NTPv4: 20 or 24; NTPv1-3: 20..68), carrying the correct
 * digest prefix, is rejected. */
static void every_wrong_length_is_rejected(void **state)
{
    (void)state;
    struct keys_table *t = load();
    static const uint32_t keys[] = {10, 20, 30, 40, 50, 60};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (int version = 1; version <= 4; version++) {
            uint8_t pkt[NTP_MAX_PACKET_LEN], full[KEYS_MAX_DIGEST_LEN + 64] = {0};
            header(pkt, version);
            size_t digest = keys_digest(t, keys[k], pkt, NTP_HEADER_LEN, full);
            assert_true(digest > 0);
            size_t right = mac_field_len(t, keys[k], version);
            size_t max_field = version == 4 ? NTP_MAX_V4_MAC_LEN : NTP_MAX_MAC_LEN;
            int valid = 0;
            for (size_t field = NTP_MIN_MAC_LEN; field <= max_field; field += 4) {
                wr32(pkt + NTP_HEADER_LEN, keys[k]);
                memcpy(pkt + NTP_HEADER_LEN + 4, full, field - 4);
                enum mac_result r = check(t, pkt, NTP_HEADER_LEN + field, NULL);
                if (field == right) {
                    assert_int_equal(r, MAC_VALID);
                    valid++;
                } else if (r != MAC_BAD) {
                    fail_msg("key %u v%d field %zu: not rejected", keys[k], version, field);
                }
            }
            assert_int_equal(valid, 1);
        }
    }
    keys_free(t);
}

static void unknown_keys_nak_and_zero_id(void **state)
{
    (void)state;
    struct keys_table *t = load();
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    /* A correct-looking MAC under a key ID that is not in the file. */
    size_t len = with_mac(pkt, 4, 11, MD5_V4, 16);
    assert_int_equal(check(t, pkt, len, NULL), MAC_BAD);
    /* Key ID 0 with a digest: never a key. */
    len = with_mac(pkt, 4, 0, MD5_V4, 16);
    assert_int_equal(check(t, pkt, len, NULL), MAC_BAD);
    memset(pkt + NTP_HEADER_LEN, 0, 20);
    assert_int_equal(check(t, pkt, len, NULL), MAC_BAD);
    /* Crypto-NAK: a lone zero key ID, NTPv4 and NTPv3. */
    header(pkt, 4);
    memset(pkt + NTP_HEADER_LEN, 0, 4);
    assert_int_equal(check(t, pkt, NTP_HEADER_LEN + 4, NULL), MAC_BAD);
    header(pkt, 3);
    assert_int_equal(check(t, pkt, NTP_HEADER_LEN + 4, NULL), MAC_BAD);
    /* No MAC: answered unauthenticated. */
    header(pkt, 4);
    uint32_t key_id = 1234;
    assert_int_equal(check(t, pkt, NTP_HEADER_LEN, &key_id), MAC_NONE);
    assert_int_equal(key_id, 1234); /* untouched */
    /* No keys at all. */
    len = with_mac(pkt, 4, 10, MD5_V4, 16);
    assert_int_equal(check(NULL, pkt, len, NULL), MAC_BAD);
    keys_free(t);
}

static void extension_fields_and_malformed_trailers(void **state)
{
    (void)state;
    struct keys_table *t = load();
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    uint8_t body[24] = {1, 2, 3};
    size_t len = NTP_HEADER_LEN;
    header(pkt, 4);
    /* A 28-byte extension field, then a MAC covering header and field. */
    assert_int_equal(ntp_ext_field_append(pkt, sizeof(pkt), &len, 0x1234, body, sizeof(body)), 0);
    assert_int_equal(len, 76);
    size_t total = mac_append(t, 20, 4, pkt, len, sizeof(pkt));
    assert_int_equal(total, 76 + 24);
    struct ntp_packet_view v;
    assert_int_equal(ntp_packet_parse(pkt, total, &v), NTP_OK);
    assert_int_equal(v.n_ext, 1);
    assert_int_equal(mac_check(t, pkt, &v, NULL), MAC_VALID);

    /* An extension field that claims more than the packet holds, before a MAC: the parser
     * refuses it; nothing reaches the MAC check. */
    wr16(pkt + NTP_HEADER_LEN + 2, 0xFFF0);
    assert_int_equal(ntp_packet_parse(pkt, total, &v), NTP_ERR_EXT_FIELD);
    wr16(pkt + NTP_HEADER_LEN + 2, 28 + 24); /* swallows the MAC: then no MAC is left */
    assert_int_equal(ntp_packet_parse(pkt, total, &v), NTP_OK);
    assert_int_equal(v.auth, NTP_AUTH_NONE);

    /* A view whose MAC lies outside the packet (not from the parser) is refused. */
    memset(&v, 0, sizeof(v));
    v.h.version = 4;
    v.length = 68;
    v.auth = NTP_AUTH_MAC;
    v.key_id = 10;
    v.mac_offset = 60;
    v.mac_len = 20;
    assert_int_equal(mac_check(t, pkt, &v, NULL), MAC_BAD);
    v.mac_offset = 48;
    v.mac_len = 16;
    assert_int_equal(mac_check(t, pkt, &v, NULL), MAC_BAD);
    v.mac_offset = 8;
    v.mac_len = 20;
    assert_int_equal(mac_check(t, pkt, &v, NULL), MAC_BAD);
    keys_free(t);
}

/* Replies carry the request's key in the request's form, so they are as long as it. */
static void replies_match_request_form(void **state)
{
    (void)state;
    struct keys_table *t = load();
    static const uint32_t keys[] = {10, 20, 30, 40, 50, 60};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        for (int version = 3; version <= 4; version++) {
            uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN];
            header(req, version);
            size_t req_len = mac_append(t, keys[k], version, req, NTP_HEADER_LEN, sizeof(req));
            assert_true(req_len > NTP_HEADER_LEN);
            uint32_t key_id;
            assert_int_equal(check(t, req, req_len, &key_id), MAC_VALID);
            memset(reply, 0x5A, NTP_HEADER_LEN);
            reply[0] = (uint8_t)(version << 3 | 4);
            size_t reply_len = mac_append(t, key_id, version, reply, NTP_HEADER_LEN, sizeof(reply));
            assert_int_equal(reply_len, req_len);
            struct ntp_packet_view v;
            assert_int_equal(ntp_packet_parse(reply, reply_len, &v), NTP_OK);
            assert_true(mac_reply_valid(t, keys[k], reply, &v));
            assert_false(mac_reply_valid(t, keys[k] == 10 ? 20 : 10, reply, &v));
            reply[40] ^= 1;
            assert_false(mac_reply_valid(t, keys[k], reply, &v));
        }
    }
    /* An unauthenticated reply is not a valid reply to an authenticated request. */
    uint8_t plain[NTP_HEADER_LEN];
    header(plain, 4);
    struct ntp_packet_view v;
    assert_int_equal(ntp_packet_parse(plain, sizeof(plain), &v), NTP_OK);
    assert_false(mac_reply_valid(t, 10, plain, &v));

    /* No room, or no such key: nothing is written. */
    uint8_t small[NTP_HEADER_LEN + 23];
    header(small, 4);
    assert_int_equal(mac_append(t, 20, 4, small, NTP_HEADER_LEN, sizeof(small)), 0);
    assert_int_equal(mac_append(t, 10, 4, small, NTP_HEADER_LEN, sizeof(small)), 68);
    assert_int_equal(mac_append(t, 99, 4, small, NTP_HEADER_LEN, sizeof(small)), 0);
    assert_int_equal(mac_append(t, 10, 4, small, 80, 70), 0);
    keys_free(t);
}

static void client_version_and_long_v4_macs(void **state)
{
    (void)state;
    struct keys_table *t = load();
    assert_int_equal(mac_client_version(t, 10), 4);
    assert_int_equal(mac_client_version(t, 20), 4);
    assert_int_equal(mac_client_version(t, 40), 4);
    assert_int_equal(mac_client_version(t, 50), 4);
    assert_int_equal(mac_client_version(t, 30), 3);
    assert_int_equal(mac_client_version(t, 60), 3);
    assert_int_equal(mac_client_version(t, 99), 4);

    /* chrony 3.x clients sent NTPv4 with the full digest of long keys; chronyd 4.x drops
     * those as malformed (checked against 4.3), and so does the codec: no MAC check. */
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    header(pkt, 4);
    size_t len = mac_append(t, 30, 3, pkt, NTP_HEADER_LEN, sizeof(pkt)); /* full digest */
    assert_int_equal(len, 84);
    struct ntp_packet_view v;
    assert_int_not_equal(ntp_packet_parse(pkt, len, &v), NTP_OK);
    keys_free(t);
}

/* ntpd/ntpsec clients: NTPv4 with the full digest of a long key, which the codec refuses;
 * mac_check_v4_full_digest() accepts exactly that shape. */
static void v4_full_digest_of_ntpd_clients(void **state)
{
    (void)state;
    struct keys_table *t = load();
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    struct ntp_packet_view v;
    uint32_t id = 0;

    size_t len = with_mac(pkt, 4, 30, SHA256_V4, 32); /* what ntpdig -a 30 sends */
    assert_int_equal(len, 84);
    assert_int_equal(ntp_packet_parse(pkt, len, &v), NTP_ERR_EXT_FIELD);
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, &id), MAC_VALID);
    assert_int_equal(id, 30);
    pkt[len - 1] ^= 0x80;
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, NULL), MAC_BAD);

    /* Not that shape: NONE, and the caller keeps its parse error. */
    len = with_mac(pkt, 4, 30, SHA256_V4, 28); /* truncated to neither 20 nor 32 */
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, NULL), MAC_NONE);
    len = with_mac(pkt, 3, 30, SHA256_V3, 32); /* NTPv3: the codec's own MAC form */
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, NULL), MAC_NONE);
    len = with_mac(pkt, 4, 99, SHA256_V4, 32); /* unknown key */
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, NULL), MAC_NONE);
    len = with_mac(pkt, 4, 20, SHA256_V4, 24); /* SHA1: its full digest fits NTPv4 */
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, NULL), MAC_NONE);
    header(pkt, 4);
    assert_int_equal(mac_check_v4_full_digest(t, pkt, NTP_HEADER_LEN, NULL), MAC_NONE);
    assert_int_equal(mac_check_v4_full_digest(t, pkt, NTP_HEADER_LEN + 2, NULL), MAC_NONE);

    /* SHA512: the longest (68-byte) field; the reply is built in the same form. */
    header(pkt, 4);
    len = mac_append(t, 60, MAC_FORM_FULL_DIGEST, pkt, NTP_HEADER_LEN, sizeof(pkt));
    assert_int_equal(len, NTP_HEADER_LEN + 68);
    assert_int_equal(mac_check_v4_full_digest(t, pkt, len, &id), MAC_VALID);
    assert_int_equal(id, 60);
    header(pkt, 4);
    wr32(pkt + NTP_HEADER_LEN, 60);
    memset(pkt + NTP_HEADER_LEN + 4, 0, 68); /* one byte longer than the digest */
    assert_int_equal(mac_check_v4_full_digest(t, pkt, NTP_HEADER_LEN + 72, NULL), MAC_NONE);
    keys_free(t);
}

/* ---- differential check against OpenSSL ---- */

static size_t openssl_mac(enum keys_type type, const uint8_t *key, size_t key_len,
                          const uint8_t *data, size_t len, uint8_t *out)
{
    if (keys_type_is_cmac(type)) {
        EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
        char cipher[16];
        snprintf(cipher, sizeof(cipher), "AES-%d-CBC", type == KEYS_AES128 ? 128 : 256);
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
                               OSSL_PARAM_END};
        size_t n = 0;
        assert_int_equal(EVP_MAC_init(ctx, key, key_len, params), 1);
        assert_int_equal(EVP_MAC_update(ctx, data, len), 1);
        assert_int_equal(EVP_MAC_final(ctx, out, &n, 64), 1);
        EVP_MAC_CTX_free(ctx);
        EVP_MAC_free(mac);
        return n;
    }
    EVP_MD *md = EVP_MD_fetch(NULL, keys_type_name(type), NULL);
    assert_non_null(md);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned n = 0;
    assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, key, key_len), 1);
    assert_int_equal(EVP_DigestUpdate(ctx, data, len), 1);
    assert_int_equal(EVP_DigestFinal_ex(ctx, out, &n), 1);
    EVP_MD_CTX_free(ctx);
    EVP_MD_free(md);
    return n;
}

static void agrees_with_openssl(void **state)
{
    (void)state;
    uint32_t seed = 42;
    for (int round = 0; round < 400; round++) {
        enum keys_type type = (enum keys_type)(round % KEYS_N_TYPES);
        uint8_t key[300], data[NTP_MAX_PACKET_LEN];
        size_t key_len = keys_type_is_cmac(type) ? (type == KEYS_AES128 ? 16 : 32)
                                                 : 1 + (size_t)round * 37 % 290;
        size_t len = (size_t)round * 13 % 600;
        for (size_t i = 0; i < key_len; i++)
            key[i] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
        for (size_t i = 0; i < len; i++)
            data[i] = (uint8_t)((seed = seed * 1664525u + 1013904223u) >> 24);
        char line[700];
        int n = snprintf(line, sizeof(line), "%d %s HEX:", round + 1, keys_type_name(type));
        for (size_t i = 0; i < key_len; i++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", key[i]);
        struct keys_table *t = keys_parse("rnd.keys", line, (size_t)n, NULL);
        assert_non_null(t);
        uint8_t ours[KEYS_MAX_DIGEST_LEN], theirs[KEYS_MAX_DIGEST_LEN];
        size_t a = keys_digest(t, (uint32_t)round + 1, data, len, ours);
        size_t b = openssl_mac(type, key, key_len, data, len, theirs);
        assert_int_equal(a, b);
        assert_memory_equal(ours, theirs, a);
        keys_free(t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answers),
        cmocka_unit_test(every_wrong_length_is_rejected),
        cmocka_unit_test(unknown_keys_nak_and_zero_id),
        cmocka_unit_test(extension_fields_and_malformed_trailers),
        cmocka_unit_test(replies_match_request_form),
        cmocka_unit_test(client_version_and_long_v4_macs),
        cmocka_unit_test(v4_full_digest_of_ntpd_clients),
        cmocka_unit_test(agrees_with_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
