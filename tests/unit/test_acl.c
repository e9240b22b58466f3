/* Unit tests for src/serve/acl.c: chronyd's allow/deny semantics case by case, the command
 * port's localhost rule, errors with FILE:LINE, the shadowed-rule analysis, and a
 * randomised comparison with an independent per-address model of the 4-bit table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "serve/acl.h"

#define MAX_RULES 64

struct ruleset {
    struct conf_acl acl;
    struct conf_acl_rule rules[MAX_RULES];
};

static void rs_init(struct ruleset *rs)
{
    memset(rs, 0, sizeof(*rs));
    rs->acl.rules = rs->rules;
}

/* Adds "allow|deny [all] ADDR/PREFIX" (addr NULL: no subnet, both families). */
static void add(struct ruleset *rs, bool allow, bool all, const char *addr, int prefix)
{
    assert_true(rs->acl.n_rules < MAX_RULES);
    struct conf_acl_rule *r = &rs->rules[rs->acl.n_rules++];
    memset(r, 0, sizeof(*r));
    r->allow = allow;
    r->all = all;
    r->loc.file = "test.conf";
    r->loc.line = rs->acl.n_rules;
    if (!addr) {
        r->both_families = true;
        return;
    }
    assert_int_equal(tock_ip_parse(addr, &r->ip), 0);
    r->prefix_len = prefix;
}

static void add_host(struct ruleset *rs, bool allow, const char *name)
{
    struct conf_acl_rule *r = &rs->rules[rs->acl.n_rules++];
    memset(r, 0, sizeof(*r));
    r->allow = allow;
    r->hostname = (char *)name;
    r->loc.file = "test.conf";
    r->loc.line = rs->acl.n_rules;
}

static struct acl *build(struct ruleset *rs, enum acl_kind kind)
{
    struct acl_diags d = {0};
    struct acl *acl = acl_build(&rs->acl, kind, NULL, NULL, &d);
    assert_non_null(acl);
    assert_int_equal(d.n_errors, 0);
    return acl;
}

static bool allowed(const struct acl *acl, const char *addr)
{
    struct tock_ip ip;
    assert_int_equal(tock_ip_parse(addr, &ip), 0);
    return acl_allowed(acl, &ip);
}

static void default_deny(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    struct acl *acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "10.0.0.1"));
    assert_false(allowed(acl, "127.0.0.1"));
    assert_false(allowed(acl, "::1"));
    assert_false(acl_any_allowed(acl, AF_INET));
    assert_false(acl_any_allowed(acl, AF_INET6));
    struct tock_ip unspec = {0};
    assert_false(acl_allowed(acl, &unspec));
    assert_int_equal(acl_node_count(acl), 2);
    acl_free(acl);
}

/* The tutorial's three allow lines, then the same followed by `deny all`. */
static void tutorial_allow_lines(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, true, false, "192.168.1.0", 24);
    add(&rs, true, false, "10.0.0.0", 8);
    add(&rs, true, false, "172.16.0.0", 12);
    struct acl *acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "192.168.1.5"));
    assert_true(allowed(acl, "192.168.1.255"));
    assert_false(allowed(acl, "192.168.2.1"));
    assert_true(allowed(acl, "10.0.0.0"));
    assert_true(allowed(acl, "10.255.255.255"));
    assert_false(allowed(acl, "11.0.0.0"));
    assert_true(allowed(acl, "172.16.0.1"));
    assert_true(allowed(acl, "172.31.255.255"));
    assert_false(allowed(acl, "172.32.0.0"));
    assert_false(allowed(acl, "172.15.255.255"));
    assert_false(allowed(acl, "8.8.8.8"));
    assert_false(allowed(acl, "2001:db8::1"));
    assert_true(acl_any_allowed(acl, AF_INET));
    assert_false(acl_any_allowed(acl, AF_INET6));
    acl_free(acl);

    add(&rs, false, true, NULL, 0); /* deny all */
    acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "192.168.1.5"));
    assert_false(allowed(acl, "10.1.2.3"));
    assert_false(allowed(acl, "172.16.0.1"));
    assert_false(allowed(acl, "2001:db8::1"));
    assert_false(acl_any_allowed(acl, AF_INET));
    assert_false(acl_any_allowed(acl, AF_INET6));
    assert_int_equal(acl_node_count(acl), 2); /* every narrower rule was deleted */
    acl_free(acl);
}

