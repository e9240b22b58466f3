/* The synchronisation engine: everything that decides, behind one narrow API for the
 * daemon (sources and polling, statistics, selection, discipline, slew, leap seconds).
 *
 * The daemon owns sockets, timers and the clock driver and calls in with "raw" time: the
 * reading of the clock the driver adjusts (CLOCK_REALTIME for the system driver, the
 * vclock for `none` and `sim`). The engine answers with cooked time (raw + the slew still
 * in progress), packets to send, and clock commands.
 *
 * Life of a poll, as the daemon drives it:
 *
 *   sync_next_event(e, raw, &when)        sleep until `when` (cooked) at the latest
 *   sync_timeout(e, raw)                  slew re-plans, leap second events
 *   while ((i = sync_due_source(e, raw)) >= 0)
 *       n = sync_transmit(e, i, raw, rnd8, buf);   send buf[0..n) (+ MAC/NTS) to source i,
 *                                                  note the TX timestamp (cooked)
 *   on a reply from source i:
 *       parse -> view; auth check; sync_process_reply(e, i, &view, rx, tx, auth, ...)
 *   after every call:
 *       sync_take_clock_cmd(e, &cmd)      set frequency / step / arm leap on the driver
 *
 * Bounded: SYNC_MAX_SOURCES sources, each with bounded statistics. No allocation:
 * struct sync_engine is large (allocate it once, e.g. with calloc).
 */
#ifndef TOCK_SYNC_ENGINE_H
#define TOCK_SYNC_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "proto/ntp_packet.h"
#include "sync/leapsec.h"
#include "sync/ntpsrc.h"
#include "sync/discipline.h"
#include "sync/select.h"
#include "sync/slew.h"
#include "util/addr.h"

#define SYNC_MAX_SOURCES 64
/* A bad source is reported for replacement at most this often. */
#define SYNC_REPLACE_INTERVAL 1800.0

/* ---- the observer: what happened, for the statistics logs (chronyd's `log`) ----
 *
 * An optional callback the engine calls, synchronously, at the points where chronyd
 * writes its log files: a reply processed (measurements), a new regression of a source's
 * statistics (statistics), the status of each source after a selection (selection), and
 * every reference update or loss of synchronisation, plus one unsynchronised line at
 * start (tracking). The engine stays pure: it only hands out values; the callback must
 * not call back into the engine. */
enum sync_event_kind {
    SYNC_EVENT_MEASUREMENT,
    SYNC_EVENT_STATISTICS,
    SYNC_EVENT_SELECTION,
    SYNC_EVENT_TRACKING,
};

struct sync_event_statistics {
    struct timespec time; /* of the newest sample */
    double std_dev, est_offset, est_offset_sd;
    double est_freq, skew, stress, asymmetry; /* s/s except asymmetry (ratio) */
    int n_samples, best_start, n_runs;
};

struct sync_event_selection {
    struct timespec time; /* of the selection */
    char letter;          /* select_status_letter() */
    unsigned options;     /* SELECT_OPT_* in effect */
    uint8_t reach;
    double score, last_sample_ago, lo_limit, hi_limit;
};

struct sync_event_tracking {
    struct timespec time;
    bool update; /* a reference update; false: unsynchronised (at start, or lost) */
    uint32_t ref_id;
    struct tock_ip ip; /* AF_UNSPEC: show the refid (local reference) */
    int stratum;
    double freq_ppm, skew_ppm, offset;
    int leap; /* enum ntp_leap: 0 normal, 1 insert, 2 delete, 3 unsynchronised */
    int combined;
    double offset_sd, remaining_correction, root_delay, root_dispersion, max_error;
};

struct sync_event {
    enum sync_event_kind kind;
    int source;               /* engine index, -1 for tracking */
    const struct tock_ip *ip; /* the source's address (NULL for tracking) */
    union {
        const struct ntpsrc_measurement *measurement;
        struct sync_event_statistics statistics;
        struct sync_event_selection selection;
        struct sync_event_tracking tracking;
    } u;
};

typedef void (*sync_observer_fn)(void *ctx, const struct sync_event *ev);

struct sync_params {
    struct slew_params slew;
    struct select_params select;
    struct disc_params ref;
    double precision;                  /* local clock precision, s */
    double max_clock_error;            /* maxclockerror, s/s */
    double initial_freq_ppm;           /* from the driftfile, 0 = none */
    double initial_skew_ppm;           /* from the driftfile, >= 1e6 = unknown */
    double driftfile_interval;         /* s, 3600 */
    const struct leapsec_table *leaps; /* optional leap second table (not copied) */
    sync_observer_fn observer;         /* optional (see above) */
    void *observer_ctx;
};

void sync_params_default(struct sync_params *p);

struct sync_source {
    bool in_use;
    bool has_addr;
    struct tock_ip ip;
    uint32_t refid;
    struct ntpsrc ntp;
    struct select_src sel;
    bool replace_signalled;
    struct timespec last_replace; /* cooked */
};

/* What the clock driver must do now. */
struct sync_clock_cmd {
    bool set_freq;
    double freq_ppm; /* chrony sign: + = the clock runs fast, slow it (ADJ_FREQUENCY = -ppm) */
    bool step;
    double step_offset; /* + = the clock is ahead: step back (ADJ_SETOFFSET of -offset) */
    bool set_leap;
    int leap; /* +1 insert (STA_INS), -1 delete (STA_DEL), 0 none, at the end of the UTC day */
    bool set_status; /* kernel sync status (STA_UNSYNC, ADJ_ESTERROR, ADJ_MAXERROR) */
    bool synchronised;
    double est_error, max_error; /* s */
};

