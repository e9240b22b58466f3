/* The command-socket dispatcher: validation, authorisation by transport, and dispatch to
 * the daemon's backend, as chronyd's read_from_cmd_socket() does (inventory 3.5, 3.10). */
#include "monitor/cmd_server.h"

#include <string.h>

/* Commands that only read state; only these may ever be answered over UDP. */
static const uint16_t readonly_commands[] = {
    CANDM_REQ_N_SOURCES,    CANDM_REQ_SOURCE_DATA, CANDM_REQ_TRACKING,
    CANDM_REQ_SOURCESTATS,  CANDM_REQ_RTCREPORT,   CANDM_REQ_MANUAL_LIST,
    CANDM_REQ_ACTIVITY,     CANDM_REQ_SMOOTHING,   CANDM_REQ_NTP_SOURCE_NAME,
    CANDM_REQ_SERVER_STATS, CANDM_REQ_NTP_DATA,    CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3,
    CANDM_REQ_AUTH_DATA,    CANDM_REQ_SELECT_DATA, CANDM_REQ_ACCHECK,
    CANDM_REQ_CMDACCHECK,
};

/* chrony's fixed PERMIT_OPEN table (4.0-4.6), the 4.7+ default of `opencommands`. */
static const uint16_t default_open_commands[] = {
    CANDM_REQ_N_SOURCES,   CANDM_REQ_SOURCE_DATA, CANDM_REQ_TRACKING,
    CANDM_REQ_SOURCESTATS, CANDM_REQ_RTCREPORT,   CANDM_REQ_MANUAL_LIST,
    CANDM_REQ_ACTIVITY,    CANDM_REQ_SMOOTHING,   CANDM_REQ_NTP_SOURCE_NAME,
};

static bool bit_is_set(const uint32_t *bits, uint16_t command)
{
    return command < CANDM_N_REQUEST_TYPES && (bits[command / 32] >> (command % 32)) & 1u;
}

bool cmd_server_is_readonly(uint16_t command)
{
    for (size_t i = 0; i < sizeof(readonly_commands) / sizeof(readonly_commands[0]); i++) {
        if (readonly_commands[i] == command)
            return true;
    }
    return false;
}

void cmd_server_default_open(uint32_t bits[CMD_OPEN_WORDS])
{
    memset(bits, 0, CMD_OPEN_WORDS * sizeof(bits[0]));
    for (size_t i = 0; i < sizeof(default_open_commands) / sizeof(default_open_commands[0]); i++)
        bits[default_open_commands[i] / 32] |= 1u << (default_open_commands[i] % 32);
}

bool cmd_server_open_command(uint32_t bits[CMD_OPEN_WORDS], uint16_t command)
{
    if (!cmd_server_is_readonly(command))
        return false;
    bits[command / 32] |= 1u << (command % 32);
    return true;
}

bool cmd_server_open_name(uint32_t bits[CMD_OPEN_WORDS], const char *name)
{
    static const struct {
        const char *name;
        uint16_t codes[2]; /* 0 = none (NULL is never opened) */
    } names[] = {
        {"sources", {CANDM_REQ_N_SOURCES, CANDM_REQ_SOURCE_DATA}},
        {"sourcestats", {CANDM_REQ_N_SOURCES, CANDM_REQ_SOURCESTATS}},
        {"ntpdata", {CANDM_REQ_N_SOURCES, CANDM_REQ_NTP_DATA}},
        {"authdata", {CANDM_REQ_N_SOURCES, CANDM_REQ_AUTH_DATA}},
        {"selectdata", {CANDM_REQ_N_SOURCES, CANDM_REQ_SELECT_DATA}},
        {"clients", {CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3, 0}},
        {"serverstats", {CANDM_REQ_SERVER_STATS, 0}},
        {"tracking", {CANDM_REQ_TRACKING, 0}},
        {"activity", {CANDM_REQ_ACTIVITY, 0}},
        {"manual", {CANDM_REQ_MANUAL_LIST, 0}},
        {"rtcdata", {CANDM_REQ_RTCREPORT, 0}},
        {"smoothing", {CANDM_REQ_SMOOTHING, 0}},
        {"sourcename", {CANDM_REQ_NTP_SOURCE_NAME, 0}},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(names[i].name, name) != 0)
            continue;
        for (int j = 0; j < 2; j++) {
            if (names[i].codes[j])
                cmd_server_open_command(bits, names[i].codes[j]);
        }
        return true;
    }
    return false;
}

static bool udp_allowed(const struct cmd_backend *be, uint16_t command)
{
    uint32_t defaults[CMD_OPEN_WORDS];

    if (!cmd_server_is_readonly(command))
        return false;
    if (be->udp_open)
        return bit_is_set(be->udp_open, command);
    cmd_server_default_open(defaults);
    return bit_is_set(defaults, command);
}

