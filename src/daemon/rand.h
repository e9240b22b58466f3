/* Random numbers for the serving path: getrandom() in 4 KiB blocks, so a reply costs no
 * system call for its timestamp fuzz (chronyd does the same, see peers.md). */
#ifndef TOCK_DAEMON_RAND_H
#define TOCK_DAEMON_RAND_H

#include <stddef.h>
#include <stdint.h>

uint32_t rand_u32(void);
/* Same, with the signature the pure modules take as a random source. */
uint32_t rand_u32_cb(void *ctx);
void rand_bytes(void *buf, size_t len);

#endif
