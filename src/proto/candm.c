/* candm codec: primitive encodings, length tables, request framing. Reply bodies are in
 * candm_reply.c. */
#include "proto/candm.h"
#include "proto/candm_wire.h"

#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* ---- Float ---- */

#define FLOAT_EXP_BITS  7
#define FLOAT_COEF_BITS 25
#define FLOAT_EXP_MIN   (-(1 << (FLOAT_EXP_BITS - 1)))     /* -64 */
#define FLOAT_EXP_MAX   ((1 << (FLOAT_EXP_BITS - 1)) - 1)  /* 63 */
#define FLOAT_COEF_MAX  ((1 << (FLOAT_COEF_BITS - 1)) - 1) /* 2^24 - 1 */

uint32_t candm_float_encode(double x)
{
    int32_t exp, coef, limit;
    bool neg = false;

    if (x < 0.0) {
        neg = true;
        x = -x;
    } else if (!(x >= 0.0)) {
        x = 0.0; /* NaN */
    }
    /* A negative coefficient can reach -2^24, one more than a positive one. */
    limit = FLOAT_COEF_MAX + (neg ? 1 : 0);

    if (x < 1.0e-100) {
        exp = 0;
        coef = 0;
    } else if (x > 1.0e100) {
        exp = FLOAT_EXP_MAX;
        coef = limit;
    } else {
        /* The exponent is log2(x) + 1 truncated toward zero, not floored: that is what
         * chronyd computes, and it shows in live captures (-2.24e-6 has exponent -17, a
         * floor would give -18). Values below 1 therefore keep 23-24 significant bits. */
        exp = (int32_t)(log(x) / log(2.0) + 1.0);
        coef = (int32_t)(x * pow(2.0, FLOAT_COEF_BITS - exp) + 0.5);
        while (coef > limit) {
            coef >>= 1;
            exp++;
        }
        if (exp > FLOAT_EXP_MAX) {
            exp = FLOAT_EXP_MAX;
            coef = limit;
        } else if (exp < FLOAT_EXP_MIN) {
            if (exp + FLOAT_COEF_BITS >= FLOAT_EXP_MIN) {
                coef >>= FLOAT_EXP_MIN - exp;
                exp = FLOAT_EXP_MIN;
            } else {
                exp = 0;
                coef = 0;
            }
        }
    }

    uint32_t c = (uint32_t)coef;
    if (neg)
        c = (0u - c) & ((1u << FLOAT_COEF_BITS) - 1);
    return ((uint32_t)exp << FLOAT_COEF_BITS) | c;
}

double candm_float_decode(uint32_t u)
{
    int32_t exp = (int32_t)(u >> FLOAT_COEF_BITS);
    int32_t coef = (int32_t)(u & ((1u << FLOAT_COEF_BITS) - 1));

    if (exp >= 1 << (FLOAT_EXP_BITS - 1))
        exp -= 1 << FLOAT_EXP_BITS;
    if (coef >= 1 << (FLOAT_COEF_BITS - 1))
        coef -= 1 << FLOAT_COEF_BITS;
    return ldexp((double)coef, exp - FLOAT_COEF_BITS);
}

/* ---- IPAddr ---- */

enum { WIRE_UNSPEC = 0, WIRE_INET4 = 1, WIRE_INET6 = 2, WIRE_ID = 3 };

void candm_ip_encode(const struct candm_ip *ip, uint8_t out[CANDM_IPADDR_LEN])
{
    memset(out, 0, CANDM_IPADDR_LEN);
    if (ip->is_id) {
        candm_put32(out, ip->id);
        candm_put16(out + 16, WIRE_ID);
    } else if (ip->ip.family == AF_INET) {
        memcpy(out, ip->ip.addr, 4);
        candm_put16(out + 16, WIRE_INET4);
    } else if (ip->ip.family == AF_INET6) {
        memcpy(out, ip->ip.addr, 16);
        candm_put16(out + 16, WIRE_INET6);
    }
}

