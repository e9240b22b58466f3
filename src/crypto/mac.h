/* Symmetric-key authentication of NTP packets, in exactly chronyd's wire forms (inventory
 * 1.8, 7.1 step 6, gotcha 10): the MAC field is a 4-byte key ID then the digest of
 * everything before it (header and extension fields) - MD5/SHA*: hash(key || packet),
 * AES128/AES256: CMAC(key, packet) (RFC 8573).
 *
 *   NTPv4: the digest truncated to 20 bytes (RFC 7822), so the field is 20..24 bytes:
 *          68-byte packets for MD5 and AES-CMAC, 72 for every longer hash.
 *   NTPv1-3: the full digest (up to 64 bytes); chronyd clients use NTPv3 for keys whose
 *          digest does not fit NTPv4 (mac_client_version), and the reply keeps that form,
 *          so its length matches the request.
 *
 * A request's MAC must have exactly the length its key gives in its version; anything
 * else - unknown key (including ID 0), wrong digest, wrong length, a crypto-NAK - is
 * MAC_BAD: chronyd does not reply at all. A request without a MAC is always answered
 * unauthenticated. An NTPv4 request with a full-length MAC longer than 24 bytes (chrony
 * 3.x clients with long keys) is not a MAC packet at all: chronyd 4.x (checked with 4.3)
 * drops it as a malformed extension field, and so does ntp_packet_parse.
 * Comparisons are constant-time; nothing is allocated.
 */
#ifndef TOCK_CRYPTO_MAC_H
#define TOCK_CRYPTO_MAC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "proto/ntp_packet.h"

enum mac_result {
    MAC_NONE,  /* no MAC: answer unauthenticated */
    MAC_VALID, /* authenticated by *key_id: answer with a MAC under the same key */
    MAC_BAD,   /* unknown key, bad digest, wrong MAC length or crypto-NAK: no reply */
};

/* Checks the authentication of a packet parsed by ntp_packet_parse (pkt holds its
 * view->length bytes). Sets *key_id (may be NULL) to the key of a MAC_VALID packet. */
enum mac_result mac_check(const struct keys_table *keys, const uint8_t *pkt,
                          const struct ntp_packet_view *view, uint32_t *key_id);

/* Length of the MAC field (key ID included) key_id gives in a packet of this version, or
 * 0 for an unknown key. */
size_t mac_field_len(const struct keys_table *keys, uint32_t key_id, int version);

/* Appends the MAC field for key_id to the packet pkt[0..len) (header and any extension
 * fields), in the form for version (1..4). Used for replies (same key and version as the
 * request) and for requests. Returns the new length, or 0 if the key is unknown or the
 * field does not fit in cap. */
size_t mac_append(const struct keys_table *keys, uint32_t key_id, int version, uint8_t *pkt,
                  size_t len, size_t cap);

/* ntpd and ntpsec clients (e.g. `ntpdig -k FILE -a N` with a SHA256 key) send the FULL
 * digest in NTPv4 requests: 4 + 28..64 bytes right after the header. RFC 7822 allows at
 * most 24 bytes there, so ntp_packet_parse refuses such a packet as a malformed extension
 * field, and chronyd 4.3 drops it. tock answers it when nothing else can be made of the
 * packet: for a packet ntp_packet_parse refused with NTP_ERR_EXT_FIELD or NTP_ERR_MAC,
 * this returns MAC_NONE unless the packet is NTPv4 and its trailer is exactly one MAC
 * field whose key is known and whose full digest is longer than 20 bytes and exactly
 * fills the trailer; then MAC_VALID (sets *key_id) or MAC_BAD (wrong digest). The reply
 * goes back in the same form: mac_append(..., MAC_FORM_FULL_DIGEST, ...). */
enum mac_result mac_check_v4_full_digest(const struct keys_table *keys, const uint8_t *pkt,
                                         size_t len, uint32_t *key_id);

/* The `version` to pass to mac_append for the full, untruncated digest (the NTPv1-3 form,
 * also used for the replies of mac_check_v4_full_digest). */
#define MAC_FORM_FULL_DIGEST 3

/* Client side: whether a reply parsed by ntp_packet_parse carries a valid MAC under
 * key_id (an unauthenticated reply to an authenticated request is not valid). */
bool mac_reply_valid(const struct keys_table *keys, uint32_t key_id, const uint8_t *pkt,
                     const struct ntp_packet_view *view);

/* The NTP version a client should use with key_id: 3 when its digest would be truncated
 * in NTPv4 (longer than 20 bytes), else 4 (chronyd's rule for `version` 0 = automatic). */
int mac_client_version(const struct keys_table *keys, uint32_t key_id);

#endif
