/* libFuzzer target: the keyfile parser on arbitrary bytes, then every key it accepted is
 * looked up and used for a digest and a MAC round trip, and the same bytes are tried as
 * an NTP packet against the table. Nothing may crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/mac.h"
#include "proto/ntp_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct keys_diags diags;
    struct keys_table *table = keys_parse("fuzz.keys", (const char *)data, size, &diags);
    if (!table)
        return 0;
    if (diags.n > KEYS_MAX_DIAGS)
        __builtin_trap();

    uint8_t digest[KEYS_MAX_DIGEST_LEN];
    uint8_t pkt[NTP_MAX_PACKET_LEN] = {0x23};
    for (size_t i = 0; i < keys_count(table) && i < 64; i++) {
        struct keys_info info;
        if (!keys_info_at(table, i, &info) || !keys_lookup(table, info.id, &info))
            __builtin_trap();
        if (keys_digest(table, info.id, data, size, digest) != info.digest_len)
            __builtin_trap();
        for (int version = 3; version <= 4; version++) {
            pkt[0] = (uint8_t)(version << 3 | 3);
            size_t len = mac_append(table, info.id, version, pkt, NTP_HEADER_LEN, sizeof(pkt));
            struct ntp_packet_view view;
            uint32_t key_id;
            if (len && ntp_packet_parse(pkt, len, &view) == NTP_OK &&
                (mac_check(table, pkt, &view, &key_id) != MAC_VALID || key_id != info.id))
                __builtin_trap();
        }
    }

    struct ntp_packet_view view;
    if (size <= NTP_MAX_PACKET_LEN && ntp_packet_parse(data, size, &view) == NTP_OK)
        (void)mac_check(table, data, &view, NULL);

    keys_free(table);
    return 0;
}
