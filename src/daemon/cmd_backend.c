/* The daemon's side of the command protocol: each callback of struct cmd_backend
 * (src/monitor/cmd_server.h) answers from the sync engine's views, the server statistics
 * and the client log. Read-only callbacks change nothing; the read-write ones (Unix socket
 * only, enforced by the dispatcher) act on the engine. */
#include <string.h>

#include "crypto/keys.h"
#include "daemon/clock.h"
#include "daemon/cmd_socket.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/nts_client.h"
#include "daemon/nts_server.h"
#include "monitor/cmd_server.h"
#include "proto/candm.h"
#include "serve/acl.h"
#include "serve/clientlog.h"
#include "sync/engine.h"

static void raw_now(struct tockd *d, struct timespec *raw)
{
    d->clock->raw_now(d->clock, raw);
}

static int be_tracking(void *ctx, struct candm_tracking *out)
{
    struct tockd *d = ctx;
    struct timespec raw;
    struct disc_tracking t;
    raw_now(d, &raw);
    sync_tracking(d->engine, &raw, &t);
    out->ref_id = t.ref_id;
    out->ip = candm_ip_from_tock(&t.ip);
    out->stratum = (uint16_t)t.stratum;
    out->leap_status = (uint16_t)t.leap_status;
    out->ref_time = t.ref_time;
    out->current_correction = t.current_correction;
    out->last_offset = t.last_offset;
    out->rms_offset = t.rms_offset;
    out->freq_ppm = t.freq_ppm;
    out->resid_freq_ppm = t.resid_freq_ppm;
    out->skew_ppm = t.skew_ppm;
    out->root_delay = t.root_delay;
    out->root_dispersion = t.root_dispersion;
    out->last_update_interval = t.last_update_interval;
    return CANDM_STT_SUCCESS;
}

static int be_n_sources(void *ctx, uint32_t *out)
{
    *out = (uint32_t)tockd_sources_count(ctx);
    return CANDM_STT_SUCCESS;
}

/* The address a report shows: unresolved sources appear as ID#n, as in chronyc -a. */
static struct candm_ip report_ip(const struct source_info *si, uint32_t index)
{
    struct candm_ip ip;
    if (si->has_addr)
        return candm_ip_from_tock(&si->remote.ip);
    memset(&ip, 0, sizeof(ip));
    ip.is_id = true;
    ip.id = index + 1;
    return ip;
}

static bool view_of(struct tockd *d, uint32_t index, struct source_info *si,
                    struct sync_source_view *v)
{
    struct timespec raw;
    if (!tockd_source_info(d, (int)index, si))
        return false;
    raw_now(d, &raw);
    return sync_source_view(d->engine, si->engine_idx, &raw, v);
}

static int be_source_data(void *ctx, uint32_t index, struct candm_source_data *out)
{
    struct tockd *d = ctx;
    struct source_info si;
    struct sync_source_view v;
    if (!view_of(d, index, &si, &v))
        return CANDM_STT_NOSUCHSOURCE;
    out->ip = report_ip(&si, index);
    out->poll = (int16_t)v.poll;
    out->stratum = (uint16_t)v.stratum;
    out->state = (uint16_t)v.state_wire;
    out->mode = CANDM_SD_MODE_CLIENT;
    out->reachability = v.reach;
    if (v.stats.has_sample) {
        double ago = v.stats.latest_meas_ago;
        out->since_sample = ago < 0 ? 0 : ago > 4e9 ? 0xFFFFFFFFu : (uint32_t)ago;
        out->orig_latest_meas = v.stats.orig_latest_meas;
        out->latest_meas = v.stats.latest_meas;
        out->latest_meas_err = v.stats.latest_meas_err;
    } else {
        out->since_sample = 0xFFFFFFFFu;
    }
    return CANDM_STT_SUCCESS;
}

