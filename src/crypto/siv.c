#include "crypto/siv.h"

#include <string.h>

void siv_set_key(struct siv_ctx *ctx, const uint8_t key[SIV_KEY_LEN])
{
    siv_cmac_aes128_set_key(&ctx->nettle, key);
}

/* Nettle takes a non-NULL pointer even for empty inputs. */
static const uint8_t empty[1];

int siv_encrypt(const struct siv_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
                const uint8_t *ad, size_t ad_len, const uint8_t *pt, size_t pt_len, uint8_t *out)
{
    if (nonce_len < SIV_MIN_NONCE_SIZE)
        return -1;
    siv_cmac_aes128_encrypt_message(&ctx->nettle, nonce_len, nonce, ad_len, ad ? ad : empty,
                                    pt_len + SIV_TAG_LEN, out, pt_len ? pt : empty);
    return 0;
}

int siv_decrypt(const struct siv_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
                const uint8_t *ad, size_t ad_len, const uint8_t *ct, size_t ct_len, uint8_t *pt)
{
    if (ct_len < SIV_TAG_LEN)
        return -1;
    size_t pt_len = ct_len - SIV_TAG_LEN;
    if (nonce_len < SIV_MIN_NONCE_SIZE) {
        if (pt_len)
            memset(pt, 0, pt_len);
        return -1;
    }
    /* Nettle writes nothing through an empty destination, but wants a valid pointer. */
    uint8_t scratch[1];
    if (!siv_cmac_aes128_decrypt_message(&ctx->nettle, nonce_len, nonce, ad_len, ad ? ad : empty,
                                         pt_len, pt_len ? pt : scratch, ct)) {
        if (pt_len)
            memset(pt, 0, pt_len);
        return -1;
    }
    return 0;
}

void siv_wipe(struct siv_ctx *ctx)
{
    explicit_bzero(ctx, sizeof(*ctx));
}
