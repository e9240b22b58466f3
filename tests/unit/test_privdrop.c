/* Unit tests for src/daemon/privdrop.c: capability names, user lookup, and (as root, in a
 * forked child) the drop itself: uid, gid, groups, exactly the kept capabilities, the
 * bounding set, nothing inheritable or ambient. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/privdrop.h"

static void test_caps_string(void **state)
{
    char buf[128];
    (void)state;
    assert_string_equal(privdrop_caps_string(0, buf, sizeof(buf)), "none");
    assert_string_equal(privdrop_caps_string(PRIVDROP_CAP_SYS_TIME, buf, sizeof(buf)),
                        "CAP_SYS_TIME");
    assert_string_equal(
        privdrop_caps_string(PRIVDROP_CAP_SYS_TIME | PRIVDROP_CAP_NET_BIND, buf, sizeof(buf)),
        "CAP_SYS_TIME CAP_NET_BIND_SERVICE");
    /* Truncation keeps whole names. */
    assert_string_equal(
        privdrop_caps_string(PRIVDROP_CAP_SYS_TIME | PRIVDROP_CAP_NET_BIND, buf, 16),
        "CAP_SYS_TIME");
}

static void test_lookup(void **state)
{
    struct privdrop_user u;
    (void)state;
    assert_int_equal(privdrop_lookup("root", true, &u), 0);
    assert_int_equal(u.uid, 0);
    assert_int_equal(u.gid, 0);
    assert_true(u.n_groups >= 1);
    assert_string_equal(u.name, "root");
    assert_int_equal(privdrop_lookup("tock-no-such-user-here", true, &u), -1);
    char longname[PRIVDROP_MAX_NAME + 8];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(privdrop_lookup(longname, false, &u), -1);
    /* Without the group list: only the primary group. */
    assert_int_equal(privdrop_lookup("root", false, &u), 0);
    assert_int_equal(u.n_groups, 1);
    assert_int_equal(u.groups[0], 0);
}

static bool cap_in(cap_t c, cap_value_t v, cap_flag_t set)
{
    cap_flag_value_t f = CAP_CLEAR;
    cap_get_flag(c, v, set, &f);
    return f == CAP_SET;
}

/* The child's checks after privdrop_become(nobody, CAP_SYS_TIME); exit code = first
 * failing check. */
static int child_become(const struct privdrop_user *u)
{
    char err[256];
    if (privdrop_become(u, PRIVDROP_CAP_SYS_TIME, err, sizeof(err)) < 0)
        return 10;
    if (getuid() != u->uid || geteuid() != u->uid || getgid() != u->gid || getegid() != u->gid)
        return 11;
    gid_t groups[64];
    int n = getgroups(64, groups);
    if (n != u->n_groups)
        return 12;
    cap_t c = cap_get_proc();
    if (!cap_in(c, CAP_SYS_TIME, CAP_EFFECTIVE) || !cap_in(c, CAP_SYS_TIME, CAP_PERMITTED))
        return 13;
    for (cap_value_t v = 0; v <= CAP_LAST_CAP; v++) {
        if (v == CAP_SYS_TIME)
            continue;
        if (cap_in(c, v, CAP_EFFECTIVE) || cap_in(c, v, CAP_PERMITTED) ||
            cap_in(c, v, CAP_INHERITABLE))
            return 14;
        if (cap_get_bound(v) == 1)
            return 15;
    }
    cap_free(c);
    if (privdrop_effective_caps() != PRIVDROP_CAP_SYS_TIME)
        return 16;
    if (setuid(0) == 0)
        return 17; /* root must be gone for good */
    /* Lowering further works without root. */
    if (privdrop_limit_caps(0, err, sizeof(err)) < 0 || privdrop_effective_caps() != 0)
        return 18;
    return 0;
}

static void test_become_nobody_keeping_cap_sys_time(void **state)
{
    struct privdrop_user u;
    (void)state;
    if (geteuid() != 0 || privdrop_lookup("nobody", true, &u) < 0 ||
        !CAP_IS_SUPPORTED(CAP_SYS_TIME)) {
        skip();
        return;
    }
    cap_t cur = cap_get_proc();
    bool have = cap_in(cur, CAP_SYS_TIME, CAP_PERMITTED) && cap_in(cur, CAP_SETUID, CAP_PERMITTED);
    cap_free(cur);
    if (!have) {
        skip();
        return;
    }
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_become(&u));
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* A capability the process does not hold cannot be kept: asked for, it is skipped. */
static int child_limit_without_the_cap(void)
{
    char err[256];
    if (privdrop_limit_caps(0, err, sizeof(err)) < 0)
        return 20;
    if (privdrop_limit_caps(PRIVDROP_CAP_SYS_TIME | PRIVDROP_CAP_NET_BIND, err, sizeof(err)) < 0)
        return 21;
    return privdrop_effective_caps() == 0 ? 0 : 22;
}

static void test_limit_caps_keeps_only_what_is_held(void **state)
{
    (void)state;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_limit_without_the_cap());
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_string),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_become_nobody_keeping_cap_sys_time),
        cmocka_unit_test(test_limit_caps_keeps_only_what_is_held),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
