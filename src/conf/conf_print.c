/* tockd -p: the configuration as tock understood it, includes expanded, one directive per
 * line in a canonical form that reads back to an equal configuration. Values equal to the
 * default are left out, except the important ones (port, cmdport). */
#include "conf/conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#define CFIELD(obj, off, type) ((const type *)(const void *)((const char *)(obj) + (off)))

struct printer {
    FILE *out;
    const struct tock_config *c;
    const struct tock_config *d; /* defaults */
};

static void print_simple(const struct printer *pr, const struct conf_directive *dir)
{
    char num[64];
    const void *c = pr->c, *d = pr->d;
    bool always = dir->print == CONF_PRINT_ALWAYS;

    switch (dir->simple) {
    case CONF_SIMPLE_FLAG:
        if (*CFIELD(c, dir->offset, bool))
            fprintf(pr->out, "%s\n", dir->name);
        break;
    case CONF_SIMPLE_INT:
        if (always || *CFIELD(c, dir->offset, int) != *CFIELD(d, dir->offset, int))
            fprintf(pr->out, "%s %d\n", dir->name, *CFIELD(c, dir->offset, int));
        break;
    case CONF_SIMPLE_DOUBLE:
        if (always || *CFIELD(c, dir->offset, double) != *CFIELD(d, dir->offset, double)) {
            conf_format_double(*CFIELD(c, dir->offset, double), num, sizeof(num));
            fprintf(pr->out, "%s %s\n", dir->name, num);
        }
        break;
    case CONF_SIMPLE_STRING: {
        const char *v = *CFIELD(c, dir->offset, char *);
        const char *dv = *CFIELD(d, dir->offset, char *);
        if (v && (!dv || strcmp(v, dv) != 0))
            fprintf(pr->out, "%s %s\n", dir->name, v);
        break;
    }
    default:
        break;
    }
}

static void print_source(FILE *out, const struct conf_source *s, const char *prefix)
{
    struct conf_source dflt;
    struct conf_sb sb = {0};

    conf_source_defaults(&dflt, s->kind);
    conf_sb_addf(&sb, "%s%s %s", prefix, s->kind == CONF_SOURCE_POOL ? "pool" : "server", s->host);
    conf_print_options(&sb, conf_source_options, conf_n_source_options, s, &dflt);
    if (s->has_asymmetry && s->asymmetry == dflt.asymmetry)
        conf_sb_add(&sb, " asymmetry 0");
    char *line = conf_sb_take(&sb);
    if (line)
        fprintf(out, "%s\n", line);
    free(line);
}

static void print_sources(const struct printer *pr, bool from_sourcedir)
{
    for (int i = 0; i < pr->c->n_sources; i++) {
        const struct conf_source *s = &pr->c->sources[i];
        if (s->from_sourcedir != from_sourcedir)
            continue;
        if (from_sourcedir) {
            char prefix[300];
            /* Read again from the directory: shown, but as a comment. */
            snprintf(prefix, sizeof(prefix), "# from %s: ", s->loc.file ? s->loc.file : "?");
            print_source(pr->out, s, prefix);
        } else {
            print_source(pr->out, s, "");
        }
    }
}

static void print_ip_pair(const struct printer *pr, const char *name, const struct tock_ip *v4,
                          const struct tock_ip *dv4, const struct tock_ip *v6,
                          const struct tock_ip *dv6)
{
    char buf[TOCK_IP_STRLEN];

    if (v4->family != AF_UNSPEC && !tock_ip_equal(v4, dv4))
        fprintf(pr->out, "%s %s\n", name, tock_ip_format(v4, buf, sizeof(buf)));
    if (v6->family != AF_UNSPEC && !tock_ip_equal(v6, dv6))
        fprintf(pr->out, "%s %s\n", name, tock_ip_format(v6, buf, sizeof(buf)));
}

static void print_acl(const struct printer *pr, const struct conf_acl *acl, const char *allow_name,
                      const char *deny_name)
{
    char buf[TOCK_IP_STRLEN];

    for (int i = 0; i < acl->n_rules; i++) {
        const struct conf_acl_rule *r = &acl->rules[i];
        fprintf(pr->out, "%s%s", r->allow ? allow_name : deny_name, r->all ? " all" : "");
        if (r->hostname)
            fprintf(pr->out, " %s", r->hostname);
        else if (!r->both_families)
            fprintf(pr->out, " %s/%d", tock_ip_format(&r->ip, buf, sizeof(buf)), r->prefix_len);
        fputc('\n', pr->out);
    }
}

