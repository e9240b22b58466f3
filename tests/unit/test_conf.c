/* Unit tests for the configuration parser: line rules, every directive (values, defaults,
 * range edges, errors), support levels and the messages with their fixes.
 *
 * Expected defaults and ranges come from chrony.conf(5) (chrony 4.3, Debian 12) and the
 * chrony inventory, not from the parser's tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "conf/config.h"

struct loaded {
    struct tock_config c;
    struct conf_diags d;
    int rc;
};

static struct loaded *load(const char *text)
{
    struct loaded *l = calloc(1, sizeof(*l));
    assert_non_null(l);
    l->rc = conf_load_string(text, "t.conf", &l->c, &l->d);
    return l;
}

static void unload(struct loaded *l)
{
    conf_free(&l->c);
    conf_diags_free(&l->d);
    free(l);
}

/* All diags as conf_diags_print prints them. */
static char *printed(const struct loaded *l)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_diags_print(&l->d, f);
    fclose(f);
    return buf;
}

/* The diags of one level, printed, one per line. */
static char *printed_level(const struct loaded *l, enum conf_diag_level level)
{
    char *buf = NULL;
    size_t len = 0;
    char line[4096];
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    for (int i = 0; i < l->d.n; i++) {
        if (l->d.items[i].level == level)
            fprintf(f, "%s\n", conf_diag_format(&l->d.items[i], line, sizeof(line)));
    }
    fclose(f);
    return buf;
}

static void expect_errors(const char *text, const char *expected)
{
    struct loaded *l = load(text);
    char *got = printed_level(l, CONF_DIAG_ERROR);
    if (strcmp(got, expected) != 0)
        fail_msg("text:\n%s\nexpected errors:\n%s\ngot:\n%s", text, expected, got);
    assert_int_equal(l->rc, expected[0] ? -1 : 0);
    free(got);
    unload(l);
}

static void expect_warnings(const char *text, const char *expected)
{
    struct loaded *l = load(text);
    char *got = printed_level(l, CONF_DIAG_WARNING);
    if (strcmp(got, expected) != 0)
        fail_msg("text:\n%s\nexpected warnings:\n%s\ngot:\n%s", text, expected, got);
    free(got);
    unload(l);
}

/* One line that must load with no error and no warning. */
static struct loaded *load_ok(const char *text)
{
    struct loaded *l = load(text);
    if (l->d.n_errors || l->d.n_warnings) {
        char *got = printed(l);
        fail_msg("text:\n%s\nunexpected diags:\n%s", text, got);
    }
    assert_int_equal(l->rc, 0);
    return l;
}

static void assert_ip(const struct tock_ip *ip, const char *text)
{
    char buf[TOCK_IP_STRLEN];
    assert_string_equal(tock_ip_format(ip, buf, sizeof(buf)), text);
}

/* ---- defaults ---- */

static void defaults_are_chronys(void **state)
{
    (void)state;
    struct loaded *l = load_ok("");
    const struct tock_config *c = &l->c;
    assert_int_equal(c->port, 123);
    assert_int_equal(c->cmdport, 323);
    assert_ip(&c->bindcmdaddress4, "127.0.0.1");
    assert_ip(&c->bindcmdaddress6, "::1");
    assert_int_equal(c->bindaddress4.family, AF_UNSPEC);
    assert_int_equal(c->bindaddress6.family, AF_UNSPEC);
    assert_string_equal(c->cmdsocket, CONF_DEFAULT_CMDSOCKET);
    assert_string_equal(c->pidfile, CONF_DEFAULT_PIDFILE);
    assert_null(c->user);
    assert_int_equal(c->clientloglimit, 524288);
    assert_false(c->noclientlog);
    assert_false(c->ratelimit.enabled);
    assert_int_equal(c->ratelimit.interval, 3);
    assert_int_equal(c->ratelimit.burst, 8);
    assert_int_equal(c->ratelimit.leak, 2);
    assert_int_equal(c->ratelimit.kod, 0);
    assert_int_equal(c->cmdratelimit.interval, -4);
    assert_int_equal(c->ntsratelimit.interval, 6);
    assert_int_equal(c->logbanner, 32);
    assert_true(c->logchange == 1.0);
    assert_null(c->driftfile);
    assert_int_equal(c->driftfile_interval, 3600);
    assert_false(c->makestep_enabled);
    assert_true(c->maxupdateskew == 1000.0);
    assert_true(c->maxdistance == 3.0);
    assert_int_equal(c->minsources, 1);
    assert_true(c->maxclockerror == 1.0);
    assert_true(fabs(c->maxslewrate - 83333.333) < 0.001);
    assert_true(c->maxdrift == 500000.0);
    assert_true(c->maxjitter == 1.0);
    assert_true(c->clockprecision == 0.0);
    assert_true(c->combinelimit == 3.0);
    assert_true(c->reselectdist == 1e-4);
    assert_true(c->stratumweight == 1e-3);
    assert_true(c->corrtimeratio == 3.0);
    assert_int_equal(c->leapsecmode, CONF_LEAPSECMODE_SYSTEM);
    assert_false(c->local.enabled);
    assert_int_equal(c->local.stratum, 10);
    assert_true(c->local.distance == 1.0);
    assert_int_equal(c->ntsport, 4460);
    assert_int_equal(c->ntsprocesses, 1);
    assert_int_equal(c->maxntsconnections, 100);
    assert_int_equal(c->ntsrotate, 604800);
    assert_int_equal(c->ntsrefresh, 2419200);
    assert_int_equal(c->nocerttimecheck, 0);
    assert_int_equal(c->n_ntsaeads, 0);
    assert_int_equal(c->acquisitionport, -1);
    assert_int_equal(c->refresh, 1209600);
    assert_int_equal(c->opencommands, CONF_OPENCMD_ACTIVITY | CONF_OPENCMD_MANUAL |
                                          CONF_OPENCMD_RTCDATA | CONF_OPENCMD_SMOOTHING |
                                          CONF_OPENCMD_SOURCENAME | CONF_OPENCMD_SOURCES |
                                          CONF_OPENCMD_SOURCESTATS | CONF_OPENCMD_TRACKING);
    assert_int_equal(c->metricsport, 0);
    assert_int_equal(c->sched_priority, 0);
    assert_false(c->lock_all);
    assert_int_equal(c->n_sources, 0);
    assert_int_equal(c->ntp_acl.n_rules, 0);
    assert_int_equal(c->log_flags, 0);
    unload(l);
}

/* ---- line rules ---- */

static void comments_and_blank_lines(void **state)
{
    (void)state;
    struct loaded *l = load_ok("# a\n! b\n; c\n% d\n   # indented\n\t\n\n  \r\nport 1234\n");
    assert_int_equal(l->c.port, 1234);
    assert_int_equal(l->d.n, 0);
    unload(l);
    /* No trailing comments: the '#' word is one more argument. */
    expect_errors("port 123 # the NTP port\n",
                  "t.conf:1: error: port: unexpected argument '#'; fix: put the comment on a line "
                  "of its own (there are no trailing comments)\n");
    expect_errors("server a iburst #x\n",
                  "t.conf:1: error: server: unknown option '#x'; fix: put the comment on a line "
                  "of its own (there are no trailing comments)\n");
}

static void names_case_insensitive_except_log(void **state)
{
    (void)state;
    struct loaded *l = load_ok("SERVER a.example IBURST MinPoll 4\nPort 1123\nLOG tracking\n");
    assert_int_equal(l->c.n_sources, 1);
    assert_true(l->c.sources[0].iburst);
    assert_int_equal(l->c.sources[0].minpoll, 4);
    assert_int_equal(l->c.port, 1123);
    assert_int_equal(l->c.log_flags, CONF_LOG_TRACKING);
    unload(l);
    expect_errors("log Tracking\n", "t.conf:1: error: log: invalid log option 'Tracking'; fix: "
                                    "log options are lower case: tracking\n");
}

