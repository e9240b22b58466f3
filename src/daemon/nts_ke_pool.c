#include "daemon/nts_ke_pool.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/nts_server.h"
#include "daemon/ntske_tls.h"
#include "proto/ntske.h"

#define MAX_CERT_PAIRS 16

/* One loaded set of certificates; sessions keep theirs alive across a reload. */
struct cert_gen {
    struct ntske_tls_server *srv;
    int refs; /* sessions using it, plus 1 while it is the pool's current one */
};

struct ke_conn {
    bool used;
    int fd;
    struct ntske_tls_session *s;
    struct cert_gen *gen;
    struct tock_endpoint peer;
    struct nts_server_key key;
    bool answered;   /* the response is queued */
    bool request_ok; /* ... with cookies */
    short events;    /* what the loop watches for this fd */
    struct nts_ke_pool *pool;
};

struct nts_ke_pool {
    struct loop *loop;
    const struct tock_config *conf;
    nts_ke_report_fn report;
    void *report_ctx;
    struct cert_gen *gen;
    int max, active;
    struct ke_conn *conns;
    uint32_t timer;
    double timer_when;
    struct ntske_server_params params;
    uint16_t aeads[4];
    int n_aeads;
};

const char *nts_ke_outcome_name(enum nts_ke_outcome o)
{
    switch (o) {
    case NTS_KE_OK:
        return "cookies sent";
    case NTS_KE_REFUSED:
        return "request refused";
    case NTS_KE_TLS_FAILED:
        return "TLS failed";
    case NTS_KE_BAD_MESSAGE:
        return "bad message";
    case NTS_KE_TIMEOUT:
        return "timed out";
    case NTS_KE_OVERLOAD:
        return "too many connections";
    case NTS_KE_INTERNAL:
        return "internal error";
    case NTS_KE_N_OUTCOMES:
        break;
    }
    return "unknown";
}

struct ntske_tls_server *nts_ke_load_certs(const struct tock_config *conf)
{
    const char *certs[MAX_CERT_PAIRS], *keys[MAX_CERT_PAIRS];
    char err[NTSKE_TLS_ERRLEN];
    int n = conf->n_nts_certkeys < MAX_CERT_PAIRS ? conf->n_nts_certkeys : MAX_CERT_PAIRS;
    if (conf->n_nts_certkeys > MAX_CERT_PAIRS)
        log_warn("only the first %d ntsservercert/ntsserverkey pairs are used", MAX_CERT_PAIRS);
    for (int i = 0; i < n; i++) {
        certs[i] = conf->nts_certkeys[i].cert;
        keys[i] = conf->nts_certkeys[i].key;
        if (!certs[i] || !keys[i]) {
            log_err("ntsservercert and ntsserverkey must come in pairs");
            return NULL;
        }
    }
    struct ntske_tls_server *srv = ntske_tls_server_new(certs, keys, n, err, sizeof(err));
    if (!srv)
        log_err("NTS-KE server: %s", err);
    return srv;
}

static void gen_put(struct cert_gen *g)
{
    if (g && --g->refs == 0) {
        ntske_tls_server_free(g->srv);
        free(g);
    }
}

static struct cert_gen *gen_load(const struct tock_config *conf)
{
    struct cert_gen *g = calloc(1, sizeof(*g));
    if (!g) {
        log_err("out of memory");
        return NULL;
    }
    g->srv = nts_ke_load_certs(conf);
    if (!g->srv) {
        free(g);
        return NULL;
    }
    g->refs = 1;
    return g;
}

static void on_conn_event(void *ctx, int fd, short revents);
static void on_timer(void *ctx);

