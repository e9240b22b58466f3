/* Unit tests for src/daemon/fileperm.c: the permission rule, path walks over a real
 * temporary tree (denied at the file or at a directory above it, missing paths), directory
 * creation with exact modes, and the messages of the start-up and -Q checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "conf/config.h"
#include "daemon/fileperm.h"

/* Users that own nothing on this machine. */
#define STRANGER_UID 4000001u
#define STRANGER_GID 4000002u
#define OTHER_GID    4000003u

static const gid_t stranger_groups[] = {STRANGER_GID, OTHER_GID};

static struct fileperm_who stranger(void)
{
    struct fileperm_who w = {.name = "stranger",
                             .group = "strangers",
                             .uid = STRANGER_UID,
                             .gid = STRANGER_GID,
                             .n_groups = 2,
                             .groups = stranger_groups};
    return w;
}

static void test_allows_classic_rules(void **state)
{
    (void)state;
    struct fileperm_who w = stranger();
    struct fileperm_who root = {.name = "root", .uid = 0, .gid = 0};
    /* Owner bits only for the owner, even when group or other would give more. */
    assert_true(fileperm_allows(&w, S_IFREG | 0600, STRANGER_UID, 0, FILEPERM_R | FILEPERM_W));
    assert_false(fileperm_allows(&w, S_IFREG | 0077, STRANGER_UID, STRANGER_GID, FILEPERM_R));
    /* Group bits through the primary group and through a supplementary one. */
    assert_true(fileperm_allows(&w, S_IFREG | 0640, 0, STRANGER_GID, FILEPERM_R));
    assert_true(fileperm_allows(&w, S_IFREG | 0640, 0, OTHER_GID, FILEPERM_R));
    assert_false(fileperm_allows(&w, S_IFREG | 0640, 0, OTHER_GID, FILEPERM_W));
    assert_false(fileperm_allows(&w, S_IFREG | 0604, 0, OTHER_GID, FILEPERM_R));
    /* Other bits for everyone else. */
    assert_false(fileperm_allows(&w, S_IFREG | 0640, 0, 0, FILEPERM_R));
    assert_true(fileperm_allows(&w, S_IFREG | 0644, 0, 0, FILEPERM_R));
    assert_true(fileperm_allows(&w, S_IFDIR | 0711, 0, 0, FILEPERM_X));
    assert_false(fileperm_allows(&w, S_IFDIR | 0710, 0, 0, FILEPERM_X));
    /* Root: everything, but not executing a file without any x bit. */
    assert_true(fileperm_allows(&root, S_IFREG | 0000, 5, 5, FILEPERM_R | FILEPERM_W));
    assert_true(fileperm_allows(&root, S_IFDIR | 0000, 5, 5, FILEPERM_X));
    assert_false(fileperm_allows(&root, S_IFREG | 0644, 5, 5, FILEPERM_X));
    assert_true(fileperm_allows(&root, S_IFREG | 0744, 5, 5, FILEPERM_X));
}

/* A temporary tree; every path is below `base`. */
struct tree {
    char base[64];
};

static void path_in(const struct tree *t, const char *rel, char *out)
{
    snprintf(out, PATH_MAX, "%s/%s", t->base, rel);
}

static int setup_tree(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));
    snprintf(t->base, sizeof(t->base), "/tmp/tock-fileperm-XXXXXX");
    assert_non_null(mkdtemp(t->base));
    chmod(t->base, 0755);
    char p[PATH_MAX];
    path_in(t, "closed", p);
    assert_int_equal(mkdir(p, 0700), 0);
    chmod(p, 0700);
    path_in(t, "closed/secret", p);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    chmod(p, 0644);
    path_in(t, "open", p);
    assert_int_equal(mkdir(p, 0755), 0);
    chmod(p, 0755);
    path_in(t, "open/file", p);
    f = fopen(p, "w");
    assert_non_null(f);
    fclose(f);
    chmod(p, 0640);
    *state = t;
    return 0;
}

static int teardown_tree(void **state)
{
    struct tree *t = *state;
    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->base);
    assert_int_equal(system(cmd), 0);
    free(t);
    return 0;
}

