/* Leap second table from a TZif file (RFC 8536/9636), as used by `leapsectz right/UTC`:
 * the file's leap second records tell when UTC inserted (or would delete) a second.
 *
 * One validating parser over the file's bytes (the daemon reads the file): it never reads
 * outside [buf, buf+len), accepts versions 1 to 4 (using the 64-bit block when present)
 * and refuses anything inconsistent with a clear error code. Pure, fuzzed
 * (tests/fuzz/fuzz_tzif.c).
 */
#ifndef TOCK_SYNC_LEAPSEC_H
#define TOCK_SYNC_LEAPSEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LEAPSEC_MAX 128

struct leapsec_entry {
    int64_t midnight; /* POSIX time of the UTC midnight at which the leap happens */
    int delta;        /* +1 inserted (23:59:60 before midnight), -1 deleted (23:59:59) */
    int tai_utc;      /* TAI - UTC after the leap (10 s + the file's correction) */
};

struct leapsec_table {
    int n;
    struct leapsec_entry e[LEAPSEC_MAX];
    int64_t expires; /* POSIX time the table expires (TZif v4), 0 = not given */
};

enum leapsec_error {
    LEAPSEC_OK = 0,
    LEAPSEC_ERR_SHORT = -1,   /* truncated */
    LEAPSEC_ERR_MAGIC = -2,   /* not a TZif file */
    LEAPSEC_ERR_COUNTS = -3,  /* inconsistent or oversized header counts */
    LEAPSEC_ERR_RECORDS = -4, /* leap records out of order or not +-1 s steps */
    LEAPSEC_ERR_NONE = -5,    /* valid TZif but no leap seconds (not a right/ zone) */
};

int leapsec_parse_tzif(const uint8_t *buf, size_t len, struct leapsec_table *out);
const char *leapsec_error_name(int err);

/* Leap second at the end of the UTC day containing `now`: +1, -1 or 0. */
int leapsec_at_end_of_day(const struct leapsec_table *t, time_t now);
/* TAI - UTC at `now` (10 before 1972, as the table says after). */
int leapsec_tai_offset(const struct leapsec_table *t, time_t now);

#endif