void candm_ip_decode(const uint8_t in[CANDM_IPADDR_LEN], struct candm_ip *ip)
{
    memset(ip, 0, sizeof(*ip));
    ip->ip.family = AF_UNSPEC;
    switch (candm_get16(in + 16)) {
    case WIRE_INET4:
        ip->ip.family = AF_INET;
        memcpy(ip->ip.addr, in, 4);
        break;
    case WIRE_INET6:
        ip->ip.family = AF_INET6;
        memcpy(ip->ip.addr, in, 16);
        break;
    case WIRE_ID:
        ip->is_id = true;
        ip->id = candm_get32(in);
        break;
    default:
        break;
    }
}

struct candm_ip candm_ip_from_tock(const struct tock_ip *ip)
{
    struct candm_ip out;
    memset(&out, 0, sizeof(out));
    if (ip->family == AF_INET || ip->family == AF_INET6)
        out.ip = *ip;
    else
        out.ip.family = AF_UNSPEC;
    return out;
}

struct candm_ip candm_ip_from_id(uint32_t id)
{
    struct candm_ip out;
    memset(&out, 0, sizeof(out));
    out.ip.family = AF_UNSPEC;
    out.is_id = true;
    out.id = id;
    return out;
}

const char *candm_ip_format(const struct candm_ip *ip, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if (ip->is_id)
        snprintf(buf, len, "ID#%010u", (unsigned)ip->id);
    else if (ip->ip.family == AF_INET || ip->ip.family == AF_INET6)
        tock_ip_format(&ip->ip, buf, len);
    else
        snprintf(buf, len, "[UNSPEC]");
    return buf;
}

/* ---- Timespec ---- */

#define TV_NOHIGHSEC 0x7fffffffu

void candm_timespec_encode(const struct timespec *ts, uint8_t out[CANDM_TIMESPEC_LEN])
{
    uint64_t sec = (uint64_t)(int64_t)ts->tv_sec;
    candm_put32(out, (uint32_t)(sec >> 32));
    candm_put32(out + 4, (uint32_t)sec);
    candm_put32(out + 8, (uint32_t)ts->tv_nsec);
}

struct timespec candm_timespec_decode(const uint8_t in[CANDM_TIMESPEC_LEN])
{
    struct timespec ts;
    uint32_t high = candm_get32(in), nsec = candm_get32(in + 8);

    if (high == TV_NOHIGHSEC)
        high = 0;
    ts.tv_sec = (time_t)((uint64_t)high << 32 | candm_get32(in + 4));
    ts.tv_nsec = nsec > 999999999u ? 999999999 : (long)nsec;
    return ts;
}

/* ---- length tables ---- */

/* Request total lengths (header + data + padding) as sent by a 4.6+ chronyc; 0 marks an
 * obsolete or unused code, which a server answers with STT_INVALID. Derived from the body
 * layouts in inventory 3.8/3.9: padding raises each to the length of its reply. */
