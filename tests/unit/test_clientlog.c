/* Unit tests for src/serve/clientlog.c: sizing from clientloglimit, rate-limited bursts
 * against an independent token-bucket model, KoD, the inversion for hammering clients,
 * localhost and Unix-socket commands, eviction, a million clients within the bound, and
 * the reports behind `chronyc clients`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "serve/clientlog.h"

/* Every call returns the same word: the leak/KoD draws then follow a fixed pattern that
 * the tests can replay, whatever the log draws at creation. */
static uint32_t const_word(void *ctx)
{
    return *(const uint32_t *)ctx;
}

static struct clientlog_params params(uint64_t limit)
{
    struct clientlog_params p;
    memset(&p, 0, sizeof(p));
    p.active = true;
    p.limit_bytes = limit;
    return p;
}

static struct conf_ratelimit rl(int interval, int burst, int leak, int kod)
{
    struct conf_ratelimit c = {
        .enabled = true, .interval = interval, .burst = burst, .leak = leak, .kod = kod};
    return c;
}

static struct tock_ip ip_of(const char *s)
{
    struct tock_ip ip;
    assert_int_equal(tock_ip_parse(s, &ip), 0);
    return ip;
}

static struct timespec at(double t)
{
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9 + 0.5);
    return ts;
}

#define T0 1700000000.0 /* an arbitrary realistic start time */

static struct clientlog *make(const struct clientlog_params *p, struct server_stats *stats,
                              uint32_t *word)
{
    const char *err = NULL;
    struct clientlog *log = clientlog_create(p, stats, const_word, word, &err);
    assert_non_null(log);
    return log;
}

/* Finds a client's report by walking every index. */
static bool find_report(struct clientlog *log, const char *addr, const struct timespec *now,
                        struct clientlog_report *out)
{
    struct tock_ip ip = ip_of(addr);
    for (uint32_t i = 0; i < clientlog_n_indices(log); i++) {
        if (clientlog_report_at(log, i, 0, false, now, out) && tock_ip_equal(&out->ip, &ip))
            return true;
    }
    return false;
}

static void sizing_from_limit(void **state)
{
    (void)state;
    uint32_t word = 0;
    struct {
        uint64_t limit;
        uint32_t records;
    } cases[] = {
        {524288, 4096}, /* the default, as chronyd */
        {20000, 128},   /* chronyd's own unit test */
        {0, 16},        /* at least one slot */
        {1919, 16},
        {1920 * 2, 32},
        {100000, 512},          /* the tutorial's clientloglimit */
        {2147483647, 1u << 24}, /* the hard maximum */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct clientlog_params p = params(cases[i].limit);
        struct clientlog *log = make(&p, NULL, &word);
        assert_int_equal(clientlog_max_records(log), cases[i].records);
        assert_int_equal(clientlog_n_indices(log), 16); /* starts with one slot */
        assert_int_equal(clientlog_memory_bytes(log), 16 * 64);
        /* The full table, plus the half-size one during the last doubling, fits. */
        if (cases[i].limit >= 1920)
            assert_true(clientlog_max_records(log) * 64ull * 3 / 2 <= cases[i].limit);
        clientlog_free(log);
    }
}

static void noclientlog(void **state)
{
    (void)state;
    uint32_t word = 0;
    struct server_stats stats = {0};
    struct clientlog_params p = params(524288);
    p.active = false;
    p.ntp = rl(3, 8, 2, 0);
    const char *err = NULL;
    assert_null(clientlog_create(&p, &stats, const_word, &word, &err));
    assert_string_equal(err, "Rate limiting cannot be enabled with noclientlog");
    p.ntp.enabled = false;
    p.cmd = rl(-4, 8, 2, 0);
    assert_null(clientlog_create(&p, &stats, const_word, &word, &err));

    /* An active log needs randomness (else every limited request would leak). */
    struct clientlog_params q = params(524288);
    assert_null(clientlog_create(&q, &stats, NULL, NULL, &err));
    assert_string_equal(err, "The client log needs a random source");

    p.cmd.enabled = false;
    struct clientlog *log = make(&p, &stats, &word);
    assert_false(clientlog_active(log));
    struct tock_ip ip = ip_of("192.0.2.1");
    struct timespec now = at(T0);
    for (int i = 0; i < 50; i++)
        assert_int_equal(clientlog_access(log, CLIENTLOG_NTP, &ip, &now), CLIENTLOG_ANSWER);
    assert_int_equal(stats.ntp_hits, 50); /* still counted for serverstats */
    assert_int_equal(clientlog_n_indices(log), 0);
    assert_int_equal(clientlog_n_records(log), 0);
    struct clientlog_report rep;
    assert_false(clientlog_report_at(log, 0, 0, false, &now, &rep));
    clientlog_free(log);
}

