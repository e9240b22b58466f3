#include "daemon/rand.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "daemon/log.h"

static uint8_t pool[4096];
static size_t pool_left;

static void fill(void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_err("getrandom: %s", strerror(errno));
            abort(); /* no safe way to go on without randomness */
        }
        p += n;
        len -= (size_t)n;
    }
}

void rand_bytes(void *buf, size_t len)
{
    uint8_t *out = buf;
    while (len > 0) {
        if (pool_left == 0) {
            fill(pool, sizeof(pool));
            pool_left = sizeof(pool);
        }
        size_t n = len < pool_left ? len : pool_left;
        memcpy(out, pool + sizeof(pool) - pool_left, n);
        /* Never hand the same bytes out twice. */
        memset(pool + sizeof(pool) - pool_left, 0, n);
        pool_left -= n;
        out += n;
        len -= n;
    }
}

uint32_t rand_u32(void)
{
    uint32_t v;
    rand_bytes(&v, sizeof(v));
    return v;
}

uint32_t rand_u32_cb(void *ctx)
{
    (void)ctx;
    return rand_u32();
}

void rand_after_fork(void)
{
    explicit_bzero(pool, sizeof(pool));
    pool_left = 0;
}
