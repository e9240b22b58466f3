/* The NTS server's cookie-encryption keys ("master keys", RFC 8915 section 6), kept as
 * chrony keeps them so that cookies, key files and key-file sharing behave the same.
 *
 * Four slots; the low 2 bits of a key id are its slot. At any time one key is current
 * (new cookies are sealed with it), the two before it are still accepted, and the one
 * after it is already generated (a server sharing the key file can accept cookies made
 * with it right after the next rotation). Rotation happens every `ntsrotate` seconds of
 * operating time (monotonic time, passed in); `ntsrotate 0` means the keys are managed
 * outside tock: never rotated, never saved, only reloaded.
 *
 * The persistent form is chrony's `ntskeys` file:
 *     NKS1
 *     <age of the current key in seconds, %.1f>
 *     <IDHEX(8)> <KEYHEX> <AEAD>      4 lines, oldest first (current is third, next last)
 * The older NKS0 form (line 2 "<AEAD> <age>", key lines without the AEAD) is read too,
 * and written on request (chrony 4.3 knows only NKS0).
 * Formatting and parsing are pure; the daemon writes the file (atomically, mode 0600).
 *
 * Pure: randomness comes from a caller-supplied function, time is passed in.
 */
#ifndef TOCK_CRYPTO_NTS_KEYRING_H
#define TOCK_CRYPTO_NTS_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/siv.h"

/* AEAD algorithm ids (IANA "AEAD Algorithms" registry). */
#define NTS_AEAD_AES_SIV_CMAC_256 15
#define NTS_AEAD_AES_128_GCM_SIV  30

#define NTS_KEYRING_SLOTS 4
#define NTS_KEYRING_TEXT_MAX                                                                       \
    512 /* the formatted file always fits: 5 + <= 64 + 4 * (8 + 1 + 64 + 1 + 5 + 1) bytes */

/* Fills buf with len cryptographically secure random bytes. Returns 0, or -1 on failure. */
typedef int (*nts_random_fn)(void *arg, uint8_t *buf, size_t len);

/* One cookie key. aead is the algorithm cookies are sealed with (always 15 here: Nettle
 * 3.8 has no AES-128-GCM-SIV). */
struct nts_server_key {
    uint32_t id;
    uint16_t aead;
    uint8_t key[SIV_KEY_LEN];
    struct siv_ctx siv; /* keyed with key */
};

struct nts_keyring {
    struct nts_server_key slot[NTS_KEYRING_SLOTS];
    int current;          /* slot new cookies are sealed with */
    double last_rotation; /* operating time the current key became current */
    double interval;      /* ntsrotate in seconds; 0 = managed outside (no rotation/saving) */
    nts_random_fn random;
    void *random_arg;
};

/* Generates four fresh keys (as chrony: slot 3 current, slot 0 next). interval is
 * `ntsrotate` (0 or positive); now is operating (monotonic) time in seconds. Returns 0, or
 * -1 if the random source failed or interval is negative. */
int nts_keyring_init(struct nts_keyring *kr, double interval, double now, nts_random_fn random,
                     void *random_arg);

/* Makes the next key current and generates a new next key. Returns 0 or -1 (random
 * source failed; the ring is then unchanged). */
int nts_keyring_rotate(struct nts_keyring *kr, double now);

/* Rotates once if `interval` seconds have passed since the last rotation. Returns 1 when
 * it rotated (save the file), 0 when nothing was due (always with interval 0), -1 on a
 * random-source failure. */
int nts_keyring_update(struct nts_keyring *kr, double now);

/* Operating time of the next rotation, or a negative value when keys never rotate. */
double nts_keyring_next_rotation(const struct nts_keyring *kr);

/* True when the daemon should write the key file (interval > 0, as chrony). */
bool nts_keyring_saves(const struct nts_keyring *kr);

const struct nts_server_key *nts_keyring_current(const struct nts_keyring *kr);
/* The key with exactly this id, or NULL (unknown or replaced key). */
const struct nts_server_key *nts_keyring_find(const struct nts_keyring *kr, uint32_t id);

/* Prepares a key received from elsewhere (an NTS-KE helper gets the current key from the
 * main process). Returns 0, or -1 for an unsupported algorithm or key length. */
int nts_server_key_set(struct nts_server_key *k, uint32_t id, uint16_t aead, const uint8_t *key,
                       size_t key_len);

/* Key file versions. chrony 4.4+ writes NKS1 and reads both; chrony 4.3 (Debian 12)
 * writes and reads only NKS0, so a key file shared with it must be NKS0. */
enum nts_keyfile_version {
    NTS_KEYFILE_NKS0 = 0, /* line 2 "<AEAD> <age>", key lines "<ID> <KEY>" */
    NTS_KEYFILE_NKS1 = 1, /* line 2 "<age>", key lines "<ID> <KEY> <AEAD>" */
};

/* Writes the key file contents (text, no NUL needed) into buf. Returns the length, or -1
 * if cap is too small (NTS_KEYRING_TEXT_MAX always suffices) or the version is unknown. */
int nts_keyring_format(const struct nts_keyring *kr, double now, int version, char *buf,
                       size_t cap);

/* Parses an NKS1 or NKS0 file and, only if all of it is valid, replaces the keys; the
 * current key's age in the file sets the time of the next rotation. On error returns -1,
 * leaves kr unchanged and points *err at a message (a static string). */
int nts_keyring_parse(struct nts_keyring *kr, const char *text, size_t len, double now,
                      const char **err);

/* Erases all key material. */
void nts_keyring_wipe(struct nts_keyring *kr);

#endif