struct sync_engine {
    struct sync_params p;
    struct slew slew;
    struct disc_state ref;
    struct select_state sel;
    struct sync_source src[SYNC_MAX_SOURCES];
    struct sync_clock_cmd cmd; /* accumulated until taken */
    int driver_leap;           /* leap armed on the driver */
    struct timespec leap_end;  /* cooked, while a leap is in progress */
    bool leap_table_disagrees; /* the sources announce a leap the table does not know */
    int updates;               /* reference updates so far */
    double drift_age;
    bool drift_written;
    double last_sys_offset; /* tracking log: offset minus correction of the last update */
};

/* Initialises the engine. The driver must then apply sync_take_clock_cmd() (it carries
 * the initial frequency). */
void sync_init(struct sync_engine *e, const struct sync_params *p, const struct timespec *raw_now);

/* cooked time = raw + sync_correction(raw). */
struct timespec sync_cook(const struct sync_engine *e, const struct timespec *raw);
double sync_correction(const struct sync_engine *e, const struct timespec *raw);

/* Adds a source; ip may be NULL while its name is being resolved. Returns its index or
 * -1 when the table is full. */
int sync_add_source(struct sync_engine *e, const struct ntpsrc_params *np, unsigned sel_options,
                    const struct tock_ip *ip, const struct timespec *raw_now);
/* New address for a source (pool replacement, resolution): its history starts over. */
void sync_set_source_address(struct sync_engine *e, int idx, const struct tock_ip *ip,
                             const struct timespec *raw_now);
void sync_remove_source(struct sync_engine *e, int idx);
void sync_set_online(struct sync_engine *e, int idx, bool online, const struct timespec *raw_now);

/* The earliest time (cooked) at which the engine wants to be called again. */
bool sync_next_event(const struct sync_engine *e, const struct timespec *raw_now,
                     struct timespec *cooked_when);
/* Handles due timers (slew re-plan, leap second start and end). */
void sync_timeout(struct sync_engine *e, const struct timespec *raw_now);
/* Index of a source whose request is due, or -1. */
int sync_due_source(const struct sync_engine *e, const struct timespec *raw_now);
/* Builds the request of source idx into out (48 bytes; the caller adds MAC/NTS) and
 * schedules the next one. rnd: 8 random bytes. Returns the length, 0 = nothing to send. */
int sync_transmit(struct sync_engine *e, int idx, const struct timespec *raw_now,
                  const uint8_t rnd[8], uint8_t out[NTP_HEADER_LEN]);

/* A reply from source idx. rx: local receive time, tx: local transmit time of the request
 * (both cooked). local_refid: refid of the local address that received it (0 = unknown),
 * serving: clients may be synchronised to us (for the loop test). */
enum ntpsrc_rx_result sync_process_reply(struct sync_engine *e, int idx,
                                         const struct ntp_packet_view *v, const struct timespec *rx,
                                         const struct timespec *tx, bool authenticated,
                                         uint32_t local_refid, bool serving,
                                         const struct timespec *raw_now);

/* Takes (and clears) the clock command accumulated since the last call. */
void sync_take_clock_cmd(struct sync_engine *e, struct sync_clock_cmd *cmd);

/* chronyc makestep: step the clock now by the correction still being slewed. */
void sync_make_step(struct sync_engine *e, const struct timespec *raw_now);
/* chronyc burst: up to `total` requests to source idx, ending after `good` good ones. */
void sync_burst(struct sync_engine *e, int idx, int good, int total,
                const struct timespec *raw_now);

/* The driver applied a leap second (+1: the clock went back 1 s). The vclock-based
 * drivers see it as a change of vclock.leaps_applied after a read; the system driver may
 * skip it (the error is the slew rate times 1 s, nanoseconds in practice). */
void sync_notify_leap_applied(struct sync_engine *e, int leap);
/* The clock was stepped by something else (unknown offset): forget every sample. */
void sync_notify_unknown_step(struct sync_engine *e, const struct timespec *raw_now);

/* ---- views for the server, the command protocol and pools ---- */

void sync_server_params(struct sync_engine *e, const struct timespec *raw_now,
                        struct disc_server_params *out);
/* The reference snapshot the server path reads (serve/reference.h). */
void sync_reference_snapshot(struct sync_engine *e, const struct timespec *raw_now,
                             struct reference_snapshot *out);
void sync_tracking(const struct sync_engine *e, const struct timespec *raw_now,
                   struct disc_tracking *out);

struct sync_source_view {
    bool in_use, has_addr;
    struct tock_ip ip;
    uint32_t refid;
    char state_char; /* * + - x ~ ? */
    int state_wire;  /* candm value */
    enum select_status status;
    int stratum, poll;
    uint8_t reach;
    bool online;
    unsigned sel_options;
    struct srcstats_report stats;    /* latest sample + sourcestats columns */
    const struct ntpsrc_report *ntp; /* ntpdata */
};
bool sync_source_view(const struct sync_engine *e, int idx, const struct timespec *raw_now,
                      struct sync_source_view *out);

/* Call after every transmit and reply (cheap).
 * True (at most once per SYNC_REPLACE_INTERVAL per source) when the source is
 * unreachable (8 polls without a valid reply), a falseticker, or refused us (KoD DENY /
 * RSTR): the daemon should give it a new address if it came from a pool or a name. */
bool sync_source_wants_replacement(struct sync_engine *e, int idx, const struct timespec *raw_now);

/* The driftfile should be (re)written now with these values (after a clock update, at most
 * every driftfile_interval). */
bool sync_driftfile_due(struct sync_engine *e, double *freq_ppm, double *skew_ppm);
/* The values to write at exit. */
void sync_driftfile_values(const struct sync_engine *e, double *freq_ppm, double *skew_ppm);

/* The absolute frequency the discipline runs the clock at (ppm, chrony sign). */
double sync_frequency(const struct sync_engine *e);

#endif
