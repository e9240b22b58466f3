/* The daemon's shared state: what the thin I/O shell modules (server, command socket,
 * sources, clock driver) need from each other. One instance, owned by main(). */
#ifndef TOCK_DAEMON_DAEMON_H
#define TOCK_DAEMON_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "conf/config.h"
#include "serve/reference.h"
#include "serve/server_stats.h"

struct loop;
struct acl;
struct clientlog;
struct keys_table;
struct clock_driver;
struct ntp_server;
struct cmd_socket;

struct tockd {
    const struct tock_config *conf;
    struct loop *loop;
    struct clock_driver *clock;
    int8_t precision; /* log2 s */
    double precision_s;
    bool foreground;
    bool no_clock_control; /* -x */
    struct timespec start_mono;

    /* The reference state published to the server path. */
    struct reference_snapshot ref;
    double local_ref_refreshed; /* monotonic time of the last local ref_time refresh */

    /* Who may be served, how often, and with which keys (serve/, crypto/). */
    struct acl *ntp_acl;
    struct acl *cmd_acl;
    struct clientlog *clientlog;
    struct keys_table *keys;
    struct server_stats stats;
    uint64_t send_errors;

    struct ntp_server *server;
    struct cmd_socket *cmd;
};

/* Builds the access tables (hostnames resolved now), the client log and the key table.
 * Returns 0, or -1 after logging a fatal error (FILE:LINE of a bad subnet). */
int tockd_access_init(struct tockd *d);
void tockd_access_free(struct tockd *d);
/* Re-reads the keyfile (tockctl rekey). */
int tockd_keys_load(struct tockd *d);

/* The reference state replies carry right now (refreshes the local reference's time as
 * chronyd does: now - 1 s, renewed after 64 s, with random low bits). */
const struct reference_snapshot *tockd_reference(struct tockd *d, const struct timespec *now);

/* Initial reference state from the configuration: `local` or unsynchronised. */
void tockd_reference_init(struct tockd *d);

#endif
