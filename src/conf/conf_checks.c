/* Checks that need the whole configuration: directives that contradict each other or have
 * no effect together. They run once, after the last line; their messages name every line
 * involved and are sorted into place by line. */
#include "conf/conf_internal.h"

#include <stdio.h>
#include <string.h>

static const struct conf_loc *last_loc(const struct conf_parser *p, const char *directive)
{
    const struct conf_directive *d = conf_find_directive(directive);
    int key = d ? conf_directive_index(d) * 4 : -1;

    if (key < 0 || key >= p->n_last_set || p->last_set[key].line <= 0)
        return NULL;
    return &p->last_set[key];
}

static void check_nts_pairs(struct conf_parser *p)
{
    const struct tock_config *c = p->conf;

    for (int i = 0; i < c->n_nts_certkeys; i++) {
        const struct conf_nts_certkey *ck = &c->nts_certkeys[i];
        if (!ck->cert)
            conf_diag_add(p->diags, CONF_DIAG_ERROR, &ck->loc,
                          "ntsserverkey: %s has no ntsservercert (give one ntsservercert per "
                          "ntsserverkey, in the same order)",
                          ck->key);
        else if (!ck->key)
            conf_diag_add(p->diags, CONF_DIAG_ERROR, &ck->loc,
                          "ntsservercert: %s has no ntsserverkey (give one ntsserverkey per "
                          "ntsservercert, in the same order)",
                          ck->cert);
    }
}

/* chrony (clientlog.c): "Rate limiting cannot be enabled with noclientlog", fatal. */
static void check_noclientlog(struct conf_parser *p)
{
    const struct tock_config *c = p->conf;
    const struct conf_loc *nloc = last_loc(p, "noclientlog");
    const struct {
        const char *name;
        const struct conf_ratelimit *rl;
    } limits[] = {
        {"ratelimit", &c->ratelimit},
        {"cmdratelimit", &c->cmdratelimit},
        {"ntsratelimit", &c->ntsratelimit},
    };
    char where[300];

    if (!c->noclientlog || !nloc)
        return;
    for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
        if (!limits[i].rl->enabled)
            continue;
        conf_diag_add(p->diags, CONF_DIAG_ERROR, nloc,
                      "noclientlog: rate limiting cannot be enabled with noclientlog: %s at %s; "
                      "fix: drop noclientlog (rate limiting needs the client log)",
                      limits[i].name, conf_loc_str(&limits[i].rl->loc, where, sizeof(where)));
    }
}

/* "port 0" never opens the NTP server socket: allow (and an NTS-KE server that hands out
 * cookies for this host's NTP server) can have no effect. */
static void check_port_zero(struct conf_parser *p)
{
    const struct tock_config *c = p->conf;
    char where[300];

    if (c->port != 0 || c->port_loc.line <= 0)
        return;
    conf_loc_str(&c->port_loc, where, sizeof(where));
    for (int i = 0; i < c->ntp_acl.n_rules; i++) {
        const struct conf_acl_rule *r = &c->ntp_acl.rules[i];
        if (r->allow)
            conf_diag_add(p->diags, CONF_DIAG_WARNING, &r->loc,
                          "allow has no effect: port 0 at %s disables the NTP server", where);
    }
    if (c->ntsntpserver)
        return; /* NTS-KE for an NTP server elsewhere is a valid setup */
    for (int i = 0; i < c->n_nts_certkeys; i++) {
        const struct conf_nts_certkey *ck = &c->nts_certkeys[i];
        if (ck->cert)
            conf_diag_add(p->diags, CONF_DIAG_WARNING, &ck->loc,
                          "ntsservercert has no effect: port 0 at %s disables the NTP server",
                          where);
    }
}

/* "cmdport 0" closes the UDP command port, the only one cmdallow/cmddeny apply to. */
static void check_cmdport_zero(struct conf_parser *p)
{
    const struct tock_config *c = p->conf;
    const struct conf_loc *cloc = last_loc(p, "cmdport");
    char where[300];

    if (c->cmdport != 0 || !cloc)
        return;
    conf_loc_str(cloc, where, sizeof(where));
    for (int i = 0; i < c->cmd_acl.n_rules; i++) {
        const struct conf_acl_rule *r = &c->cmd_acl.rules[i];
        if (r->allow)
            conf_diag_add(p->diags, CONF_DIAG_WARNING, &r->loc,
                          "cmdallow has no effect: cmdport 0 at %s disables the UDP command port",
                          where);
    }
}

void conf_check_all(struct conf_parser *p)
{
    check_nts_pairs(p);
    check_noclientlog(p);
    check_port_zero(p);
    check_cmdport_zero(p);
    conf_check_acl(p->diags, &p->conf->ntp_acl, "allow", "deny");
    conf_check_acl(p->diags, &p->conf->cmd_acl, "cmdallow", "cmddeny");
}
