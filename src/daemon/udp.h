/* UDP sockets for the NTP server and client: creation with the options tockd needs, batched
 * receive with kernel RX timestamps and the local address, and send from a given local
 * address. Simulator rules (doc/simulation.md): socket() without type flags then fcntl
 * O_NONBLOCK; SO_TIMESTAMPING for timestamps; one iovec and a 256-byte control buffer per
 * message. */
#ifndef TOCK_DAEMON_UDP_H
#define TOCK_DAEMON_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "util/addr.h"

#define UDP_BATCH    16
#define UDP_BUF_LEN  1104 /* larger than any packet tockd reads, so oversize is seen */
#define UDP_CMSG_LEN 256

struct udp_open_opts {
    bool rx_timestamps; /* SO_TIMESTAMPING software RX */
    bool tx_timestamps; /* SO_TIMESTAMPING software TX (client requests) */
    bool pktinfo;       /* learn each packet's local address (wildcard binds) */
    bool reuseport;     /* only when several server threads share the port */
};

/* Opens a UDP socket bound to ep (ep->ip AF_UNSPEC is not allowed: pass the wildcard of
 * the family). IPv6 sockets are IPV6_V6ONLY. Returns the fd, or -1 with errno set. */
int udp_open(const struct tock_endpoint *ep, const struct udp_open_opts *opts);

struct udp_msg {
    uint8_t buf[UDP_BUF_LEN];
    size_t len;
    bool truncated;
    struct tock_endpoint from;
    bool has_local;
    struct tock_ip local;
    int ifindex;
    bool has_rx_ts;
    struct timespec rx_ts; /* kernel software RX timestamp, CLOCK_REALTIME */
};

struct udp_batch {
    struct udp_msg msgs[UDP_BATCH];
    /* recvmmsg plumbing, kept here so receiving allocates nothing. */
    struct mmsghdr hdrs[UDP_BATCH];
    struct iovec iov[UDP_BATCH];
    struct sockaddr_storage names[UDP_BATCH];
    union {
        struct cmsghdr align;
        uint8_t buf[UDP_CMSG_LEN];
    } cmsg[UDP_BATCH];
};

/* A client socket for one request (RFC 9109: a fresh random source port each time),
 * connected to `remote`, with kernel RX and TX timestamps. Returns the fd or -1 (errno). */
int udp_open_client(const struct tock_endpoint *remote);

/* Reads one kernel TX timestamp from the socket's error queue (call only when poll reported
 * POLLPRI/POLLERR). Returns 1 with *ts set, 0 when there was none, -1 on error. */
int udp_recv_tx_timestamp(int fd, struct timespec *ts);

/* Receives up to `max` (<= UDP_BATCH) datagrams without blocking; returns how many (0 when
 * none is pending, -1 on error). */
int udp_recv_batch(int fd, struct udp_batch *b, int max);

/* Sends one datagram to `to`, from the local address `local` when given (IP_PKTINFO /
 * IPV6_PKTINFO; needed on wildcard sockets so the reply leaves from the address the
 * request came to). Returns 0 or -1 with errno. */
int udp_send(int fd, const void *buf, size_t len, const struct tock_endpoint *to,
             const struct tock_ip *local, int ifindex);

#endif
