/* tockd's start-up hardening (see harden.h). */
#include "daemon/harden.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "daemon/fileperm.h"
#include "daemon/log.h"
#include "daemon/loop.h"

#ifdef TOCK_TEST_HOOKS
#include <sys/ptrace.h>
#include <sys/socket.h>
#endif

#if defined(__SANITIZE_ADDRESS__)
#define TOCK_SANITIZER_BUILD 1
#endif

/* A port below 1024 bound after the privilege drop: only source requests from a fixed
 * `acquisitionport`. Every server socket (NTP, command, NTS-KE) is bound before the drop and
 * never re-bound, so unlike chronyd tockd does not keep CAP_NET_BIND_SERVICE for `port`. */
static bool binds_low_port_later(const struct tock_config *conf)
{
    return conf->acquisitionport > 0 && conf->acquisitionport < 1024;
}

static void log_emit(void *ctx, int level, const char *msg)
{
    (void)ctx;
    log_msg(level, "%s", msg);
}

/* The group's name, for the chgrp fixes in messages (-d: its number, no NSS call that the
 * simulator does not fake). */
static void set_group_name(struct harden *h, gid_t gid)
{
    struct group *gr = h->single_process ? NULL : getgrgid(gid);
    if (gr)
        snprintf(h->group_name, sizeof(h->group_name), "%s", gr->gr_name);
    else
        snprintf(h->group_name, sizeof(h->group_name), "%u", (unsigned)gid);
}

int harden_prepare(struct harden *h, const struct harden_opts *o, const struct tock_config *conf)
{
    char err[256];
    const char *name = o->user ? o->user : conf->user ? conf->user : TOCK_DEFAULT_USER;
    bool explicit_user = o->user || conf->user;

    memset(h, 0, sizeof(*h));
    h->notify.fd = -1;
    h->seccomp_level = o->seccomp_level;
    h->clock_control = o->clock_control;
    h->no_root_check = o->no_root_check;
    h->single_process = o->single_process;
    h->sched_priority = o->sched_priority >= 0 ? o->sched_priority : conf->sched_priority;
    h->lock_memory = o->lock_memory || conf->lock_all;
    snprintf(h->user_name, sizeof(h->user_name), "%s", name);
    set_group_name(h, getegid());
    if (h->sched_priority < 0 || h->sched_priority > 99) {
        log_err("bad scheduler priority %d (1..99, 0 = off)", h->sched_priority);
        return -1;
    }
    unsigned have = privdrop_effective_caps();
    if (geteuid() == 0) {
        if (privdrop_lookup(name, !o->single_process, &h->user) == 0) {
            if (h->user.uid == 0)
                h->as_root = true;
            else
                h->drop_user = true;
            set_group_name(h, h->user.gid);
        } else if (!explicit_user && o->single_process) {
            /* The simulator and quick tests run -d as root with no `user` line. */
            log_warn("the default user %s does not exist, so tockd -d keeps running as root "
                     "(create it with systemd-sysusers or useradd --system %s, or name another "
                     "user with `user` or -u)",
                     name, name);
            h->as_root = true;
        } else {
            log_err("user %s does not exist%s%s: create it (systemd-sysusers, or useradd --system "
                    "--no-create-home %s) or name another user with `user` or -u",
                    name, errno ? ": " : "", errno ? strerror(errno) : "", name);
            return -1;
        }
        if (h->clock_control && !(have & PRIVDROP_CAP_SYS_TIME))
            log_warn("started as root without CAP_SYS_TIME (a container, or a test): tockd "
                     "measures and serves time, and logs an error for each clock adjustment "
                     "the kernel refuses");
    } else if (o->no_root_check && h->clock_control && !(have & PRIVDROP_CAP_SYS_TIME)) {
        log_err("-U: this process lacks CAP_SYS_TIME, so it could never adjust the clock: give "
                "it the capability (systemd: AmbientCapabilities=CAP_SYS_TIME; a container: "
                "--cap-add SYS_TIME) or start tockd with -x");
        return -1;
    }
    h->keep_caps = (h->clock_control ? PRIVDROP_CAP_SYS_TIME : 0) |
                   (binds_low_port_later(conf) ? PRIVDROP_CAP_NET_BIND : 0);
    if (o->notify && notify_open(&h->notify, err, sizeof(err)) < 0)
        log_warn("%s", err);
    /* Only the main process speaks for the daemon (NotifyAccess=main would ignore a helper,
     * but a helper has no business holding the socket either). */
    harden_close_in_helpers(h, h->notify.fd);
    return 0;
}

