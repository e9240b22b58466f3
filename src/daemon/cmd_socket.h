/* The command sockets (UDP and Unix) and the daemon's side of the command protocol. */
#ifndef TOCK_DAEMON_CMD_SOCKET_H
#define TOCK_DAEMON_CMD_SOCKET_H

#include "daemon/daemon.h"

struct cmd_backend;

/* Opens the UDP command sockets (bound as root: cmdport 323 is below 1024). Returns -1
 * only for a fatal error (the command port taken). */
int tockd_cmd_start(struct tockd *d);
/* Opens the Unix command socket, after the privilege drop, so that it belongs to the
 * daemon's user; its directory must be that user's and closed to others. A socket that
 * cannot be opened is a warning. Returns 0. */
int tockd_cmd_start_unix(struct tockd *d);
void tockd_cmd_stop(struct tockd *d);

/* Fills the callbacks that answer chronyc's requests from the daemon's state
 * (cmd_backend.c). */
void tockd_cmd_backend_init(struct tockd *d, struct cmd_backend *be);

#endif
