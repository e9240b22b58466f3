#include "serve/acl.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Entry states. A table entry that is "as parent" inherits the decision of the nearest
 * ancestor that has one; the two roots always have one (DENY by default). */
enum { ST_DENY = 0, ST_ALLOW = 1, ST_AS_PARENT = 2 };

#define NBITS  4
#define FANOUT (1u << NBITS)
#define ROOT4  0u
#define ROOT6  1u

/* One table entry. `child` is the index of the first of its FANOUT children in the node
 * array, or 0 for none (index 0 is the IPv4 root, never anyone's child). */
struct acl_node {
    uint32_t child;
    uint8_t state;
};

struct acl {
    enum acl_kind kind;
    struct acl_node *nodes;
    uint32_t n_nodes;
    uint32_t cap_nodes;
    uint32_t free_groups; /* freed child groups, linked through their first node's child */
    uint32_t n_free;      /* nodes in freed groups */
    bool oom;
};

/* A rule with its hostname resolved and its family settled. */
struct resolved_rule {
    bool allow, all, both;
    struct tock_ip ip;
    int prefix;
};

/* ---- diagnostics ---- */

static void diag_add(struct acl_diags *d, enum acl_diag_level level, const struct conf_loc *loc,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void diag_add(struct acl_diags *d, enum acl_diag_level level, const struct conf_loc *loc,
                     const char *fmt, ...)
{
    if (!d)
        return;
    if (level == ACL_DIAG_ERROR)
        d->n_errors++;
    if (d->n >= ACL_MAX_DIAGS) {
        d->n_dropped++;
        return;
    }
    struct acl_diag *item = &d->items[d->n++];
    item->level = level;
    item->loc = *loc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item->message, sizeof(item->message), fmt, ap);
    va_end(ap);
}

static const char *directive_name(enum acl_kind kind, bool allow)
{
    if (kind == ACL_CMD)
        return allow ? "cmdallow" : "cmddeny";
    return allow ? "allow" : "deny";
}

/* "allow all 10.0.0.0/8", "deny", "cmdallow host.example" - the rule as written. */
static void describe_rule(const struct conf_acl_rule *r, enum acl_kind kind, char *buf, size_t len)
{
    char ip[TOCK_IP_STRLEN];
    const char *name = directive_name(kind, r->allow);
    const char *all = r->all ? " all" : "";
    if (r->both_families)
        snprintf(buf, len, "%s%s", name, all);
    else if (r->hostname)
        snprintf(buf, len, "%s%s %s", name, all, r->hostname);
    else
        snprintf(buf, len, "%s%s %s/%d", name, all, tock_ip_format(&r->ip, ip, sizeof(ip)),
                 r->prefix_len);
}

/* ---- the node array ---- */

static bool table_init(struct acl *t, enum acl_kind kind)
{
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->cap_nodes = 2 + 8 * FANOUT;
    t->nodes = calloc(t->cap_nodes, sizeof(*t->nodes));
    if (!t->nodes)
        return false;
    t->n_nodes = 2;
    t->nodes[ROOT4].state = ST_DENY;
    t->nodes[ROOT6].state = ST_DENY;
    return true;
}

static void table_release(struct acl *t)
{
    free(t->nodes);
    t->nodes = NULL;
}

/* Gives node n a group of FANOUT children that inherit its state. Returns false when out
 * of memory (the table is then left unchanged and flagged). */
static bool open_node(struct acl *t, uint32_t n)
{
    if (t->nodes[n].child)
        return true;
    uint32_t group;
    if (t->free_groups) {
        group = t->free_groups;
        t->free_groups = t->nodes[group].child;
        t->n_free -= FANOUT;
    } else {
        if (t->n_nodes > UINT32_MAX - FANOUT) {
            t->oom = true;
            return false;
        }
        if (t->n_nodes + FANOUT > t->cap_nodes) {
            uint32_t cap = t->cap_nodes * 2;
            struct acl_node *grown = realloc(t->nodes, (size_t)cap * sizeof(*grown));
            if (!grown) {
                t->oom = true;
                return false;
            }
            t->nodes = grown;
            t->cap_nodes = cap;
        }
        group = t->n_nodes;
        t->n_nodes += FANOUT;
    }
    for (uint32_t i = 0; i < FANOUT; i++) {
        t->nodes[group + i].child = 0;
        t->nodes[group + i].state = ST_AS_PARENT;
    }
    t->nodes[n].child = group;
    return true;
}

