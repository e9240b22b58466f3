/* Per-source statistics: weighted linear regression of offset against local time over
 * the recent samples, with the runs test choosing how many samples to keep (chrony's
 * sourcestats.c + regress.c algorithm, implemented fresh).
 *
 * Sign convention inside this module (and in its reports, as chrony's): offsets are
 * "local clock minus source", positive when the local clock is ahead. The NTP offset of
 * a measurement (source minus local) is negated on input.
 *
 * Bounded: SRCSTATS_MAX_SAMPLES samples for the regression plus as many older ones kept
 * only to extend the runs test. No allocation.
 */
#ifndef TOCK_SYNC_SRCSTATS_H
#define TOCK_SYNC_SRCSTATS_H

#include <stdbool.h>
#include <time.h>

#define SRCSTATS_MAX_SAMPLES 64
#define SRCSTATS_RUNS_RATIO  2
#define SRCSTATS_BUF         (SRCSTATS_MAX_SAMPLES * SRCSTATS_RUNS_RATIO)
/* A regression needs at least this many samples. */
#define SRCSTATS_MIN_REGRESS 3
/* Skew assumed for an unknown frequency (chrony's WORST_CASE_FREQ_BOUND). */
#define SRCSTATS_WORST_SKEW 2000.0e-6

/* One measurement as produced by the NTP exchange. */
struct srcstats_sample {
    struct timespec time;   /* local (cooked) time of the measurement's midpoint */
    double offset;          /* NTP sign: source minus local, + = the local clock is behind */
    double peer_delay;      /* round trip to the source, s */
    double peer_dispersion; /* precision + skew * interval, s */
    double root_delay;      /* source's root delay + peer delay */
    double root_dispersion; /* source's root dispersion + peer dispersion */
    int stratum;
    int leap; /* enum ntp_leap */
};

struct srcstats_point {
    struct timespec time;
    double offset;      /* local - source, slewed with every clock correction */
    double orig_offset; /* as measured (not slewed) */
    double peer_delay;
    double peer_dispersion;
    double root_delay;
    double root_dispersion;
};

struct srcstats {
    /* configuration */
    int min_samples, max_samples; /* per source (minsamples / maxsamples), 0 = defaults */
    double fixed_min_delay;       /* mindelay, 0 = measure */
    double fixed_asymmetry;       /* asymmetry option: |a| <= 0.5 fixed (0 = none), else
                                     estimated from the samples */
    double precision;             /* local clock precision (s) */

    /* points[0 .. n_runs_extra-1]: old samples kept only for the runs test;
     * points[n_runs_extra ..]: the n_samples used by the regression, oldest first. */
    struct srcstats_point points[SRCSTATS_BUF];
    int n_runs_extra;
    int n_samples;

    bool regression_ok;
    int best_sample; /* index among the regression samples (0 = oldest) */
    double estimated_offset;
    double estimated_offset_sd;
    struct timespec offset_time;
    double estimated_frequency; /* s/s, + = local clock gains on the source */
    double estimated_frequency_sd;
    double skew;
    double std_dev;
    int nruns;
    int last_best_start; /* how many samples the last regression dropped */

    int stratum;
    int leap;

    /* estimated asymmetry of the network jitter (chrony's auto asymmetry) */
    double asymmetry;
    int asymmetry_run; /* consecutive estimates of one sign, signed */

    /* The last successful regression, for the statistics log: how many there were, the
     * samples it used (before dropping last_best_start of them), and the "stress", the
     * frequency change relative to the skew before it. */
    unsigned regressions;
    int last_regress_samples;
    double last_stress;
};

struct srcstats_selection {
    bool select_ok; /* a regression is available */
    int stratum;
    int leap;
    double lo_limit, hi_limit; /* correctness interval of local - source, now */
    double root_distance;
    double std_dev;
    double first_sample_ago, last_sample_ago;
};

