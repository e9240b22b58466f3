#include "serve/clientlog.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Last-hit times are 32-bit fixed point, 1/16 s per tick; 0 means "never". */
#define INVALID_TICK 0u

/* Request rates are scaled log2 values: -RATE_SCALE * log2(mean interval in s), so a
 * larger value is a faster client. */
#define RATE_SCALE   4
#define MIN_RATE     (-14 * RATE_SCALE)
#define INVALID_RATE (-128)

#define NSEC_PER_SEC 1000000000u

enum { FAMILY_EMPTY = 0, FAMILY_V4 = 4, FAMILY_V6 = 6 };

/* 64 bytes. drops are 32-bit (chronyd keeps 16 and wraps). */
struct record {
    uint8_t addr[16];
    uint8_t family;
    uint8_t drop_flags; /* bit per service: its last request was dropped */
    int8_t ntp_timeout_rate;
    int8_t rate[CLIENTLOG_N_SERVICES];
    uint16_t tokens[CLIENTLOG_N_SERVICES];
    uint32_t last_hit[CLIENTLOG_N_SERVICES];
    uint32_t hits[CLIENTLOG_N_SERVICES];
    uint32_t drops[CLIENTLOG_N_SERVICES];
};

_Static_assert(sizeof(struct record) == 64, "client log record layout");

struct clientlog {
    bool active;
    struct record *records; /* slots * CLIENTLOG_SLOT_SIZE */
    uint32_t slots;
    uint32_t max_slots; /* a power of two */
    uint32_t hash_seed[2];
    uint32_t tick_offset_ns; /* random alignment of the 1/16 s clock, < 62.5 ms */
    struct ratelimit limits[CLIENTLOG_N_SERVICES];
    struct ratelimit_random random;
    struct server_stats *stats;
};

void clientlog_params_from_config(const struct tock_config *conf, struct clientlog_params *out)
{
    memset(out, 0, sizeof(*out));
    out->active = !conf->noclientlog;
    out->limit_bytes = conf->clientloglimit > 0 ? (uint64_t)conf->clientloglimit : 0;
    out->ntp = conf->ratelimit;
    out->ntske = conf->ntsratelimit;
    out->cmd = conf->cmdratelimit;
}

/* ---- time and hashing ---- */

static uint32_t tick_of(const struct clientlog *log, const struct timespec *ts)
{
    uint32_t sec = (uint32_t)ts->tv_sec;
    uint32_t nsec =
        ts->tv_nsec >= 0 && ts->tv_nsec < (long)NSEC_PER_SEC ? (uint32_t)ts->tv_nsec : 0;
    nsec += log->tick_offset_ns;
    if (nsec >= NSEC_PER_SEC) {
        nsec -= NSEC_PER_SEC;
        sec++;
    }
    uint32_t tick = sec << RATELIMIT_TICK_BITS |
                    (uint32_t)(((uint64_t)nsec << RATELIMIT_TICK_BITS) / NSEC_PER_SEC);
    /* 0 means "never"; the one tick every 8.5 years that computes to 0 moves by 1/16 s. */
    return tick == INVALID_TICK ? 1 : tick;
}

/* Later of two ticks, "never" being the earliest (chronyd's compare_ts). */
static int compare_ticks(uint32_t x, uint32_t y)
{
    if (x == y)
        return 0;
    if (y == INVALID_TICK)
        return 1;
    return (int32_t)(x - y) > 0 ? 1 : -1;
}

