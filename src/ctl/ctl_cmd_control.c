/* tockctl's control commands (makestep, online/offline, burst, reload, ...: "200 OK") and
 * the local ones (keygen, help). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "ctl/ctl_json.h"
#include "ctl/ctl_session.h"

/* ---- commands without data: "200 OK" ---- */

static int simple(struct ctl_session *s, struct candm_request *rq)
{
    struct candm_reply rp;
    bool ok = ctl_sess_request(s, rq, &rp, (const uint16_t[]){CANDM_RPY_NULL}, 1, true);
    if (s->opts->json && ok)
        ctl_json_result(s->out, s->command, rp.status);
    return ok ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

int ctl_cmd_makestep(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    double threshold;
    int limit;
    char extra;

    if (ws->n == 1) {
        ctl_sess_init_request(&rq, CANDM_REQ_MAKESTEP);
    } else if (sscanf(ws->rest, "%lf %d %c", &threshold, &limit, &extra) == 2) {
        ctl_sess_init_request(&rq, CANDM_REQ_MODIFY_MAKESTEP);
        rq.u.makestep.threshold = threshold;
        rq.u.makestep.limit = limit;
    } else {
        ctl_sess_error(s, "Bad syntax for makestep command");
        return CTL_EXIT_FAIL;
    }
    return simple(s, &rq);
}

/* chronyc's [MASK/]ADDRESS or ADDRESS/BITS. Empty: every source. */
static bool parse_mask_address(struct ctl_session *s, const char *text, struct candm_ip *mask,
                               struct candm_ip *addr)
{
    char buf[256], *slash;

    memset(mask, 0, sizeof(*mask));
    memset(addr, 0, sizeof(*addr));
    if (!*text)
        return true;
    snprintf(buf, sizeof(buf), "%s", text);
    slash = strchr(buf, '/');
    if (slash) {
        *slash++ = '\0';
        if (tock_ip_parse(buf, &mask->ip) == 0) {
            if (tock_ip_parse(slash, &addr->ip) == 0) {
                if (addr->ip.family == mask->ip.family)
                    return true;
            } else {
                char *end;
                long bits = strtol(slash, &end, 10);
                int max = mask->ip.family == AF_INET ? 32 : 128;
                if (end != slash && *end == '\0') {
                    *addr = *mask;
                    if (bits < 0 || bits > max)
                        bits = max;
                    memset(mask->ip.addr, 0, sizeof(mask->ip.addr));
                    for (long i = 0; i < bits; i++)
                        mask->ip.addr[i / 8] |= (uint8_t)(0x80 >> (i % 8));
                    return true;
                }
            }
        }
        ctl_sess_error(s, "Invalid syntax for mask/address");
        return false;
    }
    if (!ctl_sess_parse_address(s, buf, addr)) {
        ctl_sess_error(s, "Could not get address for hostname");
        return false;
    }
    if (addr->is_id) {
        mask->ip.family = AF_UNSPEC; /* an ID has no mask */
    } else {
        mask->ip.family = addr->ip.family;
        memset(mask->ip.addr, 0xff, addr->ip.family == AF_INET ? 4 : 16);
    }
    return true;
}

int ctl_cmd_online(struct ctl_session *s, const struct ctl_words *ws, bool online)
{
    struct candm_request rq;
    ctl_sess_init_request(&rq, online ? CANDM_REQ_ONLINE : CANDM_REQ_OFFLINE);
    if (!parse_mask_address(s, ws->rest, &rq.u.online.mask, &rq.u.online.address))
        return CTL_EXIT_FAIL;
    return simple(s, &rq);
}

int ctl_cmd_burst(struct ctl_session *s, const struct ctl_words *ws)
{
    struct candm_request rq;
    int good, total;
    char extra;

    ctl_sess_init_request(&rq, CANDM_REQ_BURST);
    if (ws->n < 2 || sscanf(ws->w[1], "%d/%d%c", &good, &total, &extra) != 2) {
        ctl_sess_error(s, "Invalid syntax for burst command");
        return CTL_EXIT_FAIL;
    }
    rq.u.burst.n_good_samples = good;
    rq.u.burst.n_total_samples = total;
    if (ws->n > 2 && !parse_mask_address(s, ws->w[2], &rq.u.burst.mask, &rq.u.burst.address))
        return CTL_EXIT_FAIL;
    return simple(s, &rq);
}

int ctl_cmd_with_sources_arg(struct ctl_session *s, const struct ctl_words *ws, uint16_t command,
                             const char *what)
{
    struct candm_request rq;
    char msg[64];
    if (ws->n != 2 || strcmp(ws->w[1], "sources") != 0) {
        snprintf(msg, sizeof(msg), "Invalid syntax for %s command", what);
        ctl_sess_error(s, msg);
        return CTL_EXIT_FAIL;
    }
    ctl_sess_init_request(&rq, command);
    return simple(s, &rq);
}

int ctl_cmd_plain(struct ctl_session *s, uint16_t command)
{
    struct candm_request rq;
    ctl_sess_init_request(&rq, command);
    return simple(s, &rq);
}

/* ---- keygen ---- */

size_t ctl_keygen_length(const char *type, unsigned bits)
{
    static const char *const hashes[] = {"MD5", "SHA1", "SHA256", "SHA384", "SHA512"};
    size_t len = 0;

    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
        if (strcmp(type, hashes[i]) == 0)
            len = ((bits ? bits : 160) + 7) / 8;
    }
    /* Cipher keys have their cipher's size whatever the bits say. */
    if (strcmp(type, "AES128") == 0)
        len = 16;
    else if (strcmp(type, "AES256") == 0)
        len = 32;
    if (len == 0)
        return 0;
    /* chronyc's bounds: 80 to 4096 bits. */
    return len < 10 ? 10 : len > 512 ? 512 : len;
}

