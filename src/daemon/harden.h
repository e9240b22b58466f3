/* tockd's start-up hardening, in the order main() calls it (chronyd's order, inventory
 * section 4):
 *
 *   harden_prepare        who tockd will run as, which capabilities it keeps; refuses
 *                         -U without CAP_SYS_TIME; opens the sd_notify socket
 *   harden_create_dirs    the command socket's, log, state and pidfile directories, owned
 *                         by the daemon's user
 *   (pidfile, helper processes - each calls harden_enter_helper - , sockets bound as root)
 *   harden_sched_and_lock sched_priority (SCHED_FIFO) and lock_all (mlockall)
 *   harden_drop           root -> `user` keeping CAP_SYS_TIME (not with -x) and
 *                         CAP_NET_BIND_SERVICE only if a port below 1024 is bound later;
 *                         with -U (no root) only the capabilities are lowered
 *   harden_check_files    warnings about secrets and directories, as the daemon's user
 *   (the rest of start-up, the Unix command socket)
 *   harden_lock_down      no_new_privs and the main seccomp filter (-F)
 *   harden_ready          READY=1, then WATCHDOG=1 keep-alives; harden_stopping at exit
 */
#ifndef TOCK_DAEMON_HARDEN_H
#define TOCK_DAEMON_HARDEN_H

#include <stdbool.h>
#include <stdint.h>

#include "conf/config.h"
#include "daemon/notify.h"
#include "daemon/privdrop.h"
#include "daemon/sandbox.h"

struct loop;

struct harden_opts {
    const char *user;    /* -u, or NULL: the `user` directive, else TOCK_DEFAULT_USER */
    int seccomp_level;   /* -F */
    bool no_root_check;  /* -U */
    bool clock_control;  /* the system clock driver (not -x, not a simulated clock) */
    bool single_process; /* -d: a missing default user is a warning */
    int sched_priority;  /* -P, or -1: the sched_priority directive */
    bool lock_memory;    /* -m (or the lock_all directive) */
    bool notify;         /* foreground (-n, -d): sd_notify when NOTIFY_SOCKET is set */
};

struct harden {
    int seccomp_level;
    bool clock_control;
    bool no_root_check;
    bool single_process;
    bool drop_user;            /* started as root, becomes `user` */
    bool as_root;              /* stays root (user root, or a missing default user) */
    struct privdrop_user user; /* valid when drop_user */
    char user_name[PRIVDROP_MAX_NAME];
    char group_name[PRIVDROP_MAX_NAME];
    unsigned keep_caps; /* PRIVDROP_CAP_* kept after harden_drop */
    int sched_priority;
    bool lock_memory;
    int close_in_helpers[8]; /* descriptors a helper process must not keep */
    int n_close;
    struct notify notify;
    struct loop *loop;
    uint32_t watchdog_timer;
};

/* Decides the user and capabilities and checks what the start needs. Returns 0, or -1
 * after logging why tockd cannot start. Call after log_init, before anything forks. */
int harden_prepare(struct harden *h, const struct harden_opts *o, const struct tock_config *conf);

/* Creates the directories the configuration names (see fileperm_create_dirs). */
int harden_create_dirs(const struct harden *h, const struct tock_config *conf);

/* FD (the pidfile's, ...) is closed in every helper process. */
void harden_close_in_helpers(struct harden *h, int fd);

/* The first thing a helper process (resolver, NTS-KE) does after fork(), once it has what
 * it must open as root: closes the descriptors registered above, becomes the daemon's user
 * with no capability at all (root or not), sets no_new_privs and loads PROFILE's filter at
 * tockd's -F level. Never returns on failure (the helper exits 1 after logging). */
void harden_enter_helper(const struct harden *h, enum sandbox_profile profile);

/* sched_priority and lock_all, while still privileged. Failures are logged, not fatal. */
void harden_sched_and_lock(const struct harden *h);

/* Drops root (or, with -U, the capabilities no longer needed). Returns 0, or -1 after
 * logging. */
int harden_drop(struct harden *h);

/* Start-up warnings about files (fileperm_check_runtime) as the daemon's user. */
void harden_check_files(const struct harden *h, const struct tock_config *conf);

/* no_new_privs and the main process's seccomp filter. Returns 0, or -1 after logging. */
int harden_lock_down(struct harden *h);

/* Tells systemd that start-up is over and starts the watchdog keep-alives (a loop timer). */
void harden_ready(struct harden *h, struct loop *loop);
/* Tells systemd that tockd is stopping. */
void harden_stopping(struct harden *h);

/* The `-Q` file checks for the configured user (see fileperm_check_config). Prints
 * "warning: ..." lines to stderr and returns their number. */
int harden_check_config_files(const struct tock_config *conf, const char *user_opt);

#endif
