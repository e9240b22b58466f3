/* Directories tockd creates and the permission checks of its files (see fileperm.h). */
#include "daemon/fileperm.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#define MSG_LEN 1024

bool fileperm_allows(const struct fileperm_who *who, mode_t mode, uid_t owner, gid_t group,
                     int want)
{
    if (who->uid == 0) {
        /* Root reads and writes anything; it executes (searches) a directory always, a
         * file only if some x bit is set. */
        if ((want & FILEPERM_X) && !S_ISDIR(mode) && !(mode & 0111))
            return false;
        return true;
    }
    int bits;
    if (who->uid == owner) {
        bits = (mode >> 6) & 7;
    } else {
        bool member = who->gid == group;
        for (int i = 0; !member && i < who->n_groups; i++)
            member = who->groups[i] == group;
        bits = member ? (mode >> 3) & 7 : mode & 7;
    }
    return (bits & want) == want;
}

static void set_verdict(struct fileperm_verdict *v, enum fileperm_status status, const char *where,
                        const struct stat *st, int missing)
{
    v->status = status;
    snprintf(v->where, sizeof(v->where), "%s", where);
    if (st) {
        v->mode = st->st_mode;
        v->owner = st->st_uid;
        v->group = st->st_gid;
    }
    v->missing = missing;
}

/* The missing bits of WANT at one path. */
static int missing_bits(const struct fileperm_who *who, const struct stat *st, int want)
{
    int missing = 0;
    for (int bit = FILEPERM_R; bit; bit >>= 1)
        if ((want & bit) && !fileperm_allows(who, st->st_mode, st->st_uid, st->st_gid, bit))
            missing |= bit;
    return missing;
}

enum fileperm_status fileperm_check_path(const struct fileperm_who *who, const char *path, int want,
                                         struct fileperm_verdict *v)
{
    char full[PATH_MAX];
    char prefix[PATH_MAX];
    struct stat st;
    memset(v, 0, sizeof(*v));
    if (path[0] == '/') {
        snprintf(full, sizeof(full), "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd)))
            snprintf(cwd, sizeof(cwd), ".");
        if (snprintf(full, sizeof(full), "%s/%s", cwd, path) >= (int)sizeof(full)) {
            v->error = ENAMETOOLONG;
            set_verdict(v, FILEPERM_ERROR, path, NULL, 0);
            return v->status;
        }
    }
    /* Every directory on the way needs search (x) permission. */
    size_t len = strlen(full);
    char last_existing[PATH_MAX] = "/";
    struct stat last_st;
    if (stat("/", &last_st) < 0) {
        v->error = errno;
        set_verdict(v, FILEPERM_ERROR, "/", NULL, 0);
        return v->status;
    }
    for (size_t i = 1; i <= len; i++) {
        if (i < len && full[i] != '/')
            continue;
        if (full[i - 1] == '/')
            continue; /* "//" */
        memcpy(prefix, full, i);
        prefix[i] = '\0';
        /* The directory containing this component must be searchable. */
        int m = missing_bits(who, &last_st, FILEPERM_X);
        if (m) {
            set_verdict(v, FILEPERM_DENIED, last_existing, &last_st, m);
            return v->status;
        }
        if (stat(prefix, &st) < 0) {
            if (errno == ENOENT || errno == ENOTDIR) {
                set_verdict(v, FILEPERM_MISSING, last_existing, &last_st, 0);
            } else {
                v->error = errno;
                set_verdict(v, FILEPERM_ERROR, prefix, NULL, 0);
            }
            return v->status;
        }
        snprintf(last_existing, sizeof(last_existing), "%s", prefix);
        last_st = st;
    }
    int m = missing_bits(who, &last_st, want);
    set_verdict(v, m ? FILEPERM_DENIED : FILEPERM_OK, last_existing, &last_st, m);
    return v->status;
}

static void mode_string(mode_t mode, char out[11])
{
    static const char rwx[] = "rwxrwxrwx";
    out[0] = S_ISDIR(mode) ? 'd' : S_ISLNK(mode) ? 'l' : S_ISSOCK(mode) ? 's' : '-';
    for (int i = 0; i < 9; i++)
        out[1 + i] = (mode & (0400 >> i)) ? rwx[i] : '-';
    if (mode & S_ISVTX)
        out[9] = (mode & 0001) ? 't' : 'T';
    out[10] = '\0';
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
    struct passwd *pw = getpwuid(uid);
    if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "%u", (unsigned)uid);
    return buf;
}

