/* The NTS server in the main process: key ring, NTS-KE listener and helper processes (see
 * nts_server.h). */
#include "daemon/nts_server.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/config.h"
#include "daemon/daemon.h"
#include "daemon/child.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/ntske_tls.h"
#include "daemon/rand.h"
#include "serve/acl.h"
#include "serve/clientlog.h"

#define MAX_LISTEN 2
/* One accept() per wake-up: the listening socket stays readable while connections wait,
 * and the clock-and-network simulator wants every call on a socket poll reported ready. */
#define ACCEPTS_PER_WAKEUP    1
#define KEYFILE_NAME          "ntskeys"
#define KEYFILE_MAX           4096
#define HELPER_MAX_RESTARTS   5 /* in HELPER_RESTART_WINDOW seconds, then given up */
#define HELPER_RESTART_WINDOW 60.0

struct helper {
    struct nts_server *ns;
    int index; /* 1..N */
    pid_t pid;
    int ctl_fd; /* main end of the private socketpair; -1 when not running */
    double restarts_since;
    int restarts;
};

struct nts_server {
    struct tockd *d;
    struct nts_keyring kr;
    char *keyfile; /* NULL without ntsdumpdir */
    uint32_t rotate_timer;
    int listen_fds[MAX_LISTEN];
    int n_listen;
    struct nts_ke_pool *pool; /* ntsprocesses 0 */
    int n_helpers;
    struct helper *helpers;
    int conn_fd;         /* main end of the shared connection socketpair */
    uint64_t dispatched; /* connections handed to the helpers ... */
    uint64_t reported;   /* ... and those whose end they reported */
    int helper_conn_fd;  /* helpers' end, kept to fork replacements */
    struct nts_server_counters counters;
};

int tockd_nts_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    rand_bytes(buf, len);
    return 0;
}

/* The helpers (and reloads) read the certificate and key files after the privilege drop:
 * warn now, with the fix, when `user` could not read one of them. */
static void check_cert_access(const struct tock_config *conf)
{
    const char *user = conf->user;
    struct passwd *pw = user ? getpwnam(user) : NULL;
    if (!pw || pw->pw_uid == 0)
        return;
    for (int i = 0; i < conf->n_nts_certkeys; i++) {
        const char *files[2] = {conf->nts_certkeys[i].cert, conf->nts_certkeys[i].key};
        for (int k = 0; k < 2; k++) {
            struct stat st;
            if (!files[k] || stat(files[k], &st) != 0)
                continue;
            bool readable = (st.st_uid == pw->pw_uid && (st.st_mode & S_IRUSR)) ||
                            (st.st_gid == pw->pw_gid && (st.st_mode & S_IRGRP)) ||
                            (st.st_mode & S_IROTH);
            if (!readable)
                log_warn("%s is not readable by user %s, who reloads it after the privilege "
                         "drop (fix: chgrp %u %s && chmod g+r %s)",
                         files[k], user, (unsigned)pw->pw_gid, files[k], files[k]);
        }
    }
}

/* Warns once when ntsaeads names nothing this build implements. */
static void check_aeads(const struct tock_config *conf)
{
    uint16_t a[4];
    int n;
    bool listed = false;
    tockd_nts_aeads(conf, a, &n);
    for (int i = 0; i < conf->n_ntsaeads; i++)
        listed |= conf->ntsaeads[i] == NTS_AEAD_AES_SIV_CMAC_256;
    if (conf->n_ntsaeads > 0 && !listed)
        log_warn("ntsaeads: this build implements only AEAD 15 (AES-SIV-CMAC-256); using it");
}

void tockd_nts_aeads(const struct tock_config *conf, uint16_t out[4], int *n)
{
    *n = 0;
    for (int i = 0; i < conf->n_ntsaeads && i < 4; i++)
        if (conf->ntsaeads[i] == NTS_AEAD_AES_SIV_CMAC_256)
            out[(*n)++] = NTS_AEAD_AES_SIV_CMAC_256;
    if (*n == 0)
        out[(*n)++] = NTS_AEAD_AES_SIV_CMAC_256;
}

/* ---- key file ---- */

