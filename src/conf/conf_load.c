/* Reading configuration text: lines, words, dispatch to the directive table, include /
 * confdir / sourcedir, and the "several directives on one line" analysis. */
#include "conf/conf_internal.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- helpers shared by the handlers ---- */

static void add_line_diag(struct conf_parser *p, enum conf_diag_level level,
                          const struct conf_line *l, const char *fmt, va_list ap)
{
    char *msg = NULL;

    if (vasprintf(&msg, fmt, ap) < 0)
        return;
    conf_diag_add(p->diags, level, &l->loc, "%s: %s", l->dir->name, msg);
    free(msg);
}

void conf_err(struct conf_parser *p, const struct conf_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line_diag(p, CONF_DIAG_ERROR, l, fmt, ap);
    va_end(ap);
}

void conf_warn(struct conf_parser *p, const struct conf_line *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_line_diag(p, CONF_DIAG_WARNING, l, fmt, ap);
    va_end(ap);
}

int conf_check_argc(struct conf_parser *p, const struct conf_line *l, int min, int max)
{
    if (l->argc < min) {
        conf_err(p, l, "missing argument (syntax: %s)", l->dir->syntax);
        return -1;
    }
    if (l->argc > max) {
        if (strchr("#;!%", l->argv[max][0]))
            conf_err(p, l,
                     "unexpected argument '%s'; fix: put the comment on a line of its own (there "
                     "are no trailing comments)",
                     l->argv[max]);
        else
            conf_err(p, l, "unexpected argument '%s' (syntax: %s)", l->argv[max], l->dir->syntax);
        return -1;
    }
    return 0;
}

const char *conf_intern_file(struct tock_config *conf, const char *path)
{
    struct conf_strlist *f = &conf->files;

    for (int i = 0; i < f->n; i++) {
        if (strcmp(f->items[i], path) == 0)
            return f->items[i];
    }
    char **items = realloc(f->items, (size_t)(f->n + 1) * sizeof(*items));
    if (!items)
        return NULL;
    f->items = items;
    if (!(items[f->n] = strdup(path)))
        return NULL;
    return items[f->n++];
}

char *conf_strdup(struct conf_parser *p, const struct conf_line *l, const char *s)
{
    char *copy = strdup(s);
    if (!copy)
        conf_err(p, l, "out of memory");
    return copy;
}

void *conf_grow(struct conf_parser *p, const struct conf_line *l, void **array, int *n, size_t sz,
                int max, const char *what)
{
    if (*n >= max) {
        conf_err(p, l, "too many %s (max %d)", what, max);
        return NULL;
    }
    char *a = *array;
    /* The capacity is the next power of two: grow when n reaches one (no quadratic copying
     * for long lists; the arrays only grow through here). */
    if ((*n & (*n - 1)) == 0) {
        a = realloc(*array, (size_t)(*n ? *n * 2 : 1) * sz);
        if (!a) {
            conf_err(p, l, "out of memory");
            return NULL;
        }
        *array = a;
    }
    memset(a + (size_t)*n * sz, 0, sz);
    return a + (size_t)(*n)++ * sz;
}

/* ---- dispatch ---- */

static void process_words(struct conf_parser *p, char **words, int n, const struct conf_loc *loc,
                          bool may_split);

static bool is_source_handler(const struct conf_directive *d)
{
    return d->handler == conf_handle_server || d->handler == conf_handle_pool;
}

/* Words that are option keywords of the directive being read are not the start of another
 * directive ("server a port 123" is one directive). */
static bool is_option_of(const struct conf_directive *d, const char *word)
{
    if (is_source_handler(d))
        return conf_is_option(conf_source_options, conf_n_source_options, word);
    if (d->handler == conf_handle_hwtimestamp)
        return conf_is_option(conf_hwts_options, conf_n_hwts_options, word);
    return false;
}

