/* Slew controller: turns "correct this offset" and "run at this frequency" into the one
 * frequency a clock driver should set now, plus the raw time at which to call again.
 *
 * The model is chrony's (local.c + sys_generic.c), written fresh:
 *
 *   - The driver's clock ("raw" time, e.g. CLOCK_REALTIME or a virtual clock) runs with a
 *     frequency correction that this controller chooses. Frequencies use chrony's sign:
 *     a positive value means the uncorrected clock runs fast by that many ppm, so the
 *     driver slows it down by that much (kernel: ADJ_FREQUENCY = -ppm * 65536).
 *   - An offset to correct is accumulated in a register (positive = the clock is ahead of
 *     true time). It is removed by running the clock at base + corr frequency for a
 *     duration chosen from the correction rate: duration = rate / |offset|, at least 1 s,
 *     with |corr| never above maxslewrate.
 *   - At any raw time the part not yet corrected is known exactly, so the daemon's best
 *     estimate of true time is cooked = raw + slew_correction(raw) (chrony's
 *     LCL_ReadCookedTime). Timestamps for NTP go out in cooked time.
 *
 * Pure: no clock reads. Every function takes the current raw time. No allocation.
 */
#ifndef TOCK_SYNC_SLEW_H
#define TOCK_SYNC_SLEW_H

#include <stdbool.h>
#include <time.h>

struct slew_params {
    double max_slew_ppm;     /* maxslewrate (83333.333 ppm); |corr| never exceeds it */
    double max_freq_ppm;     /* maxdrift: clamp of the total frequency set (500000 ppm) */
    double freq_quantum_ppm; /* driver resolution: 0 = exact, kernel = 1/65536 ppm */
};

struct slew {
    struct slew_params p;
    double base_freq;           /* ppm: the discipline's frequency */
    double offset_register;     /* s still to correct at slew_start (+ = clock ahead) */
    double slew_freq;           /* correction rate in effect since slew_start (s/s) */
    double correction_rate;     /* s^2: duration * offset of a suggested correction */
    double applied_freq;        /* ppm last returned for the driver */
    struct timespec slew_start; /* raw time of the last update */
    struct timespec next_update;
};

/* Defaults of chrony.conf: maxslewrate 83333.333, maxdrift 500000, exact frequency. */
void slew_params_default(struct slew_params *p);

/* Starts with the clock running at base_freq_ppm (e.g. from the driftfile) and nothing to
 * correct. Returns the frequency the driver must set. */
double slew_init(struct slew *s, const struct slew_params *p, double base_freq_ppm,
                 const struct timespec *raw_now);

/* Sets the discipline's frequency (absolute, ppm). Returns the driver frequency. */
double slew_set_frequency(struct slew *s, const struct timespec *raw_now, double freq_ppm);

/* Adds an offset to correct (+ = clock ahead, must go back) with a suggested correction
 * rate (chrony's corr_rate; 0 = as fast as allowed). Returns the driver frequency. */
double slew_accrue_offset(struct slew *s, const struct timespec *raw_now, double offset,
                          double corr_rate);

/* Both in one update (chrony's LCL_AccumulateFrequencyAndOffset). */
double slew_set_frequency_and_offset(struct slew *s, const struct timespec *raw_now,
                                     double freq_ppm, double offset, double corr_rate);

/* Re-plans the slew (call when raw time reaches s->next_update, or any time). Returns the
 * driver frequency. */
double slew_update(struct slew *s, const struct timespec *raw_now);

/* cooked - raw at raw time `raw` (the correction not yet made, with its sign: a clock that
 * is still 1 ms ahead gives -0.001). */
double slew_correction(const struct slew *s, const struct timespec *raw);

/* raw + slew_correction(raw). */
struct timespec slew_cook(const struct slew *s, const struct timespec *raw);

/* The raw clock was stepped back by `offset` (+ = it was ahead) by the driver: keep the
 * slew in progress consistent. */
void slew_notify_step(struct slew *s, double offset);

#endif
