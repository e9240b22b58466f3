/* The command sockets (UDP and Unix) and the daemon's side of the command protocol. */
#ifndef TOCK_DAEMON_CMD_SOCKET_H
#define TOCK_DAEMON_CMD_SOCKET_H

#include "daemon/daemon.h"

struct cmd_backend;

/* Opens the UDP command sockets and the Unix socket. Returns -1 only for a fatal error
 * (the command port taken); a Unix socket that cannot be opened is a warning. */
int tockd_cmd_start(struct tockd *d);
void tockd_cmd_stop(struct tockd *d);

/* Fills the callbacks that answer chronyc's requests from the daemon's state
 * (cmd_backend.c). */
void tockd_cmd_backend_init(struct tockd *d, struct cmd_backend *be);

#endif
