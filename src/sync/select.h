/* Source selection and combining (chrony's sources.c algorithm, implemented fresh).
 *
 * Each source offers a correctness interval [offset - root distance, offset + root
 * distance] from its statistics. The largest set of sources whose intervals share a
 * common part (trusted sources first) is the set of truechimers; sources outside it are
 * falsetickers. Among the survivors (prefer, stratum, distance) one is selected, with
 * hysteresis so that the selection does not flap, and the estimates of the others close
 * enough to it are combined, weighted by their root distances (offset) and frequency
 * errors (frequency).
 *
 * Pure. Operates on an array of pointers so the engine keeps ownership of its sources.
 */
#ifndef TOCK_SYNC_SELECT_H
#define TOCK_SYNC_SELECT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sync/srcstats.h"

#define SELECT_OPT_NOSELECT 0x1
#define SELECT_OPT_PREFER   0x2
#define SELECT_OPT_TRUST    0x4
#define SELECT_OPT_REQUIRE  0x8

enum select_status {
    SELECT_OK,            /* transient */
    SELECT_UNSELECTABLE,  /* noselect */
    SELECT_BAD_STATS,     /* fewer than 3 samples / no regression */
    SELECT_BAD_DISTANCE,  /* root distance above maxdistance */
    SELECT_JITTERY,       /* std dev above maxjitter */
    SELECT_WAITS_STATS,   /* others still collecting samples */
    SELECT_STALE,         /* unreachable with old samples */
    SELECT_ORPHAN,        /* stratum >= orphan stratum */
    SELECT_UNTRUSTED,     /* overlaps trusted sources only partially */
    SELECT_FALSETICKER,   /* outside the agreed interval */
    SELECT_WAITS_SOURCES, /* minsources / require not met */
    SELECT_NONPREFERRED,  /* other sources have prefer */
    SELECT_WAITS_UPDATE,  /* best source has no new sample yet */
    SELECT_DISTANT,       /* too far from the selected one to be combined */
    SELECT_UNSELECTED,    /* combined, not the system peer */
    SELECT_SELECTED,      /* the system peer */
};

/* The state character chronyc prints: * + - x ~ ? */
char select_state_char(enum select_status st);
/* chronyd's letter for the detailed status (selection log, chronyc selectdata):
 * N M d ~ w S O T x W P U D + *, '?' for the transient SELECT_OK. */
char select_status_letter(enum select_status st);
/* The candm wire value of the state (0 sync, 1 unreach, 2 falseticker, 3 jittery,
 * 4 candidate "+", 5 outlier "-"). */
int select_state_wire(enum select_status st);

struct select_src {
    /* inputs, kept current by the engine */
    const struct srcstats *stats;
    unsigned options; /* SELECT_OPT_* */
    uint8_t reach;
    int reach_size; /* number of bits shifted in so far (max 8) */
    uint32_t refid;
    int leap; /* leap indicator of the last sample */
    /* selection state */
    enum select_status status;
    double sel_score;
    int distant;
    int updates; /* new samples since the last reference update */
    struct srcstats_selection info;
};

struct select_params {
    double max_distance;    /* maxdistance 3.0 */
    double max_jitter;      /* maxjitter 1.0 */
    int min_sources;        /* minsources 1 */
    double reselect_dist;   /* reselectdist 1e-4 */
    double stratum_weight;  /* stratumweight 1e-3 */
    double combine_limit;   /* combinelimit 3 */
    double max_clock_error; /* maxclockerror, s/s (1e-6) */
    int orphan_stratum;     /* local stratum with orphan, else 16 */
    uint32_t local_refid;   /* for orphan mode: our refid as others see it (0 = ?) */
};

void select_params_default(struct select_params *p);

struct select_result {
    bool update;  /* feed the estimate below to the reference */
    bool lost;    /* the selection was lost: the reference must go unsynchronised */
    int selected; /* index or -1 */
    int stratum;  /* of the selected source */
    int leap;     /* voted leap status (enum ntp_leap: 0, 1 or 2) */
    int combined; /* number of sources combined */
    uint32_t refid;
    struct srcstats_tracking est; /* combined estimate (local - reference) */
};

struct select_state {
    int selected; /* -1 = none */
};

void select_init(struct select_state *st);

/* Runs the selection. updated: index of the source with a new sample, or -1 (e.g. after
 * a reachability change). now: cooked time. */
void select_run(struct select_state *st, struct select_src **srcs, int n, int updated,
                const struct select_params *p, const struct timespec *now,
                struct select_result *out);

/* Forgets the selection (a source was removed or reset). */
void select_reset(struct select_state *st);

#endif