static void whitespace_and_crlf(void **state)
{
    (void)state;
    struct loaded *l = load_ok("  port\t\t1124  \r\nallow\t10.0.0.0/8\r\n");
    assert_int_equal(l->c.port, 1124);
    assert_int_equal(l->c.ntp_acl.n_rules, 1);
    unload(l);
}

static void line_length_limit(void **state)
{
    (void)state;
    /* 2046 characters are allowed (chrony's 2048-byte buffer with newline and NUL). */
    char *text = malloc(4200);
    assert_non_null(text);
    strcpy(text, "user ");
    memset(text + 5, 'u', 2041);
    strcpy(text + 2046, "\n");
    struct loaded *l = load_ok(text);
    assert_int_equal((int)strlen(l->c.user), 2041);
    unload(l);
    strcpy(text, "user ");
    memset(text + 5, 'u', 2042);
    strcpy(text + 2047, "\nport 1\n");
    l = load(text);
    char *got = printed_level(l, CONF_DIAG_ERROR);
    assert_string_equal(got, "t.conf:1: error: line too long (2047 characters, max 2046)\n");
    assert_int_equal(l->c.port, 1); /* the next line is still read */
    assert_null(l->c.user);
    free(got);
    unload(l);
    free(text);
}

static void nul_byte_is_an_error(void **state)
{
    (void)state;
    static const char text[] = "port 1\nuser a\0b\ncmdport 2\n";
    struct tock_config c;
    struct conf_diags d;
    int rc = conf_load_buffer(text, sizeof(text) - 1, "nul.conf", NULL, &c, &d);
    assert_int_equal(rc, -1);
    assert_int_equal(d.n_errors, 1);
    assert_int_equal(d.items[0].loc.line, 2);
    assert_string_equal(d.items[0].message, "line contains a NUL byte");
    assert_int_equal(c.port, 1);
    assert_int_equal(c.cmdport, 2);
    assert_null(c.user);
    conf_free(&c);
    conf_diags_free(&d);
}

static void every_error_is_collected(void **state)
{
    (void)state;
    expect_errors("port x\nserver\nlocal stratum 0\nmaxdistance -1\nbogus\nport 5\n",
                  "t.conf:1: error: port: invalid integer 'x'\n"
                  "t.conf:2: error: server: missing host name (syntax: server HOST [option]...)\n"
                  "t.conf:3: error: local: stratum: invalid value 0 (min 1, max 15)\n"
                  "t.conf:4: error: maxdistance: invalid value -1 (min 0)\n"
                  "t.conf:5: error: invalid directive bogus\n");
}

/* ---- numbers ---- */

static void integer_directives_and_ranges(void **state)
{
    (void)state;
    struct loaded *l = load_ok("port 0\ncmdport 65535\nclientloglimit 1048576\n"
                               "sched_priority 99\nminsources 2\nntsprocesses 1000\n"
                               "maxntsconnections 1\nlogbanner 0\nacquisitionport 1123\n"
                               "refresh 0\nntsrotate 0\nntsrefresh 2147483647\nnocerttimecheck 1\n"
                               "metricsport 9123\nntsport 4461\n");
    const struct tock_config *c = &l->c;
    assert_int_equal(c->port, 0);
    assert_int_equal(c->cmdport, 65535);
    assert_int_equal(c->clientloglimit, 1048576);
    assert_int_equal(c->sched_priority, 99);
    assert_int_equal(c->minsources, 2);
    assert_int_equal(c->ntsprocesses, 1000);
    assert_int_equal(c->maxntsconnections, 1);
    assert_int_equal(c->logbanner, 0);
    assert_int_equal(c->acquisitionport, 1123);
    assert_int_equal(c->refresh, 0);
    assert_int_equal(c->ntsrotate, 0);
    assert_int_equal(c->ntsrefresh, 2147483647);
    assert_int_equal(c->nocerttimecheck, 1);
    assert_int_equal(c->metricsport, 9123);
    assert_int_equal(c->ntsport, 4461);
    unload(l);
    expect_errors("port 65536\ncmdport -1\nsched_priority 100\nminsources 0\n"
                  "ntsprocesses 1001\nmaxntsconnections 0\nport 99999999999999999999999\n"
                  "metricsport 70000\n",
                  "t.conf:1: error: port: invalid value 65536 (min 0, max 65535)\n"
                  "t.conf:2: error: cmdport: invalid value -1 (min 0, max 65535)\n"
                  "t.conf:3: error: sched_priority: invalid value 100 (min 0, max 99)\n"
                  "t.conf:4: error: minsources: invalid value 0 (min 1, max 2147483647)\n"
                  "t.conf:5: error: ntsprocesses: invalid value 1001 (min 0, max 1000)\n"
                  "t.conf:6: error: maxntsconnections: invalid value 0 (min 1, max 2147483647)\n"
                  "t.conf:7: error: port: invalid value 99999999999999999999999 (min 0, max "
                  "65535)\n"
                  "t.conf:8: error: metricsport: invalid value 70000 (min 0, max 65535)\n");
    expect_errors("port 1.0\nport 0x10\nport 12a\nport\nport 1 2\n",
                  "t.conf:1: error: port: invalid integer '1.0'\n"
                  "t.conf:2: error: port: invalid integer '0x10'\n"
                  "t.conf:3: error: port: invalid integer '12a'\n"
                  "t.conf:4: error: port: missing argument (syntax: port PORT)\n"
                  "t.conf:5: error: port: unexpected argument '2' (syntax: port PORT)\n");
}

static void double_directives_and_ranges(void **state)
{
    (void)state;
    struct loaded *l = load_ok("maxdistance 16\nmaxupdateskew 100.0\nmaxclockerror 0.5\n"
                               "maxslewrate 1000\nmaxdrift 100000\nmaxjitter 0.25\n"
                               "clockprecision 8e-9\ncombinelimit 0\nreselectdist 1e-3\n"
                               "stratumweight .002\ncorrtimeratio 10\nlogchange 0.1\n");
    const struct tock_config *c = &l->c;
    assert_true(c->maxdistance == 16);
    assert_true(c->maxupdateskew == 100);
    assert_true(c->maxclockerror == 0.5);
    assert_true(c->maxslewrate == 1000);
    assert_true(c->maxdrift == 100000);
    assert_true(c->maxjitter == 0.25);
    assert_true(c->clockprecision == 8e-9);
    assert_true(c->combinelimit == 0);
    assert_true(c->reselectdist == 1e-3);
    assert_true(c->stratumweight == 0.002);
    assert_true(c->corrtimeratio == 10);
    assert_true(c->logchange == 0.1);
    unload(l);
    expect_errors("maxdistance 1.0x\nmaxdistance nan\nmaxdistance inf\nmaxdistance 0x10\n"
                  "maxdistance -0.5\nclockprecision 2\nmaxdistance 1e999\nmaxdistance .\n",
                  "t.conf:1: error: maxdistance: invalid number '1.0x'\n"
                  "t.conf:2: error: maxdistance: invalid number 'nan'\n"
                  "t.conf:3: error: maxdistance: invalid number 'inf'\n"
                  "t.conf:4: error: maxdistance: invalid number '0x10'\n"
                  "t.conf:5: error: maxdistance: invalid value -0.5 (min 0)\n"
                  "t.conf:6: error: clockprecision: invalid value 2 (min 0, max 1)\n"
                  "t.conf:7: error: maxdistance: invalid number '1e999'\n"
                  "t.conf:8: error: maxdistance: invalid number '.'\n");
}

/* Range edges of every integer directive: the documented ranges (chrony.conf(5) and
 * man/tock.conf.5), accepted at both ends, refused one past them with the exact message. */
