/* Unit tests for src/ctl/ctl_cmd.c: whole tockctl commands against a fake daemon made of
 * tock's own dispatcher (cmd_server_handle) and a stub backend, so every request goes
 * through the real encoder, dispatcher and decoder. Also: chronyc's failure messages (506,
 * 508, status codes), argument parsing, paging, JSON errors, waitsync, keygen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include "ctl/ctl_buf.h"
#include "ctl/ctl_cmd.h"
#include "monitor/cmd_server.h"

/* ---- the fake daemon ---- */

struct daemon {
    int transact_calls;
    int fail_after;       /* transact fails (no daemon) from this call on; <0 never */
    uint16_t force_reply; /* nonzero: rewrite the reply code (508 test) */
    enum cmd_transport transport;
    int synced_after; /* tracking is unsynchronised for this many calls */
    int tracking_calls;
    double makestep_threshold;
    int32_t makestep_limit;
    struct candm_ip last_mask, last_addr;
    int32_t burst_good, burst_total;
    bool last_online;
    int sleeps;
    uint32_t first_indices[8];
    int n_pages;
};

static struct daemon d;
static struct cmd_backend be;

static struct candm_ip ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t e)
{
    struct candm_ip ip;
    memset(&ip, 0, sizeof(ip));
    ip.ip.family = AF_INET;
    ip.ip.addr[0] = a;
    ip.ip.addr[1] = b;
    ip.ip.addr[2] = c;
    ip.ip.addr[3] = e;
    return ip;
}

static int be_tracking(void *ctx, struct candm_tracking *t)
{
    (void)ctx;
    d.tracking_calls++;
    if (d.tracking_calls <= d.synced_after) {
        t->leap_status = 3;
        t->root_delay = 1.0;
        t->root_dispersion = 1.0;
        return CANDM_STT_SUCCESS;
    }
    t->ref_id = 0xC0000201;
    t->ip = ip4(192, 0, 2, 1);
    t->stratum = 2;
    t->ref_time.tv_sec = 1000000000;
    t->current_correction = 0.0625;
    t->skew_ppm = 0.5;
    t->root_delay = 0.001953125;
    t->root_dispersion = 0.0009765625;
    return CANDM_STT_SUCCESS;
}

static int be_n_sources(void *ctx, uint32_t *n)
{
    (void)ctx;
    *n = 3;
    return CANDM_STT_SUCCESS;
}

static int be_source_data(void *ctx, uint32_t i, struct candm_source_data *s)
{
    (void)ctx;
    if (i == 0) {
        s->ip = ip4(192, 0, 2, 1);
        s->poll = 6;
        s->stratum = 1;
        s->reachability = 0377;
        s->since_sample = 12;
        s->latest_meas = 0.0001220703125; /* 2^-13 = 122.07 us */
        s->orig_latest_meas = 0.0001220703125;
        s->latest_meas_err = 0.001953125;
    } else if (i == 1) {
        s->ip = ip4('P', 'P', 'S', 0);
        s->mode = CANDM_SD_MODE_REF;
        s->state = CANDM_SD_STATE_UNSELECTED;
        s->poll = 4;
        s->since_sample = 3;
    } else if (i == 2) {
        s->ip = candm_ip_from_id(7);
        s->state = CANDM_SD_STATE_NONSELECTABLE;
        s->since_sample = 0xFFFFFFFF;
    } else {
        return CANDM_STT_NOSUCHSOURCE;
    }
    return CANDM_STT_SUCCESS;
}

static int be_ntp_data(void *ctx, const struct candm_ip *a, struct candm_ntp_data *n)
{
    (void)ctx;
    if (a->is_id || a->ip.family != AF_INET || a->ip.addr[0] != 192)
        return CANDM_STT_NOSUCHSOURCE;
    n->remote_addr = *a;
    n->stratum = 1;
    n->ref_id = 0x47505300;
    n->mode = 4;
    n->version = 4;
    return CANDM_STT_SUCCESS;
}

