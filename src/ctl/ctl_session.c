/* tockctl's command helpers: chronyc's request/reply rules and failure messages, names,
 * word splitting, lists. */
#include "ctl/ctl_session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_fmt.h"

/* ---- failures and the request/reply helper ---- */

/* Records a failure. chronyc prints these on stdout; in JSON mode the command's output is
 * replaced by one error object at the end. */
void ctl_sess_fail(struct ctl_session *s, int code, const char *msg)
{
    if (s->fail_code == 0) {
        s->fail_code = code;
        snprintf(s->fail_msg, sizeof(s->fail_msg), "%s", msg);
    }
    if (!s->opts->json)
        ctl_buf_printf(s->out, "%s\n", msg);
}

/* A diagnostic on stderr (chronyc's LOG(LOGS_ERR, ...)). */
void ctl_sess_error(struct ctl_session *s, const char *msg)
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
bool ctl_sess_request(struct ctl_session *s, struct candm_request *rq, struct candm_reply *rp,
                      const uint16_t *codes, size_t ncodes, bool verbose)
{
    if (s->env->transact(s->env->ctx, rq, rp) < 0) {
        ctl_sess_fail(s, 506, "506 Cannot talk to daemon");
        return false;
    }
    uint16_t st = rp->status;
    bool ok =
        st == CANDM_STT_SUCCESS || st == CANDM_STT_ACCESSALLOWED || st == CANDM_STT_ACCESSDENIED;
    if (!ok) {
        ctl_sess_fail(s, atoi(ctl_status_message(st)), ctl_status_message(st));
        return false;
    }
    if (verbose && !s->opts->json)
        ctl_buf_printf(s->out, "%s\n", ctl_status_message(st));
    if (!code_in(rp->reply, codes, ncodes)) {
        ctl_sess_fail(s, 508, "508 Bad reply from daemon");
        return false;
    }
    return true;
}

bool ctl_sess_request1(struct ctl_session *s, struct candm_request *rq, struct candm_reply *rp,
                       uint16_t code)
{
    return ctl_sess_request(s, rq, rp, &code, 1, false);
}

void ctl_sess_init_request(struct candm_request *rq, uint16_t command)
{
    memset(rq, 0, sizeof(*rq));
    rq->command = command;
}

/* ---- names ---- */

/* chronyc's ctl_sess_source_name(): errors from the daemon are printed like any other. */
bool ctl_sess_source_name(struct ctl_session *s, const struct candm_ip *ip, char *buf, size_t len)
{
    struct candm_request rq;
    struct candm_reply rp;

    ctl_sess_init_request(&rq, CANDM_REQ_NTP_SOURCE_NAME);
    rq.u.ip = *ip;
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_NTP_SOURCE_NAME))
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

/* "ID#0000000001", a numeric address, or (with a resolver) a name. */
bool ctl_sess_parse_address(struct ctl_session *s, const char *text, struct candm_ip *out)
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

void ctl_sess_split_words(char *line, struct ctl_words *ws)
{
    char *p = line;
    ws->n = 0;
    ws->rest[0] = '\0';
    while (*p && ws->n < CTL_MAX_WORDS) {
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

void ctl_sess_list_options(const struct ctl_words *ws, bool csv, bool *all, bool *verbose)
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

bool ctl_list_add(struct ctl_list *l, const void *item, const char *name)
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

void ctl_list_free(struct ctl_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->names[i]);
    free(l->names);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

bool ctl_sess_n_sources(struct ctl_session *s, uint32_t *n)
{
    struct candm_request rq;
    struct candm_reply rp;
    ctl_sess_init_request(&rq, CANDM_REQ_N_SOURCES);
    if (!ctl_sess_request1(s, &rq, &rp, CANDM_RPY_N_SOURCES))
        return false;
    *n = rp.u.n_sources > CTL_MAX_LISTED ? CTL_MAX_LISTED : rp.u.n_sources;
    return true;
}
