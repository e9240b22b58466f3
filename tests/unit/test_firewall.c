/* Unit tests for src/ctl/firewall.c: chrony's allow/deny semantics replayed into
 * first-match firewall rules, and the nftables / ufw / firewalld text (golden files under
 * tests/golden/firewall/; TOCK_UPDATE_GOLDEN=1 rewrites them, review the diff). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "ops/firewall.h"

#define MAX_TEST_RULES 4096

static struct conf_acl_rule rule_store[MAX_TEST_RULES];
static char host_store[8][64];

static void cfg_init(struct tock_config *c)
{
    memset(c, 0, sizeof(*c));
    memset(rule_store, 0, sizeof(rule_store));
    c->port = 123;
    c->ntsport = 4460;
    c->ntp_acl.rules = rule_store;
}

/* subnet: NULL = bare, "A/N", "A" (host), or a name when it does not parse. */
static void add_rule(struct tock_config *c, bool allow, bool all, const char *subnet, int line)
{
    assert_true(c->ntp_acl.n_rules < MAX_TEST_RULES);
    struct conf_acl_rule *r = &rule_store[c->ntp_acl.n_rules++];
    memset(r, 0, sizeof(*r));
    r->allow = allow;
    r->all = all;
    r->loc.file = "tock.conf";
    r->loc.line = line;
    if (!subnet) {
        r->both_families = true;
        return;
    }
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", subnet);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash = '\0';
    if (tock_ip_parse(buf, &r->ip) == 0) {
        r->prefix_len = slash ? atoi(slash + 1) : (r->ip.family == AF_INET ? 32 : 128);
        return;
    }
    int slot = line % 8;
    snprintf(host_store[slot], sizeof(host_store[slot]), "%s", subnet);
    r->hostname = host_store[slot];
}

static struct tock_ip ip_of(const char *text)
{
    struct tock_ip ip;
    assert_int_equal(tock_ip_parse(text, &ip), 0);
    return ip;
}

static bool allows(const struct tock_config *c, const char *addr)
{
    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(c, NULL, &plan, &err), 0);
    struct tock_ip ip = ip_of(addr);
    bool r = firewall_plan_allows(&plan, &ip);
    firewall_plan_free(&plan);
    return r;
}

/* Renders into a heap string (caller frees). Returns the render's return code. */
static int render(const struct tock_config *c, enum fw_kind kind, const struct fw_options *o,
                  char **text, struct fw_error *err)
{
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    assert_non_null(f);
    int rc = firewall_render(c, kind, o, f, err);
    fclose(f);
    return rc;
}

