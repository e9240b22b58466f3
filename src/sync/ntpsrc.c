#include "sync/ntpsrc.h"

#include <math.h>
#include <string.h>

#include "proto/ntp_time.h"

/* Delay of the first request after start or after going online. */
#define INITIAL_DELAY 0.2
/* Burst requests are spaced by min(2 s, poll interval / 4). */
#define MAX_BURST_INTERVAL   2.0
#define MAX_BURST_POLL_RATIO 0.25
#define IBURST_GOOD_SAMPLES  4
#define IBURST_TOTAL_SAMPLES NTPSRC_REACH_BITS
#define BURST_GOOD_SAMPLES   1
#define MAX_BURST_TOTAL      4
/* RFC 5905 maximum dispersion (test 7). */
#define NTP_MAX_DISPERSION 16.0
#define NTP_MAX_STRATUM    16
/* A server taking longer than this between its RX and TX timestamps is not believed. */
#define MAX_SERVER_INTERVAL 4.0
/* Sub-second polling only on a LAN (measured round trip at most 10 ms). */
#define MIN_NONLAN_POLL    0
#define MAX_LAN_PEER_DELAY 0.01
/* KoD RATE raises minpoll up to the server's poll, at most to this value. */
#define MAX_KOD_RATE_POLL 10

void ntpsrc_params_default(struct ntpsrc_params *p)
{
    memset(p, 0, sizeof(*p));
    p->minpoll = 6;
    p->maxpoll = 10;
    p->polltarget = 8;
    p->maxdelay = 3.0;
    p->maxdelayratio = 0.0;
    p->maxdelaydevratio = 10.0;
    p->version = 4;
    p->minsamples = 6;  /* chrony's `minsamples` default */
    p->maxsamples = 0;  /* no limit (64) */
    p->asymmetry = 1.0; /* > 0.5: estimated */
}

static double log2_to_double(int l)
{
    return ldexp(1.0, l);
}

