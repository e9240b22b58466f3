/* A growable text buffer: tockctl formats every report into one, so the formatting code
 * is pure (testable without stdout) and a failed command can decide what to print. */
#ifndef TOCK_CTL_CTL_BUF_H
#define TOCK_CTL_CTL_BUF_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_buf {
    char *data; /* NUL-terminated when len > 0 or after ctl_buf_cstr() */
    size_t len;
    size_t cap;
    bool failed; /* an allocation failed: the text is truncated */
};

void ctl_buf_init(struct ctl_buf *b);
void ctl_buf_free(struct ctl_buf *b);
void ctl_buf_clear(struct ctl_buf *b);
void ctl_buf_printf(struct ctl_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ctl_buf_puts(struct ctl_buf *b, const char *s);
void ctl_buf_putc(struct ctl_buf *b, char c);
void ctl_buf_append(struct ctl_buf *b, const char *s, size_t n);
/* Always a valid C string (the empty string for an empty buffer). */
const char *ctl_buf_cstr(const struct ctl_buf *b);

#endif