int ctl_cmd_keygen(struct ctl_session *s, const struct ctl_words *ws)
{
    unsigned long id = 1, bits = 0;
    const char *type = "SHA1";
    uint8_t key[512];
    char *end;

    if (ws->n > 4) {
        ctl_sess_error(s, "Invalid syntax for keygen command");
        return CTL_EXIT_FAIL;
    }
    if (ws->n >= 2) {
        id = strtoul(ws->w[1], &end, 10);
        if (end == ws->w[1] || *end || id > UINT32_MAX) {
            ctl_sess_error(s, "Invalid syntax for keygen command");
            return CTL_EXIT_FAIL;
        }
    }
    if (ws->n >= 3)
        type = ws->w[2];
    if (ws->n >= 4) {
        bits = strtoul(ws->w[3], &end, 10);
        if (end == ws->w[3] || *end || bits > UINT32_MAX) {
            ctl_sess_error(s, "Invalid syntax for keygen command");
            return CTL_EXIT_FAIL;
        }
        if (bits == 0)
            bits = 1; /* an explicit 0 gets the minimum, not the default */
    }
    size_t len = ctl_keygen_length(type, (unsigned)bits);
    if (len == 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Unknown hash function or cipher %s", type);
        ctl_sess_error(s, msg);
        return CTL_EXIT_FAIL;
    }
    if (!s->env->random || s->env->random(s->env->ctx, key, len) != 0) {
        ctl_sess_error(s, "Could not get random bytes");
        return CTL_EXIT_FAIL;
    }
    struct ctl_buf hex;
    ctl_buf_init(&hex);
    for (size_t i = 0; i < len; i++)
        ctl_buf_printf(&hex, "%02X", key[i]);
    memset(key, 0, sizeof(key));
    if (s->opts->json) {
        bool f = true;
        char keytext[1100];
        snprintf(keytext, sizeof(keytext), "HEX:%s", ctl_buf_cstr(&hex));
        ctl_buf_putc(s->out, '{');
        ctl_json_str_field(s->out, &f, "report", "keygen");
        ctl_json_uint_field(s->out, &f, "id", id);
        ctl_json_str_field(s->out, &f, "type", type);
        ctl_json_str_field(s->out, &f, "key", keytext);
        ctl_buf_puts(s->out, "}\n");
    } else {
        ctl_buf_printf(s->out, "%lu %s HEX:%s\n", id, type, ctl_buf_cstr(&hex));
    }
    if (hex.data)
        memset(hex.data, 0, hex.cap);
    ctl_buf_free(&hex);
    return CTL_EXIT_OK;
}

void ctl_help(struct ctl_buf *out)
{
    static const char *const rows[][2] = {
        {"System clock:", ""},
        {"tracking", "Display system time information"},
        {"makestep", "Correct clock by stepping immediately"},
        {"makestep <threshold> <updates>", "Configure automatic clock stepping"},
        {"waitsync [<max-tries> [<max-correction> [<max-skew> [<interval>]]]]",
         "Wait until synchronised in specified limits"},
        {"status [-m <max-error-ms>]", "Print ntpstat's report (exit 0 synced, 1 not, 2 no "
                                       "daemon)"},
        {"check [options]", "Nagios/Icinga check (see tockctl(1))"},
        {"", ""},
        {"Time sources:", ""},
        {"sources [-a] [-v]", "Display information about current sources"},
        {"sourcestats [-a] [-v]", "Display statistics about collected measurements"},
        {"selectdata [-a] [-v]", "Display information about source selection"},
        {"reselect", "Force reselecting synchronisation source"},
        {"", ""},
        {"NTP sources:", ""},
        {"activity", "Check how many NTP sources are online/offline"},
        {"authdata [-a] [-v]", "Display information about authentication"},
        {"ntpdata [<address>]", "Display information about last valid measurement"},
        {"burst <n-good>/<n-max> [[<mask>/]<address>]", "Start rapid set of measurements"},
        {"offline [[<mask>/]<address>]", "Set sources in subnet to offline status"},
        {"online [[<mask>/]<address>]", "Set sources in subnet to online status"},
        {"onoffline", "Set all sources to online or offline status"},
        {"", "according to network configuration"},
        {"refresh", "Refresh IP addresses"},
        {"reload sources", "Re-read *.sources files"},
        {"reload certs", "Reload NTS-KE certificates and keys (tock)"},
        {"sourcename <address>", "Display original name"},
        {"", ""},
        {"NTP access:", ""},
        {"clients [-p <packets>] [-k] [-r]", "Report on clients that accessed the server"},
        {"serverstats", "Display statistics of the server"},
        {"smoothing", "Display current time smoothing state"},
        {"rtcdata", "Print current RTC performance parameters"},
        {"", ""},
        {"Other daemon commands:", ""},
        {"cyclelogs", "Close and re-open log files"},
        {"dump", "Dump measurements and NTS keys/cookies"},
        {"rekey", "Re-read keys"},
        {"reset sources", "Drop all measurements"},
        {"shutdown", "Stop daemon"},
        {"", ""},
        {"Client commands:", ""},
        {"keygen [<id> [<type> [<bits>]]]", "Generate key for key file"},
        {"help", "Generate this help"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (strlen(rows[i][0]) >= 28)
            ctl_buf_printf(out, "%s\n%28s%s\n", rows[i][0], "", rows[i][1]);
        else
            ctl_buf_printf(out, "%-28s%s\n", rows[i][0], rows[i][1]);
    }
}