static int clampi(int lo, int x, int hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

void ntpsrc_reset(struct ntpsrc *s)
{
    s->tx_count = 0;
    s->valid_rx = false;
    s->remote_poll = 0;
    s->remote_stratum = 0;
    s->local_ntp_tx = 0;
    s->remote_ntp_rx = 0;
    s->remote_ntp_tx = 0;
}

static void schedule(struct ntpsrc *s, const struct timespec *now, double delay)
{
    if (s->opmode == NTPSRC_OFFLINE || s->stopped) {
        s->scheduled = false;
        return;
    }
    s->next_tx = timespec_add(now, delay);
    s->scheduled = true;
}

/* chrony's get_transmit_delay for the client mode. */
static double transmit_delay(const struct ntpsrc *s)
{
    double d = log2_to_double(s->local_poll);
    if (s->opmode == NTPSRC_BURST_WAS_ONLINE || s->opmode == NTPSRC_BURST_WAS_OFFLINE) {
        double b = MAX_BURST_POLL_RATIO * d;
        d = b < MAX_BURST_INTERVAL ? b : MAX_BURST_INTERVAL;
    }
    return d;
}

static void start_initial(struct ntpsrc *s, const struct timespec *now)
{
    /* Keep at least the current interval after the last request, but start soon. */
    double delay = INITIAL_DELAY;
    if (s->has_last_tx) {
        delay = transmit_delay(s);
        double since = timespec_diff(now, &s->last_tx);
        if (since > 0.0)
            delay -= since;
    }
    if (delay < INITIAL_DELAY)
        delay = INITIAL_DELAY;
    schedule(s, now, delay);
}

void ntpsrc_init(struct ntpsrc *s, const struct ntpsrc_params *p, double precision,
                 double max_clock_error, const struct timespec *cooked_now)
{
    memset(s, 0, sizeof(*s));
    s->p = *p;
    s->minpoll = clampi(NTPSRC_MIN_POLL, p->minpoll, NTPSRC_MAX_POLL);
    s->maxpoll = clampi(NTPSRC_MIN_POLL, p->maxpoll, NTPSRC_MAX_POLL);
    if (s->maxpoll < s->minpoll)
        s->maxpoll = s->minpoll;
    if (s->p.polltarget < 1)
        s->p.polltarget = 1;
    if (s->p.version < 1 || s->p.version > 4)
        s->p.version = 4;
    s->p.minstratum = clampi(0, p->minstratum, NTP_MAX_STRATUM - 1);
    s->precision = precision > 0.0 ? precision : 1e-9;
    s->max_clock_error = max_clock_error;
    s->local_poll = s->minpoll;
    s->opmode = p->offline ? NTPSRC_OFFLINE : NTPSRC_ONLINE;
    srcstats_init(&s->stats, p->minsamples, p->maxsamples, p->mindelay, p->asymmetry, s->precision);
    ntpsrc_reset(s);
    if (p->iburst)
        ntpsrc_initiate_burst(s, IBURST_GOOD_SAMPLES, IBURST_TOTAL_SAMPLES, cooked_now);
    if (s->opmode != NTPSRC_OFFLINE)
        start_initial(s, cooked_now);
}

void ntpsrc_initiate_burst(struct ntpsrc *s, int good, int total, const struct timespec *cooked_now)
{
    if (s->stopped)
        return;
    switch (s->opmode) {
    case NTPSRC_BURST_WAS_ONLINE:
    case NTPSRC_BURST_WAS_OFFLINE:
        return; /* already bursting */
    case NTPSRC_ONLINE:
        s->opmode = NTPSRC_BURST_WAS_ONLINE;
        break;
    case NTPSRC_OFFLINE:
        s->opmode = NTPSRC_BURST_WAS_OFFLINE;
        break;
    }
    s->burst_good_to_go = good;
    s->burst_total_to_go = total;
    start_initial(s, cooked_now);
}

static void update_reach(struct ntpsrc *s, bool reachable)
{
    s->reach = (uint8_t)((s->reach << 1) | (reachable ? 1 : 0));
    if (s->reach_size < NTPSRC_REACH_BITS)
        s->reach_size++;
}

void ntpsrc_set_online(struct ntpsrc *s, bool online, const struct timespec *cooked_now)
{
    if (s->stopped)
        return;
    if (online) {
        if (s->opmode == NTPSRC_OFFLINE) {
            s->opmode = NTPSRC_ONLINE;
            ntpsrc_reset(s);
            if (s->p.iburst)
                ntpsrc_initiate_burst(s, IBURST_GOOD_SAMPLES, IBURST_TOTAL_SAMPLES, cooked_now);
            start_initial(s, cooked_now);
        } else if (s->opmode == NTPSRC_BURST_WAS_OFFLINE) {
            s->opmode = NTPSRC_BURST_WAS_ONLINE;
        }
    } else {
        if (s->opmode == NTPSRC_BURST_WAS_ONLINE) {
            s->opmode = NTPSRC_BURST_WAS_OFFLINE;
        } else if (s->opmode == NTPSRC_ONLINE) {
            s->opmode = NTPSRC_OFFLINE;
            s->scheduled = false;
            s->reach = 0;
            s->reach_size = 0;
            ntpsrc_reset(s);
        }
    }
}

bool ntpsrc_next_tx(const struct ntpsrc *s, struct timespec *when)
{
    if (!s->scheduled || s->stopped || s->opmode == NTPSRC_OFFLINE)
        return false;
    *when = s->next_tx;
    return true;
}

/* chrony's adjust_poll: the score accumulates fractional changes of log2(poll). */
static void adjust_poll(struct ntpsrc *s, double adj)
{
    s->poll_score += adj;
    if (s->poll_score >= 1.0) {
        s->local_poll += (int)s->poll_score;
        s->poll_score -= (int)s->poll_score;
    }
    if (s->poll_score < 0.0) {
        s->local_poll += (int)(s->poll_score - 1.0);
        s->poll_score -= (int)(s->poll_score - 1.0);
    }
    if (s->local_poll < s->minpoll) {
        s->local_poll = s->minpoll;
        s->poll_score = 0.0;
    } else if (s->local_poll > s->maxpoll) {
        s->local_poll = s->maxpoll;
        s->poll_score = 1.0;
    }
    if (s->local_poll < MIN_NONLAN_POLL &&
        (s->reach == 0 || srcstats_min_delay(&s->stats) > MAX_LAN_PEER_DELAY))
        s->local_poll = MIN_NONLAN_POLL;
}

/* How much to change log2(poll) after a sample: back off quickly when the prediction
 * missed by more than the peer distance, otherwise steer the number of samples kept by
 * the regression towards polltarget. */
static double poll_adjustment(const struct ntpsrc *s, double error_in_estimate,
                              double peer_distance)
{
    if (error_in_estimate > peer_distance)
        return -log(error_in_estimate / peer_distance) / log(2.0);
    int samples = s->stats.n_samples;
    double adj = ((double)samples / s->p.polltarget - 1.0) / s->p.polltarget;
    if (samples < s->p.polltarget)
        adj *= 2.0;
    return adj;
}

int ntpsrc_transmit(struct ntpsrc *s, const struct timespec *cooked_now, const uint8_t rnd[8],
                    bool is_sync_peer, uint8_t out[NTP_HEADER_LEN])
{
    if (s->stopped || s->opmode == NTPSRC_OFFLINE) {
        s->scheduled = false;
        return 0;
    }
    switch (s->opmode) {
    case NTPSRC_BURST_WAS_ONLINE:
        if (s->burst_total_to_go <= 1)
            s->opmode = NTPSRC_ONLINE; /* last request of the burst */
        break;
    case NTPSRC_BURST_WAS_OFFLINE:
        if (s->burst_total_to_go <= 0) {
            s->opmode = NTPSRC_OFFLINE;
            s->scheduled = false;
            s->reach = 0;
            s->reach_size = 0;
            ntpsrc_reset(s);
            return 0;
        }
        break;
    case NTPSRC_ONLINE:
        /* burst option: a short burst on each poll, as long as the average interval does
         * not fall below minpoll */
        if (s->p.burst && s->local_poll > s->minpoll) {
            int total = 1 << (s->local_poll - s->minpoll);
            if (total > MAX_BURST_TOTAL)
                total = MAX_BURST_TOTAL;
            s->opmode = NTPSRC_BURST_WAS_ONLINE;
            s->burst_good_to_go = BURST_GOOD_SAMPLES;
            s->burst_total_to_go = total;
        }
        break;
    default:
        break;
    }

    /* The request: nothing about our clock is revealed, the transmit timestamp is random
     * (never zero, never the previous one) and is what the reply's origin must echo. */
    ntp_ts xmt = rd64(rnd);
    if (xmt == 0 || xmt == s->local_ntp_tx)
        xmt ^= 0x9e3779b97f4a7c15ULL;
    struct ntp_header h;
    memset(&h, 0, sizeof(h));
    h.leap = NTP_LEAP_NONE;
    h.version = (uint8_t)s->p.version;
    h.mode = NTP_MODE_CLIENT;
    h.poll = (int8_t)s->local_poll;
    h.precision = 32; /* as chrony: no information about the local clock */
    h.transmit_ts = xmt;
    ntp_header_encode(&h, out);

    s->local_ntp_tx = xmt;
    s->valid_rx = false;
    s->tx_count++;
    s->last_tx = *cooked_now;
    s->has_last_tx = true;
    s->report.total_tx++;

    /* A second request without a reply in between: the previous one was lost. */
    if (s->tx_count >= 2) {
        adjust_poll(s, is_sync_peer ? 0.1 : 0.25);
        update_reach(s, false);
    }

    if (s->opmode == NTPSRC_BURST_WAS_ONLINE || s->opmode == NTPSRC_BURST_WAS_OFFLINE)
        s->burst_total_to_go--;

    schedule(s, cooked_now, transmit_delay(s));
    return NTP_HEADER_LEN;
}

static bool is_zero(ntp_ts t)
{
    return t == 0;
}

/* Test B: round trip not larger than maxdelayratio times the minimum. */
static bool check_delay_ratio(const struct ntpsrc *s, const struct timespec *t, double delay)
{
    double ago, pred, min_delay, skew, sd;
    if (s->p.maxdelayratio < 1.0 ||
        !srcstats_delay_test_data(&s->stats, t, &ago, &pred, &min_delay, &skew, &sd))
        return true;
    return delay <= min_delay * s->p.maxdelayratio + ago * (skew + s->max_clock_error);
}

/* Test C: the increase of the delay over the minimum is not large compared to the jitter,
 * unless the offset moved by more than the delay grew (then the path changed, not the
 * queueing, and the sample is kept). */
static bool check_delay_dev_ratio(const struct ntpsrc *s, const struct timespec *t, double offset,
                                  double delay)
{
    double ago, pred, min_delay, skew, sd;
    if (!srcstats_delay_test_data(&s->stats, t, &ago, &pred, &min_delay, &skew, &sd))
        return true;
    double max_delta = sd * s->p.maxdelaydevratio + ago * (skew + s->max_clock_error);
    double delta = (delay - min_delay) / 2.0;
    if (delta <= max_delta)
        return true;
    double error_in_estimate = offset + pred;
    if (fabs(error_in_estimate) - delta > max_delta)
        return true;
    return false;
}

/* Test D: the server is not synchronised to us and is not us. */
static bool check_sync_loop(const struct ntp_header *h, const struct ntpsrc_loop_check *lc)
{
    if (!lc || !lc->serving)
        return true;
    if (h->stratum > 1 && lc->local_refid != 0 && h->refid == lc->local_refid)
        return false;
    if (h->stratum == lc->our_stratum && h->refid == lc->our_refid &&
        h->root_delay == lc->our_root_delay && !is_zero(h->reference_ts) &&
        h->reference_ts == lc->our_ref_ts)
        return false;
    return true;
}

/* chronyd's order of the ten test bits: 1 2 3 5 6 7 then A B C D (abcd, 4 bits). */
static uint16_t tests_word(bool t1, bool t2, bool t3, bool t5, bool t6, bool t7, unsigned abcd)
{
    return (uint16_t)((unsigned)t1 << 9 | (unsigned)t2 << 8 | (unsigned)t3 << 7 |
                      (unsigned)t5 << 6 | (unsigned)t6 << 5 | (unsigned)t7 << 4 | (abcd & 0xf));
}

/* Keeps the reply for the measurements log. smp holds the sample when synced (its time
 * set), zeros otherwise; the packet's own root values are logged, not the sample's. */
static void record_measurement(struct ntpsrc *s, const struct ntp_header *h,
                               const struct timespec *rx, uint16_t tests, bool synced,
                               const struct srcstats_sample *smp)
{
    struct ntpsrc_measurement *m = &s->last_meas;
    memset(m, 0, sizeof(*m));
    m->time = synced ? smp->time : *rx;
    m->leap = h->leap;
    m->stratum = h->stratum;
    m->remote_poll = h->poll;
    m->mode = h->mode;
    m->tests = tests;
    m->synced = synced;
    m->local_poll = s->local_poll;
    m->poll_score = s->poll_score;
    m->offset = smp->offset;
    m->peer_delay = smp->peer_delay;
    m->peer_dispersion = smp->peer_dispersion;
    m->root_delay = ntp_short_to_double(h->root_delay);
    m->root_dispersion = ntp_short_to_double(h->root_dispersion);
    m->ref_id = h->refid;
    s->meas_count++;
}

enum ntpsrc_rx_result ntpsrc_process_reply(struct ntpsrc *s, const struct ntp_packet_view *v,
                                           const struct timespec *rx, const struct timespec *tx,
                                           bool authenticated, const struct ntpsrc_loop_check *lc,
                                           bool leap_close, struct srcstats_sample *sample)
{
    const struct ntp_header *h = &v->h;
    struct srcstats_sample smp;
    memset(&smp, 0, sizeof(smp));

    if (h->mode != NTP_MODE_SERVER || h->version < 1 || h->version > 4)
        return NTPSRC_RX_IGNORED;
    if (s->opmode == NTPSRC_OFFLINE || s->stopped || is_zero(s->local_ntp_tx))
        return NTPSRC_RX_IGNORED;
    s->report.total_rx++;

    bool test1 = h->receive_ts != s->remote_ntp_rx || h->transmit_ts != s->remote_ntp_tx;
    bool test2 = h->origin_ts == s->local_ntp_tx;
    bool test3 = !is_zero(h->origin_ts) && !is_zero(h->receive_ts) && !is_zero(h->transmit_ts);
    bool test5 = !s->p.auth || authenticated;
    bool test6 = h->leap != NTP_LEAP_UNSYNC && h->stratum < NTP_MAX_STRATUM && h->stratum != 0;
    double pkt_root_delay = ntp_short_to_double(h->root_delay);
    double pkt_root_disp = ntp_short_to_double(h->root_dispersion);
    bool test7 = pkt_root_delay / 2.0 + pkt_root_disp < NTP_MAX_DISPERSION;

    /* At most one reply per request: a second one (duplicate or replay) is dropped, and
     * logged as chronyd does, with tests 2 and 3 failed. */
    if (s->valid_rx) {
        record_measurement(s, h, rx, tests_word(test1, false, false, test5, test6, test7, 0), false,
                           &smp);
        return NTPSRC_RX_IGNORED;
    }

    /* Kiss-o'-Death: only when it answers our request (origin matches). */
    bool kod = test1 && test2 && test5 && h->leap == NTP_LEAP_UNSYNC && h->stratum == 0;
    bool valid = test1 && test2 && test3 && test5;
    bool synced = valid && test6 && test7;
    if (!valid && !kod) {
        record_measurement(s, h, rx, tests_word(test1, test2, test3, test5, test6, test7, 0), false,
                           &smp);
        return NTPSRC_RX_IGNORED;
    }

    double precision = s->precision + ldexp(1.0, h->precision);
    bool testA = false, testB = false, testC = false, testD = false;
    double response_time = 0.0, local_interval = 0.0;

    if (synced) {
        /* Remote timestamps stay in NTP format; local ones are converted once (2^-32 s
         * resolution), so the differences are exact to well below a nanosecond. */
        ntp_ts ltx = ntp_ts_from_timespec(tx), lrx = ntp_ts_from_timespec(rx);
        double remote_interval = ntp_ts_diff(h->transmit_ts, h->receive_ts);
        local_interval = ntp_ts_diff(lrx, ltx);
        response_time = fabs(remote_interval);
        smp.peer_delay = fabs(local_interval - remote_interval);
        if (smp.peer_delay < precision)
            smp.peer_delay = precision;
        smp.offset = 0.5 * (ntp_ts_diff(h->receive_ts, ltx) + ntp_ts_diff(h->transmit_ts, lrx));
        smp.offset += s->p.offset;
        /* The sample is taken at the midpoint of the local interval. */
        smp.time = timespec_add(tx, 0.5 * local_interval);

        double lo, hi;
        srcstats_frequency_range(&s->stats, &lo, &hi);
        smp.peer_dispersion = precision + 0.5 * (hi - lo) * fabs(local_interval);

        testA = smp.peer_delay - smp.peer_dispersion <= s->p.maxdelay &&
                precision <= s->p.maxdelay && response_time <= MAX_SERVER_INTERVAL &&
                local_interval >= 0.0;
        testB = check_delay_ratio(s, &smp.time, smp.peer_delay);
        testC = check_delay_dev_ratio(s, &smp.time, smp.offset, smp.peer_delay);
        testD = check_sync_loop(h, lc);
    }
    bool good = synced && testA && testB && testC && testD;

    smp.root_delay = pkt_root_delay + smp.peer_delay;
    smp.root_dispersion = pkt_root_disp + smp.peer_dispersion;
    smp.stratum = h->stratum > s->p.minstratum ? h->stratum : s->p.minstratum;
    smp.leap = h->leap;

    if (valid) {
        s->remote_ntp_rx = h->receive_ts;
        s->remote_ntp_tx = h->transmit_ts;
    }
    s->valid_rx = true;

    /* The report (chronyc ntpdata). */
    struct ntpsrc_report *r = &s->report;
    r->valid = true;
    r->leap = h->leap;
    r->version = h->version;
    r->mode = h->mode;
    r->stratum = h->stratum;
    r->poll = h->poll;
    r->precision = h->precision;
    r->root_delay = pkt_root_delay;
    r->root_dispersion = pkt_root_disp;
    r->ref_id = h->refid;
    r->ref_time = h->reference_ts;
    r->offset = smp.offset;
    r->peer_delay = smp.peer_delay;
    r->peer_dispersion = smp.peer_dispersion;
    r->response_time = response_time;
    r->tests = tests_word(test1, test2, test3, test5, test6, test7,
                          (unsigned)(testA << 3 | testB << 2 | testC << 1 | testD));
    r->authenticated = s->p.auth && authenticated;
    r->total_valid++;

    s->remote_poll = h->poll;
    s->remote_stratum = h->stratum != 0 ? h->stratum : NTP_MAX_STRATUM;
    s->tx_count = 0;
    update_reach(s, synced);

    if (kod) {
        s->last_kod = h->refid;
        if (h->refid == NTP_KISS_DENY || h->refid == NTP_KISS_RSTR) {
            /* The server refuses us: stop polling it (RFC 5905 7.4). */
            s->stopped = true;
            s->scheduled = false;
            record_measurement(s, h, rx, r->tests, synced, &smp);
            return NTPSRC_RX_KOD_STOP;
        }
        if (h->refid == NTP_KISS_RATE) {
            /* Slow down: minpoll up to the server's poll (bounded), and back off now. */
            if (h->poll > s->minpoll) {
                s->minpoll = h->poll <= MAX_KOD_RATE_POLL     ? h->poll
                             : s->minpoll < MAX_KOD_RATE_POLL ? MAX_KOD_RATE_POLL
                                                              : s->minpoll;
                if (s->maxpoll < s->minpoll)
                    s->maxpoll = s->minpoll;
                if (s->local_poll < s->minpoll)
                    s->local_poll = s->minpoll;
            }
            if (s->opmode == NTPSRC_BURST_WAS_ONLINE)
                s->opmode = NTPSRC_ONLINE;
            schedule(s, rx, transmit_delay(s) + 4.0 * log2_to_double(s->local_poll));
            record_measurement(s, h, rx, r->tests, synced, &smp);
            return NTPSRC_RX_KOD_RATE;
        }
    }

    enum ntpsrc_rx_result result = NTPSRC_RX_VALID;
    if (good && !leap_close) {
        double predicted = srcstats_predict_offset(&s->stats, &smp.time);
        double error_in_estimate = fabs(-smp.offset - predicted);
        srcstats_accumulate(&s->stats, &smp);
        adjust_poll(
            s, poll_adjustment(s, error_in_estimate, smp.peer_dispersion + 0.5 * smp.peer_delay));
        r->total_good++;
        if (sample)
            *sample = smp;
        result = NTPSRC_RX_SAMPLE;

        if (s->opmode == NTPSRC_BURST_WAS_ONLINE || s->opmode == NTPSRC_BURST_WAS_OFFLINE) {
            if (--s->burst_good_to_go <= 0) {
                if (s->opmode == NTPSRC_BURST_WAS_ONLINE) {
                    s->opmode = NTPSRC_ONLINE;
                } else {
                    s->opmode = NTPSRC_OFFLINE;
                    s->scheduled = false;
                    record_measurement(s, h, rx, r->tests, synced, &smp);
                    return result;
                }
            }
        }
    } else if (!good) {
        /* Slowly back off while no good sample can be had. */
        adjust_poll(s, 0.1);
    }

    schedule(s, rx, transmit_delay(s));
    record_measurement(s, h, rx, r->tests, synced, &smp);
    return result;
}

bool ntpsrc_unreachable(const struct ntpsrc *s)
{
    return s->reach == 0 && s->reach_size >= NTPSRC_REACH_BITS;
}

void ntpsrc_notify_step(struct ntpsrc *s, double offset)
{
    if (s->scheduled)
        s->next_tx = timespec_add(&s->next_tx, -offset);
    if (s->has_last_tx)
        s->last_tx = timespec_add(&s->last_tx, -offset);
}
