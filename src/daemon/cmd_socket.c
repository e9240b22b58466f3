/* The command sockets: chronyc's protocol (src/monitor/cmd_server.c) over UDP on `cmdport`
 * (bound to `bindcmdaddress`, 127.0.0.1 and ::1 by default; read-only monitoring only,
 * `cmdallow`/`cmddeny`, `cmdratelimit`) and over a Unix datagram socket (every command;
 * the directory's permissions are the access control, as chronyd). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/cmd_socket.h"
#include "daemon/log.h"
#include "daemon/loop.h"
#include "daemon/udp.h"
#include "monitor/cmd_server.h"
#include "proto/candm.h"
#include "serve/acl.h"
#include "serve/clientlog.h"

#define MAX_CMD_FDS 3

struct cmd_socket {
    struct tockd *d;
    struct cmd_backend backend;
    uint32_t udp_open[CMD_OPEN_WORDS];
    int udp_fds[2];
    int n_udp;
    int unix_fd;
    char *unix_path;
    struct udp_batch *batch;
};

/* chronyd's first two checks (inventory 3.5, steps 1-2), made before the client log sees
 * the packet: what fails them is not a command request and is neither counted nor
 * rate-limited, only dropped (cmd_server_handle() drops it too). */
static bool plausible_request(const uint8_t *buf, size_t len, bool truncated)
{
    return !truncated && len >= CANDM_REPLY_HEADER_LEN && len <= CANDM_MAX_REQUEST_LEN &&
           buf[1] == 1 /* request */ && buf[2] == 0 && buf[3] == 0;
}

static void on_udp(void *ctx, int fd, short revents)
{
    struct cmd_socket *c = ctx;
    struct tockd *d = c->d;
    uint8_t reply[CANDM_MAX_REPLY_LEN];
    struct timespec now;
    (void)revents;
    int n = udp_recv_batch(fd, c->batch, 4);
    for (int i = 0; i < n; i++) {
        struct udp_msg *m = &c->batch->msgs[i];
        /* Non-loopback senders must pass cmdallow/cmddeny (loopback always may). */
        if (!acl_allowed(d->cmd_acl, &m->from.ip)) {
            d->stats.cmd_denied++;
            continue;
        }
        if (!plausible_request(m->buf, m->len, m->truncated))
            continue;
        tockd_now(d, &now);
        if (clientlog_access(d->clientlog, CLIENTLOG_CMD, &m->from.ip, &now) != CLIENTLOG_ANSWER)
            continue; /* counted by the client log */
        size_t len = cmd_server_handle(&c->backend, CMD_TRANSPORT_UDP, m->buf,
                                       m->truncated ? 0 : m->len, reply, sizeof(reply));
        if (len > 0)
            udp_send(fd, reply, len, &m->from, m->has_local ? &m->local : NULL, m->ifindex);
    }
}

static void on_unix(void *ctx, int fd, short revents)
{
    struct cmd_socket *c = ctx;
    struct tockd *d = c->d;
    uint8_t req[CANDM_MAX_REQUEST_LEN + 4];
    uint8_t reply[CANDM_MAX_REPLY_LEN];
    struct sockaddr_un from;
    struct iovec iov = {.iov_base = req, .iov_len = sizeof(req)};
    union {
        struct cmsghdr align;
        uint8_t buf[UDP_CMSG_LEN];
    } control;
    struct msghdr mh;
    struct timespec now;
    (void)revents;
    memset(&mh, 0, sizeof(mh));
    mh.msg_name = &from;
    mh.msg_namelen = sizeof(from);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
    if (n < 0 || !plausible_request(req, (size_t)n, (mh.msg_flags & MSG_TRUNC) != 0))
        return;
    tockd_now(d, &now);
    struct tock_ip unix_addr = {.family = AF_UNSPEC};
    clientlog_access(d->clientlog, CLIENTLOG_CMD, &unix_addr, &now);
    size_t len =
        cmd_server_handle(&c->backend, CMD_TRANSPORT_UNIX, req,
                          (mh.msg_flags & MSG_TRUNC) ? 0 : (size_t)n, reply, sizeof(reply));
    /* The client binds its own socket path; an unbound sender cannot get a reply. */
    if (len == 0 || mh.msg_namelen <= sizeof(sa_family_t))
        return;
    if (sendto(fd, reply, len, MSG_DONTWAIT, (struct sockaddr *)&from, mh.msg_namelen) < 0)
        log_debug("command reply: %s", strerror(errno));
}

