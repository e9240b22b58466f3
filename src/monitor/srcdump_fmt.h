/* `dump` (chronyc dump, and at exit when `dumpdir` is set): one file per source with an
 * address, DUMPDIR/ADDRESS.dat, holding its measurement history in chronyd 4.3's dump
 * format, so that a chronyd started with -r can load what tockd measured (migration, and
 * a readable record of the samples). tockd itself starts afresh and does not read them.
 *
 * The format, as chronyd 4.3 writes it:
 *   SRC0
 *   NAME                                  (the source as configured)
 *   AUTH REACH(octal) REACH_SIZE STRATUM LEAP
 *   N_SAMPLES ASYMMETRY_RUN
 *   SEC.NSEC OFFSET ORIG_OFFSET PEER_DELAY PEER_DISPERSION ROOT_DELAY ROOT_DISPERSION
 *   ... (N_SAMPLES lines, oldest first; offsets are local minus source, %.6e)
 */
#ifndef TOCK_MONITOR_SRCDUMP_FMT_H
#define TOCK_MONITOR_SRCDUMP_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sync/srcstats.h"

/* Bytes that always hold one file (a 255-byte name and SRCSTATS_MAX_SAMPLES samples). */
#define SRCDUMP_MAX_LEN (512 + SRCSTATS_MAX_SAMPLES * 128)

/* Writes the file's text. name must be a single word (no whitespace: chronyd reads it as
 * one); returns the length, 0 when it is not, or when cap is too small. */
size_t srcdump_format(char *buf, size_t cap, const char *name, bool authenticated, uint8_t reach,
                      int reach_size, const struct srcstats *st);

#endif
