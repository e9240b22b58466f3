#include "daemon/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/cmd_socket.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "monitor/cmd_server.h"
#include "monitor/metrics_fmt.h"
#include "serve/acl.h"
#include "serve/clientlog.h"
#include "sync/engine.h"

#define LISTEN_BACKLOG 8
#define HEADER_ROOM    256 /* the 200 header is written in front of the rendered body */

enum conn_state {
    CONN_FREE,
    CONN_READING, /* the request */
    CONN_SENDING, /* the response */
    CONN_DRAINING /* sent and shut down for writing: waiting for the peer to close, so
                     unread request bytes do not turn our close into a reset */
};

struct metrics_conn {
    struct metrics *m;
    enum conn_state state;
    int fd;
    double started; /* monotonic */
    char req[METRICS_MAX_REQUEST];
    size_t req_len;
    char *buf; /* response buffer, buf_cap bytes, allocated at start */
    size_t buf_cap;
    const char *out;
    size_t out_len, out_sent;
};

struct metrics {
    struct tockd *d;
    int listen_fds[2];
    int n_listen;
    struct metrics_conn conns[METRICS_MAX_CONNECTIONS];
    struct metrics_source *sources; /* SYNC_MAX_SOURCES, the view's source entries */
    struct cmd_backend be;
    double start_time; /* Unix time */
    uint64_t scrapes, rejected;
    uint32_t sweep_timer;
};

static void close_conn(struct metrics_conn *c)
{
    if (c->state == CONN_FREE)
        return;
    loop_remove_fd(c->m->d->loop, c->fd);
    close(c->fd);
    c->fd = -1;
    c->state = CONN_FREE;
}

static int open_conns(const struct metrics *m)
{
    int n = 0;
    for (int i = 0; i < METRICS_MAX_CONNECTIONS; i++)
        n += m->conns[i].state != CONN_FREE;
    return n;
}

/* Connections that take longer than METRICS_TIMEOUT are cut (slow or idle peers). */
static void on_sweep(void *ctx)
{
    struct metrics *m = ctx;
    double now = loop_monotonic();
    m->sweep_timer = 0;
    for (int i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        struct metrics_conn *c = &m->conns[i];
        if (c->state != CONN_FREE && now - c->started > METRICS_TIMEOUT) {
            if (c->state != CONN_DRAINING)
                m->rejected++;
            close_conn(c);
        }
    }
    if (open_conns(m) > 0)
        m->sweep_timer = loop_add_timer(m->d->loop, 1.0, on_sweep, m);
}

/* A response buffer big enough for n_sources sources: allocated at start, reallocated only
 * when `reload sources` added sources since. */
static bool ensure_buffer(struct metrics_conn *c, int n_sources)
{
    size_t cap = HEADER_ROOM + metrics_render_bound(n_sources);
    if (c->buf && c->buf_cap >= cap)
        return true;
    char *buf = realloc(c->buf, cap);
    if (!buf)
        return false;
    c->buf = buf;
    c->buf_cap = cap;
    return true;
}

/* Everything the exposition shows, from the command backend (as `tockctl -j`). */
static void collect(struct metrics *m, struct metrics_view *v)
{
    struct tockd *d = m->d;
    const struct cmd_backend *be = &m->be;
    uint32_t n = 0;
    memset(v, 0, sizeof(*v));
    v->version = TOCK_VERSION;
    v->start_time = m->start_time;
    be->tracking(be->ctx, &v->tracking);
    be->activity(be->ctx, &v->activity);
    be->server_stats(be->ctx, &v->server);
    memcpy(v->dropped, d->stats.dropped, sizeof(v->dropped));
    v->send_errors = d->send_errors;
    v->clientlog_active = clientlog_active(d->clientlog);
    v->clientlog_records = clientlog_n_records(d->clientlog);
    v->clientlog_slots = clientlog_n_indices(d->clientlog);
    v->clientlog_max_records = v->clientlog_active ? clientlog_max_records(d->clientlog) : 0;
    v->clientlog_memory_bytes = clientlog_memory_bytes(d->clientlog);
    v->scrapes = m->scrapes;
    v->connections_rejected = m->rejected;
    be->n_sources(be->ctx, &n);
    if (n > SYNC_MAX_SOURCES)
        n = SYNC_MAX_SOURCES;
    for (uint32_t i = 0; i < n; i++) {
        struct metrics_source *s = &m->sources[v->n_sources];
        memset(s, 0, sizeof(*s));
        if (be->source_data(be->ctx, i, &s->data) != CANDM_STT_SUCCESS)
            continue;
        be->sourcestats(be->ctx, i, &s->stats);
        if (be->source_name(be->ctx, &s->data.ip, s->name) != CANDM_STT_SUCCESS)
            s->name[0] = '\0';
        s->has_ntp_data =
            !s->data.ip.is_id && be->ntp_data(be->ctx, &s->data.ip, &s->ntp) == CANDM_STT_SUCCESS;
        v->n_sources++;
    }
    v->sources = m->sources;
}

