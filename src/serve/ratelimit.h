/* Rate limiting as chronyd does it (clientlog.c; inventory 1.4, 7.5, gotcha 12): one
 * token bucket per client and service, a random "leak" so that a spoofed flood cannot
 * silence a victim completely, and optional KoD RATE replies. The per-client state (the
 * tokens, last hit, request rates) lives in the client log (clientlog.h); this module holds
 * what all clients of one service share, and the decision itself.
 *
 * Time is fixed point in ticks of 1/16 s. A bucket holds up to `burst` responses worth of
 * tokens; a response costs tokens_per_hit; one token comes back every 2^token_shift ticks.
 * When burst responses of tokens would not fit the 16-bit counter, the shift grows (a
 * coarser refill). Intervals below -4 (shorter than a tick) use a negative shift: several
 * tokens per tick and a bucket of at least 2^-shift ("coarse" limiting, in bursts).
 */
#ifndef TOCK_SERVE_RATELIMIT_H
#define TOCK_SERVE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"

#define RATELIMIT_TICK_BITS    4   /* 1/16 s */
#define RATELIMIT_MIN_INTERVAL -19 /* clamps, as chronyd */
#define RATELIMIT_MAX_INTERVAL 12
#define RATELIMIT_MIN_BURST    1
#define RATELIMIT_MAX_BURST    255
#define RATELIMIT_MIN_LEAK     1
#define RATELIMIT_MAX_LEAK     4
#define RATELIMIT_MAX_KOD      4

/* One service's limits (ratelimit, ntsratelimit or cmdratelimit). */
struct ratelimit {
    bool enabled; /* the directive was given */
    int interval; /* log2 s, clamped to -19..12 */
    int burst;    /* clamped to 1..255 */
    int leak;     /* answer 1 in 2^leak limited requests; 1..4 */
    int kod;      /* send KoD RATE to 1 in 2^kod dropped requests; 0 = never */
    uint16_t max_tokens;
    uint16_t tokens_per_hit;
    int token_shift;
};

/* Derives the bucket from the directive (NULL or !enabled = no limiting). kod is honoured
 * only when kod_allowed (chronyd has it for `ratelimit` only). */
void ratelimit_init(struct ratelimit *rl, const struct conf_ratelimit *conf, bool kod_allowed);

/* Tokens after refilling a bucket that held `tokens` at prev_tick, at now_tick (the caller
 * has checked now_tick is not before prev_tick). */
uint16_t ratelimit_refill(const struct ratelimit *rl, uint16_t tokens, uint32_t prev_tick,
                          uint32_t now_tick);

/* The lowest poll (log2 s) a reply may carry: the limit interval, or -19 when limiting is
 * off (chronyd replies with max(request poll, this)). */
int ratelimit_min_poll(const struct ratelimit *rl);

/* A supply of random bits drawn 32 at a time from a caller's source (so tests are
 * deterministic), spent a few bits per decision as chronyd does. */
struct ratelimit_random {
    uint32_t (*next)(void *ctx);
    void *ctx;
    uint32_t bits;
    int n_bits;
};

void ratelimit_random_init(struct ratelimit_random *r, uint32_t (*next)(void *ctx), void *ctx);

/* True with probability 1/2^log2_n (log2_n 1..31): the next log2_n bits are all zero. When
 * fewer bits are left, the rest are discarded and 32 new ones drawn. */
bool ratelimit_one_in(struct ratelimit_random *r, int log2_n);

enum ratelimit_verdict { RATELIMIT_PASS, RATELIMIT_DROP, RATELIMIT_KOD };

/* Decides one request against a bucket already refilled to now: pass and spend tokens;
 * else leak (pass, empty the bucket) with probability 1/2^leak - inverted when
 * invert_leak (a client that hammers while dropped); else KoD with probability 1/2^kod
 * when kod > 0; else drop. */
enum ratelimit_verdict ratelimit_decide(const struct ratelimit *rl, uint16_t *tokens,
                                        bool invert_leak, struct ratelimit_random *rnd);

#endif
