/* Unit tests for src/crypto/keys.c: every keyfile line form and warning, the table, digest
 * known-answer tests, and `keygen` lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"

static struct keys_table *parse(const char *text, struct keys_diags *d)
{
    memset(d, 0, sizeof(*d));
    struct keys_table *t = keys_parse("chrony.keys", text, strlen(text), d);
    assert_non_null(t);
    return t;
}

static void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

/* Expects a warning at line containing text. */
static void expect_diag(const struct keys_diags *d, int index, int line, const char *text)
{
    assert_true(index < d->n);
    if (d->items[index].loc.line != line || !strstr(d->items[index].message, text))
        fail_msg("diag %d: got line %d \"%s\", expected line %d containing \"%s\"", index,
                 d->items[index].loc.line, d->items[index].message, line, text);
    assert_string_equal(d->items[index].loc.file, "chrony.keys");
    assert_int_equal(d->items[index].level, KEYS_DIAG_WARNING);
}

static void good_lines(void **state)
{
    (void)state;
    struct keys_diags d;
    const char *text =
        "# chrony.keys\n"
        "1 MD5 HEX:00112233445566778899AABBCCDDEEFF\n"
        "2 SHA1 ASCII:secretkey123\n"
        "\n"
        "   ! another comment style\n"
        "; and another\n"
        "% and the last\n"
        "3\tSHA256   HEX:000102030405060708090a0b0c0d0e0f1011121314151617\r\n"
        "4 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
        "5 AES256 HEX:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n"
        "6 SHA3-256 ASCII:0123456789\n"
        "7 SHA512 plainwordkey\n"
        "8 SHA384 HEX:ffffffffffffffffffff\n"
        "9 SHA3-224 abcdefghij\n"
        "11 SHA3-384 abcdefghij\n"
        "12 SHA3-512 abcdefghij\n"
        "4294967295 SHA1 HEX:FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
    struct keys_table *t = parse(text, &d);
    assert_int_equal(d.n, 0);
    assert_int_equal(keys_count(t), 12);
    struct keys_info info;
    assert_true(keys_lookup(t, 1, &info));
    assert_int_equal(info.type, KEYS_MD5);
    assert_int_equal(info.key_len, 16);
    assert_int_equal(info.digest_len, 16);
    assert_true(keys_lookup(t, 2, &info));
    assert_int_equal(info.type, KEYS_SHA1);
    assert_int_equal(info.key_len, 12);
    assert_true(keys_lookup(t, 3, &info));
    assert_int_equal(info.type, KEYS_SHA256);
    assert_int_equal(info.key_len, 24);
    assert_int_equal(info.digest_len, 32);
    assert_true(keys_lookup(t, 4, &info));
    assert_int_equal(info.type, KEYS_AES128);
    assert_int_equal(info.digest_len, 16);
    assert_true(keys_lookup(t, 5, &info));
    assert_int_equal(info.type, KEYS_AES256);
    assert_int_equal(info.key_len, 32);
    assert_true(keys_lookup(t, 7, &info));
    assert_int_equal(info.key_len, 12); /* bare ASCII */
    assert_int_equal(info.digest_len, 64);
    assert_true(keys_lookup(t, 8, &info));
    assert_int_equal(info.digest_len, 48);
    assert_true(keys_lookup(t, 9, &info));
    assert_int_equal(info.digest_len, 28);
    assert_true(keys_lookup(t, 4294967295u, &info));
    assert_false(keys_lookup(t, 10, &info));
    assert_false(keys_lookup(t, 0, &info));
    /* In ID order. */
    uint32_t prev = 0;
    for (size_t i = 0; i < keys_count(t); i++) {
        assert_true(keys_info_at(t, i, &info));
        assert_true(info.id > prev);
        prev = info.id;
    }
    assert_false(keys_info_at(t, keys_count(t), &info));
    keys_free(t);
}

