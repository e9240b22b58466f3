/* systemd's readiness protocol (sd_notify, Type=notify), without libsystemd: datagrams
 * such as "READY=1" to the Unix socket named by $NOTIFY_SOCKET (a path, or an abstract
 * name written with a leading '@'), and watchdog keep-alives when $WATCHDOG_USEC is set. */
#ifndef TOCK_DAEMON_NOTIFY_H
#define TOCK_DAEMON_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

struct notify {
    int fd; /* -1: no NOTIFY_SOCKET (not started by systemd) */
    struct sockaddr_un addr;
    socklen_t addr_len;
    double watchdog_interval; /* seconds between WATCHDOG=1, 0 = no watchdog */
};

/* Parses a NOTIFY_SOCKET value into a socket address. Returns the address length, or 0 if
 * the value is not a usable Unix socket name (empty, relative, too long). */
socklen_t notify_parse_address(const char *value, struct sockaddr_un *addr);

/* The keep-alive period for WATCHDOG_USEC and WATCHDOG_PID (either may be NULL): half the
 * watchdog timeout, as sd_watchdog_enabled() advises; 0 when there is no watchdog or it is
 * meant for another process. */
double notify_watchdog_interval(const char *usec, const char *pid, pid_t self);

/* Reads the environment and opens the socket. The variables are removed from the
 * environment so that no helper process inherits them. Returns 0 (n->fd is -1 when there is
 * nothing to notify), or -1 with a message in err when NOTIFY_SOCKET is set but unusable. */
int notify_open(struct notify *n, char *err, size_t errlen);

/* Sends one message ("READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=..."), without
 * blocking. Returns 0, or -1 with errno (nothing is sent when n->fd is -1: returns 0). */
int notify_send(struct notify *n, const char *msg);

void notify_close(struct notify *n);

#endif
