/* Firewall rules from the configuration (see firewall.h for the why). */
#include "ops/firewall.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- chrony's access tree, replayed ---------------------------------------------- */

enum { ST_DENY, ST_ALLOW, ST_AS_PARENT };

#define NIBBLES_PER_TABLE 16

struct fw_node {
    uint8_t state;
    int32_t ext;  /* table index of the 16 children, -1 = none */
    int32_t rule; /* rule that last set state, -1 = the default */
};

struct fw_tree {
    struct fw_node (*tables)[NIBBLES_PER_TABLE];
    int n_tables; /* used (including freed ones on the free list) */
    int cap;
    int free_head;          /* freed table chained through [0].ext, -1 = none */
    struct fw_node root[2]; /* [0] IPv4, [1] IPv6 */
};

/* A node is named by a reference that survives reallocation of the table array:
 * -1 = the family's root, otherwise table * 16 + slot. */
static struct fw_node *node_ref(struct fw_tree *t, int fam, int32_t ref)
{
    if (ref < 0)
        return &t->root[fam];
    return &t->tables[ref / NIBBLES_PER_TABLE][ref % NIBBLES_PER_TABLE];
}

static int table_alloc(struct fw_tree *t)
{
    int idx;
    if (t->free_head >= 0) {
        idx = t->free_head;
        t->free_head = t->tables[idx][0].ext;
        return idx;
    }
    if (t->n_tables == t->cap) {
        if (t->cap >= FW_MAX_TABLES)
            return -1;
        int ncap = t->cap ? t->cap * 2 : 64;
        if (ncap > FW_MAX_TABLES)
            ncap = FW_MAX_TABLES;
        void *p = realloc(t->tables, (size_t)ncap * sizeof(*t->tables));
        if (!p)
            return -1;
        t->tables = p;
        t->cap = ncap;
    }
    return t->n_tables++;
}

/* Gives the node 16 children that inherit its state. Returns 0 or -1 (bound reached). */
static int open_node(struct fw_tree *t, int fam, int32_t ref)
{
    if (node_ref(t, fam, ref)->ext >= 0)
        return 0;
    int idx = table_alloc(t);
    if (idx < 0)
        return -1;
    for (int i = 0; i < NIBBLES_PER_TABLE; i++)
        t->tables[idx][i] = (struct fw_node){ST_AS_PARENT, -1, -1};
    node_ref(t, fam, ref)->ext = idx;
    return 0;
}

/* Deletes every more specific rule below the node ("all"). */
static void close_node(struct fw_tree *t, int fam, int32_t ref)
{
    int32_t ext = node_ref(t, fam, ref)->ext;
    if (ext < 0)
        return;
    for (int i = 0; i < NIBBLES_PER_TABLE; i++)
        close_node(t, fam, ext * NIBBLES_PER_TABLE + i);
    t->tables[ext][0].ext = t->free_head;
    t->free_head = ext;
    node_ref(t, fam, ref)->ext = -1;
}

static unsigned nibble(const uint8_t *addr, int i)
{
    return (i % 2 == 0) ? (unsigned)(addr[i / 2] >> 4) : (unsigned)(addr[i / 2] & 0x0f);
}

static void set_nibble(uint8_t *addr, int i, unsigned v)
{
    if (i % 2 == 0)
        addr[i / 2] = (uint8_t)((addr[i / 2] & 0x0f) | (v << 4));
    else
        addr[i / 2] = (uint8_t)((addr[i / 2] & 0xf0) | (v & 0x0f));
}