/* Sets the reply code only on success, so an error reply stays a 28-byte RPY_NULL. */
static void finish(struct candm_reply *rp, int status, uint16_t reply_code)
{
    rp->status = (uint16_t)status;
    if (status == CANDM_STT_SUCCESS)
        rp->reply = reply_code;
}

static void handle_clients(const struct cmd_backend *be, const struct candm_request *rq,
                           struct candm_reply *rp)
{
    struct candm_client_accesses *out = &rp->u.clients;
    uint32_t i, j, want = rq->u.clients.n_clients;
    int n_indices;

    if (!be->clients_n_indices || !be->client_by_index) {
        rp->status = CANDM_STT_INACTIVE;
        return;
    }
    n_indices = be->clients_n_indices(be->ctx);
    if (n_indices < 0) {
        rp->status = CANDM_STT_INACTIVE;
        return;
    }
    if (want > CANDM_MAX_CLIENTS)
        want = CANDM_MAX_CLIENTS;

    /* chronyd's paging: walk from first_index, skip empty or quiet slots, stop after
     * `want` entries or at the end; next_index tells the client where to go on. */
    for (i = rq->u.clients.first_index, j = 0; i < (uint32_t)n_indices && j < want; i++) {
        struct candm_client c;
        memset(&c, 0, sizeof(c));
        if (!be->client_by_index(be->ctx, i, rq->u.clients.min_hits, rq->u.clients.reset != 0, &c))
            continue;
        out->clients[j++] = c;
    }
    out->n_indices = (uint32_t)n_indices;
    out->next_index = i;
    out->n_clients = j;
    finish(rp, CANDM_STT_SUCCESS, CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3);
}

static void handle_readonly(const struct cmd_backend *be, const struct candm_request *rq,
                            size_t len, struct candm_reply *rp)
{
    void *ctx = be->ctx;
    int st;

    switch (rq->command) {
    case CANDM_REQ_N_SOURCES:
        st = be->n_sources ? be->n_sources(ctx, &rp->u.n_sources) : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_N_SOURCES);
        break;
    case CANDM_REQ_SOURCE_DATA:
        st = be->source_data ? be->source_data(ctx, rq->u.index, &rp->u.source_data)
                             : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_SOURCE_DATA);
        break;
    case CANDM_REQ_TRACKING:
        st = be->tracking ? be->tracking(ctx, &rp->u.tracking) : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_TRACKING);
        break;
    case CANDM_REQ_SOURCESTATS:
        st = be->sourcestats ? be->sourcestats(ctx, rq->u.index, &rp->u.sourcestats)
                             : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_SOURCESTATS);
        break;
    case CANDM_REQ_SELECT_DATA:
        st = be->select_data ? be->select_data(ctx, rq->u.index, &rp->u.select_data)
                             : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_SELECT_DATA);
        break;
    case CANDM_REQ_ACTIVITY:
        st = be->activity ? be->activity(ctx, &rp->u.activity) : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_ACTIVITY);
        break;
    case CANDM_REQ_SERVER_STATS:
        st = be->server_stats ? be->server_stats(ctx, &rp->u.server_stats) : CANDM_STT_INVALID;
        /* The request length says which chronyc asks, hence which reply it accepts. */
        finish(rp, st,
               len >= candm_reply_length(CANDM_RPY_SERVER_STATS4)   ? CANDM_RPY_SERVER_STATS4
               : len >= candm_reply_length(CANDM_RPY_SERVER_STATS3) ? CANDM_RPY_SERVER_STATS3
                                                                    : CANDM_RPY_SERVER_STATS2);
        break;
    case CANDM_REQ_NTP_DATA:
        st = be->ntp_data ? be->ntp_data(ctx, &rq->u.ip, &rp->u.ntp_data) : CANDM_STT_INVALID;
        finish(rp, st,
               len >= candm_reply_length(CANDM_RPY_NTP_DATA2) ? CANDM_RPY_NTP_DATA2
                                                              : CANDM_RPY_NTP_DATA);
        break;
    case CANDM_REQ_NTP_SOURCE_NAME:
        st = be->source_name ? be->source_name(ctx, &rq->u.ip, rp->u.source_name)
                             : CANDM_STT_INVALID;
        rp->u.source_name[CANDM_NAME_LEN - 1] = '\0';
        finish(rp, st, CANDM_RPY_NTP_SOURCE_NAME);
        break;
    case CANDM_REQ_AUTH_DATA:
        st = be->auth_data ? be->auth_data(ctx, &rq->u.ip, &rp->u.auth_data) : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_AUTH_DATA);
        break;
    case CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3:
        handle_clients(be, rq, rp);
        break;
    case CANDM_REQ_RTCREPORT:
        st = be->rtc_report ? be->rtc_report(ctx, &rp->u.rtc) : CANDM_STT_NORTC;
        finish(rp, st, CANDM_RPY_RTC);
        break;
    case CANDM_REQ_SMOOTHING:
        st = be->smoothing ? be->smoothing(ctx, &rp->u.smoothing) : CANDM_STT_NOTENABLED;
        finish(rp, st, CANDM_RPY_SMOOTHING);
        break;
    case CANDM_REQ_MANUAL_LIST:
        st = be->manual_list ? be->manual_list(ctx, &rp->u.manual_list) : CANDM_STT_SUCCESS;
        finish(rp, st, CANDM_RPY_MANUAL_LIST2);
        break;
    case CANDM_REQ_ACCHECK:
    case CANDM_REQ_CMDACCHECK:
        st = be->access_check
                 ? be->access_check(ctx, rq->command == CANDM_REQ_CMDACCHECK, &rq->u.ip)
                 : CANDM_STT_INVALID;
        finish(rp, st, CANDM_RPY_NULL);
        break;
    default:
        rp->status = CANDM_STT_INVALID;
        break;
    }
}

