/* NTS extension fields in NTPv4 packets (RFC 8915 section 5), server and client side, on
 * top of the extension-field walker of proto/ntp_packet.h.
 *
 * Server: a request carries a Unique Identifier (0x0104), exactly one Cookie (0x0204),
 * optional Cookie Placeholders (0x0304, as long as the cookie) and, as its last field, the
 * Authenticator and Encrypted Extension Fields (0x0404) made with the C2S key over the
 * packet up to that field. The reply echoes the Unique Identifier, then an authenticator
 * made with the S2C key (16-byte random nonce) that encrypts one new cookie per cookie
 * or placeholder (at most 8), padded so that the reply is exactly as long as the request.
 *
 * Client: builds the request fields and checks a reply (echoed identifier, authenticator
 * under S2C), taking out the new cookies, or recognises an NTS NAK (KoD "NTSN").
 *
 * Pure: no allocation, fixed-size buffers, randomness from the caller.
 */
#ifndef TOCK_PROTO_NTS_EF_H
#define TOCK_PROTO_NTS_EF_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/nts_cookie.h"
#include "proto/ntp_packet.h"

#define NTS_EF_UNIQUE_ID   0x0104
#define NTS_EF_COOKIE      0x0204
#define NTS_EF_PLACEHOLDER 0x0304
#define NTS_EF_AUTH        0x0404

#define NTS_UID_LEN      32 /* the client's unique identifier (RFC 8915: at least 32) */
#define NTS_EF_NONCE_LEN 16 /* authenticator nonce tock sends */

/* ---- Server ---- */

enum nts_ef_server_result {
    NTS_EF_OK = 0,         /* authentic: build the reply with nts_ef_server_reply() */
    NTS_EF_NOT_NTS = 1,    /* no NTS field at all: an ordinary request */
    NTS_EF_NAK_COOKIE = 2, /* the cookie cannot be opened (unknown key, damaged) */
    NTS_EF_NAK_AUTH = 3,   /* the authenticator does not verify under the cookie's C2S key */
    NTS_EF_DROP = -1,      /* malformed NTS request (or no randomness): send nothing */
};
/* RFC 8915 5.7 and chrony answer both NAK cases with a KoD "NTSN" (LI 3, stratum 0) that
 * carries only the Unique Identifier: see nts_ef_server_nak(). */

/* Everything the reply needs, worked out before the transmit timestamp is taken so that
 * the reply path after it only does one AES-SIV. Caller-owned (stack or per thread). */
struct nts_ef_server_state {
    struct nts_keys keys; /* from the cookie */
    int n_cookies;        /* new cookies sealed into plaintext */
    uint8_t nonce[NTS_EF_NONCE_LEN];
    size_t plaintext_len;
    uint8_t plaintext[NTS_MAX_COOKIES * (4 + NTS_COOKIE_LEN)]; /* the cookies as EFs */
};

/* Checks the NTS fields of a parsed request (req/v from ntp_packet_parse()), opening the
 * cookie with kr and sealing the new cookies with kr's current key. */
int nts_ef_server_check(const uint8_t *req, const struct ntp_packet_view *v,
                        const struct nts_keyring *kr, nts_random_fn random, void *random_arg,
                        struct nts_ef_server_state *st);

/* Appends the reply's fields after the header already in reply[0..*reply_len) (the
 * authenticator covers it, so set every header field first): the request's Unique
 * Identifier field(s), then the authenticator, making the reply exactly v->length bytes
 * (fewer cookies are returned if they would not fit). Returns 0, or -1 if cap is too
 * small. Wipes the keys in st. */
int nts_ef_server_reply(const uint8_t *req, const struct ntp_packet_view *v,
                        struct nts_ef_server_state *st, uint8_t *reply, size_t cap,
                        size_t *reply_len);

/* Appends only the Unique Identifier field(s) of the request, for an NTS NAK. Returns 0
 * or -1. */
int nts_ef_server_nak(const uint8_t *req, const struct ntp_packet_view *v, uint8_t *reply,
                      size_t cap, size_t *reply_len);

/* ---- Client ---- */

/* How many placeholders to send with a cookie so that the reply refills the client to 8
 * cookies, keeping all cookie fields within 864 bytes (as chrony, against fragmentation).
 * cookies_left: cookies the client holds after taking the one it sends. */
int nts_ef_client_placeholders(int cookies_left, size_t cookie_len);

/* Appends a request's NTS fields after the header in pkt[0..*len): a fresh 32-byte
 * Unique Identifier (copied to uid), the cookie, n_placeholders placeholders and the
 * authenticator (C2S key, 16-byte random nonce, empty plaintext). The cookie length must
 * be a multiple of 4, 12..256. Returns 0, or -1 (bad arguments, too long for cap or for
 * NTP_MAX_PACKET_LEN, random source failed). */
int nts_ef_client_build(uint8_t *pkt, size_t cap, size_t *len, const struct nts_keys *keys,
                        const uint8_t *cookie, size_t cookie_len, int n_placeholders,
                        nts_random_fn random, void *random_arg, uint8_t uid[NTS_UID_LEN]);

enum nts_ef_client_result {
    NTS_EF_CLIENT_OK = 0,      /* authentic reply; cookies holds the new cookies (>= 1) */
    NTS_EF_CLIENT_NAK = 1,     /* NTS NAK for our request (unauthenticated by nature) */
    NTS_EF_CLIENT_INVALID = -1 /* not an authentic reply to our request: drop it */
};

/* Checks a parsed server reply against the request's unique identifier and the S2C key. */
int nts_ef_client_check(const uint8_t *pkt, const struct ntp_packet_view *v,
                        const struct nts_keys *keys, const uint8_t uid[NTS_UID_LEN],
                        struct nts_cookie_set *cookies);

#endif
