/* clockshim: an LD_PRELOAD library for tests of tockd's `system` clock driver.
 *
 * It intercepts every way a program can change the system clock - adjtimex, ntp_adjtime,
 * clock_adjtime, clock_settime, settimeofday, and syscall() with those numbers - answers
 * from a fake kernel state (frequency, offset, status, tick, max/est error) and records each
 * call as one line in the file named by $CLOCKSHIM_LOG. The real clock is never touched.
 * Tests also start tockd without CAP_SYS_TIME, so if this library ever fails to load the
 * kernel refuses the change instead of the machine's clock moving.
 *
 * With $CLOCKSHIM_SHIFT (seconds) the program also lives at another date: every reading of
 * the real-time clock (clock_gettime, gettimeofday, time) and every kernel packet timestamp
 * (SCM_TIMESTAMPING, SCM_TIMESTAMPNS, SCM_TIMESTAMP from recvmsg and recvmmsg) is moved by
 * it, so a test can put tockd on the last seconds of a day that ends with a leap second.
 * Then the fake kernel also does what Linux does with STA_INS/STA_DEL at the next UTC
 * midnight: the clock goes back (or forward) by one second, recorded as a "kernel_leap" line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct timex state = {.status = STA_UNSYNC,
                             .tick = 10000,
                             .maxerror = 16000000,
                             .esterror = 16000000,
                             .constant = 2,
                             .precision = 1,
                             .tolerance = 32768000};

static void record(const char *fmt, ...)
{
    const char *path = getenv("CLOCKSHIM_LOG");
    char line[512];
    va_list ap;
    if (!path)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    if (write(fd, line, (size_t)n) < 0) {
        /* nothing to do: a test will notice the missing line */
    }
    close(fd);
}

/* ---- the shifted date ---- */

static pthread_mutex_t shift_lock = PTHREAD_MUTEX_INITIALIZER;
static int shift_state; /* 0 unknown, 1 off, 2 on */
static long long shift_ns;
static long long leap_at_s; /* shifted UTC second at which the armed leap happens, or 0 */
static int leap_dir;        /* +1 insert, -1 delete */

static int (*real_clock_gettime)(clockid_t, struct timespec *);

static bool shift_on(void)
{
    if (shift_state == 0) {
        const char *v = getenv("CLOCKSHIM_SHIFT");
        shift_state = 1;
        if (v && *v) {
            shift_ns = (long long)(strtod(v, NULL) * 1e9);
            shift_state = 2;
        }
    }
    return shift_state == 2;
}

static long long real_ns(clockid_t clk)
{
    struct timespec ts;
    if (!real_clock_gettime)
        *(void **)&real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    real_clock_gettime(clk, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The shift now, after the kernel's leap if its moment has come (Linux: at midnight with
 * STA_INS the clock repeats a second; with STA_DEL it skips 23:59:59). */
static long long current_shift(void)
{
    if (!shift_on())
        return 0;
    pthread_mutex_lock(&shift_lock);
    if (leap_at_s) {
        long long now_s = (real_ns(CLOCK_REALTIME) + shift_ns) / 1000000000LL;
        long long due = leap_dir > 0 ? leap_at_s : leap_at_s - 1;
        if (now_s >= due) {
            shift_ns -= leap_dir * 1000000000LL;
            record("kernel_leap dir=%d at=%lld", leap_dir, leap_at_s);
            leap_at_s = 0;
        }
    }
    long long v = shift_ns;
    pthread_mutex_unlock(&shift_lock);
    return v;
}

/* Called by the fake kernel when the status bits change. */
static void arm_leap(int status)
{
    if (!shift_on())
        return;
    long long now_s = (real_ns(CLOCK_REALTIME) + current_shift()) / 1000000000LL;
    pthread_mutex_lock(&shift_lock);
    leap_dir = (status & STA_INS) ? 1 : (status & STA_DEL) ? -1 : 0;
    leap_at_s = leap_dir ? (now_s / 86400 + 1) * 86400 : 0;
    pthread_mutex_unlock(&shift_lock);
}

static void shift_timespec(struct timespec *ts, long long by)
{
    if (ts->tv_sec == 0 && ts->tv_nsec == 0)
        return; /* an empty slot of SCM_TIMESTAMPING */
    long long v = (long long)ts->tv_sec * 1000000000LL + ts->tv_nsec + by;
    ts->tv_sec = (time_t)(v / 1000000000LL);
    ts->tv_nsec = (long)(v % 1000000000LL);
}

int clock_gettime(clockid_t clk, struct timespec *ts)
{
    if (!real_clock_gettime)
        *(void **)&real_clock_gettime = dlsym(RTLD_NEXT, "clock_gettime");
    int rc = real_clock_gettime(clk, ts);
    if (rc == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE || clk == CLOCK_TAI))
        shift_timespec(ts, current_shift());
    return rc;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
    (void)tz;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    tv->tv_sec = ts.tv_sec; /* glibc declares tv non-null */
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}

