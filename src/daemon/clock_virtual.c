/* The `none` and `sim` drivers: a virtual clock (sync/vclock.h) over an underlying clock
 * nobody adjusts - CLOCK_REALTIME for `none` (-x), CLOCK_MONOTONIC for `sim`. */
#include <stdlib.h>

#include "daemon/clock.h"
#include "proto/ntp_time.h"
#include "sync/engine.h"
#include "sync/vclock.h"

struct vdriver {
    struct vclock vc;
    bool monotonic;        /* sim: underlying = CLOCK_MONOTONIC shifted to the epoch */
    struct timespec mono0; /* CLOCK_MONOTONIC at start (sim) */
    struct timespec real0; /* CLOCK_REALTIME at start (sim) */
    int last_leaps_applied;
    int armed_leap; /* the leap last armed, to report its sign once applied */
};

static void underlying_now(struct vdriver *v, struct timespec *u)
{
    if (!v->monotonic) {
        clock_gettime(CLOCK_REALTIME, u);
        return;
    }
    struct timespec mono;
    clock_gettime(CLOCK_MONOTONIC, &mono);
    *u = timespec_add(&v->real0, timespec_diff(&mono, &v->mono0));
}

static void vd_raw_now(struct clock_driver *drv, struct timespec *raw)
{
    struct vdriver *v = drv->priv;
    struct timespec u;
    underlying_now(v, &u);
    *raw = vclock_read(&v->vc, &u);
}

/* The clock reading at an underlying time slightly in the past (a packet timestamp),
 * without changing the clock's state. */
static struct timespec peek(const struct vclock *vc, const struct timespec *u)
{
    double elapsed = timespec_diff(u, &vc->u_anchor);
    return timespec_add(&vc->sys_anchor, elapsed * (1.0 + vc->drift) * (1.0 - vc->freq));
}

static void vd_raw_from_realtime(struct clock_driver *drv, const struct timespec *realtime,
                                 struct timespec *raw)
{
    struct vdriver *v = drv->priv;
    struct timespec u = *realtime;
    if (v->monotonic) {
        /* Kernel timestamps are CLOCK_REALTIME: shift by their age to the monotonic base. */
        struct timespec real_now, u_now;
        clock_gettime(CLOCK_REALTIME, &real_now);
        underlying_now(v, &u_now);
        u = timespec_add(&u_now, -timespec_diff(&real_now, realtime));
    }
    *raw = peek(&v->vc, &u);
}

static int vd_apply(struct clock_driver *drv, const struct sync_clock_cmd *cmd)
{
    struct vdriver *v = drv->priv;
    struct timespec u;
    underlying_now(v, &u);
    if (cmd->set_freq)
        vclock_set_freq(&v->vc, &u, cmd->freq_ppm);
    if (cmd->step)
        vclock_step(&v->vc, &u, cmd->step_offset);
    if (cmd->set_leap) {
        vclock_set_leap(&v->vc, &u, cmd->leap);
        v->armed_leap = cmd->leap;
    }
    return 0;
}

static int vd_take_leap_applied(struct clock_driver *drv)
{
    struct vdriver *v = drv->priv;
    int delta = v->vc.leaps_applied - v->last_leaps_applied;
    v->last_leaps_applied = v->vc.leaps_applied;
    if (delta == 0)
        return 0;
    return v->armed_leap; /* vclock counts applications; the sign is the one armed */
}

static void vd_destroy(struct clock_driver *drv)
{
    free(drv->priv);
    free(drv);
}

static struct clock_driver *vd_new(const char *name, bool monotonic, double offset, double ppm)
{
    struct clock_driver *drv = calloc(1, sizeof(*drv));
    struct vdriver *v = calloc(1, sizeof(*v));
    if (!drv || !v) {
        free(drv);
        free(v);
        return NULL;
    }
    v->monotonic = monotonic;
    clock_gettime(CLOCK_MONOTONIC, &v->mono0);
    clock_gettime(CLOCK_REALTIME, &v->real0);
    struct timespec u;
    underlying_now(v, &u);
    vclock_init(&v->vc, &u, offset, ppm);
    drv->name = name;
    drv->freq_quantum_ppm = 0.0;
    drv->raw_now = vd_raw_now;
    drv->raw_from_realtime = vd_raw_from_realtime;
    drv->apply = vd_apply;
    drv->take_leap_applied = vd_take_leap_applied;
    drv->destroy = vd_destroy;
    drv->priv = v;
    return drv;
}

struct clock_driver *clock_none_new(void)
{
    return vd_new("none", false, 0.0, 0.0);
}

struct clock_driver *clock_sim_new(double offset, double freq_ppm)
{
    return vd_new("sim", true, offset, freq_ppm);
}
