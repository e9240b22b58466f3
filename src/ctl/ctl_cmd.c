/* tockctl's command dispatch: one command line in, chronyc's behaviour out. The commands
 * live in ctl_cmd_report.c (reports), ctl_cmd_control.c (control, keygen, help) and
 * ctl_cmd_status.c (waitsync, status, check); their shared helpers in ctl_session.c. */
#include "ctl/ctl_cmd.h"

#include <stdio.h>
#include <string.h>

#include "ctl/ctl_json.h"
#include "ctl/ctl_session.h"

/* ---- names through the session ---- */

static bool source_name_cb(void *ctx, const struct candm_ip *ip, char *buf, size_t len)
{
    return ctl_sess_source_name(ctx, ip, buf, len);
}

static bool reverse_cb(void *ctx, const struct candm_ip *ip, char *buf, size_t len)
{
    struct ctl_session *s = ctx;
    return s->env->reverse && s->env->reverse(s->env->ctx, ip, buf, len);
}

/* ---- dispatch ---- */

int ctl_run_line(const struct ctl_env *env, const struct ctl_opts *opts, const char *line,
                 struct ctl_buf *out, struct ctl_buf *err)
{
    struct ctl_session s;
    struct ctl_words ws;
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
    ctl_sess_split_words(copy, &ws);
    if (ws.n == 0)
        return CTL_EXIT_OK;
    const char *cmd = ws.w[0];
    s.command = cmd;
    size_t out_start = out->len;

    if (!env->transact && strcmp(cmd, "keygen") != 0 && strcmp(cmd, "help") != 0) {
        ctl_sess_fail(&s, 506, "506 Cannot talk to daemon");
        rc = CTL_EXIT_FAIL;
    } else if (strcmp(cmd, "tracking") == 0) {
        rc = ctl_cmd_tracking(&s);
    } else if (strcmp(cmd, "sources") == 0) {
        rc = ctl_cmd_sources(&s, &ws);
    } else if (strcmp(cmd, "sourcestats") == 0) {
        rc = ctl_cmd_sourcestats(&s, &ws);
    } else if (strcmp(cmd, "selectdata") == 0) {
        rc = ctl_cmd_selectdata(&s, &ws);
    } else if (strcmp(cmd, "authdata") == 0) {
        rc = ctl_cmd_authdata(&s, &ws);
    } else if (strcmp(cmd, "clients") == 0) {
        rc = ctl_cmd_clients(&s, &ws);
    } else if (strcmp(cmd, "activity") == 0) {
        rc = ctl_cmd_activity(&s);
    } else if (strcmp(cmd, "serverstats") == 0) {
        rc = ctl_cmd_serverstats(&s);
    } else if (strcmp(cmd, "ntpdata") == 0) {
        rc = ctl_cmd_ntpdata(&s, &ws);
    } else if (strcmp(cmd, "sourcename") == 0) {
        rc = ctl_cmd_sourcename(&s, &ws);
    } else if (strcmp(cmd, "rtcdata") == 0) {
        rc = ctl_cmd_rtcdata(&s);
    } else if (strcmp(cmd, "smoothing") == 0) {
        rc = ctl_cmd_smoothing(&s);
    } else if (strcmp(cmd, "makestep") == 0) {
        rc = ctl_cmd_makestep(&s, &ws);
    } else if (strcmp(cmd, "reload") == 0 && ws.n == 2 && strcmp(ws.w[1], "certs") == 0) {
        /* tock: NTS-KE certificates and keys. The daemon reloads them on REKEY (Unix
         * socket only), together with the keyfile and the ntsrotate-0 server keys. */
        rc = ctl_cmd_plain(&s, CANDM_REQ_REKEY);
    } else if (strcmp(cmd, "reload") == 0) {
        rc = ctl_cmd_with_sources_arg(&s, &ws, CANDM_REQ_RELOAD_SOURCES, "reload");
    } else if (strcmp(cmd, "reset") == 0) {
        rc = ctl_cmd_with_sources_arg(&s, &ws, CANDM_REQ_RESET_SOURCES, "reset");
    } else if (strcmp(cmd, "online") == 0 || strcmp(cmd, "offline") == 0) {
        rc = ctl_cmd_online(&s, &ws, strcmp(cmd, "online") == 0);
    } else if (strcmp(cmd, "burst") == 0) {
        rc = ctl_cmd_burst(&s, &ws);
    } else if (strcmp(cmd, "onoffline") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_ONOFFLINE);
    } else if (strcmp(cmd, "cyclelogs") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_CYCLELOGS);
    } else if (strcmp(cmd, "dump") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_DUMP);
    } else if (strcmp(cmd, "rekey") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_REKEY);
    } else if (strcmp(cmd, "reselect") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_RESELECT);
    } else if (strcmp(cmd, "refresh") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_REFRESH);
    } else if (strcmp(cmd, "shutdown") == 0) {
        rc = ctl_cmd_plain(&s, CANDM_REQ_SHUTDOWN);
    } else if (strcmp(cmd, "waitsync") == 0) {
        rc = ctl_cmd_waitsync(&s, &ws);
    } else if (strcmp(cmd, "status") == 0) {
        return ctl_cmd_status(&s, &ws);
    } else if (strcmp(cmd, "check") == 0) {
        return ctl_cmd_check(&s, &ws);
    } else if (strcmp(cmd, "keygen") == 0) {
        rc = ctl_cmd_keygen(&s, &ws);
    } else if (strcmp(cmd, "help") == 0) {
        ctl_help(out);
        rc = CTL_EXIT_OK;
    } else {
        ctl_sess_error(&s, "Unrecognized command");
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
