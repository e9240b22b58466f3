/* Unit tests of the pure synchronisation modules: slew controller, virtual clock,
 * regression/statistics, NTP source state machine, selection, reference, driftfile and
 * leap second table. Expected values are worked out in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "proto/ntp_packet.h"
#include "proto/ntp_time.h"
#include "sync/driftfile.h"
#include "sync/engine.h"
#include "sync/sync_conf.h"
#include "sync/leapsec.h"
#include "sync/ntpsrc.h"
#include "sync/discipline.h"
#include "sync/select.h"
#include "sync/slew.h"
#include "sync/srcstats.h"
#include "sync/vclock.h"

#define T0 1262304000 /* 2010-01-01 */

static struct timespec at(double s)
{
    struct timespec b = {T0, 0};
    return timespec_add(&b, s);
}

/* ---- slew ---- */

static void test_slew_fast_offset(void **state)
{
    (void)state;
    struct slew s;
    struct slew_params p;
    slew_params_default(&p);
    struct timespec t0 = at(0);
    assert_true(fabs(slew_init(&s, &p, 0.0, &t0)) < 1e-12);
    /* 0.1 s ahead, rate 0: the wanted 0.1 s/s exceeds maxslewrate, so the correction runs
     * at 83333.333 ppm; relative to the corrected clock that is 0.08333/(1-0.08333) =
     * 0.0909 s/s, so the slew lasts 0.1/0.0909 = 1.1 s. */
    double f = slew_accrue_offset(&s, &t0, 0.1, 0.0);
    assert_true(fabs(f - 83333.333) < 1e-3);
    assert_true(fabs(slew_correction(&s, &t0) + 0.1) < 1e-12);
    struct timespec mid = at(0.55);
    assert_true(fabs(slew_correction(&s, &mid) + 0.05) < 1e-6);
    assert_true(fabs(timespec_diff(&s.next_update, &t0) - 1.1) < 1e-6);
    /* at the end of the slew the register is empty and the base frequency is back */
    f = slew_update(&s, &s.next_update);
    assert_true(fabs(slew_correction(&s, &s.next_update)) < 1e-9);
    assert_true(fabs(f) < 1e-3);
}

static void test_slew_rate_and_quantum(void **state)
{
    (void)state;
    struct slew s;
    struct slew_params p;
    slew_params_default(&p);
    p.freq_quantum_ppm = 1.0 / 65536;
    struct timespec t0 = at(0);
    slew_init(&s, &p, 12.3456789, &t0);
    /* 1 ms with rate 1: duration = rate / offset = 1000 s, corr = 1e-6 s/s: total is
     * 12.3456789 + 1e-6 * (1e6 - 12.35) ppm, rounded to 1/65536 ppm */
    double f = slew_accrue_offset(&s, &t0, 1e-3, 1.0);
    double want = 12.3456789 + 1e-6 * (1e6 - 12.3456789);
    assert_true(fabs(f - want) <= 0.5 / 65536 + 1e-12);
    assert_true(fabs(f * 65536 - round(f * 65536)) < 1e-6);
    /* the timer fires when the achieved rate has removed the offset (~1000 s) */
    double d = timespec_diff(&s.next_update, &t0);
    assert_true(d > 990.0 && d < 1010.0);
    /* negative offsets slew the other way */
    slew_init(&s, &p, 0.0, &t0);
    f = slew_accrue_offset(&s, &t0, -1e-3, 1.0);
    assert_true(f < -0.99 && f > -1.01);
}

/* ---- vclock ---- */

static void test_vclock_freq_step_leap(void **state)
{
    (void)state;
    struct vclock v;
    struct timespec u = at(0);
    vclock_init(&v, &u, 0.5, 100.0); /* starts 0.5 s ahead, oscillator +100 ppm */
    struct timespec u1 = at(1000), r = vclock_read(&v, &u1);
    /* 1000 s at +100 ppm: 0.1 s gained on top of the 0.5 s */
    assert_true(fabs(timespec_diff(&r, &u1) - 0.6) < 1e-9);
    vclock_set_freq(&v, &u1, 100.0); /* compensate: (1+1e-4)(1-1e-4) - 1 = -1e-8 */
    struct timespec u2 = at(2000);
    r = vclock_read(&v, &u2);
    assert_true(fabs(timespec_diff(&r, &u2) - (0.6 - 1e-5)) < 1e-9);
    vclock_step(&v, &u2, 0.6 - 1e-5); /* back on time */
    r = vclock_read(&v, &u2);
    assert_true(fabs(timespec_diff(&r, &u2)) < 1e-9);

    /* inserted leap: armed on 2010-12-31, the clock repeats 23:59:59 */
    struct vclock w;
    struct timespec d0 = {T0 + 364 * 86400 + 86000, 0}; /* 23:53:20 */
    vclock_init(&w, &d0, 0.0, 0.0);
    vclock_set_leap(&w, &d0, 1);
    time_t midnight = T0 + 365 * 86400;
    struct timespec before = {midnight - 1, 500000000}, after = {midnight, 500000000},
                    later = {midnight + 1, 500000000};
    r = vclock_read(&w, &before);
    assert_true(fabs(timespec_diff(&r, &before)) < 1e-9);
    r = vclock_read(&w, &after); /* true 23:59:60.5 reads 23:59:59.5 */
    assert_true(fabs(timespec_diff(&r, &before)) < 1e-9);
    r = vclock_read(&w, &later);
    assert_true(fabs(timespec_diff(&r, &after)) < 1e-9);
    assert_int_equal(w.leaps_applied, 1);

    /* deleted leap: 23:59:59 is skipped */
    vclock_init(&w, &d0, 0.0, 0.0);
    vclock_set_leap(&w, &d0, -1);
    struct timespec b2 = {midnight - 2, 500000000}, a2 = {midnight - 1, 500000000};
    r = vclock_read(&w, &b2);
    assert_true(fabs(timespec_diff(&r, &b2)) < 1e-9);
    r = vclock_read(&w, &a2); /* true 23:59:59.5 reads 00:00:00.5 */
    assert_true(fabs(timespec_diff(&r, &a2) - 1.0) < 1e-9);
}

