/* The configuration: one struct produced by one parser of chrony.conf syntax.
 *
 * This header is the contract between the parser (src/conf/) and every consumer. Every
 * directive the parser knows lands here, fully parsed, even when the feature behind it is
 * not active yet; `conf_directive_status()` says which are active, planned or refused.
 *
 * Ownership: all strings and arrays are heap-allocated and owned by the struct; free them
 * with conf_free(). The struct is immutable after loading (the daemon never edits it).
 */
#ifndef TOCK_CONF_CONFIG_H
#define TOCK_CONF_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/addr.h"

/* Where a directive came from, for messages ("FILE:LINE"). file points into the config's
 * own list of file names (conf->files), valid as long as the config lives. line is 1-based;
 * 0 means "default, not from a file". */
struct conf_loc {
    const char *file;
    int line;
    int order; /* processing order of the line across all files (sorts messages); 0 = none */
};

/* ---- sources: server / pool (inventory 1.1) ---- */

enum conf_source_kind { CONF_SOURCE_SERVER, CONF_SOURCE_POOL };

struct conf_source {
    enum conf_source_kind kind;
    char *host;  /* name or numeric address as written */
    int port;    /* 123 */
    int minpoll; /* 6, -7..24 */
    int maxpoll; /* 10, -7..24 */
    bool iburst, burst;
    uint32_t key; /* 0 = none; 1..2^32-1 */
    bool nts;
    int ntsport;      /* 4460 */
    uint32_t certset; /* 0; 0..2^32-1 */
    bool prefer, noselect, trust, require;
    double maxdelay;         /* 3.0 s */
    double maxdelayratio;    /* 0 = off */
    double maxdelaydevratio; /* 10.0 */
    double maxdelayquant;    /* 0 = off */
    double mindelay;         /* 0 */
    double asymmetry;        /* -0.5..+0.5, meaningful when has_asymmetry */
    bool has_asymmetry;
    double offset;  /* 0 */
    int minsamples; /* -1 = inherit (the chrony minsamples directive; tock: 6) */
    int maxsamples; /* -1 = inherit (no limit) */
    int maxunreach; /* 100000 */
    int filter;     /* 0 = off */
    bool offline, auto_offline, xleave, copy;
    int polltarget;      /* 8 */
    int presend;         /* poll (log2 s) from which an extra packet goes first;
                            CONF_PRESEND_OFF (chrony's 100) = off; -32..32 */
    int minstratum;      /* 0 */
    int version;         /* 0 = automatic (4, or 3 for long-hash keys) */
    uint32_t extfields;  /* enum conf_extfield bits */
    int family;          /* 0 = both, 4 = ipv4 only, 6 = ipv6 only */
    int maxsources;      /* pool only: 4; 1..16 */
    bool from_sourcedir; /* read from a sourcedir *.sources file (reloadable) */
    struct conf_loc loc;
};

#define CONF_PRESEND_OFF 100

/* extfield codes a source may enable (the hex type on the config line). */
enum conf_extfield {
    CONF_EXTFIELD_F323 = 1 << 0, /* experimental monotonic + root (chrony 4.2+) */
    CONF_EXTFIELD_F324 = 1 << 1, /* experimental network correction (4.5-4.8) */
    CONF_EXTFIELD_10A = 1 << 2,  /* network correction (chrony HEAD) */
};

/* ---- access control: allow / deny / cmdallow / cmddeny (inventory 1.3) ---- */

struct conf_acl_rule {
    bool allow;         /* allow or deny */
    bool all;           /* the "all" keyword: wipes more specific rules below it */
    bool both_families; /* no subnet given: all IPv4 and all IPv6 */
    struct tock_ip ip;  /* network address (host bits as written) */
    int prefix_len;     /* 0..32 or 0..128; may exceed the family's width, which the
                           ACL builder refuses with FILE:LINE ("Bad subnet") */
    char *hostname;     /* non-NULL when given as a name (resolved at start-up) */
    struct conf_loc loc;
};

struct conf_acl {
    struct conf_acl_rule *rules; /* in file order */
    int n_rules;
};

/* ---- rate limiting (inventory 1.4) ---- */

struct conf_ratelimit {
    bool enabled; /* the directive is present */
    int interval; /* log2 s: ratelimit 3, cmdratelimit -4, ntsratelimit 6; -19..12 */
    int burst;    /* 8; 1..255 */
    int leak;     /* 2; 1..4 */
    int kod;      /* 0; 0..4 (ratelimit only) */
    struct conf_loc loc;
};

/* ---- local reference (inventory 1.7) ---- */

