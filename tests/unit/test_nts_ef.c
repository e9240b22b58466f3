/* Unit tests for src/proto/nts_ef.c: NTS extension fields, client and server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/nts_ef.h"

static int test_random(void *arg, uint8_t *buf, size_t len)
{
    uint32_t *s = arg;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(*s >> 24);
    }
    return 0;
}

static int no_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return -1;
}

struct fixture {
    uint32_t seed;
    struct nts_keyring kr;
    struct nts_keys keys;
    uint8_t cookie[NTS_COOKIE_LEN];
};

static void setup(struct fixture *f, uint32_t seed)
{
    f->seed = seed;
    assert_int_equal(nts_keyring_init(&f->kr, 3600, 0, test_random, &f->seed), 0);
    f->keys.aead = 15;
    f->keys.key_len = 32;
    test_random(&f->seed, f->keys.c2s, 32);
    test_random(&f->seed, f->keys.s2c, 32);
    assert_int_equal(nts_cookie_seal(nts_keyring_current(&f->kr), &f->keys, test_random, &f->seed,
                                     f->cookie, sizeof(f->cookie)),
                     NTS_COOKIE_LEN);
}

static size_t header(uint8_t *pkt, int mode, int stratum, uint32_t refid)
{
    struct ntp_header h = {.leap = 0,
                           .version = 4,
                           .mode = (uint8_t)mode,
                           .stratum = (uint8_t)stratum,
                           .refid = refid,
                           .transmit_ts = 0x0123456789abcdefull};
    ntp_header_encode(&h, pkt);
    return NTP_HEADER_LEN;
}

/* Client request with n placeholders, parsed. */
static size_t client_request(struct fixture *f, int n_placeholders, uint8_t *pkt, size_t cap,
                             uint8_t uid[NTS_UID_LEN], struct ntp_packet_view *v)
{
    size_t len = header(pkt, NTP_MODE_CLIENT, 0, 0);
    assert_int_equal(nts_ef_client_build(pkt, cap, &len, &f->keys, f->cookie, NTS_COOKIE_LEN,
                                         n_placeholders, test_random, &f->seed, uid),
                     0);
    assert_int_equal(ntp_packet_parse(pkt, len, v), NTP_OK);
    return len;
}

static void round_trip(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 1);
    for (int ph = 0; ph < NTS_MAX_COOKIES; ph++) {
        uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
        struct ntp_packet_view v, rv;
        size_t len = client_request(&f, ph, req, sizeof(req), uid, &v);
        /* 48 + UID 36 + (1 + ph) cookie fields of 104 + authenticator 40: 228 with no
         * placeholder, as chrony's measured request size. */
        assert_int_equal(len, 48 + 36 + (size_t)(1 + ph) * 104 + 40);
        assert_int_equal(v.n_ext, 3 + ph);
        assert_int_equal(v.ext[0].type, NTS_EF_UNIQUE_ID);
        assert_int_equal(v.ext[1].type, NTS_EF_COOKIE);
        assert_int_equal(v.ext[v.n_ext - 1].type, NTS_EF_AUTH);

        static struct nts_ef_server_state st;
        assert_int_equal(nts_ef_server_check(req, &v, &f.kr, test_random, &f.seed, &st), NTS_EF_OK);
        assert_int_equal(st.n_cookies, 1 + ph);
        assert_memory_equal(st.keys.c2s, f.keys.c2s, 32);
        size_t rlen = header(reply, NTP_MODE_SERVER, 2, 0x7f7f0101);
        assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen), 0);
        assert_int_equal(rlen, len);          /* exactly as long as the request */
        assert_int_equal(st.keys.key_len, 0); /* keys wiped */

        assert_int_equal(ntp_packet_parse(reply, rlen, &rv), NTP_OK);
        static struct nts_cookie_set got;
        assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_OK);
        assert_int_equal(got.n, 1 + ph);
        for (int i = 0; i < got.n; i++) {
            struct nts_keys k;
            assert_int_equal(got.len[i], NTS_COOKIE_LEN);
            assert_int_equal(nts_cookie_open(&f.kr, got.data[i], got.len[i], &k), NTS_COOKIE_OK);
            assert_memory_equal(k.c2s, f.keys.c2s, 32);
            assert_memory_equal(k.s2c, f.keys.s2c, 32);
            if (i > 0)
                assert_memory_not_equal(got.data[i], got.data[i - 1], NTS_COOKIE_LEN);
        }
    }
}

