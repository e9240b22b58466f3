#include "daemon/ntp_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/nts_server.h"
#include "daemon/rand.h"
#include "daemon/udp.h"
#include "crypto/mac.h"
#include "proto/ntp_packet.h"
#include "proto/nts_ef.h"
#include "serve/acl.h"
#include "serve/clientlog.h"
#include "serve/ntp_reply.h"

#define MAX_SERVER_SOCKETS 2

/* NTS extension field types (RFC 8915): present in a request only for an NTS server. */
#define EF_NTS_UNIQUE_ID 0x0104
#define EF_NTS_COOKIE    0x0204
#define EF_NTS_AUTH      0x0404

struct ntp_server {
    struct tockd *d;
    int fds[MAX_SERVER_SOCKETS];
    bool wildcard[MAX_SERVER_SOCKETS];
    int n_fds;
    struct udp_batch batch;
    struct ntp_reply_history history;
    struct nts_ef_server_state nts_state; /* per request, kept here off the stack */
};

static bool has_nts_fields(const struct ntp_packet_view *v)
{
    for (int i = 0; i < v->n_ext; i++) {
        uint16_t t = v->ext[i].type;
        if (t == EF_NTS_UNIQUE_ID || t == EF_NTS_COOKIE || t == EF_NTS_AUTH)
            return true;
    }
    return false;
}

static enum server_drop_reason parse_error_reason(int err)
{
    switch (err) {
    case NTP_ERR_SHORT:
    case NTP_ERR_ALIGN:
    case NTP_ERR_LONG:
        return SERVER_DROP_BAD_LENGTH;
    case NTP_ERR_VERSION:
        return SERVER_DROP_BAD_VERSION;
    default:
        return SERVER_DROP_BAD_EXT;
    }
}

/* Parses a request. The NTPv4 full-digest MACs of ntpd/ntpsec clients, which the codec
 * refuses (see mac.h), are recognised here: *full_auth gets their MAC verdict (the view
 * then holds the header only), MAC_NONE for every other packet. */
static int parse_request(const struct tockd *d, const struct udp_msg *m,
                         struct ntp_packet_view *req, enum mac_result *full_auth, uint32_t *key_id)
{
    *full_auth = MAC_NONE;
    int err = ntp_packet_parse(m->buf, m->len, req);
    if (err != NTP_ERR_EXT_FIELD && err != NTP_ERR_MAC)
        return err;
    enum mac_result r = mac_check_v4_full_digest(d->keys, m->buf, m->len, key_id);
    if (r == MAC_NONE || ntp_packet_parse(m->buf, NTP_HEADER_LEN, req) != NTP_OK)
        return err;
    *full_auth = r;
    return NTP_OK;
}

/* One request, in chronyd's order (inventory 7.1): parse, access check, mode, client log
 * and rate limit, authentication, reply. Every silent drop is counted. */
