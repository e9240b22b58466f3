#include "sync/discipline.h"

#include <math.h>
#include <nettle/md5.h>
#include <string.h>

#include "proto/ntp_packet.h"

#define MIN_SKEW          1.0e-12
#define SECS_PER_DAY      86400
#define LEAP_SECOND_CLOSE 5
/* The local reference's reference time is refreshed when older than this. */
#define LOCAL_REF_REFRESH 64.0

void disc_params_default(struct disc_params *p)
{
    memset(p, 0, sizeof(*p));
    p->max_update_skew = 1000e-6;
    p->corr_time_ratio = 3.0;
    p->makestep = false;
    p->max_clock_error = 1e-6;
    p->precision = 1e-9;
    p->local_stratum = 10;
    p->local_distance = 1.0;
    p->local_waitunsynced = -1.0;
}

void disc_init(struct disc_state *r, const struct disc_params *p, const struct timespec *start,
               double initial_skew_ppm)
{
    memset(r, 0, sizeof(*r));
    r->p = *p;
    r->synchronised = false;
    r->stratum = 16;
    r->leap = NTP_LEAP_UNSYNC;
    r->skew = initial_skew_ppm * 1e-6;
    if (!(r->skew >= MIN_SKEW)) /* also NaN */
        r->skew = MIN_SKEW;
    if (initial_skew_ppm >= 1e6 || initial_skew_ppm <= 0.0)
        r->skew = 1.0; /* unknown: the first measured frequency takes over */
    r->root_delay = 1.0;
    r->root_dispersion = 1.0;
    r->makestep_left = p->makestep ? p->makestep_limit : 0;
    r->start_time = *start;
    r->unsync_since = *start;
    r->activated = p->local_activate <= 0.0;
    r->ref_ip.family = 0;
}

static double sq(double x)
{
    return x * x;
}

/* Combine the frequency measured by the sources with the one the clock already runs at
 * (the current frequency is the reference, so its frequency error is 0 with our skew):
 * a Kalman-style gain from the two skews. */
static void clock_estimates(const struct disc_state *r, double measured_freq, double measured_skew,
                            double *freq, double *skew, double *resid)
{
    double expected_freq = 0.0, expected_skew = r->skew, gain;
    if (fabs(measured_skew) > r->p.max_update_skew)
        gain = 0.0; /* too unreliable to touch the frequency */
    else
        gain = 3.0 * sq(expected_skew) / (3.0 * sq(expected_skew) + sq(measured_skew));
    if (gain < 0.0)
        gain = 0.0;
    if (gain > 1.0)
        gain = 1.0;
    *freq = expected_freq + gain * (measured_freq - expected_freq);
    *resid = measured_freq - *freq;
    double extra =
        sqrt(sq(expected_freq - *freq) * (1.0 - gain) + sq(measured_freq - *freq) * gain);
    *skew = expected_skew + gain * (measured_skew - expected_skew) + extra;
}

static bool step_allowed(struct disc_state *r, double offset, double uncorrected)
{
    if (!r->p.makestep || r->makestep_left == 0)
        return false;
    if (r->makestep_left > 0)
        r->makestep_left--;
    return fabs(offset - uncorrected) > r->p.makestep_threshold;
}

bool disc_is_leap_day(time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return false;
    return (tm.tm_mon == 5 && tm.tm_mday == 30) || (tm.tm_mon == 11 && tm.tm_mday == 31);
}

bool disc_leap_close(const struct disc_state *r, const struct timespec *now)
{
    if (!r->leap_sec)
        return false;
    long long t = now->tv_sec >= 0 ? (long long)now->tv_sec : -(long long)now->tv_sec;
    return (t + LEAP_SECOND_CLOSE) % SECS_PER_DAY < 2 * LEAP_SECOND_CLOSE;
}

bool disc_leap_time(const struct disc_state *r, const struct timespec *now, struct timespec *at)
{
    if (!r->leap_sec)
        return false;
    time_t midnight = (now->tv_sec / SECS_PER_DAY + 1) * SECS_PER_DAY;
    at->tv_sec = r->leap_sec < 0 ? midnight - 1 : midnight;
    at->tv_nsec = 0;
    return true;
}

void disc_set_leap_in_progress(struct disc_state *r, bool in_progress)
{
    r->leap_in_progress = in_progress;
    if (!in_progress) {
        r->leap_sec = 0;
        if (r->leap == NTP_LEAP_INSERT || r->leap == NTP_LEAP_DELETE)
            r->leap = NTP_LEAP_NONE;
    }
}

static void update_leap(struct disc_state *r, int leap, const struct timespec *now)
{
    int leap_sec = 0;
    if (leap == NTP_LEAP_INSERT || leap == NTP_LEAP_DELETE) {
        if (disc_is_leap_day(now->tv_sec))
            leap_sec = leap == NTP_LEAP_INSERT ? 1 : -1;
        else
            leap = NTP_LEAP_NONE;
    }
    /* Do not change plans in the last seconds before the leap or while it happens. */
    if (leap_sec != r->leap_sec && !disc_leap_close(r, now) && !r->leap_in_progress)
        r->leap_sec = leap_sec;
    r->leap = leap;
}