static void most_specific_wins_in_any_order(void **state)
{
    (void)state;
    for (int order = 0; order < 2; order++) {
        struct ruleset rs;
        rs_init(&rs);
        if (order == 0) {
            add(&rs, true, false, "10.0.0.0", 8);
            add(&rs, false, false, "10.1.0.0", 16);
            add(&rs, true, false, "10.1.2.0", 24);
        } else {
            add(&rs, true, false, "10.1.2.0", 24);
            add(&rs, false, false, "10.1.0.0", 16);
            add(&rs, true, false, "10.0.0.0", 8);
        }
        struct acl *acl = build(&rs, ACL_NTP);
        assert_true(allowed(acl, "10.2.0.1"));
        assert_false(allowed(acl, "10.1.3.4"));
        assert_true(allowed(acl, "10.1.2.3"));
        assert_false(allowed(acl, "11.1.2.3"));
        acl_free(acl);
    }
}

static void all_keyword_wipes_narrower_rules(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, false, false, "10.1.0.0", 16);
    add(&rs, true, false, "10.0.0.0", 8);
    struct acl *acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "10.1.2.3")); /* plain allow keeps the narrower deny */
    acl_free(acl);

    rs.rules[1].all = true; /* allow all 10/8 */
    acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "10.1.2.3"));
    assert_true(allowed(acl, "10.200.0.1"));
    acl_free(acl);

    /* A later narrower rule still applies after an `all`. */
    add(&rs, false, false, "10.9.9.9", 32);
    acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "10.9.9.9"));
    assert_true(allowed(acl, "10.9.9.8"));
    acl_free(acl);
}

/* Prefixes ending inside the same 4-bit level share entries: the later one wins. */
static void same_level_prefixes_later_wins(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, false, false, "10.0.0.0", 28);
    add(&rs, true, false, "10.0.0.0", 25);
    struct acl *acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "10.0.0.5")); /* /28 deny overwritten by the later /25 */
    assert_true(allowed(acl, "10.0.0.100"));
    assert_false(allowed(acl, "10.0.0.128"));
    acl_free(acl);

    rs_init(&rs);
    add(&rs, true, false, "10.0.0.0", 25);
    add(&rs, false, false, "10.0.0.0", 28);
    acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "10.0.0.5"));
    assert_false(allowed(acl, "10.0.0.15"));
    assert_true(allowed(acl, "10.0.0.16"));
    assert_true(allowed(acl, "10.0.0.127"));
    assert_false(allowed(acl, "10.0.0.128"));
    acl_free(acl);
}

/* Short forms arrive from the parser as prefixes: `1.2` is 1.2.0.0/16, `10` 10.0.0.0/8.
 * Host bits written beyond the prefix are ignored. */
static void short_forms_and_host_bits(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, true, false, "1.2.0.0", 16);
    add(&rs, true, false, "10.0.0.0", 8);
    add(&rs, true, false, "192.168.7.200", 25); /* = 192.168.7.128/25 */
    struct acl *acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "1.2.255.1"));
    assert_false(allowed(acl, "1.3.0.0"));
    assert_true(allowed(acl, "10.20.30.40"));
    assert_true(allowed(acl, "192.168.7.129"));
    assert_true(allowed(acl, "192.168.7.255"));
    assert_false(allowed(acl, "192.168.7.127"));
    acl_free(acl);
}

static void prefix_too_long_is_refused(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, true, false, "10.0.0.0", 8);
    add(&rs, true, false, "10.0.0.0", 33);
    add(&rs, false, false, "2001:db8::", 129);
    add(&rs, true, false, "10.0.0.0", -1);
    struct acl_diags d = {0};
    assert_null(acl_build(&rs.acl, ACL_NTP, NULL, NULL, &d));
    assert_int_equal(d.n_errors, 3);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.items[0].message, "Bad subnet in 10.0.0.0/33");
    assert_string_equal(d.items[0].loc.file, "test.conf");
    assert_int_equal(d.items[0].loc.line, 2);
    assert_string_equal(d.items[1].message, "Bad subnet in 2001:db8::/129");
    assert_int_equal(d.items[1].loc.line, 3);
    assert_int_equal(d.items[2].loc.line, 4);
    assert_int_equal(d.items[0].level, ACL_DIAG_ERROR);

    /* /32 and /128 are fine. */
    rs_init(&rs);
    add(&rs, true, false, "10.0.0.1", 32);
    add(&rs, true, false, "2001:db8::1", 128);
    struct acl *acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "10.0.0.1"));
    assert_false(allowed(acl, "10.0.0.2"));
    assert_true(allowed(acl, "2001:db8::1"));
    assert_false(allowed(acl, "2001:db8::2"));
    acl_free(acl);
}