static const char *group_name(gid_t gid, char *buf, size_t len)
{
    struct group *gr = getgrgid(gid);
    if (gr)
        snprintf(buf, len, "%s", gr->gr_name);
    else
        snprintf(buf, len, "%u", (unsigned)gid);
    return buf;
}

const char *fileperm_describe(const struct fileperm_verdict *v, char *buf, size_t len)
{
    char mode[11], u[64], g[64];
    mode_string(v->mode, mode);
    snprintf(buf, len, "%s %s:%s", mode, user_name(v->owner, u, sizeof(u)),
             group_name(v->group, g, sizeof(g)));
    return buf;
}

int fileperm_make_dir(const char *dir, mode_t mode, bool chown_to, uid_t uid, gid_t gid, char *err,
                      size_t errlen)
{
    char path[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    if (stat(path, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a directory", dir);
            return -1;
        }
        return 0;
    }
    /* Missing parents first, then the directory itself, each created with the same mode
     * and owner (chronyd's UTI_CreateDirAndParents): the daemon's user can then reach the
     * directory through parents it had created for it. */
    size_t len = strlen(path);
    for (size_t i = 1; i < len; i++) {
        if (path[i] != '/')
            continue;
        path[i] = '\0';
        if (mkdir(path, mode) == 0) {
            if (chmod(path, mode) < 0 || (chown_to && chown(path, uid, gid) < 0)) {
                snprintf(err, errlen, "cannot set the owner and mode of %s: %s", path,
                         strerror(errno));
                return -1;
            }
        } else if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
            return -1;
        }
        path[i] = '/';
    }
    if (mkdir(path, mode) < 0) {
        if (errno == EEXIST)
            return 0;
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    /* mkdir() is subject to the umask; the mode is part of the contract. */
    if (chmod(path, mode) < 0 || (chown_to && chown(path, uid, gid) < 0)) {
        snprintf(err, errlen, "cannot set the owner and mode of %s: %s", path, strerror(errno));
        return -1;
    }
    return 1;
}

/* ---- the paths of a configuration ---- */

enum use {
    USE_DIR,         /* a directory tockd writes in (logdir, dumpdir, ntsdumpdir) */
    USE_FILE_IN_DIR, /* a file replaced by rename in its directory (driftfile) */
    USE_SOCKET_DIR,  /* the command socket's directory: 0770, the daemon's own */
    USE_PIDFILE,     /* written as root; removed at exit by the daemon's user */
    USE_SECRET,      /* keyfile, NTS private key: readable by the daemon, not by others */
    USE_READ,        /* NTS certificate, leap second list */
};

struct item {
    const char *what;
    const char *path;
    enum use use;
};

#define MAX_ITEMS (8 + 2 * CONF_MAX_LIST)

static int collect(const struct tock_config *conf, struct item *items)
{
    int n = 0;
#define ADD(w, p, u)                                                                               \
    do {                                                                                           \
        if ((p) && (p)[0])                                                                         \
            items[n++] = (struct item){(w), (p), (u)};                                             \
    } while (0)
    ADD("command socket", conf->cmdsocket, USE_SOCKET_DIR);
    ADD("pidfile", conf->pidfile, USE_PIDFILE);
    ADD("driftfile", conf->driftfile, USE_FILE_IN_DIR);
    ADD("logdir", conf->logdir, USE_DIR);
    ADD("dumpdir", conf->dumpdir, USE_DIR);
    ADD("ntsdumpdir", conf->ntsdumpdir, USE_DIR);
    ADD("keyfile", conf->keyfile, USE_SECRET);
    ADD("leapseclist", conf->leapseclist, USE_READ);
    for (int i = 0; i < conf->n_nts_certkeys && i < CONF_MAX_LIST; i++) {
        ADD("ntsserverkey", conf->nts_certkeys[i].key, USE_SECRET);
        ADD("ntsservercert", conf->nts_certkeys[i].cert, USE_READ);
    }
#undef ADD
    return n;
}

/* The directory an item needs to write in (a copy of its path, or its dirname). */
static void item_dir(const struct item *it, char *out, size_t len)
{
    snprintf(out, len, "%s", it->path);
    if (it->use == USE_DIR)
        return;
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, len, ".");
    else if (slash == out)
        out[1] = '\0';
    else
        *slash = '\0';
}

