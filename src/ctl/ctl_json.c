#include "ctl/ctl_json.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl_fmt.h"
#include "ctl/ctl_report.h"

void ctl_json_string(struct ctl_buf *b, const char *s)
{
    ctl_buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            ctl_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f)
            ctl_buf_printf(b, "\\u%04x", *p);
        else
            ctl_buf_putc(b, (char)*p);
    }
    ctl_buf_putc(b, '"');
}

void ctl_json_key(struct ctl_buf *b, bool *first, const char *key)
{
    if (!*first)
        ctl_buf_putc(b, ',');
    *first = false;
    ctl_json_string(b, key);
    ctl_buf_putc(b, ':');
}

void ctl_json_str_field(struct ctl_buf *b, bool *first, const char *key, const char *v)
{
    ctl_json_key(b, first, key);
    ctl_json_string(b, v);
}

void ctl_json_num_field(struct ctl_buf *b, bool *first, const char *key, double v)
{
    ctl_json_key(b, first, key);
    /* JSON has no NaN or infinity; chrony's Float cannot produce them, but be safe. */
    if (!isfinite(v))
        ctl_buf_puts(b, "null");
    else
        ctl_buf_printf(b, "%.9g", v);
}

void ctl_json_int_field(struct ctl_buf *b, bool *first, const char *key, long long v)
{
    ctl_json_key(b, first, key);
    ctl_buf_printf(b, "%lld", v);
}

void ctl_json_uint_field(struct ctl_buf *b, bool *first, const char *key, uint64_t v)
{
    ctl_json_key(b, first, key);
    ctl_buf_printf(b, "%" PRIu64, v);
}

void ctl_json_bool_field(struct ctl_buf *b, bool *first, const char *key, bool v)
{
    ctl_json_key(b, first, key);
    ctl_buf_puts(b, v ? "true" : "false");
}

void ctl_json_null_field(struct ctl_buf *b, bool *first, const char *key)
{
    ctl_json_key(b, first, key);
    ctl_buf_puts(b, "null");
}

void ctl_json_time_fields(struct ctl_buf *b, bool *first, const char *key,
                          const struct timespec *ts)
{
    struct tm tm;
    char text[64], unix_key[64];

    ctl_json_key(b, first, key);
    if (gmtime_r(&ts->tv_sec, &tm) && strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm))
        ctl_buf_printf(b, "\"%s.%09ldZ\"", text, (long)ts->tv_nsec);
    else
        ctl_buf_puts(b, "null");
    snprintf(unix_key, sizeof(unix_key), "%s_unix", key);
    ctl_json_key(b, first, unix_key);
    if (ts->tv_sec < 0)
        ctl_buf_printf(b, "-%lld.%09ld", -(long long)ts->tv_sec - (ts->tv_nsec ? 1 : 0),
                       ts->tv_nsec ? 1000000000L - (long)ts->tv_nsec : 0L);
    else
        ctl_buf_printf(b, "%lld.%09ld", (long long)ts->tv_sec, (long)ts->tv_nsec);
}

void ctl_json_ip_field(struct ctl_buf *b, bool *first, const char *key, const struct candm_ip *ip)
{
    char buf[CANDM_IP_STRLEN];
    if (!ip->is_id && ip->ip.family != AF_INET && ip->ip.family != AF_INET6)
        ctl_json_null_field(b, first, key);
    else
        ctl_json_str_field(b, first, key, candm_ip_format(ip, buf, sizeof(buf)));
}

void ctl_json_ago_field(struct ctl_buf *b, bool *first, const char *key, uint32_t s)
{
    if (s == UINT32_MAX)
        ctl_json_null_field(b, first, key);
    else
        ctl_json_uint_field(b, first, key, s);
}

static void refid_fields(struct ctl_buf *b, bool *first, const char *key, uint32_t ref_id)
{
    char hex[9], text[5], text_key[64];
    snprintf(hex, sizeof(hex), "%08" PRIX32, ref_id);
    ctl_json_str_field(b, first, key, hex);
    snprintf(text_key, sizeof(text_key), "%s_text", key);
    ctl_json_str_field(b, first, text_key, ctl_refid_text(ref_id, text));
}

static void begin(struct ctl_buf *b, bool *first, const char *report)
{
    ctl_buf_putc(b, '{');
    *first = true;
    ctl_json_str_field(b, first, "report", report);
}

static void end(struct ctl_buf *b)
{
    ctl_buf_puts(b, "}\n");
}

const char *ctl_leap_key(int leap)
{
    static const char *const keys[] = {"normal", "insert_second", "delete_second",
                                       "unsynchronised"};
    return leap >= 0 && leap < 4 ? keys[leap] : "invalid";
}

