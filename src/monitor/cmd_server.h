/* The command-socket dispatcher: chronyd's request handling (inventory 3.5) as one pure
 * function. The daemon calls cmd_server_handle() for every datagram read from a command
 * socket and sends back the returned bytes, if any, to the sender.
 *
 * What the daemon does BEFORE calling (not done here, because it needs sockets or state):
 *  - UDP: drop datagrams from non-loopback senders that cmdallow/cmddeny refuse (silently),
 *    log the access in the client log (cmd_hits), and drop silently what cmdratelimit
 *    refuses. Loopback and Unix-socket requests are never rate limited (chronyd counts them
 *    in "Command packets received" but they are not listed by `clients`).
 *  - Unix socket: nothing; the socket directory's permissions are the access control.
 *
 * What this function does, in chronyd's order:
 *   1. drop < 28 or > 860 bytes; drop pkt_type != request, res1/res2 != 0;
 *   2. version != 6: reply BADPKTVERSION (18) if version >= 5, else drop;
 *   3. unknown/obsolete command (incl. NULL and LOGON, as chrony 4.7+): reply INVALID (3);
 *   4. shorter than the command plus padding: reply BADPKTLENGTH (19);
 *   5. over UDP only the "open" monitoring commands (chrony's default set, or the set the
 *      daemon passes in udp_open for `opencommands`): anything else gets UNAUTH (2);
 *   6. run the command through the backend;
 *   7. send the reply only if it is not longer than the request (and fits in cap).
 * SERVER_STATS and NTP_DATA replies use the variant the request length asks for:
 * SERVER_STATS 60..71 -> STATS2, 72..195 -> STATS3, >= 196 -> STATS4; NTP_DATA 152..171 ->
 * NTP_DATA, >= 172 -> NTP_DATA2. So chronyc 4.0 to 4.8 all get the reply code they expect.
 *
 * It never allocates, keeps no state, and reads nothing outside [req, req+len).
 */
#ifndef TOCK_MONITOR_CMD_SERVER_H
#define TOCK_MONITOR_CMD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/candm.h"

enum cmd_transport {
    CMD_TRANSPORT_UDP,  /* the UDP command port: read-only monitoring only */
    CMD_TRANSPORT_UNIX, /* the Unix datagram socket: every command */
};

/* Bitmap over request codes: bit (c % 32) of word (c / 32). */
#define CMD_OPEN_WORDS ((CANDM_N_REQUEST_TYPES + 31) / 32)

/* The daemon's side of the command protocol: a table of callbacks and the context pointer
 * passed back to each. Every callback is optional: NULL means "this daemon does not have
 * it" and the dispatcher answers as chronyd does for a missing facility (noted per field).
 *
 * Conventions:
 *  - Callbacks return a status, CANDM_STT_SUCCESS (0) or a CANDM_STT_* error code; the
 *    error goes to the client as is (chronyc prints e.g. "503 No such source").
 *  - "out" structs are zeroed by the dispatcher before the call, so a callback fills only
 *    what it knows; anything left is sent as 0.
 *  - Times that are ages ("seconds ago") are computed by the daemon at the moment of the
 *    call; the dispatcher never reads a clock.
 *  - Callbacks run synchronously inside cmd_server_handle() and must not block.
 */
struct cmd_backend {
    void *ctx;

    /* UDP access: NULL = chrony's default open set (N_SOURCES, SOURCE_DATA, TRACKING,
     * SOURCESTATS, RTCREPORT, MANUAL_LIST, ACTIVITY, SMOOTHING, NTP_SOURCE_NAME). A daemon
     * implementing chrony 4.7's `opencommands` passes its own bitmap; read-write commands
     * are never allowed over UDP whatever the bitmap says. */
    const uint32_t *udp_open;

    /* ---- read-only reports (UDP when open, always on the Unix socket) ---- */

