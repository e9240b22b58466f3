/* The event loop: one poll() over a bounded set of sockets, with timers kept as poll
 * timeouts on CLOCK_MONOTONIC. It follows the simulator rules (doc/simulation.md): no
 * epoll, no self-pipe/signalfd/eventfd, signals only set flags and the wait is capped so a
 * signal that lands just before poll() delays the exit by at most a second. */
#ifndef TOCK_DAEMON_LOOP_H
#define TOCK_DAEMON_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_MAX_FDS    256 /* NTS-KE sessions are one descriptor each */
#define LOOP_MAX_TIMERS 128

typedef void (*loop_fd_cb)(void *ctx, int fd, short revents);
typedef void (*loop_timer_cb)(void *ctx);

struct loop;

struct loop *loop_new(void);
void loop_free(struct loop *loop);

/* Watch fd for events (POLLIN, POLLOUT, POLLPRI). Returns 0 or -1 when full. */
int loop_add_fd(struct loop *loop, int fd, short events, loop_fd_cb cb, void *ctx);
void loop_set_events(struct loop *loop, int fd, short events);
void loop_remove_fd(struct loop *loop, int fd);

/* One-shot timer after `delay` seconds; returns an id > 0, or 0 when full. */
uint32_t loop_add_timer(struct loop *loop, double delay, loop_timer_cb cb, void *ctx);
void loop_cancel_timer(struct loop *loop, uint32_t id);

/* Installs the SIGTERM/SIGINT/SIGHUP flag handlers (no SA_RESTART, so poll is woken). */
void loop_install_signal_handlers(void);
/* True once SIGTERM or SIGINT arrived. */
bool loop_should_exit(void);
/* Returns true (once) if SIGHUP arrived since the last call. */
bool loop_take_hangup(void);
void loop_request_exit(void);

/* Runs until a termination signal or loop_request_exit(). `on_hangup` runs on SIGHUP. */
void loop_run(struct loop *loop, void (*on_hangup)(void *), void *hangup_ctx);

/* Monotonic time in seconds (the loop's timer base). */
double loop_monotonic(void);

#endif