const char *ctl_source_mode_key(int mode)
{
    static const char *const keys[] = {"server", "peer", "refclock"};
    return mode >= 0 && mode < 3 ? keys[mode] : "unknown";
}

const char *ctl_source_state_key(int state)
{
    static const char *const keys[] = {"selected", "unusable", "falseticker",
                                       "jittery",  "combined", "not_combined"};
    return state >= 0 && state < 6 ? keys[state] : "unknown";
}

void ctl_json_tracking(struct ctl_buf *b, const struct candm_tracking *t, const char *name)
{
    bool f;
    begin(b, &f, "tracking");
    refid_fields(b, &f, "reference_id", t->ref_id);
    ctl_json_str_field(b, &f, "name", name);
    ctl_json_ip_field(b, &f, "address", &t->ip);
    ctl_json_uint_field(b, &f, "stratum", t->stratum);
    ctl_json_time_fields(b, &f, "ref_time", &t->ref_time);
    ctl_json_num_field(b, &f, "system_time_correction", t->current_correction);
    ctl_json_num_field(b, &f, "last_offset", t->last_offset);
    ctl_json_num_field(b, &f, "rms_offset", t->rms_offset);
    ctl_json_num_field(b, &f, "frequency_ppm", t->freq_ppm);
    ctl_json_num_field(b, &f, "residual_frequency_ppm", t->resid_freq_ppm);
    ctl_json_num_field(b, &f, "skew_ppm", t->skew_ppm);
    ctl_json_num_field(b, &f, "root_delay", t->root_delay);
    ctl_json_num_field(b, &f, "root_dispersion", t->root_dispersion);
    ctl_json_num_field(b, &f, "update_interval", t->last_update_interval);
    ctl_json_str_field(b, &f, "leap_status", ctl_leap_key(t->leap_status));
    end(b);
}

void ctl_json_sources(struct ctl_buf *b, const struct candm_source_data *s,
                      const char *const *names, size_t n)
{
    bool f;
    begin(b, &f, "sources");
    ctl_json_key(b, &f, "sources");
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bool g = true;
        char mode[2] = {ctl_source_mode_char(s[i].mode), 0};
        char state[2] = {ctl_source_state_char(s[i].state), 0};
        if (i)
            ctl_buf_putc(b, ',');
        ctl_buf_putc(b, '{');
        ctl_json_str_field(b, &g, "mode", ctl_source_mode_key(s[i].mode));
        ctl_json_str_field(b, &g, "state", ctl_source_state_key(s[i].state));
        ctl_json_str_field(b, &g, "mode_char", mode);
        ctl_json_str_field(b, &g, "state_char", state);
        ctl_json_str_field(b, &g, "name", names[i]);
        if (s[i].mode == CANDM_SD_MODE_REF)
            ctl_json_null_field(b, &g, "address");
        else
            ctl_json_ip_field(b, &g, "address", &s[i].ip);
        ctl_json_uint_field(b, &g, "stratum", s[i].stratum);
        ctl_json_int_field(b, &g, "poll", s[i].poll);
        ctl_json_uint_field(b, &g, "reach", s[i].reachability);
        ctl_json_ago_field(b, &g, "last_rx", s[i].since_sample);
        ctl_json_num_field(b, &g, "adjusted_offset", s[i].latest_meas);
        ctl_json_num_field(b, &g, "measured_offset", s[i].orig_latest_meas);
        ctl_json_num_field(b, &g, "error", s[i].latest_meas_err);
        ctl_buf_putc(b, '}');
    }
    ctl_buf_putc(b, ']');
    end(b);
}

void ctl_json_sourcestats(struct ctl_buf *b, const struct candm_sourcestats *s,
                          const char *const *names, size_t n)
{
    bool f;
    begin(b, &f, "sourcestats");
    ctl_json_key(b, &f, "sources");
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bool g = true;
        if (i)
            ctl_buf_putc(b, ',');
        ctl_buf_putc(b, '{');
        ctl_json_str_field(b, &g, "name", names[i]);
        ctl_json_ip_field(b, &g, "address", &s[i].ip);
        refid_fields(b, &g, "reference_id", s[i].ref_id);
        ctl_json_uint_field(b, &g, "samples", s[i].n_samples);
        ctl_json_uint_field(b, &g, "runs", s[i].n_runs);
        ctl_json_uint_field(b, &g, "span", s[i].span_seconds);
        ctl_json_num_field(b, &g, "frequency_ppm", s[i].resid_freq_ppm);
        ctl_json_num_field(b, &g, "skew_ppm", s[i].skew_ppm);
        ctl_json_num_field(b, &g, "offset", s[i].est_offset);
        ctl_json_num_field(b, &g, "offset_error", s[i].est_offset_err);
        ctl_json_num_field(b, &g, "std_dev", s[i].sd);
        ctl_buf_putc(b, '}');
    }
    ctl_buf_putc(b, ']');
    end(b);
}

