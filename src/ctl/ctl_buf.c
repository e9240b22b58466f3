#include "ctl/ctl_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_buf_init(struct ctl_buf *b)
{
    memset(b, 0, sizeof(*b));
}

void ctl_buf_free(struct ctl_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

void ctl_buf_clear(struct ctl_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static bool reserve(struct ctl_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->failed)
        return false;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return true;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void ctl_buf_append(struct ctl_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ctl_buf_puts(struct ctl_buf *b, const char *s)
{
    ctl_buf_append(b, s, strlen(s));
}

void ctl_buf_putc(struct ctl_buf *b, char c)
{
    ctl_buf_append(b, &c, 1);
}

void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

const char *ctl_buf_cstr(const struct ctl_buf *b)
{
    return b->data ? b->data : "";
}
