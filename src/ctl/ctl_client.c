/* tockctl's socket layer. Thin on purpose: it moves request and reply bytes and applies
 * chronyc's retry and reply-validation rules; everything else is in ctl_cmd.c. */
#include "ctl/ctl_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define MAX_ADDRESSES 32

struct address {
    bool is_unix;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct sockaddr_storage sa;
    socklen_t sa_len;
};

struct ctl_client {
    struct address addrs[MAX_ADDRESSES];
    size_t n_addrs;
    size_t current;
    int fd;
    char own_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* our bound Unix socket */
    int family;
    int initial_timeout_ms;
    int max_retries;
};

static volatile int quit_flag;

static void on_signal(int sig)
{
    (void)sig;
    quit_flag = 1;
}

volatile int *ctl_client_install_signals(void)
{
    struct sigaction sa;
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a pending poll() must return EINTR so the request gives up. */
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    return &quit_flag;
}

static void add_ip_addresses(struct ctl_client *c, const char *host, uint16_t port)
{
    struct addrinfo hints, *res = NULL;
    char service[8];

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = c->family;
    hints.ai_socktype = SOCK_DGRAM;
    /* Numeric forms first and without DNS; names through the resolver. */
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%u", (unsigned)port);
    if (getaddrinfo(host, service, &hints, &res) != 0) {
        hints.ai_flags = AI_NUMERICSERV;
        res = NULL;
        if (getaddrinfo(host, service, &hints, &res) != 0)
            return;
    }
    for (struct addrinfo *ai = res; ai && c->n_addrs < MAX_ADDRESSES; ai = ai->ai_next) {
        struct address *a = &c->addrs[c->n_addrs];
        if (ai->ai_addrlen > sizeof(a->sa))
            continue;
        memset(a, 0, sizeof(*a));
        memcpy(&a->sa, ai->ai_addr, ai->ai_addrlen);
        a->sa_len = ai->ai_addrlen;
        c->n_addrs++;
    }
    freeaddrinfo(res);
}

struct ctl_client *ctl_client_new(const struct ctl_client_config *cfg)
{
    struct ctl_client *c = calloc(1, sizeof(*c));
    char *list, *saveptr = NULL;

    if (!c)
        return NULL;
    c->fd = -1;
    c->family = cfg->family;
    c->initial_timeout_ms = cfg->initial_timeout_ms > 0 ? cfg->initial_timeout_ms : 1000;
    c->max_retries = cfg->max_retries >= 0 ? cfg->max_retries : 2;
    list = strdup(cfg->hosts ? cfg->hosts : CTL_DEFAULT_HOSTS);
    if (!list) {
        free(c);
        return NULL;
    }
    for (char *h = strtok_r(list, ",", &saveptr); h && c->n_addrs < MAX_ADDRESSES;
         h = strtok_r(NULL, ",", &saveptr)) {
        if (h[0] == '/') {
            struct address *a = &c->addrs[c->n_addrs];
            memset(a, 0, sizeof(*a));
            if (strlen(h) >= sizeof(a->path))
                continue;
            a->is_unix = true;
            strcpy(a->path, h);
            c->n_addrs++;
        } else if (h[0]) {
            add_ip_addresses(c, h, cfg->port ? cfg->port : CANDM_DEFAULT_PORT);
        }
    }
    free(list);
    return c;
}

static void close_socket(struct ctl_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->own_path[0]) {
        unlink(c->own_path);
        c->own_path[0] = '\0';
    }
}

void ctl_client_free(struct ctl_client *c)
{
    if (!c)
        return;
    close_socket(c);
    free(c);
}

static int open_unix(struct ctl_client *c, const struct address *a)
{
    struct sockaddr_un server, own;
    const char *slash;
    int fd;

    memset(&server, 0, sizeof(server));
    server.sun_family = AF_UNIX;
    memcpy(server.sun_path, a->path, strlen(a->path) + 1);

    /* Bind next to the daemon's socket: its directory is where access is controlled. */
    slash = strrchr(a->path, '/');
    memset(&own, 0, sizeof(own));
    own.sun_family = AF_UNIX;
    int n = snprintf(own.sun_path, sizeof(own.sun_path), "%.*s/tockctl.%d.sock",
                     (int)(slash - a->path), a->path, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof(own.sun_path))
        return -1;

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    /* Only use the path if the daemon's socket is there and we may talk to it. */
    if (connect(fd, (struct sockaddr *)&server, sizeof(server)) < 0) {
        close(fd);
        return -1;
    }
    close(fd);

    fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    unlink(own.sun_path); /* a stale socket of a crashed tockctl with our pid */
    if (bind(fd, (struct sockaddr *)&own, sizeof(own)) < 0) {
        close(fd);
        return -1;
    }
    strcpy(c->own_path, own.sun_path);
    /* A daemon running as another user must be able to send us the reply. */
    if (chmod(own.sun_path, 0666) < 0 ||
        connect(fd, (struct sockaddr *)&server, sizeof(server)) < 0) {
        close(fd);
        unlink(c->own_path);
        c->own_path[0] = '\0';
        return -1;
    }
    return fd;
}