static void start_sending(struct metrics_conn *c, const char *out, size_t len)
{
    c->out = out;
    c->out_len = len;
    c->out_sent = 0;
    c->state = CONN_SENDING;
    loop_set_events(c->m->d->loop, c->fd, POLLOUT);
}

static void respond(struct metrics_conn *c, enum metrics_http result)
{
    struct metrics *m = c->m;
    if (result != METRICS_HTTP_METRICS) {
        m->rejected++;
        size_t n = metrics_http_error(result, c->buf, c->buf_cap);
        start_sending(c, c->buf, n);
        return;
    }
    struct metrics_view v;
    collect(m, &v);
    char *body = NULL;
    size_t body_len = 0;
    if (ensure_buffer(c, v.n_sources)) {
        body = c->buf + HEADER_ROOM;
        body_len = metrics_render(&v, body, c->buf_cap - HEADER_ROOM);
    }
    char header[HEADER_ROOM];
    size_t hlen = metrics_http_header(body_len, header, sizeof(header));
    if (body_len == 0 || hlen == 0) {
        /* cannot happen with buffers from metrics_render_bound(); say so if it does */
        static const char err[] = "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n"
                                  "Connection: close\r\n\r\n";
        log_warn("metrics: response did not fit its buffer");
        start_sending(c, err, sizeof(err) - 1);
        return;
    }
    memcpy(body - hlen, header, hlen);
    m->scrapes++;
    start_sending(c, body - hlen, hlen + body_len);
}

static void on_conn(void *ctx, int fd, short revents)
{
    struct metrics_conn *c = ctx;
    (void)fd;
    if (c->state == CONN_READING && (revents & (POLLIN | POLLHUP | POLLERR))) {
        ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - c->req_len, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0) {
            c->m->rejected++; /* closed or failed before a whole request */
            close_conn(c);
            return;
        }
        c->req_len += (size_t)n;
        enum metrics_http r = metrics_http_parse(c->req, c->req_len, sizeof(c->req));
        if (r == METRICS_HTTP_INCOMPLETE)
            return;
        respond(c, r);
        revents = POLLOUT; /* the socket is most likely writable now */
    }
    if (c->state == CONN_SENDING && (revents & (POLLOUT | POLLHUP | POLLERR))) {
        while (c->out_sent < c->out_len) {
            ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            if (n <= 0) {
                close_conn(c);
                return;
            }
            c->out_sent += (size_t)n;
        }
        shutdown(c->fd, SHUT_WR);
        c->state = CONN_DRAINING;
        loop_set_events(c->m->d->loop, c->fd, POLLIN);
        return;
    }
    if (c->state == CONN_DRAINING && (revents & (POLLIN | POLLHUP | POLLERR))) {
        char sink[512];
        ssize_t n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0)
            close_conn(c); /* the peer closed: done */
    }
}

