/* candm codec: reply header and bodies, both directions. Offsets are from the start of the
 * packet (inventory 3.8); every body starts at 28. */
#include "proto/candm.h"
#include "proto/candm_wire.h"

#include <string.h>

#define B CANDM_REPLY_HEADER_LEN /* body offset */

static void putf(uint8_t *p, double x)
{
    candm_put32(p, candm_float_encode(x));
}

static double getf(const uint8_t *p)
{
    return candm_float_decode(candm_get32(p));
}

/* ---- per-body encoders ---- */

static void enc_source_data(uint8_t *b, const struct candm_source_data *s)
{
    candm_ip_encode(&s->ip, b + 28);
    candm_put16(b + 48, (uint16_t)s->poll);
    candm_put16(b + 50, s->stratum);
    candm_put16(b + 52, s->state);
    candm_put16(b + 54, s->mode);
    candm_put16(b + 56, s->flags);
    candm_put16(b + 58, s->reachability);
    candm_put32(b + 60, s->since_sample);
    putf(b + 64, s->orig_latest_meas);
    putf(b + 68, s->latest_meas);
    putf(b + 72, s->latest_meas_err);
}

static void enc_tracking(uint8_t *b, const struct candm_tracking *t)
{
    candm_put32(b + 28, t->ref_id);
    candm_ip_encode(&t->ip, b + 32);
    candm_put16(b + 52, t->stratum);
    candm_put16(b + 54, t->leap_status);
    candm_timespec_encode(&t->ref_time, b + 56);
    putf(b + 68, t->current_correction);
    putf(b + 72, t->last_offset);
    putf(b + 76, t->rms_offset);
    putf(b + 80, t->freq_ppm);
    putf(b + 84, t->resid_freq_ppm);
    putf(b + 88, t->skew_ppm);
    putf(b + 92, t->root_delay);
    putf(b + 96, t->root_dispersion);
    putf(b + 100, t->last_update_interval);
}

static void enc_sourcestats(uint8_t *b, const struct candm_sourcestats *s)
{
    candm_put32(b + 28, s->ref_id);
    candm_ip_encode(&s->ip, b + 32);
    candm_put32(b + 52, s->n_samples);
    candm_put32(b + 56, s->n_runs);
    candm_put32(b + 60, s->span_seconds);
    putf(b + 64, s->sd);
    putf(b + 68, s->resid_freq_ppm);
    putf(b + 72, s->skew_ppm);
    putf(b + 76, s->est_offset);
    putf(b + 80, s->est_offset_err);
}

static void enc_activity(uint8_t *b, const struct candm_activity *a)
{
    candm_put32(b + 28, (uint32_t)a->online);
    candm_put32(b + 32, (uint32_t)a->offline);
    candm_put32(b + 36, (uint32_t)a->burst_online);
    candm_put32(b + 40, (uint32_t)a->burst_offline);
    candm_put32(b + 44, (uint32_t)a->unresolved);
}

/* The counters in the order every SERVER_STATS variant lists them. */
static void stats_to_array(const struct candm_server_stats *s, uint64_t v[17])
{
    const uint64_t in[17] = {
        s->ntp_hits,
        s->nke_hits,
        s->cmd_hits,
        s->ntp_drops,
        s->nke_drops,
        s->cmd_drops,
        s->log_drops,
        s->ntp_auth_hits,
        s->ntp_interleaved_hits,
        s->ntp_timestamps,
        s->ntp_span_seconds,
        s->ntp_daemon_rx_timestamps,
        s->ntp_daemon_tx_timestamps,
        s->ntp_kernel_rx_timestamps,
        s->ntp_kernel_tx_timestamps,
        s->ntp_hw_rx_timestamps,
        s->ntp_hw_tx_timestamps,
    };
    memcpy(v, in, sizeof(in));
}

static void array_to_stats(const uint64_t v[17], struct candm_server_stats *s)
{
    s->ntp_hits = v[0];
    s->nke_hits = v[1];
    s->cmd_hits = v[2];
    s->ntp_drops = v[3];
    s->nke_drops = v[4];
    s->cmd_drops = v[5];
    s->log_drops = v[6];
    s->ntp_auth_hits = v[7];
    s->ntp_interleaved_hits = v[8];
    s->ntp_timestamps = v[9];
    s->ntp_span_seconds = v[10];
    s->ntp_daemon_rx_timestamps = v[11];
    s->ntp_daemon_tx_timestamps = v[12];
    s->ntp_kernel_rx_timestamps = v[13];
    s->ntp_kernel_tx_timestamps = v[14];
    s->ntp_hw_rx_timestamps = v[15];
    s->ntp_hw_tx_timestamps = v[16];
}