static const char *kind_ext(enum fw_kind kind)
{
    return kind == FW_NFTABLES ? "nft" : kind == FW_UFW ? "ufw" : "firewalld";
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    int ch;
    while ((ch = fgetc(f)) != EOF) {
        if (n + 2 > cap) {
            cap = cap ? cap * 2 : 4096;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        buf[n++] = (char)ch;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[n] = '\0';
    return buf;
}

static void golden_dir(char *out, size_t len)
{
    const char *env = getenv("TOCK_GOLDEN_DIR");
    if (env)
        snprintf(out, len, "%s", env);
    else
        snprintf(out, len, "tests/golden/firewall"); /* make runs the tests from the root */
}

/* Compares the rendered text with tests/golden/firewall/NAME.EXT. */
static void check_golden(const struct tock_config *c, enum fw_kind kind, const struct fw_options *o,
                         const char *name)
{
    char *text = NULL;
    struct fw_error err;
    assert_int_equal(render(c, kind, o, &text, &err), 0);
    char dir[512], path[640];
    golden_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s.%s", dir, name, kind_ext(kind));
    if (getenv("TOCK_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(text, f);
        fclose(f);
    }
    char *want = read_file(path);
    if (!want)
        fail_msg("missing golden file %s (run from the repository root)", path);
    if (strcmp(want, text) != 0) {
        fprintf(stderr, "--- %s\n%s--- rendered\n%s", path, want, text);
        fail_msg("output differs from %s", path);
    }
    free(want);
    free(text);
}

static void check_golden_all(const struct tock_config *c, const struct fw_options *o,
                             const char *name)
{
    check_golden(c, FW_NFTABLES, o, name);
    check_golden(c, FW_UFW, o, name);
    check_golden(c, FW_FIREWALLD, o, name);
}

static const struct fw_options with_source = {.source_name = "/etc/tock/tock.conf"};

/* ---- semantics ---------------------------------------------------------------------- */

static void tutorial_three_subnets(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "192.168.1.0/24", 10);
    add_rule(&c, true, false, "10.0.0.0/8", 11);
    add_rule(&c, true, false, "172.16.0.0/12", 12);
    assert_true(allows(&c, "192.168.1.77"));
    assert_true(allows(&c, "10.200.3.4"));
    assert_true(allows(&c, "172.31.255.255"));
    assert_false(allows(&c, "172.32.0.1"));
    assert_false(allows(&c, "192.168.2.1"));
    assert_false(allows(&c, "2001:db8::1"));
    assert_false(allows(&c, "8.8.8.8"));

    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.n_regions, 3);
    assert_int_equal(plan.n_allow, 3);
    assert_int_equal(plan.udp_port, 123);
    assert_int_equal(plan.tcp_port, 0);
    /* Most specific first. */
    assert_int_equal(plan.regions[0].prefix_len, 24);
    assert_int_equal(plan.regions[1].prefix_len, 12);
    assert_int_equal(plan.regions[2].prefix_len, 8);
    firewall_plan_free(&plan);

    check_golden_all(&c, &with_source, "tutorial");
}

/* The tutorial's second block ends with "deny all": it wipes the allows. */
static void tutorial_deny_all_serves_nobody(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "192.168.1.0/24", 1);
    add_rule(&c, true, false, "10.0.0.0/8", 2);
    add_rule(&c, true, false, "172.16.0.0/12", 3);
    add_rule(&c, false, true, NULL, 4);
    assert_false(allows(&c, "192.168.1.1"));
    assert_false(allows(&c, "10.0.0.1"));
    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.n_allow, 0);
    assert_int_equal(plan.udp_port, 0);
    firewall_plan_free(&plan);
    char *text = NULL;
    assert_int_equal(render(&c, FW_UFW, NULL, &text, &err), 0);
    assert_null(strstr(text, "ufw allow"));
    assert_null(strstr(text, "ufw deny"));
    assert_non_null(strstr(text, "nothing to open"));
    free(text);
}

/* A deny hole inside an allowed subnet, and an allow inside the hole. */
static void deny_hole(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 3);
    add_rule(&c, false, false, "10.1.0.0/16", 4);
    add_rule(&c, true, false, "10.1.2.0/24", 5);
    assert_true(allows(&c, "10.0.0.1"));
    assert_true(allows(&c, "10.2.0.1"));
    assert_false(allows(&c, "10.1.0.1"));
    assert_false(allows(&c, "10.1.255.255"));
    assert_true(allows(&c, "10.1.2.3"));
    assert_false(allows(&c, "11.0.0.1"));

    /* Order does not matter for plain rules: the most specific one wins. */
    struct tock_config d;
    cfg_init(&d);
    add_rule(&d, true, false, "10.1.2.0/24", 5);
    add_rule(&d, false, false, "10.1.0.0/16", 4);
    add_rule(&d, true, false, "10.0.0.0/8", 3);
    assert_true(allows(&d, "10.1.2.3"));
    assert_false(allows(&d, "10.1.3.3"));
    assert_true(allows(&d, "10.9.3.3"));

    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 3);
    add_rule(&c, false, false, "10.1.0.0/16", 4);
    add_rule(&c, true, false, "10.1.2.0/24", 5);
    check_golden_all(&c, &with_source, "deny-hole");
}