static int load_keys(struct nts_server *ns, bool quiet_missing)
{
    char text[KEYFILE_MAX];
    const char *err = NULL;
    int fd = open(ns->keyfile, O_RDONLY);
    if (fd < 0) {
        if (errno != ENOENT || !quiet_missing)
            log_warn("cannot read NTS server keys %s: %s", ns->keyfile, strerror(errno));
        return -1;
    }
    ssize_t n = read(fd, text, sizeof(text));
    close(fd);
    if (n < 0 || n == (ssize_t)sizeof(text)) {
        log_warn("cannot read NTS server keys %s: %s", ns->keyfile,
                 n < 0 ? strerror(errno) : "file too long");
        return -1;
    }
    int rc = nts_keyring_parse(&ns->kr, text, (size_t)n, loop_monotonic(), &err);
    explicit_bzero(text, sizeof(text));
    if (rc != 0) {
        log_warn("NTS server keys %s not loaded: %s", ns->keyfile, err);
        return -1;
    }
    log_info("loaded NTS server keys from %s", ns->keyfile);
    return 0;
}

/* Writes the key file atomically (a 0600 temporary file, fsync, rename). */
static int save_keys(struct nts_server *ns)
{
    char text[NTS_KEYRING_TEXT_MAX], tmp[4200];
    if (!ns->keyfile || !nts_keyring_saves(&ns->kr))
        return 0;
    int len = nts_keyring_format(&ns->kr, loop_monotonic(), NTS_KEYFILE_NKS1, text, sizeof(text));
    if (len < 0 || snprintf(tmp, sizeof(tmp), "%s.tmp", ns->keyfile) >= (int)sizeof(tmp))
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = -1;
    if (fd >= 0) {
        fchmod(fd, 0600); /* an old file with other permissions keeps them otherwise */
        if (write(fd, text, (size_t)len) == len && fsync(fd) == 0)
            rc = 0;
        close(fd);
    }
    explicit_bzero(text, sizeof(text));
    if (rc == 0 && rename(tmp, ns->keyfile) != 0)
        rc = -1;
    if (rc != 0) {
        log_warn("cannot save NTS server keys to %s: %s", ns->keyfile, strerror(errno));
        unlink(tmp);
    }
    return rc;
}

static void on_rotate(void *ctx);

static void schedule_rotation(struct nts_server *ns)
{
    loop_cancel_timer(ns->d->loop, ns->rotate_timer);
    ns->rotate_timer = 0;
    double next = nts_keyring_next_rotation(&ns->kr);
    if (next < 0)
        return;
    double delay = next - loop_monotonic();
    ns->rotate_timer = loop_add_timer(ns->d->loop, delay > 0 ? delay + 0.01 : 0, on_rotate, ns);
}

static void on_rotate(void *ctx)
{
    struct nts_server *ns = ctx;
    ns->rotate_timer = 0;
    int r = nts_keyring_update(&ns->kr, loop_monotonic());
    if (r == 1) {
        log_info("NTS server keys rotated (new key id %08x)", nts_keyring_current(&ns->kr)->id);
        save_keys(ns);
    } else if (r < 0) {
        log_err("NTS server keys not rotated: no random numbers");
    }
    schedule_rotation(ns);
}

static int init_keys(struct nts_server *ns)
{
    const struct tock_config *conf = ns->d->conf;
    if (nts_keyring_init(&ns->kr, conf->ntsrotate, loop_monotonic(), tockd_nts_random, NULL) != 0) {
        log_err("cannot generate NTS server keys");
        return -1;
    }
    if (!conf->ntsdumpdir) {
        if (conf->ntsrotate == 0)
            log_warn("ntsrotate 0 without ntsdumpdir: NTS server keys are random and not shared");
        else
            log_warn("No ntsdumpdir to save server keys: NTS cookies will not survive a restart");
        return 0;
    }
    size_t n = strlen(conf->ntsdumpdir) + sizeof("/" KEYFILE_NAME);
    ns->keyfile = malloc(n);
    if (!ns->keyfile) {
        log_err("out of memory");
        return -1;
    }
    snprintf(ns->keyfile, n, "%s/%s", conf->ntsdumpdir, KEYFILE_NAME);
    if (load_keys(ns, conf->ntsrotate != 0) != 0) {
        if (conf->ntsrotate == 0)
            log_warn("ntsrotate 0: using random NTS server keys until %s can be read "
                     "(tockctl rekey)",
                     ns->keyfile);
        save_keys(ns);
    }
    schedule_rotation(ns);
    return 0;
}

/* ---- helpers ---- */

static void report_outcome(void *ctx, enum nts_ke_outcome outcome, const struct tock_endpoint *peer)
{
    struct nts_server *ns = ctx;
    (void)peer;
    if ((int)outcome >= 0 && outcome < NTS_KE_N_OUTCOMES)
        ns->counters.ke[outcome]++;
}

