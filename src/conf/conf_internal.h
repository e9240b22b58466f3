/* Internals of the configuration parser, shared by the files of src/conf/ only.
 *
 * The parser reads a line, splits it into words, finds the directive in the one table
 * (directives.c) and runs its handler. Handlers parse the words into a local value and
 * commit it to the config only when the whole line is valid, so a bad line never leaves
 * half a directive behind. Every problem becomes a diag; nothing stops at the first error.
 */
#ifndef TOCK_CONF_INTERNAL_H
#define TOCK_CONF_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

/* ---- words and numbers (conf_text.c) ---- */

#define CONF_MAX_WORDS (CONF_MAX_LINE / 2 + 2)

/* Splits a line (no newline, NUL-terminated) into words separated by white space, in place.
 * Returns the number of words. Lines whose first word starts with ! ; # % are comments
 * and give 0 words. */
int conf_split_words(char *line, char **words, int max_words);

/* Strict number parsers: the whole word must be a number. Return 0 or -1 (not a number);
 * conf_parse_int also returns -1 for a value out of [min, max] and sets *out_of_range. */
int conf_parse_ll(const char *word, long long *out);  /* decimal, optional sign; saturates */
int conf_parse_double(const char *word, double *out); /* decimal float, finite */
/* A host name or a numeric address as written on a server/pool/allow line. */
bool conf_valid_hostname(const char *word);
/* Optimal-string-alignment edit distance, case-insensitive, capped at 8. */
int conf_edit_distance(const char *a, const char *b);
/* The closest of NAMES (NULL-terminated) to WORD, or NULL when none is close enough. */
const char *conf_closest(const char *word, const char *const *names);
/* Formats a double so that conf_parse_double() reads back the same value. */
void conf_format_double(double v, char *buf, size_t len);

/* A growing string (printing, messages). All functions tolerate allocation failure by
 * leaving the string truncated; conf_sb_take returns "" then. */
