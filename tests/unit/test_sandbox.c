/* Unit tests for src/daemon/sandbox.c: each profile's filter in a forked child - allowed
 * calls work, forbidden ones kill it with SIGSYS (level 1) or raise SIGSYS (negative
 * levels), argument filters (socket family, setsockopt option, kill signal, file access
 * mode) tell calls of the same system call apart, and the resolver's unlisted calls fail
 * with EPERM instead of killing it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon/sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#endif

typedef int (*child_fn)(void);

/* Runs FN in a child after loading PROFILE at LEVEL; returns the wait status. The child
 * exits 0 when FN returns 0, 2 when the filter could not be loaded, 3 when FN failed. */
static int run_sandboxed(enum sandbox_profile profile, int level, child_fn fn)
{
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char err[256];
        /* No stderr noise from the negative-level handler in the test output. */
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDERR_FILENO);
        if (sandbox_install(profile, level, err, sizeof(err)) < 0)
            _exit(2);
        _exit(fn() == 0 ? 0 : 3);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    return st;
}

static void assert_exit_ok(int st)
{
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("child: %s %d", WIFEXITED(st) ? "exit" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void assert_sigsys(int st)
{
    if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
        fail_msg("child: expected SIGSYS, got %s %d", WIFEXITED(st) ? "exit" : "signal",
                 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- what the main process does after start-up ---- */

static int main_allowed(void)
{
    struct timespec ts;
    char path[] = "/tmp/tock-sandbox-XXXXXX";
    int one = 1;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0 || getpid() <= 0)
        return -1;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        return -1;
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
        return -1;
    close(fd);
    /* A driftfile-like write: temporary file, rename, unlink. */
    int f = mkstemp(path);
    if (f < 0 || write(f, "1\n", 2) != 2 || fsync(f) < 0 || close(f) < 0)
        return -1;
    char moved[sizeof(path) + 4];
    snprintf(moved, sizeof(moved), "%s.new", path);
    if (rename(path, moved) < 0 || unlink(moved) < 0)
        return -1;
    void *p = malloc(1 << 20); /* mmap */
    free(p);
    return 0;
}

static void test_main_allows_the_daemons_calls(void **state)
{
    (void)state;
    assert_exit_ok(run_sandboxed(SANDBOX_MAIN, 1, main_allowed));
}

static int call_packet_socket(void)
{
    return socket(AF_PACKET, SOCK_RAW, 0) < 0 ? 0 : 0;
}

static int call_execve(void)
{
    char *argv[] = {(char *)"/bin/true", NULL};
    char *envp[] = {NULL};
    execve("/bin/true", argv, envp);
    return 0;
}

static int call_setuid(void)
{
    if (setuid(getuid()) < 0)
        return 0;
    return 0;
}

static int call_bad_sockopt(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int one = 1;
    (void)setsockopt(fd, SOL_SOCKET, SO_DEBUG, &one, sizeof(one));
    return 0;
}

static int call_kill_signal_0(void)
{
    (void)kill(getpid(), 0); /* only SIGTERM may be sent */
    return 0;
}

static int call_fcntl_setlk(void)
{
    struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
    (void)fcntl(STDIN_FILENO, F_SETLK, &fl);
    return 0;
}

static int call_adjtime(void)
{
    /* The clock's read-only query: allowed in the main process. */
    struct timex tx;
    memset(&tx, 0, sizeof(tx));
    return syscall(SYS_adjtimex, &tx) < 0 ? -1 : 0;
}

static void test_main_kills_what_it_does_not_allow(void **state)
{
    (void)state;
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 1, call_packet_socket));
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 1, call_execve));
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 1, call_setuid));
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 1, call_bad_sockopt));
#ifndef SANITIZER_BUILD /* sanitizer builds allow kill() for LeakSanitizer */
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 1, call_kill_signal_0));
#endif
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 1, call_fcntl_setlk));
    assert_exit_ok(run_sandboxed(SANDBOX_MAIN, 1, call_adjtime));
}

static void test_negative_level_raises_sigsys(void **state)
{
    (void)state;
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, -1, call_execve));
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, -2, call_packet_socket));
    /* chronyd's 2 means 1 here. */
    assert_sigsys(run_sandboxed(SANDBOX_MAIN, 2, call_execve));
}

static void test_level_0_is_no_filter(void **state)
{
    (void)state;
    assert_exit_ok(run_sandboxed(SANDBOX_MAIN, 0, call_kill_signal_0));
    assert_exit_ok(run_sandboxed(SANDBOX_MAIN, 0, call_bad_sockopt));
}

