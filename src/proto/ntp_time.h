/* NTP 64-bit timestamps and 32-bit short formats (RFC 5905 section 6).
 *
 * A timestamp on the wire is 32 bits of seconds since 1900 plus 32 bits of fraction, with
 * no era number. Converting to a struct timespec therefore needs a pivot: the era is chosen
 * so that the result lies within +-2^31 s (about 68 years) of the pivot. With the current
 * time as the pivot this stays right across the 2036 rollover (era 0 -> era 1).
 */
#ifndef TOCK_PROTO_NTP_TIME_H
#define TOCK_PROTO_NTP_TIME_H

#include <stdint.h>
#include <time.h>

/* Seconds from 1900-01-01 to 1970-01-01. */
#define NTP_UNIX_EPOCH_OFFSET 2208988800LL

typedef uint64_t ntp_ts; /* seconds << 32 | fraction, host byte order */

/* timespec -> NTP, fraction rounded to nearest (a carry moves into the seconds). Times
 * before 1900 or in any era map modulo 2^32 s. */
ntp_ts ntp_ts_from_timespec(const struct timespec *ts);

/* NTP -> timespec, the era chosen closest to pivot; nanoseconds rounded to nearest. */
struct timespec ntp_ts_to_timespec(ntp_ts ts, time_t pivot);

/* b - a in seconds, for two timestamps within 68 years of each other (era-safe: the
 * difference is taken modulo 2^64 and read as signed 32.32 fixed point). */
double ntp_ts_diff(ntp_ts b, ntp_ts a);

/* a + seconds (may be negative), modulo 2^64. */
ntp_ts ntp_ts_add(ntp_ts a, double seconds);

/* 16.16 unsigned "short" format of root delay and dispersion. Encoding rounds up (a
 * dispersion must never be under-reported) and saturates at 0xFFFFFFFF; negative -> 0. */
double ntp_short_to_double(uint32_t v);
uint32_t ntp_short_from_double(double seconds);

/* struct timespec arithmetic used everywhere time is handled. */
double timespec_diff(const struct timespec *b, const struct timespec *a); /* b - a, s */
struct timespec timespec_add(const struct timespec *a, double seconds);
int timespec_cmp(const struct timespec *a, const struct timespec *b);

#endif
