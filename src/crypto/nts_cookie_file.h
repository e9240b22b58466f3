/* The NTS client's saved state for one source (tockd writes it to
 * ntsdumpdir/<NTS-KE address>.nts at exit and reads it at the next start, so a restart
 * needs no new NTS-KE). tock's own text format, version 1:
 *
 *     TNC1
 *     <name> <NTS-KE address> <NTS-KE port>
 *     <NTP address> <NTP port>
 *     <Unix time of the NTS-KE, integer> <AEAD id> <C2S key hex> <S2C key hex>
 *     <cookie hex>                  one line per cookie, 1..8 lines
 *
 * Names are 1..255 printable characters without spaces; keys are 32 bytes (AEAD 15);
 * cookies 12..256 bytes, a multiple of 4 (what an NTP extension field can carry).
 *
 * Pure: text in, struct out (and back); no files, no clock.
 */
#ifndef TOCK_CRYPTO_NTS_COOKIE_FILE_H
#define TOCK_CRYPTO_NTS_COOKIE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/nts_cookie.h"
#include "util/addr.h"

#define NTS_COOKIE_FILE_MAGIC    "TNC1"
#define NTS_COOKIE_FILE_MAX      4096 /* always enough for 8 cookies of 256 bytes */
#define NTS_COOKIE_FILE_NAME_MAX 255

struct nts_cookie_file {
    char name[NTS_COOKIE_FILE_NAME_MAX + 1]; /* the source's host as configured */
    struct tock_endpoint ke;                 /* NTS-KE server */
    struct tock_endpoint ntp;                /* negotiated NTP server */
    int64_t ke_time;                         /* Unix time of the NTS-KE */
    struct nts_keys keys;
    struct nts_cookie_set cookies; /* n >= 1 */
};

/* Writes the file into buf. Returns its length, or -1 (cap too small, or a field out of
 * range: empty jar, bad name, keys that are not AEAD 15). */
int nts_cookie_file_format(const struct nts_cookie_file *f, char *buf, size_t cap);

/* Parses a whole file. Returns 0, or -1 with *err set (static text); out is then zeroed. */
int nts_cookie_file_parse(const char *text, size_t len, struct nts_cookie_file *out,
                          const char **err);

#endif
