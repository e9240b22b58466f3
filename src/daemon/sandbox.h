/* The seccomp filters of tockd's processes (libseccomp), loaded once start-up is over.
 *
 * Every profile is an allow-list: what the process does after start-up and nothing else.
 *   main      the daemon: clock reads and adjustments, UDP/TCP/Unix sockets it already has
 *             or opens per request, files (driftfile, logs, keyfile on rekey), poll.
 *             No fork, no exec, no new kinds of sockets, arguments checked for socket(),
 *             setsockopt(), fcntl(), ioctl(), kill() and tgkill().
 *   resolver  the DNS helper: what glibc's getaddrinfo() needs (files, DNS and netlink
 *             sockets, NSS modules). A call outside the list fails with EPERM instead of
 *             killing the helper (NSS modules vary between systems, and a resolver that
 *             dies leaves every pool unresolved), but the calls that could change anything
 *             outside the helper - exec, fork, ptrace, the clock, credentials, mounts,
 *             namespaces - kill it.
 *   ntske     the NTS-KE helpers: TLS on sockets they are handed; no new sockets, no
 *             setsockopt or ioctl, files read-only, never the clock.
 *
 * Levels (-F): 0 no filter; 1 (the default) a call outside the list kills the process
 * (SIGSYS, SECCOMP_RET_KILL_PROCESS); negative: it delivers SIGSYS instead (TRAP), and
 * tockd logs the call's number before dying, to debug a filter that is too tight. chronyd's
 * level 2 (a deny-list) is weaker than tock's allow-list, so 2 and -2 mean 1 and -1. */
#ifndef TOCK_DAEMON_SANDBOX_H
#define TOCK_DAEMON_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_profile {
    SANDBOX_MAIN,
    SANDBOX_RESOLVER,
    SANDBOX_NTSKE,
};

#define SANDBOX_LEVEL_MIN     (-2)
#define SANDBOX_LEVEL_MAX     2
#define SANDBOX_LEVEL_DEFAULT 1

/* Is LEVEL accepted by -F? */
bool sandbox_level_valid(int level);

/* Sets PR_SET_NO_NEW_PRIVS and loads the profile's filter into this process (and any thread
 * or child it creates later). Level 0 does nothing. Returns 0, or -1 with a message in err.
 * Call it last: nothing that the filter forbids may run after it. */
int sandbox_install(enum sandbox_profile profile, int level, char *err, size_t errlen);

/* The profile's name ("main", "resolver", "ntske"), for messages. */
const char *sandbox_profile_name(enum sandbox_profile profile);

#endif