/* ---- regression ---- */

static void test_regression_line(void **state)
{
    (void)state;
    double x[10], y[10], w[10];
    for (int i = 0; i < 10; i++) {
        x[i] = -90.0 + 10.0 * i;
        /* alternate +-1 us around the line 1e-3 + 2e-6 x: 10 runs, nothing dropped */
        y[i] = 1e-3 + 2e-6 * x[i] + (i % 2 ? 1e-6 : -1e-6);
        w[i] = 1.0;
    }
    struct srcstats_fit f;
    assert_true(srcstats_find_best_regression(x, y, w, 10, 0, 0, &f));
    assert_int_equal(f.new_start, 0);
    assert_int_equal(f.n_runs, 10);
    assert_int_equal(f.dof, 8);
    assert_true(fabs(f.b1 - 2e-6) < 1e-8);
    assert_true(fabs(f.b0 - 1e-3) < 1e-6);
    assert_false(srcstats_find_best_regression(x, y, w, 2, 0, 0, &f));
}

static void test_regression_drops_old_points(void **state)
{
    (void)state;
    /* 20 points: the 10 newest are flat with alternating +-1 us noise, the 10 oldest are
     * 1 ms off: the fit over all has runs of one sign at the old end and fails the runs
     * test; dropping the old points restores it. */
    double x[20], y[20], w[20];
    for (int i = 0; i < 20; i++) {
        x[i] = -190.0 + 10.0 * i;
        y[i] = (i % 2 ? 1e-6 : -1e-6) + (i < 10 ? 1e-3 : 0.0);
        w[i] = 1.0;
    }
    struct srcstats_fit f;
    assert_true(srcstats_find_best_regression(x, y, w, 20, 0, 0, &f));
    assert_true(f.new_start >= 8);
    assert_true(fabs(f.b0) < 5e-5);
    /* min_samples keeps at least that many points */
    assert_true(srcstats_find_best_regression(x, y, w, 20, 0, 18, &f));
    assert_true(f.new_start <= 2);
}

static void test_critical_runs(void **state)
{
    (void)state;
    /* floor(n/2 + 1 - 1.65 sd), sd^2 = n(n-2)/(4(n-1)); worked out by hand:
     * n=8: 5 - 1.65*1.309 = 2.84; n=20: 11 - 1.65*2.176 = 7.41; n=54: 28 - 1.65*3.639 = 21.99;
     * n=64: 33 - 1.65*3.968 = 26.45; n=128: 65 - 1.65*5.634 = 55.70 */
    for (int n = 0; n < 8; n++)
        assert_int_equal(srcstats_critical_runs(n), 0);
    assert_int_equal(srcstats_critical_runs(8), 2);
    assert_int_equal(srcstats_critical_runs(9), 3);
    assert_int_equal(srcstats_critical_runs(20), 7);
    assert_int_equal(srcstats_critical_runs(54), 21);
    assert_int_equal(srcstats_critical_runs(64), 26);
    assert_int_equal(srcstats_critical_runs(128), 55);
    /* never decreasing, and always below the expected number of runs n/2 + 1 */
    for (int n = 9; n <= SRCSTATS_BUF; n++) {
        assert_true(srcstats_critical_runs(n) >= srcstats_critical_runs(n - 1));
        assert_true(srcstats_critical_runs(n) < n / 2 + 1);
    }
}

static void test_t_coef(void **state)
{
    (void)state;
    assert_true(fabs(srcstats_t_coef(1) - 636.619) < 1e-3);
    assert_true(fabs(srcstats_t_coef(10) - 4.587) < 1e-3);
    /* 0.9995 quantile for 100 dof is 3.390, for 1000 it is 3.300 */
    assert_true(fabs(srcstats_t_coef(100) - 3.390) < 2e-3);
    assert_true(fabs(srcstats_t_coef(1000) - 3.300) < 2e-3);
}

static void test_multiple_regress(void **state)
{
    (void)state;
    double x1[8], x2[8], y[8], b2;
    for (int i = 0; i < 8; i++) {
        x1[i] = -64.0 * i;
        x2[i] = (i * 37 % 11) * 1e-4; /* delays, not collinear with time */
        y[i] = 1e-3 + 2e-6 * x1[i] - 0.4 * x2[i];
    }
    assert_true(srcstats_multiple_regress(x1, x2, y, 8, &b2));
    assert_true(fabs(b2 + 0.4) < 1e-9);
    assert_false(srcstats_multiple_regress(x1, x2, y, 3, &b2)); /* too few points */
    for (int i = 0; i < 8; i++)
        x2[i] = 5e-4; /* constant delay: no slope can be measured */
    assert_false(srcstats_multiple_regress(x1, x2, y, 8, &b2));
    for (int i = 0; i < 8; i++)
        x2[i] = 3.0 * x1[i]; /* collinear */
    assert_false(srcstats_multiple_regress(x1, x2, y, 8, &b2));
}

