/* Virtual system clock: a clock whose frequency can be set and which can be stepped,
 * built on an underlying time source that nobody adjusts.
 *
 * Used by the `none` clock driver (over CLOCK_REALTIME, like chronyd -x: the real clock
 * is never touched but tockd keeps serving corrected time), by the `sim` driver (over
 * CLOCK_MONOTONIC with a configured initial offset and frequency error) and by the
 * simulation tests. The slew controller (slew.h) sits on top of it exactly as it sits on
 * top of the kernel clock: vclock time is the engine's "raw" time.
 *
 *   sys(u) = sys_anchor + (u - u_anchor) * (1 + drift) * (1 - freq)
 *
 * where u is the underlying time, drift the underlying oscillator's own error (sim only)
 * and freq the frequency set by the controller (chrony's sign: + slows the clock).
 *
 * Leap seconds are applied by the clock itself, as the kernel does with STA_INS/STA_DEL:
 * once armed, an inserted second steps the clock back by 1 s when it reaches midnight UTC
 * (so 23:59:59 is seen twice, the POSIX rendering of 23:59:60); a deleted second steps it
 * forward from 23:59:59 to 00:00:00.
 *
 * Pure: underlying time is always passed in.
 */
#ifndef TOCK_SYNC_VCLOCK_H
#define TOCK_SYNC_VCLOCK_H

#include <stdbool.h>
#include <time.h>

struct vclock {
    struct timespec u_anchor;   /* underlying time at the last change */
    struct timespec sys_anchor; /* clock time at u_anchor */
    double drift;               /* underlying oscillator error, s/s (+ = fast) */
    double freq;                /* correction set, s/s (chrony sign: + slows) */
    int leap;                   /* armed leap: +1 insert, -1 delete, 0 none */
    time_t leap_trigger;        /* clock time (UTC s) at which the armed leap applies */
    int leaps_applied;          /* counter, for drivers and tests */
};

/* Starts the clock at u_now + initial_offset, the oscillator off by drift_ppm. */
void vclock_init(struct vclock *v, const struct timespec *u_now, double initial_offset,
                 double drift_ppm);

/* Clock time at underlying time u (u must not go backwards between calls that change
 * state). Applies an armed leap second when the clock crosses it. */
struct timespec vclock_read(struct vclock *v, const struct timespec *u);

/* Sets the frequency correction (ppm, + slows the clock) from underlying time u on. */
void vclock_set_freq(struct vclock *v, const struct timespec *u, double freq_ppm);

/* Steps the clock back by offset seconds (+ = the clock was ahead). */
void vclock_step(struct vclock *v, const struct timespec *u, double offset);

/* Arms (+1 insert, -1 delete) or disarms (0) a leap second at the end of the current UTC
 * day of the clock (STA_INS / STA_DEL semantics). */
void vclock_set_leap(struct vclock *v, const struct timespec *u, int leap);

/* Underlying time at which the clock will read `sys` if nothing changes (for timers). */
struct timespec vclock_underlying_at(const struct vclock *v, const struct timespec *sys);

#endif
