/* The metrics endpoint's pure half: the HTTP request parser (good, incomplete, hostile
 * requests), the error and 200 responses, and the exposition text (syntax of every line,
 * families grouped once, values, label escaping, the buffer bound). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <regex.h>

#include "monitor/metrics_fmt.h"

static enum metrics_http parse(const char *s)
{
    return metrics_http_parse(s, strlen(s), 2048);
}

static void test_http_parse(void **state)
{
    (void)state;
    assert_int_equal(parse("GET /metrics HTTP/1.0\r\n\r\n"), METRICS_HTTP_METRICS);
    assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: localhost:9123\r\nAccept: */*\r\n\r\n"),
                     METRICS_HTTP_METRICS);
    assert_int_equal(parse("GET /metrics?name[]=x HTTP/1.1\n\n"), METRICS_HTTP_METRICS);
    /* not yet complete */
    assert_int_equal(parse(""), METRICS_HTTP_INCOMPLETE);
    assert_int_equal(parse("GET /metr"), METRICS_HTTP_INCOMPLETE);
    assert_int_equal(parse("GET /metrics HTTP/1.0\r\n"), METRICS_HTTP_INCOMPLETE);
    assert_int_equal(parse("GET /metrics HTTP/1.0\r\nHost: x\r\n"), METRICS_HTTP_INCOMPLETE);
    /* other paths */
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n"), METRICS_HTTP_NOT_FOUND);
    assert_int_equal(parse("GET /metricsX HTTP/1.0\r\n\r\n"), METRICS_HTTP_NOT_FOUND);
    assert_int_equal(parse("GET /metrics/ HTTP/1.0\r\n\r\n"), METRICS_HTTP_NOT_FOUND);
    /* a bad method or request line is refused as soon as the line is there */
    assert_int_equal(parse("POST /metrics HTTP/1.0\r\n"), METRICS_HTTP_BAD_METHOD);
    assert_int_equal(parse("HEAD /metrics HTTP/1.1\r\n\r\n"), METRICS_HTTP_BAD_METHOD);
    assert_int_equal(parse("get /metrics HTTP/1.0\r\n\r\n"), METRICS_HTTP_BAD_METHOD);
    assert_int_equal(parse("GET /metrics\r\n\r\n"), METRICS_HTTP_BAD_REQUEST); /* HTTP/0.9 */
    assert_int_equal(parse("GET /metrics HTTP/2.0\r\n"), METRICS_HTTP_BAD_REQUEST);
    assert_int_equal(parse("GET  /metrics HTTP/1.0\r\n"), METRICS_HTTP_BAD_REQUEST);
    assert_int_equal(parse("GET metrics HTTP/1.0\r\n"), METRICS_HTTP_BAD_REQUEST);
    assert_int_equal(parse("GET /metrics HTTP/1.0 \r\n"), METRICS_HTTP_BAD_REQUEST);
    assert_int_equal(parse("\r\n\r\n"), METRICS_HTTP_BAD_REQUEST);
    assert_int_equal(parse("\x16\x03\x01\x02"), METRICS_HTTP_BAD_REQUEST); /* TLS hello */
    assert_int_equal(parse("GET /m\xc3\xa9trics HTTP/1.0\r\n\r\n"), METRICS_HTTP_BAD_REQUEST);
    const char nul[] = "GET /metrics HTTP/1.0\r\n\0\r\n\r\n";
    assert_int_equal(metrics_http_parse(nul, sizeof(nul) - 1, 2048), METRICS_HTTP_BAD_REQUEST);

    /* Headers that never end: refused at the limit, and nothing past it is read. */
    static char big[4096];
    strcpy(big, "GET /metrics HTTP/1.0\r\nX-Pad: ");
    size_t n = strlen(big);
    memset(big + n, 'a', sizeof(big) - n);
    assert_int_equal(metrics_http_parse(big, 2047, 2048), METRICS_HTTP_INCOMPLETE);
    assert_int_equal(metrics_http_parse(big, 2048, 2048), METRICS_HTTP_TOO_LARGE);
    memcpy(big + 3000, "\r\n\r\n", 4); /* the end, but beyond the limit */
    assert_int_equal(metrics_http_parse(big, sizeof(big), 2048), METRICS_HTTP_TOO_LARGE);
}

/* Content-Length must match the body that follows the empty line. */
static void check_length(const char *resp, size_t total)
{
    const char *cl = strstr(resp, "Content-Length: ");
    const char *body = strstr(resp, "\r\n\r\n");
    assert_non_null(cl);
    assert_non_null(body);
    body += 4;
    assert_int_equal(strtoul(cl + 16, NULL, 10), total - (size_t)(body - resp));
}