/* Runs the handler on a scratch config: does the line parse without error? */
static bool parses_alone(struct conf_parser *p, char **words, int n, const struct conf_loc *loc)
{
    const struct conf_directive *d = conf_find_directive(words[0]);
    struct tock_config scratch;
    struct conf_diags scratch_diags = {0};

    if (!d || !d->handler)
        return false;
    conf_defaults(&scratch);
    struct conf_parser dry = *p;
    dry.conf = &scratch;
    dry.diags = &scratch_diags;
    dry.dry_run = true;
    struct conf_line line = {.dir = d, .argv = words + 1, .argc = n - 1, .loc = *loc};
    int rc = d->handler(&dry, &line);
    bool ok = rc == 0 && scratch_diags.n_errors == 0;
    conf_free(&scratch);
    conf_diags_free(&scratch_diags);
    return ok;
}

/* "port 0 cmdport 323" or "server a iburst server b iburst": when the line does not parse
 * but its first part does, and other words are directive names, report the split lines and
 * process each part (so the rest of the analysis sees what the author meant). */
static bool try_split(struct conf_parser *p, char **words, int n, const struct conf_loc *loc)
{
    int starts[CONF_MAX_WORDS + 1], k = 1;
    const struct conf_directive *cur = conf_find_directive(words[0]);

    starts[0] = 0;
    for (int i = 1; i < n; i++) {
        const struct conf_directive *d = conf_find_directive(words[i]);
        if (d && !is_option_of(cur, words[i])) {
            starts[k++] = i;
            cur = d;
        }
    }
    if (k == 1)
        return false;
    starts[k] = n;
    if (parses_alone(p, words, n, loc) || !parses_alone(p, words, starts[1], loc))
        return false;

    struct conf_sb sb = {0};
    conf_sb_add(&sb, "several directives on one line; put one per line: ");
    for (int j = 0; j < k; j++) {
        char *piece = conf_join_words(words + starts[j], starts[j + 1] - starts[j]);
        conf_sb_addf(&sb, "%s\"%s\"", j ? ", " : "", piece ? piece : "");
        free(piece);
    }
    char *msg = conf_sb_take(&sb);
    conf_diag_add(p->diags, CONF_DIAG_ERROR, loc, "%s", msg ? msg : "several directives");
    free(msg);
    for (int j = 0; j < k; j++)
        process_words(p, words + starts[j], starts[j + 1] - starts[j], loc, false);
    return true;
}

static void unknown_directive(struct conf_parser *p, char **words, int n,
                              const struct conf_loc *loc)
{
    char *fix = conf_unknown_directive_fix(words, n);

    if (fix) {
        conf_diag_add(p->diags, CONF_DIAG_ERROR, loc, "invalid directive %s; fix: %s", words[0],
                      fix);
        free(fix);
        return;
    }
    const char *names[256];
    int k = 0;
    for (int i = 0; i < conf_n_directives && k < 255; i++)
        names[k++] = conf_directives[i].name;
    names[k] = NULL;
    const char *close = conf_closest(words[0], names);
    if (close)
        conf_diag_add(p->diags, CONF_DIAG_ERROR, loc, "invalid directive %s; did you mean %s?",
                      words[0], close);
    else
        conf_diag_add(p->diags, CONF_DIAG_ERROR, loc, "invalid directive %s", words[0]);
}

static void after_success(struct conf_parser *p, const struct conf_line *l)
{
    const struct conf_directive *d = l->dir;
    char where[300], before[300];

    if (d->multi == CONF_SINGLE && p->last_set) {
        int key = conf_directive_index(d) * 4 + (l->slot & 3);
        if (key < p->n_last_set) {
            struct conf_loc *last = &p->last_set[key];
            if (last->line > 0)
                conf_diag_add(p->diags, CONF_DIAG_WARNING, &l->loc, "%s at %s overrides %s",
                              d->name, conf_loc_str(&l->loc, where, sizeof(where)),
                              conf_loc_str(last, before, sizeof(before)));
            *last = l->loc;
        }
    }
    if (d->support == CONF_SUPPORT_PLANNED)
        conf_diag_add(p->diags, CONF_DIAG_INFO, &l->loc, "%s: accepted, not active yet", d->name);
}

