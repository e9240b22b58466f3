/* One NTP server source: the client side of the protocol as a pure state machine
 * (chrony's ntp_core.c client mode, implemented fresh).
 *
 * It decides when to send (poll interval between minpoll and maxpoll adapted to the
 * measured noise: polltarget; iburst; burst; offline), builds the 48-byte request with a
 * random transmit timestamp (RFC 9109: the caller supplies 8 random bytes, the real TX
 * time stays local), checks each reply (chrony's tests 1-3, 5-7 and A-D: duplicate, bogus
 * origin, zero timestamps, authentication, unsynchronised server, root distance, maximum
 * delay and server processing time, delay ratio, delay/jitter ratio, synchronisation loop),
 * keeps the 8-bit reachability register, handles Kiss-o'-Death codes (RATE raises the
 * poll and delays the next request; DENY and RSTR stop polling) and turns good replies
 * into samples of its srcstats.
 *
 * Times are the daemon's cooked time (struct timespec). Pure, no allocation.
 */
#ifndef TOCK_SYNC_NTPSRC_H
#define TOCK_SYNC_NTPSRC_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto/ntp_packet.h"
#include "sync/srcstats.h"

#define NTPSRC_REACH_BITS 8
#define NTPSRC_MIN_POLL   (-7)
#define NTPSRC_MAX_POLL   24

struct ntpsrc_params {
    int minpoll, maxpoll; /* log2 s; 6 / 10 */
    bool iburst, burst;
    int polltarget;             /* 8 */
    double maxdelay;            /* 3.0 s */
    double maxdelayratio;       /* 0 = off */
    double maxdelaydevratio;    /* 10.0 */
    double offset;              /* correction added to every measured offset */
    int minstratum;             /* 0 */
    int version;                /* 1..4; 0 = 4 */
    bool auth;                  /* replies must be authenticated (key or nts) */
    bool offline;               /* start offline */
    int minsamples, maxsamples; /* 6 / 0 = no limit (chrony's defaults) */
    double mindelay, asymmetry;
};

/* Fills chrony's defaults (inventory 1.1). */
void ntpsrc_params_default(struct ntpsrc_params *p);

enum ntpsrc_opmode {
    NTPSRC_OFFLINE,
    NTPSRC_ONLINE,
    NTPSRC_BURST_WAS_ONLINE,
    NTPSRC_BURST_WAS_OFFLINE,
};

/* What the last valid reply looked like (chronyc ntpdata). */
struct ntpsrc_report {
    bool valid;
    int leap, version, mode, stratum, poll, precision;
    double root_delay, root_dispersion;
    uint32_t ref_id;
    ntp_ts ref_time;
    double offset, peer_delay, peer_dispersion, response_time;
    uint16_t tests; /* 1 2 3 5 6 7 A B C D, most significant first (chrony's bit order) */
    bool authenticated;
    uint32_t total_tx, total_rx, total_valid, total_good;
};

/* One processed reply as chronyd's measurements log shows it: every reply that answered
 * an outstanding request, valid or not (`log rawmeasurements`); `synced` marks those with
 * tests 1-3 and 5-7 passed (`log measurements`). Values are zero where the reply gave no
 * sample. Filled by ntpsrc_process_reply(); meas_count in struct ntpsrc counts them. */
struct ntpsrc_measurement {
    struct timespec time; /* the sample's time (midpoint), or the receive time */
    int leap, stratum, remote_poll, mode;
    uint16_t tests; /* as in struct ntpsrc_report */
    bool synced;
    int local_poll;    /* after this reply's poll adjustment */
    double poll_score; /* likewise */
    double offset, peer_delay, peer_dispersion;
    double root_delay, root_dispersion; /* as the packet carries them */
    uint32_t ref_id;
};

/* Our own reference state, for test D (synchronisation loop detection). */
struct ntpsrc_loop_check {
    bool serving;            /* clients could be synchronised to us */
    uint32_t local_refid;    /* refid of the local address the requests go from, 0 = ? */
    int our_stratum;         /* stratum we serve */
    uint32_t our_refid;      /* refid we serve */
    uint32_t our_root_delay; /* 16.16, as we serve it */
    ntp_ts our_ref_ts;
};

