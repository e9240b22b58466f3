#include "daemon/loop.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/log.h"

struct loop_fd {
    loop_fd_cb cb;
    void *ctx;
};

struct loop_timer {
    uint32_t id; /* 0 = free slot */
    double when;
    loop_timer_cb cb;
    void *ctx;
};

struct loop {
    struct pollfd pfds[LOOP_MAX_FDS];
    struct loop_fd fds[LOOP_MAX_FDS];
    int n_fds;
    struct loop_timer timers[LOOP_MAX_TIMERS];
    uint32_t next_timer_id;
};

static volatile sig_atomic_t exit_flag;
static volatile sig_atomic_t hangup_flag;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        hangup_flag = 1;
    else
        exit_flag = 1;
}

void loop_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: poll() returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

bool loop_should_exit(void)
{
    return exit_flag != 0;
}

void loop_request_exit(void)
{
    exit_flag = 1;
}

bool loop_take_hangup(void)
{
    if (!hangup_flag)
        return false;
    hangup_flag = 0;
    return true;
}

double loop_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

struct loop *loop_new(void)
{
    struct loop *loop = calloc(1, sizeof(*loop));
    if (loop)
        loop->next_timer_id = 1;
    return loop;
}

void loop_free(struct loop *loop)
{
    free(loop);
}

static int find_fd(const struct loop *loop, int fd)
{
    for (int i = 0; i < loop->n_fds; i++)
        if (loop->pfds[i].fd == fd)
            return i;
    return -1;
}

int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_cb cb, void *ctx)
{
    if (loop->n_fds >= LOOP_MAX_FDS || find_fd(loop, fd) >= 0)
        return -1;
    int i = loop->n_fds++;
    loop->pfds[i].fd = fd;
    loop->pfds[i].events = events;
    loop->pfds[i].revents = 0;
    loop->fds[i].cb = cb;
    loop->fds[i].ctx = ctx;
    return 0;
}

void loop_set_events(struct loop *loop, int fd, short events)
{
    int i = find_fd(loop, fd);
    if (i >= 0)
        loop->pfds[i].events = events;
}

void loop_remove_fd(struct loop *loop, int fd)
{
    int i = find_fd(loop, fd);
    if (i < 0)
        return;
    loop->n_fds--;
    loop->pfds[i] = loop->pfds[loop->n_fds];
    loop->fds[i] = loop->fds[loop->n_fds];
}

uint32_t loop_add_timer(struct loop *loop, double delay, loop_timer_cb cb, void *ctx)
{
    for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
        struct loop_timer *t = &loop->timers[i];
        if (t->id != 0)
            continue;
        t->id = loop->next_timer_id++;
        if (loop->next_timer_id == 0)
            loop->next_timer_id = 1;
        t->when = loop_monotonic() + (delay > 0 ? delay : 0);
        t->cb = cb;
        t->ctx = ctx;
        return t->id;
    }
    log_err("timer table full");
    return 0;
}

void loop_cancel_timer(struct loop *loop, uint32_t id)
{
    if (id == 0)
        return;
    for (int i = 0; i < LOOP_MAX_TIMERS; i++)
        if (loop->timers[i].id == id)
            loop->timers[i].id = 0;
}

/* Runs every due timer once; returns ms until the next one (capped at 1000). */
static int run_timers(struct loop *loop)
{
    double now = loop_monotonic();
    double next = now + 1.0;
    for (int i = 0; i < LOOP_MAX_TIMERS; i++) {
        struct loop_timer *t = &loop->timers[i];
        if (t->id == 0)
            continue;
        if (t->when <= now) {
            loop_timer_cb cb = t->cb;
            void *ctx = t->ctx;
            t->id = 0; /* free first: the callback may add timers */
            cb(ctx);
            continue;
        }
        if (t->when < next)
            next = t->when;
    }
    /* A callback may have added timers that are already due. */
    for (int i = 0; i < LOOP_MAX_TIMERS; i++)
        if (loop->timers[i].id != 0 && loop->timers[i].when < next)
            next = loop->timers[i].when;
    double wait_ms = ceil((next - loop_monotonic()) * 1000.0);
    if (wait_ms < 0)
        return 0;
    return wait_ms > 1000 ? 1000 : (int)wait_ms;
}

void loop_run(struct loop *loop, void (*on_hangup)(void *), void *hangup_ctx)
{
    while (!exit_flag) {
        if (hangup_flag) {
            hangup_flag = 0;
            if (on_hangup)
                on_hangup(hangup_ctx);
        }
        int timeout = run_timers(loop);
        if (exit_flag)
            break;
        int n = poll(loop->pfds, (nfds_t)loop->n_fds, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            log_err("poll: %s", strerror(errno));
            break;
        }
        /* Handle the ready descriptors; a callback may remove entries, so walk a copy of
         * the (fd, revents) pairs. */
        struct pollfd ready[LOOP_MAX_FDS];
        int n_ready = 0;
        for (int i = 0; i < loop->n_fds && n_ready < n; i++)
            if (loop->pfds[i].revents)
                ready[n_ready++] = loop->pfds[i];
        for (int i = 0; i < n_ready; i++) {
            int idx = find_fd(loop, ready[i].fd);
            if (idx >= 0)
                loop->fds[idx].cb(loop->fds[idx].ctx, ready[i].fd, ready[i].revents);
        }
    }
}
