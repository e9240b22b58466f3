#include "crypto/nts_cookie_file.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proto/ntp_packet.h" /* NTP_MIN_EF_LEN */
#include "util/hex.h"

#define MAX_LINES  (4 + NTS_MAX_COOKIES)
#define MAX_TOKENS 4
#define MAX_TOKEN  (2 * NTS_COOKIE_MAX_LEN)

struct line {
    const char *p;
    size_t n;
};

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > NTS_COOKIE_FILE_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

static void put_hex(char *out, const uint8_t *p, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int nts_cookie_file_format(const struct nts_cookie_file *f, char *buf, size_t cap)
{
    char ke[TOCK_IP_STRLEN], ntp[TOCK_IP_STRLEN];
    char c2s[2 * SIV_KEY_LEN + 1], s2c[2 * SIV_KEY_LEN + 1], cookie[2 * NTS_COOKIE_MAX_LEN + 1];
    const struct nts_cookie_set *c = &f->cookies;
    if (!name_ok(f->name) || c->n < 1 || c->n > NTS_MAX_COOKIES ||
        f->keys.aead != NTS_AEAD_AES_SIV_CMAC_256 || f->keys.key_len != SIV_KEY_LEN ||
        f->ke.ip.family == 0 || f->ntp.ip.family == 0 || f->ntp.port == 0)
        return -1;
    put_hex(c2s, f->keys.c2s, SIV_KEY_LEN);
    put_hex(s2c, f->keys.s2c, SIV_KEY_LEN);
    int len = snprintf(buf, cap, "%s\n%s %s %u\n%s %u\n%lld %u %s %s\n", NTS_COOKIE_FILE_MAGIC,
                       f->name, tock_ip_format(&f->ke.ip, ke, sizeof(ke)), f->ke.port,
                       tock_ip_format(&f->ntp.ip, ntp, sizeof(ntp)), f->ntp.port,
                       (long long)f->ke_time, f->keys.aead, c2s, s2c);
    explicit_bzero(c2s, sizeof(c2s));
    explicit_bzero(s2c, sizeof(s2c));
    if (len < 0 || (size_t)len >= cap)
        return -1;
    for (int i = 0; i < c->n; i++) {
        if (c->len[i] < NTP_MIN_EF_LEN - 4 || c->len[i] > NTS_COOKIE_MAX_LEN || c->len[i] % 4)
            return -1;
        put_hex(cookie, c->data[i], c->len[i]);
        int n = snprintf(buf + len, cap - (size_t)len, "%s\n", cookie);
        if (n < 0 || (size_t)n >= cap - (size_t)len)
            return -1;
        len += n;
    }
    return len;
}

/* ---- parsing ---- */

/* Exactly `want` bytes of hex (want 0: any even length up to cap). Returns the length or -1. */
static int get_hex(const char *s, uint8_t *out, size_t cap, size_t want)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n / 2 > cap || (want && n / 2 != want))
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(n / 2);
}

/* A decimal number in [0, max]. */
static bool get_uint(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s || strlen(s) > 19)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v > max)
        return false;
    *out = v;
    return true;
}

/* Splits a line into exactly `n` tokens separated by single spaces. */
static bool tokens(const struct line *l, char tok[][MAX_TOKEN + 1], int n)
{
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        size_t start = pos;
        while (pos < l->n && l->p[pos] != ' ')
            pos++;
        size_t len = pos - start;
        if (len == 0 || len > MAX_TOKEN)
            return false;
        memcpy(tok[i], l->p + start, len);
        tok[i][len] = '\0';
        if (i < n - 1) {
            if (pos >= l->n)
                return false;
            pos++; /* the space */
        }
    }
    return pos == l->n;
}

static bool endpoint(const char *addr, const char *port, bool port_zero_ok,
                     struct tock_endpoint *ep)
{
    uint64_t p;
    if (tock_ip_parse(addr, &ep->ip) != 0 || !get_uint(port, 65535, &p) || (!port_zero_ok && !p))
        return false;
    ep->port = (uint16_t)p;
    return true;
}

static int fail(struct nts_cookie_file *out, const char **err, const char *why)
{
    explicit_bzero(out, sizeof(*out));
    *err = why;
    return -1;
}

int nts_cookie_file_parse(const char *text, size_t len, struct nts_cookie_file *out,
                          const char **err)
{
    char tok[MAX_TOKENS][MAX_TOKEN + 1]; /* 2 kB */
    struct line lines[MAX_LINES];
    int n = 0;
    memset(out, 0, sizeof(*out));
    if (len > NTS_COOKIE_FILE_MAX)
        return fail(out, err, "file too long");
    if (memchr(text, '\0', len))
        return fail(out, err, "not a text file");
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;
        if (n == MAX_LINES)
            return fail(out, err, "too many lines");
        lines[n].p = text + pos;
        lines[n].n = end - pos;
        n++;
        pos = end + 1;
    }
    if (n < 5)
        return fail(out, err, "too few lines");
    if (lines[0].n != 4 || memcmp(lines[0].p, NTS_COOKIE_FILE_MAGIC, 4) != 0)
        return fail(out, err, "not a tock NTS cookie file (TNC1)");
    if (!tokens(&lines[1], tok, 3) || !name_ok(tok[0]) || !endpoint(tok[1], tok[2], true, &out->ke))
        return fail(out, err, "bad server line");
    memcpy(out->name, tok[0], strlen(tok[0]) + 1);
    if (!tokens(&lines[2], tok, 2) || !endpoint(tok[0], tok[1], false, &out->ntp))
        return fail(out, err, "bad NTP server line");
    uint64_t t, aead;
    if (!tokens(&lines[3], tok, 4) || !get_uint(tok[0], INT64_MAX, &t) ||
        !get_uint(tok[1], 65535, &aead))
        return fail(out, err, "bad key line");
    if (aead != NTS_AEAD_AES_SIV_CMAC_256 ||
        get_hex(tok[2], out->keys.c2s, sizeof(out->keys.c2s), SIV_KEY_LEN) < 0 ||
        get_hex(tok[3], out->keys.s2c, sizeof(out->keys.s2c), SIV_KEY_LEN) < 0)
        return fail(out, err, "bad keys");
    out->ke_time = (int64_t)t;
    out->keys.aead = (uint16_t)aead;
    out->keys.key_len = SIV_KEY_LEN;
    for (int i = 4; i < n; i++) {
        struct nts_cookie_set *c = &out->cookies;
        if (lines[i].n == 0 && i == n - 1)
            break; /* no newline after the last line is fine too */
        if (!tokens(&lines[i], tok, 1))
            return fail(out, err, "bad cookie line");
        int clen = get_hex(tok[0], c->data[c->n], NTS_COOKIE_MAX_LEN, 0);
        if (clen < NTP_MIN_EF_LEN - 4 || clen % 4)
            return fail(out, err, "bad cookie");
        c->len[c->n++] = (uint16_t)clen;
    }
    if (out->cookies.n == 0)
        return fail(out, err, "no cookies");
    explicit_bzero(tok, sizeof(tok));
    return 0;
}
