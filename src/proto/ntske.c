#include "proto/ntske.h"

#include <string.h>

#include "proto/ntp_packet.h" /* rd16/wr16 */

#define RECORD_HEADER_LEN 4

void ntske_exporter_context(uint16_t next_protocol, uint16_t aead, bool s2c,
                            uint8_t out[NTSKE_EXPORTER_CONTEXT_LEN])
{
    wr16(out, next_protocol);
    wr16(out + 2, aead);
    out[4] = s2c ? 1 : 0;
}

int ntske_next_record(const uint8_t *msg, size_t len, size_t *pos, struct ntske_record *r)
{
    if (*pos >= len)
        return 0;
    if (len - *pos < RECORD_HEADER_LEN)
        return -1;
    const uint8_t *p = msg + *pos;
    uint16_t body_len = rd16(p + 2);
    if (len - *pos - RECORD_HEADER_LEN < body_len)
        return -1;
    r->critical = (rd16(p) & NTSKE_CRITICAL) != 0;
    r->type = rd16(p) & (uint16_t)~NTSKE_CRITICAL;
    r->body_len = body_len;
    r->body = p + RECORD_HEADER_LEN;
    *pos += RECORD_HEADER_LEN + (size_t)body_len;
    return 1;
}

/* Walks whole records from *pos. Returns the frame status; *pos ends at the end of the
 * last whole record. */
static int walk_frame(const uint8_t *buf, size_t len, size_t *pos)
{
    struct ntske_record r;
    size_t p = *pos;
    int got;
    while ((got = ntske_next_record(buf, len, &p, &r)) == 1) {
        *pos = p;
        if (r.type != NTSKE_REC_END)
            continue;
        if (!r.critical || r.body_len != 0 || p != len)
            return NTSKE_FRAME_INVALID;
        return NTSKE_FRAME_COMPLETE;
    }
    return NTSKE_FRAME_INCOMPLETE;
}

int ntske_frame_check(const uint8_t *buf, size_t len)
{
    size_t pos = 0;
    if (len > NTSKE_MAX_MESSAGE)
        return NTSKE_FRAME_INVALID;
    int status = walk_frame(buf, len, &pos);
    if (status == NTSKE_FRAME_INCOMPLETE && len == NTSKE_MAX_MESSAGE)
        return NTSKE_FRAME_INVALID;
    return status;
}

void ntske_msgbuf_reset(struct ntske_msgbuf *m)
{
    m->len = 0;
    m->parsed = 0;
    m->status = NTSKE_FRAME_INCOMPLETE;
}

int ntske_msgbuf_append(struct ntske_msgbuf *m, const uint8_t *p, size_t n)
{
    if (m->status != NTSKE_FRAME_INCOMPLETE) {
        if (n > 0)
            m->status = NTSKE_FRAME_INVALID;
        return m->status;
    }
    if (n > sizeof(m->data) - m->len) {
        m->status = NTSKE_FRAME_INVALID;
        return m->status;
    }
    if (n > 0)
        memcpy(m->data + m->len, p, n);
    m->len += n;
    /* Only the records after the last whole one need looking at. */
    m->status = walk_frame(m->data, m->len, &m->parsed);
    if (m->status == NTSKE_FRAME_INCOMPLETE && m->len == sizeof(m->data))
        m->status = NTSKE_FRAME_INVALID;
    return m->status;
}

/* ---- Writing ---- */

struct writer {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool failed;
};

static void put_record(struct writer *w, bool critical, uint16_t type, const void *body,
                       size_t body_len)
{
    if (w->failed || body_len > 0xffff || w->cap - w->len < RECORD_HEADER_LEN + body_len) {
        w->failed = true;
        return;
    }
    uint8_t *p = w->buf + w->len;
    wr16(p, (uint16_t)((critical ? NTSKE_CRITICAL : 0) | type));
    wr16(p + 2, (uint16_t)body_len);
    if (body_len)
        memcpy(p + RECORD_HEADER_LEN, body, body_len);
    w->len += RECORD_HEADER_LEN + body_len;
}

static void put_u16_record(struct writer *w, uint16_t type, uint16_t value)
{
    uint8_t b[2];
    wr16(b, value);
    put_record(w, true, type, b, 2);
}

static int finish(struct writer *w)
{
    put_record(w, true, NTSKE_REC_END, NULL, 0);
    if (w->failed || w->len > NTSKE_MAX_MESSAGE)
        return -1;
    return (int)w->len;
}

/* ---- Server ---- */

static bool in_list(uint16_t v, const uint16_t *list, int n)
{
    for (int i = 0; i < n; i++)
        if (list[i] == v)
            return true;
    return false;
}

void ntske_parse_request(const uint8_t *msg, size_t len, const uint16_t *aeads, int n_aeads,
                         struct ntske_request *req)
{
    int next_records = 0, aead_records = 0, server_records = 0, port_records = 0;
    struct ntske_record r;
    size_t pos = 0;

    req->error = -1;
    req->ntpv4 = false;
    req->aead = -1;
    req->compliant_gcm_siv_exporter = false;

