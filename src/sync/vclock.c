#include "sync/vclock.h"

#include "proto/ntp_time.h"

#define SECS_PER_DAY 86400

static double rate(const struct vclock *v)
{
    return (1.0 + v->drift) * (1.0 - v->freq);
}

/* Clock time at u without applying any leap second. */
static struct timespec plain_read(const struct vclock *v, const struct timespec *u)
{
    return timespec_add(&v->sys_anchor, timespec_diff(u, &v->u_anchor) * rate(v));
}

static void reanchor(struct vclock *v, const struct timespec *u)
{
    v->sys_anchor = plain_read(v, u);
    v->u_anchor = *u;
}

void vclock_init(struct vclock *v, const struct timespec *u_now, double initial_offset,
                 double drift_ppm)
{
    v->u_anchor = *u_now;
    v->sys_anchor = timespec_add(u_now, initial_offset);
    v->drift = drift_ppm * 1e-6;
    v->freq = 0.0;
    v->leap = 0;
    v->leap_trigger = 0;
    v->leaps_applied = 0;
}

struct timespec vclock_read(struct vclock *v, const struct timespec *u)
{
    struct timespec t = plain_read(v, u);
    if (v->leap != 0 && t.tv_sec >= v->leap_trigger) {
        /* Re-anchor exactly at the trigger instant, then step: the result does not depend
         * on when the clock happens to be read. */
        struct timespec trig = {v->leap_trigger, 0};
        v->u_anchor = vclock_underlying_at(v, &trig);
        v->sys_anchor = timespec_add(&trig, -(double)v->leap);
        v->leap = 0;
        v->leaps_applied++;
        t = plain_read(v, u);
    }
    return t;
}

void vclock_set_freq(struct vclock *v, const struct timespec *u, double freq_ppm)
{
    (void)vclock_read(v, u);
    reanchor(v, u);
    v->freq = freq_ppm * 1e-6;
}

void vclock_step(struct vclock *v, const struct timespec *u, double offset)
{
    (void)vclock_read(v, u);
    reanchor(v, u);
    v->sys_anchor = timespec_add(&v->sys_anchor, -offset);
}

void vclock_set_leap(struct vclock *v, const struct timespec *u, int leap)
{
    struct timespec now = vclock_read(v, u);
    time_t midnight = (now.tv_sec / SECS_PER_DAY + 1) * SECS_PER_DAY;
    v->leap = leap > 0 ? 1 : leap < 0 ? -1 : 0;
    /* Insert: at 00:00:00 go back to 23:59:59. Delete: at 23:59:59 jump to 00:00:00. */
    v->leap_trigger = v->leap < 0 ? midnight - 1 : midnight;
}

struct timespec vclock_underlying_at(const struct vclock *v, const struct timespec *sys)
{
    return timespec_add(&v->u_anchor, timespec_diff(sys, &v->sys_anchor) / rate(v));
}
