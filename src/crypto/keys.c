#include "crypto/keys.h"

#include <nettle/cmac.h>
#include <nettle/md5.h>
#include <nettle/nettle-meta.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>
#include <nettle/sha3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hex.h"

/* The cryptographic state a key keeps ready: big enough for every Nettle context used. */
union key_state {
    struct md5_ctx md5;
    struct sha1_ctx sha1;
    struct sha256_ctx sha256;
    struct sha512_ctx sha512;
    struct sha3_224_ctx sha3_224;
    struct sha3_256_ctx sha3_256;
    struct sha3_384_ctx sha3_384;
    struct sha3_512_ctx sha3_512;
    struct cmac_aes128_ctx cmac128;
    struct cmac_aes256_ctx cmac256;
};

struct key_entry {
    uint32_t id;
    enum keys_type type;
    size_t key_len;
    int line;
    union key_state state;
};

struct keys_table {
    struct key_entry *keys; /* sorted by id, no duplicates */
    size_t n;
};

static const struct {
    const char *name;
    const struct nettle_hash *hash; /* hash types */
    const struct nettle_mac *mac;   /* CMAC types */
} type_table[KEYS_N_TYPES] = {
    [KEYS_MD5] = {"MD5", &nettle_md5, NULL},
    [KEYS_SHA1] = {"SHA1", &nettle_sha1, NULL},
    [KEYS_SHA256] = {"SHA256", &nettle_sha256, NULL},
    [KEYS_SHA384] = {"SHA384", &nettle_sha384, NULL},
    [KEYS_SHA512] = {"SHA512", &nettle_sha512, NULL},
    [KEYS_SHA3_224] = {"SHA3-224", &nettle_sha3_224, NULL},
    [KEYS_SHA3_256] = {"SHA3-256", &nettle_sha3_256, NULL},
    [KEYS_SHA3_384] = {"SHA3-384", &nettle_sha3_384, NULL},
    [KEYS_SHA3_512] = {"SHA3-512", &nettle_sha3_512, NULL},
    [KEYS_AES128] = {"AES128", NULL, &nettle_cmac_aes128},
    [KEYS_AES256] = {"AES256", NULL, &nettle_cmac_aes256},
};

const char *keys_type_name(enum keys_type type)
{
    return (unsigned)type < KEYS_N_TYPES ? type_table[type].name : "?";
}

int keys_type_from_name(const char *name)
{
    for (int t = 0; t < KEYS_N_TYPES; t++) {
        if (strcmp(name, type_table[t].name) == 0)
            return t;
    }
    return -1;
}

bool keys_type_is_cmac(enum keys_type type)
{
    return (unsigned)type < KEYS_N_TYPES && type_table[type].mac != NULL;
}

size_t keys_type_digest_len(enum keys_type type)
{
    if ((unsigned)type >= KEYS_N_TYPES)
        return 0;
    return type_table[type].hash ? type_table[type].hash->digest_size
                                 : type_table[type].mac->digest_size;
}

static size_t cmac_key_len(enum keys_type type)
{
    return keys_type_is_cmac(type) ? type_table[type].mac->key_size : 0;
}

/* ---- diagnostics ---- */

