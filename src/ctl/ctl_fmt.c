#include "ctl/ctl_fmt.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/candm.h"

void ctl_fmt_interval(struct ctl_buf *b, uint32_t s)
{
    if (s == UINT32_MAX) {
        ctl_buf_puts(b, "   -");
    } else if (s < 1200) {
        ctl_buf_printf(b, "%4" PRIu32, s);
    } else if (s < 36000) {
        ctl_buf_printf(b, "%3" PRIu32 "m", s / 60);
    } else if (s < 345600) {
        ctl_buf_printf(b, "%3" PRIu32 "h", s / 3600);
    } else {
        uint32_t days = s / 86400;
        if (days > 999)
            ctl_buf_printf(b, "%3" PRIu32 "y", days / 365);
        else
            ctl_buf_printf(b, "%3" PRIu32 "d", days);
    }
}

/* One table drives both offset formats: the magnitude picks the row, the row gives the
 * divisor, the digits after the point and the unit. */
struct unit_row {
    double below;
    double scale;
    int prec;
    const char *unit;
};

static const struct unit_row offset_units[] = {
    {9999.5e-9, 1e-9, 0, "ns"},
    {9999.5e-6, 1e-6, 0, "us"},
    {9999.5e-3, 1e-3, 0, "ms"},
    {999.5, 1.0, 1, "s"},
    {99999.5, 1.0, 0, "s"},
    {99999.5 * 60, 60.0, 0, "m"},
    {99999.5 * 3600, 3600.0, 0, "h"},
    {99999.5 * 3600 * 24, 3600.0 * 24, 0, "d"},
    {INFINITY, 3600.0 * 24 * 365, 0, "y"},
};

static void offset_with_unit(struct ctl_buf *b, double s, bool sign)
{
    double mag = fabs(s);
    size_t i = 0;

    while (!(mag < offset_units[i].below) && i + 1 < sizeof(offset_units) / sizeof(offset_units[0]))
        i++;
    const struct unit_row *r = &offset_units[i];
    /* Units of two letters get 4 digit columns, units of one letter 5 (6 and 7 signed
     * counting the unit), so every row is equally wide. */
    int width = (r->unit[1] ? 4 : 5) + (sign ? 1 : 0);
    double v = (sign ? s : mag) / r->scale;
    ctl_buf_printf(b, sign ? "%+*.*f%s" : "%*.*f%s", width, r->prec, v, r->unit);
}

void ctl_fmt_offset(struct ctl_buf *b, double s)
{
    offset_with_unit(b, s, false);
}

void ctl_fmt_signed_offset(struct ctl_buf *b, double s)
{
    offset_with_unit(b, s, true);
}

void ctl_fmt_freq(struct ctl_buf *b, double f)
{
    ctl_buf_printf(b, fabs(f) < 99999.5 ? "%10.3f" : "%10.0f", f);
}

void ctl_fmt_signed_freq(struct ctl_buf *b, double f)
{
    ctl_buf_printf(b, fabs(f) < 99999.5 ? "%+10.3f" : "%+10.0f", f);
}

void ctl_fmt_clientlog_interval(struct ctl_buf *b, int rate)
{
    if (rate >= 127)
        ctl_buf_puts(b, " -");
    else
        ctl_buf_printf(b, "%2d", rate);
}

void ctl_fmt_header(struct ctl_buf *b, bool csv, const char *header)
{
    if (csv)
        return;
    ctl_buf_printf(b, "%s\n", header);
    for (size_t i = strlen(header); i > 0; i--)
        ctl_buf_putc(b, '=');
    ctl_buf_putc(b, '\n');
}

const char *ctl_refid_text(uint32_t ref_id, char buf[5])
{
    int j = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
        int c = (int)((ref_id >> shift) & 0xff);
        if (isprint(c))
            buf[j++] = (char)c;
    }
    buf[j] = '\0';
    return buf;
}

static const char *leap_name(int leap, bool one_letter)
{
    static const char *const names[][2] = {
        {"Normal", "N"},
        {"Insert second", "+"},
        {"Delete second", "-"},
        {"Not synchronised", "?"},
    };
    if (leap < 0 || leap > 3)
        return one_letter ? "?" : "Invalid";
    return names[leap][one_letter ? 1 : 0];
}

