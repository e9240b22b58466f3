#include "monitor/srcdump_fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
    char *buf;
    size_t cap, len;
    bool overflow;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->overflow = true;
    else
        o->len += (size_t)n;
}

size_t srcdump_format(char *buf, size_t cap, const char *name, bool authenticated, uint8_t reach,
                      int reach_size, const struct srcstats *st)
{
    struct out o = {.buf = buf, .cap = cap};
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    if (name[0] == '\0' || strpbrk(name, " \t\r\n") || strlen(name) > 255)
        return 0;
    /* chronyd refuses to load a file whose stratum or leap is out of range */
    int stratum = st->stratum >= 0 && st->stratum < 16 ? st->stratum : 0;
    int leap = st->leap >= 0 && st->leap < 3 ? st->leap : 0;
    put(&o, "SRC0\n%s\n%d %o %d %d %d\n", name, authenticated ? 1 : 0, (unsigned)reach, reach_size,
        stratum, leap);
    put(&o, "%d %d\n", st->n_samples, st->asymmetry_run);
    for (int i = 0; i < st->n_samples; i++) {
        const struct srcstats_point *p = &st->points[st->n_runs_extra + i];
        put(&o, "%lld.%09ld %.6e %.6e %.6e %.6e %.6e %.6e\n", (long long)p->time.tv_sec,
            (long)p->time.tv_nsec, p->offset, p->orig_offset, p->peer_delay, p->peer_dispersion,
            p->root_delay, p->root_dispersion);
    }
    if (o.overflow) {
        buf[0] = '\0';
        return 0;
    }
    return o.len;
}