static void integer_range_edges(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        long long min, max;
    } ranges[] = {
        {"port", 0, 65535},           {"cmdport", 0, 65535},
        {"ntsport", 0, 65535},        {"acquisitionport", 0, 65535},
        {"metricsport", 0, 65535},    {"clientloglimit", 0, 2147483647},
        {"sched_priority", 0, 99},    {"minsources", 1, 2147483647},
        {"ntsprocesses", 0, 1000},    {"maxntsconnections", 1, 2147483647},
        {"logbanner", 0, 2147483647}, {"nocerttimecheck", 0, 2147483647},
        {"ntsrotate", 0, 2147483647}, {"ntsrefresh", 0, 2147483647},
        {"refresh", 0, 2147483647},
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        char text[200], expected[300];
        snprintf(text, sizeof(text), "%s %lld\n%s %lld\n", ranges[i].name, ranges[i].min,
                 ranges[i].name, ranges[i].max);
        struct loaded *l = load(text);
        if (l->d.n_errors)
            fail_msg("%s: edges refused", ranges[i].name);
        unload(l);
        snprintf(text, sizeof(text), "%s %lld\n%s %lld\n", ranges[i].name, ranges[i].min - 1,
                 ranges[i].name, ranges[i].max + 1);
        snprintf(expected, sizeof(expected),
                 "t.conf:1: error: %s: invalid value %lld (min %lld, max %lld)\n"
                 "t.conf:2: error: %s: invalid value %lld (min %lld, max %lld)\n",
                 ranges[i].name, ranges[i].min - 1, ranges[i].min, ranges[i].max, ranges[i].name,
                 ranges[i].max + 1, ranges[i].min, ranges[i].max);
        expect_errors(text, expected);
    }
    /* Doubles: every one refuses a negative value; most have no maximum. */
    static const char *const doubles[] = {
        "maxdistance",  "maxupdateskew", "maxclockerror", "maxslewrate",   "maxdrift", "maxjitter",
        "combinelimit", "reselectdist",  "stratumweight", "corrtimeratio", "logchange"};
    for (size_t i = 0; i < sizeof(doubles) / sizeof(doubles[0]); i++) {
        char text[100], expected[200];
        snprintf(text, sizeof(text), "%s 0\n%s 1e300\n%s -1e-9\n", doubles[i], doubles[i],
                 doubles[i]);
        snprintf(expected, sizeof(expected), "t.conf:3: error: %s: invalid value -1e-9 (min 0)\n",
                 doubles[i]);
        expect_errors(text, expected);
    }
}

/* ---- strings and flags ---- */

static void string_and_flag_directives(void **state)
{
    (void)state;
    struct loaded *l = load_ok("keyfile /etc/chrony/chrony.keys\nuser _chrony\nlogdir /var/log/x\n"
                               "leapsectz right/UTC\nleapseclist /usr/share/zoneinfo/leap.list\n"
                               "dumpdir /var/lib/tock\nntsdumpdir /var/lib/tock/nts\n"
                               "rtcsync\nlock_all\nnoclientlog\nnosystemcert\n"
                               "ntsntpserver ntp.example.net\n");
    const struct tock_config *c = &l->c;
    assert_string_equal(c->keyfile, "/etc/chrony/chrony.keys");
    assert_string_equal(c->user, "_chrony");
    assert_string_equal(c->logdir, "/var/log/x");
    assert_string_equal(c->leapsectz, "right/UTC");
    assert_string_equal(c->leapseclist, "/usr/share/zoneinfo/leap.list");
    assert_string_equal(c->dumpdir, "/var/lib/tock");
    assert_string_equal(c->ntsdumpdir, "/var/lib/tock/nts");
    assert_string_equal(c->ntsntpserver, "ntp.example.net");
    assert_true(c->rtcsync && c->lock_all && c->noclientlog && c->nosystemcert);
    unload(l);
    expect_errors("keyfile\nkeyfile a b\nrtcsync yes\nlock_all 1\nntsntpserver a/b\n",
                  "t.conf:1: error: keyfile: missing argument (syntax: keyfile FILE)\n"
                  "t.conf:2: error: keyfile: unexpected argument 'b' (syntax: keyfile FILE)\n"
                  "t.conf:3: error: rtcsync: unexpected argument 'yes' (syntax: rtcsync)\n"
                  "t.conf:4: error: lock_all: unexpected argument '1' (syntax: lock_all)\n"
                  "t.conf:5: error: ntsntpserver: invalid host name 'a/b'\n");
}

static void driftfile_and_makestep(void **state)
{
    (void)state;
    struct loaded *l = load_ok("driftfile /var/lib/chrony/drift interval 60\nmakestep 0.1 -1\n");
    assert_string_equal(l->c.driftfile, "/var/lib/chrony/drift");
    assert_int_equal(l->c.driftfile_interval, 60);
    assert_true(l->c.makestep_enabled);
    assert_true(l->c.makestep_threshold == 0.1);
    assert_int_equal(l->c.makestep_limit, -1);
    unload(l);
    l = load_ok("driftfile /d\nmakestep 1.0 3\n");
    assert_int_equal(l->c.driftfile_interval, 3600);
    assert_true(l->c.makestep_threshold == 1.0);
    assert_int_equal(l->c.makestep_limit, 3);
    unload(l);
    expect_errors("makestep 1\nmakestep 1 2 3\nmakestep 1.0x 3\nmakestep 1 3.5\nmakestep -1 3\n"
                  "driftfile\ndriftfile /d interval\ndriftfile /d interval -5\ndriftfile /d x\n",
                  "t.conf:1: error: makestep: missing argument (syntax: makestep THRESHOLD LIMIT)\n"
                  "t.conf:2: error: makestep: unexpected argument '3' (syntax: makestep THRESHOLD "
                  "LIMIT)\n"
                  "t.conf:3: error: makestep: invalid number '1.0x'\n"
                  "t.conf:4: error: makestep: invalid integer '3.5'\n"
                  "t.conf:5: error: makestep: invalid value -1 (min 0)\n"
                  "t.conf:6: error: driftfile: missing argument (syntax: driftfile FILE [interval "
                  "SECONDS])\n"
                  "t.conf:7: error: driftfile: interval: missing value (interval SECONDS)\n"
                  "t.conf:8: error: driftfile: interval: invalid value -5 (min 0, max "
                  "2147483647)\n"
                  "t.conf:9: error: driftfile: unknown option 'x'\n");
}

/* ---- server / pool ---- */

static void server_every_option(void **state)
{
    (void)state;
    struct loaded *l = load_ok(
        "server 192.0.2.1 minpoll -7 maxpoll 24 iburst burst key 4294967295 nts ntsport 4461 "
        "certset 4294967295 prefer noselect trust require maxdelay 1000 maxdelayratio 2 "
        "maxdelaydevratio 5 maxdelayquant 0.2 mindelay 0.001 asymmetry -0.5 offset -5e-5 "
        "minsamples 4 maxsamples 64 maxunreach 8 filter 3 offline auto_offline xleave copy "
        "polltarget 60 port 11123 presend 9 minstratum 15 version 3 extfield F323 extfield "
        "0xf324 extfield 10a ipv6\n");
    assert_int_equal(l->c.n_sources, 1);
    const struct conf_source *s = &l->c.sources[0];
    assert_int_equal(s->kind, CONF_SOURCE_SERVER);
    assert_string_equal(s->host, "192.0.2.1");
    assert_int_equal(s->minpoll, -7);
    assert_int_equal(s->maxpoll, 24);
    assert_true(s->iburst && s->burst && s->nts && s->prefer && s->noselect && s->trust &&
                s->require && s->offline && s->auto_offline && s->xleave && s->copy);
    assert_int_equal(s->key, 4294967295u);
    assert_int_equal(s->ntsport, 4461);
    assert_int_equal(s->certset, 4294967295u);
    assert_true(s->maxdelay == 1000 && s->maxdelayratio == 2 && s->maxdelaydevratio == 5);
    assert_true(s->maxdelayquant == 0.2 && s->mindelay == 0.001 && s->offset == -5e-5);
    assert_true(s->has_asymmetry && s->asymmetry == -0.5);
    assert_int_equal(s->minsamples, 4);
    assert_int_equal(s->maxsamples, 64);
    assert_int_equal(s->maxunreach, 8);
    assert_int_equal(s->filter, 3);
    assert_int_equal(s->polltarget, 60);
    assert_int_equal(s->port, 11123);
    assert_int_equal(s->presend, 9);
    assert_int_equal(s->minstratum, 15);
    assert_int_equal(s->version, 3);
    assert_int_equal(s->extfields, CONF_EXTFIELD_F323 | CONF_EXTFIELD_F324 | CONF_EXTFIELD_10A);
    assert_int_equal(s->family, 6);
    assert_int_equal(s->loc.line, 1);
    assert_string_equal(s->loc.file, "t.conf");
    unload(l);
}

