/* Unit tests for src/crypto/nts_cookie.c: layout, sealing and opening across rotations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "crypto/nts_cookie.h"

static int counter_random(void *arg, uint8_t *buf, size_t len)
{
    uint32_t *c = arg;
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)((*c)++ * 131u + 7u);
    return 0;
}

static int failing_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return -1;
}

static struct nts_keys sample_keys(void)
{
    struct nts_keys k = {.aead = 15, .key_len = 32};
    for (int i = 0; i < 32; i++) {
        k.c2s[i] = (uint8_t)i;
        k.s2c[i] = (uint8_t)(0x80 + i);
    }
    return k;
}

static void layout_is_chronys(void **state)
{
    (void)state;
    uint32_t c = 1;
    struct nts_keyring kr;
    assert_int_equal(nts_keyring_init(&kr, 3600, 0, counter_random, &c), 0);
    struct nts_keys keys = sample_keys();
    uint8_t cookie[NTS_COOKIE_LEN + 8];
    const struct nts_server_key *key = nts_keyring_current(&kr);
    assert_int_equal(nts_cookie_seal(key, &keys, counter_random, &c, cookie, sizeof(cookie)), 100);
    assert_int_equal(NTS_COOKIE_LEN, 100);
    /* key id, big-endian */
    assert_int_equal(((uint32_t)cookie[0] << 24 | (uint32_t)cookie[1] << 16 |
                      (uint32_t)cookie[2] << 8 | cookie[3]),
                     key->id);
    /* then a 16-byte nonce and SIV(empty AD, C2S || S2C): decrypt it by hand */
    uint8_t plain[64];
    struct siv_ctx siv;
    siv_set_key(&siv, key->key);
    assert_int_equal(siv_decrypt(&siv, cookie + 4, 16, NULL, 0, cookie + 20, 80, plain), 0);
    assert_memory_equal(plain, keys.c2s, 32);
    assert_memory_equal(plain + 32, keys.s2c, 32);
}

static void seal_open_round_trip(void **state)
{
    (void)state;
    uint32_t c = 1000;
    struct nts_keyring kr;
    assert_int_equal(nts_keyring_init(&kr, 3600, 0, counter_random, &c), 0);
    struct nts_keys keys = sample_keys(), out;
    uint8_t a[NTS_COOKIE_LEN], b[NTS_COOKIE_LEN];
    assert_int_equal(nts_cookie_seal(nts_keyring_current(&kr), &keys, counter_random, &c, a, 100),
                     100);
    assert_int_equal(nts_cookie_seal(nts_keyring_current(&kr), &keys, counter_random, &c, b, 100),
                     100);
    /* Fresh nonces: two cookies for the same keys are unlinkable. */
    assert_memory_not_equal(a + 4, b + 4, 96);
    assert_int_equal(nts_cookie_open(&kr, a, 100, &out), NTS_COOKIE_OK);
    assert_int_equal(out.aead, 15);
    assert_int_equal(out.key_len, 32);
    assert_memory_equal(out.c2s, keys.c2s, 32);
    assert_memory_equal(out.s2c, keys.s2c, 32);
    assert_int_equal(nts_cookie_open(&kr, b, 100, &out), NTS_COOKIE_OK);
}

static void cookies_survive_two_rotations(void **state)
{
    (void)state;
    uint32_t c = 5;
    struct nts_keyring kr;
    assert_int_equal(nts_keyring_init(&kr, 10, 0, counter_random, &c), 0);
    struct nts_keys keys = sample_keys(), out;
    uint8_t cookie[NTS_COOKIE_LEN], next_cookie[NTS_COOKIE_LEN];
    assert_int_equal(
        nts_cookie_seal(nts_keyring_current(&kr), &keys, counter_random, &c, cookie, 100), 100);
    /* A cookie made with the pre-generated next key (by a server sharing the key file that
     * already rotated) opens before this ring rotates. */
    assert_int_equal(nts_cookie_seal(&kr.slot[(kr.current + 1) % 4], &keys, counter_random, &c,
                                     next_cookie, 100),
                     100);
    assert_int_equal(nts_cookie_open(&kr, next_cookie, 100, &out), NTS_COOKIE_OK);
    assert_int_equal(nts_keyring_update(&kr, 10), 1);
    assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_OK);
    assert_int_equal(nts_keyring_update(&kr, 20), 1);
    assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_OK);
    assert_int_equal(nts_keyring_update(&kr, 30), 1);
    assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_ERR_UNKNOWN_KEY);
    /* Failed opens leave no keys behind. */
    assert_int_equal(out.key_len, 0);
    assert_int_equal(out.c2s[0] | out.s2c[31], 0);
}

