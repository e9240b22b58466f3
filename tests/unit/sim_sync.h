/* Seeded clock-and-network simulation that drives the real sync engine exactly as the
 * daemon does: requests built by the engine, replies built by simulated servers, parsed
 * with the real codec, timestamps read from a virtual clock (vclock) whose frequency and
 * steps come from the engine's clock commands.
 *
 * True time is continuous (seconds from the start, on the 2010-01-01 epoch like
 * clknetsim); the node's oscillator has a frequency error with optional random-walk
 * wander; each one-way trip takes base delay + an exponential jitter (mean `jitter`),
 * optionally asymmetric; packets can be lost; all servers can be cut off for an outage.
 * Everything is deterministic for a given seed. Simulated days run in milliseconds.
 */
#ifndef TOCK_TESTS_SIM_SYNC_H
#define TOCK_TESTS_SIM_SYNC_H

#include <stdbool.h>
#include <stdint.h>

#include "sync/engine.h"

#define SIMSYNC_MAX_SERVERS 8

struct simsync_server {
    double offset;             /* server clock - true time, s (a falseticker has a large one) */
    int stratum;               /* 1 */
    uint32_t kod;              /* 0, or a kiss code every reply carries (NTP_KISS_RATE, ...) */
    int kod_poll;              /* poll field of KoD replies */
    bool announce_leap_insert; /* LI = 1 during the leap day */
    double down_from, down_to; /* this server does not answer in [from, to) (true s) */
    unsigned sel_options;
    double extra_delay; /* added to this server's one-way delays */
};

struct simsync_params {
    uint64_t seed;
    int n_servers;
    struct simsync_server server[SIMSYNC_MAX_SERVERS];
    struct ntpsrc_params src; /* for every source */
    struct sync_params sync;
    double base_delay;             /* one way, s */
    double jitter;                 /* mean of the exponential one-way jitter, s */
    double asymmetry;              /* share of the jitter on the way out minus 0.5 (-0.5..0.5) */
    double loss;                   /* probability that a packet is lost */
    double initial_offset;         /* node clock - true at start, s */
    double freq_ppm;               /* node oscillator error, ppm */
    double wander;                 /* frequency random walk, ppm per sqrt(s) */
    double outage_from, outage_to; /* no server answers in [from, to) */
    double duration;               /* s */
    double measure_from;           /* statistics from this time on */
    double measure_step;           /* sampling of the clock error, s (default 1) */
    double leap_at;                /* true time of an inserted leap second (0 = none): must
                                      be a UTC midnight relative to the epoch */
    double jump_at, jump_by;       /* external step of the node clock (e.g. to test makestep) */
    double start;                  /* true time 0 is this many seconds after 2010-01-01 UTC */
};

void simsync_defaults(struct simsync_params *p);

struct simsync_result {
    double rms_error, max_error;   /* |system clock - true| after measure_from, s */
    double rms_cooked, max_cooked; /* same for the daemon's cooked time */
    double final_error;            /* at the end */
    double final_freq_error_ppm;   /* oscillator error - discipline frequency */
    double packets_per_hour;       /* requests sent per hour (all sources) */
    long requests, replies;
    int steps; /* clock steps commanded */
    double first_step_at, last_step_at;
    double max_abs_step;
    int leaps_applied;
    double converged_at; /* first time |error| < 1 ms for good (or -1) */
    int final_poll[SIMSYNC_MAX_SERVERS];
    enum select_status final_status[SIMSYNC_MAX_SERVERS];
    char final_state[SIMSYNC_MAX_SERVERS];
    bool replacement_signalled[SIMSYNC_MAX_SERVERS];
    double replacement_at[SIMSYNC_MAX_SERVERS];
    bool stopped[SIMSYNC_MAX_SERVERS];
    /* leap check: system clock readings (UTC, s relative to the leap midnight) at true
     * times leap - 0.5, leap + 0.5 and leap + 1.5 */
    double leap_reading[3];
    bool leap_announced_before; /* the served leap indicator was 1 an hour before */
    int served_li_during_leap;
    struct sync_engine *engine; /* valid until simsync_free() */
};

/* Runs one scenario. The engine stays allocated in res->engine for inspection. */
void simsync_run(const struct simsync_params *p, struct simsync_result *res);
void simsync_free(struct simsync_result *res);

#endif