struct conf_local {
    bool enabled;
    int stratum; /* 10; 1..15 */
    bool orphan;
    double distance;     /* 1.0 */
    double activate;     /* 0 */
    double waitsynced;   /* 0 */
    double waitunsynced; /* -1 = default (300 with orphan, else 0) */
    struct conf_loc loc;
};

/* ---- hwtimestamp (inventory 1.9) ---- */

struct conf_hwts {
    char *interface;       /* name or "*" */
    int minpoll;           /* 0; -6..32 */
    int maxpoll;           /* minpoll + 1 when not given; -6..32 */
    int minsamples;        /* 2 */
    int maxsamples;        /* 16 */
    double precision;      /* 100e-9 */
    double txcomp, rxcomp; /* 0 */
    bool nocrossts;
    int rxfilter; /* 0 = default, 1 all, 2 ntp, 3 ptp, 4 none */
    struct conf_loc loc;
};

/* ---- logging (inventory 1.5) ---- */

enum conf_log_flags {
    CONF_LOG_RAWMEASUREMENTS = 1 << 0,
    CONF_LOG_MEASUREMENTS = 1 << 1,
    CONF_LOG_STATISTICS = 1 << 2,
    CONF_LOG_TRACKING = 1 << 3,
    CONF_LOG_RTC = 1 << 4,
    CONF_LOG_REFCLOCKS = 1 << 5,
    CONF_LOG_TEMPCOMP = 1 << 6,
    CONF_LOG_SELECTION = 1 << 7,
};

/* ---- NTS (inventory 1.10) ---- */

struct conf_nts_certkey {
    char *cert;
    char *key;
    struct conf_loc loc;
};

struct conf_trusted_certs {
    uint32_t set; /* certset id, 0 = default set */
    char *path;   /* file or directory */
    struct conf_loc loc;
};

/* Monitoring commands remote (UDP) clients may use: opencommands (chrony 4.7). */
enum conf_opencmd {
    CONF_OPENCMD_ACTIVITY = 1 << 0,
    CONF_OPENCMD_AUTHDATA = 1 << 1,
    CONF_OPENCMD_CLIENTS = 1 << 2,
    CONF_OPENCMD_MANUAL = 1 << 3,
    CONF_OPENCMD_NTPDATA = 1 << 4,
    CONF_OPENCMD_RTCDATA = 1 << 5,
    CONF_OPENCMD_SELECTDATA = 1 << 6,
    CONF_OPENCMD_SERVERSTATS = 1 << 7,
    CONF_OPENCMD_SMOOTHING = 1 << 8,
    CONF_OPENCMD_SOURCENAME = 1 << 9,
    CONF_OPENCMD_SOURCES = 1 << 10,
    CONF_OPENCMD_SOURCESTATS = 1 << 11,
    CONF_OPENCMD_TRACKING = 1 << 12,
};
/* chrony's default open set: activity manual rtcdata smoothing sourcename sources
 * sourcestats tracking. */
#define CONF_OPENCMD_DEFAULT                                                                       \
    (CONF_OPENCMD_ACTIVITY | CONF_OPENCMD_MANUAL | CONF_OPENCMD_RTCDATA | CONF_OPENCMD_SMOOTHING | \
     CONF_OPENCMD_SOURCENAME | CONF_OPENCMD_SOURCES | CONF_OPENCMD_SOURCESTATS |                   \
     CONF_OPENCMD_TRACKING)

/* leapsecmode values. */
enum conf_leapsecmode {
    CONF_LEAPSECMODE_SYSTEM = 0,
    CONF_LEAPSECMODE_SLEW = 1,
    CONF_LEAPSECMODE_STEP = 2,
    CONF_LEAPSECMODE_IGNORE = 3,
};

/* Compiled-in defaults for paths and the user (override with -D at build time). */
#ifndef TOCK_RUNDIR
#define TOCK_RUNDIR "/run/tock"
#endif
#ifndef TOCK_DEFAULT_USER
#define TOCK_DEFAULT_USER "tock"
#endif
#define CONF_DEFAULT_CMDSOCKET TOCK_RUNDIR "/tockd.sock"
#define CONF_DEFAULT_PIDFILE   TOCK_RUNDIR "/tockd.pid"

/* A directive whose value is a string path list, like confdir/sourcedir. */
struct conf_strlist {
    char **items;
    int n;
};

/* ---- the whole configuration ---- */

struct tock_config {
    /* Every file read (main file, includes, confdir and sourcedir files), for conf_loc. */
    struct conf_strlist files;

