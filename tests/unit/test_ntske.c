/* Unit tests for src/proto/ntske.c: NTS-KE framing, server and client records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "proto/ntske.h"

static const uint16_t only15[] = {15};

/* The exact request chrony's client sends (prepare_request in nts_ke_client.c). */
static const uint8_t chrony_request[] = {0x80, 0x01, 0x00, 0x02, 0x00, 0x00, 0x80, 0x04,
                                         0x00, 0x02, 0x00, 0x0f, 0x80, 0x00, 0x00, 0x00};

/* Appends one record to buf at *len. */
static void rec(uint8_t *buf, size_t *len, uint16_t type_and_c, const void *body, uint16_t blen)
{
    buf[*len] = (uint8_t)(type_and_c >> 8);
    buf[*len + 1] = (uint8_t)type_and_c;
    buf[*len + 2] = (uint8_t)(blen >> 8);
    buf[*len + 3] = (uint8_t)blen;
    if (blen)
        memcpy(buf + *len + 4, body, blen);
    *len += 4 + (size_t)blen;
}

static const uint8_t ntpv4[] = {0, 0}, aead15[] = {0, 15};

static void exporter_context(void **state)
{
    (void)state;
    uint8_t c[5];
    ntske_exporter_context(0, 15, false, c);
    assert_memory_equal(c, ((uint8_t[]){0, 0, 0, 15, 0}), 5);
    ntske_exporter_context(0, 30, true, c);
    assert_memory_equal(c, ((uint8_t[]){0, 0, 0, 30, 1}), 5);
    assert_string_equal(NTSKE_EXPORTER_LABEL, "EXPORTER-network-time-security");
}

static void framing(void **state)
{
    (void)state;
    uint8_t b[32] = {0};
    assert_int_equal(ntske_frame_check(b, 0), NTSKE_FRAME_INCOMPLETE);
    assert_int_equal(ntske_frame_check(chrony_request, sizeof(chrony_request)),
                     NTSKE_FRAME_COMPLETE);
    for (size_t n = 0; n < sizeof(chrony_request); n++)
        assert_int_equal(ntske_frame_check(chrony_request, n), NTSKE_FRAME_INCOMPLETE);
    memcpy(b, chrony_request, 16);
    b[16] = 0;
    assert_int_equal(ntske_frame_check(b, 17), NTSKE_FRAME_INVALID); /* data after EOM */
    size_t len = 0;
    rec(b, &len, 0x0000, NULL, 0); /* End of Message without the critical bit */
    assert_int_equal(ntske_frame_check(b, len), NTSKE_FRAME_INVALID);
    len = 0;
    rec(b, &len, 0x8000, "x", 1); /* End of Message with a body */
    assert_int_equal(ntske_frame_check(b, len), NTSKE_FRAME_INVALID);

    /* A record claiming more than a message may hold never completes. */
    static uint8_t big[NTSKE_MAX_MESSAGE + 4];
    memset(big, 0, sizeof(big));
    big[0] = 0x00;
    big[1] = 0x09;
    big[2] = 0xff;
    big[3] = 0xff;
    assert_int_equal(ntske_frame_check(big, 100), NTSKE_FRAME_INCOMPLETE);
    assert_int_equal(ntske_frame_check(big, NTSKE_MAX_MESSAGE), NTSKE_FRAME_INVALID);
    assert_int_equal(ntske_frame_check(big, sizeof(big)), NTSKE_FRAME_INVALID);
}