static int be_source_name(void *ctx, const struct candm_ip *a, char out[CANDM_NAME_LEN])
{
    (void)ctx;
    if (a->is_id) {
        strcpy(out, "bad name"); /* not printable without spaces: refused by chronyc */
        return CANDM_STT_SUCCESS;
    }
    strcpy(out, "time.example.net");
    return CANDM_STT_SUCCESS;
}

#define SLOTS 21

static int be_n_indices(void *ctx)
{
    (void)ctx;
    return SLOTS;
}

/* 19 used slots (5 and 6 empty): three pages of 8. */
static bool be_client(void *ctx, uint32_t i, uint32_t min_hits, bool reset, struct candm_client *c)
{
    (void)ctx;
    (void)reset;
    if (i == 5 || i == 6 || i + 1 < min_hits)
        return false;
    c->ip = ip4(10, 0, 0, (uint8_t)i);
    c->ntp_hits = i + 1;
    c->ntp_interval = 127;
    c->ntp_timeout_interval = 127;
    c->cmd_interval = 127;
    c->last_ntp_hit_ago = 0xFFFFFFFF;
    c->last_cmd_hit_ago = 0xFFFFFFFF;
    return true;
}

static int be_makestep(void *ctx, double threshold, int32_t limit)
{
    (void)ctx;
    d.makestep_threshold = threshold;
    d.makestep_limit = limit;
    return CANDM_STT_SUCCESS;
}

static int be_set_online(void *ctx, bool online, const struct candm_ip *mask,
                         const struct candm_ip *addr)
{
    (void)ctx;
    d.last_online = online;
    d.last_mask = *mask;
    d.last_addr = *addr;
    return CANDM_STT_SUCCESS;
}

static int be_burst(void *ctx, int32_t good, int32_t total, const struct candm_ip *mask,
                    const struct candm_ip *addr)
{
    (void)ctx;
    d.burst_good = good;
    d.burst_total = total;
    d.last_mask = *mask;
    d.last_addr = *addr;
    return CANDM_STT_SUCCESS;
}

static int be_fail(void *ctx)
{
    (void)ctx;
    return CANDM_STT_FAILED;
}

/* transact: encode, dispatch, decode, as the socket client would, with chronyc's checks. */
static int fake_transact(void *ctx, struct candm_request *req, struct candm_reply *rep)
{
    uint8_t q[CANDM_MAX_REQUEST_LEN], r[CANDM_MAX_REPLY_LEN];
    (void)ctx;
    if (d.fail_after >= 0 && d.transact_calls >= d.fail_after)
        return -1;
    d.transact_calls++;
    req->version = CANDM_PROTO_VERSION;
    req->sequence = 0x1000u + (uint32_t)d.transact_calls;
    if (req->command == CANDM_REQ_CLIENT_ACCESSES_BY_INDEX3 && d.n_pages < 8)
        d.first_indices[d.n_pages++] = req->u.clients.first_index;
    size_t qlen = candm_encode_request(req, q, sizeof(q));
    assert_true(qlen > 0);
    size_t rlen = cmd_server_handle(&be, d.transport, q, qlen, r, sizeof(r));
    assert_true(rlen > 0 && rlen <= qlen);
    assert_int_equal(candm_check_reply(r, rlen, req->command, req->sequence), CANDM_REPLY_OK);
    assert_int_equal(candm_decode_reply(r, rlen, rep), 0);
    if (d.force_reply)
        rep->reply = d.force_reply;
    return 0;
}

static bool fake_reverse(void *ctx, const struct candm_ip *ip, char *buf, size_t len)
{
    (void)ctx;
    if (ip->ip.family == AF_INET && ip->ip.addr[0] == 192) {
        snprintf(buf, len, "ntp.example.net");
        return true;
    }
    return false;
}

static int fake_random(void *ctx, void *buf, size_t len)
{
    (void)ctx;
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(0xA0 + i);
    return 0;
}

