/* A fixed-capacity text buffer for the pure formatters (metrics, dump files): the caller
 * owns the memory, nothing is allocated, and output that does not fit marks the buffer
 * overflowed instead of being cut mid-line. */
#ifndef TOCK_UTIL_TEXTBUF_H
#define TOCK_UTIL_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
    char *buf;
    size_t cap, len;
    bool overflow; /* a put did not fit: the contents are incomplete */
};

/* Appends printf-style text, NUL-terminated; after an overflow, does nothing. */
void textbuf_put(struct textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
