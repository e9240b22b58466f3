/* Clock drivers: the one place tockd reads and adjusts time
 * (design/architecture.md, "time comes from one place").
 *
 * A driver provides the "raw" clock - the clock it disciplines - and applies the sync
 * engine's commands to it (frequency, step, leap second, kernel sync status). The daemon's
 * cooked time, used for every timestamp and every reply, is the engine's
 * sync_cook(raw): raw plus the part of the correction still being slewed.
 *
 *   system   raw = CLOCK_REALTIME, disciplined through clock_adjtime (needs CAP_SYS_TIME)
 *   none     raw = a virtual clock over CLOCK_REALTIME (-x): the system clock is never
 *            touched, yet tockd keeps serving corrected time, as chronyd -x
 *   sim      raw = a virtual clock over CLOCK_MONOTONIC, started with a configured offset
 *            and frequency error (tests: convergence over a real network without touching
 *            the machine's clock)
 */
#ifndef TOCK_DAEMON_CLOCK_H
#define TOCK_DAEMON_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct sync_clock_cmd;

struct clock_driver {
    const char *name;
    /* Frequency resolution of the driver (ppm), 0 for a virtual clock. */
    double freq_quantum_ppm;
    void (*raw_now)(struct clock_driver *drv, struct timespec *raw);
    /* The raw time of a kernel packet timestamp (CLOCK_REALTIME). */
    void (*raw_from_realtime)(struct clock_driver *drv, const struct timespec *realtime,
                              struct timespec *raw);
    /* Applies an engine command. Returns 0, or -1 with errno (EPERM: no CAP_SYS_TIME). */
    int (*apply)(struct clock_driver *drv, const struct sync_clock_cmd *cmd);
    /* Leap seconds the driver applied itself since the last call (+1 inserted, -1
     * deleted, 0 none): virtual clocks step themselves at midnight. */
    int (*take_leap_applied)(struct clock_driver *drv);
    void (*destroy)(struct clock_driver *drv);
    void *priv;
};

struct clock_driver *clock_none_new(void);
/* offset: initial error of the simulated clock (s, + = ahead); freq_ppm: its oscillator's
 * frequency error (+ = fast). */
struct clock_driver *clock_sim_new(double offset, double freq_ppm);
/* rtcsync: let the kernel copy the system time to the RTC every 11 minutes while
 * synchronised (STA_UNSYNC cleared); otherwise STA_UNSYNC stays set. */
struct clock_driver *clock_system_new(bool rtcsync);

/* Tests only: replace the driver's clock_adjtime() (NULL restores it). */
struct timex;
void clock_system_set_adjtime_hook(int (*fn)(clockid_t clock, struct timex *tx));

/* Measures the raw clock's precision as chronyd does (the smallest step seen between two
 * consecutive readings, bounded count: no busy-waiting, see doc/simulation.md) and returns
 * it as log2 seconds, clamped to -30..0. `configured` > 0 (clockprecision) wins. */
int8_t clock_measure_precision(struct clock_driver *drv, double configured, double *seconds);

#endif
