/* Unit tests for src/monitor/cmd_server.c: every rule of chronyd's request handling
 * (inventory 3.5, 3.10) against a stub backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "monitor/cmd_server.h"

/* ---- stub backend ---- */

#define N_SLOTS 20

struct stub {
    int makestep_calls;
    int makestep_status;
    double makestep_threshold;
    int32_t makestep_limit;
    bool last_online;
    int set_online_calls;
    int client_calls;
    bool last_reset;
    uint32_t slot_hits[N_SLOTS]; /* 0 = empty slot */
    int n_indices;
    bool reset_seen[N_SLOTS];
};

static int st_tracking(void *ctx, struct candm_tracking *out)
{
    (void)ctx;
    out->ref_id = 0x7F7F0101;
    out->stratum = 8;
    out->root_delay = 0.25;
    return CANDM_STT_SUCCESS;
}

static int st_n_sources(void *ctx, uint32_t *out)
{
    (void)ctx;
    *out = 2;
    return CANDM_STT_SUCCESS;
}

static int st_source_data(void *ctx, uint32_t index, struct candm_source_data *out)
{
    (void)ctx;
    if (index >= 2)
        return CANDM_STT_NOSUCHSOURCE;
    out->stratum = (uint16_t)(index + 1);
    out->reachability = 0377;
    return CANDM_STT_SUCCESS;
}

static int st_server_stats(void *ctx, struct candm_server_stats *out)
{
    (void)ctx;
    out->ntp_hits = 122;
    out->ntp_drops = 79;
    out->cmd_hits = 2;
    out->ntp_daemon_tx_timestamps = 7;
    return CANDM_STT_SUCCESS;
}

static int st_ntp_data(void *ctx, const struct candm_ip *addr, struct candm_ntp_data *out)
{
    (void)ctx;
    if (addr->ip.family != AF_INET || addr->ip.addr[0] != 127)
        return CANDM_STT_NOSUCHSOURCE;
    out->remote_addr = *addr;
    out->stratum = 8;
    out->total_kernel_tx_ts = 5;
    return CANDM_STT_SUCCESS;
}

static int st_makestep(void *ctx)
{
    struct stub *s = ctx;
    s->makestep_calls++;
    return s->makestep_status;
}

static int st_modify_makestep(void *ctx, double threshold, int32_t limit)
{
    struct stub *s = ctx;
    s->makestep_threshold = threshold;
    s->makestep_limit = limit;
    return CANDM_STT_SUCCESS;
}

static int st_set_online(void *ctx, bool online, const struct candm_ip *mask,
                         const struct candm_ip *address)
{
    struct stub *s = ctx;
    (void)mask;
    s->set_online_calls++;
    s->last_online = online;
    return address->ip.family == AF_UNSPEC ? CANDM_STT_SUCCESS : CANDM_STT_NOSUCHSOURCE;
}

static int st_n_indices(void *ctx)
{
    struct stub *s = ctx;
    return s->n_indices;
}

static bool st_client_by_index(void *ctx, uint32_t index, uint32_t min_hits, bool reset,
                               struct candm_client *out)
{
    struct stub *s = ctx;
    s->client_calls++;
    s->last_reset = reset;
    assert_true(index < N_SLOTS);
    if (s->slot_hits[index] == 0)
        return false;
    if (reset)
        s->reset_seen[index] = true;
    if (s->slot_hits[index] < min_hits)
        return false;
    out->ip.ip.family = AF_INET;
    out->ip.ip.addr[0] = 10;
    out->ip.ip.addr[3] = (uint8_t)index;
    out->ntp_hits = s->slot_hits[index];
    return true;
}

static struct stub stub;
static struct cmd_backend backend;

static int setup(void **state)
{
    (void)state;
    memset(&stub, 0, sizeof(stub));
    memset(&backend, 0, sizeof(backend));
    backend.ctx = &stub;
    backend.tracking = st_tracking;
    backend.n_sources = st_n_sources;
    backend.source_data = st_source_data;
    backend.server_stats = st_server_stats;
    backend.ntp_data = st_ntp_data;
    backend.makestep = st_makestep;
    backend.modify_makestep = st_modify_makestep;
    backend.set_online = st_set_online;
    backend.clients_n_indices = st_n_indices;
    backend.client_by_index = st_client_by_index;
    stub.n_indices = N_SLOTS;
    return 0;
}

/* ---- helpers ---- */

static uint8_t reqbuf[CANDM_MAX_REQUEST_LEN + 64];
static uint8_t repbuf[CANDM_MAX_REPLY_LEN + 64];

