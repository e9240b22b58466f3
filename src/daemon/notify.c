/* sd_notify without libsystemd (see notify.h). */
#include "daemon/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

socklen_t notify_parse_address(const char *value, struct sockaddr_un *addr)
{
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (!value)
        return 0;
    size_t len = strlen(value);
    /* A path must be absolute; '@' starts an abstract name (its NUL is part of the name,
     * so the length counts exactly the bytes given). */
    if (len < 2 || len > sizeof(addr->sun_path) || (value[0] != '/' && value[0] != '@'))
        return 0;
    if (value[0] == '/' && len == sizeof(addr->sun_path))
        return 0; /* no room for the terminating NUL a path needs */
    memcpy(addr->sun_path, value, len);
    if (value[0] == '@')
        addr->sun_path[0] = '\0';
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

double notify_watchdog_interval(const char *usec, const char *pid, pid_t self)
{
    char *end;
    if (!usec || !*usec)
        return 0;
    if (pid && *pid) {
        errno = 0;
        long long p = strtoll(pid, &end, 10);
        if (errno || *end || p != (long long)self)
            return 0;
    }
    errno = 0;
    unsigned long long us = strtoull(usec, &end, 10);
    if (errno || *end || us == 0 || usec[0] == '-')
        return 0;
    return (double)us / 2e6;
}

int notify_open(struct notify *n, char *err, size_t errlen)
{
    const char *socket_env = getenv("NOTIFY_SOCKET");
    const char *usec = getenv("WATCHDOG_USEC");
    const char *pid = getenv("WATCHDOG_PID");
    memset(n, 0, sizeof(*n));
    n->fd = -1;
    n->watchdog_interval = notify_watchdog_interval(usec, pid, getpid());
    if (!socket_env) {
        n->watchdog_interval = 0;
        return 0;
    }
    /* Copy before unsetenv() frees the strings. */
    char value[sizeof(n->addr.sun_path) + 1];
    size_t len = strlen(socket_env);
    snprintf(value, sizeof(value), "%s", socket_env);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
    n->addr_len = len < sizeof(value) ? notify_parse_address(value, &n->addr) : 0;
    if (n->addr_len == 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET=%s is not a Unix socket address; not notifying",
                 value);
        n->watchdog_interval = 0;
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
        snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s", strerror(errno));
        n->watchdog_interval = 0;
        return -1;
    }
    int flags = fcntl(fd, F_GETFD);
    if (flags >= 0)
        (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    n->fd = fd;
    return 0;
}

int notify_send(struct notify *n, const char *msg)
{
    if (n->fd < 0)
        return 0;
    ssize_t rc = sendto(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
                        (const struct sockaddr *)&n->addr, n->addr_len);
    return rc < 0 ? -1 : 0;
}

void notify_close(struct notify *n)
{
    if (n->fd >= 0)
        close(n->fd);
    n->fd = -1;
}
