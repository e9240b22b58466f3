/* Unit tests for allow/deny/cmdallow/cmddeny: subnet forms (chrony.conf(5) "allow"), errors,
 * and the warnings for rules that a later rule cancels under chrony's semantics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "conf/config.h"

static char *diags_of(const char *text, enum conf_diag_level level, struct tock_config *keep)
{
    struct tock_config c;
    struct conf_diags d;
    char *buf = NULL, line[4096];
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    conf_load_string(text, "a.conf", &c, &d);
    for (int i = 0; i < d.n; i++) {
        if (d.items[i].level == level)
            fprintf(f, "%s\n", conf_diag_format(&d.items[i], line, sizeof(line)));
    }
    fclose(f);
    if (keep)
        *keep = c;
    else
        conf_free(&c);
    conf_diags_free(&d);
    return buf;
}

static void expect(const char *text, enum conf_diag_level level, const char *expected)
{
    char *got = diags_of(text, level, NULL);
    if (strcmp(got, expected) != 0)
        fail_msg("text:\n%s\nexpected:\n%s\ngot:\n%s", text, expected, got);
    free(got);
}

static void assert_rule(const struct conf_acl_rule *r, bool allow, bool all, const char *ip,
                        int len)
{
    char buf[TOCK_IP_STRLEN];
    assert_int_equal(r->allow, allow);
    assert_int_equal(r->all, all);
    assert_false(r->both_families);
    assert_null(r->hostname);
    assert_string_equal(tock_ip_format(&r->ip, buf, sizeof(buf)), ip);
    assert_int_equal(r->prefix_len, len);
}

static void subnet_forms(void **state)
{
    (void)state;
    struct tock_config c;
    char *e = diags_of("allow 1.2.3.4\nallow 1.2.3\nallow 10\nallow 1.2\ndeny 0/0\nallow ::/0\n"
                       "allow 2001:db8::/32\nallow 10.1/16\nallow all 10/8\ndeny\nallow all\n"
                       "allow ntp.example.com\nallow 2001:db8::1\ncmdallow 192.0.2.0/24\n"
                       "cmddeny all\n",
                       CONF_DIAG_ERROR, &c);
    assert_string_equal(e, "");
    free(e);
    assert_int_equal(c.ntp_acl.n_rules, 13);
    const struct conf_acl_rule *r = c.ntp_acl.rules;
    assert_rule(&r[0], true, false, "1.2.3.4", 32);
    assert_rule(&r[1], true, false, "1.2.3.0", 24);
    assert_rule(&r[2], true, false, "10.0.0.0", 8);
    assert_rule(&r[3], true, false, "1.2.0.0", 16);
    assert_rule(&r[4], false, false, "0.0.0.0", 0);
    assert_rule(&r[5], true, false, "::", 0);
    assert_rule(&r[6], true, false, "2001:db8::", 32);
    assert_rule(&r[7], true, false, "10.1.0.0", 16);
    assert_rule(&r[8], true, true, "10.0.0.0", 8);
    assert_false(r[9].allow);
    assert_true(r[9].both_families);
    assert_false(r[9].all);
    assert_true(r[10].allow && r[10].both_families && r[10].all);
    assert_string_equal(r[11].hostname, "ntp.example.com");
    assert_rule(&r[12], true, false, "2001:db8::1", 128);
    assert_int_equal(r[12].loc.line, 13);
    assert_int_equal(c.cmd_acl.n_rules, 2);
    assert_rule(&c.cmd_acl.rules[0], true, false, "192.0.2.0", 24);
    assert_true(c.cmd_acl.rules[1].all && c.cmd_acl.rules[1].both_families);
    conf_free(&c);
}

static void subnet_errors(void **state)
{
    (void)state;
    struct tock_config c;
    char *e = diags_of("allow 10.0.0.0/33\nallow ::/129\nallow 10.0.0.256\nallow 1.2.3.4.5\n"
                       "allow 10.0.0.0/x\nallow 10.0.0.0/-1\nallow host.example/8\n"
                       "allow 10.0.0.0/8 x\nallow all all\nallow /8\ncmdallow 10.0.0.0/40\n",
                       CONF_DIAG_ERROR, &c);
    assert_string_equal(
        e, "a.conf:1: error: allow: bad subnet 10.0.0.0/33: prefix longer than 32\n"
           "a.conf:2: error: allow: bad subnet ::/129: prefix longer than 128\n"
           "a.conf:3: error: allow: invalid address or host name '10.0.0.256' (syntax: allow "
           "[all] [SUBNET])\n"
           "a.conf:4: error: allow: invalid address or host name '1.2.3.4.5' (syntax: allow [all] "
           "[SUBNET])\n"
           "a.conf:5: error: allow: invalid prefix length 'x' in subnet '10.0.0.0/x' (syntax: "
           "allow [all] [SUBNET])\n"
           "a.conf:6: error: allow: invalid prefix length '-1' in subnet '10.0.0.0/-1' (syntax: "
           "allow [all] [SUBNET])\n"
           "a.conf:7: error: allow: invalid subnet 'host.example/8' (syntax: allow [all] "
           "[SUBNET])\n"
           "a.conf:8: error: allow: unexpected argument 'x' after the subnet (syntax: allow [all] "
           "[SUBNET])\n"
           "a.conf:9: error: allow: invalid address or host name 'all' (syntax: allow [all] "
           "[SUBNET])\n"
           "a.conf:10: error: allow: invalid subnet '/8' (syntax: allow [all] [SUBNET])\n"
           "a.conf:11: error: cmdallow: bad subnet 10.0.0.0/40: prefix longer than 32\n");
    free(e);
    /* The too-long prefixes stay in the config as written (the ACL builder refuses them too);
     * the unparsable lines add nothing. */
    assert_int_equal(c.ntp_acl.n_rules, 2);
    assert_int_equal(c.ntp_acl.rules[0].prefix_len, 33);
    assert_int_equal(c.ntp_acl.rules[1].prefix_len, 129);
    assert_int_equal(c.cmd_acl.n_rules, 1);
    conf_free(&c);
}

