/* The `system` driver: CLOCK_REALTIME disciplined through clock_adjtime (the simulator's
 * and the kernel's interface, doc/simulation.md rule 7). Frequency via ADJ_FREQUENCY
 * (ADJ_TICK beyond the kernel's +-500 ppm), steps via ADJ_SETOFFSET|ADJ_NANO, leap seconds
 * via STA_INS/STA_DEL, and the kernel's sync status (STA_UNSYNC, est/max error), which also
 * drives the 11-minute RTC update when `rtcsync` is on. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "sync/engine.h"

#define MAX_KERNEL_FREQ_PPM 500.0

/* The kernel call, replaceable by unit tests (clock_system_set_adjtime_hook). */
static int (*adjtime_fn)(clockid_t, struct timex *) = clock_adjtime;

void clock_system_set_adjtime_hook(int (*fn)(clockid_t clock, struct timex *tx))
{
    adjtime_fn = fn ? fn : clock_adjtime;
}

struct sysdriver {
    bool rtcsync;
    long nominal_tick; /* us per tick at 0 ppm (USER_HZ) */
    int status;        /* STA_INS / STA_DEL / STA_UNSYNC bits we manage */
    bool tick_changed; /* the tick is not nominal: restore it when back within 500 ppm */
};

static void sys_raw_now(struct clock_driver *drv, struct timespec *raw)
{
    (void)drv;
    clock_gettime(CLOCK_REALTIME, raw);
}

static void sys_raw_from_realtime(struct clock_driver *drv, const struct timespec *realtime,
                                  struct timespec *raw)
{
    (void)drv;
    *raw = *realtime;
}

static int adjust(struct timex *tx, const char *what)
{
    if (adjtime_fn(CLOCK_REALTIME, tx) < 0) {
        int saved = errno;
        log_err("clock_adjtime (%s): %s%s", what, strerror(saved),
                saved == EPERM ? " (no CAP_SYS_TIME: start tockd with -x, or give it the "
                                 "capability)"
                               : "");
        errno = saved;
        return -1;
    }
    return 0;
}

/* Sets the frequency: the part within +-500 ppm through ADJ_FREQUENCY (16.16 ppm, sign:
 * the engine's + means "the clock runs fast", so it is slowed), the rest through the tick
 * length, as chronyd's Linux driver. */
static int set_frequency(struct sysdriver *s, double ppm)
{
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    double corr = -ppm; /* the correction the kernel applies (+ speeds the clock up) */
    if (fabs(corr) > MAX_KERNEL_FREQ_PPM) {
        /* One microsecond more per tick speeds the clock up by 1e6 / tick ppm (100 ppm
         * with USER_HZ 100): the whole ticks go there, the remainder to ADJ_FREQUENCY. */
        double ppm_per_us = 1e6 / (double)s->nominal_tick;
        double tick_delta = trunc(corr / ppm_per_us);
        corr -= tick_delta * ppm_per_us;
        tx.modes |= ADJ_TICK;
        tx.tick = s->nominal_tick + (long)tick_delta;
    } else if (s->tick_changed) {
        tx.modes |= ADJ_TICK;
        tx.tick = s->nominal_tick;
    }
    s->tick_changed = (tx.modes & ADJ_TICK) && tx.tick != s->nominal_tick;
    tx.modes |= ADJ_FREQUENCY;
    tx.freq = (long)llround(corr * 65536.0);
    return adjust(&tx, "frequency");
}

static int step_clock(double offset)
{
    /* + offset: the clock is ahead, step it back. */
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    double delta = -offset;
    double sec = floor(delta);
    tx.modes = ADJ_SETOFFSET | ADJ_NANO;
    tx.time.tv_sec = (time_t)sec;
    tx.time.tv_usec = (long)llround((delta - sec) * 1e9);
    if (tx.time.tv_usec >= 1000000000L) {
        tx.time.tv_sec++;
        tx.time.tv_usec -= 1000000000L;
    }
    return adjust(&tx, "step");
}

static int set_status(struct sysdriver *s, const struct sync_clock_cmd *cmd)
{
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    tx.modes = ADJ_STATUS;
    int status = s->status;
    if (cmd->set_leap) {
        status &= ~(STA_INS | STA_DEL);
        if (cmd->leap > 0)
            status |= STA_INS;
        else if (cmd->leap < 0)
            status |= STA_DEL;
    }
    if (cmd->set_status) {
        /* STA_UNSYNC cleared = the kernel's 11-minute RTC mode: only with rtcsync. */
        if (cmd->synchronised && s->rtcsync)
            status &= ~STA_UNSYNC;
        else
            status |= STA_UNSYNC;
        tx.modes |= ADJ_ESTERROR | ADJ_MAXERROR;
        tx.esterror = (long)fmin(cmd->est_error * 1e6, 16000000.0);
        tx.maxerror = (long)fmin(cmd->max_error * 1e6, 16000000.0);
    }
    tx.status = status;
    if (adjust(&tx, "status") < 0)
        return -1;
    s->status = status;
    return 0;
}

static int sys_apply(struct clock_driver *drv, const struct sync_clock_cmd *cmd)
{
    struct sysdriver *s = drv->priv;
    int rc = 0;
    if (cmd->set_freq && set_frequency(s, cmd->freq_ppm) < 0)
        rc = -1;
    if (cmd->step && step_clock(cmd->step_offset) < 0)
        rc = -1;
    if ((cmd->set_leap || cmd->set_status) && set_status(s, cmd) < 0)
        rc = -1;
    return rc;
}

static int sys_take_leap_applied(struct clock_driver *drv)
{
    (void)drv;
    return 0; /* the kernel applies leap seconds; the engine times them itself */
}

static void sys_destroy(struct clock_driver *drv)
{
    free(drv->priv);
    free(drv);
}

struct clock_driver *clock_system_new(bool rtcsync)
{
    struct clock_driver *drv = calloc(1, sizeof(*drv));
    struct sysdriver *s = calloc(1, sizeof(*s));
    if (!drv || !s) {
        free(drv);
        free(s);
        return NULL;
    }
    s->rtcsync = rtcsync;
    long hz = sysconf(_SC_CLK_TCK);
    s->nominal_tick = hz > 0 ? 1000000L / hz : 10000L;
    s->status = STA_UNSYNC;
    drv->name = "system";
    drv->freq_quantum_ppm = 1.0 / 65536.0;
    drv->raw_now = sys_raw_now;
    drv->raw_from_realtime = sys_raw_from_realtime;
    drv->apply = sys_apply;
    drv->take_leap_applied = sys_take_leap_applied;
    drv->destroy = sys_destroy;
    drv->priv = s;
    return drv;
}