static void damaged_cookies_fail(void **state)
{
    (void)state;
    uint32_t c = 77;
    struct nts_keyring kr, other;
    assert_int_equal(nts_keyring_init(&kr, 10, 0, counter_random, &c), 0);
    assert_int_equal(nts_keyring_init(&other, 10, 0, counter_random, &c), 0);
    struct nts_keys keys = sample_keys(), out;
    uint8_t cookie[NTS_COOKIE_LEN + 4] = {0};
    assert_int_equal(
        nts_cookie_seal(nts_keyring_current(&kr), &keys, counter_random, &c, cookie, 104), 100);
    for (int i = 4; i < 100; i++) {
        cookie[i] ^= 0x40;
        assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_ERR_DECRYPT);
        cookie[i] ^= 0x40;
    }
    /* Changing the id's slot bits or upper bits names no key of this ring. */
    cookie[3] ^= 1;
    assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_ERR_UNKNOWN_KEY);
    cookie[3] ^= 1;
    cookie[0] ^= 1;
    assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_ERR_UNKNOWN_KEY);
    cookie[0] ^= 1;
    /* Another server's ring does not know the key. */
    assert_int_equal(nts_cookie_open(&other, cookie, 100, &out), NTS_COOKIE_ERR_UNKNOWN_KEY);
    /* Lengths */
    assert_int_equal(nts_cookie_open(&kr, cookie, 0, &out), NTS_COOKIE_ERR_LENGTH);
    assert_int_equal(nts_cookie_open(&kr, cookie, 4, &out), NTS_COOKIE_ERR_LENGTH);
    assert_int_equal(nts_cookie_open(&kr, cookie, 99, &out), NTS_COOKIE_ERR_LENGTH);
    assert_int_equal(nts_cookie_open(&kr, cookie, 104, &out), NTS_COOKIE_ERR_LENGTH);
    assert_int_equal(nts_cookie_open(&kr, cookie, 100, &out), NTS_COOKIE_OK);
}

static void seal_refusals(void **state)
{
    (void)state;
    uint32_t c = 3;
    struct nts_keyring kr;
    assert_int_equal(nts_keyring_init(&kr, 10, 0, counter_random, &c), 0);
    struct nts_keys keys = sample_keys();
    uint8_t cookie[NTS_COOKIE_LEN];
    const struct nts_server_key *key = nts_keyring_current(&kr);
    assert_int_equal(nts_cookie_seal(key, &keys, counter_random, &c, cookie, 99),
                     NTS_COOKIE_ERR_LENGTH);
    assert_int_equal(nts_cookie_seal(key, &keys, failing_random, NULL, cookie, 100),
                     NTS_COOKIE_ERR_RANDOM);
    keys.key_len = 16;
    assert_int_equal(nts_cookie_seal(key, &keys, counter_random, &c, cookie, 100),
                     NTS_COOKIE_ERR_KEYS);
    keys.key_len = 32;
    keys.aead = 30;
    assert_int_equal(nts_cookie_seal(key, &keys, counter_random, &c, cookie, 100),
                     NTS_COOKIE_ERR_KEYS);
    assert_string_equal(nts_cookie_error_name(NTS_COOKIE_ERR_UNKNOWN_KEY), "unknown cookie key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(layout_is_chronys),
        cmocka_unit_test(seal_open_round_trip),
        cmocka_unit_test(cookies_survive_two_rotations),
        cmocka_unit_test(damaged_cookies_fail),
        cmocka_unit_test(seal_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