static void bare_rules_cover_both_families(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, true, false, NULL, 0); /* allow */
    struct acl *acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "1.2.3.4"));
    assert_true(allowed(acl, "2001:db8::1"));
    assert_true(acl_any_allowed(acl, AF_INET6));
    acl_free(acl);

    rs_init(&rs);
    add(&rs, true, false, "0.0.0.0", 0); /* 0/0: IPv4 only */
    acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "1.2.3.4"));
    assert_true(allowed(acl, "255.255.255.255"));
    assert_false(allowed(acl, "2001:db8::1"));
    acl_free(acl);

    rs_init(&rs);
    add(&rs, true, false, "::", 0); /* ::/0: IPv6 only */
    add(&rs, false, false, "2001:db8::", 32);
    add(&rs, true, false, "2001:db8::", 33);
    acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "1.2.3.4"));
    assert_true(allowed(acl, "fe80::1"));
    assert_true(allowed(acl, "2001:db8:7fff::1"));
    assert_false(allowed(acl, "2001:db8:8000::1"));
    assert_false(acl_any_allowed(acl, AF_INET));
    acl_free(acl);
}

static void mapped_addresses_are_ipv4(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, true, false, "10.0.0.0", 8);
    add(&rs, true, false, "::ffff:192.168.0.0", 112); /* = 192.168.0.0/16 */
    struct acl *acl = build(&rs, ACL_NTP);
    assert_true(allowed(acl, "::ffff:10.1.2.3"));
    assert_false(allowed(acl, "::ffff:11.0.0.1"));
    assert_true(allowed(acl, "192.168.44.1"));
    assert_true(allowed(acl, "::ffff:192.168.44.1"));
    assert_false(allowed(acl, "::ffff:192.169.0.1"));
    acl_free(acl);
}

static void command_port_always_allows_localhost(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    struct acl *acl = build(&rs, ACL_CMD);
    assert_true(allowed(acl, "127.0.0.1"));
    assert_true(allowed(acl, "::1"));
    assert_true(allowed(acl, "::ffff:127.0.0.1"));
    assert_false(allowed(acl, "127.0.0.2")); /* exactly 127.0.0.1, as chronyd */
    assert_false(allowed(acl, "10.0.0.1"));
    acl_free(acl);

    add(&rs, true, false, "10.0.0.0", 8);
    add(&rs, false, true, NULL, 0); /* cmddeny all */
    acl = build(&rs, ACL_CMD);
    assert_true(allowed(acl, "127.0.0.1"));
    assert_true(allowed(acl, "::1"));
    assert_false(allowed(acl, "10.0.0.1"));
    acl_free(acl);

    /* The NTP table has no such exception. */
    rs_init(&rs);
    acl = build(&rs, ACL_NTP);
    assert_false(allowed(acl, "127.0.0.1"));
    acl_free(acl);
}

static int fake_resolve(void *ctx, const char *name, struct tock_ip *out)
{
    int *calls = ctx;
    (*calls)++;
    if (strcmp(name, "ntp.example") == 0)
        return tock_ip_parse("192.0.2.7", out);
    if (strcmp(name, "v6.example") == 0)
        return tock_ip_parse("2001:db8::7", out);
    return -1;
}

