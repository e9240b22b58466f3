/* NTPv1-4 packet codec (RFC 5905), extension-field walker (RFC 7822) and MAC trailer
 * detection. One validating parser: nothing else in tock reads raw NTP bytes.
 *
 * ntp_packet_parse() never reads outside [buf, buf+len) and returns a fully validated view
 * (header fields decoded, extension fields located, MAC located) or an error code.
 */
#ifndef TOCK_PROTO_NTP_PACKET_H
#define TOCK_PROTO_NTP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ntp_time.h"

#define NTP_HEADER_LEN     48
#define NTP_MAX_PACKET_LEN 1092 /* largest request tock reads (NTS with 8 placeholders fits) */
#define NTP_MIN_EF_LEN     16   /* RFC 7822: header + at least 12 bytes of body */
#define NTP_MAX_EFS        16   /* more extension fields than this: the packet is refused */
#define NTP_MIN_MAC_LEN    20   /* key id + 16-byte digest (MD5, AES-CMAC) */
#define NTP_MAX_V4_MAC_LEN 24   /* key id + digest truncated to 20 bytes (RFC 7822) */
#define NTP_MAX_MAC_LEN    68   /* key id + 64-byte digest (SHA-512), NTPv1-3 only */

enum ntp_mode {
    NTP_MODE_RESERVED = 0,
    NTP_MODE_ACTIVE = 1,
    NTP_MODE_PASSIVE = 2,
    NTP_MODE_CLIENT = 3,
    NTP_MODE_SERVER = 4,
    NTP_MODE_BROADCAST = 5,
    NTP_MODE_CONTROL = 6,
    NTP_MODE_PRIVATE = 7,
};

enum ntp_leap {
    NTP_LEAP_NONE = 0,
    NTP_LEAP_INSERT = 1,
    NTP_LEAP_DELETE = 2,
    NTP_LEAP_UNSYNC = 3,
};

/* Kiss codes and special reference ids, as big-endian ASCII. */
#define NTP_REFID_LOCAL 0x7F7F0101U /* 127.127.1.1: chrony's local reference */
#define NTP_KISS_RATE   0x52415445U /* "RATE" */
#define NTP_KISS_DENY   0x44454E59U /* "DENY" */
#define NTP_KISS_RSTR   0x52535452U /* "RSTR" */
#define NTP_KISS_NTSN   0x4E54534EU /* "NTSN" */

struct ntp_header {
    uint8_t leap;    /* enum ntp_leap */
    uint8_t version; /* 0..7 on the wire; parse accepts 1..4 */
    uint8_t mode;    /* enum ntp_mode */
    uint8_t stratum;
    int8_t poll;
    int8_t precision;
    uint32_t root_delay;      /* 16.16 */
    uint32_t root_dispersion; /* 16.16 */
    uint32_t refid;           /* host order of the big-endian wire value */
    ntp_ts reference_ts;
    ntp_ts origin_ts;
    ntp_ts receive_ts;
    ntp_ts transmit_ts;
};

struct ntp_ext_field {
    uint16_t type;
    uint16_t length; /* whole field, header included (multiple of 4, >= 16) */
    uint16_t offset; /* of the field's first byte in the packet */
};

enum ntp_auth_kind {
    NTP_AUTH_NONE,      /* nothing after the header and extension fields */
    NTP_AUTH_MAC,       /* key id + digest */
    NTP_AUTH_CRYPTO_NAK /* a lone 4-byte zero key id */
};

struct ntp_packet_view {
    struct ntp_header h;
    size_t length;
    int n_ext;
    struct ntp_ext_field ext[NTP_MAX_EFS];
    enum ntp_auth_kind auth;
    uint32_t key_id;     /* NTP_AUTH_MAC */
    uint16_t mac_offset; /* offset of the key id */
    uint16_t mac_len;    /* key id + digest */
};

enum ntp_parse_error {
    NTP_OK = 0,
    NTP_ERR_SHORT = -1,     /* fewer than 48 bytes */
    NTP_ERR_ALIGN = -2,     /* length not a multiple of 4 */
    NTP_ERR_LONG = -3,      /* longer than NTP_MAX_PACKET_LEN */
    NTP_ERR_VERSION = -4,   /* version not 1..4 */
    NTP_ERR_EXT_FIELD = -5, /* malformed extension field */
    NTP_ERR_TOO_MANY_EF = -6,
    NTP_ERR_MAC = -7, /* trailer neither a MAC nor valid extension fields */
};

int ntp_packet_parse(const uint8_t *buf, size_t len, struct ntp_packet_view *out);
const char *ntp_parse_error_name(int err);

/* Decodes only the 48-byte header (no validation beyond the length). */
int ntp_header_decode(const uint8_t *buf, size_t len, struct ntp_header *out);
/* Writes the 48-byte header. */
void ntp_header_encode(const struct ntp_header *h, uint8_t out[NTP_HEADER_LEN]);

/* Appends an extension field (type, body padded with zeros to a multiple of 4 and to the
 * 16-byte minimum) at out[*pos]. Returns 0, or -1 if it does not fit in cap. */
int ntp_ext_field_append(uint8_t *out, size_t cap, size_t *pos, uint16_t type, const uint8_t *body,
                         size_t body_len);

/* Big-endian helpers used by all wire codecs. */
static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t rd32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t rd64(const uint8_t *p)
{
    return ((uint64_t)rd32(p) << 32) | rd32(p + 4);
}
static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)(v >> 32));
    wr32(p + 4, (uint32_t)v);
}

#endif