/* Builds a valid request for a command at its full length into reqbuf. */
static size_t build(uint16_t command, uint32_t seq)
{
    struct candm_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.command = command;
    rq.sequence = seq;
    memset(reqbuf, 0, sizeof(reqbuf));
    size_t n = candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    assert_true(n >= 28);
    return n;
}

static size_t handle(enum cmd_transport t, size_t len)
{
    memset(repbuf, 0xEE, sizeof(repbuf));
    size_t n = cmd_server_handle(&backend, t, reqbuf, len, repbuf, sizeof(repbuf));
    assert_true(n <= len);
    return n;
}

static uint16_t status_of(void)
{
    return (uint16_t)(repbuf[8] << 8 | repbuf[9]);
}

static uint16_t reply_code_of(void)
{
    return (uint16_t)(repbuf[6] << 8 | repbuf[7]);
}

/* An error reply: 28 bytes, version 6, reply type, command and sequence echoed,
 * RPY_NULL, the given status, zero padding. */
static void expect_error(size_t n, uint16_t command, uint16_t status)
{
    assert_int_equal(n, 28);
    assert_int_equal(repbuf[0], 6);
    assert_int_equal(repbuf[1], CANDM_PKT_REPLY);
    assert_int_equal(repbuf[2], 0);
    assert_int_equal(repbuf[3], 0);
    assert_int_equal(repbuf[4] << 8 | repbuf[5], command);
    assert_int_equal(reply_code_of(), CANDM_RPY_NULL);
    assert_int_equal(status_of(), status);
    assert_memory_equal(repbuf + 16, reqbuf + 8, 4); /* sequence, byte for byte */
    for (int i = 10; i < 16; i++)
        assert_int_equal(repbuf[i], 0);
    for (int i = 20; i < 28; i++)
        assert_int_equal(repbuf[i], 0);
}

/* ---- tests ---- */

static void drops_bad_sizes_and_headers(void **state)
{
    (void)state;
    size_t n = build(CANDM_REQ_TRACKING, 1);
    assert_int_equal(n, 104);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 0), 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 20), 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 27), 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 861), 0);
    /* 860 bytes is still a valid TRACKING request. */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 860), 104);

    reqbuf[1] = CANDM_PKT_REPLY; /* a reply bounced back: never answered */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 104), 0);
    reqbuf[1] = 3;
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 104), 0);
    reqbuf[1] = CANDM_PKT_REQUEST;
    reqbuf[2] = 1;
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 104), 0);
    reqbuf[2] = 0;
    reqbuf[3] = 0x80;
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 104), 0);
}

static void version_rules(void **state)
{
    (void)state;
    build(CANDM_REQ_TRACKING, 0x11223344);
    reqbuf[0] = 4;
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 104), 0);
    reqbuf[0] = 1;
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 104), 0);
    reqbuf[0] = 5;
    expect_error(handle(CMD_TRANSPORT_UDP, 104), CANDM_REQ_TRACKING, CANDM_STT_BADPKTVERSION);
    /* The reply's version is 6 even for a version-5 request. */
    assert_int_equal(repbuf[0], 6);
    reqbuf[0] = 7;
    expect_error(handle(CMD_TRANSPORT_UNIX, 104), CANDM_REQ_TRACKING, CANDM_STT_BADPKTVERSION);
    /* A version-5 request has no padding: 28 bytes still get the 28-byte error. */
    reqbuf[0] = 5;
    expect_error(handle(CMD_TRANSPORT_UDP, 28), CANDM_REQ_TRACKING, CANDM_STT_BADPKTVERSION);
}

static void unknown_and_obsolete_commands(void **state)
{
    (void)state;
    const uint16_t bad[] = {
        200, 75, 0xFFFF, CANDM_REQ_NULL, CANDM_REQ_LOGON, CANDM_REQ_ADD_SERVER, CANDM_REQ_LOCAL2,
        58,  61};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        build(CANDM_REQ_TRACKING, (uint32_t)i);
        reqbuf[4] = (uint8_t)(bad[i] >> 8);
        reqbuf[5] = (uint8_t)bad[i];
        expect_error(handle(CMD_TRANSPORT_UNIX, 104), bad[i], CANDM_STT_INVALID);
        expect_error(handle(CMD_TRANSPORT_UDP, 104), bad[i], CANDM_STT_INVALID);
    }
}

