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
static FILE *log_file;
static char log_path[4096];

void log_init(enum log_target target, int min_level)
{
    log_target = target;
    log_min_level = min_level;
    if (target == LOG_TARGET_SYSLOG)
        openlog("tockd", LOG_PID, LOG_DAEMON);
}

int log_open_file(const char *path)
{
    FILE *f = fopen(path, "a");
    if (!f)
        return -1;
    setvbuf(f, NULL, _IOLBF, 0);
    if (log_file)
        fclose(log_file);
    log_file = f;
    log_target = LOG_TARGET_FILE;
    if (path != log_path)
        snprintf(log_path, sizeof(log_path), "%s", path);
    return 0;
}

void log_after_fork(void)
{
    /* The child closes descriptors it does not need; syslog's socket must not be one that
     * a later descriptor (a client's TCP connection) could reuse under glibc's feet. */
    if (log_target == LOG_TARGET_SYSLOG) {
        closelog();
        openlog("tockd", LOG_PID, LOG_DAEMON);
    }
}

int log_reopen_file(void)
{
    return log_file && log_path[0] ? log_open_file(log_path) : 0;
}

int log_file_fd(void)
{
    return log_file ? fileno(log_file) : -1;
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
    fprintf(log_target == LOG_TARGET_FILE && log_file ? log_file : stderr, "%s %s%s%s\n", stamp,
            log_prefix, tag, msg);
}
