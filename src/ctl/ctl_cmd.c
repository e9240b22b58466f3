/* tockctl's commands, chronyc's behaviour: which requests each command sends, how replies
 * are checked ("508 Bad reply from daemon" for an unexpected reply code), what is printed
 * where, and the exit status. */
#include "ctl/ctl_cmd.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/socket.h>

#include "ctl/ctl_fmt.h"
#include "ctl/ctl_json.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_status.h"

#define MAX_WORDS  64
#define NAME_LEN   256
#define MAX_LISTED 100000 /* a daemon claiming more sources than this is not believed */

struct session {
    const struct ctl_env *env;
    const struct ctl_opts *opts;
    struct ctl_buf *out, *err;
    struct ctl_namer namer;
    const char *command;
    int fail_code; /* chronyc's three-digit code of the first failure, 0 if none */
    char fail_msg[192];
};

/* ---- failures and the request/reply helper ---- */

/* Records a failure. chronyc prints these on stdout; in JSON mode the command's output is
 * replaced by one error object at the end. */
static void fail(struct session *s, int code, const char *msg)
{
    if (s->fail_code == 0) {
        s->fail_code = code;
        snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
    }
    if (!s->opts->json)
        ctl_buf_printf(s->out, "%s\n", msg);
}

/* A diagnostic on stderr (chronyc's LOG(LOGS_ERR, ...)). */
static void error_msg(struct session *s, const char *msg)
{
    ctl_buf_printf(s->err, "%s\n", msg);
    if (s->fail_code == 0) {
        s->fail_code = 1;
        snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
    }
}

static bool code_in(uint16_t code, const uint16_t *codes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (codes[i] == code)
            return true;
    }
    return false;
}

/* chronyc's request_reply(): true when the daemon answered success (or an access-check
 * verdict) with one of the expected reply codes. verbose prints "200 OK" too. */
static bool request(struct session *s, struct candm_request *rq, struct candm_reply *rp,
                    const uint16_t *codes, size_t ncodes, bool verbose)
{
    if (s->env->transact(s->env->ctx, rq, rp) < 0) {
        fail(s, 506, "506 Cannot talk to daemon");
        return false;
    }
    uint16_t st = rp->status;
    bool ok =
        st == CANDM_STT_SUCCESS || st == CANDM_STT_ACCESSALLOWED || st == CANDM_STT_ACCESSDENIED;
    if (!ok) {
        fail(s, atoi(ctl_status_message(st)), ctl_status_message(st));
        return false;
    }
    if (verbose && !s->opts->json)
        ctl_buf_printf(s->out, "%s\n", ctl_status_message(st));
    if (!code_in(rp->reply, codes, ncodes)) {
        fail(s, 508, "508 Bad reply from daemon");
        return false;
    }
    return true;
}

static bool request1(struct session *s, struct candm_request *rq, struct candm_reply *rp,
                     uint16_t code)
{
    return request(s, rq, rp, &code, 1, false);
}

static void init_request(struct candm_request *rq, uint16_t command)
{
    memset(rq, 0, sizeof(*rq));
    rq->command = command;
}

/* ---- names ---- */

/* chronyc's get_source_name(): errors from the daemon are printed like any other. */
static bool get_source_name(struct session *s, const struct candm_ip *ip, char *buf, size_t len)
{
    struct candm_request rq;
    struct candm_reply rp;

    init_request(&rq, CANDM_REQ_NTP_SOURCE_NAME);
    rq.u.ip = *ip;
    if (!request1(s, &rq, &rp, CANDM_RPY_NTP_SOURCE_NAME))
        return false;
    if (snprintf(buf, len, "%s", rp.u.source_name) >= (int)len)
        return false;
    /* chronyc refuses names with anything but printable non-space characters. */
    for (const char *p = buf; *p; p++) {
        if (!isgraph((unsigned char)*p))
            return false;
    }
    return true;
}

static bool source_name_cb(void *ctx, const struct candm_ip *ip, char *buf, size_t len)
{
    return get_source_name(ctx, ip, buf, len);
}

static bool reverse_cb(void *ctx, const struct candm_ip *ip, char *buf, size_t len)
{
    struct session *s = ctx;
    return s->env->reverse && s->env->reverse(s->env->ctx, ip, buf, len);
}

/* "ID#0000000001", a numeric address, or (with a resolver) a name. */
static bool parse_address(struct session *s, const char *text, struct candm_ip *out)
{
    unsigned long id;
    char *end;

    memset(out, 0, sizeof(*out));
    if (strncmp(text, "ID#", 3) == 0) {
        id = strtoul(text + 3, &end, 10);
        if (end != text + 3 && *end == '\0' && id <= UINT32_MAX) {
            *out = candm_ip_from_id((uint32_t)id);
            return true;
        }
    }
    if (tock_ip_parse(text, &out->ip) == 0)
        return true;
    if (s->env->resolve && s->env->resolve(s->env->ctx, text, out) == 0)
        return true;
    return false;
}

/* ---- word handling ---- */