static void service_object(struct ctl_buf *b, bool *first, const char *key, uint32_t hits,
                           uint32_t drops, int interval, uint32_t last)
{
    bool g = true;
    ctl_json_key(b, first, key);
    ctl_buf_putc(b, '{');
    ctl_json_uint_field(b, &g, "hits", hits);
    ctl_json_uint_field(b, &g, "drops", drops);
    if (interval >= 127)
        ctl_json_null_field(b, &g, "interval");
    else
        ctl_json_int_field(b, &g, "interval", interval);
    ctl_json_ago_field(b, &g, "last", last);
    ctl_buf_putc(b, '}');
}

void ctl_json_clients(struct ctl_buf *b, const struct candm_client *c, const char *const *names,
                      size_t n)
{
    bool f;
    begin(b, &f, "clients");
    ctl_json_key(b, &f, "clients");
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bool g = true;
        if (i)
            ctl_buf_putc(b, ',');
        ctl_buf_putc(b, '{');
        ctl_json_ip_field(b, &g, "address", &c[i].ip);
        ctl_json_str_field(b, &g, "name", names[i]);
        service_object(b, &g, "ntp", c[i].ntp_hits, c[i].ntp_drops, c[i].ntp_interval,
                       c[i].last_ntp_hit_ago);
        if (c[i].ntp_timeout_interval >= 127)
            ctl_json_null_field(b, &g, "ntp_interval_after_drop");
        else
            ctl_json_int_field(b, &g, "ntp_interval_after_drop", c[i].ntp_timeout_interval);
        service_object(b, &g, "cmd", c[i].cmd_hits, c[i].cmd_drops, c[i].cmd_interval,
                       c[i].last_cmd_hit_ago);
        service_object(b, &g, "nts_ke", c[i].nke_hits, c[i].nke_drops, c[i].nke_interval,
                       c[i].last_nke_hit_ago);
        ctl_buf_putc(b, '}');
    }
    ctl_buf_putc(b, ']');
    end(b);
}

void ctl_json_activity(struct ctl_buf *b, const struct candm_activity *a)
{
    bool f;
    begin(b, &f, "activity");
    ctl_json_int_field(b, &f, "online", a->online);
    ctl_json_int_field(b, &f, "offline", a->offline);
    ctl_json_int_field(b, &f, "burst_online", a->burst_online);
    ctl_json_int_field(b, &f, "burst_offline", a->burst_offline);
    ctl_json_int_field(b, &f, "unresolved", a->unresolved);
    end(b);
}

void ctl_json_serverstats(struct ctl_buf *b, uint16_t reply, const struct candm_server_stats *s)
{
    bool f;
    begin(b, &f, "serverstats");
    ctl_json_uint_field(b, &f, "ntp_packets_received", s->ntp_hits);
    ctl_json_uint_field(b, &f, "ntp_packets_dropped", s->ntp_drops);
    ctl_json_uint_field(b, &f, "command_packets_received", s->cmd_hits);
    ctl_json_uint_field(b, &f, "command_packets_dropped", s->cmd_drops);
    ctl_json_uint_field(b, &f, "client_log_records_dropped", s->log_drops);
    ctl_json_uint_field(b, &f, "nts_ke_connections_accepted", s->nke_hits);
    ctl_json_uint_field(b, &f, "nts_ke_connections_dropped", s->nke_drops);
    ctl_json_uint_field(b, &f, "authenticated_ntp_packets", s->ntp_auth_hits);
    if (reply != CANDM_RPY_SERVER_STATS2) {
        ctl_json_uint_field(b, &f, "interleaved_ntp_packets", s->ntp_interleaved_hits);
        ctl_json_uint_field(b, &f, "ntp_timestamps_held", s->ntp_timestamps);
        ctl_json_uint_field(b, &f, "ntp_timestamp_span", s->ntp_span_seconds);
    }
    if (reply == CANDM_RPY_SERVER_STATS4) {
        ctl_json_uint_field(b, &f, "ntp_daemon_rx_timestamps", s->ntp_daemon_rx_timestamps);
        ctl_json_uint_field(b, &f, "ntp_daemon_tx_timestamps", s->ntp_daemon_tx_timestamps);
        ctl_json_uint_field(b, &f, "ntp_kernel_rx_timestamps", s->ntp_kernel_rx_timestamps);
        ctl_json_uint_field(b, &f, "ntp_kernel_tx_timestamps", s->ntp_kernel_tx_timestamps);
        ctl_json_uint_field(b, &f, "ntp_hardware_rx_timestamps", s->ntp_hw_rx_timestamps);
        ctl_json_uint_field(b, &f, "ntp_hardware_tx_timestamps", s->ntp_hw_tx_timestamps);
    }
    end(b);
}

