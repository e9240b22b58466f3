/* The files and directories tockd uses: created with the right owner and mode at start-up,
 * and checked - at start-up for what the running daemon can see (secrets readable by
 * others, directories writable by everyone, files the daemon's user cannot use), and by
 * `tockd -Q` for a user and for the shipped tockd.service (ProtectSystem=strict). Every
 * message names the path and the command that fixes it. */
#ifndef TOCK_DAEMON_FILEPERM_H
#define TOCK_DAEMON_FILEPERM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/config.h"

/* The directories tockd.service makes writable (StateDirectory=, LogsDirectory=,
 * RuntimeDirectory=) and the one it gives read-only (ConfigurationDirectory=). A test
 * checks them against packaging/tockd.service. */
#define FILEPERM_UNIT_STATE_DIR   "/var/lib/tock"
#define FILEPERM_UNIT_LOGS_DIR    "/var/log/tock"
#define FILEPERM_UNIT_RUNTIME_DIR "/run/tock"
#define FILEPERM_UNIT_CONFIG_DIR  "/etc/tock"

#define FILEPERM_R 4
#define FILEPERM_W 2
#define FILEPERM_X 1

/* Whose access is checked: a user's uid, primary gid and groups (primary included). */
struct fileperm_who {
    const char *name;  /* for messages */
    const char *group; /* the primary group's name, for chgrp fixes */
    uid_t uid;
    gid_t gid;
    int n_groups;
    const gid_t *groups;
};

/* Do the permission bits of a file (MODE, OWNER, GROUP) give WHO all of WANT
 * (FILEPERM_R|W|X)? The classic rules: owner bits, else group bits, else other bits; root
 * may do anything except execute a file with no x bit. ACLs are not considered. */
bool fileperm_allows(const struct fileperm_who *who, mode_t mode, uid_t owner, gid_t group,
                     int want);

enum fileperm_status {
    FILEPERM_OK,
    FILEPERM_DENIED,  /* `where` (the path or a directory above it) lacks `missing` bits */
    FILEPERM_MISSING, /* the path does not exist; `where` is its deepest existing ancestor */
    FILEPERM_ERROR,   /* stat failed otherwise (errno in `error`) */
};

struct fileperm_verdict {
    enum fileperm_status status;
    char where[PATH_MAX];
    mode_t mode; /* of `where` */
    uid_t owner;
    gid_t group;
    int missing; /* FILEPERM_* bits WHO lacks at `where` */
    int error;
};

/* Can WHO reach PATH (search permission on every directory above it) and use it as WANT?
 * Symbolic links are followed, as open() would. Returns v->status. */
enum fileperm_status fileperm_check_path(const struct fileperm_who *who, const char *path, int want,
                                         struct fileperm_verdict *v);

/* "drwxr-x--- root:_chrony" for a verdict's `where`, into buf. */
const char *fileperm_describe(const struct fileperm_verdict *v, char *buf, size_t len);

/* Creates DIR and its missing parents (parents 0755, owned by the caller). The directory
 * itself gets MODE and, when CHOWN_TO is true, the owner UID:GID. An existing directory is
 * left as it is. Returns 1 if created, 0 if it existed, -1 with a message in err. */
int fileperm_make_dir(const char *dir, mode_t mode, bool chown_to, uid_t uid, gid_t gid, char *err,
                      size_t errlen);

/* Where a message goes: level is a syslog priority (LOG_WARNING, LOG_INFO). */
typedef void (*fileperm_emit)(void *ctx, int level, const char *msg);

/* Creates the directories the configuration names, before the privilege drop: the command
 * socket's (0770), the logdir, dumpdir, ntsdumpdir and the driftfile's (0750), the
 * pidfile's (0755); owned by WHO when CHOWN_TO. A directory that cannot be created is a
 * warning (as chronyd). Returns 0. */
int fileperm_create_dirs(const struct tock_config *conf, const struct fileperm_who *who,
                         bool chown_to, fileperm_emit emit, void *ctx);

/* Start-up checks as the running daemon (WHO = its user): secrets (keyfile, NTS keys)
 * readable by others or not readable by the daemon, or writable by it; directories writable
 * by everyone; state and log directories the daemon cannot write. Returns the number of
 * warnings emitted. */
int fileperm_check_runtime(const struct tock_config *conf, const struct fileperm_who *who,
                           fileperm_emit emit, void *ctx);

/* tockd -Q: the same questions for USER (who may not exist on this machine: then WHO has
 * uid/gid -1 and no groups), plus whether the shipped tockd.service, which starts tockd as
 * that user with only /var/lib/tock, /var/log/tock and /run/tock writable, could use each
 * path. Returns the number of warnings emitted. */
int fileperm_check_config(const struct tock_config *conf, const struct fileperm_who *who,
                          fileperm_emit emit, void *ctx);

#endif