static void test_check_path(void **state)
{
    struct tree *t = *state;
    struct fileperm_who w = stranger();
    struct fileperm_verdict v;
    char p[PATH_MAX], expect[PATH_MAX];
    /* The file is 0644, but its directory is closed: denied at the directory, x missing. */
    path_in(t, "closed/secret", p);
    assert_int_equal(fileperm_check_path(&w, p, FILEPERM_R, &v), FILEPERM_DENIED);
    path_in(t, "closed", expect);
    assert_string_equal(v.where, expect);
    assert_int_equal(v.missing, FILEPERM_X);
    assert_int_equal(v.mode & 07777, 0700);
    /* Denied at the file itself (0640, not in its group). */
    path_in(t, "open/file", p);
    assert_int_equal(fileperm_check_path(&w, p, FILEPERM_R, &v), FILEPERM_DENIED);
    assert_string_equal(v.where, p);
    assert_int_equal(v.missing, FILEPERM_R);
    /* The directory can be entered and read, not written. */
    path_in(t, "open", p);
    assert_int_equal(fileperm_check_path(&w, p, FILEPERM_R | FILEPERM_X, &v), FILEPERM_OK);
    assert_int_equal(fileperm_check_path(&w, p, FILEPERM_W | FILEPERM_X, &v), FILEPERM_DENIED);
    assert_int_equal(v.missing, FILEPERM_W);
    /* Missing: the deepest existing ancestor is reported. */
    path_in(t, "open/a/b/c", p);
    assert_int_equal(fileperm_check_path(&w, p, FILEPERM_R, &v), FILEPERM_MISSING);
    path_in(t, "open", expect);
    assert_string_equal(v.where, expect);
    /* The owner (this process) passes. */
    struct fileperm_who me = {.name = "me", .uid = geteuid(), .gid = getegid()};
    path_in(t, "open/file", p);
    assert_int_equal(fileperm_check_path(&me, p, FILEPERM_R | FILEPERM_W, &v), FILEPERM_OK);
    /* A doubled slash is one separator. */
    snprintf(p, sizeof(p), "%s//open//file", t->base);
    assert_int_equal(fileperm_check_path(&me, p, FILEPERM_R, &v), FILEPERM_OK);
}

static void test_describe(void **state)
{
    struct fileperm_verdict v;
    char buf[128];
    (void)state;
    memset(&v, 0, sizeof(v));
    v.mode = S_IFDIR | 0750;
    v.owner = 0;
    v.group = 0;
    assert_string_equal(fileperm_describe(&v, buf, sizeof(buf)), "drwxr-x--- root:root");
    v.mode = S_IFDIR | 01777;
    v.owner = STRANGER_UID;
    v.group = STRANGER_GID;
    assert_string_equal(fileperm_describe(&v, buf, sizeof(buf)), "drwxrwxrwt 4000001:4000002");
    v.mode = S_IFREG | 0640;
    v.group = 0;
    assert_string_equal(fileperm_describe(&v, buf, sizeof(buf)), "-rw-r----- 4000001:root");
}

