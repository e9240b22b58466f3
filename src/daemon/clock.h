/* Clock drivers: every time tockd reads or adjusts goes through one of them
 * (design/architecture.md, "time comes from one place").
 *   none   (-x)  reads CLOCK_REALTIME, never adjusts the system clock;
 *   system       reads and disciplines CLOCK_REALTIME through clock_adjtime;
 *   sim          a virtual clock over CLOCK_MONOTONIC (tests).
 * "Cooked" time is what tockd believes true time to be; kernel packet timestamps
 * (CLOCK_REALTIME) are converted with cook(). */
#ifndef TOCK_DAEMON_CLOCK_H
#define TOCK_DAEMON_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct clock_driver {
    const char *name;
    void (*now)(struct clock_driver *drv, struct timespec *out);
    void (*cook)(struct clock_driver *drv, const struct timespec *realtime, struct timespec *out);
    void (*destroy)(struct clock_driver *drv);
    void *priv;
};

struct clock_driver *clock_none_new(void);

static inline void clock_now(struct clock_driver *drv, struct timespec *out)
{
    drv->now(drv, out);
}

/* Measures the clock's precision as chronyd does (the smallest step seen between two
 * consecutive readings, bounded count: no busy-waiting, see doc/simulation.md) and returns
 * it as log2 seconds, clamped to -30..0. `configured` > 0 (clockprecision) wins. */
int8_t clock_measure_precision(struct clock_driver *drv, double configured, double *seconds);

#endif