static void enc_server_stats(uint8_t *b, uint16_t reply, const struct candm_server_stats *s)
{
    uint64_t v[17];
    stats_to_array(s, v);
    if (reply == CANDM_RPY_SERVER_STATS4) {
        for (int i = 0; i < 17; i++)
            candm_put64(b + B + 8 * i, v[i]);
        memset(b + B + 8 * 17, 0xff, 4 * 8);
    } else {
        int n = reply == CANDM_RPY_SERVER_STATS3 ? 11 : 8;
        for (int i = 0; i < n; i++)
            candm_put32(b + B + 4 * i, (uint32_t)v[i]);
    }
}

static void enc_ntp_data(uint8_t *b, uint16_t reply, const struct candm_ntp_data *n)
{
    candm_ip_encode(&n->remote_addr, b + 28);
    candm_ip_encode(&n->local_addr, b + 48);
    candm_put16(b + 68, n->remote_port);
    b[70] = n->leap;
    b[71] = n->version;
    b[72] = n->mode;
    b[73] = n->stratum;
    b[74] = (uint8_t)n->poll;
    b[75] = (uint8_t)n->precision;
    putf(b + 76, n->root_delay);
    putf(b + 80, n->root_dispersion);
    candm_put32(b + 84, n->ref_id);
    candm_timespec_encode(&n->ref_time, b + 88);
    putf(b + 100, n->offset);
    putf(b + 104, n->peer_delay);
    putf(b + 108, n->peer_dispersion);
    putf(b + 112, n->response_time);
    putf(b + 116, n->jitter_asymmetry);
    candm_put16(b + 120, n->flags);
    b[122] = n->tx_tss_char;
    b[123] = n->rx_tss_char;
    candm_put32(b + 124, n->total_tx_count);
    candm_put32(b + 128, n->total_rx_count);
    candm_put32(b + 132, n->total_valid_count);
    candm_put32(b + 136, n->total_good_count);
    if (reply == CANDM_RPY_NTP_DATA2) {
        candm_put32(b + 140, n->total_kernel_tx_ts);
        candm_put32(b + 144, n->total_kernel_rx_ts);
        candm_put32(b + 148, n->total_hw_tx_ts);
        candm_put32(b + 152, n->total_hw_rx_ts);
        memset(b + 156, 0xff, 16);
    } else {
        memset(b + 140, 0xff, 12);
    }
}

static void enc_client(uint8_t *e, const struct candm_client *c)
{
    candm_ip_encode(&c->ip, e);
    candm_put32(e + 20, c->ntp_hits);
    candm_put32(e + 24, c->nke_hits);
    candm_put32(e + 28, c->cmd_hits);
    candm_put32(e + 32, c->ntp_drops);
    candm_put32(e + 36, c->nke_drops);
    candm_put32(e + 40, c->cmd_drops);
    e[44] = (uint8_t)c->ntp_interval;
    e[45] = (uint8_t)c->nke_interval;
    e[46] = (uint8_t)c->cmd_interval;
    e[47] = (uint8_t)c->ntp_timeout_interval;
    candm_put32(e + 48, c->last_ntp_hit_ago);
    candm_put32(e + 52, c->last_nke_hit_ago);
    candm_put32(e + 56, c->last_cmd_hit_ago);
}

static void enc_clients(uint8_t *b, const struct candm_client_accesses *c)
{
    uint32_t n = c->n_clients > CANDM_MAX_CLIENTS ? CANDM_MAX_CLIENTS : c->n_clients;
    candm_put32(b + 28, c->n_indices);
    candm_put32(b + 32, c->next_index);
    candm_put32(b + 36, n);
    for (uint32_t i = 0; i < n; i++)
        enc_client(b + 40 + 60 * i, &c->clients[i]);
}