struct words {
    int n;
    char *w[MAX_WORDS];
    char rest[1024]; /* the words after the command, joined by single spaces */
};

static void split_words(char *line, struct words *ws)
{
    char *p = line;
    ws->n = 0;
    ws->rest[0] = '\0';
    while (*p && ws->n < MAX_WORDS) {
        while (*p && isspace((unsigned char)*p))
            *p++ = '\0';
        if (!*p)
            break;
        ws->w[ws->n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    for (int i = 1; i < ws->n; i++) {
        size_t len = strlen(ws->rest);
        snprintf(ws->rest + len, sizeof(ws->rest) - len, "%s%s", i > 1 ? " " : "", ws->w[i]);
    }
}

static void parse_list_options(const struct words *ws, bool csv, bool *all, bool *verbose)
{
    *all = *verbose = false;
    for (int i = 1; i < ws->n; i++) {
        if (strcmp(ws->w[i], "-a") == 0)
            *all = true;
        else if (strcmp(ws->w[i], "-v") == 0)
            *verbose = !csv;
    }
}

/* ---- growing arrays for JSON lists ---- */

struct list {
    void *items;
    char **names;
    size_t n, cap, size;
};

static bool list_add(struct list *l, const void *item, const char *name)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        void *items = realloc(l->items, cap * l->size);
        if (!items)
            return false;
        l->items = items;
        char **names = realloc(l->names, cap * sizeof(char *));
        if (!names)
            return false;
        l->names = names;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return false;
    memcpy((char *)l->items + l->n * l->size, item, l->size);
    l->names[l->n++] = copy;
    return true;
}

static void list_free(struct list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static bool n_sources(struct session *s, uint32_t *n)
{
    struct candm_request rq;
    struct candm_reply rp;
    init_request(&rq, CANDM_REQ_N_SOURCES);
    if (!request1(s, &rq, &rp, CANDM_RPY_N_SOURCES))
        return false;
    *n = rp.u.n_sources > MAX_LISTED ? MAX_LISTED : rp.u.n_sources;
    return true;
}

/* ---- reports ---- */

static int cmd_tracking(struct session *s)
{
    struct candm_request rq;
    struct candm_reply rp;
    char name[NAME_LEN];

    init_request(&rq, CANDM_REQ_TRACKING);
    if (!request1(s, &rq, &rp, CANDM_RPY_TRACKING))
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

static int cmd_sources(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct list l = {.size = sizeof(struct candm_source_data)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    parse_list_options(ws, s->opts->csv, &all, &verbose);
    if (!n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_sources_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        init_request(&rq, CANDM_REQ_SOURCE_DATA);
        rq.u.index = i;
        if (!request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA)) {
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
        char name[NAME_LEN];
        bool ref = sd->mode == CANDM_SD_MODE_REF && !sd->ip.is_id && sd->ip.ip.family == AF_INET;
        ctl_name(&s->namer, false, name, sizeof(name), 0, ref, ref ? ctl_ip_refid(&sd->ip) : 0,
                 true, &sd->ip);
        list_add(&l, sd, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_sources(s->out, l.items, (const char *const *)l.names, l.n);
    list_free(&l);
    return rc;
}

static int cmd_sourcestats(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct list l = {.size = sizeof(struct candm_sourcestats)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    parse_list_options(ws, s->opts->csv, &all, &verbose);
    if (!n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_sourcestats_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        init_request(&rq, CANDM_REQ_SOURCESTATS);
        rq.u.index = i;
        if (!request1(s, &rq, &rp, CANDM_RPY_SOURCESTATS)) {
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
        char name[NAME_LEN];
        bool unspec = !ss->ip.is_id && ss->ip.ip.family != AF_INET && ss->ip.ip.family != AF_INET6;
        ctl_name(&s->namer, false, name, sizeof(name), 0, unspec, ss->ref_id, true, &ss->ip);
        list_add(&l, ss, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_sourcestats(s->out, l.items, (const char *const *)l.names, l.n);
    list_free(&l);
    return rc;
}

static int cmd_selectdata(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct list l = {.size = sizeof(struct candm_select_data)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    parse_list_options(ws, s->opts->csv, &all, &verbose);
    if (!n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_selectdata_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        init_request(&rq, CANDM_REQ_SELECT_DATA);
        rq.u.index = i;
        if (!request1(s, &rq, &rp, CANDM_RPY_SELECT_DATA)) {
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
        char name[NAME_LEN];
        bool unspec = !sd->ip.is_id && sd->ip.ip.family != AF_INET && sd->ip.ip.family != AF_INET6;
        ctl_name(&s->namer, false, name, sizeof(name), 0, unspec, sd->ref_id, true, &sd->ip);
        list_add(&l, sd, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_selectdata(s->out, l.items, (const char *const *)l.names, l.n);
    list_free(&l);
    return rc;
}

static int cmd_authdata(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct list l = {.size = sizeof(struct candm_auth_data)};
    struct list ips = {.size = sizeof(struct candm_ip)};
    bool all, verbose;
    uint32_t n;
    int rc = CTL_EXIT_OK;

    parse_list_options(ws, s->opts->csv, &all, &verbose);
    if (!n_sources(s, &n))
        return CTL_EXIT_FAIL;
    if (!s->opts->json)
        ctl_report_authdata_header(s->out, s->opts->csv, verbose);
    for (uint32_t i = 0; i < n; i++) {
        init_request(&rq, CANDM_REQ_SOURCE_DATA);
        rq.u.index = i;
        if (!request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        uint16_t mode = rp.u.source_data.mode;
        struct candm_ip ip = rp.u.source_data.ip;
        if (mode != CANDM_SD_MODE_CLIENT && mode != CANDM_SD_MODE_PEER)
            continue;
        if (!all && ip.is_id)
            continue;
        init_request(&rq, CANDM_REQ_AUTH_DATA);
        rq.u.ip = ip;
        if (!request1(s, &rq, &rp, CANDM_RPY_AUTH_DATA)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        if (!s->opts->json) {
            ctl_report_authdata_line(s->out, &s->namer, s->opts->csv, &ip, &rp.u.auth_data);
            continue;
        }
        char name[NAME_LEN];
        ctl_name(&s->namer, false, name, sizeof(name), 0, false, 0, true, &ip);
        list_add(&l, &rp.u.auth_data, name);
        list_add(&ips, &ip, name);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_authdata(s->out, ips.items, l.items, (const char *const *)l.names, l.n);
    list_free(&l);
    list_free(&ips);
    return rc;
}

static int cmd_clients(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    struct candm_reply rp;
    struct list l = {.size = sizeof(struct candm_client)};
    uint32_t next = 0, min_hits = 0, reset = 0;
    bool nke = false;
    int rc = CTL_EXIT_OK;

    for (int i = 1; i < ws->n; i++) {
        if (strcmp(ws->w[i], "-k") == 0) {
            nke = true;
        } else if (strcmp(ws->w[i], "-p") == 0) {
            char *end;
            unsigned long v = i + 1 < ws->n ? strtoul(ws->w[i + 1], &end, 10) : 0;
            if (i + 1 >= ws->n || end == ws->w[i + 1] || v > UINT32_MAX) {
                error_msg(s, "Invalid syntax for clients command");
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
    for (unsigned pages = 0; pages < MAX_LISTED; pages++) {
        init_request(&rq, CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3);
        rq.u.clients.first_index = next;
        rq.u.clients.n_clients = CANDM_MAX_CLIENTS;
        rq.u.clients.min_hits = min_hits;
        rq.u.clients.reset = reset;
        if (!request1(s, &rq, &rp, CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3)) {
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
            list_add(&l, c, name);
        }
        /* A daemon that does not advance would loop forever: stop. */
        if (ca->next_index >= ca->n_indices || ca->n_clients < CANDM_MAX_CLIENTS ||
            ca->next_index <= next)
            break;
        next = ca->next_index;
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_clients(s->out, l.items, (const char *const *)l.names, l.n);
    list_free(&l);
    return rc;
}

static int cmd_activity(struct session *s)
{
    struct candm_request rq;
    struct candm_reply rp;

    init_request(&rq, CANDM_REQ_ACTIVITY);
    if (!request1(s, &rq, &rp, CANDM_RPY_ACTIVITY))
        return CTL_EXIT_FAIL;
    if (s->opts->json)
        ctl_json_activity(s->out, &rp.u.activity);
    else
        ctl_report_activity(s->out, s->opts->csv, &rp.u.activity);
    return CTL_EXIT_OK;
}

static int cmd_serverstats(struct session *s)
{
    /* Sent padded for the newest variant; chronyd answers the variant it has (STATS3 from
     * 4.2-4.3, STATS4 from 4.4+) and tockctl prints what that version's chronyc prints. */
    static const uint16_t codes[] = {CANDM_RPY_SERVER_STATS4, CANDM_RPY_SERVER_STATS3,
                                     CANDM_RPY_SERVER_STATS2};
    struct candm_request rq;
    struct candm_reply rp;

    init_request(&rq, CANDM_REQ_SERVER_STATS);
    if (!request(s, &rq, &rp, codes, 3, false))
        return CTL_EXIT_FAIL;
    if (s->opts->json)
        ctl_json_serverstats(s->out, rp.reply, &rp.u.server_stats);
    else
        ctl_report_serverstats(s->out, s->opts->csv, rp.reply, &rp.u.server_stats);
    return CTL_EXIT_OK;
}

static int cmd_ntpdata(struct session *s, const struct words *ws)
{
    static const uint16_t codes[] = {CANDM_RPY_NTP_DATA2, CANDM_RPY_NTP_DATA};
    struct candm_request rq;
    struct candm_reply rp;
    struct candm_ip addr;
    struct list l = {.size = sizeof(struct candm_ntp_data)};
    bool specified = ws->n > 1;
    uint32_t n = 1;
    uint16_t reply = CANDM_RPY_NTP_DATA2;
    int rc = CTL_EXIT_OK;

    if (!specified && !n_sources(s, &n))
        return CTL_EXIT_FAIL;
    for (uint32_t i = 0; i < n; i++) {
        if (specified) {
            if (!parse_address(s, ws->rest, &addr)) {
                error_msg(s, "Could not get address for hostname");
                rc = CTL_EXIT_FAIL;
                break;
            }
        } else {
            init_request(&rq, CANDM_REQ_SOURCE_DATA);
            rq.u.index = i;
            if (!request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA)) {
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
        init_request(&rq, CANDM_REQ_NTP_DATA);
        rq.u.ip = addr;
        if (!request(s, &rq, &rp, codes, 2, false)) {
            rc = CTL_EXIT_FAIL;
            break;
        }
        reply = rp.reply;
        if (s->opts->json)
            list_add(&l, &rp.u.ntp_data, "");
        else
            ctl_report_ntpdata(s->out, s->opts->csv, rp.reply, !specified, &rp.u.ntp_data);
    }
    if (s->opts->json && rc == CTL_EXIT_OK)
        ctl_json_ntpdata(s->out, l.items, l.n, reply);
    list_free(&l);
    return rc;
}

static int cmd_sourcename(struct session *s, const struct words *ws)
{
    struct candm_ip addr;
    char name[NAME_LEN];

    if (ws->n < 2 || !parse_address(s, ws->w[1], &addr)) {
        error_msg(s, "Could not read address");
        return CTL_EXIT_FAIL;
    }
    if (!get_source_name(s, &addr, name, sizeof(name))) {
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

static int cmd_rtcdata(struct session *s)
{
    struct candm_request rq;
    struct candm_reply rp;

    init_request(&rq, CANDM_REQ_RTCREPORT);
    if (!request1(s, &rq, &rp, CANDM_RPY_RTC))
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

static int cmd_smoothing(struct session *s)
{
    struct candm_request rq;
    struct candm_reply rp;

    init_request(&rq, CANDM_REQ_SMOOTHING);
    if (!request1(s, &rq, &rp, CANDM_RPY_SMOOTHING))
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

/* ---- commands without data: "200 OK" ---- */

static int simple(struct session *s, struct candm_request *rq)
{
    struct candm_reply rp;
    bool ok = request(s, rq, &rp, (const uint16_t[]){CANDM_RPY_NULL}, 1, true);
    if (s->opts->json && ok)
        ctl_json_result(s->out, s->command, rp.status);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

static int cmd_makestep(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    double threshold;
    int limit;
    char extra;

    if (ws->n == 1) {
        init_request(&rq, CANDM_REQ_MAKESTEP);
    } else if (sscanf(ws->rest, "%lf %d %c", &threshold, &limit, &extra) == 2) {
        init_request(&rq, CANDM_REQ_MODIFY_MAKESTEP);
        rq.u.makestep.threshold = threshold;
        rq.u.makestep.limit = limit;
    } else {
        error_msg(s, "Bad syntax for makestep command");
        return CTL_EXIT_FAIL;
    }
    return simple(s, &rq);
}

/* chronyc's [MASK/]ADDRESS or ADDRESS/BITS. Empty: every source. */
static bool parse_mask_address(struct session *s, const char *text, struct candm_ip *mask,
                               struct candm_ip *addr)
{
    char buf[256], *slash;

    memset(mask, 0, sizeof(*mask));
    memset(addr, 0, sizeof(*addr));
    if (!*text)
        return true;
    snprintf(buf, sizeof(buf), "%s", text);
    slash = strchr(buf, '/');
    if (slash) {
        *slash++ = '\0';
        if (tock_ip_parse(buf, &mask->ip) == 0) {
            if (tock_ip_parse(slash, &addr->ip) == 0) {
                if (addr->ip.family == mask->ip.family)
                    return true;
            } else {
                char *end;
                long bits = strtol(slash, &end, 10);
                int max = mask->ip.family == AF_INET ? 32 : 128;
                if (end != slash && *end == '\0') {
                    *addr = *mask;
                    if (bits < 0 || bits > max)
                        bits = max;
                    memset(mask->ip.addr, 0, sizeof(mask->ip.addr));
                    for (long i = 0; i < bits; i++)
                        mask->ip.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
                    return true;
                }
            }
        }
        error_msg(s, "Invalid syntax for mask/address");
        return false;
    }
    if (!parse_address(s, buf, addr)) {
        error_msg(s, "Could not get address for hostname");
        return false;
    }
    if (addr->is_id) {
        mask->ip.family = AF_UNSPEC; /* an ID has no mask */
    } else {
        mask->ip.family = addr->ip.family;
        memset(mask->ip.addr, 0xff, addr->ip.family == AF_INET ? 4 : 16);
    }
    return true;
}

static int cmd_online(struct session *s, const struct words *ws, bool online)
{
    struct candm_request rq;
    init_request(&rq, online ? CANDM_REQ_ONLINE : CANDM_REQ_OFFLINE);
    if (!parse_mask_address(s, ws->rest, &rq.u.online.mask, &rq.u.online.address))
        return CTL_EXIT_FAIL;
    return simple(s, &rq);
}

static int cmd_burst(struct session *s, const struct words *ws)
{
    struct candm_request rq;
    int good, total;
    char extra;

    init_request(&rq, CANDM_REQ_BURST);
    if (ws->n < 2 || sscanf(ws->w[1], "%d/%d%c", &good, &total, &extra) != 2) {
        error_msg(s, "Invalid syntax for burst command");
        return CTL_EXIT_FAIL;
    }
    rq.u.burst.n_good_samples = good;
    rq.u.burst.n_total_samples = total;
    if (ws->n > 2 && !parse_mask_address(s, ws->w[2], &rq.u.burst.mask, &rq.u.burst.address))
        return CTL_EXIT_FAIL;
    return simple(s, &rq);
}

static int cmd_with_sources_arg(struct session *s, const struct words *ws, uint16_t command,
                                const char *what)
{
    struct candm_request rq;
    char msg[64];
    if (ws->n != 2 || strcmp(ws->w[1], "sources") != 0) {
        snprintf(msg, sizeof(msg), "Invalid syntax for %s command", what);
        error_msg(s, msg);
        return CTL_EXIT_FAIL;
    }
    init_request(&rq, command);
    return simple(s, &rq);
}

static int cmd_plain(struct session *s, uint16_t command)
{
    struct candm_request rq;
    init_request(&rq, command);
    return simple(s, &rq);
}

/* ---- waitsync ---- */

static int cmd_waitsync(struct session *s, const struct words *ws)
{
    int max_tries = 0;
    double max_correction = 0.0, max_skew = 0.0, interval = 10.0;
    struct candm_request rq;
    struct candm_reply rp;
    bool synced = false;

    /* Like chronyc: as many of the four numbers as parse, the rest default. */
    sscanf(ws->rest, "%d %lf %lf %lf", &max_tries, &max_correction, &max_skew, &interval);
    if (!(interval >= 0.1))
        interval = 0.1;

    for (int i = 1;; i++) {
        init_request(&rq, CANDM_REQ_TRACKING);
        if (request1(s, &rq, &rp, CANDM_RPY_TRACKING)) {
            const struct candm_tracking *t = &rp.u.tracking;
            double correction = fabs(t->current_correction);
            bool have_ref =
                (!t->ip.is_id && (t->ip.ip.family == AF_INET || t->ip.ip.family == AF_INET6)) ||
                (t->ref_id != 0 && t->ref_id != CTL_REFID_LOCAL);
            synced = have_ref && (max_correction == 0.0 || correction <= max_correction) &&
                     (max_skew == 0.0 || t->skew_ppm <= max_skew);
            if (s->opts->json) {
                bool f = true;
                char hex[9];
                snprintf(hex, sizeof(hex), "%08" PRIX32, t->ref_id);
                ctl_buf_putc(s->out, '{');
                ctl_json_str_field(s->out, &f, "report", "waitsync");
                ctl_json_int_field(s->out, &f, "try", i);
                ctl_json_str_field(s->out, &f, "reference_id", hex);
                ctl_json_num_field(s->out, &f, "correction", correction);
                ctl_json_num_field(s->out, &f, "skew_ppm", t->skew_ppm);
                ctl_json_bool_field(s->out, &f, "synchronised", synced);
                ctl_buf_puts(s->out, "}\n");
            } else {
                ctl_report_waitsync_try(s->out, s->opts->csv, i, t->ref_id, correction,
                                        t->skew_ppm);
            }
        }
        if (s->env->flush)
            s->env->flush(s->env->ctx, s->out, s->err);
        if (synced || (max_tries != 0 && i >= max_tries))
            break;
        if (!s->env->sleep || !s->env->sleep(s->env->ctx, interval))
            break;
    }
    /* Failed tries printed their messages; only the outcome decides the exit status. */
    s->fail_code = synced ? 0 : (s->fail_code ? s->fail_code : 1);
    if (!synced && s->fail_msg[0] == '\0')
        snprintf(s->fail_msg, sizeof(s->fail_msg), "not synchronised");
    return synced ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

/* ---- status and check ---- */

/* Fetches tracking and the source list; false if tracking could not be had. */
static bool fetch_state(struct session *s, struct candm_tracking *t, struct list *sources)
{
    struct candm_request rq;
    struct candm_reply rp;
    uint32_t n;

    init_request(&rq, CANDM_REQ_TRACKING);
    if (!request1(s, &rq, &rp, CANDM_RPY_TRACKING))
        return false;
    *t = rp.u.tracking;
    /* The source list is a refinement (poll, reach, count): without it the report still
     * stands, so its failures are not the command's. */
    int saved_code = s->fail_code;
    char saved_msg[sizeof(s->fail_msg)];
    memcpy(saved_msg, s->fail_msg, sizeof(saved_msg));
    size_t out_len = s->out->len;
    if (n_sources(s, &n)) {
        for (uint32_t i = 0; i < n; i++) {
            init_request(&rq, CANDM_REQ_SOURCE_DATA);
            rq.u.index = i;
            if (!request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA))
                break;
            list_add(sources, &rp.u.source_data, "");
        }
    }
    s->fail_code = saved_code;
    memcpy(s->fail_msg, saved_msg, sizeof(saved_msg));
    s->out->len = out_len; /* drop any messages of the optional part */
    if (s->out->data)
        s->out->data[out_len] = '\0';
    return true;
}

static int cmd_status(struct session *s, const struct words *ws)
{
    struct candm_tracking t;
    struct list sources = {.size = sizeof(struct candm_source_data)};
    double max_error = 0.0;
    int rc;

    for (int i = 1; i < ws->n; i++) {
        char *end;
        if (strcmp(ws->w[i], "-m") == 0 && i + 1 < ws->n) {
            max_error = strtod(ws->w[++i], &end);
            if (*end != '\0' || !(max_error > 0.0)) {
                error_msg(s, "Invalid maximum error for status command");
                return CTL_STATUS_NO_DAEMON;
            }
        } else {
            error_msg(s, "Usage: status [-m MAXERROR]");
            return CTL_STATUS_NO_DAEMON;
        }
    }
    size_t out_len = s->out->len;
    if (!fetch_state(s, &t, &sources)) {
        /* ntpstat's wording, on stderr, and its exit code 2. */
        s->out->len = out_len;
        if (s->out->data)
            s->out->data[out_len] = '\0';
        ctl_buf_puts(s->err, "Unable to talk to NTP daemon. Is it running?\n");
        list_free(&sources);
        return CTL_STATUS_NO_DAEMON;
    }
    rc = ctl_status_report(s->out, s->opts->json, &t, sources.items, sources.n, max_error);
    list_free(&sources);
    return rc;
}

static bool parse_double_opt(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 0.0) || !isfinite(v))
        return false;
    *out = v;
    return true;
}

static bool parse_int_opt(const char *text, int *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end != '\0' || v < 0 || v > 1000000)
        return false;
    *out = (int)v;
    return true;
}

static int cmd_check(struct session *s, const struct words *ws)
{
    struct ctl_check_limits lim;
    struct ctl_check_input in;
    struct list sources = {.size = sizeof(struct candm_source_data)};
    int rc;

    ctl_check_defaults(&lim);
    for (int i = 1; i < ws->n; i++) {
        const char *opt = ws->w[i], *val = i + 1 < ws->n ? ws->w[i + 1] : NULL;
        bool ok = val != NULL;
        if (ok && strcmp(opt, "--warn-offset") == 0)
            ok = parse_double_opt(val, &lim.warn_offset);
        else if (ok && strcmp(opt, "--crit-offset") == 0)
            ok = parse_double_opt(val, &lim.crit_offset);
        else if (ok && strcmp(opt, "--warn-stratum") == 0)
            ok = parse_int_opt(val, &lim.warn_stratum);
        else if (ok && strcmp(opt, "--crit-stratum") == 0)
            ok = parse_int_opt(val, &lim.crit_stratum);
        else if (ok && strcmp(opt, "--min-sources") == 0)
            ok = parse_int_opt(val, &lim.min_sources);
        else if (ok && strcmp(opt, "--max-age") == 0)
            ok = parse_double_opt(val, &lim.max_age);
        else
            ok = false;
        if (!ok) {
            char msg[128];
            snprintf(msg, sizeof(msg), "NTP UNKNOWN: invalid check option %s", opt);
            ctl_buf_printf(s->out, "%s\n", msg);
            return CTL_CHECK_UNKNOWN;
        }
        i++;
    }

    memset(&in, 0, sizeof(in));
    size_t out_len = s->out->len;
    in.reachable = fetch_state(s, &in.tracking, &sources);
    /* The failure message becomes part of the plugin's one line, not a line of its own. */
    s->out->len = out_len;
    if (s->out->data)
        s->out->data[out_len] = '\0';
    in.error = s->fail_msg[0] ? s->fail_msg : NULL;
    in.sources = sources.items;
    in.n_sources = sources.n;
    in.now = s->env->now ? s->env->now(s->env->ctx) : (struct timespec){0, 0};
    rc = ctl_check_evaluate(s->out, s->opts->json, &lim, &in);
    list_free(&sources);
    s->fail_code = 0; /* the plugin line already says everything */
    return rc;
}

/* ---- keygen ---- */

size_t ctl_keygen_length(const char *type, unsigned bits)
{
    static const char *const hashes[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512"};
    size_t len = 0;

    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        if (strcmp(type, hashes[i]) == 0)
            len = ((bits ? bits : 160) + 7) / 8;
    }
    /* Cipher keys have their cipher's size whatever the bits say. */
    if (strcmp(type, "AES128") == 0)
        len = 16;
    else if (strcmp(type, "AES256") == 0)
        len = 32;
    if (len == 0)
        return 0;
    /* chronyc's bounds: 80 to 4096 bits. */
    return len < 10 ? 10 : len > 512 ? 512 : len;
}

static int cmd_keygen(struct session *s, const struct words *ws)
{
    unsigned long id = 1, bits = 0;
    const char *type = "SHA1";
    uint8_t key[512];
    char *end;

    if (ws->n > 4) {
        error_msg(s, "Invalid syntax for keygen command");
        return CTL_EXIT_FAIL;
    }
    if (ws->n >= 2) {
        id = strtoul(ws->w[1], &end, 10);
        if (end == ws->w[1] || *end || id > UINT32_MAX) {
            error_msg(s, "Invalid syntax for keygen command");
            return CTL_EXIT_FAIL;
        }
    }
    if (ws->n >= 3)
        type = ws->w[2];
    if (ws->n >= 4) {
        bits = strtoul(ws->w[3], &end, 10);
        if (end == ws->w[3] || *end || bits > UINT32_MAX) {
            error_msg(s, "Invalid syntax for keygen command");
            return CTL_EXIT_FAIL;
        }
        if (bits == 0)
            bits = 1; /* an explicit 0 gets the minimum, not the default */
    }
    size_t len = ctl_keygen_length(type, (unsigned)bits);
    if (len == 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Unknown hash function or cipher %s", type);
        error_msg(s, msg);
        return CTL_EXIT_FAIL;
    }
    if (!s->env->random || s->env->random(s->env->ctx, key, len) != 0) {
        error_msg(s, "Could not get random bytes");
        return CTL_EXIT_FAIL;
    }
    struct ctl_buf hex;
    ctl_buf_init(&hex);
    for (size_t i = 0; i < len; i++)
        ctl_buf_printf(&hex, "%02X", key[i]);
    memset(key, 0, sizeof(key));
    if (s->opts->json) {
        bool f = true;
        char keytext[1100];
        snprintf(keytext, sizeof(keytext), "HEX:%s", ctl_buf_cstr(&hex));
        ctl_buf_putc(s->out, '{');
        ctl_json_str_field(s->out, &f, "report", "keygen");
        ctl_json_uint_field(s->out, &f, "id", id);
        ctl_json_str_field(s->out, &f, "type", type);
        ctl_json_str_field(s->out, &f, "key", keytext);
        ctl_buf_puts(s->out, "}\n");
    } else {
        ctl_buf_printf(s->out, "%lu %s HEX:%s\n", id, type, ctl_buf_cstr(&hex));
    }
    if (hex.data)
        memset(hex.data, 0, hex.cap);
    ctl_buf_free(&hex);
    return CTL_EXIT_OK;
}

void ctl_help(struct ctl_buf *out)
{
    static const char *const rows[][2] = {
        {"System clock:", ""},
        {"tracking", "Display system time information"},
        {"makestep", "Correct clock by stepping immediately"},
        {"makestep <threshold> <updates>", "Configure automatic clock stepping"},
        {"waitsync [<max-tries> [<max-correction> [<max-skew> [<interval>]]]]",
         "Wait until synchronised in specified limits"},
        {"status [-m <max-error-ms>]", "Print ntpstat's report (exit 0 synced, 1 not, 2 no "
                                       "daemon)"},
        {"check [options]", "Nagios/Icinga check (see tockctl(1))"},
        {"", ""},
        {"Time sources:", ""},
        {"sources [-a] [-v]", "Display information about current sources"},
        {"sourcestats [-a] [-v]", "Display statistics about collected measurements"},
        {"selectdata [-a] [-v]", "Display information about source selection"},
        {"reselect", "Force reselecting synchronisation source"},
        {"", ""},
        {"NTP sources:", ""},
        {"activity", "Check how many NTP sources are online/offline"},
        {"authdata [-a] [-v]", "Display information about authentication"},
        {"ntpdata [<address>]", "Display information about last valid measurement"},
        {"burst <n-good>/<n-max> [[<mask>/]<address>]", "Start rapid set of measurements"},
        {"offline [[<mask>/]<address>]", "Set sources in subnet to offline status"},
        {"online [[<mask>/]<address>]", "Set sources in subnet to online status"},
        {"onoffline", "Set all sources to online or offline status"},
        {"", "according to network configuration"},
        {"refresh", "Refresh IP addresses"},
        {"reload sources", "Re-read *.sources files"},
        {"sourcename <address>", "Display original name"},
        {"", ""},
        {"NTP access:", ""},
        {"clients [-p <packets>] [-k] [-r]", "Report on clients that accessed the server"},
        {"serverstats", "Display statistics of the server"},
        {"smoothing", "Display current time smoothing state"},
        {"rtcdata", "Print current RTC performance parameters"},
        {"", ""},
        {"Other daemon commands:", ""},
        {"cyclelogs", "Close and re-open log files"},
        {"dump", "Dump measurements and NTS keys/cookies"},
        {"rekey", "Re-read keys"},
        {"reset sources", "Drop all measurements"},
        {"shutdown", "Stop daemon"},
        {"", ""},
        {"Client commands:", ""},
        {"keygen [<id> [<type> [<bits>]]]", "Generate key for key file"},
        {"help", "Generate this help"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strlen(rows[i][0]) >= 28)
            ctl_buf_printf(out, "%s\n%28s%s\n", rows[i][0], "", rows[i][1]);
        else
            ctl_buf_printf(out, "%-28s%s\n", rows[i][0], rows[i][1]);
    }
}

/* ---- dispatch ---- */

int ctl_run_line(const struct ctl_env *env, const struct ctl_opts *opts, const char *line,
                 struct ctl_buf *out, struct ctl_buf *err)
{
    struct session s;
    struct words ws;
    char copy[2048];
    int rc;

    memset(&s, 0, sizeof(s));
    s.env = env;
    s.opts = opts;
    s.out = out;
    s.err = err;
    s.namer.no_dns = opts->no_dns;
    s.namer.source_names = opts->source_names;
    s.namer.reverse = env->reverse ? reverse_cb : NULL;
    s.namer.source_name = source_name_cb;
    s.namer.ctx = &s;

    if (snprintf(copy, sizeof(copy), "%s", line) >= (int)sizeof(copy)) {
        ctl_buf_puts(err, "Command too long\n");
        return CTL_EXIT_FAIL;
    }
    split_words(copy, &ws);
    if (ws.n == 0)
        return CTL_EXIT_OK;
    const char *cmd = ws.w[0];
    s.command = cmd;
    size_t out_start = out->len;

    if (!env->transact && strcmp(cmd, "keygen") != 0 && strcmp(cmd, "help") != 0) {
        fail(&s, 506, "506 Cannot talk to daemon");
        rc = CTL_EXIT_FAIL;
    } else if (strcmp(cmd, "tracking") == 0) {
        rc = cmd_tracking(&s);
    } else if (strcmp(cmd, "sources") == 0) {
        rc = cmd_sources(&s, &ws);
    } else if (strcmp(cmd, "sourcestats") == 0) {
        rc = cmd_sourcestats(&s, &ws);
    } else if (strcmp(cmd, "selectdata") == 0) {
        rc = cmd_selectdata(&s, &ws);
    } else if (strcmp(cmd, "authdata") == 0) {
        rc = cmd_authdata(&s, &ws);
    } else if (strcmp(cmd, "clients") == 0) {
        rc = cmd_clients(&s, &ws);
    } else if (strcmp(cmd, "activity") == 0) {
        rc = cmd_activity(&s);
    } else if (strcmp(cmd, "serverstats") == 0) {
        rc = cmd_serverstats(&s);
    } else if (strcmp(cmd, "ntpdata") == 0) {
        rc = cmd_ntpdata(&s, &ws);
    } else if (strcmp(cmd, "sourcename") == 0) {
        rc = cmd_sourcename(&s, &ws);
    } else if (strcmp(cmd, "rtcdata") == 0) {
        rc = cmd_rtcdata(&s);
    } else if (strcmp(cmd, "smoothing") == 0) {
        rc = cmd_smoothing(&s);
    } else if (strcmp(cmd, "makestep") == 0) {
        rc = cmd_makestep(&s, &ws);
    } else if (strcmp(cmd, "reload") == 0) {
        rc = cmd_with_sources_arg(&s, &ws, CANDM_REQ_RELOAD_SOURCES, "reload");
    } else if (strcmp(cmd, "reset") == 0) {
        rc = cmd_with_sources_arg(&s, &ws, CANDM_REQ_RESET_SOURCES, "reset");
    } else if (strcmp(cmd, "online") == 0 || strcmp(cmd, "offline") == 0) {
        rc = cmd_online(&s, &ws, strcmp(cmd, "online") == 0);
    } else if (strcmp(cmd, "burst") == 0) {
        rc = cmd_burst(&s, &ws);
    } else if (strcmp(cmd, "onoffline") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_ONOFFLINE);
    } else if (strcmp(cmd, "cyclelogs") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_CYCLELOGS);
    } else if (strcmp(cmd, "dump") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_DUMP);
    } else if (strcmp(cmd, "rekey") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_REKEY);
    } else if (strcmp(cmd, "reselect") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_RESELECT);
    } else if (strcmp(cmd, "refresh") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_REFRESH);
    } else if (strcmp(cmd, "shutdown") == 0) {
        rc = cmd_plain(&s, CANDM_REQ_SHUTDOWN);
    } else if (strcmp(cmd, "waitsync") == 0) {
        rc = cmd_waitsync(&s, &ws);
    } else if (strcmp(cmd, "status") == 0) {
        return cmd_status(&s, &ws);
    } else if (strcmp(cmd, "check") == 0) {
        return cmd_check(&s, &ws);
    } else if (strcmp(cmd, "keygen") == 0) {
        rc = cmd_keygen(&s, &ws);
    } else if (strcmp(cmd, "help") == 0) {
        ctl_help(out);
        rc = CTL_EXIT_OK;
    } else {
        error_msg(&s, "Unrecognized command");
        rc = CTL_EXIT_FAIL;
    }

    if (opts->json && rc != CTL_EXIT_OK && s.fail_code != 0) {
        /* Replace partial output with one error object. */
        out->len = out_start;
        if (out->data)
            out->data[out_start] = '\0';
        ctl_json_error(out, cmd, s.fail_code, s.fail_msg);
    }
    return rc;
}
