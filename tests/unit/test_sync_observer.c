/* The sync engine's observer (the statistics logs' data): the events it hands out match
 * the engine's own state at the end of a simulated run, counts match the protocol
 * counters, and hand-made replies give the measurement records chronyd would log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "proto/ntp_packet.h"
#include "proto/ntp_time.h"
#include "sim_sync.h"
#include "sync/engine.h"

#define T0 1262304000 /* 2010-01-01 */

static struct timespec at(double s)
{
    struct timespec b = {T0, 0};
    return timespec_add(&b, s);
}

struct recorder {
    int n_events;
    int n_meas, n_meas_synced, n_stats, n_sel, n_track;
    struct sync_event first;
    struct sync_event last_track;
    struct ntpsrc_measurement last_meas;
    struct sync_event last_stats[SYNC_MAX_SOURCES];
    struct sync_event last_sel[SYNC_MAX_SOURCES];
    int sel_run_of[SYNC_MAX_SOURCES]; /* n_track + n_meas when the last selection came */
    bool bad_order;                   /* an event for a source without an address */
};

static void record(void *ctx, const struct sync_event *ev)
{
    struct recorder *r = ctx;
    if (r->n_events++ == 0)
        r->first = *ev;
    switch (ev->kind) {
    case SYNC_EVENT_MEASUREMENT:
        r->n_meas++;
        r->n_meas_synced += ev->u.measurement->synced;
        r->last_meas = *ev->u.measurement;
        break;
    case SYNC_EVENT_STATISTICS:
        r->n_stats++;
        r->last_stats[ev->source] = *ev;
        break;
    case SYNC_EVENT_SELECTION:
        r->n_sel++;
        r->last_sel[ev->source] = *ev;
        r->sel_run_of[ev->source] = r->n_meas;
        break;
    case SYNC_EVENT_TRACKING:
        r->n_track++;
        r->last_track = *ev;
        break;
    }
    if (ev->kind != SYNC_EVENT_TRACKING && (!ev->ip || ev->ip->family != AF_INET))
        r->bad_order = true;
}

/* Two servers for two hours: every event type shows up, and the last of each agrees with
 * what the engine holds at the end. */
