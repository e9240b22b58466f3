#include "monitor/metrics_fmt.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/textbuf.h"

/* ---- HTTP ---- */

/* Offset just past the end of the headers ("\r\n\r\n" or "\n\n"), or 0. */
static size_t end_of_headers(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* The request line: "METHOD SP TARGET SP HTTP/1.x". */
static enum metrics_http parse_request_line(const char *line, size_t len)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1 || sp1 == line)
        return METRICS_HTTP_BAD_REQUEST;
    const char *target = sp1 + 1;
    const char *sp2 = memchr(target, ' ', len - (size_t)(target - line));
    if (!sp2 || sp2 == target)
        return METRICS_HTTP_BAD_REQUEST;
    const char *version = sp2 + 1;
    size_t vlen = len - (size_t)(version - line);
    if (!(vlen == 8 &&
          (memcmp(version, "HTTP/1.0", 8) == 0 || memcmp(version, "HTTP/1.1", 8) == 0)))
        return METRICS_HTTP_BAD_REQUEST;
    size_t mlen = (size_t)(sp1 - line), tlen = (size_t)(sp2 - target);
    if (target[0] != '/')
        return METRICS_HTTP_BAD_REQUEST;
    if (!(mlen == 3 && memcmp(line, "GET", 3) == 0))
        return METRICS_HTTP_BAD_METHOD;
    if (tlen >= 8 && memcmp(target, "/metrics", 8) == 0 && (tlen == 8 || target[8] == '?'))
        return METRICS_HTTP_METRICS;
    return METRICS_HTTP_NOT_FOUND;
}

static bool bad_bytes(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c >= 0x7f || (c < 0x20 && c != '\r' && c != '\n' && c != '\t'))
            return true;
    }
    return false;
}

/* Decisions depend only on the bytes up to the one that decides, so reading more of the
 * same stream never changes a result other than INCOMPLETE. */
enum metrics_http metrics_http_parse(const char *buf, size_t len, size_t max_len)
{
    if (len > max_len)
        len = max_len;
    const char *nl = memchr(buf, '\n', len);
    size_t line_len = nl ? (size_t)(nl - buf) : len;
    if (bad_bytes(buf, line_len))
        return METRICS_HTTP_BAD_REQUEST;
    if (nl) {
        if (line_len > 0 && buf[line_len - 1] == '\r')
            line_len--;
        enum metrics_http r = parse_request_line(buf, line_len);
        if (r != METRICS_HTTP_METRICS && r != METRICS_HTTP_NOT_FOUND)
            return r;
        /* A good request line: the request is complete at the empty line (HTTP/1.0
         * clients may send no header at all). */
        size_t rest = len - (size_t)(nl - buf);
        size_t end = end_of_headers(nl, rest);
        if (bad_bytes(nl, end ? end : rest))
            return METRICS_HTTP_BAD_REQUEST;
        if (end)
            return r;
    }
    return len >= max_len ? METRICS_HTTP_TOO_LARGE : METRICS_HTTP_INCOMPLETE;
}