/* "all" wipes the narrower rules below it; a later plain rule does not. */
static void all_wipes_narrower_rules(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, false, false, "10.1.0.0/16", 1);
    add_rule(&c, true, true, "10.0.0.0/8", 2);
    assert_true(allows(&c, "10.1.0.1"));

    cfg_init(&c);
    add_rule(&c, false, false, "10.1.0.0/16", 1);
    add_rule(&c, true, false, "10.0.0.0/8", 2);
    assert_false(allows(&c, "10.1.0.1"));
    assert_true(allows(&c, "10.2.0.1"));

    /* allow all (bare) after denies: everything, both families. */
    cfg_init(&c);
    add_rule(&c, false, false, "10.1.0.0/16", 1);
    add_rule(&c, false, false, "2001:db8::/32", 2);
    add_rule(&c, true, true, NULL, 3);
    assert_true(allows(&c, "10.1.0.1"));
    assert_true(allows(&c, "2001:db8::5"));

    /* deny all SUBNET wipes the allows inside it only. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.1.0.0/16", 1);
    add_rule(&c, true, false, "192.168.0.0/16", 2);
    add_rule(&c, false, true, "10.0.0.0/8", 3);
    assert_false(allows(&c, "10.1.0.1"));
    assert_true(allows(&c, "192.168.4.4"));
}

/* chrony's tree has 4 bits per level: a /25 and a /28 set the same entries, so the later
 * rule wins there even though the /28 is more specific (inventory 1.3). Worked out from
 * addrfilt.c: /28 walks 7 nibbles and sets entry 0 of the 7th table; /25 walks 6 nibbles and
 * sets entries 0..7 of that same table. */
static void same_level_quirk(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/25", 1);
    add_rule(&c, false, false, "10.0.0.0/28", 2);
    assert_false(allows(&c, "10.0.0.1"));
    assert_true(allows(&c, "10.0.0.16"));
    assert_true(allows(&c, "10.0.0.127"));
    assert_false(allows(&c, "10.0.0.128"));

    cfg_init(&c);
    add_rule(&c, false, false, "10.0.0.0/28", 2);
    add_rule(&c, true, false, "10.0.0.0/25", 1);
    assert_true(allows(&c, "10.0.0.1")); /* the /25 overwrote the /28 */

    /* A /29 is one level deeper than the /25's entries: most specific wins again. */
    cfg_init(&c);
    add_rule(&c, false, false, "10.0.0.0/29", 2);
    add_rule(&c, true, false, "10.0.0.0/25", 1);
    assert_false(allows(&c, "10.0.0.1"));
    assert_true(allows(&c, "10.0.0.8"));
}

/* A /25 is one region, not the eight /28 entries it is stored as. */
static void regions_are_merged(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.128/25", 1);
    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.n_regions, 1);
    assert_int_equal(plan.regions[0].prefix_len, 25);
    char buf[TOCK_IP_STRLEN];
    assert_string_equal(tock_ip_format(&plan.regions[0].net, buf, sizeof(buf)), "10.0.0.128");
    firewall_plan_free(&plan);

    /* Two /9 halves set by two rules: two regions, each credited to its own rule. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/9", 1);
    add_rule(&c, true, false, "10.128.0.0/9", 2);
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.n_regions, 2);
    assert_int_equal(plan.regions[0].prefix_len, 9);
    assert_int_equal(plan.regions[0].rule, 0);
    assert_int_equal(plan.regions[1].rule, 1);
    firewall_plan_free(&plan);

    /* A redundant narrower allow inside an allow adds no rule. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    add_rule(&c, true, false, "10.1.0.0/16", 2);
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.n_regions, 1);
    firewall_plan_free(&plan);
}

/* Host bits as written are cleared (10.0.0.200/25 is 10.0.0.128/25). */
static void host_bits_cleared(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.200/25", 1);
    add_rule(&c, true, false, "192.168.7.7/16", 2);
    assert_true(allows(&c, "10.0.0.130"));
    assert_false(allows(&c, "10.0.0.127"));
    assert_true(allows(&c, "192.168.200.1"));
    char *text = NULL;
    struct fw_error err;
    assert_int_equal(render(&c, FW_NFTABLES, NULL, &text, &err), 0);
    assert_non_null(strstr(text, "ip saddr 10.0.0.128/25 udp dport 123 accept"));
    assert_non_null(strstr(text, "ip saddr 192.168.0.0/16 udp dport 123 accept"));
    free(text);
}

