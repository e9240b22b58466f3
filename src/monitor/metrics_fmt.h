/* The Prometheus endpoint's pure half: the HTTP/1.0 request parser and the text
 * exposition format (version 0.0.4) of tockd's state. The daemon (src/daemon/metrics.c)
 * owns the sockets; it fills a struct metrics_view from the same callbacks that answer
 * chronyc (so the numbers agree with `tockctl -j`) and sends what metrics_render() wrote.
 *
 * Names follow Prometheus conventions: prefix tock_, base units in the name (_seconds,
 * _bytes; _ppm where chrony reports parts per million), _total for counters, _info for
 * constant-1 series that carry labels. doc/metrics.md lists every metric.
 *
 * Everything is bounded: the parser looks at most at `max_len` bytes, the renderer writes
 * into the caller's fixed buffer and reports when it would not fit (it never allocates).
 */
#ifndef TOCK_MONITOR_METRICS_FMT_H
#define TOCK_MONITOR_METRICS_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/candm.h"
#include "serve/server_stats.h"

/* ---- HTTP ---- */

enum metrics_http {
    METRICS_HTTP_INCOMPLETE,  /* no end of headers yet: read more */
    METRICS_HTTP_METRICS,     /* GET /metrics (any query string): 200 with the metrics */
    METRICS_HTTP_NOT_FOUND,   /* GET of another path: 404 */
    METRICS_HTTP_BAD_METHOD,  /* a method other than GET: 405 */
    METRICS_HTTP_BAD_REQUEST, /* not an HTTP/1.x request line, or bytes outside ASCII: 400 */
    METRICS_HTTP_TOO_LARGE,   /* max_len bytes without the end of the headers: 431 */
};

/* Looks at the first len bytes received on a connection (the request line, headers up to
 * the empty line; a body is never expected). Decides as soon as the request line is
 * complete when it is bad; otherwise waits for the end of the headers. */
enum metrics_http metrics_http_parse(const char *buf, size_t len, size_t max_len);

/* The whole response for an error result (status line, headers, one-line body). Returns
 * its length, 0 if cap is too small. */
size_t metrics_http_error(enum metrics_http result, char *buf, size_t cap);

/* The status line and headers of a 200 response with a body of body_len bytes
 * (Content-Type: text/plain; version=0.0.4). Returns the length, 0 if cap is too small. */
size_t metrics_http_header(size_t body_len, char *buf, size_t cap);

/* ---- the state to expose ---- */

struct metrics_source {
    char name[CANDM_NAME_LEN]; /* as configured (pool name for pool members) */
    struct candm_source_data data;
    struct candm_sourcestats stats;
    bool has_ntp_data; /* a reply has been received (ntpdata) */
    struct candm_ntp_data ntp;
};

struct metrics_view {
    const char *version;
    double start_time; /* Unix time the daemon started */
    struct candm_tracking tracking;
    struct candm_activity activity;
    struct candm_server_stats server;
    uint64_t dropped[SERVER_DROP_N]; /* tock's silent drops by reason */
    uint64_t send_errors;
    bool clientlog_active;
    uint32_t clientlog_records, clientlog_slots, clientlog_max_records;
    uint64_t clientlog_memory_bytes;
    uint64_t scrapes, connections_rejected; /* of the metrics endpoint itself */
    int n_sources;
    const struct metrics_source *sources;
};

/* A buffer of this many bytes always holds the rendering of n_sources sources. */
size_t metrics_render_bound(int n_sources);

/* Writes the exposition text. Returns its length, or 0 if cap is too small. */
size_t metrics_render(const struct metrics_view *v, char *buf, size_t cap);

#endif
