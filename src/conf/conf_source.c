/* server and pool lines (chrony's CPS_ParseNTPSourceAdd options, 4.8 syntax). */
#include "conf/conf_internal.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define S(field) offsetof(struct conf_source, field)

static const struct conf_name_value extfield_names[] = {
    {"F323", CONF_EXTFIELD_F323},
    {"F324", CONF_EXTFIELD_F324},
    {"10A", CONF_EXTFIELD_10A},
    {NULL, 0},
};

/* Ranges: chrony's (cmdparse.c), except where chrony.conf(5) documents a narrower one that
 * chrony enforces later by clamping (minpoll/maxpoll -7..24, maxsources up to 16, maxdelay up
 * to 1000, asymmetry -0.5..0.5): those are errors here. */
const struct conf_option conf_source_options[] = {
    {"minpoll", CONF_OPT_INT, S(minpoll), -7, 24, .value_name = "POLL"},
    {"maxpoll", CONF_OPT_INT, S(maxpoll), -7, 24, .value_name = "POLL"},
    {"iburst", CONF_OPT_FLAG, S(iburst)},
    {"burst", CONF_OPT_FLAG, S(burst)},
    {"key", CONF_OPT_U32, S(key), 1, 4294967295LL, .value_name = "ID"},
    {"nts", CONF_OPT_FLAG, S(nts)},
    {"ntsport", CONF_OPT_INT, S(ntsport), 0, 65535, .value_name = "PORT"},
    {"certset", CONF_OPT_U32, S(certset), 0, 4294967295LL, .value_name = "ID"},
    {"prefer", CONF_OPT_FLAG, S(prefer)},
    {"noselect", CONF_OPT_FLAG, S(noselect)},
    {"trust", CONF_OPT_FLAG, S(trust)},
    {"require", CONF_OPT_FLAG, S(require)},
    {"maxdelay", CONF_OPT_DOUBLE, S(maxdelay), .dmin = 0, .dmax = 1000, .value_name = "SECONDS"},
    {"maxdelayratio", CONF_OPT_DOUBLE, S(maxdelayratio), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "RATIO"},
    {"maxdelaydevratio", CONF_OPT_DOUBLE, S(maxdelaydevratio), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "RATIO"},
    {"maxdelayquant", CONF_OPT_DOUBLE, S(maxdelayquant), .dmin = 0, .dmax = 1, .value_name = "P"},
    {"mindelay", CONF_OPT_DOUBLE, S(mindelay), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"asymmetry", CONF_OPT_DOUBLE, S(asymmetry), .dmin = -0.5, .dmax = 0.5, .value_name = "RATIO"},
    {"offset", CONF_OPT_DOUBLE, S(offset), .dmin = -HUGE_VAL, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"minsamples", CONF_OPT_INT, S(minsamples), 0, INT_MAX, .value_name = "N"},
    {"maxsamples", CONF_OPT_INT, S(maxsamples), 0, INT_MAX, .value_name = "N"},
    {"maxunreach", CONF_OPT_INT, S(maxunreach), 0, INT_MAX, .value_name = "N"},
    {"filter", CONF_OPT_INT, S(filter), 0, INT_MAX, .value_name = "N"},
    {"offline", CONF_OPT_FLAG, S(offline)},
    {"auto_offline", CONF_OPT_FLAG, S(auto_offline)},
    {"xleave", CONF_OPT_FLAG, S(xleave)},
    {"copy", CONF_OPT_FLAG, S(copy)},
    {"polltarget", CONF_OPT_INT, S(polltarget), 1, INT_MAX, .value_name = "N"},
    {"port", CONF_OPT_INT, S(port), 0, 65535, .value_name = "PORT"},
    {"presend", CONF_OPT_INT, S(presend), -32, 32, .value_name = "POLL"},
    {"minstratum", CONF_OPT_INT, S(minstratum), 0, 16, .value_name = "N"},
    {"version", CONF_OPT_INT, S(version), 1, 4, .value_name = "N"},
    {"extfield", CONF_OPT_HEXBITS, S(extfields), .names = extfield_names, .value_name = "HEX"},
    {"ipv4", CONF_OPT_SETINT, S(family), 4, 4},
    {"ipv6", CONF_OPT_SETINT, S(family), 6, 6},
    {"maxsources", CONF_OPT_INT, S(maxsources), 1, 16, .value_name = "N"},
};
const int conf_n_source_options =
    (int)(sizeof(conf_source_options) / sizeof(conf_source_options[0]));

/* Options parsed with chrony's syntax and ranges but not acted on yet: a line using them is
 * accepted (the tutorial's and other chrony.conf files keep working) with an INFO line saying
 * so, never silently. */
static const char *const planned_options[] = {
    "maxdelayquant", "maxunreach", "filter",  "auto_offline",
    "xleave",        "copy",       "presend", "extfield",
};