static void deny_all_wipes_allows(void **state)
{
    (void)state;
    expect("allow 192.168.1.0/24\nallow 10.0.0.0/8\ndeny all\n", CONF_DIAG_WARNING,
           "a.conf:3: warning: deny all at a.conf:3 denies everyone: it wipes the allow rules at "
           "a.conf:1, a.conf:2 (drop the line: the default is already deny)\n");
    /* IPv6 and name-less allows are wiped too; hostnames cannot be judged. */
    expect("allow 2001:db8::/32\nallow\nallow ntp.example\ndeny all\n", CONF_DIAG_WARNING,
           "a.conf:4: warning: deny all at a.conf:4 denies everyone: it wipes the allow rules at "
           "a.conf:1, a.conf:2 (drop the line: the default is already deny)\n");
    /* Nothing to wipe: no warning. Allows after the deny all are fine. */
    expect("deny all\nallow 10.0.0.0/8\n", CONF_DIAG_WARNING, "");
    expect("deny 10.0.0.0/8\ndeny all\n", CONF_DIAG_WARNING, "");
}

static void allow_all_wipes_denies(void **state)
{
    (void)state;
    expect("deny 10.1.0.0/16\nallow all\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: allow all at a.conf:2 allows everyone: it wipes the deny rules at "
           "a.conf:1 (use 'allow' without 'all' to keep them)\n");
    /* Plain allow keeps the more specific deny: chrony's most-specific rule wins. */
    expect("deny 10.1.0.0/16\nallow\n", CONF_DIAG_WARNING, "");
}

static void all_with_subnet_wipes_inside_only(void **state)
{
    (void)state;
    expect("allow 10.1.0.0/16\nallow 10.2.3.4\nallow 192.168.0.0/16\nallow 10.0.0.0/8\n"
           "deny all 10.0.0.0/8\n",
           CONF_DIAG_WARNING,
           "a.conf:5: warning: deny all 10.0.0.0/8 at a.conf:5 wipes the allow rules at a.conf:1, "
           "a.conf:2, a.conf:4 inside 10.0.0.0/8 (use 'deny 10.0.0.0/8' without 'all' to keep "
           "them: the most specific rule wins)\n");
    expect("deny 192.0.2.128/25\nallow all 192.0.2.0/24\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: allow all 192.0.2.0/24 at a.conf:2 wipes the deny rules at a.conf:1 "
           "inside 192.0.2.0/24 (use 'allow 192.0.2.0/24' without 'all' to keep them: the most "
           "specific rule wins)\n");
    /* A wider rule before a narrower "all": nothing is wiped. */
    expect("allow 10.0.0.0/8\ndeny all 10.1.0.0/16\n", CONF_DIAG_WARNING, "");
}

