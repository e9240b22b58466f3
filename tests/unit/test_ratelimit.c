/* Unit tests for src/serve/ratelimit.c: bucket parameters and clamps, refill, the random
 * bit supply, and single decisions (pass, leak, inverted leak, KoD, drop). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "serve/ratelimit.h"

static struct conf_ratelimit conf_rl(int interval, int burst, int leak, int kod)
{
    struct conf_ratelimit c = {
        .enabled = true, .interval = interval, .burst = burst, .leak = leak, .kod = kod};
    return c;
}

static void bucket_parameters(void **state)
{
    (void)state;
    struct ratelimit rl;
    struct conf_ratelimit c = conf_rl(3, 8, 2, 0);
    ratelimit_init(&rl, &c, true);
    /* 8 s = 128 ticks per response, 8 responses: fits 16 bits unscaled. */
    assert_true(rl.enabled);
    assert_int_equal(rl.token_shift, 0);
    assert_int_equal(rl.tokens_per_hit, 128);
    assert_int_equal(rl.max_tokens, 1024);
    assert_int_equal(ratelimit_min_poll(&rl), 3);

    /* 4096 s = 65536 ticks x 255 does not fit: scaled by 2^8 (one token per 16 s). */
    c = conf_rl(12, 255, 2, 0);
    ratelimit_init(&rl, &c, true);
    assert_int_equal(rl.token_shift, 8);
    assert_int_equal(rl.tokens_per_hit, 256);
    assert_int_equal(rl.max_tokens, 65280);

    /* Every interval and burst: the bucket fits 16 bits, a response costs exactly one
     * interval of refill, and the bucket holds burst responses (or a tick's worth). */
    for (int interval = RATELIMIT_MIN_INTERVAL; interval <= RATELIMIT_MAX_INTERVAL; interval++) {
        for (int burst = 1; burst <= 255; burst++) {
            c = conf_rl(interval, burst, 2, 0);
            ratelimit_init(&rl, &c, true);
            int ticks = interval + 4;
            if (ticks >= 0) {
                assert_true(rl.token_shift >= 0);
                assert_int_equal((uint32_t)rl.tokens_per_hit << rl.token_shift, 1u << ticks);
                assert_int_equal(rl.max_tokens, rl.tokens_per_hit * burst);
                /* the shift is the smallest that fits */
                if (rl.token_shift > 0)
                    assert_true(((uint32_t)burst << (ticks - rl.token_shift + 1)) >= 65536);
            } else {
                assert_int_equal(rl.token_shift, ticks);
                assert_int_equal(rl.tokens_per_hit, 1);
                int min_burst = 1 << -ticks;
                assert_int_equal(rl.max_tokens, burst > min_burst ? burst : min_burst);
            }
        }
    }
}

static void clamps_and_disabled(void **state)
{
    (void)state;
    struct ratelimit rl;
    struct conf_ratelimit c = conf_rl(20, 0, 0, 9);
    ratelimit_init(&rl, &c, true);
    assert_int_equal(rl.interval, 12);
    assert_int_equal(rl.burst, 1);
    assert_int_equal(rl.leak, 1);
    assert_int_equal(rl.kod, 4);

    c = conf_rl(-30, 300, 9, -1);
    ratelimit_init(&rl, &c, true);
    assert_int_equal(rl.interval, -19);
    assert_int_equal(rl.burst, 255);
    assert_int_equal(rl.leak, 4);
    assert_int_equal(rl.kod, 0);

    c = conf_rl(6, 8, 2, 3);
    ratelimit_init(&rl, &c, false); /* ntsratelimit/cmdratelimit: no KoD */
    assert_int_equal(rl.kod, 0);

    c.enabled = false;
    ratelimit_init(&rl, &c, true);
    assert_false(rl.enabled);
    assert_int_equal(ratelimit_min_poll(&rl), -19);
    ratelimit_init(&rl, NULL, true);
    assert_false(rl.enabled);
    uint16_t tokens = 0;
    assert_int_equal(ratelimit_decide(&rl, &tokens, false, NULL), RATELIMIT_PASS);
}

static void refill(void **state)
{
    (void)state;
    struct ratelimit rl;
    struct conf_ratelimit c = conf_rl(3, 8, 2, 0); /* shift 0 */
    ratelimit_init(&rl, &c, true);
    assert_int_equal(ratelimit_refill(&rl, 0, 1000, 1016), 16);
    assert_int_equal(ratelimit_refill(&rl, 1000, 1000, 1100), 1024); /* capped */
    assert_int_equal(ratelimit_refill(&rl, 5, 1000, 1000), 5);

    c = conf_rl(12, 255, 2, 0); /* shift 8: one token per 256 ticks, on boundaries */
    ratelimit_init(&rl, &c, true);
    assert_int_equal(ratelimit_refill(&rl, 0, 255, 256), 1);
    assert_int_equal(ratelimit_refill(&rl, 0, 256, 511), 0);
    assert_int_equal(ratelimit_refill(&rl, 0, 0, 2560), 10);

    c = conf_rl(-6, 1, 2, 0); /* coarse: shift -2, 4 tokens per tick, bucket of 4 */
    ratelimit_init(&rl, &c, true);
    assert_int_equal(rl.max_tokens, 4);
    assert_int_equal(ratelimit_refill(&rl, 0, 100, 101), 4);
    assert_int_equal(ratelimit_refill(&rl, 1, 100, 100), 1);
    assert_int_equal(ratelimit_refill(&rl, 0, 0, 0x7fffffff), 4);
}

