/* libFuzzer target: NTS extension fields, server and client side.
 *
 * Byte 0 picks a mode:
 *   even: the rest is a raw packet, given to the server check and to the client check;
 *   odd:  the rest is shaped into an authentic request (header bytes, placeholders and
 *         encrypted fields from the input) so the fuzzer reaches the code behind the
 *         authenticator: inner-field parsing, cookie sealing and the reply.
 * Invariants: no read outside buffers (ASan); an accepted request gets a reply exactly as
 * long as the request, which the client accepts with the new cookies; a NAK is never
 * longer than the request.
 *
 * Build with -DFUZZ_MAKE_SEEDS to get a main() that writes seed inputs into the current
 * directory (the cookie in them matches the fixed key ring below). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/nts_ef.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fixed_random(void *arg, uint8_t *buf, size_t len)
{
    uint32_t *s = arg;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(*s >> 24);
    }
    return 0;
}

static struct {
    int ready;
    uint32_t seed;
    struct nts_keyring kr;
    struct nts_keys keys;
    uint8_t cookie[NTS_COOKIE_LEN];
    uint8_t uid[NTS_UID_LEN];
} g;

static void setup(void)
{
    if (g.ready)
        return;
    g.seed = 2024;
    if (nts_keyring_init(&g.kr, 3600, 0, fixed_random, &g.seed) != 0)
        abort();
    g.keys.aead = 15;
    g.keys.key_len = 32;
    fixed_random(&g.seed, g.keys.c2s, 32);
    fixed_random(&g.seed, g.keys.s2c, 32);
    if (nts_cookie_seal(nts_keyring_current(&g.kr), &g.keys, fixed_random, &g.seed, g.cookie,
                        sizeof(g.cookie)) != NTS_COOKIE_LEN)
        abort();
    memset(g.uid, 0x75, sizeof(g.uid));
    g.ready = 1;
}

static void serve(const uint8_t *req, size_t len)
{
    struct ntp_packet_view v, rv;
    static struct nts_ef_server_state st;
    static struct nts_cookie_set cookies;
    uint8_t reply[NTP_MAX_PACKET_LEN];
    if (ntp_packet_parse(req, len, &v) != NTP_OK)
        return;
    int r = nts_ef_server_check(req, &v, &g.kr, fixed_random, &g.seed, &st);
    struct ntp_header h = {.version = 4, .mode = NTP_MODE_SERVER, .stratum = 1};
    size_t rlen = NTP_HEADER_LEN;
    if (r == NTS_EF_OK) {
        ntp_header_encode(&h, reply);
        if (nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen) != 0 || rlen != len)
            abort();
        /* Only cookies sealed by g.kr open, and they all hold g.keys, so the client with
         * g.keys must accept the reply when the request had a single 32-byte identifier. */
        const uint8_t *uid = NULL;
        int uids = 0;
        for (int i = 0; i < v.n_ext; i++) {
            if (v.ext[i].type != NTS_EF_UNIQUE_ID)
                continue;
            uids++;
            if (v.ext[i].length == 4 + NTS_UID_LEN)
                uid = req + v.ext[i].offset + 4;
        }
        if (uids == 1 && uid) {
            if (ntp_packet_parse(reply, rlen, &rv) != NTP_OK ||
                nts_ef_client_check(reply, &rv, &g.keys, uid, &cookies) != NTS_EF_CLIENT_OK ||
                cookies.n != st.n_cookies)
                abort();
        }
    } else if (r == NTS_EF_NAK_COOKIE || r == NTS_EF_NAK_AUTH) {
        h.stratum = 0;
        h.leap = NTP_LEAP_UNSYNC;
        h.refid = NTP_KISS_NTSN;
        ntp_header_encode(&h, reply);
        if (nts_ef_server_nak(req, &v, reply, sizeof(reply), &rlen) != 0 || rlen > len)
            abort();
    }
}

/* Builds an authentic request: 48 header bytes from the input (forced to v4 client),
 * 0..7 placeholders, and the rest of the input as the encrypted plaintext. */