/* The running process's credentials, with names for messages (-d: the names tockd
 * already has, no NSS call that the simulator does not fake). */
static void who_of_process(const struct harden *h, struct fileperm_who *who, gid_t *groups,
                           int max_groups, char *name, char *group, size_t len)
{
    memset(who, 0, sizeof(*who));
    who->uid = geteuid();
    who->gid = getegid();
    int n = getgroups(max_groups, groups);
    who->n_groups = n < 0 ? 0 : n;
    who->groups = groups;
    struct passwd *pw = h->single_process ? NULL : getpwuid(who->uid);
    struct group *gr = h->single_process ? NULL : getgrgid(who->gid);
    if (pw)
        snprintf(name, len, "%s", pw->pw_name);
    else if (h->drop_user)
        snprintf(name, len, "%s", h->user.name);
    else if (who->uid == 0)
        snprintf(name, len, "root");
    else
        snprintf(name, len, "%u", (unsigned)who->uid);
    snprintf(group, len, "%s", gr ? gr->gr_name : h->group_name);
    who->name = name;
    who->group = group;
}

int harden_create_dirs(const struct harden *h, const struct tock_config *conf)
{
    struct fileperm_who who;
    gid_t groups[PRIVDROP_MAX_GROUPS];
    char name[PRIVDROP_MAX_NAME], group[PRIVDROP_MAX_NAME];
    if (h->drop_user) {
        memset(&who, 0, sizeof(who));
        who.name = h->user.name;
        who.group = h->group_name;
        who.uid = h->user.uid;
        who.gid = h->user.gid;
        who.n_groups = h->user.n_groups;
        who.groups = h->user.groups;
    } else {
        who_of_process(h, &who, groups, PRIVDROP_MAX_GROUPS, name, group, sizeof(name));
    }
    return fileperm_create_dirs(conf, &who, h->drop_user, log_emit, NULL);
}

void harden_close_in_helpers(struct harden *h, int fd)
{
    int max = (int)(sizeof(h->close_in_helpers) / sizeof(h->close_in_helpers[0]));
    if (fd >= 0 && h->n_close < max)
        h->close_in_helpers[h->n_close++] = fd;
}

void harden_enter_helper(const struct harden *h, enum sandbox_profile profile)
{
    char err[256];
    int rc;
    for (int i = 0; i < h->n_close; i++)
        close(h->close_in_helpers[i]);
    /* A helper forked at start is still root; one that replaces a crashed helper later is
     * forked by the main process after its privilege drop, under its filter: then only the
     * capabilities are left to lower. */
    if (h->drop_user && geteuid() == 0)
        rc = privdrop_become(&h->user, 0, err, sizeof(err));
    else
        rc = privdrop_limit_caps(0, err, sizeof(err));
    if (rc == 0 && sandbox_install(profile, h->seccomp_level, err, sizeof(err)) < 0)
        rc = -1;
    if (rc < 0) {
        log_err("%s helper: %s", sandbox_profile_name(profile), err);
        _exit(1);
    }
}

