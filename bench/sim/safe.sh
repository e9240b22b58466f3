#!/bin/bash
# Runs a command without CAP_SYS_TIME (dropped from the bounding set, so no child can
# regain it) in a new network namespace: even if the simulator's LD_PRELOAD library were
# not loaded, no daemon could touch the real clock or send a packet off the machine.
exec unshare -n setpriv --bounding-set=-sys_time --inh-caps=-sys_time -- "$@"
