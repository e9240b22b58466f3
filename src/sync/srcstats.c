#include "sync/srcstats.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntp_time.h"

#define MIN_SKEW   1.0e-12
#define MAX_SKEW   1.0e+2
#define MIN_STDDEV 1.0e-9
/* Assumed ratio between the spread of the offsets and the spread of the peer distances
 * (a distance above the minimum counts this much as offset noise). */
#define SD_TO_DIST_RATIO 0.7
#define MAX_ASYMMETRY    0.5
/* An estimated asymmetry is used only when it is at least this large ... */
#define MIN_ASYMMETRY 0.45
/* ... and has kept its sign for this many regressions. */
#define MIN_ASYMMETRY_RUN 10
#define MAX_ASYMMETRY_RUN 1000

/* Largest number of runs of same-sign residuals that still rejects a fit of n residuals as
 * not linear (0 = no test possible below 8 points): the one-sided 5 % critical value of the
 * Wald-Wolfowitz runs test under the normal approximation for an even split of signs,
 *   floor(n/2 + 1 - 1.65 * sqrt(n (n - 2) / (4 (n - 1)))),
 * i.e. mean minus 1.65 standard deviations of the number of runs. This is the criterion
 * chronyd uses (it reproduces its table for every n it can see); the exact binomial values
 * used before were one lower for about half the sizes, so tock rejected an old sample that
 * no longer fitted later than chronyd, kept longer histories under frequency wander and
 * polled less often at a larger error (measured under clknetsim, doc/accuracy.md). */
int srcstats_critical_runs(int n)
{
    if (n < 8)
        return 0;
    double mean = 0.5 * n + 1.0;
    double sd = sqrt((double)n * (n - 2) / (4.0 * (n - 1)));
    return (int)floor(mean - 1.65 * sd);
}

double srcstats_t_coef(int dof)
{
    /* 0.9995 quantile of Student's t, computed numerically for dof 1..40. */
    static const double coefs[40] = {636.619, 31.599, 12.924, 8.610, 6.869, 5.959, 5.408, 5.041,
                                     4.781,   4.587,  4.437,  4.318, 4.221, 4.140, 4.073, 4.015,
                                     3.965,   3.922,  3.883,  3.850, 3.819, 3.792, 3.768, 3.745,
                                     3.725,   3.707,  3.690,  3.674, 3.659, 3.646, 3.633, 3.622,
                                     3.611,   3.601,  3.591,  3.582, 3.574, 3.566, 3.558, 3.551};
    if (dof < 1)
        dof = 1;
    if (dof <= 40)
        return coefs[dof - 1];
    /* Cornish-Fisher expansion around the normal quantile; good to 1e-3 above 40. */
    double z = 3.2905, v = dof;
    return z + (z * z * z + z) / (4.0 * v) +
           (5.0 * pow(z, 5) + 16.0 * z * z * z + 3.0 * z) / (96.0 * v * v);
}

static int runs_of(const double *r, int n)
{
    int runs = n > 0 ? 1 : 0;
    for (int i = 1; i < n; i++)
        if (!((r[i - 1] < 0.0 && r[i] < 0.0) || (r[i - 1] > 0.0 && r[i] > 0.0)))
            runs++;
    return runs;
}