static void ipv6(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "2001:db8::/32", 1);
    add_rule(&c, false, false, "2001:db8:bad::/48", 2);
    add_rule(&c, true, false, "fd00:1234::/30", 3);
    add_rule(&c, true, false, "192.168.1.0/24", 4);
    assert_true(allows(&c, "2001:db8:1::1"));
    assert_false(allows(&c, "2001:db8:bad::1"));
    assert_true(allows(&c, "2001:db8:bae::1"));
    assert_true(allows(&c, "fd00:1237:ffff::1"));
    assert_false(allows(&c, "fd00:1238::1"));
    assert_false(allows(&c, "2001:db9::1"));
    /* An IPv4-mapped source is checked as IPv4 (separate sockets in tockd). */
    assert_true(allows(&c, "::ffff:192.168.1.9"));

    check_golden_all(&c, &with_source, "ipv6");

    /* A rule written on an IPv4-mapped prefix stays an IPv6 rule, as in chrony's table:
     * IPv4 clients arrive as IPv4, so it opens nothing for them. */
    struct tock_config m;
    cfg_init(&m);
    add_rule(&m, true, false, "::ffff:10.0.0.0/104", 1);
    assert_false(allows(&m, "10.0.0.1"));
    assert_false(allows(&m, "::ffff:10.0.0.1"));
}

/* Bare allow: all IPv4 and all IPv6. */
static void bare_allow(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, NULL, 1);
    add_rule(&c, false, false, "10.0.0.0/8", 2);
    assert_true(allows(&c, "8.8.8.8"));
    assert_true(allows(&c, "2606:4700::1"));
    assert_false(allows(&c, "10.0.0.1"));
    check_golden_all(&c, &with_source, "bare-allow");
}

static void port_zero_opens_nothing(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    c.port = 0;
    add_rule(&c, true, false, "192.168.1.0/24", 1);
    assert_false(allows(&c, "192.168.1.1"));
    char *text = NULL;
    struct fw_error err;
    assert_int_equal(render(&c, FW_NFTABLES, NULL, &text, &err), 0);
    assert_null(strstr(text, "\ntable"));
    assert_null(strstr(text, "accept"));
    free(text);
    assert_int_equal(render(&c, FW_FIREWALLD, NULL, &text, &err), 0);
    assert_null(strstr(text, "\nfirewall-cmd"));
    free(text);
    check_golden_all(&c, &with_source, "port0");
}

static void no_allow_opens_nothing(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, false, false, "10.0.0.0/8", 1);
    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.n_regions, 0);
    assert_int_equal(plan.udp_port, 0);
    firewall_plan_free(&plan);
}

static void nts_opens_tcp(void **state)
{
    (void)state;
    struct tock_config c;
    struct conf_nts_certkey ck = {.cert = "/etc/tock/c.pem", .key = "/etc/tock/k.pem"};
    cfg_init(&c);
    c.nts_certkeys = &ck;
    c.n_nts_certkeys = 1;
    c.ntsport = 4460;
    add_rule(&c, true, false, "192.168.1.0/24", 1);
    add_rule(&c, false, false, "192.168.1.128/25", 2);
    add_rule(&c, true, false, "2001:db8::/32", 3);
    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
    assert_int_equal(plan.tcp_port, 4460);
    firewall_plan_free(&plan);
    check_golden_all(&c, &with_source, "nts");

    /* Without a certificate there is no NTS-KE server, so no TCP rule. */
    c.n_nts_certkeys = 0;
    char *text = NULL;
    assert_int_equal(render(&c, FW_NFTABLES, NULL, &text, &err), 0);
    assert_null(strstr(text, "tcp"));
    free(text);
}

static void rate_and_notrack(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    add_rule(&c, true, false, "192.168.1.0/24", 10);
    add_rule(&c, true, false, "10.0.0.0/8", 11);
    add_rule(&c, false, false, "10.66.0.0/16", 12);
    struct fw_options o = {.source_name = "/etc/tock/tock.conf", .notrack = true};
    assert_int_equal(firewall_parse_rate("100/second", &o), 0);
    check_golden_all(&c, &o, "rate");

    char *text = NULL;
    struct fw_error err;
    o.notrack = false;
    assert_int_equal(firewall_parse_rate("600/minute", &o), 0);
    assert_int_equal(render(&c, FW_FIREWALLD, &o, &text, &err), 0);
    assert_non_null(strstr(text, "accept limit value=\"600/m\""));
    /* A drop never carries a limit. */
    assert_null(strstr(text, "drop limit"));
    free(text);
    assert_int_equal(render(&c, FW_NFTABLES, &o, &text, &err), 0);
    assert_non_null(strstr(text, "limit rate 600/minute accept"));
    assert_null(strstr(text, "notrack"));
    free(text);
}