static const char *ntp_mode_name(int mode)
{
    switch (mode) {
    case 1:
        return "Symmetric active";
    case 2:
        return "Symmetric passive";
    case 4:
        return "Server";
    default:
        return "Invalid";
    }
}

static const char *tss_name(int c)
{
    switch (c) {
    case 'D':
        return "Daemon";
    case 'K':
        return "Kernel";
    case 'H':
        return "Hardware";
    default:
        return "Invalid";
    }
}

struct spec {
    bool sign; /* '+' or '-' given */
    int width;
    int prec;
    char conv;
};

/* Reads "%[+|-][width][.prec]X" after the '%'; returns the position after it. */
static const char *parse_spec(const char *p, struct spec *s)
{
    s->sign = false;
    s->width = 0;
    s->prec = 5;
    if (*p == '+' || *p == '-') {
        s->sign = true;
        p++;
    }
    while (isdigit((unsigned char)*p))
        s->width = s->width * 10 + (*p++ - '0');
    if (*p == '.') {
        p++;
        s->prec = 0;
        while (isdigit((unsigned char)*p))
            s->prec = s->prec * 10 + (*p++ - '0');
    }
    s->conv = *p;
    return *p ? p + 1 : p;
}

/* CSV drops widths and signs and turns unit-formatted fields into plain numbers. */
static void csv_spec(struct spec *s)
{
    s->sign = false;
    s->width = 0;
    switch (s->conv) {
    case 'C':
        s->conv = 'd';
        break;
    case 'F':
    case 'P':
        s->conv = 'f';
        s->prec = 3;
        break;
    case 'O':
    case 'S':
        s->conv = 'f';
        s->prec = 9;
        break;
    case 'I':
        s->conv = 'U';
        break;
    case 'T':
        s->conv = 'V';
        break;
    default:
        break;
    }
}

static void format_field(struct ctl_buf *b, const struct spec *s, va_list *ap)
{
    switch (s->conv) {
    case 'B':
        ctl_buf_puts(b, va_arg(*ap, int) ? "Yes" : "No");
        break;
    case 'C':
        ctl_fmt_clientlog_interval(b, va_arg(*ap, int));
        break;
    case 'F':
    case 'O': {
        double x = va_arg(*ap, double);
        /* A positive correction means the clock is slow; a positive frequency fast. */
        bool slow = s->conv == 'O' ? x > 0.0 : !(x > 0.0);
        ctl_buf_printf(b, "%*.*f %s %s", s->width, s->prec, fabs(x),
                       s->conv == 'O' ? "seconds" : "ppm", slow ? "slow" : "fast");
        break;
    }
    case 'I':
        ctl_fmt_interval(b, va_arg(*ap, uint32_t));
        break;
    case 'L':
        ctl_buf_puts(b, leap_name(va_arg(*ap, int), s->width == 1));
        break;
    case 'M':
        ctl_buf_puts(b, ntp_mode_name(va_arg(*ap, int)));
        break;
    case 'N':
        ctl_buf_puts(b, tss_name(va_arg(*ap, int)));
        break;
    case 'P': {
        double x = va_arg(*ap, double);
        if (s->sign)
            ctl_fmt_signed_freq(b, x);
        else
            ctl_fmt_freq(b, x);
        break;
    }
    case 'R':
        ctl_buf_printf(b, "%08" PRIX32, va_arg(*ap, uint32_t));
        break;
    case 'S': {
        double x = va_arg(*ap, double);
        if (s->sign)
            ctl_fmt_signed_offset(b, x);
        else
            ctl_fmt_offset(b, x);
        break;
    }
    case 'T': {
        const struct timespec *ts = va_arg(*ap, const struct timespec *);
        struct tm tm;
        char text[64];
        if (gmtime_r(&ts->tv_sec, &tm) && strftime(text, sizeof(text), "%a %b %d %T %Y", &tm))
            ctl_buf_puts(b, text);
        break;
    }
    case 'U':
        ctl_buf_printf(b, "%*" PRIu32, s->width, va_arg(*ap, uint32_t));
        break;
    case 'V': {
        const struct timespec *ts = va_arg(*ap, const struct timespec *);
        ctl_buf_printf(b, "%lld.%09lu", (long long)ts->tv_sec, (unsigned long)ts->tv_nsec);
        break;
    }
    case 'Q':
        ctl_buf_printf(b, "%*" PRIu64, s->width, va_arg(*ap, uint64_t));
        break;
    case 'b': {
        unsigned v = va_arg(*ap, unsigned);
        for (int i = s->prec - 1; i >= 0; i--)
            ctl_buf_putc(b, (v >> i) & 1u ? '1' : '0');
        break;
    }
    case 'c':
        ctl_buf_putc(b, (char)va_arg(*ap, int));
        break;
    case 'd':
        ctl_buf_printf(b, "%*d", s->width, va_arg(*ap, int));
        break;
    case 'f':
        ctl_buf_printf(b, s->sign ? "%+*.*f" : "%*.*f", s->width, s->prec, va_arg(*ap, double));
        break;
    case 'o':
        ctl_buf_printf(b, "%*o", s->width, va_arg(*ap, unsigned));
        break;
    case 's':
        ctl_buf_printf(b, s->sign ? "%-*s" : "%*s", s->width, va_arg(*ap, const char *));
        break;
    case 'u':
        ctl_buf_printf(b, "%*u", s->width, va_arg(*ap, unsigned));
        break;
    default:
        break;
    }
}