static void server_defaults_and_pool(void **state)
{
    (void)state;
    struct loaded *l = load_ok("server ntp.example.com\npool pool.ntp.org iburst maxsources 16\n"
                               "pool p2.example maxsources 1 ipv4\n");
    assert_int_equal(l->c.n_sources, 3);
    const struct conf_source *s = &l->c.sources[0];
    assert_int_equal(s->port, 123);
    assert_int_equal(s->minpoll, 6);
    assert_int_equal(s->maxpoll, 10);
    assert_int_equal(s->key, 0);
    assert_false(s->nts);
    assert_int_equal(s->ntsport, 4460);
    assert_true(s->maxdelay == 3.0);
    assert_true(s->maxdelaydevratio == 10.0);
    assert_false(s->has_asymmetry);
    assert_int_equal(s->minsamples, -1);
    assert_int_equal(s->maxsamples, -1);
    assert_int_equal(s->maxunreach, 100000);
    assert_int_equal(s->polltarget, 8);
    assert_int_equal(s->presend, CONF_PRESEND_OFF);
    assert_int_equal(s->version, 0);
    assert_int_equal(s->family, 0);
    assert_int_equal(l->c.sources[1].kind, CONF_SOURCE_POOL);
    assert_int_equal(l->c.sources[1].maxsources, 16);
    assert_int_equal(l->c.sources[2].maxsources, 1);
    assert_int_equal(l->c.sources[2].family, 4);
    assert_int_equal(l->c.sources[0].maxsources, 4);
    unload(l);
}

static void server_errors(void **state)
{
    (void)state;
    expect_errors("server\nserver a key 0\nserver a key 4294967296\nserver a minpoll -8\n"
                  "server a maxpoll 25\nserver a asymmetry 0.6\nserver a version 5\n"
                  "server a extfield F325\nserver a maxsources 2\npool a maxsources 17\n"
                  "server a ipv4 ipv6\nserver a ibrust\nserver a minpoll\nserver a minpoll 1.5\n"
                  "server bad/host\nserver a maxdelay 1001\n",
                  "t.conf:1: error: server: missing host name (syntax: server HOST [option]...)\n"
                  "t.conf:2: error: server: key: invalid value 0 (min 1, max 4294967295)\n"
                  "t.conf:3: error: server: key: invalid value 4294967296 (min 1, max "
                  "4294967295)\n"
                  "t.conf:4: error: server: minpoll: invalid value -8 (min -7, max 24)\n"
                  "t.conf:5: error: server: maxpoll: invalid value 25 (min -7, max 24)\n"
                  "t.conf:6: error: server: asymmetry: invalid value 0.6 (min -0.5, max 0.5)\n"
                  "t.conf:7: error: server: version: invalid value 5 (min 1, max 4)\n"
                  "t.conf:8: error: server: extfield: unknown extension field 'F325' (known: "
                  "F323, F324, 10A)\n"
                  "t.conf:9: error: server: maxsources is an option of pool only\n"
                  "t.conf:10: error: pool: maxsources: invalid value 17 (min 1, max 16)\n"
                  "t.conf:11: error: server: ipv4 and ipv6 exclude each other\n"
                  "t.conf:12: error: server: unknown option 'ibrust'; did you mean iburst?\n"
                  "t.conf:13: error: server: minpoll: missing value (minpoll POLL)\n"
                  "t.conf:14: error: server: minpoll: invalid integer '1.5'\n"
                  "t.conf:15: error: server: invalid host name 'bad/host'\n"
                  "t.conf:16: error: server: maxdelay: invalid value 1001 (min 0, max 1000)\n");
    /* A bad line adds no source. */
    struct loaded *l = load("server a ibrust\n");
    assert_int_equal(l->c.n_sources, 0);
    unload(l);
}

static void duplicate_source_is_ignored_with_merged_fix(void **state)
{
    (void)state;
    struct loaded *l = load("server time.cloudflare.com iburst\nserver TIME.cloudflare.com nts\n");
    char *w = printed_level(l, CONF_DIAG_WARNING);
    assert_string_equal(w, "t.conf:2: warning: server: TIME.cloudflare.com is already configured "
                           "at t.conf:1; this line is ignored; fix: merge the options into one "
                           "line: server time.cloudflare.com iburst nts\n");
    assert_int_equal(l->c.n_sources, 1);
    assert_false(l->c.sources[0].nts);
    assert_int_equal(l->rc, 0);
    free(w);
    unload(l);
}

/* ---- rate limits ---- */

static void ratelimit_values_and_ranges(void **state)
{
    (void)state;
    struct loaded *l = load_ok("ratelimit\ncmdratelimit interval -19 burst 255 leak 4\n"
                               "ntsratelimit interval 12 burst 1 leak 1\n");
    assert_true(l->c.ratelimit.enabled);
    assert_int_equal(l->c.ratelimit.interval, 3);
    assert_int_equal(l->c.ratelimit.burst, 8);
    assert_int_equal(l->c.ratelimit.leak, 2);
    assert_int_equal(l->c.ratelimit.loc.line, 1);
    assert_true(l->c.cmdratelimit.enabled);
    assert_int_equal(l->c.cmdratelimit.interval, -19);
    assert_int_equal(l->c.cmdratelimit.burst, 255);
    assert_int_equal(l->c.cmdratelimit.leak, 4);
    assert_int_equal(l->c.ntsratelimit.interval, 12);
    assert_int_equal(l->c.ntsratelimit.burst, 1);
    assert_int_equal(l->c.ntsratelimit.leak, 1);
    unload(l);
    l = load_ok("ratelimit interval 1 burst 16 kod 4\ncmdratelimit burst 3\nntsratelimit leak 3\n");
    assert_int_equal(l->c.ratelimit.interval, 1);
    assert_int_equal(l->c.ratelimit.burst, 16);
    assert_int_equal(l->c.ratelimit.kod, 4);
    assert_int_equal(l->c.cmdratelimit.interval, -4);
    assert_int_equal(l->c.ntsratelimit.interval, 6);
    unload(l);
    expect_errors("ratelimit interval -20\nratelimit interval 13\nratelimit burst 0\n"
                  "ratelimit burst 256\nratelimit leak 0\nratelimit leak 5\nratelimit kod 5\n"
                  "cmdratelimit kod 1\nratelimit intervall 2\n",
                  "t.conf:1: error: ratelimit: interval: invalid value -20 (min -19, max 12)\n"
                  "t.conf:2: error: ratelimit: interval: invalid value 13 (min -19, max 12)\n"
                  "t.conf:3: error: ratelimit: burst: invalid value 0 (min 1, max 255)\n"
                  "t.conf:4: error: ratelimit: burst: invalid value 256 (min 1, max 255)\n"
                  "t.conf:5: error: ratelimit: leak: invalid value 0 (min 1, max 4)\n"
                  "t.conf:6: error: ratelimit: leak: invalid value 5 (min 1, max 4)\n"
                  "t.conf:7: error: ratelimit: kod: invalid value 5 (min 0, max 4)\n"
                  "t.conf:8: error: cmdratelimit: unknown option 'kod'\n"
                  "t.conf:9: error: ratelimit: unknown option 'intervall'; did you mean "
                  "interval?\n");
}

static void ratelimit_ntp_fix(void **state)
{
    (void)state;
    expect_errors("ratelimit ntp interval 1 burst 8\n",
                  "t.conf:1: error: ratelimit: unknown option 'ntp'; fix: remove 'ntp': ratelimit "
                  "interval 1 burst 8\n");
    expect_errors("cmdratelimit ntp interval 1 burst 8\n",
                  "t.conf:1: error: cmdratelimit: unknown option 'ntp'; fix: remove 'ntp': "
                  "cmdratelimit interval 1 burst 8\n");
    expect_errors("ntsratelimit interval 1 nts burst 8\n",
                  "t.conf:1: error: ntsratelimit: unknown option 'nts'; fix: remove 'nts': "
                  "ntsratelimit interval 1 burst 8\n");
    /* No fix when dropping the word does not give a valid line. */
    expect_errors("ratelimit ntp burst 0\n", "t.conf:1: error: ratelimit: unknown option 'ntp'\n");
    struct loaded *l = load("ratelimit ntp interval 1 burst 8\n");
    assert_false(l->c.ratelimit.enabled);
    unload(l);
}

