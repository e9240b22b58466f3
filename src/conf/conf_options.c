/* Keyword options ("minpoll 4 iburst ...") driven by tables: one description of each option
 * serves parsing, range checks, "did you mean", and printing. */
#include "conf/conf_internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FIELD(obj, off, type)  ((type *)(void *)((char *)(obj) + (off)))
#define CFIELD(obj, off, type) ((const type *)(const void *)((const char *)(obj) + (off)))

static const struct conf_option *find(const struct conf_option *opts, int n, const char *word,
                                      int *index)
{
    for (int i = 0; i < n; i++) {
        if (strcasecmp(opts[i].name, word) == 0) {
            *index = i;
            return &opts[i];
        }
    }
    return NULL;
}

bool conf_is_option(const struct conf_option *opts, int n_opts, const char *word)
{
    int i;
    return find(opts, n_opts, word, &i) != NULL;
}

static void option_names(const struct conf_option *opts, int n_opts, const char **names, int max)
{
    int k = 0;
    for (int i = 0; i < n_opts && k < max - 1; i++)
        names[k++] = opts[i].name;
    names[k] = NULL;
}

static void range_text(char *buf, size_t len, const struct conf_option *o)
{
    char a[32], b[32];

    if (o->type == CONF_OPT_DOUBLE) {
        snprintf(a, sizeof(a), "%g", o->dmin);
        snprintf(b, sizeof(b), "%g", o->dmax);
        if (isinf(o->dmax))
            snprintf(buf, len, "min %s", a);
        else if (isinf(o->dmin))
            snprintf(buf, len, "max %s", b);
        else
            snprintf(buf, len, "min %s, max %s", a, b);
    } else {
        snprintf(buf, len, "min %lld, max %lld", o->imin, o->imax);
    }
}

static int parse_hex(const char *word, unsigned long *out)
{
    const char *p = word;
    char *end;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        p += 2;
    if (!isxdigit((unsigned char)*p) || strlen(p) > 8)
        return -1;
    *out = strtoul(p, &end, 16);
    return *end ? -1 : 0;
}

static void names_list(char *buf, size_t len, const struct conf_name_value *names)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; names[i].name && used + 2 < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i].name);
}

/* One option with its value word (or NULL). Returns 0, or -1 with the message in err. */
static int set_value(const struct conf_option *o, const char *w, void *obj, char *err,
                     size_t errlen)
{
    char range[96], list[160];
    long long ll;
    double d;
    unsigned long hex;

    if (!w) {
        snprintf(err, errlen, "%s: missing value (%s %s)", o->name, o->name,
                 o->value_name ? o->value_name : "VALUE");
        return -1;
    }
    switch (o->type) {
    case CONF_OPT_INT:
    case CONF_OPT_U32:
        if (conf_parse_ll(w, &ll) < 0) {
            snprintf(err, errlen, "%s: invalid integer '%s'", o->name, w);
            return -1;
        }
        if (ll < o->imin || ll > o->imax) {
            range_text(range, sizeof(range), o);
            snprintf(err, errlen, "%s: invalid value %s (%s)", o->name, w, range);
            return -1;
        }
        if (o->type == CONF_OPT_INT)
            *FIELD(obj, o->offset, int) = (int)ll;
        else
            *FIELD(obj, o->offset, uint32_t) = (uint32_t)ll;
        return 0;
    case CONF_OPT_DOUBLE:
        if (conf_parse_double(w, &d) < 0) {
            snprintf(err, errlen, "%s: invalid number '%s'", o->name, w);
            return -1;
        }
        if (d < o->dmin || d > o->dmax) {
            range_text(range, sizeof(range), o);
            snprintf(err, errlen, "%s: invalid value %s (%s)", o->name, w, range);
            return -1;
        }
        *FIELD(obj, o->offset, double) = d;
        return 0;
    case CONF_OPT_ENUM:
        for (int i = 0; o->names[i].name; i++) {
            if (strcasecmp(o->names[i].name, w) == 0) {
                *FIELD(obj, o->offset, int) = o->names[i].value;
                return 0;
            }
        }
        names_list(list, sizeof(list), o->names);
        snprintf(err, errlen, "%s: invalid value '%s' (one of %s)", o->name, w, list);
        return -1;
    case CONF_OPT_HEXBITS:
        if (parse_hex(w, &hex) == 0) {
            for (int i = 0; o->names[i].name; i++) {
                unsigned long code = strtoul(o->names[i].name, NULL, 16);
                if (code == hex) {
                    *FIELD(obj, o->offset, uint32_t) |= (uint32_t)o->names[i].value;
                    return 0;
                }
            }
        }
        names_list(list, sizeof(list), o->names);
        snprintf(err, errlen, "%s: unknown extension field '%s' (known: %s)", o->name, w, list);
        return -1;
    default:
        return -1;
    }
}

