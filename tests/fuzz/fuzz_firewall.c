/* Fuzz target for src/ctl/firewall.c: arbitrary allow/deny rule lists (any family, any
 * prefix length, "all", bare rules, hostnames) through the plan and all three renderers.
 * Checks what must hold for every input: no crash or leak, regions most specific first
 * within a family, and every allowed region's network address answered "allow" by the
 * plan's own first-match verdict unless a more specific deny region covers it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "ops/firewall.h"

#define MAX_RULES 64

static int resolve(void *ctx, const char *host, struct tock_ip *out)
{
    (void)ctx;
    if (host[0] == 'a')
        return tock_ip_parse("192.0.2.1", out);
    if (host[0] == 'b')
        return tock_ip_parse("2001:db8::1", out);
    return -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct conf_acl_rule rules[MAX_RULES];
    static char hosts[MAX_RULES][4];
    struct tock_config conf;
    memset(&conf, 0, sizeof(conf));
    memset(rules, 0, sizeof(rules));
    if (size < 2)
        return 0;
    conf.port = data[0] & 1 ? 123 : (data[0] & 2 ? 0 : 11123);
    conf.ntsport = 4460;
    conf.n_nts_certkeys = data[0] & 4 ? 1 : 0;
    struct fw_options o = {.notrack = data[0] & 8, .rate = data[0] & 16 ? 10 : 0};
    if (data[0] & 32)
        o.resolve = resolve;
    data++;
    size--;

    /* Each rule: flags byte, prefix byte, then 4 or 16 address bytes. */
    int n = 0;
    while (n < MAX_RULES && size >= 2) {
        struct conf_acl_rule *r = &rules[n];
        uint8_t flags = data[0], prefix = data[1];
        data += 2;
        size -= 2;
        r->allow = flags & 1;
        r->all = flags & 2;
        r->loc.file = "fuzz.conf";
        r->loc.line = n + 1;
        if (flags & 4) {
            r->both_families = true;
        } else if (flags & 8) {
            hosts[n][0] = (char)('a' + (flags >> 4) % 3);
            hosts[n][1] = '\0';
            r->hostname = hosts[n];
        } else {
            size_t len = flags & 16 ? 16 : 4;
            r->ip.family = len == 16 ? AF_INET6 : AF_INET;
            if (flags & 32)
                r->ip.family = AF_UNSPEC;
            size_t take = size < len ? size : len;
            memcpy(r->ip.addr, data, take);
            data += take;
            size -= take;
            r->prefix_len = (flags & 64) ? (int)prefix : (int)(prefix % (len * 8 + 1));
        }
        n++;
    }
    conf.ntp_acl.rules = rules;
    conf.ntp_acl.n_rules = n;

    struct fw_plan plan;
    struct fw_error err;
    if (firewall_plan(&conf, &o, &plan, &err) == 0) {
        for (int i = 1; i < plan.n_regions; i++) {
            if (plan.regions[i].net.family == plan.regions[i - 1].net.family &&
                plan.regions[i].prefix_len > plan.regions[i - 1].prefix_len)
                abort();
        }
        for (int i = 0; i < plan.n_regions && plan.udp_port; i++) {
            /* The first region matching a region's own network address is that region or
             * a more specific one inside it, never a shorter one. */
            const struct fw_region *g = &plan.regions[i];
            /* A rule on an IPv4-mapped IPv6 prefix stays in the IPv6 table (as in
             * chrony), where no packet ever matches it: IPv4 packets are IPv4. */
            if (tock_ip_unmap(&g->net).family != g->net.family)
                continue;
            bool v = firewall_plan_allows(&plan, &g->net);
            if (v != g->allow) {
                bool covered = false;
                for (int j = 0; j < i; j++) {
                    if (plan.regions[j].net.family == g->net.family &&
                        plan.regions[j].prefix_len > g->prefix_len)
                        covered = true;
                }
                if (!covered)
                    abort();
            }
        }
    }
    firewall_plan_free(&plan);

    for (int kind = FW_NFTABLES; kind <= FW_FIREWALLD; kind++) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (!f)
            return 0;
        firewall_render(&conf, (enum fw_kind)kind, &o, f, &err);
        fclose(f);
        free(text);
    }
    return 0;
}