static void process_words(struct conf_parser *p, char **words, int n, const struct conf_loc *loc,
                          bool may_split)
{
    const struct conf_directive *d = conf_find_directive(words[0]);

    if (!d) {
        unknown_directive(p, words, n, loc);
        return;
    }
    if (p->sources_only && !is_source_handler(d) && strcasecmp(d->name, "peer") != 0) {
        conf_diag_add(p->diags, CONF_DIAG_ERROR, loc,
                      "%s: not allowed in a sourcedir file (only server, pool and peer lines)",
                      d->name);
        return;
    }
    switch (d->support) {
    case CONF_SUPPORT_UNSUPPORTED:
        if (d->fix)
            conf_diag_add(p->diags, CONF_DIAG_ERROR, loc, "%s: not supported by tock; fix: %s",
                          d->name, d->fix);
        else
            conf_diag_add(p->diags, CONF_DIAG_ERROR, loc, "%s: not supported by tock", d->name);
        return;
    case CONF_SUPPORT_OBSOLETE:
        conf_diag_add(p->diags, CONF_DIAG_WARNING, loc, "%s: %s", d->name, d->fix);
        return;
    default:
        break;
    }
    if (may_split && n > 2 && try_split(p, words, n, loc))
        return;
    struct conf_line line = {.dir = d, .argv = words + 1, .argc = n - 1, .loc = *loc};
    if (d->handler(p, &line) == 0 && !p->dry_run)
        after_success(p, &line);
}

/* ---- lines ---- */

/* chrony skips the invalid lines of *.sources files (a DHCP script may write them): their
 * errors become warnings, and the line is ignored. */
static void demote_errors(struct conf_diags *diags, int first, int errors_before)
{
    int n = diags->n_errors - errors_before;

    for (int i = first; i < diags->n; i++) {
        struct conf_diag *d = &diags->items[i];
        char *msg = NULL;
        if (d->level != CONF_DIAG_ERROR)
            continue;
        d->level = CONF_DIAG_WARNING;
        if (asprintf(&msg, "%s (line ignored, as chrony does in sourcedir files)", d->message) >=
            0) {
            free(d->message);
            d->message = msg;
        }
    }
    diags->n_errors -= n;
    diags->n_warnings += n;
}

void conf_parse_buffer(struct conf_parser *p, const char *data, size_t len, const char *name,
                       bool is_sources_file)
{
    static const size_t max = CONF_MAX_LINE;
    char buf[CONF_MAX_LINE + 1];
    char *words[CONF_MAX_WORDS];
    const char *s = data, *end = data + len;
    int lineno = 0;
    bool saved_sources_only = p->sources_only;

    p->sources_only = is_sources_file;
    while (s < end) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t llen = nl ? (size_t)(nl - s) : (size_t)(end - s);
        struct conf_loc loc = {.file = name, .line = ++lineno};
        if (p->order < INT_MAX)
            loc.order = ++p->order;
        const char *line = s;
        s = nl ? nl + 1 : end;
        if (lineno == INT_MAX)
            break;
        if (memchr(line, '\0', llen)) {
            conf_diag_add(p->diags, CONF_DIAG_ERROR, &loc, "line contains a NUL byte");
            continue;
        }
        if (llen > max) {
            conf_diag_add(p->diags, CONF_DIAG_ERROR, &loc,
                          "line too long (%zu characters, max %zu)", llen, max);
            continue;
        }
        memcpy(buf, line, llen);
        buf[llen] = '\0';
        int n = conf_split_words(buf, words, CONF_MAX_WORDS);
        if (n == 0)
            continue;
        if (is_sources_file && !nl) {
            /* chrony reads only complete lines of *.sources files (they may be being
             * written by a DHCP script). */
            conf_diag_add(p->diags, CONF_DIAG_WARNING, &loc,
                          "last line has no newline; ignored (sourcedir files need complete "
                          "lines)");
            break;
        }
        int first = p->diags->n, errors = p->diags->n_errors;
        process_words(p, words, n, &loc, true);
        if (is_sources_file)
            demote_errors(p->diags, first, errors);
    }
    p->sources_only = saved_sources_only;
}