static void bad_lines_are_skipped_with_warnings(void **state)
{
    (void)state;
    struct keys_diags d;
    const char *text = "10 tulip\n"                                     /* 1: short */
                       "20 AES128 HEX:000102030405060708090A0B0C0D0E\n" /* 2: 120 bits */
                       "21 AES256 ASCII:short\n"                        /* 3 */
                       "22 sha1 ASCII:lowercase-type\n"                 /* 4 */
                       "23 RMD160 ASCII:dropped-in-4.0\n"               /* 5 */
                       "24 SHA1 HEX:0g\n"                               /* 6 */
                       "25 SHA1 HEX:abc\n"                              /* 7 */
                       "26 SHA1 HEX:\n"                                 /* 8 */
                       "27 MD5 ASCII:\n"                                /* 9 */
                       "0 MD5 abcdefghijkl\n"                           /* 10 */
                       "28\n"                                           /* 11 */
                       "29 MD5 two words\n"                             /* 12 */
                       "x1 MD5 abcdefghijkl\n"                          /* 13 */
                       "4294967296 MD5 abcdefghijkl\n"                  /* 14 */
                       "-1 MD5 abcdefghijkl\n"                          /* 15 */
                       "+5 MD5 abcdefghijkl\n"                          /* 16 */
                       "30 SHA1 HEX:+1\n"                               /* 17 */
                       "31 MD5 ASCII:abcdefghijk\n"                     /* 18: ok */
                       "31 SHA1 ASCII:the-duplicate\n"                  /* 19 */
                       "32 SHA\x1b[2J ASCII:escape-sequence\n";         /* 20 */
    struct keys_table *t = parse(text, &d);
    int i = 0;
    expect_diag(&d, i++, 1, "Key 10 is too short (40 bits");
    expect_diag(&d, i++, 2, "Invalid length of AES128 key 20 (expected 128 bits)");
    expect_diag(&d, i++, 3, "Invalid length of AES256 key 21 (expected 256 bits)");
    expect_diag(&d, i++, 4, "Unknown hash function or cipher sha1 in key 22");
    expect_diag(&d, i++, 5, "Unknown hash function or cipher RMD160 in key 23");
    expect_diag(&d, i++, 6, "Could not decode key 24");
    expect_diag(&d, i++, 7, "Could not decode key 25");
    expect_diag(&d, i++, 8, "Could not decode key 26");
    expect_diag(&d, i++, 9, "Could not decode key 27");
    expect_diag(&d, i++, 10, "Key ID 0 is not allowed");
    for (int line = 11; line <= 16; line++)
        expect_diag(&d, i++, line, "Could not parse key");
    expect_diag(&d, i++, 17, "Could not decode key 30");
    expect_diag(&d, i++, 19, "Detected duplicate key 31 (first defined at line 18)");
    expect_diag(&d, i++, 20, "Unknown hash function or cipher SHA?[2J in key 32");
    assert_int_equal(d.n, i);
    assert_int_equal(d.n_warnings, i);
    assert_int_equal(d.n_dropped, 0);

    /* Kept: the short key and the first of the duplicates. */
    assert_int_equal(keys_count(t), 2);
    struct keys_info info;
    assert_true(keys_lookup(t, 10, &info));
    assert_true(keys_lookup(t, 31, &info));
    assert_int_equal(info.type, KEYS_MD5);
    assert_int_equal(info.key_len, 11);
    keys_free(t);
}

