#include "daemon/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum log_target log_target = LOG_TARGET_STDERR;
static int log_min_level = LOG_INFO;
static char log_prefix[32];
static FILE *log_file; /* -l FILE, else NULL */
static char *log_file_path;

void log_init(enum log_target target, int min_level)
{
    log_target = target;
    log_min_level = min_level;
    if (target == LOG_TARGET_SYSLOG)
        openlog("tockd", LOG_PID, LOG_DAEMON);
}

static FILE *open_log(const char *path)
{
    FILE *f = fopen(path, "ae");
    if (f)
        setvbuf(f, NULL, _IOLBF, 0);
    return f;
}

int log_open_file(const char *path)
{
    FILE *f = open_log(path);
    char *copy = strdup(path);
    if (!f || !copy) {
        if (f)
            fclose(f);
        free(copy);
        return -1;
    }
    if (log_file)
        fclose(log_file);
    free(log_file_path);
    log_file = f;
    log_file_path = copy;
    return 0;
}

void log_reopen_file(void)
{
    if (!log_file_path)
        return;
    FILE *f = open_log(log_file_path);
    if (!f) {
        log_warn("cannot reopen the log file %s: %s; still writing to the old one", log_file_path,
                 strerror(errno));
        return;
    }
    fclose(log_file);
    log_file = f;
}

void log_set_prefix(const char *prefix)
{
    snprintf(log_prefix, sizeof(log_prefix), "%s", prefix ? prefix : "");
}

bool log_enabled(int level)
{
    /* syslog priorities: smaller is more severe. */
    return level <= log_min_level;
}

void log_msg(int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!log_enabled(level))
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (log_target == LOG_TARGET_SYSLOG && !log_file) {
        syslog(level, "%s%s", log_prefix, msg);
        return;
    }
    /* Real time, not the disciplined clock: the log must not depend on the clock driver. */
    struct timespec now;
    struct tm tm;
    char stamp[32] = "";
    clock_gettime(CLOCK_REALTIME, &now);
    if (gmtime_r(&now.tv_sec, &tm))
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
    const char *tag = level <= LOG_ERR ? "error: " : level == LOG_WARNING ? "warning: " : "";
    fprintf(log_file ? log_file : stderr, "%s %s%s%s\n", stamp, log_prefix, tag, msg);
}
