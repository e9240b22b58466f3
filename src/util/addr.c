#include "util/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

int tock_ip_parse(const char *text, struct tock_ip *out)
{
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, text, out->addr) == 1) {
        out->family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, text, out->addr) == 1) {
        out->family = AF_INET6;
        return 0;
    }
    memset(out, 0, sizeof(*out));
    return -1;
}

const char *tock_ip_format(const struct tock_ip *ip, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    if ((ip->family != AF_INET && ip->family != AF_INET6) ||
        !inet_ntop(ip->family, ip->addr, buf, (socklen_t)len)) {
        buf[0] = '\0';
        strncat(buf, "-", len - 1);
    }
    return buf;
}

bool tock_ip_equal(const struct tock_ip *a, const struct tock_ip *b)
{
    if (a->family != b->family)
        return false;
    if (a->family == AF_INET)
        return memcmp(a->addr, b->addr, 4) == 0;
    if (a->family == AF_INET6)
        return memcmp(a->addr, b->addr, 16) == 0;
    return true;
}

bool tock_ip_is_loopback(const struct tock_ip *ip)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    struct tock_ip u = tock_ip_unmap(ip);
    if (u.family == AF_INET)
        return u.addr[0] == 127;
    if (u.family == AF_INET6)
        return memcmp(u.addr, v6_loopback, 16) == 0;
    return false;
}

struct tock_ip tock_ip_unmap(const struct tock_ip *ip)
{
    static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    struct tock_ip out = *ip;
    if (ip->family == AF_INET6 && memcmp(ip->addr, mapped_prefix, 12) == 0) {
        memset(&out, 0, sizeof(out));
        out.family = AF_INET;
        memcpy(out.addr, ip->addr + 12, 4);
    }
    return out;
}

int tock_endpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct tock_endpoint *out)
{
    memset(out, 0, sizeof(*out));
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        out->ip.family = AF_INET;
        memcpy(out->ip.addr, &in->sin_addr, 4);
        out->port = ntohs(in->sin_port);
        return 0;
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        out->ip.family = AF_INET6;
        memcpy(out->ip.addr, &in6->sin6_addr, 16);
        out->port = ntohs(in6->sin6_port);
        return 0;
    }
    return -1;
}

socklen_t tock_endpoint_to_sockaddr(const struct tock_endpoint *ep, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (ep->ip.family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)out;
        in->sin_family = AF_INET;
        in->sin_port = htons(ep->port);
        memcpy(&in->sin_addr, ep->ip.addr, 4);
        return sizeof(*in);
    }
    if (ep->ip.family == AF_INET6) {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(ep->port);
        memcpy(&in6->sin6_addr, ep->ip.addr, 16);
        return sizeof(*in6);
    }
    return 0;
}
