/* tockctl's report commands: the requests each sends, in chronyc's order, and the output
 * they produce (text and CSV through ctl_report.c, JSON through ctl_json.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl_fmt.h"
#include "ctl/ctl_json.h"
#include "ctl/ctl_session.h"

/* ---- reports ---- */

int ctl_cmd_tracking(struct ctl_session *s)
{
    struct candm_request rq;
    struct candm_reply rp;
    char name[CTL_NAME_LEN];

    ctl_sess_init_request(&rq, CANDM_REQ_TRACKING);
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_TRACKING))
        return CTL_EXIT_FAIL;
    if (s->opts->json) {
        const struct candm_tracking *t = &rp.u.tracking;
        bool unspec = !t->ip.is_id && t->ip.ip.family != AF_INET && t->ip.ip.family != AF_INET6;
        ctl_name(&s->namer, false, name, sizeof(name), 0, unspec, t->ref_id, true, &t->ip);
        ctl_json_tracking(s->out, t, name);
    } else {
        ctl_report_tracking(s->out, &s->namer, s->opts->csv, &rp.u.tracking);
    }
    return CTL_EXIT_OK;
}

int ctl_cmd_sources(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct ctl_list l = {.size = sizeof(struct candm_source_data)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    ctl_sess_list_options(ws, s->opts->csv, &all, &verbose);
    if (!ctl_sess_n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_sources_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        ctl_sess_init_request(&rq, CANDM_REQ_SOURCE_DATA);
        rq.u.index = i;
        if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        const struct candm_source_data *sd = &rp.u.source_data;
        if (!s->opts->json) {
            ctl_report_sources_line(s->out, &s->namer, s->opts->csv, all, sd);
            continue;
        }
        if (!all && sd->ip.is_id)
            continue;
        char name[CTL_NAME_LEN];
        bool ref = sd->mode == CANDM_SD_MODE_REF && !sd->ip.is_id && sd->ip.ip.family == AF_INET;
        ctl_name(&s->namer, false, name, sizeof(name), 0, ref, ref ? ctl_ip_refid(&sd->ip) : 0,
                 true, &sd->ip);
        ctl_list_add(&l, sd, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_sources(s->out, l.items, (const char *const *)l.names, l.n);
    ctl_list_free(&l);
    return rc;
}

int ctl_cmd_sourcestats(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct ctl_list l = {.size = sizeof(struct candm_sourcestats)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    ctl_sess_list_options(ws, s->opts->csv, &all, &verbose);
    if (!ctl_sess_n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_sourcestats_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        ctl_sess_init_request(&rq, CANDM_REQ_SOURCESTATS);
        rq.u.index = i;
        if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SOURCESTATS)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        const struct candm_sourcestats *ss = &rp.u.sourcestats;
        if (!s->opts->json) {
            ctl_report_sourcestats_line(s->out, &s->namer, s->opts->csv, all, ss);
            continue;
        }
        if (!all && ss->ip.is_id)
            continue;
        char name[CTL_NAME_LEN];
        bool unspec = !ss->ip.is_id && ss->ip.ip.family != AF_INET && ss->ip.ip.family != AF_INET6;
        ctl_name(&s->namer, false, name, sizeof(name), 0, unspec, ss->ref_id, true, &ss->ip);
        ctl_list_add(&l, ss, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_sourcestats(s->out, l.items, (const char *const *)l.names, l.n);
    ctl_list_free(&l);
    return rc;
}

int ctl_cmd_selectdata(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct ctl_list l = {.size = sizeof(struct candm_select_data)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    ctl_sess_list_options(ws, s->opts->csv, &all, &verbose);
    if (!ctl_sess_n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_selectdata_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        ctl_sess_init_request(&rq, CANDM_REQ_SELECT_DATA);
        rq.u.index = i;
        if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SELECT_DATA)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        const struct candm_select_data *sd = &rp.u.select_data;
        if (!s->opts->json) {
            ctl_report_selectdata_line(s->out, &s->namer, s->opts->csv, all, sd);
            continue;
        }
        if (!all && sd->ip.is_id)
            continue;
        char name[CTL_NAME_LEN];
        bool unspec = !sd->ip.is_id && sd->ip.ip.family != AF_INET && sd->ip.ip.family != AF_INET6;
        ctl_name(&s->namer, false, name, sizeof(name), 0, unspec, sd->ref_id, true, &sd->ip);
        ctl_list_add(&l, sd, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_selectdata(s->out, l.items, (const char *const *)l.names, l.n);
    ctl_list_free(&l);
    return rc;
}

int ctl_cmd_authdata(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct ctl_list l = {.size = sizeof(struct candm_auth_data)};
    struct ctl_list ips = {.size = sizeof(struct candm_ip)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    ctl_sess_list_options(ws, s->opts->csv, &all, &verbose);
    if (!ctl_sess_n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_authdata_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        ctl_sess_init_request(&rq, CANDM_REQ_SOURCE_DATA);
        rq.u.index = i;
        if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        uint16_t mode = rp.u.source_data.mode;
        struct candm_ip ip = rp.u.source_data.ip;
        if (mode != CANDM_SD_MODE_CLIENT && mode != CANDM_SD_MODE_PEER)
            continue;
        if (!all && ip.is_id)
            continue;
        ctl_sess_init_request(&rq, CANDM_REQ_AUTH_DATA);
        rq.u.ip = ip;
        if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_AUTH_DATA)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        if (!s->opts->json) {
            ctl_report_authdata_line(s->out, &s->namer, s->opts->csv, &ip, &rp.u.auth_data);
            continue;
        }
        char name[CTL_NAME_LEN];
        ctl_name(&s->namer, false, name, sizeof(name), 0, false, 0, true, &ip);
        ctl_list_add(&l, &rp.u.auth_data, name);
        ctl_list_add(&ips, &ip, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_authdata(s->out, ips.items, l.items, (const char *const *)l.names, l.n);
    ctl_list_free(&l);
    ctl_list_free(&ips);
    return rc;
}

int ctl_cmd_clients(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct ctl_list l = {.size = sizeof(struct candm_client)};
    uint32_t next = 0, min_hits = 0, reset = 0;
    bool nke = false;
    int rc = CTL_EXIT_OK;

    for (int i = 1; i < ws->n; i++) {
        if (strcmp(ws->w[i], "-k") == 0) {
            nke = true;
        } else if (strcmp(ws->w[i], "-p") == 0) {
            const char *arg = i + 1 < ws->n ? ws->w[i + 1] : "";
            char *end = NULL;
            unsigned long v = strtoul(arg, &end, 10);
            if (end == arg || v > UINT32_MAX) {
                ctl_sess_error(s, "Invalid syntax for clients command");
                return CTL_EXIT_FAIL;
            }
            min_hits = (uint32_t)v;
            i++;
        } else if (strcmp(ws->w[i], "-r") == 0) {
            reset = 1;
        }
    }

    if (!s->opts->json)
        ctl_report_clients_header(s->out, s->opts->csv, nke);
    /* chronyc's paging: ask for 8 at a time until the daemon's table is walked. */
    for (unsigned pages = 0; pages < CTL_MAX_LISTED; pages++) {
        ctl_sess_init_request(&rq, CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3);
        rq.u.clients.first_index = next;
        rq.u.clients.n_clients = CANDM_MAX_CLIENTS;
        rq.u.clients.min_hits = min_hits;
        rq.u.clients.reset = reset;
        if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        const struct candm_client_accesses *ca = &rp.u.clients;
        for (uint32_t i = 0; i < ca->n_clients; i++) {
            const struct candm_client *c = &ca->clients[i];
            if (!s->opts->json) {
                ctl_report_clients_line(s->out, &s->namer, s->opts->csv, nke, c);
                continue;
            }
            if (!c->ip.is_id && c->ip.ip.family != AF_INET && c->ip.ip.family != AF_INET6)
                continue;
            char name[50];
            ctl_name(&s->namer, false, name, sizeof(name), 0, false, 0, false, &c->ip);
            ctl_list_add(&l, c, name);
        }
        /* A daemon that does not advance would loop forever: stop. */
        if (ca->next_index >= ca->n_indices || ca->n_clients < CANDM_MAX_CLIENTS ||
            ca->next_index <= next)
            break;
        next = ca->next_index;
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_clients(s->out, l.items, (const char *const *)l.names, l.n);
    ctl_list_free(&l);
    return rc;
}

int ctl_cmd_activity(struct ctl_session *s)
{
    struct candm_request rq;
    struct candm_reply rp;

    ctl_sess_init_request(&rq, CANDM_REQ_ACTIVITY);
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_ACTIVITY))
        return CTL_EXIT_FAIL;
    if (s->opts->json)
        ctl_json_activity(s->out, &rp.u.activity);
    else
        ctl_report_activity(s->out, s->opts->csv, &rp.u.activity);
    return CTL_EXIT_OK;
}

int ctl_cmd_serverstats(struct ctl_session *s)
{
    /* Sent padded for the newest variant; chronyd answers the variant it has (STATS3 from
     * 4.2-4.3, STATS4 from 4.4+) and tockctl prints what that version's chronyc prints. */
    static const uint16_t codes[] = {CANDM_RPY_SERVER_STATS4, CANDM_RPY_SERVER_STATS3,
                                     CANDM_RPY_SERVER_STATS2};
    struct candm_request rq;
    struct candm_reply rp;

    ctl_sess_init_request(&rq, CANDM_REQ_SERVER_STATS);
    if (!ctl_sess_request(s, &rq, &rp, codes, 3, false))
        return CTL_EXIT_FAIL;
    if (s->opts->json)
        ctl_json_serverstats(s->out, rp.reply, &rp.u.server_stats);
    else
        ctl_report_serverstats(s->out, s->opts->csv, rp.reply, &rp.u.server_stats);
    return CTL_EXIT_OK;
}

int ctl_cmd_ntpdata(struct ctl_session *s, const struct ctl_words *ws)
{
    static const uint16_t codes[] = {CANDM_RPY_NTP_DATA2, CANDM_RPY_NTP_DATA};
    struct candm_request rq;
    struct candm_reply rp;
    struct candm_ip addr;
    struct ctl_list l = {.size = sizeof(struct candm_ntp_data)};
    bool specified = ws->n > 1;
    uint32_t n = 1;
    uint16_t reply = CANDM_RPY_NTP_DATA2;
    int rc = CTL_EXIT_OK;

    if (!specified && !ctl_sess_n_sources(s, &n))
        return CTL_EXIT_FAIL;
    for (uint32_t i = 0; i < n; i++) {
        if (specified) {
            if (!ctl_sess_parse_address(s, ws->rest, &addr)) {
                ctl_sess_error(s, "Could not get address for hostname");
                rc = CTL_EXIT_FAIL;
                break;
            }
        } else {
            ctl_sess_init_request(&rq, CANDM_REQ_SOURCE_DATA);
            rq.u.index = i;
            if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA)) {
                rc = CTL_EXIT_FAIL;
                break;
            }
            uint16_t mode = rp.u.source_data.mode;
            addr = rp.u.source_data.ip;
            if (mode != CANDM_SD_MODE_CLIENT && mode != CANDM_SD_MODE_PEER)
                continue;
            if (addr.is_id || (addr.ip.family != AF_INET && addr.ip.family != AF_INET6))
                continue;
        }
        ctl_sess_init_request(&rq, CANDM_REQ_NTP_DATA);
        rq.u.ip = addr;
        if (!ctl_sess_request(s, &rq, &rp, codes, 2, false)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        reply = rp.reply;
        if (s->opts->json)
            ctl_list_add(&l, &rp.u.ntp_data, "");
        else
            ctl_report_ntpdata(s->out, s->opts->csv, rp.reply, !specified, &rp.u.ntp_data);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_ntpdata(s->out, l.items, l.n, reply);
    ctl_list_free(&l);
    return rc;
}

int ctl_cmd_sourcename(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_ip addr;
    char name[CTL_NAME_LEN];

    if (ws->n < 2 || !ctl_sess_parse_address(s, ws->w[1], &addr)) {
        ctl_sess_error(s, "Could not read address");
        return CTL_EXIT_FAIL;
    }
    if (!ctl_sess_source_name(s, &addr, name, sizeof(name))) {
        if (s->fail_code == 0) {
            s->fail_code = 1;
            snprintf(s->fail_msg, sizeof(s->fail_msg), "invalid source name");
        }
        return CTL_EXIT_FAIL;
    }
    if (s->opts->json) {
        bool f = true;
        ctl_buf_putc(s->out, '{');
        ctl_json_str_field(s->out, &f, "report", "sourcename");
        ctl_json_ip_field(s->out, &f, "address", &addr);
        ctl_json_str_field(s->out, &f, "name", name);
        ctl_buf_puts(s->out, "}\n");
    } else {
        ctl_report(s->out, s->opts->csv, "%s\n", name);
    }
    return CTL_EXIT_OK;
}

int ctl_cmd_rtcdata(struct ctl_session *s)
{
    struct candm_request rq;
    struct candm_reply rp;

    ctl_sess_init_request(&rq, CANDM_REQ_RTCREPORT);
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_RTC))
        return CTL_EXIT_FAIL;
    const struct candm_rtc *r = &rp.u.rtc;
    if (s->opts->json) {
        bool f = true;
        ctl_buf_putc(s->out, '{');
        ctl_json_str_field(s->out, &f, "report", "rtcdata");
        ctl_json_time_fields(s->out, &f, "ref_time", &r->ref_time);
        ctl_json_uint_field(s->out, &f, "samples", r->n_samples);
        ctl_json_uint_field(s->out, &f, "runs", r->n_runs);
        ctl_json_uint_field(s->out, &f, "span", r->span_seconds);
        ctl_json_num_field(s->out, &f, "rtc_fast_by", r->rtc_seconds_fast);
        ctl_json_num_field(s->out, &f, "rtc_gain_rate_ppm", r->rtc_gain_rate_ppm);
        ctl_buf_puts(s->out, "}\n");
        return CTL_EXIT_OK;
    }
    ctl_report(s->out, s->opts->csv,
               "RTC ref time (UTC) : %T\n"
               "Number of samples  : %u\n"
               "Number of runs     : %u\n"
               "Sample span period : %I\n"
               "RTC is fast by     : %12.6f seconds\n"
               "RTC gains time at  : %9.3f ppm\n",
               &r->ref_time, (unsigned)r->n_samples, (unsigned)r->n_runs, r->span_seconds,
               r->rtc_seconds_fast, r->rtc_gain_rate_ppm);
    return CTL_EXIT_OK;
}

int ctl_cmd_smoothing(struct ctl_session *s)
{
    struct candm_request rq;
    struct candm_reply rp;

    ctl_sess_init_request(&rq, CANDM_REQ_SMOOTHING);
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SMOOTHING))
        return CTL_EXIT_FAIL;
    const struct candm_smoothing *m = &rp.u.smoothing;
    bool active = (m->flags & CANDM_SMOOTH_FLAG_ACTIVE) != 0;
    bool leap_only = (m->flags & CANDM_SMOOTH_FLAG_LEAPONLY) != 0;
    if (s->opts->json) {
        bool f = true;
        ctl_buf_putc(s->out, '{');
        ctl_json_str_field(s->out, &f, "report", "smoothing");
        ctl_json_bool_field(s->out, &f, "active", active);
        ctl_json_bool_field(s->out, &f, "leap_only", leap_only);
        ctl_json_num_field(s->out, &f, "offset", m->offset);
        ctl_json_num_field(s->out, &f, "frequency_ppm", m->freq_ppm);
        ctl_json_num_field(s->out, &f, "wander_ppm_per_s", m->wander_ppm);
        ctl_json_num_field(s->out, &f, "last_update_ago", m->last_update_ago);
        ctl_json_num_field(s->out, &f, "remaining_time", m->remaining_time);
        ctl_buf_puts(s->out, "}\n");
        return CTL_EXIT_OK;
    }
    ctl_report(s->out, s->opts->csv,
               "Active         : %B %s\n"
               "Offset         : %+.9f seconds\n"
               "Frequency      : %+.6f ppm\n"
               "Wander         : %+.6f ppm per second\n"
               "Last update    : %.1f seconds ago\n"
               "Remaining time : %.1f seconds\n",
               (int)active, leap_only ? "(leap second only)" : "", m->offset, m->freq_ppm,
               m->wander_ppm, m->last_update_ago, m->remaining_time);
    return CTL_EXIT_OK;
}