static const uint16_t request_lengths[CANDM_N_REQUEST_TYPES] = {
    [CANDM_REQ_NULL] = 0,
    [CANDM_REQ_ONLINE] = 60,
    [CANDM_REQ_OFFLINE] = 60,
    [CANDM_REQ_BURST] = 68,
    [CANDM_REQ_MODIFY_MINPOLL] = 44,
    [CANDM_REQ_MODIFY_MAXPOLL] = 44,
    [CANDM_REQ_DUMP] = 28,
    [CANDM_REQ_MODIFY_MAXDELAY] = 44,
    [CANDM_REQ_MODIFY_MAXDELAYRATIO] = 44,
    [CANDM_REQ_MODIFY_MAXUPDATESKEW] = 28,
    [CANDM_REQ_SETTIME] = 40,
    [CANDM_REQ_MANUAL] = 28,
    [CANDM_REQ_N_SOURCES] = 32,
    [CANDM_REQ_SOURCE_DATA] = 76,
    [CANDM_REQ_REKEY] = 28,
    [CANDM_REQ_ALLOW] = 44,
    [CANDM_REQ_ALLOWALL] = 44,
    [CANDM_REQ_DENY] = 44,
    [CANDM_REQ_DENYALL] = 44,
    [CANDM_REQ_CMDALLOW] = 44,
    [CANDM_REQ_CMDALLOWALL] = 44,
    [CANDM_REQ_CMDDENY] = 44,
    [CANDM_REQ_CMDDENYALL] = 44,
    [CANDM_REQ_ACCHECK] = 40,
    [CANDM_REQ_CMDACCHECK] = 40,
    [CANDM_REQ_DEL_SOURCE] = 40,
    [CANDM_REQ_WRITERTC] = 28,
    [CANDM_REQ_DFREQ] = 28,
    [CANDM_REQ_TRACKING] = 104,
    [CANDM_REQ_SOURCESTATS] = 84,
    [CANDM_REQ_RTCREPORT] = 56,
    [CANDM_REQ_TRIMRTC] = 28,
    [CANDM_REQ_CYCLELOGS] = 28,
    [CANDM_REQ_MANUAL_LIST] = 416,
    [CANDM_REQ_MANUAL_DELETE] = 28,
    [CANDM_REQ_MAKESTEP] = 28,
    [CANDM_REQ_ACTIVITY] = 48,
    [CANDM_REQ_MODIFY_MINSTRATUM] = 44,
    [CANDM_REQ_MODIFY_POLLTARGET] = 44,
    [CANDM_REQ_MODIFY_MAXDELAYDEVRATIO] = 44,
    [CANDM_REQ_RESELECT] = 28,
    [CANDM_REQ_RESELECTDISTANCE] = 28,
    [CANDM_REQ_MODIFY_MAKESTEP] = 28,
    [CANDM_REQ_SMOOTHING] = 52,
    [CANDM_REQ_SMOOTHTIME] = 28,
    [CANDM_REQ_REFRESH] = 28,
    [CANDM_REQ_SERVER_STATS] = 196,
    [CANDM_REQ_NTP_DATA] = 172,
    [CANDM_REQ_SHUTDOWN] = 28,
    [CANDM_REQ_ONOFFLINE] = 28,
    [CANDM_REQ_ADD_SOURCE] = 372,
    [CANDM_REQ_NTP_SOURCE_NAME] = 284,
    [CANDM_REQ_RESET_SOURCES] = 28,
    [CANDM_REQ_AUTH_DATA] = 52,
    [CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3] = 520,
    [CANDM_REQ_SELECT_DATA] = 76,
    [CANDM_REQ_RELOAD_SOURCES] = 28,
    [CANDM_REQ_DOFFSET2] = 28,
    [CANDM_REQ_MODIFY_SELECTOPTS] = 52,
    [CANDM_REQ_MODIFY_OFFSET] = 48,
    [CANDM_REQ_LOCAL3] = 48,
};

size_t candm_request_length(uint16_t command)
{
    return command < CANDM_N_REQUEST_TYPES ? request_lengths[command] : 0;
}

size_t candm_request_min_length(uint16_t command)
{
    /* Older chronyc versions pad these two to their older, shorter replies. */
    if (command == CANDM_REQ_SERVER_STATS)
        return CANDM_LEN_SERVER_STATS2;
    if (command == CANDM_REQ_NTP_DATA)
        return CANDM_LEN_NTP_DATA;
    return candm_request_length(command);
}

static const uint16_t reply_lengths[CANDM_N_REPLY_TYPES] = {
    [CANDM_RPY_NULL] = 28,
    [CANDM_RPY_N_SOURCES] = 32,
    [CANDM_RPY_SOURCE_DATA] = 76,
    [CANDM_RPY_TRACKING] = 104,
    [CANDM_RPY_SOURCESTATS] = 84,
    [CANDM_RPY_RTC] = 56,
    [CANDM_RPY_ACTIVITY] = 48,
    [CANDM_RPY_SMOOTHING] = 52,
    [CANDM_RPY_NTP_DATA] = CANDM_LEN_NTP_DATA,
    [CANDM_RPY_MANUAL_TIMESTAMP2] = 40,
    [CANDM_RPY_MANUAL_LIST2] = 416,
    [CANDM_RPY_NTP_SOURCE_NAME] = 284,
    [CANDM_RPY_AUTH_DATA] = 52,
    [CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3] = 520,
    [CANDM_RPY_SERVER_STATS2] = CANDM_LEN_SERVER_STATS2,
    [CANDM_RPY_SELECT_DATA] = 76,
    [CANDM_RPY_SERVER_STATS3] = CANDM_LEN_SERVER_STATS3,
    [CANDM_RPY_SERVER_STATS4] = CANDM_LEN_SERVER_STATS4,
    [CANDM_RPY_NTP_DATA2] = CANDM_LEN_NTP_DATA2,
};

