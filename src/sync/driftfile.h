/* The driftfile's text format (chrony compatible): one line with two "%20.6f" fields,
 * the frequency in ppm (+ = the clock gains, chrony's sign) and its error bound (skew) in
 * ppm. Pure: the daemon reads and writes the file (atomically, via rename).
 */
#ifndef TOCK_SYNC_DRIFTFILE_H
#define TOCK_SYNC_DRIFTFILE_H

#include <stddef.h>

#define DRIFTFILE_MAX_LEN 64 /* a valid file is 42 bytes; more is refused */

enum driftfile_error {
    DRIFTFILE_OK = 0,
    DRIFTFILE_ERR_FORMAT = -1, /* not two numbers */
    DRIFTFILE_ERR_RANGE = -2,  /* not finite, |freq| > 500000 ppm or skew < 0 */
    DRIFTFILE_ERR_LONG = -3,
};

/* Parses the file's bytes (need not be NUL-terminated). */
int driftfile_parse(const char *buf, size_t len, double *freq_ppm, double *skew_ppm);
/* Formats the line (with '\n') into out; returns its length or -1 if out is too small. */
int driftfile_format(double freq_ppm, double skew_ppm, char *out, size_t cap);
const char *driftfile_error_name(int err);

#endif