static void noclientlog_with_ratelimit(void **state)
{
    (void)state;
    expect_errors("ratelimit interval 1\nnoclientlog\ncmdratelimit\n",
                  "t.conf:2: error: noclientlog: rate limiting cannot be enabled with "
                  "noclientlog: ratelimit at t.conf:1; fix: drop noclientlog (rate limiting "
                  "needs the client log)\n"
                  "t.conf:2: error: noclientlog: rate limiting cannot be enabled with "
                  "noclientlog: cmdratelimit at t.conf:3; fix: drop noclientlog (rate limiting "
                  "needs the client log)\n");
    expect_errors("noclientlog\nntsratelimit\n",
                  "t.conf:1: error: noclientlog: rate limiting cannot be enabled with "
                  "noclientlog: ntsratelimit at t.conf:2; fix: drop noclientlog (rate limiting "
                  "needs the client log)\n");
    expect_errors("noclientlog\n", "");
}

/* ---- local ---- */

static void local_options(void **state)
{
    (void)state;
    struct loaded *l =
        load_ok("local stratum 1 orphan distance 0.1 activate 0.5 waitsynced 10 waitunsynced 20\n");
    const struct conf_local *lo = &l->c.local;
    assert_true(lo->enabled);
    assert_int_equal(lo->stratum, 1);
    assert_true(lo->orphan);
    assert_true(lo->distance == 0.1 && lo->activate == 0.5);
    assert_true(lo->waitsynced == 10 && lo->waitunsynced == 20);
    assert_int_equal(lo->loc.line, 1);
    unload(l);
    l = load_ok("local\n");
    assert_true(l->c.local.enabled);
    assert_int_equal(l->c.local.stratum, 10);
    assert_true(l->c.local.waitunsynced == -1);
    assert_int_equal(l->d.n, 0); /* ACTIVE: no "not active yet" */
    unload(l);
    expect_errors("local stratum 16\nlocal stratum 15 bogus\nlocal distance -1\n",
                  "t.conf:1: error: local: stratum: invalid value 16 (min 1, max 15)\n"
                  "t.conf:2: error: local: unknown option 'bogus'\n"
                  "t.conf:3: error: local: distance: invalid value -1 (min 0)\n");
    l = load("local stratum 16\n");
    assert_false(l->c.local.enabled);
    unload(l);
}

/* ---- addresses ---- */

static void bind_addresses(void **state)
{
    (void)state;
    struct loaded *l = load_ok("bindaddress 192.0.2.1\nbindaddress 2001:db8::1\n"
                               "bindcmdaddress 0.0.0.0\nbindcmdaddress ::\n"
                               "bindcmdaddress /run/x/tockd.sock\n"
                               "bindmetricsaddress 192.0.2.2\n");
    assert_ip(&l->c.bindaddress4, "192.0.2.1");
    assert_ip(&l->c.bindaddress6, "2001:db8::1");
    assert_ip(&l->c.bindcmdaddress4, "0.0.0.0");
    assert_ip(&l->c.bindcmdaddress6, "::");
    assert_string_equal(l->c.cmdsocket, "/run/x/tockd.sock");
    assert_ip(&l->c.bindmetricsaddress4, "192.0.2.2");
    assert_ip(&l->c.bindmetricsaddress6, "::1");
    unload(l);
    l = load_ok("bindcmdaddress /\npidfile /\n");
    assert_null(l->c.cmdsocket);
    assert_null(l->c.pidfile);
    unload(l);
    l = load_ok("pidfile /run/t.pid\n");
    assert_string_equal(l->c.pidfile, "/run/t.pid");
    unload(l);
    char longpath[200];
    memset(longpath, 'a', sizeof(longpath));
    longpath[0] = '/';
    longpath[108] = '\0';
    char text[300];
    snprintf(text, sizeof(text), "bindaddress eth0\nbindcmdaddress %s\nbindaddress 1.2.3\n",
             longpath);
    expect_errors(text,
                  "t.conf:1: error: bindaddress: invalid address 'eth0' (a numeric IPv4 or IPv6 "
                  "address)\n"
                  "t.conf:2: error: bindcmdaddress: socket path too long (max 107 bytes)\n"
                  "t.conf:3: error: bindaddress: invalid address '1.2.3' (a numeric IPv4 or IPv6 "
                  "address)\n");
    /* One value per family: v4 and v6 do not override each other; a second v4 does. */
    expect_warnings("bindaddress 192.0.2.1\nbindaddress ::1\nbindaddress 192.0.2.2\n",
                    "t.conf:3: warning: bindaddress at t.conf:3 overrides t.conf:1\n");
    expect_warnings("bindcmdaddress 127.0.0.1\nbindcmdaddress /x\nbindcmdaddress ::1\n", "");
}

/* ---- log, hwtimestamp, leapsecmode ---- */

static void log_options(void **state)
{
    (void)state;
    struct loaded *l = load_ok("log tracking measurements\nlog statistics rtc refclocks\n"
                               "log rawmeasurements tempcomp selection\nlog\n");
    assert_int_equal(l->c.log_flags, CONF_LOG_TRACKING | CONF_LOG_MEASUREMENTS |
                                         CONF_LOG_STATISTICS | CONF_LOG_RTC | CONF_LOG_REFCLOCKS |
                                         CONF_LOG_RAWMEASUREMENTS | CONF_LOG_TEMPCOMP |
                                         CONF_LOG_SELECTION);
    unload(l);
    expect_errors("log trakcing\nlog everything\n",
                  "t.conf:1: error: log: invalid log option 'trakcing'; did you mean tracking?\n"
                  "t.conf:2: error: log: invalid log option 'everything' (options: "
                  "rawmeasurements, measurements, statistics, tracking, rtc, refclocks, tempcomp, "
                  "selection)\n");
}

static void hwtimestamp_options(void **state)
{
    (void)state;
    struct loaded *l = load_ok("hwtimestamp eth0\nhwtimestamp * minpoll -6 maxpoll 32 minsamples 3 "
                               "maxsamples 32 precision 1e-8 txcomp 300e-9 rxcomp -645e-9 "
                               "nocrossts rxfilter PTP\nhwtimestamp eth1 minpoll 4\n");
    assert_int_equal(l->c.n_hwts, 3);
    const struct conf_hwts *h = &l->c.hwts[0];
    assert_string_equal(h->interface, "eth0");
    assert_int_equal(h->minpoll, 0);
    assert_int_equal(h->maxpoll, 1);
    assert_int_equal(h->minsamples, 2);
    assert_int_equal(h->maxsamples, 16);
    assert_true(h->precision == 100e-9);
    assert_true(h->txcomp == 0 && h->rxcomp == 0);
    assert_false(h->nocrossts);
    assert_int_equal(h->rxfilter, 0);
    h = &l->c.hwts[1];
    assert_string_equal(h->interface, "*");
    assert_int_equal(h->minpoll, -6);
    assert_int_equal(h->maxpoll, 32);
    assert_int_equal(h->minsamples, 3);
    assert_int_equal(h->maxsamples, 32);
    assert_true(h->precision == 1e-8 && h->txcomp == 300e-9 && h->rxcomp == -645e-9);
    assert_true(h->nocrossts);
    assert_int_equal(h->rxfilter, 3);
    assert_int_equal(l->c.hwts[2].maxpoll, 5);
    unload(l);
    expect_errors("hwtimestamp\nhwtimestamp eth0 rxfilter some\nhwtimestamp a234567890123456\n"
                  "hwtimestamp eth0 minpoll 33\n",
                  "t.conf:1: error: hwtimestamp: missing interface (syntax: hwtimestamp "
                  "INTERFACE|* [option]...)\n"
                  "t.conf:2: error: hwtimestamp: rxfilter: invalid value 'some' (one of all, ntp, "
                  "ptp, none)\n"
                  "t.conf:3: error: hwtimestamp: invalid interface name 'a234567890123456'\n"
                  "t.conf:4: error: hwtimestamp: minpoll: invalid value 33 (min -6, max 32)\n");
}