static void reassembly_in_pieces(void **state)
{
    (void)state;
    static struct ntske_msgbuf m;
    uint8_t resp[2048], cookies[8 * 100];
    struct ntske_request req = {.error = -1, .ntpv4 = true, .aead = 15};
    struct ntske_server_params p = {.ntp_port = 123};
    memset(cookies, 0xab, sizeof(cookies));
    int n = ntske_build_response(&req, &p, cookies, 100, 8, resp, sizeof(resp));
    assert_true(n > 0);

    /* One byte at a time: incomplete until the last byte. */
    ntske_msgbuf_reset(&m);
    for (int i = 0; i < n - 1; i++)
        assert_int_equal(ntske_msgbuf_append(&m, resp + i, 1), NTSKE_FRAME_INCOMPLETE);
    assert_int_equal(ntske_msgbuf_append(&m, resp + n - 1, 1), NTSKE_FRAME_COMPLETE);
    assert_int_equal(m.len, (size_t)n);
    assert_memory_equal(m.data, resp, (size_t)n);
    /* Nothing may follow. */
    assert_int_equal(ntske_msgbuf_append(&m, resp, 1), NTSKE_FRAME_INVALID);

    /* Uneven pieces, including empty ones, split inside headers and bodies. */
    static const size_t pieces[] = {3, 0, 1, 5, 100, 7, 250, 1};
    ntske_msgbuf_reset(&m);
    size_t off = 0;
    int st = NTSKE_FRAME_INCOMPLETE;
    for (int i = 0; off < (size_t)n; i = (i + 1) % 8) {
        size_t k = pieces[i] < (size_t)n - off ? pieces[i] : (size_t)n - off;
        st = ntske_msgbuf_append(&m, resp + off, k);
        off += k;
        if (off < (size_t)n)
            assert_int_equal(st, NTSKE_FRAME_INCOMPLETE);
    }
    assert_int_equal(st, NTSKE_FRAME_COMPLETE);

    struct ntske_response r;
    assert_int_equal(ntske_parse_response(m.data, m.len, only15, 1, &r), NTSKE_RESP_OK);
    assert_int_equal(r.cookies.n, 8);

    /* More than a message may hold. */
    ntske_msgbuf_reset(&m);
    static uint8_t junk[NTSKE_MAX_MESSAGE];
    memset(junk, 0, sizeof(junk));
    junk[1] = 9; /* a non-critical record of type 9 with a 0-byte body, repeated */
    for (size_t i = 0; i + 4 <= sizeof(junk); i += 4)
        junk[i + 1] = 9;
    assert_int_equal(ntske_msgbuf_append(&m, junk, sizeof(junk) - 4), NTSKE_FRAME_INCOMPLETE);
    assert_int_equal(ntske_msgbuf_append(&m, junk, 4), NTSKE_FRAME_INVALID);
    ntske_msgbuf_reset(&m);
    assert_int_equal(ntske_msgbuf_append(&m, junk, sizeof(junk)), NTSKE_FRAME_INVALID);
}

static void server_accepts_chrony_request(void **state)
{
    (void)state;
    struct ntske_request req;
    ntske_parse_request(chrony_request, sizeof(chrony_request), only15, 1, &req);
    assert_int_equal(req.error, -1);
    assert_true(req.ntpv4);
    assert_int_equal(req.aead, 15);
    assert_true(ntske_request_ok(&req));
    assert_false(req.compliant_gcm_siv_exporter);

    /* The client's request builder makes exactly these bytes. */
    uint8_t out[64];
    assert_int_equal(ntske_build_request(only15, 1, out, sizeof(out)), 16);
    assert_memory_equal(out, chrony_request, 16);
    assert_int_equal(ntske_build_request(only15, 1, out, 15), -1);
    assert_int_equal(ntske_build_request(only15, 0, out, sizeof(out)), -1);
}

static void server_aead_choice(void **state)
{
    (void)state;
    uint8_t b[128];
    size_t len = 0;
    struct ntske_request req;
    static const uint8_t offer[] = {0, 30, 0, 15, 0, 16};
    rec(b, &len, 0x8001, ntpv4, 2);
    rec(b, &len, 0x0004, offer, sizeof(offer)); /* AEAD may be non-critical */
    rec(b, &len, 0x8000, NULL, 0);
    ntske_parse_request(b, len, only15, 1, &req);
    assert_int_equal(req.error, -1);
    assert_int_equal(req.aead, 15);
    /* The client's order decides among supported ones. */
    static const uint16_t both[] = {15, 30};
    ntske_parse_request(b, len, both, 2, &req);
    assert_int_equal(req.aead, 30);

    /* Nothing in common: NTPv4 with an empty AEAD record. */
    static const uint8_t only30[] = {0, 30};
    len = 0;
    rec(b, &len, 0x8001, ntpv4, 2);
    rec(b, &len, 0x8004, only30, 2);
    rec(b, &len, 0x8000, NULL, 0);
    ntske_parse_request(b, len, only15, 1, &req);
    assert_int_equal(req.error, -1);
    assert_true(req.ntpv4);
    assert_int_equal(req.aead, -1);
    assert_false(ntske_request_ok(&req));
    uint8_t out[64];
    struct ntske_server_params p = {.ntp_port = 123};
    int n = ntske_build_response(&req, &p, NULL, 0, 0, out, sizeof(out));
    static const uint8_t want_noaead[] = {0x80, 1, 0, 2, 0, 0, 0x80, 4, 0, 0, 0x80, 0, 0, 0};
    assert_int_equal(n, sizeof(want_noaead));
    assert_memory_equal(out, want_noaead, sizeof(want_noaead));

    /* No NTPv4 offered: an empty Next Protocol record, and no AEAD is needed. */
    static const uint8_t proto1[] = {0, 1};
    len = 0;
    rec(b, &len, 0x8001, proto1, 2);
    rec(b, &len, 0x8000, NULL, 0);
    ntske_parse_request(b, len, only15, 1, &req);
    assert_int_equal(req.error, -1);
    assert_false(req.ntpv4);
    n = ntske_build_response(&req, &p, NULL, 0, 0, out, sizeof(out));
    static const uint8_t want_noproto[] = {0x80, 1, 0, 0, 0x80, 0, 0, 0};
    assert_int_equal(n, sizeof(want_noproto));
    assert_memory_equal(out, want_noproto, sizeof(want_noproto));
}