void harden_sched_and_lock(const struct harden *h)
{
    if (h->sched_priority > 0) {
        struct sched_param sp;
        int min = sched_get_priority_min(SCHED_FIFO);
        int max = sched_get_priority_max(SCHED_FIFO);
        memset(&sp, 0, sizeof(sp));
        sp.sched_priority = h->sched_priority;
        if (min >= 0 && sp.sched_priority < min)
            sp.sched_priority = min;
        if (max >= 0 && sp.sched_priority > max)
            sp.sched_priority = max;
        if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
            log_err("sched_priority %d: cannot switch to SCHED_FIFO: %s (under tockd.service "
                    "install the realtime drop-in: LimitRTPRIO=, RestrictRealtime=no)",
                    h->sched_priority, strerror(errno));
        else
            log_info("scheduling policy SCHED_FIFO, priority %d", sp.sched_priority);
    }
    if (h->lock_memory) {
        struct rlimit rl = {RLIM_INFINITY, RLIM_INFINITY};
        int flags = MCL_CURRENT | MCL_FUTURE;
        /* Without CAP_SYS_RESOURCE the current limit (LimitMEMLOCK=) has to do. With a
         * finite limit, MCL_FUTURE would make a later allocation (a growing client log)
         * fail instead of being locked: lock what is mapped now, and say so. */
        if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0 && getrlimit(RLIMIT_MEMLOCK, &rl) == 0 &&
            rl.rlim_cur != RLIM_INFINITY) {
            flags = MCL_CURRENT;
            log_warn("lock_all: RLIMIT_MEMLOCK is %llu kB and cannot be raised (no "
                     "CAP_SYS_RESOURCE): only the memory mapped at start is locked (under "
                     "tockd.service install the realtime drop-in: LimitMEMLOCK=infinity)",
                     (unsigned long long)rl.rlim_cur / 1024);
        }
        if (mlockall(flags) < 0)
            log_err("lock_all: mlockall: %s (under tockd.service install the realtime "
                    "drop-in: LimitMEMLOCK=infinity)",
                    strerror(errno));
        else
            log_info("memory locked (lock_all)");
    }
}