static void test_observer_simulation(void **state)
{
    (void)state;
    static struct recorder rec;
    struct simsync_params p;
    struct simsync_result res;
    memset(&rec, 0, sizeof(rec));
    simsync_defaults(&p);
    p.n_servers = 2;
    p.src.iburst = true;
    p.src.minpoll = 4;
    p.src.maxpoll = 6;
    p.initial_offset = 0.01;
    p.freq_ppm = 20.0;
    p.duration = 2 * 3600.0;
    p.sync.observer = record;
    p.sync.observer_ctx = &rec;
    simsync_run(&p, &res);
    const struct sync_engine *e = res.engine;

    /* chronyd's first tracking line: unsynchronised, 0.0.0.0 at stratum 0, root delay and
     * dispersion 1 s, maximum error 1.5 s (1/2 + 1), skew unknown (1e6 ppm). */
    assert_int_equal(rec.first.kind, SYNC_EVENT_TRACKING);
    const struct sync_event_tracking *t0 = &rec.first.u.tracking;
    assert_false(t0->update);
    assert_int_equal(t0->stratum, 0);
    assert_int_equal(t0->ip.family, AF_INET);
    assert_int_equal(t0->ref_id, 0);
    assert_int_equal(t0->leap, 3);
    assert_int_equal(t0->combined, 0);
    assert_true(t0->root_delay == 1.0 && t0->root_dispersion == 1.0);
    assert_true(fabs(t0->max_error - 1.5) < 1e-12);
    assert_true(fabs(t0->skew_ppm - 1e6) < 1e-6);

    /* One measurement per processed reply; all replies in this network are synced. */
    uint32_t total_rx = 0, total_valid = 0;
    for (int i = 0; i < SYNC_MAX_SOURCES; i++)
        if (e->src[i].in_use) {
            total_rx += e->src[i].ntp.report.total_rx;
            total_valid += e->src[i].ntp.report.total_valid;
        }
    assert_true(total_rx > 100);
    assert_int_equal(rec.n_meas, (int)total_rx);
    assert_int_equal(rec.n_meas_synced, (int)total_valid);
    assert_false(rec.bad_order);

    /* One tracking line per reference update, plus the first. */
    assert_int_equal(rec.n_track, e->updates + 1);
    const struct sync_event_tracking *t = &rec.last_track.u.tracking;
    assert_true(t->update);
    assert_int_equal(t->stratum, e->ref.stratum);
    assert_int_equal(t->stratum, 2);
    assert_int_equal(t->ref_id, e->ref.refid);
    assert_true(t->ref_id == 0xC0000201 || t->ref_id == 0xC0000202);
    assert_int_equal(t->leap, 0);
    assert_true(t->combined >= 1 && t->combined <= 2);
    assert_true(t->offset == e->ref.last_offset);
    assert_true(t->skew_ppm == e->ref.skew * 1e6);
    assert_true(t->root_delay == e->ref.root_delay);
    assert_true(t->root_dispersion >= e->ref.root_dispersion);
    assert_true(t->max_error > 0.0 && t->max_error < 0.01);
    assert_true(t->offset_sd >= 0.0 && t->offset_sd < 1e-3);
    /* the frequency the clock runs at, close to the oscillator's error by now */
    assert_true(fabs(t->freq_ppm - 20.0) < 1.0);

    /* Statistics: the last regression of each source is what its statistics hold. */
    assert_true(rec.n_stats > 50);
    for (int k = 0; k < 2; k++) {
        int i = -1;
        for (int j = 0; j < SYNC_MAX_SOURCES; j++)
            if (e->src[j].in_use && e->src[j].ip.addr[3] == 1 + k)
                i = j;
        assert_true(i >= 0);
        const struct srcstats *st = &e->src[i].ntp.stats;
        const struct sync_event_statistics *x = &rec.last_stats[i].u.statistics;
        assert_int_equal(rec.last_stats[i].kind, SYNC_EVENT_STATISTICS);
        /* later clock corrections re-express the estimates (srcstats_slew), by much less
         * than their uncertainty; the rest is as the regression left it */
        assert_true(fabs(x->est_freq - st->estimated_frequency) <= st->skew);
        assert_true(fabs(x->est_offset - st->estimated_offset) < 1e-4);
        assert_true(x->skew == st->skew);
        assert_true(x->std_dev == st->std_dev);
        assert_int_equal(x->n_runs, st->nruns);
        /* the samples before the regression dropped best_start of them */
        assert_int_equal(x->n_samples - x->best_start, st->n_samples);
        assert_true(x->n_samples >= 3);
        assert_true(x->stress >= 0.0);
        assert_true(fabs(timespec_diff(&x->time, &st->offset_time)) < 1e-3);

        /* the last selection: both agree, one selected, the other combined */
        const struct sync_event_selection *s = &rec.last_sel[i].u.selection;
        assert_int_equal(rec.last_sel[i].kind, SYNC_EVENT_SELECTION);
        assert_true(s->letter == '*' || s->letter == '+');
        assert_true(s->lo_limit <= s->hi_limit);
        assert_true(s->score >= 1.0);
        assert_int_equal(s->options, 0);
    }
    int stars = 0;
    for (int j = 0; j < SYNC_MAX_SOURCES; j++)
        if (rec.last_sel[j].kind == SYNC_EVENT_SELECTION &&
            rec.last_sel[j].u.selection.letter == '*')
            stars++;
    assert_int_equal(stars, 1);
    simsync_free(&res);
}

/* A reply builder for one request, server at stratum/leap, its clock `ahead` s ahead. */
static void reply_to(const uint8_t *req, double rx_rel, double tx_rel, int stratum, int leap,
                     uint8_t *out)
{
    struct ntp_header q, h;
    ntp_header_decode(req, NTP_HEADER_LEN, &q);
    memset(&h, 0, sizeof(h));
    h.leap = (uint8_t)leap;
    h.version = 4;
    h.mode = NTP_MODE_SERVER;
    h.stratum = (uint8_t)stratum;
    h.poll = 3;
    h.precision = -20;
    h.refid = 0x47505300;
    h.root_delay = 0x00010000;      /* 1 s */
    h.root_dispersion = 0x00008000; /* 0.5 s */
    h.origin_ts = q.transmit_ts;
    struct timespec rx = at(rx_rel), tx = at(tx_rel);
    h.receive_ts = ntp_ts_from_timespec(&rx);
    h.transmit_ts = ntp_ts_from_timespec(&tx);
    h.reference_ts = h.receive_ts;
    ntp_header_encode(&h, out);
}

/* Measurement records by hand: a good reply, the same reply again (a duplicate: tests 2
 * and 3 fail, not synced, logged only with rawmeasurements), and an unsynchronised
 * server; then a reset of every sample loses the reference: a tracking line at stratum 0. */