/* Builds a request from a list of (type, body) records plus End of Message. */
struct r {
    uint16_t t;
    const void *b;
    uint16_t n;
};

static int request_error(const struct r *recs, int nrecs)
{
    uint8_t b[1024];
    size_t len = 0;
    struct ntske_request req;
    for (int i = 0; i < nrecs; i++)
        rec(b, &len, recs[i].t, recs[i].b, recs[i].n);
    rec(b, &len, 0x8000, NULL, 0);
    ntske_parse_request(b, len, only15, 1, &req);
    return req.error;
}

static void server_bad_requests(void **state)
{
    (void)state;
    static const uint8_t odd[] = {0, 0, 0}, cookie[100] = {0}, two[] = {0, 1, 0, 0};
    static uint8_t long_list[258];
    const int BAD = NTSKE_ERROR_BAD_REQUEST, UNREC = NTSKE_ERROR_UNRECOGNIZED_CRITICAL;
    memset(long_list, 0, sizeof(long_list));

    /* Control: valid. */
    assert_int_equal(request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}}, 2), -1);
    /* Next Protocol: missing, non-critical, empty, odd, duplicated, too long. */
    assert_int_equal(request_error((struct r[]){{0x8004, aead15, 2}}, 1), BAD);
    assert_int_equal(request_error((struct r[]){{0x0001, ntpv4, 2}, {0x8004, aead15, 2}}, 2), BAD);
    assert_int_equal(request_error((struct r[]){{0x8001, NULL, 0}, {0x8004, aead15, 2}}, 2), BAD);
    assert_int_equal(request_error((struct r[]){{0x8001, odd, 3}, {0x8004, aead15, 2}}, 2), BAD);
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8001, ntpv4, 2}, {0x8004, aead15, 2}}, 3),
        BAD);
    assert_int_equal(request_error((struct r[]){{0x8001, long_list, 258}, {0x8004, aead15, 2}}, 2),
                     BAD);
    /* A list with NTPv4 second is fine. */
    assert_int_equal(request_error((struct r[]){{0x8001, two, 4}, {0x8004, aead15, 2}}, 2), -1);
    /* AEAD: missing, empty, odd, duplicated. */
    assert_int_equal(request_error((struct r[]){{0x8001, ntpv4, 2}}, 1), BAD);
    assert_int_equal(request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, NULL, 0}}, 2), BAD);
    assert_int_equal(request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, odd, 3}}, 2), BAD);
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x8004, aead15, 2}},
                      3),
        BAD);
    /* Records a client must not send. */
    static const uint8_t code[] = {0, 1};
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x8002, code, 2}}, 3),
        BAD);
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x0003, code, 2}}, 3),
        BAD);
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x0005, cookie, 100}},
                      3),
        BAD);
    /* Unknown records: critical is an error 0, non-critical is ignored. */
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x8009, code, 2}}, 3),
        UNREC);
    assert_int_equal(
        request_error(
            (struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x0009, long_list, 258}}, 3),
        -1);
    /* Client suggestions of a server or port are allowed once each. */
    static const uint8_t port[] = {0x2b, 0x73};
    assert_int_equal(request_error((struct r[]){{0x8001, ntpv4, 2},
                                                {0x8004, aead15, 2},
                                                {0x8006, "a.example", 9},
                                                {0x8007, port, 2}},
                                   4),
                     -1);
    assert_int_equal(request_error((struct r[]){{0x8001, ntpv4, 2},
                                                {0x8004, aead15, 2},
                                                {0x8007, port, 2},
                                                {0x8007, port, 2}},
                                   4),
                     BAD);
    assert_int_equal(
        request_error((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x8007, odd, 3}}, 3),
        BAD);
    /* Record 1024 is noted. */
    uint8_t b[64];
    size_t len = 0;
    struct ntske_request req;
    rec(b, &len, 0x8001, ntpv4, 2);
    rec(b, &len, 0x8004, aead15, 2);
    rec(b, &len, 0x0400, NULL, 0);
    rec(b, &len, 0x8000, NULL, 0);
    ntske_parse_request(b, len, only15, 1, &req);
    assert_int_equal(req.error, -1);
    assert_true(req.compliant_gcm_siv_exporter);
    /* No End of Message: a bad request. */
    ntske_parse_request(b, len - 4, only15, 1, &req);
    assert_int_equal(req.error, BAD);
}