struct srcstats_tracking {
    struct timespec ref_time;
    double offset, offset_sd; /* local - source at ref_time */
    double frequency, frequency_sd, skew;
    double root_delay, root_dispersion;
};

struct srcstats_report {
    int n_samples, n_runs;
    unsigned long span_seconds;
    double resid_freq_ppm, skew_ppm;
    double est_offset, est_offset_err, sd;
    /* latest sample (sources report) */
    bool has_sample;
    double latest_meas, orig_latest_meas, latest_meas_err, latest_meas_ago;
    int stratum;
};

void srcstats_init(struct srcstats *st, int min_samples, int max_samples, double min_delay,
                   double asymmetry, double precision);
/* Drops every sample (chrony's SST_ResetInstance): freq 0, skew 2000 ppm, sd 4 s. */
void srcstats_reset(struct srcstats *st);

/* Adds a sample (out-of-order samples reset the history) and reruns the regression. */
void srcstats_accumulate(struct srcstats *st, const struct srcstats_sample *s);
/* Reruns the regression (also done by accumulate). */
void srcstats_regress(struct srcstats *st);

/* The local clock was corrected at cooked time `when`: its frequency by dfreq (s/s,
 * + = slowed, chrony's sign) and its offset by doffset (+ = moved back). Re-expresses
 * every sample as if measured under the new clock. */
void srcstats_slew(struct srcstats *st, const struct timespec *when, double dfreq, double doffset);
/* Adds dispersion (an unknown error of the local clock) to every sample. */
void srcstats_add_dispersion(struct srcstats *st, double dispersion);

/* Predicted local - source at `when` (0 without samples). */
double srcstats_predict_offset(const struct srcstats *st, const struct timespec *when);
/* Minimum round-trip delay in the history (mindelay if set), a huge value if empty. */
double srcstats_min_delay(const struct srcstats *st);
/* Data for the delay tests; false if fewer than 6 samples. */
bool srcstats_delay_test_data(const struct srcstats *st, const struct timespec *sample_time,
                              double *last_sample_ago, double *predicted_offset, double *min_delay,
                              double *skew, double *std_dev);
/* Frequency range for the peer dispersion of a new sample (skew capped at 2000 ppm). */
void srcstats_frequency_range(const struct srcstats *st, double *lo, double *hi);

void srcstats_selection_data(const struct srcstats *st, const struct timespec *now,
                             struct srcstats_selection *out);
/* Requires n_samples > 0. */
void srcstats_tracking_data(const struct srcstats *st, struct srcstats_tracking *out);
void srcstats_report(const struct srcstats *st, const struct timespec *now,
                     struct srcstats_report *out);

/* The weighted linear regression with the runs test, exposed for tests.
 * x (independent, increasing), y, w (weights: larger = less reliable) of n points, plus m
 * extra older points at x[-m..-1], y[-m..-1] used only to extend the runs test.
 * Returns false when n < 3. */
struct srcstats_fit {
    double b0, b1;   /* intercept (at x = 0) and slope */
    double s2;       /* weighted average variance of the points */
    double sb0, sb1; /* standard deviations of intercept and slope */
    int new_start;   /* how many of the oldest points to drop */
    int n_runs;
    int dof;
};
bool srcstats_find_best_regression(const double *x, const double *y, const double *w, int n, int m,
                                   int min_samples, struct srcstats_fit *out);

/* Least squares y = b0 + b1 x1 + b2 x2 over n points; returns false when n < 4 or the
 * system is degenerate. Only b2 is returned (the slope against x2). */
bool srcstats_multiple_regress(const double *x1, const double *x2, const double *y, int n,
                               double *b2);

/* Largest number of runs of residual signs for which a fit of n residuals fails the runs
 * test (the one-sided 5 % critical value; 0 below 8 residuals). */
int srcstats_critical_runs(int n);

/* 99.95 % quantile of Student's t for dof degrees of freedom (used for the skew). */
double srcstats_t_coef(int dof);

#endif
