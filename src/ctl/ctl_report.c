/* chronyc's reports, field by field. The templates are chronyc's layouts (inventory 2.x,
 * checked against chronyc 4.3 output); ctl_report() renders them for humans or CSV. */
#include "ctl/ctl_report.h"

#include <inttypes.h>
#include <nettle/md5.h>
#include <stdio.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl_fmt.h"

#define NAME_LEN 256

void ctl_name(const struct ctl_namer *nm, bool csv, char *buf, size_t size, size_t trunc, bool ref,
              uint32_t ref_id, bool source, const struct candm_ip *ip)
{
    char refid[5];

    if (size == 0)
        return;
    buf[0] = '\0';
    if (ref) {
        snprintf(buf, size, "%s", ctl_refid_text(ref_id, refid));
    } else if (source && nm->source_names) {
        if (!nm->source_name || !nm->source_name(nm->ctx, ip, buf, size))
            snprintf(buf, size, "?");
    } else if (nm->no_dns || csv || !nm->reverse) {
        candm_ip_format(ip, buf, size);
    } else {
        if (!nm->reverse(nm->ctx, ip, buf, size))
            candm_ip_format(ip, buf, size);
        /* Long names are cut to the column, the last kept character replaced by '>'. */
        if (trunc > 0 && trunc < size && strlen(buf) > trunc) {
            buf[trunc - 1] = '>';
            buf[trunc] = '\0';
        }
    }
}

uint32_t ctl_ip_refid(const struct candm_ip *ip)
{
    uint8_t digest[MD5_DIGEST_SIZE];
    struct md5_ctx ctx;

    if (ip->is_id)
        return 0;
    if (ip->ip.family == AF_INET)
        return (uint32_t)ip->ip.addr[0] << 24 | (uint32_t)ip->ip.addr[1] << 16 |
               (uint32_t)ip->ip.addr[2] << 8 | ip->ip.addr[3];
    if (ip->ip.family == AF_INET6) {
        /* chronyd's refid for an IPv6 address: the first 32 bits of its MD5 hash. */
        md5_init(&ctx);
        md5_update(&ctx, 16, ip->ip.addr);
        md5_digest(&ctx, sizeof(digest), digest);
        return (uint32_t)digest[0] << 24 | (uint32_t)digest[1] << 16 | (uint32_t)digest[2] << 8 |
               digest[3];
    }
    return 0;
}

static uint32_t ipv4_as_refid(const struct candm_ip *ip)
{
    return ctl_ip_refid(ip);
}

/* ---- tracking ---- */

void ctl_report_tracking(struct ctl_buf *b, const struct ctl_namer *nm, bool csv,
                         const struct candm_tracking *t)
{
    char name[NAME_LEN];
    bool unspec = !t->ip.is_id && t->ip.ip.family != AF_INET && t->ip.ip.family != AF_INET6;

    ctl_name(nm, csv, name, sizeof(name), sizeof(name), unspec, t->ref_id, true, &t->ip);
    ctl_report(b, csv,
               "Reference ID    : %R (%s)\n"
               "Stratum         : %u\n"
               "Ref time (UTC)  : %T\n"
               "System time     : %.9O of NTP time\n"
               "Last offset     : %+.9f seconds\n"
               "RMS offset      : %.9f seconds\n"
               "Frequency       : %.3F\n"
               "Residual freq   : %+.3f ppm\n"
               "Skew            : %.3f ppm\n"
               "Root delay      : %.9f seconds\n"
               "Root dispersion : %.9f seconds\n"
               "Update interval : %.1f seconds\n"
               "Leap status     : %L\n",
               t->ref_id, name, (unsigned)t->stratum, &t->ref_time, t->current_correction,
               t->last_offset, t->rms_offset, t->freq_ppm, t->resid_freq_ppm, t->skew_ppm,
               t->root_delay, t->root_dispersion, t->last_update_interval, (int)t->leap_status);
}

/* ---- sources ---- */

char ctl_source_mode_char(uint16_t mode)
{
    switch (mode) {
    case CANDM_SD_MODE_CLIENT:
        return '^';
    case CANDM_SD_MODE_PEER:
        return '=';
    case CANDM_SD_MODE_REF:
        return '#';
    default:
        return ' ';
    }
}

char ctl_source_state_char(uint16_t state)
{
    static const char chars[] = {'*', '?', 'x', '~', '+', '-'};
    return state < sizeof(chars) ? chars[state] : ' ';
}

