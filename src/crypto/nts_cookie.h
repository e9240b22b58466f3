/* NTS cookies (RFC 8915 section 6), in chrony's layout so that sizes and shared key files
 * match:
 *
 *     key id (4, big-endian) || nonce (16) || AES-SIV(C2S key || S2C key) incl. 16-byte tag
 *
 * sealed under one of the key ring's keys with empty associated data. For AEAD 15 the
 * keys are 32 bytes each, so a cookie is 4 + 16 + 64 + 16 = 100 bytes. As in chrony, the
 * AEAD of the NTP keys is not stored: it follows from their length.
 *
 * Pure: randomness comes from the caller, no allocation.
 */
#ifndef TOCK_CRYPTO_NTS_COOKIE_H
#define TOCK_CRYPTO_NTS_COOKIE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/nts_keyring.h"

#define NTS_COOKIE_NONCE_LEN 16
#define NTS_KEY_MAX_LEN      SIV_KEY_LEN
#define NTS_COOKIE_LEN       (4 + NTS_COOKIE_NONCE_LEN + 2 * SIV_KEY_LEN + SIV_TAG_LEN) /* 100 */
#define NTS_COOKIE_MAX_LEN   256 /* longest cookie a client keeps (an NTS-KE record body) */
#define NTS_MAX_COOKIES      8   /* cookies per NTS-KE response and per NTP reply */

/* The NTP keys of one NTS association (exported from the NTS-KE TLS session). */
struct nts_keys {
    uint16_t aead;    /* 15 */
    uint16_t key_len; /* 32 for AEAD 15 */
    uint8_t c2s[NTS_KEY_MAX_LEN];
    uint8_t s2c[NTS_KEY_MAX_LEN];
};

/* Cookies as a client holds them. */
struct nts_cookie_set {
    int n;
    uint16_t len[NTS_MAX_COOKIES];
    uint8_t data[NTS_MAX_COOKIES][NTS_COOKIE_MAX_LEN];
};

enum nts_cookie_error {
    NTS_COOKIE_OK = 0,
    NTS_COOKIE_ERR_LENGTH = -1,      /* not a cookie of a supported size */
    NTS_COOKIE_ERR_UNKNOWN_KEY = -2, /* key id not in the ring (expired or foreign) */
    NTS_COOKIE_ERR_DECRYPT = -3,     /* authentication failed */
    NTS_COOKIE_ERR_RANDOM = -4,      /* random source failed (sealing) */
    NTS_COOKIE_ERR_KEYS = -5,        /* keys of an unsupported AEAD or length (sealing) */
};

/* Seals keys into out (at least NTS_COOKIE_LEN bytes of cap) with key. Returns the cookie
 * length, or a negative enum nts_cookie_error. */
int nts_cookie_seal(const struct nts_server_key *key, const struct nts_keys *keys,
                    nts_random_fn random, void *random_arg, uint8_t *out, size_t cap);

/* Opens a cookie with whichever key of the ring its id names. Returns NTS_COOKIE_OK and
 * fills *keys, or a negative enum nts_cookie_error (*keys is then zeroed). */
int nts_cookie_open(const struct nts_keyring *kr, const uint8_t *cookie, size_t len,
                    struct nts_keys *keys);

const char *nts_cookie_error_name(int err);

#endif
