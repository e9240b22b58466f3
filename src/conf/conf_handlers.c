/* Handlers of the directives that are not server/pool or access rules. Each parses its
 * words into a local value and commits it only when the whole line is valid. */
#include "conf/conf_internal.h"

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#define FIELD(obj, off, type) ((type *)(void *)((char *)(obj) + (off)))

static int replace_string(struct conf_parser *p, const struct conf_line *l, char **field,
                          const char *value)
{
    char *copy = conf_strdup(p, l, value);
    if (!copy)
        return -1;
    free(*field);
    *field = copy;
    return 0;
}

/* ---- simple one-value directives (described in the table) ---- */

int conf_handle_simple(struct conf_parser *p, struct conf_line *l)
{
    const struct conf_directive *d = l->dir;
    long long ll;
    double v;

    if (d->simple == CONF_SIMPLE_FLAG) {
        if (conf_check_argc(p, l, 0, 0) < 0)
            return -1;
        *FIELD(p->conf, d->offset, bool) = true;
        return 0;
    }
    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    const char *w = l->argv[0];
    switch (d->simple) {
    case CONF_SIMPLE_INT:
        if (conf_parse_ll(w, &ll) < 0) {
            conf_err(p, l, "invalid integer '%s'", w);
            return -1;
        }
        if (ll < d->imin || ll > d->imax) {
            conf_err(p, l, "invalid value %s (min %lld, max %lld)", w, d->imin, d->imax);
            return -1;
        }
        *FIELD(p->conf, d->offset, int) = (int)ll;
        return 0;
    case CONF_SIMPLE_DOUBLE:
        if (conf_parse_double(w, &v) < 0) {
            conf_err(p, l, "invalid number '%s'", w);
            return -1;
        }
        if (v < d->dmin || v > d->dmax) {
            if (isinf(d->dmax))
                conf_err(p, l, "invalid value %s (min %g)", w, d->dmin);
            else
                conf_err(p, l, "invalid value %s (min %g, max %g)", w, d->dmin, d->dmax);
            return -1;
        }
        *FIELD(p->conf, d->offset, double) = v;
        return 0;
    case CONF_SIMPLE_STRING:
        return replace_string(p, l, FIELD(p->conf, d->offset, char *), w);
    default:
        return -1;
    }
}

int conf_handle_port(struct conf_parser *p, struct conf_line *l)
{
    if (conf_handle_simple(p, l) < 0)
        return -1;
    p->conf->port_loc = l->loc;
    return 0;
}

/* ---- rate limits ---- */

#define R(field) offsetof(struct conf_ratelimit, field)
static const struct conf_option ratelimit_options[] = {
    {"interval", CONF_OPT_INT, R(interval), -19, 12, .value_name = "N"},
    {"burst", CONF_OPT_INT, R(burst), 1, 255, .value_name = "N"},
    {"leak", CONF_OPT_INT, R(leak), 1, 4, .value_name = "N"},
    {"kod", CONF_OPT_INT, R(kod), 0, 4, .value_name = "N"},
};

static int handle_ratelimit(struct conf_parser *p, struct conf_line *l,
                            struct conf_ratelimit *target, int default_interval, bool kod)
{
    struct conf_ratelimit rl = {
        .enabled = true, .interval = default_interval, .burst = 8, .leak = 2};
    int n_opts = kod ? 4 : 3;
    char err[512];
    uint64_t seen;
    int bad;

    if (conf_parse_options_err(ratelimit_options, n_opts, l->argv, l->argc, &rl, &seen, &bad, err,
                               sizeof(err)) < 0) {
        /* A stray word such as "ratelimit ntp interval 1 burst 8": say what to drop when the
         * rest is a valid line. */
        bool unknown = strncmp(err, "unknown option", 14) == 0 && !strstr(err, "did you mean");
        if (unknown && bad >= 0) {
            char *rest[CONF_MAX_WORDS];
            int n = 0, stray = bad;
            struct conf_ratelimit scratch = rl;
            char err2[512];
            for (int i = 0; i < l->argc; i++) {
                if (i != stray)
                    rest[n++] = l->argv[i];
            }
            if (conf_parse_options_err(ratelimit_options, n_opts, rest, n, &scratch, &seen, &bad,
                                       err2, sizeof(err2)) == 0) {
                char *line = conf_join_words(rest, n);
                conf_err(p, l, "%s; fix: remove '%s': %s%s%s", err, l->argv[stray], l->dir->name,
                         n ? " " : "", line ? line : "");
                free(line);
                return -1;
            }
        }
        conf_err(p, l, "%s", err);
        return -1;
    }
    rl.loc = l->loc;
    *target = rl;
    return 0;
}

