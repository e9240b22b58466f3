/* The statistics log files in `logdir` (`log measurements rawmeasurements statistics
 * tracking selection`), the `logchange` warning, and their reopening for log rotation.
 *
 * chronyd's behaviour: logdir is created (mode 0750, with its parents) at start when any
 * log is enabled; each file, NAME.log, is opened in append mode (0644) when its first line
 * is due; a banner goes before every `logbanner` lines counted from the (re)opening;
 * cyclelogs (SIGHUP, `tockctl cyclelogs`) closes every file, so that the next line opens
 * the file now at that path (logrotate renamed the old one). Each line, with its banner,
 * is one write(2) in O_APPEND mode: a line is never split or interleaved, and none is lost
 * across a rotation (lines before the reopening go to the renamed file).
 *
 * A file that cannot be opened is reported once and skipped until the next cyclelogs.
 */
#ifndef TOCK_DAEMON_STATLOG_H
#define TOCK_DAEMON_STATLOG_H

#include "daemon/daemon.h"
#include "sync/engine.h"

/* Prepares the logs of the configuration (creates logdir). Call before the sync engine
 * starts: the engine's first event is a tracking line. Returns 0 (a log that cannot be
 * set up is a warning, never fatal). */
int tockd_statlog_start(struct tockd *d);
void tockd_statlog_stop(struct tockd *d);

/* Closes every file; the next line of each reopens it (log rotation). */
void tockd_statlog_cycle(struct tockd *d);

/* The sync engine's observer (ctx = struct tockd): writes the log lines, warns about
 * clock errors above `logchange`. */
void tockd_statlog_observer(void *ctx, const struct sync_event *ev);

#endif
