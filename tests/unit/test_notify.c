/* Unit tests for src/daemon/notify.c: NOTIFY_SOCKET parsing (paths, abstract names, bad
 * values), the watchdog period, and real datagrams to a path and an abstract socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/notify.h"

static void test_parse_address(void **state)
{
    struct sockaddr_un a;
    (void)state;
    socklen_t len = notify_parse_address("/run/systemd/notify", &a);
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + strlen("/run/systemd/notify"));
    assert_string_equal(a.sun_path, "/run/systemd/notify");
    assert_int_equal(a.sun_family, AF_UNIX);
    /* Abstract: a leading NUL, the rest of the name, no terminator counted. */
    len = notify_parse_address("@tock/x", &a);
    assert_int_equal(len, offsetof(struct sockaddr_un, sun_path) + 7);
    assert_int_equal(a.sun_path[0], '\0');
    assert_memory_equal(a.sun_path + 1, "tock/x", 6);
    /* Refused: relative, empty, a lone '@' or '/', NULL, too long. */
    assert_int_equal(notify_parse_address("run/notify", &a), 0);
    assert_int_equal(notify_parse_address("", &a), 0);
    assert_int_equal(notify_parse_address("@", &a), 0);
    assert_int_equal(notify_parse_address("/", &a), 0);
    assert_int_equal(notify_parse_address(NULL, &a), 0);
    char name[sizeof(a.sun_path) + 2];
    memset(name, 'x', sizeof(name));
    name[0] = '/';
    name[sizeof(a.sun_path)] = '\0'; /* 108 characters: no room for the NUL */
    assert_int_equal(notify_parse_address(name, &a), 0);
    name[sizeof(a.sun_path) - 1] = '\0'; /* 107 fit */
    assert_int_not_equal(notify_parse_address(name, &a), 0);
    name[0] = '@';
    name[sizeof(a.sun_path) - 1] = 'x';
    name[sizeof(a.sun_path)] = '\0'; /* an abstract name may fill sun_path */
    assert_int_equal(notify_parse_address(name, &a), sizeof(struct sockaddr_un));
    name[sizeof(a.sun_path)] = 'x';
    name[sizeof(a.sun_path) + 1] = '\0';
    assert_int_equal(notify_parse_address(name, &a), 0);
}

static void test_watchdog_interval(void **state)
{
    (void)state;
    assert_true(notify_watchdog_interval("200000", NULL, 42) == 0.1);
    assert_true(notify_watchdog_interval("30000000", "42", 42) == 15.0);
    assert_true(notify_watchdog_interval("30000000", "", 42) == 15.0);
    assert_true(notify_watchdog_interval("30000000", "43", 42) == 0.0); /* someone else's */
    assert_true(notify_watchdog_interval("30000000", "4x", 42) == 0.0);
    assert_true(notify_watchdog_interval(NULL, NULL, 42) == 0.0);
    assert_true(notify_watchdog_interval("", NULL, 42) == 0.0);
    assert_true(notify_watchdog_interval("0", NULL, 42) == 0.0);
    assert_true(notify_watchdog_interval("-5", NULL, 42) == 0.0);
    assert_true(notify_watchdog_interval("12s", NULL, 42) == 0.0);
}

static int bind_receiver(struct sockaddr_un *a, socklen_t len)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)a, len), 0);
    return fd;
}

static void expect_message(int fd, const char *want)
{
    char buf[256];
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void test_send_to_path_and_abstract(void **state)
{
    char dir[] = "/tmp/tock-notify-XXXXXX";
    char path[PATH_MAX], value[PATH_MAX], err[256];
    struct sockaddr_un a;
    struct notify n;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/notify", dir);
    socklen_t len = notify_parse_address(path, &a);
    int rx = bind_receiver(&a, len);
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", "4000000", 1);
    snprintf(value, sizeof(value), "%ld", (long)getpid());
    setenv("WATCHDOG_PID", value, 1);
    assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
    assert_true(n.fd >= 0);
    assert_true(n.watchdog_interval == 2.0);
    /* Gone from the environment: helper processes do not inherit them. */
    assert_null(getenv("NOTIFY_SOCKET"));
    assert_null(getenv("WATCHDOG_USEC"));
    assert_null(getenv("WATCHDOG_PID"));
    assert_int_equal(notify_send(&n, "READY=1"), 0);
    expect_message(rx, "READY=1");
    assert_int_equal(notify_send(&n, "WATCHDOG=1"), 0);
    expect_message(rx, "WATCHDOG=1");
    notify_close(&n);
    assert_int_equal(n.fd, -1);
    assert_int_equal(notify_send(&n, "STOPPING=1"), 0); /* closed: nothing, no error */
    close(rx);
    unlink(path);
    rmdir(dir);

    snprintf(value, sizeof(value), "@tock-unit-notify-%ld", (long)getpid());
    len = notify_parse_address(value, &a);
    rx = bind_receiver(&a, len);
    setenv("NOTIFY_SOCKET", value, 1);
    assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
    assert_true(n.watchdog_interval == 0.0);
    assert_int_equal(notify_send(&n, "STOPPING=1"), 0);
    expect_message(rx, "STOPPING=1");
    notify_close(&n);
    close(rx);
}

static void test_open_without_or_with_a_bad_socket(void **state)
{
    struct notify n;
    char err[256];
    (void)state;
    unsetenv("NOTIFY_SOCKET");
    setenv("WATCHDOG_USEC", "1000000", 1);
    assert_int_equal(notify_open(&n, err, sizeof(err)), 0);
    assert_int_equal(n.fd, -1);
    assert_true(n.watchdog_interval == 0.0); /* no socket, no watchdog */
    assert_int_equal(notify_send(&n, "READY=1"), 0);
    unsetenv("WATCHDOG_USEC");
    setenv("NOTIFY_SOCKET", "not/absolute", 1);
    assert_int_equal(notify_open(&n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "not/absolute"));
    assert_int_equal(n.fd, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_address),
        cmocka_unit_test(test_watchdog_interval),
        cmocka_unit_test(test_send_to_path_and_abstract),
        cmocka_unit_test(test_open_without_or_with_a_bad_socket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
