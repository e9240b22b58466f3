/* Diagnostics: collected, sorted by line, printed as "FILE:LINE: level: message". */
#include "conf/conf_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *intern(struct conf_diags *diags, const char *file)
{
    struct conf_strlist *f = &diags->files;

    if (!file)
        return NULL;
    for (int i = f->n - 1; i >= 0; i--) {
        if (strcmp(f->items[i], file) == 0)
            return f->items[i];
    }
    char **items = realloc(f->items, (size_t)(f->n + 1) * sizeof(*items));
    if (!items)
        return NULL;
    f->items = items;
    if (!(items[f->n] = strdup(file)))
        return NULL;
    return items[f->n++];
}

/* Message text comes partly from the input: keep control bytes (escape sequences, CR)
 * out of terminals and logs. */
static void sanitize(char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            *s = '?';
    }
}

void conf_diag_addv(struct conf_diags *diags, enum conf_diag_level level,
                    const struct conf_loc *loc, const char *fmt, va_list ap)
{
    char *msg = NULL;

    if (level == CONF_DIAG_ERROR)
        diags->n_errors++;
    else if (level == CONF_DIAG_WARNING)
        diags->n_warnings++;
    else
        diags->n_infos++;
    if (diags->n >= CONF_MAX_DIAGS)
        return; /* counted, not kept: conf_diags_print says how many were dropped */
    if (vasprintf(&msg, fmt, ap) < 0)
        return;
    sanitize(msg);
    struct conf_diag *items = diags->items;
    if ((diags->n & (diags->n - 1)) == 0) { /* capacity: the next power of two */
        items = realloc(diags->items, (size_t)(diags->n ? diags->n * 2 : 1) * sizeof(*items));
        if (!items) {
            free(msg);
            return;
        }
        diags->items = items;
    }
    struct conf_diag *d = &items[diags->n++];
    memset(d, 0, sizeof(*d));
    d->level = level;
    if (loc) {
        d->loc = *loc;
        d->loc.file = intern(diags, loc->file);
    }
    d->message = msg;
}

void conf_diag_add(struct conf_diags *diags, enum conf_diag_level level, const struct conf_loc *loc,
                   const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    conf_diag_addv(diags, level, loc, fmt, ap);
    va_end(ap);
}

struct sort_key {
    unsigned order;
    int index;
};

static int cmp_key(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index); /* stable */
}

void conf_diags_sort(struct conf_diags *diags)
{
    /* By the order of the lines the messages refer to; messages without a line (order 0)
     * go last. Equal lines keep the order the messages were made in. */
    struct sort_key *keys = malloc((size_t)diags->n * sizeof(*keys) + 1);
    struct conf_diag *sorted = malloc((size_t)diags->n * sizeof(*sorted) + 1);

    if (!keys || !sorted) {
        free(keys);
        free(sorted);
        return;
    }
    for (int i = 0; i < diags->n; i++) {
        int o = diags->items[i].loc.order;
        keys[i].order = o > 0 ? (unsigned)o : ~0u;
        keys[i].index = i;
    }
    qsort(keys, (size_t)diags->n, sizeof(*keys), cmp_key);
    for (int i = 0; i < diags->n; i++)
        sorted[i] = diags->items[keys[i].index];
    if (diags->n)
        memcpy(diags->items, sorted, (size_t)diags->n * sizeof(*sorted));
    free(keys);
    free(sorted);
}

const char *conf_loc_str(const struct conf_loc *loc, char *buf, size_t len)
{
    if (loc->file && loc->line > 0)
        snprintf(buf, len, "%s:%d", loc->file, loc->line);
    else if (loc->file)
        snprintf(buf, len, "%s", loc->file);
    else
        snprintf(buf, len, "(default)");
    return buf;
}

static const char *level_name(enum conf_diag_level level)
{
    switch (level) {
    case CONF_DIAG_ERROR:
        return "error";
    case CONF_DIAG_WARNING:
        return "warning";
    default:
        return "info";
    }
}

char *conf_diag_format(const struct conf_diag *d, char *buf, size_t len)
{
    if (d->loc.file && d->loc.line > 0)
        snprintf(buf, len, "%s:%d: %s: %s", d->loc.file, d->loc.line, level_name(d->level),
                 d->message);
    else if (d->loc.file)
        snprintf(buf, len, "%s: %s: %s", d->loc.file, level_name(d->level), d->message);
    else
        snprintf(buf, len, "%s: %s", level_name(d->level), d->message);
    return buf;
}

void conf_diags_print(const struct conf_diags *diags, FILE *out)
{
    for (int i = 0; i < diags->n; i++) {
        const struct conf_diag *d = &diags->items[i];
        if (d->loc.file && d->loc.line > 0)
            fprintf(out, "%s:%d: %s: %s\n", d->loc.file, d->loc.line, level_name(d->level),
                    d->message);
        else if (d->loc.file)
            fprintf(out, "%s: %s: %s\n", d->loc.file, level_name(d->level), d->message);
        else
            fprintf(out, "%s: %s\n", level_name(d->level), d->message);
    }
    int total = diags->n_errors + diags->n_warnings + diags->n_infos;
    if (total > diags->n)
        fprintf(out, "error: %d more messages not shown (%d errors in all)\n", total - diags->n,
                diags->n_errors);
}

void conf_diags_free(struct conf_diags *diags)
{
    for (int i = 0; i < diags->n; i++)
        free(diags->items[i].message);
    free(diags->items);
    for (int i = 0; i < diags->files.n; i++)
        free(diags->files.items[i]);
    free(diags->files.items);
    memset(diags, 0, sizeof(*diags));
}
