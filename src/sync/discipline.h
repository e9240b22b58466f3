/* The clock discipline and the reference: what tockd believes and what the server tells clients
 * (chrony's reference.c, implemented fresh).
 *
 * disc_update() takes the combined estimate of the selected sources and decides the clock
 * correction: the frequency (the new estimate weighted against the current one by their
 * skews, not at all when the skew exceeds maxupdateskew), the offset to slew with a
 * correction rate from corrtimeratio, or a step (makestep THRESHOLD LIMIT). It keeps the
 * tracking report values, the RMS offset, the leap second status and the reference
 * parameters the server puts into replies (synchronised, local stratum, unsynchronised).
 *
 * Pure: times are cooked times passed in; the caller applies the correction to the clock.
 */
#ifndef TOCK_SYNC_DISCIPLINE_H
#define TOCK_SYNC_DISCIPLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto/ntp_time.h"
#include "serve/reference.h"
#include "util/addr.h"

struct disc_params {
    double max_update_skew; /* maxupdateskew, s/s (1000 ppm) */
    double corr_time_ratio; /* corrtimeratio 3 */
    bool makestep;          /* makestep configured */
    double makestep_threshold;
    int makestep_limit;     /* updates during which a step is allowed; < 0 = always */
    double max_clock_error; /* maxclockerror, s/s (1 ppm) */
    double precision;       /* local clock precision, s */
    /* local reference (inventory 1.7) */
    bool local;
    int local_stratum;
    bool local_orphan;
    double local_distance;
    double local_activate;
    double local_waitsynced;
    double local_waitunsynced; /* < 0 = default (300 with orphan, else 0) */
};

void disc_params_default(struct disc_params *p);

/* How the clock must be corrected after an update (chrony's
 * LCL_AccumulateFrequencyAndOffset + LCL_ApplyStepOffset). */
struct disc_correction {
    double dfreq;     /* relative frequency change, s/s (+ = slow the clock) */
    double offset;    /* offset to slew, s (+ = clock ahead) */
    double corr_rate; /* suggested correction rate for the slew */
    double step;      /* offset to step now, s (+ = step back), 0 = none */
};

enum disc_mode {
    DISC_UNSYNC, /* nothing to serve: stratum 0, LI 3 */
    DISC_LOCAL,  /* local reference active */
    DISC_SYNCED, /* synchronised to a source */
};

/* What goes into server replies. */
struct disc_server_params {
    enum disc_mode mode;
    int leap;    /* enum ntp_leap */
    int stratum; /* wire value (0 when unsynchronised) */
    uint32_t refid;
    ntp_ts ref_ts; /* 0 when unsynchronised */
    double root_delay;
    double root_dispersion;
};

/* chronyc tracking. */
struct disc_tracking {
    uint32_t ref_id;
    struct tock_ip ip; /* AF_UNSPEC for the local reference */
    int stratum;
    int leap_status; /* 0 normal, 1 insert, 2 delete, 3 unsynchronised */
    struct timespec ref_time;
    double current_correction; /* filled by the engine (slew controller) */
    double freq_ppm;           /* filled by the engine */
    double resid_freq_ppm, skew_ppm;
    double root_delay, root_dispersion;
    double last_update_interval, last_offset, rms_offset;
};

struct disc_state {
    struct disc_params p;
    bool synchronised;
    int stratum;
    int leap;     /* voted/checked leap status of the current update (enum ntp_leap) */
    int leap_sec; /* +1 / -1 armed for the end of today, 0 none */
    bool leap_in_progress;
    uint32_t refid;
    struct tock_ip ref_ip;
    struct timespec ref_time;
    double skew;
    double residual_freq;
    double root_delay;
    double root_dispersion;
    bool has_update;
    struct timespec last_update;
    double last_update_interval;
    double last_offset;
    double avg2_offset;
    bool avg2_moving;
    int makestep_left;
    int updates;
    /* local reference activation */
    struct timespec start_time;
    struct timespec unsync_since;
    bool activated;
    /* driftfile: frequency worth saving, and how long since the last save */
    double drift_age;
    /* reference time served by the local reference (refreshed every 64 s) */
    struct timespec local_ref_time;
    bool has_local_ref_time;
};

/* start: cooked time at start; skew_ppm: from the driftfile (or 1e6 = unknown). */
void disc_init(struct disc_state *r, const struct disc_params *p, const struct timespec *start,
               double initial_skew_ppm);

struct disc_update_input {
    int stratum; /* of the selected source */
    int leap;    /* enum ntp_leap, already checked against the leap table */
    int combined;
    uint32_t refid;
    const struct tock_ip *ip; /* NULL for refclocks */
    struct timespec ref_time;
    double offset, offset_sd; /* local - reference at ref_time */
    double frequency, frequency_sd, skew;
    double root_delay, root_dispersion;
};

/* A new estimate. now: cooked time; uncorrected: the slew still in progress (cooked - raw
 * now, chrony's uncorrected offset). Fills the correction to apply. */
void disc_update(struct disc_state *r, const struct disc_update_input *in,
                 const struct timespec *now, double uncorrected, struct disc_correction *out);

/* The clock was corrected at cooked time `when` (see srcstats_slew): keep the reference
 * and update times on the new time scale. */
void disc_slew(struct disc_state *r, const struct timespec *when, double dfreq, double doffset);

/* The selection lost every source. */
void disc_set_unsynchronised(struct disc_state *r, const struct timespec *now);

/* Reply parameters at cooked time now (root dispersion grows with the time since the
 * last update). */
void disc_server_params(struct disc_state *r, const struct timespec *now,
                        struct disc_server_params *out);

/* The same as one plain value for the server path (serve/reference.h): root dispersion
 * at the reference time plus its growth rate, so the server can compute it at any instant
 * without calling back. Refresh it after every engine call (the mode can change with
 * time: local reference activation, root distance above `local distance`). */
void disc_snapshot(struct disc_state *r, const struct timespec *now,
                   struct reference_snapshot *out);

void disc_tracking(const struct disc_state *r, const struct timespec *now,
                   struct disc_tracking *out);

/* Root delay / 2 + root dispersion at `now` of the reference as it stands (1.5 s before
 * the first update): chronyd's "root distance" in the tracking log's maximum error. */
double disc_root_distance(const struct disc_state *r, const struct timespec *now);

/* The stratum we would serve now (16 when unsynchronised and no local reference). */
int disc_our_stratum(struct disc_state *r, const struct timespec *now);

/* Orphan stratum for the selection (16 when not in orphan mode). */
int disc_orphan_stratum(const struct disc_state *r);

/* Leap seconds. Is `t` (UTC s) on a day when a leap second may happen (30 June or
 * 31 December)? */
bool disc_is_leap_day(time_t t);
/* Within 5 s of midnight UTC with a leap second armed: samples are dropped. */
bool disc_leap_close(const struct disc_state *r, const struct timespec *now);
/* Time (cooked) at which the armed leap second happens: midnight UTC for an inserted one,
 * 23:59:59 for a deleted one. False when none is armed. */
bool disc_leap_time(const struct disc_state *r, const struct timespec *now, struct timespec *at);
/* Called around the leap: in_progress true at the leap, false ~2 s later (then the leap
 * status returns to normal). */
void disc_set_leap_in_progress(struct disc_state *r, bool in_progress);

/* Reference id of an address: the IPv4 address, or the first 4 bytes of MD5 of the IPv6
 * address (uses OpenSSL's MD5; no I/O). */
uint32_t disc_refid_from_ip(const struct tock_ip *ip);

#endif
