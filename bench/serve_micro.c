/* Micro-benchmark of the serving path's pure parts: ns per ACL lookup, per client-log /
 * rate-limit decision and per MAC check or MAC append. Not a test.
 *
 *   make && cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/serve_micro.c build/libtock.a \
 *       -lnettle -o build/serve_micro && build/serve_micro
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include "crypto/keys.h"
#include "crypto/mac.h"
#include "serve/acl.h"
#include "serve/clientlog.h"

/* CPU time of this thread: other load on the machine does not inflate the results. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint32_t xorshift(void *ctx)
{
    uint32_t *s = ctx;
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static volatile uint64_t sink;

static void bench_acl(void)
{
    static const struct {
        bool allow;
        const char *addr;
        int prefix;
    } spec[] = {
        {true, "192.168.1.0", 24},   {true, "10.0.0.0", 8},          {true, "172.16.0.0", 12},
        {false, "10.1.2.0", 24},     {true, "10.1.2.128", 25},       {true, "2001:db8::", 32},
        {false, "2001:db8:1::", 48}, {true, "2001:db8:1:2::5", 128},
    };
    struct conf_acl_rule rules[8];
    memset(rules, 0, sizeof(rules));
    for (int i = 0; i < 8; i++) {
        rules[i].allow = spec[i].allow;
        tock_ip_parse(spec[i].addr, &rules[i].ip);
        rules[i].prefix_len = spec[i].prefix;
    }
    struct conf_acl conf = {rules, 8};
    struct acl *acl = acl_build(&conf, ACL_NTP, NULL, NULL, NULL);
    const char *probe[] = {"10.1.2.200",      "192.168.1.9",   "8.8.8.8",
                           "2001:db8:1:2::5", "2001:db8:5::1", "::ffff:10.9.9.9"};
    struct tock_ip ips[6];
    for (int i = 0; i < 6; i++)
        tock_ip_parse(probe[i], &ips[i]);
    const int n = 20000000;
    double t0 = now_s();
    uint64_t allowed = 0;
    for (int i = 0; i < n; i++)
        allowed += acl_allowed(acl, &ips[i % 6]);
    double dt = now_s() - t0;
    sink += allowed;
    printf("acl_allowed (8 rules, mixed v4/v6/mapped): %.1f ns\n", dt / n * 1e9);
    acl_free(acl);
}

static void bench_clientlog(void)
{
    uint32_t seed = 0x12345678;
    struct clientlog_params p = {.active = true, .limit_bytes = CLIENTLOG_DEFAULT_LIMIT};
    p.ntp = (struct conf_ratelimit){.enabled = true, .interval = 3, .burst = 8, .leak = 2};
    struct server_stats stats = {0};
    const char *err;
    struct clientlog *log = clientlog_create(&p, &stats, xorshift, &seed, &err);
    const int clients = 4000, n = 20000000;
    struct tock_ip *ips = calloc(clients, sizeof(*ips));
    for (int i = 0; i < clients; i++) {
        ips[i].family = AF_INET;
        ips[i].addr[0] = 10;
        ips[i].addr[1] = (uint8_t)(i >> 16);
        ips[i].addr[2] = (uint8_t)(i >> 8);
        ips[i].addr[3] = (uint8_t)i;
    }
    struct timespec ts = {1700000000, 0};
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        ts.tv_nsec += 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_nsec = 0;
            ts.tv_sec++;
        }
        sink += clientlog_access(log, CLIENTLOG_NTP, &ips[i % clients], &ts);
    }
    double dt = now_s() - t0;
    printf("clientlog_access (4000 clients, ratelimit on, 1M req/s): %.1f ns  (%llu dropped)\n",
           dt / n * 1e9, (unsigned long long)stats.ntp_drops);

    /* A flood of new addresses: every request creates or evicts a record. */
    t0 = now_s();
    for (int i = 0; i < n / 4; i++) {
        struct tock_ip ip = {.family = AF_INET};
        uint32_t a = xorshift(&seed);
        memcpy(ip.addr, &a, 4);
        sink += clientlog_access(log, CLIENTLOG_NTP, &ip, &ts);
    }
    dt = now_s() - t0;
    printf("clientlog_access (random new addresses, table full): %.1f ns  (%llu evictions)\n",
           dt / (n / 4) * 1e9, (unsigned long long)stats.log_drops);
    clientlog_free(log);
    free(ips);
}

static void bench_mac(void)
{
    static const char keyfile[] = "1 MD5 HEX:00112233445566778899AABBCCDDEEFF0011\n"
                                  "2 SHA1 HEX:0102030405060708090A0B0C0D0E0F1011121314\n"
                                  "3 SHA256 HEX:A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8"
                                  "B9BABBBCBDBEBF\n"
                                  "4 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
                                  "5 SHA512 HEX:0102030405060708090A0B0C0D0E0F1011121314\n";
    struct keys_table *t = keys_parse("bench", keyfile, sizeof(keyfile) - 1, NULL);
    const char *names[] = {"MD5", "SHA1", "SHA256", "AES128-CMAC", "SHA512"};
    for (uint32_t id = 1; id <= 5; id++) {
        uint8_t pkt[128] = {0x23};
        size_t len = mac_append(t, id, 4, pkt, NTP_HEADER_LEN, sizeof(pkt));
        struct ntp_packet_view v;
        ntp_packet_parse(pkt, len, &v);
        const int n = 2000000;
        double t0 = now_s();
        for (int i = 0; i < n; i++)
            sink += mac_check(t, pkt, &v, NULL);
        double check = (now_s() - t0) / n * 1e9;
        t0 = now_s();
        for (int i = 0; i < n; i++)
            sink += mac_append(t, id, 4, pkt, NTP_HEADER_LEN, sizeof(pkt));
        double append = (now_s() - t0) / n * 1e9;
        printf("%-12s mac_check %.0f ns, mac_append %.0f ns (%zu-byte packet)\n", names[id - 1],
               check, append, len);
    }
    keys_free(t);
}

int main(void)
{
    bench_acl();
    bench_clientlog();
    bench_mac();
    return 0;
}
