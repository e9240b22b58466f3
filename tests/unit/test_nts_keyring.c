/* Unit tests for src/crypto/nts_keyring.c: slots, rotation, the ntskeys file format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "crypto/nts_keyring.h"

struct rng {
    uint64_t s;
    int fail_after; /* calls left before failing; -1 = never */
};

static int test_random(void *arg, uint8_t *buf, size_t len)
{
    struct rng *r = arg;
    if (r->fail_after == 0)
        return -1;
    if (r->fail_after > 0)
        r->fail_after--;
    for (size_t i = 0; i < len; i++) {
        r->s ^= r->s << 13;
        r->s ^= r->s >> 7;
        r->s ^= r->s << 17;
        buf[i] = (uint8_t)r->s;
    }
    return 0;
}

static void init_assigns_slots(void **state)
{
    (void)state;
    struct rng r = {.s = 88172645463325252ull, .fail_after = -1};
    struct nts_keyring kr;
    assert_int_equal(nts_keyring_init(&kr, 3600, 100.0, test_random, &r), 0);
    for (int i = 0; i < NTS_KEYRING_SLOTS; i++) {
        assert_int_equal(kr.slot[i].id & 3, i);
        assert_int_equal(kr.slot[i].aead, NTS_AEAD_AES_SIV_CMAC_256);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(kr.slot[i].key, kr.slot[j].key, SIV_KEY_LEN);
    }
    const struct nts_server_key *cur = nts_keyring_current(&kr);
    assert_ptr_equal(cur, &kr.slot[3]);
    assert_ptr_equal(nts_keyring_find(&kr, cur->id), cur);
    /* Same slot, other upper bits: not a key of ours. */
    assert_null(nts_keyring_find(&kr, cur->id ^ 0x100));
    assert_true(nts_keyring_saves(&kr));
    assert_true(nts_keyring_next_rotation(&kr) == 3700.0);
    nts_keyring_wipe(&kr);
}

static void rotation_keeps_two_previous_keys(void **state)
{
    (void)state;
    struct rng r = {.s = 12345, .fail_after = -1};
    struct nts_keyring kr, before;
    assert_int_equal(nts_keyring_init(&kr, 100, 0.0, test_random, &r), 0);
    before = kr;

    assert_int_equal(nts_keyring_update(&kr, 99.9), 0); /* not yet due */
    assert_int_equal(nts_keyring_update(&kr, 100.0), 1);
    /* The pre-generated next key (slot 0) is now current; slot 1, the oldest, was
     * replaced; slots 2 and 3 are unchanged. */
    assert_int_equal(kr.current, 0);
    assert_int_equal(kr.slot[0].id, before.slot[0].id);
    assert_int_equal(kr.slot[2].id, before.slot[2].id);
    assert_int_equal(kr.slot[3].id, before.slot[3].id);
    assert_memory_not_equal(kr.slot[1].key, before.slot[1].key, SIV_KEY_LEN);
    assert_int_equal(kr.slot[1].id & 3, 1);
    assert_null(nts_keyring_find(&kr, before.slot[1].id));
    assert_true(nts_keyring_next_rotation(&kr) == 200.0);

    /* The key that was current survives two more rotations, not three. */
    uint32_t old = before.slot[3].id;
    assert_int_equal(nts_keyring_update(&kr, 150.0), 0);
    assert_int_equal(nts_keyring_update(&kr, 200.0), 1);
    assert_non_null(nts_keyring_find(&kr, old));
    /* Rotation is one step per call, timed from the last one (as chrony's timer). */
    assert_int_equal(nts_keyring_update(&kr, 1000.0), 1);
    assert_null(nts_keyring_find(&kr, old));
    assert_int_equal(kr.current, 2);
    assert_true(nts_keyring_next_rotation(&kr) == 1100.0);
}

static void external_management_never_rotates(void **state)
{
    (void)state;
    struct rng r = {.s = 99, .fail_after = -1};
    struct nts_keyring kr;
    assert_int_equal(nts_keyring_init(&kr, 0, 0.0, test_random, &r), 0);
    assert_false(nts_keyring_saves(&kr));
    assert_true(nts_keyring_next_rotation(&kr) < 0);
    assert_int_equal(nts_keyring_update(&kr, 1e9), 0);
    assert_int_equal(kr.current, 3);
    assert_int_equal(nts_keyring_init(&kr, -1, 0.0, test_random, &r), -1);
}

static void random_failure(void **state)
{
    (void)state;
    struct rng r = {.s = 7, .fail_after = 3};
    struct nts_keyring kr, before;
    assert_int_equal(nts_keyring_init(&kr, 10, 0.0, test_random, &r), -1);
    r.fail_after = -1;
    assert_int_equal(nts_keyring_init(&kr, 10, 0.0, test_random, &r), 0);
    before = kr;
    r.fail_after = 1; /* the key succeeds, the id fails */
    assert_int_equal(nts_keyring_update(&kr, 10.0), -1);
    assert_memory_equal(&kr, &before, sizeof(kr));
}

