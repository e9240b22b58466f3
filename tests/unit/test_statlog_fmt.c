/* The statistics log formats against lines a real chronyd 4.3 (-x) wrote: the same
 * values must give the same characters. The expected lines are copied from chronyd's
 * measurements.log, statistics.log, tracking.log and selection.log of a live run
 * (2026-11-26, a client of a `local stratum 8` chronyd, `logbanner 5`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/statlog_fmt.h"

#define T_11_58_50 1795694330 /* 2026-11-26 11:58:50 UTC */

static const struct tock_ip localhost4 = {.family = AF_INET, .addr = {127, 0, 0, 1}};

static void test_headers_and_banner(void **state)
{
    (void)state;
    /* The '=' rows chronyd wrote are as long as each header: 136, 116, 131, 87. */
    assert_int_equal(strlen(statlog_header(STATLOG_MEASUREMENTS)), 136);
    assert_int_equal(strlen(statlog_header(STATLOG_STATISTICS)), 116);
    assert_int_equal(strlen(statlog_header(STATLOG_TRACKING)), 131);
    assert_int_equal(strlen(statlog_header(STATLOG_SELECTION)), 87);
    assert_string_equal(statlog_header(STATLOG_SELECTION),
                        "   Date (UTC) Time     IP Address   S EOpts Reach Score Last sample  "
                        "Low end   High end");
    assert_string_equal(statlog_name(STATLOG_MEASUREMENTS), "measurements");
    assert_string_equal(statlog_name(STATLOG_TRACKING), "tracking");

    char buf[512];
    size_t n = statlog_banner(STATLOG_SELECTION, buf, sizeof(buf));
    assert_int_equal(n, 3 * 88);
    char row[88];
    memset(row, '=', 87);
    row[87] = '\0';
    char want[400];
    snprintf(want, sizeof(want), "%s\n%s\n%s\n", row, statlog_header(STATLOG_SELECTION), row);
    assert_string_equal(buf, want);
    assert_int_equal(statlog_banner(STATLOG_SELECTION, buf, 3 * 88), 0); /* no room for NUL */

    /* logbanner 5: before lines 0, 5, 10 ...; 0 = never */
    assert_true(statlog_banner_due(0, 5));
    assert_false(statlog_banner_due(4, 5));
    assert_true(statlog_banner_due(5, 5));
    assert_true(statlog_banner_due(10, 5));
    assert_false(statlog_banner_due(0, 0));
    assert_true(statlog_banner_due(31, 1));
}

static void test_measurement_line(void **state)
{
    (void)state;
    struct ntpsrc_measurement m = {
        .time = {T_11_58_50, 123456789},
        .leap = 0,
        .stratum = 8,
        .remote_poll = 0,
        .mode = 4,
        .tests = 0x3ff,
        .synced = true,
        .local_poll = -2,
        .poll_score = 1.0,
        .offset = -1.743e-06,
        .peer_delay = 6.673e-06,
        .peer_dispersion = 1.220e-07,
        .root_delay = 0.0,
        .root_dispersion = 0.0,
        .ref_id = 0x7F7F0101,
    };
    char buf[STATLOG_LINE_MAX];
    size_t n = statlog_measurement(buf, sizeof(buf), &localhost4, &m, 'K', 'K');
    assert_string_equal(buf, "2026-11-26 11:58:50 127.0.0.1       N  8 111 111 1111  -2  0 1.00 "
                             "-1.743e-06  6.673e-06  1.220e-07  0.000e+00  0.000e+00 7F7F0101 4B "
                             "K K\n");
    assert_int_equal(n, 137);
    /* a duplicate from a stratum-2 server: tests 2 and 3 failed, score 0.34, daemon TX */
    m.tests = 0x3ff & ~0x180 & ~0xf;
    m.leap = 3;
    m.stratum = 2;
    m.local_poll = 6;
    m.remote_poll = 10;
    m.poll_score = 0.34;
    m.offset = m.peer_delay = m.peer_dispersion = 0.0;
    m.root_delay = 0.5;
    m.ref_id = 0x47505300;
    statlog_measurement(buf, sizeof(buf), &localhost4, &m, 'D', 'K');
    assert_string_equal(buf, "2026-11-26 11:58:50 127.0.0.1       ?  2 100 111 0000   6 10 0.34 "
                             " 0.000e+00  0.000e+00  0.000e+00  5.000e-01  0.000e+00 47505300 4B "
                             "D K\n");
    /* too small a buffer: nothing */
    assert_int_equal(statlog_measurement(buf, 100, &localhost4, &m, 'D', 'K'), 0);
    assert_string_equal(buf, "");
}

