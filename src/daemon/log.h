/* Logging for the daemon: to stderr in the foreground (-d), to syslog otherwise. Messages
 * are single lines; the level filter comes from -L. */
#ifndef TOCK_DAEMON_LOG_H
#define TOCK_DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

void log_init(enum log_target target, int min_level);
/* -l FILE: messages go to FILE (appended) instead, formatted as on stderr. The file is opened
 * now (before the privilege drop). Returns 0, or -1 with errno (logging is unchanged). */
int log_open_file(const char *path);
/* Reopens the -l file (cyclelogs, SIGHUP: after log rotation). Keeps the old one if the new
 * one cannot be opened. */
void log_reopen_file(void);
/* A prefix for every message of this process (NTS-KE helpers use "nks#1: "). */
void log_set_prefix(const char *prefix);
/* level is a syslog priority: LOG_DEBUG, LOG_INFO, LOG_NOTICE, LOG_WARNING, LOG_ERR. */
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool log_enabled(int level);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)

#endif