/* The reply's layout, decrypted by hand. */
static void reply_layout(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 2);
    uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
    struct ntp_packet_view v;
    assert_int_equal(client_request(&f, 0, req, sizeof(req), uid, &v), 228);
    static struct nts_ef_server_state st;
    assert_int_equal(nts_ef_server_check(req, &v, &f.kr, test_random, &f.seed, &st), NTS_EF_OK);
    size_t rlen = header(reply, NTP_MODE_SERVER, 2, 0);
    assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen), 0);
    assert_int_equal(rlen, 228);
    /* UID field copied verbatim. */
    assert_memory_equal(reply + 48, req + 48, 36);
    assert_memory_equal(reply + 52, uid, 32);
    /* Authenticator: 0x0404, 144 bytes, nonce 16, ciphertext 16 + 104. */
    const uint8_t *a = reply + 84;
    assert_int_equal(rd16(a), 0x0404);
    assert_int_equal(rd16(a + 2), 144);
    assert_int_equal(rd16(a + 4), 16);
    assert_int_equal(rd16(a + 6), 120);
    uint8_t plain[104];
    struct siv_ctx siv;
    siv_set_key(&siv, f.keys.s2c);
    assert_int_equal(siv_decrypt(&siv, a + 8, 16, reply, 84, a + 24, 120, plain), 0);
    assert_int_equal(rd16(plain), NTS_EF_COOKIE);
    assert_int_equal(rd16(plain + 2), 104);
    /* The request's authenticator, checked by hand: AD is the packet up to it. */
    const uint8_t *ra = req + 48 + 36 + 104;
    assert_int_equal(rd16(ra), 0x0404);
    assert_int_equal(rd16(ra + 2), 40);
    siv_set_key(&siv, f.keys.c2s);
    assert_int_equal(siv_decrypt(&siv, ra + 8, 16, req, 188, ra + 24, 16, NULL), 0);
}

static void nak_for_unknown_cookie(void **state)
{
    (void)state;
    static struct fixture f, other;
    setup(&f, 3);
    setup(&other, 4);
    uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
    struct ntp_packet_view v, rv;
    client_request(&f, 2, req, sizeof(req), uid, &v);
    static struct nts_ef_server_state st;
    /* Another server's key ring cannot open the cookie. */
    assert_int_equal(nts_ef_server_check(req, &v, &other.kr, test_random, &f.seed, &st),
                     NTS_EF_NAK_COOKIE);
    size_t rlen = header(reply, NTP_MODE_SERVER, 0, NTP_KISS_NTSN);
    assert_int_equal(nts_ef_server_nak(req, &v, reply, sizeof(reply), &rlen), 0);
    assert_int_equal(rlen, 48 + 36);
    assert_memory_equal(reply + 52, uid, 32);

    static struct nts_cookie_set got;
    assert_int_equal(ntp_packet_parse(reply, rlen, &rv), NTP_OK);
    assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_NAK);
    /* Not a NAK without the kiss code or for someone else's identifier. */
    uint8_t other_uid[NTS_UID_LEN];
    memcpy(other_uid, uid, sizeof(uid));
    other_uid[0] ^= 1;
    assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, other_uid, &got),
                     NTS_EF_CLIENT_INVALID);
    rv.h.refid = NTP_KISS_RATE;
    assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_INVALID);
    rv.h.refid = NTP_KISS_NTSN;
    rv.h.stratum = 1;
    assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_INVALID);
    assert_int_equal(nts_ef_server_nak(req, &v, reply, 60, &(size_t){48}), -1);
}

static void bad_authenticator(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 5);
    uint8_t req[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
    struct ntp_packet_view v;
    static struct nts_ef_server_state st;
    size_t len = client_request(&f, 1, req, sizeof(req), uid, &v);
    /* Any change to the authenticated part: header, UID, placeholder, tag. */
    static const size_t spots[] = {
        1, 40, 47, 60, 48 + 36 + 104 + 50, 48 + 36 + 208 + 8, 48 + 36 + 208 + 39};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        req[spots[i]] ^= 0x10;
        struct ntp_packet_view tv;
        assert_int_equal(ntp_packet_parse(req, len, &tv), NTP_OK);
        assert_int_equal(nts_ef_server_check(req, &tv, &f.kr, test_random, &f.seed, &st),
                         NTS_EF_NAK_AUTH);
        assert_int_equal(st.keys.key_len, 0);
        req[spots[i]] ^= 0x10;
    }
    /* A cookie with other keys than the client used for its authenticator. */
    static struct fixture g;
    setup(&g, 6);
    memcpy(f.cookie, g.cookie, sizeof(f.cookie));
    client_request(&f, 0, req, sizeof(req), uid, &v);
    assert_int_equal(nts_ef_server_check(req, &v, &g.kr, test_random, &f.seed, &st),
                     NTS_EF_NAK_AUTH);
}