static void same_subnet_opposite_actions(void **state)
{
    (void)state;
    expect("allow 10.0.0.0/8\ndeny 10.0.0.0/8\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: deny 10.0.0.0/8 at a.conf:2 overrides allow 10.0.0.0/8 at a.conf:1: "
           "the same subnet with the opposite action (the later line wins; drop one)\n");
    /* "10" and "10.0.0.0/8" are the same subnet. */
    expect("deny 10\nallow 10.0.0.0/8\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: allow 10.0.0.0/8 at a.conf:2 overrides deny 10.0.0.0/8 at a.conf:1: "
           "the same subnet with the opposite action (the later line wins; drop one)\n");
    /* The same action twice changes nothing. */
    expect("allow 10.0.0.0/8\nallow 10.0.0.0/8\n", CONF_DIAG_WARNING, "");
}

static void same_tree_level_later_wins(void **state)
{
    (void)state;
    /* /28 and /25 end in the same 4-bit level: the later /25 overwrites the /28. */
    expect("deny 192.0.2.0/28\nallow 192.0.2.0/25\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: allow 192.0.2.0/25 at a.conf:2 overrides deny 192.0.2.0/28 at "
           "a.conf:1: both end in the same 4-bit level of the address tree, where the later line "
           "wins (put the narrower rule last)\n");
    /* The other order, and levels that differ (/28 vs /29), are fine. */
    expect("allow 192.0.2.0/25\ndeny 192.0.2.0/28\n", CONF_DIAG_WARNING, "");
    expect("deny 192.0.2.0/29\nallow 192.0.2.0/28\n", CONF_DIAG_WARNING, "");
    /* chrony.conf(5)'s example: order-independent, no warning. */
    expect("allow 1.2.3.4\ndeny 1.2.3.0/24\nallow 1.2.0.0/16\n", CONF_DIAG_WARNING, "");
    /* ... and its "allow all" variant wipes both. */
    expect("allow 1.2.3.4\ndeny 1.2.3.0/24\nallow all 1.2.0.0/16\n", CONF_DIAG_WARNING,
           "a.conf:3: warning: allow all 1.2.0.0/16 at a.conf:3 wipes the deny rules at a.conf:2 "
           "inside 1.2.0.0/16 (use 'allow 1.2.0.0/16' without 'all' to keep them: the most "
           "specific rule wins)\n");
}

static void a_cancelled_rule_is_reported_once(void **state)
{
    (void)state;
    expect("allow 10.0.0.0/8\ndeny 10.0.0.0/8\ndeny all\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: deny 10.0.0.0/8 at a.conf:2 overrides allow 10.0.0.0/8 at a.conf:1: "
           "the same subnet with the opposite action (the later line wins; drop one)\n");
}

static void cmd_rules_use_their_names(void **state)
{
    (void)state;
    expect("cmdallow 192.0.2.0/24\ncmddeny all\nallow 10.0.0.0/8\n", CONF_DIAG_WARNING,
           "a.conf:2: warning: cmddeny all at a.conf:2 denies everyone: it wipes the cmdallow "
           "rules at a.conf:1 (drop the line: the default is already deny)\n");
    /* NTP and command rules are separate lists. */
    expect("allow 10.0.0.0/8\ncmddeny all\n", CONF_DIAG_WARNING, "");
}

/* Beyond 4096 rules the analysis is skipped, and an info says so. */
static void many_rules_are_not_analysed(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    for (int i = 0; i < 4097; i++)
        fprintf(f, "allow 10.%d.%d.0/24\n", i / 256, i % 256);
    fputs("deny all\n", f);
    fclose(f);
    expect(text, CONF_DIAG_WARNING, "");
    expect(text, CONF_DIAG_INFO,
           "a.conf:4097: info: allow: more than 4096 allow/deny rules; not "
           "checked for rules that cancel others\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subnet_forms),
        cmocka_unit_test(subnet_errors),
        cmocka_unit_test(deny_all_wipes_allows),
        cmocka_unit_test(allow_all_wipes_denies),
        cmocka_unit_test(all_with_subnet_wipes_inside_only),
        cmocka_unit_test(same_subnet_opposite_actions),
        cmocka_unit_test(same_tree_level_later_wins),
        cmocka_unit_test(a_cancelled_rule_is_reported_once),
        cmocka_unit_test(cmd_rules_use_their_names),
        cmocka_unit_test(many_rules_are_not_analysed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
