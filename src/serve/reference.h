/* The reference state the server path reads: what tockd claims about its own clock in every
 * reply (RFC 5905 header fields). Published by the sync side as one plain value; the server
 * reads it without locks or callbacks. */
#ifndef TOCK_SERVE_REFERENCE_H
#define TOCK_SERVE_REFERENCE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum reference_mode {
    REFERENCE_UNSYNC, /* nothing selected and no local reference */
    REFERENCE_LOCAL,  /* `local stratum N` is the reference */
    REFERENCE_SYNCED, /* synchronised to an upstream source */
};

struct reference_snapshot {
    enum reference_mode mode;
    uint8_t leap;    /* NTP_LEAP_* announced (LI of replies when synced) */
    uint8_t stratum; /* our stratum (selected + 1, or the local stratum) */
    uint32_t refid;
    struct timespec ref_time; /* time of the last clock update */
    double root_delay;        /* s */
    double root_dispersion;   /* s, at ref_time */
    double dispersion_rate;   /* s/s: root dispersion grows by this since ref_time */
};

/* The header values a reply carries at time `now` (chrony's REF_GetReferenceParams):
 * unsynchronised -> LI 3, stratum 0, refid 0, root delay and dispersion 1 s, reference
 * time 0; local -> LI 0, the local stratum, 127.127.1.1, zero root values. */
struct reference_params {
    uint8_t leap;
    uint8_t stratum;
    uint32_t refid;
    double root_delay;
    double root_dispersion;
    struct timespec ref_time; /* {0,0} = none (sent as NTP zero) */
};

void reference_params_at(const struct reference_snapshot *ref, const struct timespec *now,
                         struct reference_params *out);

#endif
