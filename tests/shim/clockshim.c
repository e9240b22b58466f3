/* clockshim: an LD_PRELOAD library for tests of tockd's `system` clock driver.
 *
 * It intercepts every way a program can change the system clock - adjtimex, ntp_adjtime,
 * clock_adjtime, clock_settime, settimeofday, and syscall() with those numbers - answers
 * from a fake kernel state (frequency, offset, status, tick, max/est error) and records each
 * call as one line in the file named by $CLOCKSHIM_LOG. The real clock is never touched.
 * Tests also start tockd without CAP_SYS_TIME, so if this library ever fails to load the
 * kernel refuses the change instead of the machine's clock moving.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    if (modes & ADJ_STATUS)
        state.status = (state.status & ~0xffff) | (tx->status & 0xffff);
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
    pthread_mutex_unlock(&lock);
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