time_t time(time_t *t)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}

/* Kernel timestamps of received packets (and of sent ones, from the error queue). */
static void shift_cmsgs(struct msghdr *mh)
{
    long long by = current_shift();
    if (!by)
        return;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == 37 /* SCM_TIMESTAMPING */ || c->cmsg_type == 65 /* _NEW */) {
            struct timespec ts[3];
            memcpy(ts, CMSG_DATA(c), sizeof(ts));
            for (int i = 0; i < 3; i++)
                shift_timespec(&ts[i], by);
            memcpy(CMSG_DATA(c), ts, sizeof(ts));
        } else if (c->cmsg_type == 35 /* SCM_TIMESTAMPNS */ || c->cmsg_type == 64) {
            struct timespec ts;
            memcpy(&ts, CMSG_DATA(c), sizeof(ts));
            shift_timespec(&ts, by);
            memcpy(CMSG_DATA(c), &ts, sizeof(ts));
        } else if (c->cmsg_type == 29 /* SCM_TIMESTAMP */ || c->cmsg_type == 63) {
            struct timeval tv;
            memcpy(&tv, CMSG_DATA(c), sizeof(tv));
            struct timespec ts = {tv.tv_sec, tv.tv_usec * 1000};
            shift_timespec(&ts, by);
            tv.tv_sec = ts.tv_sec;
            tv.tv_usec = ts.tv_nsec / 1000;
            memcpy(CMSG_DATA(c), &tv, sizeof(tv));
        }
    }
}

ssize_t recvmsg(int fd, struct msghdr *mh, int flags)
{
    static ssize_t (*real)(int, struct msghdr *, int);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "recvmsg");
    ssize_t n = real(fd, mh, flags);
    if (n >= 0 && shift_on())
        shift_cmsgs(mh);
    return n;
}

int recvmmsg(int fd, struct mmsghdr *v, unsigned int len, int flags, struct timespec *timeout)
{
    static int (*real)(int, struct mmsghdr *, unsigned int, int, struct timespec *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "recvmmsg");
    int n = real(fd, v, len, flags, timeout);
    if (n > 0 && shift_on()) {
        for (int i = 0; i < n; i++)
            shift_cmsgs(&v[i].msg_hdr);
    }
    return n;
}

