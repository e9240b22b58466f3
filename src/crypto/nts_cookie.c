#include "crypto/nts_cookie.h"

#include <string.h>

#define HEADER_LEN 4

int nts_cookie_seal(const struct nts_server_key *key, const struct nts_keys *keys,
                    nts_random_fn random, void *random_arg, uint8_t *out, size_t cap)
{
    if (keys->aead != NTS_AEAD_AES_SIV_CMAC_256 || keys->key_len != SIV_KEY_LEN ||
        key->aead != NTS_AEAD_AES_SIV_CMAC_256)
        return NTS_COOKIE_ERR_KEYS;
    if (cap < NTS_COOKIE_LEN)
        return NTS_COOKIE_ERR_LENGTH;
    uint8_t *nonce = out + HEADER_LEN;
    if (random(random_arg, nonce, NTS_COOKIE_NONCE_LEN) != 0)
        return NTS_COOKIE_ERR_RANDOM;
    out[0] = (uint8_t)(key->id >> 24);
    out[1] = (uint8_t)(key->id >> 16);
    out[2] = (uint8_t)(key->id >> 8);
    out[3] = (uint8_t)key->id;
    uint8_t plain[2 * NTS_KEY_MAX_LEN];
    memcpy(plain, keys->c2s, keys->key_len);
    memcpy(plain + keys->key_len, keys->s2c, keys->key_len);
    siv_encrypt(&key->siv, nonce, NTS_COOKIE_NONCE_LEN, NULL, 0, plain, 2u * keys->key_len,
                nonce + NTS_COOKIE_NONCE_LEN);
    explicit_bzero(plain, sizeof(plain));
    return NTS_COOKIE_LEN;
}

int nts_cookie_open(const struct nts_keyring *kr, const uint8_t *cookie, size_t len,
                    struct nts_keys *keys)
{
    memset(keys, 0, sizeof(*keys));
    if (len <= HEADER_LEN)
        return NTS_COOKIE_ERR_LENGTH;
    uint32_t id = ((uint32_t)cookie[0] << 24) | ((uint32_t)cookie[1] << 16) |
                  ((uint32_t)cookie[2] << 8) | cookie[3];
    const struct nts_server_key *key = nts_keyring_find(kr, id);
    if (!key)
        return NTS_COOKIE_ERR_UNKNOWN_KEY;
    /* Only AEAD 15 keys (32 bytes each) can be used for NTP here. */
    if (len != NTS_COOKIE_LEN)
        return NTS_COOKIE_ERR_LENGTH;
    const uint8_t *nonce = cookie + HEADER_LEN;
    uint8_t plain[2 * NTS_KEY_MAX_LEN];
    if (siv_decrypt(&key->siv, nonce, NTS_COOKIE_NONCE_LEN, NULL, 0, nonce + NTS_COOKIE_NONCE_LEN,
                    len - HEADER_LEN - NTS_COOKIE_NONCE_LEN, plain) != 0)
        return NTS_COOKIE_ERR_DECRYPT;
    keys->aead = NTS_AEAD_AES_SIV_CMAC_256;
    keys->key_len = SIV_KEY_LEN;
    memcpy(keys->c2s, plain, SIV_KEY_LEN);
    memcpy(keys->s2c, plain + SIV_KEY_LEN, SIV_KEY_LEN);
    explicit_bzero(plain, sizeof(plain));
    return NTS_COOKIE_OK;
}

const char *nts_cookie_error_name(int err)
{
    switch (err) {
    case NTS_COOKIE_OK:
        return "ok";
    case NTS_COOKIE_ERR_LENGTH:
        return "invalid cookie length";
    case NTS_COOKIE_ERR_UNKNOWN_KEY:
        return "unknown cookie key";
    case NTS_COOKIE_ERR_DECRYPT:
        return "cookie authentication failed";
    case NTS_COOKIE_ERR_RANDOM:
        return "random source failed";
    case NTS_COOKIE_ERR_KEYS:
        return "unsupported keys";
    default:
        return "unknown error";
    }
}