static int option_index(const char *name)
{
    for (int i = 0; i < conf_n_source_options; i++) {
        if (strcmp(conf_source_options[i].name, name) == 0)
            return i;
    }
    return 0;
}

void conf_source_defaults(struct conf_source *src, enum conf_source_kind kind)
{
    memset(src, 0, sizeof(*src));
    src->kind = kind;
    src->port = 123;
    src->minpoll = 6;
    src->maxpoll = 10;
    src->ntsport = 4460;
    src->maxdelay = 3.0;
    src->maxdelaydevratio = 10.0;
    src->minsamples = -1;
    src->maxsamples = -1;
    src->maxunreach = 100000;
    src->polltarget = 8;
    src->presend = CONF_PRESEND_OFF;
    src->maxsources = 4;
}

static const char *kind_name(enum conf_source_kind kind)
{
    return kind == CONF_SOURCE_POOL ? "pool" : "server";
}

/* "server HOST opt..." for a merged duplicate: the earlier line with the later options. */
static char *merged_line(const struct conf_source *earlier, char *const *words, int n)
{
    struct conf_source merged = *earlier, dflt;
    struct conf_sb sb = {0};
    char err[256];
    uint64_t seen;
    int bad;

    if (conf_parse_options_err(conf_source_options, conf_n_source_options, words, n, &merged, &seen,
                               &bad, err, sizeof(err)) < 0)
        return NULL;
    conf_source_defaults(&dflt, merged.kind);
    conf_sb_addf(&sb, "%s %s", kind_name(merged.kind), merged.host);
    conf_print_options(&sb, conf_source_options, conf_n_source_options, &merged, &dflt);
    if (merged.has_asymmetry && merged.asymmetry == 0.0)
        conf_sb_add(&sb, " asymmetry 0");
    return conf_sb_take(&sb);
}

static int handle_source(struct conf_parser *p, struct conf_line *l, enum conf_source_kind kind)
{
    struct tock_config *conf = p->conf;
    struct conf_source src;
    uint64_t seen;
    int bad;
    char where[300];

    if (l->argc < 1) {
        conf_err(p, l, "missing host name (syntax: %s)", l->dir->syntax);
        return -1;
    }
    if (!conf_valid_hostname(l->argv[0])) {
        conf_err(p, l, "invalid host name '%s'", l->argv[0]);
        return -1;
    }
    conf_source_defaults(&src, kind);
    if (conf_parse_options(p, l, conf_source_options, conf_n_source_options, l->argv + 1,
                           l->argc - 1, &src, &seen, &bad) < 0)
        return -1;
    if (kind == CONF_SOURCE_SERVER && (seen & ((uint64_t)1 << option_index("maxsources")))) {
        conf_err(p, l, "maxsources is an option of pool only");
        return -1;
    }
    if ((seen & ((uint64_t)1 << option_index("ipv4"))) &&
        (seen & ((uint64_t)1 << option_index("ipv6")))) {
        conf_err(p, l, "ipv4 and ipv6 exclude each other");
        return -1;
    }
    src.has_asymmetry = (seen & ((uint64_t)1 << option_index("asymmetry"))) != 0;
    for (size_t i = 0; i < sizeof(planned_options) / sizeof(planned_options[0]); i++) {
        if (seen & ((uint64_t)1 << option_index(planned_options[i])))
            conf_diag_add(p->diags, CONF_DIAG_INFO, &l->loc,
                          "%s option %s: accepted, not active yet", kind_name(kind),
                          planned_options[i]);
    }

    /* chrony refuses a second source with the same address ("Could not add source") and
     * keeps the first; the options of the second line are lost. */
    for (int i = 0; i < conf->n_sources; i++) {
        const struct conf_source *old = &conf->sources[i];
        if (strcasecmp(old->host, l->argv[0]) != 0)
            continue;
        char *fix = merged_line(old, l->argv + 1, l->argc - 1);
        conf_warn(p, l, "%s is already configured at %s; this line is ignored%s%s", l->argv[0],
                  conf_loc_str(&old->loc, where, sizeof(where)),
                  fix ? "; fix: merge the options into one line: " : "", fix ? fix : "");
        free(fix);
        return 0;
    }

    struct conf_source *slot =
        conf_grow(p, l, (void **)&conf->sources, &conf->n_sources, sizeof(*conf->sources),
                  CONF_MAX_SOURCES, "server/pool lines");
    if (!slot)
        return -1;
    src.host = conf_strdup(p, l, l->argv[0]);
    if (!src.host) {
        conf->n_sources--;
        return -1;
    }
    src.loc = l->loc;
    src.from_sourcedir = p->sources_only;
    *slot = src;
    return 0;
}

int conf_handle_server(struct conf_parser *p, struct conf_line *l)
{
    return handle_source(p, l, CONF_SOURCE_SERVER);
}

int conf_handle_pool(struct conf_parser *p, struct conf_line *l)
{
    return handle_source(p, l, CONF_SOURCE_POOL);
}