/* Deletes every rule below node n (chronyd's close_node): its children go to the free
 * list. */
static void close_node(struct acl *t, uint32_t n)
{
    uint32_t group = t->nodes[n].child;
    if (!group)
        return;
    for (uint32_t i = 0; i < FANOUT; i++)
        close_node(t, group + i);
    t->nodes[n].child = 0;
    t->nodes[group].child = t->free_groups;
    t->free_groups = group;
    t->n_free += FANOUT;
}

/* The 4 address bits starting at bit `bit` (0 = most significant of the first byte). */
static unsigned nibble(const uint8_t *addr, int bit)
{
    uint8_t byte = addr[bit / 8];
    return (bit % 8) ? (byte & 0x0f) : (byte >> 4);
}

static int family_width(int family)
{
    return family == AF_INET ? 32 : family == AF_INET6 ? 128 : 0;
}

/* Sets the entries covering addr/prefix to state under root, as chronyd's set_subnet: a
 * prefix that ends on a 4-bit boundary sets one entry; one that ends inside a level sets
 * the 2, 4 or 8 entries of that level it covers. delete_children implements `all`. */
static bool set_subnet(struct acl *t, uint32_t root, const uint8_t *addr, int prefix, uint8_t state,
                       bool delete_children)
{
    uint32_t node = root;
    int consumed = 0;
    int to_go = prefix;
    while (to_go >= (int)NBITS) {
        if (!open_node(t, node))
            return false;
        node = t->nodes[node].child + nibble(addr, consumed);
        to_go -= NBITS;
        consumed += NBITS;
    }
    if (to_go == 0) {
        if (delete_children)
            close_node(t, node);
        t->nodes[node].state = state;
        return true;
    }
    unsigned span = 1u << (NBITS - to_go);
    unsigned first = nibble(addr, consumed) & ~(span - 1);
    if (!open_node(t, node))
        return false;
    uint32_t group = t->nodes[node].child;
    for (unsigned i = 0; i < span; i++) {
        if (delete_children)
            close_node(t, group + first + i);
        t->nodes[group + first + i].state = state;
    }
    return true;
}

static bool apply_rule(struct acl *t, const struct resolved_rule *r)
{
    uint8_t state = r->allow ? ST_ALLOW : ST_DENY;
    if (r->both) {
        static const uint8_t zero[16];
        return set_subnet(t, ROOT4, zero, 0, state, r->all) &&
               set_subnet(t, ROOT6, zero, 0, state, r->all);
    }
    uint32_t root = r->ip.family == AF_INET ? ROOT4 : ROOT6;
    return set_subnet(t, root, r->ip.addr, r->prefix, state, r->all);
}

/* ---- rules ---- */

static bool is_mapped_v4(const struct tock_ip *ip)
{
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return ip->family == AF_INET6 && memcmp(ip->addr, prefix, sizeof(prefix)) == 0;
}

static bool resolve_rule(const struct conf_acl_rule *r, enum acl_kind kind, acl_resolve_fn resolve,
                         void *resolve_ctx, struct resolved_rule *out, struct acl_diags *diags)
{
    char text[160];
    memset(out, 0, sizeof(*out));
    out->allow = r->allow;
    out->all = r->all;
    if (r->both_families) {
        out->both = true;
        return true;
    }
    if (r->hostname) {
        if (!resolve || resolve(resolve_ctx, r->hostname, &out->ip) != 0 ||
            family_width(out->ip.family) == 0) {
            describe_rule(r, kind, text, sizeof(text));
            diag_add(diags, ACL_DIAG_ERROR, &r->loc, "Could not resolve %s in %s", r->hostname,
                     text);
            return false;
        }
        out->ip = tock_ip_unmap(&out->ip);
        out->prefix = family_width(out->ip.family);
        return true;
    }
    int width = family_width(r->ip.family);
    if (width == 0 || r->prefix_len < 0 || r->prefix_len > width) {
        char ip[TOCK_IP_STRLEN];
        diag_add(diags, ACL_DIAG_ERROR, &r->loc, "Bad subnet in %s/%d",
                 tock_ip_format(&r->ip, ip, sizeof(ip)), r->prefix_len);
        return false;
    }
    out->ip = r->ip;
    out->prefix = r->prefix_len;
    if (is_mapped_v4(&out->ip) && out->prefix >= 96) {
        out->ip = tock_ip_unmap(&r->ip);
        out->prefix -= 96;
    }
    return true;
}