static void length_and_padding_rules(void **state)
{
    (void)state;
    /* TRACKING with 28 or 103 bytes: BADPKTLENGTH; 104 and 200: a normal reply. */
    build(CANDM_REQ_TRACKING, 5);
    expect_error(handle(CMD_TRANSPORT_UDP, 28), CANDM_REQ_TRACKING, CANDM_STT_BADPKTLENGTH);
    expect_error(handle(CMD_TRANSPORT_UDP, 103), CANDM_REQ_TRACKING, CANDM_STT_BADPKTLENGTH);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 104), 104);
    assert_int_equal(status_of(), CANDM_STT_SUCCESS);
    assert_int_equal(reply_code_of(), CANDM_RPY_TRACKING);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 200), 104);
    /* The padding's content is not checked (chronyd ignores it). */
    memset(reqbuf + 20, 0x5A, 84);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 104), 104);
    /* N_SOURCES padding short by 4 bytes. */
    build(CANDM_REQ_N_SOURCES, 6);
    expect_error(handle(CMD_TRANSPORT_UDP, 28), CANDM_REQ_N_SOURCES, CANDM_STT_BADPKTLENGTH);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 32), 32);
    assert_int_equal(repbuf[31], 2);
    /* A long command without its padding: CLIENT_ACCESSES_BY_INDEX3 data ends at 36. */
    build(CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3, 7);
    expect_error(handle(CMD_TRANSPORT_UNIX, 36), CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3,
                 CANDM_STT_BADPKTLENGTH);
    expect_error(handle(CMD_TRANSPORT_UNIX, 519), CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3,
                 CANDM_STT_BADPKTLENGTH);
}

static void udp_versus_unix_authorisation(void **state)
{
    (void)state;
    /* Open monitoring commands work on both. */
    build(CANDM_REQ_TRACKING, 1);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 104), 104);
    build(CANDM_REQ_SOURCE_DATA, 2);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 76), 76);

    /* serverstats, ntpdata, clients: Unix only by default. */
    build(CANDM_REQ_SERVER_STATS, 3);
    expect_error(handle(CMD_TRANSPORT_UDP, 196), CANDM_REQ_SERVER_STATS, CANDM_STT_UNAUTH);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 196), 196);
    build(CANDM_REQ_NTP_DATA, 4);
    expect_error(handle(CMD_TRANSPORT_UDP, 172), CANDM_REQ_NTP_DATA, CANDM_STT_UNAUTH);
    build(CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3, 5);
    expect_error(handle(CMD_TRANSPORT_UDP, 520), CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3,
                 CANDM_STT_UNAUTH);

    /* Read-write: UNAUTH over UDP even from loopback, and the backend is not called. */
    build(CANDM_REQ_MAKESTEP, 6);
    expect_error(handle(CMD_TRANSPORT_UDP, 28), CANDM_REQ_MAKESTEP, CANDM_STT_UNAUTH);
    assert_int_equal(stub.makestep_calls, 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 28), 28);
    assert_int_equal(status_of(), CANDM_STT_SUCCESS);
    assert_int_equal(stub.makestep_calls, 1);

    /* opencommands: SERVER_STATS opened for UDP; MAKESTEP cannot be opened. */
    uint32_t open[CMD_OPEN_WORDS];
    cmd_server_default_open(open);
    assert_true(cmd_server_open_command(open, CANDM_REQ_SERVER_STATS));
    assert_false(cmd_server_open_command(open, CANDM_REQ_MAKESTEP));
    backend.udp_open = open;
    build(CANDM_REQ_SERVER_STATS, 7);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 196), 196);
    open[CANDM_REQ_MAKESTEP / 32] |= 1u << (CANDM_REQ_MAKESTEP % 32); /* forced */
    build(CANDM_REQ_MAKESTEP, 8);
    expect_error(handle(CMD_TRANSPORT_UDP, 28), CANDM_REQ_MAKESTEP, CANDM_STT_UNAUTH);
    /* An empty open set closes even tracking. */
    memset(open, 0, sizeof(open));
    build(CANDM_REQ_TRACKING, 9);
    expect_error(handle(CMD_TRANSPORT_UDP, 104), CANDM_REQ_TRACKING, CANDM_STT_UNAUTH);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 104), 104);
}