void ctl_report(struct ctl_buf *b, bool csv, const char *fmt, ...)
{
    va_list ap;
    int fields = 0;
    const char *p = fmt;

    va_start(ap, fmt);
    while (*p) {
        const char *pct = strchr(p, '%');
        size_t lit = pct ? (size_t)(pct - p) : strlen(p);
        if (!csv)
            ctl_buf_append(b, p, lit);
        if (!pct || pct[1] == '\0')
            break;
        struct spec s;
        p = parse_spec(pct + 1, &s);
        if (csv) {
            csv_spec(&s);
            if (fields > 0)
                ctl_buf_putc(b, ',');
        }
        fields++;
        format_field(b, &s, &ap);
    }
    va_end(ap);
    if (csv)
        ctl_buf_putc(b, '\n');
}

const char *ctl_status_message(uint16_t status)
{
    switch (status) {
    case CANDM_STT_SUCCESS:
        return "200 OK";
    case CANDM_STT_ACCESSALLOWED:
        return "208 Access allowed";
    case CANDM_STT_ACCESSDENIED:
        return "209 Access denied";
    case CANDM_STT_FAILED:
        return "500 Failure";
    case CANDM_STT_UNAUTH:
        return "501 Not authorised";
    case CANDM_STT_INVALID:
        return "502 Invalid command";
    case CANDM_STT_NOSUCHSOURCE:
        return "503 No such source";
    case CANDM_STT_INVALIDTS:
        return "504 Duplicate or stale logon detected";
    case CANDM_STT_NOTENABLED:
        return "505 Facility not enabled in daemon";
    case CANDM_STT_BADSUBNET:
        return "507 Bad subnet";
    case CANDM_STT_NOHOSTACCESS:
        return "510 No command access from this host";
    case CANDM_STT_SOURCEALREADYKNOWN:
        return "511 Source already present";
    case CANDM_STT_TOOMANYSOURCES:
        return "512 Too many sources present";
    case CANDM_STT_NORTC:
        return "513 RTC driver not running";
    case CANDM_STT_BADRTCFILE:
        return "514 Can't write RTC parameters";
    case CANDM_STT_INVALIDAF:
        return "515 Invalid address family";
    case CANDM_STT_BADSAMPLE:
        return "516 Sample index out of range";
    case CANDM_STT_BADPKTVERSION:
        return "517 Protocol version mismatch";
    case CANDM_STT_BADPKTLENGTH:
        return "518 Packet length mismatch";
    case CANDM_STT_INACTIVE:
        return "519 Client logging is not active in the daemon";
    case CANDM_STT_INVALIDNAME:
        return "521 Invalid name";
    default:
        return "520 Got unexpected error from daemon";
    }
}