static const char *ntp_mode_key(int mode)
{
    switch (mode) {
    case 1:
        return "symmetric_active";
    case 2:
        return "symmetric_passive";
    case 4:
        return "server";
    default:
        return "invalid";
    }
}

static const char *tss_key(int c)
{
    switch (c) {
    case 'D':
        return "daemon";
    case 'K':
        return "kernel";
    case 'H':
        return "hardware";
    default:
        return "invalid";
    }
}

void ctl_json_ntpdata(struct ctl_buf *b, const struct candm_ntp_data *n, size_t count,
                      uint16_t reply)
{
    bool f;
    begin(b, &f, "ntpdata");
    ctl_json_key(b, &f, "sources");
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < count; i++) {
        const struct candm_ntp_data *d = &n[i];
        bool g = true;
        char tests[16];
        unsigned fl = d->flags;
        snprintf(tests, sizeof(tests), "%u%u%u %u%u%u %u%u%u%u", fl >> 9 & 1, fl >> 8 & 1,
                 fl >> 7 & 1, fl >> 6 & 1, fl >> 5 & 1, fl >> 4 & 1, fl >> 3 & 1, fl >> 2 & 1,
                 fl >> 1 & 1, fl & 1);
        if (i)
            ctl_buf_putc(b, ',');
        ctl_buf_putc(b, '{');
        ctl_json_ip_field(b, &g, "remote_address", &d->remote_addr);
        ctl_json_uint_field(b, &g, "remote_port", d->remote_port);
        ctl_json_ip_field(b, &g, "local_address", &d->local_addr);
        ctl_json_str_field(b, &g, "leap_status", ctl_leap_key(d->leap));
        ctl_json_uint_field(b, &g, "version", d->version);
        ctl_json_str_field(b, &g, "mode", ntp_mode_key(d->mode));
        ctl_json_uint_field(b, &g, "stratum", d->stratum);
        ctl_json_int_field(b, &g, "poll", d->poll);
        ctl_json_int_field(b, &g, "precision", d->precision);
        ctl_json_num_field(b, &g, "root_delay", d->root_delay);
        ctl_json_num_field(b, &g, "root_dispersion", d->root_dispersion);
        refid_fields(b, &g, "reference_id", d->ref_id);
        ctl_json_time_fields(b, &g, "ref_time", &d->ref_time);
        ctl_json_num_field(b, &g, "offset", d->offset);
        ctl_json_num_field(b, &g, "peer_delay", d->peer_delay);
        ctl_json_num_field(b, &g, "peer_dispersion", d->peer_dispersion);
        ctl_json_num_field(b, &g, "response_time", d->response_time);
        ctl_json_num_field(b, &g, "jitter_asymmetry", d->jitter_asymmetry);
        ctl_json_str_field(b, &g, "tests", tests);
        ctl_json_bool_field(b, &g, "interleaved", (fl & CANDM_NTP_FLAG_INTERLEAVED) != 0);
        ctl_json_bool_field(b, &g, "authenticated", (fl & CANDM_NTP_FLAG_AUTHENTICATED) != 0);
        ctl_json_str_field(b, &g, "tx_timestamping", tss_key(d->tx_tss_char));
        ctl_json_str_field(b, &g, "rx_timestamping", tss_key(d->rx_tss_char));
        ctl_json_uint_field(b, &g, "total_tx", d->total_tx_count);
        ctl_json_uint_field(b, &g, "total_rx", d->total_rx_count);
        ctl_json_uint_field(b, &g, "total_valid_rx", d->total_valid_count);
        ctl_json_uint_field(b, &g, "total_good_rx", d->total_good_count);
        if (reply == CANDM_RPY_NTP_DATA2) {
            ctl_json_uint_field(b, &g, "total_kernel_tx", d->total_kernel_tx_ts);
            ctl_json_uint_field(b, &g, "total_kernel_rx", d->total_kernel_rx_ts);
            ctl_json_uint_field(b, &g, "total_hw_tx", d->total_hw_tx_ts);
            ctl_json_uint_field(b, &g, "total_hw_rx", d->total_hw_rx_ts);
        }
        ctl_buf_putc(b, '}');
    }
    ctl_buf_putc(b, ']');
    end(b);
}