    if (ntske_frame_check(msg, len) != NTSKE_FRAME_COMPLETE) {
        req->error = NTSKE_ERROR_BAD_REQUEST;
        return;
    }
    while (req->error < 0 && ntske_next_record(msg, len, &pos, &r) == 1) {
        switch (r.type) {
        case NTSKE_REC_END:
            break;
        case NTSKE_REC_NEXT_PROTOCOL:
            /* RFC 8915 4.1.2: exactly one, critical, a list of 16-bit ids. */
            if (!r.critical || r.body_len < 2 || r.body_len % 2 || r.body_len > NTSKE_MAX_BODY ||
                ++next_records > 1) {
                req->error = NTSKE_ERROR_BAD_REQUEST;
                break;
            }
            for (size_t i = 0; i < r.body_len; i += 2)
                if (rd16(r.body + i) == NTSKE_NEXT_PROTOCOL_NTPV4)
                    req->ntpv4 = true;
            break;
        case NTSKE_REC_AEAD:
            if (r.body_len < 2 || r.body_len % 2 || r.body_len > NTSKE_MAX_BODY ||
                ++aead_records > 1) {
                req->error = NTSKE_ERROR_BAD_REQUEST;
                break;
            }
            /* The client's order is its preference: take its first supported id. */
            for (size_t i = 0; i < r.body_len && req->aead < 0; i += 2)
                if (in_list(rd16(r.body + i), aeads, n_aeads))
                    req->aead = rd16(r.body + i);
            break;
        case NTSKE_REC_ERROR:
        case NTSKE_REC_WARNING:
        case NTSKE_REC_COOKIE:
            req->error = NTSKE_ERROR_BAD_REQUEST;
            break;
        case NTSKE_REC_SERVER:
            /* A client may suggest a server or port (RFC 8915 4.1.7-8); tock does not
             * honour suggestions, but checks them and refuses duplicates. */
            if (r.body_len < 1 || r.body_len > NTSKE_MAX_BODY || ++server_records > 1)
                req->error = NTSKE_ERROR_BAD_REQUEST;
            break;
        case NTSKE_REC_PORT:
            if (r.body_len != 2 || ++port_records > 1)
                req->error = NTSKE_ERROR_BAD_REQUEST;
            break;
        case NTSKE_REC_COMPLIANT_GCM_SIV_EXPORTER:
            req->compliant_gcm_siv_exporter = true;
            break;
        default:
            if (r.critical)
                req->error = NTSKE_ERROR_UNRECOGNIZED_CRITICAL;
            break;
        }
    }
    if (req->error < 0 && (next_records != 1 || (req->ntpv4 && aead_records != 1)))
        req->error = NTSKE_ERROR_BAD_REQUEST;
}

bool ntske_request_ok(const struct ntske_request *req)
{
    return req->error < 0 && req->ntpv4 && req->aead >= 0;
}

int ntske_build_error(uint16_t code, uint8_t *out, size_t cap)
{
    struct writer w = {out, cap, 0, false};
    put_u16_record(&w, NTSKE_REC_ERROR, code);
    return finish(&w);
}

int ntske_build_response(const struct ntske_request *req, const struct ntske_server_params *p,
                         const uint8_t *cookies, size_t cookie_len, int n_cookies, uint8_t *out,
                         size_t cap)
{
    struct writer w = {out, cap, 0, false};
    if (req->error >= 0)
        return ntske_build_error((uint16_t)req->error, out, cap);
    if (!req->ntpv4) {
        put_record(&w, true, NTSKE_REC_NEXT_PROTOCOL, NULL, 0);
        return finish(&w);
    }
    put_u16_record(&w, NTSKE_REC_NEXT_PROTOCOL, NTSKE_NEXT_PROTOCOL_NTPV4);
    if (req->aead < 0) {
        put_record(&w, true, NTSKE_REC_AEAD, NULL, 0);
        return finish(&w);
    }
    if (n_cookies < 1 || n_cookies > NTS_MAX_COOKIES || cookie_len < 1 ||
        cookie_len > NTSKE_MAX_BODY)
        return -1;
    put_u16_record(&w, NTSKE_REC_AEAD, (uint16_t)req->aead);
    if (p->ntp_port != NTSKE_NTP_PORT)
        put_u16_record(&w, NTSKE_REC_PORT, p->ntp_port);
    if (p->ntp_server) {
        size_t n = strlen(p->ntp_server);
        if (n < 1 || n > NTSKE_MAX_BODY)
            return -1;
        put_record(&w, true, NTSKE_REC_SERVER, p->ntp_server, n);
    }
    for (int i = 0; i < n_cookies; i++)
        put_record(&w, false, NTSKE_REC_COOKIE, cookies + (size_t)i * cookie_len, cookie_len);
    return finish(&w);
}

/* ---- Client ---- */

