#include "monitor/srcdump_fmt.h"

#include <stdio.h>
#include <string.h>

#include "util/textbuf.h"
size_t srcdump_format(char *buf, size_t cap, const char *name, bool authenticated, uint8_t reach,
                      int reach_size, const struct srcstats *st)
{
    struct textbuf o = {.buf = buf, .cap = cap};
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (name[0] == '\0' || strpbrk(name, " \t\r\n") || strlen(name) > 255)
        return 0;
    /* chronyd refuses to load a file whose stratum or leap is out of range */
    int stratum = st->stratum >= 0 && st->stratum < 16 ? st->stratum : 0;
    int leap = st->leap >= 0 && st->leap < 3 ? st->leap : 0;
    textbuf_put(&o, "SRC0\n%s\n%d %o %d %d %d\n", name, authenticated ? 1 : 0, (unsigned)reach,
                reach_size, stratum, leap);
    textbuf_put(&o, "%d %d\n", st->n_samples, st->asymmetry_run);
    for (int i = 0; i < st->n_samples; i++) {
        const struct srcstats_point *p = &st->points[st->n_runs_extra + i];
        textbuf_put(&o, "%lld.%09ld %.6e %.6e %.6e %.6e %.6e %.6e\n", (long long)p->time.tv_sec,
                    (long)p->time.tv_nsec, p->offset, p->orig_offset, p->peer_delay,
                    p->peer_dispersion, p->root_delay, p->root_dispersion);
    }
    if (o.overflow) {
        buf[0] = '\0';
        return 0;
    }
    return o.len;
}
