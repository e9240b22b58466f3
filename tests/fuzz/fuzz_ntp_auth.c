/* libFuzzer target: the server's authentication path on untrusted requests - the packet
 * parser, mac_check, the fallback for ntpd/ntpsec's NTPv4 full-digest MACs
 * (mac_check_v4_full_digest) and the reply MAC in the request's form. Invariants: nothing
 * is read outside the request (ASan on an exact-size heap copy), a MAC is only ever valid
 * for a key of the table, and an authenticated reply is never longer than its request. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/mac.h"
#include "proto/ntp_packet.h"

/* Key IDs 1..7, one per digest length class, so the fuzzer reaches every shape check. */
static const char keyfile[] =
    "1 MD5 ASCII:fuzz-md5-key-0001\n"
    "2 SHA1 HEX:0102030405060708090A0B0C0D0E0F1011121314\n"
    "3 SHA256 HEX:A0A1A2A3A4A5A6A7A8A9AAABACADAEAF\n"
    "4 SHA384 ASCII:fuzz-sha384-key\n"
    "5 SHA512 ASCII:fuzz-sha512-key\n"
    "6 AES128 HEX:2b7e151628aed2a6abf7158809cf4f3c\n"
    "7 AES256 HEX:603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct keys_table *keys;
    if (!keys)
        keys = keys_parse("fuzz.keys", keyfile, sizeof(keyfile) - 1, NULL);
    if (!keys)
        abort();
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);

    struct ntp_packet_view v;
    uint32_t key_id = 0;
    enum mac_result auth = MAC_NONE;
    int form = 0;
    int err = ntp_packet_parse(buf, size, &v);
    if (err == NTP_OK) {
        auth = mac_check(keys, buf, &v, &key_id);
        form = v.h.version;
    } else if (err == NTP_ERR_EXT_FIELD || err == NTP_ERR_MAC) {
        auth = mac_check_v4_full_digest(keys, buf, size, &key_id);
        form = MAC_FORM_FULL_DIGEST;
        if (auth != MAC_NONE && ntp_packet_parse(buf, NTP_HEADER_LEN, &v) != NTP_OK)
            abort(); /* a full-digest packet always has a valid header */
    }
    if (auth == MAC_VALID) {
        struct keys_info info;
        if (!keys_lookup(keys, key_id, &info))
            abort();
        uint8_t reply[NTP_HEADER_LEN + NTP_MAX_MAC_LEN];
        memcpy(reply, buf, NTP_HEADER_LEN);
        size_t len = mac_append(keys, key_id, form, reply, NTP_HEADER_LEN, sizeof(reply));
        if (len == 0 || len > size)
            abort();
    }
    free(buf);
    return 0;
}
