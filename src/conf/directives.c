/* THE table of directives: every chrony 4.x directive and tock's own, with its support
 * status in this build. When a feature lands, flip its entry from PLANNED to ACTIVE here;
 * nothing else changes (the parser adds "accepted, not active yet" for PLANNED lines).
 *
 * ACTIVE      implemented.
 * PLANNED     parsed fully into struct tock_config; an INFO diag says it is not active yet.
 * UNSUPPORTED a valid chrony directive tock does not implement: an ERROR, with a fix.
 * OBSOLETE    obsolete in chrony too: accepted and ignored with a warning.
 * Any other word is "invalid directive" (with "did you mean" or a known fix).
 */
#include "conf/conf_internal.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define F(field) offsetof(struct tock_config, field)
#define INT(field, lo, hi)                                                                         \
    .handler = conf_handle_simple, .simple = CONF_SIMPLE_INT, .offset = F(field), .imin = (lo),    \
    .imax = (hi)
#define DBL(field, lo, hi)                                                                         \
    .handler = conf_handle_simple, .simple = CONF_SIMPLE_DOUBLE, .offset = F(field), .dmin = (lo), \
    .dmax = (hi)
#define STR(field)  .handler = conf_handle_simple, .simple = CONF_SIMPLE_STRING, .offset = F(field)
#define FLAG(field) .handler = conf_handle_simple, .simple = CONF_SIMPLE_FLAG, .offset = F(field)

#define ACTIVE   CONF_SUPPORT_ACTIVE
#define PLANNED  CONF_SUPPORT_PLANNED
#define UNSUPP   CONF_SUPPORT_UNSUPPORTED
#define OBSOLETE CONF_SUPPORT_OBSOLETE