/* Appends a raw extension field. */
static void ef(uint8_t *p, size_t *len, uint16_t type, const void *body, size_t blen)
{
    wr16(p + *len, type);
    wr16(p + *len + 2, (uint16_t)(4 + blen));
    if (blen)
        memcpy(p + *len + 4, body, blen);
    *len += 4 + blen;
}

/* Appends an authenticator made by hand: nonce of nonce_len, extra zero bytes after the
 * ciphertext, encrypting plain. */
static void auth(uint8_t *p, size_t *len, const uint8_t *c2s, size_t nonce_len,
                 const uint8_t *plain, size_t plain_len, size_t extra)
{
    uint8_t nonce[32];
    memset(nonce, 0x5c, sizeof(nonce));
    size_t npad = (nonce_len + 3) & ~(size_t)3, ct_len = 16 + plain_len;
    size_t body = 4 + npad + ((ct_len + 3) & ~(size_t)3) + extra;
    uint8_t *e = p + *len;
    memset(e, 0, 4 + body);
    wr16(e, NTS_EF_AUTH);
    wr16(e + 2, (uint16_t)(4 + body));
    wr16(e + 4, (uint16_t)nonce_len);
    wr16(e + 6, (uint16_t)ct_len);
    memcpy(e + 8, nonce, nonce_len);
    struct siv_ctx siv;
    siv_set_key(&siv, c2s);
    assert_int_equal(siv_encrypt(&siv, nonce, nonce_len, p, *len, plain, plain_len, e + 8 + npad),
                     0);
    *len += 4 + body;
}

static int check_raw(struct fixture *f, uint8_t *req, size_t len, struct nts_ef_server_state *st)
{
    struct ntp_packet_view v;
    assert_int_equal(ntp_packet_parse(req, len, &v), NTP_OK);
    return nts_ef_server_check(req, &v, &f->kr, test_random, &f->seed, st);
}

static void malformed_requests(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 7);
    static struct nts_ef_server_state st;
    uint8_t req[NTP_MAX_PACKET_LEN], uid[32], ph[NTS_COOKIE_LEN] = {0}, other[24] = {0};
    memset(uid, 0x42, sizeof(uid));
    size_t len;

    /* Control: a hand-made valid request. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_OK);

    /* A short nonce needs additional padding up to 16 bytes (RFC 8915 5.6). */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 8, NULL, 0, 8);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_OK);
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 8, NULL, 0, 4);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);

    /* No NTS field at all: not an NTS request. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, 0x2005, other, 24);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_NOT_NTS);
    /* A MAC after NTS fields is not NTS-authenticated: dropped. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    memset(req + len, 0, 20);
    req[len + 3] = 1;
    len += 20;
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    assert_int_equal(check_raw(&f, req, 48, &st), NTS_EF_NOT_NTS);

    /* Missing unique identifier. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Missing cookie. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Two cookies. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Placeholder of another length. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    ef(req, &len, NTS_EF_PLACEHOLDER, ph, 96);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Authenticator not last. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    ef(req, &len, 0x2005, other, 24);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Missing authenticator. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Server mode with NTS fields. */
    len = header(req, NTP_MODE_SERVER, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* Authenticator lengths that do not add up. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    size_t at = len;
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    wr16(req + at + 6, 17); /* ciphertext longer than the field */
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    wr16(req + at + 6, 15); /* shorter than a tag */
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    wr16(req + at + 6, 16);
    wr16(req + at + 4, 0); /* empty nonce */
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);
    /* A random-source failure drops the request rather than answering badly. */
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    struct ntp_packet_view v;
    assert_int_equal(ntp_packet_parse(req, len, &v), NTP_OK);
    assert_int_equal(nts_ef_server_check(req, &v, &f.kr, no_random, NULL, &st), NTS_EF_DROP);
}