static void test_statistics_line(void **state)
{
    (void)state;
    struct sync_event_statistics s = {
        .time = {T_11_58_50, 0},
        .std_dev = 1.915e-07,
        .est_offset = 1.963e-06,
        .est_offset_sd = 2.180e-07,
        .est_freq = 1.457e-06,
        .skew = 1.363e-03,
        .stress = 7.3e-04,
        .n_samples = 3,
        .best_start = 0,
        .n_runs = 3,
        .asymmetry = 0.0,
    };
    char buf[STATLOG_LINE_MAX];
    assert_int_equal(statlog_statistics(buf, sizeof(buf), &localhost4, &s), 117);
    assert_string_equal(buf,
                        "2026-11-26 11:58:50 127.0.0.1        1.915e-07  1.963e-06  2.180e-07  "
                        "1.457e-06  1.363e-03 7.3e-04   3   0   3  0.00\n");
    /* negative values and a long IPv6 address (it pushes the columns right, as chronyd) */
    struct tock_ip v6 = {
        .family = AF_INET6,
        .addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x23}};
    s.est_offset = -3.171e-06;
    s.est_freq = -2.835e-06;
    s.asymmetry = -0.25;
    s.n_samples = 64;
    s.best_start = 12;
    s.n_runs = 10;
    statlog_statistics(buf, sizeof(buf), &v6, &s);
    assert_string_equal(buf, "2026-11-26 11:58:50 2001:db8::123    1.915e-07 -3.171e-06  2.180e-07 "
                             "-2.835e-06  1.363e-03 7.3e-04  64  12  10 -0.25\n");
}

static void test_tracking_line(void **state)
{
    (void)state;
    struct sync_event_tracking t = {
        .time = {T_11_58_50, 0},
        .ref_id = 0x7F000001,
        .ip = localhost4,
        .stratum = 9,
        .freq_ppm = 1.571,
        .skew_ppm = 31.074,
        .offset = 1.131e-07,
        .leap = 0,
        .combined = 1,
        .offset_sd = 1.430e-07,
        .remaining_correction = -1.963e-06,
        .root_delay = 7.929e-06,
        .root_dispersion = 1.542e-05,
        .max_error = 1.606e-01,
    };
    char buf[STATLOG_LINE_MAX];
    assert_int_equal(statlog_tracking(buf, sizeof(buf), &t), 132);
    assert_string_equal(buf,
                        "2026-11-26 11:58:50 127.0.0.1        9      1.571     31.074  1.131e-07 "
                        "N  1  1.430e-07 -1.963e-06  7.929e-06  1.542e-05  1.606e-01\n");
    /* chronyd's first line: unsynchronised, 0.0.0.0, skew unknown (1e6 ppm) */
    struct sync_event_tracking u = {
        .time = {T_11_58_50 - 1, 0},
        .ip = {.family = AF_INET},
        .skew_ppm = 1e6,
        .leap = 3,
        .remaining_correction = -0.0,
        .root_delay = 1.0,
        .root_dispersion = 1.0,
        .max_error = 1.5,
    };
    statlog_tracking(buf, sizeof(buf), &u);
    assert_string_equal(buf, "2026-11-26 11:58:49 0.0.0.0          0      0.000 1000000.000  "
                             "0.000e+00 ?  0  0.000e+00 -0.000e+00  1.000e+00  1.000e+00  "
                             "1.500e+00\n");
    /* a reference without an address is named by its refid's printable characters */
    t.ip.family = AF_UNSPEC;
    t.ref_id = 0x47505300; /* "GPS\0" */
    t.leap = 1;
    statlog_tracking(buf, sizeof(buf), &t);
    assert_memory_equal(buf, "2026-11-26 11:58:50 GPS              9 ", 39);
    assert_non_null(strstr(buf, " + "));
}

static void test_selection_line(void **state)
{
    (void)state;
    struct sync_event_selection s = {
        .time = {T_11_58_50, 0},
        .letter = '*',
        .options = 0,
        .reach = 017,
        .score = 1.0,
        .last_sample_ago = 5.381e-05,
        .lo_limit = -3.956e-06,
        .hi_limit = 4.205e-06,
    };
    char buf[STATLOG_LINE_MAX];
    assert_int_equal(statlog_selection(buf, sizeof(buf), &localhost4, &s), 88);
    assert_string_equal(buf, "2026-11-26 11:58:50 127.0.0.1       * -----   17  1.00  5.381e-05 "
                             "-3.956e-06  4.205e-06\n");
    /* options are shown N P T R in that order; reach is octal */
    s.letter = 'M';
    s.options = SELECT_OPT_NOSELECT | SELECT_OPT_TRUST;
    s.reach = 0377;
    s.score = 12.5;
    statlog_selection(buf, sizeof(buf), &localhost4, &s);
    assert_memory_equal(buf, "2026-11-26 11:58:50 127.0.0.1       M -N-T-  377 12.50 ", 55);
}

static void test_time_format(void **state)
{
    (void)state;
    char buf[32];
    statlog_time(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01 00:00:00");
    statlog_time(1262304000, buf, sizeof(buf)); /* the simulator's epoch */
    assert_string_equal(buf, "2010-01-01 00:00:00");
    statlog_time(951782400, buf, sizeof(buf)); /* a leap day */
    assert_string_equal(buf, "2000-02-29 00:00:00");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_and_banner), cmocka_unit_test(test_measurement_line),
        cmocka_unit_test(test_statistics_line),    cmocka_unit_test(test_tracking_line),
        cmocka_unit_test(test_selection_line),     cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
