/* Micro-benchmark of tock's NTS parts: AES-SIV, cookie seal/open, the whole server work
 * per NTS request (check + reply) and the client's, and optionally NTS-KE exchanges over
 * loopback TLS (both ends in this process; the server's share is timed separately).
 * Not a test.
 *
 *   make && cc -O2 -std=c11 -D_GNU_SOURCE -Isrc bench/nts_micro.c build/libtockd.a \
 *       build/libtock.a -lssl -lcrypto -lnettle -lm -o build/nts_micro && \
 *   tests/certs/make-test-certs.sh /tmp/nts-bench-certs >/dev/null && \
 *   build/nts_micro /tmp/nts-bench-certs
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "crypto/nts_cookie.h"
#include "daemon/ntske_tls.h"
#include "proto/nts_ef.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fast_random(void *arg, uint8_t *buf, size_t len)
{
    uint64_t *s = arg;
    for (size_t i = 0; i < len; i++) {
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        buf[i] = (uint8_t)*s;
    }
    return 0;
}

static int os_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    return getrandom(buf, len, 0) == (ssize_t)len ? 0 : -1;
}

#define BENCH(label, n, unit, body)                                                                \
    do {                                                                                           \
        double t0_ = now_s();                                                                      \
        for (long i_ = 0; i_ < (n); i_++) {                                                        \
            body;                                                                                  \
        }                                                                                          \
        double per_ = (now_s() - t0_) / (double)(n);                                               \
        printf("%-52s %9.2f %s\n", label, per_ *((unit)[0] == 'u' ? 1e6 : 1e9), unit);             \
    } while (0)

static volatile int sink;

static void pure_parts(nts_random_fn rnd, void *arg, const char *tag)
{
    static struct nts_keyring kr;
    static struct nts_ef_server_state st;
    static struct nts_cookie_set got;
    struct nts_keys keys = {.aead = 15, .key_len = 32}, out;
    uint8_t cookie[NTS_COOKIE_LEN], pkt[NTP_MAX_PACKET_LEN], reply[NTP_MAX_PACKET_LEN],
        uid[NTS_UID_LEN], ad[188] = {1};
    char label[96];
    nts_keyring_init(&kr, 3600, 0, rnd, arg);
    rnd(arg, keys.c2s, 32);
    rnd(arg, keys.s2c, 32);
    nts_cookie_seal(nts_keyring_current(&kr), &keys, rnd, arg, cookie, sizeof(cookie));
    printf("-- random source: %s\n", tag);

    struct siv_ctx siv;
    BENCH("siv_set_key", 1000000, "ns", siv_set_key(&siv, keys.c2s));
    BENCH("siv_encrypt, empty plaintext, 188-byte AD (client auth)", 1000000, "ns",
          siv_encrypt(&siv, ad, 16, ad, sizeof(ad), NULL, 0, pkt));
    BENCH("siv_encrypt, 104-byte plaintext, 84-byte AD (reply)", 1000000, "ns",
          siv_encrypt(&siv, ad, 16, ad, 84, pkt + 200, 104, pkt));
    BENCH("nts_cookie_seal", 1000000, "ns",
          sink += nts_cookie_seal(nts_keyring_current(&kr), &keys, rnd, arg, pkt, 100));
    BENCH("nts_cookie_open", 1000000, "ns", sink += nts_cookie_open(&kr, cookie, 100, &out));

    for (int ph = 0; ph < 8; ph += 7) {
        struct ntp_header h = {.version = 4, .mode = NTP_MODE_CLIENT};
        ntp_header_encode(&h, pkt);
        size_t len = NTP_HEADER_LEN;
        nts_ef_client_build(pkt, sizeof(pkt), &len, &keys, cookie, 100, ph, rnd, arg, uid);
        struct ntp_packet_view v, rv;
        ntp_packet_parse(pkt, len, &v);
        snprintf(label, sizeof(label), "server: parse+check+reply, %zu-byte request (%d cookie%s)",
                 len, 1 + ph, ph ? "s" : "");
        size_t rlen = 0;
        BENCH(label, ph ? 100000 : 300000, "us", {
            ntp_packet_parse(pkt, len, &v);
            sink += nts_ef_server_check(pkt, &v, &kr, rnd, arg, &st);
            h.mode = NTP_MODE_SERVER;
            ntp_header_encode(&h, reply);
            rlen = NTP_HEADER_LEN;
            sink += nts_ef_server_reply(pkt, &v, &st, reply, sizeof(reply), &rlen);
        });
        ntp_packet_parse(reply, rlen, &rv);
        snprintf(label, sizeof(label), "client: build + check reply (%d cookie%s)", 1 + ph,
                 ph ? "s" : "");
        BENCH(label, ph ? 100000 : 300000, "us", {
            size_t l = NTP_HEADER_LEN;
            sink +=
                nts_ef_client_build(pkt, sizeof(pkt), &l, &keys, cookie, 100, ph, rnd, arg, uid);
            ntp_packet_parse(reply, rlen, &rv);
            sink += nts_ef_client_check(reply, &rv, &keys, uid, &got);
        });
    }
}

static void ke_exchanges(const char *dir)
{
    char cert[256], key[256], ca[256], err[NTSKE_TLS_ERRLEN];
    snprintf(cert, sizeof(cert), "%s/server.pem", dir);
    snprintf(key, sizeof(key), "%s/server.key", dir);
    snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
    const char *certs[] = {cert}, *keys[] = {key}, *trusted[] = {ca};
    struct ntske_tls_server *srv = ntske_tls_server_new(certs, keys, 1, err, sizeof(err));
    struct ntske_tls_client *cli = ntske_tls_client_new(false, trusted, 1, err, sizeof(err));
    if (!srv || !cli) {
        printf("NTS-KE: %s\n", err);
        return;
    }
    static struct nts_keyring kr;
    nts_keyring_init(&kr, 3600, 0, os_random, NULL);
    static const uint16_t aeads[] = {15};
    struct ntske_server_params p = {.ntp_port = 123};
    int n = 300, ok = 0;
    double server_time = 0, t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof(a);
        int l = socket(AF_INET, SOCK_STREAM, 0);
        bind(l, (struct sockaddr *)&a, sizeof(a));
        listen(l, 1);
        getsockname(l, (struct sockaddr *)&a, &alen);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        connect(c, (struct sockaddr *)&a, sizeof(a));
        int s = accept(l, NULL, NULL);
        close(l);
        fcntl(c, F_SETFL, O_NONBLOCK);
        fcntl(s, F_SETFL, O_NONBLOCK);
        struct ntske_tls_client_opts o = {.server_name = "localhost"};
        struct ntske_tls_session *ss = ntske_tls_accept(srv, s, now_s(), 0);
        struct ntske_tls_session *cs = ntske_tls_connect(cli, c, &o, now_s());
        int sst = 1, cst = 1;
        static struct ntske_response resp;
        struct nts_keys k;
        while ((sst > 0 || cst > 0) && now_s() - t0 < 60) {
            if (sst > 0) {
                double a0 = now_s();
                sst = ntske_tls_step(ss, a0);
                if (sst == NTSKE_TLS_MESSAGE) {
                    ntske_tls_server_respond(ss, &p, aeads, 1, nts_keyring_current(&kr), os_random,
                                             NULL, NULL);
                    sst = ntske_tls_step(ss, now_s());
                }
                server_time += now_s() - a0;
            }
            if (cst > 0) {
                cst = ntske_tls_step(cs, now_s());
                if (cst == NTSKE_TLS_MESSAGE && ntske_tls_client_result(cs, &resp, &k) == 0)
                    ok++;
            }
        }
        ntske_tls_free(ss);
        ntske_tls_free(cs);
        close(c);
        close(s);
    }
    double total = now_s() - t0;
    printf("NTS-KE over loopback (EC P-256 certificate, X25519): %d/%d exchanges\n", ok, n);
    printf("%-52s %9.2f ms\n", "  server share per exchange (TLS 1.3 + 8 cookies)",
           server_time / n * 1e3);
    printf("%-52s %9.2f ms\n", "  both ends per exchange", total / n * 1e3);
    ntske_tls_server_free(srv);
    ntske_tls_client_free(cli);
}

int main(int argc, char **argv)
{
    uint64_t seed = 88172645463325252ull;
    pure_parts(fast_random, &seed, "xorshift (as a buffered random source would cost)");
    pure_parts(os_random, NULL, "getrandom() per call");
    if (argc > 1)
        ke_exchanges(argv[1]);
    return sink == 12345 ? 1 : 0;
}
