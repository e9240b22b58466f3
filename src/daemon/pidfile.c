#include "daemon/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void describe_holder(int fd, const char *path, char *err, size_t errlen)
{
    char buf[32] = "";
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    long pid = n > 0 ? strtol(buf, NULL, 10) : 0;
    if (pid > 0)
        snprintf(err, errlen, "another tockd is already running (pid %ld, pidfile %s)", pid, path);
    else
        snprintf(err, errlen, "another tockd is already running (pidfile %s is locked)", path);
}

int pidfile_acquire(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open pidfile %s: %s", path, strerror(errno));
        return -1;
    }
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) < 0) {
        if (errno == EACCES || errno == EAGAIN)
            describe_holder(fd, path, err, errlen);
        else
            snprintf(err, errlen, "cannot lock pidfile %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        snprintf(err, errlen, "cannot write pidfile %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

void pidfile_release(int fd, const char *path)
{
    if (fd < 0)
        return;
    unlink(path);
    close(fd);
}
