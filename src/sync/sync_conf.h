/* From the parsed configuration (conf/config.h) to the engine's parameters: one place
 * that knows both, so the daemon does not translate field by field. Pure. */
#ifndef TOCK_SYNC_SYNC_CONF_H
#define TOCK_SYNC_SYNC_CONF_H

#include "conf/config.h"
#include "sync/engine.h"

/* Engine parameters from the global directives. precision: the measured clock precision
 * (s), used unless `clockprecision` is set. freq_quantum_ppm: the clock driver's frequency
 * resolution (1/65536 for ADJ_FREQUENCY, 0 for a virtual clock). The driftfile values
 * (initial_freq_ppm / initial_skew_ppm) and the leap table are left for the caller. */
void sync_params_from_conf(const struct tock_config *c, double precision, double freq_quantum_ppm,
                           struct sync_params *out);

/* Source parameters and selection options (SELECT_OPT_*) of one server/pool line. */
void sync_source_params_from_conf(const struct conf_source *cs, struct ntpsrc_params *out,
                                  unsigned *sel_options);

#endif
