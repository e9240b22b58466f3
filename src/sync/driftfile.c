#include "sync/driftfile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FREQ_PPM 500000.0

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    return p;
}

/* One number in the characters [p, end): digits, sign, point, exponent only. */
static const char *parse_number(const char *p, const char *end, double *out)
{
    char tmp[DRIFTFILE_MAX_LEN + 1];
    size_t n = 0;
    while (p + n < end && (isdigit((unsigned char)p[n]) || strchr("+-.eE", p[n])))
        n++;
    if (n == 0 || n > DRIFTFILE_MAX_LEN)
        return NULL;
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *e;
    errno = 0;
    double v = strtod(tmp, &e);
    if (e != tmp + n || errno == ERANGE)
        return NULL;
    *out = v;
    return p + n;
}

int driftfile_parse(const char *buf, size_t len, double *freq_ppm, double *skew_ppm)
{
    if (len > DRIFTFILE_MAX_LEN)
        return DRIFTFILE_ERR_LONG;
    const char *end = buf + len, *p = skip_space(buf, end);
    double f, s;
    if (!(p = parse_number(p, end, &f)))
        return DRIFTFILE_ERR_FORMAT;
    const char *q = skip_space(p, end);
    if (q == p)
        return DRIFTFILE_ERR_FORMAT; /* the two fields must be separated */
    if (!(p = parse_number(q, end, &s)))
        return DRIFTFILE_ERR_FORMAT;
    p = skip_space(p, end);
    while (p < end && (*p == '\n' || *p == '\r'))
        p++;
    if (p != end)
        return DRIFTFILE_ERR_FORMAT;
    if (!isfinite(f) || !isfinite(s) || fabs(f) > MAX_FREQ_PPM || s < 0.0)
        return DRIFTFILE_ERR_RANGE;
    *freq_ppm = f;
    *skew_ppm = s;
    return DRIFTFILE_OK;
}

int driftfile_format(double freq_ppm, double skew_ppm, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%20.6f %20.6f\n", freq_ppm, skew_ppm);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    return n;
}

const char *driftfile_error_name(int err)
{
    switch (err) {
    case DRIFTFILE_OK:
        return "ok";
    case DRIFTFILE_ERR_FORMAT:
        return "expected two numbers (frequency and skew in ppm)";
    case DRIFTFILE_ERR_RANGE:
        return "value out of range";
    case DRIFTFILE_ERR_LONG:
        return "file too long";
    default:
        return "unknown error";
    }
}
