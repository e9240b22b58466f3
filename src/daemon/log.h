/* Logging for the daemon: to stderr in the foreground (-d), to syslog otherwise. Messages
 * are single lines; the level filter comes from -L. */
#ifndef TOCK_DAEMON_LOG_H
#define TOCK_DAEMON_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG, LOG_TARGET_FILE };

void log_init(enum log_target target, int min_level);
/* Logs to a file instead (-l FILE, as chronyd -l), appended, one line per message.
 * Returns 0, or -1 (the target is unchanged). */
int log_open_file(const char *path);
/* A forked helper process calls this before closing inherited descriptors: forgets the
 * syslog connection (it is reopened on the next message). */
void log_after_fork(void);
/* Reopens the -l file (after log rotation moved it). Returns 0 or -1. */
int log_reopen_file(void);
/* The log file's descriptor (kept open in helper processes), or -1. */
int log_file_fd(void);
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