const struct conf_directive conf_directives[] = {
    /* ---- ACTIVE ---- */
    {"allow", ACTIVE, CONF_LIST, "allow [all] [SUBNET]", conf_handle_allow},
    {"bindaddress", ACTIVE, CONF_SINGLE, "bindaddress ADDRESS", conf_handle_bindaddress},
    {"bindcmdaddress", ACTIVE, CONF_SINGLE, "bindcmdaddress ADDRESS|PATH",
     conf_handle_bindcmdaddress},
    {"bindmetricsaddress", ACTIVE, CONF_SINGLE, "bindmetricsaddress ADDRESS",
     conf_handle_bindmetricsaddress},
    {"clientloglimit", ACTIVE, CONF_SINGLE, "clientloglimit BYTES",
     INT(clientloglimit, 0, INT_MAX)},
    {"clockprecision", ACTIVE, CONF_SINGLE, "clockprecision SECONDS", DBL(clockprecision, 0, 1)},
    {"cmdallow", ACTIVE, CONF_LIST, "cmdallow [all] [SUBNET]", conf_handle_cmdallow},
    {"cmddeny", ACTIVE, CONF_LIST, "cmddeny [all] [SUBNET]", conf_handle_cmddeny},
    {"cmdport", ACTIVE, CONF_SINGLE, "cmdport PORT", INT(cmdport, 0, 65535),
     .print = CONF_PRINT_ALWAYS},
    {"cmdratelimit", ACTIVE, CONF_SINGLE, "cmdratelimit [interval N] [burst N] [leak N]",
     conf_handle_cmdratelimit},
    {"combinelimit", ACTIVE, CONF_SINGLE, "combinelimit LIMIT", DBL(combinelimit, 0, HUGE_VAL)},
    {"confdir", ACTIVE, CONF_LIST, "confdir DIRECTORY...", conf_handle_confdir},
    {"corrtimeratio", ACTIVE, CONF_SINGLE, "corrtimeratio RATIO", DBL(corrtimeratio, 0, HUGE_VAL)},
    {"deny", ACTIVE, CONF_LIST, "deny [all] [SUBNET]", conf_handle_deny},
    {"driftfile", ACTIVE, CONF_SINGLE, "driftfile FILE [interval SECONDS]", conf_handle_driftfile},
    {"dumpdir", ACTIVE, CONF_SINGLE, "dumpdir DIRECTORY", STR(dumpdir)},
    {"include", ACTIVE, CONF_LIST, "include PATTERN", conf_handle_include},
    {"keyfile", ACTIVE, CONF_SINGLE, "keyfile FILE", STR(keyfile)},
    {"leapsectz", ACTIVE, CONF_SINGLE, "leapsectz TIMEZONE", STR(leapsectz)},
    {"local", ACTIVE, CONF_SINGLE,
     "local [stratum N] [orphan] [distance S] [activate S] [waitsynced S] [waitunsynced S]",
     conf_handle_local},
    {"log", ACTIVE, CONF_LIST, "log [rawmeasurements|measurements|statistics|tracking|...]...",
     conf_handle_log},
    {"logbanner", ACTIVE, CONF_SINGLE, "logbanner ENTRIES", INT(logbanner, 0, INT_MAX)},
    {"logchange", ACTIVE, CONF_SINGLE, "logchange SECONDS", DBL(logchange, 0, HUGE_VAL)},
    {"logdir", ACTIVE, CONF_SINGLE, "logdir DIRECTORY", STR(logdir)},
    {"makestep", ACTIVE, CONF_SINGLE, "makestep THRESHOLD LIMIT", conf_handle_makestep},
    {"maxclockerror", ACTIVE, CONF_SINGLE, "maxclockerror PPM", DBL(maxclockerror, 0, HUGE_VAL)},
    {"maxdistance", ACTIVE, CONF_SINGLE, "maxdistance SECONDS", DBL(maxdistance, 0, HUGE_VAL)},
    {"maxdrift", ACTIVE, CONF_SINGLE, "maxdrift PPM", DBL(maxdrift, 0, HUGE_VAL)},
    {"maxjitter", ACTIVE, CONF_SINGLE, "maxjitter SECONDS", DBL(maxjitter, 0, HUGE_VAL)},
    {"maxslewrate", ACTIVE, CONF_SINGLE, "maxslewrate PPM", DBL(maxslewrate, 0, HUGE_VAL)},
    {"maxupdateskew", ACTIVE, CONF_SINGLE, "maxupdateskew PPM", DBL(maxupdateskew, 0, HUGE_VAL)},
    {"metricsport", ACTIVE, CONF_SINGLE, "metricsport PORT", INT(metricsport, 0, 65535)},
    {"minsources", ACTIVE, CONF_SINGLE, "minsources N", INT(minsources, 1, INT_MAX)},
    {"noclientlog", ACTIVE, CONF_SINGLE, "noclientlog", FLAG(noclientlog)},
    {"opencommands", ACTIVE, CONF_SINGLE, "opencommands [COMMAND]...", conf_handle_opencommands},
    {"pidfile", ACTIVE, CONF_SINGLE, "pidfile FILE", conf_handle_pidfile},
    {"pool", ACTIVE, CONF_LIST, "pool NAME [option]...", conf_handle_pool},
    {"port", ACTIVE, CONF_SINGLE, "port PORT", conf_handle_port, .simple = CONF_SIMPLE_INT,
     .offset = F(port), .imin = 0, .imax = 65535, .print = CONF_PRINT_ALWAYS},

    {"ratelimit", ACTIVE, CONF_SINGLE, "ratelimit [interval N] [burst N] [leak N] [kod N]",
     conf_handle_ratelimit},
    {"refresh", ACTIVE, CONF_SINGLE, "refresh SECONDS", INT(refresh, 0, INT_MAX)},
    {"reselectdist", ACTIVE, CONF_SINGLE, "reselectdist SECONDS", DBL(reselectdist, 0, HUGE_VAL)},
    {"rtcsync", ACTIVE, CONF_SINGLE, "rtcsync", FLAG(rtcsync)},
    {"server", ACTIVE, CONF_LIST, "server HOST [option]...", conf_handle_server},
    {"sourcedir", ACTIVE, CONF_LIST, "sourcedir DIRECTORY...", conf_handle_sourcedir},
    {"stratumweight", ACTIVE, CONF_SINGLE, "stratumweight SECONDS",
     DBL(stratumweight, 0, HUGE_VAL)},
    /* ---- PLANNED: parsed, not active yet ---- */
    {"acquisitionport", PLANNED, CONF_SINGLE, "acquisitionport PORT",
     INT(acquisitionport, 0, 65535)},
    {"hwtimestamp", PLANNED, CONF_LIST, "hwtimestamp INTERFACE|* [option]...",
     conf_handle_hwtimestamp},
    {"leapseclist", PLANNED, CONF_SINGLE, "leapseclist FILE", STR(leapseclist)},
    {"leapsecmode", PLANNED, CONF_SINGLE, "leapsecmode system|slew|step|ignore",
     conf_handle_leapsecmode},
    {"lock_all", ACTIVE, CONF_SINGLE, "lock_all", FLAG(lock_all)},
    {"maxntsconnections", ACTIVE, CONF_SINGLE, "maxntsconnections N",
     INT(maxntsconnections, 1, INT_MAX)},
    {"nocerttimecheck", ACTIVE, CONF_SINGLE, "nocerttimecheck UPDATES",
     INT(nocerttimecheck, 0, INT_MAX)},
    {"nosystemcert", ACTIVE, CONF_SINGLE, "nosystemcert", FLAG(nosystemcert)},
    {"ntsaeads", ACTIVE, CONF_SINGLE, "ntsaeads ID...", conf_handle_ntsaeads},
    {"ntscachedir", ACTIVE, CONF_SINGLE, "ntscachedir DIRECTORY (old name of ntsdumpdir)",
     STR(ntsdumpdir)},
    {"ntsdumpdir", ACTIVE, CONF_SINGLE, "ntsdumpdir DIRECTORY", STR(ntsdumpdir)},
    {"ntsntpserver", ACTIVE, CONF_SINGLE, "ntsntpserver HOST", conf_handle_ntsntpserver,
     .simple = CONF_SIMPLE_STRING, .offset = F(ntsntpserver)},
    {"ntsport", ACTIVE, CONF_SINGLE, "ntsport PORT", INT(ntsport, 0, 65535)},
    {"ntsprocesses", ACTIVE, CONF_SINGLE, "ntsprocesses N", INT(ntsprocesses, 0, 1000)},
    {"ntsratelimit", ACTIVE, CONF_SINGLE, "ntsratelimit [interval N] [burst N] [leak N]",
     conf_handle_ntsratelimit},
    {"ntsrefresh", ACTIVE, CONF_SINGLE, "ntsrefresh SECONDS", INT(ntsrefresh, 0, INT_MAX)},
    {"ntsrotate", ACTIVE, CONF_SINGLE, "ntsrotate SECONDS", INT(ntsrotate, 0, INT_MAX)},
    {"ntsservercert", ACTIVE, CONF_LIST, "ntsservercert FILE", conf_handle_ntsservercert},
    {"ntsserverkey", ACTIVE, CONF_LIST, "ntsserverkey FILE", conf_handle_ntsserverkey},
    {"ntstrustedcerts", ACTIVE, CONF_LIST, "ntstrustedcerts [SET] FILE|DIRECTORY",
     conf_handle_ntstrustedcerts},
    {"sched_priority", ACTIVE, CONF_SINGLE, "sched_priority PRIORITY", INT(sched_priority, 0, 99)},
    {"user", ACTIVE, CONF_SINGLE, "user NAME", STR(user)},

    /* ---- UNSUPPORTED: valid chrony, refused ---- */
    {"authselectmode", UNSUPP,
     .fix = "select sources with the require, trust and noselect "
            "options of server/pool"},
    {"bindacqaddress", UNSUPP, .fix = NULL},
    {"bindacqdevice", UNSUPP, .fix = NULL},
    {"bindcmddevice", UNSUPP, .fix = "use bindcmdaddress ADDRESS"},
    {"binddevice", UNSUPP, .fix = "use bindaddress ADDRESS"},
    {"broadcast", UNSUPP, .fix = "let the clients poll this server: server ADDRESS iburst"},
    {"dscp", UNSUPP, .fix = NULL},
    {"fallbackdrift", UNSUPP, .fix = NULL},
    {"hwclockfile", UNSUPP, .fix = "use rtcsync (the kernel keeps the RTC in step)"},
    {"hwtstimeout", UNSUPP, .fix = NULL},
    {"initstepslew", UNSUPP, .fix = "use makestep THRESHOLD 1 and iburst on the server lines"},
    {"mailonchange", UNSUPP, .fix = "use logchange SECONDS and watch the system log"},
    {"manual", UNSUPP, .fix = NULL},
    {"maxchange", UNSUPP, .fix = NULL},
    {"maxsamples", UNSUPP, .fix = "use the per-source option: server HOST maxsamples N"},
    {"maxstratum", UNSUPP, .fix = NULL},
    {"maxtxbuffers", UNSUPP, .fix = NULL},
    {"minsamples", UNSUPP, .fix = "use the per-source option: server HOST minsamples N"},
    {"minstratum", UNSUPP, .fix = "use the per-source option: server HOST minstratum N"},
    {"ntpsigndsocket", UNSUPP, .fix = NULL},
    {"peer", UNSUPP,
     .fix = "use server on both hosts (client/server mode is safer than "
            "symmetric mode)"},
    {"ptpdomain", UNSUPP, .fix = NULL},
    {"ptpport", UNSUPP, .fix = NULL},
    {"refclock", UNSUPP,
     .fix = "serve the reference clock from a local chronyd and add it here: "
            "server 127.0.0.1 port PORT"},
    {"rtcautotrim", UNSUPP, .fix = "use rtcsync (the kernel keeps the RTC in step)"},
    {"rtcdevice", UNSUPP, .fix = "use rtcsync (the kernel keeps the RTC in step)"},
    {"rtcfile", UNSUPP, .fix = "use rtcsync (the kernel keeps the RTC in step)"},
    {"rtconutc", UNSUPP, .fix = "use rtcsync (the kernel keeps the RTC in step)"},
    {"smoothtime", UNSUPP, .fix = NULL},
    {"tempcomp", UNSUPP, .fix = NULL},

    /* ---- OBSOLETE in chrony too: warning, ignored ---- */
    {"commandkey", OBSOLETE, .fix = "no longer supported (ignored)"},
    {"dumponexit", OBSOLETE, .fix = "obsolete (ignored)"},
    {"generatecommandkey", OBSOLETE, .fix = "no longer supported (ignored)"},
    {"linux_freq_scale", OBSOLETE, .fix = "no longer supported (ignored)"},
    {"linux_hz", OBSOLETE, .fix = "no longer supported (ignored)"},
};

