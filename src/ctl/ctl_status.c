#include "ctl/ctl_status.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl_fmt.h"
#include "ctl/ctl_json.h"
#include "ctl/ctl_report.h"

enum ref_kind { REF_NONE, REF_NTP, REF_LOCAL, REF_REFCLOCK };

static enum ref_kind reference_kind(const struct candm_tracking *t)
{
    if (t->leap_status == 3)
        return REF_NONE;
    if (!t->ip.is_id && (t->ip.ip.family == AF_INET || t->ip.ip.family == AF_INET6))
        return REF_NTP;
    if (t->ref_id == CTL_REFID_LOCAL)
        return REF_LOCAL;
    if (t->ref_id != 0)
        return REF_REFCLOCK;
    return REF_NONE;
}

static bool is_ntp_source(const struct candm_source_data *s)
{
    return (s->mode == CANDM_SD_MODE_CLIENT || s->mode == CANDM_SD_MODE_PEER) && !s->ip.is_id &&
           (s->ip.ip.family == AF_INET || s->ip.ip.family == AF_INET6);
}

/* The source the daemon is synchronised to, or NULL. */
static const struct candm_source_data *
reference_source(const struct candm_tracking *t, const struct candm_source_data *src, size_t n)
{
    enum ref_kind kind = reference_kind(t);
    for (size_t i = 0; i < n; i++) {
        const struct candm_source_data *s = &src[i];
        if (kind == REF_NTP && is_ntp_source(s) && tock_ip_equal(&s->ip.ip, &t->ip.ip))
            return s;
        if (kind == REF_REFCLOCK && s->mode == CANDM_SD_MODE_REF &&
            ctl_ip_refid(&s->ip) == t->ref_id)
            return s;
    }
    return NULL;
}

/* ntpstat's poll: the reference's, or while unsynchronised the shortest NTP poll. */
static bool status_poll(const struct candm_tracking *t, const struct candm_source_data *src,
                        size_t n, int *poll)
{
    const struct candm_source_data *ref = reference_source(t, src, n);
    bool found = false;

    if (ref) {
        *poll = ref->poll;
        return true;
    }
    if (reference_kind(t) != REF_NONE)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (is_ntp_source(&src[i]) && (!found || src[i].poll < *poll)) {
            *poll = src[i].poll;
            found = true;
        }
    }
    return found;
}

static double error_bound(const struct candm_tracking *t)
{
    return t->root_delay / 2.0 + t->root_dispersion + fabs(t->current_correction);
}

int ctl_status_report(struct ctl_buf *b, bool json, const struct candm_tracking *t,
                      const struct candm_source_data *src, size_t n, double max_error_ms)
{
    enum ref_kind kind = reference_kind(t);
    bool synced = t->leap_status <= 2 && kind != REF_NONE;
    double bound_ms = error_bound(t) * 1e3;
    bool exceeded = synced && max_error_ms > 0.0 && bound_ms > max_error_ms;
    int poll = 0;
    bool have_poll = status_poll(t, src, n, &poll);
    int rc = synced && !exceeded ? CTL_STATUS_SYNCED : CTL_STATUS_UNSYNCED;
    char addr[CANDM_IP_STRLEN], refid[5];

    candm_ip_format(&t->ip, addr, sizeof(addr));
    ctl_refid_text(t->ref_id, refid);

    if (json) {
        static const char *const kinds[] = {"none", "ntp_server", "local", "refclock"};
        bool f = true;
        ctl_buf_putc(b, '{');
        ctl_json_str_field(b, &f, "report", "status");
        ctl_json_bool_field(b, &f, "synchronised", synced);
        ctl_json_str_field(b, &f, "source", kinds[kind]);
        if (kind == REF_NTP)
            ctl_json_str_field(b, &f, "address", addr);
        else
            ctl_json_null_field(b, &f, "address");
        ctl_json_str_field(b, &f, "reference_id_text", refid);
        ctl_json_uint_field(b, &f, "stratum", t->stratum);
        ctl_json_num_field(b, &f, "max_error", error_bound(t));
        if (have_poll)
            ctl_json_num_field(b, &f, "poll_interval", ldexp(1.0, poll));
        else
            ctl_json_null_field(b, &f, "poll_interval");
        ctl_json_int_field(b, &f, "exit_code", rc);
        ctl_buf_puts(b, "}\n");
        return rc;
    }

    if (synced) {
        switch (kind) {
        case REF_NTP:
            ctl_buf_printf(b, "synchronised to NTP server (%s)", addr);
            break;
        case REF_LOCAL:
            ctl_buf_puts(b, "synchronised to local net");
            break;
        default:
            ctl_buf_printf(b, "synchronised to reference clock (%s)", refid);
            break;
        }
        ctl_buf_printf(b, " at stratum %u\n", (unsigned)t->stratum);
        ctl_buf_printf(b, "   time correct to within %.0f ms", bound_ms);
        if (exceeded)
            ctl_buf_printf(b, " (exceeded maximum of %g ms)", max_error_ms);
        ctl_buf_putc(b, '\n');
    } else {
        ctl_buf_puts(b, "unsynchronised\n");
    }
    if (!have_poll)
        ctl_buf_puts(b, "poll interval unknown\n");
    else if (poll >= 0 && poll < 31)
        ctl_buf_printf(b, "   polling server every %d s\n", 1 << poll);
    else
        ctl_buf_printf(b, "   polling server every %g s\n", ldexp(1.0, poll));
    return rc;
}