static void default_open_set(void **state)
{
    (void)state;
    uint32_t open[CMD_OPEN_WORDS];
    cmd_server_default_open(open);
    const uint16_t expect_open[] = {14, 15, 33, 34, 35, 41, 44, 51, 65};
    int count = 0;
    for (uint16_t c = 0; c < CANDM_N_REQUEST_TYPES; c++) {
        bool is_open = (open[c / 32] >> (c % 32)) & 1u;
        bool want = false;
        for (size_t i = 0; i < sizeof(expect_open) / sizeof(expect_open[0]); i++)
            want |= expect_open[i] == c;
        assert_int_equal(is_open, want);
        count += is_open;
    }
    assert_int_equal(count, 9);
    assert_true(cmd_server_is_readonly(CANDM_REQ_SELECT_DATA));

    /* opencommands names: "serverstats ntpdata" on top of nothing. */
    memset(open, 0, sizeof(open));
    assert_true(cmd_server_open_name(open, "serverstats"));
    assert_true(cmd_server_open_name(open, "ntpdata"));
    assert_false(cmd_server_open_name(open, "makestep"));
    assert_false(cmd_server_open_name(open, "Sources"));
    count = 0;
    for (uint16_t c = 0; c < CANDM_N_REQUEST_TYPES; c++)
        count += (open[c / 32] >> (c % 32)) & 1u;
    assert_int_equal(count, 3); /* SERVER_STATS, N_SOURCES, NTP_DATA */
    assert_true(open[CANDM_REQ_NTP_DATA / 32] >> (CANDM_REQ_NTP_DATA % 32) & 1u);
    assert_true(open[CANDM_REQ_SERVER_STATS / 32] >> (CANDM_REQ_SERVER_STATS % 32) & 1u);
    assert_false(cmd_server_is_readonly(CANDM_REQ_SHUTDOWN));
}

static void server_stats_variant_by_length(void **state)
{
    (void)state;
    build(CANDM_REQ_SERVER_STATS, 10);
    /* 4.0-4.1 chronyc: 60 bytes -> STATS2 (22). */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 60), 60);
    assert_int_equal(reply_code_of(), CANDM_RPY_SERVER_STATS2);
    assert_int_equal(repbuf[31], 122);
    /* 4.2-4.3: 72 -> STATS3 (24); anything between also gets STATS3. */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 72), 72);
    assert_int_equal(reply_code_of(), CANDM_RPY_SERVER_STATS3);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 195), 72);
    assert_int_equal(reply_code_of(), CANDM_RPY_SERVER_STATS3);
    /* 4.4+: 196 -> STATS4 (25). */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 196), 196);
    assert_int_equal(reply_code_of(), CANDM_RPY_SERVER_STATS4);
    assert_int_equal(repbuf[28 + 12 * 8 + 7], 7); /* ntp_daemon_tx_timestamps */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 61), 60);
    assert_int_equal(reply_code_of(), CANDM_RPY_SERVER_STATS2);
    expect_error(handle(CMD_TRANSPORT_UNIX, 59), CANDM_REQ_SERVER_STATS, CANDM_STT_BADPKTLENGTH);
}

static void ntp_data_variant_and_lookup(void **state)
{
    (void)state;
    struct candm_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.command = CANDM_REQ_NTP_DATA;
    rq.sequence = 11;
    assert_int_equal(tock_ip_parse("127.0.0.1", &rq.u.ip.ip), 0);
    assert_int_equal(candm_encode_request(&rq, reqbuf, sizeof(reqbuf)), 172);

    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 172), 172);
    assert_int_equal(reply_code_of(), CANDM_RPY_NTP_DATA2);
    assert_int_equal(repbuf[73], 8);
    assert_int_equal(repbuf[143], 5); /* total_kernel_tx_ts */
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 152), 152);
    assert_int_equal(reply_code_of(), CANDM_RPY_NTP_DATA);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 171), 152);
    expect_error(handle(CMD_TRANSPORT_UNIX, 151), CANDM_REQ_NTP_DATA, CANDM_STT_BADPKTLENGTH);

    assert_int_equal(tock_ip_parse("192.0.2.1", &rq.u.ip.ip), 0);
    candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    expect_error(handle(CMD_TRANSPORT_UNIX, 172), CANDM_REQ_NTP_DATA, CANDM_STT_NOSUCHSOURCE);
}

static void source_index_out_of_range(void **state)
{
    (void)state;
    struct candm_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.command = CANDM_REQ_SOURCE_DATA;
    rq.u.index = 1;
    candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 76), 76);
    assert_int_equal(repbuf[51], 2); /* stratum = index + 1 */
    assert_int_equal(repbuf[59], 0xff);
    rq.u.index = 2;
    candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    expect_error(handle(CMD_TRANSPORT_UDP, 76), CANDM_REQ_SOURCE_DATA, CANDM_STT_NOSUCHSOURCE);
}

