/* libFuzzer target: the NTS client's saved-cookie file (src/crypto/nts_cookie_file.c).
 * Invariants: no read outside the input (ASan); a file that parses formats back to text
 * that parses to the same contents; a rejected file leaves nothing behind. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/nts_cookie_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nts_cookie_file f, g;
    static const struct nts_cookie_file zero;
    static char text[NTS_COOKIE_FILE_MAX];
    const char *err = NULL;
    if (nts_cookie_file_parse((const char *)data, size, &f, &err) != 0) {
        if (!err || memcmp(&f, &zero, sizeof(f)) != 0)
            abort();
        return 0;
    }
    int len = nts_cookie_file_format(&f, text, sizeof(text));
    if (len < 0 || nts_cookie_file_parse(text, (size_t)len, &g, &err) != 0)
        abort();
    if (strcmp(f.name, g.name) != 0 || f.ke_time != g.ke_time || f.ke.port != g.ke.port ||
        f.ntp.port != g.ntp.port || !tock_ip_equal(&f.ke.ip, &g.ke.ip) ||
        !tock_ip_equal(&f.ntp.ip, &g.ntp.ip) || memcmp(&f.keys, &g.keys, sizeof(f.keys)) != 0 ||
        f.cookies.n != g.cookies.n)
        abort();
    for (int i = 0; i < f.cookies.n; i++)
        if (f.cookies.len[i] != g.cookies.len[i] ||
            memcmp(f.cookies.data[i], g.cookies.data[i], f.cookies.len[i]) != 0)
            abort();
    return 0;
}
