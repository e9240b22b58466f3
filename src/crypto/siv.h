/* AEAD_AES_SIV_CMAC_256 (RFC 5297 SIV with AES-128 CMAC and CTR, a 32-byte key), as NTS
 * (RFC 8915) uses it: one associated-data item and one nonce.
 *
 * The implementation is Nettle's siv_cmac_aes128, because OpenSSL 3.0's AES-SIV cannot tag
 * an empty plaintext (an NTS client's authenticator encrypts exactly that). The S2V
 * vector is built from the components (associated data, nonce, plaintext), in that order;
 * an empty associated-data item still counts as a component (chrony does the same, so
 * cookies and authenticators interoperate).
 *
 * Pure: no allocation, no globals. A context is keyed once and can then be used for any
 * number of messages; it holds expanded key material, so wipe it with siv_wipe().
 */
#ifndef TOCK_CRYPTO_SIV_H
#define TOCK_CRYPTO_SIV_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/siv-cmac.h>

#define SIV_KEY_LEN   32 /* AEAD_AES_SIV_CMAC_256: two AES-128 keys (CMAC, CTR) */
#define SIV_TAG_LEN   16 /* the synthetic IV, prepended to the ciphertext */
#define SIV_NONCE_LEN 16 /* the nonce length tock sends; any length >= 1 is accepted */

struct siv_ctx {
    struct siv_cmac_aes128_ctx nettle;
};

/* Expands a 32-byte key. */
void siv_set_key(struct siv_ctx *ctx, const uint8_t key[SIV_KEY_LEN]);

/* Encrypts pt_len bytes (0 allowed) into out, which receives SIV_TAG_LEN + pt_len bytes:
 * the tag (synthetic IV) then the ciphertext. ad may be NULL when ad_len is 0. out must
 * not overlap pt. Returns 0, or -1 if nonce_len is 0. */
int siv_encrypt(const struct siv_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
                const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out);

/* Decrypts and authenticates ct (tag + ciphertext, ct_len >= SIV_TAG_LEN) into pt, which
 * receives ct_len - SIV_TAG_LEN bytes. pt must not overlap ct. Returns 0, or -1 when the
 * input is too short, the nonce is empty or the tag does not verify; on failure pt is
 * zeroed so that no unauthenticated plaintext escapes. */
int siv_decrypt(const struct siv_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
                const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt);

/* Erases the key material. */
void siv_wipe(struct siv_ctx *ctx);

#endif
