/* nts_probe: drives tock's NTS code against another implementation (chronyd), for
 * tests/integration/test_nts_chronyd.py. Built by that test against the build libraries.
 *
 *   nts_probe client ADDR KE_PORT NAME CAFILE [NTSKEYS]
 *       NTS-KE with tock's TLS client, then NTS-protected NTP requests to the negotiated
 *       server, then a request with a damaged cookie (expects an NTS NAK). With NTSKEYS
 *       (the server's key file), also opens the server's cookies with tock's key ring.
 *   nts_probe attack ADDR KE_PORT NAME CAFILE WAIT
 *       NTS-KE, then a request with a tampered authenticator (expects an NTS NAK), a valid
 *       request (expects a reply), and after WAIT seconds the very same request replayed
 *       (expects an NTS NAK when the server rotated the cookie's key out of its ring in
 *       the meantime; prints what came back either way).
 *   nts_probe request ADDR KE_PORT NAME CAFILE OUTFILE
 *       NTS-KE, then writes one NTS-protected request (cookie, no placeholder) to OUTFILE,
 *       for a load generator that replays it (bench/nts.sh).
 *   nts_probe keload ADDR KE_PORT NAME CAFILE COUNT PARALLEL
 *       COUNT NTS-KE exchanges, PARALLEL at a time; prints the rate (bench/nts.sh).
 *   nts_probe keyfile PATH nks0|nks1
 *       Writes a fresh key ring as a key file (to share with a chronyd NTS-KE server).
 *   nts_probe server KE_PORT NTP_PORT CERT KEY SECONDS
 *       A minimal NTS-KE + NTS-NTP server on 127.0.0.1 built from tock's modules, for a
 *       chronyd client; prints what it served when it ends (SIGTERM or SECONDS).
 *
 * Output: one "KEY value..." line per step; exit status 0 when every step succeeded.
 * Only loopback traffic; every wait is bounded.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
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
#include "proto/ntp_time.h"
#include "proto/ntske.h"
#include "util/addr.h"

static int os_random(void *arg, uint8_t *buf, size_t len)
{
    (void)arg;
    while (len > 0) {
        ssize_t r = getrandom(buf, len, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += r;
        len -= (size_t)r;
    }
    return 0;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int fill_addr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct tock_endpoint ep = {.port = (uint16_t)port};
    if (tock_ip_parse(addr, &ep.ip) != 0)
        return -1;
    *len = tock_endpoint_to_sockaddr(&ep, ss);
    return *len ? 0 : -1;
}

/* ---- client ---- */

