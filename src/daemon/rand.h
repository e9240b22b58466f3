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
/* Forgets the buffered random bytes: a forked child must call it first, or it would hand
 * out the same bytes as its parent (nonces, keys). */
void rand_after_fork(void);

#endif
