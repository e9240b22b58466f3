/* libFuzzer target: the NTP packet parser and the server reply builder on whatever parses.
 * Invariants: the parser never reads outside the buffer (ASan), every located extension
 * field and MAC lies inside the packet, and a reply is never longer than the request. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/ntp_packet.h"
#include "serve/ntp_reply.h"

static uint32_t fixed_random(void *ctx)
{
    (void)ctx;
    return 0x5a5a5a5a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ntp_packet_view v;
    /* Copy into an exact-size heap buffer so any over-read is caught. */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    int err = ntp_packet_parse(buf, size, &v);
    if (err == NTP_OK) {
        for (int i = 0; i < v.n_ext; i++)
            if ((size_t)v.ext[i].offset + v.ext[i].length > size)
                abort();
        if (v.auth == NTP_AUTH_MAC && (size_t)v.mac_offset + v.mac_len != size)
            abort();
        struct reference_snapshot ref = {.mode = REFERENCE_LOCAL, .stratum = 10};
        struct ntp_reply_input in = {.request = &v, .reference = &ref, .precision = -20};
        struct ntp_reply_history hist = {0};
        uint8_t reply[NTP_HEADER_LEN];
        ntp_reply_build(&in, &hist, reply);
        struct timespec tx = {1800000000, 0};
        ntp_reply_stamp_transmit(reply, &tx, -20, &hist, fixed_random, NULL);
        if (sizeof(reply) > size)
            abort();
    }
    free(buf);
    return 0;
}