static void test_srcstats_empty_and_accumulate(void **state)
{
    (void)state;
    struct srcstats st;
    srcstats_init(&st, 0, 0, 0.0, 1.0, 1e-9);
    struct srcstats_report rep;
    struct timespec now = at(100);
    srcstats_report(&st, &now, &rep);
    /* chrony's values for a source without samples */
    assert_int_equal(rep.n_samples, 0);
    assert_true(rep.resid_freq_ppm == 0.0);
    assert_true(fabs(rep.skew_ppm - 2000.0) < 1e-9);
    assert_true(rep.est_offset == 0.0);
    assert_true(rep.sd == 4.0);
    assert_false(rep.has_sample);

    /* the local clock gains 10 ppm on the source: NTP offsets (source - local) fall */
    for (int i = 0; i < 8; i++) {
        struct srcstats_sample s = {.time = at(64.0 * i),
                                    .offset = -1e-3 - 10e-6 * 64.0 * i + (i % 2 ? 1e-7 : -1e-7),
                                    .peer_delay = 1e-3,
                                    .peer_dispersion = 1e-6,
                                    .root_delay = 1e-3,
                                    .root_dispersion = 1e-5,
                                    .stratum = 2};
        srcstats_accumulate(&st, &s);
    }
    assert_true(st.regression_ok);
    assert_int_equal(st.n_samples, 8);
    assert_true(fabs(st.estimated_frequency - 10e-6) < 1e-8);
    /* local - source at the newest sample: 1e-3 + 10e-6 * 448 */
    assert_true(fabs(st.estimated_offset - (1e-3 + 10e-6 * 448.0)) < 1e-6);
    assert_true(st.skew < 1e-7);

    /* a clock correction by the estimated frequency and offset flattens everything */
    struct timespec when = at(448);
    srcstats_slew(&st, &when, st.estimated_frequency, st.estimated_offset);
    assert_true(fabs(st.estimated_frequency) < 1e-12);
    assert_true(fabs(st.estimated_offset) < 1e-9);
    srcstats_regress(&st);
    assert_true(fabs(st.estimated_frequency) < 1e-8);
    struct timespec later = at(500);
    assert_true(fabs(srcstats_predict_offset(&st, &later)) < 1e-6);

    /* an out-of-order sample resets the history */
    struct srcstats_sample old = {.time = at(10), .peer_delay = 1e-3};
    srcstats_accumulate(&st, &old);
    assert_int_equal(st.n_samples, 1);
    assert_false(st.regression_ok);
}

/* ---- NTP source ---- */

static void make_reply(const uint8_t *req, double srv_rx_rel, double srv_tx_rel, uint8_t *out,
                       int stratum, int leap, uint32_t refid)
{
    struct ntp_header q, h;
    ntp_header_decode(req, NTP_HEADER_LEN, &q);
    memset(&h, 0, sizeof(h));
    h.leap = (uint8_t)leap;
    h.version = 4;
    h.mode = NTP_MODE_SERVER;
    h.stratum = (uint8_t)stratum;
    h.poll = q.poll;
    h.precision = -20;
    h.refid = refid;
    h.origin_ts = q.transmit_ts;
    struct timespec rx = at(srv_rx_rel), tx = at(srv_tx_rel);
    h.receive_ts = ntp_ts_from_timespec(&rx);
    h.transmit_ts = ntp_ts_from_timespec(&tx);
    h.reference_ts = h.receive_ts;
    ntp_header_encode(&h, out);
}

static void test_ntpsrc_exchange(void **state)
{
    (void)state;
    struct ntpsrc s;
    struct ntpsrc_params p;
    ntpsrc_params_default(&p);
    struct timespec now = at(0), when;
    ntpsrc_init(&s, &p, 1e-9, 1e-6, &now);
    assert_true(ntpsrc_next_tx(&s, &when));
    assert_true(fabs(timespec_diff(&when, &now) - 0.2) < 1e-9); /* initial delay */

    uint8_t rnd[8] = {1, 2, 3, 4, 5, 6, 7, 8}, req[48], rep[48];
    struct timespec txt = at(0.2);
    assert_int_equal(ntpsrc_transmit(&s, &txt, rnd, false, req), 48);
    struct ntp_packet_view v;
    assert_int_equal(ntp_packet_parse(req, 48, &v), NTP_OK);
    assert_int_equal(v.h.mode, NTP_MODE_CLIENT);
    assert_int_equal(v.h.version, 4);
    assert_int_equal(v.h.poll, 6);
    assert_true(v.h.transmit_ts == 0x0102030405060708ULL); /* the random bytes */
    assert_true(v.h.origin_ts == 0 && v.h.receive_ts == 0 && v.h.reference_ts == 0);
    assert_true(ntpsrc_next_tx(&s, &when)); /* next poll in 64 s */
    assert_true(fabs(timespec_diff(&when, &txt) - 64.0) < 1e-9);

    /* Server 0.25 s ahead, 20 ms each way, 1 ms processing: offset +0.25, delay 0.04. */
    make_reply(req, 0.2 + 0.02 + 0.25, 0.2 + 0.021 + 0.25, rep, 1, 0, 0x47505300);
    struct timespec rx = at(0.2 + 0.041);
    assert_int_equal(ntp_packet_parse(rep, 48, &v), NTP_OK);
    struct srcstats_sample smp;
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx, &txt, false, NULL, false, &smp),
                     NTPSRC_RX_SAMPLE);
    assert_true(fabs(smp.offset - 0.25) < 1e-9);
    assert_true(fabs(smp.peer_delay - 0.04) < 1e-9);
    assert_true(fabs(timespec_diff(&smp.time, &txt) - 0.0205) < 1e-9);
    assert_int_equal(s.reach, 1);
    assert_int_equal(s.stats.n_samples, 1);
    /* the same reply again (duplicate / replay) is ignored */
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx, &txt, false, NULL, false, NULL),
                     NTPSRC_RX_IGNORED);

    /* next request; a reply echoing the old origin is bogus (test 2) */
    struct timespec t2 = at(64.2);
    rnd[0] = 9;
    ntpsrc_transmit(&s, &t2, rnd, false, req);
    uint8_t bogus[48];
    memcpy(bogus, rep, 48);
    struct timespec rx2 = at(64.25);
    assert_int_equal(ntp_packet_parse(bogus, 48, &v), NTP_OK);
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx2, &t2, false, NULL, false, NULL),
                     NTPSRC_RX_IGNORED);
    /* an unsynchronised server (LI 3, stratum 16) is valid but gives no sample */
    make_reply(req, 64.47, 64.471, rep, 16, 3, 0);
    assert_int_equal(ntp_packet_parse(rep, 48, &v), NTP_OK);
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx2, &t2, false, NULL, false, NULL),
                     NTPSRC_RX_VALID);
    assert_int_equal(s.reach, 2); /* shifted in a 0 */
    assert_int_equal(s.stats.n_samples, 1);
}

