#include "monitor/statlog_fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* chronyd's banners, character for character (the widths of its columns follow). */
static const char *const headers[STATLOG_N] = {
    [STATLOG_MEASUREMENTS] =
        "   Date (UTC) Time     IP Address   L St 123 567 ABCD  LP RP Score "
        "   Offset  Peer del. Peer disp.  Root del. Root disp. Refid     MTxRx",
    [STATLOG_STATISTICS] = "   Date (UTC) Time     IP Address    Std dev'n Est offset  Offset sd  "
                           "Diff freq   Est skew  Stress  Ns  Bs  Nr  Asym",
    [STATLOG_TRACKING] =
        "   Date (UTC) Time     IP Address   St   Freq ppm   Skew ppm     Offset L "
        "Co  Offset sd Rem. corr. Root delay Root disp. Max. error",
    [STATLOG_SELECTION] =
        "   Date (UTC) Time     IP Address   S EOpts Reach Score Last sample  Low "
        "end   High end",
};

static const char *const names[STATLOG_N] = {
    [STATLOG_MEASUREMENTS] = "measurements",
    [STATLOG_STATISTICS] = "statistics",
    [STATLOG_TRACKING] = "tracking",
    [STATLOG_SELECTION] = "selection",
};

/* The leap indicator as a character: normal, insert, delete, unsynchronised. */
static const char leap_chars[4] = {'N', '+', '-', '?'};

const char *statlog_name(enum statlog_kind kind)
{
    return (unsigned)kind < STATLOG_N ? names[kind] : "";
}

const char *statlog_header(enum statlog_kind kind)
{
    return (unsigned)kind < STATLOG_N ? headers[kind] : "";
}

bool statlog_banner_due(unsigned long written, int logbanner)
{
    return logbanner > 0 && written % (unsigned long)logbanner == 0;
}

size_t statlog_banner(enum statlog_kind kind, char *buf, size_t cap)
{
    const char *h = statlog_header(kind);
    size_t n = strlen(h), total = 3 * (n + 1);
    if (total + 1 > cap)
        return 0;
    memset(buf, '=', n);
    buf[n] = '\n';
    memcpy(buf + n + 1, h, n);
    buf[2 * n + 1] = '\n';
    memset(buf + 2 * n + 2, '=', n);
    buf[3 * n + 2] = '\n';
    buf[total] = '\0';
    return total;
}

void statlog_time(time_t t, char *buf, size_t cap)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(buf, cap, "%Y-%m-%d %H:%M:%S", &tm) == 0)
        snprintf(buf, cap, "%s", "1970-01-01 00:00:00");
}

static size_t line(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static size_t line(char *buf, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 > cap) {
        if (cap > 0)
            buf[0] = '\0';
        return 0;
    }
    buf[n] = '\n';
    buf[n + 1] = '\0';
    return (size_t)n + 1;
}

/* The printable characters of a reference id ("GPS", "LOCL"), as chronyd names a
 * reference without an address. */
static void refid_text(uint32_t refid, char out[5])
{
    int j = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = (unsigned char)(refid >> (24 - 8 * i));
        if (c >= 0x20 && c < 0x7f)
            out[j++] = (char)c;
    }
    out[j] = '\0';
}

static int bit(uint16_t tests, int n)
{
    return (tests >> n) & 1;
}

static char leap_char(int leap)
{
    return leap >= 0 && leap < 4 ? leap_chars[leap] : '?';
}

size_t statlog_measurement(char *buf, size_t cap, const struct tock_ip *ip,
                           const struct ntpsrc_measurement *m, char tx_source, char rx_source)
{
    char when[32], addr[TOCK_IP_STRLEN];
    statlog_time(m->time.tv_sec, when, sizeof(when));
    tock_ip_format(ip, addr, sizeof(addr));
    uint16_t t = m->tests;
    return line(buf, cap,
                "%s %-15s %1c %2d %1d%1d%1d %1d%1d%1d %1d%1d%1d%d  %2d %2d %4.2f %10.3e %10.3e "
                "%10.3e %10.3e %10.3e %08X %1d%1c %1c %1c",
                when, addr, leap_char(m->leap), m->stratum, bit(t, 9), bit(t, 8), bit(t, 7),
                bit(t, 6), bit(t, 5), bit(t, 4), bit(t, 3), bit(t, 2), bit(t, 1), bit(t, 0),
                m->local_poll, m->remote_poll, m->poll_score, m->offset, m->peer_delay,
                m->peer_dispersion, m->root_delay, m->root_dispersion, (unsigned)m->ref_id, m->mode,
                'B', tx_source, rx_source);
}

size_t statlog_statistics(char *buf, size_t cap, const struct tock_ip *ip,
                          const struct sync_event_statistics *s)
{
    char when[32], addr[TOCK_IP_STRLEN];
    statlog_time(s->time.tv_sec, when, sizeof(when));
    tock_ip_format(ip, addr, sizeof(addr));
    return line(buf, cap, "%s %-15s %10.3e %10.3e %10.3e %10.3e %10.3e %7.1e %3d %3d %3d %5.2f",
                when, addr, s->std_dev, s->est_offset, s->est_offset_sd, s->est_freq, s->skew,
                s->stress, s->n_samples, s->best_start, s->n_runs, s->asymmetry);
}

size_t statlog_selection(char *buf, size_t cap, const struct tock_ip *ip,
                         const struct sync_event_selection *s)
{
    char when[32], addr[TOCK_IP_STRLEN];
    statlog_time(s->time.tv_sec, when, sizeof(when));
    tock_ip_format(ip, addr, sizeof(addr));
    return line(
        buf, cap, "%s %-15s %c -%c%c%c%c %4o %5.2f %10.3e %10.3e %10.3e", when, addr, s->letter,
        s->options & SELECT_OPT_NOSELECT ? 'N' : '-', s->options & SELECT_OPT_PREFER ? 'P' : '-',
        s->options & SELECT_OPT_TRUST ? 'T' : '-', s->options & SELECT_OPT_REQUIRE ? 'R' : '-',
        (unsigned)s->reach, s->score, s->last_sample_ago, s->lo_limit, s->hi_limit);
}

size_t statlog_tracking(char *buf, size_t cap, const struct sync_event_tracking *t)
{
    char when[32], addr[TOCK_IP_STRLEN];
    statlog_time(t->time.tv_sec, when, sizeof(when));
    if (t->ip.family == AF_INET || t->ip.family == AF_INET6)
        tock_ip_format(&t->ip, addr, sizeof(addr));
    else
        refid_text(t->ref_id, addr);
    return line(buf, cap,
                "%s %-15s %2d %10.3f %10.3f %10.3e %1c %2d %10.3e %10.3e %10.3e %10.3e %10.3e",
                when, addr, t->stratum, t->freq_ppm, t->skew_ppm, t->offset, leap_char(t->leap),
                t->combined, t->offset_sd, t->remaining_correction, t->root_delay,
                t->root_dispersion, t->max_error);
}