static int be_sourcestats(void *ctx, uint32_t index, struct candm_sourcestats *out)
{
    struct tockd *d = ctx;
    struct source_info si;
    struct sync_source_view v;
    if (!view_of(d, index, &si, &v))
        return CANDM_STT_NOSUCHSOURCE;
    out->ref_id = v.refid;
    out->ip = report_ip(&si, index);
    out->n_samples = (uint32_t)v.stats.n_samples;
    out->n_runs = (uint32_t)v.stats.n_runs;
    out->span_seconds = (uint32_t)v.stats.span_seconds;
    out->sd = v.stats.sd;
    out->resid_freq_ppm = v.stats.resid_freq_ppm;
    out->skew_ppm = v.stats.skew_ppm;
    out->est_offset = v.stats.est_offset;
    out->est_offset_err = v.stats.est_offset_err;
    return CANDM_STT_SUCCESS;
}

static int be_activity(void *ctx, struct candm_activity *out)
{
    struct tockd *d = ctx;
    for (int i = 0; i < tockd_sources_count(d); i++) {
        struct source_info si;
        if (!tockd_source_info(d, i, &si))
            continue;
        if (!si.has_addr) {
            out->unresolved++;
            continue;
        }
        switch (d->engine->src[si.engine_idx].ntp.opmode) {
        case NTPSRC_ONLINE:
            out->online++;
            break;
        case NTPSRC_OFFLINE:
            out->offline++;
            break;
        case NTPSRC_BURST_WAS_ONLINE:
            out->burst_online++;
            break;
        case NTPSRC_BURST_WAS_OFFLINE:
            out->burst_offline++;
            break;
        }
    }
    return CANDM_STT_SUCCESS;
}

static int be_server_stats(void *ctx, struct candm_server_stats *out)
{
    const struct server_stats *s = &((struct tockd *)ctx)->stats;
    out->ntp_hits = s->ntp_hits;
    out->nke_hits = s->nke_hits;
    out->cmd_hits = s->cmd_hits;
    out->ntp_drops = s->ntp_drops;
    out->nke_drops = s->nke_drops;
    out->cmd_drops = s->cmd_drops;
    out->log_drops = s->log_drops;
    out->ntp_auth_hits = s->ntp_auth_hits;
    out->ntp_interleaved_hits = s->ntp_interleaved_hits;
    out->ntp_timestamps = s->ntp_timestamps;
    out->ntp_span_seconds = s->ntp_span_seconds;
    out->ntp_daemon_rx_timestamps = s->ntp_daemon_rx_timestamps;
    out->ntp_daemon_tx_timestamps = s->ntp_daemon_tx_timestamps;
    out->ntp_kernel_rx_timestamps = s->ntp_kernel_rx_timestamps;
    out->ntp_kernel_tx_timestamps = s->ntp_kernel_tx_timestamps;
    out->ntp_hw_rx_timestamps = s->ntp_hw_rx_timestamps;
    out->ntp_hw_tx_timestamps = s->ntp_hw_tx_timestamps;
    return CANDM_STT_SUCCESS;
}

static int find_source(struct tockd *d, const struct candm_ip *addr)
{
    if (addr->is_id) {
        int i = (int)addr->id - 1;
        return i >= 0 && i < tockd_sources_count(d) ? i : -1;
    }
    return tockd_source_find(d, &addr->ip);
}