static void print_ratelimit(const struct printer *pr, const char *name,
                            const struct conf_ratelimit *rl, bool kod)
{
    if (!rl->enabled)
        return;
    fprintf(pr->out, "%s interval %d burst %d leak %d", name, rl->interval, rl->burst, rl->leak);
    if (kod)
        fprintf(pr->out, " kod %d", rl->kod);
    fputc('\n', pr->out);
}

static void print_names(FILE *out, const char *name, unsigned bits,
                        const struct conf_name_value *names)
{
    fputs(name, out);
    for (int i = 0; names[i].name; i++) {
        if (bits & (unsigned)names[i].value)
            fprintf(out, " %s", names[i].name);
    }
    fputc('\n', out);
}

static void print_special(const struct printer *pr, const char *name)
{
    const struct tock_config *c = pr->c, *d = pr->d;
    FILE *out = pr->out;
    char num[64];

    if (!strcmp(name, "server")) {
        print_sources(pr, false);
    } else if (!strcmp(name, "sourcedir")) {
        for (int i = 0; i < c->sourcedirs.n; i++)
            fprintf(out, "sourcedir %s\n", c->sourcedirs.items[i]);
        print_sources(pr, true);
    } else if (!strcmp(name, "bindaddress")) {
        print_ip_pair(pr, name, &c->bindaddress4, &d->bindaddress4, &c->bindaddress6,
                      &d->bindaddress6);
    } else if (!strcmp(name, "allow")) {
        print_acl(pr, &c->ntp_acl, "allow", "deny");
    } else if (!strcmp(name, "cmdallow")) {
        print_acl(pr, &c->cmd_acl, "cmdallow", "cmddeny");
    } else if (!strcmp(name, "ratelimit")) {
        print_ratelimit(pr, name, &c->ratelimit, true);
    } else if (!strcmp(name, "cmdratelimit")) {
        print_ratelimit(pr, name, &c->cmdratelimit, false);
    } else if (!strcmp(name, "ntsratelimit")) {
        print_ratelimit(pr, name, &c->ntsratelimit, false);
    } else if (!strcmp(name, "hwtimestamp")) {
        for (int i = 0; i < c->n_hwts; i++) {
            struct conf_hwts dflt;
            struct conf_sb sb = {0};
            conf_hwts_defaults(&dflt);
            dflt.maxpoll = c->hwts[i].minpoll + 1;
            conf_sb_addf(&sb, "hwtimestamp %s", c->hwts[i].interface);
            conf_print_options(&sb, conf_hwts_options, conf_n_hwts_options, &c->hwts[i], &dflt);
            char *line = conf_sb_take(&sb);
            if (line)
                fprintf(out, "%s\n", line);
            free(line);
        }
    } else if (!strcmp(name, "bindcmdaddress")) {
        print_ip_pair(pr, name, &c->bindcmdaddress4, &d->bindcmdaddress4, &c->bindcmdaddress6,
                      &d->bindcmdaddress6);
        if (!c->cmdsocket)
            fprintf(out, "bindcmdaddress /\n");
        else if (!d->cmdsocket || strcmp(c->cmdsocket, d->cmdsocket) != 0)
            fprintf(out, "bindcmdaddress %s\n", c->cmdsocket);
    } else if (!strcmp(name, "bindmetricsaddress")) {
        print_ip_pair(pr, name, &c->bindmetricsaddress4, &d->bindmetricsaddress4,
                      &c->bindmetricsaddress6, &d->bindmetricsaddress6);
    } else if (!strcmp(name, "opencommands")) {
        if (c->opencommands != d->opencommands)
            print_names(out, name, c->opencommands, conf_opencmd_names);
    } else if (!strcmp(name, "log")) {
        if (c->log_flags)
            print_names(out, name, c->log_flags, conf_log_names);
    } else if (!strcmp(name, "driftfile")) {
        if (c->driftfile) {
            fprintf(out, "driftfile %s", c->driftfile);
            if (c->driftfile_interval != d->driftfile_interval)
                fprintf(out, " interval %d", c->driftfile_interval);
            fputc('\n', out);
        }
    } else if (!strcmp(name, "makestep")) {
        if (c->makestep_enabled) {
            conf_format_double(c->makestep_threshold, num, sizeof(num));
            fprintf(out, "makestep %s %d\n", num, c->makestep_limit);
        }
    } else if (!strcmp(name, "leapsecmode")) {
        for (int i = 0; conf_leapsecmode_names[i].name; i++) {
            if (c->leapsecmode != d->leapsecmode &&
                conf_leapsecmode_names[i].value == c->leapsecmode)
                fprintf(out, "leapsecmode %s\n", conf_leapsecmode_names[i].name);
        }
    } else if (!strcmp(name, "local")) {
        if (c->local.enabled) {
            struct conf_sb sb = {0};
            conf_sb_add(&sb, "local");
            conf_print_options(&sb, conf_local_options, conf_n_local_options, &c->local, &d->local);
            char *line = conf_sb_take(&sb);
            if (line)
                fprintf(out, "%s\n", line);
            free(line);
        }
    } else if (!strcmp(name, "pidfile")) {
        if (!c->pidfile)
            fprintf(out, "pidfile /\n");
        else if (!d->pidfile || strcmp(c->pidfile, d->pidfile) != 0)
            fprintf(out, "pidfile %s\n", c->pidfile);
    } else if (!strcmp(name, "ntsservercert")) {
        for (int i = 0; i < c->n_nts_certkeys; i++) {
            if (c->nts_certkeys[i].cert)
                fprintf(out, "ntsservercert %s\n", c->nts_certkeys[i].cert);
            if (c->nts_certkeys[i].key)
                fprintf(out, "ntsserverkey %s\n", c->nts_certkeys[i].key);
        }
    } else if (!strcmp(name, "ntstrustedcerts")) {
        for (int i = 0; i < c->n_nts_trusted; i++) {
            if (c->nts_trusted[i].set)
                fprintf(out, "ntstrustedcerts %u %s\n", (unsigned)c->nts_trusted[i].set,
                        c->nts_trusted[i].path);
            else
                fprintf(out, "ntstrustedcerts %s\n", c->nts_trusted[i].path);
        }
    } else if (!strcmp(name, "ntsaeads")) {
        if (c->n_ntsaeads > 0) {
            fputs("ntsaeads", out);
            for (int i = 0; i < c->n_ntsaeads; i++)
                fprintf(out, " %d", c->ntsaeads[i]);
            fputc('\n', out);
        }
    }
}