static void mask_host_bits(uint8_t *addr, int width, int prefix_len)
{
    for (int bit = prefix_len; bit < width; bit++)
        addr[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
}

/* chrony's set_subnet: a prefix that is a multiple of 4 bits sets one node; otherwise the
 * 2, 4 or 8 entries it spans in the last table. Returns 0 or -1 (bound reached). */
static int set_subnet(struct fw_tree *t, int fam, const uint8_t *addr, int prefix_len,
                      uint8_t state, bool delete_children, int rule)
{
    int32_t ref = -1;
    int consumed = 0; /* nibbles */
    int to_go = prefix_len;

    while (to_go >= 4) {
        if (open_node(t, fam, ref) < 0)
            return -1;
        ref = node_ref(t, fam, ref)->ext * NIBBLES_PER_TABLE + (int32_t)nibble(addr, consumed);
        to_go -= 4;
        consumed++;
    }
    if (to_go == 0) {
        if (delete_children)
            close_node(t, fam, ref);
        struct fw_node *n = node_ref(t, fam, ref);
        n->state = state;
        n->rule = rule;
        return 0;
    }
    /* Host bits are clear, so the first entry is aligned on the span. */
    int span = 1 << (4 - to_go);
    if (open_node(t, fam, ref) < 0)
        return -1;
    int32_t first =
        node_ref(t, fam, ref)->ext * NIBBLES_PER_TABLE + (int32_t)nibble(addr, consumed);
    for (int j = 0; j < span; j++) {
        if (delete_children)
            close_node(t, fam, first + j);
        struct fw_node *n = node_ref(t, fam, first + j);
        n->state = state;
        n->rule = rule;
    }
    return 0;
}

/* ---- reading the decision back as regions ------------------------------------------ */

struct region_list {
    struct fw_region *items;
    int n, cap;
};

static int region_add(struct region_list *l, int fam, const uint8_t *addr, int prefix_len,
                      bool allow, int rule, bool more_rules)
{
    if (l->n == l->cap) {
        int ncap = l->cap ? l->cap * 2 : 32;
        void *p = realloc(l->items, (size_t)ncap * sizeof(*l->items));
        if (!p)
            return -1;
        l->items = p;
        l->cap = ncap;
    }
    struct fw_region *r = &l->items[l->n++];
    memset(r, 0, sizeof(*r));
    r->net.family = fam == 0 ? AF_INET : AF_INET6;
    memcpy(r->net.addr, addr, fam == 0 ? 4 : 16);
    r->prefix_len = prefix_len;
    r->allow = allow;
    r->rule = rule;
    r->more_rules = more_rules;
    return 0;
}

/* Emits the children of a node whose decision differs from the node's own (eff), merging
 * aligned runs of 8, 4 or 2 equal entries into one shorter prefix, then descends. Regions
 * found in this table are 1..4 bits longer than the node, those below it longer still, so
 * "most specific first" never has to order two regions of the same length that overlap. */
static int walk(struct fw_tree *t, int fam, int32_t ref, uint8_t *prefix, int depth, int eff,
                struct region_list *out)
{
    int32_t ext = node_ref(t, fam, ref)->ext;
    if (ext < 0)
        return 0;
    int ceff[NIBBLES_PER_TABLE];
    bool covered[NIBBLES_PER_TABLE] = {false};
    for (int i = 0; i < NIBBLES_PER_TABLE; i++) {
        uint8_t s = t->tables[ext][i].state;
        ceff[i] = s == ST_AS_PARENT ? eff : s;
    }
    for (int size = 8, extra = 1; size >= 1; size /= 2, extra++) {
        for (int start = 0; start < NIBBLES_PER_TABLE; start += size) {
            bool uniform = !covered[start] && ceff[start] != eff;
            bool more = false;
            for (int j = 1; uniform && j < size; j++) {
                if (covered[start + j] || ceff[start + j] != ceff[start])
                    uniform = false;
                else if (t->tables[ext][start + j].rule != t->tables[ext][start].rule)
                    more = true;
            }
            if (!uniform)
                continue;
            set_nibble(prefix, depth, (unsigned)start);
            if (region_add(out, fam, prefix, depth * 4 + extra, ceff[start] == ST_ALLOW,
                           t->tables[ext][start].rule, more) < 0)
                return -1;
            for (int j = 0; j < size; j++)
                covered[start + j] = true;
        }
    }
    for (int i = 0; i < NIBBLES_PER_TABLE; i++) {
        if (t->tables[ext][i].ext < 0)
            continue;
        set_nibble(prefix, depth, (unsigned)i);
        if (walk(t, fam, ext * NIBBLES_PER_TABLE + i, prefix, depth + 1, ceff[i], out) < 0)
            return -1;
    }
    set_nibble(prefix, depth, 0);
    return 0;
}

static int region_cmp(const void *a, const void *b)
{
    const struct fw_region *x = a, *y = b;
    if (x->net.family != y->net.family)
        return x->net.family == AF_INET ? -1 : 1;
    if (x->prefix_len != y->prefix_len)
        return y->prefix_len - x->prefix_len;
    return memcmp(x->net.addr, y->net.addr, 16);
}

/* ---- the plan ------------------------------------------------------------------------ */

static void set_error(struct fw_error *err, const struct conf_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct fw_error *err, const struct conf_loc *loc, const char *fmt, ...)
{
    if (!err)
        return;
    memset(err, 0, sizeof(*err));
    if (loc)
        err->loc = *loc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

static int host_add(struct fw_plan *plan, int rule, bool resolved, const struct tock_ip *ip)
{
    void *p = realloc(plan->hosts, (size_t)(plan->n_hosts + 1) * sizeof(*plan->hosts));
    if (!p)
        return -1;
    plan->hosts = p;
    struct fw_host *h = &plan->hosts[plan->n_hosts++];
    memset(h, 0, sizeof(*h));
    h->rule = rule;
    h->resolved = resolved;
    if (ip)
        h->ip = *ip;
    return 0;
}

/* Applies one config rule to the tree. Returns 0, 1 when the rule is left out (a name
 * that did not resolve, allow only), or -1 with err set. */
static int apply_rule(struct fw_tree *t, struct fw_plan *plan, const struct conf_acl_rule *r,
                      int index, const struct fw_options *opts, struct fw_error *err)
{
    uint8_t state = r->allow ? ST_ALLOW : ST_DENY;
    static const uint8_t zero[16];

    if (r->both_families) {
        if (set_subnet(t, 0, zero, 0, state, r->all, index) < 0 ||
            set_subnet(t, 1, zero, 0, state, r->all, index) < 0)
            goto too_big;
        return 0;
    }

    struct tock_ip ip = r->ip;
    int prefix_len = r->prefix_len;
    if (r->hostname) {
        bool ok = opts && opts->resolve && opts->resolve(opts->resolve_ctx, r->hostname, &ip) == 0;
        if (ok) {
            ip = tock_ip_unmap(&ip);
            ok = ip.family == AF_INET || ip.family == AF_INET6;
        }
        if (host_add(plan, index, ok, ok ? &ip : NULL) < 0)
            goto no_memory;
        if (!ok) {
            if (r->allow)
                return 1;
            set_error(err, &r->loc,
                      "deny %s: a hostname that was not resolved; leaving it out would open "
                      "the port wider than tockd, so no rules are written (resolve it)",
                      r->hostname);
            return -1;
        }
        prefix_len = ip.family == AF_INET ? 32 : 128;
    }

    int width;
    if (ip.family == AF_INET)
        width = 32;
    else if (ip.family == AF_INET6)
        width = 128;
    else {
        set_error(err, &r->loc, "%s rule without an address family", r->allow ? "allow" : "deny");
        return -1;
    }
    if (prefix_len < 0 || prefix_len > width) {
        char buf[TOCK_IP_STRLEN];
        set_error(err, &r->loc, "bad subnet %s/%d: prefix longer than %d",
                  tock_ip_format(&ip, buf, sizeof(buf)), prefix_len, width);
        return -1;
    }
    mask_host_bits(ip.addr, width, prefix_len);
    if (set_subnet(t, width == 32 ? 0 : 1, ip.addr, prefix_len, state, r->all, index) < 0)
        goto too_big;
    return 0;

too_big:
    set_error(err, &r->loc,
              "too many allow/deny rules for the firewall generator (bound %d "
              "tables)",
              FW_MAX_TABLES);
    return -1;
no_memory:
    set_error(err, &r->loc, "out of memory");
    return -1;
}

static bool port_valid(int port)
{
    return port >= 0 && port <= 65535;
}

int firewall_plan(const struct tock_config *conf, const struct fw_options *opts,
                  struct fw_plan *plan, struct fw_error *err)
{
    memset(plan, 0, sizeof(*plan));
    if (err)
        memset(err, 0, sizeof(*err));
    if (!port_valid(conf->port)) {
        set_error(err, &conf->port_loc, "bad port %d", conf->port);
        return -1;
    }
    if (conf->n_nts_certkeys > 0 && !port_valid(conf->ntsport)) {
        set_error(err, NULL, "bad ntsport %d", conf->ntsport);
        return -1;
    }
    if (conf->ntp_acl.n_rules < 0 || (conf->ntp_acl.n_rules > 0 && !conf->ntp_acl.rules)) {
        set_error(err, NULL, "bad allow/deny rule list");
        return -1;
    }

    struct fw_tree t = {.free_head = -1};
    for (int f = 0; f < 2; f++)
        t.root[f] = (struct fw_node){ST_DENY, -1, -1};

    int rc = 0;
    for (int i = 0; i < conf->ntp_acl.n_rules && rc == 0; i++) {
        if (apply_rule(&t, plan, &conf->ntp_acl.rules[i], i, opts, err) < 0)
            rc = -1;
    }

    struct region_list l = {0};
    for (int fam = 0; fam < 2 && rc == 0; fam++) {
        uint8_t prefix[16] = {0};
        int eff = t.root[fam].state;
        if (eff == ST_ALLOW && region_add(&l, fam, prefix, 0, true, t.root[fam].rule, false) < 0)
            rc = -1;
        if (rc == 0 && walk(&t, fam, -1, prefix, 0, eff, &l) < 0)
            rc = -1;
        if (rc < 0)
            set_error(err, NULL, "out of memory");
    }
    free(t.tables);
    if (rc < 0) {
        free(l.items);
        return -1;
    }

    if (l.n > 1)
        qsort(l.items, (size_t)l.n, sizeof(*l.items), region_cmp);
    plan->regions = l.items;
    plan->n_regions = l.n;
    for (int i = 0; i < l.n; i++)
        plan->n_allow += l.items[i].allow;
    /* No client served (port 0, no allow, or everything denied): nothing to open. */
    if (conf->port != 0 && plan->n_allow > 0) {
        plan->udp_port = conf->port;
        if (conf->n_nts_certkeys > 0)
            plan->tcp_port = conf->ntsport;
    }
    return 0;
}

void firewall_plan_free(struct fw_plan *plan)
{
    free(plan->regions);
    free(plan->hosts);
    memset(plan, 0, sizeof(*plan));
}

static bool region_contains(const struct fw_region *r, const struct tock_ip *ip)
{
    if (r->net.family != ip->family)
        return false;
    for (int bit = 0; bit < r->prefix_len; bit++) {
        uint8_t m = (uint8_t)(0x80u >> (bit % 8));
        if ((r->net.addr[bit / 8] & m) != (ip->addr[bit / 8] & m))
            return false;
    }
    return true;
}

bool firewall_plan_allows(const struct fw_plan *plan, const struct tock_ip *ip)
{
    struct tock_ip u = tock_ip_unmap(ip);
    if (plan->udp_port == 0)
        return false;
    for (int i = 0; i < plan->n_regions; i++) {
        if (region_contains(&plan->regions[i], &u))
            return plan->regions[i].allow;
    }
    return false;
}

/* ---- rendering ----------------------------------------------------------------------- */

/* Text from the config (names, file names) goes into comments and shell quotes: keep only
 * characters that can break neither. */
static void put_safe(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr("._:/@+-", c) != NULL;
        fputc(ok ? c : '?', out);
    }
}

static void put_net(FILE *out, const struct tock_ip *ip, int prefix_len)
{
    char buf[TOCK_IP_STRLEN];
    fprintf(out, "%s/%d", tock_ip_format(ip, buf, sizeof(buf)), prefix_len);
}

/* "allow 10.0.0.0/8 (tock.conf:3)": the config rule as written. */
static void put_rule(FILE *out, const struct tock_config *conf, int index)
{
    if (index < 0 || index >= conf->ntp_acl.n_rules) {
        fputs("default deny", out);
        return;
    }
    const struct conf_acl_rule *r = &conf->ntp_acl.rules[index];
    fputs(r->allow ? "allow" : "deny", out);
    if (r->all)
        fputs(" all", out);
    if (r->hostname) {
        fputc(' ', out);
        put_safe(out, r->hostname);
    } else if (!r->both_families) {
        fputc(' ', out);
        put_net(out, &r->ip, r->prefix_len);
    }
    if (r->loc.file && r->loc.line > 0) {
        fputs(" (", out);
        put_safe(out, r->loc.file);
        fprintf(out, ":%d)", r->loc.line);
    } else if (r->loc.line > 0) {
        fprintf(out, " (line %d)", r->loc.line);
    }
}

static void put_region_origin(FILE *out, const struct tock_config *conf, const struct fw_region *g)
{
    put_rule(out, conf, g->rule);
    if (g->more_rules)
        fputs(" and other rules", out);
}

static const char *rate_unit_name(const struct fw_options *o, bool short_form)
{
    if (o->rate_unit == FW_RATE_MINUTE)
        return short_form ? "m" : "minute";
    return short_form ? "s" : "second";
}

static void put_header(FILE *out, const char *what, const char *flag,
                       const struct tock_config *conf, const struct fw_plan *plan,
                       const struct fw_options *o)
{
    fprintf(out, "# tock: %s generated by tockctl firewall %s", what, flag);
    if (o->source_name) {
        fputs(" from ", out);
        put_safe(out, o->source_name);
    }
    fputs(".\n", out);
    if (plan->udp_port == 0) {
        if (conf->port == 0)
            fputs("# port 0: tockd serves no client, so there is nothing to open.\n", out);
        else
            fputs("# No allow rule lets any client in (tockd denies by default), so there is "
                  "nothing to open.\n",
                  out);
        return;
    }
    fprintf(out, "# Opens udp/%d (NTP)", plan->udp_port);
    if (plan->tcp_port)
        fprintf(out, " and tcp/%d (NTS-KE)", plan->tcp_port);
    fprintf(out,
            " to exactly the clients tockd serves under its\n"
            "# allow/deny rules, and closes %s to everyone else. Most specific first: a deny\n"
            "# hole comes before the accept of the subnet around it.\n",
            plan->tcp_port ? "them" : "it");
}

/* Hostname rules: what was done with each. */
static void put_hosts(FILE *out, const struct tock_config *conf, const struct fw_plan *plan)
{
    for (int i = 0; i < plan->n_hosts; i++) {
        const struct fw_host *h = &plan->hosts[i];
        fputs("# ", out);
        put_rule(out, conf, h->rule);
        if (h->resolved) {
            fputs(": a hostname, resolved now to ", out);
            put_net(out, &h->ip, h->ip.family == AF_INET ? 32 : 128);
            fputs("\n#   (tockd resolves it when it starts: run this again if it moves).\n", out);
        } else {
            fputs(": a hostname that was not resolved, so it is NOT opened here;\n"
                  "#   tockd serves its first address: resolve it and add that address.\n",
                  out);
        }
    }
}

/* Both families' "everything" regions are written without an address. */
static bool region_is_all(const struct fw_region *g)
{
    return g->prefix_len == 0;
}

static void render_nft(FILE *out, const struct tock_config *conf, const struct fw_plan *plan,
                       const struct fw_options *o)
{
    put_header(out, "nftables rules", "--nftables", conf, plan, o);
    put_hosts(out, conf, plan);
    if (plan->udp_port == 0) {
        fputs("# To remove rules loaded earlier: nft delete table inet tock\n", out);
        return;
    }
    fprintf(out,
            "# Load: nft -f FILE    Remove: nft delete table inet tock\n"
            "# A verdict binds only its own table: if another table drops input by default,\n"
            "# accept %s there too.\n",
            plan->tcp_port ? "these ports" : "this port");
    if (o->rate)
        fprintf(out,
                "# Each accepted subnet may send at most %u NTP packets per %s; the rest is "
                "dropped.\n",
                o->rate, rate_unit_name(o, false));
    /* Declaring then deleting the table makes the file replace an earlier version of
     * itself in one transaction. */
    fputs("table inet tock\ndelete table inet tock\ntable inet tock {\n", out);
    if (o->notrack) {
        fprintf(out,
                "\t# No connection tracking for NTP: one conntrack entry per client would fill\n"
                "\t# the table on a busy server.\n"
                "\tchain raw_prerouting {\n"
                "\t\ttype filter hook prerouting priority raw; policy accept;\n"
                "\t\tudp dport %d notrack\n"
                "\t}\n"
                "\tchain raw_output {\n"
                "\t\ttype filter hook output priority raw; policy accept;\n"
                "\t\tudp sport %d notrack\n"
                "\t}\n",
                plan->udp_port, plan->udp_port);
    }
    fputs("\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n", out);
    for (int i = 0; i < plan->n_regions; i++) {
        const struct fw_region *g = &plan->regions[i];
        bool v4 = g->net.family == AF_INET;
        fputs("\t\t# ", out);
        put_region_origin(out, conf, g);
        fputc('\n', out);
        for (int proto = 0; proto < 2; proto++) {
            int port = proto == 0 ? plan->udp_port : plan->tcp_port;
            if (port == 0)
                continue;
            if (region_is_all(g)) {
                fprintf(out, "\t\tmeta nfproto %s", v4 ? "ipv4" : "ipv6");
            } else {
                fprintf(out, "\t\t%s saddr ", v4 ? "ip" : "ip6");
                put_net(out, &g->net, g->prefix_len);
            }
            fprintf(out, " %s dport %d", proto == 0 ? "udp" : "tcp", port);
            if (g->allow && proto == 0 && o->rate)
                fprintf(out, " limit rate %u/%s", o->rate, rate_unit_name(o, false));
            fputs(g->allow ? " accept\n" : " drop\n", out);
        }
    }
    fputs("\t\t# everyone else\n", out);
    fprintf(out, "\t\tudp dport %d drop\n", plan->udp_port);
    if (plan->tcp_port)
        fprintf(out, "\t\ttcp dport %d drop\n", plan->tcp_port);
    fputs("\t}\n}\n", out);
}

static void render_ufw(FILE *out, const struct tock_config *conf, const struct fw_plan *plan,
                       const struct fw_options *o)
{
    put_header(out, "ufw commands", "--ufw", conf, plan, o);
    put_hosts(out, conf, plan);
    if (plan->udp_port == 0)
        return;
    fputs("# ufw applies the first rule that matches, in the order added: the deny holes come\n"
          "# first, then the allowed subnets, then a deny for everyone else. Check with\n"
          "# \"ufw status numbered\" that no earlier rule opens the port already: the\n"
          "# tutorial's \"ufw limit 123/udp\" (or \"ufw allow 123/udp\") opens them to every\n"
          "# address; delete it.\n",
          out);
    if (o->rate)
        fputs("# --rate is not applied: ufw has no rate for a subnet (\"ufw limit\" is a fixed\n"
              "# 6 packets in 30 s per address, too few for iburst, and opens the port to\n"
              "# everyone). Use --nftables, or tockd's ratelimit directive.\n",
              out);
    for (int i = 0; i < plan->n_regions; i++) {
        const struct fw_region *g = &plan->regions[i];
        for (int proto = 0; proto < 2; proto++) {
            int port = proto == 0 ? plan->udp_port : plan->tcp_port;
            if (port == 0)
                continue;
            fprintf(out, "ufw %s proto %s from ", g->allow ? "allow" : "deny",
                    proto == 0 ? "udp" : "tcp");
            put_net(out, &g->net, g->prefix_len);
            fprintf(out, " to any port %d comment 'tock: ", port);
            put_region_origin(out, conf, g);
            fputs("'\n", out);
        }
    }
    for (int proto = 0; proto < 2; proto++) {
        int port = proto == 0 ? plan->udp_port : plan->tcp_port;
        if (port)
            fprintf(out,
                    "ufw deny proto %s from any to any port %d comment 'tock: everyone else'\n",
                    proto == 0 ? "udp" : "tcp", port);
    }
}

static bool zone_name_valid(const char *z)
{
    size_t n = strlen(z);
    if (n == 0 || n > 32)
        return false;
    for (; *z; z++) {
        unsigned char c = (unsigned char)*z;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* Rich rules with a negative priority run before the zone's services and ports, lowest
 * first. Regions are disjoint within one prefix length, so the length alone orders
 * them: a longer prefix gets a lower number. */
static int region_priority(const struct fw_region *g)
{
    return -(g->prefix_len + 2);
}

static void render_firewalld(FILE *out, const struct tock_config *conf, const struct fw_plan *plan,
                             const struct fw_options *o)
{
    put_header(out, "firewalld commands", "--firewalld", conf, plan, o);
    put_hosts(out, conf, plan);
    if (plan->udp_port == 0)
        return;
    fputs("# Rich rules with a priority below 0 run before the zone's services and ports,\n"
          "# lowest first: each subnet gets -(prefix length + 2), so a deny hole comes before\n"
          "# the subnet around it, and priority -1 drops the port for everyone else, even\n"
          "# when the zone has the ntp service.\n",
          out);
    if (o->rate)
        fprintf(out,
                "# Each accepted subnet may send at most %u NTP packets per %s; the rest is "
                "dropped.\n",
                o->rate, rate_unit_name(o, false));
    char zone[64] = "";
    if (o->firewalld_zone)
        snprintf(zone, sizeof(zone), " --zone=%s", o->firewalld_zone);
    for (int i = 0; i < plan->n_regions; i++) {
        const struct fw_region *g = &plan->regions[i];
        fputs("# ", out);
        put_region_origin(out, conf, g);
        fputc('\n', out);
        for (int proto = 0; proto < 2; proto++) {
            int port = proto == 0 ? plan->udp_port : plan->tcp_port;
            if (port == 0)
                continue;
            fprintf(out,
                    "firewall-cmd --permanent%s --add-rich-rule='rule priority=\"%d\" "
                    "family=\"%s\"",
                    zone, region_priority(g), g->net.family == AF_INET ? "ipv4" : "ipv6");
            if (!region_is_all(g)) {
                fputs(" source address=\"", out);
                put_net(out, &g->net, g->prefix_len);
                fputc('"', out);
            }
            fprintf(out, " port port=\"%d\" protocol=\"%s\" ", port, proto == 0 ? "udp" : "tcp");
            if (!g->allow)
                fputs("drop", out);
            else if (proto == 0 && o->rate)
                fprintf(out, "accept limit value=\"%u/%s\"", o->rate, rate_unit_name(o, true));
            else
                fputs("accept", out);
            fputs("'\n", out);
        }
    }
    fputs("# everyone else\n", out);
    for (int proto = 0; proto < 2; proto++) {
        int port = proto == 0 ? plan->udp_port : plan->tcp_port;
        if (port)
            fprintf(out,
                    "firewall-cmd --permanent%s --add-rich-rule='rule priority=\"-1\" port "
                    "port=\"%d\" protocol=\"%s\" drop'\n",
                    zone, port, proto == 0 ? "udp" : "tcp");
    }
    fputs("firewall-cmd --reload\n", out);
}

int firewall_render(const struct tock_config *conf, enum fw_kind kind,
                    const struct fw_options *opts, FILE *out, struct fw_error *err)
{
    static const struct fw_options no_options;
    const struct fw_options *o = opts ? opts : &no_options;
    if (kind == FW_FIREWALLD && o->firewalld_zone && !zone_name_valid(o->firewalld_zone)) {
        set_error(err, NULL, "bad firewalld zone name (letters, digits, '_' and '-' only)");
        return -1;
    }
    if (kind != FW_NFTABLES && kind != FW_UFW && kind != FW_FIREWALLD) {
        set_error(err, NULL, "unknown firewall kind");
        return -1;
    }
    struct fw_plan plan;
    if (firewall_plan(conf, o, &plan, err) < 0) {
        firewall_plan_free(&plan);
        return -1;
    }
    switch (kind) {
    case FW_NFTABLES:
        render_nft(out, conf, &plan, o);
        break;
    case FW_UFW:
        render_ufw(out, conf, &plan, o);
        break;
    case FW_FIREWALLD:
        render_firewalld(out, conf, &plan, o);
        break;
    }
    firewall_plan_free(&plan);
    if (fflush(out) != 0 || ferror(out)) {
        set_error(err, NULL, "write error: %s", strerror(errno));
        return -1;
    }
    return 0;
}

int firewall_kind_from_name(const char *name, enum fw_kind *kind)
{
    static const struct {
        const char *name;
        enum fw_kind kind;
    } names[] = {{"nftables", FW_NFTABLES}, {"ufw", FW_UFW}, {"firewalld", FW_FIREWALLD}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *kind = names[i].kind;
            return 0;
        }
    }
    return -1;
}

int firewall_parse_rate(const char *text, struct fw_options *opts)
{
    unsigned long n = 0;
    const char *p = text;
    if (!p || *p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        n = n * 10 + (unsigned long)(*p - '0');
        if (n > 1000000)
            return -1;
    }
    if (n == 0 || *p != '/')
        return -1;
    p++;
    enum fw_rate_unit unit;
    if (strcmp(p, "second") == 0 || strcmp(p, "s") == 0)
        unit = FW_RATE_SECOND;
    else if (strcmp(p, "minute") == 0 || strcmp(p, "m") == 0)
        unit = FW_RATE_MINUTE;
    else
        return -1;
    opts->rate = (unsigned)n;
    opts->rate_unit = unit;
    return 0;
}