static void line_length_and_odd_bytes(void **state)
{
    (void)state;
    struct keys_diags d;
    /* A line of exactly 2047 characters is fine; 2048 is too long. */
    char *text = malloc(3 * 2100);
    assert_non_null(text);
    int n = sprintf(text, "99 MD5 ");
    memset(text + n, 'k', (size_t)(KEYS_MAX_LINE - n));
    n = KEYS_MAX_LINE;
    n += sprintf(text + n, "\n98 MD5 ");
    int start = n - 7;
    memset(text + n, 'k', (size_t)(KEYS_MAX_LINE + 1 - 7));
    n = start + KEYS_MAX_LINE + 1;
    n += sprintf(text + n, "\n97 SHA1 ASCII:fine-key-here");
    struct keys_table *t = keys_parse("chrony.keys", text, (size_t)n, &d);
    assert_non_null(t);
    assert_int_equal(d.n, 1);
    expect_diag(&d, 0, 2, "Line too long");
    struct keys_info info;
    assert_true(keys_lookup(t, 99, &info));
    assert_int_equal(info.key_len, KEYS_MAX_LINE - 7);
    assert_false(keys_lookup(t, 98, &info));
    assert_true(keys_lookup(t, 97, &info)); /* last line without a newline */
    keys_free(t);

    /* A NUL byte inside a line makes it unparsable; the next line still counts. */
    const char nul[] = "5 MD5 abc\0defghijkl\n6 MD5 abcdefghijkl\n";
    t = keys_parse("chrony.keys", nul, sizeof(nul) - 1, &d);
    assert_non_null(t);
    assert_int_equal(d.n, 1);
    expect_diag(&d, 0, 1, "Could not parse key");
    assert_false(keys_lookup(t, 5, &info));
    assert_true(keys_lookup(t, 6, &info));
    keys_free(t);

    /* Empty input and NULL diags. */
    t = keys_parse("chrony.keys", "", 0, NULL);
    assert_non_null(t);
    assert_int_equal(keys_count(t), 0);
    assert_false(keys_lookup(t, 1, &info));
    keys_free(t);
    keys_free(NULL);
    free(text);
}

static void many_keys_and_many_warnings(void **state)
{
    (void)state;
    size_t cap = (size_t)(KEYS_MAX_KEYS + 10) * 40;
    char *text = malloc(cap);
    assert_non_null(text);
    size_t n = 0;
    for (uint32_t id = 1; id <= KEYS_MAX_KEYS + 2; id++)
        n += (size_t)snprintf(text + n, cap - n, "%u SHA1 ASCII:key-number-%u\n", id, id);
    struct keys_diags d;
    struct keys_table *t = keys_parse("chrony.keys", text, n, &d);
    assert_non_null(t);
    assert_int_equal(keys_count(t), KEYS_MAX_KEYS);
    assert_int_equal(d.n, 1);
    expect_diag(&d, 0, KEYS_MAX_KEYS + 1, "Too many keys");
    struct keys_info info;
    assert_true(keys_lookup(t, KEYS_MAX_KEYS, &info));
    assert_false(keys_lookup(t, KEYS_MAX_KEYS + 1, &info));
    keys_free(t);

    /* More bad lines than diagnostics: the rest are counted. */
    n = 0;
    for (int i = 0; i < KEYS_MAX_DIAGS + 5; i++)
        n += (size_t)snprintf(text + n, cap - n, "bad line %d\n", i);
    t = keys_parse("chrony.keys", text, n, &d);
    assert_non_null(t);
    assert_int_equal(d.n, KEYS_MAX_DIAGS);
    assert_int_equal(d.n_dropped, 5);
    assert_int_equal(d.n_warnings, KEYS_MAX_DIAGS + 5);
    keys_free(t);
    free(text);
}

/* digest(key || "c") with key "ab" is the digest of "abc": the FIPS/RFC test vector,
 * values from `printf abc | openssl dgst -ALG -r`. */