static void enc_auth_data(uint8_t *b, const struct candm_auth_data *a)
{
    candm_put16(b + 28, a->mode);
    candm_put16(b + 30, a->key_type);
    candm_put32(b + 32, a->key_id);
    candm_put16(b + 36, a->key_length);
    candm_put16(b + 38, a->ke_attempts);
    candm_put32(b + 40, a->last_ke_ago);
    candm_put16(b + 44, a->cookies);
    candm_put16(b + 46, a->cookie_length);
    candm_put16(b + 48, a->nak);
}

static void enc_select_data(uint8_t *b, const struct candm_select_data *s)
{
    candm_put32(b + 28, s->ref_id);
    candm_ip_encode(&s->ip, b + 32);
    b[52] = s->state_char;
    b[53] = s->authentication;
    b[54] = s->leap;
    candm_put16(b + 56, s->conf_options);
    candm_put16(b + 58, s->eff_options);
    candm_put32(b + 60, s->last_sample_ago);
    putf(b + 64, s->score);
    putf(b + 68, s->lo_limit);
    putf(b + 72, s->hi_limit);
}

static void enc_rtc(uint8_t *b, const struct candm_rtc *r)
{
    candm_timespec_encode(&r->ref_time, b + 28);
    candm_put16(b + 40, r->n_samples);
    candm_put16(b + 42, r->n_runs);
    candm_put32(b + 44, r->span_seconds);
    putf(b + 48, r->rtc_seconds_fast);
    putf(b + 52, r->rtc_gain_rate_ppm);
}

static void enc_smoothing(uint8_t *b, const struct candm_smoothing *s)
{
    candm_put32(b + 28, s->flags);
    putf(b + 32, s->offset);
    putf(b + 36, s->freq_ppm);
    putf(b + 40, s->wander_ppm);
    putf(b + 44, s->last_update_ago);
    putf(b + 48, s->remaining_time);
}

static void enc_manual_list(uint8_t *b, const struct candm_manual_list *m)
{
    uint32_t n = m->n_samples > CANDM_MAX_MANUAL_SAMPLES ? CANDM_MAX_MANUAL_SAMPLES : m->n_samples;
    candm_put32(b + 28, n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = b + 32 + 24 * i;
        candm_timespec_encode(&m->samples[i].when, e);
        putf(e + 12, m->samples[i].slewed_offset);
        putf(e + 16, m->samples[i].orig_offset);
        putf(e + 20, m->samples[i].residual);
    }
}

size_t candm_encode_reply(const struct candm_reply *rep, uint8_t *buf, size_t cap)
{
    size_t len = candm_reply_length(rep->reply);

    if (len == 0 || cap < len)
        return 0;
    memset(buf, 0, len);
    buf[0] = CANDM_PROTO_VERSION;
    buf[1] = CANDM_PKT_REPLY;
    candm_put16(buf + 4, rep->command);
    candm_put16(buf + 6, rep->reply);
    candm_put16(buf + 8, rep->status);
    candm_put32(buf + 16, rep->sequence);

    switch (rep->reply) {
    case CANDM_RPY_N_SOURCES:
        candm_put32(buf + B, rep->u.n_sources);
        break;
    case CANDM_RPY_SOURCE_DATA:
        enc_source_data(buf, &rep->u.source_data);
        break;
    case CANDM_RPY_TRACKING:
        enc_tracking(buf, &rep->u.tracking);
        break;
    case CANDM_RPY_SOURCESTATS:
        enc_sourcestats(buf, &rep->u.sourcestats);
        break;
    case CANDM_RPY_ACTIVITY:
        enc_activity(buf, &rep->u.activity);
        break;
    case CANDM_RPY_SERVER_STATS2:
    case CANDM_RPY_SERVER_STATS3:
    case CANDM_RPY_SERVER_STATS4:
        enc_server_stats(buf, rep->reply, &rep->u.server_stats);
        break;
    case CANDM_RPY_NTP_DATA:
    case CANDM_RPY_NTP_DATA2:
        enc_ntp_data(buf, rep->reply, &rep->u.ntp_data);
        break;
    case CANDM_RPY_NTP_SOURCE_NAME:
        /* Always NUL-terminated on the wire: the last byte stays 0. */
        memcpy(buf + B, rep->u.source_name, strnlen(rep->u.source_name, CANDM_NAME_LEN - 1));
        break;
    case CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3:
        enc_clients(buf, &rep->u.clients);
        break;
    case CANDM_RPY_AUTH_DATA:
        enc_auth_data(buf, &rep->u.auth_data);
        break;
    case CANDM_RPY_SELECT_DATA:
        enc_select_data(buf, &rep->u.select_data);
        break;
    case CANDM_RPY_RTC:
        enc_rtc(buf, &rep->u.rtc);
        break;
    case CANDM_RPY_SMOOTHING:
        enc_smoothing(buf, &rep->u.smoothing);
        break;
    case CANDM_RPY_MANUAL_LIST2:
        enc_manual_list(buf, &rep->u.manual_list);
        break;
    default:
        break;
    }
    return len;
}

