/* Hexadecimal digits, for the parsers of keyfiles, NTS key files and cookie files. */
#ifndef TOCK_UTIL_HEX_H
#define TOCK_UTIL_HEX_H

/* The value of one hex digit (either case), or -1 for any other character. */
int hex_digit(char c);

#endif