struct words {
    const uint32_t *w;
    int n, next, calls;
};

static uint32_t next_word(void *ctx)
{
    struct words *s = ctx;
    s->calls++;
    return s->w[s->next++ % s->n];
}

static void random_bits(void **state)
{
    (void)state;
    const uint32_t w[] = {0x0000000Fu, 0xFFFFFFFFu};
    struct words s = {w, 2, 0, 0};
    struct ratelimit_random r;
    ratelimit_random_init(&r, next_word, &s);
    /* 0xF: low 2 bits 11, then 11, then 14 x 00. */
    assert_false(ratelimit_one_in(&r, 2));
    assert_int_equal(s.calls, 1);
    assert_false(ratelimit_one_in(&r, 2));
    for (int i = 0; i < 14; i++)
        assert_true(ratelimit_one_in(&r, 2));
    assert_int_equal(s.calls, 1);
    assert_false(ratelimit_one_in(&r, 2)); /* next word: all ones */
    assert_int_equal(s.calls, 2);

    /* 3-bit draws: 10 per word, the 2 bits left over are discarded. */
    const uint32_t z[] = {0};
    struct words s0 = {z, 1, 0, 0};
    ratelimit_random_init(&r, next_word, &s0);
    for (int i = 0; i < 10; i++)
        assert_true(ratelimit_one_in(&r, 3));
    assert_int_equal(s0.calls, 1);
    assert_true(ratelimit_one_in(&r, 3));
    assert_int_equal(s0.calls, 2);
    assert_false(ratelimit_one_in(&r, 0)); /* out of range */
    assert_false(ratelimit_one_in(&r, 32));
}

static void decisions(void **state)
{
    (void)state;
    struct ratelimit rl;
    struct ratelimit_random r;
    struct conf_ratelimit c = conf_rl(3, 2, 1, 0);
    ratelimit_init(&rl, &c, true);
    const uint32_t ones[] = {0xFFFFFFFFu}, zeros[] = {0}, alt[] = {0x55555555u};
    struct words s = {ones, 1, 0, 0};
    ratelimit_random_init(&r, next_word, &s);

    uint16_t tokens = rl.max_tokens;
    assert_int_equal(ratelimit_decide(&rl, &tokens, false, &r), RATELIMIT_PASS);
    assert_int_equal(tokens, 128);
    assert_int_equal(ratelimit_decide(&rl, &tokens, false, &r), RATELIMIT_PASS);
    assert_int_equal(tokens, 0);
    assert_int_equal(s.calls, 0); /* no randomness while tokens last */
    tokens = 100;
    assert_int_equal(ratelimit_decide(&rl, &tokens, false, &r), RATELIMIT_DROP);
    assert_int_equal(tokens, 100); /* a drop keeps the tokens */
    /* Inverted: the same bits now answer, and the bucket is emptied. */
    assert_int_equal(ratelimit_decide(&rl, &tokens, true, &r), RATELIMIT_PASS);
    assert_int_equal(tokens, 0);

    struct words sz = {zeros, 1, 0, 0};
    ratelimit_random_init(&r, next_word, &sz);
    tokens = 50;
    assert_int_equal(ratelimit_decide(&rl, &tokens, false, &r), RATELIMIT_PASS); /* leak */
    assert_int_equal(tokens, 0);
    assert_int_equal(ratelimit_decide(&rl, &tokens, true, &r), RATELIMIT_DROP);

    /* KoD 1 in 2: bits alternate 1 (no leak), 0 (KoD). */
    c = conf_rl(3, 2, 1, 1);
    ratelimit_init(&rl, &c, true);
    struct words sa = {alt, 1, 0, 0};
    ratelimit_random_init(&r, next_word, &sa);
    tokens = 0;
    for (int i = 0; i < 20; i++)
        assert_int_equal(ratelimit_decide(&rl, &tokens, false, &r), RATELIMIT_KOD);
    /* Without kod the same bits alternate drop and leak. */
    c = conf_rl(3, 2, 1, 0);
    ratelimit_init(&rl, &c, true);
    ratelimit_random_init(&r, next_word, &sa);
    for (int i = 0; i < 20; i++)
        assert_int_equal(ratelimit_decide(&rl, &tokens, false, &r),
                         i % 2 ? RATELIMIT_PASS : RATELIMIT_DROP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bucket_parameters),
        cmocka_unit_test(clamps_and_disabled),
        cmocka_unit_test(refill),
        cmocka_unit_test(random_bits),
        cmocka_unit_test(decisions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