/* ---- reply validation (the client side) ---- */

enum candm_reply_check candm_check_reply(const uint8_t *buf, size_t len, uint16_t command,
                                         uint32_t sequence)
{
    if (len < CANDM_REPLY_HEADER_LEN)
        return CANDM_REPLY_IGNORE;
    bool version_ok =
        buf[0] == CANDM_PROTO_VERSION ||
        (buf[0] >= CANDM_VERSION_COMPAT_CLIENT && candm_get16(buf + 8) == CANDM_STT_BADPKTVERSION);
    if (!version_ok || buf[1] != CANDM_PKT_REPLY || buf[2] != 0 || buf[3] != 0 ||
        candm_get16(buf + 4) != command || candm_get32(buf + 16) != sequence)
        return CANDM_REPLY_IGNORE;
    /* An unknown reply code has no known length and passes, as in chronyc; the caller then
     * finds that the code is not the one it asked for. */
    if (len < candm_reply_length(candm_get16(buf + 6)))
        return CANDM_REPLY_SHORT;
    return CANDM_REPLY_OK;
}

/* ---- per-body decoders ---- */

static void dec_source_data(const uint8_t *b, struct candm_source_data *s)
{
    candm_ip_decode(b + 28, &s->ip);
    s->poll = (int16_t)candm_get16(b + 48);
    s->stratum = candm_get16(b + 50);
    s->state = candm_get16(b + 52);
    s->mode = candm_get16(b + 54);
    s->flags = candm_get16(b + 56);
    s->reachability = candm_get16(b + 58);
    s->since_sample = candm_get32(b + 60);
    s->orig_latest_meas = getf(b + 64);
    s->latest_meas = getf(b + 68);
    s->latest_meas_err = getf(b + 72);
}

static void dec_tracking(const uint8_t *b, struct candm_tracking *t)
{
    t->ref_id = candm_get32(b + 28);
    candm_ip_decode(b + 32, &t->ip);
    t->stratum = candm_get16(b + 52);
    t->leap_status = candm_get16(b + 54);
    t->ref_time = candm_timespec_decode(b + 56);
    t->current_correction = getf(b + 68);
    t->last_offset = getf(b + 72);
    t->rms_offset = getf(b + 76);
    t->freq_ppm = getf(b + 80);
    t->resid_freq_ppm = getf(b + 84);
    t->skew_ppm = getf(b + 88);
    t->root_delay = getf(b + 92);
    t->root_dispersion = getf(b + 96);
    t->last_update_interval = getf(b + 100);
}

static void dec_sourcestats(const uint8_t *b, struct candm_sourcestats *s)
{
    s->ref_id = candm_get32(b + 28);
    candm_ip_decode(b + 32, &s->ip);
    s->n_samples = candm_get32(b + 52);
    s->n_runs = candm_get32(b + 56);
    s->span_seconds = candm_get32(b + 60);
    s->sd = getf(b + 64);
    s->resid_freq_ppm = getf(b + 68);
    s->skew_ppm = getf(b + 72);
    s->est_offset = getf(b + 76);
    s->est_offset_err = getf(b + 80);
}

static void dec_activity(const uint8_t *b, struct candm_activity *a)
{
    a->online = (int32_t)candm_get32(b + 28);
    a->offline = (int32_t)candm_get32(b + 32);
    a->burst_online = (int32_t)candm_get32(b + 36);
    a->burst_offline = (int32_t)candm_get32(b + 40);
    a->unresolved = (int32_t)candm_get32(b + 44);
}

