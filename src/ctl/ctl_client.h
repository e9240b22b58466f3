/* tockctl's transport: chronyc's way of reaching the daemon (inventory 2.1, 2.2, 3.1).
 *
 * A comma-separated host list is tried in order: an entry starting with '/' is the path of
 * the daemon's Unix datagram socket, anything else a numeric address or a name (every
 * address it resolves to is an entry), on the UDP port given. For a Unix socket the client
 * binds its own socket next to the daemon's, <dir>/tockctl.<pid>.sock with mode 0666,
 * because the daemon replies with sendto() to the sender's address; it is unlinked on
 * close. Each request is tried 3 times with a new random sequence number, waiting 1 s,
 * then 2 s, then 4 s; replies that do not match are ignored (inventory 2.2). When an
 * address gives no answer the next one is used.
 */
#ifndef TOCK_CTL_CTL_CLIENT_H
#define TOCK_CTL_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/candm.h"

#define CTL_DEFAULT_HOSTS "/run/tock/tockd.sock,127.0.0.1,::1"

struct ctl_client_config {
    const char *hosts;      /* NULL: CTL_DEFAULT_HOSTS */
    uint16_t port;          /* UDP port, CANDM_DEFAULT_PORT */
    int family;             /* AF_UNSPEC, or AF_INET/AF_INET6 for -4/-6 */
    int initial_timeout_ms; /* 1000 */
    int max_retries;        /* 2 (3 attempts) */
};

struct ctl_client;

/* Resolves the host list (names through getaddrinfo). Never NULL except on allocation
 * failure; an empty list simply never reaches a daemon. */
struct ctl_client *ctl_client_new(const struct ctl_client_config *cfg);
/* Closes the socket and removes the client's Unix socket file. */
void ctl_client_free(struct ctl_client *c);

/* struct ctl_env's transact: 0 with a decoded reply, -1 if no address answered (or a
 * signal asked to quit). */
int ctl_client_transact(void *client, struct candm_request *req, struct candm_reply *rep);

/* Installs SIGINT/SIGTERM/SIGHUP/SIGQUIT handlers that make a pending request give up (so
 * the Unix socket file is still removed) and returns the flag they set. */
volatile int *ctl_client_install_signals(void);

/* Helpers for struct ctl_env, with the same address-family restriction. */
bool ctl_client_reverse(void *client, const struct candm_ip *ip, char *buf, size_t len);
int ctl_client_resolve(void *client, const char *name, struct candm_ip *out);

#endif
