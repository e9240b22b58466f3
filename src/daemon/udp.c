#include "daemon/udp.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

int udp_open(const struct tock_endpoint *ep, const struct udp_open_opts *opts)
{
    struct sockaddr_storage ss;
    socklen_t len = tock_endpoint_to_sockaddr(ep, &ss);
    int family = ep->ip.family;
    int one = 1;
    int saved;

    if (len == 0) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    int fd = socket(family, SOCK_DGRAM, 0);
    if (fd < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        goto fail;
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        goto fail;
    if (opts->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
        goto fail;
    if (opts->pktinfo) {
        if (family == AF_INET && setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0)
            goto fail;
        if (family == AF_INET6 &&
            setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)) < 0)
            goto fail;
    }
    if (opts->rx_timestamps || opts->tx_timestamps) {
        int ts = SOF_TIMESTAMPING_SOFTWARE;
        if (opts->rx_timestamps)
            ts |= SOF_TIMESTAMPING_RX_SOFTWARE;
        if (opts->tx_timestamps)
            ts |= SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_OPT_ID |
                  SOF_TIMESTAMPING_OPT_TSONLY;
        /* Timestamps are an accuracy improvement, not a requirement: a kernel or simulator
         * without them falls back to daemon timestamps. */
        (void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &ts, sizeof(ts));
        if (opts->tx_timestamps)
            (void)setsockopt(fd, SOL_SOCKET, SO_SELECT_ERR_QUEUE, &one, sizeof(one));
    }
    if (bind(fd, (struct sockaddr *)&ss, len) < 0)
        goto fail;
    return fd;
fail:
    saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static void parse_cmsgs(struct msghdr *mh, struct udp_msg *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            m->has_local = true;
            m->local.family = AF_INET;
            memcpy(m->local.addr, &pi.ipi_addr, 4);
            m->ifindex = pi.ipi_ifindex;
        } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            m->has_local = true;
            m->local.family = AF_INET6;
            memcpy(m->local.addr, &pi.ipi6_addr, 16);
            m->ifindex = (int)pi.ipi6_ifindex;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts)); /* ts[0] is the software timestamp */
            if (ts.tv_sec != 0 || ts.tv_nsec != 0) {
                m->has_rx_ts = true;
                m->rx_ts = ts;
            }
        }
    }
}

int udp_recv_batch(int fd, struct udp_batch *b, int max)
{
    if (max > UDP_BATCH)
        max = UDP_BATCH;
    for (int i = 0; i < max; i++) {
        b->iov[i].iov_base = b->msgs[i].buf;
        b->iov[i].iov_len = sizeof(b->msgs[i].buf);
        struct msghdr *mh = &b->hdrs[i].msg_hdr;
        memset(mh, 0, sizeof(*mh));
        mh->msg_name = &b->names[i];
        mh->msg_namelen = sizeof(b->names[i]);
        mh->msg_iov = &b->iov[i];
        mh->msg_iovlen = 1;
        mh->msg_control = b->cmsg[i].buf;
        mh->msg_controllen = sizeof(b->cmsg[i].buf);
        b->hdrs[i].msg_len = 0;
    }
    int n = recvmmsg(fd, b->hdrs, (unsigned)max, MSG_DONTWAIT, NULL);
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    for (int i = 0; i < n; i++) {
        struct udp_msg *m = &b->msgs[i];
        struct msghdr *mh = &b->hdrs[i].msg_hdr;
        m->len = b->hdrs[i].msg_len;
        m->truncated = (mh->msg_flags & MSG_TRUNC) != 0;
        m->has_local = false;
        m->has_rx_ts = false;
        m->ifindex = 0;
        if (tock_endpoint_from_sockaddr((struct sockaddr *)&b->names[i], mh->msg_namelen,
                                        &m->from) < 0)
            m->from.ip.family = AF_UNSPEC;
        parse_cmsgs(mh, m);
    }
    return n;
}

int udp_send(int fd, const void *buf, size_t len, const struct tock_endpoint *to,
             const struct tock_ip *local, int ifindex)
{
    struct sockaddr_storage ss;
    socklen_t namelen = tock_endpoint_to_sockaddr(to, &ss);
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    union {
        struct cmsghdr align;
        uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    } control;
    struct msghdr mh;

    memset(&mh, 0, sizeof(mh));
    mh.msg_name = &ss;
    mh.msg_namelen = namelen;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (local && local->family == AF_INET && to->ip.family == AF_INET) {
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        memcpy(&pi.ipi_spec_dst, local->addr, 4);
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(pi));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    } else if (local && local->family == AF_INET6 && to->ip.family == AF_INET6) {
        struct in6_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        memcpy(&pi.ipi6_addr, local->addr, 16);
        /* Only a link-local destination needs the interface pinned (as chronyd). */
        if (local->addr[0] == 0xfe && (local->addr[1] & 0xc0) == 0x80)
            pi.ipi6_ifindex = (unsigned)ifindex;
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(pi));
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(c), &pi, sizeof(pi));
    }
    return sendmsg(fd, &mh, 0) < 0 ? -1 : 0;
}

int udp_open_client(const struct tock_endpoint *remote)
{
    struct tock_endpoint local = {.ip = {.family = remote->ip.family}, .port = 0};
    struct udp_open_opts opts = {.rx_timestamps = true, .tx_timestamps = true};
    struct sockaddr_storage ss;
    socklen_t len = tock_endpoint_to_sockaddr(remote, &ss);
    if (len == 0) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    int fd = udp_open(&local, &opts);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int udp_recv_tx_timestamp(int fd, struct timespec *ts)
{
    uint8_t data[64];
    union {
        struct cmsghdr align;
        uint8_t buf[UDP_CMSG_LEN];
    } control;
    struct iovec iov = {.iov_base = data, .iov_len = sizeof(data)};
    struct msghdr mh;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof(control.buf);
    if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    struct udp_msg m;
    m.has_rx_ts = false;
    m.has_local = false;
    parse_cmsgs(&mh, &m);
    if (!m.has_rx_ts)
        return 0;
    *ts = m.rx_ts;
    return 1;
}
