/* IP addresses as plain values, shared by the config, access control, sources and the
 * command protocol. No name resolution here: numeric forms only. */
#ifndef TOCK_UTIL_ADDR_H
#define TOCK_UTIL_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* family is AF_UNSPEC, AF_INET (address in addr[0..3], network order) or AF_INET6. */
struct tock_ip {
    uint16_t family;
    uint8_t addr[16];
};

/* An address and a UDP/TCP port, host byte order for the port. */
struct tock_endpoint {
    struct tock_ip ip;
    uint16_t port;
};

#define TOCK_IP_STRLEN 46 /* INET6_ADDRSTRLEN */

/* Parses a numeric IPv4 or IPv6 address (inet_pton). Returns 0 or -1. */
int tock_ip_parse(const char *text, struct tock_ip *out);
/* Formats into buf (at least TOCK_IP_STRLEN bytes); "-" for AF_UNSPEC. Returns buf. */
const char *tock_ip_format(const struct tock_ip *ip, char *buf, size_t len);
bool tock_ip_equal(const struct tock_ip *a, const struct tock_ip *b);
bool tock_ip_is_loopback(const struct tock_ip *ip);
/* IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4; anything else is copied. */
struct tock_ip tock_ip_unmap(const struct tock_ip *ip);

/* Conversions to and from socket addresses. Return 0 or -1 (unsupported family). */
int tock_endpoint_from_sockaddr(const struct sockaddr *sa, socklen_t len,
                                struct tock_endpoint *out);
socklen_t tock_endpoint_to_sockaddr(const struct tock_endpoint *ep, struct sockaddr_storage *out);

#endif