/* The UDP sockets: failing to open one family is not fatal (a port in use is). */
static int open_udp(struct cmd_socket *c)
{
    const struct tock_config *conf = c->d->conf;
    const struct tock_ip *binds[2] = {&conf->bindcmdaddress4, &conf->bindcmdaddress6};
    char addr[TOCK_IP_STRLEN];
    if (conf->cmdport == 0)
        return 0;
    for (int i = 0; i < 2; i++) {
        if (binds[i]->family == AF_UNSPEC)
            continue;
        struct tock_endpoint ep = {.ip = *binds[i], .port = (uint16_t)conf->cmdport};
        struct udp_open_opts opts = {0};
        tock_ip_format(&ep.ip, addr, sizeof(addr));
        int fd = udp_open(&ep, &opts);
        if (fd < 0) {
            if (errno == EADDRINUSE) {
                log_err("cannot open the command port %s port %d: already in use by another "
                        "process (set cmdport to another port, or 0)",
                        addr, conf->cmdport);
                return -1;
            }
            log_warn("command socket %s port %d not available (%s); skipped", addr, conf->cmdport,
                     strerror(errno));
            continue;
        }
        c->udp_fds[c->n_udp++] = fd;
        loop_add_fd(c->d->loop, fd, POLLIN, on_udp, c);
        log_info("command port on %s port %d", addr, conf->cmdport);
    }
    return 0;
}

/* chronyd's rule: the socket's directory must be 0770 (or stricter) and ours; it is
 * created when missing. A wrong directory disables the Unix socket only, with a warning. */
static bool check_socket_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return false;
    char *dir = dirname(copy);
    struct stat st;
    bool ok = false;
    if (stat(dir, &st) < 0 && errno == ENOENT && mkdir(dir, 0770) == 0 && chmod(dir, 0770) == 0)
        ok = stat(dir, &st) == 0;
    else
        ok = true;
    if (ok && (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 07007))) {
        log_warn("command socket %s disabled: its directory %s must be owned by the daemon's "
                 "user (uid %u) and not accessible by others (uid %u, mode %04o found; fix: "
                 "chown %u %s && chmod 770 %s)",
                 path, dir, (unsigned)geteuid(), (unsigned)st.st_uid,
                 (unsigned)(st.st_mode & 07777), (unsigned)geteuid(), dir, dir);
        ok = false;
    }
    free(copy);
    return ok;
}

static int open_unix(struct cmd_socket *c)
{
    const char *path = c->d->conf->cmdsocket;
    struct sockaddr_un sun;
    if (!path)
        return 0;
    if (strlen(path) >= sizeof(sun.sun_path)) {
        log_warn("command socket path %s too long; disabled", path);
        return 0;
    }
    if (!check_socket_dir(path))
        return 0;
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0) {
        log_warn("command socket %s: %s; disabled", path, strerror(errno));
        return 0;
    }
    int flags = fcntl(fd, F_GETFL);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, path);
    unlink(path); /* a stale socket of an earlier run */
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
        bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        log_warn("command socket %s: %s; disabled", path, strerror(errno));
        close(fd);
        return 0;
    }
    /* Group members may send (the directory keeps everyone else out). */
    chmod(path, 0660);
    c->unix_fd = fd;
    c->unix_path = strdup(path);
    loop_add_fd(c->d->loop, fd, POLLIN, on_unix, c);
    log_info("command socket %s", path);
    return 0;
}

static void set_open_commands(struct cmd_socket *c)
{
    static const char *const names[] = {
        "activity",    "authdata",  "clients",    "manual",  "ntpdata",     "rtcdata", "selectdata",
        "serverstats", "smoothing", "sourcename", "sources", "sourcestats", "tracking"};
    memset(c->udp_open, 0, sizeof(c->udp_open));
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (c->d->conf->opencommands & (1u << i))
            cmd_server_open_name(c->udp_open, names[i]);
}

int tockd_cmd_start(struct tockd *d)
{
    struct cmd_socket *c = calloc(1, sizeof(*c));
    if (!c || !(c->batch = calloc(1, sizeof(*c->batch)))) {
        free(c);
        log_err("out of memory");
        return -1;
    }
    c->d = d;
    c->unix_fd = -1;
    d->cmd = c;
    tockd_cmd_backend_init(d, &c->backend);
    set_open_commands(c);
    c->backend.udp_open = c->udp_open;
    return open_udp(c);
}

int tockd_cmd_start_unix(struct tockd *d)
{
    return d->cmd ? open_unix(d->cmd) : 0;
}

void tockd_cmd_stop(struct tockd *d)
{
    struct cmd_socket *c = d->cmd;
    if (!c)
        return;
    for (int i = 0; i < c->n_udp; i++) {
        loop_remove_fd(d->loop, c->udp_fds[i]);
        close(c->udp_fds[i]);
    }
    if (c->unix_fd >= 0) {
        loop_remove_fd(d->loop, c->unix_fd);
        close(c->unix_fd);
        unlink(c->unix_path);
    }
    free(c->unix_path);
    free(c->batch);
    free(c);
    d->cmd = NULL;
}