static void test_ntpsrc_auth_unreach_kod(void **state)
{
    (void)state;
    struct ntpsrc s;
    struct ntpsrc_params p;
    ntpsrc_params_default(&p);
    p.auth = true;
    struct timespec now = at(0);
    ntpsrc_init(&s, &p, 1e-9, 1e-6, &now);
    uint8_t rnd[8] = {7}, req[48], rep[48];
    ntpsrc_transmit(&s, &now, rnd, false, req);
    make_reply(req, 0.01, 0.011, rep, 1, 0, 1);
    struct ntp_packet_view v;
    ntp_packet_parse(rep, 48, &v);
    struct timespec rx = at(0.02);
    /* not authenticated while a key is configured: dropped (test 5) */
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx, &now, false, NULL, false, NULL),
                     NTPSRC_RX_IGNORED);
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx, &now, true, NULL, false, NULL),
                     NTPSRC_RX_SAMPLE);

    /* 8 more requests with no reply: unreachable */
    assert_false(ntpsrc_unreachable(&s));
    for (int i = 1; i <= 8; i++) {
        struct timespec t = at(100.0 * i);
        rnd[1] = (uint8_t)i;
        ntpsrc_transmit(&s, &t, rnd, false, req);
    }
    /* the first request's reply counted, then 7 misses are shifted in by the following
     * requests: 1 << 7 = 0x80 remains */
    assert_int_equal(s.reach, 0x80);
    assert_false(ntpsrc_unreachable(&s));
    struct timespec t9 = at(900);
    ntpsrc_transmit(&s, &t9, rnd, false, req);
    assert_int_equal(s.reach, 0);
    assert_true(ntpsrc_unreachable(&s));

    /* KoD RSTR: polling stops */
    struct timespec t10 = at(1000);
    rnd[2] = 1;
    ntpsrc_transmit(&s, &t10, rnd, false, req);
    make_reply(req, 1000.01, 1000.011, rep, 0, 3, NTP_KISS_RSTR);
    ntp_packet_parse(rep, 48, &v);
    struct timespec rx10 = at(1000.02);
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx10, &t10, true, NULL, false, NULL),
                     NTPSRC_RX_KOD_STOP);
    struct timespec w;
    assert_false(ntpsrc_next_tx(&s, &w));
    assert_int_equal(ntpsrc_transmit(&s, &t10, rnd, false, req), 0);
}

static void test_ntpsrc_loop_and_delay(void **state)
{
    (void)state;
    struct ntpsrc s;
    struct ntpsrc_params p;
    ntpsrc_params_default(&p);
    p.maxdelay = 0.01;
    struct timespec now = at(0);
    ntpsrc_init(&s, &p, 1e-9, 1e-6, &now);
    uint8_t rnd[8] = {3}, req[48], rep[48];
    ntpsrc_transmit(&s, &now, rnd, false, req);
    /* 40 ms round trip > maxdelay 10 ms: valid, no sample (test A) */
    make_reply(req, 0.02, 0.02, rep, 2, 0, 1);
    struct ntp_packet_view v;
    ntp_packet_parse(rep, 48, &v);
    struct timespec rx = at(0.04);
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx, &now, false, NULL, false, NULL),
                     NTPSRC_RX_VALID);
    assert_int_equal(s.report.tests & 0x8, 0);

    /* a server synchronised to our own address fails test D */
    struct timespec t1 = at(64);
    rnd[0] = 4;
    ntpsrc_transmit(&s, &t1, rnd, false, req);
    make_reply(req, 64.001, 64.001, rep, 3, 0, 0xC0000201);
    ntp_packet_parse(rep, 48, &v);
    struct timespec rx1 = at(64.002);
    struct ntpsrc_loop_check lc = {.serving = true, .local_refid = 0xC0000201};
    assert_int_equal(ntpsrc_process_reply(&s, &v, &rx1, &t1, false, &lc, false, NULL),
                     NTPSRC_RX_VALID);
    assert_int_equal(s.report.tests & 0x1, 0);
}

/* ---- selection ---- */

static void feed(struct srcstats *st, double offset, double jitter_sign)
{
    srcstats_init(st, 0, 0, 0.0, 1.0, 1e-9);
    for (int i = 0; i < 8; i++) {
        struct srcstats_sample s = {.time = at(16.0 * i),
                                    .offset = offset + jitter_sign * (i % 2 ? 1e-6 : -1e-6),
                                    .peer_delay = 2e-4,
                                    .peer_dispersion = 1e-6,
                                    .root_delay = 2e-4,
                                    .root_dispersion = 1e-5,
                                    .stratum = 1,
                                    .leap = 0};
        srcstats_accumulate(st, &s);
    }
}

static void test_select_falseticker(void **state)
{
    (void)state;
    struct srcstats st[4];
    struct select_src ss[4], *ptr[4];
    double offs[4] = {1e-5, 2e-5, 0.05, 1.5e-5};
    for (int i = 0; i < 4; i++) {
        feed(&st[i], offs[i], 1.0);
        memset(&ss[i], 0, sizeof(ss[i]));
        ss[i].stats = &st[i];
        ss[i].reach = 0xff;
        ss[i].reach_size = 8;
        ss[i].refid = 0x0A000001 + (uint32_t)i;
        ss[i].sel_score = 1.0;
        ptr[i] = &ss[i];
    }
    struct select_state sel;
    struct select_params sp;
    struct select_result res;
    select_init(&sel);
    select_params_default(&sp);
    struct timespec now = at(120);
    select_run(&sel, ptr, 4, 0, &sp, &now, &res);
    assert_true(res.update);
    assert_int_equal(ss[2].status, SELECT_FALSETICKER);
    assert_int_equal(select_state_char(ss[2].status), 'x');
    assert_true(res.selected >= 0 && res.selected != 2);
    assert_int_equal(select_state_char(ss[res.selected].status), '*');
    /* the combined offset (local - source) is near -1.5e-5, far from the falseticker */
    assert_true(fabs(res.est.offset + 1.5e-5) < 1e-5);

    /* noselect and minsources */
    ss[0].options = SELECT_OPT_NOSELECT;
    sp.min_sources = 4;
    select_run(&sel, ptr, 4, 1, &sp, &now, &res);
    assert_false(res.update);
    assert_true(res.lost);
    assert_int_equal(select_state_char(ss[0].status), '?');
    assert_int_equal(ss[1].status, SELECT_WAITS_SOURCES);
    assert_int_equal(select_state_wire(ss[1].status), 5);
}

