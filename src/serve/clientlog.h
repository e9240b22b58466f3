/* The client log: one record per client IP address with its NTP, NTS-KE and command hits,
 * drops, average request intervals and rate-limiting buckets - chronyd's clientlog.c
 * algorithm, behind `chronyc clients`, `serverstats` and rate limiting (inventory 1.4, 1.11,
 * 2.7, 2.9, 3.8; gotchas 12 and 15).
 *
 * Memory: records live in a hash table of slots of CLIENTLOG_SLOT_SIZE records. It starts
 * with one slot and doubles while a slot overflows, up to the largest power of two of slots
 * that fits `clientloglimit` bytes at chronyd's per-record cost (a 64-byte record plus a
 * 16-byte interleaved-mode timestamp entry, with room for the old and new table during a
 * doubling): 524288 bytes give 4096 records, as in chronyd. When the table cannot grow,
 * the least recently active record of the full slot is evicted and counted in
 * server_stats.log_drops ("Client log records dropped"). Nothing is allocated per request
 * except those doublings.
 *
 * Not thread-safe: the daemon's single event loop owns it.
 */
#ifndef TOCK_SERVE_CLIENTLOG_H
#define TOCK_SERVE_CLIENTLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"
#include "serve/ratelimit.h"
#include "serve/server_stats.h"
#include "util/addr.h"

enum clientlog_service {
    CLIENTLOG_NTP = 0,
    CLIENTLOG_NTSKE = 1,
    CLIENTLOG_CMD = 2,
};
#define CLIENTLOG_N_SERVICES 3

enum clientlog_verdict {
    CLIENTLOG_ANSWER, /* reply normally */
    CLIENTLOG_DROP,   /* rate limited: no reply (counted as a drop) */
    CLIENTLOG_KOD,    /* rate limited: reply with KoD RATE (NTP only; not a drop) */
};

#define CLIENTLOG_SLOT_SIZE     16 /* records per hash slot, as chronyd's SLOT_BITS 4 */
#define CLIENTLOG_RECORD_COST   80 /* bytes per record used to apply clientloglimit */
#define CLIENTLOG_MAX_RECORDS   (1u << 24)
#define CLIENTLOG_DEFAULT_LIMIT 524288
#define CLIENTLOG_NO_INTERVAL   127         /* interval fields: no data */
#define CLIENTLOG_NEVER         0xFFFFFFFFu /* *_ago fields: never */
#define CLIENTLOG_MAX_PAGE      8           /* entries per CLIENT_ACCESSES_BY_INDEX3 reply */

struct clientlog_params {
    bool active;                           /* false = `noclientlog`: no records, no rate limiting */
    uint64_t limit_bytes;                  /* clientloglimit */
    struct conf_ratelimit ntp, ntske, cmd; /* ratelimit, ntsratelimit, cmdratelimit */
};

/* The parameters a configuration asks for. */
void clientlog_params_from_config(const struct tock_config *conf, struct clientlog_params *out);

struct clientlog;

/* Creates the log. stats (may be NULL) receives the counters this module owns: ntp_hits,
 * nke_hits, cmd_hits, ntp_drops, nke_drops, cmd_drops and log_drops - the caller must not
 * count those itself. random supplies 32 random bits per call (the leak and KoD draws, the
 * hash seed and the alignment of the 1/16 s clock; required unless inactive). Returns NULL
 * and sets *error (static text) on bad parameters ("Rate limiting cannot be enabled with
 * noclientlog", no random source) or when out of memory. */
struct clientlog *clientlog_create(const struct clientlog_params *params,
                                   struct server_stats *stats, uint32_t (*random)(void *ctx),
                                   void *random_ctx, const char **error);
void clientlog_free(struct clientlog *log);

/* One request (NTP, after the access and mode checks), NTS-KE connection (after the access
 * check) or command packet (UDP: after cmdallow; the Unix socket: pass an AF_UNSPEC
 * address). Counts the hit, updates the client's record and decides. Never limited: the
 * Unix socket (AF_UNSPEC), commands from 127.0.0.1 and ::1, any service without its
 * ratelimit directive, and everything under noclientlog. IPv4-mapped addresses count as
 * IPv4. O(1); no allocation unless the table doubles. */
enum clientlog_verdict clientlog_access(struct clientlog *log, enum clientlog_service service,
                                        const struct tock_ip *ip, const struct timespec *now);

bool clientlog_active(const struct clientlog *log);

/* The limits of a service, e.g. for the poll field of replies and KoD packets. */
const struct ratelimit *clientlog_ratelimit(const struct clientlog *log,
                                            enum clientlog_service service);

/* Number of record indices in the table now, including empty records (the n_indices of
 * CLIENT_ACCESSES_BY_INDEX3); 0 when inactive. */
uint32_t clientlog_n_indices(const struct clientlog *log);

/* Records the table may grow to (also the size chronyd gives its interleaved-mode map). */
uint32_t clientlog_max_records(const struct clientlog *log);

/* Bytes of record storage allocated now. */
size_t clientlog_memory_bytes(const struct clientlog *log);

/* Records in use now (clients known), for the metrics endpoint: a walk over the table,
 * O(n_indices); 0 when inactive. */
uint32_t clientlog_n_records(const struct clientlog *log);

/* What `chronyc clients` shows for one client (RPY_CLIENT_ACCESSES_BY_INDEX3 entry). */
struct clientlog_report {
    struct tock_ip ip;
    uint32_t ntp_hits, nke_hits, cmd_hits;
    uint32_t ntp_drops, nke_drops, cmd_drops;
    int8_t ntp_interval, nke_interval, cmd_interval; /* log2 s; CLIENTLOG_NO_INTERVAL */
    int8_t ntp_timeout_interval;                     /* of requests that followed a dropped one */
    uint32_t last_ntp_hit_ago, last_nke_hit_ago, last_cmd_hit_ago; /* s; CLIENTLOG_NEVER */
};

/* The record at index (0 <= index < n_indices). Returns false for an empty record or one
 * with fewer than min_hits hits in every service (min_hits 0: every record). With reset,
 * the record's hits and drops are zeroed after reading - also when it is not reported. */
bool clientlog_report_at(struct clientlog *log, uint32_t index, uint32_t min_hits, bool reset,
                         const struct timespec *now, struct clientlog_report *out);

/* The server side of CLIENT_ACCESSES_BY_INDEX3: walks indices from first_index, skipping
 * empty and filtered records, until max_clients (capped at CLIENTLOG_MAX_PAGE) entries
 * are in out or the table ends. *n_out gets the number of entries; returns next_index
 * (one past the last index examined). */
uint32_t clientlog_report_page(struct clientlog *log, uint32_t first_index, uint32_t max_clients,
                               uint32_t min_hits, bool reset, const struct timespec *now,
                               struct clientlog_report out[CLIENTLOG_MAX_PAGE], uint32_t *n_out);

#endif