struct ntpsrc {
    struct ntpsrc_params p;
    int minpoll, maxpoll;   /* effective (KoD RATE may raise them) */
    double precision;       /* local clock precision, s */
    double max_clock_error; /* s/s */

    enum ntpsrc_opmode opmode;
    int local_poll;
    double poll_score;
    int remote_poll, remote_stratum;
    unsigned tx_count;                   /* requests since the last valid reply */
    bool valid_rx;                       /* a valid reply to the current request arrived */
    ntp_ts local_ntp_tx;                 /* random transmit timestamp of the outstanding request */
    ntp_ts remote_ntp_rx, remote_ntp_tx; /* of the last valid reply (test 1) */
    int burst_good_to_go, burst_total_to_go;
    struct timespec next_tx; /* cooked */
    bool scheduled;
    struct timespec last_tx; /* cooked time of the last request */
    bool has_last_tx;

    uint8_t reach;
    int reach_size;
    bool stopped;      /* DENY / RSTR: polling stopped for good */
    uint32_t last_kod; /* last KoD code seen, 0 = none */

    struct ntpsrc_report report;
    struct srcstats stats;

    struct ntpsrc_measurement last_meas; /* the statistics logs (see above) */
    uint32_t meas_count;
};

/* Sets the source up; the first request goes 0.2 s after cooked_now (iburst: a burst of
 * up to 8 requests 2 s apart, ending after 4 good samples). */
void ntpsrc_init(struct ntpsrc *s, const struct ntpsrc_params *p, double precision,
                 double max_clock_error, const struct timespec *cooked_now);

/* Forgets every protocol timestamp and sample (new address, after a step). */
void ntpsrc_reset(struct ntpsrc *s);

/* Takes the source online (starting an iburst if configured) or offline. */
void ntpsrc_set_online(struct ntpsrc *s, bool online, const struct timespec *cooked_now);

/* Starts a burst of up to `total` requests ending after `good` good samples. */
void ntpsrc_initiate_burst(struct ntpsrc *s, int good, int total,
                           const struct timespec *cooked_now);

/* When the next request is due (false when none is scheduled: offline or stopped). */
bool ntpsrc_next_tx(const struct ntpsrc *s, struct timespec *when);

/* Builds the request into out[48] and advances the schedule. rnd: 8 random bytes for the
 * transmit timestamp. is_sync_peer: this source is the one selected (its poll backs off
 * more slowly when replies go missing). Returns 48, or 0 if no request is to be sent
 * (offline, stopped, end of an offline burst). */
int ntpsrc_transmit(struct ntpsrc *s, const struct timespec *cooked_now, const uint8_t rnd[8],
                    bool is_sync_peer, uint8_t out[NTP_HEADER_LEN]);

enum ntpsrc_rx_result {
    NTPSRC_RX_IGNORED = 0, /* not a valid reply to our request (dropped silently) */
    NTPSRC_RX_VALID,       /* valid reply, no usable sample (reach updated) */
    NTPSRC_RX_SAMPLE,      /* valid reply with a good sample, accumulated into stats */
    NTPSRC_RX_KOD_RATE,    /* valid KoD RATE: poll raised, next request delayed */
    NTPSRC_RX_KOD_STOP,    /* valid KoD DENY or RSTR: the source stops polling */
};

/* Processes a reply. rx: local receive time; tx: local transmit time of the request (both
 * cooked, kernel or daemon timestamps). authenticated: the MAC/NTS check passed. sample
 * (may be NULL) receives the measurement when the result is NTPSRC_RX_SAMPLE; the sample
 * has then already been accumulated into s->stats and the poll adjusted.
 * leap_close: samples are dropped around a leap second. */
enum ntpsrc_rx_result ntpsrc_process_reply(struct ntpsrc *s, const struct ntp_packet_view *v,
                                           const struct timespec *rx, const struct timespec *tx,
                                           bool authenticated, const struct ntpsrc_loop_check *lc,
                                           bool leap_close, struct srcstats_sample *sample);

/* 8 polls in a row without a valid reply. */
bool ntpsrc_unreachable(const struct ntpsrc *s);

/* The clock was stepped by `offset` (+ = moved back): move the schedule with it. */
void ntpsrc_notify_step(struct ntpsrc *s, double offset);

#endif
