/* The shell around the sync engine: the daemon's notion of time, the engine's timer, clock
 * commands to the driver, the published reference state, the driftfile and the leap table. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/statlog.h"
#include "proto/ntp_time.h"
#include "sync/driftfile.h"
#include "sync/engine.h"
#include "sync/leapsec.h"
#include "sync/sync_conf.h"

/* The reference snapshot is republished at least this often even without events (the
 * local reference's time, the growth of root dispersion). */
#define MAX_TIMER_DELAY 4.0
#define ZONEINFO_DIR    "/usr/share/zoneinfo/"
#define MAX_SMALL_FILE  (1 << 20)

void tockd_now(struct tockd *d, struct timespec *cooked)
{
    struct timespec raw;
    d->clock->raw_now(d->clock, &raw);
    *cooked = sync_cook(d->engine, &raw);
}

void tockd_cook_kernel(struct tockd *d, const struct timespec *realtime, struct timespec *cooked)
{
    struct timespec raw;
    d->clock->raw_from_realtime(d->clock, realtime, &raw);
    *cooked = sync_cook(d->engine, &raw);
}

static int read_small_file(const char *path, uint8_t **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || st.st_size > MAX_SMALL_FILE) {
        close(fd);
        errno = st.st_size > MAX_SMALL_FILE ? EFBIG : errno;
        return -1;
    }
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (buf && got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!buf)
        return -1;
    *out = buf;
    *len = got;
    return 0;
}

/* driftfile: read at start; a missing or corrupt file is reported and ignored. */
static void read_driftfile(const char *path, struct sync_params *p)
{
    uint8_t *buf;
    size_t len;
    double freq, skew;
    if (read_small_file(path, &buf, &len) < 0) {
        if (errno == ENOENT)
            log_info("driftfile %s does not exist yet; starting with frequency 0", path);
        else
            log_warn("cannot read driftfile %s: %s; ignored", path, strerror(errno));
        return;
    }
    int rc = driftfile_parse((const char *)buf, len, &freq, &skew);
    free(buf);
    if (rc != DRIFTFILE_OK) {
        log_warn("driftfile %s is corrupt (%s); ignored", path, driftfile_error_name(rc));
        return;
    }
    p->initial_freq_ppm = freq;
    p->initial_skew_ppm = skew;
    log_info("frequency %.3f +/- %.3f ppm read from %s", freq, skew, path);
}

/* Written atomically: a temporary file in the same directory, fsync, rename. */
static void write_driftfile(const char *path, double freq, double skew)
{
    char line[DRIFTFILE_MAX_LEN + 1];
    char tmp[4096];
    int len = driftfile_format(freq, skew, line, sizeof(line));
    if (len < 0 || snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_warn("cannot write driftfile %s: %s", tmp, strerror(errno));
        return;
    }
    bool ok = write(fd, line, (size_t)len) == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        log_warn("cannot write driftfile %s: %s", path, strerror(errno));
        unlink(tmp);
    }
}

/* leapsectz TZ: the leap seconds of a right/ zone from its TZif file. */
static void load_leap_table(struct tockd *d, struct sync_params *p)
{
    const char *tz = d->conf->leapsectz;
    char path[4096];
    uint8_t *buf;
    size_t len;
    if (!tz)
        return;
    if (tz[0] == '/')
        snprintf(path, sizeof(path), "%s", tz);
    else
        snprintf(path, sizeof(path), ZONEINFO_DIR "%s", tz);
    if (strstr(tz, "..") || read_small_file(path, &buf, &len) < 0) {
        log_warn("leapsectz %s: cannot read %s: %s", tz, path, strerror(errno));
        return;
    }
    d->leaps = calloc(1, sizeof(*d->leaps));
    int rc = d->leaps ? leapsec_parse_tzif(buf, len, d->leaps) : -1;
    free(buf);
    if (rc != LEAPSEC_OK || d->leaps->n == 0) {
        log_warn("leapsectz %s: no leap seconds in %s (%s)", tz, path,
                 rc != LEAPSEC_OK ? leapsec_error_name(rc) : "not a right/ zone?");
        free(d->leaps);
        d->leaps = NULL;
        return;
    }
    p->leaps = d->leaps;
    log_info("leapsectz %s: %d leap seconds known, TAI-UTC now %d s", tz, d->leaps->n,
             leapsec_tai_offset(d->leaps, time(NULL)));
}

int tockd_sync_init(struct tockd *d)
{
    struct sync_params p;
    struct timespec raw;
    sync_params_from_conf(d->conf, d->precision_s, d->clock->freq_quantum_ppm, &p);
    if (d->conf->driftfile)
        read_driftfile(d->conf->driftfile, &p);
    load_leap_table(d, &p);
    p.observer = tockd_statlog_observer; /* statistics logs and logchange */
    p.observer_ctx = d;
    d->engine = calloc(1, sizeof(*d->engine));
    if (!d->engine) {
        log_err("out of memory");
        return -1;
    }
    d->clock->raw_now(d->clock, &raw);
    sync_init(d->engine, &p, &raw);
    tockd_sync_poke(d);
    return 0;
}