static void test_http_responses(void **state)
{
    (void)state;
    char buf[512];
    size_t n = metrics_http_error(METRICS_HTTP_NOT_FOUND, buf, sizeof(buf));
    assert_true(n > 0 && n == strlen(buf));
    assert_memory_equal(buf, "HTTP/1.0 404 Not Found\r\n", 24);
    check_length(buf, n);
    n = metrics_http_error(METRICS_HTTP_BAD_METHOD, buf, sizeof(buf));
    assert_memory_equal(buf, "HTTP/1.0 405 Method Not Allowed\r\n", 33);
    assert_non_null(strstr(buf, "\r\nAllow: GET\r\n"));
    check_length(buf, n);
    n = metrics_http_error(METRICS_HTTP_TOO_LARGE, buf, sizeof(buf));
    assert_memory_equal(buf, "HTTP/1.0 431 ", 13);
    n = metrics_http_error(METRICS_HTTP_BAD_REQUEST, buf, sizeof(buf));
    assert_memory_equal(buf, "HTTP/1.0 400 Bad Request\r\n", 26);
    check_length(buf, n);
    assert_int_equal(metrics_http_error(METRICS_HTTP_NOT_FOUND, buf, 40), 0);

    n = metrics_http_header(12345, buf, sizeof(buf));
    assert_true(n > 0);
    assert_string_equal(buf, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; "
                             "charset=utf-8\r\nContent-Length: 12345\r\nConnection: close\r\n\r\n");
    assert_int_equal(metrics_http_header(12345, buf, 20), 0);
}

/* ---- the exposition text ---- */

static struct metrics_source srcs[64];

static void make_view(struct metrics_view *v)
{
    memset(v, 0, sizeof(*v));
    memset(srcs, 0, sizeof(srcs));
    v->version = "0.1.0";
    v->start_time = 1795694330.0;
    struct candm_tracking *t = &v->tracking;
    t->ref_id = 0xC0000201;
    t->ip.ip.family = AF_INET;
    memcpy(t->ip.ip.addr, (uint8_t[]){192, 0, 2, 1}, 4);
    t->stratum = 3;
    t->leap_status = 0;
    t->ref_time.tv_sec = 1795694300;
    t->ref_time.tv_nsec = 500000000;
    t->current_correction = -2.5e-6;
    t->freq_ppm = 12.345;
    t->root_delay = 0.0125;
    t->root_dispersion = 0.00075;
    t->last_update_interval = 64.0;

    struct metrics_source *a = &srcs[0];
    snprintf(a->name, sizeof(a->name), "ntp.example");
    a->data.ip = t->ip;
    a->data.stratum = 2;
    a->data.poll = 6;
    a->data.state = CANDM_SD_STATE_SELECTED;
    a->data.reachability = 0377;
    a->data.since_sample = 12;
    a->data.latest_meas = -1.5e-05;
    a->data.orig_latest_meas = -1.25e-05;
    a->data.latest_meas_err = 0.003;
    a->stats.n_samples = 8;
    a->stats.sd = 2e-6;
    a->has_ntp_data = true;
    a->ntp.peer_delay = 0.0105;
    a->ntp.total_tx_count = 4294967295u; /* printed in full */
    a->ntp.total_rx_count = 100;
    a->ntp.total_valid_count = 99;
    a->ntp.total_good_count = 98;

    struct metrics_source *b = &srcs[1]; /* a pool member not resolved yet */
    snprintf(b->name, sizeof(b->name), "pool \"quoted\" \\ new\nline");
    b->data.ip.is_id = true;
    b->data.ip.id = 2;
    b->data.state = CANDM_SD_STATE_NONSELECTABLE;
    b->data.since_sample = 0xFFFFFFFFu;
    b->data.poll = -2;
    v->sources = srcs;
    v->n_sources = 2;
    v->activity.online = 1;
    v->activity.unresolved = 1;
    v->server.ntp_hits = 1ull << 40;
    v->server.ntp_drops = 7;
    v->server.cmd_hits = 5;
    v->dropped[SERVER_DROP_DENIED] = 3;
    v->clientlog_active = true;
    v->clientlog_records = 2;
    v->clientlog_slots = 16;
    v->clientlog_max_records = 4096;
    v->clientlog_memory_bytes = 1024;
    v->scrapes = 4;
}

/* Checks the syntax of every line and that each family's samples follow its TYPE line,
 * each family only once. Returns the number of sample lines. */