/* ---- an independent model of one client's bucket ----
 * Tokens in seconds: capacity burst x 2^interval, one response costs 2^interval, refilled
 * at 1 s per s. A limited request draws `leak` bits (from the low end of a 32-bit word,
 * a new word when fewer are left): all zero means answer and empty the bucket; otherwise,
 * with kod, `kod` more bits: all zero means KoD; else drop. */
struct model {
    double tokens, cost, cap, last;
    uint32_t word, bits;
    int n_bits;
    int leak, kod;
};

static bool model_draw(struct model *m, int n)
{
    if (m->n_bits < n) {
        m->bits = m->word;
        m->n_bits = 32;
    }
    bool zero = (m->bits & ((1u << n) - 1)) == 0;
    m->bits >>= n;
    m->n_bits -= n;
    return zero;
}

static enum clientlog_verdict model_request(struct model *m, double t)
{
    if (m->last >= 0) {
        m->tokens += t - m->last;
        if (m->tokens > m->cap)
            m->tokens = m->cap;
    }
    m->last = t;
    if (m->tokens >= m->cost - 1e-9) {
        m->tokens -= m->cost;
        return CLIENTLOG_ANSWER;
    }
    if (model_draw(m, m->leak)) {
        m->tokens = 0;
        return CLIENTLOG_ANSWER;
    }
    if (m->kod && model_draw(m, m->kod))
        return CLIENTLOG_KOD;
    return CLIENTLOG_DROP;
}

static void run_against_model(int interval, int burst, int leak, int kod, uint32_t word,
                              const double *times, int n, int *answers, int *drops, int *kods)
{
    struct server_stats stats = {0};
    struct clientlog_params p = params(524288);
    p.ntp = rl(interval, burst, leak, kod);
    struct clientlog *log = make(&p, &stats, &word);
    double cost = interval >= 0 ? (double)(1 << interval) : 1.0 / (1 << -interval);
    struct model m = {.tokens = burst * cost,
                      .cost = cost,
                      .cap = burst * cost,
                      .last = -1,
                      .word = word,
                      .leak = leak,
                      .kod = kod};
    struct tock_ip ip = ip_of("198.51.100.7");
    *answers = *drops = *kods = 0;
    for (int i = 0; i < n; i++) {
        struct timespec now = at(T0 + times[i]);
        enum clientlog_verdict expect = model_request(&m, times[i]);
        enum clientlog_verdict got = clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
        if (got != expect)
            fail_msg("request %d at +%.3f s: got %d, expected %d", i, times[i], got, expect);
        *answers += got == CLIENTLOG_ANSWER;
        *drops += got == CLIENTLOG_DROP;
        *kods += got == CLIENTLOG_KOD;
    }
    assert_int_equal(stats.ntp_hits, n);
    assert_int_equal(stats.ntp_drops, *drops); /* KoD replies are not drops */
    struct clientlog_report rep;
    struct timespec end = at(T0 + times[n - 1]);
    assert_true(find_report(log, "198.51.100.7", &end, &rep));
    assert_int_equal(rep.ntp_hits, n);
    assert_int_equal(rep.ntp_drops, *drops);
    clientlog_free(log);
}

