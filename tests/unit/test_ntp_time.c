/* Unit tests for src/proto/ntp_time.c: conversions, rounding and the 2036 era rollover. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "proto/ntp_time.h"

/* 2036-02-07 06:28:16 UTC is NTP second 2^32: era 1 begins. */
#define ERA1_UNIX 2085978496LL

static void epoch_values(void **state)
{
    (void)state;
    struct timespec ts = {0, 0};
    /* The Unix epoch is NTP second 2208988800 = 0x83AA7E80. */
    assert_int_equal(ntp_ts_from_timespec(&ts), 0x83AA7E80ULL << 32);
    ts.tv_sec = ERA1_UNIX;
    assert_int_equal(ntp_ts_from_timespec(&ts), 0); /* era 1, second 0 */
    ts.tv_sec = ERA1_UNIX - 1;
    assert_int_equal(ntp_ts_from_timespec(&ts) >> 32, 0xffffffffULL);
}

static void fraction_rounding(void **state)
{
    (void)state;
    struct timespec ts = {1000, 500000000};
    assert_int_equal(ntp_ts_from_timespec(&ts) & 0xffffffffULL, 0x80000000ULL);
    /* 1 ns = 4.294967296 units: rounds to 4. */
    ts.tv_nsec = 1;
    assert_int_equal(ntp_ts_from_timespec(&ts) & 0xffffffffULL, 4);
    /* 999999999.9 ns would round past the second: the carry goes into the seconds. */
    ts.tv_nsec = 999999999;
    ntp_ts t = ntp_ts_from_timespec(&ts);
    /* 0.999999999 * 2^32 = 4294967291.99 -> 4294967292, no carry yet. */
    assert_int_equal(t & 0xffffffffULL, 4294967292ULL);
    /* Fraction 0xffffffff is 0.99999999977 s: back to 1000000000 ns, so a carry. */
    struct timespec back =
        ntp_ts_to_timespec(((uint64_t)(2208988800ULL + 5) << 32) | 0xffffffffULL, 0);
    assert_int_equal(back.tv_sec, 6);
    assert_int_equal(back.tv_nsec, 0);
}

static void round_trip_every_nanosecond_class(void **state)
{
    (void)state;
    /* Every nanosecond value survives a round trip (2^32 units per second > 1e9). */
    for (long ns = 0; ns < 1000000000L; ns += 999983) {
        struct timespec ts = {1700000000, ns};
        struct timespec back = ntp_ts_to_timespec(ntp_ts_from_timespec(&ts), 1700000000);
        assert_int_equal(back.tv_sec, ts.tv_sec);
        assert_int_equal(back.tv_nsec, ts.tv_nsec);
    }
}

static void era_selection_across_2036(void **state)
{
    (void)state;
    /* A time just after the rollover, read with a pivot just before it (and vice versa),
     * lands in the right era. */
    struct timespec after = {ERA1_UNIX + 10, 250000000};
    struct timespec before = {ERA1_UNIX - 10, 750000000};
    ntp_ts t_after = ntp_ts_from_timespec(&after);
    ntp_ts t_before = ntp_ts_from_timespec(&before);
    struct timespec r = ntp_ts_to_timespec(t_after, ERA1_UNIX - 3600);
    assert_int_equal(r.tv_sec, after.tv_sec);
    assert_int_equal(r.tv_nsec, after.tv_nsec);
    r = ntp_ts_to_timespec(t_before, ERA1_UNIX + 3600);
    assert_int_equal(r.tv_sec, before.tv_sec);
    /* Era 0 time with a 2026 pivot, era 1 time with a 2040 pivot. */
    struct timespec y2026 = {1795685770, 618257231};
    r = ntp_ts_to_timespec(ntp_ts_from_timespec(&y2026), 1795685000);
    assert_int_equal(r.tv_sec, y2026.tv_sec);
    assert_int_equal(r.tv_nsec, y2026.tv_nsec);
    struct timespec y2040 = {2208988800LL, 1};
    r = ntp_ts_to_timespec(ntp_ts_from_timespec(&y2040), 2208000000LL);
    assert_int_equal(r.tv_sec, y2040.tv_sec);
    assert_int_equal(r.tv_nsec, 1);
    /* The difference of two timestamps across the rollover is small and signed. */
    assert_true(fabs(ntp_ts_diff(t_after, t_before) - 19.5) < 1e-9);
    assert_true(fabs(ntp_ts_diff(t_before, t_after) + 19.5) < 1e-9);
}

static void add_and_short_format(void **state)
{
    (void)state;
    struct timespec ts = {ERA1_UNIX - 1, 0};
    ntp_ts t = ntp_ts_add(ntp_ts_from_timespec(&ts), 1.5);
    assert_int_equal(t, 0x80000000ULL);
    assert_true(fabs(ntp_short_to_double(0x00010000) - 1.0) < 1e-12);
    assert_int_equal(ntp_short_from_double(1.0), 0x00010000);
    /* Rounds up: a dispersion is never under-reported. */
    assert_int_equal(ntp_short_from_double(1e-9), 1);
    assert_int_equal(ntp_short_from_double(0.0), 0);
    assert_int_equal(ntp_short_from_double(-3.0), 0);
    assert_int_equal(ntp_short_from_double(NAN), 0);
    assert_int_equal(ntp_short_from_double(1e9), 0xffffffffU);
}

static void timespec_helpers(void **state)
{
    (void)state;
    struct timespec a = {10, 900000000}, b = {12, 100000000};
    assert_true(fabs(timespec_diff(&b, &a) - 1.2) < 1e-12);
    struct timespec c = timespec_add(&a, -0.95);
    assert_int_equal(c.tv_sec, 9);
    assert_int_equal(c.tv_nsec, 950000000);
    c = timespec_add(&a, 0.2);
    assert_int_equal(c.tv_sec, 11);
    assert_int_equal(c.tv_nsec, 100000000);
    assert_int_equal(timespec_cmp(&a, &b), -1);
    assert_int_equal(timespec_cmp(&b, &a), 1);
    assert_int_equal(timespec_cmp(&a, &a), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(epoch_values),
        cmocka_unit_test(fraction_rounding),
        cmocka_unit_test(round_trip_every_nanosecond_class),
        cmocka_unit_test(era_selection_across_2036),
        cmocka_unit_test(add_and_short_format),
        cmocka_unit_test(timespec_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
