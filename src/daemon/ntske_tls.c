#include "daemon/ntske_tls.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* At most this much per send(): the clock-and-network simulator carries a TCP write as one
 * message of at most 4000 bytes. */
#define MAX_SEND_CHUNK 2048
/* Records are collected and sent when OpenSSL flushes (at the end of each handshake flight,
 * after an alert) or when the session has written a message: one send() per flight rather
 * than one per record. */
#define WBUF_LEN 4096
/* Largest certificate chain a client accepts (OpenSSL's default is 100 kB). */
#define CLIENT_MAX_CERT_LIST 65536
#define MAX_CLIENT_AEADS     8
#define MAX_NAME             255

static const unsigned char alpn_wire[] = "\x07" NTSKE_ALPN;

struct ntske_tls_server {
    int n;
    SSL_CTX **ctx; /* one per certificate/key pair; ctx[0] is the default */
};

struct ntske_tls_client {
    SSL_CTX *ctx;
};

enum state {
    S_CONNECT,   /* client: waiting for connect() to finish */
    S_HANDSHAKE, /* TLS handshake */
    S_SEND,      /* writing out[out_sent..out_len) */
    S_RECV,      /* reading a message into in */
    S_MESSAGE,   /* message received; server waits for a response to send */
    S_SHUTDOWN,  /* sending close_notify */
    S_DONE,
    S_FAILED,
};

struct ntske_tls_session {
    bool server;
    bool handshake_done;
    int fd;
    SSL *ssl;
    enum state state;
    double deadline;
    int sock_errno; /* last socket error the BIO saw (for messages) */
    bool peer_eof;
    bool close_sent; /* our close_notify is queued */
    int n_aeads;
    uint16_t aeads[MAX_CLIENT_AEADS];
    size_t out_len, out_sent;
    uint8_t out[NTSKE_TLS_MAX_OUT];
    size_t wlen; /* TLS bytes waiting in wbuf */
    uint8_t wbuf[WBUF_LEN];
    char err[NTSKE_TLS_ERRLEN];
    char cert_dates[96]; /* client: validity of a certificate refused for its dates */
    struct ntske_msgbuf in;
};

/* ---- A BIO over send()/recv() ---- */

static BIO_METHOD *sock_method;
static pthread_once_t sock_method_once = PTHREAD_ONCE_INIT;

/* Sends what wbuf holds. Returns 1 when it is empty, 0 when the socket is full (try
 * again when writable), -1 on a socket error. */
static int flush_wbuf(struct ntske_tls_session *s)
{
    size_t done = 0;
    int ret = 1;
    while (done < s->wlen) {
        size_t n = s->wlen - done < MAX_SEND_CHUNK ? s->wlen - done : MAX_SEND_CHUNK;
        ssize_t r = send(s->fd, s->wbuf + done, n, MSG_NOSIGNAL);
        if (r < 0) {
            s->sock_errno = errno;
            ret = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
            break;
        }
        done += (size_t)r;
    }
    memmove(s->wbuf, s->wbuf + done, s->wlen - done);
    s->wlen -= done;
    return ret;
}

static int sock_write(BIO *b, const char *buf, size_t len, size_t *written)
{
    struct ntske_tls_session *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (s->wlen == sizeof(s->wbuf)) {
        if (flush_wbuf(s) < 0)
            return 0;
        if (s->wlen == sizeof(s->wbuf)) {
            BIO_set_retry_write(b);
            return 0;
        }
    }
    size_t n = sizeof(s->wbuf) - s->wlen;
    if (n > len)
        n = len;
    memcpy(s->wbuf + s->wlen, buf, n);
    s->wlen += n;
    *written = n;
    return 1;
}

static int sock_read(BIO *b, char *buf, size_t len, size_t *readbytes)
{
    struct ntske_tls_session *s = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    ssize_t r = recv(s->fd, buf, len, 0);
    if (r > 0) {
        *readbytes = (size_t)r;
        return 1;
    }
    if (r == 0) {
        s->peer_eof = true;
        return 0;
    }
    s->sock_errno = errno;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        BIO_set_retry_read(b);
    return 0;
}