/* Re-arms the pool's single timer at the earliest session deadline. */
static void schedule_timer(struct nts_ke_pool *p)
{
    double first = 0;
    for (int i = 0; i < p->max; i++) {
        struct ke_conn *c = &p->conns[i];
        if (c->used && (first == 0 || ntske_tls_deadline(c->s) < first))
            first = ntske_tls_deadline(c->s);
    }
    if (p->timer && first != 0 && p->timer_when <= first)
        return; /* fires early enough; on_timer re-arms */
    loop_cancel_timer(p->loop, p->timer);
    p->timer = 0;
    if (first == 0)
        return;
    double delay = first - loop_monotonic();
    p->timer = loop_add_timer(p->loop, delay > 0 ? delay + 0.001 : 0, on_timer, p);
    p->timer_when = first;
}

static void finish(struct ke_conn *c, enum nts_ke_outcome outcome, const char *why)
{
    struct nts_ke_pool *p = c->pool;
    char addr[TOCK_IP_STRLEN];
    if (log_enabled(LOG_DEBUG))
        log_debug("NTS-KE client %s port %u: %s%s%s",
                  tock_ip_format(&c->peer.ip, addr, sizeof(addr)), c->peer.port,
                  nts_ke_outcome_name(outcome), why && *why ? ": " : "", why ? why : "");
    loop_remove_fd(p->loop, c->fd);
    ntske_tls_free(c->s);
    close(c->fd);
    gen_put(c->gen);
    explicit_bzero(&c->key, sizeof(c->key));
    struct tock_endpoint peer = c->peer;
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    p->active--;
    p->report(p->report_ctx, outcome, &peer);
}

static enum nts_ke_outcome failure_outcome(const struct ke_conn *c)
{
    const char *e = ntske_tls_error(c->s);
    if (c->answered) /* the client went away (or stayed) after the response */
        return c->request_ok ? NTS_KE_OK : NTS_KE_REFUSED;
    if (strncmp(e, "timed out", 9) == 0)
        return NTS_KE_TIMEOUT;
    if (strncmp(e, "invalid NTS-KE message", 22) == 0)
        return NTS_KE_BAD_MESSAGE;
    return NTS_KE_TLS_FAILED;
}

static void advance(struct ke_conn *c)
{
    struct nts_ke_pool *p = c->pool;
    int st = ntske_tls_step(c->s, loop_monotonic());
    if (st == NTSKE_TLS_MESSAGE && !c->answered) {
        struct ntske_request req;
        c->answered = true;
        if (ntske_tls_server_respond(c->s, &p->params, p->aeads, p->n_aeads, &c->key,
                                     tockd_nts_random, NULL, &req) != 0) {
            finish(c, NTS_KE_INTERNAL, ntske_tls_error(c->s));
            return;
        }
        c->request_ok = ntske_request_ok(&req);
        st = ntske_tls_step(c->s, loop_monotonic());
    }
    switch (st) {
    case NTSKE_TLS_DONE:
        finish(c, c->request_ok ? NTS_KE_OK : NTS_KE_REFUSED, NULL);
        return;
    case NTSKE_TLS_FAILED:
        finish(c, failure_outcome(c), ntske_tls_error(c->s));
        return;
    case NTSKE_TLS_WANT_WRITE:
        if (c->events != POLLOUT)
            loop_set_events(p->loop, c->fd, c->events = POLLOUT);
        return;
    default:
        if (c->events != POLLIN)
            loop_set_events(p->loop, c->fd, c->events = POLLIN);
        return;
    }
}

static void on_conn_event(void *ctx, int fd, short revents)
{
    (void)fd;
    (void)revents;
    struct ke_conn *c = ctx;
    struct nts_ke_pool *p = c->pool;
    advance(c);
    if (p->active == 0) {
        loop_cancel_timer(p->loop, p->timer);
        p->timer = 0;
    }
}

static void on_timer(void *ctx)
{
    struct nts_ke_pool *p = ctx;
    double now = loop_monotonic();
    p->timer = 0;
    for (int i = 0; i < p->max; i++) {
        struct ke_conn *c = &p->conns[i];
        if (c->used && ntske_tls_deadline(c->s) <= now)
            advance(c); /* the step reports the timeout */
    }
    schedule_timer(p);
}

