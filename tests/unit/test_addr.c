/* Unit tests for src/util/addr.c: numeric parsing, formatting, loopback, v4-mapped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include <netinet/in.h>

#include "util/addr.h"

static void parse_and_format(void **state)
{
    (void)state;
    struct tock_ip ip;
    char buf[TOCK_IP_STRLEN];
    assert_int_equal(tock_ip_parse("192.168.1.7", &ip), 0);
    assert_int_equal(ip.family, AF_INET);
    assert_int_equal(ip.addr[0], 192);
    assert_string_equal(tock_ip_format(&ip, buf, sizeof(buf)), "192.168.1.7");
    assert_int_equal(tock_ip_parse("2001:db8::1", &ip), 0);
    assert_int_equal(ip.family, AF_INET6);
    assert_string_equal(tock_ip_format(&ip, buf, sizeof(buf)), "2001:db8::1");
    assert_int_equal(tock_ip_parse("10", &ip), -1);
    assert_int_equal(tock_ip_parse("host.example", &ip), -1);
    assert_int_equal(ip.family, AF_UNSPEC);
    assert_string_equal(tock_ip_format(&ip, buf, sizeof(buf)), "-");
}

static void loopback_and_mapped(void **state)
{
    (void)state;
    struct tock_ip ip, u;
    assert_int_equal(tock_ip_parse("127.3.2.1", &ip), 0);
    assert_true(tock_ip_is_loopback(&ip));
    assert_int_equal(tock_ip_parse("::1", &ip), 0);
    assert_true(tock_ip_is_loopback(&ip));
    assert_int_equal(tock_ip_parse("::ffff:127.0.0.1", &ip), 0);
    assert_true(tock_ip_is_loopback(&ip));
    u = tock_ip_unmap(&ip);
    assert_int_equal(u.family, AF_INET);
    assert_int_equal(tock_ip_parse("10.0.0.1", &ip), 0);
    assert_false(tock_ip_is_loopback(&ip));
    assert_int_equal(tock_ip_parse("::2", &ip), 0);
    assert_false(tock_ip_is_loopback(&ip));
}

static void sockaddr_round_trip(void **state)
{
    (void)state;
    struct tock_endpoint ep = {.port = 4460}, back;
    struct sockaddr_storage ss;
    assert_int_equal(tock_ip_parse("fe80::1", &ep.ip), 0);
    socklen_t len = tock_endpoint_to_sockaddr(&ep, &ss);
    assert_int_equal(len, sizeof(struct sockaddr_in6));
    assert_int_equal(tock_endpoint_from_sockaddr((struct sockaddr *)&ss, len, &back), 0);
    assert_true(tock_ip_equal(&ep.ip, &back.ip));
    assert_int_equal(back.port, 4460);
    assert_int_equal(tock_endpoint_from_sockaddr((struct sockaddr *)&ss, 4, &back), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parse_and_format),
        cmocka_unit_test(loopback_and_mapped),
        cmocka_unit_test(sockaddr_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
