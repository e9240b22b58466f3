/* Dropping root and capabilities (Linux capabilities through libcap).
 *
 * Only the calls the clock-and-network simulator fakes are used (doc/simulation.md rule
 * 12): getpwnam, getgrouplist, setgroups, setgid, setuid and libcap's cap_set_proc, plus
 * prctl(PR_SET_KEEPCAPS) so that the capabilities to keep survive setuid(). */
#ifndef TOCK_DAEMON_PRIVDROP_H
#define TOCK_DAEMON_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PRIVDROP_MAX_GROUPS 32
#define PRIVDROP_MAX_NAME   64

/* Capabilities tockd may keep, as a bit set. */
#define PRIVDROP_CAP_SYS_TIME     (1u << 0) /* adjusting the clock */
#define PRIVDROP_CAP_NET_BIND     (1u << 1) /* binding a port below 1024 */
#define PRIVDROP_CAP_SYS_NICE     (1u << 2) /* (start-up only) sched_priority */
#define PRIVDROP_CAP_IPC_LOCK     (1u << 3) /* (start-up only) lock_all */
#define PRIVDROP_CAP_SYS_RESOURCE (1u << 4) /* (start-up only) raising RLIMIT_MEMLOCK */

/* A user to run as, looked up once (getpwnam) before anything forks. */
struct privdrop_user {
    char name[PRIVDROP_MAX_NAME];
    uid_t uid;
    gid_t gid;
    int n_groups; /* supplementary groups (getgrouplist), the primary one included */
    gid_t groups[PRIVDROP_MAX_GROUPS];
};

/* Looks the user up. WITH_GROUPS: its supplementary groups too (getgrouplist, which the
 * simulator does not fake: not in -d); otherwise only its primary group. Returns 0, or -1
 * when there is no such user (errno 0) or the lookup failed (errno set). A user in more than
 * PRIVDROP_MAX_GROUPS groups keeps the first ones. */
int privdrop_lookup(const char *name, bool with_groups, struct privdrop_user *out);

/* Capabilities of this process: the effective set as PRIVDROP_CAP_* bits. */
unsigned privdrop_effective_caps(void);

/* Started as root: become USER (its groups, gid, uid) keeping exactly the capabilities in
 * KEEP that the process holds (permitted and effective; inheritable and ambient cleared, and
 * every other capability also dropped from the bounding set). Returns 0, or -1 with a
 * message in err. */
int privdrop_become(const struct privdrop_user *user, unsigned keep, char *err, size_t errlen);

/* Any user: keeps exactly the capabilities in KEEP that the process has and drops every
 * other one from the permitted, effective, inheritable and ambient sets (tockd -U, and
 * root when no user to switch to). Returns 0, or -1 with a message in err. */
int privdrop_limit_caps(unsigned keep, char *err, size_t errlen);

/* "CAP_SYS_TIME CAP_NET_BIND_SERVICE" for a bit set ("none" for 0), into buf. */
const char *privdrop_caps_string(unsigned caps, char *buf, size_t len);

#endif