/* ---- files ---- */

/* Reads a whole regular file (bounded). Returns 0, or -1 with errno set. */
static int read_file(const char *path, char **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    size_t cap = 4096, n = 0;
    char *buf;
    int err = 0;

    *data = NULL;
    *len = 0;
    if (!f)
        return -1;
    if (fstat(fileno(f), &st) < 0)
        err = errno;
    else if (S_ISDIR(st.st_mode))
        err = EISDIR;
    if (err) {
        fclose(f);
        errno = err;
        return -1;
    }
    if (!(buf = malloc(cap))) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    for (;;) {
        if (n == cap) {
            char *nb = cap > CONF_MAX_FILE_SIZE ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                err = cap > CONF_MAX_FILE_SIZE ? EFBIG : ENOMEM;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) {
            if (ferror(f))
                err = EIO;
            break;
        }
    }
    fclose(f);
    if (!err && n > CONF_MAX_FILE_SIZE)
        err = EFBIG;
    if (err) {
        free(buf);
        errno = err;
        return -1;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* Reads PATH as an included file (from the line l). */
static void include_file(struct conf_parser *p, const struct conf_line *l, const char *path,
                         bool sources)
{
    char *real, *data;
    size_t len;

    if (p->conf->files.n >= CONF_MAX_FILES) {
        conf_err(p, l, "too many files (max %d)", CONF_MAX_FILES);
        return;
    }
    if (p->depth >= CONF_MAX_INCLUDE_DEPTH) {
        conf_err(p, l, "%s: nested too deeply (max %d levels)", path, CONF_MAX_INCLUDE_DEPTH);
        return;
    }
    real = realpath(path, NULL);
    if (real) {
        for (int i = 0; i <= p->depth; i++) {
            if (p->stack[i] && strcmp(p->stack[i], real) == 0) {
                conf_err(p, l, "include loop: %s is already being read", path);
                free(real);
                return;
            }
        }
    }
    if (read_file(path, &data, &len) < 0) {
        conf_err(p, l, "cannot read %s: %s", path, strerror(errno));
        free(real);
        return;
    }
    const char *name = conf_intern_file(p->conf, path);
    if (!name) {
        conf_err(p, l, "out of memory");
    } else {
        p->depth++;
        p->stack[p->depth] = real;
        conf_parse_buffer(p, data, len, name, sources);
        p->stack[p->depth] = NULL;
        p->depth--;
    }
    free(data);
    free(real);
}

static bool inclusion_allowed(struct conf_parser *p, const struct conf_line *l)
{
    if (p->opts.no_includes) {
        conf_err(p, l, "file inclusion is disabled here");
        return false;
    }
    return true;
}

int conf_handle_include(struct conf_parser *p, struct conf_line *l)
{
    glob_t g;

    if (conf_check_argc(p, l, 1, 1) < 0 || !inclusion_allowed(p, l))
        return -1;
    if (p->dry_run)
        return 0;
    /* As chrony: a pattern without wildcards is returned as is (GLOB_NOMAGIC), so a missing
     * file is an error when it is read; a wildcard that matches nothing is not an error. */
    int rc = glob(l->argv[0], GLOB_NOMAGIC | GLOB_ERR, NULL, &g);
    if (rc == GLOB_NOMATCH) {
        conf_warn(p, l, "no file matches %s (ignored, as chrony does)", l->argv[0]);
        return 0;
    }
    if (rc != 0) {
        conf_err(p, l, "cannot search for files matching %s", l->argv[0]);
        globfree(&g);
        return -1;
    }
    /* Problems inside the files are theirs: this line itself is valid. */
    for (size_t i = 0; i < g.gl_pathc; i++)
        include_file(p, l, g.gl_pathv[i], false);
    globfree(&g);
    return 0;
}

struct dir_entry {
    char *name;
    const char *dir;
};

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const struct dir_entry *)a)->name, ((const struct dir_entry *)b)->name);
}