static int fake_resolve(void *ctx, const char *host, struct tock_ip *out)
{
    (void)ctx;
    if (strcmp(host, "client.example") == 0)
        return tock_ip_parse("192.0.2.10", out);
    if (strcmp(host, "bad.example") == 0)
        return tock_ip_parse("10.9.9.9", out);
    if (strcmp(host, "mapped.example") == 0)
        return tock_ip_parse("::ffff:10.9.9.8", out);
    return -1;
}

static void hostnames(void **state)
{
    (void)state;
    struct tock_config c;
    struct fw_error err;
    struct fw_plan plan;
    char *text = NULL;

    /* Unresolved allow by name: left out (narrower), said in a comment. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    add_rule(&c, true, false, "client.example", 2);
    assert_int_equal(render(&c, FW_NFTABLES, &with_source, &text, &err), 0);
    assert_non_null(strstr(text, "# allow client.example (tock.conf:2): a hostname that was "
                                 "not resolved, so it is NOT opened here"));
    assert_null(strstr(text, "192.0.2.10"));
    free(text);

    /* Unresolved deny by name: refused (leaving it out would be wider). */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    add_rule(&c, false, false, "bad.example", 2);
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);
    assert_int_equal(err.loc.line, 2);
    assert_non_null(strstr(err.message, "bad.example"));
    text = NULL;
    assert_int_equal(render(&c, FW_UFW, NULL, &text, &err), -1);
    assert_string_equal(text, "");
    free(text);

    /* With a resolver: the first address, as a host rule. */
    struct fw_options o = {.resolve = fake_resolve};
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    add_rule(&c, false, false, "bad.example", 2);
    add_rule(&c, true, false, "client.example", 3);
    add_rule(&c, false, false, "mapped.example", 4);
    assert_int_equal(firewall_plan(&c, &o, &plan, &err), 0);
    assert_int_equal(plan.n_hosts, 3);
    struct tock_ip ip = ip_of("10.9.9.9");
    assert_false(firewall_plan_allows(&plan, &ip));
    ip = ip_of("10.9.9.8");
    assert_false(firewall_plan_allows(&plan, &ip));
    ip = ip_of("10.9.9.10");
    assert_true(firewall_plan_allows(&plan, &ip));
    ip = ip_of("192.0.2.10");
    assert_true(firewall_plan_allows(&plan, &ip));
    ip = ip_of("192.0.2.11");
    assert_false(firewall_plan_allows(&plan, &ip));
    firewall_plan_free(&plan);
    o.source_name = "/etc/tock/tock.conf";
    check_golden(&c, FW_NFTABLES, &o, "hostnames");
}

static void bad_input(void **state)
{
    (void)state;
    struct tock_config c;
    struct fw_error err;
    struct fw_plan plan;
    char *text = NULL;

    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/33", 7);
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);
    assert_int_equal(err.loc.line, 7);
    assert_string_equal(err.loc.file, "tock.conf");
    assert_string_equal(err.message, "bad subnet 10.0.0.0/33: prefix longer than 32");

    cfg_init(&c);
    add_rule(&c, true, false, "2001:db8::/129", 8);
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);
    assert_string_equal(err.message, "bad subnet 2001:db8::/129: prefix longer than 128");

    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    rule_store[0].prefix_len = -1;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);

    /* No family and no name. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    memset(&rule_store[0].ip, 0, sizeof(rule_store[0].ip));
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);

    cfg_init(&c);
    c.port = 70000;
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);

    /* A zone name goes into a shell command: only plain names. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    struct fw_options o = {.firewalld_zone = "public; rm -rf /"};
    assert_int_equal(render(&c, FW_FIREWALLD, &o, &text, &err), -1);
    free(text);
    o.firewalld_zone = "internal";
    assert_int_equal(render(&c, FW_FIREWALLD, &o, &text, &err), 0);
    assert_non_null(strstr(text, "firewall-cmd --permanent --zone=internal --add-rich-rule="));
    free(text);

    /* A hostile hostname or file name cannot break out of a comment or a quote. */
    cfg_init(&c);
    add_rule(&c, true, false, "10.0.0.0/8", 1);
    add_rule(&c, true, false, "x';reboot;'\nevil", 2);
    rule_store[0].loc.file = "a'b\nc.conf";
    assert_int_equal(render(&c, FW_UFW, NULL, &text, &err), 0);
    assert_null(strstr(text, "reboot;"));
    assert_null(strstr(text, "a'b"));
    assert_non_null(strstr(text, "(a?b?c.conf:1)'"));
    free(text);
}