static void burst_gets_exactly_what_bucket_and_leak_allow(void **state)
{
    (void)state;
    double times[400];
    int answers, drops, kods;

    /* 40 requests at one instant, ratelimit interval 3 burst 8 leak 2. 0x12345678 read
     * two bits at a time from the low end: 00 10 11 01 10 01 01 01 00 01 11 00 10 00 01
     * 00 - the leaks are the 1st, 9th, 12th, 14th and 16th draw of every 16. */
    for (int i = 0; i < 40; i++)
        times[i] = 0;
    run_against_model(3, 8, 2, 0, 0x12345678u, times, 40, &answers, &drops, &kods);
    /* 8 from the bucket; then 32 draws = two rounds of the pattern with 5 leaks each. */
    assert_int_equal(answers, 8 + 10);
    assert_int_equal(drops, 22);
    assert_int_equal(kods, 0);

    /* One request per second for 200 s: a response per 8 s after the burst, plus leaks. */
    for (int i = 0; i < 200; i++)
        times[i] = i;
    run_against_model(3, 8, 2, 0, 0x12345678u, times, 200, &answers, &drops, &kods);
    assert_true(answers > 8 + 192 / 8);

    /* Never leaking (all ones): exactly the bucket's answers. */
    run_against_model(3, 8, 2, 0, 0xFFFFFFFFu, times, 200, &answers, &drops, &kods);
    /* The 64 s bucket drains by 8 - 1 s per request: answers at t = 0..8 (9), then one
     * per 8 s of refill at t = 16, 24, ..., 192 (23). */
    assert_int_equal(answers, 9 + 23);

    /* Sub-second requests (1/4 s apart) with interval 0 burst 4. */
    for (int i = 0; i < 400; i++)
        times[i] = i * 0.25;
    run_against_model(0, 4, 3, 0, 0x9e3779b9u, times, 400, &answers, &drops, &kods);
    assert_true(answers >= 100 && answers < 400);
}

static void kod_only_with_kod(void **state)
{
    (void)state;
    double times[60];
    int answers, drops, kods;
    for (int i = 0; i < 60; i++)
        times[i] = 0;
    /* leak 1, kod 1, bits 1,0,1,0...: every limited request is a KoD. */
    run_against_model(3, 4, 1, 1, 0x55555555u, times, 60, &answers, &drops, &kods);
    assert_int_equal(answers, 4);
    assert_int_equal(kods, 56);
    assert_int_equal(drops, 0);
    /* kod 0: the same bits alternate drop and leak. */
    run_against_model(3, 4, 1, 0, 0x55555555u, times, 60, &answers, &drops, &kods);
    assert_int_equal(kods, 0);
    assert_int_equal(answers, 4 + 28);
    assert_int_equal(drops, 28);
    /* kod 2 with random-looking bits: some KoD, some drops. */
    run_against_model(3, 4, 2, 2, 0xC3A5695Au, times, 60, &answers, &drops, &kods);
    assert_true(kods > 0 && drops > 0);

    /* KoD is for NTP only: ntsratelimit ignores kod. */
    uint32_t word = 0x55555555u;
    struct clientlog_params p = params(524288);
    p.ntske = rl(6, 2, 1, 1);
    struct server_stats stats = {0};
    struct clientlog *log = make(&p, &stats, &word);
    struct tock_ip ip = ip_of("203.0.113.9");
    struct timespec now = at(T0);
    int nke_kods = 0;
    for (int i = 0; i < 20; i++)
        nke_kods += clientlog_access(log, CLIENTLOG_NTSKE, &ip, &now) == CLIENTLOG_KOD;
    assert_int_equal(nke_kods, 0);
    assert_int_equal(stats.nke_hits, 20);
    assert_int_equal(stats.nke_drops, 9); /* 2 from the bucket, then drop/leak alternate */
    clientlog_free(log);
}

/* A client that speeds up while dropped gets the leak inverted (worked out by hand from
 * chronyd's algorithm): interval 4 (16 s) burst 1, never leaking. 20 requests 16 s apart
 * settle its rate at -16 (scaled log2 of 16 s). Then one per second:
 *   #1  rate -15; 16 tokens of 256: dropped.
 *   #2  follows a drop: timeout rate 0 > -15 + 4: inverted, answered, bucket emptied.
 *   #3..#12 rate -14..-5, still below the timeout rate by more than 4: answered.
 *   #13 rate -4: not inverted any more, 16 tokens: dropped;
 *   #14..#27 dropped while the bucket refills 16 per request;
 *   #28 256 tokens: answered; #29 rate -3, dropped. */