static int spawn_helper(struct nts_server *ns, struct helper *h);

static void on_helper_ctl(void *ctx, int fd, short revents)
{
    struct helper *h = ctx;
    struct nts_server *ns = h->ns;
    struct nts_helper_ctl_msg m;
    (void)revents;
    for (int k = 0; k < 64; k++) {
        ssize_t n = recv(fd, &m, sizeof(m), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        if (n <= 0)
            break; /* the helper is gone */
        if (n != (ssize_t)sizeof(m) || m.magic != NTS_HELPER_MAGIC)
            continue;
        if (m.type == NTS_HELPER_REPORT)
            for (int i = 0; i < NTS_KE_N_OUTCOMES; i++) {
                ns->counters.ke[i] += m.counts[i];
                ns->reported += m.counts[i];
            }
        else if (m.type == NTS_HELPER_RELOAD)
            log_msg(m.status ? LOG_ERR : LOG_INFO, "nks#%d: certificates %s", h->index,
                    m.status ? "NOT reloaded (the old ones stay in use)" : "reloaded");
        if (k == 63)
            return;
    }
    /* EOF: the helper exited or crashed. Its connections will never be reported: forget
     * what is in flight (this loosens the queue bound for a moment, never tightens it). */
    ns->reported = ns->dispatched;
    int status = 0;
    loop_remove_fd(ns->d->loop, fd);
    close(fd);
    h->ctl_fd = -1;
    pid_t r = waitpid(h->pid, &status, 0);
    if (r == h->pid && WIFSIGNALED(status))
        log_err("NTS-KE helper nks#%d (pid %d) was killed by signal %d (%s)", h->index, (int)h->pid,
                WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (r == h->pid)
        log_err("NTS-KE helper nks#%d (pid %d) exited with status %d", h->index, (int)h->pid,
                WEXITSTATUS(status));
    else
        log_err("NTS-KE helper nks#%d (pid %d) is gone", h->index, (int)h->pid);
    h->pid = 0;
    if (loop_should_exit())
        return; /* shutting down (a SIGTERM to the whole group reaches helpers first) */
    double now = loop_monotonic();
    if (now - h->restarts_since > HELPER_RESTART_WINDOW) {
        h->restarts_since = now;
        h->restarts = 0;
    }
    if (++h->restarts > HELPER_MAX_RESTARTS) {
        log_err("NTS-KE helper nks#%d failed %d times within %.0f s: not restarted", h->index,
                h->restarts, HELPER_RESTART_WINDOW);
        return;
    }
    if (spawn_helper(ns, h) == 0) {
        ns->counters.helpers_restarted++;
        log_warn("NTS-KE helper nks#%d restarted (pid %d)", h->index, (int)h->pid);
    }
}

static int spawn_helper(struct nts_server *ns, struct helper *h)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
        log_err("NTS-KE helper: socketpair: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        log_err("NTS-KE helper: fork: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        struct nts_helper_args a = {
            .index = h->index,
            .conf = ns->d->conf,
            .conn_fd = ns->helper_conn_fd,
            .ctl_fd = sv[1],
            .harden = ns->d->harden,
        };
        /* A helper gets the current key with each connection; the ring copied into it by
         * fork() is not its to keep. */
        nts_keyring_wipe(&ns->kr);
        child_after_fork(a.conn_fd, a.ctl_fd);
        nts_helper_main(&a);
    }
    close(sv[1]);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    h->pid = pid;
    h->ctl_fd = sv[0];
    if (loop_add_fd(ns->d->loop, sv[0], POLLIN, on_helper_ctl, h) < 0) {
        log_err("event loop full");
        return -1;
    }
    return 0;
}

static int start_helpers(struct nts_server *ns, int n)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
        log_err("NTS-KE helpers: socketpair: %s", strerror(errno));
        return -1;
    }
    ns->conn_fd = sv[0];
    ns->helper_conn_fd = sv[1];
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    ns->helpers = calloc((size_t)n, sizeof(*ns->helpers));
    if (!ns->helpers) {
        log_err("out of memory");
        return -1;
    }
    ns->n_helpers = n;
    for (int i = 0; i < n; i++) {
        struct helper *h = &ns->helpers[i];
        h->ns = ns;
        h->index = i + 1;
        h->ctl_fd = -1;
        h->restarts_since = loop_monotonic();
        if (spawn_helper(ns, h) != 0)
            return -1;
    }
    log_info("NTS-KE: %d helper process%s", n, n == 1 ? "" : "es");
    return 0;
}