static uint32_t mix32(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* Keyed with random seeds so that a remote sender cannot aim many addresses at one slot
 * without knowing them. */
static uint32_t hash_addr(const struct clientlog *log, uint8_t family, const uint8_t *addr)
{
    uint32_t h = log->hash_seed[0] ^ family;
    int words = family == FAMILY_V4 ? 1 : 4;
    for (int i = 0; i < words; i++) {
        uint32_t w = (uint32_t)addr[4 * i] << 24 | (uint32_t)addr[4 * i + 1] << 16 |
                     (uint32_t)addr[4 * i + 2] << 8 | addr[4 * i + 3];
        h = mix32(h ^ (w + log->hash_seed[1]));
    }
    return h;
}

/* ---- the table ---- */

static uint32_t last_activity(const struct record *r)
{
    uint32_t last = r->last_hit[0];
    for (int s = 1; s < CLIENTLOG_N_SERVICES; s++) {
        if (compare_ticks(last, r->last_hit[s]) < 0)
            last = r->last_hit[s];
    }
    return last;
}

static uint64_t total_hits(const struct record *r)
{
    uint64_t n = 0;
    for (int s = 0; s < CLIENTLOG_N_SERVICES; s++)
        n += r->hits[s];
    return n;
}

/* Doubles the table. Every record of an old slot i lands in new slot i or i + old slots,
 * so nothing overflows. Returns false at the bound or when out of memory. */
static bool expand_table(struct clientlog *log)
{
    if (log->slots && 2 * (uint64_t)log->slots > log->max_slots)
        return false;
    uint32_t slots = log->slots ? 2 * log->slots : 1;
    struct record *table = calloc((size_t)slots * CLIENTLOG_SLOT_SIZE, sizeof(*table));
    if (!table)
        return false;
    for (size_t i = 0; i < (size_t)log->slots * CLIENTLOG_SLOT_SIZE; i++) {
        const struct record *old = &log->records[i];
        if (old->family == FAMILY_EMPTY)
            continue;
        uint32_t slot = hash_addr(log, old->family, old->addr) & (slots - 1);
        struct record *dst = &table[(size_t)slot * CLIENTLOG_SLOT_SIZE];
        while (dst->family != FAMILY_EMPTY)
            dst++;
        *dst = *old;
    }
    free(log->records);
    log->records = table;
    log->slots = slots;
    return true;
}

static void init_record(const struct clientlog *log, struct record *r, uint8_t family,
                        const uint8_t *addr)
{
    memset(r, 0, sizeof(*r));
    r->family = family;
    memcpy(r->addr, addr, family == FAMILY_V4 ? 4 : 16);
    for (int s = 0; s < CLIENTLOG_N_SERVICES; s++) {
        r->last_hit[s] = INVALID_TICK;
        r->tokens[s] = log->limits[s].max_tokens;
        r->rate[s] = INVALID_RATE;
    }
    r->ntp_timeout_rate = INVALID_RATE;
}

/* The client's record, created if needed: in an empty place of its slot, after doubling
 * the table if the slot is full, or in place of the slot's least recently active record
 * (fewest hits on a tie) when the table is at its bound. */
static struct record *get_record(struct clientlog *log, const struct tock_ip *ip)
{
    uint8_t addr[16] = {0};
    uint8_t family;
    if (ip->family == AF_INET) {
        family = FAMILY_V4;
        memcpy(addr, ip->addr, 4);
    } else if (ip->family == AF_INET6) {
        family = FAMILY_V6;
        memcpy(addr, ip->addr, 16);
    } else {
        return NULL;
    }
    uint32_t h = hash_addr(log, family, addr);
    for (;;) {
        struct record *slot = &log->records[(size_t)(h & (log->slots - 1)) * CLIENTLOG_SLOT_SIZE];
        struct record *oldest = NULL;
        uint32_t oldest_hit = 0;
        for (int i = 0; i < CLIENTLOG_SLOT_SIZE; i++) {
            struct record *r = &slot[i];
            if (r->family == family && memcmp(r->addr, addr, 16) == 0)
                return r;
            if (r->family == FAMILY_EMPTY) {
                init_record(log, r, family, addr);
                return r;
            }
            uint32_t last = last_activity(r);
            if (!oldest || compare_ticks(oldest_hit, last) > 0 ||
                (oldest_hit == last && total_hits(oldest) > total_hits(r))) {
                oldest = r;
                oldest_hit = last;
            }
        }
        if (expand_table(log))
            continue;
        if (log->stats)
            log->stats->log_drops++;
        init_record(log, oldest, family, addr);
        return oldest;
    }
}

/* ---- per request ---- */

/* Scaled log2 of an interval in ticks, rounded (chronyd's conversion), and the rough
 * exponential moving average of it kept in *rate. */
static void update_rate(int8_t *rate, uint32_t interval)
{
    int interval2;
    if (interval) {
        interval += interval >> 1;
        for (interval2 = -RATE_SCALE * RATELIMIT_TICK_BITS; interval2 < -MIN_RATE;
             interval2 += RATE_SCALE) {
            if (interval <= 1)
                break;
            interval >>= 1;
        }
    } else {
        interval2 = -RATE_SCALE * (RATELIMIT_TICK_BITS + 1);
    }
    int target = -interval2;
    if (*rate == INVALID_RATE) {
        *rate = (int8_t)target;
    } else if (*rate < target) {
        (*rate)++;
    } else if (*rate > target) {
        if (*rate > RATE_SCALE * 5 / 2 + target)
            *rate = (int8_t)(RATE_SCALE * 5 / 2 + target);
        else
            *rate = (int8_t)((*rate + target - 1) / 2);
    }
}

static void update_record(struct clientlog *log, enum clientlog_service service, struct record *r,
                          const struct timespec *now)
{
    uint32_t now_tick = tick_of(log, now);
    uint32_t prev = r->last_hit[service];
    r->last_hit[service] = now_tick;
    r->hits[service]++;
    uint32_t interval = now_tick - prev;
    if (prev == INVALID_TICK || (int32_t)interval < 0)
        return;
    r->tokens[service] =
        ratelimit_refill(&log->limits[service], r->tokens[service], prev, now_tick);
    /* For NTP, a request that follows a dropped one feeds the separate "timeout" rate. */
    bool after_drop = service == CLIENTLOG_NTP && (r->drop_flags & (1u << service));
    update_rate(after_drop ? &r->ntp_timeout_rate : &r->rate[service], interval);
}

static bool is_exact_localhost(const struct tock_ip *ip)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    if (ip->family == AF_INET)
        return ip->addr[0] == 127 && ip->addr[1] == 0 && ip->addr[2] == 0 && ip->addr[3] == 1;
    if (ip->family == AF_INET6)
        return memcmp(ip->addr, v6_loopback, 16) == 0;
    return false;
}