    /* Sources. */
    struct conf_source *sources;
    int n_sources;
    /* sourcedir lines as written: one item per line, its directories separated by a space
     * (the directories of one line shadow each other by file name). conf_load_sourcedirs()
     * reads them again ("reload sources"). */
    struct conf_strlist sourcedirs;
    int acquisitionport; /* -1 = a new random port per request (default); 0 = one socket */
    int refresh;         /* 1209600 s: re-resolve source names; 0 = never */
    char *dumpdir;       /* NULL = none */

    /* Serving. */
    int port; /* 123; 0 = no server socket */
    struct conf_loc port_loc;
    struct tock_ip bindaddress4; /* AF_UNSPEC = wildcard */
    struct tock_ip bindaddress6;
    struct conf_acl ntp_acl; /* allow / deny */
    struct conf_ratelimit ratelimit;
    int clientloglimit; /* bytes, 524288 */
    bool noclientlog;
    struct conf_hwts *hwts;
    int n_hwts;

    /* Command access and monitoring. */
    int cmdport;                    /* 323; 0 = no UDP command socket */
    struct tock_ip bindcmdaddress4; /* default 127.0.0.1 */
    struct tock_ip bindcmdaddress6; /* default ::1 */
    char *cmdsocket;                /* Unix socket path, CONF_DEFAULT_CMDSOCKET; NULL = disabled
                                       ("bindcmdaddress /") */
    struct conf_acl cmd_acl;        /* cmdallow / cmddeny */
    struct conf_ratelimit cmdratelimit;
    unsigned opencommands;              /* enum conf_opencmd bits; CONF_OPENCMD_DEFAULT */
    int metricsport;                    /* tock extension: Prometheus endpoint, 0 = off */
    struct tock_ip bindmetricsaddress4; /* default 127.0.0.1 */
    struct tock_ip bindmetricsaddress6; /* default ::1 */

    /* Logging. */
    unsigned log_flags; /* enum conf_log_flags */
    char *logdir;       /* NULL = none */
    int logbanner;      /* 32; 0 = no banner */
    double logchange;   /* 1.0 s */

    /* Clock discipline. */
    char *driftfile;        /* NULL = none */
    int driftfile_interval; /* 3600 s */
    bool makestep_enabled;
    double makestep_threshold;
    int makestep_limit; /* negative = always */
    bool rtcsync;
    char *leapsectz;       /* NULL = none */
    char *leapseclist;     /* NULL = none */
    double maxupdateskew;  /* 1000 ppm */
    double maxdistance;    /* 3.0 s */
    int minsources;        /* 1; >= 1 */
    double maxclockerror;  /* 1 ppm */
    double maxslewrate;    /* 83333.333 ppm */
    double maxdrift;       /* 500000 ppm */
    double maxjitter;      /* 1.0 s */
    double clockprecision; /* 0 = measure */
    double combinelimit;   /* 3.0 */
    double reselectdist;   /* 1e-4 */
    double stratumweight;  /* 1e-3 */
    double corrtimeratio;  /* 3.0 */
    int leapsecmode;       /* enum conf_leapsecmode: 0 system, 1 slew, 2 step, 3 ignore */
    struct conf_local local;

    /* Keys. */
    char *keyfile; /* NULL = none */

    /* NTS server. */
    struct conf_nts_certkey *nts_certkeys; /* ntsservercert[i] paired with ntsserverkey[i] */
    int n_nts_certkeys;
    int ntsport;           /* 4460 */
    int ntsprocesses;      /* 1; 0..1000 */
    int maxntsconnections; /* 100 */
    char *ntsdumpdir;      /* NULL = none */
    int ntsrotate;         /* 604800 s; 0 = external key management */
    char *ntsntpserver;    /* NULL = none */
    struct conf_ratelimit ntsratelimit;
    int ntsaeads[4]; /* AEAD ids in preference order (15, 30); n_ntsaeads 0 = built-in */
    int n_ntsaeads;
    /* NTS client. */
    struct conf_trusted_certs *nts_trusted;
    int n_nts_trusted;
    bool nosystemcert;
    int nocerttimecheck; /* 0 */
    int ntsrefresh;      /* 2419200 s */

    /* Process. */
    char *user;         /* NULL = the compiled-in default (TOCK_DEFAULT_USER) */
    char *pidfile;      /* CONF_DEFAULT_PIDFILE; NULL = disabled ("pidfile /") */
    int sched_priority; /* 0 = off; 1..99 (SCHED_FIFO) */
    bool lock_all;
};

/* ---- diagnostics ---- */