static void stop_helpers(struct nts_server *ns)
{
    if (ns->conn_fd >= 0)
        close(ns->conn_fd);
    if (ns->helper_conn_fd >= 0)
        close(ns->helper_conn_fd);
    ns->conn_fd = ns->helper_conn_fd = -1;
    for (int i = 0; i < ns->n_helpers; i++) {
        struct helper *h = &ns->helpers[i];
        if (h->ctl_fd >= 0) {
            loop_remove_fd(ns->d->loop, h->ctl_fd);
            close(h->ctl_fd); /* the helper sees EOF and exits */
            h->ctl_fd = -1;
        }
    }
    /* Bounded wait for them, then SIGKILL. */
    for (int i = 0; i < ns->n_helpers; i++) {
        struct helper *h = &ns->helpers[i];
        if (h->pid <= 0)
            continue;
        int status;
        bool gone = false;
        for (int t = 0; t < 200 && !gone; t++) {
            pid_t r = waitpid(h->pid, &status, WNOHANG);
            gone = r == h->pid || (r < 0 && errno == ECHILD);
            if (!gone)
                poll(NULL, 0, 10);
        }
        if (!gone) {
            kill(h->pid, SIGKILL);
            waitpid(h->pid, &status, 0);
        }
        h->pid = 0;
    }
    free(ns->helpers);
    ns->helpers = NULL;
    ns->n_helpers = 0;
}

/* Hands an accepted connection to the helpers. */
static void dispatch_to_helpers(struct nts_server *ns, int fd, const struct tock_endpoint *peer)
{
    /* Connections waiting in the queue to the helpers are bounded too: beyond what the
     * helpers can hold plus a short queue, a new one is refused at once (an idle-connection
     * flood must not delay the clients behind it without limit). Reports lag by up to
     * NTS_HELPER_REPORT_INTERVAL, which the queue allowance covers. */
    uint64_t limit = (uint64_t)ns->n_helpers * (uint64_t)ns->d->conf->maxntsconnections + 256;
    if (ns->dispatched - ns->reported >= limit) {
        close(fd);
        ns->counters.ke[NTS_KE_OVERLOAD]++;
        return;
    }
    const struct nts_server_key *k = nts_keyring_current(&ns->kr);
    struct nts_helper_conn_msg m;
    memset(&m, 0, sizeof(m));
    m.magic = NTS_HELPER_MAGIC;
    m.key_id = k->id;
    m.aead = k->aead;
    m.key_len = SIV_KEY_LEN;
    memcpy(m.key, k->key, SIV_KEY_LEN);
    m.peer = *peer;
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } cbuf;
    memset(&cbuf, 0, sizeof(cbuf));
    struct iovec iov = {.iov_base = &m, .iov_len = sizeof(m)};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf.buf,
                        .msg_controllen = sizeof(cbuf.buf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    ssize_t r = ns->conn_fd >= 0 ? sendmsg(ns->conn_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) : -1;
    explicit_bzero(&m, sizeof(m));
    close(fd);
    if (r == (ssize_t)sizeof(m))
        ns->dispatched++;
    if (r != (ssize_t)sizeof(m)) {
        /* Every helper is busy (the queue is full) or gone. */
        ns->counters.ke[NTS_KE_OVERLOAD]++;
        log_debug("NTS-KE connection not handed to a helper: %s",
                  r < 0 ? strerror(errno) : "short write");
    }
}

/* ---- listener ---- */

static void on_listen(void *ctx, int lfd, short revents)
{
    struct nts_server *ns = ctx;
    struct tockd *d = ns->d;
    (void)revents;
    for (int k = 0; k < ACCEPTS_PER_WAKEUP; k++) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        struct tock_endpoint peer;
        int fd = accept(lfd, (struct sockaddr *)&ss, &len);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_debug("NTS-KE accept: %s", strerror(errno));
            return;
        }
        if (tock_endpoint_from_sockaddr((struct sockaddr *)&ss, len, &peer) != 0) {
            close(fd);
            continue;
        }
        peer.ip = tock_ip_unmap(&peer.ip);
        if (!acl_allowed(d->ntp_acl, &peer.ip)) {
            ns->counters.ke_denied++;
            close(fd);
            continue;
        }
        struct timespec now;
        tockd_now(d, &now);
        if (clientlog_access(d->clientlog, CLIENTLOG_NTSKE, &peer.ip, &now) != CLIENTLOG_ANSWER) {
            ns->counters.ke_ratelimited++;
            close(fd);
            continue;
        }
        if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0) {
            close(fd);
            continue;
        }
        ns->counters.ke_accepted++;
        if (ns->pool)
            nts_ke_pool_add(ns->pool, fd, &peer, nts_keyring_current(&ns->kr));
        else
            dispatch_to_helpers(ns, fd, &peer);
    }
}

