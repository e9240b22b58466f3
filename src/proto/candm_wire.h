/* Internal to the candm codec: big-endian accessors and the lengths of the versioned
 * replies. Not for use outside src/proto/candm*.c. */
#ifndef TOCK_PROTO_CANDM_WIRE_H
#define TOCK_PROTO_CANDM_WIRE_H

#include <stdint.h>

#define CANDM_LEN_SERVER_STATS2 60  /* 4.0-4.1: 8 x uint32 */
#define CANDM_LEN_SERVER_STATS3 72  /* 4.2-4.3: 11 x uint32 */
#define CANDM_LEN_SERVER_STATS4 196 /* 4.4+: 17 x Integer64 + 4 reserved */
#define CANDM_LEN_NTP_DATA      152 /* 4.0-4.5 */
#define CANDM_LEN_NTP_DATA2     172 /* 4.6+ */

static inline uint16_t candm_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t candm_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t candm_get64(const uint8_t *p)
{
    return (uint64_t)candm_get32(p) << 32 | candm_get32(p + 4);
}

static inline void candm_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void candm_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void candm_put64(uint8_t *p, uint64_t v)
{
    candm_put32(p, (uint32_t)(v >> 32));
    candm_put32(p + 4, (uint32_t)v);
}

#endif