void ctl_report_sources_header(struct ctl_buf *b, bool csv, bool verbose)
{
    if (verbose && !csv)
        ctl_buf_puts(
            b, "\n"
               "  .-- Source mode  '^' = server, '=' = peer, '#' = local clock.\n"
               " / .- Source state '*' = current best, '+' = combined, '-' = not combined,\n"
               "| /             'x' = may be in error, '~' = too variable, '?' = unusable.\n"
               "||                                                 .- xxxx [ yyyy ] +/- zzzz\n"
               "||      Reachability register (octal) -.           |  xxxx = adjusted offset,\n"
               "||      Log2(Polling interval) --.      |          |  yyyy = measured offset,\n"
               "||                                \\     |          |  zzzz = estimated error.\n"
               "||                                 |    |           \\\n");
    ctl_fmt_header(
        b, csv, "MS Name/IP address         Stratum Poll Reach LastRx Last sample               ");
}

bool ctl_report_sources_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool all,
                             const struct candm_source_data *s)
{
    char name[NAME_LEN];

    if (!all && s->ip.is_id)
        return false;
    /* A refclock's address field holds its refid as an IPv4 address. */
    bool ref = s->mode == CANDM_SD_MODE_REF && !s->ip.is_id && s->ip.ip.family == AF_INET;
    ctl_name(nm, csv, name, sizeof(name), 25, ref, ref ? ipv4_as_refid(&s->ip) : 0, true, &s->ip);
    ctl_report(b, csv, "%c%c %-27s  %2d  %2d   %3o  %I  %+S[%+S] +/- %S\n",
               ctl_source_mode_char(s->mode), ctl_source_state_char(s->state), name,
               (int)s->stratum, (int)s->poll, (unsigned)s->reachability, s->since_sample,
               s->latest_meas, s->orig_latest_meas, s->latest_meas_err);
    return true;
}

/* ---- sourcestats ---- */

void ctl_report_sourcestats_header(struct ctl_buf *b, bool csv, bool verbose)
{
    if (verbose && !csv)
        ctl_buf_puts(b, "                             .- Number of sample points in "
                        "measurement set.\n"
                        "                            /    .- Number of residual runs with "
                        "same sign.\n"
                        "                           |    /    .- Length of measurement set "
                        "(time).\n"
                        "                           |   |    /      .- Est. clock freq error "
                        "(ppm).\n"
                        "                           |   |   |      /           .- Est. error "
                        "in freq.\n"
                        "                           |   |   |     |           /         .- "
                        "Est. offset.\n"
                        "                           |   |   |     |          |          |   "
                        "On the -.\n"
                        "                           |   |   |     |          |          |   "
                        "samples. \\\n"
                        "                           |   |   |     |          |          |    "
                        "         |\n");
    ctl_fmt_header(
        b, csv, "Name/IP Address            NP  NR  Span  Frequency  Freq Skew  Offset  Std Dev");
}

bool ctl_report_sourcestats_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool all,
                                 const struct candm_sourcestats *s)
{
    char name[NAME_LEN];

    if (!all && s->ip.is_id)
        return false;
    bool unspec = !s->ip.is_id && s->ip.ip.family != AF_INET && s->ip.ip.family != AF_INET6;
    ctl_name(nm, csv, name, sizeof(name), 25, unspec, s->ref_id, true, &s->ip);
    ctl_report(b, csv, "%-25s %3U %3U  %I %+P %P  %+S  %S\n", name, s->n_samples, s->n_runs,
               s->span_seconds, s->resid_freq_ppm, s->skew_ppm, s->est_offset, s->sd);
    return true;
}

/* ---- clients ---- */

void ctl_report_clients_header(struct ctl_buf *b, bool csv, bool nke)
{
    char header[96];
    snprintf(header, sizeof(header),
             "Hostname                      NTP   Drop Int IntL Last  %6s   Drop Int  Last",
             nke ? "NTS-KE" : "Cmd");
    ctl_fmt_header(b, csv, header);
}

bool ctl_report_clients_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool nke,
                             const struct candm_client *c)
{
    char name[50];

    if (!c->ip.is_id && c->ip.ip.family != AF_INET && c->ip.ip.family != AF_INET6)
        return false;
    ctl_name(nm, csv, name, sizeof(name), 25, false, 0, false, &c->ip);
    ctl_report(b, csv, "%-25s  %6U  %5U  %C  %C  %I  %6U  %5U  %C  %I\n", name, c->ntp_hits,
               c->ntp_drops, (int)c->ntp_interval, (int)c->ntp_timeout_interval,
               c->last_ntp_hit_ago, nke ? c->nke_hits : c->cmd_hits,
               nke ? c->nke_drops : c->cmd_drops, (int)(nke ? c->nke_interval : c->cmd_interval),
               nke ? c->last_nke_hit_ago : c->last_cmd_hit_ago);
    return true;
}