static int check_syntax(const char *text)
{
    regex_t sample_re, help_re, type_re;
    assert_int_equal(
        regcomp(&sample_re,
                "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
                "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*)\\})? "
                "(-?[0-9.e+-]+|NaN|[+-]Inf)$",
                REG_EXTENDED),
        0);
    assert_int_equal(regcomp(&help_re, "^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) [^\n]+$", REG_EXTENDED),
                     0);
    assert_int_equal(
        regcomp(&type_re, "^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$", REG_EXTENDED), 0);
    char *copy = strdup(text), *save = NULL;
    char families[128][64];
    int n_families = 0, samples = 0;
    char current[64] = "";
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        regmatch_t m[2];
        if (strncmp(line, "# HELP ", 7) == 0) {
            assert_int_equal(regexec(&help_re, line, 0, NULL, 0), 0);
            continue;
        }
        if (regexec(&type_re, line, 2, m, 0) == 0) {
            int len = (int)(m[1].rm_eo - m[1].rm_so);
            snprintf(current, sizeof(current), "%.*s", len, line + m[1].rm_so);
            for (int i = 0; i < n_families; i++)
                assert_string_not_equal(families[i], current);
            assert_true(n_families < 128);
            snprintf(families[n_families++], sizeof(families[0]), "%s", current);
            /* counters end in _total */
            if (strstr(line, " counter"))
                assert_non_null(strstr(current, "_total"));
            continue;
        }
        if (regexec(&sample_re, line, 2, m, 0) != 0)
            fail_msg("bad line: %s", line);
        int len = (int)(m[1].rm_eo - m[1].rm_so);
        assert_true(strlen(current) == (size_t)len && strncmp(current, line, (size_t)len) == 0);
        samples++;
    }
    free(copy);
    regfree(&sample_re);
    regfree(&help_re);
    regfree(&type_re);
    return samples;
}

static void test_render(void **state)
{
    (void)state;
    struct metrics_view v;
    make_view(&v);
    size_t cap = metrics_render_bound(v.n_sources);
    char *buf = malloc(cap);
    size_t n = metrics_render(&v, buf, cap);
    assert_true(n > 0 && n == strlen(buf) && buf[n - 1] == '\n');
    assert_true(check_syntax(buf) > 60);

    assert_non_null(strstr(buf, "\ntock_build_info{version=\"0.1.0\"} 1\n"));
    assert_non_null(strstr(buf, "\ntock_start_time_seconds 1795694330\n"));
    assert_non_null(strstr(buf, "\ntock_reference_info{reference_id=\"C0000201\",address=\"192.0."
                                "2.1\",leap=\"normal\"} 1\n"));
    assert_non_null(strstr(buf, "\ntock_reference_synchronised 1\n"));
    assert_non_null(strstr(buf, "\ntock_reference_local 0\n"));
    assert_non_null(strstr(buf, "\ntock_reference_stratum 3\n"));
    assert_non_null(strstr(buf, "\ntock_reference_time_seconds 1795694300.5\n"));
    assert_non_null(strstr(buf, "\ntock_system_time_correction_seconds -2.5e-06\n"));
    assert_non_null(strstr(buf, "\ntock_frequency_ppm 12.345\n"));
    assert_non_null(strstr(buf, "\ntock_root_delay_seconds 0.0125\n"));
    assert_non_null(strstr(buf, "\ntock_update_interval_seconds 64\n"));
    /* sources: the resolved one with everything, the unresolved one only where it has data */
    assert_non_null(strstr(buf, "\ntock_source_info{address=\"192.0.2.1\",name=\"ntp.example\","
                                "mode=\"server\",state=\"selected\",state_char=\"*\"} 1\n"));
    assert_non_null(strstr(buf, "\ntock_source_info{address=\"ID#0000000002\",name=\"pool "
                                "\\\"quoted\\\" \\\\ new\\nline\",mode=\"server\",state="
                                "\"unusable\",state_char=\"?\"} 1\n"));
    assert_non_null(
        strstr(buf, "\ntock_source_offset_seconds{address=\"192.0.2.1\",name=\"ntp.example\"} "
                    "-1.5e-05\n"));
    assert_non_null(strstr(buf, "\ntock_source_poll_interval_seconds{address=\"192.0.2.1\",name="
                                "\"ntp.example\"} 64\n"));
    assert_non_null(strstr(buf, "\ntock_source_poll_interval_seconds{address=\"ID#0000000002\","));
    assert_non_null(strstr(buf, "\"} 0.25\n")); /* 2^-2 s */
    assert_non_null(strstr(buf, "\ntock_source_reachability{address=\"192.0.2.1\",name=\"ntp."
                                "example\"} 255\n"));
    assert_non_null(strstr(buf, "\ntock_source_reachability_ratio{address=\"192.0.2.1\",name="
                                "\"ntp.example\"} 1\n"));
    assert_non_null(strstr(buf, "\ntock_source_requests_sent_total{address=\"192.0.2.1\",name="
                                "\"ntp.example\"} 4294967295\n"));
    assert_null(strstr(buf, "tock_source_offset_seconds{address=\"ID#"));
    assert_null(strstr(buf, "tock_source_delay_seconds{address=\"ID#"));
    assert_non_null(strstr(buf, "\ntock_sources{state=\"unresolved\"} 1\n"));
    /* server counters in full, the drop reasons */
    assert_non_null(strstr(buf, "\ntock_ntp_requests_total 1099511627776\n"));
    assert_non_null(strstr(buf, "\ntock_ntp_dropped_total{reason=\"ratelimit\"} 7\n"));
    assert_non_null(strstr(buf, "\ntock_ntp_dropped_total{reason=\"denied\"} 3\n"));
    assert_non_null(strstr(buf, "\ntock_ntp_dropped_total{reason=\"mode_6_7\"} 0\n"));
    assert_non_null(strstr(buf, "\ntock_command_requests_total 5\n"));
    assert_non_null(strstr(buf, "\ntock_clientlog_records 2\n"));
    assert_non_null(strstr(buf, "\ntock_clientlog_max_records 4096\n"));
    assert_non_null(strstr(buf, "\ntock_metrics_scrapes_total 4\n"));

    /* A buffer one byte short gives nothing (never a truncated exposition). */
    assert_int_equal(metrics_render(&v, buf, n), 0);
    assert_string_equal(buf, "");
    free(buf);
}