size_t metrics_http_error(enum metrics_http result, char *buf, size_t cap)
{
    const char *status;
    switch (result) {
    case METRICS_HTTP_NOT_FOUND:
        status = "404 Not Found";
        break;
    case METRICS_HTTP_BAD_METHOD:
        status = "405 Method Not Allowed";
        break;
    case METRICS_HTTP_TOO_LARGE:
        status = "431 Request Header Fields Too Large";
        break;
    default:
        status = "400 Bad Request";
        break;
    }
    const char *body = result == METRICS_HTTP_NOT_FOUND ? "tockd serves only /metrics\n" : "";
    int n = snprintf(buf, cap,
                     "HTTP/1.0 %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
                     status, strlen(body),
                     result == METRICS_HTTP_BAD_METHOD ? "Allow: GET\r\n" : "", body);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

size_t metrics_http_header(size_t body_len, char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                     body_len);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* ---- the text format ---- */
static void family(struct textbuf *o, const char *name, const char *type, const char *help)
{
    textbuf_put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A float in the format's syntax: integers in full, NaN and infinities by name, anything
 * else with the fewest digits that read back as the same double (so 0.0125 stays 0.0125
 * and a Unix time keeps its fraction). */
static void put_value(struct textbuf *o, double v)
{
    char text[32];
    if (isnan(v)) {
        textbuf_put(o, "NaN\n");
    } else if (isinf(v)) {
        textbuf_put(o, "%sInf\n", v > 0 ? "+" : "-");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        textbuf_put(o, "%.0f\n", v);
    } else {
        for (int digits = 9; digits <= 17; digits++) {
            snprintf(text, sizeof(text), "%.*g", digits, v);
            if (strtod(text, NULL) == v)
                break;
        }
        textbuf_put(o, "%s\n", text);
    }
}

static void put_name(struct textbuf *o, const char *name, const char *labels)
{
    if (labels && labels[0])
        textbuf_put(o, "%s{%s} ", name, labels);
    else
        textbuf_put(o, "%s ", name);
}

static void sample(struct textbuf *o, const char *name, const char *labels, double v)
{
    put_name(o, name, labels);
    put_value(o, v);
}

static void sample_u64(struct textbuf *o, const char *name, const char *labels, uint64_t v)
{
    put_name(o, name, labels);
    textbuf_put(o, "%" PRIu64 "\n", v);
}

/* label="value" with the format's escapes (backslash, quote, newline); other control
 * bytes and bytes outside ASCII (the text must be valid UTF-8) become '?'. Appends to buf
 * (NUL-terminated, truncated at cap). */
static void add_label(char *buf, size_t cap, const char *label, const char *value)
{
    size_t len = strlen(buf);
    int n = snprintf(buf + len, cap - len, "%s%s=\"", len ? "," : "", label);
    if (n < 0 || (size_t)n >= cap - len)
        return;
    len += (size_t)n;
    for (const unsigned char *p = (const unsigned char *)value; *p && len + 3 < cap; p++) {
        if (*p == '\\' || *p == '"') {
            buf[len++] = '\\';
            buf[len++] = (char)*p;
        } else if (*p == '\n') {
            buf[len++] = '\\';
            buf[len++] = 'n';
        } else {
            buf[len++] = *p < 0x20 || *p >= 0x7f ? '?' : (char)*p;
        }
    }
    if (len + 1 < cap)
        buf[len++] = '"';
    buf[len] = '\0';
}

#define LABELS_MAX (2 * CANDM_NAME_LEN + 256)

static void source_labels(const struct metrics_source *s, char *buf, size_t cap)
{
    char addr[CANDM_IP_STRLEN];
    buf[0] = '\0';
    candm_ip_format(&s->data.ip, addr, sizeof(addr));
    add_label(buf, cap, "address", addr);
    add_label(buf, cap, "name", s->name);
}

static const char *const state_names[] = {"selected", "unusable", "falseticker",
                                          "jittery",  "combined", "not_combined"};
static const char state_chars[] = "*?x~+-";

static const char *leap_name(unsigned leap)
{
    static const char *const names[] = {"normal", "insert_second", "delete_second",
                                        "unsynchronised"};
    return leap < 4 ? names[leap] : "unknown";
}

static double unix_time(const struct timespec *ts)
{
    return (double)ts->tv_sec + (double)ts->tv_nsec * 1e-9;
}

/* ---- the reference ---- */

static void render_reference(struct textbuf *o, const struct metrics_view *v)
{
    const struct candm_tracking *t = &v->tracking;
    char labels[LABELS_MAX] = "", refid[9], addr[CANDM_IP_STRLEN];
    bool has_ip = !t->ip.is_id && (t->ip.ip.family == AF_INET || t->ip.ip.family == AF_INET6);
    bool local = t->ref_id == 0x7F7F0101u && !has_ip;
    bool synced = t->leap_status != 3 && !local && (has_ip || t->ref_id != 0);

    snprintf(refid, sizeof(refid), "%08" PRIX32, t->ref_id);
    add_label(labels, sizeof(labels), "reference_id", refid);
    add_label(labels, sizeof(labels), "address",
              has_ip ? candm_ip_format(&t->ip, addr, sizeof(addr)) : "");
    add_label(labels, sizeof(labels), "leap", leap_name(t->leap_status));
    family(o, "tock_reference_info", "gauge",
           "The reference tockd follows (reference ID, its address, leap status); always 1.");
    sample(o, "tock_reference_info", labels, 1);
    family(o, "tock_reference_synchronised", "gauge",
           "1 when synchronised to a time source, 0 otherwise (also when serving only the local "
           "reference).");
    sample(o, "tock_reference_synchronised", NULL, synced);
    family(o, "tock_reference_local", "gauge", "1 when serving the local reference (`local`).");
    sample(o, "tock_reference_local", NULL, local);
    family(o, "tock_reference_stratum", "gauge", "Stratum tockd serves (0 when unsynchronised).");
    sample(o, "tock_reference_stratum", NULL, t->stratum);
    family(o, "tock_reference_leap_status", "gauge",
           "Leap status: 0 normal, 1 insert second, 2 delete second, 3 unsynchronised.");
    sample(o, "tock_reference_leap_status", NULL, t->leap_status);
    family(o, "tock_reference_time_seconds", "gauge",
           "Unix time of the last reference update (0 when unsynchronised).");
    sample(o, "tock_reference_time_seconds", NULL, unix_time(&t->ref_time));

    static const struct {
        const char *name, *help;
        size_t offset;
    } gauges[] = {
        {"tock_system_time_correction_seconds",
         "Offset still being corrected: positive when the clock is slow (tracking's System "
         "time).",
         offsetof(struct candm_tracking, current_correction)},
        {"tock_last_offset_seconds", "Offset measured at the last clock update.",
         offsetof(struct candm_tracking, last_offset)},
        {"tock_rms_offset_seconds", "Long-term average of the offset (RMS).",
         offsetof(struct candm_tracking, rms_offset)},
        {"tock_frequency_ppm", "Frequency correction of the clock: positive when it runs fast.",
         offsetof(struct candm_tracking, freq_ppm)},
        {"tock_residual_frequency_ppm",
         "Frequency of the reference relative to the clock, not yet corrected.",
         offsetof(struct candm_tracking, resid_freq_ppm)},
        {"tock_skew_ppm", "Estimated error bound of the frequency.",
         offsetof(struct candm_tracking, skew_ppm)},
        {"tock_root_delay_seconds", "Round-trip delay to the stratum-1 source.",
         offsetof(struct candm_tracking, root_delay)},
        {"tock_root_dispersion_seconds", "Dispersion accumulated back to the stratum-1 source.",
         offsetof(struct candm_tracking, root_dispersion)},
        {"tock_update_interval_seconds", "Interval between the last two clock updates.",
         offsetof(struct candm_tracking, last_update_interval)},
    };
    for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
        double value;
        memcpy(&value, (const char *)t + gauges[i].offset, sizeof(value));
        family(o, gauges[i].name, "gauge", gauges[i].help);
        sample(o, gauges[i].name, NULL, value);
    }
}

/* ---- sources ---- */

enum src_value { SV_ABSENT, SV_GAUGE, SV_COUNTER };

struct src_metric {
    const char *name, *type, *help;
    enum src_value (*get)(const struct metrics_source *s, double *out);
};

static enum src_value g_stratum(const struct metrics_source *s, double *v)
{
    *v = s->data.stratum;
    return SV_GAUGE;
}
static enum src_value g_poll(const struct metrics_source *s, double *v)
{
    *v = ldexp(1.0, s->data.poll);
    return SV_GAUGE;
}
static enum src_value g_reach(const struct metrics_source *s, double *v)
{
    *v = s->data.reachability & 0xff;
    return SV_GAUGE;
}
static enum src_value g_reach_ratio(const struct metrics_source *s, double *v)
{
    int n = 0;
    for (unsigned r = s->data.reachability & 0xff; r; r &= r - 1)
        n++;
    *v = n / 8.0;
    return SV_GAUGE;
}
static enum src_value g_selected(const struct metrics_source *s, double *v)
{
    *v = s->data.state == CANDM_SD_STATE_SELECTED;
    return SV_GAUGE;
}
static enum src_value g_age(const struct metrics_source *s, double *v)
{
    *v = s->data.since_sample;
    return s->data.since_sample == 0xFFFFFFFFu ? SV_ABSENT : SV_GAUGE;
}
static enum src_value g_offset(const struct metrics_source *s, double *v)
{
    *v = s->data.latest_meas;
    return s->data.since_sample == 0xFFFFFFFFu ? SV_ABSENT : SV_GAUGE;
}
static enum src_value g_measured_offset(const struct metrics_source *s, double *v)
{
    *v = s->data.orig_latest_meas;
    return s->data.since_sample == 0xFFFFFFFFu ? SV_ABSENT : SV_GAUGE;
}
static enum src_value g_offset_error(const struct metrics_source *s, double *v)
{
    *v = s->data.latest_meas_err;
    return s->data.since_sample == 0xFFFFFFFFu ? SV_ABSENT : SV_GAUGE;
}
static enum src_value g_delay(const struct metrics_source *s, double *v)
{
    *v = s->ntp.peer_delay;
    return s->has_ntp_data && s->ntp.total_valid_count ? SV_GAUGE : SV_ABSENT;
}
static enum src_value g_dispersion(const struct metrics_source *s, double *v)
{
    *v = s->ntp.peer_dispersion;
    return s->has_ntp_data && s->ntp.total_valid_count ? SV_GAUGE : SV_ABSENT;
}
static enum src_value g_jitter(const struct metrics_source *s, double *v)
{
    *v = s->stats.sd;
    return s->stats.n_samples ? SV_GAUGE : SV_ABSENT;
}
static enum src_value g_est_offset(const struct metrics_source *s, double *v)
{
    *v = s->stats.est_offset;
    return s->stats.n_samples ? SV_GAUGE : SV_ABSENT;
}
static enum src_value g_freq(const struct metrics_source *s, double *v)
{
    *v = s->stats.resid_freq_ppm;
    return s->stats.n_samples ? SV_GAUGE : SV_ABSENT;
}
static enum src_value g_skew(const struct metrics_source *s, double *v)
{
    *v = s->stats.skew_ppm;
    return s->stats.n_samples ? SV_GAUGE : SV_ABSENT;
}
static enum src_value g_samples(const struct metrics_source *s, double *v)
{
    *v = s->stats.n_samples;
    return SV_GAUGE;
}
static enum src_value g_span(const struct metrics_source *s, double *v)
{
    *v = s->stats.span_seconds;
    return SV_GAUGE;
}
static enum src_value c_tx(const struct metrics_source *s, double *v)
{
    *v = s->ntp.total_tx_count;
    return s->has_ntp_data ? SV_COUNTER : SV_ABSENT;
}
static enum src_value c_rx(const struct metrics_source *s, double *v)
{
    *v = s->ntp.total_rx_count;
    return s->has_ntp_data ? SV_COUNTER : SV_ABSENT;
}
static enum src_value c_valid(const struct metrics_source *s, double *v)
{
    *v = s->ntp.total_valid_count;
    return s->has_ntp_data ? SV_COUNTER : SV_ABSENT;
}
static enum src_value c_good(const struct metrics_source *s, double *v)
{
    *v = s->ntp.total_good_count;
    return s->has_ntp_data ? SV_COUNTER : SV_ABSENT;
}

static const struct src_metric source_metrics[] = {
    {"tock_source_stratum", "gauge", "Stratum of the source.", g_stratum},
    {"tock_source_poll_interval_seconds", "gauge", "Current polling interval.", g_poll},
    {"tock_source_reachability", "gauge",
     "Reachability register: the last 8 polls, newest in the lowest bit (shown in octal by "
     "`sources`).",
     g_reach},
    {"tock_source_reachability_ratio", "gauge", "Share of the last 8 polls that got an answer.",
     g_reach_ratio},
    {"tock_source_selected", "gauge", "1 for the source the clock is synchronised to.", g_selected},
    {"tock_source_last_sample_age_seconds", "gauge", "Time since the last good sample.", g_age},
    {"tock_source_offset_seconds", "gauge",
     "Offset of the last sample, adjusted for later clock corrections (positive: the local "
     "clock is ahead of the source).",
     g_offset},
    {"tock_source_measured_offset_seconds", "gauge", "Offset of the last sample as measured.",
     g_measured_offset},
    {"tock_source_offset_error_seconds", "gauge", "Error bound of the last sample's offset.",
     g_offset_error},
    {"tock_source_delay_seconds", "gauge", "Round-trip delay of the last reply.", g_delay},
    {"tock_source_dispersion_seconds", "gauge", "Dispersion of the last reply.", g_dispersion},
    {"tock_source_jitter_seconds", "gauge",
     "Standard deviation of the source's samples (sourcestats Std Dev).", g_jitter},
    {"tock_source_estimated_offset_seconds", "gauge",
     "Offset estimated from the samples' regression (sourcestats Offset).", g_est_offset},
    {"tock_source_frequency_ppm", "gauge",
     "Residual frequency of the source relative to the clock (sourcestats Frequency).", g_freq},
    {"tock_source_frequency_skew_ppm", "gauge", "Error bound of that frequency.", g_skew},
    {"tock_source_samples", "gauge", "Samples kept for the source (sourcestats NP).", g_samples},
    {"tock_source_span_seconds", "gauge", "Time between the oldest and newest sample.", g_span},
    {"tock_source_requests_sent_total", "counter", "Requests sent to the source.", c_tx},
    {"tock_source_replies_received_total", "counter", "Replies received from the source.", c_rx},
    {"tock_source_replies_valid_total", "counter", "Replies that passed the validity tests.",
     c_valid},
    {"tock_source_replies_good_total", "counter", "Replies that gave a usable sample.", c_good},
};

#define N_SOURCE_METRICS (sizeof(source_metrics) / sizeof(source_metrics[0]))

static void render_sources(struct textbuf *o, const struct metrics_view *v)
{
    char labels[LABELS_MAX];
    family(o, "tock_source_info", "gauge",
           "Each source with its selection state (as `sources`: selected *, combined +, "
           "not_combined -, unusable ?, falseticker x, jittery ~); always 1.");
    for (int i = 0; i < v->n_sources; i++) {
        const struct metrics_source *s = &v->sources[i];
        unsigned st = s->data.state < 6 ? s->data.state : 1;
        char state_char[2] = {state_chars[st], '\0'};
        source_labels(s, labels, sizeof(labels));
        add_label(labels, sizeof(labels), "mode",
                  s->data.mode == CANDM_SD_MODE_CLIENT ? "server"
                  : s->data.mode == CANDM_SD_MODE_PEER ? "peer"
                                                       : "refclock");
        add_label(labels, sizeof(labels), "state", state_names[st]);
        add_label(labels, sizeof(labels), "state_char", state_char);
        sample(o, "tock_source_info", labels, 1);
    }
    for (size_t m = 0; m < N_SOURCE_METRICS; m++) {
        bool header = false;
        for (int i = 0; i < v->n_sources; i++) {
            double value;
            if (source_metrics[m].get(&v->sources[i], &value) == SV_ABSENT)
                continue;
            if (!header) {
                family(o, source_metrics[m].name, source_metrics[m].type, source_metrics[m].help);
                header = true;
            }
            source_labels(&v->sources[i], labels, sizeof(labels));
            sample(o, source_metrics[m].name, labels, value);
        }
    }
    family(o, "tock_sources", "gauge",
           "Sources by activity state (as `activity`: online, offline, bursting, unresolved).");
    sample(o, "tock_sources", "state=\"online\"", v->activity.online);
    sample(o, "tock_sources", "state=\"offline\"", v->activity.offline);
    sample(o, "tock_sources", "state=\"burst_online\"", v->activity.burst_online);
    sample(o, "tock_sources", "state=\"burst_offline\"", v->activity.burst_offline);
    sample(o, "tock_sources", "state=\"unresolved\"", v->activity.unresolved);
}

/* ---- server, client log, the endpoint ---- */

static void render_server(struct textbuf *o, const struct metrics_view *v)
{
    const struct candm_server_stats *s = &v->server;
    family(o, "tock_ntp_requests_total", "counter",
           "NTP requests accepted for processing (serverstats: NTP packets received), "
           "including those then dropped by rate limiting.");
    sample_u64(o, "tock_ntp_requests_total", NULL, s->ntp_hits);
    family(o, "tock_ntp_dropped_total", "counter",
           "NTP requests not answered, by reason: ratelimit (serverstats: NTP packets dropped) "
           "and the checks before it (tock only).");
    sample_u64(o, "tock_ntp_dropped_total", "reason=\"ratelimit\"", s->ntp_drops);
    for (int r = 0; r < SERVER_DROP_N; r++) {
        char labels[64] = "";
        add_label(labels, sizeof(labels), "reason", server_drop_reason_name(r));
        sample_u64(o, "tock_ntp_dropped_total", labels, v->dropped[r]);
    }
    family(o, "tock_ntp_authenticated_requests_total", "counter",
           "NTP requests with a valid MAC or NTS authenticator.");
    sample_u64(o, "tock_ntp_authenticated_requests_total", NULL, s->ntp_auth_hits);
    family(o, "tock_ntp_interleaved_replies_total", "counter", "Replies sent in interleaved mode.");
    sample_u64(o, "tock_ntp_interleaved_replies_total", NULL, s->ntp_interleaved_hits);
    family(o, "tock_ntp_timestamps_held", "gauge",
           "Transmit timestamps kept for interleaved mode.");
    sample_u64(o, "tock_ntp_timestamps_held", NULL, s->ntp_timestamps);
    family(o, "tock_ntp_timestamp_span_seconds", "gauge",
           "Time span of the timestamps kept for interleaved mode.");
    sample_u64(o, "tock_ntp_timestamp_span_seconds", NULL, s->ntp_span_seconds);
    family(o, "tock_ntp_rx_timestamps_total", "counter",
           "Receive timestamps of served requests by source (daemon, kernel, hardware).");
    sample_u64(o, "tock_ntp_rx_timestamps_total", "source=\"daemon\"", s->ntp_daemon_rx_timestamps);
    sample_u64(o, "tock_ntp_rx_timestamps_total", "source=\"kernel\"", s->ntp_kernel_rx_timestamps);
    sample_u64(o, "tock_ntp_rx_timestamps_total", "source=\"hardware\"", s->ntp_hw_rx_timestamps);
    family(o, "tock_ntp_tx_timestamps_total", "counter",
           "Transmit timestamps of replies by source (daemon, kernel, hardware).");
    sample_u64(o, "tock_ntp_tx_timestamps_total", "source=\"daemon\"", s->ntp_daemon_tx_timestamps);
    sample_u64(o, "tock_ntp_tx_timestamps_total", "source=\"kernel\"", s->ntp_kernel_tx_timestamps);
    sample_u64(o, "tock_ntp_tx_timestamps_total", "source=\"hardware\"", s->ntp_hw_tx_timestamps);
    family(o, "tock_ntp_send_errors_total", "counter", "Replies the kernel refused to send.");
    sample_u64(o, "tock_ntp_send_errors_total", NULL, v->send_errors);
    family(o, "tock_nts_ke_connections_total", "counter", "NTS-KE connections accepted.");
    sample_u64(o, "tock_nts_ke_connections_total", NULL, s->nke_hits);
    family(o, "tock_nts_ke_connections_dropped_total", "counter",
           "NTS-KE connections dropped by rate limiting.");
    sample_u64(o, "tock_nts_ke_connections_dropped_total", NULL, s->nke_drops);
    family(o, "tock_command_requests_total", "counter",
           "Command requests (UDP and the Unix socket).");
    sample_u64(o, "tock_command_requests_total", NULL, s->cmd_hits);
    family(o, "tock_command_dropped_total", "counter", "Command requests dropped by cmdratelimit.");
    sample_u64(o, "tock_command_dropped_total", NULL, s->cmd_drops);
}

static void render_clientlog(struct textbuf *o, const struct metrics_view *v)
{
    family(o, "tock_clientlog_active", "gauge", "1 unless noclientlog is set.");
    sample(o, "tock_clientlog_active", NULL, v->clientlog_active);
    family(o, "tock_clientlog_records", "gauge", "Clients in the client log now.");
    sample_u64(o, "tock_clientlog_records", NULL, v->clientlog_records);
    family(o, "tock_clientlog_slots", "gauge", "Records the client log table has room for now.");
    sample_u64(o, "tock_clientlog_slots", NULL, v->clientlog_slots);
    family(o, "tock_clientlog_max_records", "gauge",
           "Records the client log may grow to (clientloglimit).");
    sample_u64(o, "tock_clientlog_max_records", NULL, v->clientlog_max_records);
    family(o, "tock_clientlog_memory_bytes", "gauge", "Memory of the client log table.");
    sample_u64(o, "tock_clientlog_memory_bytes", NULL, v->clientlog_memory_bytes);
    family(o, "tock_clientlog_records_dropped_total", "counter",
           "Client records evicted to make room (serverstats: Client log records dropped).");
    sample_u64(o, "tock_clientlog_records_dropped_total", NULL, v->server.log_drops);
}

size_t metrics_render_bound(int n_sources)
{
    /* Fixed part: every family's HELP and TYPE lines and the global samples (about 9 KiB
     * today); per source: its info line and one line per metric, each at most a name, the
     * escaped labels and a number. */
    size_t per_line = 64 + LABELS_MAX + 32;
    return 24 * 1024 + (size_t)(n_sources > 0 ? n_sources : 0) * (N_SOURCE_METRICS + 1) * per_line;
}

size_t metrics_render(const struct metrics_view *v, char *buf, size_t cap)
{
    struct textbuf o = {.buf = buf, .cap = cap};
    char labels[LABELS_MAX] = "";
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    add_label(labels, sizeof(labels), "version", v->version ? v->version : "");
    family(&o, "tock_build_info", "gauge", "tockd's version; always 1.");
    sample(&o, "tock_build_info", labels, 1);
    family(&o, "tock_start_time_seconds", "gauge", "Unix time tockd started.");
    sample(&o, "tock_start_time_seconds", NULL, v->start_time);
    render_reference(&o, v);
    render_sources(&o, v);
    render_server(&o, v);
    render_clientlog(&o, v);
    family(&o, "tock_metrics_scrapes_total", "counter", "Scrapes of this endpoint answered.");
    sample_u64(&o, "tock_metrics_scrapes_total", NULL, v->scrapes);
    family(&o, "tock_metrics_connections_rejected_total", "counter",
           "Connections to this endpoint refused (cmdallow/cmddeny, too many at once, bad "
           "request, timeout).");
    sample_u64(&o, "tock_metrics_connections_rejected_total", NULL, v->connections_rejected);
    if (o.overflow) {
        buf[0] = '\0';
        return 0;
    }
    return o.len;
}