/* Resolves every rule; returns an array of n_rules entries, or NULL with errors in diags
 * (and *failed set) if any rule is bad, or NULL without errors when out of memory. */
static struct resolved_rule *resolve_all(const struct conf_acl *rules, enum acl_kind kind,
                                         acl_resolve_fn resolve, void *resolve_ctx,
                                         struct acl_diags *diags)
{
    int n = rules && rules->n_rules > 0 ? rules->n_rules : 0;
    struct resolved_rule *rr = calloc(n > 0 ? (size_t)n : 1, sizeof(*rr));
    if (!rr)
        return NULL;
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok &= resolve_rule(&rules->rules[i], kind, resolve, resolve_ctx, &rr[i], diags);
    if (!ok) {
        free(rr);
        return NULL;
    }
    return rr;
}

/* Builds a table from rr[0..n), skipping index `skip` (-1 for none). */
static bool build_table(struct acl *t, enum acl_kind kind, const struct resolved_rule *rr, int n,
                        int skip)
{
    if (!table_init(t, kind))
        return false;
    for (int i = 0; i < n; i++) {
        if (i != skip && !apply_rule(t, &rr[i])) {
            table_release(t);
            return false;
        }
    }
    return true;
}

struct acl *acl_build(const struct conf_acl *rules, enum acl_kind kind, acl_resolve_fn resolve,
                      void *resolve_ctx, struct acl_diags *diags)
{
    static const struct conf_loc no_loc = {NULL, 0};
    int n = rules && rules->n_rules > 0 ? rules->n_rules : 0;
    struct resolved_rule *rr = resolve_all(rules, kind, resolve, resolve_ctx, diags);
    if (!rr) {
        if (!diags || diags->n_errors == 0)
            diag_add(diags, ACL_DIAG_ERROR, &no_loc, "Out of memory building access rules");
        return NULL;
    }
    struct acl *acl = malloc(sizeof(*acl));
    if (!acl || !build_table(acl, kind, rr, n, -1)) {
        diag_add(diags, ACL_DIAG_ERROR, &no_loc, "Out of memory building access rules");
        free(acl);
        free(rr);
        return NULL;
    }
    free(rr);
    return acl;
}

void acl_free(struct acl *acl)
{
    if (!acl)
        return;
    table_release(acl);
    free(acl);
}

/* ---- lookups ---- */

static bool lookup(const struct acl *t, uint32_t root, const uint8_t *addr, int width)
{
    uint32_t node = root;
    uint8_t state = t->nodes[root].state;
    int bit = 0;
    while (t->nodes[node].child && bit < width) {
        node = t->nodes[node].child + nibble(addr, bit);
        bit += NBITS;
        if (t->nodes[node].state != ST_AS_PARENT)
            state = t->nodes[node].state;
    }
    return state == ST_ALLOW;
}

static bool is_exact_localhost(const struct tock_ip *ip)
{
    static const uint8_t v6_loopback[16] = {[15] = 1};
    if (ip->family == AF_INET)
        return ip->addr[0] == 127 && ip->addr[1] == 0 && ip->addr[2] == 0 && ip->addr[3] == 1;
    if (ip->family == AF_INET6)
        return memcmp(ip->addr, v6_loopback, 16) == 0;
    return false;
}

bool acl_allowed(const struct acl *acl, const struct tock_ip *ip)
{
    if (!acl || !ip)
        return false;
    struct tock_ip u = tock_ip_unmap(ip);
    /* chronyd: "127.0.0.1 and ::1 are always allowed" on the command port - exactly
     * those two addresses, not all of 127/8. */
    if (acl->kind == ACL_CMD && is_exact_localhost(&u))
        return true;
    if (u.family == AF_INET)
        return lookup(acl, ROOT4, u.addr, 32);
    if (u.family == AF_INET6)
        return lookup(acl, ROOT6, u.addr, 128);
    return false;
}

static bool any_allowed(const struct acl *t, uint32_t node, uint8_t inherited)
{
    uint8_t state = t->nodes[node].state != ST_AS_PARENT ? t->nodes[node].state : inherited;
    uint32_t group = t->nodes[node].child;
    if (!group)
        return state == ST_ALLOW;
    for (uint32_t i = 0; i < FANOUT; i++) {
        if (any_allowed(t, group + i, state))
            return true;
    }
    return false;
}