void ctl_check_defaults(struct ctl_check_limits *lim)
{
    memset(lim, 0, sizeof(*lim));
    lim->warn_offset = 0.1;
    lim->crit_offset = 1.0;
    lim->warn_stratum = 5;
    lim->crit_stratum = 15;
    lim->min_sources = 1;
    lim->max_age = 0.0;
    lim->warn_cert_days = 14.0;
    lim->crit_cert_days = 0.0;
}

struct verdict {
    int state;
    char problems[512];
};

static void problem(struct verdict *v, int state, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct verdict *v, int state, const char *fmt, ...)
{
    size_t len = strlen(v->problems);
    va_list ap;

    if (state > v->state)
        v->state = state;
    if (len > 0 && len + 2 < sizeof(v->problems)) {
        strcat(v->problems, "; ");
        len += 2;
    }
    if (len < sizeof(v->problems)) {
        va_start(ap, fmt);
        vsnprintf(v->problems + len, sizeof(v->problems) - len, fmt, ap);
        va_end(ap);
    }
}

static int popcount8(unsigned v)
{
    int n = 0;
    for (v &= 0xff; v; v &= v - 1)
        n++;
    return n;
}

int ctl_check_evaluate(struct ctl_buf *b, bool json, const struct ctl_check_limits *lim,
                       const struct ctl_check_input *in)
{
    static const char *const names[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
    const struct candm_tracking *t = &in->tracking;
    struct verdict v = {CTL_CHECK_OK, ""};
    char summary[256], addr[CANDM_IP_STRLEN], refid[5];
    int sources = 0, reach = 0;
    bool have_age = false;
    double age = 0.0;

    if (!in->reachable) {
        const char *why = in->error ? in->error : "no reply";
        if (json) {
            bool f = true;
            ctl_buf_putc(b, '{');
            ctl_json_str_field(b, &f, "report", "check");
            ctl_json_str_field(b, &f, "state", names[CTL_CHECK_UNKNOWN]);
            ctl_json_int_field(b, &f, "exit_code", CTL_CHECK_UNKNOWN);
            ctl_json_str_field(b, &f, "message", why);
            ctl_buf_puts(b, "}\n");
        } else {
            ctl_buf_printf(b, "NTP UNKNOWN: cannot talk to the daemon (%s)\n", why);
        }
        return CTL_CHECK_UNKNOWN;
    }

    for (size_t i = 0; i < in->n_sources; i++) {
        const struct candm_source_data *s = &in->sources[i];
        if (s->state == CANDM_SD_STATE_SELECTED || s->state == CANDM_SD_STATE_UNSELECTED)
            sources++;
        if (s->state == CANDM_SD_STATE_SELECTED)
            reach = popcount8(s->reachability);
    }
    enum ref_kind kind = reference_kind(t);
    double offset = t->current_correction;
    if (t->ref_time.tv_sec != 0 || t->ref_time.tv_nsec != 0) {
        have_age = true;
        age = (double)(in->now.tv_sec - t->ref_time.tv_sec) +
              (double)(in->now.tv_nsec - t->ref_time.tv_nsec) * 1e-9;
    }

    candm_ip_format(&t->ip, addr, sizeof(addr));
    ctl_refid_text(t->ref_id, refid);
    switch (kind) {
    case REF_NTP:
        snprintf(summary, sizeof(summary), "synchronised to %s at stratum %u, offset %+.9f s", addr,
                 (unsigned)t->stratum, offset);
        break;
    case REF_LOCAL:
        snprintf(summary, sizeof(summary), "serving the local reference at stratum %u",
                 (unsigned)t->stratum);
        break;
    case REF_REFCLOCK:
        snprintf(summary, sizeof(summary),
                 "synchronised to reference clock %s at stratum %u, offset %+.9f s", refid,
                 (unsigned)t->stratum, offset);
        break;
    default:
        snprintf(summary, sizeof(summary), "not synchronised");
        break;
    }

    if (kind == REF_NONE) {
        v.state = CTL_CHECK_CRITICAL;
    } else {
        if (kind == REF_LOCAL)
            problem(&v, CTL_CHECK_WARNING, "no time source, local reference only");
        if (fabs(offset) >= lim->crit_offset)
            problem(&v, CTL_CHECK_CRITICAL, "offset %.6f s at or above %g s", fabs(offset),
                    lim->crit_offset);
        else if (fabs(offset) >= lim->warn_offset)
            problem(&v, CTL_CHECK_WARNING, "offset %.6f s at or above %g s", fabs(offset),
                    lim->warn_offset);
        if (t->stratum > lim->crit_stratum)
            problem(&v, CTL_CHECK_CRITICAL, "stratum %u above %d", (unsigned)t->stratum,
                    lim->crit_stratum);
        else if (t->stratum > lim->warn_stratum)
            problem(&v, CTL_CHECK_WARNING, "stratum %u above %d", (unsigned)t->stratum,
                    lim->warn_stratum);
        if (kind != REF_LOCAL && sources < lim->min_sources)
            problem(&v, CTL_CHECK_WARNING, "%d usable sources, fewer than %d", sources,
                    lim->min_sources);
        if (lim->max_age > 0.0 && have_age && age > lim->max_age)
            problem(&v, CTL_CHECK_WARNING, "last update %.0f s ago, more than %g s", age,
                    lim->max_age);
    }
    if (in->have_cert_days) {
        const char *file = in->cert_file ? in->cert_file : "";
        const char *sp = in->cert_file ? " " : "";
        if (in->cert_days_left <= 0.0 && in->cert_days_left <= lim->crit_cert_days)
            problem(&v, CTL_CHECK_CRITICAL, "NTS certificate%s%s expired %.1f days ago", sp, file,
                    -in->cert_days_left);
        else if (in->cert_days_left <= lim->crit_cert_days)
            problem(&v, CTL_CHECK_CRITICAL, "NTS certificate%s%s expires in %.1f days (<= %g)", sp,
                    file, in->cert_days_left, lim->crit_cert_days);
        else if (in->cert_days_left <= lim->warn_cert_days)
            problem(&v, CTL_CHECK_WARNING, "NTS certificate%s%s expires in %.1f days (<= %g)", sp,
                    file, in->cert_days_left, lim->warn_cert_days);
    }
    if (in->cert_error)
        problem(&v, CTL_CHECK_WARNING, "%s", in->cert_error);

    if (json) {
        bool f = true;
        char message[800];
        snprintf(message, sizeof(message), "%s%s%s", v.problems, v.problems[0] ? "; " : "",
                 summary);
        ctl_buf_putc(b, '{');
        ctl_json_str_field(b, &f, "report", "check");
        ctl_json_str_field(b, &f, "state", names[v.state]);
        ctl_json_int_field(b, &f, "exit_code", v.state);
        ctl_json_str_field(b, &f, "message", message);
        ctl_json_bool_field(b, &f, "synchronised", kind != REF_NONE);
        ctl_json_num_field(b, &f, "offset", offset);
        ctl_json_uint_field(b, &f, "stratum", t->stratum);
        ctl_json_int_field(b, &f, "sources", sources);
        ctl_json_int_field(b, &f, "reach", reach);
        if (have_age)
            ctl_json_num_field(b, &f, "age", age);
        else
            ctl_json_null_field(b, &f, "age");
        if (in->have_cert_days)
            ctl_json_num_field(b, &f, "cert_days", in->cert_days_left);
        ctl_buf_puts(b, "}\n");
        return v.state;
    }

    ctl_buf_printf(b, "NTP %s: %s%s%s", names[v.state], v.problems, v.problems[0] ? "; " : "",
                   summary);
    /* Perfdata: 'label'=value[UOM];[warn];[crit];[min];[max] */
    ctl_buf_printf(b, " | offset=%.9fs;%g;%g stratum=%u;%d;%d sources=%d;%d: reach=%d;;;0;8",
                   offset, lim->warn_offset, lim->crit_offset, (unsigned)t->stratum,
                   lim->warn_stratum, lim->crit_stratum, sources, lim->min_sources, reach);
    if (have_age) {
        ctl_buf_printf(b, " age=%.0fs", age);
        if (lim->max_age > 0.0)
            ctl_buf_printf(b, ";%g", lim->max_age);
    }
    if (in->have_cert_days)
        ctl_buf_printf(b, " cert_days=%.1f;%g;%g", in->cert_days_left, lim->warn_cert_days,
                       lim->crit_cert_days);
    ctl_buf_putc(b, '\n');
    return v.state;
}