static void hammering_client_inverts_leak(void **state)
{
    (void)state;
    uint32_t word = 0xFFFFFFFFu;
    struct clientlog_params p = params(524288);
    p.ntp = rl(4, 1, 4, 0);
    struct server_stats stats = {0};
    struct clientlog *log = make(&p, &stats, &word);
    struct tock_ip ip = ip_of("2001:db8::42");
    double t = T0;
    for (int i = 0; i < 20; i++, t += 16) {
        struct timespec now = at(t);
        assert_int_equal(clientlog_access(log, CLIENTLOG_NTP, &ip, &now), CLIENTLOG_ANSWER);
    }
    t -= 16;
    for (int n = 1; n <= 29; n++) {
        struct timespec now = at(t + n);
        enum clientlog_verdict expect =
            (n >= 2 && n <= 12) || n == 28 ? CLIENTLOG_ANSWER : CLIENTLOG_DROP;
        enum clientlog_verdict got = clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
        if (got != expect)
            fail_msg("hammer request #%d: got %d, expected %d", n, got, expect);
    }
    struct clientlog_report rep;
    struct timespec end = at(t + 29);
    assert_true(find_report(log, "2001:db8::42", &end, &rep));
    assert_int_equal(rep.ntp_hits, 49);
    assert_int_equal(rep.ntp_drops, 1 + 15 + 1);
    assert_int_equal(rep.ntp_timeout_interval, 0); /* 1 s while dropped */
    assert_int_equal(rep.ntp_interval, 1);         /* rate -3: (-3 - 2) / -4 */
    clientlog_free(log);
}

static void commands_localhost_and_unix_socket(void **state)
{
    (void)state;
    uint32_t word = 0xFFFFFFFFu;
    struct clientlog_params p = params(524288);
    p.cmd = rl(-4, 1, 2, 0);
    struct server_stats stats = {0};
    struct clientlog *log = make(&p, &stats, &word);
    struct timespec now = at(T0);
    struct tock_ip lo4 = ip_of("127.0.0.1"), lo6 = ip_of("::1"), other = ip_of("10.0.0.1");
    struct tock_ip unix_sock = {0};
    int answered = 0;
    for (int i = 0; i < 100; i++) {
        assert_int_equal(clientlog_access(log, CLIENTLOG_CMD, &lo4, &now), CLIENTLOG_ANSWER);
        assert_int_equal(clientlog_access(log, CLIENTLOG_CMD, &lo6, &now), CLIENTLOG_ANSWER);
        assert_int_equal(clientlog_access(log, CLIENTLOG_CMD, &unix_sock, &now), CLIENTLOG_ANSWER);
        answered += clientlog_access(log, CLIENTLOG_CMD, &other, &now) == CLIENTLOG_ANSWER;
    }
    assert_int_equal(answered, 1);
    assert_int_equal(stats.cmd_hits, 400); /* the Unix socket counts too */
    assert_int_equal(stats.cmd_drops, 99);
    struct clientlog_report rep;
    assert_true(find_report(log, "127.0.0.1", &now, &rep)); /* logged, never limited */
    assert_int_equal(rep.cmd_hits, 100);
    assert_int_equal(rep.cmd_drops, 0);
    assert_true(find_report(log, "10.0.0.1", &now, &rep));
    assert_int_equal(rep.cmd_drops, 99);
    /* NTP is not limited without `ratelimit`. */
    for (int i = 0; i < 100; i++)
        assert_int_equal(clientlog_access(log, CLIENTLOG_NTP, &other, &now), CLIENTLOG_ANSWER);
    clientlog_free(log);
}

static void mapped_address_is_the_ipv4_client(void **state)
{
    (void)state;
    uint32_t word = 1;
    struct clientlog_params p = params(524288);
    struct clientlog *log = make(&p, NULL, &word);
    struct timespec now = at(T0);
    struct tock_ip a = ip_of("10.9.8.7"), b = ip_of("::ffff:10.9.8.7");
    clientlog_access(log, CLIENTLOG_NTP, &a, &now);
    clientlog_access(log, CLIENTLOG_NTP, &b, &now);
    struct clientlog_report rep;
    assert_true(find_report(log, "10.9.8.7", &now, &rep));
    assert_int_equal(rep.ntp_hits, 2);
    assert_false(find_report(log, "::ffff:10.9.8.7", &now, &rep));
    clientlog_free(log);
}

