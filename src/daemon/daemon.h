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
struct sync_engine;
struct sources;
struct resolver;
struct leapsec_table;
struct acl;
struct clientlog;
struct keys_table;
struct clock_driver;
struct ntp_server;
struct cmd_socket;
struct nts_server;
struct nts_client;
struct nts_source;
struct statlog;
struct metrics;
struct harden;

struct tockd {
    const struct tock_config *conf;
    struct loop *loop;
    struct clock_driver *clock;
    int8_t precision; /* log2 s */
    double precision_s;
    bool foreground;
    bool foreground_single_process; /* -d: the simulator-friendly single-process mode */
    bool no_clock_control;          /* -x */
    struct timespec start_mono;

    /* Synchronisation: the engine (src/sync/) and its shell (sync_shell.c, sources.c). */
    struct sync_engine *engine;
    struct sources *sources;
    struct resolver *resolver;
    struct leapsec_table *leaps;
    uint32_t sync_timer;
    bool clock_error_logged;
    bool leap_disagreement_logged;

    /* The reference state published to the server path (refreshed after every engine
     * event and at least every few seconds). */
    struct reference_snapshot ref;

    /* Who may be served, how often, and with which keys (serve/, crypto/). */
    struct acl *ntp_acl;
    struct acl *cmd_acl;
    struct clientlog *clientlog;
    struct keys_table *keys;
    struct server_stats stats;
    uint64_t send_errors;

    struct ntp_server *server;
    struct cmd_socket *cmd;

    /* NTS (nts_server.c, nts_client.c): NULL when not configured. */
    struct nts_server *nts;
    struct nts_client *nts_client;
    /* Monitoring: statistics log files (statlog.c), Prometheus endpoint (metrics.c). */
    struct statlog *statlog;
    struct metrics *metrics;
    /* Privilege drop and seccomp (harden.h): helper processes call
     * harden_enter_helper(d->harden, ...) first thing after fork(). */
    struct harden *harden;
};

/* Builds the access tables (hostnames resolved now), the client log and the key table.
 * Returns 0, or -1 after logging a fatal error (FILE:LINE of a bad subnet). */
int tockd_access_init(struct tockd *d);
void tockd_access_free(struct tockd *d);
/* Reopens the log files (SIGHUP, tockctl cyclelogs). */
void tockd_cyclelogs(struct tockd *d);
/* Re-reads the keyfile (tockctl rekey). */
int tockd_keys_load(struct tockd *d);

/* The daemon's time: cooked = the engine's correction applied to the driver's raw clock. */
void tockd_now(struct tockd *d, struct timespec *cooked);
/* Cooked time of a kernel packet timestamp (CLOCK_REALTIME). */
void tockd_cook_kernel(struct tockd *d, const struct timespec *realtime, struct timespec *cooked);

/* The sync engine: set up from the configuration (driftfile, leap table), started, and
 * told about every event. Returns 0 or -1 after logging. */
int tockd_sync_init(struct tockd *d);
/* After any call into the engine: apply its clock commands, publish the reference
 * snapshot, reschedule its timer. */
void tockd_sync_poke(struct tockd *d);
/* At exit: final driftfile. */
void tockd_sync_shutdown(struct tockd *d);

/* Sources from the configuration (server, pool): resolution, request sockets, replies. */
int tockd_sources_start(struct tockd *d);
void tockd_sources_stop(struct tockd *d);
/* Sends the requests the engine says are due. */
void tockd_sources_transmit_due(struct tockd *d);
/* What reports need to know about source i (0 <= i < tockd_sources_count). */
struct source_info {
    int engine_idx;
    const struct conf_source *cs;
    bool has_addr;
    struct tock_endpoint remote;
    struct tock_endpoint local;
    bool disabled;
    bool tx_kernel, rx_kernel;
    const struct nts_source *nts;              /* NTS state, or NULL */
    uint32_t kernel_tx_count, kernel_rx_count; /* valid replies with kernel timestamps */
};
int tockd_sources_count(const struct tockd *d);
bool tockd_source_info(const struct tockd *d, int i, struct source_info *out);
/* Index of the source with this address, or -1. */
int tockd_source_find(const struct tockd *d, const struct tock_ip *ip);
/* Re-resolves every source given by name (tockctl refresh). */
void tockd_sources_refresh(struct tockd *d);
/* reload sources: reads the sourcedir files again; sources whose line disappeared or
 * changed are removed, new lines added, the others keep their state. Returns 0, or -1
 * when the files could not be read. */
int tockd_sources_reload(struct tockd *d);
/* dump: writes each source's measurements to dumpdir (chronyd's format); returns the
 * number of files written (0 without dumpdir), -1 when out of memory. */
int tockd_dump(struct tockd *d);
/* Hands replacement requests from the engine (unreachable, falseticker) to the resolver. */
void tockd_sources_check_replacements(struct tockd *d);

/* Builds the access tables (hostnames resolved now), the client log and the key table.
 * Returns 0, or -1 after logging a fatal error (FILE:LINE of a bad subnet). */
int tockd_access_init(struct tockd *d);
void tockd_access_free(struct tockd *d);
/* Reopens the log files (SIGHUP, tockctl cyclelogs). */
void tockd_cyclelogs(struct tockd *d);
/* Re-reads the keyfile (tockctl rekey). */
int tockd_keys_load(struct tockd *d);

/* The reference state replies carry right now (refreshes the local reference's time as
 * chronyd does: now - 1 s, renewed after 64 s, with random low bits). */
const struct reference_snapshot *tockd_reference(struct tockd *d, const struct timespec *now);

/* Initial reference state from the configuration: `local` or unsynchronised. */
void tockd_reference_init(struct tockd *d);

#endif