const int conf_n_directives = (int)(sizeof(conf_directives) / sizeof(conf_directives[0]));

const struct conf_directive *conf_find_directive(const char *name)
{
    int first = tolower((unsigned char)name[0]);

    for (int i = 0; i < conf_n_directives; i++) {
        /* Every name in the table is lower case: compare the first letter before the rest. */
        if (conf_directives[i].name[0] == first && strcasecmp(conf_directives[i].name, name) == 0)
            return &conf_directives[i];
    }
    return NULL;
}

int conf_directive_index(const struct conf_directive *d)
{
    return (int)(d - conf_directives);
}

enum conf_support conf_directive_status(const char *directive)
{
    const struct conf_directive *d = directive ? conf_find_directive(directive) : NULL;
    return d ? d->support : CONF_SUPPORT_UNKNOWN;
}

/* Directives of other daemons (ntpd, ntpsec) and the chrony equivalent. */
static const struct {
    const char *word;
    const char *fix;
} foreign[] = {
    {"restrict", "use allow SUBNET / deny SUBNET"},
    {"keys", "use keyfile FILE"},
    {"trustedkey", "use the key option: server HOST key ID"},
    {"statsdir", "use logdir DIRECTORY"},
    {"statistics", "use log measurements statistics tracking"},
    {"filegen", "use log measurements statistics tracking"},
    {"interface", "use bindaddress ADDRESS"},
    {"leapfile", "use leapseclist FILE"},
    {"tos", "use minsources N and maxdistance SECONDS"},
};

char *conf_unknown_directive_fix(char *const *words, int n_words)
{
    struct conf_sb sb = {0};
    const char *w = words[0];

    if (strcasecmp(w, "schedrr") == 0) {
        long long prio;
        if (n_words >= 2 && conf_parse_ll(words[1], &prio) == 0 && prio >= 1 && prio <= 99)
            conf_sb_addf(&sb, "use sched_priority %lld (SCHED_FIFO 1-99)", prio);
        else
            conf_sb_add(&sb, "use sched_priority N (SCHED_FIFO 1-99)");
        return conf_sb_take(&sb);
    }
    if (conf_is_option(conf_source_options, conf_n_source_options, w) ||
        strcasecmp(w, "maxsources") == 0) {
        char *line = conf_join_words(words, n_words);
        conf_sb_addf(&sb, "%s is an option of server/pool: %s HOST %s", w,
                     strcasecmp(w, "maxsources") == 0 ? "pool" : "server", line ? line : w);
        free(line);
        return conf_sb_take(&sb);
    }
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        if (strcasecmp(w, foreign[i].word) == 0)
            return strdup(foreign[i].fix);
    }
    return NULL;
}
