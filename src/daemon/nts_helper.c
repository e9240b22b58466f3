/* An NTS-KE helper process (ntsprocesses N): TLS 1.3 sessions for connections the main
 * process accepted and passed over the shared socketpair with SCM_RIGHTS, cookies sealed
 * with the key that came with each connection. It never touches the clock or the key ring,
 * and it exits when the main process goes away. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/harden.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/nts_server.h"

struct helper_state {
    const struct nts_helper_args *a;
    struct loop *loop;
    struct nts_ke_pool *pool;
    bool conn_paused;
    uint32_t counts[NTS_KE_N_OUTCOMES]; /* not reported yet */
    uint32_t report_timer;
};

static void send_ctl(struct helper_state *hs, uint32_t type, uint32_t status)
{
    struct nts_helper_ctl_msg m;
    memset(&m, 0, sizeof(m));
    m.magic = NTS_HELPER_MAGIC;
    m.type = type;
    m.status = status;
    if (type == NTS_HELPER_REPORT)
        memcpy(m.counts, hs->counts, sizeof(m.counts));
    /* Best effort: a full queue loses counts, never blocks the helper. */
    send(hs->a->ctl_fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void flush_report(void *ctx)
{
    struct helper_state *hs = ctx;
    hs->report_timer = 0;
    send_ctl(hs, NTS_HELPER_REPORT, 0);
    memset(hs->counts, 0, sizeof(hs->counts));
}

static void update_conn_events(struct helper_state *hs)
{
    /* A full helper stops taking connections, so that another one picks them up. */
    bool pause = nts_ke_pool_full(hs->pool);
    if (pause != hs->conn_paused) {
        loop_set_events(hs->loop, hs->a->conn_fd, pause ? 0 : POLLIN);
        hs->conn_paused = pause;
    }
}

static void on_outcome(void *ctx, enum nts_ke_outcome outcome, const struct tock_endpoint *peer)
{
    struct helper_state *hs = ctx;
    (void)peer;
    hs->counts[outcome]++;
    if (!hs->report_timer)
        hs->report_timer = loop_add_timer(hs->loop, NTS_HELPER_REPORT_INTERVAL, flush_report, hs);
    /* Called from inside the pool; the pool has already released the slot. */
    if (hs->conn_paused && !nts_ke_pool_full(hs->pool)) {
        loop_set_events(hs->loop, hs->a->conn_fd, POLLIN);
        hs->conn_paused = false;
    }
}

/* Receives one connection. Returns 1 when one was taken, 0 when none was waiting, -1 when
 * the main process is gone. */
static int take_connection(struct helper_state *hs)
{
    struct nts_helper_conn_msg m;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } cbuf;
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf.buf,
                        .msg_controllen = sizeof(cbuf.buf)};
    ssize_t n = recvmsg(hs->a->conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
    if (n == 0)
        return -1;
    /* Every descriptor that came along is ours to close, whatever the message says. */
    int fds[4], n_fds = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k && n_fds < 4; i++)
            memcpy(&fds[n_fds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    struct nts_server_key key;
    bool ok = n == (ssize_t)sizeof(m) && m.magic == NTS_HELPER_MAGIC && n_fds == 1 &&
              !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
              nts_server_key_set(&key, m.key_id, m.aead, m.key, m.key_len) == 0;
    explicit_bzero(m.key, sizeof(m.key));
    if (!ok) {
        for (int i = 0; i < n_fds; i++)
            close(fds[i]);
        log_warn("invalid message from the main process ignored");
        return 1;
    }
    nts_ke_pool_add(hs->pool, fds[0], &m.peer, &key);
    explicit_bzero(&key, sizeof(key));
    return 1;
}

static void on_conn(void *ctx, int fd, short revents)
{
    struct helper_state *hs = ctx;
    (void)fd;
    (void)revents;
    for (int k = 0; k < 8 && !nts_ke_pool_full(hs->pool); k++) {
        int r = take_connection(hs);
        if (r < 0) {
            loop_request_exit();
            return;
        }
        if (r == 0)
            break;
    }
    update_conn_events(hs);
}

static void on_ctl(void *ctx, int fd, short revents)
{
    struct helper_state *hs = ctx;
    struct nts_helper_ctl_msg m;
    (void)revents;
    ssize_t n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        loop_request_exit(); /* the main process is gone */
        return;
    }
    if (n == (ssize_t)sizeof(m) && m.magic == NTS_HELPER_MAGIC && m.type == NTS_HELPER_RELOAD)
        send_ctl(hs, NTS_HELPER_RELOAD, nts_ke_pool_reload(hs->pool) == 0 ? 0 : 1);
}

void nts_helper_main(const struct nts_helper_args *a)
{
    char prefix[16];
    struct helper_state hs = {.a = a};
    snprintf(prefix, sizeof(prefix), "nks#%d: ", a->index);
    log_set_prefix(prefix);

    hs.loop = loop_new();
    /* Certificates, keys and OpenSSL's state are loaded before anything else, while the
     * process still has the privileges it was forked with. */
    hs.pool = hs.loop ? nts_ke_pool_new(hs.loop, a->conf, on_outcome, &hs) : NULL;
    if (!hs.pool)
        _exit(1);
    /* No capability, the daemon's user, and the NTS-KE filter: a compromised TLS session
     * can neither touch the clock nor open sockets. The certificates are loaded already. */
    if (a->harden)
        harden_enter_helper(a->harden, SANDBOX_NTSKE);
    if (loop_add_fd(hs.loop, a->conn_fd, POLLIN, on_conn, &hs) < 0 ||
        loop_add_fd(hs.loop, a->ctl_fd, POLLIN, on_ctl, &hs) < 0)
        _exit(1);
    log_debug("NTS-KE helper ready (pid %d)", (int)getpid());
    loop_run(hs.loop, NULL, NULL);
    nts_ke_pool_free(hs.pool);
    flush_report(&hs);
    loop_free(hs.loop);
    _exit(0);
}