static bool writes_dir(enum use use)
{
    return use == USE_DIR || use == USE_FILE_IN_DIR || use == USE_SOCKET_DIR || use == USE_PIDFILE;
}

int fileperm_create_dirs(const struct tock_config *conf, const struct fileperm_who *who,
                         bool chown_to, fileperm_emit emit, void *ctx)
{
    static struct item items[MAX_ITEMS];
    char dir[PATH_MAX], err[MSG_LEN];
    int n = collect(conf, items);
    for (int i = 0; i < n; i++) {
        const struct item *it = &items[i];
        if (!writes_dir(it->use))
            continue;
        item_dir(it, dir, sizeof(dir));
        mode_t mode = it->use == USE_SOCKET_DIR ? 0770 : it->use == USE_PIDFILE ? 0755 : 0750;
        int rc = fileperm_make_dir(dir, mode, chown_to, who->uid, who->gid, err, sizeof(err));
        if (rc < 0) {
            /* As chronyd: not fatal. Time is kept without a log or state directory (their
             * writes fail later, with a warning each); the Unix socket is disabled; a
             * pidfile that cannot be written stops the start by itself. */
            char msg[MSG_LEN + 64];
            snprintf(msg, sizeof(msg), "%s: %s", it->what, err);
            emit(ctx, LOG_WARNING, msg);
        } else if (rc == 1) {
            char msg[PATH_MAX + 256];
            snprintf(msg, sizeof(msg), "created %s (mode %04o%s%s) for the %s", dir, (unsigned)mode,
                     chown_to ? ", owner " : "", chown_to ? who->name : "", it->what);
            emit(ctx, LOG_INFO, msg);
        }
    }
    return 0;
}

/* ---- warnings ---- */

struct report {
    fileperm_emit emit;
    void *ctx;
    int count;
};

static void warn(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct report *r, const char *fmt, ...)
{
    char msg[MSG_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->emit(r->ctx, LOG_WARNING, msg);
    r->count++;
}

static void info(struct report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void info(struct report *r, const char *fmt, ...)
{
    char msg[MSG_LEN * 2];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    r->emit(r->ctx, LOG_INFO, msg);
}

static const char *group_of(const struct fileperm_who *who)
{
    return who->group && who->group[0] ? who->group : who->name;
}

/* A secret (keyfile, NTS key) readable by everyone. */
static void check_secret_mode(struct report *r, const struct item *it)
{
    struct stat st;
    if (stat(it->path, &st) == 0 && (st.st_mode & 0004))
        warn(r,
             "%s %s is readable by every user (mode %04o): anyone on this host can read the "
             "secret; fix: chmod 640 %s",
             it->what, it->path, (unsigned)(st.st_mode & 07777), it->path);
}

/* A directory tockd writes in that everyone may write in too (a planted file or link). */
static void check_dir_mode(struct report *r, const struct item *it, const char *dir)
{
    struct stat st;
    if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0002))
        warn(r,
             "the %s directory %s is writable by every user (mode %04o): another user could "
             "replace or link tockd's files there; fix: chmod o-w %s, or use a directory of "
             "tockd's own such as %s",
             it->what, dir, (unsigned)(st.st_mode & 07777), dir,
             it->use == USE_SOCKET_DIR || it->use == USE_PIDFILE     ? FILEPERM_UNIT_RUNTIME_DIR
             : it->use == USE_DIR && strcmp(it->what, "logdir") == 0 ? FILEPERM_UNIT_LOGS_DIR
                                                                     : FILEPERM_UNIT_STATE_DIR);
}

