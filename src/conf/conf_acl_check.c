/* Which access rules does a later rule cancel, under chrony's semantics (addrfilt.c)?
 *
 * chrony keeps the rules in a tree with 4 address bits per level. A rule for PREFIX/LEN
 * sets the state of the nodes at level LEN/4 (or, when LEN is not a multiple of 4, of the
 * 2^(4 - LEN%4) children at the next level) and keeps the more specific nodes below them, so
 * the most specific rule usually wins whatever the order. Two exceptions make a later line
 * cancel an earlier one:
 *   - "allow all X" / "deny all X" also delete every node below X: all earlier rules inside
 *     X are gone ("deny all" alone wipes everything);
 *   - a rule that ends in the same tree level as an earlier one and covers it overwrites it
 *     (the same subnet twice, or /25 after /28).
 * Only cancellations of the opposite action are reported: an "allow" overwritten by an
 * "allow" changes nothing.
 */
#include "conf/conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Beyond this many rules the quadratic analysis is skipped (and said so). */
#define ACL_CHECK_MAX 4096

struct acl_view {
    bool known; /* the rule has an address in this family */
    int len;
    const uint8_t *addr;
};

static struct acl_view view(const struct conf_acl_rule *r, int family)
{
    struct acl_view v = {0};
    int width = family == AF_INET ? 32 : 128;

    if (r->hostname)
        return v;
    if (r->both_families) {
        v.known = true;
        v.len = 0;
        v.addr = r->ip.addr;
        return v;
    }
    if (r->ip.family != family || r->prefix_len > width)
        return v;
    v.known = true;
    v.len = r->prefix_len;
    v.addr = r->ip.addr;
    return v;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
    int bytes = bits / 8, rest = bits % 8;