static void hostname_rules(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add_host(&rs, true, "ntp.example");
    add_host(&rs, true, "v6.example");
    int calls = 0;
    struct acl_diags d = {0};
    struct acl *acl = acl_build(&rs.acl, ACL_NTP, fake_resolve, &calls, &d);
    assert_non_null(acl);
    assert_int_equal(calls, 2);
    assert_true(allowed(acl, "192.0.2.7"));
    assert_false(allowed(acl, "192.0.2.8")); /* a host is a /32 */
    assert_true(allowed(acl, "2001:db8::7"));
    assert_false(allowed(acl, "2001:db8::8"));
    acl_free(acl);

    add_host(&rs, false, "nowhere.example");
    memset(&d, 0, sizeof(d));
    assert_null(acl_build(&rs.acl, ACL_NTP, fake_resolve, &calls, &d));
    assert_int_equal(d.n_errors, 1);
    assert_int_equal(d.items[0].loc.line, 3);
    assert_non_null(strstr(d.items[0].message, "nowhere.example"));
    /* Without a resolver a hostname rule cannot be built. */
    memset(&d, 0, sizeof(d));
    assert_null(acl_build(&rs.acl, ACL_NTP, NULL, NULL, &d));
    assert_int_equal(d.n_errors, 3);
}

static void shadowed_rules_are_reported(void **state)
{
    (void)state;
    struct ruleset rs;
    rs_init(&rs);
    add(&rs, true, false, "10.1.0.0", 16);    /* 1: wiped by 2 */
    add(&rs, false, true, "10.0.0.0", 8);     /* 2 */
    add(&rs, true, false, "192.168.0.0", 16); /* 3 */
    add(&rs, true, false, "192.168.1.0", 24); /* 4: redundant under 3 */
    add(&rs, false, false, "172.16.0.0", 12); /* 5: default is deny already */
    add(&rs, true, false, "192.0.2.0", 24);   /* 6: made redundant by 7 */
    add(&rs, true, true, "192.0.0.0", 16);    /* 7 */
    struct acl_diags d = {0};
    int n = acl_find_shadowed(&rs.acl, ACL_NTP, NULL, NULL, &d);
    assert_int_equal(n, 4);
    assert_int_equal(d.n, 4);
    assert_int_equal(d.items[0].loc.line, 1);
    assert_string_equal(d.items[0].message, "allow 10.1.0.0/16 has no effect: overridden by "
                                            "'deny all 10.0.0.0/8' at test.conf:2");
    assert_int_equal(d.items[1].loc.line, 4);
    assert_string_equal(d.items[1].message,
                        "allow 192.168.1.0/24 has no effect: earlier rules already decide "
                        "the same");
    assert_int_equal(d.items[2].loc.line, 5);
    assert_int_equal(d.items[3].loc.line, 6);
    assert_string_equal(d.items[3].message, "allow 192.0.2.0/24 has no effect: made redundant "
                                            "by 'allow all 192.0.0.0/16' at test.conf:7");
    assert_int_equal(d.items[3].level, ACL_DIAG_WARNING);

    /* Rules that all matter: nothing reported. */
    rs_init(&rs);
    add(&rs, true, false, "10.0.0.0", 8);
    add(&rs, false, false, "10.1.0.0", 16);
    memset(&d, 0, sizeof(d));
    assert_int_equal(acl_find_shadowed(&rs.acl, ACL_CMD, NULL, NULL, &d), 0);
    assert_int_equal(d.n, 0);

    /* A bad rule: the analysis fails with its error. */
    add(&rs, true, false, "10.0.0.0", 40);
    memset(&d, 0, sizeof(d));
    assert_int_equal(acl_find_shadowed(&rs.acl, ACL_NTP, NULL, NULL, &d), -1);
    assert_int_equal(d.n_errors, 1);
}

/* ---- randomised comparison with an independent model ----
 *
 * For one address, chronyd's table is a path of entries, one per 4-bit level. A rule
 * whose subnet contains the address sets the entry of level ceil(prefix / 4) on that
 * path (level 0 is the root); `all` also clears every deeper entry on the path. The
 * decision is the deepest entry that is set (the root defaults to deny). */

enum { M_UNSET = -1, M_DENY = 0, M_ALLOW = 1 };

static bool in_subnet(const uint8_t *addr, const uint8_t *net, int prefix)
{
    for (int bit = 0; bit < prefix; bit++) {
        int a = addr[bit / 8] >> (7 - bit % 8) & 1;
        int n = net[bit / 8] >> (7 - bit % 8) & 1;
        if (a != n)
            return false;
    }
    return true;
}

