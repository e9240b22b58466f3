/* What every helper process (resolver, NTS-KE) does right after fork(): its own random
 * pool, its own log connection, and none of the parent's descriptors (sockets, key files)
 * beyond the ones it needs. */
#ifndef TOCK_DAEMON_CHILD_H
#define TOCK_DAEMON_CHILD_H

/* keep1/keep2: descriptors to keep (-1 = none). Standard streams and the log file stay. */
void child_after_fork(int keep1, int keep2);

#endif
