/* The NTS server of tockd (RFC 8915): the NTS-KE listener in the main process, the cookie
 * key ring (rotation, `ntsdumpdir/ntskeys`), and the TLS work either in the main process
 * (`ntsprocesses 0`, and always with -d) or in N helper processes.
 *
 * Main process: owns the TCP listen sockets on `ntsport` at `bindaddress`; an accepted
 * connection is checked against allow/deny and `ntsratelimit` (client log, NTS-KE
 * service), then handed to the local session pool or, over a shared SOCK_SEQPACKET
 * socketpair with SCM_RIGHTS, to whichever helper reads it first, together with the
 * current cookie key and the client's address (chrony's design). Only the main process
 * generates, rotates and saves keys; the NTP server path opens cookies with its ring.
 *
 * Helpers (nts_helper_main): forked at start, before privileges are dropped; each loads
 * the certificates itself, serves TLS with its own event loop and reports every
 * connection's outcome back to the main process on its private socketpair. A helper that
 * dies is reported (exit status or signal) and replaced.
 *
 * `ntsrotate 0`: keys are managed outside tockd: read from ntskeys at start and on
 * `tockctl rekey`, never rotated or written.
 */
#ifndef TOCK_DAEMON_NTS_SERVER_H
#define TOCK_DAEMON_NTS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/nts_keyring.h"
#include "daemon/nts_ke_pool.h"

struct tockd;
struct tock_config;

/* tock's own NTS counters (chronyd keeps only the serverstats ones). */
struct nts_server_counters {
    uint64_t ke_accepted; /* connections passed to TLS */
    uint64_t ke_denied;   /* refused by allow/deny */
    uint64_t
        ke_ratelimited; /* refused by ntsratelimit (serverstats "NTS-KE connections dropped") */
    uint64_t ke[NTS_KE_N_OUTCOMES]; /* how the accepted connections ended */
    uint64_t ntp_ok;                /* NTS-protected requests answered */
    uint64_t ntp_nak_cookie;        /* NTS NAK: cookie could not be opened (unknown key, damaged) */
    uint64_t ntp_nak_auth;          /* NTS NAK: authenticator did not verify */
    uint64_t ntp_malformed;         /* dropped: malformed NTS fields */
    uint64_t ntp_kod_dropped;       /* NAK that was also rate limited: nothing sent */
    uint64_t helpers_restarted;
};

/* Starts the NTS server when ntsservercert/ntsserverkey are configured (otherwise does
 * nothing and returns 0). Call after tockd_access_init (ACL, client log) and before the
 * NTP server starts. Returns 0, or -1 after logging a fatal error. */
int tockd_nts_server_start(struct tockd *d);
/* Saves the keys (when they rotate), stops the helpers and frees everything. */
void tockd_nts_server_stop(struct tockd *d);

/* The key ring NTS-protected NTP requests are checked with, or NULL (no NTS server). */
const struct nts_keyring *tockd_nts_keyring(const struct tockd *d);
/* The counters, or NULL. */
struct nts_server_counters *tockd_nts_counters(struct tockd *d);

/* `tockctl reload certs` / `rekey`, SIGHUP: loads the certificates again (in the main
 * process or in every helper). Returns 0, or -1 when the main process could not load
 * them (the old ones stay in use). */
int tockd_nts_reload_certs(struct tockd *d);
/* `tockctl rekey`: with `ntsrotate 0`, reads ntskeys again. Returns 0 or -1. */
int tockd_nts_rekey(struct tockd *d);
/* Writes the key file now (`tockctl dump`). */
int tockd_nts_dump(struct tockd *d);

/* Logs the counters (at exit and on demand). */
void tockd_nts_log_counters(struct tockd *d);

/* The AEADs the server offers, in preference order (ntsaeads, restricted to what this
 * build supports: 15). */
void tockd_nts_aeads(const struct tock_config *conf, uint16_t out[4], int *n);

/* The random source for cookies and nonces (getrandom through daemon/rand.h). */
int tockd_nts_random(void *arg, uint8_t *buf, size_t len);

/* ---- helper processes ---- */

/* What a helper is given when it is forked. */
struct harden;

struct nts_helper_args {
    int index;                      /* 1..N, for the log prefix "nks#N: " */
    const struct tock_config *conf; /* certificates, maxntsconnections, ntsntpserver, port */
    int conn_fd;                    /* shared: connections (SCM_RIGHTS) from the main process */
    int ctl_fd;                     /* private: reports to / commands from the main process */
    const struct harden *harden;    /* privilege drop and seccomp (harden_enter_helper) */
};

/* The helper's entry point, right after fork(). It loads the certificates and
 * initialises OpenSSL, then drops to the daemon's user with no capability and loads the
 * NTS-KE seccomp profile (harden_enter_helper), and serves until the main process goes
 * away. Never returns. */
void nts_helper_main(const struct nts_helper_args *a) __attribute__((noreturn));

/* Messages between the main process and the helpers (fixed size, SOCK_SEQPACKET). */
#define NTS_HELPER_MAGIC 0x544b4531u /* "TKE1" */
struct nts_helper_conn_msg {         /* main -> helpers, with the connection's fd */
    uint32_t magic;
    uint32_t key_id;
    uint16_t aead;
    uint16_t key_len;
    uint8_t key[SIV_KEY_LEN];
    struct tock_endpoint peer;
};
enum nts_helper_ctl { NTS_HELPER_REPORT = 1, NTS_HELPER_RELOAD = 2 };
struct nts_helper_ctl_msg { /* both ways on the private channel */
    uint32_t magic;
    uint32_t type;   /* enum nts_helper_ctl */
    uint32_t status; /* RELOAD reply: 0 ok, 1 failed */
    /* REPORT: connections that ended, by enum nts_ke_outcome, since the last report (a
     * helper reports at most every NTS_HELPER_REPORT_INTERVAL, so that the main process is
     * not woken once per connection). */
    uint32_t counts[NTS_KE_N_OUTCOMES];
};
#define NTS_HELPER_REPORT_INTERVAL 0.25 /* seconds */

#endif
