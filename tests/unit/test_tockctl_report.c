/* Unit tests for tockctl's pure formatting: chronyc's value helpers (inventory 2.3), every
 * report in human and CSV form, JSON, `status` and `check`. Expected texts are chronyc's
 * layouts worked out field by field (and the live examples of inventory 2.4-2.10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "ctl/ctl_buf.h"
#include "ctl/ctl_fmt.h"
#include "ctl/ctl_json.h"
#include "ctl/ctl_report.h"
#include "ctl/ctl_status.h"

static struct ctl_buf b;

static int setup(void **state)
{
    (void)state;
    ctl_buf_init(&b);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ctl_buf_free(&b);
    return 0;
}

static const char *text(void)
{
    return ctl_buf_cstr(&b);
}

static struct candm_ip ip(const char *s)
{
    struct candm_ip a;
    memset(&a, 0, sizeof(a));
    if (s)
        assert_int_equal(tock_ip_parse(s, &a.ip), 0);
    return a;
}

static bool fake_reverse(void *ctx, const struct candm_ip *a, char *buf, size_t len)
{
    (void)ctx;
    if (a->ip.family == AF_INET && a->ip.addr[0] == 127) {
        snprintf(buf, len, "localhost");
        return true;
    }
    if (a->ip.family == AF_INET && a->ip.addr[0] == 10) {
        snprintf(buf, len, "a-very-long-host-name.example.org");
        return true;
    }
    return false;
}

static bool fake_source_name(void *ctx, const struct candm_ip *a, char *buf, size_t len)
{
    (void)ctx;
    (void)a;
    snprintf(buf, len, "pool.ntp.org");
    return true;
}

static const struct ctl_namer dns = {.reverse = fake_reverse, .source_name = fake_source_name};
static const struct ctl_namer numeric = {.no_dns = true, .reverse = fake_reverse};

/* ---- value helpers ---- */

static void interval_format(void **state)
{
    (void)state;
    const struct {
        uint32_t s;
        const char *want;
    } cases[] = {
        {0xFFFFFFFF, "   -"}, {0, "   0"},
        {1199, "1199"},       {1200, " 20m"},
        {35999, "599m"},      {36000, " 10h"},
        {345599, " 95h"},     {345600, "  4d"},
        {86313600, "999d"},   {86400000, "  2y"} /* 1000 days */,
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ctl_buf_clear(&b);
        ctl_fmt_interval(&b, cases[i].s);
        assert_string_equal(text(), cases[i].want);
    }
}

