#include "proto/ntp_time.h"

#include <math.h>

#define FRAC_PER_SEC 4294967296.0 /* 2^32 */

ntp_ts ntp_ts_from_timespec(const struct timespec *ts)
{
    /* (nsec << 32) / 1e9 fits easily in 64 bits since nsec < 2^30. */
    uint64_t nsec = (uint64_t)ts->tv_nsec;
    uint64_t frac = ((nsec << 32) + 500000000ULL) / 1000000000ULL;
    uint64_t sec = (uint64_t)((int64_t)ts->tv_sec + NTP_UNIX_EPOCH_OFFSET);
    if (frac >= (1ULL << 32)) { /* rounding carried into the next second */
        frac -= 1ULL << 32;
        sec += 1;
    }
    return ((sec & 0xffffffffULL) << 32) | frac;
}

struct timespec ntp_ts_to_timespec(ntp_ts ts, time_t pivot)
{
    struct timespec out;
    uint32_t sec32 = (uint32_t)(ts >> 32);
    uint64_t frac = ts & 0xffffffffULL;
    /* Seconds since 1900 of the pivot, then the wire seconds placed in the era that puts
     * them nearest to it: the signed 32-bit difference does exactly that. */
    int64_t pivot_ntp = (int64_t)pivot + NTP_UNIX_EPOCH_OFFSET;
    int32_t delta = (int32_t)(sec32 - (uint32_t)pivot_ntp);
    int64_t sec_ntp = pivot_ntp + delta;
    uint64_t nsec = (frac * 1000000000ULL + (1ULL << 31)) >> 32;
    if (nsec >= 1000000000ULL) {
        nsec -= 1000000000ULL;
        sec_ntp += 1;
    }
    out.tv_sec = (time_t)(sec_ntp - NTP_UNIX_EPOCH_OFFSET);
    out.tv_nsec = (long)nsec;
    return out;
}

double ntp_ts_diff(ntp_ts b, ntp_ts a)
{
    int64_t d = (int64_t)(b - a);
    return (double)d / FRAC_PER_SEC;
}

ntp_ts ntp_ts_add(ntp_ts a, double seconds)
{
    double scaled = seconds * FRAC_PER_SEC;
    int64_t d = (int64_t)llround(scaled);
    return a + (uint64_t)d;
}

double ntp_short_to_double(uint32_t v)
{
    return v / 65536.0;
}

uint32_t ntp_short_from_double(double seconds)
{
    if (!(seconds > 0.0)) /* also catches NaN */
        return 0;
    double r = ceil(seconds * 65536.0);
    if (r >= 4294967295.0)
        return 0xffffffffU;
    return (uint32_t)r;
}

double timespec_diff(const struct timespec *b, const struct timespec *a)
{
    return (double)(b->tv_sec - a->tv_sec) + (b->tv_nsec - a->tv_nsec) * 1e-9;
}

struct timespec timespec_add(const struct timespec *a, double seconds)
{
    struct timespec out;
    double whole = floor(seconds);
    long nsec = a->tv_nsec + (long)llround((seconds - whole) * 1e9);
    out.tv_sec = a->tv_sec + (time_t)whole;
    while (nsec >= 1000000000L) {
        nsec -= 1000000000L;
        out.tv_sec++;
    }
    while (nsec < 0) {
        nsec += 1000000000L;
        out.tv_sec--;
    }
    out.tv_nsec = nsec;
    return out;
}

int timespec_cmp(const struct timespec *a, const struct timespec *b)
{
    if (a->tv_sec != b->tv_sec)
        return a->tv_sec < b->tv_sec ? -1 : 1;
    if (a->tv_nsec != b->tv_nsec)
        return a->tv_nsec < b->tv_nsec ? -1 : 1;
    return 0;
}
