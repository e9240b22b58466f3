/* libFuzzer target for the configuration parser: any bytes as a configuration text, with
 * include/confdir/sourcedir refused (no file system). Checks that a configuration that loads
 * without error prints to a text that loads without error and prints the same again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *print_config(const struct tock_config *c, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        abort();
    conf_print(c, f);
    fclose(f);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct conf_load_opts opts = {.no_includes = true};
    struct tock_config c1, c2;
    struct conf_diags d1, d2;
    char *diag_text = NULL;
    size_t diag_len = 0, len1, len2;

    int rc = conf_load_buffer((const char *)data, size, "fuzz.conf", &opts, &c1, &d1);
    FILE *f = open_memstream(&diag_text, &diag_len);
    if (!f)
        abort();
    conf_diags_print(&d1, f);
    fclose(f);
    free(diag_text);
    if ((rc == 0) != (d1.n_errors == 0))
        abort();

    if (rc == 0) {
        char *p1 = print_config(&c1, &len1);
        if (conf_load_buffer(p1, len1, "printed.conf", &opts, &c2, &d2) != 0) {
            fprintf(stderr, "printed config does not load:\n%s", p1);
            abort();
        }
        char *p2 = print_config(&c2, &len2);
        if (len1 != len2 || memcmp(p1, p2, len1) != 0) {
            fprintf(stderr, "print is not stable:\n%s----\n%s", p1, p2);
            abort();
        }
        free(p1);
        free(p2);
        conf_free(&c2);
        conf_diags_free(&d2);
    }
    conf_free(&c1);
    conf_diags_free(&d1);
    return 0;
}