static int be_ntp_data(void *ctx, const struct candm_ip *addr, struct candm_ntp_data *out)
{
    struct tockd *d = ctx;
    struct source_info si;
    struct sync_source_view v;
    int i = find_source(d, addr);
    if (i < 0 || !view_of(d, (uint32_t)i, &si, &v) || !si.has_addr || !v.ntp)
        return CANDM_STT_NOSUCHSOURCE;
    const struct ntpsrc_report *r = v.ntp;
    out->remote_addr = candm_ip_from_tock(&si.remote.ip);
    out->local_addr = candm_ip_from_tock(&si.local.ip);
    out->remote_port = si.remote.port;
    out->leap = (uint8_t)r->leap;
    out->version = (uint8_t)r->version;
    out->mode = (uint8_t)r->mode;
    out->stratum = (uint8_t)r->stratum;
    out->poll = (int8_t)r->poll;
    out->precision = (int8_t)r->precision;
    out->root_delay = r->root_delay;
    out->root_dispersion = r->root_dispersion;
    out->ref_id = r->ref_id;
    out->ref_time = ntp_ts_to_timespec(r->ref_time, time(NULL));
    if (r->ref_time == 0)
        out->ref_time = (struct timespec){0, 0};
    out->offset = r->offset;
    out->peer_delay = r->peer_delay;
    out->peer_dispersion = r->peer_dispersion;
    out->response_time = r->response_time;
    out->jitter_asymmetry = 0.0;
    out->flags = r->tests & CANDM_NTP_FLAGS_TESTS;
    if (r->authenticated)
        out->flags |= CANDM_NTP_FLAG_AUTHENTICATED;
    out->tx_tss_char = si.tx_kernel ? 'K' : 'D';
    out->rx_tss_char = si.rx_kernel ? 'K' : 'D';
    out->total_tx_count = r->total_tx;
    out->total_rx_count = r->total_rx;
    out->total_valid_count = r->total_valid;
    out->total_good_count = r->total_good;
    out->total_kernel_tx_ts = si.kernel_tx_count;
    out->total_kernel_rx_ts = si.kernel_rx_count;
    return CANDM_STT_SUCCESS;
}

static int be_source_name(void *ctx, const struct candm_ip *addr, char out[CANDM_NAME_LEN])
{
    struct tockd *d = ctx;
    struct source_info si;
    int i = find_source(d, addr);
    if (i < 0 || !tockd_source_info(d, i, &si))
        return CANDM_STT_NOSUCHSOURCE;
    snprintf(out, CANDM_NAME_LEN, "%s", si.cs->host);
    return CANDM_STT_SUCCESS;
}

/* chronyc authdata shows chronyd's own algorithm numbers (hash.h, cmac.h). */
static int keys_candm_type(enum keys_type t)
{
    static const int ids[KEYS_N_TYPES] = {
        [KEYS_MD5] = 1,      [KEYS_SHA1] = 2,     [KEYS_SHA256] = 3,   [KEYS_SHA384] = 4,
        [KEYS_SHA512] = 5,   [KEYS_SHA3_224] = 6, [KEYS_SHA3_256] = 7, [KEYS_SHA3_384] = 8,
        [KEYS_SHA3_512] = 9, [KEYS_AES128] = 13,  [KEYS_AES256] = 14,
    };
    return (int)t >= 0 && t < KEYS_N_TYPES ? ids[t] : 0;
}

static int be_auth_data(void *ctx, const struct candm_ip *addr, struct candm_auth_data *out)
{
    struct tockd *d = ctx;
    struct source_info si;
    int i = find_source(d, addr);
    if (i < 0 || !tockd_source_info(d, i, &si))
        return CANDM_STT_NOSUCHSOURCE;
    if (si.nts) {
        nts_source_auth_data(si.nts, out);
    } else if (si.cs->nts) {
        out->mode = CANDM_AUTH_NTS;
        out->last_ke_ago = 0xffffffffu;
    } else if (si.cs->key) {
        struct keys_info k;
        out->mode = CANDM_AUTH_SYMMETRIC;
        out->key_id = si.cs->key;
        if (keys_lookup(d->keys, si.cs->key, &k)) {
            out->key_type = (uint16_t)keys_candm_type(k.type);
            out->key_length = (uint16_t)(k.key_len * 8);
        }
    } else {
        out->mode = CANDM_AUTH_NONE;
    }
    return CANDM_STT_SUCCESS;
}

static int be_clients_n_indices(void *ctx)
{
    struct tockd *d = ctx;
    if (!clientlog_active(d->clientlog))
        return -1;
    return (int)clientlog_n_indices(d->clientlog);
}

