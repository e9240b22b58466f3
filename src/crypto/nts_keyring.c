#include "crypto/nts_keyring.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util/hex.h"

#define SLOT_MASK (NTS_KEYRING_SLOTS - 1)
#define MAX_AGE   1e12 /* anything larger in a key file is treated as this (far past) */

static size_t aead_key_len(unsigned aead)
{
    /* The only cookie AEAD this build can run; GCM-SIV (30, 16-byte keys) would need
     * Nettle 3.9. */
    return aead == NTS_AEAD_AES_SIV_CMAC_256 ? SIV_KEY_LEN : 0;
}

int nts_server_key_set(struct nts_server_key *k, uint32_t id, uint16_t aead, const uint8_t *key,
                       size_t key_len)
{
    if (aead_key_len(aead) == 0 || key_len != aead_key_len(aead))
        return -1;
    k->id = id;
    k->aead = aead;
    memcpy(k->key, key, key_len);
    siv_set_key(&k->siv, k->key);
    return 0;
}

/* A fresh random key for slot; the id's low bits name the slot. */
static int generate_key(struct nts_keyring *kr, int slot, struct nts_server_key *out)
{
    uint8_t key[SIV_KEY_LEN], idbuf[4];
    if (kr->random(kr->random_arg, key, sizeof(key)) != 0 ||
        kr->random(kr->random_arg, idbuf, sizeof(idbuf)) != 0) {
        explicit_bzero(key, sizeof(key));
        return -1;
    }
    uint32_t id = ((uint32_t)idbuf[0] << 24) | ((uint32_t)idbuf[1] << 16) |
                  ((uint32_t)idbuf[2] << 8) | idbuf[3];
    id = (id & ~(uint32_t)SLOT_MASK) | (uint32_t)slot;
    nts_server_key_set(out, id, NTS_AEAD_AES_SIV_CMAC_256, key, sizeof(key));
    explicit_bzero(key, sizeof(key));
    return 0;
}

int nts_keyring_init(struct nts_keyring *kr, double interval, double now, nts_random_fn random,
                     void *random_arg)
{
    memset(kr, 0, sizeof(*kr));
    if (!(interval >= 0) || !random)
        return -1;
    kr->interval = interval;
    kr->random = random;
    kr->random_arg = random_arg;
    for (int i = 0; i < NTS_KEYRING_SLOTS; i++) {
        if (generate_key(kr, i, &kr->slot[i]) != 0) {
            nts_keyring_wipe(kr);
            return -1;
        }
    }
    kr->current = NTS_KEYRING_SLOTS - 1;
    kr->last_rotation = now;
    return 0;
}

int nts_keyring_rotate(struct nts_keyring *kr, double now)
{
    int next = (kr->current + 1) & SLOT_MASK;
    int new_next = (next + 1) & SLOT_MASK;
    struct nts_server_key fresh;
    if (generate_key(kr, new_next, &fresh) != 0)
        return -1;
    /* The slot after the new current key held the oldest key, which goes now. */
    kr->slot[new_next] = fresh;
    explicit_bzero(&fresh, sizeof(fresh));
    kr->current = next;
    kr->last_rotation = now;
    return 0;
}

double nts_keyring_next_rotation(const struct nts_keyring *kr)
{
    if (kr->interval <= 0)
        return -1.0;
    return kr->last_rotation + kr->interval;
}

int nts_keyring_update(struct nts_keyring *kr, double now)
{
    if (kr->interval <= 0 || now - kr->last_rotation < kr->interval)
        return 0;
    return nts_keyring_rotate(kr, now) == 0 ? 1 : -1;
}

bool nts_keyring_saves(const struct nts_keyring *kr)
{
    return kr->interval > 0;
}

const struct nts_server_key *nts_keyring_current(const struct nts_keyring *kr)
{
    return &kr->slot[kr->current];
}

const struct nts_server_key *nts_keyring_find(const struct nts_keyring *kr, uint32_t id)
{
    const struct nts_server_key *k = &kr->slot[id & SLOT_MASK];
    return k->id == id && k->aead != 0 ? k : NULL;
}

