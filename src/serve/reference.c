#include "serve/reference.h"

#include "proto/ntp_packet.h"
#include "proto/ntp_time.h"

void reference_params_at(const struct reference_snapshot *ref, const struct timespec *now,
                         struct reference_params *out)
{
    switch (ref->mode) {
    case REFERENCE_SYNCED: {
        double elapsed = timespec_diff(now, &ref->ref_time);
        if (elapsed < 0.0)
            elapsed = 0.0;
        out->leap = ref->leap;
        out->stratum = ref->stratum;
        out->refid = ref->refid;
        out->root_delay = ref->root_delay;
        out->root_dispersion = ref->root_dispersion + elapsed * ref->dispersion_rate;
        out->ref_time = ref->ref_time;
        return;
    }
    case REFERENCE_LOCAL:
        out->leap = ref->leap == NTP_LEAP_UNSYNC ? NTP_LEAP_NONE : ref->leap;
        out->stratum = ref->stratum;
        out->refid = NTP_REFID_LOCAL;
        out->root_delay = 0.0;
        out->root_dispersion = 0.0;
        out->ref_time = ref->ref_time;
        return;
    case REFERENCE_UNSYNC:
    default:
        out->leap = NTP_LEAP_UNSYNC;
        out->stratum = 0;
        out->refid = 0;
        out->root_delay = 1.0;
        out->root_dispersion = 1.0;
        out->ref_time.tv_sec = 0;
        out->ref_time.tv_nsec = 0;
        return;
    }
}