/* More rules than the tree bound: a clear error, not unbounded memory. */
static void tree_bound(void **state)
{
    (void)state;
    struct tock_config c;
    cfg_init(&c);
    uint32_t x = 12345;
    for (int i = 0; i < MAX_TEST_RULES; i++) {
        char buf[64];
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        snprintf(buf, sizeof(buf), "2001:db8:%x:%x:%x:%x:%x:%x", x & 0xffff, x >> 16, i, x & 0xfff,
                 (x >> 5) & 0xffff, i ^ 0x5a5a);
        add_rule(&c, true, false, buf, i + 1);
    }
    struct fw_plan plan;
    struct fw_error err;
    assert_int_equal(firewall_plan(&c, NULL, &plan, &err), -1);
    firewall_plan_free(&plan);
    assert_non_null(strstr(err.message, "too many"));
}

/* ---- an independent model, for nibble-aligned prefixes -----------------------------------
 * Rules in file order; "all" removes the earlier rules strictly inside it; an address gets
 * the longest active rule that contains it, the later one on a tie; default deny. For
 * prefixes that are multiples of 4 this is what chrony's tree computes. */

struct model_rule {
    int family; /* AF_INET, AF_INET6, 0 = both */
    uint8_t addr[16];
    int len;
    bool allow;
    bool active;
};

static bool model_contains(const struct model_rule *r, const struct tock_ip *ip)
{
    if (r->family != 0 && r->family != ip->family)
        return false;
    for (int b = 0; b < r->len; b++) {
        uint8_t m = (uint8_t)(0x80u >> (b % 8));
        if ((r->addr[b / 8] & m) != (ip->addr[b / 8] & m))
            return false;
    }
    return true;
}

static bool model_inside(const struct model_rule *inner, const struct model_rule *outer)
{
    if (inner->len < outer->len)
        return false;
    if (outer->family == 0)
        return true;
    if (inner->family != outer->family)
        return false;
    struct tock_ip ip = {.family = (uint16_t)inner->family};
    memcpy(ip.addr, inner->addr, 16);
    return model_contains(outer, &ip);
}

static bool model_allows(const struct model_rule *rules, int n, const struct tock_ip *ip)
{
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!rules[i].active || !model_contains(&rules[i], ip))
            continue;
        if (best < 0 || rules[i].len >= rules[best].len)
            best = i;
    }
    return best >= 0 && rules[best].allow;
}

static uint32_t rng_state = 0x9e3779b9u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void random_byte_address(int family, uint8_t *addr)
{
    static const uint8_t pool[] = {0x00, 0x01, 0x10, 0x11, 0xa0, 0xff};
    memset(addr, 0, 16);
    for (int i = 0; i < (family == AF_INET ? 4 : 16); i++)
        addr[i] = pool[rnd() % sizeof(pool)];
}