/* A ring with known keys: key bytes i*16+j in slot i, ids 0x1000000i. */
static void known_ring(struct nts_keyring *kr, int current, double last_rotation)
{
    memset(kr, 0, sizeof(*kr));
    for (int i = 0; i < 4; i++) {
        uint8_t key[32];
        for (int j = 0; j < 32; j++)
            key[j] = (uint8_t)(i * 16 + j);
        assert_int_equal(nts_server_key_set(&kr->slot[i], 0x10000000u + (unsigned)i, 15, key, 32),
                         0);
    }
    kr->current = current;
    kr->last_rotation = last_rotation;
    kr->interval = 604800;
}

/* Worked out by hand from chrony's save_keys(): oldest first, so with slot 1 current the
 * order is slots 3, 0, 1, 2; age = now - last rotation with one decimal. */
static const char known_text[] =
    "NKS1\n"
    "60.3\n"
    "10000003 303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F 15\n"
    "10000000 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F 15\n"
    "10000001 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F 15\n"
    "10000002 202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F 15\n";

static void format_matches_chrony_layout(void **state)
{
    (void)state;
    struct nts_keyring kr;
    char buf[NTS_KEYRING_TEXT_MAX];
    known_ring(&kr, 1, 40.0);
    int n = nts_keyring_format(&kr, 100.3, NTS_KEYFILE_NKS1, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen(known_text));
    assert_memory_equal(buf, known_text, (size_t)n);
    /* Too small a buffer fails rather than truncating. */
    assert_int_equal(nts_keyring_format(&kr, 100.3, NTS_KEYFILE_NKS1, buf, (size_t)n - 1), -1);
    /* A clock that went backwards never produces a negative age. */
    n = nts_keyring_format(&kr, 10.0, NTS_KEYFILE_NKS1, buf, sizeof(buf));
    assert_true(n > 9);
    assert_memory_equal(buf, "NKS1\n0.0\n", 9);
    /* NKS0, the only form chrony 4.3 reads: the AEAD moves to line 2. */
    static const char nks0[] =
        "NKS0\n"
        "15 60.3\n"
        "10000003 303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F\n"
        "10000000 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n"
        "10000001 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F\n"
        "10000002 202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F\n";
    n = nts_keyring_format(&kr, 100.3, NTS_KEYFILE_NKS0, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen(nks0));
    assert_memory_equal(buf, nks0, (size_t)n);
    assert_int_equal(nts_keyring_format(&kr, 100.3, 2, buf, sizeof(buf)), -1);
}

static void parse_round_trip(void **state)
{
    (void)state;
    struct rng r = {.s = 4242, .fail_after = -1};
    struct nts_keyring kr, back;
    char buf[NTS_KEYRING_TEXT_MAX];
    const char *err = NULL;
    assert_int_equal(nts_keyring_init(&kr, 3600, 0.0, test_random, &r), 0);
    assert_int_equal(nts_keyring_update(&kr, 3600.0), 1);
    int n = nts_keyring_format(&kr, 3700.0, NTS_KEYFILE_NKS1, buf, sizeof(buf));
    assert_true(n > 0);

    /* Another process (or a restart) loads it at its own operating time. */
    assert_int_equal(nts_keyring_init(&back, 3600, 50.0, test_random, &r), 0);
    assert_int_equal(nts_keyring_parse(&back, buf, (size_t)n, 50.0, &err), 0);
    assert_null(err);
    assert_int_equal(back.current, kr.current);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(back.slot[i].id, kr.slot[i].id);
        assert_memory_equal(back.slot[i].key, kr.slot[i].key, SIV_KEY_LEN);
    }
    /* The current key was 100 s old: the next rotation is 3500 s after loading. */
    assert_true(back.last_rotation == -50.0);
    assert_true(nts_keyring_next_rotation(&back) == 3550.0);

    /* The same through NKS0. */
    struct nts_keyring back0;
    assert_int_equal(nts_keyring_init(&back0, 3600, 50.0, test_random, &r), 0);
    n = nts_keyring_format(&kr, 3700.0, NTS_KEYFILE_NKS0, buf, sizeof(buf));
    assert_int_equal(nts_keyring_parse(&back0, buf, (size_t)n, 50.0, &err), 0);
    assert_int_equal(back0.current, kr.current);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(back0.slot[i].id, kr.slot[i].id);
        assert_memory_equal(back0.slot[i].key, kr.slot[i].key, SIV_KEY_LEN);
    }
    assert_true(back0.last_rotation == -50.0);
}