typedef int (*simple_cmd)(void *ctx);

static void handle_readwrite(const struct cmd_backend *be, const struct candm_request *rq,
                             struct candm_reply *rp)
{
    void *ctx = be->ctx;
    simple_cmd fn = NULL;
    int st = CANDM_STT_INVALID;

    switch (rq->command) {
    case CANDM_REQ_MAKESTEP:
        fn = be->makestep;
        break;
    case CANDM_REQ_RELOAD_SOURCES:
        fn = be->reload_sources;
        break;
    case CANDM_REQ_ONOFFLINE:
        fn = be->onoffline;
        break;
    case CANDM_REQ_CYCLELOGS:
        fn = be->cyclelogs;
        break;
    case CANDM_REQ_DUMP:
        fn = be->dump;
        break;
    case CANDM_REQ_REKEY:
        fn = be->rekey;
        break;
    case CANDM_REQ_RESELECT:
        fn = be->reselect;
        break;
    case CANDM_REQ_REFRESH:
        fn = be->refresh;
        break;
    case CANDM_REQ_RESET_SOURCES:
        fn = be->reset_sources;
        break;
    case CANDM_REQ_SHUTDOWN:
        fn = be->shutdown;
        break;
    case CANDM_REQ_MODIFY_MAKESTEP:
        if (be->modify_makestep)
            st = be->modify_makestep(ctx, rq->u.makestep.threshold, rq->u.makestep.limit);
        break;
    case CANDM_REQ_ONLINE:
    case CANDM_REQ_OFFLINE:
        if (be->set_online)
            st = be->set_online(ctx, rq->command == CANDM_REQ_ONLINE, &rq->u.online.mask,
                                &rq->u.online.address);
        break;
    case CANDM_REQ_BURST:
        if (be->burst)
            st = be->burst(ctx, rq->u.burst.n_good_samples, rq->u.burst.n_total_samples,
                           &rq->u.burst.mask, &rq->u.burst.address);
        break;
    default:
        break; /* a chronyd command tock does not implement: "502 Invalid command" */
    }
    if (fn)
        st = fn(ctx);
    finish(rp, st, CANDM_RPY_NULL);
}

size_t cmd_server_handle(const struct cmd_backend *be, enum cmd_transport t, const uint8_t *req,
                         size_t len, uint8_t *reply, size_t cap)
{
    struct candm_request rq;
    struct candm_reply rp;
    size_t n;

    enum candm_parse parsed = candm_parse_request(req, len, &rq);
    if (parsed == CANDM_PARSE_DROP)
        return 0;

    memset(&rp, 0, sizeof(rp));
    rp.command = rq.command;
    rp.sequence = rq.sequence;
    rp.reply = CANDM_RPY_NULL;
    rp.status = CANDM_STT_SUCCESS;

    switch (parsed) {
    case CANDM_PARSE_BAD_VERSION:
        rp.status = CANDM_STT_BADPKTVERSION;
        break;
    case CANDM_PARSE_INVALID:
        rp.status = CANDM_STT_INVALID;
        break;
    case CANDM_PARSE_BAD_LENGTH:
        rp.status = CANDM_STT_BADPKTLENGTH;
        break;
    default:
        if (t != CMD_TRANSPORT_UNIX && !udp_allowed(be, rq.command))
            rp.status = CANDM_STT_UNAUTH;
        else if (cmd_server_is_readonly(rq.command))
            handle_readonly(be, &rq, len, &rp);
        else
            handle_readwrite(be, &rq, &rp);
        break;
    }

    n = candm_encode_reply(&rp, reply, cap);
    /* The anti-amplification rule: never answer with more bytes than were received. */
    if (n > len)
        return 0;
    return n;
}