static void setup_sel(struct srcstats *st, struct select_src *ss, struct select_src **ptr,
                      const double *offs, int n)
{
    for (int i = 0; i < n; i++) {
        feed(&st[i], offs[i], 1.0);
        memset(&ss[i], 0, sizeof(ss[i]));
        ss[i].stats = &st[i];
        ss[i].reach = 0xff;
        ss[i].reach_size = 8;
        ss[i].refid = 0x0A000001 + (uint32_t)i;
        ss[i].sel_score = 1.0;
        ptr[i] = &ss[i];
    }
}

static void test_select_options(void **state)
{
    (void)state;
    struct srcstats st[3];
    struct select_src ss[3], *ptr[3];
    struct select_state sel;
    struct select_params sp;
    struct select_result res;
    struct timespec now = at(120);
    select_params_default(&sp);

    /* prefer: the preferred source is selected, the others are "-" (not combined) */
    double agree[3] = {1e-5, 2e-5, 1.5e-5};
    setup_sel(st, ss, ptr, agree, 3);
    ss[2].options = SELECT_OPT_PREFER;
    select_init(&sel);
    select_run(&sel, ptr, 3, 2, &sp, &now, &res);
    assert_true(res.update);
    assert_int_equal(res.selected, 2);
    assert_int_equal(ss[0].status, SELECT_NONPREFERRED);
    assert_int_equal(select_state_char(ss[1].status), '-');

    /* two sources 50 ms apart: no majority, both are falsetickers ... */
    double split[2] = {1e-5, 0.05};
    setup_sel(st, ss, ptr, split, 2);
    select_init(&sel);
    select_run(&sel, ptr, 2, 0, &sp, &now, &res);
    assert_false(res.update);
    assert_int_equal(ss[0].status, SELECT_FALSETICKER);
    assert_int_equal(ss[1].status, SELECT_FALSETICKER);
    /* ... unless one is trusted: it wins and the other one is the falseticker */
    ss[1].options = SELECT_OPT_TRUST;
    select_run(&sel, ptr, 2, 1, &sp, &now, &res);
    assert_true(res.update);
    assert_int_equal(res.selected, 1);
    assert_int_equal(ss[0].status, SELECT_FALSETICKER);

    /* require: a required source among the falsetickers blocks any update */
    double three[3] = {1e-5, 2e-5, 0.05};
    setup_sel(st, ss, ptr, three, 3);
    ss[2].options = SELECT_OPT_REQUIRE;
    select_init(&sel);
    select_run(&sel, ptr, 3, 0, &sp, &now, &res);
    assert_false(res.update);
    assert_int_equal(ss[2].status, SELECT_FALSETICKER);
    assert_int_equal(ss[0].status, SELECT_WAITS_SOURCES);
    /* when the required source agrees, the update goes through */
    ss[2].options = 0;
    ss[1].options = SELECT_OPT_REQUIRE;
    select_run(&sel, ptr, 3, 1, &sp, &now, &res);
    assert_true(res.update);

    /* maxdistance and maxjitter make sources unselectable */
    sp.max_distance = 1e-6;
    select_run(&sel, ptr, 3, 0, &sp, &now, &res);
    assert_false(res.update);
    assert_int_equal(ss[0].status, SELECT_BAD_DISTANCE);
    select_params_default(&sp);
    sp.max_jitter = 1e-9;
    select_run(&sel, ptr, 3, 0, &sp, &now, &res);
    assert_int_equal(ss[0].status, SELECT_JITTERY);
    assert_int_equal(select_state_char(ss[0].status), '~');
}

/* ---- reference ---- */

