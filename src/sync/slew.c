#include "sync/slew.h"

#include <math.h>

#include "proto/ntp_time.h"

/* Offsets below this are not worth a frequency change. */
#define SLEW_MIN_OFFSET 1.0e-9
/* A slew is re-planned at least this often and never more often than every second. */
#define SLEW_MIN_TIMEOUT 1.0
#define SLEW_MAX_TIMEOUT 1.0e4

void slew_params_default(struct slew_params *p)
{
    p->max_slew_ppm = 83333.333;
    p->max_freq_ppm = 500000.0;
    p->freq_quantum_ppm = 0.0;
}

static double clamp(double lo, double x, double hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

static double quantise(const struct slew *s, double ppm)
{
    if (s->p.freq_quantum_ppm > 0.0)
        return round(ppm / s->p.freq_quantum_ppm) * s->p.freq_quantum_ppm;
    return ppm;
}

double slew_update(struct slew *s, const struct timespec *raw_now)
{
    /* Account for what the slew in progress has already corrected. */
    double elapsed = timespec_diff(raw_now, &s->slew_start);
    s->offset_register -= s->slew_freq * elapsed;

    double duration;
    if (fabs(s->offset_register) < SLEW_MIN_OFFSET) {
        duration = SLEW_MAX_TIMEOUT;
    } else {
        duration = s->correction_rate / fabs(s->offset_register);
        if (duration < SLEW_MIN_TIMEOUT)
            duration = SLEW_MIN_TIMEOUT;
    }

    double max_corr = s->p.max_slew_ppm * 1e-6;
    double corr_freq = clamp(-max_corr, s->offset_register / duration, max_corr);

    /* Total frequency relative to the raw oscillator: base plus the correction, the
     * correction scaled so that it is a rate relative to the base-corrected clock. */
    double total = s->base_freq + corr_freq * (1.0e6 - s->base_freq);
    total = clamp(-s->p.max_freq_ppm, total, s->p.max_freq_ppm);
    total = quantise(s, total);
    s->applied_freq = total;

    /* The correction rate actually achieved (the driver may round, or the clamp may bite). */
    s->slew_freq = (total - s->base_freq) / (1.0e6 - total);

    if (fabs(s->offset_register) < SLEW_MIN_OFFSET || s->offset_register * s->slew_freq <= 0.0) {
        duration = SLEW_MAX_TIMEOUT;
    } else {
        duration = clamp(SLEW_MIN_TIMEOUT, s->offset_register / s->slew_freq, SLEW_MAX_TIMEOUT);
    }

    s->slew_start = *raw_now;
    s->next_update = timespec_add(raw_now, duration);
    return total;
}

double slew_init(struct slew *s, const struct slew_params *p, double base_freq_ppm,
                 const struct timespec *raw_now)
{
    s->p = *p;
    s->base_freq = clamp(-p->max_freq_ppm, base_freq_ppm, p->max_freq_ppm);
    s->offset_register = 0.0;
    s->slew_freq = 0.0;
    s->correction_rate = 0.0;
    s->applied_freq = 0.0;
    s->slew_start = *raw_now;
    s->next_update = *raw_now;
    return slew_update(s, raw_now);
}

double slew_set_frequency(struct slew *s, const struct timespec *raw_now, double freq_ppm)
{
    s->base_freq = clamp(-s->p.max_freq_ppm, freq_ppm, s->p.max_freq_ppm);
    return slew_update(s, raw_now);
}

double slew_accrue_offset(struct slew *s, const struct timespec *raw_now, double offset,
                          double corr_rate)
{
    s->offset_register += offset;
    s->correction_rate = corr_rate;
    return slew_update(s, raw_now);
}

double slew_set_frequency_and_offset(struct slew *s, const struct timespec *raw_now,
                                     double freq_ppm, double offset, double corr_rate)
{
    s->base_freq = clamp(-s->p.max_freq_ppm, freq_ppm, s->p.max_freq_ppm);
    s->offset_register += offset;
    s->correction_rate = corr_rate;
    return slew_update(s, raw_now);
}

double slew_correction(const struct slew *s, const struct timespec *raw)
{
    double elapsed = timespec_diff(raw, &s->slew_start);
    return s->slew_freq * elapsed - s->offset_register;
}

struct timespec slew_cook(const struct slew *s, const struct timespec *raw)
{
    return timespec_add(raw, slew_correction(s, raw));
}

void slew_notify_step(struct slew *s, double offset)
{
    s->slew_start = timespec_add(&s->slew_start, -offset);
    s->next_update = timespec_add(&s->next_update, -offset);
}
