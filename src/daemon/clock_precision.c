#include <math.h>

#include "daemon/clock.h"
#include "proto/ntp_time.h"

#define PRECISION_READS 100

int8_t clock_measure_precision(struct clock_driver *drv, double configured, double *seconds)
{
    double best = 1.0;
    if (configured > 0.0) {
        best = configured;
    } else {
        struct timespec prev, cur;
        drv->raw_now(drv, &prev);
        for (int i = 0; i < PRECISION_READS; i++) {
            drv->raw_now(drv, &cur);
            double d = timespec_diff(&cur, &prev);
            if (d > 0.0 && d < best)
                best = d;
            prev = cur;
        }
        if (best >= 1.0) /* the clock never moved (a simulator): assume 1 us */
            best = 1e-6;
    }
    double l = round(log2(best));
    if (l < -30)
        l = -30;
    if (l > 0)
        l = 0;
    if (seconds)
        *seconds = best;
    return (int8_t)l;
}