static void test_reference_params_and_refid(void **state)
{
    (void)state;
    struct disc_params p;
    struct disc_state r;
    disc_params_default(&p);
    struct timespec t0 = at(0);
    disc_init(&r, &p, &t0, 1e6);
    struct disc_server_params sp;
    disc_server_params(&r, &t0, &sp);
    /* unsynchronised: stratum 0, refid 0, LI 3, root delay and dispersion 1 s */
    assert_int_equal(sp.mode, DISC_UNSYNC);
    assert_int_equal(sp.stratum, 0);
    assert_int_equal(sp.leap, 3);
    assert_true(sp.root_delay == 1.0 && sp.root_dispersion == 1.0 && sp.ref_ts == 0);

    struct tock_ip ip4 = {.family = AF_INET, .addr = {192, 0, 2, 7}};
    struct disc_update_input in = {.stratum = 1,
                                   .leap = 0,
                                   .combined = 1,
                                   .refid = disc_refid_from_ip(&ip4),
                                   .ip = &ip4,
                                   .ref_time = t0,
                                   .offset = 2e-3,
                                   .offset_sd = 1e-5,
                                   .frequency = 5e-6,
                                   .frequency_sd = 1e-7,
                                   .skew = 1e-6,
                                   .root_delay = 1e-3,
                                   .root_dispersion = 1e-4};
    struct disc_correction c;
    disc_update(&r, &in, &t0, 0.0, &c);
    /* unknown previous skew (1 s/s): the measured frequency is taken entirely */
    assert_true(fabs(c.dfreq - 5e-6) < 1e-9);
    assert_true(fabs(c.offset - 2e-3) < 1e-12);
    assert_true(c.step == 0.0);
    struct timespec t100 = at(100);
    disc_server_params(&r, &t100, &sp);
    assert_int_equal(sp.mode, DISC_SYNCED);
    assert_int_equal(sp.stratum, 2);
    assert_int_equal(sp.refid, 0xC0000207);
    /* dispersion grows at skew + |resid| + maxclockerror from 1e-4 */
    double want = 1e-4 + 100.0 * (r.skew + fabs(r.residual_freq) + 1e-6);
    assert_true(fabs(sp.root_dispersion - want) < 1e-12);
    /* the snapshot for the server path gives the same reply values */
    struct reference_snapshot snap;
    struct reference_params rp;
    disc_snapshot(&r, &t0, &snap);
    reference_params_at(&snap, &t100, &rp);
    assert_int_equal(snap.mode, REFERENCE_SYNCED);
    assert_int_equal(rp.stratum, 2);
    assert_int_equal(rp.refid, 0xC0000207);
    assert_true(fabs(rp.root_dispersion - want) < 1e-12);
    assert_true(fabs(rp.root_delay - 1e-3) < 1e-15);

    struct tock_ip ip6 = {.family = AF_INET6};
    ip6.addr[15] = 1; /* ::1, MD5 = cf404dc8... */
    assert_int_equal(disc_refid_from_ip(&ip6), 0xcf404dc8);

    /* local stratum 8 takes over when unsynchronised */
    p.local = true;
    p.local_stratum = 8;
    disc_init(&r, &p, &t0, 1e6);
    disc_server_params(&r, &t100, &sp);
    assert_int_equal(sp.mode, DISC_LOCAL);
    assert_int_equal(sp.stratum, 8);
    assert_int_equal(sp.refid, NTP_REFID_LOCAL);
    assert_true(sp.root_delay == 0.0 && sp.root_dispersion == 0.0);
    disc_snapshot(&r, &t100, &snap);
    reference_params_at(&snap, &t100, &rp);
    assert_int_equal(rp.stratum, 8);
    assert_int_equal(rp.refid, NTP_REFID_LOCAL);
    assert_true(fabs(timespec_diff(&t100, &rp.ref_time) - 1.0) < 1e-9); /* now - 1 s */

    /* makestep 0.5 1: one step, then only slews */
    p.local = false;
    p.makestep = true;
    p.makestep_threshold = 0.5;
    p.makestep_limit = 1;
    disc_init(&r, &p, &t0, 1e6);
    in.offset = 2.0;
    disc_update(&r, &in, &t0, -0.1, &c);
    assert_true(fabs(c.step - 2.1) < 1e-12); /* the uncorrected -0.1 is cancelled */
    assert_true(fabs(c.offset + 0.1) < 1e-12);
    disc_update(&r, &in, &t100, 0.0, &c);
    assert_true(c.step == 0.0);
}

static void test_leap_days(void **state)
{
    (void)state;
    assert_true(disc_is_leap_day(1435665600));  /* 2015-06-30 12:00 */
    assert_true(disc_is_leap_day(1483185600));  /* 2016-12-31 12:00 */
    assert_false(disc_is_leap_day(1435752000)); /* 2015-07-01 12:00 */
}

/* ---- driftfile ---- */

