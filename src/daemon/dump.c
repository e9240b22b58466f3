/* `dump` and the dump at exit: every source with an address and samples gets
 * DUMPDIR/ADDRESS.dat in chronyd's format (src/monitor/srcdump_fmt.h), written to a
 * temporary file and renamed, so a reader never sees half a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/daemon.h"
#include "daemon/log.h"
#include "monitor/srcdump_fmt.h"
#include "sync/engine.h"

static bool write_file(const char *dir, const char *name, const char *text, size_t len)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s/%s.dat", dir, name) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return false;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return false;
    bool ok = write(fd, text, len) == (ssize_t)len;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return false;
    }
    return true;
}

int tockd_dump(struct tockd *d)
{
    const char *dir = d->conf->dumpdir;
    int written = 0;
    if (!dir || !d->engine)
        return 0;
    char *text = malloc(SRCDUMP_MAX_LEN);
    if (!text)
        return -1;
    for (int i = 0; i < tockd_sources_count(d); i++) {
        struct source_info si;
        char addr[TOCK_IP_STRLEN];
        if (!tockd_source_info(d, i, &si) || !si.has_addr)
            continue;
        const struct sync_source *s = &d->engine->src[si.engine_idx];
        if (!s->in_use || s->ntp.stats.n_samples == 0)
            continue;
        size_t len = srcdump_format(text, SRCDUMP_MAX_LEN, si.cs->host, si.cs->key || si.cs->nts,
                                    s->ntp.reach, s->ntp.reach_size, &s->ntp.stats);
        tock_ip_format(&si.remote.ip, addr, sizeof(addr));
        if (len == 0) {
            log_warn("dump: source %s (%s) cannot be written in chronyd's format", addr,
                     si.cs->host);
            continue;
        }
        if (!write_file(dir, addr, text, len)) {
            log_warn("dump: cannot write %s/%s.dat: %s", dir, addr, strerror(errno));
            continue;
        }
        written++;
    }
    free(text);
    log_info("dumped the measurements of %d source%s to %s", written, written == 1 ? "" : "s", dir);
    return written;
}