static void matches_independent_model(void **state)
{
    (void)state;
    static struct model_rule model[64];
    for (int round = 0; round < 300; round++) {
        struct tock_config c;
        cfg_init(&c);
        int n = 1 + (int)(rnd() % 24);
        for (int i = 0; i < n; i++) {
            struct model_rule *m = &model[i];
            memset(m, 0, sizeof(*m));
            m->allow = rnd() % 3 != 0;
            bool all = rnd() % 6 == 0;
            struct conf_acl_rule *r = &rule_store[c.ntp_acl.n_rules++];
            memset(r, 0, sizeof(*r));
            r->allow = m->allow;
            r->all = all;
            r->loc.line = i + 1;
            if (rnd() % 12 == 0) {
                r->both_families = true;
                m->family = 0;
                m->len = 0;
            } else {
                int family = rnd() % 4 == 0 ? AF_INET6 : AF_INET;
                int width = family == AF_INET ? 32 : 128;
                m->family = family;
                m->len = 4 * (int)(rnd() % (unsigned)(width / 4 + 1));
                random_byte_address(family, m->addr);
                for (int b = m->len; b < width; b++)
                    m->addr[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
                r->ip.family = (uint16_t)family;
                memcpy(r->ip.addr, m->addr, 16);
                r->prefix_len = m->len;
            }
            if (all) {
                for (int j = 0; j < i; j++) {
                    if (model[j].active && model_inside(&model[j], m))
                        model[j].active = false;
                }
            }
            m->active = true;
        }

        struct fw_plan plan;
        struct fw_error err;
        assert_int_equal(firewall_plan(&c, NULL, &plan, &err), 0);
        /* Most specific first within each family (the order the renderers write). */
        for (int i = 1; i < plan.n_regions; i++) {
            if (plan.regions[i].net.family == plan.regions[i - 1].net.family)
                assert_true(plan.regions[i].prefix_len <= plan.regions[i - 1].prefix_len);
        }
        for (int probe = 0; probe < 400; probe++) {
            struct tock_ip ip = {0};
            if (probe < 2 * n) {
                /* The edges of each rule: its first address, and its last address with
                 * the last prefix bit flipped (just outside it). */
                const struct model_rule *m = &model[probe / 2];
                ip.family = m->family ? (uint16_t)m->family : AF_INET;
                memcpy(ip.addr, m->addr, 16);
                if (probe % 2 && m->len > 0) {
                    int width = ip.family == AF_INET ? 32 : 128;
                    for (int b = m->len; b < width; b++)
                        ip.addr[b / 8] |= (uint8_t)(0x80u >> (b % 8));
                    ip.addr[(m->len - 1) / 8] ^= (uint8_t)(0x80u >> ((m->len - 1) % 8));
                }
            } else {
                ip.family = rnd() % 4 == 0 ? AF_INET6 : AF_INET;
                random_byte_address(ip.family, ip.addr);
            }
            bool want = model_allows(model, n, &ip);
            if (firewall_plan_allows(&plan, &ip) != want) {
                char buf[TOCK_IP_STRLEN];
                fail_msg("round %d: %s: model says %s", round,
                         tock_ip_format(&ip, buf, sizeof(buf)), want ? "allow" : "deny");
            }
        }
        firewall_plan_free(&plan);
    }
}

static void names_and_rates(void **state)
{
    (void)state;
    enum fw_kind k;
    assert_int_equal(firewall_kind_from_name("nftables", &k), 0);
    assert_int_equal(k, FW_NFTABLES);
    assert_int_equal(firewall_kind_from_name("ufw", &k), 0);
    assert_int_equal(k, FW_UFW);
    assert_int_equal(firewall_kind_from_name("firewalld", &k), 0);
    assert_int_equal(k, FW_FIREWALLD);
    assert_int_equal(firewall_kind_from_name("iptables", &k), -1);

    struct fw_options o = {0};
    assert_int_equal(firewall_parse_rate("16/second", &o), 0);
    assert_int_equal(o.rate, 16);
    assert_int_equal(o.rate_unit, FW_RATE_SECOND);
    assert_int_equal(firewall_parse_rate("5/m", &o), 0);
    assert_int_equal(o.rate, 5);
    assert_int_equal(o.rate_unit, FW_RATE_MINUTE);
    assert_int_equal(firewall_parse_rate("1000000/s", &o), 0);
    assert_int_equal(o.rate, 1000000);
    const char *bad[] = {"",        "0/second",       "-1/second",
                         "10",      "10/hour",        "10/second ",
                         "/second", "1000001/second", "99999999999999999999/s",
                         "10/",     "x/second"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        o.rate = 7;
        assert_int_equal(firewall_parse_rate(bad[i], &o), -1);
        assert_int_equal(o.rate, 7);
    }
    assert_int_equal(firewall_parse_rate(NULL, &o), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tutorial_three_subnets),
        cmocka_unit_test(tutorial_deny_all_serves_nobody),
        cmocka_unit_test(deny_hole),
        cmocka_unit_test(all_wipes_narrower_rules),
        cmocka_unit_test(same_level_quirk),
        cmocka_unit_test(regions_are_merged),
        cmocka_unit_test(host_bits_cleared),
        cmocka_unit_test(ipv6),
        cmocka_unit_test(bare_allow),
        cmocka_unit_test(port_zero_opens_nothing),
        cmocka_unit_test(no_allow_opens_nothing),
        cmocka_unit_test(nts_opens_tcp),
        cmocka_unit_test(rate_and_notrack),
        cmocka_unit_test(hostnames),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(tree_bound),
        cmocka_unit_test(matches_independent_model),
        cmocka_unit_test(names_and_rates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