static int ke_exchange(const char *addr, int port, const char *name, const char *ca,
                       struct ntske_response *resp, struct nts_keys *keys)
{
    char err[NTSKE_TLS_ERRLEN];
    const char *trusted[] = {ca};
    struct ntske_tls_client *cli = ntske_tls_client_new(false, trusted, 1, err, sizeof(err));
    if (!cli) {
        printf("KE error %s\n", err);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t slen;
    if (fill_addr(addr, port, &ss, &slen) != 0)
        return -1;
    int fd = socket(ss.ss_family, SOCK_STREAM, 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    if (connect(fd, (struct sockaddr *)&ss, slen) != 0 && errno != EINPROGRESS) {
        printf("KE error connect: %s\n", strerror(errno));
        return -1;
    }
    struct ntske_tls_client_opts o = {.server_name = name, .connecting = true, .timeout = 10};
    struct ntske_tls_session *s = ntske_tls_connect(cli, fd, &o, mono());
    int st = NTSKE_TLS_WANT_WRITE, result = -1;
    while (s && st != NTSKE_TLS_DONE && st != NTSKE_TLS_FAILED) {
        struct pollfd p = {.fd = fd, .events = st == NTSKE_TLS_WANT_READ ? POLLIN : POLLOUT};
        if (st != NTSKE_TLS_MESSAGE)
            poll(&p, 1, 100);
        st = ntske_tls_step(s, mono());
        if (st == NTSKE_TLS_MESSAGE)
            result = ntske_tls_client_result(s, resp, keys);
    }
    printf("KE tls=%s result=%s aead=%d cookies=%d cookie_len=%d port=%d server=%s\n",
           st == NTSKE_TLS_DONE ? "done" : ntske_tls_error(s), ntske_response_status_name(result),
           resp->aead, resp->cookies.n, resp->cookies.n ? resp->cookies.len[0] : 0, resp->port,
           resp->server[0] ? resp->server : "-");
    ntske_tls_free(s);
    ntske_tls_client_free(cli);
    close(fd);
    return result == NTSKE_RESP_OK ? 0 : -1;
}

/* Sends one NTS request with the given cookie; returns the enum nts_ef_client_result, or
 * -2 when nothing came back. */
static int ntp_exchange(int fd, const struct sockaddr_storage *ss, socklen_t slen,
                        const struct nts_keys *keys, const uint8_t *cookie, size_t cookie_len,
                        int placeholders, struct nts_cookie_set *got, size_t *req_len,
                        size_t *reply_len, int *stratum)
{
    uint8_t pkt[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN], reply[2048];
    struct ntp_header h = {.version = 4, .mode = NTP_MODE_CLIENT, .poll = 6};
    os_random(NULL, (uint8_t *)&h.transmit_ts, sizeof(h.transmit_ts));
    ntp_header_encode(&h, pkt);
    size_t len = NTP_HEADER_LEN;
    if (nts_ef_client_build(pkt, sizeof(pkt), &len, keys, cookie, cookie_len, placeholders,
                            os_random, NULL, uid) != 0)
        return -3;
    *req_len = len;
    if (sendto(fd, pkt, len, 0, (const struct sockaddr *)ss, slen) != (ssize_t)len)
        return -3;
    double end = mono() + 2;
    while (mono() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = recv(fd, reply, sizeof(reply), 0);
        struct ntp_packet_view v;
        if (n <= 0 || ntp_packet_parse(reply, (size_t)n, &v) != NTP_OK ||
            v.h.origin_ts != h.transmit_ts)
            continue;
        *reply_len = (size_t)n;
        *stratum = v.h.stratum;
        return nts_ef_client_check(reply, &v, keys, uid, got);
    }
    return -2;
}

static const char *ef_result(int r)
{
    switch (r) {
    case NTS_EF_CLIENT_OK:
        return "ok";
    case NTS_EF_CLIENT_NAK:
        return "nak";
    case NTS_EF_CLIENT_INVALID:
        return "invalid";
    case -2:
        return "timeout";
    default:
        return "error";
    }
}

static int read_file(const char *path, char *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    *len = fread(buf, 1, cap, f);
    fclose(f);
    return 0;
}

static int client(int argc, char **argv)
{
    if (argc < 6)
        return 2;
    const char *addr = argv[2], *name = argv[4], *ca = argv[5];
    int ke_port = atoi(argv[3]), failures = 0;
    static struct ntske_response resp;
    static struct nts_cookie_set got;
    static struct {
        int n;
        uint16_t len[3 * NTS_MAX_COOKIES];
        uint8_t data[3 * NTS_MAX_COOKIES][NTS_COOKIE_MAX_LEN];
    } all; /* every cookie the server gave, from NTS-KE and from NTP replies */
    struct nts_keys keys;
    if (ke_exchange(addr, ke_port, name, ca, &resp, &keys) != 0)
        return 1;
    for (int i = 0; i < resp.cookies.n; i++) {
        all.len[all.n] = resp.cookies.len[i];
        memcpy(all.data[all.n++], resp.cookies.data[i], resp.cookies.len[i]);
    }

    const char *ntp_addr = resp.server[0] ? resp.server : addr;
    int ntp_port = resp.port ? resp.port : 123;
    struct sockaddr_storage ss;
    socklen_t slen;
    if (fill_addr(ntp_addr, ntp_port, &ss, &slen) != 0) {
        printf("NTP error cannot use server %s\n", ntp_addr);
        return 1;
    }
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    /* Cookie 0 alone, cookie 1 with placeholders for a refill, cookie 2 alone. */
    for (int i = 0; i < 3; i++) {
        int ph = i == 1 ? nts_ef_client_placeholders(resp.cookies.n - 2, resp.cookies.len[i]) : 0;
        size_t req_len = 0, reply_len = 0;
        int stratum = -1;
        int r = ntp_exchange(fd, &ss, slen, &keys, resp.cookies.data[i], resp.cookies.len[i], ph,
                             &got, &req_len, &reply_len, &stratum);
        printf("NTP %d result=%s placeholders=%d cookies=%d req_len=%zu reply_len=%zu "
               "stratum=%d\n",
               i, ef_result(r), ph, r == 0 ? got.n : 0, req_len, reply_len, stratum);
        failures += r != NTS_EF_CLIENT_OK || got.n != 1 + ph || reply_len != req_len;
        for (int j = 0; r == 0 && j < got.n && all.n < 3 * NTS_MAX_COOKIES; j++) {
            all.len[all.n] = got.len[j];
            memcpy(all.data[all.n++], got.data[j], got.len[j]);
        }
    }
    /* A damaged cookie: the server cannot open it and must answer with an NTS NAK. */
    uint8_t bad[NTS_COOKIE_MAX_LEN];
    memcpy(bad, resp.cookies.data[3], resp.cookies.len[3]);
    bad[resp.cookies.len[3] - 1] ^= 0x55;
    size_t req_len = 0, reply_len = 0;
    int stratum = -1;
    int r = ntp_exchange(fd, &ss, slen, &keys, bad, resp.cookies.len[3], 0, &got, &req_len,
                         &reply_len, &stratum);
    printf("NAK result=%s reply_len=%zu stratum=%d\n", ef_result(r), reply_len, stratum);
    failures += r != NTS_EF_CLIENT_NAK;
    close(fd);

    if (argc > 6) {
        /* The server's own key file opens its cookies with tock's key ring. */
        static char text[4096];
        size_t len = 0;
        struct nts_keyring kr;
        const char *err = NULL;
        int opened = 0, match = 0;
        if (read_file(argv[6], text, sizeof(text), &len) != 0 ||
            nts_keyring_init(&kr, 0, mono(), os_random, NULL) != 0 ||
            nts_keyring_parse(&kr, text, len, mono(), &err) != 0) {
            printf("KEYFILE error %s\n", err ? err : "cannot read");
            return 1;
        }
        for (int i = 0; i < all.n; i++) {
            struct nts_keys k;
            if (nts_cookie_open(&kr, all.data[i], all.len[i], &k) != NTS_COOKIE_OK)
                continue;
            opened++;
            match += memcmp(k.c2s, keys.c2s, 32) == 0 && memcmp(k.s2c, keys.s2c, 32) == 0;
        }
        printf("KEYFILE opened=%d match=%d of=%d\n", opened, match, all.n);
        failures += opened != all.n || match != all.n;
    }
    return failures ? 1 : 0;
}

/* ---- server ---- */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

#define MAX_SESSIONS 4

static int server(int argc, char **argv)
{
    if (argc < 7)
        return 2;
    int ke_port = atoi(argv[2]), ntp_port = atoi(argv[3]);
    double seconds = atof(argv[6]);
    char err[NTSKE_TLS_ERRLEN];
    const char *certs[] = {argv[4]}, *keys[] = {argv[5]};
    struct ntske_tls_server *srv = ntske_tls_server_new(certs, keys, 1, err, sizeof(err));
    static struct nts_keyring kr;
    if (!srv || nts_keyring_init(&kr, 3600, mono(), os_random, NULL) != 0) {
        printf("SERVER error %s\n", srv ? "key ring" : err);
        return 1;
    }
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_storage ss;
    socklen_t slen;
    int one = 1;
    fill_addr("127.0.0.1", ke_port, &ss, &slen);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(lfd, (struct sockaddr *)&ss, slen) != 0 || listen(lfd, 8) != 0)
        return 1;
    fill_addr("127.0.0.1", ntp_port, &ss, &slen);
    int ufd = socket(AF_INET, SOCK_DGRAM, 0);
    if (bind(ufd, (struct sockaddr *)&ss, slen) != 0)
        return 1;
    fcntl(lfd, F_SETFL, O_NONBLOCK);
    fcntl(ufd, F_SETFL, O_NONBLOCK);
    printf("SERVER ready\n");
    fflush(stdout);

    struct {
        struct ntske_tls_session *s;
        int fd, st;
    } sess[MAX_SESSIONS] = {0};
    int ke_ok = 0, ke_failed = 0, ntp_ok = 0, naks = 0, drops = 0;
    static const uint16_t aeads[] = {NTS_AEAD_AES_SIV_CMAC_256};
    struct ntske_server_params params = {.ntp_port = (uint16_t)ntp_port};
    double end = mono() + seconds;
    while (!stop && mono() < end) {
        struct pollfd p[2 + MAX_SESSIONS];
        int n = 0;
        p[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
        p[n++] = (struct pollfd){.fd = ufd, .events = POLLIN};
        for (int i = 0; i < MAX_SESSIONS; i++)
            if (sess[i].s)
                p[n++] = (struct pollfd){.fd = sess[i].fd,
                                         .events =
                                             sess[i].st == NTSKE_TLS_WANT_WRITE ? POLLOUT : POLLIN};
        poll(p, (nfds_t)n, 100);
        int cfd = accept(lfd, NULL, NULL);
        if (cfd >= 0) {
            fcntl(cfd, F_SETFL, O_NONBLOCK);
            int i = 0;
            while (i < MAX_SESSIONS && sess[i].s)
                i++;
            if (i == MAX_SESSIONS) {
                close(cfd);
            } else {
                sess[i].s = ntske_tls_accept(srv, cfd, mono(), 0);
                sess[i].fd = cfd;
                sess[i].st = NTSKE_TLS_WANT_READ;
            }
        }
        for (int i = 0; i < MAX_SESSIONS; i++) {
            if (!sess[i].s)
                continue;
            int st = ntske_tls_step(sess[i].s, mono());
            if (st == NTSKE_TLS_MESSAGE) {
                ntske_tls_server_respond(sess[i].s, &params, aeads, 1, nts_keyring_current(&kr),
                                         os_random, NULL, NULL);
                st = ntske_tls_step(sess[i].s, mono());
            }
            sess[i].st = st;
            if (st == NTSKE_TLS_DONE || st == NTSKE_TLS_FAILED) {
                if (st == NTSKE_TLS_DONE)
                    ke_ok++;
                else {
                    ke_failed++;
                    printf("KE failed %s\n", ntske_tls_error(sess[i].s));
                }
                ntske_tls_free(sess[i].s);
                close(sess[i].fd);
                sess[i].s = NULL;
            }
        }
        for (;;) {
            uint8_t req[2048], reply[NTP_MAX_PACKET_LEN];
            struct sockaddr_storage from;
            socklen_t flen = sizeof(from);
            struct iovec iov = {.iov_base = req, .iov_len = sizeof(req)};
            struct msghdr mh = {
                .msg_name = &from, .msg_namelen = flen, .msg_iov = &iov, .msg_iovlen = 1};
            ssize_t len = recvmsg(ufd, &mh, 0);
            if (len <= 0)
                break;
            struct timespec rx;
            clock_gettime(CLOCK_REALTIME, &rx);
            struct ntp_packet_view v;
            static struct nts_ef_server_state st;
            if (ntp_packet_parse(req, (size_t)len, &v) != NTP_OK)
                continue;
            int r = nts_ef_server_check(req, &v, &kr, os_random, NULL, &st);
            struct ntp_header h = {.version = 4,
                                   .mode = NTP_MODE_SERVER,
                                   .poll = v.h.poll,
                                   .precision = -20,
                                   .origin_ts = v.h.transmit_ts};
            size_t rlen = NTP_HEADER_LEN;
            if (r == NTS_EF_OK) {
                h.stratum = 1;
                h.refid = 0x544f434b; /* "TOCK" */
                h.root_dispersion = 0x10;
                h.receive_ts = ntp_ts_from_timespec(&rx);
                h.reference_ts = h.receive_ts;
                struct timespec tx;
                clock_gettime(CLOCK_REALTIME, &tx);
                h.transmit_ts = ntp_ts_from_timespec(&tx);
                ntp_header_encode(&h, reply);
                if (nts_ef_server_reply(req, &v, &st, reply, sizeof(reply), &rlen) != 0)
                    continue;
                ntp_ok++;
            } else if (r == NTS_EF_NAK_COOKIE || r == NTS_EF_NAK_AUTH) {
                h.leap = NTP_LEAP_UNSYNC;
                h.refid = NTP_KISS_NTSN;
                ntp_header_encode(&h, reply);
                if (nts_ef_server_nak(req, &v, reply, sizeof(reply), &rlen) != 0)
                    continue;
                naks++;
            } else {
                drops++;
                continue;
            }
            sendto(ufd, reply, rlen, 0, (struct sockaddr *)&from, mh.msg_namelen);
        }
    }
    printf("SERVED ke_ok=%d ke_failed=%d ntp_ok=%d nak=%d drop=%d\n", ke_ok, ke_failed, ntp_ok,
           naks, drops);
    for (int i = 0; i < MAX_SESSIONS; i++)
        if (sess[i].s) {
            ntske_tls_free(sess[i].s);
            close(sess[i].fd);
        }
    ntske_tls_server_free(srv);
    close(lfd);
    close(ufd);
    return 0;
}

static int keyfile(int argc, char **argv)
{
    static struct nts_keyring kr;
    char text[NTS_KEYRING_TEXT_MAX];
    if (argc < 4 || nts_keyring_init(&kr, 0, mono(), os_random, NULL) != 0)
        return 2;
    int n = nts_keyring_format(&kr, mono(),
                               strcmp(argv[3], "nks1") == 0 ? NTS_KEYFILE_NKS1 : NTS_KEYFILE_NKS0,
                               text, sizeof(text));
    FILE *f = fopen(argv[2], "w");
    if (n < 0 || !f || fwrite(text, 1, (size_t)n, f) != (size_t)n || fclose(f) != 0)
        return 1;
    return 0;
}

/* Sends a ready request and checks the reply to it. Returns the enum nts_ef_client_result
 * or -2 when nothing came back. */
static int send_request(int fd, const struct sockaddr_storage *ss, socklen_t slen,
                        const uint8_t *pkt, size_t len, const struct nts_keys *keys,
                        const uint8_t uid[NTS_UID_LEN], size_t *reply_len, int *stratum)
{
    uint8_t reply[2048];
    static struct nts_cookie_set got;
    if (sendto(fd, pkt, len, 0, (const struct sockaddr *)ss, slen) != (ssize_t)len)
        return -3;
    double end = mono() + 2;
    while (mono() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue;
        ssize_t n = recv(fd, reply, sizeof(reply), 0);
        struct ntp_packet_view v;
        if (n <= 0 || ntp_packet_parse(reply, (size_t)n, &v) != NTP_OK ||
            memcmp(reply + 24, pkt + 40, 8) != 0)
            continue;
        *reply_len = (size_t)n;
        *stratum = v.h.stratum;
        return nts_ef_client_check(reply, &v, keys, uid, &got);
    }
    return -2;
}

static int attack(int argc, char **argv)
{
    if (argc < 7)
        return 2;
    const char *addr = argv[2], *name = argv[4], *ca = argv[5];
    int ke_port = atoi(argv[3]), failures = 0;
    double wait = atof(argv[6]);
    static struct ntske_response resp;
    struct nts_keys keys;
    if (ke_exchange(addr, ke_port, name, ca, &resp, &keys) != 0)
        return 1;
    const char *ntp_addr = resp.server[0] ? resp.server : addr;
    struct sockaddr_storage ss;
    socklen_t slen;
    if (fill_addr(ntp_addr, resp.port ? resp.port : 123, &ss, &slen) != 0)
        return 1;
    int fd = socket(ss.ss_family, SOCK_DGRAM, 0);
    uint8_t pkt[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
    size_t reply_len = 0;
    int stratum = -1;
    for (int step = 0; step < 2; step++) {
        struct ntp_header h = {.version = 4, .mode = NTP_MODE_CLIENT, .poll = 6};
        os_random(NULL, (uint8_t *)&h.transmit_ts, sizeof(h.transmit_ts));
        ntp_header_encode(&h, pkt);
        size_t len = NTP_HEADER_LEN;
        if (nts_ef_client_build(pkt, sizeof(pkt), &len, &keys, resp.cookies.data[step],
                                resp.cookies.len[step], 0, os_random, NULL, uid) != 0)
            return 1;
        if (step == 0) {
            pkt[len - 1] ^= 0x01; /* the authenticator's tag */
            int r = send_request(fd, &ss, slen, pkt, len, &keys, uid, &reply_len, &stratum);
            printf("TAMPER result=%s reply_len=%zu stratum=%d\n", ef_result(r), reply_len, stratum);
            failures += r != NTS_EF_CLIENT_NAK;
            continue;
        }
        int r = send_request(fd, &ss, slen, pkt, len, &keys, uid, &reply_len, &stratum);
        printf("VALID result=%s reply_len=%zu req_len=%zu\n", ef_result(r), reply_len, len);
        failures += r != NTS_EF_CLIENT_OK;
        if (wait > 0) {
            double end = mono() + wait;
            while (mono() < end)
                poll(NULL, 0, 50);
            r = send_request(fd, &ss, slen, pkt, len, &keys, uid, &reply_len, &stratum);
            printf("REPLAY result=%s reply_len=%zu stratum=%d\n", ef_result(r), reply_len, stratum);
        }
    }
    close(fd);
    return failures ? 1 : 0;
}

static int request_file(int argc, char **argv)
{
    if (argc < 7)
        return 2;
    static struct ntske_response resp;
    struct nts_keys keys;
    uint8_t pkt[NTP_MAX_PACKET_LEN], uid[NTS_UID_LEN];
    if (ke_exchange(argv[2], atoi(argv[3]), argv[4], argv[5], &resp, &keys) != 0)
        return 1;
    struct ntp_header h = {.version = 4, .mode = NTP_MODE_CLIENT, .poll = 6};
    os_random(NULL, (uint8_t *)&h.transmit_ts, sizeof(h.transmit_ts));
    ntp_header_encode(&h, pkt);
    size_t len = NTP_HEADER_LEN;
    if (nts_ef_client_build(pkt, sizeof(pkt), &len, &keys, resp.cookies.data[0],
                            resp.cookies.len[0], 0, os_random, NULL, uid) != 0)
        return 1;
    FILE *f = fopen(argv[6], "wb");
    if (!f || fwrite(pkt, 1, len, f) != len || fclose(f) != 0)
        return 1;
    printf("REQUEST len=%zu port=%d\n", len, resp.port);
    return 0;
}

/* Many NTS-KE exchanges, `parallel` sessions at a time, each on its own connection. */
static int keload(int argc, char **argv)
{
    if (argc < 8)
        return 2;
    int count = atoi(argv[6]), parallel = atoi(argv[7]), started = 0, done = 0, failed = 0;
    if (count < 1 || count > 1000000 || parallel < 1 || parallel > 64)
        return 2;
    char err[NTSKE_TLS_ERRLEN];
    const char *trusted[] = {argv[5]};
    struct ntske_tls_client *cli = ntske_tls_client_new(false, trusted, 1, err, sizeof(err));
    struct sockaddr_storage ss;
    socklen_t slen;
    if (!cli || fill_addr(argv[2], atoi(argv[3]), &ss, &slen) != 0)
        return 1;
    struct {
        struct ntske_tls_session *s;
        int fd, st;
    } sess[64] = {0};
    static struct ntske_response resp;
    double t0 = mono(), deadline = t0 + 600;
    while (done < count && mono() < deadline) {
        struct pollfd p[64];
        int map[64], n = 0;
        for (int i = 0; i < parallel; i++) {
            if (!sess[i].s && started < count) {
                int fd = socket(ss.ss_family, SOCK_STREAM, 0);
                fcntl(fd, F_SETFL, O_NONBLOCK);
                if (connect(fd, (struct sockaddr *)&ss, slen) != 0 && errno != EINPROGRESS) {
                    close(fd);
                    failed++;
                    done++;
                    started++;
                    continue;
                }
                struct ntske_tls_client_opts o = {.server_name = argv[4], .connecting = true};
                sess[i].s = ntske_tls_connect(cli, fd, &o, mono());
                sess[i].fd = fd;
                sess[i].st = NTSKE_TLS_WANT_WRITE;
                started++;
            }
            if (sess[i].s) {
                p[n] =
                    (struct pollfd){.fd = sess[i].fd,
                                    .events = sess[i].st == NTSKE_TLS_WANT_READ ? POLLIN : POLLOUT};
                map[n++] = i;
            }
        }
        if (n == 0)
            break;
        poll(p, (nfds_t)n, 100);
        for (int k = 0; k < n; k++) {
            int i = map[k];
            if (!p[k].revents && mono() < ntske_tls_deadline(sess[i].s))
                continue;
            struct nts_keys keys;
            int st = ntske_tls_step(sess[i].s, mono());
            int ok = 0;
            if (st == NTSKE_TLS_MESSAGE) {
                ok = ntske_tls_client_result(sess[i].s, &resp, &keys) == NTSKE_RESP_OK;
                st = ntske_tls_step(sess[i].s, mono());
                if (!ok)
                    st = NTSKE_TLS_FAILED;
            }
            sess[i].st = st;
            if (st == NTSKE_TLS_DONE || st == NTSKE_TLS_FAILED) {
                failed += st == NTSKE_TLS_FAILED;
                done++;
                ntske_tls_free(sess[i].s);
                close(sess[i].fd);
                sess[i].s = NULL;
            }
        }
    }
    double dt = mono() - t0;
    printf("KELOAD done=%d failed=%d seconds=%.3f rate=%.0f\n", done, failed, dt,
           dt > 0 ? (done - failed) / dt : 0);
    ntske_tls_client_free(cli);
    return failed ? 1 : 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "client") == 0)
        return client(argc, argv);
    if (argc > 1 && strcmp(argv[1], "server") == 0)
        return server(argc, argv);
    if (argc > 1 && strcmp(argv[1], "keyfile") == 0)
        return keyfile(argc, argv);
    if (argc > 1 && strcmp(argv[1], "attack") == 0)
        return attack(argc, argv);
    if (argc > 1 && strcmp(argv[1], "request") == 0)
        return request_file(argc, argv);
    if (argc > 1 && strcmp(argv[1], "keload") == 0)
        return keload(argc, argv);
    fprintf(stderr, "usage: nts_probe client|server|keyfile ...\n");
    return 2;
}