bool srcstats_find_best_regression(const double *x, const double *y, const double *w, int n, int m,
                                   int min_samples, struct srcstats_fit *out)
{
    double resid[SRCSTATS_BUF];
    double a = 0.0, b = 0.0, u = 0.0, V = 0.0, W = 0.0;
    int start = 0, resid_start = 0, nruns = 0;

    if (n < SRCSTATS_MIN_REGRESS || n > SRCSTATS_MAX_SAMPLES || m < 0)
        return false;
    if (m > n * (SRCSTATS_RUNS_RATIO - 1))
        m = n * (SRCSTATS_RUNS_RATIO - 1);

    for (;;) {
        double U = 0.0, P = 0.0, Q = 0.0;
        W = V = 0.0;
        for (int i = start; i < n; i++) {
            U += x[i] / w[i];
            W += 1.0 / w[i];
        }
        u = U / W;
        for (int i = start; i < n; i++) {
            double ui = x[i] - u;
            P += y[i] / w[i];
            Q += y[i] * ui / w[i];
            V += ui * ui / w[i];
        }
        b = Q / V;
        a = P / W - b * u;

        /* Residuals of the newest points, extended back into the dropped and extra
         * points, so that the test sees up to RUNS_RATIO times the fitted points. */
        resid_start = n - (n - start) * SRCSTATS_RUNS_RATIO;
        if (resid_start < -m)
            resid_start = -m;
        for (int i = resid_start; i < n; i++)
            resid[i - resid_start] = y[i] - a - b * x[i];

        nruns = runs_of(resid, n - resid_start);
        if (nruns > srcstats_critical_runs(n - resid_start) || n - start <= SRCSTATS_MIN_REGRESS ||
            n - start <= min_samples) {
            if (start != resid_start)
                nruns = runs_of(resid + (start - resid_start), n - start);
            break;
        }
        start++; /* too few runs: the oldest point does not fit the line, drop it */
    }

    int npoints = n - start;
    double ss = 0.0;
    for (int i = start; i < n; i++) {
        double r = resid[i - resid_start];
        ss += r * r / w[i];
    }
    ss /= (double)(npoints - 2);
    out->b0 = a;
    out->b1 = b;
    out->sb1 = sqrt(ss / V);
    double aa = u * out->sb1;
    out->sb0 = sqrt(ss / W + aa * aa);
    out->s2 = ss * (double)npoints / W;
    out->new_start = start;
    out->n_runs = nruns;
    out->dof = npoints - 2;
    return true;
}

bool srcstats_multiple_regress(const double *x1, const double *x2, const double *y, int n,
                               double *b2)
{
    if (n < 4)
        return false;
    /* Centre the variables, then solve the 2x2 normal equations of the slopes. */
    double m1 = 0, m2 = 0, my = 0;
    for (int i = 0; i < n; i++) {
        m1 += x1[i];
        m2 += x2[i];
        my += y[i];
    }
    m1 /= n;
    m2 /= n;
    my /= n;
    double s11 = 0, s12 = 0, s22 = 0, s1y = 0, s2y = 0;
    for (int i = 0; i < n; i++) {
        double a = x1[i] - m1, b = x2[i] - m2, c = y[i] - my;
        s11 += a * a;
        s12 += a * b;
        s22 += b * b;
        s1y += a * c;
        s2y += b * c;
    }
    double det = s11 * s22 - s12 * s12;
    /* nearly collinear (or constant) regressors: no meaningful slope */
    if (!(fabs(det) > 1e-10 * s11 * s22) || s11 <= 0.0 || s22 <= 0.0)
        return false;
    *b2 = (s11 * s2y - s12 * s1y) / det;
    return isfinite(*b2);
}

/* ---- the sample register ---- */

static int n_points(const struct srcstats *st)
{
    return st->n_runs_extra + st->n_samples;
}

static const struct srcstats_point *sample_at(const struct srcstats *st, int i)
{
    return &st->points[st->n_runs_extra + i];
}

static const struct srcstats_point *newest(const struct srcstats *st)
{
    return &st->points[n_points(st) - 1];
}

void srcstats_reset(struct srcstats *st)
{
    st->n_runs_extra = 0;
    st->n_samples = 0;
    st->regression_ok = false;
    st->best_sample = 0;
    st->estimated_offset = 0.0;
    st->estimated_offset_sd = 86400.0;
    st->offset_time = (struct timespec){0, 0};
    st->estimated_frequency = 0.0;
    st->estimated_frequency_sd = SRCSTATS_WORST_SKEW;
    st->skew = SRCSTATS_WORST_SKEW;
    st->std_dev = 4.0;
    st->nruns = 0;
    st->last_best_start = 0;
    st->stratum = 0;
    st->leap = 3;
    st->asymmetry = 0.0;
    st->asymmetry_run = 0;
}

