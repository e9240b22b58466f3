/* Unit tests for src/crypto/siv.c (AEAD_AES_SIV_CMAC_256 over Nettle).
 *
 * Expected values come from three independent places: the RFC 5297 appendix A vectors,
 * a reference S2V/CTR written here on top of OpenSSL's CMAC and AES-CTR (checked against
 * those vectors first), and chrony's published NTS vector for an empty plaintext. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "crypto/siv.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        unsigned v;
        assert_true(sscanf(hex, "%2x", &v) == 1);
        assert_true(n < cap);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
    return n;
}

/* ---- Reference SIV (RFC 5297 section 2) from OpenSSL primitives ---- */

static void ref_cmac(const uint8_t key[16], const uint8_t *msg, size_t len, uint8_t out[16])
{
    EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
    assert_non_null(mac);
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
    char cipher[] = "AES-128-CBC";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
        OSSL_PARAM_construct_end(),
    };
    assert_int_equal(EVP_MAC_init(ctx, key, 16, params), 1);
    assert_int_equal(EVP_MAC_update(ctx, msg, len), 1);
    size_t outl = 0;
    assert_int_equal(EVP_MAC_final(ctx, out, &outl, 16), 1);
    assert_int_equal(outl, 16);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
}

static void dbl(uint8_t b[16])
{
    int carry = b[0] >> 7;
    for (int i = 0; i < 15; i++)
        b[i] = (uint8_t)((b[i] << 1) | (b[i + 1] >> 7));
    b[15] = (uint8_t)(b[15] << 1);
    if (carry)
        b[15] ^= 0x87;
}

struct component {
    const uint8_t *p;
    size_t len;
};

/* S2V over n components, the last being the plaintext. */
static void ref_s2v(const uint8_t k1[16], const struct component *c, int n, uint8_t v[16])
{
    static const uint8_t zero[16];
    uint8_t d[16], t[16];
    ref_cmac(k1, zero, 16, d);
    for (int i = 0; i < n - 1; i++) {
        dbl(d);
        ref_cmac(k1, c[i].p, c[i].len, t);
        for (int j = 0; j < 16; j++)
            d[j] ^= t[j];
    }
    const struct component *last = &c[n - 1];
    if (last->len >= 16) {
        uint8_t *buf = malloc(last->len);
        memcpy(buf, last->p, last->len);
        for (int j = 0; j < 16; j++)
            buf[last->len - 16 + j] ^= d[j];
        ref_cmac(k1, buf, last->len, v);
        free(buf);
    } else {
        dbl(d);
        memset(t, 0, 16);
        if (last->len)
            memcpy(t, last->p, last->len);
        t[last->len] = 0x80;
        for (int j = 0; j < 16; j++)
            t[j] ^= d[j];
        ref_cmac(k1, t, 16, v);
    }
}

/* out = V || CTR(K2, Q)(plaintext) */
static void ref_siv(const uint8_t key[32], const struct component *c, int n, uint8_t *out)
{
    uint8_t q[16];
    ref_s2v(key, c, n, out);
    memcpy(q, out, 16);
    q[8] &= 0x7f;
    q[12] &= 0x7f;
    const struct component *pt = &c[n - 1];
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key + 16, q), 1);
    if (pt->len)
        assert_int_equal(EVP_EncryptUpdate(ctx, out + 16, &outl, pt->p, (int)pt->len), 1);
    EVP_CIPHER_CTX_free(ctx);
}

