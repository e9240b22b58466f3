/* Symmetric keys: chrony's keyfile format (inventory 1.8) and the key table used to
 * authenticate NTP packets (RFC 5905 hash MACs, RFC 8573 AES-CMAC).
 *
 * Keyfile: one key per line, `ID [TYPE] KEY`. ID is 1..4294967295, TYPE (case-sensitive,
 * default MD5) is one of MD5 SHA1 SHA256 SHA384 SHA512 SHA3-224 SHA3-256 SHA3-384 SHA3-512
 * AES128 AES256, KEY is ASCII (optionally prefixed `ASCII:`, no whitespace) or `HEX:` and
 * an even number of hex digits. AES keys must be exactly 16 or 32 bytes. Lines starting
 * (after blanks) with ! ; # or % are comments. A line longer than 2047 characters and any
 * bad line are skipped with a FILE:LINE warning, never fatal (as chronyd).
 *
 * The table is immutable after parsing and safe to share between readers. Each key keeps a
 * ready-made cryptographic state (the hash state after absorbing the key, or the expanded
 * AES-CMAC key): computing a MAC copies it to the stack, so nothing is allocated per
 * packet. Primitives come from Nettle (hashes, CMAC) because OpenSSL 3.0's EVP digest
 * contexts allocate on every initialisation or copy. Key material is wiped on free.
 */
#ifndef TOCK_CRYPTO_KEYS_H
#define TOCK_CRYPTO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf/config.h"

enum keys_type {
    KEYS_MD5,
    KEYS_SHA1,
    KEYS_SHA256,
    KEYS_SHA384,
    KEYS_SHA512,
    KEYS_SHA3_224,
    KEYS_SHA3_256,
    KEYS_SHA3_384,
    KEYS_SHA3_512,
    KEYS_AES128, /* CMAC */
    KEYS_AES256, /* CMAC */
    KEYS_N_TYPES
};

#define KEYS_MAX_DIGEST_LEN 64    /* SHA-512 */
#define KEYS_MAX_LINE       2047  /* characters, without the newline */
#define KEYS_MAX_KEYS       65536 /* keys kept from one file; the rest are ignored */
#define KEYS_MIN_SECURE_LEN 10    /* bytes (80 bits): shorter keys get a warning */
#define KEYS_MAX_DIAGS      64

/* "MD5", "SHA3-256", "AES128"... */
const char *keys_type_name(enum keys_type type);
/* The type named exactly `name` (case-sensitive, as chronyd), or -1. */
int keys_type_from_name(const char *name);
bool keys_type_is_cmac(enum keys_type type);
/* Digest length in bytes (CMAC: 16). */
size_t keys_type_digest_len(enum keys_type type);

enum keys_diag_level { KEYS_DIAG_ERROR, KEYS_DIAG_WARNING };

struct keys_diag {
    enum keys_diag_level level;
    struct conf_loc loc; /* loc.file is the name given to keys_parse */
    char message[160];   /* without the "FILE:LINE: " prefix */
};

struct keys_diags {
    int n;
    int n_warnings;
    int n_dropped; /* beyond KEYS_MAX_DIAGS */
    struct keys_diag items[KEYS_MAX_DIAGS];
};

struct keys_table;

/* Parses a keyfile's contents (the caller reads the file; `name` is used in messages and
 * must outlive diags). Bad lines are skipped with warnings in diags (cleared first; may be
 * NULL): wrong
 * word count or bad ID ("Could not parse key"), ID 0, unknown type, undecodable key, wrong
 * AES key length, duplicate ID (the first one is kept), line too long, too many keys; keys
 * shorter than 80 bits are kept with a warning. Returns the table (possibly empty), or
 * NULL only when out of memory. */
struct keys_table *keys_parse(const char *name, const char *text, size_t len,
                              struct keys_diags *diags);
void keys_free(struct keys_table *table);

size_t keys_count(const struct keys_table *table);

struct keys_info {
    uint32_t id;
    enum keys_type type;
    size_t key_len;    /* bytes */
    size_t digest_len; /* bytes of the full MAC digest */
};

/* Information about key id; false if there is no such key. */
bool keys_lookup(const struct keys_table *table, uint32_t id, struct keys_info *out);
/* The index-th key in ID order (0 <= index < keys_count), e.g. for `authdata`. */
bool keys_info_at(const struct keys_table *table, size_t index, struct keys_info *out);

/* The full MAC digest of data under key id into out (KEYS_MAX_DIGEST_LEN bytes): hash
 * types digest key || data, AES types compute CMAC(key, data). Returns the digest length,
 * or 0 if there is no such key. No allocation. */
size_t keys_digest(const struct keys_table *table, uint32_t id, const uint8_t *data, size_t len,
                   uint8_t out[KEYS_MAX_DIGEST_LEN]);

/* `tockctl keygen [ID [TYPE [BITS]]]` (chronyc's format): bytes of randomness a key of
 * type and bits needs - max(10, ceil(bits / 8)) capped at 512, or exactly 16/32 for AES -
 * or 0 for an unknown type. */
size_t keys_keygen_length(const char *type, unsigned bits);
/* Writes "ID TYPE HEX:..." (upper-case hex, no newline) from keys_keygen_length(type,
 * bits) bytes of `random`. Returns the length written, or -1 if the type is unknown,
 * random_len is too small or out is too small (1100 bytes always suffice). */
int keys_format_keygen_line(uint32_t id, const char *type, unsigned bits, const uint8_t *random,
                            size_t random_len, char *out, size_t out_len);

#endif
