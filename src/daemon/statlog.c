#include "daemon/statlog.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/log.h"
#include "monitor/statlog_fmt.h"

#define LOGDIR_MODE  0750
#define LOGFILE_MODE 0644

struct statlog_file {
    bool enabled;
    int fd;                /* -1: closed (opened by the next line) */
    unsigned long written; /* lines since the file was opened, for the banner */
    bool failed;           /* open failed: skipped until the next cyclelogs */
};

struct statlog {
    char *dir;
    bool raw_measurements;
    int banner;
    struct statlog_file files[STATLOG_N];
    bool write_error_logged;
};

/* mkdir -p with `mode` for the directories it creates (chronyd's logdir handling). */
static int make_dirs(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    struct stat st;
    if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1;; p++) {
        bool end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (stat(buf, &st) < 0) {
            if (errno != ENOENT || mkdir(buf, mode) < 0)
                return -1;
        } else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return -1;
        }
        if (end)
            return 0;
        *p = '/';
    }
}

int tockd_statlog_start(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    unsigned flags = conf->log_flags;
    bool any = flags & (CONF_LOG_MEASUREMENTS | CONF_LOG_RAWMEASUREMENTS | CONF_LOG_STATISTICS |
                        CONF_LOG_TRACKING | CONF_LOG_SELECTION);
    if (flags & (CONF_LOG_RTC | CONF_LOG_REFCLOCKS | CONF_LOG_TEMPCOMP))
        log_warn("log rtc, refclocks and tempcomp have nothing to record in tock (no RTC "
                 "tracking, reference clocks or temperature compensation); ignored");
    if (!any)
        return 0;
    if (!conf->logdir) {
        log_warn("log files requested but no logdir set; no statistics logs are written "
                 "(fix: add e.g. 'logdir /var/log/tock')");
        return 0;
    }
    if (make_dirs(conf->logdir, LOGDIR_MODE) < 0) {
        log_err("cannot create logdir %s: %s; no statistics logs are written", conf->logdir,
                strerror(errno));
        return 0;
    }
    struct statlog *s = calloc(1, sizeof(*s));
    if (!s || !(s->dir = strdup(conf->logdir))) {
        free(s);
        log_err("out of memory");
        return 0;
    }
    s->banner = conf->logbanner;
    s->raw_measurements = flags & CONF_LOG_RAWMEASUREMENTS;
    s->files[STATLOG_MEASUREMENTS].enabled =
        flags & (CONF_LOG_MEASUREMENTS | CONF_LOG_RAWMEASUREMENTS);
    s->files[STATLOG_STATISTICS].enabled = flags & CONF_LOG_STATISTICS;
    s->files[STATLOG_TRACKING].enabled = flags & CONF_LOG_TRACKING;
    s->files[STATLOG_SELECTION].enabled = flags & CONF_LOG_SELECTION;
    for (int k = 0; k < STATLOG_N; k++)
        s->files[k].fd = -1;
    d->statlog = s;
    log_info("statistics logs in %s", conf->logdir);
    return 0;
}

static void close_all(struct statlog *s)
{
    for (int k = 0; k < STATLOG_N; k++) {
        struct statlog_file *f = &s->files[k];
        if (f->fd >= 0)
            close(f->fd);
        f->fd = -1;
        f->written = 0;
        f->failed = false;
    }
}

void tockd_statlog_stop(struct tockd *d)
{
    if (!d->statlog)
        return;
    close_all(d->statlog);
    free(d->statlog->dir);
    free(d->statlog);
    d->statlog = NULL;
}

void tockd_statlog_cycle(struct tockd *d)
{
    if (d->statlog) {
        close_all(d->statlog);
        d->statlog->write_error_logged = false;
    }
}

static bool open_file(struct statlog *s, enum statlog_kind kind)
{
    struct statlog_file *f = &s->files[kind];
    char path[PATH_MAX];
    if (f->fd >= 0)
        return true;
    if (f->failed)
        return false;
    if (snprintf(path, sizeof(path), "%s/%s.log", s->dir, statlog_name(kind)) >=
        (int)sizeof(path)) {
        errno = ENAMETOOLONG;
        f->fd = -1;
    } else {
        f->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, LOGFILE_MODE);
    }
    if (f->fd < 0) {
        log_warn("cannot open log file %s: %s; skipped until the logs are reopened", path,
                 strerror(errno));
        f->failed = true;
        return false;
    }
    f->written = 0;
    return true;
}

/* The banner when due, then the line: one write. */
static void write_line(struct statlog *s, enum statlog_kind kind, const char *text, size_t len)
{
    char buf[3 * 160 + STATLOG_LINE_MAX];
    struct statlog_file *f = &s->files[kind];
    size_t n = 0;
    if (len == 0 || !f->enabled || !open_file(s, kind))
        return;
    if (statlog_banner_due(f->written, s->banner))
        n = statlog_banner(kind, buf, sizeof(buf));
    if (n + len > sizeof(buf))
        return;
    memcpy(buf + n, text, len);
    n += len;
    ssize_t w = write(f->fd, buf, n);
    if (w != (ssize_t)n && !s->write_error_logged) {
        log_warn("cannot write to %s/%s.log: %s", s->dir, statlog_name(kind),
                 w < 0 ? strerror(errno) : "short write");
        s->write_error_logged = true;
    }
    f->written++;
}

/* The timestamp sources of source idx's last exchange ('K' kernel, 'D' daemon). */
static void timestamp_sources(struct tockd *d, int engine_idx, char *tx, char *rx)
{
    struct source_info si;
    *tx = *rx = 'D';
    for (int i = 0; i < tockd_sources_count(d); i++) {
        if (tockd_source_info(d, i, &si) && si.engine_idx == engine_idx) {
            *tx = si.tx_kernel ? 'K' : 'D';
            *rx = si.rx_kernel ? 'K' : 'D';
            return;
        }
    }
}

void tockd_statlog_observer(void *ctx, const struct sync_event *ev)
{
    struct tockd *d = ctx;
    struct statlog *s = d->statlog;
    char line[STATLOG_LINE_MAX];
    size_t len = 0;

    if (ev->kind == SYNC_EVENT_TRACKING && ev->u.tracking.update &&
        fabs(ev->u.tracking.offset) > d->conf->logchange)
        log_warn("System clock wrong by %.6f seconds, adjustment started", -ev->u.tracking.offset);
    if (!s)
        return;
    switch (ev->kind) {
    case SYNC_EVENT_MEASUREMENT: {
        char tx, rx;
        if (!s->files[STATLOG_MEASUREMENTS].enabled ||
            (!ev->u.measurement->synced && !s->raw_measurements))
            return;
        timestamp_sources(d, ev->source, &tx, &rx);
        len = statlog_measurement(line, sizeof(line), ev->ip, ev->u.measurement, tx, rx);
        write_line(s, STATLOG_MEASUREMENTS, line, len);
        break;
    }
    case SYNC_EVENT_STATISTICS:
        len = statlog_statistics(line, sizeof(line), ev->ip, &ev->u.statistics);
        write_line(s, STATLOG_STATISTICS, line, len);
        break;
    case SYNC_EVENT_SELECTION:
        len = statlog_selection(line, sizeof(line), ev->ip, &ev->u.selection);
        write_line(s, STATLOG_SELECTION, line, len);
        break;
    case SYNC_EVENT_TRACKING:
        len = statlog_tracking(line, sizeof(line), &ev->u.tracking);
        write_line(s, STATLOG_TRACKING, line, len);
        break;
    }
}