/* RFC 5297 A.1 (one AD, no nonce) and A.2 (two ADs and a nonce) validate the reference. */
static void reference_matches_rfc5297(void **state)
{
    (void)state;
    uint8_t key[32], ad[64], ad2[16], nonce[16], pt[64], want[80], out[80];
    size_t ad_len, ad2_len, nonce_len, pt_len, want_len;

    unhex("fffefdfc fbfaf9f8 f7f6f5f4 f3f2f1f0 f0f1f2f3 f4f5f6f7 f8f9fafb fcfdfeff", key, 32);
    ad_len = unhex("10111213 14151617 18191a1b 1c1d1e1f 20212223 24252627", ad, sizeof(ad));
    pt_len = unhex("11223344 55667788 99aabbcc ddee", pt, sizeof(pt));
    want_len = unhex("85632d07 c6e8f37f 950acd32 0a2ecc93 40c02b96 90c4dc04 daef7f6a fe5c", want,
                     sizeof(want));
    struct component a1[] = {{ad, ad_len}, {pt, pt_len}};
    ref_siv(key, a1, 2, out);
    assert_int_equal(want_len, 16 + pt_len);
    assert_memory_equal(out, want, want_len);

    unhex("7f7e7d7c 7b7a7978 77767574 73727170 40414243 44454647 48494a4b 4c4d4e4f", key, 32);
    ad_len = unhex("00112233 44556677 8899aabb ccddeeff deaddada deaddada ffeeddcc bbaa9988 "
                   "77665544 33221100",
                   ad, sizeof(ad));
    ad2_len = unhex("10203040 50607080 90a0", ad2, sizeof(ad2));
    nonce_len = unhex("09f91102 9d74e35b d84156c5 635688c0", nonce, sizeof(nonce));
    pt_len = unhex("74686973 20697320 736f6d65 20706c61 696e7465 78742074 6f20656e 63727970 "
                   "74207573 696e6720 5349562d 414553",
                   pt, sizeof(pt));
    want_len = unhex("7bdb6e3b 432667eb 06f4d14b ff2fbd0f cb900f2f ddbe4043 26601965 c889bf17 "
                     "dba77ceb 094fa663 b7a3f748 ba8af829 ea64ad54 4a272e9c 485b62a3 fd5c0d",
                     want, sizeof(want));
    struct component a2[] = {{ad, ad_len}, {ad2, ad2_len}, {nonce, nonce_len}, {pt, pt_len}};
    ref_siv(key, a2, 4, out);
    assert_int_equal(want_len, 16 + pt_len);
    assert_memory_equal(out, want, want_len);
}

/* OpenSSL's own AES-SIV must agree with the reference for non-empty plaintexts (it cannot
 * tag an empty one in 3.0, which is why tock uses Nettle). */
static void reference_matches_openssl_siv(void **state)
{
    (void)state;
    uint8_t key[32], ad[40], nonce[16], pt[50], want[66], tag[16], ct[50];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 7 + 1);
    for (int i = 0; i < 40; i++)
        ad[i] = (uint8_t)(i ^ 0x5a);
    for (int i = 0; i < 16; i++)
        nonce[i] = (uint8_t)(0xa0 + i);
    for (int i = 0; i < 50; i++)
        pt[i] = (uint8_t)(i * 3);
    struct component c[] = {{ad, sizeof(ad)}, {nonce, sizeof(nonce)}, {pt, sizeof(pt)}};
    ref_siv(key, c, 3, want);

    EVP_CIPHER *siv = EVP_CIPHER_fetch(NULL, "AES-128-SIV", NULL);
    if (!siv) {
        skip();
        return;
    }
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int outl = 0;
    assert_int_equal(EVP_EncryptInit_ex(ctx, siv, NULL, key, NULL), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, ad, sizeof(ad)), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, NULL, &outl, nonce, sizeof(nonce)), 1);
    assert_int_equal(EVP_EncryptUpdate(ctx, ct, &outl, pt, sizeof(pt)), 1);
    assert_int_equal(EVP_EncryptFinal_ex(ctx, ct + outl, &outl), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag), 1);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(siv);
    assert_memory_equal(tag, want, 16);
    assert_memory_equal(ct, want + 16, sizeof(pt));
}

/* ---- tock's siv_ against the reference ---- */

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (uint8_t)(seed >> 16);
    }
}

static void matches_reference_all_lengths(void **state)
{
    (void)state;
    uint8_t key[32], nonce[20], ad[300], pt[300], want[320], got[320], back[300];
    struct siv_ctx ctx;
    fill(key, sizeof(key), 1);
    siv_set_key(&ctx, key);
    /* Plaintext lengths around the 16-byte boundary that switches S2V's last step, the
     * empty plaintext of an NTS request, and cookie-sized ones; AD lengths including 0. */
    static const size_t pt_lens[] = {0, 1, 15, 16, 17, 31, 32, 33, 64, 100, 208, 300};
    static const size_t ad_lens[] = {0, 1, 16, 48, 68, 228, 300};
    static const size_t nonce_lens[] = {1, 12, 16, 20};
    unsigned seed = 7;
    for (size_t a = 0; a < sizeof(ad_lens) / sizeof(ad_lens[0]); a++)
        for (size_t p = 0; p < sizeof(pt_lens) / sizeof(pt_lens[0]); p++)
            for (size_t n = 0; n < sizeof(nonce_lens) / sizeof(nonce_lens[0]); n++) {
                size_t al = ad_lens[a], pl = pt_lens[p], nl = nonce_lens[n];
                fill(ad, al, seed++);
                fill(pt, pl, seed++);
                fill(nonce, nl, seed++);
                struct component c[] = {{ad, al}, {nonce, nl}, {pt, pl}};
                ref_siv(key, c, 3, want);
                memset(got, 0xee, sizeof(got));
                assert_int_equal(siv_encrypt(&ctx, nonce, nl, al ? ad : NULL, al, pt, pl, got), 0);
                assert_memory_equal(got, want, 16 + pl);
                assert_int_equal(got[16 + pl], 0xee); /* nothing written past the end */
                assert_int_equal(siv_decrypt(&ctx, nonce, nl, ad, al, got, 16 + pl, back), 0);
                if (pl)
                    assert_memory_equal(back, pt, pl);
            }
    siv_wipe(&ctx);
}