static bool model_allowed(const struct ruleset *rs, int family, const uint8_t *addr)
{
    int width = family == AF_INET ? 32 : 128;
    int path[33];
    for (int i = 0; i <= width / 4; i++)
        path[i] = M_UNSET;
    path[0] = M_DENY;
    for (int i = 0; i < rs->acl.n_rules; i++) {
        const struct conf_acl_rule *r = &rs->rules[i];
        int prefix = r->both_families ? 0 : r->prefix_len;
        if (!r->both_families && (r->ip.family != family || !in_subnet(addr, r->ip.addr, prefix)))
            continue;
        int level = (prefix + 3) / 4;
        path[level] = r->allow ? M_ALLOW : M_DENY;
        if (r->all) {
            for (int k = level + 1; k <= width / 4; k++)
                path[k] = M_UNSET;
        }
    }
    int decision = M_DENY;
    for (int i = 0; i <= width / 4; i++) {
        if (path[i] != M_UNSET)
            decision = path[i];
    }
    return decision == M_ALLOW;
}

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

static void random_rules_match_model(void **state)
{
    (void)state;
    uint32_t seed = 12345;
    int checked = 0;
    for (int round = 0; round < 1500; round++) {
        int family = round % 3 == 2 ? AF_INET6 : AF_INET;
        int width = family == AF_INET ? 32 : 128;
        int bytes = width / 8;
        /* Rules cluster around a few base addresses so that they overlap. */
        uint8_t base[3][16];
        for (int b = 0; b < 3; b++)
            for (int i = 0; i < 16; i++)
                base[b][i] = (uint8_t)lcg(&seed);
        struct ruleset rs;
        rs_init(&rs);
        int n = 1 + (int)(lcg(&seed) % 10);
        for (int i = 0; i < n; i++) {
            struct conf_acl_rule *r = &rs.rules[rs.acl.n_rules++];
            memset(r, 0, sizeof(*r));
            r->allow = lcg(&seed) & 1;
            r->all = lcg(&seed) % 4 == 0;
            r->loc.line = i + 1;
            if (lcg(&seed) % 12 == 0) {
                r->both_families = true;
                continue;
            }
            r->ip.family = (uint16_t)family;
            memcpy(r->ip.addr, base[lcg(&seed) % 3], (size_t)bytes);
            r->ip.addr[lcg(&seed) % bytes] ^= (uint8_t)(1u << (lcg(&seed) % 8));
            /* Host bits beyond the prefix stay as written: both ignore them. */
            r->prefix_len = (int)(lcg(&seed) % (uint32_t)(width + 1));
        }
        struct acl *acl = build(&rs, ACL_NTP);
        for (int k = 0; k < 64; k++) {
            struct tock_ip ip = {.family = (uint16_t)family};
            memcpy(ip.addr, base[lcg(&seed) % 3], (size_t)bytes);
            int flips = (int)(lcg(&seed) % 3);
            for (int f = 0; f < flips; f++)
                ip.addr[lcg(&seed) % bytes] ^= (uint8_t)(1u << (lcg(&seed) % 8));
            bool expect = model_allowed(&rs, family, ip.addr);
            if (acl_allowed(acl, &ip) != expect) {
                char buf[TOCK_IP_STRLEN];
                fail_msg("round %d: %s expected %d", round, tock_ip_format(&ip, buf, sizeof(buf)),
                         expect);
            }
            checked++;
        }
        acl_free(acl);
    }
    assert_int_equal(checked, 1500 * 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(default_deny),
        cmocka_unit_test(tutorial_allow_lines),
        cmocka_unit_test(most_specific_wins_in_any_order),
        cmocka_unit_test(all_keyword_wipes_narrower_rules),
        cmocka_unit_test(same_level_prefixes_later_wins),
        cmocka_unit_test(short_forms_and_host_bits),
        cmocka_unit_test(prefix_too_long_is_refused),
        cmocka_unit_test(bare_rules_cover_both_families),
        cmocka_unit_test(mapped_addresses_are_ipv4),
        cmocka_unit_test(command_port_always_allows_localhost),
        cmocka_unit_test(hostname_rules),
        cmocka_unit_test(shadowed_rules_are_reported),
        cmocka_unit_test(random_rules_match_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