static void leapsecmode_values(void **state)
{
    (void)state;
    const char *names[] = {"system", "slew", "step", "ignore"};
    const int values[] = {CONF_LEAPSECMODE_SYSTEM, CONF_LEAPSECMODE_SLEW, CONF_LEAPSECMODE_STEP,
                          CONF_LEAPSECMODE_IGNORE};
    for (int i = 0; i < 4; i++) {
        char text[64];
        snprintf(text, sizeof(text), "leapsecmode %s\n", names[i]);
        struct loaded *l = load_ok(text);
        assert_int_equal(l->c.leapsecmode, values[i]);
        unload(l);
    }
    expect_errors("leapsecmode smear\n", "t.conf:1: error: leapsecmode: invalid mode 'smear' (one "
                                         "of system, slew, step, ignore)\n");
}

/* ---- NTS ---- */

static void nts_directives(void **state)
{
    (void)state;
    struct loaded *l = load_ok("ntsservercert /c1\nntsserverkey /k1\nntsserverkey /k2\n"
                               "ntsservercert /c2\nntstrustedcerts /etc/ca.pem\n"
                               "ntstrustedcerts 4294967295 /etc/ca2\nntsaeads 30 15\n");
    assert_int_equal(l->c.n_nts_certkeys, 2);
    assert_string_equal(l->c.nts_certkeys[0].cert, "/c1");
    assert_string_equal(l->c.nts_certkeys[0].key, "/k1");
    assert_string_equal(l->c.nts_certkeys[1].cert, "/c2");
    assert_string_equal(l->c.nts_certkeys[1].key, "/k2");
    assert_int_equal(l->c.nts_certkeys[1].loc.line, 4);
    assert_int_equal(l->c.n_nts_trusted, 2);
    assert_int_equal(l->c.nts_trusted[0].set, 0);
    assert_string_equal(l->c.nts_trusted[0].path, "/etc/ca.pem");
    assert_int_equal(l->c.nts_trusted[1].set, 4294967295u);
    assert_int_equal(l->c.n_ntsaeads, 2);
    assert_int_equal(l->c.ntsaeads[0], 30);
    assert_int_equal(l->c.ntsaeads[1], 15);
    unload(l);
    expect_errors("ntsservercert /c1\nntsservercert /c2\nntsserverkey /k1\n",
                  "t.conf:2: error: ntsservercert: /c2 has no ntsserverkey (give one "
                  "ntsserverkey per ntsservercert, in the same order)\n");
    expect_errors("ntsserverkey /k1\n", "t.conf:1: error: ntsserverkey: /k1 has no ntsservercert "
                                        "(give one ntsservercert per ntsserverkey, in the same "
                                        "order)\n");
    expect_errors("ntsaeads 16\nntsaeads 15 15\nntsaeads\nntstrustedcerts -1 /x\n"
                  "ntstrustedcerts a b\n",
                  "t.conf:1: error: ntsaeads: unsupported AEAD 16 (valid: 15 = AES-SIV-CMAC-256, "
                  "30 = AES-128-GCM-SIV)\n"
                  "t.conf:2: error: ntsaeads: AEAD 15 given twice\n"
                  "t.conf:3: error: ntsaeads: missing argument (syntax: ntsaeads ID...)\n"
                  "t.conf:4: error: ntstrustedcerts: invalid value -1 (min 0, max 4294967295)\n"
                  "t.conf:5: error: ntstrustedcerts: invalid integer 'a' (syntax: "
                  "ntstrustedcerts [SET] FILE|DIRECTORY)\n");
}

static void opencommands_list(void **state)
{
    (void)state;
    struct loaded *l = load_ok("opencommands serverstats clients TRACKING\n");
    assert_int_equal(l->c.opencommands,
                     CONF_OPENCMD_SERVERSTATS | CONF_OPENCMD_CLIENTS | CONF_OPENCMD_TRACKING);
    unload(l);
    l = load_ok("opencommands\n");
    assert_int_equal(l->c.opencommands, 0);
    unload(l);
    expect_errors("opencommands sourcestat\nopencommands shutdown\n",
                  "t.conf:1: error: opencommands: unknown command 'sourcestat'; did you mean "
                  "sourcestats?\n"
                  "t.conf:2: error: opencommands: unknown command 'shutdown' (commands: activity, "
                  "authdata, clients, manual, ntpdata, rtcdata, selectdata, serverstats, "
                  "smoothing, sourcename, sources, sourcestats, tracking)\n");
}

/* ---- support levels ---- */

static void support_levels(void **state)
{
    (void)state;
    const char *active[] = {"port",    "bindaddress", "allow",          "deny",    "local",
                            "pidfile", "cmdport",     "bindcmdaddress", "include", "confdir"};
    for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++)
        assert_int_equal(conf_directive_status(active[i]), CONF_SUPPORT_ACTIVE);
    const char *planned[] = {"pool",
                             "server",
                             "ratelimit",
                             "log",
                             "logdir",
                             "driftfile",
                             "keyfile",
                             "makestep",
                             "rtcsync",
                             "leapsectz",
                             "hwtimestamp",
                             "clientloglimit",
                             "noclientlog",
                             "ntsservercert",
                             "ntsserverkey",
                             "ntsport",
                             "ntsprocesses",
                             "sched_priority",
                             "lock_all",
                             "user",
                             "sourcedir",
                             "cmdallow",
                             "cmddeny",
                             "cmdratelimit",
                             "ntsratelimit",
                             "minsources",
                             "maxdistance",
                             "maxupdateskew",
                             "leapseclist",
                             "logbanner",
                             "logchange",
                             "ntsdumpdir",
                             "ntsrotate",
                             "ntstrustedcerts",
                             "ntsntpserver",
                             "nocerttimecheck",
                             "maxntsconnections",
                             "maxclockerror",
                             "maxslewrate",
                             "maxdrift",
                             "maxjitter",
                             "clockprecision",
                             "combinelimit",
                             "reselectdist",
                             "stratumweight",
                             "corrtimeratio",
                             "leapsecmode",
                             "metricsport",
                             "bindmetricsaddress",
                             "opencommands",
                             "ntsaeads",
                             "acquisitionport",
                             "dumpdir",
                             "refresh",
                             "ntsrefresh",
                             "nosystemcert"};
    for (size_t i = 0; i < sizeof(planned) / sizeof(planned[0]); i++) {
        /* Known to tock: active, or planned until its feature lands. */
        enum conf_support st = conf_directive_status(planned[i]);
        if (st != CONF_SUPPORT_PLANNED && st != CONF_SUPPORT_ACTIVE)
            fail_msg("%s is neither ACTIVE nor PLANNED", planned[i]);
    }
    const char *unsupported[] = {
        "peer",           "refclock",      "broadcast",      "rtcfile",      "rtcdevice",
        "rtconutc",       "rtcautotrim",   "manual",         "smoothtime",   "mailonchange",
        "ntpsigndsocket", "tempcomp",      "hwclockfile",    "initstepslew", "binddevice",
        "bindacqdevice",  "bindcmddevice", "bindacqaddress", "ptpport",      "ptpdomain",
        "authselectmode", "dscp",          "maxtxbuffers",   "hwtstimeout",  "maxchange",
        "fallbackdrift",  "maxsamples",    "minsamples",     "minstratum",   "maxstratum"};
    for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++) {
        if (conf_directive_status(unsupported[i]) != CONF_SUPPORT_UNSUPPORTED)
            fail_msg("%s is not UNSUPPORTED", unsupported[i]);
    }
    const char *obsolete[] = {"commandkey", "generatecommandkey", "linux_freq_scale", "linux_hz",
                              "dumponexit"};
    for (size_t i = 0; i < sizeof(obsolete) / sizeof(obsolete[0]); i++)
        assert_int_equal(conf_directive_status(obsolete[i]), CONF_SUPPORT_OBSOLETE);
    assert_int_equal(conf_directive_status("SERVER"), conf_directive_status("server"));
    assert_int_equal(conf_directive_status("server"), CONF_SUPPORT_ACTIVE);
    assert_int_equal(conf_directive_status("schedrr"), CONF_SUPPORT_UNKNOWN);
    assert_int_equal(conf_directive_status("minpoll"), CONF_SUPPORT_UNKNOWN);
    assert_int_equal(conf_directive_status(""), CONF_SUPPORT_UNKNOWN);
    assert_int_equal(conf_directive_status(NULL), CONF_SUPPORT_UNKNOWN);
}

