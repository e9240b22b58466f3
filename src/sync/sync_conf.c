#include "sync/sync_conf.h"

void sync_params_from_conf(const struct tock_config *c, double precision, double freq_quantum_ppm,
                           struct sync_params *out)
{
    sync_params_default(out);
    out->precision = c->clockprecision > 0.0 ? c->clockprecision : precision;
    if (!(out->precision > 0.0))
        out->precision = 1e-9;
    out->max_clock_error = c->maxclockerror * 1e-6;

    out->slew.max_slew_ppm = c->maxslewrate;
    out->slew.max_freq_ppm = c->maxdrift;
    out->slew.freq_quantum_ppm = freq_quantum_ppm;

    out->select.max_distance = c->maxdistance;
    out->select.max_jitter = c->maxjitter;
    out->select.min_sources = c->minsources;
    out->select.reselect_dist = c->reselectdist;
    out->select.stratum_weight = c->stratumweight;
    out->select.combine_limit = c->combinelimit;
    out->select.max_clock_error = out->max_clock_error;

    out->ref.max_update_skew = c->maxupdateskew * 1e-6;
    out->ref.corr_time_ratio = c->corrtimeratio;
    out->ref.makestep = c->makestep_enabled;
    out->ref.makestep_threshold = c->makestep_threshold;
    out->ref.makestep_limit = c->makestep_limit;
    out->ref.max_clock_error = out->max_clock_error;
    out->ref.precision = out->precision;
    out->ref.local = c->local.enabled;
    out->ref.local_stratum = c->local.stratum;
    out->ref.local_orphan = c->local.orphan;
    out->ref.local_distance = c->local.distance;
    out->ref.local_activate = c->local.activate;
    out->ref.local_waitsynced = c->local.waitsynced;
    out->ref.local_waitunsynced = c->local.waitunsynced;

    out->driftfile_interval = c->driftfile_interval > 0 ? c->driftfile_interval : 3600.0;
}

void sync_source_params_from_conf(const struct conf_source *cs, struct ntpsrc_params *out,
                                  unsigned *sel_options)
{
    ntpsrc_params_default(out);
    out->minpoll = cs->minpoll;
    out->maxpoll = cs->maxpoll;
    out->iburst = cs->iburst;
    out->burst = cs->burst;
    out->polltarget = cs->polltarget;
    out->maxdelay = cs->maxdelay;
    out->maxdelayratio = cs->maxdelayratio;
    out->maxdelaydevratio = cs->maxdelaydevratio;
    out->offset = cs->offset;
    out->minstratum = cs->minstratum;
    out->version = cs->version > 0 ? cs->version : 4;
    out->auth = cs->key != 0 || cs->nts;
    out->offline = cs->offline;
    out->minsamples = cs->minsamples >= 0 ? cs->minsamples : 6; /* -1: the default */
    out->maxsamples = cs->maxsamples > 0 ? cs->maxsamples : 0;
    out->mindelay = cs->mindelay;
    out->asymmetry = cs->has_asymmetry ? cs->asymmetry : 1.0;

    unsigned o = 0;
    if (cs->noselect)
        o |= SELECT_OPT_NOSELECT;
    if (cs->prefer)
        o |= SELECT_OPT_PREFER;
    if (cs->trust)
        o |= SELECT_OPT_TRUST;
    if (cs->require)
        o |= SELECT_OPT_REQUIRE;
    *sel_options = o;
}