static void serve_one(struct ntp_server *s, int fd, bool wildcard, struct udp_msg *m)
{
    struct tockd *d = s->d;
    struct server_stats *st = &d->stats;
    struct ntp_packet_view req;
    uint8_t reply[NTP_MAX_PACKET_LEN];
    struct timespec rx, tx;

    if (m->truncated) {
        st->dropped[SERVER_DROP_BAD_LENGTH]++;
        return;
    }
    uint32_t key_id = 0;
    enum mac_result full_auth;
    int err = parse_request(d, m, &req, &full_auth, &key_id);
    if (err != NTP_OK) {
        st->dropped[parse_error_reason(err)]++;
        return;
    }
    if (!acl_allowed(d->ntp_acl, &m->from.ip)) {
        st->dropped[SERVER_DROP_DENIED]++;
        return;
    }
    if (req.h.mode != NTP_MODE_CLIENT) {
        bool control = req.h.mode == NTP_MODE_CONTROL || req.h.mode == NTP_MODE_PRIVATE;
        st->dropped[control ? SERVER_DROP_CONTROL : SERVER_DROP_BAD_MODE]++;
        return;
    }
    if (m->has_rx_ts)
        tockd_cook_kernel(d, &m->rx_ts, &rx);
    else
        tockd_now(d, &rx);

    enum clientlog_verdict verdict =
        clientlog_access(d->clientlog, CLIENTLOG_NTP, &m->from.ip, &rx);
    if (verdict == CLIENTLOG_DROP)
        return; /* counted by the client log */

    enum mac_result auth =
        full_auth != MAC_NONE ? full_auth : mac_check(d->keys, m->buf, &req, &key_id);
    if (auth == MAC_BAD) {
        st->dropped[SERVER_DROP_BAD_AUTH]++;
        return;
    }
    /* NTS (RFC 8915): the cookie is opened and the authenticator checked before the reply
     * is built, so that after the transmit timestamp only one AES-SIV remains. */
    const struct nts_keyring *kr = tockd_nts_keyring(d);
    int nts = NTS_EF_NOT_NTS;
    if (kr) {
        nts = nts_ef_server_check(m->buf, &req, kr, tockd_nts_random, NULL, &s->nts_state);
    } else if (has_nts_fields(&req)) {
        /* No NTS server runs: there is no key to check the request with. */
        st->dropped[SERVER_DROP_BAD_AUTH]++;
        return;
    }
    struct nts_server_counters *nc = tockd_nts_counters(d);
    bool nak = nts == NTS_EF_NAK_COOKIE || nts == NTS_EF_NAK_AUTH;
    if (nts == NTS_EF_DROP || (nak && verdict == CLIENTLOG_KOD)) {
        /* Malformed NTS fields; or a NAK that is also rate limited (chronyd sends nothing). */
        if (nc)
            nts == NTS_EF_DROP ? nc->ntp_malformed++ : nc->ntp_kod_dropped++;
        st->dropped[SERVER_DROP_BAD_AUTH]++;
        return;
    }
    if (auth == MAC_VALID || nts == NTS_EF_OK)
        st->ntp_auth_hits++;

    const struct ratelimit *rl = clientlog_ratelimit(d->clientlog, CLIENTLOG_NTP);
    struct ntp_reply_input in = {
        .request = &req,
        .reference = &d->ref,
        .rx_time = rx,
        .precision = d->precision,
        .ratelimit_enabled = d->conf->ratelimit.enabled,
        .ratelimit_interval = ratelimit_min_poll(rl),
        .kod_rate = verdict == CLIENTLOG_KOD,
        .rx_fuzz = rand_u32(),
    };
    ntp_reply_build(&in, &s->history, reply);
    if (nak) {
        /* NTS NAK: a KoD "NTSN" (LI 3, stratum 0) carrying only the Unique Identifier. */
        reply[0] = (uint8_t)((NTP_LEAP_UNSYNC << 6) | (reply[0] & 0x3f));
        reply[1] = 0;
        wr32(reply + 12, NTP_KISS_NTSN);
    }
    size_t len = NTP_HEADER_LEN;
    /* The transmit timestamp is read as late as possible: right before the MAC or NTS
     * authenticator (which cover it) and the send. */
    tockd_now(d, &tx);
    ntp_reply_stamp_transmit(reply, &tx, d->precision, &s->history, rand_u32_cb, NULL);
    if (auth == MAC_VALID) {
        int form = full_auth != MAC_NONE ? MAC_FORM_FULL_DIGEST : req.h.version;
        len = mac_append(d->keys, key_id, form, reply, len, sizeof(reply));
        if (len == 0 || len > m->len) {
            st->dropped[SERVER_DROP_BAD_AUTH]++;
            return;
        }
    } else if (nts == NTS_EF_OK || nak) {
        int r = nak ? nts_ef_server_nak(m->buf, &req, reply, sizeof(reply), &len)
                    : nts_ef_server_reply(m->buf, &req, &s->nts_state, reply, sizeof(reply), &len);
        if (r != 0 || len > m->len) {
            st->dropped[SERVER_DROP_BAD_AUTH]++;
            return;
        }
        if (nc) {
            if (nts == NTS_EF_OK)
                nc->ntp_ok++;
            else if (nts == NTS_EF_NAK_COOKIE)
                nc->ntp_nak_cookie++;
            else
                nc->ntp_nak_auth++;
        }
    }
    if (udp_send(fd, reply, len, &m->from, wildcard && m->has_local ? &m->local : NULL,
                 m->ifindex) < 0) {
        d->send_errors++;
        return;
    }
    server_stats_count_timestamps(st, m->has_rx_ts ? SERVER_TS_KERNEL : SERVER_TS_DAEMON,
                                  SERVER_TS_DAEMON);
}

static void on_readable(void *ctx, int fd, short revents)
{
    struct ntp_server *s = ctx;
    (void)revents;
    bool wildcard = false;
    for (int i = 0; i < s->n_fds; i++)
        if (s->fds[i] == fd)
            wildcard = s->wildcard[i];
    /* One batch per wake-up keeps other sockets and timers served under load. */
    int n = udp_recv_batch(fd, &s->batch, UDP_BATCH);
    for (int i = 0; i < n; i++)
        serve_one(s, fd, wildcard, &s->batch.msgs[i]);
}