void srcstats_init(struct srcstats *st, int min_samples, int max_samples, double min_delay,
                   double asymmetry, double precision)
{
    memset(st, 0, sizeof(*st));
    st->min_samples = min_samples > 0 ? min_samples : 0;
    st->max_samples = max_samples > 0 ? max_samples : SRCSTATS_MAX_SAMPLES;
    if (st->max_samples > SRCSTATS_MAX_SAMPLES)
        st->max_samples = SRCSTATS_MAX_SAMPLES;
    if (st->max_samples < 1)
        st->max_samples = 1;
    st->fixed_min_delay = min_delay > 0.0 ? min_delay : 0.0;
    st->fixed_asymmetry = isfinite(asymmetry) ? asymmetry : 0.0;
    st->precision = precision > 0.0 ? precision : 1e-9;
    srcstats_reset(st);
}

/* Moves the oldest `k` regression samples to the runs-only part and trims that part to
 * at most (RUNS_RATIO - 1) times the regression samples. */
static void prune(struct srcstats *st, int k)
{
    if (k <= 0)
        return;
    if (k > st->n_samples)
        k = st->n_samples;
    st->n_samples -= k;
    st->n_runs_extra += k;
    int max_extra = st->n_samples * (SRCSTATS_RUNS_RATIO - 1);
    if (st->n_runs_extra > max_extra) {
        int drop = st->n_runs_extra - max_extra;
        memmove(&st->points[0], &st->points[drop],
                (size_t)(n_points(st) - drop) * sizeof(st->points[0]));
        st->n_runs_extra -= drop;
    }
    if (st->best_sample >= st->n_samples)
        st->best_sample = st->n_samples > 0 ? st->n_samples - 1 : 0;
}