static void test_observer_measurements(void **state)
{
    (void)state;
    static struct sync_engine e;
    static struct recorder rec;
    memset(&rec, 0, sizeof(rec));
    struct sync_params sp;
    sync_params_default(&sp);
    sp.observer = record;
    sp.observer_ctx = &rec;
    struct timespec raw = at(0);
    sync_init(&e, &sp, &raw);
    assert_int_equal(rec.n_track, 1);

    struct ntpsrc_params np;
    ntpsrc_params_default(&np);
    np.minpoll = np.maxpoll = 4;
    struct tock_ip ip = {.family = AF_INET, .addr = {192, 0, 2, 7}};
    int a = sync_add_source(&e, &np, 0, &ip, &raw);
    uint8_t rnd[8] = {7, 1, 2, 3, 4, 5, 6, 7}, req[48], rep[48];
    struct ntp_packet_view v;

    /* a good exchange: server 0.1 s ahead, 10 ms each way, 2 ms processing */
    struct timespec tx = at(1.0), rx = at(1.022);
    assert_int_equal(sync_transmit(&e, a, &tx, rnd, req), 48);
    reply_to(req, 1.010 + 0.1, 1.012 + 0.1, 2, 0, rep);
    assert_int_equal(ntp_packet_parse(rep, 48, &v), NTP_OK);
    assert_int_equal(sync_process_reply(&e, a, &v, &rx, &tx, false, 0, false, &rx),
                     NTPSRC_RX_SAMPLE);
    assert_int_equal(rec.n_meas, 1);
    const struct ntpsrc_measurement *m = &rec.last_meas;
    assert_true(m->synced);
    assert_int_equal(m->tests, 0x3ff);
    assert_int_equal(m->stratum, 2);
    assert_int_equal(m->leap, 0);
    assert_int_equal(m->mode, 4);
    assert_int_equal(m->remote_poll, 3);
    assert_int_equal(m->ref_id, 0x47505300);
    assert_true(fabs(m->offset - 0.1) < 1e-6);       /* ((1.11-1) + (1.112-1.022)) / 2 */
    assert_true(fabs(m->peer_delay - 0.020) < 1e-6); /* 22 ms - 2 ms */
    assert_true(fabs(m->root_delay - 1.0) < 1e-9);
    assert_true(fabs(m->root_dispersion - 0.5) < 1e-9);
    assert_true(fabs(timespec_diff(&m->time, &tx) - 0.011) < 1e-6); /* midpoint */
    assert_int_equal(m->local_poll, 4);

    /* the duplicate */
    assert_int_equal(sync_process_reply(&e, a, &v, &rx, &tx, false, 0, false, &rx),
                     NTPSRC_RX_IGNORED);
    assert_int_equal(rec.n_meas, 2);
    assert_false(m->synced);
    assert_int_equal(m->tests & 0x180, 0); /* tests 2 and 3 */
    assert_true(m->offset == 0.0 && m->peer_delay == 0.0);
    assert_true(timespec_cmp(&m->time, &rx) == 0);

    /* an unsynchronised server: valid, not synced (test 6 fails) */
    struct timespec tx2 = at(17.0), rx2 = at(17.02);
    assert_int_equal(sync_transmit(&e, a, &tx2, rnd, req), 48);
    reply_to(req, 17.11, 17.111, 0, 3, rep);
    assert_int_equal(ntp_packet_parse(rep, 48, &v), NTP_OK);
    sync_process_reply(&e, a, &v, &rx2, &tx2, false, 0, false, &rx2);
    assert_int_equal(rec.n_meas, 3);
    assert_false(m->synced);
    assert_int_equal(m->tests & 0x20, 0); /* test 6 */
    assert_int_equal(m->tests & 0x3c0, 0x3c0);
    assert_int_equal(m->leap, 3);

    /* Three more good samples: the statistics regress and the reference is set. */
    double t = 33.0;
    for (int k = 0; k < 3; k++, t += 16.0) {
        struct timespec ttx = at(t), trx = at(t + 0.022);
        rnd[0]++;
        sync_transmit(&e, a, &ttx, rnd, req);
        reply_to(req, t + 0.110, t + 0.112, 2, 0, rep);
        assert_int_equal(ntp_packet_parse(rep, 48, &v), NTP_OK);
        sync_process_reply(&e, a, &v, &trx, &ttx, false, 0, false, &trx);
    }
    assert_true(rec.n_stats >= 1);
    assert_int_equal(rec.last_stats[a].u.statistics.n_samples, 4);
    assert_true(e.ref.synchronised);
    assert_int_equal(rec.last_track.u.tracking.stratum, 3);
    assert_int_equal(rec.last_track.u.tracking.ip.addr[3], 7);
    assert_int_equal(rec.n_track, e.updates + 1);
    assert_int_equal(rec.last_sel[a].u.selection.letter, '*');

    /* losing every sample loses the reference: an unsynchronised tracking line */
    struct timespec later = at(t + 1.0);
    int before = rec.n_track;
    sync_notify_unknown_step(&e, &later);
    assert_int_equal(rec.n_track, before + 1);
    assert_false(rec.last_track.u.tracking.update);
    assert_int_equal(rec.last_track.u.tracking.stratum, 0);
    assert_int_equal(rec.last_track.u.tracking.leap, 3);
    assert_int_equal(rec.last_track.u.tracking.combined, 0);
    assert_true(rec.last_track.u.tracking.offset == 0.0);
    assert_int_equal(rec.last_sel[a].u.selection.letter, 'M');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_observer_simulation),
        cmocka_unit_test(test_observer_measurements),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