static void count_hit(struct clientlog *log, enum clientlog_service service)
{
    if (!log->stats)
        return;
    if (service == CLIENTLOG_NTP)
        log->stats->ntp_hits++;
    else if (service == CLIENTLOG_NTSKE)
        log->stats->nke_hits++;
    else
        log->stats->cmd_hits++;
}

static void count_drop(struct clientlog *log, enum clientlog_service service)
{
    if (!log->stats)
        return;
    if (service == CLIENTLOG_NTP)
        log->stats->ntp_drops++;
    else if (service == CLIENTLOG_NTSKE)
        log->stats->nke_drops++;
    else
        log->stats->cmd_drops++;
}

enum clientlog_verdict clientlog_access(struct clientlog *log, enum clientlog_service service,
                                        const struct tock_ip *ip, const struct timespec *now)
{
    if (!log || (unsigned)service >= CLIENTLOG_N_SERVICES)
        return CLIENTLOG_ANSWER;
    count_hit(log, service);
    if (!log->active || !ip)
        return CLIENTLOG_ANSWER;
    struct tock_ip u = tock_ip_unmap(ip);
    struct record *r = get_record(log, &u);
    if (!r)
        return CLIENTLOG_ANSWER;
    update_record(log, service, r, now);
    if (service == CLIENTLOG_CMD && is_exact_localhost(&u))
        return CLIENTLOG_ANSWER;

    const struct ratelimit *rl = &log->limits[service];
    if (!rl->enabled)
        return CLIENTLOG_ANSWER;
    r->drop_flags &= (uint8_t) ~(1u << service);
    /* Poorly written clients may send faster when they get no replies. If the rate after
     * drops is more than about twice the rate after replies, invert the leak: answer most
     * requests, keep the rates updated. */
    bool invert = service == CLIENTLOG_NTP && r->ntp_timeout_rate != INVALID_RATE &&
                  r->ntp_timeout_rate > r->rate[service] + RATE_SCALE;
    switch (ratelimit_decide(rl, &r->tokens[service], invert, &log->random)) {
    case RATELIMIT_PASS:
        return CLIENTLOG_ANSWER;
    case RATELIMIT_KOD:
        return CLIENTLOG_KOD;
    case RATELIMIT_DROP:
        break;
    }
    r->drop_flags |= (uint8_t)(1u << service);
    r->drops[service]++;
    count_drop(log, service);
    return CLIENTLOG_DROP;
}