void srcstats_accumulate(struct srcstats *st, const struct srcstats_sample *s)
{
    if (st->n_samples > 0 &&
        (st->n_samples >= SRCSTATS_MAX_SAMPLES || st->n_samples >= st->max_samples))
        prune(st, 1);

    /* Samples must come in time order; anything else means the clock was stepped in a
     * way the history cannot follow. */
    if (n_points(st) > 0 && timespec_cmp(&newest(st)->time, &s->time) >= 0)
        srcstats_reset(st);

    if (n_points(st) >= SRCSTATS_BUF) { /* cannot happen with the prune above; be safe */
        memmove(&st->points[0], &st->points[1], (SRCSTATS_BUF - 1) * sizeof(st->points[0]));
        if (st->n_runs_extra > 0)
            st->n_runs_extra--;
        else
            st->n_samples--;
    }

    struct srcstats_point *p = &st->points[n_points(st)];
    p->time = s->time;
    p->offset = -s->offset;
    p->orig_offset = -s->offset;
    p->peer_delay = s->peer_delay;
    /* A delay below the configured minimum is mirrored above it (chrony's mindelay). */
    if (p->peer_delay < st->fixed_min_delay)
        p->peer_delay = 2.0 * st->fixed_min_delay - p->peer_delay;
    p->peer_dispersion = s->peer_dispersion;
    p->root_delay = s->root_delay;
    p->root_dispersion = s->root_dispersion;
    st->stratum = s->stratum;
    st->leap = s->leap;
    st->n_samples++;

    srcstats_regress(st);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

static double median_of(const double *v, int n)
{
    double tmp[SRCSTATS_MAX_SAMPLES];
    memcpy(tmp, v, (size_t)n * sizeof(double));
    /* n <= 64: an insertion sort is simple and fast enough */
    for (int i = 1; i < n; i++) {
        double x = tmp[i];
        int j = i - 1;
        while (j >= 0 && cmp_double(&tmp[j], &x) > 0) {
            tmp[j + 1] = tmp[j];
            j--;
        }
        tmp[j + 1] = x;
    }
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

static void find_best_sample(struct srcstats *st)
{
    if (st->n_samples == 0)
        return;
    const struct timespec *last = &newest(st)->time;
    double best = DBL_MAX;
    int best_i = st->n_samples - 1;
    for (int i = 0; i < st->n_samples; i++) {
        const struct srcstats_point *p = sample_at(st, i);
        double elapsed = timespec_diff(last, &p->time);
        double dist = p->root_dispersion + elapsed * st->skew + 0.5 * p->root_delay;
        if (dist < best) {
            best = dist;
            best_i = i;
        }
    }
    st->best_sample = best_i;
}

/* Network jitter that is not the same in both directions biases the offsets of the
 * samples with a longer delay. The slope of offset against delay (with time as the other
 * variable) measures it; when it is large and keeps its sign, the offsets are moved to
 * what they would be at the minimum delay (chrony's automatic asymmetry). */
static void correct_asymmetry(struct srcstats *st, const double *x, double *y, int count)
{
    double d[SRCSTATS_BUF];
    if (st->fixed_asymmetry == 0.0)
        return;
    double min_delay = srcstats_min_delay(st);
    for (int i = 0; i < count; i++)
        d[i] = st->points[i].peer_delay - min_delay;

    if (fabs(st->fixed_asymmetry) <= MAX_ASYMMETRY) {
        st->asymmetry = st->fixed_asymmetry;
    } else {
        double a;
        if (!srcstats_multiple_regress(x, d, y, count, &a) || a * st->asymmetry_run < 0.0) {
            st->asymmetry = 0.0;
            st->asymmetry_run = 0;
            return;
        }
        if (a <= -MIN_ASYMMETRY && st->asymmetry_run > -MAX_ASYMMETRY_RUN)
            st->asymmetry_run--;
        else if (a >= MIN_ASYMMETRY && st->asymmetry_run < MAX_ASYMMETRY_RUN)
            st->asymmetry_run++;
        if (abs(st->asymmetry_run) < MIN_ASYMMETRY_RUN)
            return;
        st->asymmetry = a < -MAX_ASYMMETRY ? -MAX_ASYMMETRY : a > MAX_ASYMMETRY ? MAX_ASYMMETRY : a;
    }
    for (int i = 0; i < count; i++)
        y[i] -= st->asymmetry * d[i];
}

void srcstats_regress(struct srcstats *st)
{
    double x[SRCSTATS_BUF], y[SRCSTATS_BUF], w[SRCSTATS_MAX_SAMPLES];
    double dist[SRCSTATS_MAX_SAMPLES] = {0};
    int m = st->n_runs_extra, n = st->n_samples;

    if (n == 0) {
        st->regression_ok = false;
        return;
    }

    const struct timespec *last = &newest(st)->time;
    for (int i = 0; i < m + n; i++) {
        const struct srcstats_point *p = &st->points[i];
        x[i] = timespec_diff(&p->time, last); /* <= 0 */
        y[i] = p->offset;
    }
    correct_asymmetry(st, x, y, m + n);

    /* Weights from the peer distances: a sample whose distance exceeds the minimum by
     * one assumed standard deviation counts as a point with twice the error. */
    double min_dist = DBL_MAX;
    for (int i = 0; i < n; i++) {
        const struct srcstats_point *p = sample_at(st, i);
        dist[i] = 0.5 * p->peer_delay + p->peer_dispersion;
        if (dist[i] < min_dist)
            min_dist = dist[i];
    }
    double sd = (median_of(dist, n) - min_dist) / SD_TO_DIST_RATIO;
    if (sd > min_dist)
        sd = min_dist;
    if (sd < st->precision)
        sd = st->precision;
    min_dist += st->precision;
    for (int i = 0; i < n; i++) {
        double k = 1.0;
        if (dist[i] > min_dist)
            k += (dist[i] - min_dist) / sd;
        w[i] = k * k;
    }

    struct srcstats_fit fit;
    st->regression_ok = srcstats_find_best_regression(x + m, y + m, w, n, m, st->min_samples, &fit);

    if (st->regression_ok) {
        double old_freq = st->estimated_frequency, old_skew = st->skew;
        st->estimated_frequency = fit.b1;
        st->estimated_frequency_sd = fit.sb1 < MIN_SKEW   ? MIN_SKEW
                                     : fit.sb1 > MAX_SKEW ? MAX_SKEW
                                                          : fit.sb1;
        double skew = fit.sb1 * srcstats_t_coef(fit.dof);
        st->skew = skew < MIN_SKEW ? MIN_SKEW : skew > MAX_SKEW ? MAX_SKEW : skew;
        st->estimated_offset = fit.b0;
        st->offset_time = *last;
        st->estimated_offset_sd = fit.sb0;
        st->std_dev = sqrt(fit.s2) > MIN_STDDEV ? sqrt(fit.s2) : MIN_STDDEV;
        st->nruns = fit.n_runs;
        st->last_best_start = fit.new_start;
        st->last_regress_samples = n;
        st->last_stress =
            old_skew > 0.0 ? fabs(old_freq - st->estimated_frequency) / old_skew : 0.0;
        st->regressions++;
        prune(st, fit.new_start);
    } else {
        st->estimated_frequency = 0.0;
        st->estimated_frequency_sd = SRCSTATS_WORST_SKEW;
        st->skew = SRCSTATS_WORST_SKEW;
        st->last_best_start = 0;
    }
    find_best_sample(st);
}

void srcstats_slew(struct srcstats *st, const struct timespec *when, double dfreq, double doffset)
{
    if (n_points(st) == 0)
        return;
    for (int i = 0; i < n_points(st); i++) {
        struct srcstats_point *p = &st->points[i];
        double delta = timespec_diff(when, &p->time) * dfreq - doffset;
        p->time = timespec_add(&p->time, delta);
        p->offset += delta;
    }
    double delta = timespec_diff(when, &st->offset_time) * dfreq - doffset;
    st->offset_time = timespec_add(&st->offset_time, delta);
    st->estimated_offset += delta;
    st->estimated_frequency = (st->estimated_frequency - dfreq) / (1.0 - dfreq);
}

void srcstats_add_dispersion(struct srcstats *st, double dispersion)
{
    for (int i = 0; i < st->n_samples; i++) {
        struct srcstats_point *p = &st->points[st->n_runs_extra + i];
        p->root_dispersion += dispersion;
        p->peer_dispersion += dispersion;
    }
}

double srcstats_predict_offset(const struct srcstats *st, const struct timespec *when)
{
    if (st->n_samples < SRCSTATS_MIN_REGRESS)
        return st->n_samples > 0 ? newest(st)->offset : 0.0;
    return st->estimated_offset + timespec_diff(when, &st->offset_time) * st->estimated_frequency;
}

double srcstats_min_delay(const struct srcstats *st)
{
    if (st->fixed_min_delay > 0.0)
        return st->fixed_min_delay;
    if (n_points(st) == 0)
        return DBL_MAX;
    double best = DBL_MAX;
    for (int i = 0; i < n_points(st); i++)
        if (st->points[i].peer_delay < best)
            best = st->points[i].peer_delay;
    return best;
}

bool srcstats_delay_test_data(const struct srcstats *st, const struct timespec *sample_time,
                              double *last_sample_ago, double *predicted_offset, double *min_delay,
                              double *skew, double *std_dev)
{
    if (st->n_samples < 6)
        return false;
    *last_sample_ago = timespec_diff(sample_time, &st->offset_time);
    *predicted_offset = st->estimated_offset + *last_sample_ago * st->estimated_frequency;
    *min_delay = srcstats_min_delay(st);
    *skew = st->skew;
    *std_dev = st->std_dev;
    return true;
}

void srcstats_frequency_range(const struct srcstats *st, double *lo, double *hi)
{
    double skew = st->skew;
    if (skew > SRCSTATS_WORST_SKEW) {
        *lo = -SRCSTATS_WORST_SKEW;
        *hi = SRCSTATS_WORST_SKEW;
        return;
    }
    *lo = st->estimated_frequency - skew;
    *hi = st->estimated_frequency + skew;
}

void srcstats_selection_data(const struct srcstats *st, const struct timespec *now,
                             struct srcstats_selection *out)
{
    memset(out, 0, sizeof(*out));
    if (st->n_samples == 0) {
        out->select_ok = false;
        return;
    }
    const struct srcstats_point *b = sample_at(st, st->best_sample);
    out->stratum = st->stratum;
    out->leap = st->leap;
    out->std_dev = st->std_dev;
    double elapsed = fabs(timespec_diff(now, &b->time));
    double offset = b->offset + elapsed * st->estimated_frequency;
    out->root_distance = 0.5 * b->root_delay + b->root_dispersion + elapsed * st->skew;
    out->lo_limit = offset - out->root_distance;
    out->hi_limit = offset + out->root_distance;
    out->first_sample_ago = timespec_diff(now, &sample_at(st, 0)->time);
    out->last_sample_ago = timespec_diff(now, &newest(st)->time);
    out->select_ok = st->regression_ok;
}

void srcstats_tracking_data(const struct srcstats *st, struct srcstats_tracking *out)
{
    const struct srcstats_point *b = sample_at(st, st->best_sample);
    out->ref_time = st->offset_time;
    out->offset = st->estimated_offset;
    out->offset_sd = st->estimated_offset_sd;
    out->frequency = st->estimated_frequency;
    out->frequency_sd = st->estimated_frequency_sd;
    out->skew = st->skew;
    out->root_delay = b->root_delay;
    out->root_dispersion =
        b->root_dispersion + st->skew * timespec_diff(&st->offset_time, &b->time) + out->offset_sd;
}

void srcstats_report(const struct srcstats *st, const struct timespec *now,
                     struct srcstats_report *out)
{
    memset(out, 0, sizeof(*out));
    out->n_samples = st->n_samples;
    out->n_runs = st->nruns;
    if (st->n_samples > 1) {
        const struct srcstats_point *l = newest(st);
        double span = timespec_diff(&l->time, &sample_at(st, 0)->time);
        out->span_seconds = (unsigned long)(span + 0.5);
        if (st->n_samples > 3) {
            const struct srcstats_point *b = sample_at(st, st->best_sample);
            double elapsed = timespec_diff(now, &st->offset_time);
            double sample_elapsed = timespec_diff(now, &b->time);
            out->est_offset = st->estimated_offset + elapsed * st->estimated_frequency;
            out->est_offset_err = st->estimated_offset_sd + sample_elapsed * st->skew +
                                  0.5 * b->root_delay + b->root_dispersion;
        } else {
            out->est_offset = l->offset;
            out->est_offset_err = 0.5 * l->root_delay + l->root_dispersion;
        }
    }
    out->resid_freq_ppm = 1.0e6 * st->estimated_frequency;
    out->skew_ppm = 1.0e6 * st->skew;
    out->sd = st->std_dev;

    if (st->n_samples > 0) {
        const struct srcstats_point *l = newest(st);
        out->has_sample = true;
        out->latest_meas = l->offset;
        out->orig_latest_meas = l->orig_offset;
        out->latest_meas_err = 0.5 * l->root_delay + l->root_dispersion;
        /* whole seconds, as chrony does, to not leak the receive timestamp */
        struct timespec t = l->time;
        t.tv_nsec = 0;
        out->latest_meas_ago = timespec_diff(now, &t);
        out->stratum = st->stratum;
    } else {
        out->latest_meas_ago = 4294967295.0;
    }
}