void nts_keyring_wipe(struct nts_keyring *kr)
{
    explicit_bzero(kr->slot, sizeof(kr->slot));
}

/* ---- ntskeys file ---- */

static int append(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (cap - *pos < n)
        return -1;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return 0;
}

int nts_keyring_format(const struct nts_keyring *kr, double now, int version, char *buf, size_t cap)
{
    static const char hexdig[] = "0123456789ABCDEF";
    char line[96];
    size_t pos = 0;
    int n;
    if (version != NTS_KEYFILE_NKS0 && version != NTS_KEYFILE_NKS1)
        return -1;
    double age = now - kr->last_rotation;
    if (!(age > 0))
        age = 0;
    if (age > MAX_AGE)
        age = MAX_AGE;
    /* Written by hand rather than with "%.1f" so that the output never depends on the
     * locale's decimal point. */
    long long tenths = llround(age * 10);
    if (version == NTS_KEYFILE_NKS1)
        n = snprintf(line, sizeof(line), "NKS1\n%lld.%d\n", tenths / 10, (int)(tenths % 10));
    else /* one AEAD for all keys: the current one's (all are 15 here) */
        n = snprintf(line, sizeof(line), "NKS0\n%u %lld.%d\n", (unsigned)kr->slot[kr->current].aead,
                     tenths / 10, (int)(tenths % 10));
    if (n < 0 || append(buf, cap, &pos, line, (size_t)n) != 0)
        return -1;
    for (int i = 0; i < NTS_KEYRING_SLOTS; i++) {
        /* Oldest first: the two previous keys, the current one, the next one. */
        const struct nts_server_key *k = &kr->slot[(kr->current + i + 2) & SLOT_MASK];
        size_t key_len = aead_key_len(k->aead);
        char hex[2 * SIV_KEY_LEN + 1];
        for (size_t j = 0; j < key_len; j++) {
            hex[2 * j] = hexdig[k->key[j] >> 4];
            hex[2 * j + 1] = hexdig[k->key[j] & 15];
        }
        hex[2 * key_len] = '\0';
        if (version == NTS_KEYFILE_NKS1)
            n = snprintf(line, sizeof(line), "%08X %s %u\n", (unsigned)k->id, hex,
                         (unsigned)k->aead);
        else
            n = snprintf(line, sizeof(line), "%08X %s\n", (unsigned)k->id, hex);
        explicit_bzero(hex, sizeof(hex));
        if (n < 0 || (size_t)n >= sizeof(line) || append(buf, cap, &pos, line, (size_t)n) != 0) {
            explicit_bzero(line, sizeof(line));
            return -1;
        }
    }
    explicit_bzero(line, sizeof(line));
    return (int)pos;
}

struct span {
    const char *p;
    size_t len;
};

/* Takes the next line (without its '\n') from [*pos, end). Returns false at the end. */
static bool next_line(const char **pos, const char *end, struct span *line)
{
    if (*pos >= end)
        return false;
    const char *nl = memchr(*pos, '\n', (size_t)(end - *pos));
    const char *stop = nl ? nl : end;
    line->p = *pos;
    line->len = (size_t)(stop - *pos);
    *pos = nl ? nl + 1 : end;
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Splits a line into whitespace-separated words; returns how many there are (only the
 * first max are stored). */
static int split_words(struct span line, struct span *words, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < line.len) {
        while (i < line.len && is_space(line.p[i]))
            i++;
        if (i == line.len)
            break;
        size_t start = i;
        while (i < line.len && !is_space(line.p[i]))
            i++;
        if (n < max) {
            words[n].p = line.p + start;
            words[n].len = i - start;
        }
        n++;
    }
    return n;
}

static bool parse_id(struct span w, uint32_t *id)
{
    if (w.len < 1 || w.len > 8)
        return false;
    uint32_t v = 0;
    for (size_t i = 0; i < w.len; i++) {
        int d = hex_digit(w.p[i]);
        if (d < 0)
            return false;
        v = (v << 4) | (uint32_t)d;
    }
    *id = v;
    return true;
}