static long sock_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    (void)num;
    (void)ptr;
    struct ntske_tls_session *s = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH: {
        BIO_clear_retry_flags(b);
        int r = flush_wbuf(s);
        if (r == 0)
            BIO_set_retry_write(b);
        return r > 0 ? 1 : 0;
    }
    case BIO_CTRL_WPENDING:
        return (long)s->wlen;
    default:
        return 0; /* push/pop, kTLS queries...: unsupported */
    }
}

static int sock_create(BIO *b)
{
    BIO_set_init(b, 1);
    return 1;
}

static void make_sock_method(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tock send/recv");
    if (m && BIO_meth_set_write_ex(m, sock_write) && BIO_meth_set_read_ex(m, sock_read) &&
        BIO_meth_set_ctrl(m, sock_ctrl) && BIO_meth_set_create(m, sock_create))
        sock_method = m;
    else
        BIO_meth_free(m);
}

static int attach_socket(struct ntske_tls_session *s)
{
    pthread_once(&sock_method_once, make_sock_method);
    if (!sock_method)
        return -1;
    BIO *b = BIO_new(sock_method);
    if (!b)
        return -1;
    BIO_set_data(b, s);
    SSL_set_bio(s->ssl, b, b); /* one reference, owned by the SSL object */
    return 0;
}

/* ---- Errors ---- */

static void describe_openssl(char *buf, size_t len, const char *what, const char *path)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    snprintf(buf, len, "%s%s%s%s%s", what, path ? " " : "", path ? path : "", reason ? ": " : "",
             reason ? reason : "");
    ERR_clear_error();
}

static int fail(struct ntske_tls_session *s, const char *what)
{
    long verify = s->ssl && !s->server ? SSL_get_verify_result(s->ssl) : X509_V_OK;
    unsigned long e = ERR_peek_last_error();
    const char *detail = NULL;
    if (verify != X509_V_OK)
        detail = X509_verify_cert_error_string(verify);
    else if (e)
        detail = ERR_reason_error_string(e);
    else if (s->peer_eof)
        detail = "connection closed by peer";
    else if (s->sock_errno)
        detail = strerror(s->sock_errno);
    snprintf(s->err, sizeof(s->err), "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
    ERR_clear_error();
    s->state = S_FAILED;
    return NTSKE_TLS_FAILED;
}

/* ---- Contexts ---- */

static void format_asn1_time(const ASN1_TIME *t, char *buf, size_t len)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(buf, len, "?");
}

/* Client: remembers the dates of a certificate refused for them, so that the daemon can
 * say what the certificate's validity was (a wrong local clock is the usual cause). */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
    int e = X509_STORE_CTX_get_error(store);
    if (ok || (e != X509_V_ERR_CERT_HAS_EXPIRED && e != X509_V_ERR_CERT_NOT_YET_VALID))
        return ok;
    SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
    struct ntske_tls_session *s = ssl ? SSL_get_app_data(ssl) : NULL;
    X509 *cert = X509_STORE_CTX_get_current_cert(store);
    if (s && cert && !s->cert_dates[0]) {
        char from[40], to[40];
        format_asn1_time(X509_get0_notBefore(cert), from, sizeof(from));
        format_asn1_time(X509_get0_notAfter(cert), to, sizeof(to));
        snprintf(s->cert_dates, sizeof(s->cert_dates), "valid from %s to %s", from, to);
    }
    return ok;
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    (void)arg;
    for (unsigned int i = 0; i < inlen;) {
        unsigned int n = in[i];
        if (n > inlen - i - 1)
            break;
        if (n == sizeof(alpn_wire) - 2 && memcmp(in + i + 1, alpn_wire + 1, n) == 0) {
            *out = in + i + 1;
            *outlen = (unsigned char)n;
            return SSL_TLSEXT_ERR_OK;
        }
        i += 1 + n;
    }
    return SSL_TLSEXT_ERR_ALERT_FATAL; /* no_application_protocol */
}