static size_t make_request(const uint8_t *data, size_t size, uint8_t *pkt, size_t cap)
{
    uint8_t hdr[NTP_HEADER_LEN] = {0};
    memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
    hdr[0] = (uint8_t)((hdr[0] & 0xc0) | (4 << 3) | NTP_MODE_CLIENT);
    size_t skip = size < sizeof(hdr) ? size : sizeof(hdr);
    data += skip;
    size -= skip;
    int placeholders = size ? data[0] % 8 : 0;
    if (size) {
        data++;
        size--;
    }
    size_t len = NTP_HEADER_LEN;
    memcpy(pkt, hdr, sizeof(hdr));
    ntp_ext_field_append(pkt, cap, &len, NTS_EF_UNIQUE_ID, g.uid, NTS_UID_LEN);
    ntp_ext_field_append(pkt, cap, &len, NTS_EF_COOKIE, g.cookie, NTS_COOKIE_LEN);
    for (int i = 0; i < placeholders; i++) {
        uint8_t zero[NTS_COOKIE_LEN] = {0};
        if (ntp_ext_field_append(pkt, cap, &len, NTS_EF_PLACEHOLDER, zero, NTS_COOKIE_LEN))
            return 0;
    }
    /* Authenticator: nonce 16, ciphertext = tag + input, padded. */
    size_t ct_len = 16 + size, body = 4 + 16 + ((ct_len + 3) & ~(size_t)3);
    if (len + 4 + body > cap || 4 + body > 0xffff)
        return 0;
    uint8_t *e = pkt + len;
    memset(e, 0, 4 + body);
    wr16(e, NTS_EF_AUTH);
    wr16(e + 2, (uint16_t)(4 + body));
    wr16(e + 4, 16);
    wr16(e + 6, (uint16_t)ct_len);
    memset(e + 8, 0x4e, 16);
    struct siv_ctx siv;
    siv_set_key(&siv, g.keys.c2s);
    siv_encrypt(&siv, e + 8, 16, pkt, len, data, size, e + 24);
    return len + 4 + body;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    setup();
    if (size < 1)
        return 0;
    int mode = data[0] & 1;
    data++;
    size--;
    if (mode == 0) {
        uint8_t *buf = malloc(size ? size : 1);
        if (!buf)
            return 0;
        memcpy(buf, data, size);
        serve(buf, size);
        struct ntp_packet_view v;
        static struct nts_cookie_set cookies;
        if (ntp_packet_parse(buf, size, &v) == NTP_OK)
            nts_ef_client_check(buf, &v, &g.keys, g.uid, &cookies);
        free(buf);
    } else {
        uint8_t pkt[NTP_MAX_PACKET_LEN + 2048];
        size_t len = make_request(data, size, pkt, sizeof(pkt));
        if (len == 0)
            return 0;
        uint8_t *buf = malloc(len);
        if (!buf)
            return 0;
        memcpy(buf, pkt, len);
        serve(buf, len);
        free(buf);
    }
    return 0;
}

#ifdef FUZZ_MAKE_SEEDS
static void write_seed(const char *name, uint8_t mode, const uint8_t *p, size_t n)
{
    FILE *f = fopen(name, "wb");
    if (!f || fwrite(&mode, 1, 1, f) != 1 || fwrite(p, 1, n, f) != n)
        abort();
    fclose(f);
}

int main(void)
{
    setup();
    uint8_t pkt[NTP_MAX_PACKET_LEN];
    for (int ph = 0; ph < 8; ph += 7) {
        struct ntp_header h = {.version = 4, .mode = NTP_MODE_CLIENT, .transmit_ts = 42};
        ntp_header_encode(&h, pkt);
        size_t len = NTP_HEADER_LEN;
        uint8_t uid[NTS_UID_LEN];
        if (nts_ef_client_build(pkt, sizeof(pkt), &len, &g.keys, g.cookie, NTS_COOKIE_LEN, ph,
                                fixed_random, &g.seed, uid) != 0)
            abort();
        write_seed(ph ? "request_7_placeholders" : "request", 0, pkt, len);
    }
    /* A reply to our fixed unique identifier. */
    struct ntp_packet_view v;
    struct ntp_header h = {.version = 4, .mode = NTP_MODE_CLIENT};
    ntp_header_encode(&h, pkt);
    size_t len = NTP_HEADER_LEN;
    ntp_ext_field_append(pkt, sizeof(pkt), &len, NTS_EF_UNIQUE_ID, g.uid, NTS_UID_LEN);
    ntp_ext_field_append(pkt, sizeof(pkt), &len, NTS_EF_COOKIE, g.cookie, NTS_COOKIE_LEN);
    uint8_t *e = pkt + len;
    wr16(e, NTS_EF_AUTH);
    wr16(e + 2, 40);
    wr16(e + 4, 16);
    wr16(e + 6, 16);
    memset(e + 8, 1, 16);
    struct siv_ctx siv;
    siv_set_key(&siv, g.keys.c2s);
    siv_encrypt(&siv, e + 8, 16, pkt, len, NULL, 0, e + 24);
    len += 40;
    static struct nts_ef_server_state st;
    if (ntp_packet_parse(pkt, len, &v) != NTP_OK ||
        nts_ef_server_check(pkt, &v, &g.kr, fixed_random, &g.seed, &st) != NTS_EF_OK)
        abort();
    uint8_t reply[NTP_MAX_PACKET_LEN];
    h.mode = NTP_MODE_SERVER;
    ntp_header_encode(&h, reply);
    size_t rlen = NTP_HEADER_LEN;
    if (nts_ef_server_reply(pkt, &v, &st, reply, sizeof(reply), &rlen) != 0)
        abort();
    write_seed("reply", 0, reply, rlen);
    /* Shaped requests: inner fields with two placeholders, and junk. */
    uint8_t shaped[NTP_HEADER_LEN + 1 + 208] = {0};
    shaped[NTP_HEADER_LEN] = 1;
    for (int i = 0; i < 2; i++) {
        wr16(shaped + NTP_HEADER_LEN + 1 + 104 * i, NTS_EF_PLACEHOLDER);
        wr16(shaped + NTP_HEADER_LEN + 1 + 104 * i + 2, 104);
    }
    write_seed("shaped_inner_placeholders", 1, shaped, sizeof(shaped));
    write_seed("shaped_junk", 1,
               (const uint8_t *)"0123456789abcdef0123456789abcdef0123456789abcdef\3xyz", 52);
    return 0;
}
#endif
