/* Unit tests for the `system` clock driver's translation of engine commands into
 * clock_adjtime calls (the kernel call is replaced by a recorder: nothing reaches the real
 * clock). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/timex.h>
#include <unistd.h>

#include "daemon/clock.h"
#include "daemon/log.h"
#include "sync/engine.h"

#define MAX_CALLS 16
static struct timex calls[MAX_CALLS];
static int n_calls;
static int fail_with;

static int recorder(clockid_t clock, struct timex *tx)
{
    assert_int_equal(clock, CLOCK_REALTIME);
    if (n_calls < MAX_CALLS)
        calls[n_calls++] = *tx;
    if (fail_with) {
        errno = fail_with;
        return -1;
    }
    return TIME_OK;
}

static int setup(void **state)
{
    (void)state;
    n_calls = 0;
    fail_with = 0;
    clock_system_set_adjtime_hook(recorder);
    log_init(LOG_TARGET_STDERR, LOG_CRIT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    clock_system_set_adjtime_hook(NULL);
    return 0;
}

static long nominal_tick(void)
{
    return 1000000L / sysconf(_SC_CLK_TCK);
}

static void small_frequency_goes_to_adj_frequency(void **state)
{
    (void)state;
    struct clock_driver *drv = clock_system_new(false);
    struct sync_clock_cmd cmd = {.set_freq = true, .freq_ppm = 12.5};
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_int_equal(n_calls, 1);
    assert_int_equal(calls[0].modes, ADJ_FREQUENCY);
    /* + ppm means "the clock runs fast": the kernel is told to slow it by 12.5 ppm. */
    assert_int_equal(calls[0].freq, -(long)(12.5 * 65536));
    drv->destroy(drv);
}

static void large_frequency_uses_the_tick(void **state)
{
    (void)state;
    struct clock_driver *drv = clock_system_new(false);
    long tick = nominal_tick();
    double ppm_per_us = 1e6 / (double)tick;
    /* Slowing by 83333 ppm (chrony's maximum slew rate). */
    struct sync_clock_cmd cmd = {.set_freq = true, .freq_ppm = 83333.0};
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_int_equal(calls[0].modes, ADJ_FREQUENCY | ADJ_TICK);
    double total = (calls[0].tick - tick) * ppm_per_us + calls[0].freq / 65536.0;
    assert_true(fabs(total + 83333.0) < 1e-3);
    assert_true(fabs(calls[0].freq / 65536.0) <= 500.0);
    /* Back within 500 ppm: the tick is restored to nominal. */
    cmd.freq_ppm = -3.0;
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_int_equal(calls[1].modes, ADJ_FREQUENCY | ADJ_TICK);
    assert_int_equal(calls[1].tick, tick);
    assert_int_equal(calls[1].freq, 3 * 65536);
    /* And then left alone. */
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_int_equal(calls[2].modes, ADJ_FREQUENCY);
    drv->destroy(drv);
}

static void steps_use_setoffset_nano(void **state)
{
    (void)state;
    struct clock_driver *drv = clock_system_new(false);
    /* The clock is 1.25 s ahead: step it back. */
    struct sync_clock_cmd cmd = {.step = true, .step_offset = 1.25};
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_int_equal(calls[0].modes, ADJ_SETOFFSET | ADJ_NANO);
    assert_int_equal(calls[0].time.tv_sec, -2);
    assert_int_equal(calls[0].time.tv_usec, 750000000); /* -2 + 0.75 = -1.25 s, in ns */
    cmd.step_offset = -0.5;                             /* behind: forward */
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_int_equal(calls[1].time.tv_sec, 0);
    assert_int_equal(calls[1].time.tv_usec, 500000000);
    drv->destroy(drv);
}

static void leap_and_sync_status(void **state)
{
    (void)state;
    struct clock_driver *drv = clock_system_new(true);
    struct sync_clock_cmd cmd = {.set_leap = true, .leap = 1};
    assert_int_equal(drv->apply(drv, &cmd), 0);
    assert_true(calls[0].modes & ADJ_STATUS);
    assert_true(calls[0].status & STA_INS);
    assert_false(calls[0].status & STA_DEL);
    cmd.leap = -1;
    drv->apply(drv, &cmd);
    assert_true(calls[1].status & STA_DEL);
    assert_false(calls[1].status & STA_INS);
    cmd.leap = 0;
    drv->apply(drv, &cmd);
    assert_false(calls[2].status & (STA_INS | STA_DEL));
    /* rtcsync: a synchronised clock clears STA_UNSYNC (the kernel's 11-minute mode). */
    struct sync_clock_cmd st = {
        .set_status = true, .synchronised = true, .est_error = 0.001, .max_error = 0.002};
    drv->apply(drv, &st);
    assert_int_equal(calls[3].modes, ADJ_STATUS | ADJ_ESTERROR | ADJ_MAXERROR);
    assert_false(calls[3].status & STA_UNSYNC);
    assert_int_equal(calls[3].esterror, 1000);
    assert_int_equal(calls[3].maxerror, 2000);
    st.synchronised = false;
    drv->apply(drv, &st);
    assert_true(calls[4].status & STA_UNSYNC);
    drv->destroy(drv);
}

static void without_rtcsync_unsync_stays_set(void **state)
{
    (void)state;
    struct clock_driver *drv = clock_system_new(false);
    struct sync_clock_cmd st = {.set_status = true, .synchronised = true};
    drv->apply(drv, &st);
    assert_true(calls[0].status & STA_UNSYNC);
    drv->destroy(drv);
}

static void eperm_is_reported(void **state)
{
    (void)state;
    struct clock_driver *drv = clock_system_new(false);
    struct sync_clock_cmd cmd = {.set_freq = true, .freq_ppm = 1.0};
    fail_with = EPERM;
    assert_int_equal(drv->apply(drv, &cmd), -1);
    assert_int_equal(errno, EPERM);
    drv->destroy(drv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(small_frequency_goes_to_adj_frequency, setup, teardown),
        cmocka_unit_test_setup_teardown(large_frequency_uses_the_tick, setup, teardown),
        cmocka_unit_test_setup_teardown(steps_use_setoffset_nano, setup, teardown),
        cmocka_unit_test_setup_teardown(leap_and_sync_status, setup, teardown),
        cmocka_unit_test_setup_teardown(without_rtcsync_unsync_stays_set, setup, teardown),
        cmocka_unit_test_setup_teardown(eperm_is_reported, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