struct nts_ke_pool *nts_ke_pool_new(struct loop *loop, const struct tock_config *conf,
                                    nts_ke_report_fn report, void *report_ctx)
{
    struct nts_ke_pool *p = calloc(1, sizeof(*p));
    if (!p) {
        log_err("out of memory");
        return NULL;
    }
    p->loop = loop;
    p->conf = conf;
    p->report = report;
    p->report_ctx = report_ctx;
    p->max = conf->maxntsconnections > 0 ? conf->maxntsconnections : 100;
    /* Every session is one descriptor in the event loop, which also holds the process's
     * own sockets. */
    if (p->max > LOOP_MAX_FDS - 16) {
        log_warn("maxntsconnections %d: at most %d NTS-KE sessions per process in this build",
                 p->max, LOOP_MAX_FDS - 16);
        p->max = LOOP_MAX_FDS - 16;
    }
    p->conns = calloc((size_t)p->max, sizeof(*p->conns));
    p->gen = p->conns ? gen_load(conf) : NULL;
    if (!p->gen) {
        free(p->conns);
        free(p);
        return NULL;
    }
    for (int i = 0; i < p->max; i++)
        p->conns[i].fd = -1;
    p->params.ntp_port = (uint16_t)conf->port;
    p->params.ntp_server = conf->ntsntpserver;
    tockd_nts_aeads(conf, p->aeads, &p->n_aeads);
    return p;
}

void nts_ke_pool_free(struct nts_ke_pool *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->max; i++) {
        struct ke_conn *c = &p->conns[i];
        if (!c->used)
            continue;
        loop_remove_fd(p->loop, c->fd);
        ntske_tls_free(c->s);
        close(c->fd);
        gen_put(c->gen);
    }
    loop_cancel_timer(p->loop, p->timer);
    gen_put(p->gen);
    explicit_bzero(p->conns, (size_t)p->max * sizeof(*p->conns));
    free(p->conns);
    free(p);
}

bool nts_ke_pool_full(const struct nts_ke_pool *p)
{
    return p->active >= p->max;
}

int nts_ke_pool_active(const struct nts_ke_pool *p)
{
    return p->active;
}

void nts_ke_pool_add(struct nts_ke_pool *p, int fd, const struct tock_endpoint *peer,
                     const struct nts_server_key *key)
{
    struct ke_conn *c = NULL;
    for (int i = 0; i < p->max && !c; i++)
        if (!p->conns[i].used)
            c = &p->conns[i];
    if (!c) {
        close(fd);
        p->report(p->report_ctx, NTS_KE_OVERLOAD, peer);
        return;
    }
    memset(c, 0, sizeof(*c));
    c->pool = p;
    c->fd = fd;
    c->peer = *peer;
    c->key = *key;
    c->gen = p->gen;
    c->s = ntske_tls_accept(p->gen->srv, fd, loop_monotonic(), NTSKE_TLS_SERVER_TIMEOUT);
    c->events = POLLIN;
    if (!c->s || loop_add_fd(p->loop, fd, POLLIN, on_conn_event, c) < 0) {
        ntske_tls_free(c->s);
        close(fd);
        explicit_bzero(c, sizeof(*c));
        c->fd = -1;
        p->report(p->report_ctx, NTS_KE_INTERNAL, peer);
        return;
    }
    c->used = true;
    c->gen->refs++;
    p->active++;
    schedule_timer(p);
    /* The handshake starts when poll() reports the client's hello (never a recv() on a
     * socket poll did not report: simulator rule 4). */
}

int nts_ke_pool_reload(struct nts_ke_pool *p)
{
    struct cert_gen *g = gen_load(p->conf);
    if (!g)
        return -1;
    gen_put(p->gen);
    p->gen = g;
    return 0;
}