static void planned_lines_get_an_info(void **state)
{
    (void)state;
    struct loaded *l = load("port 123\nleapseclist /k\nlocal\nhwtimestamp eth0\n");
    char *all = printed(l);
    assert_string_equal(all, "t.conf:2: info: leapseclist: accepted, not active yet\n"
                             "t.conf:4: info: hwtimestamp: accepted, not active yet\n");
    assert_int_equal(l->rc, 0);
    assert_int_equal(l->d.n_infos, 2);
    free(all);
    unload(l);
}

static void planned_source_options_get_an_info(void **state)
{
    (void)state;
    struct loaded *l = load("server a.example iburst xleave\n"
                            "pool b.example filter 3 presend 6 maxsources 2\n"
                            "server c.example maxdelay 0.5 extfield F323\n"
                            "server d.example maxdelayquant 0.2 maxunreach 3 auto_offline copy\n");
    char *all = printed(l);
    assert_string_equal(all,
                        "t.conf:1: info: server option xleave: accepted, not active yet\n"
                        "t.conf:2: info: pool option filter: accepted, not active yet\n"
                        "t.conf:2: info: pool option presend: accepted, not active yet\n"
                        "t.conf:3: info: server option extfield: accepted, not active yet\n"
                        "t.conf:4: info: server option maxdelayquant: accepted, not active yet\n"
                        "t.conf:4: info: server option maxunreach: accepted, not active yet\n"
                        "t.conf:4: info: server option auto_offline: accepted, not active yet\n"
                        "t.conf:4: info: server option copy: accepted, not active yet\n");
    assert_int_equal(l->rc, 0);
    assert_int_equal(l->c.n_sources, 4);
    free(all);
    unload(l);
}

static void unsupported_and_obsolete(void **state)
{
    (void)state;
    expect_errors("peer 192.0.2.1\nrefclock PPS /dev/pps0\nrtcfile /var/lib/chrony/rtc\n"
                  "minsamples 6\nsmoothtime 400 0.001\n",
                  "t.conf:1: error: peer: not supported by tock; fix: use server on both hosts "
                  "(client/server mode is safer than symmetric mode)\n"
                  "t.conf:2: error: refclock: not supported by tock; fix: serve the reference "
                  "clock from a local chronyd and add it here: server 127.0.0.1 port PORT\n"
                  "t.conf:3: error: rtcfile: not supported by tock; fix: use rtcsync (the kernel "
                  "keeps the RTC in step)\n"
                  "t.conf:4: error: minsamples: not supported by tock; fix: use the per-source "
                  "option: server HOST minsamples N\n"
                  "t.conf:5: error: smoothtime: not supported by tock\n");
    struct loaded *l = load("commandkey 1\ndumponexit\nlinux_hz 100\n");
    char *all = printed(l);
    assert_string_equal(all, "t.conf:1: warning: commandkey: no longer supported (ignored)\n"
                             "t.conf:2: warning: dumponexit: obsolete (ignored)\n"
                             "t.conf:3: warning: linux_hz: no longer supported (ignored)\n");
    assert_int_equal(l->rc, 0);
    free(all);
    unload(l);
}

static void invalid_directives_and_fixes(void **state)
{
    (void)state;
    expect_errors("schedrr 1\nschedrr\nschedrr 200\nminpoll 4\nminpoll 4 maxpoll 10\n"
                  "maxpoll 10\niburst\nalow 10.0.0.0/8\nrestrict default nomodify\nfoo bar\n"
                  "maxsources 3\n",
                  "t.conf:1: error: invalid directive schedrr; fix: use sched_priority 1 "
                  "(SCHED_FIFO 1-99)\n"
                  "t.conf:2: error: invalid directive schedrr; fix: use sched_priority N "
                  "(SCHED_FIFO 1-99)\n"
                  "t.conf:3: error: invalid directive schedrr; fix: use sched_priority N "
                  "(SCHED_FIFO 1-99)\n"
                  "t.conf:4: error: invalid directive minpoll; fix: minpoll is an option of "
                  "server/pool: server HOST minpoll 4\n"
                  "t.conf:5: error: invalid directive minpoll; fix: minpoll is an option of "
                  "server/pool: server HOST minpoll 4 maxpoll 10\n"
                  "t.conf:6: error: invalid directive maxpoll; fix: maxpoll is an option of "
                  "server/pool: server HOST maxpoll 10\n"
                  "t.conf:7: error: invalid directive iburst; fix: iburst is an option of "
                  "server/pool: server HOST iburst\n"
                  "t.conf:8: error: invalid directive alow; did you mean allow?\n"
                  "t.conf:9: error: invalid directive restrict; fix: use allow SUBNET / deny "
                  "SUBNET\n"
                  "t.conf:10: error: invalid directive foo\n"
                  "t.conf:11: error: invalid directive maxsources; fix: maxsources is an option "
                  "of server/pool: pool HOST maxsources 3\n");
}

/* ---- several directives on one line ---- */

static void several_directives_on_one_line(void **state)
{
    (void)state;
    struct loaded *l = load("port 0 cmdport 323 bindcmdaddress 127.0.0.1 bindcmdaddress ::1\n");
    char *e = printed_level(l, CONF_DIAG_ERROR);
    assert_string_equal(e, "t.conf:1: error: several directives on one line; put one per line: "
                           "\"port 0\", \"cmdport 323\", \"bindcmdaddress 127.0.0.1\", "
                           "\"bindcmdaddress ::1\"\n");
    /* The parts are still read, so that the rest of the analysis sees them. */
    assert_int_equal(l->c.port, 0);
    assert_int_equal(l->c.port_loc.line, 1);
    free(e);
    unload(l);
    l = load("server a iburst server b iburst\n");
    e = printed_level(l, CONF_DIAG_ERROR);
    assert_string_equal(e, "t.conf:1: error: several directives on one line; put one per line: "
                           "\"server a iburst\", \"server b iburst\"\n");
    assert_int_equal(l->c.n_sources, 2);
    assert_string_equal(l->c.sources[1].host, "b");
    free(e);
    unload(l);
    expect_errors("allow 10.0.0.0/8 allow 172.16.0.0/12\n",
                  "t.conf:1: error: several directives on one line; put one per line: \"allow "
                  "10.0.0.0/8\", \"allow 172.16.0.0/12\"\n");
    expect_errors("allow 10.0.0.0/8 deny 10.1.0.0/16\n",
                  "t.conf:1: error: several directives on one line; put one per line: \"allow "
                  "10.0.0.0/8\", \"deny 10.1.0.0/16\"\n");
    expect_errors("ratelimit interval 1 burst 16 ratelimit ntp interval 1 burst 8\n",
                  "t.conf:1: error: several directives on one line; put one per line: \"ratelimit "
                  "interval 1 burst 16\", \"ratelimit ntp interval 1 burst 8\"\n"
                  "t.conf:1: error: ratelimit: unknown option 'ntp'; fix: remove 'ntp': "
                  "ratelimit interval 1 burst 8\n");
    expect_errors("makestep 1.0 3 rtcsync\n", "t.conf:1: error: several directives on one line; "
                                              "put one per line: \"makestep 1.0 3\", "
                                              "\"rtcsync\"\n");
    /* Option keywords that are also directive names do not split a valid line. */
    l = load_ok("server a port 11123 minsamples 4 maxsamples 8 ntsport 1 minstratum 2\n"
                "hwtimestamp eth0 minsamples 4\n");
    assert_int_equal(l->c.sources[0].port, 11123);
    unload(l);
    /* No split when the first part alone is not valid either. */
    expect_errors("bindcmdaddress local\n",
                  "t.conf:1: error: bindcmdaddress: invalid address 'local' (a numeric IPv4 or "
                  "IPv6 address)\n");
}