static void offset_format(void **state)
{
    (void)state;
    const struct {
        double s;
        const char *plain, *sign;
    } cases[] = {
        {0.0, "   0ns", "   +0ns"},
        {5e-9, "   5ns", "   +5ns"},
        {-250e-9, " 250ns", " -250ns"},
        {9999e-9, "9999ns", "+9999ns"},
        {9.9995e-6, "  10us", "  +10us"}, /* at 9999.5 ns the unit changes */
        {0.0025, "2500us", "+2500us"},
        {-0.01, "  10ms", "  -10ms"},
        {9.9994, "9999ms", "+9999ms"},
        {10.0, " 10.0s", " +10.0s"},
        {-999.4, "999.4s", "-999.4s"},
        {999.5, " 1000s", " +1000s"},
        {100000.0, " 1667m", " +1667m"},
        {-7200000.0, " 2000h", " -2000h"},
        {99999.5 * 3600, " 4167d", " +4167d"},
        {1e10, "  317y", "  +317y"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ctl_buf_clear(&b);
        ctl_fmt_offset(&b, cases[i].s);
        assert_string_equal(text(), cases[i].plain);
        ctl_buf_clear(&b);
        ctl_fmt_signed_offset(&b, cases[i].s);
        assert_string_equal(text(), cases[i].sign);
    }
}

static void freq_and_interval_helpers(void **state)
{
    (void)state;
    ctl_fmt_freq(&b, 1.5);
    ctl_fmt_signed_freq(&b, -0.125);
    ctl_fmt_freq(&b, 123456.7);
    ctl_fmt_signed_freq(&b, 2000.0);
    assert_string_equal(text(), "     1.500    -0.125    123457 +2000.000");
    ctl_buf_clear(&b);
    ctl_fmt_clientlog_interval(&b, 127);
    ctl_fmt_clientlog_interval(&b, -2);
    ctl_fmt_clientlog_interval(&b, 5);
    assert_string_equal(text(), " --2 5");
    ctl_buf_clear(&b);
    ctl_fmt_header(&b, false, "Ab c ");
    assert_string_equal(text(), "Ab c \n=====\n");
    ctl_buf_clear(&b);
    ctl_fmt_header(&b, true, "Ab c ");
    assert_string_equal(text(), "");
    char rid[5];
    assert_string_equal(ctl_refid_text(0x47505330, rid), "GPS0");
    assert_string_equal(ctl_refid_text(0x7F7F0101, rid), "");
    assert_string_equal(ctl_refid_text(0x52415445, rid), "RATE");
    assert_string_equal(ctl_status_message(4), "503 No such source");
    assert_string_equal(ctl_status_message(15), "519 Client logging is not active in the daemon");
    assert_string_equal(ctl_status_message(20), "520 Got unexpected error from daemon");
}

static void report_template_language(void **state)
{
    (void)state;
    struct timespec ts = {.tv_sec = 1795685762, .tv_nsec = 5};
    /* Human: literal text, widths, signs, units. */
    ctl_report(&b, false, "[%-6s|%4d|%+.2f|%.1O|%.3F|%R|%o|%.4b|%B|%c|%L|%1L|%T|%Q]\n", "ab", -3,
               0.5, 0.25, -1.0, 0xABCu, 8u, 5u, 1, 'x', 3, 3, &ts, (uint64_t)1 << 40);
    assert_string_equal(text(), "[ab    |  -3|+0.50|0.2 seconds slow|1.000 ppm slow|00000ABC|10|"
                                "0101|Yes|x|Not synchronised|?|Thu Nov 26 09:36:02 2026|"
                                "1099511627776]\n");
    /* CSV: no literal text, commas, no widths or signs, raw units, sec.nsec times. */
    ctl_buf_clear(&b);
    ctl_report(&b, true, "x %-6s y %4d %+.2f %.1O %.3F %+S %I %C %T\n", "ab", -3, 0.5, 0.25, -1.0,
               1e-9, 0xFFFFFFFFu, 127, &ts);
    assert_string_equal(text(), "ab,-3,0.50,0.250000000,-1.000,0.000000001,4294967295,127,"
                                "1795685762.000000005\n");
}

/* ---- reports ---- */

static struct candm_tracking live_tracking(void)
{
    struct candm_tracking t;
    memset(&t, 0, sizeof(t));
    t.ref_id = 0x7F000001;
    t.ip = ip("127.0.0.1");
    t.stratum = 9;
    t.ref_time.tv_sec = 1795685762;
    t.current_correction = -2.359e-6;
    t.last_offset = 1e-8;
    t.rms_offset = 2.36e-7;
    t.freq_ppm = -0.012;
    t.resid_freq_ppm = 0.0;
    t.skew_ppm = 0.129;
    t.root_delay = 4.557e-6;
    t.root_dispersion = 2.171e-6;
    t.last_update_interval = 0.8;
    return t;
}

static void tracking_report(void **state)
{
    (void)state;
    struct candm_tracking t = live_tracking();
    /* Inventory 2.4, live 4.3 example. */
    ctl_report_tracking(&b, &dns, false, &t);
    assert_string_equal(text(), "Reference ID    : 7F000001 (localhost)\n"
                                "Stratum         : 9\n"
                                "Ref time (UTC)  : Thu Nov 26 09:36:02 2026\n"
                                "System time     : 0.000002359 seconds fast of NTP time\n"
                                "Last offset     : +0.000000010 seconds\n"
                                "RMS offset      : 0.000000236 seconds\n"
                                "Frequency       : 0.012 ppm slow\n"
                                "Residual freq   : +0.000 ppm\n"
                                "Skew            : 0.129 ppm\n"
                                "Root delay      : 0.000004557 seconds\n"
                                "Root dispersion : 0.000002171 seconds\n"
                                "Update interval : 0.8 seconds\n"
                                "Leap status     : Normal\n");
    ctl_buf_clear(&b);
    ctl_report_tracking(&b, &dns, true, &t);
    assert_string_equal(text(), "7F000001,127.0.0.1,9,1795685762.000000000,-0.000002359,"
                                "0.000000010,0.000000236,-0.012,0.000,0.129,0.000004557,"
                                "0.000002171,0.8,Normal\n");
    /* -n prints the address. A positive correction is "slow", a positive freq "fast". */
    t.current_correction = 0.5;
    t.freq_ppm = 3.0;
    ctl_buf_clear(&b);
    ctl_report_tracking(&b, &numeric, false, &t);
    assert_non_null(strstr(text(), "Reference ID    : 7F000001 (127.0.0.1)\n"));
    assert_non_null(strstr(text(), "System time     : 0.500000000 seconds slow of NTP time\n"));
    assert_non_null(strstr(text(), "Frequency       : 3.000 ppm fast\n"));
}

static void tracking_unsynchronised_local_refclock(void **state)
{
    (void)state;
    struct candm_tracking t;
    memset(&t, 0, sizeof(t));
    t.leap_status = 3;
    t.root_delay = 1.0;
    t.root_dispersion = 1.0;
    ctl_report_tracking(&b, &dns, false, &t);
    assert_string_equal(text(), "Reference ID    : 00000000 ()\n"
                                "Stratum         : 0\n"
                                "Ref time (UTC)  : Thu Jan 01 00:00:00 1970\n"
                                "System time     : 0.000000000 seconds fast of NTP time\n"
                                "Last offset     : +0.000000000 seconds\n"
                                "RMS offset      : 0.000000000 seconds\n"
                                "Frequency       : 0.000 ppm slow\n"
                                "Residual freq   : +0.000 ppm\n"
                                "Skew            : 0.000 ppm\n"
                                "Root delay      : 1.000000000 seconds\n"
                                "Root dispersion : 1.000000000 seconds\n"
                                "Update interval : 0.0 seconds\n"
                                "Leap status     : Not synchronised\n");
    t.ref_id = 0x7F7F0101;
    ctl_buf_clear(&b);
    ctl_report_tracking(&b, &dns, false, &t);
    assert_memory_equal(text(), "Reference ID    : 7F7F0101 ()\n", 29);
    t.ref_id = 0x47505300;
    ctl_buf_clear(&b);
    ctl_report_tracking(&b, &dns, true, &t);
    assert_memory_equal(text(), "47505300,GPS,0,0.000000000,", 27);
}

static struct candm_source_data live_source(void)
{
    struct candm_source_data s;
    memset(&s, 0, sizeof(s));
    s.ip = ip("127.0.0.1");
    s.poll = -2;
    s.stratum = 8;
    s.state = CANDM_SD_STATE_SELECTED;
    s.mode = CANDM_SD_MODE_CLIENT;
    s.reachability = 0220;
    s.since_sample = 1;
    s.latest_meas = 70e-9;
    s.orig_latest_meas = 80e-9;
    s.latest_meas_err = 3687e-9;
    return s;
}

static void sources_report(void **state)
{
    (void)state;
    struct candm_source_data s = live_source();
    ctl_report_sources_header(&b, false, false);
    assert_true(ctl_report_sources_line(&b, &dns, false, false, &s));
    /* Inventory 2.5: 79-character header with trailing spaces. */
    assert_string_equal(
        text(),
        "MS Name/IP address         Stratum Poll Reach LastRx Last sample               \n"
        "==============================================================================="
        "\n"
        "^* localhost                     8  -2   220     1    +70ns[  +80ns] +/- 3687ns\n");
    ctl_buf_clear(&b);
    ctl_report_sources_header(&b, true, true);
    ctl_report_sources_line(&b, &dns, true, false, &s);
    assert_string_equal(text(), "^,*,127.0.0.1,8,-2,220,1,0.000000070,0.000000080,0.000003687\n");

    /* An unresolved source: skipped without -a, listed with it. */
    memset(&s, 0, sizeof(s));
    s.ip = candm_ip_from_id(1);
    s.poll = 6;
    s.state = CANDM_SD_STATE_NONSELECTABLE;
    s.since_sample = 0xFFFFFFFF;
    ctl_buf_clear(&b);
    assert_false(ctl_report_sources_line(&b, &dns, false, false, &s));
    assert_string_equal(text(), "");
    assert_true(ctl_report_sources_line(&b, &dns, false, true, &s));
    assert_string_equal(
        text(),
        "^? ID#0000000001                 0   6     0     -     +0ns[   +0ns] +/-    0ns\n");
    ctl_buf_clear(&b);
    ctl_report_sources_line(&b, &dns, true, true, &s);
    assert_string_equal(text(), "^,?,ID#0000000001,0,6,0,4294967295,0.000000000,0.000000000,"
                                "0.000000000\n");

    /* A refclock prints its refid; every state character; a long name is cut. */
    s = live_source();
    s.mode = CANDM_SD_MODE_REF;
    s.ip = ip("71.80.83.48"); /* "GPS0" */
    s.state = CANDM_SD_STATE_UNSELECTED;
    ctl_buf_clear(&b);
    ctl_report_sources_line(&b, &dns, false, false, &s);
    assert_memory_equal(text(), "#+ GPS0                          8 ", 35);
    const char states[] = "*?x~+-";
    for (uint16_t st = 0; st < 6; st++)
        assert_int_equal(ctl_source_state_char(st), states[st]);
    assert_int_equal(ctl_source_state_char(6), ' ');
    assert_int_equal(ctl_source_mode_char(1), '=');
    s = live_source();
    s.ip = ip("10.1.2.3");
    ctl_buf_clear(&b);
    ctl_report_sources_line(&b, &dns, false, false, &s);
    assert_memory_equal(text(), "^* a-very-long-host-name.ex>     8", 34);
    ctl_buf_clear(&b);
    ctl_report_sources_line(&b, &numeric, false, false, &s);
    assert_memory_equal(text(), "^* 10.1.2.3                      8", 34);
    /* -N: the configured name. */
    struct ctl_namer named = dns;
    named.source_names = true;
    ctl_buf_clear(&b);
    ctl_report_sources_line(&b, &named, false, false, &s);
    assert_memory_equal(text(), "^* pool.ntp.org                  8", 34);
}

static void sources_verbose_legend(void **state)
{
    (void)state;
    ctl_report_sources_header(&b, false, true);
    const char *t = text();
    assert_int_equal(t[0], '\n');
    assert_non_null(strstr(t, "  .-- Source mode  '^' = server, '=' = peer, '#' = local clock.\n"
                              " / .- Source state '*' = current best, '+' = combined, '-' = "
                              "not combined,\n"));
    assert_non_null(strstr(t, "||                                 |    |           \\\n"
                              "MS Name/IP address"));
    int lines = 0;
    for (; *t; t++)
        lines += *t == '\n';
    assert_int_equal(lines, 11); /* blank + 8 legend lines + header + rule */
}

static void sourcestats_report(void **state)
{
    (void)state;
    struct candm_sourcestats s;
    memset(&s, 0, sizeof(s));
    s.ip = ip("127.0.0.1");
    s.ref_id = 0x7F000001;
    s.n_samples = 22;
    s.n_runs = 11;
    s.span_seconds = 16;
    s.resid_freq_ppm = 0.0;
    s.skew_ppm = 0.125;
    s.est_offset = 1e-9;
    s.sd = 751e-9;
    ctl_report_sourcestats_header(&b, false, false);
    ctl_report_sourcestats_line(&b, &dns, false, false, &s);
    /* Inventory 2.6. */
    assert_string_equal(
        text(), "Name/IP Address            NP  NR  Span  Frequency  Freq Skew  Offset  Std Dev\n"
                "==============================================================================\n"
                "localhost                  22  11    16     +0.000      0.125     +1ns   751ns\n");
    ctl_buf_clear(&b);
    ctl_report_sourcestats_line(&b, &dns, true, false, &s);
    assert_string_equal(text(), "127.0.0.1,22,11,16,0.000,0.125,0.000000001,0.000000751\n");
    /* No samples: 2000 ppm skew, 4 s deviation; a refclock (UNSPEC) shows its refid. */
    memset(&s, 0, sizeof(s));
    s.ref_id = 0x47505300;
    s.skew_ppm = 2000.0;
    s.sd = 4.0;
    ctl_buf_clear(&b);
    ctl_report_sourcestats_line(&b, &dns, false, false, &s);
    assert_string_equal(
        text(), "GPS                         0   0     0     +0.000   2000.000     +0ns  4000ms\n");
    s.ip = candm_ip_from_id(1);
    ctl_buf_clear(&b);
    assert_false(ctl_report_sourcestats_line(&b, &dns, false, false, &s));
    assert_true(ctl_report_sourcestats_line(&b, &dns, false, true, &s));
    assert_memory_equal(text(), "ID#0000000001               0", 29);
}

static void clients_report(void **state)
{
    (void)state;
    struct candm_client c;
    memset(&c, 0, sizeof(c));
    c.ip = ip("127.0.0.1");
    c.ntp_hits = 122;
    c.ntp_drops = 79;
    c.ntp_interval = -2;
    c.ntp_timeout_interval = -2;
    c.last_ntp_hit_ago = 0;
    c.cmd_interval = 127;
    c.nke_interval = 127;
    c.last_cmd_hit_ago = 0xFFFFFFFF;
    c.nke_hits = 3;
    c.last_nke_hit_ago = 7200;
    ctl_report_clients_header(&b, false, false);
    ctl_report_clients_line(&b, &dns, false, false, &c);
    /* Inventory 2.7. */
    assert_string_equal(
        text(),
        "Hostname                      NTP   Drop Int IntL Last     Cmd   Drop Int  Last\n"
        "===============================================================================\n"
        "localhost                     122     79  -2  -2     0       0      0   -     -\n");
    ctl_buf_clear(&b);
    ctl_report_clients_header(&b, false, true);
    ctl_report_clients_line(&b, &dns, false, true, &c);
    assert_string_equal(
        text(),
        "Hostname                      NTP   Drop Int IntL Last  NTS-KE   Drop Int  Last\n"
        "===============================================================================\n"
        "localhost                     122     79  -2  -2     0       3      0   -  120m\n");
    ctl_buf_clear(&b);
    ctl_report_clients_header(&b, true, false);
    c.ntp_hits = 150;
    c.ntp_drops = 96;
    c.last_cmd_hit_ago = 0xFFFFFFFF;
    ctl_report_clients_line(&b, &dns, true, false, &c);
    assert_string_equal(text(), "127.0.0.1,150,96,-2,-2,0,0,0,127,4294967295\n");
    /* UNSPEC records are skipped. */
    memset(&c.ip, 0, sizeof(c.ip));
    ctl_buf_clear(&b);
    assert_false(ctl_report_clients_line(&b, &dns, false, false, &c));
    assert_string_equal(text(), "");
}

static void activity_and_serverstats(void **state)
{
    (void)state;
    struct candm_activity a = {.online = 1};
    ctl_report_activity(&b, false, &a);
    assert_string_equal(text(), "200 OK\n"
                                "1 sources online\n"
                                "0 sources offline\n"
                                "0 sources doing burst (return to online)\n"
                                "0 sources doing burst (return to offline)\n"
                                "0 sources with unknown address\n");
    ctl_buf_clear(&b);
    a.unresolved = 4;
    ctl_report_activity(&b, true, &a);
    assert_string_equal(text(), "1,0,0,0,4\n");

    struct candm_server_stats s;
    memset(&s, 0, sizeof(s));
    s.ntp_hits = 122;
    s.ntp_drops = 79;
    s.cmd_hits = 2;
    s.ntp_daemon_tx_timestamps = 7;
    s.ntp_kernel_rx_timestamps = 34;
    s.ntp_kernel_tx_timestamps = 27;
    ctl_buf_clear(&b);
    ctl_report_serverstats(&b, false, CANDM_RPY_SERVER_STATS3, &s);
    /* Inventory 2.9, 4.3 output. */
    assert_string_equal(text(), "NTP packets received       : 122\n"
                                "NTP packets dropped        : 79\n"
                                "Command packets received   : 2\n"
                                "Command packets dropped    : 0\n"
                                "Client log records dropped : 0\n"
                                "NTS-KE connections accepted: 0\n"
                                "NTS-KE connections dropped : 0\n"
                                "Authenticated NTP packets  : 0\n"
                                "Interleaved NTP packets    : 0\n"
                                "NTP timestamps held        : 0\n"
                                "NTP timestamp span         : 0\n");
    ctl_buf_clear(&b);
    ctl_report_serverstats(&b, false, CANDM_RPY_SERVER_STATS4, &s);
    assert_non_null(strstr(text(), "NTP timestamp span         : 0\n"
                                   "NTP daemon RX timestamps   : 0\n"
                                   "NTP daemon TX timestamps   : 7\n"
                                   "NTP kernel RX timestamps   : 34\n"
                                   "NTP kernel TX timestamps   : 27\n"
                                   "NTP hardware RX timestamps : 0\n"
                                   "NTP hardware TX timestamps : 0\n"));
    ctl_buf_clear(&b);
    ctl_report_serverstats(&b, true, CANDM_RPY_SERVER_STATS3, &s);
    assert_string_equal(text(), "122,79,2,0,0,0,0,0,0,0,0\n");
    ctl_buf_clear(&b);
    ctl_report_serverstats(&b, true, CANDM_RPY_SERVER_STATS4, &s);
    assert_string_equal(text(), "122,79,2,0,0,0,0,0,0,0,0,0,7,34,27,0,0\n");
    ctl_buf_clear(&b);
    ctl_report_serverstats(&b, true, CANDM_RPY_SERVER_STATS2, &s);
    assert_string_equal(text(), "122,79,2,0,0,0,0,0\n");
}

static struct candm_ntp_data live_ntp_data(void)
{
    struct candm_ntp_data n;
    memset(&n, 0, sizeof(n));
    n.remote_addr = ip("127.0.0.1");
    n.local_addr = ip("127.0.0.1");
    n.remote_port = 27123;
    n.version = 4;
    n.mode = 4;
    n.stratum = 8;
    n.poll = 1;
    n.precision = -25;
    n.ref_id = 0x7F7F0101;
    n.ref_time.tv_sec = 1795685732;
    n.offset = -8e-8;
    n.peer_delay = 7.257e-6;
    n.peer_dispersion = 5.9e-8;
    n.response_time = 3.6575e-5;
    n.flags = 0x3ff;
    n.tx_tss_char = 'K';
    n.rx_tss_char = 'K';
    n.total_tx_count = 121;
    n.total_rx_count = 42;
    n.total_valid_count = 42;
    n.total_good_count = 42;
    return n;
}

static const char live_ntpdata_text[] = "Remote address  : 127.0.0.1 (7F000001)\n"
                                        "Remote port     : 27123\n"
                                        "Local address   : 127.0.0.1 (7F000001)\n"
                                        "Leap status     : Normal\n"
                                        "Version         : 4\n"
                                        "Mode            : Server\n"
                                        "Stratum         : 8\n"
                                        "Poll interval   : 1 (2 seconds)\n"
                                        "Precision       : -25 (0.000000030 seconds)\n"
                                        "Root delay      : 0.000000 seconds\n"
                                        "Root dispersion : 0.000000 seconds\n"
                                        "Reference ID    : 7F7F0101 ()\n"
                                        "Reference time  : Thu Nov 26 09:35:32 2026\n"
                                        "Offset          : -0.000000080 seconds\n"
                                        "Peer delay      : 0.000007257 seconds\n"
                                        "Peer dispersion : 0.000000059 seconds\n"
                                        "Response time   : 0.000036575 seconds\n"
                                        "Jitter asymmetry: +0.00\n"
                                        "NTP tests       : 111 111 1111\n"
                                        "Interleaved     : No\n"
                                        "Authenticated   : No\n"
                                        "TX timestamping : Kernel\n"
                                        "RX timestamping : Kernel\n"
                                        "Total TX        : 121\n"
                                        "Total RX        : 42\n"
                                        "Total valid RX  : 42\n"
                                        "Total good RX   : 42\n";

static void ntpdata_report(void **state)
{
    (void)state;
    struct candm_ntp_data n = live_ntp_data();
    /* Inventory 2.10, live 4.3 output. */
    ctl_report_ntpdata(&b, false, CANDM_RPY_NTP_DATA, false, &n);
    assert_string_equal(text(), live_ntpdata_text);
    /* The 4.6+ layout adds four lines; without an address a blank line goes first. */
    n.total_kernel_tx_ts = 1;
    n.total_hw_rx_ts = 4;
    ctl_buf_clear(&b);
    ctl_report_ntpdata(&b, false, CANDM_RPY_NTP_DATA2, true, &n);
    assert_int_equal(text()[0], '\n');
    assert_memory_equal(text() + 1, live_ntpdata_text, sizeof(live_ntpdata_text) - 1);
    assert_string_equal(text() + sizeof(live_ntpdata_text), "Total kernel TX : 1\n"
                                                            "Total kernel RX : 0\n"
                                                            "Total HW TX     : 0\n"
                                                            "Total HW RX     : 4\n");
    /* CSV (4.3 live form). */
    ctl_buf_clear(&b);
    ctl_report_ntpdata(&b, true, CANDM_RPY_NTP_DATA, true, &n);
    assert_string_equal(text(), "127.0.0.1,7F000001,27123,127.0.0.1,7F000001,Normal,4,Server,8,1,"
                                "2,-25,0.000000030,0.000000,0.000000,7F7F0101,,"
                                "1795685732.000000000,-0.000000080,0.000007257,0.000000059,"
                                "0.000036575,0.00,111,111,1111,No,No,Kernel,Kernel,121,42,42,"
                                "42\n");
    /* A KoD RATE recorded as the last response (HEAD example): the refid text shows
     * because stratum <= 1; tests 111 101 0000. Other fields: names and flags. */
    n.leap = 3;
    n.stratum = 0;
    n.ref_id = 0x52415445;
    n.flags = 0x3D0 | CANDM_NTP_FLAG_INTERLEAVED | CANDM_NTP_FLAG_AUTHENTICATED;
    n.mode = 1;
    n.tx_tss_char = 'D';
    n.rx_tss_char = 'H';
    n.remote_addr = ip("::1");
    ctl_buf_clear(&b);
    ctl_report_ntpdata(&b, false, CANDM_RPY_NTP_DATA, false, &n);
    const char *t = text();
    /* refid of ::1 = first 32 bits of MD5(::1), as chronyd computes it */
    assert_non_null(strstr(t, "Remote address  : ::1 (CF404DC8)\n"));
    assert_non_null(strstr(t, "Leap status     : Not synchronised\n"));
    assert_non_null(strstr(t, "Mode            : Symmetric active\n"));
    assert_non_null(strstr(t, "Reference ID    : 52415445 (RATE)\n"));
    assert_non_null(strstr(t, "NTP tests       : 111 101 0000\n"));
    assert_non_null(strstr(t, "Interleaved     : Yes\nAuthenticated   : Yes\n"));
    assert_non_null(strstr(t, "TX timestamping : Daemon\nRX timestamping : Hardware\n"));
    struct candm_ip v6 = ip("2001:db8::1");
    assert_int_equal(ctl_ip_refid(&v6), 0x39AB9B37);
    struct candm_ip none = ip(NULL);
    assert_int_equal(ctl_ip_refid(&none), 0);
}

static void selectdata_authdata_waitsync(void **state)
{
    (void)state;
    struct candm_select_data s;
    memset(&s, 0, sizeof(s));
    s.ip = ip("127.0.0.1");
    s.ref_id = 0x7F000001;
    s.state_char = '*';
    s.score = 1.0;
    s.lo_limit = -3.090e-6;
    s.hi_limit = 3.273e-6;
    ctl_report_selectdata_header(&b, false, false);
    ctl_report_selectdata_line(&b, &dns, false, false, &s);
    /* Live chronyc 4.3 output. */
    assert_string_equal(
        text(), "S Name/IP Address        Auth COpts EOpts Last Score     Interval  Leap\n"
                "=======================================================================\n"
                "* localhost                 N ----- -----    0   1.0 -3090ns +3273ns  N\n");
    ctl_buf_clear(&b);
    s.conf_options = CANDM_SELECT_OPT_PREFER | CANDM_SELECT_OPT_REQUIRE;
    s.eff_options = CANDM_SELECT_OPT_NOSELECT | CANDM_SELECT_OPT_TRUST;
    s.authentication = 1;
    s.leap = 3;
    ctl_report_selectdata_line(&b, &dns, true, false, &s);
    assert_string_equal(text(), "*,127.0.0.1,Y,-,P,-,R,-,N,-,T,-,-,0,1.0,-0.000003090,"
                                "0.000003273,Not synchronised\n");

    struct candm_auth_data a;
    memset(&a, 0, sizeof(a));
    a.mode = CANDM_AUTH_NTS;
    a.key_type = 15;
    a.key_length = 256;
    a.last_ke_ago = 3600;
    a.ke_attempts = 1;
    a.cookies = 8;
    a.cookie_length = 100;
    struct candm_ip aip = ip("127.0.0.1");
    ctl_buf_clear(&b);
    ctl_report_authdata_header(&b, false, false);
    ctl_report_authdata_line(&b, &dns, false, &aip, &a);
    assert_string_equal(
        text(), "Name/IP address             Mode KeyID Type KLen Last Atmp  NAK Cook CLen\n"
                "=========================================================================\n"
                "localhost                    NTS     0   15  256  60m    1    0    8  100\n");

    ctl_buf_clear(&b);
    ctl_report_waitsync_try(&b, false, 1, 0x7F000001, 1.911e-6, 0.067);
    assert_string_equal(text(), "try: 1, refid: 7F000001, correction: 0.000001911, skew: 0.067\n");
}

/* ---- JSON ---- */

static void json_objects(void **state)
{
    (void)state;
    struct candm_tracking t = live_tracking();
    t.ref_time.tv_nsec = 618257231;
    ctl_json_tracking(&b, &t, "localhost");
    assert_string_equal(text(), "{\"report\":\"tracking\",\"reference_id\":\"7F000001\","
                                "\"reference_id_text\":\"\",\"name\":\"localhost\","
                                "\"address\":\"127.0.0.1\",\"stratum\":9,"
                                "\"ref_time\":\"2026-11-26T09:36:02.618257231Z\","
                                "\"ref_time_unix\":1795685762.618257231,"
                                "\"system_time_correction\":-2.359e-06,\"last_offset\":1e-08,"
                                "\"rms_offset\":2.36e-07,\"frequency_ppm\":-0.012,"
                                "\"residual_frequency_ppm\":0,\"skew_ppm\":0.129,"
                                "\"root_delay\":4.557e-06,\"root_dispersion\":2.171e-06,"
                                "\"update_interval\":0.8,\"leap_status\":\"normal\"}\n");

    struct candm_source_data s[2] = {live_source(), live_source()};
    s[1].ip = candm_ip_from_id(3);
    s[1].since_sample = 0xFFFFFFFF;
    s[1].state = 5;
    const char *names[2] = {"localhost", "ID#0000000003"};
    ctl_buf_clear(&b);
    ctl_json_sources(&b, s, names, 2);
    assert_non_null(strstr(text(), "{\"mode\":\"server\",\"state\":\"selected\",\"mode_char\":"
                                   "\"^\",\"state_char\":\"*\",\"name\":\"localhost\","
                                   "\"address\":\"127.0.0.1\",\"stratum\":8,\"poll\":-2,"
                                   "\"reach\":144,\"last_rx\":1,\"adjusted_offset\":7e-08,"
                                   "\"measured_offset\":8e-08,\"error\":3.687e-06}"));
    assert_non_null(strstr(text(), "\"state\":\"not_combined\""));
    assert_non_null(strstr(text(), "\"address\":\"ID#0000000003\""));
    assert_non_null(strstr(text(), "\"last_rx\":null"));

    ctl_buf_clear(&b);
    ctl_json_error(&b, "sources", 506, "506 Cannot talk to daemon");
    assert_string_equal(text(), "{\"report\":\"error\",\"command\":\"sources\",\"status\":506,"
                                "\"message\":\"506 Cannot talk to daemon\"}\n");
    ctl_buf_clear(&b);
    ctl_json_result(&b, "makestep", 0);
    assert_string_equal(text(), "{\"report\":\"result\",\"command\":\"makestep\",\"status\":200,"
                                "\"message\":\"200 OK\"}\n");
    ctl_buf_clear(&b);
    ctl_json_string(&b, "a\"b\\c\n\x01\x7f");
    assert_string_equal(text(), "\"a\\\"b\\\\c\\u000a\\u0001\\u007f\"");
    ctl_buf_clear(&b);
    bool first = true;
    struct timespec before = {.tv_sec = -2, .tv_nsec = 250000000};
    ctl_json_time_fields(&b, &first, "t", &before);
    assert_string_equal(text(), "\"t\":\"1969-12-31T23:59:58.250000000Z\",\"t_unix\":"
                                "-1.750000000");
    ctl_buf_clear(&b);
    struct candm_server_stats st = {.ntp_hits = 5};
    ctl_json_serverstats(&b, CANDM_RPY_SERVER_STATS3, &st);
    assert_non_null(strstr(text(), "\"ntp_packets_received\":5,"));
    assert_non_null(strstr(text(), "\"ntp_timestamp_span\":0}"));
    assert_null(strstr(text(), "daemon_rx"));
}

/* ---- status (ntpstat) ---- */

static void status_report(void **state)
{
    (void)state;
    struct candm_tracking t = live_tracking();
    struct candm_source_data src[2] = {live_source(), live_source()};
    src[1].ip = ip("192.0.2.1");
    src[1].poll = 3;
    t.root_delay = 0.004;
    t.root_dispersion = 0.040;
    t.current_correction = -0.0003;
    /* root delay / 2 + root dispersion + |correction| = 2 + 40 + 0.3 ms, printed %.0f */
    assert_int_equal(ctl_status_report(&b, false, &t, src, 2, 0), CTL_STATUS_SYNCED);
    assert_string_equal(text(), "synchronised to NTP server (127.0.0.1) at stratum 9\n"
                                "   time correct to within 42 ms\n"
                                "   polling server every 0.25 s\n");
    ctl_buf_clear(&b);
    assert_int_equal(ctl_status_report(&b, false, &t, src, 2, 10.0), CTL_STATUS_UNSYNCED);
    assert_non_null(
        strstr(text(), "   time correct to within 42 ms (exceeded maximum of 10 ms)\n"));

    /* Local reference and refclock. */
    t.ip = ip(NULL);
    t.ref_id = 0x7F7F0101;
    t.stratum = 10;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_status_report(&b, false, &t, src, 2, 0), CTL_STATUS_SYNCED);
    assert_string_equal(text(), "synchronised to local net at stratum 10\n"
                                "   time correct to within 42 ms\n"
                                "poll interval unknown\n");
    struct candm_source_data gps = live_source();
    gps.mode = CANDM_SD_MODE_REF;
    gps.ip = ip("71.80.83.0");
    gps.poll = 4;
    t.ref_id = 0x47505300;
    t.stratum = 1;
    ctl_buf_clear(&b);
    ctl_status_report(&b, false, &t, &gps, 1, 0);
    assert_string_equal(text(), "synchronised to reference clock (GPS) at stratum 1\n"
                                "   time correct to within 42 ms\n"
                                "   polling server every 16 s\n");

    /* Unsynchronised: the shortest NTP poll, or unknown without NTP sources. */
    memset(&t, 0, sizeof(t));
    t.leap_status = 3;
    src[0].poll = 6;
    src[1].poll = 8;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_status_report(&b, false, &t, src, 2, 0), CTL_STATUS_UNSYNCED);
    assert_string_equal(text(), "unsynchronised\n   polling server every 64 s\n");
    ctl_buf_clear(&b);
    ctl_status_report(&b, false, &t, &gps, 1, 0);
    assert_string_equal(text(), "unsynchronised\npoll interval unknown\n");
    ctl_buf_clear(&b);
    ctl_status_report(&b, true, &t, src, 2, 0);
    assert_string_equal(text(), "{\"report\":\"status\",\"synchronised\":false,\"source\":"
                                "\"none\",\"address\":null,\"reference_id_text\":\"\","
                                "\"stratum\":0,\"max_error\":0,\"poll_interval\":64,"
                                "\"exit_code\":1}\n");
}