static size_t clients_request(uint32_t first, uint32_t n, uint32_t min_hits, uint32_t reset)
{
    struct candm_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.command = CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3;
    rq.u.clients.first_index = first;
    rq.u.clients.n_clients = n;
    rq.u.clients.min_hits = min_hits;
    rq.u.clients.reset = reset;
    return candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
}

static void clients_paging(void **state)
{
    (void)state;
    struct candm_reply r;
    /* Used slots 1, 3, 4, ... with hits = index; 0 and 2 empty. */
    for (uint32_t i = 0; i < N_SLOTS; i++)
        stub.slot_hits[i] = (i == 0 || i == 2) ? 0 : i;

    size_t len = clients_request(0, 8, 0, 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, len), 520);
    assert_int_equal(candm_decode_reply(repbuf, 520, &r), 0);
    assert_int_equal(r.u.clients.n_indices, N_SLOTS);
    assert_int_equal(r.u.clients.n_clients, 8);
    /* slots 1,3,4,5,6,7,8,9 reported; the walk stops after slot 9 */
    assert_int_equal(r.u.clients.next_index, 10);
    assert_int_equal(r.u.clients.clients[0].ip.ip.addr[3], 1);
    assert_int_equal(r.u.clients.clients[1].ip.ip.addr[3], 3);
    assert_int_equal(r.u.clients.clients[7].ip.ip.addr[3], 9);

    /* Continue from 10 with min_hits 15: slots 15..19 only; end of table. */
    len = clients_request(10, 8, 15, 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, len), 520);
    assert_int_equal(candm_decode_reply(repbuf, 520, &r), 0);
    assert_int_equal(r.u.clients.n_clients, 5);
    assert_int_equal(r.u.clients.next_index, N_SLOTS);
    assert_int_equal(r.u.clients.clients[0].ntp_hits, 15);

    /* n_clients above 8 is capped; reset is passed on for each examined slot. */
    len = clients_request(0, 1000, 0, 1);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, len), 520);
    assert_int_equal(candm_decode_reply(repbuf, 520, &r), 0);
    assert_int_equal(r.u.clients.n_clients, 8);
    assert_true(stub.last_reset);
    assert_true(stub.reset_seen[1]);
    assert_false(stub.reset_seen[10]); /* not examined */

    /* first_index beyond the table: nothing, next_index echoes it. */
    len = clients_request(500, 8, 0, 0);
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, len), 520);
    assert_int_equal(candm_decode_reply(repbuf, 520, &r), 0);
    assert_int_equal(r.u.clients.n_clients, 0);
    assert_int_equal(r.u.clients.next_index, 500);

    /* Client logging off: 519. */
    stub.n_indices = -1;
    len = clients_request(0, 8, 0, 0);
    expect_error(handle(CMD_TRANSPORT_UNIX, len), CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3,
                 CANDM_STT_INACTIVE);
    backend.clients_n_indices = NULL;
    stub.n_indices = N_SLOTS;
    expect_error(handle(CMD_TRANSPORT_UNIX, len), CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3,
                 CANDM_STT_INACTIVE);
}

static void missing_callbacks(void **state)
{
    (void)state;
    memset(&backend, 0, sizeof(backend));
    backend.ctx = &stub;

    build(CANDM_REQ_TRACKING, 1);
    expect_error(handle(CMD_TRANSPORT_UDP, 104), CANDM_REQ_TRACKING, CANDM_STT_INVALID);
    build(CANDM_REQ_RTCREPORT, 2);
    expect_error(handle(CMD_TRANSPORT_UDP, 56), CANDM_REQ_RTCREPORT, CANDM_STT_NORTC);
    build(CANDM_REQ_SMOOTHING, 3);
    expect_error(handle(CMD_TRANSPORT_UDP, 52), CANDM_REQ_SMOOTHING, CANDM_STT_NOTENABLED);
    build(CANDM_REQ_MANUAL_LIST, 4);
    assert_int_equal(handle(CMD_TRANSPORT_UDP, 416), 416);
    assert_int_equal(reply_code_of(), CANDM_RPY_MANUAL_LIST2);
    assert_int_equal(repbuf[31], 0);
    build(CANDM_REQ_DUMP, 5);
    expect_error(handle(CMD_TRANSPORT_UNIX, 28), CANDM_REQ_DUMP, CANDM_STT_INVALID);
    build(CANDM_REQ_ONLINE, 6);
    expect_error(handle(CMD_TRANSPORT_UNIX, 60), CANDM_REQ_ONLINE, CANDM_STT_INVALID);
    /* A chronyd command tock does not implement: INVALID on Unix, UNAUTH on UDP. */
    build(CANDM_REQ_ADD_SOURCE, 7);
    expect_error(handle(CMD_TRANSPORT_UNIX, 372), CANDM_REQ_ADD_SOURCE, CANDM_STT_INVALID);
    expect_error(handle(CMD_TRANSPORT_UDP, 372), CANDM_REQ_ADD_SOURCE, CANDM_STT_UNAUTH);
    build(CANDM_REQ_SETTIME, 8);
    expect_error(handle(CMD_TRANSPORT_UNIX, 40), CANDM_REQ_SETTIME, CANDM_STT_INVALID);
}

