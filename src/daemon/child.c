#include "daemon/child.h"

#include <unistd.h>

#include "daemon/log.h"
#include "daemon/rand.h"

/* Closes every descriptor the helper does not need (it may be forked long after start,
 * when the main process holds NTP, command and source sockets). */
static void close_inherited(int keep1, int keep2)
{
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    int keep3 = log_file_fd();
    for (int fd = 3; fd < max; fd++)
        if (fd != keep1 && fd != keep2 && fd != keep3)
            close(fd);
}

void child_after_fork(int keep1, int keep2)
{
    rand_after_fork();
    log_after_fork();
    close_inherited(keep1, keep2);
}
