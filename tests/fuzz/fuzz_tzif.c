/* libFuzzer target: the TZif leap second parser (src/sync/leapsec.c) and the driftfile
 * parser must never read outside their input, and what they accept must be consistent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sync/driftfile.h"
#include "sync/leapsec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy so that ASan catches any read past the end */
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    for (size_t i = 0; i < size; i++)
        buf[i] = data[i];

    struct leapsec_table t;
    if (leapsec_parse_tzif(buf, size, &t) == LEAPSEC_OK) {
        if (t.n < 1 || t.n > LEAPSEC_MAX)
            abort();
        for (int i = 0; i < t.n; i++) {
            if (t.e[i].delta != 1 && t.e[i].delta != -1)
                abort();
            if (t.e[i].midnight % 86400 != 0)
                abort();
            if (i > 0 && t.e[i].midnight <= t.e[i - 1].midnight)
                abort();
            (void)leapsec_at_end_of_day(&t, (time_t)(t.e[i].midnight - 1));
        }
        (void)leapsec_tai_offset(&t, 0);
    }

    double f, s;
    if (driftfile_parse((const char *)buf, size, &f, &s) == DRIFTFILE_OK) {
        if (!(f >= -500000.0 && f <= 500000.0) || !(s >= 0.0))
            abort();
    }
    free(buf);
    return 0;
}