static void test_reference_states(void **state)
{
    (void)state;
    struct metrics_view v;
    make_view(&v);
    v.n_sources = 0;
    size_t cap = metrics_render_bound(0);
    char *buf = malloc(cap);
    /* serving the local reference */
    memset(&v.tracking, 0, sizeof(v.tracking));
    v.tracking.ref_id = 0x7F7F0101;
    v.tracking.stratum = 10;
    assert_true(metrics_render(&v, buf, cap) > 0);
    check_syntax(buf);
    assert_non_null(strstr(buf, "\ntock_reference_synchronised 0\n"));
    assert_non_null(strstr(buf, "\ntock_reference_local 1\n"));
    assert_non_null(strstr(buf, "reference_id=\"7F7F0101\",address=\"\",leap=\"normal\"} 1\n"));
    /* unsynchronised */
    memset(&v.tracking, 0, sizeof(v.tracking));
    v.tracking.leap_status = 3;
    v.tracking.root_delay = 1.0;
    v.tracking.last_offset = 0.0 / 0.0; /* NaN */
    assert_true(metrics_render(&v, buf, cap) > 0);
    check_syntax(buf);
    assert_non_null(strstr(buf, "\ntock_reference_synchronised 0\n"));
    assert_non_null(strstr(buf, "\ntock_reference_local 0\n"));
    assert_non_null(strstr(buf, "\ntock_reference_stratum 0\n"));
    assert_non_null(strstr(buf, "leap=\"unsynchronised\"} 1\n"));
    assert_non_null(strstr(buf, "\ntock_last_offset_seconds NaN\n"));
    free(buf);
}

/* The bound holds for the worst case: 64 sources whose names are 255 quotes (each
 * escaped to two bytes), IPv6 addresses, every value present. */
static void test_render_bound(void **state)
{
    (void)state;
    struct metrics_view v;
    make_view(&v);
    for (int i = 0; i < 64; i++) {
        srcs[i] = srcs[0];
        memset(srcs[i].name, '"', CANDM_NAME_LEN - 1);
        srcs[i].name[CANDM_NAME_LEN - 1] = '\0';
        srcs[i].data.ip.ip.family = AF_INET6;
        memset(srcs[i].data.ip.ip.addr, 0xab, 16);
        srcs[i].data.latest_meas = -1.234567891e-300;
    }
    v.n_sources = 64;
    size_t cap = metrics_render_bound(64);
    char *buf = malloc(cap);
    size_t n = metrics_render(&v, buf, cap);
    assert_true(n > 64 * 22 * 500);
    assert_true(n < cap);
    assert_int_equal(check_syntax(buf) >= 64 * 22, 1);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_parse),   cmocka_unit_test(test_http_responses),
        cmocka_unit_test(test_render),       cmocka_unit_test(test_reference_states),
        cmocka_unit_test(test_render_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