/* ---- set-up ---- */

static uint32_t max_slots_for(uint64_t limit_bytes)
{
    uint64_t per_slot = (uint64_t)CLIENTLOG_RECORD_COST * CLIENTLOG_SLOT_SIZE * 3 / 2;
    uint64_t slots = limit_bytes / per_slot;
    uint64_t cap = CLIENTLOG_MAX_RECORDS / CLIENTLOG_SLOT_SIZE;
    if (slots < 1)
        slots = 1;
    if (slots > cap)
        slots = cap;
    uint32_t pow2 = 1;
    while ((uint64_t)pow2 * 2 <= slots)
        pow2 *= 2;
    return pow2;
}

struct clientlog *clientlog_create(const struct clientlog_params *params,
                                   struct server_stats *stats, uint32_t (*random)(void *ctx),
                                   void *random_ctx, const char **error)
{
    static const char *none = "";
    if (error)
        *error = none;
    struct clientlog *log = calloc(1, sizeof(*log));
    if (!log) {
        if (error)
            *error = "Out of memory for the client log";
        return NULL;
    }
    log->active = params->active;
    log->stats = stats;
    ratelimit_init(&log->limits[CLIENTLOG_NTP], &params->ntp, true);
    ratelimit_init(&log->limits[CLIENTLOG_NTSKE], &params->ntske, false);
    ratelimit_init(&log->limits[CLIENTLOG_CMD], &params->cmd, false);
    ratelimit_random_init(&log->random, random, random_ctx);

    if (!log->active) {
        for (int s = 0; s < CLIENTLOG_N_SERVICES; s++) {
            if (log->limits[s].enabled) {
                if (error)
                    *error = "Rate limiting cannot be enabled with noclientlog";
                free(log);
                return NULL;
            }
        }
        return log;
    }
    if (!random) {
        /* Without random bits every limited request would leak: refuse. */
        if (error)
            *error = "The client log needs a random source";
        free(log);
        return NULL;
    }
    log->hash_seed[0] = random(random_ctx);
    log->hash_seed[1] = random(random_ctx);
    log->tick_offset_ns = random(random_ctx) % (NSEC_PER_SEC >> RATELIMIT_TICK_BITS);
    log->max_slots = max_slots_for(params->limit_bytes);
    if (!expand_table(log)) {
        if (error)
            *error = "Out of memory for the client log";
        free(log);
        return NULL;
    }
    return log;
}

void clientlog_free(struct clientlog *log)
{
    if (!log)
        return;
    free(log->records);
    free(log);
}

bool clientlog_active(const struct clientlog *log)
{
    return log && log->active;
}

const struct ratelimit *clientlog_ratelimit(const struct clientlog *log,
                                            enum clientlog_service service)
{
    static const struct ratelimit off = {.interval = RATELIMIT_MIN_INTERVAL};
    if (!log || (unsigned)service >= CLIENTLOG_N_SERVICES)
        return &off;
    return &log->limits[service];
}

uint32_t clientlog_n_indices(const struct clientlog *log)
{
    return clientlog_active(log) ? log->slots * CLIENTLOG_SLOT_SIZE : 0;
}

uint32_t clientlog_max_records(const struct clientlog *log)
{
    return clientlog_active(log) ? log->max_slots * CLIENTLOG_SLOT_SIZE : 0;
}

