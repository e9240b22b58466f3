/* allow / deny / cmdallow / cmddeny lines: "[all] [SUBNET]" (chrony's CPS_ParseAllowDeny). */
#include "conf/conf_internal.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* chrony's short IPv4 forms: "10" is 10.0.0.0/8, "1.2.3" is 1.2.3.0/24. Returns the number
 * of components (1..4), or 0 when the text is not such a form. */
static int parse_ipv4_short(const char *text, uint8_t addr[4])
{
    int n = 0;
    const char *p = text;

    memset(addr, 0, 4);
    while (n < 4) {
        int v = 0, digits = 0;
        while (isdigit((unsigned char)*p) && digits < 4) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return 0;
        addr[n++] = (uint8_t)v;
        if (*p == '\0')
            return n;
        if (*p != '.')
            return 0;
        p++;
    }
    return 0; /* a fifth component */
}

static bool only_digits_and_dots(const char *s)
{
    for (; *s; s++) {
        if (!isdigit((unsigned char)*s) && *s != '.')
            return false;
    }
    return true;
}

int conf_parse_acl_words(char *const *words, int n, bool allow, struct conf_acl_rule *rule,
                         char *err, size_t errlen)
{
    int i = 0;
    char addr[300];
    const char *slash;
    uint8_t v4[4];
    int components;

    memset(rule, 0, sizeof(*rule));
    rule->allow = allow;
    if (n > 0 && strcasecmp(words[0], "all") == 0) {
        rule->all = true;
        i = 1;
    }
    if (i == n) {
        rule->both_families = true;
        return 0;
    }
    if (n - i > 1) {
        snprintf(err, errlen, "unexpected argument '%s' after the subnet", words[i + 1]);
        return -1;
    }

    const char *w = words[i];
    slash = strchr(w, '/');
    size_t alen = slash ? (size_t)(slash - w) : strlen(w);
    if (alen == 0 || alen >= sizeof(addr)) {
        snprintf(err, errlen, "invalid subnet '%s'", w);
        return -1;
    }
    memcpy(addr, w, alen);
    addr[alen] = '\0';

    if ((components = parse_ipv4_short(addr, v4)) > 0) {
        rule->ip.family = AF_INET;
        memcpy(rule->ip.addr, v4, 4);
        rule->prefix_len = 8 * components;
    } else if (tock_ip_parse(addr, &rule->ip) == 0) {
        rule->prefix_len = rule->ip.family == AF_INET ? 32 : 128;
    } else {
        if (slash) {
            snprintf(err, errlen, "invalid subnet '%s'", w);
            return -1;
        }
        if (!conf_valid_hostname(addr) || only_digits_and_dots(addr) ||
            strcasecmp(addr, "all") == 0) {
            snprintf(err, errlen, "invalid address or host name '%s'", addr);
            return -1;
        }
        rule->hostname = strdup(addr);
        if (!rule->hostname) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        return 0;
    }
    if (slash) {
        long long bits;
        if (conf_parse_ll(slash + 1, &bits) < 0 || bits < 0) {
            snprintf(err, errlen, "invalid prefix length '%s' in subnet '%s'", slash + 1, w);
            return -1;
        }
        rule->prefix_len = bits > INT_MAX ? INT_MAX : (int)bits;
    }
    return 0;
}

static int handle_acl(struct conf_parser *p, struct conf_line *l, struct conf_acl *acl, bool allow)
{
    struct conf_acl_rule rule;
    char err[400];

    if (conf_parse_acl_words(l->argv, l->argc, allow, &rule, err, sizeof(err)) < 0) {
        conf_err(p, l, "%s (syntax: %s)", err, l->dir->syntax);
        return -1;
    }
    rule.loc = l->loc;
    int width = rule.ip.family == AF_INET6 ? 128 : 32;
    int rc = 0;
    if (!rule.hostname && !rule.both_families && rule.prefix_len > width) {
        /* Kept in the config (the ACL builder refuses it too), but an error here so that
         * -Q reports it with every other problem. */
        conf_err(p, l, "bad subnet %s: prefix longer than %d", l->argv[l->argc - 1], width);
        rc = -1;
    }
    struct conf_acl_rule *slot = conf_grow(p, l, (void **)&acl->rules, &acl->n_rules,
                                           sizeof(*acl->rules), CONF_MAX_ACL_RULES, "access rules");
    if (!slot) {
        free(rule.hostname);
        return -1;
    }
    *slot = rule;
    return rc;
}

int conf_handle_allow(struct conf_parser *p, struct conf_line *l)
{
    return handle_acl(p, l, &p->conf->ntp_acl, true);
}

int conf_handle_deny(struct conf_parser *p, struct conf_line *l)
{
    return handle_acl(p, l, &p->conf->ntp_acl, false);
}

int conf_handle_cmdallow(struct conf_parser *p, struct conf_line *l)
{
    return handle_acl(p, l, &p->conf->cmd_acl, true);
}

int conf_handle_cmddeny(struct conf_parser *p, struct conf_line *l)
{
    return handle_acl(p, l, &p->conf->cmd_acl, false);
}
