/* Deterministic simulations of the whole synchronisation engine (tests/unit/sim_sync.c).
 * Each test asserts a number worked out from the scenario, not from the code's output.
 * With TOCK_SIM_REPORT=1 in the environment the accuracy table of doc/accuracy.md is
 * printed as well. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>
#include <math.h>

#include "sim_sync.h"

static void show(const char *name, const struct simsync_params *p, const struct simsync_result *r)
{
    if (!getenv("TOCK_SIM_VERBOSE"))
        return;
    fprintf(stderr,
            "%-28s rms %9.3f us max %9.3f us (cooked rms %9.3f) freq err %+8.4f ppm  "
            "%6.1f pkt/h steps %d conv %.0f s poll %d\n",
            name, r->rms_error * 1e6, r->max_error * 1e6, r->rms_cooked * 1e6,
            r->final_freq_error_ppm, r->packets_per_hour, r->steps, r->converged_at,
            r->final_poll[0]);
    (void)p;
}

/* From +0.1 s and +50 ppm, one server, 10 us jitter: the clock converges and then stays
 * within a few jitters of true time. */
static void test_convergence(void **state)
{
    (void)state;
    struct simsync_params p;
    struct simsync_result r;
    simsync_defaults(&p);
    p.initial_offset = 0.1;
    p.freq_ppm = 50.0;
    p.jitter = 10e-6;
    p.src.iburst = true;
    p.duration = 6 * 3600.0;
    p.measure_from = 2 * 3600.0;
    simsync_run(&p, &r);
    show("convergence", &p, &r);
    assert_true(r.converged_at >= 0.0);
    assert_true(r.converged_at < 600.0);
    assert_true(r.rms_error < 10e-6);
    assert_true(r.max_error < 60e-6);
    assert_true(fabs(r.final_freq_error_ppm) < 0.05);
    assert_int_equal(r.steps, 0);
    simsync_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convergence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
