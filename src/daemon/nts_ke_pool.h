/* The NTS-KE sessions of one process: the main process with `ntsprocesses 0`, or one NTS-KE
 * helper. Each accepted TCP connection (already past allow/deny and ntsratelimit) becomes
 * a TLS 1.3 session (daemon/ntske_tls.h) driven by the process's event loop; when the
 * client's request is complete it is answered with cookies sealed under the key that came
 * with the connection, and the connection is closed. Every session ends with exactly one
 * outcome, reported through a callback so that the main process can count it.
 *
 * Bounds: at most `max` sessions at once (maxntsconnections); a connection beyond that is
 * closed at once (NTS_KE_OVERLOAD). Every session has the 2-second deadline of
 * NTSKE_TLS_SERVER_TIMEOUT from accept to close, so idle or slow clients cannot pin it.
 *
 * Certificates: the pool holds one generation of certificate/key pairs at a time;
 * nts_ke_pool_reload() loads a new generation for new sessions, and the previous one is
 * freed when its last session ends.
 */
#ifndef TOCK_DAEMON_NTS_KE_POOL_H
#define TOCK_DAEMON_NTS_KE_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/nts_keyring.h"
#include "util/addr.h"

struct loop;
struct tock_config;
struct nts_ke_pool;

/* How an NTS-KE connection ended (also the index of the counters in nts_server.h). */
enum nts_ke_outcome {
    NTS_KE_OK = 0,      /* NTPv4 and an AEAD negotiated, 8 cookies sent */
    NTS_KE_REFUSED,     /* answered with an Error record or without NTPv4/AEAD */
    NTS_KE_TLS_FAILED,  /* handshake failed: TLS < 1.3, no ALPN ntske/1, bad TLS data */
    NTS_KE_BAD_MESSAGE, /* the request could not be framed (oversized, data after end) */
    NTS_KE_TIMEOUT,     /* the 2-second deadline passed (idle or slow client) */
    NTS_KE_OVERLOAD,    /* maxntsconnections sessions already open: closed at once */
    NTS_KE_INTERNAL,    /* out of memory, event loop full */
    NTS_KE_N_OUTCOMES
};

const char *nts_ke_outcome_name(enum nts_ke_outcome o);

typedef void (*nts_ke_report_fn)(void *ctx, enum nts_ke_outcome outcome,
                                 const struct tock_endpoint *peer);

/* Loads the certificates of conf (ntsservercert/ntsserverkey) and prepares room for
 * conf->maxntsconnections sessions. Returns NULL after logging why. */
struct nts_ke_pool *nts_ke_pool_new(struct loop *loop, const struct tock_config *conf,
                                    nts_ke_report_fn report, void *report_ctx);
void nts_ke_pool_free(struct nts_ke_pool *pool);

/* Takes ownership of the accepted, non-blocking socket fd and starts its session; key is
 * the cookie key to seal this client's cookies with (copied). On failure (pool full, no
 * memory) the socket is closed and the outcome reported. */
void nts_ke_pool_add(struct nts_ke_pool *pool, int fd, const struct tock_endpoint *peer,
                     const struct nts_server_key *key);

/* True when no more sessions fit. */
bool nts_ke_pool_full(const struct nts_ke_pool *pool);
int nts_ke_pool_active(const struct nts_ke_pool *pool);

/* Re-reads the certificates and keys for new sessions. Returns 0, or -1 after logging (the
 * old ones stay in use). */
int nts_ke_pool_reload(struct nts_ke_pool *pool);

/* Loads the certificate/key pairs of conf. Returns NULL after logging. */
struct ntske_tls_server *nts_ke_load_certs(const struct tock_config *conf);

#endif