/* ---- check (Nagios) ---- */

static struct ctl_check_input check_input(struct candm_source_data *src, size_t n)
{
    struct ctl_check_input in;
    memset(&in, 0, sizeof(in));
    in.reachable = true;
    in.tracking = live_tracking();
    in.tracking.stratum = 3;
    in.tracking.current_correction = -0.002;
    in.sources = src;
    in.n_sources = n;
    in.now.tv_sec = in.tracking.ref_time.tv_sec + 30;
    return in;
}

static void check_plugin(void **state)
{
    (void)state;
    struct ctl_check_limits lim;
    struct candm_source_data src[2] = {live_source(), live_source()};
    src[1].state = CANDM_SD_STATE_UNSELECTED;
    src[0].reachability = 0377;
    ctl_check_defaults(&lim);
    assert_true(lim.warn_offset == 0.1 && lim.warn_stratum == 5 && lim.min_sources == 1);

    struct ctl_check_input in = check_input(src, 2);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_OK);
    assert_string_equal(text(), "NTP OK: synchronised to 127.0.0.1 at stratum 3, offset "
                                "-0.002000000 s | offset=-0.002000000s;0.1;1 stratum=3;5;15 "
                                "sources=2;1: reach=8;;;0;8 age=30s\n");

    /* Offset thresholds, at or above. */
    in.tracking.current_correction = 0.1;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_WARNING);
    assert_memory_equal(text(), "NTP WARNING: offset 0.100000 s at or above 0.1 s; ", 50);
    in.tracking.current_correction = -1.5;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_CRITICAL);
    in.tracking.current_correction = 0;

    /* Stratum above 5 warns (the tutorial's script), above crit is critical. */
    in.tracking.stratum = 6;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_WARNING);
    assert_memory_equal(text(), "NTP WARNING: stratum 6 above 5; ", 32);
    lim.crit_stratum = 5;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_CRITICAL);
    ctl_check_defaults(&lim);
    in.tracking.stratum = 3;

    /* Too few usable sources; the age limit. */
    in.n_sources = 0;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_WARNING);
    assert_non_null(strstr(text(), "0 usable sources, fewer than 1"));
    in.n_sources = 2;
    lim.max_age = 10;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_WARNING);
    assert_non_null(strstr(text(), "last update 30 s ago, more than 10 s"));
    assert_non_null(strstr(text(), " age=30s;10\n"));
    lim.max_age = 0;

    /* Serving only the local reference: at least WARNING. */
    in.tracking.ip = ip(NULL);
    in.tracking.ref_id = 0x7F7F0101;
    in.tracking.stratum = 5;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_WARNING);
    assert_memory_equal(text(),
                        "NTP WARNING: no time source, local reference only; serving "
                        "the local reference at stratum 5 |",
                        93);

    /* Unsynchronised: CRITICAL. Unreachable: UNKNOWN. */
    memset(&in.tracking, 0, sizeof(in.tracking));
    in.tracking.leap_status = 3;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_CRITICAL);
    assert_string_equal(text(), "NTP CRITICAL: not synchronised | offset=0.000000000s;0.1;1 "
                                "stratum=0;5;15 sources=2;1: reach=8;;;0;8\n");
    in.reachable = false;
    in.error = "506 Cannot talk to daemon";
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_UNKNOWN);
    assert_string_equal(text(), "NTP UNKNOWN: cannot talk to the daemon (506 Cannot talk to "
                                "daemon)\n");
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, true, &lim, &in), CTL_CHECK_UNKNOWN);
    assert_string_equal(text(), "{\"report\":\"check\",\"state\":\"UNKNOWN\",\"exit_code\":3,"
                                "\"message\":\"506 Cannot talk to daemon\"}\n");

    /* The NTS certificate hook. */
    in = check_input(src, 2);
    in.have_cert_days = true;
    in.cert_days_left = 20;
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_OK);
    in.cert_days_left = 13.5; /* WARNING from 14 days before */
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_WARNING);
    assert_non_null(strstr(text(), "NTS certificate expires in 13.5 days (<= 14)"));
    in.cert_days_left = -0.25; /* CRITICAL once expired */
    in.cert_file = "/etc/tock/nts.crt";
    ctl_buf_clear(&b);
    assert_int_equal(ctl_check_evaluate(&b, false, &lim, &in), CTL_CHECK_CRITICAL);
    assert_non_null(strstr(text(), "NTS certificate /etc/tock/nts.crt expired 0.2 days ago"));
}