int harden_drop(struct harden *h)
{
    char err[256], caps[128];
    if (h->drop_user) {
        if (privdrop_become(&h->user, h->keep_caps, err, sizeof(err)) < 0) {
            log_err("%s", err);
            return -1;
        }
        log_info("running as user %s (uid %u, gid %u), capabilities: %s", h->user.name,
                 (unsigned)h->user.uid, (unsigned)h->user.gid,
                 privdrop_caps_string(privdrop_effective_caps(), caps, sizeof(caps)));
    } else if (h->as_root) {
        log_info("running with root privileges");
        return 0;
    } else {
        unsigned before = privdrop_effective_caps();
        if (privdrop_limit_caps(h->keep_caps, err, sizeof(err)) < 0) {
            log_err("%s", err);
            return -1;
        }
        unsigned dropped = before & ~privdrop_effective_caps();
        if (dropped)
            log_info("capabilities dropped after start-up: %s",
                     privdrop_caps_string(dropped, caps, sizeof(caps)));
    }
#ifdef TOCK_SANITIZER_BUILD
    /* Sanitizer builds only: LeakSanitizer's exit-time scan ptraces the process, which the
     * kernel refuses once setuid() made it non-dumpable. */
    (void)prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
#else
    /* No core dumps (keys) and no ptrace by other processes of the same user, also when
     * tockd never changed its uid (-U). */
    (void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    return 0;
}

void harden_check_files(const struct harden *h, const struct tock_config *conf)
{
    struct fileperm_who who;
    gid_t groups[PRIVDROP_MAX_GROUPS];
    char name[PRIVDROP_MAX_NAME], group[PRIVDROP_MAX_NAME];
    /* After the drop the process's own credentials are the daemon's. */
    who_of_process(h, &who, groups, PRIVDROP_MAX_GROUPS, name, group, sizeof(name));
    fileperm_check_runtime(conf, &who, log_emit, NULL);
}

int harden_lock_down(struct harden *h)
{
    char err[256];
    if (h->seccomp_level == 0) {
        /* no_new_privs all the same: tockd never executes anything. */
        (void)prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        log_info("seccomp filter off (-F 0)");
        return 0;
    }
    if (sandbox_install(SANDBOX_MAIN, h->seccomp_level, err, sizeof(err)) < 0) {
        log_err("%s", err);
        return -1;
    }
    log_info("seccomp filter loaded (-F %d: a forbidden system call %s)", h->seccomp_level,
             h->seccomp_level > 0 ? "kills tockd" : "raises SIGSYS");
    return 0;
}

static void on_watchdog(void *ctx)
{
    struct harden *h = ctx;
    if (notify_send(&h->notify, "WATCHDOG=1") < 0)
        log_debug("sd_notify WATCHDOG=1: %s", strerror(errno));
    h->watchdog_timer = loop_add_timer(h->loop, h->notify.watchdog_interval, on_watchdog, h);
}

#ifdef TOCK_TEST_HOOKS
/* Test builds only (make CPPFLAGS=-DTOCK_TEST_HOOKS): TOCK_TEST_FORBIDDEN_SYSCALL makes the
 * running daemon call something its filter forbids, to prove the filter stops it. */
extern char **environ;
static void on_test_forbidden(void *ctx)
{
    const char *what = getenv("TOCK_TEST_FORBIDDEN_SYSCALL");
    (void)ctx;
    log_warn("test hook: calling %s, which the seccomp filter forbids", what);
    if (strcmp(what, "execve") == 0) {
        char *argv[] = {(char *)"/bin/true", NULL};
        execve("/bin/true", argv, environ);
    } else if (strcmp(what, "socket-packet") == 0) {
        (void)socket(AF_PACKET, SOCK_RAW, 0);
    } else if (strcmp(what, "ptrace") == 0) {
        (void)ptrace(PTRACE_TRACEME, 0, NULL, NULL);
    } else if (strcmp(what, "setuid") == 0) {
        if (setuid(0) == 0)
            log_err("test hook: setuid(0) succeeded");
    }
    log_err("test hook: %s returned (%s): the filter did not stop it", what, strerror(errno));
}
#endif

void harden_ready(struct harden *h, struct loop *loop)
{
    h->loop = loop;
    if (h->notify.fd >= 0) {
        if (notify_send(&h->notify, "READY=1") < 0)
            log_warn("sd_notify READY=1: %s", strerror(errno));
        if (h->notify.watchdog_interval > 0) {
            log_info("watchdog keep-alives every %.3f s", h->notify.watchdog_interval);
            on_watchdog(h);
        }
    }
#ifdef TOCK_TEST_HOOKS
    if (getenv("TOCK_TEST_FORBIDDEN_SYSCALL"))
        loop_add_timer(loop, 0.2, on_test_forbidden, NULL);
#endif
}

void harden_stopping(struct harden *h)
{
    if (h->loop)
        loop_cancel_timer(h->loop, h->watchdog_timer);
    h->watchdog_timer = 0;
    if (h->notify.fd >= 0 && notify_send(&h->notify, "STOPPING=1") < 0)
        log_debug("sd_notify STOPPING=1: %s", strerror(errno));
    notify_close(&h->notify);
}

static void print_emit(void *ctx, int level, const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s: %s\n", level <= LOG_WARNING ? "warning" : "note", msg);
}

int harden_check_config_files(const struct tock_config *conf, const char *user_opt)
{
    const char *name = user_opt ? user_opt : conf->user ? conf->user : TOCK_DEFAULT_USER;
    struct privdrop_user user;
    struct fileperm_who who;
    char group[PRIVDROP_MAX_NAME];
    memset(&who, 0, sizeof(who));
    who.name = name;
    if (privdrop_lookup(name, true, &user) == 0) {
        struct group *gr = getgrgid(user.gid);
        snprintf(group, sizeof(group), "%s", gr ? gr->gr_name : name);
        who.uid = user.uid;
        who.gid = user.gid;
        who.n_groups = user.n_groups;
        who.groups = user.groups;
    } else {
        /* Not created yet (the package creates it): a user that owns no file and is in no
         * group, which is what a fresh system user is. */
        snprintf(group, sizeof(group), "%s", name);
        who.uid = (uid_t)-2;
        who.gid = (gid_t)-2;
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "user %s does not exist on this machine (yet): file permissions are checked "
                 "for a new system user that owns no file and is in no group",
                 name);
        print_emit(NULL, LOG_INFO, msg);
    }
    who.group = group;
    return fileperm_check_config(conf, &who, print_emit, NULL);
}