/* ---- activity, serverstats ---- */

void ctl_report_activity(struct ctl_buf *b, bool csv, const struct candm_activity *a)
{
    if (!csv)
        ctl_buf_puts(b, "200 OK\n");
    ctl_report(b, csv,
               "%U sources online\n"
               "%U sources offline\n"
               "%U sources doing burst (return to online)\n"
               "%U sources doing burst (return to offline)\n"
               "%U sources with unknown address\n",
               (uint32_t)a->online, (uint32_t)a->offline, (uint32_t)a->burst_online,
               (uint32_t)a->burst_offline, (uint32_t)a->unresolved);
}

void ctl_report_serverstats(struct ctl_buf *b, bool csv, uint16_t reply,
                            const struct candm_server_stats *s)
{
    if (reply == CANDM_RPY_SERVER_STATS2) {
        /* chronyc 4.0-4.1 */
        ctl_report(b, csv,
                   "NTP packets received       : %Q\n"
                   "NTP packets dropped        : %Q\n"
                   "Command packets received   : %Q\n"
                   "Command packets dropped    : %Q\n"
                   "Client log records dropped : %Q\n"
                   "NTS-KE connections accepted: %Q\n"
                   "NTS-KE connections dropped : %Q\n"
                   "Authenticated NTP packets  : %Q\n",
                   s->ntp_hits, s->ntp_drops, s->cmd_hits, s->cmd_drops, s->log_drops, s->nke_hits,
                   s->nke_drops, s->ntp_auth_hits);
    } else if (reply == CANDM_RPY_SERVER_STATS3) {
        /* chronyc 4.2-4.3 */
        ctl_report(b, csv,
                   "NTP packets received       : %Q\n"
                   "NTP packets dropped        : %Q\n"
                   "Command packets received   : %Q\n"
                   "Command packets dropped    : %Q\n"
                   "Client log records dropped : %Q\n"
                   "NTS-KE connections accepted: %Q\n"
                   "NTS-KE connections dropped : %Q\n"
                   "Authenticated NTP packets  : %Q\n"
                   "Interleaved NTP packets    : %Q\n"
                   "NTP timestamps held        : %Q\n"
                   "NTP timestamp span         : %Q\n",
                   s->ntp_hits, s->ntp_drops, s->cmd_hits, s->cmd_drops, s->log_drops, s->nke_hits,
                   s->nke_drops, s->ntp_auth_hits, s->ntp_interleaved_hits, s->ntp_timestamps,
                   s->ntp_span_seconds);
    } else {
        ctl_report(b, csv,
                   "NTP packets received       : %Q\n"
                   "NTP packets dropped        : %Q\n"
                   "Command packets received   : %Q\n"
                   "Command packets dropped    : %Q\n"
                   "Client log records dropped : %Q\n"
                   "NTS-KE connections accepted: %Q\n"
                   "NTS-KE connections dropped : %Q\n"
                   "Authenticated NTP packets  : %Q\n"
                   "Interleaved NTP packets    : %Q\n"
                   "NTP timestamps held        : %Q\n"
                   "NTP timestamp span         : %Q\n"
                   "NTP daemon RX timestamps   : %Q\n"
                   "NTP daemon TX timestamps   : %Q\n"
                   "NTP kernel RX timestamps   : %Q\n"
                   "NTP kernel TX timestamps   : %Q\n"
                   "NTP hardware RX timestamps : %Q\n"
                   "NTP hardware TX timestamps : %Q\n",
                   s->ntp_hits, s->ntp_drops, s->cmd_hits, s->cmd_drops, s->log_drops, s->nke_hits,
                   s->nke_drops, s->ntp_auth_hits, s->ntp_interleaved_hits, s->ntp_timestamps,
                   s->ntp_span_seconds, s->ntp_daemon_rx_timestamps, s->ntp_daemon_tx_timestamps,
                   s->ntp_kernel_rx_timestamps, s->ntp_kernel_tx_timestamps,
                   s->ntp_hw_rx_timestamps, s->ntp_hw_tx_timestamps);
    }
}

/* ---- ntpdata ---- */

static double log2_to_seconds(int l)
{
    if (l > 31)
        l = 31;
    if (l < -31)
        l = -31;
    return l >= 0 ? (double)(1u << l) : 1.0 / (double)(1u << -l);
}

