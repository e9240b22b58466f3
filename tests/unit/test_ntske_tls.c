/* Unit tests for src/daemon/ntske_tls.c: NTS-KE over TLS 1.3 on loopback TCP sockets, with
 * certificates made at test time by tests/certs/make-test-certs.sh (skipped without
 * openssl). Our sessions are driven against each other and against plain OpenSSL peers
 * that misbehave on purpose. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "daemon/ntske_tls.h"

static char certdir[64];
static bool have_certs;
static struct nts_keyring keyring;
static uint32_t seed = 99;

static int test_random(void *arg, uint8_t *buf, size_t len)
{
    uint32_t *s = arg;
    for (size_t i = 0; i < len; i++) {
        *s = *s * 1664525u + 1013904223u;
        buf[i] = (uint8_t)(*s >> 24);
    }
    return 0;
}

static const char *cert(const char *name)
{
    static char bufs[8][128];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, 128, "%s/%s", certdir, name);
    return b;
}

static int group_setup(void **state)
{
    (void)state;
    /* The raw OpenSSL peers write() to sockets the test shuts down (tock's BIO uses
     * MSG_NOSIGNAL and needs no such thing). */
    signal(SIGPIPE, SIG_IGN);
    assert_int_equal(nts_keyring_init(&keyring, 3600, 0, test_random, &seed), 0);
    strcpy(certdir, "/tmp/tock-certs-XXXXXX");
    if (!mkdtemp(certdir))
        return 0;
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "sh tests/certs/make-test-certs.sh %s >/dev/null 2>&1", certdir);
    have_certs = system(cmd) == 0;
    if (!have_certs)
        fprintf(stderr, "cannot make test certificates (no openssl?): skipping TLS tests\n");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", certdir);
    if (system(cmd) != 0)
        return -1;
    return 0;
}

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void nonblock(int fd)
{
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/* A connected loopback TCP pair; with connecting, the client's connect() is left in
 * progress. */
static void tcp_pair(int *cfd, int *sfd, bool connecting)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(l >= 0);
    assert_int_equal(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(l, 4), 0);
    assert_int_equal(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    *cfd = socket(AF_INET, SOCK_STREAM, 0);
    if (connecting) {
        nonblock(*cfd);
        int r = connect(*cfd, (struct sockaddr *)&a, sizeof(a));
        assert_true(r == 0 || errno == EINPROGRESS);
    } else {
        assert_int_equal(connect(*cfd, (struct sockaddr *)&a, sizeof(a)), 0);
        nonblock(*cfd);
    }
    *sfd = accept(l, NULL, NULL);
    assert_true(*sfd >= 0);
    nonblock(*sfd);
    close(l);
}

/* ---- A plain OpenSSL peer ---- */

/* ALPN selection for a raw server that does speak NTS-KE. */
static int alpn_ntske(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                      const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    if (inlen >= 8 && memcmp(in, "\x07ntske/1", 8) == 0) {
        *out = in + 1;
        *outlen = 7;
        return SSL_TLSEXT_ERR_OK;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL;
}

struct raw {
    SSL_CTX *ctx;
    SSL *ssl;
    bool server;
    const uint8_t *send;
    size_t send_len, sent, chunk;
    uint8_t recv[NTSKE_MAX_MESSAGE];
    size_t recv_len;
    bool hs_done, done, failed, got_message;
};

static void raw_init(struct raw *r, int fd, bool server, const char *alpn, int max_version)
{
    memset(r, 0, sizeof(*r));
    r->server = server;
    r->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    assert_non_null(r->ctx);
    if (max_version)
        SSL_CTX_set_max_proto_version(r->ctx, max_version);
    if (server) {
        assert_int_equal(SSL_CTX_use_certificate_chain_file(r->ctx, cert("server.pem")), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey_file(r->ctx, cert("server.key"), SSL_FILETYPE_PEM),
                         1);
        SSL_CTX_set_num_tickets(r->ctx, 0);
        if (alpn)
            SSL_CTX_set_alpn_select_cb(r->ctx, alpn_ntske, NULL);
    }
    r->ssl = SSL_new(r->ctx);
    if (alpn && !server) {
        unsigned char wire[32];
        wire[0] = (unsigned char)strlen(alpn);
        memcpy(wire + 1, alpn, wire[0]);
        assert_int_equal(SSL_set_alpn_protos(r->ssl, wire, wire[0] + 1u), 0);
    }
    SSL_set_fd(r->ssl, fd); /* fine in a test; tock itself never does this */
    if (server)
        SSL_set_accept_state(r->ssl);
    else
        SSL_set_connect_state(r->ssl);
    r->chunk = 1 << 20;
}

static void raw_free(struct raw *r)
{
    SSL_free(r->ssl);
    SSL_CTX_free(r->ctx);
}

static bool raw_want(struct raw *r, int ret)
{
    int e = SSL_get_error(r->ssl, ret);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return true;
    if (e != SSL_ERROR_ZERO_RETURN)
        r->failed = true;
    else if (!r->server)
        SSL_shutdown(r->ssl); /* answers close_notify, as chrony's client (gnutls_bye RDWR) */
    r->done = true;
    return false;
}

static void raw_step(struct raw *r)
{
    if (r->done)
        return;
    ERR_clear_error();
    if (!r->hs_done) {
        int ret = SSL_do_handshake(r->ssl);
        if (ret != 1) {
            raw_want(r, ret);
            return;
        }
        r->hs_done = true;
    }
    /* A raw server first reads one whole message, then answers. */
    if (r->server && !r->got_message) {
        int ret = SSL_read(r->ssl, r->recv + r->recv_len, (int)(sizeof(r->recv) - r->recv_len));
        if (ret <= 0) {
            raw_want(r, ret);
            return;
        }
        r->recv_len += (size_t)ret;
        if (ntske_frame_check(r->recv, r->recv_len) != NTSKE_FRAME_COMPLETE)
            return;
        r->got_message = true;
    }
    while (r->sent < r->send_len) {
        size_t n = r->send_len - r->sent < r->chunk ? r->send_len - r->sent : r->chunk;
        int ret = SSL_write(r->ssl, r->send + r->sent, (int)n); /* one TLS record each */
        if (ret <= 0) {
            raw_want(r, ret);
            return;
        }
        r->sent += (size_t)ret;
    }
    if (r->server) {
        SSL_shutdown(r->ssl);
        r->done = true;
        return;
    }
    for (;;) {
        int ret = SSL_read(r->ssl, r->recv + r->recv_len, (int)(sizeof(r->recv) - r->recv_len));
        if (ret <= 0) {
            raw_want(r, ret);
            return;
        }
        r->recv_len += (size_t)ret;
    }
}

/* ---- Driving sessions ---- */

struct run {
    struct ntske_tls_session *srv, *cli;
    struct raw *raw;
    int srv_st, cli_st;
    int cli_result;
    struct ntske_response resp;
    struct nts_keys cli_keys, srv_keys;
    struct ntske_request req;
    struct ntske_server_params params;
    char cli_err[NTSKE_TLS_ERRLEN];
};

static bool terminal(int st)
{
    return st == NTSKE_TLS_DONE || st == NTSKE_TLS_FAILED;
}

/* Runs until everything is finished. As the daemon would, closes the TCP connection
 * (shutdown) once our session is done or failed, so that a raw peer sees the end. */
static void run(struct run *r, int srv_fd, int cli_fd)
{
    static const uint16_t aeads[] = {15};
    double end = now_mono() + 5;
    r->srv_st = r->srv ? NTSKE_TLS_WANT_READ : NTSKE_TLS_DONE;
    r->cli_st = r->cli ? NTSKE_TLS_WANT_WRITE : NTSKE_TLS_DONE;
    r->cli_result = 1;
    if (r->params.ntp_port == 0)
        r->params.ntp_port = 123;
    while (now_mono() < end) {
        if (r->srv && !terminal(r->srv_st)) {
            r->srv_st = ntske_tls_step(r->srv, now_mono());
            if (r->srv_st == NTSKE_TLS_MESSAGE) {
                ntske_tls_export_keys(r->srv, 15, &r->srv_keys);
                assert_int_equal(ntske_tls_server_respond(r->srv, &r->params, aeads, 1,
                                                          nts_keyring_current(&keyring),
                                                          test_random, &seed, &r->req),
                                 0);
            }
        }
        if (r->cli && !terminal(r->cli_st)) {
            r->cli_st = ntske_tls_step(r->cli, now_mono());
            if (r->cli_st == NTSKE_TLS_MESSAGE)
                r->cli_result = ntske_tls_client_result(r->cli, &r->resp, &r->cli_keys);
        }
        if (srv_fd >= 0 && terminal(r->srv_st) && r->srv)
            shutdown(srv_fd, SHUT_RDWR);
        if (cli_fd >= 0 && terminal(r->cli_st) && r->cli)
            shutdown(cli_fd, SHUT_RDWR);
        if (r->raw)
            raw_step(r->raw);
        if (terminal(r->srv_st) && terminal(r->cli_st) && (!r->raw || r->raw->done))
            break;
        poll(NULL, 0, 1);
    }
}

static struct ntske_tls_server *server_with(const char *pem, const char *key)
{
    char err[NTSKE_TLS_ERRLEN];
    const char *certs[] = {cert(pem)}, *keys[] = {cert(key)};
    struct ntske_tls_server *srv = ntske_tls_server_new(certs, keys, 1, err, sizeof(err));
    assert_non_null(srv);
    return srv;
}

static struct ntske_tls_client *client_trusting_ca(void)
{
    char err[NTSKE_TLS_ERRLEN];
    const char *trusted[] = {cert("ca.pem")};
    struct ntske_tls_client *cli = ntske_tls_client_new(false, trusted, 1, err, sizeof(err));
    assert_non_null(cli);
    return cli;
}

/* One exchange between our server and our client; returns the run for inspection. */
static void exchange(struct ntske_tls_server *srv, struct ntske_tls_client *cli,
                     const struct ntske_tls_client_opts *o, struct run *r)
{
    int cfd, sfd;
    tcp_pair(&cfd, &sfd, o->connecting);
    memset(r, 0, sizeof(*r));
    r->srv = ntske_tls_accept(srv, sfd, now_mono(), 0);
    r->cli = ntske_tls_connect(cli, cfd, o, now_mono());
    assert_non_null(r->srv);
    assert_non_null(r->cli);
    run(r, sfd, cfd);
    snprintf(r->cli_err, sizeof(r->cli_err), "%s", ntske_tls_error(r->cli));
    ntske_tls_free(r->srv);
    ntske_tls_free(r->cli);
    r->srv = r->cli = NULL;
    close(cfd);
    close(sfd);
}

#define NEED_CERTS()                                                                               \
    do {                                                                                           \
        if (!have_certs)                                                                           \
            skip();                                                                                \
    } while (0)

static void handshake_keys_and_cookies(void **state)
{
    (void)state;
    NEED_CERTS();
    struct ntske_tls_server *srv = server_with("server.pem", "server.key");
    struct ntske_tls_client *cli = client_trusting_ca();
    struct ntske_tls_client_opts o = {.server_name = "localhost"};
    static struct run r;
    int cfd, sfd;
    tcp_pair(&cfd, &sfd, false);
    r.srv = ntske_tls_accept(srv, sfd, now_mono(), 0);
    r.cli = ntske_tls_connect(cli, cfd, &o, now_mono());
    run(&r, sfd, cfd);
    assert_int_equal(r.srv_st, NTSKE_TLS_DONE);
    assert_int_equal(r.cli_st, NTSKE_TLS_DONE);
    assert_string_equal(ntske_tls_error(r.cli), "");
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);
    assert_int_equal(r.req.error, -1);
    assert_int_equal(r.resp.aead, 15);
    assert_int_equal(r.resp.cookies.n, 8);
    assert_int_equal(r.resp.port, 0);
    assert_string_equal(ntske_tls_server_name(r.srv), "localhost");
    /* Both ends exported the same keys, C2S differs from S2C, and the cookies hold them. */
    assert_int_equal(r.cli_keys.key_len, 32);
    assert_memory_equal(r.cli_keys.c2s, r.srv_keys.c2s, 32);
    assert_memory_equal(r.cli_keys.s2c, r.srv_keys.s2c, 32);
    assert_memory_not_equal(r.cli_keys.c2s, r.cli_keys.s2c, 32);
    for (int i = 0; i < r.resp.cookies.n; i++) {
        struct nts_keys k;
        assert_int_equal(r.resp.cookies.len[i], NTS_COOKIE_LEN);
        assert_int_equal(nts_cookie_open(&keyring, r.resp.cookies.data[i], NTS_COOKIE_LEN, &k),
                         NTS_COOKIE_OK);
        assert_memory_equal(k.c2s, r.cli_keys.c2s, 32);
        assert_memory_equal(k.s2c, r.cli_keys.s2c, 32);
    }
    ntske_tls_free(r.srv);
    ntske_tls_free(r.cli);
    close(cfd);
    close(sfd);

    /* Port and server negotiation reach the client. */
    static struct run r2;
    tcp_pair(&cfd, &sfd, true); /* and a client whose connect() is still in progress */
    o.connecting = true;
    memset(&r2, 0, sizeof(r2));
    r2.params.ntp_port = 11123;
    r2.params.ntp_server = "ntp.example.org";
    r2.srv = ntske_tls_accept(srv, sfd, now_mono(), 0);
    r2.cli = ntske_tls_connect(cli, cfd, &o, now_mono());
    run(&r2, sfd, cfd);
    assert_int_equal(r2.cli_result, NTSKE_RESP_OK);
    assert_int_equal(r2.resp.port, 11123);
    assert_string_equal(r2.resp.server, "ntp.example.org");
    ntske_tls_free(r2.srv);
    ntske_tls_free(r2.cli);
    close(cfd);
    close(sfd);
    ntske_tls_server_free(srv);
    ntske_tls_client_free(cli);
}

static void ip_literals(void **state)
{
    (void)state;
    NEED_CERTS();
    struct ntske_tls_server *srv = server_with("server.pem", "server.key");
    struct ntske_tls_client *cli = client_trusting_ca();
    static struct run r;
    static const char *const ok_names[] = {"127.0.0.1", "::1", "[::1]"};
    for (int i = 0; i < 3; i++) {
        struct ntske_tls_client_opts o = {.server_name = ok_names[i]};
        int cfd, sfd;
        tcp_pair(&cfd, &sfd, false);
        memset(&r, 0, sizeof(r));
        r.srv = ntske_tls_accept(srv, sfd, now_mono(), 0);
        r.cli = ntske_tls_connect(cli, cfd, &o, now_mono());
        run(&r, sfd, cfd);
        assert_int_equal(r.cli_result, NTSKE_RESP_OK);
        assert_null(ntske_tls_server_name(r.srv)); /* no SNI for an address */
        ntske_tls_free(r.srv);
        ntske_tls_free(r.cli);
        close(cfd);
        close(sfd);
    }
    /* An address that is not in the certificate. */
    struct ntske_tls_client_opts o = {.server_name = "127.0.0.2"};
    exchange(srv, cli, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    assert_int_equal(r.srv_st, NTSKE_TLS_FAILED);
    ntske_tls_server_free(srv);
    ntske_tls_client_free(cli);
}

static void wrong_name_refused(void **state)
{
    (void)state;
    NEED_CERTS();
    struct ntske_tls_server *srv = server_with("wrong.pem", "wrong.key");
    struct ntske_tls_client *cli = client_trusting_ca();
    struct ntske_tls_client_opts o = {.server_name = "localhost"};
    static struct run r;
    int cfd, sfd;
    tcp_pair(&cfd, &sfd, false);
    r.srv = ntske_tls_accept(srv, sfd, now_mono(), 0);
    r.cli = ntske_tls_connect(cli, cfd, &o, now_mono());
    run(&r, sfd, cfd);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    assert_int_equal(r.srv_st, NTSKE_TLS_FAILED);
    assert_non_null(strstr(ntske_tls_error(r.cli), "mismatch"));
    assert_int_equal(r.cli_result, 1); /* never got a message */
    ntske_tls_free(r.srv);
    ntske_tls_free(r.cli);
    close(cfd);
    close(sfd);
    ntske_tls_server_free(srv);
    ntske_tls_client_free(cli);
}

static void certificate_dates(void **state)
{
    (void)state;
    NEED_CERTS();
    struct ntske_tls_server *expired = server_with("expired.pem", "expired.key");
    struct ntske_tls_server *good = server_with("server.pem", "server.key");
    struct ntske_tls_client *cli = client_trusting_ca();
    static struct run r;

    struct ntske_tls_client_opts o = {.server_name = "localhost"};
    exchange(expired, cli, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    assert_non_null(strstr(r.cli_err, "expired"));
    assert_int_equal(r.cli_result, 1);

    o.ignore_cert_time = true; /* nocerttimecheck */
    exchange(expired, cli, &o, &r);
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);

    /* The validity is checked at the time given: in 2010 (where the simulator starts)
     * the good certificate is not valid yet, unless dates are ignored. */
    o.ignore_cert_time = false;
    o.verify_time = 1262304000; /* 2010-01-01 */
    exchange(good, cli, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    assert_non_null(strstr(r.cli_err, "not yet valid"));
    o.verify_time = 0;
    exchange(good, cli, &o, &r);
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);
    ntske_tls_server_free(expired);
    ntske_tls_server_free(good);
    ntske_tls_client_free(cli);
}

static void untrusted_refused(void **state)
{
    (void)state;
    NEED_CERTS();
    char err[NTSKE_TLS_ERRLEN];
    struct ntske_tls_server *self = server_with("selfsigned.pem", "selfsigned.key");
    struct ntske_tls_server *good = server_with("server.pem", "server.key");
    struct ntske_tls_client *nobody = ntske_tls_client_new(false, NULL, 0, err, sizeof(err));
    struct ntske_tls_client *cli = client_trusting_ca();
    assert_non_null(nobody);
    static struct run r;
    struct ntske_tls_client_opts o = {.server_name = "localhost"};
    exchange(good, nobody, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    exchange(self, cli, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    /* A directory of trusted certificates: only *.crt files count. */
    char dir[96], cmd[256];
    snprintf(dir, sizeof(dir), "%s/trust", certdir);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s && cp %s %s/ca.pem.txt", dir, cert("ca.pem"), dir);
    assert_int_equal(system(cmd), 0);
    const char *paths[] = {dir};
    struct ntske_tls_client *bydir = ntske_tls_client_new(false, paths, 1, err, sizeof(err));
    assert_non_null(bydir);
    exchange(good, bydir, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    ntske_tls_client_free(bydir);
    snprintf(cmd, sizeof(cmd), "cp %s %s/ca.crt", cert("ca.pem"), dir);
    assert_int_equal(system(cmd), 0);
    bydir = ntske_tls_client_new(false, paths, 1, err, sizeof(err));
    assert_non_null(bydir);
    exchange(good, bydir, &o, &r);
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);
    /* Loading errors are reported. */
    const char *missing[] = {"/nonexistent/ca.pem"};
    assert_null(ntske_tls_client_new(false, missing, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "/nonexistent/ca.pem"));
    const char *certs[] = {cert("server.pem")}, *keys[] = {cert("wrong.key")};
    assert_null(ntske_tls_server_new(certs, keys, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "mismatch"));
    ntske_tls_client_free(bydir);
    ntske_tls_client_free(nobody);
    ntske_tls_client_free(cli);
    ntske_tls_server_free(self);
    ntske_tls_server_free(good);
}

static void sni_picks_certificate(void **state)
{
    (void)state;
    NEED_CERTS();
    char err[NTSKE_TLS_ERRLEN];
    const char *certs[] = {cert("server.pem"), cert("wrong.pem")};
    const char *keys[] = {cert("server.key"), cert("wrong.key")};
    struct ntske_tls_server *srv = ntske_tls_server_new(certs, keys, 2, err, sizeof(err));
    assert_non_null(srv);
    struct ntske_tls_client *cli = client_trusting_ca();
    static struct run r;
    struct ntske_tls_client_opts o = {.server_name = "wrong.example"};
    exchange(srv, cli, &o, &r);
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);
    o.server_name = "localhost";
    exchange(srv, cli, &o, &r);
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);
    o.server_name = "other.example"; /* no match: the default certificate, which fails */
    exchange(srv, cli, &o, &r);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    ntske_tls_server_free(srv);
    ntske_tls_client_free(cli);
}

/* Our server against a raw client; returns the raw peer's outcome. */
static void server_vs_raw(struct ntske_tls_server *srv, const char *alpn, int max_version,
                          const uint8_t *send, size_t send_len, struct run *r, struct raw *raw)
{
    int cfd, sfd;
    tcp_pair(&cfd, &sfd, false);
    memset(r, 0, sizeof(*r));
    raw_init(raw, cfd, false, alpn, max_version);
    raw->send = send;
    raw->send_len = send_len;
    r->raw = raw;
    r->srv = ntske_tls_accept(srv, sfd, now_mono(), 0);
    run(r, sfd, -1);
    ntske_tls_free(r->srv);
    r->srv = NULL;
    raw_free(raw);
    close(cfd);
    close(sfd);
}

static void server_refuses_bad_clients(void **state)
{
    (void)state;
    NEED_CERTS();
    static const uint8_t req[] = {0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0x80, 0, 0, 0};
    struct ntske_tls_server *srv = server_with("server.pem", "server.key");
    static struct run r;
    static struct raw raw;

    /* Control: a well-behaved raw client gets 8 cookies. */
    server_vs_raw(srv, "ntske/1", 0, req, sizeof(req), &r, &raw);
    assert_int_equal(r.srv_st, NTSKE_TLS_DONE);
    static const uint16_t only15[] = {15};
    static struct ntske_response resp;
    assert_int_equal(ntske_parse_response(raw.recv, raw.recv_len, only15, 1, &resp), NTSKE_RESP_OK);
    assert_int_equal(resp.cookies.n, 8);

    /* TLS 1.2 only. */
    server_vs_raw(srv, "ntske/1", TLS1_2_VERSION, req, sizeof(req), &r, &raw);
    assert_int_equal(r.srv_st, NTSKE_TLS_FAILED);
    assert_true(raw.failed);
    assert_false(raw.hs_done);
    /* Another ALPN, or none. */
    server_vs_raw(srv, "http/1.1", 0, req, sizeof(req), &r, &raw);
    assert_int_equal(r.srv_st, NTSKE_TLS_FAILED);
    assert_false(raw.hs_done);
    server_vs_raw(srv, NULL, 0, req, sizeof(req), &r, &raw);
    assert_int_equal(r.srv_st, NTSKE_TLS_FAILED);
    assert_int_equal(raw.recv_len, 0);

    /* A malformed message: End of Message without the critical bit. */
    static const uint8_t bad[] = {0x80, 1, 0, 2, 0, 0, 0x00, 0, 0, 0};
    server_vs_raw(srv, "ntske/1", 0, bad, sizeof(bad), &r, &raw);
    assert_int_equal(r.srv_st, NTSKE_TLS_FAILED);
    assert_int_equal(raw.recv_len, 0);

    /* An unknown critical record is answered with error 0. */
    static const uint8_t unknown[] = {0x80, 1,  0,    2, 0, 0, 0x80, 4, 0, 2,
                                      0,    15, 0x80, 9, 0, 0, 0x80, 0, 0, 0};
    server_vs_raw(srv, "ntske/1", 0, unknown, sizeof(unknown), &r, &raw);
    assert_int_equal(r.srv_st, NTSKE_TLS_DONE);
    assert_int_equal(r.req.error, NTSKE_ERROR_UNRECOGNIZED_CRITICAL);
    assert_int_equal(ntske_parse_response(raw.recv, raw.recv_len, only15, 1, &resp),
                     NTSKE_RESP_SERVER_ERROR);
    assert_int_equal(resp.error_code, 0);

    /* Not TLS at all. */
    int cfd, sfd;
    tcp_pair(&cfd, &sfd, false);
    assert_int_equal(send(cfd, "GET / HTTP/1.0\r\n\r\n", 18, 0), 18);
    struct ntske_tls_session *s = ntske_tls_accept(srv, sfd, now_mono(), 0);
    int st = NTSKE_TLS_WANT_READ;
    for (int i = 0; i < 1000 && !terminal(st); i++, poll(NULL, 0, 1))
        st = ntske_tls_step(s, now_mono());
    assert_int_equal(st, NTSKE_TLS_FAILED);
    ntske_tls_free(s);
    close(cfd);
    close(sfd);

    /* Silence: the session times out at its deadline (2 s by default). */
    tcp_pair(&cfd, &sfd, false);
    double t0 = now_mono();
    s = ntske_tls_accept(srv, sfd, t0, 0);
    assert_true(ntske_tls_deadline(s) == t0 + 2.0);
    assert_int_equal(ntske_tls_step(s, t0 + 1.9), NTSKE_TLS_WANT_READ);
    assert_int_equal(ntske_tls_step(s, t0 + 2.0), NTSKE_TLS_FAILED);
    assert_string_equal(ntske_tls_error(s), "timed out");
    ntske_tls_free(s);
    close(cfd);
    close(sfd);
    ntske_tls_server_free(srv);
}

/* Our client against a raw server that writes its response in tiny TLS records. */
static void client_reassembles_split_response(void **state)
{
    (void)state;
    NEED_CERTS();
    static uint8_t resp_buf[2048], cookies[8 * 100];
    memset(cookies, 0x5a, sizeof(cookies));
    struct ntske_request req = {.error = -1, .ntpv4 = true, .aead = 15};
    struct ntske_server_params p = {.ntp_port = 123};
    int n = ntske_build_response(&req, &p, cookies, 100, 8, resp_buf, sizeof(resp_buf));
    assert_true(n > 0);

    struct ntske_tls_client *cli = client_trusting_ca();
    static struct run r;
    static struct raw raw;
    int cfd, sfd;
    tcp_pair(&cfd, &sfd, false);
    memset(&r, 0, sizeof(r));
    raw_init(&raw, sfd, true, "ntske/1", 0);
    raw.send = resp_buf;
    raw.send_len = (size_t)n;
    raw.chunk = 7;
    r.raw = &raw;
    struct ntske_tls_client_opts o = {.server_name = "localhost"};
    r.cli = ntske_tls_connect(cli, cfd, &o, now_mono());
    run(&r, sfd, cfd);
    assert_int_equal(r.cli_result, NTSKE_RESP_OK);
    assert_int_equal(r.resp.cookies.n, 8);
    assert_memory_equal(r.resp.cookies.data[7], cookies, 100);
    /* The raw server's own export, with the context spelled out here, matches ours. */
    uint8_t c2s[32], s2c[32];
    static const uint8_t ctx_c2s[] = {0, 0, 0, 15, 0}, ctx_s2c[] = {0, 0, 0, 15, 1};
    static const char label[] = "EXPORTER-network-time-security";
    assert_int_equal(
        SSL_export_keying_material(raw.ssl, c2s, 32, label, strlen(label), ctx_c2s, 5, 1), 1);
    assert_int_equal(
        SSL_export_keying_material(raw.ssl, s2c, 32, label, strlen(label), ctx_s2c, 5, 1), 1);
    assert_memory_equal(r.cli_keys.c2s, c2s, 32);
    assert_memory_equal(r.cli_keys.s2c, s2c, 32);
    /* The request it got is the standard one. */
    static const uint8_t want_req[] = {0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 2, 0, 15, 0x80, 0, 0, 0};
    assert_int_equal(raw.recv_len, sizeof(want_req));
    assert_memory_equal(raw.recv, want_req, sizeof(want_req));
    ntske_tls_free(r.cli);
    raw_free(&raw);
    close(cfd);
    close(sfd);

    /* A server that does not negotiate ntske/1 is refused after the handshake. */
    tcp_pair(&cfd, &sfd, false);
    memset(&r, 0, sizeof(r));
    raw_init(&raw, sfd, true, NULL, 0);
    raw.send = resp_buf;
    raw.send_len = (size_t)n;
    r.raw = &raw;
    r.cli = ntske_tls_connect(cli, cfd, &o, now_mono());
    run(&r, sfd, cfd);
    assert_int_equal(r.cli_st, NTSKE_TLS_FAILED);
    assert_non_null(strstr(ntske_tls_error(r.cli), "ALPN"));
    ntske_tls_free(r.cli);
    raw_free(&raw);
    close(cfd);
    close(sfd);
    ntske_tls_client_free(cli);
}

static void api_misuse(void **state)
{
    (void)state;
    NEED_CERTS();
    struct ntske_tls_client *cli = client_trusting_ca();
    struct ntske_tls_client_opts o = {.server_name = ""};
    assert_null(ntske_tls_connect(cli, -1, &o, 0));
    o.server_name = NULL;
    assert_null(ntske_tls_connect(cli, -1, &o, 0));
    o.server_name = "localhost";
    o.aeads = (const uint16_t[]){15};
    o.n_aeads = 0;
    assert_null(ntske_tls_connect(cli, -1, &o, 0));
    o.n_aeads = 1;
    struct ntske_tls_session *s = ntske_tls_connect(cli, -1, &o, 0);
    assert_non_null(s);
    struct nts_keys k;
    assert_int_equal(ntske_tls_export_keys(s, 15, &k), -1); /* no handshake yet */
    assert_int_equal(ntske_tls_send(s, (const uint8_t *)"x", 1), -1);
    size_t len;
    assert_null(ntske_tls_message(s, &len));
    ntske_tls_free(s);
    ntske_tls_client_free(cli);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(handshake_keys_and_cookies),
        cmocka_unit_test(ip_literals),
        cmocka_unit_test(wrong_name_refused),
        cmocka_unit_test(certificate_dates),
        cmocka_unit_test(untrusted_refused),
        cmocka_unit_test(sni_picks_certificate),
        cmocka_unit_test(server_refuses_bad_clients),
        cmocka_unit_test(client_reassembles_split_response),
        cmocka_unit_test(api_misuse),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