static void readwrite_arguments_and_status(void **state)
{
    (void)state;
    struct candm_request rq;
    memset(&rq, 0, sizeof(rq));
    rq.command = CANDM_REQ_MODIFY_MAKESTEP;
    rq.u.makestep.threshold = 0.5;
    rq.u.makestep.limit = 3;
    candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 28), 28);
    assert_int_equal(status_of(), CANDM_STT_SUCCESS);
    assert_true(stub.makestep_threshold == 0.5);
    assert_int_equal(stub.makestep_limit, 3);

    stub.makestep_status = CANDM_STT_FAILED;
    build(CANDM_REQ_MAKESTEP, 2);
    expect_error(handle(CMD_TRANSPORT_UNIX, 28), CANDM_REQ_MAKESTEP, CANDM_STT_FAILED);

    memset(&rq, 0, sizeof(rq));
    rq.command = CANDM_REQ_OFFLINE;
    candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    assert_int_equal(handle(CMD_TRANSPORT_UNIX, 60), 28);
    assert_int_equal(status_of(), CANDM_STT_SUCCESS);
    assert_false(stub.last_online);
    rq.command = CANDM_REQ_ONLINE;
    assert_int_equal(tock_ip_parse("192.0.2.9", &rq.u.online.address.ip), 0);
    candm_encode_request(&rq, reqbuf, sizeof(reqbuf));
    expect_error(handle(CMD_TRANSPORT_UNIX, 60), CANDM_REQ_ONLINE, CANDM_STT_NOSUCHSOURCE);
    assert_true(stub.last_online);
    assert_int_equal(stub.set_online_calls, 2);
}

static void reply_never_longer_than_request(void **state)
{
    (void)state;
    /* Every command code, every length from 0 to 900, random content in the body, both
     * transports: the reply never exceeds the request (checked inside handle()). */
    srand(12345);
    for (int cmd = 0; cmd < 80; cmd++) {
        for (size_t len = 0; len <= 900; len += 7) {
            for (size_t i = 0; i < sizeof(reqbuf); i++)
                reqbuf[i] = (uint8_t)rand();
            reqbuf[0] = 6;
            reqbuf[1] = 1;
            reqbuf[2] = 0;
            reqbuf[3] = 0;
            reqbuf[4] = 0;
            reqbuf[5] = (uint8_t)cmd;
            handle(CMD_TRANSPORT_UNIX, len);
            handle(CMD_TRANSPORT_UDP, len);
        }
    }
    /* A reply that would not fit the caller's buffer is not sent. */
    build(CANDM_REQ_TRACKING, 1);
    assert_int_equal(cmd_server_handle(&backend, CMD_TRANSPORT_UDP, reqbuf, 104, repbuf, 103), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(drops_bad_sizes_and_headers, setup),
        cmocka_unit_test_setup(version_rules, setup),
        cmocka_unit_test_setup(unknown_and_obsolete_commands, setup),
        cmocka_unit_test_setup(length_and_padding_rules, setup),
        cmocka_unit_test_setup(udp_versus_unix_authorisation, setup),
        cmocka_unit_test_setup(default_open_set, setup),
        cmocka_unit_test_setup(server_stats_variant_by_length, setup),
        cmocka_unit_test_setup(ntp_data_variant_and_lookup, setup),
        cmocka_unit_test_setup(source_index_out_of_range, setup),
        cmocka_unit_test_setup(clients_paging, setup),
        cmocka_unit_test_setup(missing_callbacks, setup),
        cmocka_unit_test_setup(readwrite_arguments_and_status, setup),
        cmocka_unit_test_setup(reply_never_longer_than_request, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