static void server_response_layout(void **state)
{
    (void)state;
    uint8_t cookies[8 * 100], out[2048], want[2048];
    for (size_t i = 0; i < sizeof(cookies); i++)
        cookies[i] = (uint8_t)i;
    struct ntske_request req = {.error = -1, .ntpv4 = true, .aead = 15};

    /* Port 123, no ntsntpserver: Next Protocol, AEAD, 8 cookies, End. */
    struct ntske_server_params p = {.ntp_port = 123};
    int n = ntske_build_response(&req, &p, cookies, 100, 8, out, sizeof(out));
    size_t len = 0;
    rec(want, &len, 0x8001, ntpv4, 2);
    rec(want, &len, 0x8004, aead15, 2);
    for (int i = 0; i < 8; i++)
        rec(want, &len, 0x0005, cookies + 100 * i, 100);
    rec(want, &len, 0x8000, NULL, 0);
    assert_int_equal(n, (int)len);
    assert_int_equal(n, 6 + 6 + 8 * 104 + 4);
    assert_memory_equal(out, want, len);

    /* Another port and a server name: Port then Server, before the cookies. */
    p.ntp_port = 11123;
    p.ntp_server = "ntp.example.net";
    n = ntske_build_response(&req, &p, cookies, 100, 2, out, sizeof(out));
    static const uint8_t port[] = {0x2b, 0x73};
    len = 0;
    rec(want, &len, 0x8001, ntpv4, 2);
    rec(want, &len, 0x8004, aead15, 2);
    rec(want, &len, 0x8007, port, 2);
    rec(want, &len, 0x8006, "ntp.example.net", 15);
    rec(want, &len, 0x0005, cookies, 100);
    rec(want, &len, 0x0005, cookies + 100, 100);
    rec(want, &len, 0x8000, NULL, 0);
    assert_int_equal(n, (int)len);
    assert_memory_equal(out, want, len);

    /* Does not fit; bad parameters. */
    assert_int_equal(ntske_build_response(&req, &p, cookies, 100, 2, out, len - 1), -1);
    assert_int_equal(ntske_build_response(&req, &p, cookies, 100, 0, out, sizeof(out)), -1);
    assert_int_equal(ntske_build_response(&req, &p, cookies, 100, 9, out, sizeof(out)), -1);
    char longname[258];
    memset(longname, 'a', 257);
    longname[257] = 0;
    p.ntp_server = longname;
    assert_int_equal(ntske_build_response(&req, &p, cookies, 100, 1, out, sizeof(out)), -1);

    /* Errors. */
    static const uint8_t want_err[] = {0x80, 0x02, 0, 2, 0, 1, 0x80, 0, 0, 0};
    req.error = NTSKE_ERROR_BAD_REQUEST;
    n = ntske_build_response(&req, &p, NULL, 0, 0, out, sizeof(out));
    assert_int_equal(n, sizeof(want_err));
    assert_memory_equal(out, want_err, sizeof(want_err));
    assert_int_equal(ntske_build_error(0, out, sizeof(out)), 10);
    assert_int_equal(out[5], 0);
}

static int parse(const struct r *recs, int nrecs, struct ntske_response *resp)
{
    uint8_t b[4096];
    size_t len = 0;
    for (int i = 0; i < nrecs; i++)
        rec(b, &len, recs[i].t, recs[i].b, recs[i].n);
    rec(b, &len, 0x8000, NULL, 0);
    return ntske_parse_response(b, len, only15, 1, resp);
}