int conf_handle_ratelimit(struct conf_parser *p, struct conf_line *l)
{
    return handle_ratelimit(p, l, &p->conf->ratelimit, 3, true);
}

int conf_handle_cmdratelimit(struct conf_parser *p, struct conf_line *l)
{
    return handle_ratelimit(p, l, &p->conf->cmdratelimit, -4, false);
}

int conf_handle_ntsratelimit(struct conf_parser *p, struct conf_line *l)
{
    return handle_ratelimit(p, l, &p->conf->ntsratelimit, 6, false);
}

/* ---- local ---- */

#define LO(field) offsetof(struct conf_local, field)
const struct conf_option conf_local_options[] = {
    {"stratum", CONF_OPT_INT, LO(stratum), 1, 15, .value_name = "N"},
    {"orphan", CONF_OPT_FLAG, LO(orphan)},
    {"distance", CONF_OPT_DOUBLE, LO(distance), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"activate", CONF_OPT_DOUBLE, LO(activate), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"waitsynced", CONF_OPT_DOUBLE, LO(waitsynced), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"waitunsynced", CONF_OPT_DOUBLE, LO(waitunsynced), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
};
const int conf_n_local_options = (int)(sizeof(conf_local_options) / sizeof(conf_local_options[0]));

void conf_local_defaults(struct conf_local *local)
{
    memset(local, 0, sizeof(*local));
    local->stratum = 10;
    local->distance = 1.0;
    local->waitunsynced = -1; /* 300 with orphan, else 0 */
}

int conf_handle_local(struct conf_parser *p, struct conf_line *l)
{
    struct conf_local local;
    uint64_t seen;
    int bad;

    conf_local_defaults(&local);
    if (conf_parse_options(p, l, conf_local_options, conf_n_local_options, l->argv, l->argc, &local,
                           &seen, &bad) < 0)
        return -1;
    local.enabled = true;
    local.loc = l->loc;
    p->conf->local = local;
    return 0;
}

/* ---- hwtimestamp ---- */

static const struct conf_name_value rxfilter_names[] = {
    {"all", 1}, {"ntp", 2}, {"ptp", 3}, {"none", 4}, {NULL, 0},
};

#define H(field) offsetof(struct conf_hwts, field)
const struct conf_option conf_hwts_options[] = {
    {"minpoll", CONF_OPT_INT, H(minpoll), -6, 32, .value_name = "POLL"},
    {"maxpoll", CONF_OPT_INT, H(maxpoll), -6, 32, .value_name = "POLL"},
    {"minsamples", CONF_OPT_INT, H(minsamples), 0, INT_MAX, .value_name = "N"},
    {"maxsamples", CONF_OPT_INT, H(maxsamples), 0, INT_MAX, .value_name = "N"},
    {"precision", CONF_OPT_DOUBLE, H(precision), .dmin = 0, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"txcomp", CONF_OPT_DOUBLE, H(txcomp), .dmin = -HUGE_VAL, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"rxcomp", CONF_OPT_DOUBLE, H(rxcomp), .dmin = -HUGE_VAL, .dmax = HUGE_VAL,
     .value_name = "SECONDS"},
    {"nocrossts", CONF_OPT_FLAG, H(nocrossts)},
    {"rxfilter", CONF_OPT_ENUM, H(rxfilter), .names = rxfilter_names,
     .value_name = "all|ntp|ptp|none"},
};
const int conf_n_hwts_options = (int)(sizeof(conf_hwts_options) / sizeof(conf_hwts_options[0]));

void conf_hwts_defaults(struct conf_hwts *h)
{
    memset(h, 0, sizeof(*h));
    h->minpoll = 0;
    h->maxpoll = 1;
    h->minsamples = 2;
    h->maxsamples = 16;
    h->precision = 100e-9;
}

static bool valid_interface(const char *name)
{
    size_t len = strlen(name);
    if (strcmp(name, "*") == 0)
        return true;
    /* Linux interface names: up to 15 bytes, no '/', no white space, not "." or "..". */
    if (len == 0 || len > 15 || strchr(name, '/') || strchr(name, ':') || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        return false;
    return true;
}

int conf_handle_hwtimestamp(struct conf_parser *p, struct conf_line *l)
{
    struct tock_config *conf = p->conf;
    struct conf_hwts h;
    uint64_t seen;
    int bad;

    if (l->argc < 1) {
        conf_err(p, l, "missing interface (syntax: %s)", l->dir->syntax);
        return -1;
    }
    if (!valid_interface(l->argv[0])) {
        conf_err(p, l, "invalid interface name '%s'", l->argv[0]);
        return -1;
    }
    conf_hwts_defaults(&h);
    if (conf_parse_options(p, l, conf_hwts_options, conf_n_hwts_options, l->argv + 1, l->argc - 1,
                           &h, &seen, &bad) < 0)
        return -1;
    if (!(seen & (1u << 1))) /* maxpoll: chrony's default is minpoll + 1 */
        h.maxpoll = h.minpoll + 1;
    struct conf_hwts *slot = conf_grow(p, l, (void **)&conf->hwts, &conf->n_hwts,
                                       sizeof(*conf->hwts), CONF_MAX_LIST, "hwtimestamp lines");
    if (!slot)
        return -1;
    h.interface = conf_strdup(p, l, l->argv[0]);
    if (!h.interface) {
        conf->n_hwts--;
        return -1;
    }
    h.loc = l->loc;
    *slot = h;
    return 0;
}

/* ---- log ---- */

const struct conf_name_value conf_log_names[] = {
    {"rawmeasurements", CONF_LOG_RAWMEASUREMENTS},
    {"measurements", CONF_LOG_MEASUREMENTS},
    {"statistics", CONF_LOG_STATISTICS},
    {"tracking", CONF_LOG_TRACKING},
    {"rtc", CONF_LOG_RTC},
    {"refclocks", CONF_LOG_REFCLOCKS},
    {"tempcomp", CONF_LOG_TEMPCOMP},
    {"selection", CONF_LOG_SELECTION},
    {NULL, 0},
};

int conf_handle_log(struct conf_parser *p, struct conf_line *l)
{
    unsigned flags = 0;
    const char *names[16];
    int k = 0;

    for (int i = 0; conf_log_names[i].name; i++)
        names[k++] = conf_log_names[i].name;
    names[k] = NULL;
    for (int i = 0; i < l->argc; i++) {
        const char *w = l->argv[i];
        int j;
        /* chrony compares log options with strcmp: they must be lower case. */
        for (j = 0; conf_log_names[j].name; j++) {
            if (strcmp(conf_log_names[j].name, w) == 0)
                break;
        }
        if (conf_log_names[j].name) {
            flags |= (unsigned)conf_log_names[j].value;
            continue;
        }
        for (j = 0; conf_log_names[j].name; j++) {
            if (strcasecmp(conf_log_names[j].name, w) == 0)
                break;
        }
        if (conf_log_names[j].name) {
            conf_err(p, l, "invalid log option '%s'; fix: log options are lower case: %s", w,
                     conf_log_names[j].name);
            return -1;
        }
        const char *close = conf_closest(w, names);
        if (close)
            conf_err(p, l, "invalid log option '%s'; did you mean %s?", w, close);
        else
            conf_err(p, l,
                     "invalid log option '%s' (options: rawmeasurements, measurements, "
                     "statistics, tracking, rtc, refclocks, tempcomp, selection)",
                     w);
        return -1;
    }
    p->conf->log_flags |= flags;
    return 0;
}

/* ---- driftfile, makestep, leapsecmode ---- */

struct driftfile_opts {
    int interval;
};
static const struct conf_option driftfile_options[] = {
    {"interval", CONF_OPT_INT, offsetof(struct driftfile_opts, interval), 0, INT_MAX,
     .value_name = "SECONDS"},
};

int conf_handle_driftfile(struct conf_parser *p, struct conf_line *l)
{
    struct driftfile_opts opts = {.interval = 3600};
    uint64_t seen;
    int bad;

    if (l->argc < 1) {
        conf_err(p, l, "missing argument (syntax: %s)", l->dir->syntax);
        return -1;
    }
    if (conf_parse_options(p, l, driftfile_options, 1, l->argv + 1, l->argc - 1, &opts, &seen,
                           &bad) < 0)
        return -1;
    if (replace_string(p, l, &p->conf->driftfile, l->argv[0]) < 0)
        return -1;
    p->conf->driftfile_interval = opts.interval;
    return 0;
}

int conf_handle_makestep(struct conf_parser *p, struct conf_line *l)
{
    double threshold;
    long long limit;

    if (conf_check_argc(p, l, 2, 2) < 0)
        return -1;
    if (conf_parse_double(l->argv[0], &threshold) < 0) {
        conf_err(p, l, "invalid number '%s'", l->argv[0]);
        return -1;
    }
    if (threshold < 0) {
        conf_err(p, l, "invalid value %s (min 0)", l->argv[0]);
        return -1;
    }
    if (conf_parse_ll(l->argv[1], &limit) < 0) {
        conf_err(p, l, "invalid integer '%s'", l->argv[1]);
        return -1;
    }
    if (limit < INT_MIN || limit > INT_MAX) {
        conf_err(p, l, "invalid value %s (min %d, max %d)", l->argv[1], INT_MIN, INT_MAX);
        return -1;
    }
    p->conf->makestep_enabled = true;
    p->conf->makestep_threshold = threshold;
    p->conf->makestep_limit = (int)limit;
    return 0;
}

const struct conf_name_value conf_leapsecmode_names[] = {
    {"system", CONF_LEAPSECMODE_SYSTEM},
    {"slew", CONF_LEAPSECMODE_SLEW},
    {"step", CONF_LEAPSECMODE_STEP},
    {"ignore", CONF_LEAPSECMODE_IGNORE},
    {NULL, 0},
};

int conf_handle_leapsecmode(struct conf_parser *p, struct conf_line *l)
{
    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    for (int i = 0; conf_leapsecmode_names[i].name; i++) {
        if (strcasecmp(conf_leapsecmode_names[i].name, l->argv[0]) == 0) {
            p->conf->leapsecmode = conf_leapsecmode_names[i].value;
            return 0;
        }
    }
    conf_err(p, l, "invalid mode '%s' (one of system, slew, step, ignore)", l->argv[0]);
    return -1;
}

/* ---- addresses and paths ---- */

static int parse_ip(struct conf_parser *p, struct conf_line *l, struct tock_ip *ip)
{
    if (tock_ip_parse(l->argv[0], ip) < 0) {
        conf_err(p, l, "invalid address '%s' (a numeric IPv4 or IPv6 address)", l->argv[0]);
        return -1;
    }
    l->slot = ip->family == AF_INET ? 0 : 1;
    return 0;
}

int conf_handle_bindaddress(struct conf_parser *p, struct conf_line *l)
{
    struct tock_ip ip;

    if (conf_check_argc(p, l, 1, 1) < 0 || parse_ip(p, l, &ip) < 0)
        return -1;
    if (ip.family == AF_INET)
        p->conf->bindaddress4 = ip;
    else
        p->conf->bindaddress6 = ip;
    return 0;
}

int conf_handle_bindmetricsaddress(struct conf_parser *p, struct conf_line *l)
{
    struct tock_ip ip;

    if (conf_check_argc(p, l, 1, 1) < 0 || parse_ip(p, l, &ip) < 0)
        return -1;
    if (ip.family == AF_INET)
        p->conf->bindmetricsaddress4 = ip;
    else
        p->conf->bindmetricsaddress6 = ip;
    return 0;
}

int conf_handle_bindcmdaddress(struct conf_parser *p, struct conf_line *l)
{
    struct tock_ip ip;

    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    const char *w = l->argv[0];
    if (w[0] == '/') {
        l->slot = 2;
        if (strcmp(w, "/") == 0) { /* disables the Unix socket */
            free(p->conf->cmdsocket);
            p->conf->cmdsocket = NULL;
            return 0;
        }
        if (strlen(w) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            conf_err(p, l, "socket path too long (max %zu bytes)",
                     sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
            return -1;
        }
        return replace_string(p, l, &p->conf->cmdsocket, w);
    }
    if (parse_ip(p, l, &ip) < 0)
        return -1;
    if (ip.family == AF_INET)
        p->conf->bindcmdaddress4 = ip;
    else
        p->conf->bindcmdaddress6 = ip;
    return 0;
}

int conf_handle_pidfile(struct conf_parser *p, struct conf_line *l)
{
    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    if (strcmp(l->argv[0], "/") == 0) { /* chrony 4.6+: no pidfile */
        free(p->conf->pidfile);
        p->conf->pidfile = NULL;
        return 0;
    }
    return replace_string(p, l, &p->conf->pidfile, l->argv[0]);
}

/* ---- NTS ---- */

int conf_handle_ntsservercert(struct conf_parser *p, struct conf_line *l)
{
    struct tock_config *conf = p->conf;

    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    /* Certificates and keys pair up in order: the i-th cert with the i-th key. */
    for (int i = 0; i < conf->n_nts_certkeys; i++) {
        if (!conf->nts_certkeys[i].cert) {
            if (!(conf->nts_certkeys[i].cert = conf_strdup(p, l, l->argv[0])))
                return -1;
            conf->nts_certkeys[i].loc = l->loc;
            return 0;
        }
    }
    struct conf_nts_certkey *ck =
        conf_grow(p, l, (void **)&conf->nts_certkeys, &conf->n_nts_certkeys,
                  sizeof(*conf->nts_certkeys), CONF_MAX_LIST, "ntsservercert lines");
    if (!ck)
        return -1;
    if (!(ck->cert = conf_strdup(p, l, l->argv[0]))) {
        conf->n_nts_certkeys--;
        return -1;
    }
    ck->loc = l->loc;
    return 0;
}

int conf_handle_ntsserverkey(struct conf_parser *p, struct conf_line *l)
{
    struct tock_config *conf = p->conf;

    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    for (int i = 0; i < conf->n_nts_certkeys; i++) {
        if (!conf->nts_certkeys[i].key) {
            if (!(conf->nts_certkeys[i].key = conf_strdup(p, l, l->argv[0])))
                return -1;
            return 0;
        }
    }
    struct conf_nts_certkey *ck =
        conf_grow(p, l, (void **)&conf->nts_certkeys, &conf->n_nts_certkeys,
                  sizeof(*conf->nts_certkeys), CONF_MAX_LIST, "ntsserverkey lines");
    if (!ck)
        return -1;
    if (!(ck->key = conf_strdup(p, l, l->argv[0]))) {
        conf->n_nts_certkeys--;
        return -1;
    }
    ck->loc = l->loc;
    return 0;
}

int conf_handle_ntstrustedcerts(struct conf_parser *p, struct conf_line *l)
{
    struct tock_config *conf = p->conf;
    long long set = 0;

    if (conf_check_argc(p, l, 1, 2) < 0)
        return -1;
    if (l->argc == 2) {
        if (conf_parse_ll(l->argv[0], &set) < 0) {
            conf_err(p, l, "invalid integer '%s' (syntax: %s)", l->argv[0], l->dir->syntax);
            return -1;
        }
        if (set < 0 || set > 4294967295LL) {
            conf_err(p, l, "invalid value %s (min 0, max 4294967295)", l->argv[0]);
            return -1;
        }
    }
    struct conf_trusted_certs *tc =
        conf_grow(p, l, (void **)&conf->nts_trusted, &conf->n_nts_trusted,
                  sizeof(*conf->nts_trusted), CONF_MAX_LIST, "ntstrustedcerts lines");
    if (!tc)
        return -1;
    if (!(tc->path = conf_strdup(p, l, l->argv[l->argc - 1]))) {
        conf->n_nts_trusted--;
        return -1;
    }
    tc->set = (uint32_t)set;
    tc->loc = l->loc;
    return 0;
}

int conf_handle_ntsaeads(struct conf_parser *p, struct conf_line *l)
{
    int ids[4], n = 0;
    long long id;

    if (conf_check_argc(p, l, 1, 2) < 0)
        return -1;
    for (int i = 0; i < l->argc; i++) {
        if (conf_parse_ll(l->argv[i], &id) < 0) {
            conf_err(p, l, "invalid integer '%s'", l->argv[i]);
            return -1;
        }
        if (id != 15 && id != 30) {
            conf_err(p, l,
                     "unsupported AEAD %s (valid: 15 = AES-SIV-CMAC-256, 30 = AES-128-GCM-SIV)",
                     l->argv[i]);
            return -1;
        }
        for (int j = 0; j < n; j++) {
            if (ids[j] == id) {
                conf_err(p, l, "AEAD %lld given twice", id);
                return -1;
            }
        }
        ids[n++] = (int)id;
    }
    memcpy(p->conf->ntsaeads, ids, (size_t)n * sizeof(ids[0]));
    p->conf->n_ntsaeads = n;
    return 0;
}

int conf_handle_ntsntpserver(struct conf_parser *p, struct conf_line *l)
{
    if (conf_check_argc(p, l, 1, 1) < 0)
        return -1;
    if (!conf_valid_hostname(l->argv[0])) {
        conf_err(p, l, "invalid host name '%s'", l->argv[0]);
        return -1;
    }
    return replace_string(p, l, &p->conf->ntsntpserver, l->argv[0]);
}

/* ---- opencommands ---- */

const struct conf_name_value conf_opencmd_names[] = {
    {"activity", CONF_OPENCMD_ACTIVITY},     {"authdata", CONF_OPENCMD_AUTHDATA},
    {"clients", CONF_OPENCMD_CLIENTS},       {"manual", CONF_OPENCMD_MANUAL},
    {"ntpdata", CONF_OPENCMD_NTPDATA},       {"rtcdata", CONF_OPENCMD_RTCDATA},
    {"selectdata", CONF_OPENCMD_SELECTDATA}, {"serverstats", CONF_OPENCMD_SERVERSTATS},
    {"smoothing", CONF_OPENCMD_SMOOTHING},   {"sourcename", CONF_OPENCMD_SOURCENAME},
    {"sources", CONF_OPENCMD_SOURCES},       {"sourcestats", CONF_OPENCMD_SOURCESTATS},
    {"tracking", CONF_OPENCMD_TRACKING},     {NULL, 0},
};

int conf_handle_opencommands(struct conf_parser *p, struct conf_line *l)
{
    unsigned bits = 0;
    const char *names[20];
    int k = 0;

    for (int i = 0; conf_opencmd_names[i].name; i++)
        names[k++] = conf_opencmd_names[i].name;
    names[k] = NULL;
    for (int i = 0; i < l->argc; i++) {
        int j;
        for (j = 0; conf_opencmd_names[j].name; j++) {
            if (strcasecmp(conf_opencmd_names[j].name, l->argv[i]) == 0)
                break;
        }
        if (!conf_opencmd_names[j].name) {
            const char *close = conf_closest(l->argv[i], names);
            if (close)
                conf_err(p, l, "unknown command '%s'; did you mean %s?", l->argv[i], close);
            else
                conf_err(p, l,
                         "unknown command '%s' (commands: activity, authdata, clients, manual, "
                         "ntpdata, rtcdata, selectdata, serverstats, smoothing, sourcename, "
                         "sources, sourcestats, tracking)",
                         l->argv[i]);
            return -1;
        }
        bits |= (unsigned)conf_opencmd_names[j].value;
    }
    p->conf->opencommands = bits;
    return 0;
}