/* The printing order: sections as in chrony.conf(5). Directives printed together with an
 * earlier one (pool with server, deny with allow, ntsserverkey with ntsservercert) and the
 * ones that are expanded (include, confdir) are not listed. */
static const char *const print_order[] = {
    "server",
    "sourcedir",
    "acquisitionport",
    "refresh",
    "dumpdir",
    "minsources",
    "maxdistance",
    "maxjitter",
    "combinelimit",
    "reselectdist",
    "stratumweight",
    "port",
    "bindaddress",
    "allow",
    "ratelimit",
    "clientloglimit",
    "noclientlog",
    "local",
    "hwtimestamp",
    "ntsport",
    "ntsservercert",
    "ntsprocesses",
    "maxntsconnections",
    "ntsdumpdir",
    "ntsrotate",
    "ntsntpserver",
    "ntsratelimit",
    "ntsaeads",
    "ntstrustedcerts",
    "nosystemcert",
    "nocerttimecheck",
    "ntsrefresh",
    "keyfile",
    "cmdport",
    "bindcmdaddress",
    "cmdallow",
    "cmdratelimit",
    "opencommands",
    "metricsport",
    "bindmetricsaddress",
    "driftfile",
    "makestep",
    "maxupdateskew",
    "maxclockerror",
    "maxslewrate",
    "maxdrift",
    "corrtimeratio",
    "clockprecision",
    "rtcsync",
    "leapsectz",
    "leapseclist",
    "leapsecmode",
    "log",
    "logdir",
    "logbanner",
    "logchange",
    "user",
    "pidfile",
    "sched_priority",
    "lock_all",
    NULL,
};

void conf_print(const struct tock_config *conf, FILE *out)
{
    struct tock_config dflt;
    struct printer pr = {out, conf, &dflt};

    conf_defaults(&dflt);
    for (int i = 0; print_order[i]; i++) {
        const struct conf_directive *dir = conf_find_directive(print_order[i]);
        if (!dir)
            continue;
        if (dir->simple != CONF_SIMPLE_NONE)
            print_simple(&pr, dir);
        else
            print_special(&pr, print_order[i]);
    }
    conf_free(&dflt);
}
