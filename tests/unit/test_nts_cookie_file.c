/* Unit tests for src/crypto/nts_cookie_file.c: the NTS client's saved cookies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "crypto/nts_cookie_file.h"

static void sample(struct nts_cookie_file *f, int n_cookies)
{
    memset(f, 0, sizeof(*f));
    snprintf(f->name, sizeof(f->name), "time.example.net");
    assert_int_equal(tock_ip_parse("192.0.2.7", &f->ke.ip), 0);
    f->ke.port = 4460;
    assert_int_equal(tock_ip_parse("2001:db8::123", &f->ntp.ip), 0);
    f->ntp.port = 123;
    f->ke_time = 1795694818;
    f->keys.aead = 15;
    f->keys.key_len = 32;
    for (int i = 0; i < 32; i++) {
        f->keys.c2s[i] = (uint8_t)i;
        f->keys.s2c[i] = (uint8_t)(0xf0 - i);
    }
    f->cookies.n = n_cookies;
    for (int c = 0; c < n_cookies; c++) {
        f->cookies.len[c] = (uint16_t)(c == 1 ? 256 : 100);
        for (int i = 0; i < f->cookies.len[c]; i++)
            f->cookies.data[c][i] = (uint8_t)(c * 31 + i);
    }
}

static void round_trip(void **state)
{
    (void)state;
    static struct nts_cookie_file f, g;
    char text[NTS_COOKIE_FILE_MAX];
    const char *err = NULL;
    sample(&f, 8);
    int len = nts_cookie_file_format(&f, text, sizeof(text));
    assert_true(len > 0 && len < NTS_COOKIE_FILE_MAX);
    assert_int_equal(nts_cookie_file_parse(text, (size_t)len, &g, &err), 0);
    assert_string_equal(g.name, "time.example.net");
    assert_true(tock_ip_equal(&g.ke.ip, &f.ke.ip) && g.ke.port == 4460);
    assert_true(tock_ip_equal(&g.ntp.ip, &f.ntp.ip) && g.ntp.port == 123);
    assert_int_equal(g.ke_time, 1795694818);
    assert_int_equal(g.keys.aead, 15);
    assert_int_equal(g.keys.key_len, 32);
    assert_memory_equal(g.keys.c2s, f.keys.c2s, 32);
    assert_memory_equal(g.keys.s2c, f.keys.s2c, 32);
    assert_int_equal(g.cookies.n, 8);
    for (int c = 0; c < 8; c++) {
        assert_int_equal(g.cookies.len[c], f.cookies.len[c]);
        assert_memory_equal(g.cookies.data[c], f.cookies.data[c], f.cookies.len[c]);
    }
}

/* The text, worked out by hand for a one-cookie file. */
static void exact_text(void **state)
{
    (void)state;
    static struct nts_cookie_file f;
    char text[NTS_COOKIE_FILE_MAX];
    sample(&f, 1);
    f.cookies.len[0] = 12;
    memset(f.cookies.data[0], 0xab, 12);
    int len = nts_cookie_file_format(&f, text, sizeof(text));
    const char *want = "TNC1\n"
                       "time.example.net 192.0.2.7 4460\n"
                       "2001:db8::123 123\n"
                       "1795694818 15 "
                       "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
                       "f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7d6d5d4d3d2d1\n"
                       "abababababababababababab\n";
    assert_int_equal(len, (int)strlen(want));
    assert_memory_equal(text, want, strlen(want));
}

static void format_refuses_bad_fields(void **state)
{
    (void)state;
    static struct nts_cookie_file f;
    char text[NTS_COOKIE_FILE_MAX];
    sample(&f, 0);
    assert_int_equal(nts_cookie_file_format(&f, text, sizeof(text)), -1); /* empty jar */
    sample(&f, 1);
    snprintf(f.name, sizeof(f.name), "two words");
    assert_int_equal(nts_cookie_file_format(&f, text, sizeof(text)), -1);
    sample(&f, 1);
    f.keys.aead = 30;
    assert_int_equal(nts_cookie_file_format(&f, text, sizeof(text)), -1);
    sample(&f, 1);
    f.cookies.len[0] = 10; /* not a multiple of 4 */
    assert_int_equal(nts_cookie_file_format(&f, text, sizeof(text)), -1);
    sample(&f, 8);
    assert_int_equal(nts_cookie_file_format(&f, text, 300), -1); /* too small */
}

static int parse_str(const char *s, const char **err)
{
    static struct nts_cookie_file f;
    int r = nts_cookie_file_parse(s, strlen(s), &f, err);
    if (r != 0) {
        /* Nothing of a rejected file is left behind. */
        static const struct nts_cookie_file zero;
        assert_memory_equal(&f, &zero, sizeof(f));
    }
    return r;
}

#define KEYS                                                                                       \
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "                            \
    "f0efeeedecebeae9e8e7e6e5e4e3e2e1e0dfdedddcdbdad9d8d7d6d5d4d3d2d1"
#define COOKIE "abababababababababababab"

static void parse_rejects_bad_files(void **state)
{
    (void)state;
    const char *err = NULL;
    /* Good, with and without the final newline. */
    assert_int_equal(
        parse_str("TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE "\n", &err), 0);
    assert_int_equal(
        parse_str("TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE, &err), 0);
    static const struct {
        const char *text, *err;
    } bad[] = {
        {"TNC2\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE "\n", "TNC1"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n", "too few"},
        {"TNC1\nh  127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE "\n", "server line"},
        {"TNC1\nh 127.0.0.1 65536\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE "\n", "server line"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 0\n5 15 " KEYS "\n" COOKIE "\n", "NTP server"},
        {"TNC1\nh 127.0.0.1 4460\nexample 123\n5 15 " KEYS "\n" COOKIE "\n", "NTP server"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n-5 15 " KEYS "\n" COOKIE "\n", "key line"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 30 " KEYS "\n" COOKIE "\n", "bad keys"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 00" KEYS "\n" COOKIE "\n", "bad keys"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\nabab\n", "bad cookie"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\nabababababababababababzz\n",
         "bad cookie"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE " x\n", "cookie line"},
        {"TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE "\n" COOKIE "\n" COOKIE
         "\n" COOKIE "\n" COOKIE "\n" COOKIE "\n" COOKIE "\n" COOKIE "\n" COOKIE "\n",
         "too many lines"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        assert_int_equal(parse_str(bad[i].text, &err), -1);
        assert_non_null(err);
        if (!strstr(err, bad[i].err))
            fail_msg("case %zu: error '%s', expected '%s'", i, err, bad[i].err);
    }
    /* A NUL inside, and an oversized file. */
    char nul[] = "TNC1\nh 127.0.0.1 4460\n127.0.0.1 123\n5 15 " KEYS "\n" COOKIE "\n";
    static struct nts_cookie_file f;
    nul[10] = '\0';
    assert_int_equal(nts_cookie_file_parse(nul, sizeof(nul) - 1, &f, &err), -1);
    static char big[NTS_COOKIE_FILE_MAX + 2];
    memset(big, 'a', sizeof(big));
    assert_int_equal(nts_cookie_file_parse(big, sizeof(big), &f, &err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(exact_text),
        cmocka_unit_test(format_refuses_bad_fields),
        cmocka_unit_test(parse_rejects_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