bool acl_any_allowed(const struct acl *acl, int family)
{
    if (!acl)
        return false;
    if (family == AF_INET)
        return any_allowed(acl, ROOT4, ST_DENY);
    if (family == AF_INET6)
        return any_allowed(acl, ROOT6, ST_DENY);
    return false;
}

size_t acl_node_count(const struct acl *acl)
{
    return acl ? (size_t)acl->n_nodes - acl->n_free : 0;
}

/* ---- analysis ---- */

/* Whether two subtrees decide every address the same way. A node index of UINT32_MAX
 * stands for a virtual leaf below a node without children (it inherits). */
static bool subtree_equal(const struct acl *a, uint32_t na, uint8_t inh_a, const struct acl *b,
                          uint32_t nb, uint8_t inh_b)
{
    uint8_t sa = inh_a, sb = inh_b;
    uint32_t ga = 0, gb = 0;
    if (na != UINT32_MAX) {
        if (a->nodes[na].state != ST_AS_PARENT)
            sa = a->nodes[na].state;
        ga = a->nodes[na].child;
    }
    if (nb != UINT32_MAX) {
        if (b->nodes[nb].state != ST_AS_PARENT)
            sb = b->nodes[nb].state;
        gb = b->nodes[nb].child;
    }
    if (!ga && !gb)
        return sa == sb;
    for (uint32_t i = 0; i < FANOUT; i++) {
        if (!subtree_equal(a, ga ? ga + i : UINT32_MAX, sa, b, gb ? gb + i : UINT32_MAX, sb))
            return false;
    }
    return true;
}

static bool tables_equal(const struct acl *a, const struct acl *b)
{
    return subtree_equal(a, ROOT4, ST_DENY, b, ROOT4, ST_DENY) &&
           subtree_equal(a, ROOT6, ST_DENY, b, ROOT6, ST_DENY);
}

/* Rule i has no effect on the final table: say which later rule took it away, by
 * replaying the rules after it on the tables with and without it until they agree. */
static bool explain_shadowed(const struct conf_acl *rules, enum acl_kind kind,
                             const struct resolved_rule *rr, int i, struct acl_diags *out)
{
    const struct conf_acl_rule *rule = &rules->rules[i];
    char text[160], cause[160];
    struct acl with, without;
    if (!build_table(&with, kind, rr, i + 1, -1))
        return false;
    if (!build_table(&without, kind, rr, i, -1)) {
        table_release(&with);
        return false;
    }
    describe_rule(rule, kind, text, sizeof(text));
    int j = i;
    bool ok = true;
    while (!tables_equal(&with, &without) && ++j < rules->n_rules) {
        if (!apply_rule(&with, &rr[j]) || !apply_rule(&without, &rr[j])) {
            ok = false;
            break;
        }
    }
    if (ok && j == i) {
        diag_add(out, ACL_DIAG_WARNING, &rule->loc,
                 "%s has no effect: earlier rules already decide the same", text);
    } else if (ok && j < rules->n_rules) {
        const struct conf_acl_rule *later = &rules->rules[j];
        describe_rule(later, kind, cause, sizeof(cause));
        diag_add(out, ACL_DIAG_WARNING, &rule->loc, "%s has no effect: %s by '%s' at %s:%d", text,
                 later->allow == rule->allow ? "made redundant" : "overridden", cause,
                 later->loc.file ? later->loc.file : "?", later->loc.line);
    }
    table_release(&with);
    table_release(&without);
    return ok;
}

int acl_find_shadowed(const struct conf_acl *rules, enum acl_kind kind, acl_resolve_fn resolve,
                      void *resolve_ctx, struct acl_diags *out)
{
    int n = rules && rules->n_rules > 0 ? rules->n_rules : 0;
    if (n > ACL_ANALYSE_MAX_RULES)
        return 0;
    struct resolved_rule *rr = resolve_all(rules, kind, resolve, resolve_ctx, out);
    if (!rr)
        return -1;
    struct acl full;
    if (!build_table(&full, kind, rr, n, -1)) {
        free(rr);
        return -1;
    }
    int found = 0;
    for (int i = 0; i < n; i++) {
        struct acl without;
        if (!build_table(&without, kind, rr, n, i)) {
            found = -1;
            break;
        }
        bool same = tables_equal(&full, &without);
        table_release(&without);
        if (!same)
            continue;
        if (!explain_shadowed(rules, kind, rr, i, out)) {
            found = -1;
            break;
        }
        found++;
    }
    table_release(&full);
    free(rr);
    return found;
}
