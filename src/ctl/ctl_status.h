/* `tockctl status` (ntpstat's report and exit codes) and `tockctl check` (a Nagios/Icinga
 * plugin): pure decisions over a tracking report and the source list. */
#ifndef TOCK_CTL_CTL_STATUS_H
#define TOCK_CTL_CTL_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "ctl/ctl_buf.h"
#include "proto/candm.h"

/* Exit codes of ntpstat. */
enum { CTL_STATUS_SYNCED = 0, CTL_STATUS_UNSYNCED = 1, CTL_STATUS_NO_DAEMON = 2 };

/* Writes ntpstat's report:
 *   synchronised to NTP server (192.0.2.1) at stratum 3
 *      time correct to within 42 ms
 *      polling server every 64 s
 * ("local net" for chrony's local reference, "reference clock (GPS)" for a refclock;
 * "unsynchronised" when the leap status says so). The error bound is root delay / 2 + root
 * dispersion + |remaining correction|, as ntpstat computes it for chronyd. The poll comes
 * from the source list (for an unsynchronised daemon: the shortest poll of its NTP
 * sources). max_error_ms > 0 is ntpstat's -m: a larger bound makes the exit code 1.
 * Returns CTL_STATUS_SYNCED or CTL_STATUS_UNSYNCED. */
int ctl_status_report(struct ctl_buf *b, bool json, const struct candm_tracking *t,
                      const struct candm_source_data *src, size_t n, double max_error_ms);

/* Nagios plugin states = exit codes. */
enum { CTL_CHECK_OK = 0, CTL_CHECK_WARNING = 1, CTL_CHECK_CRITICAL = 2, CTL_CHECK_UNKNOWN = 3 };

struct ctl_check_limits {
    double warn_offset, crit_offset; /* |system time correction|, s (0.1 / 1.0) */
    int warn_stratum, crit_stratum;  /* a stratum above these (5 / 15) */
    int min_sources;                 /* fewer selected+combined sources warns (1) */
    double max_age;                  /* s since the last clock update warns; 0 = off */
    /* NTS certificate expiry (days left), checked when the input has it: at or below
     * warn_cert_days WARNING, at or below crit_cert_days (expired) CRITICAL. */
    double warn_cert_days, crit_cert_days; /* (14 / 0) */
};

struct ctl_check_input {
    bool reachable;    /* false: the daemon did not answer -> UNKNOWN */
    const char *error; /* why not (e.g. "506 Cannot talk to daemon") */
    struct candm_tracking tracking;
    const struct candm_source_data *sources;
    size_t n_sources;
    struct timespec now;    /* for the age of the last update */
    bool have_cert_days;    /* the NTS server certificate expiring first is known */
    double cert_days_left;  /* days until it expires (negative: expired) */
    const char *cert_file;  /* its file (for the message), may be NULL */
    const char *cert_error; /* a certificate that could not be read: WARNING with this */
};

/* The tutorial's monitoring script thresholds: offset 0.1 s, stratum above 5 warns. */
void ctl_check_defaults(struct ctl_check_limits *lim);

/* Writes one status line with perfdata, e.g.
 *   NTP OK: synchronised to 127.0.0.1 at stratum 9, offset -0.000002313 s |
 *   offset=-0.000002313s;0.1;1 stratum=9;5;15 sources=1;1: reach=8;;;0;8 age=1s
 * (one line), or a JSON object. Returns the plugin state (the exit code). Unsynchronised
 * is CRITICAL; serving only the local reference is at least WARNING. */
int ctl_check_evaluate(struct ctl_buf *b, bool json, const struct ctl_check_limits *lim,
                       const struct ctl_check_input *in);

#endif
