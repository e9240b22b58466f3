/* tockctl's waitsync, status (ntpstat) and check (monitoring plugin) commands. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "conf/config.h"
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

/* With -f FILE: the ntsservercert files of tockd's configuration, the one expiring first.
 * Returns false (and a message in msg) when the configuration itself cannot be read. */
static bool check_certificates(struct ctl_session *s, struct ctl_check_input *in, char *file,
                               size_t file_len, char *error, size_t error_len, char *msg,
                               size_t msg_len)
{
    struct tock_config conf;
    struct conf_diags diags = {0};
    const struct ctl_env *env = s->env;
    int rc = conf_load_file(s->opts->config_path, &conf, &diags);
    if (rc < 0) {
        char first[512] = "";
        for (int i = 0; i < diags.n; i++)
            if (diags.items[i].level == CONF_DIAG_ERROR) {
                conf_diag_format(&diags.items[i], first, sizeof(first));
                break;
            }
        snprintf(msg, msg_len, "cannot read the configuration %s: %s", s->opts->config_path, first);
    }
    for (int i = 0; rc == 0 && i < conf.n_nts_certkeys && env->cert_not_after; i++) {
        const char *path = conf.nts_certkeys[i].cert;
        char why[256];
        time_t not_after;
        if (!path)
            continue;
        if (env->cert_not_after(env->ctx, path, &not_after, why, sizeof(why)) < 0) {
            if (!error[0])
                snprintf(error, error_len, "cannot read NTS certificate %s: %s", path, why);
            continue;
        }
        double days = ((double)not_after - (double)in->now.tv_sec) / 86400.0;
        if (!in->have_cert_days || days < in->cert_days_left) {
            in->have_cert_days = true;
            in->cert_days_left = days;
            snprintf(file, file_len, "%s", path);
            in->cert_file = file;
        }
    }
    if (error[0])
        in->cert_error = error;
    conf_free(&conf);
    conf_diags_free(&diags);
    return rc == 0;
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
        else if (ok && strcmp(opt, "--warn-cert-days") == 0)
            ok = parse_double_opt(val, &lim.warn_cert_days);
        else if (ok && strcmp(opt, "--crit-cert-days") == 0)
            ok = parse_double_opt(val, &lim.crit_cert_days);
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
    char cert_file[4096] = "", cert_error[4400] = "", conf_error[1024] = "";
    if (s->opts->config_path &&
        !check_certificates(s, &in, cert_file, sizeof(cert_file), cert_error, sizeof(cert_error),
                            conf_error, sizeof(conf_error))) {
        ctl_list_free(&sources);
        if (s->opts->json) {
            bool f = true;
            ctl_buf_putc(s->out, '{');
            ctl_json_str_field(s->out, &f, "report", "check");
            ctl_json_str_field(s->out, &f, "state", "UNKNOWN");
            ctl_json_int_field(s->out, &f, "exit_code", CTL_CHECK_UNKNOWN);
            ctl_json_str_field(s->out, &f, "message", conf_error);
            ctl_buf_puts(s->out, "}\n");
        } else {
            ctl_buf_printf(s->out, "NTP UNKNOWN: %s\n", conf_error);
        }
        s->fail_code = 0;
        return CTL_CHECK_UNKNOWN;
    }
    rc = ctl_check_evaluate(s->out, s->opts->json, &lim, &in);
    ctl_list_free(&sources);
    s->fail_code = 0; /* the plugin line already says everything */
    return rc;
}