/* ---- the resolver: EPERM for the unknown, death for the dangerous ---- */

static int resolver_unknown_is_eperm(void)
{
    errno = 0;
    int rc = getpriority(PRIO_PROCESS, 0);
    return rc == -1 && errno == EPERM ? 0 : -1;
}

static int resolver_dns_calls(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    int nl = socket(AF_NETLINK, SOCK_RAW, 0);
    int f = open("/etc/hosts", O_RDONLY);
    if (fd < 0 || nl < 0 || f < 0)
        return -1;
    close(fd);
    close(nl);
    close(f);
    return 0;
}

static int call_clock_settime(void)
{
    struct timespec ts = {0, 0};
    (void)clock_settime(CLOCK_REALTIME, &ts); /* killed before the kernel sees it */
    return 0;
}

static void test_resolver_profile(void **state)
{
    (void)state;
    assert_exit_ok(run_sandboxed(SANDBOX_RESOLVER, 1, resolver_unknown_is_eperm));
    assert_exit_ok(run_sandboxed(SANDBOX_RESOLVER, 1, resolver_dns_calls));
    assert_sigsys(run_sandboxed(SANDBOX_RESOLVER, 1, call_execve));
    assert_sigsys(run_sandboxed(SANDBOX_RESOLVER, 1, call_setuid));
    assert_sigsys(run_sandboxed(SANDBOX_RESOLVER, 1, call_kill_signal_0));
    assert_sigsys(run_sandboxed(SANDBOX_RESOLVER, 1, call_clock_settime));
    assert_sigsys(run_sandboxed(SANDBOX_RESOLVER, 1, call_packet_socket));
    /* Debugging: every unlisted call traps. */
    assert_sigsys(run_sandboxed(SANDBOX_RESOLVER, -1, resolver_unknown_is_eperm));
}

/* ---- NTS-KE helpers: no new socket, files read-only, no clock ---- */

static int ntske_reads(void)
{
    int f = open("/etc/hosts", O_RDONLY);
    char buf[16];
    if (f < 0 || read(f, buf, sizeof(buf)) < 0)
        return -1;
    close(f);
    return 0;
}

#ifndef SANITIZER_BUILD
static int ntske_writes(void)
{
    (void)open("/tmp/tock-sandbox-write", O_WRONLY | O_CREAT, 0600);
    return 0;
}
#endif

static int ntske_socket(void)
{
    (void)socket(AF_INET, SOCK_STREAM, 0);
    return 0;
}

static void test_ntske_profile(void **state)
{
    (void)state;
    assert_exit_ok(run_sandboxed(SANDBOX_NTSKE, 1, ntske_reads));
#ifndef SANITIZER_BUILD /* sanitizer builds allow open() for their reports */
    assert_sigsys(run_sandboxed(SANDBOX_NTSKE, 1, ntske_writes));
#endif
    assert_sigsys(run_sandboxed(SANDBOX_NTSKE, 1, ntske_socket));
    assert_sigsys(run_sandboxed(SANDBOX_NTSKE, 1, call_adjtime));
    assert_sigsys(run_sandboxed(SANDBOX_NTSKE, 1, call_setuid));
}

static void test_levels(void **state)
{
    char err[128];
    (void)state;
    assert_true(sandbox_level_valid(0));
    assert_true(sandbox_level_valid(1));
    assert_true(sandbox_level_valid(-1));
    assert_true(sandbox_level_valid(2));
    assert_true(sandbox_level_valid(-2));
    assert_false(sandbox_level_valid(3));
    assert_false(sandbox_level_valid(-3));
    assert_int_equal(sandbox_install(SANDBOX_MAIN, 7, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "seccomp level 7"));
    /* Level 0 changes nothing in this (unfiltered) process. */
    assert_int_equal(sandbox_install(SANDBOX_MAIN, 0, err, sizeof(err)), 0);
    assert_string_equal(sandbox_profile_name(SANDBOX_NTSKE), "ntske");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_main_allows_the_daemons_calls),
        cmocka_unit_test(test_main_kills_what_it_does_not_allow),
        cmocka_unit_test(test_negative_level_raises_sigsys),
        cmocka_unit_test(test_level_0_is_no_filter),
        cmocka_unit_test(test_resolver_profile),
        cmocka_unit_test(test_ntske_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