static void test_driftfile(void **state)
{
    (void)state;
    char buf[64];
    double f, s;
    int n = driftfile_format(-12.345678, 0.123, buf, sizeof(buf));
    assert_int_equal(n, 42);
    assert_string_equal(buf, "          -12.345678             0.123000\n");
    assert_int_equal(driftfile_parse(buf, (size_t)n, &f, &s), DRIFTFILE_OK);
    assert_true(f == -12.345678 && s == 0.123);
    assert_int_equal(driftfile_parse("1.5 2", 5, &f, &s), DRIFTFILE_OK);
    assert_int_equal(driftfile_parse("", 0, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_parse("1.5", 3, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_parse("1.5 x", 5, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_parse("1.5 2 3", 7, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_parse("1.52", 4, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_parse("nan 1", 5, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_parse("600000 1", 8, &f, &s), DRIFTFILE_ERR_RANGE);
    assert_int_equal(driftfile_parse("1 -1", 4, &f, &s), DRIFTFILE_ERR_RANGE);
    assert_int_equal(driftfile_parse("1e999 1", 7, &f, &s), DRIFTFILE_ERR_FORMAT);
    memset(buf, ' ', sizeof(buf));
    assert_int_equal(driftfile_parse(buf, sizeof(buf) + 0, &f, &s), DRIFTFILE_ERR_FORMAT);
    assert_int_equal(driftfile_format(1.0, 1.0, buf, 10), -1);
}

/* ---- leap second table ---- */

static size_t put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

/* A minimal TZif v1 file with one type and the given leap records. */
static size_t tzif_v1(uint8_t *b, const int32_t *occ, const int32_t *corr, int n)
{
    memset(b, 0, 44);
    memcpy(b, "TZif", 4);
    put32(b + 28, (uint32_t)n); /* leapcnt */
    put32(b + 36, 1);           /* typecnt */
    put32(b + 40, 4);           /* charcnt */
    size_t o = 44;
    memset(b + o, 0, 6); /* ttinfo */
    o += 6;
    memcpy(b + o, "UTC", 4);
    o += 4;
    for (int i = 0; i < n; i++) {
        o += put32(b + o, (uint32_t)occ[i]);
        o += put32(b + o, (uint32_t)corr[i]);
    }
    return o;
}

static void test_leapsec_tzif(void **state)
{
    (void)state;
    uint8_t b[256];
    struct leapsec_table t;
    /* 1972-07-01 and 1973-01-01 (the second occurrence counts the first leap) */
    int32_t occ[2] = {78796800, 94694401}, corr[2] = {1, 2};
    size_t n = tzif_v1(b, occ, corr, 2);
    assert_int_equal(leapsec_parse_tzif(b, n, &t), LEAPSEC_OK);
    assert_int_equal(t.n, 2);
    assert_true(t.e[0].midnight == 78796800 && t.e[1].midnight == 94694400);
    assert_int_equal(t.e[1].tai_utc, 12);
    assert_int_equal(leapsec_at_end_of_day(&t, 94694400 - 3600), 1);
    assert_int_equal(leapsec_at_end_of_day(&t, 94694400 + 3600), 0);
    assert_int_equal(leapsec_tai_offset(&t, 94694400 + 3600), 12);
    assert_int_equal(leapsec_tai_offset(&t, 0), 10);
    /* every truncation is refused, never read past the end */
    for (size_t k = 0; k < n; k++)
        assert_int_not_equal(leapsec_parse_tzif(b, k, &t), LEAPSEC_OK);
    /* bad magic, a jump of 2 s, records out of order */
    b[0] = 'X';
    assert_int_equal(leapsec_parse_tzif(b, n, &t), LEAPSEC_ERR_MAGIC);
    int32_t corr2[2] = {1, 3};
    n = tzif_v1(b, occ, corr2, 2);
    assert_int_equal(leapsec_parse_tzif(b, n, &t), LEAPSEC_ERR_RECORDS);
    int32_t occ3[2] = {94694401, 78796800};
    n = tzif_v1(b, occ3, corr, 2);
    assert_int_equal(leapsec_parse_tzif(b, n, &t), LEAPSEC_ERR_RECORDS);
    n = tzif_v1(b, occ, corr, 0);
    assert_int_equal(leapsec_parse_tzif(b, n, &t), LEAPSEC_ERR_NONE);

    /* Version 4 with its 64-bit block and an expiry record (correction repeated). */
    {
        static const int64_t occ4[3] = {78796800, 94694401, 1483228802};
        static const int32_t corr4[3] = {1, 2, 2};
        size_t o = 0;
        for (int blk = 0; blk < 2; blk++) {
            size_t tsize = blk ? 8 : 4;
            memset(b + o, 0, 44);
            memcpy(b + o, "TZif4", 5);
            put32(b + o + 28, 3);
            put32(b + o + 36, 1);
            put32(b + o + 40, 4);
            o += 44;
            memset(b + o, 0, 6);
            memcpy(b + o + 6, "UTC", 4);
            o += 10;
            for (int i = 0; i < 3; i++) {
                if (tsize == 8)
                    o += put32(b + o, (uint32_t)(occ4[i] >> 32));
                o += put32(b + o, (uint32_t)occ4[i]);
                o += put32(b + o, (uint32_t)corr4[i]);
            }
        }
        assert_int_equal(leapsec_parse_tzif(b, o, &t), LEAPSEC_OK);
        assert_int_equal(t.n, 2);
        assert_true(t.expires == 1483228800);
    }

    /* The system's right/UTC, when installed: 27 leap seconds up to 2017-01-01. */
    FILE *f = fopen("/usr/share/zoneinfo/right/UTC", "rb");
    if (f) {
        static uint8_t big[65536];
        size_t len = fread(big, 1, sizeof(big), f);
        fclose(f);
        assert_int_equal(leapsec_parse_tzif(big, len, &t), LEAPSEC_OK);
        assert_int_equal(t.n, 27);
        assert_true(t.e[26].midnight == 1483228800);
        assert_int_equal(t.e[26].tai_utc, 37);
        assert_int_equal(leapsec_at_end_of_day(&t, 1483185600), 1); /* 2016-12-31 */
        assert_int_equal(leapsec_at_end_of_day(&t, 1435665600), 1); /* 2015-06-30 */
        assert_int_equal(leapsec_at_end_of_day(&t, 1435752000), 0);
    }
}

/* ---- configuration mapping and engine views ---- */

static void test_sync_conf(void **state)
{
    (void)state;
    struct tock_config c;
    memset(&c, 0, sizeof(c));
    c.maxupdateskew = 100.0; /* Debian's value */
    c.maxdistance = 3.0;
    c.minsources = 2;
    c.maxclockerror = 1.0;
    c.maxslewrate = 83333.333;
    c.maxdrift = 500000.0;
    c.maxjitter = 1.0;
    c.combinelimit = 3.0;
    c.reselectdist = 1e-4;
    c.stratumweight = 1e-3;
    c.corrtimeratio = 3.0;
    c.makestep_enabled = true;
    c.makestep_threshold = 1.0;
    c.makestep_limit = 3;
    c.local.enabled = true;
    c.local.stratum = 10;
    c.local.waitunsynced = -1.0;
    struct sync_params sp;
    sync_params_from_conf(&c, 2e-8, 1.0 / 65536, &sp);
    assert_true(fabs(sp.ref.max_update_skew - 1e-4) < 1e-15);
    assert_int_equal(sp.select.min_sources, 2);
    assert_true(sp.ref.makestep && sp.ref.makestep_limit == 3);
    assert_true(sp.precision == 2e-8);
    assert_true(fabs(sp.max_clock_error - 1e-6) < 1e-15);
    assert_true(sp.slew.freq_quantum_ppm == 1.0 / 65536);
    assert_true(sp.ref.local && sp.ref.local_stratum == 10);

    struct conf_source cs;
    memset(&cs, 0, sizeof(cs));
    cs.minpoll = 4;
    cs.maxpoll = 8;
    cs.polltarget = 8;
    cs.maxdelay = 3.0;
    cs.maxdelaydevratio = 10.0;
    cs.key = 5;
    cs.prefer = true;
    cs.iburst = true;
    struct ntpsrc_params np;
    unsigned opts;
    sync_source_params_from_conf(&cs, &np, &opts);
    assert_true(np.auth && np.iburst);
    assert_int_equal(np.minpoll, 4);
    assert_int_equal(np.version, 4);
    assert_int_equal(opts, SELECT_OPT_PREFER);
}

/* A name not resolved yet has nothing to send, even with iburst: it is never due and never
 * wakes the daemon up (a pool with fewer addresses than maxsources once did, in a loop). */
static void test_unresolved_iburst_source_is_never_due(void **state)
{
    (void)state;
    static struct sync_engine e;
    struct sync_params sp;
    sync_params_default(&sp);
    struct timespec raw = at(0);
    sync_init(&e, &sp, &raw);
    struct ntpsrc_params np;
    ntpsrc_params_default(&np);
    np.iburst = true;
    int b = sync_add_source(&e, &np, 0, NULL, &raw);
    assert_true(b >= 0);
    struct timespec later = at(10.0), when;
    assert_int_equal(sync_due_source(&e, &later), -1);
    if (sync_next_event(&e, &later, &when))
        assert_true(timespec_diff(&when, &later) > 0.0 || timespec_diff(&when, &raw) > 1.0);
    /* Once the name resolves, the iburst starts. */
    struct tock_ip ip = {.family = AF_INET, .addr = {198, 51, 100, 7}};
    sync_set_source_address(&e, b, &ip, &later);
    struct timespec soon = at(10.5);
    assert_int_equal(sync_due_source(&e, &soon), b);
}

static void test_engine_views(void **state)
{
    (void)state;
    static struct sync_engine e;
    struct sync_params sp;
    sync_params_default(&sp);
    sp.initial_freq_ppm = -7.5;
    sp.ref.local = true;
    sp.ref.local_stratum = 8;
    struct timespec raw = at(0);
    sync_init(&e, &sp, &raw);
    struct sync_clock_cmd cmd;
    sync_take_clock_cmd(&e, &cmd);
    assert_true(cmd.set_freq && cmd.freq_ppm == -7.5); /* the driftfile frequency */
    sync_take_clock_cmd(&e, &cmd);
    assert_false(cmd.set_freq); /* taken once */

    struct ntpsrc_params np;
    ntpsrc_params_default(&np);
    struct tock_ip ip = {.family = AF_INET, .addr = {198, 51, 100, 1}};
    int a = sync_add_source(&e, &np, 0, &ip, &raw);
    int b = sync_add_source(&e, &np, SELECT_OPT_NOSELECT, NULL, &raw); /* unresolved */
    assert_true(a >= 0 && b >= 0 && a != b);
    struct sync_source_view v;
    assert_true(sync_source_view(&e, a, &raw, &v));
    assert_int_equal(v.refid, 0xC6336401);
    assert_int_equal(v.state_char, '?');
    assert_true(v.online);
    assert_true(fabs(v.stats.skew_ppm - 2000.0) < 1e-9);
    assert_true(sync_source_view(&e, b, &raw, &v));
    assert_false(v.has_addr);
    assert_false(v.online);
    assert_false(sync_source_view(&e, 63, &raw, &v));

    /* first request 0.2 s after start, only from the resolved source */
    struct timespec when;
    assert_true(sync_next_event(&e, &raw, &when));
    assert_true(fabs(timespec_diff(&when, &raw) - 0.2) < 1e-9);
    assert_int_equal(sync_due_source(&e, &raw), -1);
    struct timespec t1 = at(0.3);
    assert_int_equal(sync_due_source(&e, &t1), a);
    uint8_t rnd[8] = {1}, out[48];
    assert_int_equal(sync_transmit(&e, a, &t1, rnd, out), 48);
    assert_int_equal(sync_due_source(&e, &t1), -1);
    assert_int_equal(sync_transmit(&e, b, &t1, rnd, out), 0);

    /* unsynchronised with a local reference: stratum 8 served */
    struct disc_server_params rp;
    sync_server_params(&e, &t1, &rp);
    assert_int_equal(rp.mode, DISC_LOCAL);
    assert_int_equal(rp.stratum, 8);
    struct disc_tracking tr;
    sync_tracking(&e, &t1, &tr);
    assert_int_equal(tr.ref_id, NTP_REFID_LOCAL);
    assert_true(tr.freq_ppm == -7.5);

    double f, sk;
    assert_false(sync_driftfile_due(&e, &f, &sk)); /* no clock update yet */
    sync_driftfile_values(&e, &f, &sk);
    assert_true(f == -7.5);

    /* chronyc makestep: a 0.3 s slew in progress becomes one step */
    slew_accrue_offset(&e.slew, &t1, 0.3, 0.0);
    sync_take_clock_cmd(&e, &cmd);
    double corr = sync_correction(&e, &t1);
    assert_true(fabs(corr + 0.3) < 1e-12);
    sync_make_step(&e, &t1);
    sync_take_clock_cmd(&e, &cmd);
    assert_true(cmd.step);
    assert_true(fabs(cmd.step_offset - 0.3) < 1e-12); /* 0.3 s ahead: step back 0.3 s */
    assert_true(fabs(sync_correction(&e, &t1)) < 1e-12);
    assert_true(cmd.set_freq && fabs(cmd.freq_ppm + 7.5) < 1e-9); /* slew over */

    sync_remove_source(&e, a);
    assert_false(sync_source_view(&e, a, &raw, &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slew_fast_offset),
        cmocka_unit_test(test_slew_rate_and_quantum),
        cmocka_unit_test(test_vclock_freq_step_leap),
        cmocka_unit_test(test_regression_line),
        cmocka_unit_test(test_regression_drops_old_points),
        cmocka_unit_test(test_critical_runs),
        cmocka_unit_test(test_t_coef),
        cmocka_unit_test(test_multiple_regress),
        cmocka_unit_test(test_srcstats_empty_and_accumulate),
        cmocka_unit_test(test_ntpsrc_exchange),
        cmocka_unit_test(test_ntpsrc_auth_unreach_kod),
        cmocka_unit_test(test_ntpsrc_loop_and_delay),
        cmocka_unit_test(test_select_falseticker),
        cmocka_unit_test(test_select_options),
        cmocka_unit_test(test_reference_params_and_refid),
        cmocka_unit_test(test_leap_days),
        cmocka_unit_test(test_driftfile),
        cmocka_unit_test(test_leapsec_tzif),
        cmocka_unit_test(test_sync_conf),
        cmocka_unit_test(test_engine_views),
        cmocka_unit_test(test_unresolved_iburst_source_is_never_due),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