size_t clientlog_memory_bytes(const struct clientlog *log)
{
    return clientlog_active(log) ? (size_t)log->slots * CLIENTLOG_SLOT_SIZE * sizeof(struct record)
                                 : 0;
}

/* ---- reports ---- */

static int8_t interval_of(int rate)
{
    if (rate == INVALID_RATE)
        return CLIENTLOG_NO_INTERVAL;
    rate += rate > 0 ? RATE_SCALE / 2 : -RATE_SCALE / 2;
    return (int8_t)(rate / -RATE_SCALE);
}

static uint32_t ago(uint32_t now_tick, uint32_t last)
{
    if (last == INVALID_TICK || (int32_t)(now_tick - last) < 0)
        return CLIENTLOG_NEVER;
    return (now_tick - last) >> RATELIMIT_TICK_BITS;
}

uint32_t clientlog_n_records(const struct clientlog *log)
{
    uint32_t n = 0, total = clientlog_n_indices(log);
    for (uint32_t i = 0; i < total; i++)
        n += log->records[i].family != FAMILY_EMPTY;
    return n;
}

bool clientlog_report_at(struct clientlog *log, uint32_t index, uint32_t min_hits, bool reset,
                         const struct timespec *now, struct clientlog_report *out)
{
    if (!clientlog_active(log) || index >= clientlog_n_indices(log))
        return false;
    struct record *r = &log->records[index];
    if (r->family == FAMILY_EMPTY)
        return false;
    bool wanted = min_hits == 0;
    for (int s = 0; s < CLIENTLOG_N_SERVICES && !wanted; s++)
        wanted = r->hits[s] >= min_hits;
    if (wanted) {
        uint32_t now_tick = tick_of(log, now);
        memset(out, 0, sizeof(*out));
        out->ip.family = r->family == FAMILY_V4 ? AF_INET : AF_INET6;
        memcpy(out->ip.addr, r->addr, r->family == FAMILY_V4 ? 4 : 16);
        out->ntp_hits = r->hits[CLIENTLOG_NTP];
        out->nke_hits = r->hits[CLIENTLOG_NTSKE];
        out->cmd_hits = r->hits[CLIENTLOG_CMD];
        out->ntp_drops = r->drops[CLIENTLOG_NTP];
        out->nke_drops = r->drops[CLIENTLOG_NTSKE];
        out->cmd_drops = r->drops[CLIENTLOG_CMD];
        out->ntp_interval = interval_of(r->rate[CLIENTLOG_NTP]);
        out->nke_interval = interval_of(r->rate[CLIENTLOG_NTSKE]);
        out->cmd_interval = interval_of(r->rate[CLIENTLOG_CMD]);
        out->ntp_timeout_interval = interval_of(r->ntp_timeout_rate);
        out->last_ntp_hit_ago = ago(now_tick, r->last_hit[CLIENTLOG_NTP]);
        out->last_nke_hit_ago = ago(now_tick, r->last_hit[CLIENTLOG_NTSKE]);
        out->last_cmd_hit_ago = ago(now_tick, r->last_hit[CLIENTLOG_CMD]);
    }
    if (reset) {
        memset(r->hits, 0, sizeof(r->hits));
        memset(r->drops, 0, sizeof(r->drops));
    }
    return wanted;
}

uint32_t clientlog_report_page(struct clientlog *log, uint32_t first_index, uint32_t max_clients,
                               uint32_t min_hits, bool reset, const struct timespec *now,
                               struct clientlog_report out[CLIENTLOG_MAX_PAGE], uint32_t *n_out)
{
    uint32_t n_indices = clientlog_n_indices(log);
    uint32_t i = first_index, n = 0;
    if (max_clients > CLIENTLOG_MAX_PAGE)
        max_clients = CLIENTLOG_MAX_PAGE;
    for (; i < n_indices && n < max_clients; i++) {
        if (clientlog_report_at(log, i, min_hits, reset, now, &out[n]))
            n++;
    }
    *n_out = n;
    return i;
}
