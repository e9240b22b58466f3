/* The pidfile, locked for the daemon's lifetime so two instances cannot run on one file. */
#ifndef TOCK_DAEMON_PIDFILE_H
#define TOCK_DAEMON_PIDFILE_H

#include <stddef.h>

/* Creates/locks path and writes our pid. Returns the open fd (keep it: closing it drops
 * the lock) or -1 with a message in err (e.g. "tockd is already running (pid 123)"). */
int pidfile_acquire(const char *path, char *err, size_t errlen);
void pidfile_release(int fd, const char *path);

#endif
