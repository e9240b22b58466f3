/* Unit tests for conf_print (tockd -p): canonical lines, and parse -> print -> parse -> print
 * giving the same text for a configuration that sets every directive. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

static char *print_of(const struct tock_config *c)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    conf_print(c, f);
    fclose(f);
    return buf;
}

/* Loads text (which must have no error) and returns its printed form. */
static char *parse_print(const char *text, struct tock_config *keep)
{
    struct tock_config c;
    struct conf_diags d;
    if (conf_load_string(text, "p.conf", &c, &d) != 0) {
        char line[4096];
        for (int i = 0; i < d.n; i++)
            print_message("%s\n", conf_diag_format(&d.items[i], line, sizeof(line)));
        fail_msg("unexpected errors in:\n%s", text);
    }
    char *out = print_of(&c);
    conf_diags_free(&d);
    if (keep)
        *keep = c;
    else
        conf_free(&c);
    return out;
}

static void defaults_print_the_important_ones(void **state)
{
    (void)state;
    char *out = parse_print("", NULL);
    assert_string_equal(out, "port 123\ncmdport 323\n");
    free(out);
}

static void canonical_forms(void **state)
{
    (void)state;
    char *out =
        parse_print("allow 10\ndeny all 1.2.3\nallow\ncmdallow all\nSERVER a IBURST presend 0\n"
                    "pidfile /\nbindcmdaddress /\nserver b asymmetry 0\nlocal\n"
                    "ratelimit\nlog tracking\nlog rtc\nmakestep 0.1 -1\nmaxdistance 0.1\n",
                    NULL);
    assert_string_equal(out, "server a iburst presend 0\n"
                             "server b asymmetry 0\n"
                             "maxdistance 0.1\n"
                             "port 123\n"
                             "allow 10.0.0.0/8\n"
                             "deny all 1.2.3.0/24\n"
                             "allow\n"
                             "ratelimit interval 3 burst 8 leak 2 kod 0\n"
                             "local\n"
                             "cmdport 323\n"
                             "bindcmdaddress /\n"
                             "cmdallow all\n"
                             "makestep 0.1 -1\n"
                             "log tracking rtc\n"
                             "pidfile /\n");
    free(out);
}

/* Every directive tock reads, with values that differ from the defaults. */
static const char everything[] =
    "server 192.0.2.1 minpoll 4 maxpoll 8 iburst burst key 10 nts ntsport 4461 certset 2 prefer "
    "noselect trust require maxdelay 0.5 maxdelayratio 2 maxdelaydevratio 5 maxdelayquant 0.2 "
    "mindelay 0.001 asymmetry 0.25 offset -5e-05 minsamples 4 maxsamples 32 maxunreach 8 filter "
    "3 offline auto_offline xleave copy polltarget 10 port 11123 presend 9 minstratum 3 version "
    "3 extfield F323 extfield F324 ipv4\n"
    "pool pool.ntp.org iburst maxsources 8 ipv6\n"
    "acquisitionport 1123\nrefresh 3600\ndumpdir /var/lib/tock\nminsources 2\n"
    "maxdistance 16\nmaxjitter 0.5\ncombinelimit 2\nreselectdist 0.001\nstratumweight 0.01\n"
    "port 11123\nbindaddress 192.0.2.5\nbindaddress 2001:db8::5\n"
    "allow 10.0.0.0/8\ndeny 10.1.0.0/16\nallow all 2001:db8::/32\nallow ntp.example.com\n"
    "ratelimit interval 1 burst 16 leak 3 kod 2\nclientloglimit 1048576\n"
    "local stratum 8 orphan distance 0.5 activate 0.1 waitsynced 60 waitunsynced 30\n"
    "hwtimestamp eth0 minpoll -2 maxpoll 4 minsamples 3 maxsamples 8 precision 5e-08 txcomp "
    "3e-07 rxcomp 6e-07 nocrossts rxfilter ntp\nhwtimestamp *\n"
    "ntsport 4463\nntsservercert /c1\nntsserverkey /k1\nntsservercert /c2\nntsserverkey /k2\n"
    "ntsprocesses 2\nmaxntsconnections 50\nntsdumpdir /var/lib/tock/nts\nntsrotate 0\n"
    "ntsntpserver ntp.example.net\nntsratelimit interval 3 burst 2 leak 1\nntsaeads 15 30\n"
    "ntstrustedcerts /etc/ca\nntstrustedcerts 3 /etc/ca3\nnosystemcert\nnocerttimecheck 1\n"
    "ntsrefresh 86400\nkeyfile /etc/tock/keys\ncmdport 1323\nbindcmdaddress 0.0.0.0\n"
    "bindcmdaddress ::\nbindcmdaddress /run/t/s.sock\ncmdallow 192.0.2.0/24\ncmddeny all\n"
    "cmdratelimit interval -2 burst 4 leak 1\nopencommands tracking serverstats\n"
    "metricsport 9123\nbindmetricsaddress 0.0.0.0\nbindmetricsaddress ::\n"
    "driftfile /var/lib/tock/drift interval 60\nmakestep 1 3\nmaxupdateskew 100\n"
    "maxclockerror 10\nmaxslewrate 1000\nmaxdrift 100000\ncorrtimeratio 5\n"
    "clockprecision 1e-08\nrtcsync\nleapsectz right/UTC\nleapseclist /usr/share/leap.list\n"
    "leapsecmode slew\nlog rawmeasurements measurements statistics tracking rtc refclocks "
    "tempcomp selection\nlogdir /var/log/tock\nlogbanner 0\nlogchange 0.5\nuser _tock\n"
    "pidfile /run/t.pid\nsched_priority 1\nlock_all\nnoclientlog\n";