static void diag_add(struct keys_diags *d, enum keys_diag_level level, const char *file, int line,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void diag_add(struct keys_diags *d, enum keys_diag_level level, const char *file, int line,
                     const char *fmt, ...)
{
    if (!d)
        return;
    if (level == KEYS_DIAG_WARNING)
        d->n_warnings++;
    if (d->n >= KEYS_MAX_DIAGS) {
        d->n_dropped++;
        return;
    }
    struct keys_diag *item = &d->items[d->n++];
    item->level = level;
    item->loc.file = file;
    item->loc.line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(item->message, sizeof(item->message), fmt, ap);
    va_end(ap);
}

/* Duplicate warnings are found after all lines; keep the messages in line order. */
static void sort_diags(struct keys_diags *d)
{
    for (int i = 1; i < d->n; i++) {
        struct keys_diag item = d->items[i];
        int j = i;
        while (j > 0 && d->items[j - 1].loc.line > item.loc.line) {
            d->items[j] = d->items[j - 1];
            j--;
        }
        d->items[j] = item;
    }
}

/* ---- one line ---- */

struct word {
    const char *p;
    size_t len;
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits a line into words; returns their number (at most max + 1, meaning "too many"),
 * or 0 for a blank or comment line. */
static int split_words(const char *p, size_t len, struct word *words, int max)
{
    size_t i = 0;
    int n = 0;
    while (i < len && is_blank(p[i]))
        i++;
    if (i < len && strchr("!;#%", p[i]))
        return 0;
    while (i < len) {
        size_t start = i;
        while (i < len && !is_blank(p[i]))
            i++;
        if (n < max)
            words[n] = (struct word){p + start, i - start};
        if (++n > max)
            return n;
        while (i < len && is_blank(p[i]))
            i++;
    }
    return n;
}

static bool parse_id(const struct word *w, uint32_t *id)
{
    if (w->len == 0 || w->len > 10)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < w->len; i++) {
        if (w->p[i] < '0' || w->p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(w->p[i] - '0');
    }
    if (v > UINT32_MAX)
        return false;
    *id = (uint32_t)v;
    return true;
}

static bool has_prefix(const struct word *w, const char *prefix)
{
    size_t n = strlen(prefix);
    return w->len >= n && memcmp(w->p, prefix, n) == 0;
}

/* Decodes `ASCII:text`, `HEX:digits` or bare text into out (at least w->len bytes).
 * Returns the key length; 0 means it could not be decoded (empty or bad hex). */
static size_t decode_key(const struct word *w, uint8_t *out)
{
    if (has_prefix(w, "HEX:")) {
        size_t digits = w->len - 4;
        if (digits % 2)
            return 0;
        for (size_t i = 0; i < digits / 2; i++) {
            int hi = hex_digit(w->p[4 + 2 * i]);
            int lo = hex_digit(w->p[5 + 2 * i]);
            if (hi < 0 || lo < 0)
                return 0;
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        return digits / 2;
    }
    size_t skip = has_prefix(w, "ASCII:") ? 6 : 0;
    memcpy(out, w->p + skip, w->len - skip);
    return w->len - skip;
}

static void prepare_state(struct key_entry *k, const uint8_t *key)
{
    if (type_table[k->type].hash) {
        const struct nettle_hash *h = type_table[k->type].hash;
        h->init(&k->state);
        h->update(&k->state, k->key_len, key);
    } else {
        type_table[k->type].mac->set_key(&k->state, key);
    }
}

struct parser {
    const char *file;
    struct keys_diags *diags;
    struct key_entry *keys;
    size_t n, cap;
    bool full_warned;
    bool oom;
};

static void add_key(struct parser *ps, uint32_t id, enum keys_type type, const uint8_t *key,
                    size_t key_len, int line)
{
    if (ps->n >= KEYS_MAX_KEYS) {
        if (!ps->full_warned)
            diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                     "Too many keys (limit %d); this and later keys are ignored", KEYS_MAX_KEYS);
        ps->full_warned = true;
        return;
    }
    if (ps->n == ps->cap) {
        size_t cap = ps->cap ? 2 * ps->cap : 16;
        struct key_entry *grown = realloc(ps->keys, cap * sizeof(*grown));
        if (!grown) {
            ps->oom = true;
            return;
        }
        ps->keys = grown;
        ps->cap = cap;
    }
    struct key_entry *k = &ps->keys[ps->n++];
    memset(k, 0, sizeof(*k));
    k->id = id;
    k->type = type;
    k->key_len = key_len;
    k->line = line;
    prepare_state(k, key);
}

static void parse_line(struct parser *ps, const char *p, size_t len, int line)
{
    struct word words[3];
    uint8_t key[KEYS_MAX_LINE];
    char type_name[16];
    uint32_t id;

    if (len > KEYS_MAX_LINE) {
        diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                 "Line too long (more than %d characters); skipped", KEYS_MAX_LINE);
        return;
    }
    int n = split_words(p, len, words, 3);
    if (n == 0)
        return;
    if (n < 2 || n > 3 || memchr(p, '\0', len) || !parse_id(&words[0], &id)) {
        diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                 "Could not parse key (expected: ID [TYPE] KEY)");
        return;
    }
    if (id == 0) {
        diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                 "Key ID 0 is not allowed (IDs are 1 to 4294967295)");
        return;
    }
    int type = KEYS_MD5;
    const struct word *value = &words[1];
    if (n == 3) {
        size_t tlen = words[1].len < sizeof(type_name) ? words[1].len : sizeof(type_name) - 1;
        memcpy(type_name, words[1].p, tlen);
        type_name[tlen] = '\0';
        type = words[1].len < sizeof(type_name) ? keys_type_from_name(type_name) : -1;
        if (type < 0) {
            /* Quote at most 32 characters of the unknown name, printable ones only. */
            char shown[33];
            size_t n_shown = words[1].len < 32 ? words[1].len : 32;
            for (size_t i = 0; i < n_shown; i++) {
                char c = words[1].p[i];
                shown[i] = c > ' ' && c < 0x7f ? c : '?';
            }
            shown[n_shown] = '\0';
            diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                     "Unknown hash function or cipher %s in key %u", shown, id);
            return;
        }
        value = &words[2];
    }
    size_t key_len = decode_key(value, key);
    if (key_len == 0) {
        explicit_bzero(key, value->len);
        diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line, "Could not decode key %u", id);
        return;
    }
    size_t need = cmac_key_len((enum keys_type)type);
    if (need && key_len != need) {
        diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                 "Invalid length of %s key %u (expected %zu bits)",
                 keys_type_name((enum keys_type)type), id, 8 * need);
    } else {
        if (!need && key_len < KEYS_MIN_SECURE_LEN)
            diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, line,
                     "Key %u is too short (%zu bits; at least 80 are recommended)", id,
                     8 * key_len);
        add_key(ps, id, (enum keys_type)type, key, key_len, line);
    }
    explicit_bzero(key, key_len);
}