/* One slot of 16 records (limit 0): a new client evicts the least recently active one,
 * and on a tie the one with fewer hits. */
static void eviction_least_recently_active(void **state)
{
    (void)state;
    uint32_t word = 7;
    struct clientlog_params p = params(0);
    struct server_stats stats = {0};
    struct clientlog *log = make(&p, &stats, &word);
    char addr[32];
    for (int i = 1; i <= 16; i++) {
        snprintf(addr, sizeof(addr), "192.0.2.%d", i);
        struct tock_ip ip = ip_of(addr);
        struct timespec now = at(T0 + i);
        clientlog_access(log, i % 2 ? CLIENTLOG_NTP : CLIENTLOG_CMD, &ip, &now);
    }
    /* Client 1 had another service's hit later: it is now the most recent. */
    struct tock_ip c1 = ip_of("192.0.2.1");
    struct timespec t20 = at(T0 + 20);
    clientlog_access(log, CLIENTLOG_NTSKE, &c1, &t20);
    assert_int_equal(stats.log_drops, 0);

    struct tock_ip newcomer = ip_of("192.0.2.100");
    struct timespec t21 = at(T0 + 21);
    clientlog_access(log, CLIENTLOG_NTP, &newcomer, &t21);
    assert_int_equal(stats.log_drops, 1);
    struct clientlog_report rep;
    assert_false(find_report(log, "192.0.2.2", &t21, &rep)); /* oldest: evicted */
    assert_true(find_report(log, "192.0.2.1", &t21, &rep));
    assert_true(find_report(log, "192.0.2.100", &t21, &rep));
    assert_int_equal(clientlog_n_indices(log), 16);
    assert_int_equal(clientlog_n_records(log), 16); /* full: one evicted, one added */

    /* Tie on the last hit: fewer hits goes first. Clients 3 and 4 both last at +30, with
     * 3 and 2 hits. */
    struct tock_ip c3 = ip_of("192.0.2.3"), c4 = ip_of("192.0.2.4");
    struct timespec t30 = at(T0 + 30);
    clientlog_access(log, CLIENTLOG_NTP, &c3, &t30);
    clientlog_access(log, CLIENTLOG_NTP, &c3, &t30);
    clientlog_access(log, CLIENTLOG_NTP, &c4, &t30);
    for (int i = 5; i <= 16; i++) { /* everyone else later */
        snprintf(addr, sizeof(addr), "192.0.2.%d", i);
        struct tock_ip ip = ip_of(addr);
        struct timespec t31 = at(T0 + 31);
        clientlog_access(log, CLIENTLOG_NTP, &ip, &t31);
    }
    struct timespec t32 = at(T0 + 32);
    clientlog_access(log, CLIENTLOG_NTP, &c1, &t32);
    clientlog_access(log, CLIENTLOG_NTP, &newcomer, &t32);
    struct tock_ip late = ip_of("192.0.2.200");
    clientlog_access(log, CLIENTLOG_NTP, &late, &t32);
    assert_int_equal(stats.log_drops, 2);
    assert_true(find_report(log, "192.0.2.3", &t32, &rep)); /* 3 hits: stays */
    assert_false(find_report(log, "192.0.2.4", &t32, &rep));
    clientlog_free(log);
}

/* A million distinct clients: the table never exceeds its bound and every insertion past
 * the capacity evicts exactly one record. */