static void on_sync_timer(void *ctx);

/* What an operator reads in the log when the reference changes (chronyd's "Selected
 * source", "Can't synchronise"). */
static void log_reference_change(const struct reference_snapshot *a,
                                 const struct reference_snapshot *b)
{
    if (a->mode == b->mode && a->refid == b->refid && a->stratum == b->stratum)
        return;
    switch (b->mode) {
    case REFERENCE_SYNCED:
        log_info("selected source with reference id %08X, serving stratum %u", b->refid,
                 b->stratum);
        break;
    case REFERENCE_LOCAL:
        log_info("no selectable source: serving the local reference at stratum %u", b->stratum);
        break;
    case REFERENCE_UNSYNC:
        if (a->mode != REFERENCE_UNSYNC || a->stratum != 0)
            log_info("no selectable source: unsynchronised");
        break;
    }
}

static void apply_clock_commands(struct tockd *d)
{
    struct sync_clock_cmd cmd;
    sync_take_clock_cmd(d->engine, &cmd);
    if (!cmd.set_freq && !cmd.step && !cmd.set_leap && !cmd.set_status)
        return;
    if (cmd.step)
        log_warn("%s clock wrong by %.6f seconds, stepped",
                 strcmp(d->clock->name, "system") == 0 ? "system" : d->clock->name,
                 -cmd.step_offset);
    /* What an operator checks on the day of a leap second: that the clock (the kernel, for
     * the system driver) was told, and that the flag went away afterwards. */
    if (cmd.set_leap) {
        if (cmd.leap)
            log_info("leap second: the %s clock will %s at the end of this UTC day", d->clock->name,
                     cmd.leap > 0 ? "insert 23:59:60" : "skip 23:59:59");
        else
            log_info("leap second: flag cleared on the %s clock", d->clock->name);
    }
    if (d->clock->apply(d->clock, &cmd) < 0 && !d->clock_error_logged) {
        log_err("the clock could not be adjusted (%s); tockd keeps measuring and serving",
                strerror(errno));
        d->clock_error_logged = true;
    }
}

void tockd_sync_poke(struct tockd *d)
{
    struct timespec raw, cooked, when;
    apply_clock_commands(d);
    int leap = d->clock->take_leap_applied(d->clock);
    if (leap) {
        sync_notify_leap_applied(d->engine, leap);
        log_warn("leap second %s", leap > 0 ? "inserted" : "deleted");
        apply_clock_commands(d);
    }
    d->clock->raw_now(d->clock, &raw);
    cooked = sync_cook(d->engine, &raw);
    struct reference_snapshot before = d->ref;
    sync_reference_snapshot(d->engine, &raw, &d->ref);
    log_reference_change(&before, &d->ref);
    if (d->engine->leap_table_disagrees != d->leap_disagreement_logged) {
        d->leap_disagreement_logged = d->engine->leap_table_disagrees;
        if (d->leap_disagreement_logged)
            log_warn("the sources announce a leap second the leap table (%s) does not know",
                     d->conf->leapsectz ? d->conf->leapsectz : "none");
    }
    double freq, skew;
    if (d->conf->driftfile && sync_driftfile_due(d->engine, &freq, &skew))
        write_driftfile(d->conf->driftfile, freq, skew);

    double delay = MAX_TIMER_DELAY;
    if (sync_next_event(d->engine, &raw, &when)) {
        double until = timespec_diff(&when, &cooked);
        if (until < delay)
            delay = until < 0 ? 0 : until;
    }
    loop_cancel_timer(d->loop, d->sync_timer);
    d->sync_timer = loop_add_timer(d->loop, delay, on_sync_timer, d);
}

static void on_sync_timer(void *ctx)
{
    struct tockd *d = ctx;
    struct timespec raw;
    d->sync_timer = 0;
    d->clock->raw_now(d->clock, &raw);
    sync_timeout(d->engine, &raw);
    apply_clock_commands(d);
    if (d->sources) {
        tockd_sources_transmit_due(d);
        tockd_sources_check_replacements(d);
    }
    tockd_sync_poke(d);
}

void tockd_sync_shutdown(struct tockd *d)
{
    if (!d->engine)
        return;
    loop_cancel_timer(d->loop, d->sync_timer);
    d->sync_timer = 0;
    if (d->conf->driftfile && d->engine->updates > 0) {
        double freq, skew;
        sync_driftfile_values(d->engine, &freq, &skew);
        write_driftfile(d->conf->driftfile, freq, skew);
    }
    free(d->engine);
    d->engine = NULL;
    free(d->leaps);
    d->leaps = NULL;
}