/* chrony test/unit/siv.c, first AES-SIV-CMAC-256 case: empty AD and empty plaintext. */
static void chrony_empty_vector(void **state)
{
    (void)state;
    uint8_t key[32], nonce[16], want[16], out[16];
    unhex("0123456789abcdeff0123456789abcdeef0123456789abcddef0123456789abc", key, 32);
    unhex("101112131415161718191a1b1c1d1e1f", nonce, 16);
    unhex("223eb594e0e0254b00258e219a1ca421", want, 16);
    struct siv_ctx ctx;
    siv_set_key(&ctx, key);
    assert_int_equal(siv_encrypt(&ctx, nonce, 16, NULL, 0, NULL, 0, out), 0);
    assert_memory_equal(out, want, 16);
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, NULL, 0, out, 16, NULL), 0);
}

static void tampering_is_detected(void **state)
{
    (void)state;
    uint8_t key[32], key2[32], nonce[16], ad[48], pt[64], ct[80], back[64];
    fill(key, 32, 11);
    memcpy(key2, key, 32);
    key2[31] ^= 1;
    fill(nonce, 16, 12);
    fill(ad, 48, 13);
    fill(pt, 64, 14);
    struct siv_ctx ctx, other;
    siv_set_key(&ctx, key);
    siv_set_key(&other, key2);
    assert_int_equal(siv_encrypt(&ctx, nonce, 16, ad, 48, pt, 64, ct), 0);

    /* Every single-bit change of tag, ciphertext, AD or nonce must fail, and leave no
     * plaintext behind. */
    for (size_t i = 0; i < sizeof(ct) * 8; i += 7) {
        ct[i / 8] ^= (uint8_t)(1u << (i % 8));
        memset(back, 0x55, sizeof(back));
        assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 80, back), -1);
        for (size_t j = 0; j < sizeof(back); j++)
            assert_int_equal(back[j], 0);
        ct[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    ad[47] ^= 0x80;
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 80, back), -1);
    ad[47] ^= 0x80;
    nonce[0] ^= 1;
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 80, back), -1);
    nonce[0] ^= 1;
    /* A shorter AD (the authenticator's AD is a packet prefix) must not verify. */
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 44, ct, 80, back), -1);
    assert_int_equal(siv_decrypt(&other, nonce, 16, ad, 48, ct, 80, back), -1);
    /* Truncations. */
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 79, back), -1);
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 15, back), -1);
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 0, back), -1);
    /* Intact input still verifies. */
    assert_int_equal(siv_decrypt(&ctx, nonce, 16, ad, 48, ct, 80, back), 0);
    assert_memory_equal(back, pt, 64);
}

static void empty_nonce_refused(void **state)
{
    (void)state;
    uint8_t key[32] = {1}, out[32], back[16];
    struct siv_ctx ctx;
    siv_set_key(&ctx, key);
    assert_int_equal(siv_encrypt(&ctx, out, 0, NULL, 0, NULL, 0, out), -1);
    assert_int_equal(siv_encrypt(&ctx, key, 1, NULL, 0, key, 16, out), 0);
    assert_int_equal(siv_decrypt(&ctx, key, 0, NULL, 0, out, 32, back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_matches_rfc5297),
        cmocka_unit_test(reference_matches_openssl_siv),
        cmocka_unit_test(matches_reference_all_lengths),
        cmocka_unit_test(chrony_empty_vector),
        cmocka_unit_test(tampering_is_detected),
        cmocka_unit_test(empty_nonce_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