static int parse_opts(const struct conf_option *opts, int n_opts, char *const *words, int n_words,
                      void *obj, uint64_t *seen, int *bad, char *err, size_t errlen)
{
    *seen = 0;
    *bad = -1;
    for (int i = 0; i < n_words; i++) {
        int index;
        const struct conf_option *o = find(opts, n_opts, words[i], &index);
        if (!o) {
            const char *names[64];
            option_names(opts, n_opts, names, 64);
            const char *close = conf_closest(words[i], names);
            *bad = i;
            if (strchr("#;!%", words[i][0]))
                snprintf(err, errlen,
                         "unknown option '%s'; fix: put the comment on a line of its own (there "
                         "are no trailing comments)",
                         words[i]);
            else if (close)
                snprintf(err, errlen, "unknown option '%s'; did you mean %s?", words[i], close);
            else
                snprintf(err, errlen, "unknown option '%s'", words[i]);
            return -1;
        }
        *seen |= (uint64_t)1 << index;
        if (o->type == CONF_OPT_FLAG) {
            *FIELD(obj, o->offset, bool) = true;
            continue;
        }
        if (o->type == CONF_OPT_SETINT) {
            *FIELD(obj, o->offset, int) = (int)o->imin;
            continue;
        }
        const char *value = i + 1 < n_words ? words[i + 1] : NULL;
        if (set_value(o, value, obj, err, errlen) < 0) {
            *bad = value ? i + 1 : i;
            return -1;
        }
        i++;
    }
    return 0;
}

int conf_parse_options(struct conf_parser *p, const struct conf_line *l,
                       const struct conf_option *opts, int n_opts, char *const *words, int n_words,
                       void *obj, uint64_t *seen, int *bad)
{
    char err[512];

    if (parse_opts(opts, n_opts, words, n_words, obj, seen, bad, err, sizeof(err)) < 0) {
        conf_err(p, l, "%s", err);
        return -1;
    }
    return 0;
}

int conf_parse_options_err(const struct conf_option *opts, int n_opts, char *const *words,
                           int n_words, void *obj, uint64_t *seen, int *bad, char *err,
                           size_t errlen)
{
    return parse_opts(opts, n_opts, words, n_words, obj, seen, bad, err, errlen);
}

void conf_print_options(struct conf_sb *sb, const struct conf_option *opts, int n_opts,
                        const void *obj, const void *dflt)
{
    char num[64];

    for (int i = 0; i < n_opts; i++) {
        const struct conf_option *o = &opts[i];
        switch (o->type) {
        case CONF_OPT_FLAG:
            if (*CFIELD(obj, o->offset, bool) && !*CFIELD(dflt, o->offset, bool))
                conf_sb_addf(sb, " %s", o->name);
            break;
        case CONF_OPT_SETINT:
            if (*CFIELD(obj, o->offset, int) == (int)o->imin &&
                *CFIELD(dflt, o->offset, int) != (int)o->imin)
                conf_sb_addf(sb, " %s", o->name);
            break;
        case CONF_OPT_INT:
            if (*CFIELD(obj, o->offset, int) != *CFIELD(dflt, o->offset, int))
                conf_sb_addf(sb, " %s %d", o->name, *CFIELD(obj, o->offset, int));
            break;
        case CONF_OPT_U32:
            if (*CFIELD(obj, o->offset, uint32_t) != *CFIELD(dflt, o->offset, uint32_t))
                conf_sb_addf(sb, " %s %u", o->name, (unsigned)*CFIELD(obj, o->offset, uint32_t));
            break;
        case CONF_OPT_DOUBLE:
            if (*CFIELD(obj, o->offset, double) != *CFIELD(dflt, o->offset, double)) {
                conf_format_double(*CFIELD(obj, o->offset, double), num, sizeof(num));
                conf_sb_addf(sb, " %s %s", o->name, num);
            }
            break;
        case CONF_OPT_ENUM: {
            int v = *CFIELD(obj, o->offset, int);
            if (v == *CFIELD(dflt, o->offset, int))
                break;
            for (int k = 0; o->names[k].name; k++) {
                if (o->names[k].value == v) {
                    conf_sb_addf(sb, " %s %s", o->name, o->names[k].name);
                    break;
                }
            }
            break;
        }
        case CONF_OPT_HEXBITS: {
            uint32_t bits = *CFIELD(obj, o->offset, uint32_t);
            uint32_t dbits = *CFIELD(dflt, o->offset, uint32_t);
            for (int k = 0; o->names[k].name; k++) {
                uint32_t b = (uint32_t)o->names[k].value;
                if ((bits & b) && !(dbits & b))
                    conf_sb_addf(sb, " %s %s", o->name, o->names[k].name);
            }
            break;
        }
        }
    }
}