int ntske_build_request(const uint16_t *aeads, int n_aeads, uint8_t *out, size_t cap)
{
    struct writer w = {out, cap, 0, false};
    uint8_t list[NTSKE_MAX_BODY];
    if (n_aeads < 1 || (size_t)n_aeads * 2 > sizeof(list))
        return -1;
    for (int i = 0; i < n_aeads; i++)
        wr16(list + 2 * i, aeads[i]);
    put_u16_record(&w, NTSKE_REC_NEXT_PROTOCOL, NTSKE_NEXT_PROTOCOL_NTPV4);
    put_record(&w, true, NTSKE_REC_AEAD, list, (size_t)n_aeads * 2);
    return finish(&w);
}

/* The negotiated server must be printable and without spaces (it becomes a name to
 * resolve and a file name): the same rule as chrony. */
static bool valid_server_name(const uint8_t *p, size_t n)
{
    if (n < 1 || n > NTSKE_MAX_BODY)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] <= 0x20 || p[i] >= 0x7f)
            return false;
    return true;
}

int ntske_parse_response(const uint8_t *msg, size_t len, const uint16_t *aeads, int n_aeads,
                         struct ntske_response *resp)
{
    bool got_next = false, got_aead = false, got_port = false, got_server = false;
    struct ntske_record r;
    size_t pos = 0;

    memset(resp, 0, sizeof(*resp));
    resp->error_code = -1;
    resp->warning_code = -1;

    if (ntske_frame_check(msg, len) != NTSKE_FRAME_COMPLETE)
        return NTSKE_RESP_MALFORMED;
    while (ntske_next_record(msg, len, &pos, &r) == 1) {
        if (r.type == NTSKE_REC_END)
            break;
        /* Records whose bodies are too long to be meant for us: skipped unless critical. */
        if (r.body_len > NTSKE_MAX_BODY) {
            if (r.critical)
                return NTSKE_RESP_MALFORMED;
            continue;
        }
        switch (r.type) {
        case NTSKE_REC_NEXT_PROTOCOL:
            if (got_next)
                return NTSKE_RESP_MALFORMED;
            got_next = true;
            if (!r.critical || r.body_len != 2 || rd16(r.body) != NTSKE_NEXT_PROTOCOL_NTPV4)
                return NTSKE_RESP_BAD_PROTOCOL;
            break;
        case NTSKE_REC_AEAD:
            if (got_aead)
                return NTSKE_RESP_MALFORMED;
            got_aead = true;
            if (r.body_len != 2 || !in_list(rd16(r.body), aeads, n_aeads))
                return NTSKE_RESP_BAD_AEAD;
            resp->aead = rd16(r.body);
            break;
        case NTSKE_REC_ERROR:
            resp->error_code = r.body_len == 2 ? rd16(r.body) : NTSKE_ERROR_INTERNAL;
            return NTSKE_RESP_SERVER_ERROR;
        case NTSKE_REC_WARNING:
            resp->warning_code = r.body_len == 2 ? rd16(r.body) : 0;
            return NTSKE_RESP_WARNING;
        case NTSKE_REC_COOKIE:
            /* Unusable cookies are ignored, as chrony does; extra ones too. A cookie must
             * fill an NTP extension field: a multiple of 4, at least 12 bytes. */
            if (r.body_len < NTP_MIN_EF_LEN - 4 || r.body_len % 4 ||
                resp->cookies.n >= NTS_MAX_COOKIES)
                break;
            resp->cookies.len[resp->cookies.n] = r.body_len;
            memcpy(resp->cookies.data[resp->cookies.n], r.body, r.body_len);
            resp->cookies.n++;
            break;
        case NTSKE_REC_SERVER:
            if (got_server || !valid_server_name(r.body, r.body_len))
                return NTSKE_RESP_MALFORMED;
            got_server = true;
            memcpy(resp->server, r.body, r.body_len);
            resp->server[r.body_len] = '\0';
            break;
        case NTSKE_REC_PORT:
            if (got_port || r.body_len != 2)
                return NTSKE_RESP_MALFORMED;
            got_port = true;
            resp->port = rd16(r.body);
            break;
        default:
            if (r.critical)
                return NTSKE_RESP_MALFORMED;
            break;
        }
    }
    if (!got_next)
        return NTSKE_RESP_BAD_PROTOCOL;
    if (!got_aead)
        return NTSKE_RESP_BAD_AEAD;
    if (resp->cookies.n == 0)
        return NTSKE_RESP_NO_COOKIES;
    return NTSKE_RESP_OK;
}

const char *ntske_response_status_name(int status)
{
    switch (status) {
    case NTSKE_RESP_OK:
        return "ok";
    case NTSKE_RESP_SERVER_ERROR:
        return "server sent an error";
    case NTSKE_RESP_WARNING:
        return "server sent a warning";
    case NTSKE_RESP_BAD_PROTOCOL:
        return "NTPv4 not negotiated";
    case NTSKE_RESP_BAD_AEAD:
        return "no common AEAD algorithm";
    case NTSKE_RESP_NO_COOKIES:
        return "no cookies";
    case NTSKE_RESP_MALFORMED:
        return "malformed response";
    default:
        return "unknown status";
    }
}
