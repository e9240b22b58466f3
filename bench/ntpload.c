/* ntpload: a closed-loop NTP load generator for `make bench` (loopback only).
 *
 * Many client sockets, each bound to its own loopback address (127.0.x.y, so the server
 * sees many clients, as rate limiting and the client log would in production), keep a
 * window of requests in flight: every reply is answered with a new request. Lost requests
 * are re-sent after a short stall. Runs for a bounded time and prints the reply rate.
 *
 *   ntpload -a 127.0.0.1 -p PORT [-s SOCKETS] [-w WINDOW] [-d SECONDS] [-n NTS_FILE] [-f]
 *
 * -f (flood): open loop instead. Every socket keeps sending WINDOW requests per round as
 * fast as the kernel takes them, whatever comes back, so the server is saturated even when
 * it drops most requests (rate limiting, access control). Replies are counted as they come.
 * What the server actually processed is read from its own counters (bench/run.sh), not
 * from `sent`: under overload the kernel drops what the server cannot read.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 1024
#define BATCH       32

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct client {
    int fd;
    int outstanding;
    double last_activity;
};

static uint8_t request[1200];
static size_t request_len = 48;

static int send_requests(struct client *c, int n, uint64_t *sent)
{
    struct mmsghdr msgs[BATCH];
    struct iovec iov[BATCH];
    if (n > BATCH)
        n = BATCH;
    memset(msgs, 0, sizeof(msgs));
    for (int i = 0; i < n; i++) {
        iov[i].iov_base = request;
        iov[i].iov_len = request_len;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int r = sendmmsg(c->fd, msgs, (unsigned)n, 0);
    if (r > 0) {
        c->outstanding += r;
        *sent += (uint64_t)r;
    }
    return r;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    int port = 123, n_sockets = 64, window = 4;
    double duration = 5.0;
    const char *payload_file = NULL;
    int flood = 0;
    int opt;
    while ((opt = getopt(argc, argv, "a:p:s:w:d:n:f")) != -1) {
        switch (opt) {
        case 'a':
            addr = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 's':
            n_sockets = atoi(optarg);
            break;
        case 'w':
            window = atoi(optarg);
            break;
        case 'd':
            duration = atof(optarg);
            break;
        case 'n':
            payload_file = optarg;
            break;
        case 'f':
            flood = 1;
            break;
        default:
            fprintf(stderr, "usage: ntpload -a ADDR -p PORT [-s SOCKETS] [-w WINDOW] "
                            "[-d SECONDS] [-n REQUEST_FILE] [-f]\n");
            return 2;
        }
    }
    if (n_sockets < 1 || n_sockets > MAX_SOCKETS || window < 1 || window > BATCH || duration <= 0 ||
        duration > 600) {
        fprintf(stderr,
                "ntpload: bad arguments (sockets 1..%d, window 1..%d, duration "
                "<= 600 s)\n",
                MAX_SOCKETS, BATCH);
        return 2;
    }
    struct in_addr dst;
    if (inet_pton(AF_INET, addr, &dst) != 1 || (ntohl(dst.s_addr) >> 24) != 127) {
        fprintf(stderr, "ntpload: loopback IPv4 destinations only\n");
        return 2;
    }
    if (payload_file) {
        FILE *f = fopen(payload_file, "rb");
        if (!f) {
            perror(payload_file);
            return 2;
        }
        request_len = fread(request, 1, sizeof(request), f);
        fclose(f);
    } else {
        request[0] = 0x23; /* LI 0, VN 4, mode 3 */
        request[2] = 6;
        for (int i = 40; i < 48; i++)
            request[i] = (uint8_t)(i * 37);
    }

    static struct client clients[MAX_SOCKETS];
    int ep = epoll_create1(0);
    for (int i = 0; i < n_sockets; i++) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        /* 127.0.x.y with x.y = i + 2: one loopback address per client socket. */
        src.sin_addr.s_addr = htonl(0x7f000000u | (uint32_t)(i + 2));
        struct sockaddr_in to = {
            .sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = dst};
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        int big = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
        if (fd < 0 || bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
            connect(fd, (struct sockaddr *)&to, sizeof(to)) < 0) {
            perror("ntpload: socket");
            return 1;
        }
        clients[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }

    uint64_t sent = 0, received = 0, resent = 0;
    double start = now(), end = start + duration, warm = start + 0.5;
    uint64_t received_at_warm = 0;
    double warm_time = 0;
    for (int i = 0; i < n_sockets; i++) {
        send_requests(&clients[i], window, &sent);
        clients[i].last_activity = start;
    }
    double last_check = start;
    static uint8_t bufs[BATCH][1500];
    while (flood) {
        double t = now();
        if (t >= end)
            break;
        if (warm_time == 0 && t >= warm) {
            warm_time = t;
            received_at_warm = received;
        }
        for (int i = 0; i < n_sockets; i++) {
            struct mmsghdr msgs[BATCH];
            struct iovec iov[BATCH];
            memset(msgs, 0, sizeof(msgs));
            for (int k = 0; k < BATCH; k++) {
                iov[k].iov_base = bufs[k];
                iov[k].iov_len = sizeof(bufs[k]);
                msgs[k].msg_hdr.msg_iov = &iov[k];
                msgs[k].msg_hdr.msg_iovlen = 1;
            }
            int r = recvmmsg(clients[i].fd, msgs, BATCH, MSG_DONTWAIT, NULL);
            for (int k = 0; k < r; k++)
                if (msgs[k].msg_len >= 48 && (bufs[k][0] & 7) == 4)
                    received++;
            clients[i].outstanding = 0;
            send_requests(&clients[i], window, &sent);
        }
    }
    while (!flood) {
        double t = now();
        if (t >= end)
            break;
        if (warm_time == 0 && t >= warm) {
            warm_time = t;
            received_at_warm = received;
        }
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 10);
        for (int e = 0; e < n; e++) {
            struct client *c = &clients[evs[e].data.u32];
            struct mmsghdr msgs[BATCH];
            struct iovec iov[BATCH];
            memset(msgs, 0, sizeof(msgs));
            for (int i = 0; i < BATCH; i++) {
                iov[i].iov_base = bufs[i];
                iov[i].iov_len = sizeof(bufs[i]);
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            int r = recvmmsg(c->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
            if (r <= 0)
                continue;
            int valid = 0;
            for (int i = 0; i < r; i++)
                if (msgs[i].msg_len >= 48 && (bufs[i][0] & 7) == 4)
                    valid++;
            received += (uint64_t)valid;
            c->outstanding -= r;
            if (c->outstanding < 0)
                c->outstanding = 0;
            c->last_activity = now();
            send_requests(c, window - c->outstanding, &sent);
        }
        if (t - last_check > 0.05) {
            /* Requests or replies dropped under load: refill stalled windows. */
            for (int i = 0; i < n_sockets; i++) {
                if (t - clients[i].last_activity > 0.1) {
                    clients[i].outstanding = 0;
                    clients[i].last_activity = t;
                    resent += (uint64_t)send_requests(&clients[i], window, &sent);
                }
            }
            last_check = t;
        }
    }
    double t_end = now();
    double measured = warm_time ? t_end - warm_time : t_end - start;
    uint64_t measured_replies = warm_time ? received - received_at_warm : received;
    printf("sent=%llu replies=%llu resent=%llu seconds=%.3f rate=%.0f\n", (unsigned long long)sent,
           (unsigned long long)received, (unsigned long long)resent, measured,
           measured_replies / measured);
    return 0;
}