static void hash_known_answers(void **state)
{
    (void)state;
    static const struct {
        const char *type, *hex;
    } kat[] = {
        {"MD5", "900150983cd24fb0d6963f7d28e17f72"},
        {"SHA1", "a9993e364706816aba3e25717850c26c9cd0d89d"},
        {"SHA256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"SHA384", "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba"
                   "1e7cc2358baeca134c825a7"},
        {"SHA512", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a2"
                   "74fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"},
        {"SHA3-224", "e642824c3f8cf24ad09234ee7d3c766fc9a3a5168d0c94ad73b46fdf"},
        {"SHA3-256", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"},
        {"SHA3-384", "ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c2596da7cf0e49be4b298d88cea9"
                     "27ac7f539f1edf228376d25"},
        {"SHA3-512", "b751850b1a57168a5693cd924b6b096e08f621827444f70d884f5d0240d2712e10e116e91"
                     "92af3c91a7ec57647e3934057340b4cf408d5a56592f8274eec53f0"},
    };
    for (size_t i = 0; i < sizeof(kat) / sizeof(kat[0]); i++) {
        char line[64];
        snprintf(line, sizeof(line), "7 %s ab\n", kat[i].type);
        struct keys_diags d;
        struct keys_table *t = parse(line, &d);
        assert_int_equal(keys_count(t), 1);
        uint8_t out[KEYS_MAX_DIGEST_LEN], want[KEYS_MAX_DIGEST_LEN];
        size_t len = strlen(kat[i].hex) / 2;
        hex_to_bytes(kat[i].hex, want, len);
        assert_int_equal(keys_digest(t, 7, (const uint8_t *)"c", 1, out), len);
        assert_memory_equal(out, want, len);
        /* The prepared state is not consumed: a second digest is the same. */
        assert_int_equal(keys_digest(t, 7, (const uint8_t *)"c", 1, out), len);
        assert_memory_equal(out, want, len);
        assert_int_equal(keys_digest(t, 8, (const uint8_t *)"c", 1, out), 0);
        keys_free(t);
    }
}

/* RFC 4493 section 4 (AES-128) and NIST SP 800-38B (AES-256) CMAC examples, confirmed with
 * `openssl mac -cipher AES-128-CBC -macopt hexkey:2b7e... -in FILE CMAC`. */
static void cmac_known_answers(void **state)
{
    (void)state;
    static const char msg_hex[] =
        "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
    uint8_t msg[64], out[KEYS_MAX_DIGEST_LEN], want[16];
    hex_to_bytes(msg_hex, msg, 64);
    struct keys_diags d;
    struct keys_table *t = parse("1 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
                                 "2 AES256 HEX:603deb1015ca71be2b73aef0857d77811f352c073b6108d72"
                                 "d9810a30914dff4\n",
                                 &d);
    assert_int_equal(d.n, 0);
    assert_int_equal(keys_digest(t, 1, msg, 0, out), 16);
    hex_to_bytes("bb1d6929e95937287fa37d129b756746", want, 16);
    assert_memory_equal(out, want, 16);
    assert_int_equal(keys_digest(t, 1, msg, 16, out), 16);
    hex_to_bytes("070a16b46b4d4144f79bdd9dd04a287c", want, 16);
    assert_memory_equal(out, want, 16);
    assert_int_equal(keys_digest(t, 1, msg, 64, out), 16);
    hex_to_bytes("51f0bebf7e3b9d92fc49741779363cfe", want, 16);
    assert_memory_equal(out, want, 16);
    assert_int_equal(keys_digest(t, 2, msg, 64, out), 16);
    hex_to_bytes("e1992190549f6ed5696a2c056c315410", want, 16);
    assert_memory_equal(out, want, 16);
    keys_free(t);
}

static void type_names(void **state)
{
    (void)state;
    for (int t = 0; t < KEYS_N_TYPES; t++)
        assert_int_equal(keys_type_from_name(keys_type_name((enum keys_type)t)), t);
    assert_int_equal(keys_type_from_name("md5"), -1);
    assert_int_equal(keys_type_from_name("TIGER"), -1);
    assert_int_equal(keys_type_from_name(""), -1);
    assert_true(keys_type_is_cmac(KEYS_AES128));
    assert_false(keys_type_is_cmac(KEYS_SHA1));
    assert_int_equal(keys_type_digest_len(KEYS_SHA3_224), 28);
    assert_int_equal(keys_type_digest_len(KEYS_N_TYPES), 0);
}

static void keygen_lines(void **state)
{
    (void)state;
    /* Lengths as chronyc keygen: max(10, ceil(bits / 8)) up to 512, AES exact. */
    assert_int_equal(keys_keygen_length("SHA1", 160), 20);
    assert_int_equal(keys_keygen_length("MD5", 8), 10);
    assert_int_equal(keys_keygen_length("SHA256", 256), 32);
    assert_int_equal(keys_keygen_length("SHA256", 257), 33);
    assert_int_equal(keys_keygen_length("SHA3-224", 0), 10);
    assert_int_equal(keys_keygen_length("AES128", 40), 16);
    assert_int_equal(keys_keygen_length("AES256", 0), 32);
    assert_int_equal(keys_keygen_length("SHA1", 100000), 512);
    assert_int_equal(keys_keygen_length("SHA1", UINT_MAX), 512);
    assert_int_equal(keys_keygen_length("FOO", 160), 0);
    assert_int_equal(keys_keygen_length("sha1", 160), 0);
    assert_int_equal(keys_keygen_length(NULL, 160), 0);

    uint8_t rnd[512];
    for (int i = 0; i < 512; i++)
        rnd[i] = (uint8_t)(i * 7 + 1);
    char out[1100];
    int n = keys_format_keygen_line(5, "SHA256", 256, rnd, sizeof(rnd), out, sizeof(out));
    assert_int_equal(n, (int)strlen(out));
    assert_string_equal(out, "5 SHA256 HEX:01080F161D242B323940474E555C636A71787F868D949BA2A9B0"
                             "B7BEC5CCD3DA");
    n = keys_format_keygen_line(1, "AES128", 160, rnd, 16, out, sizeof(out));
    assert_string_equal(out, "1 AES128 HEX:01080F161D242B323940474E555C636A");
    n = keys_format_keygen_line(4294967295u, "SHA1", 100000, rnd, sizeof(rnd), out, sizeof(out));
    assert_int_equal(n, 11 + 5 + 4 + 1024);
    /* Errors: unknown type, too little randomness, too small a buffer. */
    assert_int_equal(keys_format_keygen_line(1, "sha1", 160, rnd, 20, out, sizeof(out)), -1);
    assert_int_equal(keys_format_keygen_line(1, "SHA1", 160, rnd, 19, out, sizeof(out)), -1);
    assert_int_equal(keys_format_keygen_line(1, "SHA1", 160, rnd, 20, out, 20), -1);

    /* A generated line reads back as the same key. */
    n = keys_format_keygen_line(77, "SHA1", 160, rnd, sizeof(rnd), out, sizeof(out));
    assert_true(n > 0);
    struct keys_diags d;
    struct keys_table *t = parse(out, &d);
    assert_int_equal(d.n, 0);
    struct keys_info info;
    assert_true(keys_lookup(t, 77, &info));
    assert_int_equal(info.type, KEYS_SHA1);
    assert_int_equal(info.key_len, 20);
    char direct[80];
    snprintf(direct, sizeof(direct), "77 SHA1 HEX:");
    for (int i = 0; i < 20; i++)
        snprintf(direct + 12 + 2 * i, sizeof(direct) - 12 - 2 * (size_t)i, "%02x", rnd[i]);
    struct keys_table *t2 = parse(direct, &d);
    uint8_t a[KEYS_MAX_DIGEST_LEN], b[KEYS_MAX_DIGEST_LEN];
    assert_int_equal(keys_digest(t, 77, rnd, 48, a), 20);
    assert_int_equal(keys_digest(t2, 77, rnd, 48, b), 20);
    assert_memory_equal(a, b, 20);
    keys_free(t);
    keys_free(t2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_lines),
        cmocka_unit_test(bad_lines_are_skipped_with_warnings),
        cmocka_unit_test(line_length_and_odd_bytes),
        cmocka_unit_test(many_keys_and_many_warnings),
        cmocka_unit_test(hash_known_answers),
        cmocka_unit_test(cmac_known_answers),
        cmocka_unit_test(type_names),
        cmocka_unit_test(keygen_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