static void parse_known_text(void **state)
{
    (void)state;
    struct rng r = {.s = 1, .fail_after = -1};
    struct nts_keyring kr;
    const char *err;
    assert_int_equal(nts_keyring_init(&kr, 604800, 0, test_random, &r), 0);
    assert_int_equal(nts_keyring_parse(&kr, known_text, strlen(known_text), 1000.0, &err), 0);
    assert_int_equal(kr.current, 1);
    assert_int_equal(kr.slot[3].id, 0x10000003);
    assert_int_equal(kr.slot[3].key[0], 0x30);
    assert_int_equal(kr.slot[3].key[31], 0x4f);
    assert_true(kr.last_rotation > 939.69 && kr.last_rotation < 939.71);
    /* Lower-case hex and short ids are accepted (chrony's sscanf accepts them). */
    static const char lower[] =
        "NKS1\n5\n"
        "7 303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f 15\n"
        "8 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f 15\n"
        "9 101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f 15\n"
        "a 202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f 15";
    assert_int_equal(nts_keyring_parse(&kr, lower, strlen(lower), 10.0, &err), 0);
    assert_int_equal(kr.current, 1); /* 0xa is slot 2 (next), so slot 1 is current */
    assert_int_equal(nts_keyring_current(&kr)->id, 9);
    assert_true(kr.last_rotation == 5.0);
}

static void parse_nks0(void **state)
{
    (void)state;
    struct rng r = {.s = 1, .fail_after = -1};
    struct nts_keyring kr;
    const char *err;
    static const char text[] =
        "NKS0\n15 12.0\n"
        "00000102 303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F\n"
        "00000103 000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F\n"
        "00000104 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F\n"
        "00000105 202122232425262728292A2B2C2D2E2F303132333435363738393A3B3C3D3E3F\n";
    assert_int_equal(nts_keyring_init(&kr, 60, 0, test_random, &r), 0);
    assert_int_equal(nts_keyring_parse(&kr, text, strlen(text), 100.0, &err), 0);
    assert_int_equal(nts_keyring_current(&kr)->id, 0x104);
    assert_int_equal(kr.slot[1].id, 0x105);
    assert_int_equal(kr.slot[1].key[0], 0x20);
    assert_true(kr.last_rotation == 88.0);
}

static void parse_errors_leave_ring_unchanged(void **state)
{
    (void)state;
    struct rng r = {.s = 5, .fail_after = -1};
    struct nts_keyring kr, before;
    const char *err;
    assert_int_equal(nts_keyring_init(&kr, 60, 0, test_random, &r), 0);
    before = kr;
#define K0 "303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E4F"
    static const char *const bad[] = {
        "",
        "NKS2\n1.0\n",
        "nks1\n1.0\n",
        "NKS1\n",
        "NKS1\nabc\n",
        "NKS1\n1.0 2.0\n",
        "NKS1\n1e5\n",
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n",
        /* not consecutive */
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n00000000 " K0
        " 15\n",
        /* AES-128-GCM-SIV keys (16 bytes) are not supported with Nettle 3.8 */
        "NKS1\n1.0\n00000000 " K0 " 30\n00000001 " K0 " 30\n00000002 " K0 " 30\n00000003 " K0
        " 30\n",
        /* key one byte short */
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n00000003 "
        "303132333435363738393A3B3C3D3E3F404142434445464748494A4B4C4D4E 15\n",
        /* not hex */
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n0000000G " K0
        " 15\n",
        /* id too long */
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n100000003 " K0
        " 15\n",
        /* missing AEAD column */
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n00000003 " K0 "\n",
        /* trailing data */
        "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n00000003 " K0
        " 15\nmore\n",
        /* NKS0 with an AEAD column */
        "NKS0\n15 1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0 " 15\n00000003 " K0
        " 15\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err = NULL;
        assert_int_equal(nts_keyring_parse(&kr, bad[i], strlen(bad[i]), 5.0, &err), -1);
        assert_non_null(err);
        assert_memory_equal(&kr, &before, sizeof(kr));
    }
    /* The good version of the last lines parses (the set above differs by one thing). */
    static const char good[] = "NKS1\n1.0\n00000000 " K0 " 15\n00000001 " K0 " 15\n00000002 " K0
                               " 15\n00000003 " K0 " 15\n\n";
    assert_int_equal(nts_keyring_parse(&kr, good, strlen(good), 5.0, &err), 0);
    /* A length that cuts the text is honoured (no reading past len). */
    assert_int_equal(nts_keyring_parse(&kr, good, strlen(good) - 10, 5.0, &err), -1);
#undef K0
}

static void server_key_set_checks(void **state)
{
    (void)state;
    struct nts_server_key k;
    uint8_t key[32] = {0};
    assert_int_equal(nts_server_key_set(&k, 1, 15, key, 32), 0);
    assert_int_equal(nts_server_key_set(&k, 1, 15, key, 16), -1);
    assert_int_equal(nts_server_key_set(&k, 1, 30, key, 16), -1);
    assert_int_equal(nts_server_key_set(&k, 1, 0, key, 32), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(init_assigns_slots),
        cmocka_unit_test(rotation_keeps_two_previous_keys),
        cmocka_unit_test(external_management_never_rotates),
        cmocka_unit_test(random_failure),
        cmocka_unit_test(format_matches_chrony_layout),
        cmocka_unit_test(parse_round_trip),
        cmocka_unit_test(parse_known_text),
        cmocka_unit_test(parse_nks0),
        cmocka_unit_test(parse_errors_leave_ring_unchanged),
        cmocka_unit_test(server_key_set_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