/* Picks the pair whose certificate matches the SNI name; the default otherwise. */
static int sni_select(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    struct ntske_tls_server *srv = arg;
    const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name)
        return SSL_TLSEXT_ERR_OK;
    for (int i = 0; i < srv->n; i++) {
        X509 *cert = SSL_CTX_get0_certificate(srv->ctx[i]);
        if (cert && X509_check_host(cert, name, strlen(name), 0, NULL) == 1) {
            if (i > 0 && SSL_set_SSL_CTX(ssl, srv->ctx[i]) != srv->ctx[i])
                return SSL_TLSEXT_ERR_ALERT_FATAL;
            break;
        }
    }
    return SSL_TLSEXT_ERR_OK;
}

static void configure_common(SSL_CTX *ctx)
{
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

struct ntske_tls_server *ntske_tls_server_new(const char *const *certs, const char *const *keys,
                                              int n, char *err, size_t errlen)
{
    struct ntske_tls_server *srv = calloc(1, sizeof(*srv));
    if (!srv || n < 1 || !(srv->ctx = calloc((size_t)n, sizeof(*srv->ctx)))) {
        snprintf(err, errlen, n < 1 ? "no certificate" : "out of memory");
        free(srv);
        return NULL;
    }
    srv->n = n;
    ERR_clear_error();
    for (int i = 0; i < n; i++) {
        SSL_CTX *ctx = srv->ctx[i] = SSL_CTX_new(TLS_server_method());
        if (!ctx) {
            describe_openssl(err, errlen, "cannot create TLS context", NULL);
            goto error;
        }
        configure_common(ctx);
        SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
        /* Send the chain exactly as the file has it (as chrony does), instead of OpenSSL
         * building it from a certificate store on every handshake. */
        SSL_CTX_set_mode(ctx, SSL_MODE_NO_AUTO_CHAIN);
        if (SSL_CTX_use_certificate_chain_file(ctx, certs[i]) != 1) {
            describe_openssl(err, errlen, "cannot load certificate", certs[i]);
            goto error;
        }
        if (SSL_CTX_use_PrivateKey_file(ctx, keys[i], SSL_FILETYPE_PEM) != 1) {
            describe_openssl(err, errlen, "cannot load key", keys[i]);
            goto error;
        }
        if (SSL_CTX_check_private_key(ctx) != 1) {
            describe_openssl(err, errlen, "key does not match certificate", certs[i]);
            goto error;
        }
    }
    SSL_CTX_set_tlsext_servername_callback(srv->ctx[0], sni_select);
    SSL_CTX_set_tlsext_servername_arg(srv->ctx[0], srv);
    return srv;
error:
    ntske_tls_server_free(srv);
    return NULL;
}

void ntske_tls_server_free(struct ntske_tls_server *srv)
{
    if (!srv)
        return;
    for (int i = 0; i < srv->n; i++)
        SSL_CTX_free(srv->ctx[i]);
    free(srv->ctx);
    free(srv);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Loads a PEM file, or every *.crt file of a directory (chrony's rule). */
static int load_trusted(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "cannot read trusted certificates %s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) {
            describe_openssl(err, errlen, "cannot load trusted certificates", path);
            return -1;
        }
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int ret = 0;
    while (ret == 0 && (e = readdir(d)) != NULL) {
        char file[4096];
        if (!has_suffix(e->d_name, ".crt"))
            continue;
        if (snprintf(file, sizeof(file), "%s/%s", path, e->d_name) >= (int)sizeof(file))
            continue;
        if (SSL_CTX_load_verify_locations(ctx, file, NULL) != 1) {
            describe_openssl(err, errlen, "cannot load trusted certificates", file);
            ret = -1;
        }
    }
    closedir(d);
    return ret;
}

struct ntske_tls_client *ntske_tls_client_new(bool system_cas, const char *const *trusted, int n,
                                              char *err, size_t errlen)
{
    struct ntske_tls_client *cli = calloc(1, sizeof(*cli));
    if (!cli) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    ERR_clear_error();
    cli->ctx = SSL_CTX_new(TLS_client_method());
    if (!cli->ctx) {
        describe_openssl(err, errlen, "cannot create TLS context", NULL);
        goto error;
    }
    configure_common(cli->ctx);
    SSL_CTX_set_verify(cli->ctx, SSL_VERIFY_PEER, verify_cb);
    SSL_CTX_set_max_cert_list(cli->ctx, CLIENT_MAX_CERT_LIST);
    if (SSL_CTX_set_alpn_protos(cli->ctx, alpn_wire, sizeof(alpn_wire) - 1) != 0) {
        describe_openssl(err, errlen, "cannot set ALPN", NULL);
        goto error;
    }
    if (system_cas && SSL_CTX_set_default_verify_paths(cli->ctx) != 1) {
        describe_openssl(err, errlen, "cannot load the system CA certificates", NULL);
        goto error;
    }
    for (int i = 0; i < n; i++)
        if (load_trusted(cli->ctx, trusted[i], err, errlen) != 0)
            goto error;
    return cli;
error:
    ntske_tls_client_free(cli);
    return NULL;
}

void ntske_tls_client_free(struct ntske_tls_client *cli)
{
    if (!cli)
        return;
    SSL_CTX_free(cli->ctx);
    free(cli);
}

/* ---- Sessions ---- */

static struct ntske_tls_session *new_session(SSL_CTX *ctx, int fd, bool server, double deadline)
{
    struct ntske_tls_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->server = server;
    s->fd = fd;
    s->deadline = deadline;
    ntske_msgbuf_reset(&s->in);
    /* Each flight goes out in one send(); without Nagle's algorithm the client's Finished
     * and its request (two sends) do not wait for a delayed ACK (40 ms on Linux). Best
     * effort: the exchange works without it, only slower. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    ERR_clear_error();
    s->ssl = SSL_new(ctx);
    if (!s->ssl || attach_socket(s) != 0) {
        ntske_tls_free(s);
        return NULL;
    }
    SSL_set_app_data(s->ssl, s);
    return s;
}

struct ntske_tls_session *ntske_tls_accept(struct ntske_tls_server *srv, int fd, double now,
                                           double timeout)
{
    struct ntske_tls_session *s = new_session(
        srv->ctx[0], fd, true, now + (timeout > 0 ? timeout : NTSKE_TLS_SERVER_TIMEOUT));
    if (!s)
        return NULL;
    SSL_set_accept_state(s->ssl);
    s->state = S_HANDSHAKE;
    return s;
}

/* Sets what the server's certificate must match: SNI and host name for a DNS name, the
 * address (no SNI, RFC 6066) for an IP literal. */
static int set_peer_name(SSL *ssl, const char *server_name)
{
    char name[MAX_NAME + 1];
    size_t n = server_name ? strlen(server_name) : 0;
    if (n >= 2 && server_name[0] == '[' && server_name[n - 1] == ']') {
        server_name++;
        n -= 2;
    }
    if (n < 1 || n > MAX_NAME)
        return -1;
    memcpy(name, server_name, n);
    name[n] = '\0';
    X509_VERIFY_PARAM *param = SSL_get0_param(ssl);
    unsigned char ip[16];
    if (inet_pton(AF_INET, name, ip) == 1)
        return X509_VERIFY_PARAM_set1_ip(param, ip, 4) == 1 ? 0 : -1;
    if (inet_pton(AF_INET6, name, ip) == 1)
        return X509_VERIFY_PARAM_set1_ip(param, ip, 16) == 1 ? 0 : -1;
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    if (SSL_set_tlsext_host_name(ssl, name) != 1 || SSL_set1_host(ssl, name) != 1)
        return -1;
    return 0;
}

struct ntske_tls_session *ntske_tls_connect(struct ntske_tls_client *cli, int fd,
                                            const struct ntske_tls_client_opts *o, double now)
{
    static const uint16_t default_aeads[] = {NTS_AEAD_AES_SIV_CMAC_256};
    const uint16_t *aeads = o->aeads ? o->aeads : default_aeads;
    int n_aeads = o->aeads ? o->n_aeads : 1;
    if (n_aeads < 1 || n_aeads > MAX_CLIENT_AEADS)
        return NULL;
    struct ntske_tls_session *s = new_session(
        cli->ctx, fd, false, now + (o->timeout > 0 ? o->timeout : NTSKE_TLS_CLIENT_TIMEOUT));
    if (!s)
        return NULL;
    if (set_peer_name(s->ssl, o->server_name) != 0)
        goto error;
    X509_VERIFY_PARAM *param = SSL_get0_param(s->ssl);
    if (o->ignore_cert_time)
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
    else if (o->verify_time)
        X509_VERIFY_PARAM_set_time(param, o->verify_time);
    memcpy(s->aeads, aeads, (size_t)n_aeads * sizeof(*aeads));
    s->n_aeads = n_aeads;
    int len = ntske_build_request(aeads, n_aeads, s->out, sizeof(s->out));
    if (len < 0)
        goto error;
    s->out_len = (size_t)len;
    SSL_set_connect_state(s->ssl);
    s->state = o->connecting ? S_CONNECT : S_HANDSHAKE;
    return s;
error:
    ntske_tls_free(s);
    return NULL;
}

static bool alpn_ok(SSL *ssl)
{
    const unsigned char *p;
    unsigned int n;
    SSL_get0_alpn_selected(ssl, &p, &n);
    return p && n == sizeof(alpn_wire) - 2 && memcmp(p, alpn_wire + 1, n) == 0;
}

static int step_connect(struct ntske_tls_session *s)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0)
        soerr = errno;
    if (soerr != 0) {
        s->sock_errno = soerr;
        return fail(s, "connect failed");
    }
    s->state = S_HANDSHAKE;
    return -2; /* go on */
}

static int step_handshake(struct ntske_tls_session *s)
{
    ERR_clear_error();
    int r = SSL_do_handshake(s->ssl);
    if (r != 1) {
        switch (SSL_get_error(s->ssl, r)) {
        case SSL_ERROR_WANT_READ:
            return NTSKE_TLS_WANT_READ;
        case SSL_ERROR_WANT_WRITE:
            return NTSKE_TLS_WANT_WRITE;
        default:
            return fail(s, "TLS handshake failed");
        }
    }
    if (SSL_version(s->ssl) < TLS1_3_VERSION)
        return fail(s, "TLS 1.3 not negotiated");
    if (!alpn_ok(s->ssl))
        return fail(s, "NTS-KE (ALPN ntske/1) not negotiated");
    s->handshake_done = true;
    s->state = s->server ? S_RECV : S_SEND;
    return -2;
}

static int step_send(struct ntske_tls_session *s)
{
    while (s->out_sent < s->out_len) {
        size_t written = 0;
        ERR_clear_error();
        int r = SSL_write_ex(s->ssl, s->out + s->out_sent, s->out_len - s->out_sent, &written);
        if (r != 1) {
            switch (SSL_get_error(s->ssl, r)) {
            case SSL_ERROR_WANT_READ:
                return NTSKE_TLS_WANT_READ;
            case SSL_ERROR_WANT_WRITE:
                return NTSKE_TLS_WANT_WRITE;
            default:
                return fail(s, "send failed");
            }
        }
        s->out_sent += written;
    }
    /* SSL_write leaves the records in wbuf: send them now. */
    int flushed = flush_wbuf(s);
    if (flushed < 0)
        return fail(s, "send failed");
    if (flushed == 0)
        return NTSKE_TLS_WANT_WRITE;
    if (s->server) {
        s->state = S_SHUTDOWN;
    } else {
        ntske_msgbuf_reset(&s->in);
        s->state = S_RECV;
    }
    return -2;
}

static int step_recv(struct ntske_tls_session *s)
{
    for (;;) {
        uint8_t buf[4096];
        size_t got = 0;
        ERR_clear_error();
        int r = SSL_read_ex(s->ssl, buf, sizeof(buf), &got);
        if (r == 1) {
            int st = ntske_msgbuf_append(&s->in, buf, got);
            if (st == NTSKE_FRAME_INVALID)
                return fail(s, "invalid NTS-KE message");
            if (st == NTSKE_FRAME_COMPLETE) {
                s->state = S_MESSAGE;
                return NTSKE_TLS_MESSAGE;
            }
            continue;
        }
        switch (SSL_get_error(s->ssl, r)) {
        case SSL_ERROR_WANT_READ:
            return NTSKE_TLS_WANT_READ;
        case SSL_ERROR_WANT_WRITE:
            return NTSKE_TLS_WANT_WRITE;
        case SSL_ERROR_ZERO_RETURN:
            return fail(s, "connection closed before the end of the message");
        default:
            return fail(s, "receive failed");
        }
    }
}

/* Both ways, as chrony (gnutls_bye with GNUTLS_SHUT_RDWR): send close_notify, then wait
 * (within the session's deadline) for the peer's close_notify or end of stream before the
 * socket is closed. Closing with the peer's close_notify still in flight would answer it
 * with a TCP reset (and confuse the clock-and-network simulator). Anything else the peer
 * sends meanwhile is read and dropped. */
static int step_shutdown(struct ntske_tls_session *s)
{
    if (!s->close_sent) {
        ERR_clear_error();
        int r = SSL_shutdown(s->ssl);
        if (r < 0 && SSL_get_error(s->ssl, r) == SSL_ERROR_WANT_WRITE)
            return NTSKE_TLS_WANT_WRITE;
        s->close_sent = true;
        if (r == 1) /* the peer's close_notify had come already */
            goto done;
        if (r < 0)
            goto done; /* the peer is gone */
    }
    int flushed = flush_wbuf(s);
    if (flushed == 0)
        return NTSKE_TLS_WANT_WRITE;
    if (flushed < 0)
        goto done;
    for (;;) {
        uint8_t scratch[512];
        size_t got;
        ERR_clear_error();
        if (SSL_read_ex(s->ssl, scratch, sizeof(scratch), &got) == 1)
            continue;
        int e = SSL_get_error(s->ssl, 0);
        if (e == SSL_ERROR_WANT_READ)
            return NTSKE_TLS_WANT_READ;
        if (e == SSL_ERROR_WANT_WRITE)
            return NTSKE_TLS_WANT_WRITE;
        break; /* close_notify (ZERO_RETURN), end of stream or an error: finished */
    }
done:
    /* The exchange itself is complete. */
    ERR_clear_error();
    s->state = S_DONE;
    return NTSKE_TLS_DONE;
}

int ntske_tls_step(struct ntske_tls_session *s, double now)
{
    if (s->state == S_DONE)
        return NTSKE_TLS_DONE;
    if (s->state == S_FAILED)
        return NTSKE_TLS_FAILED;
    if (now >= s->deadline) {
        snprintf(s->err, sizeof(s->err), "timed out");
        s->state = S_FAILED;
        return NTSKE_TLS_FAILED;
    }
    for (;;) {
        int r;
        switch (s->state) {
        case S_CONNECT:
            r = step_connect(s);
            break;
        case S_HANDSHAKE:
            r = step_handshake(s);
            break;
        case S_SEND:
            r = step_send(s);
            break;
        case S_RECV:
            r = step_recv(s);
            break;
        case S_MESSAGE:
            if (!s->server) {
                s->state = S_SHUTDOWN;
                continue;
            }
            if (s->out_len == 0)
                return NTSKE_TLS_MESSAGE; /* still waiting for the response */
            s->state = S_SEND;
            continue;
        case S_SHUTDOWN:
            r = step_shutdown(s);
            break;
        case S_DONE:
            return NTSKE_TLS_DONE;
        default:
            return NTSKE_TLS_FAILED;
        }
        if (r != -2)
            return r;
    }
}

double ntske_tls_deadline(const struct ntske_tls_session *s)
{
    return s->deadline;
}

const uint8_t *ntske_tls_message(const struct ntske_tls_session *s, size_t *len)
{
    if (s->in.status != NTSKE_FRAME_COMPLETE) {
        *len = 0;
        return NULL;
    }
    *len = s->in.len;
    return s->in.data;
}

int ntske_tls_export_keys(struct ntske_tls_session *s, uint16_t aead, struct nts_keys *keys)
{
    static const char label[] = NTSKE_EXPORTER_LABEL;
    uint8_t c2s_ctx[NTSKE_EXPORTER_CONTEXT_LEN], s2c_ctx[NTSKE_EXPORTER_CONTEXT_LEN];
    memset(keys, 0, sizeof(*keys));
    if (!s->handshake_done || aead != NTS_AEAD_AES_SIV_CMAC_256)
        return -1;
    ntske_exporter_context(NTSKE_NEXT_PROTOCOL_NTPV4, aead, false, c2s_ctx);
    ntske_exporter_context(NTSKE_NEXT_PROTOCOL_NTPV4, aead, true, s2c_ctx);
    ERR_clear_error();
    if (SSL_export_keying_material(s->ssl, keys->c2s, SIV_KEY_LEN, label, sizeof(label) - 1,
                                   c2s_ctx, sizeof(c2s_ctx), 1) != 1 ||
        SSL_export_keying_material(s->ssl, keys->s2c, SIV_KEY_LEN, label, sizeof(label) - 1,
                                   s2c_ctx, sizeof(s2c_ctx), 1) != 1) {
        ERR_clear_error();
        explicit_bzero(keys, sizeof(*keys));
        return -1;
    }
    keys->aead = aead;
    keys->key_len = SIV_KEY_LEN;
    return 0;
}

int ntske_tls_send(struct ntske_tls_session *s, const uint8_t *msg, size_t len)
{
    if (s->state != S_MESSAGE || !s->server || len == 0 || len > sizeof(s->out))
        return -1;
    memcpy(s->out, msg, len);
    s->out_len = len;
    s->out_sent = 0;
    return 0;
}

int ntske_tls_server_respond(struct ntske_tls_session *s, const struct ntske_server_params *p,
                             const uint16_t *aeads, int n_aeads, const struct nts_server_key *key,
                             nts_random_fn random, void *random_arg, struct ntske_request *req_out)
{
    struct ntske_request req;
    uint8_t cookies[NTS_MAX_COOKIES * NTS_COOKIE_LEN];
    int n_cookies = 0;
    if (s->state != S_MESSAGE || !s->server) {
        fail(s, "no request to answer");
        return -1;
    }
    ntske_parse_request(s->in.data, s->in.len, aeads, n_aeads, &req);
    if (ntske_request_ok(&req)) {
        struct nts_keys keys;
        if (ntske_tls_export_keys(s, (uint16_t)req.aead, &keys) != 0) {
            req.error = NTSKE_ERROR_INTERNAL;
        } else {
            for (; n_cookies < NTS_MAX_COOKIES; n_cookies++)
                if (nts_cookie_seal(key, &keys, random, random_arg,
                                    cookies + (size_t)n_cookies * NTS_COOKIE_LEN,
                                    NTS_COOKIE_LEN) != NTS_COOKIE_LEN)
                    break;
            explicit_bzero(&keys, sizeof(keys));
            if (n_cookies < NTS_MAX_COOKIES)
                req.error = NTSKE_ERROR_INTERNAL;
        }
    }
    int len =
        ntske_build_response(&req, p, cookies, NTS_COOKIE_LEN, n_cookies, s->out, sizeof(s->out));
    if (len < 0) {
        req.error = NTSKE_ERROR_INTERNAL;
        len = ntske_build_error(NTSKE_ERROR_INTERNAL, s->out, sizeof(s->out));
    }
    if (req_out)
        *req_out = req;
    s->out_len = (size_t)len;
    s->out_sent = 0;
    return 0;
}

int ntske_tls_client_result(struct ntske_tls_session *s, struct ntske_response *resp,
                            struct nts_keys *keys)
{
    memset(keys, 0, sizeof(*keys));
    if (s->server || s->in.status != NTSKE_FRAME_COMPLETE) {
        memset(resp, 0, sizeof(*resp));
        return NTSKE_RESP_MALFORMED;
    }
    int status = ntske_parse_response(s->in.data, s->in.len, s->aeads, s->n_aeads, resp);
    if (status != NTSKE_RESP_OK)
        return status;
    if (ntske_tls_export_keys(s, resp->aead, keys) != 0)
        return NTSKE_TLS_RESP_EXPORT_FAILED;
    return NTSKE_RESP_OK;
}

const char *ntske_tls_server_name(const struct ntske_tls_session *s)
{
    return s->server ? SSL_get_servername(s->ssl, TLSEXT_NAMETYPE_host_name) : NULL;
}

const char *ntske_tls_cert_dates(const struct ntske_tls_session *s)
{
    return s->cert_dates;
}

const char *ntske_tls_error(const struct ntske_tls_session *s)
{
    return s->err;
}

void ntske_tls_free(struct ntske_tls_session *s)
{
    if (!s)
        return;
    SSL_free(s->ssl); /* frees the BIO too; the socket stays open */
    explicit_bzero(s, sizeof(*s));
    free(s);
}