/* The fake kernel: apply the requested modes to the state, return the state. */
static int fake_adjtime(const char *via, clockid_t clk, struct timex *tx)
{
    if (clk != CLOCK_REALTIME) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&lock);
    unsigned modes = tx->modes;
    if (modes & ADJ_FREQUENCY)
        state.freq = tx->freq;
    bool leap_bits_changed = false;
    if (modes & ADJ_STATUS) {
        leap_bits_changed = ((state.status ^ tx->status) & (STA_INS | STA_DEL)) != 0;
        state.status = (state.status & ~0xffff) | (tx->status & 0xffff);
    }
    if (modes & ADJ_TICK)
        state.tick = tx->tick;
    if (modes & ADJ_MAXERROR)
        state.maxerror = tx->maxerror;
    if (modes & ADJ_ESTERROR)
        state.esterror = tx->esterror;
    if ((modes & ADJ_OFFSET) && !(modes & ADJ_SETOFFSET))
        state.offset = tx->offset;
    if (modes & ADJ_NANO)
        state.status |= STA_NANO;
    if (modes & ADJ_MICRO)
        state.status &= ~STA_NANO;
    if (modes & ADJ_TIMECONST)
        state.constant = tx->constant;
    /* ADJ_SETOFFSET: tx->time holds the step (nanoseconds in tv_usec with ADJ_NANO). */
    long long step_ns = 0;
    if (modes & ADJ_SETOFFSET) {
        long frac = tx->time.tv_usec;
        if (!(modes & ADJ_NANO))
            frac *= 1000;
        step_ns = (long long)tx->time.tv_sec * 1000000000LL + frac;
    }
    record("%s modes=0x%x freq=%ld tick=%ld status=0x%x offset=%ld maxerror=%ld esterror=%ld "
           "step_ns=%lld",
           via, modes, (long)state.freq, (long)state.tick, (unsigned)state.status,
           (long)state.offset, (long)state.maxerror, (long)state.esterror, step_ns);
    struct timex out = state;
    out.modes = modes;
    out.time = tx->time;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (!(modes & ADJ_SETOFFSET)) {
        out.time.tv_sec = now.tv_sec;
        out.time.tv_usec = (state.status & STA_NANO) ? now.tv_nsec : now.tv_nsec / 1000;
    }
    int result = (state.status & STA_UNSYNC) ? TIME_ERROR
                 : (state.status & STA_INS)  ? TIME_INS
                 : (state.status & STA_DEL)  ? TIME_DEL
                                             : TIME_OK;
    int status = state.status;
    pthread_mutex_unlock(&lock);
    if (leap_bits_changed)
        arm_leap(status);
    *tx = out;
    return result;
}

int clock_adjtime(clockid_t clk, struct timex *tx)
{
    return fake_adjtime("clock_adjtime", clk, tx);
}

int adjtimex(struct timex *tx)
{
    return fake_adjtime("adjtimex", CLOCK_REALTIME, tx);
}

int ntp_adjtime(struct timex *tx)
{
    return fake_adjtime("ntp_adjtime", CLOCK_REALTIME, tx);
}

int __adjtimex(struct timex *tx)
{
    return fake_adjtime("__adjtimex", CLOCK_REALTIME, tx);
}

int clock_settime(clockid_t clk, const struct timespec *ts)
{
    record("clock_settime clock=%d sec=%lld nsec=%ld", (int)clk, (long long)ts->tv_sec,
           ts->tv_nsec);
    return 0;
}

int settimeofday(const struct timeval *tv, const struct timezone *tz)
{
    (void)tz;
    record("settimeofday sec=%lld usec=%ld", tv ? (long long)tv->tv_sec : -1LL,
           tv ? (long)tv->tv_usec : -1L);
    return 0;
}

int stime(const time_t *t);
int stime(const time_t *t)
{
    record("stime sec=%lld", t ? (long long)*t : -1LL);
    return 0;
}

/* syscall(): the clock-changing numbers are answered here; every other call goes to the
 * real syscall() with its six possible arguments. */
long syscall(long number, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, number);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    switch (number) {
    case SYS_clock_adjtime:
        return fake_adjtime("syscall(clock_adjtime)", (clockid_t)a[0], (struct timex *)a[1]);
    case SYS_adjtimex:
        return fake_adjtime("syscall(adjtimex)", CLOCK_REALTIME, (struct timex *)a[0]);
    case SYS_clock_settime:
        record("syscall(clock_settime) clock=%ld", a[0]);
        return 0;
    case SYS_settimeofday:
        record("syscall(settimeofday)");
        return 0;
    default: {
        static long (*real)(long, ...);
        if (!real)
            *(void **)&real = dlsym(RTLD_NEXT, "syscall");
        if (!real) {
            errno = ENOSYS;
            return -1;
        }
        return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    }
}