size_t candm_reply_length(uint16_t reply)
{
    return reply < CANDM_N_REPLY_TYPES ? reply_lengths[reply] : 0;
}

/* ---- requests ---- */

size_t candm_encode_request(const struct candm_request *req, uint8_t *buf, size_t cap)
{
    size_t len = candm_request_length(req->command);
    uint8_t *d = buf + CANDM_REQ_HEADER_LEN;

    if (len == 0 || cap < len)
        return 0;
    memset(buf, 0, len);
    buf[0] = req->version ? req->version : CANDM_PROTO_VERSION;
    buf[1] = CANDM_PKT_REQUEST;
    candm_put16(buf + 4, req->command);
    candm_put16(buf + 6, req->attempt);
    candm_put32(buf + 8, req->sequence);

    switch (req->command) {
    case CANDM_REQ_SOURCE_DATA:
    case CANDM_REQ_SOURCESTATS:
    case CANDM_REQ_SELECT_DATA:
        candm_put32(d, req->u.index);
        break;
    case CANDM_REQ_NTP_DATA:
    case CANDM_REQ_NTP_SOURCE_NAME:
    case CANDM_REQ_AUTH_DATA:
    case CANDM_REQ_ACCHECK:
    case CANDM_REQ_CMDACCHECK:
    case CANDM_REQ_DEL_SOURCE:
        candm_ip_encode(&req->u.ip, d);
        break;
    case CANDM_REQ_ONLINE:
    case CANDM_REQ_OFFLINE:
        candm_ip_encode(&req->u.online.mask, d);
        candm_ip_encode(&req->u.online.address, d + 20);
        break;
    case CANDM_REQ_BURST:
        candm_ip_encode(&req->u.burst.mask, d);
        candm_ip_encode(&req->u.burst.address, d + 20);
        candm_put32(d + 40, (uint32_t)req->u.burst.n_good_samples);
        candm_put32(d + 44, (uint32_t)req->u.burst.n_total_samples);
        break;
    case CANDM_REQ_MODIFY_MAKESTEP:
        candm_put32(d, (uint32_t)req->u.makestep.limit);
        candm_put32(d + 4, candm_float_encode(req->u.makestep.threshold));
        break;
    case CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3:
        candm_put32(d, req->u.clients.first_index);
        candm_put32(d + 4, req->u.clients.n_clients);
        candm_put32(d + 8, req->u.clients.min_hits);
        candm_put32(d + 12, req->u.clients.reset);
        break;
    default:
        break;
    }
    return len;
}

enum candm_parse candm_parse_request(const uint8_t *buf, size_t len, struct candm_request *out)
{
    const uint8_t *d = buf + CANDM_REQ_HEADER_LEN;
    size_t min_len;

    memset(out, 0, sizeof(*out));
    /* An error reply is 28 bytes, so anything shorter could not even get one back. */
    if (len < CANDM_REPLY_HEADER_LEN || len > CANDM_MAX_REQUEST_LEN)
        return CANDM_PARSE_DROP;
    if (buf[1] != CANDM_PKT_REQUEST || buf[2] != 0 || buf[3] != 0)
        return CANDM_PARSE_DROP;

    out->version = buf[0];
    out->command = candm_get16(buf + 4);
    out->attempt = candm_get16(buf + 6);
    out->sequence = candm_get32(buf + 8);

    if (out->version != CANDM_PROTO_VERSION)
        return out->version >= CANDM_VERSION_COMPAT_SERVER ? CANDM_PARSE_BAD_VERSION
                                                           : CANDM_PARSE_DROP;
    min_len = candm_request_min_length(out->command);
    if (min_len == 0)
        return CANDM_PARSE_INVALID;
    if (len < min_len)
        return CANDM_PARSE_BAD_LENGTH;