static void round_trip_of_everything(void **state)
{
    (void)state;
    /* noclientlog with rate limits is an error: use a copy without the rate limits. */
    char *text = strdup(everything);
    char *rl = strstr(text, "noclientlog\n");
    *rl = '\0';
    struct tock_config c1, c2;
    char *first = parse_print(text, &c1);
    char *second = parse_print(first, &c2);
    assert_string_equal(first, second);
    char *third = print_of(&c2);
    assert_string_equal(second, third);

    /* The printed form keeps every value: spot checks of the re-parsed config. */
    assert_int_equal(c2.n_sources, 2);
    assert_int_equal(c2.sources[0].key, 10);
    assert_true(c2.sources[0].has_asymmetry && c2.sources[0].asymmetry == 0.25);
    assert_true(c2.sources[0].offset == -5e-05);
    assert_int_equal(c2.sources[0].family, 4);
    assert_int_equal(c2.sources[1].maxsources, 8);
    assert_int_equal(c2.sources[1].family, 6);
    assert_int_equal(c2.ntp_acl.n_rules, 4);
    assert_string_equal(c2.ntp_acl.rules[3].hostname, "ntp.example.com");
    assert_int_equal(c2.ratelimit.kod, 2);
    assert_true(c2.local.enabled && c2.local.orphan && c2.local.waitunsynced == 30);
    assert_int_equal(c2.n_hwts, 2);
    assert_int_equal(c2.hwts[0].maxpoll, 4);
    assert_int_equal(c2.hwts[0].rxfilter, 2);
    assert_int_equal(c2.n_nts_certkeys, 2);
    assert_string_equal(c2.nts_certkeys[1].key, "/k2");
    assert_int_equal(c2.nts_trusted[1].set, 3);
    assert_int_equal(c2.n_ntsaeads, 2);
    assert_string_equal(c2.cmdsocket, "/run/t/s.sock");
    assert_int_equal(c2.opencommands, CONF_OPENCMD_TRACKING | CONF_OPENCMD_SERVERSTATS);
    assert_int_equal(c2.driftfile_interval, 60);
    assert_int_equal(c2.leapsecmode, CONF_LEAPSECMODE_SLEW);
    assert_int_equal(c2.log_flags, 0xff);
    assert_int_equal(c2.logbanner, 0);
    assert_int_equal(c2.metricsport, 9123);
    assert_int_equal(c2.sched_priority, 1);
    assert_true(c2.lock_all && c2.rtcsync && c2.nosystemcert);
    assert_string_equal(c2.user, "_tock");

    /* Every directive of the input appears in the output. */
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        char word[64];
        size_t n = strcspn(line, " \n");
        snprintf(word, sizeof(word), "%.*s", (int)n, line);
        char needle[80];
        snprintf(needle, sizeof(needle), "\n%s", word);
        if (strncmp(first, word, n) != 0 && !strstr(first, needle))
            fail_msg("%s is not printed", word);
        line = nl + 1;
    }
    free(first);
    free(second);
    free(third);
    free(text);
    conf_free(&c1);
    conf_free(&c2);
}

static void noclientlog_prints(void **state)
{
    (void)state;
    char *out = parse_print("noclientlog\nsched_priority 50\n", NULL);
    assert_string_equal(out, "port 123\nnoclientlog\ncmdport 323\nsched_priority 50\n");
    free(out);
}

static void doubles_round_trip_exactly(void **state)
{
    (void)state;
    const char *values[] = {"0.1",           "1e-09", "83333.333", "0.30000000000000004",
                            "123456789.125", "5e-324"};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char text[80];
        struct tock_config c1, c2;
        snprintf(text, sizeof(text), "maxdistance %s\n", values[i]);
        char *a = parse_print(text, &c1);
        char *b = parse_print(a, &c2);
        assert_string_equal(a, b);
        assert_true(c1.maxdistance == c2.maxdistance);
        free(a);
        free(b);
        conf_free(&c1);
        conf_free(&c2);
    }
}

static void sourcedir_sources_print_as_comments(void **state)
{
    (void)state;
    struct tock_config c;
    char *out = parse_print("sourcedir /nonexistent-tock-dir\nserver a\n", &c);
    assert_string_equal(out, "server a\nsourcedir /nonexistent-tock-dir\nport 123\ncmdport 323\n");
    free(out);
    /* A source read from a directory is shown as a comment (it is read again from there). */
    c.sources[0].from_sourcedir = true;
    out = print_of(&c);
    assert_string_equal(out, "sourcedir /nonexistent-tock-dir\n# from p.conf: server a\n"
                             "port 123\ncmdport 323\n");
    free(out);
    conf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(defaults_print_the_important_ones),
        cmocka_unit_test(canonical_forms),
        cmocka_unit_test(round_trip_of_everything),
        cmocka_unit_test(noclientlog_prints),
        cmocka_unit_test(doubles_round_trip_exactly),
        cmocka_unit_test(sourcedir_sources_print_as_comments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