    /* TRACKING: the reference as `tracking` shows it. current_correction is the remaining
     * offset being slewed out (positive = clock slow); when unsynchronised: ref_id 0,
     * stratum 0, leap 3, ref_time 0, root delay and dispersion 1.0. With the local
     * reference: ref_id 0x7F7F0101, ip UNSPEC, root values 0. NULL -> INVALID. */
    int (*tracking)(void *ctx, struct candm_tracking *out);

    /* N_SOURCES: every source, including unresolved ones and refclocks; indices into
     * source_data/sourcestats/select_data run 0..n-1. NULL -> INVALID. */
    int (*n_sources)(void *ctx, uint32_t *out);

    /* SOURCE_DATA for one index. An index >= n_sources must return NOSUCHSOURCE. ip: the
     * address; a refclock has family INET4 holding its refid, an unresolved source is_id.
     * since_sample = s since the last good sample, 0xFFFFFFFF never. NULL -> INVALID. */
    int (*source_data)(void *ctx, uint32_t index, struct candm_source_data *out);

    /* SOURCESTATS for one index. ref_id: the IPv4 address for NTP sources, the refid for
     * refclocks (whose ip is UNSPEC). A source without samples reports resid_freq 0, skew
     * 2000 ppm, est_offset 0 and sd 4 s, as chronyd. NULL -> INVALID. */
    int (*sourcestats)(void *ctx, uint32_t index, struct candm_sourcestats *out);

    /* SELECT_DATA for one index (chronyc `selectdata`). NULL -> INVALID. state_char is the
     * selection state letter ('*', '+', '-', 'N', 's', ...), which a daemon gets from its
     * source selection; leave it NULL if the selection does not expose these reasons. */
    int (*select_data)(void *ctx, uint32_t index, struct candm_select_data *out);

    /* ACTIVITY: counts of online/offline/burst sources and sources with an unresolved
     * name. NULL -> INVALID. */
    int (*activity)(void *ctx, struct candm_activity *out);

    /* SERVER_STATS: all 17 counters; the dispatcher sends the subset the request's variant
     * has (wrapping counters modulo 2^32 for STATS2/STATS3). NULL -> INVALID. */
    int (*server_stats)(void *ctx, struct candm_server_stats *out);

    /* NTP_DATA for the NTP source with this address (ip.ip); NOSUCHSOURCE if none. The
     * fields are those of the last valid response from that source plus per-source counters
     * (see struct candm_ntp_data); flags carry the ten test bits as chronyd lays them out
     * (bits 7-9 tests 1-3, 4-6 tests 5-7, 0-3 max-delay/ratio/dev-ratio/sync-loop).
     * NULL -> INVALID. */
    int (*ntp_data)(void *ctx, const struct candm_ip *addr, struct candm_ntp_data *out);

    /* NTP_SOURCE_NAME: the name as configured (e.g. "pool.ntp.org") of the source with
     * this address; NOSUCHSOURCE if none. NULL -> INVALID. */
    int (*source_name)(void *ctx, const struct candm_ip *addr, char out[CANDM_NAME_LEN]);

    /* AUTH_DATA for the NTP source with this address. NULL -> INVALID. */
    int (*auth_data)(void *ctx, const struct candm_ip *addr, struct candm_auth_data *out);

    /* Client log, for CLIENT_ACCESSES_BY_INDEX3. clients_n_indices returns the number of
     * slots in the client table, including empty ones, or a negative value when client
     * logging is off (-> INACTIVE, "519 Client logging is not active"). client_by_index
     * fills one slot and returns true if it is in use and has at least min_hits hits in
     * some service (min_hits 0: any used slot); if reset, the slot's hit and drop counters
     * are zeroed after reading (for every used slot examined, reported or not). The
     * dispatcher does chronyd's paging walk. Either NULL -> INACTIVE. */
    int (*clients_n_indices)(void *ctx);
    bool (*client_by_index)(void *ctx, uint32_t index, uint32_t min_hits, bool reset,
                            struct candm_client *out);

