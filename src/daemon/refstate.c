/* The reference state the daemon publishes while no upstream source is selected. */
#include "daemon/daemon.h"

#include "daemon/clock.h"
#include "daemon/loop.h"
#include "daemon/rand.h"
#include "proto/ntp_packet.h"
#include "proto/ntp_time.h"

#define LOCAL_REF_REFRESH 64.0

static void refresh_local_time(struct tockd *d, const struct timespec *now)
{
    /* now - 1 s, with random nanoseconds so the value reveals nothing precise. */
    d->ref.ref_time = timespec_add(now, -1.0);
    d->ref.ref_time.tv_nsec = (long)(rand_u32() % 1000000000U);
    d->local_ref_refreshed = loop_monotonic();
}

void tockd_reference_init(struct tockd *d)
{
    d->ref = (struct reference_snapshot){0};
    if (d->conf->local.enabled) {
        struct timespec now;
        d->ref.mode = REFERENCE_LOCAL;
        d->ref.leap = NTP_LEAP_NONE;
        d->ref.stratum = (uint8_t)d->conf->local.stratum;
        d->ref.refid = NTP_REFID_LOCAL;
        d->clock->now(d->clock, &now);
        refresh_local_time(d, &now);
    } else {
        d->ref.mode = REFERENCE_UNSYNC;
        d->ref.leap = NTP_LEAP_UNSYNC;
    }
}

const struct reference_snapshot *tockd_reference(struct tockd *d, const struct timespec *now)
{
    if (d->ref.mode == REFERENCE_LOCAL &&
        loop_monotonic() - d->local_ref_refreshed > LOCAL_REF_REFRESH)
        refresh_local_time(d, now);
    return &d->ref;
}
