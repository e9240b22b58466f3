#include "daemon/resolver.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/child.h"
#include "daemon/log.h"
#include "daemon/loop.h"

#define MAX_PENDING 64

/* Messages over the SEQPACKET socketpair, fixed size, one per datagram. */
struct resolve_request {
    uint32_t seq;
    int32_t family;
    char name[RESOLVER_MAX_NAME + 1];
};

struct resolve_reply {
    uint32_t seq;
    int32_t n;
    struct tock_ip addrs[RESOLVER_MAX_ADDRS];
};

struct pending {
    uint32_t seq;
    resolver_cb cb;
    void *ctx;
    char name[RESOLVER_MAX_NAME + 1];
};

struct resolver {
    struct loop *loop;
    bool helper;
    int fd;
    pid_t pid;
    uint32_t next_seq;
    struct pending pending[MAX_PENDING];
    int n_pending;
};

static int lookup_now(const char *name, int family, struct tock_ip *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(name, NULL, &hints, &res) != 0)
        return 0;
    int n = 0;
    for (struct addrinfo *ai = res; ai && n < RESOLVER_MAX_ADDRS; ai = ai->ai_next) {
        struct tock_endpoint ep;
        if (tock_endpoint_from_sockaddr(ai->ai_addr, ai->ai_addrlen, &ep) < 0)
            continue;
        bool dup = false;
        for (int i = 0; i < n; i++)
            dup = dup || tock_ip_equal(&out[i], &ep.ip);
        if (!dup)
            out[n++] = ep.ip;
    }
    freeaddrinfo(res);
    return n;
}

/* The helper process: answers requests until the main process goes away. */
static void helper_main(int fd, resolver_setup_cb setup, void *setup_ctx)
{
    struct resolve_request req;
    struct resolve_reply rep;
    struct tock_ip warm[RESOLVER_MAX_ADDRS];
    log_set_prefix("resolver: ");
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    /* One lookup before the sandbox: glibc reads nsswitch.conf and gai.conf and loads its
     * NSS modules now, while every file is still readable and before the filter. */
    (void)lookup_now("localhost", 0, warm);
    if (setup)
        setup(setup_ctx);
    for (;;) {
        ssize_t n = recv(fd, &req, sizeof(req), 0);
        if (n == 0)
            _exit(0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            _exit(1);
        }
        if ((size_t)n != sizeof(req))
            continue;
        req.name[RESOLVER_MAX_NAME] = '\0';
        memset(&rep, 0, sizeof(rep));
        rep.seq = req.seq;
        rep.n = lookup_now(req.name, req.family, rep.addrs);
        if (send(fd, &rep, sizeof(rep), 0) < 0 && errno != EINTR)
            _exit(1);
    }
}

static void on_reply(void *ctx, int fd, short revents)
{
    struct resolver *r = ctx;
    struct resolve_reply rep;
    (void)revents;
    ssize_t n = recv(fd, &rep, sizeof(rep), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        log_err("the resolver helper process stopped; names will not be resolved");
        loop_remove_fd(r->loop, fd);
        return;
    }
    if (n != (ssize_t)sizeof(rep))
        return;
    for (int i = 0; i < r->n_pending; i++) {
        if (r->pending[i].seq != rep.seq)
            continue;
        struct pending p = r->pending[i];
        r->pending[i] = r->pending[--r->n_pending];
        int count = rep.n < 0 ? 0 : rep.n > RESOLVER_MAX_ADDRS ? RESOLVER_MAX_ADDRS : rep.n;
        p.cb(p.ctx, p.name, count, rep.addrs);
        return;
    }
}

struct resolver *resolver_new(struct loop *loop, bool use_helper, resolver_setup_cb setup,
                              void *setup_ctx)
{
    struct resolver *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->loop = loop;
    r->fd = -1;
    r->next_seq = 1;
    if (!use_helper)
        return r;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        log_err("resolver: socketpair: %s", strerror(errno));
        free(r);
        return NULL;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_err("resolver: fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        free(r);
        return NULL;
    }
    if (pid == 0) {
        close(sv[0]);
        child_after_fork(sv[1], -1);
        helper_main(sv[1], setup, setup_ctx);
        _exit(0);
    }
    close(sv[1]);
    r->helper = true;
    r->fd = sv[0];
    r->pid = pid;
    if (loop_add_fd(loop, r->fd, POLLIN, on_reply, r) < 0) {
        resolver_free(r);
        return NULL;
    }
    return r;
}

int resolver_lookup(struct resolver *r, const char *name, int family, resolver_cb cb, void *ctx)
{
    if (strlen(name) > RESOLVER_MAX_NAME) {
        cb(ctx, name, 0, NULL);
        return 0;
    }
    if (!r->helper) {
        struct tock_ip addrs[RESOLVER_MAX_ADDRS];
        int n = lookup_now(name, family, addrs);
        cb(ctx, name, n, addrs);
        return 0;
    }
    if (r->n_pending >= MAX_PENDING)
        return -1;
    struct resolve_request req;
    memset(&req, 0, sizeof(req));
    req.seq = r->next_seq++;
    req.family = family;
    strcpy(req.name, name);
    if (send(r->fd, &req, sizeof(req), MSG_DONTWAIT) < 0)
        return -1;
    struct pending *p = &r->pending[r->n_pending++];
    p->seq = req.seq;
    p->cb = cb;
    p->ctx = ctx;
    strcpy(p->name, name);
    return 0;
}

void resolver_cancel(struct resolver *r, void *ctx)
{
    for (int i = 0; i < r->n_pending;)
        if (r->pending[i].ctx == ctx)
            r->pending[i] = r->pending[--r->n_pending];
        else
            i++;
}

int resolver_helper_pid(const struct resolver *r)
{
    return r ? (int)r->pid : 0;
}

void resolver_free(struct resolver *r)
{
    if (!r)
        return;
    if (r->fd >= 0) {
        loop_remove_fd(r->loop, r->fd);
        close(r->fd);
    }
    if (r->pid > 0) {
        kill(r->pid, SIGTERM);
        waitpid(r->pid, NULL, 0);
    }
    free(r);
}