static bool be_client_by_index(void *ctx, uint32_t index, uint32_t min_hits, bool reset,
                               struct candm_client *out)
{
    struct tockd *d = ctx;
    struct clientlog_report r;
    struct timespec now;
    tockd_now(d, &now);
    if (!clientlog_report_at(d->clientlog, index, min_hits, reset, &now, &r))
        return false;
    out->ip = candm_ip_from_tock(&r.ip);
    out->ntp_hits = r.ntp_hits;
    out->nke_hits = r.nke_hits;
    out->cmd_hits = r.cmd_hits;
    out->ntp_drops = r.ntp_drops;
    out->nke_drops = r.nke_drops;
    out->cmd_drops = r.cmd_drops;
    out->ntp_interval = r.ntp_interval;
    out->nke_interval = r.nke_interval;
    out->cmd_interval = r.cmd_interval;
    out->ntp_timeout_interval = r.ntp_timeout_interval;
    out->last_ntp_hit_ago = r.last_ntp_hit_ago;
    out->last_nke_hit_ago = r.last_nke_hit_ago;
    out->last_cmd_hit_ago = r.last_cmd_hit_ago;
    return true;
}

static int be_access_check(void *ctx, bool cmd, const struct candm_ip *addr)
{
    struct tockd *d = ctx;
    const struct acl *acl = cmd ? d->cmd_acl : d->ntp_acl;
    return acl_allowed(acl, &addr->ip) ? CANDM_STT_ACCESSALLOWED : CANDM_STT_ACCESSDENIED;
}

/* ---- read-write ---- */

static int be_makestep(void *ctx)
{
    struct tockd *d = ctx;
    struct timespec raw;
    raw_now(d, &raw);
    sync_make_step(d->engine, &raw);
    d->clock_error_logged = false;
    tockd_sync_poke(d);
    return d->clock_error_logged ? CANDM_STT_FAILED : CANDM_STT_SUCCESS;
}

static int be_modify_makestep(void *ctx, double threshold, int32_t limit)
{
    struct tockd *d = ctx;
    d->engine->ref.p.makestep = true;
    d->engine->ref.p.makestep_threshold = threshold;
    d->engine->ref.p.makestep_limit = limit;
    log_info("makestep changed to %g s, limit %d", threshold, limit);
    return CANDM_STT_SUCCESS;
}

static bool address_matches(const struct tock_ip *ip, const struct candm_ip *mask,
                            const struct candm_ip *address)
{
    if (mask->ip.family == AF_UNSPEC && address->ip.family == AF_UNSPEC)
        return true;
    if (ip->family != address->ip.family || mask->ip.family != address->ip.family)
        return false;
    int len = ip->family == AF_INET ? 4 : 16;
    for (int i = 0; i < len; i++)
        if ((ip->addr[i] & mask->ip.addr[i]) != (address->ip.addr[i] & mask->ip.addr[i]))
            return false;
    return true;
}

/* Applies fn to every polled source whose address matches address under mask (both
 * UNSPEC: every source); NOSUCHSOURCE when none matched. */
static int for_matching_sources(struct tockd *d, const struct candm_ip *mask,
                                const struct candm_ip *address,
                                void (*fn)(struct tockd *d, int engine_idx, const void *arg),
                                const void *arg)
{
    int matched = 0;
    for (int i = 0; i < tockd_sources_count(d); i++) {
        struct source_info si;
        if (!tockd_source_info(d, i, &si) || !si.has_addr || si.disabled ||
            !address_matches(&si.remote.ip, mask, address))
            continue;
        fn(d, si.engine_idx, arg);
        matched++;
    }
    tockd_sync_poke(d);
    return matched ? CANDM_STT_SUCCESS : CANDM_STT_NOSUCHSOURCE;
}