static void client_parses_responses(void **state)
{
    (void)state;
    static struct ntske_response r;
    static uint8_t c100[100], c12[12], c8[8], c6[6], c300[300];
    static const uint8_t port[] = {0x12, 0x34}, code2[] = {0, 2}, ntp1[] = {0, 1},
                         aead30[] = {0, 30};
    memset(c100, 0x11, sizeof(c100));

    assert_int_equal(parse((struct r[]){{0x8001, ntpv4, 2},
                                        {0x8004, aead15, 2},
                                        {0x8007, port, 2},
                                        {0x8006, "192.0.2.1", 9},
                                        {0x0005, c100, 100},
                                        {0x0005, c12, 12},
                                        {0x0005, c6, 6}, /* not a multiple of 4: ignored */
                                        {0x0005, c8, 8}, /* too short for an NTP field */
                                        {0x0009, c300, 300}},
                           9, &r),
                     NTSKE_RESP_OK);
    assert_int_equal(r.aead, 15);
    assert_int_equal(r.port, 0x1234);
    assert_string_equal(r.server, "192.0.2.1");
    assert_int_equal(r.cookies.n, 2);
    assert_int_equal(r.cookies.len[0], 100);
    assert_memory_equal(r.cookies.data[0], c100, 100);
    assert_int_equal(r.cookies.len[1], 12);

    /* At most 8 cookies are kept. */
    struct r many[12] = {{0x8001, ntpv4, 2}, {0x8004, aead15, 2}};
    for (int i = 2; i < 12; i++)
        many[i] = (struct r){0x0005, c100, 100};
    assert_int_equal(parse(many, 12, &r), NTSKE_RESP_OK);
    assert_int_equal(r.cookies.n, 8);
    assert_string_equal(r.server, "");
    assert_int_equal(r.port, 0);

    assert_int_equal(parse((struct r[]){{0x8002, code2, 2}}, 1, &r), NTSKE_RESP_SERVER_ERROR);
    assert_int_equal(r.error_code, 2);
    assert_int_equal(
        parse((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}, {0x8003, code2, 2}}, 3, &r),
        NTSKE_RESP_WARNING);
    assert_int_equal(parse((struct r[]){{0x8004, aead15, 2}, {0x0005, c100, 100}}, 2, &r),
                     NTSKE_RESP_BAD_PROTOCOL);
    assert_int_equal(parse((struct r[]){{0x8001, NULL, 0}}, 1, &r), NTSKE_RESP_BAD_PROTOCOL);
    assert_int_equal(parse((struct r[]){{0x8001, ntp1, 2}, {0x8004, aead15, 2}}, 2, &r),
                     NTSKE_RESP_BAD_PROTOCOL);
    assert_int_equal(parse((struct r[]){{0x0001, ntpv4, 2}, {0x8004, aead15, 2}}, 2, &r),
                     NTSKE_RESP_BAD_PROTOCOL);
    assert_int_equal(parse((struct r[]){{0x8001, ntpv4, 2}, {0x0005, c100, 100}}, 2, &r),
                     NTSKE_RESP_BAD_AEAD);
    assert_int_equal(parse((struct r[]){{0x8001, ntpv4, 2}, {0x8004, NULL, 0}}, 2, &r),
                     NTSKE_RESP_BAD_AEAD);
    assert_int_equal(
        parse((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead30, 2}, {0x0005, c100, 100}}, 3, &r),
        NTSKE_RESP_BAD_AEAD);
    assert_int_equal(parse((struct r[]){{0x8001, ntpv4, 2}, {0x8004, aead15, 2}}, 2, &r),
                     NTSKE_RESP_NO_COOKIES);
    /* Unknown critical records, long critical ones, bad names or ports, duplicates. */
    static const struct r good2[] = {{0x8001, ntpv4, 2}, {0x8004, aead15, 2}};
    struct r bad[][4] = {
        {good2[0], good2[1], {0x0005, c100, 100}, {0x8009, NULL, 0}},
        {good2[0], good2[1], {0x0005, c100, 100}, {0x8009, c300, 300}},
        {good2[0], good2[1], {0x0005, c100, 100}, {0x8006, "a b", 3}},
        {good2[0], good2[1], {0x0005, c100, 100}, {0x8006, "", 0}},
        {good2[0], good2[1], {0x0005, c100, 100}, {0x8007, c6, 3}},
        {good2[0], good2[1], {0x8007, port, 2}, {0x8007, port, 2}},
        {good2[0], good2[1], {0x0005, c100, 100}, {0x8001, ntpv4, 2}},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(parse(bad[i], 4, &r), NTSKE_RESP_MALFORMED);
    /* No End of Message. */
    uint8_t b[64];
    size_t len = 0;
    rec(b, &len, 0x8001, ntpv4, 2);
    assert_int_equal(ntske_parse_response(b, len, only15, 1, &r), NTSKE_RESP_MALFORMED);
    assert_string_equal(ntske_response_status_name(NTSKE_RESP_NO_COOKIES), "no cookies");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exporter_context),       cmocka_unit_test(framing),
        cmocka_unit_test(reassembly_in_pieces),   cmocka_unit_test(server_accepts_chrony_request),
        cmocka_unit_test(server_aead_choice),     cmocka_unit_test(server_bad_requests),
        cmocka_unit_test(server_response_layout), cmocka_unit_test(client_parses_responses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