void ctl_report_ntpdata(struct ctl_buf *b, bool csv, uint16_t reply, bool blank_first,
                        const struct candm_ntp_data *n)
{
    char remote[CANDM_IP_STRLEN], local[CANDM_IP_STRLEN], refid[5];
    const char *ref_text = n->stratum <= 1 ? ctl_refid_text(n->ref_id, refid) : "";

    candm_ip_format(&n->remote_addr, remote, sizeof(remote));
    candm_ip_format(&n->local_addr, local, sizeof(local));
    if (blank_first && !csv)
        ctl_buf_putc(b, '\n');

    /* The 4.3 layout ends at "Total good RX"; NTP_DATA2 (4.6+) adds four lines. */
    const char *tmpl_v1 = "Remote address  : %s (%R)\n"
                          "Remote port     : %u\n"
                          "Local address   : %s (%R)\n"
                          "Leap status     : %L\n"
                          "Version         : %u\n"
                          "Mode            : %M\n"
                          "Stratum         : %u\n"
                          "Poll interval   : %d (%.0f seconds)\n"
                          "Precision       : %d (%.9f seconds)\n"
                          "Root delay      : %.6f seconds\n"
                          "Root dispersion : %.6f seconds\n"
                          "Reference ID    : %R (%s)\n"
                          "Reference time  : %T\n"
                          "Offset          : %+.9f seconds\n"
                          "Peer delay      : %.9f seconds\n"
                          "Peer dispersion : %.9f seconds\n"
                          "Response time   : %.9f seconds\n"
                          "Jitter asymmetry: %+.2f\n"
                          "NTP tests       : %.3b %.3b %.4b\n"
                          "Interleaved     : %B\n"
                          "Authenticated   : %B\n"
                          "TX timestamping : %N\n"
                          "RX timestamping : %N\n"
                          "Total TX        : %U\n"
                          "Total RX        : %U\n"
                          "Total valid RX  : %U\n"
                          "Total good RX   : %U\n";
    const char *tmpl_v2 = "Remote address  : %s (%R)\n"
                          "Remote port     : %u\n"
                          "Local address   : %s (%R)\n"
                          "Leap status     : %L\n"
                          "Version         : %u\n"
                          "Mode            : %M\n"
                          "Stratum         : %u\n"
                          "Poll interval   : %d (%.0f seconds)\n"
                          "Precision       : %d (%.9f seconds)\n"
                          "Root delay      : %.6f seconds\n"
                          "Root dispersion : %.6f seconds\n"
                          "Reference ID    : %R (%s)\n"
                          "Reference time  : %T\n"
                          "Offset          : %+.9f seconds\n"
                          "Peer delay      : %.9f seconds\n"
                          "Peer dispersion : %.9f seconds\n"
                          "Response time   : %.9f seconds\n"
                          "Jitter asymmetry: %+.2f\n"
                          "NTP tests       : %.3b %.3b %.4b\n"
                          "Interleaved     : %B\n"
                          "Authenticated   : %B\n"
                          "TX timestamping : %N\n"
                          "RX timestamping : %N\n"
                          "Total TX        : %U\n"
                          "Total RX        : %U\n"
                          "Total valid RX  : %U\n"
                          "Total good RX   : %U\n"
                          "Total kernel TX : %U\n"
                          "Total kernel RX : %U\n"
                          "Total HW TX     : %U\n"
                          "Total HW RX     : %U\n";
    /* Both templates take the same leading arguments; v1 ignores the last four. */
    ctl_report(b, csv, reply == CANDM_RPY_NTP_DATA2 ? tmpl_v2 : tmpl_v1, remote,
               ctl_ip_refid(&n->remote_addr), (unsigned)n->remote_port, local,
               ctl_ip_refid(&n->local_addr), (int)n->leap, (unsigned)n->version, (int)n->mode,
               (unsigned)n->stratum, (int)n->poll, log2_to_seconds(n->poll), (int)n->precision,
               log2_to_seconds(n->precision), n->root_delay, n->root_dispersion, n->ref_id,
               ref_text, &n->ref_time, n->offset, n->peer_delay, n->peer_dispersion,
               n->response_time, n->jitter_asymmetry, (unsigned)(n->flags >> 7),
               (unsigned)(n->flags >> 4), (unsigned)n->flags,
               (int)((n->flags & CANDM_NTP_FLAG_INTERLEAVED) != 0),
               (int)((n->flags & CANDM_NTP_FLAG_AUTHENTICATED) != 0), (int)n->tx_tss_char,
               (int)n->rx_tss_char, n->total_tx_count, n->total_rx_count, n->total_valid_count,
               n->total_good_count, n->total_kernel_tx_ts, n->total_kernel_rx_ts, n->total_hw_tx_ts,
               n->total_hw_rx_ts);
}

