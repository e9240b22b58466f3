/* libFuzzer target: replies from the network into one NTP source (src/sync/ntpsrc.c) and
 * through it into the statistics. Any sequence of packets and timestamps must leave the
 * source in a consistent state: bounded sample count, finite estimates, no crash. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntp_packet.h"
#include "proto/ntp_time.h"
#include "sync/ntpsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ntpsrc s;
    struct ntpsrc_params p;
    ntpsrc_params_default(&p);
    struct timespec now = {1262304000, 0};
    ntpsrc_init(&s, &p, 1e-9, 1e-6, &now);

    /* Each record: 1 flag byte, 2 bytes of delay (us), then NTP_HEADER_LEN bytes. */
    const size_t rec = 3 + NTP_HEADER_LEN;
    uint8_t rnd[8] = {1, 2, 3, 4, 5, 6, 7, 8}, req[NTP_HEADER_LEN], pkt[NTP_HEADER_LEN];
    for (size_t off = 0; off + rec <= size; off += rec) {
        const uint8_t *r = data + off;
        rnd[0] = (uint8_t)off;
        rnd[1] = (uint8_t)(off >> 8);
        now = timespec_add(&now, 16.0 + r[1]);
        struct timespec tx = now;
        if (ntpsrc_transmit(&s, &now, rnd, r[0] & 1, req) == 0)
            continue;
        memcpy(pkt, r + 3, NTP_HEADER_LEN);
        if (r[0] & 2) /* answer our request, so that the deeper tests are reached */
            memcpy(pkt + 24, req + 40, 8);
        struct ntp_packet_view v;
        if (ntp_packet_parse(pkt, sizeof(pkt), &v) != NTP_OK)
            continue;
        double delay = ((r[1] << 8) | r[2]) * 1e-6 * ((r[0] & 4) ? -1.0 : 1.0);
        struct timespec rx = timespec_add(&tx, delay);
        struct srcstats_sample smp;
        (void)ntpsrc_process_reply(&s, &v, &rx, &tx, r[0] & 8, NULL, r[0] & 16, &smp);
        if (s.stats.n_samples < 0 || s.stats.n_samples > SRCSTATS_MAX_SAMPLES ||
            s.stats.n_runs_extra < 0 || s.stats.n_samples + s.stats.n_runs_extra > SRCSTATS_BUF)
            abort();
        if (s.local_poll < NTPSRC_MIN_POLL || s.local_poll > NTPSRC_MAX_POLL)
            abort();
        if (s.stats.regression_ok && !isfinite(s.stats.skew))
            abort();
    }
    return 0;
}
