#include "crypto/mac.h"

#include <nettle/memops.h>
#include <string.h>

#define V4_MAX_DIGEST (NTP_MAX_V4_MAC_LEN - 4) /* 20 */
#define MAX_DIGEST    (NTP_MAX_MAC_LEN - 4)    /* 64 */

/* The digest length key_id gives in a packet of this version: truncated to 20 bytes in
 * NTPv4, full otherwise. 0 for an unknown key. */
static size_t digest_len_for(const struct keys_table *keys, uint32_t key_id, int version)
{
    struct keys_info info;
    if (!keys_lookup(keys, key_id, &info))
        return 0;
    size_t limit = version == 4 ? V4_MAX_DIGEST : MAX_DIGEST;
    return info.digest_len < limit ? info.digest_len : limit;
}

/* Verifies that the `field_len`-byte MAC field at pkt[offset] authenticates
 * pkt[0..offset) when its digest should be `expected` bytes long. */
static bool field_valid(const struct keys_table *keys, const uint8_t *pkt, size_t offset,
                        size_t field_len, size_t expected)
{
    uint8_t digest[KEYS_MAX_DIGEST_LEN];
    uint32_t key_id = rd32(pkt + offset);
    if (expected == 0 || field_len != 4 + expected)
        return false;
    if (keys_digest(keys, key_id, pkt, offset, digest) < expected)
        return false;
    bool ok = memeql_sec(digest, pkt + offset + 4, expected) != 0;
    memset(digest, 0, sizeof(digest));
    return ok;
}

enum mac_result mac_check(const struct keys_table *keys, const uint8_t *pkt,
                          const struct ntp_packet_view *view, uint32_t *key_id)
{
    switch (view->auth) {
    case NTP_AUTH_NONE:
        return MAC_NONE;
    case NTP_AUTH_CRYPTO_NAK:
        return MAC_BAD;
    case NTP_AUTH_MAC:
        break;
    default:
        return MAC_BAD;
    }
    size_t offset = view->mac_offset, field = view->mac_len;
    if (field < NTP_MIN_MAC_LEN || offset < NTP_HEADER_LEN || offset + field > view->length)
        return MAC_BAD;
    /* An NTPv4 field of 20..24 bytes carries the digest truncated to 20 bytes; a longer one
     * (only NTPv1-3 reach here with one) the full digest. */
    int version = view->h.version == 4 && field <= NTP_MAX_V4_MAC_LEN ? 4 : 3;
    uint32_t id = view->key_id;
    if (!field_valid(keys, pkt, offset, field, digest_len_for(keys, id, version)))
        return MAC_BAD;
    if (key_id)
        *key_id = id;
    return MAC_VALID;
}

enum mac_result mac_check_v4_full_digest(const struct keys_table *keys, const uint8_t *pkt,
                                         size_t len, uint32_t *key_id)
{
    struct keys_info info;
    if (len < NTP_HEADER_LEN + 4 || len > NTP_HEADER_LEN + NTP_MAX_MAC_LEN ||
        ((pkt[0] >> 3) & 7) != 4)
        return MAC_NONE;
    size_t field = len - NTP_HEADER_LEN;
    uint32_t id = rd32(pkt + NTP_HEADER_LEN);
    if (!keys_lookup(keys, id, &info) || info.digest_len <= V4_MAX_DIGEST ||
        field != 4 + info.digest_len)
        return MAC_NONE;
    if (!field_valid(keys, pkt, NTP_HEADER_LEN, field, info.digest_len))
        return MAC_BAD;
    if (key_id)
        *key_id = id;
    return MAC_VALID;
}

size_t mac_field_len(const struct keys_table *keys, uint32_t key_id, int version)
{
    size_t digest = digest_len_for(keys, key_id, version);
    return digest ? 4 + digest : 0;
}

size_t mac_append(const struct keys_table *keys, uint32_t key_id, int version, uint8_t *pkt,
                  size_t len, size_t cap)
{
    uint8_t digest[KEYS_MAX_DIGEST_LEN];
    size_t want = digest_len_for(keys, key_id, version);
    if (want == 0 || len > cap || cap - len < 4 + want)
        return 0;
    if (keys_digest(keys, key_id, pkt, len, digest) < want)
        return 0;
    wr32(pkt + len, key_id);
    memcpy(pkt + len + 4, digest, want);
    memset(digest, 0, sizeof(digest));
    return len + 4 + want;
}

bool mac_reply_valid(const struct keys_table *keys, uint32_t key_id, const uint8_t *pkt,
                     const struct ntp_packet_view *view)
{
    uint32_t got;
    return view->auth == NTP_AUTH_MAC && view->key_id == key_id &&
           mac_check(keys, pkt, view, &got) == MAC_VALID && got == key_id;
}

int mac_client_version(const struct keys_table *keys, uint32_t key_id)
{
    struct keys_info info;
    if (keys_lookup(keys, key_id, &info) && 4 + info.digest_len > NTP_MAX_V4_MAC_LEN)
        return 3;
    return 4;
}