static void on_listen(void *ctx, int fd, short revents)
{
    struct metrics *m = ctx;
    struct tockd *d = m->d;
    (void)revents;
    for (int k = 0; k < LISTEN_BACKLOG; k++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        struct tock_endpoint peer;
        int cfd = accept(fd, (struct sockaddr *)&ss, &len);
        if (cfd < 0)
            return;
        struct metrics_conn *c = NULL;
        for (int i = 0; i < METRICS_MAX_CONNECTIONS && !c; i++)
            if (m->conns[i].state == CONN_FREE && m->conns[i].buf)
                c = &m->conns[i];
        bool allowed = tock_endpoint_from_sockaddr((struct sockaddr *)&ss, len, &peer) == 0 &&
                       acl_allowed(d->cmd_acl, &peer.ip);
        int flags = fcntl(cfd, F_GETFL);
        if (!allowed || !c || flags < 0 || fcntl(cfd, F_SETFL, flags | O_NONBLOCK) < 0 ||
            loop_add_fd(d->loop, cfd, POLLIN, on_conn, c) < 0) {
            m->rejected++;
            close(cfd);
            continue;
        }
        c->fd = cfd;
        c->state = CONN_READING;
        c->req_len = 0;
        c->started = loop_monotonic();
        if (!m->sweep_timer)
            m->sweep_timer = loop_add_timer(d->loop, 1.0, on_sweep, m);
    }
}

static int open_listener(struct metrics *m, const struct tock_ip *ip, int port)
{
    struct tock_endpoint ep = {.ip = *ip, .port = (uint16_t)port};
    struct sockaddr_storage ss;
    char addr[TOCK_IP_STRLEN];
    int one = 1, saved;
    socklen_t len = tock_endpoint_to_sockaddr(&ep, &ss);
    tock_ip_format(ip, addr, sizeof(addr));
    int fd = len ? socket(ip->family, SOCK_STREAM, 0) : -1;
    if (fd < 0)
        goto fail;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        (ip->family == AF_INET6 &&
         setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
        bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, LISTEN_BACKLOG) < 0)
        goto fail;
    if (loop_add_fd(m->d->loop, fd, POLLIN, on_listen, m) < 0) {
        errno = EMFILE;
        goto fail;
    }
    m->listen_fds[m->n_listen++] = fd;
    log_info("metrics on http://%s%s%s:%d/metrics", ip->family == AF_INET6 ? "[" : "", addr,
             ip->family == AF_INET6 ? "]" : "", port);
    return 0;
fail:
    saved = errno;
    if (fd >= 0)
        close(fd);
    if (saved == EADDRINUSE) {
        log_err("cannot open the metrics port %s port %d: already in use by another process "
                "(set metricsport to another port)",
                addr, port);
        return -1;
    }
    log_warn("metrics port %s port %d not available (%s); skipped", addr, port, strerror(saved));
    return 0;
}

int tockd_metrics_start(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    if (conf->metricsport <= 0)
        return 0;
    struct metrics *m = calloc(1, sizeof(*m));
    if (!m || !(m->sources = calloc(SYNC_MAX_SOURCES, sizeof(*m->sources)))) {
        free(m);
        log_err("out of memory");
        return -1;
    }
    m->d = d;
    d->metrics = m;
    for (int i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        m->conns[i].m = m;
        m->conns[i].fd = -1;
    }
    tockd_cmd_backend_init(d, &m->be);
    struct timespec now;
    tockd_now(d, &now);
    m->start_time = (double)now.tv_sec + now.tv_nsec * 1e-9;
    for (int i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        if (!ensure_buffer(&m->conns[i], tockd_sources_count(d))) {
            log_err("out of memory");
            return -1;
        }
    }
    const struct tock_ip *binds[2] = {&conf->bindmetricsaddress4, &conf->bindmetricsaddress6};
    for (int i = 0; i < 2; i++) {
        if (binds[i]->family != AF_INET && binds[i]->family != AF_INET6)
            continue;
        if (open_listener(m, binds[i], conf->metricsport) < 0)
            return -1;
    }
    return 0;
}

void tockd_metrics_stop(struct tockd *d)
{
    struct metrics *m = d->metrics;
    if (!m)
        return;
    for (int i = 0; i < METRICS_MAX_CONNECTIONS; i++) {
        close_conn(&m->conns[i]);
        free(m->conns[i].buf);
    }
    for (int i = 0; i < m->n_listen; i++) {
        loop_remove_fd(d->loop, m->listen_fds[i]);
        close(m->listen_fds[i]);
    }
    loop_cancel_timer(d->loop, m->sweep_timer);
    free(m->sources);
    free(m);
    d->metrics = NULL;
}