static int open_listener(struct nts_server *ns, int family)
{
    const struct tock_config *conf = ns->d->conf;
    const struct tock_ip *bind_ip = family == AF_INET ? &conf->bindaddress4 : &conf->bindaddress6;
    struct tock_endpoint ep = {.port = (uint16_t)conf->ntsport};
    struct sockaddr_storage ss;
    char addr[TOCK_IP_STRLEN];
    int one = 1;

    if (bind_ip->family == AF_UNSPEC)
        ep.ip.family = (uint16_t)family;
    else
        ep.ip = *bind_ip;
    tock_ip_format(&ep.ip, addr, sizeof(addr));
    socklen_t sl = tock_endpoint_to_sockaddr(&ep, &ss);
    int fd = socket(family, SOCK_STREAM, 0);
    if (fd < 0) {
        log_warn("NTS-KE socket %s port %d not available (%s); skipped", addr, conf->ntsport,
                 strerror(errno));
        return -1;
    }
    fcntl(fd, F_SETFL, O_NONBLOCK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (sl == 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0) {
        int e = errno;
        close(fd);
        if (e == EADDRINUSE) {
            log_err("cannot serve NTS-KE on %s port %d: the port is already in use", addr,
                    conf->ntsport);
            return -2;
        }
        log_warn("NTS-KE socket %s port %d not available (%s); skipped", addr, conf->ntsport,
                 strerror(e));
        return -1;
    }
    if (loop_add_fd(ns->d->loop, fd, POLLIN, on_listen, ns) < 0) {
        close(fd);
        log_err("event loop full");
        return -2;
    }
    ns->listen_fds[ns->n_listen++] = fd;
    log_info("serving NTS-KE on %s port %d", addr, conf->ntsport);
    return 0;
}

/* ---- start and stop ---- */

int tockd_nts_server_start(struct tockd *d)
{
    const struct tock_config *conf = d->conf;
    if (conf->n_nts_certkeys == 0)
        return 0;
    if (conf->port == 0) {
        log_info("NTS server off (port 0: no NTP server to give cookies for)");
        return 0;
    }
    struct nts_server *ns = calloc(1, sizeof(*ns));
    if (!ns) {
        log_err("out of memory");
        return -1;
    }
    ns->d = d;
    ns->conn_fd = ns->helper_conn_fd = -1;
    d->nts = ns;
    check_aeads(conf);
    check_cert_access(conf);
    if (init_keys(ns) != 0)
        return -1;

    int processes = conf->ntsprocesses;
    if (d->foreground_single_process && processes > 0) {
        log_info("-d: NTS-KE runs in the main process (ntsprocesses %d ignored: no helper "
                 "processes in the single-process mode)",
                 processes);
        processes = 0;
    }
    /* Certificates are checked here even with helpers, so that a bad file stops the start
     * with a clear message instead of a helper failing later. */
    struct ntske_tls_server *check = nts_ke_load_certs(conf);
    if (!check)
        return -1;
    ntske_tls_server_free(check);

    if (conf->ntsport == 0) {
        log_info("NTS-KE server off (ntsport 0); NTS-protected NTP requests are served");
        return 0;
    }
    bool allowed4 = acl_any_allowed(d->ntp_acl, AF_INET);
    bool allowed6 = acl_any_allowed(d->ntp_acl, AF_INET6);
    if (!allowed4 && !allowed6) {
        log_info("NTS-KE server off (no allow directive)");
        return 0;
    }
    if (processes > 0) {
        if (start_helpers(ns, processes) != 0)
            return -1;
    } else {
        ns->pool = nts_ke_pool_new(d->loop, conf, report_outcome, ns);
        if (!ns->pool)
            return -1;
        log_info("NTS-KE: TLS in the main process");
    }
    if ((allowed4 && open_listener(ns, AF_INET) == -2) ||
        (allowed6 && open_listener(ns, AF_INET6) == -2))
        return -1;
    if (ns->n_listen == 0) {
        log_err("no NTS-KE socket could be opened on port %d", conf->ntsport);
        return -1;
    }
    return 0;
}

void tockd_nts_server_stop(struct tockd *d)
{
    struct nts_server *ns = d->nts;
    if (!ns)
        return;
    tockd_nts_log_counters(d);
    for (int i = 0; i < ns->n_listen; i++) {
        loop_remove_fd(d->loop, ns->listen_fds[i]);
        close(ns->listen_fds[i]);
    }
    nts_ke_pool_free(ns->pool);
    stop_helpers(ns);
    loop_cancel_timer(d->loop, ns->rotate_timer);
    save_keys(ns); /* keeps the current key's age across the restart */
    nts_keyring_wipe(&ns->kr);
    free(ns->keyfile);
    free(ns);
    d->nts = NULL;
}

const struct nts_keyring *tockd_nts_keyring(const struct tockd *d)
{
    return d->nts ? &d->nts->kr : NULL;
}

struct nts_server_counters *tockd_nts_counters(struct tockd *d)
{
    return d->nts ? &d->nts->counters : NULL;
}

int tockd_nts_reload_certs(struct tockd *d)
{
    struct nts_server *ns = d->nts;
    if (!ns)
        return 0;
    if (ns->pool) {
        if (nts_ke_pool_reload(ns->pool) != 0) {
            log_err("NTS-KE certificates NOT reloaded; the old ones stay in use");
            return -1;
        }
        log_info("NTS-KE certificates reloaded");
        return 0;
    }
    /* Checked here first, so that the command can report a failure. */
    struct ntske_tls_server *check = nts_ke_load_certs(d->conf);
    if (!check) {
        log_err("NTS-KE certificates NOT reloaded; the old ones stay in use");
        return -1;
    }
    ntske_tls_server_free(check);
    struct nts_helper_ctl_msg m = {.magic = NTS_HELPER_MAGIC, .type = NTS_HELPER_RELOAD};
    for (int i = 0; i < ns->n_helpers; i++)
        if (ns->helpers[i].ctl_fd >= 0)
            send(ns->helpers[i].ctl_fd, &m, sizeof(m), MSG_DONTWAIT | MSG_NOSIGNAL);
    log_info("NTS-KE certificates reloading in %d helper%s", ns->n_helpers,
             ns->n_helpers == 1 ? "" : "s");
    return 0;
}

int tockd_nts_rekey(struct tockd *d)
{
    struct nts_server *ns = d->nts;
    if (!ns || d->conf->ntsrotate != 0 || !ns->keyfile)
        return 0;
    return load_keys(ns, false);
}

int tockd_nts_dump(struct tockd *d)
{
    return d->nts ? save_keys(d->nts) : 0;
}

void tockd_nts_log_counters(struct tockd *d)
{
    struct nts_server *ns = d->nts;
    if (!ns)
        return;
    const struct nts_server_counters *c = &ns->counters;
    log_info(
        "NTS-KE: %llu accepted, %llu denied, %llu rate-limited; %llu cookies sent, "
        "%llu refused, %llu TLS failed, %llu bad message, %llu timed out, %llu too many, "
        "%llu internal; NTS-NTP: %llu authenticated, %llu NAK cookie, %llu NAK auth, "
        "%llu malformed, %llu NAK rate-limited; %llu helpers restarted",
        (unsigned long long)c->ke_accepted, (unsigned long long)c->ke_denied,
        (unsigned long long)c->ke_ratelimited, (unsigned long long)c->ke[NTS_KE_OK],
        (unsigned long long)c->ke[NTS_KE_REFUSED], (unsigned long long)c->ke[NTS_KE_TLS_FAILED],
        (unsigned long long)c->ke[NTS_KE_BAD_MESSAGE], (unsigned long long)c->ke[NTS_KE_TIMEOUT],
        (unsigned long long)c->ke[NTS_KE_OVERLOAD], (unsigned long long)c->ke[NTS_KE_INTERNAL],
        (unsigned long long)c->ntp_ok, (unsigned long long)c->ntp_nak_cookie,
        (unsigned long long)c->ntp_nak_auth, (unsigned long long)c->ntp_malformed,
        (unsigned long long)c->ntp_kod_dropped, (unsigned long long)c->helpers_restarted);
}