/* Opens one family's socket. Returns the fd, -1 to skip the family (not available here),
 * or -2 for a fatal error. */
static int open_family(const struct tock_config *conf, int family, bool *wildcard)
{
    struct tock_endpoint ep = {.port = (uint16_t)conf->port};
    const struct tock_ip *bind = family == AF_INET ? &conf->bindaddress4 : &conf->bindaddress6;
    char addr[TOCK_IP_STRLEN];

    *wildcard = bind->family == AF_UNSPEC;
    if (*wildcard)
        ep.ip.family = (uint16_t)family; /* all-zero address = wildcard */
    else
        ep.ip = *bind;
    struct udp_open_opts opts = {.rx_timestamps = true, .pktinfo = *wildcard};
    int fd = udp_open(&ep, &opts);
    if (fd >= 0) {
        log_info("serving NTP on %s port %d", tock_ip_format(&ep.ip, addr, sizeof(addr)),
                 conf->port);
        return fd;
    }
    tock_ip_format(&ep.ip, addr, sizeof(addr));
    /* EINVAL: the clock-and-network simulator's answer for the family it does not run
     * (doc/simulation.md: one family at a time; skipped, never fatal). */
    if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL || errno == EPROTONOSUPPORT ||
        errno == EINVAL) {
        log_warn("NTP server socket %s port %d not available (%s); skipped", addr, conf->port,
                 strerror(errno));
        return -1;
    }
    if (errno == EADDRINUSE)
        log_err("cannot serve NTP on %s port %d: the port is already in use by another "
                "process (is another NTP daemon running?)",
                addr, conf->port);
    else
        log_err("cannot serve NTP on %s port %d: %s", addr, conf->port, strerror(errno));
    return -2;
}

int ntp_server_start(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    bool any_allowed =
        acl_any_allowed(d->ntp_acl, AF_INET) || acl_any_allowed(d->ntp_acl, AF_INET6);
    if (conf->port == 0 || !any_allowed) {
        /* Rules that exist but allow nobody (`deny all` after the allows) were warned about
         * with their lines when the configuration was read. */
        log_info("NTP server off (%s)", conf->port == 0 ? "port 0"
                                        : conf->ntp_acl.n_rules == 0
                                            ? "no allow directive"
                                            : "the access rules allow no address");
        return 0;
    }
    struct ntp_server *s = calloc(1, sizeof(*s));
    if (!s) {
        log_err("out of memory");
        return -1;
    }
    s->d = d;
    d->server = s;
    static const int families[] = {AF_INET, AF_INET6};
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        bool wildcard;
        /* As chronyd: a family's socket opens only if its rules allow someone in it. */
        if (!acl_any_allowed(d->ntp_acl, families[i]))
            continue;
        int fd = open_family(conf, families[i], &wildcard);
        if (fd == -2)
            return -1;
        if (fd < 0)
            continue;
        s->fds[s->n_fds] = fd;
        s->wildcard[s->n_fds] = wildcard;
        s->n_fds++;
        if (loop_add_fd(d->loop, fd, POLLIN, on_readable, s) < 0) {
            log_err("event loop full");
            return -1;
        }
    }
    if (s->n_fds == 0) {
        log_err("no NTP server socket could be opened on port %d", conf->port);
        return -1;
    }
    return 0;
}

/* What the server did, in one line at exit: the serverstats totals and tock's own count of
 * what was dropped before the rate limiter (no other report shows those yet). */
static void log_totals(const struct tockd *d)
{
    const struct server_stats *st = &d->stats;
    char reasons[256];
    size_t used = 0;
    reasons[0] = '\0';
    for (int r = 0; r < SERVER_DROP_N && used < sizeof(reasons); r++) {
        int n = snprintf(reasons + used, sizeof(reasons) - used, "%s%s=%llu", r ? " " : "",
                         server_drop_reason_name((enum server_drop_reason)r),
                         (unsigned long long)st->dropped[r]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    log_info("NTP server: %llu received, %llu rate-limited; silently dropped: %s",
             (unsigned long long)st->ntp_hits, (unsigned long long)st->ntp_drops, reasons);
}

void ntp_server_stop(struct tockd *d)
{
    struct ntp_server *s = d->server;
    if (!s)
        return;
    log_totals(d);
    for (int i = 0; i < s->n_fds; i++) {
        loop_remove_fd(d->loop, s->fds[i]);
        close(s->fds[i]);
    }
    free(s);
    d->server = NULL;
}