static void options_array(struct ctl_buf *b, bool *first, const char *key, uint16_t o)
{
    static const struct {
        uint16_t bit;
        const char *name;
    } opts[] = {{CANDM_SELECT_OPT_NOSELECT, "noselect"},
                {CANDM_SELECT_OPT_PREFER, "prefer"},
                {CANDM_SELECT_OPT_TRUST, "trust"},
                {CANDM_SELECT_OPT_REQUIRE, "require"}};
    bool any = false;
    ctl_json_key(b, first, key);
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        if (!(o & opts[i].bit))
            continue;
        if (any)
            ctl_buf_putc(b, ',');
        ctl_json_string(b, opts[i].name);
        any = true;
    }
    ctl_buf_putc(b, ']');
}

void ctl_json_selectdata(struct ctl_buf *b, const struct candm_select_data *s,
                         const char *const *names, size_t n)
{
    bool f;
    begin(b, &f, "selectdata");
    ctl_json_key(b, &f, "sources");
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bool g = true;
        char state[2] = {(char)s[i].state_char, 0};
        if (i)
            ctl_buf_putc(b, ',');
        ctl_buf_putc(b, '{');
        ctl_json_str_field(b, &g, "state_char", state);
        ctl_json_str_field(b, &g, "name", names[i]);
        ctl_json_ip_field(b, &g, "address", &s[i].ip);
        refid_fields(b, &g, "reference_id", s[i].ref_id);
        ctl_json_bool_field(b, &g, "authenticated", s[i].authentication != 0);
        options_array(b, &g, "configured_options", s[i].conf_options);
        options_array(b, &g, "effective_options", s[i].eff_options);
        ctl_json_ago_field(b, &g, "last_sample", s[i].last_sample_ago);
        ctl_json_num_field(b, &g, "score", s[i].score);
        ctl_json_num_field(b, &g, "low_limit", s[i].lo_limit);
        ctl_json_num_field(b, &g, "high_limit", s[i].hi_limit);
        ctl_json_str_field(b, &g, "leap_status", ctl_leap_key(s[i].leap));
        ctl_buf_putc(b, '}');
    }
    ctl_buf_putc(b, ']');
    end(b);
}

void ctl_json_authdata(struct ctl_buf *b, const struct candm_ip *ips,
                       const struct candm_auth_data *a, const char *const *names, size_t n)
{
    static const char *const modes[] = {"none", "symmetric_key", "nts"};
    bool f;
    begin(b, &f, "authdata");
    ctl_json_key(b, &f, "sources");
    ctl_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        bool g = true;
        if (i)
            ctl_buf_putc(b, ',');
        ctl_buf_putc(b, '{');
        ctl_json_str_field(b, &g, "name", names[i]);
        ctl_json_ip_field(b, &g, "address", &ips[i]);
        ctl_json_str_field(b, &g, "mode", a[i].mode < 3 ? modes[a[i].mode] : "unknown");
        ctl_json_uint_field(b, &g, "key_id", a[i].key_id);
        ctl_json_uint_field(b, &g, "key_type", a[i].key_type);
        ctl_json_uint_field(b, &g, "key_length", a[i].key_length);
        ctl_json_ago_field(b, &g, "last_key_establishment", a[i].last_ke_ago);
        ctl_json_uint_field(b, &g, "key_establishment_attempts", a[i].ke_attempts);
        ctl_json_uint_field(b, &g, "naks", a[i].nak);
        ctl_json_uint_field(b, &g, "cookies", a[i].cookies);
        ctl_json_uint_field(b, &g, "cookie_length", a[i].cookie_length);
        ctl_buf_putc(b, '}');
    }
    ctl_buf_putc(b, ']');
    end(b);
}

void ctl_json_result(struct ctl_buf *b, const char *command, uint16_t status)
{
    bool f;
    begin(b, &f, "result");
    ctl_json_str_field(b, &f, "command", command);
    ctl_json_uint_field(b, &f, "status", (uint64_t)atoi(ctl_status_message(status)));
    ctl_json_str_field(b, &f, "message", ctl_status_message(status));
    end(b);
}

void ctl_json_error(struct ctl_buf *b, const char *command, int code, const char *message)
{
    bool f;
    begin(b, &f, "error");
    ctl_json_str_field(b, &f, "command", command);
    ctl_json_int_field(b, &f, "status", code);
    ctl_json_str_field(b, &f, "message", message);
    end(b);
}
