/* chronyc's value formatting (inventory 2.3) and its report template language, so tockctl's
 * reports are byte-for-byte those of chronyc, in both human and CSV (-c) form.
 *
 * ctl_report() takes a template: literal text, printed only in human mode, and field
 * specifiers "%[+|-][width][.prec]X". In CSV mode the literal text disappears, fields are
 * separated by commas, widths and signs are dropped, and the unit-converting specifiers
 * print raw numbers. Specifiers and their argument types:
 *
 *   B int      "Yes"/"No"                    C int       client-log interval (" -" if 127)
 *   F double   "%.*f ppm fast|slow"          O double    "%.*f seconds slow|fast"
 *   I uint32_t interval with unit            L int       leap status (width 1: one letter)
 *   M int      NTP mode name                 N int       timestamp source ('D','K','H')
 *   P double   ppm, %10.3f (+: signed)       R uint32_t  %08X
 *   S double   offset with unit (+: signed)  T timespec* UTC date "%a %b %d %H:%M:%S %Y"
 *   U uint32_t %*u                           Q uint64_t  %*llu
 *   b unsigned binary, prec digits           c int       one character
 *   d int      %*d                           f double    %*.*f (+: "%+")
 *   o unsigned %*o                           s char*     %*s ("-" or "+": left-aligned)
 *   u unsigned %*u
 *
 * CSV conversions: C->d, F/P->f with 3 decimals, O/S->f with 9 decimals, I->U, T->
 * "sec.nsec". In CSV the report ends with a newline after its last field.
 */
#ifndef TOCK_CTL_CTL_FMT_H
#define TOCK_CTL_CTL_FMT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl/ctl_buf.h"

/* An interval in seconds: "   -" for 0xFFFFFFFF, then s, m, h, d or y with 4 columns. */
void ctl_fmt_interval(struct ctl_buf *b, uint32_t seconds);
/* An offset's magnitude with unit ns/us/ms/s/m/h/d/y in 6 columns (sign: 7, "%+"). */
void ctl_fmt_offset(struct ctl_buf *b, double seconds);
void ctl_fmt_signed_offset(struct ctl_buf *b, double seconds);
/* ppm in 10 columns, 3 decimals below 99999.5. */
void ctl_fmt_freq(struct ctl_buf *b, double ppm);
void ctl_fmt_signed_freq(struct ctl_buf *b, double ppm);
/* log2 interval of the client log in 2 columns, " -" for 127 (no data). */
void ctl_fmt_clientlog_interval(struct ctl_buf *b, int rate);

/* A header line and a row of '=' as long as it; nothing in CSV mode. */
void ctl_fmt_header(struct ctl_buf *b, bool csv, const char *header);

/* Formats a report template (see above). */
void ctl_report(struct ctl_buf *b, bool csv, const char *fmt, ...);

/* The printable characters of a refid ("GPS", "" for 7F7F0101). buf: 5 bytes. */
const char *ctl_refid_text(uint32_t ref_id, char buf[5]);

/* chronyc's message for a status code, e.g. "503 No such source". */
const char *ctl_status_message(uint16_t status);

#endif