/* confdir / sourcedir: the files ending in SUFFIX of up to 10 directories, in the order of
 * their names; a name found in an earlier directory hides the same name in later ones;
 * missing directories are skipped silently (chrony). */
static void read_dirs(struct conf_parser *p, const struct conf_line *l, char *const *dirs,
                      int n_dirs, const char *suffix, bool sources)
{
    struct dir_entry *entries = NULL;
    int n = 0, cap = 0;
    size_t slen = strlen(suffix);

    for (int i = 0; i < n_dirs; i++) {
        DIR *dir = opendir(dirs[i]);
        struct dirent *de;
        if (!dir) {
            if (errno != ENOENT && errno != ENOTDIR)
                conf_warn(p, l, "cannot read directory %s: %s", dirs[i], strerror(errno));
            continue;
        }
        while ((de = readdir(dir)) != NULL && n < CONF_MAX_FILES) {
            size_t len = strlen(de->d_name);
            if (de->d_name[0] == '.' || len <= slen || strcmp(de->d_name + len - slen, suffix))
                continue;
            bool seen = false;
            for (int j = 0; j < n && !seen; j++)
                seen = strcmp(entries[j].name, de->d_name) == 0;
            if (seen)
                continue;
            if (n == cap) {
                int ncap = cap ? cap * 2 : 16;
                struct dir_entry *ne = realloc(entries, (size_t)ncap * sizeof(*ne));
                if (!ne)
                    break;
                entries = ne;
                cap = ncap;
            }
            if (!(entries[n].name = strdup(de->d_name)))
                break;
            entries[n++].dir = dirs[i];
        }
        closedir(dir);
    }
    if (n > 1)
        qsort(entries, (size_t)n, sizeof(*entries), cmp_entry);
    for (int i = 0; i < n; i++) {
        char *path = NULL;
        if (asprintf(&path, "%s/%s", entries[i].dir, entries[i].name) >= 0) {
            include_file(p, l, path, sources);
            free(path);
        }
        free(entries[i].name);
    }
    free(entries);
}

static int check_dirs(struct conf_parser *p, const struct conf_line *l)
{
    if (l->argc < 1) {
        conf_err(p, l, "missing argument (syntax: %s)", l->dir->syntax);
        return -1;
    }
    if (l->argc > CONF_MAX_DIRS) {
        conf_err(p, l, "too many directories (max %d)", CONF_MAX_DIRS);
        return -1;
    }
    return inclusion_allowed(p, l) ? 0 : -1;
}

int conf_handle_confdir(struct conf_parser *p, struct conf_line *l)
{
    if (check_dirs(p, l) < 0)
        return -1;
    if (!p->dry_run)
        read_dirs(p, l, l->argv, l->argc, ".conf", false);
    return 0;
}

int conf_handle_sourcedir(struct conf_parser *p, struct conf_line *l)
{
    struct conf_strlist *lines = &p->conf->sourcedirs;

    if (check_dirs(p, l) < 0)
        return -1;
    if (p->dry_run)
        return 0;
    /* Kept as written (one item per line) for "reload sources": the directories of one
     * line shadow each other by file name, those of different lines do not. */
    char **item = conf_grow(p, l, (void **)&lines->items, &lines->n, sizeof(char *), CONF_MAX_LIST,
                            "sourcedir lines");
    if (!item)
        return -1;
    if (!(*item = conf_join_words(l->argv, l->argc))) {
        lines->n--;
        conf_err(p, l, "out of memory");
        return -1;
    }
    read_dirs(p, l, l->argv, l->argc, ".sources", true);
    return 0;
}