/* ---- selectdata, authdata ---- */

void ctl_report_selectdata_header(struct ctl_buf *b, bool csv, bool verbose)
{
    if (verbose && !csv)
        /* chronyc 4.3's legend, its doubled comma included (later versions reword it). */
        ctl_buf_puts(b, "  . State: N - noselect, s - unsynchronised, M - missing samples,\n"
                        " /         d/D - large distance, ~ - jittery, w/W - waits for others,\n"
                        "|          S - stale, O - orphan, T - not trusted, P - not preferred,\n"
                        "|          U - waits for update,, x - falseticker, + - combined, * - "
                        "best.\n"
                        "|   Effective options   ---------.  (N - noselect, P - prefer\n"
                        "|   Configured options  ----.     \\  T - trust, R - require)\n"
                        "|   Auth. enabled (Y/N) -.   \\     \\     Offset interval --.\n"
                        "|                        |    |     |                       |\n");
    ctl_fmt_header(b, csv,
                   "S Name/IP Address        Auth COpts EOpts Last Score     Interval  Leap");
}

static void options_chars(uint16_t o, char out[6])
{
    out[0] = o & CANDM_SELECT_OPT_NOSELECT ? 'N' : '-';
    out[1] = o & CANDM_SELECT_OPT_PREFER ? 'P' : '-';
    out[2] = o & CANDM_SELECT_OPT_TRUST ? 'T' : '-';
    out[3] = o & CANDM_SELECT_OPT_REQUIRE ? 'R' : '-';
    out[4] = '-';
    out[5] = '\0';
}

bool ctl_report_selectdata_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv, bool all,
                                const struct candm_select_data *s)
{
    char name[NAME_LEN], co[6], eo[6];

    if (!all && s->ip.is_id)
        return false;
    bool unspec = !s->ip.is_id && s->ip.ip.family != AF_INET && s->ip.ip.family != AF_INET6;
    ctl_name(nm, csv, name, sizeof(name), 25, unspec, s->ref_id, true, &s->ip);
    options_chars(s->conf_options, co);
    options_chars(s->eff_options, eo);
    ctl_report(b, csv, "%c %-25s %c %c%c%c%c%c %c%c%c%c%c %I %5.1f %+S %+S  %1L\n",
               (int)s->state_char, name, s->authentication ? 'Y' : 'N', co[0], co[1], co[2], co[3],
               co[4], eo[0], eo[1], eo[2], eo[3], eo[4], s->last_sample_ago, s->score, s->lo_limit,
               s->hi_limit, (int)s->leap);
    return true;
}

void ctl_report_authdata_header(struct ctl_buf *b, bool csv, bool verbose)
{
    if (verbose && !csv)
        ctl_buf_puts(b,
                     "                             .- Auth. mechanism (NTS, SK - symmetric key)\n"
                     "                            |   Key length -.  Cookie length (bytes) -.\n"
                     "                            |       (bits)  |  Num. of cookies --.    |\n"
                     "                            |               |  Key est. attempts  |   |\n"
                     "                            |               |           |         |   |\n");
    ctl_fmt_header(b, csv,
                   "Name/IP address             Mode KeyID Type KLen Last Atmp  NAK Cook CLen");
}

void ctl_report_authdata_line(struct ctl_buf *b, const struct ctl_namer *nm, bool csv,
                              const struct candm_ip *ip, const struct candm_auth_data *a)
{
    char name[NAME_LEN];
    const char *mode;

    ctl_name(nm, csv, name, sizeof(name), 25, false, 0, true, ip);
    switch (a->mode) {
    case CANDM_AUTH_NONE:
        mode = "-";
        break;
    case CANDM_AUTH_SYMMETRIC:
        mode = "SK";
        break;
    case CANDM_AUTH_NTS:
        mode = "NTS";
        break;
    default:
        mode = "?";
        break;
    }
    ctl_report(b, csv, "%-27s %4s %5U %4d %4d %I %4d %4d %4d %4d\n", name, mode, a->key_id,
               (int)a->key_type, (int)a->key_length, a->last_ke_ago, (int)a->ke_attempts,
               (int)a->nak, (int)a->cookies, (int)a->cookie_length);
}

void ctl_report_waitsync_try(struct ctl_buf *b, bool csv, int try_no, uint32_t ref_id,
                             double correction, double skew_ppm)
{
    ctl_report(b, csv, "try: %d, refid: %R, correction: %.9f, skew: %.3f\n", try_no, ref_id,
               correction, skew_ppm);
}
