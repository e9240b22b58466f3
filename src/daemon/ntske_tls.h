/* NTS-KE sessions over TLS 1.3 (OpenSSL 3), server and client, non-blocking.
 *
 * The caller owns the TCP socket and the poll loop; a session only moves bytes through it
 * with send()/recv() (a custom BIO: never SSL_set_fd, whose socket BIO uses read/write and
 * would escape the clock-and-network simulator). The contract:
 *
 *     s = ntske_tls_accept(...) or ntske_tls_connect(...)
 *     loop: st = ntske_tls_step(s, now)
 *           WANT_READ / WANT_WRITE: poll the socket for that (and for the deadline,
 *                                   ntske_tls_deadline(s)), then step again
 *           MESSAGE: a complete NTS-KE message arrived (ntske_tls_message());
 *                    server: answer it with ntske_tls_server_respond() or ntske_tls_send();
 *                    client: read it with ntske_tls_client_result(); then step again
 *           DONE / FAILED: ntske_tls_free(s) and close the socket (ntske_tls_error(s)
 *                          says why it failed)
 *
 * Policy, as chrony: TLS 1.3 only, ALPN "ntske/1" required on both sides, no session
 * tickets or resumption, at most 16384 bytes per message, a handshake-to-end timeout (2 s
 * server, 16 s client by default). The server picks its certificate by SNI among several
 * pairs. The client sends SNI only for DNS names, verifies IP literals (IPv6 with or
 * without brackets) against IP SANs, trusts the system CAs and/or given files/directories,
 * and can ignore certificate dates (`nocerttimecheck` until the clock is trusted).
 *
 * Sockets: the session sets TCP_NODELAY on the socket (best effort; without it the
 * client's request waits for a delayed ACK, 40 ms on Linux) and sends each TLS flight with
 * one send(MSG_NOSIGNAL) of at most 2048 bytes at a time; a seccomp filter must allow
 * setsockopt(IPPROTO_TCP, TCP_NODELAY), getsockopt(SO_ERROR) (client, connecting) and
 * shutdown is left to the caller.
 *
 * Memory: about 25 kB per session (message, output and send buffers) plus OpenSSL's own
 * state; contexts are shared. Allocation happens per connection, never per packet.
 *
 * Not pure (OpenSSL, sockets) but self-contained: no globals except the BIO method.
 */
#ifndef TOCK_DAEMON_NTSKE_TLS_H
#define TOCK_DAEMON_NTSKE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "crypto/nts_cookie.h"
#include "proto/ntske.h"

#define NTSKE_TLS_SERVER_TIMEOUT 2.0  /* seconds, chrony's SERVER_TIMEOUT */
#define NTSKE_TLS_CLIENT_TIMEOUT 16.0 /* seconds, chrony's CLIENT_TIMEOUT */
#define NTSKE_TLS_MAX_OUT        4096 /* largest message a session sends */
#define NTSKE_TLS_ERRLEN         192

struct ntske_tls_server; /* certificate/key pairs */
struct ntske_tls_client; /* trust store */
struct ntske_tls_session;

/* Loads n certificate chain files (PEM) with their private keys; the first pair is the
 * default, the others are chosen when the client's SNI matches their certificate.
 * Returns NULL on error, with a message in err. */
struct ntske_tls_server *ntske_tls_server_new(const char *const *certs, const char *const *keys,
                                              int n, char *err, size_t errlen);
void ntske_tls_server_free(struct ntske_tls_server *srv);

/* A trust store of the system CAs (unless system_cas is false) plus n PEM files or
 * directories (whose *.crt files are loaded), as `ntstrustedcerts` / `nosystemcert`. */
struct ntske_tls_client *ntske_tls_client_new(bool system_cas, const char *const *trusted, int n,
                                              char *err, size_t errlen);
void ntske_tls_client_free(struct ntske_tls_client *cli);

enum ntske_tls_status {
    NTSKE_TLS_FAILED = -1,
    NTSKE_TLS_DONE = 0,
    NTSKE_TLS_WANT_READ = 1,
    NTSKE_TLS_WANT_WRITE = 2,
    NTSKE_TLS_MESSAGE = 3,
};

/* A server session on an accepted, non-blocking TCP socket. now: monotonic seconds. */
struct ntske_tls_session *ntske_tls_accept(struct ntske_tls_server *srv, int fd, double now,
                                           double timeout);

struct ntske_tls_client_opts {
    const char *server_name; /* DNS name or IP literal ("::1" or "[::1]") to verify */
    bool connecting;         /* connect() still in progress: wait until writable */
    bool ignore_cert_time;   /* nocerttimecheck: do not check validity dates */
    time_t verify_time;      /* certificate dates are checked at this time; 0 = system clock */
    double timeout;          /* seconds; 0 = NTSKE_TLS_CLIENT_TIMEOUT */
    const uint16_t *aeads;   /* AEADs to request, in preference order; NULL = {15} */
    int n_aeads;
};

/* A client session on a TCP socket to the NTS-KE server; the request (NTPv4, the AEADs)
 * is sent right after the handshake. */
struct ntske_tls_session *ntske_tls_connect(struct ntske_tls_client *cli, int fd,
                                            const struct ntske_tls_client_opts *opts, double now);

/* Advances the session; see the contract above. */
int ntske_tls_step(struct ntske_tls_session *s, double now);

/* When the session times out (monotonic seconds). */
double ntske_tls_deadline(const struct ntske_tls_session *s);

/* The received message (valid in MESSAGE state until the session is freed), or NULL. */
const uint8_t *ntske_tls_message(const struct ntske_tls_session *s, size_t *len);

/* Exports the C2S and S2C keys for aead (only 15 here) from the finished handshake, with
 * the label "EXPORTER-network-time-security" and the context of RFC 8915 5.1. */
int ntske_tls_export_keys(struct ntske_tls_session *s, uint16_t aead, struct nts_keys *keys);

/* Queues a message to send (server: the response, after MESSAGE). Returns 0 or -1. */
int ntske_tls_send(struct ntske_tls_session *s, const uint8_t *msg, size_t len);

/* Server: answers the received request: parses it, and when NTPv4 and an AEAD were
 * negotiated exports the keys and seals 8 cookies with key; otherwise answers with the
 * error or empty records. Queues the response. req (may be NULL) receives the parsed
 * request for logs and statistics. Returns 0, or -1 (the session has failed). */
int ntske_tls_server_respond(struct ntske_tls_session *s, const struct ntske_server_params *p,
                             const uint16_t *aeads, int n_aeads, const struct nts_server_key *key,
                             nts_random_fn random, void *random_arg, struct ntske_request *req);

/* Client: parses the received response and, when it is good, exports the keys for its
 * AEAD. Returns an enum ntske_response_status, or NTSKE_TLS_RESP_EXPORT_FAILED. */
#define NTSKE_TLS_RESP_EXPORT_FAILED (-100)
int ntske_tls_client_result(struct ntske_tls_session *s, struct ntske_response *resp,
                            struct nts_keys *keys);

/* The SNI name the client sent (server side), or NULL. */
const char *ntske_tls_server_name(const struct ntske_tls_session *s);

/* Client: when the server's certificate (or one of its chain) was refused because of its
 * validity dates, "valid from <date> to <date>" (UTC); "" otherwise. */
const char *ntske_tls_cert_dates(const struct ntske_tls_session *s);

/* Why the session failed ("" if it did not). */
const char *ntske_tls_error(const struct ntske_tls_session *s);

/* Frees the session; does not close the socket. */
void ntske_tls_free(struct ntske_tls_session *s);

#endif
