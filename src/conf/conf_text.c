/* Words, numbers and small string helpers of the configuration parser. */
#include "conf/conf_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int conf_split_words(char *line, char **words, int max_words)
{
    int n = 0;
    char *p = line;

    for (;;) {
        while (*p && isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        /* chrony: a comment is a line whose first non-space character is one of ! ; # %. */
        if (n == 0 && strchr("!;#%", *p))
            return 0;
        if (n == max_words)
            break;
        words[n++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
        if (*p)
            *p++ = '\0';
    }
    return n;
}

int conf_parse_ll(const char *word, long long *out)
{
    const char *p = word;
    long long v = 0;
    bool neg = false, saturated = false;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (!isdigit((unsigned char)*p))
        return -1;
    for (; isdigit((unsigned char)*p); p++) {
        int d = *p - '0';
        if (v > (LLONG_MAX - d) / 10)
            saturated = true;
        else
            v = v * 10 + d;
    }
    if (*p)
        return -1;
    if (saturated)
        v = LLONG_MAX;
    *out = neg ? -v : v;
    return 0;
}

int conf_parse_double(const char *word, double *out)
{
    const char *p = word;
    bool digits = false;
    char *end;

    /* Accept only [+-]digits[.digits][e[+-]digits]: no hex, inf or nan, which strtod
     * would take. */
    if (*p == '+' || *p == '-')
        p++;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits = true;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p)) {
            p++;
            digits = true;
        }
    }
    if (!digits)
        return -1;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return -1;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p)
        return -1;
    errno = 0;
    double v = strtod(word, &end);
    if (*end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

bool conf_valid_hostname(const char *word)
{
    size_t len = strlen(word);

    if (len == 0 || len > 255)
        return false;
    /* Letters, digits, '-', '.', '_' for names; ':' and '%' for IPv6 addresses and zones. */
    for (const char *p = word; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (!isalnum(c) && !strchr("-._:%", c))
            return false;
    }
    return true;
}

int conf_edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 40, CAP = 8 };
    int la = (int)strlen(a), lb = (int)strlen(b);
    int d[MAXLEN + 1][MAXLEN + 1];

    if (la > MAXLEN || lb > MAXLEN)
        return CAP;
    for (int i = 0; i <= la; i++)
        d[i][0] = i;
    for (int j = 0; j <= lb; j++)
        d[0][j] = j;
    for (int i = 1; i <= la; i++) {
        for (int j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
            int cost = ca != cb;
            int best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1; /* transposition */
            d[i][j] = best;
        }
    }
    return d[la][lb] < CAP ? d[la][lb] : CAP;
}

const char *conf_closest(const char *word, const char *const *names)
{
    size_t len = strlen(word);
    /* Short words tolerate one edit, longer ones two, long ones three. */
    int limit = len <= 4 ? 1 : len <= 9 ? 2 : 3;
    const char *best = NULL;
    int best_d = limit + 1;

    if (len > 40)
        return NULL;
    for (int i = 0; names[i]; i++) {
        size_t nl = strlen(names[i]);
        /* The distance is at least the difference of the lengths: skip the DP. */
        if ((nl > len ? nl - len : len - nl) > (size_t)limit)
            continue;
        int d = conf_edit_distance(word, names[i]);
        if (d < best_d && d < (int)strlen(names[i])) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

void conf_format_double(double v, char *buf, size_t len)
{
    double back;

    /* The shortest of %.15g .. %.17g that reads back exactly. */
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, len, "%.*g", prec, v);
        if (conf_parse_double(buf, &back) == 0 && back == v)
            return;
    }
}

void conf_sb_add(struct conf_sb *sb, const char *text)
{
    size_t n = strlen(text);

    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *s = realloc(sb->s, cap);
        if (!s)
            return;
        sb->s = s;
        sb->cap = cap;
    }
    memcpy(sb->s + sb->len, text, n + 1);
    sb->len += n;
}

void conf_sb_addf(struct conf_sb *sb, const char *fmt, ...)
{
    va_list ap;
    char *text = NULL;

    va_start(ap, fmt);
    int r = vasprintf(&text, fmt, ap);
    va_end(ap);
    if (r < 0)
        return;
    conf_sb_add(sb, text);
    free(text);
}

char *conf_sb_take(struct conf_sb *sb)
{
    char *s = sb->s;

    if (!s)
        s = strdup("");
    sb->s = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void conf_sb_free(struct conf_sb *sb)
{
    free(sb->s);
    sb->s = NULL;
    sb->len = sb->cap = 0;
}

char *conf_join_words(char *const *words, int n)
{
    struct conf_sb sb = {0};

    for (int i = 0; i < n; i++) {
        if (i)
            conf_sb_add(&sb, " ");
        conf_sb_add(&sb, words[i]);
    }
    return conf_sb_take(&sb);
}