static void dec_server_stats(const uint8_t *b, uint16_t reply, struct candm_server_stats *s)
{
    uint64_t v[17] = {0};
    if (reply == CANDM_RPY_SERVER_STATS4) {
        for (int i = 0; i < 17; i++)
            v[i] = candm_get64(b + B + 8 * i);
    } else {
        int n = reply == CANDM_RPY_SERVER_STATS3 ? 11 : 8;
        for (int i = 0; i < n; i++)
            v[i] = candm_get32(b + B + 4 * i);
    }
    array_to_stats(v, s);
}

static void dec_ntp_data(const uint8_t *b, uint16_t reply, struct candm_ntp_data *n)
{
    candm_ip_decode(b + 28, &n->remote_addr);
    candm_ip_decode(b + 48, &n->local_addr);
    n->remote_port = candm_get16(b + 68);
    n->leap = b[70];
    n->version = b[71];
    n->mode = b[72];
    n->stratum = b[73];
    n->poll = (int8_t)b[74];
    n->precision = (int8_t)b[75];
    n->root_delay = getf(b + 76);
    n->root_dispersion = getf(b + 80);
    n->ref_id = candm_get32(b + 84);
    n->ref_time = candm_timespec_decode(b + 88);
    n->offset = getf(b + 100);
    n->peer_delay = getf(b + 104);
    n->peer_dispersion = getf(b + 108);
    n->response_time = getf(b + 112);
    n->jitter_asymmetry = getf(b + 116);
    n->flags = candm_get16(b + 120);
    n->tx_tss_char = b[122];
    n->rx_tss_char = b[123];
    n->total_tx_count = candm_get32(b + 124);
    n->total_rx_count = candm_get32(b + 128);
    n->total_valid_count = candm_get32(b + 132);
    n->total_good_count = candm_get32(b + 136);
    if (reply == CANDM_RPY_NTP_DATA2) {
        n->total_kernel_tx_ts = candm_get32(b + 140);
        n->total_kernel_rx_ts = candm_get32(b + 144);
        n->total_hw_tx_ts = candm_get32(b + 148);
        n->total_hw_rx_ts = candm_get32(b + 152);
    }
}

static void dec_client(const uint8_t *e, struct candm_client *c)
{
    candm_ip_decode(e, &c->ip);
    c->ntp_hits = candm_get32(e + 20);
    c->nke_hits = candm_get32(e + 24);
    c->cmd_hits = candm_get32(e + 28);
    c->ntp_drops = candm_get32(e + 32);
    c->nke_drops = candm_get32(e + 36);
    c->cmd_drops = candm_get32(e + 40);
    c->ntp_interval = (int8_t)e[44];
    c->nke_interval = (int8_t)e[45];
    c->cmd_interval = (int8_t)e[46];
    c->ntp_timeout_interval = (int8_t)e[47];
    c->last_ntp_hit_ago = candm_get32(e + 48);
    c->last_nke_hit_ago = candm_get32(e + 52);
    c->last_cmd_hit_ago = candm_get32(e + 56);
}

static void dec_clients(const uint8_t *b, struct candm_client_accesses *c)
{
    c->n_indices = candm_get32(b + 28);
    c->next_index = candm_get32(b + 32);
    c->n_clients = candm_get32(b + 36);
    if (c->n_clients > CANDM_MAX_CLIENTS)
        c->n_clients = CANDM_MAX_CLIENTS;
    for (uint32_t i = 0; i < c->n_clients; i++)
        dec_client(b + 40 + 60 * i, &c->clients[i]);
}

static void dec_auth_data(const uint8_t *b, struct candm_auth_data *a)
{
    a->mode = candm_get16(b + 28);
    a->key_type = candm_get16(b + 30);
    a->key_id = candm_get32(b + 32);
    a->key_length = candm_get16(b + 36);
    a->ke_attempts = candm_get16(b + 38);
    a->last_ke_ago = candm_get32(b + 40);
    a->cookies = candm_get16(b + 44);
    a->cookie_length = candm_get16(b + 46);
    a->nak = candm_get16(b + 48);
}

static void dec_select_data(const uint8_t *b, struct candm_select_data *s)
{
    s->ref_id = candm_get32(b + 28);
    candm_ip_decode(b + 32, &s->ip);
    s->state_char = b[52];
    s->authentication = b[53];
    s->leap = b[54];
    s->conf_options = candm_get16(b + 56);
    s->eff_options = candm_get16(b + 58);
    s->last_sample_ago = candm_get32(b + 60);
    s->score = getf(b + 64);
    s->lo_limit = getf(b + 68);
    s->hi_limit = getf(b + 72);
}