    switch (out->command) {
    case CANDM_REQ_SOURCE_DATA:
    case CANDM_REQ_SOURCESTATS:
    case CANDM_REQ_SELECT_DATA:
        out->u.index = candm_get32(d);
        break;
    case CANDM_REQ_NTP_DATA:
    case CANDM_REQ_NTP_SOURCE_NAME:
    case CANDM_REQ_AUTH_DATA:
    case CANDM_REQ_ACCHECK:
    case CANDM_REQ_CMDACCHECK:
    case CANDM_REQ_DEL_SOURCE:
        candm_ip_decode(d, &out->u.ip);
        break;
    case CANDM_REQ_ONLINE:
    case CANDM_REQ_OFFLINE:
        candm_ip_decode(d, &out->u.online.mask);
        candm_ip_decode(d + 20, &out->u.online.address);
        break;
    case CANDM_REQ_BURST:
        candm_ip_decode(d, &out->u.burst.mask);
        candm_ip_decode(d + 20, &out->u.burst.address);
        out->u.burst.n_good_samples = (int32_t)candm_get32(d + 40);
        out->u.burst.n_total_samples = (int32_t)candm_get32(d + 44);
        break;
    case CANDM_REQ_MODIFY_MAKESTEP:
        out->u.makestep.limit = (int32_t)candm_get32(d);
        out->u.makestep.threshold = candm_float_decode(candm_get32(d + 4));
        break;
    case CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3:
        out->u.clients.first_index = candm_get32(d);
        out->u.clients.n_clients = candm_get32(d + 4);
        out->u.clients.min_hits = candm_get32(d + 8);
        out->u.clients.reset = candm_get32(d + 12);
        break;
    default:
        break;
    }
    return CANDM_PARSE_OK;
}

