/* libFuzzer target for the command protocol: every input is
 *   1. a datagram on the UDP and on the Unix command socket (cmd_server_handle with a stub
 *      backend): the reply must never be longer than the request, and must be a valid
 *      reply to it;
 *   2. a request for candm_parse_request;
 *   3. a reply for candm_check_reply / candm_decode_reply, re-encoded when decodable.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc
 *        tests/fuzz/fuzz_candm.c src/proto/candm.c src/proto/candm_reply.c
 *        src/monitor/cmd_server.c src/util/addr.c -o /tmp/fuzz_candm -lm */
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "monitor/cmd_server.h"
#include "proto/candm.h"

static int ok_tracking(void *ctx, struct candm_tracking *t)
{
    (void)ctx;
    t->ref_id = 0x7F7F0101;
    t->stratum = 10;
    t->root_dispersion = 1e-3;
    return CANDM_STT_SUCCESS;
}

static int ok_n_sources(void *ctx, uint32_t *n)
{
    (void)ctx;
    *n = 4;
    return CANDM_STT_SUCCESS;
}

static int ok_source_data(void *ctx, uint32_t i, struct candm_source_data *s)
{
    (void)ctx;
    if (i >= 4)
        return CANDM_STT_NOSUCHSOURCE;
    s->ip.ip.family = AF_INET;
    s->ip.ip.addr[3] = (uint8_t)i;
    s->latest_meas = -1e-6 * i;
    return CANDM_STT_SUCCESS;
}

static int ok_sourcestats(void *ctx, uint32_t i, struct candm_sourcestats *s)
{
    (void)ctx;
    if (i >= 4)
        return CANDM_STT_NOSUCHSOURCE;
    s->sd = 4.0;
    s->skew_ppm = 2000.0;
    return CANDM_STT_SUCCESS;
}

static int ok_stats(void *ctx, struct candm_server_stats *s)
{
    (void)ctx;
    s->ntp_hits = 0x123456789ULL;
    return CANDM_STT_SUCCESS;
}

static int ok_ntp_data(void *ctx, const struct candm_ip *a, struct candm_ntp_data *n)
{
    (void)ctx;
    if (a->ip.family != AF_INET)
        return CANDM_STT_NOSUCHSOURCE;
    n->remote_addr = *a;
    n->offset = 1e-3;
    return CANDM_STT_SUCCESS;
}

static int ok_name(void *ctx, const struct candm_ip *a, char out[CANDM_NAME_LEN])
{
    (void)ctx;
    (void)a;
    /* Deliberately fills the whole field: the dispatcher must still terminate it. */
    memset(out, 'x', CANDM_NAME_LEN);
    return CANDM_STT_SUCCESS;
}

static int n_indices(void *ctx)
{
    (void)ctx;
    return 100;
}

static bool client_by_index(void *ctx, uint32_t i, uint32_t min_hits, bool reset,
                            struct candm_client *c)
{
    (void)ctx;
    (void)reset;
    if (i >= 100)
        abort(); /* the walk must stay inside the table */
    if (i % 3 == 0 || i < min_hits)
        return false;
    c->ip.ip.family = AF_INET6;
    c->ip.ip.addr[15] = (uint8_t)i;
    c->ntp_hits = i;
    return true;
}

static int rw_status(void *ctx)
{
    (void)ctx;
    return CANDM_STT_FAILED;
}

static int rw_online(void *ctx, bool on, const struct candm_ip *m, const struct candm_ip *a)
{
    (void)ctx;
    (void)on;
    (void)m;
    return a->is_id ? CANDM_STT_NOSUCHSOURCE : CANDM_STT_SUCCESS;
}

static const struct cmd_backend backend = {
    .tracking = ok_tracking,
    .n_sources = ok_n_sources,
    .source_data = ok_source_data,
    .sourcestats = ok_sourcestats,
    .server_stats = ok_stats,
    .ntp_data = ok_ntp_data,
    .source_name = ok_name,
    .clients_n_indices = n_indices,
    .client_by_index = client_by_index,
    .makestep = rw_status,
    .dump = rw_status,
    .set_online = rw_online,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t reply[CANDM_MAX_REPLY_LEN], again[CANDM_MAX_REPLY_LEN];
    struct candm_request rq;
    struct candm_reply rp;

    /* 1. the dispatcher */
    for (int t = 0; t < 2; t++) {
        size_t n = cmd_server_handle(&backend, t ? CMD_TRANSPORT_UNIX : CMD_TRANSPORT_UDP, data,
                                     size, reply, sizeof(reply));
        if (n > size)
            abort(); /* amplification */
        if (n == 0)
            continue;
        /* Whatever was answered is a well-formed reply to this very request. */
        if (size < 12 || candm_parse_request(data, size, &rq) == CANDM_PARSE_DROP)
            abort();
        if (candm_check_reply(reply, n, rq.command, rq.sequence) != CANDM_REPLY_OK)
            abort();
        if (candm_decode_reply(reply, n, &rp) != 0)
            abort();
        if (n != candm_reply_length(rp.reply))
            abort();
    }

    /* 2. the request parser alone */
    (void)candm_parse_request(data, size, &rq);

    /* 3. the client side: replies from a possibly hostile daemon */
    if (size >= 20) {
        uint16_t command = (uint16_t)(data[4] << 8 | data[5]);
        uint32_t seq = (uint32_t)data[16] << 24 | (uint32_t)data[17] << 16 |
                       (uint32_t)data[18] << 8 | data[19];
        (void)candm_check_reply(data, size, command, seq);
    }
    if (candm_decode_reply(data, size, &rp) == 0) {
        size_t n = candm_encode_reply(&rp, again, sizeof(again));
        if (n != 0 && n != candm_reply_length(rp.reply))
            abort();
        if (rp.reply == CANDM_RPY_CLIENT_ACCESSES_BY_INDEX3 &&
            rp.u.clients.n_clients > CANDM_MAX_CLIENTS)
            abort();
        if (rp.reply == CANDM_RPY_NTP_SOURCE_NAME &&
            memchr(rp.u.source_name, 0, CANDM_NAME_LEN) == NULL)
            abort();
    }
    return 0;
}