/* ---- entry points ---- */

static int finish(struct conf_parser *p)
{
    conf_check_all(p);
    conf_diags_sort(p->diags);
    free(p->last_set);
    p->last_set = NULL;
    return p->diags->n_errors ? -1 : 0;
}

static void start(struct conf_parser *p, struct tock_config *conf, struct conf_diags *diags,
                  const struct conf_load_opts *opts)
{
    memset(p, 0, sizeof(*p));
    memset(diags, 0, sizeof(*diags));
    conf_defaults(conf);
    p->conf = conf;
    p->diags = diags;
    if (!conf->cmdsocket || !conf->pidfile)
        conf_diag_add(diags, CONF_DIAG_ERROR, NULL, "out of memory");
    if (opts)
        p->opts = *opts;
    p->n_last_set = conf_n_directives * 4;
    p->last_set = calloc((size_t)p->n_last_set, sizeof(*p->last_set));
    if (!p->last_set)
        p->n_last_set = 0;
}

int conf_load_buffer(const char *data, size_t len, const char *name,
                     const struct conf_load_opts *opts, struct tock_config *conf,
                     struct conf_diags *diags)
{
    struct conf_parser p;

    start(&p, conf, diags, opts);
    const char *file = conf_intern_file(conf, name ? name : "(string)");
    if (!file) {
        conf_diag_add(diags, CONF_DIAG_ERROR, NULL, "out of memory");
        return finish(&p);
    }
    if (len > CONF_MAX_FILE_SIZE) {
        struct conf_loc loc = {.file = file};
        conf_diag_add(diags, CONF_DIAG_ERROR, &loc, "configuration too large (max %d bytes)",
                      CONF_MAX_FILE_SIZE);
        return finish(&p);
    }
    conf_parse_buffer(&p, data, len, file, false);
    return finish(&p);
}

int conf_load_sourcedirs(const struct tock_config *conf, struct tock_config *out,
                         struct conf_diags *diags)
{
    struct conf_parser p;
    const struct conf_directive *sd = conf_find_directive("sourcedir");

    start(&p, out, diags, NULL);
    for (int i = 0; i < conf->sourcedirs.n; i++) {
        char *copy = strdup(conf->sourcedirs.items[i]);
        char *words[CONF_MAX_DIRS + 1];
        if (!copy) {
            conf_diag_add(diags, CONF_DIAG_ERROR, NULL, "out of memory");
            break;
        }
        int n = conf_split_words(copy, words, CONF_MAX_DIRS + 1);
        struct conf_line l = {.dir = sd, .argv = words, .argc = n};
        if (n >= 1 && n <= CONF_MAX_DIRS)
            read_dirs(&p, &l, words, n, ".sources", true);
        free(copy);
    }
    conf_diags_sort(diags);
    free(p.last_set);
    return diags->n_errors ? -1 : 0;
}

int conf_load_string(const char *text, const char *name, struct tock_config *conf,
                     struct conf_diags *diags)
{
    return conf_load_buffer(text, strlen(text), name, NULL, conf, diags);
}

int conf_load_file(const char *path, struct tock_config *conf, struct conf_diags *diags)
{
    struct conf_parser p;
    char *data;
    size_t len;

    start(&p, conf, diags, NULL);
    const char *file = conf_intern_file(conf, path);
    struct conf_loc loc = {.file = file ? file : path};
    if (read_file(path, &data, &len) < 0) {
        conf_diag_add(diags, CONF_DIAG_ERROR, &loc, "cannot read configuration file: %s",
                      strerror(errno));
        return finish(&p);
    }
    char *real = realpath(path, NULL);
    p.stack[0] = real;
    conf_parse_buffer(&p, data, len, loc.file, false);
    p.stack[0] = NULL;
    free(real);
    free(data);
    return finish(&p);
}