/* The fix for a file WHO cannot read. */
static void report_unreadable(struct report *r, const struct fileperm_who *who,
                              const struct item *it, const struct fileperm_verdict *v)
{
    char desc[256];
    fileperm_describe(v, desc, sizeof(desc));
    if (v->status == FILEPERM_MISSING) {
        warn(r, "%s %s does not exist", it->what, it->path);
        return;
    }
    if (strcmp(v->where, it->path) == 0) {
        warn(r, "%s %s: user %s cannot read it (%s); fix: chgrp %s %s && chmod %s %s", it->what,
             it->path, who->name, desc, group_of(who), it->path,
             it->use == USE_SECRET ? "640" : "644", it->path);
        return;
    }
    char g[64];
    group_name(v->group, g, sizeof(g));
    warn(r,
         "%s %s: user %s cannot enter %s (%s); fix: keep the file where %s can read it, e.g. "
         "install -m 640 -o root -g %s %s %s/, or add %s to group %s (usermod -aG %s %s)",
         it->what, it->path, who->name, v->where, desc, who->name, group_of(who), it->path,
         FILEPERM_UNIT_CONFIG_DIR, who->name, g, g, who->name);
}

/* The fix for a directory WHO cannot write in. */
static void report_unwritable(struct report *r, const struct fileperm_who *who,
                              const struct item *it, const char *dir,
                              const struct fileperm_verdict *v)
{
    char desc[256];
    fileperm_describe(v, desc, sizeof(desc));
    if (strcmp(v->where, dir) == 0)
        warn(r,
             "%s %s: user %s cannot write in %s (%s); fix: chown %s:%s %s, or use a "
             "directory of tockd's own such as %s",
             it->what, it->path, who->name, dir, desc, who->name, group_of(who), dir,
             strcmp(it->what, "logdir") == 0 ? FILEPERM_UNIT_LOGS_DIR : FILEPERM_UNIT_STATE_DIR);
    else
        warn(r, "%s %s: user %s cannot enter %s (%s); fix: chmod o+x %s, or use another directory",
             it->what, it->path, who->name, v->where, desc, v->where);
}

/* Checks one item for WHO. `creatable`: a missing directory is created by tockd (as root,
 * before the privilege drop), so it is no problem. */
static void check_item(struct report *r, const struct fileperm_who *who, const struct item *it,
                       bool creatable)
{
    struct stat st;
    struct fileperm_verdict v;
    char dir[PATH_MAX];
    switch (it->use) {
    case USE_SECRET:
    case USE_READ:
        /* At run time access.c already warns about the keyfile's mode, at every (re)load. */
        if (it->use == USE_SECRET && (creatable || strcmp(it->what, "keyfile") != 0))
            check_secret_mode(r, it);
        if (who->uid == 0)
            return; /* root reads anything */
        if (fileperm_check_path(who, it->path, FILEPERM_R, &v) != FILEPERM_OK &&
            v.status != FILEPERM_ERROR)
            report_unreadable(r, who, it, &v);
        if (it->use == USE_SECRET && who->uid != 0 && v.status == FILEPERM_OK &&
            fileperm_check_path(who, it->path, FILEPERM_W, &v) == FILEPERM_OK)
            warn(r,
                 "%s %s is writable by tockd's user %s: a compromised daemon could change its "
                 "own keys; fix: chown root:%s %s && chmod 640 %s",
                 it->what, it->path, who->name, group_of(who), it->path, it->path);
        return;
    case USE_SOCKET_DIR:
        /* At run time cmd_socket.c enforces the directory's owner and mode and says so;
         * -Q (creatable) tells in advance. */
        item_dir(it, dir, sizeof(dir));
        if (creatable && stat(dir, &st) == 0 &&
            (st.st_uid != who->uid || (st.st_mode & 0007) || !S_ISDIR(st.st_mode))) {
            set_verdict(&v, FILEPERM_OK, dir, &st, 0);
            char desc[256];
            fileperm_describe(&v, desc, sizeof(desc));
            warn(r,
                 "%s %s: its directory %s (%s) must belong to user %s and be closed to "
                 "others, or tockd disables the Unix socket; fix: chown %s:%s %s && chmod 770 "
                 "%s",
                 it->what, it->path, dir, desc, who->name, who->name, group_of(who), dir, dir);
        }
        return;
    case USE_PIDFILE:
        item_dir(it, dir, sizeof(dir));
        check_dir_mode(r, it, dir);
        return;
    case USE_DIR:
    case USE_FILE_IN_DIR:
        item_dir(it, dir, sizeof(dir));
        check_dir_mode(r, it, dir);
        if (who->uid == 0)
            return; /* root writes anywhere */
        if (fileperm_check_path(who, dir, FILEPERM_W | FILEPERM_X, &v) == FILEPERM_DENIED)
            report_unwritable(r, who, it, dir, &v);
        else if (v.status == FILEPERM_MISSING && !creatable)
            warn(r, "%s %s: directory %s does not exist", it->what, it->path, dir);
        if (it->use == USE_FILE_IN_DIR &&
            fileperm_check_path(who, it->path, FILEPERM_R, &v) == FILEPERM_DENIED &&
            strcmp(v.where, it->path) == 0)
            warn(r, "%s %s: user %s cannot read it; fix: chown %s:%s %s", it->what, it->path,
                 who->name, who->name, group_of(who), it->path);
        return;
    }
}