static void encrypted_placeholders_count(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 8);
    static struct nts_ef_server_state st;
    uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN], uid[32], inner[2 * 104];
    memset(uid, 7, sizeof(uid));
    memset(inner, 0, sizeof(inner));
    for (int i = 0; i < 2; i++) {
        wr16(inner + 104 * i, NTS_EF_PLACEHOLDER);
        wr16(inner + 104 * i + 2, 104);
    }
    size_t len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, inner, sizeof(inner), 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_OK);
    assert_int_equal(st.n_cookies, 3);
    struct ntp_packet_view v, rv;
    assert_int_equal(ntp_packet_parse(req, len, &v), NTP_OK);
    size_t rlen = header(reply, NTP_MODE_SERVER, 1, 0);
    assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen), 0);
    assert_int_equal(rlen, len);
    assert_int_equal(ntp_packet_parse(reply, rlen, &rv), NTP_OK);
    static struct nts_cookie_set got;
    assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_OK);
    assert_int_equal(got.n, 3);

    /* A wrongly sized encrypted placeholder, or garbage inside, drops the request. */
    wr16(inner + 2, 100);
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    auth(req, &len, f.keys.c2s, 16, inner, sizeof(inner), 0);
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_DROP);

    /* More than 8 requested: 8 returned, and the reply still matches the length. */
    uint8_t many[10 * 104];
    memset(many, 0, sizeof(many));
    for (int i = 0; i < 5; i++) {
        wr16(many + 104 * i, NTS_EF_PLACEHOLDER);
        wr16(many + 104 * i + 2, 104);
    }
    static uint8_t ph[100];
    len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    ef(req, &len, NTS_EF_PLACEHOLDER, ph, 100);
    ef(req, &len, NTS_EF_PLACEHOLDER, ph, 100);
    ef(req, &len, NTS_EF_PLACEHOLDER, ph, 100);
    auth(req, &len, f.keys.c2s, 16, many, 5 * 104, 0); /* 1 + 3 + 5 = 9 asked */
    assert_int_equal(check_raw(&f, req, len, &st), NTS_EF_OK);
    assert_int_equal(st.n_cookies, 8);
    assert_int_equal(ntp_packet_parse(req, len, &v), NTP_OK);
    rlen = header(reply, NTP_MODE_SERVER, 1, 0);
    assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen), 0);
    assert_int_equal(rlen, len);
}

static void reply_never_longer(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 9);
    static struct nts_ef_server_state st;
    uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN], uid[32], ph[100] = {0};
    memset(uid, 1, sizeof(uid));
    size_t len = header(req, NTP_MODE_CLIENT, 0, 0);
    ef(req, &len, NTS_EF_UNIQUE_ID, uid, 32);
    ef(req, &len, NTS_EF_COOKIE, f.cookie, 100);
    ef(req, &len, NTS_EF_PLACEHOLDER, ph, 100);
    auth(req, &len, f.keys.c2s, 16, NULL, 0, 0);
    struct ntp_packet_view v;
    assert_int_equal(ntp_packet_parse(req, len, &v), NTP_OK);
    assert_int_equal(nts_ef_server_check(req, &v, &f.kr, test_random, &f.seed, &st), NTS_EF_OK);
    assert_int_equal(st.n_cookies, 2);
    /* Pretend the header the caller wrote is longer (it never is): the reply must keep to
     * the request's length by dropping a cookie. */
    size_t rlen = 48 + 104;
    memset(reply, 0, rlen);
    header(reply, NTP_MODE_SERVER, 1, 0);
    assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen), 0);
    assert_int_equal(rlen, len);
    /* Too small a buffer fails. */
    assert_int_equal(nts_ef_server_check(req, &v, &f.kr, test_random, &f.seed, &st), NTS_EF_OK);
    rlen = 48;
    assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, len - 4, &rlen), -1);
}