static struct timespec fake_now(void *ctx)
{
    (void)ctx;
    return (struct timespec){.tv_sec = 1000000100, .tv_nsec = 0};
}

static bool fake_sleep(void *ctx, double s)
{
    (void)ctx;
    assert_true(s >= 0.1);
    d.sleeps++;
    return true;
}

static struct ctl_env env;
static struct ctl_opts opts;
static struct ctl_buf out, err;

static int setup(void **state)
{
    (void)state;
    memset(&d, 0, sizeof(d));
    d.fail_after = -1;
    d.transport = CMD_TRANSPORT_UNIX;
    memset(&be, 0, sizeof(be));
    be.tracking = be_tracking;
    be.n_sources = be_n_sources;
    be.source_data = be_source_data;
    be.ntp_data = be_ntp_data;
    be.source_name = be_source_name;
    be.clients_n_indices = be_n_indices;
    be.client_by_index = be_client;
    be.modify_makestep = be_makestep;
    be.makestep = be_fail;
    be.set_online = be_set_online;
    be.burst = be_burst;
    memset(&env, 0, sizeof(env));
    env.transact = fake_transact;
    env.reverse = fake_reverse;
    env.random = fake_random;
    env.now = fake_now;
    env.sleep = fake_sleep;
    memset(&opts, 0, sizeof(opts));
    ctl_buf_init(&out);
    ctl_buf_init(&err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctl_buf_free(&out);
    ctl_buf_free(&err);
    return 0;
}

static int run(const char *line)
{
    ctl_buf_clear(&out);
    ctl_buf_clear(&err);
    return ctl_run_line(&env, &opts, line, &out, &err);
}

static void assert_prefix(const char *s, const char *prefix)
{
    assert_memory_equal(s, prefix, strlen(prefix));
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- tests ---- */

static void sources_through_the_dispatcher(void **state)
{
    (void)state;
    assert_int_equal(run("sources"), 0);
    assert_string_equal(
        ctl_buf_cstr(&out),
        "MS Name/IP address         Stratum Poll Reach LastRx Last sample               \n"
        "===============================================================================\n"
        "^* ntp.example.net               1   6   377    12   +122us[ +122us] +/- 1953us\n"
        "#+ PPS                           0   4     0     3     +0ns[   +0ns] +/-    0ns\n");
    assert_int_equal(d.transact_calls, 4); /* N_SOURCES + 3 x SOURCE_DATA */
    assert_int_equal(run("sources -a"), 0);
    assert_int_equal(count_lines(ctl_buf_cstr(&out)), 5);
    assert_non_null(strstr(ctl_buf_cstr(&out), "^? ID#0000000007 "));
    opts.no_dns = true;
    assert_int_equal(run("sources"), 0);
    assert_non_null(strstr(ctl_buf_cstr(&out), "^* 192.0.2.1 "));
    /* -N: names from NTP_SOURCE_NAME; a name chronyc would refuse becomes "?". */
    opts.source_names = true;
    assert_int_equal(run("sources -a"), 0);
    assert_non_null(strstr(ctl_buf_cstr(&out), "^* time.example.net "));
    assert_non_null(strstr(ctl_buf_cstr(&out), "^? ?                             0"));
    opts.csv = true;
    opts.source_names = false;
    assert_int_equal(run("sources"), 0);
    assert_string_equal(ctl_buf_cstr(&out),
                        "^,*,192.0.2.1,1,6,377,12,0.000122070,0.000122070,0.001953125\n"
                        "#,+,PPS,0,4,0,3,0.000000000,0.000000000,0.000000000\n");
}

static void clients_paging_across_pages(void **state)
{
    (void)state;
    assert_int_equal(run("clients"), 0);
    /* header (2) + 19 clients, fetched in pages starting at 0, 10 and 18 */
    assert_int_equal(count_lines(ctl_buf_cstr(&out)), 21);
    assert_int_equal(d.n_pages, 3);
    assert_int_equal(d.first_indices[0], 0);
    assert_int_equal(d.first_indices[1], 10);
    assert_int_equal(d.first_indices[2], 18);
    assert_non_null(strstr(ctl_buf_cstr(&out), "\n10.0.0.20                      21      0   -   "
                                               "-     -       0      0   -     -\n"));
    d.n_pages = 0;
    assert_int_equal(run("clients -p 15 -k"), 0);
    assert_int_equal(count_lines(ctl_buf_cstr(&out)), 2 + 7); /* slots 14..20 */
    assert_non_null(strstr(ctl_buf_cstr(&out), "  NTS-KE   Drop"));
    assert_int_equal(run("clients -p"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Invalid syntax for clients command\n");
    assert_int_equal(run("clients -p x"), 1);
    /* Client logging off. */
    be.clients_n_indices = NULL;
    assert_int_equal(run("clients"), 1);
    assert_string_equal(ctl_buf_cstr(&out),
                        "Hostname                      NTP   Drop Int IntL Last     Cmd   Drop "
                        "Int  Last\n"
                        "=============================================================="
                        "=================\n"
                        "519 Client logging is not active in the daemon\n");
}

static void failures_print_like_chronyc(void **state)
{
    (void)state;
    /* No daemon at all. */
    d.fail_after = 0;
    assert_int_equal(run("tracking"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "506 Cannot talk to daemon\n");
    /* The daemon goes away in the middle: the header stays, then the message. */
    d.fail_after = 2;
    d.transact_calls = 0;
    assert_int_equal(run("sources"), 1);
    assert_int_equal(count_lines(ctl_buf_cstr(&out)), 4);
    assert_non_null(strstr(ctl_buf_cstr(&out), "\n506 Cannot talk to daemon\n"));
    d.fail_after = -1;
    /* An unexpected reply code. */
    d.force_reply = CANDM_RPY_SOURCESTATS;
    assert_int_equal(run("tracking"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "508 Bad reply from daemon\n");
    d.force_reply = 0;
    /* A status from the daemon, e.g. over UDP. */
    d.transport = CMD_TRANSPORT_UDP;
    assert_int_equal(run("serverstats"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "501 Not authorised\n");
    assert_int_equal(run("ntpdata 192.0.2.1"), 1);
    d.transport = CMD_TRANSPORT_UNIX;
    assert_int_equal(run("serverstats"), 1); /* no server_stats callback */
    assert_string_equal(ctl_buf_cstr(&out), "502 Invalid command\n");
    assert_int_equal(run("ntpdata 192.0.2.99"), 0);
    assert_int_equal(run("ntpdata 198.51.100.1"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "503 No such source\n");
    /* Local errors go to stderr. */
    assert_int_equal(run("frobnicate"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Unrecognized command\n");
    assert_string_equal(ctl_buf_cstr(&out), "");
    assert_int_equal(run("ntpdata not-an-address"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Could not get address for hostname\n");
    assert_int_equal(run(""), 0);
    assert_int_equal(run("   "), 0);
}

static void commands_without_data(void **state)
{
    (void)state;
    assert_int_equal(run("makestep 0.5 3"), 0);
    assert_string_equal(ctl_buf_cstr(&out), "200 OK\n");
    assert_true(d.makestep_threshold == 0.5);
    assert_int_equal(d.makestep_limit, 3);
    assert_int_equal(run("makestep -1 -1"), 0);
    assert_int_equal(d.makestep_limit, -1);
    assert_int_equal(run("makestep"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "500 Failure\n");
    assert_int_equal(run("makestep 0.5"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Bad syntax for makestep command\n");
    assert_int_equal(run("reload"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Invalid syntax for reload command\n");
    assert_int_equal(run("reset foo"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Invalid syntax for reset command\n");
    assert_int_equal(run("dump"), 1); /* no callback */
    assert_string_equal(ctl_buf_cstr(&out), "502 Invalid command\n");

    assert_int_equal(run("offline"), 0);
    assert_false(d.last_online);
    assert_int_equal(d.last_addr.ip.family, AF_UNSPEC);
    assert_int_equal(d.last_mask.ip.family, AF_UNSPEC);
    assert_int_equal(run("online 255.255.255.0/192.0.2.0"), 0);
    assert_true(d.last_online);
    assert_int_equal(d.last_mask.ip.addr[2], 255);
    assert_int_equal(d.last_mask.ip.addr[3], 0);
    assert_int_equal(d.last_addr.ip.addr[2], 2);
    assert_int_equal(run("online 10.0.0.0/12"), 0);
    assert_int_equal(d.last_mask.ip.addr[0], 255);
    assert_int_equal(d.last_mask.ip.addr[1], 0xf0);
    assert_int_equal(d.last_addr.ip.addr[0], 10);
    assert_int_equal(run("offline 2001:db8::1"), 0);
    assert_int_equal(d.last_mask.ip.family, AF_INET6);
    assert_int_equal(d.last_mask.ip.addr[15], 0xff);
    assert_int_equal(run("online ID#12"), 0);
    assert_true(d.last_addr.is_id);
    assert_int_equal(d.last_addr.id, 12);
    assert_int_equal(run("online 1.2.3.4/::1"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Invalid syntax for mask/address\n");
    assert_int_equal(run("burst 2/4 192.0.2.0/24"), 0);
    assert_int_equal(d.burst_good, 2);
    assert_int_equal(d.burst_total, 4);
    assert_int_equal(d.last_mask.ip.addr[2], 255);
    assert_int_equal(d.last_mask.ip.addr[3], 0);
    assert_int_equal(run("burst 2"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Invalid syntax for burst command\n");
}

static void json_mode(void **state)
{
    (void)state;
    opts.json = true;
    assert_int_equal(run("tracking"), 0);
    assert_prefix(ctl_buf_cstr(&out), "{\"report\":\"tracking\",\"reference_id\":\"C0000201\","
                                      "\"reference_id_text\":\"\",\"name\":\"ntp.example.net\","
                                      "\"address\":\"192.0.2.1\",\"stratum\":2,");
    assert_int_equal(run("makestep 1 2"), 0);
    assert_string_equal(ctl_buf_cstr(&out), "{\"report\":\"result\",\"command\":\"makestep\","
                                            "\"status\":200,\"message\":\"200 OK\"}\n");
    /* A failure midway replaces the partial report with one error object. */
    d.fail_after = d.transact_calls + 2;
    assert_int_equal(run("sources"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "{\"report\":\"error\",\"command\":\"sources\","
                                            "\"status\":506,\"message\":\"506 Cannot talk "
                                            "to daemon\"}\n");
    d.fail_after = -1;
    assert_int_equal(run("bogus"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "{\"report\":\"error\",\"command\":\"bogus\","
                                            "\"status\":1,\"message\":\"Unrecognized "
                                            "command\"}\n");
    assert_int_equal(run("clients -p 20"), 0);
    assert_string_equal(ctl_buf_cstr(&out),
                        "{\"report\":\"clients\",\"clients\":[{\"address\":\"10.0.0.19\","
                        "\"name\":\"10.0.0.19\",\"ntp\":{\"hits\":20,\"drops\":0,"
                        "\"interval\":null,\"last\":null},\"ntp_interval_after_drop\":null,"
                        "\"cmd\":{\"hits\":0,\"drops\":0,\"interval\":null,\"last\":null},"
                        "\"nts_ke\":{\"hits\":0,\"drops\":0,\"interval\":0,\"last\":0}},"
                        "{\"address\":\"10.0.0.20\",\"name\":\"10.0.0.20\",\"ntp\":{\"hits\":21,"
                        "\"drops\":0,\"interval\":null,\"last\":null},"
                        "\"ntp_interval_after_drop\":null,\"cmd\":{\"hits\":0,\"drops\":0,"
                        "\"interval\":null,\"last\":null},\"nts_ke\":{\"hits\":0,\"drops\":0,"
                        "\"interval\":0,\"last\":0}}]}\n");
    assert_int_equal(run("ntpdata"), 0);
    assert_prefix(ctl_buf_cstr(&out),
                  "{\"report\":\"ntpdata\",\"sources\":[{\"remote_address\":\"192.0.2.1\"");
    assert_int_equal(count_lines(ctl_buf_cstr(&out)), 1);
}

static void ntpdata_enumeration(void **state)
{
    (void)state;
    assert_int_equal(run("ntpdata"), 0);
    /* Only the NTP source: the refclock and the unresolved one are skipped. */
    const char *t = ctl_buf_cstr(&out);
    assert_memory_equal(t, "\nRemote address  : 192.0.2.1 (C0000201)\n", 40);
    assert_int_equal(count_lines(t), 32); /* blank + the 31 lines of NTP_DATA2 */
    assert_non_null(strstr(t, "Reference ID    : 47505300 (GPS)\n"));
    assert_int_equal(run("ntpdata 192.0.2.1"), 0);
    assert_int_equal(ctl_buf_cstr(&out)[0], 'R'); /* no blank line with an address */
}

static void waitsync_loop(void **state)
{
    (void)state;
    d.synced_after = 2;
    assert_int_equal(run("waitsync 10 0.1 1 0.5"), 0);
    assert_string_equal(ctl_buf_cstr(&out),
                        "try: 1, refid: 00000000, correction: 0.000000000, skew: 0.000\n"
                        "try: 2, refid: 00000000, correction: 0.000000000, skew: 0.000\n"
                        "try: 3, refid: C0000201, correction: 0.062500000, skew: 0.500\n");
    assert_int_equal(d.sleeps, 2);
    /* The correction limit is not met: give up after max tries. */
    d.tracking_calls = 0;
    d.sleeps = 0;
    assert_int_equal(run("waitsync 3 0.01"), 1);
    assert_int_equal(count_lines(ctl_buf_cstr(&out)), 3);
    assert_int_equal(d.sleeps, 2);
    /* The skew limit. */
    d.sleeps = 0;
    assert_int_equal(run("waitsync 2 0 0.1"), 1);
    assert_int_equal(run("waitsync 1 0 0.5"), 0);
}

static void status_and_check_commands(void **state)
{
    (void)state;
    assert_int_equal(run("status"), 0);
    /* 0.001953125 / 2 + 0.0009765625 + 0.0625 s = 64.45 ms */
    assert_string_equal(ctl_buf_cstr(&out), "synchronised to NTP server (192.0.2.1) at stratum 2\n"
                                            "   time correct to within 64 ms\n"
                                            "   polling server every 64 s\n");
    assert_int_equal(run("status -m 50"), 1);
    assert_int_equal(run("status -x"), 2);
    d.synced_after = 100;
    assert_int_equal(run("status"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "unsynchronised\n   polling server every 64 s\n");
    d.fail_after = 0;
    assert_int_equal(run("status"), 2);
    assert_string_equal(ctl_buf_cstr(&out), "");
    assert_string_equal(ctl_buf_cstr(&err), "Unable to talk to NTP daemon. Is it running?\n");
    assert_int_equal(run("check"), 3);
    assert_string_equal(ctl_buf_cstr(&out),
                        "NTP UNKNOWN: cannot talk to the daemon (506 Cannot talk to daemon)\n");

    d.fail_after = -1;
    d.synced_after = 0;
    d.tracking_calls = 0;
    /* offset 0.0625 s, stratum 2, one usable source, 100 s since the last update */
    assert_int_equal(run("check"), 0);
    assert_string_equal(ctl_buf_cstr(&out),
                        "NTP OK: synchronised to 192.0.2.1 at stratum 2, offset +0.062500000 s"
                        " | offset=0.062500000s;0.1;1 stratum=2;5;15 sources=2;1: "
                        "reach=8;;;0;8 age=100s\n");
    assert_int_equal(run("check --warn-offset 0.05 --crit-offset 0.5"), 1);
    assert_int_equal(run("check --crit-offset 0.06"), 2);
    assert_int_equal(run("check --max-age 60"), 1);
    assert_int_equal(run("check --min-sources 3"), 1);
    assert_int_equal(run("check --warn-stratum 1"), 1);
    assert_int_equal(run("check --bogus 1"), 3);
    assert_string_equal(ctl_buf_cstr(&out), "NTP UNKNOWN: invalid check option --bogus\n");
    assert_int_equal(run("check --warn-offset"), 3);
    assert_int_equal(run("check --warn-offset -1"), 3);
    d.synced_after = 100;
    assert_int_equal(run("check"), 2);
}

/* ---- check -f: NTS certificate expiry ---- */

/* The fake certificates: notAfter by file name (the fake clock is at 1000000100). */
static int fake_cert_not_after(void *ctx, const char *path, time_t *not_after, char *why,
                               size_t len)
{
    (void)ctx;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (strcmp(base, "in20days.pem") == 0)
        *not_after = 1000000100 + 20 * 86400;
    else if (strcmp(base, "in10days.pem") == 0)
        *not_after = 1000000100 + 10 * 86400;
    else if (strcmp(base, "expired.pem") == 0)
        *not_after = 1000000100 - 3 * 86400 - 43200;
    else {
        snprintf(why, len, "No such file or directory");
        return -1;
    }
    return 0;
}

static char conf_path[64];

static void write_conf(const char *certs)
{
    snprintf(conf_path, sizeof(conf_path), "/tmp/tockctl-check-%d.conf", (int)getpid());
    FILE *f = fopen(conf_path, "w");
    assert_non_null(f);
    for (const char *c = certs; *c;) {
        const char *end = strchr(c, ' ');
        int n = end ? (int)(end - c) : (int)strlen(c);
        fprintf(f, "ntsservercert /etc/tock/%.*s\nntsserverkey /etc/tock/%.*s.key\n", n, c, n, c);
        c += n;
        while (*c == ' ')
            c++;
    }
    fclose(f);
    opts.config_path = conf_path;
}

static void check_certificates(void **state)
{
    (void)state;
    env.cert_not_after = fake_cert_not_after;
    /* no ntsservercert: nothing changes */
    write_conf("");
    assert_int_equal(run("check"), 0);
    assert_null(strstr(ctl_buf_cstr(&out), "cert"));
    /* 20 days left: OK, in the perfdata */
    write_conf("in20days.pem");
    assert_int_equal(run("check"), 0);
    assert_non_null(strstr(ctl_buf_cstr(&out), " cert_days=20.0;14;0\n"));
    assert_int_equal(run("check --warn-cert-days 30"), 1);
    assert_non_null(strstr(ctl_buf_cstr(&out), "NTP WARNING: NTS certificate /etc/tock/in20days."
                                               "pem expires in 20.0 days (<= 30); "));
    /* the one expiring first counts: 10 days, WARNING 14 days before */
    write_conf("in20days.pem in10days.pem");
    assert_int_equal(run("check"), 1);
    assert_non_null(strstr(ctl_buf_cstr(&out), "NTS certificate /etc/tock/in10days.pem expires in "
                                               "10.0 days (<= 14)"));
    assert_int_equal(run("check --crit-cert-days 12"), 2);
    /* expired: CRITICAL */
    write_conf("in20days.pem expired.pem");
    assert_int_equal(run("check"), 2);
    assert_non_null(strstr(ctl_buf_cstr(&out),
                           "NTP CRITICAL: NTS certificate /etc/tock/expired.pem expired "
                           "3.5 days ago; synchronised to 192.0.2.1"));
    /* JSON has the days too */
    opts.json = true;
    assert_int_equal(run("check"), 2);
    assert_non_null(strstr(ctl_buf_cstr(&out), "\"cert_days\":-3.5"));
    opts.json = false;
    /* a certificate that cannot be read: WARNING, the others still checked */
    write_conf("missing.pem in20days.pem");
    assert_int_equal(run("check"), 1);
    assert_non_null(strstr(ctl_buf_cstr(&out), "cannot read NTS certificate /etc/tock/missing.pem: "
                                               "No such file or directory"));
    assert_non_null(strstr(ctl_buf_cstr(&out), "cert_days=20.0"));
    /* a configuration that cannot be read: UNKNOWN */
    unlink(conf_path);
    assert_int_equal(run("check"), 3);
    assert_prefix(ctl_buf_cstr(&out), "NTP UNKNOWN: cannot read the configuration /tmp/tockctl-"
                                      "check-");
    opts.json = true;
    assert_int_equal(run("check"), 3);
    assert_prefix(ctl_buf_cstr(&out), "{\"report\":\"check\",\"state\":\"UNKNOWN\",\"exit_"
                                      "code\":3,\"message\":\"cannot read the configuration ");
    opts.json = false;
    opts.config_path = NULL;
}

static void keygen_command(void **state)
{
    (void)state;
    assert_int_equal(ctl_keygen_length("SHA1", 0), 20);
    assert_int_equal(ctl_keygen_length("SHA256", 0), 20); /* chronyc: 160 bits unless told */
    assert_int_equal(ctl_keygen_length("SHA256", 256), 32);
    assert_int_equal(ctl_keygen_length("MD5", 100), 13);
    assert_int_equal(ctl_keygen_length("SHA512", 5000), 512);
    assert_int_equal(ctl_keygen_length("SHA1", 8), 10);
    assert_int_equal(ctl_keygen_length("AES128", 0), 16);
    assert_int_equal(ctl_keygen_length("AES256", 999), 32);
    assert_int_equal(ctl_keygen_length("SHA384", 384), 48);
    assert_int_equal(ctl_keygen_length("sha1", 0), 0);
    assert_int_equal(ctl_keygen_length("FOO", 0), 0);

    env.transact = NULL; /* keygen is local: no daemon needed */
    assert_int_equal(run("keygen"), 0);
    assert_string_equal(ctl_buf_cstr(&out),
                        "1 SHA1 HEX:A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3\n");
    assert_int_equal(run("keygen 73 AES128"), 0);
    assert_string_equal(ctl_buf_cstr(&out), "73 AES128 HEX:A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n");
    assert_int_equal(run("keygen 2 SHA256 256"), 0);
    assert_int_equal(strlen(ctl_buf_cstr(&out)), strlen("2 SHA256 HEX:") + 64 + 1);
    assert_int_equal(run("keygen 1 FOO"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Unknown hash function or cipher FOO\n");
    assert_int_equal(run("keygen x"), 1);
    assert_string_equal(ctl_buf_cstr(&err), "Invalid syntax for keygen command\n");
    assert_int_equal(run("keygen 1 SHA1 160 extra"), 1);
    assert_int_equal(run("help"), 0);
    assert_non_null(strstr(ctl_buf_cstr(&out), "tracking                    Display system time"));
    assert_int_equal(run("tracking"), 1);
    assert_string_equal(ctl_buf_cstr(&out), "506 Cannot talk to daemon\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sources_through_the_dispatcher, setup, teardown),
        cmocka_unit_test_setup_teardown(clients_paging_across_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_print_like_chronyc, setup, teardown),
        cmocka_unit_test_setup_teardown(commands_without_data, setup, teardown),
        cmocka_unit_test_setup_teardown(json_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(ntpdata_enumeration, setup, teardown),
        cmocka_unit_test_setup_teardown(waitsync_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(status_and_check_commands, setup, teardown),
        cmocka_unit_test_setup_teardown(check_certificates, setup, teardown),
        cmocka_unit_test_setup_teardown(keygen_command, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
