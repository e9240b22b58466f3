/* chrony's defaults (chrony.conf(5) of 4.3 and the 4.4-4.8 additions) and freeing. */
#include "conf/conf_internal.h"

#include <stdlib.h>
#include <string.h>

static struct tock_ip ip_of(const char *text)
{
    struct tock_ip ip;
    tock_ip_parse(text, &ip);
    return ip;
}

static void ratelimit_defaults(struct conf_ratelimit *rl, int interval)
{
    memset(rl, 0, sizeof(*rl));
    rl->interval = interval;
    rl->burst = 8;
    rl->leak = 2;
}

void conf_defaults(struct tock_config *conf)
{
    memset(conf, 0, sizeof(*conf));

    conf->acquisitionport = -1;
    conf->refresh = 1209600;

    conf->port = 123;
    ratelimit_defaults(&conf->ratelimit, 3);
    conf->clientloglimit = 524288;

    conf->cmdport = 323;
    conf->bindcmdaddress4 = ip_of("127.0.0.1");
    conf->bindcmdaddress6 = ip_of("::1");
    conf->cmdsocket = strdup(CONF_DEFAULT_CMDSOCKET);
    ratelimit_defaults(&conf->cmdratelimit, -4);
    conf->opencommands = CONF_OPENCMD_DEFAULT;
    conf->bindmetricsaddress4 = ip_of("127.0.0.1");
    conf->bindmetricsaddress6 = ip_of("::1");

    conf->logbanner = 32;
    conf->logchange = 1.0;

    conf->driftfile_interval = 3600;
    conf->maxupdateskew = 1000.0;
    conf->maxdistance = 3.0;
    conf->minsources = 1;
    conf->maxclockerror = 1.0;
    conf->maxslewrate = 1e6 / 12.0;
    conf->maxdrift = 500000.0;
    conf->maxjitter = 1.0;
    conf->clockprecision = 0.0;
    conf->combinelimit = 3.0;
    conf->reselectdist = 1e-4;
    conf->stratumweight = 1e-3;
    conf->corrtimeratio = 3.0;
    conf->leapsecmode = CONF_LEAPSECMODE_SYSTEM;
    conf_local_defaults(&conf->local);

    conf->ntsport = 4460;
    conf->ntsprocesses = 1;
    conf->maxntsconnections = 100;
    conf->ntsrotate = 604800;
    ratelimit_defaults(&conf->ntsratelimit, 6);
    conf->ntsrefresh = 2419200;

    conf->pidfile = strdup(CONF_DEFAULT_PIDFILE);
}

static void free_strlist(struct conf_strlist *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->items[i]);
    free(l->items);
}

static void free_acl(struct conf_acl *acl)
{
    for (int i = 0; i < acl->n_rules; i++)
        free(acl->rules[i].hostname);
    free(acl->rules);
}

void conf_free(struct tock_config *conf)
{
    free_strlist(&conf->files);
    for (int i = 0; i < conf->n_sources; i++)
        free(conf->sources[i].host);
    free(conf->sources);
    free_strlist(&conf->sourcedirs);
    free(conf->dumpdir);
    free_acl(&conf->ntp_acl);
    for (int i = 0; i < conf->n_hwts; i++)
        free(conf->hwts[i].interface);
    free(conf->hwts);
    free(conf->cmdsocket);
    free_acl(&conf->cmd_acl);
    free(conf->logdir);
    free(conf->driftfile);
    free(conf->leapsectz);
    free(conf->leapseclist);
    free(conf->keyfile);
    for (int i = 0; i < conf->n_nts_certkeys; i++) {
        free(conf->nts_certkeys[i].cert);
        free(conf->nts_certkeys[i].key);
    }
    free(conf->nts_certkeys);
    free(conf->ntsdumpdir);
    free(conf->ntsntpserver);
    for (int i = 0; i < conf->n_nts_trusted; i++)
        free(conf->nts_trusted[i].path);
    free(conf->nts_trusted);
    free(conf->user);
    free(conf->pidfile);
    memset(conf, 0, sizeof(*conf));
}