static int compare_entries(const void *a, const void *b)
{
    const struct key_entry *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

/* Sorts by ID and keeps the first definition of each ID. */
static size_t drop_duplicates(struct parser *ps)
{
    if (ps->n > 1)
        qsort(ps->keys, ps->n, sizeof(*ps->keys), compare_entries);
    size_t out = 0;
    for (size_t i = 0; i < ps->n; i++) {
        if (out > 0 && ps->keys[out - 1].id == ps->keys[i].id) {
            diag_add(ps->diags, KEYS_DIAG_WARNING, ps->file, ps->keys[i].line,
                     "Detected duplicate key %u (first defined at line %d); ignored",
                     ps->keys[i].id, ps->keys[out - 1].line);
            explicit_bzero(&ps->keys[i], sizeof(ps->keys[i]));
            continue;
        }
        if (out != i)
            ps->keys[out] = ps->keys[i];
        out++;
    }
    return out;
}

struct keys_table *keys_parse(const char *name, const char *text, size_t len,
                              struct keys_diags *diags)
{
    struct parser ps = {.file = name, .diags = diags};
    if (diags)
        memset(diags, 0, sizeof(*diags));
    int line = 0;
    size_t pos = 0;
    while (pos < len && !ps.oom) {
        const char *start = text + pos;
        const char *nl = memchr(start, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - start) : len - pos;
        line++;
        parse_line(&ps, start, line_len, line);
        pos += line_len + (nl ? 1 : 0);
    }
    struct keys_table *table = calloc(1, sizeof(*table));
    if (ps.oom || !table) {
        if (ps.keys)
            explicit_bzero(ps.keys, ps.cap * sizeof(*ps.keys));
        free(ps.keys);
        free(table);
        return NULL;
    }
    table->n = drop_duplicates(&ps);
    table->keys = ps.keys;
    if (diags)
        sort_diags(diags);
    return table;
}

void keys_free(struct keys_table *table)
{
    if (!table)
        return;
    if (table->keys)
        explicit_bzero(table->keys, table->n * sizeof(*table->keys));
    free(table->keys);
    free(table);
}

size_t keys_count(const struct keys_table *table)
{
    return table ? table->n : 0;
}

static const struct key_entry *find(const struct keys_table *table, uint32_t id)
{
    if (!table)
        return NULL;
    size_t lo = 0, hi = table->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t mid_id = table->keys[mid].id;
        if (mid_id == id)
            return &table->keys[mid];
        if (mid_id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void fill_info(const struct key_entry *k, struct keys_info *out)
{
    out->id = k->id;
    out->type = k->type;
    out->key_len = k->key_len;
    out->digest_len = keys_type_digest_len(k->type);
}

bool keys_lookup(const struct keys_table *table, uint32_t id, struct keys_info *out)
{
    const struct key_entry *k = find(table, id);
    if (!k)
        return false;
    fill_info(k, out);
    return true;
}

bool keys_info_at(const struct keys_table *table, size_t index, struct keys_info *out)
{
    if (!table || index >= table->n)
        return false;
    fill_info(&table->keys[index], out);
    return true;
}

size_t keys_digest(const struct keys_table *table, uint32_t id, const uint8_t *data, size_t len,
                   uint8_t out[KEYS_MAX_DIGEST_LEN])
{
    const struct key_entry *k = find(table, id);
    if (!k)
        return 0;
    union key_state work = k->state;
    size_t digest_len = keys_type_digest_len(k->type);
    if (type_table[k->type].hash) {
        const struct nettle_hash *h = type_table[k->type].hash;
        h->update(&work, len, data);
        h->digest(&work, digest_len, out);
    } else {
        const struct nettle_mac *m = type_table[k->type].mac;
        m->update(&work, len, data);
        m->digest(&work, digest_len, out);
    }
    explicit_bzero(&work, sizeof(work));
    return digest_len;
}

/* ---- keygen ---- */

size_t keys_keygen_length(const char *type, unsigned bits)
{
    int t = type ? keys_type_from_name(type) : -1;
    if (t < 0)
        return 0;
    if (keys_type_is_cmac((enum keys_type)t))
        return cmac_key_len((enum keys_type)t);
    uint64_t bytes = ((uint64_t)bits + 7) / 8;
    if (bytes < KEYS_MIN_SECURE_LEN)
        bytes = KEYS_MIN_SECURE_LEN;
    if (bytes > 512)
        bytes = 512;
    return (size_t)bytes;
}

int keys_format_keygen_line(uint32_t id, const char *type, unsigned bits, const uint8_t *random,
                            size_t random_len, char *out, size_t out_len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = keys_keygen_length(type, bits);
    if (n == 0 || random_len < n || !out)
        return -1;
    int head = snprintf(out, out_len, "%u %s HEX:", id, type);
    if (head < 0 || (size_t)head + 2 * n + 1 > out_len)
        return -1;
    char *p = out + head;
    for (size_t i = 0; i < n; i++) {
        *p++ = hex[random[i] >> 4];
        *p++ = hex[random[i] & 0x0f];
    }
    *p = '\0';
    return (int)(p - out);
}
