/* tockctl's reports: pure functions from decoded candm structs to chronyc's exact text
 * (inventory 2.4-2.10, human and CSV) and to tockctl's JSON (see ctl_json.h). Names of
 * hosts come through a ctl_namer, so tests can inject them and no DNS happens here. */
#ifndef TOCK_CTL_CTL_REPORT_H
#define TOCK_CTL_CTL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ctl_buf.h"
#include "proto/candm.h"

/* How addresses become names (chronyc's format_name). */
struct ctl_namer {
    bool no_dns;       /* -n: numeric addresses, never truncated */
    bool source_names; /* -N: the name each source was configured with */
    /* Reverse lookup into buf; false = no name (the address is printed). NULL = none. */
    bool (*reverse)(void *ctx, const struct candm_ip *ip, char *buf, size_t len);
    /* The configured name of a source (NTP_SOURCE_NAME); false = failed. */
    bool (*source_name)(void *ctx, const struct candm_ip *ip, char *buf, size_t len);
    void *ctx;
};

/* chronyc's name for an address. ref: print the refid's text instead (a refclock or the
 * local reference). source: the address is a source's (for -N). In CSV or with -n the
 * numeric address; otherwise the reverse-DNS name cut to trunc characters with '>' as the
 * last one (trunc 0: never cut). */
void ctl_name(const struct ctl_namer *nm, bool csv, char *buf, size_t size, size_t trunc, bool ref,
              uint32_t ref_id, bool source, const struct candm_ip *ip);

/* tracking (inventory 2.4) */
void ctl_report_tracking(struct ctl_buf *b, const struct ctl_namer *nm, bool csv,
                         const struct candm_tracking *t);

/* sources [-a] [-v] (2.5): the optional legend and the header, then one line per source.
 * A line returns false (printing nothing) for an unresolved source without -a. */
void ctl_report_sources_header(struct ctl_buf *b, bool csv, bool verbose);
bool ctl_report_sources_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool all,
                             const struct candm_source_data *s);
/* Mode and state characters ('^' '=' '#', '*' '?' 'x' '~' '+' '-'); ' ' if unknown. */
char ctl_source_mode_char(uint16_t mode);
char ctl_source_state_char(uint16_t state);

/* sourcestats [-a] [-v] (2.6) */
void ctl_report_sourcestats_header(struct ctl_buf *b, bool csv, bool verbose);
bool ctl_report_sourcestats_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool all,
                                 const struct candm_sourcestats *s);

/* clients [-k] (2.7): nke shows the NTS-KE columns instead of the command ones. Clients
 * with an UNSPEC address are skipped (false). */
void ctl_report_clients_header(struct ctl_buf *b, bool csv, bool nke);
bool ctl_report_clients_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool nke,
                             const struct candm_client *c);

/* activity (2.8), with its "200 OK" line outside CSV. */
void ctl_report_activity(struct ctl_buf *b, bool csv, const struct candm_activity *a);

/* serverstats (2.9): 8 lines for STATS2 (chronyc 4.0-4.1), 11 for STATS3 (4.2-4.3), 17
 * for STATS4 (4.4+). reply is the reply code received. */
void ctl_report_serverstats(struct ctl_buf *b, bool csv, uint16_t reply,
                            const struct candm_server_stats *s);

/* ntpdata (2.10): 4.3's 27 lines for an NTP_DATA reply, 31 for NTP_DATA2. blank_first:
 * the empty line chronyc puts before each block when no address was given. */
void ctl_report_ntpdata(struct ctl_buf *b, bool csv, uint16_t reply, bool blank_first,
                        const struct candm_ntp_data *n);

/* selectdata [-a] [-v] and authdata [-a] [-v] (chronyc 4.x). */
void ctl_report_selectdata_header(struct ctl_buf *b, bool csv, bool verbose);
bool ctl_report_selectdata_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool all,
                                const struct candm_select_data *s);
void ctl_report_authdata_header(struct ctl_buf *b, bool csv, bool verbose);
void ctl_report_authdata_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv,
                              const struct candm_ip *ip, const struct candm_auth_data *a);

/* waitsync's per-try line. */
void ctl_report_waitsync_try(struct ctl_buf *b, bool csv, int try_no, uint32_t ref_id,
                             double correction, double skew_ppm);

/* The refid of the local reference and the ntpdata text form of an address's refid (the
 * IPv4 address, or for IPv6 the first 32 bits of the address's MD5 hash, as chronyd). */
#define CTL_REFID_LOCAL 0x7F7F0101U
uint32_t ctl_ip_refid(const struct candm_ip *ip);

#endif
