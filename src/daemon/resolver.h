/* Name resolution for sources. Numeric addresses never get here (tock_ip_parse first).
 * In the foreground single-process mode (-d) a lookup is a synchronous getaddrinfo()
 * (doc/simulation.md rule 10); otherwise it runs in a helper process, so DNS never blocks
 * the event loop and NSS/DNS system calls stay out of the main process's seccomp filter. */
#ifndef TOCK_DAEMON_RESOLVER_H
#define TOCK_DAEMON_RESOLVER_H

#include <stdbool.h>

#include "util/addr.h"

#define RESOLVER_MAX_ADDRS 16
#define RESOLVER_MAX_NAME  255

struct loop;
struct resolver;

/* n == 0: the name did not resolve. addrs are in getaddrinfo's order, duplicates removed. */
typedef void (*resolver_cb)(void *ctx, const char *name, int n, const struct tock_ip *addrs);

/* Runs first in the helper process, after NSS is loaded: drops privileges and installs the
 * helper's seccomp filter (harden_enter_helper). */
typedef void (*resolver_setup_cb)(void *ctx);

/* use_helper false: synchronous lookups. Otherwise forks the helper, which calls
 * setup(setup_ctx) (if not NULL) before it answers anything. Returns NULL on failure (fork,
 * socketpair). */
struct resolver *resolver_new(struct loop *loop, bool use_helper, resolver_setup_cb setup,
                              void *setup_ctx);
/* family: 0 any, 4 IPv4 only, 6 IPv6 only. The callback may run before this returns
 * (synchronous mode). Returns 0, or -1 when too many lookups are pending. */
int resolver_lookup(struct resolver *r, const char *name, int family, resolver_cb cb, void *ctx);
/* Forgets pending lookups for ctx (their callbacks will not run). */
void resolver_cancel(struct resolver *r, void *ctx);
/* The helper's pid (0 in synchronous mode), for privilege drop and tests. */
int resolver_helper_pid(const struct resolver *r);
void resolver_free(struct resolver *r);

#endif