static void test_make_dir(void **state)
{
    struct tree *t = *state;
    char p[PATH_MAX], err[256];
    struct stat st;
    mode_t old = umask(0077); /* the mode must not depend on the umask */
    path_in(t, "new/x/y", p);
    assert_int_equal(fileperm_make_dir(p, 0770, false, 0, 0, err, sizeof(err)), 1);
    umask(old);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0770);
    path_in(t, "new/x", p);
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* Existing: left alone. */
    path_in(t, "closed", p);
    assert_int_equal(fileperm_make_dir(p, 0777, false, 0, 0, err, sizeof(err)), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    /* A file in the way. */
    path_in(t, "open/file", p);
    assert_int_equal(fileperm_make_dir(p, 0750, false, 0, 0, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not a directory"));
}

/* Collected messages. */
struct msgs {
    int n_warn, n_info;
    char text[8192];
};

static void collect(void *ctx, int level, const char *msg)
{
    struct msgs *m = ctx;
    if (level <= LOG_WARNING)
        m->n_warn++;
    else
        m->n_info++;
    size_t len = strlen(m->text);
    snprintf(m->text + len, sizeof(m->text) - len, "%s\n", msg);
}

static void set(char **field, const char *value)
{
    free(*field);
    *field = value ? strdup(value) : NULL;
}

static void test_check_config_messages(void **state)
{
    struct tree *t = *state;
    struct tock_config conf;
    struct msgs m;
    char p[PATH_MAX];
    struct fileperm_who w = stranger();
    conf_defaults(&conf);
    set(&conf.cmdsocket, "/run/tock/tockd.sock");
    set(&conf.pidfile, "/run/tock/tockd.pid");
    /* A keyfile behind a closed directory, a driftfile in a directory the user cannot
     * write, a logdir outside the unit's directories. */
    path_in(t, "closed/secret", p);
    set(&conf.keyfile, p);
    path_in(t, "open/drift", p);
    set(&conf.driftfile, p);
    set(&conf.logdir, "/var/log/chrony-test-not-there");
    memset(&m, 0, sizeof(m));
    int n = fileperm_check_config(&conf, &w, collect, &m);
    assert_int_equal(n, m.n_warn);
    char expect[PATH_MAX * 2];
    path_in(t, "closed", p);
    snprintf(expect, sizeof(expect), "user stranger cannot enter %s (drwx------", p);
    if (!strstr(m.text, expect))
        fail_msg("missing \"%s\" in:\n%s", expect, m.text);
    path_in(t, "open", p);
    snprintf(expect, sizeof(expect), "user stranger cannot write in %s", p);
    assert_non_null(strstr(m.text, expect));
    snprintf(expect, sizeof(expect), "chown stranger:strangers %s", p);
    assert_non_null(strstr(m.text, expect));
    /* The unit: /tmp is private, /var/log/chrony-... is read-only (missing is fine: tockd
     * creates it when started as root, but not under the unit). */
    assert_non_null(strstr(m.text, "PrivateTmp=yes"));
    assert_non_null(strstr(m.text, "ReadWritePaths=/var/log/chrony-test-not-there"));
    /* The socket and the pidfile in /run/tock are fine for the unit. */
    assert_null(strstr(m.text, "ReadWritePaths=/run/tock"));
    conf_free(&conf);
}

static void test_check_config_modes_for_root(void **state)
{
    struct tree *t = *state;
    struct tock_config conf;
    struct msgs m;
    char p[PATH_MAX];
    struct fileperm_who root = {.name = "root", .group = "root", .uid = 0, .gid = 0};
    conf_defaults(&conf);
    set(&conf.cmdsocket, NULL);
    set(&conf.pidfile, NULL);
    /* A secret readable by everyone (0644 after chmod) and a world-writable directory. */
    path_in(t, "open/file", p);
    chmod(p, 0644);
    set(&conf.keyfile, p);
    path_in(t, "world", p);
    mkdir(p, 0777);
    chmod(p, 0777);
    char drift[PATH_MAX + 8];
    snprintf(drift, sizeof(drift), "%s/drift", p);
    set(&conf.driftfile, drift);
    memset(&m, 0, sizeof(m));
    fileperm_check_config(&conf, &root, collect, &m);
    assert_non_null(strstr(m.text, "is readable by every user (mode 0644)"));
    assert_non_null(strstr(m.text, "writable by every user (mode 0777)"));
    assert_non_null(strstr(m.text, "only the modes of secrets"));
    assert_null(strstr(m.text, "cannot read"));
    /* At run time the keyfile's mode is access.c's warning, not repeated here. */
    memset(&m, 0, sizeof(m));
    fileperm_check_runtime(&conf, &root, collect, &m);
    assert_null(strstr(m.text, "readable by every user"));
    assert_non_null(strstr(m.text, "writable by every user (mode 0777)"));
    /* Not a word about the unit at run time. */
    assert_null(strstr(m.text, "tockd.service"));
    conf_free(&conf);
}

static void test_create_dirs(void **state)
{
    struct tree *t = *state;
    struct tock_config conf;
    struct msgs m;
    char p[PATH_MAX + 32];
    struct stat st;
    struct fileperm_who me = {.name = "me", .uid = geteuid(), .gid = getegid()};
    conf_defaults(&conf);
    snprintf(p, sizeof(p), "%s/c/run/tockd.sock", t->base);
    set(&conf.cmdsocket, p);
    snprintf(p, sizeof(p), "%s/c/run/tockd.pid", t->base);
    set(&conf.pidfile, p);
    snprintf(p, sizeof(p), "%s/c/state/drift", t->base);
    set(&conf.driftfile, p);
    snprintf(p, sizeof(p), "%s/c/log", t->base);
    set(&conf.logdir, p);
    memset(&m, 0, sizeof(m));
    assert_int_equal(fileperm_create_dirs(&conf, &me, false, collect, &m), 0);
    static const struct {
        const char *rel;
        mode_t mode;
    } want[] = {{"c/run", 0770}, {"c/state", 0750}, {"c/log", 0750}};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/%s", t->base, want[i].rel);
        assert_int_equal(stat(p, &st), 0);
        assert_int_equal(st.st_mode & 07777, want[i].mode);
    }
    assert_int_equal(m.n_info, 3); /* the pidfile shares the socket's directory */
    assert_int_equal(m.n_warn, 0);
    /* A directory that cannot be created (a file in the way) is a warning, not fatal. */
    snprintf(p, sizeof(p), "%s/open/file/log", t->base);
    set(&conf.logdir, p);
    memset(&m, 0, sizeof(m));
    assert_int_equal(fileperm_create_dirs(&conf, &me, false, collect, &m), 0);
    assert_int_equal(m.n_warn, 1);
    assert_non_null(strstr(m.text, "logdir: cannot create"));
    conf_free(&conf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_allows_classic_rules),
        cmocka_unit_test(test_describe),
        cmocka_unit_test_setup_teardown(test_check_path, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_make_dir, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_check_config_messages, setup_tree, teardown_tree),
        cmocka_unit_test_setup_teardown(test_check_config_modes_for_root, setup_tree,
                                        teardown_tree),
        cmocka_unit_test_setup_teardown(test_create_dirs, setup_tree, teardown_tree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
