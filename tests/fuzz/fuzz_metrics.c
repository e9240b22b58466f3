/* libFuzzer target for the metrics endpoint's pure half:
 *   1. the input as the bytes of one HTTP connection, parsed after every byte as the
 *      daemon would (with the real limit and a small one): once a prefix decides, every
 *      longer prefix decides the same; every decision has a response;
 *   2. the input as the values of a view (numbers of every kind, including NaN and
 *      infinities; source names of arbitrary bytes): the rendering always fits the bound
 *      and is printable ASCII lines.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc
 *        tests/fuzz/fuzz_metrics.c src/monitor/metrics_fmt.c src/proto/candm.c
 *        src/proto/candm_reply.c src/util/addr.c -o /tmp/fuzz_metrics -lm */
#include <stdlib.h>
#include <string.h>

#include "monitor/metrics_fmt.h"

static void check_parse(const uint8_t *data, size_t size, size_t max_len)
{
    enum metrics_http decided = METRICS_HTTP_INCOMPLETE;
    for (size_t k = 0; k <= size; k++) {
        enum metrics_http r = metrics_http_parse((const char *)data, k, max_len);
        if (decided != METRICS_HTTP_INCOMPLETE && r != decided)
            abort(); /* more bytes changed a decision */
        if (decided == METRICS_HTTP_INCOMPLETE)
            decided = r;
        if (k >= max_len && r == METRICS_HTTP_INCOMPLETE)
            abort(); /* never waits past the limit */
    }
    if (decided != METRICS_HTTP_INCOMPLETE && decided != METRICS_HTTP_METRICS) {
        char resp[512];
        if (metrics_http_error(decided, resp, sizeof(resp)) == 0)
            abort();
    }
}

/* Consumes n bytes of input (zeros when it runs out). */
static void take(const uint8_t **data, size_t *size, void *out, size_t n)
{
    size_t k = n < *size ? n : *size;
    memset(out, 0, n);
    memcpy(out, *data, k);
    *data += k;
    *size -= k;
}

static void check_render(const uint8_t *data, size_t size)
{
    static struct metrics_source sources[4];
    struct metrics_view v;
    uint8_t n;
    memset(&v, 0, sizeof(v));
    take(&data, &size, &n, 1);
    v.n_sources = n % 5;
    take(&data, &size, &v.tracking, sizeof(v.tracking));
    take(&data, &size, &v.server, sizeof(v.server));
    take(&data, &size, &v.activity, sizeof(v.activity));
    take(&data, &size, &v.start_time, sizeof(v.start_time));
    for (int i = 0; i < v.n_sources; i++) {
        uint8_t flags;
        take(&data, &size, &sources[i], sizeof(sources[i]));
        take(&data, &size, &flags, 1);
        /* the bools and the family from a byte of their own (raw bytes are no bool) */
        sources[i].name[CANDM_NAME_LEN - 1] = '\0';
        sources[i].data.ip.is_id = flags & 1;
        sources[i].has_ntp_data = flags & 2;
        sources[i].data.ip.ip.family = flags & 4 ? AF_INET : flags & 8 ? AF_INET6 : 0;
    }
    v.tracking.ip.is_id = n & 0x80;
    v.tracking.ip.ip.family = n & 0x40 ? AF_INET : 0;
    v.clientlog_active = n & 0x20;
    v.sources = sources;
    v.version = "fuzz";
    size_t cap = metrics_render_bound(v.n_sources);
    char *buf = malloc(cap);
    if (!buf)
        return;
    size_t len = metrics_render(&v, buf, cap);
    if (len == 0 || len >= cap || buf[len - 1] != '\n')
        abort();
    for (size_t i = 0; i < len; i++)
        if (!((buf[i] >= 0x20 && buf[i] < 0x7f) || buf[i] == '\n'))
            abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    check_parse(data, size, 2048);
    check_parse(data, size, 40);
    check_render(data, size);
    return 0;
}
