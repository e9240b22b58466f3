/* The `none` clock driver (-x): the system clock is read, never adjusted. */
#include <stdlib.h>

#include "daemon/clock.h"

static void none_now(struct clock_driver *drv, struct timespec *out)
{
    (void)drv;
    clock_gettime(CLOCK_REALTIME, out);
}

static void none_cook(struct clock_driver *drv, const struct timespec *realtime,
                      struct timespec *out)
{
    (void)drv;
    *out = *realtime;
}

static void none_destroy(struct clock_driver *drv)
{
    free(drv);
}

struct clock_driver *clock_none_new(void)
{
    struct clock_driver *drv = calloc(1, sizeof(*drv));
    if (!drv)
        return NULL;
    drv->name = "none";
    drv->now = none_now;
    drv->cook = none_cook;
    drv->destroy = none_destroy;
    return drv;
}