static void set_online_one(struct tockd *d, int idx, const void *arg)
{
    struct timespec raw;
    raw_now(d, &raw);
    sync_set_online(d->engine, idx, *(const bool *)arg, &raw);
}

static int be_set_online(void *ctx, bool online, const struct candm_ip *mask,
                         const struct candm_ip *address)
{
    return for_matching_sources(ctx, mask, address, set_online_one, &online);
}

struct burst_arg {
    int32_t good, total;
};

static void burst_one(struct tockd *d, int idx, const void *arg)
{
    const struct burst_arg *b = arg;
    struct timespec raw;
    raw_now(d, &raw);
    sync_burst(d->engine, idx, b->good, b->total, &raw);
}

static int be_burst(void *ctx, int32_t n_good, int32_t n_total, const struct candm_ip *mask,
                    const struct candm_ip *address)
{
    struct burst_arg b = {n_good, n_total};
    return for_matching_sources(ctx, mask, address, burst_one, &b);
}

static int be_cyclelogs(void *ctx)
{
    tockd_cyclelogs(ctx);
    return CANDM_STT_SUCCESS;
}

static int be_reload_sources(void *ctx)
{
    return tockd_sources_reload(ctx) == 0 ? CANDM_STT_SUCCESS : CANDM_STT_FAILED;
}

/* chronyc rekey: the keyfile, the NTS server keys (ntsrotate 0) and, in tock, the NTS-KE
 * certificates (`tockctl reload certs` sends this request). */
static int be_rekey(void *ctx)
{
    int rc = tockd_keys_load(ctx);
    rc |= tockd_nts_rekey(ctx);
    rc |= tockd_nts_reload_certs(ctx);
    return rc == 0 ? CANDM_STT_SUCCESS : CANDM_STT_FAILED;
}

/* chronyc dump: the sources' measurement histories in dumpdir (chronyd's format; chronyd
 * answers success also without dumpdir), the NTS server keys, and the NTS counters in the
 * log. */
static int be_dump(void *ctx)
{
    int rc = tockd_dump(ctx) < 0 ? -1 : 0;
    tockd_nts_log_counters(ctx);
    rc |= tockd_nts_dump(ctx);
    return rc == 0 ? CANDM_STT_SUCCESS : CANDM_STT_FAILED;
}

static int be_refresh(void *ctx)
{
    tockd_sources_refresh(ctx);
    return CANDM_STT_SUCCESS;
}

static int be_reset_sources(void *ctx)
{
    struct tockd *d = ctx;
    struct timespec raw;
    raw_now(d, &raw);
    sync_notify_unknown_step(d->engine, &raw);
    tockd_sync_poke(d);
    return CANDM_STT_SUCCESS;
}

static int be_shutdown(void *ctx)
{
    (void)ctx;
    log_info("shutdown requested through the command socket");
    loop_request_exit();
    return CANDM_STT_SUCCESS;
}

void tockd_cmd_backend_init(struct tockd *d, struct cmd_backend *be)
{
    memset(be, 0, sizeof(*be));
    be->ctx = d;
    be->tracking = be_tracking;
    be->n_sources = be_n_sources;
    be->source_data = be_source_data;
    be->sourcestats = be_sourcestats;
    be->activity = be_activity;
    be->server_stats = be_server_stats;
    be->ntp_data = be_ntp_data;
    be->source_name = be_source_name;
    be->auth_data = be_auth_data;
    be->clients_n_indices = be_clients_n_indices;
    be->client_by_index = be_client_by_index;
    be->access_check = be_access_check;
    be->makestep = be_makestep;
    be->modify_makestep = be_modify_makestep;
    be->set_online = be_set_online;
    be->burst = be_burst;
    be->cyclelogs = be_cyclelogs;
    be->reload_sources = be_reload_sources;
    be->dump = be_dump;
    be->rekey = be_rekey;
    be->refresh = be_refresh;
    be->reset_sources = be_reset_sources;
    be->shutdown = be_shutdown;
}