    /* RTCREPORT. NULL -> NORTC (513), as chronyd without rtcfile. */
    int (*rtc_report)(void *ctx, struct candm_rtc *out);
    /* SMOOTHING. NULL -> NOTENABLED (505), as chronyd without smoothtime. */
    int (*smoothing)(void *ctx, struct candm_smoothing *out);
    /* MANUAL_LIST. NULL -> an empty list (what chronyd says with no manual samples). */
    int (*manual_list)(void *ctx, struct candm_manual_list *out);

    /* ACCHECK / CMDACCHECK: whether the NTP (cmd false) or command (cmd true) access
     * rules allow this address. Return ACCESSALLOWED or ACCESSDENIED. NULL -> INVALID. */
    int (*access_check)(void *ctx, bool cmd, const struct candm_ip *addr);

    /* ---- read-write commands (Unix socket only; over UDP always UNAUTH) ---- */

    /* MAKESTEP: step the clock now by the remaining correction; FAILED if it cannot. */
    int (*makestep)(void *ctx);
    /* MODIFY_MAKESTEP: change the makestep threshold (s) and limit (updates). */
    int (*modify_makestep)(void *ctx, double threshold, int32_t limit);
    /* RELOAD_SOURCES: re-read the sourcedir *.sources files. */
    int (*reload_sources)(void *ctx);
    /* ONLINE/OFFLINE: mark the sources whose address matches address under mask (mask and
     * address both UNSPEC: all sources) online or offline; NOSUCHSOURCE if none matched. */
    int (*set_online)(void *ctx, bool online, const struct candm_ip *mask,
                      const struct candm_ip *address);
    /* ONOFFLINE: set every source online or offline according to the routing table. */
    int (*onoffline)(void *ctx);
    /* BURST: n_good/n_total measurements from matching sources; NOSUCHSOURCE if none. */
    int (*burst)(void *ctx, int32_t n_good, int32_t n_total, const struct candm_ip *mask,
                 const struct candm_ip *address);
    int (*cyclelogs)(void *ctx);     /* CYCLELOGS: reopen log files */
    int (*dump)(void *ctx);          /* DUMP: write measurements (and NTS state) to dumpdir */
    int (*rekey)(void *ctx);         /* REKEY: re-read the keyfile (and NTS server keys) */
    int (*reselect)(void *ctx);      /* RESELECT: force a new source selection */
    int (*refresh)(void *ctx);       /* REFRESH: re-resolve source names */
    int (*reset_sources)(void *ctx); /* RESET_SOURCES: drop all measurements */
    int (*shutdown)(void *ctx);      /* SHUTDOWN: exit the daemon cleanly */
    /* Every read-write callback: NULL -> INVALID ("502 Invalid command"). */
};

/* Fills bits with chrony's default UDP open set (the set used when udp_open is NULL). */
void cmd_server_default_open(uint32_t bits[CMD_OPEN_WORDS]);
/* Sets the bit for a command; false if the command cannot be opened (it is not a
 * read-only monitoring command). Meant for `opencommands` parsing. */
bool cmd_server_open_command(uint32_t bits[CMD_OPEN_WORDS], uint16_t command);
/* Opens a chronyc command name as chrony 4.7's `opencommands` directive does: "sources"
 * (N_SOURCES + SOURCE_DATA), "sourcestats", "ntpdata", "authdata", "selectdata" (each with
 * N_SOURCES), "clients", "serverstats", "tracking", "activity", "manual", "rtcdata",
 * "smoothing", "sourcename". False for any other name (nothing is changed then). */
bool cmd_server_open_name(uint32_t bits[CMD_OPEN_WORDS], const char *name);
/* True if the command is read-only (may be opened for UDP). */
bool cmd_server_is_readonly(uint16_t command);

/* Handles one request datagram of len bytes. Writes the reply into reply (cap bytes; at
 * least CANDM_MAX_REPLY_LEN is always enough) and returns its length; 0 = send nothing.
 * The result is never larger than len. */
size_t cmd_server_handle(const struct cmd_backend *be, enum cmd_transport t, const uint8_t *req,
                         size_t len, uint8_t *reply, size_t cap);

#endif
