/* The statistics log files (`log measurements statistics tracking selection`, inventory
 * 1.5): chronyd's file names, banners and line formats, as pure functions over the sync
 * engine's observer events (sync/engine.h). The daemon (src/daemon/statlog.c) owns the
 * files; everything that decides what a line looks like is here and unit-tested against
 * lines written by a real chronyd 4.3.
 *
 * Times are UTC ("2026-11-26 11:58:50"); addresses are printed left-aligned in 15
 * columns (longer IPv6 addresses push the rest of the line right, as in chronyd).
 */
#ifndef TOCK_MONITOR_STATLOG_FMT_H
#define TOCK_MONITOR_STATLOG_FMT_H

#include <stdbool.h>
#include <stddef.h>

#include "sync/engine.h"
#include "sync/ntpsrc.h"
#include "util/addr.h"

enum statlog_kind {
    STATLOG_MEASUREMENTS, /* measurements.log (also `rawmeasurements`) */
    STATLOG_STATISTICS,   /* statistics.log */
    STATLOG_TRACKING,     /* tracking.log */
    STATLOG_SELECTION,    /* selection.log */
    STATLOG_N
};

/* "measurements", "statistics", "tracking", "selection" (the file is NAME.log). */
const char *statlog_name(enum statlog_kind kind);

/* The column header line of a file (no newline). */
const char *statlog_header(enum statlog_kind kind);

/* True when the banner goes before the line numbered `written` (0 = the first line since
 * the file was (re)opened): every `logbanner` lines; never when logbanner is 0. */
bool statlog_banner_due(unsigned long written, int logbanner);

/* The banner: a row of '=' as long as the header, the header, the row again, each with a
 * newline. Returns the length written (0 if cap is too small). */
size_t statlog_banner(enum statlog_kind kind, char *buf, size_t cap);

/* One line each, with its newline. Return the length, 0 if cap is too small (every line
 * fits in STATLOG_LINE_MAX). */
#define STATLOG_LINE_MAX 320

/* tx_source / rx_source: 'D' daemon, 'K' kernel, 'H' hardware timestamp. */
size_t statlog_measurement(char *buf, size_t cap, const struct tock_ip *ip,
                           const struct ntpsrc_measurement *m, char tx_source, char rx_source);
size_t statlog_statistics(char *buf, size_t cap, const struct tock_ip *ip,
                          const struct sync_event_statistics *s);
size_t statlog_selection(char *buf, size_t cap, const struct tock_ip *ip,
                         const struct sync_event_selection *s);
size_t statlog_tracking(char *buf, size_t cap, const struct sync_event_tracking *t);

/* "YYYY-MM-DD HH:MM:SS" (UTC) into buf (at least 20 bytes). */
void statlog_time(time_t t, char *buf, size_t cap);

#endif