static double root_dispersion_at(const struct disc_state *r, const struct timespec *now)
{
    if (!r->has_update)
        return 1.0;
    return r->root_dispersion + fabs(timespec_diff(now, &r->ref_time)) *
                                    (r->skew + fabs(r->residual_freq) + r->p.max_clock_error);
}

double disc_root_distance(const struct disc_state *r, const struct timespec *now)
{
    return r->root_delay / 2.0 + root_dispersion_at(r, now);
}

void disc_update(struct disc_state *r, const struct disc_update_input *in,
                 const struct timespec *now, double uncorrected, struct disc_correction *out)
{
    memset(out, 0, sizeof(*out));
    double skew = in->skew < MIN_SKEW ? MIN_SKEW : in->skew;
    if (!isfinite(skew) || !isfinite(in->offset) || !isfinite(in->frequency))
        return;

    double elapsed = timespec_diff(now, &in->ref_time);
    double offset = in->offset + elapsed * in->frequency;
    double offset_sd = in->offset_sd + elapsed * in->frequency_sd;

    double interval = 0.0;
    if (r->has_update) {
        interval = timespec_diff(now, &r->last_update);
        if (interval < 0.0)
            interval = 0.0;
    }

    double freq, new_skew, resid;
    clock_estimates(r, in->frequency, skew, &freq, &new_skew, &resid);

    bool was_synchronised = r->synchronised;
    r->synchronised = in->leap != NTP_LEAP_UNSYNC;
    r->stratum = in->stratum + 1;
    r->refid = in->refid;
    if (in->ip)
        r->ref_ip = *in->ip;
    else
        memset(&r->ref_ip, 0, sizeof(r->ref_ip));
    r->ref_time = in->ref_time;
    r->skew = new_skew;
    r->residual_freq = resid;
    r->root_delay = in->root_delay;
    r->root_dispersion = in->root_dispersion;
    r->last_update = *now;
    r->has_update = true;
    r->last_update_interval = interval;
    r->last_offset = offset;
    r->updates++;
    if (!was_synchronised && r->synchronised)
        r->unsync_since = (struct timespec){0, 0};

    /* The correction rate: an offset of one standard deviation is corrected in
     * corrtimeratio update intervals (the slew controller turns it into a duration). */
    out->corr_rate = r->p.corr_time_ratio * 0.5 * offset_sd * interval;
    if (step_allowed(r, offset, uncorrected)) {
        out->offset = uncorrected; /* cancels the slew in progress */
        out->step = offset - uncorrected;
    } else {
        out->offset = offset;
    }
    out->dfreq = freq;

    update_leap(r, in->leap, now);
    if (r->p.local_activate > 0.0 && r->root_delay / 2.0 + r->root_dispersion < r->p.local_activate)
        r->activated = true;

    r->drift_age += interval;

    if (r->avg2_moving) {
        r->avg2_offset += 0.1 * (sq(offset) - r->avg2_offset);
    } else {
        if (r->avg2_offset > 0.0 && r->avg2_offset < sq(offset))
            r->avg2_moving = true;
        r->avg2_offset = sq(offset);
    }
}

static void adjust_time(struct timespec *t, const struct timespec *when, double dfreq,
                        double doffset)
{
    if (t->tv_sec == 0 && t->tv_nsec == 0)
        return;
    *t = timespec_add(t, timespec_diff(when, t) * dfreq - doffset);
}

void disc_slew(struct disc_state *r, const struct timespec *when, double dfreq, double doffset)
{
    adjust_time(&r->ref_time, when, dfreq, doffset);
    if (r->has_update)
        adjust_time(&r->last_update, when, dfreq, doffset);
}

void disc_set_unsynchronised(struct disc_state *r, const struct timespec *now)
{
    if (r->synchronised)
        r->unsync_since = *now;
    r->synchronised = false;
    r->stratum = 16;
    update_leap(r, NTP_LEAP_UNSYNC, now);
    r->leap = NTP_LEAP_UNSYNC;
}

static double waitunsynced(const struct disc_params *p)
{
    if (p->local_waitunsynced >= 0.0)
        return p->local_waitunsynced;
    return p->local_orphan ? 300.0 : 0.0;
}

static bool local_usable(const struct disc_state *r, const struct timespec *now)
{
    if (!r->p.local || !r->activated)
        return false;
    if (r->has_update && r->p.local_waitsynced > 0.0 &&
        timespec_diff(now, &r->last_update) < r->p.local_waitsynced)
        return false;
    double wu = waitunsynced(&r->p);
    if (wu > 0.0) {
        const struct timespec *since =
            r->unsync_since.tv_sec || r->unsync_since.tv_nsec ? &r->unsync_since : now;
        if (!r->synchronised && timespec_diff(now, since) < wu)
            return false;
    }
    return true;
}

void disc_server_params(struct disc_state *r, const struct timespec *now,
                        struct disc_server_params *out)
{
    double disp = r->synchronised ? root_dispersion_at(r, now) : 0.0;
    bool too_far = r->p.local && r->root_delay / 2.0 + disp > r->p.local_distance;