static const char *const request_names[CANDM_N_REQUEST_TYPES] = {
    [CANDM_REQ_NULL] = "NULL",
    [CANDM_REQ_ONLINE] = "ONLINE",
    [CANDM_REQ_OFFLINE] = "OFFLINE",
    [CANDM_REQ_BURST] = "BURST",
    [CANDM_REQ_MODIFY_MINPOLL] = "MODIFY_MINPOLL",
    [CANDM_REQ_MODIFY_MAXPOLL] = "MODIFY_MAXPOLL",
    [CANDM_REQ_DUMP] = "DUMP",
    [CANDM_REQ_MODIFY_MAXDELAY] = "MODIFY_MAXDELAY",
    [CANDM_REQ_MODIFY_MAXDELAYRATIO] = "MODIFY_MAXDELAYRATIO",
    [CANDM_REQ_MODIFY_MAXUPDATESKEW] = "MODIFY_MAXUPDATESKEW",
    [CANDM_REQ_LOGON] = "LOGON",
    [CANDM_REQ_SETTIME] = "SETTIME",
    [CANDM_REQ_LOCAL] = "LOCAL",
    [CANDM_REQ_MANUAL] = "MANUAL",
    [CANDM_REQ_N_SOURCES] = "N_SOURCES",
    [CANDM_REQ_SOURCE_DATA] = "SOURCE_DATA",
    [CANDM_REQ_REKEY] = "REKEY",
    [CANDM_REQ_ALLOW] = "ALLOW",
    [CANDM_REQ_ALLOWALL] = "ALLOWALL",
    [CANDM_REQ_DENY] = "DENY",
    [CANDM_REQ_DENYALL] = "DENYALL",
    [CANDM_REQ_CMDALLOW] = "CMDALLOW",
    [CANDM_REQ_CMDALLOWALL] = "CMDALLOWALL",
    [CANDM_REQ_CMDDENY] = "CMDDENY",
    [CANDM_REQ_CMDDENYALL] = "CMDDENYALL",
    [CANDM_REQ_ACCHECK] = "ACCHECK",
    [CANDM_REQ_CMDACCHECK] = "CMDACCHECK",
    [CANDM_REQ_ADD_SERVER] = "ADD_SERVER",
    [CANDM_REQ_ADD_PEER] = "ADD_PEER",
    [CANDM_REQ_DEL_SOURCE] = "DEL_SOURCE",
    [CANDM_REQ_WRITERTC] = "WRITERTC",
    [CANDM_REQ_DFREQ] = "DFREQ",
    [CANDM_REQ_DOFFSET] = "DOFFSET",
    [CANDM_REQ_TRACKING] = "TRACKING",
    [CANDM_REQ_SOURCESTATS] = "SOURCESTATS",
    [CANDM_REQ_RTCREPORT] = "RTCREPORT",
    [CANDM_REQ_TRIMRTC] = "TRIMRTC",
    [CANDM_REQ_CYCLELOGS] = "CYCLELOGS",
    [CANDM_REQ_SUBNETS_ACCESSED] = "SUBNETS_ACCESSED",
    [CANDM_REQ_CLIENT_ACCESSES] = "CLIENT_ACCESSES",
    [CANDM_REQ_CLIENT_ACCESSES_BY_INDEX] = "CLIENT_ACCESSES_BY_INDEX",
    [CANDM_REQ_MANUAL_LIST] = "MANUAL_LIST",
    [CANDM_REQ_MANUAL_DELETE] = "MANUAL_DELETE",
    [CANDM_REQ_MAKESTEP] = "MAKESTEP",
    [CANDM_REQ_ACTIVITY] = "ACTIVITY",
    [CANDM_REQ_MODIFY_MINSTRATUM] = "MODIFY_MINSTRATUM",
    [CANDM_REQ_MODIFY_POLLTARGET] = "MODIFY_POLLTARGET",
    [CANDM_REQ_MODIFY_MAXDELAYDEVRATIO] = "MODIFY_MAXDELAYDEVRATIO",
    [CANDM_REQ_RESELECT] = "RESELECT",
    [CANDM_REQ_RESELECTDISTANCE] = "RESELECTDISTANCE",
    [CANDM_REQ_MODIFY_MAKESTEP] = "MODIFY_MAKESTEP",
    [CANDM_REQ_SMOOTHING] = "SMOOTHING",
    [CANDM_REQ_SMOOTHTIME] = "SMOOTHTIME",
    [CANDM_REQ_REFRESH] = "REFRESH",
    [CANDM_REQ_SERVER_STATS] = "SERVER_STATS",
    [CANDM_REQ_CLIENT_ACCESSES_BY_INDEX2] = "CLIENT_ACCESSES_BY_INDEX2",
    [CANDM_REQ_LOCAL2] = "LOCAL2",
    [CANDM_REQ_NTP_DATA] = "NTP_DATA",
    [CANDM_REQ_ADD_SERVER2] = "ADD_SERVER2",
    [CANDM_REQ_ADD_PEER2] = "ADD_PEER2",
    [CANDM_REQ_ADD_SERVER3] = "ADD_SERVER3",
    [CANDM_REQ_ADD_PEER3] = "ADD_PEER3",
    [CANDM_REQ_SHUTDOWN] = "SHUTDOWN",
    [CANDM_REQ_ONOFFLINE] = "ONOFFLINE",
    [CANDM_REQ_ADD_SOURCE] = "ADD_SOURCE",
    [CANDM_REQ_NTP_SOURCE_NAME] = "NTP_SOURCE_NAME",
    [CANDM_REQ_RESET_SOURCES] = "RESET_SOURCES",
    [CANDM_REQ_AUTH_DATA] = "AUTH_DATA",
    [CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3] = "CLIENT_ACCESSES_BY_INDEX3",
    [CANDM_REQ_SELECT_DATA] = "SELECT_DATA",
    [CANDM_REQ_RELOAD_SOURCES] = "RELOAD_SOURCES",
    [CANDM_REQ_DOFFSET2] = "DOFFSET2",
    [CANDM_REQ_MODIFY_SELECTOPTS] = "MODIFY_SELECTOPTS",
    [CANDM_REQ_MODIFY_OFFSET] = "MODIFY_OFFSET",
    [CANDM_REQ_LOCAL3] = "LOCAL3",
};

const char *candm_request_name(uint16_t command)
{
    if (command < CANDM_N_REQUEST_TYPES && request_names[command])
        return request_names[command];
    return "UNKNOWN";
}