static void million_clients_stay_bounded(void **state)
{
    (void)state;
    uint32_t word = 0xA5A5A5A5u;
    struct clientlog_params p = params(CLIENTLOG_DEFAULT_LIMIT);
    p.ntp = rl(3, 8, 2, 0);
    struct server_stats stats = {0};
    struct clientlog *log = make(&p, &stats, &word);
    const uint32_t n = 1000000;
    size_t max_bytes = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct tock_ip ip = {0};
        if (i % 4 == 3) {
            ip.family = AF_INET6;
            ip.addr[0] = 0x20;
            ip.addr[1] = 0x01;
            ip.addr[12] = (uint8_t)(i >> 24);
            ip.addr[13] = (uint8_t)(i >> 16);
            ip.addr[14] = (uint8_t)(i >> 8);
            ip.addr[15] = (uint8_t)i;
        } else {
            ip.family = AF_INET;
            ip.addr[0] = (uint8_t)(10 + (i >> 24));
            ip.addr[1] = (uint8_t)(i >> 16);
            ip.addr[2] = (uint8_t)(i >> 8);
            ip.addr[3] = (uint8_t)i;
        }
        struct timespec now = at(T0 + i / 1000.0);
        clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
        size_t bytes = clientlog_memory_bytes(log);
        if (bytes > max_bytes)
            max_bytes = bytes;
    }
    assert_int_equal(clientlog_max_records(log), 4096);
    assert_int_equal(clientlog_n_indices(log), 4096);
    assert_int_equal(max_bytes, 4096 * 64);
    assert_true(max_bytes * 3 / 2 <= CLIENTLOG_DEFAULT_LIMIT);
    uint32_t occupied = 0;
    struct clientlog_report rep;
    struct timespec end = at(T0 + n / 1000.0);
    for (uint32_t i = 0; i < clientlog_n_indices(log); i++)
        occupied += clientlog_report_at(log, i, 0, false, &end, &rep);
    assert_int_equal(occupied, 4096);
    assert_int_equal(clientlog_n_records(log), 4096);
    assert_int_equal(stats.log_drops, n - occupied);
    assert_int_equal(stats.ntp_hits, n);
    assert_int_equal(stats.ntp_drops, 0); /* every client was new */
    clientlog_free(log);
}

static void reports_and_pages(void **state)
{
    (void)state;
    uint32_t word = 0;
    struct clientlog_params p = params(524288);
    struct clientlog *log = make(&p, NULL, &word);
    struct tock_ip ip = ip_of("192.0.2.50");
    /* 10 NTP requests 4 s apart, then a report 7 s after the last. */
    for (int i = 0; i < 10; i++) {
        struct timespec now = at(T0 + 4 * i);
        clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
    }
    struct timespec now = at(T0 + 36 + 7);
    struct clientlog_report rep;
    assert_true(find_report(log, "192.0.2.50", &now, &rep));
    assert_int_equal(rep.ntp_hits, 10);
    assert_int_equal(rep.ntp_interval, 2); /* log2(4 s) */
    assert_int_equal(rep.last_ntp_hit_ago, 7);
    assert_int_equal(rep.cmd_hits, 0);
    assert_int_equal(rep.cmd_interval, CLIENTLOG_NO_INTERVAL);
    assert_int_equal(rep.nke_interval, CLIENTLOG_NO_INTERVAL);
    assert_int_equal(rep.ntp_timeout_interval, CLIENTLOG_NO_INTERVAL);
    assert_int_equal(rep.last_cmd_hit_ago, CLIENTLOG_NEVER);
    assert_int_equal(rep.last_nke_hit_ago, CLIENTLOG_NEVER);

    /* Requests at one instant: the shortest interval chronyd reports, 2^-5 s. */
    struct tock_ip fast = ip_of("192.0.2.51");
    for (int i = 0; i < 30; i++)
        clientlog_access(log, CLIENTLOG_CMD, &fast, &now);
    assert_true(find_report(log, "192.0.2.51", &now, &rep));
    assert_int_equal(rep.cmd_interval, -5);
    assert_int_equal(rep.last_cmd_hit_ago, 0);

    /* A time before the last hit reads as "never", not as a huge age. */
    struct timespec before = at(T0);
    assert_true(find_report(log, "192.0.2.50", &before, &rep));
    assert_int_equal(rep.last_ntp_hit_ago, CLIENTLOG_NEVER);
    clientlog_free(log);
}

/* The average interval follows a client that slows down from 1 s to 16 s in steps worked
 * out from chronyd's moving average: the rate (-4 x log2 of the interval) drops from 0 to
 * at most 10 above the new target -16, then halves the distance: -6, -11, -14, -15, -16;
 * reported rounded as log2 intervals 2, 3, 4, 4, 4. */
