#include "daemon/ntp_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/rand.h"
#include "daemon/udp.h"
#include "proto/ntp_packet.h"
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
    struct ntp_server_counters counters;
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

/* Classifies a parse failure into its counter. */
static void count_parse_error(struct ntp_server_counters *c, int err)
{
    switch (err) {
    case NTP_ERR_SHORT:
        c->drop_short++;
        break;
    case NTP_ERR_ALIGN:
        c->drop_align++;
        break;
    case NTP_ERR_LONG:
        c->drop_long++;
        break;
    case NTP_ERR_VERSION:
        c->drop_version++;
        break;
    default:
        c->drop_ext_field++;
        break;
    }
}

static void serve_one(struct ntp_server *s, int fd, bool wildcard, struct udp_msg *m)
{
    struct tockd *d = s->d;
    struct ntp_server_counters *c = &s->counters;
    struct ntp_packet_view req;
    uint8_t reply[NTP_HEADER_LEN];
    struct timespec rx, tx;

    c->received++;
    if (m->truncated) {
        c->drop_long++;
        return;
    }
    int err = ntp_packet_parse(m->buf, m->len, &req);
    if (err != NTP_OK) {
        count_parse_error(c, err);
        return;
    }
    if (req.h.mode != NTP_MODE_CLIENT) {
        c->drop_mode++;
        if (req.h.mode == NTP_MODE_CONTROL || req.h.mode == NTP_MODE_PRIVATE)
            c->drop_control++;
        return;
    }
    if (req.auth != NTP_AUTH_NONE) {
        /* A MAC needs a key table (keyfile); a crypto-NAK is never answered. */
        c->drop_auth++;
        return;
    }
    if (has_nts_fields(&req)) {
        c->drop_nts++;
        return;
    }

    if (m->has_rx_ts)
        d->clock->cook(d->clock, &m->rx_ts, &rx);
    else
        clock_now(d->clock, &rx);
    struct ntp_reply_input in = {
        .request = &req,
        .reference = tockd_reference(d, &rx),
        .rx_time = rx,
        .precision = d->precision,
        .rx_fuzz = rand_u32(),
    };
    ntp_reply_build(&in, &s->history, reply);
    /* The transmit timestamp is read as late as possible, right before the send. */
    clock_now(d->clock, &tx);
    ntp_reply_stamp_transmit(reply, &tx, d->precision, &s->history, rand_u32_cb, NULL);
    if (udp_send(fd, reply, sizeof(reply), &m->from, wildcard && m->has_local ? &m->local : NULL,
                 m->ifindex) < 0) {
        c->send_errors++;
        return;
    }
    c->replied++;
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

static bool acl_has_allow(const struct conf_acl *acl)
{
    for (int i = 0; i < acl->n_rules; i++)
        if (acl->rules[i].allow)
            return true;
    return false;
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
    if (errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL || errno == EPROTONOSUPPORT) {
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
    if (conf->port == 0 || !acl_has_allow(&conf->ntp_acl)) {
        log_info("NTP server off (%s)", conf->port == 0 ? "port 0" : "no allow directive");
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

void ntp_server_stop(struct tockd *d)
{
    struct ntp_server *s = d->server;
    if (!s)
        return;
    for (int i = 0; i < s->n_fds; i++) {
        loop_remove_fd(d->loop, s->fds[i]);
        close(s->fds[i]);
    }
    free(s);
    d->server = NULL;
}

const struct ntp_server_counters *ntp_server_counters(const struct tockd *d)
{
    static const struct ntp_server_counters none;
    return d->server ? &d->server->counters : &none;
}