    if (memcmp(a, b, (size_t)bytes) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

/* The tree level whose nodes the rule sets. */
static int level(int len)
{
    return len / 4 + (len % 4 != 0);
}

static void rule_text(char *buf, size_t len, const struct conf_acl_rule *r, const char *allow_name,
                      const char *deny_name)
{
    char ip[TOCK_IP_STRLEN];
    const char *name = r->allow ? allow_name : deny_name;

    if (r->both_families)
        snprintf(buf, len, "%s%s", name, r->all ? " all" : "");
    else if (r->hostname)
        snprintf(buf, len, "%s%s %s", name, r->all ? " all" : "", r->hostname);
    else
        snprintf(buf, len, "%s%s %s/%d", name, r->all ? " all" : "",
                 tock_ip_format(&r->ip, ip, sizeof(ip)), r->prefix_len);
}

static void subnet_text(char *buf, size_t len, const struct conf_acl_rule *r)
{
    char ip[TOCK_IP_STRLEN];
    snprintf(buf, len, "%s/%d", tock_ip_format(&r->ip, ip, sizeof(ip)), r->prefix_len);
}

static void report_wipe(struct conf_diags *diags, const struct conf_acl *acl, int s,
                        const int *wiped, int n, const char *allow_name, const char *deny_name)
{
    const struct conf_acl_rule *S = &acl->rules[s];
    struct conf_sb lines = {0};
    char where[300], subnet[80];
    const char *victims = S->allow ? deny_name : allow_name;

    for (int k = 0; k < n; k++) {
        const struct conf_loc *loc = &acl->rules[wiped[k]].loc;
        const struct conf_loc *prev = k ? &acl->rules[wiped[k - 1]].loc : NULL;
        if (prev && prev->file == loc->file && prev->line == loc->line)
            continue; /* several rules from one line (a split line) */
        conf_sb_addf(&lines, "%s%s", k ? ", " : "", conf_loc_str(loc, where, sizeof(where)));
    }
    char *list = conf_sb_take(&lines);
    conf_loc_str(&S->loc, where, sizeof(where));
    if (S->both_families && !S->allow)
        conf_diag_add(diags, CONF_DIAG_WARNING, &S->loc,
                      "%s all at %s denies everyone: it wipes the %s rules at %s (drop the line: "
                      "the default is already deny)",
                      deny_name, where, victims, list ? list : "");
    else if (S->both_families)
        conf_diag_add(diags, CONF_DIAG_WARNING, &S->loc,
                      "%s all at %s allows everyone: it wipes the %s rules at %s (use '%s' "
                      "without 'all' to keep them)",
                      allow_name, where, victims, list ? list : "", allow_name);
    else {
        subnet_text(subnet, sizeof(subnet), S);
        conf_diag_add(diags, CONF_DIAG_WARNING, &S->loc,
                      "%s all %s at %s wipes the %s rules at %s inside %s (use '%s %s' without "
                      "'all' to keep them: the most specific rule wins)",
                      S->allow ? allow_name : deny_name, subnet, where, victims, list ? list : "",
                      subnet, S->allow ? allow_name : deny_name, subnet);
    }
    free(list);
}

static void report_overwrite(struct conf_diags *diags, const struct conf_acl *acl, int s, int r,
                             bool same, const char *allow_name, const char *deny_name)
{
    const struct conf_acl_rule *S = &acl->rules[s], *R = &acl->rules[r];
    char st[120], rt[120], sw[300], rw[300];

    rule_text(st, sizeof(st), S, allow_name, deny_name);
    rule_text(rt, sizeof(rt), R, allow_name, deny_name);
    conf_loc_str(&S->loc, sw, sizeof(sw));
    conf_loc_str(&R->loc, rw, sizeof(rw));
    if (same)
        conf_diag_add(diags, CONF_DIAG_WARNING, &S->loc,
                      "%s at %s overrides %s at %s: the same subnet with the opposite action (the "
                      "later line wins; drop one)",
                      st, sw, rt, rw);
    else
        conf_diag_add(diags, CONF_DIAG_WARNING, &S->loc,
                      "%s at %s overrides %s at %s: both end in the same 4-bit level of the "
                      "address tree, where the later line wins (put the narrower rule last)",
                      st, sw, rt, rw);
}

void conf_check_acl(struct conf_diags *diags, const struct conf_acl *acl, const char *allow_name,
                    const char *deny_name)
{
    static const int families[2] = {AF_INET, AF_INET6};
    int n = acl->n_rules;

    if (n < 2)
        return;
    if (n > ACL_CHECK_MAX) {
        conf_diag_add(diags, CONF_DIAG_INFO, &acl->rules[ACL_CHECK_MAX].loc,
                      "%s: more than %d %s/%s rules; not checked for rules that cancel others",
                      allow_name, ACL_CHECK_MAX, allow_name, deny_name);
        return;
    }
    /* dead[i*2+f]: rule i no longer has any effect in family f. */
    bool *dead = calloc((size_t)n * 2, sizeof(*dead));
    int *wiped = malloc((size_t)n * sizeof(*wiped));
    bool *reported = calloc((size_t)n, sizeof(*reported));
    if (!dead || !wiped || !reported)
        goto out;

    for (int s = 1; s < n; s++) {
        const struct conf_acl_rule *S = &acl->rules[s];
        int n_wiped = 0;
        memset(reported, 0, (size_t)n * sizeof(*reported));
        for (int f = 0; f < 2; f++) {
            struct acl_view sv = view(S, families[f]);
            if (!sv.known)
                continue;
            for (int r = 0; r < s; r++) {
                const struct conf_acl_rule *R = &acl->rules[r];
                struct acl_view rv = view(R, families[f]);
                if (!rv.known || dead[r * 2 + f] || R->allow == S->allow)
                    continue;
                if (sv.len > rv.len || !prefix_match(sv.addr, rv.addr, sv.len))
                    continue; /* S does not cover R */
                bool wipe = S->all;
                bool overwrite = !S->all && level(sv.len) == level(rv.len);
                if (!wipe && !overwrite)
                    continue;
                dead[r * 2 + f] = true;
                if (reported[r])
                    continue;
                reported[r] = true;
                if (wipe)
                    wiped[n_wiped++] = r;
                else
                    report_overwrite(diags, acl, s, r, sv.len == rv.len, allow_name, deny_name);
            }
        }
        if (n_wiped) {
            /* Both families may add rules: list them in file order. */
            for (int a = 1; a < n_wiped; a++) {
                int v = wiped[a], b = a - 1;
                while (b >= 0 && wiped[b] > v) {
                    wiped[b + 1] = wiped[b];
                    b--;
                }
                wiped[b + 1] = v;
            }
            report_wipe(diags, acl, s, wiped, n_wiped, allow_name, deny_name);
        }
    }
out:
    free(dead);
    free(wiped);
    free(reported);
}