struct conf_sb {
    char *s;
    size_t len, cap;
};
void conf_sb_add(struct conf_sb *sb, const char *text);
void conf_sb_addf(struct conf_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *conf_sb_take(struct conf_sb *sb); /* caller frees */
void conf_sb_free(struct conf_sb *sb);

/* Joins words with single spaces (for fixes and the split-line message). */
char *conf_join_words(char *const *words, int n);

/* ---- diagnostics (conf_diag.c) ---- */

void conf_diag_add(struct conf_diags *diags, enum conf_diag_level level, const struct conf_loc *loc,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void conf_diag_addv(struct conf_diags *diags, enum conf_diag_level level,
                    const struct conf_loc *loc, const char *fmt, va_list ap);
/* Sorts by the order of the lines (stable). */
void conf_diags_sort(struct conf_diags *diags);
/* "FILE:LINE" of a location, for messages naming another line. */
const char *conf_loc_str(const struct conf_loc *loc, char *buf, size_t len);

/* ---- the parser state ---- */

struct conf_directive;

struct conf_parser {
    struct tock_config *conf;
    struct conf_diags *diags;
    struct conf_load_opts opts;
    bool dry_run;      /* parsing into a scratch config to test a split line */
    bool sources_only; /* reading a sourcedir *.sources file */
    int depth;         /* include nesting of the file being read (0 = main) */
    int order;         /* lines seen so far */
    /* Files being read, outermost first, to refuse include loops. */
    const char *stack[CONF_MAX_INCLUDE_DEPTH + 2];
    /* Where each single-valued directive was last set (index: directive * 4 + slot). */
    struct conf_loc *last_set;
    int n_last_set;
};

/* One directive line, already split. */
struct conf_line {
    const struct conf_directive *dir;
    char **argv; /* the words after the directive name */
    int argc;
    struct conf_loc loc;
    int slot; /* set by handlers of per-family directives: which value the line set */
};

/* Adds "NAME: message" as an error (warning, info) at the line. */
void conf_err(struct conf_parser *p, const struct conf_line *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void conf_warn(struct conf_parser *p, const struct conf_line *l, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks the number of arguments: "missing argument (syntax: ...)" or "unexpected argument
 * 'X' (syntax: ...)". Returns 0 or -1 (error added). */
int conf_check_argc(struct conf_parser *p, const struct conf_line *l, int min, int max);

/* Returns the path as stored in conf->files (added when new), for conf_loc.file. */
const char *conf_intern_file(struct tock_config *conf, const char *path);
/* strdup that records an allocation failure as an error (returns NULL then). */
char *conf_strdup(struct conf_parser *p, const struct conf_line *l, const char *s);
/* Grows an array of n elements of size sz by one; returns the new element (zeroed) or NULL
 * (error added). */
void *conf_grow(struct conf_parser *p, const struct conf_line *l, void **array, int *n, size_t sz,
                int max, const char *what);

/* ---- generic option tables (conf_options.c) ---- */

enum conf_opt_type {
    CONF_OPT_FLAG,    /* bool field set to true */
    CONF_OPT_SETINT,  /* int field set to .imin (ipv4 -> family 4) */
    CONF_OPT_INT,     /* int field, value in [imin, imax] */
    CONF_OPT_U32,     /* uint32_t field, value in [imin, imax] */
    CONF_OPT_DOUBLE,  /* double field, value in [dmin, dmax] */
    CONF_OPT_ENUM,    /* int field, value one of .names */
    CONF_OPT_HEXBITS, /* unsigned/uint32_t field, hex code OR-ed in from .names */
};

struct conf_name_value {
    const char *name;
    int value;
};

struct conf_option {
    const char *name;
    enum conf_opt_type type;
    size_t offset; /* offsetof() in the target struct */
    long long imin, imax;
    double dmin, dmax;
    const struct conf_name_value *names; /* ENUM / HEXBITS, {NULL,0}-terminated */
    const char *value_name;              /* for the syntax line: "N", "SECONDS", ... */
};

/* Parses words as options of OPTS into obj. On the first problem adds an error "NAME: ..."
 * (with "did you mean" for a misspelt keyword) and returns -1; *bad is then the index of
 * the offending word (or -1). On success returns 0 and sets *seen to the bits (1 << index in
 * OPTS) of the options present. */
int conf_parse_options(struct conf_parser *p, const struct conf_line *l,
                       const struct conf_option *opts, int n_opts, char *const *words, int n_words,
                       void *obj, uint64_t *seen, int *bad);
/* The same without reporting: returns -1 with the message (no directive prefix) in err. */
int conf_parse_options_err(const struct conf_option *opts, int n_opts, char *const *words,
                           int n_words, void *obj, uint64_t *seen, int *bad, char *err,
                           size_t errlen);
/* Is word an option keyword of OPTS (case-insensitive)? */
bool conf_is_option(const struct conf_option *opts, int n_opts, const char *word);
/* Prints " name value" for every option whose value differs from the one in dflt. */
void conf_print_options(struct conf_sb *sb, const struct conf_option *opts, int n_opts,
                        const void *obj, const void *dflt);

/* ---- the directive table (directives.c) ---- */

typedef int (*conf_handler)(struct conf_parser *p, struct conf_line *l);

/* How a simple directive stores its single argument (no handler needed). */
enum conf_simple {
    CONF_SIMPLE_NONE,
    CONF_SIMPLE_FLAG,   /* no argument, bool field = true */
    CONF_SIMPLE_INT,    /* int field in [imin, imax] */
    CONF_SIMPLE_DOUBLE, /* double field in [dmin, dmax] */
    CONF_SIMPLE_STRING, /* char * field (a path or name, one word) */
};

enum conf_multi {
    CONF_SINGLE, /* the last line wins; a repeat gets a warning */
    CONF_LIST,   /* lines accumulate */
};

enum conf_print_when {
    CONF_PRINT_CHANGED, /* print only when different from the default */
    CONF_PRINT_ALWAYS,  /* an important default: always printed */
};

struct conf_directive {
    const char *name;
    enum conf_support support;
    enum conf_multi multi;
    const char *syntax; /* "makestep THRESHOLD LIMIT", for missing/extra argument messages */
    conf_handler handler;
    enum conf_simple simple;
    size_t offset; /* of the field for CONF_SIMPLE_* */
    long long imin, imax;
    double dmin, dmax;
    enum conf_print_when print;
    const char *fix; /* UNSUPPORTED / OBSOLETE: how to do without it */
};

extern const struct conf_directive conf_directives[];
extern const int conf_n_directives;

/* Case-insensitive lookup; NULL when not a chrony/tock directive. */
const struct conf_directive *conf_find_directive(const char *name);
/* Index of a table entry (for the single-valued tracking). */
int conf_directive_index(const struct conf_directive *d);
/* For a word that is not a directive: the fix to print ("use sched_priority 1 ..."), built
 * from the whole line, or NULL. Caller frees. */
char *conf_unknown_directive_fix(char *const *words, int n_words);

/* ---- handlers (conf_source.c, conf_access.c, conf_handlers.c, conf_load.c) ---- */

int conf_handle_simple(struct conf_parser *p, struct conf_line *l);
int conf_handle_port(struct conf_parser *p, struct conf_line *l);
int conf_handle_ntsntpserver(struct conf_parser *p, struct conf_line *l);
int conf_handle_server(struct conf_parser *p, struct conf_line *l);
int conf_handle_pool(struct conf_parser *p, struct conf_line *l);
int conf_handle_allow(struct conf_parser *p, struct conf_line *l);
int conf_handle_deny(struct conf_parser *p, struct conf_line *l);
int conf_handle_cmdallow(struct conf_parser *p, struct conf_line *l);
int conf_handle_cmddeny(struct conf_parser *p, struct conf_line *l);
int conf_handle_ratelimit(struct conf_parser *p, struct conf_line *l);
int conf_handle_cmdratelimit(struct conf_parser *p, struct conf_line *l);
int conf_handle_ntsratelimit(struct conf_parser *p, struct conf_line *l);
int conf_handle_local(struct conf_parser *p, struct conf_line *l);
int conf_handle_hwtimestamp(struct conf_parser *p, struct conf_line *l);
int conf_handle_log(struct conf_parser *p, struct conf_line *l);
int conf_handle_driftfile(struct conf_parser *p, struct conf_line *l);
int conf_handle_makestep(struct conf_parser *p, struct conf_line *l);
int conf_handle_bindaddress(struct conf_parser *p, struct conf_line *l);
int conf_handle_bindcmdaddress(struct conf_parser *p, struct conf_line *l);
int conf_handle_bindmetricsaddress(struct conf_parser *p, struct conf_line *l);
int conf_handle_pidfile(struct conf_parser *p, struct conf_line *l);
int conf_handle_leapsecmode(struct conf_parser *p, struct conf_line *l);
int conf_handle_ntsservercert(struct conf_parser *p, struct conf_line *l);
int conf_handle_ntsserverkey(struct conf_parser *p, struct conf_line *l);
int conf_handle_ntstrustedcerts(struct conf_parser *p, struct conf_line *l);
int conf_handle_ntsaeads(struct conf_parser *p, struct conf_line *l);
int conf_handle_opencommands(struct conf_parser *p, struct conf_line *l);
int conf_handle_include(struct conf_parser *p, struct conf_line *l);
int conf_handle_confdir(struct conf_parser *p, struct conf_line *l);
int conf_handle_sourcedir(struct conf_parser *p, struct conf_line *l);

/* Option tables shared with conf_print.c. */
extern const struct conf_option conf_source_options[];
extern const int conf_n_source_options;
extern const struct conf_option conf_local_options[];
extern const int conf_n_local_options;
extern const struct conf_option conf_hwts_options[];
extern const int conf_n_hwts_options;
extern const struct conf_name_value conf_log_names[];
extern const struct conf_name_value conf_opencmd_names[];
extern const struct conf_name_value conf_leapsecmode_names[];

void conf_source_defaults(struct conf_source *src, enum conf_source_kind kind);
void conf_hwts_defaults(struct conf_hwts *h);
void conf_local_defaults(struct conf_local *local);

/* Parses the words of an allow/deny line into rule (rule->loc not set). Returns 0, or -1
 * with an error message in err. A prefix longer than the address is returned as 0 with
 * rule->prefix_len as written; the caller reports it. */
int conf_parse_acl_words(char *const *words, int n, bool allow, struct conf_acl_rule *rule,
                         char *err, size_t errlen);

/* ---- checks over the whole config (conf_checks.c, conf_acl_check.c) ---- */

void conf_check_all(struct conf_parser *p);
/* Warnings for access rules shadowed under chrony's semantics (allow/deny or cmd*). */
void conf_check_acl(struct conf_diags *diags, const struct conf_acl *acl, const char *allow_name,
                    const char *deny_name);

/* ---- reading lines (conf_load.c) ---- */

/* Processes one text buffer as the file `name` (already interned). */
void conf_parse_buffer(struct conf_parser *p, const char *data, size_t len, const char *name,
                       bool is_sources_file);

#endif