static int open_ip(const struct address *a)
{
    int fd = socket(a->sa.ss_family, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (const struct sockaddr *)&a->sa, a->sa_len) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* chronyc's open_io(): move to the next address that can be opened. */
static bool open_next(struct ctl_client *c)
{
    if (c->fd >= 0) {
        close_socket(c);
        c->current++;
    }
    for (; c->current < c->n_addrs; c->current++) {
        const struct address *a = &c->addrs[c->current];
        c->fd = a->is_unix ? open_unix(c, a) : open_ip(a);
        if (c->fd >= 0)
            return true;
    }
    c->current = 0; /* start again from the first next time */
    return false;
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One request on the current socket with chronyc's retries: 0 and a decoded reply, or -1
 * when every attempt went unanswered. */
static int submit(struct ctl_client *c, struct candm_request *req, struct candm_reply *rep)
{
    uint8_t out[CANDM_MAX_REQUEST_LEN], in[CANDM_MAX_REPLY_LEN + 64];

    if (c->fd < 0)
        return -1;
    for (int attempt = 0; attempt <= c->max_retries; attempt++) {
        uint32_t seq;
        if (getrandom(&seq, sizeof(seq), 0) != sizeof(seq))
            return -1;
        req->version = CANDM_PROTO_VERSION;
        req->attempt = (uint16_t)attempt;
        req->sequence = seq;
        size_t len = candm_encode_request(req, out, sizeof(out));
        if (len == 0)
            return -1;
        if (send(c->fd, out, len, 0) < 0)
            return -1; /* the daemon's socket is gone: try the next address */

        double deadline = now_mono() + c->initial_timeout_ms / 1000.0 * (1 << attempt);
        for (;;) {
            double left = deadline - now_mono();
            if (quit_flag)
                return -1;
            if (left <= 0)
                break;
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int r = poll(&pfd, 1, (int)(left * 1000.0) + 1);
            if (r < 0) {
                if (errno == EINTR)
                    continue; /* quit_flag is checked at the top */
                return -1;
            }
            if (r == 0)
                break;
            ssize_t got = recv(c->fd, in, sizeof(in), 0);
            if (got < 0)
                break; /* e.g. ICMP port unreachable: next attempt at once */
            enum candm_reply_check chk =
                candm_check_reply(in, (size_t)got, req->command, req->sequence);
            if (chk == CANDM_REPLY_IGNORE)
                continue; /* not ours: keep waiting */
            if (chk == CANDM_REPLY_SHORT)
                break;
            if (candm_decode_reply(in, (size_t)got, rep) != 0)
                continue;
            return 0;
        }
    }
    return -1;
}

int ctl_client_transact(void *client, struct candm_request *req, struct candm_reply *rep)
{
    struct ctl_client *c = client;

    /* chronyc's request_reply(): on silence try the following addresses. */
    for (;;) {
        if (quit_flag)
            return -1;
        if (submit(c, req, rep) == 0)
            return 0;
        if (quit_flag || !open_next(c))
            return -1;
    }
}

static socklen_t to_sockaddr(const struct candm_ip *ip, struct sockaddr_storage *ss)
{
    struct tock_endpoint ep;
    memset(&ep, 0, sizeof(ep));
    ep.ip = ip->ip;
    return tock_endpoint_to_sockaddr(&ep, ss);
}

bool ctl_client_reverse(void *client, const struct candm_ip *ip, char *buf, size_t len)
{
    struct sockaddr_storage ss;
    char host[NI_MAXHOST];
    (void)client;

    if (ip->is_id)
        return false;
    socklen_t sl = to_sockaddr(ip, &ss);
    if (sl == 0 ||
        getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), NULL, 0, NI_NAMEREQD) != 0)
        return false;
    return snprintf(buf, len, "%s", host) < (int)len;
}

int ctl_client_resolve(void *client, const char *name, struct candm_ip *out)
{
    struct ctl_client *c = client;
    struct addrinfo hints, *res = NULL;
    struct tock_endpoint ep;
    int rc = -1;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = c ? c->family : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (tock_endpoint_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &ep) == 0) {
            memset(out, 0, sizeof(*out));
            out->ip = tock_ip_unmap(&ep.ip);
            rc = 0;
            break;
        }
    }
    freeaddrinfo(res);
    return rc;
}