static void buffer_growth(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++)
        ctl_buf_printf(&b, "%04d", i);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(text() + 3996, "0999", 4);
    assert_false(b.failed);
    ctl_buf_clear(&b);
    assert_string_equal(text(), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(interval_format, setup, teardown),
        cmocka_unit_test_setup_teardown(offset_format, setup, teardown),
        cmocka_unit_test_setup_teardown(freq_and_interval_helpers, setup, teardown),
        cmocka_unit_test_setup_teardown(report_template_language, setup, teardown),
        cmocka_unit_test_setup_teardown(tracking_report, setup, teardown),
        cmocka_unit_test_setup_teardown(tracking_unsynchronised_local_refclock, setup, teardown),
        cmocka_unit_test_setup_teardown(sources_report, setup, teardown),
        cmocka_unit_test_setup_teardown(sources_verbose_legend, setup, teardown),
        cmocka_unit_test_setup_teardown(sourcestats_report, setup, teardown),
        cmocka_unit_test_setup_teardown(clients_report, setup, teardown),
        cmocka_unit_test_setup_teardown(activity_and_serverstats, setup, teardown),
        cmocka_unit_test_setup_teardown(ntpdata_report, setup, teardown),
        cmocka_unit_test_setup_teardown(selectdata_authdata_waitsync, setup, teardown),
        cmocka_unit_test_setup_teardown(json_objects, setup, teardown),
        cmocka_unit_test_setup_teardown(status_report, setup, teardown),
        cmocka_unit_test_setup_teardown(check_plugin, setup, teardown),
        cmocka_unit_test_setup_teardown(buffer_growth, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