static void single_valued_repeat_warns(void **state)
{
    (void)state;
    expect_warnings("ratelimit interval 1\nallow 10.0.0.0/8\nallow 10.0.0.0/8\n"
                    "ratelimit interval 2\nport 1\nport 2\nport 3\n",
                    "t.conf:4: warning: ratelimit at t.conf:4 overrides t.conf:1\n"
                    "t.conf:6: warning: port at t.conf:6 overrides t.conf:5\n"
                    "t.conf:7: warning: port at t.conf:7 overrides t.conf:6\n");
    struct loaded *l = load("ratelimit interval 1\nratelimit interval 2\nport 1\nport x\n");
    assert_int_equal(l->c.ratelimit.interval, 2); /* last wins */
    assert_int_equal(l->c.port, 1);               /* a bad line changes nothing */
    unload(l);
}

static void port_zero_makes_allow_useless(void **state)
{
    (void)state;
    expect_warnings(
        "allow 10.0.0.0/8\nport 0\ndeny 10.1.0.0/16\nntsservercert /c\nntsserverkey /k\n",
        "t.conf:1: warning: allow has no effect: port 0 at t.conf:2 disables the NTP "
        "server\n"
        "t.conf:4: warning: ntsservercert has no effect: port 0 at t.conf:2 disables "
        "the NTP server\n");
    /* NTS-KE for an NTP server elsewhere is a valid setup. */
    expect_warnings("port 0\nntsservercert /c\nntsserverkey /k\nntsntpserver ntp.example\n", "");
    expect_warnings("port 0\nallow\nport 123\n",
                    "t.conf:3: warning: port at t.conf:3 overrides t.conf:1\n");
    expect_warnings("cmdallow 192.0.2.0/24\ncmdport 0\ncmddeny 192.0.2.1\n",
                    "t.conf:1: warning: cmdallow has no effect: cmdport 0 at t.conf:2 disables the "
                    "UDP command port\n");
    expect_warnings("cmdport 0\ncmdallow 192.0.2.0/24\ncmdport 323\n",
                    "t.conf:3: warning: cmdport at t.conf:3 overrides t.conf:1\n");
}

/* Every table is bounded: sources, access rules and kept messages. */
static void limits(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int i = 0; i <= CONF_MAX_SOURCES; i++)
        fprintf(f, "server s%d.example\n", i);
    fclose(f);
    struct loaded *l = load(text);
    assert_int_equal(l->c.n_sources, CONF_MAX_SOURCES);
    assert_int_equal(l->d.n_errors, 1);
    char *e = printed_level(l, CONF_DIAG_ERROR);
    assert_string_equal(e, "t.conf:4097: error: server: too many server/pool lines (max 4096)\n");
    free(e);
    unload(l);
    free(text);

    /* More messages than are kept: counted, and the print says so. */
    f = open_memstream(&text, &len);
    for (int i = 0; i < CONF_MAX_DIAGS + 5; i++)
        fputs("bogus\n", f);
    fclose(f);
    l = load(text);
    assert_int_equal(l->d.n, CONF_MAX_DIAGS);
    assert_int_equal(l->d.n_errors, CONF_MAX_DIAGS + 5);
    char *all = printed(l);
    static const char tail[] = "\nerror: 5 more messages not shown (10005 errors in all)\n";
    size_t n = strlen(all);
    assert_true(n > sizeof(tail));
    assert_string_equal(all + n - (sizeof(tail) - 1), tail);
    free(all);
    unload(l);
    free(text);
}

/* ---- printing ---- */

static void diag_print_format(void **state)
{
    (void)state;
    struct conf_diags d = {0};
    struct tock_config c;
    char buf[256];
    conf_load_string("port x\nleapseclist /k\nport 1\nport 2\n", "a/b.conf", &c, &d);
    assert_int_equal(d.n, 3);
    assert_string_equal(conf_diag_format(&d.items[0], buf, sizeof(buf)),
                        "a/b.conf:1: error: port: invalid integer 'x'");
    assert_string_equal(conf_diag_format(&d.items[1], buf, sizeof(buf)),
                        "a/b.conf:2: info: leapseclist: accepted, not active yet");
    assert_string_equal(conf_diag_format(&d.items[2], buf, sizeof(buf)),
                        "a/b.conf:4: warning: port at a/b.conf:4 overrides a/b.conf:3");
    assert_int_equal(d.n_errors, 1);
    assert_int_equal(d.n_warnings, 1);
    assert_int_equal(d.n_infos, 1);
    /* A message survives the config it came from (the diags own their file names). */
    conf_free(&c);
    assert_string_equal(d.items[0].loc.file, "a/b.conf");
    /* Truncation is safe. */
    assert_string_equal(conf_diag_format(&d.items[0], buf, 9), "a/b.conf");
    conf_diags_free(&d);
    assert_int_equal(d.n, 0);
}

static void diag_messages_are_sanitized(void **state)
{
    (void)state;
    struct loaded *l = load("port \x1b[31mred\n");
    assert_int_equal(l->d.n_errors, 1);
    assert_string_equal(l->d.items[0].message, "port: invalid integer '?[31mred'");
    unload(l);
    /* A message without a file or line. */
    struct tock_config c;
    struct conf_diags d;
    conf_load_file("/nonexistent/tock.conf", &c, &d);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    conf_diags_print(&d, f);
    fclose(f);
    assert_string_equal(buf, "/nonexistent/tock.conf: error: cannot read configuration file: No "
                             "such file or directory\n");
    free(buf);
    conf_free(&c);
    conf_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_are_chronys),
        cmocka_unit_test(comments_and_blank_lines),
        cmocka_unit_test(names_case_insensitive_except_log),
        cmocka_unit_test(whitespace_and_crlf),
        cmocka_unit_test(line_length_limit),
        cmocka_unit_test(nul_byte_is_an_error),
        cmocka_unit_test(every_error_is_collected),
        cmocka_unit_test(integer_directives_and_ranges),
        cmocka_unit_test(double_directives_and_ranges),
        cmocka_unit_test(integer_range_edges),
        cmocka_unit_test(string_and_flag_directives),
        cmocka_unit_test(driftfile_and_makestep),
        cmocka_unit_test(server_every_option),
        cmocka_unit_test(server_defaults_and_pool),
        cmocka_unit_test(server_errors),
        cmocka_unit_test(duplicate_source_is_ignored_with_merged_fix),
        cmocka_unit_test(ratelimit_values_and_ranges),
        cmocka_unit_test(ratelimit_ntp_fix),
        cmocka_unit_test(noclientlog_with_ratelimit),
        cmocka_unit_test(local_options),
        cmocka_unit_test(bind_addresses),
        cmocka_unit_test(log_options),
        cmocka_unit_test(hwtimestamp_options),
        cmocka_unit_test(leapsecmode_values),
        cmocka_unit_test(nts_directives),
        cmocka_unit_test(opencommands_list),
        cmocka_unit_test(support_levels),
        cmocka_unit_test(planned_lines_get_an_info),
        cmocka_unit_test(planned_source_options_get_an_info),
        cmocka_unit_test(unsupported_and_obsolete),
        cmocka_unit_test(invalid_directives_and_fixes),
        cmocka_unit_test(several_directives_on_one_line),
        cmocka_unit_test(single_valued_repeat_warns),
        cmocka_unit_test(port_zero_makes_allow_useless),
        cmocka_unit_test(limits),
        cmocka_unit_test(diag_print_format),
        cmocka_unit_test(diag_messages_are_sanitized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