static bool parse_key(struct span w, uint8_t *key, size_t key_len)
{
    if (w.len != 2 * key_len)
        return false;
    for (size_t i = 0; i < key_len; i++) {
        int hi = hex_digit(w.p[2 * i]), lo = hex_digit(w.p[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        key[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

static bool parse_uint(struct span w, unsigned *out)
{
    if (w.len < 1 || w.len > 5)
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < w.len; i++) {
        if (w.p[i] < '0' || w.p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(w.p[i] - '0');
    }
    *out = v;
    return true;
}

/* "[-]DIGITS[.DIGITS]" (what "%.1f" writes), locale-independent. */
static bool parse_age(struct span w, double *out)
{
    size_t i = 0;
    bool neg = false, digits = false;
    double v = 0, scale = 1;
    if (i < w.len && (w.p[i] == '-' || w.p[i] == '+'))
        neg = w.p[i++] == '-';
    for (; i < w.len && w.p[i] >= '0' && w.p[i] <= '9'; i++, digits = true)
        v = v * 10 + (w.p[i] - '0');
    if (i < w.len && w.p[i] == '.')
        for (i++; i < w.len && w.p[i] >= '0' && w.p[i] <= '9'; i++, digits = true)
            v += (w.p[i] - '0') * (scale /= 10);
    if (!digits || i != w.len || !isfinite(v))
        return false;
    *out = neg ? -v : v;
    return true;
}

static bool span_is(struct span s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

int nts_keyring_parse(struct nts_keyring *kr, const char *text, size_t len, double now,
                      const char **err)
{
    const char *pos = text, *end = text + len;
    struct span line, w[4];
    struct nts_server_key keys[NTS_KEYRING_SLOTS];
    unsigned aead = 0;
    double age;
    int ret = -1;

    *err = "missing NKS1/NKS0 header";
    if (!next_line(&pos, end, &line))
        goto out;
    bool old = span_is(line, "NKS0");
    if (!old && !span_is(line, "NKS1"))
        goto out;

    *err = old ? "bad second line (expected AEAD and key age)" : "bad key age line";
    if (!next_line(&pos, end, &line) || split_words(line, w, 4) != (old ? 2 : 1) ||
        (old && !parse_uint(w[0], &aead)) || !parse_age(w[old ? 1 : 0], &age))
        goto out;

    for (int i = 0; i < NTS_KEYRING_SLOTS; i++) {
        *err = "missing key line (4 needed)";
        if (!next_line(&pos, end, &line))
            goto out;
        *err = old ? "bad key line (expected ID KEY)" : "bad key line (expected ID KEY AEAD)";
        if (split_words(line, w, 4) != (old ? 2 : 3) || !parse_id(w[0], &keys[i].id) ||
            (!old && !parse_uint(w[2], &aead)))
            goto out;
        size_t key_len = aead_key_len(aead);
        *err = "unsupported AEAD (only 15, AES-SIV-CMAC-256, is available)";
        if (key_len == 0)
            goto out;
        uint8_t key[SIV_KEY_LEN];
        *err = "bad key (wrong length or not hexadecimal)";
        if (!parse_key(w[1], key, key_len))
            goto out;
        nts_server_key_set(&keys[i], keys[i].id, (uint16_t)aead, key, key_len);
        explicit_bzero(key, sizeof(key));
        /* chrony writes consecutive slots, oldest first; anything else is not its file. */
        *err = "key ids are not in consecutive slots";
        if (i > 0 && ((keys[i].id - keys[i - 1].id) & SLOT_MASK) != 1)
            goto out;
    }
    while (next_line(&pos, end, &line)) {
        *err = "unexpected data after the 4 keys";
        if (split_words(line, w, 1) != 0)
            goto out;
    }

    for (int i = 0; i < NTS_KEYRING_SLOTS; i++)
        kr->slot[keys[i].id & SLOT_MASK] = keys[i];
    /* The last key is the next one; the current key is the one before it. */
    kr->current = (int)((keys[NTS_KEYRING_SLOTS - 1].id - 1) & SLOT_MASK);
    if (age < 0)
        age = 0;
    if (age > MAX_AGE)
        age = MAX_AGE;
    kr->last_rotation = now - age;
    *err = NULL;
    ret = 0;
out:
    explicit_bzero(keys, sizeof(keys));
    return ret;
}