    if (r->synchronised && !(too_far && local_usable(r, now))) {
        out->mode = DISC_SYNCED;
        out->leap = r->leap_in_progress ? NTP_LEAP_UNSYNC : r->leap;
        out->stratum = r->stratum < 16 ? r->stratum : 0;
        out->refid = r->refid;
        out->ref_ts = ntp_ts_from_timespec(&r->ref_time);
        out->root_delay = r->root_delay;
        out->root_dispersion = disp;
    } else if (local_usable(r, now)) {
        out->mode = DISC_LOCAL;
        out->leap = NTP_LEAP_NONE;
        out->stratum = r->p.local_stratum;
        out->refid = NTP_REFID_LOCAL;
        /* now - 1 s, kept for a while so that it does not reveal the exact time */
        if (!r->has_local_ref_time || timespec_diff(now, &r->local_ref_time) > LOCAL_REF_REFRESH ||
            timespec_diff(now, &r->local_ref_time) < 0.0) {
            r->local_ref_time = *now;
            r->local_ref_time.tv_sec -= 1;
            r->has_local_ref_time = true;
        }
        out->ref_ts = ntp_ts_from_timespec(&r->local_ref_time);
        out->root_delay = 0.0;
        out->root_dispersion = 0.0;
    } else {
        out->mode = DISC_UNSYNC;
        out->leap = NTP_LEAP_UNSYNC;
        out->stratum = 0;
        out->refid = 0;
        out->ref_ts = 0;
        out->root_delay = 1.0;
        out->root_dispersion = 1.0;
    }
}

void disc_snapshot(struct disc_state *r, const struct timespec *now, struct reference_snapshot *out)
{
    struct disc_server_params sp;
    disc_server_params(r, now, &sp);
    memset(out, 0, sizeof(*out));
    out->leap = (uint8_t)sp.leap;
    out->stratum = (uint8_t)sp.stratum;
    out->refid = sp.refid;
    switch (sp.mode) {
    case DISC_SYNCED:
        out->mode = REFERENCE_SYNCED;
        out->ref_time = r->ref_time;
        out->root_delay = r->root_delay;
        out->root_dispersion = r->root_dispersion;
        out->dispersion_rate = r->skew + fabs(r->residual_freq) + r->p.max_clock_error;
        break;
    case DISC_LOCAL:
        out->mode = REFERENCE_LOCAL;
        out->ref_time = r->local_ref_time;
        break;
    case DISC_UNSYNC:
        out->mode = REFERENCE_UNSYNC;
        out->leap = NTP_LEAP_UNSYNC;
        out->root_delay = 1.0;
        out->root_dispersion = 1.0;
        break;
    }
}

int disc_our_stratum(struct disc_state *r, const struct timespec *now)
{
    struct disc_server_params sp;
    disc_server_params(r, now, &sp);
    return sp.mode == DISC_UNSYNC ? 16 : sp.stratum;
}

int disc_orphan_stratum(const struct disc_state *r)
{
    if (!r->p.local || !r->p.local_orphan)
        return 16;
    return r->p.local_stratum;
}

void disc_tracking(const struct disc_state *r, const struct timespec *now,
                   struct disc_tracking *out)
{
    memset(out, 0, sizeof(*out));
    out->leap_status = r->synchronised ? r->leap : NTP_LEAP_UNSYNC;
    out->last_update_interval = r->last_update_interval;
    out->last_offset = r->last_offset;
    out->rms_offset = sqrt(r->avg2_offset);
    out->root_delay = 1.0;
    out->root_dispersion = 1.0;
    if (r->synchronised) {
        out->ref_id = r->refid;
        out->ip = r->ref_ip;
        out->stratum = r->stratum;
        out->ref_time = r->ref_time;
        out->resid_freq_ppm = 1e6 * r->residual_freq;
        out->skew_ppm = 1e6 * r->skew;
        out->root_delay = r->root_delay;
        out->root_dispersion = root_dispersion_at(r, now);
    } else if (r->p.local) {
        out->ref_id = NTP_REFID_LOCAL;
        out->stratum = r->p.local_stratum;
        out->ref_time = *now;
        out->root_delay = 0.0;
        out->root_dispersion = 0.0;
        out->leap_status = NTP_LEAP_NONE;
    }
}

uint32_t disc_refid_from_ip(const struct tock_ip *ip)
{
    if (ip->family == AF_INET)
        return ((uint32_t)ip->addr[0] << 24) | ((uint32_t)ip->addr[1] << 16) |
               ((uint32_t)ip->addr[2] << 8) | ip->addr[3];
    if (ip->family == AF_INET6) {
        struct md5_ctx ctx;
        uint8_t d[MD5_DIGEST_SIZE];
        md5_init(&ctx);
        md5_update(&ctx, 16, ip->addr);
        md5_digest(&ctx, sizeof(d), d);
        return ((uint32_t)d[0] << 24) | ((uint32_t)d[1] << 16) | ((uint32_t)d[2] << 8) | d[3];
    }
    return 0;
}