static void dec_rtc(const uint8_t *b, struct candm_rtc *r)
{
    r->ref_time = candm_timespec_decode(b + 28);
    r->n_samples = candm_get16(b + 40);
    r->n_runs = candm_get16(b + 42);
    r->span_seconds = candm_get32(b + 44);
    r->rtc_seconds_fast = getf(b + 48);
    r->rtc_gain_rate_ppm = getf(b + 52);
}

static void dec_smoothing(const uint8_t *b, struct candm_smoothing *s)
{
    s->flags = candm_get32(b + 28);
    s->offset = getf(b + 32);
    s->freq_ppm = getf(b + 36);
    s->wander_ppm = getf(b + 40);
    s->last_update_ago = getf(b + 44);
    s->remaining_time = getf(b + 48);
}

static void dec_manual_list(const uint8_t *b, struct candm_manual_list *m)
{
    m->n_samples = candm_get32(b + 28);
    if (m->n_samples > CANDM_MAX_MANUAL_SAMPLES)
        m->n_samples = CANDM_MAX_MANUAL_SAMPLES;
    for (uint32_t i = 0; i < m->n_samples; i++) {
        const uint8_t *e = b + 32 + 24 * i;
        m->samples[i].when = candm_timespec_decode(e);
        m->samples[i].slewed_offset = getf(e + 12);
        m->samples[i].orig_offset = getf(e + 16);
        m->samples[i].residual = getf(e + 20);
    }
}

int candm_decode_reply(const uint8_t *buf, size_t len, struct candm_reply *out)
{
    memset(out, 0, sizeof(*out));
    if (len < CANDM_REPLY_HEADER_LEN || buf[1] != CANDM_PKT_REPLY)
        return -1;
    out->version = buf[0];
    out->command = candm_get16(buf + 4);
    out->reply = candm_get16(buf + 6);
    out->status = candm_get16(buf + 8);
    out->sequence = candm_get32(buf + 16);
    if (len < candm_reply_length(out->reply))
        return -1;

    switch (out->reply) {
    case CANDM_RPY_N_SOURCES:
        out->u.n_sources = candm_get32(buf + B);
        break;
    case CANDM_RPY_SOURCE_DATA:
        dec_source_data(buf, &out->u.source_data);
        break;
    case CANDM_RPY_TRACKING:
        dec_tracking(buf, &out->u.tracking);
        break;
    case CANDM_RPY_SOURCESTATS:
        dec_sourcestats(buf, &out->u.sourcestats);
        break;
    case CANDM_RPY_ACTIVITY:
        dec_activity(buf, &out->u.activity);
        break;
    case CANDM_RPY_SERVER_STATS2:
    case CANDM_RPY_SERVER_STATS3:
    case CANDM_RPY_SERVER_STATS4:
        dec_server_stats(buf, out->reply, &out->u.server_stats);
        break;
    case CANDM_RPY_NTP_DATA:
    case CANDM_RPY_NTP_DATA2:
        dec_ntp_data(buf, out->reply, &out->u.ntp_data);
        break;
    case CANDM_RPY_NTP_SOURCE_NAME:
        if (buf[B + CANDM_NAME_LEN - 1] != '\0')
            return -1; /* unterminated: refused, as chronyc does */
        memcpy(out->u.source_name, buf + B, CANDM_NAME_LEN);
        break;
    case CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3:
        dec_clients(buf, &out->u.clients);
        break;
    case CANDM_RPY_AUTH_DATA:
        dec_auth_data(buf, &out->u.auth_data);
        break;
    case CANDM_RPY_SELECT_DATA:
        dec_select_data(buf, &out->u.select_data);
        break;
    case CANDM_RPY_RTC:
        dec_rtc(buf, &out->u.rtc);
        break;
    case CANDM_RPY_SMOOTHING:
        dec_smoothing(buf, &out->u.smoothing);
        break;
    case CANDM_RPY_MANUAL_LIST2:
        dec_manual_list(buf, &out->u.manual_list);
        break;
    default:
        break;
    }
    return 0;
}