enum conf_diag_level { CONF_DIAG_ERROR, CONF_DIAG_WARNING, CONF_DIAG_INFO };

struct conf_diag {
    enum conf_diag_level level;
    struct conf_loc loc; /* loc.file is owned by the diags; {NULL,0} for whole-config messages */
    char *message;       /* without the "FILE:LINE: level: " prefix; printable ASCII/UTF-8 */
};

struct conf_diags {
    struct conf_diag *items; /* sorted by the order of the lines they refer to */
    int n;
    int n_errors;
    int n_warnings;
    int n_infos;
    struct conf_strlist files; /* owns the file names the items point to */
};

/* How a directive is supported. */
enum conf_support {
    CONF_SUPPORT_ACTIVE,      /* implemented */
    CONF_SUPPORT_PLANNED,     /* parsed fully; "accepted, not active yet" */
    CONF_SUPPORT_UNSUPPORTED, /* valid chrony, refused "not supported by tock" */
    CONF_SUPPORT_UNKNOWN,     /* not a chrony directive */
    CONF_SUPPORT_OBSOLETE,    /* obsolete in chrony too: accepted, ignored with a warning */
};

/* Options of a load. The zero value is the normal behaviour. */
struct conf_load_opts {
    /* include, confdir and sourcedir are refused with an error instead of touching the
     * file system (fuzzing, text from an untrusted place). */
    bool no_includes;
};

/* Limits of the loader (every input is bounded). */
#define CONF_MAX_LINE                                                                              \
    2046                          /* characters of a line, without its newline (chrony: 2048       \
                                     bytes with newline and NUL) */
#define CONF_MAX_INCLUDE_DEPTH 10 /* include/confdir nesting */
#define CONF_MAX_DIRS          10 /* directories of one confdir/sourcedir line */
#define CONF_MAX_FILE_SIZE     (8 << 20)
#define CONF_MAX_FILES         1024  /* files read in one load */
#define CONF_MAX_SOURCES       4096  /* server + pool lines */
#define CONF_MAX_ACL_RULES     65536 /* per list (allow/deny, cmdallow/cmddeny) */
#define CONF_MAX_LIST          1024  /* hwtimestamp, ntsservercert, ntstrustedcerts, dirs */
#define CONF_MAX_DIAGS         10000 /* messages kept; one more says how many were dropped */

/* Fills every field with its default (port 123, cmdport 323, ...). Allocates the default
 * path strings: free with conf_free(). */
void conf_defaults(struct tock_config *conf);

/* Loads FILE (following include/confdir/sourcedir) on top of defaults. conf and diags need
 * not be initialised. Every problem of the whole file is reported in diags (not only the
 * first). Returns 0 when there is no error (warnings allowed), -1 otherwise. conf and diags
 * are usable (and must be freed) either way. */
int conf_load_file(const char *path, struct tock_config *conf, struct conf_diags *diags);

/* Same for an in-memory text (the embedded quick-start configuration, tests); `name`
 * is used as the file name in messages. Includes are still resolved on the file system. */
int conf_load_string(const char *text, const char *name, struct tock_config *conf,
                     struct conf_diags *diags);

/* Same for LEN bytes (which may contain NUL bytes: such lines are errors), with options. */
int conf_load_buffer(const char *data, size_t len, const char *name,
                     const struct conf_load_opts *opts, struct tock_config *conf,
                     struct conf_diags *diags);

/* Reads the *.sources files of conf's sourcedir lines again ("reload sources"): OUT gets
 * defaults plus those sources only (from_sourcedir set). Their invalid lines are warnings
 * and skipped, as in chrony. Returns 0, or -1 on an error; free OUT and DIAGS either way. */
int conf_load_sourcedirs(const struct tock_config *conf, struct tock_config *out,
                         struct conf_diags *diags);

/* Prints the parsed configuration, includes expanded, one directive per line, in a form
 * conf_load_string() reads back to an equal config (tockd -p). */
void conf_print(const struct tock_config *conf, FILE *out);

/* Prints diags as "FILE:LINE: error: MESSAGE" lines (levels error, warning, info). */
void conf_diags_print(const struct conf_diags *diags, FILE *out);

/* Formats one diag the same way, without a newline, into buf (truncated to len). Returns
 * buf. */
char *conf_diag_format(const struct conf_diag *diag, char *buf, size_t len);

/* Status of a directive name (case-insensitive) in this build of tock. */
enum conf_support conf_directive_status(const char *directive);

void conf_free(struct tock_config *conf);
void conf_diags_free(struct conf_diags *diags);

#endif