static void interval_follows_slowing_client(void **state)
{
    (void)state;
    uint32_t word = 5;
    struct clientlog_params p = params(524288);
    struct clientlog *log = make(&p, NULL, &word);
    struct tock_ip ip = ip_of("192.0.2.77");
    double t = T0;
    for (int i = 0; i < 5; i++, t += 1) {
        struct timespec now = at(t);
        clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
    }
    struct clientlog_report rep;
    struct timespec now = at(t);
    assert_true(find_report(log, "192.0.2.77", &now, &rep));
    assert_int_equal(rep.ntp_interval, 0);
    const int8_t expect[] = {2, 3, 4, 4, 4};
    t += 15;
    for (int k = 0; k < 5; k++, t += 16) {
        now = at(t);
        clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
        assert_true(find_report(log, "192.0.2.77", &now, &rep));
        if (rep.ntp_interval != expect[k])
            fail_msg("slow request %d: interval %d, expected %d", k + 1, rep.ntp_interval,
                     expect[k]);
    }
    clientlog_free(log);
}

static void pages_filters_and_reset(void **state)
{
    (void)state;
    uint32_t word = 3;
    struct clientlog_params p = params(524288);
    struct clientlog *log = make(&p, NULL, &word);
    struct timespec now = at(T0);
    char addr[32];
    for (int i = 0; i < 20; i++) {
        snprintf(addr, sizeof(addr), "198.51.100.%d", i);
        struct tock_ip ip = ip_of(addr);
        for (int k = 0; k <= i; k++) /* client i has i + 1 hits */
            clientlog_access(log, CLIENTLOG_NTP, &ip, &now);
    }
    assert_true(clientlog_n_indices(log) >= 32); /* grew from one slot */

    /* Walk pages as chronyc does until next_index reaches n_indices. */
    struct clientlog_report page[CLIENTLOG_MAX_PAGE];
    uint32_t seen = 0, next = 0, n_out, hits_total = 0;
    int pages = 0;
    while (next < clientlog_n_indices(log)) {
        next = clientlog_report_page(log, next, 100, 0, false, &now, page, &n_out);
        assert_true(n_out <= CLIENTLOG_MAX_PAGE);
        for (uint32_t i = 0; i < n_out; i++)
            hits_total += page[i].ntp_hits;
        seen += n_out;
        pages++;
    }
    assert_int_equal(seen, 20);
    assert_int_equal(hits_total, 20 * 21 / 2);
    assert_true(pages >= 3);

    /* min_hits: only clients with at least 15 hits in some service (i >= 14). */
    seen = 0;
    next = 0;
    while (next < clientlog_n_indices(log)) {
        next = clientlog_report_page(log, next, 8, 15, false, &now, page, &n_out);
        for (uint32_t i = 0; i < n_out; i++)
            assert_true(page[i].ntp_hits >= 15);
        seen += n_out;
    }
    assert_int_equal(seen, 6);

    /* reset: counters zeroed after reading, for every record walked (reported or not). */
    next = 0;
    while (next < clientlog_n_indices(log))
        next = clientlog_report_page(log, next, 8, 19, true, &now, page, &n_out);
    struct clientlog_report rep;
    assert_true(find_report(log, "198.51.100.19", &now, &rep));
    assert_int_equal(rep.ntp_hits, 0);
    assert_int_equal(rep.ntp_drops, 0);
    assert_true(find_report(log, "198.51.100.3", &now, &rep));
    assert_int_equal(rep.ntp_hits, 0);
    assert_int_equal(rep.last_ntp_hit_ago, 0); /* the record itself stays */

    /* A page starting past the end is empty. */
    assert_int_equal(clientlog_report_page(log, 1u << 30, 8, 0, false, &now, page, &n_out),
                     1u << 30);
    assert_int_equal(n_out, 0);
    clientlog_free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sizing_from_limit),
        cmocka_unit_test(noclientlog),
        cmocka_unit_test(burst_gets_exactly_what_bucket_and_leak_allow),
        cmocka_unit_test(kod_only_with_kod),
        cmocka_unit_test(hammering_client_inverts_leak),
        cmocka_unit_test(commands_localhost_and_unix_socket),
        cmocka_unit_test(mapped_address_is_the_ipv4_client),
        cmocka_unit_test(eviction_least_recently_active),
        cmocka_unit_test(million_clients_stay_bounded),
        cmocka_unit_test(reports_and_pages),
        cmocka_unit_test(interval_follows_slowing_client),
        cmocka_unit_test(pages_filters_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
