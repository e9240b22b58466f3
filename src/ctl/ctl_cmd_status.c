/* tockctl's waitsync, status (ntpstat) and check (monitoring plugin) commands. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl_json.h"
#include "ctl/ctl_session.h"
#include "ctl/ctl_status.h"

/* ---- waitsync ---- */

int ctl_cmd_waitsync(struct ctl_session *s, const struct ctl_words *ws)
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
        ctl_sess_init_request(&rq, CANDM_REQ_TRACKING);
        if (ctl_sess_request1(s, &rq, &rp, CANDM_RPY_TRACKING)) {
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
static bool fetch_state(struct ctl_session *s, struct candm_tracking *t, struct ctl_list *sources)
{
    struct candm_request rq;
    struct candm_reply rp;
    uint32_t n;

    ctl_sess_init_request(&rq, CANDM_REQ_TRACKING);
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_TRACKING))
        return false;
    *t = rp.u.tracking;
    /* The source list is a refinement (poll, reach, count): without it the report still
     * stands, so its failures are not the command's. */
    int saved_code = s->fail_code;
    char saved_msg[sizeof(s->fail_msg)];
    memcpy(saved_msg, s->fail_msg, sizeof(saved_msg));
    size_t out_len = s->out->len;
    if (ctl_sess_n_sources(s, &n)) {
        for (uint32_t i = 0; i < n; i++) {
            ctl_sess_init_request(&rq, CANDM_REQ_SOURCE_DATA);
            rq.u.index = i;
            if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_SOURCE_DATA))
                break;
            ctl_list_add(sources, &rp.u.source_data, "");
        }
    }
    s->fail_code = saved_code;
    memcpy(s->fail_msg, saved_msg, sizeof(saved_msg));
    s->out->len = out_len; /* drop any messages of the optional part */
    if (s->out->data)
        s->out->data[out_len] = '\0';
    return true;
}

int ctl_cmd_status(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_tracking t;
    struct ctl_list sources = {.size = sizeof(struct candm_source_data)};
    double max_error = 0.0;
    int rc;

    for (int i = 1; i < ws->n; i++) {
        char *end;
        if (strcmp(ws->w[i], "-m") == 0 && i + 1 < ws->n) {
            max_error = strtod(ws->w[++i], &end);
            if (*end != '\0' || !(max_error > 0.0)) {
                ctl_sess_error(s, "Invalid maximum error for status command");
                return CTL_STATUS_NO_DAEMON;
            }
        } else {
            ctl_sess_error(s, "Usage: status [-m MAXERROR]");
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
        ctl_list_free(&sources);
        return CTL_STATUS_NO_DAEMON;
    }
    rc = ctl_status_report(s->out, s->opts->json, &t, sources.items, sources.n, max_error);
    ctl_list_free(&sources);
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

int ctl_cmd_check(struct ctl_session *s, const struct ctl_words *ws)
{
    struct ctl_check_limits lim;
    struct ctl_check_input in;
    struct ctl_list sources = {.size = sizeof(struct candm_source_data)};
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
    ctl_list_free(&sources);
    s->fail_code = 0; /* the plugin line already says everything */
    return rc;
}
