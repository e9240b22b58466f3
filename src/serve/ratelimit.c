#include "serve/ratelimit.h"

#include <string.h>

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void ratelimit_init(struct ratelimit *rl, const struct conf_ratelimit *conf, bool kod_allowed)
{
    memset(rl, 0, sizeof(*rl));
    rl->interval = RATELIMIT_MIN_INTERVAL;
    if (!conf || !conf->enabled)
        return;
    rl->enabled = true;
    rl->interval = clamp(conf->interval, RATELIMIT_MIN_INTERVAL, RATELIMIT_MAX_INTERVAL);
    rl->burst = clamp(conf->burst, RATELIMIT_MIN_BURST, RATELIMIT_MAX_BURST);
    rl->leak = clamp(conf->leak, RATELIMIT_MIN_LEAK, RATELIMIT_MAX_LEAK);
    rl->kod = kod_allowed ? clamp(conf->kod, 0, RATELIMIT_MAX_KOD) : 0;

    int burst = rl->burst;
    int ticks = RATELIMIT_TICK_BITS + rl->interval; /* log2 of the interval in ticks */
    if (ticks >= 0) {
        /* The smallest shift with which a full bucket fits in 16 bits. */
        int shift = 0;
        while (shift < ticks && ((uint32_t)burst << (ticks - shift)) >= (1u << 16))
            shift++;
        rl->token_shift = shift;
    } else {
        /* Shorter than a tick: one token per response, 2^-ticks tokens per tick, and a
         * bucket big enough for one tick's worth. */
        rl->token_shift = ticks;
        if (burst < (1 << -ticks))
            burst = 1 << -ticks;
    }
    rl->tokens_per_hit = (uint16_t)(1u << (ticks - rl->token_shift));
    rl->max_tokens = (uint16_t)(rl->tokens_per_hit * burst);
}

uint16_t ratelimit_refill(const struct ratelimit *rl, uint16_t tokens, uint32_t prev_tick,
                          uint32_t now_tick)
{
    uint32_t added;
    if (rl->token_shift >= 0)
        added = (now_tick >> rl->token_shift) - (prev_tick >> rl->token_shift);
    else if (now_tick - prev_tick > rl->max_tokens)
        added = rl->max_tokens; /* avoid overflowing the shift below */
    else
        added = (now_tick - prev_tick) << -rl->token_shift;
    uint32_t total = (uint32_t)tokens + added;
    if (total > rl->max_tokens || total < added)
        total = rl->max_tokens;
    return (uint16_t)total;
}

int ratelimit_min_poll(const struct ratelimit *rl)
{
    return rl->enabled ? rl->interval : RATELIMIT_MIN_INTERVAL;
}

void ratelimit_random_init(struct ratelimit_random *r, uint32_t (*next)(void *ctx), void *ctx)
{
    r->next = next;
    r->ctx = ctx;
    r->bits = 0;
    r->n_bits = 0;
}

bool ratelimit_one_in(struct ratelimit_random *r, int log2_n)
{
    if (log2_n < 1 || log2_n > 31)
        return false;
    if (r->n_bits < log2_n) {
        r->bits = r->next ? r->next(r->ctx) : 0;
        r->n_bits = 32;
    }
    bool hit = (r->bits & ((1u << log2_n) - 1)) == 0;
    r->bits >>= log2_n;
    r->n_bits -= log2_n;
    return hit;
}

enum ratelimit_verdict ratelimit_decide(const struct ratelimit *rl, uint16_t *tokens,
                                        bool invert_leak, struct ratelimit_random *rnd)
{
    if (!rl->enabled)
        return RATELIMIT_PASS;
    if (*tokens >= rl->tokens_per_hit) {
        *tokens -= rl->tokens_per_hit;
        return RATELIMIT_PASS;
    }
    bool drop = !ratelimit_one_in(rnd, rl->leak);
    if (invert_leak)
        drop = !drop;
    if (!drop) {
        *tokens = 0;
        return RATELIMIT_PASS;
    }
    if (rl->kod > 0 && ratelimit_one_in(rnd, rl->kod))
        return RATELIMIT_KOD;
    return RATELIMIT_DROP;
}
