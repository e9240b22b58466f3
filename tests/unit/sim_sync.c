#include "sim_sync.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntp_packet.h"
#include "proto/ntp_time.h"
#include "sync/vclock.h"

#define SIM_EPOCH    1262304000LL /* 2010-01-01 00:00:00 UTC */
#define MAX_INFLIGHT 64
#define SERVER_PROC  20e-6 /* server time between its RX and TX timestamps */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    /* xorshift64* */
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

static double rng_uniform(struct rng *r)
{
    return ((rng_next(r) >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

static double rng_exp(struct rng *r)
{
    return -log(rng_uniform(r));
}

static double rng_normal(struct rng *r)
{
    return sqrt(-2.0 * log(rng_uniform(r))) * cos(2.0 * M_PI * rng_uniform(r));
}

void simsync_defaults(struct simsync_params *p)
{
    memset(p, 0, sizeof(*p));
    p->seed = 1;
    p->n_servers = 1;
    for (int i = 0; i < SIMSYNC_MAX_SERVERS; i++) {
        p->server[i].stratum = 1;
        p->server[i].kod_poll = 0;
    }
    ntpsrc_params_default(&p->src);
    sync_params_default(&p->sync);
    p->base_delay = 100e-6;
    p->jitter = 10e-6;
    p->duration = 3600.0;
    p->measure_step = 1.0;
}

struct inflight {
    bool used;
    double arrive; /* true time of arrival at the node */
    int server;
    struct timespec tx; /* cooked TX time of the request */
    uint8_t pkt[NTP_HEADER_LEN];
};

struct sim {
    const struct simsync_params *p;
    struct simsync_result *res;
    struct rng rng;
    double t;       /* true time since start */
    double under;   /* oscillator reading since start */
    double osc_err; /* oscillator error, s/s */
    struct vclock vc;
    struct sync_engine *e;
    int applied_leap; /* the leap armed on the vclock */
    struct inflight fl[MAX_INFLIGHT];
    int src_index[SIMSYNC_MAX_SERVERS];
};

/* POSIX UTC (relative to the epoch) at true time t: after an inserted leap second true
 * time is one second ahead of UTC. */
static double utc_of(const struct sim *s, double t)
{
    if (s->p->leap_at > 0.0 && t >= s->p->leap_at)
        return t - 1.0;
    return t;
}

static struct timespec sim_base(const struct simsync_params *p)
{
    struct timespec base = {(time_t)SIM_EPOCH, 0};
    return timespec_add(&base, p->start);
}

static struct timespec ts_at(const struct simsync_params *p, double rel)
{
    struct timespec base = sim_base(p);
    return timespec_add(&base, rel);
}

#define ts_of(rel) ts_at(s->p, (rel))

static struct timespec raw_now(struct sim *s)
{
    struct timespec u = ts_of(s->under);
    int before = s->vc.leaps_applied;
    struct timespec t = vclock_read(&s->vc, &u);
    /* as the `none`/`sim` drivers do: tell the engine when the clock applied a leap */
    if (s->vc.leaps_applied != before && s->e)
        sync_notify_leap_applied(s->e, s->applied_leap);
    return t;
}

static void advance(struct sim *s, double to)
{
    double dt = to - s->t;
    if (dt <= 0.0)
        return;
    /* The oscillator's frequency wanders as a random walk between events. */
    double err0 = s->osc_err;
    if (s->p->wander > 0.0)
        s->osc_err += s->p->wander * 1e-6 * sqrt(dt) * rng_normal(&s->rng);
    s->under += dt * (1.0 + 0.5 * (err0 + s->osc_err));
    s->t = to;
}

static void apply_cmd(struct sim *s)
{
    struct sync_clock_cmd c;
    struct timespec u = ts_of(s->under);
    sync_take_clock_cmd(s->e, &c);
    if (c.set_freq)
        vclock_set_freq(&s->vc, &u, c.freq_ppm);
    if (c.step) {
        vclock_step(&s->vc, &u, c.step_offset);
        s->res->steps++;
        if (s->res->steps == 1)
            s->res->first_step_at = s->t;
        s->res->last_step_at = s->t;
        if (fabs(c.step_offset) > s->res->max_abs_step)
            s->res->max_abs_step = fabs(c.step_offset);
    }
    if (c.set_leap) {
        vclock_set_leap(&s->vc, &u, c.leap);
        if (c.leap)
            s->applied_leap = c.leap;
    }
}

static bool server_down(const struct sim *s, int i, double t)
{
    const struct simsync_server *sv = &s->p->server[i];
    if (t >= s->p->outage_from && t < s->p->outage_to)
        return true;
    return t >= sv->down_from && t < sv->down_to;
}

static double one_way(struct sim *s, int i, bool out)
{
    double share = 0.5 + (out ? s->p->asymmetry : -s->p->asymmetry);
    return s->p->base_delay + s->p->server[i].extra_delay +
           2.0 * share * s->p->jitter * rng_exp(&s->rng);
}

/* The server answers a request that reached it at true time t_arr. */
static void serve(struct sim *s, int i, const uint8_t *req, double t_arr, uint8_t *reply)
{
    const struct simsync_server *sv = &s->p->server[i];
    struct ntp_header q, h;
    ntp_header_decode(req, NTP_HEADER_LEN, &q);
    memset(&h, 0, sizeof(h));
    struct timespec rx = ts_of(utc_of(s, t_arr) + sv->offset);
    struct timespec tx = ts_of(utc_of(s, t_arr + SERVER_PROC) + sv->offset);
    h.version = q.version;
    h.mode = NTP_MODE_SERVER;
    h.poll = q.poll;
    h.precision = -24;
    h.origin_ts = q.transmit_ts;
    h.receive_ts = ntp_ts_from_timespec(&rx) | 1;
    h.transmit_ts = ntp_ts_from_timespec(&tx) & ~1ULL;
    if (sv->kod) {
        h.leap = NTP_LEAP_UNSYNC;
        h.stratum = 0;
        h.refid = sv->kod;
        h.poll = (int8_t)(sv->kod_poll > q.poll ? sv->kod_poll : q.poll);
    } else {
        /* a leap second is announced on the day it happens */
        bool leap_day =
            s->p->leap_at > 0.0 && t_arr < s->p->leap_at && t_arr > s->p->leap_at - 86400.0;
        h.leap = sv->announce_leap_insert && leap_day ? NTP_LEAP_INSERT : NTP_LEAP_NONE;
        h.stratum = (uint8_t)sv->stratum;
        h.refid = 0x47505300; /* "GPS" */
        h.root_delay = 0;
        h.root_dispersion = ntp_short_from_double(10e-6);
        struct timespec ref = ts_of(utc_of(s, t_arr) - 1.0);
        h.reference_ts = ntp_ts_from_timespec(&ref);
    }
    ntp_header_encode(&h, reply);
}

static int server_of(const struct sim *s, int idx)
{
    for (int i = 0; i < s->p->n_servers; i++)
        if (s->src_index[i] == idx)
            return i;
    return -1;
}

static void transmit_due(struct sim *s)
{
    for (;;) {
        struct timespec raw = raw_now(s);
        int idx = sync_due_source(s->e, &raw);
        if (idx < 0)
            break;
        uint8_t rnd[8], req[NTP_HEADER_LEN];
        uint64_t r = rng_next(&s->rng);
        for (int k = 0; k < 8; k++)
            rnd[k] = (uint8_t)(r >> (8 * k));
        int n = sync_transmit(s->e, idx, &raw, rnd, req);
        struct timespec tx = sync_cook(s->e, &raw);
        apply_cmd(s);
        if (n <= 0)
            continue;
        s->res->requests++;
        int i = server_of(s, idx);
        if (i < 0)
            continue;
        double d1 = one_way(s, i, true);
        if (server_down(s, i, s->t + d1) || rng_uniform(&s->rng) < s->p->loss)
            continue;
        double t_srv = s->t + d1;
        double d2 = one_way(s, i, false);
        if (rng_uniform(&s->rng) < s->p->loss)
            continue;
        for (int k = 0; k < MAX_INFLIGHT; k++) {
            if (s->fl[k].used)
                continue;
            s->fl[k].used = true;
            s->fl[k].arrive = t_srv + SERVER_PROC + d2;
            s->fl[k].server = i;
            s->fl[k].tx = tx;
            serve(s, i, req, t_srv, s->fl[k].pkt);
            break;
        }
    }
}

static void deliver(struct sim *s, struct inflight *f)
{
    struct ntp_packet_view v;
    f->used = false;
    if (ntp_packet_parse(f->pkt, NTP_HEADER_LEN, &v) != NTP_OK)
        return;
    struct timespec raw = raw_now(s);
    struct timespec rx = sync_cook(s->e, &raw);
    enum ntpsrc_rx_result r =
        sync_process_reply(s->e, s->src_index[f->server], &v, &rx, &f->tx, false, 0, false, &raw);
    if (r != NTPSRC_RX_IGNORED)
        s->res->replies++;
    apply_cmd(s);
}

void simsync_run(const struct simsync_params *p, struct simsync_result *res)
{
    struct sim s;
    memset(&s, 0, sizeof(s));
    memset(res, 0, sizeof(*res));
    res->converged_at = -1.0;
    res->first_step_at = res->last_step_at = -1.0;
    s.p = p;
    s.res = res;
    s.rng.s = p->seed * 0x9E3779B97F4A7C15ULL + 1;
    s.osc_err = p->freq_ppm * 1e-6;
    s.e = calloc(1, sizeof(*s.e));
    res->engine = s.e;

    struct timespec base = sim_base(p);
    struct timespec u0 = ts_at(p, 0.0);
    vclock_init(&s.vc, &u0, p->initial_offset, 0.0);
    struct timespec raw = raw_now(&s);
    sync_init(s.e, &p->sync, &raw);
    apply_cmd(&s);
    for (int i = 0; i < p->n_servers; i++) {
        struct tock_ip ip = {.family = AF_INET, .addr = {192, 0, 2, (uint8_t)(1 + i)}};
        s.src_index[i] = sync_add_source(s.e, &p->src, p->server[i].sel_options, &ip, &raw);
    }

    double sum2 = 0, sum2c = 0;
    long nmeas = 0;
    double next_measure = 0.0, step = p->measure_step > 0 ? p->measure_step : 1.0;
    bool jumped = false;
    double leap_probe[3] = {p->leap_at - 0.5, p->leap_at + 0.5, p->leap_at + 1.5};
    int next_probe = p->leap_at > 0 ? 0 : 3;
    bool announce_probed = false;

    while (s.t < p->duration) {
        raw = raw_now(&s);
        struct timespec cooked = sync_cook(s.e, &raw), when;
        double t_engine = p->duration;
        if (sync_next_event(s.e, &raw, &when)) {
            double d = timespec_diff(&when, &cooked);
            t_engine = s.t + (d > 1e-6 ? d : 1e-6);
        }
        double t_next = t_engine, t_measure = next_measure;
        int fl_i = -1;
        for (int k = 0; k < MAX_INFLIGHT; k++)
            if (s.fl[k].used && s.fl[k].arrive < t_next) {
                t_next = s.fl[k].arrive;
                fl_i = k;
            }
        double t_jump = (!jumped && p->jump_by != 0.0) ? p->jump_at : 1e300;
        double t_probe = next_probe < 3 ? leap_probe[next_probe] : 1e300;
        double t_ann = (!announce_probed && p->leap_at > 0) ? p->leap_at - 3600.0 : 1e300;
        double t_min = fmin(fmin(t_next, t_measure), fmin(fmin(t_jump, t_probe), t_ann));
        if (t_min > p->duration)
            t_min = p->duration;
        advance(&s, t_min);
        if (s.t >= p->duration)
            break;

        if (t_min == t_ann) {
            struct disc_server_params sp;
            raw = raw_now(&s);
            sync_server_params(s.e, &raw, &sp);
            res->leap_announced_before = sp.leap == NTP_LEAP_INSERT;
            announce_probed = true;
            continue;
        }
        if (t_min == t_probe) {
            raw = raw_now(&s);
            res->leap_reading[next_probe] = timespec_diff(&raw, &base) - p->leap_at;
            if (next_probe == 1) {
                struct disc_server_params sp;
                sync_server_params(s.e, &raw, &sp);
                res->served_li_during_leap = sp.leap;
            }
            next_probe++;
            continue;
        }
        if (t_min == t_jump) {
            struct timespec u = ts_at(p, s.under);
            vclock_step(&s.vc, &u, -p->jump_by);
            jumped = true;
            continue;
        }
        if (t_min == t_measure) {
            raw = raw_now(&s);
            double truth = utc_of(&s, s.t);
            double err = timespec_diff(&raw, &base) - truth;
            struct timespec ck = sync_cook(s.e, &raw);
            double errc = timespec_diff(&ck, &base) - truth;
            bool near_leap = p->leap_at > 0 && fabs(s.t - p->leap_at) < 3.0;
            if (s.t >= p->measure_from && !near_leap) {
                sum2 += err * err;
                sum2c += errc * errc;
                nmeas++;
                if (fabs(err) > res->max_error)
                    res->max_error = fabs(err);
                if (fabs(errc) > res->max_cooked)
                    res->max_cooked = fabs(errc);
            }
            if (!near_leap) {
                if (fabs(err) < 1e-3 && res->converged_at < 0)
                    res->converged_at = s.t;
                else if (fabs(err) >= 1e-3)
                    res->converged_at = -1.0;
            }
            res->final_error = err;
            next_measure += step;
            continue;
        }
        if (fl_i >= 0 && t_min == s.fl[fl_i].arrive) {
            deliver(&s, &s.fl[fl_i]);
        } else {
            raw = raw_now(&s);
            sync_timeout(s.e, &raw);
            apply_cmd(&s);
            transmit_due(&s);
        }
        for (int i = 0; i < p->n_servers; i++) {
            raw = raw_now(&s);
            if (!res->replacement_signalled[i] &&
                sync_source_wants_replacement(s.e, s.src_index[i], &raw)) {
                res->replacement_signalled[i] = true;
                res->replacement_at[i] = s.t;
            }
        }
    }

    if (nmeas > 0) {
        res->rms_error = sqrt(sum2 / nmeas);
        res->rms_cooked = sqrt(sum2c / nmeas);
    }
    res->final_freq_error_ppm = s.osc_err * 1e6 - sync_frequency(s.e);
    res->packets_per_hour = res->requests / (p->duration / 3600.0);
    res->leaps_applied = s.vc.leaps_applied;
    for (int i = 0; i < p->n_servers; i++) {
        const struct sync_source *src = &s.e->src[s.src_index[i]];
        res->final_poll[i] = src->ntp.local_poll;
        res->final_status[i] = src->sel.status;
        res->final_state[i] = select_state_char(src->sel.status);
        res->stopped[i] = src->ntp.stopped;
    }
}

void simsync_free(struct simsync_result *res)
{
    free(res->engine);
    res->engine = NULL;
}