int fileperm_check_runtime(const struct tock_config *conf, const struct fileperm_who *who,
                           fileperm_emit emit, void *ctx)
{
    static struct item items[MAX_ITEMS];
    struct report r = {emit, ctx, 0};
    int n = collect(conf, items);
    for (int i = 0; i < n; i++)
        check_item(&r, who, &items[i], false);
    return r.count;
}

static bool under(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* What the shipped unit's sandbox does to one path. */
static void check_unit(struct report *r, const struct item *it)
{
    char dir[PATH_MAX];
    const char *p = it->path;
    if (p[0] != '/') {
        warn(r, "%s %s: a relative path; tockd.service runs tockd in /, give an absolute path",
             it->what, p);
        return;
    }
    if (under(p, "/home") || under(p, "/root") || under(p, "/run/user")) {
        warn(r,
             "%s %s: the shipped tockd.service hides /home, /root and /run/user "
             "(ProtectHome=yes); fix: move it under %s",
             it->what, p, writes_dir(it->use) ? FILEPERM_UNIT_STATE_DIR : FILEPERM_UNIT_CONFIG_DIR);
        return;
    }
    if (under(p, "/tmp") || under(p, "/var/tmp")) {
        warn(r,
             "%s %s: the shipped tockd.service gives tockd a private /tmp and /var/tmp "
             "(PrivateTmp=yes), so it sees none of the files there and what it writes "
             "vanishes when it stops; fix: move it under %s",
             it->what, p, writes_dir(it->use) ? FILEPERM_UNIT_STATE_DIR : FILEPERM_UNIT_CONFIG_DIR);
        return;
    }
    if (!writes_dir(it->use))
        return;
    item_dir(it, dir, sizeof(dir));
    if (under(dir, FILEPERM_UNIT_STATE_DIR) || under(dir, FILEPERM_UNIT_LOGS_DIR) ||
        under(dir, FILEPERM_UNIT_RUNTIME_DIR))
        return;
    const char *own = it->use == USE_SOCKET_DIR || it->use == USE_PIDFILE
                          ? FILEPERM_UNIT_RUNTIME_DIR
                      : strcmp(it->what, "logdir") == 0 ? FILEPERM_UNIT_LOGS_DIR
                                                        : FILEPERM_UNIT_STATE_DIR;
    warn(r,
         "%s %s: under the shipped tockd.service only %s, %s and %s are writable "
         "(ProtectSystem=strict), and tockd starts there as its user, so it cannot create "
         "%s either; fix: use a path under %s, or add ReadWritePaths=%s with "
         "\"systemctl edit tockd\" (and make %s writable by tockd's user)",
         it->what, p, FILEPERM_UNIT_STATE_DIR, FILEPERM_UNIT_LOGS_DIR, FILEPERM_UNIT_RUNTIME_DIR,
         dir, own, dir, dir);
}

int fileperm_check_config(const struct tock_config *conf, const struct fileperm_who *who,
                          fileperm_emit emit, void *ctx)
{
    static struct item items[MAX_ITEMS];
    struct report r = {emit, ctx, 0};
    int n = collect(conf, items);
    if (who->uid == 0)
        info(&r,
             "tockd would run as root (user %s): only the modes of secrets and shared "
             "directories are checked",
             who->name);
    for (int i = 0; i < n; i++) {
        check_item(&r, who, &items[i], true);
        check_unit(&r, &items[i]);
    }
    return r.count;
}