static void client_rejects_forgeries(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 10);
    static struct nts_ef_server_state st;
    static struct nts_cookie_set got;
    uint8_t req[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
    struct ntp_packet_view v, rv;
    size_t len = client_request(&f, 0, req, sizeof(req), uid, &v);
    assert_int_equal(nts_ef_server_check(req, &v, &f.kr, test_random, &f.seed, &st), NTS_EF_OK);
    size_t rlen = header(reply, NTP_MODE_SERVER, 1, 0);
    assert_int_equal(nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen), 0);
    assert_int_equal(rlen, len);
    for (size_t i = 0; i < rlen; i += 5) {
        if (i >= 84 && i < 88)
            continue; /* the EF header: a change there is a parse error, tested below */
        reply[i] ^= 0x01;
        if (ntp_packet_parse(reply, rlen, &rv) == NTP_OK)
            assert_int_not_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got),
                                 NTS_EF_CLIENT_OK);
        reply[i] ^= 0x01;
    }
    assert_int_equal(ntp_packet_parse(reply, rlen, &rv), NTP_OK);
    assert_int_equal(nts_ef_client_check(reply, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_OK);
    /* Wrong S2C key (e.g. a reply for another association). */
    struct nts_keys wrong = f.keys;
    wrong.s2c[5] ^= 1;
    assert_int_equal(nts_ef_client_check(reply, &rv, &wrong, uid, &got), NTS_EF_CLIENT_INVALID);
    /* Our own request is not a reply. */
    assert_int_equal(nts_ef_client_check(req, &v, &f.keys, uid, &got), NTS_EF_CLIENT_INVALID);

    /* Authentic but without any cookie: refused, as chrony does. */
    uint8_t pkt[256];
    size_t plen = header(pkt, NTP_MODE_SERVER, 1, 0);
    ef(pkt, &plen, NTS_EF_UNIQUE_ID, uid, 32);
    auth(pkt, &plen, f.keys.s2c, 16, NULL, 0, 0);
    assert_int_equal(ntp_packet_parse(pkt, plen, &rv), NTP_OK);
    assert_int_equal(nts_ef_client_check(pkt, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_INVALID);
    /* ... and with one cookie, accepted (the control for the case above). */
    uint8_t c[104];
    wr16(c, NTS_EF_COOKIE);
    wr16(c + 2, 104);
    memset(c + 4, 9, 100);
    plen = header(pkt, NTP_MODE_SERVER, 1, 0);
    ef(pkt, &plen, NTS_EF_UNIQUE_ID, uid, 32);
    auth(pkt, &plen, f.keys.s2c, 16, c, sizeof(c), 0);
    assert_int_equal(ntp_packet_parse(pkt, plen, &rv), NTP_OK);
    assert_int_equal(nts_ef_client_check(pkt, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_OK);
    assert_int_equal(got.n, 1);
    assert_int_equal(got.len[0], 100);
    /* Missing unique identifier. */
    plen = header(pkt, NTP_MODE_SERVER, 1, 0);
    auth(pkt, &plen, f.keys.s2c, 16, c, sizeof(c), 0);
    assert_int_equal(ntp_packet_parse(pkt, plen, &rv), NTP_OK);
    assert_int_equal(nts_ef_client_check(pkt, &rv, &f.keys, uid, &got), NTS_EF_CLIENT_INVALID);
}

static void client_build_checks(void **state)
{
    (void)state;
    static struct fixture f;
    setup(&f, 11);
    uint8_t pkt[NTP_MAX_PACKET_LEN + 64], uid[NTS_UID_LEN], cookie[256];
    size_t len;
    memset(cookie, 0x33, sizeof(cookie));
#define BUILD(clen, ph, cap, rnd)                                                                  \
    (len = header(pkt, NTP_MODE_CLIENT, 0, 0),                                                     \
     nts_ef_client_build(pkt, cap, &len, &f.keys, cookie, clen, ph, rnd, &f.seed, uid))
    assert_int_equal(BUILD(100, 0, sizeof(pkt), test_random), 0);
    assert_int_equal(len, 228);
    assert_int_equal(BUILD(100, 0, 227, test_random), -1);
    assert_int_equal(BUILD(100, 0, sizeof(pkt), no_random), -1);
    assert_int_equal(BUILD(98, 0, sizeof(pkt), test_random), -1); /* not a multiple of 4 */
    assert_int_equal(BUILD(8, 0, sizeof(pkt), test_random), -1);  /* EF under 16 bytes */
    assert_int_equal(BUILD(12, 0, sizeof(pkt), test_random), 0);
    assert_int_equal(BUILD(100, 8, sizeof(pkt), test_random), -1); /* 9 cookie fields */
    assert_int_equal(BUILD(100, -1, sizeof(pkt), test_random), -1);
    assert_int_equal(BUILD(100, 7, sizeof(pkt), test_random), 0);
    assert_int_equal(len, 956);
    /* Too long for any server to take (tock's NTP_MAX_PACKET_LEN). */
    assert_int_equal(BUILD(256, 3, sizeof(pkt), test_random), -1);
    assert_int_equal(BUILD(256, 2, sizeof(pkt), test_random), 0);
#undef BUILD
    assert_int_equal(nts_ef_client_placeholders(7, 100), 0);
    assert_int_equal(nts_ef_client_placeholders(0, 100), 7);
    assert_int_equal(nts_ef_client_placeholders(5, 100), 2);
    assert_int_equal(nts_ef_client_placeholders(0, 256), 2); /* 864 / 260 = 3 fields */
    assert_int_equal(nts_ef_client_placeholders(0, 64), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(reply_layout),
        cmocka_unit_test(nak_for_unknown_cookie),
        cmocka_unit_test(bad_authenticator),
        cmocka_unit_test(malformed_requests),
        cmocka_unit_test(encrypted_placeholders_count),
        cmocka_unit_test(reply_never_longer),
        cmocka_unit_test(client_rejects_forgeries),
        cmocka_unit_test(client_build_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
